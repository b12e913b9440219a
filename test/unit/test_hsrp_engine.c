/* The HSRP engine end to end without a network: several routers, each its own engine, on one
 * fake LAN (a queue of packets) and one manual clock. Elections, preemption, failure,
 * resignation, coups and authentication, asserting along the way that there is never more
 * than one Active router. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "hsrp/hsrp.h"
#include "platform/log.h"
#include "platform/loop.h"

#define NR 4
#define QMAX 256

struct router {
    struct hsrp *h;
    uint32_t ip;
    bool dead; /* crashed: neither sends nor hears */
    bool owns; /* holds the VIP */
    int garps, sent;
    uint8_t last_vmac[6];
    bool sent_from_vmac;
};

static struct {
    loop_t *loop;
    struct router r[NR];
    int n;
    struct pkt {
        int from;
        uint8_t buf[128];
        size_t len;
    } q[QMAX];
    int qn;
    int max_active; /* the most routers holding the VIP at once, sampled every 10 ms once the
                     * LAN is quiet (a Coup and the Resign it draws are one exchange apart) */
} lan;

static int p_send(void *ctx, const char *ifname, int version, uint16_t group, uint32_t src,
                  const uint8_t *vmac, const uint8_t *pkt, size_t len)
{
    (void)ifname, (void)version, (void)group, (void)src;
    struct router *r = ctx;
    if (r->dead) return 0;
    r->sent++;
    r->sent_from_vmac = vmac != NULL;
    if (lan.qn < QMAX && len <= sizeof lan.q[0].buf) {
        lan.q[lan.qn].from = (int)(r - lan.r);
        memcpy(lan.q[lan.qn].buf, pkt, len);
        lan.q[lan.qn++].len = len;
    }
    return 0;
}

static int p_vip(void *ctx, const char *ifname, uint16_t group, const uint8_t vmac[6], uint32_t vip,
                 bool own)
{
    (void)ifname, (void)group, (void)vip;
    struct router *r = ctx;
    r->owns = own;
    memcpy(r->last_vmac, vmac, 6);
    return 0;
}

static int p_vip_add(void *ctx, const char *ifname, uint16_t group, uint32_t vip)
{
    (void)ctx, (void)ifname, (void)group, (void)vip;
    return 0;
}

static int p_garp(void *ctx, const char *ifname, uint16_t group, const uint8_t vmac[6],
                  uint32_t vip)
{
    (void)ifname, (void)group, (void)vmac, (void)vip;
    ((struct router *)ctx)->garps++;
    return 0;
}

static void count_active(void)
{
    int a = 0;
    for (int k = 0; k < lan.n; k++)
        if (!lan.r[k].dead && lan.r[k].owns) a++;
    if (a > lan.max_active) lan.max_active = a;
}

/* Deliver queued packets (to everybody but the sender) until the LAN is quiet. */
static void pump(void)
{
    for (int rounds = 0; lan.qn && rounds < 100; rounds++) {
        struct pkt q[QMAX];
        int n = lan.qn;
        memcpy(q, lan.q, (size_t)n * sizeof q[0]);
        lan.qn = 0;
        for (int p = 0; p < n; p++)
            for (int k = 0; k < lan.n; k++)
                if (k != q[p].from && !lan.r[k].dead)
                    hsrp_input(lan.r[k].h, "eth0", lan.r[q[p].from].ip, q[p].buf, q[p].len);
    }
}

static void run_ms(int64_t ms)
{
    for (int64_t t = 0; t < ms; t += 10) {
        loop_advance(lan.loop, 10);
        pump();
        count_active();
    }
}

static enum hsrp_state st(int k)
{
    return hsrp_group_state(lan.r[k].h, "GigabitEthernet1", 1);
}

static void add_router(uint32_t ip, uint32_t prio, bool preempt, const char *md5key)
{
    struct router *r = &lan.r[lan.n];
    memset(r, 0, sizeof *r);
    r->ip = ip;
    struct hsrp_port port = {
        .ctx = r, .send = p_send, .vip = p_vip, .vip_add = p_vip_add, .garp = p_garp};
    r->h = hsrp_new(lan.loop, &port, 7 + (uint32_t)lan.n);
    uint8_t mac[6] = {2, 0, 0, 0, 0, (uint8_t)lan.n};
    hsrp_iface_set(r->h, "GigabitEthernet1", "eth0", "Gi1", ip, mac, true);
    struct hsrp_group_cfg c;
    hsrp_group_cfg_default(&c);
    c.vip = 0x0a0a0a64; /* 10.10.10.100 */
    c.priority = prio;
    c.preempt = preempt;
    c.hello_ms = 1000, c.hold_ms = 3000;
    if (md5key) {
        c.auth.kind = HSRP_AUTH_MD5;
        snprintf(c.auth.key, sizeof c.auth.key, "%s", md5key);
        c.auth.keylen = strlen(md5key);
    }
    char err[128];
    assert_int_equal(hsrp_group_configure(r->h, "GigabitEthernet1", 1, &c, err, sizeof err), 0);
    lan.n++;
}

static int setup(void **s)
{
    (void)s;
    memset(&lan, 0, sizeof lan);
    log_init("test_hsrp_engine", false);
    lan.loop = loop_new(true);
    return lan.loop ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    for (int k = 0; k < lan.n; k++) hsrp_free(lan.r[k].h);
    loop_free(lan.loop);
    log_shutdown();
    return 0;
}

