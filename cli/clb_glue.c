/* The cluster engine composed with HSRP (its role port), the IKE engine and the system (its
 * load port), and the IKE engine's redirect port answered by it (RFC 5685). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "clb/clb.h"
#include "cli/app.h"
#include "cli/ike_glue.h"
#include "hsrp/hsrp.h"
#include "ike/ike.h"
#include "platform/sysload.h"

static bool role(void *ctx, const char *group, bool *active, uint32_t *vip, uint32_t *own)
{
    struct app *a = ctx;
    uint32_t v = 0;
    if (!a->hsrp || !hsrp_role(a->hsrp, group, active, &v) || !v) return false;
    *vip = htonl(v);
    /* Our own address on the group's subnet: the member's redirect address. */
    *own = 0;
    for (struct iface *i = a->ifaces; i; i = i->next) {
        if (!i->has_addr || i->plen <= 0) continue;
        uint32_t mask = i->plen >= 32 ? 0xffffffffu : ~(0xffffffffu >> i->plen);
        if ((i->addr & mask) == (v & mask)) {
            *own = htonl(i->addr);
            break;
        }
    }
    return true;
}

static void load(void *ctx, struct clb_local_load *out)
{
    struct app *a = ctx;
    memset(out, 0, sizeof *out);
    struct ike *ike = ike_glue_engine(a->ike);
    if (ike) {
        struct ike_stats st;
        ike_get_stats(ike, &st);
        out->sessions = st.established;
        out->ipsec_sas = st.children;
        out->negotiating = st.half_open;
    }
    out->cac_max_sa = a->ikev2.max_sa;
    out->cac_max_neg = a->ikev2.max_nego_in;
    double five = 0, one, fivem;
    if (a->sysload) sysload_cpu(a->sysload, &five, &one, &fivem);
    out->cpu_pct100 = (uint16_t)(five * 100 > 10000 ? 10000 : five * 100);
    struct sysmem m;
    if (sysload_mem(&m) == 0 && m.total) {
        out->mem_used = m.used;
        out->mem_pct100 = (uint16_t)(m.used * 10000 / m.total);
    }
}

/* Registered with the app, not the engine: HSRP cannot forget a watcher, and it still
 * resigns (and tells us) after the cluster engine is gone at exit. */
static void watch(void *arg, const char *name, bool active, uint32_t vip)
{
    (void)name, (void)active, (void)vip;
    struct app *a = arg;
    if (a->clb) clb_role_changed(a->clb);
}

/* RFC 5685: at IKE_SA_INIT with `redirect gateway init` (global, or in the profile that can
 * be known before authentication), at IKE_AUTH with `redirect gateway auth` (global or in
 * the profile the client matched); only when this gateway is the cluster master. */
static bool iface_has(void *arg, const char *ifname, uint32_t addr_h)
{
    return app_iface_has_addr(arg, ifname, addr_h);
}

static bool pick(void *ctx, const struct ike_ep *local, const struct ike_ep *client, uint8_t phase,
                 const char *profile, uint32_t *target)
{
    struct app *a = ctx;
    if (!a->clb || !clb_is_master(a->clb)) return false;
    bool want;
    if (phase == IKE_SA_INIT) {
        want = a->ikev2.redirect_init;
        if (!want) {
            /* The VIP is an HSRP address, not one of the interface's: `match address local`
             * names it directly (an interface match finds the interface's own addresses). */
            struct ike_cfg_match_env env = {a, NULL, iface_has};
            const struct ike_cfg_profile *p =
                ike_cfg_profile_for_local(&a->ikev2, ntohl(local->addr), &env);
            want = p && p->redirect_init;
        }
    } else {
        want = a->ikev2.redirect_auth;
        if (!want && profile) {
            const struct ike_cfg_profile *p = ike_cfg_profile_find(&a->ikev2, profile);
            want = p && p->redirect_auth;
        }
    }
    return want && clb_redirect_pick(a->clb, client->addr, target);
}

void app_start_cluster(struct app *a)
{
    struct clb_role_port rp = {a, role};
    struct clb_load_port lp = {a, load};
    a->clb = clb_new(a->loop, &rp, &lp);
    if (!a->clb) return;
    if (a->hsrp) hsrp_watch(a->hsrp, watch, a);
    struct ike *ike = ike_glue_engine(a->ike);
    if (ike) {
        struct ike_redirect_port r = {a, pick};
        ike_set_redirect(ike, &r);
    }
}

void app_stop_cluster(struct app *a)
{
    struct ike *ike = ike_glue_engine(a->ike);
    if (ike) ike_set_redirect(ike, NULL);
    clb_free(a->clb);
    a->clb = NULL;
}
