/* Our own requests on an IKE SA (RFC 7296 §1.3, §1.4, §2.3, §2.4, §2.8, §2.18, §2.25):
 * liveness checks, deletes of the IKE SA and of CHILD_SAs, and the rekeys this gateway starts
 * when a lifetime runs out (the IKE SA, as IOS does whichever side it is, and CHILD_SAs,
 * whose soft lifetime comes from our timers or the kernel's byte count), and a CHILD_SA
 * negotiated again when the kernel asks (ACQUIRE).
 *
 * One request is out at a time (window 1). What is wanted meanwhile is kept as flags on the
 * SA and its children (want_delete, want_rekey_ike, a child's want_rekey or CH_DELETING,
 * acquire_reqid); ike_sa_kick() starts the next one whenever the window is free, deletes
 * first. Simultaneous rekeys by both ends (§2.8.1, §2.8.2) are resolved by the nonces: the
 * new SA made by the exchange holding the lowest of the four nonces is closed by whoever made
 * it, and whoever made the surviving one deletes the old one. */
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_internal.h"
#include "platform/loop.h"

void ike_req_ctx_free(struct ike_sa *sa)
{
    if (!sa->rq) return;
    ike_dh_free(sa->rq->dh);
    OPENSSL_cleanse(sa->rq, sizeof *sa->rq);
    free(sa->rq);
    sa->rq = NULL;
}

/* §2.8.1: octet by octet; a nonce that ends first is the lower. */
static int nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int c = memcmp(a, b, n);
    if (c) return c;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

static void lowest(const uint8_t *n1, size_t l1, const uint8_t *n2, size_t l2, const uint8_t **lo,
                   size_t *lol)
{
    bool first = nonce_cmp(n1, l1, n2, l2) <= 0;
    *lo = first ? n1 : n2;
    *lol = first ? l1 : l2;
}

void ike_req_note_collision(struct ike_sa *sa, uint64_t made_spi, const uint8_t *n1, size_t l1,
                            const uint8_t *n2, size_t l2)
{
    struct ike_req_ctx *rq = sa->rq;
    const uint8_t *lo;
    size_t lol;
    lowest(n1, l1, n2, l2, &lo, &lol);
    if (lol > sizeof rq->coll_nonce) lol = sizeof rq->coll_nonce;
    rq->collided = true;
    rq->coll_spi = made_spi;
    memcpy(rq->coll_nonce, lo, lol);
    rq->coll_nonce_len = lol;
}

/* Did our exchange (ni, nr) hold the lowest of the four nonces? */
static bool ours_lowest(const struct ike_req_ctx *rq, const uint8_t *nr, size_t nrlen)
{
    const uint8_t *lo;
    size_t lol;
    lowest(rq->ni, sizeof rq->ni, nr, nrlen, &lo, &lol);
    return nonce_cmp(lo, lol, rq->coll_nonce, rq->coll_nonce_len) < 0;
}

/* ---- sending ---- */

/* w was begun with message ID tx_next: it is used up only when the request leaves. */
static bool send_request(struct ike_sa *sa, struct ike_wbuf *w, enum ike_req_kind kind)
{
    sa->req_kind = kind;
    if (ike_msg_send(sa, w, false)) {
        sa->tx_next++;
        return true;
    }
    sa->req_kind = REQ_NONE;
    return false;
}

void ike_send_dpd(struct ike_sa *sa)
{
    struct ike_wbuf w;
    ike_msg_begin(sa, &w, IKE_INFORMATIONAL, false, sa->tx_next);
    send_request(sa, &w, REQ_DPD);
    /* Retries at the configured retry interval (IOS `dpd INTERVAL RETRY`). */
    if (sa->dpd_retry) sa->req_due = loop_now(sa->ike->loop) + (int64_t)sa->dpd_retry * 1000;
    ike_sa_arm(sa);
}

