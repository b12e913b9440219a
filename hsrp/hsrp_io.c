/* HSRP's port onto the system: UDP 1985 in and out, the virtual IP on a macvlan with the
 * virtual MAC, gratuitous ARP. The engine (hsrp/) never sees a socket or a link. */
#include "hsrp/hsrp_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hsrp/hsrp.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/netif.h"
#include "platform/vmac.h"

#define HSRP_PORT 1985
#define HSRP_V1_GROUP 0xe0000002u /* 224.0.0.2 (RFC 2281 §5.1) */
#define HSRP_V2_GROUP 0xe0000066u /* 224.0.0.102 */

struct hsrp_io {
    loop_t *loop;
    struct netif *netif;
    struct hsrp *hsrp;
    int rx, tx;
    struct loop_watch *w;
    char joined[64][IFNAMSIZ]; /* interfaces whose multicast groups rx has joined */
    int njoined;
};

static void join(struct hsrp_io *o, const char *ifname)
{
    for (int k = 0; k < o->njoined; k++)
        if (!strcmp(o->joined[k], ifname)) return;
    int idx = (int)if_nametoindex(ifname);
    if (!idx || o->njoined == 64) return;
    uint32_t groups[2] = {HSRP_V1_GROUP, HSRP_V2_GROUP};
    for (int g = 0; g < 2; g++) {
        struct ip_mreqn mr = {.imr_multiaddr.s_addr = htonl(groups[g]), .imr_ifindex = idx};
        setsockopt(o->rx, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr);
    }
    snprintf(o->joined[o->njoined++], IFNAMSIZ, "%s", ifname);
}

static void forget(struct hsrp_io *o, const char *ifname)
{
    for (int k = 0; k < o->njoined; k++)
        if (!strcmp(o->joined[k], ifname)) {
            memmove(o->joined[k], o->joined[k + 1], (size_t)(o->njoined - k - 1) * IFNAMSIZ);
            o->njoined--;
            return;
        }
}

