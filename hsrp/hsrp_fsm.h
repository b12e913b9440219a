/* The HSRP state machine of RFC 2281 §5.3-5.7, as a pure function: (state, event, inputs) ->
 * (next state, actions). No time, no I/O, no globals: the engine (hsrp.c) owns the timers and the
 * sockets, turns what happens into events a-l and performs the actions A-I this returns.
 *
 * hsrp_fsm_step() encodes the §5.7 table exactly, nothing more. What real IOS does that the table
 * leaves implicit is the engine's business; it is written down here, next to the table, so that
 * the engine gets it right:
 *
 * 1. Who is "the active router" (events g, h, i). hsrp_classify() only looks at the message: a
 *    Hello whose state field is Active is g or h; a Resign whose state field is Active is i. IOS
 *    takes any authenticated Hello in state Active as coming from the active router and records
 *    its address ("Active router is 10.0.0.3"). For a Resign the engine SHOULD additionally check
 *    that the sender is the active router it knows: after a preemption the new active router's
 *    Coup and Hello arrive before the old active router's Resign (§5.7 j/Active sends H), and a
 *    Standby router that took that stale Resign as event i would go Active beside the new one
 *    (i/Standby is CFI/6).
 *
 * 2. Two active routers (split brain healed). A Hello from an active router while we are Active
 *    is event g or h like in any other state: with lower priority than the sender (g) we go to
 *    Speak (AB/4); with higher priority (h) we send a Coup (G, no state change, whatever the
 *    preempt setting), the other side takes it as j and resigns.
 *
 * 3. Coups. hsrp_classify() returns j for any Coup from a higher priority router, whatever our
 *    state; only the Active column has a j cell (ABH/4), so a Coup is acted upon only in Active.
 *    A Coup from a lower priority router is no event at all.
 *
 * 4. Preempt and its delay (note *). With preempt, event h in Listen/Speak/Standby takes over
 *    (BGFI/6). `standby preempt delay minimum N` is the engine's: it withholds event h until the
 *    delay has passed (and then delivers it on the next Hello from the lower priority active
 *    router). It must not withhold h in Active, where h means "send a Coup" (see 2).
 *
 * 5. Timers that expire together. c/Listen starts both timers (AB) with the same Holdtime, so in
 *    a group with no other router they expire together in Speak. c/Speak is an empty cell, so the
 *    engine must deliver d before c when both are due (IOS logs "Speak: d/Standby timer expired"
 *    then, at the same instant, "Standby: c/Active timer expired"), or equivalently deliver c again
 *    on entering Standby while the Active timer is expired; otherwise the router would sit in
 *    Standby with a dead Active timer and never become Active.
 *
 * 6. Learning (action E, §5.6). The table has E only where a Hello from the active router moves
 *    us out of Learn (g, h) or is of higher priority (g). IOS also learns the virtual IP and the
 *    timers from every authenticated Hello of the active router (§5.1, §5.4: only when not
 *    configured); the engine may do that on each such Hello independently of the table. Learn has
 *    no c, d or e cell: without a virtual IP a router never speaks (§5.3 "A router cannot enter
 *    Speak state unless it has the virtual IP address") and waits in Learn for the active router.
 *
 * 7. Bookkeeping outside the table. IOS records the active and standby routers' addresses from
 *    every Hello (even where the cell is empty, e.g. k in Learn), forgets them when their timer
 *    expires, and runs the Hello timer in every state; event e only matters in Speak, Standby and
 *    Active.
 *
 * 8. Order of the actions. The step returns a set; perform it in this order:
 *      C, D (stop timers), E (learn), A, B (start timers; A/B use the Holdtime of the Hello that
 *      caused the event, else ours, §5.6),
 *      H (Resign) while still in the old state, i.e. sent as the active router from the virtual
 *      MAC, so that the others see "a Resign message from the active router" (event i),
 *      the state change,
 *      G (Coup), then F (Hello), in the new state (the RFC lists G before F in BGFI/6),
 *      I (gratuitous ARP) once Active, from the virtual MAC (§5.6 I, §6.1).
 */
#ifndef IKEGATE_HSRP_FSM_H
#define IKEGATE_HSRP_FSM_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 2281 §5.3 states 1-6 (here 0-5). Shared with hsrp_packet.h under the same guard; the wire
 * encodings (v1 0/1/2/4/8/16, v2 1-6) are the codec's. */
#ifndef HSRP_STATE_DEFINED
#define HSRP_STATE_DEFINED
enum hsrp_state { HSRP_INITIAL, HSRP_LEARN, HSRP_LISTEN, HSRP_SPEAK, HSRP_STANDBY, HSRP_ACTIVE };
#endif

