/* IKEv2 cryptography over OpenSSL 3 EVP: see ike_crypto.h.
 *
 * The algorithm objects (HMAC, digests, ciphers, DH/EC domain parameters) are fetched once,
 * under pthread_once, and only read afterwards, so every function here may run on any thread.
 * Per-call state (MAC and cipher contexts, peer keys) lives in the call and is freed, and
 * wiped by OpenSSL's free functions, before it returns. */
#include "ike/ike_crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_wire.h"
#include "platform/bytes.h"

/* ---------------------------------------------------------------------------------------- */
/* Algorithm tables */

enum dig { DIG_SHA1, DIG_SHA256, DIG_SHA384, DIG_SHA512, DIG_N };
static const char *const dig_names[DIG_N] = {"SHA1", "SHA256", "SHA384", "SHA512"};
static const size_t dig_len[DIG_N] = {20, 32, 48, 64};

enum dh_kind { DHK_MODP, DHK_ECP, DHK_X25519 };
struct dh_grp {
    uint16_t id;
    enum dh_kind kind;
    const char *ossl; /* OpenSSL group / curve / algorithm name */
    int nid;          /* EC curves: for the test-only key import */
    size_t publen;    /* KE data length (RFC 7296 §3.4, RFC 5903 §7, RFC 8031 §2) */
    size_t seclen;    /* g^ir length */
    const char *name; /* as IOS's `show crypto ikev2 proposal` */
};
static const struct dh_grp dh_grps[] = {
    {IKE_DH_MODP2048, DHK_MODP, "modp_2048", 0, 256, 256, "DH_GROUP_2048_MODP/Group 14"},
    {IKE_DH_MODP3072, DHK_MODP, "modp_3072", 0, 384, 384, "DH_GROUP_3072_MODP/Group 15"},
    {IKE_DH_MODP4096, DHK_MODP, "modp_4096", 0, 512, 512, "DH_GROUP_4096_MODP/Group 16"},
    {IKE_DH_ECP256, DHK_ECP, "P-256", NID_X9_62_prime256v1, 64, 32, "DH_GROUP_256_ECP/Group 19"},
    {IKE_DH_ECP384, DHK_ECP, "P-384", NID_secp384r1, 96, 48, "DH_GROUP_384_ECP/Group 20"},
    {IKE_DH_ECP521, DHK_ECP, "P-521", NID_secp521r1, 132, 66, "DH_GROUP_521_ECP/Group 21"},
    /* IOS does not offer group 31; the name follows the pattern of the others. */
    {IKE_DH_CURVE25519, DHK_X25519, "X25519", 0, 32, 32, "DH_GROUP_CURVE25519/Group 31"},
};
#define N_DH_GRPS (sizeof dh_grps / sizeof dh_grps[0])

static const struct dh_grp *dh_find(uint16_t id, size_t *idx)
{
    for (size_t i = 0; i < N_DH_GRPS; i++)
        if (dh_grps[i].id == id) {
            if (idx) *idx = i;
            return &dh_grps[i];
        }
    return NULL;
}

static int prf_dig(uint16_t prf)
{
    switch (prf) {
    case IKE_PRF_HMAC_SHA1: return DIG_SHA1;
    case IKE_PRF_HMAC_SHA2_256: return DIG_SHA256;
    case IKE_PRF_HMAC_SHA2_384: return DIG_SHA384;
    case IKE_PRF_HMAC_SHA2_512: return DIG_SHA512;
    default: return -1;
    }
}

/* Integrity transforms (RFC 7296 §3.3.2; RFC 2404, RFC 4868 §2.1): the key is as long as
 * the digest output, the ICV is its truncation. */
static int integ_dig(uint16_t integ, size_t *icv)
{
    switch (integ) {
    case IKE_INTEG_HMAC_SHA1_96: *icv = 12; return DIG_SHA1;
    case IKE_INTEG_HMAC_SHA2_256_128: *icv = 16; return DIG_SHA256;
    case IKE_INTEG_HMAC_SHA2_384_192: *icv = 24; return DIG_SHA384;
    case IKE_INTEG_HMAC_SHA2_512_256: *icv = 32; return DIG_SHA512;
    default: return -1;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* One-time fetches */

static struct {
    bool ok;
    EVP_MAC_CTX *hmac[DIG_N]; /* digest set, no key: duplicated per use */
    EVP_CIPHER *cbc128, *cbc256, *gcm128, *gcm256;
    EVP_PKEY *params[N_DH_GRPS]; /* MODP / ECP domain parameters (key generation, peers) */
    uint8_t modp_pm1[N_DH_GRPS][IKE_MAX_DH_LEN]; /* MODP: p - 1, big-endian, modulus length */
} G;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static EVP_PKEY *params_from_group(const char *alg, const char *group)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    EVP_PKEY *pk = NULL;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!c || EVP_PKEY_fromdata_init(c) <= 0 ||
        EVP_PKEY_fromdata(c, &pk, EVP_PKEY_KEY_PARAMETERS, p) <= 0)
        pk = NULL;
    EVP_PKEY_CTX_free(c);
    return pk;
}

