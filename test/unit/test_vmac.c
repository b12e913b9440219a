/* The HSRP virtual MAC's macvlan, VIP and gratuitous ARP, checked from the wire. Runs inside a
 * private network namespace: the host's links are never touched. Skips (exit 0) when not root
 * or when `ip netns` is unavailable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns_test.h"
#include "platform/netif.h"
#include "platform/vmac.h"

#define VETH_A "ikgt-a"
#define VETH_B "ikgt-b"
#define VMAC "hikgt-a.1"

static const uint8_t MAC1[6] = {0x00, 0x00, 0x0c, 0x07, 0xac, 0x01};
static const uint8_t MAC2[6] = {0x00, 0x00, 0x0c, 0x9f, 0xf0, 0x01};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static const char *enter_namespace(void)
{
    const char *why = netns_enter("vmac");
    if (why) return why;
    if (run("ip link add " VETH_A " type veth peer name " VETH_B) != 0)
        return "cannot create a veth pair";
    if (run("ip link set " VETH_A " up && ip link set " VETH_B " up") != 0)
        return "cannot bring the veth pair up";
    if (run("ip addr add 192.0.2.1/24 dev " VETH_A) != 0) return "cannot address " VETH_A;
    /* A macvlan needs the kernel's macvlan driver (autoloaded as rtnl-link-macvlan). */
    if (run("ip link add link " VETH_A " name ikgt-probe type macvlan mode private 2>/dev/null") !=
        0)
        return "no macvlan support in this kernel";
    run("ip link del ikgt-probe");
    nif = netif_open();
    if (!nif) return "netif_open() failed";
    return NULL;
}

/* Host order, as the vmac API takes addresses. */
static uint32_t hip(const char *s)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) fail_msg("bad address %s", s);
    return ntohl(a.s_addr);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool link_exists(const char *name)
{
    struct netif_link l;
    return netif_link_get(nif, name, &l) == 0;
}

static struct netif_link get_link(const char *name)
{
    struct netif_link l;
    int rc = netif_link_get(nif, name, &l);
    if (rc != 0) fail_msg("netif_link_get(%s): %s", name, netif_strerror(rc));
    return l;
}

/* The carrier follows through the kernel's linkwatch, not synchronously. */
static void wait_oper_up(const char *name)
{
    for (int i = 0; i < 150; i++) {
        if (get_link(name).oper_up) return;
        sleep_ms(20);
    }
    fail_msg("%s never came up", name);
}

static int read_conf(const char *family, const char *ifname, const char *key)
{
    char path[160];
    snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, key);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot read %s", path);
    int v = -1;
    if (fscanf(f, "%d", &v) != 1) v = -1;
    fclose(f);
    return v;
}

