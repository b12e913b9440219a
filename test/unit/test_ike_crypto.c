/* Unit tests for ike/ike_crypto.c: PRFs, prf+, key derivation, Diffie-Hellman, SK payload
 * protection and PSK AUTH, against published vectors and values computed independently.
 *
 * Where a value says "Python", it was computed at test-writing time with CPython 3's
 * hmac/hashlib, pow() and the `cryptography` package (48.0), from the inputs given here,
 * following RFC 7296 §2.13-§2.18 and RFC 5282 directly (a ~60-line script, not ike_crypto). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_crypto.h"
#include "ike/ike_wire.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Decodes hex (spaces ignored) into out; returns the number of octets. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *h; h++) {
        int v = 0; /* fail_msg does not return, but the compiler cannot know */
        if (*h == ' ') continue;
        if (*h >= '0' && *h <= '9')
            v = *h - '0';
        else if (*h >= 'a' && *h <= 'f')
            v = *h - 'a' + 10;
        else if (*h >= 'A' && *h <= 'F')
            v = *h - 'A' + 10;
        else
            fail_msg("bad hex character '%c'", *h);
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(n < cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_int_equal(hi, -1);
    return n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *hex)
{
    uint8_t want[1024];
    size_t n = unhex(hex, want, sizeof want);
    assert_int_equal(len, n);
    assert_memory_equal(got, want, n);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* ---- PRF: RFC 2202 (HMAC-SHA1) and RFC 4231 (HMAC-SHA-256/384/512) ---- */

struct hmac_case {
    uint8_t key[131];
    size_t klen;
    const char *data;
    size_t dlen;
};

static void hmac_cases(struct hmac_case *c)
{
    memset(c, 0, 7 * sizeof *c);
    memset(c[0].key, 0x0b, c[0].klen = 20);
    c[0].data = "Hi There";
    memcpy(c[1].key, "Jefe", c[1].klen = 4);
    c[1].data = "what do ya want for nothing?";
    memset(c[2].key, 0xaa, c[2].klen = 20);
    static char dd[50], cd[50];
    memset(dd, 0xdd, sizeof dd);
    memset(cd, 0xcd, sizeof cd);
    c[2].data = dd;
    c[2].dlen = 50;
    for (int i = 0; i < 25; i++) c[3].key[i] = (uint8_t)(i + 1);
    c[3].klen = 25;
    c[3].data = cd;
    c[3].dlen = 50;
    memset(c[4].key, 0x0c, c[4].klen = 20);
    c[4].data = "Test With Truncation";
    for (int i = 0; i < 5; i++) /* cases 6 and 7 differ between the RFCs */
        if (!c[i].dlen) c[i].dlen = strlen(c[i].data);
}

static void test_prf_rfc2202_sha1(void **state)
{
    (void)state;
    struct hmac_case c[7];
    hmac_cases(c);
    /* RFC 2202 §3 cases 6 and 7: an 80-byte key. */
    memset(c[5].key, 0xaa, c[5].klen = 80);
    c[5].data = "Test Using Larger Than Block-Size Key - Hash Key First";
    c[5].dlen = strlen(c[5].data);
    memset(c[6].key, 0xaa, c[6].klen = 80);
    c[6].data = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";
    c[6].dlen = strlen(c[6].data);
    static const char *const want[7] = {
        "b617318655057264e28bc0b6fb378c8ef146be00", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        "125d7342b9ac11cd91a39af48aa17b4f63f175d3", "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
        "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", "aa4ae5e15272d00e95705637ce8a3b55ed402112",
        "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
    };
    for (int i = 0; i < 7; i++) {
        uint8_t out[IKE_MAX_PRF_LEN];
        assert_int_equal(ike_prf(IKE_PRF_HMAC_SHA1, c[i].key, c[i].klen, (const uint8_t *)c[i].data,
                                 c[i].dlen, out),
                         20);
        assert_hex(out, 20, want[i]);
    }
}

static void test_prf_rfc4231_sha2(void **state)
{
    (void)state;
    struct hmac_case c[7];
    hmac_cases(c);
    /* RFC 4231 §4.7, §4.8: a 131-byte key. */
    memset(c[5].key, 0xaa, c[5].klen = 131);
    c[5].data = "Test Using Larger Than Block-Size Key - Hash Key First";
    c[5].dlen = strlen(c[5].data);
    memset(c[6].key, 0xaa, c[6].klen = 131);
    c[6].data = "This is a test using a larger than block-size key and a larger than block-size "
                "data. The key needs to be hashed before being used by the HMAC algorithm.";
    c[6].dlen = strlen(c[6].data);
    static const uint16_t prfs[3] = {IKE_PRF_HMAC_SHA2_256, IKE_PRF_HMAC_SHA2_384,
                                     IKE_PRF_HMAC_SHA2_512};
    static const char *const want[7][3] = {
        {"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
         "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b"
         "2fa9cb6",
         "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274ea"
         "ea3f4e4be9d914eeb61f1702e696c203a126854"},
        {"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
         "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecf"
         "ab21649",
         "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f"
         "8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
        {"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
         "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e10"
         "1a34f27",
         "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47"
         "e67c807b946a337bee8942674278859e13292fb"},
        {"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
         "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c"
         "674cffb",
         "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc"
         "5788063a5f19741120c4f2de2adebeb10a298dd"},
        /* §4.6 gives only the first 128 bits. */
        {"a3b6167473100ee06e0c796c2955552b", "3abf34c3503b2a23a46efc619baef897",
         "415fad6271580a531d4179bc891d87a6"},
        {"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
         "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df16"
         "3f44952",
         "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215"
         "d6a1e5295e64f73f63f0aec8b915a985d786598"},
        {"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
         "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110"
         "c46523e",
         "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c"
         "3e4de15134676fb6de0446065c97440fa8c6a58"},
    };
    static const size_t lens[3] = {32, 48, 64};
    for (int i = 0; i < 7; i++)
        for (int a = 0; a < 3; a++) {
            uint8_t out[IKE_MAX_PRF_LEN];
            assert_int_equal(
                ike_prf(prfs[a], c[i].key, c[i].klen, (const uint8_t *)c[i].data, c[i].dlen, out),
                lens[a]);
            assert_hex(out, i == 4 ? 16 : lens[a], want[i][a]);
        }
}

static void test_prf_lengths_and_unknown(void **state)
{
    (void)state;
    assert_int_equal(ike_prf_len(IKE_PRF_HMAC_SHA1), 20);
    assert_int_equal(ike_prf_len(IKE_PRF_HMAC_SHA2_256), 32);
    assert_int_equal(ike_prf_len(IKE_PRF_HMAC_SHA2_384), 48);
    assert_int_equal(ike_prf_len(IKE_PRF_HMAC_SHA2_512), 64);
    assert_int_equal(ike_prf_len(1), 0); /* PRF_HMAC_MD5: not implemented */
    assert_int_equal(ike_prf_len(0), 0);
    uint8_t out[IKE_MAX_PRF_LEN];
    assert_int_equal(ike_prf(1, (const uint8_t *)"k", 1, (const uint8_t *)"d", 1, out), 0);
    /* An empty key and empty data are legal HMAC inputs (Python: hmac.new(b"", b"", sha256)). */
    assert_int_equal(ike_prf(IKE_PRF_HMAC_SHA2_256, NULL, 0, NULL, 0, out), 32);
    assert_hex(out, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

/* ---- prf+ (RFC 7296 §2.13) ---- */

/* key = 0x40..0x64 (37 octets), seed = "prf+ seed for ikegate " | 0x80..0x8f; 150 octets
 * of prf+ output (Python: T = prf(K, T | S | n) for n = 1, 2, ...). */
static void test_prf_plus_kat(void **state)
{
    (void)state;
    uint8_t key[37], seed[38];
    for (int i = 0; i < 37; i++) key[i] = (uint8_t)(0x40 + i);
    memcpy(seed, "prf+ seed for ikegate ", 22);
    for (int i = 0; i < 16; i++) seed[22 + i] = (uint8_t)(0x80 + i);
    static const struct {
        uint16_t prf;
        const char *hex;
    } want[] = {
        {IKE_PRF_HMAC_SHA1, "0185e06cc1ee0b9cbfcae85dbeaca0a8690ce6cf8baa2746784608f3fbfb0dafeafee9"
                            "da26580909b4e5083664e"
                            "2f26c52112fd2b5b3ed59c64978ca47caeb7b23fafacdee638037a250d327cdd883e56"
                            "130afcae99746c25f1574"
                            "d01ed0bfa0f1e6323cde1e00ac1ed9d66d9753eac378da748b5fe65c69f1e9a64fb10b"
                            "071bacfffe0f1070dc60"
                            "dd2754b5e90b43a495b6db83c501"},
        {IKE_PRF_HMAC_SHA2_256, "e47565ee7a146840727806e252e651c1f6ef553db342bfa5af94b41c146e320bd8"
                                "98981c07efdda8676374eb69b"
                                "7167bd292846854f4883db616531b8976b34e805c91bc2897ba210bc3829b03aba"
                                "4f39b959ee16180975e8f8e95"
                                "574eae8aa2e4afeeb70d8a23fd8ca3a175b1ded870f47fd4e90109c5038fa7059e"
                                "5ebd6f094aeec3d15dd101b4"
                                "e02a9c781884f196bc2a89ed43b4"},
        {IKE_PRF_HMAC_SHA2_384, "1c08ea5842251cf402c385f32a488917c3f2de8c58cdc1cc53fb9d5c26ced746e6"
                                "85211e606c12fe99072264cc5"
                                "83106313edf89c894bb5898a0354eee6aa4f82319d185cbb6fb547f2580076e7c9"
                                "fe9c0e2fd54d880b884580a25"
                                "06201839e1795c5f35847f25486b94becb08e0ca4406248c19eef5b45d3337241a"
                                "695f914a607da9e10c0935ee"
                                "8c6f087fb89cd1f678fd32413c84"},
        {IKE_PRF_HMAC_SHA2_512, "c58028cba5fa7a07dafc7da55e232363ec9765a32df21068a443ee18f2a0672a03"
                                "5b3651027ee0ef2b829b44638"
                                "3841b308c3450b81a306cb59a55054de812b680f241626c0f6342ab0aa867795a0"
                                "b0c344d567608ef271c7b936a"
                                "d2455df1f5149f2b6976d9ba660aa3465c0bf75992839714b6dad8e5d9b4aa423b"
                                "28fe6af679ae28c4e2a97bba"
                                "1575595bf00042e3e5022455800a"},
    };
    for (size_t i = 0; i < N_ELEM(want); i++) {
        uint8_t out[150];
        assert_int_equal(ike_prf_plus(want[i].prf, key, sizeof key, seed, sizeof seed, out, 150),
                         0);
        assert_hex(out, 150, want[i].hex);
        /* A shorter request is a prefix of the longer one. */
        uint8_t shorter[33];
        assert_int_equal(ike_prf_plus(want[i].prf, key, sizeof key, seed, sizeof seed, shorter, 33),
                         0);
        assert_memory_equal(shorter, out, 33);
    }
}

static void test_prf_plus_limits(void **state)
{
    (void)state;
    static uint8_t out[255 * 64 + 1];
    uint8_t key[20] = {1}, seed[4] = {2};
    /* 255 blocks at most (the counter is one octet, §2.13). */
    assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA1, key, 20, seed, 4, out, 255 * 20), 0);
    assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA1, key, 20, seed, 4, out, 255 * 20 + 1), -1);
    assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA2_512, key, 20, seed, 4, out, 255 * 64), 0);
    assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA2_512, key, 20, seed, 4, out, 255 * 64 + 1), -1);
    assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA1, key, 20, seed, 4, out, 0), 0);
    assert_int_equal(ike_prf_plus(99, key, 20, seed, 4, out, 20), -1);
}

