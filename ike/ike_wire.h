/* IKEv2 wire codec (RFC 7296 §3): bytes <-> structs. Pure: no sockets, no time, no crypto.
 *
 * Parsing is two-level, like the protocol. ike_msg_parse() checks the fixed header and walks
 * the generic payload headers (every length checked against what is left), recording each
 * payload's type and body slice; typed parsers (ike_parse_sa, ike_parse_notify, ...) then
 * decode one body into a struct, copying bytes out (never casting in place). The SK payload
 * (§3.14) is only located here: decrypting it is ike_crypto's work, after which
 * ike_payloads_walk() walks the inner chain the same way.
 *
 * Building goes through struct ike_wbuf: each payload is appended with its generic header and
 * the previous header's Next Payload field is patched, so callers just append in order. An SK
 * payload is opened with ikew_sk_begin(): the payloads appended after it are its inner
 * payloads (its Next Payload names the first of them, §3.14), and ikew_sk_end() adds the
 * padding and room for the ICV; ike_sk_seal() then encrypts in place.
 *
 * Every rejection returns a reason code (enum ike_drop) that the engine counts and shows in
 * `show crypto ikev2 stats`; ike_drop_name() names it. */
#ifndef IKEGATE_IKE_WIRE_H
#define IKEGATE_IKE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_HDR_LEN 28
#define IKE_GENERIC_HDR_LEN 4
#define IKE_MAX_MSG 65535
#define IKE_MAX_PAYLOADS 64
#define IKE_MAX_TS 16
#define IKE_MAX_CP_ATTRS 32
#define IKE_MAX_DELETE_SPIS 64
#define IKE_NONCE_MIN 16 /* §3.9 */
#define IKE_NONCE_MAX 256

/* §3.1 exchange types */
enum ike_exchange {
    IKE_SA_INIT = 34,
    IKE_AUTH = 35,
    IKE_CREATE_CHILD_SA = 36,
    IKE_INFORMATIONAL = 37,
};

/* §3.1 flags */
#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_VERSION 0x10
#define IKE_FLAG_RESPONSE 0x20

/* §3.2 payload types */
enum ike_payload_type {
    IKE_PL_NONE = 0,
    IKE_PL_SA = 33,
    IKE_PL_KE = 34,
    IKE_PL_IDI = 35,
    IKE_PL_IDR = 36,
    IKE_PL_CERT = 37,
    IKE_PL_CERTREQ = 38,
    IKE_PL_AUTH = 39,
    IKE_PL_NONCE = 40,
    IKE_PL_NOTIFY = 41,
    IKE_PL_DELETE = 42,
    IKE_PL_VENDOR = 43,
    IKE_PL_TSI = 44,
    IKE_PL_TSR = 45,
    IKE_PL_SK = 46,
    IKE_PL_CP = 47,
    IKE_PL_EAP = 48,
    IKE_PL_SKF = 53, /* RFC 7383: recognised, never negotiated by us */
};

/* §3.3.2 transform types and the IDs this gateway knows (others parse and are skipped) */
enum ike_transform_type {
    IKE_TT_ENCR = 1,
    IKE_TT_PRF = 2,
    IKE_TT_INTEG = 3,
    IKE_TT_DH = 4,
    IKE_TT_ESN = 5,
};
enum {
    IKE_ENCR_AES_CBC = 12,
    IKE_ENCR_AES_GCM_16 = 20,
    IKE_PRF_HMAC_SHA1 = 2,
    IKE_PRF_HMAC_SHA2_256 = 5,
    IKE_PRF_HMAC_SHA2_384 = 6,
    IKE_PRF_HMAC_SHA2_512 = 7,
    IKE_INTEG_NONE = 0,
    IKE_INTEG_HMAC_SHA1_96 = 2,
    IKE_INTEG_HMAC_SHA2_256_128 = 12,
    IKE_INTEG_HMAC_SHA2_384_192 = 13,
    IKE_INTEG_HMAC_SHA2_512_256 = 14,
    IKE_DH_NONE = 0,
    IKE_DH_MODP2048 = 14,
    IKE_DH_MODP3072 = 15,
    IKE_DH_MODP4096 = 16,
    IKE_DH_ECP256 = 19,
    IKE_DH_ECP384 = 20,
    IKE_DH_ECP521 = 21,
    IKE_DH_CURVE25519 = 31,
    IKE_ESN_NO = 0,
    IKE_ESN_YES = 1,
};
#define IKE_ATTR_KEY_LENGTH 14 /* §3.3.5, TV format */

