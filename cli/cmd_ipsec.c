/* The IPsec side of FlexVPN: `crypto ipsec transform-set` and `crypto ipsec profile` with their
 * submodes, `crypto pki trustpoint`, `crypto pki certificate map`, `crypto pki import`, the
 * tunnel commands of `interface Virtual-Template N type tunnel`, `ip local pool`, and their
 * show commands. The values live in ike/ike_ipsec_config.h's typed configuration (struct app's
 * `ipsec`); certificates are the PKI module's, reached through struct app's `pki` hooks. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/app.h"
#include "platform/log.h"
#include "platform/strbuf.h"

#define M_EXEC (1u << CM_EXEC)
#define M_CONF (1u << CM_CONFIG)
#define M_IF (1u << CM_IF)
#define M_TS (1u << CM_IPSEC_TS)
#define M_PROF (1u << CM_IPSEC_PROFILE)
#define M_TP (1u << CM_PKI_TP)
#define M_CM (1u << CM_PKI_CERTMAP)

static bool neg(const struct cmd_ctx *c)
{
    return c->m->is_no || c->m->is_default;
}

static const char *arg(const struct cmd_ctx *c, int i)
{
    return i < c->m->argc ? c->m->argv[i] : "";
}

/* The index of the first word after the command's keywords `first` ... (skipping no/default). */
static int at(const struct cmd_ctx *c, int i)
{
    return (neg(c) ? 1 : 0) + i;
}

static int changed(struct cmd_ctx *c)
{
    c->app->changes++;
    return 0;
}

static void enter(struct cmd_ctx *c, int mode, const char *obj)
{
    c->new_mode = mode;
    snprintf(c->new_obj, sizeof c->new_obj, "%s", obj);
}

/* ---- crypto ipsec transform-set ---- */

static int h_ts(struct cmd_ctx *c)
{
    struct ike_ipsec_config *cfg = &c->app->ipsec;
    const char *name = arg(c, at(c, 3));
    if (neg(c)) {
        ike_ts_remove(cfg, name);
        return changed(c);
    }
    const char *words[CMD_MAX_TOKENS];
    int n = 0;
    for (int i = 4; i < c->m->argc && n < CMD_MAX_TOKENS; i++) words[n++] = c->m->argv[i];
    struct ike_esp_proposal p;
    char err[160];
    if (ike_ts_parse(n, words, &p, err, sizeof err)) return ctx_err(c, "%s", err);
    if (!ike_ts_define(cfg, name, &p, err, sizeof err)) return ctx_err(c, "%s", err);
    enter(c, CM_IPSEC_TS, name);
    return changed(c);
}

static int h_ts_mode(struct cmd_ctx *c)
{
    struct ike_transform_set *t = ike_ts_find(&c->app->ipsec, c->mode_obj);
    if (!t) return ctx_err(c, "%% Transform set %s is gone", c->mode_obj);
    t->mode = !neg(c) && !strcmp(arg(c, 1), "transport") ? IKE_IPSEC_MODE_TRANSPORT
                                                         : IKE_IPSEC_MODE_TUNNEL;
    return changed(c);
}

/* ---- crypto ipsec profile ---- */

static int h_profile(struct cmd_ctx *c)
{
    struct ike_ipsec_config *cfg = &c->app->ipsec;
    const char *name = arg(c, at(c, 3));
    if (neg(c)) {
        ike_profile_remove(cfg, name);
        return changed(c);
    }
    char err[160];
    if (!ike_profile_get(cfg, name, err, sizeof err)) return ctx_err(c, "%s", err);
    enter(c, CM_IPSEC_PROFILE, name);
    return changed(c);
}

static struct ike_ipsec_profile *cur_profile(struct cmd_ctx *c)
{
    struct ike_ipsec_profile *p = ike_profile_find(&c->app->ipsec, c->mode_obj);
    if (!p) ctx_err(c, "%% IPsec profile %s is gone", c->mode_obj);
    return p;
}

static int h_set_ts(struct cmd_ctx *c)
{
    struct ike_ipsec_profile *p = cur_profile(c);
    if (!p) return -1;
    char err[160];
    if (neg(c)) return ike_profile_set_ts(p, 0, NULL, err, sizeof err) ? -1 : changed(c);
    const char *names[IKE_PROFILE_MAX_TS];
    int n = 0;
    for (int i = 2; i < c->m->argc && n < IKE_PROFILE_MAX_TS; i++) names[n++] = c->m->argv[i];
    if (ike_profile_set_ts(p, n, names, err, sizeof err)) return ctx_err(c, "%s", err);
    return changed(c);
}

static int h_set_ikev2(struct cmd_ctx *c)
{
    struct ike_ipsec_profile *p = cur_profile(c);
    if (!p) return -1;
    char err[160];
    if (ike_profile_set_ikev2(p, neg(c) ? NULL : arg(c, 2), err, sizeof err))
        return ctx_err(c, "%s", err);
    return changed(c);
}

static int h_set_lifetime(struct cmd_ctx *c)
{
    struct ike_ipsec_profile *p = cur_profile(c);
    if (!p) return -1;
    int b = at(c, 3); /* set security-association lifetime KIND [VALUE] */
    bool seconds = !strcmp(arg(c, b), "seconds");
    long v = 0;
    if (!neg(c)) v = !strcmp(arg(c, b + 1), "disable") ? -1 : strtol(arg(c, b + 1), NULL, 10);
    char err[160];
    int rc = seconds ? ike_profile_set_lifetime_sec(p, v, err, sizeof err)
                     : ike_profile_set_lifetime_kb(p, v, err, sizeof err);
    if (rc) return ctx_err(c, "%s", err);
    return changed(c);
}

