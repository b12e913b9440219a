/* xfrm interfaces (route-based IPsec: one Linux link per IOS Virtual-Template, its if_id shared
 * by every session's SAs and policies) and the host routes through them, over NETLINK_ROUTE. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include "ipsec-xfrm/xfrm_priv.h"
#include "platform/netif.h"

#define RT_MSG_CAP 1024

static int rt_open(struct xfrm *x)
{
    if (x->rt) return 0;
    x->rt = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!x->rt) return -errno;
    if (mnl_socket_bind(x->rt, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = -errno;
        mnl_socket_close(x->rt);
        x->rt = NULL;
        return e;
    }
    x->rt_portid = mnl_socket_get_portid(x->rt);
    xfrm_sock_options(x->rt, true);
    return 0;
}

static bool name_ok(const char *name)
{
    return name && name[0] && strlen(name) < IFNAMSIZ;
}

static struct nlmsghdr *rt_start(uint8_t *buf, uint16_t type, uint16_t flags)
{
    memset(buf, 0, RT_MSG_CAP);
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    return nlh;
}

int xfrm_link_create(struct xfrm *x, const char *name, uint32_t if_id, const char *underlying)
{
    _Alignas(8) uint8_t buf[RT_MSG_CAP];
    uint32_t link = 0;
    if (!name_ok(name) || if_id == 0) return -EINVAL;
    if (underlying && !(link = if_nametoindex(underlying))) return -ENODEV;
    int rc = rt_open(x);
    if (rc) return rc;

    struct nlmsghdr *nlh = rt_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg ifi;
    memset(&ifi, 0, sizeof(ifi));
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_flags = IFF_UP; /* created up: rtnl_configure_link applies the flags */
    ifi.ifi_change = IFF_UP;
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(ifi)), &ifi, sizeof(ifi));
    if (!mnl_attr_put_strz_check(nlh, RT_MSG_CAP, IFLA_IFNAME, name)) return -EMSGSIZE;
    struct nlattr *info = mnl_attr_nest_start_check(nlh, RT_MSG_CAP, IFLA_LINKINFO);
    if (!info || !mnl_attr_put_strz_check(nlh, RT_MSG_CAP, IFLA_INFO_KIND, "xfrm"))
        return -EMSGSIZE;
    struct nlattr *data = mnl_attr_nest_start_check(nlh, RT_MSG_CAP, IFLA_INFO_DATA);
    if (!data || (link && !mnl_attr_put_u32_check(nlh, RT_MSG_CAP, IFLA_XFRM_LINK, link)) ||
        !mnl_attr_put_u32_check(nlh, RT_MSG_CAP, IFLA_XFRM_IF_ID, if_id))
        return -EMSGSIZE;
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    /* A kernel without the xfrm link type (and no module to load) says -EOPNOTSUPP. */
    return xfrm_nl_transact(x, x->rt, x->rt_portid, nlh, NULL, NULL);
}

struct link_reply {
    int ifindex;
    bool is_xfrm;
};

/* The RTM_NEWLINK answer to a GETLINK: its index and whether IFLA_INFO_KIND is "xfrm". */
static int on_link(const uint8_t *msg, size_t len, void *arg)
{
    struct link_reply *r = arg;
    struct xnl_msg m;
    struct ifinfomsg ifi;
    if (xnl_msg_read(msg, len, &m) < 0 || m.type != RTM_NEWLINK) return 0;
    if (m.plen < sizeof(ifi)) return -EPROTO;
    memcpy(&ifi, m.payload, sizeof(ifi));
    r->ifindex = ifi.ifi_index;
    size_t off = NLMSG_ALIGN(sizeof(ifi));
    struct xnl_attrs it, in;
    uint16_t type, t2;
    const uint8_t *d, *d2;
    size_t dlen, dlen2;
    xnl_attrs_init(&it, m.payload + off, m.plen - off);
    while (xnl_attr_next(&it, &type, &d, &dlen)) {
        if (type != IFLA_LINKINFO) continue;
        xnl_attrs_init(&in, d, dlen);
        while (xnl_attr_next(&in, &t2, &d2, &dlen2))
            if (t2 == IFLA_INFO_KIND && dlen2 >= 5 && memcmp(d2, "xfrm", 5) == 0) r->is_xfrm = true;
    }
    return 0;
}

