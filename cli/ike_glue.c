/* The IKEv2 engine's ports on this appliance (see ike_glue.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/app.h"
#include "cli/ike_glue.h"
#include "ike/ike.h"
#include "ike/ike_auth.h"
#include "ike/ike_io.h"
#include "ike/ike_pki.h"
#include "ipsec-xfrm/xfrm.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/strbuf.h"

#define MAX_VT 64

struct tpent {
    char name[IKE_IPSEC_NAME_MAX];
    struct ike_pki_tp *tp;
    struct tpent *next;
};

struct ike_glue {
    struct app *a;
    loop_t *loop;
    struct ike *ike;
    struct ike_io *io;
    struct xfrm *xfrm;
    struct loop_watch *xfrm_watch; /* its EXPIRE/ACQUIRE events */
    struct tpent *tps;
    struct ike_pki_hooks hooks;
    long vt_links[MAX_VT]; /* Virtual-Templates whose xfrm interface we made (0: free) */
    int vt_warned[MAX_VT]; /* ...and those whose failure was logged */
};

/* ---- trustpoints ---- */

static struct tpent *tp_find(struct ike_glue *g, const char *name)
{
    for (struct tpent *t = g->tps; t; t = t->next)
        if (!strcmp(t->name, name)) return t;
    return NULL;
}

static struct tpent *tp_get(struct ike_glue *g, const char *name)
{
    struct tpent *t = tp_find(g, name);
    if (t) return t;
    t = calloc(1, sizeof *t);
    if (!t) return NULL;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->tp = ike_pki_tp_new(name);
    if (!t->tp) {
        free(t);
        return NULL;
    }
    t->next = g->tps;
    g->tps = t;
    return t;
}

/* Imported material is kept as PEM files in <startup-config dir>/pki/NAME.{ca,crt,prv}, so a
 * reload does not need the original files (IOS keeps it in NVRAM). */
static void pki_path(struct ike_glue *g, const char *tp, const char *ext, char *out, size_t cap)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", g->a->startup_path[0] ? g->a->startup_path : "/etc/ikegate/x");
    snprintf(out, cap, "%s/pki/%s.%s", dirname(dir), tp, ext);
}

static int save_part(struct ike_glue *g, const char *tp, const char *ext, const char *pem)
{
    char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
    pki_path(g, tp, ext, path, sizeof path);
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s", path);
    mkdir(dirname(dir), 0700);
    if (!pem) {
        unlink(path);
        return 0;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -errno;
    fchmod(fileno(f), 0600);
    fputs(pem, f);
    if (fclose(f)) return -EIO;
    return rename(tmp, path) ? -errno : 0;
}

static void save_tp(struct ike_glue *g, struct tpent *t)
{
    static const struct {
        enum ike_pki_part part;
        const char *ext;
    } parts[] = {{IKE_PKI_PART_CA, "ca"}, {IKE_PKI_PART_CERT, "crt"}, {IKE_PKI_PART_KEY, "prv"}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char *pem = ike_pki_tp_export_pem(t->tp, parts[i].part, NULL);
        int rc = save_part(g, t->name, parts[i].ext, pem);
        if (rc)
            ilog(LOG_SEV_ERRORS, "PKI", "SAVE_FAILED", "Cannot save trustpoint %s: %s", t->name,
                 strerror(-rc));
        if (pem) OPENSSL_cleanse(pem, strlen(pem));
        free(pem);
    }
}

static int h_import_pem(void *ctx, const char *tp, const char *prefix, const char *pw, char *err,
                        size_t errlen)
{
    struct ike_glue *g = ctx;
    struct tpent *t = tp_get(g, tp);
    if (!t) return snprintf(err, errlen, "out of memory"), -1;
    if (ike_pki_tp_import_pem_files(t->tp, prefix, pw, err, errlen)) return -1;
    save_tp(g, t);
    return 0;
}

static int h_import_p12(void *ctx, const char *tp, const char *path, const char *pw, char *err,
                        size_t errlen)
{
    struct ike_glue *g = ctx;
    struct tpent *t = tp_get(g, tp);
    if (!t) return snprintf(err, errlen, "out of memory"), -1;
    if (ike_pki_tp_import_pkcs12(t->tp, path, pw, err, errlen)) return -1;
    save_tp(g, t);
    return 0;
}

static int h_render_certs(void *ctx, const char *tp, struct strbuf *out)
{
    struct tpent *t = tp_find(ctx, tp);
    if (!t) return -1;
    ike_pki_tp_show_certificates(t->tp, false, out);
    return 0;
}

static int h_render_tp(void *ctx, const char *tp, struct strbuf *out)
{
    struct tpent *t = tp_find(ctx, tp);
    return t ? ike_pki_tp_show_trustpoint(t->tp, out) : -1;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    struct strbuf sb = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_append(&sb, buf, n);
    fclose(f);
    return sb_detach(&sb);
}

static void h_attach(void *ctx, const char *tp)
{
    struct ike_glue *g = ctx;
    struct tpent *t = tp_get(g, tp);
    if (!t) return;
    char p1[PATH_MAX + 32], p2[PATH_MAX + 32], p3[PATH_MAX + 32];
    pki_path(g, tp, "ca", p1, sizeof p1);
    pki_path(g, tp, "crt", p2, sizeof p2);
    pki_path(g, tp, "prv", p3, sizeof p3);
    char *ca = read_file(p1), *crt = read_file(p2), *key = read_file(p3);
    if (ca || crt || key) {
        char err[256];
        if (ike_pki_tp_import_pem(t->tp, ca, crt, key, NULL, err, sizeof err))
            ilog(LOG_SEV_ERRORS, "PKI", "LOAD_FAILED", "Trustpoint %s: saved certificates: %s", tp,
                 err);
    }
    if (key) OPENSSL_cleanse(key, strlen(key));
    free(ca), free(crt), free(key);
}

static void h_remove(void *ctx, const char *tp)
{
    struct ike_glue *g = ctx;
    for (struct tpent **pp = &g->tps; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->name, tp)) {
            struct tpent *t = *pp;
            *pp = t->next;
            ike_pki_tp_free(t->tp);
            free(t);
            break;
        }
    save_part(g, tp, "ca", NULL);
    save_part(g, tp, "crt", NULL);
    save_part(g, tp, "prv", NULL);
}

