#include "log.h"

#include "strbuf.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_BUFFER_SIZE 8192

typedef int64_t (*log_clock_fn)(void);

struct log_sink {
    enum log_sink_kind kind;
    int efd;
    bool attached;         /* under g_lock */
    struct log_sink *next; /* attached sinks, under g_lock */

    pthread_mutex_t lock; /* the queue below */
    char **lines;         /* ring of max_lines */
    size_t max_lines, head, count;
    uint64_t dropped; /* since the last drain */
};

/* Lock order: g_lock, then a sink's lock. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
    bool use_syslog;
    char *ident;

    /* the buffer: a byte ring of whole '\n'-terminated lines */
    char *ring;
    size_t cap, head, used;
    int buffer_level;

    int console_level, monitor_level;
    uint64_t console_logged, monitor_logged, buffer_logged, dropped;
    struct log_sink *sinks;
} g = {
    .cap = DEFAULT_BUFFER_SIZE,
    .buffer_level = LOG_SEV_DEBUGGING,
    .console_level = LOG_SEV_DEBUGGING,
    .monitor_level = LOG_SEV_DEBUGGING,
};

static _Atomic(log_clock_fn) g_clock;

static const char *const level_names[8] = {
    "emergencies", "alerts",        "critical",      "errors",
    "warnings",    "notifications", "informational", "debugging",
};

const char *log_level_name(int level)
{
    return level >= 0 && level <= 7 ? level_names[level] : "unknown";
}

int log_level_parse(const char *s)
{
    if (!s || !*s) return -1;
    if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0') return s[0] - '0';
    size_t n = strlen(s);
    int found = -1, matches = 0;
    for (int i = 0; i < 8; i++) {
        if (strncasecmp(s, level_names[i], n) != 0) continue;
        if (level_names[i][n] == '\0') return i;
        found = i;
        matches++;
    }
    return matches == 1 ? found : -1;
}