static int os_send(void *ctx, const char *ifname, int version, uint16_t group, uint32_t src,
                   const uint8_t *vmac, const uint8_t *pkt, size_t len)
{
    struct hsrp_io *o = ctx;
    join(o, ifname);
    /* While Active, hellos leave from the virtual MAC (RFC 2281 §6.1): through the macvlan
     * that carries it. The source address stays the interface's own (IP_PKTINFO). */
    char out[VMAC_NAME_SIZE];
    if (vmac)
        vmac_name(ifname, group, out, sizeof out);
    else
        snprintf(out, sizeof out, "%s", ifname);
    int idx = (int)if_nametoindex(out);
    if (!idx) return -ENODEV;
    struct sockaddr_in dst = {.sin_family = AF_INET,
                              .sin_port = htons(HSRP_PORT),
                              .sin_addr.s_addr =
                                  htonl(version == 2 ? HSRP_V2_GROUP : HSRP_V1_GROUP)};
    char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = {0};
    struct iovec iov = {(void *)pkt, len};
    struct msghdr mh = {.msg_name = &dst,
                        .msg_namelen = sizeof dst,
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cbuf,
                        .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi = {.ipi_ifindex = idx, .ipi_spec_dst.s_addr = htonl(src)};
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    struct ip_mreqn mr = {.imr_ifindex = idx};
    setsockopt(o->tx, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr);
    ssize_t n = sendmsg(o->tx, &mh, 0);
    return n == (ssize_t)len ? 0 : -errno;
}

static int os_vip(void *ctx, const char *ifname, uint16_t group, const uint8_t vmac[6],
                  uint32_t vip, bool own)
{
    struct hsrp_io *o = ctx;
    char name[VMAC_NAME_SIZE];
    vmac_name(ifname, group, name, sizeof name);
    if (!own) {
        forget(o, name);
        return vmac_destroy(o->netif, name);
    }
    int rc = vmac_create(o->netif, ifname, name, vmac);
    if (rc == 0) rc = vmac_add_vip(o->netif, name, vip, 32);
    if (rc) {
        vmac_destroy(o->netif, name);
        return rc;
    }
    /* Another Active router's hellos carry our virtual MAC as their source; the macvlan
     * driver then delivers them to the macvlan, where they must still be heard. */
    join(o, name);
    return 0;
}

static int os_vip_add(void *ctx, const char *ifname, uint16_t group, uint32_t vip)
{
    struct hsrp_io *o = ctx;
    char name[VMAC_NAME_SIZE];
    vmac_name(ifname, group, name, sizeof name);
    return vmac_add_vip(o->netif, name, vip, 32);
}

static int os_garp(void *ctx, const char *ifname, uint16_t group, const uint8_t vmac[6],
                   uint32_t vip)
{
    (void)ctx;
    char name[VMAC_NAME_SIZE];
    vmac_name(ifname, group, name, sizeof name);
    return vmac_send_garp(name, vmac, vip);
}

/* "heth0.1" -> "eth0"; "h4.1" (the fallback for long names) -> the name of ifindex 4. */
static void vmac_parent(const char *name, char *out, size_t len)
{
    char tmp[IF_NAMESIZE];
    snprintf(tmp, sizeof tmp, "%s", name + 1);
    char *dot = strrchr(tmp, '.');
    if (dot) *dot = '\0';
    char *end;
    unsigned long idx = strtoul(tmp, &end, 10);
    char byidx[IF_NAMESIZE];
    if (*tmp && !*end && if_indextoname((unsigned)idx, byidx))
        snprintf(out, len, "%s", byidx);
    else
        snprintf(out, len, "%s", tmp);
}

static void on_rx(loop_t *l, int fd, uint32_t events, void *arg)
{
    (void)l, (void)events;
    struct hsrp_io *o = arg;
    for (int budget = 0; budget < 64; budget++) {
        uint8_t buf[512];
        char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct sockaddr_in src;
        struct iovec iov = {buf, sizeof buf};
        struct msghdr mh = {.msg_name = &src,
                            .msg_namelen = sizeof src,
                            .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = cbuf,
                            .msg_controllen = sizeof cbuf};
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0) return;
        int idx = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
                idx = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
        char ifname[IF_NAMESIZE];
        if (!idx || !if_indextoname((unsigned)idx, ifname)) continue;
        /* A frame whose source is our own virtual MAC (another router that is Active too,
         * for a moment) is handed by the macvlan driver to our macvlan, not to the parent:
         * it still belongs to the parent's HSRP. */
        if (vmac_name_matches(ifname)) vmac_parent(ifname, ifname, sizeof ifname);
        hsrp_input(o->hsrp, ifname, ntohl(src.sin_addr.s_addr), buf, (size_t)n);
    }
}

struct hsrp_io *hsrp_io_new(loop_t *loop, struct netif *netif, struct hsrp_port *port)
{
    struct hsrp_io *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->loop = loop;
    o->netif = netif;
    o->rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    o->tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int on = 1, off = 0, ttl = 1, tos = 0xc0;
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(HSRP_PORT)};
    if (o->rx < 0 || o->tx < 0 || setsockopt(o->rx, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
        setsockopt(o->rx, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) ||
        bind(o->rx, (struct sockaddr *)&any, sizeof any) ||
        setsockopt(o->tx, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) ||
        setsockopt(o->tx, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off) ||
        setsockopt(o->tx, IPPROTO_IP, IP_TOS, &tos, sizeof tos) ||
        setsockopt(o->tx, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
        bind(o->tx, (struct sockaddr *)&any, sizeof any)) {
        ilog(3, "HSRP", "SOCKET", "cannot open UDP %d: %s", HSRP_PORT, strerror(errno));
        if (o->rx >= 0) close(o->rx);
        if (o->tx >= 0) close(o->tx);
        free(o);
        return NULL;
    }
    o->w = loop_watch_fd(loop, o->rx, EPOLLIN, on_rx, o);
    *port = (struct hsrp_port){
        .ctx = o, .send = os_send, .vip = os_vip, .vip_add = os_vip_add, .garp = os_garp};
    int stale = vmac_flush_stale(netif); /* what a crashed predecessor left */
    if (stale > 0) ilog(4, "HSRP", "CLEANUP", "removed %d virtual MAC link(s) left behind", stale);
    return o;
}

void hsrp_io_attach(struct hsrp_io *o, struct hsrp *h)
{
    o->hsrp = h;
}

void hsrp_io_free(struct hsrp_io *o)
{
    if (!o) return;
    loop_unwatch(o->loop, o->w);
    close(o->rx);
    close(o->tx);
    free(o);
}
