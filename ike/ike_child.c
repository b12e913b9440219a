/* CHILD_SAs (RFC 7296 §1.3, §2.17): their table by reqid, their lifetimes, their installation
 * in the kernel, and CREATE_CHILD_SA as responder (new and rekeyed CHILD_SAs, §1.3.1, §1.3.3;
 * the IKE SA rekey, §1.3.2, §2.18), with traffic selector narrowing (§2.9). The CHILD_SA of
 * IKE_AUTH goes through ike_child_respond too. */
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/ike_internal.h"
#include "platform/loop.h"

/* ---- the reqid table ----
 * Every CHILD_SA has a reqid (its kernel policies' template names it); a rekeyed CHILD_SA
 * keeps its predecessor's, so a reqid may name a few CHILD_SAs of one IKE SA at once. The
 * reqid never changes while the child is in the table. */

static size_t hash32(uint32_t v, size_t nb)
{
    v ^= v >> 16;
    v *= 0x7feb352dU;
    v ^= v >> 15;
    return (size_t)v & (nb - 1);
}

/* The table has buckets from ike_new on; a failed growth keeps the old ones (longer chains). */
static void reqid_put(struct ike *ike, struct ike_child *c)
{
    struct ike_child_hash *h = &ike->by_reqid;
    if (h->n + 1 > h->nb) {
        size_t nb = h->nb * 2;
        struct ike_child **b = calloc(nb, sizeof *b);
        if (b) {
            for (size_t i = 0; i < h->nb; i++)
                for (struct ike_child *x = h->b[i], *nx; x; x = nx) {
                    nx = x->hnext;
                    size_t k = hash32(x->k.reqid, nb);
                    x->hnext = b[k];
                    b[k] = x;
                }
            free(h->b);
            h->b = b;
            h->nb = nb;
        }
    }
    size_t k = hash32(c->k.reqid, h->nb);
    c->hnext = h->b[k];
    h->b[k] = c;
    h->n++;
}

static void reqid_del(struct ike *ike, struct ike_child *c)
{
    struct ike_child_hash *h = &ike->by_reqid;
    for (struct ike_child **pp = &h->b[hash32(c->k.reqid, h->nb)]; *pp; pp = &(*pp)->hnext)
        if (*pp == c) {
            *pp = c->hnext;
            h->n--;
            return;
        }
    abort(); /* a lost entry would be freed while linked */
}

/* Another CHILD_SA with c's reqid (it shares c's policies and route). */
static bool reqid_shared(struct ike *ike, const struct ike_child *c)
{
    const struct ike_child_hash *h = &ike->by_reqid;
    for (const struct ike_child *x = h->b[hash32(c->k.reqid, h->nb)]; x; x = x->hnext)
        if (x != c && x->k.reqid == c->k.reqid) return true;
    return false;
}

struct ike_child *ike_child_by_reqid(struct ike *ike, uint32_t reqid, uint32_t spi)
{
    const struct ike_child_hash *h = &ike->by_reqid;
    struct ike_child *any = NULL;
    for (struct ike_child *x = h->b[hash32(reqid, h->nb)]; x; x = x->hnext) {
        if (x->k.reqid != reqid) continue;
        if (!spi || x->k.spi_in == spi || x->k.spi_out == spi) return x;
        if (!any || x->st == CH_ACTIVE) any = x;
    }
    return spi ? NULL : any;
}

uint32_t ike_next_reqid(struct ike *ike)
{
    uint32_t r;
    do {
        r = ike->next_reqid++;
        if (ike->next_reqid >= IKE_REQID_BASE + IKE_REQID_COUNT) ike->next_reqid = IKE_REQID_BASE;
    } while (ike_child_by_reqid(ike, r, 0)); /* a long-lived CHILD_SA may still hold it */
    return r;
}

/* ---- life ---- */

