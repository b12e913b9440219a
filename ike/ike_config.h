/* The IKEv2 configuration as IOS keeps it: proposals, policies, keyrings and their peers,
 * profiles, authorization policies, the `aaa` lines they lean on and the global
 * `crypto ikev2 ...` knobs. Pure: no sockets, no libcli, no engine state. The shell changes it
 * only through the setters below (every value stored is in range), renders it into the
 * running-config, and the IKE engine reads it through the lookups at the end of this file.
 *
 * Smart defaults (IOS FlexVPN; REFERENCE §4): `crypto ikev2 proposal default`,
 * `crypto ikev2 policy default` and `crypto ikev2 authorization policy default` exist without
 * being configured. They are not in the running-config until modified, and removing one
 * (`no crypto ikev2 proposal default`) restores its shipped contents.
 *
 * A list setting of a default object that is still as shipped (its "pristine" flag) is
 * replaced by the first command that changes it: `encryption aes-cbc-256` in the default
 * proposal leaves AES-CBC-256 alone, it does not append to the shipped list. This is what lets
 * a modified default object be rendered as its full lists and loaded back identically.
 *
 * References by name (a policy's proposal, a profile's keyring or authorization policy, and
 * the trustpoints, certificate maps, pools and Virtual-Templates that other modules keep) are
 * accepted before the object exists, as IOS does; the referring object is shown as
 * incomplete and the lookups skip what is missing.
 *
 * Addresses are IPv4, host byte order (`_h`), as the shell parses them (the engine's ports use
 * network order: convert at the boundary). Names are case-sensitive, as on IOS. Lists keep the
 * order in which they were configured. Constants are IKECFG_*: ike.h already has IKE_CFG_*. */
#ifndef IKEGATE_IKE_CONFIG_H
#define IKEGATE_IKE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define IKECFG_NAME_MAX 64      /* object names: 1-63 characters, one word */
#define IKECFG_DESC_MAX 241     /* descriptions, banners: 240 characters */
#define IKECFG_ID_MAX 256       /* identity text (FQDN, e-mail, key-id, hostname): 255 */
#define IKECFG_KEY_MAX 129      /* pre-shared keys: 128 characters */
#define IKECFG_MAX_OBJECTS 1000 /* objects of one kind (proposals, peers of a keyring, ...) */
#define IKECFG_MAX_LIST 32      /* repeated statements of one kind inside one object */
#define IKECFG_MAX_ALGS 8       /* algorithms of one class in a proposal */

/* ---- algorithms ---- */

/* The four algorithm classes of an IKEv2 proposal. Encryption, integrity and PRF values are
 * the enums below; DH values are the IANA group numbers themselves (RFC 7296 §3.3.2). */
enum ike_cfg_class { IKECFG_ENCR, IKECFG_INTEG, IKECFG_PRF, IKECFG_GROUP, IKECFG_NCLASS };
enum ike_cfg_encr {
    IKECFG_AES_CBC_128,
    IKECFG_AES_CBC_256,
    IKECFG_AES_GCM_128, /* AEAD (RFC 5282): no integrity transform, a PRF is required */
    IKECFG_AES_GCM_256,
    IKECFG_NENCR
};
enum ike_cfg_hash { IKECFG_SHA1, IKECFG_SHA256, IKECFG_SHA384, IKECFG_SHA512, IKECFG_NHASH };

/* The keywords of a class in the order `?` lists them, with their help texts; returns how
 * many. The grammar is built from these. */
size_t ike_cfg_alg_keywords(enum ike_cfg_class c, const char *const **words,
                            const char *const **helps);
/* A keyword of the class -> its value (exact, or a unique abbreviation); -1 if none. */
int ike_cfg_alg_parse(enum ike_cfg_class c, const char *word);
/* The configuration keyword ("aes-gcm-256", "sha384", "19") and IOS's show text
 * ("AES-GCM-256", "SHA384", "DH_GROUP_256_ECP/Group 19") of a value. */
const char *ike_cfg_alg_keyword(enum ike_cfg_class c, int value);
const char *ike_cfg_alg_show(enum ike_cfg_class c, int value);
bool ike_cfg_encr_is_aead(int encr);

/* ---- objects ---- */