static void g_init(void)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac) return;
    for (int d = 0; d < DIG_N; d++) {
        OSSL_PARAM p[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)dig_names[d], 0),
            OSSL_PARAM_construct_end(),
        };
        G.hmac[d] = EVP_MAC_CTX_new(mac);
        if (!G.hmac[d] || !EVP_MAC_CTX_set_params(G.hmac[d], p)) {
            EVP_MAC_free(mac);
            return;
        }
    }
    EVP_MAC_free(mac); /* each context holds its own reference */
    G.cbc128 = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
    G.cbc256 = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    G.gcm128 = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    G.gcm256 = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (!G.cbc128 || !G.cbc256 || !G.gcm128 || !G.gcm256) return;
    for (size_t i = 0; i < N_DH_GRPS; i++) {
        const struct dh_grp *g = &dh_grps[i];
        if (g->kind == DHK_X25519) continue;
        G.params[i] = params_from_group(g->kind == DHK_MODP ? "DH" : "EC", g->ossl);
        if (!G.params[i]) return;
        if (g->kind != DHK_MODP) continue;
        BIGNUM *p = NULL;
        if (!EVP_PKEY_get_bn_param(G.params[i], OSSL_PKEY_PARAM_FFC_P, &p)) return;
        bool good = (size_t)BN_num_bytes(p) == g->publen && BN_is_odd(p) &&
                    BN_bn2binpad(p, G.modp_pm1[i], (int)g->publen) == (int)g->publen;
        BN_free(p);
        if (!good) return;
        G.modp_pm1[i][g->publen - 1] &= 0xfe; /* p is odd: p - 1 clears the lowest bit */
    }
    G.ok = true;
}

static bool g_ready(void)
{
    return pthread_once(&g_once, g_init) == 0 && G.ok;
}

/* ---------------------------------------------------------------------------------------- */
/* Names and capabilities */

bool ike_crypto_supported(uint8_t transform_type, uint16_t id, uint16_t keylen)
{
    size_t icv;
    switch (transform_type) {
    case IKE_TT_ENCR:
        return (id == IKE_ENCR_AES_CBC || id == IKE_ENCR_AES_GCM_16) &&
               (keylen == 128 || keylen == 256);
    case IKE_TT_PRF: return prf_dig(id) >= 0;
    case IKE_TT_INTEG: return integ_dig(id, &icv) >= 0;
    case IKE_TT_DH: return dh_find(id, NULL) != NULL;
    default: return false;
    }
}

const char *ike_encr_name(uint16_t id)
{
    switch (id) {
    case IKE_ENCR_AES_CBC: return "AES-CBC";
    case IKE_ENCR_AES_GCM_16: return "AES-GCM";
    default: return "unknown";
    }
}

const char *ike_prf_name(uint16_t id)
{
    switch (id) {
    case IKE_PRF_HMAC_SHA1: return "SHA1";
    case IKE_PRF_HMAC_SHA2_256: return "SHA256";
    case IKE_PRF_HMAC_SHA2_384: return "SHA384";
    case IKE_PRF_HMAC_SHA2_512: return "SHA512";
    default: return "unknown";
    }
}

const char *ike_integ_name(uint16_t id)
{
    switch (id) {
    case IKE_INTEG_HMAC_SHA1_96: return "SHA96";
    case IKE_INTEG_HMAC_SHA2_256_128: return "SHA256";
    case IKE_INTEG_HMAC_SHA2_384_192: return "SHA384";
    case IKE_INTEG_HMAC_SHA2_512_256: return "SHA512";
    default: return "unknown";
    }
}

const char *ike_dh_name(uint16_t group)
{
    const struct dh_grp *g = dh_find(group, NULL);
    return g ? g->name : "unknown";
}

int ike_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        if (RAND_bytes(p, chunk) != 1) return -1;
        p += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

bool ike_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

/* ---------------------------------------------------------------------------------------- */
/* HMAC */

struct chunk {
    const uint8_t *p;
    size_t n;
};

static EVP_MAC_CTX *hmac_new(int dig, const uint8_t *key, size_t klen)
{
    static const uint8_t nokey = 0; /* a NULL key would mean "keep the previous key" */
    if (dig < 0 || (!key && klen) || !g_ready()) return NULL;
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(G.hmac[dig]);
    if (!c) return NULL;
    if (!EVP_MAC_init(c, key ? key : &nokey, klen, NULL)) {
        EVP_MAC_CTX_free(c);
        return NULL;
    }
    return c;
}

static bool hmac_feed(EVP_MAC_CTX *c, const struct chunk *d, int nd)
{
    for (int i = 0; i < nd; i++)
        if (d[i].n && !EVP_MAC_update(c, d[i].p, d[i].n)) return false;
    return true;
}

/* HMAC over the concatenation of d[0..nd); out gets the full digest. Returns its length. */
static size_t hmac_chunks(int dig, const uint8_t *key, size_t klen, const struct chunk *d, int nd,
                          uint8_t *out)
{
    if (dig < 0) return 0;
    EVP_MAC_CTX *c = hmac_new(dig, key, klen);
    size_t ol = 0;
    bool ok =
        c && hmac_feed(c, d, nd) && EVP_MAC_final(c, out, &ol, dig_len[dig]) && ol == dig_len[dig];
    EVP_MAC_CTX_free(c); /* frees and wipes the key copy */
    if (!ok) {
        OPENSSL_cleanse(out, dig_len[dig]);
        return 0;
    }
    return ol;
}

/* ---------------------------------------------------------------------------------------- */
/* PRF and prf+ (RFC 7296 §2.13) */

size_t ike_prf_len(uint16_t prf)
{
    int d = prf_dig(prf);
    return d < 0 ? 0 : dig_len[d];
}

