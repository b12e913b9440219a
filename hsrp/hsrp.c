#include "hsrp/hsrp.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/log.h"
#include "platform/loop.h"
#include "platform/strbuf.h"

struct debug_flag hsrp_dbg_events = {
    .path = "standby events", .group = "HSRP", .title = "HSRP Events", .help = "HSRP events"};
struct debug_flag hsrp_dbg_packets = {
    .path = "standby packets", .group = "HSRP", .title = "HSRP Packets", .help = "HSRP packets"};
struct debug_flag hsrp_dbg_errors = {
    .path = "standby errors", .group = "HSRP", .title = "HSRP Errors", .help = "HSRP errors"};
struct debug_flag hsrp_dbg_terse = {.path = "standby terse",
                                    .group = "HSRP",
                                    .title = "HSRP terse",
                                    .help =
                                        "Display limited range of HSRP errors, events and packets"};

struct debug_flag hsrp_dbg_all = {
    .path = "standby", .group = "HSRP", .title = "HSRP all", .help = "Hot standby protocol (HSRP)"};

/* `debug standby` turns everything on; `terse` is state changes and errors without packets. */
#define DBG_EVENTS (hsrp_dbg_events.on || hsrp_dbg_all.on || hsrp_dbg_terse.on)
#define DBG_ERRORS (hsrp_dbg_errors.on || hsrp_dbg_all.on || hsrp_dbg_terse.on)
#define DBG_PACKETS (hsrp_dbg_packets.on || hsrp_dbg_all.on)

#define DEF_HELLO_MS 3000
#define DEF_HOLD_MS 10000

struct hsrp_iface {
    char ios[32], lnx[16], short_name[16];
    uint32_t addr;
    uint8_t mac[6];
    bool up;
    int version;
    bool use_bia;
    uint64_t drops[HSRP_DROP_COUNT]; /* before a group could be told apart */
    struct hsrp_group *groups;
    struct hsrp_iface *next;
};

struct hsrp_group {
    struct hsrp *h;
    struct hsrp_iface *ifc;
    uint16_t num;
    struct hsrp_group_cfg cfg;
    enum hsrp_state st;
    bool enabled;
    uint32_t vip; /* in use: configured or learned */
    uint32_t hello_ms, hold_ms;
    struct loop_timer *t_active, *t_standby, *t_hello, *t_garp;
    bool active_known, standby_known;
    uint32_t active_ip, active_prio, standby_ip, standby_prio;
    uint8_t active_ident[6];
    int64_t active_until, standby_until;
    unsigned changes;
    int64_t last_change, enabled_at;
    unsigned garp_left;
    bool owning;
    uint64_t rx, tx, drops[HSRP_DROP_COUNT];
    struct hsrp_group *next;
};

struct link_state {
    char ios[32];
    bool up;
    struct link_state *next;
};

struct hsrp {
    loop_t *loop;
    struct hsrp_port port;
    uint32_t rnd;
    int64_t started;
    struct hsrp_iface *ifaces;
    struct link_state *links;
    int nwatch;
    struct {
        hsrp_role_cb cb;
        void *arg;
    } watch[8];
};

static const char *ipstr(uint32_t host, char *buf)
{
    struct in_addr a = {htonl(host)};
    inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
    return buf;
}

static uint32_t rnd(struct hsrp *h)
{
    uint32_t x = h->rnd; /* xorshift32: jitter only, no security */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return h->rnd = x ? x : 1;
}

void hsrp_group_cfg_default(struct hsrp_group_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->priority = 100;
    c->auth.kind = HSRP_AUTH_TEXT;
    strcpy(c->auth.text, "cisco");
    c->garp_count = 3;
    c->garp_interval_ms = 2000;
}

/* ---- lookups ---- */

static struct hsrp_iface *iface_by_ios(struct hsrp *h, const char *ios)
{
    for (struct hsrp_iface *i = h->ifaces; i; i = i->next)
        if (!strcmp(i->ios, ios)) return i;
    return NULL;
}

static struct hsrp_iface *iface_by_lnx(struct hsrp *h, const char *lnx)
{
    for (struct hsrp_iface *i = h->ifaces; i; i = i->next)
        if (!strcmp(i->lnx, lnx)) return i;
    return NULL;
}

static struct hsrp_group *group_find(struct hsrp_iface *i, uint16_t num)
{
    for (struct hsrp_group *g = i ? i->groups : NULL; g; g = g->next)
        if (g->num == num) return g;
    return NULL;
}

static void group_name(const struct hsrp_group *g, char *buf, size_t len)
{
    if (g->cfg.name[0])
        snprintf(buf, len, "%s", g->cfg.name);
    else
        snprintf(buf, len, "hsrp-%s-%u", g->ifc->short_name, g->num);
}

static void group_vmac(const struct hsrp_group *g, uint8_t mac[6])
{
    if (g->cfg.mac_set)
        memcpy(mac, g->cfg.mac, 6);
    else if (g->ifc->use_bia)
        memcpy(mac, g->ifc->mac, 6);
    else
        hsrp_vmac(g->ifc->version, g->num, mac);
}