/* ---- IKE SA keys (§2.14), rekey (§2.18), CHILD_SA KEYMAT (§2.17) ---- */

/* Inputs shared by the derivation vectors: Ni = 0x00..0x1f, Nr = 0x20..0x3f | 0xa0..0xaf,
 * g^ir = 0x00 | (7i + 3) mod 256 for i = 0..254 (256 octets with a leading zero),
 * SPIi = 0x0123456789abcdef, SPIr = 0xfedcba9876543210. */
static uint8_t kd_ni[32], kd_nr[48], kd_gir[256];
static const uint64_t kd_spii = 0x0123456789abcdefULL, kd_spir = 0xfedcba9876543210ULL;

static void kd_inputs(void)
{
    for (int i = 0; i < 32; i++) kd_ni[i] = (uint8_t)i;
    for (int i = 0; i < 32; i++) kd_nr[i] = (uint8_t)(0x20 + i);
    for (int i = 0; i < 16; i++) kd_nr[32 + i] = (uint8_t)(0xa0 + i);
    kd_gir[0] = 0;
    for (int i = 0; i < 255; i++) kd_gir[1 + i] = (uint8_t)(i * 7 + 3);
}

struct kd_want {
    struct ike_suite s;
    size_t prf_len, ekey_len, akey_len;
    const char *d, *ai, *ar, *ei, *er, *pi, *pr;
};

static void check_keys(const struct ike_keys *k, const struct kd_want *w)
{
    assert_int_equal(k->prf_len, w->prf_len);
    assert_int_equal(k->ekey_len, w->ekey_len);
    assert_int_equal(k->akey_len, w->akey_len);
    assert_memory_equal(&k->suite, &w->s, sizeof w->s);
    assert_hex(k->sk_d, k->prf_len, w->d);
    assert_hex(k->sk_ai, k->akey_len, w->ai);
    assert_hex(k->sk_ar, k->akey_len, w->ar);
    assert_hex(k->sk_ei, k->ekey_len, w->ei);
    assert_hex(k->sk_er, k->ekey_len, w->er);
    assert_hex(k->sk_pi, k->prf_len, w->pi);
    assert_hex(k->sk_pr, k->prf_len, w->pr);
}

/* Python: SKEYSEED = prf(Ni | Nr, g^ir); KEYMAT = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) split
 * in the order of §2.14 with the sizes of RFC 4868 / RFC 5282 §7.1 (GCM: key + 4 salt). */
static const struct kd_want kd_vectors[] = {
    {{IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, IKE_DH_MODP2048},
     20,
     16,
     20,
     "3376585bb2c9318ea2b98a97e1d0cf826d53275b",
     "4632c6b5de0918a66dffb6b6292d519dbcf948dc",
     "1e9b63947f7cd4ec8eee1486232d77dabda9173a",
     "ce05666738511b7d27eeac5cdc5699ee",
     "fd9b09420322cc6033079897606bcdfb",
     "2247b05dbd78ed8be25c1d05cd8597f63f5abe6f",
     "69b6956310887dc79363e7183e79d2a782c1a51e"},
    {{IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA2_256, IKE_DH_ECP256},
     32,
     36,
     0,
     "01f855e3de7f8442c9685bd86e59b9a64a272c3b658dd447d3790529b04b3341",
     "",
     "",
     "ce7700de192e9dd901e4abe7069c3399faa4c6484f3ca5e1b5c52a15afef66170ec75da9",
     "3e9ac8b3c376c5e2648d7f442e3dc907a765eca99bcedd99c872409cf47a9ff4fce07d53",
     "d9a209218d82e6bb9f69a5de01bcdb243cf0ef6143045785438bb8c04e8e7a84",
     "3bad748a02f02ba5eab891513b0a46681524cf00dbd8567af6bbf47a34168b8d"},
    {{IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192, IKE_PRF_HMAC_SHA2_384, IKE_DH_ECP384},
     48,
     32,
     48,
     "5c8bf972e8f7bcee334c032dbde139244fc290c0557424b6e7af7c7b3333938fe9fe6a57616a8612446cda1ed70"
     "60d57",
     "ee58aac2113dd24a1b08999e013fe204435bf2162ca3d7b18093fd0ff59e5a61aab8e722e2a102f7ae800012f9d"
     "8a9cf",
     "ae7df8f4080696b745740daaeb7fc4f3dcc5cfcf383612351c18b684fdaed16101b714f3445a2920569fee0d57b"
     "5119a",
     "923457814d4061dc19b4e7391a59076e94fa90787c023c4c76dd72714c194d7e",
     "bd2ea0a0de8094fe7d9b6676cf1004786e6f02dfcb421f74afce45a7becec9f2",
     "b30942e7dc9c93c76e8c3392fe844e49cdd8f228403a32787a1aa40a7d4195d3ad9f3f38bd48b3e0d9c9f18cc5f"
     "27448",
     "a6c6c5afe24163b9d5199c2a4ec84bcbe29f18fdbb4235768590fdb16e44a83e632e3bbb285751cea570ebd764c"
     "fdbd3"},
    {{IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA2_512, IKE_DH_CURVE25519},
     64,
     20,
     0,
     "c5cec342d8a9b97eca93fcf2e4a49db7bb4cac087691d0d25a822eb29b02a995fb9d042cd5217086601e2bd842d"
     "1f68051981d35fa11460437592f84da57355d",
     "",
     "",
     "481928b4901c0e24c087ff2dde3b73d99a54bf99",
     "58d8fb873a2f58bd5aaea1a53d88d105b6412e38",
     "cd36b987abcd79ead76d816141818d5d601a22e7b536136f668be3379777c35adde2fb0f4aa28d6d0c7c4e0aa76"
     "cd691db0681a30b38207cdbd9b06b70e561ea",
     "a9dba4911cf11bbe1ab86c88a187e5bb0ed5f9c7c786d63dfc6d3b5baf858daae3bf0748b1fb6856cffcda9a356"
     "7c1c3672d2b2d74abe8c6015bb4e9c1baef08"},
};

