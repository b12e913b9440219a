/* Interfaces and static routes: `interface`, `ip address`, `shutdown`, `description`,
 * `ip route`, and `show ip interface brief` / `show ip route`. The configuration is applied
 * to the Linux links of this network namespace through platform/netif. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/app.h"
#include "hsrp/hsrp.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/netif.h"
#include "platform/strbuf.h"

#define M_CONF (1u << CM_CONFIG)
#define M_IF (1u << CM_IF)
#define M_EXEC (1u << CM_EXEC)

struct debug_flag dbg_netlink = {.path = "platform netlink",
                                 .group = "Platform",
                                 .title = "rtnetlink",
                                 .help = "Interface, address and route changes"};

static const char *ipstr(uint32_t host, char *buf)
{
    struct in_addr a = {htonl(host)};
    inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
    return buf;
}

static uint32_t plen_mask(int plen)
{
    return plen == 0 ? 0 : 0xffffffffu << (32 - plen);
}

static int compare_ifname(const struct ifname *x, const struct ifname *y)
{
    if (x->type != y->type) return (int)x->type - (int)y->type;
    return x->num < y->num ? -1 : x->num > y->num;
}

struct iface *app_iface_find(struct app *a, const struct ifname *n)
{
    for (struct iface *i = a->ifaces; i; i = i->next)
        if (!compare_ifname(&i->name, n)) return i;
    return NULL;
}

bool app_iface_has_addr(struct app *a, const char *ios, uint32_t addr_h)
{
    struct ifname n;
    if (ifname_parse(ios, NULL, &n, NULL)) return false;
    struct iface *i = app_iface_find(a, &n);
    if (!i || !i->has_addr) return false;
    if (i->addr == addr_h) return true;
    for (int k = 0; k < i->nsec; k++)
        if (i->sec[k].addr == addr_h) return true;
    return false;
}

static struct iface *iface_add(struct app *a, const struct ifname *n)
{
    struct iface **pp = &a->ifaces;
    while (*pp && compare_ifname(&(*pp)->name, n) < 0) pp = &(*pp)->next;
    struct iface *i = calloc(1, sizeof *i);
    if (!i) return NULL;
    i->name = *n;
    i->garp_count = 3;
    i->garp_interval = 2;
    ifname_full(n, i->ios, sizeof i->ios);
    ifmap_linux_name(a->ifmap, n, i->lnx, sizeof i->lnx);
    if (n->type == IFT_LOOPBACK) {
        snprintf(i->label, sizeof i->label, "lo:%lu", n->num);
        i->synced = true; /* app_flush_loopbacks emptied every lo:N at start */
    } else {
        snprintf(i->label, sizeof i->label, "%s", i->lnx);
        /* A Virtual-Template is configuration only: the data plane makes its xfrm link. */
        i->synced = n->type == IFT_VTEMPLATE;
    }
    i->next = *pp;
    *pp = i;
    return i;
}

void app_discover_interfaces(struct app *a)
{
    struct if_nameindex *all = if_nameindex();
    if (!all) return;
    for (struct if_nameindex *p = all; p->if_index; p++) {
        struct ifname n;
        if (ifmap_ios_name(a->ifmap, p->if_name, &n) || n.type != IFT_GIGABIT) continue;
        if (!app_iface_find(a, &n)) iface_add(a, &n);
    }
    if_freenameindex(all);
}

static struct iface *cur_iface(struct cmd_ctx *c)
{
    struct ifname n;
    if (!c->mode_obj || ifname_parse(c->mode_obj, NULL, &n, NULL)) return NULL;
    return app_iface_find(c->app, &n);
}

/* The addresses an interface should have in the kernel now: primary first. */
struct addrset {
    int n;
    uint32_t addr[APP_MAX_SECONDARY + 1];
    int plen[APP_MAX_SECONDARY + 1];
};

static void wanted_addrs(const struct iface *i, struct addrset *w)
{
    w->n = 0;
    if (!i->has_addr || (i->shutdown && i->name.type == IFT_LOOPBACK)) return;
    w->addr[w->n] = i->addr, w->plen[w->n++] = i->plen;
    for (int k = 0; k < i->nsec; k++)
        w->addr[w->n] = i->sec[k].addr, w->plen[w->n++] = i->sec[k].plen;
}

static bool addrset_has(const struct addrset *w, uint32_t addr, int plen)
{
    for (int k = 0; k < w->n; k++)
        if (w->addr[k] == addr && w->plen[k] == plen) return true;
    return false;
}

