/* The responder's exchanges (RFC 7296 §1.2-1.5): IKE_SA_INIT with cookies (§2.6), proposal
 * choice and INVALID_KE_PAYLOAD (§1.2, §2.7), NAT detection (§2.23), RFC 5685 redirect, RFC
 * 7383 negotiation; IKE_AUTH (§1.2, §2.15) with PSK or certificates, INITIAL_CONTACT (§2.4),
 * configuration payload (§3.15) and the first CHILD_SA (ike_child.c); INFORMATIONAL (§1.4:
 * deletes, liveness §2.4); the protected messages of ours (sealed in ike_frag.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/ike_auth.h"
#include "ike/ike_internal.h"
#include "platform/bytes.h"
#include "platform/loop.h"

/* ---- proposal choice ---- */

static bool has16(const uint16_t *v, int n, uint16_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return true;
    return false;
}

/* Match one peer proposal against one configured set. Transforms are taken in the peer's
 * order (§3.3.6: the responder picks one of each type). want_dh: the KE group the peer sent
 * (IKE SA / PFS), 0 when no KE; *alt_dh gets a group both accept when the proposal is
 * acceptable in every other transform and only the KE group is not (§1.3: INVALID_KE_PAYLOAD
 * is for a KE "the responder does not want"; a proposal refused for its cipher or PRF must get
 * NO_PROPOSAL_CHOSEN, not a second round trip that can only end in it). */
static bool match_prop(const struct ike_sa_pl *sa, const struct ike_proposal *p,
                       const struct ike_prop_cfg *c, bool ike_sa, uint16_t want_dh,
                       struct ike_choice *out, uint16_t *alt_dh)
{
    memset(out, 0, sizeof *out);
    /* §3.3.6: a transform type we do not understand makes the whole proposal unacceptable. */
    if (p->unknown_type) return false;
    bool have_encr = false, have_integ = false, have_prf = !ike_sa, any_integ = false;
    bool any_dh = false, esn_ok = false, any_esn = false;
    uint16_t other_dh = 0; /* the first group we accept other than want_dh */
    const struct ike_transform *tt = ike_prop_transforms(sa, p);
    for (int i = 0; i < p->ntrans; i++) {
        const struct ike_transform *t = &tt[i];
        switch (t->type) {
        case IKE_TT_ENCR:
            if (have_encr) break;
            for (int k = 0; k < c->nencr; k++)
                if (c->encr[k].id == t->id && c->encr[k].keylen == t->keylen &&
                    ike_crypto_supported(IKE_TT_ENCR, t->id, t->keylen)) {
                    out->encr = t->id, out->keylen = t->keylen, have_encr = true;
                    break;
                }
            break;
        case IKE_TT_INTEG:
            if (t->id != IKE_INTEG_NONE) any_integ = true;
            if (!have_integ && has16(c->integ, c->ninteg, t->id) &&
                ike_crypto_supported(IKE_TT_INTEG, t->id, 0))
                out->integ = t->id, have_integ = true;
            break;
        case IKE_TT_PRF:
            if (!have_prf && has16(c->prf, c->nprf, t->id) &&
                ike_crypto_supported(IKE_TT_PRF, t->id, 0))
                out->prf = t->id, have_prf = true;
            break;
        case IKE_TT_DH:
            if (t->id == IKE_DH_NONE) break;
            any_dh = true;
            if (!has16(c->dh, c->ndh, t->id) || !ike_dh_pub_len(t->id)) break;
            if (t->id == want_dh)
                out->dh = t->id;
            else if (!other_dh)
                other_dh = t->id;
            break;
        case IKE_TT_ESN:
            any_esn = true;
            if (t->id == IKE_ESN_NO) esn_ok = true;
            break;
        }
    }
    if (!have_encr || !have_prf) return false;
    bool aead = out->encr == IKE_ENCR_AES_GCM_16;
    if (aead) {
        if (any_integ) return false; /* RFC 5282 §8: AEAD with an integrity algorithm is invalid */
        out->integ = IKE_INTEG_NONE;
    } else if (!have_integ) {
        return false;
    }
    if (!ike_sa && any_esn && !esn_ok) return false;
    if (ike_sa || c->ndh > 0) { /* an IKE SA, or PFS required by our profile */
        if (!want_dh || !out->dh) {
            *alt_dh = other_dh;
            return false;
        }
    } else if (want_dh) {
        /* The peer wants PFS and we have none configured: accept its group if it offered it. */
        if (!any_dh) return false;
        out->dh = want_dh;
    }
    out->propnum = p->num;
    out->spi_size = p->spi_size;
    memcpy(out->spi, p->spi, sizeof out->spi);
    return true;
}

/* Our preference order first (IOS picks by its own configured order), then the peer's. */
int ike_choose(const struct ike_sa_pl *sa, const struct ike_prop_cfg *cfg, int ncfg, uint8_t proto,
               uint16_t want_dh, struct ike_choice *out, uint16_t *invalid_ke)
{
    uint16_t alt = 0;
    for (int c = 0; c < ncfg; c++)
        for (int i = 0; i < sa->nprop; i++) {
            const struct ike_proposal *p = &sa->prop[i];
            if (p->proto != proto) continue;
            if (proto == IKE_PROTO_ESP && p->spi_size != 4) continue;
            uint16_t a = 0;
            if (match_prop(sa, p, &cfg[c], proto == IKE_PROTO_IKE, want_dh, out, &a)) return 0;
            if (a && !alt) alt = a;
        }
    *invalid_ke = alt;
    return -1;
}

void ike_put_choice(struct ike_wbuf *w, uint8_t proto, const struct ike_choice *c,
                    const uint8_t *spi, uint8_t spi_size)
{
    struct ike_proposal p = {.num = c->propnum, .proto = proto, .spi_size = spi_size};
    struct ike_transform t[5];
    if (spi_size) memcpy(p.spi, spi, spi_size);
    t[p.ntrans++] = (struct ike_transform){IKE_TT_ENCR, c->encr, c->keylen};
    if (proto == IKE_PROTO_IKE) t[p.ntrans++] = (struct ike_transform){IKE_TT_PRF, c->prf, 0};
    if (c->integ != IKE_INTEG_NONE)
        t[p.ntrans++] = (struct ike_transform){IKE_TT_INTEG, c->integ, 0};
    if (c->dh) t[p.ntrans++] = (struct ike_transform){IKE_TT_DH, c->dh, 0};
    if (proto != IKE_PROTO_IKE) t[p.ntrans++] = (struct ike_transform){IKE_TT_ESN, IKE_ESN_NO, 0};
    ikew_sa_one(w, &p, t);
}

