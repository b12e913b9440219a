/* libFuzzer harness for the IKEv2 responder engine (ike/ike_engine.c, ike_exchange.c).
 *
 * Bytes from the network reach the engine two ways, and both are fuzzed:
 * - as a raw datagram, on port 500 or 4500 (first input byte, bit 0): the outer codec, the
 *   NAT-T framing, IKE_SA_INIT with its proposal choice, cookies and DH checks;
 * - as the decrypted contents of a protected message: the harness is an initiator that first
 *   runs a real IKE_SA_INIT (and, when asked, a real PSK IKE_AUTH), then seals the input as
 *   the inner payload chain of an IKE_AUTH, CREATE_CHILD_SA or INFORMATIONAL request with the
 *   right keys, so the exchange handlers see arbitrary payloads that passed the ICV.
 * Afterwards the clock runs two minutes (DPD, retransmits, half-open expiry) and the engine is
 * freed: LeakSanitizer then catches any SA, child or buffer left behind.
 *
 * Input: byte 0 = mode (bit 0: port 4500 for the raw datagram; bits 1-2: 0 raw only,
 * 1 IKE_AUTH, 2 CREATE_CHILD_SA after a real IKE_AUTH, 3 INFORMATIONAL after it);
 * byte 1 = first inner payload type; the rest = the datagram or the inner chain. */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ike/ike.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "test/fuzz/fuzz_util.h"

static struct {
    uint8_t last[4096];
    size_t last_len;
    int sent;
} q;

static void f_send(void *ctx, const struct ike_ep *from, const struct ike_ep *to,
                   const uint8_t *buf, size_t len)
{
    (void)ctx, (void)from, (void)to;
    FUZZ_CHECK(len <= IKE_MAX_MSG + 4);
    q.sent++;
    if (len <= sizeof q.last) memcpy(q.last, buf, len), q.last_len = len;
}

static void f_props(void *ctx, uint32_t local, struct ike_prop_list *out)
{
    (void)ctx, (void)local;
    memset(out, 0, sizeof *out);
    out->n = 1;
    struct ike_prop_cfg *p = &out->p[0];
    p->nencr = 2;
    p->encr[0].id = IKE_ENCR_AES_GCM_16, p->encr[0].keylen = 128;
    p->encr[1].id = IKE_ENCR_AES_CBC, p->encr[1].keylen = 128;
    p->ninteg = 1, p->integ[0] = IKE_INTEG_HMAC_SHA2_256_128;
    p->nprf = 1, p->prf[0] = IKE_PRF_HMAC_SHA2_256;
    p->ndh = 2, p->dh[0] = IKE_DH_CURVE25519, p->dh[1] = IKE_DH_ECP256;
}

static int f_profile(void *ctx, const struct ike_peer_info *peer, struct ike_profile_view *v,
                     char *why, size_t n)
{
    (void)ctx, (void)peer, (void)why, (void)n;
    memset(v, 0, sizeof *v);
    strcpy(v->name, "fuzz");
    v->auth_remote = IKE_AM_PSK;
    v->auth_local = IKE_AM_PSK;
    memcpy(v->psk_remote, "fuzzkey", 7), v->psk_remote_len = 7;
    memcpy(v->psk_local, "fuzzkey", 7), v->psk_local_len = 7;
    v->id_type = IKE_ID_IPV4_ADDR;
    v->lifetime = 86400;
    v->dpd = IKE_DPD_PERIODIC, v->dpd_interval = 10, v->dpd_retry = 2;
    strcpy(v->pool, "p");
    v->esp.n = 1;
    v->esp.p[0].nencr = 1;
    v->esp.p[0].encr[0].id = IKE_ENCR_AES_GCM_16, v->esp.p[0].encr[0].keylen = 128;
    v->child_lifetime = 3600;
    return 0;
}

static int f_profile_by_name(void *ctx, const char *name, const struct ike_peer_info *peer,
                             struct ike_profile_view *v, char *why, size_t n)
{
    (void)name;
    return f_profile(ctx, peer, v, why, n);
}

static int leased;
static int f_alloc(void *ctx, const char *pool, const char *key, uint32_t *addr)
{
    (void)ctx, (void)pool, (void)key;
    *addr = htonl(0x0a000001u + (uint32_t)leased++);
    return 0;
}

static void f_release(void *ctx, const char *pool, uint32_t addr)
{
    (void)ctx, (void)pool, (void)addr;
    leased--;
}