size_t ike_prf(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
               uint8_t *out)
{
    int d = prf_dig(prf);
    if (d < 0 || !out || (!data && dlen)) return 0;
    struct chunk c = {data, dlen};
    return hmac_chunks(d, key, klen, &c, 1, out);
}

/* prf+ (K, S) = T1 | T2 | ... with T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n). */
static int prf_plus_chunks(uint16_t prf, const uint8_t *key, size_t klen, const struct chunk *s,
                           int ns, uint8_t *out, size_t outlen)
{
    int d = prf_dig(prf);
    if (d < 0 || (!out && outlen)) return -1;
    size_t hl = dig_len[d];
    if (outlen > 255 * hl) return -1; /* the counter is one octet */
    if (outlen == 0) return 0;
    EVP_MAC_CTX *c = hmac_new(d, key, klen);
    if (!c) return -1;
    uint8_t t[IKE_MAX_PRF_LEN];
    size_t tl = 0, done = 0;
    int rc = 0;
    for (unsigned n = 1; done < outlen; n++) {
        uint8_t cnt = (uint8_t)n;
        size_t ol = 0;
        /* After the first block, a NULL key restarts HMAC with the same key. */
        if ((n > 1 && !EVP_MAC_init(c, NULL, 0, NULL)) || (tl && !EVP_MAC_update(c, t, tl)) ||
            !hmac_feed(c, s, ns) || !EVP_MAC_update(c, &cnt, 1) ||
            !EVP_MAC_final(c, t, &ol, sizeof t) || ol != hl) {
            rc = -1;
            break;
        }
        tl = hl;
        size_t take = outlen - done < hl ? outlen - done : hl;
        memcpy(out + done, t, take);
        done += take;
    }
    OPENSSL_cleanse(t, sizeof t);
    EVP_MAC_CTX_free(c);
    if (rc) OPENSSL_cleanse(out, outlen);
    return rc;
}

int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *seed, size_t slen,
                 uint8_t *out, size_t outlen)
{
    if (!seed && slen) return -1;
    struct chunk c = {seed, slen};
    return prf_plus_chunks(prf, key, klen, &c, 1, out, outlen);
}

/* ---------------------------------------------------------------------------------------- */
/* Suites */

/* A suite the SK code can run: AES-CBC with an integrity algorithm, or AES-GCM-16 without
 * one (RFC 5282 §8: an AEAD proposal carries no integrity transform, or NONE). */
static bool suite_ok(const struct ike_suite *s)
{
    size_t icv;
    if (!s || (s->keylen != 128 && s->keylen != 256) || prf_dig(s->prf) < 0) return false;
    if (s->encr == IKE_ENCR_AES_CBC) return integ_dig(s->integ, &icv) >= 0;
    if (s->encr == IKE_ENCR_AES_GCM_16) return s->integ == IKE_INTEG_NONE;
    return false;
}

size_t ike_suite_enc_key_len(const struct ike_suite *s)
{
    if (!suite_ok(s)) return 0;
    return s->keylen / 8 + (s->encr == IKE_ENCR_AES_GCM_16 ? 4 : 0);
}

size_t ike_suite_integ_key_len(const struct ike_suite *s)
{
    size_t icv;
    if (!suite_ok(s) || s->encr == IKE_ENCR_AES_GCM_16) return 0;
    return dig_len[integ_dig(s->integ, &icv)];
}

size_t ike_suite_iv_len(const struct ike_suite *s)
{
    if (!suite_ok(s)) return 0;
    return s->encr == IKE_ENCR_AES_GCM_16 ? 8 : 16; /* RFC 5282 §3, RFC 3602 §3 */
}

size_t ike_suite_icv_len(const struct ike_suite *s)
{
    size_t icv = 16; /* RFC 5282 §3: the full 16-octet tag */
    if (!suite_ok(s)) return 0;
    if (s->encr == IKE_ENCR_AES_CBC) integ_dig(s->integ, &icv);
    return icv;
}

size_t ike_suite_block(const struct ike_suite *s)
{
    if (!suite_ok(s)) return 0;
    return s->encr == IKE_ENCR_AES_GCM_16 ? 1 : 16;
}

/* ---------------------------------------------------------------------------------------- */
/* Key derivation (RFC 7296 §2.14, §2.17, §2.18) */

static const uint8_t *take(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (n) memcpy(dst, src, n);
    return src + n;
}

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi |
 * SPIr) with the suite's PRF (§2.14). */
static int expand_ike_keys(const struct ike_suite *s, const uint8_t *skeyseed, size_t sslen,
                           const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
                           uint64_t spi_i, uint64_t spi_r, struct ike_keys *k)
{
    uint8_t spis[16];
    put64(spis, spi_i);
    put64(spis + 8, spi_r);
    memset(k, 0, sizeof *k);
    k->suite = *s;
    k->prf_len = ike_prf_len(s->prf);
    k->ekey_len = ike_suite_enc_key_len(s);
    k->akey_len = ike_suite_integ_key_len(s);
    uint8_t km[3 * IKE_MAX_PRF_LEN + 2 * IKE_MAX_PRF_LEN + 2 * IKE_MAX_KEY_LEN];
    size_t total = 3 * k->prf_len + 2 * k->akey_len + 2 * k->ekey_len;
    const struct chunk seed[] = {{ni, nilen}, {nr, nrlen}, {spis, sizeof spis}};
    if (prf_plus_chunks(s->prf, skeyseed, sslen, seed, 3, km, total) != 0) {
        ike_keys_wipe(k);
        return -1;
    }
    const uint8_t *o = km;
    o = take(k->sk_d, o, k->prf_len);
    o = take(k->sk_ai, o, k->akey_len);
    o = take(k->sk_ar, o, k->akey_len);
    o = take(k->sk_ei, o, k->ekey_len);
    o = take(k->sk_er, o, k->ekey_len);
    o = take(k->sk_pi, o, k->prf_len);
    take(k->sk_pr, o, k->prf_len);
    OPENSSL_cleanse(km, sizeof km);
    return 0;
}

