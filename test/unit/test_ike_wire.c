/* Unit tests for ike/ike_wire.c: a hand-written IKE_SA_INIT request (RFC 7296 §3 layout, not
 * made by our builder) read field by field; build/parse round trips of every payload type; the
 * SK payload's padding arithmetic (CBC block 16, AEAD block 1) and inner chain; one test per
 * rejection branch (header, chain, proposals, SPI sizes, selectors, configuration attributes,
 * delete, notify, redirect); truncation at every byte; builder overflow against a guard region;
 * the one-line summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_wire.h"
#include "platform/bytes.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BUFSZ 4096
#define GUARD 0xA5

/* ---- helpers ---- */

static struct ike_hdr mkhdr(uint8_t exchange, uint8_t flags, uint32_t msgid)
{
    struct ike_hdr h = {0};
    h.spi_i = 0x0102030405060708ULL;
    h.spi_r = 0x1112131415161718ULL;
    h.major = 2;
    h.minor = 0;
    h.exchange = exchange;
    h.flags = flags;
    h.msgid = msgid;
    return h;
}

static void begin(struct ike_wbuf *w, uint8_t *buf, size_t cap, uint8_t exchange)
{
    struct ike_hdr h = mkhdr(exchange, IKE_FLAG_INITIATOR, 7);
    ikew_init(w, buf, cap);
    ikew_hdr(w, &h);
}

static size_t finish_ok(struct ike_wbuf *w)
{
    size_t n = ikew_finish(w);
    if (n == 0 || w->overflow) fail_msg("ikew_finish failed (len %zu)", w->len);
    return n;
}

static void parse_ok(const uint8_t *buf, size_t len, struct ike_msg *m)
{
    uint8_t uc = 0;
    enum ike_drop r = ike_msg_parse(buf, len, m, &uc);
    if (r != IKE_DROP_NONE) fail_msg("ike_msg_parse: %s", ike_drop_name(r));
}

static void expect_msg_drop(const uint8_t *buf, size_t len, enum ike_drop want)
{
    struct ike_msg m;
    uint8_t uc = 0;
    enum ike_drop r = ike_msg_parse(buf, len, &m, &uc);
    if (r != want)
        fail_msg("len %zu: got '%s', expected '%s'", len, ike_drop_name(r), ike_drop_name(want));
}

/* A message holding one payload: returns its parsed body. */
static const struct ike_pl *only_pl(const uint8_t *buf, size_t len, struct ike_msg *m, uint8_t type)
{
    parse_ok(buf, len, m);
    assert_int_equal(m->npl, 1);
    assert_int_equal(m->pl[0].type, type);
    assert_false(m->pl[0].critical);
    return &m->pl[0];
}

/* Writes an IKE header + one raw payload of the given body; returns the message length. */
static size_t raw_msg(uint8_t *buf, uint8_t type, uint8_t flags, const uint8_t *body, size_t blen)
{
    struct ike_wbuf w;
    begin(&w, buf, BUFSZ, IKE_INFORMATIONAL);
    size_t s = ikew_pl_begin(&w, type, flags & 0x80);
    ikew_put(&w, body, blen);
    ikew_pl_end(&w, s);
    size_t n = finish_ok(&w);
    buf[IKE_HDR_LEN + 1] = flags;
    return n;
}

/* ---- a known-good IKE_SA_INIT request, written by hand from RFC 7296 §3 ---- */

/* Initiator SPI 0x0102030405060708, SA (proposal 1, IKE, no SPI: ENCR_AES_CBC with Key Length
 * 256, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128, group 19), KE group 19 (64 bytes), Ni (32
 * bytes), NAT_DETECTION_SOURCE_IP and NAT_DETECTION_DESTINATION_IP (20-byte SHA-1 each). */
/* clang-format off */
static const uint8_t sa_init_req[] = {
    /* §3.1 header: SPIi, SPIr, Next=SA, 2.0, IKE_SA_INIT, Initiator, Message ID 0, Length 240 */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x21, 0x20, 0x22, 0x08, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xf0,
    /* SA: Next=KE, length 48 */
    0x22, 0x00, 0x00, 0x30,
    /* §3.3.1 proposal: last, length 44, #1, IKE, SPI size 0, 4 transforms */
    0x00, 0x00, 0x00, 0x2c, 0x01, 0x01, 0x00, 0x04,
    /* §3.3.2 transforms: ENCR 12 + §3.3.5 Key Length (TV) 256; PRF 5; INTEG 12; DH 19 */
    0x03, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x0c, 0x80, 0x0e, 0x01, 0x00,
    0x03, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x05,
    0x03, 0x00, 0x00, 0x08, 0x03, 0x00, 0x00, 0x0c,
    0x00, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x13,
    /* §3.4 KE: Next=Nonce, length 72, group 19, RESERVED, 64 bytes x||y */
    0x28, 0x00, 0x00, 0x48, 0x00, 0x13, 0x00, 0x00,
    0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
    0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
    0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
    0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
    /* §3.9 Nonce: Next=N, length 36, 32 bytes */
    0x29, 0x00, 0x00, 0x24,
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0,
    0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0,
    /* §3.10 N(NAT_DETECTION_SOURCE_IP): Next=N, length 28, proto 0, SPI size 0, 16388 */
    0x29, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x04,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    /* N(NAT_DETECTION_DESTINATION_IP): last, length 28, 16389 */
    0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x05,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
};
/* clang-format on */

static void test_known_sa_init(void **state)
{
    (void)state;
    assert_int_equal(sizeof sa_init_req, 240);
    struct ike_msg m;
    parse_ok(sa_init_req, sizeof sa_init_req, &m);
    assert_true(m.hdr.spi_i == 0x0102030405060708ULL);
    assert_true(m.hdr.spi_r == 0);
    assert_int_equal(m.hdr.next, IKE_PL_SA);
    assert_int_equal(m.hdr.major, 2);
    assert_int_equal(m.hdr.minor, 0);
    assert_int_equal(m.hdr.exchange, IKE_SA_INIT);
    assert_int_equal(m.hdr.flags, IKE_FLAG_INITIATOR);
    assert_int_equal(m.hdr.msgid, 0);
    assert_int_equal(m.hdr.length, 240);
    assert_ptr_equal(m.raw, sa_init_req);
    assert_int_equal(m.rawlen, 240);
    assert_int_equal(m.sk, -1);
    assert_int_equal(m.npl, 5);
    static const uint8_t types[] = {IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_NOTIFY,
                                    IKE_PL_NOTIFY};
    static const size_t lens[] = {44, 68, 32, 24, 24};
    static const size_t offs[] = {32, 80, 152, 188, 216};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(m.pl[i].type, types[i]);
        assert_false(m.pl[i].critical);
        assert_int_equal(m.pl[i].len, lens[i]);
        assert_ptr_equal(m.pl[i].body, sa_init_req + offs[i]);
    }

    struct ike_sa_pl sa;
    assert_int_equal(ike_parse_sa(m.pl[0].body, m.pl[0].len, &sa), IKE_DROP_NONE);
    assert_int_equal(sa.nprop, 1);
    assert_int_equal(sa.prop[0].num, 1);
    assert_int_equal(sa.prop[0].proto, IKE_PROTO_IKE);
    assert_int_equal(sa.prop[0].spi_size, 0);
    assert_int_equal(sa.prop[0].ntrans, 4);
    const struct ike_transform *t = ike_prop_transforms(&sa, &sa.prop[0]);
    assert_int_equal(t[0].type, IKE_TT_ENCR);
    assert_int_equal(t[0].id, IKE_ENCR_AES_CBC);
    assert_int_equal(t[0].keylen, 256);
    assert_int_equal(t[1].type, IKE_TT_PRF);
    assert_int_equal(t[1].id, IKE_PRF_HMAC_SHA2_256);
    assert_int_equal(t[1].keylen, 0);
    assert_int_equal(t[2].type, IKE_TT_INTEG);
    assert_int_equal(t[2].id, IKE_INTEG_HMAC_SHA2_256_128);
    assert_int_equal(t[3].type, IKE_TT_DH);
    assert_int_equal(t[3].id, IKE_DH_ECP256);

    struct ike_ke ke;
    assert_int_equal(ike_parse_ke(m.pl[1].body, m.pl[1].len, &ke), IKE_DROP_NONE);
    assert_int_equal(ke.group, IKE_DH_ECP256);
    assert_int_equal(ke.len, 64);
    assert_ptr_equal(ke.data, sa_init_req + 84);
    assert_int_equal(ke.data[0], 0x6b);
    assert_int_equal(ke.data[63], 0xf5);

    assert_int_equal(ike_parse_nonce(m.pl[2].body, m.pl[2].len), IKE_DROP_NONE);
    assert_int_equal(m.pl[2].body[0], 0xa1);
    assert_int_equal(m.pl[2].body[31], 0xc0);

    struct ike_notify n;
    assert_int_equal(ike_parse_notify(m.pl[3].body, m.pl[3].len, &n), IKE_DROP_NONE);
    assert_int_equal(n.proto, 0);
    assert_int_equal(n.spi_size, 0);
    assert_int_equal(n.type, IKE_N_NAT_DETECTION_SOURCE_IP);
    assert_int_equal(n.len, 20);
    assert_int_equal(n.data[0], 0x11);
    assert_int_equal(ike_parse_notify(m.pl[4].body, m.pl[4].len, &n), IKE_DROP_NONE);
    assert_int_equal(n.type, IKE_N_NAT_DETECTION_DESTINATION_IP);
    assert_int_equal(n.len, 20);
    assert_int_equal(n.data[19], 0x22);

    struct ike_hdr h;
    assert_int_equal(ike_hdr_parse(sa_init_req, sizeof sa_init_req, &h), IKE_DROP_NONE);
    assert_int_equal(h.length, 240);

    char s[128];
    ike_msg_summary(&m, NULL, 0, s, sizeof s);
    assert_string_equal(s, "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]");
}

/* Our builder writes the same bytes for the same content. */
static void test_builder_matches_known(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    struct ike_hdr h = {0};
    h.spi_i = 0x0102030405060708ULL;
    h.major = 2;
    h.exchange = IKE_SA_INIT;
    h.flags = IKE_FLAG_INITIATOR;
    ikew_init(&w, buf, sizeof buf);
    ikew_hdr(&w, &h);
    static struct ike_sa_pl sa;
    sa.nprop = sa.ntrans = 0;
    ike_sa_pl_add_prop(&sa, 1, IKE_PROTO_IKE, NULL, 0);
    ike_sa_pl_add_transform(&sa, IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256);
    ike_sa_pl_add_transform(&sa, IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0);
    ike_sa_pl_add_transform(&sa, IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0);
    ike_sa_pl_add_transform(&sa, IKE_TT_DH, IKE_DH_ECP256, 0);
    ikew_sa(&w, &sa);
    ikew_ke(&w, IKE_DH_ECP256, sa_init_req + 84, 64);
    ikew_nonce(&w, sa_init_req + 152, 32);
    ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, sa_init_req + 192, 20);
    ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, sa_init_req + 220, 20);
    size_t n = finish_ok(&w);
    assert_int_equal(n, sizeof sa_init_req);
    assert_memory_equal(buf, sa_init_req, n);
}

/* ---- round trips ---- */

static void test_hdr_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    struct ike_hdr h =
        mkhdr(IKE_CREATE_CHILD_SA, IKE_FLAG_RESPONSE | IKE_FLAG_INITIATOR, 0xdeadbeef);
    h.minor = 3;
    h.next = 99;     /* ignored */
    h.length = 1234; /* ignored */
    ikew_init(&w, buf, sizeof buf);
    ikew_hdr(&w, &h);
    size_t n = finish_ok(&w);
    assert_int_equal(n, IKE_HDR_LEN);
    struct ike_msg m;
    parse_ok(buf, n, &m);
    assert_true(m.hdr.spi_i == h.spi_i);
    assert_true(m.hdr.spi_r == h.spi_r);
    assert_int_equal(m.hdr.next, 0);
    assert_int_equal(m.hdr.major, 2);
    assert_int_equal(m.hdr.minor, 3);
    assert_int_equal(m.hdr.exchange, IKE_CREATE_CHILD_SA);
    assert_int_equal(m.hdr.flags, IKE_FLAG_RESPONSE | IKE_FLAG_INITIATOR);
    assert_int_equal(m.hdr.msgid, 0xdeadbeef);
    assert_int_equal(m.hdr.length, IKE_HDR_LEN);
    assert_int_equal(m.npl, 0);
    assert_int_equal(m.sk, -1);
}

