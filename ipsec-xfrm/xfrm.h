/* The kernel IPsec data plane: XFRM SAs and policies over NETLINK_XFRM (libmnl), their expire,
 * acquire and NAT-mapping events, and xfrm interfaces with their routes over NETLINK_ROUTE.
 *
 * Conventions of every call below:
 * - Addresses are 16 bytes in network order with a family beside them: AF_INET uses bytes 0..3
 *   (the rest is ignored on input and zero on output), AF_INET6 all 16. SPIs, ports, reqids
 *   and marks are host order.
 * - A call returns 0 (or a count) on success and -errno on failure; where the kernel refused,
 *   the errno is the kernel's own, unchanged, so the caller can log strerror() of it. A kernel
 *   without the SA's algorithm answers -ENOSYS ("Requested AEAD algorithm not found"), one
 *   with the algorithm but no ESP -EPROTONOSUPPORT ("Requested type not found");
 *   xfrm_last_detail() has the kernel's own words.
 * - Every SA and policy installed through this module carries a reqid in the range given to
 *   xfrm_open() (requests outside it are refused with -ERANGE), which is how xfrm_flush_own()
 *   tells this appliance's state from anybody else's. Nothing else is ever touched.
 * - Lifetimes: byte and packet limits are XFRM_INF unless the caller sets them (a zero limit
 *   in the kernel would hard-expire the SA on its first packet); time limits are the caller's.
 * - A struct xfrm is not thread-safe: one thread (the engine's) uses it.
 */
#ifndef IKEGATE_XFRM_H
#define IKEGATE_XFRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xfrm;

/* ------------------------------------------------------------------ handle */

/* Opens the request socket and the event socket (groups EXPIRE, ACQUIRE, MAPPING) in the
 * calling thread's network namespace. Our reqids are [reqid_base, reqid_base + reqid_count);
 * reqid_base must be at least 1 (reqid 0 means "any" in a policy template). NULL on failure,
 * with a sentence in err. */
struct xfrm *xfrm_open(uint32_t reqid_base, uint32_t reqid_count, char *err, size_t errlen);
/* Closes the sockets. Does not remove anything from the kernel: call xfrm_flush_own() first. */
void xfrm_close(struct xfrm *x);

/* Whether a reqid belongs to this handle's range. */
bool xfrm_reqid_is_ours(const struct xfrm *x, uint32_t reqid);

/* The kernel's explanation of the last failed request (netlink extended ack), e.g.
 * "Requested AEAD algorithm not found", or "" if it gave none. Valid until the next call. */
const char *xfrm_last_detail(const struct xfrm *x);

/* ------------------------------------------------------------ plain types */

enum xfrm_sa_mode { XFRM_SA_TUNNEL = 0, XFRM_SA_TRANSPORT = 1 };

/* A traffic selector as the kernel keeps it: one source prefix, one destination prefix, an IP
 * protocol (0 any) and one port each (0 any). For ICMP the kernel puts the type in sport and
 * the code in dport. Port ranges that are not a single port or "any" (RFC 7296 §3.13.1 allows
 * them) cannot be expressed here. */
struct xfrm_ts {
    int family; /* AF_INET or AF_INET6 */
    uint8_t src[16], dst[16];
    uint8_t src_len, dst_len; /* prefix lengths */
    uint8_t proto;
    uint16_t sport, dport;
    int ifindex; /* 0: any */
};

/* What names an SA in the kernel: destination, SPI, protocol (RFC 4301 §4.1), plus its mark. */
struct xfrm_sa_id {
    int family;
    uint8_t dst[16];
    uint32_t spi;
    uint8_t proto;            /* IPPROTO_ESP; 0 is taken as ESP */
    uint32_t mark, mark_mask; /* mask 0: no mark */
};

/* Encryption: AES-GCM with a 16-byte ICV (RFC 4106, kernel "rfc4106(gcm(aes))") or AES-CBC
 * (RFC 3602, "cbc(aes)") with an integrity algorithm. */
enum xfrm_enc { XFRM_ENC_AES_GCM16 = 1, XFRM_ENC_AES_CBC = 2 };
/* Integrity with the IKEv2 truncations (RFC 4868 for SHA-2: half the output; RFC 2404). */
enum xfrm_integ {
    XFRM_INTEG_NONE = 0,
    XFRM_INTEG_SHA1_96 = 1,    /* hmac(sha1), 160-bit key */
    XFRM_INTEG_SHA256_128 = 2, /* hmac(sha256), 256-bit key */
    XFRM_INTEG_SHA384_192 = 3, /* hmac(sha384), 384-bit key */
    XFRM_INTEG_SHA512_256 = 4, /* hmac(sha512), 512-bit key */
};