int xfrm_link_delete(struct xfrm *x, const char *name)
{
    _Alignas(8) uint8_t buf[RT_MSG_CAP];
    if (!name_ok(name)) return -EINVAL;
    int rc = rt_open(x);
    if (rc) return rc;

    /* Only ever an xfrm link: a typo must not delete the uplink. */
    struct nlmsghdr *nlh = rt_start(buf, RTM_GETLINK, 0);
    struct ifinfomsg ifi;
    memset(&ifi, 0, sizeof(ifi));
    ifi.ifi_family = AF_UNSPEC;
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(ifi)), &ifi, sizeof(ifi));
    if (!mnl_attr_put_strz_check(nlh, RT_MSG_CAP, IFLA_IFNAME, name)) return -EMSGSIZE;
    struct link_reply r = {0};
    rc = xfrm_nl_transact(x, x->rt, x->rt_portid, nlh, on_link, &r);
    if (rc) return rc;
    if (r.ifindex <= 0) return -ENODEV;
    if (!r.is_xfrm) return -EINVAL;

    nlh = rt_start(buf, RTM_DELLINK, 0);
    ifi.ifi_index = r.ifindex;
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(ifi)), &ifi, sizeof(ifi));
    return xfrm_nl_transact(x, x->rt, x->rt_portid, nlh, NULL, NULL);
}

static int route_req(struct xfrm *x, uint16_t type, uint16_t flags, const char *ifname, int family,
                     const uint8_t dst[16], int prefixlen, int metric)
{
    _Alignas(8) uint8_t buf[RT_MSG_CAP];
    if (family != AF_INET && family != AF_INET6) return -EAFNOSUPPORT;
    int alen = family == AF_INET ? 4 : 16;
    if (prefixlen < 0 || prefixlen > alen * 8 || metric < 0 || !name_ok(ifname) || !dst)
        return -EINVAL;
    unsigned oif = if_nametoindex(ifname);
    if (!oif) return -ENODEV;
    int rc = rt_open(x);
    if (rc) return rc;

    struct nlmsghdr *nlh = rt_start(buf, type, flags);
    struct rtmsg r;
    memset(&r, 0, sizeof(r));
    r.rtm_family = (unsigned char)family;
    r.rtm_dst_len = (unsigned char)prefixlen;
    r.rtm_table = RT_TABLE_MAIN;
    r.rtm_protocol = NETIF_RTPROT_IKEGATE;
    /* Deleting with scope "nowhere" matches a route of any scope, as ip(8) does. */
    r.rtm_scope = type == RTM_NEWROUTE ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
    r.rtm_type = RTN_UNICAST;
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(r)), &r, sizeof(r));
    if (!mnl_attr_put_check(nlh, RT_MSG_CAP, RTA_DST, (size_t)alen, dst) ||
        !mnl_attr_put_u32_check(nlh, RT_MSG_CAP, RTA_OIF, oif) ||
        (metric && !mnl_attr_put_u32_check(nlh, RT_MSG_CAP, RTA_PRIORITY, (uint32_t)metric)))
        return -EMSGSIZE;
    return xfrm_nl_transact(x, x->rt, x->rt_portid, nlh, NULL, NULL);
}

int xfrm_route_add(struct xfrm *x, const char *ifname, int family, const uint8_t dst[16],
                   int prefixlen, int metric)
{
    return route_req(x, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifname, family, dst, prefixlen,
                     metric);
}

int xfrm_route_del(struct xfrm *x, const char *ifname, int family, const uint8_t dst[16],
                   int prefixlen, int metric)
{
    return route_req(x, RTM_DELROUTE, 0, ifname, family, dst, prefixlen, metric);
}

struct route_reply {
    uint32_t oif;
    uint8_t gw[16];
    bool has_gw;
};