enum ike_cfg_id_kind {
    IKECFG_ID_NONE,
    IKECFG_ID_ADDRESS, /* addr (and mask in match statements) */
    IKECFG_ID_FQDN,    /* text */
    IKECFG_ID_EMAIL,   /* text */
    IKECFG_ID_KEYID,   /* text: an opaque string, compared byte for byte */
    IKECFG_ID_DN,      /* `identity local dn`: the subject of our certificate */
    IKECFG_ID_ANY,     /* `match identity remote any` */
};

/* `identity ...` of a keyring peer, `identity local ...` of a profile. */
struct ike_cfg_ident {
    enum ike_cfg_id_kind kind;
    uint32_t addr_h;
    char text[IKECFG_ID_MAX];
};

/* `match identity remote|local ...` of a profile. */
struct ike_cfg_idmatch {
    enum ike_cfg_id_kind kind;
    bool domain; /* `fqdn domain D` / `email domain D`: D and any name below it */
    uint32_t addr_h, mask_h;
    char text[IKECFG_ID_MAX];
};

/* A pre-shared key as typed: type 0 is the key itself; type 6 is IOS's AES-encrypted form,
 * kept and rendered as typed but not usable (ikegate has no `key config-key
 * password-encrypt` master key to decrypt it with). */
struct ike_cfg_psk {
    bool set;
    uint8_t type; /* 0 or 6 */
    char key[IKECFG_KEY_MAX];
};

struct ike_cfg_proposal {
    char name[IKECFG_NAME_MAX];
    struct ike_cfg_proposal *next; /* sorted by name */
    bool is_default;               /* the smart default object "default" */
    bool pristine[IKECFG_NCLASS];  /* default object: that list is still as shipped */
    int nalg[IKECFG_NCLASS];
    uint16_t alg[IKECFG_NCLASS][IKECFG_MAX_ALGS]; /* in preference order */
};

struct ike_cfg_policy {
    char name[IKECFG_NAME_MAX];
    struct ike_cfg_policy *next;
    bool is_default;
    bool pristine; /* default object: the proposal list is still `proposal default` */
    bool fvrf_any; /* `match fvrf any` (ikegate has no VRFs: global and any are the same) */
    int nproposal;
    char proposal[IKECFG_MAX_LIST][IKECFG_NAME_MAX];
    int nlocal; /* `match address local`; none = any local address */
    uint32_t local_h[IKECFG_MAX_LIST];
};

struct ike_cfg_kpeer {
    char name[IKECFG_NAME_MAX];
    struct ike_cfg_kpeer *next; /* in the order configured */
    char description[IKECFG_DESC_MAX];
    bool has_addr;
    uint32_t addr_h, mask_h; /* `address A.B.C.D [MASK]`, mask 255.255.255.255 by default */
    char hostname[IKECFG_ID_MAX];
    struct ike_cfg_ident identity;
    /* `pre-shared-key K` is both directions; `pre-shared-key local|remote K` override one. */
    struct ike_cfg_psk key, key_local, key_remote;
};

struct ike_cfg_keyring {
    char name[IKECFG_NAME_MAX];
    struct ike_cfg_keyring *next;
    struct ike_cfg_kpeer *peers;
    int npeers;
};

/* Authentication methods; the values are the bits ike.h's engine uses (IKE_AM_*). */
enum ike_cfg_auth {
    IKECFG_AUTH_NONE = 0,
    IKECFG_AUTH_PSK = 1,
    IKECFG_AUTH_RSA = 2,
    IKECFG_AUTH_ECDSA = 4,
};

struct ike_cfg_dpd {
    bool set;
    uint16_t interval; /* s, 10-3600 */
    uint16_t retry;    /* s, 2-60 */
    bool periodic;     /* else on-demand */
};

/* `aaa authorization group psk|cert|eap list LIST [NAME]`: NAME is the user name of the
 * authorization request, i.e. (with local authorization) the authorization policy. */
enum ike_cfg_aaa_kind { IKECFG_AAA_PSK, IKECFG_AAA_CERT, IKECFG_AAA_EAP, IKECFG_NAAA };
struct ike_cfg_aaa_group {
    bool set;
    char list[IKECFG_NAME_MAX];
    char name[IKECFG_NAME_MAX]; /* "" when not given */
};

enum ike_cfg_tp_usage { IKECFG_TP_BOTH, IKECFG_TP_SIGN, IKECFG_TP_VERIFY };

