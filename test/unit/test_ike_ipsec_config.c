/* Unit tests for ike/ike_ipsec_config.c: transform sets (transform words, validation, IANA
 * numbers), IPsec profiles (setters and their ranges), the smart defaults and restoring them,
 * ESP proposal lists for the engine, incomplete references, trustpoints, certificate maps,
 * Virtual-Template tunnel settings, and the running-config and show text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_ipsec_config.h"
#include "ike/ike_pki.h"
#include "ike/ike_wire.h"
#include "platform/strbuf.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct ike_ipsec_config cfg;
static char err[256];

static int setup(void **state)
{
    (void)state;
    return ike_ipsec_config_init(&cfg);
}

static int teardown(void **state)
{
    (void)state;
    ike_ipsec_config_fini(&cfg);
    return 0;
}

static char *render_crypto(void)
{
    struct strbuf sb = STRBUF_INIT;
    ike_ipsec_render_crypto(&cfg, &sb);
    return sb_detach(&sb);
}

static char *render_pki(void)
{
    struct strbuf sb = STRBUF_INIT;
    ike_ipsec_render_pki(&cfg, &sb);
    return sb_detach(&sb);
}

static void assert_text(char *got, const char *want)
{
    assert_string_equal(got, want);
    free(got);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("'%s' does not contain '%s'", hay, needle);
}

static int parse_words(const char *line, struct ike_esp_proposal *p)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", line);
    const char *w[8];
    int n = 0;
    for (char *t = strtok(buf, " "); t && n < 8; t = strtok(NULL, " ")) w[n++] = t;
    err[0] = '\0';
    return ike_ts_parse(n, w, p, err, sizeof err);
}

static struct ike_transform_set *define(const char *name, const char *words)
{
    struct ike_esp_proposal p;
    if (parse_words(words, &p)) fail_msg("%s: %s", words, err);
    struct ike_transform_set *t = ike_ts_define(&cfg, name, &p, err, sizeof err);
    if (!t) fail_msg("%s: %s", name, err);
    return t;
}

static struct ike_ipsec_profile *profile(const char *name)
{
    struct ike_ipsec_profile *p = ike_profile_get(&cfg, name, err, sizeof err);
    if (!p) fail_msg("%s: %s", name, err);
    return p;
}

/* ---- smart defaults ---- */

static void test_defaults(void **state)
{
    (void)state;
    const struct ike_transform_set *t = ike_ts_find(&cfg, "default");
    assert_non_null(t);
    assert_true(ike_ts_is_builtin(t));
    assert_int_equal(t->nprop, 2);
    assert_int_equal(t->prop[0].encr, IKE_ENCR_AES_GCM_16);
    assert_int_equal(t->prop[0].keylen, 256);
    assert_int_equal(t->prop[0].integ, IKE_INTEG_NONE);
    assert_int_equal(t->prop[1].encr, IKE_ENCR_AES_CBC);
    assert_int_equal(t->prop[1].keylen, 256);
    assert_int_equal(t->prop[1].integ, IKE_INTEG_HMAC_SHA2_256_128);
    assert_int_equal(t->mode, IKE_IPSEC_MODE_TUNNEL);

    const struct ike_ipsec_profile *p = ike_profile_find(&cfg, "default");
    assert_non_null(p);
    assert_int_equal(p->nts, 1);
    assert_string_equal(p->ts[0], "default");
    assert_string_equal(p->ikev2_profile, "default");

    struct ike_esp_offer o[IKE_ESP_MAX_OFFERS];
    assert_int_equal(ike_ipsec_esp_offers(&cfg, "default", o, N_ELEM(o)), 2);
    assert_memory_equal(&o[0].prop, &t->prop[0], sizeof o[0].prop);
    assert_memory_equal(&o[1].prop, &t->prop[1], sizeof o[1].prop);
    assert_int_equal(o[0].mode, IKE_IPSEC_MODE_TUNNEL);

    struct ike_ipsec_sa_params sp;
    assert_int_equal(ike_ipsec_sa_params(&cfg, "default", &sp), 0);
    assert_int_equal(sp.lifetime_sec, 3600);
    assert_int_equal(sp.lifetime_kb, 4608000);
    assert_int_equal(sp.pfs, 0);
    assert_string_equal(sp.ikev2_profile, "default");
    char why[128];
    assert_true(ike_ipsec_profile_complete(&cfg, "default", why, sizeof why));
    assert_string_equal(why, "");

    /* Nothing of it is in the running-config. */
    assert_text(render_crypto(), "");
    assert_text(render_pki(), "");
    assert_int_equal(ike_ipsec_esp_offers(&cfg, "nope", o, N_ELEM(o)), -1);
    assert_int_equal(ike_ipsec_sa_params(&cfg, "nope", &sp), -1);
}