void log_init(const char *ident, bool use_syslog)
{
    pthread_mutex_lock(&g_lock);
    if (g.use_syslog) closelog();
    free(g.ident);
    g.ident = strdup(ident ? ident : "ikegated");
    g.use_syslog = use_syslog;
    /* openlog keeps the pointer: g.ident lives until log_shutdown */
    if (use_syslog) openlog(g.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    pthread_mutex_unlock(&g_lock);
}

void log_shutdown(void)
{
    pthread_mutex_lock(&g_lock);
    if (g.use_syslog) closelog();
    g.use_syslog = false;
    free(g.ident);
    g.ident = NULL;
    free(g.ring);
    g.ring = NULL;
    g.cap = DEFAULT_BUFFER_SIZE;
    g.head = g.used = 0;
    g.buffer_level = g.console_level = g.monitor_level = LOG_SEV_DEBUGGING;
    g.console_logged = g.monitor_logged = g.buffer_logged = g.dropped = 0;
    pthread_mutex_unlock(&g_lock);
}

void log_set_clock(int64_t (*now_ms)(void))
{
    atomic_store(&g_clock, now_ms);
}

static int64_t wall_ms(void)
{
    log_clock_fn fn = atomic_load(&g_clock);
    if (fn) return fn();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put_timestamp(struct strbuf *sb)
{
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t ms = wall_ms();
    int64_t sec = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!localtime_r(&t, &tm)) memset(&tm, 0, sizeof tm);
    sb_printf(sb, "*%s %2d %02d:%02d:%02d.%03d: ", months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
              tm.tm_min, tm.tm_sec, (int)frac);
}

/* ---- the buffer ---- */

static void ring_write(const char *s, size_t n)
{
    size_t pos = (g.head + g.used) % g.cap;
    size_t first = n < g.cap - pos ? n : g.cap - pos;
    memcpy(g.ring + pos, s, first);
    memcpy(g.ring, s + first, n - first);
    g.used += n;
}

static void ring_drop_oldest_line(void)
{
    while (g.used > 0) {
        char c = g.ring[g.head];
        g.head = (g.head + 1) % g.cap;
        g.used--;
        if (c == '\n') break;
    }
}

/* line without its '\n' */
static void ring_append(const char *line, size_t len)
{
    if (!g.ring) {
        g.ring = malloc(g.cap);
        if (!g.ring) abort();
        g.head = g.used = 0;
    }
    if (len + 1 > g.cap) {
        /* a line longer than the whole buffer keeps its beginning */
        g.head = g.used = 0;
        ring_write(line, g.cap - 1);
        ring_write("\n", 1);
        return;
    }
    while (g.cap - g.used < len + 1) ring_drop_oldest_line();
    ring_write(line, len);
    ring_write("\n", 1);
}

/* g_lock held */
static void ring_copy_out(struct strbuf *out)
{
    if (!g.ring || g.used == 0) return;
    size_t first = g.used < g.cap - g.head ? g.used : g.cap - g.head;
    sb_append(out, g.ring + g.head, first);
    sb_append(out, g.ring, g.used - first);
}

void log_buffer_config(size_t bytes, int level)
{
    pthread_mutex_lock(&g_lock);
    if (level >= 0 && level <= 7) g.buffer_level = level;
    if (bytes != g.cap) {
        struct strbuf old = STRBUF_INIT;
        ring_copy_out(&old);
        free(g.ring);
        g.ring = NULL;
        g.cap = bytes;
        g.head = g.used = 0;
        if (bytes > 0 && old.len > 0) {
            size_t start = old.len > bytes ? old.len - bytes : 0;
            while (start > 0 && start < old.len && old.buf[start - 1] != '\n') start++;
            g.ring = malloc(bytes);
            if (!g.ring) abort();
            if (start < old.len) ring_write(old.buf + start, old.len - start);
        }
        sb_free(&old);
    }
    pthread_mutex_unlock(&g_lock);
}

size_t log_buffer_size(void)
{
    pthread_mutex_lock(&g_lock);
    size_t n = g.cap;
    pthread_mutex_unlock(&g_lock);
    return n;
}

int log_buffer_level(void)
{
    pthread_mutex_lock(&g_lock);
    int n = g.buffer_level;
    pthread_mutex_unlock(&g_lock);
    return n;
}

void log_buffer_clear(void)
{
    pthread_mutex_lock(&g_lock);
    g.head = g.used = 0;
    pthread_mutex_unlock(&g_lock);
}

static void set_level(int *where, int level)
{
    if (level < 0 || level > 7) return;
    pthread_mutex_lock(&g_lock);
    *where = level;
    pthread_mutex_unlock(&g_lock);
}

static int get_level(const int *where)
{
    pthread_mutex_lock(&g_lock);
    int n = *where;
    pthread_mutex_unlock(&g_lock);
    return n;
}

void log_console_level(int level)
{
    set_level(&g.console_level, level);
}

int log_console_get_level(void)
{
    return get_level(&g.console_level);
}

void log_monitor_level(int level)
{
    set_level(&g.monitor_level, level);
}

int log_monitor_get_level(void)
{
    return get_level(&g.monitor_level);
}

void log_show(struct strbuf *out)
{
    pthread_mutex_lock(&g_lock);
    sb_printf(out,
              "Syslog logging: enabled (%" PRIu64 " messages dropped, 0 flushes, 0 overruns)\n",
              g.dropped);
    sb_printf(out, "    Console logging: level %s, %" PRIu64 " messages logged\n",
              log_level_name(g.console_level), g.console_logged);
    sb_printf(out, "    Monitor logging: level %s, %" PRIu64 " messages logged\n",
              log_level_name(g.monitor_level), g.monitor_logged);
    if (g.cap == 0) {
        sb_puts(out, "    Buffer logging:  disabled\n");
    } else {
        sb_printf(out, "    Buffer logging:  level %s, %" PRIu64 " messages logged\n",
                  log_level_name(g.buffer_level), g.buffer_logged);
        sb_printf(out, "\nLog Buffer (%zu bytes):\n\n", g.cap);
        ring_copy_out(out);
    }
    pthread_mutex_unlock(&g_lock);
}

/* ---- sinks ---- */

struct log_sink *log_sink_new(enum log_sink_kind kind, size_t max_lines)
{
    struct log_sink *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->kind = kind;
    s->max_lines = max_lines ? max_lines : 1;
    s->lines = calloc(s->max_lines, sizeof *s->lines);
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!s->lines || s->efd < 0) {
        if (s->efd >= 0) close(s->efd);
        free(s->lines);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

int log_sink_fd(struct log_sink *s)
{
    return s->efd;
}

void log_sink_attach(struct log_sink *s)
{
    pthread_mutex_lock(&g_lock);
    if (!s->attached) {
        s->attached = true;
        s->next = g.sinks;
        g.sinks = s;
    }
    pthread_mutex_unlock(&g_lock);
}

void log_sink_detach(struct log_sink *s)
{
    pthread_mutex_lock(&g_lock);
    if (s->attached) {
        struct log_sink **pp = &g.sinks;
        while (*pp != s) pp = &(*pp)->next;
        *pp = s->next;
        s->attached = false;
        s->next = NULL;
    }
    pthread_mutex_unlock(&g_lock);
}

/* g_lock held */
static void sink_push(struct log_sink *s, const char *line, size_t len)
{
    pthread_mutex_lock(&s->lock);
    bool was_empty = s->count == 0 && s->dropped == 0;
    if (s->count == s->max_lines) {
        s->dropped++;
        g.dropped++;
    } else {
        char *copy = strndup(line, len);
        if (!copy) abort();
        s->lines[(s->head + s->count) % s->max_lines] = copy;
        s->count++;
    }
    if (was_empty) {
        uint64_t one = 1;
        if (write(s->efd, &one, sizeof one) < 0) {
            /* cannot fail short of a saturated counter, which is readable anyway */
        }
    }
    pthread_mutex_unlock(&s->lock);
}

size_t log_sink_drain(struct log_sink *s, void (*emit)(void *ctx, const char *line), void *ctx)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->count;
    uint64_t dropped = s->dropped;
    char **taken = NULL;
    if (n > 0) {
        taken = malloc(n * sizeof *taken);
        if (!taken) abort();
        for (size_t i = 0; i < n; i++) taken[i] = s->lines[(s->head + i) % s->max_lines];
    }
    s->head = s->count = 0;
    s->dropped = 0;
    uint64_t v;
    if (read(s->efd, &v, sizeof v) < 0) {
        /* EAGAIN: nothing was signalled */
    }
    pthread_mutex_unlock(&s->lock);

    /* outside the lock: emit may be as slow as the terminal behind it */
    for (size_t i = 0; i < n; i++) {
        emit(ctx, taken[i]);
        free(taken[i]);
    }
    free(taken);
    if (dropped > 0) {
        char note[80];
        snprintf(note, sizeof note, "%% %" PRIu64 " log messages dropped (session too slow)",
                 dropped);
        emit(ctx, note);
        n++;
    }
    return n;
}

void log_sink_free(struct log_sink *s)
{
    if (!s) return;
    log_sink_detach(s);
    for (size_t i = 0; i < s->count; i++) free(s->lines[(s->head + i) % s->max_lines]);
    free(s->lines);
    close(s->efd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- producing ---- */

/* line: the whole line without '\n'; body: the part after the timestamp, for syslog */
static void dispatch(int severity, const char *line, size_t len, const char *body)
{
    pthread_mutex_lock(&g_lock);
    bool to_syslog = g.use_syslog;
    if (g.cap > 0 && severity <= g.buffer_level) {
        ring_append(line, len);
        g.buffer_logged++;
    }
    if (severity <= g.console_level) g.console_logged++;
    if (severity <= g.monitor_level) g.monitor_logged++;
    for (struct log_sink *s = g.sinks; s; s = s->next) {
        int level = s->kind == LOG_SINK_CONSOLE ? g.console_level : g.monitor_level;
        if (severity <= level) sink_push(s, line, len);
    }
    pthread_mutex_unlock(&g_lock);
    if (to_syslog) syslog(severity, "%s", body);
}

static void strip_newlines(struct strbuf *sb)
{
    while (sb->len > 0 && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\r'))
        sb->buf[--sb->len] = '\0';
}

static int clamp_severity(int severity)
{
    return severity < 0 ? 0 : severity > 7 ? 7 : severity;
}

void ilog(int severity, const char *facility, const char *mnemonic, const char *fmt, ...)
{
    severity = clamp_severity(severity);
    struct strbuf sb = STRBUF_INIT;
    put_timestamp(&sb);
    size_t body = sb.len;
    sb_printf(&sb, "%%%s-%d-%s: ", facility, severity, mnemonic);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    strip_newlines(&sb);
    dispatch(severity, sb.buf, sb.len, sb.buf + body);
    sb_free(&sb);
}

void ilog_debug(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    put_timestamp(&sb);
    size_t body = sb.len;
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    strip_newlines(&sb);
    dispatch(LOG_SEV_DEBUGGING, sb.buf, sb.len, sb.buf + body);
    sb_free(&sb);
}

/* ---- debug flags ---- */

static pthread_mutex_t d_lock = PTHREAD_MUTEX_INITIALIZER;
static struct debug_flag *d_head, *d_tail;

void debug_register(struct debug_flag *f)
{
    pthread_mutex_lock(&d_lock);
    bool known = false;
    for (struct debug_flag *p = d_head; p; p = p->next)
        if (p == f) known = true;
    if (!known) {
        f->next = NULL;
        if (d_tail)
            d_tail->next = f;
        else
            d_head = f;
        d_tail = f;
    }
    pthread_mutex_unlock(&d_lock);
}

struct debug_flag *debug_flags(void)
{
    pthread_mutex_lock(&d_lock);
    struct debug_flag *f = d_head;
    pthread_mutex_unlock(&d_lock);
    return f;
}

struct debug_flag *debug_find(const char *path)
{
    for (struct debug_flag *f = debug_flags(); f; f = f->next)
        if (strcmp(f->path, path) == 0) return f;
    return NULL;
}

int debug_set(const char *path, bool on)
{
    int found = -1;
    for (struct debug_flag *f = debug_flags(); f; f = f->next) {
        if (strcmp(f->path, path) == 0) {
            f->on = on;
            found = 0;
        }
    }
    return found;
}

void debug_all_off(void)
{
    for (struct debug_flag *f = debug_flags(); f; f = f->next) f->on = 0;
}

void debug_all_on(void)
{
    for (struct debug_flag *f = debug_flags(); f; f = f->next) f->on = 1;
}

static const char *group_of(const struct debug_flag *f)
{
    return f->group ? f->group : "";
}

void debug_show(struct strbuf *out)
{
    /* a snapshot, so a flag switched meanwhile cannot print a group twice */
    size_t n = 0;
    for (struct debug_flag *f = debug_flags(); f; f = f->next) n++;
    struct debug_flag **all = malloc((n ? n : 1) * sizeof *all);
    bool *on = malloc(n ? n : 1);
    if (!all || !on) abort();
    n = 0;
    for (struct debug_flag *f = debug_flags(); f; f = f->next, n++) {
        all[n] = f;
        on[n] = f->on;
    }

    /* groups in the order their first flag registered */
    for (size_t i = 0; i < n; i++) {
        const char *group = group_of(all[i]);
        bool earlier = false, any = false;
        for (size_t j = 0; j < i && !earlier; j++) earlier = strcmp(group_of(all[j]), group) == 0;
        if (earlier) continue;
        for (size_t j = i; j < n; j++) {
            if (!on[j] || strcmp(group_of(all[j]), group) != 0) continue;
            if (!any) sb_printf(out, "%s:\n", group);
            any = true;
            sb_printf(out, "  %s debugging is on\n", all[j]->title ? all[j]->title : all[j]->path);
        }
    }
    free(all);
    free(on);
}