/* A 50 KB struct: filled in place rather than returned by value. */
static void sample_sa(struct ike_sa_pl *sa)
{
    sa->nprop = sa->ntrans = sa->skipped = 0;
    ike_sa_pl_add_prop(sa, 1, IKE_PROTO_IKE, (const uint8_t *)"\x81\x82\x83\x84\x85\x86\x87\x88",
                       8);
    ike_sa_pl_add_transform(sa, IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256);
    ike_sa_pl_add_transform(sa, IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128);
    ike_sa_pl_add_transform(sa, IKE_TT_PRF, IKE_PRF_HMAC_SHA2_384, 0);
    ike_sa_pl_add_transform(sa, IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0);
    ike_sa_pl_add_transform(sa, IKE_TT_DH, IKE_DH_MODP2048, 0);
    ike_sa_pl_add_prop(sa, 2, IKE_PROTO_IKE, NULL, 0);
    ike_sa_pl_add_transform(sa, IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256);
    ike_sa_pl_add_transform(sa, IKE_TT_PRF, IKE_PRF_HMAC_SHA2_512, 0);
    ike_sa_pl_add_transform(sa, IKE_TT_DH, IKE_DH_CURVE25519, 0);
    ike_sa_pl_add_prop(sa, 3, IKE_PROTO_ESP, (const uint8_t *)"\xc0\x01\xca\xfe", 4);
    ike_sa_pl_add_transform(sa, IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128);
    ike_sa_pl_add_transform(sa, IKE_TT_ESN, IKE_ESN_NO, 0);
    ike_sa_pl_add_transform(sa, IKE_TT_ESN, IKE_ESN_YES, 0);
}

static void assert_sa_equal(const struct ike_sa_pl *a, const struct ike_sa_pl *b)
{
    assert_int_equal(a->nprop, b->nprop);
    for (int i = 0; i < a->nprop; i++) {
        const struct ike_proposal *p = &a->prop[i], *q = &b->prop[i];
        assert_int_equal(p->num, q->num);
        assert_int_equal(p->proto, q->proto);
        assert_int_equal(p->spi_size, q->spi_size);
        assert_memory_equal(p->spi, q->spi, p->spi_size);
        assert_int_equal(p->ntrans, q->ntrans);
        const struct ike_transform *pt = ike_prop_transforms(a, p), *qt = ike_prop_transforms(b, q);
        for (int j = 0; j < p->ntrans; j++) {
            assert_int_equal(pt[j].type, qt[j].type);
            assert_int_equal(pt[j].id, qt[j].id);
            assert_int_equal(pt[j].keylen, qt[j].keylen);
        }
    }
}

static void test_sa_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    static struct ike_sa_pl sa, out;
    sample_sa(&sa);
    begin(&w, buf, sizeof buf, IKE_SA_INIT);
    ikew_sa(&w, &sa);
    size_t n = finish_ok(&w);
    struct ike_msg m;
    const struct ike_pl *p = only_pl(buf, n, &m, IKE_PL_SA);
    memset(&out, 0x5a, sizeof out);
    assert_int_equal(ike_parse_sa(p->body, p->len, &out), IKE_DROP_NONE);
    assert_sa_equal(&sa, &out);
    /* SPI bytes past spi_size are zeroed, not left over. */
    assert_int_equal(out.prop[2].spi[4], 0);
    assert_int_equal(out.prop[1].spi[0], 0);
}

static void test_ke_id_cert_auth_nonce_vendor_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ], data[300];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + 1);
    struct ike_wbuf w;
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_ke(&w, IKE_DH_MODP3072, data, 256);
    ikew_id(&w, IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)"vpn.example.com", 15);
    ikew_id(&w, IKE_PL_IDR, IKE_ID_IPV4_ADDR, (const uint8_t *)"\x0a\x00\x00\x01", 4);
    ikew_cert(&w, IKE_PL_CERT, IKE_CERT_X509_SIG, data, 100);
    ikew_cert(&w, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, data + 5, 40);
    ikew_auth(&w, IKE_AUTH_PSK, data + 9, 32);
    ikew_nonce(&w, data + 11, IKE_NONCE_MAX);
    ikew_vendor(&w, (const uint8_t *)"ikegate", 7);
    ikew_id(&w, IKE_PL_IDI, IKE_ID_IPV6_ADDR, data, 16);
    size_t s = ikew_pl_begin(&w, IKE_PL_EAP, true);
    ikew_put8(&w, 1);
    ikew_put8(&w, 2);
    ikew_put16(&w, 0x0005);
    ikew_put32(&w, 0x01020304);
    ikew_pl_end(&w, s);
    size_t n = finish_ok(&w);

    struct ike_msg m;
    parse_ok(buf, n, &m);
    static const uint8_t types[] = {IKE_PL_KE,      IKE_PL_IDI,  IKE_PL_IDR,   IKE_PL_CERT,
                                    IKE_PL_CERTREQ, IKE_PL_AUTH, IKE_PL_NONCE, IKE_PL_VENDOR,
                                    IKE_PL_IDI,     IKE_PL_EAP};
    assert_int_equal(m.npl, N_ELEM(types));
    for (size_t i = 0; i < N_ELEM(types); i++) assert_int_equal(m.pl[i].type, types[i]);

    struct ike_ke ke;
    assert_int_equal(ike_parse_ke(m.pl[0].body, m.pl[0].len, &ke), IKE_DROP_NONE);
    assert_int_equal(ke.group, IKE_DH_MODP3072);
    assert_int_equal(ke.len, 256);
    assert_memory_equal(ke.data, data, 256);

    struct ike_id id;
    assert_int_equal(ike_parse_id(m.pl[1].body, m.pl[1].len, &id), IKE_DROP_NONE);
    assert_int_equal(id.type, IKE_ID_FQDN);
    assert_int_equal(id.len, 15);
    assert_memory_equal(id.data, "vpn.example.com", 15);
    assert_int_equal(ike_parse_id(m.pl[2].body, m.pl[2].len, &id), IKE_DROP_NONE);
    assert_int_equal(id.type, IKE_ID_IPV4_ADDR);
    assert_int_equal(id.len, 4);
    assert_memory_equal(id.data, "\x0a\x00\x00\x01", 4);
    assert_int_equal(ike_parse_id(m.pl[8].body, m.pl[8].len, &id), IKE_DROP_NONE);
    assert_int_equal(id.type, IKE_ID_IPV6_ADDR);
    assert_memory_equal(id.data, data, 16);

    struct ike_cert c;
    assert_int_equal(ike_parse_cert(m.pl[3].body, m.pl[3].len, &c), IKE_DROP_NONE);
    assert_int_equal(c.encoding, IKE_CERT_X509_SIG);
    assert_int_equal(c.len, 100);
    assert_memory_equal(c.data, data, 100);
    assert_int_equal(ike_parse_cert(m.pl[4].body, m.pl[4].len, &c), IKE_DROP_NONE);
    assert_int_equal(c.len, 40);
    assert_memory_equal(c.data, data + 5, 40);

    struct ike_auth a;
    assert_int_equal(ike_parse_auth(m.pl[5].body, m.pl[5].len, &a), IKE_DROP_NONE);
    assert_int_equal(a.method, IKE_AUTH_PSK);
    assert_int_equal(a.len, 32);
    assert_memory_equal(a.data, data + 9, 32);

    assert_int_equal(ike_parse_nonce(m.pl[6].body, m.pl[6].len), IKE_DROP_NONE);
    assert_int_equal(m.pl[6].len, IKE_NONCE_MAX);
    assert_memory_equal(m.pl[6].body, data + 11, IKE_NONCE_MAX);

    assert_int_equal(m.pl[7].len, 7);
    assert_memory_equal(m.pl[7].body, "ikegate", 7);

    assert_true(m.pl[9].critical);
    assert_int_equal(m.pl[9].len, 8);
    assert_memory_equal(m.pl[9].body, "\x01\x02\x00\x05\x01\x02\x03\x04", 8);

    assert_ptr_equal(ike_pl_find(m.pl, m.npl, IKE_PL_IDI), &m.pl[1]);
    assert_ptr_equal(ike_pl_find(m.pl, m.npl, IKE_PL_EAP), &m.pl[9]);
    assert_null(ike_pl_find(m.pl, m.npl, IKE_PL_SA));
}

static void test_notify_roundtrip(void **state)
{
    (void)state;
    static const uint8_t spi[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t sizes[] = {0, 4, 8};
    for (size_t k = 0; k < N_ELEM(sizes); k++) {
        uint8_t buf[BUFSZ];
        struct ike_wbuf w;
        begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
        ikew_notify(&w, sizes[k] == 4 ? IKE_PROTO_ESP : IKE_PROTO_IKE, spi, sizes[k],
                    IKE_N_REKEY_SA + (uint16_t)k, (const uint8_t *)"data!", 5);
        size_t n = finish_ok(&w);
        struct ike_msg m;
        const struct ike_pl *p = only_pl(buf, n, &m, IKE_PL_NOTIFY);
        struct ike_notify nt;
        memset(&nt, 0x77, sizeof nt);
        assert_int_equal(ike_parse_notify(p->body, p->len, &nt), IKE_DROP_NONE);
        assert_int_equal(nt.proto, sizes[k] == 4 ? IKE_PROTO_ESP : IKE_PROTO_IKE);
        assert_int_equal(nt.spi_size, sizes[k]);
        assert_memory_equal(nt.spi, spi, sizes[k]);
        for (int i = sizes[k]; i < 8; i++) assert_int_equal(nt.spi[i], 0);
        assert_int_equal(nt.type, IKE_N_REKEY_SA + k);
        assert_int_equal(nt.len, 5);
        assert_memory_equal(nt.data, "data!", 5);
    }
}

static void test_delete_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    struct ike_delete d = {0}, ike = {0}, out;
    d.proto = IKE_PROTO_ESP;
    d.spi_size = 4;
    d.nspi = IKE_MAX_DELETE_SPIS;
    for (int i = 0; i < d.nspi; i++) put32(d.spi[i], 0xc0000000u + (uint32_t)i * 0x01010101u);
    ike.proto = IKE_PROTO_IKE;
    begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
    ikew_delete(&w, &d);
    ikew_delete(&w, &ike);
    size_t n = finish_ok(&w);
    struct ike_msg m;
    parse_ok(buf, n, &m);
    assert_int_equal(m.npl, 2);
    assert_int_equal(m.pl[0].len, 4 + 4 * IKE_MAX_DELETE_SPIS);
    assert_int_equal(ike_parse_delete(m.pl[0].body, m.pl[0].len, &out), IKE_DROP_NONE);
    assert_int_equal(out.proto, IKE_PROTO_ESP);
    assert_int_equal(out.spi_size, 4);
    assert_int_equal(out.nspi, IKE_MAX_DELETE_SPIS);
    for (int i = 0; i < d.nspi; i++) assert_memory_equal(out.spi[i], d.spi[i], 4);
    assert_int_equal(ike_parse_delete(m.pl[1].body, m.pl[1].len, &out), IKE_DROP_NONE);
    assert_int_equal(out.proto, IKE_PROTO_IKE);
    assert_int_equal(out.spi_size, 0);
    assert_int_equal(out.nspi, 0);
    assert_int_equal(m.pl[1].len, 4);
}

static struct ike_ts_set sample_ts(void)
{
    struct ike_ts_set ts = {0};
    ts.n = 3;
    ts.ts[0] = (struct ike_ts){.type = IKE_TS_IPV4_ADDR_RANGE,
                               .ipproto = 0,
                               .sport = 0,
                               .eport = 65535,
                               .saddr = {10, 0, 0, 0},
                               .eaddr = {10, 0, 255, 255}};
    ts.ts[1] = (struct ike_ts){.type = IKE_TS_IPV6_ADDR_RANGE,
                               .ipproto = 17,
                               .sport = 500,
                               .eport = 4500,
                               .saddr = {0x20, 0x01, 0x0d, 0xb8},
                               .eaddr = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xff}};
    ts.ts[2] = (struct ike_ts){.type = IKE_TS_IPV4_ADDR_RANGE,
                               .ipproto = 6,
                               .sport = 443,
                               .eport = 443,
                               .saddr = {192, 0, 2, 1},
                               .eaddr = {192, 0, 2, 1}};
    return ts;
}

static void assert_ts_equal(const struct ike_ts_set *a, const struct ike_ts_set *b)
{
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        const struct ike_ts *x = &a->ts[i], *y = &b->ts[i];
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->ipproto, y->ipproto);
        assert_int_equal(x->sport, y->sport);
        assert_int_equal(x->eport, y->eport);
        assert_memory_equal(x->saddr, y->saddr, 16);
        assert_memory_equal(x->eaddr, y->eaddr, 16);
    }
}

