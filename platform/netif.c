#include "netif.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct netif {
    struct nl_sock *sk;
    /* What the kernel said about the last request, captured before libnl folds the errno
     * into its own, coarser codes (ENETUNREACH becomes "Unspecific failure"). */
    int kerr;
    char detail[160];
};

static int on_msg_in(struct nl_msg *msg, void *arg)
{
    struct netif *n = arg;
    struct nlmsghdr *h = nlmsg_hdr(msg);
    if (h->nlmsg_type != NLMSG_ERROR || nlmsg_datalen(h) < (int)sizeof(struct nlmsgerr))
        return NL_OK;
    const struct nlmsgerr *e = nlmsg_data(h);
    if (e->error >= 0) return NL_OK;
    n->kerr = -e->error;
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return NL_OK;

    size_t payload = sizeof(*e);
    if (!(h->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
        payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
    size_t off = NLMSG_ALIGN(payload);
    if (off >= (size_t)nlmsg_datalen(h)) return NL_OK;
    const struct nlattr *tlvs = (const struct nlattr *)((const char *)e + off);
    struct nlattr *m = nla_find(tlvs, nlmsg_datalen(h) - (int)off, NLMSGERR_ATTR_MSG);
    if (m) nla_strlcpy(n->detail, m, sizeof(n->detail));
    return NL_OK;
}

struct netif *netif_open(void)
{
    struct netif *n = calloc(1, sizeof(*n));
    if (!n) return NULL;
    n->sk = nl_socket_alloc();
    if (!n->sk || nl_connect(n->sk, NETLINK_ROUTE) < 0) {
        netif_close(n);
        return NULL;
    }
    /* Large dumps must not be truncated; peeking sizes the receive buffer. */
    nl_socket_enable_msg_peek(n->sk);
    int one = 1;
    int fd = nl_socket_get_fd(n->sk);
    /* Best effort: older kernels just give no detail text. */
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
    if (nl_socket_modify_cb(n->sk, NL_CB_MSG_IN, NL_CB_CUSTOM, on_msg_in, n) < 0) {
        netif_close(n);
        return NULL;
    }
    return n;
}

void netif_close(struct netif *n)
{
    if (!n) return;
    if (n->sk) nl_socket_free(n->sk);
    free(n);
}

static void begin(struct netif *n)
{
    n->kerr = 0;
    n->detail[0] = '\0';
}

static int nle_to_errno(int nle)
{
    switch (nle) {
    case NLE_INTR: return EINTR;
    case NLE_BAD_SOCK: return EBADF;
    case NLE_AGAIN: return EAGAIN;
    case NLE_NOMEM: return ENOMEM;
    case NLE_EXIST: return EEXIST;
    case NLE_INVAL: return EINVAL;
    case NLE_RANGE: return ERANGE;
    case NLE_MSGSIZE: return EMSGSIZE;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NOATTR: return EINVAL;
    case NLE_MISSING_ATTR: return EINVAL;
    case NLE_AF_MISMATCH: return EAFNOSUPPORT;
    case NLE_SEQ_MISMATCH: return EPROTO;
    case NLE_MSG_OVERFLOW: return EOVERFLOW;
    case NLE_MSG_TRUNC: return EMSGSIZE;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_SRCRT_NOSUPPORT: return EOPNOTSUPP;
    case NLE_MSG_TOOSHORT: return EPROTO;
    case NLE_MSGTYPE_NOSUPPORT: return EOPNOTSUPP;
    case NLE_OBJ_MISMATCH: return EINVAL;
    case NLE_NOCACHE: return ENOENT;
    case NLE_BUSY: return EBUSY;
    case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
    case NLE_NOACCESS: return EACCES;
    case NLE_PERM: return EPERM;
    case NLE_PKTLOC_FILE: return ENOENT;
    case NLE_PARSE_ERR: return EPROTO;
    case NLE_NODEV: return ENODEV;
    case NLE_IMMUTABLE: return EPERM;
    case NLE_DUMP_INTR: return EINTR;
    case NLE_ATTRSIZE: return EPROTO;
    default: return EIO;
    }
}

/* libnl result -> 0 or -errno, preferring the errno the kernel sent. */
static int result(struct netif *n, int nlrc)
{
    if (nlrc >= 0) return 0;
    if (n->kerr) return -n->kerr;
    return -nle_to_errno(-nlrc);
}

static int link_lookup(struct netif *n, const char *name, struct rtnl_link **out)
{
    *out = NULL;
    begin(n);
    if (!name || !*name || strlen(name) >= IFNAMSIZ) return -ENODEV;
    int rc = result(n, rtnl_link_get_kernel(n->sk, 0, name, out));
    if (rc < 0) *out = NULL;
    return rc;
}

static int ifindex_of(struct netif *n, const char *name, int *ifindex)
{
    struct rtnl_link *link;
    int rc = link_lookup(n, name, &link);
    if (rc < 0) return rc;
    *ifindex = rtnl_link_get_ifindex(link);
    rtnl_link_put(link);
    return 0;
}

int netif_link_get(struct netif *n, const char *name, struct netif_link *out)
{
    struct rtnl_link *link;
    int rc = link_lookup(n, name, &link);
    if (rc < 0) return rc;

    memset(out, 0, sizeof(*out));
    out->ifindex = rtnl_link_get_ifindex(link);
    const char *kname = rtnl_link_get_name(link);
    snprintf(out->name, sizeof(out->name), "%s", kname ? kname : name);
    unsigned flags = rtnl_link_get_flags(link);
    out->admin_up = flags & IFF_UP;
    out->oper_up = out->admin_up && (flags & (IFF_RUNNING | IFF_LOWER_UP));
    struct nl_addr *mac = rtnl_link_get_addr(link);
    if (mac && nl_addr_get_len(mac) == sizeof(out->mac))
        memcpy(out->mac, nl_addr_get_binary_addr(mac), sizeof(out->mac));
    out->mtu = rtnl_link_get_mtu(link);
    rtnl_link_put(link);
    return 0;
}

int netif_link_set_up(struct netif *n, const char *name, bool up)
{
    struct rtnl_link *link;
    int rc = link_lookup(n, name, &link);
    if (rc < 0) return rc;
    struct rtnl_link *change = rtnl_link_alloc();
    if (!change) {
        rtnl_link_put(link);
        return -ENOMEM;
    }
    if (up)
        rtnl_link_set_flags(change, IFF_UP);
    else
        rtnl_link_unset_flags(change, IFF_UP);
    begin(n);
    rc = result(n, rtnl_link_change(n->sk, link, change, 0));
    rtnl_link_put(change);
    rtnl_link_put(link);
    return rc;
}

static uint32_t ipv4_of(struct nl_addr *a)
{
    uint32_t v = 0;
    if (a && nl_addr_get_len(a) == sizeof(v)) memcpy(&v, nl_addr_get_binary_addr(a), sizeof(v));
    return v;
}

static struct nl_addr *ipv4_addr(uint32_t addr, int prefixlen)
{
    struct nl_addr *a = nl_addr_build(AF_INET, &addr, sizeof(addr));
    if (a) nl_addr_set_prefixlen(a, prefixlen);
    return a;
}

int netif_addr_list(struct netif *n, const char *ifname, const char *label, struct netif_addr *out,
                    int max)
{
    int ifindex;
    int rc = ifindex_of(n, ifname, &ifindex);
    if (rc < 0) return rc;

    struct nl_cache *cache;
    begin(n);
    rc = result(n, rtnl_addr_alloc_cache(n->sk, &cache));
    if (rc < 0) return rc;

    int count = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_addr *a = (struct rtnl_addr *)o;
        if (rtnl_addr_get_family(a) != AF_INET || rtnl_addr_get_ifindex(a) != ifindex) continue;
        const char *alabel = rtnl_addr_get_label(a);
        if (!alabel) alabel = "";
        if (label && strcmp(alabel, label) != 0) continue;
        if (out) {
            if (count >= max) break;
            struct netif_addr *d = &out[count];
            memset(d, 0, sizeof(*d));
            d->addr = ipv4_of(rtnl_addr_get_local(a));
            d->prefixlen = rtnl_addr_get_prefixlen(a);
            snprintf(d->label, sizeof(d->label), "%s", alabel);
            d->secondary = rtnl_addr_get_flags(a) & IFA_F_SECONDARY;
        }
        count++;
    }
    nl_cache_free(cache);
    return count;
}

static int addr_request(struct netif *n, const char *ifname, uint32_t addr, int prefixlen,
                        const char *label, bool add)
{
    begin(n);
    if (prefixlen < 0 || prefixlen > 32) return -EINVAL;
    if (label && (!*label || strlen(label) >= IFNAMSIZ)) return -EINVAL;
    int ifindex;
    int rc = ifindex_of(n, ifname, &ifindex);
    if (rc < 0) return rc;

    struct rtnl_addr *a = rtnl_addr_alloc();
    struct nl_addr *local = ipv4_addr(addr, prefixlen);
    if (!a || !local) {
        rc = -ENOMEM;
        goto out;
    }
    rtnl_addr_set_ifindex(a, ifindex);
    rtnl_addr_set_family(a, AF_INET);
    begin(n);
    rc = result(n, rtnl_addr_set_local(a, local));
    if (rc < 0) goto out;
    rtnl_addr_set_prefixlen(a, prefixlen);
    if (label) {
        rc = result(n, rtnl_addr_set_label(a, label));
        if (rc < 0) goto out;
    }
    if (add) {
        rc = result(n, rtnl_addr_add(n->sk, a, 0));
        if (rc == -EEXIST) rc = 0;
    } else {
        rc = result(n, rtnl_addr_delete(n->sk, a, 0));
    }
out:
    nl_addr_put(local);
    rtnl_addr_put(a);
    return rc;
}

int netif_addr_add(struct netif *n, const char *ifname, uint32_t addr, int prefixlen,
                   const char *label)
{
    return addr_request(n, ifname, addr, prefixlen, label, true);
}

int netif_addr_del(struct netif *n, const char *ifname, uint32_t addr, int prefixlen)
{
    return addr_request(n, ifname, addr, prefixlen, NULL, false);
}

static int build_route(struct netif *n, uint32_t dst, int prefixlen, uint32_t gateway,
                       const char *oif, int metric, bool add, struct rtnl_route **out)
{
    *out = NULL;
    begin(n);
    if (prefixlen < 0 || prefixlen > 32 || metric < 0) return -EINVAL;
    if (!gateway && !oif) return -EINVAL;
    int ifindex = 0;
    if (oif) {
        int rc = ifindex_of(n, oif, &ifindex);
        if (rc < 0) return rc;
    }

    struct rtnl_route *r = rtnl_route_alloc();
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    struct nl_addr *d = ipv4_addr(dst, prefixlen);
    struct nl_addr *gw = gateway ? ipv4_addr(gateway, 32) : NULL;
    int rc = -ENOMEM;
    if (!r || !nh || !d || (gateway && !gw)) goto fail;

    begin(n);
    rc = result(n, rtnl_route_set_family(r, AF_INET));
    if (rc == 0) rc = result(n, rtnl_route_set_dst(r, d));
    if (rc == 0) rc = result(n, rtnl_route_set_type(r, RTN_UNICAST));
    if (rc < 0) goto fail;
    rtnl_route_set_table(r, RT_TABLE_MAIN);
    rtnl_route_set_protocol(r, NETIF_RTPROT_IKEGATE);
    if (add || metric) rtnl_route_set_priority(r, (uint32_t)metric);
    /* RT_SCOPE_NOWHERE makes a delete match any scope, as iproute2 does. */
    if (add)
        rtnl_route_set_scope(r, gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    else
        rtnl_route_set_scope(r, RT_SCOPE_NOWHERE);
    if (gw) rtnl_route_nh_set_gateway(nh, gw);
    if (ifindex) rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_add_nexthop(r, nh);
    nl_addr_put(d);
    nl_addr_put(gw);
    *out = r;
    return 0;

fail:
    if (nh) rtnl_route_nh_free(nh);
    nl_addr_put(d);
    nl_addr_put(gw);
    if (r) rtnl_route_put(r);
    return rc;
}

int netif_route_add(struct netif *n, uint32_t dst, int prefixlen, uint32_t gateway, const char *oif,
                    int metric)
{
    struct rtnl_route *r;
    int rc = build_route(n, dst, prefixlen, gateway, oif, metric, true, &r);
    if (rc < 0) return rc;
    begin(n);
    rc = result(n, rtnl_route_add(n->sk, r, 0));
    rtnl_route_put(r);
    return rc == -EEXIST ? 0 : rc;
}

int netif_route_del(struct netif *n, uint32_t dst, int prefixlen, uint32_t gateway, const char *oif,
                    int metric)
{
    struct rtnl_route *r;
    int rc = build_route(n, dst, prefixlen, gateway, oif, metric, false, &r);
    if (rc < 0) return rc;
    begin(n);
    rc = result(n, rtnl_route_delete(n->sk, r, 0));
    rtnl_route_put(r);
    return rc;
}

static int route_cache(struct netif *n, struct nl_cache **cache)
{
    begin(n);
    return result(n, rtnl_route_alloc_cache(n->sk, AF_INET, 0, cache));
}

int netif_route_flush_proto(struct netif *n, int protocol)
{
    struct nl_cache *cache;
    int rc = route_cache(n, &cache);
    if (rc < 0) return rc;

    int deleted = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_route *r = (struct rtnl_route *)o;
        if (rtnl_route_get_family(r) != AF_INET || rtnl_route_get_table(r) != RT_TABLE_MAIN ||
            rtnl_route_get_protocol(r) != protocol)
            continue;
        begin(n);
        rc = result(n, rtnl_route_delete(n->sk, r, 0));
        /* Already gone: someone else removed it since the dump. */
        if (rc == -ESRCH) continue;
        if (rc < 0) break;
        deleted++;
    }
    nl_cache_free(cache);
    return rc < 0 && rc != -ESRCH ? rc : deleted;
}

int netif_route_list(struct netif *n, bool include_local, struct netif_route *out, int max)
{
    struct nl_cache *links;
    begin(n);
    int rc = result(n, rtnl_link_alloc_cache(n->sk, AF_UNSPEC, &links));
    if (rc < 0) return rc;
    struct nl_cache *cache;
    rc = route_cache(n, &cache);
    if (rc < 0) {
        nl_cache_free(links);
        return rc;
    }

    int count = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_route *r = (struct rtnl_route *)o;
        uint32_t table = rtnl_route_get_table(r);
        int type = rtnl_route_get_type(r);
        if (rtnl_route_get_family(r) != AF_INET) continue;
        if (!(table == RT_TABLE_MAIN && type == RTN_UNICAST) &&
            !(include_local && table == RT_TABLE_LOCAL && type == RTN_LOCAL))
            continue;
        if (out) {
            if (count >= max) break;
            struct netif_route *d = &out[count];
            memset(d, 0, sizeof(*d));
            struct nl_addr *dst = rtnl_route_get_dst(r);
            d->dst = ipv4_of(dst);
            d->prefixlen = dst ? (int)nl_addr_get_prefixlen(dst) : 0;
            d->protocol = rtnl_route_get_protocol(r);
            d->metric = (int)rtnl_route_get_priority(r);
            d->scope = rtnl_route_get_scope(r);
            d->type = type;
            if (rtnl_route_get_nnexthops(r) > 0) {
                struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
                d->gateway = ipv4_of(rtnl_route_nh_get_gateway(nh));
                int ifindex = rtnl_route_nh_get_ifindex(nh);
                if (ifindex > 0 && !rtnl_link_i2name(links, ifindex, d->oif, sizeof(d->oif)))
                    d->oif[0] = '\0';
            }
        }
        count++;
    }
    nl_cache_free(cache);
    nl_cache_free(links);
    return count;
}

const char *netif_strerror(int rc)
{
    int e = rc < 0 ? -rc : rc;
    switch (e) {
    case 0: return "Success";
    case ENODEV: return "No such interface";
    case ESRCH: return "No such route";
    case EADDRNOTAVAIL: return "No such address on the interface";
    case EEXIST: return "Already exists";
    case EPERM: return "Operation not permitted (needs CAP_NET_ADMIN)";
    default: break;
    }
    const char *s = strerrordesc_np(e);
    return s ? s : "Unknown error";
}

const char *netif_last_detail(const struct netif *n)
{
    return n->detail;
}

int netif_ipv4_conf(const char *ifname, const char *key, int value)
{
    char path[128];
    if (!ifname || !*ifname || strchr(ifname, '/') || strlen(ifname) >= IFNAMSIZ ||
        strchr(key, '/'))
        return -EINVAL;
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/%s", ifname, key);
    FILE *f = fopen(path, "w");
    if (!f) return -errno;
    int rc = fprintf(f, "%d\n", value) < 0 ? -EIO : 0;
    if (fclose(f) && !rc) rc = -errno;
    return rc;
}
