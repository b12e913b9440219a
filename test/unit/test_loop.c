#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "platform/loop.h"
#include "platform/strbuf.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* ---- timers ---- */

struct trace {
    loop_t *l;
    char order[64];
    size_t n;
    int64_t when[64];
};

struct tag {
    struct trace *tr;
    char name;
    struct loop_timer *t;
    int64_t rearm; /* re-arm with this delay, rearms_left times */
    int rearms_left;
};

static void record(loop_t *l, void *arg)
{
    struct tag *g = arg;
    struct trace *tr = g->tr;
    if (tr->n < sizeof tr->order - 1) {
        tr->when[tr->n] = loop_now(l);
        tr->order[tr->n++] = g->name;
    }
    if (g->rearms_left > 0) {
        g->rearms_left--;
        loop_timer_start(g->t, g->rearm);
    }
}

static void test_timer_order(void **state)
{
    (void)state;
    loop_t *l = loop_new(true);
    assert_non_null(l);
    assert_int_equal(loop_now(l), 0);
    struct trace tr = {.l = l};
    struct tag a = {&tr, 'a', NULL, 0, 0}, b = {&tr, 'b', NULL, 0, 0}, c = {&tr, 'c', NULL, 0, 0},
               d = {&tr, 'd', NULL, 0, 0};
    a.t = loop_timer_new(l, record, &a);
    b.t = loop_timer_new(l, record, &b);
    c.t = loop_timer_new(l, record, &c);
    d.t = loop_timer_new(l, record, &d);
    loop_timer_start(a.t, 300);
    loop_timer_start(b.t, 100);
    loop_timer_start(c.t, 200);
    loop_timer_start(d.t, 100); /* same deadline as b, armed later: fires after b */

    loop_advance(l, 99);
    assert_int_equal(tr.n, 0);
    assert_int_equal(loop_now(l), 99);
    assert_true(loop_timer_pending(b.t));
    assert_int_equal(loop_timer_remaining(b.t), 1);

    loop_advance(l, 1000);
    assert_string_equal(tr.order, "bdca");
    assert_int_equal(tr.when[0], 100);
    assert_int_equal(tr.when[1], 100);
    assert_int_equal(tr.when[2], 200);
    assert_int_equal(tr.when[3], 300);
    assert_int_equal(loop_now(l), 1099);
    assert_false(loop_timer_pending(a.t));
    assert_int_equal(loop_timer_remaining(a.t), -1);

    loop_timer_free(a.t);
    loop_timer_free(b.t);
    loop_timer_free(c.t);
    loop_timer_free(d.t);
    loop_free(l);
}

static void test_timer_rearm_within_advance(void **state)
{
    (void)state;
    loop_t *l = loop_new(true);
    struct trace tr = {.l = l};
    struct tag a = {&tr, 'a', NULL, 30, 10}, b = {&tr, 'b', NULL, 0, 0};
    a.t = loop_timer_new(l, record, &a);
    b.t = loop_timer_new(l, record, &b);
    loop_timer_start(a.t, 30);
    loop_timer_start(b.t, 70);

    loop_advance(l, 100); /* a at 30, 60, 90; b at 70 */
    assert_string_equal(tr.order, "aaba");
    assert_int_equal(tr.when[0], 30);
    assert_int_equal(tr.when[1], 60);
    assert_int_equal(tr.when[2], 70);
    assert_int_equal(tr.when[3], 90);
    assert_true(loop_timer_pending(a.t));
    assert_int_equal(loop_timer_remaining(a.t), 20);

    /* re-arming a pending timer moves it */
    loop_timer_start(a.t, 5);
    assert_int_equal(loop_timer_remaining(a.t), 5);
    loop_advance(l, 4);
    assert_int_equal(tr.n, 4);
    loop_advance(l, 1);
    assert_int_equal(tr.n, 5);
    assert_int_equal(tr.when[4], 105);

    loop_timer_free(a.t);
    loop_timer_free(b.t);
    loop_free(l);
}

static void test_timer_stop(void **state)
{
    (void)state;
    loop_t *l = loop_new(true);
    struct trace tr = {.l = l};
    struct tag a = {&tr, 'a', NULL, 0, 0}, b = {&tr, 'b', NULL, 0, 0};
    a.t = loop_timer_new(l, record, &a);
    b.t = loop_timer_new(l, record, &b);
    loop_timer_start(a.t, 10);
    loop_timer_start(b.t, 20);
    loop_timer_stop(a.t);
    loop_timer_stop(a.t); /* idempotent */
    assert_false(loop_timer_pending(a.t));
    assert_int_equal(loop_timer_remaining(a.t), -1);
    loop_advance(l, 50);
    assert_string_equal(tr.order, "b");
    loop_timer_free(a.t);
    loop_timer_free(b.t);
    loop_free(l);
}

