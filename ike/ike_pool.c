#include "ike/ike_pool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/strbuf.h"

struct pool;

struct range {
    uint32_t first, last;
    uint32_t used;  /* bits set: leased addresses in the range, whichever pool leased them */
    uint64_t *bits; /* bit i: first + i is leased */
    struct pool *pool;
};

struct pool {
    char name[IKE_POOL_NAME_MAX];
    struct range **ranges; /* in the order added */
    size_t nranges;
    size_t cur_range; /* the allocation cursor: the next address to try */
    uint32_t cur_off;
    unsigned long leased; /* leases held from this pool (inside its ranges or not) */
    struct pool *next;    /* in the order created */
};

/* One per address that is leased or remembers its last holder. */
struct lease {
    uint32_t addr;
    bool in_use;
    bool linked;       /* the identity index points here (the identity's latest lease) */
    struct pool *pool; /* while in use */
    char *identity;    /* NULL: none */
    struct lease *next_addr, *next_id;
};

struct ike_pools {
    struct pool *pools;
    size_t npools;
    unsigned long total;   /* addresses in all ranges */
    struct range **sorted; /* every range, by first address (they never overlap) */
    size_t nsorted;
    struct lease **by_addr;
    size_t addr_cap, nleases;
    struct lease **by_id;
    size_t id_cap, nlinked;
};

static const char *ipstr(uint32_t host, char *buf)
{
    struct in_addr a = {htonl(host)};
    inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
    return buf;
}

struct ike_pools *ike_pools_new(void)
{
    struct ike_pools *ps = calloc(1, sizeof *ps);
    if (!ps) return NULL;
    ps->addr_cap = ps->id_cap = 64;
    ps->by_addr = calloc(ps->addr_cap, sizeof *ps->by_addr);
    ps->by_id = calloc(ps->id_cap, sizeof *ps->by_id);
    if (!ps->by_addr || !ps->by_id) {
        ike_pools_free(ps);
        return NULL;
    }
    return ps;
}

static void range_free(struct range *r)
{
    if (!r) return;
    free(r->bits);
    free(r);
}

static void pool_free(struct pool *p)
{
    for (size_t i = 0; i < p->nranges; i++) range_free(p->ranges[i]);
    free(p->ranges);
    free(p);
}

void ike_pools_free(struct ike_pools *ps)
{
    if (!ps) return;
    while (ps->pools) {
        struct pool *p = ps->pools;
        ps->pools = p->next;
        pool_free(p);
    }
    for (size_t i = 0; ps->by_addr && i < ps->addr_cap; i++) {
        for (struct lease *l = ps->by_addr[i], *n; l; l = n) {
            n = l->next_addr;
            free(l->identity);
            free(l);
        }
    }
    free(ps->by_addr);
    free(ps->by_id);
    free(ps->sorted);
    free(ps);
}

/* ---- hash tables ---- */

static size_t addr_slot(uint32_t addr, size_t cap)
{
    return (size_t)((addr * 2654435761u) ^ (addr >> 16)) & (cap - 1);
}

static uint32_t id_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static struct lease *lease_find(const struct ike_pools *ps, uint32_t addr)
{
    for (struct lease *l = ps->by_addr[addr_slot(addr, ps->addr_cap)]; l; l = l->next_addr)
        if (l->addr == addr) return l;
    return NULL;
}

static struct lease *id_find(const struct ike_pools *ps, const char *identity)
{
    for (struct lease *l = ps->by_id[id_hash(identity) & (ps->id_cap - 1)]; l; l = l->next_id)
        if (!strcmp(l->identity, identity)) return l;
    return NULL;
}

/* Doubling keeps both tables at most one entry per bucket on average; on allocation failure the
 * tables just get longer chains. */
static void addr_grow(struct ike_pools *ps)
{
    size_t cap = ps->addr_cap * 2;
    struct lease **v = calloc(cap, sizeof *v);
    if (!v) return;
    for (size_t i = 0; i < ps->addr_cap; i++) {
        for (struct lease *l = ps->by_addr[i], *n; l; l = n) {
            n = l->next_addr;
            size_t s = addr_slot(l->addr, cap);
            l->next_addr = v[s];
            v[s] = l;
        }
    }
    free(ps->by_addr);
    ps->by_addr = v;
    ps->addr_cap = cap;
}

