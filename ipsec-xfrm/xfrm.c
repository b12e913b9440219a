/* XFRM SAs, policies, batches, dumps, flush and events over NETLINK_XFRM with libmnl.
 *
 * Every request asks for an acknowledgement (NLM_F_ACK): XFRM answers a successful request
 * with nothing at all otherwise, and a receive loop waiting for "the answer" would hang. The
 * request socket also has a receive timeout, so a lost answer costs 5 s, not the process.
 * Batches put up to 64 requests in one sendto(); the kernel processes them in order and
 * acknowledges each one, which is measured at ~29k SA/s against ~8k one at a time. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ipsec-xfrm/xfrm_priv.h"

_Static_assert((int)XFRM_DIR_IN == (int)XFRM_POLICY_IN &&
                   (int)XFRM_DIR_OUT == (int)XFRM_POLICY_OUT &&
                   (int)XFRM_DIR_FWD == (int)XFRM_POLICY_FWD,
               "enum xfrm_dir is passed to the kernel as is");

#define XFRM_PENDING 1 /* a batch result not acknowledged yet */
#define XFRM_EVENTS_PER_READ 32
#define MSG_CAP 2048 /* the largest request: an SA with keys and a 4096-packet ESN bitmap */

/* ---------------------------------------------------------------- sockets */

void xfrm_sock_options(struct mnl_socket *s, bool timeout)
{
    int one = 1, fd = mnl_socket_get_fd(s);
    /* Short acknowledgements (no copy of the request) with the kernel's error text. Older
     * kernels lack them; the answers are then just longer and without the text. */
    (void)mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one));
    (void)mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
    if (timeout) {
        struct timeval tv = {.tv_sec = XFRM_REPLY_TIMEOUT_S};
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    /* Room for the acknowledgements of a whole batch, and for bursts of events. */
    int rcv = 1 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
}

/* One datagram from the kernel: its length, 0 for one to ignore (not from the kernel), or
 * -errno (-EAGAIN: nothing within the timeout / nothing pending). */
static ssize_t nl_recv(struct mnl_socket *s, uint8_t *buf, size_t len, int flags)
{
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr mh = {
        .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(mnl_socket_get_fd(s), &mh, flags);
    if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    if (mh.msg_flags & MSG_TRUNC) return 0; /* cannot happen with a 64 KiB buffer */
    if (mh.msg_namelen < sizeof(from) || from.nl_pid != 0) return 0;
    return n;
}

void xfrm_note_ack(struct xfrm *x, const struct xnl_msg *m)
{
    if (!(m->flags & NLM_F_ACK_TLVS)) return;
    /* The TLVs follow struct nlmsgerr, whose copy of the request is only a header when the
     * acknowledgement is capped, else the whole request. */
    size_t off = sizeof(struct nlmsgerr);
    if (!(m->flags & NLM_F_CAPPED)) {
        struct nlmsgerr e;
        if (m->plen < sizeof(e)) return;
        memcpy(&e, m->payload, sizeof(e));
        if (e.msg.nlmsg_len < NLMSG_HDRLEN) return;
        off = sizeof(int) + (size_t)e.msg.nlmsg_len;
    }
    off = NLMSG_ALIGN(off);
    if (off >= m->plen) return;
    struct xnl_attrs it;
    uint16_t type;
    const uint8_t *d;
    size_t dlen;
    xnl_attrs_init(&it, m->payload + off, m->plen - off);
    while (xnl_attr_next(&it, &type, &d, &dlen)) {
        if (type != NLMSGERR_ATTR_MSG) continue;
        size_t n = strnlen((const char *)d, dlen);
        if (n >= sizeof(x->detail)) n = sizeof(x->detail) - 1;
        memcpy(x->detail, d, n);
        x->detail[n] = '\0';
        return;
    }
}

/* The error an NLMSG_ERROR carries (0 for an acknowledgement), noting the kernel's text. */
static int ack_error(struct xfrm *x, const struct xnl_msg *m)
{
    int err;
    if (m->plen < sizeof(err)) return -EPROTO;
    memcpy(&err, m->payload, sizeof(err));
    if (err > 0) err = -err; /* never, but a positive value must not look like "pending" */
    if (err < 0) xfrm_note_ack(x, m);
    return err;
}

int xfrm_nl_transact(struct xfrm *x, struct mnl_socket *sock, uint32_t portid, struct nlmsghdr *nlh,
                     int (*on_reply)(const uint8_t *msg, size_t len, void *arg), void *arg)
{
    uint32_t *seqp = sock == x->nl ? &x->seq : &x->rt_seq;
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++*seqp;
    x->detail[0] = '\0';
    if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) return -errno;

    int cbrc = 0;
    for (;;) {
        ssize_t n = nl_recv(sock, x->rbuf, XFRM_RBUF_SIZE, 0);
        if (n == -EINTR || n == -ENOBUFS || n == 0) continue;
        if (n == -EAGAIN) return -ETIMEDOUT;
        if (n < 0) return (int)n;
        const uint8_t *p = x->rbuf;
        size_t left = (size_t)n;
        struct xnl_msg m;
        while (left > 0 && xnl_msg_read(p, left, &m) == 0) {
            if (m.seq == nlh->nlmsg_seq && m.pid == portid) {
                if (m.type == NLMSG_ERROR) {
                    int err = ack_error(x, &m);
                    return err ? err : cbrc;
                }
                if (on_reply && cbrc == 0 && m.type != NLMSG_DONE && m.type != NLMSG_NOOP)
                    cbrc = on_reply(p, m.plen + NLMSG_HDRLEN, arg);
            }
            p += m.total;
            left -= m.total;
        }
    }
}

