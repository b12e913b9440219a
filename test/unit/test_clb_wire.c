/* Unit tests for clb/clb_wire.c against docs/clb-protocol.md: round trips of every message and
 * field, the known-answer frames of the specification's §12 (computed there with Python's
 * struct and hmac, independently of this code), every rejection reason, the stream reassembler
 * split at every byte, and the authentication rules of §9 (keys, nonces, sequences, replay
 * within and across connections, reflection). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clb/clb_wire.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the specification's §12 values ---- */

static const uint8_t NM[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                               0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const uint8_t NS[16] = {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
                               0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f};
static const char KEY[] = "cluster-secret";

/* §12.1 */
static const uint8_t KAT_HELLO[] = {
    0x43, 0x4c, 0x01, 0x01, 0x00, 0x00, 0x00, 0x42, 0x00, 0x01, 0x00, 0x08, 0x01, 0x02,
    0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x02, 0x00, 0x03, 0x47, 0x57, 0x31, 0x00,
    0x03, 0x00, 0x02, 0x01, 0x01, 0x00, 0x04, 0x00, 0x10, 0x00, 0x11, 0x22, 0x33, 0x44,
    0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x05, 0x00,
    0x01, 0x32, 0x00, 0x06, 0x00, 0x04, 0x0a, 0x0a, 0x0a, 0x01};

/* §12.2 */
static const uint8_t KAT_LOAD[] = {
    0x43, 0x4c, 0x01, 0x02, 0x00, 0x00, 0x00, 0x5d, 0x00, 0x05, 0x00, 0x01, 0x32, 0x00, 0x06, 0x00,
    0x04, 0x0a, 0x0a, 0x0a, 0x02, 0x00, 0x10, 0x00, 0x02, 0x0e, 0x8d, 0x00, 0x11, 0x00, 0x08, 0x00,
    0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x02, 0x04, 0xe2, 0x00, 0x13, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x78, 0x00, 0x14, 0x00, 0x04, 0x00, 0x00, 0x00, 0xf0, 0x00, 0x15, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x03, 0x00, 0x16, 0x00, 0x04, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x17, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x04, 0x00, 0x00, 0x00, 0x32};

/* §12.3: the HELLO signed, the member's first frame. */
static const uint8_t KAT_HELLO_AUTH[] = {
    0x00, 0xff, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x98, 0xc0, 0x22,
    0x5b, 0xa9, 0x7c, 0xe5, 0x4d, 0xb3, 0xa1, 0x2a, 0xb2, 0x93, 0x5a, 0x7e, 0x78, 0xcc, 0xf6,
    0x29, 0x63, 0x4b, 0x3c, 0xfc, 0x09, 0x53, 0xeb, 0x18, 0x91, 0x02, 0x2e, 0xe0, 0x11};

/* §12.4: the master's WELCOME, signed. */
static const uint8_t KAT_WELCOME_SIGNED[] = {
    0x43, 0x4c, 0x01, 0x03, 0x00, 0x01, 0x00, 0x69, 0x00, 0x01, 0x00, 0x08, 0x10, 0x20, 0x30,
    0x40, 0x50, 0x60, 0x70, 0x80, 0x00, 0x02, 0x00, 0x03, 0x47, 0x57, 0x30, 0x00, 0x03, 0x00,
    0x02, 0x01, 0x01, 0x00, 0x04, 0x00, 0x10, 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
    0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f, 0x00, 0x07, 0x00, 0x04, 0x00, 0x00, 0x0b,
    0xb8, 0x00, 0xff, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xd4, 0x86,
    0x23, 0x01, 0x7c, 0x0e, 0xea, 0xab, 0x3a, 0xdf, 0x07, 0x77, 0x7a, 0x4b, 0xbc, 0x08, 0x63,
    0xab, 0x57, 0x99, 0x2b, 0xcd, 0xce, 0xc1, 0xbd, 0xae, 0x32, 0xbf, 0xc2, 0x14, 0x17, 0xa0};

/* §12.4: the tail of the LOAD signed with sequence 2. */
static const uint8_t KAT_LOAD2_AUTH[] = {
    0x00, 0xff, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc6, 0x39, 0xe0,
    0xf2, 0x7c, 0x93, 0x0a, 0xe1, 0x08, 0xe8, 0xdb, 0x67, 0xce, 0x1c, 0x36, 0x6a, 0xd2, 0x7f,
    0xbf, 0x5a, 0xa6, 0x51, 0x7c, 0xf0, 0xfe, 0x17, 0x8d, 0xca, 0x8d, 0x5c, 0x1e, 0xc3};

static struct clb_msg kat_hello(void)
{
    struct clb_msg m;
    clb_msg_init(&m, CLB_HELLO);
    struct clb_hello *h = &m.u.hello;
    for (int i = 0; i < 8; i++) h->member_id[i] = (uint8_t)(i + 1);
    h->priority = 50;
    h->redirect.len = 4;
    memcpy(h->redirect.b, (uint8_t[]){10, 10, 10, 1}, 4);
    h->has_versions = true;
    h->ver_min = h->ver_max = 1;
    h->has_nonce = true;
    memcpy(h->nonce, NM, 16);
    strcpy(h->hostname, "GW1");
    return m;
}

static struct clb_msg kat_load(void)
{
    struct clb_msg m;
    clb_msg_init(&m, CLB_LOAD);
    struct clb_load *l = &m.u.load;
    l->redirect.len = 4;
    memcpy(l->redirect.b, (uint8_t[]){10, 10, 10, 2}, 4);
    l->priority = 50;
    l->mem_pct100 = 3725;
    l->mem_used = 1610612736;
    l->cpu_pct100 = 1250;
    l->sessions = 120;
    l->ipsec_sas = 240;
    l->negotiating = 3;
    l->max_session = 1000;
    l->cac_max_sa = 0;
    l->cac_max_neg = 50;
    return m;
}

static struct clb_msg kat_welcome(void)
{
    struct clb_msg m;
    clb_msg_init(&m, CLB_WELCOME);
    struct clb_welcome *w = &m.u.welcome;
    memcpy(w->master_id, (uint8_t[]){0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80}, 8);
    w->holdtime_ms = 3000;
    memcpy(w->nonce, NS, 16);
    w->has_versions = true;
    w->ver_min = w->ver_max = 1;
    strcpy(w->hostname, "GW0");
    return m;
}

static struct clb_msg full_refuse(void)
{
    struct clb_msg m;
    clb_msg_init(&m, CLB_REFUSE);
    struct clb_refuse *r = &m.u.refuse;
    r->reason = CLB_REASON_VERSION;
    r->has_master_id = true;
    memset(r->master_id, 0xab, 8);
    r->has_nonce = true;
    memcpy(r->nonce, NS, 16);
    r->has_versions = true;
    r->ver_min = 1;
    r->ver_max = 3;
    memset(r->text, 'x', CLB_TEXT_MAX);
    r->text[0] = ' '; /* TEXT allows spaces, HOSTNAME does not */
    return m;
}

static struct clb_msg make_bye(uint16_t reason, const char *text)
{
    struct clb_msg m;
    clb_msg_init(&m, CLB_BYE);
    m.u.bye.reason = reason;
    snprintf(m.u.bye.text, sizeof m.u.bye.text, "%s", text);
    return m;
}

static size_t enc(const struct clb_msg *m, uint8_t *buf, size_t cap)
{
    size_t n = clb_encode(m, buf, cap);
    if (n == 0)
        fail_msg("clb_encode of %s refused: %s", clb_type_name(m->type),
                 clb_drop_name(clb_msg_check(m)));
    return n;
}

static void dec_ok(const uint8_t *buf, size_t len, struct clb_msg *m, struct clb_decode_info *info)
{
    enum clb_drop r = clb_decode(buf, len, m, info);
    if (r != CLB_DROP_NONE) fail_msg("decode of %zu bytes: %s", len, clb_drop_name(r));
}

static void expect_drop(const uint8_t *buf, size_t len, enum clb_drop want)
{
    struct clb_msg m;
    enum clb_drop r = clb_decode(buf, len, &m, NULL);
    if (r != want)
        fail_msg("len %zu: decode says '%s', expected '%s'", len, clb_drop_name(r),
                 clb_drop_name(want));
}

/* Encode, decode, compare every byte of the struct (decode zeroes it first; so does
 * clb_msg_init), and check that every smaller buffer is refused. */
static size_t round_trip(const struct clb_msg *m)
{
    uint8_t buf[CLB_FRAME_MAX];
    assert_int_equal(clb_msg_check(m), CLB_DROP_NONE);
    size_t n = enc(m, buf, sizeof buf);
    assert_int_equal(((size_t)buf[6] << 8 | buf[7]), n);
    struct clb_msg back;
    struct clb_decode_info info;
    dec_ok(buf, n, &back, &info);
    assert_memory_equal(m, &back, sizeof *m);
    assert_int_equal(info.skipped_tlvs, 0);
    assert_false(info.has_auth);
    uint8_t small[CLB_FRAME_MAX];
    for (size_t cap = 0; cap < n; cap++) assert_int_equal(clb_encode(m, small, cap), 0);
    /* Exactly n is enough, and re-encoding the decoded message gives the same bytes. */
    assert_int_equal(clb_encode(&back, small, n), n);
    assert_memory_equal(buf, small, n);
    return n;
}

/* ---- a frame builder for hand-made malformed frames ---- */

struct fb {
    uint8_t b[CLB_FRAME_MAX + 64];
    size_t n;
};

static void fb_start(struct fb *f, uint8_t version, uint8_t type, uint16_t flags)
{
    memset(f, 0, sizeof *f);
    f->b[0] = 0x43;
    f->b[1] = 0x4c;
    f->b[2] = version;
    f->b[3] = type;
    f->b[4] = (uint8_t)(flags >> 8);
    f->b[5] = (uint8_t)flags;
    f->n = CLB_HDR_LEN;
}

static void fb_tlv(struct fb *f, uint16_t type, const void *v, size_t len)
{
    f->b[f->n++] = (uint8_t)(type >> 8);
    f->b[f->n++] = (uint8_t)type;
    f->b[f->n++] = (uint8_t)(len >> 8);
    f->b[f->n++] = (uint8_t)len;
    if (len) memcpy(f->b + f->n, v, len);
    f->n += len;
}

static void fb_u8(struct fb *f, uint16_t type, uint8_t v)
{
    fb_tlv(f, type, &v, 1);
}

static void fb_u16(struct fb *f, uint16_t type, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    fb_tlv(f, type, b, 2);
}

static void fb_u32(struct fb *f, uint16_t type, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    fb_tlv(f, type, b, 4);
}

/* Set the length field to the bytes written. */
static size_t fb_end(struct fb *f)
{
    f->b[6] = (uint8_t)(f->n >> 8);
    f->b[7] = (uint8_t)f->n;
    return f->n;
}

static void fb_hello_body(struct fb *f)
{
    fb_tlv(f, CLB_TLV_MEMBER_ID, "\1\2\3\4\5\6\7\10", 8);
    fb_u8(f, CLB_TLV_PRIORITY, 50);
    fb_tlv(f, CLB_TLV_REDIRECT_ADDR, "\12\12\12\1", 4);
}

/* ---- round trips ---- */

static void test_round_trip_every_type(void **state)
{
    (void)state;
    struct clb_msg m = kat_hello();
    assert_int_equal(round_trip(&m), sizeof KAT_HELLO);

    /* HELLO with only its required TLVs, IPv6 redirect. */
    clb_msg_init(&m, CLB_HELLO);
    memset(m.u.hello.member_id, 0xff, 8);
    m.u.hello.priority = 1;
    m.u.hello.redirect.len = 16;
    m.u.hello.redirect.b[0] = 0x20;
    m.u.hello.redirect.b[15] = 0x01;
    assert_int_equal(round_trip(&m), 8 + 12 + 5 + 20);

    m = kat_load();
    assert_int_equal(round_trip(&m), sizeof KAT_LOAD);

    m = kat_welcome();
    round_trip(&m);
    /* Absent optional fields decode as zero: clear them the same way here. */
    m.u.welcome.has_versions = false;
    m.u.welcome.ver_min = m.u.welcome.ver_max = 0;
    memset(m.u.welcome.hostname, 0, sizeof m.u.welcome.hostname);
    assert_int_equal(round_trip(&m), 8 + 12 + 20 + 8);

    clb_msg_init(&m, CLB_ACK);
    assert_int_equal(round_trip(&m), CLB_HDR_LEN);

    m = full_refuse();
    /* §4.2: the largest version 1 message. */
    assert_int_equal(round_trip(&m), 184);
    clb_msg_init(&m, CLB_REFUSE);
    m.u.refuse.reason = CLB_REASON_FULL;
    assert_int_equal(round_trip(&m), 8 + 6);

    m = make_bye(CLB_REASON_SHUTDOWN, "cluster shut down by admin");
    round_trip(&m);
    m = make_bye(0xffff, ""); /* an unknown code is valid on the wire */
    assert_int_equal(round_trip(&m), 8 + 6);
}

static void test_round_trip_field_limits(void **state)
{
    (void)state;
    struct clb_msg m = kat_load();
    struct clb_load *l = &m.u.load;
    /* Every counter at both ends of its range. */
    l->priority = 100;
    l->mem_pct100 = 10000;
    l->cpu_pct100 = 10000;
    l->mem_used = UINT64_MAX;
    l->sessions = l->ipsec_sas = l->negotiating = UINT32_MAX;
    l->cac_max_sa = l->cac_max_neg = UINT32_MAX;
    l->max_session = 100000;
    round_trip(&m);
    l->priority = 1;
    l->mem_pct100 = l->cpu_pct100 = 0;
    l->mem_used = 0;
    l->sessions = l->ipsec_sas = l->negotiating = 0;
    l->cac_max_sa = l->cac_max_neg = 0;
    l->max_session = 1;
    l->redirect.len = 16;
    memset(l->redirect.b, 0, 16);
    l->redirect.b[15] = 1;
    round_trip(&m);

    m = kat_welcome();
    m.u.welcome.holdtime_ms = 100;
    round_trip(&m);
    m.u.welcome.holdtime_ms = 120000;
    m.u.welcome.ver_min = 1;
    m.u.welcome.ver_max = 255;
    memset(m.u.welcome.hostname, '~', CLB_HOSTNAME_MAX); /* 0x7e, the top of the range */
    m.u.welcome.hostname[0] = '!';                       /* 0x21, the bottom */
    round_trip(&m);

    m = kat_hello();
    m.u.hello.priority = 100;
    m.u.hello.has_nonce = false;
    memset(m.u.hello.nonce, 0, sizeof m.u.hello.nonce);
    m.u.hello.has_versions = false;
    m.u.hello.ver_min = m.u.hello.ver_max = 0;
    memset(m.u.hello.hostname, 0, sizeof m.u.hello.hostname);
    m.u.hello.hostname[0] = 'a';
    round_trip(&m);

    m = make_bye(CLB_REASON_TIMEOUT, "~");
    round_trip(&m);
}

static void test_kat_hello_load(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct clb_msg m = kat_hello(), back;
    size_t n = enc(&m, buf, sizeof buf);
    assert_int_equal(n, sizeof KAT_HELLO);
    assert_memory_equal(buf, KAT_HELLO, n);
    dec_ok(KAT_HELLO, sizeof KAT_HELLO, &back, NULL);
    assert_memory_equal(&m, &back, sizeof m);

    m = kat_load();
    n = enc(&m, buf, sizeof buf);
    assert_int_equal(n, sizeof KAT_LOAD);
    assert_memory_equal(buf, KAT_LOAD, n);
    dec_ok(KAT_LOAD, sizeof KAT_LOAD, &back, NULL);
    assert_memory_equal(&m, &back, sizeof m);
}

static void member_state(struct clb_auth_state *a, const char *key)
{
    assert_int_equal(
        clb_auth_init(a, CLB_ROLE_MEMBER, (const uint8_t *)key, key ? strlen(key) : 0, NM), 0);
}

static void master_state(struct clb_auth_state *a, const char *key)
{
    assert_int_equal(
        clb_auth_init(a, CLB_ROLE_MASTER, (const uint8_t *)key, key ? strlen(key) : 0, NS), 0);
}

static void test_kat_signed(void **state)
{
    (void)state;
    struct clb_auth_state mem, mas;
    member_state(&mem, KEY);
    master_state(&mas, KEY);
    uint8_t buf[256];

    /* §12.3: the member's first HELLO. */
    struct clb_msg m = kat_hello();
    size_t n = clb_seal(&mem, &m, buf, sizeof buf);
    assert_int_equal(n, sizeof KAT_HELLO + CLB_AUTH_TLV_LEN);
    assert_memory_equal(buf, "\x43\x4c\x01\x01\x00\x01\x00\x6e", 8);
    assert_memory_equal(buf + 8, KAT_HELLO + 8, sizeof KAT_HELLO - 8);
    assert_memory_equal(buf + sizeof KAT_HELLO, KAT_HELLO_AUTH, sizeof KAT_HELLO_AUTH);
    assert_int_equal(mem.send_seq, 1);
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_NONE);
    assert_true(mas.have_peer_nonce);
    assert_memory_equal(mas.peer_nonce, NM, 16);
    assert_int_equal(mas.recv_seq, 1);
    struct clb_msg back;
    struct clb_decode_info info;
    dec_ok(buf, n, &back, &info);
    assert_memory_equal(&m, &back, sizeof m);
    assert_true(info.has_auth);
    assert_int_equal(info.seq, 1);

    /* §12.4: the master's WELCOME, then the member's LOAD with sequence 2. */
    m = kat_welcome();
    n = clb_seal(&mas, &m, buf, sizeof buf);
    assert_int_equal(n, sizeof KAT_WELCOME_SIGNED);
    assert_memory_equal(buf, KAT_WELCOME_SIGNED, n);
    assert_int_equal(clb_verify(&mem, buf, n), CLB_DROP_NONE);
    assert_memory_equal(mem.peer_nonce, NS, 16);

    m = kat_load();
    n = clb_seal(&mem, &m, buf, sizeof buf);
    assert_int_equal(n, sizeof KAT_LOAD + CLB_AUTH_TLV_LEN);
    assert_memory_equal(buf + 8, KAT_LOAD + 8, sizeof KAT_LOAD - 8);
    assert_memory_equal(buf + sizeof KAT_LOAD, KAT_LOAD2_AUTH, sizeof KAT_LOAD2_AUTH);
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_NONE);
    assert_int_equal(mas.recv_seq, 2);
}