static uint32_t effective_priority(const struct hsrp_group *g)
{
    int64_t p = g->cfg.priority;
    for (int t = 0; t < g->cfg.ntrack; t++)
        for (struct link_state *l = g->h->links; l; l = l->next)
            if (!strcmp(l->ios, g->cfg.track[t].ifname) && !l->up) p -= g->cfg.track[t].decrement;
    return p < 0 ? 0 : (uint32_t)p;
}

/* ---- sending ---- */

static void send_msg(struct hsrp_group *g, enum hsrp_op op)
{
    struct hsrp_iface *i = g->ifc;
    struct hsrp_msg m = {0};
    m.version = i->version;
    m.op = op;
    m.state = g->st;
    m.group = g->num;
    m.priority = effective_priority(g);
    m.hello_ms = g->hello_ms;
    m.hold_ms = g->hold_ms;
    if (i->version == 1) { /* whole seconds on the v1 wire (RFC 2281 §5.1) */
        m.hello_ms = (m.hello_ms + 999) / 1000 * 1000;
        m.hold_ms = (m.hold_ms + 999) / 1000 * 1000;
        if (m.hold_ms <= m.hello_ms) m.hold_ms = m.hello_ms + 1000;
    }
    m.ipver = 4;
    uint32_t vip = htonl(g->vip);
    memcpy(m.vip, &vip, 4);
    memcpy(m.ident, i->mac, 6);
    uint8_t pkt[128], vmac[6];
    size_t len = hsrp_build(&m, &g->cfg.auth, i->addr, pkt, sizeof pkt);
    if (!len) return;
    group_vmac(g, vmac);
    int rc = g->h->port.send(g->h->port.ctx, i->lnx, i->version, g->num, i->addr,
                             g->owning ? vmac : NULL, pkt, len);
    if (rc == 0) g->tx++;
    if (DBG_PACKETS)
        ilog_debug("HSRP: %s Grp %u %s out %s pri %u vIP %d.%d.%d.%d%s", i->short_name, g->num,
                   op == HSRP_HELLO    ? "Hello"
                   : op == HSRP_COUP   ? "Coup"
                   : op == HSRP_RESIGN ? "Resign"
                                       : "Advertise",
                   hsrp_state_name(g->st), m.priority, m.vip[0], m.vip[1], m.vip[2], m.vip[3],
                   rc ? " (send failed)" : "");
}

static void garp_tick(loop_t *l, void *arg)
{
    (void)l;
    struct hsrp_group *g = arg;
    if (!g->owning || !g->garp_left) return;
    uint8_t vmac[6];
    group_vmac(g, vmac);
    g->h->port.garp(g->h->port.ctx, g->ifc->lnx, g->num, vmac, g->vip);
    for (int k = 0; k < g->cfg.nsecondary; k++)
        g->h->port.garp(g->h->port.ctx, g->ifc->lnx, g->num, vmac, g->cfg.secondary[k]);
    if (--g->garp_left) loop_timer_start(g->t_garp, g->cfg.garp_interval_ms);
}

/* ---- state ---- */

static void notify(struct hsrp_group *g, bool active)
{
    char name[HSRP_NAME_MAX];
    group_name(g, name, sizeof name);
    for (int w = 0; w < g->h->nwatch; w++)
        g->h->watch[w].cb(g->h->watch[w].arg, name, active, g->vip);
}

static void own_vip(struct hsrp_group *g, bool own)
{
    if (g->owning == own || (own && !g->vip)) return;
    uint8_t vmac[6];
    group_vmac(g, vmac);
    int rc = g->h->port.vip(g->h->port.ctx, g->ifc->lnx, g->num, vmac, g->vip, own);
    if (rc && own) {
        ilog(3, "HSRP", "ERRVIP", "%s Grp %u cannot take virtual IP: %s", g->ifc->ios, g->num,
             strerror(-rc));
    }
    for (int k = 0; own && rc == 0 && k < g->cfg.nsecondary; k++)
        if (g->h->port.vip_add(g->h->port.ctx, g->ifc->lnx, g->num, g->cfg.secondary[k]))
            ilog(3, "HSRP", "ERRVIP", "%s Grp %u cannot take secondary virtual IP", g->ifc->ios,
                 g->num);
    g->owning = own && rc == 0;
    if (!own) loop_timer_stop(g->t_garp);
}

static void set_state(struct hsrp_group *g, enum hsrp_state s)
{
    enum hsrp_state old = g->st;
    if (old == s) return;
    g->st = s;
    g->changes++;
    g->last_change = loop_now(g->h->loop);
    ilog(5, "HSRP", "STATECHANGE", "%s Grp %u state %s -> %s", g->ifc->ios, g->num,
         hsrp_state_name(old), hsrp_state_name(s));
    if (s == HSRP_ACTIVE) {
        g->active_known = false; /* we are the active router now */
        if (g->standby_known && g->standby_ip == g->ifc->addr) g->standby_known = false;
        own_vip(g, true);
        notify(g, true);
    } else if (old == HSRP_ACTIVE) {
        own_vip(g, false);
        notify(g, false);
    }
    if (s == HSRP_STANDBY) g->standby_known = false;
    if (s == HSRP_INITIAL) {
        loop_timer_stop(g->t_active);
        loop_timer_stop(g->t_standby);
        loop_timer_stop(g->t_hello);
        g->active_known = g->standby_known = false;
    }
}