static int h_set_pfs(struct cmd_ctx *c)
{
    struct ike_ipsec_profile *p = cur_profile(c);
    if (!p) return -1;
    int g = neg(c) ? 0 : atoi(arg(c, 2) + strlen("group"));
    char err[160];
    if (ike_profile_set_pfs(p, g, err, sizeof err)) return ctx_err(c, "%s", err);
    return changed(c);
}

static int h_prof_desc(struct cmd_ctx *c)
{
    struct ike_ipsec_profile *p = cur_profile(c);
    if (!p) return -1;
    char err[160];
    if (ike_profile_set_description(p, neg(c) ? NULL : arg(c, 1), err, sizeof err))
        return ctx_err(c, "%s", err);
    return changed(c);
}

/* ---- crypto pki trustpoint ---- */

static int h_tp(struct cmd_ctx *c)
{
    struct app *a = c->app;
    const char *name = arg(c, at(c, 3));
    if (neg(c)) {
        if (ike_tp_remove(&a->ipsec, name) == 0 && a->pki && a->pki->remove)
            a->pki->remove(a->pki->ctx, name);
        return changed(c);
    }
    bool existed = ike_tp_find(&a->ipsec, name) != NULL;
    char err[160];
    if (!ike_tp_get(&a->ipsec, name, err, sizeof err)) return ctx_err(c, "%s", err);
    /* At boot this is where the certificates saved at import come back. */
    if (!existed && a->pki && a->pki->attach) a->pki->attach(a->pki->ctx, name);
    enter(c, CM_PKI_TP, name);
    return changed(c);
}

static struct ike_trustpoint *cur_tp(struct cmd_ctx *c)
{
    struct ike_trustpoint *t = ike_tp_find(&c->app->ipsec, c->mode_obj);
    if (!t) ctx_err(c, "%% Trustpoint %s is gone", c->mode_obj);
    return t;
}

static int h_tp_enroll(struct cmd_ctx *c)
{
    struct ike_trustpoint *t = cur_tp(c);
    if (!t) return -1;
    enum ike_tp_enroll e = IKE_TP_ENROLL_NONE;
    const char *kind = arg(c, 1), *url = NULL;
    if (neg(c))
        e = IKE_TP_ENROLL_NONE;
    else if (!strcmp(kind, "terminal"))
        e = c->m->argc > 2 ? IKE_TP_ENROLL_TERMINAL_PEM : IKE_TP_ENROLL_TERMINAL;
    else if (!strcmp(kind, "url"))
        e = IKE_TP_ENROLL_URL, url = arg(c, 2);
    else if (!strcmp(kind, "selfsigned"))
        e = IKE_TP_ENROLL_SELFSIGNED;
    else if (!strcmp(kind, "pkcs12"))
        e = IKE_TP_ENROLL_PKCS12;
    char err[160];
    if (ike_tp_set_enroll(t, e, url, err, sizeof err)) return ctx_err(c, "%s", err);
    return changed(c);
}

static int h_tp_revocation(struct cmd_ctx *c)
{
    struct ike_trustpoint *t = cur_tp(c);
    if (!t) return -1;
    enum ike_tp_revocation r = IKE_TP_REVOKE_CRL;
    if (!neg(c) && !strcmp(arg(c, 1), "none")) r = IKE_TP_REVOKE_NONE;
    if (!neg(c) && c->m->argc > 2) r = IKE_TP_REVOKE_CRL_NONE; /* crl none */
    ike_tp_set_revocation(t, r);
    return changed(c);
}

static int h_tp_text(struct cmd_ctx *c)
{
    struct ike_trustpoint *t = cur_tp(c);
    if (!t) return -1;
    const char *what = arg(c, at(c, 0));
    static const struct {
        const char *word;
        enum ike_tp_text which;
    } map[] = {{"subject-name", IKE_TP_SUBJECT_NAME},
               {"subject-alt-name", IKE_TP_SUBJECT_ALT_NAME},
               {"rsakeypair", IKE_TP_RSAKEYPAIR},
               {"fqdn", IKE_TP_FQDN},
               {"ip-address", IKE_TP_IP_ADDRESS}};
    size_t k = 0;
    while (k < sizeof map / sizeof map[0] - 1 && strcmp(map[k].word, what)) k++;
    char err[160];
    if (ike_tp_set_text(t, map[k].which, neg(c) ? NULL : arg(c, 1), err, sizeof err))
        return ctx_err(c, "%s", err);
    return changed(c);
}

static int h_tp_auto(struct cmd_ctx *c)
{
    struct ike_trustpoint *t = cur_tp(c);
    if (!t) return -1;
    int pct = neg(c) ? -1 : c->m->argc > 1 ? atoi(arg(c, 1)) : 0;
    char err[160];
    if (ike_tp_set_auto_enroll(t, pct, err, sizeof err)) return ctx_err(c, "%s", err);
    return changed(c);
}

/* `crypto pki import NAME pem url PREFIX password PW` and `... pkcs12 PATH password PW`: IOS
 * global configuration commands. The certificates go to the PKI module, which keeps copies
 * next to the startup-config; the running-config shows only the trustpoint. */