static bool args_ok(const uint8_t *p, size_t n)
{
    return p != NULL || n == 0;
}

int ike_derive_ike_keys(const struct ike_suite *s, const uint8_t *ni, size_t nilen,
                        const uint8_t *nr, size_t nrlen, const uint8_t *gir, size_t girlen,
                        uint64_t spi_i, uint64_t spi_r, struct ike_keys *k)
{
    if (!k) return -1;
    /* The PRF key Ni | Nr is built in place: nonces are at most IKE_NONCE_MAX (§3.9). */
    uint8_t nn[2 * IKE_NONCE_MAX];
    if (!suite_ok(s) || !args_ok(ni, nilen) || !args_ok(nr, nrlen) || !args_ok(gir, girlen) ||
        nilen > IKE_NONCE_MAX || nrlen > IKE_NONCE_MAX) {
        ike_keys_wipe(k);
        return -1;
    }
    if (nilen) memcpy(nn, ni, nilen);
    if (nrlen) memcpy(nn + nilen, nr, nrlen);
    uint8_t skeyseed[IKE_MAX_PRF_LEN];
    struct chunk c = {gir, girlen};
    size_t sl = hmac_chunks(prf_dig(s->prf), nn, nilen + nrlen, &c, 1, skeyseed);
    int rc = sl ? expand_ike_keys(s, skeyseed, sl, ni, nilen, nr, nrlen, spi_i, spi_r, k) : -1;
    OPENSSL_cleanse(skeyseed, sizeof skeyseed);
    if (rc) ike_keys_wipe(k);
    return rc;
}

int ike_derive_rekeyed_keys(uint16_t old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len,
                            const struct ike_suite *s, const uint8_t *ni, size_t nilen,
                            const uint8_t *nr, size_t nrlen, const uint8_t *gir, size_t girlen,
                            uint64_t spi_i, uint64_t spi_r, struct ike_keys *k)
{
    if (!k) return -1;
    if (!suite_ok(s) || prf_dig(old_prf) < 0 || !old_sk_d || !args_ok(ni, nilen) ||
        !args_ok(nr, nrlen) || !args_ok(gir, girlen)) {
        ike_keys_wipe(k);
        return -1;
    }
    /* §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr). */
    uint8_t skeyseed[IKE_MAX_PRF_LEN];
    const struct chunk c[] = {{gir, girlen}, {ni, nilen}, {nr, nrlen}};
    size_t sl = hmac_chunks(prf_dig(old_prf), old_sk_d, old_sk_d_len, c, 3, skeyseed);
    int rc = sl ? expand_ike_keys(s, skeyseed, sl, ni, nilen, nr, nrlen, spi_i, spi_r, k) : -1;
    OPENSSL_cleanse(skeyseed, sizeof skeyseed);
    if (rc) ike_keys_wipe(k);
    return rc;
}

int ike_derive_child_keymat(const struct ike_keys *k, const uint8_t *gir, size_t girlen,
                            const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
                            uint8_t *out, size_t outlen)
{
    if (!k || !out || !args_ok(ni, nilen) || !args_ok(nr, nrlen)) return -1;
    if (!gir) girlen = 0;
    /* §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) */
    const struct chunk c[] = {{gir, girlen}, {ni, nilen}, {nr, nrlen}};
    if (k->prf_len != ike_prf_len(k->suite.prf) || k->prf_len == 0) {
        OPENSSL_cleanse(out, outlen);
        return -1;
    }
    return prf_plus_chunks(k->suite.prf, k->sk_d, k->prf_len, c, 3, out, outlen);
}

void ike_keys_wipe(struct ike_keys *k)
{
    if (k) OPENSSL_cleanse(k, sizeof *k);
}

/* ---------------------------------------------------------------------------------------- */
/* SK payload (RFC 7296 §3.14; RFC 5282 §3-§5 for AES-GCM) */

struct sk_layout {
    bool gcm;
    const EVP_CIPHER *cipher;
    const uint8_t *ekey, *akey; /* akey: CBC only */
    size_t aklen;
    int adig; /* CBC integrity digest */
    size_t iv, ivlen;
    size_t ct, ctlen; /* encrypted region: inner payloads, padding, pad length */
    size_t icv, icvlen;
};

/* Locates IV, ciphertext and ICV in msg (the SK payload runs to the end of the message).
 * Returns 0, or -2 when the message cannot hold them, or -1 for unusable keys. */
