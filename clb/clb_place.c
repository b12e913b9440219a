/* The master's placement logic (clb_place.h). The formula and the reasons for each choice are in
 * docs/clb-protocol.md, section "Placement"; this file follows it to the letter and computes in
 * exact integers, so that ties are real ties and the result does not depend on rounding. */
#include "clb/clb_place.h"

#include <errno.h>
#include <string.h>

#include "clb/clb_config.h"

static const struct clb_place_config place_defaults = {
    .weight_crypto = 100,
    .weight_system = 100,
    .overload_limit = 90,
    .holdtime_ms = 3000,
    .update_ms = 3000,
};

void clb_place_config_from(struct clb_place_config *pc, const struct clb_config *c)
{
    pc->weight_crypto = (uint32_t)c->value[CLB_WEIGHT_CRYPTO];
    pc->weight_system = (uint32_t)c->value[CLB_WEIGHT_SYSTEM];
    pc->overload_limit = (uint32_t)c->value[CLB_OVERLOAD_LIMIT];
    pc->holdtime_ms = (uint32_t)c->value[CLB_HOLDTIME];
    pc->update_ms = (uint32_t)c->value[CLB_SLAVE_UPDATE];
}

static bool config_ok(const struct clb_place_config *c)
{
    return c->weight_crypto <= 100 && c->weight_system <= 100 && c->overload_limit >= 1 &&
           c->overload_limit <= 100 && c->holdtime_ms > 0 && c->update_ms > 0;
}

int clb_place_init(struct clb_place *p, const struct clb_place_config *cfg)
{
    memset(p, 0, sizeof *p);
    p->cfg = place_defaults;
    return cfg ? clb_place_set_config(p, cfg) : 0;
}

int clb_place_set_config(struct clb_place *p, const struct clb_place_config *cfg)
{
    if (!config_ok(cfg)) return -EINVAL;
    p->cfg = *cfg;
    return 0;
}

/* ---- in-flight clients ----
 * A ring of at most CLB_PLACE_FLIGHT_SLOTS time slots per member, oldest first. A pick joins the
 * newest slot while that slot is younger than a quarter of the lifetime, so the ring never needs
 * more than 5 live slots; a slot expires `lifetime` after its LAST pick, so every client stays
 * counted at least the lifetime and at most 1.25 x. Reports take clients off the oldest slots:
 * the clients sent first are the ones that have had time to arrive. */

static int64_t flight_lifetime(const struct clb_place *p, const struct clb_place_member *m)
{
    uint32_t u = m->info.update_ms ? m->info.update_ms : p->cfg.update_ms;
    return 2 * (int64_t)u;
}

static bool slot_expired(const struct clb_place_flight *f, int64_t now, int64_t life)
{
    return now - f->last >= life;
}

/* What is still in flight at now, without touching the ring (peek and show are const). Slots
 * are in time order, so the expired ones are a prefix. */
static uint32_t flight_live(const struct clb_place *p, const struct clb_place_member *m,
                            int64_t now)
{
    int64_t life = flight_lifetime(p, m);
    uint32_t n = m->flying;
    for (unsigned i = 0; i < m->nf; i++) {
        const struct clb_place_flight *f = &m->flight[(m->head + i) % CLB_PLACE_FLIGHT_SLOTS];
        if (!slot_expired(f, now, life)) break;
        n -= f->n;
    }
    return n;
}

static void flight_expire(const struct clb_place *p, struct clb_place_member *m, int64_t now)
{
    int64_t life = flight_lifetime(p, m);
    while (m->nf && slot_expired(&m->flight[m->head], now, life)) {
        m->flying -= m->flight[m->head].n;
        m->head = (uint8_t)((m->head + 1) % CLB_PLACE_FLIGHT_SLOTS);
        m->nf--;
    }
}

static void flight_add(const struct clb_place *p, struct clb_place_member *m, int64_t now)
{
    int64_t width = flight_lifetime(p, m) / 4;
    if (m->nf) {
        struct clb_place_flight *f = &m->flight[(m->head + m->nf - 1) % CLB_PLACE_FLIGHT_SLOTS];
        /* Join the newest slot while it is young; also when the ring is full, which the
         * quarter-lifetime width rules out unless the caller's clock went backwards. */
        if (now - f->first < width || m->nf == CLB_PLACE_FLIGHT_SLOTS) {
            f->n++;
            if (now > f->last) f->last = now;
            m->flying++;
            return;
        }
    }
    struct clb_place_flight *f = &m->flight[(m->head + m->nf) % CLB_PLACE_FLIGHT_SLOTS];
    f->first = f->last = now;
    f->n = 1;
    m->nf++;
    m->flying++;
}