/* §3.3.1 protocol IDs */
enum { IKE_PROTO_IKE = 1, IKE_PROTO_AH = 2, IKE_PROTO_ESP = 3 };

/* §3.5 ID types */
enum {
    IKE_ID_IPV4_ADDR = 1,
    IKE_ID_FQDN = 2,
    IKE_ID_RFC822_ADDR = 3,
    IKE_ID_IPV6_ADDR = 5,
    IKE_ID_DER_ASN1_DN = 9,
    IKE_ID_DER_ASN1_GN = 10,
    IKE_ID_KEY_ID = 11,
};

/* §3.6 certificate encodings */
enum { IKE_CERT_X509_SIG = 4, IKE_CERT_HASH_URL = 12 };

/* §3.8 + RFC 7427 auth methods */
enum {
    IKE_AUTH_RSA_SIG = 1,
    IKE_AUTH_PSK = 2,
    IKE_AUTH_DSS = 3,
    IKE_AUTH_ECDSA_256 = 9,
    IKE_AUTH_ECDSA_384 = 10,
    IKE_AUTH_ECDSA_521 = 11,
    IKE_AUTH_DIGITAL_SIG = 14,
};

/* §3.10.1 notify types (errors < 16384 and status) */
enum {
    IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
    IKE_N_INVALID_IKE_SPI = 4,
    IKE_N_INVALID_MAJOR_VERSION = 5,
    IKE_N_INVALID_SYNTAX = 7,
    IKE_N_INVALID_MESSAGE_ID = 9,
    IKE_N_INVALID_SPI = 11,
    IKE_N_NO_PROPOSAL_CHOSEN = 14,
    IKE_N_INVALID_KE_PAYLOAD = 17,
    IKE_N_AUTHENTICATION_FAILED = 24,
    IKE_N_SINGLE_PAIR_REQUIRED = 34,
    IKE_N_NO_ADDITIONAL_SAS = 35,
    IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
    IKE_N_FAILED_CP_REQUIRED = 37,
    IKE_N_TS_UNACCEPTABLE = 38,
    IKE_N_INVALID_SELECTORS = 39,
    IKE_N_TEMPORARY_FAILURE = 43,
    IKE_N_CHILD_SA_NOT_FOUND = 44,
    IKE_N_INITIAL_CONTACT = 16384,
    IKE_N_SET_WINDOW_SIZE = 16385,
    IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
    IKE_N_IPCOMP_SUPPORTED = 16387,
    IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
    IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
    IKE_N_COOKIE = 16390,
    IKE_N_USE_TRANSPORT_MODE = 16391,
    IKE_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
    IKE_N_REKEY_SA = 16393,
    IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
    IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
    IKE_N_MOBIKE_SUPPORTED = 16396,
    IKE_N_REDIRECT_SUPPORTED = 16406, /* RFC 5685 */
    IKE_N_REDIRECT = 16407,
    IKE_N_REDIRECTED_FROM = 16408,
    IKE_N_EAP_ONLY_AUTHENTICATION = 16417,
    IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
    IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431, /* RFC 7427 */
};

/* §3.13.1 traffic selector types */
enum { IKE_TS_IPV4_ADDR_RANGE = 7, IKE_TS_IPV6_ADDR_RANGE = 8 };

