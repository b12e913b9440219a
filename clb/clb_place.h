/* The cluster master's placement logic: which member takes the next IKEv2 client (RFC 5685
 * redirect target). Pure: no clock (every call takes `now`, monotonic milliseconds chosen by the
 * caller), no I/O, no allocation, no globals. The master engine feeds it every member's HELLO and
 * LOAD report (and its own load, locally, the same way), asks pick() on each IKE_SA_INIT of a
 * client that supports redirect, calls expire() on a timer, and renders the snapshot in
 * `show crypto ikev2 cluster`.
 *
 * The formula and every choice behind it are in docs/clb-protocol.md, section "Placement";
 * in short:
 *
 *   sessions  = IKE SAs established + IKE SAs in negotiation + in flight
 *   crypto    = sessions / max-session                              (percent)
 *   system    = max(CPU 5 s, memory)                                (percent)
 *   combined  = (wc * crypto + ws * system) / (wc + ws)             (wc = ws = 0: crypto alone)
 *   not eligible: silent for holdtime (down), no load report yet (joining),
 *                 sessions >= max-session or at a CAC limit (full), combined >= overload-limit
 *   choose the lowest combined * (99 + priority), then the lower priority number, then the
 *   lower crypto load, then the lower member id.
 *
 * "In flight" are the clients sent to a member since its reports last accounted for them: a
 * report reduces them by how much the member's IKE SAs rose, and they expire 2 to 2.5 x the
 * update interval after they were sent, so a client that never arrives blocks nothing for long. */
#ifndef IKEGATE_CLB_PLACE_H
#define IKEGATE_CLB_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct clb_config;

/* Members in the table, the master itself included. Cisco limits a cluster to 10; we keep room
 * for 16, one of which is always left for the master itself: a 16th other member is refused
 * (-ENOSPC) and gets no clients until a slot frees (it is retried on its next hello). */
#define CLB_PLACE_MAX 16

struct clb_place_config {
    uint32_t weight_crypto;  /* `master weight crypto-load` 0-100 */
    uint32_t weight_system;  /* `master weight system-load` 0-100 */
    uint32_t overload_limit; /* `master overload-limit`, percent 1-100 (the shell allows 50-99) */
    uint32_t holdtime_ms;    /* `holdtime`: a member silent this long is down, then dropped */
    uint32_t update_ms;      /* `slave update`: in-flight clients expire after 2-2.5 x this */
};

/* What identifies a member and what it was configured with (its hello). */
struct clb_member_info {
    uint32_t id;          /* the member's key (e.g. its own address, host order); any value */
    uint32_t addr;        /* IPv4, network order: the REDIRECT gateway identity (RFC 5685 §9.2) */
    uint32_t priority;    /* `slave priority` 1-100, lower takes more */
    uint32_t max_session; /* `slave max-session` 1-100000 */
    uint32_t update_ms;   /* the member's `slave update`, 0: the cluster's update_ms */
    bool self;            /* the master itself: never silent, a pick of it means "stay" */
};

/* A load report (LOAD message, or the master's own load port). */
struct clb_place_load {
    uint32_t ike_sas;    /* established IKE SAs: one per client session */
    uint32_t ipsec_sas;  /* CHILD_SAs: shown, not in the formula (see the doc) */
    uint32_t in_neg;     /* half-open IKE SAs (IKE_SA_INIT answered, IKE_AUTH not done) */
    uint32_t max_sa;     /* CAC `crypto ikev2 limit max-sa`, 0 = none */
    uint32_t max_in_neg; /* CAC `crypto ikev2 limit max-in-negotiation-sa`, 0 = none */
    uint32_t cpu_pct;    /* CPU busy over 5 s, 0-100 (larger values count as 100) */
    uint32_t mem_pct;    /* memory used, 0-100 (larger values count as 100) */
};

