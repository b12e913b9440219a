/* Unit tests for the running configuration (cli/config.c) and the handlers behind it, driven
 * through the real grammar on an appliance without kernel effects (no netif, no loop):
 * rendering in IOS order with defaults omitted, round trips (render, replay into a fresh
 * appliance, render again), and the interface / route validation messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/app.h"
#include "cli/cmdtree.h"
#include "cli/secret.h"
#include "platform/log.h"
#include "platform/strbuf.h"
#include "version.h"

#define HASH9 "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6" /* hashcat */
#define HASH8 "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk" /* hashcat */
#define HASH5 "$1$mERr$hx5rVt7rPNoS4wqbXKX7m0"                                /* cisco */

#define HEAD "!\nversion " IKEGATE_VERSION "\n!\n"
#define FRESH HEAD "hostname Router\n!\nend\n"

static struct cmd_tree tree;

static void log_defaults(void)
{
    log_buffer_config(8192, 7);
    log_console_level(7);
    log_monitor_level(7);
}

static int group_setup(void **state)
{
    (void)state;
    cmdtree_init(&tree);
    app_register_commands(&tree);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    cmdtree_free(&tree);
    log_defaults();
    return 0;
}

/* A configuration session on one appliance, as the shell runs one: mode tracking through
 * new_mode, and a line that fails in a submode is retried in global configuration. */
struct term {
    struct app a;
    int mode;
    char obj[64];
    char out[4096]; /* what the last command printed */
};

/* Everything a test allocates beyond its own session is released by teardown, so that a
 * failing assertion (which longjmps out of the test) leaks nothing. */
static struct term *spares[8];
static int nspares;
static char *texts[32];
static int ntexts;

static struct term *term_new(void)
{
    struct term *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (app_init(&t->a, NULL, NULL, NULL)) {
        free(t);
        return NULL;
    }
    t->mode = CM_CONFIG;
    return t;
}

static void term_free(struct term *t)
{
    app_fini(&t->a);
    free(t);
}

static struct term *spare(void)
{
    assert_true(nspares < (int)(sizeof spares / sizeof spares[0]));
    struct term *t = term_new();
    assert_non_null(t);
    spares[nspares++] = t;
    return t;
}

static char *kept(char *s)
{
    assert_true(ntexts < (int)(sizeof texts / sizeof texts[0]));
    texts[ntexts++] = s;
    return s;
}

static int setup(void **state)
{
    log_defaults();
    *state = term_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    term_free(*state);
    while (nspares) term_free(spares[--nspares]);
    while (ntexts) free(texts[--ntexts]);
    log_defaults();
    return 0;
}

#define PARSE_ERROR -2

static int run(struct term *t, const char *line)
{
    static struct cmd_match m, m2;
    t->out[0] = '\0';
    cmdtree_parse(&tree, t->mode, 15, line, &m);
    if (m.status == CS_EMPTY) return 0;
    if (m.status != CS_OK && t->mode > CM_CONFIG) {
        cmdtree_parse(&tree, CM_CONFIG, 15, line, &m2);
        if (m2.status == CS_OK) {
            m = m2;
            t->mode = CM_CONFIG;
            t->obj[0] = '\0';
        }
    }
    if (m.status != CS_OK) {
        snprintf(t->out, sizeof t->out, "(parse status %d at column %d)", m.status, m.col);
        return PARSE_ERROR;
    }
    if (m.def->flags & CMDF_SESSION) {
        /* emulate the session-side commands that change the mode */
        const char *w = m.argv[0];
        if (!strcmp(w, "end") || (!strcmp(w, "exit") && t->mode == CM_CONFIG))
            t->mode = CM_EXEC;
        else if (!strcmp(w, "exit") && t->mode > CM_CONFIG)
            t->mode = CM_CONFIG;
        else if (!strcmp(w, "configure"))
            t->mode = CM_CONFIG;
        t->obj[0] = '\0';
        return 0;
    }
    struct strbuf out = STRBUF_INIT;
    struct cmd_ctx c = {.app = &t->a,
                        .m = &m,
                        .mode = t->mode,
                        .mode_obj = t->obj,
                        .priv = 15,
                        .who = "test",
                        .out = &out,
                        .new_mode = -1};
    int rc = m.def->fn(&c);
    snprintf(t->out, sizeof t->out, "%s", sb_str(&out));
    sb_free(&out);
    if (c.new_mode >= 0) {
        t->mode = c.new_mode;
        snprintf(t->obj, sizeof t->obj, "%s", c.new_obj);
    }
    return rc;
}

