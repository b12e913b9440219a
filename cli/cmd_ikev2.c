/* The IKEv2 configuration commands: `aaa new-model` and `aaa authorization network`, the
 * `crypto ikev2 proposal|policy|keyring|profile|authorization policy` submodes (and a keyring's
 * `peer` submode), the global `crypto ikev2 ...` knobs, and `show crypto ikev2 proposal|policy|
 * profile|authorization policy`. The values live in ike/ike_config (struct app's `ikev2`); these
 * handlers only translate words into its setters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/app.h"
#include "platform/strbuf.h"

#define M_EXEC (1u << CM_EXEC)
#define M_CONF (1u << CM_CONFIG)
#define M_PROP (1u << CM_IKEV2_PROPOSAL)
#define M_POL (1u << CM_IKEV2_POLICY)
#define M_KR (1u << CM_IKEV2_KEYRING)
#define M_PEER (1u << CM_IKEV2_PEER)
#define M_PROF (1u << CM_IKEV2_PROFILE)
#define M_AUTH (1u << CM_IKEV2_AUTHOR)

#define NEG "Negate a command or set its defaults"

static struct ike_config *cfg(struct cmd_ctx *c)
{
    return &c->app->ikev2;
}

static bool neg(const struct cmd_ctx *c)
{
    return c->m->is_no || c->m->is_default;
}

/* Word i counted after `no`/`default`. */
static const char *w(const struct cmd_ctx *c, int i)
{
    i += neg(c) ? 1 : 0;
    return i >= 0 && i < c->m->argc ? c->m->argv[i] : "";
}

/* Number of words after `no`/`default`. */
static int nw(const struct cmd_ctx *c)
{
    return c->m->argc - (neg(c) ? 1 : 0);
}

static bool is(const struct cmd_ctx *c, int i, const char *word)
{
    return !strcmp(w(c, i), word);
}

static uint32_t ip(const struct cmd_ctx *c, int i)
{
    unsigned v = 0;
    cmd_parse_ipv4(w(c, i), &v);
    return v;
}

static long num(const struct cmd_ctx *c, int i)
{
    long v = 0;
    cmd_parse_long(w(c, i), 0, 2147483647L, &v);
    return v;
}

static int done(struct cmd_ctx *c, int rc, const char *err)
{
    if (rc) return ctx_err(c, "%s", err);
    c->app->changes++;
    return 0;
}

/* ---- the object a submode edits ---- */

static struct ike_cfg_proposal *cur_proposal(struct cmd_ctx *c)
{
    struct ike_cfg_proposal *p = ike_cfg_proposal_find(cfg(c), c->mode_obj);
    if (!p) ctx_err(c, "%% IKEv2 proposal %s no longer exists", c->mode_obj);
    return p;
}

static struct ike_cfg_policy *cur_policy(struct cmd_ctx *c)
{
    struct ike_cfg_policy *p = ike_cfg_policy_find(cfg(c), c->mode_obj);
    if (!p) ctx_err(c, "%% IKEv2 policy %s no longer exists", c->mode_obj);
    return p;
}

static struct ike_cfg_profile *cur_profile(struct cmd_ctx *c)
{
    struct ike_cfg_profile *p = ike_cfg_profile_find(cfg(c), c->mode_obj);
    if (!p) ctx_err(c, "%% IKEv2 profile %s no longer exists", c->mode_obj);
    return p;
}

static struct ike_cfg_author *cur_author(struct cmd_ctx *c)
{
    struct ike_cfg_author *a = ike_cfg_author_find(cfg(c), c->mode_obj);
    if (!a) ctx_err(c, "%% IKEv2 authorization policy %s no longer exists", c->mode_obj);
    return a;
}

/* In a keyring the object is the keyring's name; in its peer submode "KEYRING PEER". */
static struct ike_cfg_keyring *cur_keyring(struct cmd_ctx *c)
{
    char name[IKECFG_NAME_MAX];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(c->mode_obj, " "), c->mode_obj);
    struct ike_cfg_keyring *k = ike_cfg_keyring_find(cfg(c), name);
    if (!k) ctx_err(c, "%% IKEv2 keyring %s no longer exists", name);
    return k;
}

static struct ike_cfg_kpeer *cur_peer(struct cmd_ctx *c)
{
    struct ike_cfg_keyring *k = cur_keyring(c);
    if (!k) return NULL;
    const char *sp = strchr(c->mode_obj, ' ');
    struct ike_cfg_kpeer *p = sp ? ike_cfg_kpeer_find(k, sp + 1) : NULL;
    if (!p) ctx_err(c, "%% Peer %s no longer exists in keyring %s", sp ? sp + 1 : "", k->name);
    return p;
}

/* ---- global configuration ---- */

static int h_aaa_new_model(struct cmd_ctx *c)
{
    cfg(c)->aaa_new_model = !neg(c);
    return done(c, 0, NULL);
}

static int h_aaa_network(struct cmd_ctx *c)
{
    char err[160];
    /* aaa authorization network LIST [local] */
    int rc = ike_cfg_set_aaa_network(cfg(c), w(c, 3), !neg(c), err, sizeof err);
    return done(c, rc, err);
}

/* crypto ikev2 proposal|policy|keyring|profile NAME, crypto ikev2 authorization policy NAME */
static int h_object(struct cmd_ctx *c)
{
    struct ike_config *k = cfg(c);
    bool author = is(c, 2, "authorization");
    const char *kind = w(c, 2), *name = w(c, author ? 4 : 3);
    char err[160] = "";
    void *obj = NULL;
    int mode = -1;
    if (neg(c)) {
        if (author)
            ike_cfg_author_remove(k, name);
        else if (!strcmp(kind, "proposal"))
            ike_cfg_proposal_remove(k, name);
        else if (!strcmp(kind, "policy"))
            ike_cfg_policy_remove(k, name);
        else if (!strcmp(kind, "keyring"))
            ike_cfg_keyring_remove(k, name);
        else
            ike_cfg_profile_remove(k, name);
        return done(c, 0, NULL);
    }
    if (author) {
        obj = ike_cfg_author_get(k, name, err, sizeof err), mode = CM_IKEV2_AUTHOR;
    } else if (!strcmp(kind, "proposal")) {
        obj = ike_cfg_proposal_get(k, name, err, sizeof err), mode = CM_IKEV2_PROPOSAL;
    } else if (!strcmp(kind, "policy")) {
        obj = ike_cfg_policy_get(k, name, err, sizeof err), mode = CM_IKEV2_POLICY;
    } else if (!strcmp(kind, "keyring")) {
        /* A peer's submode is named "KEYRING PEER": leave room for a peer name. */
        if (strlen(name) > sizeof c->new_obj - 2 - 1)
            return ctx_err(c, "%% The keyring name is too long (at most %zu characters)",
                           sizeof c->new_obj - 3);
        obj = ike_cfg_keyring_get(k, name, err, sizeof err), mode = CM_IKEV2_KEYRING;
    } else {
        obj = ike_cfg_profile_get(k, name, err, sizeof err), mode = CM_IKEV2_PROFILE;
    }
    if (!obj) return ctx_err(c, "%s", err);
    c->new_mode = mode;
    snprintf(c->new_obj, sizeof c->new_obj, "%s", name);
    return done(c, 0, NULL);
}

