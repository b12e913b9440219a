/* Unit tests for hsrp/hsrp_packet.c: exact bytes against REFERENCE §3's tables, round trips of
 * every version/op/state/authentication, keyed MD5 against an independent computation
 * (python3's hashlib, run at test time), the authentication check, and one test per rejection
 * reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsrp/hsrp_packet.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static void auth_text(struct hsrp_auth *a, const char *text)
{
    memset(a, 0, sizeof *a);
    a->kind = HSRP_AUTH_TEXT;
    snprintf(a->text, sizeof a->text, "%s", text);
}

static void auth_md5(struct hsrp_auth *a, const char *key)
{
    memset(a, 0, sizeof *a);
    a->kind = HSRP_AUTH_MD5;
    a->keylen = strlen(key);
    memcpy(a->key, key, a->keylen);
}

static struct hsrp_msg v1_hello(void)
{
    struct hsrp_msg m = {0};
    m.version = 1;
    m.op = HSRP_HELLO;
    m.state = HSRP_ACTIVE;
    m.group = 1;
    m.priority = 100;
    m.hello_ms = 3000;
    m.hold_ms = 10000;
    m.ipver = 4;
    m.vip[0] = 10, m.vip[1] = 0, m.vip[2] = 0, m.vip[3] = 1;
    return m;
}

static struct hsrp_msg v2_hello(void)
{
    struct hsrp_msg m = v1_hello();
    m.version = 2;
    m.group = 50;
    m.priority = 110;
    static const uint8_t ident[6] = {0x60, 0x73, 0x5c, 0x43, 0x63, 0xb7};
    memcpy(m.ident, ident, 6);
    return m;
}

static size_t build(const struct hsrp_msg *m, const struct hsrp_auth *a, uint32_t ip, uint8_t *buf,
                    size_t cap)
{
    size_t n = hsrp_build(m, a, ip, buf, cap);
    if (n == 0) fail_msg("hsrp_build failed (version %d op %d)", m->version, (int)m->op);
    return n;
}

static void expect_drop(const uint8_t *buf, size_t len, enum hsrp_drop want)
{
    struct hsrp_msg m;
    enum hsrp_drop why = HSRP_DROP_NONE;
    int rc = hsrp_parse(buf, len, &m, &why);
    if (rc != -1 || why != want)
        fail_msg("len %zu: rc %d, reason '%s', expected '%s'", len, rc, hsrp_drop_name(why),
                 hsrp_drop_name(want));
}

static void expect_ok(const uint8_t *buf, size_t len, struct hsrp_msg *m)
{
    enum hsrp_drop why = HSRP_DROP_COUNT;
    int rc = hsrp_parse(buf, len, m, &why);
    if (rc != 0 || why != HSRP_DROP_NONE)
        fail_msg("len %zu: rc %d, reason '%s'", len, rc, hsrp_drop_name(why));
}

static void hex(char *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) sprintf(dst + 2 * i, "%02x", src[i]);
    dst[2 * n] = '\0';
}

/* RFC 1828 §2 written again, in Python, from REFERENCE §3's description: MD5(key || pad ||
 * data || key), pad = 0x80, zeros to 56 mod 64, the key's bit length 64-bit little-endian. */
static void py_md5(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
                   uint8_t out[16])
{
    static const char script[] =
        "import hashlib,sys\n"
        "k=bytes.fromhex(sys.argv[1]); d=bytes.fromhex(sys.argv[2]); n=len(k)\n"
        "pad=b\"\\x80\"+bytes((55-n)%64)+(8*n).to_bytes(8,\"little\")\n"
        "assert (n+len(pad))%64==0\n"
        "print(hashlib.md5(k+pad+d+k).hexdigest())\n";
    char *khex = malloc(2 * keylen + 1), *dhex = malloc(2 * len + 1);
    assert_non_null(khex);
    assert_non_null(dhex);
    hex(khex, key, keylen);
    hex(dhex, data, len);
    size_t cap = sizeof script + strlen(khex) + strlen(dhex) + 64;
    char *cmd = malloc(cap);
    assert_non_null(cmd);
    snprintf(cmd, cap, "python3 -c '%s' '%s' '%s'", script, khex, dhex);
    FILE *f = popen(cmd, "r");
    if (!f) fail_msg("cannot run python3");
    char line[64] = "";
    if (!fgets(line, sizeof line, f)) line[0] = '\0';
    int rc = pclose(f);
    free(cmd);
    free(khex);
    free(dhex);
    if (rc != 0 || strlen(line) < 32) fail_msg("python3 md5 failed (status %d): '%s'", rc, line);
    for (int i = 0; i < 16; i++) {
        unsigned v;
        if (sscanf(line + 2 * i, "%2x", &v) != 1) fail_msg("bad python output '%s'", line);
        out[i] = (uint8_t)v;
    }
}

/* The digest bytes a packet must carry, computed by Python over the covered bytes, which are
 * selected here by hand-written offsets (not by the code under test). */
static void py_packet_digest(const uint8_t *pkt, size_t len, int version, const char *key,
                             uint8_t out[16])
{
    uint8_t data[128];
    size_t n;
    if (version == 1) {
        assert_int_equal(len, 50);
        memcpy(data, pkt, 50);
        memset(data + 8, 0, 8);   /* text field */
        memset(data + 34, 0, 16); /* digest: 20 header + 2 TLV header + 12 */
        n = 50;
    } else {
        /* Group State TLV at 0 (42 bytes), MD5 TLV at 42 (30 bytes), as hsrp_build lays out. */
        assert_int_equal(len, 72);
        memcpy(data, pkt, 72);
        memset(data + 42 + 14, 0, 16);
        n = 72;
    }
    py_md5((const uint8_t *)key, strlen(key), data, n, out);
}

/* Sign a v2 packet (Group State at 0, MD5 TLV at 42) again after the test changed it. */
static void resign_v2(uint8_t *pkt, const char *key)
{
    uint8_t d[16];
    py_packet_digest(pkt, 72, 2, key, d);
    memcpy(pkt + 56, d, 16);
}