static bool preempt_allowed(const struct hsrp_group *g)
{
    if (!g->cfg.preempt) return false;
    int64_t now = loop_now(g->h->loop);
    if (now < g->enabled_at + g->cfg.preempt_min_ms) return false;
    if (now < g->h->started + g->cfg.preempt_reload_ms) return false;
    return true;
}

static void start_timer(struct hsrp_group *g, struct loop_timer *t, int64_t *until, uint32_t ms)
{
    loop_timer_start(t, ms);
    *until = loop_now(g->h->loop) + ms;
}

/* Run one event through the RFC 2281 §5.7 table and carry out its actions (§5.6). m is the
 * message that caused it, if any. */
static void fire(struct hsrp_group *g, enum hsrp_event e, const struct hsrp_msg *m)
{
    struct hsrp_fsm_in in = {.vip_known = g->vip != 0, .preempt = preempt_allowed(g)};
    struct hsrp_step s = hsrp_fsm_step(g->st, e, &in);
    if (DBG_EVENTS && e != HSRP_EV_E_HELLO_TIMER)
        ilog_debug("HSRP: %s Grp %u event %s in %s%s", g->ifc->short_name, g->num,
                   hsrp_event_name(e), hsrp_state_name(g->st), s.defined ? "" : " (no action)");
    if (!s.defined) return;
    unsigned a = s.actions;
    bool from_active = m && m->state == HSRP_ACTIVE;
    if ((a & HSRP_ACT_E_LEARN) && m) {
        /* Only what is not configured is learned (RFC 2281 §5.6 E). */
        uint32_t vip;
        memcpy(&vip, m->vip, 4);
        if (!g->cfg.vip && vip) g->vip = ntohl(vip);
        if (!g->cfg.hello_ms && m->hello_ms) g->hello_ms = m->hello_ms;
        if (!g->cfg.hold_ms && m->hold_ms) g->hold_ms = m->hold_ms;
    }
    if (a & HSRP_ACT_C_STOP_ACTIVE) loop_timer_stop(g->t_active);
    if (a & HSRP_ACT_D_STOP_STANDBY) loop_timer_stop(g->t_standby);
    if (a & HSRP_ACT_A_START_ACTIVE)
        start_timer(g, g->t_active, &g->active_until,
                    from_active && m->hold_ms ? m->hold_ms : g->hold_ms);
    if (a & HSRP_ACT_B_START_STANDBY)
        start_timer(g, g->t_standby, &g->standby_until,
                    m && m->state == HSRP_STANDBY && m->hold_ms ? m->hold_ms : g->hold_ms);
    if (a & HSRP_ACT_H_RESIGN) {
        /* Let go of the VIP first, so the Resign leaves from the interface's own MAC: sent
         * from the virtual MAC it would pull the switch's entry for that MAC back to us just
         * after the new active router's gratuitous ARP moved it (RFC 2281 §6.1 asks for the
         * virtual MAC on Hellos only). */
        own_vip(g, false);
        send_msg(g, HSRP_RESIGN);
    }
    set_state(g, s.next);
    if (a & HSRP_ACT_G_COUP) send_msg(g, HSRP_COUP);
    if (a & HSRP_ACT_F_HELLO) send_msg(g, HSRP_HELLO);
    if ((a & HSRP_ACT_I_GARP) && g->owning) {
        g->garp_left = g->cfg.garp_count;
        garp_tick(g->h->loop, g);
    }
}

static bool due(const struct loop_timer *t)
{
    return loop_timer_pending(t) && loop_timer_remaining(t) <= 0;
}

/* A and B are often started together and so run out together; the order they are delivered
 * in matters (RFC 2281 §5.7 read with the timers of §5.4). In Speak the standby timer goes
 * first (d: to Standby, then c: to Active); elsewhere c goes first, and d only if c did not
 * restart the standby timer (in Listen, c is AB/4). Otherwise a router ends up in Speak or
 * Standby with no Active timer left, waiting for ever. */
static void expire(struct hsrp_group *g, bool active_fired)
{
    bool a = active_fired || due(g->t_active);
    bool b = !active_fired || due(g->t_standby);
    loop_timer_stop(g->t_active);
    if (b) loop_timer_stop(g->t_standby);
    if (a) g->active_known = false;
    if (b) g->standby_known = false;
    if (a && b && g->st == HSRP_SPEAK) {
        fire(g, HSRP_EV_D_STANDBY_EXPIRY, NULL);
        fire(g, HSRP_EV_C_ACTIVE_EXPIRY, NULL);
        return;
    }
    if (a) fire(g, HSRP_EV_C_ACTIVE_EXPIRY, NULL);
    if (b && !loop_timer_pending(g->t_standby)) fire(g, HSRP_EV_D_STANDBY_EXPIRY, NULL);
}

