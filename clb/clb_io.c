/* The cluster's TCP sockets (see clb_io.h). */
#include "clb/clb_io.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int clb_io_listen(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) || listen(fd, 32)) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

int clb_io_accept(int lfd)
{
    int s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (s < 0) return -errno;
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

int clb_io_connect(uint32_t from, uint32_t to, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* From our own address, so the master sees the member it will redirect to. */
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = from};
    bind(fd, (struct sockaddr *)&me, sizeof me);
    struct sockaddr_in sin = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = to};
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) && errno != EINPROGRESS) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

int clb_io_connected(int fd)
{
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el)) return errno;
    return err;
}

int clb_io_flush(struct clb_io_out *o, int fd)
{
    while (o->len) {
        ssize_t n = send(fd, o->buf, o->len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 0;
        if (n <= 0) {
            int e = n < 0 ? -errno : -EPIPE;
            o->len = 0;
            return e;
        }
        memmove(o->buf, o->buf + n, o->len - (size_t)n);
        o->len -= (size_t)n;
    }
    return 0;
}

bool clb_io_queue(struct clb_io_out *o, int fd, const uint8_t *p, size_t n)
{
    if (o->len + n > sizeof o->buf) return false;
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    clb_io_flush(o, fd);
    return true;
}

void clb_io_send_once(int fd, const uint8_t *p, size_t n)
{
    (void)!send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

ssize_t clb_io_read(int fd, uint8_t *buf, size_t cap)
{
    ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
    if (n < 0) return errno == EINTR ? -EAGAIN : -errno;
    return n;
}
