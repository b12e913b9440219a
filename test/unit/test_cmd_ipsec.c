/* Unit tests for cli/cmd_ipsec.c and the Virtual-Template part of cli/cmd_interface.c, through
 * the real grammar on an appliance without kernel effects: the REFERENCE §4 configuration
 * pasted unedited, running-config round trips (render, replay into a fresh appliance, render
 * again), `no` and `default` forms, and the PKI hooks (import, show, attach and remove) with a
 * recording double in place of the PKI module. */
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
    char out[8192];
};

static struct term *t1, *t2;

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
    if (!t) return;
    app_fini(&t->a);
    free(t);
}

static int setup(void **state)
{
    (void)state;
    t1 = term_new();
    t2 = term_new();
    return t1 && t2 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    term_free(t1);
    term_free(t2);
    t1 = t2 = NULL;
    return 0;
}

/* One line as the shell runs it: a line that does not parse in a submode is tried in global
 * configuration mode; `exit` and `end` are emulated. Returns the handler's status, or -2 when
 * the line does not parse. */
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
        return -2;
    }
    if (m.def->flags & CMDF_SESSION) {
        if (!strcmp(m.argv[0], "end"))
            t->mode = CM_EXEC;
        else if (!strcmp(m.argv[0], "exit"))
            t->mode = t->mode > CM_CONFIG ? CM_CONFIG : CM_EXEC;
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
    if (!strstr(t->out, msg)) fail_msg("'%s' said '%s', expected '%s'", line, t->out, msg);
}

/* Feed a text as the startup-config loader does. */
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

/* The running-config from "hostname" on, without the version header. */
static void body_is(struct term *t, const char *want)
{
    char *got = render(t);
    const char *b = strstr(got, "hostname Router\n!\n");
    assert_non_null(b);
    b += strlen("hostname Router\n!\n");
    if (strcmp(b, want)) {
        char msg[8192];
        snprintf(msg, sizeof msg, "--- got:\n%s--- expected:\n%s---", b, want);
        free(got);
        fail_msg("%s", msg);
    }
    free(got);
}

/* Render t1, replay into t2, render again: identical. */
static void round_trip(void)
{
    char *first = render(t1);
    apply(t2, first);
    char *second = render(t2);
    if (strcmp(first, second)) {
        char msg[8192];
        snprintf(msg, sizeof msg, "round trip differs\n--- first:\n%s--- second:\n%s---", first,
                 second);
        free(first);
        free(second);
        fail_msg("%s", msg);
    }
    free(first);
    free(second);
}

/* REFERENCE §4, the IPsec part, pasted unedited: Loopback1 and the profile `default` are
 * referenced before anything defines them. */
static void test_reference_paste(void **state)
{
    (void)state;
    apply(t1, "interface Virtual-Template1 type tunnel\n"
              " ip unnumbered Loopback1\n"
              " tunnel source GigabitEthernet1\n"
              " tunnel protection ipsec profile default\n"
              "ip local pool pool1 172.16.1.1 172.16.1.255\n");
    body_is(t1, "interface Virtual-Template1 type tunnel\n"
                " ip unnumbered Loopback1\n"
                " tunnel source GigabitEthernet1\n"
                " tunnel protection ipsec profile default\n"
                "!\n"
                "ip local pool pool1 172.16.1.1 172.16.1.255\n"
                "!\n"
                "end\n");
    const struct ike_vtemplate *v = ike_vt_find(&t1->a.ipsec, 1);
    assert_non_null(v);
    assert_string_equal(v->unnumbered, "Loopback1");
    assert_string_equal(v->tunnel_source, "GigabitEthernet1");
    assert_string_equal(ike_ipsec_vt_profile(&t1->a.ipsec, 1), "default");
    struct ike_esp_offer o[IKE_ESP_MAX_OFFERS];
    assert_int_equal(ike_ipsec_esp_offers(&t1->a.ipsec, "default", o, IKE_ESP_MAX_OFFERS), 2);
    assert_true(ike_pools_exists(t1->a.ipsec.pools, "pool1"));
    round_trip();
}

