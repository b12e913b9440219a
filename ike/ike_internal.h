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
/* RFC 7383 §2.6: an incomplete fragmented message is forgotten after this; as the RFC
 * recommends, the time we would give our own request before giving up on it. */
#define IKE_FRAG_TIMEOUT_MS 30000
#define IKE_TEMP_FAILURE_RETRY_MS 10000 /* §2.25: wait before asking again */

enum ike_sa_state {
    SA_HALF_OPEN, /* IKE_SA_INIT answered, waiting for IKE_AUTH */
    SA_ESTABLISHED,
    SA_DELETING, /* our DELETE sent, waiting for the answer */
    SA_REKEYED,  /* replaced by a rekeyed SA, waiting for the peer's DELETE */
};

enum ike_child_state {
    CH_ACTIVE,
    CH_REKEYED,  /* replaced by a rekeyed CHILD_SA: deleted by whoever rekeyed it (§2.8) */
    CH_DELETING, /* our DELETE for it is out (or queued): gone when answered */
};

struct ike_child {
    struct ike_child_kernel k;
    bool installed;
    enum ike_child_state st;
    bool want_rekey; /* soft lifetime reached: rekey when the request window is free */
    bool del_sent;   /* CH_DELETING: our DELETE naming it is out */
    int64_t created; /* ms, loop clock */
    time_t created_wall;
    int64_t rekey_at, expire_at; /* ms: soft (we rekey) and hard (it goes) lifetime */
    uint16_t dh;                 /* PFS group used, 0 none */
    struct ike_sa *sa;           /* its IKE SA (follows the children on an IKE SA rekey) */
    struct ike_child *next;      /* the IKE SA's children */
    struct ike_child *hnext;     /* by reqid (fixed for the CHILD_SA's life) */
};

/* Our own requests (window 1 each way, §2.3): what is outstanding. */
enum ike_req_kind {
    REQ_NONE,
    REQ_DPD,
    REQ_DELETE_IKE,
    REQ_DELETE_CHILD,
    REQ_REKEY_CHILD,
    REQ_NEW_CHILD,
    REQ_REKEY_IKE,
};

/* An outstanding CREATE_CHILD_SA of ours (ike_request.c): what the answer is checked and
 * completed against. */
struct ike_req_ctx {
    uint32_t old_spi_in; /* REQ_REKEY_CHILD: the CHILD_SA being replaced (our inbound SPI) */
    uint32_t spi_in;     /* REQ_*_CHILD: our new inbound SPI */
    uint32_t reqid;
    uint64_t spi_new;  /* REQ_REKEY_IKE: our SPI of the new IKE SA */
    struct ike_dh *dh; /* KE of the request (IKE rekey, PFS), NULL none */
    uint16_t group;    /* its group, for INVALID_KE_PAYLOAD retries */
    uint8_t ni[IKE_NONCE_LEN];
    struct ike_child_ts tsi, tsr; /* REQ_*_CHILD: our side, the peer's side */
    int retries;                  /* INVALID_KE / TEMPORARY_FAILURE */
    /* §2.8.1/§2.8.2: the peer rekeyed the same SA while this request was out; what it made
     * (the new CHILD_SA's inbound SPI or the new IKE SA's SPI of ours) and the lowest nonce
     * of its exchange, to decide which of the two redundant SAs goes. */
    bool collided;
    uint64_t coll_spi;
    uint8_t coll_nonce[IKE_NONCE_MAX];
    size_t coll_nonce_len;
};

/* RFC 7383 reassembly of one message (ike_frag.c). */
#define IKE_FRAG_MAX 64 /* fragments per message we keep */
struct ike_frag_rx {
    uint32_t msgid;
    uint16_t total, have;
    uint8_t first_np; /* Next Payload of fragment 1: the first inner payload */
    bool response;
    uint8_t exchange, flags;
    size_t bytes;
    int64_t started;
    uint8_t *part[IKE_FRAG_MAX]; /* decrypted content of fragment i+1 */
    uint16_t len[IKE_FRAG_MAX];
};

/* Datagrams kept for retransmission: one message, or all of its fragments (RFC 7383 §2.6:
 * they are sent again together). Records of a 2-byte length and the bytes. */
struct ike_dgrams {
    uint8_t *buf;
    size_t len;
    uint16_t n;
};

