/* Certificates and signature authentication for IKEv2, through OpenSSL 3 only.
 *
 * - Trustpoints (IOS `crypto pki trustpoint NAME`): CA certificates (the trust anchors), and
 *   optionally our own certificate with its intermediates and our private key. Loaded from PEM
 *   files the way IOS `crypto pki import NAME pem` reads them (PREFIX.ca, PREFIX.prv,
 *   PREFIX.crt), from PKCS#12, or from PEM text (what the shell persists), and exported again
 *   as PEM text.
 * - Peer certificate validation against one trustpoint (RFC 5280 path validation by OpenSSL's
 *   X509_verify_cert; the caller supplies the time; no revocation checking, as IOS
 *   `revocation-check none`).
 * - CERTREQ data (RFC 7296 §3.7) and matching a received CERTREQ against a trustpoint.
 * - AUTH payload signatures (RFC 7296 §2.15 and §3.8 method 1, RFC 4754 methods 9/10/11,
 *   RFC 7427 method 14) and the SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 §4).
 * - Identities carried by certificates (RFC 4945 §3): subject DN and subjectAltName matching
 *   against IKE IDs, and text rendering for show output.
 * - IOS certificate maps (`crypto pki certificate map NAME SEQ`), as plain structs.
 * - `show crypto pki certificates` / `show crypto pki trustpoints` text.
 *
 * Pure: no sockets, no clock (times are parameters), no global state besides OpenSSL's. Not
 * thread-safe for writing: a trustpoint is modified by one thread (the engine's); reading
 * functions (validate, sign, CERTREQ) take const objects.
 *
 * Errors: functions return 0 (IKE_PKI_OK) on success or a negative enum ike_pki_rc, and when
 * `err` is not NULL they write a one-line reason into err[0..errlen) (NUL-terminated,
 * truncated if needed; IKE_PKI_ERR_MAX is always enough). The reason names what failed, e.g.
 * "gw1.prv: wrong password or corrupt private key", "certificate has expired (depth 0:
 * cn=gw1,o=lab)". */
#ifndef IKEGATE_IKE_PKI_H
#define IKEGATE_IKE_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "platform/strbuf.h"

#define IKE_PKI_ERR_MAX 256
#define IKE_PKI_NAME_MAX 64        /* trustpoint names, NUL included */
#define IKE_PKI_SHA1_LEN 20        /* one CERTREQ entry (RFC 7296 §3.7) */
#define IKE_PKI_MAX_CHAIN 8        /* certificates a peer may send beyond its own */
#define IKE_PKI_MAX_AUTH_DATA 1100 /* method 14 prefix (<= 1 + 72) + RSA-8192 signature */
#define IKE_PKI_DN_MAX 512         /* rendered DN, NUL included (longer ones are cut) */

enum ike_pki_rc {
    IKE_PKI_OK = 0,
    IKE_PKI_E_MALFORMED = -1,     /* bytes or text that do not parse */
    IKE_PKI_E_UNSUPPORTED = -2,   /* unknown AlgorithmIdentifier, method, key or hash type */
    IKE_PKI_E_KEY_MISMATCH = -3,  /* key type/curve does not fit the method, or key != cert */
    IKE_PKI_E_BAD_SIGNATURE = -4, /* a well-formed signature that does not verify */
    IKE_PKI_E_POLICY = -5,        /* refused by policy (SHA-1 in method 14 without the flag) */
    IKE_PKI_E_NOSPACE = -6,       /* the output buffer is too small */
    IKE_PKI_E_IO = -7,            /* a file that cannot be read */
    IKE_PKI_E_PASSWORD = -8,      /* missing or wrong password */
    IKE_PKI_E_INVALID = -9,       /* certificate path validation failed */
    IKE_PKI_E_MISSING = -10,      /* the trustpoint lacks what is needed (key, cert, CA) */
    IKE_PKI_E_INTERNAL = -11,     /* OpenSSL failed (allocation, ...) */
};
/* A short name for the code ("bad signature", ...). */
const char *ike_pki_rc_name(int rc);

/* ---- certificates and keys (opaque) ---- */