void ike_send_delete(struct ike_sa *sa)
{
    struct ike_wbuf w;
    while (sa->children) ike_child_remove(sa, sa->children, true);
    ike_msg_begin(sa, &w, IKE_INFORMATIONAL, false, sa->tx_next);
    struct ike_delete d = {.proto = IKE_PROTO_IKE};
    ikew_delete(&w, &d);
    if (sa->state == SA_ESTABLISHED) sa->state = SA_DELETING; /* a rekeyed one stays REKEYED */
    sa->want_delete = false;
    sa->dpd_due = 0;
    sa->rekey_at = 0;
    send_request(sa, &w, REQ_DELETE_IKE);
    ike_sa_arm(sa);
}

/* §1.4.1: INFORMATIONAL {D(ESP, our inbound SPIs)} for the CHILD_SAs we close; they leave
 * the kernel when the peer answers (it may still send on them until then). */
static void send_delete_children(struct ike_sa *sa)
{
    struct ike_delete *d = calloc(1, sizeof *d);
    if (!d) return;
    d->proto = IKE_PROTO_ESP;
    d->spi_size = 4;
    for (struct ike_child *c = sa->children; c && d->nspi < IKE_MAX_DELETE_SPIS; c = c->next)
        if (c->st == CH_DELETING && !c->del_sent) {
            uint32_t in = htonl(c->k.spi_in);
            memcpy(d->spi[d->nspi++], &in, 4);
            c->del_sent = true;
        }
    if (d->nspi) {
        struct ike_wbuf w;
        ike_msg_begin(sa, &w, IKE_INFORMATIONAL, false, sa->tx_next);
        ikew_delete(&w, d);
        send_request(sa, &w, REQ_DELETE_CHILD);
    }
    free(d);
}

/* The ESP proposals of the session's profile now (CREATE_CHILD_SA as initiator), else what
 * the CHILD_SA being replaced had. */
static int esp_offer(struct ike_sa *sa, const struct ike_child *like, struct ike_prop_cfg *out,
                     int cap, uint32_t *lifetime, uint64_t *kb)
{
    struct ike *ike = sa->ike;
    struct ike_profile_view *v = calloc(1, sizeof *v);
    char why[128];
    struct ike_peer_info pi = {.local = sa->local, .remote = sa->remote};
    int n = 0;
    if (v && ike->policy.profile_by_name &&
        !ike->policy.profile_by_name(ike->policy.ctx, sa->profile, &pi, v, why, sizeof why)) {
        for (int i = 0; i < v->esp.n && n < cap; i++) out[n++] = v->esp.p[i];
        *lifetime = v->child_lifetime;
        *kb = v->child_lifetime_kb;
    }
    if (!n && like) {
        memset(out, 0, sizeof *out);
        out->nencr = 1, out->encr[0].id = like->k.encr, out->encr[0].keylen = like->k.keylen;
        if (like->k.integ) out->ninteg = 1, out->integ[0] = like->k.integ;
        if (like->dh) out->ndh = 1, out->dh[0] = like->dh;
        *lifetime = like->k.lifetime_s;
        *kb = like->k.lifetime_kb;
        n = 1;
    }
    if (v) OPENSSL_cleanse(v, sizeof *v);
    free(v);
    return n;
}

static void ts_to_set(const struct ike_child_ts *in, struct ike_ts_set *out)
{
    out->n = 0;
    for (int i = 0; i < in->n && i < IKE_MAX_TS; i++) {
        struct ike_ts *t = &out->ts[out->n++];
        memset(t, 0, sizeof *t);
        t->type = IKE_TS_IPV4_ADDR_RANGE;
        t->ipproto = in->ts[i].proto;
        t->sport = in->ts[i].sport;
        t->eport = in->ts[i].eport;
        uint32_t lo = htonl(in->ts[i].lo), hi = htonl(in->ts[i].hi);
        memcpy(t->saddr, &lo, 4);
        memcpy(t->eaddr, &hi, 4);
    }
}

