/* Cisco IOS secret hashing: generate type 9 (scrypt), verify types 5 (MD5-crypt), 8 (PBKDF2)
 * and 9. All primitives come from OpenSSL 3; MD5-crypt is built on EVP MD5. */
#include "secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

static const char cisco64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#define T89_SALT_LEN 14
#define T89_KEY_LEN 32
#define T89_HASH_CHARS 43 /* 32 bytes in base64 without padding */
#define T89_TOTAL_LEN (3 + T89_SALT_LEN + 1 + T89_HASH_CHARS)

#define T9_SCRYPT_N 16384
#define T9_SCRYPT_R 1
#define T9_SCRYPT_P 1
#define T8_PBKDF2_ITER 20000

#define T5_SALT_MAX 8
#define T5_HASH_CHARS 22

/* Index of c in the alphabet, or -1. */
static int cisco64_index(char c)
{
    if (c == '.') return 0;
    if (c == '/') return 1;
    if (c >= '0' && c <= '9') return 2 + (c - '0');
    if (c >= 'A' && c <= 'Z') return 12 + (c - 'A');
    if (c >= 'a' && c <= 'z') return 38 + (c - 'a');
    return -1;
}

static bool all_cisco64(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cisco64_index(s[i]) < 0) return false;
    return true;
}

/* Standard (big-endian) base64 bit order over the Cisco alphabet, no padding. Writes
 * ceil(len * 4 / 3) characters, no terminator. */
static void cisco64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        unsigned long v =
            ((unsigned long)in[i] << 16) | ((unsigned long)in[i + 1] << 8) | in[i + 2];
        *out++ = cisco64[(v >> 18) & 63];
        *out++ = cisco64[(v >> 12) & 63];
        *out++ = cisco64[(v >> 6) & 63];
        *out++ = cisco64[v & 63];
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)in[i] << 16;
        *out++ = cisco64[(v >> 18) & 63];
        *out++ = cisco64[(v >> 12) & 63];
    } else if (len - i == 2) {
        unsigned long v = ((unsigned long)in[i] << 16) | ((unsigned long)in[i + 1] << 8);
        *out++ = cisco64[(v >> 18) & 63];
        *out++ = cisco64[(v >> 12) & 63];
        *out++ = cisco64[(v >> 6) & 63];
    }
}

/* Type 8 / 9 key derivation; salt is the 14 salt characters used as bytes. */
static int derive_t89(int type, const char *cleartext, const char *salt,
                      unsigned char key[T89_KEY_LEN])
{
    size_t pwlen = strlen(cleartext);

    if (type == SECRET_TYPE9) {
        /* maxmem 0 = OpenSSL's default limit (32 MiB); this needs 128 * r * N = 2 MiB. */
        if (EVP_PBE_scrypt(cleartext, pwlen, (const unsigned char *)salt, T89_SALT_LEN, T9_SCRYPT_N,
                           T9_SCRYPT_R, T9_SCRYPT_P, 0, key, T89_KEY_LEN) != 1)
            return -1;
        return 0;
    }
    if (pwlen > (size_t)0x7fffffff) return -1;
    if (PKCS5_PBKDF2_HMAC(cleartext, (int)pwlen, (const unsigned char *)salt, T89_SALT_LEN,
                          T8_PBKDF2_ITER, EVP_sha256(), T89_KEY_LEN, key) != 1)
        return -1;
    return 0;
}

