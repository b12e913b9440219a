/* The IKEv2 engine: SA table, exchanges (RFC 7296), NAT-T (RFC 3948), liveness, on the loop.
 *
 * The engine owns no sockets and reads no configuration directly. It is driven by
 * ike_input() (a datagram with its addresses and ports) and by its timers, and it talks to
 * the world through ports that cli/ikegated.c plugs in:
 * - the send port puts a datagram on the wire from a given local address/port;
 * - the policy port answers the configuration questions (acceptable proposals, the profile
 *   for a peer, keys, pools) so that the engine does not know how IOS configuration is kept;
 * - the kernel port installs CHILD_SAs (ipsec-xfrm); NULL means `--dataplane none`: SPIs
 *   are random and nothing is installed;
 * - the redirect port (the cluster) decides whether a new client goes elsewhere (RFC 5685).
 * Unit tests plug recording doubles into all of them and drive a manual clock. */
#ifndef IKEGATE_IKE_H
#define IKEGATE_IKE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike_crypto.h"
#include "ike/ike_wire.h"

struct strbuf;
struct ike;
typedef struct loop loop_t;

/* An IPv4 endpoint, network order (the engine is IPv4-only for now: RFC 7296 allows both). */
struct ike_ep {
    uint32_t addr; /* network order */
    uint16_t port; /* host order */
};

/* One acceptable IKE SA or ESP proposal, in preference order within each list. ENCR entries
 * carry their key length; integ is empty (or IKE_INTEG_NONE) for AEAD. */
#define IKE_CFG_MAX_ALG 8
struct ike_prop_cfg {
    int nencr, ninteg, nprf, ndh;
    struct {
        uint16_t id, keylen;
    } encr[IKE_CFG_MAX_ALG];
    uint16_t integ[IKE_CFG_MAX_ALG];
    uint16_t prf[IKE_CFG_MAX_ALG];
    uint16_t dh[IKE_CFG_MAX_ALG]; /* for ESP: the PFS group(s), empty = no PFS */
};
#define IKE_CFG_MAX_PROPS 8
struct ike_prop_list {
    int n;
    struct ike_prop_cfg p[IKE_CFG_MAX_PROPS];
};

enum ike_authm { IKE_AM_NONE = 0, IKE_AM_PSK = 1, IKE_AM_RSA = 2, IKE_AM_ECDSA = 4 };
enum ike_dpd_mode { IKE_DPD_OFF = 0, IKE_DPD_PERIODIC, IKE_DPD_ON_DEMAND };
#define IKE_MAX_ROUTES 16
#define IKE_MAX_TRUSTPOINTS 8

/* What the policy port decides for one peer at IKE_AUTH: the profile, flattened. */
struct ike_profile_view {
    char name[64];
    unsigned auth_remote; /* allowed IKE_AM_* bitmask */
    unsigned auth_local;  /* one IKE_AM_* */
    uint8_t psk_remote[128], psk_local[128];
    size_t psk_remote_len, psk_local_len;
    /* Our identity (IDr): IKE_ID_* and data; IKE_ID_DER_ASN1_DN with len 0 means "the subject
     * of our certificate" (IOS `identity local dn`); IKE_ID_IPV4_ADDR with len 0 means "the
     * address the request arrived on" (the IOS default). */
    uint8_t id_type;
    uint8_t id_data[256];
    size_t id_len;
    /* Verify peer certificates against each of these in turn (ike_pki), as IOS tries every
     * `pki trustpoint` of the profile that is not `sign` only. */
    void *trustpoints[IKE_MAX_TRUSTPOINTS];
    int ntrustpoints;
    void *signer; /* our certificate + key (ike_pki); NULL: none */
    /* The remote pre-shared key is not bound to the peer's identity (a keyring peer matched by
     * address or host name, the profile's own key, a key-id): whoever holds the key can claim
     * the identity, so many clients may share it. INITIAL_CONTACT then acts only on SAs from
     * the same address (docs/cli.md). */
    bool psk_shared;
    uint32_t lifetime; /* IKE SA lifetime, s */
    enum ike_dpd_mode dpd;
    uint32_t dpd_interval, dpd_retry; /* s */
    uint32_t nat_keepalive;           /* s, 0 off */
    char pool[64];                    /* "" none */
    uint32_t dns[2];                  /* network order, 0 none */
    uint32_t netmask;                 /* network order, 0 none */
    int nroutes;
    struct {
        uint32_t addr, mask; /* network order */
    } routes[IKE_MAX_ROUTES];
    char def_domain[256];
    int vtemplate;            /* Virtual-Template number, 0 none */
    struct ike_prop_list esp; /* from the IPsec profile's transform sets (+ PFS groups) */
    uint32_t child_lifetime;  /* s */
    uint64_t child_lifetime_kb;
};

