/* ipsec-xfrm against the real kernel, inside a private network namespace: SPI allocation,
 * policies, batches, the flush of our own state (a foreign policy and SA are left alone),
 * ACQUIRE and EXPIRE events, ESP SAs, xfrm interfaces and their routes; plus the pure parsers
 * on hand-built messages.
 *
 * The host kernel has XFRM but no ESP and no xfrm interfaces: there an ESP SA must come back
 * as -ENOSYS (AEAD) or -EPROTONOSUPPORT (CBC), unchanged, and an xfrm interface as
 * -EOPNOTSUPP. On a kernel with them (Debian's, in a VM) the same tests check the installed
 * SAs through `ip -s xfrm state`, counters with real traffic, soft and hard expiry, and the
 * interface with its route. Which path ran is printed. Skips (printing why) when not root or
 * `ip netns` is unavailable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipsec-xfrm/xfrm.h"
#include "netns_test.h"

#define VETH_A "ikgt-xa"
#define VETH_B "ikgt-xb"
#define REQID_BASE 1000u
#define REQID_COUNT 100u
#define FOREIGN_REQID 7

static struct xfrm *X;

static const char *enter_namespace(void)
{
    const char *why = netns_enter("xfrm");
    if (why) return why;
    if (run("ip link set lo up") != 0) return "cannot bring lo up";
    if (run("ip link add " VETH_A " type veth peer name " VETH_B) != 0)
        return "cannot create a veth pair";
    if (run("ip link set " VETH_A " up && ip link set " VETH_B " up") != 0)
        return "cannot bring the veth pair up";
    if (run("ip addr add 10.0.0.1/24 dev " VETH_A) != 0) return "cannot address " VETH_A;
    /* Destinations behind the peer: traffic to them meets our policies. */
    if (run("ip route add 10.2.0.0/24 via 10.0.0.2 && ip route add 10.3.0.0/24 via 10.0.0.2") != 0)
        return "cannot add routes";
    char err[256];
    X = xfrm_open(REQID_BASE, REQID_COUNT, err, sizeof(err));
    if (!X) {
        static char why_buf[300];
        snprintf(why_buf, sizeof(why_buf), "xfrm_open: %s", err);
        return why_buf;
    }
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    if (!skip_reason) {
        run("ip xfrm state flush; ip xfrm policy flush");
        while (xfrm_events_read(X, NULL, NULL) > 0) continue;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!skip_reason) run("ip xfrm state flush; ip xfrm policy flush");
    return 0;
}

/* ---------------------------------------------------------------- helpers */

static void a4(uint8_t out[16], const char *s)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) != 1) fail_msg("bad address %s", s);
}

static struct xfrm_ts ts4(const char *src, int slen, const char *dst, int dlen)
{
    struct xfrm_ts t;
    memset(&t, 0, sizeof(t));
    t.family = AF_INET;
    a4(t.src, src);
    a4(t.dst, dst);
    t.src_len = (uint8_t)slen;
    t.dst_len = (uint8_t)dlen;
    return t;
}

static struct xfrm_pol_spec pol(enum xfrm_dir dir, const char *src, int slen, const char *dst,
                                int dlen, const char *tsrc, const char *tdst, uint32_t reqid)
{
    struct xfrm_pol_spec p;
    memset(&p, 0, sizeof(p));
    p.sel = ts4(src, slen, dst, dlen);
    p.dir = dir;
    p.priority = 1000;
    p.tun_family = AF_INET;
    a4(p.tun_src, tsrc);
    a4(p.tun_dst, tdst);
    p.mode = XFRM_SA_TUNNEL;
    p.reqid = reqid;
    return p;
}

static struct xfrm_sa_spec sa_gcm(const char *src, const char *dst, uint32_t spi, uint32_t reqid)
{
    struct xfrm_sa_spec s;
    memset(&s, 0, sizeof(s));
    s.family = AF_INET;
    a4(s.src, src);
    a4(s.dst, dst);
    s.spi = spi;
    s.mode = XFRM_SA_TUNNEL;
    s.reqid = reqid;
    s.enc = XFRM_ENC_AES_GCM16;
    s.enc_key_len = 20;
    for (size_t i = 0; i < s.enc_key_len; i++) s.enc_key[i] = (uint8_t)(0x11 + i);
    return s;
}

static struct xfrm_sa_spec sa_cbc(const char *src, const char *dst, uint32_t spi, uint32_t reqid,
                                  enum xfrm_integ integ, size_t integ_len)
{
    struct xfrm_sa_spec s = sa_gcm(src, dst, spi, reqid);
    s.enc = XFRM_ENC_AES_CBC;
    s.enc_key_len = 16;
    s.integ = integ;
    s.integ_key_len = integ_len;
    for (size_t i = 0; i < integ_len; i++) s.integ_key[i] = (uint8_t)(0x80 + i);
    return s;
}

static struct xfrm_sa_id sa_id(const char *dst, uint32_t spi)
{
    struct xfrm_sa_id id;
    memset(&id, 0, sizeof(id));
    id.family = AF_INET;
    a4(id.dst, dst);
    id.spi = spi;
    id.proto = IPPROTO_ESP;
    return id;
}

/* Collecting dumps. */
#define MAXITEMS 512
static struct xfrm_pol_info pols[MAXITEMS];
static int npols;
static struct xfrm_sa_info sas[MAXITEMS];
static int nsas;

static int pol_cb(const struct xfrm_pol_info *p, void *arg)
{
    (void)arg;
    if (npols < MAXITEMS) pols[npols++] = *p;
    return 0;
}

static int sa_cb(const struct xfrm_sa_info *s, void *arg)
{
    (void)arg;
    if (nsas < MAXITEMS) sas[nsas++] = *s;
    return 0;
}

static int dump_policies(void)
{
    npols = 0;
    int rc = xfrm_policy_dump(X, pol_cb, NULL);
    assert_true(rc >= 0);
    assert_int_equal(rc, npols);
    return rc;
}

/* SAs with an SPI (larval ACQUIRE states have none). */
static int dump_sas(void)
{
    nsas = 0;
    int rc = xfrm_sa_dump(X, sa_cb, NULL);
    assert_true(rc >= 0);
    int k = 0;
    for (int i = 0; i < nsas; i++)
        if (sas[i].id.spi) sas[k++] = sas[i];
    nsas = k;
    return k;
}

static const struct xfrm_pol_info *find_pol(enum xfrm_dir dir, const char *dst)
{
    uint8_t d[16];
    a4(d, dst);
    for (int i = 0; i < npols; i++)
        if (pols[i].spec.dir == dir && memcmp(pols[i].spec.sel.dst, d, 4) == 0) return &pols[i];
    return NULL;
}

/* Events */
#define MAXEV 64
static struct xfrm_event evs[MAXEV];
static int nevs;

static void ev_cb(const struct xfrm_event *ev, void *arg)
{
    (void)arg;
    if (nevs < MAXEV) evs[nevs++] = *ev;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads events until one of `type` arrives or ms pass; returns its index or -1. */
static int wait_event(enum xfrm_event_type type, bool hard, long ms)
{
    long end = now_ms() + ms;
    for (;;) {
        for (int i = 0; i < nevs; i++)
            if (evs[i].type == type && (type != XFRM_EV_EXPIRE || evs[i].hard == hard)) return i;
        long left = end - now_ms();
        if (left <= 0) return -1;
        struct pollfd pfd = {.fd = xfrm_events_fd(X), .events = POLLIN};
        if (poll(&pfd, 1, (int)left) > 0) assert_true(xfrm_events_read(X, ev_cb, NULL) >= 0);
    }
}

/* A UDP datagram from 10.0.0.1:5555 to dst:9 (it may well be dropped: it only has to meet the
 * policies). */
static void send_udp(const char *dst)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5555)};
    inet_pton(AF_INET, "10.0.0.1", &a.sin_addr);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, dst, &d.sin_addr);
    (void)sendto(s, "ping", 4, MSG_DONTWAIT, (struct sockaddr *)&d, sizeof(d));
    close(s);
}

