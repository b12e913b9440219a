#include "sysload.h"

#include "strbuf.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LONGEST_WINDOW_MS 300000

struct sample {
    int64_t t;
    uint64_t busy, total;
};

struct sysload {
    struct sample *ring; /* oldest at head; time-ordered */
    size_t cap, head, n;
    uint64_t rejected;
};

struct sysload *sysload_new(void)
{
    return calloc(1, sizeof(struct sysload));
}

void sysload_free(struct sysload *s)
{
    if (!s) return;
    free(s->ring);
    free(s);
}

static const struct sample *at(const struct sysload *s, size_t i)
{
    return &s->ring[(s->head + i) % s->cap];
}

uint64_t sysload_rejected(const struct sysload *s)
{
    return s->rejected;
}

void sysload_feed(struct sysload *s, int64_t now_ms, uint64_t busy, uint64_t total)
{
    if (busy > total) {
        s->rejected++;
        return;
    }
    if (s->n > 0) {
        const struct sample *last = at(s, s->n - 1);
        if (now_ms <= last->t || busy < last->busy || total <= last->total ||
            busy - last->busy > total - last->total) {
            s->rejected++;
            return;
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct sample *ring = malloc(cap * sizeof *ring);
        if (!ring) abort();
        for (size_t i = 0; i < s->n; i++) ring[i] = *at(s, i);
        free(s->ring);
        s->ring = ring;
        s->cap = cap;
        s->head = 0;
    }
    s->ring[(s->head + s->n) % s->cap] = (struct sample){now_ms, busy, total};
    s->n++;
    /* keep one sample at or beyond the longest window, as its starting point */
    while (s->n >= 2 && at(s, 1)->t <= now_ms - LONGEST_WINDOW_MS) {
        s->head = (s->head + 1) % s->cap;
        s->n--;
    }
}

static double window_pct(const struct sysload *s, int64_t window_ms)
{
    if (!s || s->n < 2) return 0;
    const struct sample *newest = at(s, s->n - 1);
    int64_t from = newest->t - window_ms;
    /* the newest sample at or before `from`; the oldest if there is none */
    size_t lo = 0, hi = s->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (at(s, mid)->t <= from)
            lo = mid;
        else
            hi = mid - 1;
    }
    const struct sample *start = at(s, lo);
    uint64_t dbusy = newest->busy - start->busy, dtotal = newest->total - start->total;
    if (dtotal == 0) return 0;
    uint64_t tenths = (uint64_t)((double)dbusy * 1000.0 / (double)dtotal + 0.5);
    return (double)tenths / 10.0;
}

void sysload_cpu(const struct sysload *s, double *five_sec, double *one_min, double *five_min)
{
    if (five_sec) *five_sec = window_pct(s, 5000);
    if (one_min) *one_min = window_pct(s, 60000);
    if (five_min) *five_min = window_pct(s, LONGEST_WINDOW_MS);
}

/* ---- parsers ---- */