void ike_put_offer(struct ike_wbuf *w, uint8_t proto, const struct ike_prop_cfg *cfg, int n,
                   const uint8_t *spi, uint8_t spi_size, uint16_t only_dh)
{
    /* One proposal per configured set (numbered 1..n, §3.3.1), each with all its transforms;
     * only_dh (the group of our KE) first among the groups. Requests are rare (rekeys): the
     * large payload struct is fine here. */
    struct ike_sa_pl *sa = malloc(sizeof *sa);
    if (!sa) {
        w->overflow = true;
        return;
    }
    sa->nprop = sa->ntrans = sa->skipped = 0;
    for (int i = 0; i < n && i < IKE_MAX_PROPOSALS; i++) {
        const struct ike_prop_cfg *c = &cfg[i];
        ike_sa_pl_add_prop(sa, (uint8_t)(i + 1), proto, spi, spi_size);
        for (int k = 0; k < c->nencr; k++)
            ike_sa_pl_add_transform(sa, IKE_TT_ENCR, c->encr[k].id, c->encr[k].keylen);
        if (proto == IKE_PROTO_IKE)
            for (int k = 0; k < c->nprf; k++) ike_sa_pl_add_transform(sa, IKE_TT_PRF, c->prf[k], 0);
        for (int k = 0; k < c->ninteg; k++)
            if (c->integ[k] != IKE_INTEG_NONE)
                ike_sa_pl_add_transform(sa, IKE_TT_INTEG, c->integ[k], 0);
        if (only_dh && has16(c->dh, c->ndh, only_dh))
            ike_sa_pl_add_transform(sa, IKE_TT_DH, only_dh, 0);
        for (int k = 0; k < c->ndh; k++)
            if (c->dh[k] != only_dh) ike_sa_pl_add_transform(sa, IKE_TT_DH, c->dh[k], 0);
        if (proto != IKE_PROTO_IKE) ike_sa_pl_add_transform(sa, IKE_TT_ESN, IKE_ESN_NO, 0);
    }
    ikew_sa(w, sa);
    free(sa);
}

/* ---- helpers ---- */

/* §2.23: SHA-1(SPIi | SPIr | IP | Port) */
static void natd_hash(uint64_t spi_i, uint64_t spi_r, const struct ike_ep *ep, uint8_t out[20])
{
    uint8_t in[8 + 8 + 4 + 2];
    put64(in, spi_i);
    put64(in + 8, spi_r);
    memcpy(in + 16, &ep->addr, 4);
    in[20] = (uint8_t)(ep->port >> 8), in[21] = (uint8_t)ep->port;
    unsigned int len = 20;
    EVP_Digest(in, sizeof in, out, &len, EVP_sha1(), NULL);
}

/* §2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>) */
static void make_cookie(struct ike *ike, uint8_t version, const uint8_t *secret, const uint8_t *ni,
                        size_t nilen, const struct ike_ep *remote, uint64_t spi_i, uint8_t out[33])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int len = 32;
    uint8_t spi[8];
    put64(spi, spi_i);
    out[0] = version;
    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) || !EVP_DigestUpdate(c, ni, nilen) ||
        !EVP_DigestUpdate(c, &remote->addr, 4) || !EVP_DigestUpdate(c, spi, 8) ||
        !EVP_DigestUpdate(c, secret, 32) || !EVP_DigestFinal_ex(c, out + 1, &len))
        memset(out + 1, 0, 32);
    EVP_MD_CTX_free(c);
    (void)ike;
}

static void rotate_cookie_secret(struct ike *ike)
{
    int64_t now = loop_now(ike->loop);
    if (now - ike->cookie_rotated < IKE_COOKIE_SECRET_MS) return;
    memcpy(ike->cookie_secret_old, ike->cookie_secret, 32);
    ike_random(ike->cookie_secret, 32);
    ike->cookie_version++;
    ike->cookie_rotated = now;
}

static bool cookie_ok(struct ike *ike, const struct ike_notify *n, const uint8_t *ni, size_t nilen,
                      const struct ike_ep *remote, uint64_t spi_i)
{
    if (n->len != 33) return false;
    uint8_t want[33];
    const uint8_t *secret = n->data[0] == ike->cookie_version ? ike->cookie_secret
                            : n->data[0] == (uint8_t)(ike->cookie_version - 1)
                                ? ike->cookie_secret_old
                                : NULL;
    if (!secret) return false;
    make_cookie(ike, n->data[0], secret, ni, nilen, remote, spi_i, want);
    return ike_ct_equal(want, n->data, 33);
}

/* An unprotected IKE_SA_INIT answer carrying one notify (§2.6 COOKIE, §1.3 INVALID_KE,
 * §2.21.1 NO_PROPOSAL_CHOSEN, RFC 5685 REDIRECT): no state is kept, SPIr is 0. */
static void init_notify(struct ike *ike, const struct ike_ep *local, const struct ike_ep *remote,
                        const struct ike_msg *req, uint16_t type, const uint8_t *data, size_t len)
{
    struct ike_wbuf w;
    ikew_init(&w, ike->txbuf, sizeof ike->txbuf);
    struct ike_hdr h = {.spi_i = req->hdr.spi_i,
                        .major = 2,
                        .exchange = IKE_SA_INIT,
                        .flags = IKE_FLAG_RESPONSE,
                        .msgid = 0};
    ikew_hdr(&w, &h);
    ikew_notify(&w, 0, NULL, 0, type, data, len);
    size_t n = ikew_finish(&w);
    if (!n) return;
    if (IKE_DBG(packet)) {
        struct ike_msg m;
        uint8_t crit;
        if (!ike_msg_parse(ike->txbuf, n, &m, &crit)) ike_dbg_msg(ike, true, remote, &m, NULL, 0);
    }
    ike_send_raw(ike, local, remote, ike->txbuf, n);
}

bool ike_notify_find(const struct ike_pl *pl, int npl, uint16_t type, struct ike_notify *out)
{
    for (int i = 0; i < npl; i++)
        if (pl[i].type == IKE_PL_NOTIFY && !ike_parse_notify(pl[i].body, pl[i].len, out) &&
            out->type == type)
            return true;
    return false;
}

uint8_t *ike_dup_bytes(const void *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (d && n) memcpy(d, p, n);
    return d;
}

/* RFC 7296 §2.12 allows reusing a DH exponential across IKE_SA_INITs; half of the cost of a
 * new SA is making one. We keep one per group for at most IKE_DH_REUSE_MS and
 * IKE_DH_REUSE_MAX exchanges, then forget it (wiped): forward secrecy is lost only between
 * SAs set up within that second, and only for one that is broken into while the exponential
 * still lives. Rekeys and PFS always make fresh ones. */
static struct ike_dh *dh_cached(struct ike *ike, uint16_t group)
{
    int64_t now = loop_now(ike->loop);
    struct ike_dh_cache *c = NULL;
    for (int i = 0; i < IKE_DH_CACHE; i++)
        if (ike->dhc[i].dh && ike->dhc[i].group == group) c = &ike->dhc[i];
    if (c && (now - c->born >= IKE_DH_REUSE_MS || c->uses >= IKE_DH_REUSE_MAX)) {
        ike_dh_free(c->dh);
        c->dh = NULL;
    }
    if (!c) {
        for (int i = 0; i < IKE_DH_CACHE && !c; i++)
            if (!ike->dhc[i].dh) c = &ike->dhc[i];
        if (!c) c = &ike->dhc[0], ike_dh_free(c->dh), c->dh = NULL;
    }
    if (!c->dh) {
        c->dh = ike_dh_new(group);
        c->group = group;
        c->born = now;
        c->uses = 0;
        if (!loop_timer_pending(ike->dh_timer)) loop_timer_start(ike->dh_timer, IKE_DH_REUSE_MS);
    }
    c->uses++;
    return c->dh;
}

