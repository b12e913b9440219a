/* The IKEv2 engine's plumbing: the SA table (hashed by our SPI, and by the peer's SPI and
 * address while half-open), per-SA timers, datagram framing for NAT-T (RFC 3948 §2.2) and the
 * demultiplexing of incoming messages onto exchanges (ike_exchange.c). */
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/ike_internal.h"
#include "platform/loop.h"
#include "platform/strbuf.h"

struct debug_flag ike_dbg_packet = {.path = "crypto ikev2 packet",
                                    .group = "IKEv2",
                                    .title = "IKEv2 packet",
                                    .help = "IKEv2 packets"};
struct debug_flag ike_dbg_hexdump = {.path = "crypto ikev2 packet hexdump",
                                     .group = "IKEv2",
                                     .title = "IKEv2 packet hexdump",
                                     .help = "IKEv2 packets in hex"};
struct debug_flag ike_dbg_error = {.path = "crypto ikev2 error",
                                   .group = "IKEv2",
                                   .title = "IKEv2 error",
                                   .help = "IKEv2 errors and dropped messages"};
struct debug_flag ike_dbg_internal = {.path = "crypto ikev2 internal",
                                      .group = "IKEv2",
                                      .title = "IKEv2 internal",
                                      .help = "IKEv2 internal events"};
struct debug_flag ike_dbg_all = {
    .path = "crypto ikev2", .group = "IKEv2", .title = "IKEv2", .help = "IKEv2"};

const char *ike_ep_str(const struct ike_ep *e, char *buf, size_t cap)
{
    struct in_addr a = {.s_addr = e->addr};
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, ip, sizeof ip);
    snprintf(buf, cap, "%s:%u", ip, e->port);
    return buf;
}

/* ---- hash tables ---- */

static size_t hash64(uint64_t v, size_t nb)
{
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdULL;
    v ^= v >> 33;
    return (size_t)v & (nb - 1);
}

static size_t key_i(uint64_t spi_i, const struct ike_ep *ep, size_t nb)
{
    return hash64(spi_i ^ ((uint64_t)ep->addr << 16) ^ ep->port, nb);
}

static void hash_grow(struct ike_hash *h, bool by_r)
{
    size_t nb = h->nb * 2;
    struct ike_sa **b = calloc(nb, sizeof *b);
    if (!b) return; /* keep the old (longer chains, still correct) */
    for (size_t i = 0; i < h->nb; i++) {
        struct ike_sa *sa = h->b[i], *nx;
        for (; sa; sa = nx) {
            size_t k = by_r ? hash64(ike_sa_spi_local(sa), nb) : key_i(sa->spi_i, &sa->i_key, nb);
            if (by_r) {
                nx = sa->hnext_r;
                sa->hnext_r = b[k];
            } else {
                nx = sa->hnext_i;
                sa->hnext_i = b[k];
            }
            b[k] = sa;
        }
    }
    free(h->b);
    h->b = b;
    h->nb = nb;
}

/* The SA table by our SPI: the key (ike_sa_spi_local) is set before the SA goes in and never
 * changes while it is there. */
static void put_r(struct ike *ike, struct ike_sa *sa)
{
    struct ike_hash *h = &ike->by_r;
    if (h->n + 1 > h->nb) hash_grow(h, true);
    size_t k = hash64(ike_sa_spi_local(sa), h->nb);
    sa->hnext_r = h->b[k];
    h->b[k] = sa;
    h->n++;
}

static void del_r(struct ike *ike, struct ike_sa *sa)
{
    struct ike_hash *h = &ike->by_r;
    struct ike_sa **pp = &h->b[hash64(ike_sa_spi_local(sa), h->nb)];
    for (; *pp; pp = &(*pp)->hnext_r)
        if (*pp == sa) {
            *pp = sa->hnext_r;
            h->n--;
            return;
        }
    abort(); /* a lost entry would be freed while linked */
}

static void put_i(struct ike *ike, struct ike_sa *sa)
{
    struct ike_hash *h = &ike->by_i;
    if (h->n + 1 > h->nb) hash_grow(h, false);
    sa->i_key = sa->remote;
    size_t k = key_i(sa->spi_i, &sa->i_key, h->nb);
    sa->hnext_i = h->b[k];
    h->b[k] = sa;
    h->n++;
    sa->in_i_table = true;
}

