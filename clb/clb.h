/* The cluster engine: CLB over TCP (docs/clb-protocol.md), roles following HSRP, placement of
 * new IKEv2 clients (clb_place.c). The gateway whose HSRP group `standby-group` is Active is
 * the master: it listens on the cluster port, takes HELLO and LOAD from the members, counts
 * itself as a member, and answers the IKE engine's redirect port. Every other gateway is a
 * member: it connects to the master at the group's virtual IP and reports its load.
 *
 * The engine owns its sockets and timers on the loop; configuration (struct clb_config) is
 * applied live with clb_configure(). It knows HSRP and IKE only through two ports. */
#ifndef IKEGATE_CLB_H
#define IKEGATE_CLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clb/clb_config.h"

struct strbuf;
struct debug_flag;
typedef struct loop loop_t;

/* What HSRP says about the group: is it Active here, its virtual IP, and this gateway's own
 * primary address on the group's interface (the redirect address). Addresses network order. */
struct clb_role_port {
    void *ctx;
    bool (*role)(void *ctx, const char *group, bool *active, uint32_t *vip, uint32_t *own);
};

/* This gateway's load, as the IKE engine and the system see it. */
struct clb_local_load {
    uint32_t sessions, ipsec_sas, negotiating; /* IKE SAs up, CHILD_SAs, half-open IKE SAs */
    uint32_t cac_max_sa, cac_max_neg;          /* 0 = none */
    uint16_t cpu_pct100, mem_pct100;           /* percent x 100 */
    uint64_t mem_used;                         /* bytes */
};
struct clb_load_port {
    void *ctx;
    void (*load)(void *ctx, struct clb_local_load *out);
};

struct clb;
struct clb *clb_new(loop_t *loop, const struct clb_role_port *role,
                    const struct clb_load_port *load);
/* Tells the master (BYE) and closes everything. NULL is ignored. */
void clb_free(struct clb *c);
/* Apply a configuration (a copy is kept): timers, weights, port, key, shutdown, all live. */
void clb_configure(struct clb *c, const struct clb_config *cfg);
/* HSRP changed (any group): re-evaluate the role at once. */
void clb_role_changed(struct clb *c);
/* The redirect decision for a new client: true with *target (network order) when it should go
 * to another member; false to serve it here (not master, cluster down, or we are the best). */
bool clb_redirect_pick(struct clb *c, uint32_t client, uint32_t *target);
/* Is this gateway the active master with the cluster up (redirects may happen)? */
bool clb_is_master(const struct clb *c);
/* `show crypto ikev2 cluster` */
void clb_show(struct clb *c, struct strbuf *out);

extern struct debug_flag clb_dbg, clb_dbg_detail, clb_dbg_error;

#endif