/* ---- IKE_SA_INIT ---- */

void ike_handle_init(struct ike *ike, const struct ike_ep *local, const struct ike_ep *remote,
                     const struct ike_msg *m)
{
    const struct ike_pl *psa = ike_pl_find(m->pl, m->npl, IKE_PL_SA);
    const struct ike_pl *pke = ike_pl_find(m->pl, m->npl, IKE_PL_KE);
    const struct ike_pl *pno = ike_pl_find(m->pl, m->npl, IKE_PL_NONCE);
    if (!psa || !pke || !pno) {
        ike_drop(ike, IKE_DROP_MISSING, remote, "IKE_SA_INIT needs SA, KE and Nonce");
        return;
    }
    for (int i = 0; i < m->npl; i++) {
        uint8_t t = m->pl[i].type;
        if (t == IKE_PL_SK || t == IKE_PL_SKF || t == IKE_PL_AUTH || t == IKE_PL_IDI) {
            ike_drop(ike, IKE_DROP_UNEXPECTED, remote, ike_payload_name(t));
            return;
        }
    }
    enum ike_drop r;
    struct ike_ke ke;
    if ((r = ike_parse_ke(pke->body, pke->len, &ke)) ||
        (r = ike_parse_nonce(pno->body, pno->len))) {
        ike_drop(ike, r, remote, "KE/Nonce");
        return;
    }
    const uint8_t *ni = pno->body;
    size_t nilen = pno->len;

    /* §2.6 cookies, above the configured number of half-open SAs. */
    struct ike_globals g = {0};
    if (ike->policy.globals) ike->policy.globals(ike->policy.ctx, &g);
    uint32_t cookie_at = g.cookie_threshold, max_neg = g.max_in_negotiation, max_sa = g.max_sa;
    if (cookie_at && ike->half_open >= cookie_at) {
        rotate_cookie_secret(ike);
        struct ike_notify n;
        bool has = m->npl > 0 && m->pl[0].type == IKE_PL_NOTIFY &&
                   !ike_parse_notify(m->pl[0].body, m->pl[0].len, &n) && n.type == IKE_N_COOKIE;
        if (!has || !cookie_ok(ike, &n, ni, nilen, remote, m->hdr.spi_i)) {
            if (has) ike_drop(ike, IKE_DROP_COOKIE, remote, "wrong cookie");
            uint8_t ck[33];
            make_cookie(ike, ike->cookie_version, ike->cookie_secret, ni, nilen, remote,
                        m->hdr.spi_i, ck);
            ike->st.cookies_sent++;
            init_notify(ike, local, remote, m, IKE_N_COOKIE, ck, sizeof ck);
            return;
        }
    }
    if ((max_neg && ike->half_open >= max_neg) || (max_sa && ike->established >= max_sa)) {
        /* IOS's CAC drops the request (counted and shown): answering would cost what the
         * limit protects, and the initiator retransmits. */
        ike_drop(ike, IKE_DROP_LIMIT, remote,
                 max_neg && ike->half_open >= max_neg ? "max-in-negotiation-sa" : "max-sa");
        return;
    }

    struct ike_sa_pl *sapl = malloc(sizeof *sapl);
    struct ike_prop_list *props = malloc(sizeof *props);
    if (!sapl || !props) goto out;
    if ((r = ike_parse_sa(psa->body, psa->len, sapl))) {
        /* A malformed SA payload: §2.21.1 answers INVALID_SYNTAX only inside an
         * authenticated exchange; here the request is dropped (counted). */
        ike_drop(ike, r, remote, "SA payload");
        goto out;
    }
    ike->st.proposals_skipped += (uint64_t)sapl->skipped;
    props->n = 0;
    ike->policy.ike_proposals(ike->policy.ctx, local->addr, props);
    struct ike_choice ch;
    uint16_t alt = 0;
    if (ike_choose(sapl, props->p, props->n, IKE_PROTO_IKE, ke.group, &ch, &alt)) {
        if (alt) {
            /* §1.3 / §2.7: tell the initiator which group we want. */
            uint8_t g[2] = {(uint8_t)(alt >> 8), (uint8_t)alt};
            ike->st.invalid_ke_sent++;
            init_notify(ike, local, remote, m, IKE_N_INVALID_KE_PAYLOAD, g, 2);
        } else {
            ike->st.no_proposal_sent++;
            if (IKE_DBG(error)) {
                char ep[48];
                ilog_debug("IKEv2-ERROR:Received Policies: no proposal of %d from %s acceptable",
                           sapl->nprop, ike_ep_str(remote, ep, sizeof ep));
            }
            init_notify(ike, local, remote, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        }
        goto out;
    }
    if (ke.len != ike_dh_pub_len(ke.group)) {
        ike_drop(ike, IKE_DROP_KE, remote, "KE length");
        goto out;
    }

    /* RFC 5685 notifies, RFC 7427's hash list, RFC 7383's support. */
    bool redir_sup = false, redir_from = false, frag_sup = false;
    uint8_t sig_hashes = 0;
    for (int i = 0; i < m->npl; i++) {
        struct ike_notify n;
        if (m->pl[i].type != IKE_PL_NOTIFY || ike_parse_notify(m->pl[i].body, m->pl[i].len, &n))
            continue;
        if (n.type == IKE_N_REDIRECT_SUPPORTED) redir_sup = true;
        if (n.type == IKE_N_REDIRECTED_FROM) redir_from = redir_sup = true;
        if (n.type == IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) frag_sup = true;
        if (n.type == IKE_N_SIGNATURE_HASH_ALGORITHMS)
            for (size_t k = 0; k + 1 < n.len; k += 2)
                if (n.data[k] == 0 && n.data[k + 1] < 8)
                    sig_hashes |= (uint8_t)(1u << n.data[k + 1]);
    }
    if (redir_sup && !redir_from && ike->redirect.pick) {
        uint32_t target;
        if (ike->redirect.pick(ike->redirect.ctx, local, remote, IKE_SA_INIT, NULL, &target) &&
            target != local->addr) {
            /* RFC 5685 §5: REDIRECT with the new gateway and the initiator's nonce. */
            struct ike_redirect rd = {.gw_type = 1, .gw_len = 4, .nonce = ni, .nonce_len = nilen};
            memcpy(rd.gw, &target, 4);
            uint8_t data[2 + 4 + IKE_NONCE_MAX];
            size_t dl = ike_redirect_data(&rd, data, sizeof data);
            ike->st.redirects++;
            init_notify(ike, local, remote, m, IKE_N_REDIRECT, data, dl);
            goto out;
        }
    }

    struct ike_dh *dh = dh_cached(ike, ch.dh);
    uint8_t gir[IKE_MAX_DH_LEN];
    size_t girlen = dh ? ike_dh_shared(dh, ke.data, ke.len, gir, sizeof gir) : 0;
    if (!girlen) {
        ike_drop(ike, IKE_DROP_KE, remote, "DH public value refused (RFC 6989)");
        goto out;
    }
    struct ike_sa *sa = ike_sa_new(ike, local, remote, m->hdr.spi_i, false, 0);
    if (!sa) {
        OPENSSL_cleanse(gir, sizeof gir);
        goto out;
    }
    sa->redirect_supported = redir_sup;
    sa->redirected_from = redir_from;
    sa->sig_hashes = sig_hashes;
    /* RFC 7383 §2.3: fragmentation is used when both ends offer it. */
    sa->frag_peer = frag_sup;
    sa->frag_mtu = frag_sup ? g.frag_mtu : 0;
    sa->rx_next = 1;
    uint8_t nr[IKE_NONCE_LEN];
    ike_random(nr, sizeof nr);
    struct ike_suite suite = {ch.encr, ch.keylen, ch.integ, ch.prf, ch.dh};
    int rc = ike_derive_ike_keys(&suite, ni, nilen, nr, sizeof nr, gir, girlen, sa->spi_i,
                                 sa->spi_r, &sa->keys);
    OPENSSL_cleanse(gir, sizeof gir);
    uint8_t pub[IKE_MAX_DH_LEN];
    size_t publen = ike_dh_public(dh, pub, sizeof pub);
    if (rc || !publen) {
        ike_sa_destroy(sa, "key derivation failed");
        goto out;
    }

    /* §2.23 NAT detection: compare the peer's hashes with what we see. */
    uint8_t hs[20], hd[20];
    natd_hash(sa->spi_i, 0, remote, hs);
    natd_hash(sa->spi_i, 0, local, hd);
    bool saw_src = false, src_match = false, saw_dst = false, dst_match = false;
    for (int i = 0; i < m->npl; i++) {
        struct ike_notify n;
        if (m->pl[i].type != IKE_PL_NOTIFY || ike_parse_notify(m->pl[i].body, m->pl[i].len, &n))
            continue;
        if (n.type == IKE_N_NAT_DETECTION_SOURCE_IP) {
            saw_src = true;
            if (n.len == 20 && !memcmp(n.data, hs, 20)) src_match = true;
        } else if (n.type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
            saw_dst = true;
            if (n.len == 20 && !memcmp(n.data, hd, 20)) dst_match = true;
        }
    }
    sa->nat_remote = saw_src && !src_match;
    sa->nat_local = saw_dst && !dst_match;

    struct ike_wbuf w;
    ikew_init(&w, ike->txbuf, sizeof ike->txbuf);
    struct ike_hdr h = {.spi_i = sa->spi_i,
                        .spi_r = sa->spi_r,
                        .major = 2,
                        .exchange = IKE_SA_INIT,
                        .flags = IKE_FLAG_RESPONSE,
                        .msgid = 0};
    ikew_hdr(&w, &h);
    ike_put_choice(&w, IKE_PROTO_IKE, &ch, NULL, 0);
    ikew_ke(&w, ch.dh, pub, publen);
    ikew_nonce(&w, nr, sizeof nr);
    if (saw_src || saw_dst) {
        natd_hash(sa->spi_i, sa->spi_r, local, hs);
        natd_hash(sa->spi_i, sa->spi_r, remote, hd);
        ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, hs, 20);
        ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, hd, 20);
    }
    uint8_t certreq[20 * 16];
    size_t crl =
        ike->policy.certreq ? ike->policy.certreq(ike->policy.ctx, certreq, sizeof certreq) : 0;
    if (crl) ikew_cert(&w, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, certreq, crl);
    if (sig_hashes) {
        /* RFC 7427 §4: the hashes we verify with. */
        static const uint8_t ours[] = {0, 2, 0, 3, 0, 4};
        ikew_notify(&w, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, ours, sizeof ours);
    }
    if (sa->frag_mtu) ikew_notify(&w, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    size_t n = ikew_finish(&w);
    if (!n) {
        ike_sa_destroy(sa, "response too large");
        goto out;
    }
    sa->ni = ike_dup_bytes(ni, nilen);
    sa->nilen = nilen;
    sa->nr = ike_dup_bytes(nr, sizeof nr);
    sa->nrlen = sizeof nr;
    sa->init_req = ike_dup_bytes(m->raw, m->rawlen);
    sa->init_req_len = m->rawlen;
    sa->init_resp = ike_dup_bytes(ike->txbuf, n);
    sa->init_resp_len = n;
    OPENSSL_cleanse(nr, sizeof nr);
    if (!sa->ni || !sa->nr || !sa->init_req || !sa->init_resp) {
        ike_sa_destroy(sa, "out of memory");
        goto out;
    }
    if (IKE_DBG(packet)) {
        struct ike_msg *mm = malloc(sizeof *mm);
        uint8_t crit;
        if (mm && !ike_msg_parse(sa->init_resp, n, mm, &crit))
            ike_dbg_msg(ike, true, remote, mm, NULL, 0);
        free(mm);
    }
    ike_send_raw(ike, local, remote, sa->init_resp, n);
out:
    free(sapl);
    free(props);
}