int64_t ike_soft_lifetime_ms(uint32_t s)
{
    /* Rekey at 85-90% of the lifetime (§2.8: jittered, so that the two ends and many
     * sessions set up together do not all rekey at once), never later than 5 s before it. */
    uint16_t r = 0;
    ike_random(&r, sizeof r);
    int64_t ms = (int64_t)s * 1000;
    int64_t soft = ms * 85 / 100 + (ms * 5 / 100) * r / 65535;
    if (soft > ms - 5000) soft = ms - 5000;
    return soft > 1000 ? soft : 1000;
}

void ike_child_link(struct ike_sa *sa, struct ike_child *c)
{
    struct ike *ike = sa->ike;
    int64_t now = loop_now(ike->loop);
    c->created = now;
    c->created_wall = time(NULL);
    if (c->k.lifetime_s) {
        c->expire_at = now + (int64_t)c->k.lifetime_s * 1000;
        c->rekey_at = now + ike_soft_lifetime_ms(c->k.lifetime_s);
    }
    c->sa = sa;
    c->next = sa->children;
    sa->children = c;
    ike->nchildren++;
    reqid_put(ike, c);
}

void ike_child_remove(struct ike_sa *sa, struct ike_child *c, bool tell_kernel)
{
    struct ike *ike = sa->ike;
    for (struct ike_child **pp = &sa->children; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    if (c->installed && tell_kernel && ike->has_kernel) {
        /* The policies and the route stay while another CHILD_SA of the reqid uses them. */
        c->k.plumb = !reqid_shared(ike, c);
        ike->kernel.del_child(ike->kernel.ctx, &c->k);
    }
    reqid_del(ike, c);
    ike->nchildren--;
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

struct ike_child *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi)
{
    for (struct ike_child *c = sa->children; c; c = c->next)
        if (c->k.spi_out == spi) return c;
    return NULL;
}

struct ike_child *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi)
{
    for (struct ike_child *c = sa->children; c; c = c->next)
        if (c->k.spi_in == spi) return c;
    return NULL;
}

int64_t ike_child_next_due(const struct ike_sa *sa)
{
    int64_t due = 0;
    for (const struct ike_child *c = sa->children; c; c = c->next) {
        if (c->st == CH_DELETING) continue;
        if (c->st == CH_ACTIVE && !c->want_rekey && c->rekey_at && (!due || c->rekey_at < due))
            due = c->rekey_at;
        if (c->expire_at && (!due || c->expire_at < due)) due = c->expire_at;
    }
    return due;
}

void ike_child_timers(struct ike_sa *sa, int64_t now)
{
    struct ike *ike = sa->ike;
    for (struct ike_child *c = sa->children; c; c = c->next) {
        if (c->st == CH_DELETING) continue;
        if (c->expire_at && now >= c->expire_at) {
            /* Hard lifetime: the CHILD_SA goes now (the kernel drops it at the same moment);
             * the peer is told with a DELETE. */
            ike->st.child_expired++;
            if (c->installed && ike->has_kernel) {
                c->k.plumb = !reqid_shared(ike, c);
                ike->kernel.del_child(ike->kernel.ctx, &c->k);
            }
            c->installed = false;
            c->st = CH_DELETING;
            c->want_rekey = false;
            continue;
        }
        if (c->st == CH_ACTIVE && c->rekey_at && now >= c->rekey_at) {
            c->rekey_at = 0;
            c->want_rekey = true;
        }
    }
}

/* ---- the kernel's events ---- */

void ike_kernel_expire(struct ike *ike, uint32_t reqid, uint32_t spi, bool hard)
{
    ike->st.kernel_expires++;
    struct ike_child *c = ike_child_by_reqid(ike, reqid, spi);
    if (!c || c->st == CH_DELETING) return;
    struct ike_sa *sa = c->sa;
    if (hard) {
        /* The kernel removed that SA; take the rest away and tell the peer. */
        c->expire_at = loop_now(ike->loop);
    } else if (c->st == CH_ACTIVE) {
        c->want_rekey = true; /* a byte limit: rekey now */
    }
    ike_child_timers(sa, loop_now(ike->loop));
    ike_sa_kick(sa);
    ike_sa_arm(sa);
}