static int sk_layout(const struct ike_keys *k, bool initiator, size_t len, size_t sk_off,
                     size_t hdr_len, struct sk_layout *l)
{
    const struct ike_suite *s = &k->suite;
    if (!suite_ok(s) || !g_ready() || k->ekey_len != ike_suite_enc_key_len(s) ||
        k->akey_len != ike_suite_integ_key_len(s))
        return -1;
    memset(l, 0, sizeof *l);
    l->gcm = s->encr == IKE_ENCR_AES_GCM_16;
    if (l->gcm)
        l->cipher = s->keylen == 128 ? G.gcm128 : G.gcm256;
    else
        l->cipher = s->keylen == 128 ? G.cbc128 : G.cbc256;
    l->ekey = initiator ? k->sk_ei : k->sk_er;
    l->akey = initiator ? k->sk_ai : k->sk_ar;
    l->aklen = k->akey_len;
    l->adig = l->gcm ? -1 : integ_dig(s->integ, &l->icvlen);
    if (l->gcm) l->icvlen = 16;
    l->ivlen = ike_suite_iv_len(s);
    /* Header, SK generic header (SKF: and the fragment numbers), IV, at least the pad length
     * byte, ICV. */
    if (sk_off < IKE_HDR_LEN || sk_off > len || len - sk_off < hdr_len + l->ivlen + 1 + l->icvlen)
        return -2;
    l->iv = sk_off + hdr_len;
    l->ct = l->iv + l->ivlen;
    l->icv = len - l->icvlen;
    l->ctlen = l->icv - l->ct;
    if (!l->gcm && l->ctlen % 16) return -2; /* CBC works on whole blocks, RFC 3602 §2.4 */
    return 0;
}

/* GCM nonce = salt (last 4 octets of SK_e) | explicit IV (RFC 5282 §4, §7.1). */
static void gcm_nonce(const struct ike_keys *k, const struct sk_layout *l, const uint8_t *msg,
                      uint8_t nonce[12])
{
    memcpy(nonce, l->ekey + k->ekey_len - 4, 4);
    memcpy(nonce + 4, msg + l->iv, 8);
}

static bool cbc_icv(const struct sk_layout *l, const uint8_t *msg, uint8_t mac[IKE_MAX_PRF_LEN])
{
    /* §3.14: the checksum covers the message from the first octet of the header through the
     * pad length, i.e. everything but the ICV. */
    struct chunk c = {msg, l->icv};
    return hmac_chunks(l->adig, l->akey, l->aklen, &c, 1, mac) != 0;
}

static int seal(const struct ike_keys *k, bool initiator, uint64_t iv_counter, uint8_t *msg,
                size_t len, size_t sk_off, size_t hdr_len)
{
    struct sk_layout l;
    if (!k || !msg || sk_layout(k, initiator, len, sk_off, hdr_len, &l) != 0) return -1;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c) return -1;
    int ol = 0, rc = -1;
    if (l.gcm) {
        /* RFC 5282 §3.1: the IV must never repeat under one key; the caller's counter does
         * that. */
        uint8_t nonce[12];
        put64(msg + l.iv, iv_counter);
        gcm_nonce(k, &l, msg, nonce);
        if (EVP_EncryptInit_ex2(c, l.cipher, l.ekey, nonce, NULL) &&
            EVP_EncryptUpdate(c, NULL, &ol, msg, (int)(sk_off + hdr_len)) &&
            EVP_EncryptUpdate(c, msg + l.ct, &ol, msg + l.ct, (int)l.ctlen) &&
            (size_t)ol == l.ctlen && EVP_EncryptFinal_ex(c, msg + l.ct + ol, &ol) && ol == 0 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, msg + l.icv) > 0)
            rc = 0;
        OPENSSL_cleanse(nonce, sizeof nonce);
    } else {
        /* §3.14: the IV is random and must be unpredictable. */
        uint8_t mac[IKE_MAX_PRF_LEN];
        if (ike_random(msg + l.iv, l.ivlen) == 0 &&
            EVP_EncryptInit_ex2(c, l.cipher, l.ekey, msg + l.iv, NULL) &&
            EVP_CIPHER_CTX_set_padding(c, 0) &&
            EVP_EncryptUpdate(c, msg + l.ct, &ol, msg + l.ct, (int)l.ctlen) &&
            (size_t)ol == l.ctlen && EVP_EncryptFinal_ex(c, msg + l.ct + ol, &ol) && ol == 0 &&
            cbc_icv(&l, msg, mac)) {
            memcpy(msg + l.icv, mac, l.icvlen);
            rc = 0;
        }
        OPENSSL_cleanse(mac, sizeof mac);
    }
    EVP_CIPHER_CTX_free(c);                          /* wipes the key schedule */
    if (rc) OPENSSL_cleanse(msg + l.ct, len - l.ct); /* no half-encrypted plaintext leaves */
    return rc;
}

