/* Unit tests for ike/ike_pool.c: `ip local pool` ranges and the address leases the IKEv2
 * responder hands out (allocation order, exhaustion, release, sticky re-allocation, requested
 * addresses, range edits while addresses are leased, the show and running-config text, and a
 * speed sanity check on a 65,536-address pool). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/ike_pool.h"
#include "platform/strbuf.h"

#define A(a, b, c, d)                                                                              \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static struct ike_pools *ps;
static char err[256];

static int setup(void **state)
{
    (void)state;
    ps = ike_pools_new();
    return ps ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ike_pools_free(ps);
    ps = NULL;
    return 0;
}

static void add(const char *name, uint32_t first, uint32_t last)
{
    err[0] = '\0';
    if (ike_pools_add_range(ps, name, first, last, err, sizeof err))
        fail_msg("add %s: %s", name, err);
}

static uint32_t alloc_ok(const char *name, const char *id, uint32_t req)
{
    uint32_t a = 0;
    int rc = ike_pools_alloc(ps, name, id, req, &a);
    if (rc) fail_msg("alloc from %s for %s: %d", name, id ? id : "(none)", rc);
    return a;
}

static void counts_are(const char *name, unsigned long size, unsigned long in_use,
                       unsigned long outside)
{
    struct ike_pool_counts c;
    assert_int_equal(ike_pools_counts(ps, name, &c), 0);
    assert_int_equal(c.size, size);
    assert_int_equal(c.in_use, in_use);
    assert_int_equal(c.outside, outside);
}

static char *show(const char *name)
{
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(ike_pools_show(ps, name, &sb), 0);
    return sb_detach(&sb);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void test_in_order_then_exhausted(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 10));
    assert_true(ike_pools_exists(ps, "p"));
    for (int i = 1; i <= 10; i++) assert_int_equal(alloc_ok("p", NULL, 0), A(10, 0, 0, i));
    counts_are("p", 10, 10, 0);
    uint32_t a = 0;
    assert_int_equal(ike_pools_alloc(ps, "p", NULL, 0, &a), -ENOSPC);
    assert_int_equal(ike_pools_release(ps, A(10, 0, 0, 4)), 0);
    counts_are("p", 10, 9, 0);
    assert_int_equal(alloc_ok("p", NULL, 0), A(10, 0, 0, 4));
    assert_int_equal(ike_pools_alloc(ps, "nope", NULL, 0, &a), -ENOENT);
}

static void test_release(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 3));
    uint32_t a = alloc_ok("p", "alice", 0);
    const char *who = NULL;
    assert_true(ike_pools_leased(ps, a, &who));
    assert_string_equal(who, "alice");
    assert_int_equal(ike_pools_release(ps, a), 0);
    assert_false(ike_pools_leased(ps, a, NULL));
    assert_int_equal(ike_pools_release(ps, a), -ENOENT);              /* twice */
    assert_int_equal(ike_pools_release(ps, A(10, 0, 0, 2)), -ENOENT); /* never leased */
    assert_int_equal(ike_pools_release(ps, A(9, 9, 9, 9)), -ENOENT);  /* no pool's */
    counts_are("p", 3, 0, 0);
}

/* A rotating cursor: a released address is not handed out again at once, so a client coming
 * back gets the address it had. */
static void test_cursor_rotates(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 5));
    assert_int_equal(alloc_ok("p", NULL, 0), A(10, 0, 0, 1));
    assert_int_equal(ike_pools_release(ps, A(10, 0, 0, 1)), 0);
    assert_int_equal(alloc_ok("p", NULL, 0), A(10, 0, 0, 2));
    assert_int_equal(alloc_ok("p", NULL, 0), A(10, 0, 0, 3));
    assert_int_equal(alloc_ok("p", NULL, 0), A(10, 0, 0, 4));
    assert_int_equal(alloc_ok("p", NULL, 0), A(10, 0, 0, 5));
    assert_int_equal(alloc_ok("p", NULL, 0), A(10, 0, 0, 1)); /* wrapped */
}