void ike_kernel_acquire(struct ike *ike, uint32_t reqid)
{
    ike->st.acquires++;
    /* Traffic met one of our policies without an SA: the CHILD_SA of that reqid went (a hard
     * expire whose rekey did not complete). If its IKE SA is still up, negotiate it again. */
    struct ike_child *c = ike_child_by_reqid(ike, reqid, 0);
    if (!c || c->st == CH_ACTIVE || c->sa->state != SA_ESTABLISHED) return;
    c->sa->acquire_reqid = reqid;
    ike_sa_kick(c->sa);
}

/* ---- traffic selectors (§2.9) ---- */

static uint32_t ts_lo(const struct ike_ts *t)
{
    uint32_t v;
    memcpy(&v, t->saddr, 4);
    return ntohl(v);
}

static uint32_t ts_hi(const struct ike_ts *t)
{
    uint32_t v;
    memcpy(&v, t->eaddr, 4);
    return ntohl(v);
}

static void ts_set_range(struct ike_ts *t, uint32_t lo, uint32_t hi)
{
    uint32_t a = htonl(lo), b = htonl(hi);
    memcpy(t->saddr, &a, 4);
    memcpy(t->eaddr, &b, 4);
}

/* Keep the IPv4 selectors (this gateway's data plane is IPv4); with a pool address the
 * initiator's side narrows to that address (§2.9, RFC 7296 §3.15.4's example). */
static int narrow(const struct ike_ts_set *in, uint32_t only_addr, struct ike_ts_set *out)
{
    out->n = 0;
    for (int i = 0; i < in->n && out->n < IKE_CHILD_MAX_TS; i++) {
        const struct ike_ts *t = &in->ts[i];
        if (t->type != IKE_TS_IPV4_ADDR_RANGE || ts_lo(t) > ts_hi(t) || t->sport > t->eport)
            continue;
        struct ike_ts n = *t;
        if (only_addr) {
            uint32_t a = ntohl(only_addr);
            if (a < ts_lo(t) || a > ts_hi(t)) continue;
            ts_set_range(&n, a, a);
        }
        out->ts[out->n++] = n;
        if (only_addr) break; /* one selector for the address */
    }
    return out->n ? 0 : -1;
}

/* What a CHILD_SA keeps of its (narrowed, IPv4) selectors. */
static void ts_keep(const struct ike_ts_set *in, struct ike_child_ts *out)
{
    out->n = 0;
    for (int i = 0; i < in->n && out->n < IKE_CHILD_MAX_TS; i++) {
        const struct ike_ts *t = &in->ts[i];
        out->ts[out->n++] = (struct ike_ts4){ts_lo(t), ts_hi(t), t->sport, t->eport, t->ipproto};
    }
}

static bool ts_same(const struct ike_child_ts *a, const struct ike_child_ts *b)
{
    if (a->n != b->n) return false;
    for (int i = 0; i < a->n; i++)
        if (a->ts[i].lo != b->ts[i].lo || a->ts[i].hi != b->ts[i].hi ||
            a->ts[i].sport != b->ts[i].sport || a->ts[i].eport != b->ts[i].eport ||
            a->ts[i].proto != b->ts[i].proto)
            return false;
    return true;
}

/* ---- installing ---- */

uint16_t ike_child_install(struct ike_sa *sa, struct ike_child *c, const uint8_t *keymat,
                           bool we_initiated)
{
    struct ike *ike = sa->ike;
    if (!ike->has_kernel) return 0;
    /* §2.17: the exchange initiator's outbound keys come first. */
    size_t kl = (size_t)c->k.enc_key_len + c->k.integ_key_len;
    c->k.key_in = we_initiated ? keymat + kl : keymat;
    c->k.key_out = we_initiated ? keymat : keymat + kl;
    c->k.plumb = !reqid_shared(ike, c);
    int rc = ike->kernel.add_child(ike->kernel.ctx, &c->k);
    c->k.key_in = c->k.key_out = NULL;
    if (rc) {
        char ep[48];
        ilog(LOG_SEV_ERRORS, "CRYPTO", "IPSEC_SA_INSTALL_FAILED",
             "Kernel refused the IPsec SAs for peer %s (SPI in 0x%08X out 0x%08X, %s): %s",
             ike_ep_str(&sa->remote, ep, sizeof ep), c->k.spi_in, c->k.spi_out,
             ike_encr_name(c->k.encr), strerror(-rc));
        return IKE_N_NO_PROPOSAL_CHOSEN;
    }
    c->installed = true;
    return 0;
}