static int open_sk(const struct ike_keys *k, bool initiator, uint8_t *msg, size_t len,
                   size_t sk_off, size_t hdr_len, const uint8_t **inner, size_t *inner_len)
{
    struct sk_layout l;
    if (!k || !msg || !inner || !inner_len) return -1;
    *inner = NULL;
    *inner_len = 0;
    int lr = sk_layout(k, initiator, len, sk_off, hdr_len, &l);
    if (lr != 0) return lr;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c) return -1;
    int ol = 0, rc = -1;
    if (l.gcm) {
        /* The tag covers AAD = header through the SK generic header (RFC 5282 §5.1), the IV
         * (through the nonce) and the ciphertext. Decryption runs in place before the tag is
         * known to be good, so a bad tag wipes the region rather than leave unauthenticated
         * plaintext behind. */
        uint8_t nonce[12], tag[16];
        gcm_nonce(k, &l, msg, nonce);
        memcpy(tag, msg + l.icv, 16);
        if (EVP_DecryptInit_ex2(c, l.cipher, l.ekey, nonce, NULL) &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0 &&
            EVP_DecryptUpdate(c, NULL, &ol, msg, (int)(sk_off + hdr_len)) &&
            EVP_DecryptUpdate(c, msg + l.ct, &ol, msg + l.ct, (int)l.ctlen) &&
            (size_t)ol == l.ctlen && EVP_DecryptFinal_ex(c, msg + l.ct + ol, &ol) > 0 && ol == 0)
            rc = 0;
        else
            OPENSSL_cleanse(msg + l.ct, l.ctlen);
        OPENSSL_cleanse(nonce, sizeof nonce);
    } else {
        /* Encrypt-then-MAC: the ICV is checked, in constant time, before anything is
         * decrypted. */
        uint8_t mac[IKE_MAX_PRF_LEN];
        if (cbc_icv(&l, msg, mac) && CRYPTO_memcmp(mac, msg + l.icv, l.icvlen) == 0) {
            uint8_t iv[16];
            memcpy(iv, msg + l.iv, sizeof iv);
            if (EVP_DecryptInit_ex2(c, l.cipher, l.ekey, iv, NULL) &&
                EVP_CIPHER_CTX_set_padding(c, 0) &&
                EVP_DecryptUpdate(c, msg + l.ct, &ol, msg + l.ct, (int)l.ctlen) &&
                (size_t)ol == l.ctlen && EVP_DecryptFinal_ex(c, msg + l.ct + ol, &ol) > 0 &&
                ol == 0)
                rc = 0;
            else
                OPENSSL_cleanse(msg + l.ct, l.ctlen);
        }
        OPENSSL_cleanse(mac, sizeof mac);
    }
    EVP_CIPHER_CTX_free(c);
    if (rc) return -1;
    /* §3.14: Pad Length counts the padding octets before it; the receiver must not check
     * their contents. */
    size_t padlen = msg[l.ct + l.ctlen - 1];
    if (padlen >= l.ctlen) return -2;
    *inner = msg + l.ct;
    *inner_len = l.ctlen - 1 - padlen;
    return 0;
}

int ike_sk_seal(const struct ike_keys *k, bool initiator, uint64_t iv_counter, uint8_t *msg,
                size_t len, size_t sk_off)
{
    return seal(k, initiator, iv_counter, msg, len, sk_off, IKE_GENERIC_HDR_LEN);
}

int ike_sk_open(const struct ike_keys *k, bool initiator, uint8_t *msg, size_t len, size_t sk_off,
                const uint8_t **inner, size_t *inner_len)
{
    return open_sk(k, initiator, msg, len, sk_off, IKE_GENERIC_HDR_LEN, inner, inner_len);
}

/* RFC 7383 §2.5: SKF is SK with Fragment Number and Total Fragments after the generic header;
 * for AEAD they are part of the associated data like the rest of the unencrypted header. */
int ike_skf_seal(const struct ike_keys *k, bool initiator, uint64_t iv_counter, uint8_t *msg,
                 size_t len, size_t skf_off)
{
    return seal(k, initiator, iv_counter, msg, len, skf_off, IKE_GENERIC_HDR_LEN + 4);
}

int ike_skf_open(const struct ike_keys *k, bool initiator, uint8_t *msg, size_t len, size_t skf_off,
                 const uint8_t **inner, size_t *inner_len)
{
    return open_sk(k, initiator, msg, len, skf_off, IKE_GENERIC_HDR_LEN + 4, inner, inner_len);
}

/* ---------------------------------------------------------------------------------------- */
/* AUTH (RFC 7296 §2.15) */

size_t ike_psk_auth(uint16_t prf, const uint8_t *psk, size_t psklen, const uint8_t *octets,
                    size_t olen, uint8_t *out)
{
    static const char keypad[] = "Key Pad for IKEv2"; /* 17 ASCII octets, no NUL */
    uint8_t inner[IKE_MAX_PRF_LEN];
    int d = prf_dig(prf);
    if (d < 0 || !out || !args_ok(psk, psklen) || !args_ok(octets, olen)) return 0;
    size_t il = ike_prf(prf, psk, psklen, (const uint8_t *)keypad, sizeof keypad - 1, inner);
    size_t rl = il ? ike_prf(prf, inner, il, octets, olen, out) : 0;
    OPENSSL_cleanse(inner, sizeof inner);
    return rl;
}

uint8_t *ike_signed_octets(uint16_t prf, const uint8_t *sk_p, size_t sk_p_len, const uint8_t *msg,
                           size_t msglen, const uint8_t *nonce, size_t nlen, const uint8_t *idbody,
                           size_t idlen, size_t *outlen)
{
    size_t pl = ike_prf_len(prf);
    if (!outlen) return NULL;
    *outlen = 0;
    if (!pl || !sk_p || !args_ok(msg, msglen) || !args_ok(nonce, nlen) || !args_ok(idbody, idlen) ||
        msglen > SIZE_MAX - nlen - pl)
        return NULL;
    size_t n = msglen + nlen + pl;
    uint8_t *b = malloc(n);
    if (!b) return NULL;
    if (msglen) memcpy(b, msg, msglen);
    if (nlen) memcpy(b + msglen, nonce, nlen);
    if (ike_prf(prf, sk_p, sk_p_len, idbody, idlen, b + msglen + nlen) != pl) {
        free(b);
        return NULL;
    }
    *outlen = n;
    return b;
}

/* ---------------------------------------------------------------------------------------- */
/* Diffie-Hellman */