/* ---- policy port ---- */

static void pol_proposals(void *ctx, uint32_t local, struct ike_prop_list *out)
{
    struct ike_glue *g = ctx;
    struct ike_cfg_tset ts[IKE_CFG_MAX_PROPS];
    int n = ike_cfg_proposals_for(&g->a->ikev2, ntohl(local), ts, IKE_CFG_MAX_PROPS);
    out->n = 0;
    for (int i = 0; i < n; i++) {
        struct ike_prop_cfg *p = &out->p[out->n++];
        memset(p, 0, sizeof *p);
        for (int k = 0; k < ts[i].nencr && k < IKE_CFG_MAX_ALG; k++)
            p->encr[p->nencr].id = ts[i].encr[k].id,
            p->encr[p->nencr++].keylen = ts[i].encr[k].keylen;
        for (int k = 0; k < ts[i].ninteg && k < IKE_CFG_MAX_ALG; k++)
            p->integ[p->ninteg++] = ts[i].integ[k];
        for (int k = 0; k < ts[i].nprf && k < IKE_CFG_MAX_ALG; k++)
            p->prf[p->nprf++] = ts[i].prf[k];
        for (int k = 0; k < ts[i].ndh && k < IKE_CFG_MAX_ALG; k++) p->dh[p->ndh++] = ts[i].dh[k];
    }
}

static size_t pol_certreq(void *ctx, uint8_t *buf, size_t cap)
{
    struct ike_glue *g = ctx;
    size_t n = 0;
    for (struct tpent *t = g->tps; t; t = t->next) {
        size_t need = ike_pki_tp_certreq(t->tp, NULL, 0);
        if (!need || n + need > cap) continue;
        n += ike_pki_tp_certreq(t->tp, buf + n, cap - n);
    }
    return n;
}

struct menv {
    struct ike_glue *g;
    const struct ike_pki_cert *cert;
};

static bool env_certmap(void *arg, const char *map)
{
    struct menv *e = arg;
    if (!e->cert) return false;
    struct ike_pki_map_entry ent[32];
    int n = 0;
    for (const struct ike_certmap *m = ike_certmap_next(&e->g->a->ipsec, map, NULL); m && n < 32;
         m = ike_certmap_next(&e->g->a->ipsec, map, m)) {
        struct ike_pki_map_entry *x = &ent[n++];
        memset(x, 0, sizeof *x);
        x->seq = m->seq;
        x->nrules = m->nrules;
        for (int r = 0; r < m->nrules && r < IKE_PKI_MAP_MAX_RULES; r++) {
            x->rule[r].field = (int)m->rule[r].field;
            x->rule[r].op = (int)m->rule[r].op;
            snprintf(x->rule[r].value, sizeof x->rule[r].value, "%s", m->rule[r].value);
        }
    }
    return n > 0 && ike_pki_map_match(ent, n, e->cert) >= 0;
}

static bool env_iface(void *arg, const char *ifname, uint32_t addr_h)
{
    struct menv *e = arg;
    return app_iface_has_addr(e->g->a, ifname, addr_h);
}