/* Runs a line that must succeed silently. */
static void ok(struct term *t, const char *line)
{
    int rc = run(t, line);
    if (rc || strstr(t->out, "% ")) fail_msg("'%s' failed (%d): %s", line, rc, t->out);
}

/* Runs a line whose handler must refuse it with exactly this message. */
static void refused(struct term *t, const char *line, const char *msg)
{
    int rc = run(t, line);
    if (rc != -1) fail_msg("'%s' returned %d (%s), expected a refusal", line, rc, t->out);
    char want[512];
    snprintf(want, sizeof want, "%s\n", msg);
    if (strcmp(t->out, want)) fail_msg("'%s' said '%s', expected '%s'", line, t->out, msg);
}

/* Feeds a configuration text as the startup-config loader does: `!` and blank lines are
 * skipped, `end` ends it, and every line must be accepted. */
static void apply(struct term *t, const char *text)
{
    char *buf = strdup(text);
    assert_non_null(buf);
    t->mode = CM_CONFIG;
    for (char *sv, *l = strtok_r(buf, "\n", &sv); l; l = strtok_r(NULL, "\n", &sv)) {
        const char *p = l + strspn(l, " \t");
        if (!*p || *p == '!') continue;
        if (!strcmp(p, "end")) break;
        int rc = run(t, l);
        if (rc || strstr(t->out, "% ")) {
            char line[512];
            snprintf(line, sizeof line, "%s", l);
            free(buf);
            fail_msg("replaying '%s' failed (%d): %s", line, rc, t->out);
        }
        if (t->mode == CM_EXEC) t->mode = CM_CONFIG;
    }
    free(buf);
}

static char *render(struct term *t)
{
    struct strbuf sb = STRBUF_INIT;
    app_render_config(&t->a, &sb);
    return sb_detach(&sb);
}

static void render_is(struct term *t, const char *expect)
{
    char *got = render(t);
    if (strcmp(got, expect)) {
        char msg[8192];
        snprintf(msg, sizeof msg, "--- got:\n%s--- expected:\n%s---", got, expect);
        free(got);
        fail_msg("%s", msg);
    }
    free(got);
}

/* Render, replay the text into a fresh appliance (with the process-wide logging settings
 * back to their defaults), render again: the texts must be identical. Returns the fresh
 * appliance's session for further checks (caller tears it down). */
static struct term *round_trip(struct term *t)
{
    const char *first = kept(render(t));
    log_defaults();
    struct term *u = spare();
    apply(u, first);
    const char *second = kept(render(u));
    if (strcmp(first, second))
        fail_msg("round trip differs\n--- first:\n%s--- second:\n%s---", first, second);
    return u;
}

/* ---- rendering ---- */

static void test_render_fresh(void **state)
{
    struct term *t = *state;
    render_is(t, FRESH);
    assert_int_equal(t->a.changes, 0);
    round_trip(t);
}

static void test_render_order_and_defaults(void **state)
{
    struct term *t = *state;
    apply(t, "interface Loopback2\n"
             " ip address 10.2.0.1 255.255.255.0\n"
             "interface Loopback1\n"
             " description first\n"
             " no shutdown\n"
             "ip route 10.9.0.0 255.255.0.0 10.1.0.2\n"
             "ip route 0.0.0.0 0.0.0.0 10.2.0.254 1\n"
             "crypto ikev2 cluster\n"
             " slave hello 1000\n"
             " port 2013\n"
             " shutdown\n"
             "username zed privilege 15 secret 9 " HASH9 "\n"
             "username amy privilege 0 secret 5 " HASH5 "\n"
             "enable secret 8 " HASH8 "\n"
             "logging console debugging\n"
             "logging monitor notifications\n"
             "logging buffered 8192 debugging\n"
             "hostname GW1\n");
    render_is(t, HEAD "hostname GW1\n"
                      "!\n"
                      "logging monitor notifications\n"
                      "enable secret 8 " HASH8 "\n"
                      "!\n"
                      "username amy privilege 0 secret 5 " HASH5 "\n"
                      "username zed privilege 15 secret 9 " HASH9 "\n"
                      "!\n"
                      "crypto ikev2 cluster\n"
                      " port 2013\n"
                      "!\n"
                      "interface Loopback1\n"
                      " description first\n"
                      " no ip address\n"
                      "!\n"
                      "interface Loopback2\n"
                      " ip address 10.2.0.1 255.255.255.0\n"
                      "!\n"
                      "ip route 10.9.0.0 255.255.0.0 10.1.0.2\n"
                      "ip route 0.0.0.0 0.0.0.0 10.2.0.254\n"
                      "!\n"
                      "end\n");
    assert_true(t->a.changes > 0);
}