struct ike_dh {
    const struct dh_grp *g;
    size_t gi; /* index in dh_grps / G.params */
    EVP_PKEY *key;
    uint8_t pub[IKE_MAX_DH_LEN];
};

size_t ike_dh_pub_len(uint16_t group)
{
    const struct dh_grp *g = dh_find(group, NULL);
    return g ? g->publen : 0;
}

uint16_t ike_dh_group(const struct ike_dh *dh)
{
    return dh ? dh->g->id : 0;
}

/* Our public value in KE form into dh->pub. */
static bool dh_fill_public(struct ike_dh *dh)
{
    const struct dh_grp *g = dh->g;
    size_t l = 0;
    switch (g->kind) {
    case DHK_MODP: {
        /* RFC 7296 §3.4: left-padded with zeros to the modulus length. */
        BIGNUM *y = NULL;
        bool ok = EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &y) &&
                  BN_bn2binpad(y, dh->pub, (int)g->publen) == (int)g->publen;
        BN_free(y);
        return ok;
    }
    case DHK_ECP: {
        /* RFC 5903 §7: x | y without the SEC1 0x04 prefix. */
        uint8_t b[1 + 2 * 66];
        if (!EVP_PKEY_get_octet_string_param(dh->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, b,
                                             sizeof b, &l) ||
            l != 1 + g->publen || b[0] != 0x04)
            return false;
        memcpy(dh->pub, b + 1, g->publen);
        return true;
    }
    case DHK_X25519:
        l = g->publen;
        return EVP_PKEY_get_raw_public_key(dh->key, dh->pub, &l) && l == g->publen;
    }
    return false;
}

static struct ike_dh *dh_alloc(uint16_t group)
{
    size_t gi;
    const struct dh_grp *g = dh_find(group, &gi);
    if (!g || !g_ready()) return NULL;
    struct ike_dh *dh = calloc(1, sizeof *dh);
    if (!dh) return NULL;
    dh->g = g;
    dh->gi = gi;
    return dh;
}

struct ike_dh *ike_dh_new(uint16_t group)
{
    struct ike_dh *dh = dh_alloc(group);
    if (!dh) return NULL;
    EVP_PKEY_CTX *c = dh->g->kind == DHK_X25519
                          ? EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL)
                          : EVP_PKEY_CTX_new_from_pkey(NULL, G.params[dh->gi], NULL);
    if (!c || EVP_PKEY_keygen_init(c) <= 0 || EVP_PKEY_generate(c, &dh->key) <= 0 ||
        !dh_fill_public(dh)) {
        EVP_PKEY_CTX_free(c);
        ike_dh_free(dh);
        return NULL;
    }
    EVP_PKEY_CTX_free(c);
    return dh;
}

/* A key pair from the given parameters (EVP_PKEY_fromdata). */
static EVP_PKEY *pkey_fromdata(const char *alg, int selection, OSSL_PARAM *p)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    EVP_PKEY *pk = NULL;
    if (!c || EVP_PKEY_fromdata_init(c) <= 0 || EVP_PKEY_fromdata(c, &pk, selection, p) <= 0)
        pk = NULL;
    EVP_PKEY_CTX_free(c);
    return pk;
}

/* Test-only import: OpenSSL does not derive the public half from a private-only import, so
 * it is computed here with OpenSSL's own arithmetic (BN_mod_exp, EC_POINT_mul). */
static EVP_PKEY *import_private(const struct dh_grp *g, size_t gi, const uint8_t *priv, size_t len)
{
    EVP_PKEY *pk = NULL;
    if (g->kind == DHK_X25519)
        return len == 32 ? EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, len) : NULL;
    if (len == 0 || len > g->seclen) return NULL;
    BN_CTX *bc = BN_CTX_secure_new();
    BIGNUM *x = BN_secure_new(), *p = NULL, *gen = NULL, *y = BN_new();
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EC_GROUP *eg = NULL;
    EC_POINT *pt = NULL;
    uint8_t ecpub[1 + 2 * 66];
    if (!bc || !x || !y || !bld || !BN_bin2bn(priv, (int)len, x) || BN_is_zero(x) ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->ossl, 0) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x))
        goto out;
    if (g->kind == DHK_MODP) {
        if (!EVP_PKEY_get_bn_param(G.params[gi], OSSL_PKEY_PARAM_FFC_P, &p) ||
            !EVP_PKEY_get_bn_param(G.params[gi], OSSL_PKEY_PARAM_FFC_G, &gen) ||
            !BN_mod_exp(y, gen, x, p, bc) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
            goto out;
    } else {
        eg = EC_GROUP_new_by_curve_name(g->nid);
        pt = eg ? EC_POINT_new(eg) : NULL;
        if (!pt || !EC_POINT_mul(eg, pt, x, NULL, NULL, bc) ||
            EC_POINT_point2oct(eg, pt, POINT_CONVERSION_UNCOMPRESSED, ecpub, sizeof ecpub, bc) !=
                1 + g->publen ||
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, ecpub, 1 + g->publen))
            goto out;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    if (params) pk = pkey_fromdata(g->kind == DHK_MODP ? "DH" : "EC", EVP_PKEY_KEYPAIR, params);
out:
    OSSL_PARAM_free(params); /* clears the block that held the private value */
    OSSL_PARAM_BLD_free(bld);
    EC_POINT_free(pt);
    EC_GROUP_free(eg);
    BN_clear_free(x);
    BN_free(p);
    BN_free(gen);
    BN_free(y);
    BN_CTX_free(bc);
    return pk;
}

