/* libFuzzer harness for ike/ike_pki.h: arbitrary bytes as
 * (a) a CERT payload body (DER X.509, RFC 7296 §3.6 encoding 4) through ike_pki_tp_validate
 *     against a fixed CA, and through ike_pki_cert_parse and everything that reads a parsed
 *     certificate (info, show output, subject DN and ID matching, certificate maps); an input
 *     starting with 0x00 is instead <2-byte length><end-entity DER><intermediate DER>;
 * (b) method-14 AUTH data (RFC 7427 §3) through ike_pki_verify with a fixed RSA and a fixed
 *     ECDSA certificate over fixed signed octets, plus methods 1 and 9;
 * (c) CERTREQ data (RFC 7296 §3.7) through ike_pki_tp_certreq_match;
 * (d) an ID payload (type octet + data) through ike_pki_id_to_text.
 *
 * The CA and the two signer certificates were generated once by a throwaway program, which
 * also wrote the seed corpus (certificates signed by the CA, signatures by the signers' keys).
 *
 * Invariants checked, besides the sanitizers:
 * - return codes stay in the documented set; a certificate is handed out exactly on success;
 *   every failure writes a NUL-terminated, non-empty reason;
 * - validation reports "does not parse" exactly when ike_pki_cert_parse refuses the bytes, and
 *   the DER of a parsed certificate parses again;
 * - a certificate matches the ID_DER_ASN1_DN of its own subject; map rules: ne is the negation
 *   of eq, nc the negation of co, and "co ''" holds for the subject and issuer fields;
 * - a signature that verifies stops verifying when one octet of the signed data changes, its
 *   reported scheme is method 14 with a known hash, and without IKE_PKI_VERIFY_ALLOW_SHA1 a
 *   SHA-1 one is refused by policy while the others keep their result;
 * - the CERTREQ match agrees with a plain scan for the CA's SHA-1(SPKI);
 * - ID text is NUL-terminated within the buffer and never longer than the returned length. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ike/ike_pki.h"
#include "ike/ike_wire.h"
#include "test/fuzz/fuzz_util.h"

static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBbzCCARagAwIBAgIBATAKBggqhkjOPQQDAjAhMQ0wCwYDVQQKDARmdXp6MRAw\n"
                             "DgYDVQQDDAdmdXp6LWNhMCAXDTIwMDEwMTAwMDAwMFoYDzIwNjAwMTAxMDAwMDAw\n"
                             "WjAhMQ0wCwYDVQQKDARmdXp6MRAwDgYDVQQDDAdmdXp6LWNhMFkwEwYHKoZIzj0C\n"
                             "AQYIKoZIzj0DAQcDQgAEXXxfayFlYF4Bs/XdRdxfw7iP7Zc9/Me9xfRX24vaJ+az\n"
                             "IyE03bsUy1G4nxbakxvy3JzOGiENkhZnAr6rj9C+bKM9MDswDwYDVR0TAQH/BAUw\n"
                             "AwEB/zAdBgNVHQ4EFgQUZMD1iqpZ2bP3Cf7+kgNU/7kGRLMwCQYDVR0jBAIwADAK\n"
                             "BggqhkjOPQQDAgNHADBEAiBDXhwsToHaKu8HmhUQ0g2eq/JpxxjtqtKUqZ/q6bja\n"
                             "qwIgSy4RApywppuMr7i1qbcj04r7jFHYvvbAptv0eHjcjlc=\n"
                             "-----END CERTIFICATE-----\n";
static const char rsa_pem[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIC/DCCAeSgAwIBAgIBCjANBgkqhkiG9w0BAQsFADAkMQ0wCwYDVQQKDARmdXp6\n"
                              "MRMwEQYDVQQDDApzaWduZXItcnNhMCAXDTIwMDEwMTAwMDAwMFoYDzIwNjAwMTAx\n"
                              "MDAwMDAwWjAkMQ0wCwYDVQQKDARmdXp6MRMwEQYDVQQDDApzaWduZXItcnNhMIIB\n"
                              "IjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtPGsoXwi1i9pUy/wKaZIEsY3\n"
                              "phiTani8qTH19HVIGhnrwUNFBo7w6Bdwnf3N27jhiaEzbURxghFOgpADtPH5dr4t\n"
                              "roU1Ug6BT0Z64cqLhLheoiAa3slJXcHlr1aes5CWHC3n/p+2NCeAaSKe7KVQjsw5\n"
                              "im/+dGW+HIyx4tVb1Rz9PukUP5gRsDl8DllEHEEJPInwFNj1PMsRm0nirKZxfCAr\n"
                              "rS+MiTFhnUHCH++k+XIkGHynV8HMzTd7SnhUP4r3vLr1Q9PICqT0FMA1eSuhfdz0\n"
                              "lVEMYEpud9opR1zu++sJLTR1NyqChYEVV3IqO1WMtebUvqr/dWD62OwpMOtsdwID\n"
                              "AQABozcwNTAJBgNVHRMEAjAAMB0GA1UdDgQWBBT2GyUysh6FfOpu46CvqJYFxjTu\n"
                              "rDAJBgNVHSMEAjAAMA0GCSqGSIb3DQEBCwUAA4IBAQBhy1Y51EdU+7187OxIBUmM\n"
                              "ZFT+9Fg/z7ZA3K275SrRxvIDvcI5WV2c9aL599DW/vnl2r2OjTrMDAUUR6SIaOGT\n"
                              "XiJ8v778tjCQYbuA091kbgx6BGriPlewaOf6ue54gYvjnR/GAwLzx2h0nJUuIrXZ\n"
                              "VS9t3MFqFUAfyoAnVtGfc5qw3QWa8+uYjyt7e8pSwrDorwez77lOgGidqSwymouT\n"
                              "Zv476QHtrxa2xTAehDRUE0mujNvvvjAcSnsWiNeM0W7F4ZZ9kOvUn15/ipV95QCN\n"
                              "uMtsy4OI0ioVhehm85jAJGyJTobTXRHB9mkJH8HRB7h3A1uPn/DrjPtyDKWhB3Er\n"
                              "-----END CERTIFICATE-----\n";
static const char ec_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBbzCCARSgAwIBAgIBCzAKBggqhkjOPQQDAjAjMQ0wCwYDVQQKDARmdXp6MRIw\n"
                             "EAYDVQQDDAlzaWduZXItZWMwIBcNMjAwMTAxMDAwMDAwWhgPMjA2MDAxMDEwMDAw\n"
                             "MDBaMCMxDTALBgNVBAoMBGZ1enoxEjAQBgNVBAMMCXNpZ25lci1lYzBZMBMGByqG\n"
                             "SM49AgEGCCqGSM49AwEHA0IABNPaETuysGXHbcZk++8Tzqr4lWAzX4Ow6Rs6hujQ\n"
                             "BHJYx4iZKra7caGDeVt8MtpmWsxqEnAUz48AA22f7aocmXKjNzA1MAkGA1UdEwQC\n"
                             "MAAwHQYDVR0OBBYEFFVf3oLZZWCGrLHMolvzsHg34WNYMAkGA1UdIwQCMAAwCgYI\n"
                             "KoZIzj0EAwIDSQAwRgIhAIzd+jEPk25yWLLRL394emmdRxDxRo5neGykLbTbaeKC\n"
                             "AiEAmbtFpxDQx6cD7sxvVYUF0xhq16x9em9eDBPQ/7r1M58=\n"
                             "-----END CERTIFICATE-----\n";

static const uint8_t octets[] = "fuzz signed octets";
#define OCTETS_LEN (sizeof octets - 1)
#define NOW ((time_t)1893456000) /* 2030-01-01, inside every seed's validity */