static bool contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* ------------------------------------------------------------------ tests */

static void test_open_args(void **state)
{
    (void)state;
    char err[128];
    assert_null(xfrm_open(0, 10, err, sizeof(err)));
    assert_true(strlen(err) > 0);
    assert_null(xfrm_open(0xfffffff0u, 0x20, err, sizeof(err)));
    assert_null(xfrm_open(5, 0, NULL, 0));
    if (skip_reason) return;
    assert_true(xfrm_reqid_is_ours(X, REQID_BASE));
    assert_true(xfrm_reqid_is_ours(X, REQID_BASE + REQID_COUNT - 1));
    assert_false(xfrm_reqid_is_ours(X, REQID_BASE - 1));
    assert_false(xfrm_reqid_is_ours(X, REQID_BASE + REQID_COUNT));
    assert_false(xfrm_reqid_is_ours(X, FOREIGN_REQID));
    assert_true(xfrm_events_fd(X) >= 0);
}

static void test_spi_alloc(void **state)
{
    (void)state;
    require_namespace();
    struct xfrm_sa_spec s = sa_gcm("10.0.0.2", "10.0.0.1", 0, REQID_BASE + 1);
    uint32_t spis[40];
    for (int i = 0; i < 40; i++) {
        spis[i] = 0;
        assert_int_equal(xfrm_spi_alloc(X, &s, 0x1000, 0x1fff, &spis[i]), 0);
        assert_true(spis[i] >= 0x1000 && spis[i] <= 0x1fff);
        for (int j = 0; j < i; j++) assert_int_not_equal(spis[i], spis[j]);
    }
    /* The kernel holds each as a larval SA with our reqid. */
    assert_int_equal(dump_sas(), 40);
    for (int i = 0; i < nsas; i++) {
        assert_int_equal(sas[i].reqid, REQID_BASE + 1);
        assert_int_equal(sas[i].id.proto, IPPROTO_ESP);
        assert_memory_equal(sas[i].src, s.src, 16);
        assert_memory_equal(sas[i].id.dst, s.dst, 16);
    }
    char out[16384];
    capture(out, sizeof(out), "ip xfrm state | grep -c 'reqid %u mode tunnel'", REQID_BASE + 1);
    assert_string_equal(out, "40");

    /* A one-SPI range: the first takes it, the second finds none. */
    uint32_t one = 0;
    assert_int_equal(xfrm_spi_alloc(X, &s, 0x4242, 0x4242, &one), 0);
    assert_int_equal(one, 0x4242);
    int rc = xfrm_spi_alloc(X, &s, 0x4242, 0x4242, &one);
    printf("# a second SPI from a one-SPI range: %d (%s) \"%s\"\n", rc, strerror(-rc),
           xfrm_last_detail(X));
    assert_true(rc < 0);
    /* Refused before the kernel: */
    assert_int_equal(xfrm_spi_alloc(X, &s, 0x2000, 0x1000, &one), -EINVAL);
    s.reqid = FOREIGN_REQID;
    assert_int_equal(xfrm_spi_alloc(X, &s, 0, 0, &one), -ERANGE);
    s.reqid = REQID_BASE;
    s.family = AF_UNIX;
    assert_int_equal(xfrm_spi_alloc(X, &s, 0, 0, &one), -EAFNOSUPPORT);
    /* Defaults: min 0x100, max 0xffffffff */
    s.family = AF_INET;
    assert_int_equal(xfrm_spi_alloc(X, &s, 0, 0, &one), 0);
    assert_true(one >= 0x100);
    assert_int_equal(xfrm_flush_own(X), 42);
    assert_int_equal(dump_sas(), 0);
}

static void test_policies(void **state)
{
    (void)state;
    require_namespace();
    uint32_t r = REQID_BASE + 2;
    struct xfrm_pol_spec out =
        pol(XFRM_DIR_OUT, "10.1.0.0", 24, "10.2.0.0", 24, "10.0.0.1", "10.0.0.2", r);
    struct xfrm_pol_spec in =
        pol(XFRM_DIR_IN, "10.2.0.0", 24, "10.1.0.0", 24, "10.0.0.2", "10.0.0.1", r);
    struct xfrm_pol_spec fwd = in;
    fwd.dir = XFRM_DIR_FWD;
    fwd.if_id = 42;
    fwd.mark = 0x10;
    fwd.mark_mask = 0xff;
    out.sel.proto = IPPROTO_UDP;
    out.sel.dport = 4789;
    assert_int_equal(xfrm_policy_add(X, &out), 0);
    assert_int_equal(xfrm_policy_add(X, &in), 0);
    assert_int_equal(xfrm_policy_add(X, &fwd), 0);
    assert_int_equal(xfrm_policy_add(X, &out), -EEXIST);
    assert_int_equal(xfrm_policy_update(X, &out), 0); /* create-or-replace */

    assert_int_equal(dump_policies(), 3);
    const struct xfrm_pol_info *p = find_pol(XFRM_DIR_OUT, "10.2.0.0");
    assert_non_null(p);
    assert_true(p->ours);
    assert_int_equal(p->ntmpl, 1);
    assert_int_equal(p->spec.reqid, r);
    assert_int_equal(p->tmpl_reqid[0], r);
    assert_int_equal(p->spec.priority, 1000);
    assert_int_equal(p->spec.mode, XFRM_SA_TUNNEL);
    assert_int_equal(p->spec.proto, IPPROTO_ESP);
    assert_int_equal(p->action, XFRM_POLICY_ALLOW);
    assert_int_equal(p->spec.sel.family, AF_INET);
    assert_memory_equal(p->spec.sel.src, out.sel.src, 16);
    assert_int_equal(p->spec.sel.src_len, 24);
    assert_int_equal(p->spec.sel.proto, IPPROTO_UDP);
    assert_int_equal(p->spec.sel.dport, 4789);
    assert_int_equal(p->spec.sel.sport, 0);
    assert_memory_equal(p->spec.tun_src, out.tun_src, 16);
    assert_memory_equal(p->spec.tun_dst, out.tun_dst, 16);
    assert_true(p->index != 0);
    p = find_pol(XFRM_DIR_FWD, "10.1.0.0");
    assert_non_null(p);
    assert_int_equal(p->spec.if_id, 42);
    assert_int_equal(p->spec.mark, 0x10);
    assert_int_equal(p->spec.mark_mask, 0xff);

    char txt[8192];
    capture(txt, sizeof(txt), "ip xfrm policy");
    assert_true(contains(txt, "src 10.1.0.0/24 dst 10.2.0.0/24 proto udp dport 4789"));
    assert_true(contains(txt, "dir fwd priority 1000"));
    assert_true(contains(txt, "if_id 0x2a"));
    capture(txt, sizeof(txt), "ip xfrm policy | grep -c 'proto esp reqid %u mode tunnel'", r);
    assert_string_equal(txt, "3");

    /* Refused before the kernel */
    struct xfrm_pol_spec bad = out;
    bad.reqid = FOREIGN_REQID;
    assert_int_equal(xfrm_policy_add(X, &bad), -ERANGE);
    bad = out;
    bad.sel.dst_len = 33;
    assert_int_equal(xfrm_policy_add(X, &bad), -EINVAL);
    bad = out;
    bad.dir = (enum xfrm_dir)7;
    assert_int_equal(xfrm_policy_add(X, &bad), -EINVAL);

    /* Deleting needs the same mark and if_id */
    struct xfrm_pol_spec nomark = fwd;
    nomark.if_id = 0;
    nomark.mark_mask = 0;
    assert_int_equal(xfrm_policy_del(X, &nomark), -ENOENT);
    assert_int_equal(xfrm_policy_del(X, &fwd), 0);
    assert_int_equal(xfrm_policy_del(X, &in), 0);
    assert_int_equal(xfrm_policy_del(X, &out), 0);
    assert_int_equal(xfrm_policy_del(X, &out), -ENOENT);
    assert_int_equal(dump_policies(), 0);
}