/* k clients arrived: take them off the oldest slots. */
static void flight_reduce(struct clb_place_member *m, uint64_t k)
{
    while (k && m->nf) {
        struct clb_place_flight *f = &m->flight[m->head];
        if (k < f->n) {
            f->n -= (uint32_t)k;
            m->flying -= (uint32_t)k;
            return;
        }
        k -= f->n;
        m->flying -= f->n;
        m->head = (uint8_t)((m->head + 1) % CLB_PLACE_FLIGHT_SLOTS);
        m->nf--;
    }
}

/* ---- the table ---- */

static size_t find(const struct clb_place *p, uint32_t id, bool *found)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->m[mid].info.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < p->n && p->m[lo].info.id == id;
    return lo;
}

static size_t count_others(const struct clb_place *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++) n += !p->m[i].info.self;
    return n;
}

static uint64_t ike_occupancy(const struct clb_place_load *l)
{
    return (uint64_t)l->ike_sas + l->in_neg;
}

int clb_place_upsert(struct clb_place *p, const struct clb_member_info *info,
                     const struct clb_place_load *load, int64_t now)
{
    if (info->priority < 1 || info->priority > 100 || info->max_session < 1 ||
        info->max_session > 100000)
        return -EINVAL;
    bool found;
    size_t i = find(p, info->id, &found);
    if (!found) {
        /* One slot stays free for the master itself, whatever order members arrive in. */
        if (p->n == CLB_PLACE_MAX || (!info->self && count_others(p) >= CLB_PLACE_MAX - 1))
            return -ENOSPC;
        memmove(&p->m[i + 1], &p->m[i], (p->n - i) * sizeof p->m[0]);
        memset(&p->m[i], 0, sizeof p->m[i]);
        p->n++;
    }
    struct clb_place_member *m = &p->m[i];
    m->info = *info;
    if (now > m->seen_ms || !found) m->seen_ms = now;
    if (load) {
        /* Clients that arrived show up as a rise of the member's IKE SAs (half-open ones
         * included: a redirected client is one from its IKE_SA_INIT on). Take that rise off the
         * in-flight count instead of zeroing it: clients sent just before the member built its
         * report are not in it yet. Take it off before expiring, so that a client that arrived
         * late is matched with its own (oldest) slot rather than a younger one. */
        if (m->reported) {
            uint64_t before = ike_occupancy(&m->load), after = ike_occupancy(load);
            if (after > before) flight_reduce(m, after - before);
        }
        m->load = *load;
        m->reported = true;
    }
    flight_expire(p, m, now);
    return found ? 0 : 1;
}

static void remove_at(struct clb_place *p, size_t i)
{
    memmove(&p->m[i], &p->m[i + 1], (p->n - i - 1) * sizeof p->m[0]);
    p->n--;
}

bool clb_place_remove(struct clb_place *p, uint32_t id)
{
    bool found;
    size_t i = find(p, id, &found);
    if (found) remove_at(p, i);
    return found;
}

void clb_place_clear(struct clb_place *p)
{
    p->n = 0;
}

size_t clb_place_count(const struct clb_place *p)
{
    return p->n;
}

static bool is_silent(const struct clb_place *p, const struct clb_place_member *m, int64_t now)
{
    return !m->info.self && now - m->seen_ms >= (int64_t)p->cfg.holdtime_ms;
}

size_t clb_place_expire(struct clb_place *p, int64_t now, uint32_t *dropped, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n;) {
        if (is_silent(p, &p->m[i], now)) {
            if (n < cap) dropped[n] = p->m[i].info.id;
            n++;
            remove_at(p, i);
        } else {
            i++;
        }
    }
    return n;
}

/* ---- the formula ---- */

struct eval {
    enum clb_member_status status;
    uint64_t sessions;  /* ike + in_neg + in flight */
    uint64_t num, den;  /* combined load = num / den (a fraction of 1) */
    uint64_t score_num; /* score = score_num / max_session, compared by cross-multiplying */
};

static uint32_t pct(uint32_t v)
{
    return v > 100 ? 100 : v;
}

static uint32_t system_pct(const struct clb_place_load *l)
{
    uint32_t c = pct(l->cpu_pct), mem = pct(l->mem_pct);
    return c > mem ? c : mem;
}

