/* The IKEv2 responder end to end without a network: a small initiator written here with the
 * project's own codec and crypto (the same code the FlexVPN client will use) talks to the
 * engine through recording ports under a manual clock. Every exchange is checked from the
 * initiator's side: what it can decrypt, verify and derive must agree with what the engine
 * installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "platform/bytes.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/strbuf.h"

#define MAXQ 64

static struct {
    loop_t *loop;
    struct ike *ike;
    struct {
        struct ike_ep from, to;
        uint8_t buf[4096];
        size_t len;
    } q[MAXQ];
    int qn;
    /* policy */
    uint32_t cookie_at, max_neg, max_sa;
    uint16_t frag_mtu;
    uint16_t only_group; /* 0: the usual list */
    enum ike_dpd_mode dpd;
    uint32_t ike_lifetime, child_lifetime; /* s, 0: the defaults */
    bool psk_shared;
    bool esp_cbc_first; /* the profile's ESP proposals: AES-CBC-128/SHA-256, then AES-GCM-256 */
    /* pool */
    uint32_t next_addr, released;
    /* kernel */
    int kernel_err;
    int added, deleted;
    uint32_t nspi;
    struct ike_child_kernel last;
    uint8_t last_in[100], last_out[100]; /* the keys lent to add_child */
    uint32_t del_in[16];                 /* spi_in of each del_child */
    /* where the last datagram popped came from and went */
    struct ike_ep popped_from, popped_to;
} T;

static const struct ike_ep GW = {0, 500}, CL = {0, 500};
static struct ike_ep gw, cl;

static void p_send(void *ctx, const struct ike_ep *from, const struct ike_ep *to,
                   const uint8_t *buf, size_t len)
{
    (void)ctx;
    assert_true(T.qn < MAXQ);
    assert_true(len <= sizeof T.q[0].buf);
    T.q[T.qn].from = *from;
    T.q[T.qn].to = *to;
    memcpy(T.q[T.qn].buf, buf, len);
    T.q[T.qn++].len = len;
}

static void p_props(void *ctx, uint32_t local, struct ike_prop_list *out)
{
    (void)ctx, (void)local;
    out->n = 1;
    struct ike_prop_cfg *p = &out->p[0];
    memset(p, 0, sizeof *p);
    p->nencr = 3;
    p->encr[0].id = IKE_ENCR_AES_GCM_16, p->encr[0].keylen = 256;
    p->encr[1].id = IKE_ENCR_AES_CBC, p->encr[1].keylen = 256;
    p->encr[2].id = IKE_ENCR_AES_CBC, p->encr[2].keylen = 128;
    p->ninteg = 2, p->integ[0] = IKE_INTEG_HMAC_SHA2_256_128, p->integ[1] = IKE_INTEG_HMAC_SHA1_96;
    p->nprf = 2, p->prf[0] = IKE_PRF_HMAC_SHA2_256, p->prf[1] = IKE_PRF_HMAC_SHA1;
    if (T.only_group) {
        p->ndh = 1, p->dh[0] = T.only_group;
    } else {
        p->ndh = 3, p->dh[0] = IKE_DH_CURVE25519, p->dh[1] = IKE_DH_ECP256,
        p->dh[2] = IKE_DH_MODP2048;
    }
}

static int p_profile(void *ctx, const struct ike_peer_info *peer, struct ike_profile_view *v,
                     char *why, size_t n)
{
    (void)ctx;
    memset(v, 0, sizeof *v);
    if (peer->id_type && !(peer->id_type == IKE_ID_FQDN && peer->id_len == 7 &&
                           !memcmp(peer->id_data, "client1", 7))) {
        snprintf(why, n, "no profile matches");
        return -1;
    }
    snprintf(v->name, sizeof v->name, "default");
    v->auth_remote = IKE_AM_PSK;
    v->auth_local = IKE_AM_PSK;
    memcpy(v->psk_remote, "cisco123", 8), v->psk_remote_len = 8;
    memcpy(v->psk_local, "cisco123", 8), v->psk_local_len = 8;
    v->id_type = IKE_ID_IPV4_ADDR;
    v->lifetime = T.ike_lifetime ? T.ike_lifetime : 86400;
    v->psk_shared = T.psk_shared;
    v->dpd = T.dpd;
    v->dpd_interval = 10, v->dpd_retry = 2;
    snprintf(v->pool, sizeof v->pool, "pool1");
    v->dns[0] = htonl(0x08080808);
    v->nroutes = 1;
    v->routes[0].addr = htonl(0x0a010000), v->routes[0].mask = htonl(0xffff0000);
    v->esp.n = 1;
    struct ike_prop_cfg *e = &v->esp.p[0];
    e->nencr = 2;
    e->encr[0].id = IKE_ENCR_AES_GCM_16, e->encr[0].keylen = 256;
    e->encr[1].id = IKE_ENCR_AES_CBC, e->encr[1].keylen = 128;
    e->ninteg = 1, e->integ[0] = IKE_INTEG_HMAC_SHA2_256_128;
    if (T.esp_cbc_first) { /* two transform sets: two proposals */
        v->esp.n = 2;
        v->esp.p[1] = *e;
        e->nencr = 1, e->encr[0] = e->encr[1];
        v->esp.p[1].nencr = 1, v->esp.p[1].ninteg = 0;
    }
    v->child_lifetime = T.child_lifetime ? T.child_lifetime : 3600;
    return 0;
}

static int p_profile_by_name(void *ctx, const char *name, const struct ike_peer_info *peer,
                             struct ike_profile_view *v, char *why, size_t n)
{
    (void)name, (void)peer;
    struct ike_peer_info pi = {0};
    return p_profile(ctx, &pi, v, why, n);
}

static int p_pool_alloc(void *ctx, const char *pool, const char *key, uint32_t *addr)
{
    (void)ctx, (void)key;
    if (strcmp(pool, "pool1")) return -1;
    *addr = htonl(T.next_addr++);
    return 0;
}

static void p_pool_release(void *ctx, const char *pool, uint32_t addr)
{
    (void)ctx, (void)pool;
    T.released = ntohl(addr);
}

static void p_globals(void *ctx, struct ike_globals *g)
{
    (void)ctx;
    g->cookie_threshold = T.cookie_at, g->max_in_negotiation = T.max_neg, g->max_sa = T.max_sa;
    g->frag_mtu = T.frag_mtu;
}

static int k_alloc(void *ctx, const struct ike_ep *l, const struct ike_ep *r, uint32_t reqid,
                   uint32_t *spi)
{
    (void)ctx, (void)l, (void)r, (void)reqid;
    *spi = 0xc0000000u | ++T.nspi; /* unique, as the kernel's: a rekey keeps the reqid */
    return 0;
}

static int k_add(void *ctx, struct ike_child_kernel *c)
{
    (void)ctx;
    if (T.kernel_err) return -T.kernel_err;
    T.added++;
    T.last = *c;
    assert_non_null(c->key_in);
    memcpy(T.last_in, c->key_in, (size_t)(c->enc_key_len + c->integ_key_len));
    memcpy(T.last_out, c->key_out, (size_t)(c->enc_key_len + c->integ_key_len));
    return 0;
}

static void k_del(void *ctx, const struct ike_child_kernel *c)
{
    (void)ctx;
    if (T.deleted < 16) T.del_in[T.deleted] = c->spi_in;
    T.deleted++;
}

static int k_counters(void *ctx, const struct ike_child_kernel *c, struct ike_child_counters *o)
{
    (void)ctx, (void)c;
    memset(o, 0, sizeof *o);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    memset(&T, 0, sizeof T);
    gw = GW, cl = CL;
    gw.addr = htonl(0x0a0a0a01);
    cl.addr = htonl(0x0a0a0a02);
    T.next_addr = 0xac100101;
    T.dpd = IKE_DPD_OFF;
    T.loop = loop_new(true);
    struct ike_send_port sp = {NULL, p_send};
    struct ike_policy_port pp = {.ike_proposals = p_props,
                                 .profile = p_profile,
                                 .profile_by_name = p_profile_by_name,
                                 .pool_alloc = p_pool_alloc,
                                 .pool_release = p_pool_release,
                                 .globals = p_globals};
    struct ike_kernel_port kp = {NULL, k_alloc, k_add, k_del, k_counters};
    T.ike = ike_new(T.loop, &sp, &pp, &kp);
    assert_non_null(T.ike);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ike_free(T.ike);
    loop_free(T.loop);
    return 0;
}

/* ---- the initiator ---- */

struct ini {
    uint64_t spi_i, spi_r;
    uint16_t group;
    uint16_t encr, keylen, integ, prf;
    struct ike_dh *dh;
    uint8_t ni[32], nr[256];
    size_t nrlen;
    struct ike_keys keys;
    uint8_t init_req[8192], init_resp[2048];
    size_t init_req_len, init_resp_len;
    uint32_t msgid;
    uint64_t iv; /* GCM IV counter: one per message sealed */
    uint8_t last_req[4096];
    size_t last_req_len;
    struct ike_ep me;
    /* IKE_SA_INIT: the SA payload instead of the one proposal of the suite above (a struct or
     * raw bytes), N(IKEV2_FRAGMENTATION_SUPPORTED); the proposal the engine chose. */
    const struct ike_sa_pl *offer;
    const uint8_t *offer_raw;
    size_t offer_raw_len;
    bool frag;
    uint8_t chosen;
    /* IKE_AUTH: N(INITIAL_CONTACT), the CHILD_SA's suite. */
    bool initial_contact;
    uint16_t esp_encr, esp_keylen, esp_integ;
    bool natt; /* floated to 4500: our datagrams carry the non-ESP marker */
    /* The engine is the initiator of this IKE SA (it rekeyed it, §2.18): our messages have the
     * I flag clear and are sealed with SK_er/SK_ar, the engine's with SK_ei/SK_ai. */
    bool responder;
};

static void ini_new(struct ini *I, uint16_t encr, uint16_t keylen, uint16_t integ, uint16_t prf,
                    uint16_t group)
{
    memset(I, 0, sizeof *I);
    ike_random(&I->spi_i, 8);
    I->encr = encr, I->keylen = keylen, I->integ = integ, I->prf = prf, I->group = group;
    ike_random(I->ni, sizeof I->ni);
    I->me = cl;
    I->esp_encr = IKE_ENCR_AES_GCM_16, I->esp_keylen = 256;
}

static void natd(uint64_t si, uint64_t sr, const struct ike_ep *ep, uint8_t out[20])
{
    uint8_t in[22];
    put64(in, si);
    put64(in + 8, sr);
    memcpy(in + 16, &ep->addr, 4);
    in[20] = (uint8_t)(ep->port >> 8), in[21] = (uint8_t)ep->port;
    unsigned int l = 20;
    EVP_Digest(in, sizeof in, out, &l, EVP_sha1(), NULL);
}

/* IKE_SA_INIT request; cookie may be NULL. offer: extra group offered besides I->group. */
static size_t build_init(struct ini *I, const uint8_t *cookie, size_t cookie_len, uint16_t offer,
                         bool redirect_supported)
{
    if (!I->dh) I->dh = ike_dh_new(I->group);
    assert_non_null(I->dh);
    struct ike_wbuf w;
    ikew_init(&w, I->init_req, sizeof I->init_req);
    struct ike_hdr h = {
        .spi_i = I->spi_i, .major = 2, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR};
    ikew_hdr(&w, &h);
    if (cookie) ikew_notify(&w, 0, NULL, 0, IKE_N_COOKIE, cookie, cookie_len);
    if (I->offer_raw) {
        size_t start = ikew_pl_begin(&w, IKE_PL_SA, false);
        ikew_put(&w, I->offer_raw, I->offer_raw_len);
        ikew_pl_end(&w, start);
    } else if (I->offer) {
        ikew_sa(&w, I->offer);
    } else {
        struct ike_sa_pl sa = {.nprop = 1};
        struct ike_proposal *p = &sa.prop[0];
        p->num = 1, p->proto = IKE_PROTO_IKE;
        ike_sa_pl_add_transform(&sa, IKE_TT_ENCR, I->encr, I->keylen);
        ike_sa_pl_add_transform(&sa, IKE_TT_PRF, I->prf, 0);
        if (I->integ) ike_sa_pl_add_transform(&sa, IKE_TT_INTEG, I->integ, 0);
        ike_sa_pl_add_transform(&sa, IKE_TT_DH, I->group, 0);
        if (offer) ike_sa_pl_add_transform(&sa, IKE_TT_DH, offer, 0);
        ikew_sa(&w, &sa);
    }
    uint8_t pub[IKE_MAX_DH_LEN];
    size_t pl = ike_dh_public(I->dh, pub, sizeof pub);
    assert_true(pl > 0);
    ikew_ke(&w, I->group, pub, pl);
    ikew_nonce(&w, I->ni, sizeof I->ni);
    uint8_t hs[20], hd[20];
    natd(I->spi_i, 0, &I->me, hs);
    natd(I->spi_i, 0, &gw, hd);
    ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, hs, 20);
    ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, hd, 20);
    if (redirect_supported) ikew_notify(&w, 0, NULL, 0, IKE_N_REDIRECT_SUPPORTED, NULL, 0);
    if (I->frag) ikew_notify(&w, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    I->init_req_len = ikew_finish(&w);
    assert_true(I->init_req_len > 0);
    return I->init_req_len;
}