static int h_global_num(struct cmd_ctx *c)
{
    struct ike_config *k = cfg(c);
    char err[160];
    int rc = 0;
    long v = neg(c) ? 0 : num(c, 3);
    if (is(c, 2, "cookie-challenge")) {
        rc = ike_cfg_set_cookie_challenge(k, neg(c) ? 0 : num(c, 3), err, sizeof err);
    } else if (is(c, 3, "max-sa")) {
        rc = ike_cfg_set_max_sa(k, neg(c) ? 0 : num(c, 4), err, sizeof err);
    } else if (is(c, 3, "max-in-negotiation-sa")) {
        int dir = is(c, 5, "incoming") ? 'i' : is(c, 5, "outgoing") ? 'o' : 0;
        rc = ike_cfg_set_max_nego(k, neg(c) ? 0 : num(c, 4), dir, err, sizeof err);
    } else if (is(c, 2, "fragmentation")) {
        rc = ike_cfg_set_fragmentation(k, !neg(c), neg(c) || nw(c) < 5 ? 0 : num(c, 4), err,
                                       sizeof err);
    } else if (is(c, 2, "nat")) {
        rc = ike_cfg_set_nat_keepalive(&k->nat_keepalive, neg(c) ? 0 : num(c, 4), err, sizeof err);
    } else if (is(c, 2, "dpd")) {
        rc = ike_cfg_dpd_set(&k->dpd, v, num(c, 4), is(c, 5, "periodic"), err, sizeof err);
    }
    return done(c, rc, err);
}

static int h_global_redirect(struct cmd_ctx *c)
{
    struct ike_config *k = cfg(c);
    char err[160];
    int rc = 0;
    if (is(c, 3, "gateway")) {
        bool *f = is(c, 4, "init") ? &k->redirect_init : &k->redirect_auth;
        *f = !neg(c);
    } else if (neg(c) && is(c, 4, "max-redirects")) {
        rc = ike_cfg_set_redirect_client(k, k->redirect_client, 0, err, sizeof err);
    } else {
        /* `crypto ikev2 redirect client` alone keeps a max-redirects given earlier. */
        long max = nw(c) > 5 ? num(c, 5) : k->redirect_max;
        rc = ike_cfg_set_redirect_client(k, !neg(c), neg(c) ? 0 : max, err, sizeof err);
    }
    return done(c, rc, err);
}

/* ---- proposal ---- */

/* encryption|integrity|prf|group W... : the words may come as keywords or, beyond what the
 * grammar spells out, as one LINE of further words. */
static int h_algs(struct cmd_ctx *c)
{
    struct ike_cfg_proposal *p = cur_proposal(c);
    if (!p) return -1;
    static const char *const classes[IKECFG_NCLASS] = {"encryption", "integrity", "prf", "group"};
    int cl = 0;
    while (cl < IKECFG_NCLASS && !is(c, 0, classes[cl])) cl++;
    if (cl == IKECFG_NCLASS) return ctx_err(c, "%% Unknown algorithm class");
    char buf[1024] = "";
    for (int i = 1; i < nw(c); i++) {
        strncat(buf, w(c, i), sizeof buf - strlen(buf) - 2);
        strcat(buf, " ");
    }
    const char *words[IKECFG_MAX_ALGS];
    int n = 0;
    char *sv = NULL;
    for (char *t = strtok_r(buf, " ", &sv); t; t = strtok_r(NULL, " ", &sv)) {
        if (n == IKECFG_MAX_ALGS)
            return ctx_err(c, "%% Too many algorithms (at most %d)", IKECFG_MAX_ALGS);
        words[n++] = t;
    }
    char err[160];
    int rc = neg(c) ? ike_cfg_proposal_del(p, cl, words, n, err, sizeof err)
                    : ike_cfg_proposal_add(p, cl, words, n, err, sizeof err);
    return done(c, rc, err);
}

/* ---- policy ---- */

static int h_policy(struct cmd_ctx *c)
{
    struct ike_cfg_policy *p = cur_policy(c);
    if (!p) return -1;
    char err[160];
    int rc = 0;
    if (is(c, 0, "proposal")) {
        if (!neg(c))
            rc = ike_cfg_policy_add_proposal(p, w(c, 1), err, sizeof err);
        else
            ike_cfg_policy_del_proposal(p, nw(c) > 1 ? w(c, 1) : NULL);
    } else if (is(c, 1, "fvrf")) {
        p->fvrf_any = !neg(c);
    } else if (!neg(c)) {
        rc = ike_cfg_policy_add_local(p, ip(c, 3), err, sizeof err);
    } else {
        ike_cfg_policy_del_local(p, ip(c, 3));
    }
    return done(c, rc, err);
}

/* ---- keyring and peers ---- */

static int h_peer(struct cmd_ctx *c)
{
    struct ike_cfg_keyring *k = cur_keyring(c);
    if (!k) return -1;
    const char *name = w(c, 1);
    if (neg(c)) {
        ike_cfg_kpeer_remove(k, name);
        const char *sp = strchr(c->mode_obj, ' ');
        if (c->mode == CM_IKEV2_PEER && sp && !strcmp(sp + 1, name)) {
            /* The peer being edited is gone: edit the keyring again. */
            c->new_mode = CM_IKEV2_KEYRING;
            snprintf(c->new_obj, sizeof c->new_obj, "%s", k->name);
        }
        return done(c, 0, NULL);
    }
    /* The submode's object is "KEYRING PEER" (see sh_exit): both names must fit in it. */
    int len = snprintf(c->new_obj, sizeof c->new_obj, "%s %s", k->name, name);
    if (len < 0 || (size_t)len >= sizeof c->new_obj)
        return ctx_err(c, "%% The peer name is too long for this keyring (at most %zu characters)",
                       sizeof c->new_obj - 2 - strlen(k->name));
    char err[160];
    if (!ike_cfg_kpeer_get(k, name, err, sizeof err)) return ctx_err(c, "%s", err);
    c->new_mode = CM_IKEV2_PEER;
    return done(c, 0, NULL);
}