static void test_derive_ike_keys_kat(void **state)
{
    (void)state;
    kd_inputs();
    for (size_t i = 0; i < N_ELEM(kd_vectors); i++) {
        struct ike_keys k;
        memset(&k, 0x5a, sizeof k);
        assert_int_equal(ike_derive_ike_keys(&kd_vectors[i].s, kd_ni, sizeof kd_ni, kd_nr,
                                             sizeof kd_nr, kd_gir, sizeof kd_gir, kd_spii, kd_spir,
                                             &k),
                         0);
        check_keys(&k, &kd_vectors[i]);
        ike_keys_wipe(&k);
        assert_true(all_zero((const uint8_t *)&k, sizeof k));
    }
}

/* Rekey from the SHA-256 suite above (old SK_d = its SK_d) to AES-CBC-256 / HMAC-SHA2-512-256
 * / PRF-HMAC-SHA2-512: new g^ir = (13i + 1) mod 256 for i = 0..31, Ni = 0x50..0x6f,
 * Nr = 0x70..0x8f, SPIs 0x1111222233334444 / 0x5555666677778888. Python: SKEYSEED =
 * prf_sha256(SK_d, g^ir | Ni | Nr), then prf+ with HMAC-SHA-512. */
static void test_derive_rekeyed_kat(void **state)
{
    (void)state;
    uint8_t old_d[32], gir[32], ni[32], nr[32];
    unhex("01f855e3de7f8442c9685bd86e59b9a64a272c3b658dd447d3790529b04b3341", old_d, 32);
    for (int i = 0; i < 32; i++) {
        gir[i] = (uint8_t)(i * 13 + 1);
        ni[i] = (uint8_t)(0x50 + i);
        nr[i] = (uint8_t)(0x70 + i);
    }
    static const struct kd_want w = {
        {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512, IKE_DH_ECP521},
        64,
        32,
        64,
        "2b1468c61a2117c8b541b67e9ebd3ad40fbca98b72a93e7b4679f6b737157ac7eb9026484b580e74e4ec56f82c"
        "59a2719f2a3b130c951ff425b1727bd820a366",
        "a4970f06cdbf8b3ba66774c3cfc0b3a8e8b18c1ae83a7d8a1b7b685db107f45f38ee8c49f30dab32f6c189bf00"
        "336742ba711c3509dce32948d256127d7491b1",
        "a554bf04058fd25fcbb05786627d2e172bd263656d2a0370deef9ad329c0681fb2f01e041ce9b82c2eadf54ded"
        "5fe757ac577159f5d91a6062d6a61304912ee1",
        "12599605a733af42370946bdc9f11d1b8dcfd66c7bcc2268f3a63776dc134247",
        "c1be07d1088e5bfd6b39dbbfd5486b119e9b68e379d7a0e4e17a1f0e3ade34e8",
        "6255728ff9eb05ae6a6c21345ada38c10756dbb893ada5d098c27ca3a5f48c15051e8053fef0f103f50ce2bf2e"
        "7059c1b51045d1a9f382d9f4fcd7aedee32d2b",
        "bb4224822d9d2b72bdf0a60be33bd93855f920de1f16357fb0b8b0dfc9633706259bec9f754da5a61124b1e104"
        "6d4d8f60cb13571c244875f7e53640c9f87784",
    };
    struct ike_keys k;
    assert_int_equal(ike_derive_rekeyed_keys(IKE_PRF_HMAC_SHA2_256, old_d, 32, &w.s, ni, 32, nr, 32,
                                             gir, 32, 0x1111222233334444ULL, 0x5555666677778888ULL,
                                             &k),
                     0);
    check_keys(&k, &w);
    ike_keys_wipe(&k);
}

/* KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) with the SHA-256 suite's keys and the rekey inputs
 * above (Python). */
static void test_child_keymat_kat(void **state)
{
    (void)state;
    kd_inputs();
    struct ike_keys k;
    assert_int_equal(ike_derive_ike_keys(&kd_vectors[1].s, kd_ni, sizeof kd_ni, kd_nr, sizeof kd_nr,
                                         kd_gir, sizeof kd_gir, kd_spii, kd_spir, &k),
                     0);
    uint8_t gir[32], ni[32], nr[32], out[128];
    for (int i = 0; i < 32; i++) {
        gir[i] = (uint8_t)(i * 13 + 1);
        ni[i] = (uint8_t)(0x50 + i);
        nr[i] = (uint8_t)(0x70 + i);
    }
    assert_int_equal(ike_derive_child_keymat(&k, NULL, 0, ni, 32, nr, 32, out, 128), 0);
    assert_hex(
        out, 128,
        "9648abeabfe585f1834974a3cb334cf76d474a96f020428358630e81e95f7ae992bc68674f92e22a7c35"
        "6eab26e88bf37d3a48b38f2ad59c97a1a1fe8ff842a98c2de205e43ddd4251597e76cbadbac6b23b5bc7"
        "2cb13395088414f781fc7e3682f5957a6349601cb151a060b08f76f8a38f581864f0913f3161d3bdc818"
        "91f9");
    assert_int_equal(ike_derive_child_keymat(&k, gir, 32, ni, 32, nr, 32, out, 72), 0);
    assert_hex(
        out, 72,
        "46238d03e5cbacd93f1c780e3e319f5599286e3c930ca1fca9542ba619d4ac140da380df3a92f43f3340"
        "09c40b72c11a1c8b265af4aaf36f8a0a88462bd33ee0fd17530d8ef43022");
    ike_keys_wipe(&k);
}

static void test_derive_rejects_bad_suites(void **state)
{
    (void)state;
    kd_inputs();
    static const struct ike_suite bad[] = {
        {IKE_ENCR_AES_CBC, 128, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA1, 14}, /* no integrity */
        {IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, 14}, /* AEAD+integ */
        {IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, 14},
        {IKE_ENCR_AES_CBC, 0, IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, 14},
        {3 /* 3DES */, 128, IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, 14},
        {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96, 1 /* MD5 */, 14},
        {IKE_ENCR_AES_CBC, 128, 1 /* HMAC-MD5-96 */, IKE_PRF_HMAC_SHA1, 14},
    };
    for (size_t i = 0; i < N_ELEM(bad); i++) {
        struct ike_keys k;
        memset(&k, 0x77, sizeof k);
        assert_int_equal(ike_derive_ike_keys(&bad[i], kd_ni, 32, kd_nr, 48, kd_gir, 256, 1, 2, &k),
                         -1);
        assert_true(all_zero((const uint8_t *)&k, sizeof k));
        assert_int_equal(ike_suite_enc_key_len(&bad[i]), 0);
        assert_int_equal(ike_suite_iv_len(&bad[i]), 0);
        assert_int_equal(ike_suite_icv_len(&bad[i]), 0);
        assert_int_equal(ike_suite_block(&bad[i]), 0);
        assert_int_equal(ike_suite_integ_key_len(&bad[i]), 0);
    }
    /* Nonces longer than §3.9 allows. */
    static uint8_t big[IKE_NONCE_MAX + 1];
    struct ike_keys k;
    assert_int_equal(
        ike_derive_ike_keys(&kd_vectors[0].s, big, sizeof big, kd_nr, 48, kd_gir, 256, 1, 2, &k),
        -1);
}

static void test_suite_sizes(void **state)
{
    (void)state;
    static const struct {
        struct ike_suite s;
        size_t ekey, akey, iv, icv, block;
    } t[] = {
        {{IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96, 2, 14}, 16, 20, 16, 12, 16},
        {{IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, 5, 14}, 32, 32, 16, 16, 16},
        {{IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_384_192, 6, 14}, 16, 48, 16, 24, 16},
        {{IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, 7, 14}, 32, 64, 16, 32, 16},
        {{IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, 5, 19}, 20, 0, 8, 16, 1},
        {{IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, 7, 19}, 36, 0, 8, 16, 1},
    };
    for (size_t i = 0; i < N_ELEM(t); i++) {
        assert_int_equal(ike_suite_enc_key_len(&t[i].s), t[i].ekey);
        assert_int_equal(ike_suite_integ_key_len(&t[i].s), t[i].akey);
        assert_int_equal(ike_suite_iv_len(&t[i].s), t[i].iv);
        assert_int_equal(ike_suite_icv_len(&t[i].s), t[i].icv);
        assert_int_equal(ike_suite_block(&t[i].s), t[i].block);
    }
}

/* ---- Diffie-Hellman ---- */

static struct ike_dh *dh_priv(uint16_t group, const char *hex)
{
    uint8_t priv[128];
    size_t n = unhex(hex, priv, sizeof priv);
    struct ike_dh *dh = ike_dh_new_from_private(group, priv, n);
    assert_non_null(dh);
    assert_int_equal(ike_dh_group(dh), group);
    return dh;
}