static void on_active_expiry(loop_t *l, void *arg)
{
    (void)l;
    expire(arg, true);
}

static void on_standby_expiry(loop_t *l, void *arg)
{
    (void)l;
    expire(arg, false);
}

static uint32_t jittered(struct hsrp_group *g)
{
    /* The hello timer MUST be jittered (RFC 2281 §5.4): up to 10% early. */
    uint32_t j = g->hello_ms / 10;
    return g->hello_ms - (j ? rnd(g->h) % j : 0);
}

static void on_hello(loop_t *l, void *arg)
{
    (void)l;
    struct hsrp_group *g = arg;
    fire(g, HSRP_EV_E_HELLO_TIMER, NULL);
    if (g->enabled) loop_timer_start(g->t_hello, jittered(g));
}

static void group_enable(struct hsrp_group *g)
{
    if (g->enabled || !g->ifc->up || !g->ifc->addr) return;
    g->enabled = true;
    g->enabled_at = loop_now(g->h->loop);
    g->hello_ms = g->cfg.hello_ms ? g->cfg.hello_ms : DEF_HELLO_MS;
    g->hold_ms = g->cfg.hold_ms ? g->cfg.hold_ms : DEF_HOLD_MS;
    g->vip = g->cfg.vip;
    fire(g, HSRP_EV_A_ENABLE, NULL);
    loop_timer_start(g->t_hello, jittered(g));
}

static void group_disable(struct hsrp_group *g)
{
    if (!g->enabled) return;
    fire(g, HSRP_EV_B_DISABLE, NULL);
    set_state(g, HSRP_INITIAL);
    g->enabled = false;
}

static struct hsrp_group *group_new(struct hsrp *h, struct hsrp_iface *i, uint16_t num)
{
    struct hsrp_group *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->h = h;
    g->ifc = i;
    g->num = num;
    hsrp_group_cfg_default(&g->cfg);
    g->t_active = loop_timer_new(h->loop, on_active_expiry, g);
    g->t_standby = loop_timer_new(h->loop, on_standby_expiry, g);
    g->t_hello = loop_timer_new(h->loop, on_hello, g);
    g->t_garp = loop_timer_new(h->loop, garp_tick, g);
    struct hsrp_group **pp = &i->groups;
    while (*pp && (*pp)->num < num) pp = &(*pp)->next;
    g->next = *pp;
    *pp = g;
    return g;
}

static void group_free(struct hsrp_group *g)
{
    group_disable(g);
    loop_timer_free(g->t_active);
    loop_timer_free(g->t_standby);
    loop_timer_free(g->t_hello);
    loop_timer_free(g->t_garp);
    OPENSSL_cleanse(&g->cfg.auth, sizeof g->cfg.auth);
    free(g);
}

/* ---- public ---- */

struct hsrp *hsrp_new(loop_t *loop, const struct hsrp_port *port, uint32_t seed)
{
    struct hsrp *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->loop = loop;
    h->port = *port;
    h->rnd = seed ? seed : 2281;
    h->started = loop_now(loop);
    debug_register(&hsrp_dbg_all);
    debug_register(&hsrp_dbg_errors);
    debug_register(&hsrp_dbg_events);
    debug_register(&hsrp_dbg_packets);
    debug_register(&hsrp_dbg_terse);
    return h;
}

void hsrp_free(struct hsrp *h)
{
    if (!h) return;
    while (h->ifaces) {
        struct hsrp_iface *i = h->ifaces;
        h->ifaces = i->next;
        while (i->groups) {
            struct hsrp_group *g = i->groups;
            i->groups = g->next;
            group_free(g);
        }
        free(i);
    }
    while (h->links) {
        struct link_state *l = h->links;
        h->links = l->next;
        free(l);
    }
    free(h);
}

int hsrp_iface_set(struct hsrp *h, const char *ios, const char *lnx, const char *short_name,
                   uint32_t addr, const uint8_t mac[6], bool up)
{
    struct hsrp_iface *i = iface_by_ios(h, ios);
    if (!i) {
        i = calloc(1, sizeof *i);
        if (!i) return -1;
        snprintf(i->ios, sizeof i->ios, "%s", ios);
        i->version = 1;
        i->next = h->ifaces;
        h->ifaces = i;
    }
    snprintf(i->lnx, sizeof i->lnx, "%s", lnx);
    snprintf(i->short_name, sizeof i->short_name, "%s", short_name);
    bool changed_addr = i->addr != addr;
    i->addr = addr;
    if (mac) memcpy(i->mac, mac, 6);
    i->up = up;
    for (struct hsrp_group *g = i->groups; g; g = g->next) {
        if ((!up || changed_addr) && g->enabled) group_disable(g);
        if (up && addr) group_enable(g);
    }
    return 0;
}

int hsrp_iface_version(struct hsrp *h, const char *ios, int version)
{
    struct hsrp_iface *i = iface_by_ios(h, ios);
    if (!i || (version != 1 && version != 2)) return -1;
    if (i->version == version) return 0;
    for (struct hsrp_group *g = i->groups; g; g = g->next)
        if (version == 1 && g->num > 255) return -1;
    for (struct hsrp_group *g = i->groups; g; g = g->next) group_disable(g);
    i->version = version;
    for (struct hsrp_group *g = i->groups; g; g = g->next) group_enable(g);
    return 0;
}

