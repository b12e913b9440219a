/* Unit tests for ike/ike_pki.c: trustpoints (PEM files, PKCS#12, PEM text, export), show output,
 * chain validation, CERTREQ, AUTH signatures (methods 1, 9/10/11, 14), identities and
 * certificate maps. Every key and certificate is generated here with the OpenSSL API; nothing
 * is read from the repository. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ike/ike_pki.h"
#include "ike/ike_wire.h"

/* ---- generated material ---- */

static EVP_PKEY *k_rca, *k_eca, *k_sub, *k_gw, *k_client, *k_p384, *k_p521, *k_pss, *k_rogue;
static X509 *c_rca, *c_eca, *c_sub, *c_gw, *c_client, *c_p384, *c_p521, *c_pss, *c_rogue,
    *c_rogue_leaf, *c_host;
static char tmpdir[64];

/* 2020-01-01 .. 2040-01-01 for the CAs; the leaves 10:00:00 UTC Nov 26 2026 for one year. */
static time_t t_ca_from, t_ca_to, t_leaf_from, t_leaf_to, t_now;

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

static EVP_PKEY *gen_rsa(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    assert_non_null(k);
    return k;
}

static EVP_PKEY *gen_ec(const char *curve)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
    assert_non_null(k);
    return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

/* subject: "O=lab/OU=vpn/CN=gw1" in DER order. issuer NULL: self-signed. */
static X509 *mkcert(EVP_PKEY *key, const char *subject, X509 *issuer, EVP_PKEY *ikey, long serial,
                    time_t from, time_t to, bool ca, const char *san)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), from));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), to));
    X509_NAME *nm = X509_get_subject_name(x);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", subject);
    for (char *tok = strtok(buf, "/"); tok; tok = strtok(NULL, "/")) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        assert_int_equal(X509_NAME_add_entry_by_txt(nm, tok, MBSTRING_UTF8,
                                                    (const unsigned char *)(eq + 1), -1, -1, 0),
                         1);
    }
    assert_int_equal(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509 *is = issuer ? issuer : x;
    if (ca) {
        add_ext(x, is, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, is, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, is, NID_basic_constraints, "CA:FALSE");
    }
    add_ext(x, is, NID_subject_key_identifier, "hash");
    add_ext(x, is, NID_authority_key_identifier, "keyid");
    if (san) add_ext(x, is, NID_subject_alt_name, san);
    EVP_PKEY *sk = ikey ? ikey : key;
    /* RSA-PSS keys sign with their own default (NULL md picks it); others with SHA-256. */
    assert_true(X509_sign(x, sk, EVP_sha256()) > 0);
    return x;
}

static uint8_t *der_of(X509 *x, size_t *len)
{
    uint8_t *d = NULL;
    int n = i2d_X509(x, &d);
    assert_true(n > 0);
    *len = (size_t)n;
    return d;
}

static char *pem_of_certs(X509 *const *v, int n)
{
    BIO *b = BIO_new(BIO_s_mem());
    for (int i = 0; i < n; i++) assert_int_equal(PEM_write_bio_X509(b, v[i]), 1);
    char *d;
    long l = BIO_get_mem_data(b, &d);
    char *s = strndup(d, (size_t)l);
    BIO_free(b);
    return s;
}

/* traditional: IOS's ".prv" form (BEGIN RSA PRIVATE KEY with Proc-Type/DEK-Info, 3DES). */
static char *pem_of_key(EVP_PKEY *k, const char *pass, bool traditional)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (traditional)
        assert_int_equal(PEM_write_bio_PrivateKey_traditional(
                             b, k, pass ? EVP_des_ede3_cbc() : NULL, (unsigned char *)pass,
                             pass ? (int)strlen(pass) : 0, NULL, NULL),
                         1);
    else
        assert_int_equal(PEM_write_bio_PKCS8PrivateKey(b, k, pass ? EVP_aes_256_cbc() : NULL, NULL,
                                                       0, NULL, (void *)pass),
                         1);
    char *d;
    long l = BIO_get_mem_data(b, &d);
    char *s = strndup(d, (size_t)l);
    BIO_free(b);
    return s;
}

static struct ike_pki_cert *wrap(X509 *x)
{
    size_t n;
    uint8_t *d = der_of(x, &n);
    char err[IKE_PKI_ERR_MAX];
    struct ike_pki_cert *c = ike_pki_cert_parse(d, n, err, sizeof err);
    OPENSSL_free(d);
    assert_non_null(c);
    return c;
}

static struct ike_pki_key *wrap_key(EVP_PKEY *k)
{
    char *pem = pem_of_key(k, NULL, false);
    char err[IKE_PKI_ERR_MAX];
    struct ike_pki_key *key = ike_pki_key_from_pem(pem, strlen(pem), NULL, err, sizeof err);
    free(pem);
    assert_non_null(key);
    return key;
}

static void write_file(const char *name, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_text(const char *name, const char *text)
{
    write_file(name, text, strlen(text));
}

static void remove_file(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    unlink(path);
}

static void prefix_path(char *buf, size_t cap, const char *prefix)
{
    snprintf(buf, cap, "%s/%s", tmpdir, prefix);
}

static int group_setup(void **state)
{
    (void)state;
    t_ca_from = utc(2020, 1, 1, 0, 0, 0);
    t_ca_to = utc(2040, 1, 1, 0, 0, 0);
    t_leaf_from = utc(2026, 11, 26, 10, 0, 0);
    t_leaf_to = utc(2027, 11, 26, 10, 0, 0);
    t_now = utc(2027, 1, 1, 0, 0, 0);

    k_rca = gen_rsa();
    k_gw = gen_rsa();
    /* OpenSSL 3.0's EVP_PKEY_Q_keygen knows only "RSA" among the RSA types. */
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    assert_non_null(pc);
    assert_int_equal(EVP_PKEY_keygen_init(pc), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(pc, 2048), 1);
    assert_int_equal(EVP_PKEY_keygen(pc, &k_pss), 1);
    EVP_PKEY_CTX_free(pc);
    k_eca = gen_ec("P-256");
    k_sub = gen_ec("P-256");
    k_client = gen_ec("P-256");
    k_p384 = gen_ec("P-384");
    k_p521 = gen_ec("P-521");
    k_rogue = gen_ec("P-256");

    c_rca = mkcert(k_rca, "O=lab/CN=rsa-root", NULL, NULL, 1, t_ca_from, t_ca_to, true, NULL);
    c_eca = mkcert(k_eca, "CN=ec-root", NULL, NULL, 1, t_ca_from, t_ca_to, true, NULL);
    c_sub = mkcert(k_sub, "O=lab/CN=sub-ca", c_rca, k_rca, 7, t_ca_from, t_ca_to, true, NULL);
    c_gw = mkcert(k_gw, "O=lab/OU=vpn/CN=gw1", c_rca, k_rca, 2, t_leaf_from, t_leaf_to, false,
                  "DNS:gw1.lab.example,email:admin@lab.example,IP:192.0.2.1,IP:2001:db8::1");
    c_client = mkcert(k_client, "O=lab/CN=client1", c_sub, k_sub, 0x1234, t_leaf_from, t_leaf_to,
                      false, "DNS:client1.lab.example");
    c_p384 = mkcert(k_p384, "CN=p384", c_eca, k_eca, 3, t_leaf_from, t_leaf_to, false, NULL);
    c_p521 = mkcert(k_p521, "CN=p521", c_eca, k_eca, 4, t_leaf_from, t_leaf_to, false, NULL);
    c_pss = mkcert(k_pss, "CN=pss", c_rca, k_rca, 5, t_leaf_from, t_leaf_to, false, NULL);
    c_rogue = mkcert(k_rogue, "O=lab/CN=rsa-root", NULL, NULL, 1, t_ca_from, t_ca_to, true, NULL);
    c_rogue_leaf =
        mkcert(k_client, "CN=mallory", c_rogue, k_rogue, 9, t_leaf_from, t_leaf_to, false, NULL);
    c_host = mkcert(k_client, "O=lab/unstructuredName=r1.lab/CN=r1", c_eca, k_eca, 0xab01,
                    t_leaf_from, t_leaf_to, false, NULL);

    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_ike_pki.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    static const char *const files[] = {"gw.ca",  "gw.prv",  "gw.crt",  "p8.ca",    "p8.prv",
                                        "p8.crt", "bad.ca",  "bad.prv", "bad.crt",  "onlyca.ca",
                                        "der.ca", "der.crt", "c.p12",   "junk.p12", "mm.prv",
                                        "mm.crt", "nopw.p12"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) remove_file(files[i]);
    rmdir(tmpdir);
    EVP_PKEY *keys[] = {k_rca, k_eca, k_sub, k_gw, k_client, k_p384, k_p521, k_pss, k_rogue};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) EVP_PKEY_free(keys[i]);
    X509 *certs[] = {c_rca,  c_eca, c_sub,   c_gw,         c_client, c_p384,
                     c_p521, c_pss, c_rogue, c_rogue_leaf, c_host};
    for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++) X509_free(certs[i]);
    return 0;
}

static bool same_der(const struct ike_pki_cert *c, X509 *x)
{
    size_t n;
    uint8_t *d = der_of(x, &n);
    const uint8_t *cd;
    size_t cn = ike_pki_cert_der(c, &cd);
    bool eq = cn == n && !memcmp(cd, d, n);
    OPENSSL_free(d);
    return eq;
}

/* A trustpoint holding the RSA root and EC root, gw1's certificate and key. */
static struct ike_pki_tp *tp_gw(void)
{
    X509 *cas[] = {c_rca, c_eca};
    char *ca = pem_of_certs(cas, 2), *crt = pem_of_certs(&c_gw, 1);
    char *key = pem_of_key(k_gw, NULL, false);
    struct ike_pki_tp *tp = ike_pki_tp_new("GW");
    char err[IKE_PKI_ERR_MAX];
    assert_int_equal(ike_pki_tp_import_pem(tp, ca, crt, key, NULL, err, sizeof err), IKE_PKI_OK);
    free(ca);
    free(crt);
    free(key);
    return tp;
}

/* ---- import ---- */

