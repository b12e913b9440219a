/* IKEv2 wire codec (RFC 7296 §3). Every read is bounds-checked against the bytes that remain;
 * multi-byte fields are assembled from bytes (big-endian), never read through a cast pointer. */
#include "ike/ike_wire.h"
#include "platform/bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GEN_CRITICAL 0x80   /* §3.2: the C bit of the generic payload header */
#define PROP_HDR_LEN 8      /* §3.3.1, without the SPI */
#define PROP_MORE 2         /* Last Substruc: more proposals follow */
#define TRANS_HDR_LEN 8     /* §3.3.2 */
#define TRANS_MORE 3        /* Last Substruc: more transforms follow */
#define ATTR_TV 0x8000      /* §3.3.5: AF bit, Type/Value format */
#define TS_HDR_LEN 4        /* §3.13: Number of TSs + RESERVED */
#define TS_V4_LEN 16        /* §3.13.1 */
#define TS_V6_LEN 40        /* §3.13.1 */
#define CP_HDR_LEN 4        /* §3.15: CFG Type + RESERVED */
#define CP_ATTR_HDR_LEN 4   /* §3.15.1 */
#define CP_TYPE_MASK 0x7fff /* §3.15.1: the top bit is the reserved R bit */
#define HDR_NEXT_OFF 16     /* §3.1: Next Payload within the fixed header */
#define HDR_LEN_OFF 24      /* §3.1: Length within the fixed header */
#define REDIR_GW_IPV4 1     /* RFC 5685 §9.2 GW Identity Types */
#define REDIR_GW_IPV6 2
#define REDIR_GW_FQDN 3

/* np_off values that are not offsets: nothing to patch yet (no header), or the SK payload is
 * closed and nothing may follow it (§3.14: SK is the last payload). */
#define NP_NONE ((size_t)-1)
#define NP_SEALED ((size_t)-2)

const char *ike_drop_name(enum ike_drop r)
{
    static const char *const names[IKE_DROP_NCOUNT] = {
        [IKE_DROP_NONE] = "none",
        [IKE_DROP_SHORT] = "short",
        [IKE_DROP_LENGTH] = "length mismatch",
        [IKE_DROP_VERSION] = "bad major version",
        [IKE_DROP_PAYLOAD_LENGTH] = "bad payload length",
        [IKE_DROP_TOO_MANY] = "too many elements",
        [IKE_DROP_CRITICAL] = "unsupported critical payload",
        [IKE_DROP_SK_NOT_LAST] = "SK not last",
        [IKE_DROP_MALFORMED] = "malformed payload",
        [IKE_DROP_PROPOSAL] = "malformed proposal",
        [IKE_DROP_DECRYPT] = "integrity check failed",
        [IKE_DROP_PADDING] = "bad padding",
        [IKE_DROP_UNEXPECTED] = "unexpected payload",
        [IKE_DROP_MISSING] = "missing payload",
        [IKE_DROP_NO_SA] = "no IKE SA",
        [IKE_DROP_MSGID] = "message ID out of window",
        [IKE_DROP_RESPONSE] = "unsolicited response",
        [IKE_DROP_SPI] = "bad SPI",
        [IKE_DROP_KE] = "bad KE value",
        [IKE_DROP_COOKIE] = "cookie required",
        [IKE_DROP_LIMIT] = "SA limit reached",
        [IKE_DROP_AUTH] = "authentication failed",
        [IKE_DROP_NON_ESP_MARKER] = "no non-ESP marker",
        [IKE_DROP_KEEPALIVE] = "NAT-T keepalive",
    };
    return (unsigned)r < IKE_DROP_NCOUNT && names[r] ? names[r] : "unknown";
}

/* ---- the fixed header and the payload chain ---- */

/* Fills *h even when the version or the length is wrong, so that the caller can still answer
 * INVALID_MAJOR_VERSION (§2.5) with the SPIs and message ID it read. */
enum ike_drop ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
    if (len < IKE_HDR_LEN) return IKE_DROP_SHORT;
    h->spi_i = get64(buf);
    h->spi_r = get64(buf + 8);
    h->next = buf[16];
    h->major = buf[17] >> 4;
    h->minor = buf[17] & 0x0f;
    h->exchange = buf[18];
    h->flags = buf[19];
    h->msgid = get32(buf + 20);
    h->length = get32(buf + 24);
    if (h->major != 2) return IKE_DROP_VERSION;
    /* §3.1: Length is the whole message; a datagram carries exactly one message. */
    if (h->length != len) return IKE_DROP_LENGTH;
    return IKE_DROP_NONE;
}

/* Payload types of RFC 7296 §3.2 (33..48) and SKF (RFC 7383 §2.5). */
static inline bool known_type(uint8_t t)
{
    return (t >= IKE_PL_SA && t <= IKE_PL_EAP) || t == IKE_PL_SKF;
}

/* Walks the chain in buf[0..len) starting with type `first`. An SK or SKF payload ends the
 * walk: its Next Payload names the first payload inside it (§3.14), reported in *sk_next, and
 * it must end exactly at the end of buf. Otherwise the chain must end (Next Payload 0) exactly
 * at the end of buf. */
static enum ike_drop walk(uint8_t first, const uint8_t *buf, size_t len, struct ike_pl *pl, int max,
                          int *npl, int *sk, uint8_t *sk_next, uint8_t *unknown_critical)
{
    size_t off = 0;
    uint8_t type = first;
    int n = 0;
    *npl = 0;
    while (type != IKE_PL_NONE) {
        if (len - off < IKE_GENERIC_HDR_LEN) return IKE_DROP_PAYLOAD_LENGTH;
        const uint8_t *p = buf + off;
        size_t plen = get16(p + 2);
        if (plen < IKE_GENERIC_HDR_LEN || plen > len - off) return IKE_DROP_PAYLOAD_LENGTH;
        /* §3.2: the critical bit matters only for types we do not know; the other reserved
         * bits are ignored on receipt. */
        bool critical = (p[1] & GEN_CRITICAL) != 0;
        if (critical && !known_type(type)) {
            if (unknown_critical) *unknown_critical = type;
            return IKE_DROP_CRITICAL;
        }
        if (n >= max) return IKE_DROP_TOO_MANY;
        pl[n].type = type;
        pl[n].critical = critical;
        pl[n].body = p + IKE_GENERIC_HDR_LEN;
        pl[n].len = plen - IKE_GENERIC_HDR_LEN;
        *npl = ++n;
        off += plen;
        if (type == IKE_PL_SK || type == IKE_PL_SKF) {
            if (off != len) return IKE_DROP_SK_NOT_LAST;
            *sk = n - 1;
            *sk_next = p[0];
            return IKE_DROP_NONE;
        }
        type = p[0];
    }
    return off == len ? IKE_DROP_NONE : IKE_DROP_PAYLOAD_LENGTH;
}