/* ---- encode refusals ---- */

static void expect_refused(const struct clb_msg *m, enum clb_drop want)
{
    uint8_t buf[CLB_FRAME_MAX];
    enum clb_drop r = clb_msg_check(m);
    if (r != want)
        fail_msg("%s: check says '%s', expected '%s'", clb_type_name(m->type), clb_drop_name(r),
                 clb_drop_name(want));
    assert_int_equal(clb_encode(m, buf, sizeof buf), 0);
}

static void test_encode_refuses_invalid(void **state)
{
    (void)state;
    struct clb_msg m = kat_hello();
    m.version = 0;
    expect_refused(&m, CLB_DROP_VERSION);
    m.version = CLB_VERSION_MAX + 1;
    expect_refused(&m, CLB_DROP_VERSION);
    m = kat_hello();
    m.type = 0;
    expect_refused(&m, CLB_DROP_TYPE);
    m.type = 7;
    expect_refused(&m, CLB_DROP_TYPE);

    static const uint8_t bad_prio[] = {0, 101, 255};
    for (size_t i = 0; i < N_ELEM(bad_prio); i++) {
        m = kat_hello();
        m.u.hello.priority = bad_prio[i];
        expect_refused(&m, CLB_DROP_VALUE);
        m = kat_load();
        m.u.load.priority = bad_prio[i];
        expect_refused(&m, CLB_DROP_VALUE);
    }
    m = kat_hello();
    m.u.hello.redirect.len = 5;
    expect_refused(&m, CLB_DROP_VALUE);
    m.u.hello.redirect.len = 0;
    expect_refused(&m, CLB_DROP_VALUE);
    m.u.hello.redirect.len = 200; /* past the array: refused, not read */
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_hello();
    memset(m.u.hello.redirect.b, 0, 4);
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_hello();
    memset(m.u.hello.nonce, 0, 16);
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_hello();
    m.u.hello.ver_min = 0;
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_hello();
    m.u.hello.ver_min = 2;
    m.u.hello.ver_max = 1;
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_hello();
    strcpy(m.u.hello.hostname, "GW 1");
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_hello();
    memset(m.u.hello.hostname, 'a', sizeof m.u.hello.hostname); /* no NUL */
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_hello();
    m.u.hello.hostname[0] = (char)0x80;
    expect_refused(&m, CLB_DROP_VALUE);

    m = kat_load();
    m.u.load.mem_pct100 = 10001;
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_load();
    m.u.load.cpu_pct100 = 10001;
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_load();
    m.u.load.max_session = 0;
    expect_refused(&m, CLB_DROP_VALUE);
    m.u.load.max_session = 100001;
    expect_refused(&m, CLB_DROP_VALUE);

    m = kat_welcome();
    m.u.welcome.holdtime_ms = 99;
    expect_refused(&m, CLB_DROP_VALUE);
    m.u.welcome.holdtime_ms = 120001;
    expect_refused(&m, CLB_DROP_VALUE);
    m = kat_welcome();
    memset(m.u.welcome.nonce, 0, 16); /* WELCOME's nonce is required */
    expect_refused(&m, CLB_DROP_VALUE);

    m = full_refuse();
    m.u.refuse.reason = 0;
    expect_refused(&m, CLB_DROP_VALUE);
    m = full_refuse();
    m.u.refuse.text[3] = '\n';
    expect_refused(&m, CLB_DROP_VALUE);
    m = full_refuse();
    memset(m.u.refuse.text, 'x', sizeof m.u.refuse.text);
    expect_refused(&m, CLB_DROP_VALUE);
    m = make_bye(0, "x");
    expect_refused(&m, CLB_DROP_VALUE);
}