/* A datagram from the initiator: to port 500, or once floated to 4500 with the non-ESP
 * marker (RFC 3948 §2.2). */
static void feed(const struct ini *I, const uint8_t *buf, size_t len)
{
    if (!I->natt) {
        ike_input(T.ike, &gw, &I->me, buf, len);
        return;
    }
    struct ike_ep g = gw;
    g.port = 4500;
    uint8_t *b = calloc(1, len + 4);
    assert_non_null(b);
    memcpy(b + 4, buf, len);
    ike_input(T.ike, &g, &I->me, b, len + 4);
    free(b);
}

/* RFC 7296 §2.23: the initiator moves to port 4500 after IKE_SA_INIT. */
static void float_4500(struct ini *I)
{
    I->natt = true;
    I->me.port = 4500;
}

/* Pops the oldest datagram sent. */
static size_t pop(uint8_t *out)
{
    assert_true(T.qn > 0);
    size_t n = T.q[0].len;
    memcpy(out, T.q[0].buf, n);
    T.popped_from = T.q[0].from, T.popped_to = T.q[0].to;
    memmove(&T.q[0], &T.q[1], sizeof T.q[0] * (size_t)(T.qn - 1));
    T.qn--;
    return n;
}

/* Pops the oldest datagram sent as an IKE message: one sent from 4500 must start with the
 * non-ESP marker, which is taken off. */
static size_t pop_ike(uint8_t *out)
{
    size_t n = pop(out);
    if (T.popped_from.port != 4500) return n;
    assert_true(n > 4);
    assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);
    memmove(out, out + 4, n - 4);
    return n - 4;
}

static void notify_of(const struct ike_pl *pl, int n, uint16_t type, struct ike_notify *out,
                      bool *found)
{
    *found = false;
    for (int i = 0; i < n; i++)
        if (pl[i].type == IKE_PL_NOTIFY && !ike_parse_notify(pl[i].body, pl[i].len, out) &&
            out->type == type) {
            *found = true;
            return;
        }
}

/* Runs IKE_SA_INIT (with REDIRECT_SUPPORTED if asked) and checks the answer; derives the
 * initiator's keys. */
static void do_init_redir(struct ini *I, bool redirect_supported)
{
    feed(I, I->init_req, build_init(I, NULL, 0, 0, redirect_supported));
    assert_int_equal(T.qn, 1);
    I->init_resp_len = pop(I->init_resp);
    struct ike_msg m;
    uint8_t crit;
    assert_int_equal(ike_msg_parse(I->init_resp, I->init_resp_len, &m, &crit), IKE_DROP_NONE);
    assert_true(m.hdr.flags & IKE_FLAG_RESPONSE);
    assert_int_equal(m.hdr.spi_i, I->spi_i);
    assert_true(m.hdr.spi_r != 0);
    I->spi_r = m.hdr.spi_r;
    const struct ike_pl *psa = ike_pl_find(m.pl, m.npl, IKE_PL_SA);
    const struct ike_pl *pke = ike_pl_find(m.pl, m.npl, IKE_PL_KE);
    const struct ike_pl *pno = ike_pl_find(m.pl, m.npl, IKE_PL_NONCE);
    assert_non_null(psa);
    assert_non_null(pke);
    assert_non_null(pno);
    struct ike_sa_pl sa;
    assert_int_equal(ike_parse_sa(psa->body, psa->len, &sa), 0);
    assert_int_equal(sa.nprop, 1);
    /* The chosen proposal is the initiator's suite, one transform of each type (§3.3.6). */
    I->chosen = sa.prop[0].num;
    const struct ike_transform *t = ike_prop_transforms(&sa, &sa.prop[0]);
    int seen = 0;
    for (int i = 0; i < sa.prop[0].ntrans; i++) {
        uint16_t want = t[i].type == IKE_TT_ENCR    ? I->encr
                        : t[i].type == IKE_TT_PRF   ? I->prf
                        : t[i].type == IKE_TT_INTEG ? I->integ
                        : t[i].type == IKE_TT_DH    ? I->group
                                                    : 0xffff;
        assert_int_equal(t[i].id, want);
        if (t[i].type == IKE_TT_ENCR) assert_int_equal(t[i].keylen, I->keylen);
        seen |= 1 << t[i].type;
    }
    assert_int_equal(sa.prop[0].ntrans, I->integ ? 4 : 3);
    assert_int_equal(seen, (1 << IKE_TT_ENCR) | (1 << IKE_TT_PRF) | (1 << IKE_TT_DH) |
                               (I->integ ? 1 << IKE_TT_INTEG : 0));
    struct ike_ke ke;
    assert_int_equal(ike_parse_ke(pke->body, pke->len, &ke), 0);
    assert_int_equal(ke.group, I->group);
    memcpy(I->nr, pno->body, pno->len);
    I->nrlen = pno->len;
    /* NAT-D from the responder: no NAT between us. */
    struct ike_notify n;
    bool f;
    uint8_t want[20];
    /* RFC 7383 §2.3: fragmentation offered back only when both ends support it. */
    notify_of(m.pl, m.npl, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, &n, &f);
    assert_int_equal(f, I->frag && T.frag_mtu);
    notify_of(m.pl, m.npl, IKE_N_NAT_DETECTION_SOURCE_IP, &n, &f);
    assert_true(f);
    natd(I->spi_i, I->spi_r, &gw, want);
    assert_memory_equal(n.data, want, 20);
    uint8_t gir[IKE_MAX_DH_LEN];
    size_t gl = ike_dh_shared(I->dh, ke.data, ke.len, gir, sizeof gir);
    assert_true(gl > 0);
    struct ike_suite s = {I->encr, I->keylen, I->integ, I->prf, I->group};
    assert_int_equal(ike_derive_ike_keys(&s, I->ni, sizeof I->ni, I->nr, I->nrlen, gir, gl,
                                         I->spi_i, I->spi_r, &I->keys),
                     0);
    ike_dh_free(I->dh);
    I->dh = NULL;
    I->msgid = 1; /* IKE_SA_INIT was 0 */
}

static void do_init(struct ini *I)
{
    do_init_redir(I, false);
}

/* Start a protected message of ours: a request, or the answer to the engine's request
 * msgid. The I flag says who began this IKE SA (§3.1), whatever the exchange. */
static void msg_begin(struct ini *I, struct ike_wbuf *w, uint8_t exchange, bool response,
                      uint32_t msgid)
{
    ikew_init(w, I->last_req, sizeof I->last_req);
    struct ike_hdr h = {.spi_i = I->spi_i,
                        .spi_r = I->spi_r,
                        .major = 2,
                        .exchange = exchange,
                        .flags = (uint8_t)((I->responder ? 0 : IKE_FLAG_INITIATOR) |
                                           (response ? IKE_FLAG_RESPONSE : 0)),
                        .msgid = msgid};
    ikew_hdr(w, &h);
    ikew_sk_begin(w, ike_suite_iv_len(&I->keys.suite));
}

static void req_begin(struct ini *I, struct ike_wbuf *w, uint8_t exchange)
{
    msg_begin(I, w, exchange, false, I->msgid);
}

/* Seal what msg_begin started and give it to the engine. */
static void msg_send(struct ini *I, struct ike_wbuf *w)
{
    size_t sk = w->sk_off;
    ikew_sk_end(w, ike_suite_block(&I->keys.suite), ike_suite_icv_len(&I->keys.suite));
    I->last_req_len = ikew_finish(w);
    assert_true(I->last_req_len > 0);
    assert_int_equal(
        ike_sk_seal(&I->keys, !I->responder, ++I->iv, I->last_req, I->last_req_len, sk), 0);
    feed(I, I->last_req, I->last_req_len);
}

static void req_send(struct ini *I, struct ike_wbuf *w)
{
    I->msgid++;
    msg_send(I, w);
}

/* Decrypt a message from the engine into pl[] (inner payloads). */
static int open_msg(struct ini *I, uint8_t *buf, size_t len, struct ike_msg *m, struct ike_pl *pl)
{
    uint8_t crit;
    assert_int_equal(ike_msg_parse(buf, len, m, &crit), IKE_DROP_NONE);
    assert_true(m->sk >= 0);
    /* The engine's I flag says it began this IKE SA. */
    assert_int_equal(!!(m->hdr.flags & IKE_FLAG_INITIATOR), I->responder);
    size_t sk_off = (size_t)(m->pl[m->sk].body - buf) - 4;
    const uint8_t *in;
    size_t il;
    assert_int_equal(ike_sk_open(&I->keys, I->responder, buf, len, sk_off, &in, &il), 0);
    int n = 0;
    assert_int_equal(ike_payloads_walk(m->sk_next, in, il, pl, IKE_MAX_PAYLOADS, &n, &crit), 0);
    return n;
}

static struct ike_ts_set any_ts(void)
{
    struct ike_ts_set s = {.n = 1};
    s.ts[0].type = IKE_TS_IPV4_ADDR_RANGE;
    s.ts[0].sport = 0, s.ts[0].eport = 65535;
    memset(s.ts[0].saddr, 0, 4);
    memset(s.ts[0].eaddr, 0xff, 4);
    return s;
}

static void esp_sa(struct ike_sa_pl *sa, uint32_t spi, uint16_t encr, uint16_t keylen,
                   uint16_t integ)
{
    memset(sa, 0, sizeof *sa);
    sa->nprop = 1;
    struct ike_proposal *p = &sa->prop[0];
    p->num = 1, p->proto = IKE_PROTO_ESP, p->spi_size = 4;
    uint32_t be = htonl(spi);
    memcpy(p->spi, &be, 4);
    ike_sa_pl_add_transform(sa, IKE_TT_ENCR, encr, keylen);
    if (integ) ike_sa_pl_add_transform(sa, IKE_TT_INTEG, integ, 0);
    ike_sa_pl_add_transform(sa, IKE_TT_ESN, IKE_ESN_NO, 0);
}

/* IKE_AUTH's payloads into an open request: PSK `key`, a CP request and one CHILD_SA. */
static void auth_payloads(struct ini *I, struct ike_wbuf *w, const char *id, const char *key)
{
    uint8_t idb[64] = {IKE_ID_FQDN, 0, 0, 0};
    size_t idl = strlen(id);
    memcpy(idb + 4, id, idl);
    ikew_id(w, IKE_PL_IDI, IKE_ID_FQDN, idb + 4, idl);
    if (I->initial_contact) ikew_notify(w, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
    size_t ol;
    uint8_t *oct = ike_signed_octets(I->prf, I->keys.sk_pi, I->keys.prf_len, I->init_req,
                                     I->init_req_len, I->nr, I->nrlen, idb, idl + 4, &ol);
    assert_non_null(oct);
    uint8_t auth[64];
    size_t al = ike_psk_auth(I->prf, (const uint8_t *)key, strlen(key), oct, ol, auth);
    free(oct);
    ikew_auth(w, IKE_AUTH_PSK, auth, al);
    struct ike_cp cp = {.cfg_type = IKE_CFG_REQUEST, .nattr = 2};
    cp.a[0] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_ADDRESS, 0, NULL};
    cp.a[1] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_DNS, 0, NULL};
    ikew_cp(w, &cp);
    struct ike_sa_pl *sa = malloc(sizeof *sa);
    assert_non_null(sa);
    esp_sa(sa, 0xcafe0001, I->esp_encr, I->esp_keylen, I->esp_integ);
    ikew_sa(w, sa);
    free(sa);
    struct ike_ts_set ts = any_ts();
    ikew_ts(w, IKE_PL_TSI, &ts);
    ikew_ts(w, IKE_PL_TSR, &ts);
}

/* IKE_AUTH (auth_payloads); returns the response length in resp. */
static size_t do_auth(struct ini *I, const char *id, const char *key, uint8_t *resp)
{
    struct ike_wbuf w;
    req_begin(I, &w, IKE_AUTH);
    auth_payloads(I, &w, id, key);
    req_send(I, &w);
    assert_int_equal(T.qn, 1);
    return pop_ike(resp);
}