enum ike_drop ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m,
                            uint8_t *unknown_critical)
{
    m->raw = buf;
    m->rawlen = len;
    m->npl = 0;
    m->sk = -1;
    m->sk_next = IKE_PL_NONE;
    enum ike_drop r = ike_hdr_parse(buf, len, &m->hdr);
    if (r != IKE_DROP_NONE) return r;
    return walk(m->hdr.next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN, m->pl, IKE_MAX_PAYLOADS, &m->npl,
                &m->sk, &m->sk_next, unknown_critical);
}

/* A chain that contains SK/SKF (nothing legitimate does, once decrypted) stops there like the
 * outer chain; that SK's Next Payload is not reported, the caller rejects it by its type. */
enum ike_drop ike_payloads_walk(uint8_t first, const uint8_t *buf, size_t len, struct ike_pl *pl,
                                int max, int *npl, uint8_t *unknown_critical)
{
    int sk = -1;
    uint8_t sk_next = 0;
    if (max < 0) max = 0;
    return walk(first, buf, len, pl, max, npl, &sk, &sk_next, unknown_critical);
}

const struct ike_pl *ike_pl_find(const struct ike_pl *pl, int npl, uint8_t type)
{
    for (int i = 0; i < npl; i++)
        if (pl[i].type == type) return &pl[i];
    return NULL;
}

/* ---- typed payload bodies ---- */

/* §3.3.5. Only Key Length (14, TV) is known. A TV attribute of another type, or any TLV
 * attribute (bounds-checked, then skipped), makes the transform one we do not understand:
 * §3.3.6 says to consider it unacceptable, so *unknown is set and the caller leaves the
 * transform out (the others of its type still count). */
static enum ike_drop parse_attrs(const uint8_t *b, size_t len, uint16_t *keylen, bool *unknown)
{
    size_t off = 0;
    bool have_keylen = false;
    while (off < len) {
        if (len - off < 4) return IKE_DROP_PROPOSAL;
        uint16_t af_type = get16(b + off);
        uint16_t type = af_type & 0x7fff;
        if (af_type & ATTR_TV) {
            uint16_t v = get16(b + off + 2);
            if (type == IKE_ATTR_KEY_LENGTH) {
                /* 0 would read as "absent"; two would be ambiguous. */
                if (have_keylen || v == 0) return IKE_DROP_PROPOSAL;
                have_keylen = true;
                *keylen = v;
            } else {
                *unknown = true;
            }
            off += 4;
        } else {
            size_t alen = get16(b + off + 2);
            if (type == IKE_ATTR_KEY_LENGTH || alen > len - off - 4) return IKE_DROP_PROPOSAL;
            *unknown = true;
            off += 4 + alen;
        }
    }
    return IKE_DROP_NONE;
}

/* §3.3.2. Transforms go to sa->t when `keep`; a proposal that is not kept is still walked, so
 * that every byte of the payload is validated. */
static enum ike_drop parse_transforms(const uint8_t *b, size_t len, unsigned count,
                                      struct ike_sa_pl *sa, struct ike_proposal *p, bool keep)
{
    size_t off = 0;
    p->ntrans = 0;
    p->first = (uint16_t)sa->ntrans;
    p->unknown_type = false;
    for (unsigned i = 0; i < count; i++) {
        if (len - off < TRANS_HDR_LEN) return IKE_DROP_PROPOSAL;
        const uint8_t *t = b + off;
        size_t tlen = get16(t + 2);
        if (tlen < TRANS_HDR_LEN || tlen > len - off) return IKE_DROP_PROPOSAL;
        bool last = i + 1 == count;
        if (t[0] != (last ? 0 : TRANS_MORE)) return IKE_DROP_PROPOSAL;
        uint16_t keylen = 0;
        bool unknown = false;
        enum ike_drop r = parse_attrs(t + TRANS_HDR_LEN, tlen - TRANS_HDR_LEN, &keylen, &unknown);
        if (r != IKE_DROP_NONE) return r;
        if (t[4] < IKE_TT_ENCR || t[4] > IKE_TT_ESN) p->unknown_type = true;
        if (keep && !unknown) {
            /* Cannot overflow: each transform took at least 8 of at most 64 KB. */
            if (sa->ntrans >= IKE_MAX_SA_TRANSFORMS) return IKE_DROP_TOO_MANY;
            struct ike_transform *x = &sa->t[sa->ntrans++];
            x->type = t[4];
            x->id = get16(t + 6);
            x->keylen = keylen;
            p->ntrans++;
        }
        off += tlen;
    }
    /* The transforms fill the proposal exactly. */
    return off == len ? IKE_DROP_NONE : IKE_DROP_PROPOSAL;
}