static int h_import(struct cmd_ctx *c)
{
    struct app *a = c->app;
    const char *name = arg(c, 3);
    bool pem = !strcmp(arg(c, 4), "pem");
    const char *src = pem ? arg(c, 6) : arg(c, 5);
    const char *pw = arg(c, c->m->argc - 1);
    if (!a->pki || !(pem ? a->pki->import_pem : a->pki->import_pkcs12))
        return ctx_err(c, "%% PKI support not available");
    char err[256];
    struct ike_trustpoint *t = ike_tp_find(&a->ipsec, name);
    /* The trustpoint the import would create must be creatable, before the PKI module acts. */
    if (!t && ike_ipsec_check_name(name, IKE_IPSEC_NAME_MAX, "trustpoint", err, sizeof err))
        return ctx_err(c, "%s", err);
    if (!t && a->ipsec.ntps >= IKE_IPSEC_MAX_OBJECTS)
        return ctx_err(c, "%% Too many trustpoints (at most %d)", IKE_IPSEC_MAX_OBJECTS);
    err[0] = '\0';
    int rc = pem ? a->pki->import_pem(a->pki->ctx, name, src, pw, err, sizeof err)
                 : a->pki->import_pkcs12(a->pki->ctx, name, src, pw, err, sizeof err);
    if (rc) return ctx_err(c, "%% Import into trustpoint %s failed: %s", name, err);
    bool created = !t;
    if (!t && !(t = ike_tp_get(&a->ipsec, name, err, sizeof err))) return ctx_err(c, "%s", err);
    /* As IOS: a PKCS12 import makes its trustpoint with `enrollment pkcs12`. */
    if (created && !pem) t->enroll = IKE_TP_ENROLL_PKCS12;
    t->imported = true;
    snprintf(t->import_source, sizeof t->import_source, "%s", src);
    ilog(6, "PKI", "IMPORT", "Certificates imported into trustpoint %s from %s", name, src);
    /* IOS's words; at boot they would read as an error (a "% " line), and the log says it. */
    if (strcmp(c->who, "startup"))
        sb_puts(c->out, pem ? "% PEM files import succeeded.\n"
                            : "CRYPTO_PKI: Imported PKCS12 file successfully.\n");
    return changed(c);
}

/* ---- crypto pki certificate map ---- */

static int h_certmap(struct cmd_ctx *c)
{
    struct ike_ipsec_config *cfg = &c->app->ipsec;
    int b = at(c, 4);
    const char *name = arg(c, b);
    unsigned seq = c->m->argc > b + 1 ? (unsigned)strtoul(arg(c, b + 1), NULL, 10) : 0;
    if (neg(c)) {
        ike_certmap_remove(cfg, name, seq);
        return changed(c);
    }
    char err[160];
    if (!ike_certmap_get(cfg, name, seq, err, sizeof err)) return ctx_err(c, "%s", err);
    char obj[64];
    snprintf(obj, sizeof obj, "%s %u", name, seq);
    enter(c, CM_PKI_CERTMAP, obj);
    return changed(c);
}