static void check_public(struct ike_dh *dh, const char *hex)
{
    uint8_t pub[IKE_MAX_DH_LEN];
    size_t n = ike_dh_public(dh, pub, sizeof pub);
    assert_int_equal(n, ike_dh_pub_len(ike_dh_group(dh)));
    assert_hex(pub, n, hex);
}

static void check_shared(struct ike_dh *dh, const char *peer_hex, const char *want_hex)
{
    uint8_t peer[IKE_MAX_DH_LEN], out[IKE_MAX_DH_LEN];
    size_t pn = unhex(peer_hex, peer, sizeof peer);
    size_t n = ike_dh_shared(dh, peer, pn, out, sizeof out);
    assert_int_not_equal(n, 0);
    assert_hex(out, n, want_hex);
}

/* RFC 5903 §8: i, g^i = gix | giy, r, g^r, and the shared secret girx, for each group. */
static const struct {
    uint16_t group;
    const char *i, *gi, *r, *gr, *gir;
} rfc5903[] = {
    {IKE_DH_ECP256, "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
     "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180"
     "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
     "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
     "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63"
     "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
     "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE"},
    {IKE_DH_ECP384,
     "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655"
     "E35B5380 41E649EE 3FAEF896 783AB194",
     "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6"
     "DE3AC808 ACB4BDB4 C88732AE E95F41AA"
     "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E"
     "EB9FCFF3 C2C947DA E69B4C63 4573A81C",
     "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942"
     "E0308312 916B8ED2 960E4BD5 5A7448FC",
     "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D"
     "0D1AC43A 0336DEF9 6FDA41D0 774A3571"
     "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF"
     "F83FA401 42209DFF 5EAAD96D B9E6386C",
     "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4"
     "D6031355 69B9E9D0 9CF5D4A2 70F59746"},
    {IKE_DH_ECP521,
     "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0"
     "95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D 4A52",
     "0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE"
     "E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C ED3E"
     "017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D 7CB4A10A"
     "D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 8BF01BEB 6CA3926F 9582",
     "0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 8380201E"
     "9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 EFFC311F 5CB15168 5EB9",
     "00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21"
     "9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9 460F"
     "015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 52077B87"
     "220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 6579AB44 FCD17F0F C56A",
     "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04"
     "D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3 DDEA"},
};

static void test_dh_ecp_rfc5903(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEM(rfc5903); i++) {
        struct ike_dh *a = dh_priv(rfc5903[i].group, rfc5903[i].i);
        struct ike_dh *b = dh_priv(rfc5903[i].group, rfc5903[i].r);
        check_public(a, rfc5903[i].gi);
        check_public(b, rfc5903[i].gr);
        check_shared(a, rfc5903[i].gr, rfc5903[i].gir);
        check_shared(b, rfc5903[i].gi, rfc5903[i].gir);
        ike_dh_free(a);
        ike_dh_free(b);
    }
}