/* One X.509 certificate. Immutable once made; ike_pki_cert_free releases it. */
struct ike_pki_cert;
/* One private key (RSA, RSA-PSS or EC). */
struct ike_pki_key;

/* Parse one DER certificate (a CERT payload body with encoding IKE_CERT_X509_SIG). The whole
 * input must be the certificate: trailing bytes are refused. NULL on failure. */
struct ike_pki_cert *ike_pki_cert_parse(const uint8_t *der, size_t len, char *err, size_t errlen);
/* Another handle on the same certificate (shares the X509; free each handle). */
struct ike_pki_cert *ike_pki_cert_dup(const struct ike_pki_cert *c);
void ike_pki_cert_free(struct ike_pki_cert *c);
/* The certificate's DER (valid while c lives); returns its length. */
size_t ike_pki_cert_der(const struct ike_pki_cert *c, const uint8_t **der);

/* A private key from PEM text (PKCS#8, encrypted PKCS#8, or traditional "RSA/EC PRIVATE KEY"
 * blocks, encrypted with Proc-Type/DEK-Info as IOS exports them). password may be NULL. */
struct ike_pki_key *ike_pki_key_from_pem(const char *pem, size_t len, const char *password,
                                         char *err, size_t errlen);
void ike_pki_key_free(struct ike_pki_key *k);

enum ike_pki_key_kind {
    IKE_PKI_KEY_OTHER = 0,
    IKE_PKI_KEY_RSA,
    IKE_PKI_KEY_RSA_PSS, /* an RSASSA-PSS-only key: method 14 with PSS only */
    IKE_PKI_KEY_EC,
};
enum ike_pki_key_kind ike_pki_key_kind(const struct ike_pki_key *k);
/* Bits of the key (RSA modulus, EC field). */
int ike_pki_key_bits(const struct ike_pki_key *k);
/* For EC keys the RFC 4754 method of the curve (IKE_AUTH_ECDSA_256/384/521), else 0. */
uint8_t ike_pki_key_ecdsa_method(const struct ike_pki_key *k);

/* ---- certificate details for show output ---- */

struct ike_pki_cert_info {
    char subject[IKE_PKI_DN_MAX]; /* "cn=gw1,ou=vpn,o=lab": IOS order (last RDN first) */
    char issuer[IKE_PKI_DN_MAX];
    char name[128];  /* subject unstructuredName, else its CN, else "" (IOS "Name:") */
    char serial[84]; /* upper-case hex, whole octets: "02", "793B5727" */
    time_t not_before, not_after;
    char key_alg[16]; /* "RSA", "RSA-PSS", "EC", "ED25519", ... */
    int key_bits;
    char curve[16];     /* "P-256", "P-384", "P-521" or the OpenSSL name; "" if not EC */
    char usage[20];     /* IOS "Certificate Usage": General Purpose / Signature / Encryption */
    bool is_ca;         /* basicConstraints cA */
    char sig_alg[48];   /* the certificate's signature algorithm, e.g. "SHA256 with RSA
                           Encryption", "SHA256 with ECDSA" */
    uint8_t sha1[20];   /* SHA-1 over the DER (the fingerprint IOS shows) */
    char sha1_text[48]; /* "1A2B3C4D 5E6F7081 ..." (IOS groups of 8 hex digits) */
};
int ike_pki_cert_get_info(const struct ike_pki_cert *c, struct ike_pki_cert_info *info);

/* ---- trustpoints ---- */

struct ike_pki_tp;

/* A new, empty trustpoint (NULL if name is empty or too long). */
struct ike_pki_tp *ike_pki_tp_new(const char *name);
void ike_pki_tp_free(struct ike_pki_tp *tp);
const char *ike_pki_tp_name(const struct ike_pki_tp *tp);

/* Importing. Each function loads the pieces it is given and only then changes the
 * trustpoint, replacing the same pieces: given CA certificates replace the CA set; a given
 * certificate replaces our certificate and its intermediates; a given key replaces our key.
 * When the trustpoint ends up with both a certificate and a key, they must belong together
 * (IKE_PKI_E_KEY_MISMATCH otherwise). On any failure the trustpoint is left unchanged.
 *
 * Every CA certificate of a trustpoint is a trust anchor, whether self-signed or not (IOS
 * trusts a trustpoint's subordinate CA the same way): validation stops at the first one it
 * reaches. */