static void evaluate(const struct clb_place *p, const struct clb_place_member *m, int64_t now,
                     struct eval *e)
{
    uint64_t wc = p->cfg.weight_crypto, ws = p->cfg.weight_system;
    if (wc + ws == 0) wc = 1; /* both weights 0: crypto load alone */
    uint64_t max = m->info.max_session;
    const struct clb_place_load *l = &m->load;
    uint64_t flying = flight_live(p, m, now);
    e->sessions = ike_occupancy(l) + flying;
    /* combined = (wc * sessions/max + ws * system/100) / (wc + ws)
     *          = (100 wc sessions + ws system max) / (100 max (wc + ws))
     * sessions < 2^34 and every factor here <= 10^5, so all of it fits in 64 bits. */
    e->num = 100 * wc * e->sessions + ws * system_pct(l) * max;
    e->den = 100 * max * (wc + ws);
    e->score_num = 0;
    if (is_silent(p, m, now)) {
        e->status = CLB_MEMBER_DOWN;
    } else if (!m->reported) {
        e->status = CLB_MEMBER_JOINING;
    } else if (e->sessions >= max || (l->max_sa && e->sessions >= l->max_sa) ||
               (l->max_in_neg && l->in_neg >= l->max_in_neg)) {
        /* max-sa is a lasting limit, so clients in flight count against it; the
         * in-negotiation limit is transient (half-open SAs resolve in a round trip or two),
         * so only the member's own report of it counts (see the doc). */
        e->status = CLB_MEMBER_FULL;
    } else if (e->num * 100 >= (uint64_t)p->cfg.overload_limit * e->den) {
        e->status = CLB_MEMBER_OVERLOADED;
    } else {
        /* Eligible, so sessions < max <= 10^5: num <= 2 * 10^9, score_num < 4 * 10^11, and
         * score_num * max < 4 * 10^16. The common factor 100 (wc + ws) is left out. */
        e->status = CLB_MEMBER_UP;
        e->score_num =
            (100 * wc * e->sessions + ws * system_pct(l) * max) * (99 + (uint64_t)m->info.priority);
    }
}

/* Is member a (evaluated as ea) a better target than b? Lower score, then lower priority number,
 * then lower crypto load (this spreads clients between reports even when the crypto weight is
 * 0), then lower id. Both are eligible, so sessions < max_session <= 10^5. */
static bool better(const struct clb_place_member *a, const struct eval *ea,
                   const struct clb_place_member *b, const struct eval *eb)
{
    uint64_t sa = ea->score_num * b->info.max_session, sb = eb->score_num * a->info.max_session;
    if (sa != sb) return sa < sb;
    if (a->info.priority != b->info.priority) return a->info.priority < b->info.priority;
    uint64_t ca = ea->sessions * b->info.max_session, cb = eb->sessions * a->info.max_session;
    if (ca != cb) return ca < cb;
    return a->info.id < b->info.id;
}

static long choose(const struct clb_place *p, int64_t now)
{
    long best = -1;
    struct eval eb = {0};
    for (size_t i = 0; i < p->n; i++) {
        struct eval e;
        evaluate(p, &p->m[i], now, &e);
        if (e.status != CLB_MEMBER_UP) continue;
        if (best < 0 || better(&p->m[i], &e, &p->m[best], &eb)) {
            best = (long)i;
            eb = e;
        }
    }
    return best;
}

static void fill_pick(const struct clb_place_member *m, struct clb_pick *out)
{
    out->id = m->info.id;
    out->addr = m->info.addr;
    out->self = m->info.self;
}

bool clb_place_pick(struct clb_place *p, int64_t now, struct clb_pick *out)
{
    long i = choose(p, now);
    if (i < 0) return false;
    struct clb_place_member *m = &p->m[i];
    flight_expire(p, m, now);
    flight_add(p, m, now);
    fill_pick(m, out);
    return true;
}

bool clb_place_peek(const struct clb_place *p, int64_t now, struct clb_pick *out)
{
    long i = choose(p, now);
    if (i < 0) return false;
    fill_pick(&p->m[i], out);
    return true;
}

const char *clb_place_status_str(enum clb_member_status s)
{
    switch (s) {
    case CLB_MEMBER_UP: return "up";
    case CLB_MEMBER_OVERLOADED: return "overloaded";
    case CLB_MEMBER_FULL: return "full";
    case CLB_MEMBER_DOWN: return "down";
    case CLB_MEMBER_JOINING: return "joining";
    }
    return "?";
}

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

size_t clb_place_snapshot(const struct clb_place *p, int64_t now, struct clb_member_view *out,
                          size_t cap)
{
    long next = choose(p, now);
    for (size_t i = 0; i < p->n && i < cap; i++) {
        const struct clb_place_member *m = &p->m[i];
        struct clb_member_view *v = &out[i];
        struct eval e;
        evaluate(p, m, now, &e);
        memset(v, 0, sizeof *v);
        v->info = m->info;
        v->load = m->load;
        v->in_flight = flight_live(p, m, now);
        v->sessions = sat32(e.sessions);
        v->crypto_x10 = sat32(e.sessions * 1000 / m->info.max_session);
        v->system_x10 = system_pct(&m->load) * 10;
        v->combined_x10 = sat32(e.num * 1000 / e.den);
        v->status = e.status;
        v->next = (long)i == next;
        v->silent_ms = m->info.self || now < m->seen_ms ? 0 : now - m->seen_ms;
    }
    return p->n;
}
