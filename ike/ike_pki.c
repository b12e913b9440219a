/* Certificates and signature authentication for IKEv2 (see ike_pki.h). OpenSSL 3 only. */
#include "ike/ike_pki.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ike/ike_wire.h"

#define FILE_MAX (1u << 20) /* no certificate, key or PKCS#12 file is larger */

struct ike_pki_cert {
    X509 *x;
    uint8_t *der;
    size_t derlen;
    uint8_t spki_sha1[IKE_PKI_SHA1_LEN]; /* RFC 7296 §3.7 */
};

struct ike_pki_key {
    EVP_PKEY *pk;
};

struct ike_pki_tp {
    char name[IKE_PKI_NAME_MAX];
    struct ike_pki_cert **ca; /* trust anchors */
    int nca;
    struct ike_pki_cert *cert;   /* ours */
    struct ike_pki_cert **chain; /* intermediates imported with our certificate */
    int nchain;
    struct ike_pki_key *key;
    X509_STORE *store; /* the CA certificates, rebuilt when they change */
    const struct ike_pki_cert *send[IKE_PKI_MAX_CHAIN + 1];
    int nsend;
};

/* ---- small helpers ---- */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Write the reason and forget OpenSSL's error queue (the engine thread's queue would
 * otherwise grow with every rejected peer). */
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    ERR_clear_error();
    return rc;
}

/* The reason OpenSSL gave for its last error, or a fallback. */
static const char *ossl_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : fallback;
}

const char *ike_pki_rc_name(int rc)
{
    switch (rc) {
    case IKE_PKI_OK: return "ok";
    case IKE_PKI_E_MALFORMED: return "malformed";
    case IKE_PKI_E_UNSUPPORTED: return "unsupported";
    case IKE_PKI_E_KEY_MISMATCH: return "key mismatch";
    case IKE_PKI_E_BAD_SIGNATURE: return "bad signature";
    case IKE_PKI_E_POLICY: return "refused by policy";
    case IKE_PKI_E_NOSPACE: return "no space";
    case IKE_PKI_E_IO: return "i/o error";
    case IKE_PKI_E_PASSWORD: return "password";
    case IKE_PKI_E_INVALID: return "invalid certificate";
    case IKE_PKI_E_MISSING: return "missing";
    case IKE_PKI_E_INTERNAL: return "internal error";
    }
    return "unknown";
}

/* Printable copy of n bytes: control bytes become '.', the rest (UTF-8 included) is kept. */
static void copy_printable(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    if (!cap) return;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++)
        dst[j++] = (src[i] < 0x20 || src[i] == 0x7f) ? '.' : (char)src[i];
    dst[j] = '\0';
}

static void hex_upper(char *dst, size_t cap, const uint8_t *b, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t j = 0;
    if (!cap) return;
    for (size_t i = 0; i < n && j + 2 < cap; i++) {
        dst[j++] = hx[b[i] >> 4];
        dst[j++] = hx[b[i] & 15];
    }
    dst[j] = '\0';
}

static bool ascii_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen) return false;
    for (size_t i = 0; i < alen; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return false;
    return true;
}

static bool ascii_icontains(const char *hay, const char *needle)
{
    size_t hl = strlen(hay), nl = strlen(needle);
    if (nl == 0) return true;
    for (size_t i = 0; i + nl <= hl; i++)
        if (ascii_ieq(hay + i, nl, needle, nl)) return true;
    return false;
}

/* ---- certificates ---- */

static struct ike_pki_cert *cert_wrap(X509 *x)
{
    struct ike_pki_cert *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    int n = i2d_X509(x, NULL);
    unsigned char *spki = NULL;
    int sn = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
    unsigned int mdlen = 0;
    if (n <= 0 || sn <= 0) goto bad;
    c->der = malloc((size_t)n);
    if (!c->der) goto bad;
    unsigned char *p = c->der;
    if (i2d_X509(x, &p) != n) goto bad;
    c->derlen = (size_t)n;
    /* RFC 7296 §3.7: the hash covers the whole SubjectPublicKeyInfo, not only the key bits
     * (which is what X509_pubkey_digest would hash). */
    if (!EVP_Digest(spki, (size_t)sn, c->spki_sha1, &mdlen, EVP_sha1(), NULL) ||
        mdlen != IKE_PKI_SHA1_LEN)
        goto bad;
    OPENSSL_free(spki);
    c->x = x;
    return c;
bad:
    OPENSSL_free(spki);
    free(c->der);
    free(c);
    return NULL;
}

struct ike_pki_cert *ike_pki_cert_parse(const uint8_t *der, size_t len, char *err, size_t errlen)
{
    if (!der || len == 0 || len > LONG_MAX) {
        fail(err, errlen, 0, "empty or oversized certificate");
        return NULL;
    }
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x) {
        fail(err, errlen, 0, "certificate does not parse (%s)", ossl_reason("bad DER"));
        return NULL;
    }
    if ((size_t)(p - der) != len) {
        X509_free(x);
        fail(err, errlen, 0, "%zu bytes after the certificate", len - (size_t)(p - der));
        return NULL;
    }
    struct ike_pki_cert *c = cert_wrap(x);
    if (!c) {
        X509_free(x);
        fail(err, errlen, 0, "out of memory");
        return NULL;
    }
    return c;
}

struct ike_pki_cert *ike_pki_cert_dup(const struct ike_pki_cert *c)
{
    if (!c || !X509_up_ref(c->x)) return NULL;
    struct ike_pki_cert *d = cert_wrap(c->x);
    if (!d) X509_free(c->x);
    return d;
}

void ike_pki_cert_free(struct ike_pki_cert *c)
{
    if (!c) return;
    X509_free(c->x);
    free(c->der);
    free(c);
}

size_t ike_pki_cert_der(const struct ike_pki_cert *c, const uint8_t **der)
{
    if (der) *der = c ? c->der : NULL;
    return c ? c->derlen : 0;
}

/* ---- keys ---- */

static enum ike_pki_key_kind pkey_kind(const EVP_PKEY *pk)
{
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_RSA: return IKE_PKI_KEY_RSA;
    case EVP_PKEY_RSA_PSS: return IKE_PKI_KEY_RSA_PSS;
    case EVP_PKEY_EC: return IKE_PKI_KEY_EC;
    }
    return IKE_PKI_KEY_OTHER;
}

/* NID of an EC key's named curve, NID_undef otherwise. */
static int curve_nid(const EVP_PKEY *pk)
{
    char name[64];
    if (pkey_kind(pk) != IKE_PKI_KEY_EC) return NID_undef;
    if (!EVP_PKEY_get_group_name(pk, name, sizeof name, NULL)) {
        ERR_clear_error();
        return NID_undef;
    }
    int nid = OBJ_txt2nid(name);
    if (nid == NID_undef) nid = EC_curve_nist2nid(name);
    return nid;
}

/* RFC 4754 §4: the method of each curve, and the hash it pairs with. */
static uint8_t curve_method(int nid)
{
    switch (nid) {
    case NID_X9_62_prime256v1: return IKE_AUTH_ECDSA_256;
    case NID_secp384r1: return IKE_AUTH_ECDSA_384;
    case NID_secp521r1: return IKE_AUTH_ECDSA_521;
    }
    return 0;
}

static int method_curve(uint8_t method)
{
    switch (method) {
    case IKE_AUTH_ECDSA_256: return NID_X9_62_prime256v1;
    case IKE_AUTH_ECDSA_384: return NID_secp384r1;
    case IKE_AUTH_ECDSA_521: return NID_secp521r1;
    }
    return NID_undef;
}

static uint16_t method_hash(uint8_t method)
{
    switch (method) {
    case IKE_AUTH_ECDSA_256: return IKE_HASH_SHA2_256;
    case IKE_AUTH_ECDSA_384: return IKE_HASH_SHA2_384;
    case IKE_AUTH_ECDSA_521: return IKE_HASH_SHA2_512;
    }
    return 0;
}

static const EVP_MD *hash_md(uint16_t h)
{
    switch (h) {
    case IKE_HASH_SHA1: return EVP_sha1();
    case IKE_HASH_SHA2_256: return EVP_sha256();
    case IKE_HASH_SHA2_384: return EVP_sha384();
    case IKE_HASH_SHA2_512: return EVP_sha512();
    }
    return NULL;
}

static uint16_t nid_hash(int nid)
{
    switch (nid) {
    case NID_sha1: return IKE_HASH_SHA1;
    case NID_sha256: return IKE_HASH_SHA2_256;
    case NID_sha384: return IKE_HASH_SHA2_384;
    case NID_sha512: return IKE_HASH_SHA2_512;
    }
    return 0;
}

static const char *hash_name(uint16_t h)
{
    switch (h) {
    case IKE_HASH_SHA1: return "SHA-1";
    case IKE_HASH_SHA2_256: return "SHA-256";
    case IKE_HASH_SHA2_384: return "SHA-384";
    case IKE_HASH_SHA2_512: return "SHA-512";
    }
    return "?";
}

/* Read a private key; *rc tells why it failed. */
struct pw_ctx {
    const char *pw;
    bool asked;
};

static int pw_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    struct pw_ctx *pc = u;
    pc->asked = true;
    if (!pc->pw || !*pc->pw || size <= 0) return -1;
    size_t n = strlen(pc->pw);
    if (n > (size_t)size) return -1;
    memcpy(buf, pc->pw, n);
    return (int)n;
}

static EVP_PKEY *read_key(const char *pem, size_t len, const char *password, const char *label,
                          int *rc, char *err, size_t errlen)
{
    if (len > INT_MAX) {
        *rc = fail(err, errlen, IKE_PKI_E_MALFORMED, "%s: too large", label);
        return NULL;
    }
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (!b) {
        *rc = fail(err, errlen, IKE_PKI_E_INTERNAL, "%s: out of memory", label);
        return NULL;
    }
    struct pw_ctx pc = {password, false};
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(b, NULL, pw_cb, &pc);
    BIO_free(b);
    if (!pk) {
        if (pc.asked && (!password || !*password))
            *rc = fail(err, errlen, IKE_PKI_E_PASSWORD,
                       "%s: the private key is encrypted: a password is needed", label);
        else if (pc.asked)
            *rc = fail(err, errlen, IKE_PKI_E_PASSWORD, "%s: wrong password or corrupt private key",
                       label);
        else
            *rc = fail(err, errlen, IKE_PKI_E_MALFORMED, "%s: no PEM private key found (%s)", label,
                       ossl_reason("no key"));
        return NULL;
    }
    ERR_clear_error();
    if (pkey_kind(pk) == IKE_PKI_KEY_OTHER) {
        *rc = fail(err, errlen, IKE_PKI_E_UNSUPPORTED, "%s: unsupported key type %s", label,
                   EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "?");
        EVP_PKEY_free(pk);
        return NULL;
    }
    *rc = IKE_PKI_OK;
    return pk;
}