static void test_sticky(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 4));
    uint32_t alice = alloc_ok("p", "alice", 0);
    assert_int_equal(ike_pools_release(ps, alice), 0);
    uint32_t bob = alloc_ok("p", "bob", 0);
    assert_int_not_equal(bob, alice);
    assert_int_equal(alloc_ok("p", "alice", 0), alice);
    assert_int_equal(ike_pools_release(ps, alice), 0);
    assert_int_equal(ike_pools_release(ps, bob), 0);
    /* Someone else takes alice's old address (requested): alice gets another one. */
    assert_int_equal(alloc_ok("p", "carol", alice), alice);
    uint32_t again = alloc_ok("p", "alice", 0);
    assert_int_not_equal(again, alice);
    /* bob's memory survived all that. */
    assert_int_equal(alloc_ok("p", "bob", 0), bob);
}

/* One identity, two sessions (two devices with one certificate): two addresses; its latest is
 * what it gets back. */
static void test_identity_twice(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 8));
    uint32_t a1 = alloc_ok("p", "dev", 0), a2 = alloc_ok("p", "dev", 0);
    assert_int_not_equal(a1, a2);
    assert_int_equal(ike_pools_release(ps, a1), 0);
    assert_int_equal(ike_pools_release(ps, a2), 0);
    alloc_ok("p", "x", 0); /* moves the cursor on */
    assert_int_equal(alloc_ok("p", "dev", 0), a2);
}

static void test_requested(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 10));
    add("q", A(10, 0, 1, 1), A(10, 0, 1, 10));
    assert_int_equal(alloc_ok("p", "a", A(10, 0, 0, 7)), A(10, 0, 0, 7));
    /* Leased: another one. */
    assert_int_equal(alloc_ok("p", "b", A(10, 0, 0, 7)), A(10, 0, 0, 1));
    /* Outside the pool (in another pool, or in none): ignored. */
    assert_int_equal(alloc_ok("p", "c", A(10, 0, 1, 5)), A(10, 0, 0, 2));
    assert_int_equal(alloc_ok("p", "d", A(192, 168, 0, 1)), A(10, 0, 0, 3));
    /* The request wins over the identity's last address. */
    assert_int_equal(ike_pools_release(ps, A(10, 0, 0, 7)), 0);
    assert_int_equal(alloc_ok("p", "a", A(10, 0, 0, 9)), A(10, 0, 0, 9));
}

static void test_validation(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t first, last;
        const char *msg;
    } bad[] = {
        {"p", A(10, 0, 0, 9), A(10, 0, 0, 1), "above the last"},
        {"p", A(0, 0, 0, 1), A(0, 0, 0, 9), "cannot be leased"},
        {"p", A(127, 0, 0, 1), A(127, 0, 0, 9), "cannot be leased"},
        {"p", A(224, 0, 0, 1), A(224, 0, 0, 9), "cannot be leased"},
        {"p", A(10, 0, 0, 1), A(255, 255, 255, 255), "cannot be leased"},
        {"p", A(10, 0, 0, 0), A(10, 16, 0, 0), "too large"},
        {"", A(10, 0, 0, 1), A(10, 0, 0, 2), "Invalid pool name"},
        {"a b", A(10, 0, 0, 1), A(10, 0, 0, 2), "invalid character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(
            ike_pools_add_range(ps, bad[i].name, bad[i].first, bad[i].last, err, sizeof err), -1);
        assert_contains(err, bad[i].msg);
        assert_true(err[0] == '%');
    }
    assert_true(ike_pools_empty(ps));
    /* The largest range allowed: exactly IKE_POOL_MAX_RANGE addresses. */
    add("big", A(10, 0, 0, 0), A(10, 0, 0, 0) + IKE_POOL_MAX_RANGE - 1);
    counts_are("big", IKE_POOL_MAX_RANGE, 0, 0);
}

