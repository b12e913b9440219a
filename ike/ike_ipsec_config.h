/* The IPsec side of the IOS FlexVPN configuration, typed and validated: `crypto ipsec
 * transform-set`, `crypto ipsec profile`, `crypto pki trustpoint`, `crypto pki certificate map`,
 * the tunnel part of `interface Virtual-Template N type tunnel`, and `ip local pool` (through
 * ike/ike_pool.h). Pure: no I/O; the shell changes it only through the setters below, so every
 * value in it is in range, and the IKE engine reads it through the lookups at the end.
 *
 * Smart defaults (REFERENCE §4): `crypto ipsec transform-set default` and `crypto ipsec profile
 * default` exist without being configured, are rendered only where they differ from the
 * built-in contents, and `no` on them restores those contents. A name may be referenced before
 * it is defined (a transform set, an IKEv2 profile, a trustpoint, an interface): the reference is
 * kept and what needs it stays incomplete until it exists.
 *
 * Choices where IOS leaves room (docs/cli.md repeats them):
 * - `esp-gcm` and `esp-aes` without a key size mean 128 bits (IOS), rendered without the size;
 *   esp-aes needs an integrity transform and esp-gcm takes none. A transform set's ` mode` line
 *   is always rendered (IOS 15 does), so is a trustpoint's ` revocation-check` (default crl).
 * - `set pfs` takes IOS's groups 14, 15, 16, 19, 20, 21 and group31 (Curve25519, an ikegate
 *   extension matching the IKEv2 side's default proposal); bare `set pfs` (IOS: group1) is not
 *   accepted.
 * - Certificates are not configuration text: `crypto pki import` (global configuration, as IOS)
 *   hands the files to the PKI module, which keeps copies next to the startup-config and loads
 *   them again through the `attach` hook when `crypto pki trustpoint NAME` runs at boot. The
 *   running-config shows the trustpoint only (no `crypto pki certificate chain`), so it loads
 *   whether or not the imported files still exist.
 * - `interface Virtual-TemplateN type tunnel` creates the template (IOS would make a PPP one
 *   without the type); it is configuration only: the data plane makes the xfrm link. */
#ifndef IKEGATE_IKE_IPSEC_CONFIG_H
#define IKEGATE_IKE_IPSEC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike_pool.h"

struct strbuf;

#define IKE_IPSEC_NAME_MAX 64   /* transform sets, profiles, trustpoints, maps: 63 characters */
#define IKE_CERTMAP_NAME_MAX 58 /* "NAME 65535" must fit the shell's 63-character mode object */
#define IKE_IPSEC_DESC_MAX 241  /* 240 characters, as interface descriptions */
#define IKE_IPSEC_TEXT_MAX 256  /* subject names, URLs, certificate map values */
#define IKE_IPSEC_IFNAME_MAX 32
#define IKE_TS_MAX_PROPOSALS 2 /* the default transform set holds two alternatives */
#define IKE_PROFILE_MAX_TS 6   /* `set transform-set` takes up to six names (IOS) */
#define IKE_ESP_MAX_OFFERS (IKE_PROFILE_MAX_TS * IKE_TS_MAX_PROPOSALS)
#define IKE_CERTMAP_MAX_RULES 16
#define IKE_IPSEC_MAX_OBJECTS 1024 /* of each kind: a bound against runaway configurations */

/* IOS's global IPsec SA lifetimes, used when a profile sets none. */
#define IKE_IPSEC_DEFAULT_LIFETIME_SEC 3600
#define IKE_IPSEC_DEFAULT_LIFETIME_KB 4608000
#define IKE_IPSEC_LIFETIME_SEC_MIN 120
#define IKE_IPSEC_LIFETIME_SEC_MAX 2592000
#define IKE_IPSEC_LIFETIME_KB_MIN 2560
#define IKE_IPSEC_LIFETIME_KB_MAX 4194303

/* ---- transform sets ---- */

enum ike_ipsec_mode { IKE_IPSEC_MODE_TUNNEL, IKE_IPSEC_MODE_TRANSPORT };

/* One ESP proposal, in IANA numbers (ike/ike_wire.h, RFC 7296 §3.3.2): encr is
 * IKE_ENCR_AES_GCM_16 or IKE_ENCR_AES_CBC, keylen in bits (the Key Length attribute), integ an
 * IKE_INTEG_* (IKE_INTEG_NONE with GCM, RFC 4106 §8). */
struct ike_esp_proposal {
    uint16_t encr;
    uint16_t keylen;
    uint16_t integ;
};