static void test_batch(void **state)
{
    (void)state;
    require_namespace();
    uint32_t r = REQID_BASE + 3;
    int res[8];
    struct xfrm_pol_spec a =
        pol(XFRM_DIR_OUT, "10.1.0.0", 24, "10.2.1.0", 24, "10.0.0.1", "10.0.0.2", r);
    struct xfrm_pol_spec b =
        pol(XFRM_DIR_IN, "10.2.1.0", 24, "10.1.0.0", 24, "10.0.0.2", "10.0.0.1", r);
    assert_int_equal(xfrm_batch_begin(X), 0);
    assert_int_equal(xfrm_batch_begin(X), -EBUSY);
    assert_int_equal(xfrm_policy_add(X, &a), 0); /* indexes */
    assert_int_equal(xfrm_policy_add(X, &b), 1);
    assert_int_equal(xfrm_policy_add(X, &a), 2); /* a duplicate: its own -EEXIST */
    struct xfrm_pol_spec foreign = a;
    foreign.reqid = FOREIGN_REQID;
    assert_int_equal(xfrm_policy_add(X, &foreign), -ERANGE); /* not queued */
    assert_int_equal(xfrm_policy_del(X, &b), 3);
    /* What needs an answer of its own is refused inside a batch */
    uint32_t spi;
    struct xfrm_sa_spec s = sa_gcm("10.0.0.2", "10.0.0.1", 0, r);
    assert_int_equal(xfrm_spi_alloc(X, &s, 0, 0, &spi), -EBUSY);
    struct xfrm_sa_id id = sa_id("10.0.0.1", 0x1234);
    assert_int_equal(xfrm_sa_get(X, &id, NULL), -EBUSY);
    assert_int_equal(xfrm_policy_dump(X, NULL, NULL), -EBUSY);
    assert_int_equal(xfrm_flush_own(X), -EBUSY);
    /* The SA request is refused by the kernel (no such SA): its result says so */
    assert_int_equal(xfrm_sa_del(X, &id), 4);
    for (int i = 0; i < 8; i++) res[i] = 99;
    assert_int_equal(xfrm_batch_end(X, res, 8), -EEXIST);
    assert_int_equal(res[0], 0);
    assert_int_equal(res[1], 0);
    assert_int_equal(res[2], -EEXIST);
    assert_int_equal(res[3], 0);
    assert_int_equal(res[4], -ESRCH);
    assert_int_equal(res[5], 99); /* untouched */
    assert_int_equal(xfrm_batch_end(X, res, 8), -EINVAL);
    assert_int_equal(dump_policies(), 1);

    /* Many more than one sendto's worth: 300 policies and their deletion. */
    assert_int_equal(xfrm_batch_begin(X), 0);
    for (int i = 0; i < 300; i++) {
        char dst[32];
        snprintf(dst, sizeof(dst), "10.9.%d.%d", i / 250, i % 250 + 1);
        struct xfrm_pol_spec p = pol(XFRM_DIR_OUT, "10.1.0.0", 24, dst, 32, "10.0.0.1", "10.0.0.2",
                                     r + (uint32_t)(i % 3));
        assert_int_equal(xfrm_policy_add(X, &p), i);
    }
    static int many[300];
    assert_int_equal(xfrm_batch_end(X, many, 300), 0);
    for (int i = 0; i < 300; i++) assert_int_equal(many[i], 0);
    assert_int_equal(dump_policies(), 301);
    long t0 = now_ms();
    assert_int_equal(xfrm_flush_own(X), 301);
    printf("# flush of 301 policies: %ld ms\n", now_ms() - t0);
    assert_int_equal(dump_policies(), 0);
}

static void test_flush_own(void **state)
{
    (void)state;
    require_namespace();
    uint32_t r = REQID_BASE + 4;
    /* Ours: policies in three directions and two larval SAs. */
    struct xfrm_pol_spec out =
        pol(XFRM_DIR_OUT, "10.1.0.0", 24, "10.2.0.0", 24, "10.0.0.1", "10.0.0.2", r);
    struct xfrm_pol_spec in =
        pol(XFRM_DIR_IN, "10.2.0.0", 24, "10.1.0.0", 24, "10.0.0.2", "10.0.0.1", r);
    struct xfrm_pol_spec fwd = in;
    fwd.dir = XFRM_DIR_FWD;
    fwd.mark = 5;
    fwd.mark_mask = 0xffffffff;
    assert_int_equal(xfrm_policy_add(X, &out), 0);
    assert_int_equal(xfrm_policy_add(X, &in), 0);
    assert_int_equal(xfrm_policy_add(X, &fwd), 0);
    uint32_t spi;
    struct xfrm_sa_spec s = sa_gcm("10.0.0.2", "10.0.0.1", 0, r);
    assert_int_equal(xfrm_spi_alloc(X, &s, 0, 0, &spi), 0);
    s.mark = 9;
    s.mark_mask = 0xff;
    assert_int_equal(xfrm_spi_alloc(X, &s, 0, 0, &spi), 0);

    /* Somebody else's, with a reqid outside our range. */
    assert_int_equal(run("ip xfrm policy add src 10.5.0.0/24 dst 10.6.0.0/24 dir out "
                         "tmpl src 10.0.0.1 dst 10.0.0.9 proto esp reqid %d mode tunnel",
                         FOREIGN_REQID),
                     0);
    assert_int_equal(run("ip xfrm state allocspi src 10.0.0.9 dst 10.0.0.1 proto esp reqid %d "
                         "mode tunnel >/dev/null",
                         FOREIGN_REQID),
                     0);
    assert_int_equal(dump_policies(), 4);
    assert_int_equal(dump_sas(), 3);

    assert_int_equal(xfrm_flush_own(X), 5);
    assert_int_equal(dump_policies(), 1);
    assert_false(pols[0].ours);
    assert_int_equal(pols[0].spec.reqid, FOREIGN_REQID);
    assert_int_equal(dump_sas(), 1);
    assert_int_equal(sas[0].reqid, FOREIGN_REQID);
    char txt[4096];
    capture(txt, sizeof(txt), "ip xfrm policy");
    assert_true(contains(txt, "src 10.5.0.0/24 dst 10.6.0.0/24"));
    assert_true(contains(txt, "reqid 7 mode tunnel"));
    assert_int_equal(xfrm_flush_own(X), 0); /* nothing left of ours */
    assert_int_equal(dump_policies(), 1);
}

