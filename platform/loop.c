#include "loop.h"

#include "strbuf.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define NOT_IN_HEAP SIZE_MAX
#define MAX_EVENTS 64
#define SHUTDOWN_TEXT "% The appliance is shutting down\n"

struct loop_watch {
    int fd;
    bool dead;
    loop_fd_cb cb;
    void *arg;
    /* the live list while watched; afterwards only next, on the deferred-free list */
    struct loop_watch *prev, *next;
};

struct loop_timer {
    loop_t *l;
    loop_timer_cb cb;
    void *arg;
    int64_t deadline;
    uint64_t seq; /* arming order: breaks deadline ties, and keeps a timer re-armed for "now"
                     from firing again within the same loop_run_once */
    size_t idx;   /* position in the heap, NOT_IN_HEAP when not pending */
    bool firing;
    bool freed; /* loop_timer_free was called from its own callback */
};

struct qitem {
    struct qitem *next;
    void (*post)(void *arg); /* NULL: the item is the head of a struct call */
    void *arg;
};

/* Lives on the calling thread's stack until done is posted; nobody touches it after that. */
struct call {
    struct qitem item;
    loop_call_fn fn;
    void *arg;
    int status;
    bool queued;  /* under qlock */
    bool refused; /* fn was not run because the loop stopped */
    struct strbuf out;
    sem_t done;
};

struct loop_sig {
    struct loop_sig *next;
    int fd;
    int signo;
    void (*cb)(loop_t *l, int signo, void *arg);
    void *arg;
};

struct loop {
    int epfd;
    int wakefd;
    bool manual;
    int64_t manual_now;
    atomic_bool stop;
    _Atomic pid_t owner;
    atomic_int callers; /* threads inside loop_call that may still touch the loop */
    int depth;          /* > 0 while dispatching: unwatched watches are freed when it drops to 0 */
    struct loop_watch *live;
    struct loop_watch *dead;
    struct loop_timer **heap;
    size_t nheap, heapcap;
    uint64_t arm_seq;
    struct loop_sig *sigs;

    pthread_mutex_t qlock;
    struct qitem *qhead;
    struct qitem **qtail;
};

loop_t *loop_new(bool manual_clock)
{
    loop_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->manual = manual_clock;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (l->epfd < 0 || l->wakefd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) < 0) {
        if (l->epfd >= 0) close(l->epfd);
        if (l->wakefd >= 0) close(l->wakefd);
        free(l);
        return NULL;
    }
    atomic_init(&l->stop, false);
    atomic_init(&l->owner, gettid());
    atomic_init(&l->callers, 0);
    pthread_mutex_init(&l->qlock, NULL);
    l->qtail = &l->qhead;
    return l;
}

static void wake(loop_t *l)
{
    uint64_t one = 1;
    if (write(l->wakefd, &one, sizeof one) < 0) {
        /* EAGAIN: the counter is saturated, so the loop is awake anyway */
    }
}

static void refuse(struct call *c)
{
    c->status = -1;
    c->refused = true;
    sem_post(&c->done);
}

/* qlock held. Only plain stores and sem_post: loop_stop may run this from a signal handler. */
static void refuse_queued_calls(loop_t *l)
{
    struct qitem **pp = &l->qhead;
    l->qtail = &l->qhead;
    while (*pp) {
        struct qitem *it = *pp;
        if (it->post) {
            pp = &it->next;
            l->qtail = pp;
            continue;
        }
        *pp = it->next;
        struct call *c = (struct call *)it;
        c->queued = false;
        refuse(c);
    }
}