/* ---- decode: every rejection ---- */

static void test_decode_truncated_and_length(void **state)
{
    (void)state;
    struct clb_auth_state mem;
    member_state(&mem, KEY);
    uint8_t signed_hello[256];
    struct clb_msg m = kat_hello();
    size_t sn = clb_seal(&mem, &m, signed_hello, sizeof signed_hello);
    assert_int_not_equal(sn, 0);

    const struct {
        const uint8_t *b;
        size_t n;
    } frames[] = {{KAT_HELLO, sizeof KAT_HELLO},
                  {KAT_LOAD, sizeof KAT_LOAD},
                  {KAT_WELCOME_SIGNED, sizeof KAT_WELCOME_SIGNED},
                  {signed_hello, sn}};
    for (size_t f = 0; f < N_ELEM(frames); f++) {
        /* A copy of exactly k bytes on the heap, so that ASan sees any read past it. */
        for (size_t k = 0; k < frames[f].n; k++) {
            uint8_t *p = malloc(k ? k : 1);
            assert_non_null(p);
            memcpy(p, frames[f].b, k);
            expect_drop(p, k, CLB_DROP_SHORT);
            assert_int_equal(clb_frame_check(p, k), CLB_DROP_SHORT);
            free(p);
        }
        uint8_t longer[300];
        memcpy(longer, frames[f].b, frames[f].n);
        longer[frames[f].n] = 0;
        expect_drop(longer, frames[f].n + 1, CLB_DROP_LENGTH);
    }

    uint8_t b[sizeof KAT_HELLO];
    memcpy(b, KAT_HELLO, sizeof b);
    for (int i = 0; i < 2; i++) {
        memcpy(b, KAT_HELLO, sizeof b);
        b[i] ^= 0x01;
        expect_drop(b, sizeof b, CLB_DROP_MAGIC);
    }
    static const uint16_t bad_len[] = {0, 1, 7, 4097, 0xffff};
    for (size_t i = 0; i < N_ELEM(bad_len); i++) {
        memcpy(b, KAT_HELLO, sizeof b);
        b[6] = (uint8_t)(bad_len[i] >> 8);
        b[7] = (uint8_t)bad_len[i];
        expect_drop(b, sizeof b, CLB_DROP_LENGTH);
    }
    /* A length field smaller than the buffer but valid: bytes after the frame. */
    memcpy(b, KAT_HELLO, sizeof b);
    b[7] = 0x41;
    expect_drop(b, sizeof b, CLB_DROP_LENGTH);
}

static void test_decode_version_and_type(void **state)
{
    (void)state;
    uint8_t b[sizeof KAT_HELLO];
    struct clb_msg m;
    static const uint8_t bad_version[] = {0, 2, 255};
    for (size_t i = 0; i < N_ELEM(bad_version); i++) {
        memcpy(b, KAT_HELLO, sizeof b);
        b[2] = bad_version[i];
        assert_int_equal(clb_decode(b, sizeof b, &m, NULL), CLB_DROP_VERSION);
        /* The engine answers REFUSE: it needs to know what the peer said. */
        assert_int_equal(m.version, bad_version[i]);
        assert_int_equal(m.type, CLB_HELLO);
        /* The structure is version-independent (§4.2): a MAC could be checked. */
        assert_int_equal(clb_frame_check(b, sizeof b), CLB_DROP_NONE);
    }
    static const uint8_t bad_type[] = {0, 7, 100, 255};
    for (size_t i = 0; i < N_ELEM(bad_type); i++) {
        memcpy(b, KAT_HELLO, sizeof b);
        b[3] = bad_type[i];
        assert_int_equal(clb_decode(b, sizeof b, &m, NULL), CLB_DROP_TYPE);
        assert_int_equal(m.type, bad_type[i]);
        assert_string_equal(clb_type_name(bad_type[i]), "unknown");
    }
    /* A version the header cannot have is reported before an unknown type. */
    memcpy(b, KAT_HELLO, sizeof b);
    b[2] = 9;
    b[3] = 99;
    expect_drop(b, sizeof b, CLB_DROP_VERSION);
    /* Reserved flag bits are ignored (§4.2). */
    memcpy(b, KAT_HELLO, sizeof b);
    b[4] = 0xff;
    b[5] = 0xfe;
    dec_ok(b, sizeof b, &m, NULL);
    struct clb_msg want = kat_hello();
    assert_memory_equal(&m, &want, sizeof m);
}

static void test_decode_unknown_and_critical_tlvs(void **state)
{
    (void)state;
    struct fb f;
    struct clb_msg m, want;
    clb_msg_init(&want, CLB_HELLO);
    memcpy(want.u.hello.member_id, "\1\2\3\4\5\6\7\10", 8);
    want.u.hello.priority = 50;
    want.u.hello.redirect.len = 4;
    memcpy(want.u.hello.redirect.b, "\12\12\12\1", 4);
    struct clb_decode_info info;

    /* Unknown TLVs (also twice, also empty), and a known one HELLO does not define: skipped. */
    fb_start(&f, 1, CLB_HELLO, 0);
    fb_tlv(&f, 100, "abc", 3);
    fb_hello_body(&f);
    fb_tlv(&f, 100, "abc", 3);
    fb_tlv(&f, 0x7fff, NULL, 0);
    fb_u32(&f, CLB_TLV_HOLDTIME, 3000);
    fb_u32(&f, CLB_TLV_HOLDTIME, 0); /* not HELLO's: neither checked nor a duplicate */
    dec_ok(f.b, fb_end(&f), &m, &info);
    assert_memory_equal(&m, &want, sizeof m);
    assert_int_equal(info.skipped_tlvs, 5);
    assert_int_equal(info.skipped_bytes, 7 + 7 + 4 + 8 + 8);

    /* A critical type is never skipped, be it "0x8000 | a known type" (§4.4). */
    static const uint16_t crit[] = {0x8000, 0x8001, 0x8064, 0xffff};
    for (size_t i = 0; i < N_ELEM(crit); i++) {
        fb_start(&f, 1, CLB_HELLO, 0);
        fb_hello_body(&f);
        fb_tlv(&f, crit[i], "\1", 1);
        expect_drop(f.b, fb_end(&f), CLB_DROP_TLV_CRITICAL);
        /* ... in any message, known or not. */
        f.b[3] = 99;
        assert_int_equal(clb_frame_check(f.b, f.n), CLB_DROP_TLV_CRITICAL);
    }

    /* TLVs in any order (here reversed) decode the same. */
    fb_start(&f, 1, CLB_HELLO, 0);
    fb_tlv(&f, CLB_TLV_REDIRECT_ADDR, "\12\12\12\1", 4);
    fb_tlv(&f, CLB_TLV_NONCE, NM, 16);
    fb_u8(&f, CLB_TLV_PRIORITY, 50);
    fb_tlv(&f, CLB_TLV_VERSIONS, "\1\1", 2);
    fb_tlv(&f, CLB_TLV_HOSTNAME, "GW1", 3);
    fb_tlv(&f, CLB_TLV_MEMBER_ID, "\1\2\3\4\5\6\7\10", 8);
    dec_ok(f.b, fb_end(&f), &m, NULL);
    want = kat_hello();
    assert_memory_equal(&m, &want, sizeof m);

    /* The largest frame: an ACK of exactly 4096 bytes carrying one unknown TLV. */
    static uint8_t big[CLB_FRAME_MAX];
    fb_start(&f, 1, CLB_ACK, 0);
    fb_tlv(&f, 77, big, CLB_FRAME_MAX - CLB_HDR_LEN - CLB_TLV_HDR_LEN);
    assert_int_equal(fb_end(&f), CLB_FRAME_MAX);
    dec_ok(f.b, f.n, &m, &info);
    assert_int_equal(m.type, CLB_ACK);
    assert_int_equal(info.skipped_tlvs, 1);
}