static int h_peer_attr(struct cmd_ctx *c)
{
    struct ike_cfg_kpeer *p = cur_peer(c);
    if (!p) return -1;
    char err[160];
    int rc = 0;
    if (is(c, 0, "address")) {
        if (neg(c))
            p->has_addr = false, p->addr_h = p->mask_h = 0;
        else
            rc = ike_cfg_kpeer_set_address(p, ip(c, 1), nw(c) > 2 ? ip(c, 2) : 0xffffffffu, err,
                                           sizeof err);
    } else if (is(c, 0, "hostname")) {
        rc = ike_cfg_kpeer_set_hostname(p, neg(c) ? NULL : w(c, 1), err, sizeof err);
    } else if (is(c, 0, "description")) {
        rc = ike_cfg_kpeer_set_description(p, neg(c) ? NULL : w(c, 1), err, sizeof err);
    } else if (is(c, 0, "identity")) {
        enum ike_cfg_id_kind kind = neg(c)                ? IKECFG_ID_NONE
                                    : is(c, 1, "address") ? IKECFG_ID_ADDRESS
                                    : is(c, 1, "fqdn")    ? IKECFG_ID_FQDN
                                    : is(c, 1, "email")   ? IKECFG_ID_EMAIL
                                                          : IKECFG_ID_KEYID;
        rc = ike_cfg_kpeer_set_identity(p, kind, kind == IKECFG_ID_ADDRESS ? ip(c, 2) : 0, w(c, 2),
                                        err, sizeof err);
    } else { /* pre-shared-key [local|remote] [0|6] KEY */
        int i = 1, which = 0;
        if (is(c, 1, "local") || is(c, 1, "remote")) which = w(c, 1)[0], i++;
        if (neg(c)) {
            ike_cfg_kpeer_clear_key(p, which);
        } else {
            int type = 0;
            if (nw(c) - i == 2) type = atoi(w(c, i)), i++;
            rc = ike_cfg_kpeer_set_key(p, which, type, w(c, i), err, sizeof err);
        }
    }
    return done(c, rc, err);
}

/* ---- profile ---- */

/* Words from i: address A.B.C.D [MASK] | fqdn [domain] W | email [domain] W | key-id W | any */
static void idmatch_from(const struct cmd_ctx *c, int i, struct ike_cfg_idmatch *m)
{
    memset(m, 0, sizeof *m);
    const char *k = w(c, i);
    if (!strcmp(k, "address")) {
        m->kind = IKECFG_ID_ADDRESS;
        m->addr_h = ip(c, i + 1);
        m->mask_h = nw(c) > i + 2 ? ip(c, i + 2) : 0xffffffffu;
        return;
    }
    if (!strcmp(k, "any")) {
        m->kind = IKECFG_ID_ANY;
        return;
    }
    m->kind = !strcmp(k, "fqdn")    ? IKECFG_ID_FQDN
              : !strcmp(k, "email") ? IKECFG_ID_EMAIL
                                    : IKECFG_ID_KEYID;
    m->domain = is(c, i + 1, "domain") && nw(c) > i + 2;
    snprintf(m->text, sizeof m->text, "%s", w(c, m->domain ? i + 2 : i + 1));
}

static int h_prof_match(struct cmd_ctx *c)
{
    struct ike_cfg_profile *p = cur_profile(c);
    if (!p) return -1;
    char err[160];
    int rc = 0;
    bool on = !neg(c);
    if (is(c, 1, "fvrf")) {
        p->fvrf_any = on;
    } else if (is(c, 1, "certificate")) {
        if (on)
            rc = ike_cfg_profile_add_certmap(p, w(c, 2), err, sizeof err);
        else
            ike_cfg_profile_del_certmap(p, w(c, 2));
    } else if (is(c, 1, "address")) { /* match address local A.B.C.D | interface IFNAME */
        bool is_if = is(c, 3, "interface");
        uint32_t a = is_if ? 0 : ip(c, 3);
        const char *ifn = is_if ? w(c, 4) : NULL;
        if (on)
            rc = ike_cfg_profile_add_local(p, is_if, a, ifn, err, sizeof err);
        else
            ike_cfg_profile_del_local(p, is_if, a, ifn);
    } else { /* match identity remote|local ... */
        bool remote = is(c, 2, "remote");
        struct ike_cfg_idmatch m;
        idmatch_from(c, 3, &m);
        if (on)
            rc = ike_cfg_profile_add_idmatch(p, remote, &m, err, sizeof err);
        else
            ike_cfg_profile_del_idmatch(p, remote, &m);
    }
    return done(c, rc, err);
}

static enum ike_cfg_auth auth_of(const char *word)
{
    return !strcmp(word, "pre-share")   ? IKECFG_AUTH_PSK
           : !strcmp(word, "rsa-sig")   ? IKECFG_AUTH_RSA
           : !strcmp(word, "ecdsa-sig") ? IKECFG_AUTH_ECDSA
                                        : IKECFG_AUTH_NONE;
}

static int h_prof_auth(struct cmd_ctx *c)
{
    struct ike_cfg_profile *p = cur_profile(c);
    if (!p) return -1;
    bool remote = is(c, 1, "remote");
    enum ike_cfg_auth m = auth_of(w(c, 2));
    if (neg(c)) {
        ike_cfg_profile_clear_auth(p, remote, m);
        return done(c, 0, NULL);
    }
    /* authentication local|remote pre-share key [0|6] KEY */
    int type = 0;
    const char *key = NULL;
    if (is(c, 3, "key")) {
        if (nw(c) == 6) type = atoi(w(c, 4));
        key = w(c, nw(c) - 1);
    }
    char err[160];
    int rc = ike_cfg_profile_set_auth(p, remote, m, type, key, err, sizeof err);
    return done(c, rc, err);
}

static int h_prof_identity(struct cmd_ctx *c)
{
    struct ike_cfg_profile *p = cur_profile(c);
    if (!p) return -1;
    enum ike_cfg_id_kind kind = neg(c)                ? IKECFG_ID_NONE
                                : is(c, 2, "address") ? IKECFG_ID_ADDRESS
                                : is(c, 2, "fqdn")    ? IKECFG_ID_FQDN
                                : is(c, 2, "email")   ? IKECFG_ID_EMAIL
                                : is(c, 2, "dn")      ? IKECFG_ID_DN
                                                      : IKECFG_ID_KEYID;
    char err[160];
    int rc = ike_cfg_profile_set_identity(p, kind, kind == IKECFG_ID_ADDRESS ? ip(c, 3) : 0,
                                          w(c, 3), err, sizeof err);
    return done(c, rc, err);
}

static int h_prof_misc(struct cmd_ctx *c)
{
    struct ike_cfg_profile *p = cur_profile(c);
    if (!p) return -1;
    char err[160];
    int rc = 0;
    bool on = !neg(c);
    if (is(c, 0, "description")) {
        rc = ike_cfg_profile_set_description(p, on ? w(c, 1) : NULL, err, sizeof err);
    } else if (is(c, 0, "keyring")) {
        rc = ike_cfg_profile_set_keyring(p, on ? w(c, 2) : NULL, err, sizeof err);
    } else if (is(c, 0, "pki")) {
        enum ike_cfg_tp_usage u = is(c, 3, "sign")     ? IKECFG_TP_SIGN
                                  : is(c, 3, "verify") ? IKECFG_TP_VERIFY
                                                       : IKECFG_TP_BOTH;
        if (on)
            rc = ike_cfg_profile_add_trustpoint(p, w(c, 2), u, err, sizeof err);
        else
            ike_cfg_profile_del_trustpoint(p, w(c, 2));
    } else if (is(c, 0, "lifetime")) {
        rc = ike_cfg_profile_set_lifetime(p, on ? num(c, 1) : 86400, err, sizeof err);
    } else if (is(c, 0, "dpd")) {
        rc = ike_cfg_dpd_set(&p->dpd, on ? num(c, 1) : 0, num(c, 2), is(c, 3, "periodic"), err,
                             sizeof err);
    } else if (is(c, 0, "nat")) {
        rc = ike_cfg_set_nat_keepalive(&p->nat_keepalive, on ? num(c, 2) : 0, err, sizeof err);
    } else if (is(c, 0, "virtual-template")) {
        rc = ike_cfg_profile_set_vtemplate(p, on ? num(c, 1) : 0, err, sizeof err);
    } else if (is(c, 0, "redirect")) {
        bool *f = is(c, 2, "init") ? &p->redirect_init : &p->redirect_auth;
        *f = on;
    } else if (is(c, 2, "user")) { /* aaa authorization user psk|cert cached */
        p->aaa_user_cached[is(c, 3, "psk") ? IKECFG_AAA_PSK : IKECFG_AAA_CERT] = on;
    } else { /* aaa authorization group psk|cert|eap list LIST [NAME] */
        enum ike_cfg_aaa_kind k = is(c, 3, "psk")    ? IKECFG_AAA_PSK
                                  : is(c, 3, "cert") ? IKECFG_AAA_CERT
                                                     : IKECFG_AAA_EAP;
        rc = ike_cfg_profile_set_aaa_group(p, k, on ? w(c, 5) : NULL, nw(c) > 6 ? w(c, 6) : NULL,
                                           err, sizeof err);
    }
    return done(c, rc, err);
}