void ike_sa_drop_i(struct ike_sa *sa)
{
    if (!sa->in_i_table) return;
    struct ike_hash *h = &sa->ike->by_i;
    struct ike_sa **pp = &h->b[key_i(sa->spi_i, &sa->i_key, h->nb)];
    for (; *pp; pp = &(*pp)->hnext_i)
        if (*pp == sa) {
            *pp = sa->hnext_i;
            h->n--;
            sa->in_i_table = false;
            return;
        }
    abort(); /* in_i_table says it is chained: a lost entry would be freed while linked */
}

struct ike_sa *ike_sa_by_spi(struct ike *ike, uint64_t spi)
{
    for (struct ike_sa *sa = ike->by_r.b[hash64(spi, ike->by_r.nb)]; sa; sa = sa->hnext_r)
        if (ike_sa_spi_local(sa) == spi) return sa;
    return NULL;
}

struct ike_sa *ike_sa_by_i(struct ike *ike, uint64_t spi_i, const struct ike_ep *remote)
{
    for (struct ike_sa *sa = ike->by_i.b[key_i(spi_i, remote, ike->by_i.nb)]; sa; sa = sa->hnext_i)
        if (sa->spi_i == spi_i && sa->i_key.addr == remote->addr && sa->i_key.port == remote->port)
            return sa;
    return NULL;
}

const char *ike_intern(struct ike *ike, const char *s)
{
    if (!s) s = "";
    for (struct ike_name *n = ike->names; n; n = n->next)
        if (!strcmp(n->s, s)) return n->s;
    size_t len = strlen(s);
    struct ike_name *n = malloc(sizeof *n + len + 1);
    if (!n) return "";
    memcpy(n->s, s, len + 1);
    n->next = ike->names;
    ike->names = n;
    return n->s;
}

void ike_dh_cache_expire(struct ike *ike, bool force)
{
    int64_t now = loop_now(ike->loop);
    for (int i = 0; i < IKE_DH_CACHE; i++)
        if (ike->dhc[i].dh && (force || now - ike->dhc[i].born >= IKE_DH_REUSE_MS)) {
            ike_dh_free(ike->dhc[i].dh); /* wipes the private value */
            ike->dhc[i].dh = NULL;
        }
}

static void dh_timer_cb(loop_t *l, void *arg)
{
    struct ike *ike = arg;
    ike_dh_cache_expire(ike, false);
    int64_t next = -1;
    for (int i = 0; i < IKE_DH_CACHE; i++)
        if (ike->dhc[i].dh) {
            int64_t left = ike->dhc[i].born + IKE_DH_REUSE_MS - loop_now(l);
            if (next < 0 || left < next) next = left;
        }
    if (next >= 0) loop_timer_start(ike->dh_timer, next);
}

/* ---- SA life ---- */

static void sa_timer(loop_t *l, void *arg);

uint64_t ike_fresh_spi(struct ike *ike)
{
    uint64_t spi;
    do {
        ike_random(&spi, sizeof spi);
    } while (spi == 0 || ike_sa_by_spi(ike, spi));
    return spi;
}

struct ike_sa *ike_sa_new(struct ike *ike, const struct ike_ep *local, const struct ike_ep *remote,
                          uint64_t spi_peer, bool initiator, uint64_t spi_local)
{
    if (!spi_local) spi_local = ike_fresh_spi(ike);
    if (ike_sa_by_spi(ike, spi_local)) return NULL;
    struct ike_sa *sa = calloc(1, sizeof *sa);
    if (!sa) return NULL;
    sa->timer = loop_timer_new(ike->loop, sa_timer, sa);
    if (!sa->timer) {
        free(sa);
        return NULL;
    }
    sa->ike = ike;
    sa->local = *local;
    sa->remote = *remote;
    sa->natt = local->port == IKE_NATT_PORT;
    sa->initiator = initiator;
    sa->spi_i = initiator ? spi_local : spi_peer;
    sa->spi_r = initiator ? spi_peer : spi_local;
    sa->state = SA_HALF_OPEN;
    sa->created = sa->last_rx = loop_now(ike->loop);
    sa->created_wall = time(NULL);
    sa->expires = sa->created + IKE_HALF_OPEN_MS;
    sa->conn_id = ++ike->next_conn_id;
    sa->profile = sa->local_id = sa->pool = "";
    put_r(ike, sa);
    /* Only an SA we answer is found by the peer's SPI (a retransmitted IKE_SA_INIT). */
    if (!initiator) put_i(ike, sa);
    sa->prev = ike->last;
    if (ike->last)
        ike->last->next = sa;
    else
        ike->first = sa;
    ike->last = sa;
    ike->half_open++;
    ike_sa_arm(sa);
    return sa;
}