static void assert_msg_equal(const struct hsrp_msg *a, const struct hsrp_msg *b)
{
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->op, b->op);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->group, b->group);
    assert_int_equal(a->priority, b->priority);
    assert_int_equal(a->hello_ms, b->hello_ms);
    assert_int_equal(a->hold_ms, b->hold_ms);
    assert_int_equal(a->ipver, b->ipver);
    assert_memory_equal(a->vip, b->vip, 16);
    assert_memory_equal(a->ident, b->ident, 6);
    assert_int_equal(a->has_md5, b->has_md5);
    assert_int_equal(a->md5_sender_ip, b->md5_sender_ip);
    assert_int_equal(a->has_text, b->has_text);
    assert_string_equal(a->text, b->text);
    assert_int_equal(a->has_ifstate, b->has_ifstate);
    assert_int_equal(a->active_groups, b->active_groups);
    assert_int_equal(a->passive_groups, b->passive_groups);
    assert_int_equal(a->adv_state, b->adv_state);
    assert_int_equal(a->adv_active, b->adv_active);
    assert_int_equal(a->adv_passive, b->adv_passive);
}

/* ---- names, MACs ---- */

static void test_names(void **state)
{
    (void)state;
    static const char *const st[] = {"Init", "Learn", "Listen", "Speak", "Standby", "Active"};
    for (int s = HSRP_INITIAL; s <= HSRP_ACTIVE; s++)
        assert_string_equal(hsrp_state_name((enum hsrp_state)s), st[s]);
    assert_string_equal(hsrp_state_name((enum hsrp_state)6), "Unknown");
    assert_string_equal(hsrp_state_name((enum hsrp_state) - 1), "Unknown");
    assert_string_equal(hsrp_drop_name(HSRP_DROP_AUTH_MD5), "bad MD5 digest");
    for (int i = 0; i < HSRP_DROP_COUNT; i++) {
        const char *n = hsrp_drop_name((enum hsrp_drop)i);
        assert_non_null(n);
        assert_true(n[0] != '\0' && strlen(n) <= 30);
        for (int j = 0; j < i; j++) assert_string_not_equal(n, hsrp_drop_name((enum hsrp_drop)j));
    }
    assert_string_equal(hsrp_drop_name(HSRP_DROP_COUNT), "unknown");
    struct hsrp_auth a;
    hsrp_auth_default(&a);
    assert_int_equal(a.kind, HSRP_AUTH_TEXT);
    assert_string_equal(a.text, "cisco");
}

static void test_vmac(void **state)
{
    (void)state;
    uint8_t mac[6];
    hsrp_vmac(1, 1, mac);
    assert_memory_equal(mac, ((uint8_t[]){0x00, 0x00, 0x0c, 0x07, 0xac, 0x01}), 6);
    hsrp_vmac(1, 255, mac);
    assert_memory_equal(mac, ((uint8_t[]){0x00, 0x00, 0x0c, 0x07, 0xac, 0xff}), 6);
    hsrp_vmac(2, 50, mac); /* REFERENCE §3's show standby: group 50 -> 0000.0c9f.f032 */
    assert_memory_equal(mac, ((uint8_t[]){0x00, 0x00, 0x0c, 0x9f, 0xf0, 0x32}), 6);
    hsrp_vmac(2, 4095, mac);
    assert_memory_equal(mac, ((uint8_t[]){0x00, 0x00, 0x0c, 0x9f, 0xff, 0xff}), 6);
    hsrp_vmac(2, 0x123, mac);
    assert_memory_equal(mac, ((uint8_t[]){0x00, 0x00, 0x0c, 0x9f, 0xf1, 0x23}), 6);
}

/* ---- exact bytes ---- */

static void test_v1_hello_bytes(void **state)
{
    (void)state;
    /* REFERENCE §3 v1 table: version 0, Hello, Active 16, hello 3 s, hold 10 s, priority 100,
     * group 1, reserved, "cisco" zero-padded, 10.0.0.1. */
    static const uint8_t want[20] = {0,   0,   16,  3, 10, 100, 1,  0, 'c', 'i',
                                     's', 'c', 'o', 0, 0,  0,   10, 0, 0,   1};
    struct hsrp_msg m = v1_hello();
    struct hsrp_auth a;
    hsrp_auth_default(&a);
    uint8_t buf[HSRP_PACKET_MAX];
    size_t n = build(&m, &a, 0, buf, sizeof buf);
    assert_int_equal(n, 20);
    assert_memory_equal(buf, want, 20);

    struct hsrp_msg p;
    expect_ok(want, sizeof want, &p);
    assert_int_equal(p.version, 1);
    assert_int_equal(p.op, HSRP_HELLO);
    assert_int_equal(p.state, HSRP_ACTIVE);
    assert_int_equal(p.hello_ms, 3000);
    assert_int_equal(p.hold_ms, 10000);
    assert_int_equal(p.priority, 100);
    assert_int_equal(p.group, 1);
    assert_int_equal(p.ipver, 4);
    assert_true(p.has_text);
    assert_false(p.has_md5);
    assert_string_equal(p.text, "cisco");
    assert_memory_equal(p.vip, ((uint8_t[16]){10, 0, 0, 1}), 16);
    assert_memory_equal(p.ident, ((uint8_t[6]){0}), 6);
    assert_int_equal(hsrp_auth_check(want, sizeof want, &p, &a), HSRP_DROP_NONE);
}

static void test_v2_hello_bytes(void **state)
{
    (void)state;
    /* REFERENCE §3 v2: Group State TLV then Text TLV. */
    static const uint8_t want[52] = {
        1,    40,   2,    0,    5,    4,    0x00, 0x32, /* Hello, Standby, v4, 50 */
        0x60, 0x73, 0x5c, 0x43, 0x63, 0xb7,             /* identifier */
        0,    0,    0,    110,                          /* priority */
        0,    0,    0x0b, 0xb8,                         /* hello 3000 ms */
        0,    0,    0x27, 0x10,                         /* hold 10000 ms */
        10,   0,    52,   161,  0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, /* VIP */
        3,    8,    'c',  'i',  's',  'c',  'o',  0,    0, 0};
    struct hsrp_msg m = v2_hello();
    m.state = HSRP_STANDBY;
    m.vip[0] = 10, m.vip[1] = 0, m.vip[2] = 52, m.vip[3] = 161;
    struct hsrp_auth a;
    hsrp_auth_default(&a);
    uint8_t buf[HSRP_PACKET_MAX];
    size_t n = build(&m, &a, 0, buf, sizeof buf);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);

    struct hsrp_msg p;
    expect_ok(want, sizeof want, &p);
    struct hsrp_msg wm = m;
    wm.has_text = true;
    memcpy(wm.text, "cisco", 6);
    assert_msg_equal(&p, &wm);
    assert_int_equal(hsrp_auth_check(buf, n, &p, &a), HSRP_DROP_NONE);
}

