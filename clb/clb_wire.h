/* The CLB wire protocol (docs/clb-protocol.md is the specification): members report their load
 * to the cluster master over TCP; this is its codec.
 *
 * Pure: no sockets, no time, no globals, no allocation. Every byte parser is bounds-checked and
 * copies wire bytes out with memcpy. Every rejection returns a reason (enum clb_drop) that the
 * engine counts; clb_drop_name() names it. OpenSSL 3 EVP is used for HMAC-SHA256 only
 * (clb_nonce_new draws from RAND_bytes).
 *
 * How the pieces fit on a connection (docs/clb-protocol.md §4-§9):
 *
 *   receive:  TCP bytes -> clb_rx_next() -> one frame -> clb_verify() -> clb_decode()
 *   send:     struct clb_msg -> clb_seal() (= clb_encode() + clb_sign() when keyed) -> TCP
 *
 * A clb_rx error (CLB_DROP_MAGIC, CLB_DROP_LENGTH) means the byte stream can no longer be
 * split into frames: the connection MUST be closed. Every other reason drops one frame. */
#ifndef IKEGATE_CLB_WIRE_H
#define IKEGATE_CLB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- constants of the specification ---- */

#define CLB_MAGIC 0x434Cu       /* "CL": the first two bytes of every frame */
#define CLB_VERSION_MIN 1       /* the protocol versions this code speaks */
#define CLB_VERSION_MAX 1       /* (the first HELLO is always sent in version 1, §8) */
#define CLB_HDR_LEN 8           /* magic u16, version u8, type u8, flags u16, length u16 */
#define CLB_FRAME_MAX 4096      /* the largest frame, header included; larger closes */
#define CLB_TLV_HDR_LEN 4       /* type u16, length u16 (of the value) */
#define CLB_FLAG_AUTH 0x0001u   /* the body ends with the AUTH TLV */
#define CLB_ID_LEN 8            /* MEMBER_ID */
#define CLB_NONCE_LEN 16        /* NONCE */
#define CLB_MAC_LEN 32          /* HMAC-SHA256, never truncated */
#define CLB_AUTH_TLV_LEN 44     /* the AUTH TLV with its header: 4 + seq 8 + MAC 32 */
#define CLB_HOSTNAME_MAX 63     /* HOSTNAME: 1-63 bytes 0x21-0x7E */
#define CLB_TEXT_MAX 128        /* TEXT: 1-128 bytes 0x20-0x7E */
#define CLB_KEY_LEN_MAX 128     /* the `key STRING` of `crypto ikev2 cluster` */
#define CLB_CLUSTER_MAX 10      /* gateways in a cluster, the master included (Cisco's limit) */
#define CLB_BACKOFF_MIN_MS 100  /* member reconnect back-off: first delay ... */
#define CLB_BACKOFF_MAX_MS 5000 /* ... doubled up to this */

/* Message types (header byte 3). 0 is reserved. */
enum clb_type {
    CLB_HELLO = 1,   /* member -> master: join, then every `slave hello` ms */
    CLB_LOAD = 2,    /* member -> master: every `slave update` ms */
    CLB_WELCOME = 3, /* master -> member: accepted */
    CLB_ACK = 4,     /* master -> member: answers every later HELLO (liveness) */
    CLB_REFUSE = 5,  /* master -> member: not accepted, then close */
    CLB_BYE = 6,     /* either way: orderly leave, then close */
};

/* TLV types (§7). Types with bit 15 set are "critical": a receiver that does not know one drops
 * the frame. Version 1 defines none. */