/* Unsigned decimal at *p, advancing it; false without a digit or on overflow. */
static bool parse_u64(const char **p, uint64_t *out)
{
    const char *q = *p;
    if (*q < '0' || *q > '9') return false;
    uint64_t v = 0;
    for (; *q >= '0' && *q <= '9'; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *p = q;
    *out = v;
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int sysload_parse_stat(const char *text, uint64_t *busy, uint64_t *total)
{
    if (!text || strncmp(text, "cpu", 3) != 0 || !is_blank(text[3])) return -1;
    const char *p = text + 3;
    /* user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice] */
    uint64_t v[8] = {0};
    int n = 0;
    for (;;) {
        while (is_blank(*p)) p++;
        if (*p == '\0' || *p == '\n') break;
        uint64_t x;
        if (!parse_u64(&p, &x)) return -1;
        if (!is_blank(*p) && *p != '\n' && *p != '\0') return -1;
        if (n < 8) v[n] = x;
        n++;
    }
    if (n < 8) return -1;
    uint64_t b = 0, t = 0;
    if (__builtin_add_overflow(v[0], v[1], &b) || __builtin_add_overflow(b, v[2], &b) ||
        __builtin_add_overflow(b, v[5], &b) || __builtin_add_overflow(b, v[6], &b) ||
        __builtin_add_overflow(b, v[7], &b) || __builtin_add_overflow(b, v[3], &t) ||
        __builtin_add_overflow(t, v[4], &t))
        return -1;
    *busy = b;
    *total = t;
    return 0;
}

enum { MI_TOTAL, MI_AVAILABLE, MI_FREE, MI_BUFFERS, MI_CACHED, MI_COUNT };

int sysload_parse_meminfo(const char *text, struct sysmem *m)
{
    static const char *const keys[MI_COUNT] = {"MemTotal", "MemAvailable", "MemFree", "Buffers",
                                               "Cached"};
    if (!text) return -1;
    uint64_t val[MI_COUNT] = {0};
    bool have[MI_COUNT] = {false};

    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *colon = memchr(line, ':', len);
        int key = -1;
        for (int i = 0; colon && i < MI_COUNT; i++)
            if ((size_t)(colon - line) == strlen(keys[i]) &&
                memcmp(line, keys[i], (size_t)(colon - line)) == 0)
                key = i;
        if (key >= 0) {
            const char *p = colon + 1;
            while (is_blank(*p)) p++;
            uint64_t kb;
            if (!parse_u64(&p, &kb) || strncmp(p, " kB", 3) != 0) return -1;
            p += 3;
            while (is_blank(*p)) p++;
            if (p != line + len) return -1;
            if (__builtin_mul_overflow(kb, 1024, &val[key])) return -1;
            have[key] = true;
        }
        line += len;
        if (*line == '\n') line++;
    }

    if (!have[MI_TOTAL]) return -1;
    uint64_t avail = val[MI_AVAILABLE];
    if (!have[MI_AVAILABLE]) {
        if (!have[MI_FREE]) return -1;
        if (__builtin_add_overflow(val[MI_FREE], val[MI_BUFFERS], &avail) ||
            __builtin_add_overflow(avail, val[MI_CACHED], &avail))
            return -1;
        if (avail > val[MI_TOTAL]) avail = val[MI_TOTAL];
    }
    if (avail > val[MI_TOTAL]) return -1;
    m->total = val[MI_TOTAL];
    m->free = avail;
    m->used = val[MI_TOTAL] - avail;
    m->process_rss = 0;
    return 0;
}

/* ---- /proc readers ---- */

/* The whole file, NUL-terminated, if it fits in buf. Returns its length or -1. */
static ssize_t read_small_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = 0;
    for (;;) {
        if (len == size - 1) {
            close(fd);
            return -1;
        }
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return (ssize_t)len;
}

/* The first line of a file that may be long (/proc/stat has a line per CPU and more). */
static int read_first_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    bool ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    return ok && strchr(buf, '\n') ? 0 : -1;
}

int sysload_sample_proc(struct sysload *s, int64_t now_ms)
{
    char line[512];
    uint64_t busy, total;
    if (read_first_line("/proc/stat", line, sizeof line) < 0) return -1;
    if (sysload_parse_stat(line, &busy, &total) < 0) return -1;
    sysload_feed(s, now_ms, busy, total);
    return 0;
}

int sysload_mem(struct sysmem *m)
{
    char buf[16384];
    if (read_small_file("/proc/meminfo", buf, sizeof buf) < 0) return -1;
    if (sysload_parse_meminfo(buf, m) < 0) return -1;
    if (read_small_file("/proc/self/statm", buf, sizeof buf) < 0) return -1;
    const char *p = buf;
    uint64_t size, resident;
    if (!parse_u64(&p, &size) || *p++ != ' ' || !parse_u64(&p, &resident)) return -1;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || __builtin_mul_overflow(resident, (uint64_t)page, &m->process_rss)) return -1;
    return 0;
}

/* ---- show processes ---- */

