/* HSRP v1 (RFC 2281 §5.1) and v2 (Cisco, TLVs; REFERENCE §3) packets: bytes <-> struct.
 *
 * Pure: no sockets, no time, no globals. Every rejection comes with a reason (enum hsrp_drop)
 * that the engine counts and `show standby` prints; no input makes it crash.
 *
 * Decisions (REFERENCE §3 is the authority on the layouts):
 * - Version detection from the first byte: 0 is a v1 header (its version field), 1-4 the type
 *   of a v2 TLV; anything else is HSRP_DROP_VERSION.
 * - v1: a 20-byte header, optionally followed by exactly one MD5 TLV (type 4, len 28, so 50
 *   bytes); or an Advertise (opcode 3, exactly 16 bytes: type 1, len 14, state 1-3). Any other
 *   trailing byte is HSRP_DROP_TLV. With an MD5 TLV the header's 8-byte text field is not
 *   authentication (the digest covers it zeroed): has_text is false then.
 * - v2: a sequence of TLVs, each with a length of 1-255 that fits the packet (else
 *   HSRP_DROP_TLV). Known types must have their exact length (Group State 40, Interface State
 *   4, Text 8, MD5 28). The first Group State TLV is the message; later ones are skipped and
 *   counted in hsrp_parse_info.ignored_groups (without further validation). Unknown types are
 *   skipped and counted in unknown_tlvs. At most one Interface State TLV and at most one
 *   authentication TLV (Text or MD5, not both): a second one is ambiguous, HSRP_DROP_TLV. IP
 *   version other than 4 or 6 is HSRP_DROP_VERSION.
 * - A v2 packet with an Interface State TLV and no Group State TLV parses as op
 *   HSRP_ADVERTISE (has_ifstate, group 0, state HSRP_INITIAL, timers 0); without either it is
 *   HSRP_DROP_NO_GROUP. So for both versions op == HSRP_ADVERTISE means "group counters only"
 *   (v1: adv_*; v2: active_groups/passive_groups): the engine counts it, the FSM ignores it.
 * - Timers (RFC 2281 §5.1: "only meaningful in Hello messages") are checked on Hellos only:
 *   hello must be non-zero and hold > hello, else HSRP_DROP_TIMERS.
 * - Text strings: text[] holds the field up to its first NUL, zero-filled after; the
 *   authentication check compares the 8 raw bytes received.
 */
#ifndef IKEGATE_HSRP_PACKET_H
#define IKEGATE_HSRP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HSRP_PORT 1985            /* v1 and v2 over IPv4 */
#define HSRP_PORT_V6 2029         /* v2 over IPv6 */
#define HSRP_PACKET_MAX 72        /* the largest packet hsrp_build writes (v2 + MD5) */
#define HSRP_TEXT_MAX 8           /* text authentication string */
#define HSRP_KEY_MAX 64           /* MD5 key-string */
#define HSRP_DEFAULT_TEXT "cisco" /* RFC 2281 §5.1, IOS default */

/* Internal state numbering: RFC 2281 §5.3 order. Wire values differ by version:
   v1: Initial 0, Learn 1, Listen 2, Speak 4, Standby 8, Active 16;
   v2: Disabled 0 (parse as INITIAL), Init 1, Learn 2, Listen 3, Speak 4, Standby 5, Active 6. */
#ifndef HSRP_STATE_DEFINED /* shared with hsrp_fsm.h */
#define HSRP_STATE_DEFINED
enum hsrp_state { HSRP_INITIAL, HSRP_LEARN, HSRP_LISTEN, HSRP_SPEAK, HSRP_STANDBY, HSRP_ACTIVE };
#endif
enum hsrp_op { HSRP_HELLO = 0, HSRP_COUP = 1, HSRP_RESIGN = 2, HSRP_ADVERTISE = 3 };
enum hsrp_auth_kind { HSRP_AUTH_TEXT, HSRP_AUTH_MD5 }; /* IOS default: text "cisco" */