/* run_once fires timers due at the manual time, never earlier ones, and a timer re-armed for
 * "now" only on the next round. */
static void test_timer_run_once_manual(void **state)
{
    (void)state;
    loop_t *l = loop_new(true);
    struct trace tr = {.l = l};
    struct tag a = {&tr, 'a', NULL, 0, 0};
    a.t = loop_timer_new(l, record, &a);
    loop_timer_start(a.t, 0);
    assert_int_equal(loop_run_once(l, 0), 1);
    assert_string_equal(tr.order, "a");
    loop_timer_start(a.t, 10);
    assert_int_equal(loop_run_once(l, 0), 0);
    assert_int_equal(tr.n, 1);

    /* re-armed for "now" from its own callback: once per round, not in a tight loop */
    loop_advance(l, 10);
    assert_int_equal(tr.n, 2);
    a.rearm = 0;
    a.rearms_left = 3;
    loop_timer_start(a.t, 0);
    assert_int_equal(loop_run_once(l, 0), 1);
    assert_int_equal(tr.n, 3);
    assert_int_equal(loop_run_once(l, 0), 1);
    assert_int_equal(tr.n, 4);
    loop_timer_free(a.t);
    loop_free(l);
}

struct self_free {
    struct loop_timer *t;
    int fired;
};

static void free_myself(loop_t *l, void *arg)
{
    (void)l;
    struct self_free *sf = arg;
    sf->fired++;
    loop_timer_start(sf->t, 10); /* even re-armed first */
    loop_timer_free(sf->t);
}

static void test_timer_free_in_callback(void **state)
{
    (void)state;
    loop_t *l = loop_new(true);
    struct self_free sf = {0};
    sf.t = loop_timer_new(l, free_myself, &sf);
    loop_timer_start(sf.t, 5);
    loop_advance(l, 100);
    assert_int_equal(sf.fired, 1);
    loop_free(l);
}

#define MANY 200000

struct many {
    int64_t last;
    int fired;
    int disorder;
};

static void many_cb(loop_t *l, void *arg)
{
    struct many *m = arg;
    if (loop_now(l) < m->last) m->disorder++;
    m->last = loop_now(l);
    m->fired++;
}

static void test_many_timers(void **state)
{
    (void)state;
    loop_t *l = loop_new(true);
    struct many m = {0};
    struct loop_timer **t = calloc(MANY, sizeof *t);
    assert_non_null(t);
    srand(7);
    for (int i = 0; i < MANY; i++) {
        t[i] = loop_timer_new(l, many_cb, &m);
        loop_timer_start(t[i], 1 + rand() % 100000);
    }
    for (int i = 0; i < MANY; i += 2) loop_timer_stop(t[i]);
    loop_advance(l, 50000);
    int half = m.fired;
    assert_true(half > MANY / 8 && half < MANY * 3 / 8);
    loop_advance(l, 50000);
    assert_int_equal(m.fired, MANY / 2);
    assert_int_equal(m.disorder, 0);
    for (int i = 0; i < MANY; i++) loop_timer_free(t[i]);
    free(t);
    loop_free(l);
}

static void test_timer_real_clock(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    struct trace tr = {.l = l};
    struct tag a = {&tr, 'a', NULL, 0, 0};
    a.t = loop_timer_new(l, record, &a);
    int64_t start = loop_now(l);
    loop_timer_start(a.t, 30);
    while (tr.n == 0) loop_run_once(l, -1); /* the wait comes from the timer */
    assert_true(tr.when[0] - start >= 30);
    assert_true(tr.when[0] - start < 1000);
    loop_timer_free(a.t);
    loop_free(l);
}

/* ---- fd watches ---- */

struct pipe_ctx {
    int reads;
    char got[16];
    struct loop_watch *w;
    struct loop_watch *other;
    bool unwatch_self;
    bool unwatch_other;
    int other_calls;
};

static void on_readable(loop_t *l, int fd, uint32_t events, void *arg)
{
    struct pipe_ctx *p = arg;
    assert_true(events & EPOLLIN);
    ssize_t n = read(fd, p->got, sizeof p->got - 1);
    assert_true(n > 0);
    p->got[n] = '\0';
    p->reads++;
    if (p->unwatch_self) loop_unwatch(l, p->w);
    if (p->unwatch_other) loop_unwatch(l, p->other);
}

