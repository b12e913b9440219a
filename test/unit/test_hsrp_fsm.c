/* The RFC 2281 §5.7 state machine: every cell of the table, message classification, and a few
 * runs driven by events alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hsrp/hsrp_fsm.h"

/* ---- The table, as the RFC prints it ------------------------------------------------------- */

/* RFC 2281 §5.7, copied cell by cell from the RFC text (rows: events a-l; columns: states
 * 1 Initial, 2 Learn, 3 Listen, 4 Speak, 5 Standby, 6 Active). Notation (§5.7): action letters of
 * §5.6, '/' then the next state's number of §5.3, '|' between alternatives, a trailing '+' or '*'
 * refers to the notes. "" is an empty cell. */
static const char *const rfc_table[12][6] = {
    /*        1 Initial  2 Learn  3 Listen     4 Speak      5 Standby    6 Active */
    /* a */ {"AB/2|3+", "", "", "", "", ""},
    /* b */ {"", "CD/1", "CD/1", "CD/1", "CD/1", "CDH/1"},
    /* c */ {"", "", "AB/4", "", "CDFI/6", ""},
    /* d */ {"", "", "B/4", "D/5", "", ""},
    /* e */ {"", "", "", "F", "F", "F"},
    /* f */ {"", "", "", "B/3", "B/3", ""},
    /* g */ {"", "EAB/3", "EA", "EA", "EA", "AB/4"},
    /* h */ {"", "EAB/3", "A|BGFI/6*", "A|BGFI/6*", "A|BGFI/6*", "G"},
    /* i */ {"", "", "AB/4", "A", "CFI/6", ""},
    /* j */ {"", "", "", "", "", "ABH/4"},
    /* k */ {"", "", "B", "B/3", "B/3", "B"},
    /* l */ {"", "", "B/4", "D/5", "", "B"},
};

struct expect {
    bool defined;
    unsigned actions;
    int next; /* §5.3 number 1-6, or 0 for "no state change" */
};

static unsigned letter_bit(char c)
{
    switch (c) {
    case 'A': return HSRP_ACT_A_START_ACTIVE;
    case 'B': return HSRP_ACT_B_START_STANDBY;
    case 'C': return HSRP_ACT_C_STOP_ACTIVE;
    case 'D': return HSRP_ACT_D_STOP_STANDBY;
    case 'E': return HSRP_ACT_E_LEARN;
    case 'F': return HSRP_ACT_F_HELLO;
    case 'G': return HSRP_ACT_G_COUP;
    case 'H': return HSRP_ACT_H_RESIGN;
    case 'I': return HSRP_ACT_I_GARP;
    }
    fail_msg("bad action letter '%c'", c);
    return 0;
}

/* One alternative: "ACTIONS", "ACTIONS/N" or "N" (a bare state: the actions of the first
 * alternative, as in "AB/2|3"). */
static struct expect parse_alt(const char *s, size_t len, const struct expect *first)
{
    struct expect x = {true, 0, 0};
    size_t i = 0;
    if (first && len > 0 && s[0] >= '1' && s[0] <= '6') x.actions = first->actions;
    for (; i < len && s[i] != '/' && !(s[i] >= '1' && s[i] <= '6'); i++)
        x.actions |= letter_bit(s[i]);
    if (i < len && s[i] == '/') i++;
    if (i < len) {
        assert_true(s[i] >= '1' && s[i] <= '6');
        x.next = s[i] - '0';
        i++;
    }
    assert_int_equal(i, len);
    return x;
}

/* The expected outcome of a cell for the given inputs. Note + (§5.7): the alternatives are chosen
 * by "the virtual IP address is configured" (first: not configured -> 2, second: configured ->
 * 3). Note *: by "configured to preempt" (first: not -> "A", second: preempt -> "BGFI/6"). */
static struct expect parse_cell(const char *cell, bool vip_known, bool preempt)
{
    struct expect none = {false, 0, 0};
    size_t n = strlen(cell);
    if (n == 0) return none;
    char note = 0;
    if (cell[n - 1] == '+' || cell[n - 1] == '*') note = cell[--n];
    const char *bar = memchr(cell, '|', n);
    if (!bar) {
        assert_int_equal(note, 0);
        return parse_alt(cell, n, NULL);
    }
    assert_true(note == '+' || note == '*');
    struct expect first = parse_alt(cell, (size_t)(bar - cell), NULL);
    struct expect second = parse_alt(bar + 1, n - (size_t)(bar - cell) - 1, &first);
    bool choose_second = note == '+' ? vip_known : preempt;
    return choose_second ? second : first;
}