struct ike_cfg_profile {
    char name[IKECFG_NAME_MAX];
    struct ike_cfg_profile *next;
    char description[IKECFG_DESC_MAX];
    bool fvrf_any;
    /* `match address local A.B.C.D | interface IFNAME`: ORed; none = any */
    int nlocal;
    struct {
        bool is_if;
        uint32_t addr_h;
        char ifname[IKECFG_NAME_MAX];
    } local[IKECFG_MAX_LIST];
    int nremote; /* `match identity remote ...` */
    struct ike_cfg_idmatch remote[IKECFG_MAX_LIST];
    int nlocal_id; /* `match identity local ...` (the IDr an initiator asked for) */
    struct ike_cfg_idmatch local_id[IKECFG_MAX_LIST];
    int ncertmap; /* `match certificate MAP` */
    char certmap[IKECFG_MAX_LIST][IKECFG_NAME_MAX];
    struct ike_cfg_ident identity; /* `identity local ...`; NONE: the IOS default */
    unsigned auth_remote;          /* IKECFG_AUTH_* bits */
    enum ike_cfg_auth auth_local;
    struct ike_cfg_psk auth_local_key, auth_remote_key; /* `authentication ... pre-share key K` */
    char keyring[IKECFG_NAME_MAX];                      /* `keyring local NAME`; "" none */
    int ntp;
    struct {
        char name[IKECFG_NAME_MAX];
        enum ike_cfg_tp_usage usage;
    } tp[IKECFG_MAX_LIST];
    uint32_t lifetime; /* s, 120-86400, default 86400 */
    struct ike_cfg_dpd dpd;
    uint16_t nat_keepalive; /* s, 5-3600; 0 not set */
    struct ike_cfg_aaa_group aaa_group[IKECFG_NAAA];
    bool aaa_user_cached[IKECFG_NAAA]; /* `aaa authorization user psk|cert cached` */
    uint16_t vtemplate;                /* 1-65535; 0 none */
    bool redirect_init, redirect_auth; /* `redirect gateway init|auth` (RFC 5685) */
};

struct ike_cfg_author {
    char name[IKECFG_NAME_MAX];
    struct ike_cfg_author *next;
    bool is_default;
    char pool[IKECFG_NAME_MAX];
    int ndns;
    uint32_t dns_h[2];
    bool has_netmask;
    uint32_t netmask_h;
    char def_domain[IKECFG_ID_MAX];
    char banner[IKECFG_DESC_MAX];
    bool route_set_interface;
    char route_acl[IKECFG_NAME_MAX]; /* `route set access-list NAME` (accepted, not applied) */
    bool route_accept_any;
    int nroutes; /* `route set remote ipv4 A.B.C.D MASK`: split-tunnel routes */
    struct {
        uint32_t addr_h, mask_h;
    } routes[IKECFG_MAX_LIST];
};

struct ike_config {
    bool aaa_new_model;
    int naaa_net; /* `aaa authorization network LIST local` */
    char aaa_net[IKECFG_MAX_LIST][IKECFG_NAME_MAX];

    struct ike_cfg_proposal *proposals; /* each list sorted by name; defaults always there */
    struct ike_cfg_policy *policies;
    struct ike_cfg_keyring *keyrings;
    struct ike_cfg_profile *profiles;
    struct ike_cfg_author *authors;
    int nproposals, npolicies, nkeyrings, nprofiles, nauthors;

    uint32_t cookie_challenge;          /* half-open SAs above which a COOKIE is demanded; 0 off */
    uint32_t max_nego_in, max_nego_out; /* `limit max-in-negotiation-sa`; 0 unlimited */
    uint32_t max_sa;                    /* `limit max-sa`; 0 unlimited */
    bool redirect_init, redirect_auth;  /* `crypto ikev2 redirect gateway init|auth` */
    bool redirect_client;               /* `crypto ikev2 redirect client` */
    uint8_t redirect_max;               /* its max-redirects, 1-255, default 5 (RFC 5685 §10) */
    struct ike_cfg_dpd dpd;             /* `crypto ikev2 dpd`: for profiles without their own */
    uint16_t nat_keepalive;             /* `crypto ikev2 nat keepalive`; 0 off */
    /* `crypto ikev2 fragmentation [mtu N]` (RFC 7383): off by default as on IOS; the MTU is
     * the IP datagram size, 68-1500, 576 when not given (IOS's `show run all`). */
    bool frag;
    uint16_t frag_mtu;
};

