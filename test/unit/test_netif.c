/* Runs inside a private network namespace: the host's links, addresses and routes are never
 * touched. Skips (exit 0) when not root or when `ip netns` is unavailable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns_test.h"
#include "platform/netif.h"

#define VETH_A "ikgt-a"
#define VETH_B "ikgt-b"

static const char *enter_namespace(void)
{
    const char *why = netns_enter("netif");
    if (why) return why;
    if (run("ip link add " VETH_A " type veth peer name " VETH_B) != 0)
        return "cannot create a veth pair";
    nif = netif_open();
    if (!nif) return "netif_open() failed";
    return NULL;
}

static uint32_t ip(const char *s)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) fail_msg("bad address %s", s);
    return a.s_addr;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static struct netif_link get_link(const char *name)
{
    struct netif_link l;
    int rc = netif_link_get(nif, name, &l);
    if (rc != 0) fail_msg("netif_link_get(%s): %s", name, netif_strerror(rc));
    return l;
}

/* The carrier of a veth follows its peer through the kernel's linkwatch, not synchronously. */
static bool wait_oper(const char *name, bool up)
{
    for (int i = 0; i < 150; i++) {
        if (get_link(name).oper_up == up) return true;
        sleep_ms(20);
    }
    return false;
}

static void test_namespace(void **state)
{
    (void)state;
    require_namespace();
    char mine[64] = "", child[64];
    assert_true(readlink("/proc/self/ns/net", mine, sizeof(mine) - 1) > 0);
    capture(child, sizeof(child), "readlink /proc/self/ns/net");
    assert_string_equal(mine, child);
    assert_int_not_equal(ns_inode(host_ns_fd), 0);
    char host[64];
    snprintf(host, sizeof(host), "net:[%lu]", (unsigned long)ns_inode(host_ns_fd));
    assert_string_not_equal(mine, host);
}

static void test_link_get(void **state)
{
    (void)state;
    require_namespace();
    struct netif_link l;
    assert_int_equal(netif_link_get(nif, "ikgt-absent", &l), -ENODEV);
    assert_string_equal(netif_strerror(-ENODEV), "No such interface");
    assert_int_equal(netif_link_get(nif, "", &l), -ENODEV);
    assert_int_equal(netif_link_get(nif, "abcdefghijklmnopq", &l), -ENODEV);

    l = get_link("lo");
    assert_int_equal(l.ifindex, 1);
    assert_string_equal(l.name, "lo");
    assert_int_equal(l.mtu, 65536);

    l = get_link(VETH_A);
    assert_true(l.ifindex > 1);
    assert_string_equal(l.name, VETH_A);
    assert_int_equal(l.mtu, 1500);
    assert_false(l.admin_up);
    assert_false(l.oper_up);
    char want[32], got[32];
    capture(want, sizeof(want), "ip -br link show dev %s | awk '{print $3}'", VETH_A);
    snprintf(got, sizeof(got), "%02x:%02x:%02x:%02x:%02x:%02x", l.mac[0], l.mac[1], l.mac[2],
             l.mac[3], l.mac[4], l.mac[5]);
    assert_string_equal(got, want);
    assert_int_not_equal(get_link(VETH_B).ifindex, l.ifindex);
}

static void test_link_up_down(void **state)
{
    (void)state;
    require_namespace();
    assert_int_equal(netif_link_set_up(nif, "ikgt-absent", true), -ENODEV);

    assert_int_equal(netif_link_set_up(nif, VETH_A, true), 0);
    struct netif_link l = get_link(VETH_A);
    assert_true(l.admin_up);
    assert_false(l.oper_up); /* the peer is still down */

    assert_int_equal(netif_link_set_up(nif, VETH_B, true), 0);
    assert_true(get_link(VETH_B).admin_up);
    assert_true(wait_oper(VETH_A, true));
    assert_true(wait_oper(VETH_B, true));

    assert_int_equal(netif_link_set_up(nif, VETH_A, false), 0);
    l = get_link(VETH_A);
    assert_false(l.admin_up);
    assert_false(l.oper_up);
    assert_true(wait_oper(VETH_B, false));

    /* idempotent */
    assert_int_equal(netif_link_set_up(nif, VETH_A, false), 0);
    assert_int_equal(netif_link_set_up(nif, VETH_B, false), 0);
    assert_false(get_link(VETH_B).admin_up);
}