/* ---- protected messages ---- */

void ike_msg_begin(struct ike_sa *sa, struct ike_wbuf *w, uint8_t exchange, bool response,
                   uint32_t msgid)
{
    struct ike *ike = sa->ike;
    ikew_init(w, ike->txbuf, sizeof ike->txbuf);
    struct ike_hdr h = {.spi_i = sa->spi_i,
                        .spi_r = sa->spi_r,
                        .major = 2,
                        .exchange = exchange,
                        .flags = (uint8_t)((response ? IKE_FLAG_RESPONSE : 0) |
                                           (sa->initiator ? IKE_FLAG_INITIATOR : 0)),
                        .msgid = msgid};
    ikew_hdr(w, &h);
    ikew_sk_begin(w, ike_suite_iv_len(&sa->keys.suite));
}

/* The debug line of a message of ours, summarised before encryption (the inner chain is
 * still plaintext in ike->txbuf). */
static void dbg_out(struct ike_sa *sa, size_t n)
{
    struct ike *ike = sa->ike;
    struct ike_msg *mm = malloc(sizeof *mm);
    struct ike_pl *in = malloc(sizeof(struct ike_pl) * IKE_MAX_PAYLOADS);
    uint8_t crit;
    int nin = 0;
    if (mm && in && !ike_msg_parse(ike->txbuf, n, mm, &crit) && mm->sk >= 0) {
        size_t ivl = ike_suite_iv_len(&sa->keys.suite), icv = ike_suite_icv_len(&sa->keys.suite);
        const uint8_t *b = mm->pl[mm->sk].body + ivl;
        size_t bl = mm->pl[mm->sk].len - ivl - icv;
        size_t pad = bl ? b[bl - 1] : 0;
        if (pad + 1 <= bl &&
            !ike_payloads_walk(mm->sk_next, b, bl - pad - 1, in, IKE_MAX_PAYLOADS, &nin, &crit))
            ike_dbg_msg(ike, true, &sa->remote, mm, in, nin);
    }
    free(mm);
    free(in);
}