enum clb_tlv {
    CLB_TLV_MEMBER_ID = 1,
    CLB_TLV_HOSTNAME = 2,
    CLB_TLV_VERSIONS = 3,
    CLB_TLV_NONCE = 4,
    CLB_TLV_PRIORITY = 5,
    CLB_TLV_REDIRECT_ADDR = 6,
    CLB_TLV_HOLDTIME = 7,
    CLB_TLV_REASON = 8,
    CLB_TLV_TEXT = 9,
    CLB_TLV_MEM_PERCENT = 16,
    CLB_TLV_MEM_USED = 17,
    CLB_TLV_CPU_5S = 18,
    CLB_TLV_SESSIONS = 19,
    CLB_TLV_IPSEC_SAS = 20,
    CLB_TLV_NEGOTIATING = 21,
    CLB_TLV_MAX_SESSION = 22,
    CLB_TLV_CAC_MAX_SA = 23,
    CLB_TLV_CAC_MAX_NEG = 24,
    CLB_TLV_AUTH = 255,
};
#define CLB_TLV_CRITICAL 0x8000u

/* REFUSE and BYE reason codes (§10.2). Other non-zero values are legal on the wire (a newer
 * peer's): show them by number. */
enum clb_reason {
    CLB_REASON_AUTH = 1,        /* authentication failed or key configured on one side only */
    CLB_REASON_VERSION = 2,     /* no common protocol version */
    CLB_REASON_FULL = 3,        /* the cluster already has CLB_CLUSTER_MAX gateways */
    CLB_REASON_NOT_MASTER = 4,  /* the sender is not (or no longer) the HSRP Active gateway */
    CLB_REASON_PROTOCOL = 5,    /* malformed or unexpected message */
    CLB_REASON_SHUTDOWN = 6,    /* `shutdown` of the cluster, or the process is exiting */
    CLB_REASON_REPLACED = 7,    /* a newer connection of the same member took over */
    CLB_REASON_TIMEOUT = 8,     /* nothing heard for holdtime ms */
    CLB_REASON_ROLE_CHANGE = 9, /* the member became HSRP Active (it is now master) */
};

/* Why a frame was not accepted. Keep clb_drop_name() in step. */
enum clb_drop {
    CLB_DROP_NONE,
    CLB_DROP_SHORT,           /* fewer bytes than the header, or than its length field */
    CLB_DROP_MAGIC,           /* not 0x434C: close the connection */
    CLB_DROP_LENGTH,          /* length field < 8 or > CLB_FRAME_MAX (close), or bytes after */
    CLB_DROP_VERSION,         /* header version not in CLB_VERSION_MIN..CLB_VERSION_MAX */
    CLB_DROP_TYPE,            /* unknown message type: ignored (§8) */
    CLB_DROP_TLV,             /* a TLV header or value runs past the end of the frame */
    CLB_DROP_TLV_LEN,         /* a known TLV with a length its definition does not allow */
    CLB_DROP_TLV_DUP,         /* a TLV the message defines appears twice */
    CLB_DROP_TLV_CRITICAL,    /* an unknown TLV with the critical bit */
    CLB_DROP_MISSING,         /* a TLV the message requires is absent */
    CLB_DROP_VALUE,           /* a value outside its range (e.g. priority 0) */
    CLB_DROP_AUTH_FORMAT,     /* AUTH TLV not last, wrong length, or flag and TLV disagree */
    CLB_DROP_AUTH_MISSING,    /* a key is configured and the frame is not signed */
    CLB_DROP_AUTH_UNEXPECTED, /* no key is configured and the frame is signed */
    CLB_DROP_AUTH_NONCE,      /* the peer's first frame lacks the NONCE its MAC covers */
    CLB_DROP_AUTH_MAC,        /* HMAC mismatch (forged, modified or wrong key) */
    CLB_DROP_AUTH_SEQ,        /* sequence not above the last accepted one (replay) */
    CLB_DROP_DIRECTION,       /* a message type the receiver's role never receives */
    CLB_DROP_COUNT
};

/* ---- messages ---- */

/* A redirect address: IPv4 (len 4) or IPv6 (len 16), network byte order. */
struct clb_addr {
    uint8_t len;
    uint8_t b[16];
};