static void test_decode_tlv_structure(void **state)
{
    (void)state;
    struct fb f;
    /* A value running past the end. */
    fb_start(&f, 1, CLB_HELLO, 0);
    fb_hello_body(&f);
    fb_tlv(&f, 100, "abcd", 4);
    f.b[f.n - 5] = 5; /* its length says 5 */
    expect_drop(f.b, fb_end(&f), CLB_DROP_TLV);
    /* 1-3 stray bytes after the last TLV: an incomplete TLV header. */
    for (int extra = 1; extra <= 3; extra++) {
        fb_start(&f, 1, CLB_HELLO, 0);
        fb_hello_body(&f);
        f.n += (size_t)extra;
        expect_drop(f.b, fb_end(&f), CLB_DROP_TLV);
    }
    /* Duplicates of every HELLO TLV. */
    static const uint16_t dup_types[] = {CLB_TLV_MEMBER_ID, CLB_TLV_PRIORITY,
                                         CLB_TLV_REDIRECT_ADDR};
    for (size_t i = 0; i < N_ELEM(dup_types); i++) {
        fb_start(&f, 1, CLB_HELLO, 0);
        fb_hello_body(&f);
        if (dup_types[i] == CLB_TLV_MEMBER_ID) fb_tlv(&f, CLB_TLV_MEMBER_ID, "12345678", 8);
        if (dup_types[i] == CLB_TLV_PRIORITY) fb_u8(&f, CLB_TLV_PRIORITY, 50);
        if (dup_types[i] == CLB_TLV_REDIRECT_ADDR) fb_tlv(&f, CLB_TLV_REDIRECT_ADDR, "\1\1\1\1", 4);
        expect_drop(f.b, fb_end(&f), CLB_DROP_TLV_DUP);
    }
    fb_start(&f, 1, CLB_HELLO, 0);
    fb_hello_body(&f);
    fb_tlv(&f, CLB_TLV_NONCE, NM, 16);
    fb_tlv(&f, CLB_TLV_NONCE, NS, 16);
    expect_drop(f.b, fb_end(&f), CLB_DROP_TLV_DUP);
}

/* One TLV of a given type and value length added to an otherwise valid message. */
static void expect_tlv_len(uint8_t type_msg, uint16_t tlv, size_t len)
{
    struct fb f;
    static const uint8_t ones[200] = {[0 ... 199] = 0x31};
    fb_start(&f, 1, type_msg, 0);
    if (type_msg == CLB_HELLO) {
        if (tlv != CLB_TLV_MEMBER_ID) fb_tlv(&f, CLB_TLV_MEMBER_ID, "12345678", 8);
        if (tlv != CLB_TLV_PRIORITY) fb_u8(&f, CLB_TLV_PRIORITY, 1);
        if (tlv != CLB_TLV_REDIRECT_ADDR) fb_tlv(&f, CLB_TLV_REDIRECT_ADDR, "\1\1\1\1", 4);
    }
    if (type_msg == CLB_BYE && tlv != CLB_TLV_REASON) fb_u16(&f, CLB_TLV_REASON, 1);
    fb_tlv(&f, tlv, ones, len);
    size_t n = fb_end(&f);
    struct clb_msg m;
    enum clb_drop r = clb_decode(f.b, n, &m, NULL);
    if (r != CLB_DROP_TLV_LEN)
        fail_msg("type %s TLV %u length %zu: '%s'", clb_type_name(type_msg), tlv, len,
                 clb_drop_name(r));
}

static void test_decode_tlv_lengths(void **state)
{
    (void)state;
    /* Every fixed-size TLV one byte short and one byte long; variable ones outside range. */
    const struct {
        uint8_t msg;
        uint16_t tlv;
        size_t good;
    } fixed[] = {
        {CLB_HELLO, CLB_TLV_MEMBER_ID, 8},  {CLB_HELLO, CLB_TLV_VERSIONS, 2},
        {CLB_HELLO, CLB_TLV_NONCE, 16},     {CLB_HELLO, CLB_TLV_PRIORITY, 1},
        {CLB_WELCOME, CLB_TLV_HOLDTIME, 4}, {CLB_BYE, CLB_TLV_REASON, 2},
        {CLB_LOAD, CLB_TLV_MEM_PERCENT, 2}, {CLB_LOAD, CLB_TLV_MEM_USED, 8},
        {CLB_LOAD, CLB_TLV_CPU_5S, 2},      {CLB_LOAD, CLB_TLV_SESSIONS, 4},
        {CLB_LOAD, CLB_TLV_IPSEC_SAS, 4},   {CLB_LOAD, CLB_TLV_NEGOTIATING, 4},
        {CLB_LOAD, CLB_TLV_MAX_SESSION, 4}, {CLB_LOAD, CLB_TLV_CAC_MAX_SA, 4},
        {CLB_LOAD, CLB_TLV_CAC_MAX_NEG, 4},
    };
    for (size_t i = 0; i < N_ELEM(fixed); i++) {
        expect_tlv_len(fixed[i].msg, fixed[i].tlv, fixed[i].good - 1);
        expect_tlv_len(fixed[i].msg, fixed[i].tlv, fixed[i].good + 1);
        expect_tlv_len(fixed[i].msg, fixed[i].tlv, 0);
    }
    static const size_t bad_addr[] = {0, 3, 5, 6, 15, 17};
    for (size_t i = 0; i < N_ELEM(bad_addr); i++)
        expect_tlv_len(CLB_HELLO, CLB_TLV_REDIRECT_ADDR, bad_addr[i]);
    expect_tlv_len(CLB_HELLO, CLB_TLV_HOSTNAME, 0);
    expect_tlv_len(CLB_HELLO, CLB_TLV_HOSTNAME, CLB_HOSTNAME_MAX + 1);
    expect_tlv_len(CLB_BYE, CLB_TLV_TEXT, 0);
    expect_tlv_len(CLB_BYE, CLB_TLV_TEXT, CLB_TEXT_MAX + 1);
}

/* The KAT LOAD with TLV number `skip` (0-10) left out, or with one value replaced. */
static size_t load_frame(struct fb *f, int skip, uint16_t repl_type, const void *repl,
                         size_t repl_len)
{
    struct {
        uint16_t t;
        const char *v;
        size_t l;
    } tl[] = {
        {CLB_TLV_PRIORITY, "\x32", 1},          {CLB_TLV_REDIRECT_ADDR, "\12\12\12\2", 4},
        {CLB_TLV_MEM_PERCENT, "\x0e\x8d", 2},   {CLB_TLV_MEM_USED, "\0\0\0\0\x60\0\0\0", 8},
        {CLB_TLV_CPU_5S, "\x04\xe2", 2},        {CLB_TLV_SESSIONS, "\0\0\0\x78", 4},
        {CLB_TLV_IPSEC_SAS, "\0\0\0\xf0", 4},   {CLB_TLV_NEGOTIATING, "\0\0\0\3", 4},
        {CLB_TLV_MAX_SESSION, "\0\0\3\xe8", 4}, {CLB_TLV_CAC_MAX_SA, "\0\0\0\0", 4},
        {CLB_TLV_CAC_MAX_NEG, "\0\0\0\x32", 4},
    };
    fb_start(f, 1, CLB_LOAD, 0);
    for (int i = 0; i < (int)N_ELEM(tl); i++) {
        if (i == skip) continue;
        if (tl[i].t == repl_type)
            fb_tlv(f, repl_type, repl, repl_len);
        else
            fb_tlv(f, tl[i].t, tl[i].v, tl[i].l);
    }
    return fb_end(f);
}