static void test_ts_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    struct ike_ts_set ts = sample_ts(), out;
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_ts(&w, IKE_PL_TSI, &ts);
    ikew_ts(&w, IKE_PL_TSR, &ts);
    size_t n = finish_ok(&w);
    struct ike_msg m;
    parse_ok(buf, n, &m);
    assert_int_equal(m.npl, 2);
    assert_int_equal(m.pl[0].type, IKE_PL_TSI);
    assert_int_equal(m.pl[1].type, IKE_PL_TSR);
    assert_int_equal(m.pl[0].len, 4 + 16 + 40 + 16);
    for (int k = 0; k < 2; k++) {
        memset(&out, 0x33, sizeof out);
        assert_int_equal(ike_parse_ts(m.pl[k].body, m.pl[k].len, &out), IKE_DROP_NONE);
        assert_ts_equal(&ts, &out);
    }
}

static struct ike_cp sample_cp(void)
{
    static const uint8_t addr[4] = {10, 99, 0, 7}, mask[4] = {255, 255, 255, 0};
    static const uint8_t dns[4] = {8, 8, 8, 8}, subnet[8] = {10, 0, 0, 0, 255, 0, 0, 0};
    static const uint8_t v6[17] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1, [16] = 64};
    static const char ver[] = "ikegate 0.1";
    struct ike_cp cp = {0};
    cp.cfg_type = IKE_CFG_REPLY;
    cp.nattr = 7;
    cp.a[0] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_ADDRESS, 4, addr};
    cp.a[1] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_NETMASK, 4, mask};
    cp.a[2] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_DNS, 4, dns};
    cp.a[3] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_SUBNET, 8, subnet};
    cp.a[4] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP6_ADDRESS, 17, v6};
    cp.a[5] =
        (struct ike_cp_attr){IKE_CA_APPLICATION_VERSION, sizeof ver - 1, (const uint8_t *)ver};
    cp.a[6] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP6_DNS, 0, NULL};
    return cp;
}

static void assert_cp_equal(const struct ike_cp *a, const struct ike_cp *b)
{
    assert_int_equal(a->cfg_type, b->cfg_type);
    assert_int_equal(a->nattr, b->nattr);
    for (int i = 0; i < a->nattr; i++) {
        assert_int_equal(a->a[i].type & 0x7fff, b->a[i].type);
        assert_int_equal(a->a[i].len, b->a[i].len);
        if (a->a[i].len) assert_memory_equal(a->a[i].value, b->a[i].value, a->a[i].len);
    }
}

static void test_cp_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    struct ike_cp cp = sample_cp(), out;
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_cp(&w, &cp);
    size_t n = finish_ok(&w);
    struct ike_msg m;
    const struct ike_pl *p = only_pl(buf, n, &m, IKE_PL_CP);
    assert_int_equal(ike_parse_cp(p->body, p->len, &out), IKE_DROP_NONE);
    assert_cp_equal(&cp, &out);

    /* §3.15.1: the R bit is not part of the type: set on the wire, masked off on receipt. */
    uint8_t body[] = {IKE_CFG_REQUEST, 0, 0, 0, 0x80, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00};
    assert_int_equal(ike_parse_cp(body, sizeof body, &out), IKE_DROP_NONE);
    assert_int_equal(out.cfg_type, IKE_CFG_REQUEST);
    assert_int_equal(out.nattr, 2);
    assert_int_equal(out.a[0].type, IKE_CA_INTERNAL_IP4_ADDRESS);
    assert_int_equal(out.a[0].len, 0);
    assert_int_equal(out.a[1].type, 0x7fff);
    /* ... and never sent. */
    struct ike_cp rb = {.cfg_type = IKE_CFG_REQUEST, .nattr = 1};
    rb.a[0] = (struct ike_cp_attr){0x8000 | IKE_CA_INTERNAL_IP4_DNS, 0, NULL};
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_cp(&w, &rb);
    n = finish_ok(&w);
    assert_int_equal(buf[IKE_HDR_LEN + 8], 0x00);
    assert_int_equal(buf[IKE_HDR_LEN + 9], IKE_CA_INTERNAL_IP4_DNS);
}

static void test_redirect_roundtrip(void **state)
{
    (void)state;
    uint8_t nonce[32], out[2 + 255 + IKE_NONCE_MAX];
    for (size_t i = 0; i < sizeof nonce; i++) nonce[i] = (uint8_t)(0x40 + i);
    struct ike_redirect r = {0}, p;

    r.gw_type = 1;
    r.gw_len = 4;
    memcpy(r.gw, "\xc0\x00\x02\x0a", 4);
    r.nonce = nonce;
    r.nonce_len = sizeof nonce;
    size_t n = ike_redirect_data(&r, out, sizeof out);
    assert_int_equal(n, 2 + 4 + 32);
    assert_memory_equal(out, "\x01\x04\xc0\x00\x02\x0a", 6);
    assert_int_equal(ike_parse_redirect(out, n, &p), IKE_DROP_NONE);
    assert_int_equal(p.gw_type, 1);
    assert_int_equal(p.gw_len, 4);
    assert_memory_equal(p.gw, r.gw, 4);
    assert_int_equal(p.nonce_len, 32);
    assert_memory_equal(p.nonce, nonce, 32);
    assert_ptr_equal(p.nonce, out + 6);

    /* IPv6, no nonce (REDIRECTED_FROM, or REDIRECT outside IKE_SA_INIT) */
    r.gw_type = 2;
    r.gw_len = 16;
    memcpy(r.gw, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x09", 16);
    r.nonce = NULL;
    r.nonce_len = 0;
    n = ike_redirect_data(&r, out, sizeof out);
    assert_int_equal(n, 18);
    assert_int_equal(ike_parse_redirect(out, n, &p), IKE_DROP_NONE);
    assert_int_equal(p.gw_type, 2);
    assert_memory_equal(p.gw, r.gw, 16);
    assert_int_equal(p.nonce_len, 0);
    assert_null(p.nonce);

    /* FQDN of the full 255 bytes with the largest nonce */
    uint8_t bignonce[IKE_NONCE_MAX];
    memset(bignonce, 0x6e, sizeof bignonce);
    r.gw_type = 3;
    r.gw_len = 255;
    memset(r.gw, 'g', 255);
    r.nonce = bignonce;
    r.nonce_len = IKE_NONCE_MAX;
    n = ike_redirect_data(&r, out, sizeof out);
    assert_int_equal(n, sizeof out);
    assert_int_equal(ike_parse_redirect(out, n, &p), IKE_DROP_NONE);
    assert_int_equal(p.gw_type, 3);
    assert_int_equal(p.gw_len, 255);
    assert_memory_equal(p.gw, r.gw, 255);
    assert_int_equal(p.nonce_len, IKE_NONCE_MAX);
    assert_int_equal(ike_redirect_data(&r, out, sizeof out - 1), 0); /* cap too small */

    /* carried in a notify payload */
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    begin(&w, buf, sizeof buf, IKE_SA_INIT);
    ikew_notify(&w, 0, NULL, 0, IKE_N_REDIRECT, out, n);
    size_t mlen = finish_ok(&w);
    struct ike_msg m;
    const struct ike_pl *pl = only_pl(buf, mlen, &m, IKE_PL_NOTIFY);
    struct ike_notify nt;
    assert_int_equal(ike_parse_notify(pl->body, pl->len, &nt), IKE_DROP_NONE);
    assert_int_equal(nt.type, IKE_N_REDIRECT);
    assert_int_equal(ike_parse_redirect(nt.data, nt.len, &p), IKE_DROP_NONE);
    assert_memory_equal(p.gw, r.gw, 255);
}

static void test_redirect_malformed(void **state)
{
    (void)state;
    struct ike_redirect p, r = {0};
    uint8_t b[64] = {0}, out[300];
    assert_int_equal(ike_parse_redirect(b, 0, &p), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_redirect(b, 1, &p), IKE_DROP_MALFORMED);
    /* IPv4 with a length other than 4; IPv6 other than 16; FQDN of 0; unknown types */
    static const uint8_t bad[][2] = {{1, 3},  {1, 5}, {1, 16}, {2, 4}, {2, 15},
                                     {2, 17}, {3, 0}, {0, 4},  {4, 4}, {255, 4}};
    for (size_t i = 0; i < N_ELEM(bad); i++) {
        b[0] = bad[i][0];
        b[1] = bad[i][1];
        assert_int_equal(ike_parse_redirect(b, 2 + bad[i][1], &p), IKE_DROP_MALFORMED);
    }
    /* identity running past the data */
    b[0] = 1, b[1] = 4;
    assert_int_equal(ike_parse_redirect(b, 5, &p), IKE_DROP_MALFORMED);
    b[0] = 3, b[1] = 10;
    assert_int_equal(ike_parse_redirect(b, 11, &p), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_redirect(b, 12, &p), IKE_DROP_NONE);
    /* a nonce outside 16..256 (RFC 5685 §9.2, RFC 7296 §3.9) */
    b[0] = 1, b[1] = 4;
    assert_int_equal(ike_parse_redirect(b, 6 + 1, &p), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_redirect(b, 6 + 15, &p), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_redirect(b, 6 + 16, &p), IKE_DROP_NONE);
    uint8_t big[2 + 4 + 257] = {1, 4};
    assert_int_equal(ike_parse_redirect(big, sizeof big, &p), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_redirect(big, sizeof big - 1, &p), IKE_DROP_NONE);

    /* the builder refuses the same things */
    r.gw_type = 1;
    r.gw_len = 16;
    assert_int_equal(ike_redirect_data(&r, out, sizeof out), 0);
    r.gw_type = 4;
    r.gw_len = 4;
    assert_int_equal(ike_redirect_data(&r, out, sizeof out), 0);
    r.gw_type = 3;
    r.gw_len = 0;
    assert_int_equal(ike_redirect_data(&r, out, sizeof out), 0);
    r.gw_len = 5;
    r.nonce = out;
    r.nonce_len = 8;
    assert_int_equal(ike_redirect_data(&r, out + 100, 100), 0);
    r.nonce_len = 0;
    assert_int_equal(ike_redirect_data(&r, out, 6), 0);
    assert_int_equal(ike_redirect_data(&r, out, 7), 7);
}

/* ---- SK ---- */

/* Builds an IKE_AUTH request with an SK payload around IDi, AUTH (alen bytes), SA, TSi, TSr. */
static size_t build_sk(uint8_t *buf, size_t cap, size_t iv, size_t block, size_t icv, size_t alen,
                       struct ike_wbuf *wout)
{
    static uint8_t auth[512];
    memset(auth, 0x3c, sizeof auth);
    static struct ike_sa_pl sa;
    sample_sa(&sa);
    struct ike_ts_set ts = sample_ts();
    struct ike_wbuf w;
    begin(&w, buf, cap, IKE_AUTH);
    ikew_sk_begin(&w, iv);
    ikew_id(&w, IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)"client", 6);
    ikew_auth(&w, IKE_AUTH_PSK, auth, alen);
    ikew_sa(&w, &sa);
    ikew_ts(&w, IKE_PL_TSI, &ts);
    ikew_ts(&w, IKE_PL_TSR, &ts);
    ikew_sk_end(&w, block, icv);
    size_t n = ikew_finish(&w);
    if (wout) *wout = w;
    return n;
}