/* 0, or -1 when memory runs out (nothing is left allocated). */
int ike_config_init(struct ike_config *c);
/* Frees everything; keys are wiped first. */
void ike_config_fini(struct ike_config *c);

/* ---- objects by name ----
 * _find: NULL if absent. _get: find or create (`crypto ikev2 proposal NAME` ...); NULL with an
 * IOS-style message in err when the name is not valid or there are too many. _remove: 0, or
 * -1 if absent; a default object is restored to its shipped contents instead. */
struct ike_cfg_proposal *ike_cfg_proposal_find(const struct ike_config *c, const char *name);
struct ike_cfg_proposal *ike_cfg_proposal_get(struct ike_config *c, const char *name, char *err,
                                              size_t errlen);
int ike_cfg_proposal_remove(struct ike_config *c, const char *name);
struct ike_cfg_policy *ike_cfg_policy_find(const struct ike_config *c, const char *name);
struct ike_cfg_policy *ike_cfg_policy_get(struct ike_config *c, const char *name, char *err,
                                          size_t errlen);
int ike_cfg_policy_remove(struct ike_config *c, const char *name);
struct ike_cfg_keyring *ike_cfg_keyring_find(const struct ike_config *c, const char *name);
struct ike_cfg_keyring *ike_cfg_keyring_get(struct ike_config *c, const char *name, char *err,
                                            size_t errlen);
int ike_cfg_keyring_remove(struct ike_config *c, const char *name);
struct ike_cfg_kpeer *ike_cfg_kpeer_find(const struct ike_cfg_keyring *k, const char *name);
struct ike_cfg_kpeer *ike_cfg_kpeer_get(struct ike_cfg_keyring *k, const char *name, char *err,
                                        size_t errlen);
int ike_cfg_kpeer_remove(struct ike_cfg_keyring *k, const char *name);
struct ike_cfg_profile *ike_cfg_profile_find(const struct ike_config *c, const char *name);
struct ike_cfg_profile *ike_cfg_profile_get(struct ike_config *c, const char *name, char *err,
                                            size_t errlen);
int ike_cfg_profile_remove(struct ike_config *c, const char *name);
struct ike_cfg_author *ike_cfg_author_find(const struct ike_config *c, const char *name);
struct ike_cfg_author *ike_cfg_author_get(struct ike_config *c, const char *name, char *err,
                                          size_t errlen);
int ike_cfg_author_remove(struct ike_config *c, const char *name);

/* ---- setters ----
 * Each returns 0, or -1 with an IOS-style message ("% ...") in err and nothing changed. Text
 * arguments are checked for length and control characters; one-word values for spaces. */

/* Proposals: `encryption|integrity|prf|group W...` appends the algorithms not yet listed
 * (each word a keyword of the class, abbreviations allowed); `no ... W...` removes them;
 * `no ...` with no words empties the class. */
int ike_cfg_proposal_add(struct ike_cfg_proposal *p, enum ike_cfg_class cl,
                         const char *const *words, int n, char *err, size_t errlen);
int ike_cfg_proposal_del(struct ike_cfg_proposal *p, enum ike_cfg_class cl,
                         const char *const *words, int n, char *err, size_t errlen);
/* Complete as IOS requires: at least one encryption algorithm and one DH group; AES-CBC needs
 * an integrity algorithm; AES-GCM needs a PRF and, when it is the only kind of cipher, no
 * integrity algorithm. A proposal listing both kinds of cipher (as the default does) is used
 * as two IKE proposals, one AEAD and one not (RFC 7296 §3.3: an AEAD cipher is never offered
 * with an integrity transform). Returns true, or false with the reason in why. */
bool ike_cfg_proposal_complete(const struct ike_cfg_proposal *p, char *why, size_t whylen);
/* Was the default proposal/policy/authorization policy changed from what ships? */
bool ike_cfg_proposal_modified(const struct ike_cfg_proposal *p);

/* Policies: `proposal NAME` (appended), `match address local A.B.C.D`, `match fvrf any`. */
int ike_cfg_policy_add_proposal(struct ike_cfg_policy *p, const char *name, char *err,
                                size_t errlen);