static struct ike_pki_key *key_wrap(EVP_PKEY *pk)
{
    struct ike_pki_key *k = calloc(1, sizeof *k);
    if (k) k->pk = pk;
    return k;
}

struct ike_pki_key *ike_pki_key_from_pem(const char *pem, size_t len, const char *password,
                                         char *err, size_t errlen)
{
    int rc;
    if (!pem) {
        fail(err, errlen, 0, "no key text");
        return NULL;
    }
    EVP_PKEY *pk = read_key(pem, len, password, "private key", &rc, err, errlen);
    if (!pk) return NULL;
    struct ike_pki_key *k = key_wrap(pk);
    if (!k) {
        EVP_PKEY_free(pk);
        fail(err, errlen, 0, "out of memory");
    }
    return k;
}

void ike_pki_key_free(struct ike_pki_key *k)
{
    if (!k) return;
    EVP_PKEY_free(k->pk);
    free(k);
}

enum ike_pki_key_kind ike_pki_key_kind(const struct ike_pki_key *k)
{
    return k ? pkey_kind(k->pk) : IKE_PKI_KEY_OTHER;
}

int ike_pki_key_bits(const struct ike_pki_key *k)
{
    return k ? EVP_PKEY_get_bits(k->pk) : 0;
}

uint8_t ike_pki_key_ecdsa_method(const struct ike_pki_key *k)
{
    return k ? curve_method(curve_nid(k->pk)) : 0;
}

/* ---- names ---- */

/* IOS's attribute labels in DN text ("cn=gw1,ou=vpn,o=lab,ea=a@b,hostname=r1"). */
static void attr_label(const ASN1_OBJECT *obj, char *buf, size_t cap)
{
    int nid = OBJ_obj2nid(obj);
    const char *l = NULL;
    switch (nid) {
    case NID_commonName: l = "cn"; break;
    case NID_organizationalUnitName: l = "ou"; break;
    case NID_organizationName: l = "o"; break;
    case NID_localityName: l = "l"; break;
    case NID_stateOrProvinceName: l = "st"; break;
    case NID_countryName: l = "c"; break;
    case NID_pkcs9_emailAddress: l = "ea"; break;
    case NID_pkcs9_unstructuredName: l = "hostname"; break;
    case NID_pkcs9_unstructuredAddress: l = "ipaddress"; break;
    case NID_serialNumber: l = "serialNumber"; break;
    case NID_domainComponent: l = "dc"; break;
    case NID_title: l = "title"; break;
    }
    if (l) {
        snprintf(buf, cap, "%s", l);
        return;
    }
    const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
    if (sn) {
        size_t i;
        for (i = 0; sn[i] && i + 1 < cap; i++) buf[i] = (char)tolower((unsigned char)sn[i]);
        buf[i] = '\0';
    } else if (OBJ_obj2txt(buf, (int)cap, obj, 1) <= 0) {
        snprintf(buf, cap, "?");
    }
}

/* An entry's value as printable UTF-8. */
static void entry_value(const X509_NAME_ENTRY *e, char *buf, size_t cap)
{
    unsigned char *u = NULL;
    int n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
    if (n < 0) {
        ERR_clear_error();
        snprintf(buf, cap, "?");
        return;
    }
    copy_printable(buf, cap, u, (size_t)n);
    OPENSSL_free(u);
}

/* Append `s` to buf[*len..cap) keeping NUL termination; text beyond cap is dropped. */
static void cat(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + 1 >= cap) return;
    if (n > cap - 1 - *len) n = cap - 1 - *len;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* IOS renders a DN from the last RDN to the first, attribute labels in lower case: the
 * usual C/O/OU/CN order of the DER becomes "cn=..,ou=..,o=..,c=..". sep joins entries. */
static void dn_text(const X509_NAME *nm, const char *sep, char *buf, size_t cap)
{
    size_t len = 0;
    if (!cap) return;
    buf[0] = '\0';
    int n = X509_NAME_entry_count(nm);
    for (int i = n - 1; i >= 0; i--) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
        char label[64], val[IKE_PKI_DN_MAX];
        attr_label(X509_NAME_ENTRY_get_object(e), label, sizeof label);
        entry_value(e, val, sizeof val);
        if (i != n - 1) cat(buf, cap, &len, sep);
        cat(buf, cap, &len, label);
        cat(buf, cap, &len, "=");
        cat(buf, cap, &len, val);
    }
}

/* First value of an attribute in a name, "" when absent. */
static void name_attr(const X509_NAME *nm, int nid, char *buf, size_t cap)
{
    buf[0] = '\0';
    int i = X509_NAME_get_index_by_NID(nm, nid, -1);
    if (i >= 0) entry_value(X509_NAME_get_entry(nm, i), buf, cap);
}

/* ---- certificate details ---- */

static time_t asn1_time_t(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm)) {
        ERR_clear_error();
        return 0;
    }
    return timegm(&tm);
}

static const char *curve_label(int nid)
{
    switch (nid) {
    case NID_X9_62_prime256v1: return "P-256";
    case NID_secp384r1: return "P-384";
    case NID_secp521r1: return "P-521";
    }
    return NULL;
}

static void sig_alg_text(int nid, char *buf, size_t cap)
{
    const char *s = NULL;
    switch (nid) {
    case NID_sha1WithRSAEncryption: s = "SHA1 with RSA Encryption"; break;
    case NID_sha256WithRSAEncryption: s = "SHA256 with RSA Encryption"; break;
    case NID_sha384WithRSAEncryption: s = "SHA384 with RSA Encryption"; break;
    case NID_sha512WithRSAEncryption: s = "SHA512 with RSA Encryption"; break;
    case NID_ecdsa_with_SHA1: s = "SHA1 with ECDSA"; break;
    case NID_ecdsa_with_SHA256: s = "SHA256 with ECDSA"; break;
    case NID_ecdsa_with_SHA384: s = "SHA384 with ECDSA"; break;
    case NID_ecdsa_with_SHA512: s = "SHA512 with ECDSA"; break;
    case NID_rsassaPss: s = "RSASSA-PSS"; break;
    }
    if (!s) s = nid != NID_undef ? OBJ_nid2ln(nid) : "unknown";
    snprintf(buf, cap, "%s", s ? s : "unknown");
}

int ike_pki_cert_get_info(const struct ike_pki_cert *c, struct ike_pki_cert_info *info)
{
    if (!c || !info) return IKE_PKI_E_MISSING;
    memset(info, 0, sizeof *info);
    X509 *x = c->x;
    const X509_NAME *subj = X509_get_subject_name(x);
    dn_text(subj, ",", info->subject, sizeof info->subject);
    dn_text(X509_get_issuer_name(x), ",", info->issuer, sizeof info->issuer);
    name_attr(subj, NID_pkcs9_unstructuredName, info->name, sizeof info->name);
    if (!info->name[0]) name_attr(subj, NID_commonName, info->name, sizeof info->name);

    /* The INTEGER's content octets, as IOS shows them (whole octets, upper case). */
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    int snl = sn ? ASN1_STRING_length(sn) : 0;
    if (snl > 0)
        hex_upper(info->serial, sizeof info->serial, ASN1_STRING_get0_data(sn), (size_t)snl);
    else
        snprintf(info->serial, sizeof info->serial, "00");

    info->not_before = asn1_time_t(X509_get0_notBefore(x));
    info->not_after = asn1_time_t(X509_get0_notAfter(x));

    EVP_PKEY *pk = X509_get0_pubkey(x);
    if (pk) {
        enum ike_pki_key_kind kind = pkey_kind(pk);
        const char *tn = EVP_PKEY_get0_type_name(pk);
        snprintf(info->key_alg, sizeof info->key_alg, "%s",
                 kind == IKE_PKI_KEY_RSA       ? "RSA"
                 : kind == IKE_PKI_KEY_RSA_PSS ? "RSA-PSS"
                 : kind == IKE_PKI_KEY_EC      ? "EC"
                 : tn                          ? tn
                                               : "unknown");
        info->key_bits = EVP_PKEY_get_bits(pk);
        if (kind == IKE_PKI_KEY_EC) {
            int nid = curve_nid(pk);
            const char *cl = curve_label(nid);
            snprintf(info->curve, sizeof info->curve, "%s",
                     cl ? cl : (nid != NID_undef ? OBJ_nid2sn(nid) : "unknown"));
        }
    } else {
        ERR_clear_error();
        snprintf(info->key_alg, sizeof info->key_alg, "unknown");
    }

    /* IOS "Certificate Usage": signing bits and encryption bits both (or no keyUsage at
     * all) make a general purpose certificate. */
    uint32_t ku = X509_get_key_usage(x);
    uint32_t sig = KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION | KU_KEY_CERT_SIGN | KU_CRL_SIGN;
    uint32_t enc = KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT;
    const char *usage = "General Purpose";
    if (ku != UINT32_MAX) {
        if ((ku & sig) && !(ku & enc))
            usage = "Signature";
        else if (!(ku & sig) && (ku & enc))
            usage = "Encryption";
    }
    snprintf(info->usage, sizeof info->usage, "%s", usage);
    info->is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
    sig_alg_text(X509_get_signature_nid(x), info->sig_alg, sizeof info->sig_alg);

    unsigned int mdlen = 0;
    if (!EVP_Digest(c->der, c->derlen, info->sha1, &mdlen, EVP_sha1(), NULL)) {
        ERR_clear_error();
        return IKE_PKI_E_INTERNAL;
    }
    size_t j = 0;
    static const char hx[] = "0123456789ABCDEF";
    for (unsigned i = 0; i < mdlen && j + 3 < sizeof info->sha1_text; i++) {
        if (i && i % 4 == 0) info->sha1_text[j++] = ' ';
        info->sha1_text[j++] = hx[info->sha1[i] >> 4];
        info->sha1_text[j++] = hx[info->sha1[i] & 15];
    }
    info->sha1_text[j] = '\0';
    return IKE_PKI_OK;
}

/* ---- trustpoints ---- */

struct ike_pki_tp *ike_pki_tp_new(const char *name)
{
    if (!name || !*name || strlen(name) >= IKE_PKI_NAME_MAX) return NULL;
    struct ike_pki_tp *tp = calloc(1, sizeof *tp);
    if (!tp) return NULL;
    memcpy(tp->name, name, strlen(name) + 1);
    return tp;
}

static void certs_free(struct ike_pki_cert **v, int n)
{
    for (int i = 0; i < n; i++) ike_pki_cert_free(v[i]);
    free(v);
}

void ike_pki_tp_free(struct ike_pki_tp *tp)
{
    if (!tp) return;
    certs_free(tp->ca, tp->nca);
    certs_free(tp->chain, tp->nchain);
    ike_pki_cert_free(tp->cert);
    ike_pki_key_free(tp->key);
    X509_STORE_free(tp->store);
    free(tp);
}