/* Our inbound SPI for a new CHILD_SA: from the kernel (reserved there), or random. 0 or -1. */
int ike_child_alloc_spi(struct ike_sa *sa, uint32_t reqid, uint32_t *spi)
{
    struct ike *ike = sa->ike;
    if (ike->has_kernel) {
        int rc = ike->kernel.alloc_spi(ike->kernel.ctx, &sa->local, &sa->remote, reqid, spi);
        if (rc) {
            char ep[48];
            ilog(LOG_SEV_ERRORS, "CRYPTO", "IPSEC_SPI_FAILED",
                 "Kernel refused an SPI for peer %s: %s", ike_ep_str(&sa->remote, ep, sizeof ep),
                 strerror(-rc));
            return -1;
        }
        return 0;
    }
    do {
        ike_random(spi, 4);
    } while (*spi < 256); /* RFC 4303 §2.1: 1-255 are reserved */
    return 0;
}

/* c->k's outer endpoints and session parameters from the IKE SA. */
void ike_child_fill(struct ike_sa *sa, struct ike_child *c)
{
    struct ike_child_kernel *k = &c->k;
    k->local = sa->local;
    k->remote = sa->remote;
    k->encap = sa->nat_local || sa->nat_remote;
    k->vtemplate = sa->vtemplate;
    k->client_ip = sa->vip;
}

void ike_child_set_suite(struct ike_sa *sa, struct ike_child *c, uint16_t encr, uint16_t keylen,
                         uint16_t integ)
{
    struct ike_child_kernel *k = &c->k;
    k->encr = encr, k->keylen = keylen, k->integ = integ;
    /* The CHILD_SA has no PRF of its own; the IKE SA's keeps the suite valid. */
    struct ike_suite s = {encr, keylen, integ, sa->keys.suite.prf, 0};
    k->enc_key_len = (uint8_t)ike_suite_enc_key_len(&s);
    k->integ_key_len = (uint8_t)ike_suite_integ_key_len(&s);
}

void ike_child_set_lifetime(struct ike_child *c, uint32_t seconds, uint64_t kb)
{
    c->k.lifetime_s = seconds;
    c->k.lifetime_kb = kb;
    c->k.soft_kb = kb ? kb - kb / 10 : 0; /* the kernel says "rekey" at 90% of the bytes */
}

/* ---- CHILD_SA as responder ---- */

int ike_child_req_parse(const struct ike_pl *pl, int npl, struct ike_child_req *cr,
                        struct ike_sa_pl *sabuf)
{
    const struct ike_pl *psa = ike_pl_find(pl, npl, IKE_PL_SA);
    const struct ike_pl *pti = ike_pl_find(pl, npl, IKE_PL_TSI);
    const struct ike_pl *ptr = ike_pl_find(pl, npl, IKE_PL_TSR);
    if (!psa || !pti || !ptr) return -1;
    if (ike_parse_sa(psa->body, psa->len, sabuf) || ike_parse_ts(pti->body, pti->len, &cr->tsi) ||
        ike_parse_ts(ptr->body, ptr->len, &cr->tsr))
        return -2;
    cr->sa = sabuf;
    const struct ike_pl *pke = ike_pl_find(pl, npl, IKE_PL_KE);
    if (pke) {
        struct ike_ke ke;
        if (ike_parse_ke(pke->body, pke->len, &ke)) return -2;
        cr->ke_group = ke.group;
        cr->ke = ke.data;
        cr->ke_len = ke.len;
    }
    return 0;
}