/* RFC 7748 §6.1 and RFC 8031 Appendix A (the latter gives the unclamped random octets). */
static void test_dh_x25519_kat(void **state)
{
    (void)state;
    static const struct {
        const char *a, *pa, *b, *pb, *k;
    } v[] = {
        {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
         "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
         "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
         "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
         "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
        {"75 1f b4 30 86 55 b4 76 b6 78 9b 73 25 f9 ea 8c dd d1 6a 58 53 3f f6 d9 e6 00 09 46 4a "
         "5f "
         "9d 94",
         "48 d5 dd d4 06 12 57 ba 16 6f a3 f9 bb db 74 f1 a4 e8 1c 08 93 84 fa 77 f7 90 70 9f 0d "
         "fb "
         "c7 66",
         "0a 54 64 52 53 29 0d 60 dd ad d0 e0 30 ba cd 9e 55 01 ef dc 22 07 55 a1 e9 78 f1 b8 39 "
         "a0 "
         "56 88",
         "0b e7 c1 f5 aa d8 7d 7e 44 86 62 67 32 98 a4 43 47 8b 85 97 45 17 9e af 56 4c 79 c0 ef "
         "6e "
         "ee 25",
         "c7 49 50 60 7a 12 32 7f 32 04 d9 4b 68 25 bf b0 68 b7 f8 31 9a 9e 37 08 ed 3d 43 ce 81 "
         "30 "
         "c9 50"},
    };
    for (size_t i = 0; i < N_ELEM(v); i++) {
        struct ike_dh *a = dh_priv(IKE_DH_CURVE25519, v[i].a);
        struct ike_dh *b = dh_priv(IKE_DH_CURVE25519, v[i].b);
        check_public(a, v[i].pa);
        check_public(b, v[i].pb);
        check_shared(a, v[i].pb, v[i].k);
        check_shared(b, v[i].pa, v[i].k);
        ike_dh_free(a);
        ike_dh_free(b);
    }
    uint8_t priv[31] = {1};
    assert_null(ike_dh_new_from_private(IKE_DH_CURVE25519, priv, sizeof priv));
}

/* RFC 3526 §3 prime (group 14). */
static const char modp2048_p[] =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22 "
    "514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6 "
    "F44C42E9 A637ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D "
    "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B E39E772C 180E8603 "
    "9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510 "
    "15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";

/* Group 14 with Python pow(): i = SHA-256("ikegate-i-276"), r = SHA-256("ikegate-r-130"),
 * the first counters for which g^i and g^ir (mod the RFC 3526 prime) have a leading zero
 * octet, so both paddings are exercised. */
static const char modp_i[] = "b311aa15624d74f46be30c12dbdf505215f2181da8fbbf66354c57bcfdeff800";
static const char modp_r[] = "9bb33e98bb94892c86339754680cfd384cd6ec3c516e1cdbebd90b1982c86aa8";
static const char modp_gi[] =
    "000537ef9b0559eff047c785635a9228530231b5bbe93f99e066df0e042b396621250c79215c144e93ff3d2b8dc46d"
    "9e397b2efe856ef5332541d9aa995c6387b5ef9289803e0754dd879e9b71a302e47b2162b336313ed3f8f43354c05c"
    "84f8201f52a07afd4fb3e9c4bf387ec1caa147d2d5fac571f9daf9117bbc1013f8115209cadf98ecbeb28251d2fb72"
    "20d71bc2ec304c18f497e919037d5a0d1b4222bc0b5a2ad8f5f86a35beef2c9b15e78d2d145cbb93e29f7337b7c25b"
    "95a77aff7d71e26ed6d09cceec8f17eb9a21cc59de7bf43c9b8da19252d749ea4d75064a848a64c190920b7de38f8a"
    "1984e72a3027063212068ae7f61b31c8675c7b5f37";
static const char modp_gr[] =
    "f649618a0bdc516978a09063d034fb89e4dcd930dc3e04dcf77d6402be0c97baf349459ea46bf2c8f81d959b36b7fc"
    "8da0cd2fe45386fe029812deef5f0ef4efef30b63c2495b7b6cc43d9842f67c435f738caa67372a62bd7def3065d72"
    "025dced78db107b815f552cd11a38a5c7e0798fc37acb7933951478dd9ccfce4dd587e6975cc20e9758f6f15cf71a2"
    "6a96eb57e7219cb90adc0c7b27c7eeb9fcabc165a80fe3d93a537a8ccc082d22f8a9ebc2fe81215cce4e9267c808eb"
    "1b7ead24062bd7d2fcc69a0d0720ead974bf8da9af20dc826a2ab9988f7be5cdc67256341c3682a0f35c32846bb57f"
    "a0f98fa20cf7e64f70c86409b0381f3438153ef7db";
static const char modp_gir[] =
    "00c6874969a2515de947087ccf9dd321b72ed87e46c29dcf45cb1a55bcd14a865ebe779fc849349e3eb4376d0fc6c9"
    "64d1fbf9fcf6efd68219e177d09a766fc3e6a7b1a520f5ed03e474503f65e9e840db36eaea807786614e78ea1eb6be"
    "5e9e2a1cc7e13a2b0c8853cbc925d838902fd9766894678ff8618e339e14eb9d735399226e6c5924a318f2ea8f4a38"
    "b7fc7d65e33c378d849815262a134f6a81f82d92b2c03a739a3801af4d403c7ce6c036a2994d87f61a85ba7d913b97"
    "2704d83600b8d0b65978c051c7bc127c61c3d1d2b43ec8474dd3dcbcfa92dcacc89f423660cf6bba73bf9941e0716e"
    "672ab5e47efb5b177d2ea1c1a43ef89198d4456038";

static void test_dh_modp14_kat(void **state)
{
    (void)state;
    struct ike_dh *a = dh_priv(IKE_DH_MODP2048, modp_i);
    struct ike_dh *b = dh_priv(IKE_DH_MODP2048, modp_r);
    check_public(a, modp_gi);
    check_public(b, modp_gr);
    check_shared(a, modp_gr, modp_gir);
    check_shared(b, modp_gi, modp_gir);
    ike_dh_free(a);
    ike_dh_free(b);
}

static const uint16_t all_groups[] = {IKE_DH_MODP2048,  IKE_DH_MODP3072, IKE_DH_MODP4096,
                                      IKE_DH_ECP256,    IKE_DH_ECP384,   IKE_DH_ECP521,
                                      IKE_DH_CURVE25519};

static void test_dh_round_trip_all_groups(void **state)
{
    (void)state;
    static const size_t publen[] = {256, 384, 512, 64, 96, 132, 32};
    static const size_t seclen[] = {256, 384, 512, 32, 48, 66, 32};
    for (size_t g = 0; g < N_ELEM(all_groups); g++) {
        assert_int_equal(ike_dh_pub_len(all_groups[g]), publen[g]);
        assert_true(ike_crypto_supported(IKE_TT_DH, all_groups[g], 0));
        struct ike_dh *a = ike_dh_new(all_groups[g]), *b = ike_dh_new(all_groups[g]);
        assert_non_null(a);
        assert_non_null(b);
        uint8_t pa[IKE_MAX_DH_LEN], pb[IKE_MAX_DH_LEN];
        uint8_t sa[IKE_MAX_DH_LEN], sb[IKE_MAX_DH_LEN];
        assert_int_equal(ike_dh_public(a, pa, sizeof pa), publen[g]);
        assert_int_equal(ike_dh_public(b, pb, sizeof pb), publen[g]);
        assert_memory_not_equal(pa, pb, publen[g]);
        assert_int_equal(ike_dh_public(a, pa, publen[g] - 1), 0);
        assert_int_equal(ike_dh_shared(a, pb, publen[g], sa, sizeof sa), seclen[g]);
        assert_int_equal(ike_dh_shared(b, pa, publen[g], sb, sizeof sb), seclen[g]);
        assert_memory_equal(sa, sb, seclen[g]);
        assert_false(all_zero(sa, seclen[g]));
        /* The output buffer must hold the whole secret. */
        assert_int_equal(ike_dh_shared(a, pb, publen[g], sa, seclen[g] - 1), 0);
        /* The same key may be used again (ike_dh_shared does not consume it). */
        assert_int_equal(ike_dh_shared(a, pb, publen[g], sa, sizeof sa), seclen[g]);
        assert_memory_equal(sa, sb, seclen[g]);
        ike_dh_free(a);
        ike_dh_free(b);
    }
    ike_dh_free(NULL);
    assert_null(ike_dh_new(IKE_DH_NONE));
    assert_null(ike_dh_new(2)); /* MODP 1024: not offered */
    assert_null(ike_dh_new(24));
    assert_int_equal(ike_dh_pub_len(2), 0);
}

/* ike_dh_shared(dh, peer) must refuse, and leave nothing in out. */
static void expect_refused(struct ike_dh *dh, const uint8_t *peer, size_t len)
{
    uint8_t out[IKE_MAX_DH_LEN];
    memset(out, 0, sizeof out);
    assert_int_equal(ike_dh_shared(dh, peer, len, out, sizeof out), 0);
    assert_true(all_zero(out, sizeof out));
}

static void expect_accepted(struct ike_dh *dh, const uint8_t *peer, size_t len)
{
    uint8_t out[IKE_MAX_DH_LEN];
    assert_int_not_equal(ike_dh_shared(dh, peer, len, out, sizeof out), 0);
}

/* RFC 6989 §2.1: MODP 1 < y < p-1, checked at the exact boundaries for group 14 (whose prime
 * is taken from RFC 3526 here, so this also proves OpenSSL's modp_2048 is that group). */
static void test_dh_modp_rejects(void **state)
{
    (void)state;
    uint8_t p[256], y[512];
    assert_int_equal(unhex(modp2048_p, p, sizeof p), 256);
    struct ike_dh *dh = ike_dh_new(IKE_DH_MODP2048);
    assert_non_null(dh);

    memset(y, 0, 256);
    expect_refused(dh, y, 256); /* 0 */
    y[255] = 1;
    expect_refused(dh, y, 256); /* 1 */
    y[255] = 2;
    expect_accepted(dh, y, 256); /* 2: the smallest allowed */
    memcpy(y, p, 256);
    expect_refused(dh, y, 256); /* p */
    y[255] = 0xfe;
    expect_refused(dh, y, 256); /* p - 1 */
    y[255] = 0xfd;
    expect_accepted(dh, y, 256); /* p - 2: the largest allowed */
    y[255] = 0xff;
    y[254] = 0;
    expect_accepted(dh, y, 256); /* below p */
    memcpy(y, p, 256);
    /* p + 1: p ends with eight 0xff octets preceded by 0x68 (…8AACAA68 FFFFFFFF FFFFFFFF). */
    memset(y + 248, 0, 8);
    assert_int_equal(y[247], 0x68);
    y[247] = 0x69;
    expect_refused(dh, y, 256); /* p + 1 */
    memset(y, 0xff, 256);
    expect_refused(dh, y, 256); /* 2^2048 - 1 > p */
    /* The KE data must have exactly the modulus length (RFC 7296 §3.4). */
    memset(y, 0, sizeof y);
    y[255] = 5;
    expect_refused(dh, y, 255);
    expect_refused(dh, y, 257);
    expect_refused(dh, y, 0);
    expect_refused(dh, NULL, 256);
    ike_dh_free(dh);

    /* The other MODP groups: 0, 1 and all-ones (above p). */
    static const uint16_t others[] = {IKE_DH_MODP3072, IKE_DH_MODP4096};
    for (size_t g = 0; g < N_ELEM(others); g++) {
        size_t n = ike_dh_pub_len(others[g]);
        dh = ike_dh_new(others[g]);
        assert_non_null(dh);
        memset(y, 0, n);
        expect_refused(dh, y, n);
        y[n - 1] = 1;
        expect_refused(dh, y, n);
        memset(y, 0xff, n);
        expect_refused(dh, y, n);
        y[0] = 0x7f; /* below p (p starts with 64 one bits) */
        expect_accepted(dh, y, n);
        ike_dh_free(dh);
    }
}

/* RFC 6989 §2.3 / RFC 5903: points off the curve, the zero encoding, wrong lengths. */
static void test_dh_ecp_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEM(rfc5903); i++) {
        uint16_t g = rfc5903[i].group;
        size_t n = ike_dh_pub_len(g);
        uint8_t pt[IKE_MAX_DH_LEN];
        assert_int_equal(unhex(rfc5903[i].gr, pt, sizeof pt), n);
        struct ike_dh *dh = ike_dh_new(g);
        assert_non_null(dh);
        expect_accepted(dh, pt, n);
        pt[n - 1] ^= 1; /* y + or - 1: off the curve */
        expect_refused(dh, pt, n);
        pt[n - 1] ^= 1;
        pt[0] ^= 0x40; /* x changed */
        expect_refused(dh, pt, n);
        pt[0] ^= 0x40;
        expect_refused(dh, pt, n - 1);
        expect_refused(dh, pt, n + 1);
        memset(pt, 0, n); /* (0, 0): not on these curves (b != 0), nor the infinity point */
        expect_refused(dh, pt, n);
        memset(pt, 0xff, n); /* coordinates >= p */
        expect_refused(dh, pt, n);
        ike_dh_free(dh);
    }
}