struct xfrm *xfrm_open(uint32_t reqid_base, uint32_t reqid_count, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    if (reqid_base == 0 || reqid_count == 0 ||
        (uint64_t)reqid_base + reqid_count - 1 > UINT32_MAX) {
        snprintf(err, errlen, "invalid reqid range %u+%u (reqid 0 means any)", reqid_base,
                 reqid_count);
        errno = EINVAL;
        return NULL;
    }
    struct xfrm *x = calloc(1, sizeof(*x));
    if (!x) goto nomem;
    x->reqid_base = reqid_base;
    x->reqid_count = reqid_count;
    x->rbuf = malloc(XFRM_RBUF_SIZE);
    x->qbuf = calloc(1, XFRM_QBUF_SIZE);
    if (!x->rbuf || !x->qbuf) goto nomem;
    /* Sequence numbers from the clock, so a restarted process does not take a predecessor's
     * late answers for its own. */
    x->seq = (uint32_t)time(NULL);
    x->rt_seq = x->seq;

    x->nl = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC);
    if (!x->nl || mnl_socket_bind(x->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open the XFRM netlink socket: %s", strerror(e));
        xfrm_close(x);
        errno = e;
        return NULL;
    }
    x->portid = mnl_socket_get_portid(x->nl);
    xfrm_sock_options(x->nl, true);

    x->ev = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (!x->ev || mnl_socket_bind(x->ev, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open the XFRM event socket: %s", strerror(e));
        xfrm_close(x);
        errno = e;
        return NULL;
    }
    static const int groups[] = {XFRMNLGRP_EXPIRE, XFRMNLGRP_ACQUIRE, XFRMNLGRP_MAPPING};
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        int g = groups[i];
        if (mnl_socket_setsockopt(x->ev, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0) {
            int e = errno;
            snprintf(err, errlen, "cannot join XFRM netlink group %d: %s", g, strerror(e));
            xfrm_close(x);
            errno = e;
            return NULL;
        }
    }
    xfrm_sock_options(x->ev, false);
    return x;
nomem:
    snprintf(err, errlen, "out of memory");
    xfrm_close(x);
    errno = ENOMEM;
    return NULL;
}

void xfrm_close(struct xfrm *x)
{
    if (!x) return;
    if (x->nl) mnl_socket_close(x->nl);
    if (x->ev) mnl_socket_close(x->ev);
    if (x->rt) mnl_socket_close(x->rt);
    if (x->qbuf) explicit_bzero(x->qbuf, XFRM_QBUF_SIZE);
    free(x->qbuf);
    free(x->rbuf);
    free(x->res);
    free(x);
}

bool xfrm_reqid_is_ours(const struct xfrm *x, uint32_t reqid)
{
    return reqid >= x->reqid_base && reqid - x->reqid_base < x->reqid_count;
}

const char *xfrm_last_detail(const struct xfrm *x)
{
    return x->detail;
}

int xfrm_events_fd(const struct xfrm *x)
{
    return mnl_socket_get_fd(x->ev);
}

/* ---------------------------------------------------------------- batches */

static int res_push(struct xfrm *x)
{
    if (x->nres == x->capres) {
        size_t cap = x->capres ? x->capres * 2 : 64;
        int *r = realloc(x->res, cap * sizeof(*r));
        if (!r) return -ENOMEM;
        x->res = r;
        x->capres = cap;
    }
    x->res[x->nres] = XFRM_PENDING;
    return (int)x->nres++;
}

/* Reads the acknowledgements of the chunk just sent: requests res[base .. base+count) with
 * sequence numbers qfirst_seq onwards. */
static void collect_acks(struct xfrm *x, size_t base, size_t count)
{
    size_t pending = count;
    int fail = -ETIMEDOUT;
    while (pending > 0) {
        ssize_t n = nl_recv(x->nl, x->rbuf, XFRM_RBUF_SIZE, 0);
        if (n == -EINTR || n == 0) continue;
        if (n == -ENOBUFS) { /* acknowledgements were lost: wait for what still comes */
            fail = -ENOBUFS;
            continue;
        }
        if (n < 0) {
            if (n != -EAGAIN) fail = (int)n;
            break;
        }
        const uint8_t *p = x->rbuf;
        size_t left = (size_t)n;
        struct xnl_msg m;
        while (left > 0 && xnl_msg_read(p, left, &m) == 0) {
            uint32_t k = m.seq - x->qfirst_seq;
            if (m.type == NLMSG_ERROR && m.pid == x->portid && k < count &&
                x->res[base + k] == XFRM_PENDING) {
                x->res[base + k] = ack_error(x, &m);
                pending--;
            }
            p += m.total;
            left -= m.total;
        }
    }
    for (size_t i = 0; i < count && pending > 0; i++)
        if (x->res[base + i] == XFRM_PENDING) x->res[base + i] = fail;
}

static void chunk_flush(struct xfrm *x)
{
    if (x->qcount == 0) return;
    size_t base = x->nres - x->qcount;
    ssize_t s = mnl_socket_sendto(x->nl, x->qbuf, x->qlen);
    int serr = s < 0 ? -errno : 0;
    explicit_bzero(x->qbuf, x->qlen); /* keys */
    if (serr)
        for (size_t i = 0; i < x->qcount; i++) x->res[base + i] = serr;
    else
        collect_acks(x, base, x->qcount);
    x->qlen = x->qcount = 0;
}

static int queue_req(struct xfrm *x, struct nlmsghdr *nlh)
{
    size_t len = NLMSG_ALIGN(nlh->nlmsg_len);
    if (len > XFRM_QBUF_SIZE) return -EMSGSIZE;
    if (x->qcount == XFRM_BATCH_MAX || x->qlen + len > XFRM_QBUF_SIZE) chunk_flush(x);
    int idx = res_push(x);
    if (idx < 0) return idx;
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++x->seq;
    if (x->qcount == 0) x->qfirst_seq = nlh->nlmsg_seq;
    memset(x->qbuf + x->qlen, 0, len);
    memcpy(x->qbuf + x->qlen, nlh, nlh->nlmsg_len);
    x->qlen += len;
    x->qcount++;
    return idx;
}

/* A request without a reply: queued in a batch (its index), else sent and acknowledged. */
static int request(struct xfrm *x, struct nlmsghdr *nlh)
{
    if (x->in_batch) return queue_req(x, nlh);
    return xfrm_nl_transact(x, x->nl, x->portid, nlh, NULL, NULL);
}

int xfrm_batch_begin(struct xfrm *x)
{
    if (x->in_batch) return -EBUSY;
    x->in_batch = true;
    x->nres = 0;
    x->qlen = x->qcount = 0;
    x->detail[0] = '\0';
    return 0;
}

int xfrm_batch_end(struct xfrm *x, int *results, size_t max_results)
{
    if (!x->in_batch) return -EINVAL;
    chunk_flush(x);
    int first = 0;
    for (size_t i = 0; i < x->nres; i++) {
        if (i < max_results && results) results[i] = x->res[i];
        if (!first && x->res[i] != 0) first = x->res[i];
    }
    x->in_batch = false;
    x->nres = 0;
    return first;
}

/* --------------------------------------------------------------- builders */

static bool family_ok(int family)
{
    return family == AF_INET || family == AF_INET6;
}

static void addr_in(xfrm_address_t *a, const uint8_t src[16], int family)
{
    memset(a, 0, sizeof(*a));
    memcpy(a, src, family == AF_INET ? 4 : 16);
}

static int ts_in(struct xfrm_selector *s, const struct xfrm_ts *t)
{
    memset(s, 0, sizeof(*s));
    if (!family_ok(t->family)) return -EAFNOSUPPORT;
    int max = t->family == AF_INET ? 32 : 128;
    if (t->src_len > max || t->dst_len > max) return -EINVAL;
    s->family = (uint16_t)t->family;
    addr_in(&s->saddr, t->src, t->family);
    addr_in(&s->daddr, t->dst, t->family);
    s->prefixlen_s = t->src_len;
    s->prefixlen_d = t->dst_len;
    s->proto = t->proto;
    if (t->sport) {
        s->sport = htons(t->sport);
        s->sport_mask = 0xffff;
    }
    if (t->dport) {
        s->dport = htons(t->dport);
        s->dport_mask = 0xffff;
    }
    s->ifindex = t->ifindex;
    return 0;
}

static int mode_in(enum xfrm_sa_mode m, uint8_t *out)
{
    switch (m) {
    case XFRM_SA_TUNNEL: *out = XFRM_MODE_TUNNEL; return 0;
    case XFRM_SA_TRANSPORT: *out = XFRM_MODE_TRANSPORT; return 0;
    }
    return -EINVAL;
}

static int proto_in(uint8_t p, uint8_t *out)
{
    if (p == 0 || p == IPPROTO_ESP) {
        *out = IPPROTO_ESP;
        return 0;
    }
    return -EPROTONOSUPPORT;
}

static uint64_t limit(uint64_t v)
{
    return v ? v : XFRM_INF;
}

static struct nlmsghdr *msg_start(uint8_t *buf, uint16_t type, uint16_t flags)
{
    memset(buf, 0, MSG_CAP);
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    return nlh;
}

static int put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
    return mnl_attr_put_check(nlh, MSG_CAP, type, len, data) ? 0 : -EMSGSIZE;
}