void loop_free(loop_t *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->qlock);
    atomic_store(&l->stop, true);
    refuse_queued_calls(l);
    struct qitem *posts = l->qhead;
    l->qhead = NULL;
    l->qtail = &l->qhead;
    pthread_mutex_unlock(&l->qlock);
    /* callers between entering loop_call and waiting for their answer are about to leave */
    while (atomic_load(&l->callers) > 0) sched_yield();
    while (posts) {
        struct qitem *next = posts->next;
        free(posts);
        posts = next;
    }

    for (size_t i = 0; i < l->nheap; i++) l->heap[i]->idx = NOT_IN_HEAP;
    free(l->heap);
    while (l->live) {
        struct loop_watch *next = l->live->next;
        free(l->live);
        l->live = next;
    }
    while (l->dead) {
        struct loop_watch *next = l->dead->next;
        free(l->dead);
        l->dead = next;
    }
    while (l->sigs) {
        struct loop_sig *next = l->sigs->next;
        close(l->sigs->fd);
        free(l->sigs);
        l->sigs = next;
    }
    close(l->epfd);
    close(l->wakefd);
    pthread_mutex_destroy(&l->qlock);
    free(l);
}

int64_t loop_now(loop_t *l)
{
    if (l->manual) return l->manual_now;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool loop_in_thread(loop_t *l)
{
    return atomic_load(&l->owner) == gettid();
}

/* ---- timers: a binary min-heap on (deadline, seq) ---- */

static bool before(const struct loop_timer *a, const struct loop_timer *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_place(loop_t *l, size_t i, struct loop_timer *t)
{
    l->heap[i] = t;
    t->idx = i;
}

static void sift_up(loop_t *l, size_t i)
{
    struct loop_timer *t = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(t, l->heap[parent])) break;
        heap_place(l, i, l->heap[parent]);
        i = parent;
    }
    heap_place(l, i, t);
}

static void sift_down(loop_t *l, size_t i)
{
    struct loop_timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap) break;
        if (c + 1 < l->nheap && before(l->heap[c + 1], l->heap[c])) c++;
        if (!before(l->heap[c], t)) break;
        heap_place(l, i, l->heap[c]);
        i = c;
    }
    heap_place(l, i, t);
}

static void heap_push(loop_t *l, struct loop_timer *t)
{
    if (l->nheap == l->heapcap) {
        size_t cap = l->heapcap ? l->heapcap * 2 : 64;
        struct loop_timer **h = realloc(l->heap, cap * sizeof *h);
        if (!h) abort();
        l->heap = h;
        l->heapcap = cap;
    }
    heap_place(l, l->nheap++, t);
    sift_up(l, t->idx);
}

static void heap_remove(loop_t *l, struct loop_timer *t)
{
    size_t i = t->idx;
    t->idx = NOT_IN_HEAP;
    struct loop_timer *last = l->heap[--l->nheap];
    if (last == t) return;
    heap_place(l, i, last);
    sift_up(l, i);
    sift_down(l, last->idx);
}

struct loop_timer *loop_timer_new(loop_t *l, loop_timer_cb cb, void *arg)
{
    struct loop_timer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->l = l;
    t->cb = cb;
    t->arg = arg;
    t->idx = NOT_IN_HEAP;
    return t;
}

void loop_timer_start(struct loop_timer *t, int64_t delay_ms)
{
    loop_t *l = t->l;
    if (t->idx != NOT_IN_HEAP) heap_remove(l, t);
    int64_t now = loop_now(l);
    if (delay_ms < 0) delay_ms = 0;
    if (delay_ms > INT64_MAX - now) delay_ms = INT64_MAX - now;
    t->deadline = now + delay_ms;
    t->seq = l->arm_seq++;
    heap_push(l, t);
}

void loop_timer_stop(struct loop_timer *t)
{
    if (t->idx != NOT_IN_HEAP) heap_remove(t->l, t);
}

bool loop_timer_pending(const struct loop_timer *t)
{
    return t->idx != NOT_IN_HEAP;
}

int64_t loop_timer_remaining(const struct loop_timer *t)
{
    if (t->idx == NOT_IN_HEAP) return -1;
    int64_t left = t->deadline - loop_now(t->l);
    return left < 0 ? 0 : left;
}

void loop_timer_free(struct loop_timer *t)
{
    if (!t) return;
    if (t->idx != NOT_IN_HEAP) heap_remove(t->l, t);
    if (t->firing)
        t->freed = true;
    else
        free(t);
}

static void fire(loop_t *l, struct loop_timer *t)
{
    heap_remove(l, t);
    t->firing = true;
    t->cb(l, t->arg);
    if (t->freed)
        free(t);
    else
        t->firing = false;
}

