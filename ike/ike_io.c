/* UDP sockets of the IKEv2 engine (see ike_io.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ipsec.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ike/ike_internal.h"
#include "ike/ike_io.h"
#include "platform/loop.h"

#define RX_BATCH 32
#define TX_SLOT 1536 /* answers up to this size are queued during a receive batch */

/* One queued answer: sent with the others of its batch in one sendmmsg (a redirect or an
 * IKE_SA_INIT answer costs one system call per batch instead of one each). */
struct txq {
    int fd;
    struct sockaddr_in dst;
    uint32_t src;
    size_t len;
    uint8_t buf[TX_SLOT];
};

struct ike_io {
    loop_t *loop;
    struct ike *ike;
    int fd[2];
    uint16_t port[2];
    struct loop_watch *w[2];
    uint8_t (*bufs)[IKE_MAX_MSG + 8];
    bool batching; /* inside on_read: queue answers */
    int qn;
    struct txq *q; /* RX_BATCH slots */
};

static void send_one(int fd, const struct sockaddr_in *dst, uint32_t src, const uint8_t *buf,
                     size_t len);
static void tx_flush(struct ike_io *io);

/* The kernel's per-socket policy: IKE packets bypass IPsec in both directions (RFC 4301 §5.1
 * requires IKE traffic to be exempt from the SPD). */
static void bypass(int fd)
{
    struct xfrm_userpolicy_info pol;
    memset(&pol, 0, sizeof pol);
    pol.action = XFRM_POLICY_ALLOW;
    pol.sel.family = AF_INET;
    pol.lft.soft_byte_limit = pol.lft.hard_byte_limit = XFRM_INF;
    pol.lft.soft_packet_limit = pol.lft.hard_packet_limit = XFRM_INF;
    pol.dir = XFRM_POLICY_IN;
    setsockopt(fd, IPPROTO_IP, IP_XFRM_POLICY, &pol, sizeof pol);
    pol.dir = XFRM_POLICY_OUT;
    setsockopt(fd, IPPROTO_IP, IP_XFRM_POLICY, &pol, sizeof pol);
}

static int open_port(uint16_t port, bool natt, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    int rcv = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin)) {
        snprintf(err, errlen, "UDP port %u: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    bypass(fd);
    if (natt) {
        /* ESP-in-UDP goes to the kernel; IKE (with the non-ESP marker) comes to us. Kernels
         * without ESP accept the option too; failure only matters for the data plane. */
        int encap = UDP_ENCAP_ESPINUDP;
        setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &encap, sizeof encap);
    }
    return fd;
}

static void on_read(loop_t *l, int fd, uint32_t events, void *arg)
{
    (void)l, (void)events;
    struct ike_io *io = arg;
    int idx = fd == io->fd[0] ? 0 : 1;
    struct mmsghdr mm[RX_BATCH];
    struct iovec iov[RX_BATCH];
    struct sockaddr_in from[RX_BATCH];
    char ctl[RX_BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
    /* Bounded work per wake-up so timers and the shell are not starved. */
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < RX_BATCH; i++) {
            iov[i] = (struct iovec){io->bufs[i], IKE_MAX_MSG + 8};
            mm[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
                                            .msg_namelen = sizeof from[i],
                                            .msg_iov = &iov[i],
                                            .msg_iovlen = 1,
                                            .msg_control = ctl[i],
                                            .msg_controllen = sizeof ctl[i]};
            mm[i].msg_len = 0;
        }
        int n = recvmmsg(fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        io->batching = true;
        for (int i = 0; i < n; i++) {
            struct ike_ep local = {.port = io->port[idx]}, remote;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&mm[i].msg_hdr); c;
                 c = CMSG_NXTHDR(&mm[i].msg_hdr, c))
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                    struct in_pktinfo pi;
                    memcpy(&pi, CMSG_DATA(c), sizeof pi);
                    local.addr = pi.ipi_addr.s_addr;
                }
            remote.addr = from[i].sin_addr.s_addr;
            remote.port = ntohs(from[i].sin_port);
            if ((mm[i].msg_hdr.msg_flags & MSG_TRUNC) || !io->ike) continue;
            ike_input(io->ike, &local, &remote, io->bufs[i], mm[i].msg_len);
        }
        io->batching = false;
        tx_flush(io);
        if (n < RX_BATCH) return;
    }
}