#define XFRM_ENC_KEY_MAX 36   /* AES-256 + 4-byte GCM salt */
#define XFRM_INTEG_KEY_MAX 64 /* HMAC-SHA-512 */

struct xfrm_sa_spec {
    int family; /* of src and dst: AF_INET or AF_INET6 */
    uint8_t src[16], dst[16];
    uint32_t spi;
    uint8_t proto; /* IPPROTO_ESP; 0 is taken as ESP */
    enum xfrm_sa_mode mode;
    uint32_t reqid; /* must be ours */

    enum xfrm_enc enc;
    /* GCM: the AES key followed by the 4-byte salt (RFC 4106 §8.1), so 20, 28 or 36 bytes;
     * CBC: 16, 24 or 32 bytes. */
    uint8_t enc_key[XFRM_ENC_KEY_MAX];
    size_t enc_key_len;
    enum xfrm_integ integ; /* NONE with GCM, required with CBC */
    uint8_t integ_key[XFRM_INTEG_KEY_MAX];
    size_t integ_key_len; /* the HMAC's output size: 20, 32, 48 or 64 */

    /* ESP in UDP (RFC 3948 §2.1): the SA's UDP source and destination ports. */
    bool encap;
    uint16_t encap_sport, encap_dport;

    uint32_t if_id;           /* xfrm interface id (route-based VPN); 0: none */
    uint32_t mark, mark_mask; /* mask 0: no mark */

    /* Anti-replay (RFC 4303 §3.4.3): window in packets, 0 means 32. ESN (RFC 4303 §2.2.1)
     * or a window above 32 uses the kernel's XFRMA_REPLAY_ESN_VAL form; max 4096. */
    bool esn;
    uint32_t replay_window;

    /* Lifetimes: seconds since the SA was added, 0 none; bytes and packets, 0 unlimited. */
    uint64_t soft_add_seconds, hard_add_seconds;
    uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;

    /* Optional selector (a transport-mode SA may want one). Without it the SA carries an
     * empty selector of its own family, as a tunnel-mode SA should. */
    bool has_sel;
    struct xfrm_ts sel;
};

/* An SA as read back from the kernel (keys are never copied out). */
struct xfrm_sa_info {
    struct xfrm_sa_id id;
    uint8_t src[16];
    uint32_t reqid;
    enum xfrm_sa_mode mode;
    uint8_t kmode; /* the kernel's XFRM_MODE_* (tunnel, transport, beet, ...) */
    uint8_t flags; /* the kernel's XFRM_STATE_* flags */
    struct xfrm_ts sel;
    char enc_name[64];   /* the kernel's algorithm name, "" if none: "rfc4106(gcm(aes))" */
    char integ_name[64]; /* "hmac(sha256)", "" if none */
    uint32_t enc_key_bits, icv_bits, integ_trunc_bits;
    bool encap;
    uint16_t encap_type, encap_sport, encap_dport;
    uint32_t if_id;
    bool esn;
    uint32_t replay_window;
    struct {
        uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets; /* XFRM_INF: none */
        uint64_t soft_add_seconds, hard_add_seconds, soft_use_seconds, hard_use_seconds;
    } lifetime;
    /* Counters. use_time is the first use (0 before it), seconds since the epoch, as add_time:
     * 6.1 has no XFRMA_LASTUSED for an SA that never saw a packet. */
    uint64_t bytes, packets, add_time, use_time;
    uint32_t replay_fail, integrity_fail;
};

enum xfrm_dir { XFRM_DIR_IN = 0, XFRM_DIR_OUT = 1, XFRM_DIR_FWD = 2 };

/* A policy (RFC 4301 §4.4.1) with exactly one template: what traffic, which direction, and
 * the SA that must protect it. */
struct xfrm_pol_spec {
    struct xfrm_ts sel;
    enum xfrm_dir dir;
    uint32_t priority; /* lower wins */
    /* The template: tunnel endpoints (the SA's src and dst; tunnel mode only), protocol,
     * mode and reqid (must be ours). tun_family 0 means sel.family. */
    int tun_family;
    uint8_t tun_src[16], tun_dst[16];
    uint8_t proto; /* IPPROTO_ESP; 0 is taken as ESP */
    enum xfrm_sa_mode mode;
    uint32_t reqid;
    uint32_t if_id; /* 0: none */
    uint32_t mark, mark_mask;
};

struct xfrm_pol_info {
    struct xfrm_pol_spec spec; /* with the first template's fields */
    uint32_t index;            /* the kernel's policy index */
    uint8_t action;            /* XFRM_POLICY_ALLOW or XFRM_POLICY_BLOCK */
    uint8_t type;              /* XFRM_POLICY_TYPE_MAIN unless a sub policy */
    int ntmpl;                 /* number of templates (0: a plain allow/block policy), max 6 */
    uint32_t tmpl_reqid[6];    /* every template's reqid */
    bool ours;                 /* set by the dump when any template's reqid is ours */
};

