/* Unit tests for cli/secret.c: Cisco IOS type 5 / 8 / 9 secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cli/secret.h"

struct kat {
    const char *cleartext;
    const char *hash;
};

/* Published pairs (hashcat's example list: every example's password is "hashcat").
 * Type 9: hashcat mode 9300. A second pair from a published IOS configuration
 * (`username cisco secret 9 ...` for cleartext "ccna", GitHub
 * Ryo-TANAKA-programmer/switch_configuration README). */
static const struct kat kat9[] = {
    {"hashcat", "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {"ccna", "$9$J19FIAftPZf7c3$Mux3wTz1Kth/NxeyEk.E8.QBckaZchVfllsGnxO8/0A"},
    /* Independent computation (Python hashlib.scrypt + base64 translation): non-ASCII
     * cleartext, '.' and '/' in the salt, and the empty secret. */
    {"correct horse battery staple \xc3\xbc",
     "$9$./AZaz09xyQRst$IdO/UQusRobr8hOsdjAHXmHUQetrPzRy63OgYodsnCM"},
    {"", "$9$zzzzzzzzzzzzzz$0TZvmAOESUufpVZxmSwNGcSBDGuyI.TMQbek.dYf/nM"},
};

/* Type 8: hashcat mode 9200; two `show running-config` lines for cleartext "cisco" from the
 * Cisco Learning Network article "Cisco Routers Password Types" (quoted on Network
 * Engineering Stack Exchange q. 79711); one independent computation (Python hashlib). */
static const struct kat kat8[] = {
    {"hashcat", "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk"},
    {"cisco", "$8$mTj4RZG8N9ZDOk$elY/asfm8kD3iDmkBe3hD2r4xcA/0oWS5V3os.O91u."},
    {"cisco", "$8$dsYGNam3K1SIJO$7nv/35M/qr6t.dVc7UY9zrJDWRVqncHub1PE9UlMQFs"},
    {"correct horse battery staple \xc3\xbc",
     "$8$./AZaz09xyQRst$EaOIQFKUpd3RXm5/uKdJIqwgGPKpaYwxcLHuK.g35GM"},
};

/* Type 5: hashcat mode 500; IOS-style 4-character salts (widely published "cisco" enable
 * secret and root-me challenge pairs); glibc crypt(3) for the empty secret and a secret
 * longer than 16 bytes with an 8-character salt. */
static const struct kat kat5[] = {
    {"hashcat", "$1$28772684$iEwNOgGugqO9.bIz5sk8k/"},
    {"cisco", "$1$mERr$hx5rVt7rPNoS4wqbXKX7m0"},
    {"dolphinsforever", "$1$mERr$A419.HL58lq743wXS4kSM1"},
    {"P@ssw0rd!1", "$1$mERr$yhf7f2RnC74CxKANvoekD."},
    {"", "$1$ab$rn6aQS/o7141mj179E/zA."},
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "$1$abcdefgh$qbqmpT5c4yFc3.1Qef15o."},
};

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static void check_kats(const struct kat *k, size_t n, int type)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(secret_hash_check_format(type, k[i].hash), 0);
        assert_true(secret_verify(k[i].cleartext, k[i].hash));

        /* One character more, one less, and a flipped case all fail. */
        char wrong[96];
        snprintf(wrong, sizeof(wrong), "%sx", k[i].cleartext);
        assert_false(secret_verify(wrong, k[i].hash));
        if (k[i].cleartext[0] != '\0') {
            size_t len = strlen(k[i].cleartext);
            memcpy(wrong, k[i].cleartext, len - 1);
            wrong[len - 1] = '\0';
            assert_false(secret_verify(wrong, k[i].hash));
            memcpy(wrong, k[i].cleartext, len + 1);
            wrong[0] ^= 0x20;
            assert_false(secret_verify(wrong, k[i].hash));
        }
    }
}

