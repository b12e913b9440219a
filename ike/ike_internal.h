/* Engine internals shared by ike_engine.c (SA table, timers, I/O framing), ike_exchange.c
 * (the responder's exchanges) and ike_show.c. Not for use outside ike/. */
#ifndef IKEGATE_IKE_INTERNAL_H
#define IKEGATE_IKE_INTERNAL_H

#include "ike/ike.h"
#include "platform/log.h"

#define IKE_PORT 500
#define IKE_NATT_PORT 4500
#define IKE_HALF_OPEN_MS 30000 /* a half-open SA without IKE_AUTH is dropped after this */
#define IKE_RETRANSMIT_MS 2000 /* first retransmit of our own requests; doubles */
#define IKE_RETRANSMIT_TRIES 5
#define IKE_NONCE_LEN 32
#define IKE_COOKIE_SECRET_MS 60000 /* §2.6: the secret changes periodically */

enum ike_sa_state {
    SA_HALF_OPEN, /* IKE_SA_INIT answered, waiting for IKE_AUTH */
    SA_ESTABLISHED,
    SA_DELETING, /* our DELETE sent, waiting for the answer */
    SA_REKEYED,  /* replaced by a rekeyed SA, waiting for the peer's DELETE */
};

struct ike_child {
    struct ike_child_kernel k;
    bool installed;
    int64_t created; /* ms, loop clock */
    time_t created_wall;
    uint16_t dh; /* PFS group used, 0 none */
    struct ike_child *next;
};

enum ike_req_kind { REQ_NONE, REQ_DPD, REQ_DELETE_IKE, REQ_DELETE_CHILD };

struct ike_sa {
    struct ike *ike;
    uint64_t spi_i, spi_r;
    struct ike_ep local, remote;
    bool natt;                  /* talking on 4500 (non-ESP marker) */
    bool nat_local, nat_remote; /* §2.23: we / the peer are behind a NAT */
    bool redirect_supported;    /* RFC 5685 REDIRECT_SUPPORTED or REDIRECTED_FROM seen */
    bool redirected_from;
    bool redirected_away; /* IKE_AUTH answered with REDIRECT: kept only for the DELETE */
    uint8_t sig_hashes;   /* RFC 7427 hash bitmask the peer announced (bit = id) */
    enum ike_sa_state state;
    struct ike_keys keys;
    /* IKE_SA_INIT material, freed once IKE_AUTH is done (§2.15 needs both messages). */
    uint8_t *ni, *nr;
    size_t nilen, nrlen;
    uint8_t *init_req, *init_resp;
    size_t init_req_len, init_resp_len;
    /* Requests from the peer (window 1, §2.3). */
    uint32_t rx_next;
    uint8_t *last_resp;
    size_t last_resp_len;
    /* Our own requests. */
    uint32_t tx_next;
    uint8_t *req;
    size_t req_len;
    int req_tries;
    enum ike_req_kind req_kind;
    int64_t req_due; /* ms; retransmit or give up */
    uint64_t iv_counter;
    /* Times (loop ms) */
    int64_t created, last_rx, expires, dpd_due;
    uint32_t lifetime; /* s, from the profile */
    time_t created_wall;
    /* From the profile */
    /* Names shared by many sessions are interned (ike_intern): never "" pointers to NULL. */
    const char *profile;
    char peer_id[96];     /* text form of IDi */
    const char *local_id; /* text form of IDr */
    const char *pool;
    uint32_t vip; /* network order */
    enum ike_dpd_mode dpd;
    uint32_t dpd_interval, dpd_retry, nat_keepalive;
    uint64_t dpd_in, dpd_out; /* packet counters at the last on-demand look */
    int64_t keepalive_due;
    uint8_t auth_remote, auth_local; /* IKE_AM_* used */
    int vtemplate;
    struct ike_child *children;
    /* Table links */
    struct ike_sa *hnext_r; /* by spi_r */
    struct ike_sa *hnext_i; /* by spi_i + remote address (half-open only) */
    bool in_i_table;
    struct ike_sa *prev, *next; /* all SAs, oldest first */
    struct loop_timer *timer;
    unsigned conn_id; /* IOS's "Tunnel-id" in show */
};