/* Peer identity as received (IDi) plus its certificate, for profile selection. */
struct ike_peer_info {
    struct ike_ep local, remote;
    uint8_t id_type;
    const uint8_t *id_data;
    size_t id_len;
    uint8_t auth_method; /* the AUTH payload's method (IKE_AUTH_*), 0 when absent */
    void *cert;          /* struct ike_pki_cert * of the peer's end-entity certificate, or NULL */
};

/* The global `crypto ikev2` settings the engine acts on. */
struct ike_globals {
    uint32_t cookie_threshold, max_in_negotiation, max_sa; /* 0 = unlimited */
    /* `crypto ikev2 fragmentation [mtu N]` (RFC 7383): the largest IP datagram an IKE fragment
     * may make, 68-1500 (IOS's default 576); 0: fragmentation off, not offered. */
    uint16_t frag_mtu;
};

struct ike_policy_port {
    void *ctx;
    /* Acceptable IKE SA proposals for a request that arrived on `local`. */
    void (*ike_proposals)(void *ctx, uint32_t local, struct ike_prop_list *out);
    /* CERTREQ data to send in IKE_SA_INIT (SHA-1 of every trusted CA's SPKI); 0 = none. */
    size_t (*certreq)(void *ctx, uint8_t *buf, size_t cap);
    /* Choose the profile for a peer; 0 and *out filled, or -1 with a reason (log text). */
    int (*profile)(void *ctx, const struct ike_peer_info *peer, struct ike_profile_view *out,
                   char *why, size_t whylen);
    /* The same profile again by name (CREATE_CHILD_SA after a configuration change); 0 or -1. */
    int (*profile_by_name)(void *ctx, const char *name, const struct ike_peer_info *peer,
                           struct ike_profile_view *out, char *why, size_t whylen);
    /* Pool address for a session (key: the peer identity text); 0 and *addr (network order)
     * or -1 when the pool does not exist or is exhausted. */
    int (*pool_alloc)(void *ctx, const char *pool, const char *key, uint32_t *addr);
    void (*pool_release)(void *ctx, const char *pool, uint32_t addr);
    /* Global settings, read on every new SA, so changes apply at once. */
    void (*globals)(void *ctx, struct ike_globals *out);
};

/* A CHILD_SA's traffic selectors, kept small: a CHILD_SA lives as long as the session and
 * there may be 100,000 of them. IPv4 ranges in host order (the data plane is IPv4). */
#define IKE_CHILD_MAX_TS 4
struct ike_ts4 {
    uint32_t lo, hi;
    uint16_t sport, eport;
    uint8_t proto;
};
struct ike_child_ts {
    uint8_t n;
    struct ike_ts4 ts[IKE_CHILD_MAX_TS];
};