/* HELLO (§6.1). The first HELLO of a connection carries versions and nonce. */
struct clb_hello {
    uint8_t member_id[CLB_ID_LEN];
    uint8_t priority; /* 1-100, `slave priority` */
    struct clb_addr redirect;
    bool has_versions;
    uint8_t ver_min, ver_max;
    bool has_nonce;
    uint8_t nonce[CLB_NONCE_LEN];
    char hostname[CLB_HOSTNAME_MAX + 1]; /* "" = absent */
};

/* LOAD (§6.2). Percentages are fixed point x100 (0-10000 = 0.00%-100.00%). */
struct clb_load {
    struct clb_addr redirect; /* the member's primary address on the HSRP interface */
    uint8_t priority;         /* 1-100 */
    uint16_t mem_pct100;      /* memory in use */
    uint64_t mem_used;        /* memory in use, bytes */
    uint16_t cpu_pct100;      /* CPU busy, 5-second average */
    uint32_t sessions;        /* IKE SAs established (each with its children) */
    uint32_t ipsec_sas;       /* CHILD_SAs */
    uint32_t negotiating;     /* IKE SAs in negotiation (half-open) */
    uint32_t max_session;     /* 1-100000, `slave max-session` */
    uint32_t cac_max_sa;      /* `crypto ikev2 limit max-sa`, 0 = none */
    uint32_t cac_max_neg;     /* `crypto ikev2 limit max-in-negotiation-sa`, 0 = none */
};

/* WELCOME (§6.3). The chosen version is the frame's header version. */
struct clb_welcome {
    uint8_t master_id[CLB_ID_LEN];
    uint32_t holdtime_ms; /* 100-120000: the master's `holdtime` */
    uint8_t nonce[CLB_NONCE_LEN];
    bool has_versions;
    uint8_t ver_min, ver_max;
    char hostname[CLB_HOSTNAME_MAX + 1]; /* "" = absent */
};

/* REFUSE (§6.5) and BYE (§6.6). */
struct clb_refuse {
    uint16_t reason; /* enum clb_reason or a newer non-zero code */
    bool has_master_id;
    uint8_t master_id[CLB_ID_LEN];
    bool has_nonce;
    uint8_t nonce[CLB_NONCE_LEN];
    bool has_versions;
    uint8_t ver_min, ver_max;
    char text[CLB_TEXT_MAX + 1]; /* "" = absent */
};
struct clb_bye {
    uint16_t reason;
    char text[CLB_TEXT_MAX + 1];
};

/* One message: type selects the member of u (CLB_ACK has no body). */
struct clb_msg {
    uint8_t version; /* header version, CLB_VERSION_MIN..CLB_VERSION_MAX */
    uint8_t type;    /* enum clb_type */
    union {
        struct clb_hello hello;
        struct clb_load load;
        struct clb_welcome welcome;
        struct clb_refuse refuse;
        struct clb_bye bye;
    } u;
};

/* What clb_decode saw besides the message (for counters and debug). */
struct clb_decode_info {
    unsigned skipped_tlvs; /* unknown TLVs, and known ones this message does not define */
    size_t skipped_bytes;  /* their size, TLV headers included */
    bool has_auth;         /* the frame is signed (the MAC is checked by clb_verify) */
    uint64_t seq;          /* its sequence number when has_auth */
};

/* Zero *m and set its version to CLB_VERSION_MIN and its type. */
void clb_msg_init(struct clb_msg *m, enum clb_type type);

/* Check a message against the ranges of §7 (what clb_encode needs). Returns CLB_DROP_NONE,
 * CLB_DROP_VERSION, CLB_DROP_TYPE or CLB_DROP_VALUE. */
enum clb_drop clb_msg_check(const struct clb_msg *m);

/* Encode m as one unsigned frame (TLVs in ascending type order, flags 0) into buf[0..cap).
 * Returns the frame length, or 0 if cap is too small or clb_msg_check refuses m; buf is then
 * unspecified. */