/* CREATE_CHILD_SA for a CHILD_SA like `like` (its selectors and reqid): a rekey of it (§1.3.3)
 * when rekey, else a new one in its place (after an ACQUIRE). */
static void send_child(struct ike_sa *sa, struct ike_child *like, bool rekey)
{
    struct ike *ike = sa->ike;
    struct ike_prop_cfg esp[IKE_CFG_MAX_PROPS];
    uint32_t lifetime = 3600;
    uint64_t kb = 0;
    int nesp = esp_offer(sa, like, esp, IKE_CFG_MAX_PROPS, &lifetime, &kb);
    struct ike_req_ctx *rq = sa->rq ? sa->rq : calloc(1, sizeof *rq);
    if (!rq || !nesp) {
        if (rq != sa->rq) free(rq);
        return;
    }
    sa->rq = rq;
    rq->reqid = like->k.reqid;
    rq->tsi = like->k.ts_local;
    rq->tsr = like->k.ts_remote;
    rq->old_spi_in = rekey ? like->k.spi_in : 0;
    if (!rq->spi_in && ike_child_alloc_spi(sa, rq->reqid, &rq->spi_in)) {
        ike_req_ctx_free(sa);
        return;
    }
    /* PFS (§1.3.1): a KE in the first PFS group of the profile (or the one the peer asked
     * for in INVALID_KE_PAYLOAD). */
    if (!rq->group && esp[0].ndh) rq->group = esp[0].dh[0];
    if (rq->group && !rq->dh) rq->dh = ike_dh_new(rq->group);
    ike_random(rq->ni, sizeof rq->ni);
    struct ike_wbuf w;
    ike_msg_begin(sa, &w, IKE_CREATE_CHILD_SA, false, sa->tx_next);
    if (rekey) {
        uint32_t old = htonl(like->k.spi_in);
        ikew_notify(&w, IKE_PROTO_ESP, (const uint8_t *)&old, 4, IKE_N_REKEY_SA, NULL, 0);
    }
    uint32_t spi = htonl(rq->spi_in);
    ike_put_offer(&w, IKE_PROTO_ESP, esp, nesp, (const uint8_t *)&spi, 4, rq->group);
    ikew_nonce(&w, rq->ni, sizeof rq->ni);
    if (rq->dh) {
        uint8_t pub[IKE_MAX_DH_LEN];
        size_t pl = ike_dh_public(rq->dh, pub, sizeof pub);
        ikew_ke(&w, rq->group, pub, pl);
    }
    struct ike_ts_set *ts = malloc(sizeof *ts);
    if (!ts) {
        ike_req_ctx_free(sa);
        return;
    }
    ts_to_set(&rq->tsi, ts);
    ikew_ts(&w, IKE_PL_TSI, ts);
    ts_to_set(&rq->tsr, ts);
    ikew_ts(&w, IKE_PL_TSR, ts);
    free(ts);
    if (send_request(sa, &w, rekey ? REQ_REKEY_CHILD : REQ_NEW_CHILD)) {
        if (rekey) ike->st.child_rekeys_sent++;
        if (IKE_DBG(internal))
            ilog_debug("IKEv2:(SA ID = %u):%s CHILD_SA (SPI 0x%08X)", sa->conn_id,
                       rekey ? "Rekeying" : "Negotiating again", like->k.spi_in);
    } else {
        ike_req_ctx_free(sa);
    }
}