static int run_due_timers(loop_t *l)
{
    uint64_t armed_before = l->arm_seq;
    int64_t now = loop_now(l);
    int n = 0;
    while (l->nheap > 0) {
        struct loop_timer *t = l->heap[0];
        if (t->deadline > now || t->seq >= armed_before) break;
        fire(l, t);
        n++;
    }
    return n;
}

void loop_advance(loop_t *l, int64_t ms)
{
    if (!l->manual || ms <= 0) return;
    int64_t target = ms > INT64_MAX - l->manual_now ? INT64_MAX : l->manual_now + ms;
    while (l->nheap > 0 && l->heap[0]->deadline <= target) {
        struct loop_timer *t = l->heap[0];
        if (t->deadline > l->manual_now) l->manual_now = t->deadline;
        fire(l, t);
    }
    l->manual_now = target;
}

/* ---- fd watches ---- */

struct loop_watch *loop_watch_fd(loop_t *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
    struct loop_watch *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->fd = fd;
    w->cb = cb;
    w->arg = arg;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(w);
        return NULL;
    }
    w->next = l->live;
    if (l->live) l->live->prev = w;
    l->live = w;
    return w;
}

int loop_watch_modify(loop_t *l, struct loop_watch *w, uint32_t events)
{
    if (w->dead) return -1;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -1 : 0;
}

void loop_unwatch(loop_t *l, struct loop_watch *w)
{
    if (!w || w->dead) return;
    /* fails harmlessly if the fd was already closed */
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    w->dead = true;
    if (w->prev)
        w->prev->next = w->next;
    else
        l->live = w->next;
    if (w->next) w->next->prev = w->prev;
    if (l->depth > 0) {
        w->prev = NULL;
        w->next = l->dead;
        l->dead = w;
    } else {
        free(w);
    }
}

/* ---- signals ---- */

static void signal_ready(loop_t *l, int fd, uint32_t events, void *arg)
{
    (void)events;
    struct loop_sig *s = arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) s->cb(l, s->signo, s->arg);
}

int loop_signal(loop_t *l, int signo, void (*cb)(loop_t *l, int signo, void *arg), void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    if (sigaddset(&set, signo) < 0) return -1;
    int err = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (err) {
        errno = err;
        return -1;
    }
    struct loop_sig *s = calloc(1, sizeof *s);
    if (!s) return -1;
    s->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s->fd < 0) {
        free(s);
        return -1;
    }
    s->signo = signo;
    s->cb = cb;
    s->arg = arg;
    if (!loop_watch_fd(l, s->fd, EPOLLIN, signal_ready, s)) {
        err = errno;
        close(s->fd);
        free(s);
        errno = err;
        return -1;
    }
    s->next = l->sigs;
    l->sigs = s;
    return 0;
}

/* ---- cross-thread queue ---- */

static int run_queue(loop_t *l)
{
    pthread_mutex_lock(&l->qlock);
    struct qitem *it = l->qhead;
    l->qhead = NULL;
    l->qtail = &l->qhead;
    for (struct qitem *p = it; p; p = p->next)
        if (!p->post) ((struct call *)p)->queued = false;
    pthread_mutex_unlock(&l->qlock);

    int n = 0;
    while (it) {
        struct qitem *next = it->next;
        if (it->post) {
            it->post(it->arg);
            free(it);
        } else {
            struct call *c = (struct call *)it;
            if (atomic_load(&l->stop)) {
                refuse(c);
            } else {
                c->status = c->fn(c->arg, &c->out);
                sem_post(&c->done);
            }
        }
        n++;
        it = next;
    }
    return n;
}

static void enqueue(loop_t *l, struct qitem *it)
{
    it->next = NULL;
    *l->qtail = it;
    l->qtail = &it->next;
}

/* qlock held; it is known to be queued */
static void unlink_item(loop_t *l, struct qitem *it)
{
    struct qitem **pp = &l->qhead;
    while (*pp != it) pp = &(*pp)->next;
    *pp = it->next;
    if (l->qtail == &it->next) l->qtail = pp;
}