bool ike_msg_send(struct ike_sa *sa, struct ike_wbuf *w, bool response)
{
    struct ike *ike = sa->ike;
    size_t sk_off = w->sk_off;
    ikew_sk_end(w, ike_suite_block(&sa->keys.suite), ike_suite_icv_len(&sa->keys.suite));
    size_t n = ikew_finish(w);
    if (!n) return false;
    if (IKE_DBG(packet)) dbg_out(sa, n);
    struct ike_dgrams *d = response ? &sa->last_resp : &sa->req;
    ike_dgrams_clear(d);
    if (!ike_seal_out(sa, n, sk_off, d)) {
        ike_dgrams_clear(d);
        return false;
    }
    if (!response) {
        sa->req_tries = 1;
        sa->req_due = loop_now(ike->loop) + IKE_RETRANSMIT_MS;
        ike_sa_arm(sa);
    }
    ike_dgrams_send(ike, d, &sa->local, &sa->remote);
    return true;
}

void ike_respond_notify(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
                        const uint8_t *data, size_t len)
{
    struct ike_wbuf w;
    ike_msg_begin(sa, &w, m->hdr.exchange, true, m->hdr.msgid);
    ikew_notify(&w, 0, NULL, 0, type, data, len);
    ike_msg_send(sa, &w, true);
}

static void id_text(uint8_t type, const uint8_t *d, size_t len, char *out, size_t cap)
{
    char tmp[INET_ADDRSTRLEN];
    switch (type) {
    case IKE_ID_IPV4_ADDR:
        if (len == 4) {
            inet_ntop(AF_INET, d, tmp, sizeof tmp);
            snprintf(out, cap, "%s", tmp);
            return;
        }
        break;
    case IKE_ID_FQDN:
    case IKE_ID_RFC822_ADDR:
    case IKE_ID_KEY_ID: {
        size_t k = 0;
        for (size_t i = 0; i < len && k + 1 < cap; i++)
            out[k++] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '.';
        out[k] = '\0';
        return;
    }
    case IKE_ID_DER_ASN1_DN:
        if (ike_auth_dn_text(d, len, out, cap) == 0) return;
        break;
    }
    snprintf(out, cap, "(id type %u, %zu bytes)", type, len);
}

/* ---- IKE_AUTH ---- */

void ike_establish(struct ike_sa *sa)
{
    struct ike *ike = sa->ike;
    char ep[48];
    ike->half_open--;
    ike->established++;
    ike->st.sa_up++;
    sa->state = SA_ESTABLISHED;
    ike_sa_drop_i(sa);
    int64_t now = loop_now(ike->loop);
    sa->expires = now + (int64_t)sa->lifetime * 1000;
    /* IOS rekeys an IKE SA before its lifetime whichever side it is; a client that rekeys
     * first (strongSwan does at 4 h) replaces this SA before the moment comes. */
    sa->rekey_at = now + ike_soft_lifetime_ms(sa->lifetime);
    if (sa->dpd != IKE_DPD_OFF && sa->dpd_interval)
        sa->dpd_due = now + (int64_t)sa->dpd_interval * 1000;
    if (sa->nat_local && sa->nat_keepalive)
        sa->keepalive_due = now + (int64_t)sa->nat_keepalive * 1000;
    ike_sa_arm(sa);
    ilog(LOG_SEV_NOTIFICATIONS, "CRYPTO", "IKEV2_SESSION_STATUS",
         "Crypto tunnel v2 is UP. Peer %s Id: %s", ike_ep_str(&sa->remote, ep, sizeof ep),
         sa->peer_id);
}

void ike_sa_inherit(struct ike_sa *ns, struct ike_sa *sa)
{
    ns->natt = sa->natt;
    ns->nat_local = sa->nat_local, ns->nat_remote = sa->nat_remote;
    ns->redirect_supported = sa->redirect_supported;
    ns->redirected_from = sa->redirected_from;
    ns->frag_peer = sa->frag_peer, ns->frag_mtu = sa->frag_mtu;
    ns->psk_shared = sa->psk_shared;
    ns->sig_hashes = sa->sig_hashes;
    ns->profile = sa->profile;
    memcpy(ns->peer_id, sa->peer_id, sizeof ns->peer_id);
    ns->local_id = sa->local_id;
    ns->pool = sa->pool;
    ns->vip = sa->vip;
    sa->vip = 0; /* the address moves with the session */
    ns->dpd = sa->dpd, ns->dpd_interval = sa->dpd_interval, ns->dpd_retry = sa->dpd_retry;
    ns->nat_keepalive = sa->nat_keepalive;
    ns->auth_local = sa->auth_local, ns->auth_remote = sa->auth_remote;
    ns->vtemplate = sa->vtemplate;
    /* The children (and their place in the reqid table: the key does not change). */
    struct ike_child **tail = &ns->children;
    while (*tail) tail = &(*tail)->next;
    *tail = sa->children;
    sa->children = NULL;
    for (struct ike_child *c = ns->children; c; c = c->next) c->sa = ns;
    ns->lifetime = sa->lifetime;
    ns->rx_next = 0;
    ike_establish(ns);
    /* A CHILD_SA whose rekey waited for the IKE SA's (window 1) goes now, on the new SA. */
    ike_sa_kick(ns);
    ike_sa_arm(ns);
}

/* §2.15: <signed octets> for the peer's or our AUTH. */
static uint8_t *octets(struct ike_sa *sa, bool initiator, const struct ike_pl *id, size_t *len)
{
    if (initiator)
        return ike_signed_octets(sa->keys.suite.prf, sa->keys.sk_pi, sa->keys.prf_len, sa->init_req,
                                 sa->init_req_len, sa->nr, sa->nrlen, id->body, id->len, len);
    return ike_signed_octets(sa->keys.suite.prf, sa->keys.sk_pr, sa->keys.prf_len, sa->init_resp,
                             sa->init_resp_len, sa->ni, sa->nilen, id->body, id->len, len);
}

static void auth_fail(struct ike_sa *sa, const struct ike_msg *m, const char *why)
{
    struct ike *ike = sa->ike;
    char ep[48];
    ike->st.sa_failed_auth++;
    ilog(LOG_SEV_WARNINGS, "IKEV2", "AUTH_FAILED", "Authentication of peer %s (Id: %s) failed: %s",
         ike_ep_str(&sa->remote, ep, sizeof ep), sa->peer_id[0] ? sa->peer_id : "unknown", why);
    ike_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
    /* The SA stays half-open only to answer a retransmission; it times out. */
    sa->expires = loop_now(ike->loop) + 5000;
    sa->rx_next = 2;
    ike_sa_arm(sa);
}