static void test_addresses(void **state)
{
    (void)state;
    require_namespace();
    struct netif_addr a[8];
    assert_int_equal(netif_link_set_up(nif, VETH_A, true), 0);
    assert_int_equal(netif_addr_list(nif, VETH_A, NULL, a, 8), 0);

    assert_int_equal(netif_addr_add(nif, VETH_A, ip("192.0.2.1"), 24, NULL), 0);
    assert_int_equal(netif_addr_add(nif, VETH_A, ip("192.0.2.1"), 24, NULL), 0);
    assert_int_equal(netif_addr_list(nif, VETH_A, NULL, a, 8), 1);
    assert_int_equal(a[0].addr, ip("192.0.2.1"));
    assert_int_equal(a[0].prefixlen, 24);
    assert_string_equal(a[0].label, VETH_A);
    assert_false(a[0].secondary);

    /* same subnet: the kernel makes it a secondary, as IOS "ip address ... secondary" */
    assert_int_equal(netif_addr_add(nif, VETH_A, ip("192.0.2.2"), 24, NULL), 0);
    assert_int_equal(netif_addr_add(nif, VETH_A, ip("198.51.100.1"), 25, VETH_A ":7"), 0);
    /* the kernel keeps primaries first, secondaries last */
    assert_int_equal(netif_addr_list(nif, VETH_A, NULL, a, 8), 3);
    assert_int_equal(a[0].addr, ip("192.0.2.1"));
    assert_false(a[0].secondary);
    assert_int_equal(a[1].addr, ip("198.51.100.1"));
    assert_int_equal(a[1].prefixlen, 25);
    assert_string_equal(a[1].label, VETH_A ":7");
    assert_false(a[1].secondary);
    assert_int_equal(a[2].addr, ip("192.0.2.2"));
    assert_int_equal(a[2].prefixlen, 24);
    assert_true(a[2].secondary);

    assert_int_equal(netif_addr_list(nif, VETH_A, NULL, NULL, 0), 3);
    assert_int_equal(netif_addr_list(nif, VETH_A, NULL, a, 1), 1);
    assert_int_equal(netif_addr_list(nif, VETH_A, VETH_A ":7", a, 8), 1);
    assert_int_equal(a[0].addr, ip("198.51.100.1"));
    assert_int_equal(netif_addr_list(nif, VETH_A, VETH_A, a, 8), 2);
    assert_int_equal(netif_addr_list(nif, VETH_B, NULL, a, 8), 0);

    char out[256];
    capture(out, sizeof(out), "ip -4 -o addr show dev %s label %s:7 | awk '{print $4}'", VETH_A,
            VETH_A);
    assert_string_equal(out, "198.51.100.1/25");

    /* the prefix length is part of the address's identity */
    int rc = netif_addr_del(nif, VETH_A, ip("192.0.2.1"), 16);
    assert_int_equal(rc, -EADDRNOTAVAIL);
    assert_string_equal(netif_strerror(rc), "No such address on the interface");
    assert_int_equal(netif_addr_del(nif, VETH_A, ip("192.0.2.9"), 24), -EADDRNOTAVAIL);

    assert_int_equal(netif_addr_del(nif, VETH_A, ip("192.0.2.2"), 24), 0);
    assert_int_equal(netif_addr_del(nif, VETH_A, ip("192.0.2.1"), 24), 0);
    assert_int_equal(netif_addr_del(nif, VETH_A, ip("198.51.100.1"), 25), 0);
    assert_int_equal(netif_addr_list(nif, VETH_A, NULL, a, 8), 0);
    assert_int_equal(netif_addr_del(nif, VETH_A, ip("192.0.2.1"), 24), -EADDRNOTAVAIL);

    assert_int_equal(netif_addr_add(nif, "ikgt-absent", ip("192.0.2.1"), 24, NULL), -ENODEV);
    assert_int_equal(netif_addr_list(nif, "ikgt-absent", NULL, a, 8), -ENODEV);
    assert_int_equal(netif_addr_add(nif, VETH_A, ip("192.0.2.1"), 33, NULL), -EINVAL);
    assert_int_equal(netif_addr_add(nif, VETH_A, ip("192.0.2.1"), 24, "0123456789abcdef"), -EINVAL);
}