/* Read the kernel's addresses of the interface (once, the first time it is configured). */
static int kernel_addrs(struct app *a, const struct iface *i, struct addrset *k, struct strbuf *err)
{
    struct netif_addr cur[APP_MAX_SECONDARY + 1];
    const char *label = i->name.type == IFT_LOOPBACK ? i->label : NULL;
    int n = netif_addr_list(a->netif, i->lnx, label, cur, APP_MAX_SECONDARY + 1);
    if (n < 0) {
        sb_printf(err, "%% %s: cannot read addresses of %s: %s\n", i->ios, i->lnx,
                  netif_strerror(n));
        return -1;
    }
    k->n = 0;
    for (int j = 0; j < n; j++)
        k->addr[k->n] = ntohl(cur[j].addr), k->plen[k->n++] = cur[j].prefixlen;
    return 0;
}

/* Move the kernel from `before` (what the configuration had) to what it has now, touching
 * only the addresses that changed: a 10,000-line startup-config must not cost a dump per
 * line. Secondaries go before the primary they hang on; with promote_secondaries set on the
 * link, replacing a primary never takes the other addresses along. */
static int iface_sync_addrs(struct app *a, struct iface *i, const struct addrset *before,
                            struct strbuf *err)
{
    if (!a->netif || i->name.type == IFT_VTEMPLATE) return 0;
    struct addrset was = *before, want;
    if (!i->synced) {
        if (kernel_addrs(a, i, &was, err)) return -1;
        netif_ipv4_conf(i->lnx, "promote_secondaries", 1);
        i->synced = true;
    }
    wanted_addrs(i, &want);
    int rc = 0;
    for (int k = 0; rc == 0 && k < want.n; k++)
        if (!addrset_has(&was, want.addr[k], want.plen[k]))
            rc = netif_addr_add(a->netif, i->lnx, htonl(want.addr[k]), want.plen[k], i->label);
    for (int k = was.n - 1; rc == 0 && k >= 0; k--)
        if (!addrset_has(&want, was.addr[k], was.plen[k])) {
            int r = netif_addr_del(a->netif, i->lnx, htonl(was.addr[k]), was.plen[k]);
            if (r && r != -EADDRNOTAVAIL) rc = r;
        }
    if (dbg_netlink.on)
        ilog_debug("NETLINK: addresses of %s (%s): %s", i->ios, i->lnx,
                   rc ? netif_strerror(rc) : "applied");
    if (rc) {
        sb_printf(err, "%% %s: the kernel refused the address: %s\n", i->ios, netif_strerror(rc));
        i->synced = false; /* read the kernel again next time */
        return -1;
    }
    return 0;
}

/* Loopback addresses carry the label lo:N. Those a previous run left behind are removed
 * once at start (one dump), so every Loopback starts in step with the kernel. */
void app_flush_loopbacks(struct app *a)
{
    if (!a->netif) return;
    netif_ipv4_conf("lo", "promote_secondaries", 1);
    int n = netif_addr_list(a->netif, "lo", NULL, NULL, 0);
    if (n <= 0) return;
    struct netif_addr *v = calloc((size_t)n, sizeof *v);
    if (!v) return;
    n = netif_addr_list(a->netif, "lo", NULL, v, n);
    for (int k = n - 1; k >= 0; k--)
        if (!strncmp(v[k].label, "lo:", 3))
            netif_addr_del(a->netif, "lo", v[k].addr, v[k].prefixlen);
    free(v);
}

static void routes_sync(struct app *a);
static void route_free(struct app *a, struct sroute *r);

/* ---- interface ---- */

static int h_interface(struct cmd_ctx *c)
{
    struct ifname n;
    if (ifname_parse(c->m->argv[1], NULL, &n, NULL)) return ctx_err(c, "%% Invalid interface");
    struct iface *i = app_iface_find(c->app, &n);
    bool typed = c->m->argc > 2; /* interface Virtual-TemplateN type tunnel */
    if (typed && n.type != IFT_VTEMPLATE)
        return ctx_err(c, "%% Only a Virtual-Template interface takes a type");
    if (!i && n.type == IFT_VTEMPLATE) {
        /* IOS makes a serial (PPP) template without a type; ikegate has tunnels only. */
        if (!typed)
            return ctx_err(c, "%% Create %s with 'interface %s type tunnel'", c->m->argv[1],
                           c->m->argv[1]);
        char err[160];
        if (!ike_vt_get(&c->app->ipsec, n.num, err, sizeof err)) return ctx_err(c, "%s", err);
    }
    if (!i && n.type == IFT_GIGABIT) {
        char lnx[IFNAME_LINUX_LEN];
        ifmap_linux_name(c->app->ifmap, &n, lnx, sizeof lnx);
        struct netif_link l;
        if (!c->app->netif || netif_link_get(c->app->netif, lnx, &l))
            return ctx_err(c, "%% Interface %s does not exist (no Linux link %s)", c->m->argv[1],
                           lnx);
    }
    if (!i && !(i = iface_add(c->app, &n))) return ctx_err(c, "%% Out of memory");
    c->new_mode = CM_IF;
    snprintf(c->new_obj, sizeof c->new_obj, "%s", i->ios);
    return 0;
}