size_t clb_encode(const struct clb_msg *m, uint8_t *buf, size_t cap);

/* Decode one complete frame of exactly len bytes (as clb_rx_next yields them). Does NOT check
 * the MAC or the sequence (clb_verify does); does check the AUTH TLV's placement. Unknown and
 * undefined-for-this-type TLVs are skipped and counted in *info (may be NULL). Returns
 * CLB_DROP_NONE with *m filled (all of *m zeroed first, so two decodes compare with memcmp), or
 * the reason. When the reason is CLB_DROP_VERSION or CLB_DROP_TYPE, or any later one,
 * m->version and m->type hold the header's values (for the engine's REFUSE and its logs); the
 * rest of *m is then unspecified. */
enum clb_drop clb_decode(const uint8_t *frame, size_t len, struct clb_msg *m,
                         struct clb_decode_info *info);

/* The structural check shared by clb_decode and clb_verify, for any version and any type: the
 * header (magic, length field == len, 8..CLB_FRAME_MAX), TLVs that tile the body exactly, no
 * unknown critical TLV, and the AUTH TLV last with length 40 exactly when CLB_FLAG_AUTH is set.
 * Returns CLB_DROP_NONE or the reason. */
enum clb_drop clb_frame_check(const uint8_t *frame, size_t len);

/* Short names for logs and `show`: never NULL. Unknown values give "unknown". */
const char *clb_drop_name(enum clb_drop d);   /* e.g. "bad HMAC" */
const char *clb_type_name(uint8_t type);      /* e.g. "HELLO" */
const char *clb_reason_name(uint16_t reason); /* e.g. "authentication failed" */

/* ---- roles ---- */

/* Which end of a connection we are. */
enum clb_role { CLB_ROLE_MEMBER, CLB_ROLE_MASTER };

/* Is a message of this type one that a gateway in role `receiver` accepts? Returns
 * CLB_DROP_NONE, CLB_DROP_DIRECTION (e.g. a LOAD received by a member), or CLB_DROP_TYPE. */
enum clb_drop clb_direction_check(enum clb_role receiver, uint8_t type);

/* ---- stream reassembly (§4.3) ---- */

/* One connection's receive side: TCP bytes in, whole frames out. */
struct clb_rx {
    uint8_t buf[CLB_FRAME_MAX];
    size_t have;         /* bytes of the current frame collected */
    size_t need;         /* its length once the header is in, CLB_HDR_LEN before */
    bool ready;          /* buf holds a frame handed out by the last call */
    enum clb_drop error; /* sticky: CLB_DROP_MAGIC or CLB_DROP_LENGTH */
};

/* Make rx empty (a new connection). */
void clb_rx_init(struct clb_rx *rx);

/* Take bytes from (*data, *len) until one frame is complete or the bytes run out, advancing
 * *data and *len past what was taken. Returns:
 *   1  a frame: *frame points to its *frame_len bytes inside rx, valid until the next call;
 *      bytes may remain in (*data, *len): call again for the next frame;
 *   0  every byte was taken (*len is 0) and no frame is complete yet;
 *  -1  the stream is not CLB (magic not 0x434C, or a length field < 8 or > CLB_FRAME_MAX):
 *      *why says which; the connection MUST be closed (there is no way to find the next frame).
 *      The error is sticky: every later call returns -1 with the same reason.
 * Frames are only delimited here (magic, length): verify and decode each one. why may be NULL;
 * it is set to CLB_DROP_NONE on 0 and 1. *data may be NULL when *len is 0. */
int clb_rx_next(struct clb_rx *rx, const uint8_t **data, size_t *len, const uint8_t **frame,
                size_t *frame_len, enum clb_drop *why);

/* Bytes of an incomplete frame held in rx (0 between frames). */
size_t clb_rx_pending(const struct clb_rx *rx);