const char *ike_pki_tp_name(const struct ike_pki_tp *tp)
{
    return tp ? tp->name : "";
}

int ike_pki_tp_ca_count(const struct ike_pki_tp *tp)
{
    return tp ? tp->nca : 0;
}

const struct ike_pki_cert *ike_pki_tp_ca(const struct ike_pki_tp *tp, int i)
{
    return tp && i >= 0 && i < tp->nca ? tp->ca[i] : NULL;
}

const struct ike_pki_cert *ike_pki_tp_cert(const struct ike_pki_tp *tp)
{
    return tp ? tp->cert : NULL;
}

const struct ike_pki_key *ike_pki_tp_key(const struct ike_pki_tp *tp)
{
    return tp ? tp->key : NULL;
}

int ike_pki_tp_send_chain(const struct ike_pki_tp *tp, const struct ike_pki_cert **out, int max)
{
    if (!tp || !tp->cert) return 0;
    int n = 0;
    for (int i = 0; i < tp->nsend && n < max; i++) out[n++] = tp->send[i];
    return n;
}

/* The pieces an import brings, before they replace the trustpoint's. */
struct staged {
    bool has_ca, has_cert, has_key;
    struct ike_pki_cert **ca;
    int nca;
    struct ike_pki_cert *cert;
    struct ike_pki_cert **chain;
    int nchain;
    struct ike_pki_key *key;
};

static void staged_free(struct staged *s)
{
    certs_free(s->ca, s->nca);
    certs_free(s->chain, s->nchain);
    ike_pki_cert_free(s->cert);
    ike_pki_key_free(s->key);
    memset(s, 0, sizeof *s);
}

static int push_cert(struct ike_pki_cert ***v, int *n, X509 *x)
{
    struct ike_pki_cert **nv = realloc(*v, (size_t)(*n + 1) * sizeof **v);
    if (!nv) return -1;
    *v = nv;
    struct ike_pki_cert *c = cert_wrap(x);
    if (!c) return -1;
    nv[(*n)++] = c;
    return 0;
}

/* Every certificate of a PEM text (other PEM blocks are skipped); when there is none and
 * allow_der, the whole text as one DER certificate. */
static int read_certs(const char *text, size_t len, bool allow_der, const char *label,
                      struct ike_pki_cert ***v, int *n, char *err, size_t errlen)
{
    if (len > INT_MAX) return fail(err, errlen, IKE_PKI_E_MALFORMED, "%s: too large", label);
    BIO *b = BIO_new_mem_buf(text, (int)len);
    if (!b) return fail(err, errlen, IKE_PKI_E_INTERNAL, "%s: out of memory", label);
    for (;;) {
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        if (!x) break;
        if (push_cert(v, n, x) < 0) {
            X509_free(x);
            BIO_free(b);
            return fail(err, errlen, IKE_PKI_E_INTERNAL, "%s: out of memory", label);
        }
    }
    BIO_free(b);
    unsigned long e = ERR_peek_last_error();
    bool eof = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
    if (e && !eof)
        return fail(err, errlen, IKE_PKI_E_MALFORMED, "%s: bad PEM certificate (%s)", label,
                    ossl_reason("?"));
    ERR_clear_error();
    if (*n > 0) return IKE_PKI_OK;
    if (allow_der && len > 0) {
        const unsigned char *p = (const unsigned char *)text;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        if (x && (size_t)(p - (const unsigned char *)text) == len) {
            if (push_cert(v, n, x) < 0) {
                X509_free(x);
                return fail(err, errlen, IKE_PKI_E_INTERNAL, "%s: out of memory", label);
            }
            return IKE_PKI_OK;
        }
        X509_free(x);
    }
    return fail(err, errlen, IKE_PKI_E_MALFORMED, "%s: no certificate found", label);
}

static int stage_cas(struct staged *s, const char *text, size_t len, bool allow_der,
                     const char *label, char *err, size_t errlen)
{
    s->has_ca = true;
    return read_certs(text, len, allow_der, label, &s->ca, &s->nca, err, errlen);
}

static int stage_cert(struct staged *s, const char *text, size_t len, bool allow_der,
                      const char *label, char *err, size_t errlen)
{
    struct ike_pki_cert **v = NULL;
    int n = 0;
    int rc = read_certs(text, len, allow_der, label, &v, &n, err, errlen);
    if (rc != IKE_PKI_OK) {
        certs_free(v, n);
        return rc;
    }
    /* The first is ours, the rest its intermediates (RFC 7468 order of a chain file). */
    s->has_cert = true;
    s->cert = v[0];
    if (n > IKE_PKI_MAX_CHAIN + 1) {
        certs_free(v, n);
        s->cert = NULL;
        return fail(err, errlen, IKE_PKI_E_MALFORMED, "%s: more than %d intermediates", label,
                    IKE_PKI_MAX_CHAIN);
    }
    if (n > 1) {
        s->chain = malloc((size_t)(n - 1) * sizeof *s->chain);
        if (!s->chain) {
            certs_free(v, n);
            s->cert = NULL;
            return fail(err, errlen, IKE_PKI_E_INTERNAL, "out of memory");
        }
        memcpy(s->chain, v + 1, (size_t)(n - 1) * sizeof *v);
        s->nchain = n - 1;
    }
    free(v);
    return IKE_PKI_OK;
}

static int stage_key(struct staged *s, const char *text, size_t len, const char *password,
                     const char *label, char *err, size_t errlen)
{
    int rc;
    EVP_PKEY *pk = read_key(text, len, password, label, &rc, err, errlen);
    if (!pk) return rc;
    s->key = key_wrap(pk);
    if (!s->key) {
        EVP_PKEY_free(pk);
        return fail(err, errlen, IKE_PKI_E_INTERNAL, "out of memory");
    }
    s->has_key = true;
    return IKE_PKI_OK;
}

/* The issuer of `c` among the intermediates and CA certificates, or NULL. */
static const struct ike_pki_cert *find_issuer(const struct ike_pki_tp *tp,
                                              const struct ike_pki_cert *c)
{
    for (int pass = 0; pass < 2; pass++) {
        struct ike_pki_cert **v = pass == 0 ? tp->chain : tp->ca;
        int n = pass == 0 ? tp->nchain : tp->nca;
        for (int i = 0; i < n; i++)
            if (v[i] != c && X509_check_issued(v[i]->x, c->x) == X509_V_OK) return v[i];
    }
    return NULL;
}

static void compute_send_chain(struct ike_pki_tp *tp)
{
    tp->nsend = 0;
    if (!tp->cert) return;
    tp->send[tp->nsend++] = tp->cert;
    const struct ike_pki_cert *cur = tp->cert;
    while (tp->nsend < IKE_PKI_MAX_CHAIN + 1) {
        if (X509_self_signed(cur->x, 0) == 1) break;
        const struct ike_pki_cert *is = find_issuer(tp, cur);
        /* A self-signed root is the peer's business (RFC 7296 §3.6 sends what the peer
         * needs to build the path to the anchor it trusts). */
        if (!is || X509_self_signed(is->x, 0) == 1) break;
        bool seen = false;
        for (int i = 0; i < tp->nsend; i++) seen |= tp->send[i] == is;
        if (seen) break;
        tp->send[tp->nsend++] = is;
        cur = is;
    }
    ERR_clear_error();
}

static X509_STORE *build_store(struct ike_pki_cert **ca, int n)
{
    X509_STORE *st = X509_STORE_new();
    if (!st) return NULL;
    for (int i = 0; i < n; i++) {
        if (!X509_STORE_add_cert(st, ca[i]->x)) {
            X509_STORE_free(st);
            return NULL;
        }
    }
    return st;
}

/* Check the staged pieces against what stays, then swap them in. */
static int commit(struct ike_pki_tp *tp, struct staged *s, char *err, size_t errlen)
{
    if (!s->has_ca && !s->has_cert && !s->has_key)
        return fail(err, errlen, IKE_PKI_E_MISSING, "nothing to import");
    const struct ike_pki_cert *cert = s->has_cert ? s->cert : tp->cert;
    const struct ike_pki_key *key = s->has_key ? s->key : tp->key;
    if (cert && key && X509_check_private_key(cert->x, key->pk) != 1)
        return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH,
                    "the private key does not match the certificate");
    X509_STORE *st = NULL;
    if (s->has_ca) {
        st = build_store(s->ca, s->nca);
        if (!st) return fail(err, errlen, IKE_PKI_E_INTERNAL, "cannot build the CA store");
    }
    if (s->has_ca) {
        certs_free(tp->ca, tp->nca);
        X509_STORE_free(tp->store);
        tp->ca = s->ca;
        tp->nca = s->nca;
        tp->store = st;
        s->ca = NULL;
        s->nca = 0;
    }
    if (s->has_cert) {
        ike_pki_cert_free(tp->cert);
        certs_free(tp->chain, tp->nchain);
        tp->cert = s->cert;
        tp->chain = s->chain;
        tp->nchain = s->nchain;
        s->cert = NULL;
        s->chain = NULL;
        s->nchain = 0;
    }
    if (s->has_key) {
        ike_pki_key_free(tp->key);
        tp->key = s->key;
        s->key = NULL;
    }
    compute_send_chain(tp);
    ERR_clear_error();
    return IKE_PKI_OK;
}

int ike_pki_tp_import_pem(struct ike_pki_tp *tp, const char *ca_pem, const char *cert_pem,
                          const char *key_pem, const char *password, char *err, size_t errlen)
{
    if (!tp) return fail(err, errlen, IKE_PKI_E_MISSING, "no trustpoint");
    struct staged s = {0};
    int rc = IKE_PKI_OK;
    if (ca_pem) rc = stage_cas(&s, ca_pem, strlen(ca_pem), false, "CA certificate", err, errlen);
    if (rc == IKE_PKI_OK && cert_pem)
        rc = stage_cert(&s, cert_pem, strlen(cert_pem), false, "certificate", err, errlen);
    if (rc == IKE_PKI_OK && key_pem)
        rc = stage_key(&s, key_pem, strlen(key_pem), password, "private key", err, errlen);
    if (rc == IKE_PKI_OK) rc = commit(tp, &s, err, errlen);
    staged_free(&s);
    return rc;
}