struct ike_sa {
    struct ike *ike;
    uint64_t spi_i, spi_r; /* as on the wire */
    /* We are the original initiator of this IKE SA (§2.2): our SPI is spi_i, we seal with
     * SK_ei/SK_ai and set the I flag. A rekey (§2.18) makes whoever started it the initiator
     * of the new SA. */
    bool initiator;
    struct ike_ep local, remote;
    bool natt;                  /* talking on 4500 (non-ESP marker) */
    bool nat_local, nat_remote; /* §2.23: we / the peer are behind a NAT */
    bool redirect_supported;    /* RFC 5685 REDIRECT_SUPPORTED or REDIRECTED_FROM seen */
    bool redirected_from;
    bool redirected_away; /* IKE_AUTH answered with REDIRECT: kept only for the DELETE */
    bool frag_peer;       /* the peer sent IKEV2_FRAGMENTATION_SUPPORTED */
    uint16_t frag_mtu;    /* RFC 7383 in use (both sides said so): IP datagram size; 0 off */
    bool psk_shared;      /* see ike_profile_view */
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
    struct ike_dgrams last_resp;
    struct ike_frag_rx *frag; /* a fragmented message being reassembled */
    /* Our own requests. */
    uint32_t tx_next;
    struct ike_dgrams req;
    int req_tries;
    enum ike_req_kind req_kind;
    struct ike_req_ctx *rq; /* REQ_REKEY_*, REQ_NEW_CHILD */
    int64_t req_due;        /* ms; retransmit or give up */
    bool want_rekey_ike;    /* soft lifetime reached */
    bool want_delete;       /* `clear`: DELETE once the request window is free */
    int64_t retry_at;       /* TEMPORARY_FAILURE: not before this (ms) */
    uint32_t acquire_reqid; /* a CHILD_SA to negotiate again (kernel ACQUIRE), 0 none */
    uint64_t iv_counter;
    /* Times (loop ms) */
    int64_t created, last_rx, expires, dpd_due, rekey_at;
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
    /* Table links. A table's key is fixed while the SA is in it: remote moves with the peer
     * (the float to 4500, NAT rebinding), so the half-open table keeps its own copy of the
     * endpoint the first IKE_SA_INIT came from. */
    struct ike_sa *hnext_r; /* by our SPI (spi_r, or spi_i when we are the initiator) */
    struct ike_sa *hnext_i; /* by spi_i + i_key (half-open only) */
    struct ike_ep i_key;
    bool in_i_table;
    struct ike_sa *prev, *next; /* all SAs, oldest first */
    struct loop_timer *timer;
    unsigned conn_id; /* IOS's "Tunnel-id" in show */
};

static inline uint64_t ike_sa_spi_local(const struct ike_sa *sa)
{
    return sa->initiator ? sa->spi_i : sa->spi_r;
}

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

struct ike_child_hash {
    struct ike_child **b;
    size_t nb, n;
};