int ike_cfg_policy_del_proposal(struct ike_cfg_policy *p, const char *name); /* NULL: all */
int ike_cfg_policy_add_local(struct ike_cfg_policy *p, uint32_t addr_h, char *err, size_t errlen);
int ike_cfg_policy_del_local(struct ike_cfg_policy *p, uint32_t addr_h);
bool ike_cfg_policy_modified(const struct ike_cfg_policy *p);
/* Complete: it lists at least one proposal. */
bool ike_cfg_policy_complete(const struct ike_cfg_policy *p);

/* Keyring peers. */
int ike_cfg_kpeer_set_address(struct ike_cfg_kpeer *p, uint32_t addr_h, uint32_t mask_h, char *err,
                              size_t errlen);
int ike_cfg_kpeer_set_hostname(struct ike_cfg_kpeer *p, const char *name, char *err, size_t errlen);
/* kind ADDRESS (addr_h), FQDN, EMAIL or KEYID (text). */
int ike_cfg_kpeer_set_identity(struct ike_cfg_kpeer *p, enum ike_cfg_id_kind kind, uint32_t addr_h,
                               const char *text, char *err, size_t errlen);
int ike_cfg_kpeer_set_description(struct ike_cfg_kpeer *p, const char *text, char *err,
                                  size_t errlen);
/* which: 0 both directions, 'l' local, 'r' remote. */
int ike_cfg_kpeer_set_key(struct ike_cfg_kpeer *p, int which, int type, const char *key, char *err,
                          size_t errlen);
void ike_cfg_kpeer_clear_key(struct ike_cfg_kpeer *p, int which);

/* Profiles. */
int ike_cfg_profile_set_description(struct ike_cfg_profile *p, const char *text, char *err,
                                    size_t errlen);
int ike_cfg_profile_add_local(struct ike_cfg_profile *p, bool is_if, uint32_t addr_h,
                              const char *ifname, char *err, size_t errlen);
int ike_cfg_profile_del_local(struct ike_cfg_profile *p, bool is_if, uint32_t addr_h,
                              const char *ifname);
/* `match identity remote|local ...`: remote selects the list. The mask of an address is
 * applied to it; a text is checked for one word. */
int ike_cfg_profile_add_idmatch(struct ike_cfg_profile *p, bool remote,
                                const struct ike_cfg_idmatch *m, char *err, size_t errlen);
int ike_cfg_profile_del_idmatch(struct ike_cfg_profile *p, bool remote,
                                const struct ike_cfg_idmatch *m);
int ike_cfg_profile_add_certmap(struct ike_cfg_profile *p, const char *map, char *err,
                                size_t errlen);
int ike_cfg_profile_del_certmap(struct ike_cfg_profile *p, const char *map);
/* `identity local ...`: kind ADDRESS, FQDN, EMAIL, KEYID or DN; NONE clears it. */
int ike_cfg_profile_set_identity(struct ike_cfg_profile *p, enum ike_cfg_id_kind kind,
                                 uint32_t addr_h, const char *text, char *err, size_t errlen);
/* `authentication remote M [key K]` adds M; `authentication local M [key K]` replaces.
 * key may be NULL; key_type 0 or 6. */
int ike_cfg_profile_set_auth(struct ike_cfg_profile *p, bool remote, enum ike_cfg_auth m,
                             int key_type, const char *key, char *err, size_t errlen);
/* `no authentication remote M` (IKECFG_AUTH_NONE: all) / `no authentication local`. */
void ike_cfg_profile_clear_auth(struct ike_cfg_profile *p, bool remote, enum ike_cfg_auth m);
int ike_cfg_profile_set_keyring(struct ike_cfg_profile *p, const char *name, char *err,
                                size_t errlen); /* NULL or "" clears */
/* `pki trustpoint NAME [sign|verify]`: added, or its usage changed if already listed. */
int ike_cfg_profile_add_trustpoint(struct ike_cfg_profile *p, const char *name,
                                   enum ike_cfg_tp_usage u, char *err, size_t errlen);
int ike_cfg_profile_del_trustpoint(struct ike_cfg_profile *p, const char *name);
int ike_cfg_profile_set_lifetime(struct ike_cfg_profile *p, long s, char *err, size_t errlen);
/* interval 0 clears. */
int ike_cfg_dpd_set(struct ike_cfg_dpd *d, long interval, long retry, bool periodic, char *err,
                    size_t errlen);
