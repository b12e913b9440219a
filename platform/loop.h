/* The engine thread's event loop: fd watches, timers, signals and calls from other threads.
 *
 * Everything except loop_stop, loop_call, loop_post and loop_in_thread must be used on the loop
 * thread only. */
#ifndef IKEGATE_LOOP_H
#define IKEGATE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct strbuf;
typedef struct loop loop_t;

/* manual_clock: time only moves with loop_advance(). */
loop_t *loop_new(bool manual_clock);
/* Releases the loop and any fd watches still registered. Timers stay owned by whoever created
 * them: they are merely disarmed here and may still be passed to loop_timer_free afterwards.
 * Calls still queued get -1; posts still queued are dropped without running. */
void loop_free(loop_t *l);
/* ms; CLOCK_MONOTONIC, or the manual clock (starts at 0). */
int64_t loop_now(loop_t *l);
/* Runs until loop_stop(); records the calling thread as the loop thread; returns 0. Posts queued
 * before it returns are run, calls still queued are refused. */
int loop_run(loop_t *l);
/* Thread-safe and async-signal-safe. Final: a stopped loop refuses calls and loop_run returns
 * at once. */
void loop_stop(loop_t *l);
/* One epoll_wait (timeout_ms < 0: until something happens) + due timers + queued calls.
 * Returns the number of fd events, timers and queued calls handled. */
int loop_run_once(loop_t *l, int timeout_ms);
/* Manual clock: advance, firing due timers in deadline order (a timer that re-arms itself for a
 * time inside the window fires again within the same advance). No effect on a real clock. */
void loop_advance(loop_t *l, int64_t ms);
/* True on the thread running loop_run (or if no thread runs it yet and called from the creating
 * thread). */
bool loop_in_thread(loop_t *l);

typedef void (*loop_fd_cb)(loop_t *l, int fd, uint32_t events, void *arg);
struct loop_watch;
/* events: EPOLLIN etc. NULL if epoll refuses the fd (e.g. it is already watched). */
struct loop_watch *loop_watch_fd(loop_t *l, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_watch_modify(loop_t *l, struct loop_watch *w, uint32_t events);
/* Safe to call from inside any callback, including its own. Does not close the fd. */
void loop_unwatch(loop_t *l, struct loop_watch *w);

typedef void (*loop_timer_cb)(loop_t *l, void *arg);
struct loop_timer;
struct loop_timer *loop_timer_new(loop_t *l, loop_timer_cb cb, void *arg);
/* (Re)arm relative to loop_now. A negative delay counts as 0. */
void loop_timer_start(struct loop_timer *t, int64_t delay_ms);
void loop_timer_stop(struct loop_timer *t);
bool loop_timer_pending(const struct loop_timer *t);
/* ms until it fires (0 if overdue), -1 if not pending. */
int64_t loop_timer_remaining(const struct loop_timer *t);
/* Safe from inside its own callback. NULL is ignored. */
void loop_timer_free(struct loop_timer *t);

/* Signals via signalfd. Blocks signo in the calling thread's mask: call before creating other
 * threads. Returns 0, or -1 with errno set. */
int loop_signal(loop_t *l, int signo, void (*cb)(loop_t *l, int signo, void *arg), void *arg);

/* Cross-thread call: a CLI session thread asks the loop thread to run fn and waits for the reply.
 * fn runs on the loop thread, writes any reply text into *out and returns a status.
 * If called on the loop thread itself (or before loop_run started, from the creating thread),
 * fn runs directly.
 * Returns fn's status; *text_out receives malloc'd NUL-terminated reply text (caller frees),
 * never NULL (text_out may itself be NULL to discard the text).
 * If the loop is stopped/stopping, returns -1 with text "% The appliance is shutting down\n"
 * without running fn. */
typedef int (*loop_call_fn)(void *arg, struct strbuf *out);
int loop_call(loop_t *l, loop_call_fn fn, void *arg, char **text_out);
/* Fire-and-forget: queue fn(arg) to run on the loop thread (thread-safe), in posting order. */
void loop_post(loop_t *l, void (*fn)(void *arg), void *arg);

#endif