/* A whole file (at most FILE_MAX bytes), NUL-terminated; -ENOENT when it does not exist. */
static int read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -errno;
    char *b = malloc(FILE_MAX + 1);
    if (!b) {
        fclose(f);
        return -ENOMEM;
    }
    size_t n = fread(b, 1, FILE_MAX + 1, f);
    int e = ferror(f) ? EIO : 0;
    fclose(f);
    if (!e && n > FILE_MAX) e = EFBIG;
    if (e) {
        free(b);
        return -e;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

int ike_pki_tp_import_pem_files(struct ike_pki_tp *tp, const char *prefix, const char *password,
                                char *err, size_t errlen)
{
    if (!tp || !prefix || !*prefix) return fail(err, errlen, IKE_PKI_E_MISSING, "no file prefix");
    static const char *const ext[3] = {".ca", ".prv", ".crt"};
    struct staged s = {0};
    int rc = IKE_PKI_OK, found = 0;
    for (int i = 0; i < 3 && rc == IKE_PKI_OK; i++) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s%s", prefix, ext[i]) >= sizeof path) {
            rc = fail(err, errlen, IKE_PKI_E_IO, "file name too long");
            break;
        }
        char *text = NULL;
        size_t len = 0;
        int e = read_file(path, &text, &len);
        if (e == -ENOENT) continue;
        if (e < 0) {
            rc = fail(err, errlen, IKE_PKI_E_IO, "%s: %s", path, strerror(-e));
            break;
        }
        found++;
        if (i == 0)
            rc = stage_cas(&s, text, len, true, path, err, errlen);
        else if (i == 1)
            rc = stage_key(&s, text, len, password, path, err, errlen);
        else
            rc = stage_cert(&s, text, len, true, path, err, errlen);
        OPENSSL_cleanse(text, len); /* the key file may be in clear */
        free(text);
    }
    if (rc == IKE_PKI_OK && !found)
        rc = fail(err, errlen, IKE_PKI_E_IO, "none of %s.ca, %s.prv, %s.crt exists", prefix, prefix,
                  prefix);
    if (rc == IKE_PKI_OK) rc = commit(tp, &s, err, errlen);
    staged_free(&s);
    return rc;
}

int ike_pki_tp_import_pkcs12(struct ike_pki_tp *tp, const char *path, const char *password,
                             char *err, size_t errlen)
{
    if (!tp || !path) return fail(err, errlen, IKE_PKI_E_MISSING, "no file");
    char *text = NULL;
    size_t len = 0;
    int e = read_file(path, &text, &len);
    if (e < 0) return fail(err, errlen, IKE_PKI_E_IO, "%s: %s", path, strerror(-e));
    BIO *b = BIO_new_mem_buf(text, (int)len);
    PKCS12 *p12 = b ? d2i_PKCS12_bio(b, NULL) : NULL;
    BIO_free(b);
    OPENSSL_cleanse(text, len);
    free(text);
    if (!p12) return fail(err, errlen, IKE_PKI_E_MALFORMED, "%s: not a PKCS#12 file", path);

    /* PKCS12_parse alone reports a wrong password as a decryption failure; checking the MAC
     * first gives the clear reason. An empty password may have been applied as NULL or "". */
    const char *pw = password ? password : "";
    if (PKCS12_mac_present(p12)) {
        if (!*pw && !PKCS12_verify_mac(p12, "", 0) && PKCS12_verify_mac(p12, NULL, 0))
            pw = NULL;
        else if (!PKCS12_verify_mac(p12, pw, -1)) {
            PKCS12_free(p12);
            return fail(err, errlen, IKE_PKI_E_PASSWORD,
                        "%s: wrong password (PKCS#12 MAC verification failed)", path);
        }
    }
    EVP_PKEY *pk = NULL;
    X509 *x = NULL;
    STACK_OF(X509) *ca = NULL;
    int ok = PKCS12_parse(p12, pw, &pk, &x, &ca);
    PKCS12_free(p12);
    if (!ok) {
        unsigned long el = ERR_peek_last_error();
        int reason = ERR_GET_REASON(el);
        if (reason == EVP_R_UNSUPPORTED_ALGORITHM || reason == ERR_R_UNSUPPORTED)
            return fail(err, errlen, IKE_PKI_E_UNSUPPORTED,
                        "%s: unsupported PKCS#12 encryption (RC2/legacy algorithms are not "
                        "loaded; re-export with AES)",
                        path);
        return fail(err, errlen, IKE_PKI_E_PASSWORD, "%s: cannot decrypt the PKCS#12 (%s)", path,
                    ossl_reason("wrong password?"));
    }
    ERR_clear_error();
    struct staged s = {0};
    int rc = IKE_PKI_OK;
    if (pk) {
        if (pkey_kind(pk) == IKE_PKI_KEY_OTHER) {
            rc = fail(err, errlen, IKE_PKI_E_UNSUPPORTED, "%s: unsupported key type", path);
            EVP_PKEY_free(pk);
        } else if (!(s.key = key_wrap(pk))) {
            EVP_PKEY_free(pk);
            rc = fail(err, errlen, IKE_PKI_E_INTERNAL, "out of memory");
        } else {
            s.has_key = true;
        }
    }
    if (x) {
        if (rc == IKE_PKI_OK && !(s.cert = cert_wrap(x)))
            rc = fail(err, errlen, IKE_PKI_E_INTERNAL, "out of memory");
        if (s.cert)
            s.has_cert = true;
        else
            X509_free(x);
    }
    while (ca && sk_X509_num(ca) > 0) {
        X509 *c = sk_X509_shift(ca);
        if (rc == IKE_PKI_OK && push_cert(&s.ca, &s.nca, c) == 0) {
            s.has_ca = true;
        } else {
            X509_free(c);
            if (rc == IKE_PKI_OK) rc = fail(err, errlen, IKE_PKI_E_INTERNAL, "out of memory");
        }
    }
    sk_X509_free(ca);
    if (rc == IKE_PKI_OK && !s.has_ca && !s.has_cert && !s.has_key)
        rc = fail(err, errlen, IKE_PKI_E_MISSING, "%s: the PKCS#12 holds nothing", path);
    if (rc == IKE_PKI_OK) rc = commit(tp, &s, err, errlen);
    staged_free(&s);
    return rc;
}

static char *bio_text(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *out = NULL;
    if (n > 0 && (out = malloc((size_t)n + 1))) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    return out;
}

char *ike_pki_tp_export_pem(const struct ike_pki_tp *tp, enum ike_pki_part part,
                            const char *passphrase)
{
    if (!tp) return NULL;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b) return NULL;
    bool ok = true, any = false;
    switch (part) {
    case IKE_PKI_PART_CA:
        for (int i = 0; i < tp->nca && ok; i++, any = true)
            ok = PEM_write_bio_X509(b, tp->ca[i]->x);
        break;
    case IKE_PKI_PART_CERT:
        if (tp->cert) {
            any = true;
            ok = PEM_write_bio_X509(b, tp->cert->x);
            for (int i = 0; i < tp->nchain && ok; i++) ok = PEM_write_bio_X509(b, tp->chain[i]->x);
        }
        break;
    case IKE_PKI_PART_KEY:
        if (tp->key) {
            any = true;
            if (passphrase && *passphrase)
                ok = PEM_write_bio_PKCS8PrivateKey(b, tp->key->pk, EVP_aes_256_cbc(), NULL, 0, NULL,
                                                   (void *)passphrase);
            else
                ok = PEM_write_bio_PKCS8PrivateKey(b, tp->key->pk, NULL, NULL, 0, NULL, NULL);
        }
        break;
    }
    char *out = ok && any ? bio_text(b) : NULL;
    /* The memory BIO held the key: wipe it before it is freed. */
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    if (n > 0) OPENSSL_cleanse(data, (size_t)n);
    BIO_free(b);
    ERR_clear_error();
    return out;
}

/* ---- show output ---- */

static void fmt_date(time_t t, char *buf, size_t cap)
{
    static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, cap, "?");
        return;
    }
    /* IOS: "10:00:00 UTC Nov 26 2026", the day not padded. */
    snprintf(buf, cap, "%02d:%02d:%02d UTC %s %d %d", tm.tm_hour, tm.tm_min, tm.tm_sec,
             mon[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900);
}

/* One DN, one attribute per line with the given indent (IOS layout). */
static void show_dn_lines(struct strbuf *sb, const X509_NAME *nm, const char *indent)
{
    for (int i = X509_NAME_entry_count(nm) - 1; i >= 0; i--) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
        char label[64], val[IKE_PKI_DN_MAX];
        attr_label(X509_NAME_ENTRY_get_object(e), label, sizeof label);
        entry_value(e, val, sizeof val);
        sb_printf(sb, "%s%s=%s\n", indent, label, val);
    }
}