static void test_ipv6(void **state)
{
    (void)state;
    require_namespace();
    uint32_t r = REQID_BASE + 9;
    struct xfrm_pol_spec p;
    memset(&p, 0, sizeof(p));
    p.sel.family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::", p.sel.src), 1);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:2::", p.sel.dst), 1);
    p.sel.src_len = p.sel.dst_len = 64;
    p.dir = XFRM_DIR_OUT;
    p.tun_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", p.tun_src), 1);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", p.tun_dst), 1);
    p.reqid = r;
    assert_int_equal(xfrm_policy_add(X, &p), 0);
    /* IPv4 traffic through an IPv6 tunnel */
    struct xfrm_pol_spec q =
        pol(XFRM_DIR_OUT, "10.1.0.0", 24, "10.7.0.0", 24, "0.0.0.0", "0.0.0.0", r);
    q.tun_family = AF_INET6;
    memcpy(q.tun_src, p.tun_src, 16);
    memcpy(q.tun_dst, p.tun_dst, 16);
    assert_int_equal(xfrm_policy_add(X, &q), 0);
    assert_int_equal(dump_policies(), 2);
    for (int i = 0; i < npols; i++) {
        assert_true(pols[i].ours);
        assert_int_equal(pols[i].spec.tun_family, AF_INET6);
        assert_memory_equal(pols[i].spec.tun_dst, p.tun_dst, 16);
        if (pols[i].spec.sel.family == AF_INET6) {
            assert_memory_equal(pols[i].spec.sel.dst, p.sel.dst, 16);
            assert_int_equal(pols[i].spec.sel.dst_len, 64);
        }
    }
    char txt[4096];
    capture(txt, sizeof(txt), "ip -6 xfrm policy");
    assert_true(contains(txt, "src 2001:db8:1::/64 dst 2001:db8:2::/64"));
    assert_true(contains(txt, "tmpl src 2001:db8::1 dst 2001:db8::2"));

    struct xfrm_sa_spec s;
    memset(&s, 0, sizeof(s));
    s.family = AF_INET6;
    memcpy(s.src, p.tun_dst, 16);
    memcpy(s.dst, p.tun_src, 16);
    s.reqid = r;
    uint32_t spi;
    assert_int_equal(xfrm_spi_alloc(X, &s, 0, 0, &spi), 0);
    assert_int_equal(dump_sas(), 1);
    assert_int_equal(sas[0].id.family, AF_INET6);
    assert_int_equal(sas[0].id.spi, spi);
    assert_memory_equal(sas[0].id.dst, s.dst, 16);
    struct xfrm_sa_id id;
    memset(&id, 0, sizeof(id));
    id.family = AF_INET6;
    memcpy(id.dst, s.dst, 16);
    id.spi = spi;
    struct xfrm_sa_info info;
    assert_int_equal(xfrm_sa_get(X, &id, &info), 0);
    assert_memory_equal(info.src, s.src, 16);
    assert_int_equal(xfrm_flush_own(X), 3);
    assert_int_equal(dump_policies(), 0);
    assert_int_equal(dump_sas(), 0);
}

static void test_events_acquire(void **state)
{
    (void)state;
    require_namespace();
    uint32_t r = REQID_BASE + 5;
    struct xfrm_pol_spec out =
        pol(XFRM_DIR_OUT, "10.0.0.1", 32, "10.2.0.0", 24, "10.0.0.1", "10.0.0.2", r);
    out.if_id = 0; /* plain policy-based */
    assert_int_equal(xfrm_policy_add(X, &out), 0);
    /* Somebody else's policy: its ACQUIRE is not delivered to us. */
    assert_int_equal(run("ip xfrm policy add src 10.0.0.1/32 dst 10.3.0.0/24 dir out "
                         "tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid %d mode tunnel",
                         FOREIGN_REQID),
                     0);
    nevs = 0;
    send_udp("10.3.0.1");
    send_udp("10.2.0.1");
    int i = wait_event(XFRM_EV_ACQUIRE, false, 3000);
    assert_true(i >= 0);
    const struct xfrm_event *e = &evs[i];
    uint8_t a[16];
    assert_int_equal(e->reqid, r);
    assert_int_equal(e->sa.family, AF_INET);
    assert_int_equal(e->sa.proto, IPPROTO_ESP);
    assert_int_equal(e->sa.spi, 0);
    a4(a, "10.0.0.2");
    assert_memory_equal(e->sa.dst, a, 16);
    a4(a, "10.0.0.1");
    assert_memory_equal(e->src, a, 16);
    assert_int_equal(e->sel.family, AF_INET);
    assert_memory_equal(e->sel.src, a, 16);
    assert_int_equal(e->sel.src_len, 32);
    a4(a, "10.2.0.1");
    assert_memory_equal(e->sel.dst, a, 16);
    assert_int_equal(e->sel.dst_len, 32);
    assert_int_equal(e->sel.proto, IPPROTO_UDP);
    assert_int_equal(e->sel.sport, 5555);
    assert_int_equal(e->sel.dport, 9);
    assert_int_equal(e->policy_dir, XFRM_DIR_OUT);
    assert_int_equal(dump_policies(), 2);
    const struct xfrm_pol_info *p = find_pol(XFRM_DIR_OUT, "10.2.0.0");
    assert_non_null(p);
    assert_int_equal(e->policy_index, p->index);
    /* Only ours: nothing about 10.3.0.1 arrived. */
    for (int k = 0; k < nevs; k++) assert_int_not_equal(evs[k].reqid, FOREIGN_REQID);
    char txt[4096];
    capture(txt, sizeof(txt), "ip xfrm state | grep -c 'reqid %d'", FOREIGN_REQID);
    assert_string_equal(txt, "1"); /* ... though the kernel did make its larval SA */
    printf("# ACQUIRE from a real packet: reqid %u, %d event(s) delivered\n", e->reqid, nevs);
}

static void test_events_expire(void **state)
{
    (void)state;
    require_namespace();
    /* A larval SA from ALLOCSPI that is never completed hard-expires after
     * net.core.xfrm_acq_expires seconds: a real EXPIRE without needing ESP. */
    assert_int_equal(run("sysctl -qw net.core.xfrm_acq_expires=1"), 0);
    uint32_t r = REQID_BASE + 6, spi = 0;
    struct xfrm_sa_spec s = sa_gcm("10.0.0.2", "10.0.0.1", 0, r);
    assert_int_equal(xfrm_spi_alloc(X, &s, 0x5000, 0x5fff, &spi), 0);
    nevs = 0;
    int i = wait_event(XFRM_EV_EXPIRE, true, 5000);
    run("sysctl -qw net.core.xfrm_acq_expires=30");
    assert_true(i >= 0);
    const struct xfrm_event *e = &evs[i];
    assert_true(e->hard);
    assert_int_equal(e->reqid, r);
    assert_int_equal(e->sa.spi, spi);
    assert_int_equal(e->sa.proto, IPPROTO_ESP);
    assert_int_equal(e->sa.family, AF_INET);
    assert_memory_equal(e->sa.dst, s.dst, 16);
    assert_memory_equal(e->src, s.src, 16);
    assert_int_equal(dump_sas(), 0); /* the kernel removed it */
    /* Nothing pending now: a read returns 0 at once. */
    assert_int_equal(xfrm_events_read(X, ev_cb, NULL), 0);
}

/* The ESP half: on a kernel without ESP the error comes back unchanged; with ESP, the SAs are
 * checked in depth. */
static void check_sa_text(const char *spi_hex, const char *what)
{
    char txt[16384];
    capture(txt, sizeof(txt), "ip -s xfrm state | grep -A14 'spi %s'", spi_hex);
    if (!contains(txt, what))
        fail_msg("`ip -s xfrm state` for %s lacks \"%s\":\n%s", spi_hex, what, txt);
}