/* RFC 8031 §2.3: low-order points give an all-zero result, which must be refused. */
static void test_dh_x25519_rejects(void **state)
{
    (void)state;
    struct ike_dh *dh = ike_dh_new(IKE_DH_CURVE25519);
    assert_non_null(dh);
    uint8_t u[33];
    memset(u, 0, sizeof u);
    expect_refused(dh, u, 32); /* u = 0 */
    u[0] = 1;
    expect_refused(dh, u, 32); /* u = 1 (order 1) */
    /* A point of order 8 (from the published list of Curve25519's small-order points; Python's
     * cryptography also refuses it). */
    assert_int_equal(
        unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", u, 32), 32);
    expect_refused(dh, u, 32);
    u[0] = 9; /* the base point is fine */
    memset(u + 1, 0, 32);
    expect_accepted(dh, u, 32);
    expect_refused(dh, u, 31);
    expect_refused(dh, u, 33);
    ike_dh_free(dh);
}

static void test_dh_names(void **state)
{
    (void)state;
    assert_string_equal(ike_dh_name(IKE_DH_MODP2048), "DH_GROUP_2048_MODP/Group 14");
    assert_string_equal(ike_dh_name(IKE_DH_ECP256), "DH_GROUP_256_ECP/Group 19");
    assert_string_equal(ike_dh_name(IKE_DH_ECP521), "DH_GROUP_521_ECP/Group 21");
    assert_string_equal(ike_dh_name(5), "unknown");
    assert_string_equal(ike_encr_name(IKE_ENCR_AES_CBC), "AES-CBC");
    assert_string_equal(ike_encr_name(IKE_ENCR_AES_GCM_16), "AES-GCM");
    assert_string_equal(ike_encr_name(3), "unknown");
    assert_string_equal(ike_integ_name(IKE_INTEG_HMAC_SHA1_96), "SHA96");
    assert_string_equal(ike_integ_name(IKE_INTEG_HMAC_SHA2_256_128), "SHA256");
    assert_string_equal(ike_integ_name(IKE_INTEG_HMAC_SHA2_512_256), "SHA512");
    assert_string_equal(ike_prf_name(IKE_PRF_HMAC_SHA1), "SHA1");
    assert_string_equal(ike_prf_name(IKE_PRF_HMAC_SHA2_384), "SHA384");
    assert_string_equal(ike_prf_name(0), "unknown");
}

static void test_supported(void **state)
{
    (void)state;
    assert_true(ike_crypto_supported(IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128));
    assert_true(ike_crypto_supported(IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256));
    assert_true(ike_crypto_supported(IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256));
    assert_false(ike_crypto_supported(IKE_TT_ENCR, IKE_ENCR_AES_CBC, 192));
    assert_false(ike_crypto_supported(IKE_TT_ENCR, IKE_ENCR_AES_CBC, 0));
    assert_false(ike_crypto_supported(IKE_TT_ENCR, 3, 0));    /* 3DES */
    assert_false(ike_crypto_supported(IKE_TT_ENCR, 19, 128)); /* AES-GCM-12 */
    assert_true(ike_crypto_supported(IKE_TT_PRF, IKE_PRF_HMAC_SHA2_512, 0));
    assert_false(ike_crypto_supported(IKE_TT_PRF, 1, 0));
    assert_true(ike_crypto_supported(IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0));
    assert_false(ike_crypto_supported(IKE_TT_INTEG, IKE_INTEG_NONE, 0));
    assert_false(ike_crypto_supported(IKE_TT_INTEG, 1, 0));
    assert_false(ike_crypto_supported(IKE_TT_DH, IKE_DH_NONE, 0));
    assert_false(ike_crypto_supported(IKE_TT_DH, 5, 0));
    assert_false(ike_crypto_supported(IKE_TT_ESN, IKE_ESN_NO, 0));
}

static void test_random_and_ct_equal(void **state)
{
    (void)state;
    uint8_t a[32] = {0}, b[32] = {0};
    assert_int_equal(ike_random(a, sizeof a), 0);
    assert_int_equal(ike_random(b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(ike_random(a, 0), 0);
    assert_true(ike_ct_equal(a, a, sizeof a));
    memcpy(b, a, sizeof a);
    b[31] ^= 0x80;
    assert_false(ike_ct_equal(a, b, sizeof a));
    assert_true(ike_ct_equal(a, b, 31));
}

/* ---- SK payload ---- */

static const struct ike_suite sk_suites[] = {
    {IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA2_256, IKE_DH_ECP256},
    {IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA2_512, IKE_DH_ECP384},
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, IKE_DH_MODP2048},
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256, IKE_DH_ECP256},
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_384_192, IKE_PRF_HMAC_SHA2_384, IKE_DH_ECP384},
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512, IKE_DH_ECP521},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, IKE_DH_MODP2048},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256, IKE_DH_ECP256},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192, IKE_PRF_HMAC_SHA2_384, IKE_DH_ECP384},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512, IKE_DH_ECP521},
};

static void sk_keys(const struct ike_suite *s, struct ike_keys *k)
{
    kd_inputs();
    assert_int_equal(ike_derive_ike_keys(s, kd_ni, sizeof kd_ni, kd_nr, sizeof kd_nr, kd_gir,
                                         sizeof kd_gir, kd_spii, kd_spir, k),
                     0);
}

/* [header][optional unencrypted payload][SK generic header][IV][inner][padding][pad length]
 * [ICV], laid out by hand as ikew_sk_begin/ikew_sk_end do (padding octets 0xA5; extra_pad
 * more blocks of padding than needed). Returns the length; *sk_off the SK header offset. */
static size_t sk_build(const struct ike_suite *s, uint8_t *buf, size_t cap, const uint8_t *inner,
                       size_t ilen, size_t extra_pad, bool unencrypted, size_t *sk_off)
{
    size_t iv = ike_suite_iv_len(s), icv = ike_suite_icv_len(s), blk = ike_suite_block(s);
    size_t pad = (blk - (ilen + 1) % blk) % blk + extra_pad * blk;
    size_t off = IKE_HDR_LEN + (unencrypted ? 8 : 0);
    size_t len = off + IKE_GENERIC_HDR_LEN + iv + ilen + pad + 1 + icv;
    assert_true(len <= cap && pad < 256);
    memset(buf, 0, len);
    for (int i = 0; i < 8; i++) {
        buf[i] = (uint8_t)(kd_spii >> (56 - 8 * i));
        buf[8 + i] = (uint8_t)(kd_spir >> (56 - 8 * i));
    }
    buf[16] = unencrypted ? IKE_PL_VENDOR : IKE_PL_SK;
    buf[17] = 0x20;
    buf[18] = IKE_AUTH;
    buf[19] = IKE_FLAG_INITIATOR;
    buf[23] = 1; /* message ID */
    buf[24] = (uint8_t)(len >> 24);
    buf[25] = (uint8_t)(len >> 16);
    buf[26] = (uint8_t)(len >> 8);
    buf[27] = (uint8_t)len;
    if (unencrypted) {
        buf[28] = IKE_PL_SK;
        buf[31] = 8;
        memcpy(buf + 32, "VID!", 4);
    }
    size_t sklen = len - off;
    buf[off] = IKE_PL_IDI;
    buf[off + 2] = (uint8_t)(sklen >> 8);
    buf[off + 3] = (uint8_t)sklen;
    size_t p = off + IKE_GENERIC_HDR_LEN + iv;
    if (ilen) memcpy(buf + p, inner, ilen);
    memset(buf + p + ilen, 0xa5, pad);
    buf[p + ilen + pad] = (uint8_t)pad;
    *sk_off = off;
    return len;
}

static void test_sk_round_trip(void **state)
{
    (void)state;
    static const size_t ilens[] = {0, 1, 15, 16, 17, 100, 1000};
    uint8_t inner[1000];
    for (size_t i = 0; i < sizeof inner; i++) inner[i] = (uint8_t)(i * 31 + 7);
    for (size_t si = 0; si < N_ELEM(sk_suites); si++) {
        struct ike_keys k;
        sk_keys(&sk_suites[si], &k);
        for (size_t li = 0; li < N_ELEM(ilens); li++)
            for (int variant = 0; variant < 4; variant++) {
                bool init = variant & 1, unenc = variant & 2;
                uint8_t msg[1200];
                size_t off;
                size_t len = sk_build(&sk_suites[si], msg, sizeof msg, inner, ilens[li],
                                      variant == 3 ? 2 : 0, unenc, &off);
                uint8_t plain[1200];
                memcpy(plain, msg, len);
                assert_int_equal(ike_sk_seal(&k, init, 1000 + li, msg, len, off), 0);
                size_t ivl = ike_suite_iv_len(&sk_suites[si]);
                /* The clear part is untouched, the rest is not the plaintext. */
                assert_memory_equal(msg, plain, off + 4);
                assert_memory_not_equal(msg + off + 4 + ivl, plain + off + 4 + ivl,
                                        len - off - 4 - ivl);
                const uint8_t *in = NULL;
                size_t inlen = 99;
                /* The other direction's keys do not open it. */
                uint8_t copy[1200];
                memcpy(copy, msg, len);
                assert_int_equal(ike_sk_open(&k, !init, copy, len, off, &in, &inlen), -1);
                assert_null(in);
                assert_int_equal(ike_sk_open(&k, init, msg, len, off, &in, &inlen), 0);
                assert_ptr_equal(in, msg + off + 4 + ivl);
                assert_int_equal(inlen, ilens[li]);
                if (inlen) assert_memory_equal(in, inner, inlen);
            }
        ike_keys_wipe(&k);
    }
}

static void test_sk_iv(void **state)
{
    (void)state;
    uint8_t inner[40] = {1, 2, 3};
    /* GCM: the explicit IV is the caller's counter, big-endian (RFC 5282 §3.1). */
    struct ike_keys k;
    sk_keys(&sk_suites[0], &k);
    uint8_t a[200], b[200];
    size_t off, len = sk_build(&sk_suites[0], a, sizeof a, inner, sizeof inner, 0, false, &off);
    memcpy(b, a, len);
    assert_int_equal(ike_sk_seal(&k, true, 0x0102030405060708ULL, a, len, off), 0);
    assert_hex(a + off + 4, 8, "0102030405060708");
    assert_int_equal(ike_sk_seal(&k, true, 0x0102030405060709ULL, b, len, off), 0);
    assert_memory_not_equal(a + off + 12, b + off + 12, len - off - 12);
    /* CBC: a fresh random IV each time (§3.14). */
    sk_keys(&sk_suites[7], &k);
    len = sk_build(&sk_suites[7], a, sizeof a, inner, sizeof inner, 0, false, &off);
    memcpy(b, a, len);
    assert_int_equal(ike_sk_seal(&k, true, 0, a, len, off), 0);
    assert_int_equal(ike_sk_seal(&k, true, 0, b, len, off), 0);
    assert_memory_not_equal(a + off + 4, b + off + 4, 16);
    ike_keys_wipe(&k);
}