struct ike_hash {
    struct ike_sa **b;
    size_t nb, n;
};

#define IKE_DH_CACHE 8       /* groups with a live reusable exponential */
#define IKE_DH_REUSE_MS 1000 /* RFC 7296 §2.12: reuse for at most this long... */
#define IKE_DH_REUSE_MAX 256 /* ...and this many IKE_SA_INITs */
struct ike_dh_cache {
    struct ike_dh *dh;
    uint16_t group;
    int64_t born;
    unsigned uses;
};

struct ike {
    loop_t *loop;
    struct ike_send_port send;
    struct ike_policy_port policy;
    struct ike_kernel_port kernel;
    bool has_kernel;
    struct ike_redirect_port redirect;
    struct ike_hash by_r, by_i;
    struct ike_sa *first, *last;
    uint32_t half_open, established, nchildren;
    uint32_t next_reqid;
    unsigned next_conn_id;
    uint8_t cookie_secret[32], cookie_secret_old[32];
    uint8_t cookie_version;
    int64_t cookie_rotated;
    struct ike_stats st;
    struct ike_dh_cache dhc[IKE_DH_CACHE];
    struct loop_timer *dh_timer; /* forgets stale exponentials even when no SA comes */
    struct ike_name *names;      /* interned strings (profile and pool names, our identities) */
    uint8_t rxbuf[IKE_MAX_MSG + 4];
    uint8_t txbuf[IKE_MAX_MSG + 4];
};

/* `debug crypto ikev2` alone turns every IKEv2 flag on; hexdump implies packet. */
extern struct debug_flag ike_dbg_all;
#define IKE_DBG(f) (ike_dbg_##f.on || ike_dbg_all.on)

struct ike_name {
    struct ike_name *next;
    char s[];
};

/* ike_engine.c */
/* The one copy of s kept for the engine's life ("" for NULL). Strings that name
 * configuration objects repeat across thousands of sessions. */
const char *ike_intern(struct ike *ike, const char *s);
/* Free the reusable DH exponentials that are too old (all: force). */
void ike_dh_cache_expire(struct ike *ike, bool force);
struct ike_sa *ike_sa_new(struct ike *ike, const struct ike_ep *local, const struct ike_ep *remote,
                          uint64_t spi_i);
void ike_sa_destroy(struct ike_sa *sa, const char *why);
struct ike_sa *ike_sa_by_r(struct ike *ike, uint64_t spi_r);
struct ike_sa *ike_sa_by_i(struct ike *ike, uint64_t spi_i, const struct ike_ep *remote);
void ike_sa_rehash_r(struct ike_sa *sa, uint64_t new_spi_r); /* IKE SA rekey moves keys */
void ike_sa_drop_i(struct ike_sa *sa);
void ike_sa_arm(struct ike_sa *sa);
/* Frame (non-ESP marker on 4500) and send from sa->local to sa->remote. */
void ike_send_raw(struct ike *ike, const struct ike_ep *from, const struct ike_ep *to,
                  const uint8_t *buf, size_t len);
void ike_drop(struct ike *ike, enum ike_drop why, const struct ike_ep *from, const char *detail);
void ike_child_remove(struct ike_sa *sa, struct ike_child *c, bool tell_kernel);
void ike_dbg_msg(struct ike *ike, bool out, const struct ike_ep *peer, const struct ike_msg *m,
                 const struct ike_pl *inner, int ninner);
const char *ike_ep_str(const struct ike_ep *e, char *buf, size_t cap);

/* ike_exchange.c */
void ike_handle_init(struct ike *ike, const struct ike_ep *local, const struct ike_ep *remote,
                     const struct ike_msg *m);
/* A request on an existing SA, SK already opened: inner payloads given. */
void ike_handle_request(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *inner,
                        int ninner);
void ike_handle_response(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *inner,
                         int ninner);
/* Our own requests: liveness check and deletes. */
void ike_send_dpd(struct ike_sa *sa);
void ike_send_delete(struct ike_sa *sa);
void ike_retransmit(struct ike_sa *sa);

#endif