struct hsrp_auth {
    enum hsrp_auth_kind kind;
    char text[9]; /* <= 8 chars */
    char key[65];
    size_t keylen; /* 1..64 to be usable (HSRP_KEY_MAX) */
};

struct hsrp_msg {
    int version; /* 1 or 2 */
    enum hsrp_op op;
    enum hsrp_state state;
    uint16_t group;             /* v1 0-255, v2 0-4095 */
    uint32_t priority;          /* v1 0-255 */
    uint32_t hello_ms, hold_ms; /* v1: seconds on the wire, *1000 here */
    uint8_t ipver;              /* 4 or 6 (v2; 4 for v1) */
    uint8_t vip[16];  /* IPv4 in vip[0..3]; v2: the 12 trailing bytes ignored on receive */
    uint8_t ident[6]; /* v2 Group State TLV identifier (sender MAC); zero for v1 */
    bool has_md5;
    uint32_t md5_sender_ip; /* host order */
    uint32_t md5_key_id;
    uint8_t md5_digest[16];
    bool has_text;
    char text[9]; /* the text auth field/TLV, NUL-terminated */
    bool has_ifstate;
    uint16_t active_groups, passive_groups; /* v2 Interface State TLV */
    /* v1 Advertise (opcode 3, Cisco extension: accepted and counted, never required) */
    uint8_t adv_state;
    uint16_t adv_active, adv_passive;
};

enum hsrp_drop {
    HSRP_DROP_NONE,
    HSRP_DROP_SHORT,
    HSRP_DROP_VERSION,
    HSRP_DROP_OPCODE,
    HSRP_DROP_STATE,
    HSRP_DROP_TLV, /* bad TLV length/truncation */
    HSRP_DROP_NO_GROUP,
    HSRP_DROP_GROUP_RANGE,
    HSRP_DROP_TIMERS, /* hold <= hello */
    HSRP_DROP_AUTH_TEXT,
    HSRP_DROP_AUTH_MD5,
    HSRP_DROP_AUTH_MISSING,
    HSRP_DROP_COUNT
};

/* What hsrp_parse_ex saw besides the message (for counters and debug). */
struct hsrp_parse_info {
    unsigned ignored_groups; /* v2 Group State TLVs after the first */
    unsigned unknown_tlvs;   /* v2 TLVs of unknown type, skipped */
};

/* Short text for `show standby`, e.g. "bad MD5 digest"; never NULL. */
const char *hsrp_drop_name(enum hsrp_drop d);

/* Parse one UDP payload (see the decisions above). Returns 0, or -1 with *why set (why may be
 * NULL). Does NOT check authentication. On failure *out is unspecified. */
int hsrp_parse(const uint8_t *buf, size_t len, struct hsrp_msg *out, enum hsrp_drop *why);
/* The same, also filling *info (may be NULL). */
int hsrp_parse_ex(const uint8_t *buf, size_t len, struct hsrp_msg *out, enum hsrp_drop *why,
                  struct hsrp_parse_info *info);

/* Check the packet's authentication against the configured one (REFERENCE §3):
 * - text: the 8 bytes received must equal the configured text zero-padded to 8;
 * - MD5: the digest is recomputed over the exact bytes received: v1, the 20-byte header with its
 *   text field zeroed + the 30-byte MD5 TLV with its digest zeroed; v2, the (first) Group State
 *   TLV followed by the MD5 TLV with its digest zeroed (no other TLV is covered). The MD5 TLV's
 *   algorithm must be 1. The key ID is not compared (IOS key-string is key ID 0; the digest
 *   covers it anyway). Comparing md5_sender_ip with the IP source is the engine's business.
 * The bytes are authoritative: they are walked again to locate the covered fields (m, the
 * message hsrp_parse returned for them, is not needed beyond that). Returns HSRP_DROP_NONE, a
 * parse reason if the bytes do not parse, HSRP_DROP_AUTH_MISSING if the packet carries no
 * authentication of the configured kind (a packet of the other kind fails so), or
 * HSRP_DROP_AUTH_TEXT / HSRP_DROP_AUTH_MD5 on a mismatch. An MD5 configuration whose key is
 * empty or longer than 64 bytes, or an MD5 failure in OpenSSL, fails as HSRP_DROP_AUTH_MD5
 * (fail closed). Advertise/Interface State-only messages (op HSRP_ADVERTISE) carry no
 * authentication in IOS: without any they pass; with some, it is checked (an MD5 TLV without a
 * Group State TLV fails as HSRP_DROP_AUTH_MD5: nothing defines what its digest would cover).
 * a == NULL fails as HSRP_DROP_AUTH_MISSING. */