/* IOS `crypto pki import NAME pem url PREFIX password PW`: PREFIX.ca (one or more CA
 * certificates), PREFIX.prv (our private key, encrypted with `password` or not) and PREFIX.crt
 * (our certificate, optionally followed by intermediate CA certificates). Any of the three may
 * be absent, but not all; PEM is expected, a single DER certificate is also accepted in .ca and
 * .crt. Errors name the file ("/tmp/gw1.prv: wrong password or corrupt private key"). */
int ike_pki_tp_import_pem_files(struct ike_pki_tp *tp, const char *prefix, const char *password,
                                char *err, size_t errlen);
/* IOS `crypto pki import NAME pkcs12 PATH password PW`: key, certificate and the CA chain
 * (every extra certificate becomes a CA certificate of the trustpoint). PKCS#12 files
 * encrypted with RC2-40 (OpenSSL 1.x's default) need OpenSSL's legacy provider, which is not
 * loaded: such files fail with IKE_PKI_E_UNSUPPORTED. */
int ike_pki_tp_import_pkcs12(struct ike_pki_tp *tp, const char *path, const char *password,
                             char *err, size_t errlen);
/* The same from PEM text in memory; any of the three may be NULL (not all). cert_pem: our
 * certificate first, then intermediates. */
int ike_pki_tp_import_pem(struct ike_pki_tp *tp, const char *ca_pem, const char *cert_pem,
                          const char *key_pem, const char *password, char *err, size_t errlen);

enum ike_pki_part {
    IKE_PKI_PART_CA,   /* every CA certificate, PEM, in import order */
    IKE_PKI_PART_CERT, /* our certificate then its intermediates, PEM */
    IKE_PKI_PART_KEY,  /* our private key, PKCS#8 PEM */
};
/* The part as PEM text for saving (malloc'd, caller frees), or NULL when the trustpoint has
 * none of it. For IKE_PKI_PART_KEY with a non-empty passphrase the key is written as encrypted
 * PKCS#8 (PBES2: AES-256-CBC, PBKDF2-HMAC-SHA256, OpenSSL's iteration default); with NULL or
 * "" it is written in clear (the caller then protects the file, mode 0600). Reload with
 * ike_pki_tp_import_pem(tp, ca, cert, key, passphrase). */
char *ike_pki_tp_export_pem(const struct ike_pki_tp *tp, enum ike_pki_part part,
                            const char *passphrase);

int ike_pki_tp_ca_count(const struct ike_pki_tp *tp);
const struct ike_pki_cert *ike_pki_tp_ca(const struct ike_pki_tp *tp, int i);
const struct ike_pki_cert *ike_pki_tp_cert(const struct ike_pki_tp *tp); /* NULL if none */
const struct ike_pki_key *ike_pki_tp_key(const struct ike_pki_tp *tp);   /* NULL if none */
/* What to send in CERT payloads (RFC 7296 §3.6, encoding 4): our certificate first, then each
 * issuer found among the trustpoint's intermediates and CA certificates, stopping before a
 * self-signed one (the peer has its roots). Returns the number stored in out[] (<= max), or 0
 * when there is no certificate. The pointers live as long as the trustpoint is unchanged. */
int ike_pki_tp_send_chain(const struct ike_pki_tp *tp, const struct ike_pki_cert **out, int max);

/* IOS `show crypto pki certificates [NAME]` for one trustpoint: our certificate ("Certificate"
 * block) then each CA certificate ("CA Certificate"), each followed by a blank line. verbose
 * adds key, signature algorithm and SHA-1 fingerprint lines (`... verbose`). Appends to sb. */
void ike_pki_tp_show_certificates(const struct ike_pki_tp *tp, bool verbose, struct strbuf *sb);
/* IOS `show crypto pki trustpoints [NAME]`: the lines that follow "Trustpoint NAME:" (the
 * shell prints that header, and "Not authenticated." itself for trustpoints without CA):
 * "    Subject Name:", the CA subject one attribute per line, "          Serial Number (hex):
 * 01" for each CA certificate, then "    Certificate configured.". Returns 0, or -1 with
 * nothing written when the trustpoint has no CA certificate. */
