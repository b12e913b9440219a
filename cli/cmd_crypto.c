/* The IKEv2 engine's show, clear and session commands: `show crypto ikev2 sa [detailed]`,
 * `show crypto ikev2 stats`, `show crypto ipsec sa [peer A.B.C.D]`, `show crypto session
 * [detail]`, `clear crypto ikev2 sa [remote A.B.C.D]`, `clear crypto session [remote A.B.C.D]`,
 * `clear crypto ikev2 stats`. The configuration commands are cmd_ikev2.c and cmd_ipsec.c. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cli/app.h"
#include "cli/ike_glue.h"
#include "ike/ike.h"
#include "platform/strbuf.h"

#define M_EXEC (1u << CM_EXEC)

static struct ike *engine(struct cmd_ctx *c)
{
    struct ike *ike = ike_glue_engine(c->app->ike);
    if (!ike) ctx_err(c, "%% IKEv2 is not running on this appliance");
    return ike;
}

static bool has_word(struct cmd_ctx *c, const char *w)
{
    for (int i = 0; i < c->m->argc; i++)
        if (!strcmp(c->m->argv[i], w)) return true;
    return false;
}

/* The dotted quad after `peer` / `remote`, network order; 0 when none. */
static uint32_t addr_arg(struct cmd_ctx *c)
{
    struct in_addr a = {0};
    for (int i = 0; i + 1 < c->m->argc; i++)
        if (!strcmp(c->m->argv[i], "peer") || !strcmp(c->m->argv[i], "remote"))
            inet_pton(AF_INET, c->m->argv[i + 1], &a);
    return a.s_addr;
}

static int h_show_ike_sa(struct cmd_ctx *c)
{
    struct ike *ike = engine(c);
    if (!ike) return -1;
    ike_show_sa(ike, has_word(c, "detailed"), c->out);
    return 0;
}

static int h_show_stats(struct cmd_ctx *c)
{
    struct ike *ike = engine(c);
    if (!ike) return -1;
    ike_show_stats(ike, c->out);
    return 0;
}

static int h_show_ipsec_sa(struct cmd_ctx *c)
{
    struct ike *ike = engine(c);
    if (!ike) return -1;
    ike_show_ipsec_sa(ike, addr_arg(c), c->out);
    return 0;
}

static int h_show_session(struct cmd_ctx *c)
{
    struct ike *ike = engine(c);
    if (!ike) return -1;
    ike_show_session(ike, has_word(c, "detail"), c->out);
    return 0;
}

static int h_clear_sa(struct cmd_ctx *c)
{
    struct ike *ike = engine(c);
    if (!ike) return -1;
    ike_clear_sa(ike, addr_arg(c));
    return 0;
}

static int h_clear_stats(struct cmd_ctx *c)
{
    struct ike *ike = engine(c);
    if (!ike) return -1;
    ike_clear_stats(ike);
    return 0;
}

#define SHOW "Show running system information"
#define CRYPTO "Encryption module"
#define IKEV2 "Shows ikev2 information"

const struct cmd_def app_cmds_crypto[] = {
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_ike_sa,
     "show crypto ikev2 sa",
     {SHOW, CRYPTO, IKEV2, "Shows ikev2 SAs"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_ike_sa,
     "show crypto ikev2 sa detailed",
     {NULL, NULL, NULL, NULL, "detailed SA information"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_stats,
     "show crypto ikev2 stats",
     {NULL, NULL, NULL, "Shows ikev2 statistics"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_ipsec_sa,
     "show crypto ipsec sa",
     {NULL, NULL, "Show IPSEC info", "IPSEC SA table"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_ipsec_sa,
     "show crypto ipsec sa peer A.B.C.D",
     {NULL, NULL, NULL, NULL, "Show SAs for a peer", "IPv4 address of the peer"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_session,
     "show crypto session",
     {NULL, NULL, "Show crypto session info"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_session,
     "show crypto session detail",
     {NULL, NULL, NULL, "Show detailed session info"}},
    {M_EXEC,
     15,
     0,
     h_clear_sa,
     "clear crypto ikev2 sa",
     {"Reset functions", CRYPTO, "Clear ikev2 information", "Clear IKEv2 SAs"}},
    {M_EXEC,
     15,
     0,
     h_clear_sa,
     "clear crypto ikev2 sa remote A.B.C.D",
     {NULL, NULL, NULL, NULL, "Remote address of the SAs", "IPv4 address"}},
    {M_EXEC,
     15,
     0,
     h_clear_stats,
     "clear crypto ikev2 stats",
     {NULL, NULL, NULL, "Clear IKEv2 statistics"}},
    {M_EXEC, 15, 0, h_clear_sa, "clear crypto session", {NULL, NULL, "Clear crypto sessions"}},
    {M_EXEC,
     15,
     0,
     h_clear_sa,
     "clear crypto session remote A.B.C.D",
     {NULL, NULL, NULL, "Remote address of the session", "IPv4 address"}},
};
const size_t app_ncmds_crypto = sizeof app_cmds_crypto / sizeof app_cmds_crypto[0];
