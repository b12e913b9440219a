/* libFuzzer harness for the IKEv2 wire codec of ike/ike_wire.h: ike_msg_parse on arbitrary
 * bytes, then the typed parser of every payload found, the SK body walked as if it were
 * plaintext (whole, and after an 8- or 16-byte IV with the padding stripped), and the summary.
 *
 * Invariants checked, besides the sanitizers:
 * - every result is a named reason; IKE_DROP_CRITICAL reports an unknown type; a parsed
 *   message's payloads tile the bytes after the header exactly (generic headers included), in
 *   order, and SK/SKF is only ever the last one;
 * - ike_hdr_parse agrees with ike_msg_parse on the header reasons;
 * - for every SA, KE, ID, CERT, CERTREQ, AUTH, Nonce, Notify, Delete, TS and CP body that
 *   parses: parse(build(x)) == x field by field, build is idempotent on its own output, and
 *   a buffer one byte short sets overflow without writing past its end (a guard region);
 * - REDIRECT / REDIRECTED_FROM data that parses rebuilds to the same bytes;
 * - ike_msg_summary writes a terminated string no longer than its buffer, whatever the size. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ike/ike_wire.h"
#include "test/fuzz/fuzz_util.h"

#define GUARD_LEN 32
#define GUARD_BYTE 0xA5

static uint8_t out1[IKE_MAX_MSG + GUARD_LEN];
static uint8_t out2[IKE_MAX_MSG + GUARD_LEN];

/* A message holding one payload built by `emit`; returns its length (0 when it did not fit,
 * which the caller's size check rules out). */
struct rebuild {
    uint8_t pltype;
    const void *arg;
    const uint8_t *data;
    size_t len;
};

static void emit(struct ike_wbuf *w, const struct rebuild *r)
{
    switch (r->pltype) {
    case IKE_PL_SA: ikew_sa(w, r->arg); break;
    case IKE_PL_KE: {
        const struct ike_ke *ke = r->arg;
        ikew_ke(w, ke->group, ke->data, ke->len);
        break;
    }
    case IKE_PL_IDI:
    case IKE_PL_IDR: {
        const struct ike_id *id = r->arg;
        ikew_id(w, r->pltype, id->type, id->data, id->len);
        break;
    }
    case IKE_PL_CERT:
    case IKE_PL_CERTREQ: {
        const struct ike_cert *c = r->arg;
        ikew_cert(w, r->pltype, c->encoding, c->data, c->len);
        break;
    }
    case IKE_PL_AUTH: {
        const struct ike_auth *a = r->arg;
        ikew_auth(w, a->method, a->data, a->len);
        break;
    }
    case IKE_PL_NONCE: ikew_nonce(w, r->data, r->len); break;
    case IKE_PL_NOTIFY: {
        const struct ike_notify *n = r->arg;
        ikew_notify(w, n->proto, n->spi, n->spi_size, n->type, n->data, n->len);
        break;
    }
    case IKE_PL_DELETE: ikew_delete(w, r->arg); break;
    case IKE_PL_TSI:
    case IKE_PL_TSR: ikew_ts(w, r->pltype, r->arg); break;
    case IKE_PL_CP: ikew_cp(w, r->arg); break;
    default: FUZZ_CHECK(!"no builder for this type");
    }
}

static size_t build_into(uint8_t *buf, size_t cap, const struct rebuild *r)
{
    struct ike_wbuf w;
    struct ike_hdr h = {.spi_i = 1, .spi_r = 2, .major = 2, .exchange = IKE_INFORMATIONAL};
    memset(buf + cap, GUARD_BYTE, GUARD_LEN);
    ikew_init(&w, buf, cap);
    ikew_hdr(&w, &h);
    emit(&w, r);
    size_t n = ikew_finish(&w);
    FUZZ_CHECK(w.len <= cap);
    for (size_t i = 0; i < GUARD_LEN; i++) FUZZ_CHECK(buf[cap + i] == GUARD_BYTE);
    FUZZ_CHECK((n == 0) == w.overflow);
    return n;
}