/* §3.15 configuration payload */
enum { IKE_CFG_REQUEST = 1, IKE_CFG_REPLY = 2, IKE_CFG_SET = 3, IKE_CFG_ACK = 4 };
enum {
    IKE_CA_INTERNAL_IP4_ADDRESS = 1,
    IKE_CA_INTERNAL_IP4_NETMASK = 2,
    IKE_CA_INTERNAL_IP4_DNS = 3,
    IKE_CA_INTERNAL_IP4_NBNS = 4,
    IKE_CA_INTERNAL_IP4_DHCP = 6,
    IKE_CA_APPLICATION_VERSION = 7,
    IKE_CA_INTERNAL_IP6_ADDRESS = 8,
    IKE_CA_INTERNAL_IP6_DNS = 10,
    IKE_CA_INTERNAL_IP4_SUBNET = 13,
    IKE_CA_SUPPORTED_ATTRIBUTES = 14,
    IKE_CA_INTERNAL_IP6_SUBNET = 15,
    IKE_CA_INTERNAL_DNS_DOMAIN = 25, /* RFC 8598 */
};

/* Why a message or payload was refused. Keep ike_drop_name() in step. */
enum ike_drop {
    IKE_DROP_NONE = 0,
    IKE_DROP_SHORT,          /* fewer bytes than the fixed header */
    IKE_DROP_LENGTH,         /* header Length disagrees with the datagram */
    IKE_DROP_VERSION,        /* major version is not 2 */
    IKE_DROP_PAYLOAD_LENGTH, /* a payload length runs past the message or is < 4 */
    IKE_DROP_TOO_MANY,       /* more payloads / proposals / transforms / TS than we keep */
    IKE_DROP_CRITICAL,       /* an unknown payload with the critical bit (§2.5) */
    IKE_DROP_SK_NOT_LAST,    /* SK/SKF is not the last payload (§3.14) */
    IKE_DROP_MALFORMED,      /* a payload body that does not parse */
    IKE_DROP_PROPOSAL,       /* proposal numbering, SPI size or transform lengths wrong */
    IKE_DROP_DECRYPT,        /* ICV / tag check failed */
    IKE_DROP_PADDING,        /* pad length larger than the plaintext */
    IKE_DROP_UNEXPECTED,     /* a payload the exchange does not allow */
    IKE_DROP_MISSING,        /* a payload the exchange requires is absent */
    IKE_DROP_NO_SA,          /* no IKE SA for the SPIs */
    IKE_DROP_MSGID,          /* message ID outside the window */
    IKE_DROP_RESPONSE,       /* a response we did not ask for */
    IKE_DROP_SPI,            /* SPI fields inconsistent with the exchange */
    IKE_DROP_KE,             /* a DH public value that fails RFC 6989 checks */
    IKE_DROP_COOKIE,         /* missing or wrong COOKIE while cookies are demanded */
    IKE_DROP_LIMIT,          /* max-sa / max-in-negotiation-sa reached */
    IKE_DROP_AUTH,           /* authentication failed */
    IKE_DROP_NON_ESP_MARKER, /* on 4500, datagram without the 4-byte zero marker */
    IKE_DROP_KEEPALIVE,      /* NAT-T keepalive (counted, not an error) */
    IKE_DROP_NCOUNT
};
const char *ike_drop_name(enum ike_drop r);

/* §3.1 header, host order. */
struct ike_hdr {
    uint64_t spi_i, spi_r;
    uint8_t next; /* first payload */
    uint8_t major, minor;
    uint8_t exchange;
    uint8_t flags;
    uint32_t msgid;
    uint32_t length;
};

/* One payload located by ike_msg_parse / ike_payloads_walk: body excludes the generic header. */
struct ike_pl {
    uint8_t type;
    bool critical;
    const uint8_t *body;
    size_t len;
};

struct ike_msg {
    struct ike_hdr hdr;
    const uint8_t *raw; /* the whole message (header included) */
    size_t rawlen;
    int npl;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    /* When the last payload is SK (or SKF): its index in pl[], else -1. The encrypted body is
     * pl[sk].body / pl[sk].len and its Next Payload (first inner type) is sk_next. */
    int sk;
    uint8_t sk_next;
};