void ike_child_write(struct ike_wbuf *w, const struct ike_child_out *o, const uint8_t *nr,
                     size_t nrlen)
{
    uint32_t spi_be = htonl(o->spi_in);
    ike_put_choice(w, IKE_PROTO_ESP, &o->ch, (const uint8_t *)&spi_be, 4);
    if (nr) ikew_nonce(w, nr, nrlen);
    if (o->ch.dh) ikew_ke(w, o->ch.dh, o->pub, o->publen);
    ikew_ts(w, IKE_PL_TSI, &o->ti);
    ikew_ts(w, IKE_PL_TSR, &o->tr);
}

uint16_t ike_child_respond(struct ike_sa *sa, const struct ike_child_req *cr, const uint8_t *ni,
                           size_t nilen, const uint8_t *nr, size_t nrlen,
                           const struct ike_prop_cfg *esp, int nesp, uint32_t lifetime,
                           uint64_t lifetime_kb, struct ike_child *reuse, struct ike_child **made,
                           struct ike_child_out *o)
{
    struct ike *ike = sa->ike;
    uint16_t alt = 0;
    memset(o, 0, sizeof *o);
    if (ike_choose(cr->sa, esp, nesp, IKE_PROTO_ESP, cr->ke_group, &o->ch, &alt)) {
        ike->st.child_failed++;
        if (alt && cr->ke_group) {
            o->invalid_ke_group = alt;
            return IKE_N_INVALID_KE_PAYLOAD;
        }
        return IKE_N_NO_PROPOSAL_CHOSEN;
    }
    struct ike_child *c = calloc(1, sizeof *c);
    uint16_t err = 0;
    uint8_t gir[IKE_MAX_DH_LEN];
    size_t girlen = 0;
    uint8_t keymat[2 * (IKE_MAX_KEY_LEN + IKE_MAX_PRF_LEN)];
    if (!c) {
        err = IKE_N_TEMPORARY_FAILURE;
        goto fail;
    }
    if (narrow(&cr->tsi, sa->vip, &o->ti) || narrow(&cr->tsr, 0, &o->tr)) {
        err = IKE_N_TS_UNACCEPTABLE;
        goto fail;
    }
    /* PFS (§1.3.1): a fresh DH for this CHILD_SA. */
    if (o->ch.dh) {
        struct ike_dh *dh = ike_dh_new(o->ch.dh);
        if (dh && cr->ke_len == ike_dh_pub_len(o->ch.dh))
            girlen = ike_dh_shared(dh, cr->ke, cr->ke_len, gir, sizeof gir);
        if (girlen) o->publen = ike_dh_public(dh, o->pub, sizeof o->pub);
        ike_dh_free(dh);
        if (!girlen || !o->publen) {
            err = IKE_N_NO_PROPOSAL_CHOSEN;
            goto fail;
        }
    }
    ike_child_fill(sa, c);
    struct ike_child_kernel *k = &c->k;
    memcpy(&k->spi_out, o->ch.spi, 4);
    k->spi_out = ntohl(k->spi_out);
    ts_keep(&o->tr, &k->ts_local);
    ts_keep(&o->ti, &k->ts_remote);
    /* A rekeyed CHILD_SA with the same selectors keeps the reqid, and with it the kernel's
     * policies: the traffic moves to the new SAs without a gap. */
    k->reqid = reuse && ts_same(&reuse->k.ts_local, &k->ts_local) &&
                       ts_same(&reuse->k.ts_remote, &k->ts_remote)
                   ? reuse->k.reqid
                   : ike_next_reqid(ike);
    ike_child_set_suite(sa, c, o->ch.encr, o->ch.keylen, o->ch.integ);
    ike_child_set_lifetime(c, lifetime, lifetime_kb);
    if (ike_child_alloc_spi(sa, k->reqid, &k->spi_in)) {
        err = IKE_N_NO_PROPOSAL_CHOSEN;
        goto fail;
    }
    o->spi_in = k->spi_in;
    size_t kl = (size_t)k->enc_key_len + k->integ_key_len;
    if (ike_derive_child_keymat(&sa->keys, girlen ? gir : NULL, girlen, ni, nilen, nr, nrlen,
                                keymat, 2 * kl)) {
        err = IKE_N_TEMPORARY_FAILURE;
        goto fail;
    }
    OPENSSL_cleanse(gir, sizeof gir);
    /* Linked before it is installed, so that the kernel port sees the reqid's other CHILD_SAs
     * (ike_child_install decides whether the policies are already there). */
    c->dh = o->ch.dh;
    ike_child_link(sa, c);
    err = ike_child_install(sa, c, keymat, false);
    OPENSSL_cleanse(keymat, sizeof keymat);
    if (err) {
        ike_child_remove(sa, c, false);
        ike->st.child_failed++;
        return err;
    }
    ike->st.child_up++;
    if (made) *made = c;
    return 0;
fail:
    ike->st.child_failed++;
    OPENSSL_cleanse(gir, sizeof gir);
    OPENSSL_cleanse(keymat, sizeof keymat);
    if (c) {
        OPENSSL_cleanse(c, sizeof *c);
        free(c);
    }
    return err;
}