static int h_no_interface(struct cmd_ctx *c)
{
    struct ifname n;
    if (ifname_parse(c->m->argv[2], NULL, &n, NULL)) return ctx_err(c, "%% Invalid interface");
    struct iface *i = app_iface_find(c->app, &n);
    if (c->m->is_default) { /* `default interface X`: back to an unconfigured interface */
        if (!i) return ctx_err(c, "%% Interface %s is not configured", c->m->argv[2]);
        struct addrset before;
        wanted_addrs(i, &before);
        i->has_addr = false;
        i->nsec = 0;
        i->description[0] = '\0';
        bool was_shut = i->shutdown;
        i->shutdown = false;
        struct ike_vtemplate *vt =
            n.type == IFT_VTEMPLATE ? ike_vt_find(&c->app->ipsec, n.num) : NULL;
        if (vt) ike_vt_reset(vt);
        int rc = iface_sync_addrs(c->app, i, &before, c->out);
        if (was_shut && i->name.type == IFT_GIGABIT && c->app->netif)
            netif_link_set_up(c->app->netif, i->lnx, true);
        c->app->changes++;
        sb_printf(c->out, "Interface %s set to default configuration\n", i->ios);
        return rc;
    }
    if (n.type != IFT_LOOPBACK && n.type != IFT_VTEMPLATE)
        return ctx_err(c, "%% Physical interface %s cannot be removed", c->m->argv[2]);
    if (n.type == IFT_VTEMPLATE) ike_vt_remove(&c->app->ipsec, n.num);
    if (!i) return 0;
    struct addrset before;
    wanted_addrs(i, &before);
    i->has_addr = false;
    i->nsec = 0;
    iface_sync_addrs(c->app, i, &before, c->out);
    for (struct iface **pp = &c->app->ifaces; *pp; pp = &(*pp)->next)
        if (*pp == i) {
            *pp = i->next;
            break;
        }
    /* As IOS: static routes through a deleted interface go with it. */
    for (struct sroute **pp = &c->app->routes; *pp;) {
        struct sroute *r = *pp;
        if (!strcmp(r->oif_ios, i->ios)) {
            *pp = r->next;
            route_free(c->app, r);
        } else {
            pp = &r->next;
        }
    }
    free(i);
    c->app->changes++;
    routes_sync(c->app);
    return 0;
}

static int h_description(struct cmd_ctx *c)
{
    struct iface *i = cur_iface(c);
    if (!i) return ctx_err(c, "%% Interface is gone");
    if (c->m->is_no || c->m->is_default)
        i->description[0] = '\0';
    else if (strlen(c->m->argv[1]) >= sizeof i->description)
        return ctx_err(c, "%% Description too long (at most %zu characters)",
                       sizeof i->description - 1);
    else
        memcpy(i->description, c->m->argv[1], strlen(c->m->argv[1]) + 1);
    c->app->changes++;
    return 0;
}

static const struct iface *overlap(struct app *a, const struct iface *self, uint32_t addr, int plen)
{
    for (const struct iface *i = a->ifaces; i; i = i->next) {
        if (i == self) continue;
        uint32_t la[APP_MAX_SECONDARY + 1];
        int lp[APP_MAX_SECONDARY + 1], n = 0;
        if (i->has_addr) la[n] = i->addr, lp[n++] = i->plen;
        for (int k = 0; k < i->nsec; k++) la[n] = i->sec[k].addr, lp[n++] = i->sec[k].plen;
        for (int k = 0; k < n; k++) {
            int p = plen < lp[k] ? plen : lp[k];
            if (((addr ^ la[k]) & plen_mask(p)) == 0) return i;
        }
    }
    return NULL;
}