static void check_sk(size_t iv, size_t block, size_t icv)
{
    for (size_t alen = 0; alen < 2 * 16 + 1; alen++) {
        uint8_t buf[BUFSZ];
        struct ike_wbuf w;
        size_t n = build_sk(buf, sizeof buf, iv, block, icv, alen, &w);
        assert_int_not_equal(n, 0);
        assert_int_equal(w.sk_off, IKE_HDR_LEN);
        assert_int_equal(w.sk_body, IKE_HDR_LEN + 4);
        struct ike_msg m;
        parse_ok(buf, n, &m);
        assert_int_equal(m.hdr.next, IKE_PL_SK);
        assert_int_equal(m.npl, 1);
        assert_int_equal(m.sk, 0);
        assert_int_equal(m.sk_next, IKE_PL_IDI); /* §3.14: the first inner payload */
        assert_int_equal(buf[IKE_HDR_LEN], IKE_PL_IDI);
        const struct ike_pl *sk = &m.pl[0];
        assert_int_equal(sk->len, n - IKE_HDR_LEN - 4);

        /* By hand, as the decryption will: skip the IV, drop the ICV, read Pad Length. */
        assert_true(sk->len >= iv + 1 + icv);
        const uint8_t *inner = sk->body + iv;
        size_t enc = sk->len - iv - icv; /* inner + padding + Pad Length */
        assert_int_equal(enc % block, 0);
        uint8_t padlen = inner[enc - 1];
        assert_true(padlen < block);
        for (size_t i = 0; i < padlen; i++) assert_int_equal(inner[enc - 1 - padlen + i], 0);
        for (size_t i = 0; i < icv; i++) assert_int_equal(inner[enc + i], 0);
        size_t ilen = enc - 1 - padlen;
        size_t expect = (4 + 10) + (4 + 4 + alen) + 0 /* SA */ + 2 * (4 + 4 + 16 + 40 + 16);
        static struct ike_sa_pl sa;
        sample_sa(&sa);
        struct ike_wbuf tmp;
        uint8_t sbuf[BUFSZ];
        begin(&tmp, sbuf, sizeof sbuf, IKE_AUTH);
        ikew_sa(&tmp, &sa);
        expect += tmp.len - IKE_HDR_LEN;
        assert_int_equal(ilen, expect);
        if (block == 1) assert_int_equal(padlen, 0);

        struct ike_pl pl[8];
        int npl = -1;
        uint8_t uc = 0;
        assert_int_equal(ike_payloads_walk(m.sk_next, inner, ilen, pl, 8, &npl, &uc),
                         IKE_DROP_NONE);
        assert_int_equal(npl, 5);
        static const uint8_t types[] = {IKE_PL_IDI, IKE_PL_AUTH, IKE_PL_SA, IKE_PL_TSI, IKE_PL_TSR};
        for (int i = 0; i < 5; i++) assert_int_equal(pl[i].type, types[i]);
        struct ike_auth a;
        assert_int_equal(ike_parse_auth(pl[1].body, pl[1].len, &a), IKE_DROP_NONE);
        assert_int_equal(a.len, alen);
        struct ike_sa_pl out;
        assert_int_equal(ike_parse_sa(pl[2].body, pl[2].len, &out), IKE_DROP_NONE);
        assert_sa_equal(&sa, &out);
        struct ike_ts_set ts = sample_ts(), tout;
        assert_int_equal(ike_parse_ts(pl[4].body, pl[4].len, &tout), IKE_DROP_NONE);
        assert_ts_equal(&ts, &tout);
        /* Walking with the padding left in fails: the chain must end at the end. */
        assert_int_equal(ike_payloads_walk(m.sk_next, inner, enc, pl, 8, &npl, &uc),
                         IKE_DROP_PAYLOAD_LENGTH);

        char s[256];
        ike_msg_summary(&m, pl, 5, s, sizeof s);
        assert_string_equal(s, "IKE_AUTH request 7 [ IDi AUTH SA TSi TSr ]");
        ike_msg_summary(&m, NULL, 0, s, sizeof s);
        assert_string_equal(s, "IKE_AUTH request 7 [ SK ]");
    }
}

static void test_sk_cbc(void **state)
{
    (void)state;
    check_sk(16, 16, 16); /* AES-CBC + HMAC-SHA2-256-128 */
    check_sk(16, 16, 32); /* AES-CBC + HMAC-SHA2-512-256 */
}

static void test_sk_aead(void **state)
{
    (void)state;
    check_sk(8, 1, 16); /* AES-GCM-16 (RFC 5282): 8-byte IV, no padding */
}

static void test_sk_misuse(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;

    /* nothing after SK (§3.14) */
    begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
    ikew_sk_begin(&w, 16);
    ikew_sk_end(&w, 16, 16);
    assert_false(w.overflow);
    size_t keep = w.len;
    ikew_notify(&w, 0, NULL, 0, IKE_N_COOKIE, NULL, 0);
    assert_true(w.overflow);
    assert_int_equal(w.len, keep);
    assert_int_equal(ikew_finish(&w), 0);

    /* an empty SK (INFORMATIONAL liveness check): Next Payload 0, just the pad length */
    begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
    ikew_sk_begin(&w, 16);
    ikew_sk_end(&w, 16, 12);
    size_t n = finish_ok(&w);
    assert_int_equal(n, IKE_HDR_LEN + 4 + 16 + 16 + 12);
    struct ike_msg m;
    parse_ok(buf, n, &m);
    assert_int_equal(m.sk, 0);
    assert_int_equal(m.sk_next, IKE_PL_NONE);
    assert_int_equal(buf[n - 12 - 1], 15);

    /* SK not closed */
    begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
    ikew_sk_begin(&w, 16);
    assert_int_equal(ikew_finish(&w), 0);
    /* nested SK */
    begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
    ikew_sk_begin(&w, 16);
    ikew_sk_begin(&w, 16);
    assert_true(w.overflow);
    /* close without open */
    begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
    ikew_sk_end(&w, 16, 16);
    assert_true(w.overflow);
    /* SK without a header */
    ikew_init(&w, buf, sizeof buf);
    ikew_sk_begin(&w, 16);
    assert_true(w.overflow);
    /* block 0 */
    begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
    ikew_sk_begin(&w, 16);
    ikew_sk_end(&w, 0, 16);
    assert_true(w.overflow);
    /* header not first */
    struct ike_hdr h = mkhdr(IKE_SA_INIT, 0, 0);
    begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
    ikew_hdr(&w, &h);
    assert_true(w.overflow);
    /* no header at all */
    ikew_init(&w, buf, sizeof buf);
    ikew_vendor(&w, (const uint8_t *)"x", 1);
    assert_int_equal(ikew_finish(&w), 0);
}

/* The SK payload with other payloads before it, as IKE_AUTH with... nothing: but a message
 * may carry plaintext payloads before SK (e.g. none in IKEv2 proper, but parse allows it). */
static void test_sk_after_plain(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_vendor(&w, (const uint8_t *)"v", 1);
    ikew_sk_begin(&w, 8);
    ikew_nonce(&w, buf, 16);
    ikew_sk_end(&w, 1, 16);
    size_t n = finish_ok(&w);
    struct ike_msg m;
    parse_ok(buf, n, &m);
    assert_int_equal(m.npl, 2);
    assert_int_equal(m.sk, 1);
    assert_int_equal(m.sk_next, IKE_PL_NONCE);
    assert_int_equal(m.pl[0].type, IKE_PL_VENDOR);
    assert_int_equal(buf[IKE_HDR_LEN], IKE_PL_SK); /* V's Next Payload */
    assert_int_equal(m.pl[1].len, 8 + 4 + 16 + 1 + 16);
}

/* ---- rejections: header and chain ---- */

static void test_hdr_drops(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    memcpy(buf, sa_init_req, sizeof sa_init_req);
    size_t n = sizeof sa_init_req;
    struct ike_hdr h;
    for (size_t i = 0; i < IKE_HDR_LEN; i++) {
        expect_msg_drop(buf, i, IKE_DROP_SHORT);
        assert_int_equal(ike_hdr_parse(buf, i, &h), IKE_DROP_SHORT);
    }
    /* major version (§3.1): the header is still read, for INVALID_MAJOR_VERSION */
    static const uint8_t versions[] = {0x10, 0x30, 0x00, 0xf0};
    for (size_t i = 0; i < N_ELEM(versions); i++) {
        buf[17] = versions[i];
        expect_msg_drop(buf, n, IKE_DROP_VERSION);
        assert_int_equal(ike_hdr_parse(buf, n, &h), IKE_DROP_VERSION);
        assert_int_equal(h.major, versions[i] >> 4);
        assert_true(h.spi_i == 0x0102030405060708ULL);
    }
    buf[17] = 0x2f; /* minor versions are fine */
    struct ike_msg m;
    parse_ok(buf, n, &m);
    assert_int_equal(m.hdr.minor, 15);
    buf[17] = 0x20;
    /* Length must equal the datagram (§3.1) */
    expect_msg_drop(buf, n - 1, IKE_DROP_LENGTH);
    expect_msg_drop(buf, n + 1, IKE_DROP_LENGTH);
    put32(buf + 24, (uint32_t)n + 1);
    expect_msg_drop(buf, n, IKE_DROP_LENGTH);
    put32(buf + 24, (uint32_t)n - 1);
    expect_msg_drop(buf, n, IKE_DROP_LENGTH);
    put32(buf + 24, 0xffffffffu);
    expect_msg_drop(buf, n, IKE_DROP_LENGTH);
    put32(buf + 24, (uint32_t)n);
    parse_ok(buf, n, &m);
}

/* Cut a valid message at every byte, with the header Length made to agree: the payload walk
 * must fail every time, cleanly (ASan watches the reads: each copy is exactly len bytes). */
static void test_truncate_every_byte(void **state)
{
    (void)state;
    uint8_t big[BUFSZ];
    struct ike_wbuf w;
    size_t full = build_sk(big, sizeof big, 16, 16, 16, 20, &w);
    assert_int_not_equal(full, 0);
    const uint8_t *msgs[] = {sa_init_req, big};
    const size_t lens[] = {sizeof sa_init_req, full};
    for (size_t k = 0; k < 2; k++) {
        for (size_t cut = 0; cut < lens[k]; cut++) {
            uint8_t *b = malloc(cut ? cut : 1);
            assert_non_null(b);
            memcpy(b, msgs[k], cut);
            if (cut >= IKE_HDR_LEN) put32(b + 24, (uint32_t)cut);
            struct ike_msg m;
            uint8_t uc = 0;
            enum ike_drop r = ike_msg_parse(b, cut, &m, &uc);
            assert_int_equal(r, cut < IKE_HDR_LEN ? IKE_DROP_SHORT : IKE_DROP_PAYLOAD_LENGTH);
            /* without fixing Length: a length mismatch */
            if (cut >= IKE_HDR_LEN) {
                put32(b + 24, (uint32_t)lens[k]);
                assert_int_equal(ike_msg_parse(b, cut, &m, &uc), IKE_DROP_LENGTH);
            }
            free(b);
        }
    }
}

/* Every proper prefix of a structured body fails its typed parser. */
static void test_truncate_bodies(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    static struct ike_sa_pl sa, sout;
    sample_sa(&sa);
    struct ike_ts_set ts = sample_ts(), tout;
    struct ike_delete d = {.proto = IKE_PROTO_ESP, .spi_size = 4, .nspi = 3}, dout;
    struct ike_cp cp = sample_cp(), cout;
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_sa(&w, &sa);
    ikew_ts(&w, IKE_PL_TSI, &ts);
    ikew_delete(&w, &d);
    ikew_cp(&w, &cp);
    ikew_notify(&w, IKE_PROTO_ESP, (const uint8_t *)"abcd", 4, IKE_N_REKEY_SA, NULL, 0);
    ikew_ke(&w, 19, NULL, 0);
    ikew_auth(&w, 2, NULL, 0);
    ikew_id(&w, IKE_PL_IDI, IKE_ID_KEY_ID, NULL, 0);
    size_t n = finish_ok(&w);
    struct ike_msg m;
    parse_ok(buf, n, &m);
    assert_int_equal(m.npl, 8);
    for (int i = 0; i < m.npl; i++) {
        const struct ike_pl *p = &m.pl[i];
        for (size_t cut = 0; cut < p->len; cut++) {
            uint8_t *b = malloc(cut ? cut : 1);
            assert_non_null(b);
            memcpy(b, p->body, cut);
            struct ike_notify nt;
            struct ike_ke ke;
            struct ike_auth a;
            struct ike_id id;
            switch (p->type) {
            case IKE_PL_SA: assert_int_equal(ike_parse_sa(b, cut, &sout), IKE_DROP_PROPOSAL); break;
            case IKE_PL_TSI:
                assert_int_equal(ike_parse_ts(b, cut, &tout), IKE_DROP_MALFORMED);
                break;
            case IKE_PL_DELETE:
                assert_int_equal(ike_parse_delete(b, cut, &dout), IKE_DROP_MALFORMED);
                break;
            case IKE_PL_NOTIFY:
                assert_int_equal(ike_parse_notify(b, cut, &nt), IKE_DROP_MALFORMED);
                break;
            case IKE_PL_KE: assert_int_equal(ike_parse_ke(b, cut, &ke), IKE_DROP_MALFORMED); break;
            case IKE_PL_AUTH:
                assert_int_equal(ike_parse_auth(b, cut, &a), IKE_DROP_MALFORMED);
                break;
            case IKE_PL_IDI: assert_int_equal(ike_parse_id(b, cut, &id), IKE_DROP_MALFORMED); break;
            case IKE_PL_CP: {
                /* a prefix ending on an attribute boundary is a shorter valid CP */
                size_t off = 4;
                bool boundary = cut == 4;
                for (int j = 0; j < cp.nattr && !boundary; j++) {
                    off += 4 + cp.a[j].len;
                    boundary = cut == off;
                }
                enum ike_drop r = ike_parse_cp(b, cut, &cout);
                assert_int_equal(r, boundary ? IKE_DROP_NONE : IKE_DROP_MALFORMED);
                break;
            }
            default: fail();
            }
            free(b);
        }
    }
}