int ike_pki_tp_show_trustpoint(const struct ike_pki_tp *tp, struct strbuf *sb);

/* ---- peer certificate validation ---- */

struct ike_pki_der {
    const uint8_t *data;
    size_t len;
};

/* Validate the peer's end-entity certificate (DER from its first CERT payload) with optional
 * intermediates (DER from further CERT payloads, any order, at most IKE_PKI_MAX_CHAIN) against
 * the trustpoint's CA certificates at time `now`: signatures, validity periods of every
 * certificate in the path, basic constraints; purpose "any"; no CRL/OCSP. On success *out (if
 * out is not NULL) receives the parsed end-entity certificate (caller frees). On failure *out
 * is NULL and err gives OpenSSL's reason with the depth and subject of the certificate at
 * fault ("certificate has expired (depth 0: cn=gw1)", "unable to get local issuer certificate
 * (depth 1: cn=sub-ca)"). Returns IKE_PKI_OK, IKE_PKI_E_MALFORMED (a DER that does not parse),
 * IKE_PKI_E_MISSING (no CA certificate) or IKE_PKI_E_INVALID. */
int ike_pki_tp_validate(const struct ike_pki_tp *tp, const uint8_t *ee, size_t ee_len,
                        const struct ike_pki_der *inter, int ninter, time_t now,
                        struct ike_pki_cert **out, char *err, size_t errlen);

/* ---- CERTREQ (RFC 7296 §3.7) ---- */

/* The Certification Authority data for this trustpoint: SHA-1 of the DER SubjectPublicKeyInfo
 * of each CA certificate, concatenated. Returns the length it needs (20 per CA) and writes it
 * only when cap is large enough. */
size_t ike_pki_tp_certreq(const struct ike_pki_tp *tp, uint8_t *out, size_t cap);
/* Does a received CERTREQ's Certification Authority data name one of this trustpoint's CA
 * certificates or one of our certificate's intermediates (i.e. should we answer with this
 * trustpoint's certificate)? Only whole 20-byte entries count; a shorter tail is ignored. */
bool ike_pki_tp_certreq_match(const struct ike_pki_tp *tp, const uint8_t *data, size_t len);

/* ---- AUTH signatures ---- */

/* RFC 7427 §7 hash algorithm identifiers (IANA "IKEv2 Hash Algorithms"). */
enum {
    IKE_HASH_SHA1 = 1,
    IKE_HASH_SHA2_256 = 2,
    IKE_HASH_SHA2_384 = 3,
    IKE_HASH_SHA2_512 = 4,
    IKE_HASH_IDENTITY = 5, /* RFC 8420 (EdDSA): not supported here */
};

/* A signature scheme for an AUTH payload. */
struct ike_pki_sigalg {
    uint8_t method; /* IKE_AUTH_RSA_SIG, IKE_AUTH_ECDSA_256/384/521 or IKE_AUTH_DIGITAL_SIG */
    uint16_t hash;  /* IKE_HASH_*: method 14's hash; method 1's (0 = SHA-1, the default of RFC
                       7296 §3.8); ignored for 9/10/11, whose hash the curve fixes */
    bool pss;       /* method 14 with an RSA key: RSASSA-PSS (MGF1 with the same hash, salt =
                       hash length) instead of PKCS#1 v1.5 */
};

/* Sign the <signed octets> of RFC 7296 §2.15 (see ike_signed_octets) into AUTH data:
 * - method 1: RSASSA-PKCS1-v1_5 (RFC 7296 §3.8) with SHA-1 unless alg->hash says otherwise;
 * - methods 9/10/11: ECDSA with SHA-256/384/512 on P-256/384/521, the signature as r || s,
 *   each left-padded to the field size (RFC 4754 §7); the key's curve must fit the method;
 * - method 14: one octet with the length of the AlgorithmIdentifier, its DER, then the
 *   signature (RFC 7427 §3): PKCS#1 v1.5 sha{1,256,384,512}WithRSAEncryption, RSASSA-PSS, or
 *   ecdsa-with-SHA{1,256,384,512} whose signature is the DER ECDSA-Sig-Value. The
 *   AlgorithmIdentifiers are RFC 7427 Appendix A's bytes (for RSASSA-PSS with SHA-384/512 the
 *   same form as A.4.3 with that hash and a salt of the hash length).
 * Writes *outlen bytes into out (IKE_PKI_MAX_AUTH_DATA is always enough). */