static void on_other(loop_t *l, int fd, uint32_t events, void *arg)
{
    (void)l;
    (void)events;
    struct pipe_ctx *p = arg;
    char c;
    if (read(fd, &c, 1) == 1) p->other_calls++;
}

static void test_watch_pipe(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct pipe_ctx p = {0};
    p.w = loop_watch_fd(l, fds[0], EPOLLIN, on_readable, &p);
    assert_non_null(p.w);
    assert_null(loop_watch_fd(l, fds[0], EPOLLIN, on_readable, &p)); /* already watched */

    assert_int_equal(loop_run_once(l, 0), 0);
    assert_int_equal(write(fds[1], "hi", 2), 2);
    assert_int_equal(loop_run_once(l, 1000), 1);
    assert_int_equal(p.reads, 1);
    assert_string_equal(p.got, "hi");

    /* switched to EPOLLOUT only, a readable pipe no longer reports */
    assert_int_equal(loop_watch_modify(l, p.w, 0), 0);
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(loop_run_once(l, 0), 0);
    assert_int_equal(loop_watch_modify(l, p.w, EPOLLIN), 0);
    assert_int_equal(loop_run_once(l, 1000), 1);
    assert_int_equal(p.reads, 2);

    loop_unwatch(l, p.w);
    assert_int_equal(write(fds[1], "y", 1), 1);
    assert_int_equal(loop_run_once(l, 0), 0);
    assert_int_equal(p.reads, 2);
    close(fds[0]);
    close(fds[1]);
    loop_free(l);
}

static void test_unwatch_inside_callback(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    struct pipe_ctx p = {.unwatch_self = true, .unwatch_other = true};
    p.w = loop_watch_fd(l, a[0], EPOLLIN, on_readable, &p);
    p.other = loop_watch_fd(l, b[0], EPOLLIN, on_other, &p);
    /* both readable: whichever runs first, at most one callback happens, and the freed watch
     * still pending in the batch is not touched (ASan would catch it) */
    assert_int_equal(write(a[1], "1", 1), 1);
    assert_int_equal(write(b[1], "2", 1), 1);
    int handled = loop_run_once(l, 1000);
    assert_true(handled == 1 || handled == 2);
    if (p.reads == 1) {
        assert_int_equal(p.other_calls, handled - 1);
    } else {
        /* on_other ran first; on_readable then unwatched both */
        assert_int_equal(p.other_calls, 1);
        assert_int_equal(loop_run_once(l, 1000), 1);
        assert_int_equal(p.reads, 1);
    }
    assert_int_equal(write(a[1], "3", 1), 1);
    assert_int_equal(loop_run_once(l, 0), 0);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    loop_free(l);
}

/* ---- signals ---- */

static void on_signal(loop_t *l, int signo, void *arg)
{
    (void)l;
    int *got = arg;
    *got = signo;
}

static void test_signal(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    int got = 0;
    assert_int_equal(loop_signal(l, SIGUSR1, on_signal, &got), 0);
    assert_int_equal(raise(SIGUSR1), 0);
    for (int i = 0; i < 10 && !got; i++) loop_run_once(l, 100);
    assert_int_equal(got, SIGUSR1);
    assert_int_equal(loop_signal(l, 0, on_signal, &got), -1);
    loop_free(l);
}

/* ---- cross-thread calls ---- */

struct call_ctx {
    loop_t *l;
    pthread_t loop_thread;
    pthread_t ran_on;
    int status;
    char *text;
    bool stop_after;
};

static int reply_fn(void *arg, struct strbuf *out)
{
    struct call_ctx *c = arg;
    c->ran_on = pthread_self();
    sb_printf(out, "hostname %s\n", "R1");
    return 42;
}

static void *caller(void *arg)
{
    struct call_ctx *c = arg;
    assert_false(loop_in_thread(c->l));
    c->status = loop_call(c->l, reply_fn, c, &c->text);
    if (c->stop_after) loop_stop(c->l);
    return NULL;
}

static void test_call_from_thread(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    struct call_ctx c = {.l = l, .loop_thread = pthread_self(), .stop_after = true};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, caller, &c), 0);
    assert_int_equal(loop_run(l), 0);
    pthread_join(th, NULL);
    assert_int_equal(c.status, 42);
    assert_string_equal(c.text, "hostname R1\n");
    assert_true(pthread_equal(c.ran_on, c.loop_thread));
    free(c.text);
    loop_free(l);
}

static void test_call_on_loop_thread(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    struct call_ctx c = {.l = l};
    assert_true(loop_in_thread(l));
    char *text = NULL;
    /* never run: would hang if it queued */
    assert_int_equal(loop_call(l, reply_fn, &c, &text), 42);
    assert_true(pthread_equal(c.ran_on, pthread_self()));
    assert_string_equal(text, "hostname R1\n");
    free(text);
    assert_int_equal(loop_call(l, reply_fn, &c, NULL), 42);
    loop_free(l);
}