static void test_loopback_label(void **state)
{
    (void)state;
    require_namespace();
    struct netif_addr a[8];
    assert_int_equal(netif_link_set_up(nif, "lo", true), 0);
    assert_int_equal(netif_addr_add(nif, "lo", ip("10.255.0.5"), 32, "lo:5"), 0);
    assert_int_equal(netif_addr_add(nif, "lo", ip("10.255.0.6"), 32, "lo:6"), 0);

    assert_int_equal(netif_addr_list(nif, "lo", "lo:5", a, 8), 1);
    assert_int_equal(a[0].addr, ip("10.255.0.5"));
    assert_int_equal(a[0].prefixlen, 32);
    assert_string_equal(a[0].label, "lo:5");
    assert_int_equal(netif_addr_list(nif, "lo", "lo:50", a, 8), 0);
    assert_int_equal(netif_addr_list(nif, "lo", "lo", a, 8), 1);
    assert_int_equal(a[0].addr, ip("127.0.0.1"));
    assert_int_equal(netif_addr_list(nif, "lo", NULL, a, 8), 3);

    char out[256];
    capture(out, sizeof(out), "ip -4 -o addr show dev lo label lo:5 | awk '{print $4}'");
    assert_string_equal(out, "10.255.0.5/32");

    /* a Loopback's address shows up as a local route, IOS "L" */
    struct netif_route r[64];
    int n = netif_route_list(nif, true, r, 64);
    assert_true(n > 0);
    bool found = false;
    for (int i = 0; i < n; i++) {
        if (r[i].dst == ip("10.255.0.5") && r[i].type == RTN_LOCAL) {
            assert_int_equal(r[i].prefixlen, 32);
            assert_string_equal(r[i].oif, "lo");
            found = true;
        }
    }
    assert_true(found);

    assert_int_equal(netif_addr_del(nif, "lo", ip("10.255.0.5"), 32), 0);
    assert_int_equal(netif_addr_del(nif, "lo", ip("10.255.0.6"), 32), 0);
    assert_int_equal(netif_addr_list(nif, "lo", "lo:5", a, 8), 0);
    assert_int_equal(netif_addr_list(nif, "lo", NULL, a, 8), 1);
}

static const struct netif_route *find_route(const struct netif_route *r, int n, const char *dst,
                                            int prefixlen, int type, int protocol)
{
    for (int i = 0; i < n; i++) {
        if (r[i].dst == ip(dst) && r[i].prefixlen == prefixlen && r[i].type == type &&
            (protocol < 0 || r[i].protocol == protocol))
            return &r[i];
    }
    return NULL;
}

static int count_proto(const struct netif_route *r, int n, int protocol)
{
    int c = 0;
    for (int i = 0; i < n; i++) c += r[i].protocol == protocol;
    return c;
}

static void test_routes(void **state)
{
    (void)state;
    require_namespace();
    assert_int_equal(netif_link_set_up(nif, VETH_A, true), 0);
    assert_int_equal(netif_link_set_up(nif, VETH_B, true), 0);
    assert_int_equal(netif_addr_add(nif, VETH_A, ip("203.0.113.1"), 24, NULL), 0);

    uint32_t gw = ip("203.0.113.254");
    assert_int_equal(netif_route_add(nif, ip("198.51.100.0"), 24, gw, NULL, 1), 0);
    assert_int_equal(netif_route_add(nif, ip("198.51.100.0"), 24, gw, NULL, 1), 0);
    assert_int_equal(netif_route_add(nif, ip("10.20.0.0"), 16, 0, VETH_A, 5), 0);
    assert_int_equal(netif_route_add(nif, 0, 0, gw, VETH_A, 1), 0);

    struct netif_route r[64];
    int n = netif_route_list(nif, false, r, 64);
    assert_true(n >= 4);
    assert_int_equal(count_proto(r, n, NETIF_RTPROT_IKEGATE), 3);

    const struct netif_route *e = find_route(r, n, "198.51.100.0", 24, RTN_UNICAST, -1);
    assert_non_null(e);
    assert_int_equal(e->protocol, NETIF_RTPROT_IKEGATE);
    assert_int_equal(e->gateway, gw);
    assert_string_equal(e->oif, VETH_A); /* resolved by the kernel */
    assert_int_equal(e->metric, 1);
    assert_int_equal(e->scope, RT_SCOPE_UNIVERSE);

    e = find_route(r, n, "10.20.0.0", 16, RTN_UNICAST, -1);
    assert_non_null(e);
    assert_int_equal(e->protocol, NETIF_RTPROT_IKEGATE);
    assert_int_equal(e->gateway, 0);
    assert_string_equal(e->oif, VETH_A);
    assert_int_equal(e->metric, 5);
    assert_int_equal(e->scope, RT_SCOPE_LINK);

    e = find_route(r, n, "0.0.0.0", 0, RTN_UNICAST, -1);
    assert_non_null(e);
    assert_int_equal(e->protocol, NETIF_RTPROT_IKEGATE);
    assert_int_equal(e->gateway, gw);

    e = find_route(r, n, "203.0.113.0", 24, RTN_UNICAST, -1);
    assert_non_null(e);
    assert_int_equal(e->protocol, RTPROT_KERNEL);
    assert_int_equal(e->gateway, 0);
    assert_string_equal(e->oif, VETH_A);
    assert_null(find_route(r, n, "203.0.113.1", 32, RTN_LOCAL, -1));

    char out[64];
    capture(out, sizeof(out), "ip -4 route show table main proto %d | wc -l", NETIF_RTPROT_IKEGATE);
    assert_string_equal(out, "3");

    n = netif_route_list(nif, true, r, 64);
    e = find_route(r, n, "203.0.113.1", 32, RTN_LOCAL, -1);
    assert_non_null(e);
    assert_string_equal(e->oif, VETH_A);
    assert_int_equal(netif_route_list(nif, true, NULL, 0), n);
    assert_int_equal(netif_route_list(nif, true, r, 2), 2);

    /* deleting needs the exact route, and only ever removes ikegate's */
    int rc = netif_route_del(nif, ip("10.20.0.0"), 16, 0, VETH_A, 6);
    assert_int_equal(rc, -ESRCH);
    assert_string_equal(netif_strerror(rc), "No such route");
    assert_int_equal(netif_route_del(nif, ip("10.20.0.0"), 16, 0, VETH_A, 5), 0);
    assert_int_equal(netif_route_del(nif, ip("10.20.0.0"), 16, 0, VETH_A, 5), -ESRCH);
    assert_int_equal(netif_route_add(nif, ip("10.20.0.0"), 16, 0, VETH_A, 5), 0);

    assert_int_equal(run("ip route add 100.64.0.0/10 via 203.0.113.253 proto static"), 0);
    assert_int_equal(netif_route_del(nif, ip("100.64.0.0"), 10, ip("203.0.113.253"), NULL, 0),
                     -ESRCH);

    assert_int_equal(netif_route_flush_proto(nif, NETIF_RTPROT_IKEGATE), 3);
    n = netif_route_list(nif, false, r, 64);
    assert_int_equal(count_proto(r, n, NETIF_RTPROT_IKEGATE), 0);
    e = find_route(r, n, "100.64.0.0", 10, RTN_UNICAST, -1);
    assert_non_null(e);
    assert_int_equal(e->protocol, RTPROT_STATIC);
    assert_non_null(find_route(r, n, "203.0.113.0", 24, RTN_UNICAST, -1));
    assert_int_equal(netif_route_flush_proto(nif, NETIF_RTPROT_IKEGATE), 0);

    assert_int_equal(run("ip route del 100.64.0.0/10"), 0);
    assert_int_equal(netif_addr_del(nif, VETH_A, ip("203.0.113.1"), 24), 0);
}