/* §1.3.2: CREATE_CHILD_SA {SA(IKE, new SPI), Ni, KEi}. */
static void send_rekey_ike(struct ike_sa *sa)
{
    struct ike *ike = sa->ike;
    struct ike_prop_list *props = malloc(sizeof *props);
    struct ike_req_ctx *rq = sa->rq ? sa->rq : calloc(1, sizeof *rq);
    if (!props || !rq) {
        free(props);
        if (rq != sa->rq) free(rq);
        return;
    }
    sa->rq = rq;
    props->n = 0;
    ike->policy.ike_proposals(ike->policy.ctx, sa->local.addr, props);
    if (!rq->group) rq->group = sa->keys.suite.dh;
    if (!rq->dh) rq->dh = ike_dh_new(rq->group);
    if (!rq->spi_new) rq->spi_new = ike_fresh_spi(ike);
    ike_random(rq->ni, sizeof rq->ni);
    uint8_t spi[8];
    for (int i = 0; i < 8; i++) spi[i] = (uint8_t)(rq->spi_new >> (56 - 8 * i));
    struct ike_wbuf w;
    ike_msg_begin(sa, &w, IKE_CREATE_CHILD_SA, false, sa->tx_next);
    ike_put_offer(&w, IKE_PROTO_IKE, props->p, props->n, spi, 8, rq->group);
    free(props);
    ikew_nonce(&w, rq->ni, sizeof rq->ni);
    uint8_t pub[IKE_MAX_DH_LEN];
    size_t pl = rq->dh ? ike_dh_public(rq->dh, pub, sizeof pub) : 0;
    ikew_ke(&w, rq->group, pub, pl);
    if (pl && send_request(sa, &w, REQ_REKEY_IKE)) {
        ike->st.ike_rekeys_sent++;
        sa->want_rekey_ike = false;
        if (IKE_DBG(internal)) ilog_debug("IKEv2:(SA ID = %u):Rekeying the IKE SA", sa->conn_id);
    } else {
        ike_req_ctx_free(sa);
    }
}

void ike_sa_kick(struct ike_sa *sa)
{
    if (sa->req.n) return;
    if (sa->want_delete && (sa->state == SA_ESTABLISHED || sa->state == SA_REKEYED)) {
        ike_send_delete(sa);
        return;
    }
    if (sa->state != SA_ESTABLISHED) return;
    for (struct ike_child *c = sa->children; c; c = c->next)
        if (c->st == CH_DELETING && !c->del_sent) {
            send_delete_children(sa);
            if (sa->req.n) return;
            break;
        }
    if (sa->retry_at && loop_now(sa->ike->loop) < sa->retry_at) return;
    if (sa->want_rekey_ike) {
        send_rekey_ike(sa);
        if (sa->req.n) return;
    }
    for (struct ike_child *c = sa->children; c; c = c->next)
        if (c->st == CH_ACTIVE && c->want_rekey) {
            c->want_rekey = false;
            send_child(sa, c, true);
            if (sa->req.n) return;
        }
    if (sa->acquire_reqid) {
        struct ike_child *like = NULL;
        for (struct ike_child *c = sa->children; c; c = c->next)
            if (c->k.reqid == sa->acquire_reqid) like = c;
        sa->acquire_reqid = 0;
        if (like) send_child(sa, like, false);
    }
}

void ike_retransmit(struct ike_sa *sa)
{
    struct ike *ike = sa->ike;
    ike->st.retransmits_sent++;
    sa->req_tries++;
    int64_t step = sa->req_kind == REQ_DPD && sa->dpd_retry
                       ? (int64_t)sa->dpd_retry * 1000
                       : (int64_t)IKE_RETRANSMIT_MS << (sa->req_tries - 1);
    sa->req_due = loop_now(ike->loop) + step;
    ike_dgrams_send(ike, &sa->req, &sa->local, &sa->remote);
}

/* ---- answers ---- */

/* The first error notify of a response (types below 16384, §3.10.1), 0 when none. */
static uint16_t error_of(const struct ike_pl *pl, int npl, struct ike_notify *n)
{
    for (int i = 0; i < npl; i++)
        if (pl[i].type == IKE_PL_NOTIFY && !ike_parse_notify(pl[i].body, pl[i].len, n) &&
            n->type < 16384)
            return n->type;
    return 0;
}

static void log_refused(struct ike_sa *sa, const char *what, uint16_t err, const char *why)
{
    char ep[48];
    ilog(LOG_SEV_WARNINGS, "IKEV2", "REKEY_FAILED", "%s for peer %s (Id: %s) failed: %s", what,
         ike_ep_str(&sa->remote, ep, sizeof ep), sa->peer_id,
         err   ? ike_notify_name(err)
         : why ? why
               : "unknown");
}