static void test_decode_missing_and_values(void **state)
{
    (void)state;
    struct fb f;
    struct clb_msg m, want = kat_load();
    dec_ok(f.b, load_frame(&f, -1, 0, NULL, 0), &m, NULL);
    assert_memory_equal(&m, &want, sizeof m);
    assert_memory_equal(f.b, KAT_LOAD, sizeof KAT_LOAD);
    for (int i = 0; i < 11; i++) expect_drop(f.b, load_frame(&f, i, 0, NULL, 0), CLB_DROP_MISSING);

    /* Required TLVs of the other messages. */
    fb_start(&f, 1, CLB_HELLO, 0);
    fb_u8(&f, CLB_TLV_PRIORITY, 1);
    fb_tlv(&f, CLB_TLV_REDIRECT_ADDR, "\1\1\1\1", 4);
    expect_drop(f.b, fb_end(&f), CLB_DROP_MISSING);
    fb_start(&f, 1, CLB_WELCOME, 0);
    fb_tlv(&f, CLB_TLV_MEMBER_ID, "12345678", 8);
    fb_u32(&f, CLB_TLV_HOLDTIME, 3000);
    expect_drop(f.b, fb_end(&f), CLB_DROP_MISSING); /* no NONCE */
    fb_start(&f, 1, CLB_REFUSE, 0);
    expect_drop(f.b, fb_end(&f), CLB_DROP_MISSING);
    fb_start(&f, 1, CLB_BYE, 0);
    fb_tlv(&f, CLB_TLV_TEXT, "bye", 3);
    expect_drop(f.b, fb_end(&f), CLB_DROP_MISSING);

    /* Values out of range, each TLV that has a range. */
    expect_drop(f.b, load_frame(&f, -1, CLB_TLV_PRIORITY, "\0", 1), CLB_DROP_VALUE);
    expect_drop(f.b, load_frame(&f, -1, CLB_TLV_PRIORITY, "\x65", 1), CLB_DROP_VALUE);
    dec_ok(f.b, load_frame(&f, -1, CLB_TLV_PRIORITY, "\x64", 1), &m, NULL);
    assert_int_equal(m.u.load.priority, 100);
    expect_drop(f.b, load_frame(&f, -1, CLB_TLV_REDIRECT_ADDR, "\0\0\0\0", 4), CLB_DROP_VALUE);
    static const uint8_t zero16[16];
    expect_drop(f.b, load_frame(&f, -1, CLB_TLV_REDIRECT_ADDR, zero16, 16), CLB_DROP_VALUE);
    expect_drop(f.b, load_frame(&f, -1, CLB_TLV_MEM_PERCENT, "\x27\x11", 2), CLB_DROP_VALUE);
    dec_ok(f.b, load_frame(&f, -1, CLB_TLV_MEM_PERCENT, "\x27\x10", 2), &m, NULL);
    assert_int_equal(m.u.load.mem_pct100, 10000);
    expect_drop(f.b, load_frame(&f, -1, CLB_TLV_CPU_5S, "\xff\xff", 2), CLB_DROP_VALUE);
    expect_drop(f.b, load_frame(&f, -1, CLB_TLV_MAX_SESSION, "\0\0\0\0", 4), CLB_DROP_VALUE);
    expect_drop(f.b, load_frame(&f, -1, CLB_TLV_MAX_SESSION, "\0\1\x86\xa1", 4), CLB_DROP_VALUE);
    dec_ok(f.b, load_frame(&f, -1, CLB_TLV_MAX_SESSION, "\0\1\x86\xa0", 4), &m, NULL);
    assert_int_equal(m.u.load.max_session, 100000);

    fb_start(&f, 1, CLB_WELCOME, 0);
    fb_tlv(&f, CLB_TLV_MEMBER_ID, "12345678", 8);
    fb_tlv(&f, CLB_TLV_NONCE, NS, 16);
    fb_u32(&f, CLB_TLV_HOLDTIME, 99);
    expect_drop(f.b, fb_end(&f), CLB_DROP_VALUE);
    f.b[f.n - 1] = 100;
    dec_ok(f.b, f.n, &m, NULL);
    assert_int_equal(m.u.welcome.holdtime_ms, 100);
    f.b[f.n - 4] = 0x01; /* 0x01000064 */
    expect_drop(f.b, f.n, CLB_DROP_VALUE);

    fb_start(&f, 1, CLB_WELCOME, 0);
    fb_tlv(&f, CLB_TLV_MEMBER_ID, "12345678", 8);
    fb_tlv(&f, CLB_TLV_NONCE, zero16, 16);
    fb_u32(&f, CLB_TLV_HOLDTIME, 3000);
    expect_drop(f.b, fb_end(&f), CLB_DROP_VALUE);

    static const char *const bad_versions[] = {"\0\1", "\2\1", "\0\0"};
    for (size_t i = 0; i < N_ELEM(bad_versions); i++) {
        fb_start(&f, 1, CLB_HELLO, 0);
        fb_hello_body(&f);
        fb_tlv(&f, CLB_TLV_VERSIONS, bad_versions[i], 2);
        expect_drop(f.b, fb_end(&f), CLB_DROP_VALUE);
    }
    static const char *const bad_host[] = {"a b", "\x7f", "tab\t", "\x20", "\x80x"};
    for (size_t i = 0; i < N_ELEM(bad_host); i++) {
        fb_start(&f, 1, CLB_HELLO, 0);
        fb_hello_body(&f);
        fb_tlv(&f, CLB_TLV_HOSTNAME, bad_host[i], strlen(bad_host[i]));
        expect_drop(f.b, fb_end(&f), CLB_DROP_VALUE);
    }
    fb_start(&f, 1, CLB_HELLO, 0);
    fb_hello_body(&f);
    fb_tlv(&f, CLB_TLV_HOSTNAME, "a\0b", 3); /* an embedded NUL is not printable */
    expect_drop(f.b, fb_end(&f), CLB_DROP_VALUE);

    fb_start(&f, 1, CLB_BYE, 0);
    fb_u16(&f, CLB_TLV_REASON, 0);
    expect_drop(f.b, fb_end(&f), CLB_DROP_VALUE);
    fb_start(&f, 1, CLB_BYE, 0);
    fb_u16(&f, CLB_TLV_REASON, 4242);
    fb_tlv(&f, CLB_TLV_TEXT, "line\n", 5);
    expect_drop(f.b, fb_end(&f), CLB_DROP_VALUE);
    f.b[f.n - 1] = ' ';
    dec_ok(f.b, f.n, &m, NULL);
    assert_int_equal(m.u.bye.reason, 4242);
    assert_string_equal(m.u.bye.text, "line ");
    assert_string_equal(clb_reason_name(4242), "unknown");
}

static void test_decode_auth_placement(void **state)
{
    (void)state;
    struct fb f;
    uint8_t auth[40] = {0};
    auth[7] = 1;
    struct clb_msg m;
    struct clb_decode_info info;

    /* Well placed: decodes (the MAC is clb_verify's business), seq reported. */
    fb_start(&f, 1, CLB_HELLO, CLB_FLAG_AUTH);
    fb_hello_body(&f);
    fb_tlv(&f, CLB_TLV_AUTH, auth, 40);
    dec_ok(f.b, fb_end(&f), &m, &info);
    assert_true(info.has_auth);
    assert_int_equal(info.seq, 1);
    assert_int_equal(info.skipped_tlvs, 0);

    /* The flag without the TLV, the TLV without the flag. */
    f.b[5] = 0;
    expect_drop(f.b, f.n, CLB_DROP_AUTH_FORMAT);
    fb_start(&f, 1, CLB_HELLO, CLB_FLAG_AUTH);
    fb_hello_body(&f);
    expect_drop(f.b, fb_end(&f), CLB_DROP_AUTH_FORMAT);
    /* Not last. */
    fb_start(&f, 1, CLB_HELLO, CLB_FLAG_AUTH);
    fb_tlv(&f, CLB_TLV_AUTH, auth, 40);
    fb_hello_body(&f);
    expect_drop(f.b, fb_end(&f), CLB_DROP_AUTH_FORMAT);
    /* Twice. */
    fb_start(&f, 1, CLB_HELLO, CLB_FLAG_AUTH);
    fb_hello_body(&f);
    fb_tlv(&f, CLB_TLV_AUTH, auth, 40);
    fb_tlv(&f, CLB_TLV_AUTH, auth, 40);
    expect_drop(f.b, fb_end(&f), CLB_DROP_AUTH_FORMAT);
    /* Wrong length, last. */
    static const size_t bad[] = {0, 8, 32, 39, 41, 72};
    for (size_t i = 0; i < N_ELEM(bad); i++) {
        uint8_t big[80] = {0};
        fb_start(&f, 1, CLB_HELLO, CLB_FLAG_AUTH);
        fb_hello_body(&f);
        fb_tlv(&f, CLB_TLV_AUTH, big, bad[i]);
        expect_drop(f.b, fb_end(&f), CLB_DROP_AUTH_FORMAT);
    }
    /* AUTH alone: a signed ACK. */
    fb_start(&f, 1, CLB_ACK, CLB_FLAG_AUTH);
    fb_tlv(&f, CLB_TLV_AUTH, auth, 40);
    dec_ok(f.b, fb_end(&f), &m, &info);
    assert_int_equal(f.n, CLB_HDR_LEN + CLB_AUTH_TLV_LEN);
}

/* ---- the reassembler ---- */

struct stream {
    uint8_t b[3 * CLB_FRAME_MAX];
    size_t n;
    size_t ends[16]; /* frame i is b[ends[i-1] .. ends[i]) */
    size_t nframes;
};

static void stream_add(struct stream *s, const uint8_t *f, size_t n)
{
    memcpy(s->b + s->n, f, n);
    s->n += n;
    s->ends[s->nframes++] = s->n;
}

static void make_stream(struct stream *s)
{
    memset(s, 0, sizeof *s);
    stream_add(s, KAT_HELLO, sizeof KAT_HELLO);
    stream_add(s, KAT_LOAD, sizeof KAT_LOAD);
    static const uint8_t ack[] = {0x43, 0x4c, 0x01, 0x04, 0x00, 0x00, 0x00, 0x08};
    stream_add(s, ack, sizeof ack);
    stream_add(s, KAT_WELCOME_SIGNED, sizeof KAT_WELCOME_SIGNED);
    struct fb f;
    static uint8_t zeros[CLB_FRAME_MAX];
    fb_start(&f, 1, CLB_ACK, 0);
    fb_tlv(&f, 9999, zeros, CLB_FRAME_MAX - 12);
    stream_add(s, f.b, fb_end(&f));
    stream_add(s, ack, sizeof ack);
}

