/* Links, IPv4 addresses and routes of the current network namespace, through rtnetlink.
 * Every call is synchronous and returns 0 (or a count) on success, -errno on failure; the
 * errno is the kernel's own where the kernel refused. A struct netif is not thread-safe. */
#ifndef IKEGATE_NETIF_H
#define IKEGATE_NETIF_H

#include <stdbool.h>
#include <stdint.h>

/* rtnetlink route protocol of the routes ikegate installs (unused in iproute2's rt_protos). */
#define NETIF_RTPROT_IKEGATE 0xd1

struct netif;

/* The socket belongs to the network namespace of the calling thread. NULL on failure. */
struct netif *netif_open(void);
void netif_close(struct netif *n);

struct netif_link {
    int ifindex;
    char name[16];
    bool admin_up; /* IFF_UP */
    bool oper_up;  /* IFF_RUNNING or IFF_LOWER_UP, while admin_up */
    unsigned char mac[6];
    unsigned mtu;
};

/* -ENODEV if there is no such link. */
int netif_link_get(struct netif *n, const char *name, struct netif_link *out);
int netif_link_set_up(struct netif *n, const char *name, bool up);

struct netif_addr {
    uint32_t addr; /* network order */
    int prefixlen;
    char label[16];
    bool secondary;
};

/* IPv4 addresses of a link in kernel order (primaries, then secondaries); with a non-NULL
 * label only those with exactly that label. Stores at most max and returns how many were
 * stored, or with out NULL returns how many there are; -errno on failure. */
int netif_addr_list(struct netif *n, const char *ifname, const char *label, struct netif_addr *out,
                    int max);
/* label NULL: the kernel's default, the link name. Adding an existing address is not an error;
 * the kernel adds the connected route. */
int netif_addr_add(struct netif *n, const char *ifname, uint32_t addr, int prefixlen,
                   const char *label);
/* -EADDRNOTAVAIL if the link has no such address. */
int netif_addr_del(struct netif *n, const char *ifname, uint32_t addr, int prefixlen);

/* Static routes in the main table, installed with protocol NETIF_RTPROT_IKEGATE and the IOS
 * administrative distance as metric. gateway 0: an interface route (oif required); oif NULL:
 * the kernel picks the interface towards the gateway. Adding an existing identical route is not
 * an error. Deleting only matches ikegate's routes; metric 0 there matches any metric, and
 * -ESRCH means no such route. */
int netif_route_add(struct netif *n, uint32_t dst, int prefixlen, uint32_t gateway, const char *oif,
                    int metric);
int netif_route_del(struct netif *n, uint32_t dst, int prefixlen, uint32_t gateway, const char *oif,
                    int metric);
/* Deletes every main-table IPv4 route with this protocol; returns how many, or -errno. */
int netif_route_flush_proto(struct netif *n, int protocol);

struct netif_route {
    uint32_t dst; /* network order, as gateway */
    int prefixlen;
    uint32_t gateway; /* 0 for interface routes; of the first nexthop if multipath */
    char oif[16];
    int protocol;
    int metric;
    int scope;
    int type; /* RTN_UNICAST or RTN_LOCAL */
};

/* Unicast IPv4 routes of the main table and, with include_local, the local routes of the local
 * table (the addresses of the box, IOS "L"). Count semantics as netif_addr_list. */
int netif_route_list(struct netif *n, bool include_local, struct netif_route *out, int max);

/* Set a per-link IPv4 sysctl (net.ipv4.conf.IFNAME.KEY), e.g. promote_secondaries or
 * arp_ignore. 0 or -errno. */
int netif_ipv4_conf(const char *ifname, const char *key, int value);

/* A short human-readable text for a return code of the calls above. */
const char *netif_strerror(int rc);
/* The kernel's explanation of the last failed call (netlink extended ack), e.g. "Nexthop has
 * invalid gateway", or "" if it gave none. Valid until the next call on n. */
const char *netif_last_detail(const struct netif *n);

#endif