/* Flipping any bit of any octet (header, unencrypted payload, SK header, IV, ciphertext,
 * padding, ICV) makes the message fail authentication. */
static void test_sk_tamper(void **state)
{
    (void)state;
    uint8_t inner[37];
    for (size_t i = 0; i < sizeof inner; i++) inner[i] = (uint8_t)i;
    for (size_t si = 0; si < N_ELEM(sk_suites); si++) {
        struct ike_keys k;
        sk_keys(&sk_suites[si], &k);
        uint8_t msg[300], t[300];
        size_t off;
        size_t len = sk_build(&sk_suites[si], msg, sizeof msg, inner, sizeof inner, 0, true, &off);
        assert_int_equal(ike_sk_seal(&k, false, 7, msg, len, off), 0);
        for (size_t pos = 0; pos < len; pos++)
            for (int bit = 0; bit < 8; bit += 7) {
                memcpy(t, msg, len);
                t[pos] ^= (uint8_t)(1u << bit);
                const uint8_t *in = (const uint8_t *)"x";
                size_t inlen = 5;
                assert_int_equal(ike_sk_open(&k, false, t, len, off, &in, &inlen), -1);
                assert_null(in);
                assert_int_equal(inlen, 0);
            }
        /* Untampered, it still opens. */
        const uint8_t *in;
        size_t inlen;
        assert_int_equal(ike_sk_open(&k, false, msg, len, off, &in, &inlen), 0);
        assert_int_equal(inlen, sizeof inner);
        ike_keys_wipe(&k);
    }
}

/* A GCM tag failure must not leave unauthenticated plaintext in the buffer. */
static void test_sk_gcm_failure_wipes(void **state)
{
    (void)state;
    struct ike_keys k;
    sk_keys(&sk_suites[1], &k);
    uint8_t inner[64], msg[200];
    memset(inner, 0x3c, sizeof inner);
    size_t off, len = sk_build(&sk_suites[1], msg, sizeof msg, inner, sizeof inner, 0, false, &off);
    assert_int_equal(ike_sk_seal(&k, true, 1, msg, len, off), 0);
    msg[len - 1] ^= 1;
    const uint8_t *in;
    size_t inlen;
    assert_int_equal(ike_sk_open(&k, true, msg, len, off, &in, &inlen), -1);
    assert_true(all_zero(msg + off + 12, len - off - 12 - 16));
    ike_keys_wipe(&k);
}

/* Pad Length (§3.14) at or beyond the plaintext is -2 once the ICV is good; the largest legal
 * value leaves an empty payload chain. Pad contents are not checked. */
static void test_sk_bad_padding(void **state)
{
    (void)state;
    for (size_t si = 0; si < N_ELEM(sk_suites); si++) {
        const struct ike_suite *s = &sk_suites[si];
        struct ike_keys k;
        sk_keys(s, &k);
        bool gcm = s->encr == IKE_ENCR_AES_GCM_16;
        size_t ctlen = gcm ? 5 : 32;
        uint8_t msg[200];
        size_t off;
        /* inner + padding + pad length = ctlen; then overwrite the pad length octet. */
        uint8_t inner_buf[40] = "abcd";
        size_t len = sk_build(s, msg, sizeof msg, inner_buf, gcm ? 4 : 31, 0, false, &off);
        size_t icv = ike_suite_icv_len(s);
        size_t padpos = len - icv - 1;
        static const struct {
            int padlen_delta; /* pad length = ctlen + delta */
            int rc;
        } cases[] = {{0, -2}, {1, -2}, {-1, 0}};
        for (size_t c = 0; c < N_ELEM(cases); c++) {
            len = sk_build(s, msg, sizeof msg, inner_buf, gcm ? 4 : 31, 0, false, &off);
            assert_int_equal(len - icv - (off + 4 + ike_suite_iv_len(s)), ctlen);
            msg[padpos] = (uint8_t)((int)ctlen + cases[c].padlen_delta);
            assert_int_equal(ike_sk_seal(&k, true, 3, msg, len, off), 0);
            const uint8_t *in;
            size_t inlen = 9;
            assert_int_equal(ike_sk_open(&k, true, msg, len, off, &in, &inlen), cases[c].rc);
            if (cases[c].rc == 0) {
                assert_int_equal(inlen, 0);
            } else {
                assert_null(in);
                assert_int_equal(inlen, 0);
            }
        }
        /* 255: the largest octet value. */
        len = sk_build(s, msg, sizeof msg, inner_buf, gcm ? 4 : 31, 0, false, &off);
        msg[padpos] = 255;
        assert_int_equal(ike_sk_seal(&k, true, 4, msg, len, off), 0);
        const uint8_t *in;
        size_t inlen;
        assert_int_equal(ike_sk_open(&k, true, msg, len, off, &in, &inlen), -2);
        ike_keys_wipe(&k);
    }
}

/* Bodies too short for IV + pad length + ICV, CBC text not whole blocks, and SK offsets that
 * do not fit are refused with -2 before any cryptography; seal refuses them with -1. */
static void test_sk_short_bodies(void **state)
{
    (void)state;
    for (size_t si = 0; si < N_ELEM(sk_suites); si++) {
        const struct ike_suite *s = &sk_suites[si];
        struct ike_keys k;
        sk_keys(s, &k);
        size_t iv = ike_suite_iv_len(s), icv = ike_suite_icv_len(s);
        bool gcm = s->encr == IKE_ENCR_AES_GCM_16;
        uint8_t msg[300];
        memset(msg, 0, sizeof msg);
        const uint8_t *in;
        size_t inlen;
        size_t min = IKE_HDR_LEN + 4 + iv + (gcm ? 1 : 16) + icv; /* smallest usable */
        for (size_t len = IKE_HDR_LEN; len < min; len++) {
            assert_int_equal(ike_sk_open(&k, true, msg, len, IKE_HDR_LEN, &in, &inlen), -2);
            assert_int_equal(ike_sk_seal(&k, true, 0, msg, len, IKE_HDR_LEN), -1);
        }
        if (!gcm)
            for (size_t extra = 1; extra < 16; extra++)
                assert_int_equal(ike_sk_open(&k, true, msg, min + extra, IKE_HDR_LEN, &in, &inlen),
                                 -2);
        /* The smallest message is authenticated (a zero-filled one fails: -1, not -2). */
        assert_int_equal(ike_sk_open(&k, true, msg, min, IKE_HDR_LEN, &in, &inlen), -1);
        assert_int_equal(ike_sk_open(&k, true, msg, 200, IKE_HDR_LEN - 1, &in, &inlen), -2);
        assert_int_equal(ike_sk_open(&k, true, msg, 200, 0, &in, &inlen), -2);
        assert_int_equal(ike_sk_open(&k, true, msg, 200, 201, &in, &inlen), -2);
        assert_int_equal(ike_sk_open(&k, true, msg, 200, 200 - 3, &in, &inlen), -2);
        assert_int_equal(ike_sk_open(&k, true, msg, 200, SIZE_MAX, &in, &inlen), -2);
        ike_keys_wipe(&k);
    }
    /* Keys that do not match their suite are unusable. */
    struct ike_keys k;
    sk_keys(&sk_suites[3], &k);
    k.ekey_len = 20;
    uint8_t msg[200] = {0};
    const uint8_t *in;
    size_t inlen;
    assert_int_equal(ike_sk_seal(&k, true, 0, msg, 200, IKE_HDR_LEN), -1);
    assert_int_equal(ike_sk_open(&k, true, msg, 200, IKE_HDR_LEN, &in, &inlen), -1);
    ike_keys_wipe(&k);
}

/* NIST SP 800-38D CAVS, gcmEncryptExtIV256.rsp, [Keylen = 256] [IVlen = 96] [PTlen = 408]
 * [AADlen = 384] [Taglen = 128], Count = 2 (checked at test-writing time with Python's
 * cryptography AESGCM). The 48-octet AAD plays the IKE header plus a 16-octet unencrypted
 * payload plus the SK generic header (sk_off = 44); the 12-octet IV splits into the salt (the
 * last 4 octets of SK_ei) and the explicit IV (the counter). Seal must give the CAVS
 * ciphertext and tag; open must accept the tag and give the plaintext back. */
