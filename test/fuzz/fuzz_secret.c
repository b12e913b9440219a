/* libFuzzer harness for cli/secret.h: the format check of hashes typed back in a configuration
 * (`enable secret 5|8|9 HASH`, `username NAME secret 5|8|9 HASH`) and secret_verify on them.
 *
 * Input: a selector byte, then the hash up to the first newline, then the cleartext. The
 * selector's value % 5 picks what to do, arranged so that seeds read well: '5' (3) checks the
 * hash as type 5, '8' (1) as type 8, '9' (2) as type 9, '7' (0) as a type that is none of
 * them (the selector's value - 128); 'c' (4) instead builds a type 5 hash with glibc's crypt(3)
 * from the hash field (as salt) and the cleartext, and checks that we accept and verify it.
 *
 * secret_verify runs the full KDF only for a well-formed type 5 hash (MD5-crypt, fast);
 * scrypt and PBKDF2 are far too slow to fuzz, so for "$8$" and "$9$" it is called only on
 * hashes the format check rejects, where it must say no without deriving anything.
 *
 * Invariants checked, besides the sanitizers: a hash is well-formed for at most its own
 * prefix's type, with its exact shape; malformed hashes never verify; crypt(3)'s type 5
 * hashes are well-formed and verify. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifdef HAVE_CRYPT
#include <crypt.h>
#endif

#include "cli/secret.h"
#include "test/fuzz/fuzz_util.h"

static const char alphabet[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static bool in_alphabet(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(alphabet, s[i])) return false;
    return true;
}

static int prefix_type(const char *hash)
{
    if (!strncmp(hash, "$1$", 3)) return SECRET_TYPE5;
    if (!strncmp(hash, "$8$", 3)) return SECRET_TYPE8;
    if (!strncmp(hash, "$9$", 3)) return SECRET_TYPE9;
    return 0;
}

/* The documented shape of a hash the format check accepted. */
static void check_shape(int type, const char *hash)
{
    size_t len = strlen(hash);
    FUZZ_CHECK(prefix_type(hash) == type);
    if (type == SECRET_TYPE5) {
        const char *dollar = strchr(hash + 3, '$');
        FUZZ_CHECK(dollar != NULL);
        size_t salt = (size_t)(dollar - hash - 3);
        FUZZ_CHECK(salt >= 1 && salt <= 8 && in_alphabet(hash + 3, salt));
        FUZZ_CHECK(len == 3 + salt + 1 + 22 && in_alphabet(dollar + 1, 22));
    } else {
        FUZZ_CHECK(len == 3 + 14 + 1 + 43 && hash[17] == '$');
        FUZZ_CHECK(in_alphabet(hash + 3, 14) && in_alphabet(hash + 18, 43));
    }
}

static void check_hash(int type, const char *hash, const char *cleartext)
{
    int fmt = secret_hash_check_format(type, hash);
    FUZZ_CHECK(fmt == 0 || fmt == -1);
    if (fmt == 0) {
        FUZZ_CHECK(type == SECRET_TYPE5 || type == SECRET_TYPE8 || type == SECRET_TYPE9);
        check_shape(type, hash);
    }
    /* Well-formed for its own type at most. */
    static const int types[] = {SECRET_TYPE5, SECRET_TYPE8, SECRET_TYPE9};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i] != prefix_type(hash)) FUZZ_CHECK(secret_hash_check_format(types[i], hash));

    int own = prefix_type(hash);
    bool wellformed = own && secret_hash_check_format(own, hash) == 0;
    if (!wellformed)
        FUZZ_CHECK(!secret_verify(cleartext, hash));
    else if (own == SECRET_TYPE5)
        (void)secret_verify(cleartext, hash); /* MD5-crypt itself: the sanitizers watch */
}

#ifdef HAVE_CRYPT
/* Differential: glibc's MD5-crypt of cleartext with a salt made of the salt field's bytes. */
static void check_crypt(const char *salt_field, const char *cleartext)
{
    char setting[3 + 8 + 2] = "$1$";
    size_t n = 0;
    for (const char *p = salt_field; *p && n < 8; p++)
        setting[3 + n++] = alphabet[(unsigned char)*p % 64];
    if (n == 0) setting[3 + n++] = 'a';
    setting[3 + n] = '$';
    setting[4 + n] = '\0';

    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (!cd) abort();
    const char *h = crypt_r(cleartext, setting, cd);
    if (!h || h[0] == '*') { /* a passphrase libxcrypt refuses (too long): nothing to compare */
        free(cd);
        return;
    }
    FUZZ_CHECK(!strncmp(h, setting, strlen(setting)));
    if (secret_hash_check_format(SECRET_TYPE5, h) != 0 || !secret_verify(cleartext, h))
        fprintf(stderr, "crypt(3) hash %s of the cleartext is not accepted\n", h);
    FUZZ_CHECK(secret_hash_check_format(SECRET_TYPE5, h) == 0);
    FUZZ_CHECK(secret_verify(cleartext, h));
    free(cd);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char *hash = fuzz_strdup(data + 1, size - 1);
    char *cleartext = fuzz_split(hash, '\n');
    if (!cleartext) cleartext = hash + strlen(hash);

    switch (data[0] % 5) {
    case 0: check_hash(data[0] - 128, hash, cleartext); break;
    case 1: check_hash(SECRET_TYPE8, hash, cleartext); break;
    case 2: check_hash(SECRET_TYPE9, hash, cleartext); break;
    case 3: check_hash(SECRET_TYPE5, hash, cleartext); break;
    default:
#ifdef HAVE_CRYPT
        check_crypt(hash, cleartext);
#endif
        break;
    }
    free(hash);
    return 0;
}