static int h_ip_address(struct cmd_ctx *c)
{
    struct iface *i = cur_iface(c);
    if (!i) return ctx_err(c, "%% Interface is gone");
    bool neg = c->m->is_no || c->m->is_default;
    int base = neg ? 3 : 2;
    bool secondary = c->m->argc > base + 2;
    struct addrset before;
    wanted_addrs(i, &before);
    if (neg && c->m->argc == 3) { /* no ip address: everything goes */
        i->has_addr = false;
        i->nsec = 0;
    } else {
        unsigned addr, mask;
        cmd_parse_ipv4(c->m->argv[base], &addr);
        cmd_parse_ipv4(c->m->argv[base + 1], &mask);
        int plen = cmd_mask_to_prefix(mask);
        char b1[INET_ADDRSTRLEN];
        if (plen <= 0) return ctx_err(c, "%% Bad mask 0x%X for address %s", mask, ipstr(addr, b1));
        if (neg) {
            if (secondary) {
                int k = 0;
                while (k < i->nsec && !(i->sec[k].addr == addr && i->sec[k].plen == plen)) k++;
                if (k == i->nsec) return ctx_err(c, "%% Address %s not found", ipstr(addr, b1));
                memmove(&i->sec[k], &i->sec[k + 1], (size_t)(i->nsec - k - 1) * sizeof i->sec[0]);
                i->nsec--;
            } else {
                if (!i->has_addr || i->addr != addr || i->plen != plen)
                    return ctx_err(c, "%% Address %s not found", ipstr(addr, b1));
                if (i->nsec) return ctx_err(c, "%% Must delete secondary before deleting primary");
                i->has_addr = false;
            }
        } else {
            if (plen < 31 && ((addr & ~mask) == 0 || (addr & ~mask) == ~mask))
                return ctx_err(c, "%% Bad mask /%d for address %s", plen, ipstr(addr, b1));
            const struct iface *o = overlap(c->app, i, addr, plen);
            if (o) {
                char b2[INET_ADDRSTRLEN];
                return ctx_err(c, "%% %s overlaps with %s", ipstr(addr & mask, b2), o->ios);
            }
            bool is_primary = i->has_addr && i->addr == addr;
            bool is_secondary = false;
            for (int k = 0; k < i->nsec; k++) is_secondary |= i->sec[k].addr == addr;
            if (secondary && is_primary)
                return ctx_err(c, "%% %s is already the primary address", ipstr(addr, b1));
            if (!secondary && is_secondary)
                return ctx_err(c, "%% %s is already a secondary address", ipstr(addr, b1));
            if (secondary) {
                if (!i->has_addr) return ctx_err(c, "%% Secondary address requires a primary");
                int k = 0;
                while (k < i->nsec && i->sec[k].addr != addr) k++;
                if (k == i->nsec) {
                    if (i->nsec == APP_MAX_SECONDARY)
                        return ctx_err(c, "%% Too many secondary addresses");
                    i->nsec++;
                }
                i->sec[k].addr = addr;
                i->sec[k].plen = plen;
            } else {
                i->has_addr = true;
                i->addr = addr;
                i->plen = plen;
            }
        }
    }
    if (!neg && i->name.type == IFT_VTEMPLATE) { /* an address replaces `ip unnumbered` */
        struct ike_vtemplate *vt = ike_vt_find(&c->app->ipsec, i->name.num);
        if (vt) ike_vt_set_unnumbered(vt, NULL, NULL, 0);
    }
    c->app->changes++;
    int rc = iface_sync_addrs(c->app, i, &before, c->out);
    routes_sync(c->app);
    app_hsrp_iface(c->app, i);
    return rc;
}

static void link_log(struct iface *i, bool up, bool admin)
{
    if (up) {
        ilog(3, "LINK", "UPDOWN", "Interface %s, changed state to up", i->ios);
        ilog(5, "LINEPROTO", "UPDOWN", "Line protocol on Interface %s, changed state to up",
             i->ios);
    } else {
        ilog(5, "LINK", admin ? "CHANGED" : "UPDOWN", "Interface %s, changed state to %s", i->ios,
             admin ? "administratively down" : "down");
        ilog(5, "LINEPROTO", "UPDOWN", "Line protocol on Interface %s, changed state to down",
             i->ios);
    }
}

static int h_shutdown(struct cmd_ctx *c)
{
    struct iface *i = cur_iface(c);
    if (!i) return ctx_err(c, "%% Interface is gone");
    bool shut = !(c->m->is_no || c->m->is_default);
    if (shut == i->shutdown) return 0;
    struct addrset before;
    wanted_addrs(i, &before);
    i->shutdown = shut;
    c->app->changes++;
    if (i->name.type == IFT_VTEMPLATE) {
        /* A template's line protocol is always down: only its sessions carry traffic. */
        struct ike_vtemplate *vt = ike_vt_find(&c->app->ipsec, i->name.num);
        if (vt) vt->shutdown = shut;
        if (shut)
            ilog(5, "LINK", "CHANGED", "Interface %s, changed state to administratively down",
                 i->ios);
        else
            ilog(3, "LINK", "UPDOWN", "Interface %s, changed state to up", i->ios);
        return 0;
    }
    if (i->name.type == IFT_LOOPBACK) {
        link_log(i, !shut, shut);
        int rc = iface_sync_addrs(c->app, i, &before, c->out);
        routes_sync(c->app);
        return rc;
    }
    /* HSRP hears of a shutdown while the link still carries its Resign (RFC 2281 §5.7, event
     * b in Active), so the standby router takes over at once instead of after hold time. */
    if (shut) app_hsrp_iface(c->app, i);
    if (c->app->netif) {
        int rc = netif_link_set_up(c->app->netif, i->lnx, !shut);
        if (dbg_netlink.on)
            ilog_debug("NETLINK: %s (%s) set %s: %s", i->ios, i->lnx, shut ? "down" : "up",
                       rc ? netif_strerror(rc) : "ok");
        if (rc) return ctx_err(c, "%% %s: %s", i->ios, netif_strerror(rc));
    }
    link_log(i, !shut, shut);
    routes_sync(c->app);
    app_hsrp_iface(c->app, i);
    return 0;
}