static void esp_full(void)
{
    uint32_t r = REQID_BASE + 7;
    /* AEAD, ESP in UDP, if_id, time limits, the byte and packet limits left XFRM_INF. */
    struct xfrm_sa_spec g = sa_gcm("10.0.0.1", "10.0.0.2", 0x1001, r);
    g.encap = true;
    g.encap_sport = 4500;
    g.encap_dport = 4500;
    g.if_id = 7;
    g.soft_add_seconds = 100;
    g.hard_add_seconds = 120;
    assert_int_equal(xfrm_sa_add(X, &g), 0);
    assert_int_equal(xfrm_sa_add(X, &g), -EEXIST);
    check_sa_text(
        "0x00001001",
        "aead rfc4106(gcm(aes)) 0x1112131415161718191a1b1c1d1e1f2021222324 (160 bits) 128");
    check_sa_text("0x00001001", "encap type espinudp sport 4500 dport 4500");
    check_sa_text("0x00001001", "if_id 0x7");
    check_sa_text("0x00001001", "soft (INF)(bytes), hard (INF)(bytes)");
    check_sa_text("0x00001001", "soft (INF)(packets), hard (INF)(packets)");
    check_sa_text("0x00001001", "soft 100(sec), hard 120(sec)");
    check_sa_text("0x00001001", "replay-window 32");

    struct xfrm_sa_info info;
    struct xfrm_sa_id id = sa_id("10.0.0.2", 0x1001);
    assert_int_equal(xfrm_sa_get(X, &id, &info), 0);
    assert_string_equal(info.enc_name, "rfc4106(gcm(aes))");
    assert_int_equal(info.enc_key_bits, 160);
    assert_int_equal(info.icv_bits, 128);
    assert_string_equal(info.integ_name, "");
    assert_true(info.encap);
    assert_int_equal(info.encap_type, UDP_ENCAP_ESPINUDP);
    assert_int_equal(info.encap_sport, 4500);
    assert_int_equal(info.encap_dport, 4500);
    assert_int_equal(info.if_id, 7);
    assert_int_equal(info.reqid, r);
    assert_int_equal(info.mode, XFRM_SA_TUNNEL);
    assert_true(info.lifetime.soft_bytes == XFRM_INF && info.lifetime.hard_bytes == XFRM_INF);
    assert_true(info.lifetime.soft_packets == XFRM_INF);
    assert_true(info.lifetime.hard_packets == XFRM_INF);
    assert_int_equal(info.lifetime.soft_add_seconds, 100);
    assert_int_equal(info.lifetime.hard_add_seconds, 120);
    assert_int_equal(info.sel.family, AF_INET);
    assert_int_equal(info.replay_window, 32);
    assert_true(info.add_time > 0);
    assert_int_equal(info.bytes, 0);
    assert_int_equal(info.use_time, 0);

    /* CBC with each integrity algorithm and its truncation. */
    static const struct {
        enum xfrm_integ i;
        size_t len;
        const char *name;
        uint32_t trunc;
    } integ[] = {{XFRM_INTEG_SHA1_96, 20, "hmac(sha1)", 96},
                 {XFRM_INTEG_SHA256_128, 32, "hmac(sha256)", 128},
                 {XFRM_INTEG_SHA384_192, 48, "hmac(sha384)", 192},
                 {XFRM_INTEG_SHA512_256, 64, "hmac(sha512)", 256}};
    for (size_t k = 0; k < 4; k++) {
        uint32_t spi = 0x2001 + (uint32_t)k;
        struct xfrm_sa_spec c = sa_cbc("10.0.0.1", "10.0.0.2", spi, r, integ[k].i, integ[k].len);
        assert_int_equal(xfrm_sa_add(X, &c), 0);
        char hex[16], want[64];
        snprintf(hex, sizeof(hex), "0x%08x", spi);
        check_sa_text(hex, "enc cbc(aes) 0x");
        snprintf(want, sizeof(want), "auth-trunc %s 0x", integ[k].name);
        check_sa_text(hex, want);
        snprintf(want, sizeof(want), " %u\n", integ[k].trunc);
        check_sa_text(hex, want);
        id = sa_id("10.0.0.2", spi);
        assert_int_equal(xfrm_sa_get(X, &id, &info), 0);
        assert_string_equal(info.enc_name, "cbc(aes)");
        assert_string_equal(info.integ_name, integ[k].name);
        assert_int_equal(info.integ_trunc_bits, integ[k].trunc);
        assert_int_equal(xfrm_sa_del(X, &id), 0);
    }
    struct xfrm_sa_spec c = sa_cbc("10.0.0.1", "10.0.0.2", 0x2100, r, XFRM_INTEG_SHA256_128, 20);
    assert_int_equal(xfrm_sa_add(X, &c), -EINVAL); /* wrong key length, refused here */

    /* ESN with a 128-packet window. */
    struct xfrm_sa_spec e = sa_gcm("10.0.0.1", "10.0.0.2", 0x3001, r);
    e.esn = true;
    e.replay_window = 128;
    assert_int_equal(xfrm_sa_add(X, &e), 0);
    id = sa_id("10.0.0.2", 0x3001);
    assert_int_equal(xfrm_sa_get(X, &id, &info), 0);
    assert_true(info.esn);
    assert_int_equal(info.replay_window, 128);
    check_sa_text("0x00003001", "flag esn");

    /* ALLOCSPI leaves a larval SA: NEWSA on its SPI is refused, UPDSA replaces it. */
    struct xfrm_sa_spec in = sa_gcm("10.0.0.2", "10.0.0.1", 0, r);
    uint32_t spi;
    assert_int_equal(xfrm_spi_alloc(X, &in, 0x6000, 0x6fff, &spi), 0);
    in.spi = spi;
    assert_int_equal(xfrm_sa_add(X, &in), -EEXIST);
    assert_int_equal(xfrm_sa_update(X, &in), 0);
    id = sa_id("10.0.0.1", spi);
    assert_int_equal(xfrm_sa_get(X, &id, &info), 0);
    assert_string_equal(info.enc_name, "rfc4106(gcm(aes))");
    char txt[16384];
    capture(txt, sizeof(txt), "ip xfrm state | grep -c 'spi 0x%08x'", spi);
    assert_string_equal(txt, "1");

    /* Counters with real traffic: an outbound policy to 10.2.0.0/24 through SA 0x1001. */
    struct xfrm_pol_spec op =
        pol(XFRM_DIR_OUT, "10.0.0.1", 32, "10.2.0.0", 24, "10.0.0.1", "10.0.0.2", r);
    g.if_id = 0;
    g.spi = 0x1002;
    g.encap = false;
    assert_int_equal(xfrm_sa_add(X, &g), 0);
    assert_int_equal(xfrm_policy_add(X, &op), 0);
    send_udp("10.2.0.1");
    send_udp("10.2.0.1");
    id = sa_id("10.0.0.2", 0x1002);
    assert_int_equal(xfrm_sa_get(X, &id, &info), 0);
    printf("# SA 0x1002 after 2 datagrams: %llu packets, %llu bytes, use_time %llu\n",
           (unsigned long long)info.packets, (unsigned long long)info.bytes,
           (unsigned long long)info.use_time);
    assert_int_equal(info.packets, 2);
    assert_true(info.bytes >= 2 * (20 + 8 + 4));
    assert_true(info.use_time >= info.add_time && info.use_time > 0);

    /* Soft then hard expiry in seconds, as events. */
    struct xfrm_sa_spec t = sa_gcm("10.0.0.1", "10.0.0.2", 0x7001, r);
    t.soft_add_seconds = 1;
    t.hard_add_seconds = 2;
    nevs = 0;
    assert_int_equal(xfrm_sa_add(X, &t), 0);
    int k = wait_event(XFRM_EV_EXPIRE, false, 4000);
    assert_true(k >= 0);
    assert_int_equal(evs[k].sa.spi, 0x7001);
    assert_int_equal(evs[k].reqid, r);
    k = wait_event(XFRM_EV_EXPIRE, true, 4000);
    assert_true(k >= 0);
    assert_int_equal(evs[k].sa.spi, 0x7001);
    id = sa_id("10.0.0.2", 0x7001);
    assert_int_equal(xfrm_sa_get(X, &id, &info), -ESRCH);

    /* Delete */
    id = sa_id("10.0.0.2", 0x1001);
    assert_int_equal(xfrm_sa_del(X, &id), 0);
    assert_int_equal(xfrm_sa_del(X, &id), -ESRCH);
    assert_int_equal(xfrm_sa_get(X, &id, &info), -ESRCH);

    /* In + out SAs and three policies of a CHILD_SA in one round trip. */
    int res[5];
    struct xfrm_sa_spec so = sa_gcm("10.0.0.1", "10.0.0.2", 0x8001, r + 1);
    struct xfrm_sa_spec si = sa_gcm("10.0.0.2", "10.0.0.1", 0x8002, r + 1);
    struct xfrm_pol_spec po =
        pol(XFRM_DIR_OUT, "10.1.0.0", 24, "10.4.0.0", 24, "10.0.0.1", "10.0.0.2", r + 1);
    struct xfrm_pol_spec pi =
        pol(XFRM_DIR_IN, "10.4.0.0", 24, "10.1.0.0", 24, "10.0.0.2", "10.0.0.1", r + 1);
    struct xfrm_pol_spec pf = pi;
    pf.dir = XFRM_DIR_FWD;
    assert_int_equal(xfrm_batch_begin(X), 0);
    xfrm_sa_add(X, &si);
    xfrm_sa_add(X, &so);
    xfrm_policy_add(X, &po);
    xfrm_policy_add(X, &pi);
    xfrm_policy_add(X, &pf);
    assert_int_equal(xfrm_batch_end(X, res, 5), 0);
    assert_true(xfrm_flush_own(X) >= 5);
    assert_int_equal(dump_sas(), 0);
}