static struct ike_pki_tp *tp_ca, *tp_rsa, *tp_ec;
static uint8_t ca_hash[IKE_PKI_SHA1_LEN];

static struct ike_pki_tp *load(const char *name, const char *ca, const char *cert)
{
    char err[IKE_PKI_ERR_MAX];
    struct ike_pki_tp *tp = ike_pki_tp_new(name);
    FUZZ_CHECK(tp && ike_pki_tp_import_pem(tp, ca, cert, NULL, NULL, err, sizeof err) == 0);
    return tp;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    tp_ca = load("CA", ca_pem, NULL);
    tp_rsa = load("RSA", NULL, rsa_pem);
    tp_ec = load("EC", NULL, ec_pem);
    FUZZ_CHECK(ike_pki_tp_certreq(tp_ca, ca_hash, sizeof ca_hash) == sizeof ca_hash);
    return 0;
}

static void check_err(int rc, const char *err)
{
    if (rc == IKE_PKI_OK) return;
    FUZZ_CHECK(memchr(err, '\0', IKE_PKI_ERR_MAX) != NULL);
    FUZZ_CHECK(err[0] != '\0');
    FUZZ_CHECK(ike_pki_rc_name(rc)[0] != '\0');
}

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static bool rule(const struct ike_pki_cert *c, int field, int op, const char *value)
{
    struct ike_pki_map_entry e;
    memset(&e, 0, sizeof e);
    e.seq = 1;
    e.nrules = 1;
    e.rule[0].field = (uint8_t)field;
    e.rule[0].op = (uint8_t)op;
    snprintf(e.rule[0].value, sizeof e.rule[0].value, "%s", value);
    return ike_pki_map_entry_match(&e, c);
}