/* ---- CREATE_CHILD_SA as responder ---- */

/* §2.18: rekey of the IKE SA itself, asked by the peer. */
static void rekey_ike(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *pl, int npl,
                      const struct ike_sa_pl *sapl, const uint8_t *ni, size_t nilen)
{
    struct ike *ike = sa->ike;
    const struct ike_pl *pke = ike_pl_find(pl, npl, IKE_PL_KE);
    struct ike_ke ke;
    if (!pke || ike_parse_ke(pke->body, pke->len, &ke)) {
        ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
        return;
    }
    struct ike_prop_list *props = malloc(sizeof *props);
    if (!props) return;
    props->n = 0;
    ike->policy.ike_proposals(ike->policy.ctx, sa->local.addr, props);
    struct ike_choice ch;
    uint16_t alt = 0;
    int rc = ike_choose(sapl, props->p, props->n, IKE_PROTO_IKE, ke.group, &ch, &alt);
    free(props);
    if (rc || ch.spi_size != 8) {
        if (alt) {
            uint8_t g[2] = {(uint8_t)(alt >> 8), (uint8_t)alt};
            ike->st.invalid_ke_sent++;
            ike_respond_notify(sa, m, IKE_N_INVALID_KE_PAYLOAD, g, 2);
        } else {
            ike->st.no_proposal_sent++;
            ike_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        }
        return;
    }
    struct ike_dh *dh = ike_dh_new(ch.dh);
    uint8_t gir[IKE_MAX_DH_LEN], pub[IKE_MAX_DH_LEN];
    size_t girlen = dh && ke.len == ike_dh_pub_len(ch.dh)
                        ? ike_dh_shared(dh, ke.data, ke.len, gir, sizeof gir)
                        : 0;
    size_t publen = girlen ? ike_dh_public(dh, pub, sizeof pub) : 0;
    ike_dh_free(dh);
    if (!publen) {
        ike->st.no_proposal_sent++;
        ike_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        return;
    }
    uint64_t new_spi_i = 0;
    for (int i = 0; i < 8; i++) new_spi_i = new_spi_i << 8 | ch.spi[i];
    struct ike_sa *ns = ike_sa_new(ike, &sa->local, &sa->remote, new_spi_i, false, 0);
    if (!ns) {
        OPENSSL_cleanse(gir, sizeof gir);
        ike->st.temp_failure_sent++;
        ike_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
        return;
    }
    uint8_t nr[IKE_NONCE_LEN];
    ike_random(nr, sizeof nr);
    struct ike_suite suite = {ch.encr, ch.keylen, ch.integ, ch.prf, ch.dh};
    rc =
        ike_derive_rekeyed_keys(sa->keys.suite.prf, sa->keys.sk_d, sa->keys.prf_len, &suite, ni,
                                nilen, nr, sizeof nr, gir, girlen, ns->spi_i, ns->spi_r, &ns->keys);
    OPENSSL_cleanse(gir, sizeof gir);
    if (rc) {
        ike_sa_destroy(ns, "rekey key derivation failed");
        ike_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        return;
    }
    /* Answer on the old SA, then move everything to the new one. */
    struct ike_wbuf w;
    uint8_t spi[8];
    for (int i = 0; i < 8; i++) spi[i] = (uint8_t)(ns->spi_r >> (56 - 8 * i));
    ike_msg_begin(sa, &w, IKE_CREATE_CHILD_SA, true, m->hdr.msgid);
    ike_put_choice(&w, IKE_PROTO_IKE, &ch, spi, 8);
    ikew_nonce(&w, nr, sizeof nr);
    ikew_ke(&w, ch.dh, pub, publen);
    if (!ike_msg_send(sa, &w, true)) {
        OPENSSL_cleanse(nr, sizeof nr);
        ike_sa_destroy(ns, "rekey response too large");
        return;
    }
    /* Our own rekey of this SA is out too (§2.8.2): which of the two new SAs survives is
     * decided by the nonces when its answer comes. */
    if (sa->req_kind == REQ_REKEY_IKE && sa->rq)
        ike_req_note_collision(sa, ns->spi_r, ni, nilen, nr, sizeof nr);
    OPENSSL_cleanse(nr, sizeof nr);
    ike_sa_inherit(ns, sa);
    ike->st.ike_rekeys++;
    /* The old SA waits for the initiator's DELETE (§2.18). */
    sa->state = SA_REKEYED;
    ike->established--;
    sa->dpd_due = 0;
    sa->keepalive_due = 0;
    sa->rekey_at = 0;
    sa->expires = loop_now(ike->loop) + IKE_HALF_OPEN_MS;
    ike_sa_arm(sa);
}