static void mac_text(const uint8_t mac[6], char *buf, size_t len)
{
    snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

/* `ip -d link show` agrees: a private-mode macvlan on the parent, with the MAC, admin up. */
static void assert_macvlan(const char *name, const uint8_t mac[6])
{
    char out[4096], want[64], m[32];
    capture(out, sizeof(out), "ip -d link show %s", name);
    snprintf(want, sizeof(want), "%s@" VETH_A ":", name);
    if (!strstr(out, want)) fail_msg("not on " VETH_A ":\n%s", out);
    if (!strstr(out, "macvlan mode private")) fail_msg("not a private macvlan:\n%s", out);
    mac_text(mac, m, sizeof(m));
    snprintf(want, sizeof(want), "link/ether %s ", m);
    if (!strstr(out, want)) fail_msg("no %s:\n%s", want, out);
    char flags[256] = "";
    const char *lt = strchr(out, '<');
    if (lt) sscanf(lt, "<%255[^>]>", flags);
    if (!strstr(flags, ",UP") && strncmp(flags, "UP", 2) != 0) fail_msg("not up:\n%s", out);
}

static void test_name(void **state)
{
    (void)state;
    char buf[VMAC_NAME_SIZE];
    vmac_name("eth0", 1, buf, sizeof(buf));
    assert_string_equal(buf, "heth0.1");
    vmac_name("enp0s31f6", 4095, buf, sizeof(buf));
    assert_string_equal(buf, "henp0s31f6.4095"); /* exactly 15 */
    vmac_name("eth0.100", 2, buf, sizeof(buf));
    assert_string_equal(buf, "heth0.100.2");

    char small[4] = "xyz";
    vmac_name("eth0", 1, small, sizeof(small));
    assert_string_equal(small, "");
    /* too long, and no such parent to take the ifindex of */
    vmac_name("ikgt-nosuchlink", 1, buf, sizeof(buf));
    assert_string_equal(buf, "");
    vmac_name(NULL, 1, buf, sizeof(buf));
    assert_string_equal(buf, "");

    assert_true(vmac_name_matches("heth0.1"));
    assert_true(vmac_name_matches("h4.4095"));
    assert_true(vmac_name_matches("heth0.100.2"));
    assert_false(vmac_name_matches("eth0.1"));
    assert_false(vmac_name_matches("h.1"));
    assert_false(vmac_name_matches("heth0."));
    assert_false(vmac_name_matches("heth0.1a"));
    assert_false(vmac_name_matches("heth0"));
    assert_false(vmac_name_matches("mv0"));
    assert_false(vmac_name_matches(NULL));
}

static void test_name_fallback(void **state)
{
    (void)state;
    require_namespace();
    char buf[VMAC_NAME_SIZE], want[VMAC_NAME_SIZE];
    /* "hikgt-a.123456789" would be 17 characters */
    vmac_name(VETH_A, 123456789, buf, sizeof(buf));
    snprintf(want, sizeof(want), "h%d.123456789", get_link(VETH_A).ifindex);
    assert_string_equal(buf, want);
    assert_true(vmac_name_matches(buf));
    vmac_name(VETH_A, 1, buf, sizeof(buf));
    assert_string_equal(buf, VMAC);
}

static void test_create(void **state)
{
    (void)state;
    require_namespace();
    char name[VMAC_NAME_SIZE];
    vmac_name(VETH_A, 1, name, sizeof(name));
    assert_int_equal(vmac_create(nif, VETH_A, name, MAC1), 0);
    assert_macvlan(name, MAC1);
    struct netif_link l = get_link(name);
    assert_memory_equal(l.mac, MAC1, 6);
    assert_true(l.admin_up);

    assert_int_equal(read_conf("ipv4", VETH_A, "arp_ignore"), 1);
    assert_int_equal(read_conf("ipv4", VETH_A, "promote_secondaries"), 1);
    assert_int_equal(read_conf("ipv4", name, "arp_ignore"), 1);
    assert_int_equal(read_conf("ipv4", name, "promote_secondaries"), 1);
    assert_int_equal(read_conf("ipv4", name, "rp_filter"), 2);
    assert_int_equal(read_conf("ipv6", name, "disable_ipv6"), 1);
    char out[2048];
    capture(out, sizeof(out), "ip -6 addr show dev %s", name);
    assert_string_equal(out, "");

    /* the same again keeps the link */
    assert_int_equal(vmac_create(nif, VETH_A, name, MAC1), 0);
    assert_int_equal(get_link(name).ifindex, l.ifindex);

    assert_int_equal(vmac_destroy(nif, name), 0);
    assert_false(link_exists(name));
    assert_int_equal(vmac_destroy(nif, name), 0);
}

static void test_create_errors(void **state)
{
    (void)state;
    require_namespace();
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    static const uint8_t zero[6];
    assert_int_equal(vmac_create(nif, "ikgt-absent", "hikgt-absent.1", MAC1), -ENODEV);
    assert_int_equal(vmac_create(nif, VETH_A, "", MAC1), -EINVAL);
    assert_int_equal(vmac_create(nif, VETH_A, "mv1", MAC1), -EINVAL);
    assert_int_equal(vmac_create(nif, VETH_A, VMAC, mcast), -EINVAL);
    assert_int_equal(vmac_create(nif, VETH_A, VMAC, zero), -EINVAL);
    assert_false(link_exists(VMAC));

    /* a link with a vmac-like name that is not a macvlan is never touched */
    assert_int_equal(run("ip link add hikgt-v.5 type veth peer name ikgt-v5p"), 0);
    assert_int_equal(vmac_create(nif, VETH_A, "hikgt-v.5", MAC1), -EEXIST);
    assert_int_equal(vmac_destroy(nif, "hikgt-v.5"), -EEXIST);
    assert_true(link_exists("hikgt-v.5"));
    assert_int_equal(vmac_flush_stale(nif), 0);
    assert_true(link_exists("hikgt-v.5"));
    assert_int_equal(run("ip link del hikgt-v.5"), 0);
}

static void test_vip(void **state)
{
    (void)state;
    require_namespace();
    char out[2048];
    assert_int_equal(vmac_create(nif, VETH_A, VMAC, MAC1), 0);
    assert_int_equal(vmac_add_vip(nif, VMAC, hip("192.0.2.254"), 32), 0);
    assert_int_equal(vmac_add_vip(nif, VMAC, hip("192.0.2.254"), 32), 0);
    capture(out, sizeof(out), "ip -4 -o addr show dev " VMAC);
    assert_non_null(strstr(out, "inet 192.0.2.254/32 "));
    /* the parent keeps only its own address */
    capture(out, sizeof(out), "ip -4 -o addr show dev " VETH_A);
    assert_null(strstr(out, "192.0.2.254"));

    assert_int_equal(vmac_del_vip(nif, VMAC, hip("192.0.2.254"), 32), 0);
    capture(out, sizeof(out), "ip -4 -o addr show dev " VMAC);
    assert_string_equal(out, "");
    assert_int_equal(vmac_del_vip(nif, VMAC, hip("192.0.2.254"), 32), 0);

    /* destroying the macvlan takes the VIP with it */
    assert_int_equal(vmac_add_vip(nif, VMAC, hip("192.0.2.254"), 32), 0);
    assert_int_equal(vmac_destroy(nif, VMAC), 0);
    capture(out, sizeof(out), "ip -4 -o addr show to 192.0.2.254");
    assert_string_equal(out, "");
    assert_int_equal(vmac_del_vip(nif, VMAC, hip("192.0.2.254"), 32), 0);
    assert_int_equal(vmac_add_vip(nif, VMAC, hip("192.0.2.254"), 32), -ENODEV);
}

static void test_recreate(void **state)
{
    (void)state;
    require_namespace();
    assert_int_equal(vmac_create(nif, VETH_A, VMAC, MAC1), 0);
    int before = get_link(VMAC).ifindex;
    assert_int_equal(vmac_create(nif, VETH_A, VMAC, MAC2), 0);
    assert_macvlan(VMAC, MAC2);
    assert_int_not_equal(get_link(VMAC).ifindex, before);

    /* a leftover in another mode is re-created too */
    assert_int_equal(vmac_destroy(nif, VMAC), 0);
    assert_int_equal(run("ip link add link " VETH_A " name " VMAC
                         " address 00:00:0c:07:ac:01 type macvlan mode bridge"),
                     0);
    before = get_link(VMAC).ifindex;
    assert_int_equal(vmac_create(nif, VETH_A, VMAC, MAC1), 0);
    assert_macvlan(VMAC, MAC1);
    assert_int_not_equal(get_link(VMAC).ifindex, before);
    assert_int_equal(vmac_destroy(nif, VMAC), 0);
}

static void test_flush_stale(void **state)
{
    (void)state;
    require_namespace();
    assert_int_equal(run("ip link add link " VETH_A " name hikgt-a.7 type macvlan mode private"),
                     0);
    assert_int_equal(run("ip link add link " VETH_B " name hikgt-b.8 address 00:00:0c:07:ac:08 "
                         "type macvlan mode private && ip addr add 198.51.100.8/32 dev hikgt-b.8"),
                     0);
    assert_int_equal(run("ip link add link " VETH_A " name mv0 type macvlan mode private"), 0);
    assert_int_equal(vmac_flush_stale(nif), 2);
    assert_false(link_exists("hikgt-a.7"));
    assert_false(link_exists("hikgt-b.8"));
    assert_true(link_exists("mv0"));
    char out[1024];
    capture(out, sizeof(out), "ip -4 -o addr show to 198.51.100.8");
    assert_string_equal(out, "");
    assert_int_equal(vmac_flush_stale(nif), 0);
    assert_int_equal(run("ip link del mv0"), 0);
}

/* A packet socket for ARP on ifname, receiving only what arrives there from the wire. */
static int arp_socket(const char *ifname)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP));
    assert_true(fd >= 0);
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ARP),
        .sll_ifindex = (int)if_nametoindex(ifname),
    };
    assert_int_not_equal(sll.sll_ifindex, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
    return fd;
}