/* ------------------------------------------------------------------- SAs */

/* XFRM_MSG_ALLOCSPI: reserves a random SPI in [min, max] for an inbound SA from sa->src to
 * sa->dst (its family, proto, mode, reqid, if_id and mark are used; the rest is ignored). The
 * kernel creates a larval SA holding the SPI; install the real SA with xfrm_sa_update(), which
 * replaces it, within net.core.xfrm_acq_expires seconds (30 by default), else the larval SA
 * expires (a hard EXPIRE event with our reqid). min 0 means 0x100 (SPIs below 256 are
 * reserved, RFC 4303 §2.1); max 0 means 0xffffffff. */
int xfrm_spi_alloc(struct xfrm *x, const struct xfrm_sa_spec *sa, uint32_t min, uint32_t max,
                   uint32_t *spi);

/* XFRM_MSG_NEWSA: a new SA (an existing one with the same id: -EEXIST). */
int xfrm_sa_add(struct xfrm *x, const struct xfrm_sa_spec *sa);
/* XFRM_MSG_UPDSA: the SA whose SPI came from xfrm_spi_alloc() (it replaces the larval SA, as
 * strongSwan and libreswan do for their inbound SAs), or a change to an installed one. */
int xfrm_sa_update(struct xfrm *x, const struct xfrm_sa_spec *sa);
/* XFRM_MSG_DELSA. -ESRCH if there is no such SA. */
int xfrm_sa_del(struct xfrm *x, const struct xfrm_sa_id *id);
/* XFRM_MSG_GETSA: the SA's configuration and counters. -ESRCH if there is none. */
int xfrm_sa_get(struct xfrm *x, const struct xfrm_sa_id *id, struct xfrm_sa_info *out);

/* ------------------------------------------------------------- policies */

/* XFRM_MSG_NEWPOLICY (-EEXIST if one with the same selector, direction, mark and if_id
 * exists) and XFRM_MSG_UPDPOLICY (create or replace). */
int xfrm_policy_add(struct xfrm *x, const struct xfrm_pol_spec *p);
int xfrm_policy_update(struct xfrm *x, const struct xfrm_pol_spec *p);
/* XFRM_MSG_DELPOLICY by selector, direction, mark and if_id. -ENOENT if there is none. */
int xfrm_policy_del(struct xfrm *x, const struct xfrm_pol_spec *p);

/* ----------------------------------------------------------------- dumps */

/* Every SA (policy) of the namespace, ours or not, one callback each; a callback returning
 * non-zero stops the walk (the rest of the dump is read and dropped). Returns how many were
 * seen, or -errno. */
int xfrm_sa_dump(struct xfrm *x, int (*cb)(const struct xfrm_sa_info *sa, void *arg), void *arg);
int xfrm_policy_dump(struct xfrm *x, int (*cb)(const struct xfrm_pol_info *p, void *arg),
                     void *arg);

/* Removes every SA and policy whose reqid (policy: any template's reqid) is ours: what a
 * crashed run left, at start, and our own state at exit. Policies go first, so that no packet
 * meets an outbound policy without its SA and creates a new larval SA meanwhile. Larval SAs
 * the kernel made for an ACQUIRE have SPI 0 and cannot be deleted one by one; they expire by
 * themselves (net.core.xfrm_acq_expires) and are not counted. Returns how many SAs and
 * policies were removed, or -errno. */
int xfrm_flush_own(struct xfrm *x);

/* ---------------------------------------------------------------- batches */

/* Between xfrm_batch_begin() and xfrm_batch_end(), xfrm_sa_add/update/del and
 * xfrm_policy_add/update/del only queue their request and return its index in the batch
 * (0, 1, ...), or -errno if it could not be built (then nothing was queued). The queue goes
 * to the kernel in as few sendto() calls as possible (up to 64 requests each), every request
 * acknowledged. xfrm_spi_alloc, xfrm_sa_get and the dumps are refused in a batch (-EBUSY).
 * Key material in the queue is wiped once sent. */
int xfrm_batch_begin(struct xfrm *x);
/* Sends what is queued and ends the batch. results[i] (i < max_results) gets request i's own
 * outcome, 0 or -errno. Returns 0 when every request succeeded, else the first error in queue
 * order (-ETIMEDOUT for a request the kernel did not acknowledge within 5 s). */
int xfrm_batch_end(struct xfrm *x, int *results, size_t max_results);

/* ---------------------------------------------------------------- events */