static unsigned cfg_method(const struct ike_peer_info *peer)
{
    switch (peer->auth_method) {
    case IKE_AUTH_RSA_SIG: return IKECFG_AUTH_RSA;
    case IKE_AUTH_ECDSA_256:
    case IKE_AUTH_ECDSA_384:
    case IKE_AUTH_ECDSA_521: return IKECFG_AUTH_ECDSA;
    case IKE_AUTH_DIGITAL_SIG:
        return peer->cert && ike_auth_cert_is_ecdsa(peer->cert) ? IKECFG_AUTH_ECDSA
                                                                : IKECFG_AUTH_RSA;
    default: return IKECFG_AUTH_PSK;
    }
}

/* The address of interface IFNAME (host order), 0 when none. */
static uint32_t iface_addr(struct ike_glue *g, const char *ifname)
{
    struct ifname n;
    if (!ifname[0] || ifname_parse(ifname, NULL, &n, NULL)) return 0;
    struct iface *i = app_iface_find(g->a, &n);
    return i && i->has_addr ? i->addr : 0;
}

static void fill_view(struct ike_glue *g, const struct ike_cfg_profile *p,
                      const struct ike_peer_info *peer, struct ike_profile_view *v)
{
    struct ike_config *c = &g->a->ikev2;
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", p->name);
    v->auth_remote = p->auth_remote;
    v->auth_local = p->auth_local;
    unsigned m = cfg_method(peer);
    struct ike_cfg_peer_id rid = {peer->id_type, peer->id_data, peer->id_len};
    struct ike_cfg_keys keys;
    ike_cfg_psk_lookup(c, p, ntohl(peer->remote.addr), peer->id_type ? &rid : NULL, NULL, &keys);
    /* A key bound to this very identity (a keyring peer matched by it, not a key-id, which
     * names groups) is the peer's own; any other may be shared by many clients. */
    v->psk_shared = !keys.peer || !ike_cfg_kpeer_binds(keys.peer, peer->id_type ? &rid : NULL);
    if (keys.remote) {
        v->psk_remote_len = strlen(keys.remote);
        memcpy(v->psk_remote, keys.remote, v->psk_remote_len);
    }
    if (keys.local) {
        v->psk_local_len = strlen(keys.local);
        memcpy(v->psk_local, keys.local, v->psk_local_len);
    }
    switch (p->identity.kind) {
    case IKECFG_ID_ADDRESS: {
        v->id_type = IKE_ID_IPV4_ADDR;
        uint32_t a = htonl(p->identity.addr_h);
        memcpy(v->id_data, &a, 4);
        v->id_len = 4;
        break;
    }
    case IKECFG_ID_FQDN:
    case IKECFG_ID_EMAIL:
    case IKECFG_ID_KEYID:
        v->id_type = p->identity.kind == IKECFG_ID_FQDN    ? IKE_ID_FQDN
                     : p->identity.kind == IKECFG_ID_EMAIL ? IKE_ID_RFC822_ADDR
                                                           : IKE_ID_KEY_ID;
        v->id_len = strlen(p->identity.text);
        memcpy(v->id_data, p->identity.text, v->id_len);
        break;
    case IKECFG_ID_DN: v->id_type = IKE_ID_DER_ASN1_DN; break;
    default: v->id_type = IKE_ID_IPV4_ADDR; /* IOS: the address the request came to */
    }
    for (int i = 0; i < p->ntp; i++) {
        struct tpent *t = tp_find(g, p->tp[i].name);
        if (!t) continue;
        if (v->ntrustpoints < IKE_MAX_TRUSTPOINTS && p->tp[i].usage != IKECFG_TP_SIGN &&
            ike_pki_tp_ca_count(t->tp) > 0)
            v->trustpoints[v->ntrustpoints++] = t->tp;
        if (!v->signer && p->tp[i].usage != IKECFG_TP_VERIFY && ike_pki_tp_cert(t->tp) &&
            ike_pki_tp_key(t->tp))
            v->signer = t->tp;
    }
    struct ike_cfg_effective eff;
    ike_cfg_effective(c, p, (enum ike_cfg_auth)m, &eff);
    v->lifetime = eff.lifetime;
    if (eff.dpd.set) {
        v->dpd = eff.dpd.periodic ? IKE_DPD_PERIODIC : IKE_DPD_ON_DEMAND;
        v->dpd_interval = eff.dpd.interval;
        v->dpd_retry = eff.dpd.retry;
    }
    v->nat_keepalive = eff.nat_keepalive;
    v->vtemplate = eff.vtemplate;
    const struct ike_vtemplate *vt =
        eff.vtemplate ? ike_vt_find(&g->a->ipsec, eff.vtemplate) : NULL;
    if (eff.author) {
        const struct ike_cfg_author *au = eff.author;
        snprintf(v->pool, sizeof v->pool, "%s", au->pool);
        for (int i = 0; i < au->ndns && i < 2; i++) v->dns[i] = htonl(au->dns_h[i]);
        if (au->has_netmask) v->netmask = htonl(au->netmask_h);
        for (int i = 0; i < au->nroutes && v->nroutes < IKE_MAX_ROUTES; i++) {
            v->routes[v->nroutes].addr = htonl(au->routes[i].addr_h & au->routes[i].mask_h);
            v->routes[v->nroutes++].mask = htonl(au->routes[i].mask_h);
        }
        /* `route set interface`: the tunnel interface's own address, as IOS pushes it. */
        uint32_t ia = vt ? iface_addr(g, vt->unnumbered) : 0;
        if (au->route_set_interface && ia && v->nroutes < IKE_MAX_ROUTES) {
            v->routes[v->nroutes].addr = htonl(ia);
            v->routes[v->nroutes++].mask = 0xffffffffu;
        }
        snprintf(v->def_domain, sizeof v->def_domain, "%s", au->def_domain);
    }
    /* The IPsec profile: the Virtual-Template's, else one naming this IKEv2 profile, else
     * the default one (REFERENCE §4's smart default). */
    const char *ipp = vt ? ike_ipsec_vt_profile(&g->a->ipsec, vt->num) : NULL;
    if (!ipp || !ike_profile_find(&g->a->ipsec, ipp)) {
        ipp = "default";
        for (const struct ike_ipsec_profile *ip = g->a->ipsec.profiles; ip; ip = ip->next)
            if (!strcmp(ip->ikev2_profile, p->name)) {
                ipp = ip->name;
                break;
            }
    }
    struct ike_esp_offer off[IKE_ESP_MAX_OFFERS];
    int n = ike_ipsec_esp_offers(&g->a->ipsec, ipp, off, IKE_ESP_MAX_OFFERS);
    struct ike_ipsec_sa_params sp = {.lifetime_sec = 3600};
    ike_ipsec_sa_params(&g->a->ipsec, ipp, &sp);
    for (int i = 0; i < n && v->esp.n < IKE_CFG_MAX_PROPS; i++) {
        struct ike_prop_cfg *e = &v->esp.p[v->esp.n++];
        memset(e, 0, sizeof *e);
        e->nencr = 1;
        e->encr[0].id = off[i].prop.encr, e->encr[0].keylen = off[i].prop.keylen;
        if (off[i].prop.integ) e->ninteg = 1, e->integ[0] = off[i].prop.integ;
        if (sp.pfs) e->ndh = 1, e->dh[0] = (uint16_t)sp.pfs;
    }
    v->child_lifetime = sp.lifetime_sec;
    v->child_lifetime_kb = sp.lifetime_kb;
}