/* The inner payloads of a successful IKE_AUTH answer, checked. */
static void check_auth_pl(struct ini *I, const struct ike_pl *pl, int n)
{
    /* Verify the responder's AUTH over its IKE_SA_INIT response (§2.15). */
    const struct ike_pl *pid = ike_pl_find(pl, n, IKE_PL_IDR);
    const struct ike_pl *pau = ike_pl_find(pl, n, IKE_PL_AUTH);
    assert_non_null(pid);
    assert_non_null(pau);
    struct ike_id idr;
    assert_int_equal(ike_parse_id(pid->body, pid->len, &idr), 0);
    assert_int_equal(idr.type, IKE_ID_IPV4_ADDR);
    assert_memory_equal(idr.data, &gw.addr, 4);
    size_t ol;
    uint8_t *oct =
        ike_signed_octets(I->prf, I->keys.sk_pr, I->keys.prf_len, I->init_resp, I->init_resp_len,
                          I->ni, sizeof I->ni, pid->body, pid->len, &ol);
    uint8_t want[64];
    size_t wl = ike_psk_auth(I->prf, (const uint8_t *)"cisco123", 8, oct, ol, want);
    free(oct);
    struct ike_auth au;
    assert_int_equal(ike_parse_auth(pau->body, pau->len, &au), 0);
    assert_int_equal(au.method, IKE_AUTH_PSK);
    assert_int_equal(au.len, wl);
    assert_memory_equal(au.data, want, wl);
    /* CP reply: the pool's first address, DNS, the split route. */
    const struct ike_pl *pcp = ike_pl_find(pl, n, IKE_PL_CP);
    assert_non_null(pcp);
    struct ike_cp cp;
    assert_int_equal(ike_parse_cp(pcp->body, pcp->len, &cp), 0);
    assert_int_equal(cp.cfg_type, IKE_CFG_REPLY);
    bool addr = false, dns = false, sub = false;
    for (int i = 0; i < cp.nattr; i++) {
        uint32_t v;
        if (cp.a[i].type == IKE_CA_INTERNAL_IP4_ADDRESS) {
            memcpy(&v, cp.a[i].value, 4);
            assert_int_equal(ntohl(v), 0xac100101);
            addr = true;
        } else if (cp.a[i].type == IKE_CA_INTERNAL_IP4_DNS) {
            memcpy(&v, cp.a[i].value, 4);
            assert_int_equal(ntohl(v), 0x08080808);
            dns = true;
        } else if (cp.a[i].type == IKE_CA_INTERNAL_IP4_SUBNET) {
            assert_int_equal(cp.a[i].len, 8);
            sub = true;
        }
    }
    assert_true(addr && dns && sub);
    /* CHILD_SA: our SPI echoed in the kernel's outbound SA, TSi narrowed to the address. */
    const struct ike_pl *psa = ike_pl_find(pl, n, IKE_PL_SA);
    const struct ike_pl *pti = ike_pl_find(pl, n, IKE_PL_TSI);
    assert_non_null(psa);
    assert_non_null(pti);
    struct ike_sa_pl sa;
    assert_int_equal(ike_parse_sa(psa->body, psa->len, &sa), 0);
    assert_int_equal(sa.prop[0].proto, IKE_PROTO_ESP);
    struct ike_ts_set tsi;
    assert_int_equal(ike_parse_ts(pti->body, pti->len, &tsi), 0);
    assert_int_equal(tsi.n, 1);
    uint32_t lo;
    memcpy(&lo, tsi.ts[0].saddr, 4);
    assert_int_equal(ntohl(lo), 0xac100101);
    assert_int_equal(T.added, 1);
    assert_int_equal(T.last.spi_out, 0xcafe0001);
    uint32_t their;
    memcpy(&their, sa.prop[0].spi, 4);
    assert_int_equal(T.last.spi_in, ntohl(their));
    /* The keys the engine installed are the initiator's KEYMAT (§2.17). */
    uint8_t km[2 * 36];
    assert_int_equal(ike_derive_child_keymat(&I->keys, NULL, 0, I->ni, sizeof I->ni, I->nr,
                                             I->nrlen, km, sizeof km),
                     0);
    assert_int_equal(T.last.enc_key_len, 36);
    assert_memory_equal(T.last_in, km, 36);
    assert_memory_equal(T.last_out, km + 36, 36);
}

static void check_auth_ok(struct ini *I, uint8_t *resp, size_t len)
{
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int n = open_msg(I, resp, len, &m, pl);
    check_auth_pl(I, pl, n);
}

static void establish_psk(struct ini *I)
{
    ini_new(I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    do_init(I);
    uint8_t resp[4096];
    size_t n = do_auth(I, "client1", "cisco123", resp);
    check_auth_ok(I, resp, n);
}

static void test_psk_session(void **state)
{
    (void)state;
    struct ini I;
    establish_psk(&I);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 1);
    assert_int_equal(st.half_open, 0);
    assert_int_equal(st.children, 1);
    struct strbuf sb = STRBUF_INIT;
    ike_show_sa(T.ike, true, &sb);
    assert_non_null(strstr(sb_str(&sb), "READY"));
    assert_non_null(strstr(sb_str(&sb), "Remote id: client1"));
    assert_non_null(strstr(sb_str(&sb), "Assigned host addr: 172.16.1.1"));
    sb_free(&sb);
}

static void test_gcm_ike_sa_all_groups(void **state)
{
    (void)state;
    const uint16_t groups[] = {IKE_DH_MODP2048, IKE_DH_ECP256, IKE_DH_CURVE25519};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        struct ini I;
        ini_new(&I, IKE_ENCR_AES_GCM_16, 256, 0, IKE_PRF_HMAC_SHA2_256, groups[g]);
        do_init(&I);
        uint8_t resp[4096];
        size_t n = do_auth(&I, "client1", "cisco123", resp);
        check_auth_ok(&I, resp, n);
        T.added = 0, T.next_addr = 0xac100101; /* the fake pool hands out the same again */
    }
}

static void test_wrong_psk_fails(void **state)
{
    (void)state;
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, IKE_DH_ECP256);
    do_init(&I);
    uint8_t resp[4096];
    size_t n = do_auth(&I, "client1", "wrong", resp);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(&I, resp, n, &m, pl);
    struct ike_notify nt;
    bool f;
    notify_of(pl, np, IKE_N_AUTHENTICATION_FAILED, &nt, &f);
    assert_true(f);
    assert_int_equal(T.added, 0);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.sa_failed_auth, 1);
    assert_int_equal(st.established, 0);
    /* The half-open SA disappears. */
    loop_advance(T.loop, 6000);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.half_open, 0);
}

static void test_retransmit_gets_cached_answer(void **state)
{
    (void)state;
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    build_init(&I, NULL, 0, 0, false);
    feed(&I, I.init_req, I.init_req_len);
    feed(&I, I.init_req, I.init_req_len);
    assert_int_equal(T.qn, 2);
    assert_int_equal(T.q[0].len, T.q[1].len);
    assert_memory_equal(T.q[0].buf, T.q[1].buf, T.q[0].len);
    T.qn = 0;
    /* Same for IKE_AUTH, and only one CHILD_SA is installed. */
    ike_dh_free(I.dh);
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    do_init(&I);
    uint8_t r1[4096], r2[4096];
    size_t n1 = do_auth(&I, "client1", "cisco123", r1);
    feed(&I, I.last_req, I.last_req_len);
    size_t n2 = pop(r2);
    assert_int_equal(n1, n2);
    assert_memory_equal(r1, r2, n1);
    assert_int_equal(T.added, 1);
    /* A message ID from the future is dropped and counted (window 1, §2.3). */
    struct ike_wbuf w;
    I.msgid = 7;
    req_begin(&I, &w, IKE_INFORMATIONAL);
    req_send(&I, &w);
    assert_int_equal(T.qn, 0);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.drops[IKE_DROP_MSGID], 1);
    assert_true(st.retransmits_answered >= 2);
}

static void test_invalid_ke_names_our_group(void **state)
{
    (void)state;
    T.only_group = IKE_DH_ECP384;
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    feed(&I, I.init_req, build_init(&I, NULL, 0, IKE_DH_ECP384, false));
    assert_int_equal(T.qn, 1);
    uint8_t b[4096];
    size_t n = pop(b);
    struct ike_msg m;
    uint8_t crit;
    assert_int_equal(ike_msg_parse(b, n, &m, &crit), 0);
    assert_int_equal(m.hdr.spi_r, 0);
    struct ike_notify nt;
    bool f;
    notify_of(m.pl, m.npl, IKE_N_INVALID_KE_PAYLOAD, &nt, &f);
    assert_true(f);
    assert_int_equal(nt.len, 2);
    assert_int_equal(nt.data[0] << 8 | nt.data[1], IKE_DH_ECP384);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.half_open, 0); /* no state kept */
    /* Not offered at all: NO_PROPOSAL_CHOSEN. */
    ike_dh_free(I.dh);
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    feed(&I, I.init_req, build_init(&I, NULL, 0, 0, false));
    n = pop(b);
    assert_int_equal(ike_msg_parse(b, n, &m, &crit), 0);
    notify_of(m.pl, m.npl, IKE_N_NO_PROPOSAL_CHOSEN, &nt, &f);
    assert_true(f);
    ike_dh_free(I.dh);
    /* Our group offered, but in a proposal we refuse for another transform (a PRF we do not
     * take, as Android 11's AES128-XCBC/HMAC-SHA1 against SHA-2 only): NO_PROPOSAL_CHOSEN at
     * once, not an INVALID_KE_PAYLOAD whose retry could only be refused. */
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, 4 /* PRF_AES128_XCBC */,
            IKE_DH_CURVE25519);
    feed(&I, I.init_req, build_init(&I, NULL, 0, IKE_DH_ECP384, false));
    assert_int_equal(T.qn, 1);
    n = pop(b);
    assert_int_equal(ike_msg_parse(b, n, &m, &crit), 0);
    notify_of(m.pl, m.npl, IKE_N_INVALID_KE_PAYLOAD, &nt, &f);
    assert_false(f);
    notify_of(m.pl, m.npl, IKE_N_NO_PROPOSAL_CHOSEN, &nt, &f);
    assert_true(f);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.invalid_ke_sent, 1);
    assert_int_equal(st.no_proposal_sent, 2);
    ike_dh_free(I.dh);
}