static void test_default_ts_changed_and_restored(void **state)
{
    (void)state;
    struct ike_transform_set *t = define("default", "esp-aes esp-sha-hmac");
    assert_false(ike_ts_is_builtin(t));
    assert_int_equal(t->nprop, 1);
    t->mode = IKE_IPSEC_MODE_TRANSPORT;
    assert_text(render_crypto(), "crypto ipsec transform-set default esp-aes esp-sha-hmac\n"
                                 " mode transport\n"
                                 "!\n");
    assert_int_equal(ike_ts_remove(&cfg, "default"), 0);
    t = ike_ts_find(&cfg, "default");
    assert_non_null(t);
    assert_true(ike_ts_is_builtin(t));
    assert_text(render_crypto(), "");
}

static void test_default_profile_changed_and_restored(void **state)
{
    (void)state;
    struct ike_ipsec_profile *p = profile("default");
    assert_int_equal(ike_profile_set_ts(p, 0, NULL, err, sizeof err), 0);
    assert_int_equal(ike_profile_set_ikev2(p, NULL, err, sizeof err), 0);
    assert_text(render_crypto(), "crypto ipsec profile default\n"
                                 " no set transform-set\n"
                                 " no set ikev2-profile\n"
                                 "!\n");
    char why[128];
    assert_false(ike_ipsec_profile_complete(&cfg, "default", why, sizeof why));
    assert_string_equal(why, "no transform set");
    const char *ts[] = {"TS"};
    assert_int_equal(ike_profile_set_ts(p, 1, ts, err, sizeof err), 0);
    assert_int_equal(ike_profile_set_ikev2(p, "IKEV2", err, sizeof err), 0);
    assert_int_equal(ike_profile_set_pfs(p, 19, err, sizeof err), 0);
    assert_text(render_crypto(), "crypto ipsec profile default\n"
                                 " set transform-set TS\n"
                                 " set pfs group19\n"
                                 " set ikev2-profile IKEV2\n"
                                 "!\n");
    assert_int_equal(ike_profile_remove(&cfg, "default"), 0);
    p = ike_profile_find(&cfg, "default");
    assert_non_null(p);
    assert_string_equal(p->ts[0], "default");
    assert_string_equal(p->ikev2_profile, "default");
    assert_int_equal(p->pfs, 0);
    assert_text(render_crypto(), "");
}

/* ---- transform words ---- */

