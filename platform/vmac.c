#include "vmac.h"

#include <net/if.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netif.h"

/* A netlink socket of our own for what struct netif does not offer (link kinds, macvlans),
 * with the kernel's errno captured before libnl folds it into its coarser codes. */
struct vsk {
    struct nl_sock *sk;
    int kerr;
};

static int on_msg_in(struct nl_msg *msg, void *arg)
{
    struct vsk *v = arg;
    struct nlmsghdr *h = nlmsg_hdr(msg);
    if (h->nlmsg_type != NLMSG_ERROR || nlmsg_datalen(h) < (int)sizeof(struct nlmsgerr))
        return NL_OK;
    const struct nlmsgerr *e = nlmsg_data(h);
    if (e->error < 0) v->kerr = -e->error;
    return NL_OK;
}

static int vsk_open(struct vsk *v)
{
    v->kerr = 0;
    v->sk = nl_socket_alloc();
    if (!v->sk) return -ENOMEM;
    if (nl_connect(v->sk, NETLINK_ROUTE) < 0 ||
        nl_socket_modify_cb(v->sk, NL_CB_MSG_IN, NL_CB_CUSTOM, on_msg_in, v) < 0) {
        nl_socket_free(v->sk);
        v->sk = NULL;
        return -EIO;
    }
    /* Link dumps can be large. */
    nl_socket_enable_msg_peek(v->sk);
    return 0;
}

static void vsk_close(struct vsk *v)
{
    if (v->sk) nl_socket_free(v->sk);
    v->sk = NULL;
}

/* libnl result -> 0 or -errno, preferring the errno the kernel sent. */
static int vsk_result(struct vsk *v, int nlrc)
{
    if (nlrc >= 0) return 0;
    if (v->kerr) return -v->kerr;
    switch (-nlrc) {
    case NLE_NOMEM: return -ENOMEM;
    case NLE_EXIST: return -EEXIST;
    case NLE_INVAL: return -EINVAL;
    case NLE_RANGE: return -ERANGE;
    case NLE_OPNOTSUPP: return -EOPNOTSUPP;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV: return -ENODEV;
    case NLE_BUSY: return -EBUSY;
    case NLE_PERM: return -EPERM;
    case NLE_NOACCESS: return -EACCES;
    case NLE_AGAIN: return -EAGAIN;
    case NLE_INTR: return -EINTR;
    default: return -EIO;
    }
}

static bool valid_ifname(const char *name)
{
    return name && *name && strlen(name) < IFNAMSIZ && !strchr(name, '/');
}

/* The link called name, or NULL with 0 if there is none. */
static int link_by_name(struct vsk *v, const char *name, struct rtnl_link **out)
{
    *out = NULL;
    v->kerr = 0;
    int rc = vsk_result(v, rtnl_link_get_kernel(v->sk, 0, name, out));
    if (rc == -ENODEV) return 0;
    if (rc < 0) *out = NULL;
    return rc;
}

static bool is_macvlan(struct rtnl_link *link)
{
    const char *kind = rtnl_link_get_type(link);
    return kind && strcmp(kind, "macvlan") == 0;
}

static int delete_link(struct vsk *v, struct rtnl_link *link)
{
    v->kerr = 0;
    int rc = vsk_result(v, rtnl_link_delete(v->sk, link));
    /* Gone meanwhile (its parent went, or someone else deleted it). */
    return rc == -ENODEV ? 0 : rc;
}

bool vmac_name_matches(const char *name)
{
    if (!name || name[0] != 'h') return false;
    const char *dot = strrchr(name, '.');
    if (!dot || dot - name < 2 || !dot[1]) return false;
    for (const char *p = dot + 1; *p; p++) {
        if (*p < '0' || *p > '9') return false;
    }
    return true;
}

void vmac_name(const char *parent, unsigned group, char *buf, size_t len)
{
    if (!buf || !len) return;
    buf[0] = '\0';
    if (!valid_ifname(parent)) return;
    char name[64];
    int w = snprintf(name, sizeof(name), "h%s.%u", parent, group);
    if (w < 0 || w >= IFNAMSIZ) {
        unsigned ifindex = if_nametoindex(parent);
        if (!ifindex) return;
        w = snprintf(name, sizeof(name), "h%u.%u", ifindex, group);
        if (w < 0 || w >= IFNAMSIZ) return;
    }
    if ((size_t)w < len) memcpy(buf, name, (size_t)w + 1);
}