static void test_logging_render(void **state)
{
    struct term *t = *state;
    ok(t, "logging buffered informational");
    render_is(t, HEAD "hostname Router\n!\nlogging buffered 8192 informational\n!\nend\n");
    ok(t, "logging buffered 16384");
    render_is(t, HEAD "hostname Router\n!\nlogging buffered 16384 informational\n!\nend\n");
    ok(t, "logging buffered 4096 7");
    render_is(t, HEAD "hostname Router\n!\nlogging buffered 4096\n!\nend\n");
    ok(t, "no logging buffered");
    assert_int_equal(log_buffer_size(), 0);
    render_is(t, HEAD "hostname Router\n!\nno logging buffered\n!\nend\n");
    ok(t, "default logging buffered");
    assert_int_equal(log_buffer_size(), 8192);
    assert_int_equal(log_buffer_level(), 7);
    render_is(t, FRESH);
    ok(t, "logging console 0");
    ok(t, "logging monitor warn");
    render_is(t, HEAD "hostname Router\n!\nlogging console emergencies\nlogging monitor "
                      "warnings\n!\nend\n");
    round_trip(t);
    assert_int_equal(log_console_get_level(), 0);
    assert_int_equal(log_monitor_get_level(), 4);
    ok(t, "no logging console");
    ok(t, "default logging monitor");
    render_is(t, FRESH);
}

static void test_hostname(void **state)
{
    struct term *t = *state;
    ok(t, "hostname R1");
    char h[64];
    app_hostname(&t->a, h, sizeof h);
    assert_string_equal(h, "R1");
    refused(t, "hostname 1abc", "% Hostname contains one or more illegal characters.");
    refused(t, "hostname R-", "% Hostname contains one or more illegal characters.");
    refused(t, "hostname a_b", "% Hostname contains one or more illegal characters.");
    refused(t,
            "hostname "
            "a123456789012345678901234567890123456789012345678901234567890123",
            "% Hostname contains one or more illegal characters.");
    app_hostname(&t->a, h, sizeof h);
    assert_string_equal(h, "R1");
    ok(t, "hostname a12345678901234567890123456789012345678901234567890123456789012");
    ok(t, "default hostname");
    render_is(t, FRESH);
    ok(t, "hostname R-1");
    ok(t, "no hostname");
    render_is(t, FRESH);
}

static void test_secrets(void **state)
{
    struct term *t = *state;
    ok(t, "enable secret 0 cisco");
    assert_int_equal(t->a.enable_secret_type, 9);
    assert_memory_equal(t->a.enable_secret, "$9$", 3);
    assert_int_equal(secret_hash_check_format(9, t->a.enable_secret), 0);
    assert_true(app_check_enable(&t->a, "cisco"));
    assert_false(app_check_enable(&t->a, "Cisco"));
    ok(t, "enable secret cisco2");
    assert_true(app_check_enable(&t->a, "cisco2"));
    ok(t, "enable algorithm-type scrypt secret cisco3");
    assert_true(app_check_enable(&t->a, "cisco3"));
    ok(t, "enable secret 5 " HASH5);
    assert_true(app_check_enable(&t->a, "cisco"));
    render_is(t, HEAD "hostname Router\n!\nenable secret 5 " HASH5 "\n!\nend\n");
    refused(t, "enable secret 9 garbage", "% Invalid encrypted secret: garbage");
    refused(t, "enable secret 8 " HASH9, "% Invalid encrypted secret: " HASH9);
    char line[256];
    snprintf(line, sizeof line, "enable secret 0 %0101d", 7);
    refused(t, line, "% The secret is too long.");
    assert_string_equal(t->a.enable_secret, HASH5);
    ok(t, "no enable secret");
    assert_false(app_has_enable_secret(&t->a));
    render_is(t, FRESH);
}

static void test_users(void **state)
{
    struct term *t = *state;
    ok(t, "username bob privilege 15 secret 0 pw");
    assert_int_equal(app_user_privilege(&t->a, "bob"), 15);
    assert_int_equal(app_user_privilege(&t->a, "nobody"), 1);
    assert_int_equal(t->a.users->secret_type, 9);
    assert_true(secret_verify("pw", t->a.users->secret));
    /* a later line changes only what it names */
    ok(t, "username bob secret 8 " HASH8);
    assert_int_equal(app_user_privilege(&t->a, "bob"), 15);
    ok(t, "username bob privilege 7");
    assert_string_equal(t->a.users->secret, HASH8);
    ok(t, "username al algorithm-type scrypt secret x");
    assert_true(secret_verify("x", t->a.users->secret));
    const char *text = kept(render(t));
    assert_non_null(strstr(text, "!\nusername al secret 9 $9$"));
    assert_non_null(strstr(text, "\nusername bob privilege 7 secret 8 " HASH8 "\n!\nend\n"));
}