static int put_mark_ifid(struct nlmsghdr *nlh, uint32_t mark, uint32_t mask, uint32_t if_id)
{
    int rc = 0;
    if (mask) {
        struct xfrm_mark mk = {.v = mark, .m = mask};
        rc = put(nlh, XFRMA_MARK, sizeof(mk), &mk);
    }
    if (!rc && if_id) rc = put(nlh, XFRMA_IF_ID, sizeof(if_id), &if_id);
    return rc;
}

struct integ_alg {
    const char *name;
    size_t key_len;
    uint32_t trunc_bits;
};

static const struct integ_alg *integ_alg(enum xfrm_integ i)
{
    /* RFC 2404 (HMAC-SHA-1-96) and RFC 4868 (key = output size, ICV = half of it). */
    static const struct integ_alg sha1 = {"hmac(sha1)", 20, 96};
    static const struct integ_alg sha256 = {"hmac(sha256)", 32, 128};
    static const struct integ_alg sha384 = {"hmac(sha384)", 48, 192};
    static const struct integ_alg sha512 = {"hmac(sha512)", 64, 256};
    switch (i) {
    case XFRM_INTEG_SHA1_96: return &sha1;
    case XFRM_INTEG_SHA256_128: return &sha256;
    case XFRM_INTEG_SHA384_192: return &sha384;
    case XFRM_INTEG_SHA512_256: return &sha512;
    case XFRM_INTEG_NONE: break;
    }
    return NULL;
}

