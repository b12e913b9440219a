#include "hsrp/hsrp_packet.h"
#include "platform/bytes.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* v1 (RFC 2281 §5.1, REFERENCE §3 "Version 1"). */
#define V1_HDR_LEN 20
#define V1_TEXT_OFF 8 /* the 8-byte authentication data */
#define V1_VIP_OFF 16
#define V1_ADV_LEN 16 /* Advertise: version, opcode 3, type u16 1, len u16 14, ... */
#define V1_ADV_TYPE 1
#define V1_ADV_TLEN 14

/* v2 TLVs (REFERENCE §3 "Version 2"): type, length, then `length` bytes. */
#define TLV_HDR 2
#define TLV_GROUP 1
#define TLV_IFSTATE 2
#define TLV_TEXT 3
#define TLV_MD5 4
#define GS_LEN 40 /* Group State value */
#define IFS_LEN 4
#define TEXT_LEN 8
#define MD5_LEN 28 /* algorithm, pad, flags u16, sender IP, key ID, digest */
#define MD5_ALGO 1
#define MD5_DIGEST_OFF (TLV_HDR + 12) /* the digest within the MD5 TLV, header included */
#define V2_GROUP_MAX 4095

/* Where the authenticated parts of a parsed packet are (offsets into the packet). */
struct layout {
    size_t hdr_off, hdr_len; /* v1 header or the first v2 Group State TLV (hdr_len 0: none) */
    size_t text_off;         /* the 8 text bytes, when msg.has_text */
    size_t md5_off;          /* the MD5 TLV (its type byte), when msg.has_md5 */
};

/* State values on the wire, indexed by enum hsrp_state: v1 RFC 2281 §5.1, v2 REFERENCE §3. */
static const uint8_t v1_state_wire[] = {0, 1, 2, 4, 8, 16};
static const uint8_t v2_state_wire[] = {1, 2, 3, 4, 5, 6};

static int v1_state_from_wire(uint8_t w)
{
    for (int s = HSRP_INITIAL; s <= HSRP_ACTIVE; s++)
        if (v1_state_wire[s] == w) return s;
    return -1;
}

static int v2_state_from_wire(uint8_t w)
{
    if (w == 0) return HSRP_INITIAL; /* Disabled */
    return w <= 6 ? w - 1 : -1;
}

const char *hsrp_drop_name(enum hsrp_drop d)
{
    static const char *const names[HSRP_DROP_COUNT] = {
        [HSRP_DROP_NONE] = "none",
        [HSRP_DROP_SHORT] = "packet too short",
        [HSRP_DROP_VERSION] = "bad version",
        [HSRP_DROP_OPCODE] = "bad opcode",
        [HSRP_DROP_STATE] = "bad state",
        [HSRP_DROP_TLV] = "malformed TLV",
        [HSRP_DROP_NO_GROUP] = "no group state TLV",
        [HSRP_DROP_GROUP_RANGE] = "group out of range",
        [HSRP_DROP_TIMERS] = "bad hello/hold time",
        [HSRP_DROP_AUTH_TEXT] = "bad authentication text",
        [HSRP_DROP_AUTH_MD5] = "bad MD5 digest",
        [HSRP_DROP_AUTH_MISSING] = "authentication missing",
    };
    return (unsigned)d < HSRP_DROP_COUNT ? names[d] : "unknown";
}

const char *hsrp_state_name(enum hsrp_state s)
{
    static const char *const names[] = {"Init", "Learn", "Listen", "Speak", "Standby", "Active"};
    return (unsigned)s <= HSRP_ACTIVE ? names[s] : "Unknown";
}

void hsrp_vmac(int version, uint16_t group, uint8_t mac[6])
{
    /* Both are in Cisco's OUI 00:00:0c; REFERENCE §3. */
    mac[0] = 0x00;
    mac[1] = 0x00;
    mac[2] = 0x0c;
    if (version == 2) {
        mac[3] = 0x9f;
        mac[4] = (uint8_t)(0xf0 | ((group >> 8) & 0x0f));
    } else {
        mac[3] = 0x07;
        mac[4] = 0xac;
    }
    mac[5] = (uint8_t)group;
}