static void test_round_trip_everything(void **state)
{
    (void)state;
    apply(t1, "crypto pki trustpoint TP\n"
              " enrollment url http://ca.lab:80\n"
              " fqdn gw1.lab\n"
              " ip-address 10.0.0.1\n"
              " subject-name cn=gw1, o=lab\n"
              " subject-alt-name gw1.lab\n"
              " revocation-check crl none\n"
              " rsakeypair gwkey\n"
              " auto-enroll 80\n"
              "crypto pki trustpoint CA2\n"
              " enrollment selfsigned\n"
              "crypto pki certificate map certmap 10\n"
              " subject-name co Spoke\n"
              " issuer-name eq cn=CA, o=lab\n"
              "crypto pki certificate map certmap 5\n"
              " serial-number ne 01\n"
              "crypto pki certificate map other 1\n"
              "crypto ipsec transform-set TS esp-aes 256 esp-sha512-hmac\n"
              " mode transport\n"
              "crypto ipsec transform-set GCM esp-gcm\n"
              "crypto ipsec transform-set default esp-gcm 256\n"
              "crypto ipsec profile P1\n"
              " description hub  profile\n"
              " set security-association lifetime kilobytes 2560\n"
              " set security-association lifetime seconds 28800\n"
              " set transform-set TS GCM MISSING\n"
              " set pfs group21\n"
              " set ikev2-profile prof1\n"
              "crypto ipsec profile default\n"
              " no set ikev2-profile\n"
              "interface Loopback1\n"
              " ip address 10.255.0.1 255.255.255.255\n"
              "interface Virtual-Template7 type tunnel\n"
              " description spokes\n"
              " ip address 10.9.9.1 255.255.255.0\n"
              " ip mtu 1400\n"
              " ip tcp adjust-mss 1360\n"
              " shutdown\n"
              " tunnel source 10.10.10.1\n"
              " tunnel mode ipsec ipv4\n"
              " tunnel protection ipsec profile P1 shared\n"
              "interface Virtual-Template2 type tunnel\n"
              "ip local pool pool1 172.16.1.1 172.16.1.255\n"
              "ip local pool pool1 172.16.9.9\n"
              "ip local pool pool2 10.1.0.1 10.1.255.254\n");
    body_is(t1, "crypto pki trustpoint TP\n"
                " enrollment url http://ca.lab:80\n"
                " fqdn gw1.lab\n"
                " ip-address 10.0.0.1\n"
                " subject-name cn=gw1, o=lab\n"
                " subject-alt-name gw1.lab\n"
                " revocation-check crl none\n"
                " rsakeypair gwkey\n"
                " auto-enroll 80\n"
                "!\n"
                "crypto pki trustpoint CA2\n"
                " enrollment selfsigned\n"
                " revocation-check crl\n"
                "!\n"
                "crypto pki certificate map certmap 5\n"
                " serial-number ne 01\n"
                "!\n"
                "crypto pki certificate map certmap 10\n"
                " subject-name co spoke\n"
                " issuer-name eq cn=ca, o=lab\n"
                "!\n"
                "crypto pki certificate map other 1\n"
                "!\n"
                "crypto ipsec transform-set default esp-gcm 256\n"
                " mode tunnel\n"
                "crypto ipsec transform-set TS esp-aes 256 esp-sha512-hmac\n"
                " mode transport\n"
                "crypto ipsec transform-set GCM esp-gcm\n"
                " mode tunnel\n"
                "!\n"
                "crypto ipsec profile default\n"
                " no set ikev2-profile\n"
                "!\n"
                "crypto ipsec profile P1\n"
                " description hub  profile\n"
                " set security-association lifetime kilobytes 2560\n"
                " set security-association lifetime seconds 28800\n"
                " set transform-set TS GCM MISSING\n"
                " set pfs group21\n"
                " set ikev2-profile prof1\n"
                "!\n"
                "interface Loopback1\n"
                " ip address 10.255.0.1 255.255.255.255\n"
                "!\n"
                "interface Virtual-Template2 type tunnel\n"
                " no ip address\n"
                "!\n"
                "interface Virtual-Template7 type tunnel\n"
                " description spokes\n"
                " ip address 10.9.9.1 255.255.255.0\n"
                " ip mtu 1400\n"
                " ip tcp adjust-mss 1360\n"
                " shutdown\n"
                " tunnel source 10.10.10.1\n"
                " tunnel mode ipsec ipv4\n"
                " tunnel protection ipsec profile P1 shared\n"
                "!\n"
                "ip local pool pool1 172.16.1.1 172.16.1.255\n"
                "ip local pool pool1 172.16.9.9\n"
                "ip local pool pool2 10.1.0.1 10.1.255.254\n"
                "!\n"
                "end\n");
    round_trip();
    assert_true(ike_vt_find(&t2->a.ipsec, 7)->shutdown);
}