struct ike {
    loop_t *loop;
    struct ike_send_port send;
    struct ike_policy_port policy;
    struct ike_kernel_port kernel;
    bool has_kernel;
    struct ike_redirect_port redirect;
    struct ike_hash by_r, by_i;
    struct ike_child_hash by_reqid;
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
    uint8_t fragbuf[IKE_MAX_MSG + 4]; /* a reassembled message (RFC 7383) */
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
/* A new SA in the tables. Responder (initiator false): spi_peer is the peer's SPIi, ours is
 * made (spi_r) and the SA is half-open in the SPIi table too. Initiator: our SPI is spi_local
 * (0: make one), the peer's (spi_r) comes later. */
struct ike_sa *ike_sa_new(struct ike *ike, const struct ike_ep *local, const struct ike_ep *remote,
                          uint64_t spi_peer, bool initiator, uint64_t spi_local);
/* An SPI no SA of ours uses (for an SA made later). */
uint64_t ike_fresh_spi(struct ike *ike);
void ike_sa_destroy(struct ike_sa *sa, const char *why);
struct ike_sa *ike_sa_by_spi(struct ike *ike, uint64_t spi_local);
struct ike_sa *ike_sa_by_i(struct ike *ike, uint64_t spi_i, const struct ike_ep *remote);
void ike_sa_drop_i(struct ike_sa *sa);
void ike_sa_arm(struct ike_sa *sa);
/* Frame (non-ESP marker on 4500) and send from sa->local to sa->remote. */
void ike_send_raw(struct ike *ike, const struct ike_ep *from, const struct ike_ep *to,
                  const uint8_t *buf, size_t len);
void ike_drop(struct ike *ike, enum ike_drop why, const struct ike_ep *from, const char *detail);
void ike_dbg_msg(struct ike *ike, bool out, const struct ike_ep *peer, const struct ike_msg *m,
                 const struct ike_pl *inner, int ninner);
const char *ike_ep_str(const struct ike_ep *e, char *buf, size_t cap);
/* Datagram records (struct ike_dgrams). */
void ike_dgrams_clear(struct ike_dgrams *d);
bool ike_dgrams_add(struct ike_dgrams *d, const uint8_t *p, size_t n);
void ike_dgrams_send(struct ike *ike, const struct ike_dgrams *d, const struct ike_ep *from,
                     const struct ike_ep *to);

/* ike_child.c: CHILD_SAs in the engine and the kernel */
/* A child into the SA's list and the reqid table; its lifetimes start now. */
void ike_child_link(struct ike_sa *sa, struct ike_child *c);
/* Out of the lists, out of the kernel when tell_kernel (and installed), freed. */
void ike_child_remove(struct ike_sa *sa, struct ike_child *c, bool tell_kernel);
struct ike_child *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi);
struct ike_child *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi);
struct ike_child *ike_child_by_reqid(struct ike *ike, uint32_t reqid, uint32_t spi);
uint32_t ike_next_reqid(struct ike *ike);
/* The earliest lifetime deadline of sa's children (0: none); ike_child_timers acts on the
 * ones that are due. */
int64_t ike_child_next_due(const struct ike_sa *sa);
void ike_child_timers(struct ike_sa *sa, int64_t now);

/* ike_frag.c: RFC 7383 */
/* A protected message (built with ikew_sk_begin..ikew_finish in ike->txbuf, sk_off its SK
 * payload, plaintext) sealed into out: whole, or as fragments when fragmentation is in use
 * on sa and the message is larger than a fragment may be. false when it cannot be built. */
bool ike_seal_out(struct ike_sa *sa, size_t len, size_t sk_off, struct ike_dgrams *out);
/* An SKF message for sa (header checked, SKF payload at index m->sk): verify, decrypt, keep.
 * Returns 1 with the reassembled inner chain in ike->fragbuf (*inner_len, *first_np) when
 * the message is complete, 0 when more fragments are awaited or it was dropped. */
int ike_frag_input(struct ike_sa *sa, const struct ike_msg *m, uint8_t *msgbuf, size_t len,
                   size_t *inner_len, uint8_t *first_np);
void ike_frag_rx_free(struct ike_sa *sa);
/* Drops a reassembly that has waited too long; the deadline to look again (0: none). */
int64_t ike_frag_expire(struct ike_sa *sa, int64_t now);

/* ike_exchange.c */
void ike_handle_init(struct ike *ike, const struct ike_ep *local, const struct ike_ep *remote,
                     const struct ike_msg *m);
/* A request on an existing SA, SK already opened: inner payloads given. */
void ike_handle_request(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *inner,
                        int ninner);
/* Start a protected message of ours (a response to msgid, or a request) in ike->txbuf. */
void ike_msg_begin(struct ike_sa *sa, struct ike_wbuf *w, uint8_t exchange, bool response,
                   uint32_t msgid);
/* Close, seal (fragments if need be) and send; a response is kept for retransmissions, a
 * request (kind) until it is answered. false if it could not be built. */
bool ike_msg_send(struct ike_sa *sa, struct ike_wbuf *w, bool response);
/* An error notify as the whole (protected) response to m. */
void ike_respond_notify(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
                        const uint8_t *data, size_t len);
bool ike_notify_find(const struct ike_pl *pl, int npl, uint16_t type, struct ike_notify *out);
uint8_t *ike_dup_bytes(const void *p, size_t n);
/* Move everything a session owns (children, pool address, settings) from sa to ns (a
 * rekey, §2.18) and establish ns. */
void ike_sa_inherit(struct ike_sa *ns, struct ike_sa *sa);
void ike_establish(struct ike_sa *sa);

/* Proposal choice (ike_exchange.c): */
struct ike_choice {
    uint8_t propnum;
    uint8_t spi_size;
    uint8_t spi[8];
    uint16_t encr, keylen, integ, prf, dh;
};
int ike_choose(const struct ike_sa_pl *sa, const struct ike_prop_cfg *cfg, int ncfg, uint8_t proto,
               uint16_t want_dh, struct ike_choice *out, uint16_t *invalid_ke);