int ike_cfg_set_nat_keepalive(uint16_t *dst, long s, char *err, size_t errlen); /* 0 clears */
/* list NULL clears the kind. */
int ike_cfg_profile_set_aaa_group(struct ike_cfg_profile *p, enum ike_cfg_aaa_kind k,
                                  const char *list, const char *name, char *err, size_t errlen);
int ike_cfg_profile_set_vtemplate(struct ike_cfg_profile *p, long n, char *err,
                                  size_t errlen); /* 0 clears */
/* Complete as IOS requires: a `match identity remote` or `match certificate` statement, a
 * local authentication method and at least one remote one. */
bool ike_cfg_profile_complete(const struct ike_cfg_profile *p, char *why, size_t whylen);

/* Authorization policies. */
int ike_cfg_author_set_pool(struct ike_cfg_author *a, const char *name, char *err,
                            size_t errlen); /* NULL clears */
int ike_cfg_author_set_dns(struct ike_cfg_author *a, int n, const uint32_t *dns_h, char *err,
                           size_t errlen); /* n 0 clears */
int ike_cfg_author_set_netmask(struct ike_cfg_author *a, bool set, uint32_t mask_h, char *err,
                               size_t errlen);
int ike_cfg_author_set_text(char *dst, size_t cap, const char *text, bool one_word,
                            const char *what, char *err, size_t errlen); /* NULL clears */
int ike_cfg_author_add_route(struct ike_cfg_author *a, uint32_t addr_h, uint32_t mask_h, char *err,
                             size_t errlen);
int ike_cfg_author_del_route(struct ike_cfg_author *a, uint32_t addr_h, uint32_t mask_h);
bool ike_cfg_author_modified(const struct ike_cfg_author *a);

/* Globals. */
int ike_cfg_set_aaa_network(struct ike_config *c, const char *list, bool on, char *err,
                            size_t errlen);
/* Each value 0 clears; dir 0 both, 'i' incoming, 'o' outgoing. */
int ike_cfg_set_cookie_challenge(struct ike_config *c, long n, char *err, size_t errlen);
/* `crypto ikev2 fragmentation [mtu N]` (on, mtu 0: the default 576) and its `no` form. */
int ike_cfg_set_fragmentation(struct ike_config *c, bool on, long mtu, char *err, size_t errlen);
#define IKECFG_FRAG_MTU_DEFAULT 576
int ike_cfg_set_max_nego(struct ike_config *c, long n, int dir, char *err, size_t errlen);
int ike_cfg_set_max_sa(struct ike_config *c, long n, char *err, size_t errlen);
int ike_cfg_set_redirect_client(struct ike_config *c, bool on, long max, char *err,
                                size_t errlen); /* max 0: the default 5 */

/* A name: 1-63 characters, no spaces or control characters. */
bool ike_cfg_name_ok(const char *name);

/* ---- running-config ----
 * IOS order, defaults omitted, default objects only when modified. ike_cfg_render_aaa gives the
 * `aaa` lines (they come first in IOS); ike_cfg_render the `crypto ikev2` blocks: authorization
 * policies, proposals, policies, keyrings, profiles, then the global lines. Loading the text
 * back gives the same text. */
void ike_cfg_render_aaa(const struct ike_config *c, struct strbuf *out);
void ike_cfg_render(const struct ike_config *c, struct strbuf *out);

/* ---- show commands ----
 * Objects kept by other modules are checked through this callback so that a reference can be
 * shown as "(not configured)"; refs NULL (or exists NULL) says nothing about them. */
enum ike_cfg_ref {
    IKECFG_REF_TRUSTPOINT,
    IKECFG_REF_CERTMAP,
    IKECFG_REF_POOL,
    IKECFG_REF_VTEMPLATE /* named by its number in decimal */
};
struct ike_cfg_refs {
    void *arg;
    bool (*exists)(void *arg, enum ike_cfg_ref kind, const char *name);
};
/* name NULL: all, in name order. Nothing is printed for a name that does not exist. */
void ike_cfg_show_proposal(const struct ike_config *c, const char *name, struct strbuf *out);
void ike_cfg_show_policy(const struct ike_config *c, const char *name, struct strbuf *out);
void ike_cfg_show_profile(const struct ike_config *c, const char *name,
                          const struct ike_cfg_refs *refs, struct strbuf *out);