/* A CHILD_SA as the kernel port sees it: both directions. */
struct ike_child_kernel {
    struct ike_ep local, remote; /* outer addresses; ports matter when encap */
    bool encap;                  /* ESP-in-UDP (RFC 3948) */
    uint32_t spi_in, spi_out;    /* host order; in = ours (the peer sends to it) */
    uint32_t reqid;
    uint16_t encr, keylen, integ;
    /* Keys: encryption key (with the GCM salt) then integrity key, each direction. They are
     * lent to add_child only (NULL otherwise): the kernel keeps them, we do not. */
    const uint8_t *key_in, *key_out;
    uint8_t enc_key_len, integ_key_len;
    struct ike_child_ts ts_local, ts_remote;
    int vtemplate;      /* Virtual-Template number, 0 none */
    uint32_t if_id;     /* the xfrm interface the kernel port put it on (add_child sets it);
                         * 0: policy-based */
    uint32_t client_ip; /* pool address (network order) for the /32 route, 0 none */
    /* The policies of the selectors and the route to client_ip go with this CHILD_SA. A
     * rekeyed CHILD_SA keeps its predecessor's reqid and selectors, so the kernel moves the
     * traffic to the newest SA of the reqid by itself: only the SAs are added and removed,
     * and the plumbing passes from the old CHILD_SA to the new one. */
    bool plumb;
    /* Lifetimes (hard: the kernel removes the SA): seconds, and kilobytes (0 none) with the
     * soft limit at which the engine is told to rekey (an EXPIRE event). */
    uint32_t lifetime_s;
    uint64_t lifetime_kb, soft_kb;
};
/* Every CHILD_SA's reqid lies in this range, so that the kernel port can find (and flush)
 * exactly this appliance's SAs and policies. */
#define IKE_REQID_BASE 0x49470000u /* "IG" */
#define IKE_REQID_COUNT 0x00100000u
struct ike_child_counters {
    uint64_t in_bytes, in_packets, out_bytes, out_packets;
};
struct ike_kernel_port {
    void *ctx;
    /* Our inbound SPI for a new CHILD_SA (reserved in the kernel). 0 or -errno. */
    int (*alloc_spi)(void *ctx, const struct ike_ep *local, const struct ike_ep *remote,
                     uint32_t reqid, uint32_t *spi);
    /* Install SAs (and with c->plumb the policies and routes); 0 or -errno (the engine logs
     * strerror). Records in c->if_id the xfrm interface used, for del_child. */
    int (*add_child)(void *ctx, struct ike_child_kernel *c);
    void (*del_child)(void *ctx, const struct ike_child_kernel *c);
    int (*counters)(void *ctx, const struct ike_child_kernel *c, struct ike_child_counters *out);
};

/* What the kernel says about the CHILD_SAs (XFRM EXPIRE and ACQUIRE events): a CHILD_SA
 * reached its soft (rekey it) or hard limit (it is gone from the kernel), identified by its
 * reqid and one of its SPIs; or outbound traffic met a policy of ours with no SA (reqid of
 * the policy's template): the engine negotiates the CHILD_SA again. */
void ike_kernel_expire(struct ike *ike, uint32_t reqid, uint32_t spi, bool hard);
void ike_kernel_acquire(struct ike *ike, uint32_t reqid);

/* Send a datagram (already framed: on port 4500 the engine has put the non-ESP marker). */
struct ike_send_port {
    void *ctx;
    void (*send)(void *ctx, const struct ike_ep *from, const struct ike_ep *to, const uint8_t *buf,
                 size_t len);
};

/* RFC 5685: for a new client that supports redirect (and was not redirected here), stay
 * (false) or go to *target (network order). phase: IKE_SA_INIT (asked before any state is
 * kept; profile is NULL; local is where the request arrived) or IKE_AUTH (asked once the client's
 * AUTH verified; profile names the profile it matched). The port decides from its configuration
 * whether that phase redirects at all. */
struct ike_redirect_port {
    void *ctx;
    bool (*pick)(void *ctx, const struct ike_ep *local, const struct ike_ep *client, uint8_t phase,
                 const char *profile, uint32_t *target);
};

struct ike;
struct ike *ike_new(loop_t *loop, const struct ike_send_port *send,
                    const struct ike_policy_port *policy, const struct ike_kernel_port *kernel);