static void test_cookie_challenge(void **state)
{
    (void)state;
    T.cookie_at = 1;
    struct ini A, B;
    ini_new(&A, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    do_init(&A); /* one half-open SA: the threshold */
    ini_new(&B, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    B.me.addr = htonl(0x0a0a0a03);
    feed(&B, B.init_req, build_init(&B, NULL, 0, 0, false));
    uint8_t b[4096];
    size_t n = pop(b);
    struct ike_msg m;
    uint8_t crit;
    assert_int_equal(ike_msg_parse(b, n, &m, &crit), 0);
    struct ike_notify ck;
    bool f;
    notify_of(m.pl, m.npl, IKE_N_COOKIE, &ck, &f);
    assert_true(f);
    assert_int_equal(m.hdr.spi_r, 0);
    uint8_t cookie[64];
    size_t cl = ck.len;
    memcpy(cookie, ck.data, cl);
    /* A wrong cookie is refused with a fresh one; the right one goes through. */
    cookie[5] ^= 1;
    feed(&B, B.init_req, build_init(&B, cookie, cl, 0, false));
    n = pop(b);
    assert_int_equal(ike_msg_parse(b, n, &m, &crit), 0);
    notify_of(m.pl, m.npl, IKE_N_COOKIE, &ck, &f);
    assert_true(f);
    cookie[5] ^= 1;
    feed(&B, B.init_req, build_init(&B, cookie, cl, 0, false));
    n = pop(b);
    assert_int_equal(ike_msg_parse(b, n, &m, &crit), 0);
    assert_true(m.hdr.spi_r != 0);
    assert_non_null(ike_pl_find(m.pl, m.npl, IKE_PL_KE));
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.half_open, 2);
    assert_int_equal(st.cookies_sent, 2);
    assert_int_equal(st.drops[IKE_DROP_COOKIE], 1);
    ike_dh_free(B.dh);
}

static void test_limits(void **state)
{
    (void)state;
    T.max_neg = 1;
    struct ini A, B;
    ini_new(&A, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    do_init(&A);
    ini_new(&B, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    feed(&B, B.init_req, build_init(&B, NULL, 0, 0, false));
    assert_int_equal(T.qn, 0);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.drops[IKE_DROP_LIMIT], 1);
    ike_dh_free(B.dh);
}

static void test_kernel_refuses_child(void **state)
{
    (void)state;
    T.kernel_err = ENOSYS;
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    do_init(&I);
    uint8_t resp[4096];
    size_t n = do_auth(&I, "client1", "cisco123", resp);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(&I, resp, n, &m, pl);
    assert_non_null(ike_pl_find(pl, np, IKE_PL_AUTH));
    assert_null(ike_pl_find(pl, np, IKE_PL_SA));
    struct ike_notify nt;
    bool f;
    notify_of(pl, np, IKE_N_NO_PROPOSAL_CHOSEN, &nt, &f);
    assert_true(f);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 1); /* the IKE SA carries on */
    assert_int_equal(st.children, 0);
    assert_int_equal(st.child_failed, 1);
}

static void delete_ike(struct ini *I)
{
    struct ike_wbuf w;
    req_begin(I, &w, IKE_INFORMATIONAL);
    struct ike_delete d = {.proto = IKE_PROTO_IKE};
    ikew_delete(&w, &d);
    req_send(I, &w);
}

/* Our CREATE_CHILD_SA rekeying the CHILD_SA we receive on `old` (§1.3.3): AES-GCM-256 to our
 * new SPI `spi`, nonce ni, TSi our pool address, TSr anything. */
static void req_child_rekey(struct ini *I, uint32_t old, uint32_t spi, const uint8_t *ni,
                            size_t nilen)
{
    struct ike_wbuf w;
    req_begin(I, &w, IKE_CREATE_CHILD_SA);
    uint32_t be = htonl(old);
    ikew_notify(&w, IKE_PROTO_ESP, (const uint8_t *)&be, 4, IKE_N_REKEY_SA, NULL, 0);
    struct ike_sa_pl *sa = malloc(sizeof *sa);
    assert_non_null(sa);
    esp_sa(sa, spi, IKE_ENCR_AES_GCM_16, 256, 0);
    ikew_sa(&w, sa);
    free(sa);
    ikew_nonce(&w, ni, nilen);
    struct ike_ts_set ts = any_ts();
    ts.ts[0].eaddr[0] = 0xac, ts.ts[0].eaddr[1] = 0x10, ts.ts[0].eaddr[2] = 1,
    ts.ts[0].eaddr[3] = 1;
    memcpy(ts.ts[0].saddr, ts.ts[0].eaddr, 4);
    ikew_ts(&w, IKE_PL_TSI, &ts);
    struct ike_ts_set any = any_ts();
    ikew_ts(&w, IKE_PL_TSR, &any);
    req_send(I, &w);
}

/* Timers of the engine that the tests wait out (ike_internal.h). */
#define HALF_OPEN_MS 30000    /* IKE_HALF_OPEN_MS */
#define FRAG_TIMEOUT_MS 30000 /* IKE_FRAG_TIMEOUT_MS */

/* An IKE_AUTH answer that authenticated us and made the CHILD_SA: AUTH, SA, no error. */
static void check_auth_up(struct ini *I, uint8_t *resp, size_t len)
{
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int n = open_msg(I, resp, len, &m, pl);
    assert_non_null(ike_pl_find(pl, n, IKE_PL_AUTH));
    assert_non_null(ike_pl_find(pl, n, IKE_PL_SA));
    for (int i = 0; i < n; i++) {
        struct ike_notify nt;
        if (pl[i].type == IKE_PL_NOTIFY && !ike_parse_notify(pl[i].body, pl[i].len, &nt))
            assert_true(nt.type >= 16384);
    }
}

/* A liveness check (empty INFORMATIONAL, §2.4) on I's SA is answered on the same SPIs. */
static void check_alive(struct ini *I)
{
    struct ike_wbuf w;
    req_begin(I, &w, IKE_INFORMATIONAL);
    req_send(I, &w);
    assert_int_equal(T.qn, 1);
    uint8_t b[4096];
    size_t n = pop_ike(b);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    assert_int_equal(open_msg(I, b, n, &m, pl), 0);
    assert_true(m.hdr.flags & IKE_FLAG_RESPONSE);
    assert_int_equal(m.hdr.msgid, I->msgid - 1);
    assert_true(m.hdr.spi_i == I->spi_i);
    assert_true(m.hdr.spi_r == I->spi_r);
}

/* A request of the engine's, popped (into b) and opened. */
static int pop_request(struct ini *I, uint8_t *b, struct ike_msg *m, struct ike_pl *pl,
                       uint8_t exchange)
{
    assert_true(T.qn > 0);
    size_t n = pop_ike(b);
    int np = open_msg(I, b, n, m, pl);
    assert_false(m->hdr.flags & IKE_FLAG_RESPONSE);
    assert_int_equal(m->hdr.exchange, exchange);
    return np;
}

/* Our answer to the engine's request msgid: empty, or one notify of `type`. */
static void answer(struct ini *I, uint8_t exchange, uint32_t msgid, uint16_t type)
{
    struct ike_wbuf w;
    msg_begin(I, &w, exchange, true, msgid);
    if (type) ikew_notify(&w, 0, NULL, 0, type, NULL, 0);
    msg_send(I, &w);
}

static uint32_t spi_of(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
}

/* The engine's INFORMATIONAL request with a DELETE, popped into *d; returns its message ID. */
static uint32_t read_delete(struct ini *I, struct ike_delete *d)
{
    uint8_t b[4096];
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = pop_request(I, b, &m, pl, IKE_INFORMATIONAL);
    const struct ike_pl *pd = ike_pl_find(pl, np, IKE_PL_DELETE);
    assert_non_null(pd);
    assert_int_equal(ike_parse_delete(pd->body, pd->len, d), 0);
    return m.hdr.msgid;
}

/* The engine closes the CHILD_SA whose inbound SPI is spi_in (§1.4.1); we answer. */
static void expect_child_delete(struct ini *I, uint32_t spi_in)
{
    struct ike_delete d;
    uint32_t id = read_delete(I, &d);
    assert_int_equal(d.proto, IKE_PROTO_ESP);
    assert_int_equal(d.nspi, 1);
    assert_int_equal(spi_of(d.spi[0]), spi_in);
    answer(I, IKE_INFORMATIONAL, id, 0);
}

/* We close the CHILD_SA we receive on spi; the engine's answer names its inbound SPI of it. */
static uint32_t delete_child(struct ini *I, uint32_t spi)
{
    struct ike_wbuf w;
    req_begin(I, &w, IKE_INFORMATIONAL);
    struct ike_delete d = {.proto = IKE_PROTO_ESP, .spi_size = 4, .nspi = 1};
    uint32_t be = htonl(spi);
    memcpy(d.spi[0], &be, 4);
    ikew_delete(&w, &d);
    req_send(I, &w);
    assert_int_equal(T.qn, 1);
    uint8_t b[4096];
    size_t n = pop_ike(b);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(I, b, n, &m, pl);
    assert_true(m.hdr.flags & IKE_FLAG_RESPONSE);
    const struct ike_pl *pd = ike_pl_find(pl, np, IKE_PL_DELETE);
    assert_non_null(pd);
    assert_int_equal(ike_parse_delete(pd->body, pd->len, &d), 0);
    assert_int_equal(d.nspi, 1);
    return spi_of(d.spi[0]);
}

/* What the engine asks in its CREATE_CHILD_SA for a CHILD_SA (§1.3.1, §1.3.3). */
struct child_req {
    uint32_t msgid;
    uint32_t rekey_spi; /* N(REKEY_SA): the CHILD_SA replaced, by the engine's inbound SPI */
    uint32_t spi;       /* the engine's new inbound SPI */
    uint8_t propnum;    /* its proposal with AES-GCM-256 */
    uint8_t ni[IKE_NONCE_MAX];
    size_t nilen;
    struct ike_ts_set tsi, tsr;
};

static void read_child_req(struct ini *I, struct child_req *r)
{
    uint8_t b[4096];
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = pop_request(I, b, &m, pl, IKE_CREATE_CHILD_SA);
    memset(r, 0, sizeof *r);
    r->msgid = m.hdr.msgid;
    struct ike_notify nt;
    bool f;
    notify_of(pl, np, IKE_N_REKEY_SA, &nt, &f);
    if (f) {
        assert_int_equal(nt.proto, IKE_PROTO_ESP);
        assert_int_equal(nt.spi_size, 4);
        r->rekey_spi = spi_of(nt.spi);
    }
    const struct ike_pl *psa = ike_pl_find(pl, np, IKE_PL_SA);
    const struct ike_pl *pno = ike_pl_find(pl, np, IKE_PL_NONCE);
    const struct ike_pl *pti = ike_pl_find(pl, np, IKE_PL_TSI);
    const struct ike_pl *ptr = ike_pl_find(pl, np, IKE_PL_TSR);
    assert_non_null(psa);
    assert_non_null(pno);
    assert_non_null(pti);
    assert_non_null(ptr);
    assert_null(ike_pl_find(pl, np, IKE_PL_KE)); /* the profile has no PFS */
    struct ike_sa_pl *sa = malloc(sizeof *sa);
    assert_non_null(sa);
    assert_int_equal(ike_parse_sa(psa->body, psa->len, sa), 0);
    for (int i = 0; i < sa->nprop; i++) {
        const struct ike_proposal *p = &sa->prop[i];
        assert_int_equal(p->proto, IKE_PROTO_ESP);
        assert_int_equal(p->spi_size, 4);
        const struct ike_transform *t = ike_prop_transforms(sa, p);
        for (int k = 0; k < p->ntrans && !r->propnum; k++)
            if (t[k].type == IKE_TT_ENCR && t[k].id == IKE_ENCR_AES_GCM_16 && t[k].keylen == 256)
                r->propnum = p->num, r->spi = spi_of(p->spi);
    }
    free(sa);
    assert_true(r->propnum != 0);
    memcpy(r->ni, pno->body, pno->len);
    r->nilen = pno->len;
    assert_int_equal(ike_parse_ts(pti->body, pti->len, &r->tsi), 0);
    assert_int_equal(ike_parse_ts(ptr->body, ptr->len, &r->tsr), 0);
}

/* Our answer to it as responder: AES-GCM-256 to our SPI `spi`, Nr, the selectors as asked. */
static void answer_child_req(struct ini *I, const struct child_req *r, uint32_t spi,
                             const uint8_t *nr, size_t nrlen)
{
    struct ike_wbuf w;
    msg_begin(I, &w, IKE_CREATE_CHILD_SA, true, r->msgid);
    struct ike_sa_pl *sa = malloc(sizeof *sa);
    assert_non_null(sa);
    esp_sa(sa, spi, IKE_ENCR_AES_GCM_16, 256, 0);
    sa->prop[0].num = r->propnum;
    ikew_sa(&w, sa);
    free(sa);
    ikew_nonce(&w, nr, nrlen);
    ikew_ts(&w, IKE_PL_TSI, &r->tsi);
    ikew_ts(&w, IKE_PL_TSR, &r->tsr);
    msg_send(I, &w);
}

/* Does `show crypto ipsec sa` list a CHILD_SA that sends to spi? */
static bool shows_spi_out(uint32_t spi)
{
    struct strbuf sb = STRBUF_INIT;
    ike_show_ipsec_sa(T.ike, 0, &sb);
    char want[64];
    snprintf(want, sizeof want, "current outbound spi: 0x%X(", spi);
    bool found = strstr(sb_str(&sb), want) != NULL;
    sb_free(&sb);
    return found;
}

/* RFC 7383: a message fragmented by the tests, or by the engine. The IP datagram size
 * configured is small enough that the IKE_AUTH answer is cut too. */
#define FRAG_MTU 200
#define MAX_FRAGS 8

struct frags {
    int n;
    size_t len[MAX_FRAGS];
    uint8_t b[MAX_FRAGS][1024];
};

/* The request begun in w (payloads appended, SK still open) cut into n Encrypted Fragments
 * (§2.5), each sealed on its own under a copy of the header; not sent. Uses up the message
 * ID. */
static void req_frags(struct ini *I, struct ike_wbuf *w, int n, struct frags *f)
{
    size_t ivl = ike_suite_iv_len(&I->keys.suite), icv = ike_suite_icv_len(&I->keys.suite);
    size_t block = ike_suite_block(&I->keys.suite);
    const uint8_t *content = w->buf + w->sk_body + ivl;
    size_t clen = w->len - w->sk_body - ivl, room = (clen + (size_t)n - 1) / (size_t)n;
    assert_true(n >= 1 && n <= MAX_FRAGS && clen > room * (size_t)(n - 1));
    struct ike_hdr h = {.spi_i = I->spi_i,
                        .spi_r = I->spi_r,
                        .major = 2,
                        .exchange = w->buf[18],
                        .flags = w->buf[19],
                        .msgid = I->msgid};
    f->n = n;
    for (int i = 0; i < n; i++) {
        size_t off = (size_t)i * room, len = clen - off < room ? clen - off : room;
        struct ike_wbuf fw;
        ikew_init(&fw, f->b[i], sizeof f->b[i]);
        ikew_hdr(&fw, &h);
        ikew_skf(&fw, i ? IKE_PL_NONE : w->buf[w->sk_off], (uint16_t)(i + 1), (uint16_t)n, ivl,
                 content + off, len, block, icv);
        f->len[i] = ikew_finish(&fw);
        assert_true(f->len[i] > 0);
        assert_int_equal(
            ike_skf_seal(&I->keys, !I->responder, ++I->iv, f->b[i], f->len[i], fw.sk_off), 0);
    }
    I->msgid++;
}

/* The engine's next message, sent as fragments: every datagram within the MTU, each verified
 * and decrypted, the content joined (into `joined`) and walked into pl[]. *m gets the last
 * fragment's header, *nfrag their number. */
static int pop_frags(struct ini *I, uint8_t *joined, struct ike_msg *m, struct ike_pl *pl,
                     int *nfrag)
{
    static uint8_t part[MAX_FRAGS][1024];
    size_t partlen[MAX_FRAGS];
    bool have[MAX_FRAGS] = {false};
    int total = 0, got = 0;
    uint8_t first = 0, crit;
    while (!total || got < total) {
        assert_true(T.qn > 0);
        assert_true(T.q[0].len <= FRAG_MTU - 28); /* IPv4 and UDP headers */
        uint8_t b[4096];
        size_t n = pop_ike(b);
        assert_int_equal(ike_msg_parse(b, n, m, &crit), IKE_DROP_NONE);
        assert_true(m->sk >= 0);
        assert_int_equal(m->pl[m->sk].type, IKE_PL_SKF);
        const uint8_t *body = m->pl[m->sk].body;
        int num = body[0] << 8 | body[1], tot = body[2] << 8 | body[3];
        if (!total) total = tot;
        assert_int_equal(tot, total);
        assert_true(num >= 1 && num <= total && total <= MAX_FRAGS && !have[num - 1]);
        if (num == 1) first = m->sk_next;
        const uint8_t *in;
        size_t il;
        assert_int_equal(
            ike_skf_open(&I->keys, I->responder, b, n, (size_t)(body - b) - 4, &in, &il), 0);
        memcpy(part[num - 1], in, il);
        partlen[num - 1] = il;
        have[num - 1] = true;
        got++;
    }
    size_t jl = 0;
    for (int i = 0; i < total; i++) {
        memcpy(joined + jl, part[i], partlen[i]);
        jl += partlen[i];
    }
    int np = 0;
    assert_int_equal(ike_payloads_walk(first, joined, jl, pl, IKE_MAX_PAYLOADS, &np, &crit), 0);
    *nfrag = total;
    return np;
}

/* An SA payload body of n IKE proposals numbered 1..n (§3.3.1), more than struct ike_sa_pl
 * holds: each 3DES (which the gateway refuses) but proposal `good`, AES-CBC-256; all with
 * PRF and integrity SHA-256 and X25519. */
static size_t many_props(uint8_t *out, size_t cap, int n, int good)
{
    size_t off = 0;
    for (int i = 1; i <= n; i++) {
        const uint16_t t[4][3] = {
            {IKE_TT_ENCR, i == good ? IKE_ENCR_AES_CBC : 3 /* 3DES */, i == good ? 256 : 0},
            {IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0},
            {IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0},
            {IKE_TT_DH, IKE_DH_CURVE25519, 0}};
        size_t start = off;
        assert_true(off + 8 + 4 * 12 <= cap);
        uint8_t *p = out + off;
        p[0] = i < n ? 2 : 0, p[1] = 0, p[4] = (uint8_t)i, p[5] = IKE_PROTO_IKE, p[6] = 0, p[7] = 4;
        off += 8;
        for (int k = 0; k < 4; k++) {
            uint8_t *d = out + off;
            size_t tl = t[k][2] ? 12 : 8;
            d[0] = k < 3 ? 3 : 0, d[1] = 0, d[2] = 0, d[3] = (uint8_t)tl;
            d[4] = (uint8_t)t[k][0], d[5] = 0, d[6] = (uint8_t)(t[k][1] >> 8),
            d[7] = (uint8_t)t[k][1];
            if (t[k][2]) /* Key Length, TV (§3.3.5) */
                d[8] = 0x80, d[9] = 14, d[10] = (uint8_t)(t[k][2] >> 8), d[11] = (uint8_t)t[k][2];
            off += tl;
        }
        out[start + 2] = (uint8_t)((off - start) >> 8), out[start + 3] = (uint8_t)(off - start);
    }
    return off;
}

static void add_transforms(struct ike_sa_pl *sa, uint8_t type, const uint16_t *ids, size_t n,
                           uint16_t keylen)
{
    for (size_t i = 0; i < n; i++) assert_true(ike_sa_pl_add_transform(sa, type, ids[i], keylen));
}
#define ADD_TRANSFORMS(sa, type, ids, keylen)                                                      \
    add_transforms(sa, type, ids, sizeof(ids) / sizeof(ids[0]), keylen)

static void test_delete_from_peer(void **state)
{
    (void)state;
    struct ini I;
    establish_psk(&I);
    delete_ike(&I);
    assert_int_equal(T.qn, 1);
    uint8_t b[4096];
    size_t n = pop(b);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    open_msg(&I, b, n, &m, pl);
    assert_true(m.hdr.flags & IKE_FLAG_RESPONSE);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 0);
    assert_int_equal(st.children, 0);
    assert_int_equal(T.deleted, 1);
    assert_int_equal(T.released, 0xac100101);
}

