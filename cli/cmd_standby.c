/* `standby` interface commands, `show standby`, and the interface facts HSRP needs. The
 * grammar is generated: every group command exists with and without a group number
 * (`standby ip X` is group 0), and with its `no` form. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/app.h"
#include "hsrp/hsrp.h"
#include "platform/log.h"
#include "platform/netif.h"
#include "platform/strbuf.h"

#define M_IF (1u << CM_IF)
#define M_EXEC (1u << CM_EXEC)

static struct iface *cur_if(struct cmd_ctx *c)
{
    struct ifname n;
    if (!c->mode_obj || ifname_parse(c->mode_obj, NULL, &n, NULL)) return NULL;
    return app_iface_find(c->app, &n);
}

/* Tell HSRP what it needs to know of an interface: names, address, MAC, up or not. */
void app_hsrp_iface(struct app *a, struct iface *i)
{
    if (!a->hsrp || i->name.type != IFT_GIGABIT) return; /* HSRP runs on LAN interfaces */
    uint8_t mac[6] = {0};
    bool up = !i->shutdown;
    if (a->netif) {
        struct netif_link l;
        if (netif_link_get(a->netif, i->lnx, &l) == 0) {
            memcpy(mac, l.mac, 6);
            up = up && l.admin_up && l.oper_up;
        } else {
            up = false;
        }
    }
    char shortn[32];
    ifname_short(&i->name, shortn, sizeof shortn);
    hsrp_iface_set(a->hsrp, i->ios, i->lnx, shortn, i->has_addr ? i->addr : 0, mac, up);
    hsrp_link_state(a->hsrp, i->ios, up);
}