/* Everything that reads a parsed certificate. */
static void exercise_cert(const struct ike_pki_cert *c, const uint8_t *data, size_t size)
{
    struct ike_pki_cert_info in;
    FUZZ_CHECK(ike_pki_cert_get_info(c, &in) == IKE_PKI_OK);
    FUZZ_CHECK(terminated(in.subject, sizeof in.subject) &&
               terminated(in.issuer, sizeof in.issuer));
    FUZZ_CHECK(terminated(in.name, sizeof in.name) && terminated(in.serial, sizeof in.serial));
    FUZZ_CHECK(terminated(in.key_alg, sizeof in.key_alg) && terminated(in.curve, sizeof in.curve));
    FUZZ_CHECK(terminated(in.sig_alg, sizeof in.sig_alg) && in.usage[0] != '\0');

    const uint8_t *der;
    size_t dlen = ike_pki_cert_der(c, &der);
    FUZZ_CHECK(dlen > 0);
    struct ike_pki_cert *again = ike_pki_cert_parse(der, dlen, NULL, 0);
    FUZZ_CHECK(again != NULL);
    ike_pki_cert_free(again);

    uint8_t dn[4096];
    size_t n = ike_pki_cert_subject_der(c, dn, sizeof dn);
    if (n > 0 && n <= sizeof dn) {
        FUZZ_CHECK(ike_pki_cert_match_id(c, IKE_ID_DER_ASN1_DN, dn, n));
        char text[IKE_PKI_DN_MAX];
        ike_pki_id_to_text(IKE_ID_DER_ASN1_DN, dn, n, text, sizeof text);
        FUZZ_CHECK(terminated(text, sizeof text));
    }
    /* The ID matchers with the input itself as the ID data. */
    static const uint8_t types[] = {IKE_ID_FQDN,      IKE_ID_RFC822_ADDR, IKE_ID_IPV4_ADDR,
                                    IKE_ID_IPV6_ADDR, IKE_ID_DER_ASN1_DN, IKE_ID_KEY_ID};
    for (size_t i = 0; i < sizeof types; i++)
        (void)ike_pki_cert_match_id(c, types[i], data, size < 64 ? size : 64);

    for (int f = 0; f < IKE_PKI_MAP_FIELD_COUNT; f++) {
        const char *probe = f == IKE_PKI_MAP_SERIAL_NUMBER ? in.serial : "cn=";
        FUZZ_CHECK(rule(c, f, IKE_PKI_MAP_EQ, probe) != rule(c, f, IKE_PKI_MAP_NE, probe));
        FUZZ_CHECK(rule(c, f, IKE_PKI_MAP_CO, probe) != rule(c, f, IKE_PKI_MAP_NC, probe));
    }
    FUZZ_CHECK(rule(c, IKE_PKI_MAP_SUBJECT_NAME, IKE_PKI_MAP_CO, ""));
    FUZZ_CHECK(rule(c, IKE_PKI_MAP_NAME, IKE_PKI_MAP_CO, ""));
    FUZZ_CHECK(rule(c, IKE_PKI_MAP_SUBJECT_NAME, IKE_PKI_MAP_EQ, in.subject) ||
               strlen(in.subject) >= IKE_PKI_MAP_VALUE_MAX - 1);

    /* Show output: the certificate as a trustpoint's own (PEM through OpenSSL) and as CA. */
    BIO *b = BIO_new(BIO_s_mem());
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)dlen);
    if (b && x && PEM_write_bio_X509(b, x)) {
        char *pem = NULL;
        long pl = BIO_get_mem_data(b, &pem);
        char *s = fuzz_strdup((const uint8_t *)pem, (size_t)pl);
        struct ike_pki_tp *tp = ike_pki_tp_new("F");
        char err[IKE_PKI_ERR_MAX];
        FUZZ_CHECK(ike_pki_tp_import_pem(tp, s, s, NULL, NULL, err, sizeof err) == IKE_PKI_OK);
        struct strbuf sb = STRBUF_INIT;
        ike_pki_tp_show_certificates(tp, true, &sb);
        FUZZ_CHECK(ike_pki_tp_show_trustpoint(tp, &sb) == 0);
        FUZZ_CHECK(strstr(sb_str(&sb), "Associated Trustpoints: F\n") != NULL);
        sb_free(&sb);
        uint8_t cr[IKE_PKI_SHA1_LEN];
        FUZZ_CHECK(ike_pki_tp_certreq(tp, cr, sizeof cr) == sizeof cr);
        FUZZ_CHECK(ike_pki_tp_certreq_match(tp, cr, sizeof cr));
        const struct ike_pki_cert *send[IKE_PKI_MAX_CHAIN + 1];
        FUZZ_CHECK(ike_pki_tp_send_chain(tp, send, IKE_PKI_MAX_CHAIN + 1) == 1);
        char *back = ike_pki_tp_export_pem(tp, IKE_PKI_PART_CERT, NULL);
        FUZZ_CHECK(back && strcmp(back, s) == 0);
        free(back);
        ike_pki_tp_free(tp);
        free(s);
    }
    X509_free(x);
    BIO_free(b);
}