/* ---- static routes ---- */

static const char *oif_linux(struct app *a, const char *ios, char *buf, size_t len)
{
    struct ifname n;
    if (!ios[0] || ifname_parse(ios, NULL, &n, NULL)) return NULL;
    ifmap_linux_name(a->ifmap, &n, buf, len);
    return buf;
}

static int route_install(struct app *a, struct sroute *r)
{
    if (!a->netif) return -ENETDOWN;
    char lnx[IFNAME_LINUX_LEN];
    int rc = netif_route_add(a->netif, htonl(r->dst), r->plen, htonl(r->gw),
                             oif_linux(a, r->oif_ios, lnx, sizeof lnx), r->distance);
    if (rc == 0) {
        r->installed = true;
        a->routes_pending--;
    }
    if (dbg_netlink.on) {
        char b[INET_ADDRSTRLEN];
        ilog_debug("NETLINK: route %s/%d install: %s", ipstr(r->dst, b), r->plen,
                   rc ? netif_strerror(rc) : "ok");
    }
    return rc;
}

/* Take a route out of the kernel (if it got there) and free it; the caller unlinks it. */
static void route_free(struct app *a, struct sroute *r)
{
    if (!r->installed) {
        a->routes_pending--;
    } else if (a->netif) {
        char lnx[IFNAME_LINUX_LEN];
        netif_route_del(a->netif, htonl(r->dst), r->plen, htonl(r->gw),
                        oif_linux(a, r->oif_ios, lnx, sizeof lnx), r->distance);
    }
    free(r);
}

/* Routes whose next hop was unreachable are retried whenever interfaces change, as a router
 * activates a static route once its next hop resolves. */
static void routes_sync(struct app *a)
{
    if (a->routes_pending == 0) return;
    for (struct sroute *r = a->routes; r; r = r->next)
        if (!r->installed) route_install(a, r);
}

static int h_ip_route(struct cmd_ctx *c)
{
    bool neg = c->m->is_no || c->m->is_default;
    int b = neg ? 3 : 2;
    unsigned dst, mask, gw = 0;
    cmd_parse_ipv4(c->m->argv[b], &dst);
    cmd_parse_ipv4(c->m->argv[b + 1], &mask);
    int plen = cmd_mask_to_prefix(mask);
    if (plen < 0 || (dst & ~mask)) return ctx_err(c, "%%Inconsistent address or mask");
    char oif[IFNAME_IOS_LEN] = "";
    int distance = 1;
    bool have_target = c->m->argc > b + 2;
    if (have_target) {
        const char *t = c->m->argv[b + 2];
        if (!cmd_parse_ipv4(t, &gw)) {
            if (strlen(t) >= sizeof oif) return ctx_err(c, "%% Invalid interface %s", t);
            memcpy(oif, t, strlen(t) + 1);
        }
        if (c->m->argc > b + 3) distance = atoi(c->m->argv[b + 3]);
    }
    if (oif[0]) {
        struct ifname n;
        if (ifname_parse(oif, NULL, &n, NULL) || !app_iface_find(c->app, &n))
            return ctx_err(c, "%% Interface %s does not exist", oif);
    }
    struct sroute **pp = &c->app->routes;
    while (*pp) {
        struct sroute *r = *pp;
        bool same_prefix = r->dst == dst && r->plen == plen;
        bool same_target = r->gw == gw && !strcmp(r->oif_ios, oif);
        if (same_prefix && (neg ? (!have_target || same_target) : same_target)) {
            *pp = r->next;
            route_free(c->app, r);
            if (!neg) break;
            continue;
        }
        pp = &r->next;
    }
    if (!neg) {
        struct sroute *r = calloc(1, sizeof *r);
        if (!r) return ctx_err(c, "%% Out of memory");
        r->dst = dst, r->plen = plen, r->gw = gw, r->distance = distance;
        c->app->routes_pending++; /* until the kernel takes it */
        snprintf(r->oif_ios, sizeof r->oif_ios, "%s", oif);
        struct sroute **tail = &c->app->routes;
        while (*tail) tail = &(*tail)->next;
        *tail = r;
        route_install(c->app, r); /* an unreachable next hop keeps the route, inactive */
    }
    c->app->changes++;
    return 0;
}

/* ---- rendering ---- */