static int pol_profile(void *ctx, const struct ike_peer_info *peer, struct ike_profile_view *v,
                       char *why, size_t whylen)
{
    struct ike_glue *g = ctx;
    struct ike_cfg_peer_id rid = {peer->id_type, peer->id_data, peer->id_len};
    struct menv e = {g, peer->cert};
    struct ike_cfg_match_env env = {&e, env_certmap, env_iface};
    const struct ike_cfg_profile *p =
        ike_cfg_match_profile(&g->a->ikev2, ntohl(peer->local.addr), &rid, NULL, &env);
    if (!p) {
        char id[128];
        ike_pki_id_to_text(peer->id_type, peer->id_data, peer->id_len, id, sizeof id);
        snprintf(why, whylen, "no IKEv2 profile matches identity %s", id);
        return -1;
    }
    fill_view(g, p, peer, v);
    return 0;
}

static int pol_profile_by_name(void *ctx, const char *name, const struct ike_peer_info *peer,
                               struct ike_profile_view *v, char *why, size_t whylen)
{
    struct ike_glue *g = ctx;
    const struct ike_cfg_profile *p = ike_cfg_profile_find(&g->a->ikev2, name);
    if (!p) {
        snprintf(why, whylen, "IKEv2 profile %s is gone", name);
        return -1;
    }
    fill_view(g, p, peer, v);
    return 0;
}

static int pol_pool_alloc(void *ctx, const char *pool, const char *key, uint32_t *addr)
{
    struct ike_glue *g = ctx;
    uint32_t a;
    if (ike_pools_alloc(g->a->ipsec.pools, pool, key, 0, &a)) return -1;
    *addr = htonl(a);
    return 0;
}

static void pol_pool_release(void *ctx, const char *pool, uint32_t addr)
{
    struct ike_glue *g = ctx;
    (void)pool;
    ike_pools_release(g->a->ipsec.pools, ntohl(addr));
}

static void pol_globals(void *ctx, struct ike_globals *out)
{
    struct ike_glue *g = ctx;
    const struct ike_config *c = &g->a->ikev2;
    out->cookie_threshold = c->cookie_challenge;
    out->max_in_negotiation = c->max_nego_in;
    out->max_sa = c->max_sa;
    out->frag_mtu = c->frag ? c->frag_mtu : 0;
}

/* ---- kernel port ---- */

static void v4(uint8_t dst[16], uint32_t a)
{
    memset(dst, 0, 16);
    memcpy(dst, &a, 4);
}

