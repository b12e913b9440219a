/* HSRP's port onto this system (UDP 1985, macvlans, gratuitous ARP): see hsrp_os.c. */
#ifndef IKEGATE_HSRP_OS_H
#define IKEGATE_HSRP_OS_H

struct hsrp;
struct hsrp_port;
struct netif;
typedef struct loop loop_t;
struct hsrp_os;

/* Opens the sockets, removes virtual MAC links a crashed predecessor left, fills *port. */
struct hsrp_os *hsrp_os_new(loop_t *loop, struct netif *netif, struct hsrp_port *port);
/* Received packets go to h. */
void hsrp_os_attach(struct hsrp_os *o, struct hsrp *h);
void hsrp_os_free(struct hsrp_os *o);

#endif