static void f_globals(void *ctx, struct ike_globals *g)
{
    (void)ctx;
    memset(g, 0, sizeof *g);
}

struct ini {
    uint64_t spi_i, spi_r;
    uint8_t ni[32], nr[256], req[2048], resp[2048];
    size_t nrlen, req_len, resp_len;
    struct ike_keys keys;
    uint32_t msgid;
};

static const struct ike_ep gw = {0x0100000a, 500}, cl = {0x0200000a, 500};

/* A real IKE_SA_INIT: AES-GCM-128, PRF SHA-256, X25519. */
static bool do_init(struct ike *ike, struct ini *I)
{
    struct ike_dh *dh = ike_dh_new(IKE_DH_CURVE25519);
    if (!dh) return false;
    I->spi_i = 0x0123456789abcdefULL;
    memset(I->ni, 0x5a, sizeof I->ni);
    struct ike_wbuf w;
    ikew_init(&w, I->req, sizeof I->req);
    struct ike_hdr h = {
        .spi_i = I->spi_i, .major = 2, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR};
    ikew_hdr(&w, &h);
    struct ike_sa_pl sa = {.nprop = 1};
    struct ike_proposal *p = &sa.prop[0];
    p->num = 1, p->proto = IKE_PROTO_IKE;
    ike_sa_pl_add_transform(&sa, IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128);
    ike_sa_pl_add_transform(&sa, IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0);
    ike_sa_pl_add_transform(&sa, IKE_TT_DH, IKE_DH_CURVE25519, 0);
    ikew_sa(&w, &sa);
    uint8_t pub[64];
    size_t pl = ike_dh_public(dh, pub, sizeof pub);
    ikew_ke(&w, IKE_DH_CURVE25519, pub, pl);
    ikew_nonce(&w, I->ni, sizeof I->ni);
    I->req_len = ikew_finish(&w);
    q.last_len = 0;
    ike_input(ike, &gw, &cl, I->req, I->req_len);
    struct ike_msg m;
    uint8_t crit;
    bool ok = false;
    if (q.last_len && !ike_msg_parse(q.last, q.last_len, &m, &crit) && m.hdr.spi_r) {
        memcpy(I->resp, q.last, q.last_len);
        I->resp_len = q.last_len;
        const struct ike_pl *pke = ike_pl_find(m.pl, m.npl, IKE_PL_KE);
        const struct ike_pl *pno = ike_pl_find(m.pl, m.npl, IKE_PL_NONCE);
        struct ike_ke ke;
        uint8_t gir[64];
        size_t gl;
        if (pke && pno && !ike_parse_ke(pke->body, pke->len, &ke) &&
            (gl = ike_dh_shared(dh, ke.data, ke.len, gir, sizeof gir)) > 0) {
            I->spi_r = m.hdr.spi_r;
            I->nrlen = pno->len;
            memcpy(I->nr, pno->body, pno->len);
            struct ike_suite s = {IKE_ENCR_AES_GCM_16, 128, 0, IKE_PRF_HMAC_SHA2_256,
                                  IKE_DH_CURVE25519};
            ok = !ike_derive_ike_keys(&s, I->ni, sizeof I->ni, I->nr, I->nrlen, gir, gl, I->spi_i,
                                      I->spi_r, &I->keys);
        }
    }
    ike_dh_free(dh);
    I->msgid = 1;
    return ok;
}

/* Seal `inner` (a payload chain starting with type `first`) into a request and feed it. */
static void send_protected(struct ike *ike, struct ini *I, uint8_t exchange, uint8_t first,
                           const uint8_t *inner, size_t len)
{
    static uint8_t buf[IKE_MAX_MSG];
    struct ike_wbuf w;
    ikew_init(&w, buf, sizeof buf);
    struct ike_hdr h = {.spi_i = I->spi_i,
                        .spi_r = I->spi_r,
                        .major = 2,
                        .exchange = exchange,
                        .flags = IKE_FLAG_INITIATOR,
                        .msgid = I->msgid++};
    ikew_hdr(&w, &h);
    ikew_sk_begin(&w, 8);
    /* The inner chain is raw: its first type goes into the SK header's Next Payload. */
    buf[w.np_off] = first;
    ikew_put(&w, inner, len);
    size_t sk = w.sk_off;
    ikew_sk_end(&w, 1, 16);
    size_t n = ikew_finish(&w);
    if (!n || ike_sk_seal(&I->keys, true, I->msgid, buf, n, sk)) return;
    ike_input(ike, &gw, &cl, buf, n);
}

