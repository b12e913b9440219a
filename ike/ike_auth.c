/* The exchanges' view of certificates (ike_auth.h) on top of ike_pki. */
#include <stdio.h>
#include <string.h>

#include "ike/ike_auth.h"
#include "ike/ike_pki.h"
#include "ike/ike_wire.h"

struct ike_pki_cert *ike_auth_cert_parse(const uint8_t *der, size_t len)
{
    char err[128];
    return ike_pki_cert_parse(der, len, err, sizeof err);
}

void ike_auth_cert_free(struct ike_pki_cert *c)
{
    if (c) ike_pki_cert_free(c);
}

void *ike_auth_cert_handle(struct ike_pki_cert *c)
{
    return c;
}

int ike_auth_cert_is_ecdsa(const struct ike_pki_cert *c)
{
    struct ike_pki_cert_info info;
    if (ike_pki_cert_get_info(c, &info)) return 0;
    return !strcmp(info.key_alg, "EC");
}

int ike_auth_verify_chain(void *trustpoint, struct ike_pki_cert *c, const uint8_t *const *inter,
                          const size_t *interlen, int ninter, time_t now, char *why, size_t whylen)
{
    struct ike_pki_der d[IKE_PKI_MAX_CHAIN];
    int n = 0;
    for (int i = 0; i < ninter && n < IKE_PKI_MAX_CHAIN; i++)
        d[n++] = (struct ike_pki_der){inter[i], interlen[i]};
    const uint8_t *ee;
    size_t eelen = ike_pki_cert_der(c, &ee);
    return ike_pki_tp_validate(trustpoint, ee, eelen, d, n, now, NULL, why, whylen) ? -1 : 0;
}

int ike_auth_cert_matches_id(const struct ike_pki_cert *c, uint8_t idtype, const uint8_t *d,
                             size_t len)
{
    return ike_pki_cert_match_id(c, idtype, d, len);
}

int ike_auth_verify(struct ike_pki_cert *c, uint8_t method, const uint8_t *sig, size_t siglen,
                    const uint8_t *octets, size_t olen, char *why, size_t whylen)
{
    return ike_pki_verify(c, method, sig, siglen, octets, olen, 0, NULL, why, whylen) ? -1 : 0;
}

int ike_auth_sign(void *signer, uint8_t sig_hashes, const uint8_t *octets, size_t olen,
                  uint8_t *method, uint8_t *out, size_t *outlen, char *why, size_t whylen)
{
    const struct ike_pki_key *key = ike_pki_tp_key(signer);
    if (!key || !ike_pki_tp_cert(signer)) {
        snprintf(why, whylen, "trustpoint has no certificate and key to sign with");
        return -1;
    }
    /* RFC 7427 §4: the hashes the peer announced, back in wire form for the chooser. */
    uint8_t hashes[16];
    size_t hl = 0;
    for (int h = 1; h < 8; h++)
        if (sig_hashes & (1u << h)) hashes[hl++] = 0, hashes[hl++] = (uint8_t)h;
    struct ike_pki_sigalg alg;
    if (ike_pki_choose_sigalg(key, hl ? hashes : NULL, hl, false, &alg)) {
        snprintf(why, whylen, "no signature scheme fits our key and the peer's hashes");
        return -1;
    }
    if (ike_pki_sign(key, &alg, octets, olen, out, *outlen, outlen, why, whylen)) return -1;
    *method = alg.method;
    return 0;
}

size_t ike_auth_signer_cert(void *signer, uint8_t *out, size_t cap)
{
    const struct ike_pki_cert *c = signer ? ike_pki_tp_cert(signer) : NULL;
    const uint8_t *der;
    size_t n = c ? ike_pki_cert_der(c, &der) : 0;
    if (!n || n > cap) return 0;
    memcpy(out, der, n);
    return n;
}

size_t ike_auth_signer_subject(void *signer, uint8_t *out, size_t cap)
{
    const struct ike_pki_cert *c = signer ? ike_pki_tp_cert(signer) : NULL;
    size_t n = c ? ike_pki_cert_subject_der(c, out, cap) : 0;
    return n <= cap ? n : 0;
}

int ike_auth_dn_text(const uint8_t *der, size_t len, char *out, size_t cap)
{
    ike_pki_id_to_text(IKE_ID_DER_ASN1_DN, der, len, out, cap);
    return 0;
}