struct ike_transform_set {
    char name[IKE_IPSEC_NAME_MAX];
    int nprop; /* 1, or 2 for the built-in default */
    struct ike_esp_proposal prop[IKE_TS_MAX_PROPOSALS];
    enum ike_ipsec_mode mode;
    struct ike_transform_set *next; /* in the order created */
};

/* ---- IPsec profiles ---- */

struct ike_ipsec_profile {
    char name[IKE_IPSEC_NAME_MAX];
    char description[IKE_IPSEC_DESC_MAX];
    int nts;
    char ts[IKE_PROFILE_MAX_TS][IKE_IPSEC_NAME_MAX]; /* in priority order */
    char ikev2_profile[IKE_IPSEC_NAME_MAX];          /* "": none */
    long lifetime_sec;                               /* 0: IKE_IPSEC_DEFAULT_LIFETIME_SEC */
    long lifetime_kb;               /* 0: IKE_IPSEC_DEFAULT_LIFETIME_KB; -1: `kilobytes disable` */
    int pfs;                        /* IKE_DH_* group, 0: no PFS */
    struct ike_ipsec_profile *next; /* in the order created */
};

/* ---- PKI ---- */

enum ike_tp_enroll {
    IKE_TP_ENROLL_NONE,
    IKE_TP_ENROLL_TERMINAL,
    IKE_TP_ENROLL_TERMINAL_PEM,
    IKE_TP_ENROLL_URL,
    IKE_TP_ENROLL_SELFSIGNED,
    IKE_TP_ENROLL_PKCS12, /* set by `crypto pki import NAME pkcs12`, as IOS does */
};
enum ike_tp_revocation { IKE_TP_REVOKE_CRL, IKE_TP_REVOKE_NONE, IKE_TP_REVOKE_CRL_NONE };

struct ike_trustpoint {
    char name[IKE_IPSEC_NAME_MAX];
    enum ike_tp_enroll enroll;
    char enroll_url[IKE_IPSEC_TEXT_MAX];
    enum ike_tp_revocation revocation; /* IOS's default is crl, and IOS always shows it */
    char subject_name[IKE_IPSEC_TEXT_MAX];
    char subject_alt_name[IKE_IPSEC_TEXT_MAX];
    char rsakeypair[IKE_IPSEC_NAME_MAX];
    char fqdn[IKE_IPSEC_TEXT_MAX];
    char ip_address[16]; /* a dotted quad or "none"; "" unset */
    bool auto_enroll;
    int auto_enroll_pct; /* 0: none given */
    /* Run-time only, never rendered: the PKI module keeps imported files itself. */
    bool imported;
    char import_source[IKE_IPSEC_TEXT_MAX];
    struct ike_trustpoint *next; /* in the order created */
};

/* Fields and operators in the order of ike/ike_pki.h's enum ike_pki_map_field and
 * ike_pki_map_op (the matcher), so an entry converts by copying numbers. */
enum ike_cm_field {
    IKE_CM_SUBJECT_NAME,
    IKE_CM_ISSUER_NAME,
    IKE_CM_ALT_SUBJECT_NAME,
    IKE_CM_UNSTRUCTURED_SUBJECT_NAME,
    IKE_CM_NAME, /* any name of the certificate */
    IKE_CM_SERIAL_NUMBER,
    IKE_CM_NFIELDS
};
enum ike_cm_op { IKE_CM_EQ, IKE_CM_NE, IKE_CM_CO, IKE_CM_NC, IKE_CM_NOPS };
#define IKE_CM_VALUE_MAX 128 /* 127 characters (ike_pki.h's IKE_PKI_MAP_VALUE_MAX) */
extern const char *const ike_cm_field_names[IKE_CM_NFIELDS]; /* "subject-name" ... */
extern const char *const ike_cm_op_names[IKE_CM_NOPS];       /* "eq" ... */

struct ike_certmap_rule {
    enum ike_cm_field field;
    enum ike_cm_op op;
    char value[IKE_CM_VALUE_MAX]; /* lower case: IOS compares case-insensitively */
};

/* One `crypto pki certificate map NAME SEQ` entry: a certificate matches the entry when it
 * matches every rule; it matches the map when it matches any entry (in sequence order). */
struct ike_certmap {
    char name[IKE_CERTMAP_NAME_MAX];
    unsigned seq; /* 1-65535 */
    int nrules;
    struct ike_certmap_rule rule[IKE_CERTMAP_MAX_RULES];
    struct ike_certmap *next; /* grouped by name (in the order names appeared), by seq */
};

/* What the PKI module (ike/ike_pki.h) provides to the shell; composed in cli/ikegated.c. Every
 * function gets `ctx`; the optional ones may be NULL. Returns 0 or -1 with a message in err. */