static void test_v1_md5_bytes(void **state)
{
    (void)state;
    struct hsrp_msg m = v1_hello();
    struct hsrp_auth a;
    auth_md5(&a, "s3cr3tkey");
    uint8_t buf[HSRP_PACKET_MAX];
    size_t n = build(&m, &a, 0x0a000002, buf, sizeof buf);
    assert_int_equal(n, 50);
    static const uint8_t want[34] = {0,  0,  16, 3, 10, 100, 1,  0, 0, 0,
                                     0,  0,  0,  0, 0,  0,   10, 0, 0, 1, /* header, text zero */
                                     4,  28, 1,  0, 0,  0,                /* MD5 TLV, algorithm 1 */
                                     10, 0,  0,  2, 0,  0,   0,  0};      /* sender IP, key ID 0 */
    assert_memory_equal(buf, want, sizeof want);
    uint8_t d[16];
    py_packet_digest(buf, n, 1, "s3cr3tkey", d);
    assert_memory_equal(buf + 34, d, 16);

    struct hsrp_msg p;
    expect_ok(buf, n, &p);
    assert_true(p.has_md5);
    assert_false(p.has_text);
    assert_int_equal(p.md5_sender_ip, 0x0a000002);
    assert_int_equal(p.md5_key_id, 0);
    assert_memory_equal(p.md5_digest, d, 16);
    assert_int_equal(hsrp_auth_check(buf, n, &p, &a), HSRP_DROP_NONE);
}

static void test_v2_md5_bytes(void **state)
{
    (void)state;
    struct hsrp_msg m = v2_hello();
    struct hsrp_auth a;
    auth_md5(&a, "another key with spaces");
    uint8_t buf[HSRP_PACKET_MAX];
    size_t n = build(&m, &a, 0xc0a80101, buf, sizeof buf);
    assert_int_equal(n, 72);
    static const uint8_t want_md5[14] = {4, 28, 1, 0, 0, 0, 192, 168, 1, 1, 0, 0, 0, 0};
    assert_int_equal(buf[0], 1);
    assert_int_equal(buf[1], 40);
    assert_memory_equal(buf + 42, want_md5, sizeof want_md5);
    uint8_t d[16];
    py_packet_digest(buf, n, 2, "another key with spaces", d);
    assert_memory_equal(buf + 56, d, 16);

    struct hsrp_msg p;
    expect_ok(buf, n, &p);
    assert_true(p.has_md5);
    assert_false(p.has_text);
    assert_int_equal(p.md5_sender_ip, 0xc0a80101);
    assert_int_equal(hsrp_auth_check(buf, n, &p, &a), HSRP_DROP_NONE);
}

/* hsrp_md5 itself against Python, key lengths around the 56-byte padding boundary and beyond
 * one block (RFC 1828 §1.1 sets no limit; the key is filled, never hashed). */
static void test_md5_envelope(void **state)
{
    (void)state;
    static const size_t keylens[] = {0, 1, 5, 16, 55, 56, 57, 63, 64, 65, 119, 120, 130};
    static const size_t datalens[] = {0, 50, 72, 200};
    uint8_t key[130], data[200];
    for (size_t i = 0; i < sizeof key; i++) key[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 13 + 1);
    for (size_t k = 0; k < N_ELEM(keylens); k++) {
        size_t d = k % N_ELEM(datalens);
        uint8_t mine[16], theirs[16];
        hsrp_md5(key, keylens[k], data, datalens[d], mine);
        py_md5(key, keylens[k], data, datalens[d], theirs);
        if (memcmp(mine, theirs, 16) != 0) fail_msg("keylen %zu differs", keylens[k]);
    }
}

/* ---- round trips ---- */

static void roundtrip(const struct hsrp_msg *m, const struct hsrp_auth *a, uint32_t ip)
{
    uint8_t buf[HSRP_PACKET_MAX];
    size_t n = build(m, a, ip, buf, sizeof buf);
    struct hsrp_msg p;
    expect_ok(buf, n, &p);
    struct hsrp_msg want = *m;
    want.has_text = a && a->kind == HSRP_AUTH_TEXT;
    if (m->version == 1 && !a) want.has_text = true; /* v1 always has the field: empty */
    memset(want.text, 0, sizeof want.text);
    if (want.has_text && a) snprintf(want.text, sizeof want.text, "%s", a->text);
    want.has_md5 = a && a->kind == HSRP_AUTH_MD5;
    want.md5_sender_ip = want.has_md5 ? ip : 0;
    assert_msg_equal(&p, &want);
    if (a) assert_int_equal(hsrp_auth_check(buf, n, &p, a), HSRP_DROP_NONE);
    /* Every shorter buffer is refused without a write past it. */
    for (size_t cap = 0; cap < n; cap++) assert_int_equal(hsrp_build(m, a, ip, buf, cap), 0);
}

static void test_roundtrip_all(void **state)
{
    (void)state;
    struct hsrp_auth text, text8, md5, md5long;
    auth_text(&text, "cisco");
    auth_text(&text8, "12345678");
    auth_md5(&md5, "k");
    auth_md5(&md5long, "0123456789012345678901234567890123456789012345678901234567890123");
    const struct hsrp_auth *auths[] = {NULL, &text, &text8, &md5, &md5long};
    int count = 0;
    for (int v = 1; v <= 2; v++) {
        for (int op = HSRP_HELLO; op <= HSRP_RESIGN; op++) {
            for (int s = HSRP_INITIAL; s <= HSRP_ACTIVE; s++) {
                for (size_t ai = 0; ai < N_ELEM(auths); ai++) {
                    for (int ipv = 4; ipv <= (v == 2 ? 6 : 4); ipv += 2) {
                        struct hsrp_msg m = v == 1 ? v1_hello() : v2_hello();
                        m.op = (enum hsrp_op)op;
                        m.state = (enum hsrp_state)s;
                        m.ipver = (uint8_t)ipv;
                        if (v == 2) {
                            m.group = (uint16_t)(4095 - s);
                            m.priority = 0xfedcba98u + (uint32_t)s;
                            m.hello_ms = 250;
                            m.hold_ms = 750 + (uint32_t)op;
                        } else {
                            m.group = (uint16_t)(255 - s);
                            m.priority = 255;
                            m.hello_ms = 1000;
                            m.hold_ms = 255000;
                        }
                        if (ipv == 6)
                            for (int i = 0; i < 16; i++) m.vip[i] = (uint8_t)(0xfe - i);
                        roundtrip(&m, auths[ai], 0x01020304u * (uint32_t)(ai + 1));
                        count++;
                    }
                }
            }
        }
    }
    assert_int_equal(count, 3 * 6 * 5 * (1 + 2));
}