/* Private to clb_place.c; public only so that the table can be embedded without allocation. */
#define CLB_PLACE_FLIGHT_SLOTS 8
struct clb_place_flight {
    int64_t first, last; /* when the first and the last client of this slot were sent */
    uint32_t n;
};
struct clb_place_member {
    struct clb_member_info info;
    struct clb_place_load load;
    bool reported;    /* a load report arrived since it joined */
    int64_t seen_ms;  /* last hello or report */
    uint32_t flying;  /* sum of the slots' n */
    uint8_t head, nf; /* ring of flight slots, oldest at head */
    struct clb_place_flight flight[CLB_PLACE_FLIGHT_SLOTS];
};
struct clb_place {
    struct clb_place_config cfg;
    size_t n; /* members, sorted by id */
    struct clb_place_member m[CLB_PLACE_MAX];
};

/* The configuration the shell holds, as the placement needs it. */
void clb_place_config_from(struct clb_place_config *pc, const struct clb_config *c);

/* An empty table. cfg is validated as by clb_place_set_config; -EINVAL leaves the defaults
 * (weights 100/100, limit 90, holdtime 3000, update 3000). */
int clb_place_init(struct clb_place *p, const struct clb_place_config *cfg);
/* Applies at once to the next pick. 0, or -EINVAL (weight > 100, limit 0 or > 100, holdtime or
 * update 0) leaving the configuration unchanged. */
int clb_place_set_config(struct clb_place *p, const struct clb_place_config *cfg);

/* A HELLO (load NULL) or a LOAD report (load non-NULL) from a member, at now: refreshes its
 * liveness, its address, priority and max-session; a report replaces its load and takes the
 * rise of its IKE SAs off its in-flight count. Returns 1 when the member is new (joined or
 * rejoined), 0 when it was known, -EINVAL (priority or max-session out of range; nothing
 * changed), -ENOSPC (the table is full). */
int clb_place_upsert(struct clb_place *p, const struct clb_member_info *info,
                     const struct clb_place_load *load, int64_t now);
/* Forget a member at once (its connection closed). true if it was there. */
bool clb_place_remove(struct clb_place *p, uint32_t id);
/* Forget every member (this gateway stops being the master). */
void clb_place_clear(struct clb_place *p);
size_t clb_place_count(const struct clb_place *p);

/* Drop every member (but the master itself) silent for holdtime or longer. Returns how many
 * were dropped and writes the first `cap` of their ids to dropped (may be NULL when cap is 0),
 * so the engine can log them. A dropped member rejoins with its next hello. */
size_t clb_place_expire(struct clb_place *p, int64_t now, uint32_t *dropped, size_t cap);

struct clb_pick {
    uint32_t id;
    uint32_t addr; /* network order */
    bool self;     /* the master itself: keep the client, do not redirect */
};
/* The member to send the next client to, counted in flight on it; false when no member is
 * eligible (out untouched; the caller decides, nothing is counted). */
bool clb_place_pick(struct clb_place *p, int64_t now, struct clb_pick *out);
/* The same choice without counting it (the `*` in show). */
bool clb_place_peek(const struct clb_place *p, int64_t now, struct clb_pick *out);

enum clb_member_status {
    CLB_MEMBER_UP,         /* eligible */
    CLB_MEMBER_OVERLOADED, /* combined load >= overload-limit */
    CLB_MEMBER_FULL,       /* sessions >= max-session, or at a CAC limit */
    CLB_MEMBER_DOWN,       /* silent for holdtime, not yet expired */
    CLB_MEMBER_JOINING,    /* hello seen, no load report yet */
};
/* "up", "overloaded", "full", "down", "joining". */
const char *clb_place_status_str(enum clb_member_status s);

/* One member as `show crypto ikev2 cluster` needs it. Loads are percent x 10, truncated
 * (333 = 33.3 %); crypto may exceed 1000 when a member reports more sessions than its max. */
struct clb_member_view {
    struct clb_member_info info;
    struct clb_place_load load; /* the last report; zeros before the first */
    uint32_t in_flight;         /* live in-flight clients */
    uint32_t sessions; /* ike_sas + in_neg + in_flight: what max-session is compared with */
    uint32_t crypto_x10, system_x10, combined_x10;
    enum clb_member_status status;
    bool next;         /* the member peek() names: print `*` */
    int64_t silent_ms; /* since its last hello or report (0 for the master itself) */
};
/* Members in ascending id order; returns how many there are (writes at most cap). */
size_t clb_place_snapshot(const struct clb_place *p, int64_t now, struct clb_member_view *out,
                          size_t cap);

#endif