static void test_payload_length_drops(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    size_t n = sizeof sa_init_req;
    /* each payload's length: < 4, one more than what is left, 0xffff */
    static const size_t offs[] = {28, 76, 148, 184, 212};
    for (size_t i = 0; i < N_ELEM(offs); i++) {
        static const uint16_t bad[] = {0, 1, 3};
        for (size_t j = 0; j < N_ELEM(bad); j++) {
            memcpy(buf, sa_init_req, n);
            put16(buf + offs[i] + 2, bad[j]);
            expect_msg_drop(buf, n, IKE_DROP_PAYLOAD_LENGTH);
        }
        memcpy(buf, sa_init_req, n);
        put16(buf + offs[i] + 2, (uint16_t)(n - offs[i] + 1));
        expect_msg_drop(buf, n, IKE_DROP_PAYLOAD_LENGTH);
        put16(buf + offs[i] + 2, 0xffff);
        expect_msg_drop(buf, n, IKE_DROP_PAYLOAD_LENGTH);
    }
    /* the chain ends (Next Payload 0) before the message does */
    memcpy(buf, sa_init_req, n);
    buf[184] = 0; /* the first N says it is last */
    expect_msg_drop(buf, n, IKE_DROP_PAYLOAD_LENGTH);
    /* the message ends before the chain does */
    memcpy(buf, sa_init_req, n);
    buf[212] = IKE_PL_VENDOR;
    expect_msg_drop(buf, n, IKE_DROP_PAYLOAD_LENGTH);
    /* a header that names a first payload, and nothing after it */
    memcpy(buf, sa_init_req, IKE_HDR_LEN);
    put32(buf + 24, IKE_HDR_LEN);
    expect_msg_drop(buf, IKE_HDR_LEN, IKE_DROP_PAYLOAD_LENGTH);
    /* a payload of exactly 4 bytes is fine (an empty Vendor ID) */
    uint8_t body[1];
    n = raw_msg(buf, IKE_PL_VENDOR, 0, body, 0);
    struct ike_msg m;
    only_pl(buf, n, &m, IKE_PL_VENDOR);
    assert_int_equal(m.pl[0].len, 0);
    /* trailing bytes after a header with Next Payload 0 */
    memcpy(buf, sa_init_req, n = sizeof sa_init_req);
    buf[16] = 0;
    expect_msg_drop(buf, n, IKE_DROP_PAYLOAD_LENGTH);
}

static void test_critical_and_unknown(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ], body[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct ike_msg m;
    uint8_t uc = 0;
    /* unknown, not critical: kept as sent */
    size_t n = raw_msg(buf, 200, 0x00, body, 8);
    parse_ok(buf, n, &m);
    assert_int_equal(m.npl, 1);
    assert_int_equal(m.pl[0].type, 200);
    assert_int_equal(m.pl[0].len, 8);
    char s[64];
    ike_msg_summary(&m, NULL, 0, s, sizeof s);
    assert_string_equal(s, "INFORMATIONAL request 7 [ U(200) ]");
    /* unknown and critical: refused, with its type (§2.5) */
    static const uint8_t unknown[] = {1, 32, 49, 50, 52, 54, 200, 255};
    for (size_t i = 0; i < N_ELEM(unknown); i++) {
        n = raw_msg(buf, unknown[i], 0x80, body, 8);
        uc = 0;
        assert_int_equal(ike_msg_parse(buf, n, &m, &uc), IKE_DROP_CRITICAL);
        assert_int_equal(uc, unknown[i]);
        assert_int_equal(ike_msg_parse(buf, n, &m, NULL), IKE_DROP_CRITICAL);
        /* also inside SK */
        uc = 0;
        struct ike_pl pl[4];
        int npl;
        assert_int_equal(
            ike_payloads_walk(unknown[i], buf + IKE_HDR_LEN, n - IKE_HDR_LEN, pl, 4, &npl, &uc),
            IKE_DROP_CRITICAL);
        assert_int_equal(uc, unknown[i]);
    }
    /* known and critical, other reserved bits set: fine (§3.2: ignored) */
    n = raw_msg(buf, IKE_PL_VENDOR, 0xff, body, 8);
    parse_ok(buf, n, &m);
    assert_true(m.pl[0].critical);
    n = raw_msg(buf, IKE_PL_VENDOR, 0x7f, body, 8);
    parse_ok(buf, n, &m);
    assert_false(m.pl[0].critical);
    for (uint8_t t = IKE_PL_SA; t <= IKE_PL_EAP; t++) {
        if (t == IKE_PL_SK) continue;
        n = raw_msg(buf, t, 0x80, body, 8);
        parse_ok(buf, n, &m);
        assert_int_equal(m.pl[0].type, t);
    }
    /* the critical check comes after the length check */
    n = raw_msg(buf, 99, 0x80, body, 8);
    put16(buf + IKE_HDR_LEN + 2, 2);
    expect_msg_drop(buf, n, IKE_DROP_PAYLOAD_LENGTH);
}

static void test_sk_not_last(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    static const uint8_t sk_types[] = {IKE_PL_SK, IKE_PL_SKF};
    for (size_t k = 0; k < 2; k++) {
        /* hand-made: SK (Next = IDi, "inner"), then a Vendor payload after it */
        begin(&w, buf, sizeof buf, IKE_AUTH);
        size_t s = ikew_pl_begin(&w, sk_types[k], false);
        ikew_put(&w, "0123456789abcdef0123456789abcdef", 32);
        ikew_pl_end(&w, s);
        buf[s] = IKE_PL_IDI;
        size_t keep = w.len;
        size_t n = finish_ok(&w);
        struct ike_msg m;
        parse_ok(buf, n, &m);
        assert_int_equal(m.sk, 0);
        assert_int_equal(m.pl[0].type, sk_types[k]);
        assert_int_equal(m.sk_next, IKE_PL_IDI);
        memcpy(buf + keep, "\x00\x00\x00\x05V", 5);
        put32(buf + 24, (uint32_t)keep + 5);
        expect_msg_drop(buf, keep + 5, IKE_DROP_SK_NOT_LAST);
        /* SK's length shorter than the rest: bytes after it */
        put32(buf + 24, (uint32_t)keep);
        put16(buf + s + 2, 4 + 28);
        expect_msg_drop(buf, keep, IKE_DROP_SK_NOT_LAST);
    }
    /* SK inside a decrypted chain stops the walk there too (the caller refuses it by type) */
    uint8_t in[] = {IKE_PL_SK, 0, 0, 8, 'a', 'b', 'c', 'd', IKE_PL_NONCE, 0, 0, 4};
    struct ike_pl pl[4];
    int npl;
    uint8_t uc;
    assert_int_equal(ike_payloads_walk(IKE_PL_VENDOR, in, 12, pl, 4, &npl, &uc), IKE_DROP_NONE);
    assert_int_equal(npl, 2);
    assert_int_equal(pl[1].type, IKE_PL_SK);
    assert_int_equal(pl[1].len, 0);
    assert_int_equal(ike_payloads_walk(IKE_PL_SK, in, 12, pl, 4, &npl, &uc), IKE_DROP_SK_NOT_LAST);
}

static void test_too_many_payloads(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    for (int count = IKE_MAX_PAYLOADS; count <= IKE_MAX_PAYLOADS + 1; count++) {
        begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
        for (int i = 0; i < count; i++) ikew_vendor(&w, (const uint8_t *)&i, 1);
        size_t n = finish_ok(&w);
        struct ike_msg m;
        uint8_t uc;
        enum ike_drop r = ike_msg_parse(buf, n, &m, &uc);
        if (count == IKE_MAX_PAYLOADS) {
            assert_int_equal(r, IKE_DROP_NONE);
            assert_int_equal(m.npl, IKE_MAX_PAYLOADS);
        } else {
            assert_int_equal(r, IKE_DROP_TOO_MANY);
        }
    }
    /* ike_payloads_walk honours its own max */
    begin(&w, buf, sizeof buf, IKE_INFORMATIONAL);
    for (int i = 0; i < 3; i++) ikew_vendor(&w, (const uint8_t *)&i, 1);
    size_t n = finish_ok(&w);
    struct ike_pl pl[3];
    int npl;
    uint8_t uc;
    assert_int_equal(
        ike_payloads_walk(IKE_PL_VENDOR, buf + IKE_HDR_LEN, n - IKE_HDR_LEN, pl, 2, &npl, &uc),
        IKE_DROP_TOO_MANY);
    assert_int_equal(
        ike_payloads_walk(IKE_PL_VENDOR, buf + IKE_HDR_LEN, n - IKE_HDR_LEN, pl, 3, &npl, &uc),
        IKE_DROP_NONE);
    assert_int_equal(npl, 3);
}

/* ---- rejections: SA ---- */

/* A raw SA body builder for malformed proposals. */
struct rawsa {
    uint8_t b[8192];
    size_t len;
};

static size_t rs_prop(struct rawsa *r, uint8_t last, uint8_t num, uint8_t proto, uint8_t spi_size,
                      uint8_t ntrans)
{
    size_t at = r->len;
    uint8_t *p = r->b + at;
    p[0] = last;
    p[1] = 0;
    put16(p + 2, (uint16_t)(8 + spi_size));
    p[4] = num;
    p[5] = proto;
    p[6] = spi_size;
    p[7] = ntrans;
    memset(p + 8, 0xee, spi_size);
    r->len += 8 + spi_size;
    return at;
}

static void rs_trans(struct rawsa *r, size_t prop, uint8_t last, uint8_t type, uint16_t id,
                     const uint8_t *attrs, size_t alen)
{
    uint8_t *p = r->b + r->len;
    p[0] = last;
    p[1] = 0;
    put16(p + 2, (uint16_t)(8 + alen));
    p[4] = type;
    p[5] = 0;
    put16(p + 6, id);
    if (alen) memcpy(p + 8, attrs, alen);
    r->len += 8 + alen;
    put16(r->b + prop + 2, (uint16_t)(r->len - prop));
}

static enum ike_drop rs_parse(const struct rawsa *r, struct ike_sa_pl *out)
{
    /* exact-size heap copy so that ASan sees any overread */
    uint8_t *b = malloc(r->len ? r->len : 1);
    memcpy(b, r->b, r->len);
    enum ike_drop d = ike_parse_sa(b, r->len, out);
    free(b);
    return d;
}

/* One proposal with `n` transforms numbered by `nums`. */
static enum ike_drop sa_with_nums(const uint8_t *nums, size_t n)
{
    struct rawsa r = {0};
    for (size_t i = 0; i < n; i++) {
        size_t p = rs_prop(&r, i + 1 < n ? 2 : 0, nums[i], IKE_PROTO_IKE, 0, 1);
        rs_trans(&r, p, 0, IKE_TT_DH, 19, NULL, 0);
    }
    struct ike_sa_pl out;
    return rs_parse(&r, &out);
}