static int put_algs(struct nlmsghdr *nlh, const struct xfrm_sa_spec *sa)
{
    uint8_t a[sizeof(struct xfrm_algo_auth) + XFRM_INTEG_KEY_MAX];
    int rc;
    if (sa->enc == XFRM_ENC_AES_GCM16) {
        /* RFC 4106 §8.1: 16, 24 or 32 key bytes and the 4-byte salt, 16-byte ICV. */
        if (sa->integ != XFRM_INTEG_NONE) return -EINVAL;
        if (sa->enc_key_len != 20 && sa->enc_key_len != 28 && sa->enc_key_len != 36) return -EINVAL;
        struct xfrm_algo_aead h;
        memset(&h, 0, sizeof(h));
        snprintf(h.alg_name, sizeof(h.alg_name), "rfc4106(gcm(aes))");
        h.alg_key_len = (unsigned)(sa->enc_key_len * 8);
        h.alg_icv_len = 128;
        memcpy(a, &h, sizeof(h));
        memcpy(a + sizeof(h), sa->enc_key, sa->enc_key_len);
        rc = put(nlh, XFRMA_ALG_AEAD, sizeof(h) + sa->enc_key_len, a);
        explicit_bzero(a, sizeof(a));
        return rc;
    }
    if (sa->enc != XFRM_ENC_AES_CBC) return -EINVAL;
    if (sa->enc_key_len != 16 && sa->enc_key_len != 24 && sa->enc_key_len != 32) return -EINVAL;
    const struct integ_alg *ia = integ_alg(sa->integ);
    if (!ia || sa->integ_key_len != ia->key_len) return -EINVAL;

    struct xfrm_algo c;
    memset(&c, 0, sizeof(c));
    snprintf(c.alg_name, sizeof(c.alg_name), "cbc(aes)");
    c.alg_key_len = (unsigned)(sa->enc_key_len * 8);
    memcpy(a, &c, sizeof(c));
    memcpy(a + sizeof(c), sa->enc_key, sa->enc_key_len);
    rc = put(nlh, XFRMA_ALG_CRYPT, sizeof(c) + sa->enc_key_len, a);
    if (!rc) {
        struct xfrm_algo_auth h;
        memset(&h, 0, sizeof(h));
        snprintf(h.alg_name, sizeof(h.alg_name), "%s", ia->name);
        h.alg_key_len = (unsigned)(ia->key_len * 8);
        h.alg_trunc_len = ia->trunc_bits;
        memcpy(a, &h, sizeof(h));
        memcpy(a + sizeof(h), sa->integ_key, ia->key_len);
        rc = put(nlh, XFRMA_ALG_AUTH_TRUNC, sizeof(h) + ia->key_len, a);
    }
    explicit_bzero(a, sizeof(a));
    return rc;
}