void hsrp_auth_default(struct hsrp_auth *a)
{
    memset(a, 0, sizeof *a);
    a->kind = HSRP_AUTH_TEXT;
    memcpy(a->text, HSRP_DEFAULT_TEXT, sizeof HSRP_DEFAULT_TEXT);
}

/* ---- Keyed MD5 (RFC 1828 §2) ---- */

static bool md5_envelope(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
                         uint8_t out[16])
{
    /* RFC 1321 §3.1-3.2 applied to the key alone: 0x80, zeros until the length is 56 mod 64,
     * then the key's length in bits, 64-bit little-endian (at most 1 + 63 + 8 bytes). */
    uint8_t pad[72] = {0x80};
    size_t zeros = (119 - keylen % 64) % 64;
    uint64_t bits = (uint64_t)keylen * 8;
    for (int i = 0; i < 8; i++) pad[1 + zeros + (size_t)i] = (uint8_t)(bits >> (8 * i));
    size_t padlen = 1 + zeros + 8;

    unsigned int outlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
              EVP_DigestUpdate(ctx, key, keylen) == 1 && EVP_DigestUpdate(ctx, pad, padlen) == 1 &&
              EVP_DigestUpdate(ctx, data, len) == 1 && EVP_DigestUpdate(ctx, key, keylen) == 1 &&
              EVP_DigestFinal_ex(ctx, out, &outlen) == 1 && outlen == 16;
    EVP_MD_CTX_free(ctx);
    if (!ok) memset(out, 0, 16);
    return ok;
}

void hsrp_md5(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len, uint8_t out[16])
{
    (void)md5_envelope(key, keylen, data, len, out);
}

static bool md5_key_usable(const struct hsrp_auth *a)
{
    return a->keylen >= 1 && a->keylen <= HSRP_KEY_MAX;
}

/* The digest of a packet laid out as `l` says (REFERENCE §3 "MD5 authentication"): the v1
 * header or v2 Group State TLV, then the MD5 TLV, with the v1 text field and the digest
 * zeroed. */
static bool packet_digest(const uint8_t *pkt, const struct layout *l, int version,
                          const struct hsrp_auth *a, uint8_t out[16])
{
    uint8_t data[TLV_HDR + GS_LEN + TLV_HDR + MD5_LEN];
    size_t n = l->hdr_len;
    memcpy(data, pkt + l->hdr_off, n);
    if (version == 1) memset(data + V1_TEXT_OFF, 0, TEXT_LEN);
    memcpy(data + n, pkt + l->md5_off, TLV_HDR + MD5_LEN);
    memset(data + n + MD5_DIGEST_OFF, 0, 16);
    n += TLV_HDR + MD5_LEN;
    return md5_envelope((const uint8_t *)a->key, a->keylen, data, n, out);
}

/* ---- Parsing ---- */

/* The 8-byte text field: up to its first NUL, zero-filled after. */
static void take_text(char dst[9], const uint8_t *src)
{
    memset(dst, 0, 9);
    for (size_t i = 0; i < TEXT_LEN && src[i]; i++) dst[i] = (char)src[i];
}

/* The 28 bytes after an MD5 TLV's header. */
static void take_md5(struct hsrp_msg *m, const uint8_t *v)
{
    m->has_md5 = true;
    m->md5_sender_ip = get32(v + 4);
    m->md5_key_id = get32(v + 8);
    memcpy(m->md5_digest, v + 12, 16);
}

/* RFC 2281 §5.1: hellotime and holdtime are only meaningful in Hellos; the holdtime MUST be
 * greater than the hellotime. A zero hello is meaningless too. */