static void gn_text(const GENERAL_NAME *g, char *buf, size_t cap)
{
    int type;
    const ASN1_STRING *s = GENERAL_NAME_get0_value(g, &type);
    buf[0] = '\0';
    switch (type) {
    case GEN_DNS:
    case GEN_EMAIL:
    case GEN_URI:
        copy_printable(buf, cap, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        break;
    case GEN_IPADD: {
        int n = ASN1_STRING_length(s);
        const unsigned char *d = ASN1_STRING_get0_data(s);
        if (n == 4 || n == 16) {
            if (!inet_ntop(n == 4 ? AF_INET : AF_INET6, d, buf, (socklen_t)cap)) buf[0] = '\0';
        }
        break;
    }
    }
}

static const char *gn_label(int type)
{
    switch (type) {
    case GEN_DNS: return "DNS";
    case GEN_EMAIL: return "email";
    case GEN_URI: return "URI";
    case GEN_IPADD: return "IP Address";
    }
    return NULL;
}

static void show_cert(struct strbuf *sb, const struct ike_pki_tp *tp, const struct ike_pki_cert *c,
                      bool ours, bool verbose)
{
    struct ike_pki_cert_info in;
    if (ike_pki_cert_get_info(c, &in) != IKE_PKI_OK) return;
    const X509_NAME *subj = X509_get_subject_name(c->x);
    char d1[64], d2[64];
    fmt_date(in.not_before, d1, sizeof d1);
    fmt_date(in.not_after, d2, sizeof d2);
    sb_printf(sb, "%s\n", ours ? "Certificate" : "CA Certificate");
    sb_puts(sb, "  Status: Available\n");
    if (verbose) sb_printf(sb, "  Version: %ld\n", X509_get_version(c->x) + 1);
    sb_printf(sb, "  Certificate Serial Number (hex): %s\n", in.serial);
    sb_printf(sb, "  Certificate Usage: %s\n", in.usage);
    sb_puts(sb, "  Issuer:\n");
    show_dn_lines(sb, X509_get_issuer_name(c->x), "    ");
    sb_puts(sb, "  Subject:\n");
    if (ours && in.name[0]) sb_printf(sb, "    Name: %s\n", in.name);
    char v[256];
    name_attr(subj, NID_pkcs9_unstructuredAddress, v, sizeof v);
    if (ours && v[0]) sb_printf(sb, "    IP Address: %s\n", v);
    name_attr(subj, NID_serialNumber, v, sizeof v);
    if (ours && v[0]) sb_printf(sb, "    Serial Number: %s\n", v);
    show_dn_lines(sb, subj, "    ");

    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(c->x, NID_crl_distribution_points, NULL, NULL);
    bool hdr = false;
    for (int i = 0; dps && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0) continue;
        GENERAL_NAMES *gns = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(gns); j++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(gns, j);
            int type;
            GENERAL_NAME_get0_value(g, &type);
            if (type != GEN_URI) continue;
            gn_text(g, v, sizeof v);
            if (!hdr) sb_puts(sb, "  CRL Distribution Points:\n");
            hdr = true;
            sb_printf(sb, "    %s\n", v);
        }
    }
    CRL_DIST_POINTS_free(dps);

    sb_puts(sb, "  Validity Date:\n");
    sb_printf(sb, "    start date: %s\n", d1);
    sb_printf(sb, "    end   date: %s\n", d2);
    if (verbose) {
        sb_puts(sb, "  Subject Key Info:\n");
        if (!strcmp(in.key_alg, "EC")) {
            sb_puts(sb, "    Public Key Algorithm: id-ecPublicKey\n");
            sb_printf(sb, "    EC Public Key: (%d bit, %s)\n", in.key_bits, in.curve);
        } else if (!strcmp(in.key_alg, "RSA") || !strcmp(in.key_alg, "RSA-PSS")) {
            sb_printf(sb, "    Public Key Algorithm: %s\n",
                      strcmp(in.key_alg, "RSA") ? "rsassaPss" : "rsaEncryption");
            sb_printf(sb, "    RSA Public Key: (%d bit)\n", in.key_bits);
        } else {
            sb_printf(sb, "    Public Key Algorithm: %s\n", in.key_alg);
        }
        sb_printf(sb, "  Signature Algorithm: %s\n", in.sig_alg);
        sb_printf(sb, "  Fingerprint SHA1: %s\n", in.sha1_text);
        sb_puts(sb, "  X509v3 extensions:\n");
        sb_printf(sb, "    X509v3 Basic Constraints:\n        CA: %s\n",
                  in.is_ca ? "TRUE" : "FALSE");
        GENERAL_NAMES *gns = X509_get_ext_d2i(c->x, NID_subject_alt_name, NULL, NULL);
        if (gns && sk_GENERAL_NAME_num(gns) > 0) {
            sb_puts(sb, "    X509v3 Subject Alternative Name:\n");
            for (int j = 0; j < sk_GENERAL_NAME_num(gns); j++) {
                const GENERAL_NAME *g = sk_GENERAL_NAME_value(gns, j);
                int type;
                GENERAL_NAME_get0_value(g, &type);
                const char *l = gn_label(type);
                if (!l) continue;
                gn_text(g, v, sizeof v);
                sb_printf(sb, "        %s: %s\n", l, v);
            }
        }
        GENERAL_NAMES_free(gns);
    }
    sb_printf(sb, "  Associated Trustpoints: %s\n\n", tp->name);
    ERR_clear_error();
}

void ike_pki_tp_show_certificates(const struct ike_pki_tp *tp, bool verbose, struct strbuf *sb)
{
    if (!tp) return;
    if (tp->cert) show_cert(sb, tp, tp->cert, true, verbose);
    for (int i = 0; i < tp->nca; i++) show_cert(sb, tp, tp->ca[i], false, verbose);
}

int ike_pki_tp_show_trustpoint(const struct ike_pki_tp *tp, struct strbuf *sb)
{
    if (!tp || tp->nca == 0) return -1;
    for (int i = 0; i < tp->nca; i++) {
        struct ike_pki_cert_info in;
        if (ike_pki_cert_get_info(tp->ca[i], &in) != IKE_PKI_OK) continue;
        sb_puts(sb, "    Subject Name:\n");
        show_dn_lines(sb, X509_get_subject_name(tp->ca[i]->x), "    ");
        sb_printf(sb, "          Serial Number (hex): %s\n", in.serial);
    }
    sb_puts(sb, "    Certificate configured.\n");
    return 0;
}

/* ---- validation ---- */

int ike_pki_tp_validate(const struct ike_pki_tp *tp, const uint8_t *ee, size_t ee_len,
                        const struct ike_pki_der *inter, int ninter, time_t now,
                        struct ike_pki_cert **out, char *err, size_t errlen)
{
    if (out) *out = NULL;
    if (!tp || !tp->store || tp->nca == 0)
        return fail(err, errlen, IKE_PKI_E_MISSING, "trustpoint %s has no CA certificate",
                    tp ? tp->name : "?");
    if (ninter < 0 || ninter > IKE_PKI_MAX_CHAIN)
        return fail(err, errlen, IKE_PKI_E_MALFORMED, "%d intermediate certificates (max %d)",
                    ninter, IKE_PKI_MAX_CHAIN);
    char why[IKE_PKI_ERR_MAX];
    struct ike_pki_cert *c = ike_pki_cert_parse(ee, ee_len, why, sizeof why);
    if (!c) return fail(err, errlen, IKE_PKI_E_MALFORMED, "peer certificate: %s", why);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = IKE_PKI_OK;
    if (!untrusted || !ctx) {
        rc = fail(err, errlen, IKE_PKI_E_INTERNAL, "out of memory");
        goto done;
    }
    for (int i = 0; i < ninter; i++) {
        const unsigned char *p = inter[i].data;
        X509 *x = NULL;
        if (inter[i].data && inter[i].len > 0 && inter[i].len <= LONG_MAX)
            x = d2i_X509(NULL, &p, (long)inter[i].len);
        if (!x || (size_t)(p - inter[i].data) != inter[i].len) {
            X509_free(x);
            rc = fail(err, errlen, IKE_PKI_E_MALFORMED,
                      "intermediate certificate %d does not parse", i + 1);
            goto done;
        }
        if (!sk_X509_push(untrusted, x)) {
            X509_free(x);
            rc = fail(err, errlen, IKE_PKI_E_INTERNAL, "out of memory");
            goto done;
        }
    }
    if (!X509_STORE_CTX_init(ctx, tp->store, c->x, untrusted)) {
        rc = fail(err, errlen, IKE_PKI_E_INTERNAL, "cannot set up validation");
        goto done;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, now);
    /* Every CA certificate of the trustpoint is an anchor, root or not (see ike_pki.h). No
     * CRL flags: IOS `revocation-check none`. */
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_depth(param, IKE_PKI_MAX_CHAIN + 1);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        int depth = X509_STORE_CTX_get_error_depth(ctx);
        X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
        char dn[IKE_PKI_DN_MAX] = "?";
        if (bad) dn_text(X509_get_subject_name(bad), ",", dn, sizeof dn);
        rc = fail(err, errlen, IKE_PKI_E_INVALID, "%s (depth %d: %s)",
                  X509_verify_cert_error_string(e), depth, dn);
        goto done;
    }
done:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(untrusted, X509_free);
    if (rc == IKE_PKI_OK && out)
        *out = c;
    else
        ike_pki_cert_free(c);
    return rc;
}

/* ---- CERTREQ ---- */

size_t ike_pki_tp_certreq(const struct ike_pki_tp *tp, uint8_t *out, size_t cap)
{
    if (!tp) return 0;
    size_t need = (size_t)tp->nca * IKE_PKI_SHA1_LEN;
    if (out && cap >= need)
        for (int i = 0; i < tp->nca; i++)
            memcpy(out + (size_t)i * IKE_PKI_SHA1_LEN, tp->ca[i]->spki_sha1, IKE_PKI_SHA1_LEN);
    return need;
}

bool ike_pki_tp_certreq_match(const struct ike_pki_tp *tp, const uint8_t *data, size_t len)
{
    if (!tp || !data) return false;
    for (size_t off = 0; off + IKE_PKI_SHA1_LEN <= len; off += IKE_PKI_SHA1_LEN) {
        uint8_t h[IKE_PKI_SHA1_LEN];
        memcpy(h, data + off, sizeof h);
        for (int i = 0; i < tp->nca; i++)
            if (!memcmp(h, tp->ca[i]->spki_sha1, sizeof h)) return true;
        for (int i = 0; i < tp->nchain; i++)
            if (!memcmp(h, tp->chain[i]->spki_sha1, sizeof h)) return true;
    }
    return false;
}

/* ---- AUTH signatures ---- */

/* RFC 7427 Appendix A's AlgorithmIdentifiers, byte for byte, for what we sign. */
static const uint8_t ai_rsa_sha1[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00};
static const uint8_t ai_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                        0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const uint8_t ai_rsa_sha384[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                        0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
static const uint8_t ai_rsa_sha512[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                        0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
static const uint8_t ai_ecdsa_sha1[] = {0x30, 0x09, 0x06, 0x07, 0x2a, 0x86,
                                        0x48, 0xce, 0x3d, 0x04, 0x01};
static const uint8_t ai_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                          0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t ai_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                          0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t ai_ecdsa_sha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                          0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
/* A.4.2: RSASSA-PSS with the default parameters written out (SHA-1, MGF1-SHA-1, salt 20). */
static const uint8_t ai_pss_sha1[] = {
    0x30, 0x3e, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x31, 0xa0,
    0x0b, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0xa1, 0x18, 0x30, 0x16,
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x09, 0x06, 0x05, 0x2b,
    0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x14, 0xa3, 0x03, 0x02, 0x01, 0x01};
/* A.4.3: RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32, trailerField 1. The SHA-384/512
 * forms follow it: only the hash OID's last arc and the salt length differ. */
#define AI_PSS_SHA2(arc, salt)                                                                     \
    {                                                                                              \
        0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39,  \
            0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,    \
            (arc), 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,   \
            0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,    \
            0x04, 0x02, (arc), 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, (salt), 0xa3, 0x03, 0x02, 0x01, \
            0x01                                                                                   \
    }
static const uint8_t ai_pss_sha256[] = AI_PSS_SHA2(0x01, 32);
static const uint8_t ai_pss_sha384[] = AI_PSS_SHA2(0x02, 48);
static const uint8_t ai_pss_sha512[] = AI_PSS_SHA2(0x03, 64);

struct ai_blob {
    const uint8_t *b;
    size_t n;
};
#define AI(x) ((struct ai_blob){(x), sizeof(x)})

static struct ai_blob ai_for(enum ike_pki_key_kind kind, bool pss, uint16_t h)
{
    if (kind == IKE_PKI_KEY_EC) {
        switch (h) {
        case IKE_HASH_SHA1: return AI(ai_ecdsa_sha1);
        case IKE_HASH_SHA2_256: return AI(ai_ecdsa_sha256);
        case IKE_HASH_SHA2_384: return AI(ai_ecdsa_sha384);
        case IKE_HASH_SHA2_512: return AI(ai_ecdsa_sha512);
        }
    } else if (pss || kind == IKE_PKI_KEY_RSA_PSS) {
        switch (h) {
        case IKE_HASH_SHA1: return AI(ai_pss_sha1);
        case IKE_HASH_SHA2_256: return AI(ai_pss_sha256);
        case IKE_HASH_SHA2_384: return AI(ai_pss_sha384);
        case IKE_HASH_SHA2_512: return AI(ai_pss_sha512);
        }
    } else if (kind == IKE_PKI_KEY_RSA) {
        switch (h) {
        case IKE_HASH_SHA1: return AI(ai_rsa_sha1);
        case IKE_HASH_SHA2_256: return AI(ai_rsa_sha256);
        case IKE_HASH_SHA2_384: return AI(ai_rsa_sha384);
        case IKE_HASH_SHA2_512: return AI(ai_rsa_sha512);
        }
    }
    return (struct ai_blob){NULL, 0};
}

/* EVP_DigestSign into a fresh buffer. pss_salt < 0: PKCS#1 v1.5 (or ECDSA). */
static int do_sign(EVP_PKEY *pk, const EVP_MD *md, int pss_salt, const uint8_t *m, size_t ml,
                   uint8_t **sig, size_t *siglen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = ctx && EVP_DigestSignInit(ctx, &pctx, md, NULL, pk) == 1;
    if (ok && pss_salt >= 0)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) == 1;
    size_t n = 0;
    ok = ok && EVP_DigestSign(ctx, NULL, &n, m, ml) == 1;
    uint8_t *b = ok ? malloc(n) : NULL;
    ok = b && EVP_DigestSign(ctx, b, &n, m, ml) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        free(b);
        return -1;
    }
    *sig = b;
    *siglen = n;
    return 0;
}