/* §3.15.1: the CP reply: the pool address, netmask, DNS, split routes, domain. */
static void write_cp_reply(struct ike_wbuf *w, const struct ike_sa *sa,
                           const struct ike_profile_view *v)
{
    struct ike_cp rep = {.cfg_type = IKE_CFG_REPLY};
    uint8_t vals[IKE_MAX_CP_ATTRS][8];
    int nv = 0;
    if (sa->vip) {
        memcpy(vals[nv], &sa->vip, 4);
        rep.a[rep.nattr++] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_ADDRESS, 4, vals[nv++]};
    }
    if (v->netmask) {
        memcpy(vals[nv], &v->netmask, 4);
        rep.a[rep.nattr++] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_NETMASK, 4, vals[nv++]};
    }
    for (int i = 0; i < 2; i++)
        if (v->dns[i]) {
            memcpy(vals[nv], &v->dns[i], 4);
            rep.a[rep.nattr++] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_DNS, 4, vals[nv++]};
        }
    for (int i = 0; i < v->nroutes && nv < IKE_MAX_CP_ATTRS && rep.nattr < IKE_MAX_CP_ATTRS; i++) {
        memcpy(vals[nv], &v->routes[i].addr, 4);
        memcpy(vals[nv] + 4, &v->routes[i].mask, 4);
        rep.a[rep.nattr++] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_SUBNET, 8, vals[nv++]};
    }
    if (v->def_domain[0] && rep.nattr < IKE_MAX_CP_ATTRS)
        rep.a[rep.nattr++] =
            (struct ike_cp_attr){IKE_CA_INTERNAL_DNS_DOMAIN, (uint16_t)strlen(v->def_domain),
                                 (const uint8_t *)v->def_domain};
    ikew_cp(w, &rep);
}

/* The IKE_AUTH answer's start: IDr, our certificate when we sign, AUTH (§1.2). */
static void auth_answer_begin(struct ike_sa *sa, const struct ike_msg *m, struct ike_wbuf *w,
                              const struct ike_profile_view *v, const uint8_t *idbody, size_t idlen,
                              uint8_t method, const uint8_t *authdata, size_t alen)
{
    ike_msg_begin(sa, w, IKE_AUTH, true, m->hdr.msgid);
    ikew_id(w, IKE_PL_IDR, idbody[0], idbody + 4, idlen);
    if (v->auth_local != IKE_AM_PSK) {
        uint8_t cert[8192];
        size_t cl = ike_auth_signer_cert(v->signer, cert, sizeof cert);
        if (cl) ikew_cert(w, IKE_PL_CERT, IKE_CERT_X509_SIG, cert, cl);
    }
    ikew_auth(w, method, authdata, alen);
}

/* §2.4 INITIAL_CONTACT from the peer of sa (authenticated): the IKE SAs of the same identity
 * pair are stale and go, silently (the peer has forgotten them), with their CHILD_SAs and
 * addresses. When the identity may be shared by many clients (sa->psk_shared), only those
 * from the same address go: a group key must not let one client end the others' sessions. */
static void initial_contact(struct ike_sa *sa)
{
    struct ike *ike = sa->ike;
    struct ike_sa *o = ike->first, *nx;
    for (; o; o = nx) {
        nx = o->next;
        if (o == sa || (o->state != SA_ESTABLISHED && o->state != SA_REKEYED)) continue;
        if (strcmp(o->peer_id, sa->peer_id) || strcmp(o->local_id, sa->local_id)) continue;
        if (sa->psk_shared && o->remote.addr != sa->remote.addr) continue;
        ike->st.initial_contact_deleted++;
        ike_sa_destroy(o, "replaced (INITIAL_CONTACT)");
    }
}