static void test_child_delete_and_rekey(void **state)
{
    (void)state;
    struct ini I;
    establish_psk(&I);
    uint32_t old_in = T.last.spi_in;
    /* Rekey the CHILD_SA (§1.3.3): REKEY_SA names the SPI the initiator receives on, which
     * is our outbound. */
    uint8_t ni2[32];
    ike_random(ni2, sizeof ni2);
    req_child_rekey(&I, 0xcafe0001, 0xcafe0002, ni2, sizeof ni2);
    struct ike_wbuf w;
    uint32_t be = htonl(0xcafe0001);
    uint8_t b[4096];
    size_t n = pop(b);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(&I, b, n, &m, pl);
    assert_non_null(ike_pl_find(pl, np, IKE_PL_SA));
    const struct ike_pl *pno = ike_pl_find(pl, np, IKE_PL_NONCE);
    assert_non_null(pno);
    assert_int_equal(T.added, 2);
    assert_int_equal(T.last.spi_out, 0xcafe0002);
    uint8_t km[72];
    assert_int_equal(ike_derive_child_keymat(&I.keys, NULL, 0, ni2, sizeof ni2, pno->body, pno->len,
                                             km, sizeof km),
                     0);
    assert_memory_equal(T.last_in, km, 36);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.children, 2);
    assert_int_equal(st.child_rekeys, 1);
    /* Delete the old one; the answer names our inbound SPI of it. */
    req_begin(&I, &w, IKE_INFORMATIONAL);
    struct ike_delete d = {.proto = IKE_PROTO_ESP, .spi_size = 4, .nspi = 1};
    memcpy(d.spi[0], &be, 4);
    ikew_delete(&w, &d);
    req_send(&I, &w);
    n = pop(b);
    np = open_msg(&I, b, n, &m, pl);
    const struct ike_pl *pd = ike_pl_find(pl, np, IKE_PL_DELETE);
    assert_non_null(pd);
    struct ike_delete got;
    assert_int_equal(ike_parse_delete(pd->body, pd->len, &got), 0);
    assert_int_equal(got.nspi, 1);
    uint32_t spi;
    memcpy(&spi, got.spi[0], 4);
    assert_int_equal(ntohl(spi), old_in);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.children, 1);
    assert_int_equal(T.deleted, 1);
}

static void test_ike_rekey(void **state)
{
    (void)state;
    struct ini I;
    establish_psk(&I);
    struct ike_wbuf w;
    req_begin(&I, &w, IKE_CREATE_CHILD_SA);
    struct ike_sa_pl sa = {.nprop = 1};
    struct ike_proposal *p = &sa.prop[0];
    uint64_t new_spi_i = 0x1122334455667788ULL;
    p->num = 1, p->proto = IKE_PROTO_IKE, p->spi_size = 8;
    put64(p->spi, new_spi_i);
    ike_sa_pl_add_transform(&sa, IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256);
    ike_sa_pl_add_transform(&sa, IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0);
    ike_sa_pl_add_transform(&sa, IKE_TT_DH, IKE_DH_ECP256, 0);
    ikew_sa(&w, &sa);
    uint8_t ni2[32];
    ike_random(ni2, sizeof ni2);
    ikew_nonce(&w, ni2, sizeof ni2);
    struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
    uint8_t pub[IKE_MAX_DH_LEN];
    size_t pl_ = ike_dh_public(dh, pub, sizeof pub);
    ikew_ke(&w, IKE_DH_ECP256, pub, pl_);
    req_send(&I, &w);
    uint8_t b[4096];
    size_t n = pop(b);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(&I, b, n, &m, pl);
    const struct ike_pl *psa = ike_pl_find(pl, np, IKE_PL_SA);
    const struct ike_pl *pke = ike_pl_find(pl, np, IKE_PL_KE);
    const struct ike_pl *pno = ike_pl_find(pl, np, IKE_PL_NONCE);
    assert_non_null(psa);
    assert_non_null(pke);
    assert_non_null(pno);
    struct ike_sa_pl rsa;
    assert_int_equal(ike_parse_sa(psa->body, psa->len, &rsa), 0);
    assert_int_equal(rsa.prop[0].spi_size, 8);
    uint64_t new_spi_r = 0;
    for (int i = 0; i < 8; i++) new_spi_r = new_spi_r << 8 | rsa.prop[0].spi[i];
    struct ike_ke ke;
    assert_int_equal(ike_parse_ke(pke->body, pke->len, &ke), 0);
    uint8_t gir[IKE_MAX_DH_LEN];
    size_t gl = ike_dh_shared(dh, ke.data, ke.len, gir, sizeof gir);
    ike_dh_free(dh);
    struct ini J = I;
    struct ike_suite s = {IKE_ENCR_AES_GCM_16, 256, 0, IKE_PRF_HMAC_SHA2_256, IKE_DH_ECP256};
    assert_int_equal(ike_derive_rekeyed_keys(I.prf, I.keys.sk_d, I.keys.prf_len, &s, ni2,
                                             sizeof ni2, pno->body, pno->len, gir, gl, new_spi_i,
                                             new_spi_r, &J.keys),
                     0);
    J.spi_i = new_spi_i, J.spi_r = new_spi_r, J.msgid = 0;
    /* The old SA is deleted by the initiator; the new one answers a liveness check. */
    delete_ike(&I);
    n = pop(b);
    open_msg(&I, b, n, &m, pl);
    req_begin(&J, &w, IKE_INFORMATIONAL);
    req_send(&J, &w);
    n = pop(b);
    open_msg(&J, b, n, &m, pl);
    assert_int_equal(m.hdr.spi_r, new_spi_r);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 1);
    assert_int_equal(st.children, 1); /* moved to the new SA, not deleted */
    assert_int_equal(T.deleted, 0);
    assert_int_equal(st.ike_rekeys, 1);
}

static void test_dpd_detects_dead_peer(void **state)
{
    (void)state;
    T.dpd = IKE_DPD_PERIODIC;
    struct ini I;
    establish_psk(&I);
    loop_advance(T.loop, 10000);
    assert_int_equal(T.qn, 1); /* the liveness check */
    uint8_t b[4096];
    size_t n = pop(b);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(&I, b, n, &m, pl);
    assert_int_equal(np, 0);
    assert_int_equal(m.hdr.exchange, IKE_INFORMATIONAL);
    assert_false(m.hdr.flags & IKE_FLAG_RESPONSE);
    /* No answers: retries every 2 s, then the SA goes. */
    loop_advance(T.loop, 2000 * 5 + 100);
    assert_true(T.qn >= 4);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 0);
    assert_int_equal(st.dpd_dead, 1);
    assert_int_equal(T.deleted, 1);
}

static void test_natt_marker_and_garbage(void **state)
{
    (void)state;
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    build_init(&I, NULL, 0, 0, false);
    struct ike_ep g4500 = gw, c4500 = cl;
    g4500.port = 4500, c4500.port = 4500;
    uint8_t buf[4096] = {0};
    memcpy(buf + 4, I.init_req, I.init_req_len);
    ike_input(T.ike, &g4500, &c4500, buf, I.init_req_len + 4);
    assert_int_equal(T.qn, 1);
    assert_int_equal(T.q[0].len > 4, 1);
    assert_int_equal(T.q[0].buf[0] | T.q[0].buf[1] | T.q[0].buf[2] | T.q[0].buf[3], 0);
    T.qn = 0;
    buf[0] = 1; /* ESP, not for us */
    ike_input(T.ike, &g4500, &c4500, buf, I.init_req_len + 4);
    uint8_t ka = 0xff;
    ike_input(T.ike, &g4500, &c4500, &ka, 1);
    /* Garbage of every length never crashes or answers. */
    for (size_t len = 0; len < 200; len++) {
        uint8_t junk[200];
        ike_random(junk, len);
        ike_input(T.ike, &gw, &cl, junk, len);
    }
    assert_int_equal(T.qn, 0);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.drops[IKE_DROP_NON_ESP_MARKER], 1);
    assert_int_equal(st.drops[IKE_DROP_KEEPALIVE], 1);
    ike_dh_free(I.dh);
}

static bool pick_other(void *ctx, const struct ike_ep *local, const struct ike_ep *client,
                       uint8_t phase, const char *profile, uint32_t *target)
{
    (void)ctx, (void)local, (void)client, (void)profile;
    if (phase != IKE_SA_INIT) return false;
    *target = htonl(0x0a0a0a09);
    return true;
}

static void test_redirect_at_init(void **state)
{
    (void)state;
    struct ike_redirect_port rp = {NULL, pick_other};
    ike_set_redirect(T.ike, &rp);
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    feed(&I, I.init_req, build_init(&I, NULL, 0, 0, true));
    uint8_t b[4096];
    size_t n = pop(b);
    struct ike_msg m;
    uint8_t crit;
    assert_int_equal(ike_msg_parse(b, n, &m, &crit), 0);
    assert_int_equal(m.hdr.spi_r, 0);
    struct ike_notify nt;
    bool f;
    notify_of(m.pl, m.npl, IKE_N_REDIRECT, &nt, &f);
    assert_true(f);
    struct ike_redirect rd;
    assert_int_equal(ike_parse_redirect(nt.data, nt.len, &rd), 0);
    assert_int_equal(rd.gw_type, 1);
    assert_int_equal(rd.nonce_len, sizeof I.ni);
    assert_memory_equal(rd.nonce, I.ni, sizeof I.ni);
    /* A client without REDIRECT_SUPPORTED is served. */
    ike_dh_free(I.dh);
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    do_init(&I);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.redirects, 1);
    assert_int_equal(st.half_open, 1);
}

static bool pick_at_auth(void *ctx, const struct ike_ep *local, const struct ike_ep *client,
                         uint8_t phase, const char *profile, uint32_t *target)
{
    (void)ctx, (void)local, (void)client;
    if (phase != IKE_AUTH || strcmp(profile, "default")) return false;
    *target = htonl(0x0a0a0a09);
    return true;
}