/* The RTM_NEWROUTE answer to a GETROUTE: the output link and the next hop, if any. */
static int on_route(const uint8_t *msg, size_t len, void *arg)
{
    struct route_reply *r = arg;
    struct xnl_msg m;
    struct rtmsg rt;
    if (xnl_msg_read(msg, len, &m) < 0 || m.type != RTM_NEWROUTE) return 0;
    if (m.plen < sizeof(rt)) return -EPROTO;
    memcpy(&rt, m.payload, sizeof(rt));
    size_t off = NLMSG_ALIGN(sizeof(rt));
    struct xnl_attrs it;
    uint16_t type;
    const uint8_t *d;
    size_t dlen;
    xnl_attrs_init(&it, m.payload + off, m.plen - off);
    while (xnl_attr_next(&it, &type, &d, &dlen)) {
        if (type == RTA_OIF && dlen == 4) memcpy(&r->oif, d, 4);
        if (type == RTA_GATEWAY && dlen <= sizeof r->gw) {
            memcpy(r->gw, d, dlen);
            r->has_gw = true;
        }
    }
    return 0;
}

int xfrm_route_add_via(struct xfrm *x, int family, const uint8_t dst[16], int prefixlen,
                       uint32_t toward)
{
    _Alignas(8) uint8_t buf[RT_MSG_CAP];
    if (family != AF_INET || prefixlen < 0 || prefixlen > 32 || !dst) return -EINVAL;
    int rc = rt_open(x);
    if (rc) return rc;
    /* How does the kernel reach `toward` now? */
    struct nlmsghdr *nlh = rt_start(buf, RTM_GETROUTE, 0);
    struct rtmsg r;
    memset(&r, 0, sizeof(r));
    r.rtm_family = AF_INET;
    r.rtm_dst_len = 32;
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(r)), &r, sizeof(r));
    if (!mnl_attr_put_check(nlh, RT_MSG_CAP, RTA_DST, 4, &toward)) return -EMSGSIZE;
    struct route_reply rr = {0};
    rc = xfrm_nl_transact(x, x->rt, x->rt_portid, nlh, on_route, &rr);
    if (rc) return rc;
    if (!rr.oif) return -ENETUNREACH;
    nlh = rt_start(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    memset(&r, 0, sizeof(r));
    r.rtm_family = AF_INET;
    r.rtm_dst_len = (unsigned char)prefixlen;
    r.rtm_table = RT_TABLE_MAIN;
    r.rtm_protocol = NETIF_RTPROT_IKEGATE;
    r.rtm_scope = rr.has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    r.rtm_type = RTN_UNICAST;
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(r)), &r, sizeof(r));
    if (!mnl_attr_put_check(nlh, RT_MSG_CAP, RTA_DST, 4, dst) ||
        !mnl_attr_put_u32_check(nlh, RT_MSG_CAP, RTA_OIF, rr.oif) ||
        (rr.has_gw && !mnl_attr_put_check(nlh, RT_MSG_CAP, RTA_GATEWAY, 4, rr.gw)))
        return -EMSGSIZE;
    return xfrm_nl_transact(x, x->rt, x->rt_portid, nlh, NULL, NULL);
}

int xfrm_route_del_via(struct xfrm *x, int family, const uint8_t dst[16], int prefixlen)
{
    _Alignas(8) uint8_t buf[RT_MSG_CAP];
    if (family != AF_INET || prefixlen < 0 || prefixlen > 32 || !dst) return -EINVAL;
    int rc = rt_open(x);
    if (rc) return rc;
    struct nlmsghdr *nlh = rt_start(buf, RTM_DELROUTE, 0);
    struct rtmsg r;
    memset(&r, 0, sizeof(r));
    r.rtm_family = AF_INET;
    r.rtm_dst_len = (unsigned char)prefixlen;
    r.rtm_table = RT_TABLE_MAIN;
    r.rtm_protocol = NETIF_RTPROT_IKEGATE; /* only ours */
    r.rtm_scope = RT_SCOPE_NOWHERE;
    r.rtm_type = RTN_UNICAST;
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(r)), &r, sizeof(r));
    if (!mnl_attr_put_check(nlh, RT_MSG_CAP, RTA_DST, 4, dst)) return -EMSGSIZE;
    return xfrm_nl_transact(x, x->rt, x->rt_portid, nlh, NULL, NULL);
}