static void test_ts_parse(void **state)
{
    (void)state;
    static const struct {
        const char *words;
        uint16_t encr, keylen, integ;
        const char *canon; /* as rendered */
    } ok[] = {
        {"esp-gcm", IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, "esp-gcm"},
        {"esp-gcm 128", IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, "esp-gcm"},
        {"esp-gcm 256", IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, "esp-gcm 256"},
        {"esp-aes esp-sha-hmac", IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96,
         "esp-aes esp-sha-hmac"},
        {"esp-aes 192 esp-sha256-hmac", IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_256_128,
         "esp-aes 192 esp-sha256-hmac"},
        {"esp-aes 256 esp-sha384-hmac", IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192,
         "esp-aes 256 esp-sha384-hmac"},
        {"esp-sha512-hmac esp-aes 256", IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256,
         "esp-aes 256 esp-sha512-hmac"},
    };
    for (size_t i = 0; i < N_ELEM(ok); i++) {
        struct ike_esp_proposal p, back;
        if (parse_words(ok[i].words, &p)) fail_msg("%s: %s", ok[i].words, err);
        assert_int_equal(p.encr, ok[i].encr);
        assert_int_equal(p.keylen, ok[i].keylen);
        assert_int_equal(p.integ, ok[i].integ);
        char words[64];
        ike_ts_words(&p, words, sizeof words);
        assert_string_equal(words, ok[i].canon);
        assert_int_equal(parse_words(words, &back), 0);
        assert_memory_equal(&p, &back, sizeof p);
    }
    static const struct {
        const char *words, *msg;
    } bad[] = {
        {"esp-aes", "needs an integrity transform"},
        {"esp-gcm 256 esp-sha-hmac", "takes no integrity transform"},
        {"esp-gcm 192", "Invalid key size 192"},
        {"esp-aes 512 esp-sha-hmac", "Invalid key size 512"},
        {"esp-sha-hmac", "needs an encryption transform"},
        {"esp-aes esp-gcm", "one encryption transform"},
        {"esp-aes esp-sha-hmac esp-sha256-hmac", "one integrity transform"},
        {"esp-3des esp-sha-hmac", "Unknown transform esp-3des"},
        {"", "needs an encryption transform"},
    };
    for (size_t i = 0; i < N_ELEM(bad); i++) {
        struct ike_esp_proposal p;
        assert_int_equal(parse_words(bad[i].words, &p), -1);
        assert_contains(err, bad[i].msg);
        assert_true(err[0] == '%');
    }
}

static void test_ts_define_replace_remove(void **state)
{
    (void)state;
    struct ike_transform_set *t = define("TS", "esp-aes 256 esp-sha256-hmac");
    t->mode = IKE_IPSEC_MODE_TRANSPORT;
    define("TS", "esp-gcm 256"); /* replaces the transforms, keeps the mode */
    assert_int_equal(t->nprop, 1);
    assert_int_equal(t->prop[0].encr, IKE_ENCR_AES_GCM_16);
    assert_int_equal(t->mode, IKE_IPSEC_MODE_TRANSPORT);
    define("B", "esp-gcm");
    assert_text(render_crypto(), "crypto ipsec transform-set TS esp-gcm 256\n"
                                 " mode transport\n"
                                 "crypto ipsec transform-set B esp-gcm\n"
                                 " mode tunnel\n"
                                 "!\n");
    assert_int_equal(ike_ts_remove(&cfg, "TS"), 0);
    assert_null(ike_ts_find(&cfg, "TS"));
    assert_int_equal(ike_ts_remove(&cfg, "TS"), -1);
    struct ike_esp_proposal p = {IKE_ENCR_AES_GCM_16, 128, 0};
    assert_null(ike_ts_define(&cfg, "has space", &p, err, sizeof err));
    assert_contains(err, "invalid character");
    char longname[IKE_IPSEC_NAME_MAX + 1];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(ike_ts_define(&cfg, longname, &p, err, sizeof err));
    longname[IKE_IPSEC_NAME_MAX - 1] = '\0';
    assert_non_null(ike_ts_define(&cfg, longname, &p, err, sizeof err));
}

/* ---- profiles ---- */

