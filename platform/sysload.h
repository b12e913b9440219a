/* CPU and memory load: a pure core fed with samples, and thin readers of /proc. */
#ifndef IKEGATE_SYSLOAD_H
#define IKEGATE_SYSLOAD_H

#include <stdint.h>

struct strbuf;

struct sysload; /* opaque */
struct sysload *sysload_new(void);
void sysload_free(struct sysload *s);
/* Feed one sample: cumulative busy and total jiffies (as from /proc/stat's "cpu" line), at time
 * now_ms. Out-of-order or non-increasing counters are ignored (counted). */
void sysload_feed(struct sysload *s, int64_t now_ms, uint64_t busy, uint64_t total);
/* How many samples sysload_feed ignored. */
uint64_t sysload_rejected(const struct sysload *s);
/* Percent busy (0..100, rounded to one decimal) over the last 5 s / 60 s / 300 s: from the newest
 * sample back to the newest one at least that old; with less history, over what there is;
 * 0 with fewer than 2 samples. */
void sysload_cpu(const struct sysload *s, double *five_sec, double *one_min, double *five_min);
/* Reads /proc/stat and feeds it (busy = user+nice+system+irq+softirq+steal, total adds
 * idle+iowait). 0 ok, -1 if /proc/stat could not be read or parsed. */
int sysload_sample_proc(struct sysload *s, int64_t now_ms);

/* bytes: MemTotal, MemTotal-MemAvailable, MemAvailable, this process' RSS */
struct sysmem {
    uint64_t total, used, free, process_rss;
};
/* From /proc/meminfo and /proc/self/statm. 0 ok, -1 on error. */
int sysload_mem(struct sysmem *m);
/* Pure parser used by sysload_mem (process_rss is set to 0). Without MemAvailable (kernels
 * before 3.14), free is MemFree+Buffers+Cached. 0 ok, -1 if malformed. */
int sysload_parse_meminfo(const char *text, struct sysmem *m);
/* Pure parser of /proc/stat's first line (the aggregate "cpu" line, at least the eight fields
 * up to steal). 0 ok, -1 if malformed. */
int sysload_parse_stat(const char *text, uint64_t *busy, uint64_t *total);

/* `show processes cpu`: "CPU utilization for five seconds: 12%/0%; one minute: 8%; five minutes:
 * 5%", a blank line, and a table of this process' threads (per-thread percentages are not
 * tracked and show 0.00%). s may be NULL (all zero). */
void sysload_show_cpu(const struct sysload *s, struct strbuf *out);
/* `show processes memory`: "Processor Pool Total:  <total> Used:  <used> Free:  <free>" and
 * "ikegated RSS: <rss> bytes". */
void sysload_show_mem(struct strbuf *out);

#endif