/* Feed s in chunks whose sizes come from sizes[] (cycled) and check the frames come out whole
 * and in order. */
static void feed_chunks(const struct stream *s, const size_t *sizes, size_t nsizes)
{
    struct clb_rx *rx = malloc(sizeof *rx);
    assert_non_null(rx);
    clb_rx_init(rx);
    size_t off = 0, got = 0, k = 0;
    while (off < s->n) {
        size_t c = sizes[k++ % nsizes];
        if (c > s->n - off) c = s->n - off;
        /* Each chunk is its own heap allocation so ASan sees reads past it. */
        uint8_t *chunk = malloc(c ? c : 1);
        assert_non_null(chunk);
        memcpy(chunk, s->b + off, c);
        const uint8_t *p = chunk, *frame;
        size_t n = c, flen;
        enum clb_drop why;
        int r;
        while ((r = clb_rx_next(rx, &p, &n, &frame, &flen, &why)) == 1) {
            assert_true(got < s->nframes);
            size_t start = got ? s->ends[got - 1] : 0;
            assert_int_equal(flen, s->ends[got] - start);
            assert_memory_equal(frame, s->b + start, flen);
            assert_int_equal(why, CLB_DROP_NONE);
            got++;
        }
        assert_int_equal(r, 0);
        assert_int_equal(n, 0);
        assert_int_equal(why, CLB_DROP_NONE);
        off += c;
        free(chunk);
        /* What is buffered is exactly the part of the current frame received so far. */
        size_t start = got ? s->ends[got - 1] : 0;
        assert_int_equal(clb_rx_pending(rx), off - start);
    }
    assert_int_equal(got, s->nframes);
    free(rx);
}

static void test_rx_every_split(void **state)
{
    (void)state;
    struct stream *s = malloc(sizeof *s);
    assert_non_null(s);
    make_stream(s);
    /* All in one chunk (several frames per chunk). */
    size_t all = s->n;
    feed_chunks(s, &all, 1);
    /* Two chunks, split at every byte boundary. */
    for (size_t cut = 1; cut < s->n; cut++) {
        size_t sizes[2] = {cut, s->n - cut};
        feed_chunks(s, sizes, 2);
    }
    /* One byte at a time, and assorted sizes. */
    size_t one = 1;
    feed_chunks(s, &one, 1);
    static const size_t mixed[] = {3, 7, 1, 64, 2, 200, 5, 4096, 13};
    feed_chunks(s, mixed, N_ELEM(mixed));
    free(s);
}

static void expect_rx_error(const uint8_t *b, size_t n, size_t cut, size_t frames_before,
                            enum clb_drop want)
{
    struct clb_rx *rx = malloc(sizeof *rx);
    assert_non_null(rx);
    clb_rx_init(rx);
    size_t got = 0;
    int r = 0;
    enum clb_drop why = CLB_DROP_NONE;
    size_t parts[2][2] = {{0, cut}, {cut, n - cut}};
    for (int i = 0; i < 2 && r >= 0; i++) {
        const uint8_t *p = b + parts[i][0], *frame;
        size_t len = parts[i][1], flen;
        while ((r = clb_rx_next(rx, &p, &len, &frame, &flen, &why)) == 1) got++;
    }
    assert_int_equal(r, -1);
    assert_int_equal(why, want);
    assert_int_equal(got, frames_before);
    /* Sticky. */
    const uint8_t *p = KAT_HELLO, *frame;
    size_t len = sizeof KAT_HELLO, flen;
    assert_int_equal(clb_rx_next(rx, &p, &len, &frame, &flen, &why), -1);
    assert_int_equal(why, want);
    assert_int_equal(clb_rx_next(rx, &p, &len, &frame, &flen, NULL), -1);
    free(rx);
}

static void test_rx_errors(void **state)
{
    (void)state;
    uint8_t b[2 * sizeof KAT_HELLO];
    /* Bad magic in the first frame, then in the second, split everywhere. */
    memcpy(b, KAT_HELLO, sizeof KAT_HELLO);
    memcpy(b + sizeof KAT_HELLO, KAT_HELLO, sizeof KAT_HELLO);
    b[0] = 0x16; /* a TLS ClientHello, say */
    for (size_t cut = 0; cut <= sizeof b; cut++)
        expect_rx_error(b, sizeof b, cut, 0, CLB_DROP_MAGIC);
    b[0] = 0x43;
    b[sizeof KAT_HELLO + 1] = 0x00;
    for (size_t cut = 0; cut <= sizeof b; cut++)
        expect_rx_error(b, sizeof b, cut, 1, CLB_DROP_MAGIC);

    /* Length fields out of range. */
    static const uint16_t bad_len[] = {0, 7, 4097, 0xffff};
    for (size_t i = 0; i < N_ELEM(bad_len); i++) {
        memcpy(b, KAT_HELLO, sizeof KAT_HELLO);
        b[6] = (uint8_t)(bad_len[i] >> 8);
        b[7] = (uint8_t)bad_len[i];
        for (size_t cut = 0; cut <= sizeof KAT_HELLO; cut++)
            expect_rx_error(b, sizeof KAT_HELLO, cut, 0, CLB_DROP_LENGTH);
    }

    /* The magic is judged after two bytes: one good byte is not an error yet. */
    struct clb_rx rx;
    clb_rx_init(&rx);
    const uint8_t *p = (const uint8_t *)"C", *frame;
    size_t n = 1, flen;
    enum clb_drop why;
    assert_int_equal(clb_rx_next(&rx, &p, &n, &frame, &flen, &why), 0);
    assert_int_equal(clb_rx_pending(&rx), 1);
    p = (const uint8_t *)"X";
    n = 1;
    assert_int_equal(clb_rx_next(&rx, &p, &n, &frame, &flen, &why), -1);
    assert_int_equal(why, CLB_DROP_MAGIC);

    /* Nothing in, nothing out. */
    clb_rx_init(&rx);
    p = NULL;
    n = 0;
    assert_int_equal(clb_rx_next(&rx, &p, &n, &frame, &flen, &why), 0);
    assert_int_equal(clb_rx_pending(&rx), 0);

    /* A frame the reassembler delimits but decode refuses (an unknown version) does not stop the
     * stream: framing is version-independent. */
    memcpy(b, KAT_HELLO, sizeof KAT_HELLO);
    b[2] = 7;
    memcpy(b + sizeof KAT_HELLO, KAT_HELLO, sizeof KAT_HELLO);
    clb_rx_init(&rx);
    p = b;
    n = sizeof b;
    assert_int_equal(clb_rx_next(&rx, &p, &n, &frame, &flen, &why), 1);
    expect_drop(frame, flen, CLB_DROP_VERSION);
    assert_int_equal(clb_rx_next(&rx, &p, &n, &frame, &flen, &why), 1);
    struct clb_msg m;
    dec_ok(frame, flen, &m, NULL);
    assert_int_equal(n, 0);
    assert_int_equal(clb_rx_next(&rx, &p, &n, &frame, &flen, &why), 0);
}

/* ---- authentication ---- */

/* A joined keyed connection: the member's first HELLO and the master's WELCOME exchanged. */
static void handshake(struct clb_auth_state *mem, struct clb_auth_state *mas, const char *key)
{
    uint8_t buf[256];
    member_state(mem, key);
    master_state(mas, key);
    struct clb_msg m = kat_hello();
    size_t n = clb_seal(mem, &m, buf, sizeof buf);
    assert_int_not_equal(n, 0);
    assert_int_equal(clb_verify(mas, buf, n), CLB_DROP_NONE);
    m = kat_welcome();
    n = clb_seal(mas, &m, buf, sizeof buf);
    assert_int_not_equal(n, 0);
    assert_int_equal(clb_verify(mem, buf, n), CLB_DROP_NONE);
}

static void test_auth_conversation(void **state)
{
    (void)state;
    struct clb_auth_state mem, mas;
    handshake(&mem, &mas, KEY);
    uint8_t buf[256];
    /* Many frames each way, every type, sequences counting up by one. */
    for (int i = 0; i < 50; i++) {
        struct clb_msg m = kat_load();
        if (i % 2 == 0) {
            m = kat_hello();
            m.u.hello.has_nonce = m.u.hello.has_versions = false; /* later HELLOs: neither */
        }
        size_t n = clb_seal(&mem, &m, buf, sizeof buf);
        assert_int_not_equal(n, 0);
        assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_NONE);
        assert_int_equal(mas.recv_seq, (uint64_t)i + 2);
        clb_msg_init(&m, CLB_ACK);
        n = clb_seal(&mas, &m, buf, sizeof buf);
        assert_int_equal(n, CLB_HDR_LEN + CLB_AUTH_TLV_LEN);
        assert_int_equal(clb_verify(&mem, buf, n), CLB_DROP_NONE);
        assert_int_equal(mem.recv_seq, (uint64_t)i + 2);
    }
    struct clb_msg bye = make_bye(CLB_REASON_SHUTDOWN, "bye");
    size_t n = clb_seal(&mas, &bye, buf, sizeof buf);
    assert_int_equal(clb_verify(&mem, buf, n), CLB_DROP_NONE);
    clb_auth_clear(&mem);
    static const struct clb_auth_state zero;
    assert_memory_equal(&mem, &zero, sizeof zero);
}