struct arp_frame {
    uint8_t dst[6], src[6];
    int op;
    uint8_t sha[6], tha[6];
    uint32_t spa, tpa; /* host order */
};

/* The next ARP frame received (not sent) on fd before deadline (now_ms()); false if none. */
static bool recv_arp(int fd, long deadline, struct arp_frame *a)
{
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0) return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0) continue;
        uint8_t f[1600];
        struct sockaddr_ll from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, f, sizeof(f), 0, (struct sockaddr *)&from, &fl);
        if (n < 42 || from.sll_pkttype == PACKET_OUTGOING) continue;
        if (f[12] != 0x08 || f[13] != 0x06 || f[14] != 0 || f[15] != 1 || f[16] != 0x08 ||
            f[17] != 0 || f[18] != 6 || f[19] != 4)
            continue;
        memcpy(a->dst, f, 6);
        memcpy(a->src, f + 6, 6);
        a->op = f[20] << 8 | f[21];
        memcpy(a->sha, f + 22, 6);
        memcpy(&a->spa, f + 28, 4);
        memcpy(a->tha, f + 32, 6);
        memcpy(&a->tpa, f + 38, 4);
        a->spa = ntohl(a->spa);
        a->tpa = ntohl(a->tpa);
        return true;
    }
}

static void test_garp(void **state)
{
    (void)state;
    require_namespace();
    assert_int_equal(vmac_create(nif, VETH_A, VMAC, MAC1), 0);
    assert_int_equal(vmac_add_vip(nif, VMAC, hip("192.0.2.254"), 32), 0);
    wait_oper_up(VETH_B);
    wait_oper_up(VMAC);

    int fd = arp_socket(VETH_B);
    assert_int_equal(vmac_send_garp(VMAC, MAC1, hip("192.0.2.254")), 0);
    struct arp_frame a;
    bool got = false;
    long deadline = now_ms() + 2000;
    while (!got && recv_arp(fd, deadline, &a)) got = a.spa == hip("192.0.2.254");
    close(fd);
    assert_true(got);
    assert_memory_equal(a.dst, BCAST, 6);
    assert_memory_equal(a.src, MAC1, 6);
    assert_int_equal(a.op, 2);
    assert_memory_equal(a.sha, MAC1, 6);
    assert_memory_equal(a.tha, MAC1, 6);
    assert_int_equal(a.spa, hip("192.0.2.254"));
    assert_int_equal(a.tpa, hip("192.0.2.254"));

    assert_int_equal(vmac_send_garp("ikgt-absent", MAC1, hip("192.0.2.254")), -ENODEV);
    assert_int_equal(vmac_destroy(nif, VMAC), 0);
}

