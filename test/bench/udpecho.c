/* udpecho: the floor of the redirect benchmark (test/bench/bench_redirect.py): one datagram
 * in, the same datagram out, on one thread, in batches of up to 64 with recvmmsg and
 * sendmmsg; nothing is parsed. What a responder costs beyond this is its own work.
 *
 * usage: udpecho ADDR PORT      (runs until killed) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH 64
#define MAX_DGRAM 4096

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: udpecho ADDR PORT\n");
        return 2;
    }
    char *end;
    unsigned long port = strtoul(argv[2], &end, 10);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (*end || port == 0 || port > 65535 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
        fprintf(stderr, "udpecho: bad address or port\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("udpecho: bind");
        return 1;
    }
    static unsigned char buf[BATCH][MAX_DGRAM];
    static struct sockaddr_in from[BATCH];
    struct iovec iov[BATCH];
    struct mmsghdr m[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){buf[i], MAX_DGRAM};
            m[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &from[i],
                                                .msg_namelen = sizeof from[i],
                                                .msg_iov = &iov[i],
                                                .msg_iovlen = 1}};
        }
        /* Block for the first datagram, then take what is queued behind it. */
        int n = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0 && errno != EINTR) {
            perror("udpecho: recvmmsg");
            return 1;
        }
        for (int i = 0; i < n; i++) iov[i].iov_len = m[i].msg_len;
        for (int off = 0; off < n;) {
            int r = sendmmsg(fd, m + off, (unsigned)(n - off), 0);
            if (r <= 0) break; /* a full queue drops the rest, as a busy responder would */
            off += r;
        }
    }
}