/* RFC 2281 §5.5 events a-l. */
enum hsrp_event {
    HSRP_EV_A_ENABLE,         /* a: HSRP configured on an enabled interface */
    HSRP_EV_B_DISABLE,        /* b: HSRP or the interface disabled */
    HSRP_EV_C_ACTIVE_EXPIRY,  /* c: Active timer expiry */
    HSRP_EV_D_STANDBY_EXPIRY, /* d: Standby timer expiry */
    HSRP_EV_E_HELLO_TIMER,    /* e: Hello timer expiry */
    HSRP_EV_F_SPEAK_HIGHER,   /* f: Hello of higher priority from a router in Speak */
    HSRP_EV_G_ACTIVE_HIGHER,  /* g: Hello of higher priority from the active router */
    HSRP_EV_H_ACTIVE_LOWER,   /* h: Hello of lower priority from the active router */
    HSRP_EV_I_RESIGN,         /* i: Resign from the active router */
    HSRP_EV_J_COUP_HIGHER,    /* j: Coup from a higher priority router */
    HSRP_EV_K_STANDBY_HIGHER, /* k: Hello of higher priority from the standby router */
    HSRP_EV_L_STANDBY_LOWER,  /* l: Hello of lower priority from the standby router */
    HSRP_EV_COUNT
};

/* RFC 2281 §5.6 actions A-I as bits of hsrp_step.actions. */
enum {
    HSRP_ACT_A_START_ACTIVE = 1 << 0,  /* A: start the Active timer */
    HSRP_ACT_B_START_STANDBY = 1 << 1, /* B: start the Standby timer */
    HSRP_ACT_C_STOP_ACTIVE = 1 << 2,   /* C: stop the Active timer */
    HSRP_ACT_D_STOP_STANDBY = 1 << 3,  /* D: stop the Standby timer */
    HSRP_ACT_E_LEARN = 1 << 4,         /* E: learn parameters from the active router's message */
    HSRP_ACT_F_HELLO = 1 << 5,         /* F: send a Hello */
    HSRP_ACT_G_COUP = 1 << 6,          /* G: send a Coup */
    HSRP_ACT_H_RESIGN = 1 << 7,        /* H: send a Resign */
    HSRP_ACT_I_GARP = 1 << 8           /* I: send a gratuitous ARP for the virtual IP/MAC */
};

/* The external state the §5.7 table's alternatives depend on. */
struct hsrp_fsm_in {
    bool vip_known; /* note +: the virtual IP is configured (or already learned) */
    bool preempt;   /* note *: `standby preempt` (the engine applies the delay, see 4 above) */
};

struct hsrp_step {
    enum hsrp_state next; /* the state after the step (== the current one if no change) */
    unsigned actions;     /* HSRP_ACT_* bits */
    bool defined;         /* false: the table cell is empty: no action, no change */
};

/* One transition of the RFC 2281 §5.7 table. An empty cell, an out-of-range state or event
 * gives {s, 0, false}. `in` may be NULL (all inputs false). */
struct hsrp_step hsrp_fsm_step(enum hsrp_state s, enum hsrp_event e, const struct hsrp_fsm_in *in);

/* IOS `debug standby events` spelling: "c/Active timer expired", "j/Coup rcvd from higher pri
 * router", ... Never NULL ("?/unknown event" when out of range). */
const char *hsrp_event_name(enum hsrp_event e);

/* What we know of a received, authenticated message's sender. */
struct hsrp_peer {
    enum hsrp_state state; /* the state field of the message */
    int op;                /* 0 Hello, 1 Coup, 2 Resign (anything else: no event) */
    uint32_t priority;
    uint32_t ip; /* the sender's address, host order (v1: the IP source address) */
};

/* The event a received message causes, compared with us (my_priority, my_ip), or -1:
 *   Hello from Speak:   higher -> f, lower -> none
 *   Hello from Standby: higher -> k, lower -> l
 *   Hello from Active:  higher -> g, lower -> h
 *   Hello from Initial/Learn/Listen: none (those states do not send Hellos)
 *   Coup (any state):   higher -> j, lower -> none
 *   Resign from Active (any priority) -> i; from any other state: none
 * A sender with exactly our priority and address is neither higher nor lower: none (it is our own
 * message looped back, or an address conflict). See 1 above about "the active router". */
int hsrp_classify(const struct hsrp_peer *msg, uint32_t my_priority, uint32_t my_ip);

/* Is router a (priority pa, address ipa) higher than router b? RFC 2281 §5.1 "Priority": the
 * numerically higher priority wins; with equal priorities the higher IP address wins. */
bool hsrp_higher(uint32_t pa, uint32_t ipa, uint32_t pb, uint32_t ipb);

#endif
