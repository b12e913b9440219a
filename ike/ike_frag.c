/* IKEv2 fragmentation (RFC 7383): our protected messages sealed whole or as Encrypted Fragment
 * payloads, and the reassembly of the peer's fragments. Used only when both ends said
 * IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT (§2.3) and `crypto ikev2 fragmentation` is on.
 *
 * Sending (§2.5): a message larger than the fragment size is cut into chunks of its SK
 * plaintext, each sealed on its own with the IKE SA's keys under a copy of the header. The
 * size follows from IOS's `mtu` (the IP datagram; IOS shows it less the 28 bytes of IPv4 and
 * UDP headers as "MTU in use"), less room for the non-ESP marker of port 4500 on either port:
 * fragments are kept for retransmission, and the peer may float from 500 to 4500 meanwhile.
 *
 * Receiving (§2.6): fragments are checked (numbers), verified and decrypted one by one, kept
 * by number until all have come, then the content is joined and handled as one message.
 * Limits: IKE_FRAG_MAX fragments, IKE_MAX_MSG bytes, IKE_FRAG_TIMEOUT_MS; every fragment that
 * is dropped is counted by reason. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_internal.h"
#include "platform/loop.h"

const char *ike_frag_drop_name(enum ike_frag_drop r)
{
    static const char *const names[IKE_FRAG_DROP_NCOUNT] = {
        [IKE_FRAG_DROP_NOT_NEGOTIATED] = "fragmentation not negotiated",
        [IKE_FRAG_DROP_INVALID] = "bad fragment numbers",
        [IKE_FRAG_DROP_REPLAY] = "fragment held already",
        [IKE_FRAG_DROP_TOO_MANY] = "too many fragments",
        [IKE_FRAG_DROP_TOO_BIG] = "reassembled message too big",
        [IKE_FRAG_DROP_TIMEOUT] = "reassembly timed out",
    };
    return (unsigned)r < IKE_FRAG_DROP_NCOUNT && names[r] ? names[r] : "unknown";
}

/* ---- sending ---- */

/* The largest IKE message (a fragment) a datagram may carry on this SA. The non-ESP marker is
 * counted on 500 too: a request cut into fragments there is sent again as it is, and from 4500
 * once the peer has floated (RFC 3948), four bytes longer. */
static size_t frag_limit(const struct ike_sa *sa)
{
    size_t mtu = sa->frag_mtu;
    size_t over = 20 + 8 + 4; /* IPv4, UDP, marker */
    return mtu > over ? mtu - over : 0;
}

bool ike_seal_out(struct ike_sa *sa, size_t len, size_t sk_off, struct ike_dgrams *out)
{
    struct ike *ike = sa->ike;
    uint8_t *msg = ike->txbuf;
    size_t ivl = ike_suite_iv_len(&sa->keys.suite), icv = ike_suite_icv_len(&sa->keys.suite);
    size_t block = ike_suite_block(&sa->keys.suite);
    size_t limit = sa->frag_mtu ? frag_limit(sa) : 0;
    if (!limit || len <= limit) {
        if (ike_sk_seal(&sa->keys, sa->initiator, ++sa->iv_counter, msg, len, sk_off)) return false;
        return ike_dgrams_add(out, msg, len);
    }
    /* §2.5: only the SK payload's content is split; payloads before it (none in the exchanges
     * we send) would go into fragment 1. The content is the plaintext between the IV and the
     * padding, which ikew_sk_end wrote: recover its end from the pad length. */
    if (sk_off != IKE_HDR_LEN) return false;
    size_t ct = sk_off + IKE_GENERIC_HDR_LEN + ivl;
    size_t end = len - icv - 1;
    if (end < ct || msg[end] > end - ct) return false;
    end -= msg[end];
    size_t content = end - ct;
    size_t room = limit > IKE_HDR_LEN + ikew_skf_overhead(ivl, block, icv)
                      ? limit - IKE_HDR_LEN - ikew_skf_overhead(ivl, block, icv)
                      : 0;
    if (room < 16) return false; /* an MTU too small to carry anything */
    size_t total = (content + room - 1) / room;
    if (total > IKE_FRAG_MAX) return false;
    uint8_t *plain = ike_dup_bytes(msg + ct, content);
    if (!plain) return false;
    uint8_t first_np = msg[sk_off];
    uint8_t hdr[IKE_HDR_LEN];
    memcpy(hdr, msg, IKE_HDR_LEN);
    bool good = true;
    for (size_t i = 0; i < total && good; i++) {
        size_t off = i * room, n = content - off < room ? content - off : room;
        struct ike_wbuf w;
        ikew_init(&w, msg, sizeof ike->txbuf);
        /* §2.5: the header intact but for Length and Next Payload (offset 16, patched by
         * ikew_skf's payload like any first payload). */
        ikew_put(&w, hdr, IKE_HDR_LEN);
        w.np_off = 16;
        ikew_skf(&w, i == 0 ? first_np : IKE_PL_NONE, (uint16_t)(i + 1), (uint16_t)total, ivl,
                 plain + off, n, block, icv);
        size_t flen = ikew_finish(&w);
        good = flen &&
               !ike_skf_seal(&sa->keys, sa->initiator, ++sa->iv_counter, msg, flen, w.sk_off) &&
               ike_dgrams_add(out, msg, flen);
        if (good) ike->st.frag_out++;
    }
    OPENSSL_cleanse(plain, content);
    free(plain);
    return good;
}