/* ---- authorization policy ---- */

static int h_author(struct cmd_ctx *c)
{
    struct ike_cfg_author *a = cur_author(c);
    if (!a) return -1;
    char err[160];
    int rc = 0;
    bool on = !neg(c);
    if (is(c, 0, "pool")) {
        rc = ike_cfg_author_set_pool(a, on ? w(c, 1) : NULL, err, sizeof err);
    } else if (is(c, 0, "dns")) {
        uint32_t d[2] = {ip(c, 1), ip(c, 2)};
        rc = ike_cfg_author_set_dns(a, on ? nw(c) - 1 : 0, d, err, sizeof err);
    } else if (is(c, 0, "netmask")) {
        rc = ike_cfg_author_set_netmask(a, on, ip(c, 1), err, sizeof err);
    } else if (is(c, 0, "def-domain")) {
        rc = ike_cfg_author_set_text(a->def_domain, sizeof a->def_domain, on ? w(c, 1) : NULL, true,
                                     "def-domain", err, sizeof err);
    } else if (is(c, 0, "banner")) {
        rc = ike_cfg_author_set_text(a->banner, sizeof a->banner, on ? w(c, 1) : NULL, false,
                                     "banner", err, sizeof err);
    } else if (is(c, 1, "accept")) {
        a->route_accept_any = on;
    } else if (is(c, 2, "interface")) {
        a->route_set_interface = on;
    } else if (is(c, 2, "access-list")) {
        rc = ike_cfg_author_set_text(a->route_acl, sizeof a->route_acl, on ? w(c, 3) : NULL, true,
                                     "access-list", err, sizeof err);
    } else { /* route set remote ipv4 A.B.C.D MASK */
        if (on)
            rc = ike_cfg_author_add_route(a, ip(c, 4), ip(c, 5), err, sizeof err);
        else
            ike_cfg_author_del_route(a, ip(c, 4), ip(c, 5));
    }
    return done(c, rc, err);
}

/* ---- show ---- */

/* Trustpoints, certificate maps and pools are kept by the IPsec side (cmd_ipsec.c). */
static bool ref_exists(void *arg, enum ike_cfg_ref kind, const char *name)
{
    const struct app *a = arg;
    switch (kind) {
    case IKECFG_REF_TRUSTPOINT: return ike_tp_find(&a->ipsec, name) != NULL;
    case IKECFG_REF_CERTMAP: return ike_certmap_next(&a->ipsec, name, NULL) != NULL;
    case IKECFG_REF_POOL: return ike_pools_exists(a->ipsec.pools, name);
    case IKECFG_REF_VTEMPLATE: return ike_vt_find(&a->ipsec, strtoul(name, NULL, 10)) != NULL;
    default: return true;
    }
}

static int h_show(struct cmd_ctx *c)
{
    /* show crypto ikev2 proposal|policy|profile [NAME] | authorization policy [NAME] */
    const struct ike_config *k = cfg(c);
    const struct ike_cfg_refs refs = {.arg = c->app, .exists = ref_exists};
    bool author = is(c, 3, "authorization");
    int at = author ? 5 : 4;
    const char *name = c->m->argc > at ? c->m->argv[at] : NULL;
    if (author)
        ike_cfg_show_author(k, name, &refs, c->out);
    else if (is(c, 3, "proposal"))
        ike_cfg_show_proposal(k, name, c->out);
    else if (is(c, 3, "policy"))
        ike_cfg_show_policy(k, name, c->out);
    else
        ike_cfg_show_profile(k, name, &refs, c->out);
    return 0;
}

/* ---- the grammar ---- */

#define CRY "Encryption module"
#define IK2 "Configure IKEv2 Options"

