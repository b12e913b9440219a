/* `crypto ikev2 cluster` and its submode. The values live in clb's typed configuration;
 * the cluster engine (a later part of the project) applies them live. */
#include <stdio.h>
#include <string.h>

#include "clb/clb.h"
#include "cli/app.h"
#include "platform/log.h"
#include "platform/strbuf.h"

#define M_CONF (1u << CM_CONFIG)
#define M_CL (1u << CM_CLUSTER)
#define M_EXEC (1u << CM_EXEC)

/* Every change reaches the running cluster engine at once (timers, weights, key, shutdown). */
static void applied(struct cmd_ctx *c)
{
    c->app->changes++;
    if (c->app->clb) clb_configure(c->app->clb, &c->app->cluster);
}

static int h_show_cluster(struct cmd_ctx *c)
{
    if (!c->app->clb) return ctx_err(c, "%% The cluster engine is not running");
    clb_show(c->app->clb, c->out);
    return 0;
}

static int h_cluster(struct cmd_ctx *c)
{
    struct clb_config *cc = &c->app->cluster;
    if (c->m->is_no || c->m->is_default) {
        clb_config_init(cc);
    } else {
        cc->defined = true;
        c->new_mode = CM_CLUSTER;
    }
    applied(c);
    return 0;
}

/* Which parameter do the words (after an optional no/default) name? */
static int param_of(struct cmd_ctx *c, int *first)
{
    *first = c->m->is_no || c->m->is_default ? 1 : 0;
    char words[128] = "";
    for (int i = *first; i < c->m->argc; i++) {
        if (c->m->argv[i][0] >= '0' && c->m->argv[i][0] <= '9') break;
        if (words[0]) strncat(words, " ", sizeof words - strlen(words) - 1);
        strncat(words, c->m->argv[i], sizeof words - strlen(words) - 1);
    }
    for (int p = 0; p < CLB_NPARAMS; p++)
        if (!strcmp(words, clb_params[p].syntax)) return p;
    return -1;
}

static int h_param(struct cmd_ctx *c)
{
    int first, p = param_of(c, &first);
    if (p < 0) return ctx_err(c, "%% Unknown cluster parameter");
    if (c->m->is_no || c->m->is_default) {
        clb_config_reset(&c->app->cluster, p);
    } else {
        char err[160];
        if (clb_config_set(&c->app->cluster, p, c->m->argv[c->m->argc - 1], err, sizeof err))
            return ctx_err(c, "%s", err);
    }
    applied(c);
    return 0;
}

static int h_text(struct cmd_ctx *c)
{
    struct clb_config *cc = &c->app->cluster;
    bool neg = c->m->is_no || c->m->is_default;
    const char *what = c->m->argv[neg ? 1 : 0];
    char err[160];
    int rc = 0;
    if (!strcmp(what, "standby-group")) {
        if (neg) {
            cc->standby_group[0] = '\0';
            cc->shutdown = true;
        } else {
            rc = clb_config_set_group(cc, c->m->argv[1], err, sizeof err);
        }
    } else if (!strcmp(what, "description")) {
        if (neg)
            cc->description[0] = '\0';
        else
            rc = clb_config_set_description(cc, c->m->argv[1], err, sizeof err);
    } else {
        if (neg)
            cc->key[0] = '\0';
        else
            rc = clb_config_set_key(cc, c->m->argv[1], err, sizeof err);
    }
    if (rc) return ctx_err(c, "%s", err);
    applied(c);
    return 0;
}

static int h_shutdown(struct cmd_ctx *c)
{
    /* `default shutdown` restores the default, which is shut. */
    bool shut = !c->m->is_no;
    char err[160];
    if (clb_config_set_shutdown(&c->app->cluster, shut, err, sizeof err))
        return ctx_err(c, "%s", err);
    applied(c);
    return 0;
}