static void send_one(int fd, const struct sockaddr_in *dst, uint32_t src, const uint8_t *buf,
                     size_t len)
{
    struct iovec iov = {(void *)buf, len};
    char ctl[CMSG_SPACE(sizeof(struct in_pktinfo))];
    memset(ctl, 0, sizeof ctl);
    struct msghdr mh = {.msg_name = (void *)dst,
                        .msg_namelen = sizeof *dst,
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl,
                        .msg_controllen = sizeof ctl};
    /* Leave from the address the peer talks to (a VIP or the interface's own). */
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi = {.ipi_spec_dst.s_addr = src};
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0 && IKE_DBG(error)) {
        char ip[INET_ADDRSTRLEN];
        ilog_debug("IKEv2-ERROR:send to %s:%u failed: %s",
                   inet_ntop(AF_INET, &dst->sin_addr, ip, sizeof ip), ntohs(dst->sin_port),
                   strerror(errno));
    }
}

/* The queued answers, one sendmmsg per socket. */
static void tx_flush(struct ike_io *io)
{
    for (int s = 0; s < 2 && io->qn; s++) {
        struct mmsghdr mm[RX_BATCH];
        struct iovec iov[RX_BATCH];
        char ctl[RX_BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
        uint32_t src[RX_BATCH];
        int n = 0;
        for (int i = 0; i < io->qn; i++) {
            struct txq *t = &io->q[i];
            if (t->fd != io->fd[s]) continue;
            iov[n] = (struct iovec){t->buf, t->len};
            memset(ctl[n], 0, sizeof ctl[n]);
            mm[n].msg_hdr = (struct msghdr){.msg_name = &t->dst,
                                            .msg_namelen = sizeof t->dst,
                                            .msg_iov = &iov[n],
                                            .msg_iovlen = 1,
                                            .msg_control = ctl[n],
                                            .msg_controllen = sizeof ctl[n]};
            struct cmsghdr *c = CMSG_FIRSTHDR(&mm[n].msg_hdr);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
            struct in_pktinfo pi = {.ipi_spec_dst.s_addr = t->src};
            memcpy(CMSG_DATA(c), &pi, sizeof pi);
            src[n++] = t->src;
        }
        for (int done = 0; done < n;) {
            int r = sendmmsg(io->fd[s], mm + done, (unsigned)(n - done), MSG_DONTWAIT);
            if (r <= 0) {
                /* The rest one by one, so each failure is its own (and is said). */
                for (int i = done; i < n; i++)
                    send_one(io->fd[s], mm[i].msg_hdr.msg_name, src[i], iov[i].iov_base,
                             iov[i].iov_len);
                break;
            }
            done += r;
        }
    }
    io->qn = 0;
}

static void io_send(void *ctx, const struct ike_ep *from, const struct ike_ep *to,
                    const uint8_t *buf, size_t len)
{
    struct ike_io *io = ctx;
    int fd = from->port == io->port[1] ? io->fd[1] : io->fd[0];
    struct sockaddr_in dst = {
        .sin_family = AF_INET, .sin_port = htons(to->port), .sin_addr.s_addr = to->addr};
    if (io->batching && io->q && len <= TX_SLOT) {
        if (io->qn == RX_BATCH) tx_flush(io);
        struct txq *t = &io->q[io->qn++];
        t->fd = fd;
        t->dst = dst;
        t->src = from->addr;
        t->len = len;
        memcpy(t->buf, buf, len);
        return;
    }
    send_one(fd, &dst, from->addr, buf, len);
}

struct ike_io *ike_io_new(loop_t *loop, uint16_t ike_port, uint16_t natt_port, char *err,
                          size_t errlen)
{
    struct ike_io *io = calloc(1, sizeof *io);
    if (!io) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    io->bufs = malloc(sizeof(*io->bufs) * RX_BATCH);
    io->q = malloc(sizeof *io->q * RX_BATCH);
    io->loop = loop;
    io->port[0] = ike_port;
    io->port[1] = natt_port;
    io->fd[0] = io->fd[1] = -1;
    if (!io->bufs || (io->fd[0] = open_port(ike_port, false, err, errlen)) < 0 ||
        (io->fd[1] = open_port(natt_port, true, err, errlen)) < 0) {
        ike_io_free(io);
        return NULL;
    }
    for (int i = 0; i < 2; i++) io->w[i] = loop_watch_fd(loop, io->fd[i], EPOLLIN, on_read, io);
    return io;
}

void ike_io_attach(struct ike_io *io, struct ike *ike)
{
    io->ike = ike;
}

struct ike_send_port ike_io_send_port(struct ike_io *io)
{
    return (struct ike_send_port){.ctx = io, .send = io_send};
}

void ike_io_free(struct ike_io *io)
{
    if (!io) return;
    for (int i = 0; i < 2; i++) {
        if (io->w[i]) loop_unwatch(io->loop, io->w[i]);
        if (io->fd[i] >= 0) close(io->fd[i]);
    }
    free(io->bufs);
    free(io->q);
    free(io);
}