static void test_roundtrip_advertise(void **state)
{
    (void)state;
    /* v1 Advertise: 16 bytes (REFERENCE §3). */
    struct hsrp_msg m = {0};
    m.version = 1;
    m.op = HSRP_ADVERTISE;
    m.ipver = 4;
    for (uint8_t st = 1; st <= 3; st++) {
        m.adv_state = st;
        m.adv_active = (uint16_t)(0x1234 + st);
        m.adv_passive = 0xfedc;
        uint8_t buf[HSRP_PACKET_MAX];
        size_t n = build(&m, NULL, 0, buf, sizeof buf);
        assert_int_equal(n, 16);
        static const uint8_t head[6] = {0, 3, 0, 1, 0, 14};
        assert_memory_equal(buf, head, 6);
        assert_int_equal(buf[6], st);
        struct hsrp_msg p;
        expect_ok(buf, n, &p);
        assert_msg_equal(&p, &m);
    }
    /* v2 Interface State alone parses as op ADVERTISE with no group. */
    struct hsrp_msg v2 = {0};
    v2.version = 2;
    v2.op = HSRP_ADVERTISE;
    v2.ipver = 4;
    v2.has_ifstate = true;
    v2.active_groups = 3;
    v2.passive_groups = 4000;
    uint8_t buf[HSRP_PACKET_MAX];
    size_t n = build(&v2, NULL, 0, buf, sizeof buf);
    assert_int_equal(n, 6);
    static const uint8_t want[6] = {2, 4, 0, 3, 0x0f, 0xa0};
    assert_memory_equal(buf, want, 6);
    uint8_t buf2[8];
    assert_int_equal(hsrp_build_ifstate(3, 4000, buf2, sizeof buf2), 6);
    assert_memory_equal(buf2, want, 6);
    assert_int_equal(hsrp_build_ifstate(3, 4000, buf2, 5), 0);
    struct hsrp_msg p;
    expect_ok(buf, n, &p);
    assert_msg_equal(&p, &v2);
    assert_int_equal(p.group, 0);
    assert_int_equal(p.state, HSRP_INITIAL);
    /* It carries no authentication in IOS: passes the check of either kind. */
    struct hsrp_auth a;
    hsrp_auth_default(&a);
    assert_int_equal(hsrp_auth_check(buf, n, &p, &a), HSRP_DROP_NONE);
    auth_md5(&a, "key");
    assert_int_equal(hsrp_auth_check(buf, n, &p, &a), HSRP_DROP_NONE);
    /* With a Group State TLV as well, it is a normal message that also carries the counts. */
    struct hsrp_msg g = v2_hello();
    hsrp_auth_default(&a);
    uint8_t both[HSRP_PACKET_MAX + 6];
    size_t bn = build(&g, &a, 0, both, sizeof both);
    memcpy(both + bn, want, 6);
    expect_ok(both, bn + 6, &p);
    assert_int_equal(p.op, HSRP_HELLO);
    assert_true(p.has_ifstate);
    assert_int_equal(p.passive_groups, 4000);
    assert_int_equal(hsrp_auth_check(both, bn + 6, &p, &a), HSRP_DROP_NONE);
}

static void test_v2_disabled_state(void **state)
{
    (void)state;
    struct hsrp_msg m = v2_hello();
    uint8_t buf[HSRP_PACKET_MAX];
    size_t n = build(&m, NULL, 0, buf, sizeof buf);
    buf[4] = 0; /* Disabled */
    struct hsrp_msg p;
    expect_ok(buf, n, &p);
    assert_int_equal(p.state, HSRP_INITIAL);
    buf[4] = 1; /* Init */
    expect_ok(buf, n, &p);
    assert_int_equal(p.state, HSRP_INITIAL);
    m.state = HSRP_INITIAL; /* built as Init */
    n = build(&m, NULL, 0, buf, sizeof buf);
    assert_int_equal(buf[4], 1);
}

/* ---- authentication ---- */

static void test_auth_text(void **state)
{
    (void)state;
    struct hsrp_auth cisco, other, prefix, md5;
    hsrp_auth_default(&cisco);
    auth_text(&other, "secret");
    auth_text(&prefix, "cisc");
    auth_md5(&md5, "key");
    for (int v = 1; v <= 2; v++) {
        struct hsrp_msg m = v == 1 ? v1_hello() : v2_hello();
        uint8_t buf[HSRP_PACKET_MAX];
        size_t n = build(&m, &cisco, 0, buf, sizeof buf);
        size_t text_off = v == 1 ? 8 : 44;
        struct hsrp_msg p;
        expect_ok(buf, n, &p);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &cisco), HSRP_DROP_NONE);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &other), HSRP_DROP_AUTH_TEXT);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &prefix), HSRP_DROP_AUTH_TEXT);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &md5), HSRP_DROP_AUTH_MISSING);
        assert_int_equal(hsrp_auth_check(buf, n, &p, NULL), HSRP_DROP_AUTH_MISSING);
        /* Exactly 8 bytes, zero-padded: a byte after the NUL fails though text[] is equal. */
        buf[text_off + 7] = 'x';
        expect_ok(buf, n, &p);
        assert_string_equal(p.text, "cisco");
        assert_int_equal(hsrp_auth_check(buf, n, &p, &cisco), HSRP_DROP_AUTH_TEXT);
        /* The other kind in the packet fails as missing. */
        n = build(&m, &md5, 1, buf, sizeof buf);
        expect_ok(buf, n, &p);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &cisco), HSRP_DROP_AUTH_MISSING);
    }
    /* Eight characters: no NUL on the wire. */
    struct hsrp_auth eight;
    auth_text(&eight, "abcdefgh");
    struct hsrp_msg m = v1_hello();
    uint8_t buf[HSRP_PACKET_MAX];
    size_t n = build(&m, &eight, 0, buf, sizeof buf);
    assert_memory_equal(buf + 8, "abcdefgh", 8);
    struct hsrp_msg p;
    expect_ok(buf, n, &p);
    assert_string_equal(p.text, "abcdefgh");
    assert_int_equal(hsrp_auth_check(buf, n, &p, &eight), HSRP_DROP_NONE);
    /* v2 without any authentication TLV. */
    m = v2_hello();
    n = build(&m, NULL, 0, buf, sizeof buf);
    assert_int_equal(n, 42);
    expect_ok(buf, n, &p);
    assert_false(p.has_text);
    assert_int_equal(hsrp_auth_check(buf, n, &p, &cisco), HSRP_DROP_AUTH_MISSING);
    assert_int_equal(hsrp_auth_check(buf, n, &p, &md5), HSRP_DROP_AUTH_MISSING);
    /* The check reports a parse failure of the bytes it is given. */
    assert_int_equal(hsrp_auth_check(buf, 10, &p, &cisco), HSRP_DROP_TLV);
}