static void test_sk_gcm_nist_kat(void **state)
{
    (void)state;
    static const char key[] = "463b412911767d57a0b33969e674ffe7845d313b88c6fe312f3d724be68e1fca";
    static const char aad[] = "0a682fbc6192e1b47a5e0868787ffdafe5a50cead3575849990cdd2ea9b35977"
                              "49403efb4a56684f0c6bde352d4aeec5";
    static const char pt[] = "e7d1dcf668e2876861940e012fe52a98dacbd78ab63c08842cc9801ea581682a"
                             "d54af0c34d0d7f6f59e8ee0bf4900e0fd85042";
    static const char ct[] = "8886e196010cb3849d9c1a182abe1eeab0a5f3ca423c3669a4a8703c0f146e8e"
                             "956fb122e0d721b869d2b6fcd4216d7d4d3758";
    static const char tag[] = "2469cecd70fd98fec9264f71df1aee9a";
    struct ike_keys k;
    memset(&k, 0, sizeof k);
    k.suite = (struct ike_suite){IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA2_256,
                                 IKE_DH_ECP256};
    k.prf_len = 32;
    k.ekey_len = 36;
    assert_int_equal(unhex(key, k.sk_ei, 32), 32);
    assert_int_equal(unhex("611ce6f9", k.sk_ei + 32, 4), 4); /* salt = IV[0..4) */
    memset(k.sk_er, 0x11, 36);
    uint8_t msg[48 + 8 + 51 + 16], orig[sizeof msg];
    assert_int_equal(unhex(aad, msg, 48), 48);
    assert_int_equal(unhex(pt, msg + 56, 51), 51);
    assert_int_equal(ike_sk_seal(&k, true, 0xa6880750de7da6cbULL, msg, sizeof msg, 44), 0);
    assert_hex(msg + 48, 8, "a6880750de7da6cb");
    assert_hex(msg + 56, 51, ct);
    assert_hex(msg + 107, 16, tag);
    memcpy(orig, msg, sizeof msg);
    /* The CAVS plaintext ends in 0x42 (66 > 50): authenticated, then refused as padding. */
    const uint8_t *in;
    size_t inlen;
    assert_int_equal(ike_sk_open(&k, true, msg, sizeof msg, 44, &in, &inlen), -2);
    assert_hex(msg + 56, 51, pt);
    /* The responder's key does not open it; nor does a changed AAD octet. */
    memcpy(msg, orig, sizeof msg);
    assert_int_equal(ike_sk_open(&k, false, msg, sizeof msg, 44, &in, &inlen), -1);
    memcpy(msg, orig, sizeof msg);
    msg[5] ^= 0x20;
    assert_int_equal(ike_sk_open(&k, true, msg, sizeof msg, 44, &in, &inlen), -1);
}

/* An IKE_AUTH request sealed by Python (cryptography AES-256-CBC, hmac SHA-256 truncated to
 * 128 bits over everything before the ICV) with SK_ei = 0x10..0x2f, SK_ai = 0x30..0x4f,
 * IV = 0xe0..0xef: inner = IDi(12) | AUTH(28), 7 padding octets 0x01..0x07, pad length 7. */
static void test_sk_cbc_python_kat(void **state)
{
    (void)state;
    static const char msg_hex[] =
        "0123456789abcdeffedcba98765432102e202308000000010000007023000054e0e1e2e3e4e5e6e7e8e9eaeb"
        "ecedeeef98626e3728f4d4c9b945a1e304feae2c80b75cace1be663f28ac5387c370618e09476846382878dd"
        "4b85516e42bd619bd5c3e9fb9fa193a60e2daec0faaf6f47";
    static const char inner_hex[] =
        "2700000c02000000010203040000001c020000006162636465666768696a6b6c"
        "6d6e6f7071727374";
    struct ike_keys k;
    memset(&k, 0, sizeof k);
    k.suite = (struct ike_suite){IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128,
                                 IKE_PRF_HMAC_SHA2_256, IKE_DH_MODP2048};
    k.prf_len = 32;
    k.ekey_len = 32;
    k.akey_len = 32;
    for (int i = 0; i < 32; i++) {
        k.sk_ei[i] = (uint8_t)(0x10 + i);
        k.sk_ai[i] = (uint8_t)(0x30 + i);
    }
    uint8_t msg[112];
    assert_int_equal(unhex(msg_hex, msg, sizeof msg), 112);
    const uint8_t *in;
    size_t inlen;
    assert_int_equal(ike_sk_open(&k, true, msg, sizeof msg, IKE_HDR_LEN, &in, &inlen), 0);
    assert_hex(in, inlen, inner_hex);
    /* Our own seal of the same plaintext opens the same way (its IV is random). */
    uint8_t again[112];
    memcpy(again, msg, sizeof again);
    assert_int_equal(ike_sk_seal(&k, true, 0, again, sizeof again, IKE_HDR_LEN), 0);
    assert_int_equal(ike_sk_open(&k, true, again, sizeof again, IKE_HDR_LEN, &in, &inlen), 0);
    assert_hex(in, inlen, inner_hex);
}

/* ---- AUTH (§2.15) ---- */

/* Python: prf(prf(psk, b"Key Pad for IKEv2"), octets) with psk = b"ikegate pre-shared key"
 * and octets = bytes(range(200)). */
static void test_psk_auth_kat(void **state)
{
    (void)state;
    static const char psk[] = "ikegate pre-shared key";
    uint8_t oct[200], out[IKE_MAX_PRF_LEN];
    for (int i = 0; i < 200; i++) oct[i] = (uint8_t)i;
    assert_int_equal(
        ike_psk_auth(IKE_PRF_HMAC_SHA1, (const uint8_t *)psk, strlen(psk), oct, 200, out), 20);
    assert_hex(out, 20, "6547900a1777e0f90e77acafb799d076f5bbd69a");
    assert_int_equal(
        ike_psk_auth(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)psk, strlen(psk), oct, 200, out), 32);
    assert_hex(out, 32, "ed50d37a6ef56dc026503202dc3d5cd61c54fbd2b3998ee5c1561ab1244dfec0");
    assert_int_equal(ike_psk_auth(1, (const uint8_t *)psk, strlen(psk), oct, 200, out), 0);
}

/* RealMessage | Nonce | prf(SK_p, IDx'): SK_p = 0xc0..0xdf, IDx' = FQDN "vpn.example.com"
 * (type 2, three reserved octets); the prf part from Python. */
static void test_signed_octets(void **state)
{
    (void)state;
    uint8_t skp[32], msg[50], nonce[32];
    for (int i = 0; i < 32; i++) skp[i] = (uint8_t)(0xc0 + i);
    memset(msg, 0x4d, sizeof msg);
    memset(nonce, 0x4e, sizeof nonce);
    static const uint8_t id[] = "\x02\x00\x00\x00vpn.example.com";
    size_t n = 0;
    uint8_t *so = ike_signed_octets(IKE_PRF_HMAC_SHA2_256, skp, 32, msg, sizeof msg, nonce,
                                    sizeof nonce, id, sizeof id - 1, &n);
    assert_non_null(so);
    assert_int_equal(n, 50 + 32 + 32);
    assert_memory_equal(so, msg, 50);
    assert_memory_equal(so + 50, nonce, 32);
    assert_hex(so + 82, 32, "c9f2b7309e2ad48cd9bd4c3a3d473d2bd154b9a86d30a96226506625f68246a7");
    free(so);
    assert_null(ike_signed_octets(9, skp, 32, msg, 50, nonce, 32, id, 19, &n));
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prf_rfc2202_sha1),
        cmocka_unit_test(test_prf_rfc4231_sha2),
        cmocka_unit_test(test_prf_lengths_and_unknown),
        cmocka_unit_test(test_prf_plus_kat),
        cmocka_unit_test(test_prf_plus_limits),
        cmocka_unit_test(test_derive_ike_keys_kat),
        cmocka_unit_test(test_derive_rekeyed_kat),
        cmocka_unit_test(test_child_keymat_kat),
        cmocka_unit_test(test_derive_rejects_bad_suites),
        cmocka_unit_test(test_suite_sizes),
        cmocka_unit_test(test_dh_ecp_rfc5903),
        cmocka_unit_test(test_dh_x25519_kat),
        cmocka_unit_test(test_dh_modp14_kat),
        cmocka_unit_test(test_dh_round_trip_all_groups),
        cmocka_unit_test(test_dh_modp_rejects),
        cmocka_unit_test(test_dh_ecp_rejects),
        cmocka_unit_test(test_dh_x25519_rejects),
        cmocka_unit_test(test_dh_names),
        cmocka_unit_test(test_supported),
        cmocka_unit_test(test_random_and_ct_equal),
        cmocka_unit_test(test_sk_round_trip),
        cmocka_unit_test(test_sk_iv),
        cmocka_unit_test(test_sk_tamper),
        cmocka_unit_test(test_sk_gcm_failure_wipes),
        cmocka_unit_test(test_sk_bad_padding),
        cmocka_unit_test(test_sk_short_bodies),
        cmocka_unit_test(test_sk_gcm_nist_kat),
        cmocka_unit_test(test_sk_cbc_python_kat),
        cmocka_unit_test(test_psk_auth_kat),
        cmocka_unit_test(test_signed_octets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