static void test_notation_parser(void **state)
{
    (void)state;
    struct expect x = parse_cell("CDFI/6", false, false);
    assert_true(x.defined);
    assert_int_equal(x.actions, HSRP_ACT_C_STOP_ACTIVE | HSRP_ACT_D_STOP_STANDBY |
                                    HSRP_ACT_F_HELLO | HSRP_ACT_I_GARP);
    assert_int_equal(x.next, 6);
    x = parse_cell("EA", true, true);
    assert_int_equal(x.actions, HSRP_ACT_E_LEARN | HSRP_ACT_A_START_ACTIVE);
    assert_int_equal(x.next, 0);
    x = parse_cell("AB/2|3+", false, true);
    assert_int_equal(x.actions, HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY);
    assert_int_equal(x.next, 2);
    x = parse_cell("AB/2|3+", true, false);
    assert_int_equal(x.actions, HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY);
    assert_int_equal(x.next, 3);
    x = parse_cell("A|BGFI/6*", true, false);
    assert_int_equal(x.actions, HSRP_ACT_A_START_ACTIVE);
    assert_int_equal(x.next, 0);
    x = parse_cell("A|BGFI/6*", false, true);
    assert_int_equal(x.actions, HSRP_ACT_B_START_STANDBY | HSRP_ACT_G_COUP | HSRP_ACT_F_HELLO |
                                    HSRP_ACT_I_GARP);
    assert_int_equal(x.next, 6);
    assert_false(parse_cell("", true, true).defined);
}

static const enum hsrp_state states[6] = {HSRP_INITIAL, HSRP_LEARN,   HSRP_LISTEN,
                                          HSRP_SPEAK,   HSRP_STANDBY, HSRP_ACTIVE};

/* All 72 cells, each with all four combinations of the two inputs (those that do not matter must
 * not change anything). */
static void test_every_cell(void **state)
{
    (void)state;
    int checked = 0, defined = 0;
    for (int ev = 0; ev < 12; ev++) {
        for (int st = 0; st < 6; st++) {
            for (int in_bits = 0; in_bits < 4; in_bits++) {
                struct hsrp_fsm_in in = {.vip_known = in_bits & 1, .preempt = in_bits & 2};
                struct expect x = parse_cell(rfc_table[ev][st], in.vip_known, in.preempt);
                struct hsrp_step r = hsrp_fsm_step(states[st], (enum hsrp_event)ev, &in);
                enum hsrp_state want_next = x.next ? states[x.next - 1] : states[st];
                if (r.defined != x.defined || r.actions != x.actions || r.next != want_next)
                    fail_msg("event %c state %d vip_known %d preempt %d (\"%s\"): got defined "
                             "%d actions 0x%x next %d, want %d 0x%x %d",
                             'a' + ev, st + 1, in.vip_known, in.preempt, rfc_table[ev][st],
                             r.defined, r.actions, (int)r.next + 1, x.defined, x.actions,
                             (int)want_next + 1);
                checked++;
                if (in_bits == 0 && r.defined) defined++;
            }
        }
    }
    assert_int_equal(checked, 72 * 4);
    /* The RFC's table has 36 non-empty cells: by row a-l 1+5+2+2+3+2+5+5+3+1+4+3. */
    assert_int_equal(defined, 36);
}