static int build_sa(struct xfrm *x, uint8_t *buf, uint16_t type, const struct xfrm_sa_spec *sa)
{
    struct xfrm_usersa_info p;
    int rc;
    memset(&p, 0, sizeof(p));
    if (!family_ok(sa->family)) return -EAFNOSUPPORT;
    if (!xfrm_reqid_is_ours(x, sa->reqid)) return -ERANGE;
    if (sa->spi == 0) return -EINVAL;
    if ((rc = proto_in(sa->proto, &p.id.proto)) < 0) return rc;
    if ((rc = mode_in(sa->mode, &p.mode)) < 0) return rc;
    uint32_t window = sa->replay_window ? sa->replay_window : 32;
    if (window > 4096) return -EINVAL;
    if (sa->encap && (sa->encap_sport == 0 || sa->encap_dport == 0)) return -EINVAL;

    if (sa->has_sel) {
        if ((rc = ts_in(&p.sel, &sa->sel)) < 0) return rc;
    } else {
        p.sel.family = (uint16_t)sa->family; /* empty selector of the SA's family */
    }
    addr_in(&p.id.daddr, sa->dst, sa->family);
    addr_in(&p.saddr, sa->src, sa->family);
    p.id.spi = htonl(sa->spi);
    p.family = (uint16_t)sa->family;
    p.reqid = sa->reqid;
    p.lft.soft_byte_limit = limit(sa->soft_bytes);
    p.lft.hard_byte_limit = limit(sa->hard_bytes);
    p.lft.soft_packet_limit = limit(sa->soft_packets);
    p.lft.hard_packet_limit = limit(sa->hard_packets);
    p.lft.soft_add_expires_seconds = sa->soft_add_seconds;
    p.lft.hard_add_expires_seconds = sa->hard_add_seconds;
    /* The legacy window is an 8-bit field the kernel caps at 32; larger windows and ESN use
     * XFRMA_REPLAY_ESN_VAL, with which the legacy field must be 0 (verify_replay). */
    bool esn_attr = sa->esn || window > 32;
    p.replay_window = esn_attr ? 0 : (uint8_t)window;
    if (sa->esn) p.flags |= XFRM_STATE_ESN;

    struct nlmsghdr *nlh = msg_start(buf, type, 0);
    void *ph = mnl_nlmsg_put_extra_header(nlh, sizeof(p));
    memcpy(ph, &p, sizeof(p));
    if ((rc = put_algs(nlh, sa)) < 0) return rc;
    if (sa->encap) {
        struct xfrm_encap_tmpl e;
        memset(&e, 0, sizeof(e));
        e.encap_type = UDP_ENCAP_ESPINUDP; /* RFC 3948 §2.1, not the draft non-IKE form */
        e.encap_sport = htons(sa->encap_sport);
        e.encap_dport = htons(sa->encap_dport);
        if ((rc = put(nlh, XFRMA_ENCAP, sizeof(e), &e)) < 0) return rc;
    }
    if ((rc = put_mark_ifid(nlh, sa->mark, sa->mark_mask, sa->if_id)) < 0) return rc;
    if (esn_attr) {
        uint8_t r[sizeof(struct xfrm_replay_state_esn) + 4096 / 8];
        struct xfrm_replay_state_esn h;
        memset(&h, 0, sizeof(h));
        h.bmp_len = (window + 31) / 32;
        h.replay_window = window;
        memset(r, 0, sizeof(r));
        memcpy(r, &h, sizeof(h));
        if ((rc = put(nlh, XFRMA_REPLAY_ESN_VAL, sizeof(h) + h.bmp_len * 4, r)) < 0) return rc;
    }
    return 0;
}

static int sa_send(struct xfrm *x, uint16_t type, const struct xfrm_sa_spec *sa)
{
    _Alignas(8) uint8_t buf[MSG_CAP];
    int rc = build_sa(x, buf, type, sa);
    if (rc == 0) rc = request(x, (struct nlmsghdr *)buf);
    explicit_bzero(buf, sizeof(buf));
    return rc;
}

int xfrm_sa_add(struct xfrm *x, const struct xfrm_sa_spec *sa)
{
    return sa_send(x, XFRM_MSG_NEWSA, sa);
}

int xfrm_sa_update(struct xfrm *x, const struct xfrm_sa_spec *sa)
{
    return sa_send(x, XFRM_MSG_UPDSA, sa);
}

static int build_sa_id(uint8_t *buf, uint16_t type, const struct xfrm_sa_id *id)
{
    struct xfrm_usersa_id p;
    int rc;
    memset(&p, 0, sizeof(p));
    if (!family_ok(id->family)) return -EAFNOSUPPORT;
    if ((rc = proto_in(id->proto, &p.proto)) < 0) return rc;
    addr_in(&p.daddr, id->dst, id->family);
    p.spi = htonl(id->spi);
    p.family = (uint16_t)id->family;
    struct nlmsghdr *nlh = msg_start(buf, type, 0);
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(p)), &p, sizeof(p));
    return put_mark_ifid(nlh, id->mark, id->mark_mask, 0);
}

int xfrm_sa_del(struct xfrm *x, const struct xfrm_sa_id *id)
{
    _Alignas(8) uint8_t buf[MSG_CAP];
    int rc = build_sa_id(buf, XFRM_MSG_DELSA, id);
    return rc ? rc : request(x, (struct nlmsghdr *)buf);
}

struct sa_reply {
    struct xfrm_sa_info *out;
    bool got;
};

static int on_sa_reply(const uint8_t *msg, size_t len, void *arg)
{
    struct sa_reply *r = arg;
    int rc = xfrm_parse_sa(msg, len, r->out);
    if (rc < 0) return -EPROTO;
    if (rc == 1) r->got = true;
    return 0;
}

int xfrm_sa_get(struct xfrm *x, const struct xfrm_sa_id *id, struct xfrm_sa_info *out)
{
    _Alignas(8) uint8_t buf[MSG_CAP];
    struct xfrm_sa_info tmp;
    struct sa_reply r = {.out = out ? out : &tmp};
    if (x->in_batch) return -EBUSY;
    int rc = build_sa_id(buf, XFRM_MSG_GETSA, id);
    if (rc) return rc;
    rc = xfrm_nl_transact(x, x->nl, x->portid, (struct nlmsghdr *)buf, on_sa_reply, &r);
    explicit_bzero(x->rbuf, XFRM_RBUF_SIZE); /* the kernel's answer carries the keys */
    if (rc == 0 && !r.got) rc = -ENOMSG;
    return rc;
}