static void test_route_errors(void **state)
{
    (void)state;
    require_namespace();
    assert_int_equal(netif_link_set_up(nif, VETH_A, true), 0);
    assert_int_equal(netif_addr_add(nif, VETH_A, ip("203.0.113.1"), 24, NULL), 0);

    int rc = netif_route_add(nif, ip("10.99.0.0"), 16, ip("172.16.0.1"), NULL, 1);
    assert_int_equal(rc, -ENETUNREACH);
    printf("unreachable gateway: %s (%s)\n", netif_strerror(rc), netif_last_detail(nif));
    assert_string_equal(netif_strerror(rc), "Network is unreachable");
    assert_true(strlen(netif_last_detail(nif)) > 0);

    rc = netif_route_add(nif, ip("10.1.2.3"), 16, ip("203.0.113.254"), NULL, 1);
    assert_int_equal(rc, -EINVAL);
    printf("host bits set: %s (%s)\n", netif_strerror(rc), netif_last_detail(nif));
    assert_true(strlen(netif_last_detail(nif)) > 0);

    assert_int_equal(netif_route_add(nif, ip("10.1.0.0"), 16, 0, NULL, 1), -EINVAL);
    assert_string_equal(netif_last_detail(nif), "");
    assert_int_equal(netif_route_add(nif, ip("10.1.0.0"), 16, 0, "ikgt-absent", 1), -ENODEV);
    assert_int_equal(netif_route_add(nif, ip("10.1.0.0"), 33, 0, VETH_A, 1), -EINVAL);
    assert_int_equal(netif_route_add(nif, ip("10.1.0.0"), 16, 0, VETH_A, -1), -EINVAL);
    assert_int_equal(netif_route_del(nif, ip("10.1.0.0"), 16, 0, VETH_A, 1), -ESRCH);

    /* a successful call clears the detail */
    assert_int_equal(netif_route_add(nif, ip("10.1.0.0"), 16, 0, VETH_A, 1), 0);
    assert_string_equal(netif_last_detail(nif), "");
    assert_int_equal(netif_route_del(nif, ip("10.1.0.0"), 16, 0, VETH_A, 1), 0);

    assert_string_equal(netif_strerror(0), "Success");
    assert_string_equal(netif_strerror(-EEXIST), "Already exists");
    assert_non_null(netif_strerror(-100000));
    assert_int_equal(netif_addr_del(nif, VETH_A, ip("203.0.113.1"), 24), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_namespace),      cmocka_unit_test(test_link_get),
        cmocka_unit_test(test_link_up_down),   cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_loopback_label), cmocka_unit_test(test_routes),
        cmocka_unit_test(test_route_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