int hsrp_iface_get_version(struct hsrp *h, const char *ios)
{
    struct hsrp_iface *i = iface_by_ios(h, ios);
    return i ? i->version : 1;
}

bool hsrp_iface_use_bia(struct hsrp *h, const char *ios, int set)
{
    struct hsrp_iface *i = iface_by_ios(h, ios);
    if (!i) return false;
    if (set >= 0 && (bool)set != i->use_bia) {
        for (struct hsrp_group *g = i->groups; g; g = g->next) group_disable(g);
        i->use_bia = set;
        for (struct hsrp_group *g = i->groups; g; g = g->next) group_enable(g);
    }
    return i->use_bia;
}

void hsrp_link_state(struct hsrp *h, const char *ios, bool up)
{
    struct link_state *l = h->links;
    while (l && strcmp(l->ios, ios)) l = l->next;
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l) return;
        snprintf(l->ios, sizeof l->ios, "%s", ios);
        l->next = h->links;
        h->links = l;
    }
    l->up = up;
}

int hsrp_group_configure(struct hsrp *h, const char *ios, uint16_t num,
                         const struct hsrp_group_cfg *cfg, char *err, size_t errlen)
{
    struct hsrp_iface *i = iface_by_ios(h, ios);
    if (!i) {
        snprintf(err, errlen, "%% HSRP: interface %s is not known", ios);
        return -1;
    }
    if (num > (i->version == 1 ? 255 : 4095)) {
        snprintf(err, errlen, "%% Group number %u out of range for HSRP version %d", num,
                 i->version);
        return -1;
    }
    struct hsrp_group *g = group_find(i, num);
    if (!g && !(g = group_new(h, i, num))) {
        snprintf(err, errlen, "%% Out of memory");
        return -1;
    }
    struct hsrp_group_cfg old = g->cfg;
    g->cfg = *cfg;
    /* What needs a restart: the address or MAC the group owns. Timers, priority, preempt
     * and authentication apply from the next message on. */
    bool restart = old.vip != cfg->vip || old.mac_set != cfg->mac_set ||
                   memcmp(old.mac, cfg->mac, 6) || strcmp(old.name, cfg->name);
    if (g->enabled && restart) group_disable(g);
    bool sec_changed = old.nsecondary != cfg->nsecondary ||
                       memcmp(old.secondary, cfg->secondary, sizeof old.secondary);
    if (g->owning && sec_changed && !restart) { /* re-take the addresses, state unchanged */
        own_vip(g, false);
        own_vip(g, true);
    }
    if (g->enabled) {
        if (cfg->hello_ms) g->hello_ms = cfg->hello_ms;
        if (cfg->hold_ms) g->hold_ms = cfg->hold_ms;
        if (!cfg->hello_ms && old.hello_ms) g->hello_ms = DEF_HELLO_MS;
        if (!cfg->hold_ms && old.hold_ms) g->hold_ms = DEF_HOLD_MS;
        /* Shorter timers take effect now, not after the longer ones still running (a
         * startup-config sets `timers` after `ip`, which already enabled the group). */
        struct {
            struct loop_timer *t;
            int64_t *until;
            uint32_t ms;
        } run[] = {{g->t_active, &g->active_until, g->hold_ms},
                   {g->t_standby, &g->standby_until, g->hold_ms},
                   {g->t_hello, NULL, g->hello_ms}};
        for (size_t k = 0; k < sizeof run / sizeof run[0]; k++)
            if (loop_timer_pending(run[k].t) && loop_timer_remaining(run[k].t) > run[k].ms) {
                loop_timer_start(run[k].t, run[k].ms);
                if (run[k].until) *run[k].until = loop_now(g->h->loop) + run[k].ms;
            }
    }
    group_enable(g);
    return 0;
}

bool hsrp_group_config(struct hsrp *h, const char *ios, uint16_t num, struct hsrp_group_cfg *out)
{
    struct hsrp_group *g = group_find(iface_by_ios(h, ios), num);
    if (!g) {
        hsrp_group_cfg_default(out);
        return false;
    }
    *out = g->cfg;
    return true;
}

void hsrp_group_remove(struct hsrp *h, const char *ios, uint16_t num)
{
    struct hsrp_iface *i = iface_by_ios(h, ios);
    if (!i) return;
    for (struct hsrp_group **pp = &i->groups; *pp; pp = &(*pp)->next)
        if ((*pp)->num == num) {
            struct hsrp_group *g = *pp;
            *pp = g->next;
            group_free(g);
            return;
        }
}

enum hsrp_state hsrp_group_state(struct hsrp *h, const char *ios, uint16_t num)
{
    struct hsrp_group *g = group_find(iface_by_ios(h, ios), num);
    return g ? g->st : HSRP_INITIAL;
}