static enum hsrp_drop check_timers(const struct hsrp_msg *m)
{
    if (m->op != HSRP_HELLO) return HSRP_DROP_NONE;
    return m->hello_ms == 0 || m->hold_ms <= m->hello_ms ? HSRP_DROP_TIMERS : HSRP_DROP_NONE;
}

/* Cisco's Advertise (REFERENCE §3): version 0, opcode 3, type u16 1, length u16 14, state
 * (1 dormant, 2 passive, 3 active), reserved, active groups u16, passive groups u16, 4
 * reserved bytes. */
static enum hsrp_drop parse_v1_advertise(const uint8_t *b, size_t len, struct hsrp_msg *m)
{
    if (len < V1_ADV_LEN) return HSRP_DROP_SHORT;
    if (get16(b + 2) != V1_ADV_TYPE || get16(b + 4) != V1_ADV_TLEN || len != V1_ADV_LEN)
        return HSRP_DROP_TLV;
    if (b[6] < 1 || b[6] > 3) return HSRP_DROP_STATE;
    m->op = HSRP_ADVERTISE;
    m->adv_state = b[6];
    m->adv_active = get16(b + 8);
    m->adv_passive = get16(b + 10);
    return HSRP_DROP_NONE;
}

/* RFC 2281 §5.1 header, then at most an MD5 TLV (REFERENCE §3). */
static enum hsrp_drop parse_v1(const uint8_t *b, size_t len, struct hsrp_msg *m, struct layout *l)
{
    m->version = 1;
    m->ipver = 4;
    if (len < 2) return HSRP_DROP_SHORT;
    if (b[1] == HSRP_ADVERTISE) return parse_v1_advertise(b, len, m);
    if (b[1] > HSRP_RESIGN) return HSRP_DROP_OPCODE;
    if (len < V1_HDR_LEN) return HSRP_DROP_SHORT;
    int st = v1_state_from_wire(b[2]);
    if (st < 0) return HSRP_DROP_STATE;
    m->op = (enum hsrp_op)b[1];
    m->state = (enum hsrp_state)st;
    m->hello_ms = b[3] * 1000u;
    m->hold_ms = b[4] * 1000u;
    m->priority = b[5];
    m->group = b[6]; /* 0-255: the whole byte is valid (RFC 2281 §5.1, non-Token-Ring media) */
    /* b[7] reserved, ignored */
    memcpy(m->vip, b + V1_VIP_OFF, 4);
    l->hdr_off = 0;
    l->hdr_len = V1_HDR_LEN;
    if (len == V1_HDR_LEN) {
        m->has_text = true;
        take_text(m->text, b + V1_TEXT_OFF);
        l->text_off = V1_TEXT_OFF;
    } else {
        const uint8_t *t = b + V1_HDR_LEN;
        size_t rest = len - V1_HDR_LEN;
        if (rest != TLV_HDR + MD5_LEN || t[0] != TLV_MD5 || t[1] != MD5_LEN) return HSRP_DROP_TLV;
        take_md5(m, t + TLV_HDR);
        l->md5_off = V1_HDR_LEN;
    }
    return check_timers(m);
}

/* The 40 bytes after a Group State TLV's header (REFERENCE §3). */
static enum hsrp_drop parse_group_state(const uint8_t *v, struct hsrp_msg *m)
{
    if (v[0] != 2) return HSRP_DROP_VERSION;
    if (v[1] > HSRP_RESIGN) return HSRP_DROP_OPCODE;
    int st = v2_state_from_wire(v[2]);
    if (st < 0) return HSRP_DROP_STATE;
    if (v[3] != 4 && v[3] != 6) return HSRP_DROP_VERSION;
    uint16_t group = get16(v + 4);
    if (group > V2_GROUP_MAX) return HSRP_DROP_GROUP_RANGE;
    m->op = (enum hsrp_op)v[1];
    m->state = (enum hsrp_state)st;
    m->ipver = v[3];
    m->group = group;
    memcpy(m->ident, v + 6, 6);
    m->priority = get32(v + 12);
    m->hello_ms = get32(v + 16);
    m->hold_ms = get32(v + 20);
    /* IPv4: real IOS leaves junk in the 12 bytes after the address; ignore it (MD5 covers it). */
    memcpy(m->vip, v + 24, m->ipver == 4 ? 4 : 16);
    return check_timers(m);
}