/* A selector from one traffic selector range (a range that is not a prefix is widened to the
 * smallest prefix that holds it); NULL: any. */
static void sel_of(const struct ike_ts4 *t, uint8_t addr[16], uint8_t *plen, uint8_t *proto)
{
    uint32_t lo = t ? t->lo : 0, hi = t ? t->hi : 0xffffffffu;
    *proto = t ? t->proto : 0;
    int len = 32;
    while (len > 0 && (lo >> (32 - len)) != (hi >> (32 - len))) len--;
    uint32_t net = len == 32 ? lo : len ? lo & ~((1u << (32 - len)) - 1) : 0;
    v4(addr, htonl(net));
    *plen = (uint8_t)len;
}

static uint32_t vt_if_id(struct ike_glue *g, int vt)
{
    if (!vt) return 0;
    int slot = -1;
    for (int i = 0; i < MAX_VT; i++) {
        if (g->vt_links[i] == vt) return (uint32_t)vt;
        if (!g->vt_links[i] && slot < 0) slot = i;
    }
    /* A link we could not remember would outlive us (nothing would remove it at exit). */
    if (slot < 0) return 0;
    char name[16];
    snprintf(name, sizeof name, "vt%d", vt);
    const struct ike_vtemplate *t = ike_vt_find(&g->a->ipsec, (unsigned long)vt);
    const char *under = NULL;
    char lnx[IFNAME_LINUX_LEN];
    struct ifname n;
    if (t && t->tunnel_source[0] && !t->tunnel_source_is_addr &&
        !ifname_parse(t->tunnel_source, NULL, &n, NULL)) {
        ifmap_linux_name(g->a->ifmap, &n, lnx, sizeof lnx);
        under = lnx;
    }
    int rc = xfrm_link_create(g->xfrm, name, (uint32_t)vt, under);
    if (rc) {
        /* Not remembered: the next session tries again (the kernel may have been missing a
         * module, or a stale link may have gone). Said once per template. */
        bool said = false;
        for (int i = 0; i < MAX_VT; i++)
            if (g->vt_warned[i] == vt) said = true;
        for (int i = 0; i < MAX_VT && !said; i++)
            if (!g->vt_warned[i]) {
                g->vt_warned[i] = vt;
                break;
            }
        if (!said)
            ilog(LOG_SEV_WARNINGS, "CRYPTO", "VTEMPLATE",
                 "Virtual-Template%d: cannot create xfrm interface %s (%s); its sessions use "
                 "policy-based IPsec until it can be made",
                 vt, name, strerror(-rc));
        return 0;
    }
    g->vt_links[slot] = vt;
    ilog(LOG_SEV_NOTIFICATIONS, "LINEPROTO", "UPDOWN",
         "Line protocol on Interface Virtual-Template%d (%s), changed state to up", vt, name);
    return (uint32_t)vt;
}

/* The xfrm interfaces vtN (the names vt_if_id() gives) that a crashed run left: a stale one
 * would make the first session of its Virtual-Template fail with EEXIST and fall back to
 * policy-based IPsec, and nothing would ever remove it. xfrm_link_delete() leaves any link
 * that is not an xfrm interface alone. Returns how many were removed. */
static int sweep_vt_links(struct ike_glue *g)
{
    struct if_nameindex *ifs = if_nameindex();
    if (!ifs) return 0;
    int n = 0;
    for (struct if_nameindex *i = ifs; i->if_index; i++) {
        const char *s = i->if_name;
        if (strncmp(s, "vt", 2) || s[2] < '1' || s[2] > '9') continue;
        size_t k = 3;
        while (isdigit((unsigned char)s[k])) k++;
        if (!s[k] && xfrm_link_delete(g->xfrm, s) == 0) n++;
    }
    if_freenameindex(ifs);
    return n;
}

static int k_alloc(void *ctx, const struct ike_ep *local, const struct ike_ep *remote,
                   uint32_t reqid, uint32_t *spi)
{
    struct ike_glue *g = ctx;
    struct xfrm_sa_spec s = {.family = AF_INET, .proto = IPPROTO_ESP, .reqid = reqid};
    v4(s.src, remote->addr);
    v4(s.dst, local->addr);
    return xfrm_spi_alloc(g->xfrm, &s, 0x100, 0xffffffffu, spi);
}

