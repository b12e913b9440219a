/* libFuzzer harness for ike/ike_crypto.c: SK payload opening (RFC 7296 §3.14, RFC 5282) and
 * Diffie-Hellman peer values (RFC 6989) on arbitrary bytes.
 *
 * Input: byte 0 picks the mode. Bit 7 clear: SK. (byte0 & 0x0f) % 10 picks the suite, bit 4
 * the direction (initiator's keys or responder's); byte 1 is the SK payload offset minus 28
 * (the IKE header); the rest is the message. Bit 7 set: DH. (byte0 & 0x0f) % 7 picks the
 * group; the rest is the peer's KE data.
 *
 * Invariants checked, besides the sanitizers:
 * - ike_sk_open returns 0, -1 or -2; on 0 the inner chain starts right after the IV, lies
 *   inside the message and is followed by at least the pad length octet and the ICV; on
 *   failure it reports no chain;
 * - sealing the same bytes and opening them again succeeds, unless the pad length octet is
 *   too large (-2), and gives back exactly the plaintext that was sealed; a message that seal
 *   refuses for its size is refused by open with -2;
 * - ike_dh_shared returns 0 or the group's secret length, refuses any length but the KE
 *   length, and is deterministic for one key and peer value. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ike/ike_crypto.h"
#include "ike/ike_wire.h"
#include "test/fuzz/fuzz_util.h"

#define N_SUITES 10
static const struct ike_suite suites[N_SUITES] = {
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
#define N_GROUPS 7
static const uint16_t groups[N_GROUPS] = {IKE_DH_MODP2048,  IKE_DH_MODP3072, IKE_DH_MODP4096,
                                          IKE_DH_ECP256,    IKE_DH_ECP384,   IKE_DH_ECP521,
                                          IKE_DH_CURVE25519};

static struct ike_keys keys[N_SUITES];
static struct ike_dh *dhs[N_GROUPS];

/* Fixed keys (the seeds are sealed with them): SKEYSEED inputs are constants. */
static void setup(void)
{
    static bool done;
    if (done) return;
    uint8_t ni[32], nr[32], gir[64];
    for (int i = 0; i < 32; i++) ni[i] = (uint8_t)i, nr[i] = (uint8_t)(0x80 + i);
    for (int i = 0; i < 64; i++) gir[i] = (uint8_t)(i * 5 + 1);
    for (int s = 0; s < N_SUITES; s++)
        FUZZ_CHECK(ike_derive_ike_keys(&suites[s], ni, 32, nr, 32, gir, 64, 0x1122334455667788ULL,
                                       0x99aabbccddeeff00ULL, &keys[s]) == 0);
    for (int g = 0; g < N_GROUPS; g++) FUZZ_CHECK((dhs[g] = ike_dh_new(groups[g])) != NULL);
    done = true;
}

static void fuzz_sk(uint8_t sel, uint8_t offb, const uint8_t *data, size_t size)
{
    const struct ike_keys *k = &keys[(sel & 0x0f) % N_SUITES];
    const struct ike_suite *s = &k->suite;
    bool init = sel & 0x10;
    size_t off = IKE_HDR_LEN + offb;
    size_t iv = ike_suite_iv_len(s), icv = ike_suite_icv_len(s);
    uint8_t *msg = malloc(size ? size : 1); /* exact size: ASan sees any overrun */
    FUZZ_CHECK(msg != NULL);
    if (size) memcpy(msg, data, size);

    const uint8_t *in = (const uint8_t *)"";
    size_t inlen = 12345;
    int rc = ike_sk_open(k, init, msg, size, off, &in, &inlen);
    FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
    if (rc == 0) {
        FUZZ_CHECK(in == msg + off + IKE_GENERIC_HDR_LEN + iv);
        FUZZ_CHECK(in + inlen + 1 + icv <= msg + size);
    } else {
        FUZZ_CHECK(in == NULL && inlen == 0);
    }

    /* Seal the original bytes, then open them. */
    memcpy(msg, data, size);
    bool fits =
        off <= size && size - off >= IKE_GENERIC_HDR_LEN + iv + 1 + icv &&
        (s->encr == IKE_ENCR_AES_GCM_16 || (size - off - IKE_GENERIC_HDR_LEN - iv - icv) % 16 == 0);
    int src = ike_sk_seal(k, init, 42, msg, size, off);
    FUZZ_CHECK(src == 0 || src == -1);
    FUZZ_CHECK((src == 0) == fits);
    if (!fits) FUZZ_CHECK(rc == -2);
    if (src == 0) {
        size_t ct = off + IKE_GENERIC_HDR_LEN + iv, ctlen = size - icv - ct;
        uint8_t padlen = data[ct + ctlen - 1];
        int orc = ike_sk_open(k, init, msg, size, off, &in, &inlen);
        if (padlen >= ctlen) {
            FUZZ_CHECK(orc == -2);
        } else {
            FUZZ_CHECK(orc == 0);
            FUZZ_CHECK(inlen == ctlen - 1 - padlen);
            FUZZ_CHECK(memcmp(in, data + ct, inlen) == 0);
        }
        FUZZ_CHECK(memcmp(msg + ct, data + ct, ctlen) == 0); /* decrypted back in place */
    }
    free(msg);
}

static void fuzz_dh(uint8_t sel, const uint8_t *data, size_t size)
{
    int gi = (sel & 0x0f) % N_GROUPS;
    struct ike_dh *dh = dhs[gi];
    uint8_t out[IKE_MAX_DH_LEN], again[IKE_MAX_DH_LEN];
    size_t n = ike_dh_shared(dh, data, size, out, sizeof out);
    size_t publen = ike_dh_pub_len(groups[gi]);
    if (size != publen) FUZZ_CHECK(n == 0);
    if (n == 0) return;
    size_t want = groups[gi] == IKE_DH_ECP256   ? 32
                  : groups[gi] == IKE_DH_ECP384 ? 48
                  : groups[gi] == IKE_DH_ECP521 ? 66
                                                : publen;
    FUZZ_CHECK(n == want);
    FUZZ_CHECK(ike_dh_shared(dh, data, size, again, sizeof again) == n);
    FUZZ_CHECK(memcmp(out, again, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (size < 1) return 0;
    if (data[0] & 0x80) {
        fuzz_dh(data[0], data + 1, size - 1);
        return 0;
    }
    if (size < 2) return 0;
    fuzz_sk(data[0], data[1], data + 2, size - 2);
    return 0;
}