void ike_cfg_show_author(const struct ike_config *c, const char *name,
                         const struct ike_cfg_refs *refs, struct strbuf *out);

/* ---- lookups for the IKE engine ---- */

/* One IKE SA proposal as the engine matches it against a peer's SA payload (RFC 7296 §3.3):
 * every list in preference order, IANA transform IDs (ike_wire.h). ninteg is 0 for an AEAD
 * set. This has the shape of ike.h's struct ike_prop_cfg. */
struct ike_cfg_tset {
    const char *proposal; /* the configured proposal it comes from */
    bool aead;
    int nencr, ninteg, nprf, ndh;
    struct {
        uint16_t id, keylen; /* IKE_ENCR_*, key length in bits */
    } encr[IKECFG_MAX_ALGS];
    uint16_t integ[IKECFG_MAX_ALGS];
    uint16_t prf[IKECFG_MAX_ALGS];
    uint16_t dh[IKECFG_MAX_ALGS];
};
/* The IKE SA proposals acceptable for an IKE_SA_INIT that arrived on local_h, in preference
 * order; returns how many were written (at most cap).
 * Policy selection (IOS's rule, kept simple):
 * - the policies that apply: every configured policy (an unmodified default policy does not
 *   count as configured); when there is none, the default policy;
 * - among them, those whose `match address local` lists local_h win over those without
 *   `match address local` (which match any address); a policy that lists other addresses only
 *   does not match;
 * - the proposals of the winning policies in name order, each policy's proposals in its
 *   order, each configured proposal once; a proposal that does not exist or is incomplete
 *   is skipped. A proposal with both AEAD and non-AEAD ciphers gives two sets, AEAD first. */
int ike_cfg_proposals_for(const struct ike_config *c, uint32_t local_h, struct ike_cfg_tset *out,
                          int cap);

/* A peer identity as received in IDi/IDr (RFC 7296 §3.5): the wire type (IKE_ID_* of
 * ike_wire.h) and the data, not NUL-terminated. */
struct ike_cfg_peer_id {
    uint8_t type;
    const uint8_t *data;
    size_t len;
};
/* What profile matching cannot know by itself. Either callback may be NULL: then no
 * certificate map / no interface matches. */
struct ike_cfg_match_env {
    void *arg;
    /* Does the peer's certificate satisfy the certificate map MAP? */
    bool (*certmap)(void *arg, const char *map);
    /* Is addr_h one of the addresses of interface IFNAME? */
    bool (*iface_has_addr)(void *arg, const char *ifname, uint32_t addr_h);
};
/* Does one match statement accept this identity? (FQDN and e-mail compare without case;
 * `domain D` accepts D itself and names ending in ".D"; for e-mail the part after '@'.) */
bool ike_cfg_idmatch_accepts(const struct ike_cfg_idmatch *m, const struct ike_cfg_peer_id *id);
/* The profile for a peer at IKE_AUTH: remote is its IDi; local_req the IDr it asked for (or
 * NULL). A profile is a candidate when it is complete and (IOS rules) its match statements of
 * different types all accept, statements of one type being ORed: `match address local`,
 * `match identity local` (only checked when local_req is given), and `match identity remote`
 * together with `match certificate`. Among candidates the best match wins: an exact identity
 * (a host address, an FQDN, an e-mail address or a key-id) beats a domain or a subnet (the
 * longer prefix first), which beats a certificate map, which beats `any`; then a profile with
 * `match address local` beats one without; then name order. NULL when none matches. */
const struct ike_cfg_profile *ike_cfg_match_profile(const struct ike_config *c, uint32_t local_h,
                                                    const struct ike_cfg_peer_id *remote,
                                                    const struct ike_cfg_peer_id *local_req,
                                                    const struct ike_cfg_match_env *env);
/* The profile known at IKE_SA_INIT, before any identity (for `redirect gateway init` in a
 * profile): among complete profiles whose `match address local` accepts local_h, the first
 * (name order) that lists local_h or its interface; else the only complete profile without
 * `match address local`; else NULL (several could apply, none is chosen). */
const struct ike_cfg_profile *ike_cfg_profile_for_local(const struct ike_config *c,
                                                        uint32_t local_h,
                                                        const struct ike_cfg_match_env *env);