enum ike_drop ike_parse_sa(const uint8_t *b, size_t len, struct ike_sa_pl *sa)
{
    size_t off = 0;
    sa->nprop = sa->ntrans = sa->skipped = 0;
    if (len == 0) return IKE_DROP_PROPOSAL; /* §3.3: one or more proposals */
    uint8_t prev_num = 0;
    for (;;) {
        if (len - off < PROP_HDR_LEN) return IKE_DROP_PROPOSAL;
        const uint8_t *p = b + off;
        size_t plen = get16(p + 2);
        uint8_t num = p[4], proto = p[5], spi_size = p[6], ntrans = p[7];
        if (p[0] != 0 && p[0] != PROP_MORE) return IKE_DROP_PROPOSAL;
        if (plen < PROP_HDR_LEN + (size_t)spi_size || plen > len - off) return IKE_DROP_PROPOSAL;
        /* §3.3.1: the first is 1, then each one more (OR); an equal number continues the same
         * proposal (AND, RFC 4306 bundles), which we accept and let the engine judge. An
         * answer is one proposal with the number of the one accepted, whatever it was. */
        bool lone = off == 0 && p[0] == 0;
        if (off == 0 ? num == 0 || (num != 1 && !lone) : num != prev_num && num != prev_num + 1)
            return IKE_DROP_PROPOSAL;
        prev_num = num;
        /* §3.3.1: 0 for the initial IKE SA, 8 for an IKE rekey, 4 for ESP/AH. */
        if (spi_size != 0 && spi_size != 4 && spi_size != 8) return IKE_DROP_PROPOSAL;
        if (proto == IKE_PROTO_IKE && spi_size == 4) return IKE_DROP_PROPOSAL;
        if ((proto == IKE_PROTO_ESP || proto == IKE_PROTO_AH) && spi_size != 4)
            return IKE_DROP_PROPOSAL;
        bool keep = sa->nprop < IKE_MAX_PROPOSALS;
        struct ike_proposal scratch, *pr = keep ? &sa->prop[sa->nprop] : &scratch;
        pr->num = num;
        pr->proto = proto;
        pr->spi_size = spi_size;
        memset(pr->spi, 0, sizeof pr->spi);
        memcpy(pr->spi, p + PROP_HDR_LEN, spi_size);
        size_t hl = PROP_HDR_LEN + spi_size;
        enum ike_drop r = parse_transforms(p + hl, plen - hl, ntrans, sa, pr, keep);
        if (r != IKE_DROP_NONE) return r;
        if (keep)
            sa->nprop++;
        else
            sa->skipped++;
        off += plen;
        /* Last Substruc must agree with the SA payload's length. */
        if (p[0] == 0) return off == len ? IKE_DROP_NONE : IKE_DROP_PROPOSAL;
        if (off == len) return IKE_DROP_PROPOSAL;
    }
}

bool ike_sa_pl_add_prop(struct ike_sa_pl *sa, uint8_t num, uint8_t proto, const uint8_t *spi,
                        uint8_t spi_size)
{
    if (sa->nprop >= IKE_MAX_PROPOSALS || spi_size > 8) return false;
    struct ike_proposal *p = &sa->prop[sa->nprop++];
    memset(p, 0, sizeof *p);
    p->num = num, p->proto = proto, p->spi_size = spi_size;
    if (spi_size) memcpy(p->spi, spi, spi_size);
    p->first = (uint16_t)sa->ntrans;
    return true;
}

bool ike_sa_pl_add_transform(struct ike_sa_pl *sa, uint8_t type, uint16_t id, uint16_t keylen)
{
    if (sa->nprop < 1 || sa->ntrans >= IKE_MAX_SA_TRANSFORMS) return false;
    struct ike_proposal *p = &sa->prop[sa->nprop - 1];
    if (p->ntrans >= 255 || p->first + p->ntrans != sa->ntrans) return false;
    sa->t[sa->ntrans++] = (struct ike_transform){type, id, keylen};
    p->ntrans++;
    return true;
}

enum ike_drop ike_parse_ke(const uint8_t *b, size_t len, struct ike_ke *ke)
{
    if (len < 4) return IKE_DROP_MALFORMED; /* §3.4: group, RESERVED */
    ke->group = get16(b);
    ke->data = b + 4;
    ke->len = len - 4;
    return IKE_DROP_NONE;
}

enum ike_drop ike_parse_id(const uint8_t *b, size_t len, struct ike_id *id)
{
    if (len < 4) return IKE_DROP_MALFORMED; /* §3.5: ID Type, RESERVED */
    id->type = b[0];
    id->data = b + 4;
    id->len = len - 4;
    /* §3.5: address IDs are exactly one address. */
    if (id->type == IKE_ID_IPV4_ADDR && id->len != 4) return IKE_DROP_MALFORMED;
    if (id->type == IKE_ID_IPV6_ADDR && id->len != 16) return IKE_DROP_MALFORMED;
    return IKE_DROP_NONE;
}

enum ike_drop ike_parse_cert(const uint8_t *b, size_t len, struct ike_cert *c)
{
    if (len < 1) return IKE_DROP_MALFORMED; /* §3.6 / §3.7: Encoding */
    c->encoding = b[0];
    c->data = b + 1;
    c->len = len - 1;
    return IKE_DROP_NONE;
}

enum ike_drop ike_parse_auth(const uint8_t *b, size_t len, struct ike_auth *a)
{
    if (len < 4) return IKE_DROP_MALFORMED; /* §3.8: Auth Method, RESERVED */
    a->method = b[0];
    a->data = b + 4;
    a->len = len - 4;
    return IKE_DROP_NONE;
}

enum ike_drop ike_parse_nonce(const uint8_t *b, size_t len)
{
    (void)b;
    return len >= IKE_NONCE_MIN && len <= IKE_NONCE_MAX ? IKE_DROP_NONE : IKE_DROP_MALFORMED;
}

enum ike_drop ike_parse_notify(const uint8_t *b, size_t len, struct ike_notify *n)
{
    if (len < 4) return IKE_DROP_MALFORMED; /* §3.10: Protocol ID, SPI Size, type */
    uint8_t spi_size = b[1];
    if (spi_size != 0 && spi_size != 4 && spi_size != 8) return IKE_DROP_MALFORMED;
    if (len - 4 < spi_size) return IKE_DROP_MALFORMED;
    n->proto = b[0];
    n->spi_size = spi_size;
    n->type = get16(b + 2);
    memset(n->spi, 0, sizeof n->spi);
    memcpy(n->spi, b + 4, spi_size);
    n->data = b + 4 + spi_size;
    n->len = len - 4 - spi_size;
    return IKE_DROP_NONE;
}