static void test_import_pem_files(void **state)
{
    (void)state;
    X509 *cas[] = {c_rca, c_eca};
    char *ca = pem_of_certs(cas, 2), *crt = pem_of_certs(&c_gw, 1);
    char *prv = pem_of_key(k_gw, "s3cret", true);
    assert_non_null(strstr(prv, "Proc-Type: 4,ENCRYPTED"));
    write_text("gw.ca", ca);
    write_text("gw.crt", crt);
    write_text("gw.prv", prv);
    char prefix[128], err[IKE_PKI_ERR_MAX];
    prefix_path(prefix, sizeof prefix, "gw");

    struct ike_pki_tp *tp = ike_pki_tp_new("GW");
    assert_non_null(tp);
    assert_string_equal(ike_pki_tp_name(tp), "GW");

    /* Wrong and missing passwords are named, and leave the trustpoint untouched. */
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, "wrong", err, sizeof err),
                     IKE_PKI_E_PASSWORD);
    assert_non_null(strstr(err, "gw.prv: wrong password"));
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, NULL, err, sizeof err),
                     IKE_PKI_E_PASSWORD);
    assert_non_null(strstr(err, "a password is needed"));
    assert_int_equal(ike_pki_tp_ca_count(tp), 0);
    assert_null(ike_pki_tp_cert(tp));
    assert_null(ike_pki_tp_key(tp));

    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, "s3cret", err, sizeof err),
                     IKE_PKI_OK);
    assert_int_equal(ike_pki_tp_ca_count(tp), 2);
    assert_true(same_der(ike_pki_tp_ca(tp, 0), c_rca));
    assert_true(same_der(ike_pki_tp_ca(tp, 1), c_eca));
    assert_null(ike_pki_tp_ca(tp, 2));
    assert_true(same_der(ike_pki_tp_cert(tp), c_gw));
    assert_int_equal(ike_pki_key_kind(ike_pki_tp_key(tp)), IKE_PKI_KEY_RSA);
    assert_int_equal(ike_pki_key_bits(ike_pki_tp_key(tp)), 2048);
    /* gw1 is issued by the root directly: nothing to send beyond it. */
    const struct ike_pki_cert *send[4];
    assert_int_equal(ike_pki_tp_send_chain(tp, send, 4), 1);
    assert_true(send[0] == ike_pki_tp_cert(tp));

    /* A key that is not the certificate's: refused, nothing changes. */
    char *other = pem_of_key(k_client, NULL, false);
    write_text("mm.prv", other);
    write_text("mm.crt", crt);
    prefix_path(prefix, sizeof prefix, "mm");
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, NULL, err, sizeof err),
                     IKE_PKI_E_KEY_MISMATCH);
    assert_non_null(strstr(err, "does not match"));
    assert_int_equal(ike_pki_key_kind(ike_pki_tp_key(tp)), IKE_PKI_KEY_RSA);
    /* A key alone that does not fit the certificate kept in the trustpoint: refused too. */
    assert_int_equal(ike_pki_tp_import_pem(tp, NULL, NULL, other, NULL, err, sizeof err),
                     IKE_PKI_E_KEY_MISMATCH);
    free(other);
    ike_pki_tp_free(tp);

    /* Only the .ca file: a CA-only trustpoint. DER .ca and .crt are accepted too. */
    write_text("onlyca.ca", ca);
    prefix_path(prefix, sizeof prefix, "onlyca");
    tp = ike_pki_tp_new("CA");
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, NULL, err, sizeof err), IKE_PKI_OK);
    assert_int_equal(ike_pki_tp_ca_count(tp), 2);
    assert_null(ike_pki_tp_cert(tp));
    assert_int_equal(ike_pki_tp_send_chain(tp, send, 4), 0);
    ike_pki_tp_free(tp);

    size_t dn;
    uint8_t *d = der_of(c_eca, &dn);
    write_file("der.ca", d, dn);
    OPENSSL_free(d);
    d = der_of(c_p384, &dn);
    write_file("der.crt", d, dn);
    OPENSSL_free(d);
    prefix_path(prefix, sizeof prefix, "der");
    tp = ike_pki_tp_new("DER");
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, NULL, err, sizeof err), IKE_PKI_OK);
    assert_true(same_der(ike_pki_tp_ca(tp, 0), c_eca));
    assert_true(same_der(ike_pki_tp_cert(tp), c_p384));
    ike_pki_tp_free(tp);

    /* Encrypted PKCS#8 key file. */
    char *p8 = pem_of_key(k_gw, "pw8", false);
    assert_non_null(strstr(p8, "BEGIN ENCRYPTED PRIVATE KEY"));
    write_text("p8.prv", p8);
    write_text("p8.crt", crt);
    prefix_path(prefix, sizeof prefix, "p8");
    tp = ike_pki_tp_new("P8");
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, "pw8", err, sizeof err), IKE_PKI_OK);
    assert_non_null(ike_pki_tp_key(tp));
    assert_int_equal(ike_pki_tp_ca_count(tp), 0);
    free(p8);

    /* None of the files, garbage files. */
    prefix_path(prefix, sizeof prefix, "nothing");
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, NULL, err, sizeof err), IKE_PKI_E_IO);
    assert_non_null(strstr(err, "none of"));
    write_text("bad.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    prefix_path(prefix, sizeof prefix, "bad");
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    assert_non_null(strstr(err, "bad.crt"));
    remove_file("bad.crt");
    write_text("bad.prv", "hello\n");
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    assert_non_null(strstr(err, "bad.prv: no PEM private key"));
    remove_file("bad.prv");
    write_text("bad.ca", "just text\n");
    assert_int_equal(ike_pki_tp_import_pem_files(tp, prefix, NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    assert_non_null(strstr(err, "bad.ca: no certificate found"));
    /* The failures changed nothing. */
    assert_true(same_der(ike_pki_tp_cert(tp), c_gw));
    assert_non_null(ike_pki_tp_key(tp));
    ike_pki_tp_free(tp);

    assert_null(ike_pki_tp_new(""));
    char longname[IKE_PKI_NAME_MAX + 1];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(ike_pki_tp_new(longname));
    free(ca);
    free(crt);
    free(prv);
}

static void write_p12(const char *name, const char *pass, EVP_PKEY *k, X509 *x, X509 *const *ca,
                      int nca)
{
    STACK_OF(X509) *st = sk_X509_new_null();
    for (int i = 0; i < nca; i++) sk_X509_push(st, ca[i]);
    PKCS12 *p12 = PKCS12_create(pass, "client", k, x, st, 0, 0, 0, 0, 0);
    assert_non_null(p12);
    sk_X509_free(st);
    unsigned char *d = NULL;
    int n = i2d_PKCS12(p12, &d);
    assert_true(n > 0);
    write_file(name, d, (size_t)n);
    OPENSSL_free(d);
    PKCS12_free(p12);
}

static void test_import_pkcs12(void **state)
{
    (void)state;
    X509 *chain[] = {c_sub, c_rca};
    write_p12("c.p12", "p12pass", k_client, c_client, chain, 2);
    char path[128], err[IKE_PKI_ERR_MAX];
    snprintf(path, sizeof path, "%s/c.p12", tmpdir);

    struct ike_pki_tp *tp = ike_pki_tp_new("CLIENT");
    assert_int_equal(ike_pki_tp_import_pkcs12(tp, path, "nope", err, sizeof err),
                     IKE_PKI_E_PASSWORD);
    assert_non_null(strstr(err, "wrong password"));
    assert_null(ike_pki_tp_cert(tp));

    assert_int_equal(ike_pki_tp_import_pkcs12(tp, path, "p12pass", err, sizeof err), IKE_PKI_OK);
    assert_true(same_der(ike_pki_tp_cert(tp), c_client));
    assert_int_equal(ike_pki_key_kind(ike_pki_tp_key(tp)), IKE_PKI_KEY_EC);
    assert_int_equal(ike_pki_key_ecdsa_method(ike_pki_tp_key(tp)), IKE_AUTH_ECDSA_256);
    assert_int_equal(ike_pki_tp_ca_count(tp), 2);
    /* Sent: client1 and sub-ca; the self-signed root stays home. */
    const struct ike_pki_cert *send[4];
    assert_int_equal(ike_pki_tp_send_chain(tp, send, 4), 2);
    assert_true(same_der(send[0], c_client));
    assert_true(same_der(send[1], c_sub));
    assert_int_equal(ike_pki_tp_send_chain(tp, send, 1), 1);
    ike_pki_tp_free(tp);

    /* No password at all. */
    write_p12("nopw.p12", NULL, k_client, c_client, NULL, 0);
    snprintf(path, sizeof path, "%s/nopw.p12", tmpdir);
    tp = ike_pki_tp_new("NOPW");
    assert_int_equal(ike_pki_tp_import_pkcs12(tp, path, NULL, err, sizeof err), IKE_PKI_OK);
    assert_non_null(ike_pki_tp_key(tp));
    assert_int_equal(ike_pki_tp_ca_count(tp), 0);

    write_text("junk.p12", "not a pkcs12");
    snprintf(path, sizeof path, "%s/junk.p12", tmpdir);
    assert_int_equal(ike_pki_tp_import_pkcs12(tp, path, "x", err, sizeof err), IKE_PKI_E_MALFORMED);
    assert_non_null(strstr(err, "not a PKCS#12"));
    snprintf(path, sizeof path, "%s/absent.p12", tmpdir);
    assert_int_equal(ike_pki_tp_import_pkcs12(tp, path, "x", err, sizeof err), IKE_PKI_E_IO);
    assert_non_null(strstr(err, "No such file"));
    ike_pki_tp_free(tp);
}

static void test_export_roundtrip(void **state)
{
    (void)state;
    /* A trustpoint with an intermediate in its certificate file. */
    X509 *crt[] = {c_client, c_sub};
    char *ca = pem_of_certs(&c_rca, 1), *cert = pem_of_certs(crt, 2);
    char *key = pem_of_key(k_client, NULL, false);
    struct ike_pki_tp *tp = ike_pki_tp_new("RT");
    char err[IKE_PKI_ERR_MAX];
    assert_int_equal(ike_pki_tp_import_pem(tp, ca, cert, key, NULL, err, sizeof err), IKE_PKI_OK);
    const struct ike_pki_cert *send[4];
    assert_int_equal(ike_pki_tp_send_chain(tp, send, 4), 2);
    assert_true(same_der(send[1], c_sub));

    char *eca = ike_pki_tp_export_pem(tp, IKE_PKI_PART_CA, NULL);
    char *ecert = ike_pki_tp_export_pem(tp, IKE_PKI_PART_CERT, NULL);
    char *ekey = ike_pki_tp_export_pem(tp, IKE_PKI_PART_KEY, "boot-pass");
    char *eclear = ike_pki_tp_export_pem(tp, IKE_PKI_PART_KEY, NULL);
    assert_non_null(eca);
    assert_non_null(ecert);
    assert_non_null(ekey);
    assert_non_null(eclear);
    assert_string_equal(eca, ca);
    assert_string_equal(ecert, cert);
    assert_non_null(strstr(ekey, "BEGIN ENCRYPTED PRIVATE KEY"));
    assert_non_null(strstr(eclear, "BEGIN PRIVATE KEY"));

    struct ike_pki_tp *tp2 = ike_pki_tp_new("RT");
    assert_int_equal(ike_pki_tp_import_pem(tp2, eca, ecert, ekey, "bad", err, sizeof err),
                     IKE_PKI_E_PASSWORD);
    assert_int_equal(ike_pki_tp_import_pem(tp2, eca, ecert, ekey, "boot-pass", err, sizeof err),
                     IKE_PKI_OK);
    assert_true(same_der(ike_pki_tp_cert(tp2), c_client));
    assert_true(same_der(ike_pki_tp_ca(tp2, 0), c_rca));
    assert_int_equal(ike_pki_tp_send_chain(tp2, send, 4), 2);
    /* The reloaded key signs what the certificate verifies. */
    const uint8_t msg[] = "signed octets";
    uint8_t auth[IKE_PKI_MAX_AUTH_DATA];
    size_t alen;
    struct ike_pki_sigalg alg = {IKE_AUTH_ECDSA_256, 0, false};
    assert_int_equal(ike_pki_sign(ike_pki_tp_key(tp2), &alg, msg, sizeof msg, auth, sizeof auth,
                                  &alen, err, sizeof err),
                     IKE_PKI_OK);
    assert_int_equal(ike_pki_verify(ike_pki_tp_cert(tp), IKE_AUTH_ECDSA_256, auth, alen, msg,
                                    sizeof msg, 0, NULL, err, sizeof err),
                     IKE_PKI_OK);

    /* An empty trustpoint has nothing to export; importing nothing is an error. */
    struct ike_pki_tp *empty = ike_pki_tp_new("E");
    assert_null(ike_pki_tp_export_pem(empty, IKE_PKI_PART_CA, NULL));
    assert_null(ike_pki_tp_export_pem(empty, IKE_PKI_PART_CERT, NULL));
    assert_null(ike_pki_tp_export_pem(empty, IKE_PKI_PART_KEY, NULL));
    assert_int_equal(ike_pki_tp_import_pem(empty, NULL, NULL, NULL, NULL, err, sizeof err),
                     IKE_PKI_E_MISSING);
    ike_pki_tp_free(empty);

    free(eca);
    free(ecert);
    free(ekey);
    free(eclear);
    free(ca);
    free(cert);
    free(key);
    ike_pki_tp_free(tp);
    ike_pki_tp_free(tp2);
}

static void test_key_from_pem(void **state)
{
    (void)state;
    char err[IKE_PKI_ERR_MAX];
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(ed);
    char *pem = pem_of_key(ed, NULL, false);
    assert_null(ike_pki_key_from_pem(pem, strlen(pem), NULL, err, sizeof err));
    assert_non_null(strstr(err, "unsupported key type"));
    free(pem);
    EVP_PKEY_free(ed);

    pem = pem_of_key(k_p384, "pw", true);
    assert_null(ike_pki_key_from_pem(pem, strlen(pem), "wrong", err, sizeof err));
    struct ike_pki_key *k = ike_pki_key_from_pem(pem, strlen(pem), "pw", err, sizeof err);
    assert_non_null(k);
    assert_int_equal(ike_pki_key_kind(k), IKE_PKI_KEY_EC);
    assert_int_equal(ike_pki_key_bits(k), 384);
    assert_int_equal(ike_pki_key_ecdsa_method(k), IKE_AUTH_ECDSA_384);
    ike_pki_key_free(k);
    free(pem);

    struct ike_pki_key *pk = wrap_key(k_pss);
    assert_int_equal(ike_pki_key_kind(pk), IKE_PKI_KEY_RSA_PSS);
    assert_int_equal(ike_pki_key_ecdsa_method(pk), 0);
    ike_pki_key_free(pk);
}

/* ---- show ---- */

static void test_cert_info(void **state)
{
    (void)state;
    struct ike_pki_cert *c = wrap(c_gw);
    struct ike_pki_cert_info in;
    assert_int_equal(ike_pki_cert_get_info(c, &in), IKE_PKI_OK);
    assert_string_equal(in.subject, "cn=gw1,ou=vpn,o=lab");
    assert_string_equal(in.issuer, "cn=rsa-root,o=lab");
    assert_string_equal(in.name, "gw1");
    assert_string_equal(in.serial, "02");
    assert_true(in.not_before == t_leaf_from);
    assert_true(in.not_after == t_leaf_to);
    assert_string_equal(in.key_alg, "RSA");
    assert_int_equal(in.key_bits, 2048);
    assert_string_equal(in.curve, "");
    assert_string_equal(in.usage, "General Purpose");
    assert_false(in.is_ca);
    assert_string_equal(in.sig_alg, "SHA256 with RSA Encryption");
    uint8_t md[20];
    unsigned int mdl = 0;
    assert_int_equal(X509_digest(c_gw, EVP_sha1(), md, &mdl), 1);
    assert_memory_equal(in.sha1, md, 20);
    char hex[48];
    snprintf(hex, sizeof hex, "%02X%02X%02X%02X %02X", md[0], md[1], md[2], md[3], md[4]);
    assert_memory_equal(in.sha1_text, hex, strlen(hex));
    assert_int_equal(strlen(in.sha1_text), 44);
    ike_pki_cert_free(c);

    c = wrap(c_sub);
    assert_int_equal(ike_pki_cert_get_info(c, &in), IKE_PKI_OK);
    assert_true(in.is_ca);
    assert_string_equal(in.usage, "Signature");
    assert_string_equal(in.key_alg, "EC");
    assert_string_equal(in.curve, "P-256");
    assert_string_equal(in.serial, "07");
    assert_string_equal(in.sig_alg, "SHA256 with RSA Encryption");
    ike_pki_cert_free(c);

    c = wrap(c_host);
    assert_int_equal(ike_pki_cert_get_info(c, &in), IKE_PKI_OK);
    assert_string_equal(in.name, "r1.lab"); /* unstructuredName first, as IOS "Name:" */
    assert_string_equal(in.subject, "cn=r1,hostname=r1.lab,o=lab");
    assert_string_equal(in.serial, "AB01");
    assert_string_equal(in.sig_alg, "SHA256 with ECDSA");
    ike_pki_cert_free(c);
}

static void test_show(void **state)
{
    (void)state;
    X509 *crt = mkcert(k_gw, "O=lab/CN=gw1", c_rca, k_rca, 2, t_leaf_from, t_leaf_to, false, NULL);
    char *ca = pem_of_certs(&c_rca, 1), *cert = pem_of_certs(&crt, 1);
    char *key = pem_of_key(k_gw, NULL, false);
    struct ike_pki_tp *tp = ike_pki_tp_new("TP1");
    char err[IKE_PKI_ERR_MAX];
    assert_int_equal(ike_pki_tp_import_pem(tp, ca, cert, key, NULL, err, sizeof err), IKE_PKI_OK);

    struct strbuf sb = STRBUF_INIT;
    ike_pki_tp_show_certificates(tp, false, &sb);
    assert_string_equal(sb_str(&sb), "Certificate\n"
                                     "  Status: Available\n"
                                     "  Certificate Serial Number (hex): 02\n"
                                     "  Certificate Usage: General Purpose\n"
                                     "  Issuer:\n"
                                     "    cn=rsa-root\n"
                                     "    o=lab\n"
                                     "  Subject:\n"
                                     "    Name: gw1\n"
                                     "    cn=gw1\n"
                                     "    o=lab\n"
                                     "  Validity Date:\n"
                                     "    start date: 10:00:00 UTC Nov 26 2026\n"
                                     "    end   date: 10:00:00 UTC Nov 26 2027\n"
                                     "  Associated Trustpoints: TP1\n"
                                     "\n"
                                     "CA Certificate\n"
                                     "  Status: Available\n"
                                     "  Certificate Serial Number (hex): 01\n"
                                     "  Certificate Usage: Signature\n"
                                     "  Issuer:\n"
                                     "    cn=rsa-root\n"
                                     "    o=lab\n"
                                     "  Subject:\n"
                                     "    cn=rsa-root\n"
                                     "    o=lab\n"
                                     "  Validity Date:\n"
                                     "    start date: 00:00:00 UTC Jan 1 2020\n"
                                     "    end   date: 00:00:00 UTC Jan 1 2040\n"
                                     "  Associated Trustpoints: TP1\n"
                                     "\n");
    sb_reset(&sb);
    ike_pki_tp_show_certificates(tp, true, &sb);
    uint8_t md[20];
    unsigned int mdl = 0;
    assert_int_equal(X509_digest(crt, EVP_sha1(), md, &mdl), 1);
    char fp[96];
    snprintf(fp, sizeof fp, "  Fingerprint SHA1: %02X%02X%02X%02X %02X%02X%02X%02X ", md[0], md[1],
             md[2], md[3], md[4], md[5], md[6], md[7]);
    assert_non_null(strstr(sb_str(&sb), fp));
    assert_non_null(strstr(sb_str(&sb), "    RSA Public Key: (2048 bit)\n"
                                        "  Signature Algorithm: SHA256 with RSA Encryption\n"));
    assert_non_null(strstr(sb_str(&sb), "  Version: 3\n"));
    sb_reset(&sb);
    assert_int_equal(ike_pki_tp_show_trustpoint(tp, &sb), 0);
    assert_string_equal(sb_str(&sb), "    Subject Name:\n"
                                     "    cn=rsa-root\n"
                                     "    o=lab\n"
                                     "          Serial Number (hex): 01\n"
                                     "    Certificate configured.\n");
    struct ike_pki_tp *empty = ike_pki_tp_new("NONE");
    sb_reset(&sb);
    assert_int_equal(ike_pki_tp_show_trustpoint(empty, &sb), -1);
    assert_string_equal(sb_str(&sb), "");
    sb_reset(&sb);
    ike_pki_tp_show_certificates(empty, false, &sb);
    assert_string_equal(sb_str(&sb), "");
    ike_pki_tp_free(empty);

    /* SANs show in the verbose form. */
    struct ike_pki_tp *gw = tp_gw();
    sb_reset(&sb);
    ike_pki_tp_show_certificates(gw, true, &sb);
    assert_non_null(strstr(sb_str(&sb), "    X509v3 Subject Alternative Name:\n"
                                        "        DNS: gw1.lab.example\n"
                                        "        email: admin@lab.example\n"
                                        "        IP Address: 192.0.2.1\n"
                                        "        IP Address: 2001:db8::1\n"));
    assert_non_null(strstr(sb_str(&sb), "    EC Public Key: (256 bit, P-256)\n"));
    ike_pki_tp_free(gw);
    sb_free(&sb);
    ike_pki_tp_free(tp);
    X509_free(crt);
    free(ca);
    free(cert);
    free(key);
}

/* ---- validation ---- */

static int validate(const struct ike_pki_tp *tp, X509 *ee, X509 *const *inter, int n, time_t now,
                    char *err, size_t errlen, struct ike_pki_cert **out)
{
    size_t el;
    uint8_t *ed = der_of(ee, &el);
    struct ike_pki_der d[4];
    uint8_t *bufs[4] = {0};
    for (int i = 0; i < n; i++) {
        bufs[i] = der_of(inter[i], &d[i].len);
        d[i].data = bufs[i];
    }
    int rc = ike_pki_tp_validate(tp, ed, el, d, n, now, out, err, errlen);
    OPENSSL_free(ed);
    for (int i = 0; i < n; i++) OPENSSL_free(bufs[i]);
    return rc;
}

static struct ike_pki_tp *tp_cas(X509 *const *cas, int n)
{
    char *pem = pem_of_certs(cas, n);
    struct ike_pki_tp *tp = ike_pki_tp_new("V");
    char err[IKE_PKI_ERR_MAX];
    assert_int_equal(ike_pki_tp_import_pem(tp, pem, NULL, NULL, NULL, err, sizeof err), IKE_PKI_OK);
    free(pem);
    return tp;
}

static void test_validate_ok(void **state)
{
    (void)state;
    struct ike_pki_tp *tp = tp_cas(&c_rca, 1);
    char err[IKE_PKI_ERR_MAX];
    struct ike_pki_cert *out = NULL;
    assert_int_equal(validate(tp, c_gw, NULL, 0, t_now, err, sizeof err, &out), IKE_PKI_OK);
    assert_non_null(out);
    assert_true(same_der(out, c_gw));
    ike_pki_cert_free(out);
    /* Through the intermediate the peer sent; with a useless extra certificate as well. */
    X509 *inter[] = {c_eca, c_sub};
    assert_int_equal(validate(tp, c_client, inter, 2, t_now, err, sizeof err, &out), IKE_PKI_OK);
    assert_true(same_der(out, c_client));
    ike_pki_cert_free(out);
    /* The peer's copy of our root changes nothing. */
    X509 *with_root[] = {c_sub, c_rca};
    assert_int_equal(validate(tp, c_client, with_root, 2, t_now, err, sizeof err, NULL),
                     IKE_PKI_OK);
    /* Validity edges: the first second, and the second before notAfter (OpenSSL counts
     * notAfter itself as expired). */
    assert_int_equal(validate(tp, c_gw, NULL, 0, t_leaf_from, err, sizeof err, NULL), IKE_PKI_OK);
    assert_int_equal(validate(tp, c_gw, NULL, 0, t_leaf_to - 1, err, sizeof err, NULL), IKE_PKI_OK);
    ike_pki_tp_free(tp);

    /* A trustpoint whose CA is the subordinate CA: it is an anchor by itself. */
    tp = tp_cas(&c_sub, 1);
    assert_int_equal(validate(tp, c_client, NULL, 0, t_now, err, sizeof err, NULL), IKE_PKI_OK);
    assert_int_equal(validate(tp, c_gw, NULL, 0, t_now, err, sizeof err, NULL), IKE_PKI_E_INVALID);
    ike_pki_tp_free(tp);
}

static void test_validate_fail(void **state)
{
    (void)state;
    char err[IKE_PKI_ERR_MAX];
    struct ike_pki_cert *out = (struct ike_pki_cert *)&err; /* must be reset to NULL */
    struct ike_pki_tp *tp = tp_cas(&c_rca, 1);

    /* Expired, not yet valid. */
    assert_int_equal(validate(tp, c_gw, NULL, 0, t_leaf_to + 1, err, sizeof err, &out),
                     IKE_PKI_E_INVALID);
    assert_null(out);
    assert_string_equal(err, "certificate has expired (depth 0: cn=gw1,ou=vpn,o=lab)");
    assert_int_equal(validate(tp, c_gw, NULL, 0, t_leaf_from - 1, err, sizeof err, NULL),
                     IKE_PKI_E_INVALID);
    assert_string_equal(err, "certificate is not yet valid (depth 0: cn=gw1,ou=vpn,o=lab)");
    /* The CA itself expired. */
    assert_int_equal(validate(tp, c_gw, NULL, 0, utc(2041, 1, 1, 0, 0, 0), err, sizeof err, NULL),
                     IKE_PKI_E_INVALID);
    assert_non_null(strstr(err, "expired"));

    /* Missing intermediate. */
    assert_int_equal(validate(tp, c_client, NULL, 0, t_now, err, sizeof err, NULL),
                     IKE_PKI_E_INVALID);
    assert_string_equal(err, "unable to get local issuer certificate (depth 0: cn=client1,o=lab)");

    /* A look-alike root (same DN, other key) sent by the peer is not ours. */
    assert_int_equal(validate(tp, c_rogue_leaf, &c_rogue, 1, t_now, err, sizeof err, NULL),
                     IKE_PKI_E_INVALID);
    assert_non_null(strstr(err, "self-signed certificate in certificate chain"));
    ike_pki_tp_free(tp);

    /* Wrong CA. */
    tp = tp_cas(&c_eca, 1);
    assert_int_equal(validate(tp, c_gw, NULL, 0, t_now, err, sizeof err, NULL), IKE_PKI_E_INVALID);
    assert_non_null(strstr(err, "unable to get local issuer certificate"));

    /* Bytes that are no certificate. */
    size_t n;
    uint8_t *d = der_of(c_p384, &n);
    assert_int_equal(validate(tp, c_p384, NULL, 0, t_now, err, sizeof err, NULL), IKE_PKI_OK);
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, d, n);
    longer[n] = 0;
    assert_int_equal(ike_pki_tp_validate(tp, longer, n + 1, NULL, 0, t_now, NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    assert_non_null(strstr(err, "1 bytes after the certificate"));
    assert_int_equal(ike_pki_tp_validate(tp, d, n - 1, NULL, 0, t_now, NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    struct ike_pki_der bad = {longer, n + 1};
    assert_int_equal(ike_pki_tp_validate(tp, d, n, &bad, 1, t_now, NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    assert_non_null(strstr(err, "intermediate certificate 1"));
    /* A modified signature. */
    memcpy(longer, d, n);
    longer[n - 1] ^= 1;
    assert_int_equal(ike_pki_tp_validate(tp, longer, n, NULL, 0, t_now, NULL, err, sizeof err),
                     IKE_PKI_E_INVALID);
    assert_non_null(strstr(err, "signature"));
    free(longer);
    OPENSSL_free(d);
    ike_pki_tp_free(tp);

    /* No CA in the trustpoint. */
    tp = ike_pki_tp_new("EMPTY");
    assert_int_equal(validate(tp, c_gw, NULL, 0, t_now, err, sizeof err, NULL), IKE_PKI_E_MISSING);
    ike_pki_tp_free(tp);
}

/* ---- CERTREQ ---- */

static void spki_sha1(X509 *x, uint8_t out[20])
{
    unsigned char *d = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &d);
    assert_true(n > 0);
    unsigned int l = 0;
    assert_int_equal(EVP_Digest(d, (size_t)n, out, &l, EVP_sha1(), NULL), 1);
    assert_int_equal(l, 20);
    OPENSSL_free(d);
}

static void test_certreq(void **state)
{
    (void)state;
    X509 *cas[] = {c_rca, c_eca};
    struct ike_pki_tp *tp = tp_cas(cas, 2);
    uint8_t h1[20], h2[20], hs[20], buf[64];
    spki_sha1(c_rca, h1);
    spki_sha1(c_eca, h2);
    spki_sha1(c_sub, hs);
    assert_int_equal(ike_pki_tp_certreq(tp, NULL, 0), 40);
    memset(buf, 0xee, sizeof buf);
    assert_int_equal(ike_pki_tp_certreq(tp, buf, 39), 40);
    assert_int_equal(buf[0], 0xee); /* too small: untouched */
    assert_int_equal(ike_pki_tp_certreq(tp, buf, sizeof buf), 40);
    assert_memory_equal(buf, h1, 20);
    assert_memory_equal(buf + 20, h2, 20);
    /* Not the hash of the bare key bits. */
    uint8_t kd[20];
    unsigned int kl = 0;
    assert_int_equal(X509_pubkey_digest(c_rca, EVP_sha1(), kd, &kl), 1);
    assert_memory_not_equal(kd, h1, 20);

    assert_true(ike_pki_tp_certreq_match(tp, h2, 20));
    uint8_t two[40];
    memset(two, 0x5a, 20);
    memcpy(two + 20, h1, 20);
    assert_true(ike_pki_tp_certreq_match(tp, two, 40));
    assert_false(ike_pki_tp_certreq_match(tp, two, 39)); /* the partial second entry */
    assert_false(ike_pki_tp_certreq_match(tp, two, 20));
    assert_false(ike_pki_tp_certreq_match(tp, h1, 19));
    assert_false(ike_pki_tp_certreq_match(tp, hs, 20));
    assert_false(ike_pki_tp_certreq_match(tp, NULL, 0));
    /* Off by one byte: no match. */
    memcpy(two, h1 + 1, 19);
    two[19] = 0;
    assert_false(ike_pki_tp_certreq_match(tp, two, 20));
    ike_pki_tp_free(tp);

    /* Our intermediate counts: a peer asking for sub-ca gets client1's certificate. */
    X509 *crt[] = {c_client, c_sub};
    char *cert = pem_of_certs(crt, 2), *key = pem_of_key(k_client, NULL, false);
    tp = ike_pki_tp_new("C");
    char err[IKE_PKI_ERR_MAX];
    assert_int_equal(ike_pki_tp_import_pem(tp, NULL, cert, key, NULL, err, sizeof err), IKE_PKI_OK);
    assert_int_equal(ike_pki_tp_certreq(tp, buf, sizeof buf), 0);
    assert_true(ike_pki_tp_certreq_match(tp, hs, 20));
    assert_false(ike_pki_tp_certreq_match(tp, h1, 20));
    ike_pki_tp_free(tp);
    free(cert);
    free(key);
}

/* ---- AUTH signatures ---- */

/* RFC 7427 Appendix A, copied from the RFC text. */
static const uint8_t A11[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                              0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00};
static const uint8_t A12[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                              0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const uint8_t A13[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                              0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
static const uint8_t A14[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                              0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
static const uint8_t A22[] = {0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
                              0x01, 0x65, 0x03, 0x04, 0x03, 0x02};
static const uint8_t A32[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                              0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t A33[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                              0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t A34[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                              0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
static const uint8_t A41[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                              0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x00};
static const uint8_t A42[] = {
    0x30, 0x3e, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x31, 0xa0,
    0x0b, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0xa1, 0x18, 0x30, 0x16,
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x09, 0x06, 0x05, 0x2b,
    0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x14, 0xa3, 0x03, 0x02, 0x01, 0x01};
static const uint8_t A43[] = {
    0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39,
    0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20, 0xa3, 0x03, 0x02, 0x01, 0x01};

static const uint8_t octets[] = "RealMessage1 | Nr | prf(SK_pi, IDi')";

/* An independent signature made here with EVP. pss_salt < 0: no PSS. */
static uint8_t *evp_sign(EVP_PKEY *k, const EVP_MD *md, int pss_salt, size_t *len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, k), 1);
    if (pss_salt >= 0) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt), 1);
    }
    assert_int_equal(EVP_DigestSign(ctx, NULL, len, octets, sizeof octets), 1);
    uint8_t *s = malloc(*len);
    assert_int_equal(EVP_DigestSign(ctx, s, len, octets, sizeof octets), 1);
    EVP_MD_CTX_free(ctx);
    return s;
}

static bool evp_verify(EVP_PKEY *k, const EVP_MD *md, int pss_salt, const uint8_t *sig, size_t n)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    assert_int_equal(EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k), 1);
    if (pss_salt >= 0) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt), 1);
    }
    bool ok = EVP_DigestVerify(ctx, sig, n, octets, sizeof octets) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

static size_t sign_ok(const struct ike_pki_key *k, uint8_t method, uint16_t hash, bool pss,
                      uint8_t *out)
{
    struct ike_pki_sigalg alg = {method, hash, pss};
    size_t n = 0;
    char err[IKE_PKI_ERR_MAX] = "";
    int rc = ike_pki_sign(k, &alg, octets, sizeof octets, out, IKE_PKI_MAX_AUTH_DATA, &n, err,
                          sizeof err);
    if (rc != IKE_PKI_OK) fail_msg("sign method %u hash %u: %s", method, hash, err);
    return n;
}

/* The signature verifies, and any change to the octets or to the signature breaks it. */
static void verify_round(const struct ike_pki_cert *c, uint8_t method, uint8_t *auth, size_t n,
                         unsigned flags, uint16_t want_hash, bool want_pss)
{
    char err[IKE_PKI_ERR_MAX] = "";
    struct ike_pki_sigalg used;
    int rc =
        ike_pki_verify(c, method, auth, n, octets, sizeof octets, flags, &used, err, sizeof err);
    if (rc != IKE_PKI_OK) fail_msg("verify method %u: %s", method, err);
    assert_int_equal(used.method, method);
    assert_int_equal(used.hash, want_hash);
    assert_int_equal(used.pss, want_pss);
    uint8_t tampered[sizeof octets];
    memcpy(tampered, octets, sizeof octets);
    tampered[3] ^= 0x40;
    assert_int_equal(
        ike_pki_verify(c, method, auth, n, tampered, sizeof tampered, flags, NULL, err, sizeof err),
        IKE_PKI_E_BAD_SIGNATURE);
    assert_non_null(strstr(err, "does not verify"));
    auth[n - 5] ^= 0x01;
    assert_int_equal(
        ike_pki_verify(c, method, auth, n, octets, sizeof octets, flags, NULL, err, sizeof err),
        IKE_PKI_E_BAD_SIGNATURE);
    auth[n - 5] ^= 0x01;
    assert_int_equal(
        ike_pki_verify(c, method, auth, n - 1, octets, sizeof octets, flags, NULL, err, sizeof err),
        method >= IKE_AUTH_ECDSA_256 && method <= IKE_AUTH_ECDSA_521 ? IKE_PKI_E_MALFORMED
                                                                     : IKE_PKI_E_BAD_SIGNATURE);
}

static void test_sign_method1(void **state)
{
    (void)state;
    struct ike_pki_key *k = wrap_key(k_gw);
    struct ike_pki_cert *c = wrap(c_gw);
    uint8_t auth[IKE_PKI_MAX_AUTH_DATA];
    size_t n = sign_ok(k, IKE_AUTH_RSA_SIG, 0, false, auth);
    assert_int_equal(n, 256);
    /* PKCS#1 v1.5 is deterministic: the same bytes as EVP with SHA-1 here. */
    size_t en;
    uint8_t *ref = evp_sign(k_gw, EVP_sha1(), -1, &en);
    assert_int_equal(en, n);
    assert_memory_equal(ref, auth, n);
    free(ref);
    verify_round(c, IKE_AUTH_RSA_SIG, auth, n, 0, IKE_HASH_SHA1, false);
    /* RFC 7296 §3.8 lets the hash vary: a SHA-256 one verifies too. */
    n = sign_ok(k, IKE_AUTH_RSA_SIG, IKE_HASH_SHA2_256, false, auth);
    verify_round(c, IKE_AUTH_RSA_SIG, auth, n, 0, IKE_HASH_SHA2_256, false);
    ike_pki_key_free(k);
    ike_pki_cert_free(c);
}

static void test_sign_ecdsa_legacy(void **state)
{
    (void)state;
    struct {
        EVP_PKEY *k;
        X509 *x;
        uint8_t method;
        size_t len;
        const EVP_MD *(*md)(void);
        uint16_t hash;
    } v[] = {
        {k_client, c_client, IKE_AUTH_ECDSA_256, 64, EVP_sha256, IKE_HASH_SHA2_256},
        {k_p384, c_p384, IKE_AUTH_ECDSA_384, 96, EVP_sha384, IKE_HASH_SHA2_384},
        {k_p521, c_p521, IKE_AUTH_ECDSA_521, 132, EVP_sha512, IKE_HASH_SHA2_512},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct ike_pki_key *k = wrap_key(v[i].k);
        struct ike_pki_cert *c = wrap(v[i].x);
        uint8_t auth[IKE_PKI_MAX_AUTH_DATA];
        size_t n = sign_ok(k, v[i].method, 0, false, auth);
        assert_int_equal(n, v[i].len);
        /* RFC 4754 §7: r || s; re-encoded as DER here it verifies with plain EVP. */
        size_t f = n / 2;
        ECDSA_SIG *es = ECDSA_SIG_new();
        assert_int_equal(
            ECDSA_SIG_set0(es, BN_bin2bn(auth, (int)f, NULL), BN_bin2bn(auth + f, (int)f, NULL)),
            1);
        unsigned char *der = NULL;
        int dl = i2d_ECDSA_SIG(es, &der);
        assert_true(dl > 0);
        assert_true(evp_verify(v[i].k, v[i].md(), -1, der, (size_t)dl));
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
        verify_round(c, v[i].method, auth, n, 0, v[i].hash, false);
        /* A signature made by EVP here (DER -> r||s) verifies with ours. */
        size_t en;
        uint8_t *ref = evp_sign(v[i].k, v[i].md(), -1, &en);
        const unsigned char *p = ref;
        es = d2i_ECDSA_SIG(NULL, &p, (long)en);
        const BIGNUM *r, *s;
        ECDSA_SIG_get0(es, &r, &s);
        uint8_t raw[132];
        assert_int_equal(BN_bn2binpad(r, raw, (int)f), (int)f);
        assert_int_equal(BN_bn2binpad(s, raw + f, (int)f), (int)f);
        char err[IKE_PKI_ERR_MAX];
        assert_int_equal(
            ike_pki_verify(c, v[i].method, raw, n, octets, sizeof octets, 0, NULL, err, sizeof err),
            IKE_PKI_OK);
        ECDSA_SIG_free(es);
        free(ref);
        ike_pki_key_free(k);
        ike_pki_cert_free(c);
    }
}

static void test_sign_method14(void **state)
{
    (void)state;
    struct ike_pki_key *rsa = wrap_key(k_gw), *ec = wrap_key(k_client), *pss = wrap_key(k_pss);
    struct ike_pki_cert *crsa = wrap(c_gw), *cec = wrap(c_client), *cpss = wrap(c_pss);
    uint8_t auth[IKE_PKI_MAX_AUTH_DATA];
    struct {
        const uint8_t *ai;
        size_t ailen;
        uint16_t hash;
        const EVP_MD *(*md)(void);
    } rsav[] = {{A12, sizeof A12, IKE_HASH_SHA2_256, EVP_sha256},
                {A13, sizeof A13, IKE_HASH_SHA2_384, EVP_sha384},
                {A14, sizeof A14, IKE_HASH_SHA2_512, EVP_sha512}},
      ecv[] = {{A32, sizeof A32, IKE_HASH_SHA2_256, EVP_sha256},
               {A33, sizeof A33, IKE_HASH_SHA2_384, EVP_sha384},
               {A34, sizeof A34, IKE_HASH_SHA2_512, EVP_sha512}};
    for (size_t i = 0; i < 3; i++) {
        /* RSA PKCS#1 v1.5: the RFC's AlgorithmIdentifier, then EVP's deterministic signature. */
        size_t n = sign_ok(rsa, IKE_AUTH_DIGITAL_SIG, rsav[i].hash, false, auth);
        assert_int_equal(auth[0], rsav[i].ailen);
        assert_memory_equal(auth + 1, rsav[i].ai, rsav[i].ailen);
        size_t en;
        uint8_t *ref = evp_sign(k_gw, rsav[i].md(), -1, &en);
        assert_int_equal(n, 1 + rsav[i].ailen + en);
        assert_memory_equal(auth + 1 + rsav[i].ailen, ref, en);
        free(ref);
        verify_round(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, 0, rsav[i].hash, false);

        /* ECDSA: the RFC's AlgorithmIdentifier, then a DER ECDSA-Sig-Value. */
        n = sign_ok(ec, IKE_AUTH_DIGITAL_SIG, ecv[i].hash, false, auth);
        assert_int_equal(auth[0], ecv[i].ailen);
        assert_memory_equal(auth + 1, ecv[i].ai, ecv[i].ailen);
        const unsigned char *p = auth + 1 + ecv[i].ailen;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)(n - 1 - ecv[i].ailen));
        assert_non_null(es);
        assert_ptr_equal(p, auth + n);
        ECDSA_SIG_free(es);
        assert_true(
            evp_verify(k_client, ecv[i].md(), -1, auth + 1 + ecv[i].ailen, n - 1 - ecv[i].ailen));
        verify_round(cec, IKE_AUTH_DIGITAL_SIG, auth, n, 0, ecv[i].hash, false);
    }

    /* RSASSA-PSS with SHA-256: A.4.3 exactly; salt 32 checked by plain EVP. */
    size_t n = sign_ok(rsa, IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, true, auth);
    assert_int_equal(auth[0], sizeof A43);
    assert_memory_equal(auth + 1, A43, sizeof A43);
    assert_true(evp_verify(k_gw, EVP_sha256(), 32, auth + 1 + sizeof A43, n - 1 - sizeof A43));
    verify_round(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, 0, IKE_HASH_SHA2_256, true);
    for (uint16_t h = IKE_HASH_SHA2_384; h <= IKE_HASH_SHA2_512; h++) {
        n = sign_ok(rsa, IKE_AUTH_DIGITAL_SIG, h, true, auth);
        assert_int_equal(auth[0], 72);
        assert_int_equal(auth[1 + 0x42], h == IKE_HASH_SHA2_384 ? 48 : 64); /* saltLength */
        verify_round(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, 0, h, true);
    }
    /* An RSA-PSS-only key refuses PKCS#1 v1.5 ... */
    struct ike_pki_sigalg alg = {IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false};
    char err[IKE_PKI_ERR_MAX];
    size_t m;
    assert_int_equal(
        ike_pki_sign(pss, &alg, octets, sizeof octets, auth, sizeof auth, &m, err, sizeof err),
        IKE_PKI_E_KEY_MISMATCH);
    /* ... and PSS when asked; its certificate verifies it. */
    n = sign_ok(pss, IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, true, auth);
    verify_round(cpss, IKE_AUTH_DIGITAL_SIG, auth, n, 0, IKE_HASH_SHA2_256, true);
    /* PKCS#1 made for the RSA-PSS certificate's key type does not fit it. */
    n = sign_ok(rsa, IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false, auth);
    assert_int_equal(ike_pki_verify(cpss, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_KEY_MISMATCH);

    /* Too small a buffer. */
    assert_int_equal(ike_pki_sign(rsa, &alg, octets, sizeof octets, auth, 100, &m, err, sizeof err),
                     IKE_PKI_E_NOSPACE);
    ike_pki_key_free(rsa);
    ike_pki_key_free(ec);
    ike_pki_key_free(pss);
    ike_pki_cert_free(crsa);
    ike_pki_cert_free(cec);
    ike_pki_cert_free(cpss);
}

/* AUTH data = length, AlgorithmIdentifier, signature. */
static size_t build14(uint8_t *out, const uint8_t *ai, size_t ailen, const uint8_t *sig, size_t n)
{
    out[0] = (uint8_t)ailen;
    memcpy(out + 1, ai, ailen);
    memcpy(out + 1 + ailen, sig, n);
    return 1 + ailen + n;
}

static void test_sha1_and_variants(void **state)
{
    (void)state;
    struct ike_pki_cert *crsa = wrap(c_gw), *cec = wrap(c_client);
    uint8_t auth[IKE_PKI_MAX_AUTH_DATA];
    char err[IKE_PKI_ERR_MAX];
    struct ike_pki_sigalg used;

    /* sha1WithRSAEncryption (A.1.1): refused by default, accepted with the flag. */
    size_t sn;
    uint8_t *sig = evp_sign(k_gw, EVP_sha1(), -1, &sn);
    size_t n = build14(auth, A11, sizeof A11, sig, sn);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_POLICY);
    assert_non_null(strstr(err, "SHA-1"));
    verify_round(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, IKE_PKI_VERIFY_ALLOW_SHA1, IKE_HASH_SHA1,
                 false);
    free(sig);

    /* RSASSA-PSS with empty parameters (A.4.1) and written-out defaults (A.4.2): SHA-1, MGF1
     * SHA-1, salt 20. */
    sig = evp_sign(k_gw, EVP_sha1(), 20, &sn);
    n = build14(auth, A41, sizeof A41, sig, sn);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_POLICY);
    verify_round(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, IKE_PKI_VERIFY_ALLOW_SHA1, IKE_HASH_SHA1,
                 true);
    n = build14(auth, A42, sizeof A42, sig, sn);
    verify_round(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, IKE_PKI_VERIFY_ALLOW_SHA1, IKE_HASH_SHA1,
                 true);
    free(sig);

    /* RSASSA-PSS with SHA-256 but a salt other than ours (A.4.3's form, salt 20 in the
     * parameters): the salt named in the parameters is the one checked. */
    sig = evp_sign(k_gw, EVP_sha256(), 20, &sn);
    uint8_t ai[sizeof A43];
    memcpy(ai, A43, sizeof ai);
    ai[0x42] = 20;
    n = build14(auth, ai, sizeof ai, sig, sn);
    verify_round(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, 0, IKE_HASH_SHA2_256, true);
    ai[0x42] = 32; /* claims 32: the signature does not fit */
    n = build14(auth, ai, sizeof ai, sig, sn);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_BAD_SIGNATURE);
    /* trailerField other than 1. */
    memcpy(ai, A43, sizeof ai);
    ai[sizeof ai - 1] = 2;
    n = build14(auth, ai, sizeof ai, sig, sn);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_UNSUPPORTED);
    free(sig);

    /* The other encodings of the same identifiers: RSA without the NULL, ECDSA with one. */
    static const uint8_t rsa_nonull[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                         0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
    static const uint8_t ec_null[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                      0xce, 0x3d, 0x04, 0x03, 0x02, 0x05, 0x00};
    sig = evp_sign(k_gw, EVP_sha256(), -1, &sn);
    n = build14(auth, rsa_nonull, sizeof rsa_nonull, sig, sn);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    &used, err, sizeof err),
                     IKE_PKI_OK);
    free(sig);
    sig = evp_sign(k_client, EVP_sha256(), -1, &sn);
    n = build14(auth, ec_null, sizeof ec_null, sig, sn);
    assert_int_equal(ike_pki_verify(cec, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    &used, err, sizeof err),
                     IKE_PKI_OK);
    assert_int_equal(used.hash, IKE_HASH_SHA2_256);
    /* ... but not other parameters (an INTEGER). */
    static const uint8_t ec_int[] = {0x30, 0x0d, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
                                     0x3d, 0x04, 0x03, 0x02, 0x02, 0x01, 0x00};
    n = build14(auth, ec_int, sizeof ec_int, sig, sn);
    assert_int_equal(ike_pki_verify(cec, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    free(sig);
    ike_pki_cert_free(crsa);
    ike_pki_cert_free(cec);
}

static void test_verify_rejects(void **state)
{
    (void)state;
    struct ike_pki_key *rsa = wrap_key(k_gw), *ec = wrap_key(k_client);
    struct ike_pki_cert *crsa = wrap(c_gw), *cec = wrap(c_client), *c384 = wrap(c_p384);
    uint8_t auth[IKE_PKI_MAX_AUTH_DATA], buf[IKE_PKI_MAX_AUTH_DATA];
    char err[IKE_PKI_ERR_MAX];
    size_t m;

    /* Method and key do not fit, signing and verifying. */
    struct ike_pki_sigalg alg = {IKE_AUTH_ECDSA_256, 0, false};
    assert_int_equal(
        ike_pki_sign(rsa, &alg, octets, sizeof octets, auth, sizeof auth, &m, err, sizeof err),
        IKE_PKI_E_KEY_MISMATCH);
    alg.method = IKE_AUTH_ECDSA_384;
    assert_int_equal(
        ike_pki_sign(ec, &alg, octets, sizeof octets, auth, sizeof auth, &m, err, sizeof err),
        IKE_PKI_E_KEY_MISMATCH);
    assert_non_null(strstr(err, "P-384"));
    alg.method = IKE_AUTH_RSA_SIG;
    assert_int_equal(
        ike_pki_sign(ec, &alg, octets, sizeof octets, auth, sizeof auth, &m, err, sizeof err),
        IKE_PKI_E_KEY_MISMATCH);
    alg = (struct ike_pki_sigalg){IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, true};
    assert_int_equal(
        ike_pki_sign(ec, &alg, octets, sizeof octets, auth, sizeof auth, &m, err, sizeof err),
        IKE_PKI_E_KEY_MISMATCH);
    alg = (struct ike_pki_sigalg){IKE_AUTH_PSK, 0, false};
    assert_int_equal(
        ike_pki_sign(ec, &alg, octets, sizeof octets, auth, sizeof auth, &m, err, sizeof err),
        IKE_PKI_E_UNSUPPORTED);
    alg = (struct ike_pki_sigalg){IKE_AUTH_DIGITAL_SIG, IKE_HASH_IDENTITY, false};
    assert_int_equal(
        ike_pki_sign(ec, &alg, octets, sizeof octets, auth, sizeof auth, &m, err, sizeof err),
        IKE_PKI_E_UNSUPPORTED);

    size_t n = sign_ok(ec, IKE_AUTH_ECDSA_256, 0, false, auth);
    assert_int_equal(ike_pki_verify(c384, IKE_AUTH_ECDSA_256, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_KEY_MISMATCH);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_ECDSA_256, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_KEY_MISMATCH);
    assert_int_equal(ike_pki_verify(cec, IKE_AUTH_RSA_SIG, auth, n, octets, sizeof octets, 0, NULL,
                                    err, sizeof err),
                     IKE_PKI_E_KEY_MISMATCH);
    assert_int_equal(
        ike_pki_verify(cec, IKE_AUTH_PSK, auth, n, octets, sizeof octets, 0, NULL, err, sizeof err),
        IKE_PKI_E_UNSUPPORTED);
    assert_int_equal(ike_pki_verify(cec, IKE_AUTH_ECDSA_256, auth, 0, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    /* r or s zero / all ones: not a signature. */
    memset(buf, 0, 64);
    assert_int_equal(ike_pki_verify(cec, IKE_AUTH_ECDSA_256, buf, 64, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_BAD_SIGNATURE);
    memset(buf, 0xff, 64);
    assert_int_equal(ike_pki_verify(cec, IKE_AUTH_ECDSA_256, buf, 64, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_BAD_SIGNATURE);

    /* Method 14: ECDSA identifier, RSA certificate; PKCS#1 identifier, EC certificate. */
    n = sign_ok(ec, IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false, auth);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_KEY_MISMATCH);
    n = sign_ok(rsa, IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false, auth);
    assert_int_equal(ike_pki_verify(cec, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_KEY_MISMATCH);
    n = sign_ok(rsa, IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, true, auth);
    assert_int_equal(ike_pki_verify(cec, IKE_AUTH_DIGITAL_SIG, auth, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_KEY_MISMATCH);

    /* Unknown AlgorithmIdentifiers: dsa-with-sha256 (A.2.2), and an invented OID. */
    uint8_t sig[64];
    memset(sig, 0x42, sizeof sig);
    n = build14(buf, A22, sizeof A22, sig, sizeof sig);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, buf, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_UNSUPPORTED);
    assert_string_equal(err, "unknown AlgorithmIdentifier 2.16.840.1.101.3.4.3.2");
    static const uint8_t odd[] = {0x30, 0x06, 0x06, 0x04, 0x2b, 0x06, 0x01, 0x04};
    n = build14(buf, odd, sizeof odd, sig, sizeof sig);
    assert_int_equal(ike_pki_verify(cec, IKE_AUTH_DIGITAL_SIG, buf, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_UNSUPPORTED);
    assert_string_equal(err, "unknown AlgorithmIdentifier 1.3.6.1.4");
    /* RSASSA-PSS whose hashAlgorithm is MD5: a hash we do not take. */
    static const uint8_t pss_md5[] = {0x30, 0x1d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x10, 0xa0,
                                      0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                      0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00};
    n = build14(buf, pss_md5, sizeof pss_md5, sig, sizeof sig);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, buf, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_UNSUPPORTED);
    assert_string_equal(err, "RSASSA-PSS with an unknown hash");
    /* RSASSA-PSS without parameters at all. */
    static const uint8_t pss_bare[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                       0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
    n = build14(buf, pss_bare, sizeof pss_bare, sig, sizeof sig);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, buf, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);

    /* Lengths: zero, too long for the data, the whole data (no signature), garbage, trailing
     * bytes inside the stated length. */
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, buf, 0, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    buf[0] = 0;
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, buf, 10, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    n = build14(buf, A12, sizeof A12, sig, 0);
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, buf, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    buf[0] = 200;
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, buf, 50, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    memset(buf, 0x30, 40);
    buf[0] = 10;
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, buf, 40, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    assert_string_equal(err, "AlgorithmIdentifier does not parse");
    n = build14(buf, A12, sizeof A12, sig, sizeof sig);
    buf[0] = sizeof A12 + 1; /* the first signature byte inside the identifier */
    assert_int_equal(ike_pki_verify(crsa, IKE_AUTH_DIGITAL_SIG, buf, n, octets, sizeof octets, 0,
                                    NULL, err, sizeof err),
                     IKE_PKI_E_MALFORMED);
    ike_pki_key_free(rsa);
    ike_pki_key_free(ec);
    ike_pki_cert_free(crsa);
    ike_pki_cert_free(cec);
    ike_pki_cert_free(c384);
}

static void test_choose(void **state)
{
    (void)state;
    struct ike_pki_key *rsa = wrap_key(k_gw), *p256 = wrap_key(k_client), *p384 = wrap_key(k_p384),
                       *p521 = wrap_key(k_p521), *pss = wrap_key(k_pss);
    static const uint8_t all[] = {0, 1, 0, 2, 0, 3, 0, 4, 0, 5};
    static const uint8_t sha1[] = {0, 1};
    static const uint8_t s512[] = {0, 4};
    static const uint8_t s256_odd[] = {0, 2, 0};
    static const uint8_t unknown[] = {0x04, 0x00, 0, 5};
    struct ike_pki_sigalg a;

    assert_int_equal(ike_pki_choose_sigalg(rsa, all, sizeof all, false, &a), IKE_PKI_OK);
    assert_int_equal(a.method, IKE_AUTH_DIGITAL_SIG);
    assert_int_equal(a.hash, IKE_HASH_SHA2_256);
    assert_false(a.pss);
    assert_int_equal(ike_pki_choose_sigalg(rsa, all, sizeof all, true, &a), IKE_PKI_OK);
    assert_true(a.pss);
    assert_int_equal(ike_pki_choose_sigalg(rsa, s512, sizeof s512, false, &a), IKE_PKI_OK);
    assert_int_equal(a.hash, IKE_HASH_SHA2_512);
    assert_int_equal(ike_pki_choose_sigalg(rsa, s256_odd, sizeof s256_odd, false, &a), IKE_PKI_OK);
    assert_int_equal(a.hash, IKE_HASH_SHA2_256);
    /* Only SHA-1 or unknown hashes in common, or no notify: the legacy method. */
    assert_int_equal(ike_pki_choose_sigalg(rsa, sha1, sizeof sha1, false, &a), IKE_PKI_OK);
    assert_int_equal(a.method, IKE_AUTH_RSA_SIG);
    assert_int_equal(ike_pki_choose_sigalg(rsa, unknown, sizeof unknown, false, &a), IKE_PKI_OK);
    assert_int_equal(a.method, IKE_AUTH_RSA_SIG);
    assert_int_equal(ike_pki_choose_sigalg(rsa, NULL, 0, true, &a), IKE_PKI_OK);
    assert_int_equal(a.method, IKE_AUTH_RSA_SIG);
    assert_int_equal(a.hash, IKE_HASH_SHA1);

    /* ECDSA: the curve's hash first. */
    assert_int_equal(ike_pki_choose_sigalg(p256, all, sizeof all, false, &a), IKE_PKI_OK);
    assert_int_equal(a.method, IKE_AUTH_DIGITAL_SIG);
    assert_int_equal(a.hash, IKE_HASH_SHA2_256);
    assert_false(a.pss);
    assert_int_equal(ike_pki_choose_sigalg(p384, all, sizeof all, true, &a), IKE_PKI_OK);
    assert_int_equal(a.hash, IKE_HASH_SHA2_384);
    assert_false(a.pss);
    assert_int_equal(ike_pki_choose_sigalg(p521, all, sizeof all, false, &a), IKE_PKI_OK);
    assert_int_equal(a.hash, IKE_HASH_SHA2_512);
    assert_int_equal(ike_pki_choose_sigalg(p384, s256_odd, sizeof s256_odd, false, &a), IKE_PKI_OK);
    assert_int_equal(a.hash, IKE_HASH_SHA2_256);
    assert_int_equal(ike_pki_choose_sigalg(p256, NULL, 0, false, &a), IKE_PKI_OK);
    assert_int_equal(a.method, IKE_AUTH_ECDSA_256);
    assert_int_equal(ike_pki_choose_sigalg(p384, sha1, sizeof sha1, false, &a), IKE_PKI_OK);
    assert_int_equal(a.method, IKE_AUTH_ECDSA_384);
    assert_int_equal(ike_pki_choose_sigalg(p521, NULL, 0, false, &a), IKE_PKI_OK);
    assert_int_equal(a.method, IKE_AUTH_ECDSA_521);

    /* RSA-PSS-only key: PSS or nothing. */
    assert_int_equal(ike_pki_choose_sigalg(pss, all, sizeof all, false, &a), IKE_PKI_OK);
    assert_true(a.pss);
    assert_int_equal(a.method, IKE_AUTH_DIGITAL_SIG);
    assert_int_equal(ike_pki_choose_sigalg(pss, NULL, 0, false, &a), IKE_PKI_E_UNSUPPORTED);

    /* Every choice signs and verifies. */
    uint8_t ours[8];
    assert_int_equal(ike_pki_hash_algorithms(ours, sizeof ours), 6);
    static const uint8_t want[] = {0, 2, 0, 3, 0, 4};
    assert_memory_equal(ours, want, 6);
    assert_int_equal(ike_pki_hash_algorithms(NULL, 0), 6);

    ike_pki_key_free(rsa);
    ike_pki_key_free(p256);
    ike_pki_key_free(p384);
    ike_pki_key_free(p521);
    ike_pki_key_free(pss);
}

/* ---- identities ---- */

static void test_identity(void **state)
{
    (void)state;
    struct ike_pki_cert *c = wrap(c_gw);
    uint8_t dn[512];
    size_t n = ike_pki_cert_subject_der(c, dn, sizeof dn);
    unsigned char *ref = NULL;
    int rn = i2d_X509_NAME(X509_get_subject_name(c_gw), &ref);
    assert_int_equal(n, (size_t)rn);
    assert_memory_equal(dn, ref, n);
    OPENSSL_free(ref);
    assert_int_equal(ike_pki_cert_subject_der(c, dn, 3), n); /* too small: length only */
    assert_true(ike_pki_cert_match_id(c, IKE_ID_DER_ASN1_DN, dn, n));
    assert_false(ike_pki_cert_match_id(c, IKE_ID_DER_ASN1_DN, dn, n - 1));

    /* The same DN in other case and spacing matches (canonical comparison); another not. */
    X509_NAME *nm = X509_NAME_new();
    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"LAB", -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "OU", MBSTRING_ASC, (const unsigned char *)"  Vpn", -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"GW1", -1, -1, 0);
    uint8_t *d = NULL;
    int dl = i2d_X509_NAME(nm, &d);
    assert_true(ike_pki_cert_match_id(c, IKE_ID_DER_ASN1_DN, d, (size_t)dl));
    OPENSSL_free(d);
    X509_NAME_free(nm);
    nm = X509_NAME_new();
    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"lab", -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"gw1", -1, -1, 0);
    d = NULL;
    dl = i2d_X509_NAME(nm, &d);
    assert_false(ike_pki_cert_match_id(c, IKE_ID_DER_ASN1_DN, d, (size_t)dl));
    OPENSSL_free(d);
    X509_NAME_free(nm);

    const char *fqdn = "GW1.Lab.Example";
    assert_true(ike_pki_cert_match_id(c, IKE_ID_FQDN, (const uint8_t *)fqdn, strlen(fqdn)));
    assert_false(ike_pki_cert_match_id(c, IKE_ID_FQDN, (const uint8_t *)"gw1.lab", 7));
    assert_false(ike_pki_cert_match_id(c, IKE_ID_FQDN, (const uint8_t *)"gw1", 3)); /* CN only */
    const char *mail = "admin@lab.example";
    assert_true(ike_pki_cert_match_id(c, IKE_ID_RFC822_ADDR, (const uint8_t *)mail, strlen(mail)));
    assert_false(ike_pki_cert_match_id(c, IKE_ID_FQDN, (const uint8_t *)mail, strlen(mail)));
    assert_false(
        ike_pki_cert_match_id(c, IKE_ID_RFC822_ADDR, (const uint8_t *)"x@lab.example", 13));
    uint8_t ip[16];
    inet_pton(AF_INET, "192.0.2.1", ip);
    assert_true(ike_pki_cert_match_id(c, IKE_ID_IPV4_ADDR, ip, 4));
    assert_false(ike_pki_cert_match_id(c, IKE_ID_IPV4_ADDR, ip, 3));
    inet_pton(AF_INET, "192.0.2.2", ip);
    assert_false(ike_pki_cert_match_id(c, IKE_ID_IPV4_ADDR, ip, 4));
    inet_pton(AF_INET6, "2001:db8::1", ip);
    assert_true(ike_pki_cert_match_id(c, IKE_ID_IPV6_ADDR, ip, 16));
    assert_false(ike_pki_cert_match_id(c, IKE_ID_IPV4_ADDR, ip, 16));
    assert_false(ike_pki_cert_match_id(c, IKE_ID_KEY_ID, ip, 16));
    ike_pki_cert_free(c);

    /* A certificate without SANs matches only its DN. */
    c = wrap(c_p384);
    assert_false(ike_pki_cert_match_id(c, IKE_ID_FQDN, (const uint8_t *)"p384", 4));
    ike_pki_cert_free(c);

    /* Rendering. */
    char buf[128];
    struct ike_pki_cert *g = wrap(c_gw);
    size_t dnl = ike_pki_cert_subject_der(g, dn, sizeof dn);
    ike_pki_cert_free(g);
    assert_int_equal(ike_pki_id_to_text(IKE_ID_DER_ASN1_DN, dn, dnl, buf, sizeof buf), 19);
    assert_string_equal(buf, "cn=gw1,ou=vpn,o=lab");
    assert_int_equal(ike_pki_id_to_text(IKE_ID_DER_ASN1_DN, dn, dnl, buf, 7), 19);
    assert_string_equal(buf, "cn=gw1");
    assert_int_equal(ike_pki_id_to_text(IKE_ID_FQDN, (const uint8_t *)"a.b\nc", 5, buf, sizeof buf),
                     5);
    assert_string_equal(buf, "a.b.c");
    assert_int_equal(ike_pki_id_to_text(IKE_ID_RFC822_ADDR, (const uint8_t *)mail, strlen(mail),
                                        buf, sizeof buf),
                     strlen(mail));
    assert_string_equal(buf, mail);
    inet_pton(AF_INET, "10.1.2.3", ip);
    ike_pki_id_to_text(IKE_ID_IPV4_ADDR, ip, 4, buf, sizeof buf);
    assert_string_equal(buf, "10.1.2.3");
    inet_pton(AF_INET6, "2001:db8::1", ip);
    ike_pki_id_to_text(IKE_ID_IPV6_ADDR, ip, 16, buf, sizeof buf);
    assert_string_equal(buf, "2001:db8::1");
    static const uint8_t kid[] = {0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(ike_pki_id_to_text(IKE_ID_KEY_ID, kid, 4, buf, sizeof buf), 8);
    assert_string_equal(buf, "deadbeef");
    assert_int_equal(ike_pki_id_to_text(IKE_ID_KEY_ID, kid, 4, buf, 4), 8);
    assert_string_equal(buf, "de"); /* whole octets only */
    /* A DN that does not parse and a short IPv4 fall back to hex. */
    ike_pki_id_to_text(IKE_ID_DER_ASN1_DN, kid, 4, buf, sizeof buf);
    assert_string_equal(buf, "deadbeef");
    ike_pki_id_to_text(IKE_ID_IPV4_ADDR, kid, 3, buf, sizeof buf);
    assert_string_equal(buf, "deadbe");
}

/* ---- certificate maps ---- */

static struct ike_pki_map_entry entry(uint16_t seq, int n, ...)
{
    struct ike_pki_map_entry e;
    memset(&e, 0, sizeof e);
    e.seq = seq;
    e.nrules = (uint8_t)n;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        e.rule[i].field = (uint8_t)va_arg(ap, int);
        e.rule[i].op = (uint8_t)va_arg(ap, int);
        snprintf(e.rule[i].value, sizeof e.rule[i].value, "%s", va_arg(ap, const char *));
    }
    va_end(ap);
    return e;
}

static bool m1(const struct ike_pki_cert *c, int field, int op, const char *value)
{
    struct ike_pki_map_entry e = entry(10, 1, field, op, value);
    return ike_pki_map_entry_match(&e, c);
}

static void test_certmap(void **state)
{
    (void)state;
    struct ike_pki_cert *c = wrap(c_gw), *h = wrap(c_host);
    enum { S = IKE_PKI_MAP_SUBJECT_NAME, I = IKE_PKI_MAP_ISSUER_NAME };
    enum { EQ = IKE_PKI_MAP_EQ, NE = IKE_PKI_MAP_NE, CO = IKE_PKI_MAP_CO, NC = IKE_PKI_MAP_NC };

    /* Each op, case-insensitive. */
    assert_true(m1(c, S, EQ, "cn=gw1,ou=vpn,o=lab"));
    assert_true(m1(c, S, EQ, "CN=GW1,OU=VPN,O=LAB"));
    assert_false(m1(c, S, EQ, "cn=gw1"));
    assert_false(m1(c, S, NE, "Cn=Gw1,Ou=Vpn,O=Lab"));
    assert_true(m1(c, S, NE, "cn=gw2,ou=vpn,o=lab"));
    assert_true(m1(c, S, CO, "OU=VPN"));
    assert_false(m1(c, S, CO, "ou=sales"));
    assert_false(m1(c, S, NC, "ou=vpn"));
    assert_true(m1(c, S, NC, "ou=sales"));
    assert_true(m1(c, I, CO, "RSA-ROOT"));
    assert_false(m1(c, I, CO, "gw1"));
    assert_true(m1(c, I, EQ, "cn=rsa-root,o=lab"));
    /* alt-subject-name: any SAN. */
    assert_true(m1(c, IKE_PKI_MAP_ALT_SUBJECT_NAME, EQ, "GW1.LAB.EXAMPLE"));
    assert_true(m1(c, IKE_PKI_MAP_ALT_SUBJECT_NAME, EQ, "192.0.2.1"));
    assert_true(m1(c, IKE_PKI_MAP_ALT_SUBJECT_NAME, CO, "@lab.example"));
    assert_true(m1(c, IKE_PKI_MAP_ALT_SUBJECT_NAME, CO, "2001:db8"));
    assert_false(m1(c, IKE_PKI_MAP_ALT_SUBJECT_NAME, EQ, "gw1"));
    assert_true(m1(c, IKE_PKI_MAP_ALT_SUBJECT_NAME, NE, "gw1"));
    assert_false(m1(c, IKE_PKI_MAP_ALT_SUBJECT_NAME, NC, "lab"));
    assert_false(m1(h, IKE_PKI_MAP_ALT_SUBJECT_NAME, CO, "")); /* no SANs: no values */
    /* name: subject or issuer. */
    assert_true(m1(c, IKE_PKI_MAP_NAME, CO, "gw1"));
    assert_true(m1(c, IKE_PKI_MAP_NAME, CO, "rsa-root"));
    assert_false(m1(c, IKE_PKI_MAP_NAME, NC, "rsa-root"));
    assert_true(m1(c, IKE_PKI_MAP_NAME, NC, "ec-root"));
    /* unstructured-subject-name. */
    assert_true(m1(h, IKE_PKI_MAP_UNSTRUCTURED_SUBJECT_NAME, EQ, "R1.lab"));
    assert_false(m1(c, IKE_PKI_MAP_UNSTRUCTURED_SUBJECT_NAME, EQ, "r1.lab"));
    assert_true(m1(c, IKE_PKI_MAP_UNSTRUCTURED_SUBJECT_NAME, NE, "r1.lab"));
    assert_true(m1(h, S, CO, "hostname=r1.lab"));
    /* serial-number. */
    assert_true(m1(c, IKE_PKI_MAP_SERIAL_NUMBER, EQ, "02"));
    assert_true(m1(h, IKE_PKI_MAP_SERIAL_NUMBER, EQ, "ab01"));
    assert_false(m1(h, IKE_PKI_MAP_SERIAL_NUMBER, EQ, "ab"));
    assert_true(m1(h, IKE_PKI_MAP_SERIAL_NUMBER, CO, "AB"));
    /* Bad field/op never match. */
    assert_false(m1(c, 99, EQ, "x"));
    assert_false(m1(c, S, 99, "x"));

    /* Several rules: all must hold. */
    struct ike_pki_map_entry e = entry(1, 2, S, CO, "gw1", I, CO, "rsa-root");
    assert_true(ike_pki_map_entry_match(&e, c));
    e = entry(1, 2, S, CO, "gw1", S, CO, "ou=sales");
    assert_false(ike_pki_map_entry_match(&e, c));
    e = entry(1, 0);
    assert_true(ike_pki_map_entry_match(&e, c)); /* no rules: any certificate */
    /* A value filling the whole array without NUL is read within bounds. */
    e = entry(1, 1, S, CO, "x");
    memset(e.rule[0].value, 'a', sizeof e.rule[0].value);
    assert_false(ike_pki_map_entry_match(&e, c));

    /* Several entries: any matches; the lowest seq is reported. */
    struct ike_pki_map_entry map[3];
    map[0] = entry(20, 1, S, CO, "gw1");
    map[1] = entry(10, 1, S, CO, "client");
    map[2] = entry(30, 1, I, CO, "lab");
    assert_int_equal(ike_pki_map_match(map, 3, c), 20);
    assert_int_equal(ike_pki_map_match(map + 1, 1, c), -1);
    map[1] = entry(5, 1, IKE_PKI_MAP_ALT_SUBJECT_NAME, EQ, "gw1.lab.example");
    assert_int_equal(ike_pki_map_match(map, 3, c), 5);
    assert_int_equal(ike_pki_map_match(NULL, 0, c), -1);

    /* Keywords. */
    for (int f = 0; f < IKE_PKI_MAP_FIELD_COUNT; f++)
        assert_int_equal(ike_pki_map_field_parse(ike_pki_map_field_name(f)), f);
    for (int o = 0; o < IKE_PKI_MAP_OP_COUNT; o++)
        assert_int_equal(ike_pki_map_op_parse(ike_pki_map_op_name(o)), o);
    assert_string_equal(ike_pki_map_field_name(IKE_PKI_MAP_ALT_SUBJECT_NAME), "alt-subject-name");
    assert_string_equal(ike_pki_map_op_name(IKE_PKI_MAP_NC), "nc");
    assert_int_equal(ike_pki_map_field_parse("subject"), -1);
    assert_int_equal(ike_pki_map_op_parse("lt"), -1);
    ike_pki_cert_free(c);
    ike_pki_cert_free(h);
}

static void test_misc(void **state)
{
    (void)state;
    char err[IKE_PKI_ERR_MAX];
    assert_null(ike_pki_cert_parse(NULL, 0, err, sizeof err));
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    assert_null(ike_pki_cert_parse(junk, sizeof junk, err, sizeof err));
    assert_non_null(strstr(err, "does not parse"));
    struct ike_pki_cert *c = wrap(c_gw);
    struct ike_pki_cert *d = ike_pki_cert_dup(c);
    ike_pki_cert_free(c);
    assert_true(same_der(d, c_gw));
    ike_pki_cert_free(d);
    assert_string_equal(ike_pki_rc_name(IKE_PKI_E_BAD_SIGNATURE), "bad signature");
    assert_string_equal(ike_pki_rc_name(42), "unknown");
    /* err may be NULL. */
    assert_null(ike_pki_cert_parse(junk, sizeof junk, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_pem_files),
        cmocka_unit_test(test_import_pkcs12),
        cmocka_unit_test(test_export_roundtrip),
        cmocka_unit_test(test_key_from_pem),
        cmocka_unit_test(test_cert_info),
        cmocka_unit_test(test_show),
        cmocka_unit_test(test_validate_ok),
        cmocka_unit_test(test_validate_fail),
        cmocka_unit_test(test_certreq),
        cmocka_unit_test(test_sign_method1),
        cmocka_unit_test(test_sign_ecdsa_legacy),
        cmocka_unit_test(test_sign_method14),
        cmocka_unit_test(test_sha1_and_variants),
        cmocka_unit_test(test_verify_rejects),
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_certmap),
        cmocka_unit_test(test_misc),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