static enum hsrp_drop parse_v2(const uint8_t *b, size_t len, struct hsrp_msg *m, struct layout *l,
                               struct hsrp_parse_info *info)
{
    bool group_seen = false;
    m->version = 2;
    for (size_t off = 0; off < len;) {
        if (len - off < TLV_HDR) return HSRP_DROP_TLV;
        uint8_t type = b[off], tlen = b[off + 1];
        const uint8_t *v = b + off + TLV_HDR;
        if (tlen == 0 || tlen > len - off - TLV_HDR) return HSRP_DROP_TLV;
        switch (type) {
        case TLV_GROUP: {
            if (tlen != GS_LEN) return HSRP_DROP_TLV;
            if (group_seen) {
                info->ignored_groups++;
                break;
            }
            enum hsrp_drop d = parse_group_state(v, m);
            if (d != HSRP_DROP_NONE) return d;
            group_seen = true;
            l->hdr_off = off;
            l->hdr_len = TLV_HDR + GS_LEN;
            break;
        }
        case TLV_IFSTATE:
            if (tlen != IFS_LEN || m->has_ifstate) return HSRP_DROP_TLV;
            m->has_ifstate = true;
            m->active_groups = get16(v);
            m->passive_groups = get16(v + 2);
            break;
        case TLV_TEXT:
            if (tlen != TEXT_LEN || m->has_text || m->has_md5) return HSRP_DROP_TLV;
            m->has_text = true;
            take_text(m->text, v);
            l->text_off = off + TLV_HDR;
            break;
        case TLV_MD5:
            if (tlen != MD5_LEN || m->has_text || m->has_md5) return HSRP_DROP_TLV;
            take_md5(m, v);
            l->md5_off = off;
            break;
        default: info->unknown_tlvs++; break;
        }
        off += TLV_HDR + (size_t)tlen;
    }
    if (!group_seen) {
        if (!m->has_ifstate) return HSRP_DROP_NO_GROUP;
        m->op = HSRP_ADVERTISE; /* Interface State alone: counters only */
        m->ipver = 4;
    }
    return HSRP_DROP_NONE;
}

static enum hsrp_drop parse(const uint8_t *buf, size_t len, struct hsrp_msg *m, struct layout *l,
                            struct hsrp_parse_info *info)
{
    memset(m, 0, sizeof *m);
    memset(l, 0, sizeof *l);
    memset(info, 0, sizeof *info);
    if (!buf || len < 2) return HSRP_DROP_SHORT;
    if (buf[0] == 0) return parse_v1(buf, len, m, l);
    if (buf[0] >= TLV_GROUP && buf[0] <= TLV_MD5) return parse_v2(buf, len, m, l, info);
    return HSRP_DROP_VERSION;
}

int hsrp_parse_ex(const uint8_t *buf, size_t len, struct hsrp_msg *out, enum hsrp_drop *why,
                  struct hsrp_parse_info *info)
{
    struct hsrp_msg tmp;
    struct hsrp_parse_info itmp;
    struct layout l;
    enum hsrp_drop d = parse(buf, len, out ? out : &tmp, &l, info ? info : &itmp);
    if (why) *why = d;
    return d == HSRP_DROP_NONE ? 0 : -1;
}

int hsrp_parse(const uint8_t *buf, size_t len, struct hsrp_msg *out, enum hsrp_drop *why)
{
    return hsrp_parse_ex(buf, len, out, why, NULL);
}

/* ---- Authentication ---- */