static void test_auth_md5_keys(void **state)
{
    (void)state;
    struct hsrp_auth right, wrong, longer, shorter, text, empty, toolong;
    auth_md5(&right, "s3cr3t");
    auth_md5(&wrong, "s3cr3T");
    auth_md5(&longer, "s3cr3tt");
    auth_md5(&shorter, "s3cr3");
    hsrp_auth_default(&text);
    auth_md5(&empty, "");
    auth_md5(&toolong, "x");
    toolong.keylen = 65;
    for (int v = 1; v <= 2; v++) {
        struct hsrp_msg m = v == 1 ? v1_hello() : v2_hello();
        uint8_t buf[HSRP_PACKET_MAX];
        size_t n = build(&m, &right, 0x0a000002, buf, sizeof buf);
        struct hsrp_msg p;
        expect_ok(buf, n, &p);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &right), HSRP_DROP_NONE);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &wrong), HSRP_DROP_AUTH_MD5);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &longer), HSRP_DROP_AUTH_MD5);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &shorter), HSRP_DROP_AUTH_MD5);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &empty), HSRP_DROP_AUTH_MD5);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &toolong), HSRP_DROP_AUTH_MD5);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &text), HSRP_DROP_AUTH_MISSING);
        /* Unusable keys cannot sign either. */
        assert_int_equal(hsrp_build(&m, &empty, 0, buf, sizeof buf), 0);
        assert_int_equal(hsrp_build(&m, &toolong, 0, buf, sizeof buf), 0);
        /* The text-authenticated packet fails an MD5 configuration as missing. */
        n = build(&m, &text, 0, buf, sizeof buf);
        expect_ok(buf, n, &p);
        assert_int_equal(hsrp_auth_check(buf, n, &p, &right), HSRP_DROP_AUTH_MISSING);
    }
}

/* One flipped bit anywhere in the covered bytes fails (as a bad digest, or as a parse error
 * when the bit breaks the structure); outside them nothing changes. */
static void test_auth_md5_bitflips(void **state)
{
    (void)state;
    struct hsrp_auth a;
    auth_md5(&a, "flip");
    for (int v = 1; v <= 2; v++) {
        struct hsrp_msg m = v == 1 ? v1_hello() : v2_hello();
        uint8_t orig[HSRP_PACKET_MAX];
        size_t n = build(&m, &a, 0x0a000002, orig, sizeof orig);
        int digest_fails = 0;
        for (size_t i = 0; i < n; i++) {
            for (int bit = 0; bit < 8; bit++) {
                uint8_t buf[HSRP_PACKET_MAX];
                memcpy(buf, orig, n);
                buf[i] ^= (uint8_t)(1u << bit);
                struct hsrp_msg p;
                enum hsrp_drop why;
                int rc = hsrp_parse(buf, n, &p, &why);
                enum hsrp_drop d = hsrp_auth_check(buf, n, &p, &a);
                bool text_field = v == 1 && i >= 8 && i < 16;
                if (text_field) {
                    /* v1: the text field is zeroed for the digest (REFERENCE §3). */
                    assert_int_equal(rc, 0);
                    assert_int_equal(d, HSRP_DROP_NONE);
                    continue;
                }
                if (d == HSRP_DROP_NONE)
                    fail_msg("v%d: flipping byte %zu bit %d passed", v, i, bit);
                if (rc == 0 && d == HSRP_DROP_AUTH_MD5) {
                    digest_fails++;
                } else if (rc == 0) {
                    /* the MD5 TLV's type turned into an unknown one: skipped, so missing */
                    assert_int_equal(d, HSRP_DROP_AUTH_MISSING);
                    assert_false(p.has_md5);
                } else {
                    assert_int_equal(d, why);
                }
            }
        }
        assert_true(digest_fails > 8 * 30); /* most flips parse and fail on the digest */
    }
}