static void sa_spec(const struct ike_child_kernel *c, bool in, uint32_t if_id,
                    struct xfrm_sa_spec *s)
{
    memset(s, 0, sizeof *s);
    s->family = AF_INET;
    s->proto = IPPROTO_ESP;
    s->mode = XFRM_SA_TUNNEL;
    s->reqid = c->reqid;
    const struct ike_ep *src = in ? &c->remote : &c->local, *dst = in ? &c->local : &c->remote;
    v4(s->src, src->addr);
    v4(s->dst, dst->addr);
    s->spi = in ? c->spi_in : c->spi_out;
    const uint8_t *k = in ? c->key_in : c->key_out;
    s->enc = c->encr == IKE_ENCR_AES_GCM_16 ? XFRM_ENC_AES_GCM16 : XFRM_ENC_AES_CBC;
    memcpy(s->enc_key, k, c->enc_key_len);
    s->enc_key_len = c->enc_key_len;
    s->integ = c->integ == IKE_INTEG_HMAC_SHA1_96        ? XFRM_INTEG_SHA1_96
               : c->integ == IKE_INTEG_HMAC_SHA2_256_128 ? XFRM_INTEG_SHA256_128
               : c->integ == IKE_INTEG_HMAC_SHA2_384_192 ? XFRM_INTEG_SHA384_192
               : c->integ == IKE_INTEG_HMAC_SHA2_512_256 ? XFRM_INTEG_SHA512_256
                                                         : XFRM_INTEG_NONE;
    memcpy(s->integ_key, k + c->enc_key_len, c->integ_key_len);
    s->integ_key_len = c->integ_key_len;
    if (c->encap) {
        s->encap = true;
        s->encap_sport = src->port;
        s->encap_dport = dst->port;
    }
    s->if_id = if_id;
    s->replay_window = 64;
    /* The engine rekeys on its own clock before the lifetime (it knows the jitter); the
     * kernel holds the hard limit in seconds as a backstop, and both byte limits, whose soft
     * one reaches the engine as an EXPIRE event. */
    s->hard_add_seconds = c->lifetime_s;
    s->soft_bytes = c->soft_kb * 1024;
    s->hard_bytes = c->lifetime_kb * 1024;
}

/* The policy of one direction for one pair of selectors (local li, remote ri). */
static void pol_spec(const struct ike_child_kernel *c, enum xfrm_dir dir, uint32_t if_id, int li,
                     int ri, struct xfrm_pol_spec *p)
{
    memset(p, 0, sizeof *p);
    bool out = dir == XFRM_DIR_OUT;
    p->sel.family = AF_INET;
    uint8_t lp, rp, lproto, rproto;
    uint8_t la[16], ra[16];
    sel_of(c->ts_local.n ? &c->ts_local.ts[li] : NULL, la, &lp, &lproto);
    sel_of(c->ts_remote.n ? &c->ts_remote.ts[ri] : NULL, ra, &rp, &rproto);
    memcpy(p->sel.src, out ? la : ra, 16);
    p->sel.src_len = out ? lp : rp;
    memcpy(p->sel.dst, out ? ra : la, 16);
    p->sel.dst_len = out ? rp : lp;
    p->sel.proto = lproto ? lproto : rproto;
    p->dir = dir;
    p->priority = 2000 + (32 - p->sel.dst_len) + (32 - p->sel.src_len);
    p->tun_family = AF_INET;
    v4(p->tun_src, out ? c->local.addr : c->remote.addr);
    v4(p->tun_dst, out ? c->remote.addr : c->local.addr);
    p->proto = IPPROTO_ESP;
    p->mode = XFRM_SA_TUNNEL;
    p->reqid = c->reqid;
    p->if_id = if_id;
}

static const enum xfrm_dir dirs[] = {XFRM_DIR_OUT, XFRM_DIR_IN, XFRM_DIR_FWD};
#define K_MAXREQ (2 + 3 * IKE_CHILD_MAX_TS * IKE_CHILD_MAX_TS)

/* The SAs (both), then with plumb the policies of every pair of selectors (RFC 4301 §4.4.1:
 * the SPD entries of a CHILD_SA are the cross product of its TSi and TSr), queued in the open
 * batch in this order; del=true queues the deletes instead. */
static void k_queue(struct ike_glue *g, const struct ike_child_kernel *c, uint32_t if_id, bool del)
{
    struct xfrm_sa_spec s;
    struct xfrm_pol_spec p;
    if (del) {
        for (int in = 1; in >= 0; in--) {
            struct xfrm_sa_id id = {.family = AF_INET, .proto = IPPROTO_ESP};
            v4(id.dst, in ? c->local.addr : c->remote.addr);
            id.spi = in ? c->spi_in : c->spi_out;
            xfrm_sa_del(g->xfrm, &id);
        }
    } else {
        sa_spec(c, true, if_id, &s);
        xfrm_sa_update(g->xfrm, &s); /* replaces the SPI's larval SA (ALLOCSPI) */
        sa_spec(c, false, if_id, &s);
        xfrm_sa_add(g->xfrm, &s);
        OPENSSL_cleanse(&s, sizeof s);
    }
    if (!c->plumb) return;
    int nl = c->ts_local.n ? c->ts_local.n : 1, nr = c->ts_remote.n ? c->ts_remote.n : 1;
    for (int li = 0; li < nl; li++)
        for (int ri = 0; ri < nr; ri++)
            for (int i = 0; i < 3; i++) {
                pol_spec(c, dirs[i], if_id, li, ri, &p);
                if (del)
                    xfrm_policy_del(g->xfrm, &p);
                else
                    xfrm_policy_add(g->xfrm, &p);
            }
}