/* EVP_DigestVerify: 1 good, 0 not. */
static int do_verify(EVP_PKEY *pk, const EVP_MD *md, int pss_salt, const EVP_MD *mgf1,
                     const uint8_t *sig, size_t siglen, const uint8_t *m, size_t ml)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pk) == 1;
    if (ok && pss_salt >= 0)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf1) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) == 1;
    ok = ok && EVP_DigestVerify(ctx, sig, siglen, m, ml) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* Field size in octets of an EC key (RFC 4754 §7: 32, 48, 66). */
static size_t ec_field_len(const EVP_PKEY *pk)
{
    return ((size_t)EVP_PKEY_get_bits(pk) + 7) / 8;
}

/* DER ECDSA-Sig-Value -> r || s, each flen octets. */
static int ecdsa_der_to_raw(const uint8_t *der, size_t n, size_t flen, uint8_t *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)n);
    if (!s) return -1;
    const BIGNUM *r, *sv;
    ECDSA_SIG_get0(s, &r, &sv);
    int ok = BN_bn2binpad(r, out, (int)flen) == (int)flen &&
             BN_bn2binpad(sv, out + flen, (int)flen) == (int)flen;
    ECDSA_SIG_free(s);
    return ok ? 0 : -1;
}

/* r || s -> DER ECDSA-Sig-Value (malloc'd by OpenSSL). */
static int ecdsa_raw_to_der(const uint8_t *raw, size_t flen, unsigned char **der, size_t *n)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)flen, NULL);
    BIGNUM *sv = BN_bin2bn(raw + flen, (int)flen, NULL);
    if (!s || !r || !sv || !ECDSA_SIG_set0(s, r, sv)) {
        ECDSA_SIG_free(s);
        BN_free(r);
        BN_free(sv);
        return -1;
    }
    *der = NULL;
    int len = i2d_ECDSA_SIG(s, der);
    ECDSA_SIG_free(s);
    if (len <= 0) return -1;
    *n = (size_t)len;
    return 0;
}

int ike_pki_sign(const struct ike_pki_key *key, const struct ike_pki_sigalg *alg,
                 const uint8_t *octets, size_t olen, uint8_t *out, size_t cap, size_t *outlen,
                 char *err, size_t errlen)
{
    if (outlen) *outlen = 0;
    if (!key || !alg || !out || !outlen || (!octets && olen))
        return fail(err, errlen, IKE_PKI_E_MISSING, "no key or nothing to sign");
    EVP_PKEY *pk = key->pk;
    enum ike_pki_key_kind kind = pkey_kind(pk);
    uint8_t *sig = NULL;
    size_t siglen = 0;
    int rc = IKE_PKI_OK;
    switch (alg->method) {
    case IKE_AUTH_RSA_SIG: {
        if (kind != IKE_PKI_KEY_RSA)
            return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH,
                        "RSA signature (method 1) needs an RSA key");
        const EVP_MD *md = hash_md(alg->hash ? alg->hash : IKE_HASH_SHA1);
        if (!md) return fail(err, errlen, IKE_PKI_E_UNSUPPORTED, "unknown hash %u", alg->hash);
        if (do_sign(pk, md, -1, octets, olen, &sig, &siglen) < 0)
            return fail(err, errlen, IKE_PKI_E_INTERNAL, "RSA signing failed (%s)",
                        ossl_reason("?"));
        if (siglen > cap) {
            rc = fail(err, errlen, IKE_PKI_E_NOSPACE, "AUTH data too long");
        } else {
            memcpy(out, sig, siglen);
            *outlen = siglen;
        }
        break;
    }
    case IKE_AUTH_ECDSA_256:
    case IKE_AUTH_ECDSA_384:
    case IKE_AUTH_ECDSA_521: {
        if (kind != IKE_PKI_KEY_EC || curve_nid(pk) != method_curve(alg->method))
            return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH,
                        "ECDSA method %u needs an EC key on %s", alg->method,
                        curve_label(method_curve(alg->method)));
        size_t flen = ec_field_len(pk);
        if (2 * flen > cap) return fail(err, errlen, IKE_PKI_E_NOSPACE, "AUTH data too long");
        if (do_sign(pk, hash_md(method_hash(alg->method)), -1, octets, olen, &sig, &siglen) < 0)
            return fail(err, errlen, IKE_PKI_E_INTERNAL, "ECDSA signing failed (%s)",
                        ossl_reason("?"));
        /* RFC 4754 §7: r || s, not the DER ECDSA-Sig-Value. */
        if (ecdsa_der_to_raw(sig, siglen, flen, out) < 0)
            rc = fail(err, errlen, IKE_PKI_E_INTERNAL, "cannot encode the ECDSA signature");
        else
            *outlen = 2 * flen;
        break;
    }
    case IKE_AUTH_DIGITAL_SIG: {
        if (kind == IKE_PKI_KEY_EC && alg->pss)
            return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH, "RSASSA-PSS needs an RSA key");
        if (kind == IKE_PKI_KEY_RSA_PSS && !alg->pss)
            return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH,
                        "an RSA-PSS key cannot make PKCS#1 v1.5 signatures");
        const EVP_MD *md = hash_md(alg->hash);
        struct ai_blob ai = ai_for(kind, alg->pss, alg->hash);
        if (!md || !ai.b)
            return fail(err, errlen, IKE_PKI_E_UNSUPPORTED, "no digital signature with hash %u",
                        alg->hash);
        bool pss = kind != IKE_PKI_KEY_EC && (alg->pss || kind == IKE_PKI_KEY_RSA_PSS);
        if (do_sign(pk, md, pss ? EVP_MD_get_size(md) : -1, octets, olen, &sig, &siglen) < 0)
            return fail(err, errlen, IKE_PKI_E_INTERNAL, "signing failed (%s)", ossl_reason("?"));
        /* RFC 7427 §3: length octet, AlgorithmIdentifier, signature (DER ECDSA-Sig-Value for
         * ECDSA, as in X.509). */
        if (1 + ai.n + siglen > cap) {
            rc = fail(err, errlen, IKE_PKI_E_NOSPACE, "AUTH data too long");
            break;
        }
        out[0] = (uint8_t)ai.n;
        memcpy(out + 1, ai.b, ai.n);
        memcpy(out + 1 + ai.n, sig, siglen);
        *outlen = 1 + ai.n + siglen;
        break;
    }
    default:
        return fail(err, errlen, IKE_PKI_E_UNSUPPORTED,
                    "authentication method %u is not a "
                    "signature method we make",
                    alg->method);
    }
    free(sig);
    ERR_clear_error();
    return rc;
}

/* A hash AlgorithmIdentifier inside RSASSA-PSS parameters (NULL or absent parameters). */
static uint16_t pss_hash_of(const X509_ALGOR *a)
{
    const ASN1_OBJECT *obj;
    int ptype;
    const void *pval;
    X509_ALGOR_get0(&obj, &ptype, &pval, a);
    if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) return 0;
    return nid_hash(OBJ_obj2nid(obj));
}

/* RFC 4055 §3.1 RSASSA-PSS-params from the AlgorithmIdentifier's parameters. Defaults: SHA-1,
 * MGF1 with SHA-1, salt 20, trailerField 1. */
static int pss_params(int ptype, const void *pval, uint16_t *hash, uint16_t *mgf_hash, int *salt,
                      char *err, size_t errlen)
{
    if (ptype != V_ASN1_SEQUENCE)
        return fail(err, errlen, IKE_PKI_E_MALFORMED, "RSASSA-PSS without parameters");
    const ASN1_STRING *seq = pval;
    const unsigned char *p = ASN1_STRING_get0_data(seq);
    long n = ASN1_STRING_length(seq);
    RSA_PSS_PARAMS *pp = d2i_RSA_PSS_PARAMS(NULL, &p, n);
    if (!pp || p != ASN1_STRING_get0_data(seq) + n) {
        RSA_PSS_PARAMS_free(pp);
        return fail(err, errlen, IKE_PKI_E_MALFORMED, "RSASSA-PSS parameters do not parse");
    }
    int rc = IKE_PKI_OK;
    *hash = IKE_HASH_SHA1;
    *mgf_hash = IKE_HASH_SHA1;
    *salt = 20;
    if (pp->hashAlgorithm && !(*hash = pss_hash_of(pp->hashAlgorithm)))
        rc = fail(err, errlen, IKE_PKI_E_UNSUPPORTED, "RSASSA-PSS with an unknown hash");
    if (rc == IKE_PKI_OK && pp->maskGenAlgorithm) {
        const ASN1_OBJECT *obj;
        int mt;
        const void *mv;
        X509_ALGOR_get0(&obj, &mt, &mv, pp->maskGenAlgorithm);
        X509_ALGOR *mh = NULL;
        if (OBJ_obj2nid(obj) == NID_mgf1 && mt == V_ASN1_SEQUENCE) {
            /* MGF1's parameter is the hash's AlgorithmIdentifier. */
            const ASN1_STRING *ms = mv;
            const unsigned char *q = ASN1_STRING_get0_data(ms);
            long ml = ASN1_STRING_length(ms);
            mh = d2i_X509_ALGOR(NULL, &q, ml);
            if (mh && q != ASN1_STRING_get0_data(ms) + ml) {
                X509_ALGOR_free(mh);
                mh = NULL;
            }
        }
        if (!mh || !(*mgf_hash = pss_hash_of(mh)))
            rc = fail(err, errlen, IKE_PKI_E_UNSUPPORTED,
                      "RSASSA-PSS with an unknown mask "
                      "generation function");
        X509_ALGOR_free(mh);
    }
    if (rc == IKE_PKI_OK && pp->saltLength) {
        long v = ASN1_INTEGER_get(pp->saltLength);
        if (v < 0 || v > 1024)
            rc = fail(err, errlen, IKE_PKI_E_MALFORMED, "RSASSA-PSS salt length %ld", v);
        else
            *salt = (int)v;
    }
    if (rc == IKE_PKI_OK && pp->trailerField && ASN1_INTEGER_get(pp->trailerField) != 1)
        rc = fail(err, errlen, IKE_PKI_E_UNSUPPORTED, "RSASSA-PSS trailerField is not 1");
    RSA_PSS_PARAMS_free(pp);
    return rc;
}