static void test_sa_esp(void **state)
{
    (void)state;
    require_namespace();
    uint32_t r = REQID_BASE + 8;
    struct xfrm_sa_spec g = sa_gcm("10.0.0.1", "10.0.0.2", 0x1001, r);
    int rc = xfrm_sa_add(X, &g);
    if (rc == 0) {
        printf("# this kernel has ESP: full SA checks\n");
        struct xfrm_sa_id id = sa_id("10.0.0.2", 0x1001);
        assert_int_equal(xfrm_sa_del(X, &id), 0);
        esp_full();
        return;
    }
    /* No ESP: the kernel's own errno, unchanged, and its words. */
    printf("# no ESP in this kernel: GCM SA -> %d (%s) \"%s\"\n", rc, strerror(-rc),
           xfrm_last_detail(X));
    assert_int_equal(rc, -ENOSYS);
    assert_string_equal(xfrm_last_detail(X), "Requested AEAD algorithm not found");
    struct xfrm_sa_spec c = sa_cbc("10.0.0.1", "10.0.0.2", 0x1002, r, XFRM_INTEG_SHA256_128, 32);
    rc = xfrm_sa_add(X, &c);
    printf("# no ESP in this kernel: CBC SA -> %d (%s) \"%s\"\n", rc, strerror(-rc),
           xfrm_last_detail(X));
    assert_true(rc == -ENOSYS || rc == -EPROTONOSUPPORT);
    assert_true(strlen(xfrm_last_detail(X)) > 0);
    /* UPDSA of a larval SA fails the same way and leaves the larval SA. */
    struct xfrm_sa_spec in = sa_gcm("10.0.0.2", "10.0.0.1", 0, r);
    uint32_t spi;
    assert_int_equal(xfrm_spi_alloc(X, &in, 0, 0, &spi), 0);
    in.spi = spi;
    assert_int_equal(xfrm_sa_update(X, &in), -ENOSYS);
    /* In a batch too: every request gets the same unchanged error. */
    int res[2];
    assert_int_equal(xfrm_batch_begin(X), 0);
    assert_int_equal(xfrm_sa_add(X, &g), 0);
    assert_int_equal(xfrm_sa_add(X, &c), 1);
    assert_int_equal(xfrm_batch_end(X, res, 2), -ENOSYS);
    assert_int_equal(res[0], -ENOSYS);
    assert_true(res[1] == -ENOSYS || res[1] == -EPROTONOSUPPORT);
    assert_int_equal(dump_sas(), 1); /* only the larval one */
    assert_int_equal(sas[0].id.spi, spi);
    /* Refused before the kernel, whatever it has */
    g.spi = 0;
    assert_int_equal(xfrm_sa_add(X, &g), -EINVAL);
    g.spi = 5;
    g.reqid = FOREIGN_REQID;
    assert_int_equal(xfrm_sa_add(X, &g), -ERANGE);
    g.reqid = r;
    g.enc_key_len = 16; /* GCM needs key + 4-byte salt */
    assert_int_equal(xfrm_sa_add(X, &g), -EINVAL);
    g.enc_key_len = 20;
    g.integ = XFRM_INTEG_SHA1_96;
    assert_int_equal(xfrm_sa_add(X, &g), -EINVAL);
    g.integ = XFRM_INTEG_NONE;
    g.replay_window = 5000;
    assert_int_equal(xfrm_sa_add(X, &g), -EINVAL);
    g.replay_window = 0;
    g.proto = IPPROTO_AH;
    assert_int_equal(xfrm_sa_add(X, &g), -EPROTONOSUPPORT);
    g.proto = 0;
    g.encap = true;
    assert_int_equal(xfrm_sa_add(X, &g), -EINVAL); /* encap without ports */
    /* No SA to delete or read */
    struct xfrm_sa_id id = sa_id("10.0.0.2", 0x1001);
    assert_int_equal(xfrm_sa_del(X, &id), -ESRCH);
    assert_int_equal(xfrm_sa_get(X, &id, NULL), -ESRCH);
    id = sa_id("10.0.0.1", spi);
    struct xfrm_sa_info info;
    assert_int_equal(xfrm_sa_get(X, &id, &info), 0); /* the larval SA is readable */
    assert_int_equal(info.reqid, r);
    assert_int_equal(info.bytes, 0);
    assert_int_equal(xfrm_sa_del(X, &id), 0);
}

static void test_links(void **state)
{
    (void)state;
    require_namespace();
    assert_int_equal(xfrm_link_create(X, "ikgt-vt1", 0, NULL), -EINVAL);
    assert_int_equal(xfrm_link_create(X, "ikgt-vt1", 5, "no-such-link"), -ENODEV);
    assert_int_equal(xfrm_link_create(X, "a-name-longer-than-15", 5, NULL), -EINVAL);
    /* Never anything but an xfrm link */
    assert_int_equal(xfrm_link_delete(X, "lo"), -EINVAL);
    assert_int_equal(xfrm_link_delete(X, VETH_A), -EINVAL);
    assert_int_equal(run("ip link show lo >/dev/null && ip link show " VETH_A " >/dev/null"), 0);
    assert_int_equal(xfrm_link_delete(X, "ikgt-nosuch"), -ENODEV);

    int rc = xfrm_link_create(X, "ikgt-vt1", 5, VETH_A);
    if (rc != 0) {
        printf("# no xfrm interfaces in this kernel: create -> %d (%s) \"%s\"\n", rc, strerror(-rc),
               xfrm_last_detail(X));
        assert_int_equal(rc, -EOPNOTSUPP);
        assert_int_not_equal(run("ip link show ikgt-vt1 >/dev/null 2>&1"), 0);
        return;
    }
    printf("# this kernel has xfrm interfaces\n");
    char txt[4096];
    capture(txt, sizeof(txt), "ip -d link show ikgt-vt1");
    assert_true(contains(txt, "<NOARP,UP,LOWER_UP>") || contains(txt, ",UP"));
    assert_true(contains(txt, "xfrm"));
    assert_true(contains(txt, "if_id 0x5"));
    assert_int_equal(xfrm_link_create(X, "ikgt-vt1", 6, NULL), -EEXIST);
    uint8_t d[16];
    a4(d, "192.0.2.77");
    assert_int_equal(xfrm_route_add(X, "ikgt-vt1", AF_INET, d, 32, 1), 0);
    capture(txt, sizeof(txt), "ip route show proto 209");
    assert_true(contains(txt, "192.0.2.77 dev ikgt-vt1"));
    assert_int_equal(xfrm_link_delete(X, "ikgt-vt1"), 0);
    assert_int_equal(xfrm_link_delete(X, "ikgt-vt1"), -ENODEV);
    capture(txt, sizeof(txt), "ip route show proto 209");
    assert_string_equal(txt, ""); /* the route went with its link */
}