static void test_users_render(void **state)
{
    struct term *t = *state;
    ok(t, "username bob privilege 7 secret 8 " HASH8);
    ok(t, "username al secret 9 " HASH9);
    ok(t, "username cy privilege 0 secret 5 " HASH5);
    render_is(t, HEAD "hostname Router\n!\n"
                      "username al secret 9 " HASH9 "\n"
                      "username bob privilege 7 secret 8 " HASH8 "\n"
                      "username cy privilege 0 secret 5 " HASH5 "\n"
                      "!\nend\n");
    refused(t, "username dee secret 9 nothash", "% Invalid encrypted secret: nothash");
    ok(t, "no username bob");
    ok(t, "no username nobody");
    assert_int_equal(app_user_privilege(&t->a, "bob"), 1);
    render_is(t, HEAD "hostname Router\n!\n"
                      "username al secret 9 " HASH9 "\n"
                      "username cy privilege 0 secret 5 " HASH5 "\n"
                      "!\nend\n");
    char line[512];
    snprintf(line, sizeof line, "username %064d privilege 2", 0);
    refused(t, line, "% User name too long.");
}

/* BUG (cli/config.c app_render_config / the `username` grammar in cli/cmd_system.c): a user
 * with privilege 1 and no secret renders as "username amy", a line the grammar does not accept
 * (CS_INCOMPLETE), so the running-config does not load back. */
static void test_round_trip_user_without_secret(void **state)
{
    struct term *t = *state;
    ok(t, "username amy privilege 1");
    ok(t, "username bob privilege 3");
    struct term *u = round_trip(t);
    assert_int_equal(app_user_privilege(&u->a, "bob"), 3);
    assert_non_null(u->a.users);
    assert_string_equal(u->a.users->name, "amy");
}

/* ---- the rich round trip ---- */

static const char rich[] = "hostname EDGE-1\n"
                           "enable secret 0 cisco\n"
                           "username zoe privilege 15 secret 9 " HASH9 "\n"
                           "username bob privilege 7 secret 8 " HASH8 "\n"
                           "username cy secret 5 " HASH5 "\n"
                           "username dan privilege 15 secret 0 clear\n"
                           "logging buffered 16384 informational\n"
                           "logging console warnings\n"
                           "logging monitor 3\n"
                           "crypto ikev2 cluster\n"
                           " description VPN  cluster   east\n"
                           " standby-group HSRP-VPN\n"
                           " key K3y!x\n"
                           " port 5000\n"
                           " holdtime 10000\n"
                           " master weight crypto-load 0\n"
                           " master weight system-load 50\n"
                           " master overload-limit 80\n"
                           " slave max-session 500\n"
                           " slave hello 200\n"
                           " slave update 600\n"
                           " slave priority 10\n"
                           " no shutdown\n"
                           "interface Loopback10\n"
                           " description loop  ten\n"
                           " ip address 10.10.0.1 255.255.255.0\n"
                           " ip address 10.10.1.1 255.255.255.0 secondary\n"
                           " ip address 10.10.2.1 255.255.255.128 secondary\n"
                           "interface Loopback0\n"
                           " ip address 192.0.2.1 255.255.255.255\n"
                           "interface Loopback5\n"
                           " description shut one\n"
                           " ip address 10.5.0.1 255.255.0.0\n"
                           " shutdown\n"
                           "interface Loopback6\n"
                           "ip route 0.0.0.0 0.0.0.0 10.10.0.254 250\n"
                           "ip route 172.16.0.0 255.240.0.0 Loopback10\n"
                           "ip route 198.51.100.0 255.255.255.0 Loopback5 20\n"
                           "ip route 203.0.113.0 255.255.255.0 10.10.1.2\n";