struct ike_pki_hooks {
    void *ctx;
    /* `crypto pki import TP pem url PREFIX password PW`: PREFIX.ca, PREFIX.crt, PREFIX.prv. */
    int (*import_pem)(void *ctx, const char *tp, const char *prefix, const char *password,
                      char *err, size_t errlen);
    /* `crypto pki import TP pkcs12 PATH password PW` */
    int (*import_pkcs12)(void *ctx, const char *tp, const char *path, const char *password,
                         char *err, size_t errlen);
    /* `show crypto pki certificates [TP]`: the trustpoint's certificates in IOS's layout. */
    int (*render_certs)(void *ctx, const char *tp, struct strbuf *out);
    /* Optional. `show crypto pki trustpoints`: the lines after "Trustpoint TP:" (subject and
     * serial number of the CA certificate); -1 (nothing written) when it has none. */
    int (*render_trustpoint)(void *ctx, const char *tp, struct strbuf *out);
    /* Optional. A trustpoint was defined (also at boot): load what was saved for it. */
    void (*attach)(void *ctx, const char *tp);
    /* Optional. `no crypto pki trustpoint TP`: forget its certificates and saved files. */
    void (*remove)(void *ctx, const char *tp);
};

/* ---- Virtual-Template interfaces (the tunnel side; the shell keeps description, addresses
 * and the interface list) ---- */

enum ike_tunnel_mode {
    IKE_TUNNEL_MODE_DEFAULT,    /* not configured (IOS: GRE/IP); ikegate runs it as ipsec ipv4 */
    IKE_TUNNEL_MODE_IPSEC_IPV4, /* `tunnel mode ipsec ipv4` */
};

struct ike_vtemplate {
    unsigned long num; /* Virtual-TemplateN, 1-65535 */
    bool shutdown;
    char unnumbered[IKE_IPSEC_IFNAME_MAX];    /* `ip unnumbered`: full IOS name, "" none */
    char tunnel_source[IKE_IPSEC_IFNAME_MAX]; /* full IOS name or dotted quad, "" none */
    bool tunnel_source_is_addr;
    uint32_t tunnel_source_addr; /* host order, when tunnel_source_is_addr */
    enum ike_tunnel_mode mode;
    char ipsec_profile[IKE_IPSEC_NAME_MAX]; /* `tunnel protection ipsec profile`, "" none */
    bool shared;
    unsigned mtu;               /* `ip mtu` 68-9216, 0: the link's */
    unsigned tcp_mss;           /* `ip tcp adjust-mss` 500-1460, 0: none */
    struct ike_vtemplate *next; /* by number */
};
#define IKE_VT_MTU_MIN 68
#define IKE_VT_MTU_MAX 9216
#define IKE_VT_MSS_MIN 500
#define IKE_VT_MSS_MAX 1460

/* ---- the whole configuration ---- */

struct ike_ipsec_config {
    struct ike_transform_set *ts;
    struct ike_ipsec_profile *profiles;
    struct ike_trustpoint *tps;
    struct ike_certmap *certmaps;
    struct ike_vtemplate *vts;
    struct ike_pools *pools; /* `ip local pool` */
    size_t nts, nprofiles, ntps, ncertmaps;
};

/* With the default transform set and profile. -1 when out of memory. */
int ike_ipsec_config_init(struct ike_ipsec_config *c);
void ike_ipsec_config_fini(struct ike_ipsec_config *c);

/* Names: 1 to max-1 printable characters, no spaces. 0, or -1 and a message. */
int ike_ipsec_check_name(const char *name, size_t max, const char *what, char *err, size_t errlen);

/* ---- transform sets ---- */

/* The transform words of `crypto ipsec transform-set NAME ...` ("esp-aes", "256",
 * "esp-sha256-hmac"), in any order, into one proposal: exactly one cipher (esp-aes [128|192|256]
 * or esp-gcm [128|256]; 128 bits when no size is given, as IOS), an integrity transform
 * (esp-sha-hmac, esp-sha256-hmac, esp-sha384-hmac, esp-sha512-hmac) with esp-aes and none with
 * esp-gcm (a combined mode: RFC 4106 §8; ESP without integrity is refused, RFC 8221 §5). */
int ike_ts_parse(int argc, const char *const *argv, struct ike_esp_proposal *out, char *err,
                 size_t errlen);
/* The words of a proposal as IOS shows them in the running-config ("esp-aes 256
 * esp-sha256-hmac", "esp-gcm" for 128 bits). */