static void free_init_material(struct ike_sa *sa)
{
    if (sa->ni) OPENSSL_cleanse(sa->ni, sa->nilen);
    if (sa->nr) OPENSSL_cleanse(sa->nr, sa->nrlen);
    free(sa->ni);
    free(sa->nr);
    free(sa->init_req);
    free(sa->init_resp);
    sa->ni = sa->nr = sa->init_req = sa->init_resp = NULL;
}

void ike_sa_destroy(struct ike_sa *sa, const char *why)
{
    struct ike *ike = sa->ike;
    char ep[48];
    if (sa->state == SA_ESTABLISHED || sa->state == SA_DELETING) {
        ilog(LOG_SEV_NOTIFICATIONS, "CRYPTO", "IKEV2_SESSION_STATUS",
             "Crypto tunnel v2 is DOWN. Peer %s Id: %s (%s)",
             ike_ep_str(&sa->remote, ep, sizeof ep), sa->peer_id[0] ? sa->peer_id : "unknown", why);
    } else if (IKE_DBG(internal)) {
        ilog_debug("IKEv2:(SA ID = %u):Deleting SA %016llx/%016llx: %s", sa->conn_id,
                   (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, why);
    }
    while (sa->children) ike_child_remove(sa, sa->children, true);
    if (sa->vip && ike->policy.pool_release)
        ike->policy.pool_release(ike->policy.ctx, sa->pool, sa->vip);
    if (sa->state == SA_HALF_OPEN)
        ike->half_open--;
    else if (sa->state == SA_ESTABLISHED || sa->state == SA_DELETING)
        ike->established--;
    del_r(ike, sa);
    ike_sa_drop_i(sa);
    if (sa->prev)
        sa->prev->next = sa->next;
    else
        ike->first = sa->next;
    if (sa->next)
        sa->next->prev = sa->prev;
    else
        ike->last = sa->prev;
    loop_timer_free(sa->timer);
    free_init_material(sa);
    ike_dgrams_clear(&sa->last_resp);
    ike_dgrams_clear(&sa->req);
    ike_req_ctx_free(sa);
    ike_frag_rx_free(sa);
    ike_keys_wipe(&sa->keys);
    free(sa);
}

/* On-demand DPD (IOS): outbound packets went up since the last look, inbound did not. */
static bool ike_dpd_traffic_says_dead(struct ike_sa *sa)
{
    struct ike *ike = sa->ike;
    if (!ike->has_kernel || !sa->children) return false;
    uint64_t in = 0, out = 0;
    for (struct ike_child *c = sa->children; c; c = c->next) {
        struct ike_child_counters ct;
        if (c->installed && ike->kernel.counters(ike->kernel.ctx, &c->k, &ct) == 0)
            in += ct.in_packets, out += ct.out_packets;
    }
    bool dead = out > sa->dpd_out && in == sa->dpd_in;
    sa->dpd_in = in, sa->dpd_out = out;
    return dead;
}

/* One timer per SA, armed for the earliest of its deadlines. */
static void earliest(int64_t *due, int64_t t)
{
    if (t && t < *due) *due = t;
}

void ike_sa_arm(struct ike_sa *sa)
{
    int64_t due = sa->expires;
    if (sa->req.n) earliest(&due, sa->req_due);
    /* sa_timer probes only an established SA with no request of ours out: a DPD that falls
     * due meanwhile waits for that request (armed for it, the timer would fire again and
     * again at the same moment). */
    if (!sa->req.n && sa->state == SA_ESTABLISHED) earliest(&due, sa->dpd_due);
    earliest(&due, sa->keepalive_due);
    if (sa->state == SA_ESTABLISHED) {
        earliest(&due, sa->rekey_at);
        earliest(&due, ike_child_next_due(sa));
        if (!sa->req.n) earliest(&due, sa->retry_at);
    }
    if (sa->frag) earliest(&due, sa->frag->started + IKE_FRAG_TIMEOUT_MS);
    loop_timer_start(sa->timer, due - loop_now(sa->ike->loop));
}

static void sa_timer(loop_t *l, void *arg)
{
    struct ike_sa *sa = arg;
    struct ike *ike = sa->ike;
    int64_t now = loop_now(l);
    if (now >= sa->expires) {
        if (sa->state == SA_HALF_OPEN) {
            ike->st.drops[IKE_DROP_NONE]++; /* not a drop: counted as a half-open timeout */
            ike_sa_destroy(sa, "no IKE_AUTH");
        } else {
            ike->st.sa_expired++;
            ike_sa_destroy(sa, "lifetime expired");
        }
        return;
    }
    if (sa->frag) ike_frag_expire(sa, now);
    if (sa->req.n && sa->req_due && now >= sa->req_due) {
        if (sa->req_tries >= IKE_RETRANSMIT_TRIES) {
            if (sa->req_kind == REQ_DPD) {
                ike->st.dpd_dead++;
                ike_sa_destroy(sa, "peer dead (DPD)");
            } else if (sa->req_kind == REQ_DELETE_IKE) {
                ike_sa_destroy(sa, "no answer to DELETE");
            } else {
                ike->st.dpd_dead++;
                ike_sa_destroy(sa, "peer dead (no answer to our request)");
            }
            return;
        }
        ike_retransmit(sa);
    }
    if (sa->state == SA_ESTABLISHED) {
        /* Lifetimes: the IKE SA is rekeyed before it expires (IOS does so as either side; an
         * IKE SA whose rekey fails is deleted at its hard lifetime above), CHILD_SAs too. */
        if (sa->rekey_at && now >= sa->rekey_at) {
            sa->rekey_at = 0;
            sa->want_rekey_ike = true;
        }
        ike_child_timers(sa, now);
        if (sa->retry_at && now >= sa->retry_at) sa->retry_at = 0;
        ike_sa_kick(sa);
    }
    if (sa->dpd_due && now >= sa->dpd_due && !sa->req.n && sa->state == SA_ESTABLISHED) {
        sa->dpd_due = 0;
        if (sa->dpd == IKE_DPD_ON_DEMAND) {
            /* IOS on-demand: probe only when we sent traffic and heard nothing back in the
             * interval (the kernel's counters tell); without a data plane there is no
             * traffic to go by, so no probe. */
            if (ike_dpd_traffic_says_dead(sa))
                ike_send_dpd(sa);
            else
                sa->dpd_due = now + (int64_t)sa->dpd_interval * 1000;
        } else if (now - sa->last_rx >= (int64_t)sa->dpd_interval * 1000) {
            ike_send_dpd(sa);
        } else {
            sa->dpd_due = sa->last_rx + (int64_t)sa->dpd_interval * 1000;
        }
    }
    if (sa->keepalive_due && now >= sa->keepalive_due) {
        /* RFC 3948 §2.3: on the encapsulation port only; on 500 the byte would be taken for a
         * malformed IKE message (the peer has not floated yet, or never will). */
        static const uint8_t ka = 0xff;
        if (sa->local.port == IKE_NATT_PORT)
            ike->send.send(ike->send.ctx, &sa->local, &sa->remote, &ka, 1);
        sa->keepalive_due = now + (int64_t)sa->nat_keepalive * 1000;
    }
    ike_sa_arm(sa);
}

/* ---- I/O ---- */

void ike_send_raw(struct ike *ike, const struct ike_ep *from, const struct ike_ep *to,
                  const uint8_t *buf, size_t len)
{
    ike->st.tx++;
    ike->st.tx_bytes += len;
    if (from->port == IKE_NATT_PORT) {
        /* RFC 3948 §2.2: IKE on 4500 is preceded by the 4-byte non-ESP marker. */
        uint8_t *tmp = malloc(len + 4);
        if (!tmp) return;
        memset(tmp, 0, 4);
        memcpy(tmp + 4, buf, len);
        ike->send.send(ike->send.ctx, from, to, tmp, len + 4);
        free(tmp);
    } else {
        ike->send.send(ike->send.ctx, from, to, buf, len);
    }
}

void ike_drop(struct ike *ike, enum ike_drop why, const struct ike_ep *from, const char *detail)
{
    ike->st.drops[why]++;
    if (IKE_DBG(error)) {
        char ep[48];
        ilog_debug("IKEv2-ERROR:Dropped message from %s: %s%s%s", ike_ep_str(from, ep, sizeof ep),
                   ike_drop_name(why), detail ? ": " : "", detail ? detail : "");
    }
}

static void hexdump(const uint8_t *p, size_t n)
{
    char line[80];
    for (size_t off = 0; off < n; off += 16) {
        size_t k = 0;
        for (size_t i = off; i < off + 16 && i < n; i++)
            k += (size_t)snprintf(line + k, sizeof line - k, "%02X", p[i]);
        ilog_debug("IKEv2:  %s", line);
    }
}

void ike_dbg_msg(struct ike *ike, bool out, const struct ike_ep *peer, const struct ike_msg *m,
                 const struct ike_pl *inner, int ninner)
{
    (void)ike;
    if (!IKE_DBG(packet) && !IKE_DBG(hexdump)) return;
    char sum[512], ep[48];
    ike_msg_summary(m, inner, ninner, sum, sizeof sum);
    ilog_debug("IKEv2:(SA ID = 0):%s %s %s, SPI %016llx/%016llx",
               out ? "Sending to" : "Received from", ike_ep_str(peer, ep, sizeof ep), sum,
               (unsigned long long)m->hdr.spi_i, (unsigned long long)m->hdr.spi_r);
    if (IKE_DBG(hexdump)) hexdump(m->raw, m->rawlen);
}

void ike_input(struct ike *ike, const struct ike_ep *local, const struct ike_ep *remote,
               const uint8_t *buf, size_t len)
{
    ike->st.rx++;
    ike->st.rx_bytes += len;
    if (local->port == IKE_NATT_PORT) {
        if (len == 1 && buf[0] == 0xff) { /* RFC 3948 §2.3 keepalive */
            ike->st.drops[IKE_DROP_KEEPALIVE]++;
            return;
        }
        if (len < 4 || buf[0] || buf[1] || buf[2] || buf[3]) {
            ike_drop(ike, IKE_DROP_NON_ESP_MARKER, remote, NULL);
            return;
        }
        buf += 4, len -= 4;
    }
    if (len > IKE_MAX_MSG) {
        ike_drop(ike, IKE_DROP_LENGTH, remote, NULL);
        return;
    }
    struct ike_hdr h;
    enum ike_drop r = ike_hdr_parse(buf, len, &h);
    if (r) {
        ike_drop(ike, r, remote, NULL);
        return;
    }
    /* Work on a private, writable copy: SK is decrypted in place. */
    memcpy(ike->rxbuf, buf, len);
    struct ike_msg *m = malloc(sizeof *m);
    if (!m) return;
    uint8_t crit = 0;
    r = ike_msg_parse(ike->rxbuf, len, m, &crit);
    if (r) {
        /* §2.5: an unknown critical payload in a request deserves an answer, but only
         * inside an authenticated exchange; outside it, dropping is the safe choice. */
        ike_drop(ike, r, remote, NULL);
        free(m);
        return;
    }
    bool response = m->hdr.flags & IKE_FLAG_RESPONSE;
    if (m->hdr.exchange == IKE_SA_INIT) {
        ike->st.init_in++;
        ike_dbg_msg(ike, false, remote, m, NULL, 0);
        if (response || m->hdr.spi_r != 0 || !(m->hdr.flags & IKE_FLAG_INITIATOR) ||
            m->hdr.msgid != 0) {
            ike_drop(ike, response ? IKE_DROP_RESPONSE : IKE_DROP_SPI, remote, "IKE_SA_INIT");
        } else {
            struct ike_sa *sa = ike_sa_by_i(ike, m->hdr.spi_i, remote);
            if (sa && sa->init_req && sa->init_req_len == len && !memcmp(sa->init_req, buf, len)) {
                /* §2.1: a retransmitted request gets the same answer, from where the request
                 * came to (the SA itself may have floated to 4500 since). */
                ike->st.retransmits_answered++;
                ike_send_raw(ike, local, remote, sa->init_resp, sa->init_resp_len);
            } else if (sa) {
                ike_drop(ike, IKE_DROP_SPI, remote, "IKE_SA_INIT reusing a half-open SPI");
            } else {
                ike_handle_init(ike, local, remote, m);
            }
        }
        free(m);
        return;
    }
    /* Our SPI is the responder's when the sender is the original initiator (I flag, §3.1),
     * else the initiator's; the SA must agree on who is who, and on the peer's SPI. */
    bool from_initiator = m->hdr.flags & IKE_FLAG_INITIATOR;
    struct ike_sa *sa = ike_sa_by_spi(ike, from_initiator ? m->hdr.spi_r : m->hdr.spi_i);
    if (!sa || sa->initiator == from_initiator ||
        (from_initiator ? sa->spi_i != m->hdr.spi_i : sa->spi_r != m->hdr.spi_r)) {
        ike_drop(ike, sa ? IKE_DROP_SPI : IKE_DROP_NO_SA, remote, sa ? "initiator flag" : NULL);
        free(m);
        return;
    }
    bool frag = m->sk >= 0 && m->pl[m->sk].type == IKE_PL_SKF;
    if (!response) {
        if (m->hdr.msgid + 1 == sa->rx_next && sa->last_resp.n) {
            /* Retransmission of the last request: resend the cached answer (§2.1). The
             * peer's address may have changed (NAT): answer where it came from. RFC 7383
             * §2.6.1: of a fragmented request only fragment 1 does that. */
            const struct ike_pl *f = frag ? &m->pl[m->sk] : NULL;
            if (!f || (f->len >= 4 && f->body[0] == 0 && f->body[1] == 1)) {
                ike->st.retransmits_answered++;
                ike_dgrams_send(ike, &sa->last_resp, &sa->local, remote);
            } else {
                ike->st.frag_dropped[IKE_FRAG_DROP_REPLAY]++;
            }
            free(m);
            return;
        }
        if (m->hdr.msgid != sa->rx_next) {
            ike_drop(ike, IKE_DROP_MSGID, remote, NULL);
            free(m);
            return;
        }
    } else if (!sa->req.n || m->hdr.msgid != sa->tx_next - 1) {
        ike_drop(ike, IKE_DROP_RESPONSE, remote, NULL);
        free(m);
        return;
    }
    if (m->sk < 0) {
        ike_drop(ike, IKE_DROP_MISSING, remote, "no SK payload");
        free(m);
        return;
    }
    const uint8_t *inner;
    size_t inner_len;
    uint8_t first = m->sk_next;
    if (frag) {
        int fr = ike_frag_input(sa, m, ike->rxbuf, len, &inner_len, &first);
        if (fr <= 0) { /* counted there; more to come, or dropped */
            free(m);
            return;
        }
        inner = ike->fragbuf;
    } else {
        size_t sk_off = (size_t)(m->pl[m->sk].body - ike->rxbuf) - IKE_GENERIC_HDR_LEN;
        int rc =
            ike_sk_open(&sa->keys, !sa->initiator, ike->rxbuf, len, sk_off, &inner, &inner_len);
        if (rc) {
            ike_drop(ike, rc == -1 ? IKE_DROP_DECRYPT : IKE_DROP_PADDING, remote, NULL);
            free(m);
            return;
        }
    }
    struct ike_pl *pl = malloc(sizeof(struct ike_pl) * IKE_MAX_PAYLOADS);
    int npl = 0;
    if (!pl) {
        free(m);
        return;
    }
    r = ike_payloads_walk(first, inner, inner_len, pl, IKE_MAX_PAYLOADS, &npl, &crit);
    if (r) {
        ike_drop(ike, r, remote, "inside SK");
        free(pl);
        free(m);
        return;
    }
    ike_dbg_msg(ike, false, remote, m, pl, npl);
    sa->last_rx = loop_now(ike->loop);
    /* RFC 7296 §2.23: the message is authentic: follow the peer's address and port (the
     * float to 4500 after IKE_SA_INIT, a NAT rebinding later). */
    sa->remote = *remote;
    if (local->port == IKE_NATT_PORT) {
        sa->natt = true;
        sa->local = *local;
    }
    if (response)
        ike_handle_response(sa, m, pl, npl);
    else
        ike_handle_request(sa, m, pl, npl);
    free(pl);
    free(m);
}

/* ---- datagrams kept for retransmission ---- */

void ike_dgrams_clear(struct ike_dgrams *d)
{
    free(d->buf);
    d->buf = NULL;
    d->len = 0;
    d->n = 0;
}

bool ike_dgrams_add(struct ike_dgrams *d, const uint8_t *p, size_t n)
{
    if (n > UINT16_MAX) return false;
    uint8_t *b = realloc(d->buf, d->len + 2 + n);
    if (!b) return false;
    b[d->len] = (uint8_t)(n >> 8);
    b[d->len + 1] = (uint8_t)n;
    memcpy(b + d->len + 2, p, n);
    d->buf = b;
    d->len += 2 + n;
    d->n++;
    return true;
}

void ike_dgrams_send(struct ike *ike, const struct ike_dgrams *d, const struct ike_ep *from,
                     const struct ike_ep *to)
{
    for (size_t off = 0; off + 2 <= d->len;) {
        size_t n = (size_t)d->buf[off] << 8 | d->buf[off + 1];
        ike_send_raw(ike, from, to, d->buf + off + 2, n);
        off += 2 + n;
    }
}

/* ---- lifecycle, stats ---- */

struct ike *ike_new(loop_t *loop, const struct ike_send_port *send,
                    const struct ike_policy_port *policy, const struct ike_kernel_port *kernel)
{
    struct ike *ike = calloc(1, sizeof *ike);
    if (!ike) return NULL;
    ike->loop = loop;
    ike->send = *send;
    ike->policy = *policy;
    if (kernel) {
        ike->kernel = *kernel;
        ike->has_kernel = true;
    }
    ike->next_reqid = IKE_REQID_BASE;
    ike->dh_timer = loop_timer_new(loop, dh_timer_cb, ike);
    /* The tables have their first buckets from the start, so that an insert never fails
     * (growing later may; the old buckets then stay, with longer chains). */
    ike->by_r.nb = ike->by_i.nb = ike->by_reqid.nb = 1024;
    ike->by_r.b = calloc(1024, sizeof *ike->by_r.b);
    ike->by_i.b = calloc(1024, sizeof *ike->by_i.b);
    ike->by_reqid.b = calloc(1024, sizeof *ike->by_reqid.b);
    if (!ike->dh_timer || !ike->by_r.b || !ike->by_i.b || !ike->by_reqid.b) {
        loop_timer_free(ike->dh_timer);
        free(ike->by_r.b);
        free(ike->by_i.b);
        free(ike->by_reqid.b);
        free(ike);
        return NULL;
    }
    ike_random(ike->cookie_secret, sizeof ike->cookie_secret);
    ike->cookie_rotated = loop_now(loop);
    debug_register(&ike_dbg_all);
    debug_register(&ike_dbg_error);
    debug_register(&ike_dbg_internal);
    debug_register(&ike_dbg_packet);
    debug_register(&ike_dbg_hexdump);
    return ike;
}

void ike_free(struct ike *ike)
{
    if (!ike) return;
    while (ike->first) ike_sa_destroy(ike->first, "shutting down");
    free(ike->by_r.b);
    free(ike->by_i.b);
    free(ike->by_reqid.b);
    ike_dh_cache_expire(ike, true);
    loop_timer_free(ike->dh_timer);
    while (ike->names) {
        struct ike_name *n = ike->names;
        ike->names = n->next;
        free(n);
    }
    free(ike);
}

void ike_set_redirect(struct ike *ike, const struct ike_redirect_port *r)
{
    if (r)
        ike->redirect = *r;
    else
        memset(&ike->redirect, 0, sizeof ike->redirect);
}

void ike_get_stats(const struct ike *ike, struct ike_stats *st)
{
    *st = ike->st;
    st->half_open = ike->half_open;
    st->established = ike->established;
    st->children = ike->nchildren;
}

void ike_clear_stats(struct ike *ike)
{
    memset(&ike->st, 0, sizeof ike->st);
}

int ike_clear_sa(struct ike *ike, uint32_t peer)
{
    int n = 0;
    struct ike_sa *sa = ike->first, *nx;
    for (; sa; sa = nx) {
        nx = sa->next;
        if (peer && sa->remote.addr != peer) continue;
        n++;
        if (sa->state == SA_ESTABLISHED) {
            /* DELETE as soon as the request window is free (§2.3); the SA goes when the peer
             * answers or gives up. */
            sa->want_delete = true;
            ike_sa_kick(sa);
        } else if (sa->state != SA_DELETING) {
            ike_sa_destroy(sa, "cleared");
        }
    }
    return n;
}