static int verify_digital_sig(EVP_PKEY *pk, const uint8_t *auth, size_t alen, const uint8_t *octets,
                              size_t olen, unsigned flags, struct ike_pki_sigalg *used, char *err,
                              size_t errlen)
{
    /* RFC 7427 §3: ASN.1 Length, AlgorithmIdentifier, Signature Value. */
    if (alen < 1)
        return fail(err, errlen, IKE_PKI_E_MALFORMED, "empty digital signature AUTH data");
    size_t ailen = auth[0];
    if (ailen < 2 || 1 + ailen >= alen)
        return fail(err, errlen, IKE_PKI_E_MALFORMED,
                    "AlgorithmIdentifier length %zu does not fit %zu bytes of AUTH data", ailen,
                    alen);
    const unsigned char *p = auth + 1;
    X509_ALGOR *ai = d2i_X509_ALGOR(NULL, &p, (long)ailen);
    if (!ai || p != auth + 1 + ailen) {
        X509_ALGOR_free(ai);
        return fail(err, errlen, IKE_PKI_E_MALFORMED, "AlgorithmIdentifier does not parse");
    }
    const uint8_t *sig = auth + 1 + ailen;
    size_t siglen = alen - 1 - ailen;
    const ASN1_OBJECT *obj;
    int ptype;
    const void *pval;
    X509_ALGOR_get0(&obj, &ptype, &pval, ai);
    int nid = OBJ_obj2nid(obj);
    enum ike_pki_key_kind kind = pkey_kind(pk);
    uint16_t hash = 0, mgf = 0;
    int salt = -1, rc = IKE_PKI_OK;
    bool want_ec = false, pss = false;
    switch (nid) {
    case NID_sha1WithRSAEncryption: hash = IKE_HASH_SHA1; break;
    case NID_sha256WithRSAEncryption: hash = IKE_HASH_SHA2_256; break;
    case NID_sha384WithRSAEncryption: hash = IKE_HASH_SHA2_384; break;
    case NID_sha512WithRSAEncryption: hash = IKE_HASH_SHA2_512; break;
    case NID_ecdsa_with_SHA1: hash = IKE_HASH_SHA1, want_ec = true; break;
    case NID_ecdsa_with_SHA256: hash = IKE_HASH_SHA2_256, want_ec = true; break;
    case NID_ecdsa_with_SHA384: hash = IKE_HASH_SHA2_384, want_ec = true; break;
    case NID_ecdsa_with_SHA512: hash = IKE_HASH_SHA2_512, want_ec = true; break;
    case NID_rsassaPss:
        pss = true;
        rc = pss_params(ptype, pval, &hash, &mgf, &salt, err, errlen);
        break;
    default: {
        char oid[80];
        if (OBJ_obj2txt(oid, sizeof oid, obj, 1) <= 0) snprintf(oid, sizeof oid, "?");
        rc = fail(err, errlen, IKE_PKI_E_UNSUPPORTED, "unknown AlgorithmIdentifier %s", oid);
    }
    }
    /* RFC 7427 §3: RSA PKCS#1 identifiers carry NULL parameters, ECDSA ones none; the other
     * form is accepted too (the note on dual encodings), anything else is not. */
    if (rc == IKE_PKI_OK && !pss && ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
        rc = fail(err, errlen, IKE_PKI_E_MALFORMED, "unexpected AlgorithmIdentifier parameters");
    X509_ALGOR_free(ai);
    if (rc != IKE_PKI_OK) return rc;
    if (used) *used = (struct ike_pki_sigalg){IKE_AUTH_DIGITAL_SIG, hash, pss};

    if (want_ec && kind != IKE_PKI_KEY_EC)
        return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH,
                    "ECDSA signature but the peer's key "
                    "is not EC");
    if (!want_ec && !pss && kind != IKE_PKI_KEY_RSA)
        return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH,
                    "RSA PKCS#1 signature but the peer's "
                    "key is not an RSA key");
    if (pss && kind != IKE_PKI_KEY_RSA && kind != IKE_PKI_KEY_RSA_PSS)
        return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH,
                    "RSASSA-PSS signature but the peer's "
                    "key is not RSA");
    if ((hash == IKE_HASH_SHA1 || (pss && mgf == IKE_HASH_SHA1)) &&
        !(flags & IKE_PKI_VERIFY_ALLOW_SHA1))
        return fail(err, errlen, IKE_PKI_E_POLICY,
                    "SHA-1 digital signatures are not accepted "
                    "(RFC 8247)");
    if (!do_verify(pk, hash_md(hash), pss ? salt : -1, pss ? hash_md(mgf) : NULL, sig, siglen,
                   octets, olen))
        return fail(err, errlen, IKE_PKI_E_BAD_SIGNATURE, "%s signature with %s does not verify",
                    want_ec ? "ECDSA"
                    : pss   ? "RSASSA-PSS"
                            : "RSA PKCS#1",
                    hash_name(hash));
    return IKE_PKI_OK;
}

int ike_pki_verify(const struct ike_pki_cert *peer, uint8_t method, const uint8_t *auth,
                   size_t alen, const uint8_t *octets, size_t olen, unsigned flags,
                   struct ike_pki_sigalg *used, char *err, size_t errlen)
{
    if (used) memset(used, 0, sizeof *used);
    if (!peer || (!auth && alen) || (!octets && olen))
        return fail(err, errlen, IKE_PKI_E_MISSING, "no certificate or data");
    EVP_PKEY *pk = X509_get0_pubkey(peer->x);
    if (!pk) return fail(err, errlen, IKE_PKI_E_UNSUPPORTED, "the peer's public key is unusable");
    enum ike_pki_key_kind kind = pkey_kind(pk);
    switch (method) {
    case IKE_AUTH_RSA_SIG: {
        if (kind != IKE_PKI_KEY_RSA)
            return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH,
                        "RSA signature (method 1) but the peer's key is not an RSA key");
        if (alen == 0) return fail(err, errlen, IKE_PKI_E_MALFORMED, "empty AUTH data");
        /* RFC 7296 §3.8 leaves the hash open (SHA-1 by default): try each; OpenSSL matches the
         * whole expected DigestInfo, so no hash can be confused with another. */
        static const uint16_t hs[] = {IKE_HASH_SHA1, IKE_HASH_SHA2_256, IKE_HASH_SHA2_384,
                                      IKE_HASH_SHA2_512};
        for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
            if (do_verify(pk, hash_md(hs[i]), -1, NULL, auth, alen, octets, olen)) {
                if (used) *used = (struct ike_pki_sigalg){method, hs[i], false};
                return IKE_PKI_OK;
            }
        }
        return fail(err, errlen, IKE_PKI_E_BAD_SIGNATURE, "RSA signature does not verify");
    }
    case IKE_AUTH_ECDSA_256:
    case IKE_AUTH_ECDSA_384:
    case IKE_AUTH_ECDSA_521: {
        if (kind != IKE_PKI_KEY_EC || curve_nid(pk) != method_curve(method))
            return fail(err, errlen, IKE_PKI_E_KEY_MISMATCH,
                        "ECDSA method %u but the peer's key is not on %s", method,
                        curve_label(method_curve(method)));
        size_t flen = ec_field_len(pk);
        if (alen != 2 * flen)
            return fail(err, errlen, IKE_PKI_E_MALFORMED,
                        "ECDSA signature of %zu bytes, expected %zu (RFC 4754 §7)", alen, 2 * flen);
        unsigned char *der = NULL;
        size_t dlen = 0;
        if (ecdsa_raw_to_der(auth, flen, &der, &dlen) < 0)
            return fail(err, errlen, IKE_PKI_E_INTERNAL, "cannot encode the ECDSA signature");
        uint16_t h = method_hash(method);
        int ok = do_verify(pk, hash_md(h), -1, NULL, der, dlen, octets, olen);
        OPENSSL_free(der);
        if (!ok)
            return fail(err, errlen, IKE_PKI_E_BAD_SIGNATURE,
                        "ECDSA signature does not "
                        "verify");
        if (used) *used = (struct ike_pki_sigalg){method, h, false};
        return IKE_PKI_OK;
    }
    case IKE_AUTH_DIGITAL_SIG:
        return verify_digital_sig(pk, auth, alen, octets, olen, flags, used, err, errlen);
    }
    return fail(err, errlen, IKE_PKI_E_UNSUPPORTED,
                "authentication method %u is not a signature "
                "method we verify",
                method);
}

size_t ike_pki_hash_algorithms(uint8_t *out, size_t cap)
{
    static const uint8_t ours[] = {0, IKE_HASH_SHA2_256, 0, IKE_HASH_SHA2_384,
                                   0, IKE_HASH_SHA2_512};
    if (out && cap >= sizeof ours) memcpy(out, ours, sizeof ours);
    return sizeof ours;
}

static bool peer_has(const uint8_t *h, size_t len, uint16_t id)
{
    for (size_t i = 0; i + 2 <= len; i += 2)
        if ((uint16_t)(h[i] << 8 | h[i + 1]) == id) return true;
    return false;
}