/* Parse the header and the outer payload chain. Unknown non-critical payloads are kept (type
 * as sent) so callers may ignore them; an unknown critical one fails with IKE_DROP_CRITICAL
 * and *unknown_critical set to its type (for UNSUPPORTED_CRITICAL_PAYLOAD, §2.5).
 * Returns IKE_DROP_NONE or the reason. */
enum ike_drop ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m,
                            uint8_t *unknown_critical);
/* Only the fixed header (fast path for demultiplexing). */
enum ike_drop ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h);
/* Walk a chain starting with payload type `first` (e.g. decrypted SK contents) into pl[]. */
enum ike_drop ike_payloads_walk(uint8_t first, const uint8_t *buf, size_t len, struct ike_pl *pl,
                                int max, int *npl, uint8_t *unknown_critical);
/* First payload of a type in an array, or NULL. */
const struct ike_pl *ike_pl_find(const struct ike_pl *pl, int npl, uint8_t type);

/* §3.3. A parsed SA payload keeps its transforms in one flat array: proposal i owns
 * t[prop[i].first .. prop[i].first + prop[i].ntrans). The only limits are the message's size
 * (a transform takes at least 8 bytes, so a 64 KB message holds fewer than IKE_MAX_SA_TRANSFORMS)
 * and one cap on work per payload, IKE_MAX_PROPOSALS: proposals past it are validated like the
 * others but not kept (counted in `skipped`), so the choice is made among the first ones and
 * the request is still answered. strongSwan's default proposal has 34-47 transforms; no
 * client we know sends more than a handful of proposals. */
#define IKE_MAX_PROPOSALS 64
#define IKE_MAX_SA_TRANSFORMS 8192
struct ike_transform {
    uint8_t type;
    uint16_t id;
    uint16_t keylen; /* bits; 0 when the attribute is absent */
};
struct ike_proposal {
    uint8_t num;
    uint8_t proto;
    uint8_t spi_size; /* 0 (IKE in IKE_SA_INIT), 8 (IKE rekey) or 4 (ESP/AH) */
    uint8_t spi[8];
    uint16_t first;    /* its first transform in ike_sa_pl.t */
    uint16_t ntrans;   /* the transforms kept: unknown attributes make a transform unusable
                        * (§3.3.6), so such a transform is left out */
    bool unknown_type; /* it has a transform type we do not know: unacceptable (§3.3.6) */
};
struct ike_sa_pl {
    int nprop;
    int ntrans;  /* entries of t in use */
    int skipped; /* proposals past IKE_MAX_PROPOSALS */
    struct ike_proposal prop[IKE_MAX_PROPOSALS];
    struct ike_transform t[IKE_MAX_SA_TRANSFORMS];
};
enum ike_drop ike_parse_sa(const uint8_t *b, size_t len, struct ike_sa_pl *sa);
/* The transforms of a proposal of sa. */
static inline const struct ike_transform *ike_prop_transforms(const struct ike_sa_pl *sa,
                                                              const struct ike_proposal *p)
{
    return sa->t + p->first;
}
/* Building an SA payload by hand (tests, requests): start with nprop = ntrans = 0, add a
 * proposal, then its transforms (they go to the last proposal). Return false when full. */
bool ike_sa_pl_add_prop(struct ike_sa_pl *sa, uint8_t num, uint8_t proto, const uint8_t *spi,
                        uint8_t spi_size);
bool ike_sa_pl_add_transform(struct ike_sa_pl *sa, uint8_t type, uint16_t id, uint16_t keylen);

/* §3.4: data points into the message. */
struct ike_ke {
    uint16_t group;
    const uint8_t *data;
    size_t len;
};
enum ike_drop ike_parse_ke(const uint8_t *b, size_t len, struct ike_ke *ke);

/* §3.5 IDi/IDr */
struct ike_id {
    uint8_t type;
    const uint8_t *data;
    size_t len;
};
enum ike_drop ike_parse_id(const uint8_t *b, size_t len, struct ike_id *id);