static void test_auth_md5_v2_vip_junk(void **state)
{
    (void)state;
    struct hsrp_auth a;
    auth_md5(&a, "junk-key");
    struct hsrp_msg m = v2_hello();
    uint8_t buf[HSRP_PACKET_MAX];
    size_t n = build(&m, &a, 0x0a000002, buf, sizeof buf);
    assert_int_equal(n, 72);
    /* Like real IOS: junk after the IPv4 address (Group State offset 26 + 4 .. 42), signed. */
    for (int i = 30; i < 42; i++) buf[i] = (uint8_t)(0xa0 + i);
    resign_v2(buf, "junk-key");
    struct hsrp_msg p;
    expect_ok(buf, n, &p);
    assert_memory_equal(p.vip, ((uint8_t[16]){10, 0, 0, 1}), 16); /* ignored */
    assert_int_equal(hsrp_auth_check(buf, n, &p, &a), HSRP_DROP_NONE);
    /* Covered by the digest: changing any of them after signing fails. */
    for (int i = 30; i < 42; i++) {
        uint8_t c[HSRP_PACKET_MAX];
        memcpy(c, buf, n);
        c[i] ^= 0x55;
        expect_ok(c, n, &p);
        assert_int_equal(hsrp_auth_check(c, n, &p, &a), HSRP_DROP_AUTH_MD5);
    }
    /* Only the Group State and MD5 TLVs are covered: an Interface State TLV appended (or put
     * first) changes nothing. */
    uint8_t ext[HSRP_PACKET_MAX + 6];
    memcpy(ext, buf, n);
    assert_int_equal(hsrp_build_ifstate(1, 2, ext + n, 6), 6);
    expect_ok(ext, n + 6, &p);
    assert_int_equal(hsrp_auth_check(ext, n + 6, &p, &a), HSRP_DROP_NONE);
    assert_int_equal(hsrp_build_ifstate(1, 2, ext, 6), 6);
    memcpy(ext + 6, buf, n);
    expect_ok(ext, n + 6, &p);
    assert_int_equal(hsrp_auth_check(ext, n + 6, &p, &a), HSRP_DROP_NONE);
    /* The MD5 TLV before the Group State TLV: same covered bytes, same digest. */
    uint8_t swapped[72];
    memcpy(swapped, buf + 42, 30);
    memcpy(swapped + 30, buf, 42);
    expect_ok(swapped, 72, &p);
    assert_int_equal(hsrp_auth_check(swapped, 72, &p, &a), HSRP_DROP_NONE);
    /* An algorithm other than 1 is refused even if re-signed. */
    buf[44] = 2;
    resign_v2(buf, "junk-key");
    expect_ok(buf, n, &p);
    assert_int_equal(hsrp_auth_check(buf, n, &p, &a), HSRP_DROP_AUTH_MD5);
}

/* ---- malformed input, one test per reason ---- */

static void test_truncated(void **state)
{
    (void)state;
    struct hsrp_auth text, md5;
    hsrp_auth_default(&text);
    auth_md5(&md5, "trunc");
    const struct hsrp_auth *auths[] = {&text, &md5};
    for (int v = 1; v <= 2; v++) {
        for (size_t ai = 0; ai < N_ELEM(auths); ai++) {
            struct hsrp_msg m = v == 1 ? v1_hello() : v2_hello();
            uint8_t full[HSRP_PACKET_MAX];
            size_t n = build(&m, auths[ai], 1, full, sizeof full);
            for (size_t len = 0; len < n; len++) {
                /* An exact-size heap copy, so that ASan catches any read past the end. */
                uint8_t *b = malloc(len ? len : 1);
                assert_non_null(b);
                memcpy(b, full, len);
                struct hsrp_msg p;
                enum hsrp_drop why = HSRP_DROP_NONE;
                int rc = hsrp_parse(b, len, &p, &why);
                /* Cut right after the v1 header or the v2 Group State TLV: a valid packet
                 * (without authentication, for v2). */
                if ((v == 1 && len == 20) || (v == 2 && len == 42)) {
                    assert_int_equal(rc, 0);
                } else {
                    assert_int_equal(rc, -1);
                    enum hsrp_drop want =
                        len < 2 || (v == 1 && len < 20) ? HSRP_DROP_SHORT : HSRP_DROP_TLV;
                    if (why != want)
                        fail_msg("v%d len %zu: '%s', expected '%s'", v, len, hsrp_drop_name(why),
                                 hsrp_drop_name(want));
                    assert_int_equal(hsrp_auth_check(b, len, &p, auths[ai]), why);
                }
                free(b);
            }
        }
    }
    /* The v1 Advertise too. */
    struct hsrp_msg adv = {.version = 1, .op = HSRP_ADVERTISE, .adv_state = 2};
    uint8_t full[16];
    assert_int_equal(hsrp_build(&adv, NULL, 0, full, sizeof full), 16);
    for (size_t len = 0; len < 16; len++) expect_drop(full, len, HSRP_DROP_SHORT);
    expect_drop(NULL, 0, HSRP_DROP_SHORT);
}

static void test_bad_version(void **state)
{
    (void)state;
    uint8_t buf[HSRP_PACKET_MAX];
    struct hsrp_msg m = v1_hello();
    size_t n = build(&m, NULL, 0, buf, sizeof buf);
    for (int b = 5; b < 256; b++) {
        buf[0] = (uint8_t)b; /* neither version 0 nor a v2 TLV type */
        expect_drop(buf, n, HSRP_DROP_VERSION);
    }
    /* v2 Group State TLV: version field other than 2, IP version other than 4/6. */
    m = v2_hello();
    n = build(&m, NULL, 0, buf, sizeof buf);
    static const uint8_t bad_ver[] = {0, 1, 3, 255};
    for (size_t i = 0; i < N_ELEM(bad_ver); i++) {
        buf[2] = bad_ver[i];
        expect_drop(buf, n, HSRP_DROP_VERSION);
    }
    buf[2] = 2;
    static const uint8_t bad_ip[] = {0, 5, 41, 255};
    for (size_t i = 0; i < N_ELEM(bad_ip); i++) {
        buf[5] = bad_ip[i];
        expect_drop(buf, n, HSRP_DROP_VERSION);
    }
}

static void test_bad_opcode(void **state)
{
    (void)state;
    uint8_t buf[HSRP_PACKET_MAX];
    struct hsrp_msg m = v1_hello();
    size_t n = build(&m, NULL, 0, buf, sizeof buf);
    for (int op = 4; op < 256; op++) {
        buf[1] = (uint8_t)op;
        expect_drop(buf, n, HSRP_DROP_OPCODE);
    }
    m = v2_hello();
    n = build(&m, NULL, 0, buf, sizeof buf);
    for (int op = 3; op < 256; op++) { /* v2 has no Advertise opcode in the Group State */
        buf[3] = (uint8_t)op;
        expect_drop(buf, n, HSRP_DROP_OPCODE);
    }
    /* Building one is refused. */
    m.op = (enum hsrp_op)7;
    assert_int_equal(hsrp_build(&m, NULL, 0, buf, sizeof buf), 0);
}