/* ---- authentication (§9) ---- */

/* One connection's authentication: the configured key, both nonces, both sequence numbers. */
struct clb_auth_state {
    enum clb_role role; /* our role on this connection */
    bool keyed;         /* a key is configured: sign and require signatures */
    uint8_t key[CLB_KEY_LEN_MAX];
    size_t keylen;
    uint8_t local_nonce[CLB_NONCE_LEN]; /* ours, sent in our first frame */
    uint8_t peer_nonce[CLB_NONCE_LEN];  /* the peer's, once its first frame verified */
    bool have_peer_nonce;
    uint64_t send_seq; /* the last sequence number we sent (0: none yet) */
    uint64_t recv_seq; /* the last one we accepted (0: none yet) */
};

/* A fresh non-zero random nonce from OpenSSL's RAND_bytes. Returns 0, or -1 if the generator
 * failed (out is then zeroed and must not be used). */
int clb_nonce_new(uint8_t out[CLB_NONCE_LEN]);

/* A fresh random member id (§7 MEMBER_ID: drawn once when the process starts), from
 * RAND_bytes. Returns 0, or -1 if the generator failed (out is then zeroed). */
int clb_id_new(uint8_t out[CLB_ID_LEN]);

/* Start a connection's state: role, key (NULL or keylen 0: the channel is unauthenticated),
 * and our nonce for this connection (from clb_nonce_new; it must not be all-zero: §9.2).
 * Returns 0, or -1 if keylen > CLB_KEY_LEN_MAX, key is NULL with keylen > 0, or the nonce is
 * all zero (a is then unusable: keyed and with no key, every sign and verify fails). */
int clb_auth_init(struct clb_auth_state *a, enum clb_role role, const uint8_t *key, size_t keylen,
                  const uint8_t local_nonce[CLB_NONCE_LEN]);

/* Wipe the key and the state (OPENSSL_cleanse). */
void clb_auth_clear(struct clb_auth_state *a);

/* Sign an unsigned frame of len bytes in buf (cap bytes available): append the AUTH TLV with
 * the next sequence number, set CLB_FLAG_AUTH, grow the length field and compute the HMAC
 * (§9.3). Returns the new length (len + CLB_AUTH_TLV_LEN), or 0 if the state is not keyed, the
 * frame fails clb_frame_check or is already signed, it would exceed cap or CLB_FRAME_MAX, the
 * sequence is exhausted, the frame carries a NONCE other than our local nonce, or OpenSSL
 * failed. On 0, buf[0..len) and the state are unchanged. */
size_t clb_sign(struct clb_auth_state *a, uint8_t *buf, size_t len, size_t cap);

/* Encode m and, when a is keyed, sign it: what a sender puts on the wire. Returns the frame
 * length or 0 (as clb_encode and clb_sign). */
size_t clb_seal(struct clb_auth_state *a, const struct clb_msg *m, uint8_t *buf, size_t cap);

/* Check the authentication of one complete frame from the peer (§9.4), before decoding it:
 * - not keyed: the frame must be unsigned (else CLB_DROP_AUTH_UNEXPECTED);
 * - keyed: it must be signed (else CLB_DROP_AUTH_MISSING); until the peer's nonce is known it
 *   is taken from the frame's NONCE TLV (absent or zero: CLB_DROP_AUTH_NONCE); the HMAC is
 *   compared in constant time (CLB_DROP_AUTH_MAC), then the sequence must be above the last
 *   accepted one (CLB_DROP_AUTH_SEQ).
 * Structural failures return clb_frame_check's reason. Returns CLB_DROP_NONE when accepted: the
 * sequence is then recorded, and the peer's nonce if this was its first frame. Any other
 * return leaves the state unchanged. */
enum clb_drop clb_verify(struct clb_auth_state *a, const uint8_t *frame, size_t len);

#endif