/* §3.6 CERT, §3.7 CERTREQ: encoding + data */
struct ike_cert {
    uint8_t encoding;
    const uint8_t *data;
    size_t len;
};
enum ike_drop ike_parse_cert(const uint8_t *b, size_t len, struct ike_cert *c);

/* §3.8 */
struct ike_auth {
    uint8_t method;
    const uint8_t *data;
    size_t len;
};
enum ike_drop ike_parse_auth(const uint8_t *b, size_t len, struct ike_auth *a);

/* §3.9: the body itself is the nonce; checks IKE_NONCE_MIN..IKE_NONCE_MAX. */
enum ike_drop ike_parse_nonce(const uint8_t *b, size_t len);

/* §3.10 */
struct ike_notify {
    uint8_t proto;
    uint8_t spi_size;
    uint8_t spi[8];
    uint16_t type;
    const uint8_t *data;
    size_t len;
};
enum ike_drop ike_parse_notify(const uint8_t *b, size_t len, struct ike_notify *n);

/* §3.11 */
struct ike_delete {
    uint8_t proto;
    uint8_t spi_size;
    uint16_t nspi;
    uint8_t spi[IKE_MAX_DELETE_SPIS][8];
};
enum ike_drop ike_parse_delete(const uint8_t *b, size_t len, struct ike_delete *d);

/* §3.13: addresses in network order (4 or 16 bytes used). */
struct ike_ts {
    uint8_t type; /* IKE_TS_IPV4_ADDR_RANGE / IPV6 */
    uint8_t ipproto;
    uint16_t sport, eport;
    uint8_t saddr[16], eaddr[16];
};
struct ike_ts_set {
    int n;
    struct ike_ts ts[IKE_MAX_TS];
};
enum ike_drop ike_parse_ts(const uint8_t *b, size_t len, struct ike_ts_set *ts);

/* §3.15 */
struct ike_cp_attr {
    uint16_t type;
    uint16_t len;
    const uint8_t *value; /* into the message (parse) or the caller's memory (build) */
};
struct ike_cp {
    uint8_t cfg_type;
    int nattr;
    struct ike_cp_attr a[IKE_MAX_CP_ATTRS];
};
enum ike_drop ike_parse_cp(const uint8_t *b, size_t len, struct ike_cp *cp);

/* RFC 5685 §8: REDIRECT / REDIRECTED_FROM data. gw: 4 or 16 bytes, or an FQDN (not
 * NUL-terminated). nonce may be absent (len 0). */
struct ike_redirect {
    uint8_t gw_type; /* 1 IPv4, 2 IPv6, 3 FQDN */
    uint8_t gw_len;
    uint8_t gw[255];
    const uint8_t *nonce;
    size_t nonce_len;
};
enum ike_drop ike_parse_redirect(const uint8_t *data, size_t len, struct ike_redirect *r);

/* ---- building ---- */
struct ike_wbuf {
    uint8_t *buf;
    size_t cap, len;
    size_t np_off;  /* offset of the Next Payload field to patch on the next append */
    size_t sk_off;  /* offset of the SK generic header, or 0 when none is open/closed */
    size_t sk_body; /* offset of the SK body (IV) */
    bool overflow;  /* set when something did not fit: the message is unusable */
};
void ikew_init(struct ike_wbuf *w, uint8_t *buf, size_t cap);
/* The fixed header; h->next and h->length are ignored (patched by appends and ikew_finish). */
void ikew_hdr(struct ike_wbuf *w, const struct ike_hdr *h);
/* Low level: open a payload (generic header written, previous Next Payload patched); returns
 * its start offset for ikew_pl_end, which patches its length. */