static void test_overlap_and_duplicates(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 10));
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 10)); /* the same range again: nothing changes */
    counts_are("p", 10, 0, 0);
    err[0] = '\0';
    assert_int_equal(
        ike_pools_add_range(ps, "p", A(10, 0, 0, 10), A(10, 0, 0, 20), err, sizeof err), -1);
    assert_contains(err, "overlaps with pool p");
    assert_int_equal(ike_pools_add_range(ps, "q", A(10, 0, 0, 5), A(10, 0, 0, 5), err, sizeof err),
                     -1);
    assert_contains(err, "overlaps with pool p (10.0.0.1 - 10.0.0.10)");
    add("q", A(10, 0, 0, 11), A(10, 0, 0, 11));
    counts_are("q", 1, 0, 0);
}

static void test_several_ranges(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 2));
    add("p", A(10, 9, 0, 1), A(10, 9, 0, 2));
    add("p", A(10, 5, 0, 1), A(10, 5, 0, 1));
    uint32_t want[] = {A(10, 0, 0, 1), A(10, 0, 0, 2), A(10, 9, 0, 1), A(10, 9, 0, 2),
                       A(10, 5, 0, 1)};
    for (size_t i = 0; i < 5; i++) assert_int_equal(alloc_ok("p", NULL, 0), want[i]);
    uint32_t a;
    assert_int_equal(ike_pools_alloc(ps, "p", NULL, 0, &a), -ENOSPC);
    counts_are("p", 5, 5, 0);
    struct strbuf sb = STRBUF_INIT;
    ike_pools_render(ps, &sb);
    assert_string_equal(sb_str(&sb), "ip local pool p 10.0.0.1 10.0.0.2\n"
                                     "ip local pool p 10.9.0.1 10.9.0.2\n"
                                     "ip local pool p 10.5.0.1\n");
    sb_free(&sb);
}

/* Leases survive range edits: a removed range's leased addresses stay leased (and are shown as
 * outside) until released; re-adding the range does not hand them out twice. */
static void test_range_edits(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 4));
    add("p", A(10, 0, 1, 1), A(10, 0, 1, 4));
    uint32_t a1 = alloc_ok("p", "a", 0), a2 = alloc_ok("p", "b", 0);
    assert_int_equal(
        ike_pools_remove_range(ps, "p", A(10, 0, 0, 1), A(10, 0, 0, 4), err, sizeof err), 0);
    assert_true(ike_pools_leased(ps, a1, NULL));
    counts_are("p", 4, 0, 2);
    char *text = show("p");
    assert_contains(text, " p: 2 addresses in use outside the configured ranges\n");
    assert_contains(text, "        10.0.0.1        a  (outside the configured ranges)\n");
    free(text);
    /* New allocations come from what is left. */
    assert_int_equal(alloc_ok("p", "c", 0), A(10, 0, 1, 1));
    /* Back again: 10.0.0.2 is still b's, so it is not handed out. */
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 4));
    counts_are("p", 8, 3, 0);
    assert_int_equal(alloc_ok("p", "d", A(10, 0, 0, 2)), A(10, 0, 1, 2));
    assert_int_equal(ike_pools_release(ps, a2), 0);
    assert_int_equal(alloc_ok("p", "e", A(10, 0, 0, 2)), A(10, 0, 0, 2));
    /* Not a range of the pool. */
    assert_int_equal(
        ike_pools_remove_range(ps, "p", A(10, 0, 0, 1), A(10, 0, 0, 3), err, sizeof err), -1);
    assert_contains(err, "is not in pool p");
}

static void test_pool_removed_while_leased(void **state)
{
    (void)state;
    add("p", A(10, 0, 0, 1), A(10, 0, 0, 4));
    uint32_t a = alloc_ok("p", "a", 0);
    assert_int_equal(ike_pools_remove(ps, "p", err, sizeof err), 0);
    assert_false(ike_pools_exists(ps, "p"));
    assert_true(ike_pools_empty(ps));
    uint32_t b;
    assert_int_equal(ike_pools_alloc(ps, "p", "x", 0, &b), -ENOENT);
    counts_are("p", 0, 0, 1);
    /* Another pool takes the space: the leased address is not its to give. */
    add("q", A(10, 0, 0, 1), A(10, 0, 0, 2));
    counts_are("q", 2, 1, 0);
    assert_int_equal(alloc_ok("q", "y", 0), A(10, 0, 0, 2));
    assert_int_equal(ike_pools_alloc(ps, "q", "z", 0, &b), -ENOSPC);
    assert_int_equal(ike_pools_release(ps, a), 0);
    /* The last lease gone, the removed pool is forgotten. */
    struct ike_pool_counts c;
    assert_int_equal(ike_pools_counts(ps, "p", &c), -1);
    assert_int_equal(alloc_ok("q", "z", 0), a);
    assert_int_equal(ike_pools_remove(ps, "nope", err, sizeof err), -1);
}