static void id_grow(struct ike_pools *ps)
{
    size_t cap = ps->id_cap * 2;
    struct lease **v = calloc(cap, sizeof *v);
    if (!v) return;
    for (size_t i = 0; i < ps->id_cap; i++) {
        for (struct lease *l = ps->by_id[i], *n; l; l = n) {
            n = l->next_id;
            size_t s = id_hash(l->identity) & (cap - 1);
            l->next_id = v[s];
            v[s] = l;
        }
    }
    free(ps->by_id);
    ps->by_id = v;
    ps->id_cap = cap;
}

static void id_unlink(struct ike_pools *ps, struct lease *l)
{
    if (!l->linked) return;
    for (struct lease **pp = &ps->by_id[id_hash(l->identity) & (ps->id_cap - 1)]; *pp;
         pp = &(*pp)->next_id) {
        if (*pp == l) {
            *pp = l->next_id;
            break;
        }
    }
    l->linked = false;
    l->next_id = NULL;
    ps->nlinked--;
}

static void id_link(struct ike_pools *ps, struct lease *l)
{
    if (ps->nlinked >= ps->id_cap) id_grow(ps);
    size_t s = id_hash(l->identity) & (ps->id_cap - 1);
    l->next_id = ps->by_id[s];
    ps->by_id[s] = l;
    l->linked = true;
    ps->nlinked++;
}

static void lease_destroy(struct ike_pools *ps, struct lease *l)
{
    id_unlink(ps, l);
    for (struct lease **pp = &ps->by_addr[addr_slot(l->addr, ps->addr_cap)]; *pp;
         pp = &(*pp)->next_addr) {
        if (*pp == l) {
            *pp = l->next_addr;
            break;
        }
    }
    ps->nleases--;
    free(l->identity);
    free(l);
}

/* ---- ranges ---- */

static struct range *range_of(const struct ike_pools *ps, uint32_t addr)
{
    size_t lo = 0, hi = ps->nsorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        struct range *r = ps->sorted[mid];
        if (addr < r->first)
            hi = mid;
        else if (addr > r->last)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

static bool bit_get(const struct range *r, uint32_t addr)
{
    uint32_t i = addr - r->first;
    return r->bits[i / 64] >> (i % 64) & 1;
}

static void bit_set(struct range *r, uint32_t addr, bool on)
{
    uint32_t i = addr - r->first;
    uint64_t m = (uint64_t)1 << (i % 64);
    if (on && !(r->bits[i / 64] & m)) {
        r->bits[i / 64] |= m;
        r->used++;
    } else if (!on && (r->bits[i / 64] & m)) {
        r->bits[i / 64] &= ~m;
        r->used--;
    }
}

static uint32_t range_size(const struct range *r)
{
    return r->last - r->first + 1;
}

static struct pool *pool_find(const struct ike_pools *ps, const char *name)
{
    for (struct pool *p = ps->pools; p; p = p->next)
        if (!strcmp(p->name, name)) return p;
    return NULL;
}

bool ike_pools_exists(const struct ike_pools *ps, const char *name)
{
    const struct pool *p = name ? pool_find(ps, name) : NULL;
    return p && p->nranges > 0;
}

bool ike_pools_empty(const struct ike_pools *ps)
{
    return ps->nsorted == 0;
}

static int valid_name(const char *name, char *err, size_t errlen)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= IKE_POOL_NAME_MAX) {
        snprintf(err, errlen, "%% Invalid pool name: 1 to %d characters", IKE_POOL_NAME_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= 0x20 || ch >= 0x7f) {
            snprintf(err, errlen, "%% Invalid pool name: it contains an invalid character");
            return -1;
        }
    }
    return 0;
}

/* Addresses a client can be given: not "this network" (0/8), not loopback (127/8), not
 * multicast or reserved (224/3, which holds the limited broadcast) — RFC 1122 §3.2.1.3. */
static bool leasable(uint32_t a)
{
    return (a >> 24) != 0 && (a >> 24) != 127 && a < 0xe0000000u;
}