static int must_not_run(void *arg, struct strbuf *out)
{
    (void)out;
    *(int *)arg = 1;
    return 0;
}

static void test_call_after_stop(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    loop_stop(l);
    int ran = 0;
    char *text = NULL;
    assert_int_equal(loop_call(l, must_not_run, &ran, &text), -1);
    assert_string_equal(text, "% The appliance is shutting down\n");
    free(text);
    assert_int_equal(ran, 0);
    assert_int_equal(loop_run(l), 0); /* the stop is final: returns at once */
    loop_free(l);
}

struct pending_ctx {
    loop_t *l;
    int ran;
    int status;
    char *text;
};

static void *pending_caller(void *arg)
{
    struct pending_ctx *p = arg;
    p->status = loop_call(p->l, must_not_run, &p->ran, &p->text);
    return NULL;
}

/* A call queued to a loop nobody runs is answered when the loop is stopped. */
static void test_pending_call_refused_on_stop(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    struct pending_ctx p = {.l = l};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, pending_caller, &p), 0);
    usleep(50 * 1000); /* usually queued by now; if not, it is refused at the door instead */
    loop_stop(l);
    pthread_join(th, NULL);
    assert_int_equal(p.status, -1);
    assert_int_equal(p.ran, 0);
    assert_string_equal(p.text, "% The appliance is shutting down\n");
    free(p.text);
    loop_free(l);
}

/* Same, but answered by loop_free. */
static void test_pending_call_refused_on_free(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    struct pending_ctx p = {.l = l};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, pending_caller, &p), 0);
    usleep(50 * 1000);
    loop_free(l);
    pthread_join(th, NULL);
    assert_int_equal(p.status, -1);
    assert_int_equal(p.ran, 0);
    assert_string_equal(p.text, "% The appliance is shutting down\n");
    free(p.text);
}

struct post_ctx {
    char seen[16];
    size_t n;
};

struct post_item {
    struct post_ctx *ctx;
    char c;
};

static void post_fn(void *arg)
{
    struct post_item *it = arg;
    it->ctx->seen[it->ctx->n++] = it->c;
}

static void test_post_order(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    struct post_ctx ctx = {0};
    struct post_item items[5];
    for (int i = 0; i < 5; i++) {
        items[i] = (struct post_item){&ctx, (char)('a' + i)};
        loop_post(l, post_fn, &items[i]);
    }
    assert_int_equal(ctx.n, 0); /* never runs inline */
    assert_int_equal(loop_run_once(l, 1000), 5);
    assert_string_equal(ctx.seen, "abcde");
    loop_free(l);
}

struct poster {
    loop_t *l;
    struct post_ctx *ctx;
    struct post_item items[100];
};

static void stop_fn(void *arg)
{
    loop_stop(arg);
}

static void *post_thread(void *arg)
{
    struct poster *p = arg;
    for (int i = 0; i < 10; i++) {
        p->items[i] = (struct post_item){p->ctx, (char)('0' + i)};
        loop_post(p->l, post_fn, &p->items[i]);
    }
    loop_post(p->l, stop_fn, p->l);
    return NULL;
}

static void test_post_from_thread(void **state)
{
    (void)state;
    loop_t *l = loop_new(false);
    struct post_ctx ctx = {0};
    struct poster p = {.l = l, .ctx = &ctx};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, post_thread, &p), 0);
    assert_int_equal(loop_run(l), 0);
    pthread_join(th, NULL);
    assert_string_equal(ctx.seen, "0123456789");
    loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_timer_rearm_within_advance),
        cmocka_unit_test(test_timer_stop),
        cmocka_unit_test(test_timer_run_once_manual),
        cmocka_unit_test(test_timer_free_in_callback),
        cmocka_unit_test(test_many_timers),
        cmocka_unit_test(test_timer_real_clock),
        cmocka_unit_test(test_watch_pipe),
        cmocka_unit_test(test_unwatch_inside_callback),
        cmocka_unit_test(test_signal),
        cmocka_unit_test(test_call_from_thread),
        cmocka_unit_test(test_call_on_loop_thread),
        cmocka_unit_test(test_call_after_stop),
        cmocka_unit_test(test_pending_call_refused_on_stop),
        cmocka_unit_test(test_pending_call_refused_on_free),
        cmocka_unit_test(test_post_order),
        cmocka_unit_test(test_post_from_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