static void auth_request(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *pl,
                         int npl)
{
    struct ike *ike = sa->ike;
    ike->st.auth_in++;
    const struct ike_pl *pid = ike_pl_find(pl, npl, IKE_PL_IDI);
    const struct ike_pl *pauth = ike_pl_find(pl, npl, IKE_PL_AUTH);
    struct ike_id idi;
    struct ike_auth au;
    if (!pid || ike_parse_id(pid->body, pid->len, &idi)) {
        ike_drop(ike, IKE_DROP_MISSING, &sa->remote, "IKE_AUTH without IDi");
        ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
        sa->rx_next = 2;
        return;
    }
    id_text(idi.type, idi.data, idi.len, sa->peer_id, sizeof sa->peer_id);
    if (!pauth || ike_parse_auth(pauth->body, pauth->len, &au)) {
        /* No AUTH: the peer wants EAP (§2.16), which this gateway does not offer. */
        auth_fail(sa, m, pauth ? "malformed AUTH" : "EAP not supported");
        return;
    }

    /* The peer's certificate chain: the first CERT is the end entity (§3.6). */
    const uint8_t *certs[8];
    size_t certlens[8];
    int ncert = 0;
    for (int i = 0; i < npl && ncert < 8; i++) {
        struct ike_cert c;
        if (pl[i].type == IKE_PL_CERT && !ike_parse_cert(pl[i].body, pl[i].len, &c) &&
            c.encoding == IKE_CERT_X509_SIG)
            certs[ncert] = c.data, certlens[ncert++] = c.len;
    }
    struct ike_pki_cert *peer_cert = NULL;
    char why[160] = "";
    if (ncert) {
        peer_cert = ike_auth_cert_parse(certs[0], certlens[0]);
        if (!peer_cert) {
            auth_fail(sa, m, "unparsable certificate");
            return;
        }
    }
    struct ike_profile_view *v = calloc(1, sizeof *v);
    size_t olen = 0;
    uint8_t *oct = NULL;
    if (!v) goto out;
    struct ike_peer_info pi = {.local = sa->local,
                               .remote = sa->remote,
                               .id_type = idi.type,
                               .id_data = idi.data,
                               .id_len = idi.len,
                               .auth_method = au.method,
                               .cert = peer_cert ? ike_auth_cert_handle(peer_cert) : NULL};
    if (ike->policy.profile(ike->policy.ctx, &pi, v, why, sizeof why)) {
        auth_fail(sa, m, why[0] ? why : "no matching profile");
        goto out;
    }
    sa->profile = ike_intern(ike, v->name);
    oct = octets(sa, true, pid, &olen);
    if (!oct) goto out;

    /* Verify the peer (§2.15). */
    if (au.method == IKE_AUTH_PSK) {
        if (!(v->auth_remote & IKE_AM_PSK) || !v->psk_remote_len) {
            auth_fail(sa, m,
                      !(v->auth_remote & IKE_AM_PSK) ? "pre-share not allowed by profile"
                                                     : "no pre-shared key for peer");
            goto out;
        }
        uint8_t want[IKE_MAX_PRF_LEN];
        size_t wl =
            ike_psk_auth(sa->keys.suite.prf, v->psk_remote, v->psk_remote_len, oct, olen, want);
        if (!wl || au.len != wl || !ike_ct_equal(want, au.data, wl)) {
            auth_fail(sa, m, "pre-shared key mismatch");
            goto out;
        }
        sa->auth_remote = IKE_AM_PSK;
    } else {
        if (!peer_cert) {
            auth_fail(sa, m, "signature without certificate");
            goto out;
        }
        unsigned am = ike_auth_cert_is_ecdsa(peer_cert) ? IKE_AM_ECDSA : IKE_AM_RSA;
        if (!(v->auth_remote & am)) {
            auth_fail(sa, m,
                      am == IKE_AM_ECDSA ? "ecdsa-sig not allowed by profile"
                                         : "rsa-sig not allowed by profile");
            goto out;
        }
        if (!v->ntrustpoints) {
            auth_fail(sa, m, "no trustpoint to verify the certificate");
            goto out;
        }
        /* Every verify trustpoint of the profile is tried, in the configured order (IOS). */
        bool chain_ok = false;
        time_t now = time(NULL);
        for (int t = 0; t < v->ntrustpoints && !chain_ok; t++)
            chain_ok = !ike_auth_verify_chain(v->trustpoints[t], peer_cert, certs + 1, certlens + 1,
                                              ncert - 1, now, why, sizeof why);
        if (!chain_ok) {
            auth_fail(sa, m, why);
            goto out;
        }
        if (!ike_auth_cert_matches_id(peer_cert, idi.type, idi.data, idi.len)) {
            auth_fail(sa, m, "identity not in certificate");
            goto out;
        }
        if (ike_auth_verify(peer_cert, au.method, au.data, au.len, oct, olen, why, sizeof why)) {
            auth_fail(sa, m, why);
            goto out;
        }
        sa->auth_remote = (uint8_t)am;
    }
    free(oct);
    oct = NULL;

    /* Our identity and AUTH. */
    uint8_t idbody[4 + 512];
    size_t idlen = 0;
    idbody[0] = v->id_type;
    idbody[1] = idbody[2] = idbody[3] = 0;
    if (v->id_type == IKE_ID_IPV4_ADDR && v->id_len == 0) {
        memcpy(idbody + 4, &sa->local.addr, 4);
        idlen = 4;
    } else if (v->id_type == IKE_ID_DER_ASN1_DN && v->id_len == 0) {
        idlen = v->signer ? ike_auth_signer_subject(v->signer, idbody + 4, sizeof idbody - 4) : 0;
        if (!idlen) {
            auth_fail(sa, m, "identity local dn without a certificate");
            goto out;
        }
    } else {
        idlen = v->id_len < sizeof idbody - 4 ? v->id_len : sizeof idbody - 4;
        memcpy(idbody + 4, v->id_data, idlen);
    }
    char lid[96];
    id_text(idbody[0], idbody + 4, idlen, lid, sizeof lid);
    sa->local_id = ike_intern(ike, lid);
    struct ike_pl idr = {.type = IKE_PL_IDR, .body = idbody, .len = idlen + 4};
    oct = octets(sa, false, &idr, &olen);
    if (!oct) goto out;
    uint8_t authdata[1024];
    size_t alen = 0;
    uint8_t method = IKE_AUTH_PSK;
    if (v->auth_local == IKE_AM_PSK) {
        if (!v->psk_local_len) {
            auth_fail(sa, m, "no local pre-shared key");
            goto out;
        }
        alen =
            ike_psk_auth(sa->keys.suite.prf, v->psk_local, v->psk_local_len, oct, olen, authdata);
    } else {
        if (!v->signer) {
            auth_fail(sa, m, "no certificate/key to sign with (trustpoint)");
            goto out;
        }
        alen = sizeof authdata;
        if (ike_auth_sign(v->signer, sa->sig_hashes, oct, olen, &method, authdata, &alen, why,
                          sizeof why)) {
            auth_fail(sa, m, why);
            goto out;
        }
    }
    sa->auth_local = (uint8_t)v->auth_local;

    /* RFC 5685 §6: redirect in IKE_AUTH, once the client's AUTH verified: IDr, AUTH and
     * N(REDIRECT) (no nonce), no CHILD_SA; the SA stays only to answer the client's DELETE. */
    uint32_t target;
    if (sa->redirect_supported && !sa->redirected_from && ike->redirect.pick &&
        ike->redirect.pick(ike->redirect.ctx, &sa->local, &sa->remote, IKE_AUTH, v->name,
                           &target) &&
        target != sa->local.addr) {
        struct ike_wbuf w;
        auth_answer_begin(sa, m, &w, v, idbody, idlen, method, authdata, alen);
        struct ike_redirect rd = {.gw_type = 1, .gw_len = 4};
        memcpy(rd.gw, &target, 4);
        uint8_t data[2 + 255];
        size_t dl = ike_redirect_data(&rd, data, sizeof data);
        ikew_notify(&w, 0, NULL, 0, IKE_N_REDIRECT, data, dl);
        sa->rx_next = m->hdr.msgid + 1;
        if (ike_msg_send(sa, &w, true)) {
            char ep[48], t[INET_ADDRSTRLEN];
            ike->st.redirects++;
            sa->redirected_away = true;
            sa->expires = loop_now(ike->loop) + 10000;
            ike_sa_arm(sa);
            if (IKE_DBG(internal))
                ilog_debug("IKEv2:(SA ID = %u):Redirecting %s (Id: %s) to %s in IKE_AUTH",
                           sa->conn_id, ike_ep_str(&sa->remote, ep, sizeof ep), sa->peer_id,
                           inet_ntop(AF_INET, &target, t, sizeof t));
        }
        goto out;
    }

    /* Session parameters from the profile. */
    sa->pool = ike_intern(ike, v->pool);
    sa->vtemplate = v->vtemplate;
    sa->dpd = v->dpd;
    sa->dpd_interval = v->dpd_interval;
    sa->dpd_retry = v->dpd_retry;
    sa->nat_keepalive = v->nat_keepalive;
    sa->psk_shared = (sa->auth_remote == IKE_AM_PSK && v->psk_shared) || idi.type == IKE_ID_KEY_ID;

    /* §2.4: INITIAL_CONTACT says the peer holds no other SA with us: older ones of the same
     * identities are left from before its restart. They go before the pool is asked, so the
     * client gets its address back. */
    struct ike_notify icn;
    if (ike_notify_find(pl, npl, IKE_N_INITIAL_CONTACT, &icn)) initial_contact(sa);

    /* §3.15: configuration payload. */
    const struct ike_pl *pcp = ike_pl_find(pl, npl, IKE_PL_CP);
    struct ike_cp cp;
    bool cp_req = false, cp_failed = false;
    if (pcp && !ike_parse_cp(pcp->body, pcp->len, &cp) && cp.cfg_type == IKE_CFG_REQUEST) {
        cp_req = true;
        bool want_addr = false;
        for (int i = 0; i < cp.nattr; i++)
            if (cp.a[i].type == IKE_CA_INTERNAL_IP4_ADDRESS) want_addr = true;
        if (want_addr &&
            (!sa->pool[0] || !ike->policy.pool_alloc ||
             ike->policy.pool_alloc(ike->policy.ctx, sa->pool, sa->peer_id, &sa->vip))) {
            char ep[48];
            ilog(LOG_SEV_WARNINGS, "IKEV2", "POOL_FAILED",
                 "No address for peer %s (Id: %s) from pool %s",
                 ike_ep_str(&sa->remote, ep, sizeof ep), sa->peer_id,
                 sa->pool[0] ? sa->pool : "(none configured)");
            sa->vip = 0;
            cp_failed = true;
        }
    }

    /* The first CHILD_SA (§1.2), negotiated before the answer is written: its outcome decides
     * whether the address stays. A failure leaves the IKE SA up (§1.2 last paragraph). */
    struct ike_child_req cr = {0};
    struct ike_sa_pl *sabuf = malloc(sizeof *sabuf);
    struct ike_child_out *co = malloc(sizeof *co);
    int prc = sabuf && co ? ike_child_req_parse(pl, npl, &cr, sabuf) : -2;
    uint16_t child_err = 0;
    if (prc == 0 && cp_failed) {
        child_err = IKE_N_INTERNAL_ADDRESS_FAILURE;
        ike->st.addr_failure_sent++;
        ike->st.child_failed++;
    } else if (prc == 0) {
        ike->st.proposals_skipped += (uint64_t)sabuf->skipped;
        cr.ke_group = 0; /* no KE in IKE_AUTH: any DH in the ESP proposal is ignored */
        struct ike_prop_cfg *esp = v->esp.p;
        for (int i = 0; i < v->esp.n; i++) esp[i].ndh = 0;
        child_err = ike_child_respond(sa, &cr, sa->ni, sa->nilen, sa->nr, sa->nrlen, esp, v->esp.n,
                                      v->child_lifetime, v->child_lifetime_kb, NULL, NULL, co);
        if (child_err == IKE_N_NO_PROPOSAL_CHOSEN) ike->st.no_proposal_sent++;
        if (child_err == IKE_N_TS_UNACCEPTABLE) ike->st.ts_unacceptable_sent++;
        if (child_err == IKE_N_TEMPORARY_FAILURE) ike->st.temp_failure_sent++;
    } else if (prc == -2) {
        child_err = IKE_N_INVALID_SYNTAX;
    }
    /* Leases follow children: an IKE SA whose CHILD_SA failed gives its address back (the
     * client, Windows among them, then closes the IKE SA; a new CHILD_SA later gets none). */
    if (child_err && sa->vip) {
        ike->policy.pool_release(ike->policy.ctx, sa->pool, sa->vip);
        sa->vip = 0;
        ike->st.leases_released_childless++;
    }

    struct ike_wbuf w;
    auth_answer_begin(sa, m, &w, v, idbody, idlen, method, authdata, alen);
    if (cp_req && !child_err) write_cp_reply(&w, sa, v);
    if (child_err)
        ikew_notify(&w, 0, NULL, 0, child_err, NULL, 0);
    else if (prc == 0)
        ike_child_write(&w, co, NULL, 0);
    free(sabuf);
    free(co);
    sa->rx_next = m->hdr.msgid + 1;
    sa->lifetime = v->lifetime ? v->lifetime : 86400;
    if (!ike_msg_send(sa, &w, true)) {
        ike_sa_destroy(sa, "IKE_AUTH response too large");
        goto out;
    }
    ike_establish(sa);
    /* The IKE_SA_INIT material was needed for AUTH and the first CHILD_SA only. */
    OPENSSL_cleanse(sa->ni, sa->nilen);
    OPENSSL_cleanse(sa->nr, sa->nrlen);
    free(sa->ni);
    free(sa->nr);
    free(sa->init_req);
    free(sa->init_resp);
    sa->ni = sa->nr = sa->init_req = sa->init_resp = NULL;
    sa->nilen = sa->nrlen = 0;
out:
    if (oct) OPENSSL_cleanse(oct, olen);
    free(oct);
    if (v) OPENSSL_cleanse(v, sizeof *v);
    free(v);
    ike_auth_cert_free(peer_cert);
}