enum ike_drop ike_parse_delete(const uint8_t *b, size_t len, struct ike_delete *d)
{
    if (len < 4) return IKE_DROP_MALFORMED;
    uint8_t proto = b[0], spi_size = b[1];
    uint16_t nspi = get16(b + 2);
    /* §3.11: the IKE SA is named by the header's SPIs (size 0, none listed); ESP/AH SPIs are
     * four bytes. */
    if (proto == IKE_PROTO_IKE) {
        if (spi_size != 0 || nspi != 0) return IKE_DROP_MALFORMED;
    } else if (proto == IKE_PROTO_ESP || proto == IKE_PROTO_AH) {
        if (spi_size != 4) return IKE_DROP_MALFORMED;
    } else {
        return IKE_DROP_MALFORMED;
    }
    if (len - 4 != (size_t)nspi * spi_size) return IKE_DROP_MALFORMED;
    if (nspi > IKE_MAX_DELETE_SPIS) return IKE_DROP_TOO_MANY;
    d->proto = proto;
    d->spi_size = spi_size;
    d->nspi = nspi;
    for (unsigned i = 0; i < nspi; i++) {
        memset(d->spi[i], 0, sizeof d->spi[i]);
        memcpy(d->spi[i], b + 4 + (size_t)i * spi_size, spi_size);
    }
    return IKE_DROP_NONE;
}

enum ike_drop ike_parse_ts(const uint8_t *b, size_t len, struct ike_ts_set *ts)
{
    ts->n = 0;
    if (len < TS_HDR_LEN) return IKE_DROP_MALFORMED;
    unsigned count = b[0];
    /* An empty set would be a selector payload that selects nothing: refuse it here so that
     * narrowing never sees it. */
    if (count == 0) return IKE_DROP_MALFORMED;
    if (count > IKE_MAX_TS) return IKE_DROP_TOO_MANY;
    size_t off = TS_HDR_LEN;
    for (unsigned i = 0; i < count; i++) {
        if (len - off < 8) return IKE_DROP_MALFORMED;
        const uint8_t *p = b + off;
        size_t slen = get16(p + 2), alen;
        if (p[0] == IKE_TS_IPV4_ADDR_RANGE && slen == TS_V4_LEN)
            alen = 4;
        else if (p[0] == IKE_TS_IPV6_ADDR_RANGE && slen == TS_V6_LEN)
            alen = 16;
        else
            return IKE_DROP_MALFORMED; /* unknown type, or a length not its own (§3.13.1) */
        if (slen > len - off) return IKE_DROP_MALFORMED;
        struct ike_ts *t = &ts->ts[i];
        t->type = p[0];
        t->ipproto = p[1];
        t->sport = get16(p + 4);
        t->eport = get16(p + 6);
        memset(t->saddr, 0, sizeof t->saddr);
        memset(t->eaddr, 0, sizeof t->eaddr);
        memcpy(t->saddr, p + 8, alen);
        memcpy(t->eaddr, p + 8 + alen, alen);
        off += slen;
    }
    ts->n = (int)count;
    return off == len ? IKE_DROP_NONE : IKE_DROP_MALFORMED;
}

/* §3.15.1 fixed value lengths (a request sends them empty). SUPPORTED_ATTRIBUTES is a list of
 * 2-byte types. Unknown types may have any length. */
static bool cp_attr_len_ok(uint16_t type, uint16_t len)
{
    switch (type) {
    case IKE_CA_INTERNAL_IP4_ADDRESS:
    case IKE_CA_INTERNAL_IP4_NETMASK:
    case IKE_CA_INTERNAL_IP4_DNS:
    case IKE_CA_INTERNAL_IP4_NBNS:
    case IKE_CA_INTERNAL_IP4_DHCP: return len == 0 || len == 4;
    case IKE_CA_INTERNAL_IP6_ADDRESS:
    case IKE_CA_INTERNAL_IP6_SUBNET: return len == 0 || len == 17;
    case IKE_CA_INTERNAL_IP6_DNS:
    case 12: /* INTERNAL_IP6_DHCP */ return len == 0 || len == 16;
    case IKE_CA_INTERNAL_IP4_SUBNET: return len == 0 || len == 8;
    case IKE_CA_SUPPORTED_ATTRIBUTES: return len % 2 == 0;
    default: return true;
    }
}

enum ike_drop ike_parse_cp(const uint8_t *b, size_t len, struct ike_cp *cp)
{
    cp->nattr = 0;
    if (len < CP_HDR_LEN) return IKE_DROP_MALFORMED;
    cp->cfg_type = b[0];
    size_t off = CP_HDR_LEN;
    while (off < len) {
        if (len - off < CP_ATTR_HDR_LEN) return IKE_DROP_MALFORMED;
        uint16_t type = get16(b + off) & CP_TYPE_MASK;
        uint16_t alen = get16(b + off + 2);
        if (alen > len - off - CP_ATTR_HDR_LEN) return IKE_DROP_MALFORMED;
        if (!cp_attr_len_ok(type, alen)) return IKE_DROP_MALFORMED;
        if (cp->nattr >= IKE_MAX_CP_ATTRS) return IKE_DROP_TOO_MANY;
        struct ike_cp_attr *a = &cp->a[cp->nattr++];
        a->type = type;
        a->len = alen;
        a->value = b + off + CP_ATTR_HDR_LEN;
        off += CP_ATTR_HDR_LEN + alen;
    }
    return IKE_DROP_NONE;
}

/* RFC 5685 §9.2 (REDIRECT) and §9.3 (REDIRECTED_FROM): GW Ident Type, GW Ident Len, the
 * identity, then (REDIRECT in an IKE_SA_INIT response only) the initiator's nonce. */
enum ike_drop ike_parse_redirect(const uint8_t *data, size_t len, struct ike_redirect *r)
{
    if (len < 2) return IKE_DROP_MALFORMED;
    uint8_t type = data[0], glen = data[1];
    if (type == REDIR_GW_IPV4   ? glen != 4
        : type == REDIR_GW_IPV6 ? glen != 16
        : type == REDIR_GW_FQDN ? glen == 0
                                : true)
        return IKE_DROP_MALFORMED;
    if (len - 2 < glen) return IKE_DROP_MALFORMED;
    size_t nlen = len - 2 - glen;
    if (nlen != 0 && (nlen < IKE_NONCE_MIN || nlen > IKE_NONCE_MAX)) return IKE_DROP_MALFORMED;
    r->gw_type = type;
    r->gw_len = glen;
    memcpy(r->gw, data + 2, glen);
    memset(r->gw + glen, 0, sizeof r->gw - glen);
    r->nonce = nlen ? data + 2 + glen : NULL;
    r->nonce_len = nlen;
    return IKE_DROP_NONE;
}

