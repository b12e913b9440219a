/* IKEv2 cryptography through OpenSSL 3 EVP only (RFC 7296 §2.13-2.15, §3.14; RFC 5282 for
 * AES-GCM in SK; RFC 6989 checks on DH public values). No sockets, no time, no policy.
 *
 * Algorithm IDs are the IANA transform IDs of ike_wire.h. Every secret this module produces
 * is wiped (OPENSSL_cleanse) by the matching free/wipe call. Functions return 0 on success and
 * -1 on failure unless stated; failure never leaves partial secrets behind. */
#ifndef IKEGATE_IKE_CRYPTO_H
#define IKEGATE_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_MAX_PRF_LEN 64 /* SHA-512 */
#define IKE_MAX_KEY_LEN 36 /* AES-256 + 4-byte GCM salt */
#define IKE_MAX_ICV_LEN 32 /* HMAC-SHA2-512-256 */
#define IKE_MAX_DH_LEN 512 /* MODP 4096 */
#define IKE_MAX_IV_LEN 16

/* Is this algorithm implemented? keylen in bits for ENCR (128/256), ignored otherwise.
 * IKE_INTEG_NONE and IKE_DH_NONE name no algorithm and give false (the proposal logic pairs
 * AES-GCM with no/NONE integrity itself); ESN and unknown transform types give false. */
bool ike_crypto_supported(uint8_t transform_type, uint16_t id, uint16_t keylen);
/* Names as IOS shows them: "AES-GCM", "AES-CBC", "SHA256", "SHA96" (integ), "DH_GROUP_256_ECP/
 * Group 19" ... each returns a static string, "unknown" otherwise. */
const char *ike_encr_name(uint16_t id);
const char *ike_prf_name(uint16_t id);
const char *ike_integ_name(uint16_t id);
const char *ike_dh_name(uint16_t group);

/* Cryptographically strong random bytes (RAND_bytes). */
int ike_random(void *buf, size_t n);

/* ---- Diffie-Hellman: MODP 14/15/16 (RFC 3526), ECP 19/20/21 (RFC 5903: KE data is x || y,
 * each padded to the field size, no 0x04 prefix), Curve25519 31 (RFC 8031). ---- */
struct ike_dh;
/* Length of the KE data for the group, 0 if unsupported. */
size_t ike_dh_pub_len(uint16_t group);
/* A fresh key pair; NULL on failure. */
struct ike_dh *ike_dh_new(uint16_t group);
uint16_t ike_dh_group(const struct ike_dh *dh);
/* Our public value in KE wire form; returns its length (ike_dh_pub_len) or 0. */
size_t ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap);
/* The shared secret g^ir (MODP: left-padded to the modulus size; ECP: x coordinate only,
 * RFC 5903 §7; X25519: 32 bytes). Checks the peer value first (RFC 6989 §2.1: MODP 1 < y <
 * p-1; ECP on the curve and not infinity; X25519 non-zero result, RFC 8031 §2.3); returns its
 * length, or 0 on any failure. */
size_t ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out,
                     size_t cap);
/* Wipes and frees; NULL is ignored. */
void ike_dh_free(struct ike_dh *dh);
/* For known-answer tests only: the key pair whose private value is priv (MODP: the exponent,
 * big-endian; ECP: the scalar, big-endian, at most the field size; X25519: the 32-byte
 * scalar of RFC 7748). NULL on failure. */
struct ike_dh *ike_dh_new_from_private(uint16_t group, const uint8_t *priv, size_t len);

/* ---- PRF (§2.13) ---- */
size_t ike_prf_len(uint16_t prf); /* output = preferred key size; 0 if unknown */
/* out receives ike_prf_len bytes; returns that length or 0. */
size_t ike_prf(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
               uint8_t *out);
/* prf+ (§2.13): T1 | T2 | ... truncated to outlen (at most 255 blocks). */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *seed, size_t slen,
                 uint8_t *out, size_t outlen);

/* ---- the negotiated IKE SA suite and its keys (§2.14) ---- */
struct ike_suite {
    uint16_t encr;   /* IKE_ENCR_AES_CBC or IKE_ENCR_AES_GCM_16 */
    uint16_t keylen; /* bits: 128 or 256 */
    uint16_t integ;  /* IKE_INTEG_NONE with GCM */
    uint16_t prf;
    uint16_t dh;
};
/* Sizes that follow from a suite: key (GCM: + 4 salt bytes, RFC 5282 §7.1), IV (CBC 16,
 * GCM 8), ICV (integrity output, GCM tag 16), block for padding (CBC 16, GCM 1). */
size_t ike_suite_enc_key_len(const struct ike_suite *s);
size_t ike_suite_integ_key_len(const struct ike_suite *s);
size_t ike_suite_iv_len(const struct ike_suite *s);
size_t ike_suite_icv_len(const struct ike_suite *s);
size_t ike_suite_block(const struct ike_suite *s);