/* ---- receiving ---- */

void ike_frag_rx_free(struct ike_sa *sa)
{
    struct ike_frag_rx *f = sa->frag;
    if (!f) return;
    for (int i = 0; i < IKE_FRAG_MAX; i++)
        if (f->part[i]) {
            OPENSSL_cleanse(f->part[i], f->len[i]);
            free(f->part[i]);
        }
    free(f);
    sa->frag = NULL;
}

int64_t ike_frag_expire(struct ike_sa *sa, int64_t now)
{
    if (!sa->frag) return 0;
    int64_t due = sa->frag->started + IKE_FRAG_TIMEOUT_MS;
    if (now < due) return due;
    /* §2.6: the responder acts as if no request came; an initiator retransmits. */
    sa->ike->st.frag_dropped[IKE_FRAG_DROP_TIMEOUT]++;
    ike_frag_rx_free(sa);
    return 0;
}

static int drop(struct ike_sa *sa, enum ike_frag_drop why)
{
    sa->ike->st.frag_dropped[why]++;
    if (IKE_DBG(error)) {
        char ep[48];
        ilog_debug("IKEv2-ERROR:(SA ID = %u):Dropped fragment from %s: %s", sa->conn_id,
                   ike_ep_str(&sa->remote, ep, sizeof ep), ike_frag_drop_name(why));
    }
    return 0;
}

int ike_frag_input(struct ike_sa *sa, const struct ike_msg *m, uint8_t *msgbuf, size_t len,
                   size_t *inner_len, uint8_t *first_np)
{
    struct ike *ike = sa->ike;
    ike->st.frag_in++;
    if (!sa->frag_mtu) return drop(sa, IKE_FRAG_DROP_NOT_NEGOTIATED);
    const struct ike_pl *p = &m->pl[m->sk];
    if (p->len < 4) return drop(sa, IKE_FRAG_DROP_INVALID);
    uint16_t num = (uint16_t)(p->body[0] << 8 | p->body[1]);
    uint16_t total = (uint16_t)(p->body[2] << 8 | p->body[3]);
    bool response = m->hdr.flags & IKE_FLAG_RESPONSE;
    struct ike_frag_rx *f = sa->frag;
    /* A set for another message (the previous one completed or abandoned) starts over. */
    if (f && (f->msgid != m->hdr.msgid || f->response != response)) {
        ike_frag_rx_free(sa);
        f = NULL;
    }
    /* §2.6: non-zero numbers, number <= total, total not below what is held. */
    if (!num || !total || num > total || (f && total < f->total))
        return drop(sa, IKE_FRAG_DROP_INVALID);
    if (total > IKE_FRAG_MAX) return drop(sa, IKE_FRAG_DROP_TOO_MANY);
    if (f && total == f->total && f->part[num - 1]) return drop(sa, IKE_FRAG_DROP_REPLAY);
    /* §2.6: authentic before anything is kept. */
    size_t skf_off = (size_t)(p->body - msgbuf) - IKE_GENERIC_HDR_LEN;
    const uint8_t *in;
    size_t inl;
    int rc = ike_skf_open(&sa->keys, !sa->initiator, msgbuf, len, skf_off, &in, &inl);
    if (rc) {
        ike_drop(ike, rc == -1 ? IKE_DROP_DECRYPT : IKE_DROP_PADDING, &sa->remote, "fragment");
        return 0;
    }
    if (f && total > f->total) { /* §2.6: a newer set (PMTU discovery): start over */
        ike_frag_rx_free(sa);
        f = NULL;
    }
    if (!f) {
        f = sa->frag = calloc(1, sizeof *f);
        if (!f) return 0;
        f->msgid = m->hdr.msgid;
        f->total = total;
        f->response = response;
        f->exchange = m->hdr.exchange;
        f->flags = m->hdr.flags;
        f->started = loop_now(ike->loop);
        ike_sa_arm(sa);
    }
    if (f->bytes + inl > IKE_MAX_MSG) {
        ike_frag_rx_free(sa);
        return drop(sa, IKE_FRAG_DROP_TOO_BIG);
    }
    f->part[num - 1] = ike_dup_bytes(in, inl);
    if (!f->part[num - 1]) return 0;
    f->len[num - 1] = (uint16_t)inl;
    f->bytes += inl;
    if (num == 1) f->first_np = m->sk_next;
    if (++f->have < f->total) return 0;
    size_t off = 0;
    for (int i = 0; i < f->total; i++) {
        memcpy(ike->fragbuf + off, f->part[i], f->len[i]);
        off += f->len[i];
    }
    *inner_len = off;
    *first_np = f->first_np;
    ike->st.frag_reassembled++;
    ike_frag_rx_free(sa);
    return 1;
}