void app_render_interfaces(struct app *a, struct strbuf *out)
{
    char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
    for (struct iface *i = a->ifaces; i; i = i->next) {
        const struct ike_vtemplate *vt =
            i->name.type == IFT_VTEMPLATE ? ike_vt_find(&a->ipsec, i->name.num) : NULL;
        sb_printf(out, "interface %s%s\n", i->ios, vt ? " type tunnel" : "");
        if (i->description[0]) sb_printf(out, " description %s\n", i->description);
        if (i->has_addr) {
            sb_printf(out, " ip address %s %s\n", ipstr(i->addr, b1),
                      ipstr(plen_mask(i->plen), b2));
            for (int k = 0; k < i->nsec; k++)
                sb_printf(out, " ip address %s %s secondary\n", ipstr(i->sec[k].addr, b1),
                          ipstr(plen_mask(i->sec[k].plen), b2));
        } else if (!vt || !vt->unnumbered[0]) {
            sb_puts(out, " no ip address\n");
        }
        if (vt) ike_vt_render_ip(vt, out);
        if (a->hsrp) hsrp_render(a->hsrp, i->ios, out);
        if (i->garp_count != 3 || i->garp_interval != 2) {
            sb_puts(out, " standby arp gratuitous");
            if (i->garp_count != 3) sb_printf(out, " count %u", i->garp_count);
            if (i->garp_interval != 2) sb_printf(out, " interval %u", i->garp_interval);
            sb_puts(out, "\n");
        }
        if (i->shutdown) sb_puts(out, " shutdown\n");
        if (vt) ike_vt_render_tunnel(vt, out);
        sb_puts(out, "!\n");
    }
}

void app_render_routes(struct app *a, struct strbuf *out)
{
    char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN], b3[INET_ADDRSTRLEN];
    for (struct sroute *r = a->routes; r; r = r->next) {
        sb_printf(out, "ip route %s %s %s", ipstr(r->dst, b1), ipstr(plen_mask(r->plen), b2),
                  r->oif_ios[0] ? r->oif_ios : ipstr(r->gw, b3));
        if (r->distance != 1) sb_printf(out, " %d", r->distance);
        sb_puts(out, "\n");
    }
}

static int h_show_ip_int_brief(struct cmd_ctx *c)
{
    char b[INET_ADDRSTRLEN];
    sb_printf(c->out, "%-23s%-16s%-4s%-7s%-22s%s\n", "Interface", "IP-Address", "OK?", "Method",
              "Status", "Protocol");
    for (struct iface *i = c->app->ifaces; i; i = i->next) {
        const char *status = "up", *proto = "up";
        uint32_t addr = i->has_addr ? i->addr : 0;
        if (i->name.type == IFT_VTEMPLATE) {
            /* As IOS: a template is up/down, showing the address it borrows when unnumbered. */
            proto = "down";
            const struct ike_vtemplate *vt = ike_vt_find(&c->app->ipsec, i->name.num);
            struct ifname un;
            const struct iface *src = NULL;
            if (!addr && vt && vt->unnumbered[0] && !ifname_parse(vt->unnumbered, NULL, &un, NULL))
                src = app_iface_find(c->app, &un);
            if (src && src->has_addr) addr = src->addr;
        }
        if (i->shutdown) {
            status = "administratively down", proto = "down";
        } else if (i->name.type == IFT_GIGABIT) {
            struct netif_link l = {0};
            if (!c->app->netif || netif_link_get(c->app->netif, i->lnx, &l) || !l.admin_up)
                status = "down", proto = "down";
            else if (!l.oper_up)
                status = "up", proto = "down";
        }
        sb_printf(c->out, "%-23s%-16s%-4s%-7s%-22s%s\n", i->ios,
                  addr ? ipstr(addr, b) : "unassigned", "YES", i->has_addr ? "manual" : "unset",
                  status, proto);
    }
    return 0;
}

/* The IOS interface a kernel route points at ("lo" is split into its Loopbacks). */
static void route_ios_oif(struct app *a, const struct netif_route *r, char *buf, size_t len)
{
    struct ifname n;
    if (!ifmap_ios_name(a->ifmap, r->oif, &n) && n.type == IFT_GIGABIT) {
        ifname_full(&n, buf, len);
        return;
    }
    uint32_t dst = ntohl(r->dst);
    for (struct iface *i = a->ifaces; i; i = i->next) {
        if (strcmp(i->lnx, r->oif) || !i->has_addr) continue;
        if (((dst ^ i->addr) & plen_mask(i->plen)) == 0) {
            snprintf(buf, len, "%s", i->ios);
            return;
        }
    }
    snprintf(buf, len, "%s", r->oif);
}

static int route_cmp(const void *x, const void *y)
{
    const struct netif_route *a = x, *b = y;
    uint32_t da = ntohl(a->dst), db = ntohl(b->dst);
    if (da != db) return da < db ? -1 : 1;
    if (a->prefixlen != b->prefixlen) return a->prefixlen - b->prefixlen;
    return a->type - b->type;
}

static int classful_len(uint32_t a)
{
    return a < 0x80000000u ? 8 : a < 0xc0000000u ? 16 : 24;
}