/* Does the accepted transform set agree with one of the proposals we offered (§3.3.6)? */
static bool offered(const struct ike_prop_cfg *cfg, int n, const struct ike_choice *ch)
{
    struct ike_sa_pl *one = malloc(sizeof *one);
    if (!one) return false;
    one->nprop = one->ntrans = one->skipped = 0;
    /* The answer's SPI (ike_choose skips an ESP proposal without a 4-byte one). */
    ike_sa_pl_add_prop(one, 1, IKE_PROTO_ESP, ch->spi, 4);
    ike_sa_pl_add_transform(one, IKE_TT_ENCR, ch->encr, ch->keylen);
    if (ch->integ) ike_sa_pl_add_transform(one, IKE_TT_INTEG, ch->integ, 0);
    if (ch->dh) ike_sa_pl_add_transform(one, IKE_TT_DH, ch->dh, 0);
    ike_sa_pl_add_transform(one, IKE_TT_ESN, IKE_ESN_NO, 0);
    struct ike_choice c2;
    uint16_t alt = 0;
    bool ok = !ike_choose(one, cfg, n, IKE_PROTO_ESP, ch->dh, &c2, &alt);
    free(one);
    return ok;
}

static bool ts_equal(const struct ike_ts_set *s, const struct ike_child_ts *k)
{
    if (s->n != k->n) return false;
    for (int i = 0; i < s->n; i++) {
        uint32_t lo, hi;
        memcpy(&lo, s->ts[i].saddr, 4);
        memcpy(&hi, s->ts[i].eaddr, 4);
        if (s->ts[i].type != IKE_TS_IPV4_ADDR_RANGE || ntohl(lo) != k->ts[i].lo ||
            ntohl(hi) != k->ts[i].hi || s->ts[i].sport != k->ts[i].sport ||
            s->ts[i].eport != k->ts[i].eport || s->ts[i].ipproto != k->ts[i].proto)
            return false;
    }
    return true;
}