struct replies {
    int n, from_vmac, from_parent, other;
};

/* Who answers an ARP request for target, asked from ikgt-b's side by a host 192.0.2.2 that is
 * not configured anywhere here (a local sender address would be a martian to the kernel). */
static struct replies who_has(uint32_t target)
{
    uint8_t bmac[6], amac[6];
    memcpy(bmac, get_link(VETH_B).mac, 6);
    memcpy(amac, get_link(VETH_A).mac, 6);
    int fd = arp_socket(VETH_B);

    uint8_t f[60] = {0};
    uint32_t spa = htonl(hip("192.0.2.2")), tpa = htonl(target);
    memcpy(f, BCAST, 6);
    memcpy(f + 6, bmac, 6);
    f[12] = 0x08;
    f[13] = 0x06;
    const uint8_t hdr[8] = {0, 1, 0x08, 0, 6, 4, 0, 1};
    memcpy(f + 14, hdr, sizeof(hdr));
    memcpy(f + 22, bmac, 6);
    memcpy(f + 28, &spa, 4);
    memcpy(f + 38, &tpa, 4);
    struct sockaddr_ll to = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ARP),
        .sll_ifindex = (int)if_nametoindex(VETH_B),
        .sll_halen = 6,
    };
    memcpy(to.sll_addr, BCAST, 6);
    assert_int_equal(sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)),
                     (ssize_t)sizeof(f));

    /* Collect every answer for a while: the one that must not come would come as fast. */
    struct replies r = {0};
    struct arp_frame a;
    long deadline = now_ms() + 700;
    while (recv_arp(fd, deadline, &a)) {
        if (a.op != 2 || a.spa != target) continue;
        assert_memory_equal(a.dst, bmac, 6);
        assert_memory_equal(a.tha, bmac, 6);
        assert_int_equal(a.tpa, hip("192.0.2.2"));
        r.n++;
        if (memcmp(a.sha, MAC1, 6) == 0 && memcmp(a.src, MAC1, 6) == 0)
            r.from_vmac++;
        else if (memcmp(a.sha, amac, 6) == 0 && memcmp(a.src, amac, 6) == 0)
            r.from_parent++;
        else
            r.other++;
    }
    close(fd);
    return r;
}