void hsrp_input(struct hsrp *h, const char *lnx, uint32_t src, const uint8_t *buf, size_t len)
{
    struct hsrp_iface *i = iface_by_lnx(h, lnx);
    if (!i || !i->up || src == i->addr) return;
    struct hsrp_msg m;
    enum hsrp_drop why = HSRP_DROP_NONE;
    char b[INET_ADDRSTRLEN];
    if (hsrp_parse(buf, len, &m, &why)) {
        i->drops[why]++;
        if (DBG_ERRORS)
            ilog_debug("HSRP: %s bad packet from %s: %s", i->short_name, ipstr(src, b),
                       hsrp_drop_name(why));
        return;
    }
    if (m.op == HSRP_ADVERTISE) return; /* accepted, never needed */
    if (m.version != i->version) {
        i->drops[HSRP_DROP_VERSION]++;
        return;
    }
    struct hsrp_group *g = group_find(i, m.group);
    if (!g || !g->enabled) return;
    g->rx++;
    why = hsrp_auth_check(buf, len, &m, &g->cfg.auth);
    if (why != HSRP_DROP_NONE) {
        g->drops[why]++;
        if (DBG_ERRORS)
            ilog_debug("HSRP: %s Grp %u auth failed from %s: %s", i->short_name, g->num,
                       ipstr(src, b), hsrp_drop_name(why));
        return;
    }
    if (DBG_PACKETS)
        ilog_debug("HSRP: %s Grp %u %s in %s pri %u from %s", i->short_name, g->num,
                   m.op == HSRP_HELLO  ? "Hello"
                   : m.op == HSRP_COUP ? "Coup"
                                       : "Resign",
                   hsrp_state_name(m.state), m.priority, ipstr(src, b));
    /* Remember who is active and standby, for show standby and tie-breaks. */
    if (m.op == HSRP_HELLO && m.state == HSRP_ACTIVE) {
        g->active_known = true;
        g->active_ip = src;
        g->active_prio = m.priority;
        memcpy(g->active_ident, m.ident, 6);
        g->active_until = loop_now(h->loop) + m.hold_ms;
    } else if (m.op == HSRP_HELLO && m.state == HSRP_STANDBY) {
        g->standby_known = true;
        g->standby_ip = src;
        g->standby_prio = m.priority;
        g->standby_until = loop_now(h->loop) + m.hold_ms;
    }
    /* A Resign counts only from the active router we know: a late one from a router that was
     * just preempted must not push the standby router to Active. */
    if (m.op == HSRP_RESIGN && g->st != HSRP_ACTIVE && !(g->active_known && g->active_ip == src) &&
        g->active_known)
        return;
    struct hsrp_peer peer = {.state = m.state, .op = m.op, .priority = m.priority, .ip = src};
    int ev = hsrp_classify(&peer, effective_priority(g), i->addr);
    if (m.op == HSRP_RESIGN && g->active_known && g->active_ip == src) g->active_known = false;
    if (ev >= 0) fire(g, (enum hsrp_event)ev, &m);
    /* The router we took over from has let go (its Resign follows our Coup). A frame it sent
     * from the virtual MAC a moment before may have moved the switch's entry back to it, so
     * answer with a hello from the virtual MAC right away rather than at the next hello. */
    if (m.op == HSRP_RESIGN && g->st == HSRP_ACTIVE && g->owning) send_msg(g, HSRP_HELLO);
}

bool hsrp_role(struct hsrp *h, const char *name, bool *active, uint32_t *vip)
{
    for (struct hsrp_iface *i = h->ifaces; i; i = i->next)
        for (struct hsrp_group *g = i->groups; g; g = g->next) {
            char n[HSRP_NAME_MAX];
            group_name(g, n, sizeof n);
            if (strcmp(n, name)) continue;
            if (active) *active = g->st == HSRP_ACTIVE;
            if (vip) *vip = g->vip;
            return true;
        }
    return false;
}

void hsrp_watch(struct hsrp *h, hsrp_role_cb cb, void *arg)
{
    if (h->nwatch < (int)(sizeof h->watch / sizeof h->watch[0]))
        h->watch[h->nwatch].cb = cb, h->watch[h->nwatch++].arg = arg;
}

/* ---- show and running-config ---- */

static void time_text(struct strbuf *out, uint32_t ms)
{
    if (ms % 1000)
        sb_printf(out, "%u msec", ms);
    else
        sb_printf(out, "%u sec", ms / 1000);
}