/* Builds, re-parses the outer message, and returns the rebuilt payload body. */
static const struct ike_pl *rebuild(const struct rebuild *r, struct ike_msg *m)
{
    size_t n = build_into(out1, IKE_MAX_MSG, r);
    FUZZ_CHECK(n > IKE_HDR_LEN);
    uint8_t uc = 0;
    FUZZ_CHECK(ike_msg_parse(out1, n, m, &uc) == IKE_DROP_NONE);
    FUZZ_CHECK(m->npl == 1 && m->pl[0].type == r->pltype && !m->pl[0].critical);
    /* one byte short: refused, nothing past the end */
    FUZZ_CHECK(build_into(out2, n - 1, r) == 0);
    /* the same again: the same bytes */
    FUZZ_CHECK(build_into(out2, IKE_MAX_MSG, r) == n);
    FUZZ_CHECK(memcmp(out1, out2, n) == 0);
    return &m->pl[0];
}

static void same_sa(const struct ike_sa_pl *a, const struct ike_sa_pl *b)
{
    FUZZ_CHECK(a->nprop == b->nprop);
    for (int i = 0; i < a->nprop; i++) {
        const struct ike_proposal *p = &a->prop[i], *q = &b->prop[i];
        FUZZ_CHECK(p->num == q->num && p->proto == q->proto && p->spi_size == q->spi_size);
        FUZZ_CHECK(memcmp(p->spi, q->spi, sizeof p->spi) == 0);
        FUZZ_CHECK(p->ntrans == q->ntrans);
        const struct ike_transform *pt = ike_prop_transforms(a, p), *qt = ike_prop_transforms(b, q);
        for (int j = 0; j < p->ntrans; j++) {
            FUZZ_CHECK(pt[j].type == qt[j].type && pt[j].id == qt[j].id);
            FUZZ_CHECK(pt[j].keylen == qt[j].keylen);
        }
    }
}

static void check_sa(const uint8_t *b, size_t len)
{
    static struct ike_sa_pl sa, again;
    if (ike_parse_sa(b, len, &sa) != IKE_DROP_NONE) return;
    FUZZ_CHECK(sa.nprop >= 1 && sa.nprop <= IKE_MAX_PROPOSALS);
    FUZZ_CHECK(sa.skipped >= 0 && (sa.skipped == 0 || sa.nprop == IKE_MAX_PROPOSALS));
    FUZZ_CHECK(sa.ntrans >= 0 && sa.ntrans <= IKE_MAX_SA_TRANSFORMS);
    /* An offer starts at 1; a lone proposal (an answer) keeps the number it accepted. */
    FUZZ_CHECK(sa.prop[0].num == 1 || (sa.nprop == 1 && !sa.skipped && sa.prop[0].num != 0));
    int total = 0;
    for (int i = 0; i < sa.nprop; i++) {
        const struct ike_proposal *p = &sa.prop[i];
        FUZZ_CHECK(p->spi_size == 0 || p->spi_size == 4 || p->spi_size == 8);
        FUZZ_CHECK(p->ntrans <= 255 && p->first == total);
        total += p->ntrans;
        for (int j = p->spi_size; j < 8; j++) FUZZ_CHECK(p->spi[j] == 0);
        if (i) FUZZ_CHECK(p->num == sa.prop[i - 1].num || p->num == sa.prop[i - 1].num + 1);
    }
    FUZZ_CHECK(total == sa.ntrans);
    /* A rebuilt payload carries only the proposals that were kept. */
    sa.skipped = 0;
    struct ike_msg m;
    struct rebuild r = {IKE_PL_SA, &sa, NULL, 0};
    const struct ike_pl *p = rebuild(&r, &m);
    FUZZ_CHECK(p->len <= len);
    FUZZ_CHECK(ike_parse_sa(p->body, p->len, &again) == IKE_DROP_NONE);
    same_sa(&sa, &again);
}

static void check_ts(uint8_t pltype, const uint8_t *b, size_t len)
{
    static struct ike_ts_set ts, again;
    if (ike_parse_ts(b, len, &ts) != IKE_DROP_NONE) return;
    FUZZ_CHECK(ts.n >= 1 && ts.n <= IKE_MAX_TS);
    struct ike_msg m;
    struct rebuild r = {pltype, &ts, NULL, 0};
    const struct ike_pl *p = rebuild(&r, &m);
    FUZZ_CHECK(p->len == len);
    FUZZ_CHECK(ike_parse_ts(p->body, p->len, &again) == IKE_DROP_NONE);
    FUZZ_CHECK(ts.n == again.n);
    for (int i = 0; i < ts.n; i++) {
        const struct ike_ts *x = &ts.ts[i], *y = &again.ts[i];
        FUZZ_CHECK(x->type == y->type && x->ipproto == y->ipproto);
        FUZZ_CHECK(x->sport == y->sport && x->eport == y->eport);
        FUZZ_CHECK(memcmp(x->saddr, y->saddr, 16) == 0 && memcmp(x->eaddr, y->eaddr, 16) == 0);
        if (x->type == IKE_TS_IPV4_ADDR_RANGE)
            for (int k = 4; k < 16; k++) FUZZ_CHECK(x->saddr[k] == 0 && x->eaddr[k] == 0);
    }
}