static void test_show_layout(void **state)
{
    (void)state;
    add("pool1", A(172, 16, 1, 1), A(172, 16, 1, 255));
    char *text = show(NULL);
    assert_string_equal(
        text, " Pool                     Begin           End             Free  In use   Blocked\n"
              " pool1                    172.16.1.1      172.16.1.255     255      0         0\n");
    free(text);
    text = show("pool1");
    assert_string_equal(
        text, " Pool                     Begin           End             Free  In use   Blocked\n"
              " pool1                    172.16.1.1      172.16.1.255     255      0         0\n"
              "Available addresses:\n"
              "        172.16.1.1 - 172.16.1.255\n"
              "Inuse addresses:\n"
              "        None\n");
    free(text);
    add("pool1", A(172, 16, 2, 1), A(172, 16, 2, 10));
    alloc_ok("pool1", "cn=client1", 0);
    alloc_ok("pool1", NULL, 0);
    text = show("pool1");
    assert_string_equal(
        text, " Pool                     Begin           End             Free  In use   Blocked\n"
              " pool1                    172.16.1.1      172.16.1.255     253      2         0\n"
              "                          172.16.2.1      172.16.2.10       10      0         0\n"
              "Available addresses:\n"
              "        172.16.1.3 - 172.16.1.255\n"
              "        172.16.2.1 - 172.16.2.10\n"
              "Inuse addresses:\n"
              "        172.16.1.1      cn=client1\n"
              "        172.16.1.2      -\n");
    free(text);
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(ike_pools_show(ps, "other", &sb), -1);
    assert_int_equal(sb.len, 0);
    sb_free(&sb);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 65,536 addresses leased, released and leased again by the same identities (which get their
 * addresses back) well within a second each way, even under the sanitizers. */
static void test_speed_65k(void **state)
{
    (void)state;
    enum { N = 65536 };
    add("big", A(10, 64, 0, 0), A(10, 64, 255, 255));
    uint32_t *got = calloc(N, sizeof *got);
    unsigned char *seen = calloc(N, 1);
    assert_non_null(got);
    assert_non_null(seen);
    char id[32];
    double t0 = now_s();
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "client%d", i);
        got[i] = alloc_ok("big", id, 0);
        uint32_t off = got[i] - A(10, 64, 0, 0);
        assert_true(off < N);
        assert_int_equal(seen[off], 0);
        seen[off] = 1;
    }
    double t1 = now_s();
    uint32_t a;
    assert_int_equal(ike_pools_alloc(ps, "big", "late", 0, &a), -ENOSPC);
    counts_are("big", N, N, 0);
    for (int i = 0; i < N; i++) assert_int_equal(ike_pools_release(ps, got[i]), 0);
    counts_are("big", N, 0, 0);
    double t2 = now_s();
    for (int i = N - 1; i >= 0; i--) {
        snprintf(id, sizeof id, "client%d", i);
        assert_int_equal(alloc_ok("big", id, 0), got[i]);
    }
    double t3 = now_s();
    print_message("65536 leases: %.3f s, releases: %.3f s, sticky re-leases: %.3f s\n", t1 - t0,
                  t2 - t1, t3 - t2);
    assert_true(t1 - t0 < 2.0);
    assert_true(t3 - t2 < 2.0);
    free(got);
    free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_order_then_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_rotates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sticky, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlap_and_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range_edits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_removed_while_leased, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_speed_65k, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
