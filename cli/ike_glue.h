/* The IKEv2 engine composed with the rest of the appliance: its policy port answered from the
 * IOS configuration (cmd_ikev2.c, cmd_ipsec.c), trustpoints held by ike_pki with their
 * imported material saved next to the startup-config, pool leases, and its kernel port on
 * ipsec-xfrm (or none: `--dataplane none`). */
#ifndef IKEGATE_IKE_GLUE_H
#define IKEGATE_IKE_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct ike;
struct ike_pki_hooks;
typedef struct loop loop_t;

struct ike_glue_opts {
    bool dataplane;               /* false: negotiate, install nothing (benchmarks, labs) */
    uint16_t ike_port, natt_port; /* 500, 4500 */
    bool no_sockets;              /* unit tests: no UDP sockets */
};

struct ike_glue;
/* Registers the PKI hooks in a->pki; the engine starts listening at once. NULL with a reason
 * when the ports cannot be bound or the kernel's XFRM is unavailable with a data plane asked. */
struct ike_glue *ike_glue_new(struct app *a, loop_t *loop, const struct ike_glue_opts *o, char *err,
                              size_t errlen);
/* Removes every SA and policy from the kernel and the xfrm interfaces it made. */
void ike_glue_free(struct ike_glue *g);
struct ike *ike_glue_engine(struct ike_glue *g);
/* "kernel (XFRM)" or "none (negotiate only, nothing installed)": for show version. */
const char *ike_glue_dataplane(const struct ike_glue *g);

#endif
