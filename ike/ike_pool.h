/* `ip local pool`: named IPv4 address pools and the leases the IKEv2 responder hands out of
 * them (the INTERNAL_IP4_ADDRESS of RFC 7296 §3.15). Pure: no I/O, no clock, engine thread only.
 *
 * A pool is an ordered list of ranges (several `ip local pool NAME FIRST LAST` lines with one
 * name add ranges, as IOS). Ranges of all pools never overlap, so an address belongs to at most
 * one range. Each range keeps a bitmap of the addresses in use; allocation scans it from a
 * rotating cursor, so a released address is not handed out again soon and a client that comes
 * back usually gets the address it had (the lease remembers its last holder's identity).
 *
 * Leases outlive range edits: removing a range (or the whole pool) while addresses of it are in
 * use keeps those leases until they are released; `show ip local pool` marks them. All
 * addresses are in host byte order. */
#ifndef IKEGATE_IKE_POOL_H
#define IKEGATE_IKE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define IKE_POOL_NAME_MAX 64          /* 63 characters */
#define IKE_POOL_MAX_RANGE (1u << 20) /* addresses in one range */
#define IKE_POOL_MAX_TOTAL (1u << 22) /* addresses in all ranges of all pools */
#define IKE_POOL_MAX_POOLS 1024
#define IKE_POOL_MAX_RANGES 256   /* ranges in one pool */
#define IKE_POOL_IDENTITY_MAX 256 /* longer identities are cut (stickiness only) */

struct ike_pools; /* every pool and every lease */

struct ike_pools *ike_pools_new(void); /* NULL when out of memory */
void ike_pools_free(struct ike_pools *ps);

/* ---- configuration ---- */

/* `ip local pool NAME FIRST [LAST]`: adds the range to the pool, creating it. Adding a range
 * the pool already has is a no-op. Returns 0, or -1 with an IOS-style message in err: a bad
 * name, FIRST > LAST, an address that cannot be leased (0.0.0.0/8, 127/8, class D and E), a
 * range over IKE_POOL_MAX_RANGE, overlap with a range of any pool, or a limit reached. */
int ike_pools_add_range(struct ike_pools *ps, const char *name, uint32_t first, uint32_t last,
                        char *err, size_t errlen);
/* `no ip local pool NAME FIRST [LAST]`: removes exactly that range. */
int ike_pools_remove_range(struct ike_pools *ps, const char *name, uint32_t first, uint32_t last,
                           char *err, size_t errlen);
/* `no ip local pool NAME`: removes every range of the pool. */
int ike_pools_remove(struct ike_pools *ps, const char *name, char *err, size_t errlen);
/* Is a pool of that name configured (at least one range)? */
bool ike_pools_exists(const struct ike_pools *ps, const char *name);

/* ---- leases ---- */

/* Lease an address of pool `name` to a client. Preference: `requested` (0: none) when it is in
 * the pool's ranges and free; else the address `identity` (NULL or "": none) held last, when it
 * is in the pool's ranges and free; else the next free address after the pool's cursor.
 * Returns 0 and *addr, -ENOENT (no such pool, or it has no ranges) or -ENOSPC (exhausted). */
int ike_pools_alloc(struct ike_pools *ps, const char *name, const char *identity,
                    uint32_t requested, uint32_t *addr);
/* Give a leased address back. The address is remembered for its identity until someone else
 * gets it. Returns 0, or -ENOENT when the address is not leased. */
int ike_pools_release(struct ike_pools *ps, uint32_t addr);
/* Is addr leased? *identity (if non-NULL) gets its holder ("" when none was given). */
bool ike_pools_leased(const struct ike_pools *ps, uint32_t addr, const char **identity);

struct ike_pool_counts {
    unsigned long size;    /* addresses in the pool's ranges */
    unsigned long in_use;  /* leased addresses within the pool's ranges */
    unsigned long outside; /* leased from this pool, no longer within its ranges */
};
/* -1 when no pool of that name exists (neither configured nor holding leases). */
int ike_pools_counts(const struct ike_pools *ps, const char *name, struct ike_pool_counts *c);

/* ---- rendering ---- */

/* The `ip local pool` lines of the running-config, pools in the order created, ranges in the
 * order added; nothing else (the caller adds the `!`). */
void ike_pools_render(const struct ike_pools *ps, struct strbuf *out);
/* `show ip local pool [NAME]` in IOS's layout. With a name: also the available ranges and the
 * leased addresses with their identities. Returns -1 (and writes nothing) when NAME names no
 * pool. */
int ike_pools_show(const struct ike_pools *ps, const char *name, struct strbuf *out);
/* True when no pool is configured (the running-config has no `ip local pool` line). */
bool ike_pools_empty(const struct ike_pools *ps);

#endif