void ike_ts_words(const struct ike_esp_proposal *p, char *buf, size_t len);
struct ike_transform_set *ike_ts_find(const struct ike_ipsec_config *c, const char *name);
/* Create the set or replace its transforms (its mode is kept). NULL with a message on error. */
struct ike_transform_set *ike_ts_define(struct ike_ipsec_config *c, const char *name,
                                        const struct ike_esp_proposal *p, char *err, size_t errlen);
/* `no crypto ipsec transform-set NAME`; the default set returns to its built-in contents.
 * -1 when there is no such set. Profiles naming it keep the name (incomplete). */
int ike_ts_remove(struct ike_ipsec_config *c, const char *name);
/* Is it the default set with its built-in contents? */
bool ike_ts_is_builtin(const struct ike_transform_set *t);

/* ---- IPsec profiles ---- */

struct ike_ipsec_profile *ike_profile_find(const struct ike_ipsec_config *c, const char *name);
/* Find or create. NULL with a message (bad name, too many). */
struct ike_ipsec_profile *ike_profile_get(struct ike_ipsec_config *c, const char *name, char *err,
                                          size_t errlen);
/* The default profile returns to its built-in contents. -1 when there is no such profile. */
int ike_profile_remove(struct ike_ipsec_config *c, const char *name);
/* n 0 clears. Names are checked for form only, not existence; duplicates are refused. */
int ike_profile_set_ts(struct ike_ipsec_profile *p, int n, const char *const *names, char *err,
                       size_t errlen);
int ike_profile_set_ikev2(struct ike_ipsec_profile *p, const char *name /* NULL clears */,
                          char *err, size_t errlen);
int ike_profile_set_lifetime_sec(struct ike_ipsec_profile *p, long sec /* 0 default */, char *err,
                                 size_t errlen);
int ike_profile_set_lifetime_kb(struct ike_ipsec_profile *p, long kb /* 0 default, -1 disable */,
                                char *err, size_t errlen);
/* group: 0 (no PFS), 14, 15, 16, 19, 20, 21 (IOS's) or 31 (Curve25519, an ikegate extension). */
int ike_profile_set_pfs(struct ike_ipsec_profile *p, int group, char *err, size_t errlen);
int ike_profile_set_description(struct ike_ipsec_profile *p, const char *text /* NULL clears */,
                                char *err, size_t errlen);

/* ---- trustpoints and certificate maps ---- */

struct ike_trustpoint *ike_tp_find(const struct ike_ipsec_config *c, const char *name);
struct ike_trustpoint *ike_tp_get(struct ike_ipsec_config *c, const char *name, char *err,
                                  size_t errlen);
int ike_tp_remove(struct ike_ipsec_config *c, const char *name);
/* `enrollment terminal [pem] | url URL | selfsigned | pkcs12`; url only with IKE_TP_ENROLL_URL. */
int ike_tp_set_enroll(struct ike_trustpoint *t, enum ike_tp_enroll e, const char *url, char *err,
                      size_t errlen);
void ike_tp_set_revocation(struct ike_trustpoint *t, enum ike_tp_revocation r);
enum ike_tp_text {
    IKE_TP_SUBJECT_NAME,
    IKE_TP_SUBJECT_ALT_NAME,
    IKE_TP_RSAKEYPAIR,
    IKE_TP_FQDN,
    IKE_TP_IP_ADDRESS
};
/* text NULL clears. ip-address takes a dotted quad or "none"; rsakeypair one word. */
int ike_tp_set_text(struct ike_trustpoint *t, enum ike_tp_text which, const char *text, char *err,
                    size_t errlen);
/* pct 0: `auto-enroll` alone; 1-100; -1: off. */
int ike_tp_set_auto_enroll(struct ike_trustpoint *t, int pct, char *err, size_t errlen);

struct ike_certmap *ike_certmap_find(const struct ike_ipsec_config *c, const char *name,
                                     unsigned seq);
struct ike_certmap *ike_certmap_get(struct ike_ipsec_config *c, const char *name, unsigned seq,
                                    char *err, size_t errlen);
/* seq 0: every entry of the name. -1 when nothing matched. */
int ike_certmap_remove(struct ike_ipsec_config *c, const char *name, unsigned seq);
/* The entries of a map in sequence order: prev NULL for the first. NULL at the end. */
const struct ike_certmap *ike_certmap_next(const struct ike_ipsec_config *c, const char *name,
                                           const struct ike_certmap *prev);
/* Adding a rule the entry already has is a no-op. The value is stored in lower case. */
int ike_certmap_add_rule(struct ike_certmap *m, enum ike_cm_field f, enum ike_cm_op op,
                         const char *value, char *err, size_t errlen);