int xfrm_spi_alloc(struct xfrm *x, const struct xfrm_sa_spec *sa, uint32_t min, uint32_t max,
                   uint32_t *spi)
{
    _Alignas(8) uint8_t buf[MSG_CAP];
    struct xfrm_userspi_info p;
    int rc;
    if (x->in_batch) return -EBUSY;
    if (min == 0) min = 0x100;
    if (max == 0) max = 0xffffffffu;
    if (min > max) return -EINVAL;
    if (!family_ok(sa->family)) return -EAFNOSUPPORT;
    if (!xfrm_reqid_is_ours(x, sa->reqid)) return -ERANGE;
    memset(&p, 0, sizeof(p));
    if ((rc = proto_in(sa->proto, &p.info.id.proto)) < 0) return rc;
    if ((rc = mode_in(sa->mode, &p.info.mode)) < 0) return rc;
    addr_in(&p.info.id.daddr, sa->dst, sa->family);
    addr_in(&p.info.saddr, sa->src, sa->family);
    p.info.family = (uint16_t)sa->family;
    p.info.reqid = sa->reqid;
    p.min = min;
    p.max = max;
    struct nlmsghdr *nlh = msg_start(buf, XFRM_MSG_ALLOCSPI, 0);
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(p)), &p, sizeof(p));
    if ((rc = put_mark_ifid(nlh, sa->mark, sa->mark_mask, sa->if_id)) < 0) return rc;

    struct xfrm_sa_info info;
    struct sa_reply r = {.out = &info};
    rc = xfrm_nl_transact(x, x->nl, x->portid, nlh, on_sa_reply, &r);
    if (rc) return rc;
    if (!r.got || info.id.spi < min || info.id.spi > max) return -EPROTO;
    if (spi) *spi = info.id.spi;
    return 0;
}

/* --------------------------------------------------------------- policies */

static int build_policy(struct xfrm *x, uint8_t *buf, uint16_t type, const struct xfrm_pol_spec *s)
{
    struct xfrm_userpolicy_info p;
    struct xfrm_user_tmpl t;
    int rc;
    memset(&p, 0, sizeof(p));
    memset(&t, 0, sizeof(t));
    if (!xfrm_reqid_is_ours(x, s->reqid)) return -ERANGE;
    if (s->dir != XFRM_DIR_IN && s->dir != XFRM_DIR_OUT && s->dir != XFRM_DIR_FWD) return -EINVAL;
    if ((rc = ts_in(&p.sel, &s->sel)) < 0) return rc;
    if ((rc = proto_in(s->proto, &t.id.proto)) < 0) return rc;
    if ((rc = mode_in(s->mode, &t.mode)) < 0) return rc;
    int tfam = s->tun_family ? s->tun_family : s->sel.family;
    if (!family_ok(tfam)) return -EAFNOSUPPORT;

    p.dir = (uint8_t)s->dir; /* XFRM_DIR_* have the kernel's XFRM_POLICY_* values */
    p.priority = s->priority;
    p.action = XFRM_POLICY_ALLOW;
    p.share = XFRM_SHARE_ANY;
    p.lft.soft_byte_limit = p.lft.hard_byte_limit = XFRM_INF;
    p.lft.soft_packet_limit = p.lft.hard_packet_limit = XFRM_INF;

    t.family = (uint16_t)tfam;
    if (s->mode == XFRM_SA_TUNNEL) {
        addr_in(&t.saddr, s->tun_src, tfam);
        addr_in(&t.id.daddr, s->tun_dst, tfam);
    }
    t.reqid = s->reqid;
    t.aalgos = t.ealgos = t.calgos = ~0u; /* any algorithm: the SA decides */

    struct nlmsghdr *nlh = msg_start(buf, type, 0);
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(p)), &p, sizeof(p));
    if ((rc = put(nlh, XFRMA_TMPL, sizeof(t), &t)) < 0) return rc;
    return put_mark_ifid(nlh, s->mark, s->mark_mask, s->if_id);
}

int xfrm_policy_add(struct xfrm *x, const struct xfrm_pol_spec *p)
{
    _Alignas(8) uint8_t buf[MSG_CAP];
    int rc = build_policy(x, buf, XFRM_MSG_NEWPOLICY, p);
    return rc ? rc : request(x, (struct nlmsghdr *)buf);
}

int xfrm_policy_update(struct xfrm *x, const struct xfrm_pol_spec *p)
{
    _Alignas(8) uint8_t buf[MSG_CAP];
    int rc = build_policy(x, buf, XFRM_MSG_UPDPOLICY, p);
    return rc ? rc : request(x, (struct nlmsghdr *)buf);
}