static void test_sa_numbering(void **state)
{
    (void)state;
    static const uint8_t ok1[] = {1}, ok2[] = {1, 2, 3}, ok3[] = {1, 1, 2, 2, 3}, ok4[] = {2},
                         ok5[] = {255};
    assert_int_equal(sa_with_nums(ok1, 1), IKE_DROP_NONE);
    assert_int_equal(sa_with_nums(ok2, 3), IKE_DROP_NONE);
    assert_int_equal(sa_with_nums(ok3, 5), IKE_DROP_NONE); /* equal numbers: AND */
    /* An answer: the one proposal accepted keeps its number (§3.3.1). */
    assert_int_equal(sa_with_nums(ok4, 1), IKE_DROP_NONE);
    assert_int_equal(sa_with_nums(ok5, 1), IKE_DROP_NONE);
    static const uint8_t bad1[] = {0}, bad2[] = {2, 2}, bad3[] = {1, 3}, bad4[] = {1, 2, 1},
                         bad5[] = {2, 3};
    assert_int_equal(sa_with_nums(bad1, 1), IKE_DROP_PROPOSAL);
    assert_int_equal(sa_with_nums(bad2, 2), IKE_DROP_PROPOSAL);
    assert_int_equal(sa_with_nums(bad3, 2), IKE_DROP_PROPOSAL);
    assert_int_equal(sa_with_nums(bad4, 3), IKE_DROP_PROPOSAL);
    assert_int_equal(sa_with_nums(bad5, 2), IKE_DROP_PROPOSAL);
    /* Every proposal the numbering allows (255) parses; past the cap of 64 they are validated
     * and counted, not kept, so the request is still answered from the first 64. */
    uint8_t many[255];
    for (size_t i = 0; i < sizeof many; i++) many[i] = (uint8_t)(i + 1);
    assert_int_equal(sa_with_nums(many, IKE_MAX_PROPOSALS), IKE_DROP_NONE);
    assert_int_equal(sa_with_nums(many, IKE_MAX_PROPOSALS + 1), IKE_DROP_NONE);
    assert_int_equal(sa_with_nums(many, 255), IKE_DROP_NONE);
    static struct ike_sa_pl out;
    {
        struct rawsa r = {0};
        for (size_t i = 0; i < 255; i++) {
            size_t p = rs_prop(&r, i + 1 < 255 ? 2 : 0, many[i], IKE_PROTO_IKE, 0, 1);
            rs_trans(&r, p, 0, IKE_TT_DH, (uint16_t)i, NULL, 0);
        }
        assert_int_equal(rs_parse(&r, &out), IKE_DROP_NONE);
        assert_int_equal(out.nprop, IKE_MAX_PROPOSALS);
        assert_int_equal(out.skipped, 255 - IKE_MAX_PROPOSALS);
        assert_int_equal(ike_prop_transforms(&out, &out.prop[63])->id, 63);
        /* a malformed proposal past the cap still fails the payload */
        r = (struct rawsa){0};
        for (size_t i = 0; i < 70; i++) {
            size_t p = rs_prop(&r, i + 1 < 70 ? 2 : 0, many[i], IKE_PROTO_IKE, 0, 1);
            rs_trans(&r, p, i == 69 ? 3 : 0, IKE_TT_DH, (uint16_t)i, NULL, 0);
        }
        assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    }
    assert_int_equal(ike_parse_sa(NULL, 0, &out), IKE_DROP_PROPOSAL); /* no proposal */
}

static void test_sa_spi_sizes(void **state)
{
    (void)state;
    static const struct {
        uint8_t proto, spi;
        enum ike_drop want;
    } cases[] = {
        {IKE_PROTO_IKE, 0, IKE_DROP_NONE},
        {IKE_PROTO_IKE, 8, IKE_DROP_NONE},
        {IKE_PROTO_IKE, 4, IKE_DROP_PROPOSAL},
        {IKE_PROTO_IKE, 1, IKE_DROP_PROPOSAL},
        {IKE_PROTO_ESP, 4, IKE_DROP_NONE},
        {IKE_PROTO_ESP, 0, IKE_DROP_PROPOSAL},
        {IKE_PROTO_ESP, 8, IKE_DROP_PROPOSAL},
        {IKE_PROTO_AH, 4, IKE_DROP_NONE},
        {IKE_PROTO_AH, 3, IKE_DROP_PROPOSAL},
        {IKE_PROTO_ESP, 16, IKE_DROP_PROPOSAL},
        {7, 2, IKE_DROP_PROPOSAL},
        {IKE_PROTO_IKE, 255, IKE_DROP_PROPOSAL},
    };
    for (size_t i = 0; i < N_ELEM(cases); i++) {
        struct rawsa r = {0};
        size_t p = rs_prop(&r, 0, 1, cases[i].proto, cases[i].spi, 1);
        rs_trans(&r, p, 0, IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, NULL, 0);
        struct ike_sa_pl out;
        enum ike_drop d = rs_parse(&r, &out);
        if (d != cases[i].want)
            fail_msg("proto %u spi %u: %s", cases[i].proto, cases[i].spi, ike_drop_name(d));
        if (d == IKE_DROP_NONE) {
            assert_int_equal(out.prop[0].spi_size, cases[i].spi);
            for (int j = 0; j < cases[i].spi; j++) assert_int_equal(out.prop[0].spi[j], 0xee);
        }
    }
    /* SPI size larger than the proposal length says */
    struct rawsa r = {0};
    size_t p = rs_prop(&r, 0, 1, IKE_PROTO_ESP, 4, 0);
    put16(r.b + p + 2, 10);
    r.len = 10;
    struct ike_sa_pl out;
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
}

static void test_sa_structure(void **state)
{
    (void)state;
    struct ike_sa_pl out;
    static const uint8_t keylen256[] = {0x80, 0x0e, 0x01, 0x00};
    struct rawsa r;
    size_t p;

#define ONE_PROP(last, nt) (memset(&r, 0, sizeof r), p = rs_prop(&r, last, 1, IKE_PROTO_IKE, 0, nt))
    /* reference: fine */
    ONE_PROP(0, 2);
    rs_trans(&r, p, 3, IKE_TT_ENCR, IKE_ENCR_AES_CBC, keylen256, 4);
    rs_trans(&r, p, 0, IKE_TT_DH, 19, NULL, 0);
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_NONE);
    assert_int_equal(ike_prop_transforms(&out, &out.prop[0])[0].keylen, 256);
    /* proposal Last Substruc: 2 on the only one, 1, 3 */
    static const uint8_t badlast[] = {1, 2, 3, 0xff};
    for (size_t i = 0; i < N_ELEM(badlast); i++) {
        r.b[0] = badlast[i];
        assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    }
    r.b[0] = 0;
    /* 0 on a proposal that is followed by another */
    size_t p2 = rs_prop(&r, 0, 2, IKE_PROTO_IKE, 0, 1);
    rs_trans(&r, p2, 0, IKE_TT_DH, 19, NULL, 0);
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    r.b[0] = 2;
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_NONE);
    assert_int_equal(out.nprop, 2);
    /* proposal length too large / too small */
    put16(r.b + 2, (uint16_t)(r.len + 1));
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    put16(r.b + 2, 7);
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    put16(r.b + 2, 8 + 12 + 8 - 1); /* ends inside the last transform */
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    put16(r.b + 2, 8 + 12 + 8 + 1); /* one byte of the next proposal */
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);

    /* transform Last Substruc: 0 on a non-last, 3 on the last, other values */
    ONE_PROP(0, 2);
    rs_trans(&r, p, 0, IKE_TT_ENCR, IKE_ENCR_AES_CBC, keylen256, 4);
    rs_trans(&r, p, 0, IKE_TT_DH, 19, NULL, 0);
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    ONE_PROP(0, 2);
    rs_trans(&r, p, 3, IKE_TT_ENCR, IKE_ENCR_AES_CBC, keylen256, 4);
    rs_trans(&r, p, 3, IKE_TT_DH, 19, NULL, 0);
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    ONE_PROP(0, 1);
    rs_trans(&r, p, 2, IKE_TT_DH, 19, NULL, 0);
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);

    /* Num Transforms disagreeing with what is there */
    ONE_PROP(0, 3);
    rs_trans(&r, p, 3, IKE_TT_ENCR, IKE_ENCR_AES_CBC, keylen256, 4);
    rs_trans(&r, p, 0, IKE_TT_DH, 19, NULL, 0);
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    ONE_PROP(0, 1);
    rs_trans(&r, p, 3, IKE_TT_ENCR, IKE_ENCR_AES_CBC, keylen256, 4);
    rs_trans(&r, p, 0, IKE_TT_DH, 19, NULL, 0);
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    /* zero transforms is consistent (the engine will not choose it) */
    ONE_PROP(0, 0);
    assert_int_equal(rs_parse(&r, &out), IKE_DROP_NONE);
    assert_int_equal(out.prop[0].ntrans, 0);

    /* transform length < 8, or past the proposal */
    static const uint16_t badtl[] = {0, 4, 7, 13, 100};
    for (size_t i = 0; i < N_ELEM(badtl); i++) {
        ONE_PROP(0, 1);
        size_t t = r.len;
        rs_trans(&r, p, 0, IKE_TT_ENCR, IKE_ENCR_AES_CBC, keylen256, 4);
        put16(r.b + t + 2, badtl[i]);
        assert_int_equal(rs_parse(&r, &out), IKE_DROP_PROPOSAL);
    }

    /* As many transforms as the count octet says (255): strongSwan's default proposal has
     * 34-47. */
    for (int count = 32; count <= 255; count += 223) {
        ONE_PROP(0, (uint8_t)count);
        for (int i = 0; i < count; i++)
            rs_trans(&r, p, i + 1 < count ? 3 : 0, IKE_TT_DH, (uint16_t)i, NULL, 0);
        enum ike_drop d = rs_parse(&r, &out);
        assert_int_equal(d, IKE_DROP_NONE);
        assert_int_equal(out.prop[0].ntrans, count);
        assert_int_equal(ike_prop_transforms(&out, &out.prop[0])[count - 1].id, count - 1);
    }
#undef ONE_PROP
}

static enum ike_drop sa_one_attr(const uint8_t *attrs, size_t alen, struct ike_sa_pl *out)
{
    struct rawsa r = {0};
    size_t p = rs_prop(&r, 0, 1, IKE_PROTO_IKE, 0, 2);
    rs_trans(&r, p, 3, IKE_TT_ENCR, IKE_ENCR_AES_CBC, attrs, alen);
    rs_trans(&r, p, 0, IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, NULL, 0);
    return rs_parse(&r, out);
}

static void test_sa_attributes(void **state)
{
    (void)state;
    struct ike_sa_pl out;
    /* Key Length in TLV form, twice, or 0 */
    static const uint8_t tlv_kl[] = {0x00, 0x0e, 0x00, 0x02, 0x01, 0x00};
    static const uint8_t two_kl[] = {0x80, 0x0e, 0x00, 0x80, 0x80, 0x0e, 0x01, 0x00};
    static const uint8_t zero_kl[] = {0x80, 0x0e, 0x00, 0x00};
    assert_int_equal(sa_one_attr(tlv_kl, sizeof tlv_kl, &out), IKE_DROP_PROPOSAL);
    assert_int_equal(sa_one_attr(two_kl, sizeof two_kl, &out), IKE_DROP_PROPOSAL);
    assert_int_equal(sa_one_attr(zero_kl, sizeof zero_kl, &out), IKE_DROP_PROPOSAL);
    /* a partial attribute header; a TLV running past the transform */
    static const uint8_t partial[] = {0x80, 0x0e, 0x01};
    static const uint8_t overrun[] = {0x00, 0x21, 0x00, 0x05, 1, 2, 3, 4};
    assert_int_equal(sa_one_attr(partial, sizeof partial, &out), IKE_DROP_PROPOSAL);
    assert_int_equal(sa_one_attr(overrun, sizeof overrun, &out), IKE_DROP_PROPOSAL);
    /* Unknown attributes (TV, or TLV skipped): that transform is unacceptable (§3.3.6) and
     * left out; the other one stays. */
    static const uint8_t tv_unknown[] = {0x80, 0x0e, 0x01, 0x00, 0x80, 0x22, 0x00, 0x01};
    static const uint8_t tlv_unknown[] = {0x00, 0x21, 0x00, 0x04, 1, 2, 3, 4, 0x80, 0x0e, 0, 128};
    assert_int_equal(sa_one_attr(tv_unknown, sizeof tv_unknown, &out), IKE_DROP_NONE);
    assert_int_equal(out.prop[0].ntrans, 1);
    assert_int_equal(ike_prop_transforms(&out, &out.prop[0])[0].id, IKE_ENCR_AES_GCM_16);
    assert_int_equal(sa_one_attr(tlv_unknown, sizeof tlv_unknown, &out), IKE_DROP_NONE);
    assert_int_equal(out.prop[0].ntrans, 1);
    /* an empty TLV value is fine to skip */
    static const uint8_t tlv_empty[] = {0x00, 0x21, 0x00, 0x00};
    assert_int_equal(sa_one_attr(tlv_empty, sizeof tlv_empty, &out), IKE_DROP_NONE);
    /* Key Length alone */
    static const uint8_t kl128[] = {0x80, 0x0e, 0x00, 0x80};
    assert_int_equal(sa_one_attr(kl128, sizeof kl128, &out), IKE_DROP_NONE);
    assert_int_equal(out.prop[0].ntrans, 2);
    assert_int_equal(ike_prop_transforms(&out, &out.prop[0])[0].keylen, 128);
    assert_int_equal(ike_prop_transforms(&out, &out.prop[0])[1].keylen, 0);
}

/* ---- rejections: other bodies ---- */

