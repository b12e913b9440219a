/* What the exchanges need from certificates (ike_auth.c adapts ike_pki to it): parse the
 * peer's certificate, validate it against a trustpoint, match it to the peer's identity,
 * verify and make AUTH signatures (RFC 7296 §2.15, RFC 4754, RFC 7427). */
#ifndef IKEGATE_IKE_AUTH_H
#define IKEGATE_IKE_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ike_pki_cert; /* ike_pki.h */ /* a parsed peer certificate */

/* DER X.509 (a CERT payload's data) -> handle, NULL if it does not parse. */
struct ike_pki_cert *ike_auth_cert_parse(const uint8_t *der, size_t len);
void ike_auth_cert_free(struct ike_pki_cert *c);    /* NULL is ignored */
void *ike_auth_cert_handle(struct ike_pki_cert *c); /* the X509 * (for certificate maps) */
int ike_auth_cert_is_ecdsa(const struct ike_pki_cert *c);
/* Chain to one of the trustpoint's CAs, with intermediates from further CERT payloads.
 * 0, or -1 with a reason. */
int ike_auth_verify_chain(void *trustpoint, struct ike_pki_cert *c, const uint8_t *const *inter,
                          const size_t *interlen, int ninter, time_t now, char *why, size_t whylen);
/* Does the IDi (type + data) name this certificate (subject DN or a subjectAltName)? */
int ike_auth_cert_matches_id(const struct ike_pki_cert *c, uint8_t idtype, const uint8_t *d,
                             size_t len);
/* Verify an AUTH payload (method + data) over the signed octets. 0, or -1 with a reason. */
int ike_auth_verify(struct ike_pki_cert *c, uint8_t method, const uint8_t *sig, size_t siglen,
                    const uint8_t *octets, size_t olen, char *why, size_t whylen);
/* Sign with our key: picks the method (RFC 7427 when the peer announced hashes: sig_hashes is
 * a bitmask of RFC 7427 hash IDs); *outlen in: capacity, out: length. 0 or -1 with a reason. */
int ike_auth_sign(void *signer, uint8_t sig_hashes, const uint8_t *octets, size_t olen,
                  uint8_t *method, uint8_t *out, size_t *outlen, char *why, size_t whylen);
/* Our certificate as DER / its subject DN as DER; 0 when there is none or it does not fit. */
size_t ike_auth_signer_cert(void *signer, uint8_t *out, size_t cap);
size_t ike_auth_signer_subject(void *signer, uint8_t *out, size_t cap);
/* A DER DN as "cn=gw1,o=lab" text. 0, or -1 if it does not parse. */
int ike_auth_dn_text(const uint8_t *der, size_t len, char *out, size_t cap);

#endif