/* The answer to our CREATE_CHILD_SA for a CHILD_SA (rekey or new). */
static void child_answer(struct ike_sa *sa, enum ike_req_kind kind, const struct ike_pl *pl,
                         int npl)
{
    struct ike *ike = sa->ike;
    struct ike_req_ctx *rq = sa->rq;
    struct ike_child *old = rq->old_spi_in ? ike_child_by_spi_in(sa, rq->old_spi_in) : NULL;
    struct ike_notify n;
    uint16_t err = error_of(pl, npl, &n);
    if (err == IKE_N_INVALID_KE_PAYLOAD && n.len == 2 && rq->retries++ < 2 &&
        (old || !rq->old_spi_in)) {
        /* §1.3: again with the group the peer named, if ours. */
        uint16_t g = (uint16_t)(n.data[0] << 8 | n.data[1]);
        ike_dh_free(rq->dh);
        rq->dh = NULL;
        rq->group = g;
        struct ike_child *like = old ? old : ike_child_by_reqid(ike, rq->reqid, 0);
        if (like) {
            send_child(sa, like, kind == REQ_REKEY_CHILD);
            return;
        }
    }
    if (err == IKE_N_TEMPORARY_FAILURE) {
        /* §2.25: not now; again after a while. */
        sa->retry_at = loop_now(ike->loop) + IKE_TEMP_FAILURE_RETRY_MS;
        if (old && old->st == CH_ACTIVE) old->want_rekey = true;
        ike_req_ctx_free(sa);
        return;
    }
    if (err == IKE_N_CHILD_SA_NOT_FOUND) {
        /* §2.25: the peer no longer has it. After a simultaneous rekey (§2.8.1) that is the
         * peer's way of saying its own rekey won: nothing to do. Otherwise it is gone. */
        if (old && !rq->collided) {
            old->st = CH_DELETING;
            old->del_sent = true; /* the peer has none: nothing to tell it */
            ike_child_remove(sa, old, true);
        }
        ike_req_ctx_free(sa);
        return;
    }
    if (err) {
        log_refused(sa, kind == REQ_REKEY_CHILD ? "CHILD_SA rekey" : "CHILD_SA", err, NULL);
        ike->st.child_failed++;
        ike_req_ctx_free(sa);
        return;
    }
    const struct ike_pl *pno = ike_pl_find(pl, npl, IKE_PL_NONCE);
    const struct ike_pl *pke = ike_pl_find(pl, npl, IKE_PL_KE);
    struct ike_sa_pl *sapl = malloc(sizeof *sapl);
    struct ike_child_req cr = {0};
    struct ike_child *c = calloc(1, sizeof *c);
    struct ike_prop_cfg esp[IKE_CFG_MAX_PROPS];
    uint32_t lifetime = 3600;
    uint64_t kb = 0;
    uint8_t gir[IKE_MAX_DH_LEN], keymat[2 * (IKE_MAX_KEY_LEN + IKE_MAX_PRF_LEN)];
    size_t girlen = 0;
    const char *why = NULL;
    struct ike_child *like = old ? old : ike_child_by_reqid(ike, rq->reqid, 0);
    int nesp = esp_offer(sa, like, esp, IKE_CFG_MAX_PROPS, &lifetime, &kb);
    if (!sapl || !c) {
        why = "out of memory";
        goto fail;
    }
    if (!pno || ike_parse_nonce(pno->body, pno->len) || ike_child_req_parse(pl, npl, &cr, sapl) ||
        sapl->nprop != 1 || sapl->prop[0].proto != IKE_PROTO_ESP) {
        why = "malformed answer";
        goto fail;
    }
    /* §3.3.6: the answer is one of our proposals, with one transform of each type. */
    struct ike_choice ch;
    {
        const struct ike_proposal *p = &sapl->prop[0];
        const struct ike_transform *t = ike_prop_transforms(sapl, p);
        memset(&ch, 0, sizeof ch);
        for (int i = 0; i < p->ntrans; i++) {
            if (t[i].type == IKE_TT_ENCR) ch.encr = t[i].id, ch.keylen = t[i].keylen;
            if (t[i].type == IKE_TT_INTEG) ch.integ = t[i].id;
            if (t[i].type == IKE_TT_DH) ch.dh = t[i].id;
        }
        memcpy(ch.spi, p->spi, 4);
    }
    if (!nesp || !offered(esp, nesp, &ch) || ch.dh != (rq->dh ? rq->group : 0)) {
        why = "answer is not one of our proposals";
        goto fail;
    }
    if (rq->dh) {
        struct ike_ke ke;
        if (!pke || ike_parse_ke(pke->body, pke->len, &ke) || ke.group != rq->group ||
            !(girlen = ike_dh_shared(rq->dh, ke.data, ke.len, gir, sizeof gir))) {
            why = "bad KE";
            goto fail;
        }
    }
    /* The peer may narrow; a replacement keeps the selectors of its predecessor. */
    if (!ts_equal(&cr.tsi, &rq->tsi) || !ts_equal(&cr.tsr, &rq->tsr)) {
        why = "traffic selectors changed";
        goto fail;
    }
    ike_child_fill(sa, c);
    c->k.spi_in = rq->spi_in;
    memcpy(&c->k.spi_out, ch.spi, 4);
    c->k.spi_out = ntohl(c->k.spi_out);
    c->k.reqid = rq->reqid;
    c->k.ts_local = rq->tsi;
    c->k.ts_remote = rq->tsr;
    c->dh = ch.dh;
    ike_child_set_suite(sa, c, ch.encr, ch.keylen, ch.integ);
    ike_child_set_lifetime(c, lifetime, kb);
    size_t kl = (size_t)c->k.enc_key_len + c->k.integ_key_len;
    if (ike_derive_child_keymat(&sa->keys, girlen ? gir : NULL, girlen, rq->ni, sizeof rq->ni,
                                pno->body, pno->len, keymat, 2 * kl)) {
        why = "key derivation failed";
        goto fail;
    }
    OPENSSL_cleanse(gir, sizeof gir);
    ike_child_link(sa, c);
    uint16_t ierr = ike_child_install(sa, c, keymat, true);
    OPENSSL_cleanse(keymat, sizeof keymat);
    if (ierr) {
        /* The peer has it, we could not install it: close it at the peer. */
        c->st = CH_DELETING;
        ike->st.child_failed++;
    } else {
        ike->st.child_up++;
        if (kind == REQ_REKEY_CHILD) ike->st.child_rekeys++;
        /* Who closes what (§2.8, §2.8.1). */
        if (rq->collided && ours_lowest(rq, pno->body, pno->len)) {
            c->st = CH_DELETING; /* ours is the redundant one; the peer deletes the old one */
        } else if (old) {
            old->st = CH_DELETING;
            old->want_rekey = false;
        }
    }
    free(sapl);
    ike_req_ctx_free(sa);
    return;
fail:
    OPENSSL_cleanse(gir, sizeof gir);
    log_refused(sa, kind == REQ_REKEY_CHILD ? "CHILD_SA rekey" : "CHILD_SA", 0, why);
    ike->st.child_failed++;
    free(c);
    free(sapl);
    ike_req_ctx_free(sa);
}