static void test_ts_drops(void **state)
{
    (void)state;
    struct ike_ts_set out;
    uint8_t v4[] = {1, 0, 0, 0, 7, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 0, 0, 0, 10, 0, 0, 255};
    assert_int_equal(ike_parse_ts(v4, sizeof v4, &out), IKE_DROP_NONE);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.ts[0].eport, 0xffff);
    /* IPv4 with the IPv6 length, and other lengths */
    static const uint16_t badlen[] = {0, 8, 15, 17, 40};
    for (size_t i = 0; i < N_ELEM(badlen); i++) {
        put16(v4 + 6, badlen[i]);
        assert_int_equal(ike_parse_ts(v4, sizeof v4, &out), IKE_DROP_MALFORMED);
    }
    put16(v4 + 6, 16);
    /* unknown TS types (§3.13.1; 9 is FC, RFC 4595: not ours) */
    static const uint8_t badtype[] = {0, 1, 6, 9, 10, 255};
    for (size_t i = 0; i < N_ELEM(badtype); i++) {
        v4[4] = badtype[i];
        assert_int_equal(ike_parse_ts(v4, sizeof v4, &out), IKE_DROP_MALFORMED);
    }
    v4[4] = 7;
    /* count disagreeing with the selectors */
    v4[0] = 2;
    assert_int_equal(ike_parse_ts(v4, sizeof v4, &out), IKE_DROP_MALFORMED);
    v4[0] = 0;
    assert_int_equal(ike_parse_ts(v4, sizeof v4, &out), IKE_DROP_MALFORMED);
    v4[0] = IKE_MAX_TS + 1;
    assert_int_equal(ike_parse_ts(v4, sizeof v4, &out), IKE_DROP_TOO_MANY);
    v4[0] = 1;
    uint8_t two[4 + 16 + 16];
    memcpy(two, v4, sizeof v4);
    memcpy(two + sizeof v4, v4 + 4, 16);
    assert_int_equal(ike_parse_ts(two, sizeof two, &out), IKE_DROP_MALFORMED); /* 1 said, 2 */
    two[0] = 2;
    assert_int_equal(ike_parse_ts(two, sizeof two, &out), IKE_DROP_NONE);
    assert_int_equal(out.n, 2);
    /* IPv6 with the IPv4 length */
    uint8_t v6[4 + 40] = {1, 0, 0, 0, 8, 0, 0, 40};
    assert_int_equal(ike_parse_ts(v6, sizeof v6, &out), IKE_DROP_NONE);
    put16(v6 + 6, 16);
    assert_int_equal(ike_parse_ts(v6, sizeof v6, &out), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_ts(v6, 20, &out), IKE_DROP_MALFORMED);
    /* 16 selectors fit */
    struct ike_ts_set big = {.n = IKE_MAX_TS};
    for (int i = 0; i < IKE_MAX_TS; i++) big.ts[i] = sample_ts().ts[i % 3];
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_ts(&w, IKE_PL_TSR, &big);
    size_t n = finish_ok(&w);
    struct ike_msg m;
    const struct ike_pl *p = only_pl(buf, n, &m, IKE_PL_TSR);
    assert_int_equal(ike_parse_ts(p->body, p->len, &out), IKE_DROP_NONE);
    assert_ts_equal(&big, &out);
}

static void test_cp_drops(void **state)
{
    (void)state;
    struct ike_cp out;
    uint8_t b[64] = {IKE_CFG_REQUEST, 0, 0, 0, 0x00, 0x07, 0x00, 0x04, 'a', 'b', 'c', 'd'};
    assert_int_equal(ike_parse_cp(b, 12, &out), IKE_DROP_NONE);
    assert_int_equal(ike_parse_cp(b, 4, &out), IKE_DROP_NONE); /* no attributes */
    assert_int_equal(out.nattr, 0);
    assert_int_equal(ike_parse_cp(b, 3, &out), IKE_DROP_MALFORMED);
    /* attribute value running past the payload */
    put16(b + 6, 5);
    assert_int_equal(ike_parse_cp(b, 12, &out), IKE_DROP_MALFORMED);
    put16(b + 6, 0xffff);
    assert_int_equal(ike_parse_cp(b, 12, &out), IKE_DROP_MALFORMED);
    put16(b + 6, 4);
    /* 1..3 trailing bytes: a partial attribute header */
    for (size_t extra = 1; extra < 4; extra++)
        assert_int_equal(ike_parse_cp(b, 12 + extra, &out), IKE_DROP_MALFORMED);
    /* fixed lengths of §3.15.1 */
    static const struct {
        uint16_t type, len;
        bool ok;
    } cases[] = {
        {IKE_CA_INTERNAL_IP4_ADDRESS, 0, true},
        {IKE_CA_INTERNAL_IP4_ADDRESS, 4, true},
        {IKE_CA_INTERNAL_IP4_ADDRESS, 3, false},
        {IKE_CA_INTERNAL_IP4_ADDRESS, 8, false},
        {IKE_CA_INTERNAL_IP4_NETMASK, 5, false},
        {IKE_CA_INTERNAL_IP4_DNS, 16, false},
        {IKE_CA_INTERNAL_IP4_NBNS, 2, false},
        {IKE_CA_INTERNAL_IP4_DHCP, 1, false},
        {IKE_CA_INTERNAL_IP6_ADDRESS, 16, false},
        {IKE_CA_INTERNAL_IP6_ADDRESS, 17, true},
        {IKE_CA_INTERNAL_IP6_DNS, 16, true},
        {IKE_CA_INTERNAL_IP6_DNS, 4, false},
        {IKE_CA_INTERNAL_IP4_SUBNET, 8, true},
        {IKE_CA_INTERNAL_IP4_SUBNET, 4, false},
        {IKE_CA_SUPPORTED_ATTRIBUTES, 6, true},
        {IKE_CA_SUPPORTED_ATTRIBUTES, 3, false},
        {IKE_CA_INTERNAL_IP6_SUBNET, 17, true},
        {IKE_CA_INTERNAL_IP6_SUBNET, 16, false},
        {IKE_CA_INTERNAL_DNS_DOMAIN, 11, true},
        {IKE_CA_APPLICATION_VERSION, 0, true},
        {23456, 7, true},
    };
    for (size_t i = 0; i < N_ELEM(cases); i++) {
        uint8_t a[4 + 4 + 32] = {IKE_CFG_REPLY};
        put16(a + 4, cases[i].type);
        put16(a + 6, cases[i].len);
        enum ike_drop d = ike_parse_cp(a, 8 + cases[i].len, &out);
        if (d != (cases[i].ok ? IKE_DROP_NONE : IKE_DROP_MALFORMED))
            fail_msg("CP attr %u len %u: %s", cases[i].type, cases[i].len, ike_drop_name(d));
    }
    /* 32 attributes fit, 33 do not */
    uint8_t many[4 + 4 * (IKE_MAX_CP_ATTRS + 1)] = {IKE_CFG_REQUEST};
    for (int i = 0; i <= IKE_MAX_CP_ATTRS; i++) put16(many + 4 + 4 * i, IKE_CA_INTERNAL_IP4_DNS);
    assert_int_equal(ike_parse_cp(many, sizeof many - 4, &out), IKE_DROP_NONE);
    assert_int_equal(out.nattr, IKE_MAX_CP_ATTRS);
    assert_int_equal(ike_parse_cp(many, sizeof many, &out), IKE_DROP_TOO_MANY);
}

static void test_delete_drops(void **state)
{
    (void)state;
    struct ike_delete d;
    uint8_t b[4 + 8 * 70] = {0};
    /* IKE: SPI size 0, no SPIs (§3.11) */
    b[0] = IKE_PROTO_IKE;
    assert_int_equal(ike_parse_delete(b, 4, &d), IKE_DROP_NONE);
    b[1] = 8;
    assert_int_equal(ike_parse_delete(b, 4, &d), IKE_DROP_MALFORMED);
    b[1] = 0;
    put16(b + 2, 1);
    assert_int_equal(ike_parse_delete(b, 4, &d), IKE_DROP_MALFORMED);
    b[1] = 8;
    assert_int_equal(ike_parse_delete(b, 12, &d), IKE_DROP_MALFORMED);
    put16(b + 2, 0);
    b[1] = 0;
    assert_int_equal(ike_parse_delete(b, 5, &d), IKE_DROP_MALFORMED); /* trailing */
    /* ESP/AH: SPI size 4 */
    static const uint8_t protos[] = {IKE_PROTO_ESP, IKE_PROTO_AH};
    for (size_t i = 0; i < 2; i++) {
        b[0] = protos[i];
        b[1] = 4;
        put16(b + 2, 2);
        assert_int_equal(ike_parse_delete(b, 12, &d), IKE_DROP_NONE);
        assert_int_equal(d.nspi, 2);
        assert_int_equal(ike_parse_delete(b, 11, &d), IKE_DROP_MALFORMED);
        assert_int_equal(ike_parse_delete(b, 13, &d), IKE_DROP_MALFORMED);
        assert_int_equal(ike_parse_delete(b, 16, &d), IKE_DROP_MALFORMED);
        static const uint8_t badspi[] = {0, 2, 8};
        for (size_t j = 0; j < N_ELEM(badspi); j++) {
            b[1] = badspi[j];
            assert_int_equal(ike_parse_delete(b, 4 + 2 * badspi[j], &d), IKE_DROP_MALFORMED);
        }
        b[1] = 4;
        put16(b + 2, IKE_MAX_DELETE_SPIS + 1);
        assert_int_equal(ike_parse_delete(b, 4 + 4 * (IKE_MAX_DELETE_SPIS + 1), &d),
                         IKE_DROP_TOO_MANY);
        put16(b + 2, 0xffff);
        assert_int_equal(ike_parse_delete(b, sizeof b, &d), IKE_DROP_MALFORMED);
    }
    /* unknown protocol */
    b[0] = 0;
    b[1] = 4;
    put16(b + 2, 1);
    assert_int_equal(ike_parse_delete(b, 8, &d), IKE_DROP_MALFORMED);
    b[0] = 4;
    assert_int_equal(ike_parse_delete(b, 8, &d), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_delete(b, 3, &d), IKE_DROP_MALFORMED);
}

static void test_misc_drops(void **state)
{
    (void)state;
    uint8_t b[300] = {0};
    struct ike_notify n;
    /* notify SPI sizes: 0, 4, 8 only; the SPI must fit */
    for (int s = 0; s < 256; s++) {
        b[1] = (uint8_t)s;
        enum ike_drop d = ike_parse_notify(b, sizeof b, &n);
        bool ok = s == 0 || s == 4 || s == 8;
        assert_int_equal(d, ok ? IKE_DROP_NONE : IKE_DROP_MALFORMED);
    }
    b[1] = 8;
    assert_int_equal(ike_parse_notify(b, 11, &n), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_notify(b, 12, &n), IKE_DROP_NONE);
    assert_int_equal(n.len, 0);
    /* nonce size (§3.9) */
    assert_int_equal(ike_parse_nonce(b, 15), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_nonce(b, 16), IKE_DROP_NONE);
    assert_int_equal(ike_parse_nonce(b, 256), IKE_DROP_NONE);
    assert_int_equal(ike_parse_nonce(b, 257), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_nonce(b, 0), IKE_DROP_MALFORMED);
    /* short fixed parts */
    struct ike_ke ke;
    struct ike_id id;
    struct ike_cert c;
    struct ike_auth a;
    assert_int_equal(ike_parse_ke(b, 3, &ke), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_ke(b, 4, &ke), IKE_DROP_NONE);
    assert_int_equal(ike_parse_id(b, 3, &id), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_cert(b, 0, &c), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_cert(b, 1, &c), IKE_DROP_NONE);
    assert_int_equal(c.len, 0);
    assert_int_equal(ike_parse_auth(b, 3, &a), IKE_DROP_MALFORMED);
    /* address IDs are one address */
    b[0] = IKE_ID_IPV4_ADDR;
    assert_int_equal(ike_parse_id(b, 8, &id), IKE_DROP_NONE);
    assert_int_equal(ike_parse_id(b, 7, &id), IKE_DROP_MALFORMED);
    assert_int_equal(ike_parse_id(b, 20, &id), IKE_DROP_MALFORMED);
    b[0] = IKE_ID_IPV6_ADDR;
    assert_int_equal(ike_parse_id(b, 20, &id), IKE_DROP_NONE);
    assert_int_equal(ike_parse_id(b, 8, &id), IKE_DROP_MALFORMED);
}

/* ---- builder overflow ---- */

typedef void (*emit_fn)(struct ike_wbuf *w);