/* RFC 5685 §6: after the client's AUTH verified, IDr + AUTH + N(REDIRECT) without a nonce, no
 * CHILD_SA, no pool address; the SA then answers the client's DELETE and is gone. */
static void test_redirect_at_auth(void **state)
{
    (void)state;
    struct ike_redirect_port rp = {NULL, pick_at_auth};
    ike_set_redirect(T.ike, &rp);
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    do_init_redir(&I, true); /* answered, not redirected: the port says no at IKE_SA_INIT */
    struct ike_msg m;
    uint8_t resp[4096];
    size_t n = do_auth(&I, "client1", "cisco123", resp);
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(&I, resp, n, &m, pl);
    assert_non_null(ike_pl_find(pl, np, IKE_PL_AUTH));
    assert_null(ike_pl_find(pl, np, IKE_PL_SA));
    assert_null(ike_pl_find(pl, np, IKE_PL_CP));
    struct ike_notify nt;
    bool f;
    notify_of(pl, np, IKE_N_REDIRECT, &nt, &f);
    assert_true(f);
    struct ike_redirect rd;
    assert_int_equal(ike_parse_redirect(nt.data, nt.len, &rd), 0);
    assert_int_equal(rd.nonce_len, 0);
    assert_int_equal(T.added, 0);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 0);
    assert_int_equal(st.redirects, 1);
    delete_ike(&I);
    assert_int_equal(T.qn, 1);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.half_open, 0);
}

/* NAT-T float, then a replay (the use-after-free of the half-open table keyed by an address
 * that moved): IKE_SA_INIT from port 500, IKE_AUTH from 4500 with an identity no profile
 * takes; the IKE_SA_INIT again from 500 gets the cached answer from 500, another one with the
 * same SPIi is dropped, and the SA times out cleanly (ASan watches the whole binary). */
static void test_natt_float_failed_auth_then_replay(void **state)
{
    (void)state;
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    do_init(&I);
    float_4500(&I);
    uint8_t resp[4096];
    size_t n = do_auth(&I, "nobody", "cisco123", resp);
    assert_int_equal(T.popped_from.port, 4500);
    assert_int_equal(T.popped_to.port, 4500);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(&I, resp, n, &m, pl);
    struct ike_notify nt;
    bool f;
    notify_of(pl, np, IKE_N_AUTHENTICATION_FAILED, &nt, &f);
    assert_true(f);
    /* §2.1: the IKE_SA_INIT retransmitted from 500 is answered the same, to where it came. */
    I.natt = false, I.me.port = 500;
    feed(&I, I.init_req, I.init_req_len);
    assert_int_equal(T.qn, 1);
    uint8_t b[4096];
    n = pop(b);
    assert_int_equal(T.popped_from.port, 500);
    assert_int_equal(T.popped_to.port, 500);
    assert_int_equal(T.popped_to.addr, cl.addr);
    assert_int_equal(n, I.init_resp_len);
    assert_memory_equal(b, I.init_resp, n);
    /* The same SPIi with other bytes (a new nonce) is no retransmission: dropped. */
    struct ini J = I;
    ike_random(J.ni, sizeof J.ni);
    feed(&J, J.init_req, build_init(&J, NULL, 0, 0, false));
    ike_dh_free(J.dh);
    assert_int_equal(T.qn, 0);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.drops[IKE_DROP_SPI], 1);
    assert_int_equal(st.retransmits_answered, 1);
    assert_int_equal(st.sa_failed_auth, 1);
    assert_int_equal(st.half_open, 1);
    loop_advance(T.loop, HALF_OPEN_MS + 1000);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.half_open, 0);
    assert_int_equal(st.established, 0);
    /* Its SPIi is free again. */
    ini_new(&J, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    J.spi_i = I.spi_i;
    do_init(&J);
}

/* An SA set up over 4500 and deleted by the client; the client starts over from 500 with the
 * same SPIi: a new SA, which works. */
static void test_natt_deleted_spi_reused(void **state)
{
    (void)state;
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    do_init(&I);
    float_4500(&I);
    uint8_t resp[4096];
    size_t n = do_auth(&I, "client1", "cisco123", resp);
    assert_int_equal(T.popped_from.port, 4500);
    check_auth_ok(&I, resp, n);
    check_alive(&I);
    delete_ike(&I);
    assert_int_equal(T.qn, 1);
    n = pop_ike(resp);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    open_msg(&I, resp, n, &m, pl);
    assert_true(m.hdr.flags & IKE_FLAG_RESPONSE);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 0);
    struct ini J;
    ini_new(&J, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    J.spi_i = I.spi_i;
    T.added = 0, T.next_addr = 0xac100101; /* the fake pool hands out the same again */
    do_init(&J);
    assert_true(J.spi_r != I.spi_r);
    n = do_auth(&J, "client1", "cisco123", resp);
    assert_int_equal(T.popped_from.port, 500);
    check_auth_ok(&J, resp, n);
    check_alive(&J);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 1);
    assert_int_equal(st.half_open, 0);
}

/* strongSwan's default IKE proposal: two proposals of ~40 transforms, most of them algorithms
 * the gateway does not have; the first of each type it has is taken. */
static void test_strongswan_default_proposal(void **state)
{
    (void)state;
    static const uint16_t encr[] = {IKE_ENCR_AES_CBC, 13 /* AES-CTR */, 23 /* CAMELLIA-CBC */,
                                    24 /* CAMELLIA-CTR */};
    static const uint16_t aead[] = {IKE_ENCR_AES_GCM_16, 19 /* GCM-12 */, 18 /* GCM-8 */,
                                    16 /* CCM-16 */,     15 /* CCM-12 */, 14 /* CCM-8 */};
    static const uint16_t integ[] = {IKE_INTEG_HMAC_SHA2_256_128, IKE_INTEG_HMAC_SHA2_384_192,
                                     IKE_INTEG_HMAC_SHA2_512_256, IKE_INTEG_HMAC_SHA1_96,
                                     5 /* AES-XCBC-96 */,         8 /* AES-CMAC-96 */};
    static const uint16_t prf[] = {IKE_PRF_HMAC_SHA2_256, IKE_PRF_HMAC_SHA2_384,
                                   IKE_PRF_HMAC_SHA2_512, IKE_PRF_HMAC_SHA1,
                                   4 /* AES128-XCBC */,   8 /* AES128-CMAC */};
    static const uint16_t dh[] = {IKE_DH_CURVE25519,
                                  32,
                                  IKE_DH_ECP256,
                                  IKE_DH_ECP384,
                                  IKE_DH_ECP521,
                                  28,
                                  29,
                                  30,
                                  IKE_DH_MODP3072,
                                  IKE_DH_MODP4096,
                                  17,
                                  18,
                                  IKE_DH_MODP2048};
    static const uint16_t keylens[] = {128, 192, 256};
    static const uint16_t chacha[] = {28}, tdes[] = {3};
    struct ike_sa_pl *sa = malloc(sizeof *sa);
    assert_non_null(sa);
    sa->nprop = sa->ntrans = sa->skipped = 0;
    assert_true(ike_sa_pl_add_prop(sa, 1, IKE_PROTO_IKE, NULL, 0));
    for (size_t i = 0; i < sizeof encr / sizeof encr[0]; i++)
        for (size_t k = 0; k < 3; k++) add_transforms(sa, IKE_TT_ENCR, &encr[i], 1, keylens[k]);
    ADD_TRANSFORMS(sa, IKE_TT_ENCR, tdes, 0);
    ADD_TRANSFORMS(sa, IKE_TT_INTEG, integ, 0);
    ADD_TRANSFORMS(sa, IKE_TT_PRF, prf, 0);
    ADD_TRANSFORMS(sa, IKE_TT_DH, dh, 0);
    assert_true(ike_sa_pl_add_prop(sa, 2, IKE_PROTO_IKE, NULL, 0));
    for (size_t i = 0; i < sizeof aead / sizeof aead[0]; i++)
        for (size_t k = 0; k < 3; k++) add_transforms(sa, IKE_TT_ENCR, &aead[i], 1, keylens[k]);
    ADD_TRANSFORMS(sa, IKE_TT_ENCR, chacha, 0);
    ADD_TRANSFORMS(sa, IKE_TT_PRF, prf, 0);
    ADD_TRANSFORMS(sa, IKE_TT_DH, dh, 0);
    assert_true(sa->prop[0].ntrans >= 38 && sa->prop[1].ntrans >= 38);
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    I.offer = sa;
    do_init(&I); /* checks the choice: AES-CBC-128, SHA-256, PRF SHA-256, X25519 */
    assert_int_equal(I.chosen, 1);
    uint8_t resp[4096];
    size_t n = do_auth(&I, "client1", "cisco123", resp);
    check_auth_ok(&I, resp, n);
    /* The AEAD one alone: AES-GCM-256, no integrity. */
    sa->nprop = 1;
    sa->prop[0] = sa->prop[1];
    sa->prop[0].num = 1;
    struct ini J;
    ini_new(&J, IKE_ENCR_AES_GCM_16, 256, 0, IKE_PRF_HMAC_SHA2_256, IKE_DH_CURVE25519);
    J.offer = sa;
    J.me.addr = htonl(0x0a0a0a03);
    do_init(&J);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.no_proposal_sent, 0);
    assert_int_equal(st.proposals_skipped, 0);
    assert_int_equal(st.half_open, 1);
    assert_int_equal(st.established, 1);
    free(sa);
}

/* RFC 7296 §3.3.6: a proposal with a transform type the gateway does not know is unacceptable
 * even though the rest would do; another proposal of the payload is still chosen. */
static void test_unknown_transform_type(void **state)
{
    (void)state;
    struct ike_sa_pl *sa = malloc(sizeof *sa);
    assert_non_null(sa);
    sa->nprop = sa->ntrans = sa->skipped = 0;
    assert_true(ike_sa_pl_add_prop(sa, 1, IKE_PROTO_IKE, NULL, 0));
    assert_true(ike_sa_pl_add_transform(sa, IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256));
    assert_true(ike_sa_pl_add_transform(sa, IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0));
    assert_true(ike_sa_pl_add_transform(sa, 6, 1, 0)); /* no such type */
    assert_true(ike_sa_pl_add_transform(sa, IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0));
    assert_true(ike_sa_pl_add_transform(sa, IKE_TT_DH, IKE_DH_CURVE25519, 0));
    int ntrans1 = sa->ntrans;
    assert_true(ike_sa_pl_add_prop(sa, 2, IKE_PROTO_IKE, NULL, 0));
    assert_true(ike_sa_pl_add_transform(sa, IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128));
    assert_true(ike_sa_pl_add_transform(sa, IKE_TT_PRF, IKE_PRF_HMAC_SHA1, 0));
    assert_true(ike_sa_pl_add_transform(sa, IKE_TT_INTEG, IKE_INTEG_HMAC_SHA1_96, 0));
    assert_true(ike_sa_pl_add_transform(sa, IKE_TT_DH, IKE_DH_CURVE25519, 0));
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1,
            IKE_DH_CURVE25519);
    I.offer = sa;
    do_init(&I);
    assert_int_equal(I.chosen, 2);
    /* Alone, it is refused. */
    sa->nprop = 1, sa->ntrans = ntrans1;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    I.offer = sa;
    feed(&I, I.init_req, build_init(&I, NULL, 0, 0, false));
    ike_dh_free(I.dh);
    free(sa);
    assert_int_equal(T.qn, 1);
    uint8_t b[4096];
    size_t n = pop(b);
    struct ike_msg m;
    uint8_t crit;
    assert_int_equal(ike_msg_parse(b, n, &m, &crit), 0);
    assert_int_equal(m.hdr.spi_r, 0);
    assert_null(ike_pl_find(m.pl, m.npl, IKE_PL_SA));
    struct ike_notify nt;
    bool f;
    notify_of(m.pl, m.npl, IKE_N_NO_PROPOSAL_CHOSEN, &nt, &f);
    assert_true(f);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.no_proposal_sent, 1);
    assert_int_equal(st.half_open, 1);
}

/* IKE_SA_INIT of 100 proposals with one acceptable at `good`: answered with it, or refused
 * (NO_PROPOSAL_CHOSEN) when it lies past the first IKE_MAX_PROPOSALS. */
static void many_proposals(int good, bool chosen)
{
    static uint8_t raw[8192];
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    I.offer_raw = raw;
    I.offer_raw_len = many_props(raw, sizeof raw, 100, good);
    struct ike_stats st0, st;
    ike_get_stats(T.ike, &st0);
    if (chosen) {
        do_init(&I);
        assert_int_equal(I.chosen, good);
    } else {
        feed(&I, I.init_req, build_init(&I, NULL, 0, 0, false));
        ike_dh_free(I.dh);
        assert_int_equal(T.qn, 1);
        uint8_t b[4096];
        size_t n = pop(b);
        struct ike_msg m;
        uint8_t crit;
        assert_int_equal(ike_msg_parse(b, n, &m, &crit), 0);
        assert_int_equal(m.hdr.spi_r, 0);
        struct ike_notify nt;
        bool f;
        notify_of(m.pl, m.npl, IKE_N_NO_PROPOSAL_CHOSEN, &nt, &f);
        assert_true(f);
    }
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.proposals_skipped - st0.proposals_skipped, 100 - IKE_MAX_PROPOSALS);
    assert_int_equal(st.no_proposal_sent - st0.no_proposal_sent, chosen ? 0 : 1);
    assert_int_equal(st.half_open - st0.half_open, chosen ? 1 : 0);
}