static int h_show_ip_route(struct cmd_ctx *c)
{
    struct app *a = c->app;
    sb_puts(c->out,
            "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
            "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n"
            "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n"
            "       E1 - OSPF external type 1, E2 - OSPF external type 2\n"
            "       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2\n"
            "       ia - IS-IS inter area, * - candidate default, U - per-user static route\n"
            "       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP\n"
            "       + - replicated route, % - next hop override\n\n");
    int n = a->netif ? netif_route_list(a->netif, true, NULL, 0) : 0;
    struct netif_route *rs = n > 0 ? calloc((size_t)n, sizeof *rs) : NULL;
    if (rs) n = netif_route_list(a->netif, true, rs, n);
    if (n < 0 || !rs) n = 0;
    /* Keep what IOS would show: this box's interfaces and routes, no 127/8. */
    int k = 0;
    for (int i = 0; i < n; i++) {
        uint32_t d = ntohl(rs[i].dst);
        if ((d >> 24) == 127) continue;
        if (rs[i].type == 2 /* RTN_LOCAL */ && rs[i].prefixlen != 32) continue;
        rs[k++] = rs[i];
    }
    n = k;
    qsort(rs, (size_t)n, sizeof *rs, route_cmp);
    char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
    const struct netif_route *def = NULL;
    for (int i = 0; i < n; i++)
        if (rs[i].prefixlen == 0 && rs[i].gateway) def = &rs[i];
    if (def)
        sb_printf(c->out, "Gateway of last resort is %s to network 0.0.0.0\n\n",
                  ipstr(ntohl(def->gateway), b1));
    else
        sb_puts(c->out, "Gateway of last resort is not set\n\n");
    for (int i = 0; i < n;) {
        uint32_t d = ntohl(rs[i].dst);
        int cl = rs[i].prefixlen == 0 ? 0 : classful_len(d);
        uint32_t major = d & plen_mask(cl);
        int j = i, masks = 0;
        int seen[33] = {0};
        while (j < n && (ntohl(rs[j].dst) & plen_mask(cl)) == major &&
               (cl == 0) == (rs[j].prefixlen == 0)) {
            if (!seen[rs[j].prefixlen]++) masks++;
            j++;
        }
        bool grouped = cl && !(j - i == 1 && rs[i].prefixlen == cl);
        if (grouped) {
            if (masks > 1)
                sb_printf(c->out, "      %s/%d is variably subnetted, %d subnets, %d masks\n",
                          ipstr(major, b1), cl, j - i, masks);
            else
                sb_printf(c->out, "      %s/%d is subnetted, %d subnets\n", ipstr(major, b1), cl,
                          j - i);
        }
        for (; i < j; i++) {
            const struct netif_route *r = &rs[i];
            char code[4] = "S", oif[IFNAME_IOS_LEN + 16];
            route_ios_oif(a, r, oif, sizeof oif);
            if (r->type == 2)
                strcpy(code, "L");
            else if (!r->gateway && r->protocol == 2 /* RTPROT_KERNEL */)
                strcpy(code, "C");
            if (r->prefixlen == 0 && code[0] == 'S') strcat(code, "*");
            sb_printf(c->out, "%-*s%s/%d", grouped ? 9 : 6, code, ipstr(ntohl(r->dst), b1),
                      r->prefixlen);
            if (code[0] == 'S' && r->gateway)
                sb_printf(c->out, " [%d/0] via %s\n", r->metric ? r->metric : 1,
                          ipstr(ntohl(r->gateway), b2));
            else if (code[0] == 'S')
                sb_printf(c->out, " is directly connected, %s\n", oif);
            else
                sb_printf(c->out, " is directly connected, %s\n", oif);
        }
    }
    free(rs);
    return 0;
}