static void test_round_trip_rich(void **state)
{
    struct term *t = *state;
    apply(t, rich);
    const char *text = kept(render(t));
    char expect[8192];
    char dan[SECRET_HASH_MAX] = "";
    for (struct user *u = t->a.users; u; u = u->next)
        if (!strcmp(u->name, "dan")) snprintf(dan, sizeof dan, "%s", u->secret);
    assert_true(secret_verify("clear", dan));
    snprintf(expect, sizeof expect,
             HEAD "hostname EDGE-1\n"
                  "!\n"
                  "logging buffered 16384 informational\n"
                  "logging console warnings\n"
                  "logging monitor errors\n"
                  "enable secret 9 %s\n"
                  "!\n"
                  "username bob privilege 7 secret 8 " HASH8 "\n"
                  "username cy secret 5 " HASH5 "\n"
                  "username dan privilege 15 secret 9 %s\n"
                  "username zoe privilege 15 secret 9 " HASH9 "\n"
                  "!\n"
                  "crypto ikev2 cluster\n"
                  " description VPN  cluster   east\n"
                  " standby-group HSRP-VPN\n"
                  " key K3y!x\n"
                  " port 5000\n"
                  " holdtime 10000\n"
                  " master weight crypto-load 0\n"
                  " master weight system-load 50\n"
                  " master overload-limit 80\n"
                  " slave max-session 500\n"
                  " slave hello 200\n"
                  " slave update 600\n"
                  " slave priority 10\n"
                  " no shutdown\n"
                  "!\n"
                  "interface Loopback0\n"
                  " ip address 192.0.2.1 255.255.255.255\n"
                  "!\n"
                  "interface Loopback5\n"
                  " description shut one\n"
                  " ip address 10.5.0.1 255.255.0.0\n"
                  " shutdown\n"
                  "!\n"
                  "interface Loopback6\n"
                  " no ip address\n"
                  "!\n"
                  "interface Loopback10\n"
                  " description loop  ten\n"
                  " ip address 10.10.0.1 255.255.255.0\n"
                  " ip address 10.10.1.1 255.255.255.0 secondary\n"
                  " ip address 10.10.2.1 255.255.255.128 secondary\n"
                  "!\n"
                  "ip route 0.0.0.0 0.0.0.0 10.10.0.254 250\n"
                  "ip route 172.16.0.0 255.240.0.0 Loopback10\n"
                  "ip route 198.51.100.0 255.255.255.0 Loopback5 20\n"
                  "ip route 203.0.113.0 255.255.255.0 10.10.1.2\n"
                  "!\n"
                  "end\n",
             t->a.enable_secret, dan);
    if (strcmp(text, expect)) fail_msg("--- got:\n%s--- expected:\n%s---", text, expect);

    struct term *u = round_trip(t);
    /* the cleartext secrets became type 9 once, and stay the same hashes */
    assert_string_equal(u->a.enable_secret, t->a.enable_secret);
    assert_int_equal(u->a.enable_secret_type, 9);
    assert_true(app_check_enable(&u->a, "cisco"));
    assert_int_equal(app_user_privilege(&u->a, "dan"), 15);
    assert_int_equal(app_user_privilege(&u->a, "bob"), 7);
    assert_int_equal(app_user_privilege(&u->a, "cy"), 1);
    /* the replay set every value, not just the text */
    assert_false(u->a.cluster.shutdown);
    assert_int_equal(u->a.cluster.value[CLB_WEIGHT_CRYPTO], 0);
    assert_string_equal(u->a.cluster.description, "VPN  cluster   east");
    assert_int_equal(log_buffer_size(), 16384);
    assert_int_equal(log_buffer_level(), 6);
    assert_int_equal(log_console_get_level(), 4);
    assert_int_equal(log_monitor_get_level(), 3);
    /* and the replayed text replays again to the same */
    round_trip(u);
}

/* Every setting undone by its `no`/`default` form: back to the fresh text. */
static void test_undo_everything(void **state)
{
    struct term *t = *state;
    apply(t, rich);
    apply(t, "default hostname\n"
             "no enable secret\n"
             "no username zoe\n"
             "no username bob\n"
             "no username cy\n"
             "no username dan\n"
             "default logging buffered\n"
             "no logging console\n"
             "no logging monitor\n"
             "no ip route 0.0.0.0 0.0.0.0\n"
             "no ip route 172.16.0.0 255.240.0.0 Loopback10\n"
             "no ip route 198.51.100.0 255.255.255.0 Loopback5 20\n"
             "default ip route 203.0.113.0 255.255.255.0\n"
             "no interface Loopback0\n"
             "no interface Loopback5\n"
             "no interface Loopback6\n"
             "no interface Loopback10\n"
             "crypto ikev2 cluster\n"
             " no description\n"
             " default key\n"
             " no standby-group\n"
             " default port\n"
             " no holdtime 10000\n"
             " default master weight crypto-load\n"
             " no master weight system-load\n"
             " default master overload-limit\n"
             " no slave max-session\n"
             " no slave hello\n"
             " default slave update\n"
             " no slave priority 10\n");
    render_is(t, HEAD "hostname Router\n!\ncrypto ikev2 cluster\n!\nend\n");
    ok(t, "no crypto ikev2 cluster");
    render_is(t, FRESH);
    assert_false(t->a.cluster.defined);
    assert_int_equal(t->mode, CM_CONFIG);
}