struct ike_keys {
    struct ike_suite suite;
    size_t prf_len, ekey_len, akey_len;
    uint8_t sk_d[IKE_MAX_PRF_LEN];
    uint8_t sk_ai[IKE_MAX_PRF_LEN], sk_ar[IKE_MAX_PRF_LEN];
    uint8_t sk_ei[IKE_MAX_KEY_LEN], sk_er[IKE_MAX_KEY_LEN];
    uint8_t sk_pi[IKE_MAX_PRF_LEN], sk_pr[IKE_MAX_PRF_LEN];
};
/* SKEYSEED = prf(Ni | Nr, g^ir) (§2.14; for PRFs with fixed key size RFC 7296 says the
 * first half of the key is Ni's and the second Nr's: not needed for HMAC PRFs), then
 * {SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
 * SPIs in host order (written big-endian). */
int ike_derive_ike_keys(const struct ike_suite *s, const uint8_t *ni, size_t nilen,
                        const uint8_t *nr, size_t nrlen, const uint8_t *gir, size_t girlen,
                        uint64_t spi_i, uint64_t spi_r, struct ike_keys *k);
/* IKE SA rekey (§2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the OLD SA's
 * PRF, then prf+ with the NEW suite's PRF as above. */
int ike_derive_rekeyed_keys(uint16_t old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len,
                            const struct ike_suite *s, const uint8_t *ni, size_t nilen,
                            const uint8_t *nr, size_t nrlen, const uint8_t *gir, size_t girlen,
                            uint64_t spi_i, uint64_t spi_r, struct ike_keys *k);
/* CHILD_SA keying material (§2.17): KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr); gir may be
 * NULL. The caller splits it (initiator→responder keys first). */
int ike_derive_child_keymat(const struct ike_keys *k, const uint8_t *gir, size_t girlen,
                            const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
                            uint8_t *out, size_t outlen);
void ike_keys_wipe(struct ike_keys *k);

/* ---- SK payload protection (§3.14, RFC 5282 §5) ----
 * msg/len: the whole message built with ikew_sk_begin/ikew_sk_end and ikew_finish: the SK
 * payload is the last one, its generic header at sk_off, then IV, inner payloads, padding, pad
 * length, ICV. `initiator`: the message is sent by the original initiator of the IKE SA (keys
 * SK_ei/SK_ai), else SK_er/SK_ar. seal fills the IV (random for CBC; for GCM a counter the
 * caller passes in iv_counter, made unique per key, RFC 5282 §3.1) and the ICV. */
int ike_sk_seal(const struct ike_keys *k, bool initiator, uint64_t iv_counter, uint8_t *msg,
                size_t len, size_t sk_off);
/* Verifies the ICV/tag over the message (CBC: header through the last byte before the ICV;
 * GCM AAD = IKE header + SK generic header), decrypts in place and strips the padding.
 * On success *inner / *inner_len give the inner payload chain (inside msg) and the return is
 * 0; -1 = authentication failed (IKE_DROP_DECRYPT), -2 = bad padding/lengths
 * (IKE_DROP_PADDING). On failure *inner is NULL and *inner_len 0; after -1 with GCM the
 * encrypted region of msg is zeroed (it was decrypted in place before the tag check failed),
 * after -2 for padding it holds the authenticated plaintext. */
int ike_sk_open(const struct ike_keys *k, bool initiator, uint8_t *msg, size_t len, size_t sk_off,
                const uint8_t **inner, size_t *inner_len);
/* RFC 7383 §2.5: the same for an Encrypted Fragment payload (SKF) at skf_off, whose header has
 * the Fragment Number and Total Fragments after the generic header. The CBC padding rule is
 * the same; ike_sk_end's layout works for SKF when the builder added those 4 bytes. */
int ike_skf_seal(const struct ike_keys *k, bool initiator, uint64_t iv_counter, uint8_t *msg,
                 size_t len, size_t skf_off);
int ike_skf_open(const struct ike_keys *k, bool initiator, uint8_t *msg, size_t len, size_t skf_off,
                 const uint8_t **inner, size_t *inner_len);

/* ---- AUTH (§2.15) ----
 * Shared key: AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <signed octets>). */
size_t ike_psk_auth(uint16_t prf, const uint8_t *psk, size_t psklen, const uint8_t *octets,
                    size_t olen, uint8_t *out);
/* <signed octets> = RealMessage | Nonce(peer) | prf(SK_px, IDx'), where IDx' is the ID
 * payload body (type, reserved, data). Returns a malloc'd buffer (caller frees) or NULL. */
uint8_t *ike_signed_octets(uint16_t prf, const uint8_t *sk_p, size_t sk_p_len, const uint8_t *msg,
                           size_t msglen, const uint8_t *nonce, size_t nlen, const uint8_t *idbody,
                           size_t idlen, size_t *outlen);

/* Constant-time compare. */
bool ike_ct_equal(const void *a, const void *b, size_t n);

#endif