/* The keyring peer for a remote end (IOS order): the first peer whose `identity` equals the
 * peer's identity; else the peer whose `address`/mask contains peer_h with the longest mask
 * (the first configured on a tie); else the first whose `hostname` equals hostname (without
 * case). id and hostname may be NULL. */
const struct ike_cfg_kpeer *ike_cfg_keyring_peer(const struct ike_cfg_keyring *k, uint32_t peer_h,
                                                 const struct ike_cfg_peer_id *id,
                                                 const char *hostname);
enum ike_cfg_psk_status {
    IKECFG_PSK_OK,
    IKECFG_PSK_NO_KEYRING, /* the profile names no keyring and has no keys of its own */
    IKECFG_PSK_UNDEFINED,  /* the keyring it names is not configured */
    IKECFG_PSK_NO_PEER,    /* no peer of the keyring matches */
    IKECFG_PSK_NO_KEY,     /* the key wanted is not configured */
    IKECFG_PSK_ENCRYPTED,  /* the key is type 6, which ikegate cannot decrypt */
};
struct ike_cfg_keys {
    const struct ike_cfg_kpeer *peer; /* NULL when the keys come from the profile */
    const char *local, *remote;       /* NUL-terminated; NULL when not available */
    enum ike_cfg_psk_status local_st, remote_st;
};
/* The pre-shared keys for a peer under profile p: `authentication local|remote pre-share key`
 * of the profile first, else the keyring's peer (ike_cfg_keyring_peer): `pre-shared-key
 * local|remote` or, failing that, `pre-shared-key`. Returns IKECFG_PSK_OK when both keys are
 * available, else the status of the first missing one (local first). */
enum ike_cfg_psk_status ike_cfg_psk_lookup(const struct ike_config *c,
                                           const struct ike_cfg_profile *p, uint32_t peer_h,
                                           const struct ike_cfg_peer_id *id, const char *hostname,
                                           struct ike_cfg_keys *out);
const char *ike_cfg_psk_status_text(enum ike_cfg_psk_status s);
/* Whether keyring peer kp is this identity's own: matched by the identity itself (not by
 * address or host name), and the identity is not a key-id (which IOS uses for groups). */
bool ike_cfg_kpeer_binds(const struct ike_cfg_kpeer *kp, const struct ike_cfg_peer_id *id);

/* Our identity (IDr, RFC 7296 §3.5) under profile p, in wire form: *type gets the IKE_ID_*
 * type and buf the data; returns the data length. `identity local dn` gives
 * IKE_ID_DER_ASN1_DN and length 0 (the subject of our certificate, which the PKI side
 * knows); no `identity local` gives IOS's default, the address the request arrived on
 * (local_h). Returns 0 with *type 0 when the data does not fit in cap. */
size_t ike_cfg_local_id(const struct ike_cfg_profile *p, uint32_t local_h, uint8_t *type,
                        uint8_t *buf, size_t cap);

/* The admission limits, read for every new SA so that changes apply at once; 0 means no
 * limit. cookie: half-open SAs above which IKE_SA_INIT must carry a COOKIE (RFC 7296 §2.6);
 * max_nego: SAs in negotiation we respond to (the `incoming` limit); max_sa: IKE SAs. */
void ike_cfg_limits(const struct ike_config *c, uint32_t *cookie, uint32_t *max_nego,
                    uint32_t *max_sa);

/* The values in force for a session under profile p, authenticated by method m (which
 * `aaa authorization group` applies: psk, or cert for RSA/ECDSA signatures). */
struct ike_cfg_effective {
    uint32_t lifetime;       /* s */
    struct ike_cfg_dpd dpd;  /* the profile's, else `crypto ikev2 dpd`, else not set */
    uint16_t nat_keepalive;  /* the profile's, else `crypto ikev2 nat keepalive`, else 0 */
    const char *author_name; /* NULL: no `aaa authorization group` for m (no attributes
                              * pushed); else its name, "default" when none was given */
    const struct ike_cfg_author *author; /* NULL when author_name is NULL or not configured */
    uint16_t vtemplate;                  /* 0 none */
    bool redirect_init;                  /* profile's or global `redirect gateway init` */
    bool redirect_auth;                  /* profile's or global `redirect gateway auth` */
};
void ike_cfg_effective(const struct ike_config *c, const struct ike_cfg_profile *p,
                       enum ike_cfg_auth m, struct ike_cfg_effective *out);

#endif