/* ---- the cluster through the CLI ---- */

static void test_cluster_commands(void **state)
{
    struct term *t = *state;
    ok(t, "crypto ikev2 cluster");
    assert_int_equal(t->mode, CM_CLUSTER);
    assert_true(t->a.cluster.defined);
    render_is(t, HEAD "hostname Router\n!\ncrypto ikev2 cluster\n!\nend\n");
    refused(t, "no shutdown",
            "% The cluster cannot be enabled: configure 'standby-group' and "
            "'slave max-session' first");
    ok(t, "standby-group G1");
    refused(t, "no shutdown",
            "% The cluster cannot be enabled: configure 'slave max-session' first");
    ok(t, "sl max 100");
    ok(t, "no shutdown");
    assert_false(t->a.cluster.shutdown);
    /* `default shutdown` is the default: shut */
    ok(t, "default shutdown");
    assert_true(t->a.cluster.shutdown);
    ok(t, "no shutdown");
    ok(t, "no standby-group");
    assert_true(t->a.cluster.shutdown);
    assert_string_equal(t->a.cluster.standby_group, "");
    ok(t, "standby-group G1");
    ok(t, "no shutdown");
    ok(t, "default slave max-session");
    assert_true(t->a.cluster.shutdown);
    assert_int_equal(t->a.cluster.value[CLB_SLAVE_MAX_SESSION], 0);
    /* out-of-range values never reach the handler */
    assert_int_equal(run(t, "slave hello 99"), PARSE_ERROR);
    assert_int_equal(run(t, "port 0"), PARSE_ERROR);
    assert_int_equal(t->a.cluster.value[CLB_PORT], 2012);
    char line[400];
    snprintf(line, sizeof line, "description %0241d", 0);
    refused(t, line, "% description is too long (at most 240 characters)");
    snprintf(line, sizeof line, "key %0129d", 0);
    refused(t, line, "% key is too long (at most 128 characters)");
    ok(t, "description  a   b ");
    assert_string_equal(t->a.cluster.description, "a   b");
    /* still in the submode; a global command drops to global configuration */
    assert_int_equal(t->mode, CM_CLUSTER);
    ok(t, "hostname C1");
    assert_int_equal(t->mode, CM_CONFIG);
    /* re-entering keeps the values */
    ok(t, "crypto ikev2 cluster");
    assert_string_equal(t->a.cluster.description, "a   b");
    ok(t, "exit");
    assert_int_equal(t->mode, CM_CONFIG);
}

/* ---- interfaces ---- */

static void test_interface_modes(void **state)
{
    struct term *t = *state;
    refused(t, "interface GigabitEthernet1",
            "% Interface GigabitEthernet1 does not exist (no Linux link eth0)");
    assert_int_equal(t->mode, CM_CONFIG);
    refused(t, "no interface gi 2", "% Physical interface GigabitEthernet2 cannot be removed");
    ok(t, "int lo 3");
    assert_int_equal(t->mode, CM_IF);
    assert_string_equal(t->obj, "Loopback3");
    render_is(t, HEAD "hostname Router\n!\ninterface Loopback3\n no ip address\n!\nend\n");
    ok(t, "description  a  b ");
    ok(t, "shutdown");
    render_is(t, HEAD "hostname Router\n!\ninterface Loopback3\n description a  b\n"
                      " no ip address\n shutdown\n!\nend\n");
    ok(t, "no shutdown");
    ok(t, "default description");
    render_is(t, HEAD "hostname Router\n!\ninterface Loopback3\n no ip address\n!\nend\n");
    char line[400];
    snprintf(line, sizeof line, "description %0240d", 0);
    ok(t, line);
    snprintf(line, sizeof line, "description %0241d", 0);
    refused(t, line, "% Description too long (at most 240 characters)");
    assert_int_equal(strlen(t->a.ifaces->description), 240);
    ok(t, "exit");
    assert_int_equal(t->mode, CM_CONFIG);
    ok(t, "no interface Loopback3");
    ok(t, "no interface Loopback3");
    render_is(t, FRESH);
}