void loop_post(loop_t *l, void (*fn)(void *arg), void *arg)
{
    struct qitem *it = malloc(sizeof *it);
    if (!it) abort();
    it->post = fn;
    it->arg = arg;
    pthread_mutex_lock(&l->qlock);
    enqueue(l, it);
    pthread_mutex_unlock(&l->qlock);
    wake(l);
}

int loop_call(loop_t *l, loop_call_fn fn, void *arg, char **text_out)
{
    struct call c = {.fn = fn, .arg = arg, .out = STRBUF_INIT};

    if (atomic_load(&l->stop)) {
        c.refused = true;
    } else if (loop_in_thread(l)) {
        c.status = fn(arg, &c.out);
    } else {
        atomic_fetch_add(&l->callers, 1);
        sem_init(&c.done, 0, 0);
        bool wait = true;
        pthread_mutex_lock(&l->qlock);
        if (atomic_load(&l->stop)) {
            c.refused = true;
            wait = false;
        } else {
            enqueue(l, &c.item);
            c.queued = true;
        }
        pthread_mutex_unlock(&l->qlock);
        if (wait) {
            wake(l);
            /* A loop_stop that could not take qlock (we held it) left our call queued; with
             * nobody running the loop it would never be answered. */
            if (atomic_load(&l->stop)) {
                pthread_mutex_lock(&l->qlock);
                if (c.queued) {
                    unlink_item(l, &c.item);
                    c.queued = false;
                    c.refused = true;
                    wait = false;
                }
                pthread_mutex_unlock(&l->qlock);
            }
        }
        atomic_fetch_sub(&l->callers, 1);
        if (wait)
            while (sem_wait(&c.done) < 0 && errno == EINTR) continue;
        sem_destroy(&c.done);
    }

    if (c.refused) {
        c.status = -1;
        sb_reset(&c.out);
        sb_puts(&c.out, SHUTDOWN_TEXT);
    }
    if (text_out)
        *text_out = sb_detach(&c.out);
    else
        sb_free(&c.out);
    return c.status;
}

void loop_stop(loop_t *l)
{
    atomic_store(&l->stop, true);
    wake(l);
    /* Answer calls nobody may ever run. If qlock is busy, its holder or the loop thread will. */
    if (pthread_mutex_trylock(&l->qlock) == 0) {
        refuse_queued_calls(l);
        pthread_mutex_unlock(&l->qlock);
    }
}

/* ---- dispatch ---- */

static void free_dead(loop_t *l)
{
    while (l->dead) {
        struct loop_watch *next = l->dead->next;
        free(l->dead);
        l->dead = next;
    }
}

int loop_run_once(loop_t *l, int timeout_ms)
{
    int timeout = timeout_ms < 0 ? -1 : timeout_ms;
    if (l->nheap > 0) {
        int64_t wait = l->heap[0]->deadline - loop_now(l);
        if (wait < 0) wait = 0;
        if (l->manual) {
            if (wait == 0) timeout = 0;
        } else if (timeout < 0 || wait < timeout) {
            timeout = wait > INT_MAX ? INT_MAX : (int)wait;
        }
    }

    struct epoll_event ev[MAX_EVENTS];
    int n = epoll_wait(l->epfd, ev, MAX_EVENTS, timeout);
    int handled = 0;
    l->depth++;
    for (int i = 0; i < n; i++) {
        struct loop_watch *w = ev[i].data.ptr;
        if (!w) {
            uint64_t v;
            if (read(l->wakefd, &v, sizeof v) < 0) {
                /* EAGAIN: another round already consumed the wakeup */
            }
            continue;
        }
        if (w->dead) continue;
        w->cb(l, w->fd, ev[i].events, w->arg);
        handled++;
    }
    handled += run_due_timers(l);
    handled += run_queue(l);
    if (--l->depth == 0) free_dead(l);
    return handled;
}

int loop_run(loop_t *l)
{
    atomic_store(&l->owner, gettid());
    while (!atomic_load(&l->stop)) loop_run_once(l, -1);
    run_queue(l);
    return 0;
}