static void test_profile_setters(void **state)
{
    (void)state;
    struct ike_ipsec_profile *p = profile("P");
    assert_int_equal(ike_profile_set_lifetime_sec(p, 119, err, sizeof err), -1);
    assert_contains(err, "the range is 120-2592000");
    assert_int_equal(ike_profile_set_lifetime_sec(p, 2592001, err, sizeof err), -1);
    assert_int_equal(ike_profile_set_lifetime_sec(p, 120, err, sizeof err), 0);
    assert_int_equal(ike_profile_set_lifetime_sec(p, 2592000, err, sizeof err), 0);
    assert_int_equal(ike_profile_set_lifetime_kb(p, 2559, err, sizeof err), -1);
    assert_contains(err, "the range is 2560-4194303");
    assert_int_equal(ike_profile_set_lifetime_kb(p, 4194304, err, sizeof err), -1);
    assert_int_equal(ike_profile_set_lifetime_kb(p, 2560, err, sizeof err), 0);
    assert_int_equal(ike_profile_set_lifetime_kb(p, -1, err, sizeof err), 0);

    static const int good[] = {0, 14, 15, 16, 19, 20, 21, 31};
    for (size_t i = 0; i < N_ELEM(good); i++)
        assert_int_equal(ike_profile_set_pfs(p, good[i], err, sizeof err), 0);
    static const int badg[] = {1, 2, 5, 24, 30, 32, -1};
    for (size_t i = 0; i < N_ELEM(badg); i++)
        assert_int_equal(ike_profile_set_pfs(p, badg[i], err, sizeof err), -1);
    assert_int_equal(p->pfs, 31);

    const char *six[] = {"A", "B", "C", "D", "E", "F", "G"};
    assert_int_equal(ike_profile_set_ts(p, 7, six, err, sizeof err), -1);
    assert_int_equal(ike_profile_set_ts(p, 6, six, err, sizeof err), 0);
    const char *dup[] = {"A", "B", "A"};
    assert_int_equal(ike_profile_set_ts(p, 3, dup, err, sizeof err), -1);
    assert_contains(err, "listed twice");
    assert_int_equal(p->nts, 6); /* unchanged by the refused list */

    char longtext[300];
    memset(longtext, 'd', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    assert_int_equal(ike_profile_set_description(p, longtext, err, sizeof err), -1);
    assert_int_equal(ike_profile_set_description(p, "to the hub", err, sizeof err), 0);
    assert_int_equal(ike_profile_set_ikev2(p, "prof1", err, sizeof err), 0);

    assert_text(render_crypto(), "crypto ipsec profile P\n"
                                 " description to the hub\n"
                                 " set security-association lifetime kilobytes disable\n"
                                 " set security-association lifetime seconds 2592000\n"
                                 " set transform-set A B C D E F\n"
                                 " set pfs group31\n"
                                 " set ikev2-profile prof1\n"
                                 "!\n");
    struct ike_ipsec_sa_params sp;
    assert_int_equal(ike_ipsec_sa_params(&cfg, "P", &sp), 0);
    assert_int_equal(sp.lifetime_sec, 2592000);
    assert_int_equal(sp.lifetime_kb, 0);
    assert_int_equal(sp.pfs, IKE_DH_CURVE25519);
    assert_string_equal(sp.ikev2_profile, "prof1");

    /* Back to the defaults: an empty block, as IOS shows a profile with nothing set. */
    ike_profile_set_lifetime_sec(p, 0, err, sizeof err);
    ike_profile_set_lifetime_kb(p, 0, err, sizeof err);
    ike_profile_set_pfs(p, 0, err, sizeof err);
    ike_profile_set_ts(p, 0, NULL, err, sizeof err);
    ike_profile_set_ikev2(p, NULL, err, sizeof err);
    ike_profile_set_description(p, NULL, err, sizeof err);
    assert_text(render_crypto(), "crypto ipsec profile P\n!\n");
    assert_int_equal(ike_profile_remove(&cfg, "P"), 0);
    assert_null(ike_profile_find(&cfg, "P"));
    assert_int_equal(ike_profile_remove(&cfg, "P"), -1);
}

/* The engine's list: transform sets in the profile's order, each set's alternatives in order,
 * duplicates dropped, undefined sets skipped; the profile is incomplete until they exist. */
static void test_esp_offers_and_incomplete(void **state)
{
    (void)state;
    struct ike_ipsec_profile *p = profile("P");
    const char *names[] = {"MISSING", "T1", "default", "T2"};
    assert_int_equal(ike_profile_set_ts(p, 4, names, err, sizeof err), 0);
    define("T1", "esp-gcm 256"); /* same as default's 1st */
    define("T2", "esp-aes esp-sha512-hmac")->mode = IKE_IPSEC_MODE_TRANSPORT;
    char why[128];
    assert_false(ike_ipsec_profile_complete(&cfg, "P", why, sizeof why));
    assert_string_equal(why, "transform set MISSING is not defined");
    struct ike_esp_offer o[IKE_ESP_MAX_OFFERS];
    assert_int_equal(ike_ipsec_esp_offers(&cfg, "P", o, N_ELEM(o)), 3);
    assert_int_equal(o[0].prop.encr, IKE_ENCR_AES_GCM_16);
    assert_int_equal(o[0].prop.keylen, 256);
    assert_int_equal(o[1].prop.encr, IKE_ENCR_AES_CBC);
    assert_int_equal(o[1].prop.integ, IKE_INTEG_HMAC_SHA2_256_128);
    assert_int_equal(o[2].prop.integ, IKE_INTEG_HMAC_SHA2_512_256);
    assert_int_equal(o[2].prop.keylen, 128);
    assert_int_equal(o[2].mode, IKE_IPSEC_MODE_TRANSPORT);
    assert_int_equal(ike_ipsec_esp_offers(&cfg, "P", o, 2), 2); /* truncated to the room */
    define("MISSING", "esp-aes 192 esp-sha-hmac");
    assert_true(ike_ipsec_profile_complete(&cfg, "P", why, sizeof why));
    assert_int_equal(ike_ipsec_esp_offers(&cfg, "P", o, N_ELEM(o)), 4);
    assert_int_equal(o[0].prop.keylen, 192);
    assert_int_equal(o[0].prop.integ, IKE_INTEG_HMAC_SHA1_96);
    /* A removed set makes its profiles incomplete again. */
    ike_ts_remove(&cfg, "MISSING");
    assert_false(ike_ipsec_profile_complete(&cfg, "P", why, sizeof why));
    assert_false(ike_ipsec_profile_complete(&cfg, "nope", why, sizeof why));
    assert_contains(why, "not defined");
}

static void test_show(void **state)
{
    (void)state;
    define("TS", "esp-aes 256 esp-sha256-hmac");
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(ike_ipsec_show_ts(&cfg, NULL, &sb), 0);
    assert_string_equal(
        sb_str(&sb), "Transform set default: { esp-gcm 256  } { esp-256-aes esp-sha256-hmac  } \n"
                     "   will negotiate = { Tunnel,  }, \n"
                     "   \n"
                     "Transform set TS: { esp-256-aes esp-sha256-hmac  } \n"
                     "   will negotiate = { Tunnel,  }, \n"
                     "   \n");
    sb_reset(&sb);
    assert_int_equal(ike_ipsec_show_ts(&cfg, "nope", &sb), -1);
    assert_int_equal(ike_ipsec_show_profile(&cfg, "default", &sb), 0);
    assert_string_equal(
        sb_str(&sb),
        "IPSEC profile default\n"
        "        IKEv2 Profile: default\n"
        "        Security association lifetime: 4608000 kilobytes/3600 seconds\n"
        "        Responder-Only (Y/N): N\n"
        "        PFS (Y/N): N\n"
        "        Transform sets={ \n"
        "                default:  { esp-gcm 256  } { esp-256-aes esp-sha256-hmac  } , \n"
        "        }\n"
        "\n");
    sb_reset(&sb);
    struct ike_ipsec_profile *p = profile("P");
    const char *names[] = {"X"};
    ike_profile_set_ts(p, 1, names, err, sizeof err);
    assert_int_equal(ike_ipsec_show_profile(&cfg, "P", &sb), 0);
    assert_contains(sb_str(&sb), "                X:  (not defined) , \n");
    assert_contains(sb_str(&sb), "        Incomplete: transform set X is not defined\n");
    sb_free(&sb);
}

/* ---- PKI ---- */

static void test_trustpoints(void **state)
{
    (void)state;
    struct ike_trustpoint *t = ike_tp_get(&cfg, "1", err, sizeof err);
    assert_non_null(t);
    assert_int_equal(t->revocation, IKE_TP_REVOKE_CRL);
    assert_text(render_pki(), "crypto pki trustpoint 1\n revocation-check crl\n!\n");
    assert_int_equal(ike_tp_set_enroll(t, IKE_TP_ENROLL_URL, NULL, err, sizeof err), -1);
    assert_int_equal(ike_tp_set_enroll(t, IKE_TP_ENROLL_URL, "http://ca:80", err, sizeof err), 0);
    assert_int_equal(ike_tp_set_enroll(t, IKE_TP_ENROLL_TERMINAL_PEM, NULL, err, sizeof err), 0);
    assert_string_equal(t->enroll_url, "");
    ike_tp_set_revocation(t, IKE_TP_REVOKE_NONE);
    assert_int_equal(ike_tp_set_text(t, IKE_TP_SUBJECT_NAME, "cn=gw1, o=lab", err, sizeof err), 0);
    assert_int_equal(ike_tp_set_text(t, IKE_TP_SUBJECT_ALT_NAME, "gw1.lab", err, sizeof err), 0);
    assert_int_equal(ike_tp_set_text(t, IKE_TP_RSAKEYPAIR, "two words", err, sizeof err), -1);
    assert_int_equal(ike_tp_set_text(t, IKE_TP_RSAKEYPAIR, "gwkey", err, sizeof err), 0);
    assert_int_equal(ike_tp_set_text(t, IKE_TP_FQDN, "gw1.lab", err, sizeof err), 0);
    assert_int_equal(ike_tp_set_text(t, IKE_TP_IP_ADDRESS, "10.0.0.300", err, sizeof err), -1);
    assert_int_equal(ike_tp_set_text(t, IKE_TP_IP_ADDRESS, "none", err, sizeof err), 0);
    assert_int_equal(ike_tp_set_auto_enroll(t, 101, err, sizeof err), -1);
    assert_int_equal(ike_tp_set_auto_enroll(t, 70, err, sizeof err), 0);
    assert_non_null(ike_tp_get(&cfg, "CA", err, sizeof err));
    assert_text(render_pki(), "crypto pki trustpoint 1\n"
                              " enrollment terminal pem\n"
                              " fqdn gw1.lab\n"
                              " ip-address none\n"
                              " subject-name cn=gw1, o=lab\n"
                              " subject-alt-name gw1.lab\n"
                              " revocation-check none\n"
                              " rsakeypair gwkey\n"
                              " auto-enroll 70\n"
                              "!\n"
                              "crypto pki trustpoint CA\n"
                              " revocation-check crl\n"
                              "!\n");
    assert_int_equal(ike_tp_set_auto_enroll(t, 0, err, sizeof err), 0);
    assert_true(t->auto_enroll);
    assert_int_equal(ike_tp_set_auto_enroll(t, -1, err, sizeof err), 0);
    assert_false(t->auto_enroll);
    assert_int_equal(ike_tp_remove(&cfg, "1"), 0);
    assert_null(ike_tp_find(&cfg, "1"));
    assert_int_equal(ike_tp_remove(&cfg, "1"), -1);
}

static void test_certmaps(void **state)
{
    (void)state;
    struct ike_certmap *b2 = ike_certmap_get(&cfg, "B", 20, err, sizeof err);
    struct ike_certmap *a1 = ike_certmap_get(&cfg, "A", 10, err, sizeof err);
    struct ike_certmap *b1 = ike_certmap_get(&cfg, "B", 5, err, sizeof err);
    assert_non_null(b2);
    assert_non_null(a1);
    assert_non_null(b1);
    assert_ptr_equal(ike_certmap_get(&cfg, "B", 20, err, sizeof err), b2);
    assert_null(ike_certmap_get(&cfg, "B", 0, err, sizeof err));
    assert_null(ike_certmap_get(&cfg, "B", 65536, err, sizeof err));
    char longname[IKE_CERTMAP_NAME_MAX + 1];
    memset(longname, 'm', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(ike_certmap_get(&cfg, longname, 1, err, sizeof err));

    assert_int_equal(
        ike_certmap_add_rule(b1, IKE_CM_SUBJECT_NAME, IKE_CM_CO, "CN = Spoke", err, sizeof err), 0);
    assert_int_equal(
        ike_certmap_add_rule(b1, IKE_CM_SUBJECT_NAME, IKE_CM_CO, "cn = spoke", err, sizeof err), 0);
    assert_int_equal(b1->nrules, 1); /* the same rule, in another case */
    assert_string_equal(b1->rule[0].value, "cn = spoke");
    assert_int_equal(
        ike_certmap_add_rule(b1, IKE_CM_ISSUER_NAME, IKE_CM_EQ, "cn=ca", err, sizeof err), 0);
    assert_int_equal(
        ike_certmap_add_rule(a1, IKE_CM_SERIAL_NUMBER, IKE_CM_NE, "01", err, sizeof err), 0);

    /* Entries of a name in sequence order, names in the order they appeared. */
    assert_text(render_pki(), "crypto pki certificate map B 5\n"
                              " subject-name co cn = spoke\n"
                              " issuer-name eq cn=ca\n"
                              "!\n"
                              "crypto pki certificate map B 20\n"
                              "!\n"
                              "crypto pki certificate map A 10\n"
                              " serial-number ne 01\n"
                              "!\n");
    const struct ike_certmap *m = ike_certmap_next(&cfg, "B", NULL);
    assert_ptr_equal(m, b1);
    m = ike_certmap_next(&cfg, "B", m);
    assert_ptr_equal(m, b2);
    assert_null(ike_certmap_next(&cfg, "B", m));

    for (int i = 1; i < IKE_CERTMAP_MAX_RULES; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        assert_int_equal(ike_certmap_add_rule(b2, IKE_CM_NAME, IKE_CM_NC, v, err, sizeof err), 0);
    }
    assert_int_equal(ike_certmap_add_rule(b2, IKE_CM_NAME, IKE_CM_EQ, "x", err, sizeof err), 0);
    assert_int_equal(ike_certmap_add_rule(b2, IKE_CM_NAME, IKE_CM_EQ, "y", err, sizeof err), -1);
    assert_contains(err, "at most 16");
    char longval[IKE_CM_VALUE_MAX + 1];
    memset(longval, 'v', sizeof longval - 1);
    longval[sizeof longval - 1] = '\0';
    assert_int_equal(ike_certmap_add_rule(a1, IKE_CM_NAME, IKE_CM_EQ, longval, err, sizeof err),
                     -1);

    assert_int_equal(ike_certmap_remove_rule(b2, IKE_CM_NAME, IKE_CM_EQ, "X"), 0);
    assert_int_equal(b2->nrules, 15);
    assert_int_equal(ike_certmap_remove_rule(b2, IKE_CM_NAME, IKE_CM_EQ, "X"), -1);
    assert_int_equal(ike_certmap_remove_rule(b2, IKE_CM_NAME, IKE_CM_NOPS, NULL), 0);
    assert_int_equal(b2->nrules, 0);
    assert_int_equal(ike_certmap_remove(&cfg, "B", 5), 0);
    assert_null(ike_certmap_find(&cfg, "B", 5));
    assert_int_equal(ike_certmap_remove(&cfg, "B", 0), 0); /* every entry of B */
    assert_null(ike_certmap_next(&cfg, "B", NULL));
    assert_int_equal(ike_certmap_remove(&cfg, "B", 0), -1);
    assert_non_null(ike_certmap_find(&cfg, "A", 10));
}

/* The PKI module's matcher takes entries by number: the field and operator numbers and words
 * must be the same on both sides. */
static void test_certmap_numbers_match_pki(void **state)
{
    (void)state;
    assert_int_equal(IKE_CM_NFIELDS, IKE_PKI_MAP_FIELD_COUNT);
    assert_int_equal(IKE_CM_NOPS, IKE_PKI_MAP_OP_COUNT);
    assert_int_equal(IKE_CM_VALUE_MAX, IKE_PKI_MAP_VALUE_MAX);
    assert_true(IKE_CERTMAP_MAX_RULES <= IKE_PKI_MAP_MAX_RULES);
    for (int f = 0; f < IKE_CM_NFIELDS; f++)
        assert_string_equal(ike_cm_field_names[f], ike_pki_map_field_name(f));
    for (int o = 0; o < IKE_CM_NOPS; o++)
        assert_string_equal(ike_cm_op_names[o], ike_pki_map_op_name(o));
}

/* ---- Virtual-Template ---- */

static void test_vtemplate(void **state)
{
    (void)state;
    assert_null(ike_vt_get(&cfg, 0, err, sizeof err));
    assert_null(ike_vt_get(&cfg, 65536, err, sizeof err));
    struct ike_vtemplate *v2 = ike_vt_get(&cfg, 2, err, sizeof err);
    struct ike_vtemplate *v1 = ike_vt_get(&cfg, 1, err, sizeof err);
    assert_non_null(v1);
    assert_ptr_equal(cfg.vts, v1); /* by number */
    assert_ptr_equal(v1->next, v2);
    assert_ptr_equal(ike_vt_get(&cfg, 1, err, sizeof err), v1);

    assert_int_equal(ike_vt_set_unnumbered(v1, "lo1", err, sizeof err), 0);
    assert_string_equal(v1->unnumbered, "Loopback1");
    assert_int_equal(ike_vt_set_unnumbered(v1, "Virtual-Template2", err, sizeof err), -1);
    assert_int_equal(ike_vt_set_unnumbered(v1, "bogus", err, sizeof err), -1);
    assert_string_equal(v1->unnumbered, "Loopback1");
    assert_int_equal(ike_vt_set_tunnel_source(v1, "10.10.10.1", err, sizeof err), 0);
    assert_true(v1->tunnel_source_is_addr);
    assert_int_equal(v1->tunnel_source_addr, 0x0a0a0a01);
    assert_int_equal(ike_vt_set_tunnel_source(v1, "gi1", err, sizeof err), 0);
    assert_false(v1->tunnel_source_is_addr);
    assert_string_equal(v1->tunnel_source, "GigabitEthernet1");
    assert_int_equal(ike_vt_set_tunnel_source(v1, "vt2", err, sizeof err), -1);
    assert_int_equal(ike_vt_set_mtu(v1, 67, err, sizeof err), -1);
    assert_int_equal(ike_vt_set_mtu(v1, 9217, err, sizeof err), -1);
    assert_int_equal(ike_vt_set_mtu(v1, 1400, err, sizeof err), 0);
    assert_int_equal(ike_vt_set_tcp_mss(v1, 499, err, sizeof err), -1);
    assert_int_equal(ike_vt_set_tcp_mss(v1, 1461, err, sizeof err), -1);
    assert_int_equal(ike_vt_set_tcp_mss(v1, 1360, err, sizeof err), 0);
    ike_vt_set_mode(v1, IKE_TUNNEL_MODE_IPSEC_IPV4);
    assert_null(ike_ipsec_vt_profile(&cfg, 1));
    assert_int_equal(ike_vt_set_protection(v1, "default", true, err, sizeof err), 0);
    assert_string_equal(ike_ipsec_vt_profile(&cfg, 1), "default");
    assert_null(ike_ipsec_vt_profile(&cfg, 2));
    assert_null(ike_ipsec_vt_profile(&cfg, 3));

    struct strbuf sb = STRBUF_INIT;
    ike_vt_render_ip(v1, &sb);
    ike_vt_render_tunnel(v1, &sb);
    assert_string_equal(sb_str(&sb), " ip unnumbered Loopback1\n"
                                     " ip mtu 1400\n"
                                     " ip tcp adjust-mss 1360\n"
                                     " tunnel source GigabitEthernet1\n"
                                     " tunnel mode ipsec ipv4\n"
                                     " tunnel protection ipsec profile default shared\n");
    ike_vt_reset(v1);
    sb_reset(&sb);
    ike_vt_render_ip(v1, &sb);
    ike_vt_render_tunnel(v1, &sb);
    assert_string_equal(sb_str(&sb), "");
    assert_int_equal(v1->num, 1);
    assert_ptr_equal(v1->next, v2);
    sb_free(&sb);
    ike_vt_remove(&cfg, 1);
    assert_null(ike_vt_find(&cfg, 1));
    assert_ptr_equal(cfg.vts, v2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_ts_changed_and_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_profile_changed_and_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ts_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ts_define_replace_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_setters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_esp_offers_and_incomplete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trustpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certmaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certmap_numbers_match_pki, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vtemplate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