static void pool_unlink_free(struct ike_pools *ps, struct pool *p)
{
    for (struct pool **pp = &ps->pools; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    ps->npools--;
    pool_free(p);
}

/* A pool object lives while it has ranges or leases. */
static void pool_maybe_free(struct ike_pools *ps, struct pool *p)
{
    if (p->nranges == 0 && p->leased == 0) pool_unlink_free(ps, p);
}

static int sorted_insert(struct ike_pools *ps, struct range *r)
{
    struct range **v = realloc(ps->sorted, (ps->nsorted + 1) * sizeof *v);
    if (!v) return -1;
    ps->sorted = v;
    size_t pos = 0;
    while (pos < ps->nsorted && ps->sorted[pos]->first < r->first) pos++;
    memmove(&v[pos + 1], &v[pos], (ps->nsorted - pos) * sizeof *v);
    v[pos] = r;
    ps->nsorted++;
    return 0;
}

static void sorted_remove(struct ike_pools *ps, struct range *r)
{
    for (size_t i = 0; i < ps->nsorted; i++) {
        if (ps->sorted[i] == r) {
            memmove(&ps->sorted[i], &ps->sorted[i + 1], (ps->nsorted - i - 1) * sizeof *ps->sorted);
            ps->nsorted--;
            return;
        }
    }
}

int ike_pools_add_range(struct ike_pools *ps, const char *name, uint32_t first, uint32_t last,
                        char *err, size_t errlen)
{
    char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
    if (valid_name(name, err, errlen)) return -1;
    if (first > last) {
        snprintf(err, errlen, "%% Invalid range %s - %s: the first address is above the last",
                 ipstr(first, b1), ipstr(last, b2));
        return -1;
    }
    if (!leasable(first) || !leasable(last)) {
        snprintf(err, errlen,
                 "%% Invalid range %s - %s: addresses in 0/8, 127/8 and 224/3 cannot "
                 "be leased",
                 ipstr(first, b1), ipstr(last, b2));
        return -1;
    }
    struct pool *p = pool_find(ps, name);
    for (size_t i = 0; p && i < p->nranges; i++)
        if (p->ranges[i]->first == first && p->ranges[i]->last == last) return 0;
    uint32_t size = last - first + 1;
    if (last - first >= IKE_POOL_MAX_RANGE) {
        snprintf(err, errlen, "%% Range %s - %s is too large (at most %u addresses)",
                 ipstr(first, b1), ipstr(last, b2), IKE_POOL_MAX_RANGE);
        return -1;
    }
    for (size_t i = 0; i < ps->nsorted; i++) {
        const struct range *o = ps->sorted[i];
        if (first <= o->last && o->first <= last) {
            char b3[INET_ADDRSTRLEN], b4[INET_ADDRSTRLEN];
            snprintf(err, errlen, "%% Range %s - %s overlaps with pool %s (%s - %s)",
                     ipstr(first, b1), ipstr(last, b2), o->pool->name, ipstr(o->first, b3),
                     ipstr(o->last, b4));
            return -1;
        }
    }
    if (ps->total + size > IKE_POOL_MAX_TOTAL) {
        snprintf(err, errlen, "%% Too many pool addresses (at most %u in all pools)",
                 IKE_POOL_MAX_TOTAL);
        return -1;
    }
    if (p && p->nranges >= IKE_POOL_MAX_RANGES) {
        snprintf(err, errlen, "%% Too many ranges in pool %s (at most %d)", name,
                 IKE_POOL_MAX_RANGES);
        return -1;
    }
    if (!p && ps->npools >= IKE_POOL_MAX_POOLS) {
        snprintf(err, errlen, "%% Too many pools (at most %d)", IKE_POOL_MAX_POOLS);
        return -1;
    }
    struct range *r = calloc(1, sizeof *r);
    if (r) {
        r->first = first, r->last = last;
        r->bits = calloc((size + 63) / 64, sizeof *r->bits);
    }
    struct range **rv = NULL;
    bool new_pool = !p;
    if (new_pool) {
        p = calloc(1, sizeof *p);
        if (p) snprintf(p->name, sizeof p->name, "%s", name);
    }
    if (p) rv = realloc(p->ranges, (p->nranges + 1) * sizeof *rv);
    if (rv) p->ranges = rv;
    if (!r || !r->bits || !p || !rv || sorted_insert(ps, r)) {
        range_free(r);
        if (new_pool && p) pool_free(p);
        snprintf(err, errlen, "%% Out of memory");
        return -1;
    }
    r->pool = p;
    p->ranges[p->nranges++] = r;
    if (new_pool) {
        struct pool **tail = &ps->pools;
        while (*tail) tail = &(*tail)->next;
        *tail = p;
        ps->npools++;
    }
    ps->total += size;
    /* Leases still held in this space (from a removed range) keep their addresses. */
    if (ps->nleases < size) {
        for (size_t i = 0; i < ps->addr_cap; i++)
            for (struct lease *l = ps->by_addr[i]; l; l = l->next_addr)
                if (l->in_use && l->addr >= first && l->addr <= last) bit_set(r, l->addr, true);
    } else {
        for (uint64_t a = first; a <= last; a++) {
            const struct lease *l = lease_find(ps, (uint32_t)a);
            if (l && l->in_use) bit_set(r, (uint32_t)a, true);
        }
    }
    return 0;
}

static void range_drop(struct ike_pools *ps, struct pool *p, size_t idx)
{
    struct range *r = p->ranges[idx];
    memmove(&p->ranges[idx], &p->ranges[idx + 1], (p->nranges - idx - 1) * sizeof *p->ranges);
    p->nranges--;
    /* The cursor stays on the address it pointed at, or moves to the start of the next range. */
    if (p->cur_range > idx)
        p->cur_range--;
    else if (p->cur_range == idx)
        p->cur_off = 0;
    if (p->cur_range >= p->nranges) p->cur_range = 0, p->cur_off = 0;
    sorted_remove(ps, r);
    ps->total -= range_size(r);
    /* Free addresses of the range no longer need remembering; leased ones stay leased. */
    if (ps->nleases < range_size(r)) {
        for (size_t i = 0; i < ps->addr_cap; i++) {
            for (struct lease *l = ps->by_addr[i], *n; l; l = n) {
                n = l->next_addr;
                if (!l->in_use && l->addr >= r->first && l->addr <= r->last) lease_destroy(ps, l);
            }
        }
    } else {
        for (uint64_t a = r->first; a <= r->last; a++) {
            struct lease *l = lease_find(ps, (uint32_t)a);
            if (l && !l->in_use) lease_destroy(ps, l);
        }
    }
    range_free(r);
}

int ike_pools_remove_range(struct ike_pools *ps, const char *name, uint32_t first, uint32_t last,
                           char *err, size_t errlen)
{
    struct pool *p = pool_find(ps, name);
    char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
    if (!p || p->nranges == 0) {
        snprintf(err, errlen, "%% Pool %s does not exist", name);
        return -1;
    }
    for (size_t i = 0; i < p->nranges; i++) {
        if (p->ranges[i]->first == first && p->ranges[i]->last == last) {
            range_drop(ps, p, i);
            pool_maybe_free(ps, p);
            return 0;
        }
    }
    snprintf(err, errlen, "%% Range %s - %s is not in pool %s", ipstr(first, b1), ipstr(last, b2),
             name);
    return -1;
}

int ike_pools_remove(struct ike_pools *ps, const char *name, char *err, size_t errlen)
{
    struct pool *p = pool_find(ps, name);
    if (!p || p->nranges == 0) {
        snprintf(err, errlen, "%% Pool %s does not exist", name);
        return -1;
    }
    while (p->nranges) range_drop(ps, p, p->nranges - 1);
    pool_maybe_free(ps, p);
    return 0;
}

/* ---- leases ---- */

static struct range *pool_range_of(const struct pool *p, uint32_t addr)
{
    for (size_t i = 0; i < p->nranges; i++)
        if (addr >= p->ranges[i]->first && addr <= p->ranges[i]->last) return p->ranges[i];
    return NULL;
}

/* The first clear bit of r at an offset in [from, to), or -1. */
static long first_clear(const struct range *r, uint32_t from, uint32_t to)
{
    uint32_t i = from;
    while (i < to) {
        uint64_t w = ~r->bits[i / 64] >> (i % 64);
        if (w) {
            uint32_t at = i + (uint32_t)__builtin_ctzll(w);
            return at < to ? (long)at : -1;
        }
        i = (i / 64 + 1) * 64;
    }
    return -1;
}

/* The next free address from the cursor, wrapping once round all ranges. Full ranges are
 * skipped by their count, so a scan touches one bitmap word per 64 leased addresses at most. */
static bool cursor_next(struct pool *p, uint32_t *addr)
{
    size_t n = p->nranges;
    for (size_t k = 0; k <= n; k++) {
        size_t ri = (p->cur_range + k) % n;
        struct range *r = p->ranges[ri];
        if (r->used == range_size(r)) continue;
        uint32_t from = k == 0 ? p->cur_off : 0;
        uint32_t to = k == n ? p->cur_off : range_size(r);
        if (from >= range_size(r)) continue;
        long at = first_clear(r, from, to);
        if (at < 0) continue;
        *addr = r->first + (uint32_t)at;
        p->cur_range = ri;
        p->cur_off = (uint32_t)at + 1;
        return true;
    }
    return false;
}

static int take(struct ike_pools *ps, struct pool *p, struct range *r, uint32_t addr,
                const char *identity)
{
    struct lease *l = lease_find(ps, addr);
    if (!l) {
        if (ps->nleases >= ps->addr_cap) addr_grow(ps);
        l = calloc(1, sizeof *l);
        if (!l) return -ENOMEM;
        l->addr = addr;
        size_t s = addr_slot(addr, ps->addr_cap);
        l->next_addr = ps->by_addr[s];
        ps->by_addr[s] = l;
        ps->nleases++;
    }
    /* The address remembered someone else: it forgets them. */
    bool same = identity && l->identity && !strcmp(identity, l->identity);
    if (!same) {
        id_unlink(ps, l);
        free(l->identity);
        l->identity = NULL;
        if (identity) {
            l->identity = strndup(identity, IKE_POOL_IDENTITY_MAX - 1);
            if (!l->identity) {
                lease_destroy(ps, l);
                return -ENOMEM;
            }
        }
    }
    if (l->identity && !l->linked) {
        /* The identity's previous lease is no longer its latest: a free one is forgotten. */
        struct lease *old = id_find(ps, l->identity);
        if (old) {
            id_unlink(ps, old);
            if (!old->in_use) lease_destroy(ps, old);
        }
        id_link(ps, l);
    }
    l->in_use = true;
    l->pool = p;
    p->leased++;
    bit_set(r, addr, true);
    return 0;
}

int ike_pools_alloc(struct ike_pools *ps, const char *name, const char *identity,
                    uint32_t requested, uint32_t *addr)
{
    struct pool *p = name ? pool_find(ps, name) : NULL;
    if (!p || p->nranges == 0) return -ENOENT;
    if (identity && !*identity) identity = NULL;
    char cut[IKE_POOL_IDENTITY_MAX];
    if (identity && strlen(identity) >= sizeof cut) {
        snprintf(cut, sizeof cut, "%.*s", (int)sizeof cut - 1, identity);
        identity = cut;
    }
    struct range *r;
    uint32_t a = 0;
    if (requested && (r = pool_range_of(p, requested)) && !bit_get(r, requested)) {
        a = requested;
    } else {
        const struct lease *prev = identity ? id_find(ps, identity) : NULL;
        if (prev && !prev->in_use && (r = pool_range_of(p, prev->addr)))
            a = prev->addr;
        else if (cursor_next(p, &a))
            r = pool_range_of(p, a);
        else
            return -ENOSPC;
    }
    int rc = take(ps, p, r, a, identity);
    if (rc == 0) *addr = a;
    return rc;
}

int ike_pools_release(struct ike_pools *ps, uint32_t addr)
{
    struct lease *l = lease_find(ps, addr);
    if (!l || !l->in_use) return -ENOENT;
    struct range *r = range_of(ps, addr);
    if (r) bit_set(r, addr, false);
    struct pool *p = l->pool;
    l->in_use = false;
    l->pool = NULL;
    p->leased--;
    /* Remembered only as its identity's latest address, and only while in some range. */
    if (!l->linked || !r) lease_destroy(ps, l);
    pool_maybe_free(ps, p);
    return 0;
}

bool ike_pools_leased(const struct ike_pools *ps, uint32_t addr, const char **identity)
{
    const struct lease *l = lease_find(ps, addr);
    if (!l || !l->in_use) return false;
    if (identity) *identity = l->identity ? l->identity : "";
    return true;
}

/* Leases of p whose address left p's ranges (range edits): one pass over the leases. */
static unsigned long outside_count(const struct ike_pools *ps, const struct pool *p)
{
    unsigned long n = 0;
    for (size_t s = 0; p->leased && s < ps->addr_cap; s++) {
        for (const struct lease *l = ps->by_addr[s]; l; l = l->next_addr) {
            if (!l->in_use || l->pool != p) continue;
            const struct range *r = range_of(ps, l->addr);
            n += !r || r->pool != p;
        }
    }
    return n;
}

int ike_pools_counts(const struct ike_pools *ps, const char *name, struct ike_pool_counts *c)
{
    const struct pool *p = name ? pool_find(ps, name) : NULL;
    if (!p) return -1;
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < p->nranges; i++) {
        c->size += range_size(p->ranges[i]);
        c->in_use += p->ranges[i]->used;
    }
    c->outside = outside_count(ps, p);
    return 0;
}