int ike_pki_sign(const struct ike_pki_key *key, const struct ike_pki_sigalg *alg,
                 const uint8_t *octets, size_t olen, uint8_t *out, size_t cap, size_t *outlen,
                 char *err, size_t errlen);

/* Accept SHA-1 inside method 14 (sha1WithRSAEncryption, ecdsa-with-SHA1, RSASSA-PSS with
 * SHA-1). Off by default: we do not announce SHA-1 (RFC 8247 §3.2). Method 1 is SHA-1 by
 * nature and is the caller's policy to accept or not. */
#define IKE_PKI_VERIFY_ALLOW_SHA1 0x1u

/* Verify AUTH data made with `method` by the holder of `peer`'s key over the signed octets.
 * Method 1 accepts PKCS#1 v1.5 with SHA-1 and, since §3.8 lets the hash vary, SHA-256/384/512
 * (OpenSSL compares the whole DigestInfo encoding: no lenient parsing). Methods 9/10/11 need an
 * EC key on the method's curve and exactly 2 * field-size bytes. Method 14 parses the
 * AlgorithmIdentifier (d2i_X509_ALGOR; the length octet must cover it exactly), accepting the
 * Appendix A encodings and their NULL/absent parameter variants, and any RSASSA-PSS parameters
 * with SHA-1/SHA-2 hashes, MGF1, trailerField 1. `used` (may be NULL) receives the scheme
 * found. Returns IKE_PKI_OK, IKE_PKI_E_MALFORMED, IKE_PKI_E_UNSUPPORTED (unknown
 * AlgorithmIdentifier or method), IKE_PKI_E_KEY_MISMATCH, IKE_PKI_E_POLICY or
 * IKE_PKI_E_BAD_SIGNATURE. */
int ike_pki_verify(const struct ike_pki_cert *peer, uint8_t method, const uint8_t *auth,
                   size_t alen, const uint8_t *octets, size_t olen, unsigned flags,
                   struct ike_pki_sigalg *used, char *err, size_t errlen);

/* Our SIGNATURE_HASH_ALGORITHMS notify data (RFC 7427 §4): SHA2-256, SHA2-384, SHA2-512 as
 * 16-bit big-endian IDs. SHA-1 is left out (RFC 8247 §3.2: MUST NOT for signature hashes) and
 * so is Identity (EdDSA is not implemented). Returns the length (6); writes it when it fits. */
size_t ike_pki_hash_algorithms(uint8_t *out, size_t cap);

/* Choose how we sign. peer_hashes/len: the data of the peer's SIGNATURE_HASH_ALGORITHMS
 * notify, or NULL when it sent none (an odd trailing byte is ignored). When the peer sent it
 * and a SHA-2 hash is in common, method 14: for RSA prefer SHA-256, then 384, then 512 (PSS
 * when prefer_pss, always for an RSA-PSS-only key); for ECDSA the curve's own hash (RFC 4754's
 * pairing), then 256, 384, 512. Otherwise the legacy method: 1 for RSA, 9/10/11 for EC keys on
 * P-256/384/521. Fails (IKE_PKI_E_UNSUPPORTED) when nothing fits (e.g. an RSA-PSS key or an EC
 * key on another curve without a common hash). */
int ike_pki_choose_sigalg(const struct ike_pki_key *key, const uint8_t *peer_hashes, size_t len,
                          bool prefer_pss, struct ike_pki_sigalg *out);

/* ---- identities (RFC 7296 §3.5, RFC 4945 §3) ---- */

/* The subject DN as DER (the data of an ID_DER_ASN1_DN, IOS `identity local dn`). Returns its
 * length and writes it when it fits; 0 on failure. */