static void fuzz_cert(const uint8_t *data, size_t size)
{
    const uint8_t *ee = data;
    size_t ee_len = size;
    struct ike_pki_der inter = {NULL, 0};
    int ninter = 0;
    if (size >= 3 && data[0] == 0x00) {
        size_t k = (size_t)data[1] << 8 | data[2];
        if (k > size - 3) k = size - 3;
        ee = data + 3;
        ee_len = k;
        inter.data = ee + k;
        inter.len = size - 3 - k;
        ninter = 1;
    }
    char err[IKE_PKI_ERR_MAX];
    memset(err, 0x7e, sizeof err);
    struct ike_pki_cert *out = (struct ike_pki_cert *)err;
    int rc = ike_pki_tp_validate(tp_ca, ee, ee_len, &inter, ninter, NOW, &out, err, sizeof err);
    FUZZ_CHECK(rc == IKE_PKI_OK || rc == IKE_PKI_E_MALFORMED || rc == IKE_PKI_E_INVALID);
    FUZZ_CHECK((rc == IKE_PKI_OK) == (out != NULL));
    check_err(rc, err);
    struct ike_pki_cert *c = ike_pki_cert_parse(ee, ee_len, err, sizeof err);
    if (ninter == 0) FUZZ_CHECK((c == NULL) == (rc == IKE_PKI_E_MALFORMED));
    if (c) {
        exercise_cert(c, data, size);
        ike_pki_cert_free(c);
    } else {
        check_err(IKE_PKI_E_MALFORMED, err);
    }
    ike_pki_cert_free(out);
}