size_t ike_redirect_data(const struct ike_redirect *r, uint8_t *out, size_t cap)
{
    uint8_t glen = r->gw_len;
    if (r->gw_type == REDIR_GW_IPV4   ? glen != 4
        : r->gw_type == REDIR_GW_IPV6 ? glen != 16
        : r->gw_type == REDIR_GW_FQDN ? glen == 0
                                      : true)
        return 0;
    size_t nlen = r->nonce_len;
    if (nlen != 0 && (nlen < IKE_NONCE_MIN || nlen > IKE_NONCE_MAX || !r->nonce)) return 0;
    size_t total = 2 + (size_t)glen + nlen;
    if (total > cap) return 0;
    out[0] = r->gw_type;
    out[1] = glen;
    memcpy(out + 2, r->gw, glen);
    if (nlen) memcpy(out + 2 + glen, r->nonce, nlen);
    return total;
}

/* ---- building ---- */

void ikew_init(struct ike_wbuf *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
    w->np_off = NP_NONE;
    w->sk_off = 0;
    w->sk_body = 0;
    w->overflow = false;
}

/* n bytes at the end of the message, or NULL (and overflow set) when they do not fit or the
 * message is already closed by an SK payload. */
static uint8_t *room(struct ike_wbuf *w, size_t n)
{
    if (w->overflow) return NULL;
    if (w->np_off == NP_SEALED || n > w->cap - w->len) {
        w->overflow = true;
        return NULL;
    }
    uint8_t *p = w->buf + w->len;
    w->len += n;
    return p;
}

void ikew_put(struct ike_wbuf *w, const void *p, size_t n)
{
    uint8_t *d = room(w, n);
    if (d && n) {
        if (p)
            memcpy(d, p, n);
        else
            memset(d, 0, n);
    }
}

void ikew_put8(struct ike_wbuf *w, uint8_t v)
{
    uint8_t *d = room(w, 1);
    if (d) d[0] = v;
}

void ikew_put16(struct ike_wbuf *w, uint16_t v)
{
    uint8_t *d = room(w, 2);
    if (d) put16(d, v);
}

void ikew_put32(struct ike_wbuf *w, uint32_t v)
{
    uint8_t *d = room(w, 4);
    if (d) put32(d, v);
}

void ikew_hdr(struct ike_wbuf *w, const struct ike_hdr *h)
{
    /* The header is the start of the message: ikew_finish patches Length at offset 24. */
    if (w->len != 0) {
        w->overflow = true;
        return;
    }
    uint8_t *d = room(w, IKE_HDR_LEN);
    if (!d) return;
    put64(d, h->spi_i);
    put64(d + 8, h->spi_r);
    d[16] = IKE_PL_NONE;
    d[17] = (uint8_t)(h->major << 4 | (h->minor & 0x0f));
    d[18] = h->exchange;
    d[19] = h->flags;
    put32(d + 20, h->msgid);
    put32(d + 24, 0);
    w->np_off = HDR_NEXT_OFF;
}

size_t ikew_pl_begin(struct ike_wbuf *w, uint8_t type, bool critical)
{
    size_t start = w->len;
    uint8_t *d = room(w, IKE_GENERIC_HDR_LEN);
    if (!d) return start;
    d[0] = IKE_PL_NONE;
    d[1] = critical ? GEN_CRITICAL : 0;
    put16(d + 2, 0);
    if (w->np_off < start) w->buf[w->np_off] = type;
    w->np_off = start;
    return start;
}

void ikew_pl_end(struct ike_wbuf *w, size_t start)
{
    if (w->overflow || start > w->len || w->len - start < IKE_GENERIC_HDR_LEN) return;
    size_t plen = w->len - start;
    if (plen > UINT16_MAX) {
        w->overflow = true;
        return;
    }
    put16(w->buf + start + 2, (uint16_t)plen);
}

/* One proposal substructure (§3.3.1) with its transforms (§3.3.2). */
static void put_proposal(struct ike_wbuf *w, const struct ike_proposal *p,
                         const struct ike_transform *t, bool last)
{
    if (p->ntrans > 255 || p->spi_size > sizeof p->spi) {
        w->overflow = true;
        return;
    }
    size_t plen = PROP_HDR_LEN + p->spi_size;
    for (int j = 0; j < p->ntrans; j++) plen += TRANS_HDR_LEN + (t[j].keylen ? 4 : 0);
    if (plen > UINT16_MAX) {
        w->overflow = true;
        return;
    }
    uint8_t *d = room(w, plen);
    if (!d) return;
    /* §3.3.1 / §3.3.2: Last Substruc 2 / 3 while more follow, 0 on the last one. */
    d[0] = last ? 0 : PROP_MORE;
    d[1] = 0;
    put16(d + 2, (uint16_t)plen);
    d[4] = p->num;
    d[5] = p->proto;
    d[6] = p->spi_size;
    d[7] = (uint8_t)p->ntrans;
    memcpy(d + PROP_HDR_LEN, p->spi, p->spi_size);
    d += PROP_HDR_LEN + p->spi_size;
    for (int j = 0; j < p->ntrans; j++) {
        size_t tlen = TRANS_HDR_LEN + (t[j].keylen ? 4 : 0);
        d[0] = j + 1 < p->ntrans ? TRANS_MORE : 0;
        d[1] = 0;
        put16(d + 2, (uint16_t)tlen);
        d[4] = t[j].type;
        d[5] = 0;
        put16(d + 6, t[j].id);
        if (t[j].keylen) {
            put16(d + 8, ATTR_TV | IKE_ATTR_KEY_LENGTH);
            put16(d + 10, t[j].keylen);
        }
        d += tlen;
    }
}

