/* UDP I/O for the IKEv2 engine: ports 500 and 4500 on every address of the namespace, the
 * reply leaving from the address the request arrived on (IP_PKTINFO), ESP-in-UDP decapsulation
 * handed to the kernel on 4500 (UDP_ENCAP_ESPINUDP, RFC 3948), and per-socket IPsec bypass so
 * IKE itself is never caught by a CHILD_SA's policy. */
#ifndef IKEGATE_IKE_IO_H
#define IKEGATE_IKE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "ike/ike.h"

struct ike_io;
/* Binds both ports (0.0.0.0); NULL with a reason in err. */
struct ike_io *ike_io_new(loop_t *loop, uint16_t ike_port, uint16_t natt_port, char *err,
                          size_t errlen);
/* Deliver received datagrams to this engine from now on. */
void ike_io_attach(struct ike_io *io, struct ike *ike);
/* The send port for ike_new. */
struct ike_send_port ike_io_send_port(struct ike_io *io);
void ike_io_free(struct ike_io *io);

#endif