static void test_routes(void **state)
{
    (void)state;
    require_namespace();
    uint8_t d[16], d6[16];
    a4(d, "192.0.2.88");
    assert_int_equal(xfrm_route_add(X, VETH_A, AF_INET, d, 32, 1), 0);
    assert_int_equal(xfrm_route_add(X, VETH_A, AF_INET, d, 32, 1), -EEXIST);
    char txt[4096];
    capture(txt, sizeof(txt), "ip route show proto 209");
    assert_string_equal(txt, "192.0.2.88 dev " VETH_A " scope link metric 1 ");
    assert_int_equal(xfrm_route_del(X, VETH_A, AF_INET, d, 32, 0), 0);
    assert_int_equal(xfrm_route_del(X, VETH_A, AF_INET, d, 32, 0), -ESRCH);
    /* A route of another protocol is not ours to delete */
    assert_int_equal(run("ip route add 192.0.2.89/32 dev " VETH_A " proto static"), 0);
    a4(d, "192.0.2.89");
    assert_int_equal(xfrm_route_del(X, VETH_A, AF_INET, d, 32, 0), -ESRCH);
    assert_int_equal(run("ip route del 192.0.2.89/32 dev " VETH_A), 0);
    /* IPv6 */
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::77", d6), 1);
    int rc = xfrm_route_add(X, VETH_A, AF_INET6, d6, 128, 1);
    if (rc == 0) {
        capture(txt, sizeof(txt), "ip -6 route show proto 209");
        assert_true(contains(txt, "2001:db8::77 dev " VETH_A));
        assert_int_equal(xfrm_route_del(X, VETH_A, AF_INET6, d6, 128, 0), 0);
    } else {
        printf("# IPv6 route: %d (%s)\n", rc, strerror(-rc));
    }
    /* Refused here */
    assert_int_equal(xfrm_route_add(X, VETH_A, AF_INET, d, 33, 1), -EINVAL);
    assert_int_equal(xfrm_route_add(X, "ikgt-nosuch", AF_INET, d, 32, 1), -ENODEV);
    assert_int_equal(xfrm_route_add(X, VETH_A, AF_UNIX, d, 32, 1), -EAFNOSUPPORT);
}

/* ---------------------------------------------------- parsers, hand-built */

static size_t put_nlmsg(uint8_t *buf, uint16_t type, const void *payload, size_t plen)
{
    struct nlmsghdr h = {.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + plen), .nlmsg_type = type};
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + NLMSG_HDRLEN, payload, plen);
    return NLMSG_ALIGN(h.nlmsg_len);
}

/* Appends an attribute to the message at buf (updating its nlmsg_len); returns the new length. */
static size_t add_attr(uint8_t *buf, uint16_t type, const void *data, size_t len)
{
    struct nlmsghdr h;
    memcpy(&h, buf, sizeof(h));
    size_t off = NLMSG_ALIGN(h.nlmsg_len);
    struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type};
    memset(buf + off, 0, NLA_ALIGN(a.nla_len));
    memcpy(buf + off, &a, sizeof(a));
    memcpy(buf + off + NLA_HDRLEN, data, len);
    h.nlmsg_len = (uint32_t)(off + NLA_ALIGN(a.nla_len));
    memcpy(buf, &h, sizeof(h));
    return h.nlmsg_len;
}

static void test_parse_expire(void **state)
{
    (void)state;
    _Alignas(8) uint8_t buf[1024] = {0};
    struct xfrm_user_expire ue;
    memset(&ue, 0, sizeof(ue));
    ue.state.family = AF_INET;
    inet_pton(AF_INET, "198.51.100.2", &ue.state.id.daddr.a4);
    inet_pton(AF_INET, "198.51.100.1", &ue.state.saddr.a4);
    ue.state.id.spi = htonl(0xc0ffee01);
    ue.state.id.proto = IPPROTO_ESP;
    ue.state.reqid = 1234;
    ue.hard = 1;
    size_t n = put_nlmsg(buf, XFRM_MSG_EXPIRE, &ue, sizeof(ue));
    uint32_t ifid = 9;
    n = add_attr(buf, XFRMA_IF_ID, &ifid, 4);
    struct xfrm_mark mk = {.v = 3, .m = 0xff};
    n = add_attr(buf, XFRMA_MARK, &mk, sizeof(mk));

    struct xfrm_event ev;
    assert_int_equal(xfrm_parse_event(buf, n, &ev), 1);
    assert_int_equal(ev.type, XFRM_EV_EXPIRE);
    assert_true(ev.hard);
    assert_int_equal(ev.sa.spi, 0xc0ffee01);
    assert_int_equal(ev.sa.family, AF_INET);
    assert_int_equal(ev.reqid, 1234);
    assert_int_equal(ev.if_id, 9);
    assert_int_equal(ev.sa.mark, 3);
    assert_int_equal(ev.sa.mark_mask, 0xff);
    uint8_t a[16];
    a4(a, "198.51.100.2");
    assert_memory_equal(ev.sa.dst, a, 16);
    a4(a, "198.51.100.1");
    assert_memory_equal(ev.src, a, 16);

    /* Every truncation is refused, never read past. */
    for (size_t k = 0; k < n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, buf, k);
        int rc = xfrm_parse_event(copy, k, &ev);
        assert_int_equal(rc, -EINVAL);
        assert_int_equal(ev.type, XFRM_EV_NONE);
        free(copy);
    }
    /* A header claiming more than there is */
    struct nlmsghdr h;
    memcpy(&h, buf, sizeof(h));
    h.nlmsg_len = (uint32_t)n + 4;
    memcpy(buf, &h, sizeof(h));
    assert_int_equal(xfrm_parse_event(buf, n, &ev), -EINVAL);
    /* A payload too short for struct xfrm_user_expire */
    n = put_nlmsg(buf, XFRM_MSG_EXPIRE, &ue, sizeof(ue) - 8);
    assert_int_equal(xfrm_parse_event(buf, n, &ev), -EINVAL);
    /* An attribute whose length runs past the message */
    n = put_nlmsg(buf, XFRM_MSG_EXPIRE, &ue, sizeof(ue));
    n = add_attr(buf, XFRMA_IF_ID, &ifid, 4);
    struct nlattr bad = {.nla_len = 200, .nla_type = XFRMA_IF_ID};
    memcpy(buf + n - 8, &bad, sizeof(bad));
    assert_int_equal(xfrm_parse_event(buf, n, &ev), -EINVAL);
    /* An IF_ID attribute too short */
    n = put_nlmsg(buf, XFRM_MSG_EXPIRE, &ue, sizeof(ue));
    n = add_attr(buf, XFRMA_IF_ID, &ifid, 2);
    assert_int_equal(xfrm_parse_event(buf, n, &ev), -EINVAL);
    /* Not an event */
    n = put_nlmsg(buf, XFRM_MSG_NEWPOLICY, &ue, 16);
    assert_int_equal(xfrm_parse_event(buf, n, &ev), 0);
    assert_int_equal(ev.type, XFRM_EV_NONE);
    n = put_nlmsg(buf, NLMSG_DONE, &ue, 4);
    assert_int_equal(xfrm_parse_event(buf, n, &ev), 0);
    assert_int_equal(xfrm_parse_event(NULL, 0, &ev), -EINVAL);
}