size_t ike_pki_cert_subject_der(const struct ike_pki_cert *c, uint8_t *out, size_t cap);
/* Does the IKE ID (type and data of an ID payload) name this certificate's holder?
 * IKE_ID_DER_ASN1_DN: the DN equals the subject after OpenSSL's canonical comparison
 * (X509_NAME_cmp: case and white-space folded); IKE_ID_FQDN / IKE_ID_RFC822_ADDR: equal
 * (ASCII case-insensitive) to a dNSName / rfc822Name subjectAltName; IKE_ID_IPV4_ADDR /
 * IKE_ID_IPV6_ADDR: equal to an iPAddress subjectAltName. There is no fallback to the subject
 * CN or emailAddress (RFC 4945 §3.1.2-3.1.3 put these identities in subjectAltName). Other
 * types never match. */
bool ike_pki_cert_match_id(const struct ike_pki_cert *c, uint8_t id_type, const uint8_t *data,
                           size_t len);
/* Text for an ID, for show output and logs: a DN as "cn=client1,o=lab" (as IOS), FQDN and
 * RFC822 as their text (non-printable bytes as '.'), IPv4/IPv6 addresses, KEY_ID and others
 * in hex. Returns the length snprintf would; buf is always NUL-terminated when cap > 0. */
size_t ike_pki_id_to_text(uint8_t id_type, const uint8_t *data, size_t len, char *buf, size_t cap);

/* ---- certificate maps (IOS `crypto pki certificate map NAME SEQ`) ---- */

#define IKE_PKI_MAP_MAX_RULES 16
#define IKE_PKI_MAP_VALUE_MAX 128

enum ike_pki_map_field {
    IKE_PKI_MAP_SUBJECT_NAME = 0,          /* "subject-name": the subject as "cn=..,ou=..,o=.." */
    IKE_PKI_MAP_ISSUER_NAME,               /* "issuer-name" */
    IKE_PKI_MAP_ALT_SUBJECT_NAME,          /* "alt-subject-name": each DNS / email / IP / URI
                                              subjectAltName as text */
    IKE_PKI_MAP_UNSTRUCTURED_SUBJECT_NAME, /* "unstructured-subject-name": the subject's
                                              unstructuredName (IOS hostname=) values */
    IKE_PKI_MAP_NAME,                      /* "name": the subject or the issuer */
    IKE_PKI_MAP_SERIAL_NUMBER,             /* "serial-number": hex as in show output */
    IKE_PKI_MAP_FIELD_COUNT
};
enum ike_pki_map_op {
    IKE_PKI_MAP_EQ = 0, /* "eq": equal */
    IKE_PKI_MAP_NE,     /* "ne": not equal */
    IKE_PKI_MAP_CO,     /* "co": contains */
    IKE_PKI_MAP_NC,     /* "nc": does not contain */
    IKE_PKI_MAP_OP_COUNT
};
struct ike_pki_map_rule {
    uint8_t field; /* enum ike_pki_map_field */
    uint8_t op;    /* enum ike_pki_map_op */
    char value[IKE_PKI_MAP_VALUE_MAX];
};
struct ike_pki_map_entry {
    uint16_t seq; /* 1..65535 */
    uint8_t nrules;
    struct ike_pki_map_rule rule[IKE_PKI_MAP_MAX_RULES];
};

/* IOS keywords of fields and operators, and back (-1 if unknown; exact, lower-case). */
const char *ike_pki_map_field_name(int field);
const char *ike_pki_map_op_name(int op);
int ike_pki_map_field_parse(const char *s);
int ike_pki_map_op_parse(const char *s);

/* Does the certificate satisfy every rule of the entry? Comparisons are ASCII
 * case-insensitive, as IOS. A field with several values (alt-subject-name, name,
 * unstructured-subject-name) satisfies eq/co when any value does, and ne/nc when eq/co holds
 * for none; a field the certificate lacks has no values. An entry without rules matches any
 * certificate; a rule with an unknown field or op matches none. */
bool ike_pki_map_entry_match(const struct ike_pki_map_entry *e, const struct ike_pki_cert *c);
/* A map: the lowest seq among the entries that match, or -1 when none does. */
int ike_pki_map_match(const struct ike_pki_map_entry *entries, int n, const struct ike_pki_cert *c);

#endif