static void test_bad_state(void **state)
{
    (void)state;
    uint8_t buf[HSRP_PACKET_MAX];
    struct hsrp_msg m = v1_hello(), p;
    size_t n = build(&m, NULL, 0, buf, sizeof buf);
    for (int s = 0; s < 256; s++) {
        buf[2] = (uint8_t)s;
        if (s == 0 || s == 1 || s == 2 || s == 4 || s == 8 || s == 16) {
            expect_ok(buf, n, &p);
        } else {
            expect_drop(buf, n, HSRP_DROP_STATE);
        }
    }
    m = v2_hello();
    n = build(&m, NULL, 0, buf, sizeof buf);
    for (int s = 0; s < 256; s++) {
        buf[4] = (uint8_t)s;
        if (s <= 6) {
            expect_ok(buf, n, &p);
            assert_int_equal(p.state, s == 0 ? HSRP_INITIAL : s - 1);
        } else {
            expect_drop(buf, n, HSRP_DROP_STATE);
        }
    }
    /* v1 Advertise: 1 dormant, 2 passive, 3 active. */
    uint8_t adv[16] = {0, 3, 0, 1, 0, 14, 0};
    expect_drop(adv, 16, HSRP_DROP_STATE);
    adv[6] = 4;
    expect_drop(adv, 16, HSRP_DROP_STATE);
    adv[6] = 3;
    expect_ok(adv, 16, &p);
    m.state = (enum hsrp_state)6;
    assert_int_equal(hsrp_build(&m, NULL, 0, buf, sizeof buf), 0);
}

static void test_bad_tlv(void **state)
{
    (void)state;
    struct hsrp_msg m = v2_hello(), p;
    struct hsrp_auth text;
    hsrp_auth_default(&text);
    uint8_t good[HSRP_PACKET_MAX];
    size_t n = build(&m, &text, 0, good, sizeof good);
    assert_int_equal(n, 52);
    uint8_t buf[128];

    /* Length 0, on the first and on a later TLV, and on an unknown type. */
    memcpy(buf, good, n);
    buf[1] = 0;
    expect_drop(buf, n, HSRP_DROP_TLV);
    memcpy(buf, good, n);
    buf[43] = 0;
    expect_drop(buf, n, HSRP_DROP_TLV);
    memcpy(buf, good, n);
    buf[n] = 9, buf[n + 1] = 0;
    expect_drop(buf, n + 2, HSRP_DROP_TLV);
    /* Overrunning the packet. */
    memcpy(buf, good, n);
    buf[43] = 9;
    expect_drop(buf, n, HSRP_DROP_TLV);
    memcpy(buf, good, n);
    buf[1] = 255;
    expect_drop(buf, n, HSRP_DROP_TLV);
    /* Too short / too long for its type (the rest re-framed so only the length is wrong). */
    static const struct {
        uint8_t type, len;
    } wrong[] = {{1, 39}, {1, 41}, {2, 3}, {2, 5}, {3, 7}, {3, 9}, {4, 27}, {4, 29}};
    for (size_t i = 0; i < N_ELEM(wrong); i++) {
        memcpy(buf, good, 42);
        buf[42] = wrong[i].type, buf[43] = wrong[i].len;
        memset(buf + 44, 0, wrong[i].len);
        if (wrong[i].type == 1) { /* the Group State itself */
            buf[0] = 1, buf[1] = wrong[i].len;
            memcpy(buf + 2, good + 2, 40);
            expect_drop(buf, 2 + wrong[i].len, HSRP_DROP_TLV);
        } else {
            expect_drop(buf, 44 + wrong[i].len, HSRP_DROP_TLV);
        }
    }
    /* A lone trailing byte. */
    memcpy(buf, good, n);
    buf[n] = 3;
    expect_drop(buf, n + 1, HSRP_DROP_TLV);
    /* Two authentication TLVs are ambiguous; so are two Interface State TLVs. */
    memcpy(buf, good, n);
    memcpy(buf + n, good + 42, 10);
    expect_drop(buf, n + 10, HSRP_DROP_TLV);
    struct hsrp_auth md5;
    auth_md5(&md5, "k");
    uint8_t signed_[HSRP_PACKET_MAX];
    size_t sn = build(&m, &md5, 0, signed_, sizeof signed_);
    memcpy(buf, signed_, sn);
    memcpy(buf + sn, good + 42, 10);
    expect_drop(buf, sn + 10, HSRP_DROP_TLV);
    static const uint8_t ifs[6] = {2, 4, 0, 1, 0, 2};
    memcpy(buf, ifs, 6);
    memcpy(buf + 6, ifs, 6);
    expect_drop(buf, 12, HSRP_DROP_TLV);
    /* Unknown types are skipped and counted; later Group State TLVs ignored and counted. */
    memcpy(buf, good, n);
    buf[n] = 200, buf[n + 1] = 3, buf[n + 2] = buf[n + 3] = buf[n + 4] = 0xee;
    memcpy(buf + n + 5, good, 42);
    buf[n + 5 + 5] = 6;   /* another group (IPv6 this time) ... */
    buf[n + 5 + 4] = 200; /* ... with a state that is not validated */
    struct hsrp_parse_info info;
    enum hsrp_drop why;
    assert_int_equal(hsrp_parse_ex(buf, n + 5 + 42, &p, &why, &info), 0);
    assert_int_equal(info.unknown_tlvs, 1);
    assert_int_equal(info.ignored_groups, 1);
    assert_int_equal(p.group, 50);
    assert_int_equal(p.ipver, 4);
    assert_int_equal(hsrp_auth_check(buf, n + 5 + 42, &p, &text), HSRP_DROP_NONE);
    /* v1: after the header only an MD5 TLV (type 4, length 28, exactly 30 bytes). */
    struct hsrp_msg m1 = v1_hello();
    size_t n1 = build(&m1, &md5, 0, buf, sizeof buf);
    assert_int_equal(n1, 50);
    expect_ok(buf, 50, &p);
    buf[50] = 0;
    expect_drop(buf, 51, HSRP_DROP_TLV);
    buf[21] = 27;
    expect_drop(buf, 50, HSRP_DROP_TLV);
    buf[21] = 28, buf[20] = 3;
    expect_drop(buf, 50, HSRP_DROP_TLV);
    expect_drop(buf, 21, HSRP_DROP_TLV);
    /* v1 Advertise: type 1, length 14, exactly 16 bytes. */
    uint8_t adv[17] = {0, 3, 0, 1, 0, 14, 2};
    expect_ok(adv, 16, &p);
    expect_drop(adv, 17, HSRP_DROP_TLV);
    adv[3] = 2;
    expect_drop(adv, 16, HSRP_DROP_TLV);
    adv[3] = 1, adv[5] = 13;
    expect_drop(adv, 16, HSRP_DROP_TLV);
}

