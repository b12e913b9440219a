/* The cluster's TCP (RFC-free: docs/clb-protocol.md §4), the only place in clb/ that touches a
 * socket, as ike_io.c and hsrp_io.c are for their engines: a listening socket for the master,
 * a connection to it for a member, and a connection's output queue. Every socket is
 * non-blocking; the engine (clb.c) watches them on its loop and frames what it reads with
 * the codec's reassembler. Functions return -errno on failure. */
#ifndef IKEGATE_CLB_IO_H
#define IKEGATE_CLB_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CLB_IO_OUT_MAX 16384

/* What is sealed but not yet taken by the kernel. */
struct clb_io_out {
    uint8_t buf[CLB_IO_OUT_MAX];
    size_t len;
};

/* The master's socket on TCP port (any address, SO_REUSEADDR); an fd or -errno. */
int clb_io_listen(uint16_t port);
/* One pending connection (TCP_NODELAY); an fd, or -errno (-EAGAIN: none left). */
int clb_io_accept(int lfd);
/* A member's connection from its own address `from` to the master at `to`:port (network
 * order), under way (EINPROGRESS); an fd or -errno. */
int clb_io_connect(uint32_t from, uint32_t to, uint16_t port);
/* After the socket became writable: 0 when connected, else the connect's errno. */
int clb_io_connected(int fd);
/* Queues n bytes and sends what the kernel takes; false when the queue is full. */
bool clb_io_queue(struct clb_io_out *o, int fd, const uint8_t *p, size_t n);
/* Sends what is queued; -errno (not -EAGAIN) when the connection failed. */
int clb_io_flush(struct clb_io_out *o, int fd);
/* Once, without queueing (a refusal before the peer is known): best effort. */
void clb_io_send_once(int fd, const uint8_t *p, size_t n);
/* Reads what is there: bytes read, 0 when the peer closed, -errno (-EAGAIN: nothing). */
ssize_t clb_io_read(int fd, uint8_t *buf, size_t cap);

#endif