/* XFRM_MSG_DELPOLICY by selector (index 0) or by the kernel's index (sel NULL). */
static int build_policy_del(uint8_t *buf, const struct xfrm_ts *sel, uint32_t index, uint8_t dir,
                            uint8_t ptype, uint32_t mark, uint32_t mask, uint32_t if_id)
{
    struct xfrm_userpolicy_id p;
    int rc;
    memset(&p, 0, sizeof(p));
    if (dir > XFRM_POLICY_FWD) return -EINVAL;
    if (sel && (rc = ts_in(&p.sel, sel)) < 0) return rc;
    p.index = index;
    p.dir = dir;
    struct nlmsghdr *nlh = msg_start(buf, XFRM_MSG_DELPOLICY, 0);
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(p)), &p, sizeof(p));
    if (ptype != XFRM_POLICY_TYPE_MAIN) {
        struct xfrm_userpolicy_type ut;
        memset(&ut, 0, sizeof(ut));
        ut.type = ptype;
        if ((rc = put(nlh, XFRMA_POLICY_TYPE, sizeof(ut), &ut)) < 0) return rc;
    }
    return put_mark_ifid(nlh, mark, mask, if_id);
}

int xfrm_policy_del(struct xfrm *x, const struct xfrm_pol_spec *s)
{
    _Alignas(8) uint8_t buf[MSG_CAP];
    int rc = build_policy_del(buf, &s->sel, 0, (uint8_t)s->dir, XFRM_POLICY_TYPE_MAIN, s->mark,
                              s->mark_mask, s->if_id);
    return rc ? rc : request(x, (struct nlmsghdr *)buf);
}

/* ------------------------------------------------------------------ dumps */

/* Sends a dump request and hands every message of the answer to on_msg until NLMSG_DONE. */
static int dump(struct xfrm *x, uint16_t type, void (*on_msg)(const uint8_t *, size_t, void *),
                void *arg)
{
    _Alignas(8) uint8_t buf[MSG_CAP];
    if (x->in_batch) return -EBUSY;
    struct nlmsghdr *nlh = msg_start(buf, type, NLM_F_DUMP);
    nlh->nlmsg_seq = ++x->seq;
    x->detail[0] = '\0';
    x->dump_intr = false;
    if (mnl_socket_sendto(x->nl, nlh, nlh->nlmsg_len) < 0) return -errno;
    for (;;) {
        ssize_t n = nl_recv(x->nl, x->rbuf, XFRM_RBUF_SIZE, 0);
        if (n == -EINTR || n == 0) continue;
        if (n == -EAGAIN) return -ETIMEDOUT;
        if (n < 0) return (int)n; /* -ENOBUFS included: the dump is incomplete */
        const uint8_t *p = x->rbuf;
        size_t left = (size_t)n;
        struct xnl_msg m;
        while (left > 0 && xnl_msg_read(p, left, &m) == 0) {
            if (m.seq == nlh->nlmsg_seq && m.pid == x->portid) {
                if (m.flags & NLM_F_DUMP_INTR) x->dump_intr = true;
                if (m.type == NLMSG_DONE) {
                    int err = 0;
                    if (m.plen >= sizeof(err)) memcpy(&err, m.payload, sizeof(err));
                    return err < 0 ? err : 0;
                }
                if (m.type == NLMSG_ERROR) {
                    int err = ack_error(x, &m);
                    return err ? err : -EPROTO;
                }
                on_msg(p, m.plen + NLMSG_HDRLEN, arg);
            }
            p += m.total;
            left -= m.total;
        }
    }
}

struct sa_walk {
    int (*cb)(const struct xfrm_sa_info *, void *);
    void *arg;
    int count;
    bool stopped;
};

static void on_sa_msg(const uint8_t *msg, size_t len, void *arg)
{
    struct sa_walk *w = arg;
    struct xfrm_sa_info sa;
    if (xfrm_parse_sa(msg, len, &sa) != 1) return;
    w->count++;
    if (w->cb && !w->stopped) w->stopped = w->cb(&sa, w->arg) != 0;
}

int xfrm_sa_dump(struct xfrm *x, int (*cb)(const struct xfrm_sa_info *sa, void *arg), void *arg)
{
    struct sa_walk w = {.cb = cb, .arg = arg};
    int rc = dump(x, XFRM_MSG_GETSA, on_sa_msg, &w);
    explicit_bzero(x->rbuf, XFRM_RBUF_SIZE); /* the kernel's answers carry the keys */
    return rc < 0 ? rc : w.count;
}

struct pol_walk {
    struct xfrm *x;
    int (*cb)(const struct xfrm_pol_info *, void *);
    void *arg;
    int count;
    bool stopped;
};

static void on_pol_msg(const uint8_t *msg, size_t len, void *arg)
{
    struct pol_walk *w = arg;
    struct xfrm_pol_info p;
    if (xfrm_parse_policy(msg, len, &p) != 1) return;
    for (int i = 0; i < p.ntmpl; i++)
        if (xfrm_reqid_is_ours(w->x, p.tmpl_reqid[i])) p.ours = true;
    w->count++;
    if (w->cb && !w->stopped) w->stopped = w->cb(&p, w->arg) != 0;
}

