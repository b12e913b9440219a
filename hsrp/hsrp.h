/* The HSRP engine: groups per interface on the event loop's timers, driven by the RFC 2281
 * state machine (hsrp_fsm.c) and the codec (hsrp_packet.c). It owns no socket and touches no
 * link itself: everything it does to the outside goes through a port, so that unit tests run
 * several engines on one fake LAN under the manual clock, and the appliance plugs in
 * rtnetlink, macvlans and UDP (hsrp/hsrp_io.c).
 *
 * Everything here runs on the engine thread. */
#ifndef IKEGATE_HSRP_H
#define IKEGATE_HSRP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hsrp/hsrp_fsm.h"
#include "hsrp/hsrp_packet.h"

struct strbuf;
typedef struct loop loop_t;

#define HSRP_MAX_TRACK 8
#define HSRP_MAX_SECONDARY 8
#define HSRP_NAME_MAX 64

/* What the engine asks of the system. Return 0 or -errno. */
struct hsrp_port {
    void *ctx;
    /* Send an HSRP payload on the interface to the group's multicast address (224.0.0.2 for
     * v1, 224.0.0.102 for v2), UDP 1985, TTL 1, TOS 0xC0, from the interface's own address;
     * vmac non-NULL: the group is Active and the frame must leave from the virtual MAC. */
    int (*send)(void *ctx, const char *ifname, int version, uint16_t group, uint32_t src,
                const uint8_t *vmac, const uint8_t *pkt, size_t len);
    /* Take (own=true) or release the virtual IP on the virtual MAC. */
    int (*vip)(void *ctx, const char *ifname, uint16_t group, const uint8_t vmac[6], uint32_t vip,
               bool own);
    /* Add a secondary virtual IP to the virtual MAC's link (taken with vip above). */
    int (*vip_add)(void *ctx, const char *ifname, uint16_t group, uint32_t vip);
    /* One gratuitous ARP for vip from vmac. */
    int (*garp)(void *ctx, const char *ifname, uint16_t group, const uint8_t vmac[6], uint32_t vip);
};

/* A group's configuration, as `standby` commands set it. */
struct hsrp_group_cfg {
    uint32_t vip; /* host order; 0 = not configured (learned from the active router) */
    int nsecondary;
    uint32_t secondary[HSRP_MAX_SECONDARY]; /* `standby N ip A secondary` */
    uint32_t priority;
    bool preempt;
    uint32_t preempt_min_ms;    /* preempt delay minimum */
    uint32_t preempt_reload_ms; /* preempt delay reload */
    uint32_t hello_ms, hold_ms; /* 0 = not configured: defaults 3000/10000 or learned */
    bool hello_msec, hold_msec; /* typed with `msec` (for running-config) */
    struct hsrp_auth auth;
    char name[HSRP_NAME_MAX]; /* "" = default hsrp-<short ifname>-<group> */
    uint8_t mac[6];
    bool mac_set;
    unsigned garp_count;       /* gratuitous ARPs on takeover (IOS: 3) */
    unsigned garp_interval_ms; /* between them (IOS: 2000) */
    int ntrack;
    struct {
        char ifname[32]; /* IOS name */
        unsigned decrement;
    } track[HSRP_MAX_TRACK];
};

void hsrp_group_cfg_default(struct hsrp_group_cfg *c);

struct hsrp;
struct hsrp_group;

/* seed: hello jitter; tests pass a fixed one. */
struct hsrp *hsrp_new(loop_t *loop, const struct hsrp_port *port, uint32_t seed);
/* Resigns every Active group (RFC 2281 §5.7 event b) and releases its VIP. */
void hsrp_free(struct hsrp *h);

/* Interfaces: the IOS name (logs, show), the Linux name (ports), its own address and MAC, and
 * whether it is up (not shutdown and carrier). */
int hsrp_iface_set(struct hsrp *h, const char *ios, const char *lnx, const char *short_name,
                   uint32_t addr, const uint8_t mac[6], bool up);
/* `standby version 1|2`: changing it restarts the interface's groups. */
int hsrp_iface_version(struct hsrp *h, const char *ios, int version);
int hsrp_iface_get_version(struct hsrp *h, const char *ios);
bool hsrp_iface_use_bia(struct hsrp *h, const char *ios, int set); /* set: -1 query, 0/1 */
/* Link state of any interface, for `standby track`. */
void hsrp_link_state(struct hsrp *h, const char *ios, bool up);

/* Groups. configure replaces the whole configuration (validated by the caller, the shell)
 * and applies it live; a group becomes enabled (event a) once its interface is up. */
int hsrp_group_configure(struct hsrp *h, const char *ios, uint16_t group,
                         const struct hsrp_group_cfg *cfg, char *err, size_t errlen);
/* The current configuration (defaults if the group does not exist); false if absent. */
bool hsrp_group_config(struct hsrp *h, const char *ios, uint16_t group, struct hsrp_group_cfg *out);
/* `no standby N`: an Active group resigns first. */
void hsrp_group_remove(struct hsrp *h, const char *ios, uint16_t group);

/* A datagram received on UDP 1985 (or 2029) of an interface, from src (host order). */
void hsrp_input(struct hsrp *h, const char *lnx, uint32_t src, const uint8_t *buf, size_t len);

/* The cluster's role port: is the group NAME Active here, its VIP; called on every change. */
bool hsrp_role(struct hsrp *h, const char *name, bool *active, uint32_t *vip);
typedef void (*hsrp_role_cb)(void *arg, const char *name, bool active, uint32_t vip);
void hsrp_watch(struct hsrp *h, hsrp_role_cb cb, void *arg);

/* Group state for tests and show. */
enum hsrp_state hsrp_group_state(struct hsrp *h, const char *ios, uint16_t group);

/* `show standby [INTERFACE [GROUP]] [brief]` (ios NULL: all; group < 0: all). */
void hsrp_show(struct hsrp *h, const char *ios, int group, bool brief, struct strbuf *out);
/* The interface's `standby` lines for running-config, IOS order, defaults omitted. */
void hsrp_render(struct hsrp *h, const char *ios, struct strbuf *out);

extern struct debug_flag hsrp_dbg_all, hsrp_dbg_events, hsrp_dbg_packets, hsrp_dbg_errors,
    hsrp_dbg_terse;

#endif