static void emit_sa(struct ike_wbuf *w)
{
    static struct ike_sa_pl sa;
    sample_sa(&sa);
    ikew_sa(w, &sa);
}
static void emit_ke(struct ike_wbuf *w)
{
    ikew_ke(w, 19, sa_init_req + 84, 64);
}
static void emit_id(struct ike_wbuf *w)
{
    ikew_id(w, IKE_PL_IDR, IKE_ID_FQDN, (const uint8_t *)"gw.example", 10);
}
static void emit_cert(struct ike_wbuf *w)
{
    ikew_cert(w, IKE_PL_CERT, IKE_CERT_X509_SIG, sa_init_req, 50);
}
static void emit_certreq(struct ike_wbuf *w)
{
    ikew_cert(w, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, sa_init_req, 20);
}
static void emit_auth(struct ike_wbuf *w)
{
    ikew_auth(w, IKE_AUTH_DIGITAL_SIG, sa_init_req, 40);
}
static void emit_nonce(struct ike_wbuf *w)
{
    ikew_nonce(w, sa_init_req, 32);
}
static void emit_notify(struct ike_wbuf *w)
{
    ikew_notify(w, IKE_PROTO_ESP, (const uint8_t *)"spi!", 4, IKE_N_REKEY_SA, sa_init_req, 9);
}
static void emit_delete(struct ike_wbuf *w)
{
    struct ike_delete d = {.proto = IKE_PROTO_ESP, .spi_size = 4, .nspi = 5};
    ikew_delete(w, &d);
}
static void emit_ts(struct ike_wbuf *w)
{
    struct ike_ts_set ts = sample_ts();
    ikew_ts(w, IKE_PL_TSI, &ts);
}
static void emit_cp(struct ike_wbuf *w)
{
    struct ike_cp cp = sample_cp();
    ikew_cp(w, &cp);
}
static void emit_vendor(struct ike_wbuf *w)
{
    ikew_vendor(w, sa_init_req, 16);
}
static void emit_raw(struct ike_wbuf *w)
{
    size_t s = ikew_pl_begin(w, IKE_PL_EAP, false);
    ikew_put8(w, 1);
    ikew_put16(w, 2);
    ikew_put32(w, 3);
    ikew_put(w, "xyz", 3);
    ikew_pl_end(w, s);
}
static void emit_sk(struct ike_wbuf *w)
{
    ikew_sk_begin(w, 16);
    emit_id(w);
    emit_auth(w);
    emit_ts(w);
    ikew_sk_end(w, 16, 16);
}
static void emit_sk_gcm(struct ike_wbuf *w)
{
    ikew_sk_begin(w, 8);
    emit_notify(w);
    ikew_sk_end(w, 1, 16);
}

static void test_builder_overflow(void **state)
{
    (void)state;
    static const emit_fn emits[] = {emit_sa,   emit_ke,     emit_id,     emit_cert,   emit_certreq,
                                    emit_auth, emit_nonce,  emit_notify, emit_delete, emit_ts,
                                    emit_cp,   emit_vendor, emit_raw,    emit_sk,     emit_sk_gcm};
    for (size_t k = 0; k < N_ELEM(emits); k++) {
        uint8_t ref[BUFSZ];
        struct ike_wbuf w;
        begin(&w, ref, sizeof ref, IKE_AUTH);
        emits[k](&w);
        size_t need = finish_ok(&w);
        struct ike_msg m;
        parse_ok(ref, need, &m);
        assert_int_equal(m.npl, 1);
        for (size_t cap = 0; cap <= need; cap++) {
            uint8_t *buf = malloc(need + 64);
            assert_non_null(buf);
            memset(buf, GUARD, need + 64);
            begin(&w, buf, cap, IKE_AUTH);
            emits[k](&w);
            size_t n = ikew_finish(&w);
            assert_true(w.len <= cap);
            for (size_t i = cap; i < need + 64; i++)
                if (buf[i] != GUARD) fail_msg("emit %zu cap %zu: byte %zu written", k, cap, i);
            if (cap < need) {
                assert_int_equal(n, 0);
                assert_true(w.overflow);
            } else {
                assert_int_equal(n, need);
                assert_memory_equal(buf, ref, need);
            }
            free(buf);
        }
    }
    /* invalid requests set overflow too */
    uint8_t buf[BUFSZ];
    struct ike_wbuf w;
    static struct ike_sa_pl sa;
    sample_sa(&sa);
    sa.nprop = IKE_MAX_PROPOSALS + 1;
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_sa(&w, &sa);
    assert_true(w.overflow);
    sample_sa(&sa);
    sa.prop[1].ntrans = 256; /* the wire's count is one octet */
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_sa(&w, &sa);
    assert_true(w.overflow);
    struct ike_ts_set ts = sample_ts();
    ts.ts[1].type = 9;
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_ts(&w, IKE_PL_TSI, &ts);
    assert_true(w.overflow);
    struct ike_delete d = {.proto = IKE_PROTO_ESP, .spi_size = 4, .nspi = IKE_MAX_DELETE_SPIS + 1};
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_delete(&w, &d);
    assert_true(w.overflow);
    struct ike_cp cp = {.nattr = 1};
    cp.a[0] = (struct ike_cp_attr){1, 4, NULL};
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_cp(&w, &cp);
    assert_true(w.overflow);
    begin(&w, buf, sizeof buf, IKE_AUTH);
    ikew_notify(&w, 3, NULL, 4, IKE_N_REKEY_SA, NULL, 0);
    assert_true(w.overflow);
    /* a payload over 65535 bytes */
    uint8_t *huge = calloc(1, 70000);
    assert_non_null(huge);
    uint8_t *src = calloc(1, 70000);
    assert_non_null(src);
    begin(&w, huge, 70000, IKE_AUTH);
    ikew_vendor(&w, src, 65532);
    assert_true(w.overflow);
    begin(&w, huge, 70000, IKE_AUTH);
    ikew_vendor(&w, src, 65531);
    assert_false(w.overflow);
    assert_int_equal(ikew_finish(&w), 0); /* a message over IKE_MAX_MSG */
    begin(&w, huge, 70000, IKE_AUTH);
    ikew_vendor(&w, src, IKE_MAX_MSG - IKE_HDR_LEN - 4);
    assert_int_equal(ikew_finish(&w), IKE_MAX_MSG);
    free(huge);
    free(src);
    /* ikew_init with NULL */
    ikew_init(&w, NULL, 100);
    struct ike_hdr h = mkhdr(IKE_SA_INIT, 0, 0);
    ikew_hdr(&w, &h);
    assert_true(w.overflow);
}

/* ---- names and summary ---- */

static void test_names(void **state)
{
    (void)state;
    for (int r = 0; r < IKE_DROP_NCOUNT; r++) {
        const char *s = ike_drop_name((enum ike_drop)r);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, "unknown");
        for (int q = 0; q < r; q++) assert_string_not_equal(s, ike_drop_name((enum ike_drop)q));
    }
    assert_string_equal(ike_drop_name(IKE_DROP_SHORT), "short");
    assert_string_equal(ike_drop_name(IKE_DROP_LENGTH), "length mismatch");
    assert_string_equal(ike_drop_name(IKE_DROP_NCOUNT), "unknown");
    assert_string_equal(ike_exchange_name(IKE_SA_INIT), "IKE_SA_INIT");
    assert_string_equal(ike_exchange_name(IKE_CREATE_CHILD_SA), "CREATE_CHILD_SA");
    assert_string_equal(ike_exchange_name(IKE_INFORMATIONAL), "INFORMATIONAL");
    assert_string_equal(ike_exchange_name(33), "unknown");
    assert_string_equal(ike_payload_name(IKE_PL_NONCE), "No");
    assert_string_equal(ike_payload_name(IKE_PL_TSR), "TSr");
    assert_string_equal(ike_payload_name(IKE_PL_SKF), "SKF");
    assert_string_equal(ike_payload_name(99), "unknown");
    assert_string_equal(ike_notify_name(IKE_N_NAT_DETECTION_SOURCE_IP), "NAT_DETECTION_SOURCE_IP");
    assert_string_equal(ike_notify_name(IKE_N_REDIRECT_SUPPORTED), "REDIRECT_SUPPORTED");
    assert_string_equal(ike_notify_name(12345), "unknown");
    assert_string_equal(ike_notify_short_name(IKE_N_NAT_DETECTION_DESTINATION_IP), "NATD_D_IP");
    assert_null(ike_notify_short_name(12345));
    for (unsigned t = 0; t < 65536; t++)
        if (ike_notify_short_name((uint16_t)t))
            assert_string_not_equal(ike_notify_name((uint16_t)t), "unknown");
}

static void test_summary(void **state)
{
    (void)state;
    uint8_t buf[BUFSZ], nonce[32] = {0};
    struct ike_wbuf w;
    struct ike_hdr h = mkhdr(IKE_SA_INIT, IKE_FLAG_RESPONSE, 0);
    ikew_init(&w, buf, sizeof buf);
    ikew_hdr(&w, &h);
    static struct ike_sa_pl sa;
    sample_sa(&sa);
    sa.nprop = 1;
    ikew_sa(&w, &sa);
    ikew_ke(&w, 19, nonce, 32);
    ikew_nonce(&w, nonce, 32);
    ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, nonce, 20);
    ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, nonce, 20);
    ikew_notify(&w, 0, NULL, 0, IKE_N_REDIRECT_SUPPORTED, NULL, 0);
    ikew_notify(&w, 0, NULL, 0, 40000, NULL, 0);
    ikew_cert(&w, IKE_PL_CERTREQ, 4, nonce, 20);
    ikew_vendor(&w, nonce, 4);
    size_t s = ikew_pl_begin(&w, IKE_PL_NOTIFY, false); /* unparsable notify */
    ikew_put8(&w, 0);
    ikew_pl_end(&w, s);
    size_t n = finish_ok(&w);
    struct ike_msg m;
    parse_ok(buf, n, &m);
    static const char want[] = "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) "
                               "N(REDIR_SUP) N(40000) CERTREQ V N(?) ]";
    char out[256];
    assert_int_equal(ike_msg_summary(&m, NULL, 0, out, sizeof out), strlen(want));
    assert_string_equal(out, want);
    /* every smaller buffer: a terminated prefix, nothing written past cap */
    for (size_t cap = 0; cap <= sizeof want + 1; cap++) {
        char *sb = malloc(cap + 16);
        assert_non_null(sb);
        memset(sb, GUARD, cap + 16);
        size_t len = ike_msg_summary(&m, NULL, 0, sb, cap);
        for (size_t i = cap; i < cap + 16; i++) assert_int_equal((uint8_t)sb[i], GUARD);
        if (cap) {
            assert_int_equal(len, strlen(sb));
            assert_true(len < cap);
            assert_memory_equal(sb, want, len);
            assert_int_equal(len, cap - 1 < strlen(want) ? cap - 1 : strlen(want));
        } else {
            assert_int_equal(len, 0);
        }
        free(sb);
    }
    /* unknown exchange */
    buf[18] = 99;
    buf[19] = 0;
    parse_ok(buf, n, &m);
    ike_msg_summary(&m, NULL, 0, out, sizeof out);
    assert_memory_equal(out, "EXCHANGE(99) request 0 [ SA ", 28);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_sa_init),
        cmocka_unit_test(test_builder_matches_known),
        cmocka_unit_test(test_hdr_roundtrip),
        cmocka_unit_test(test_sa_roundtrip),
        cmocka_unit_test(test_ke_id_cert_auth_nonce_vendor_roundtrip),
        cmocka_unit_test(test_notify_roundtrip),
        cmocka_unit_test(test_delete_roundtrip),
        cmocka_unit_test(test_ts_roundtrip),
        cmocka_unit_test(test_cp_roundtrip),
        cmocka_unit_test(test_redirect_roundtrip),
        cmocka_unit_test(test_redirect_malformed),
        cmocka_unit_test(test_sk_cbc),
        cmocka_unit_test(test_sk_aead),
        cmocka_unit_test(test_sk_misuse),
        cmocka_unit_test(test_sk_after_plain),
        cmocka_unit_test(test_hdr_drops),
        cmocka_unit_test(test_truncate_every_byte),
        cmocka_unit_test(test_truncate_bodies),
        cmocka_unit_test(test_payload_length_drops),
        cmocka_unit_test(test_critical_and_unknown),
        cmocka_unit_test(test_sk_not_last),
        cmocka_unit_test(test_too_many_payloads),
        cmocka_unit_test(test_sa_numbering),
        cmocka_unit_test(test_sa_spi_sizes),
        cmocka_unit_test(test_sa_structure),
        cmocka_unit_test(test_sa_attributes),
        cmocka_unit_test(test_ts_drops),
        cmocka_unit_test(test_cp_drops),
        cmocka_unit_test(test_delete_drops),
        cmocka_unit_test(test_misc_drops),
        cmocka_unit_test(test_builder_overflow),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