/* The cells the RFC singles out, spelled out by hand as a second look. */
static void test_named_cells(void **state)
{
    (void)state;
    const struct hsrp_fsm_in no = {false, false}, vip = {true, false}, pre = {true, true};
    struct hsrp_step r;

    r = hsrp_fsm_step(HSRP_INITIAL, HSRP_EV_A_ENABLE, &vip);
    assert_true(r.defined);
    assert_int_equal(r.next, HSRP_LISTEN);
    assert_int_equal(r.actions, HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY);
    r = hsrp_fsm_step(HSRP_INITIAL, HSRP_EV_A_ENABLE, &no);
    assert_int_equal(r.next, HSRP_LEARN);
    assert_int_equal(r.actions, HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY);

    r = hsrp_fsm_step(HSRP_STANDBY, HSRP_EV_C_ACTIVE_EXPIRY, &vip);
    assert_int_equal(r.next, HSRP_ACTIVE);
    assert_int_equal(r.actions, HSRP_ACT_C_STOP_ACTIVE | HSRP_ACT_D_STOP_STANDBY |
                                    HSRP_ACT_F_HELLO | HSRP_ACT_I_GARP);
    r = hsrp_fsm_step(HSRP_STANDBY, HSRP_EV_I_RESIGN, &vip);
    assert_int_equal(r.next, HSRP_ACTIVE);
    assert_int_equal(r.actions, HSRP_ACT_C_STOP_ACTIVE | HSRP_ACT_F_HELLO | HSRP_ACT_I_GARP);
    r = hsrp_fsm_step(HSRP_SPEAK, HSRP_EV_I_RESIGN, &pre);
    assert_true(r.defined);
    assert_int_equal(r.next, HSRP_SPEAK);
    assert_int_equal(r.actions, HSRP_ACT_A_START_ACTIVE);
    r = hsrp_fsm_step(HSRP_ACTIVE, HSRP_EV_G_ACTIVE_HIGHER, &vip);
    assert_int_equal(r.next, HSRP_SPEAK);
    assert_int_equal(r.actions, HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY);
    r = hsrp_fsm_step(HSRP_ACTIVE, HSRP_EV_J_COUP_HIGHER, &pre);
    assert_int_equal(r.next, HSRP_SPEAK);
    assert_int_equal(r.actions,
                     HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY | HSRP_ACT_H_RESIGN);
    r = hsrp_fsm_step(HSRP_ACTIVE, HSRP_EV_B_DISABLE, &vip);
    assert_int_equal(r.next, HSRP_INITIAL);
    assert_int_equal(r.actions,
                     HSRP_ACT_C_STOP_ACTIVE | HSRP_ACT_D_STOP_STANDBY | HSRP_ACT_H_RESIGN);
    r = hsrp_fsm_step(HSRP_ACTIVE, HSRP_EV_H_ACTIVE_LOWER, &no);
    assert_true(r.defined);
    assert_int_equal(r.next, HSRP_ACTIVE);
    assert_int_equal(r.actions, HSRP_ACT_G_COUP);

    const enum hsrp_state note_star[] = {HSRP_LISTEN, HSRP_SPEAK, HSRP_STANDBY};
    for (size_t i = 0; i < 3; i++) {
        r = hsrp_fsm_step(note_star[i], HSRP_EV_H_ACTIVE_LOWER, &pre);
        assert_true(r.defined);
        assert_int_equal(r.next, HSRP_ACTIVE);
        assert_int_equal(r.actions, HSRP_ACT_B_START_STANDBY | HSRP_ACT_G_COUP | HSRP_ACT_F_HELLO |
                                        HSRP_ACT_I_GARP);
        r = hsrp_fsm_step(note_star[i], HSRP_EV_H_ACTIVE_LOWER, &vip);
        assert_true(r.defined);
        assert_int_equal(r.next, note_star[i]);
        assert_int_equal(r.actions, HSRP_ACT_A_START_ACTIVE);
    }

    /* A coup is acted upon only in Active. */
    for (int st = 0; st < 5; st++) {
        r = hsrp_fsm_step(states[st], HSRP_EV_J_COUP_HIGHER, &pre);
        assert_false(r.defined);
        assert_int_equal(r.actions, 0);
        assert_int_equal(r.next, states[st]);
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    struct hsrp_step r = hsrp_fsm_step((enum hsrp_state)6, HSRP_EV_A_ENABLE, NULL);
    assert_false(r.defined);
    assert_int_equal(r.actions, 0);
    r = hsrp_fsm_step(HSRP_ACTIVE, HSRP_EV_COUNT, NULL);
    assert_false(r.defined);
    assert_int_equal(r.next, HSRP_ACTIVE);
    r = hsrp_fsm_step(HSRP_ACTIVE, (enum hsrp_event) - 1, NULL);
    assert_false(r.defined);
    /* NULL inputs read as all false. */
    r = hsrp_fsm_step(HSRP_INITIAL, HSRP_EV_A_ENABLE, NULL);
    assert_true(r.defined);
    assert_int_equal(r.next, HSRP_LEARN);
    r = hsrp_fsm_step(HSRP_STANDBY, HSRP_EV_H_ACTIVE_LOWER, NULL);
    assert_int_equal(r.next, HSRP_STANDBY);
    assert_int_equal(r.actions, HSRP_ACT_A_START_ACTIVE);
}

static void test_event_names(void **state)
{
    (void)state;
    for (int e = 0; e < HSRP_EV_COUNT; e++) {
        const char *n = hsrp_event_name((enum hsrp_event)e);
        assert_non_null(n);
        assert_int_equal(n[0], 'a' + e);
        assert_int_equal(n[1], '/');
        assert_true(strlen(n) > 2);
    }
    assert_string_equal(hsrp_event_name(HSRP_EV_C_ACTIVE_EXPIRY), "c/Active timer expired");
    assert_string_equal(hsrp_event_name(HSRP_EV_J_COUP_HIGHER),
                        "j/Coup rcvd from higher pri router");
    assert_non_null(hsrp_event_name(HSRP_EV_COUNT));
    assert_non_null(hsrp_event_name((enum hsrp_event) - 5));
}

/* ---- Classification --------------------------------------------------------------------- */

static void test_higher(void **state)
{
    (void)state;
    assert_true(hsrp_higher(110, 1, 100, 9));
    assert_false(hsrp_higher(100, 9, 110, 1));
    assert_true(hsrp_higher(100, 0x0a000003, 100, 0x0a000002));
    assert_false(hsrp_higher(100, 0x0a000002, 100, 0x0a000003));
    assert_false(hsrp_higher(100, 0x0a000002, 100, 0x0a000002));
    assert_true(hsrp_higher(1, 0xffffffffu, 1, 0x7fffffffu)); /* unsigned comparison */
    assert_true(hsrp_higher(255, 0, 254, 0xffffffffu));
}

#define NOEV (-1)
/* §5.5 by the sender's (state, op): the event when the sender is higher than us, and when lower.
 */
static const struct {
    enum hsrp_state state;
    int op;
    int if_higher, if_lower;
} classify_table[] = {
    {HSRP_INITIAL, 0, NOEV, NOEV},
    {HSRP_LEARN, 0, NOEV, NOEV},
    {HSRP_LISTEN, 0, NOEV, NOEV},
    {HSRP_SPEAK, 0, HSRP_EV_F_SPEAK_HIGHER, NOEV},
    {HSRP_STANDBY, 0, HSRP_EV_K_STANDBY_HIGHER, HSRP_EV_L_STANDBY_LOWER},
    {HSRP_ACTIVE, 0, HSRP_EV_G_ACTIVE_HIGHER, HSRP_EV_H_ACTIVE_LOWER},
    {HSRP_INITIAL, 1, HSRP_EV_J_COUP_HIGHER, NOEV},
    {HSRP_LEARN, 1, HSRP_EV_J_COUP_HIGHER, NOEV},
    {HSRP_LISTEN, 1, HSRP_EV_J_COUP_HIGHER, NOEV},
    {HSRP_SPEAK, 1, HSRP_EV_J_COUP_HIGHER, NOEV},
    {HSRP_STANDBY, 1, HSRP_EV_J_COUP_HIGHER, NOEV},
    {HSRP_ACTIVE, 1, HSRP_EV_J_COUP_HIGHER, NOEV},
    {HSRP_INITIAL, 2, NOEV, NOEV},
    {HSRP_LEARN, 2, NOEV, NOEV},
    {HSRP_LISTEN, 2, NOEV, NOEV},
    {HSRP_SPEAK, 2, NOEV, NOEV},
    {HSRP_STANDBY, 2, NOEV, NOEV},
    {HSRP_ACTIVE, 2, HSRP_EV_I_RESIGN, HSRP_EV_I_RESIGN},
};

static void test_classify_all(void **state)
{
    (void)state;
    const uint32_t my_pri = 100, my_ip = 0x0a000005; /* 10.0.0.5 */
    /* The sender relative to us: priority, address, and whether it is higher. */
    const struct {
        uint32_t pri, ip;
        bool higher;
        const char *what;
    } rel[] = {
        {110, 0x0a000001, true, "higher priority (lower IP)"},
        {90, 0x0a0000fe, false, "lower priority (higher IP)"},
        {100, 0x0a000006, true, "equal priority, higher IP"},
        {100, 0x0a000004, false, "equal priority, lower IP"},
    };
    int n = 0;
    for (size_t i = 0; i < sizeof(classify_table) / sizeof(classify_table[0]); i++) {
        for (size_t j = 0; j < 4; j++) {
            struct hsrp_peer p = {classify_table[i].state, classify_table[i].op, rel[j].pri,
                                  rel[j].ip};
            int want = rel[j].higher ? classify_table[i].if_higher : classify_table[i].if_lower;
            int got = hsrp_classify(&p, my_pri, my_ip);
            if (got != want)
                fail_msg("state %d op %d %s: got %d want %d", (int)p.state + 1, p.op, rel[j].what,
                         got, want);
            n++;
        }
    }
    assert_int_equal(n, 6 * 3 * 4);
}

static void test_classify_odd(void **state)
{
    (void)state;
    /* Our own message (same priority and address): neither higher nor lower. */
    for (int op = 0; op < 3; op++) {
        struct hsrp_peer self = {HSRP_ACTIVE, op, 100, 0x0a000005};
        assert_int_equal(hsrp_classify(&self, 100, 0x0a000005), -1);
    }
    /* Advertise (3) and unknown opcodes. */
    struct hsrp_peer adv = {HSRP_ACTIVE, 3, 200, 0x0a000009};
    assert_int_equal(hsrp_classify(&adv, 100, 0x0a000005), -1);
    adv.op = -1;
    assert_int_equal(hsrp_classify(&adv, 100, 0x0a000005), -1);
    /* An out-of-range state field. */
    struct hsrp_peer junk = {(enum hsrp_state)7, 0, 200, 0x0a000009};
    assert_int_equal(hsrp_classify(&junk, 100, 0x0a000005), -1);
    assert_int_equal(hsrp_classify(NULL, 100, 0x0a000005), -1);
    /* Priorities beyond v1's octet (v2 carries 32 bits). */
    struct hsrp_peer big = {HSRP_ACTIVE, 0, 0x80000000u, 1};
    assert_int_equal(hsrp_classify(&big, 0x7fffffffu, 2), HSRP_EV_G_ACTIVE_HIGHER);
}

/* ---- Scenarios, by steps only ----------------------------------------------------------- */

/* Apply one event; check the outcome and return the new state. */
static enum hsrp_state run(enum hsrp_state s, enum hsrp_event e, const struct hsrp_fsm_in *in,
                           enum hsrp_state want_next, unsigned want_actions)
{
    struct hsrp_step r = hsrp_fsm_step(s, e, in);
    if (!r.defined || r.next != want_next || r.actions != want_actions)
        fail_msg("%s in state %d: got defined %d next %d actions 0x%x, want %d 0x%x",
                 hsrp_event_name(e), (int)s + 1, r.defined, (int)r.next + 1, r.actions,
                 (int)want_next + 1, want_actions);
    return r.next;
}

/* The lone router of the IOS debug transcript: Init -> Listen -> Speak -> Standby -> Active. */
static void test_scenario_lone_router(void **state)
{
    (void)state;
    const struct hsrp_fsm_in in = {.vip_known = true, .preempt = false};
    const unsigned AB = HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY;
    enum hsrp_state s = HSRP_INITIAL;
    s = run(s, HSRP_EV_A_ENABLE, &in, HSRP_LISTEN, AB);
    /* Listen sends no hellos. */
    assert_false(hsrp_fsm_step(s, HSRP_EV_E_HELLO_TIMER, &in).defined);
    s = run(s, HSRP_EV_C_ACTIVE_EXPIRY, &in, HSRP_SPEAK, AB);
    s = run(s, HSRP_EV_E_HELLO_TIMER, &in, HSRP_SPEAK, HSRP_ACT_F_HELLO);
    s = run(s, HSRP_EV_D_STANDBY_EXPIRY, &in, HSRP_STANDBY, HSRP_ACT_D_STOP_STANDBY);
    s = run(s, HSRP_EV_E_HELLO_TIMER, &in, HSRP_STANDBY, HSRP_ACT_F_HELLO);
    s = run(s, HSRP_EV_C_ACTIVE_EXPIRY, &in, HSRP_ACTIVE,
            HSRP_ACT_C_STOP_ACTIVE | HSRP_ACT_D_STOP_STANDBY | HSRP_ACT_F_HELLO | HSRP_ACT_I_GARP);
    s = run(s, HSRP_EV_E_HELLO_TIMER, &in, HSRP_ACTIVE, HSRP_ACT_F_HELLO);
    /* Nobody else: the timers the engine stopped never fire; disable resigns. */
    s = run(s, HSRP_EV_B_DISABLE, &in, HSRP_INITIAL,
            HSRP_ACT_C_STOP_ACTIVE | HSRP_ACT_D_STOP_STANDBY | HSRP_ACT_H_RESIGN);
    assert_int_equal(s, HSRP_INITIAL);
}

/* Without a virtual IP the router learns it from the active router's hello. */
static void test_scenario_learn(void **state)
{
    (void)state;
    struct hsrp_fsm_in in = {.vip_known = false, .preempt = false};
    enum hsrp_state s = HSRP_INITIAL;
    s = run(s, HSRP_EV_A_ENABLE, &in, HSRP_LEARN,
            HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY);
    /* Learn never speaks on its own. */
    assert_false(hsrp_fsm_step(s, HSRP_EV_C_ACTIVE_EXPIRY, &in).defined);
    assert_false(hsrp_fsm_step(s, HSRP_EV_D_STANDBY_EXPIRY, &in).defined);
    struct hsrp_peer hello = {HSRP_ACTIVE, 0, 100, 0x0a000001};
    int ev = hsrp_classify(&hello, 100, 0x0a000002); /* lower priority active (by address) */
    assert_int_equal(ev, HSRP_EV_H_ACTIVE_LOWER);
    s = run(s, (enum hsrp_event)ev, &in, HSRP_LISTEN,
            HSRP_ACT_E_LEARN | HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY);
    in.vip_known = true;
    /* The next hello: no preempt, so just keep watching the active router. */
    s = run(s, (enum hsrp_event)ev, &in, HSRP_LISTEN, HSRP_ACT_A_START_ACTIVE);
    assert_int_equal(s, HSRP_LISTEN);
}

/* An Active router hears a Coup from a higher priority router: Resign and Speak. */
static void test_scenario_coup(void **state)
{
    (void)state;
    const struct hsrp_fsm_in in = {.vip_known = true, .preempt = false};
    const uint32_t me = 0x0a000002, other = 0x0a000003;
    enum hsrp_state s = HSRP_ACTIVE;
    struct hsrp_peer coup = {HSRP_ACTIVE, 1, 110, other};
    int ev = hsrp_classify(&coup, 100, me);
    assert_int_equal(ev, HSRP_EV_J_COUP_HIGHER);
    s = run(s, (enum hsrp_event)ev, &in, HSRP_SPEAK,
            HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY | HSRP_ACT_H_RESIGN);
    /* Then its hello as the new active router. */
    struct hsrp_peer hello = {HSRP_ACTIVE, 0, 110, other};
    ev = hsrp_classify(&hello, 100, me);
    assert_int_equal(ev, HSRP_EV_G_ACTIVE_HIGHER);
    s = run(s, (enum hsrp_event)ev, &in, HSRP_SPEAK, HSRP_ACT_E_LEARN | HSRP_ACT_A_START_ACTIVE);
    /* No standby: this one becomes it. */
    s = run(s, HSRP_EV_D_STANDBY_EXPIRY, &in, HSRP_STANDBY, HSRP_ACT_D_STOP_STANDBY);
    /* A coup from a lower priority router is no event at all. */
    struct hsrp_peer weak = {HSRP_SPEAK, 1, 90, 0x0a000009};
    assert_int_equal(hsrp_classify(&weak, 100, me), -1);
    assert_int_equal(s, HSRP_STANDBY);
}

/* A higher priority Standby router hears a lower priority Active: preempt decides. */
static void test_scenario_preempt(void **state)
{
    (void)state;
    const uint32_t me = 0x0a000002, active = 0x0a000003;
    struct hsrp_peer hello = {HSRP_ACTIVE, 0, 100, active};
    int ev = hsrp_classify(&hello, 120, me);
    assert_int_equal(ev, HSRP_EV_H_ACTIVE_LOWER);

    /* Without preempt: keep watching, stay Standby, however many hellos. */
    const struct hsrp_fsm_in off = {.vip_known = true, .preempt = false};
    enum hsrp_state s = HSRP_STANDBY;
    for (int i = 0; i < 3; i++)
        s = run(s, (enum hsrp_event)ev, &off, HSRP_STANDBY, HSRP_ACT_A_START_ACTIVE);

    /* With preempt: Coup, Hello, gratuitous ARP, Active. */
    const struct hsrp_fsm_in on = {.vip_known = true, .preempt = true};
    s = run(s, (enum hsrp_event)ev, &on, HSRP_ACTIVE,
            HSRP_ACT_B_START_STANDBY | HSRP_ACT_G_COUP | HSRP_ACT_F_HELLO | HSRP_ACT_I_GARP);

    /* The old active router receives the coup from us... */
    struct hsrp_peer coup = {HSRP_ACTIVE, 1, 120, me};
    int their_ev = hsrp_classify(&coup, 100, active);
    assert_int_equal(their_ev, HSRP_EV_J_COUP_HIGHER);
    enum hsrp_state them =
        run(HSRP_ACTIVE, (enum hsrp_event)their_ev, &off, HSRP_SPEAK,
            HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY | HSRP_ACT_H_RESIGN);
    assert_int_equal(them, HSRP_SPEAK);
    /* ...and, should its hello as Active still reach us, we answer with another coup. */
    s = run(s, (enum hsrp_event)ev, &off, HSRP_ACTIVE, HSRP_ACT_G_COUP);

    /* Preempt from Listen and Speak too. */
    run(HSRP_LISTEN, (enum hsrp_event)ev, &on, HSRP_ACTIVE,
        HSRP_ACT_B_START_STANDBY | HSRP_ACT_G_COUP | HSRP_ACT_F_HELLO | HSRP_ACT_I_GARP);
    run(HSRP_SPEAK, (enum hsrp_event)ev, &off, HSRP_SPEAK, HSRP_ACT_A_START_ACTIVE);
    assert_int_equal(s, HSRP_ACTIVE);
}

/* Two active routers after a partition heals: the lower one steps down. */
static void test_scenario_dual_active(void **state)
{
    (void)state;
    const struct hsrp_fsm_in in = {.vip_known = true, .preempt = false};
    const uint32_t lo = 0x0a000002, hi = 0x0a000003; /* equal priority: address decides */
    struct hsrp_peer from_hi = {HSRP_ACTIVE, 0, 100, hi}, from_lo = {HSRP_ACTIVE, 0, 100, lo};
    int ev_at_lo = hsrp_classify(&from_hi, 100, lo);
    int ev_at_hi = hsrp_classify(&from_lo, 100, hi);
    assert_int_equal(ev_at_lo, HSRP_EV_G_ACTIVE_HIGHER);
    assert_int_equal(ev_at_hi, HSRP_EV_H_ACTIVE_LOWER);
    run(HSRP_ACTIVE, (enum hsrp_event)ev_at_lo, &in, HSRP_SPEAK,
        HSRP_ACT_A_START_ACTIVE | HSRP_ACT_B_START_STANDBY);
    run(HSRP_ACTIVE, (enum hsrp_event)ev_at_hi, &in, HSRP_ACTIVE, HSRP_ACT_G_COUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notation_parser),      cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_named_cells),          cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_event_names),          cmocka_unit_test(test_higher),
        cmocka_unit_test(test_classify_all),         cmocka_unit_test(test_classify_odd),
        cmocka_unit_test(test_scenario_lone_router), cmocka_unit_test(test_scenario_learn),
        cmocka_unit_test(test_scenario_coup),        cmocka_unit_test(test_scenario_preempt),
        cmocka_unit_test(test_scenario_dual_active),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