enum hsrp_drop hsrp_auth_check(const uint8_t *buf, size_t len, const struct hsrp_msg *m,
                               const struct hsrp_auth *a)
{
    (void)m; /* the bytes are authoritative: walk them again for the covered fields' offsets */
    struct hsrp_msg pm;
    struct layout l;
    struct hsrp_parse_info info;
    enum hsrp_drop d = parse(buf, len, &pm, &l, &info);
    if (d != HSRP_DROP_NONE) return d;
    if (!a) return HSRP_DROP_AUTH_MISSING;
    if (pm.op == HSRP_ADVERTISE && !pm.has_text && !pm.has_md5) return HSRP_DROP_NONE;

    switch (a->kind) {
    case HSRP_AUTH_TEXT: {
        if (!pm.has_text) return HSRP_DROP_AUTH_MISSING;
        uint8_t want[TEXT_LEN] = {0};
        memcpy(want, a->text, strnlen(a->text, TEXT_LEN));
        return memcmp(buf + l.text_off, want, TEXT_LEN) == 0 ? HSRP_DROP_NONE : HSRP_DROP_AUTH_TEXT;
    }
    case HSRP_AUTH_MD5: {
        if (!pm.has_md5) return HSRP_DROP_AUTH_MISSING;
        if (!md5_key_usable(a) || buf[l.md5_off + TLV_HDR] != MD5_ALGO || l.hdr_len == 0)
            return HSRP_DROP_AUTH_MD5;
        uint8_t digest[16];
        if (!packet_digest(buf, &l, pm.version, a, digest)) return HSRP_DROP_AUTH_MD5;
        return CRYPTO_memcmp(digest, buf + l.md5_off + MD5_DIGEST_OFF, 16) == 0
                   ? HSRP_DROP_NONE
                   : HSRP_DROP_AUTH_MD5;
    }
    }
    return HSRP_DROP_AUTH_MISSING; /* an unknown kind: fail closed */
}

/* ---- Building ---- */

size_t hsrp_build_ifstate(uint16_t active, uint16_t passive, uint8_t *buf, size_t cap)
{
    if (cap < TLV_HDR + IFS_LEN) return 0;
    buf[0] = TLV_IFSTATE;
    buf[1] = IFS_LEN;
    put16(buf + 2, active);
    put16(buf + 4, passive);
    return TLV_HDR + IFS_LEN;
}

/* The MD5 TLV at t, digest still zero: header, algorithm, sender IP, key ID 0. */
static void put_md5_tlv(uint8_t *t, uint32_t sender_ip)
{
    t[0] = TLV_MD5;
    t[1] = MD5_LEN;
    t[2] = MD5_ALGO;
    /* t[3] pad, t[4..5] flags, t[10..13] key ID 0 (key-string), t[14..29] digest: zero */
    put32(t + 6, sender_ip);
}

static size_t build_v1(const struct hsrp_msg *m, const struct hsrp_auth *a, uint32_t sender_ip,
                       uint8_t *p, struct layout *l)
{
    if (m->op == HSRP_ADVERTISE) {
        if (m->adv_state < 1 || m->adv_state > 3) return 0;
        put16(p + 2, V1_ADV_TYPE);
        put16(p + 4, V1_ADV_TLEN);
        p[6] = m->adv_state;
        put16(p + 8, m->adv_active);
        put16(p + 10, m->adv_passive);
        p[1] = HSRP_ADVERTISE;
        return V1_ADV_LEN; /* no authentication in an Advertise */
    }
    if ((unsigned)m->op > HSRP_RESIGN || (unsigned)m->state > HSRP_ACTIVE || m->group > 255 ||
        m->priority > 255 || m->hello_ms % 1000 || m->hello_ms > 255000 || m->hold_ms % 1000 ||
        m->hold_ms > 255000)
        return 0;
    p[0] = 0; /* RFC 2281 §5.1: version 0 */
    p[1] = (uint8_t)m->op;
    p[2] = v1_state_wire[m->state];
    p[3] = (uint8_t)(m->hello_ms / 1000);
    p[4] = (uint8_t)(m->hold_ms / 1000);
    p[5] = (uint8_t)m->priority;
    p[6] = (uint8_t)m->group;
    memcpy(p + V1_VIP_OFF, m->vip, 4);
    l->hdr_off = 0;
    l->hdr_len = V1_HDR_LEN;
    if (a && a->kind == HSRP_AUTH_TEXT)
        memcpy(p + V1_TEXT_OFF, a->text, strnlen(a->text, TEXT_LEN));
    if (a && a->kind == HSRP_AUTH_MD5) {
        put_md5_tlv(p + V1_HDR_LEN, sender_ip);
        l->md5_off = V1_HDR_LEN;
        return V1_HDR_LEN + TLV_HDR + MD5_LEN;
    }
    return V1_HDR_LEN;
}