static void test_parse_acquire_mapping(void **state)
{
    (void)state;
    _Alignas(8) uint8_t buf[1024] = {0};
    struct xfrm_user_acquire ua;
    memset(&ua, 0, sizeof(ua));
    inet_pton(AF_INET, "192.0.2.2", &ua.id.daddr.a4);
    ua.id.proto = IPPROTO_ESP;
    inet_pton(AF_INET, "192.0.2.1", &ua.saddr.a4);
    ua.sel.family = AF_INET;
    inet_pton(AF_INET, "10.1.0.5", &ua.sel.saddr.a4);
    inet_pton(AF_INET, "10.2.0.9", &ua.sel.daddr.a4);
    ua.sel.prefixlen_s = ua.sel.prefixlen_d = 32;
    ua.sel.proto = IPPROTO_TCP;
    ua.sel.sport = htons(40000);
    ua.sel.sport_mask = 0xffff;
    ua.sel.dport = htons(443);
    ua.sel.dport_mask = 0xffff;
    ua.policy.sel.family = AF_INET;
    ua.policy.index = 0x99;
    ua.policy.dir = XFRM_POLICY_OUT;
    ua.seq = 77;
    size_t n = put_nlmsg(buf, XFRM_MSG_ACQUIRE, &ua, sizeof(ua));
    struct xfrm_user_tmpl t[2];
    memset(t, 0, sizeof(t));
    /* A first template for something else, then ours */
    t[0].id.proto = IPPROTO_AH;
    t[0].reqid = 1;
    t[1].id.proto = IPPROTO_ESP;
    t[1].id.daddr = ua.id.daddr;
    t[1].family = AF_INET;
    t[1].reqid = 1050;
    n = add_attr(buf, XFRMA_TMPL, t, sizeof(t));
    struct xfrm_event ev;
    assert_int_equal(xfrm_parse_event(buf, n, &ev), 1);
    assert_int_equal(ev.type, XFRM_EV_ACQUIRE);
    assert_int_equal(ev.reqid, 1050);
    assert_int_equal(ev.sa.family, AF_INET);
    assert_int_equal(ev.sa.proto, IPPROTO_ESP);
    assert_int_equal(ev.sel.proto, IPPROTO_TCP);
    assert_int_equal(ev.sel.sport, 40000);
    assert_int_equal(ev.sel.dport, 443);
    assert_int_equal(ev.sel.src_len, 32);
    assert_int_equal(ev.policy_index, 0x99);
    assert_int_equal(ev.policy_dir, XFRM_DIR_OUT);
    assert_int_equal(ev.seq, 77);
    uint8_t a[16];
    a4(a, "192.0.2.2");
    assert_memory_equal(ev.sa.dst, a, 16);
    a4(a, "10.2.0.9");
    assert_memory_equal(ev.sel.dst, a, 16);
    /* A template array of a length that is not a multiple of its element is malformed */
    n = put_nlmsg(buf, XFRM_MSG_ACQUIRE, &ua, sizeof(ua));
    n = add_attr(buf, XFRMA_TMPL, t, sizeof(t) - 1);
    assert_int_equal(xfrm_parse_event(buf, n, &ev), -EINVAL);

    struct xfrm_user_mapping um;
    memset(&um, 0, sizeof(um));
    um.id.family = AF_INET;
    um.id.proto = IPPROTO_ESP;
    um.id.spi = htonl(0x1234);
    inet_pton(AF_INET, "192.0.2.1", &um.id.daddr.a4);
    um.reqid = 1001;
    inet_pton(AF_INET, "203.0.113.5", &um.old_saddr.a4);
    inet_pton(AF_INET, "203.0.113.6", &um.new_saddr.a4);
    um.old_sport = htons(4500);
    um.new_sport = htons(61000);
    n = put_nlmsg(buf, XFRM_MSG_MAPPING, &um, sizeof(um));
    assert_int_equal(xfrm_parse_event(buf, n, &ev), 1);
    assert_int_equal(ev.type, XFRM_EV_MAPPING);
    assert_int_equal(ev.sa.spi, 0x1234);
    assert_int_equal(ev.reqid, 1001);
    assert_int_equal(ev.old_sport, 4500);
    assert_int_equal(ev.new_sport, 61000);
    a4(a, "203.0.113.6");
    assert_memory_equal(ev.new_src, a, 16);
    n = put_nlmsg(buf, XFRM_MSG_MAPPING, &um, sizeof(um) - 1);
    assert_int_equal(xfrm_parse_event(buf, n, &ev), -EINVAL);
}

static void test_parse_sa_policy(void **state)
{
    (void)state;
    _Alignas(8) uint8_t buf[2048] = {0};
    struct xfrm_usersa_info p;
    memset(&p, 0, sizeof(p));
    p.family = AF_INET;
    p.id.proto = IPPROTO_ESP;
    p.id.spi = htonl(0xabcdef01);
    p.reqid = 5;
    p.mode = XFRM_MODE_TUNNEL;
    p.lft.soft_byte_limit = XFRM_INF;
    p.curlft.bytes = 1000;
    p.curlft.packets = 10;
    size_t n = put_nlmsg(buf, XFRM_MSG_NEWSA, &p, sizeof(p));
    uint8_t alg[sizeof(struct xfrm_algo_auth) + 32] = {0};
    struct xfrm_algo_auth au;
    memset(&au, 0, sizeof(au));
    memset(au.alg_name, 'x', sizeof(au.alg_name)); /* not terminated */
    au.alg_key_len = 256;
    au.alg_trunc_len = 128;
    memcpy(alg, &au, sizeof(au));
    n = add_attr(buf, XFRMA_ALG_AUTH_TRUNC, alg, sizeof(alg));
    struct xfrm_sa_info sa;
    assert_int_equal(xfrm_parse_sa(buf, n, &sa), 1);
    assert_int_equal(sa.id.spi, 0xabcdef01);
    assert_int_equal(sa.reqid, 5);
    assert_int_equal(sa.bytes, 1000);
    assert_int_equal(sa.packets, 10);
    assert_int_equal(strlen(sa.integ_name), 63);
    assert_int_equal(sa.integ_trunc_bits, 128);
    /* A key length longer than the attribute */
    au.alg_key_len = 512;
    memcpy(alg, &au, sizeof(au));
    n = put_nlmsg(buf, XFRM_MSG_NEWSA, &p, sizeof(p));
    n = add_attr(buf, XFRMA_ALG_AUTH_TRUNC, alg, sizeof(alg));
    assert_int_equal(xfrm_parse_sa(buf, n, &sa), -EINVAL);
    au.alg_key_len = 0xffffffffu; /* no overflow in the arithmetic */
    memcpy(alg, &au, sizeof(au));
    n = put_nlmsg(buf, XFRM_MSG_NEWSA, &p, sizeof(p));
    n = add_attr(buf, XFRMA_ALG_AUTH_TRUNC, alg, sizeof(alg));
    assert_int_equal(xfrm_parse_sa(buf, n, &sa), -EINVAL);
    n = put_nlmsg(buf, XFRM_MSG_EXPIRE, &p, sizeof(p));
    assert_int_equal(xfrm_parse_sa(buf, n, &sa), 0);

    struct xfrm_userpolicy_info up;
    memset(&up, 0, sizeof(up));
    up.sel.family = AF_INET;
    up.dir = XFRM_POLICY_FWD;
    up.index = 42;
    n = put_nlmsg(buf, XFRM_MSG_NEWPOLICY, &up, sizeof(up));
    struct xfrm_user_tmpl t[7];
    memset(t, 0, sizeof(t));
    t[0].reqid = 11;
    t[1].reqid = 12;
    size_t n2 = add_attr(buf, XFRMA_TMPL, t, 2 * sizeof(t[0]));
    struct xfrm_pol_info pi;
    assert_int_equal(xfrm_parse_policy(buf, n2, &pi), 1);
    assert_int_equal(pi.ntmpl, 2);
    assert_int_equal(pi.tmpl_reqid[1], 12);
    assert_int_equal(pi.spec.reqid, 11);
    assert_int_equal(pi.spec.dir, XFRM_DIR_FWD);
    assert_int_equal(pi.spec.tun_family, AF_INET); /* template family 0: the selector's */
    assert_int_equal(pi.index, 42);
    assert_false(pi.ours);
    /* More templates than XFRM_MAX_DEPTH */
    n = put_nlmsg(buf, XFRM_MSG_NEWPOLICY, &up, sizeof(up));
    n2 = add_attr(buf, XFRMA_TMPL, t, sizeof(t));
    assert_int_equal(xfrm_parse_policy(buf, n2, &pi), -EINVAL);
    n = put_nlmsg(buf, XFRM_MSG_NEWPOLICY, &up, sizeof(up) - 4);
    assert_int_equal(xfrm_parse_policy(buf, n, &pi), -EINVAL);
    n = put_nlmsg(buf, XFRM_MSG_NEWSA, &up, sizeof(up));
    assert_int_equal(xfrm_parse_policy(buf, n, &pi), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_expire),
        cmocka_unit_test(test_parse_acquire_mapping),
        cmocka_unit_test(test_parse_sa_policy),
        cmocka_unit_test_setup_teardown(test_open_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spi_alloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_acquire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sa_esp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    xfrm_close(X);
    return rc;
}