static void check_cp(const uint8_t *b, size_t len)
{
    static struct ike_cp cp, again;
    if (ike_parse_cp(b, len, &cp) != IKE_DROP_NONE) return;
    FUZZ_CHECK(cp.nattr >= 0 && cp.nattr <= IKE_MAX_CP_ATTRS);
    for (int i = 0; i < cp.nattr; i++) {
        FUZZ_CHECK(cp.a[i].type <= 0x7fff);
        FUZZ_CHECK(cp.a[i].value >= b && cp.a[i].value + cp.a[i].len <= b + len);
    }
    struct ike_msg m;
    struct rebuild r = {IKE_PL_CP, &cp, NULL, 0};
    const struct ike_pl *p = rebuild(&r, &m);
    FUZZ_CHECK(p->len == len);
    FUZZ_CHECK(ike_parse_cp(p->body, p->len, &again) == IKE_DROP_NONE);
    FUZZ_CHECK(cp.cfg_type == again.cfg_type && cp.nattr == again.nattr);
    for (int i = 0; i < cp.nattr; i++) {
        FUZZ_CHECK(cp.a[i].type == again.a[i].type && cp.a[i].len == again.a[i].len);
        if (cp.a[i].len) FUZZ_CHECK(memcmp(cp.a[i].value, again.a[i].value, cp.a[i].len) == 0);
    }
}

static void check_delete(const uint8_t *b, size_t len)
{
    static struct ike_delete d, again;
    if (ike_parse_delete(b, len, &d) != IKE_DROP_NONE) return;
    FUZZ_CHECK(d.nspi <= IKE_MAX_DELETE_SPIS);
    FUZZ_CHECK(d.proto == IKE_PROTO_IKE ? d.spi_size == 0 && d.nspi == 0 : d.spi_size == 4);
    struct ike_msg m;
    struct rebuild r = {IKE_PL_DELETE, &d, NULL, 0};
    const struct ike_pl *p = rebuild(&r, &m);
    FUZZ_CHECK(p->len == len);
    FUZZ_CHECK(ike_parse_delete(p->body, p->len, &again) == IKE_DROP_NONE);
    FUZZ_CHECK(d.proto == again.proto && d.spi_size == again.spi_size && d.nspi == again.nspi);
    for (unsigned i = 0; i < d.nspi; i++) FUZZ_CHECK(memcmp(d.spi[i], again.spi[i], 8) == 0);
}

static void check_redirect(const uint8_t *data, size_t len)
{
    struct ike_redirect r;
    if (ike_parse_redirect(data, len, &r) != IKE_DROP_NONE) return;
    FUZZ_CHECK(r.gw_type >= 1 && r.gw_type <= 3);
    FUZZ_CHECK(r.nonce_len == 0 || (r.nonce_len >= IKE_NONCE_MIN && r.nonce_len <= IKE_NONCE_MAX));
    uint8_t out[2 + 255 + IKE_NONCE_MAX];
    size_t n = ike_redirect_data(&r, out, sizeof out);
    FUZZ_CHECK(n == len && memcmp(out, data, len) == 0);
    FUZZ_CHECK(ike_redirect_data(&r, out, n - 1) == 0);
}

static void check_notify(const uint8_t *b, size_t len)
{
    struct ike_notify n, again;
    if (ike_parse_notify(b, len, &n) != IKE_DROP_NONE) return;
    FUZZ_CHECK(n.spi_size == 0 || n.spi_size == 4 || n.spi_size == 8);
    FUZZ_CHECK(n.data + n.len == b + len);
    if (n.type == IKE_N_REDIRECT || n.type == IKE_N_REDIRECTED_FROM) check_redirect(n.data, n.len);
    struct ike_msg m;
    struct rebuild r = {IKE_PL_NOTIFY, &n, NULL, 0};
    const struct ike_pl *p = rebuild(&r, &m);
    FUZZ_CHECK(p->len == len);
    FUZZ_CHECK(ike_parse_notify(p->body, p->len, &again) == IKE_DROP_NONE);
    FUZZ_CHECK(n.proto == again.proto && n.spi_size == again.spi_size && n.type == again.type);
    FUZZ_CHECK(memcmp(n.spi, again.spi, 8) == 0);
    FUZZ_CHECK(n.len == again.len && memcmp(n.data, again.data, n.len) == 0);
}