/* The routes that go with the plumbing: a route-based session's /32 through its xfrm
 * interface; a policy-based one's reverse routes (IOS `reverse-route`): each remote selector
 * that is not everything, the way the peer's outer address goes, so that return traffic is
 * routed into the policies at all. */
static void k_routes(struct ike_glue *g, const struct ike_child_kernel *c, bool add)
{
    uint8_t dst[16];
    if (c->if_id) {
        if (!c->client_ip) return;
        v4(dst, c->client_ip);
        char name[16];
        snprintf(name, sizeof name, "vt%d", c->vtemplate);
        if (add)
            xfrm_route_add(g->xfrm, name, AF_INET, dst, 32, 0);
        else
            xfrm_route_del(g->xfrm, name, AF_INET, dst, 32, 0);
        return;
    }
    for (int i = 0; i < c->ts_remote.n; i++) {
        uint8_t plen, proto;
        sel_of(&c->ts_remote.ts[i], dst, &plen, &proto);
        if (plen == 0) continue;
        if (add)
            xfrm_route_add_via(g->xfrm, AF_INET, dst, plen, c->remote.addr);
        else
            xfrm_route_del_via(g->xfrm, AF_INET, dst, plen);
    }
}

static int k_add(void *ctx, struct ike_child_kernel *c)
{
    struct ike_glue *g = ctx;
    uint32_t if_id = vt_if_id(g, c->vtemplate);
    c->if_id = if_id; /* remembered: del_child must not guess it again */
    xfrm_batch_begin(g->xfrm);
    k_queue(g, c, if_id, false);
    int results[K_MAXREQ];
    for (size_t i = 0; i < K_MAXREQ; i++) results[i] = -1;
    int rc = xfrm_batch_end(g->xfrm, results, K_MAXREQ);
    if (rc) {
        /* Take back exactly what went in: a request that failed (a policy that exists
         * already, say) may name another CHILD_SA's state, which must stay. */
        struct xfrm_pol_spec p;
        xfrm_batch_begin(g->xfrm);
        int k = 0;
        for (int in = 1; in >= 0; in--, k++)
            if (results[k] == 0) {
                struct xfrm_sa_id id = {.family = AF_INET, .proto = IPPROTO_ESP};
                v4(id.dst, in ? c->local.addr : c->remote.addr);
                id.spi = in ? c->spi_in : c->spi_out;
                xfrm_sa_del(g->xfrm, &id);
            }
        int nl = c->ts_local.n ? c->ts_local.n : 1, nr = c->ts_remote.n ? c->ts_remote.n : 1;
        for (int li = 0; c->plumb && li < nl; li++)
            for (int ri = 0; ri < nr; ri++)
                for (int i = 0; i < 3; i++, k++)
                    if (k < K_MAXREQ && results[k] == 0) {
                        pol_spec(c, dirs[i], if_id, li, ri, &p);
                        xfrm_policy_del(g->xfrm, &p);
                    }
        int ignored[K_MAXREQ];
        xfrm_batch_end(g->xfrm, ignored, K_MAXREQ);
        return rc;
    }
    if (c->plumb) k_routes(g, c, true);
    return 0;
}

static void k_del(void *ctx, const struct ike_child_kernel *c)
{
    struct ike_glue *g = ctx;
    if (c->plumb) k_routes(g, c, false);
    xfrm_batch_begin(g->xfrm);
    k_queue(g, c, c->if_id, true);
    int results[K_MAXREQ];
    xfrm_batch_end(g->xfrm, results, K_MAXREQ);
}

/* The kernel's EXPIRE and ACQUIRE events for our reqids, to the engine. */
static void on_xfrm_event(const struct xfrm_event *ev, void *arg)
{
    struct ike_glue *g = arg;
    switch (ev->type) {
    case XFRM_EV_EXPIRE: ike_kernel_expire(g->ike, ev->reqid, ev->sa.spi, ev->hard); break;
    case XFRM_EV_ACQUIRE: ike_kernel_acquire(g->ike, ev->reqid); break;
    case XFRM_EV_OVERRUN:
        ilog(LOG_SEV_WARNINGS, "CRYPTO", "KERNEL_EVENTS",
             "IPsec kernel events were lost (socket overrun)");
        break;
    default: break;
    }
}

static void on_xfrm_fd(loop_t *l, int fd, uint32_t events, void *arg)
{
    (void)l, (void)fd, (void)events;
    struct ike_glue *g = arg;
    xfrm_events_read(g->xfrm, on_xfrm_event, g);
}