static void test_election_by_priority_then_ip(void **s)
{
    (void)s;
    add_router(0x0a0a0a01, 100, true, NULL);
    add_router(0x0a0a0a02, 120, true, NULL);
    add_router(0x0a0a0a03, 100, true, NULL); /* ties with .1: the higher address wins */
    run_ms(12000);
    assert_int_equal(st(1), HSRP_ACTIVE);
    assert_int_equal(st(2), HSRP_STANDBY);
    assert_int_equal(st(0), HSRP_LISTEN);
    assert_true(lan.r[1].owns && !lan.r[0].owns && !lan.r[2].owns);
    assert_true(lan.r[1].sent_from_vmac); /* hellos from the virtual MAC while Active */
    assert_int_equal(lan.r[1].garps >= 1, 1);
    uint8_t v1mac[6] = {0x00, 0x00, 0x0c, 0x07, 0xac, 0x01};
    assert_memory_equal(lan.r[1].last_vmac, v1mac, 6);
    bool active;
    uint32_t vip;
    assert_true(hsrp_role(lan.r[1].h, "hsrp-Gi1-1", &active, &vip));
    assert_true(active);
    assert_int_equal(vip, 0x0a0a0a64);
    assert_int_equal(lan.max_active, 1);
}

static void test_crash_failover_within_hold_plus_hello(void **s)
{
    (void)s;
    add_router(0x0a0a0a01, 110, true, NULL);
    add_router(0x0a0a0a02, 100, true, NULL);
    run_ms(12000);
    assert_int_equal(st(0), HSRP_ACTIVE);
    assert_int_equal(st(1), HSRP_STANDBY);
    lan.r[0].dead = true; /* kill -9 and link down: silence, no resign */
    lan.r[0].owns = false;
    int64_t t = 0;
    while (st(1) != HSRP_ACTIVE && t < 10000) run_ms(10), t += 10;
    assert_int_equal(st(1), HSRP_ACTIVE);
    assert_true(t <= 3000 + 1000); /* hold time + one hello */
    assert_true(lan.r[1].owns);
    assert_int_equal(lan.max_active, 1);
}

static void test_resign_hands_over_at_once(void **s)
{
    (void)s;
    add_router(0x0a0a0a01, 110, true, NULL);
    add_router(0x0a0a0a02, 100, true, NULL);
    run_ms(12000);
    assert_int_equal(st(0), HSRP_ACTIVE);
    hsrp_group_remove(lan.r[0].h, "GigabitEthernet1", 1); /* sends Resign */
    lan.r[0].owns = false;
    pump(); /* no time passes */
    assert_int_equal(st(1), HSRP_ACTIVE);
    assert_int_equal(lan.max_active, 1);
}

static void test_preempt_on_and_off(void **s)
{
    (void)s;
    add_router(0x0a0a0a01, 100, true, NULL);
    run_ms(12000);
    assert_int_equal(st(0), HSRP_ACTIVE);
    add_router(0x0a0a0a02, 150, false, NULL); /* higher, but no preempt: stays standby */
    run_ms(12000);
    assert_int_equal(st(0), HSRP_ACTIVE);
    assert_int_equal(st(1), HSRP_STANDBY);
    add_router(0x0a0a0a03, 200, true, NULL); /* highest with preempt: Coup, takes over */
    run_ms(12000);
    assert_int_equal(st(2), HSRP_ACTIVE);
    assert_int_not_equal(st(0), HSRP_ACTIVE);
    assert_int_equal(lan.max_active, 1);
}

static void test_wrong_md5_key_stays_out(void **s)
{
    (void)s;
    add_router(0x0a0a0a01, 100, true, "rightkey");
    add_router(0x0a0a0a02, 90, true, "rightkey");
    add_router(0x0a0a0a03, 250, true, "wrongkey"); /* would win if heard */
    run_ms(10000);
    assert_int_equal(st(0), HSRP_ACTIVE);
    assert_int_equal(st(1), HSRP_STANDBY);
    /* The outsider hears nobody it trusts, so it believes itself Active: that is its own
     * business; the two real routers never acted on its packets. */
    assert_true(lan.r[0].owns && !lan.r[1].owns);
}

static void test_vip_learned_from_active(void **s)
{
    (void)s;
    add_router(0x0a0a0a01, 120, true, NULL);
    struct router *r = &lan.r[lan.n];
    memset(r, 0, sizeof *r);
    r->ip = 0x0a0a0a02;
    struct hsrp_port port = {
        .ctx = r, .send = p_send, .vip = p_vip, .vip_add = p_vip_add, .garp = p_garp};
    r->h = hsrp_new(lan.loop, &port, 99);
    uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
    hsrp_iface_set(r->h, "GigabitEthernet1", "eth0", "Gi1", r->ip, mac, true);
    struct hsrp_group_cfg c;
    hsrp_group_cfg_default(&c); /* no VIP: Learn state until the active router tells it */
    char err[128];
    assert_int_equal(hsrp_group_configure(r->h, "GigabitEthernet1", 1, &c, err, sizeof err), 0);
    lan.n++;
    assert_int_equal(st(1), HSRP_LEARN);
    run_ms(12000);
    assert_int_equal(st(1), HSRP_STANDBY);
    bool active;
    uint32_t vip;
    assert_true(hsrp_role(lan.r[1].h, "hsrp-Gi1-1", &active, &vip));
    assert_int_equal(vip, 0x0a0a0a64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_election_by_priority_then_ip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_failover_within_hold_plus_hello, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_resign_hands_over_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preempt_on_and_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_md5_key_stays_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vip_learned_from_active, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