static int write_proc(const char *path, int value)
{
    FILE *f = fopen(path, "w");
    if (!f) return -errno;
    int rc = fprintf(f, "%d\n", value) < 0 ? -EIO : 0;
    if (fclose(f) && !rc) rc = -errno;
    return rc;
}

/* No IPv6 on the macvlan: its link-local address, DAD, router and MLD solicitations would all
 * leave from the virtual MAC. Not an error where the kernel has no IPv6. */
static int disable_ipv6(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
    int rc = write_proc(path, 1);
    return rc == -ENOENT ? 0 : rc;
}

static int macvlan_add(struct vsk *v, const char *name, int parent_ifindex, const uint8_t mac[6])
{
    struct rtnl_link *link = rtnl_link_macvlan_alloc();
    struct nl_addr *addr = nl_addr_build(AF_LLC, mac, 6);
    int rc = -ENOMEM;
    if (!link || !addr) goto out;
    rtnl_link_set_name(link, name);
    rtnl_link_set_link(link, parent_ifindex);
    rtnl_link_set_addr(link, addr);
    v->kerr = 0;
    rc = vsk_result(v, rtnl_link_macvlan_set_mode(link, MACVLAN_MODE_PRIVATE));
    if (rc < 0) goto out;
    /* Created down: the sysctls are in place before it sends or answers anything. */
    v->kerr = 0;
    rc = vsk_result(v, rtnl_link_add(v->sk, link, NLM_F_CREATE | NLM_F_EXCL));
out:
    nl_addr_put(addr);
    if (link) rtnl_link_put(link);
    return rc;
}

/* Whether an existing macvlan already is what vmac_create would make. */
static bool macvlan_fits(struct rtnl_link *link, int parent_ifindex, const uint8_t mac[6])
{
    struct nl_addr *a = rtnl_link_get_addr(link);
    return rtnl_link_get_link(link) == parent_ifindex &&
           rtnl_link_macvlan_get_mode(link) == MACVLAN_MODE_PRIVATE && a &&
           nl_addr_get_len(a) == 6 && memcmp(nl_addr_get_binary_addr(a), mac, 6) == 0;
}

static int configure(struct netif *n, const char *parent, const char *name)
{
    int rc = disable_ipv6(name);
    if (rc == 0) rc = netif_ipv4_conf(name, "arp_ignore", 1);
    if (rc == 0) rc = netif_ipv4_conf(name, "promote_secondaries", 1);
    /* The peers of the VIP are routed through the parent, so strict reverse-path filtering
     * (net.ipv4.conf.all.rp_filter=1) would drop every ARP request for the VIP. The kernel uses
     * the larger of "all" and the link's value: 2, loose, wins over strict. */
    if (rc == 0) rc = netif_ipv4_conf(name, "rp_filter", 2);
    if (rc == 0) rc = netif_ipv4_conf(parent, "arp_ignore", 1);
    /* ARP requests the parent sends for traffic sourced from the VIP must carry the parent's
     * own address, or every neighbour would map the VIP to the parent's MAC. */
    if (rc == 0) rc = netif_ipv4_conf(parent, "arp_announce", 2);
    if (rc == 0) rc = netif_ipv4_conf(parent, "promote_secondaries", 1);
    if (rc == 0) rc = netif_link_set_up(n, name, true);
    return rc;
}

int vmac_create(struct netif *n, const char *parent, const char *name, const uint8_t mac[6])
{
    struct netif_link p;
    if (!valid_ifname(parent)) return -ENODEV;
    int rc = netif_link_get(n, parent, &p);
    if (rc < 0) return rc;
    if (!valid_ifname(name) || !vmac_name_matches(name) || strcmp(name, parent) == 0)
        return -EINVAL;
    static const uint8_t zero[6];
    if (!mac || (mac[0] & 1) || memcmp(mac, zero, 6) == 0) return -EINVAL;

    struct vsk v;
    rc = vsk_open(&v);
    if (rc < 0) return rc;
    struct rtnl_link *old;
    rc = link_by_name(&v, name, &old);
    bool create = true;
    if (rc == 0 && old) {
        if (!is_macvlan(old))
            rc = -EEXIST;
        else if (macvlan_fits(old, p.ifindex, mac))
            create = false;
        else
            rc = delete_link(&v, old);
        rtnl_link_put(old);
    }
    if (rc == 0 && create) rc = macvlan_add(&v, name, p.ifindex, mac);
    if (rc == 0) {
        rc = configure(n, parent, name);
        /* A half-made macvlan must not stay behind. */
        if (rc < 0 && create && link_by_name(&v, name, &old) == 0 && old) {
            (void)delete_link(&v, old);
            rtnl_link_put(old);
        }
    }
    vsk_close(&v);
    return rc;
}