const struct cmd_def app_cmds_ikev2[] = {
    /* aaa */
    {M_CONF,
     15,
     0,
     h_aaa_new_model,
     "aaa new-model",
     {"Authentication, Authorization and Accounting.",
      "Enable NEW access control commands and functions.(Disables OLD commands.)"}},
    {M_CONF, 15, 0, h_aaa_new_model, "no aaa new-model", {NEG}},
    {M_CONF,
     15,
     0,
     h_aaa_network,
     "aaa authorization network default local",
     {NULL, "Authorization configurations parameters.",
      "For network services. (PPP, SLIP, ARAP, IKE)", "The default authorization list.",
      "Use local database."}},
    {M_CONF,
     15,
     0,
     h_aaa_network,
     "aaa authorization network WORD local",
     {NULL, NULL, NULL, "Named authorization list.", "Use local database."}},
    {M_CONF, 15, 0, h_aaa_network, "no aaa authorization network default", {NEG}},
    {M_CONF, 15, 0, h_aaa_network, "no aaa authorization network default local", {NEG}},
    {M_CONF, 15, 0, h_aaa_network, "no aaa authorization network WORD", {NEG}},
    {M_CONF, 15, 0, h_aaa_network, "no aaa authorization network WORD local", {NEG}},

    /* crypto ikev2 objects */
    {M_CONF,
     15,
     0,
     h_object,
     "crypto ikev2 proposal WORD",
     {CRY, IK2, "Define IKEv2 proposals", "Proposal name"}},
    {M_CONF,
     15,
     0,
     h_object,
     "crypto ikev2 policy WORD",
     {CRY, IK2, "Define IKEv2 policies", "Policy name"}},
    {M_CONF,
     15,
     0,
     h_object,
     "crypto ikev2 keyring WORD",
     {CRY, IK2, "Define IKEv2 Keyring", "Keyring name"}},
    {M_CONF,
     15,
     0,
     h_object,
     "crypto ikev2 profile WORD",
     {CRY, IK2, "Define IKEv2 profiles", "Profile name"}},
    {M_CONF,
     15,
     0,
     h_object,
     "crypto ikev2 authorization policy WORD",
     {CRY, IK2, "Ikev2 authorization", "Define IKEv2 authorization policy",
      "Authorization policy name"}},
    {M_CONF, 15, 0, h_object, "no crypto ikev2 proposal WORD", {NEG}},
    {M_CONF, 15, 0, h_object, "no crypto ikev2 policy WORD", {NEG}},
    {M_CONF, 15, 0, h_object, "no crypto ikev2 keyring WORD", {NEG}},
    {M_CONF, 15, 0, h_object, "no crypto ikev2 profile WORD", {NEG}},
    {M_CONF, 15, 0, h_object, "no crypto ikev2 authorization policy WORD", {NEG}},

    /* crypto ikev2 globals */
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 cookie-challenge <1-1000>",
     {CRY, IK2,
      "Enable cookie-challenge for IKEv2 sessions above a threshold of half-open sessions",
      "Number of half-open IKEv2 SAs after which cookie challenge is enabled"}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 cookie-challenge", {NEG}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 fragmentation",
     {CRY, IK2, "Enable fragmentation of IKEv2 packets (RFC 7383)"}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 fragmentation mtu <68-1500>",
     {CRY, IK2, NULL, "MTU size for fragmentation", "MTU size in bytes (default 576)"}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 fragmentation", {NEG}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 fragmentation mtu <68-1500>", {NEG}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 cookie-challenge <1-1000>", {NEG}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 limit max-in-negotiation-sa <1-99999>",
     {CRY, IK2, "Limit the number of sessions", "Maximum number of in-negotiation IKEv2 SAs",
      "Number of SAs"}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 limit max-in-negotiation-sa <1-99999> incoming",
     {NULL, NULL, NULL, NULL, NULL, "Limit on incoming (responder) negotiations"}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 limit max-in-negotiation-sa <1-99999> outgoing",
     {NULL, NULL, NULL, NULL, NULL, "Limit on outgoing (initiator) negotiations"}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 limit max-sa <1-99999>",
     {CRY, IK2, NULL, "Maximum number of IKEv2 SAs", "Number of SAs"}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 limit max-in-negotiation-sa", {NEG}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 limit max-in-negotiation-sa <1-99999>", {NEG}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "no crypto ikev2 limit max-in-negotiation-sa <1-99999> incoming",
     {NEG}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "no crypto ikev2 limit max-in-negotiation-sa <1-99999> outgoing",
     {NEG}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 limit max-sa", {NEG}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 limit max-sa <1-99999>", {NEG}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 dpd <10-3600> <2-60> on-demand",
     {CRY, IK2, "Enable IKE liveness check for peers", "DPD interval in seconds",
      "Retry interval in seconds when there is no reply from the peer",
      "Send DPD only when there is no traffic from the peer"}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 dpd <10-3600> <2-60> periodic",
     {NULL, NULL, NULL, NULL, NULL, "Send DPD at every interval"}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 dpd", {NEG}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 dpd <10-3600> <2-60> on-demand", {NEG}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 dpd <10-3600> <2-60> periodic", {NEG}},
    {M_CONF,
     15,
     0,
     h_global_num,
     "crypto ikev2 nat keepalive <5-3600>",
     {CRY, IK2, "NAT", "Set NAT keepalive interval", "Keepalive interval in seconds"}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 nat keepalive", {NEG}},
    {M_CONF, 15, 0, h_global_num, "no crypto ikev2 nat keepalive <5-3600>", {NEG}},
    {M_CONF,
     15,
     0,
     h_global_redirect,
     "crypto ikev2 redirect gateway init",
     {CRY, IK2, "IKEv2 redirect (RFC 5685)", "Redirect on the gateway",
      "Redirect during IKE_SA_INIT"}},
    {M_CONF,
     15,
     0,
     h_global_redirect,
     "crypto ikev2 redirect gateway auth",
     {NULL, NULL, NULL, NULL, "Redirect during IKE_AUTH"}},
    {M_CONF,
     15,
     0,
     h_global_redirect,
     "crypto ikev2 redirect client",
     {NULL, NULL, NULL, "Accept redirects as a client"}},
    {M_CONF,
     15,
     0,
     h_global_redirect,
     "crypto ikev2 redirect client max-redirects <1-255>",
     {NULL, NULL, NULL, NULL, "Maximum number of redirects (loop prevention)",
      "Number of redirects"}},
    {M_CONF, 15, 0, h_global_redirect, "no crypto ikev2 redirect gateway init", {NEG}},
    {M_CONF, 15, 0, h_global_redirect, "no crypto ikev2 redirect gateway auth", {NEG}},
    {M_CONF, 15, 0, h_global_redirect, "no crypto ikev2 redirect client", {NEG}},
    {M_CONF, 15, 0, h_global_redirect, "no crypto ikev2 redirect client max-redirects", {NEG}},
    {M_CONF,
     15,
     0,
     h_global_redirect,
     "no crypto ikev2 redirect client max-redirects <1-255>",
     {NEG}},

    /* proposal: the algorithm lists are generated (app_register_ikev2); emptying a class: */
    {M_PROP, 15, 0, h_algs, "no encryption", {NEG, "Set encryption algorithm(s)"}},
    {M_PROP, 15, 0, h_algs, "no integrity", {NEG, "Set integrity hash algorithm(s)"}},
    {M_PROP, 15, 0, h_algs, "no prf", {NEG, "Set prf hash algorithm(s)"}},
    {M_PROP, 15, 0, h_algs, "no group", {NEG, "Set the Diffie-Hellman group(s)"}},

    /* policy */
    {M_POL, 15, 0, h_policy, "proposal WORD", {"Specify Proposal", "Specify IKEv2 proposal name"}},
    {M_POL, 15, 0, h_policy, "no proposal", {NEG}},
    {M_POL, 15, 0, h_policy, "no proposal WORD", {NEG}},
    {M_POL | M_PROF,
     15,
     0,
     NULL,
     "match",
     {"Match values of local and remote peer"}}, /* help only: never complete */
    {M_POL,
     15,
     0,
     h_policy,
     "match address local A.B.C.D",
     {NULL, "Local address", "Local address", "IPv4 address"}},
    {M_POL, 15, 0, h_policy, "no match address local A.B.C.D", {NEG}},
    {M_POL | M_PROF, 15, 0, NULL, "match fvrf", {NULL, "Match a front door VRF"}},
    {M_POL, 15, 0, h_policy, "match fvrf any", {NULL, NULL, "Any fvrf"}},
    {M_POL, 15, 0, h_policy, "no match fvrf any", {NEG}},

    /* keyring */
    {M_KR, 15, 0, h_peer, "peer WORD", {"Configure a Peer and associated keys", "Name of peer"}},
    {M_KR, 15, 0, h_peer, "no peer WORD", {NEG, "Configure a Peer and associated keys", NULL}},
    /* In a peer's submode `peer NAME` moves to another peer of the same keyring (IOS goes
     * back to the keyring mode, which this grammar cannot express otherwise). */
    {M_PEER, 15, CMDF_HIDDEN, h_peer, "peer WORD", {"Configure a Peer", "Name of peer"}},
    {M_PEER, 15, CMDF_HIDDEN, h_peer, "no peer WORD", {NEG, "Configure a Peer", NULL}},

    /* keyring peer */
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "address A.B.C.D",
     {"IP address of the peer", "IP address of peer"}},
    {M_PEER, 15, 0, h_peer_attr, "address A.B.C.D A.B.C.D", {NULL, NULL, "IP Mask"}},
    {M_PEER, 15, 0, h_peer_attr, "no address", {NEG}},
    {M_PEER, 15, 0, h_peer_attr, "no address A.B.C.D", {NEG}},
    {M_PEER, 15, 0, h_peer_attr, "no address A.B.C.D A.B.C.D", {NEG}},
    {M_PEER, 15, 0, h_peer_attr, "hostname WORD", {"Hostname of peer", "Hostname"}},
    {M_PEER, 15, 0, h_peer_attr, "no hostname", {NEG}},
    {M_PEER, 15, 0, h_peer_attr, "no hostname WORD", {NEG}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "description LINE",
     {"Specify a description of this peer", "Description for the peer"}},
    {M_PEER, 15, 0, h_peer_attr, "no description", {NEG}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "identity address A.B.C.D",
     {"Specify IKE identity to use", "IP address", "IP address"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "identity fqdn WORD",
     {NULL, "Fully qualified domain name", "FQDN string"}},
    {M_PEER, 15, 0, h_peer_attr, "identity email WORD", {NULL, "Email id", "Email id string"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "identity key-id WORD",
     {NULL, "key-id opaque string - proprietary types of identification", "key-id string"}},
    {M_PEER, 15, 0, h_peer_attr, "no identity", {NEG}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "pre-shared-key LINE",
     {"pre-shared-key with the peer", "The UNENCRYPTED (cleartext) user password"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "pre-shared-key 0 LINE",
     {NULL, "Specifies an UNENCRYPTED password will follow",
      "The UNENCRYPTED (cleartext) user password"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "pre-shared-key 6 WORD",
     {NULL, "Specifies an ENCRYPTED password will follow", "The ENCRYPTED password"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "pre-shared-key local LINE",
     {NULL, "Local pre-shared-key", "The UNENCRYPTED (cleartext) user password"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "pre-shared-key local 0 LINE",
     {NULL, NULL, "Specifies an UNENCRYPTED password will follow",
      "The UNENCRYPTED (cleartext) user password"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "pre-shared-key local 6 WORD",
     {NULL, NULL, "Specifies an ENCRYPTED password will follow", "The ENCRYPTED password"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "pre-shared-key remote LINE",
     {NULL, "Remote pre-shared-key", "The UNENCRYPTED (cleartext) user password"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "pre-shared-key remote 0 LINE",
     {NULL, NULL, "Specifies an UNENCRYPTED password will follow",
      "The UNENCRYPTED (cleartext) user password"}},
    {M_PEER,
     15,
     0,
     h_peer_attr,
     "pre-shared-key remote 6 WORD",
     {NULL, NULL, "Specifies an ENCRYPTED password will follow", "The ENCRYPTED password"}},
    {M_PEER, 15, 0, h_peer_attr, "no pre-shared-key", {NEG}},
    {M_PEER, 15, 0, h_peer_attr, "no pre-shared-key local", {NEG}},
    {M_PEER, 15, 0, h_peer_attr, "no pre-shared-key remote", {NEG}},

    /* profile */
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "description LINE",
     {"Specify a description of this profile", "Description for the profile"}},
    {M_PROF, 15, 0, h_prof_misc, "no description", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "match fvrf any", {NULL, NULL, "Any fvrf"}},
    {M_PROF, 15, 0, h_prof_match, "no match fvrf any", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match address local A.B.C.D",
     {NULL, "Local address", "Local address", "IPv4 address"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match address local interface IFNAME",
     {NULL, NULL, NULL, "Local interface"}},
    {M_PROF, 15, 0, h_prof_match, "no match address local A.B.C.D", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match address local interface IFNAME", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity remote address A.B.C.D",
     {NULL, "Peer identity", "Remote identity", "IP address", "IPv4 address"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity remote address A.B.C.D A.B.C.D",
     {NULL, NULL, NULL, NULL, NULL, "Mask"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity remote fqdn WORD",
     {NULL, NULL, NULL, "Fully qualified domain name", "FQDN string"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity remote fqdn domain WORD",
     {NULL, NULL, NULL, NULL, "Match the domain and the names below it", "Domain name"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity remote email WORD",
     {NULL, NULL, NULL, "Email id", "Email id string"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity remote email domain WORD",
     {NULL, NULL, NULL, NULL, "Match the domain part of the email id", "Domain name"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity remote key-id WORD",
     {NULL, NULL, NULL, "key-id opaque string - proprietary types of identification",
      "key-id string"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity remote any",
     {NULL, NULL, NULL, "Match any identity"}},
    {M_PROF, 15, 0, h_prof_match, "no match identity remote address A.B.C.D", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity remote address A.B.C.D A.B.C.D", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity remote fqdn WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity remote fqdn domain WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity remote email WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity remote email domain WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity remote key-id WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity remote any", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity local address A.B.C.D",
     {NULL, "Peer identity", "Local identity", "IP address", "IPv4 address"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity local address A.B.C.D A.B.C.D",
     {NULL, NULL, NULL, NULL, NULL, "Mask"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity local fqdn WORD",
     {NULL, NULL, NULL, "Fully qualified domain name", "FQDN string"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity local fqdn domain WORD",
     {NULL, NULL, NULL, NULL, "Match the domain and the names below it", "Domain name"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity local email WORD",
     {NULL, NULL, NULL, "Email id", "Email id string"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity local email domain WORD",
     {NULL, NULL, NULL, NULL, "Match the domain part of the email id", "Domain name"}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match identity local key-id WORD",
     {NULL, NULL, NULL, "key-id opaque string - proprietary types of identification",
      "key-id string"}},
    {M_PROF, 15, 0, h_prof_match, "no match identity local address A.B.C.D", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity local address A.B.C.D A.B.C.D", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity local fqdn WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity local fqdn domain WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity local email WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity local email domain WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_match, "no match identity local key-id WORD", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_match,
     "match certificate WORD",
     {NULL, "Peer certificate attributes", "Certificate map name"}},
    {M_PROF, 15, 0, h_prof_match, "no match certificate WORD", {NEG}},

    /* identity local */
    {M_PROF,
     15,
     0,
     h_prof_identity,
     "identity local address A.B.C.D",
     {"Specify IKE identity to use", "Local IKE identity", "IP address", "IP address"}},
    {M_PROF,
     15,
     0,
     h_prof_identity,
     "identity local fqdn WORD",
     {NULL, NULL, "Fully qualified domain name", "FQDN string"}},
    {M_PROF,
     15,
     0,
     h_prof_identity,
     "identity local email WORD",
     {NULL, NULL, "Email id", "Email id string"}},
    {M_PROF,
     15,
     0,
     h_prof_identity,
     "identity local dn",
     {NULL, NULL, "Distinguished Name of the certificate"}},
    {M_PROF,
     15,
     0,
     h_prof_identity,
     "identity local key-id WORD",
     {NULL, NULL, "key-id opaque string - proprietary types of identification", "key-id string"}},
    {M_PROF, 15, 0, h_prof_identity, "no identity local", {NEG}},

    /* authentication */
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication remote pre-share",
     {"Set authentication method", "Remote peer authentication method", "Pre-Shared Key"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication remote rsa-sig",
     {NULL, NULL, "Rivest-Shamir-Adleman Signature"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication remote ecdsa-sig",
     {NULL, NULL, "Elliptic Curve Digital Signature Algorithm"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication remote pre-share key LINE",
     {NULL, NULL, NULL, "Specify the remote pre-shared key",
      "The UNENCRYPTED (cleartext) remote key"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication remote pre-share key 0 LINE",
     {NULL, NULL, NULL, NULL, "Specifies an UNENCRYPTED key will follow",
      "The UNENCRYPTED (cleartext) remote key"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication remote pre-share key 6 WORD",
     {NULL, NULL, NULL, NULL, "Specifies an ENCRYPTED key will follow",
      "The ENCRYPTED remote key"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication local pre-share",
     {NULL, "Local authentication method", "Pre-Shared Key"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication local rsa-sig",
     {NULL, NULL, "Rivest-Shamir-Adleman Signature"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication local ecdsa-sig",
     {NULL, NULL, "Elliptic Curve Digital Signature Algorithm"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication local pre-share key LINE",
     {NULL, NULL, NULL, "Specify the local pre-shared key",
      "The UNENCRYPTED (cleartext) local key"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication local pre-share key 0 LINE",
     {NULL, NULL, NULL, NULL, "Specifies an UNENCRYPTED key will follow",
      "The UNENCRYPTED (cleartext) local key"}},
    {M_PROF,
     15,
     0,
     h_prof_auth,
     "authentication local pre-share key 6 WORD",
     {NULL, NULL, NULL, NULL, "Specifies an ENCRYPTED key will follow", "The ENCRYPTED local key"}},
    {M_PROF, 15, 0, h_prof_auth, "no authentication remote", {NEG}},
    {M_PROF, 15, 0, h_prof_auth, "no authentication remote pre-share", {NEG}},
    {M_PROF, 15, 0, h_prof_auth, "no authentication remote rsa-sig", {NEG}},
    {M_PROF, 15, 0, h_prof_auth, "no authentication remote ecdsa-sig", {NEG}},
    {M_PROF, 15, 0, h_prof_auth, "no authentication local", {NEG}},
    {M_PROF, 15, 0, h_prof_auth, "no authentication local pre-share", {NEG}},
    {M_PROF, 15, 0, h_prof_auth, "no authentication local rsa-sig", {NEG}},
    {M_PROF, 15, 0, h_prof_auth, "no authentication local ecdsa-sig", {NEG}},

    /* keyring, trustpoints, timers */
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "keyring local WORD",
     {"Specify keyring to use", "Use local keyring", "Keyring name"}},
    {M_PROF, 15, 0, h_prof_misc, "no keyring", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no keyring local", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no keyring local WORD", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "pki trustpoint WORD",
     {"Specify certificate authorities to trust", "Specify trustpoint", "Trustpoint name"}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "pki trustpoint WORD sign",
     {NULL, NULL, NULL, "Use this trustpoint for signing (local certificate) only"}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "pki trustpoint WORD verify",
     {NULL, NULL, NULL, "Use this trustpoint for verifying peer certificates only"}},
    {M_PROF, 15, 0, h_prof_misc, "no pki trustpoint WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no pki trustpoint WORD sign", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no pki trustpoint WORD verify", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "lifetime <120-86400>",
     {"Set lifetime for IKEv2 SAs", "lifetime in seconds"}},
    {M_PROF, 15, 0, h_prof_misc, "no lifetime", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no lifetime <120-86400>", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "dpd <10-3600> <2-60> on-demand",
     {"Enable IKE liveness check for peers", "DPD interval in seconds",
      "Retry interval in seconds when there is no reply from the peer",
      "Send DPD only when there is no traffic from the peer"}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "dpd <10-3600> <2-60> periodic",
     {NULL, NULL, NULL, "Send DPD at every interval"}},
    {M_PROF, 15, 0, h_prof_misc, "no dpd", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no dpd <10-3600> <2-60> on-demand", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no dpd <10-3600> <2-60> periodic", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "nat keepalive <5-3600>",
     {"NAT", "Set NAT keepalive interval", "Keepalive interval in seconds"}},
    {M_PROF, 15, 0, h_prof_misc, "no nat keepalive", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no nat keepalive <5-3600>", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "virtual-template <1-65535>",
     {"Specify the virtual-template for dynamic interface creation", "Virtual-template number"}},
    {M_PROF, 15, 0, h_prof_misc, "no virtual-template", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no virtual-template <1-65535>", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "redirect gateway init",
     {"IKEv2 redirect (RFC 5685)", "Redirect on the gateway",
      "Redirect during IKE_SA_INIT (when the profile is known then)"}},
    {M_PROF, 15, 0, h_prof_misc, "redirect gateway auth", {NULL, NULL, "Redirect during IKE_AUTH"}},
    {M_PROF, 15, 0, h_prof_misc, "no redirect gateway init", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no redirect gateway auth", {NEG}},

    /* aaa in the profile */
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "aaa authorization group psk list WORD",
     {"AAA configuration", "AAA authorization parameters", "AAA group authorization",
      "Pre-shared key authentication", "AAA method list", "AAA list name"}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "aaa authorization group psk list WORD WORD",
     {NULL, NULL, NULL, NULL, NULL, NULL, "AAA username (the authorization policy)"}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "aaa authorization group cert list WORD",
     {NULL, NULL, NULL, "Certificate authentication", "AAA method list", "AAA list name"}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "aaa authorization group cert list WORD WORD",
     {NULL, NULL, NULL, NULL, NULL, NULL, "AAA username (the authorization policy)"}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "aaa authorization group eap list WORD",
     {NULL, NULL, NULL, "EAP authentication", "AAA method list", "AAA list name"}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "aaa authorization group eap list WORD WORD",
     {NULL, NULL, NULL, NULL, NULL, NULL, "AAA username (the authorization policy)"}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization group psk", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization group cert", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization group eap", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization group psk list WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization group cert list WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization group eap list WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization group psk list WORD WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization group cert list WORD WORD", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization group eap list WORD WORD", {NEG}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "aaa authorization user psk cached",
     {NULL, NULL, "AAA user authorization", "Pre-shared key authentication",
      "Use the attributes cached from the EAP or group authorization"}},
    {M_PROF,
     15,
     0,
     h_prof_misc,
     "aaa authorization user cert cached",
     {NULL, NULL, NULL, "Certificate authentication",
      "Use the attributes cached from the EAP or group authorization"}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization user psk cached", {NEG}},
    {M_PROF, 15, 0, h_prof_misc, "no aaa authorization user cert cached", {NEG}},

    /* authorization policy */
    {M_AUTH, 15, 0, h_author, "pool WORD", {"Specify local address pool", "Pool name"}},
    {M_AUTH, 15, 0, h_author, "no pool", {NEG}},
    {M_AUTH, 15, 0, h_author, "no pool WORD", {NEG}},
    {M_AUTH,
     15,
     0,
     h_author,
     "dns A.B.C.D",
     {"Specify DNS servers", "Primary DNS server IPv4 address"}},
    {M_AUTH,
     15,
     0,
     h_author,
     "dns A.B.C.D A.B.C.D",
     {NULL, NULL, "Secondary DNS server IPv4 address"}},
    {M_AUTH, 15, 0, h_author, "no dns", {NEG}},
    {M_AUTH, 15, 0, h_author, "no dns A.B.C.D", {NEG}},
    {M_AUTH, 15, 0, h_author, "no dns A.B.C.D A.B.C.D", {NEG}},
    {M_AUTH,
     15,
     0,
     h_author,
     "netmask A.B.C.D",
     {"Specify the netmask of the address assigned to the client", "Netmask"}},
    {M_AUTH, 15, 0, h_author, "no netmask", {NEG}},
    {M_AUTH, 15, 0, h_author, "no netmask A.B.C.D", {NEG}},
    {M_AUTH,
     15,
     0,
     h_author,
     "def-domain WORD",
     {"Specify the default domain name", "Domain name"}},
    {M_AUTH, 15, 0, h_author, "no def-domain", {NEG}},
    {M_AUTH, 15, 0, h_author, "no def-domain WORD", {NEG}},
    {M_AUTH, 15, 0, h_author, "banner LINE", {"Specify the banner", "Banner text"}},
    {M_AUTH, 15, 0, h_author, "no banner", {NEG}},
    {M_AUTH,
     15,
     0,
     h_author,
     "route set interface",
     {"Specify routes", "Set routes to be pushed to the peer",
      "Push the address of the peer's tunnel interface as a route"}},
    {M_AUTH,
     15,
     0,
     h_author,
     "route set access-list WORD",
     {NULL, NULL, "Push the routes of an access list (accepted, not applied)", "Access-list name"}},
    {M_AUTH,
     15,
     0,
     h_author,
     "route set remote ipv4 A.B.C.D A.B.C.D",
     {NULL, NULL, "Push a route (split tunnel)", "IPv4 route", "Network", "Mask"}},
    {M_AUTH,
     15,
     0,
     h_author,
     "route accept any",
     {NULL, "Accept the routes the peer sends", "Accept any route"}},
    {M_AUTH, 15, 0, h_author, "no route set interface", {NEG}},
    {M_AUTH, 15, 0, h_author, "no route set access-list", {NEG}},
    {M_AUTH, 15, 0, h_author, "no route set access-list WORD", {NEG}},
    {M_AUTH, 15, 0, h_author, "no route set remote ipv4 A.B.C.D A.B.C.D", {NEG}},
    {M_AUTH, 15, 0, h_author, "no route accept any", {NEG}},

    /* show */
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show,
     "show crypto ikev2 proposal",
     {"Show running system information", CRY, "Shows ikev2 information", "IKEv2 proposals"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show,
     "show crypto ikev2 proposal WORD",
     {NULL, NULL, NULL, NULL, "Proposal name"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show,
     "show crypto ikev2 policy",
     {NULL, NULL, NULL, "IKEv2 policies"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show,
     "show crypto ikev2 policy WORD",
     {NULL, NULL, NULL, NULL, "Policy name"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show,
     "show crypto ikev2 profile",
     {NULL, NULL, NULL, "IKEv2 profiles"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show,
     "show crypto ikev2 profile WORD",
     {NULL, NULL, NULL, NULL, "Profile name"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show,
     "show crypto ikev2 authorization policy",
     {NULL, NULL, NULL, "IKEv2 authorization", "IKEv2 authorization policies"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show,
     "show crypto ikev2 authorization policy WORD",
     {NULL, NULL, NULL, NULL, NULL, "Authorization policy name"}},
};
const size_t app_ncmds_ikev2 = sizeof app_cmds_ikev2 / sizeof app_cmds_ikev2[0];

/* ---- generated grammar: the algorithm lists of a proposal ----
 * IOS takes several algorithms on one line (`group 19 20 21 31 14`). The grammar has no
 * repetition, so every sequence of distinct keywords is spelled out, up to three words (all
 * four for the classes that have four); for DH groups the rest of the line after three is one
 * hidden LINE that the handler checks word by word. */

struct gen_def {
    struct cmd_def d;
    char syntax[256];
};

static void gen_add(struct cmd_tree *t, const char *syntax, bool no, bool hidden,
                    const char *const *helps, int nhelps)
{
    struct gen_def *g = calloc(1, sizeof *g);
    if (!g) abort();
    snprintf(g->syntax, sizeof g->syntax, "%s", syntax);
    g->d.modes = M_PROP;
    g->d.priv = 15;
    g->d.flags = hidden ? CMDF_HIDDEN : 0;
    g->d.fn = h_algs;
    g->d.syntax = g->syntax;
    int k = 0;
    if (no) g->d.help[k++] = NEG;
    for (int i = 0; i < nhelps && k < CMD_MAX_TOKENS; i++) g->d.help[k++] = helps[i];
    cmdtree_own(t, g);
    if (cmdtree_add(t, &g->d)) abort();
}

static void gen_seq(struct cmd_tree *t, bool no, const char *prefix, const char **helps, int nh,
                    const char *const *kw, const char *const *kwh, size_t nkw, unsigned used,
                    int depth, bool line_after)
{
    for (size_t i = 0; i < nkw; i++) {
        if (used & (1u << i)) continue;
        char syn[256];
        if (snprintf(syn, sizeof syn, "%s %s", prefix, kw[i]) >= (int)sizeof syn) abort();
        helps[nh] = kwh[i];
        gen_add(t, syn, no, false, helps, nh + 1);
        if (depth > 1) {
            gen_seq(t, no, syn, helps, nh + 1, kw, kwh, nkw, used | (1u << i), depth - 1,
                    line_after);
        } else if (line_after) {
            char more[256];
            if (snprintf(more, sizeof more, "%s LINE", syn) >= (int)sizeof more) abort();
            helps[nh + 1] = "Further algorithms";
            gen_add(t, more, no, true, helps, nh + 2);
        }
    }
}

void app_register_ikev2(struct cmd_tree *t)
{
    static const char *const class_kw[IKECFG_NCLASS] = {"encryption", "integrity", "prf", "group"};
    static const char *const class_help[IKECFG_NCLASS] = {
        "Set encryption algorithm(s)", "Set integrity hash algorithm(s)",
        "Set prf hash algorithm(s)", "Set the Diffie-Hellman group(s)"};
    for (int cl = 0; cl < IKECFG_NCLASS; cl++) {
        const char *const *kw, *const *kwh;
        size_t n = ike_cfg_alg_keywords((enum ike_cfg_class)cl, &kw, &kwh);
        int depth = n <= 4 ? (int)n : 3;
        for (int no = 0; no < 2; no++) {
            const char *helps[CMD_MAX_TOKENS];
            helps[0] = class_help[cl];
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s%s", no ? "no " : "", class_kw[cl]);
            gen_seq(t, no, prefix, helps, 1, kw, kwh, n, 0, depth, depth < (int)n);
        }
    }
}