static void test_ip_address_validation(void **state)
{
    struct term *t = *state;
    ok(t, "interface Loopback1");
    refused(t, "ip address 10.0.0.1 255.0.255.0", "% Bad mask 0xFF00FF00 for address 10.0.0.1");
    refused(t, "ip address 10.0.0.1 0.0.0.0", "% Bad mask 0x0 for address 10.0.0.1");
    refused(t, "ip address 10.0.0.0 255.255.255.0", "% Bad mask /24 for address 10.0.0.0");
    refused(t, "ip address 10.0.0.255 255.255.255.0", "% Bad mask /24 for address 10.0.0.255");
    refused(t, "ip address 10.0.0.0 255.0.0.0", "% Bad mask /8 for address 10.0.0.0");
    refused(t, "ip address 10.3.0.1 255.255.255.0 secondary",
            "% Secondary address requires a primary");
    assert_false(t->a.ifaces->has_addr);
    /* /31 and /32 have no network or broadcast address */
    ok(t, "ip address 10.0.0.0 255.255.255.254");
    ok(t, "ip address 10.0.0.1 255.255.255.255");
    ok(t, "ip address 10.0.0.1 255.255.255.0");
    ok(t, "ip address 10.0.1.1 255.255.255.0 secondary");
    ok(t, "interface Loopback2");
    refused(t, "ip address 10.0.0.5 255.255.255.0", "% 10.0.0.0 overlaps with Loopback1");
    refused(t, "ip address 10.0.1.5 255.255.255.252", "% 10.0.1.4 overlaps with Loopback1");
    refused(t, "ip address 10.0.0.9 255.255.255.255", "% 10.0.0.9 overlaps with Loopback1");
    refused(t, "ip address 10.0.0.1 255.254.0.0", "% 10.0.0.0 overlaps with Loopback1");
    ok(t, "ip address 10.0.2.1 255.255.255.0");
    refused(t, "ip address 10.0.1.9 255.255.255.0 secondary", "% 10.0.1.0 overlaps with Loopback1");
    /* re-setting an interface's own subnet is no overlap */
    ok(t, "ip address 10.0.2.2 255.255.255.0");
    render_is(t, HEAD "hostname Router\n!\n"
                      "interface Loopback1\n"
                      " ip address 10.0.0.1 255.255.255.0\n"
                      " ip address 10.0.1.1 255.255.255.0 secondary\n"
                      "!\n"
                      "interface Loopback2\n"
                      " ip address 10.0.2.2 255.255.255.0\n"
                      "!\n"
                      "end\n");
}

static void test_no_ip_address(void **state)
{
    struct term *t = *state;
    apply(t, "interface Loopback1\n"
             " ip address 10.0.0.1 255.255.255.0\n"
             " ip address 10.0.1.1 255.255.255.0 secondary\n"
             " ip address 10.0.2.1 255.255.255.0 secondary\n");
    assert_int_equal(t->mode, CM_IF);
    refused(t, "no ip address 10.0.0.1 255.255.255.0",
            "% Must delete secondary before deleting primary");
    refused(t, "no ip address 10.0.9.1 255.255.255.0 secondary", "% Address 10.0.9.1 not found");
    refused(t, "no ip address 10.0.9.1 255.255.255.0", "% Address 10.0.9.1 not found");
    refused(t, "no ip address 10.0.0.1 255.255.0.0", "% Address 10.0.0.1 not found");
    refused(t, "no ip address 10.0.1.1 255.255.255.0", "% Address 10.0.1.1 not found");
    refused(t, "no ip address 10.0.0.1 255.0.255.0", "% Bad mask 0xFF00FF00 for address 10.0.0.1");
    ok(t, "no ip address 10.0.1.1 255.255.255.0 secondary");
    render_is(t, HEAD "hostname Router\n!\ninterface Loopback1\n"
                      " ip address 10.0.0.1 255.255.255.0\n"
                      " ip address 10.0.2.1 255.255.255.0 secondary\n!\nend\n");
    ok(t, "default ip address 10.0.2.1 255.255.255.0 secondary");
    ok(t, "no ip address 10.0.0.1 255.255.255.0");
    render_is(t, HEAD "hostname Router\n!\ninterface Loopback1\n no ip address\n!\nend\n");
    /* `no ip address` takes everything */
    apply(t, "interface Loopback1\n"
             " ip address 10.0.0.1 255.255.255.0\n"
             " ip address 10.0.1.1 255.255.255.0 secondary\n");
    ok(t, "no ip address");
    assert_false(t->a.ifaces->has_addr);
    assert_int_equal(t->a.ifaces->nsec, 0);
    render_is(t, HEAD "hostname Router\n!\ninterface Loopback1\n no ip address\n!\nend\n");
    /* the freed subnet can go elsewhere */
    ok(t, "interface Loopback2");
    ok(t, "ip address 10.0.1.2 255.255.255.0");
}

/* ---- static routes ---- */