#define NEG "Negate a command or set its defaults"
const struct cmd_def app_cmds_cluster[] = {
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_cluster,
     "show crypto ikev2 cluster",
     {NULL, NULL, NULL, "IKEv2 cluster (load balancer) state and members"}},
    {M_CONF,
     15,
     0,
     h_cluster,
     "crypto ikev2 cluster",
     {"Encryption module", "Configure IKEv2 Options", "Configure IKEv2 cluster"}},
    {M_CONF, 15, 0, h_cluster, "no crypto ikev2 cluster", {NEG, NULL, NULL, NULL}},
    {M_CL,
     15,
     0,
     h_text,
     "standby-group WORD",
     {"HSRP standby group to associate with the cluster", "Standby group name"}},
    {M_CL, 15, 0, h_text, "no standby-group", {NEG, NULL}},
    {M_CL,
     15,
     0,
     h_text,
     "description LINE",
     {"Cluster description", "Up to 240 characters describing this cluster"}},
    {M_CL, 15, 0, h_text, "no description", {NEG, NULL}},
    {M_CL,
     15,
     0,
     h_text,
     "key WORD",
     {"HMAC-SHA256 key authenticating cluster messages (ikegate extension)", "The key"}},
    {M_CL, 15, 0, h_text, "no key", {NEG, NULL}},
    {M_CL,
     15,
     0,
     h_param,
     "slave max-session <1-100000>",
     {"Slave configuration", "Maximum number of sessions on this member", "Maximum session count"}},
    {M_CL,
     15,
     0,
     h_param,
     "slave hello <100-30000>",
     {NULL, "Hello interval to the master", "Hello interval in milliseconds"}},
    {M_CL,
     15,
     0,
     h_param,
     "slave update <100-60000>",
     {NULL, "Load update interval", "Update interval in milliseconds"}},
    {M_CL,
     15,
     0,
     h_param,
     "slave priority <1-100>",
     {NULL, "Member priority (lower gets more sessions)", "Priority"}},
    {M_CL,
     15,
     0,
     h_param,
     "holdtime <100-120000>",
     {"Member hold time", "Hold time in milliseconds"}},
    {M_CL, 15, 0, h_param, "port <1-65535>", {"Cluster TCP port", "Port number"}},
    {M_CL,
     15,
     0,
     h_param,
     "master weight crypto-load <0-100>",
     {"Master configuration", "Load weights", "Weight of crypto load", "Weight"}},
    {M_CL,
     15,
     0,
     h_param,
     "master weight system-load <0-100>",
     {NULL, NULL, "Weight of system load", "Weight"}},
    {M_CL,
     15,
     0,
     h_param,
     "master overload-limit <50-99>",
     {NULL, "Load at which a member takes no new sessions", "Overload limit in percent"}},
    {M_CL, 15, 0, h_param, "no slave max-session", {NEG, NULL, NULL}},
    {M_CL, 15, 0, h_param, "no slave max-session <1-100000>", {NULL}},
    {M_CL, 15, 0, h_param, "no slave hello", {NULL}},
    {M_CL, 15, 0, h_param, "no slave hello <100-30000>", {NULL}},
    {M_CL, 15, 0, h_param, "no slave update", {NULL}},
    {M_CL, 15, 0, h_param, "no slave update <100-60000>", {NULL}},
    {M_CL, 15, 0, h_param, "no slave priority", {NULL}},
    {M_CL, 15, 0, h_param, "no slave priority <1-100>", {NULL}},
    {M_CL, 15, 0, h_param, "no holdtime", {NULL}},
    {M_CL, 15, 0, h_param, "no holdtime <100-120000>", {NULL}},
    {M_CL, 15, 0, h_param, "no port", {NULL}},
    {M_CL, 15, 0, h_param, "no port <1-65535>", {NULL}},
    {M_CL, 15, 0, h_param, "no master weight crypto-load", {NULL}},
    {M_CL, 15, 0, h_param, "no master weight crypto-load <0-100>", {NULL}},
    {M_CL, 15, 0, h_param, "no master weight system-load", {NULL}},
    {M_CL, 15, 0, h_param, "no master weight system-load <0-100>", {NULL}},
    {M_CL, 15, 0, h_param, "no master overload-limit", {NULL}},
    {M_CL, 15, 0, h_param, "no master overload-limit <50-99>", {NULL}},
    {M_CL, 15, 0, h_shutdown, "shutdown", {"Shutdown the cluster"}},
    {M_CL, 15, 0, h_shutdown, "no shutdown", {NEG, "Shutdown the cluster"}},
};
const size_t app_ncmds_cluster = sizeof app_cmds_cluster / sizeof app_cmds_cluster[0];