int xfrm_policy_dump(struct xfrm *x, int (*cb)(const struct xfrm_pol_info *p, void *arg), void *arg)
{
    struct pol_walk w = {.x = x, .cb = cb, .arg = arg};
    int rc = dump(x, XFRM_MSG_GETPOLICY, on_pol_msg, &w);
    return rc < 0 ? rc : w.count;
}

/* ------------------------------------------------------------------ flush */

struct own {
    struct xfrm *x;
    struct xfrm_pol_info *pols;
    size_t npols, cappols;
    struct xfrm_sa_id *sas;
    size_t nsas, capsas;
    bool nomem;
};

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return true;
    size_t c = *cap ? *cap * 2 : 32;
    void *p = realloc(*arr, c * elem);
    if (!p) return false;
    *arr = p;
    *cap = c;
    return true;
}

static int own_pol(const struct xfrm_pol_info *p, void *arg)
{
    struct own *o = arg;
    if (!p->ours) return 0;
    if (!grow((void **)&o->pols, &o->cappols, o->npols, sizeof(*o->pols))) {
        o->nomem = true;
        return 1;
    }
    o->pols[o->npols++] = *p;
    return 0;
}

static int own_sa(const struct xfrm_sa_info *sa, void *arg)
{
    struct own *o = arg;
    /* SPI 0: a larval SA the kernel made for an ACQUIRE; DELSA cannot name it. */
    if (!xfrm_reqid_is_ours(o->x, sa->reqid) || sa->id.spi == 0) return 0;
    if (!grow((void **)&o->sas, &o->capsas, o->nsas, sizeof(*o->sas))) {
        o->nomem = true;
        return 1;
    }
    o->sas[o->nsas++] = sa->id;
    return 0;
}

/* One pass: dump, then delete what is ours in one batch. Returns how many were removed. */
static int flush_pass(struct xfrm *x, bool *again)
{
    struct own o = {.x = x};
    _Alignas(8) uint8_t buf[MSG_CAP];
    int rc = xfrm_policy_dump(x, own_pol, &o);
    bool intr = x->dump_intr;
    if (rc >= 0) rc = xfrm_sa_dump(x, own_sa, &o);
    intr = intr || x->dump_intr;
    if (rc >= 0 && o.nomem) rc = -ENOMEM;
    if (rc < 0) goto out;

    int err = 0;
    xfrm_batch_begin(x);
    for (size_t i = 0; i < o.npols; i++) {
        const struct xfrm_pol_info *p = &o.pols[i];
        int q = build_policy_del(buf, NULL, p->index, (uint8_t)p->spec.dir, p->type, p->spec.mark,
                                 p->spec.mark_mask, p->spec.if_id);
        if (q == 0) q = queue_req(x, (struct nlmsghdr *)buf);
        if (q < 0 && !err) err = q;
    }
    for (size_t i = 0; i < o.nsas; i++) {
        int q = build_sa_id(buf, XFRM_MSG_DELSA, &o.sas[i]);
        if (q == 0) q = queue_req(x, (struct nlmsghdr *)buf);
        if (q < 0 && !err) err = q;
    }
    chunk_flush(x);
    int removed = 0;
    for (size_t i = 0; i < x->nres; i++) {
        int r = x->res[i];
        if (r == 0)
            removed++;
        else if (r != -ESRCH && r != -ENOENT && !err) /* gone meanwhile: fine */
            err = r;
    }
    xfrm_batch_end(x, NULL, 0);
    rc = err ? err : removed;
    *again = intr && (o.npols + o.nsas) > 0;
out:
    free(o.pols);
    free(o.sas);
    return rc;
}

int xfrm_flush_own(struct xfrm *x)
{
    if (x->in_batch) return -EBUSY;
    int total = 0;
    /* A dump interrupted by a change may have missed entries: look again, a few times. */
    for (int pass = 0; pass < 3; pass++) {
        bool again = false;
        int rc = flush_pass(x, &again);
        if (rc < 0) return rc;
        total += rc;
        if (!again) break;
    }
    return total;
}

/* ----------------------------------------------------------------- events */

int xfrm_events_read(struct xfrm *x, void (*cb)(const struct xfrm_event *ev, void *arg), void *arg)
{
    int delivered = 0;
    for (int i = 0; i < XFRM_EVENTS_PER_READ; i++) {
        ssize_t n = nl_recv(x->ev, x->rbuf, XFRM_RBUF_SIZE, MSG_DONTWAIT);
        if (n == -EAGAIN) break;
        if (n == -EINTR || n == 0) continue;
        if (n == -ENOBUFS) {
            struct xfrm_event ev = {.type = XFRM_EV_OVERRUN};
            if (cb) cb(&ev, arg);
            delivered++;
            continue;
        }
        if (n < 0) return delivered ? delivered : (int)n;
        const uint8_t *p = x->rbuf;
        size_t left = (size_t)n;
        struct xnl_msg m;
        while (left > 0 && xnl_msg_read(p, left, &m) == 0) {
            struct xfrm_event ev;
            if (xfrm_parse_event(p, left, &ev) == 1 && xfrm_reqid_is_ours(x, ev.reqid)) {
                if (cb) cb(&ev, arg);
                delivered++;
            }
            p += m.total;
            left -= m.total;
        }
    }
    return delivered;
}