void ikew_sa(struct ike_wbuf *w, const struct ike_sa_pl *sa)
{
    if (sa->nprop < 1 || sa->nprop > IKE_MAX_PROPOSALS || sa->ntrans < 0 ||
        sa->ntrans > IKE_MAX_SA_TRANSFORMS) {
        w->overflow = true;
        return;
    }
    size_t start = ikew_pl_begin(w, IKE_PL_SA, false);
    for (int i = 0; i < sa->nprop && !w->overflow; i++) {
        const struct ike_proposal *p = &sa->prop[i];
        if (p->first + p->ntrans > sa->ntrans) {
            w->overflow = true;
            return;
        }
        put_proposal(w, p, sa->t + p->first, i + 1 == sa->nprop);
    }
    ikew_pl_end(w, start);
}

void ikew_sa_one(struct ike_wbuf *w, const struct ike_proposal *p, const struct ike_transform *t)
{
    size_t start = ikew_pl_begin(w, IKE_PL_SA, false);
    put_proposal(w, p, t, true);
    ikew_pl_end(w, start);
}

/* A payload whose body is a short fixed lead (type byte(s), RESERVED) then opaque data. */
static void pl_lead_data(struct ike_wbuf *w, uint8_t pltype, const uint8_t *lead, size_t leadlen,
                         const uint8_t *data, size_t len)
{
    size_t start = ikew_pl_begin(w, pltype, false);
    ikew_put(w, lead, leadlen);
    if (len && !data) {
        w->overflow = true;
        return;
    }
    ikew_put(w, data, len);
    ikew_pl_end(w, start);
}

void ikew_ke(struct ike_wbuf *w, uint16_t group, const uint8_t *data, size_t len)
{
    uint8_t lead[4] = {(uint8_t)(group >> 8), (uint8_t)group, 0, 0};
    pl_lead_data(w, IKE_PL_KE, lead, 4, data, len);
}

void ikew_id(struct ike_wbuf *w, uint8_t pltype, uint8_t idtype, const uint8_t *d, size_t len)
{
    uint8_t lead[4] = {idtype, 0, 0, 0};
    pl_lead_data(w, pltype, lead, 4, d, len);
}

void ikew_cert(struct ike_wbuf *w, uint8_t pltype, uint8_t enc, const uint8_t *d, size_t len)
{
    uint8_t lead[1] = {enc};
    pl_lead_data(w, pltype, lead, 1, d, len);
}

void ikew_auth(struct ike_wbuf *w, uint8_t method, const uint8_t *d, size_t len)
{
    uint8_t lead[4] = {method, 0, 0, 0};
    pl_lead_data(w, IKE_PL_AUTH, lead, 4, d, len);
}

void ikew_nonce(struct ike_wbuf *w, const uint8_t *d, size_t len)
{
    pl_lead_data(w, IKE_PL_NONCE, NULL, 0, d, len);
}

void ikew_vendor(struct ike_wbuf *w, const uint8_t *d, size_t len)
{
    pl_lead_data(w, IKE_PL_VENDOR, NULL, 0, d, len);
}

void ikew_notify(struct ike_wbuf *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
                 uint16_t type, const uint8_t *data, size_t len)
{
    if (spi_size && !spi) {
        w->overflow = true;
        return;
    }
    uint8_t lead[4] = {proto, spi_size, (uint8_t)(type >> 8), (uint8_t)type};
    size_t start = ikew_pl_begin(w, IKE_PL_NOTIFY, false);
    ikew_put(w, lead, 4);
    ikew_put(w, spi, spi_size);
    if (len && !data) {
        w->overflow = true;
        return;
    }
    ikew_put(w, data, len);
    ikew_pl_end(w, start);
}

void ikew_delete(struct ike_wbuf *w, const struct ike_delete *d)
{
    if (d->nspi > IKE_MAX_DELETE_SPIS || d->spi_size > sizeof d->spi[0]) {
        w->overflow = true;
        return;
    }
    size_t start = ikew_pl_begin(w, IKE_PL_DELETE, false);
    uint8_t *p = room(w, 4 + (size_t)d->nspi * d->spi_size);
    if (!p) return;
    p[0] = d->proto;
    p[1] = d->spi_size;
    put16(p + 2, d->nspi);
    for (unsigned i = 0; i < d->nspi; i++)
        memcpy(p + 4 + (size_t)i * d->spi_size, d->spi[i], d->spi_size);
    ikew_pl_end(w, start);
}

void ikew_ts(struct ike_wbuf *w, uint8_t pltype, const struct ike_ts_set *ts)
{
    if (ts->n < 0 || ts->n > IKE_MAX_TS) {
        w->overflow = true;
        return;
    }
    size_t total = TS_HDR_LEN;
    for (int i = 0; i < ts->n; i++) {
        if (ts->ts[i].type == IKE_TS_IPV4_ADDR_RANGE)
            total += TS_V4_LEN;
        else if (ts->ts[i].type == IKE_TS_IPV6_ADDR_RANGE)
            total += TS_V6_LEN;
        else {
            w->overflow = true;
            return;
        }
    }
    size_t start = ikew_pl_begin(w, pltype, false);
    uint8_t *p = room(w, total);
    if (!p) return;
    p[0] = (uint8_t)ts->n;
    p[1] = p[2] = p[3] = 0;
    p += TS_HDR_LEN;
    for (int i = 0; i < ts->n; i++) {
        const struct ike_ts *t = &ts->ts[i];
        size_t alen = t->type == IKE_TS_IPV4_ADDR_RANGE ? 4 : 16;
        p[0] = t->type;
        p[1] = t->ipproto;
        put16(p + 2, (uint16_t)(8 + 2 * alen));
        put16(p + 4, t->sport);
        put16(p + 6, t->eport);
        memcpy(p + 8, t->saddr, alen);
        memcpy(p + 8 + alen, t->eaddr, alen);
        p += 8 + 2 * alen;
    }
    ikew_pl_end(w, start);
}

