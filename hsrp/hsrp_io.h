/* HSRP's port onto this system (UDP 1985, macvlans, gratuitous ARP): see hsrp_io.c. */
#ifndef IKEGATE_HSRP_IO_H
#define IKEGATE_HSRP_IO_H

struct hsrp;
struct hsrp_port;
struct netif;
typedef struct loop loop_t;
struct hsrp_io;

/* Opens the sockets, removes virtual MAC links a crashed predecessor left, fills *port. */
struct hsrp_io *hsrp_io_new(loop_t *loop, struct netif *netif, struct hsrp_port *port);
/* Received packets go to h. */
void hsrp_io_attach(struct hsrp_io *o, struct hsrp *h);
void hsrp_io_free(struct hsrp_io *o);

#endif