/* Every `no` form (and `default` twin) takes the configuration back to what it was. */
static void test_no_forms(void **state)
{
    (void)state;
    char *fresh = render(t1);
    apply(t1, "crypto ipsec transform-set TS esp-aes esp-sha-hmac\n"
              " mode transport\n"
              " no mode\n"
              "crypto ipsec transform-set default esp-gcm\n"
              "crypto ipsec profile P\n"
              " description x\n"
              " set transform-set TS\n"
              " set ikev2-profile a\n"
              " set pfs group14\n"
              " set security-association lifetime seconds 300\n"
              " set security-association lifetime kilobytes disable\n"
              " no description\n"
              " no set transform-set\n"
              " default set ikev2-profile\n"
              " no set pfs\n"
              " no set security-association lifetime seconds\n"
              " default set security-association lifetime kilobytes\n"
              "crypto ipsec profile default\n"
              " set transform-set TS\n"
              " set pfs group20\n"
              "crypto pki trustpoint TP\n"
              " enrollment terminal\n"
              " revocation-check none\n"
              " subject-name cn=x\n"
              " subject-alt-name y\n"
              " rsakeypair k\n"
              " fqdn f\n"
              " ip-address none\n"
              " auto-enroll\n"
              " no enrollment\n"
              " no revocation-check\n"
              " no subject-name\n"
              " no subject-alt-name\n"
              " no rsakeypair\n"
              " no fqdn\n"
              " no ip-address\n"
              " no auto-enroll\n"
              "crypto pki certificate map M 1\n"
              " name co a\n"
              " name nc b\n"
              " alt-subject-name eq c\n"
              " no name\n"
              " no alt-subject-name eq C\n"
              "interface Virtual-Template3 type tunnel\n"
              " ip unnumbered Loopback1\n"
              " tunnel source GigabitEthernet1\n"
              " tunnel mode ipsec ipv4\n"
              " tunnel protection ipsec profile P\n"
              " ip mtu 1000\n"
              " ip tcp adjust-mss 1000\n"
              " no ip unnumbered\n"
              " no tunnel source\n"
              " default tunnel mode\n"
              " no tunnel protection ipsec profile\n"
              " no ip mtu\n"
              " default ip tcp adjust-mss\n"
              "ip local pool p 10.0.0.1 10.0.0.10\n"
              "ip local pool p 10.0.1.1 10.0.1.10\n"
              "no ip local pool p 10.0.1.1 10.0.1.10\n");
    body_is(t1, "crypto pki trustpoint TP\n"
                " revocation-check crl\n"
                "!\n"
                "crypto pki certificate map M 1\n"
                "!\n"
                "crypto ipsec transform-set default esp-gcm\n"
                " mode tunnel\n"
                "crypto ipsec transform-set TS esp-aes esp-sha-hmac\n"
                " mode tunnel\n"
                "!\n"
                "crypto ipsec profile default\n"
                " set transform-set TS\n"
                " set pfs group20\n"
                "!\n"
                "crypto ipsec profile P\n"
                "!\n"
                "interface Virtual-Template3 type tunnel\n"
                " no ip address\n"
                "!\n"
                "ip local pool p 10.0.0.1 10.0.0.10\n"
                "!\n"
                "end\n");
    round_trip();
    apply(t1, "no crypto ipsec transform-set TS\n"
              "default crypto ipsec transform-set default\n"
              "no crypto ipsec profile P\n"
              "no crypto ipsec profile default\n"
              "no crypto pki trustpoint TP\n"
              "no crypto pki certificate map M 1\n"
              "no interface Virtual-Template3\n"
              "no ip local pool p\n");
    char *now = render(t1);
    assert_string_equal(now, fresh);
    free(now);
    free(fresh);
}