static void test_ip_route(void **state)
{
    struct term *t = *state;
    refused(t, "ip route 10.0.0.1 255.255.255.0 1.1.1.1", "%Inconsistent address or mask");
    refused(t, "ip route 10.0.0.0 255.0.255.0 1.1.1.1", "%Inconsistent address or mask");
    refused(t, "ip route 0.0.0.1 0.0.0.0 1.1.1.1", "%Inconsistent address or mask");
    refused(t, "ip route 10.0.0.0 255.255.255.0 Loopback9", "% Interface Loopback9 does not exist");
    refused(t, "ip route 10.0.0.0 255.255.255.0 gi1",
            "% Interface GigabitEthernet1 does not exist");
    assert_null(t->a.routes);
    apply(t, "interface Loopback9\n"
             " ip address 10.9.0.1 255.255.255.0\n"
             "ip route 10.0.0.0 255.255.255.0 lo 9\n"
             "ip route 10.0.0.0 255.255.255.0 1.1.1.1\n"
             "ip route 10.0.0.0 255.255.255.0 1.1.1.2 20\n"
             "ip route 10.1.0.0 255.255.0.0 1.1.1.2\n"
             "ip route 10.2.0.0 255.255.0.0 Loopback9 7\n"
             "ip route 10.3.3.3 255.255.255.255 1.1.1.3 255\n");
    /* the same prefix and target again replaces (and moves to the end) */
    ok(t, "ip route 10.0.0.0 255.255.255.0 1.1.1.2 30");
    ok(t, "ip route 10.1.0.0 255.255.0.0 1.1.1.2 1");
    render_is(t, HEAD "hostname Router\n!\n"
                      "interface Loopback9\n"
                      " ip address 10.9.0.1 255.255.255.0\n"
                      "!\n"
                      "ip route 10.0.0.0 255.255.255.0 Loopback9\n"
                      "ip route 10.0.0.0 255.255.255.0 1.1.1.1\n"
                      "ip route 10.2.0.0 255.255.0.0 Loopback9 7\n"
                      "ip route 10.3.3.3 255.255.255.255 1.1.1.3 255\n"
                      "ip route 10.0.0.0 255.255.255.0 1.1.1.2 30\n"
                      "ip route 10.1.0.0 255.255.0.0 1.1.1.2\n"
                      "!\n"
                      "end\n");
    round_trip(t);
    refused(t, "no ip route 10.0.0.1 255.255.255.0", "%Inconsistent address or mask");
    /* one route of a prefix, by its target (the distance does not matter) */
    ok(t, "no ip route 10.0.0.0 255.255.255.0 1.1.1.2");
    ok(t, "no ip route 10.2.0.0 255.255.0.0 Loopback9 99");
    render_is(t, HEAD "hostname Router\n!\n"
                      "interface Loopback9\n"
                      " ip address 10.9.0.1 255.255.255.0\n"
                      "!\n"
                      "ip route 10.0.0.0 255.255.255.0 Loopback9\n"
                      "ip route 10.0.0.0 255.255.255.0 1.1.1.1\n"
                      "ip route 10.3.3.3 255.255.255.255 1.1.1.3 255\n"
                      "ip route 10.1.0.0 255.255.0.0 1.1.1.2\n"
                      "!\n"
                      "end\n");
    /* all of a prefix */
    ok(t, "no ip route 10.0.0.0 255.255.255.0");
    ok(t, "default ip route 10.3.3.3 255.255.255.255");
    render_is(t, HEAD "hostname Router\n!\n"
                      "interface Loopback9\n"
                      " ip address 10.9.0.1 255.255.255.0\n"
                      "!\n"
                      "ip route 10.1.0.0 255.255.0.0 1.1.1.2\n"
                      "!\n"
                      "end\n");
    ok(t, "no ip route 10.1.0.0 255.255.0.0 1.1.1.9"); /* no such route: nothing happens */
    ok(t, "no ip route 10.1.0.0 255.255.0.0 1.1.1.2");
    assert_null(t->a.routes);
}

/* BUG (cli/cmd_interface.c h_no_interface vs h_ip_route): `no interface Loopback2` leaves
 * the routes through Loopback2 in the configuration, and they render as lines that
 * `ip route` refuses ("% Interface Loopback2 does not exist"), so the saved configuration
 * does not load back. Either the routes go with the interface or they replay. */
static void test_round_trip_after_no_interface(void **state)
{
    struct term *t = *state;
    apply(t, "interface Loopback2\n"
             " ip address 10.0.2.1 255.255.255.0\n"
             "ip route 10.7.0.0 255.255.0.0 Loopback2\n"
             "ip route 10.8.0.0 255.255.0.0 10.0.2.9\n"
             "no interface Loopback2\n");
    round_trip(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_render_fresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_order_and_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logging_render, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostname, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users_render, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_user_without_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_rich, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undo_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cluster_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interface_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_address_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_ip_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_after_no_interface, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