static int k_counters(void *ctx, const struct ike_child_kernel *c, struct ike_child_counters *o)
{
    struct ike_glue *g = ctx;
    memset(o, 0, sizeof *o);
    for (int in = 0; in < 2; in++) {
        struct xfrm_sa_id id = {.family = AF_INET, .proto = IPPROTO_ESP};
        v4(id.dst, in ? c->local.addr : c->remote.addr);
        id.spi = in ? c->spi_in : c->spi_out;
        struct xfrm_sa_info info;
        int rc = xfrm_sa_get(g->xfrm, &id, &info);
        if (rc) return rc;
        if (in)
            o->in_bytes = info.bytes, o->in_packets = info.packets;
        else
            o->out_bytes = info.bytes, o->out_packets = info.packets;
    }
    return 0;
}

/* ---- life ---- */

struct ike_glue *ike_glue_new(struct app *a, loop_t *loop, const struct ike_glue_opts *o, char *err,
                              size_t errlen)
{
    struct ike_glue *g = calloc(1, sizeof *g);
    if (!g) return snprintf(err, errlen, "out of memory"), NULL;
    g->a = a;
    g->loop = loop;
    g->hooks = (struct ike_pki_hooks){.ctx = g,
                                      .import_pem = h_import_pem,
                                      .import_pkcs12 = h_import_p12,
                                      .render_certs = h_render_certs,
                                      .render_trustpoint = h_render_tp,
                                      .attach = h_attach,
                                      .remove = h_remove};
    a->pki = &g->hooks;
    if (o->dataplane) {
        g->xfrm = xfrm_open(IKE_REQID_BASE, IKE_REQID_COUNT, err, errlen);
        if (!g->xfrm) {
            free(g);
            a->pki = NULL;
            return NULL;
        }
        int n = xfrm_flush_own(g->xfrm); /* what a crashed run left */
        if (n > 0)
            ilog(LOG_SEV_NOTIFICATIONS, "CRYPTO", "FLUSH",
                 "Removed %d IPsec SAs/policies left by an earlier run", n);
        n = sweep_vt_links(g);
        if (n > 0)
            ilog(LOG_SEV_NOTIFICATIONS, "CRYPTO", "FLUSH",
                 "Removed %d xfrm interfaces (vtN) left by an earlier run", n);
    }
    struct ike_send_port sp = {0};
    if (!o->no_sockets) {
        g->io = ike_io_new(loop, o->ike_port, o->natt_port, err, errlen);
        if (!g->io) {
            ike_glue_free(g);
            return NULL;
        }
        sp = ike_io_send_port(g->io);
    }
    struct ike_policy_port pp = {.ctx = g,
                                 .ike_proposals = pol_proposals,
                                 .certreq = pol_certreq,
                                 .profile = pol_profile,
                                 .profile_by_name = pol_profile_by_name,
                                 .pool_alloc = pol_pool_alloc,
                                 .pool_release = pol_pool_release,
                                 .globals = pol_globals};
    struct ike_kernel_port kp = {g, k_alloc, k_add, k_del, k_counters};
    g->ike = ike_new(loop, &sp, &pp, g->xfrm ? &kp : NULL);
    if (!g->ike) {
        snprintf(err, errlen, "out of memory");
        ike_glue_free(g);
        return NULL;
    }
    if (g->xfrm)
        g->xfrm_watch = loop_watch_fd(loop, xfrm_events_fd(g->xfrm), EPOLLIN, on_xfrm_fd, g);
    if (g->io) ike_io_attach(g->io, g->ike);
    return g;
}

void ike_glue_free(struct ike_glue *g)
{
    if (!g) return;
    if (g->io) ike_io_attach(g->io, NULL);
    if (g->xfrm_watch) loop_unwatch(g->loop, g->xfrm_watch);
    ike_free(g->ike); /* removes the children from the kernel */
    ike_io_free(g->io);
    if (g->xfrm) {
        xfrm_flush_own(g->xfrm);
        for (int i = 0; i < MAX_VT; i++)
            if (g->vt_links[i] > 0) {
                char name[24];
                snprintf(name, sizeof name, "vt%ld", g->vt_links[i]);
                xfrm_link_delete(g->xfrm, name);
            }
        xfrm_close(g->xfrm);
    }
    while (g->tps) {
        struct tpent *t = g->tps;
        g->tps = t->next;
        ike_pki_tp_free(t->tp);
        free(t);
    }
    if (g->a->pki == &g->hooks) g->a->pki = NULL;
    free(g);
}

struct ike *ike_glue_engine(struct ike_glue *g)
{
    return g ? g->ike : NULL;
}

const char *ike_glue_dataplane(const struct ike_glue *g)
{
    if (!g) return "none (IKEv2 not running)";
    return g->xfrm ? "kernel (XFRM)" : "none (negotiate only, nothing installed)";
}