size_t ikew_pl_begin(struct ike_wbuf *w, uint8_t type, bool critical);
void ikew_pl_end(struct ike_wbuf *w, size_t start);
void ikew_put(struct ike_wbuf *w, const void *p, size_t n);
void ikew_put8(struct ike_wbuf *w, uint8_t v);
void ikew_put16(struct ike_wbuf *w, uint16_t v);
void ikew_put32(struct ike_wbuf *w, uint32_t v);
/* Typed payloads (each a complete payload). */
void ikew_sa(struct ike_wbuf *w, const struct ike_sa_pl *sa);
/* An SA payload of one proposal whose transforms are t[0 .. p->ntrans) (p->first ignored). */
void ikew_sa_one(struct ike_wbuf *w, const struct ike_proposal *p, const struct ike_transform *t);
void ikew_ke(struct ike_wbuf *w, uint16_t group, const uint8_t *data, size_t len);
void ikew_id(struct ike_wbuf *w, uint8_t pltype, uint8_t idtype, const uint8_t *d, size_t len);
void ikew_cert(struct ike_wbuf *w, uint8_t pltype, uint8_t enc, const uint8_t *d, size_t len);
void ikew_auth(struct ike_wbuf *w, uint8_t method, const uint8_t *d, size_t len);
void ikew_nonce(struct ike_wbuf *w, const uint8_t *d, size_t len);
void ikew_notify(struct ike_wbuf *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
                 uint16_t type, const uint8_t *data, size_t len);
void ikew_delete(struct ike_wbuf *w, const struct ike_delete *d);
void ikew_ts(struct ike_wbuf *w, uint8_t pltype, const struct ike_ts_set *ts);
void ikew_cp(struct ike_wbuf *w, const struct ike_cp *cp);
void ikew_vendor(struct ike_wbuf *w, const uint8_t *d, size_t len);
/* RFC 5685 notify data into out (cap >= 2 + 255 + nonce_len); returns its length or 0. */
size_t ike_redirect_data(const struct ike_redirect *r, uint8_t *out, size_t cap);
/* SK (§3.14): opens the payload and reserves iv_len bytes of IV (left zeroed for the caller
 * or ike_sk_seal to fill). Payloads appended until ikew_sk_end are inside it. */
void ikew_sk_begin(struct ike_wbuf *w, size_t iv_len);
/* Adds padding so that (inner payloads + padding + pad length byte) is a multiple of block
 * (1 for AEAD: no padding, only the pad length byte 0), then icv_len bytes for the ICV, and
 * patches the SK length. */
void ikew_sk_end(struct ike_wbuf *w, size_t block, size_t icv_len);
/* RFC 7383 §2.5: one Encrypted Fragment payload, the last of the message, around a chunk of
 * the original SK content: Next Payload first_np (in fragment 1; 0 in the others), Fragment
 * Number and Total Fragments, room for the IV, the chunk, padding to block, the pad length and
 * room for the ICV. w->sk_off is left at it for ike_skf_seal. */
void ikew_skf(struct ike_wbuf *w, uint8_t first_np, uint16_t num, uint16_t total, size_t iv_len,
              const uint8_t *chunk, size_t chunk_len, size_t block, size_t icv_len);
/* The most an SKF payload adds to its chunk. */
size_t ikew_skf_overhead(size_t iv_len, size_t block, size_t icv_len);
/* Patches the header's Length; returns the message length, or 0 if anything overflowed. */
size_t ikew_finish(struct ike_wbuf *w);

/* Names for debug output ("SA", "N(NAT_DETECTION_SOURCE_IP)", "IKE_SA_INIT", ...). */
const char *ike_payload_name(uint8_t type);
const char *ike_exchange_name(uint8_t exchange);
const char *ike_notify_name(uint16_t type);
/* The short form used in summaries ("NATD_S_IP", "REDIR_SUP"), or NULL for an unknown type. */
const char *ike_notify_short_name(uint16_t type);
/* One-line summary like strongSwan's: "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) ]" into
 * buf; inner (decrypted) payloads may be given as well. */
size_t ike_msg_summary(const struct ike_msg *m, const struct ike_pl *inner, int ninner, char *buf,
                       size_t cap);

#endif