const struct cmd_def app_cmds_interface[] = {
    {M_CONF,
     15,
     0,
     h_interface,
     "interface IFNAME",
     {"Select an interface to configure", "Interface name"}},
    {M_CONF,
     15,
     0,
     h_interface,
     "interface IFNAME type tunnel",
     {NULL, NULL, "Type of the virtual-template", "Tunnel interface"}},
    {M_CONF,
     15,
     0,
     h_no_interface,
     "no interface IFNAME",
     {"Negate a command or set its defaults", "Select an interface to configure"}},
    {M_IF,
     15,
     0,
     h_description,
     "description LINE",
     {"Interface specific description", "Up to 240 characters describing this interface"}},
    {M_IF,
     15,
     0,
     h_description,
     "no description",
     {"Negate a command or set its defaults", "Interface specific description"}},
    {M_IF,
     15,
     0,
     h_ip_address,
     "ip address A.B.C.D A.B.C.D",
     {"Interface Internet Protocol config commands", "Set the IP address of an interface",
      "IP address", "IP subnet mask"}},
    {M_IF,
     15,
     0,
     h_ip_address,
     "ip address A.B.C.D A.B.C.D secondary",
     {NULL, NULL, NULL, NULL, "Make this IP address a secondary address"}},
    {M_IF,
     15,
     0,
     h_ip_address,
     "no ip address",
     {"Negate a command or set its defaults", "Interface Internet Protocol config commands",
      "Set the IP address of an interface"}},
    {M_IF,
     15,
     0,
     h_ip_address,
     "no ip address A.B.C.D A.B.C.D",
     {NULL, NULL, NULL, "IP address", "IP subnet mask"}},
    {M_IF,
     15,
     0,
     h_ip_address,
     "no ip address A.B.C.D A.B.C.D secondary",
     {NULL, NULL, NULL, NULL, NULL, "Make this IP address a secondary address"}},
    {M_IF, 15, 0, h_shutdown, "shutdown", {"Shutdown the selected interface"}},
    {M_IF,
     15,
     0,
     h_shutdown,
     "no shutdown",
     {"Negate a command or set its defaults", "Shutdown the selected interface"}},
    {M_CONF,
     15,
     0,
     h_ip_route,
     "ip route A.B.C.D A.B.C.D A.B.C.D",
     {"Global IP configuration subcommands", "Establish static routes", "Destination prefix",
      "Destination prefix mask", "Forwarding router's address"}},
    {M_CONF,
     15,
     0,
     h_ip_route,
     "ip route A.B.C.D A.B.C.D A.B.C.D <1-255>",
     {NULL, NULL, NULL, NULL, NULL, "Distance metric for this route"}},
    {M_CONF, 15, 0, h_ip_route, "ip route A.B.C.D A.B.C.D IFNAME", {NULL}},
    {M_CONF,
     15,
     0,
     h_ip_route,
     "ip route A.B.C.D A.B.C.D IFNAME <1-255>",
     {NULL, NULL, NULL, NULL, NULL, "Distance metric for this route"}},
    {M_CONF,
     15,
     0,
     h_ip_route,
     "no ip route A.B.C.D A.B.C.D",
     {"Negate a command or set its defaults", "Global IP configuration subcommands",
      "Establish static routes", "Destination prefix", "Destination prefix mask"}},
    {M_CONF,
     15,
     0,
     h_ip_route,
     "no ip route A.B.C.D A.B.C.D A.B.C.D",
     {NULL, NULL, NULL, NULL, NULL, "Forwarding router's address"}},
    {M_CONF,
     15,
     0,
     h_ip_route,
     "no ip route A.B.C.D A.B.C.D A.B.C.D <1-255>",
     {NULL, NULL, NULL, NULL, NULL, NULL, "Distance metric for this route"}},
    {M_CONF, 15, 0, h_ip_route, "no ip route A.B.C.D A.B.C.D IFNAME", {NULL}},
    {M_CONF,
     15,
     0,
     h_ip_route,
     "no ip route A.B.C.D A.B.C.D IFNAME <1-255>",
     {NULL, NULL, NULL, NULL, NULL, NULL, "Distance metric for this route"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_ip_int_brief,
     "show ip interface brief",
     {NULL, "IP information", "IP interface status and configuration",
      "Brief summary of IP status and configuration"}},
    {M_EXEC, 1, CMDF_FILTER, h_show_ip_route, "show ip route", {NULL, NULL, "IP routing table"}},
};
const size_t app_ncmds_interface = sizeof app_cmds_interface / sizeof app_cmds_interface[0];

/* After the startup-config: an IOS interface without `shutdown` is up, so every GigabitEthernet
 * not shut is brought up and routes waiting for it are retried. */
void app_links_up(struct app *a)
{
    if (!a->netif) return;
    for (struct iface *i = a->ifaces; i; i = i->next)
        if (i->name.type == IFT_GIGABIT && !i->shutdown) netif_link_set_up(a->netif, i->lnx, true);
    routes_sync(a);
    for (struct iface *i = a->ifaces; i; i = i->next)
        if (i->name.type == IFT_GIGABIT) app_hsrp_iface(a, i);
}

/* Carrier changes (a cable pulled, a veth peer gone) are noticed within a second and reach
 * HSRP, both for the groups on that interface and for `standby track`. */
static void link_tick(loop_t *l, void *arg)
{
    (void)l;
    struct app *a = arg;
    for (struct iface *i = a->ifaces; i; i = i->next) {
        if (i->name.type != IFT_GIGABIT) continue;
        struct netif_link k;
        bool up =
            !i->shutdown && netif_link_get(a->netif, i->lnx, &k) == 0 && k.admin_up && k.oper_up;
        if (up != i->link_up) {
            i->link_up = up;
            if (!i->shutdown) link_log(i, up, false);
            app_hsrp_iface(a, i);
        }
    }
    loop_timer_start(a->link_timer, 1000);
}

void app_start_link_watch(struct app *a)
{
    if (!a->netif || !a->loop) return;
    for (struct iface *i = a->ifaces; i; i = i->next) {
        struct netif_link k;
        i->link_up =
            !i->shutdown && netif_link_get(a->netif, i->lnx, &k) == 0 && k.admin_up && k.oper_up;
    }
    a->link_timer = loop_timer_new(a->loop, link_tick, a);
    loop_timer_start(a->link_timer, 1000);
}