/* Computes the 43-character hash text for a type 8 / 9 secret (no terminator). */
static int hash_text_t89(int type, const char *cleartext, const char *salt,
                         char text[T89_HASH_CHARS])
{
    unsigned char key[T89_KEY_LEN];
    int rc = derive_t89(type, cleartext, salt, key);
    if (rc == 0) cisco64_encode(key, sizeof(key), text);
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

/* ---- MD5-crypt ($1$), Poul-Henning Kamp's algorithm ---- */

static int md5_update(EVP_MD_CTX *ctx, const void *p, size_t n)
{
    return EVP_DigestUpdate(ctx, p, n) == 1 ? 0 : -1;
}

/* Little-endian 6-bit groups, as crypt(3) emits them. */
static char *put_crypt64(char *out, unsigned long v, int n)
{
    while (n-- > 0) {
        *out++ = cisco64[v & 63];
        v >>= 6;
    }
    return out;
}

/* Computes the 22-character MD5-crypt hash text (no terminator) for salt[0..saltlen). */
static int md5crypt_text(const char *pw, const char *salt, size_t saltlen, char text[T5_HASH_CHARS])
{
    static const unsigned char zero = 0;
    const EVP_MD *md5 = EVP_md5();
    size_t pwlen = strlen(pw);
    unsigned char fin[16], alt[16];
    unsigned int dlen = 0;
    int rc = -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_MD_CTX *actx = EVP_MD_CTX_new();

    if (ctx == NULL || actx == NULL || md5 == NULL) goto out;

    /* alt = MD5(pw salt pw) */
    if (EVP_DigestInit_ex(actx, md5, NULL) != 1 || md5_update(actx, pw, pwlen) ||
        md5_update(actx, salt, saltlen) || md5_update(actx, pw, pwlen) ||
        EVP_DigestFinal_ex(actx, alt, &dlen) != 1)
        goto out;

    if (EVP_DigestInit_ex(ctx, md5, NULL) != 1 || md5_update(ctx, pw, pwlen) ||
        md5_update(ctx, "$1$", 3) || md5_update(ctx, salt, saltlen))
        goto out;
    for (size_t left = pwlen; left > 0; left -= left > 16 ? 16 : left)
        if (md5_update(ctx, alt, left > 16 ? 16 : left)) goto out;
    for (size_t bits = pwlen; bits > 0; bits >>= 1)
        if (md5_update(ctx, (bits & 1) ? (const void *)&zero : (const void *)pw, 1)) goto out;
    if (EVP_DigestFinal_ex(ctx, fin, &dlen) != 1) goto out;

    for (int i = 0; i < 1000; i++) {
        if (EVP_DigestInit_ex(ctx, md5, NULL) != 1) goto out;
        if ((i & 1) ? md5_update(ctx, pw, pwlen) : md5_update(ctx, fin, sizeof(fin))) goto out;
        if ((i % 3) && md5_update(ctx, salt, saltlen)) goto out;
        if ((i % 7) && md5_update(ctx, pw, pwlen)) goto out;
        if ((i & 1) ? md5_update(ctx, fin, sizeof(fin)) : md5_update(ctx, pw, pwlen)) goto out;
        if (EVP_DigestFinal_ex(ctx, fin, &dlen) != 1) goto out;
    }

    static const unsigned char order[5][3] = {
        {0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}};
    char *p = text;
    for (int g = 0; g < 5; g++) {
        unsigned long v = ((unsigned long)fin[order[g][0]] << 16) |
                          ((unsigned long)fin[order[g][1]] << 8) | fin[order[g][2]];
        p = put_crypt64(p, v, 4);
    }
    put_crypt64(p, fin[11], 2);
    rc = 0;

out:
    EVP_MD_CTX_free(ctx);
    EVP_MD_CTX_free(actx);
    OPENSSL_cleanse(fin, sizeof(fin));
    OPENSSL_cleanse(alt, sizeof(alt));
    return rc;
}

/* ---- public API ---- */

int secret_hash9(const char *cleartext, char *out, size_t outlen)
{
    unsigned char rnd[T89_SALT_LEN];
    char salt[T89_SALT_LEN];

    if (out != NULL && outlen > 0) out[0] = '\0';
    if (cleartext == NULL || out == NULL || outlen < SECRET_HASH_MAX) return -1;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) return -1;
    /* 256 is a multiple of 64, so masking keeps every character equally likely. */
    for (size_t i = 0; i < sizeof(rnd); i++) salt[i] = cisco64[rnd[i] & 63];
    OPENSSL_cleanse(rnd, sizeof(rnd));

    memcpy(out, "$9$", 3);
    memcpy(out + 3, salt, T89_SALT_LEN);
    out[3 + T89_SALT_LEN] = '$';
    if (hash_text_t89(SECRET_TYPE9, cleartext, salt, out + 4 + T89_SALT_LEN) != 0) {
        OPENSSL_cleanse(out, T89_TOTAL_LEN);
        out[0] = '\0';
        return -1;
    }
    out[T89_TOTAL_LEN] = '\0';
    return 0;
}