enum hsrp_drop hsrp_auth_check(const uint8_t *buf, size_t len, const struct hsrp_msg *m,
                               const struct hsrp_auth *a);

/* Build a packet of version m->version with authentication a; for MD5, sender_ip (host order)
 * goes in the MD5 TLV with key ID 0 and the digest is computed. v1: 20-byte header (+ MD5 TLV);
 * op HSRP_ADVERTISE builds the 16-byte Advertise from adv_*. v2: Group State TLV (+ Text TLV or
 * MD5 TLV); op HSRP_ADVERTISE builds the Interface State TLV alone from active_groups and
 * passive_groups (as hsrp_build_ifstate). a == NULL builds an unauthenticated packet (v1 text
 * field zero, v2 no authentication TLV): for tests and diagnostics, IOS always authenticates.
 * Returns the length, or 0 if cap is too small or the message cannot be represented: version
 * not 1/2, op/state out of range, v1 group/priority > 255, v1 timers not whole seconds or above
 * 255 s, v2 group > 4095, ipver not 4/6, MD5 key empty or > 64 bytes, or an MD5 failure. buf is
 * untouched when 0 is returned. Nothing else is validated (a Hello with hold <= hello is built
 * as asked). */
size_t hsrp_build(const struct hsrp_msg *m, const struct hsrp_auth *a, uint32_t sender_ip,
                  uint8_t *buf, size_t cap);
/* The v2 Interface State TLV, sent alone (6 bytes). Returns the length, or 0 if cap < 6. */
size_t hsrp_build_ifstate(uint16_t active, uint16_t passive, uint8_t *buf, size_t cap);

/* Keyed MD5 in the RFC 1828 §2 envelope: MD5(key || pad || data || key), pad = MD5's own
 * padding of the key (RFC 1321 §3.1-3.2: 0x80, zeros, key length in bits as a 64-bit
 * little-endian value) up to the next 64-byte boundary. RFC 1828 §1.1 does not constrain the
 * key length and, unlike HMAC (RFC 2104/2085), never hashes a long key first: a key of 56 bytes
 * or more is filled the same way to the next boundary (128 bytes for 56-119). Configured keys
 * are limited to 64 bytes (IOS key-string) by hsrp_build and hsrp_auth_check, not here.
 * Should OpenSSL fail (e.g. MD5 unavailable under a FIPS provider), out is zero-filled; the
 * build and the check then fail rather than use it. */
void hsrp_md5(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len, uint8_t out[16]);

/* Virtual MACs: v1 0000.0c07.acXX (low 8 bits of the group), v2 IPv4 0000.0c9f.fXXX (group in
 * the low 12 bits). A version other than 2 is taken as 1. */
void hsrp_vmac(int version, uint16_t group, uint8_t mac[6]);
/* "Init","Learn","Listen","Speak","Standby","Active" as IOS prints them; "Unknown" otherwise. */
const char *hsrp_state_name(enum hsrp_state s);
/* The IOS default authentication: text "cisco" (RFC 2281 §5.1). */
void hsrp_auth_default(struct hsrp_auth *a);

#endif