static void fuzz_verify(const struct ike_pki_tp *tp, uint8_t method, const uint8_t *data,
                        size_t size)
{
    const struct ike_pki_cert *c = ike_pki_tp_cert(tp);
    char err[IKE_PKI_ERR_MAX];
    struct ike_pki_sigalg used;
    int rc = ike_pki_verify(c, method, data, size, octets, OCTETS_LEN, IKE_PKI_VERIFY_ALLOW_SHA1,
                            &used, err, sizeof err);
    FUZZ_CHECK(rc == IKE_PKI_OK || rc == IKE_PKI_E_MALFORMED || rc == IKE_PKI_E_UNSUPPORTED ||
               rc == IKE_PKI_E_KEY_MISMATCH || rc == IKE_PKI_E_BAD_SIGNATURE ||
               rc == IKE_PKI_E_INTERNAL);
    check_err(rc, err);
    int strict =
        ike_pki_verify(c, method, data, size, octets, OCTETS_LEN, 0, NULL, err, sizeof err);
    check_err(strict, err);
    if (rc != IKE_PKI_OK) {
        FUZZ_CHECK(strict == rc || (strict == IKE_PKI_E_POLICY && method == IKE_AUTH_DIGITAL_SIG));
        return;
    }
    FUZZ_CHECK(used.method == method);
    FUZZ_CHECK(used.hash >= IKE_HASH_SHA1 && used.hash <= IKE_HASH_SHA2_512);
    if (method == IKE_AUTH_DIGITAL_SIG && used.hash == IKE_HASH_SHA1)
        FUZZ_CHECK(strict == IKE_PKI_E_POLICY);
    else if (!(method == IKE_AUTH_DIGITAL_SIG && used.pss))
        FUZZ_CHECK(strict == IKE_PKI_OK);
    else
        FUZZ_CHECK(strict == IKE_PKI_OK || strict == IKE_PKI_E_POLICY); /* MGF1 with SHA-1 */
    uint8_t other[sizeof octets];
    memcpy(other, octets, sizeof octets);
    other[size % OCTETS_LEN] ^= 0x01;
    FUZZ_CHECK(ike_pki_verify(c, method, data, size, other, OCTETS_LEN, IKE_PKI_VERIFY_ALLOW_SHA1,
                              NULL, err, sizeof err) == IKE_PKI_E_BAD_SIGNATURE);
}

static void fuzz_certreq(const uint8_t *data, size_t size)
{
    bool expect = false;
    for (size_t off = 0; off + IKE_PKI_SHA1_LEN <= size; off += IKE_PKI_SHA1_LEN)
        expect |= memcmp(data + off, ca_hash, IKE_PKI_SHA1_LEN) == 0;
    FUZZ_CHECK(ike_pki_tp_certreq_match(tp_ca, data, size) == expect);
    FUZZ_CHECK(!ike_pki_tp_certreq_match(tp_rsa, data, size)); /* no CA, no intermediates */
}

static void fuzz_id_text(const uint8_t *data, size_t size)
{
    if (size < 1) return;
    static const size_t caps[] = {1, 9, 300};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char buf[300];
        memset(buf, 0x7e, sizeof buf);
        size_t n = ike_pki_id_to_text(data[0], data + 1, size - 1, buf, caps[i]);
        FUZZ_CHECK(terminated(buf, caps[i]));
        FUZZ_CHECK(strlen(buf) <= n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_cert(data, size);
    fuzz_verify(tp_rsa, IKE_AUTH_DIGITAL_SIG, data, size);
    fuzz_verify(tp_ec, IKE_AUTH_DIGITAL_SIG, data, size);
    fuzz_verify(tp_rsa, IKE_AUTH_RSA_SIG, data, size);
    fuzz_verify(tp_ec, IKE_AUTH_ECDSA_256, data, size);
    fuzz_certreq(data, size);
    fuzz_id_text(data, size);
    return 0;
}