int vmac_destroy(struct netif *n, const char *name)
{
    (void)n;
    if (!valid_ifname(name)) return 0;
    struct vsk v;
    int rc = vsk_open(&v);
    if (rc < 0) return rc;
    struct rtnl_link *link;
    rc = link_by_name(&v, name, &link);
    if (rc == 0 && link) {
        rc = is_macvlan(link) ? delete_link(&v, link) : -EEXIST;
        rtnl_link_put(link);
    }
    vsk_close(&v);
    return rc;
}

int vmac_add_vip(struct netif *n, const char *name, uint32_t vip, int prefixlen)
{
    return netif_addr_add(n, name, htonl(vip), prefixlen, NULL);
}

int vmac_del_vip(struct netif *n, const char *name, uint32_t vip, int prefixlen)
{
    int rc = netif_addr_del(n, name, htonl(vip), prefixlen);
    return rc == -EADDRNOTAVAIL || rc == -ENODEV ? 0 : rc;
}

int vmac_flush_stale(struct netif *n)
{
    (void)n;
    struct vsk v;
    int rc = vsk_open(&v);
    if (rc < 0) return rc;
    struct nl_cache *cache;
    rc = vsk_result(&v, rtnl_link_alloc_cache(v.sk, AF_UNSPEC, &cache));
    if (rc < 0) {
        vsk_close(&v);
        return rc;
    }
    int deleted = 0, first_err = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_link *link = (struct rtnl_link *)o;
        if (!is_macvlan(link) || !vmac_name_matches(rtnl_link_get_name(link))) continue;
        rc = delete_link(&v, link);
        if (rc == 0)
            deleted++;
        else if (!first_err)
            first_err = rc;
    }
    nl_cache_free(cache);
    vsk_close(&v);
    return first_err ? first_err : deleted;
}

/* Ethernet header, then the ARP packet for Ethernet/IPv4; padded to the minimum frame. */
enum { ARP_OFF = 14, FRAME_LEN = 60 };

int vmac_send_garp(const char *ifname, const uint8_t mac[6], uint32_t vip)
{
    if (!valid_ifname(ifname)) return -ENODEV;
    if (!mac) return -EINVAL;
    errno = 0;
    unsigned ifindex = if_nametoindex(ifname);
    if (!ifindex) return errno ? -errno : -ENODEV;

    uint8_t f[FRAME_LEN] = {0};
    uint8_t *arp = f + ARP_OFF;
    uint32_t ip = htonl(vip);
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    f[12] = ETH_P_ARP >> 8;
    f[13] = ETH_P_ARP & 0xff;
    arp[0] = 0; /* hardware: Ethernet */
    arp[1] = 1;
    arp[2] = ETH_P_IP >> 8; /* protocol: IPv4 */
    arp[3] = ETH_P_IP & 0xff;
    arp[4] = 6;
    arp[5] = 4;
    arp[6] = 0; /* op: reply */
    arp[7] = 2;
    memcpy(arp + 8, mac, 6);
    memcpy(arp + 14, &ip, 4);
    memcpy(arp + 18, mac, 6);
    memcpy(arp + 24, &ip, 4);

    /* Protocol 0: a send-only socket, never queued a copy of received frames. */
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ARP),
        .sll_ifindex = (int)ifindex,
        .sll_halen = 6,
    };
    memset(sll.sll_addr, 0xff, 6);
    ssize_t w = sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll));
    int rc = w < 0 ? -errno : w != (ssize_t)sizeof(f) ? -EIO : 0;
    close(fd);
    return rc;
}