enum xfrm_event_type {
    XFRM_EV_NONE = 0,
    XFRM_EV_EXPIRE,  /* an SA reached a soft or hard limit (hard: the kernel deleted it) */
    XFRM_EV_ACQUIRE, /* outbound traffic matched a policy whose SA does not exist */
    XFRM_EV_MAPPING, /* the peer's NAT mapping of an ESP-in-UDP SA changed (RFC 3948) */
    XFRM_EV_OVERRUN, /* the event socket overflowed: events were lost */
};

struct xfrm_event {
    enum xfrm_event_type type;
    bool hard;            /* EXPIRE */
    struct xfrm_sa_id sa; /* EXPIRE and MAPPING: the SA; ACQUIRE: template dst, proto, spi 0 */
    uint8_t src[16];      /* EXPIRE: the SA's source; ACQUIRE: the template's source */
    uint32_t reqid;       /* EXPIRE, MAPPING: the SA's; ACQUIRE: the matching template's */
    uint32_t if_id;
    /* ACQUIRE */
    struct xfrm_ts sel;    /* the packet that needs an SA */
    uint32_t policy_index; /* the policy that matched */
    enum xfrm_dir policy_dir;
    uint32_t seq; /* the kernel's acquire sequence number */
    /* MAPPING: the NAT's new and old source of the peer's packets (ports host order) */
    uint8_t old_src[16], new_src[16];
    uint16_t old_sport, new_sport;
};

/* Parses one netlink message (header included) of at most len bytes, as the kernel multicasts
 * it: XFRM_MSG_EXPIRE, XFRM_MSG_ACQUIRE or XFRM_MSG_MAPPING. Returns 1 with *ev filled, 0 for
 * a well-formed message that is not one of those (ev->type XFRM_EV_NONE), -EINVAL when the
 * bytes are not a well-formed message (*ev then all zero). Pure: no socket, no state. */
int xfrm_parse_event(const void *buf, size_t len, struct xfrm_event *ev);

/* The same for one XFRM_MSG_NEWSA (dump or GETSA reply) and XFRM_MSG_NEWPOLICY (dump)
 * message: 1 parsed, 0 another message type, -EINVAL malformed (the output then all zero).
 * pol->ours is left false. */
int xfrm_parse_sa(const void *buf, size_t len, struct xfrm_sa_info *sa);
int xfrm_parse_policy(const void *buf, size_t len, struct xfrm_pol_info *pol);

/* The event socket, non-blocking, for the caller's poll/epoll loop. */
int xfrm_events_fd(const struct xfrm *x);
/* Reads what is pending (at most 32 datagrams per call, so a flood cannot starve the loop)
 * and calls cb for each event whose reqid is ours, and for XFRM_EV_OVERRUN. Returns the
 * number of events delivered (0 when nothing was pending), or -errno. */
int xfrm_events_read(struct xfrm *x, void (*cb)(const struct xfrm_event *ev, void *arg), void *arg);

/* ------------------------------------------------------- xfrm interfaces */

/* Creates the xfrm interface `name` (IFLA_INFO_KIND "xfrm") with this if_id (non-zero) over
 * the link `underlying` (NULL: none) and sets it up. A kernel without xfrm interfaces answers
 * -EOPNOTSUPP. -EEXIST if a link of that name exists. */
int xfrm_link_create(struct xfrm *x, const char *name, uint32_t if_id, const char *underlying);
/* -ENODEV if there is no such link; -EINVAL (and the link is left alone) if it is not an xfrm
 * interface. */
int xfrm_link_delete(struct xfrm *x, const char *name);
/* A host route (/32 or /128, or any prefix) through the link, in the main table with the
 * appliance's route protocol (NETIF_RTPROT_IKEGATE, so the appliance's start-up sweep of its
 * own routes removes it too) and this metric. An existing route to the same prefix and
 * metric: -EEXIST. Deleting matches only our protocol (metric 0: any metric); -ESRCH when
 * there is none. */
int xfrm_route_add(struct xfrm *x, const char *ifname, int family, const uint8_t dst[16],
                   int prefixlen, int metric);
int xfrm_route_del(struct xfrm *x, const char *ifname, int family, const uint8_t dst[16],
                   int prefixlen, int metric);
/* A route to dst/prefixlen the way the kernel reaches `toward` (an IPv4 address, network
 * order) now: the same link and next hop (IOS's reverse route for a policy-based IPsec
 * session, toward its peer's outer address), protocol NETIF_RTPROT_IKEGATE. -ENETUNREACH
 * when there is no way to `toward`; -EEXIST when the route exists. IPv4 only. Deleting
 * matches only our protocol. */
int xfrm_route_add_via(struct xfrm *x, int family, const uint8_t dst[16], int prefixlen,
                       uint32_t toward);
int xfrm_route_del_via(struct xfrm *x, int family, const uint8_t dst[16], int prefixlen);

#endif
