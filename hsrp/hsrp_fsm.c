/* The RFC 2281 §5.7 state transition table, pure. See hsrp_fsm.h for what the table leaves to the
 * engine. */
#include "hsrp/hsrp_fsm.h"

#include <stddef.h>

enum {
    A = HSRP_ACT_A_START_ACTIVE,
    B = HSRP_ACT_B_START_STANDBY,
    C = HSRP_ACT_C_STOP_ACTIVE,
    D = HSRP_ACT_D_STOP_STANDBY,
    E = HSRP_ACT_E_LEARN,
    F = HSRP_ACT_F_HELLO,
    G = HSRP_ACT_G_COUP,
    H = HSRP_ACT_H_RESIGN,
    I = HSRP_ACT_I_GARP,
};

#define NSTATES 6

/* How a cell is read. */
enum cell_kind {
    EMPTY,        /* blank: no action, no state change */
    STAY,         /* actions, no state change */
    GO,           /* actions, then state `to` */
    NOTE_VIP,     /* note +: actions AB; Listen (3) if the virtual IP is known, else Learn (2) */
    NOTE_PREEMPT, /* note *: preempt: BGFI and Active (6); without: A, no state change */
};

/* A cell packed in an unsigned: kind << 16 | next state << 12 | action bits (A-I, 9 bits). */
#define CELL(kind, act, to) ((unsigned)(kind) << 16 | (unsigned)(to) << 12 | (unsigned)(act))
#define NONE_ CELL(EMPTY, 0, 0)
#define STAY_(a) CELL(STAY, (a), 0)
#define GO_(a, s) CELL(GO, (a), (s))
#define CELL_KIND(c) ((c) >> 16)
#define CELL_ACT(c) ((c)&0xfffu)
#define CELL_TO(c) (((c) >> 12) & 0xfu)

/* RFC 2281 §5.7, row by row (events a-l), columns the states 1 Initial .. 6 Active (§5.3). The
 * comment on each row is the RFC's text of that row. */
static const unsigned table[HSRP_EV_COUNT][NSTATES] = {
    /* a |  AB/2|3+ |          |          |          |          |          | */
    [HSRP_EV_A_ENABLE] = {CELL(NOTE_VIP, A | B, 0), NONE_, NONE_, NONE_, NONE_, NONE_},
    /* b |          |   CD/1   |   CD/1   |   CD/1   |   CD/1   |   CDH/1  | */
    [HSRP_EV_B_DISABLE] = {NONE_, GO_(C | D, HSRP_INITIAL), GO_(C | D, HSRP_INITIAL),
                           GO_(C | D, HSRP_INITIAL), GO_(C | D, HSRP_INITIAL),
                           GO_(C | D | H, HSRP_INITIAL)},
    /* c |          |          |   AB/4   |          |  CDFI/6  |          | */
    [HSRP_EV_C_ACTIVE_EXPIRY] = {NONE_, NONE_, GO_(A | B, HSRP_SPEAK), NONE_,
                                 GO_(C | D | F | I, HSRP_ACTIVE), NONE_},
    /* d |          |          |   B/4    |   D/5    |          |          | */
    [HSRP_EV_D_STANDBY_EXPIRY] = {NONE_, NONE_, GO_(B, HSRP_SPEAK), GO_(D, HSRP_STANDBY), NONE_,
                                  NONE_},
    /* e |          |          |          |    F     |    F     |    F     | */
    [HSRP_EV_E_HELLO_TIMER] = {NONE_, NONE_, NONE_, STAY_(F), STAY_(F), STAY_(F)},
    /* f |          |          |          |   B/3    |   B/3    |          | */
    [HSRP_EV_F_SPEAK_HIGHER] = {NONE_, NONE_, NONE_, GO_(B, HSRP_LISTEN), GO_(B, HSRP_LISTEN),
                                NONE_},
    /* g |          |   EAB/3  |    EA    |   EA     |   EA     |   AB/4   | */
    [HSRP_EV_G_ACTIVE_HIGHER] = {NONE_, GO_(E | A | B, HSRP_LISTEN), STAY_(E | A), STAY_(E | A),
                                 STAY_(E | A), GO_(A | B, HSRP_SPEAK)},
    /* h |          |   EAB/3  | A|BGFI/6*| A|BGFI/6*| A|BGFI/6*|    G     | */
    [HSRP_EV_H_ACTIVE_LOWER] = {NONE_, GO_(E | A | B, HSRP_LISTEN), CELL(NOTE_PREEMPT, 0, 0),
                                CELL(NOTE_PREEMPT, 0, 0), CELL(NOTE_PREEMPT, 0, 0), STAY_(G)},
    /* i |          |          |   AB/4   |   A      |  CFI/6   |          | */
    [HSRP_EV_I_RESIGN] = {NONE_, NONE_, GO_(A | B, HSRP_SPEAK), STAY_(A),
                          GO_(C | F | I, HSRP_ACTIVE), NONE_},
    /* j |          |          |          |          |          |   ABH/4  | */
    [HSRP_EV_J_COUP_HIGHER] = {NONE_, NONE_, NONE_, NONE_, NONE_, GO_(A | B | H, HSRP_SPEAK)},
    /* k |          |          |    B     |   B/3    |  B/3     |    B     | */
    [HSRP_EV_K_STANDBY_HIGHER] = {NONE_, NONE_, STAY_(B), GO_(B, HSRP_LISTEN), GO_(B, HSRP_LISTEN),
                                  STAY_(B)},
    /* l |          |          |    B/4   |   D/5    |          |    B     | */
    [HSRP_EV_L_STANDBY_LOWER] = {NONE_, NONE_, GO_(B, HSRP_SPEAK), GO_(D, HSRP_STANDBY), NONE_,
                                 STAY_(B)},
};