/* Deletes every SA (children removed from the kernel, pool addresses released) without
 * telling peers, then frees. */
void ike_free(struct ike *ike);
/* NULL: never redirect. */
void ike_set_redirect(struct ike *ike, const struct ike_redirect_port *r);

/* A datagram from the wire: `local` is where it arrived (address + port 500 or 4500). On 4500
 * buf still starts with the non-ESP marker (or is a keepalive). */
void ike_input(struct ike *ike, const struct ike_ep *local, const struct ike_ep *remote,
               const uint8_t *buf, size_t len);

/* Why an IKE fragment (RFC 7383) was dropped. */
enum ike_frag_drop {
    IKE_FRAG_DROP_NOT_NEGOTIATED, /* fragmentation was not agreed on this SA */
    IKE_FRAG_DROP_INVALID,        /* numbers zero, number > total, fewer than before (§2.6) */
    IKE_FRAG_DROP_REPLAY,         /* this fragment is already held (§2.6) */
    IKE_FRAG_DROP_TOO_MANY,       /* more fragments than IKE_FRAG_MAX */
    IKE_FRAG_DROP_TOO_BIG,        /* the message would be larger than IKE_MAX_MSG */
    IKE_FRAG_DROP_TIMEOUT,        /* an incomplete message was given up (§2.6) */
    IKE_FRAG_DROP_NCOUNT
};
const char *ike_frag_drop_name(enum ike_frag_drop r);

/* Counters for `show crypto ikev2 stats`. */
struct ike_stats {
    uint64_t rx, tx, rx_bytes, tx_bytes;
    uint64_t drops[IKE_DROP_NCOUNT];
    uint64_t init_in, auth_in, child_in, info_in;
    uint64_t sa_up, sa_failed_auth, sa_deleted, sa_expired, dpd_dead;
    uint64_t cookies_sent, invalid_ke_sent, retransmits_answered, retransmits_sent;
    uint64_t child_up, child_failed, child_rekeys, ike_rekeys, redirects;
    /* Answers that refuse (IKE_SA_INIT and CREATE_CHILD_SA; AUTHENTICATION_FAILED is
     * sa_failed_auth), proposals past the per-payload cap. */
    uint64_t no_proposal_sent, ts_unacceptable_sent, temp_failure_sent, addr_failure_sent;
    uint64_t proposals_skipped;
    /* Our own requests: rekeys we started, CHILD_SAs that reached their lifetime. */
    uint64_t child_rekeys_sent, ike_rekeys_sent, child_expired, kernel_expires, acquires;
    /* INITIAL_CONTACT: older IKE SAs it removed; addresses given back when every CHILD_SA of
     * an IKE_AUTH failed. */
    uint64_t initial_contact_deleted, leases_released_childless;
    /* RFC 7383 */
    uint64_t frag_in, frag_out, frag_reassembled, frag_dropped[IKE_FRAG_DROP_NCOUNT];
    uint32_t half_open, established, children;
};
void ike_get_stats(const struct ike *ike, struct ike_stats *st);
void ike_clear_stats(struct ike *ike);

/* Shell output (IOS layouts). peer: 0 = all. */
void ike_show_sa(struct ike *ike, bool detailed, struct strbuf *out);
void ike_show_ipsec_sa(struct ike *ike, uint32_t peer, struct strbuf *out);
void ike_show_session(struct ike *ike, bool detail, struct strbuf *out);
void ike_show_stats(struct ike *ike, struct strbuf *out);
/* `clear crypto ikev2 sa` / `clear crypto session`: send DELETE and remove; peer 0 = all.
 * Returns how many SAs were cleared. */
int ike_clear_sa(struct ike *ike, uint32_t peer);

/* The debug flags (`debug crypto ikev2 ...`), registered by ike_new. */
extern struct debug_flag ike_dbg_packet, ike_dbg_hexdump, ike_dbg_error, ike_dbg_internal;

#endif