static void test_no_group(void **state)
{
    (void)state;
    static const uint8_t text_only[10] = {3, 8, 'c', 'i', 's', 'c', 'o', 0, 0, 0};
    expect_drop(text_only, sizeof text_only, HSRP_DROP_NO_GROUP);
    uint8_t md5_only[30] = {4, 28, 1};
    expect_drop(md5_only, sizeof md5_only, HSRP_DROP_NO_GROUP);
    /* The Interface State TLV alone is not "no group": it is the Advertise. */
    uint8_t ifs_text[16] = {2, 4, 0, 1, 0, 0};
    memcpy(ifs_text + 6, text_only, 10);
    struct hsrp_msg p;
    expect_ok(ifs_text, sizeof ifs_text, &p);
    assert_int_equal(p.op, HSRP_ADVERTISE);
    assert_true(p.has_ifstate && p.has_text);
    struct hsrp_auth a;
    hsrp_auth_default(&a);
    assert_int_equal(hsrp_auth_check(ifs_text, sizeof ifs_text, &p, &a), HSRP_DROP_NONE);
    auth_text(&a, "other");
    assert_int_equal(hsrp_auth_check(ifs_text, sizeof ifs_text, &p, &a), HSRP_DROP_AUTH_TEXT);
    /* With an MD5 TLV but no Group State TLV nothing defines the covered bytes: it fails. */
    uint8_t ifs_md5[36] = {2, 4, 0, 1, 0, 0};
    memcpy(ifs_md5 + 6, md5_only, 30);
    expect_ok(ifs_md5, sizeof ifs_md5, &p);
    assert_true(p.has_md5);
    auth_md5(&a, "key");
    assert_int_equal(hsrp_auth_check(ifs_md5, sizeof ifs_md5, &p, &a), HSRP_DROP_AUTH_MD5);
}

static void test_group_range(void **state)
{
    (void)state;
    uint8_t buf[HSRP_PACKET_MAX];
    struct hsrp_msg m = v1_hello(), p;
    size_t n = build(&m, NULL, 0, buf, sizeof buf);
    for (int g = 0; g < 256; g++) { /* v1: every byte is a valid group */
        buf[6] = (uint8_t)g;
        expect_ok(buf, n, &p);
        assert_int_equal(p.group, g);
    }
    m.group = 256;
    assert_int_equal(hsrp_build(&m, NULL, 0, buf, sizeof buf), 0);
    m = v2_hello();
    m.group = 4095;
    n = build(&m, NULL, 0, buf, sizeof buf);
    expect_ok(buf, n, &p);
    assert_int_equal(p.group, 4095);
    static const uint16_t bad[] = {4096, 0x8000, 0xffff};
    for (size_t i = 0; i < N_ELEM(bad); i++) {
        buf[6] = (uint8_t)(bad[i] >> 8), buf[7] = (uint8_t)bad[i];
        expect_drop(buf, n, HSRP_DROP_GROUP_RANGE);
    }
    m.group = 4096;
    assert_int_equal(hsrp_build(&m, NULL, 0, buf, sizeof buf), 0);
}

static void test_timers(void **state)
{
    (void)state;
    uint8_t buf[HSRP_PACKET_MAX];
    struct hsrp_msg m = v1_hello(), p;
    static const struct {
        uint32_t hello, hold;
        bool ok;
    } v1[] = {{3, 10, true},  {1, 2, true},  {3, 3, false},   {10, 3, false},
              {0, 10, false}, {0, 0, false}, {254, 255, true}};
    for (size_t i = 0; i < N_ELEM(v1); i++) {
        for (int op = HSRP_HELLO; op <= HSRP_RESIGN; op++) {
            m.op = (enum hsrp_op)op;
            m.hello_ms = v1[i].hello * 1000;
            m.hold_ms = v1[i].hold * 1000;
            size_t n = build(&m, NULL, 0, buf, sizeof buf); /* built as asked */
            /* RFC 2281 §5.1: the timers are only meaningful in Hellos. */
            if (v1[i].ok || op != HSRP_HELLO)
                expect_ok(buf, n, &p);
            else
                expect_drop(buf, n, HSRP_DROP_TIMERS);
        }
    }
    m = v2_hello();
    m.hello_ms = 300;
    m.hold_ms = 300;
    size_t n = build(&m, NULL, 0, buf, sizeof buf);
    expect_drop(buf, n, HSRP_DROP_TIMERS);
    m.hold_ms = 301;
    n = build(&m, NULL, 0, buf, sizeof buf);
    expect_ok(buf, n, &p);
    m.hello_ms = 0xffffffffu;
    m.hold_ms = 1;
    n = build(&m, NULL, 0, buf, sizeof buf);
    expect_drop(buf, n, HSRP_DROP_TIMERS);
    /* v1 carries whole seconds up to 255: anything else cannot be built. */
    m = v1_hello();
    m.hello_ms = 1500;
    assert_int_equal(hsrp_build(&m, NULL, 0, buf, sizeof buf), 0);
    m.hello_ms = 3000;
    m.hold_ms = 256000;
    assert_int_equal(hsrp_build(&m, NULL, 0, buf, sizeof buf), 0);
    m.hold_ms = 10000;
    m.priority = 256;
    assert_int_equal(hsrp_build(&m, NULL, 0, buf, sizeof buf), 0);
    m.priority = 100;
    m.version = 3;
    assert_int_equal(hsrp_build(&m, NULL, 0, buf, sizeof buf), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_vmac),
        cmocka_unit_test(test_v1_hello_bytes),
        cmocka_unit_test(test_v2_hello_bytes),
        cmocka_unit_test(test_v1_md5_bytes),
        cmocka_unit_test(test_v2_md5_bytes),
        cmocka_unit_test(test_md5_envelope),
        cmocka_unit_test(test_roundtrip_all),
        cmocka_unit_test(test_roundtrip_advertise),
        cmocka_unit_test(test_v2_disabled_state),
        cmocka_unit_test(test_auth_text),
        cmocka_unit_test(test_auth_md5_keys),
        cmocka_unit_test(test_auth_md5_bitflips),
        cmocka_unit_test(test_auth_md5_v2_vip_junk),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_bad_opcode),
        cmocka_unit_test(test_bad_state),
        cmocka_unit_test(test_bad_tlv),
        cmocka_unit_test(test_no_group),
        cmocka_unit_test(test_group_range),
        cmocka_unit_test(test_timers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