void ikew_cp(struct ike_wbuf *w, const struct ike_cp *cp)
{
    if (cp->nattr < 0 || cp->nattr > IKE_MAX_CP_ATTRS) {
        w->overflow = true;
        return;
    }
    size_t total = CP_HDR_LEN;
    for (int i = 0; i < cp->nattr; i++) {
        if (cp->a[i].len && !cp->a[i].value) {
            w->overflow = true;
            return;
        }
        total += CP_ATTR_HDR_LEN + cp->a[i].len;
    }
    size_t start = ikew_pl_begin(w, IKE_PL_CP, false);
    uint8_t *p = room(w, total);
    if (!p) return;
    p[0] = cp->cfg_type;
    p[1] = p[2] = p[3] = 0;
    p += CP_HDR_LEN;
    for (int i = 0; i < cp->nattr; i++) {
        const struct ike_cp_attr *a = &cp->a[i];
        put16(p, a->type & CP_TYPE_MASK); /* R bit sent as zero (§3.15.1) */
        put16(p + 2, a->len);
        if (a->len) memcpy(p + 4, a->value, a->len);
        p += CP_ATTR_HDR_LEN + a->len;
    }
    ikew_pl_end(w, start);
}

static bool sk_open(const struct ike_wbuf *w)
{
    return w->sk_off != 0 && w->np_off != NP_SEALED;
}

void ikew_sk_begin(struct ike_wbuf *w, size_t iv_len)
{
    /* SK protects a message: the header must be there, and SK cannot nest. */
    if (w->len < IKE_HDR_LEN || sk_open(w)) {
        w->overflow = true;
        return;
    }
    size_t start = ikew_pl_begin(w, IKE_PL_SK, false);
    ikew_put(w, NULL, iv_len);
    if (w->overflow) return;
    /* ikew_pl_begin left np_off on the SK header's Next Payload: the first inner payload
     * patches it, as §3.14 wants. */
    w->sk_off = start;
    w->sk_body = start + IKE_GENERIC_HDR_LEN;
}

/* §3.14: the padding makes (inner payloads + padding + Pad Length) a multiple of the block.
 * It is computed over IV + inner payloads, which is the same thing because every IKEv2
 * cipher's IV is a whole number of blocks (CBC: one block; AEAD and counter modes: block 1).
 * sk_off and sk_body stay set for ike_sk_seal; np_off is sealed so nothing follows SK. */
void ikew_sk_end(struct ike_wbuf *w, size_t block, size_t icv_len)
{
    if (!sk_open(w) || block == 0 || block > 256) {
        w->overflow = true;
        return;
    }
    if (w->overflow) return;
    size_t used = w->len - w->sk_body + 1;
    size_t pad = (block - used % block) % block;
    uint8_t *p = room(w, pad + 1 + icv_len);
    if (!p) return;
    memset(p, 0, pad); /* §3.14: any value */
    p[pad] = (uint8_t)pad;
    memset(p + pad + 1, 0, icv_len);
    ikew_pl_end(w, w->sk_off);
    w->np_off = NP_SEALED;
}

void ikew_skf(struct ike_wbuf *w, uint8_t first_np, uint16_t num, uint16_t total, size_t iv_len,
              const uint8_t *chunk, size_t chunk_len, size_t block, size_t icv_len)
{
    if (w->len < IKE_HDR_LEN || sk_open(w) || num == 0 || num > total || block == 0 ||
        block > 256) {
        w->overflow = true;
        return;
    }
    size_t start = ikew_pl_begin(w, IKE_PL_SKF, false);
    ikew_put16(w, num);
    ikew_put16(w, total);
    ikew_put(w, NULL, iv_len);
    ikew_put(w, chunk, chunk_len);
    if (w->overflow) return;
    w->buf[start] = first_np; /* §2.5: the first inner payload's type in fragment 1, else 0 */
    size_t body = start + IKE_GENERIC_HDR_LEN + 4;
    size_t used = w->len - body + 1;
    size_t pad = (block - used % block) % block;
    uint8_t *p = room(w, pad + 1 + icv_len);
    if (!p) return;
    memset(p, 0, pad);
    p[pad] = (uint8_t)pad;
    memset(p + pad + 1, 0, icv_len);
    ikew_pl_end(w, start);
    w->sk_off = start;
    w->np_off = NP_SEALED;
}

size_t ikew_skf_overhead(size_t iv_len, size_t block, size_t icv_len)
{
    /* generic header + numbers + IV + worst padding + pad length + ICV */
    return IKE_GENERIC_HDR_LEN + 4 + iv_len + (block - 1) + 1 + icv_len;
}

size_t ikew_finish(struct ike_wbuf *w)
{
    if (sk_open(w) || w->len < IKE_HDR_LEN || w->len > IKE_MAX_MSG) w->overflow = true;
    if (w->overflow) return 0;
    put32(w->buf + HDR_LEN_OFF, (uint32_t)w->len);
    return w->len;
}

/* ---- names ---- */

const char *ike_payload_name(uint8_t type)
{
    switch (type) {
    case IKE_PL_NONE: return "NONE";
    case IKE_PL_SA: return "SA";
    case IKE_PL_KE: return "KE";
    case IKE_PL_IDI: return "IDi";
    case IKE_PL_IDR: return "IDr";
    case IKE_PL_CERT: return "CERT";
    case IKE_PL_CERTREQ: return "CERTREQ";
    case IKE_PL_AUTH: return "AUTH";
    case IKE_PL_NONCE: return "No";
    case IKE_PL_NOTIFY: return "N";
    case IKE_PL_DELETE: return "D";
    case IKE_PL_VENDOR: return "V";
    case IKE_PL_TSI: return "TSi";
    case IKE_PL_TSR: return "TSr";
    case IKE_PL_SK: return "SK";
    case IKE_PL_CP: return "CP";
    case IKE_PL_EAP: return "EAP";
    case IKE_PL_SKF: return "SKF";
    default: return "unknown";
    }
}

const char *ike_exchange_name(uint8_t exchange)
{
    switch (exchange) {
    case IKE_SA_INIT: return "IKE_SA_INIT";
    case IKE_AUTH: return "IKE_AUTH";
    case IKE_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
    case IKE_INFORMATIONAL: return "INFORMATIONAL";
    default: return "unknown";
    }
}