/* KE, ID, CERT(REQ), AUTH: a lead and opaque data. */
static void check_simple(uint8_t type, const uint8_t *b, size_t len)
{
    struct ike_msg m;
    const struct ike_pl *p;
    if (type == IKE_PL_KE) {
        struct ike_ke x, y;
        if (ike_parse_ke(b, len, &x) != IKE_DROP_NONE) return;
        struct rebuild r = {type, &x, NULL, 0};
        p = rebuild(&r, &m);
        FUZZ_CHECK(ike_parse_ke(p->body, p->len, &y) == IKE_DROP_NONE);
        FUZZ_CHECK(x.group == y.group && x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
    } else if (type == IKE_PL_IDI || type == IKE_PL_IDR) {
        struct ike_id x, y;
        if (ike_parse_id(b, len, &x) != IKE_DROP_NONE) return;
        struct rebuild r = {type, &x, NULL, 0};
        p = rebuild(&r, &m);
        FUZZ_CHECK(ike_parse_id(p->body, p->len, &y) == IKE_DROP_NONE);
        FUZZ_CHECK(x.type == y.type && x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
    } else if (type == IKE_PL_CERT || type == IKE_PL_CERTREQ) {
        struct ike_cert x, y;
        if (ike_parse_cert(b, len, &x) != IKE_DROP_NONE) return;
        struct rebuild r = {type, &x, NULL, 0};
        p = rebuild(&r, &m);
        FUZZ_CHECK(ike_parse_cert(p->body, p->len, &y) == IKE_DROP_NONE);
        FUZZ_CHECK(x.encoding == y.encoding && x.len == y.len);
        FUZZ_CHECK(memcmp(x.data, y.data, x.len) == 0);
    } else if (type == IKE_PL_AUTH) {
        struct ike_auth x, y;
        if (ike_parse_auth(b, len, &x) != IKE_DROP_NONE) return;
        struct rebuild r = {type, &x, NULL, 0};
        p = rebuild(&r, &m);
        FUZZ_CHECK(ike_parse_auth(p->body, p->len, &y) == IKE_DROP_NONE);
        FUZZ_CHECK(x.method == y.method && x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
    } else {
        if (ike_parse_nonce(b, len) != IKE_DROP_NONE) return;
        struct rebuild r = {IKE_PL_NONCE, NULL, b, len};
        p = rebuild(&r, &m);
        FUZZ_CHECK(ike_parse_nonce(p->body, p->len) == IKE_DROP_NONE);
        FUZZ_CHECK(p->len == len && memcmp(p->body, b, len) == 0);
        return;
    }
    FUZZ_CHECK(p->len == len);
}

static void check_payload(const struct ike_pl *p)
{
    /* A rebuilt payload is never longer than the original: it must fit one message. */
    if (p->len + IKE_HDR_LEN + IKE_GENERIC_HDR_LEN > IKE_MAX_MSG) return;
    switch (p->type) {
    case IKE_PL_SA: check_sa(p->body, p->len); break;
    case IKE_PL_TSI:
    case IKE_PL_TSR: check_ts(p->type, p->body, p->len); break;
    case IKE_PL_CP: check_cp(p->body, p->len); break;
    case IKE_PL_DELETE: check_delete(p->body, p->len); break;
    case IKE_PL_NOTIFY: check_notify(p->body, p->len); break;
    case IKE_PL_KE:
    case IKE_PL_IDI:
    case IKE_PL_IDR:
    case IKE_PL_CERT:
    case IKE_PL_CERTREQ:
    case IKE_PL_AUTH:
    case IKE_PL_NONCE: check_simple(p->type, p->body, p->len); break;
    default: break;
    }
}

static bool known(uint8_t t)
{
    return (t >= IKE_PL_SA && t <= IKE_PL_EAP) || t == IKE_PL_SKF;
}

/* A walked chain: payloads in order, inside buf, and SK only last. */
static void check_chain(const struct ike_pl *pl, int npl, const uint8_t *buf, size_t len,
                        bool complete)
{
    const uint8_t *at = buf;
    for (int i = 0; i < npl; i++) {
        FUZZ_CHECK(pl[i].body == at + IKE_GENERIC_HDR_LEN);
        FUZZ_CHECK(pl[i].body + pl[i].len <= buf + len);
        if (pl[i].type == IKE_PL_SK || pl[i].type == IKE_PL_SKF) FUZZ_CHECK(i == npl - 1);
        if (pl[i].critical) FUZZ_CHECK(known(pl[i].type));
        at = pl[i].body + pl[i].len;
    }
    if (complete) FUZZ_CHECK(at == buf + len);
}

static void walk_inner(uint8_t first, const uint8_t *b, size_t len)
{
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int npl = -1;
    uint8_t uc = 0;
    enum ike_drop r = ike_payloads_walk(first, b, len, pl, IKE_MAX_PAYLOADS, &npl, &uc);
    FUZZ_CHECK((unsigned)r < IKE_DROP_NCOUNT);
    FUZZ_CHECK(npl >= 0 && npl <= IKE_MAX_PAYLOADS);
    if (r == IKE_DROP_CRITICAL) FUZZ_CHECK(!known(uc));
    if (r != IKE_DROP_NONE) return;
    check_chain(pl, npl, b, len, true);
    for (int i = 0; i < npl; i++) check_payload(&pl[i]);
}

static void check_summary(const struct ike_msg *m, const struct ike_pl *inner, int ninner)
{
    static const size_t caps[] = {0, 1, 2, 9, 24, 64, 1024};
    char *full = NULL;
    size_t full_len = 0;
    for (size_t i = sizeof caps / sizeof caps[0]; i-- > 0;) {
        char *s = malloc(caps[i] ? caps[i] : 1);
        FUZZ_CHECK(s);
        size_t n = ike_msg_summary(m, inner, ninner, s, caps[i]);
        if (caps[i]) {
            FUZZ_CHECK(n < caps[i] && strlen(s) == n);
            if (!full) {
                full = s;
                full_len = n;
                continue;
            }
            FUZZ_CHECK(n <= full_len && memcmp(s, full, n) == 0);
        } else {
            FUZZ_CHECK(n == 0);
        }
        free(s);
    }
    free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ike_msg m;
    uint8_t uc = 0;
    enum ike_drop r = ike_msg_parse(data, size, &m, &uc);
    FUZZ_CHECK((unsigned)r < IKE_DROP_NCOUNT);
    FUZZ_CHECK(ike_drop_name(r)[0] != '\0');
    if (r == IKE_DROP_CRITICAL) FUZZ_CHECK(!known(uc));

    struct ike_hdr h;
    enum ike_drop hr = ike_hdr_parse(data, size, &h);
    if (hr != IKE_DROP_NONE)
        FUZZ_CHECK(r == hr);
    else
        FUZZ_CHECK(r != IKE_DROP_SHORT && r != IKE_DROP_VERSION && r != IKE_DROP_LENGTH);
    if (r != IKE_DROP_NONE) return 0;

    FUZZ_CHECK(m.hdr.major == 2 && m.hdr.length == size && m.raw == data && m.rawlen == size);
    FUZZ_CHECK(m.npl >= 0 && m.npl <= IKE_MAX_PAYLOADS);
    check_chain(m.pl, m.npl, data + IKE_HDR_LEN, size - IKE_HDR_LEN, true);
    if (m.sk >= 0) {
        FUZZ_CHECK(m.sk == m.npl - 1);
        FUZZ_CHECK(m.pl[m.sk].type == IKE_PL_SK || m.pl[m.sk].type == IKE_PL_SKF);
    } else {
        FUZZ_CHECK(m.sk == -1);
    }
    for (int i = 0; i < m.npl; i++) check_payload(&m.pl[i]);
    check_summary(&m, NULL, 0);

    if (m.sk >= 0) {
        const struct ike_pl *sk = &m.pl[m.sk];
        /* as if the body were plaintext */
        walk_inner(m.sk_next, sk->body, sk->len);
        /* as a decryption would leave it: IV skipped, ICV dropped, padding stripped */
        static const size_t ivs[] = {8, 16};
        for (size_t k = 0; k < 2; k++) {
            if (sk->len < ivs[k] + 1) continue;
            const uint8_t *in = sk->body + ivs[k];
            size_t enc = sk->len - ivs[k];
            size_t pad = in[enc - 1];
            if (pad + 1 > enc) continue;
            walk_inner(m.sk_next, in, enc - pad - 1);
        }
        struct ike_pl pl[IKE_MAX_PAYLOADS];
        int npl = 0;
        if (ike_payloads_walk(m.sk_next, sk->body, sk->len, pl, IKE_MAX_PAYLOADS, &npl, &uc) ==
            IKE_DROP_NONE)
            check_summary(&m, pl, npl);
    }
    return 0;
}