/* The final character of an encoding that carries fewer than 6 bits must leave the unused
 * bits zero; anything else could never be produced (and never verify). */
static bool last_char_canonical(char c, int used_bits, bool low_bits_used)
{
    int v = cisco64_index(c);
    if (v < 0) return false;
    if (low_bits_used) return v < (1 << used_bits); /* crypt(3) order: high bits unused */
    return (v & ((1 << (6 - used_bits)) - 1)) == 0; /* base64 order: low bits unused */
}

static int check_t89(const char *hash)
{
    if (strlen(hash) != T89_TOTAL_LEN) return -1;
    if (!all_cisco64(hash + 3, T89_SALT_LEN)) return -1;
    if (hash[3 + T89_SALT_LEN] != '$') return -1;
    const char *h = hash + 4 + T89_SALT_LEN;
    if (!all_cisco64(h, T89_HASH_CHARS)) return -1;
    /* 32 bytes = 256 bits over 43 characters: the last one carries 4 bits. */
    if (!last_char_canonical(h[T89_HASH_CHARS - 1], 4, false)) return -1;
    return 0;
}

/* On success stores the salt length. */
static int check_t5(const char *hash, size_t *saltlen)
{
    const char *salt = hash + 3;
    const char *dollar = strchr(salt, '$');
    if (dollar == NULL) return -1;
    size_t slen = (size_t)(dollar - salt);
    if (slen < 1 || slen > T5_SALT_MAX || !all_cisco64(salt, slen)) return -1;
    const char *h = dollar + 1;
    if (strlen(h) != T5_HASH_CHARS || !all_cisco64(h, T5_HASH_CHARS)) return -1;
    /* 16 bytes over 22 characters: the last one carries the top 2 bits of byte 11. */
    if (!last_char_canonical(h[T5_HASH_CHARS - 1], 2, true)) return -1;
    *saltlen = slen;
    return 0;
}

int secret_hash_check_format(int type, const char *hash)
{
    size_t saltlen;

    if (hash == NULL) return -1;
    switch (type) {
    case SECRET_TYPE9: return strncmp(hash, "$9$", 3) == 0 ? check_t89(hash) : -1;
    case SECRET_TYPE8: return strncmp(hash, "$8$", 3) == 0 ? check_t89(hash) : -1;
    case SECRET_TYPE5: return strncmp(hash, "$1$", 3) == 0 ? check_t5(hash, &saltlen) : -1;
    default: return -1;
    }
}

bool secret_verify(const char *cleartext, const char *hash)
{
    char text[T89_HASH_CHARS];
    const char *stored;
    size_t n, saltlen;
    int rc;

    if (cleartext == NULL || hash == NULL) return false;

    if (strncmp(hash, "$9$", 3) == 0 || strncmp(hash, "$8$", 3) == 0) {
        int type = hash[1] == '9' ? SECRET_TYPE9 : SECRET_TYPE8;
        if (check_t89(hash) != 0) return false;
        rc = hash_text_t89(type, cleartext, hash + 3, text);
        stored = hash + 4 + T89_SALT_LEN;
        n = T89_HASH_CHARS;
    } else if (strncmp(hash, "$1$", 3) == 0) {
        if (check_t5(hash, &saltlen) != 0) return false;
        rc = md5crypt_text(cleartext, hash + 3, saltlen, text);
        stored = hash + 4 + saltlen;
        n = T5_HASH_CHARS;
    } else {
        return false;
    }

    bool match = rc == 0 && CRYPTO_memcmp(text, stored, n) == 0;
    OPENSSL_cleanse(text, sizeof(text));
    return match;
}