static int rounded(double pct)
{
    return (int)(pct + 0.5);
}

struct thread_row {
    long tid;
    char name[64];
    uint64_t runtime_ms, invoked;
};

static int by_tid(const void *a, const void *b)
{
    long x = ((const struct thread_row *)a)->tid, y = ((const struct thread_row *)b)->tid;
    return (x > y) - (x < y);
}

/* utime and stime are fields 14 and 15, counted from the pid; the command name before them is
 * in parentheses and may itself contain spaces and parentheses. */
static bool parse_task_stat(const char *text, uint64_t *ticks)
{
    const char *p = strrchr(text, ')');
    if (!p) return false;
    p++;
    uint64_t utime = 0, stime = 0;
    for (int field = 3; field <= 15; field++) {
        while (is_blank(*p)) p++;
        if (!*p) return false;
        if (field == 14 || field == 15) {
            if (!parse_u64(&p, field == 14 ? &utime : &stime)) return false;
        } else {
            while (*p && !is_blank(*p)) p++;
        }
    }
    *ticks = utime + stime;
    return true;
}

static uint64_t status_field(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p) return 0;
    p += strlen(key);
    while (is_blank(*p)) p++;
    uint64_t v = 0;
    return parse_u64(&p, &v) ? v : 0;
}

static bool read_thread(long tid, struct thread_row *row)
{
    char path[64], buf[4096];
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t ticks;

    row->tid = tid;
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    if (read_small_file(path, buf, sizeof buf) < 0 || !parse_task_stat(buf, &ticks)) return false;
    row->runtime_ms = hz > 0 ? ticks * 1000 / (uint64_t)hz : 0;

    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
    if (read_small_file(path, row->name, sizeof row->name) < 0) strcpy(row->name, "?");
    row->name[strcspn(row->name, "\n")] = '\0';

    snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
    row->invoked = 0;
    if (read_small_file(path, buf, sizeof buf) >= 0)
        row->invoked = status_field(buf, "\nvoluntary_ctxt_switches:") +
                       status_field(buf, "\nnonvoluntary_ctxt_switches:");
    return true;
}

void sysload_show_cpu(const struct sysload *s, struct strbuf *out)
{
    double five_sec, one_min, five_min;
    sysload_cpu(s, &five_sec, &one_min, &five_min);
    sb_printf(out,
              "CPU utilization for five seconds: %d%%/0%%; one minute: %d%%; five minutes: %d%%\n",
              rounded(five_sec), rounded(one_min), rounded(five_min));
    sb_puts(out, "\n PID Runtime(ms)     Invoked      uSecs   5Sec   1Min   5Min TTY Process\n");

    DIR *d = opendir("/proc/self/task");
    if (!d) return;
    struct thread_row *rows = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*end || tid <= 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            rows = realloc(rows, cap * sizeof *rows);
            if (!rows) abort();
        }
        if (read_thread(tid, &rows[n])) n++;
    }
    closedir(d);

    qsort(rows, n, sizeof *rows, by_tid);
    for (size_t i = 0; i < n; i++) {
        const struct thread_row *r = &rows[i];
        uint64_t usecs = r->invoked ? r->runtime_ms * 1000 / r->invoked : 0;
        sb_printf(out,
                  "%4ld %11" PRIu64 " %11" PRIu64 " %10" PRIu64 "  0.00%%  0.00%%  0.00%% %3d %s\n",
                  r->tid, r->runtime_ms, r->invoked, usecs, 0, r->name);
    }
    free(rows);
}

void sysload_show_mem(struct strbuf *out)
{
    struct sysmem m;
    if (sysload_mem(&m) < 0) {
        sb_puts(out, "% Memory statistics are not available\n");
        return;
    }
    sb_printf(out, "Processor Pool Total:  %" PRIu64 " Used:  %" PRIu64 " Free:  %" PRIu64 "\n",
              m.total, m.used, m.free);
    sb_printf(out, "ikegated RSS: %" PRIu64 " bytes\n", m.process_rss);
}