static void test_auth_wrong_key_and_mismatch(void **state)
{
    (void)state;
    struct clb_auth_state mem, mas, before;
    uint8_t buf[256];
    struct clb_msg m = kat_hello();

    /* Different keys: the first HELLO fails, and the master's state is unchanged. */
    member_state(&mem, KEY);
    master_state(&mas, "cluster-secreT");
    size_t n = clb_seal(&mem, &m, buf, sizeof buf);
    before = mas;
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_AUTH_MAC);
    assert_memory_equal(&mas, &before, sizeof mas);
    /* A key that is a prefix of the other, and a long key (HMAC hashes keys > 64 bytes). */
    master_state(&mas, "cluster-secre");
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_AUTH_MAC);
    char longkey[CLB_KEY_LEN_MAX + 1];
    memset(longkey, 'k', CLB_KEY_LEN_MAX);
    longkey[CLB_KEY_LEN_MAX] = '\0';
    struct clb_auth_state lmem, lmas;
    member_state(&lmem, longkey);
    master_state(&lmas, longkey);
    n = clb_seal(&lmem, &m, buf, sizeof buf);
    assert_int_equal(clb_verify(&lmas, buf, n), CLB_DROP_NONE);

    /* Key on the master only: unsigned frames are refused. */
    member_state(&mem, NULL);
    master_state(&mas, KEY);
    assert_false(mem.keyed);
    n = clb_seal(&mem, &m, buf, sizeof buf);
    assert_int_equal(n, sizeof KAT_HELLO);
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_AUTH_MISSING);
    /* Key on the member only: signed frames are refused by the unkeyed master. */
    member_state(&mem, KEY);
    master_state(&mas, "");
    assert_false(mas.keyed);
    n = clb_seal(&mem, &m, buf, sizeof buf);
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_AUTH_UNEXPECTED);
    /* Neither: accepted, no sequence kept. */
    member_state(&mem, NULL);
    master_state(&mas, NULL);
    n = clb_seal(&mem, &m, buf, sizeof buf);
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_NONE);
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_NONE);
    assert_int_equal(mas.recv_seq, 0);
    /* Unkeyed, structure is still checked. */
    assert_int_equal(clb_verify(&mas, buf, n - 1), CLB_DROP_SHORT);
}

static void test_auth_every_byte_modified(void **state)
{
    (void)state;
    struct clb_auth_state mem, mas;
    uint8_t buf[256], mod[256];

    /* The first HELLO, and a LOAD after the handshake. */
    for (int phase = 0; phase < 2; phase++) {
        handshake(&mem, &mas, KEY);
        struct clb_auth_state fresh_master;
        master_state(&fresh_master, KEY);
        struct clb_msg m = phase == 0 ? kat_hello() : kat_load();
        struct clb_auth_state signer;
        if (phase == 0)
            member_state(&signer, KEY);
        else
            signer = mem;
        struct clb_auth_state *checker = phase == 0 ? &fresh_master : &mas;
        size_t n = clb_seal(&signer, &m, buf, sizeof buf);
        assert_int_not_equal(n, 0);
        for (size_t i = 0; i < n; i++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(mod, buf, n);
                mod[i] ^= (uint8_t)(1u << bit);
                struct clb_auth_state before = *checker;
                enum clb_drop r = clb_verify(checker, mod, n);
                if (r == CLB_DROP_NONE) fail_msg("byte %zu bit %d modified: accepted", i, bit);
                assert_memory_equal(checker, &before, sizeof before);
            }
        }
        /* Truncated or extended by a byte: refused too. */
        assert_int_not_equal(clb_verify(checker, buf, n - 1), CLB_DROP_NONE);
        memcpy(mod, buf, n);
        mod[n] = 0;
        assert_int_not_equal(clb_verify(checker, mod, n + 1), CLB_DROP_NONE);
        /* And the original still passes once. */
        assert_int_equal(clb_verify(checker, buf, n), CLB_DROP_NONE);
    }
}

static void test_auth_replay(void **state)
{
    (void)state;
    struct clb_auth_state mem, mas;
    handshake(&mem, &mas, KEY);
    uint8_t f1[256], f2[256], f3[256];
    struct clb_msg m = kat_load();
    size_t n1 = clb_seal(&mem, &m, f1, sizeof f1);
    size_t n2 = clb_seal(&mem, &m, f2, sizeof f2);
    size_t n3 = clb_seal(&mem, &m, f3, sizeof f3);
    /* In order, with a gap (f2 lost): accepted. */
    assert_int_equal(clb_verify(&mas, f1, n1), CLB_DROP_NONE);
    assert_int_equal(clb_verify(&mas, f3, n3), CLB_DROP_NONE);
    assert_int_equal(mas.recv_seq, 4);
    /* A replay, and an older sequence. */
    assert_int_equal(clb_verify(&mas, f3, n3), CLB_DROP_AUTH_SEQ);
    assert_int_equal(clb_verify(&mas, f2, n2), CLB_DROP_AUTH_SEQ);
    assert_int_equal(clb_verify(&mas, f1, n1), CLB_DROP_AUTH_SEQ);
    assert_int_equal(mas.recv_seq, 4);
    /* The member's first HELLO replayed on its own connection: once Ns is known it is in the
     * MAC input, so the replay fails. */
    struct clb_auth_state mem2, mas2;
    member_state(&mem2, KEY);
    master_state(&mas2, KEY);
    m = kat_hello();
    n1 = clb_seal(&mem2, &m, f1, sizeof f1);
    assert_int_equal(clb_verify(&mas2, f1, n1), CLB_DROP_NONE);
    assert_int_equal(clb_verify(&mas2, f1, n1), CLB_DROP_AUTH_MAC);
}

static void test_auth_across_connections(void **state)
{
    (void)state;
    uint8_t buf[256];
    /* Connection 1 (nonces NM, NS): record the member's first HELLO and a LOAD. */
    struct clb_auth_state mem1, mas1;
    member_state(&mem1, KEY);
    master_state(&mas1, KEY);
    struct clb_msg m = kat_hello();
    uint8_t hello1[256], load1[256], welcome1[256];
    size_t nh = clb_seal(&mem1, &m, hello1, sizeof hello1);
    assert_int_equal(clb_verify(&mas1, hello1, nh), CLB_DROP_NONE);
    m = kat_welcome();
    size_t nw = clb_seal(&mas1, &m, welcome1, sizeof welcome1);
    assert_int_equal(clb_verify(&mem1, welcome1, nw), CLB_DROP_NONE);
    m = kat_load();
    size_t nl = clb_seal(&mem1, &m, load1, sizeof load1);
    assert_int_equal(clb_verify(&mas1, load1, nl), CLB_DROP_NONE);

    /* Connection 2: the master drew a new nonce. The recorded first HELLO is accepted (§9.5:
     * its MAC cannot cover Ns), but the recorded LOAD, although its sequence (2) is fresh
     * there, is not: the connection never joins. */
    static const uint8_t ns2[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1};
    struct clb_auth_state mas2;
    assert_int_equal(clb_auth_init(&mas2, CLB_ROLE_MASTER, (const uint8_t *)KEY, strlen(KEY), ns2),
                     0);
    assert_int_equal(clb_verify(&mas2, hello1, nh), CLB_DROP_NONE);
    assert_int_equal(clb_verify(&mas2, load1, nl), CLB_DROP_AUTH_MAC);
    assert_int_equal(mas2.recv_seq, 1);

    /* A member's new connection (new Nm): the recorded WELCOME fails. */
    static const uint8_t nm2[16] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 1};
    struct clb_auth_state mem2;
    assert_int_equal(clb_auth_init(&mem2, CLB_ROLE_MEMBER, (const uint8_t *)KEY, strlen(KEY), nm2),
                     0);
    assert_int_equal(clb_verify(&mem2, welcome1, nw), CLB_DROP_AUTH_MAC);
    assert_false(mem2.have_peer_nonce);

    /* Reflection: the member's own frame sent back to it (same nonces, other direction). */
    struct clb_auth_state mem3, mas3;
    handshake(&mem3, &mas3, KEY);
    struct clb_auth_state twin = mem3;
    m = kat_load();
    size_t n = clb_seal(&mem3, &m, buf, sizeof buf);
    assert_int_equal(clb_verify(&twin, buf, n), CLB_DROP_AUTH_MAC);
    /* And a master's frame to a master. */
    struct clb_auth_state mtwin = mas3;
    clb_msg_init(&m, CLB_ACK);
    n = clb_seal(&mas3, &m, buf, sizeof buf);
    assert_int_equal(clb_verify(&mtwin, buf, n), CLB_DROP_AUTH_MAC);
    assert_int_equal(clb_verify(&mem3, buf, n), CLB_DROP_NONE);
}