struct ike_dh *ike_dh_new_from_private(uint16_t group, const uint8_t *priv, size_t len)
{
    struct ike_dh *dh = priv ? dh_alloc(group) : NULL;
    if (!dh) return NULL;
    dh->key = import_private(dh->g, dh->gi, priv, len);
    if (!dh->key || !dh_fill_public(dh)) {
        ike_dh_free(dh);
        return NULL;
    }
    return dh;
}

/* RFC 6989 §2.1: for the safe-prime MODP groups the check 1 < y < p-1 is complete (the
 * only small subgroup is {1, p-1}). Values are public, so plain comparisons do. y and p are
 * big-endian of the same length, so memcmp orders them numerically. */
static bool modp_peer_ok(const struct ike_dh *dh, const uint8_t *y)
{
    size_t n = dh->g->publen;
    bool le_one = y[n - 1] <= 1;
    for (size_t i = 0; i + 1 < n; i++)
        if (y[i]) le_one = false;
    return !le_one && memcmp(y, G.modp_pm1[dh->gi], n) < 0;
}

/* A public key of our group holding the peer's encoded value (DH: y big-endian; EC: SEC1).
 * The domain parameters are copied from the shared template, which is several times cheaper
 * than building the group again from its name; OpenSSL decodes the value (for EC, refusing
 * points off the curve). */
static EVP_PKEY *peer_from_encoded(const struct ike_dh *dh, const uint8_t *enc, size_t len)
{
    EVP_PKEY *pk = EVP_PKEY_new();
    if (!pk || EVP_PKEY_copy_parameters(pk, G.params[dh->gi]) != 1 ||
        EVP_PKEY_set1_encoded_public_key(pk, enc, len) != 1) {
        EVP_PKEY_free(pk);
        return NULL;
    }
    return pk;
}

/* The peer's public value as a key of our group, validated; NULL when it is refused. */
static EVP_PKEY *peer_key(const struct ike_dh *dh, const uint8_t *peer)
{
    const struct dh_grp *g = dh->g;
    switch (g->kind) {
    case DHK_MODP: return modp_peer_ok(dh, peer) ? peer_from_encoded(dh, peer, g->publen) : NULL;
    case DHK_ECP: {
        /* RFC 5903 §7 form x | y; OpenSSL takes SEC1 uncompressed 0x04 | x | y. */
        uint8_t b[1 + 2 * 66];
        b[0] = 0x04;
        memcpy(b + 1, peer, g->publen);
        EVP_PKEY *pk = peer_from_encoded(dh, b, 1 + g->publen);
        if (!pk) return NULL;
        /* RFC 6989 §2.3 (and §2.1 for ECP): the point must be on the curve and not the
         * point at infinity. The quick check does exactly that (plus coordinate ranges); the
         * full check's n*Q = O test adds nothing for these cofactor-1 curves and costs a
         * scalar multiplication. */
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        bool ok = c && EVP_PKEY_public_check_quick(c) == 1;
        EVP_PKEY_CTX_free(c);
        if (!ok) {
            EVP_PKEY_free(pk);
            pk = NULL;
        }
        return pk;
    }
    case DHK_X25519: return EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer, 32);
    }
    return NULL;
}

/* OSSL_EXCHANGE_PARAM_PAD: the DH result keeps its leading zeros. */
static bool dh_set_pad(EVP_PKEY_CTX *c)
{
    unsigned int pad = 1;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad),
        OSSL_PARAM_construct_end(),
    };
    return EVP_PKEY_CTX_set_params(c, p) > 0;
}

size_t ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out,
                     size_t cap)
{
    if (!dh || !out) return 0;
    const struct dh_grp *g = dh->g;
    /* RFC 7296 §3.4 / RFC 5903 §7 / RFC 8031 §2: the KE data has exactly the group's size. */
    if (!peer || peer_len != g->publen || cap < g->seclen) return 0;
    EVP_PKEY *pk = peer_key(dh, peer);
    if (!pk) return 0;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
    size_t l = g->seclen;
    bool ok = c && EVP_PKEY_derive_init(c) > 0 && (g->kind != DHK_MODP || dh_set_pad(c)) &&
              EVP_PKEY_derive_set_peer_ex(c, pk, 0) > 0 && EVP_PKEY_derive(c, out, &l) > 0 &&
              l > 0 && l <= g->seclen;
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(pk);
    if (ok && l < g->seclen) {
        /* §2.14: g^ir has the modulus length, leading zeros kept. */
        memmove(out + g->seclen - l, out, l);
        memset(out, 0, g->seclen - l);
    }
    if (ok && g->kind == DHK_X25519) {
        /* RFC 8031 §2.3 / RFC 7748 §6.1: an all-zero result means a low-order point. */
        static const uint8_t zero[32];
        ok = CRYPTO_memcmp(out, zero, 32) != 0;
    }
    if (!ok) {
        OPENSSL_cleanse(out, g->seclen);
        return 0;
    }
    return g->seclen;
}

size_t ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap)
{
    if (!dh || !out || cap < dh->g->publen) return 0;
    memcpy(out, dh->pub, dh->g->publen);
    return dh->g->publen;
}

void ike_dh_free(struct ike_dh *dh)
{
    if (!dh) return;
    EVP_PKEY_free(dh->key); /* OpenSSL clears the private key */
    OPENSSL_cleanse(dh, sizeof *dh);
    free(dh);
}