struct notify_names {
    uint16_t type;
    const char *name, *brief;
};

/* IANA "IKEv2 Notify Message Types" names, and the short forms for one-line summaries. */
static const struct notify_names notify_names[] = {
    {IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD", "UNSUP_CRIT"},
    {IKE_N_INVALID_IKE_SPI, "INVALID_IKE_SPI", "BAD_IKE_SPI"},
    {IKE_N_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION", "BAD_MAJOR"},
    {IKE_N_INVALID_SYNTAX, "INVALID_SYNTAX", "BAD_SYNTAX"},
    {IKE_N_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID", "BAD_MSGID"},
    {IKE_N_INVALID_SPI, "INVALID_SPI", "BAD_SPI"},
    {IKE_N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN", "NO_PROP"},
    {IKE_N_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD", "BAD_KE"},
    {IKE_N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED", "AUTH_FAILED"},
    {IKE_N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED", "SINGLE_PAIR"},
    {IKE_N_NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS", "NO_MORE_SAS"},
    {IKE_N_INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE", "ADDR_FAIL"},
    {IKE_N_FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED", "CP_REQUIRED"},
    {IKE_N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE", "TS_UNACCEPT"},
    {IKE_N_INVALID_SELECTORS, "INVALID_SELECTORS", "BAD_SEL"},
    {IKE_N_TEMPORARY_FAILURE, "TEMPORARY_FAILURE", "TEMP_FAIL"},
    {IKE_N_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND", "NO_CHILD"},
    {IKE_N_INITIAL_CONTACT, "INITIAL_CONTACT", "INIT_CONTACT"},
    {IKE_N_SET_WINDOW_SIZE, "SET_WINDOW_SIZE", "WINDOW"},
    {IKE_N_ADDITIONAL_TS_POSSIBLE, "ADDITIONAL_TS_POSSIBLE", "MORE_TS"},
    {IKE_N_IPCOMP_SUPPORTED, "IPCOMP_SUPPORTED", "IPCOMP_SUP"},
    {IKE_N_NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP", "NATD_S_IP"},
    {IKE_N_NAT_DETECTION_DESTINATION_IP, "NAT_DETECTION_DESTINATION_IP", "NATD_D_IP"},
    {IKE_N_COOKIE, "COOKIE", "COOKIE"},
    {IKE_N_USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE", "TRANSPORT"},
    {IKE_N_HTTP_CERT_LOOKUP_SUPPORTED, "HTTP_CERT_LOOKUP_SUPPORTED", "HTTP_CERT"},
    {IKE_N_REKEY_SA, "REKEY_SA", "REKEY_SA"},
    {IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PADDING_NOT_SUPPORTED", "NO_TFC"},
    {IKE_N_NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGMENTS_ALSO", "FRAGS_ALSO"},
    {IKE_N_MOBIKE_SUPPORTED, "MOBIKE_SUPPORTED", "MOBIKE_SUP"},
    {IKE_N_REDIRECT_SUPPORTED, "REDIRECT_SUPPORTED", "REDIR_SUP"},
    {IKE_N_REDIRECT, "REDIRECT", "REDIR"},
    {IKE_N_REDIRECTED_FROM, "REDIRECTED_FROM", "REDIR_FROM"},
    {IKE_N_EAP_ONLY_AUTHENTICATION, "EAP_ONLY_AUTHENTICATION", "EAP_ONLY"},
    {IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, "IKEV2_FRAGMENTATION_SUPPORTED", "FRAG_SUP"},
    {IKE_N_SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS", "HASH_ALG"},
};

static const struct notify_names *notify_lookup(uint16_t type)
{
    for (size_t i = 0; i < sizeof notify_names / sizeof notify_names[0]; i++)
        if (notify_names[i].type == type) return &notify_names[i];
    return NULL;
}

const char *ike_notify_name(uint16_t type)
{
    const struct notify_names *n = notify_lookup(type);
    return n ? n->name : "unknown";
}

const char *ike_notify_short_name(uint16_t type)
{
    const struct notify_names *n = notify_lookup(type);
    return n ? n->brief : NULL;
}

/* Appends to a bounded string: once full, the rest is cut but the string stays terminated. */
struct sbuf {
    char *buf;
    size_t cap, len;
};

static void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
    if (s->cap == 0 || s->len + 1 >= s->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    s->len += (size_t)n < s->cap - s->len ? (size_t)n : s->cap - s->len - 1;
}

static void summary_pl(struct sbuf *s, const struct ike_pl *p)
{
    if (p->type == IKE_PL_NOTIFY) {
        struct ike_notify n;
        if (ike_parse_notify(p->body, p->len, &n) != IKE_DROP_NONE) {
            sb_printf(s, " N(?)");
            return;
        }
        const char *brief = ike_notify_short_name(n.type);
        if (brief)
            sb_printf(s, " N(%s)", brief);
        else
            sb_printf(s, " N(%u)", n.type);
    } else if (known_type(p->type)) {
        sb_printf(s, " %s", ike_payload_name(p->type));
    } else {
        sb_printf(s, " U(%u)", p->type);
    }
}

size_t ike_msg_summary(const struct ike_msg *m, const struct ike_pl *inner, int ninner, char *buf,
                       size_t cap)
{
    struct sbuf s = {buf, cap, 0};
    if (cap) buf[0] = '\0';
    const char *ex = ike_exchange_name(m->hdr.exchange);
    const char *dir = m->hdr.flags & IKE_FLAG_RESPONSE ? "response" : "request";
    if (strcmp(ex, "unknown") == 0)
        sb_printf(&s, "EXCHANGE(%u) %s %u [", m->hdr.exchange, dir, m->hdr.msgid);
    else
        sb_printf(&s, "%s %s %u [", ex, dir, m->hdr.msgid);
    for (int i = 0; i < m->npl && i < IKE_MAX_PAYLOADS; i++) {
        if (i == m->sk && inner) {
            for (int j = 0; j < ninner; j++) summary_pl(&s, &inner[j]);
        } else {
            summary_pl(&s, &m->pl[i]);
        }
    }
    sb_printf(&s, " ]");
    return s.len;
}