int ike_pki_choose_sigalg(const struct ike_pki_key *key, const uint8_t *peer_hashes, size_t len,
                          bool prefer_pss, struct ike_pki_sigalg *out)
{
    if (!key || !out) return IKE_PKI_E_MISSING;
    memset(out, 0, sizeof *out);
    enum ike_pki_key_kind kind = pkey_kind(key->pk);
    uint8_t ecm = curve_method(curve_nid(key->pk));
    if (kind == IKE_PKI_KEY_OTHER) return IKE_PKI_E_UNSUPPORTED;
    if (peer_hashes) {
        uint16_t order[4] = {IKE_HASH_SHA2_256, IKE_HASH_SHA2_384, IKE_HASH_SHA2_512, 0};
        if (kind == IKE_PKI_KEY_EC && ecm) {
            /* The curve's own hash first (RFC 4754's pairing, same strength). */
            uint16_t own = method_hash(ecm);
            order[0] = own;
            int j = 1;
            for (uint16_t h = IKE_HASH_SHA2_256; h <= IKE_HASH_SHA2_512; h++)
                if (h != own) order[j++] = h;
        }
        for (int i = 0; i < 3; i++) {
            if (peer_has(peer_hashes, len, order[i])) {
                out->method = IKE_AUTH_DIGITAL_SIG;
                out->hash = order[i];
                out->pss = kind == IKE_PKI_KEY_RSA_PSS || (kind == IKE_PKI_KEY_RSA && prefer_pss);
                return IKE_PKI_OK;
            }
        }
    }
    if (kind == IKE_PKI_KEY_RSA) {
        out->method = IKE_AUTH_RSA_SIG;
        out->hash = IKE_HASH_SHA1;
        return IKE_PKI_OK;
    }
    if (kind == IKE_PKI_KEY_EC && ecm) {
        out->method = ecm;
        out->hash = method_hash(ecm);
        return IKE_PKI_OK;
    }
    return IKE_PKI_E_UNSUPPORTED;
}

/* ---- identities ---- */

size_t ike_pki_cert_subject_der(const struct ike_pki_cert *c, uint8_t *out, size_t cap)
{
    if (!c) return 0;
    unsigned char *der = NULL;
    int n = i2d_X509_NAME(X509_get_subject_name(c->x), &der);
    if (n <= 0) {
        ERR_clear_error();
        return 0;
    }
    if (out && cap >= (size_t)n) memcpy(out, der, (size_t)n);
    OPENSSL_free(der);
    return (size_t)n;
}

static bool san_match(const struct ike_pki_cert *c, int gtype, const uint8_t *data, size_t len)
{
    GENERAL_NAMES *gns = X509_get_ext_d2i(c->x, NID_subject_alt_name, NULL, NULL);
    bool hit = false;
    for (int i = 0; gns && !hit && i < sk_GENERAL_NAME_num(gns); i++) {
        int type;
        const ASN1_STRING *s = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gns, i), &type);
        if (type != gtype) continue;
        const char *v = (const char *)ASN1_STRING_get0_data(s);
        size_t vl = (size_t)ASN1_STRING_length(s);
        if (gtype == GEN_IPADD)
            hit = vl == len && !memcmp(v, data, len);
        else
            hit = ascii_ieq(v, vl, (const char *)data, len);
    }
    GENERAL_NAMES_free(gns);
    ERR_clear_error();
    return hit;
}

bool ike_pki_cert_match_id(const struct ike_pki_cert *c, uint8_t id_type, const uint8_t *data,
                           size_t len)
{
    if (!c || !data || len == 0) return false;
    switch (id_type) {
    case IKE_ID_DER_ASN1_DN: {
        if (len > LONG_MAX) return false;
        const unsigned char *p = data;
        X509_NAME *nm = d2i_X509_NAME(NULL, &p, (long)len);
        bool eq = nm && p == data + len && X509_NAME_cmp(nm, X509_get_subject_name(c->x)) == 0;
        X509_NAME_free(nm);
        ERR_clear_error();
        return eq;
    }
    case IKE_ID_FQDN: return san_match(c, GEN_DNS, data, len);
    case IKE_ID_RFC822_ADDR: return san_match(c, GEN_EMAIL, data, len);
    case IKE_ID_IPV4_ADDR: return len == 4 && san_match(c, GEN_IPADD, data, len);
    case IKE_ID_IPV6_ADDR: return len == 16 && san_match(c, GEN_IPADD, data, len);
    }
    return false;
}

size_t ike_pki_id_to_text(uint8_t id_type, const uint8_t *data, size_t len, char *buf, size_t cap)
{
    char tmp[IKE_PKI_DN_MAX];
    tmp[0] = '\0';
    if (!data) len = 0;
    switch (id_type) {
    case IKE_ID_IPV4_ADDR:
    case IKE_ID_IPV6_ADDR:
        if (len == (id_type == IKE_ID_IPV4_ADDR ? 4u : 16u) &&
            inet_ntop(id_type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6, data, tmp, sizeof tmp))
            return (size_t)snprintf(buf, cap, "%s", tmp);
        break;
    case IKE_ID_FQDN:
    case IKE_ID_RFC822_ADDR: {
        char *t = malloc(len + 1);
        if (!t) break;
        copy_printable(t, len + 1, data, len);
        size_t n = (size_t)snprintf(buf, cap, "%s", t);
        free(t);
        return n;
    }
    case IKE_ID_DER_ASN1_DN: {
        const unsigned char *p = data;
        X509_NAME *nm = len && len <= LONG_MAX ? d2i_X509_NAME(NULL, &p, (long)len) : NULL;
        if (nm && p == data + len) {
            dn_text(nm, ",", tmp, sizeof tmp);
            X509_NAME_free(nm);
            return (size_t)snprintf(buf, cap, "%s", tmp);
        }
        X509_NAME_free(nm);
        ERR_clear_error();
        break;
    }
    }
    /* KEY_ID, unknown types and anything that did not parse: hex. */
    size_t need = 2 * len;
    if (cap) {
        size_t n = len;
        if (2 * n + 1 > cap) n = (cap - 1) / 2;
        for (size_t i = 0; i < n; i++) snprintf(buf + 2 * i, 3, "%02x", data[i]);
        buf[2 * n] = '\0';
    }
    return need;
}

/* ---- certificate maps ---- */

static const char *const field_names[IKE_PKI_MAP_FIELD_COUNT] = {
    "subject-name", "issuer-name",  "alt-subject-name", "unstructured-subject-name",
    "name",         "serial-number"};
static const char *const op_names[IKE_PKI_MAP_OP_COUNT] = {"eq", "ne", "co", "nc"};

const char *ike_pki_map_field_name(int field)
{
    return field >= 0 && field < IKE_PKI_MAP_FIELD_COUNT ? field_names[field] : "?";
}

const char *ike_pki_map_op_name(int op)
{
    return op >= 0 && op < IKE_PKI_MAP_OP_COUNT ? op_names[op] : "?";
}

int ike_pki_map_field_parse(const char *s)
{
    for (int i = 0; s && i < IKE_PKI_MAP_FIELD_COUNT; i++)
        if (!strcmp(s, field_names[i])) return i;
    return -1;
}

int ike_pki_map_op_parse(const char *s)
{
    for (int i = 0; s && i < IKE_PKI_MAP_OP_COUNT; i++)
        if (!strcmp(s, op_names[i])) return i;
    return -1;
}

/* The values a field takes for a certificate (at most 32 of IKE_PKI_DN_MAX). */
#define MAP_VALUES 32
struct map_values {
    int n;
    char v[MAP_VALUES][IKE_PKI_DN_MAX];
};

static void map_values(const struct ike_pki_cert *c, int field, struct map_values *mv)
{
    mv->n = 0;
    X509 *x = c->x;
    switch (field) {
    case IKE_PKI_MAP_SUBJECT_NAME:
        dn_text(X509_get_subject_name(x), ",", mv->v[mv->n++], IKE_PKI_DN_MAX);
        break;
    case IKE_PKI_MAP_ISSUER_NAME:
        dn_text(X509_get_issuer_name(x), ",", mv->v[mv->n++], IKE_PKI_DN_MAX);
        break;
    case IKE_PKI_MAP_NAME:
        dn_text(X509_get_subject_name(x), ",", mv->v[mv->n++], IKE_PKI_DN_MAX);
        dn_text(X509_get_issuer_name(x), ",", mv->v[mv->n++], IKE_PKI_DN_MAX);
        break;
    case IKE_PKI_MAP_UNSTRUCTURED_SUBJECT_NAME: {
        const X509_NAME *nm = X509_get_subject_name(x);
        for (int i = -1; mv->n < MAP_VALUES;) {
            i = X509_NAME_get_index_by_NID(nm, NID_pkcs9_unstructuredName, i);
            if (i < 0) break;
            entry_value(X509_NAME_get_entry(nm, i), mv->v[mv->n++], IKE_PKI_DN_MAX);
        }
        break;
    }
    case IKE_PKI_MAP_ALT_SUBJECT_NAME: {
        GENERAL_NAMES *gns = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
        for (int i = 0; gns && i < sk_GENERAL_NAME_num(gns) && mv->n < MAP_VALUES; i++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(gns, i);
            int type;
            GENERAL_NAME_get0_value(g, &type);
            if (!gn_label(type)) continue;
            gn_text(g, mv->v[mv->n], IKE_PKI_DN_MAX);
            if (mv->v[mv->n][0]) mv->n++;
        }
        GENERAL_NAMES_free(gns);
        break;
    }
    case IKE_PKI_MAP_SERIAL_NUMBER: {
        const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
        int snl = sn ? ASN1_STRING_length(sn) : 0;
        if (snl > 0)
            hex_upper(mv->v[mv->n++], IKE_PKI_DN_MAX, ASN1_STRING_get0_data(sn), (size_t)snl);
        break;
    }
    }
    ERR_clear_error();
}

static bool rule_match(const struct ike_pki_map_rule *r, const struct ike_pki_cert *c,
                       struct map_values *mv)
{
    if (r->field >= IKE_PKI_MAP_FIELD_COUNT || r->op >= IKE_PKI_MAP_OP_COUNT) return false;
    char val[IKE_PKI_MAP_VALUE_MAX];
    /* The struct comes from the shell: never trust it to be terminated. */
    memcpy(val, r->value, sizeof val);
    val[sizeof val - 1] = '\0';
    map_values(c, r->field, mv);
    bool contains = r->op == IKE_PKI_MAP_CO || r->op == IKE_PKI_MAP_NC;
    bool any = false;
    for (int i = 0; i < mv->n && !any; i++)
        any = contains ? ascii_icontains(mv->v[i], val)
                       : ascii_ieq(mv->v[i], strlen(mv->v[i]), val, strlen(val));
    return (r->op == IKE_PKI_MAP_EQ || r->op == IKE_PKI_MAP_CO) ? any : !any;
}

bool ike_pki_map_entry_match(const struct ike_pki_map_entry *e, const struct ike_pki_cert *c)
{
    if (!e || !c) return false;
    struct map_values *mv = malloc(sizeof *mv);
    if (!mv) return false;
    bool ok = true;
    int n = e->nrules < IKE_PKI_MAP_MAX_RULES ? e->nrules : IKE_PKI_MAP_MAX_RULES;
    for (int i = 0; i < n && ok; i++) ok = rule_match(&e->rule[i], c, mv);
    free(mv);
    return ok;
}

int ike_pki_map_match(const struct ike_pki_map_entry *entries, int n, const struct ike_pki_cert *c)
{
    int best = -1;
    for (int i = 0; entries && i < n; i++)
        if ((best < 0 || entries[i].seq < best) && ike_pki_map_entry_match(&entries[i], c))
            best = entries[i].seq;
    return best;
}