/* ---- INFORMATIONAL ---- */

static void informational(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *pl,
                          int npl)
{
    struct ike *ike = sa->ike;
    ike->st.info_in++;
    struct ike_wbuf w;
    bool delete_ike = false;
    struct ike_delete *ours = calloc(1, sizeof *ours);
    if (!ours) return;
    ours->proto = IKE_PROTO_ESP;
    ours->spi_size = 4;
    for (int i = 0; i < npl; i++) {
        if (pl[i].type != IKE_PL_DELETE) continue;
        struct ike_delete d;
        if (ike_parse_delete(pl[i].body, pl[i].len, &d)) continue;
        if (d.proto == IKE_PROTO_IKE) {
            delete_ike = true;
        } else if (d.proto == IKE_PROTO_ESP && d.spi_size == 4) {
            /* §1.4.1: the peer names its inbound SPIs (our outbound); we answer with ours. */
            for (int k = 0; k < d.nspi; k++) {
                uint32_t spi;
                memcpy(&spi, d.spi[k], 4);
                struct ike_child *c = ike_child_by_spi_out(sa, ntohl(spi));
                if (!c) continue;
                /* §2.25.1: one we are closing ourselves is answered without its SPI. */
                if (c->st != CH_DELETING && ours->nspi < IKE_MAX_DELETE_SPIS) {
                    uint32_t in = htonl(c->k.spi_in);
                    memcpy(ours->spi[ours->nspi++], &in, 4);
                }
                ike_child_remove(sa, c, true);
            }
        }
    }
    ike_msg_begin(sa, &w, IKE_INFORMATIONAL, true, m->hdr.msgid);
    if (!delete_ike && ours->nspi) ikew_delete(&w, ours);
    free(ours);
    ike_msg_send(sa, &w, true);
    sa->rx_next = m->hdr.msgid + 1;
    if (delete_ike) {
        ike->st.sa_deleted++;
        ike_sa_destroy(sa, "deleted by peer");
    }
}

void ike_handle_request(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *inner,
                        int ninner)
{
    switch (m->hdr.exchange) {
    case IKE_AUTH:
        if (sa->state != SA_HALF_OPEN || m->hdr.msgid != 1) {
            ike_drop(sa->ike, IKE_DROP_UNEXPECTED, &sa->remote, "IKE_AUTH out of place");
            return;
        }
        auth_request(sa, m, inner, ninner);
        return;
    case IKE_CREATE_CHILD_SA:
        if (sa->state == SA_HALF_OPEN) break;
        sa->rx_next = m->hdr.msgid + 1;
        ike_create_child(sa, m, inner, ninner);
        return;
    case IKE_INFORMATIONAL:
        if (sa->state == SA_HALF_OPEN && !sa->redirected_away) break;
        informational(sa, m, inner, ninner);
        return;
    }
    ike_drop(sa->ike, IKE_DROP_UNEXPECTED, &sa->remote, ike_exchange_name(m->hdr.exchange));
}
