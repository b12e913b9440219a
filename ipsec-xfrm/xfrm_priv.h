/* Shared by the files of ipsec-xfrm/ only: the handle and bounds-checked readers of netlink
 * messages and attributes. Readers never cast wire bytes in place: headers are copied out. */
#ifndef IKEGATE_XFRM_PRIV_H
#define IKEGATE_XFRM_PRIV_H

#include <errno.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ipsec-xfrm/xfrm.h"

struct mnl_socket;

#define XFRM_RBUF_SIZE (64 * 1024) /* a dump part from the kernel is at most 32 KiB */
#define XFRM_QBUF_SIZE (48 * 1024) /* one sendto() of a batch */
#define XFRM_BATCH_MAX 64          /* requests per sendto() */
#define XFRM_REPLY_TIMEOUT_S 5

struct xfrm {
    struct mnl_socket *nl; /* requests (NETLINK_XFRM) */
    struct mnl_socket *ev; /* events (NETLINK_XFRM, multicast groups), non-blocking */
    struct mnl_socket *rt; /* NETLINK_ROUTE for xfrm interfaces, opened on first use */
    uint32_t portid, rt_portid;
    uint32_t seq, rt_seq; /* the two request sockets' sequence numbers */
    uint32_t reqid_base, reqid_count;
    char detail[160];
    bool dump_intr; /* the last dump was interrupted by a change (NLM_F_DUMP_INTR) */

    /* Batch: the requests not sent yet (qbuf), and the outcome of every request of the
     * batch so far (res; XFRM_PENDING until acknowledged). */
    bool in_batch;
    uint8_t *qbuf;
    size_t qlen, qcount;
    uint32_t qfirst_seq;
    int *res;
    size_t nres, capres;

    uint8_t *rbuf; /* XFRM_RBUF_SIZE, for every receive */
};

/* One netlink message read from a buffer. */
struct xnl_msg {
    uint16_t type, flags;
    uint32_t seq, pid;
    const uint8_t *payload;
    size_t plen;  /* payload bytes (nlmsg_len - header) */
    size_t total; /* bytes to the next message (aligned, clipped to the buffer) */
};

/* 0 with *m filled, or -EINVAL if buf[0..len) does not start with a whole message. */
static inline int xnl_msg_read(const uint8_t *buf, size_t len, struct xnl_msg *m)
{
    struct nlmsghdr h;
    if (len < sizeof(h)) return -EINVAL;
    memcpy(&h, buf, sizeof(h));
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len) return -EINVAL;
    m->type = h.nlmsg_type;
    m->flags = h.nlmsg_flags;
    m->seq = h.nlmsg_seq;
    m->pid = h.nlmsg_pid;
    m->payload = buf + NLMSG_HDRLEN;
    m->plen = h.nlmsg_len - NLMSG_HDRLEN;
    size_t t = NLMSG_ALIGN(h.nlmsg_len);
    m->total = t > len ? len : t;
    return 0;
}

/* Attributes (struct nlattr TLVs, 4-byte aligned) in p[0..len). */
struct xnl_attrs {
    const uint8_t *p;
    size_t left;
    bool bad; /* a malformed attribute ended the walk */
};

static inline void xnl_attrs_init(struct xnl_attrs *it, const uint8_t *p, size_t len)
{
    it->p = p;
    it->left = len;
    it->bad = false;
}

/* The next attribute: its type (flags stripped), data and data length. false at the end or on
 * a malformed attribute (then it->bad). */
static inline bool xnl_attr_next(struct xnl_attrs *it, uint16_t *type, const uint8_t **data,
                                 size_t *dlen)
{
    struct nlattr a;
    if (it->left == 0) return false;
    if (it->left < sizeof(a)) {
        it->bad = true;
        return false;
    }
    memcpy(&a, it->p, sizeof(a));
    if (a.nla_len < NLA_HDRLEN || a.nla_len > it->left) {
        it->bad = true;
        return false;
    }
    *type = a.nla_type & NLA_TYPE_MASK;
    *data = it->p + NLA_HDRLEN;
    *dlen = a.nla_len - NLA_HDRLEN;
    size_t step = NLA_ALIGN(a.nla_len);
    if (step > it->left) step = it->left; /* the last attribute may lack its padding */
    it->p += step;
    it->left -= step;
    return true;
}

static inline uint32_t xnl_get_u32(const uint8_t *d)
{
    uint32_t v;
    memcpy(&v, d, sizeof(v));
    return v;
}

/* Sends one request (NLM_F_REQUEST | NLM_F_ACK are added, the sequence number set) on sock and
 * waits for its acknowledgement; messages of the same sequence before it go to on_reply.
 * Returns the kernel's error (0 or -errno), -ETIMEDOUT, or on_reply's first non-zero value. */
int xfrm_nl_transact(struct xfrm *x, struct mnl_socket *sock, uint32_t portid, struct nlmsghdr *nlh,
                     int (*on_reply)(const uint8_t *msg, size_t len, void *arg), void *arg);

/* Short acknowledgements with the kernel's error text, a bigger receive buffer, and with
 * timeout a receive timeout of XFRM_REPLY_TIMEOUT_S. */
void xfrm_sock_options(struct mnl_socket *s, bool timeout);

/* Copies a NUL-terminated text into x->detail from an NLMSG_ERROR's extended ack, if any. */
void xfrm_note_ack(struct xfrm *x, const struct xnl_msg *m);

#endif