static size_t build_v2(const struct hsrp_msg *m, const struct hsrp_auth *a, uint32_t sender_ip,
                       uint8_t *p, struct layout *l)
{
    if (m->op == HSRP_ADVERTISE)
        return hsrp_build_ifstate(m->active_groups, m->passive_groups, p, HSRP_PACKET_MAX);
    if ((unsigned)m->op > HSRP_RESIGN || (unsigned)m->state > HSRP_ACTIVE ||
        m->group > V2_GROUP_MAX || (m->ipver != 4 && m->ipver != 6))
        return 0;
    uint8_t *v = p + TLV_HDR;
    p[0] = TLV_GROUP;
    p[1] = GS_LEN;
    v[0] = 2;
    v[1] = (uint8_t)m->op;
    v[2] = v2_state_wire[m->state];
    v[3] = m->ipver;
    put16(v + 4, m->group);
    memcpy(v + 6, m->ident, 6);
    put32(v + 12, m->priority);
    put32(v + 16, m->hello_ms);
    put32(v + 20, m->hold_ms);
    memcpy(v + 24, m->vip, m->ipver == 4 ? 4 : 16); /* IPv4: the other 12 bytes zero */
    size_t n = TLV_HDR + GS_LEN;
    l->hdr_off = 0;
    l->hdr_len = n;
    if (a && a->kind == HSRP_AUTH_TEXT) {
        p[n] = TLV_TEXT;
        p[n + 1] = TEXT_LEN;
        memcpy(p + n + TLV_HDR, a->text, strnlen(a->text, TEXT_LEN));
        n += TLV_HDR + TEXT_LEN;
    } else if (a && a->kind == HSRP_AUTH_MD5) {
        put_md5_tlv(p + n, sender_ip);
        l->md5_off = n;
        n += TLV_HDR + MD5_LEN;
    }
    return n;
}

size_t hsrp_build(const struct hsrp_msg *m, const struct hsrp_auth *a, uint32_t sender_ip,
                  uint8_t *buf, size_t cap)
{
    uint8_t pkt[HSRP_PACKET_MAX] = {0};
    struct layout l = {0};
    size_t n;
    if (a && a->kind != HSRP_AUTH_TEXT && a->kind != HSRP_AUTH_MD5) return 0;
    if (a && a->kind == HSRP_AUTH_MD5 && !md5_key_usable(a)) return 0;
    if (m->version == 1)
        n = build_v1(m, a, sender_ip, pkt, &l);
    else if (m->version == 2)
        n = build_v2(m, a, sender_ip, pkt, &l);
    else
        return 0;
    if (n == 0 || n > cap) return 0;
    if (l.md5_off) {
        uint8_t digest[16];
        if (!packet_digest(pkt, &l, m->version, a, digest)) return 0;
        memcpy(pkt + l.md5_off + MD5_DIGEST_OFF, digest, 16);
    }
    memcpy(buf, pkt, n);
    return n;
}