/* The answer to our IKE SA rekey (§2.18). */
static void ike_rekey_answer(struct ike_sa *sa, const struct ike_pl *pl, int npl)
{
    struct ike *ike = sa->ike;
    struct ike_req_ctx *rq = sa->rq;
    struct ike_notify n;
    uint16_t err = error_of(pl, npl, &n);
    if (err == IKE_N_INVALID_KE_PAYLOAD && n.len == 2 && rq->retries++ < 2) {
        ike_dh_free(rq->dh);
        rq->dh = NULL;
        rq->group = (uint16_t)(n.data[0] << 8 | n.data[1]);
        send_rekey_ike(sa);
        return;
    }
    if (err == IKE_N_TEMPORARY_FAILURE) {
        sa->retry_at = loop_now(ike->loop) + IKE_TEMP_FAILURE_RETRY_MS;
        sa->want_rekey_ike = true;
        ike_req_ctx_free(sa);
        return;
    }
    const struct ike_pl *pno = ike_pl_find(pl, npl, IKE_PL_NONCE);
    const struct ike_pl *pke = ike_pl_find(pl, npl, IKE_PL_KE);
    const struct ike_pl *psa = ike_pl_find(pl, npl, IKE_PL_SA);
    struct ike_sa_pl *sapl = malloc(sizeof *sapl);
    struct ike_prop_list *props = malloc(sizeof *props);
    struct ike_ke ke;
    uint8_t gir[IKE_MAX_DH_LEN];
    size_t girlen = 0;
    struct ike_choice ch;
    uint16_t alt = 0;
    struct ike_sa *ns = NULL;
    const char *why = NULL;
    if (err || !sapl || !props) {
        why = err ? "refused" : "out of memory";
        goto fail;
    }
    if (!pno || !pke || !psa || ike_parse_nonce(pno->body, pno->len) ||
        ike_parse_sa(psa->body, psa->len, sapl) || sapl->nprop != 1 ||
        sapl->prop[0].spi_size != 8 || ike_parse_ke(pke->body, pke->len, &ke)) {
        why = "malformed answer";
        goto fail;
    }
    if (ke.group != rq->group) {
        why = "KE of another group";
        goto fail;
    }
    props->n = 0;
    ike->policy.ike_proposals(ike->policy.ctx, sa->local.addr, props);
    if (ike_choose(sapl, props->p, props->n, IKE_PROTO_IKE, rq->group, &ch, &alt)) {
        why = "answer is not one of our proposals";
        goto fail;
    }
    if (!(girlen = ike_dh_shared(rq->dh, ke.data, ke.len, gir, sizeof gir))) {
        why = "bad KE";
        goto fail;
    }
    uint64_t peer_spi = 0;
    for (int i = 0; i < 8; i++) peer_spi = peer_spi << 8 | sapl->prop[0].spi[i];
    ns = ike_sa_new(ike, &sa->local, &sa->remote, peer_spi, true, rq->spi_new);
    if (!ns) goto fail;
    struct ike_suite suite = {ch.encr, ch.keylen, ch.integ, ch.prf, ch.dh};
    if (ike_derive_rekeyed_keys(sa->keys.suite.prf, sa->keys.sk_d, sa->keys.prf_len, &suite, rq->ni,
                                sizeof rq->ni, pno->body, pno->len, gir, girlen, ns->spi_i,
                                ns->spi_r, &ns->keys))
        goto fail;
    OPENSSL_cleanse(gir, sizeof gir);
    ike->st.ike_rekeys++;
    struct ike_sa *peer_new = rq->collided ? ike_sa_by_spi(ike, rq->coll_spi) : NULL;
    if (rq->collided && ours_lowest(rq, pno->body, pno->len)) {
        /* §2.8.2: ours is redundant: up only to be closed; the peer's new SA keeps the
         * children, and the peer deletes the old one. */
        memcpy(ns->peer_id, sa->peer_id, sizeof ns->peer_id);
        ns->local_id = sa->local_id;
        ns->profile = sa->profile;
        ns->lifetime = sa->lifetime;
        ike_establish(ns);
        ns->want_delete = true;
        ike_sa_kick(ns);
    } else if (peer_new) {
        /* Ours survives: it takes what the peer's redundant SA inherited; we close the old. */
        ike_sa_inherit(ns, peer_new);
        ike_send_delete(sa);
    } else {
        ike_sa_inherit(ns, sa);
        sa->state = SA_REKEYED;
        ike->established--;
        ike_send_delete(sa); /* §2.18: the initiator of the rekey deletes the old SA */
    }
    free(sapl);
    free(props);
    ike_req_ctx_free(sa);
    return;
fail:
    OPENSSL_cleanse(gir, sizeof gir);
    if (ns) ike_sa_destroy(ns, "rekey failed");
    log_refused(sa, "IKE SA rekey", err, why);
    free(sapl);
    free(props);
    ike_req_ctx_free(sa);
}