static void test_kat_type9(void **state)
{
    (void)state;
    check_kats(kat9, N_ELEM(kat9), SECRET_TYPE9);
}

static void test_kat_type8(void **state)
{
    (void)state;
    check_kats(kat8, N_ELEM(kat8), SECRET_TYPE8);
}

static void test_kat_type5(void **state)
{
    (void)state;
    check_kats(kat5, N_ELEM(kat5), SECRET_TYPE5);
}

/* The same cleartext and salt under the other KDF must not verify. */
static void test_type_is_bound_to_prefix(void **state)
{
    (void)state;
    char h[SECRET_HASH_MAX];
    strcpy(h, kat8[3].hash);
    h[1] = '9';
    assert_int_equal(secret_hash_check_format(SECRET_TYPE9, h), 0);
    assert_false(secret_verify(kat8[3].cleartext, h));
}

static void test_round_trip(void **state)
{
    (void)state;
    char out[SECRET_HASH_MAX];
    const char *pw = "s3cret pass";

    assert_int_equal(secret_hash9(pw, out, sizeof(out)), 0);
    assert_int_equal(strlen(out), 61);
    assert_memory_equal(out, "$9$", 3);
    assert_int_equal(out[17], '$');
    assert_int_equal(secret_hash_check_format(SECRET_TYPE9, out), 0);
    assert_int_equal(secret_hash_check_format(SECRET_TYPE8, out), -1);
    assert_int_equal(secret_hash_check_format(SECRET_TYPE5, out), -1);
    assert_true(secret_verify(pw, out));
    assert_false(secret_verify("s3cret pasS", out));
    assert_false(secret_verify("s3cret pas", out));
    assert_false(secret_verify("", out));
}

static void test_salt_is_random(void **state)
{
    (void)state;
    char a[SECRET_HASH_MAX], b[SECRET_HASH_MAX];

    assert_int_equal(secret_hash9("same", a, sizeof(a)), 0);
    assert_int_equal(secret_hash9("same", b, sizeof(b)), 0);
    assert_string_not_equal(a, b);
    assert_memory_not_equal(a + 3, b + 3, 14);
    assert_true(secret_verify("same", a));
    assert_true(secret_verify("same", b));
}

static void test_hash9_bad_args(void **state)
{
    (void)state;
    char out[SECRET_HASH_MAX];

    memset(out, 'X', sizeof(out));
    assert_int_equal(secret_hash9("pw", out, SECRET_HASH_MAX - 1), -1);
    assert_int_equal(out[0], '\0');
    assert_int_equal(secret_hash9(NULL, out, sizeof(out)), -1);
    assert_int_equal(secret_hash9("pw", NULL, sizeof(out)), -1);
    assert_int_equal(secret_hash9("pw", out, 0), -1);
}

struct bad {
    int type;
    const char *hash;
};