static int h_cm_rule(struct cmd_ctx *c)
{
    char name[IKE_CERTMAP_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s", c->mode_obj);
    char *sp = strrchr(name, ' ');
    if (!sp) return ctx_err(c, "%% No certificate map entry");
    *sp = '\0';
    struct ike_certmap *m =
        ike_certmap_find(&c->app->ipsec, name, (unsigned)strtoul(sp + 1, NULL, 10));
    if (!m) return ctx_err(c, "%% Certificate map %s is gone", c->mode_obj);
    int b = at(c, 0);
    int f = 0, op = IKE_CM_NOPS;
    while (f < IKE_CM_NFIELDS && strcmp(ike_cm_field_names[f], arg(c, b))) f++;
    if (f == IKE_CM_NFIELDS) return ctx_err(c, "%% Unknown field %s", arg(c, b));
    if (c->m->argc > b + 1) {
        op = 0;
        while (op < IKE_CM_NOPS && strcmp(ike_cm_op_names[op], arg(c, b + 1))) op++;
    }
    const char *value = c->m->argc > b + 2 ? arg(c, b + 2) : NULL;
    if (neg(c)) {
        if (ike_certmap_remove_rule(m, (enum ike_cm_field)f, (enum ike_cm_op)op, value))
            return ctx_err(c, "%% No such rule in certificate map %s", c->mode_obj);
        return changed(c);
    }
    char err[160];
    if (ike_certmap_add_rule(m, (enum ike_cm_field)f, (enum ike_cm_op)op, value, err, sizeof err))
        return ctx_err(c, "%s", err);
    return changed(c);
}

/* ---- ip local pool ---- */

static int h_pool(struct cmd_ctx *c)
{
    struct ike_pools *ps = c->app->ipsec.pools;
    int b = at(c, 3);
    const char *name = arg(c, b);
    unsigned first = 0, last = 0;
    bool range = c->m->argc > b + 1;
    if (range) {
        cmd_parse_ipv4(arg(c, b + 1), &first);
        last = first;
        if (c->m->argc > b + 2) cmd_parse_ipv4(arg(c, b + 2), &last);
    }
    char err[200];
    int rc;
    if (!neg(c))
        rc = ike_pools_add_range(ps, name, first, last, err, sizeof err);
    else if (range)
        rc = ike_pools_remove_range(ps, name, first, last, err, sizeof err);
    else
        rc = ike_pools_exists(ps, name) ? ike_pools_remove(ps, name, err, sizeof err) : 0;
    if (rc) return ctx_err(c, "%s", err);
    return changed(c);
}

/* ---- interface Virtual-Template: the tunnel commands ---- */

static struct ike_vtemplate *cur_vt(struct cmd_ctx *c, struct iface **ifp)
{
    struct ifname n;
    if (!c->mode_obj || ifname_parse(c->mode_obj, NULL, &n, NULL)) {
        ctx_err(c, "%% Interface is gone");
        return NULL;
    }
    if (n.type != IFT_VTEMPLATE) {
        ctx_err(c, "%% This command is for Virtual-Template interfaces");
        return NULL;
    }
    struct ike_vtemplate *v = ike_vt_find(&c->app->ipsec, n.num);
    struct iface *i = app_iface_find(c->app, &n);
    if (!v || !i) {
        ctx_err(c, "%% Interface is gone");
        return NULL;
    }
    if (ifp) *ifp = i;
    return v;
}

static int h_unnumbered(struct cmd_ctx *c)
{
    struct iface *i;
    struct ike_vtemplate *v = cur_vt(c, &i);
    if (!v) return -1;
    char err[160];
    if (ike_vt_set_unnumbered(v, neg(c) ? NULL : arg(c, 2), err, sizeof err))
        return ctx_err(c, "%s", err);
    if (!neg(c)) { /* as IOS: unnumbered replaces the addresses (none are in the kernel) */
        i->has_addr = false;
        i->nsec = 0;
    }
    return changed(c);
}

static int h_ip_mtu(struct cmd_ctx *c)
{
    struct ike_vtemplate *v = cur_vt(c, NULL);
    if (!v) return -1;
    char err[160];
    bool mss = !strcmp(arg(c, at(c, 1)), "tcp");
    unsigned val = neg(c) ? 0 : (unsigned)strtoul(arg(c, c->m->argc - 1), NULL, 10);
    int rc =
        mss ? ike_vt_set_tcp_mss(v, val, err, sizeof err) : ike_vt_set_mtu(v, val, err, sizeof err);
    if (rc) return ctx_err(c, "%s", err);
    return changed(c);
}

static int h_tunnel(struct cmd_ctx *c)
{
    struct ike_vtemplate *v = cur_vt(c, NULL);
    if (!v) return -1;
    const char *what = arg(c, at(c, 1));
    char err[160];
    int rc = 0;
    if (!strcmp(what, "source")) {
        rc = ike_vt_set_tunnel_source(v, neg(c) ? NULL : arg(c, 2), err, sizeof err);
    } else if (!strcmp(what, "mode")) {
        ike_vt_set_mode(v, neg(c) ? IKE_TUNNEL_MODE_DEFAULT : IKE_TUNNEL_MODE_IPSEC_IPV4);
    } else {
        bool shared = !neg(c) && c->m->argc > 5;
        rc = ike_vt_set_protection(v, neg(c) ? NULL : arg(c, 4), shared, err, sizeof err);
    }
    if (rc) return ctx_err(c, "%s", err);
    return changed(c);
}

/* ---- show ---- */

static int h_show_ts(struct cmd_ctx *c)
{
    const char *name = c->m->argc > 4 ? arg(c, 4) : NULL;
    if (!strcmp(arg(c, 3), "transform-set")) {
        if (ike_ipsec_show_ts(&c->app->ipsec, name, c->out))
            return ctx_err(c, "%% Transform set %s does not exist", name);
    } else if (ike_ipsec_show_profile(&c->app->ipsec, name, c->out)) {
        return ctx_err(c, "%% IPsec profile %s does not exist", name);
    }
    return 0;
}

static int h_show_pool(struct cmd_ctx *c)
{
    const char *name = c->m->argc > 4 ? arg(c, 4) : NULL;
    if (ike_pools_show(c->app->ipsec.pools, name, c->out))
        return ctx_err(c, "%% Pool %s does not exist", name);
    return 0;
}

static int h_show_pki(struct cmd_ctx *c)
{
    struct app *a = c->app;
    const char *name = c->m->argc > 4 ? arg(c, 4) : NULL;
    bool certs = !strcmp(arg(c, 3), "certificates");
    if (name && !ike_tp_find(&a->ipsec, name))
        return ctx_err(c, "%% Trustpoint %s does not exist", name);
    if (certs && (!a->pki || !a->pki->render_certs))
        return ctx_err(c, "%% PKI support not available");
    for (const struct ike_trustpoint *t = a->ipsec.tps; t; t = t->next) {
        if (name && strcmp(t->name, name)) continue;
        if (certs) {
            a->pki->render_certs(a->pki->ctx, t->name, c->out);
            continue;
        }
        sb_printf(c->out, "Trustpoint %s:\n", t->name);
        if (!a->pki || !a->pki->render_trustpoint ||
            a->pki->render_trustpoint(a->pki->ctx, t->name, c->out))
            sb_puts(c->out, "    Not authenticated.\n");
        sb_puts(c->out, "\n");
    }
    return 0;
}

/* ---- the grammar ---- */

#define NEG "Negate a command or set its defaults"
#define H_CRYPTO "Encryption module"
#define H_IPSEC "Configure IPSEC policy"
#define H_TS "Define transform and settings"
#define H_TS_TAG "Transform set tag"
#define H_AES "ESP transform using AES cipher"
#define H_GCM "ESP transform using GCM cipher"
#define H_PKI "Public Key components"

#define TS_PFX "crypto ipsec transform-set WORD "
#define TS_HELP H_CRYPTO, H_IPSEC, H_TS, H_TS_TAG
/* esp-aes [KEY] INTEG: every key size and integrity transform spelled out, so `?` lists them. */
#define TS_AES(key, keyhelp, integ, integhelp)                                                     \
    {                                                                                              \
        M_CONF, 15, 0, h_ts, TS_PFX "esp-aes " key integ,                                          \
        {                                                                                          \
            TS_HELP, H_AES, keyhelp, integhelp                                                     \
        }                                                                                          \
    }
#define TS_AES_NOKEY(integ, integhelp)                                                             \
    {                                                                                              \
        M_CONF, 15, 0, h_ts, TS_PFX "esp-aes " integ,                                              \
        {                                                                                          \
            TS_HELP, H_AES, integhelp                                                              \
        }                                                                                          \
    }
#define H_SHA1 "ESP transform using HMAC-SHA auth"
#define H_SHA256 "ESP transform using HMAC-SHA256 auth"
#define H_SHA384 "ESP transform using HMAC-SHA384 auth"
#define H_SHA512 "ESP transform using HMAC-SHA512 auth"
#define TS_AES_KEY(key, keyhelp)                                                                   \
    TS_AES(key, keyhelp, "esp-sha-hmac", H_SHA1),                                                  \
        TS_AES(key, keyhelp, "esp-sha256-hmac", H_SHA256),                                         \
        TS_AES(key, keyhelp, "esp-sha384-hmac", H_SHA384),                                         \
        TS_AES(key, keyhelp, "esp-sha512-hmac", H_SHA512)

#define PFS(n, help)                                                                               \
    {                                                                                              \
        M_PROF, 15, 0, h_set_pfs, "set pfs group" #n,                                              \
        {                                                                                          \
            NULL, "Specify pfs settings", help                                                     \
        }                                                                                          \
    }

#define CM_RULE(field, fhelp)                                                                      \
    {M_CM, 15, 0, h_cm_rule, field " eq LINE", {fhelp, "equal", "Attribute value to compare"}},    \
        {M_CM,                                                                                     \
         15,                                                                                       \
         0,                                                                                        \
         h_cm_rule,                                                                                \
         field " ne LINE",                                                                         \
         {fhelp, "not equal", "Attribute value to compare"}},                                      \
        {M_CM,                                                                                     \
         15,                                                                                       \
         0,                                                                                        \
         h_cm_rule,                                                                                \
         field " co LINE",                                                                         \
         {fhelp, "contains", "Attribute value to compare"}},                                       \
        {M_CM,                                                                                     \
         15,                                                                                       \
         0,                                                                                        \
         h_cm_rule,                                                                                \
         field " nc LINE",                                                                         \
         {fhelp, "does not contain", "Attribute value to compare"}},                               \
        {M_CM, 15, 0, h_cm_rule, "no " field, {NEG, fhelp}},                                       \
        {M_CM,                                                                                     \
         15,                                                                                       \
         0,                                                                                        \
         h_cm_rule,                                                                                \
         "no " field " eq LINE",                                                                   \
         {NEG, fhelp, "equal", "Attribute value to compare"}},                                     \
        {M_CM,                                                                                     \
         15,                                                                                       \
         0,                                                                                        \
         h_cm_rule,                                                                                \
         "no " field " ne LINE",                                                                   \
         {NEG, fhelp, "not equal", "Attribute value to compare"}},                                 \
        {M_CM,                                                                                     \
         15,                                                                                       \
         0,                                                                                        \
         h_cm_rule,                                                                                \
         "no " field " co LINE",                                                                   \
         {NEG, fhelp, "contains", "Attribute value to compare"}},                                  \
    {                                                                                              \
        M_CM, 15, 0, h_cm_rule, "no " field " nc LINE",                                            \
        {                                                                                          \
            NEG, fhelp, "does not contain", "Attribute value to compare"                           \
        }                                                                                          \
    }

const struct cmd_def app_cmds_ipsec[] = {
    /* crypto ipsec transform-set */
    {M_CONF, 15, 0, h_ts, TS_PFX "esp-gcm", {TS_HELP, H_GCM}},
    {M_CONF, 15, 0, h_ts, TS_PFX "esp-gcm 128", {TS_HELP, H_GCM, "128 bit keys."}},
    {M_CONF, 15, 0, h_ts, TS_PFX "esp-gcm 256", {TS_HELP, H_GCM, "256 bit keys."}},
    TS_AES_NOKEY("esp-sha-hmac", H_SHA1),
    TS_AES_NOKEY("esp-sha256-hmac", H_SHA256),
    TS_AES_NOKEY("esp-sha384-hmac", H_SHA384),
    TS_AES_NOKEY("esp-sha512-hmac", H_SHA512),
    TS_AES_KEY("128 ", "128 bit keys."),
    TS_AES_KEY("192 ", "192 bit keys."),
    TS_AES_KEY("256 ", "256 bit keys."),
    {M_CONF, 15, 0, h_ts, "no crypto ipsec transform-set WORD", {NEG, TS_HELP}},
    {M_TS,
     15,
     0,
     h_ts_mode,
     "mode tunnel",
     {"encapsulation mode (transport/tunnel)", "tunnel (datagram encapsulation) mode"}},
    {M_TS, 15, 0, h_ts_mode, "mode transport", {NULL, "transport (payload encapsulation) mode"}},
    {M_TS, 15, 0, h_ts_mode, "no mode", {NEG, "encapsulation mode (transport/tunnel)"}},
    {M_TS,
     15,
     0,
     h_ts_mode,
     "no mode tunnel",
     {NULL, NULL, "tunnel (datagram encapsulation) mode"}},
    {M_TS,
     15,
     0,
     h_ts_mode,
     "no mode transport",
     {NULL, NULL, "transport (payload encapsulation) mode"}},

    /* crypto ipsec profile */
    {M_CONF,
     15,
     0,
     h_profile,
     "crypto ipsec profile WORD",
     {H_CRYPTO, H_IPSEC, "Configure an ipsec policy profile", "Profile name"}},
    {M_CONF,
     15,
     0,
     h_profile,
     "no crypto ipsec profile WORD",
     {NEG, H_CRYPTO, H_IPSEC, "Configure an ipsec policy profile", "Profile name"}},
    {M_PROF,
     15,
     0,
     h_set_ts,
     "set transform-set WORD",
     {"Set values for encryption/decryption", "Specify list of transform sets in priority order",
      "Transform set name"}},
    {M_PROF,
     15,
     0,
     h_set_ts,
     "set transform-set WORD WORD",
     {NULL, NULL, NULL, "Transform set name"}},
    {M_PROF,
     15,
     0,
     h_set_ts,
     "set transform-set WORD WORD WORD",
     {NULL, NULL, NULL, NULL, "Transform set name"}},
    {M_PROF,
     15,
     0,
     h_set_ts,
     "set transform-set WORD WORD WORD WORD",
     {NULL, NULL, NULL, NULL, NULL, "Transform set name"}},
    {M_PROF,
     15,
     0,
     h_set_ts,
     "set transform-set WORD WORD WORD WORD WORD",
     {NULL, NULL, NULL, NULL, NULL, NULL, "Transform set name"}},
    {M_PROF,
     15,
     0,
     h_set_ts,
     "set transform-set WORD WORD WORD WORD WORD WORD",
     {NULL, NULL, NULL, NULL, NULL, NULL, NULL, "Transform set name"}},
    {M_PROF,
     15,
     0,
     h_set_ts,
     "no set transform-set",
     {NEG, "Set values for encryption/decryption",
      "Specify list of transform sets in priority order"}},
    {M_PROF,
     15,
     0,
     h_set_ikev2,
     "set ikev2-profile WORD",
     {NULL, "Specify ikev2 Profile", "ikev2 Profile name"}},
    {M_PROF, 15, 0, h_set_ikev2, "no set ikev2-profile", {NULL, NULL, "Specify ikev2 Profile"}},
    {M_PROF,
     15,
     0,
     h_set_ikev2,
     "no set ikev2-profile WORD",
     {NULL, NULL, NULL, "ikev2 Profile name"}},
    {M_PROF,
     15,
     0,
     h_set_lifetime,
     "set security-association lifetime seconds <120-2592000>",
     {NULL, "Security association parameters", "security association lifetime",
      "Time-based key duration", "Time-based key duration in seconds"}},
    {M_PROF,
     15,
     0,
     h_set_lifetime,
     "set security-association lifetime kilobytes <2560-4194303>",
     {NULL, NULL, NULL, "Volume-based key duration", "Volume-based key duration in kilobytes"}},
    {M_PROF,
     15,
     0,
     h_set_lifetime,
     "set security-association lifetime kilobytes disable",
     {NULL, NULL, NULL, NULL, "Disable Volume-based Rekey"}},
    {M_PROF,
     15,
     0,
     h_set_lifetime,
     "no set security-association lifetime seconds",
     {NULL, NULL, "Security association parameters", "security association lifetime",
      "Time-based key duration"}},
    {M_PROF,
     15,
     0,
     h_set_lifetime,
     "no set security-association lifetime kilobytes",
     {NULL, NULL, NULL, NULL, "Volume-based key duration"}},
    PFS(14, "D-H Group14 (2048-bit modulus)"),
    PFS(15, "D-H Group15 (3072-bit modulus)"),
    PFS(16, "D-H Group16 (4096-bit modulus)"),
    PFS(19, "D-H Group19 (256-bit order ECP)"),
    PFS(20, "D-H Group20 (384-bit order ECP)"),
    PFS(21, "D-H Group21 (521-bit order ECP)"),
    PFS(31, "D-H Group31 (Curve25519; ikegate extension)"),
    {M_PROF, 15, 0, h_set_pfs, "no set pfs", {NULL, NULL, "Specify pfs settings"}},
    {M_PROF,
     15,
     0,
     h_prof_desc,
     "description LINE",
     {"Description of the crypto map statement policy",
      "Up to 240 characters describing this profile"}},
    {M_PROF,
     15,
     0,
     h_prof_desc,
     "no description",
     {NEG, "Description of the crypto map statement policy"}},

    /* crypto pki trustpoint */
    {M_CONF,
     15,
     0,
     h_tp,
     "crypto pki trustpoint WORD",
     {H_CRYPTO, H_PKI, "Define a CA trustpoint", "Trustpoint name"}},
    {M_CONF,
     15,
     0,
     h_tp,
     "no crypto pki trustpoint WORD",
     {NEG, H_CRYPTO, H_PKI, "Define a CA trustpoint", "Trustpoint name"}},
    {M_TP,
     15,
     0,
     h_tp_enroll,
     "enrollment terminal",
     {"Enrollment parameters", "Enroll via the terminal (cut-and-paste)"}},
    {M_TP,
     15,
     0,
     h_tp_enroll,
     "enrollment terminal pem",
     {NULL, NULL, "Enroll via terminal in PEM format"}},
    {M_TP, 15, 0, h_tp_enroll, "enrollment url WORD", {NULL, "CA server enrollment URL", "URL"}},
    {M_TP,
     15,
     0,
     h_tp_enroll,
     "enrollment selfsigned",
     {NULL, "Generate a Self Signed Certificate"}},
    {M_TP, 15, 0, h_tp_enroll, "enrollment pkcs12", {NULL, "Import certificate via pkcs12"}},
    {M_TP, 15, 0, h_tp_enroll, "no enrollment", {NEG, "Enrollment parameters"}},
    {M_TP,
     15,
     0,
     h_tp_revocation,
     "revocation-check crl",
     {"Revocation checking options", "Revocation check by CRL"}},
    {M_TP,
     15,
     0,
     h_tp_revocation,
     "revocation-check crl none",
     {NULL, NULL, "Ignore revocation check when no CRL is available"}},
    {M_TP, 15, 0, h_tp_revocation, "revocation-check none", {NULL, "Ignore revocation check"}},
    {M_TP, 15, 0, h_tp_revocation, "no revocation-check", {NEG, "Revocation checking options"}},
    {M_TP, 15, 0, h_tp_text, "subject-name LINE", {"Subject Name", "Subject name (cn=...)"}},
    {M_TP, 15, 0, h_tp_text, "no subject-name", {NEG, "Subject Name"}},
    {M_TP,
     15,
     0,
     h_tp_text,
     "subject-alt-name LINE",
     {"Subject Alternative Name", "Subject alternative name"}},
    {M_TP, 15, 0, h_tp_text, "no subject-alt-name", {NEG, "Subject Alternative Name"}},
    {M_TP, 15, 0, h_tp_text, "rsakeypair WORD", {"Specify the key pair", "Key pair label"}},
    {M_TP, 15, 0, h_tp_text, "no rsakeypair", {NEG, "Specify the key pair"}},
    {M_TP, 15, 0, h_tp_text, "fqdn WORD", {"Fully Qualified Domain Name", "Domain name"}},
    {M_TP, 15, 0, h_tp_text, "no fqdn", {NEG, "Fully Qualified Domain Name"}},
    {M_TP,
     15,
     0,
     h_tp_text,
     "ip-address A.B.C.D",
     {"Include IP address in the certificate", "IP address"}},
    {M_TP, 15, 0, h_tp_text, "ip-address none", {NULL, "Do not include an IP address"}},
    {M_TP, 15, 0, h_tp_text, "no ip-address", {NEG, "Include IP address in the certificate"}},
    {M_TP, 15, 0, h_tp_auto, "auto-enroll", {"Enable automatic enrollment"}},
    {M_TP,
     15,
     0,
     h_tp_auto,
     "auto-enroll <1-100>",
     {NULL, "Percentage of the certificate's lifetime at which to renew"}},
    {M_TP, 15, 0, h_tp_auto, "no auto-enroll", {NEG, "Enable automatic enrollment"}},

    /* crypto pki import (global configuration in IOS) */
    {M_CONF,
     15,
     0,
     h_import,
     "crypto pki import WORD pem url WORD password WORD",
     {NULL, NULL, "Import certificates", "Trustpoint name", "Import certificates in PEM format",
      "Read PREFIX.ca, PREFIX.crt and PREFIX.prv", "File name prefix (a local path)",
      "Password of the private key", "Password"}},
    {M_CONF,
     15,
     0,
     h_import,
     "crypto pki import WORD pkcs12 WORD password WORD",
     {NULL, NULL, NULL, NULL, "Import a PKCS12 file", "PKCS12 file (a local path)",
      "Password of the PKCS12 file", "Password"}},

    /* crypto pki certificate map */
    {M_CONF,
     15,
     0,
     h_certmap,
     "crypto pki certificate map WORD <1-65535>",
     {NULL, NULL, "Actions on certificates", "Define a certificate map", "Certificate map name",
      "Sequence to insert to/delete from existing certificate map"}},
    {M_CONF,
     15,
     0,
     h_certmap,
     "no crypto pki certificate map WORD",
     {NEG, H_CRYPTO, H_PKI, "Actions on certificates", "Define a certificate map",
      "Certificate map name"}},
    {M_CONF,
     15,
     0,
     h_certmap,
     "no crypto pki certificate map WORD <1-65535>",
     {NULL, NULL, NULL, NULL, NULL, NULL,
      "Sequence to insert to/delete from existing certificate map"}},
    CM_RULE("subject-name", "Subject Name"),
    CM_RULE("issuer-name", "Issuer Name"),
    CM_RULE("alt-subject-name", "Alternate Subject Name"),
    CM_RULE("unstructured-subject-name", "Unstructured Subject Name"),
    CM_RULE("name", "Any Subject or Issuer Name"),
    CM_RULE("serial-number", "Serial Number"),

    /* ip local pool */
    {M_CONF,
     15,
     0,
     h_pool,
     "ip local pool WORD A.B.C.D",
     {NULL, "Specify local options", "IP Local address pool lists",
      "Create named local address pool", "First IP address of range"}},
    {M_CONF,
     15,
     0,
     h_pool,
     "ip local pool WORD A.B.C.D A.B.C.D",
     {NULL, NULL, NULL, NULL, NULL, "Last IP address of range"}},
    {M_CONF,
     15,
     0,
     h_pool,
     "no ip local pool WORD",
     {NEG, NULL, "Specify local options", "IP Local address pool lists",
      "Create named local address pool"}},
    {M_CONF,
     15,
     0,
     h_pool,
     "no ip local pool WORD A.B.C.D",
     {NULL, NULL, NULL, NULL, NULL, "First IP address of range"}},
    {M_CONF,
     15,
     0,
     h_pool,
     "no ip local pool WORD A.B.C.D A.B.C.D",
     {NULL, NULL, NULL, NULL, NULL, NULL, "Last IP address of range"}},

    /* interface Virtual-Template: tunnel commands */
    {M_IF,
     15,
     0,
     h_unnumbered,
     "ip unnumbered IFNAME",
     {NULL, "Enable IP processing without an explicit address", "Interface name"}},
    {M_IF,
     15,
     0,
     h_unnumbered,
     "no ip unnumbered",
     {NEG, NULL, "Enable IP processing without an explicit address"}},
    {M_IF, 15, 0, h_unnumbered, "no ip unnumbered IFNAME", {NULL, NULL, NULL, "Interface name"}},
    {M_IF,
     15,
     0,
     h_ip_mtu,
     "ip mtu <68-9216>",
     {NULL, "Set IP Maximum Transmission Unit", "MTU (bytes)"}},
    {M_IF, 15, 0, h_ip_mtu, "no ip mtu", {NEG, NULL, "Set IP Maximum Transmission Unit"}},
    {M_IF, 15, 0, h_ip_mtu, "no ip mtu <68-9216>", {NULL, NULL, NULL, "MTU (bytes)"}},
    {M_IF,
     15,
     0,
     h_ip_mtu,
     "ip tcp adjust-mss <500-1460>",
     {NULL, "TCP header compression and other config", "Adjust the mss of transit packets",
      "Maximum segment size in bytes"}},
    {M_IF,
     15,
     0,
     h_ip_mtu,
     "no ip tcp adjust-mss",
     {NEG, NULL, "TCP header compression and other config", "Adjust the mss of transit packets"}},
    {M_IF,
     15,
     0,
     h_ip_mtu,
     "no ip tcp adjust-mss <500-1460>",
     {NULL, NULL, NULL, NULL, "Maximum segment size in bytes"}},
    {M_IF,
     15,
     0,
     h_tunnel,
     "tunnel source IFNAME",
     {"protocol-over-protocol tunneling", "source of tunnel packets", "Interface name"}},
    {M_IF, 15, 0, h_tunnel, "tunnel source A.B.C.D", {NULL, NULL, "ip address"}},
    {M_IF,
     15,
     0,
     h_tunnel,
     "no tunnel source",
     {NEG, "protocol-over-protocol tunneling", "source of tunnel packets"}},
    {M_IF, 15, 0, h_tunnel, "no tunnel source IFNAME", {NULL, NULL, NULL, "Interface name"}},
    {M_IF, 15, 0, h_tunnel, "no tunnel source A.B.C.D", {NULL, NULL, NULL, "ip address"}},
    {M_IF,
     15,
     0,
     h_tunnel,
     "tunnel mode ipsec ipv4",
     {NULL, "tunnel encapsulation method", "IPSec tunnel encapsulation", "over IPv4"}},
    {M_IF, 15, 0, h_tunnel, "no tunnel mode", {NULL, NULL, "tunnel encapsulation method"}},
    {M_IF,
     15,
     0,
     h_tunnel,
     "no tunnel mode ipsec ipv4",
     {NULL, NULL, NULL, "IPSec tunnel encapsulation", "over IPv4"}},
    {M_IF,
     15,
     0,
     h_tunnel,
     "tunnel protection ipsec profile WORD",
     {NULL, "Enable tunnel protection", "IPSec tunnel protection",
      "Determine the ipsec policy profile to use.", "Name of the ipsec profile"}},
    {M_IF,
     15,
     0,
     h_tunnel,
     "tunnel protection ipsec profile WORD shared",
     {NULL, NULL, NULL, NULL, NULL, "Share IPSec SA database between multiple tunnel interfaces"}},
    {M_IF,
     15,
     0,
     h_tunnel,
     "no tunnel protection ipsec profile",
     {NULL, NULL, "Enable tunnel protection", "IPSec tunnel protection",
      "Determine the ipsec policy profile to use."}},
    {M_IF,
     15,
     0,
     h_tunnel,
     "no tunnel protection ipsec profile WORD",
     {NULL, NULL, NULL, NULL, NULL, "Name of the ipsec profile"}},

    /* show */
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_ts,
     "show crypto ipsec transform-set",
     {NULL, H_CRYPTO, "Show IPSEC policy", "Crypto IPSEC transform sets"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_ts,
     "show crypto ipsec transform-set WORD",
     {NULL, NULL, NULL, NULL, "Transform set tag"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_ts,
     "show crypto ipsec profile",
     {NULL, NULL, NULL, "ipsec profile information"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_ts,
     "show crypto ipsec profile WORD",
     {NULL, NULL, NULL, NULL, "Profile name"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_pki,
     "show crypto pki trustpoints",
     {NULL, NULL, "Show PKI", "Show trustpoints"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_pki,
     "show crypto pki trustpoints WORD",
     {NULL, NULL, NULL, NULL, "Trustpoint name"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_pki,
     "show crypto pki certificates",
     {NULL, NULL, NULL, "Show certificates"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_pki,
     "show crypto pki certificates WORD",
     {NULL, NULL, NULL, NULL, "Trustpoint name"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_pool,
     "show ip local pool",
     {NULL, NULL, "IP local options", "IP Local address pool statistics"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_pool,
     "show ip local pool WORD",
     {NULL, NULL, NULL, NULL, "Pool name"}},
};
const size_t app_ncmds_ipsec = sizeof app_cmds_ipsec / sizeof app_cmds_ipsec[0];