static void test_proposals_past_the_cap(void **state)
{
    (void)state;
    many_proposals(80, false);
    many_proposals(10, true);
    many_proposals(IKE_MAX_PROPOSALS, true);
    many_proposals(IKE_MAX_PROPOSALS + 1, false);
}

/* §2.4 INITIAL_CONTACT: the identity's older IKE SA, from another address, goes with its
 * CHILD_SA and its pool address. */
static void test_initial_contact(void **state)
{
    (void)state;
    struct ini A, B;
    establish_psk(&A);
    uint32_t a_in = T.last.spi_in;
    ini_new(&B, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    B.me.addr = htonl(0x0a0a0a03);
    B.initial_contact = true;
    do_init(&B);
    uint8_t resp[4096];
    size_t n = do_auth(&B, "client1", "cisco123", resp);
    check_auth_up(&B, resp, n);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.initial_contact_deleted, 1);
    assert_int_equal(st.established, 1);
    assert_int_equal(T.released, 0xac100101);
    assert_int_equal(T.deleted, 1);
    assert_int_equal(T.del_in[0], a_in);
    /* A's SA is gone: its requests find none. */
    struct ike_wbuf w;
    req_begin(&A, &w, IKE_INFORMATIONAL);
    req_send(&A, &w);
    assert_int_equal(T.qn, 0);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.drops[IKE_DROP_NO_SA], 1);
    check_alive(&B);
}

/* With a key many clients may share (psk_shared), INITIAL_CONTACT acts only on SAs from the
 * same address: another client of the same identity stays, the same host (another port, as
 * after a NAT rebinding) replaces its own. */
static void test_initial_contact_shared_key(void **state)
{
    (void)state;
    T.psk_shared = true;
    struct ini A, B, C;
    establish_psk(&A);
    uint32_t a_in = T.last.spi_in;
    ini_new(&B, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    B.me.addr = htonl(0x0a0a0a03);
    B.initial_contact = true;
    do_init(&B);
    uint8_t resp[4096];
    size_t n = do_auth(&B, "client1", "cisco123", resp);
    check_auth_up(&B, resp, n);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.initial_contact_deleted, 0);
    assert_int_equal(st.established, 2);
    assert_int_equal(T.released, 0);
    assert_int_equal(T.deleted, 0);
    check_alive(&A);
    ini_new(&C, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    C.me.port = 1500;
    C.initial_contact = true;
    do_init(&C);
    n = do_auth(&C, "client1", "cisco123", resp);
    check_auth_up(&C, resp, n);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.initial_contact_deleted, 1);
    assert_int_equal(st.established, 2);
    assert_int_equal(T.released, 0xac100101);
    assert_int_equal(T.deleted, 1);
    assert_int_equal(T.del_in[0], a_in);
    check_alive(&B);
    check_alive(&C);
}

/* IKE_AUTH whose CHILD_SA the profile refuses: NO_PROPOSAL_CHOSEN, no CP reply, the address
 * back to the pool; the IKE SA stays. */
static void test_failed_child_releases_lease(void **state)
{
    (void)state;
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    I.esp_encr = IKE_ENCR_AES_CBC, I.esp_keylen = 256, I.esp_integ = IKE_INTEG_HMAC_SHA1_96;
    do_init(&I);
    uint8_t resp[4096];
    size_t n = do_auth(&I, "client1", "cisco123", resp);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(&I, resp, n, &m, pl);
    assert_non_null(ike_pl_find(pl, np, IKE_PL_AUTH));
    assert_null(ike_pl_find(pl, np, IKE_PL_SA));
    assert_null(ike_pl_find(pl, np, IKE_PL_CP));
    struct ike_notify nt;
    bool f;
    notify_of(pl, np, IKE_N_NO_PROPOSAL_CHOSEN, &nt, &f);
    assert_true(f);
    assert_int_equal(T.released, 0xac100101);
    assert_int_equal(T.added, 0);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.leases_released_childless, 1);
    assert_int_equal(st.no_proposal_sent, 1);
    assert_int_equal(st.established, 1);
    assert_int_equal(st.children, 0);
    check_alive(&I);
    /* The address is not given back twice when the SA goes. */
    T.released = 0;
    delete_ike(&I);
    assert_int_equal(T.qn, 1);
    T.qn = 0;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 0);
    assert_int_equal(T.released, 0);
}

/* The clock runs (from an SA set up at 0) until the engine's rekey of a lifetime of s seconds
 * goes out: not before 85% of it, by 90% (§2.8's jitter, ike_soft_lifetime_ms). */
static void soft_lifetime(uint32_t s)
{
    int64_t ms = (int64_t)s * 1000;
    loop_advance(T.loop, ms * 85 / 100 - 1);
    assert_int_equal(T.qn, 0);
    while (!T.qn && loop_now(T.loop) <= ms * 90 / 100) loop_advance(T.loop, 100);
    assert_int_equal(T.qn, 1);
}

/* A session with a CHILD_SA lifetime of 120 s, at 90% of it: the engine has sent its
 * CREATE_CHILD_SA rekey (and not before 85%). */
static void child_rekey_due(struct ini *I, struct child_req *r)
{
    T.child_lifetime = 120;
    establish_psk(I);
    uint32_t old_in = T.last.spi_in;
    soft_lifetime(120);
    read_child_req(I, r);
    assert_int_equal(r->rekey_spi, old_in);
    assert_int_equal(r->msgid, 0); /* the engine's first request */
    assert_true(r->spi != old_in);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.child_rekeys_sent, 1);
}

/* The gateway rekeys a CHILD_SA at its soft lifetime (§1.3.3, §2.8): the new one installed with
 * KEYMAT = prf+(SK_d, Ni | Nr), whose first half (initiator to responder) is the engine's
 * outbound key; then the engine deletes the old one. */
static void test_gateway_rekeys_child(void **state)
{
    (void)state;
    /* AES-GCM-256 is the engine's second proposal: our answer has proposal number 2. */
    T.esp_cbc_first = true;
    struct ini I;
    struct child_req r;
    child_rekey_due(&I, &r);
    assert_int_equal(r.propnum, 2);
    uint32_t old_in = T.last.spi_in, reqid = T.last.reqid;
    uint8_t nr[32];
    ike_random(nr, sizeof nr);
    answer_child_req(&I, &r, 0xcafe0002, nr, sizeof nr);
    assert_int_equal(T.added, 2);
    assert_int_equal(T.last.spi_in, r.spi);
    assert_int_equal(T.last.spi_out, 0xcafe0002);
    assert_int_equal(T.last.reqid, reqid); /* the same policies carry on */
    assert_int_equal(T.last.enc_key_len, 36);
    uint8_t km[2 * 36];
    assert_int_equal(
        ike_derive_child_keymat(&I.keys, NULL, 0, r.ni, r.nilen, nr, sizeof nr, km, sizeof km), 0);
    assert_memory_equal(T.last_out, km, 36);
    assert_memory_equal(T.last_in, km + 36, 36);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.children, 2);
    assert_int_equal(st.child_rekeys, 1);
    assert_int_equal(T.qn, 1);
    expect_child_delete(&I, old_in);
    assert_int_equal(T.qn, 0);
    assert_int_equal(T.deleted, 1);
    assert_int_equal(T.del_in[0], old_in);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.children, 1);
    assert_true(shows_spi_out(0xcafe0002));
    assert_false(shows_spi_out(0xcafe0001));
    check_alive(&I);
}

/* The peer never answers the rekey: at 100% of its lifetime the CHILD_SA leaves the kernel,
 * and the DELETE telling the peer waits for the request window (§2.3). */
static void test_gateway_child_rekey_unanswered(void **state)
{
    (void)state;
    struct ini I;
    struct child_req r;
    child_rekey_due(&I, &r);
    uint32_t old_in = T.last.spi_in;
    loop_advance(T.loop, 120000 - loop_now(T.loop) - 1);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.child_expired, 0);
    assert_int_equal(T.deleted, 0);
    loop_advance(T.loop, 2);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.child_expired, 1);
    assert_int_equal(T.deleted, 1);
    assert_int_equal(T.del_in[0], old_in);
    assert_true(st.retransmits_sent >= 1);
    /* Only the rekey went out meanwhile, again and again. */
    while (T.qn) {
        uint8_t b[4096];
        size_t n = pop_ike(b);
        struct ike_hdr h;
        assert_int_equal(ike_hdr_parse(b, n, &h), 0);
        assert_int_equal(h.exchange, IKE_CREATE_CHILD_SA);
        assert_int_equal(h.msgid, r.msgid);
    }
    /* A late refusal frees the window: the DELETE goes; the kernel is not asked twice. */
    answer(&I, IKE_CREATE_CHILD_SA, r.msgid, IKE_N_NO_PROPOSAL_CHOSEN);
    assert_int_equal(T.qn, 1);
    expect_child_delete(&I, old_in);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.children, 0);
    assert_int_equal(st.established, 1);
    assert_int_equal(T.deleted, 1);
    assert_int_equal(T.added, 1);
}

/* The gateway rekeys the IKE SA at its soft lifetime (§1.3.2, §2.18): it is the initiator of
 * the new SA, deletes the old one, and the CHILD_SA carries on under the new one. */
static void test_gateway_rekeys_ike(void **state)
{
    (void)state;
    T.ike_lifetime = 120;
    struct ini I;
    establish_psk(&I);
    uint32_t child_in = T.last.spi_in, reqid = T.last.reqid;
    soft_lifetime(120);
    uint8_t b[4096];
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = pop_request(&I, b, &m, pl, IKE_CREATE_CHILD_SA);
    const struct ike_pl *psa = ike_pl_find(pl, np, IKE_PL_SA);
    const struct ike_pl *pno = ike_pl_find(pl, np, IKE_PL_NONCE);
    const struct ike_pl *pke = ike_pl_find(pl, np, IKE_PL_KE);
    assert_non_null(psa);
    assert_non_null(pno);
    assert_non_null(pke);
    struct ike_sa_pl *sa = malloc(sizeof *sa);
    assert_non_null(sa);
    assert_int_equal(ike_parse_sa(psa->body, psa->len, sa), 0);
    assert_int_equal(sa->prop[0].proto, IKE_PROTO_IKE);
    assert_int_equal(sa->prop[0].spi_size, 8);
    uint64_t their_spi = 0;
    for (int i = 0; i < 8; i++) their_spi = their_spi << 8 | sa->prop[0].spi[i];
    uint8_t propnum = sa->prop[0].num;
    struct ike_ke ke;
    assert_int_equal(ike_parse_ke(pke->body, pke->len, &ke), 0);
    assert_int_equal(ke.group, IKE_DH_CURVE25519); /* the SA's group */
    uint8_t ni[IKE_NONCE_MAX];
    size_t nilen = pno->len;
    memcpy(ni, pno->body, nilen);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.ike_rekeys_sent, 1);
    /* Our answer: one proposal with our new SPI, Nr, KEr. */
    uint64_t my_spi = 0x0102030405060708ULL;
    uint8_t spi[8];
    put64(spi, my_spi);
    sa->nprop = sa->ntrans = sa->skipped = 0;
    ike_sa_pl_add_prop(sa, propnum, IKE_PROTO_IKE, spi, 8);
    ike_sa_pl_add_transform(sa, IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256);
    ike_sa_pl_add_transform(sa, IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0);
    ike_sa_pl_add_transform(sa, IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0);
    ike_sa_pl_add_transform(sa, IKE_TT_DH, IKE_DH_CURVE25519, 0);
    struct ike_dh *dh = ike_dh_new(IKE_DH_CURVE25519);
    assert_non_null(dh);
    uint8_t pub[IKE_MAX_DH_LEN], gir[IKE_MAX_DH_LEN], nr[32];
    size_t publen = ike_dh_public(dh, pub, sizeof pub);
    size_t gl = ike_dh_shared(dh, ke.data, ke.len, gir, sizeof gir);
    ike_dh_free(dh);
    assert_true(publen > 0 && gl > 0);
    ike_random(nr, sizeof nr);
    struct ike_wbuf w;
    msg_begin(&I, &w, IKE_CREATE_CHILD_SA, true, m.hdr.msgid);
    ikew_sa(&w, sa);
    ikew_nonce(&w, nr, sizeof nr);
    ikew_ke(&w, IKE_DH_CURVE25519, pub, publen);
    msg_send(&I, &w);
    free(sa);
    /* The new SA: the engine's SPI is SPIi, ours SPIr (§2.18). */
    struct ini J = I;
    struct ike_suite s = {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
                          IKE_DH_CURVE25519};
    assert_int_equal(ike_derive_rekeyed_keys(I.prf, I.keys.sk_d, I.keys.prf_len, &s, ni, nilen, nr,
                                             sizeof nr, gir, gl, their_spi, my_spi, &J.keys),
                     0);
    J.spi_i = their_spi, J.spi_r = my_spi, J.msgid = 0, J.iv = 0, J.responder = true;
    /* The engine deletes the old SA, on the old SA. */
    assert_int_equal(T.qn, 1);
    struct ike_delete d;
    uint32_t id = read_delete(&I, &d);
    assert_int_equal(d.proto, IKE_PROTO_IKE);
    answer(&I, IKE_INFORMATIONAL, id, 0);
    assert_int_equal(T.qn, 0);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.established, 1);
    assert_int_equal(st.half_open, 0);
    assert_int_equal(st.children, 1); /* moved, not deleted */
    assert_int_equal(st.ike_rekeys, 1);
    assert_int_equal(T.deleted, 0);
    req_begin(&I, &w, IKE_INFORMATIONAL); /* the old SA is gone */
    req_send(&I, &w);
    assert_int_equal(T.qn, 0);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.drops[IKE_DROP_NO_SA], 1);
    check_alive(&J);
    /* The CHILD_SA now belongs to the new SA: its rekey goes out there. */
    ike_kernel_expire(T.ike, reqid, child_in, false);
    struct child_req r;
    read_child_req(&J, &r);
    assert_int_equal(r.rekey_spi, child_in);
}