static const struct bad malformed[] = {
    /* empty / prefix only */
    {SECRET_TYPE9, ""},
    {SECRET_TYPE9, "$9$"},
    {SECRET_TYPE8, "$8$"},
    {SECRET_TYPE5, "$1$"},
    {SECRET_TYPE5, "$1$$"},
    /* wrong prefix */
    {SECRET_TYPE9, "9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE9, "$9 2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE9, "$7$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE9, " $9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE5, "$5$28772684$iEwNOgGugqO9.bIz5sk8k/"},
    /* short / long hash part */
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo"},
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6."},
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsU$"},
    {SECRET_TYPE8, "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFW"},
    {SECRET_TYPE8, "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk."},
    {SECRET_TYPE5, "$1$28772684$iEwNOgGugqO9.bIz5sk8k"},
    {SECRET_TYPE5, "$1$28772684$iEwNOgGugqO9.bIz5sk8k/."},
    /* short / long salt */
    {SECRET_TYPE9, "$9$2MJBozw/9R3Us$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsUU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE5, "$1$287726845$iEwNOgGugqO9.bIz5sk8k/"},
    /* missing '$' */
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsU2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsUx2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE5, "$1$28772684iEwNOgGugqO9.bIz5sk8k/"},
    /* extra '$' */
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6$"},
    {SECRET_TYPE5, "$1$28772684$iEwNOgGugqO9.bIz5sk8k/$"},
    {SECRET_TYPE5, "$1$2877$2684$iEwNOgGugqO9.bIz5sk8k/"},
    /* characters outside the alphabet, in the salt and in the hash */
    {SECRET_TYPE9, "$9$2MJBozw+9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOd=o6"},
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaag-UOGBymkryvOdfo6"},
    {SECRET_TYPE8, "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdF k"},
    {SECRET_TYPE8, "$8$TnGX_fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk"},
    {SECRET_TYPE5, "$1$2877\xc3\xbc$iEwNOgGugqO9.bIz5sk8k/"},
    {SECRET_TYPE5, "$1$28772684$iEwNOgGugqO9+bIz5sk8k/"},
    /* final character carrying bits beyond the key length */
    {SECRET_TYPE9, "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo7"},
    {SECRET_TYPE8, "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWl"},
    {SECRET_TYPE5, "$1$28772684$iEwNOgGugqO9.bIz5sk8k2"},
};

static void test_malformed_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEM(malformed); i++) {
        const struct bad *b = &malformed[i];
        if (secret_hash_check_format(b->type, b->hash) != -1)
            fail_msg("check_format(%d, \"%s\") accepted (case %zu)", b->type, b->hash, i);
        /* The passwords that match the well-formed originals. */
        assert_false(secret_verify("hashcat", b->hash));
        assert_false(secret_verify("", b->hash));
    }
}

/* Well-formed hashes offered under the wrong type (or an unsupported one). */
static const struct bad mismatched[] = {
    {SECRET_TYPE8, "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE5, "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {SECRET_TYPE9, "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk"},
    {SECRET_TYPE9, "$1$28772684$iEwNOgGugqO9.bIz5sk8k/"},
    {SECRET_TYPE8, "$1$28772684$iEwNOgGugqO9.bIz5sk8k/"},
    {7, "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"},
    {4, "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk"},
    {0, "$1$28772684$iEwNOgGugqO9.bIz5sk8k/"},
};

static void test_type_prefix_mismatch(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEM(mismatched); i++) {
        const struct bad *b = &mismatched[i];
        if (secret_hash_check_format(b->type, b->hash) != -1)
            fail_msg("check_format(%d, \"%s\") accepted (case %zu)", b->type, b->hash, i);
        /* verify detects the type from the prefix, so these still verify. */
        assert_true(secret_verify("hashcat", b->hash));
    }
}

static void test_null_and_unknown(void **state)
{
    (void)state;
    assert_int_equal(secret_hash_check_format(SECRET_TYPE9, NULL), -1);
    assert_false(secret_verify("hashcat", NULL));
    assert_false(secret_verify(NULL, kat9[0].hash));
    assert_false(secret_verify("hashcat", ""));
    assert_false(secret_verify("hashcat", "hashcat"));
    assert_false(secret_verify("", ""));
    /* Type 4 (unsalted SHA-256) and anything else is never accepted. */
    assert_false(secret_verify("hashcat", "2btjjy78REtmYkkW0csHUbJZOstRXoWdX1mGrmmfeHI"));
    assert_false(secret_verify("hashcat", "$4$abc$def"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kat_type9),
        cmocka_unit_test(test_kat_type8),
        cmocka_unit_test(test_kat_type5),
        cmocka_unit_test(test_type_is_bound_to_prefix),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_salt_is_random),
        cmocka_unit_test(test_hash9_bad_args),
        cmocka_unit_test(test_malformed_rejected),
        cmocka_unit_test(test_type_prefix_mismatch),
        cmocka_unit_test(test_null_and_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