/* ---- rendering ---- */

void ike_pools_render(const struct ike_pools *ps, struct strbuf *out)
{
    char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
    for (const struct pool *p = ps->pools; p; p = p->next) {
        for (size_t i = 0; i < p->nranges; i++) {
            const struct range *r = p->ranges[i];
            sb_printf(out, "ip local pool %s %s", p->name, ipstr(r->first, b1));
            if (r->last != r->first) sb_printf(out, " %s", ipstr(r->last, b2));
            sb_puts(out, "\n");
        }
    }
}

static void show_rows(const struct ike_pools *ps, const struct pool *p, struct strbuf *out)
{
    char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
    for (size_t i = 0; i < p->nranges; i++) {
        const struct range *r = p->ranges[i];
        /* IOS's columns: the numbers end under the right edge of their headings but one. */
        sb_printf(out, " %-24s %-15s %-15s%5u%7u%10u\n", i == 0 ? p->name : "", ipstr(r->first, b1),
                  ipstr(r->last, b2), range_size(r) - r->used, r->used, 0u);
    }
    unsigned long outside = outside_count(ps, p);
    if (outside)
        sb_printf(out, " %s: %lu address%s in use outside the configured ranges\n", p->name,
                  outside, outside == 1 ? "" : "es");
}

static int lease_cmp(const void *x, const void *y)
{
    const struct lease *a = *(const struct lease *const *)x, *b = *(const struct lease *const *)y;
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static void show_detail(const struct ike_pools *ps, const struct pool *p, struct strbuf *out)
{
    char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
    sb_puts(out, "Available addresses:\n");
    bool any = false;
    for (size_t i = 0; i < p->nranges; i++) {
        const struct range *r = p->ranges[i];
        uint32_t n = range_size(r);
        for (uint32_t k = 0; k < n;) {
            long at = first_clear(r, k, n);
            if (at < 0) break;
            uint32_t end = (uint32_t)at;
            while (end + 1 < n && !bit_get(r, r->first + end + 1)) end++;
            if (end == (uint32_t)at)
                sb_printf(out, "        %s\n", ipstr(r->first + (uint32_t)at, b1));
            else
                sb_printf(out, "        %s - %s\n", ipstr(r->first + (uint32_t)at, b1),
                          ipstr(r->first + end, b2));
            any = true;
            k = end + 1;
        }
    }
    if (!any) sb_puts(out, "        None\n");
    sb_puts(out, "Inuse addresses:\n");
    const struct lease **v = p->leased ? malloc(p->leased * sizeof *v) : NULL;
    size_t n = 0;
    for (size_t s = 0; v && s < ps->addr_cap; s++)
        for (const struct lease *l = ps->by_addr[s]; l; l = l->next_addr)
            if (l->in_use && l->pool == p && n < p->leased) v[n++] = l;
    if (n == 0) sb_puts(out, "        None\n");
    if (n > 1) qsort(v, n, sizeof *v, lease_cmp);
    for (size_t k = 0; k < n; k++) {
        sb_printf(out, "        %-15s %s", ipstr(v[k]->addr, b1),
                  v[k]->identity ? v[k]->identity : "-");
        if (!pool_range_of(p, v[k]->addr)) sb_puts(out, "  (outside the configured ranges)");
        sb_puts(out, "\n");
    }
    free(v);
}

int ike_pools_show(const struct ike_pools *ps, const char *name, struct strbuf *out)
{
    const struct pool *one = name ? pool_find(ps, name) : NULL;
    if (name && !one) return -1;
    sb_puts(out,
            " Pool                     Begin           End             Free  In use   Blocked\n");
    for (const struct pool *p = ps->pools; p; p = p->next)
        if (!one || p == one) show_rows(ps, p, out);
    if (one) show_detail(ps, one, out);
    return 0;
}