static void test_refusals(void **state)
{
    (void)state;
    refused(t1, "interface Virtual-Template1", "with 'interface Virtual-Template1 type tunnel'");
    refused(t1, "interface Loopback1 type tunnel", "Only a Virtual-Template");
    ok(t1, "interface Loopback1");
    refused(t1, "ip unnumbered Loopback2", "for Virtual-Template interfaces");
    refused(t1, "tunnel source GigabitEthernet1", "for Virtual-Template interfaces");
    ok(t1, "interface Virtual-Template1 type tunnel");
    refused(t1, "ip unnumbered Virtual-Template2", "not a GigabitEthernet or Loopback");
    refused(t1, "tunnel source Virtual-Template2", "not an address, a GigabitEthernet");
    ok(t1, "exit");
    ok(t1, "interface Virtual-Template1"); /* it exists now: no type needed */
    ok(t1, "ip address 10.1.1.1 255.255.255.0");
    ok(t1, "ip unnumbered Loopback1"); /* replaces the address, as IOS */
    assert_false(app_iface_find(&t1->a, &(struct ifname){IFT_VTEMPLATE, 1})->has_addr);
    ok(t1, "ip address 10.1.1.1 255.255.255.0"); /* and the other way round */
    assert_string_equal(ike_vt_find(&t1->a.ipsec, 1)->unnumbered, "");
    assert_int_equal(run(t1, "crypto ipsec transform-set X esp-aes"), -2); /* incomplete */
    assert_int_equal(run(t1, "crypto ipsec transform-set X esp-gcm 192"), -2);
    ok(t1, "crypto ipsec profile P");
    assert_int_equal(run(t1, "set security-association lifetime seconds 119"), -2);
    assert_int_equal(run(t1, "set pfs group2"), -2);
    refused(t1, "set transform-set A B A", "listed twice");
    refused(t1, "ip local pool p 10.0.0.9 10.0.0.1", "above the last");
    ok(t1, "ip local pool p 10.0.0.1 10.0.0.9");
    refused(t1, "ip local pool q 10.0.0.5", "overlaps with pool p");
    refused(t1, "no ip local pool p 10.0.0.1 10.0.0.5", "is not in pool p");
    ok(t1, "no ip local pool nothere");
    refused(t1,
            "crypto pki certificate map " /* 58 characters: one too many */
            "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm 1",
            "1 to 57 characters");
}

/* ---- PKI hooks ---- */

struct fake_pki {
    char log[1024];
    int fail;
};

static void note(struct fake_pki *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct fake_pki *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = strlen(f->log);
    vsnprintf(f->log + n, sizeof f->log - n, fmt, ap);
    va_end(ap);
}

static int fake_pem(void *ctx, const char *tp, const char *prefix, const char *pw, char *err,
                    size_t errlen)
{
    struct fake_pki *f = ctx;
    note(f, "pem %s %s %s;", tp, prefix, pw);
    if (f->fail) snprintf(err, errlen, "%s.prv: wrong password", prefix);
    return f->fail ? -1 : 0;
}

static int fake_p12(void *ctx, const char *tp, const char *path, const char *pw, char *err,
                    size_t errlen)
{
    struct fake_pki *f = ctx;
    note(f, "p12 %s %s %s;", tp, path, pw);
    if (f->fail) snprintf(err, errlen, "cannot read %s", path);
    return f->fail ? -1 : 0;
}