/* Is one of our own CREATE_CHILD_SA or DELETE requests about CHILD_SAs out? */
static bool child_request_out(const struct ike_sa *sa)
{
    return sa->req.n && (sa->req_kind == REQ_REKEY_CHILD || sa->req_kind == REQ_NEW_CHILD ||
                         sa->req_kind == REQ_DELETE_CHILD);
}

void ike_create_child(struct ike_sa *sa, const struct ike_msg *m, const struct ike_pl *pl, int npl)
{
    struct ike *ike = sa->ike;
    ike->st.child_in++;
    const struct ike_pl *pno = ike_pl_find(pl, npl, IKE_PL_NONCE);
    const struct ike_pl *psa = ike_pl_find(pl, npl, IKE_PL_SA);
    struct ike_sa_pl *sapl = malloc(sizeof *sapl);
    if (!sapl) return;
    if (!pno || !psa || ike_parse_nonce(pno->body, pno->len) ||
        ike_parse_sa(psa->body, psa->len, sapl) || sapl->nprop < 1) {
        ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
        free(sapl);
        return;
    }
    ike->st.proposals_skipped += (uint64_t)sapl->skipped;
    /* §2.25: while we rekey or close, some requests wait (TEMPORARY_FAILURE). */
    bool rekeying_ike = sa->req.n && sa->req_kind == REQ_REKEY_IKE;
    if (sapl->prop[0].proto == IKE_PROTO_IKE) {
        if (sa->state != SA_ESTABLISHED || child_request_out(sa)) {
            ike->st.temp_failure_sent++;
            ike_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
        } else {
            rekey_ike(sa, m, pl, npl, sapl, pno->body, pno->len);
        }
        free(sapl);
        return;
    }
    free(sapl);
    if (sa->state != SA_ESTABLISHED || rekeying_ike) {
        ike->st.temp_failure_sent++;
        ike_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
        return;
    }
    /* A CHILD_SA rekey names the old one by the SPI it receives on (= our outbound). */
    struct ike_notify rk;
    struct ike_child *old = NULL;
    if (ike_notify_find(pl, npl, IKE_N_REKEY_SA, &rk)) {
        uint32_t spi = 0;
        if (rk.spi_size == 4) {
            memcpy(&spi, rk.spi, 4);
            old = ike_child_by_spi_out(sa, ntohl(spi));
        }
        if (old && old->st == CH_DELETING) { /* §2.25.1: we are closing it */
            ike->st.temp_failure_sent++;
            ike_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
            return;
        }
        if (!old) {
            struct ike_wbuf w;
            ike_msg_begin(sa, &w, IKE_CREATE_CHILD_SA, true, m->hdr.msgid);
            ikew_notify(&w, IKE_PROTO_ESP, rk.spi, rk.spi_size, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
            ike_msg_send(sa, &w, true);
            return;
        }
    }
    struct ike_child_req cr = {0};
    struct ike_sa_pl *sabuf = malloc(sizeof *sabuf);
    struct ike_child_out *o = malloc(sizeof *o);
    if (!sabuf || !o || ike_child_req_parse(pl, npl, &cr, sabuf)) {
        ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
        free(sabuf);
        free(o);
        return;
    }
    /* The algorithms acceptable now are those the profile allowed at IKE_AUTH: ask again. */
    struct ike_profile_view *v = calloc(1, sizeof *v);
    char why[128];
    struct ike_peer_info pi = {.local = sa->local, .remote = sa->remote};
    struct ike_prop_cfg fallback;
    const struct ike_prop_cfg *esp = NULL;
    int nesp = 0;
    uint32_t lifetime = 3600;
    uint64_t kb = 0;
    if (v && ike->policy.profile_by_name &&
        !ike->policy.profile_by_name(ike->policy.ctx, sa->profile, &pi, v, why, sizeof why)) {
        esp = v->esp.p, nesp = v->esp.n, lifetime = v->child_lifetime, kb = v->child_lifetime_kb;
    } else if (old) {
        /* The profile is gone: keep what the old CHILD_SA had. */
        memset(&fallback, 0, sizeof fallback);
        fallback.nencr = 1, fallback.encr[0].id = old->k.encr,
        fallback.encr[0].keylen = old->k.keylen;
        fallback.ninteg = 1, fallback.integ[0] = old->k.integ;
        if (old->dh) fallback.ndh = 1, fallback.dh[0] = old->dh;
        esp = &fallback, nesp = 1, lifetime = old->k.lifetime_s, kb = old->k.lifetime_kb;
    }
    uint8_t nr[IKE_NONCE_LEN];
    ike_random(nr, sizeof nr);
    struct ike_wbuf w;
    struct ike_child *made = NULL;
    uint16_t err = nesp ? ike_child_respond(sa, &cr, pno->body, pno->len, nr, sizeof nr, esp, nesp,
                                            lifetime, kb, old, &made, o)
                        : IKE_N_NO_PROPOSAL_CHOSEN;
    ike_msg_begin(sa, &w, IKE_CREATE_CHILD_SA, true, m->hdr.msgid);
    if (err) {
        if (err == IKE_N_INVALID_KE_PAYLOAD) {
            uint8_t g[2] = {(uint8_t)(o->invalid_ke_group >> 8), (uint8_t)o->invalid_ke_group};
            ike->st.invalid_ke_sent++;
            ikew_notify(&w, 0, NULL, 0, err, g, 2);
        } else {
            if (err == IKE_N_NO_PROPOSAL_CHOSEN) ike->st.no_proposal_sent++;
            if (err == IKE_N_TS_UNACCEPTABLE) ike->st.ts_unacceptable_sent++;
            if (err == IKE_N_TEMPORARY_FAILURE) ike->st.temp_failure_sent++;
            ikew_notify(&w, 0, NULL, 0, err, NULL, 0);
        }
    } else {
        ike_child_write(&w, o, nr, sizeof nr);
        if (old) {
            ike->st.child_rekeys++;
            /* The initiator of the rekey deletes the old CHILD_SA (§2.8). If we are rekeying
             * it ourselves, the nonces decide later which of the new ones goes (§2.8.1). */
            if (sa->req_kind == REQ_REKEY_CHILD && sa->rq && sa->rq->old_spi_in == old->k.spi_in)
                ike_req_note_collision(sa, made->k.spi_in, pno->body, pno->len, nr, sizeof nr);
            else
                old->st = CH_REKEYED;
            old->want_rekey = false;
            old->rekey_at = 0;
        }
    }
    ike_msg_send(sa, &w, true);
    OPENSSL_cleanse(nr, sizeof nr);
    if (v) OPENSSL_cleanse(v, sizeof *v);
    free(v);
    free(sabuf);
    free(o);
}
