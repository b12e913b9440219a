/* IOS-style logging (%FACILITY-SEVERITY-MNEMONIC messages), its destinations, and debug flags. */
#ifndef IKEGATE_LOG_H
#define IKEGATE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

/* Severities are syslog's. */
enum {
    LOG_SEV_EMERGENCIES = 0,
    LOG_SEV_ALERTS = 1,
    LOG_SEV_CRITICAL = 2,
    LOG_SEV_ERRORS = 3,
    LOG_SEV_WARNINGS = 4,
    LOG_SEV_NOTIFICATIONS = 5,
    LOG_SEV_INFORMATIONAL = 6,
    LOG_SEV_DEBUGGING = 7,
};

/* Process-wide; openlog() when use_syslog. Logging works without it (no syslog). */
void log_init(const char *ident, bool use_syslog);
/* closelog(), releases the buffer's storage and restores the default settings. */
void log_shutdown(void);
/* Thread-safe; never blocks on a slow consumer. severity 0..7 (clamped). Lines look like
 * "*Nov 26 23:33:17.123: %SYS-5-CONFIG_I: Configured from console by vty0". */
void ilog(int severity, const char *facility, const char *mnemonic, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A debug line: severity 7, no %FAC-SEV-MNEM prefix, e.g.
 * "*Nov 26 23:33:17.123: CLI: executed 'hostname R1'". */
void ilog_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Injectable wall clock for tests (NULL restores the real one): returns ms since the epoch. */
void log_set_clock(int64_t (*now_ms)(void));

/* In-memory buffer, IOS `logging buffered [SIZE] [LEVEL]`: default on, 8192 bytes, level 7.
 * size 0 = off. When full, the oldest whole lines are discarded; resizing keeps the newest lines
 * that fit. A level outside 0..7 leaves the level unchanged. */
void log_buffer_config(size_t bytes, int level);
size_t log_buffer_size(void);
int log_buffer_level(void);
/* `show logging` in IOS's layout. */
void log_show(struct strbuf *out);
/* `clear logging` */
void log_buffer_clear(void);
/* `logging console LEVEL`, default 7 (levels outside 0..7 are ignored) */
void log_console_level(int level);
int log_console_get_level(void);
/* `logging monitor LEVEL`, default 7 */
void log_monitor_level(int level);
int log_monitor_get_level(void);
/* "emergencies" .. "debugging"; "unknown" outside 0..7 */
const char *log_level_name(int level);
/* name or 0-7 -> level, -1 if invalid; accepts unique abbreviations of names, any case */
int log_level_parse(const char *s);

/* Sinks: the console and every `terminal monitor` session get a bounded queue each.
 * The producer (any thread) appends under the sink's own mutex and never waits for the consumer;
 * when the queue is full the line is dropped and counted, and the next drain reports it. */
struct log_sink;
enum log_sink_kind { LOG_SINK_CONSOLE, LOG_SINK_MONITOR };
struct log_sink *log_sink_new(enum log_sink_kind kind, size_t max_lines);
/* An eventfd readable while lines are queued: poll it. */
int log_sink_fd(struct log_sink *s);
/* Starts receiving (level filter: the console or monitor level). */
void log_sink_attach(struct log_sink *s);
void log_sink_detach(struct log_sink *s);
/* Pops all queued lines, calling emit for each (without trailing newline), followed by
 * "% N log messages dropped (session too slow)" if lines were dropped since the last drain;
 * clears the eventfd. Returns the number of emit calls. */
size_t log_sink_drain(struct log_sink *s, void (*emit)(void *ctx, const char *line), void *ctx);
/* Detaches first; queued lines are discarded. NULL is ignored. */
void log_sink_free(struct log_sink *s);

/* Debug flags registered by modules; switched by `debug ...`, listed by `show debugging`. */
struct debug_flag {
    const char *path;  /* the words after `debug`, e.g. "crypto ikev2 cluster detail" */
    const char *group; /* heading in show debugging, e.g. "IKEv2 cluster" */
    const char *title; /* line in show debugging: "<title> debugging is on" */
    const char *help;  /* help for the last word, e.g. "Cluster load reports as they arrive" */
    volatile int on;   /* read lock-free on the hot path: if (f.on) ilog_debug(...) */
    struct debug_flag *next; /* registry link, set by debug_register */
};
/* Idempotent. Call before other threads walk the registry (module initialisation). */
void debug_register(struct debug_flag *f);
/* Registry list head (registration order). */
struct debug_flag *debug_flags(void);
/* Exact path; the first registered if several share it. */
struct debug_flag *debug_find(const char *path);
/* Exact path (every flag with that path); -1 if unknown. */
int debug_set(const char *path, bool on);
/* `undebug all`, `no debug all` */
void debug_all_off(void);
/* `debug all` */
void debug_all_on(void);
/* `show debugging`: for each group with flags on, groups in the order they first registered:
 * "IKEv2 cluster:\n  IKEv2 cluster detail debugging is on\n"; nothing on -> nothing at all. */
void debug_show(struct strbuf *out);

#endif