static int fake_certs(void *ctx, const char *tp, struct strbuf *out)
{
    (void)ctx;
    sb_printf(out, "Certificate of %s\n", tp);
    return 0;
}

static int fake_tp(void *ctx, const char *tp, struct strbuf *out)
{
    (void)ctx;
    if (strcmp(tp, "TP")) return -1;
    sb_puts(out, "    Subject Name: \n    cn=CA\n          Serial Number (hex): 01\n"
                 "    Certificate configured.\n");
    return 0;
}

static void fake_attach(void *ctx, const char *tp)
{
    note(ctx, "attach %s;", tp);
}

static void fake_remove(void *ctx, const char *tp)
{
    note(ctx, "remove %s;", tp);
}

static void test_pki_hooks(void **state)
{
    (void)state;
    refused(t1, "crypto pki import TP pem url /tmp/gw password pw", "PKI support not available");
    t1->mode = CM_EXEC;
    refused(t1, "show crypto pki certificates", "PKI support not available");
    t1->mode = CM_CONFIG;

    struct fake_pki f = {0};
    struct ike_pki_hooks h = {.ctx = &f,
                              .import_pem = fake_pem,
                              .import_pkcs12 = fake_p12,
                              .render_certs = fake_certs,
                              .render_trustpoint = fake_tp,
                              .attach = fake_attach,
                              .remove = fake_remove};
    t1->a.pki = &h;
    ok(t1, "crypto pki trustpoint TP");
    ok(t1, "revocation-check none");
    ok(t1, "crypto pki trustpoint TP"); /* attach once, when it is defined */
    /* IOS's success message starts with "% " too: the status tells. */
    assert_int_equal(run(t1, "crypto pki import TP pem url /tmp/gw password pw"), 0);
    assert_string_equal(t1->out, "% PEM files import succeeded.\n");
    assert_true(ike_tp_find(&t1->a.ipsec, "TP")->imported);
    /* A PKCS12 import makes its trustpoint, as IOS does, with `enrollment pkcs12`. */
    ok(t1, "crypto pki import P12 pkcs12 /tmp/gw.p12 password pw2");
    assert_string_equal(t1->out, "CRYPTO_PKI: Imported PKCS12 file successfully.\n");
    assert_int_equal(ike_tp_find(&t1->a.ipsec, "P12")->enroll, IKE_TP_ENROLL_PKCS12);
    f.fail = 1;
    refused(t1, "crypto pki import NEW pkcs12 /tmp/bad.p12 password x",
            "% Import into trustpoint NEW failed: cannot read /tmp/bad.p12");
    assert_null(ike_tp_find(&t1->a.ipsec, "NEW"));
    ok(t1, "no crypto pki trustpoint P12");
    assert_string_equal(f.log, "attach TP;pem TP /tmp/gw pw;p12 P12 /tmp/gw.p12 pw2;"
                               "p12 NEW /tmp/bad.p12 x;remove P12;");
    /* The running-config has the trustpoints only: the PKI module keeps the certificates. */
    body_is(t1, "crypto pki trustpoint TP\n revocation-check none\n!\nend\n");

    ok(t1, "crypto pki trustpoint OTHER");
    t1->mode = CM_EXEC;
    ok(t1, "show crypto pki trustpoints");
    assert_string_equal(t1->out, "Trustpoint TP:\n"
                                 "    Subject Name: \n"
                                 "    cn=CA\n"
                                 "          Serial Number (hex): 01\n"
                                 "    Certificate configured.\n"
                                 "\n"
                                 "Trustpoint OTHER:\n"
                                 "    Not authenticated.\n"
                                 "\n");
    ok(t1, "show crypto pki certificates OTHER");
    assert_string_equal(t1->out, "Certificate of OTHER\n");
    refused(t1, "show crypto pki certificates NOPE", "% Trustpoint NOPE does not exist");
}

int main(void)
{
    log_init("test_cmd_ipsec", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reference_paste, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pki_hooks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