static void test_auth_nonce_rules(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct clb_auth_state mem, mas;
    member_state(&mem, KEY);
    master_state(&mas, KEY);
    /* A keyed first frame without NONCE cannot be checked. */
    struct clb_msg m = kat_hello();
    m.u.hello.has_nonce = false;
    size_t n = clb_seal(&mem, &m, buf, sizeof buf);
    assert_int_not_equal(n, 0);
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_AUTH_NONCE);
    /* Nor a master's first frame without one (a REFUSE must carry Ns, §5.1). */
    member_state(&mem, KEY);
    master_state(&mas, KEY);
    clb_msg_init(&m, CLB_REFUSE);
    m.u.refuse.reason = CLB_REASON_FULL;
    n = clb_seal(&mas, &m, buf, sizeof buf);
    assert_int_equal(clb_verify(&mem, buf, n), CLB_DROP_AUTH_NONCE);
    /* With it, a REFUSE answering a HELLO verifies. */
    master_state(&mas, KEY);
    m = kat_hello();
    n = clb_seal(&mem, &m, buf, sizeof buf);
    assert_int_equal(clb_verify(&mas, buf, n), CLB_DROP_NONE);
    clb_msg_init(&m, CLB_REFUSE);
    m.u.refuse.reason = CLB_REASON_FULL;
    m.u.refuse.has_nonce = true;
    memcpy(m.u.refuse.nonce, NS, 16);
    n = clb_seal(&mas, &m, buf, sizeof buf);
    assert_int_equal(clb_verify(&mem, buf, n), CLB_DROP_NONE);

    /* Signing a frame whose NONCE is not ours is refused (the peer could not verify it). */
    member_state(&mem, KEY);
    m = kat_hello();
    m.u.hello.nonce[0] ^= 1;
    assert_int_equal(clb_seal(&mem, &m, buf, sizeof buf), 0);
    assert_int_equal(mem.send_seq, 0);
}

static void test_auth_sign_refusals(void **state)
{
    (void)state;
    struct clb_auth_state mem;
    uint8_t buf[CLB_FRAME_MAX + 64], copy[CLB_FRAME_MAX + 64];
    struct clb_msg m = kat_hello();
    size_t n = enc(&m, buf, sizeof buf);

    member_state(&mem, NULL); /* unkeyed: nothing to sign with */
    assert_int_equal(clb_sign(&mem, buf, n, sizeof buf), 0);

    member_state(&mem, KEY);
    memcpy(copy, buf, n);
    /* Not enough room, one byte short; the frame is untouched. */
    assert_int_equal(clb_sign(&mem, buf, n, n + CLB_AUTH_TLV_LEN - 1), 0);
    assert_memory_equal(buf, copy, n);
    assert_int_equal(mem.send_seq, 0);
    /* Not a valid frame. */
    assert_int_equal(clb_sign(&mem, buf, n - 1, sizeof buf), 0);
    /* Already signed. */
    size_t sn = clb_sign(&mem, buf, n, sizeof buf);
    assert_int_equal(sn, n + CLB_AUTH_TLV_LEN);
    assert_int_equal(clb_sign(&mem, buf, sn, sizeof buf), 0);
    assert_int_equal(mem.send_seq, 1);
    /* Sequence exhausted. */
    memcpy(buf, copy, n);
    mem.send_seq = UINT64_MAX;
    assert_int_equal(clb_sign(&mem, buf, n, sizeof buf), 0);
    assert_memory_equal(buf, copy, n);
    /* Beyond CLB_FRAME_MAX once signed. */
    member_state(&mem, KEY);
    struct fb f;
    static uint8_t zeros[CLB_FRAME_MAX];
    fb_start(&f, 1, CLB_ACK, 0);
    fb_tlv(&f, 77, zeros, CLB_FRAME_MAX - 12 - CLB_AUTH_TLV_LEN + 1);
    size_t fn = fb_end(&f);
    assert_int_equal(clb_sign(&mem, f.b, fn, sizeof f.b), 0);
    fb_start(&f, 1, CLB_ACK, 0);
    fb_tlv(&f, 77, zeros, CLB_FRAME_MAX - 12 - CLB_AUTH_TLV_LEN);
    fn = fb_end(&f);
    assert_int_equal(clb_sign(&mem, f.b, fn, sizeof f.b), CLB_FRAME_MAX);

    /* The receiver's sequence bound: equal refused, above accepted. */
    struct clb_auth_state mem2, mas2;
    handshake(&mem2, &mas2, KEY);
    m = kat_load();
    n = clb_seal(&mem2, &m, buf, sizeof buf); /* sequence 2 */
    mas2.recv_seq = 2;
    assert_int_equal(clb_verify(&mas2, buf, n), CLB_DROP_AUTH_SEQ);
    mas2.recv_seq = 1;
    assert_int_equal(clb_verify(&mas2, buf, n), CLB_DROP_NONE);
}

static void test_auth_init_and_nonce(void **state)
{
    (void)state;
    struct clb_auth_state a;
    static const uint8_t zero[16];
    uint8_t key[CLB_KEY_LEN_MAX + 1];
    memset(key, 'k', sizeof key);
    assert_int_equal(clb_auth_init(&a, CLB_ROLE_MEMBER, key, CLB_KEY_LEN_MAX + 1, NM), -1);
    assert_int_equal(clb_auth_init(&a, CLB_ROLE_MEMBER, NULL, 3, NM), -1);
    assert_int_equal(clb_auth_init(&a, CLB_ROLE_MEMBER, key, 4, zero), -1);
    /* A failed init fails closed: nothing signs (the frame is left as it was), nothing
     * verifies. */
    uint8_t buf[256], copy[256];
    struct clb_msg m = kat_load();
    size_t n = enc(&m, buf, sizeof buf);
    memcpy(copy, buf, n);
    assert_int_equal(clb_sign(&a, buf, n, sizeof buf), 0);
    assert_memory_equal(buf, copy, n);
    assert_int_equal(a.send_seq, 0);
    assert_int_equal(clb_verify(&a, KAT_WELCOME_SIGNED, sizeof KAT_WELCOME_SIGNED),
                     CLB_DROP_AUTH_MAC);
    assert_int_equal(clb_verify(&a, buf, n), CLB_DROP_AUTH_MISSING);
    assert_int_equal(clb_auth_init(&a, CLB_ROLE_MEMBER, key, CLB_KEY_LEN_MAX, NM), 0);
    assert_true(a.keyed);

    uint8_t n1[16], n2[16];
    assert_int_equal(clb_nonce_new(n1), 0);
    assert_int_equal(clb_nonce_new(n2), 0);
    assert_memory_not_equal(n1, zero, 16);
    assert_memory_not_equal(n1, n2, 16);
    uint8_t id1[CLB_ID_LEN], id2[CLB_ID_LEN];
    assert_int_equal(clb_id_new(id1), 0);
    assert_int_equal(clb_id_new(id2), 0);
    assert_memory_not_equal(id1, id2, CLB_ID_LEN);
}

/* ---- names and directions ---- */

static void test_names_and_direction(void **state)
{
    (void)state;
    for (int i = 0; i < CLB_DROP_COUNT; i++) {
        const char *a = clb_drop_name((enum clb_drop)i);
        assert_non_null(a);
        assert_true(a[0] != '\0');
        assert_string_not_equal(a, "unknown");
        for (int j = 0; j < i; j++) assert_string_not_equal(a, clb_drop_name((enum clb_drop)j));
    }
    assert_string_equal(clb_drop_name(CLB_DROP_COUNT), "unknown");
    assert_string_equal(clb_drop_name(CLB_DROP_AUTH_MAC), "bad HMAC");
    for (int r = CLB_REASON_AUTH; r <= CLB_REASON_ROLE_CHANGE; r++)
        assert_string_not_equal(clb_reason_name((uint16_t)r), "unknown");
    assert_string_equal(clb_reason_name(0), "unknown");
    for (int t = CLB_HELLO; t <= CLB_BYE; t++)
        assert_string_not_equal(clb_type_name((uint8_t)t), "unknown");

    static const struct {
        uint8_t type;
        enum clb_drop at_master, at_member;
    } dir[] = {
        {CLB_HELLO, CLB_DROP_NONE, CLB_DROP_DIRECTION},
        {CLB_LOAD, CLB_DROP_NONE, CLB_DROP_DIRECTION},
        {CLB_WELCOME, CLB_DROP_DIRECTION, CLB_DROP_NONE},
        {CLB_ACK, CLB_DROP_DIRECTION, CLB_DROP_NONE},
        {CLB_REFUSE, CLB_DROP_DIRECTION, CLB_DROP_NONE},
        {CLB_BYE, CLB_DROP_NONE, CLB_DROP_NONE},
        {0, CLB_DROP_TYPE, CLB_DROP_TYPE},
        {200, CLB_DROP_TYPE, CLB_DROP_TYPE},
    };
    for (size_t i = 0; i < N_ELEM(dir); i++) {
        assert_int_equal(clb_direction_check(CLB_ROLE_MASTER, dir[i].type), dir[i].at_master);
        assert_int_equal(clb_direction_check(CLB_ROLE_MEMBER, dir[i].type), dir[i].at_member);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_round_trip_field_limits),
        cmocka_unit_test(test_kat_hello_load),
        cmocka_unit_test(test_kat_signed),
        cmocka_unit_test(test_encode_refuses_invalid),
        cmocka_unit_test(test_decode_truncated_and_length),
        cmocka_unit_test(test_decode_version_and_type),
        cmocka_unit_test(test_decode_unknown_and_critical_tlvs),
        cmocka_unit_test(test_decode_tlv_structure),
        cmocka_unit_test(test_decode_tlv_lengths),
        cmocka_unit_test(test_decode_missing_and_values),
        cmocka_unit_test(test_decode_auth_placement),
        cmocka_unit_test(test_rx_every_split),
        cmocka_unit_test(test_rx_errors),
        cmocka_unit_test(test_auth_conversation),
        cmocka_unit_test(test_auth_wrong_key_and_mismatch),
        cmocka_unit_test(test_auth_every_byte_modified),
        cmocka_unit_test(test_auth_replay),
        cmocka_unit_test(test_auth_across_connections),
        cmocka_unit_test(test_auth_nonce_rules),
        cmocka_unit_test(test_auth_sign_refusals),
        cmocka_unit_test(test_auth_init_and_nonce),
        cmocka_unit_test(test_names_and_direction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