/* Lengths are checked before; this only keeps the copy inside dst. */
static void setstr(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int grp_range_err(struct cmd_ctx *c, long grp, int version)
{
    return ctx_err(c, "%% Group %ld is out of range for HSRP version %d (0-%d)", grp, version,
                   version == 1 ? 255 : 4095);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
    unsigned a, b, d;
    char tail;
    if (sscanf(s, "%4x.%4x.%4x%c", &a, &b, &d, &tail) != 3 || strlen(s) != 14) return false;
    mac[0] = a >> 8, mac[1] = a & 0xff, mac[2] = b >> 8, mac[3] = b & 0xff;
    mac[4] = d >> 8, mac[5] = d & 0xff;
    return !(mac[0] & 1); /* not multicast */
}

static int h_standby(struct cmd_ctx *c)
{
    struct app *a = c->app;
    struct iface *i = cur_if(c);
    if (!i) return ctx_err(c, "%% Interface is gone");
    if (!a->hsrp) return ctx_err(c, "%% HSRP is not running");
    if (i->name.type == IFT_LOOPBACK) return ctx_err(c, "%% HSRP is not supported on loopbacks");
    app_hsrp_iface(a, i);
    const struct cmd_match *m = c->m;
    bool neg = m->is_no || m->is_default;
    int k = neg ? 2 : 1;
    long grp = 0;
    bool have_grp = k < m->argc && isdigit((unsigned char)m->argv[k][0]);
    if (have_grp) grp = strtol(m->argv[k++], NULL, 10);
    const char *w = k < m->argc ? m->argv[k] : "";
    int version = hsrp_iface_get_version(a->hsrp, i->ios);
    a->changes++;

    /* Interface-wide commands. */
    if (!strcmp(w, "version")) {
        int v = neg ? 1 : atoi(m->argv[k + 1]);
        if (hsrp_iface_version(a->hsrp, i->ios, v))
            return ctx_err(c, "%% A group number above 255 needs HSRP version 2");
        return 0;
    }
    if (!strcmp(w, "use-bia")) {
        hsrp_iface_use_bia(a->hsrp, i->ios, !neg);
        return 0;
    }
    if (!strcmp(w, "arp")) { /* arp gratuitous [count N] [interval S] */
        unsigned count = 3, interval = 2;
        for (int j = k + 2; !neg && j + 1 < m->argc; j += 2) {
            if (!strcmp(m->argv[j], "count")) count = (unsigned)atoi(m->argv[j + 1]);
            if (!strcmp(m->argv[j], "interval")) interval = (unsigned)atoi(m->argv[j + 1]);
        }
        i->garp_count = count;
        i->garp_interval = interval;
        struct hsrp_group_cfg cfg;
        for (int g = 0; g <= 4095; g++)
            if (hsrp_group_config(a->hsrp, i->ios, (uint16_t)g, &cfg)) {
                char err[160];
                cfg.garp_count = count, cfg.garp_interval_ms = interval * 1000;
                hsrp_group_configure(a->hsrp, i->ios, (uint16_t)g, &cfg, err, sizeof err);
            }
        return 0;
    }

    if (grp > (version == 1 ? 255 : 4095)) return grp_range_err(c, grp, version);
    if (neg && !w[0]) { /* no standby N: the group goes (resigning if Active) */
        hsrp_group_remove(a->hsrp, i->ios, (uint16_t)grp);
        return 0;
    }
    struct hsrp_group_cfg cfg;
    bool exists = hsrp_group_config(a->hsrp, i->ios, (uint16_t)grp, &cfg);
    if (!exists) {
        cfg.garp_count = i->garp_count;
        cfg.garp_interval_ms = i->garp_interval * 1000;
    }
    if (neg && !exists) return 0;
    const char *v1 = k + 1 < m->argc ? m->argv[k + 1] : NULL;
    bool secondary = !strcmp(w, "ip") && k + 2 < m->argc;
    if (secondary) { /* standby N ip A secondary */
        unsigned vip;
        cmd_parse_ipv4(v1, &vip);
        int at = 0;
        while (at < cfg.nsecondary && cfg.secondary[at] != vip) at++;
        if (neg) {
            if (at == cfg.nsecondary) return ctx_err(c, "%% %s is not a secondary address", v1);
            memmove(&cfg.secondary[at], &cfg.secondary[at + 1],
                    (size_t)(cfg.nsecondary - at - 1) * sizeof cfg.secondary[0]);
            cfg.nsecondary--;
        } else if (at == cfg.nsecondary) {
            if (!cfg.vip) return ctx_err(c, "%% Configure the primary virtual IP address first");
            if (i->has_addr && i->plen > 0 && (vip ^ i->addr) >> (32 - i->plen))
                return ctx_err(c, "%% %s is not in the subnet of %s", v1, i->ios);
            if (vip == cfg.vip) return ctx_err(c, "%% %s is the primary virtual IP", v1);
            if (at == HSRP_MAX_SECONDARY) return ctx_err(c, "%% Too many secondary addresses");
            cfg.secondary[cfg.nsecondary++] = vip;
        }
    } else if (!strcmp(w, "ip")) {
        if (neg || !v1) {
            cfg.vip = 0;
            cfg.nsecondary = 0;
        } else {
            unsigned vip;
            cmd_parse_ipv4(v1, &vip);
            if (i->has_addr && (vip ^ i->addr) >> (32 - i->plen) && i->plen > 0)
                return ctx_err(c, "%% %s is not in the subnet of %s", v1, i->ios);
            if (i->has_addr && vip == i->addr)
                return ctx_err(c, "%% %s is the address of %s itself", v1, i->ios);
            cfg.vip = vip;
        }
    } else if (!strcmp(w, "priority")) {
        cfg.priority = neg ? 100 : (uint32_t)atoi(v1);
    } else if (!strcmp(w, "preempt")) {
        cfg.preempt = !neg;
        cfg.preempt_min_ms = cfg.preempt_reload_ms = 0;
        for (int j = k + 2; !neg && j + 1 < m->argc; j += 2) {
            if (!strcmp(m->argv[j], "minimum")) cfg.preempt_min_ms = 1000u * atoi(m->argv[j + 1]);
            if (!strcmp(m->argv[j], "reload")) cfg.preempt_reload_ms = 1000u * atoi(m->argv[j + 1]);
        }
    } else if (!strcmp(w, "timers")) {
        if (neg) {
            cfg.hello_ms = cfg.hold_ms = 0;
            cfg.hello_msec = cfg.hold_msec = false;
        } else {
            int j = k + 1;
            bool hm = !strcmp(m->argv[j], "msec");
            j += hm;
            long he = strtol(m->argv[j++], NULL, 10);
            bool om = !strcmp(m->argv[j], "msec");
            j += om;
            long ho = strtol(m->argv[j], NULL, 10);
            uint32_t hello = (uint32_t)(hm ? he : he * 1000),
                     hold = (uint32_t)(om ? ho : ho * 1000);
            if (hold <= hello) return ctx_err(c, "%% Hold time must be greater than hello time");
            cfg.hello_ms = hello, cfg.hold_ms = hold;
            cfg.hello_msec = hm, cfg.hold_msec = om;
        }
    } else if (!strcmp(w, "authentication")) {
        memset(&cfg.auth, 0, sizeof cfg.auth);
        cfg.auth.kind = HSRP_AUTH_TEXT;
        if (neg) {
            strcpy(cfg.auth.text, "cisco");
        } else if (!strcmp(v1, "md5")) {
            const char *key = m->argv[k + 3];
            if (strlen(key) > 64) return ctx_err(c, "%% The key-string is at most 64 characters");
            cfg.auth.kind = HSRP_AUTH_MD5;
            setstr(cfg.auth.key, sizeof cfg.auth.key, key);
            cfg.auth.keylen = strlen(cfg.auth.key);
        } else {
            const char *t = !strcmp(v1, "text") ? m->argv[k + 2] : v1;
            if (strlen(t) > 8)
                return ctx_err(c, "%% The authentication string is at most 8 characters");
            setstr(cfg.auth.text, sizeof cfg.auth.text, t);
        }
    } else if (!strcmp(w, "name")) {
        if (!neg && strlen(v1) >= sizeof cfg.name) return ctx_err(c, "%% The name is too long");
        setstr(cfg.name, sizeof cfg.name, neg ? "" : v1);
    } else if (!strcmp(w, "mac-address")) {
        if (neg)
            cfg.mac_set = false;
        else if (!parse_mac(v1, cfg.mac))
            return ctx_err(c, "%% Invalid MAC address %s (H.H.H, unicast)", v1);
        else
            cfg.mac_set = true;
    } else if (!strcmp(w, "track")) {
        const char *ifn = v1;
        int t = 0;
        while (t < cfg.ntrack && strcmp(cfg.track[t].ifname, ifn)) t++;
        if (neg) {
            if (t < cfg.ntrack) {
                memmove(&cfg.track[t], &cfg.track[t + 1],
                        (size_t)(cfg.ntrack - t - 1) * sizeof cfg.track[0]);
                cfg.ntrack--;
            }
        } else {
            if (t == cfg.ntrack) {
                if (t == HSRP_MAX_TRACK) return ctx_err(c, "%% Too many tracked interfaces");
                cfg.ntrack++;
            }
            setstr(cfg.track[t].ifname, sizeof cfg.track[t].ifname, ifn);
            cfg.track[t].decrement = k + 3 < m->argc ? (unsigned)atoi(m->argv[k + 3]) : 10;
        }
    }
    /* A `no` that leaves nothing configured removes the group, as IOS does. */
    struct hsrp_group_cfg def;
    hsrp_group_cfg_default(&def);
    if (neg && !cfg.vip && !cfg.nsecondary && cfg.priority == def.priority && !cfg.preempt &&
        !cfg.hello_ms && !cfg.hold_ms && cfg.auth.kind == def.auth.kind &&
        !strcmp(cfg.auth.text, def.auth.text) && !cfg.name[0] && !cfg.mac_set && !cfg.ntrack) {
        hsrp_group_remove(a->hsrp, i->ios, (uint16_t)grp);
        return 0;
    }
    char err[200];
    if (hsrp_group_configure(a->hsrp, i->ios, (uint16_t)grp, &cfg, err, sizeof err))
        return ctx_err(c, "%s", err);
    return 0;
}

static int h_show_standby(struct cmd_ctx *c)
{
    if (!c->app->hsrp) return 0;
    const struct cmd_match *m = c->m;
    const char *ifn = NULL;
    int grp = -1;
    bool brief = false;
    for (int k = 2; k < m->argc; k++) {
        if (!strcmp(m->argv[k], "brief"))
            brief = true;
        else if (isdigit((unsigned char)m->argv[k][0]))
            grp = atoi(m->argv[k]);
        else
            ifn = m->argv[k];
    }
    hsrp_show(c->app->hsrp, ifn, grp, brief, c->out);
    return 0;
}

/* ---- the grammar ---- */

struct tail {
    const char *syntax; /* after `standby [N]` */
    bool grp;           /* exists with a group number too */
    const char *help[8];
};

static const struct tail pos[] = {
    {"ip", true, {"Enable HSRP and set the virtual IP address"}},
    {"ip A.B.C.D", true, {NULL, "Virtual IP address"}},
    {"ip A.B.C.D secondary",
     true,
     {NULL, NULL, "Make this IP address a secondary virtual IP address"}},
    {"priority <1-255>", true, {"Priority level", "Priority value"}},
    {"preempt", true, {"Overthrow lower priority Active routers"}},
    {"preempt delay minimum <0-3600>",
     true,
     {NULL, "Wait before preempting", "Delay at least this long",
      "Number of seconds for minimum delay"}},
    {"preempt delay reload <0-3600>",
     true,
     {NULL, NULL, "Delay after reload", "Number of seconds for reload delay"}},
    {"preempt delay minimum <0-3600> reload <0-3600>",
     true,
     {NULL, NULL, NULL, NULL, "Delay after reload", "Number of seconds for reload delay"}},
    {"timers <1-254> <1-255>",
     true,
     {"Hello and hold timers", "Hello interval in seconds", "Hold time in seconds"}},
    {"timers <1-254> msec <50-3000>",
     true,
     {NULL, NULL, "Specify hold time in milliseconds", "Hold time in milliseconds"}},
    {"timers msec <15-999> <1-255>",
     true,
     {NULL, "Specify hello interval in milliseconds", "Hello interval in milliseconds",
      "Hold time in seconds"}},
    {"timers msec <15-999> msec <50-3000>",
     true,
     {NULL, NULL, NULL, "Specify hold time in milliseconds", "Hold time in milliseconds"}},
    {"authentication WORD",
     true,
     {"Authentication", "Plain text authentication string (8 chars max)"}},
    {"authentication text WORD",
     true,
     {NULL, "Plain text authentication", "Plain text authentication string (8 chars max)"}},
    {"authentication md5 key-string WORD",
     true,
     {NULL, "Use MD5 authentication", "Set key string", "Key string (64 chars max)"}},
    {"name WORD", true, {"Redundancy name string", "Name string"}},
    {"mac-address WORD", true, {"Virtual MAC address", "Virtual MAC address (H.H.H)"}},
    {"track IFNAME", true, {"Priority tracking", "Interface to track"}},
    {"track IFNAME decrement <1-255>", true, {NULL, NULL, "Priority decrement", "Decrement value"}},
    {"version <1-2>", false, {"HSRP version", "Version"}},
    {"use-bia", false, {"HSRP uses interface's burned in address"}},
    {"arp gratuitous", false, {"HSRP gratuitous ARP", "Gratuitous ARP after becoming Active"}},
    {"arp gratuitous count <0-60>", false, {NULL, NULL, "Number of gratuitous ARPs", "Count"}},
    {"arp gratuitous interval <1-60>", false, {NULL, NULL, "Interval between them", "Seconds"}},
    {"arp gratuitous count <0-60> interval <1-60>",
     false,
     {NULL, NULL, NULL, NULL, "Interval between them", "Seconds"}},
};

static const struct tail neg[] = {
    {"", true, {NULL}},
    {"ip", true, {NULL}},
    {"ip A.B.C.D", true, {NULL}},
    {"ip A.B.C.D secondary", true, {NULL}},
    {"priority", true, {NULL}},
    {"priority <1-255>", true, {NULL}},
    {"preempt", true, {NULL}},
    {"timers", true, {NULL}},
    {"authentication", true, {NULL}},
    {"name", true, {NULL}},
    {"mac-address", true, {NULL}},
    {"track IFNAME", true, {NULL}},
    {"version", false, {NULL}},
    {"use-bia", false, {NULL}},
    {"arp gratuitous", false, {NULL}},
};

static void add_tail(struct cmd_tree *t, struct cmd_def *d, char (*syn)[128], size_t *n,
                     const struct tail *tl, bool is_neg, bool with_grp)
{
    struct cmd_def *x = &d[*n];
    const char *grp = with_grp ? " <0-4095>" : "";
    snprintf(syn[*n], sizeof syn[0], "%sstandby%s%s%s", is_neg ? "no " : "", grp,
             tl->syntax[0] ? " " : "", tl->syntax);
    x->modes = M_IF;
    x->priv = 15;
    x->fn = h_standby;
    x->syntax = syn[*n];
    int h = 0;
    if (is_neg) x->help[h++] = "Negate a command or set its defaults";
    x->help[h++] = "HSRP interface configuration commands";
    if (with_grp) x->help[h++] = "group number";
    for (int j = 0; j < 8 && h < CMD_MAX_TOKENS; j++) x->help[h++] = tl->help[j];
    if (cmdtree_add(t, x)) abort();
    (*n)++;
}

void app_register_standby(struct cmd_tree *t)
{
    size_t max = 2 * (sizeof pos / sizeof pos[0] + sizeof neg / sizeof neg[0]);
    struct cmd_def *d = calloc(max, sizeof *d);
    char(*syn)[128] = calloc(max, sizeof *syn);
    if (!d || !syn) abort();
    cmdtree_own(t, d);
    cmdtree_own(t, syn);
    size_t n = 0;
    for (size_t k = 0; k < sizeof pos / sizeof pos[0]; k++) {
        add_tail(t, d, syn, &n, &pos[k], false, false);
        if (pos[k].grp) add_tail(t, d, syn, &n, &pos[k], false, true);
    }
    for (size_t k = 0; k < sizeof neg / sizeof neg[0]; k++) {
        if (neg[k].syntax[0]) add_tail(t, d, syn, &n, &neg[k], true, false);
        if (neg[k].grp) add_tail(t, d, syn, &n, &neg[k], true, true);
    }
}

const struct cmd_def app_cmds_standby[] = {
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_standby,
     "show standby",
     {"Show running system information", "Hot standby protocol (HSRP) information"}},
    {M_EXEC, 1, CMDF_FILTER, h_show_standby, "show standby brief", {NULL, NULL, "Brief output"}},
    {M_EXEC, 1, CMDF_FILTER, h_show_standby, "show standby IFNAME", {NULL, NULL, "Interface"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_standby,
     "show standby IFNAME brief",
     {NULL, NULL, NULL, "Brief output"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_standby,
     "show standby IFNAME <0-4095>",
     {NULL, NULL, NULL, "group number"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_standby,
     "show standby IFNAME <0-4095> brief",
     {NULL, NULL, NULL, NULL, "Brief output"}},
};
const size_t app_ncmds_standby = sizeof app_cmds_standby / sizeof app_cmds_standby[0];
