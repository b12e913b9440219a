/* Unit tests for cli/cmd_ikev2.c through the real grammar, on an appliance without kernel
 * effects: REFERENCE §4's profile and authorization policy pasted as they are, every command
 * and its `no` form, round trips of the running-config (render, replay into a fresh appliance,
 * render again), the smart defaults and their restore, the generated algorithm lists, the
 * keyring peer submode and the show commands. */
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
#include "platform/log.h"
#include "platform/strbuf.h"

static struct cmd_tree tree;

struct term {
    struct app a;
    int mode;
    char obj[64];
    char out[16384];
};

static struct term *spares[4];
static int nspares;
static char *texts[16];
static int ntexts;

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
    return 0;
}

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

static int setup(void **state)
{
    *state = term_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    term_free(*state);
    while (nspares) term_free(spares[--nspares]);
    while (ntexts) free(texts[--ntexts]);
    return 0;
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

#define PARSE_ERROR -2

/* One line as a session runs it: a line that does not parse in a submode is tried in global
 * configuration; `exit` from a keyring peer goes back to the keyring (shell.c sh_exit). */
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
        const char *w = m.argv[0];
        if (!strcmp(w, "end") || (!strcmp(w, "exit") && t->mode == CM_CONFIG)) {
            t->mode = CM_EXEC;
        } else if (!strcmp(w, "exit") && t->mode == CM_IKEV2_PEER) {
            t->mode = CM_IKEV2_KEYRING;
            t->obj[strcspn(t->obj, " ")] = '\0';
            return 0;
        } else if (!strcmp(w, "exit")) {
            t->mode = CM_CONFIG;
        }
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

static void ok(struct term *t, const char *line)
{
    int rc = run(t, line);
    if (rc || strstr(t->out, "% ")) fail_msg("'%s' failed (%d): %s", line, rc, t->out);
}

static void refused(struct term *t, const char *line, const char *msg)
{
    int rc = run(t, line);
    if (rc != -1) fail_msg("'%s' returned %d (%s), expected a refusal", line, rc, t->out);
    char want[512];
    snprintf(want, sizeof want, "%s\n", msg);
    if (strcmp(t->out, want)) fail_msg("'%s' said '%s', expected '%s'", line, t->out, msg);
}

static void not_parsed(struct term *t, const char *line)
{
    int rc = run(t, line);
    if (rc != PARSE_ERROR) fail_msg("'%s' parsed (%d): %s", line, rc, t->out);
}

/* A configuration text as the startup-config loader feeds it; every line must be accepted. */
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

/* The IKEv2 part of the running-config: from the first `aaa`/`crypto ikev2` line up to the
 * last line of those blocks. */
static char *ikev2_part(struct term *t)
{
    struct strbuf sb = STRBUF_INIT;
    ike_cfg_render_aaa(&t->a.ikev2, &sb);
    ike_cfg_render(&t->a.ikev2, &sb);
    return kept(sb_detach(&sb));
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("'%s' does not contain '%s'", hay, needle);
}

static struct term *round_trip(struct term *t)
{
    const char *first = kept(render(t));
    struct term *u = spare();
    apply(u, first);
    const char *second = kept(render(u));
    if (strcmp(first, second))
        fail_msg("round trip differs\n--- first:\n%s--- second:\n%s---", first, second);
    return u;
}

/* REFERENCE §4, as the seed writes it: references to a certificate map, a trustpoint, a pool
 * and a Virtual-Template that do not exist yet are accepted. */
static const char *const seed_blocks = "crypto ikev2 profile default\n"
                                       " match certificate certmap\n"
                                       " identity local dn\n"
                                       " authentication remote rsa-sig\n"
                                       " authentication local rsa-sig\n"
                                       " pki trustpoint 1\n"
                                       " aaa authorization group cert list default default\n"
                                       " virtual-template 1\n"
                                       "crypto ikev2 authorization policy default\n"
                                       " pool pool1\n"
                                       " route set interface\n";

static void test_seed_blocks(void **state)
{
    struct term *t = *state;
    apply(t, seed_blocks);
    const char *want = "crypto ikev2 authorization policy default\n"
                       " pool pool1\n"
                       " route set interface\n"
                       "!\n"
                       "crypto ikev2 profile default\n"
                       " match certificate certmap\n"
                       " identity local dn\n"
                       " authentication remote rsa-sig\n"
                       " authentication local rsa-sig\n"
                       " pki trustpoint 1\n"
                       " aaa authorization group cert list default default\n"
                       " virtual-template 1\n"
                       "!\n";
    assert_string_equal(ikev2_part(t), want);
    round_trip(t);

    t->mode = CM_EXEC;
    ok(t, "show crypto ikev2 profile default");
    assert_contains(t->out, "IKEv2 profile: default\n");
    assert_contains(t->out, "  Certificate maps: certmap (not configured)\n");
    assert_contains(t->out, " Trustpoint(s): 1 (not configured)\n");
    assert_contains(t->out, " Virtual-template: 1 (not configured)\n");
    assert_contains(t->out, " AAA group authorization: default, default\n");
    ok(t, "show crypto ikev2 authorization policy");
    assert_contains(t->out, "  IPv4 address pool: pool1 (not configured)\n");
    /* Once the IPsec side has them, the references are complete. */
    char why[160];
    assert_non_null(ike_vt_get(&t->a.ipsec, 1, why, sizeof why));
    assert_non_null(ike_tp_get(&t->a.ipsec, "1", why, sizeof why));
    ok(t, "show crypto ikev2 profile default");
    assert_contains(t->out, " Virtual-template: 1\n");
    assert_contains(t->out, " Trustpoint(s): 1\n");

    /* The profile selected for a certificate peer, and what applies to it. */
    const struct ike_cfg_profile *p =
        ike_cfg_match_profile(&t->a.ikev2, 0x0a0a0a01, NULL, NULL, NULL);
    assert_null(p); /* no certificate map callback: `match certificate` cannot match */
    p = ike_cfg_profile_find(&t->a.ikev2, "default");
    struct ike_cfg_effective e;
    ike_cfg_effective(&t->a.ikev2, p, IKECFG_AUTH_RSA, &e);
    assert_string_equal(e.author_name, "default");
    assert_non_null(e.author);
    assert_string_equal(e.author->pool, "pool1");
    assert_true(e.author->route_set_interface);
    assert_int_equal(e.vtemplate, 1);
}

static const char *const rich = "aaa new-model\n"
                                "aaa authorization network default local\n"
                                "aaa authorization network ra local\n"
                                "crypto ikev2 authorization policy ra-pol\n"
                                " pool pool1\n"
                                " dns 10.0.0.53 10.0.1.53\n"
                                " netmask 255.255.255.0\n"
                                " banner Welcome  to the VPN\n"
                                " def-domain example.com\n"
                                " route set interface\n"
                                " route set access-list split\n"
                                " route set remote ipv4 10.20.0.0 255.255.0.0\n"
                                " route set remote ipv4 10.30.1.0 255.255.255.0\n"
                                " route accept any\n"
                                "crypto ikev2 proposal prop-gcm\n"
                                " encryption aes-gcm-256 aes-gcm-128\n"
                                " prf sha384 sha256\n"
                                " group 21 20 19 31 14 15 16\n"
                                "crypto ikev2 proposal prop-cbc\n"
                                " encryption aes-cbc-128\n"
                                " integrity sha1 sha512\n"
                                " group 14\n"
                                "crypto ikev2 policy pol1\n"
                                " match fvrf any\n"
                                " match address local 10.10.10.1\n"
                                " match address local 10.10.10.2\n"
                                " proposal prop-gcm\n"
                                " proposal prop-cbc\n"
                                "crypto ikev2 keyring kr1\n"
                                " peer site-a\n"
                                "  description branch office A\n"
                                "  address 192.0.2.0 255.255.255.0\n"
                                "  identity fqdn a.example.com\n"
                                "  pre-shared-key s3cret with spaces\n"
                                " peer site-b\n"
                                "  address 198.51.100.7\n"
                                "  hostname spoke-b\n"
                                "  identity email b@example.com\n"
                                "  pre-shared-key local 0 mine\n"
                                "  pre-shared-key remote 6 A1B2C3D4\n"
                                " peer site-c\n"
                                "  identity address 203.0.113.9\n"
                                "  pre-shared-key 0 local\n"
                                "  pre-shared-key local 0 0\n"
                                " peer site-d\n"
                                "  identity key-id kid-d\n"
                                "  pre-shared-key 6 FFFF\n"
                                "crypto ikev2 profile ra\n"
                                " description remote access users\n"
                                " match fvrf any\n"
                                " match address local 10.10.10.1\n"
                                " match address local interface GigabitEthernet1\n"
                                " match identity local fqdn gw.example.com\n"
                                " match identity remote address 192.0.2.0 255.255.255.0\n"
                                " match identity remote address 198.51.100.7\n"
                                " match identity remote fqdn a.example.com\n"
                                " match identity remote fqdn domain example.org\n"
                                " match identity remote email b@example.com\n"
                                " match identity remote email domain example.net\n"
                                " match identity remote key-id kid-d\n"
                                " match identity remote any\n"
                                " match certificate cmap1\n"
                                " identity local fqdn gw.example.com\n"
                                " authentication remote pre-share\n"
                                " authentication remote rsa-sig\n"
                                " authentication remote ecdsa-sig\n"
                                " authentication local pre-share key 0 6\n"
                                " keyring local kr1\n"
                                " pki trustpoint tp1\n"
                                " pki trustpoint tp2 sign\n"
                                " pki trustpoint tp3 verify\n"
                                " lifetime 3600\n"
                                " dpd 10 2 on-demand\n"
                                " nat keepalive 20\n"
                                " aaa authorization group psk list default ra-pol\n"
                                " aaa authorization group cert list default\n"
                                " aaa authorization group eap list eaplist\n"
                                " aaa authorization user psk cached\n"
                                " aaa authorization user cert cached\n"
                                " virtual-template 10\n"
                                " redirect gateway init\n"
                                " redirect gateway auth\n"
                                "crypto ikev2 profile site\n"
                                " match identity remote address 10.0.0.1 255.255.255.255\n"
                                " identity local address 10.10.10.1\n"
                                " authentication remote pre-share key 6 ABCD\n"
                                " authentication local rsa-sig\n"
                                "crypto ikev2 profile other\n"
                                " identity local email gw@example.com\n"
                                "crypto ikev2 profile other2\n"
                                " identity local key-id gw-key\n"
                                "crypto ikev2 redirect gateway init\n"
                                "crypto ikev2 redirect gateway auth\n"
                                "crypto ikev2 redirect client max-redirects 7\n"
                                "crypto ikev2 cookie-challenge 100\n"
                                "crypto ikev2 limit max-in-negotiation-sa 500\n"
                                "crypto ikev2 limit max-sa 5000\n"
                                "crypto ikev2 dpd 30 3 periodic\n"
                                "crypto ikev2 nat keepalive 60\n";

static void test_rich_round_trip(void **state)
{
    struct term *t = *state;
    apply(t, rich);
    const char *r = ikev2_part(t);
    /* spot checks of what the text must keep */
    assert_contains(r, "aaa new-model\naaa authorization network default local\n");
    assert_contains(r, " group 21 20 19 31 14 15 16\n");
    assert_contains(r, "  pre-shared-key s3cret with spaces\n");
    assert_contains(r, "  pre-shared-key 0 local\n  pre-shared-key local 0 0\n");
    assert_contains(r, "  pre-shared-key remote 6 A1B2C3D4\n");
    assert_contains(r, " authentication local pre-share key 0 6\n");
    assert_contains(r, " match identity remote address 198.51.100.7 255.255.255.255\n");
    assert_contains(r, " aaa authorization group cert list default\n");
    assert_contains(r, "crypto ikev2 limit max-in-negotiation-sa 500\n");
    assert_contains(r, "crypto ikev2 redirect client max-redirects 7\n");
    struct term *u = round_trip(t);

    /* The replayed configuration answers the engine's questions the same way. */
    struct ike_cfg_tset ts[8];
    int n = ike_cfg_proposals_for(&u->a.ikev2, 0x0a0a0a02, ts, 8);
    assert_int_equal(n, 2);
    assert_string_equal(ts[0].proposal, "prop-gcm");
    assert_int_equal(ts[0].ndh, 7);
    assert_string_equal(ts[1].proposal, "prop-cbc");
    assert_int_equal(ike_cfg_proposals_for(&u->a.ikev2, 0x0a0a0a03, ts, 8), 0);
    const uint8_t b_id[] = "b@example.com";
    struct ike_cfg_peer_id id = {.type = 3 /* RFC822 */, .data = b_id, .len = 13};
    const struct ike_cfg_profile *p =
        ike_cfg_match_profile(&u->a.ikev2, 0x0a0a0a01, &id, NULL, NULL);
    assert_non_null(p);
    assert_string_equal(p->name, "ra");
    struct ike_cfg_keys k;
    assert_int_equal(ike_cfg_psk_lookup(&u->a.ikev2, p, 0x0a000001, &id, NULL, &k),
                     IKECFG_PSK_ENCRYPTED); /* site-b's remote key is type 6 */
    assert_string_equal(k.local, "6");      /* the profile's own local key */
    const uint8_t c_id[] = {203, 0, 113, 9};
    struct ike_cfg_peer_id cid = {.type = 1 /* IPv4 */, .data = c_id, .len = 4};
    assert_int_equal(ike_cfg_psk_lookup(&u->a.ikev2, p, 0x0a000001, &cid, NULL, &k), IKECFG_PSK_OK);
    assert_string_equal(k.remote, "local");
    assert_string_equal(k.local, "6");
}

/* Every `no` form undoes its command: at the end nothing of IKEv2 is left in the text. */
static void test_no_forms(void **state)
{
    struct term *t = *state;
    apply(t, rich);
    static const char *const undo[] = {
        "crypto ikev2 authorization policy ra-pol",
        "no pool",
        "no dns",
        "no netmask 255.255.255.0",
        "no banner",
        "no def-domain",
        "no route set interface",
        "no route set access-list",
        "no route set remote ipv4 10.20.0.0 255.255.0.0",
        "no route set remote ipv4 10.30.1.5 255.255.255.0", /* host bits do not matter */
        "no route accept any",
        "crypto ikev2 proposal prop-gcm",
        "no encryption aes-gcm-128",
        "default prf sha384",
        "no group 21 20 19 31 14",
        "no group",
        "crypto ikev2 policy pol1",
        "no match fvrf any",
        "no match address local 10.10.10.1",
        "no proposal prop-gcm",
        "crypto ikev2 keyring kr1",
        "peer site-a",
        "no description",
        "no address",
        "no identity",
        "no pre-shared-key",
        "peer site-b",
        "no hostname",
        "no pre-shared-key local",
        "default pre-shared-key remote",
        "exit",
        "no peer site-c",
        "crypto ikev2 profile ra",
        "no description",
        "no match fvrf any",
        "no match address local 10.10.10.1",
        "no match address local interface gi1",
        "no match identity local fqdn gw.example.com",
        "no match identity remote address 192.0.2.0 255.255.255.0",
        "no match identity remote address 198.51.100.7",
        "no match identity remote fqdn A.example.com",
        "no match identity remote fqdn domain example.org",
        "no match identity remote email b@example.com",
        "no match identity remote email domain example.net",
        "no match identity remote key-id kid-d",
        "no match identity remote any",
        "no match certificate cmap1",
        "no identity local",
        "no authentication remote rsa-sig",
        "no authentication remote",
        "no authentication local",
        "no keyring local kr1",
        "no pki trustpoint tp1",
        "no pki trustpoint tp2 sign",
        "no pki trustpoint tp3",
        "no lifetime 3600",
        "default dpd",
        "no nat keepalive",
        "no aaa authorization group psk",
        "no aaa authorization group cert list default",
        "no aaa authorization group eap list eaplist",
        "no aaa authorization user psk cached",
        "no aaa authorization user cert cached",
        "no virtual-template",
        "no redirect gateway init",
        "no redirect gateway auth",
        "no crypto ikev2 redirect gateway init",
        "default crypto ikev2 redirect gateway auth",
        "no crypto ikev2 redirect client max-redirects",
        "no crypto ikev2 cookie-challenge",
        "no crypto ikev2 limit max-in-negotiation-sa 500",
        "no crypto ikev2 limit max-sa",
        "no crypto ikev2 dpd",
        "no crypto ikev2 nat keepalive 60",
        "no aaa authorization network ra local",
        "no aaa authorization network default",
        "no aaa new-model",
    };
    t->mode = CM_CONFIG;
    for (size_t i = 0; i < sizeof undo / sizeof undo[0]; i++) ok(t, undo[i]);
    const char *r = ikev2_part(t);
    assert_string_equal(r, "crypto ikev2 authorization policy ra-pol\n"
                           "!\n"
                           "crypto ikev2 proposal prop-cbc\n"
                           " encryption aes-cbc-128\n"
                           " integrity sha1 sha512\n"
                           " group 14\n"
                           "!\n"
                           "crypto ikev2 proposal prop-gcm\n"
                           " encryption aes-gcm-256\n"
                           " prf sha256\n"
                           "!\n"
                           "crypto ikev2 policy pol1\n"
                           " match address local 10.10.10.2\n"
                           " proposal prop-cbc\n"
                           "!\n"
                           "crypto ikev2 keyring kr1\n"
                           " peer site-a\n"
                           " !\n"
                           " peer site-b\n"
                           "  address 198.51.100.7\n"
                           "  identity email b@example.com\n"
                           " !\n"
                           " peer site-d\n"
                           "  identity key-id kid-d\n"
                           "  pre-shared-key 6 FFFF\n"
                           " !\n"
                           "!\n"
                           "crypto ikev2 profile other\n"
                           " identity local email gw@example.com\n"
                           "!\n"
                           "crypto ikev2 profile other2\n"
                           " identity local key-id gw-key\n"
                           "!\n"
                           "crypto ikev2 profile ra\n"
                           "!\n"
                           "crypto ikev2 profile site\n"
                           " match identity remote address 10.0.0.1 255.255.255.255\n"
                           " identity local address 10.10.10.1\n"
                           " authentication remote pre-share key 6 ABCD\n"
                           " authentication local rsa-sig\n"
                           "!\n"
                           "crypto ikev2 redirect client\n"
                           "!\n");
    round_trip(t);
    static const char *const remove[] = {
        "no crypto ikev2 redirect client",   "no crypto ikev2 proposal prop-gcm",
        "no crypto ikev2 proposal prop-cbc", "default crypto ikev2 policy pol1",
        "no crypto ikev2 keyring kr1",       "no crypto ikev2 profile ra",
        "no crypto ikev2 profile site",      "no crypto ikev2 profile other",
        "no crypto ikev2 profile other2",    "no crypto ikev2 authorization policy ra-pol",
        "no crypto ikev2 profile never-was"};
    for (size_t i = 0; i < sizeof remove / sizeof remove[0]; i++) ok(t, remove[i]);
    assert_string_equal(ikev2_part(t), "");
    assert_int_equal(t->a.ikev2.nprofiles, 0);
    assert_int_equal(t->a.ikev2.nproposals, 1); /* default */
}

static void test_modified_defaults(void **state)
{
    struct term *t = *state;
    apply(t, "crypto ikev2 proposal default\n"
             " no group 14\n"
             " no encryption\n"
             " integrity sha1\n"
             "crypto ikev2 policy default\n"
             " no match fvrf any\n"
             " match address local 10.0.0.1\n"
             "crypto ikev2 authorization policy default\n"
             " dns 8.8.8.8\n");
    assert_string_equal(ikev2_part(t), "crypto ikev2 authorization policy default\n"
                                       " dns 8.8.8.8\n"
                                       "!\n"
                                       "crypto ikev2 proposal default\n"
                                       " no encryption\n"
                                       " integrity sha1\n"
                                       " group 19 20 21 31\n"
                                       "!\n"
                                       "crypto ikev2 policy default\n"
                                       " no match fvrf any\n"
                                       " match address local 10.0.0.1\n"
                                       "!\n");
    round_trip(t);
    t->mode = CM_EXEC;
    ok(t, "show crypto ikev2 proposal default");
    assert_string_equal(t->out,
                        " IKEv2 proposal: default\n"
                        "     Encryption : none\n"
                        "     Integrity  : SHA1\n"
                        "     PRF        : SHA512 SHA384 SHA256\n"
                        "     DH Group   : DH_GROUP_256_ECP/Group 19 DH_GROUP_384_ECP/Group "
                        "20 DH_GROUP_521_ECP/Group 21 DH_GROUP_CURVE25519/Group 31\n"
                        "     Incomplete : no encryption algorithm\n");
    t->mode = CM_CONFIG;
    ok(t, "no crypto ikev2 proposal default");
    ok(t, "default crypto ikev2 policy default");
    ok(t, "no crypto ikev2 authorization policy default");
    assert_string_equal(ikev2_part(t), "");
    t->mode = CM_EXEC;
    ok(t, "show crypto ikev2 policy default");
    assert_string_equal(t->out, " IKEv2 policy : default\n"
                                "      Match fvrf : any\n"
                                "      Match address local : any\n"
                                "      Proposal    : default\n");
    /* entering a default object changes nothing by itself */
    t->mode = CM_CONFIG;
    ok(t, "crypto ikev2 proposal default");
    assert_int_equal(t->mode, CM_IKEV2_PROPOSAL);
    ok(t, "exit");
    assert_string_equal(ikev2_part(t), "");
}

static void test_algorithm_grammar(void **state)
{
    struct term *t = *state;
    ok(t, "crypto ikev2 proposal p");
    assert_int_equal(t->mode, CM_IKEV2_PROPOSAL);
    assert_string_equal(t->obj, "p");
    ok(t, "encr aes-cbc-2 aes-gcm-1"); /* abbreviations */
    ok(t, "group 19 20 21 31 14");     /* beyond three words: the LINE part */
    ok(t, "group 15 16");
    not_parsed(t, "encryption aes-cbc-256 aes-cbc-256"); /* a word twice */
    not_parsed(t, "encryption des");
    not_parsed(t, "encryption");
    not_parsed(t, "group 1"); /* ambiguous */
    refused(t, "group 19 20 21 31 99", "% Invalid group algorithm '99'");
    refused(t, "group 19 20 21 3 1", "% Invalid group algorithm '1'"); /* 3 abbreviates 31 */
    refused(t, "no group 14 15 16 19 20 21 31 14 15", "% Too many algorithms (at most 8)");
    ok(t, "integrity sha512 sha384 sha256 sha1");
    ok(t, "prf sha1");
    struct ike_cfg_proposal *p = ike_cfg_proposal_find(&t->a.ikev2, "p");
    assert_non_null(p);
    assert_int_equal(p->nalg[IKECFG_ENCR], 2);
    assert_int_equal(p->alg[IKECFG_ENCR][0], IKECFG_AES_CBC_256);
    assert_int_equal(p->nalg[IKECFG_GROUP], 7);
    assert_int_equal(p->alg[IKECFG_GROUP][5], 15);
    assert_int_equal(p->nalg[IKECFG_INTEG], 4);
    ok(t, "no group 19 20 21 31");
    assert_int_equal(p->nalg[IKECFG_GROUP], 3);
    ok(t, "default integrity sha1");
    assert_int_equal(p->nalg[IKECFG_INTEG], 3);
    assert_true(ike_cfg_proposal_complete(p, NULL, 0));

    /* `?` lists the algorithms; what is already on the line is not offered again. */
    struct strbuf sb = STRBUF_INIT;
    int col;
    assert_int_equal(
        cmdtree_help(&tree, CM_IKEV2_PROPOSAL, 15, "encryption aes-gcm-256 ", &sb, &col), CS_OK);
    assert_contains(sb_str(&sb), "aes-cbc-128");
    assert_null(strstr(sb_str(&sb), "aes-gcm-256"));
    assert_contains(sb_str(&sb), "<cr>");
    sb_free(&sb);
    assert_int_equal(cmdtree_help(&tree, CM_IKEV2_PROPOSAL, 15, "group ", &sb, &col), CS_OK);
    assert_contains(sb_str(&sb), "  31  DH 25519 ECP (Curve25519)\n");
    assert_null(strstr(sb_str(&sb), "<cr>"));
    sb_free(&sb);
}

static void test_keyring_submodes(void **state)
{
    struct term *t = *state;
    ok(t, "crypto ikev2 keyring kr");
    assert_int_equal(t->mode, CM_IKEV2_KEYRING);
    ok(t, "peer one");
    assert_int_equal(t->mode, CM_IKEV2_PEER);
    assert_string_equal(t->obj, "kr one");
    ok(t, "address 10.0.0.1");
    ok(t, "peer two"); /* from a peer straight to the next, as pasted configurations do */
    assert_string_equal(t->obj, "kr two");
    ok(t, "address 10.0.0.2 255.255.255.254");
    ok(t, "exit");
    assert_int_equal(t->mode, CM_IKEV2_KEYRING);
    assert_string_equal(t->obj, "kr");
    ok(t, "peer two");
    ok(t, "peer three");
    ok(t, "no peer two"); /* another peer: still editing this one */
    assert_int_equal(t->mode, CM_IKEV2_PEER);
    assert_string_equal(t->obj, "kr three");
    ok(t, "no peer three"); /* the peer being edited: back to the keyring */
    assert_int_equal(t->mode, CM_IKEV2_KEYRING);
    /* "kr " and the peer's name must fit the 63 characters of the submode's object */
    char line[128], name[80];
    memset(name, 'p', 61);
    name[61] = '\0';
    snprintf(line, sizeof line, "peer %s", name);
    refused(t, line, "% The peer name is too long for this keyring (at most 60 characters)");
    assert_int_equal(t->mode, CM_IKEV2_KEYRING);
    name[60] = '\0';
    snprintf(line, sizeof line, "peer %s", name);
    ok(t, line);
    assert_int_equal(t->mode, CM_IKEV2_PEER);
    refused(t, "address 10.0.0.1 255.0.255.0", "% Bad mask");
    ok(t, "exit");
    ok(t, "exit");
    assert_int_equal(t->mode, CM_CONFIG);
    char longkr[80];
    memset(longkr, 'k', 62);
    longkr[62] = '\0';
    snprintf(line, sizeof line, "crypto ikev2 keyring %s", longkr);
    refused(t, line, "% The keyring name is too long (at most 61 characters)");
    /* A submode whose object was removed meanwhile (another session) says so. */
    ok(t, "crypto ikev2 keyring gone");
    ok(t, "peer x");
    ike_cfg_keyring_remove(&t->a.ikev2, "gone");
    refused(t, "address 10.0.0.9", "% IKEv2 keyring gone no longer exists");
    ok(t, "crypto ikev2 profile pr");
    ike_cfg_profile_remove(&t->a.ikev2, "pr");
    refused(t, "lifetime 600", "% IKEv2 profile pr no longer exists");
}

static void test_refusals(void **state)
{
    struct term *t = *state;
    ok(t, "crypto ikev2 profile p");
    refused(t, "identity local email nobody", "% Invalid e-mail address 'nobody'");
    refused(t, "match identity remote address 10.0.0.0 255.0.255.0", "% Bad mask");
    not_parsed(t, "lifetime 119");
    not_parsed(t, "dpd 9 2 periodic");
    not_parsed(t, "virtual-template 0");
    ok(t, "crypto ikev2 authorization policy a");
    refused(t, "route set remote ipv4 10.0.0.0 255.0.0.255", "% Bad mask");
    ok(t, "crypto ikev2 keyring k");
    ok(t, "peer x");
    refused(t, "identity email nobody", "% Invalid e-mail address 'nobody'");
    char key[200];
    snprintf(key, sizeof key, "pre-shared-key %0129d", 7);
    refused(t, key, "% pre-shared-key is too long (at most 128 characters)");
    not_parsed(t, "crypto ikev2 cookie-challenge 1001");
    not_parsed(t, "crypto ikev2 limit max-sa 100000");
    not_parsed(t, "crypto ikev2 redirect client max-redirects 256");
    char name[80];
    memset(name, 'n', 64);
    name[64] = '\0';
    char line[128];
    snprintf(line, sizeof line, "crypto ikev2 proposal %s", name);
    refused(t, line, "% The proposal name is too long (at most 63 characters)");
}

static void test_show_commands(void **state)
{
    struct term *t = *state;
    apply(t, "crypto ikev2 profile p\n keyring local kr1\n");
    t->mode = CM_EXEC;
    ok(t, "show crypto ikev2 profile p");
    assert_contains(t->out, " Keyring: kr1 (not configured)\n");
    assert_contains(t->out, " Incomplete: no 'match identity remote' or 'match certificate'");
    ok(t, "show crypto ikev2 profile nonexistent");
    assert_string_equal(t->out, "");
    ok(t, "show crypto ikev2 proposal");
    assert_contains(t->out, " IKEv2 proposal: default\n");
    ok(t, "show crypto ikev2 policy");
    assert_contains(t->out, "      Proposal    : default\n");
    ok(t, "show crypto ikev2 authorization policy default");
    assert_string_equal(t->out, "IKEv2 Authorization policy: default\n");
    t->mode = CM_CONFIG;
    ok(t, "crypto ikev2 keyring kr1");
    t->mode = CM_EXEC;
    ok(t, "show crypto ikev2 profile p");
    assert_contains(t->out, " Keyring: kr1\n");
}

int main(void)
{
    log_init("test_cmd_ikev2", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seed_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rich_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modified_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_algorithm_grammar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyring_submodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