/* A well-formed PSK IKE_AUTH with a CP request and one CHILD_SA. */
static void do_auth(struct ike *ike, struct ini *I)
{
    static uint8_t chain[1024];
    struct ike_wbuf w;
    ikew_init(&w, chain, sizeof chain);
    w.np_off = 0; /* chain[0] is a scratch byte for the first type */
    w.len = 1;
    uint8_t idb[4 + 6] = {IKE_ID_FQDN, 0, 0, 0, 'c', 'l', 'i', 'e', 'n', 't'};
    ikew_id(&w, IKE_PL_IDI, IKE_ID_FQDN, idb + 4, 6);
    size_t ol;
    uint8_t *oct = ike_signed_octets(IKE_PRF_HMAC_SHA2_256, I->keys.sk_pi, I->keys.prf_len, I->req,
                                     I->req_len, I->nr, I->nrlen, idb, sizeof idb, &ol);
    if (!oct) return;
    uint8_t auth[64];
    size_t al = ike_psk_auth(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)"fuzzkey", 7, oct, ol, auth);
    free(oct);
    ikew_auth(&w, IKE_AUTH_PSK, auth, al);
    struct ike_cp cp = {.cfg_type = IKE_CFG_REQUEST, .nattr = 1};
    cp.a[0] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_ADDRESS, 0, NULL};
    ikew_cp(&w, &cp);
    struct ike_sa_pl sa = {.nprop = 1};
    struct ike_proposal *p = &sa.prop[0];
    p->num = 1, p->proto = IKE_PROTO_ESP, p->spi_size = 4;
    memcpy(p->spi, "\x11\x22\x33\x44", 4);
    ike_sa_pl_add_transform(&sa, IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128);
    ike_sa_pl_add_transform(&sa, IKE_TT_ESN, IKE_ESN_NO, 0);
    ikew_sa(&w, &sa);
    struct ike_ts_set ts = {.n = 1};
    ts.ts[0].type = IKE_TS_IPV4_ADDR_RANGE, ts.ts[0].eport = 65535;
    memset(ts.ts[0].eaddr, 0xff, 4);
    ikew_ts(&w, IKE_PL_TSI, &ts);
    ikew_ts(&w, IKE_PL_TSR, &ts);
    if (w.overflow) return;
    send_protected(ike, I, IKE_AUTH, chain[0], chain + 1, w.len - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool once;
    if (!once) {
        log_init("fuzz_ike_engine", false);
        log_buffer_config(0, 7);
        once = true;
    }
    if (size < 2) return 0;
    uint8_t mode = data[0], first = data[1];
    data += 2, size -= 2;
    loop_t *loop = loop_new(true);
    struct ike_send_port sp = {NULL, f_send};
    struct ike_policy_port pp = {.ike_proposals = f_props,
                                 .profile = f_profile,
                                 .profile_by_name = f_profile_by_name,
                                 .pool_alloc = f_alloc,
                                 .pool_release = f_release,
                                 .globals = f_globals};
    struct ike *ike = ike_new(loop, &sp, &pp, NULL);
    FUZZ_CHECK(ike != NULL);
    leased = 0;
    q.sent = 0;

    /* The raw datagram first, on 500 or 4500. */
    struct ike_ep local = gw;
    if (mode & 1) local.port = 4500;
    ike_input(ike, &local, &cl, data, size);

    int what = (mode >> 1) & 3;
    if (what) {
        struct ini I;
        memset(&I, 0, sizeof I);
        if (do_init(ike, &I)) {
            if (what == 1) {
                send_protected(ike, &I, IKE_AUTH, first, data, size);
            } else {
                do_auth(ike, &I);
                send_protected(ike, &I, what == 2 ? IKE_CREATE_CHILD_SA : IKE_INFORMATIONAL, first,
                               data, size);
            }
        }
        ike_keys_wipe(&I.keys);
    }
    struct ike_stats st;
    ike_get_stats(ike, &st);
    FUZZ_CHECK(st.established <= 2 && st.half_open <= 2);
    loop_advance(loop, 120000); /* DPD gives up, half-open SAs expire */
    ike_get_stats(ike, &st);
    FUZZ_CHECK(st.half_open == 0 && st.established == 0);
    FUZZ_CHECK(leased == 0); /* every pool address came back */
    ike_free(ike);
    loop_free(loop);
    return 0;
}