void ike_put_choice(struct ike_wbuf *w, uint8_t proto, const struct ike_choice *c,
                    const uint8_t *spi, uint8_t spi_size);
/* Our proposals as an SA payload (a request): every transform of each, with spi. */
void ike_put_offer(struct ike_wbuf *w, uint8_t proto, const struct ike_prop_cfg *cfg, int n,
                   const uint8_t *spi, uint8_t spi_size, uint16_t only_dh);

/* ike_child.c: CREATE_CHILD_SA as responder, the CHILD_SA of IKE_AUTH */
struct ike_child_req {
    const struct ike_sa_pl *sa;
    struct ike_ts_set tsi, tsr;
    uint16_t ke_group;
    const uint8_t *ke;
    size_t ke_len;
};
int ike_child_req_parse(const struct ike_pl *pl, int npl, struct ike_child_req *cr,
                        struct ike_sa_pl *sabuf);
/* What a CHILD_SA negotiated as responder puts in the answer (ike_child_write). */
struct ike_child_out {
    struct ike_choice ch;
    struct ike_ts_set ti, tr; /* narrowed */
    uint8_t pub[IKE_MAX_DH_LEN];
    size_t publen;             /* PFS: our KE */
    uint32_t spi_in;           /* ours */
    uint16_t invalid_ke_group; /* with IKE_N_INVALID_KE_PAYLOAD: the group we want */
};
/* Negotiate and install one CHILD_SA as responder (the peer's request cr, our nonce nr).
 * `reuse`: the CHILD_SA it rekeys, whose reqid (and so the kernel policies) it takes over when
 * the selectors are the same (NULL: a new one). Returns 0 with *made and *o filled, or the
 * notify type to answer with. */
uint16_t ike_child_respond(struct ike_sa *sa, const struct ike_child_req *cr, const uint8_t *ni,
                           size_t nilen, const uint8_t *nr, size_t nrlen,
                           const struct ike_prop_cfg *esp, int nesp, uint32_t lifetime,
                           uint64_t lifetime_kb, struct ike_child *reuse, struct ike_child **made,
                           struct ike_child_out *o);
/* SA [+ Nr] [+ KE] + TSi + TSr of o into w (nr NULL: no nonce, as in IKE_AUTH). */
void ike_child_write(struct ike_wbuf *w, const struct ike_child_out *o, const uint8_t *nr,
                     size_t nrlen);
int ike_child_alloc_spi(struct ike_sa *sa, uint32_t reqid, uint32_t *spi);
void ike_child_fill(struct ike_sa *sa, struct ike_child *c);
void ike_child_set_suite(struct ike_sa *sa, struct ike_child *c, uint16_t encr, uint16_t keylen,
                         uint16_t integ);
void ike_child_set_lifetime(struct ike_child *c, uint32_t seconds, uint64_t kb);
void ike_create_child(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *pl, int npl);
/* Install a CHILD_SA whose parameters are in c->k (keys from keymat: i->r then r->i, the
 * exchange initiator's view: `we_initiated` picks which is inbound). 0 or the notify. */
uint16_t ike_child_install(struct ike_sa *sa, struct ike_child *c, const uint8_t *keymat,
                           bool we_initiated);

/* ike_request.c: our own requests */
/* Start the next pending request when none is outstanding. */
void ike_sa_kick(struct ike_sa *sa);
void ike_handle_response(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *inner,
                         int ninner);
void ike_send_dpd(struct ike_sa *sa);
void ike_send_delete(struct ike_sa *sa);
void ike_retransmit(struct ike_sa *sa);
void ike_req_ctx_free(struct ike_sa *sa);
/* The peer's rekey of a CHILD_SA (c) or of this IKE SA came while ours was out: remember
 * what it made and its lowest nonce (§2.8.1, §2.8.2). */
void ike_req_note_collision(struct ike_sa *sa, uint64_t made_spi, const uint8_t *n1, size_t l1,
                            const uint8_t *n2, size_t l2);
/* Jittered soft lifetime (ms from now) for a lifetime of s seconds (§2.8: jitter). */
int64_t ike_soft_lifetime_ms(uint32_t s);

#endif