/* §2.8.1: both ends rekey the same CHILD_SA at once (ours first, then we answer the
 * engine's). Our nonces make the lowest of the four fall in the engine's exchange
 * (engine_lowest) or in ours: the CHILD_SA made by that exchange is redundant and closed by
 * whoever made it, the other maker deletes the old one; one new CHILD_SA survives. */
static void simultaneous_child_rekey(bool engine_lowest)
{
    struct ini I;
    struct child_req r;
    child_rekey_due(&I, &r);
    uint32_t old_in = T.last.spi_in;
    uint8_t low[IKE_NONCE_MIN] = {0}, high[IKE_NONCE_MAX];
    memset(high, 0xff, sizeof high);
    /* Our rekey (B) of the CHILD_SA we receive on 0xcafe0001. */
    if (engine_lowest)
        req_child_rekey(&I, 0xcafe0001, 0xcafe0003, high, sizeof high);
    else
        req_child_rekey(&I, 0xcafe0001, 0xcafe0003, low, sizeof low);
    assert_int_equal(T.qn, 1);
    uint8_t b[4096];
    size_t n = pop_ike(b);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int np = open_msg(&I, b, n, &m, pl);
    assert_non_null(ike_pl_find(pl, np, IKE_PL_SA));
    assert_int_equal(T.added, 2);
    assert_int_equal(T.last.spi_out, 0xcafe0003);
    uint32_t b_in = T.last.spi_in;
    /* Our answer to the engine's (A). */
    if (engine_lowest)
        answer_child_req(&I, &r, 0xcafe0002, low, sizeof low);
    else
        answer_child_req(&I, &r, 0xcafe0002, high, sizeof high);
    assert_int_equal(T.added, 3);
    uint32_t a_in = T.last.spi_in;
    assert_int_equal(a_in, r.spi);
    /* The engine closes A (redundant) or the old one (A survives). */
    assert_int_equal(T.qn, 1);
    expect_child_delete(&I, engine_lowest ? a_in : old_in);
    assert_int_equal(T.qn, 0);
    assert_int_equal(T.deleted, 1);
    assert_int_equal(T.del_in[0], engine_lowest ? a_in : old_in);
    /* We close the old one (B survives) or B (redundant). */
    assert_int_equal(delete_child(&I, engine_lowest ? 0xcafe0001 : 0xcafe0003),
                     engine_lowest ? old_in : b_in);
    assert_int_equal(T.deleted, 2);
    assert_int_equal(T.del_in[1], engine_lowest ? old_in : b_in);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.children, 1);
    assert_true(shows_spi_out(engine_lowest ? 0xcafe0003 : 0xcafe0002));
    assert_false(shows_spi_out(engine_lowest ? 0xcafe0002 : 0xcafe0003));
    assert_false(shows_spi_out(0xcafe0001));
    assert_int_equal(T.qn, 0);
    check_alive(&I);
}

static void test_simultaneous_child_rekey_engine_lowest(void **state)
{
    (void)state;
    simultaneous_child_rekey(true);
}

static void test_simultaneous_child_rekey_peer_lowest(void **state)
{
    (void)state;
    simultaneous_child_rekey(false);
}

/* RFC 7383: fragmentation negotiated in IKE_SA_INIT; IKE_AUTH sent as fragments in reverse
 * order (one of them twice) is put together and answered with fragments within the MTU;
 * fragment 1 again brings the whole answer again, another fragment nothing (§2.6.1). */
static void test_frag_ike_auth(void **state)
{
    (void)state;
    T.frag_mtu = FRAG_MTU;
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    I.frag = true;
    do_init(&I); /* checks IKEV2_FRAGMENTATION_SUPPORTED back */
    struct ike_wbuf w;
    req_begin(&I, &w, IKE_AUTH);
    auth_payloads(&I, &w, "client1", "cisco123");
    struct frags *f = malloc(sizeof *f);
    assert_non_null(f);
    req_frags(&I, &w, 3, f);
    feed(&I, f->b[2], f->len[2]);
    feed(&I, f->b[2], f->len[2]); /* held already */
    feed(&I, f->b[1], f->len[1]);
    assert_int_equal(T.qn, 0);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.frag_dropped[IKE_FRAG_DROP_REPLAY], 1);
    assert_int_equal(st.frag_reassembled, 0);
    feed(&I, f->b[0], f->len[0]);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.frag_in, 4);
    assert_int_equal(st.frag_reassembled, 1);
    assert_int_equal(st.established, 1);
    int nq = T.qn;
    assert_true(nq >= 2);
    assert_int_equal(st.frag_out, nq);
    static uint8_t joined[IKE_MAX_MSG];
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    int nf;
    int np = pop_frags(&I, joined, &m, pl, &nf);
    assert_int_equal(nf, nq);
    assert_true(m.hdr.flags & IKE_FLAG_RESPONSE);
    assert_int_equal(m.hdr.exchange, IKE_AUTH);
    assert_int_equal(m.hdr.msgid, 1);
    check_auth_pl(&I, pl, np);
    /* Retransmissions of the request. */
    feed(&I, f->b[1], f->len[1]);
    assert_int_equal(T.qn, 0);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.frag_dropped[IKE_FRAG_DROP_REPLAY], 2);
    feed(&I, f->b[0], f->len[0]);
    assert_int_equal(T.qn, nq);
    np = pop_frags(&I, joined, &m, pl, &nf);
    assert_non_null(ike_pl_find(pl, np, IKE_PL_AUTH));
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.retransmits_answered, 1);
    assert_int_equal(T.added, 1);
    free(f);
}

/* Fragments on an SA without fragmentation (the client did not offer it, or the gateway has
 * it off) are dropped and counted; the same request whole is answered. */
static void test_frag_not_negotiated(void **state)
{
    (void)state;
    struct frags *f = malloc(sizeof *f);
    assert_non_null(f);
    for (int k = 0; k < 2; k++) {
        struct ini I;
        ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
                IKE_DH_CURVE25519);
        T.frag_mtu = k == 0 ? FRAG_MTU : 0;
        I.frag = k == 1;
        do_init(&I); /* checks that IKEV2_FRAGMENTATION_SUPPORTED is not in the answer */
        struct ike_wbuf w;
        req_begin(&I, &w, IKE_AUTH);
        auth_payloads(&I, &w, "client1", "cisco123");
        req_frags(&I, &w, 2, f);
        feed(&I, f->b[0], f->len[0]);
        feed(&I, f->b[1], f->len[1]);
        assert_int_equal(T.qn, 0);
        struct ike_stats st;
        ike_get_stats(T.ike, &st);
        assert_int_equal(st.frag_dropped[IKE_FRAG_DROP_NOT_NEGOTIATED], 2 * (k + 1));
        assert_int_equal(st.frag_reassembled, 0);
        assert_int_equal(st.half_open, 1);
        I.msgid = 1;
        T.added = 0, T.next_addr = 0xac100101; /* the fake pool hands out the same again */
        uint8_t resp[4096];
        size_t n = do_auth(&I, "client1", "cisco123", resp);
        check_auth_ok(&I, resp, n);
        ike_get_stats(T.ike, &st);
        assert_int_equal(st.frag_out, 0);
        assert_int_equal(st.established, k + 1);
    }
    free(f);
}

/* §2.6: a message whose fragments do not all come is given up after IKE_FRAG_TIMEOUT_MS, as
 * if it had never come: the initiator's retransmission is then answered. An incomplete set
 * when the SA goes is freed with it (LeakSanitizer at exit). */
static void test_frag_timeout(void **state)
{
    (void)state;
    T.frag_mtu = 1280; /* the answers fit whole */
    struct ini I;
    ini_new(&I, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
            IKE_DH_CURVE25519);
    I.frag = true;
    do_init(&I);
    uint8_t resp[4096];
    size_t n = do_auth(&I, "client1", "cisco123", resp);
    check_auth_ok(&I, resp, n);
    struct frags *f = malloc(sizeof *f);
    assert_non_null(f);
    uint8_t vid[64];
    memset(vid, 0x5a, sizeof vid);
    struct ike_wbuf w;
    req_begin(&I, &w, IKE_INFORMATIONAL);
    ikew_vendor(&w, vid, sizeof vid);
    req_frags(&I, &w, 2, f);
    feed(&I, f->b[0], f->len[0]);
    loop_advance(T.loop, FRAG_TIMEOUT_MS - 1);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.frag_dropped[IKE_FRAG_DROP_TIMEOUT], 0);
    loop_advance(T.loop, 2);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.frag_dropped[IKE_FRAG_DROP_TIMEOUT], 1);
    assert_int_equal(st.established, 1);
    assert_int_equal(T.qn, 0);
    /* Fragment 2 alone starts a new set; fragment 1 completes it. */
    feed(&I, f->b[1], f->len[1]);
    assert_int_equal(T.qn, 0);
    feed(&I, f->b[0], f->len[0]);
    assert_int_equal(T.qn, 1);
    n = pop_ike(resp);
    struct ike_msg m;
    struct ike_pl pl[IKE_MAX_PAYLOADS];
    open_msg(&I, resp, n, &m, pl);
    assert_true(m.hdr.flags & IKE_FLAG_RESPONSE);
    assert_int_equal(m.hdr.msgid, I.msgid - 1);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.frag_reassembled, 1);
    /* Left incomplete at the end. */
    req_begin(&I, &w, IKE_INFORMATIONAL);
    ikew_vendor(&w, vid, sizeof vid);
    req_frags(&I, &w, 2, f);
    feed(&I, f->b[1], f->len[1]);
    assert_int_equal(T.qn, 0);
    free(f);
}

/* The kernel's soft limit (a byte count) starts a rekey; its hard limit removes the CHILD_SA,
 * and the peer is told with a DELETE. */
static void test_kernel_expire(void **state)
{
    (void)state;
    struct ini I;
    establish_psk(&I);
    uint32_t old_in = T.last.spi_in, reqid = T.last.reqid;
    ike_kernel_expire(T.ike, reqid, 0x12345678, false); /* no such SA */
    assert_int_equal(T.qn, 0);
    ike_kernel_expire(T.ike, reqid, old_in, false);
    assert_int_equal(T.qn, 1);
    struct child_req r;
    read_child_req(&I, &r);
    assert_int_equal(r.rekey_spi, old_in);
    struct ike_stats st;
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.kernel_expires, 2);
    assert_int_equal(st.child_rekeys_sent, 1);
    uint8_t nr[32];
    ike_random(nr, sizeof nr);
    answer_child_req(&I, &r, 0xcafe0002, nr, sizeof nr);
    assert_int_equal(T.added, 2);
    uint32_t new_in = T.last.spi_in;
    assert_int_equal(T.last.reqid, reqid);
    expect_child_delete(&I, old_in);
    assert_int_equal(T.deleted, 1);
    /* (Not at 0 ms: the engine's deadlines read 0 as "none"; a real clock is never there.) */
    loop_advance(T.loop, 1000);
    ike_kernel_expire(T.ike, reqid, new_in, true);
    assert_int_equal(T.deleted, 2);
    assert_int_equal(T.del_in[1], new_in);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.child_expired, 1);
    assert_int_equal(T.qn, 1);
    expect_child_delete(&I, new_in);
    ike_get_stats(T.ike, &st);
    assert_int_equal(st.children, 0);
    assert_int_equal(st.established, 1);
    assert_int_equal(T.deleted, 2);
}

int main(void)
{
    log_init("test_ike_engine", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_psk_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gcm_ike_sa_all_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_psk_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retransmit_gets_cached_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_ke_names_our_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cookie_challenge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_refuses_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_from_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_delete_and_rekey, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ike_rekey, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dpd_detects_dead_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_natt_marker_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect_at_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect_at_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_natt_float_failed_auth_then_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_natt_deleted_spi_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strongswan_default_proposal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_transform_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proposals_past_the_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initial_contact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initial_contact_shared_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_child_releases_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_rekeys_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_child_rekey_unanswered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_rekeys_ike, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simultaneous_child_rekey_engine_lowest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_simultaneous_child_rekey_peer_lowest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_ike_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_not_negotiated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_expire, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