static void mac_text(const uint8_t m[6], char *buf)
{
    sprintf(buf, "%02x%02x.%02x%02x.%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void since_text(int64_t ms, struct strbuf *out)
{
    int64_t s = ms / 1000;
    if (s < 86400)
        sb_printf(out, "%02lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                  (long long)(s % 60));
    else
        sb_printf(out, "%lldw%lldd", (long long)(s / 604800), (long long)(s / 86400 % 7));
}

static void show_group(struct hsrp_group *g, struct strbuf *out)
{
    struct hsrp_iface *i = g->ifc;
    int64_t now = loop_now(g->h->loop);
    char b[INET_ADDRSTRLEN], mac[16], lmac[16];
    uint8_t vmac[6];
    group_vmac(g, vmac);
    mac_text(vmac, lmac);
    sb_printf(out, "%s - Group %u%s\n", i->ios, g->num, i->version == 2 ? " (version 2)" : "");
    sb_printf(out, "  State is %s\n", hsrp_state_name(g->st));
    sb_printf(out, "    %u state change%s, last state change ", g->changes,
              g->changes == 1 ? "" : "s");
    if (g->changes)
        since_text(now - g->last_change, out);
    else
        sb_puts(out, "never");
    sb_puts(out, "\n");
    uint32_t vip = g->vip ? g->vip : g->cfg.vip;
    if (vip)
        sb_printf(out, "  Virtual IP address is %s\n", ipstr(vip, b));
    else
        sb_puts(out, "  Virtual IP address is unknown\n");
    for (int k = 0; k < g->cfg.nsecondary; k++)
        sb_printf(out, "    Secondary virtual IP address %s\n", ipstr(g->cfg.secondary[k], b));
    sb_printf(out, "  Active virtual MAC address is %s (MAC %s)\n", lmac,
              g->owning ? "In Use" : "Not In Use");
    sb_printf(out, "    Local virtual MAC address is %s (%s)\n", lmac,
              g->cfg.mac_set    ? "confgd"
              : i->use_bia      ? "bia"
              : i->version == 2 ? "v2 default"
                                : "v1 default");
    /* In use when running (possibly learned), else what is configured. */
    uint32_t hello = g->enabled ? g->hello_ms : g->cfg.hello_ms ? g->cfg.hello_ms : DEF_HELLO_MS;
    uint32_t hold = g->enabled ? g->hold_ms : g->cfg.hold_ms ? g->cfg.hold_ms : DEF_HOLD_MS;
    sb_puts(out, "  Hello time ");
    time_text(out, hello);
    sb_puts(out, ", hold time ");
    time_text(out, hold);
    sb_puts(out, "\n");
    if (g->enabled && loop_timer_pending(g->t_hello))
        sb_printf(out, "    Next hello sent in %.3f secs\n",
                  (double)loop_timer_remaining(g->t_hello) / 1000.0);
    if (g->cfg.auth.kind == HSRP_AUTH_MD5)
        sb_puts(out, "  Authentication MD5, key-string\n");
    else
        sb_printf(out, "  Authentication text, string \"%s\"\n", g->cfg.auth.text);
    if (!g->cfg.preempt)
        sb_puts(out, "  Preemption disabled\n");
    else if (g->cfg.preempt_min_ms || g->cfg.preempt_reload_ms) {
        sb_puts(out, "  Preemption enabled, delay");
        if (g->cfg.preempt_min_ms) sb_printf(out, " min %u secs", g->cfg.preempt_min_ms / 1000);
        if (g->cfg.preempt_reload_ms)
            sb_printf(out, " reload %u secs", g->cfg.preempt_reload_ms / 1000);
        sb_puts(out, "\n");
    } else
        sb_puts(out, "  Preemption enabled\n");
    if (g->st == HSRP_ACTIVE)
        sb_puts(out, "  Active router is local\n");
    else if (g->active_known) {
        sb_printf(out, "  Active router is %s, priority %u (expires in %.3f sec)\n",
                  ipstr(g->active_ip, b), g->active_prio,
                  (double)(g->active_until > now ? g->active_until - now : 0) / 1000.0);
        if (i->version == 2) {
            mac_text(g->active_ident, mac);
            sb_printf(out, "    MAC address is %s\n", mac);
        }
    } else
        sb_puts(out, "  Active router is unknown\n");
    if (g->st == HSRP_STANDBY)
        sb_puts(out, "  Standby router is local\n");
    else if (g->standby_known)
        sb_printf(out, "  Standby router is %s, priority %u (expires in %.3f sec)\n",
                  ipstr(g->standby_ip, b), g->standby_prio,
                  (double)(g->standby_until > now ? g->standby_until - now : 0) / 1000.0);
    else
        sb_puts(out, "  Standby router is unknown\n");
    sb_printf(out, "  Priority %u (configured %u)\n", effective_priority(g), g->cfg.priority);
    for (int t = 0; t < g->cfg.ntrack; t++) {
        bool up = true;
        for (struct link_state *l = g->h->links; l; l = l->next)
            if (!strcmp(l->ios, g->cfg.track[t].ifname)) up = l->up;
        sb_printf(out, "    Track interface %s state %s decrement %u\n", g->cfg.track[t].ifname,
                  up ? "Up" : "Down", g->cfg.track[t].decrement);
    }
    char name[HSRP_NAME_MAX];
    group_name(g, name, sizeof name);
    sb_printf(out, "  Group name is \"%s\" (%s)\n", name, g->cfg.name[0] ? "cfgd" : "default");
    uint64_t drops = 0;
    for (int d = 1; d < HSRP_DROP_COUNT; d++) drops += g->drops[d];
    if (drops) { /* ikegate: why packets for this group were thrown away */
        sb_printf(out, "  Dropped %llu packet%s:", (unsigned long long)drops,
                  drops == 1 ? "" : "s");
        for (int d = 1; d < HSRP_DROP_COUNT; d++)
            if (g->drops[d])
                sb_printf(out, " %s %llu;", hsrp_drop_name((enum hsrp_drop)d),
                          (unsigned long long)g->drops[d]);
        sb_puts(out, "\n");
    }
}

void hsrp_show(struct hsrp *h, const char *ios, int group, bool brief, struct strbuf *out)
{
    char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN], b3[INET_ADDRSTRLEN];
    if (brief)
        sb_puts(out, "                     P indicates configured to preempt.\n"
                     "                     |\n"
                     "Interface   Grp  Pri P State   Active          Standby         Virtual IP\n");
    /* Interfaces in IOS order: the list is kept as configured; sort by name for output. */
    struct hsrp_iface *v[256];
    int n = 0;
    for (struct hsrp_iface *i = h->ifaces; i && n < 256; i = i->next) v[n++] = i;
    for (int a = 1; a < n; a++)
        for (int c = a; c > 0 && strcmp(v[c - 1]->ios, v[c]->ios) > 0; c--) {
            struct hsrp_iface *t = v[c];
            v[c] = v[c - 1], v[c - 1] = t;
        }
    for (int k = 0; k < n; k++) {
        struct hsrp_iface *i = v[k];
        if (ios && strcmp(ios, i->ios)) continue;
        for (struct hsrp_group *g = i->groups; g; g = g->next) {
            if (group >= 0 && g->num != group) continue;
            if (!brief) {
                show_group(g, out);
                continue;
            }
            const char *act = g->st == HSRP_ACTIVE ? "local"
                              : g->active_known    ? ipstr(g->active_ip, b1)
                                                   : "unknown";
            const char *stb = g->st == HSRP_STANDBY ? "local"
                              : g->standby_known    ? ipstr(g->standby_ip, b2)
                                                    : "unknown";
            sb_printf(out, "%-11s %-4u %-3u %c %-7s %-15s %-15s %s\n", i->short_name, g->num,
                      effective_priority(g), g->cfg.preempt ? 'P' : ' ', hsrp_state_name(g->st),
                      act, stb,
                      g->vip || g->cfg.vip ? ipstr(g->vip ? g->vip : g->cfg.vip, b3) : "unknown");
        }
    }
}

void hsrp_render(struct hsrp *h, const char *ios, struct strbuf *out)
{
    struct hsrp_iface *i = iface_by_ios(h, ios);
    if (!i) return;
    char b[INET_ADDRSTRLEN], mac[16];
    if (i->version == 2) sb_puts(out, " standby version 2\n");
    if (i->use_bia) sb_puts(out, " standby use-bia\n");
    for (struct hsrp_group *g = i->groups; g; g = g->next) {
        const struct hsrp_group_cfg *c = &g->cfg;
        char p[16] = "";
        if (g->num) snprintf(p, sizeof p, "%u ", g->num); /* group 0 prints without a number */
        if (c->vip)
            sb_printf(out, " standby %sip %s\n", p, ipstr(c->vip, b));
        else
            sb_printf(out, " standby %sip\n", p);
        for (int k = 0; k < c->nsecondary; k++)
            sb_printf(out, " standby %sip %s secondary\n", p, ipstr(c->secondary[k], b));
        if (c->hello_ms || c->hold_ms) {
            uint32_t he = c->hello_ms ? c->hello_ms : DEF_HELLO_MS;
            uint32_t ho = c->hold_ms ? c->hold_ms : DEF_HOLD_MS;
            sb_printf(out, " standby %stimers ", p);
            if (c->hello_msec)
                sb_printf(out, "msec %u ", he);
            else
                sb_printf(out, "%u ", he / 1000);
            if (c->hold_msec)
                sb_printf(out, "msec %u\n", ho);
            else
                sb_printf(out, "%u\n", ho / 1000);
        }
        if (c->priority != 100) sb_printf(out, " standby %spriority %u\n", p, c->priority);
        if (c->preempt) {
            sb_printf(out, " standby %spreempt", p);
            if (c->preempt_min_ms || c->preempt_reload_ms) sb_puts(out, " delay");
            if (c->preempt_min_ms) sb_printf(out, " minimum %u", c->preempt_min_ms / 1000);
            if (c->preempt_reload_ms) sb_printf(out, " reload %u", c->preempt_reload_ms / 1000);
            sb_puts(out, "\n");
        }
        if (c->auth.kind == HSRP_AUTH_MD5)
            sb_printf(out, " standby %sauthentication md5 key-string %s\n", p, c->auth.key);
        else if (strcmp(c->auth.text, "cisco"))
            sb_printf(out, " standby %sauthentication text %s\n", p, c->auth.text);
        if (c->name[0]) sb_printf(out, " standby %sname %s\n", p, c->name);
        if (c->mac_set) {
            mac_text(c->mac, mac);
            sb_printf(out, " standby %smac-address %s\n", p, mac);
        }
        for (int t = 0; t < c->ntrack; t++) {
            sb_printf(out, " standby %strack %s", p, c->track[t].ifname);
            if (c->track[t].decrement != 10) sb_printf(out, " decrement %u", c->track[t].decrement);
            sb_puts(out, "\n");
        }
    }
}