void ike_handle_response(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *inner,
                         int ninner)
{
    (void)m;
    enum ike_req_kind kind = sa->req_kind;
    ike_dgrams_clear(&sa->req);
    sa->req_kind = REQ_NONE;
    sa->req_due = 0;
    switch (kind) {
    case REQ_DELETE_IKE:
        sa->ike->st.sa_deleted++;
        ike_sa_destroy(sa, "cleared");
        return;
    case REQ_DELETE_CHILD:
        for (struct ike_child *c = sa->children, *nx; c; c = nx) {
            nx = c->next;
            if (c->st == CH_DELETING && c->del_sent) ike_child_remove(sa, c, true);
        }
        break;
    case REQ_REKEY_CHILD:
    case REQ_NEW_CHILD:
        if (sa->rq) child_answer(sa, kind, inner, ninner);
        break;
    case REQ_REKEY_IKE:
        if (sa->rq) ike_rekey_answer(sa, inner, ninner);
        if (sa->state == SA_DELETING || sa->state == SA_REKEYED) {
            ike_sa_arm(sa);
            return;
        }
        break;
    case REQ_DPD:
    case REQ_NONE: break;
    }
    /* Any answer shows the peer alive. */
    if (sa->dpd == IKE_DPD_PERIODIC && sa->state == SA_ESTABLISHED)
        sa->dpd_due = loop_now(sa->ike->loop) + (int64_t)sa->dpd_interval * 1000;
    ike_sa_kick(sa);
    ike_sa_arm(sa);
}