static void test_arp_answered_by_vmac(void **state)
{
    (void)state;
    require_namespace();
    assert_int_equal(vmac_create(nif, VETH_A, VMAC, MAC1), 0);
    assert_int_equal(vmac_add_vip(nif, VMAC, hip("192.0.2.254"), 32), 0);
    wait_oper_up(VETH_B);
    wait_oper_up(VMAC);

    /* the VIP: the virtual MAC only */
    struct replies r = who_has(hip("192.0.2.254"));
    assert_int_equal(r.from_vmac, 1);
    assert_int_equal(r.from_parent, 0);
    assert_int_equal(r.other, 0);

    /* the parent's own address: the parent's MAC only, never the virtual one */
    r = who_has(hip("192.0.2.1"));
    assert_int_equal(r.from_parent, 1);
    assert_int_equal(r.from_vmac, 0);
    assert_int_equal(r.other, 0);

    /* Control: without arp_ignore on the parent it answers for the VIP too, with its own MAC
     * (which is what arp_ignore=1 is there to prevent). */
    assert_int_equal(netif_ipv4_conf(VETH_A, "arp_ignore", 0), 0);
    r = who_has(hip("192.0.2.254"));
    assert_int_equal(r.from_parent, 1);
    assert_int_equal(r.from_vmac, 1);
    assert_int_equal(netif_ipv4_conf(VETH_A, "arp_ignore", 1), 0);

    /* A strict reverse-path filter on the host must not silence the VIP: its senders are
     * routed through the parent, and only the macvlan's loose rp_filter=2 lets ARP through. */
    assert_int_equal(read_conf("ipv4", VMAC, "rp_filter"), 2);
    assert_int_equal(netif_ipv4_conf("all", "rp_filter", 1), 0);
    r = who_has(hip("192.0.2.254"));
    assert_int_equal(r.from_vmac, 1);
    assert_int_equal(netif_ipv4_conf(VMAC, "rp_filter", 0), 0); /* control */
    r = who_has(hip("192.0.2.254"));
    assert_int_equal(r.n, 0);
    assert_int_equal(netif_ipv4_conf("all", "rp_filter", 0), 0);
    assert_int_equal(netif_ipv4_conf(VMAC, "rp_filter", 2), 0);

    /* no VIP, no answer */
    assert_int_equal(vmac_del_vip(nif, VMAC, hip("192.0.2.254"), 32), 0);
    r = who_has(hip("192.0.2.254"));
    assert_int_equal(r.n, 0);
    assert_int_equal(vmac_destroy(nif, VMAC), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_name_fallback),
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_vip),
        cmocka_unit_test(test_recreate),
        cmocka_unit_test(test_flush_stale),
        cmocka_unit_test(test_garp),
        cmocka_unit_test(test_arp_answered_by_vmac),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