struct hsrp_step hsrp_fsm_step(enum hsrp_state s, enum hsrp_event e, const struct hsrp_fsm_in *in)
{
    struct hsrp_step r = {s, 0, false};
    if ((unsigned)s >= NSTATES || (unsigned)e >= HSRP_EV_COUNT) return r;
    bool vip_known = in && in->vip_known;
    bool preempt = in && in->preempt;
    unsigned c = table[e][s];
    switch ((enum cell_kind)CELL_KIND(c)) {
    case EMPTY: return r;
    case STAY: r.actions = CELL_ACT(c); break;
    case GO:
        r.actions = CELL_ACT(c);
        r.next = (enum hsrp_state)CELL_TO(c);
        break;
    case NOTE_VIP:
        /* Note +: "If the virtual IP address is configured, set state 3 (Listen) If the virtual
         * IP address is not configured, set state 2 (Learn). In either case do actions A and B."
         * A learned address counts as configured (§5.1 Virtual IP Address). */
        r.actions = A | B;
        r.next = vip_known ? HSRP_LISTEN : HSRP_LEARN;
        break;
    case NOTE_PREEMPT:
        /* Note *: "If the router is configured to preempt do actions B, G, F, and I and set state
         * to 6 (Active). If the router is not configured to preempt do actions A with no state
         * change." */
        if (preempt) {
            r.actions = B | G | F | I;
            r.next = HSRP_ACTIVE;
        } else {
            r.actions = A;
        }
        break;
    }
    r.defined = true;
    return r;
}

const char *hsrp_event_name(enum hsrp_event e)
{
    /* §5.5, in the words IOS `debug standby events` uses. */
    static const char *const names[HSRP_EV_COUNT] = {
        [HSRP_EV_A_ENABLE] = "a/HSRP enabled",
        [HSRP_EV_B_DISABLE] = "b/HSRP disabled",
        [HSRP_EV_C_ACTIVE_EXPIRY] = "c/Active timer expired",
        [HSRP_EV_D_STANDBY_EXPIRY] = "d/Standby timer expired",
        [HSRP_EV_E_HELLO_TIMER] = "e/Hello timer expired",
        [HSRP_EV_F_SPEAK_HIGHER] = "f/Hello rcvd from higher pri Speak router",
        [HSRP_EV_G_ACTIVE_HIGHER] = "g/Hello rcvd from higher pri Active router",
        [HSRP_EV_H_ACTIVE_LOWER] = "h/Hello rcvd from lower pri Active router",
        [HSRP_EV_I_RESIGN] = "i/Resign rcvd",
        [HSRP_EV_J_COUP_HIGHER] = "j/Coup rcvd from higher pri router",
        [HSRP_EV_K_STANDBY_HIGHER] = "k/Hello rcvd from higher pri Standby router",
        [HSRP_EV_L_STANDBY_LOWER] = "l/Hello rcvd from lower pri Standby router",
    };
    if ((unsigned)e >= HSRP_EV_COUNT) return "?/unknown event";
    return names[e];
}

bool hsrp_higher(uint32_t pa, uint32_t ipa, uint32_t pb, uint32_t ipb)
{
    /* §5.1 Priority: "the router with the numerically higher priority wins. In the case of
     * routers with equal priority the router with the higher IP address wins." */
    return pa > pb || (pa == pb && ipa > ipb);
}

int hsrp_classify(const struct hsrp_peer *msg, uint32_t my_priority, uint32_t my_ip)
{
    if (!msg) return -1;
    bool higher = hsrp_higher(msg->priority, msg->ip, my_priority, my_ip);
    bool lower = hsrp_higher(my_priority, my_ip, msg->priority, msg->ip);
    switch (msg->op) {
    case 0: /* Hello: §5.5 f, g, h, k, l */
        switch (msg->state) {
        case HSRP_SPEAK: return higher ? HSRP_EV_F_SPEAK_HIGHER : -1;
        case HSRP_STANDBY:
            return higher ? HSRP_EV_K_STANDBY_HIGHER : lower ? HSRP_EV_L_STANDBY_LOWER : -1;
        case HSRP_ACTIVE:
            return higher ? HSRP_EV_G_ACTIVE_HIGHER : lower ? HSRP_EV_H_ACTIVE_LOWER : -1;
        case HSRP_INITIAL:
        case HSRP_LEARN:
        case HSRP_LISTEN: return -1;
        }
        return -1;
    case 1: /* Coup: §5.5 j, "from a higher priority router", whatever its state */
        return higher ? HSRP_EV_J_COUP_HIGHER : -1;
    case 2: /* Resign: §5.5 i, "from the active router", whatever its priority */
        if (msg->state != HSRP_ACTIVE) return -1;
        return (higher || lower) ? HSRP_EV_I_RESIGN : -1;
    default: return -1; /* Advertise (3) and unknown opcodes cause no event */
    }
}