/* value NULL: every rule of that field (and op, unless op is IKE_CM_NOPS). -1 when none. */
int ike_certmap_remove_rule(struct ike_certmap *m, enum ike_cm_field f, enum ike_cm_op op,
                            const char *value);

/* ---- Virtual-Template ---- */

struct ike_vtemplate *ike_vt_find(const struct ike_ipsec_config *c, unsigned long num);
struct ike_vtemplate *ike_vt_get(struct ike_ipsec_config *c, unsigned long num, char *err,
                                 size_t errlen);
void ike_vt_remove(struct ike_ipsec_config *c, unsigned long num);
/* `default interface Virtual-TemplateN`: everything back to unset. */
void ike_vt_reset(struct ike_vtemplate *v);
/* A GigabitEthernet or Loopback (full or abbreviated IOS name); NULL clears. */
int ike_vt_set_unnumbered(struct ike_vtemplate *v, const char *ifname, char *err, size_t errlen);
/* An interface name or a dotted quad; NULL clears. */
int ike_vt_set_tunnel_source(struct ike_vtemplate *v, const char *src, char *err, size_t errlen);
void ike_vt_set_mode(struct ike_vtemplate *v, enum ike_tunnel_mode m);
int ike_vt_set_protection(struct ike_vtemplate *v, const char *profile /* NULL clears */,
                          bool shared, char *err, size_t errlen);
int ike_vt_set_mtu(struct ike_vtemplate *v, unsigned mtu /* 0 clears */, char *err, size_t errlen);
int ike_vt_set_tcp_mss(struct ike_vtemplate *v, unsigned mss /* 0 clears */, char *err,
                       size_t errlen);
/* The interface lines IOS prints after the address ("ip unnumbered", "ip mtu", "ip tcp
 * adjust-mss") and after `shutdown` ("tunnel ..."), one space indented. */
void ike_vt_render_ip(const struct ike_vtemplate *v, struct strbuf *out);
void ike_vt_render_tunnel(const struct ike_vtemplate *v, struct strbuf *out);

/* ---- rendering and show ---- */

/* `crypto pki trustpoint` blocks, then `crypto pki certificate map` entries. */
void ike_ipsec_render_pki(const struct ike_ipsec_config *c, struct strbuf *out);
/* `crypto ipsec transform-set` lines, then `crypto ipsec profile` blocks; the default objects
 * only where they differ from their built-in contents. */
void ike_ipsec_render_crypto(const struct ike_ipsec_config *c, struct strbuf *out);
/* `show crypto ipsec transform-set [NAME]`, `show crypto ipsec profile [NAME]`: -1 (nothing
 * written) when NAME names nothing. */
int ike_ipsec_show_ts(const struct ike_ipsec_config *c, const char *name, struct strbuf *out);
int ike_ipsec_show_profile(const struct ike_ipsec_config *c, const char *name, struct strbuf *out);

/* ---- what the IKE engine asks ---- */

/* An ESP proposal of a profile with the encapsulation mode of its transform set. */
struct ike_esp_offer {
    struct ike_esp_proposal prop;
    enum ike_ipsec_mode mode;
};
/* The ESP proposals of an IPsec profile, in priority order (its transform sets in order, each
 * set's alternatives in order), duplicates dropped, transform sets that do not exist skipped.
 * Returns the count (0: the profile is incomplete), or -1 when there is no such profile. */
int ike_ipsec_esp_offers(const struct ike_ipsec_config *c, const char *profile,
                         struct ike_esp_offer *out, size_t max);

struct ike_ipsec_sa_params {
    uint32_t lifetime_sec;     /* always set */
    uint64_t lifetime_kb;      /* 0: no volume limit (`kilobytes disable`) */
    int pfs;                   /* IKE_DH_* group for CREATE_CHILD_SA KE, 0: none */
    const char *ikev2_profile; /* "" when none; points into the configuration */
};
/* -1 when there is no such profile. */
int ike_ipsec_sa_params(const struct ike_ipsec_config *c, const char *profile,
                        struct ike_ipsec_sa_params *out);
/* What keeps a profile from being used: "" when nothing, else e.g. "transform set TS is not
 * defined". Returns true when complete. (Whether its IKEv2 profile exists is the IKEv2 side's
 * knowledge, so it is not checked here.) */
bool ike_ipsec_profile_complete(const struct ike_ipsec_config *c, const char *profile, char *why,
                                size_t len);
/* The IPsec profile protecting Virtual-TemplateN (NULL when the template does not exist or
 * names none). The profile itself may not exist yet: ike_profile_find tells. */
const char *ike_ipsec_vt_profile(const struct ike_ipsec_config *c, unsigned long num);

#endif
