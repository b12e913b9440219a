#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "platform/log.h"
#include "platform/strbuf.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 2023-11-26 23:33:17.123 UTC */
static int64_t fake_now = 1701041597123;

static int64_t fake_clock(void)
{
    return fake_now;
}

static int setup(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    log_shutdown();
    fake_now = 1701041597123;
    log_set_clock(fake_clock);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    log_set_clock(NULL);
    log_shutdown();
    return 0;
}

/* collects drained lines, newline-joined */
static void collect(void *ctx, const char *line)
{
    sb_puts(ctx, line);
    sb_puts(ctx, "\n");
}

static bool fd_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_format(void **state)
{
    (void)state;
    struct log_sink *s = log_sink_new(LOG_SINK_CONSOLE, 10);
    log_sink_attach(s);
    struct strbuf got = STRBUF_INIT;

    assert_false(fd_readable(log_sink_fd(s)));
    ilog(5, "SYS", "CONFIG_I", "Configured from console by %s", "vty0");
    assert_true(fd_readable(log_sink_fd(s)));
    ilog_debug("CLI: executed '%s'\n", "hostname R1"); /* a trailing newline is not doubled */
    fake_now = 1709251205007;                          /* 2024-03-01 00:00:05.007 */
    ilog(3, "LINK", "UPDOWN", "Interface eth1, changed state to down");

    assert_int_equal(log_sink_drain(s, collect, &got), 3);
    assert_false(fd_readable(log_sink_fd(s)));
    assert_string_equal(
        sb_str(&got),
        "*Nov 26 23:33:17.123: %SYS-5-CONFIG_I: Configured from console by vty0\n"
        "*Nov 26 23:33:17.123: CLI: executed 'hostname R1'\n"
        "*Mar  1 00:00:05.007: %LINK-3-UPDOWN: Interface eth1, changed state to down\n");
    assert_int_equal(log_sink_drain(s, collect, &got), 0);
    sb_free(&got);
    log_sink_free(s);
}

static void test_show_logging(void **state)
{
    (void)state;
    ilog(5, "SYS", "CONFIG_I", "Configured from console by console");
    struct strbuf out = STRBUF_INIT;
    log_show(&out);
    assert_string_equal(
        sb_str(&out),
        "Syslog logging: enabled (0 messages dropped, 0 flushes, 0 overruns)\n"
        "    Console logging: level debugging, 1 messages logged\n"
        "    Monitor logging: level debugging, 1 messages logged\n"
        "    Buffer logging:  level debugging, 1 messages logged\n"
        "\n"
        "Log Buffer (8192 bytes):\n"
        "\n"
        "*Nov 26 23:33:17.123: %SYS-5-CONFIG_I: Configured from console by console\n");

    log_buffer_clear();
    sb_reset(&out);
    log_show(&out);
    assert_non_null(strstr(sb_str(&out), "Log Buffer (8192 bytes):\n\n"));
    assert_null(strstr(sb_str(&out), "%SYS"));

    log_buffer_config(0, 7);
    assert_int_equal(log_buffer_size(), 0);
    ilog(5, "SYS", "CONFIG_I", "again");
    sb_reset(&out);
    log_show(&out);
    assert_string_equal(sb_str(&out),
                        "Syslog logging: enabled (0 messages dropped, 0 flushes, 0 overruns)\n"
                        "    Console logging: level debugging, 2 messages logged\n"
                        "    Monitor logging: level debugging, 2 messages logged\n"
                        "    Buffer logging:  disabled\n");
    sb_free(&out);
}

/* the buffer section of show logging */
static char *buffer_text(void)
{
    struct strbuf out = STRBUF_INIT;
    log_show(&out);
    const char *p = strstr(sb_str(&out), "bytes):\n\n");
    char *text = strdup(p ? p + 9 : "");
    sb_free(&out);
    return text;
}

static void test_buffer_wrap(void **state)
{
    (void)state;
    log_buffer_config(300, 7);
    assert_int_equal(log_buffer_size(), 300);
    assert_int_equal(log_buffer_level(), 7);
    /* each line: 22 (stamp) + 17 "%TEST-6-LINE: n=" ... */
    for (int i = 0; i < 50; i++) ilog(6, "TEST", "LINE", "n=%02d", i);
    const char *one = "*Nov 26 23:33:17.123: %TEST-6-LINE: n=00\n";
    size_t line_len = strlen(one);
    size_t fit = 300 / line_len;

    char *text = buffer_text();
    assert_true(strlen(text) <= 300);
    assert_int_equal(strlen(text), fit * line_len); /* whole lines only */
    char want[64];
    snprintf(want, sizeof want, "*Nov 26 23:33:17.123: %%TEST-6-LINE: n=%02zu\n", 50 - fit);
    assert_memory_equal(text, want, line_len); /* the oldest kept line */
    assert_non_null(strstr(text, "n=49\n"));
    assert_null(strstr(text, "n=00"));
    free(text);

    /* shrinking keeps the newest whole lines */
    log_buffer_config(100, -1);
    assert_int_equal(log_buffer_level(), 7);
    text = buffer_text();
    assert_int_equal(strlen(text), (100 / line_len) * line_len);
    assert_non_null(strstr(text, "n=49\n"));
    assert_null(strstr(text, "n=47"));
    free(text);

    /* a line longer than the buffer keeps its beginning and does not overrun it */
    log_buffer_config(40, 7);
    ilog(6, "TEST", "LONG", "%0200d", 1);
    text = buffer_text();
    assert_int_equal(strlen(text), 40);
    assert_memory_equal(text, "*Nov 26 23:33:17.123: %TEST-6-LONG: 000", 39);
    assert_int_equal(text[39], '\n');
    free(text);
}

static void test_level_filters(void **state)
{
    (void)state;
    log_console_level(3);
    log_monitor_level(6);
    log_buffer_config(8192, 4);
    log_console_level(9); /* ignored */
    assert_int_equal(log_console_get_level(), 3);
    assert_int_equal(log_monitor_get_level(), 6);
    assert_int_equal(log_buffer_level(), 4);

    struct log_sink *con = log_sink_new(LOG_SINK_CONSOLE, 10);
    struct log_sink *mon = log_sink_new(LOG_SINK_MONITOR, 10);
    struct log_sink *off = log_sink_new(LOG_SINK_MONITOR, 10); /* never attached */
    log_sink_attach(con);
    log_sink_attach(mon);
    log_sink_attach(mon); /* twice is once */
    log_sink_attach(off);
    log_sink_detach(off);

    ilog(2, "T", "CRIT", "c");
    ilog(4, "T", "WARN", "w");
    ilog(6, "T", "INFO", "i");
    ilog_debug("d");

    struct strbuf got = STRBUF_INIT;
    assert_int_equal(log_sink_drain(con, collect, &got), 1);
    assert_non_null(strstr(sb_str(&got), "%T-2-CRIT: c"));
    sb_reset(&got);
    assert_int_equal(log_sink_drain(mon, collect, &got), 3);
    assert_non_null(strstr(sb_str(&got), "%T-6-INFO: i\n"));
    assert_null(strstr(sb_str(&got), ": d\n"));
    sb_reset(&got);
    assert_int_equal(log_sink_drain(off, collect, &got), 0);

    char *text = buffer_text();
    assert_non_null(strstr(text, "%T-2-CRIT"));
    assert_non_null(strstr(text, "%T-4-WARN"));
    assert_null(strstr(text, "%T-6-INFO"));
    free(text);

    struct strbuf out = STRBUF_INIT;
    log_show(&out);
    assert_non_null(strstr(sb_str(&out), "Console logging: level errors, 1 messages logged\n"));
    assert_non_null(strstr(sb_str(&out), "Monitor logging: level informational, 3 messages"));
    assert_non_null(strstr(sb_str(&out), "Buffer logging:  level warnings, 2 messages logged\n"));
    sb_free(&out);

    /* a detached sink stops receiving */
    log_sink_detach(mon);
    ilog(0, "T", "EMERG", "e");
    assert_int_equal(log_sink_drain(mon, collect, &got), 0);
    assert_int_equal(log_sink_drain(con, collect, &got), 1);
    sb_free(&got);
    log_sink_free(con);
    log_sink_free(mon);
    log_sink_free(off);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_slow_sink_drops(void **state)
{
    (void)state;
    struct log_sink *s = log_sink_new(LOG_SINK_MONITOR, 100);
    log_sink_attach(s);
    double t0 = mono_s();
    for (int i = 0; i < 100000; i++) ilog(6, "T", "FLOOD", "line %d", i);
    assert_true(mono_s() - t0 < 10.0);

    struct strbuf got = STRBUF_INIT;
    assert_true(fd_readable(log_sink_fd(s)));
    assert_int_equal(log_sink_drain(s, collect, &got), 101);
    assert_false(fd_readable(log_sink_fd(s)));
    const char *text = sb_str(&got);
    assert_non_null(strstr(text, "%T-6-FLOOD: line 0\n"));
    assert_non_null(strstr(text, "%T-6-FLOOD: line 99\n"));
    assert_null(strstr(text, "line 100\n"));
    /* the note comes where the gap is: after the lines that made it */
    const char *note = "% 99900 log messages dropped (session too slow)\n";
    assert_non_null(strstr(text, note));
    assert_string_equal(text + strlen(text) - strlen(note), note);

    struct strbuf out = STRBUF_INIT;
    log_show(&out);
    assert_non_null(strstr(sb_str(&out), "(99900 messages dropped,"));
    sb_free(&out);

    /* the count restarts: the next drain reports nothing dropped */
    sb_reset(&got);
    ilog(6, "T", "AFTER", "x");
    assert_int_equal(log_sink_drain(s, collect, &got), 1);
    assert_null(strstr(sb_str(&got), "dropped"));
    sb_free(&got);
    log_sink_free(s);
}

/* A consumer stuck inside emit (a terminal that does not read) must not hold up producers. */
struct stuck {
    struct log_sink *s;
    pthread_mutex_t m;
    pthread_cond_t c;
    bool in_emit;
    bool release;
    size_t emitted;
};

static void stuck_emit(void *ctx, const char *line)
{
    (void)line;
    struct stuck *st = ctx;
    pthread_mutex_lock(&st->m);
    st->emitted++;
    st->in_emit = true;
    pthread_cond_broadcast(&st->c);
    while (!st->release) pthread_cond_wait(&st->c, &st->m);
    pthread_mutex_unlock(&st->m);
}

static void *stuck_consumer(void *arg)
{
    struct stuck *st = arg;
    log_sink_drain(st->s, stuck_emit, st);
    return NULL;
}

static void test_producer_never_waits_for_consumer(void **state)
{
    (void)state;
    struct stuck st = {.s = log_sink_new(LOG_SINK_CONSOLE, 5)};
    pthread_mutex_init(&st.m, NULL);
    pthread_cond_init(&st.c, NULL);
    log_sink_attach(st.s);
    ilog(6, "T", "FIRST", "first");

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stuck_consumer, &st), 0);
    pthread_mutex_lock(&st.m);
    while (!st.in_emit) pthread_cond_wait(&st.c, &st.m);
    pthread_mutex_unlock(&st.m);

    /* the consumer is blocked in emit; producing must still complete */
    for (int i = 0; i < 1000; i++) ilog(6, "T", "MORE", "%d", i);

    pthread_mutex_lock(&st.m);
    assert_int_equal(st.emitted, 1);
    st.release = true;
    pthread_cond_broadcast(&st.c);
    pthread_mutex_unlock(&st.m);
    pthread_join(th, NULL);

    struct strbuf got = STRBUF_INIT;
    assert_int_equal(log_sink_drain(st.s, collect, &got), 6);
    assert_non_null(strstr(sb_str(&got), "% 995 log messages dropped (session too slow)\n"));
    sb_free(&got);
    log_sink_free(st.s);
    pthread_mutex_destroy(&st.m);
    pthread_cond_destroy(&st.c);
}

static struct debug_flag f_cluster = {.path = "crypto ikev2 cluster",
                                      .group = "IKEv2 cluster",
                                      .title = "IKEv2 cluster",
                                      .help = "Cluster events"};
static struct debug_flag f_detail = {.path = "crypto ikev2 cluster detail",
                                     .group = "IKEv2 cluster",
                                     .title = "IKEv2 cluster detail",
                                     .help = "Cluster load reports as they arrive"};
static struct debug_flag f_netlink = {.path = "platform netlink",
                                      .group = "Platform",
                                      .title = "Platform netlink",
                                      .help = "rtnetlink messages"};

static void test_debug_registry(void **state)
{
    (void)state;
    debug_register(&f_cluster);
    debug_register(&f_netlink);
    debug_register(&f_detail);
    debug_register(&f_netlink); /* idempotent */

    assert_ptr_equal(debug_flags(), &f_cluster);
    assert_ptr_equal(f_cluster.next, &f_netlink);
    assert_ptr_equal(f_netlink.next, &f_detail);
    assert_null(f_detail.next);

    assert_ptr_equal(debug_find("platform netlink"), &f_netlink);
    assert_ptr_equal(debug_find("crypto ikev2 cluster detail"), &f_detail);
    assert_null(debug_find("crypto ikev2"));
    assert_null(debug_find("platform netlink x"));

    struct strbuf out = STRBUF_INIT;
    debug_show(&out);
    assert_string_equal(sb_str(&out), "");

    assert_int_equal(debug_set("crypto ikev2 cluster detail", true), 0);
    assert_int_equal(debug_set("platform netlink", true), 0);
    assert_int_equal(debug_set("crypto ikev2 clus", true), -1);
    assert_true(f_detail.on);
    assert_false(f_cluster.on);
    debug_show(&out);
    assert_string_equal(sb_str(&out), "IKEv2 cluster:\n"
                                      "  IKEv2 cluster detail debugging is on\n"
                                      "Platform:\n"
                                      "  Platform netlink debugging is on\n");

    /* a group is listed once, with its flags in registration order */
    assert_int_equal(debug_set("crypto ikev2 cluster", true), 0);
    sb_reset(&out);
    debug_show(&out);
    assert_string_equal(sb_str(&out), "IKEv2 cluster:\n"
                                      "  IKEv2 cluster debugging is on\n"
                                      "  IKEv2 cluster detail debugging is on\n"
                                      "Platform:\n"
                                      "  Platform netlink debugging is on\n");

    assert_int_equal(debug_set("crypto ikev2 cluster", false), 0);
    assert_int_equal(debug_set("crypto ikev2 cluster detail", false), 0);
    sb_reset(&out);
    debug_show(&out);
    assert_string_equal(sb_str(&out), "Platform:\n"
                                      "  Platform netlink debugging is on\n");

    debug_all_on();
    assert_true(f_cluster.on && f_detail.on && f_netlink.on);
    debug_all_off();
    assert_false(f_cluster.on || f_detail.on || f_netlink.on);
    sb_reset(&out);
    debug_show(&out);
    assert_string_equal(sb_str(&out), "");
    sb_free(&out);
}

static void test_level_names(void **state)
{
    (void)state;
    assert_string_equal(log_level_name(0), "emergencies");
    assert_string_equal(log_level_name(5), "notifications");
    assert_string_equal(log_level_name(7), "debugging");
    assert_string_equal(log_level_name(8), "unknown");

    for (int i = 0; i <= 7; i++) {
        char d[2] = {(char)('0' + i), '\0'};
        assert_int_equal(log_level_parse(d), i);
        assert_int_equal(log_level_parse(log_level_name(i)), i);
    }
    assert_int_equal(log_level_parse("debug"), 7);
    assert_int_equal(log_level_parse("d"), 7);
    assert_int_equal(log_level_parse("DEBUGGING"), 7);
    assert_int_equal(log_level_parse("inf"), 6);
    assert_int_equal(log_level_parse("n"), 5);
    assert_int_equal(log_level_parse("warn"), 4);
    assert_int_equal(log_level_parse("er"), 3);
    assert_int_equal(log_level_parse("c"), 2);
    assert_int_equal(log_level_parse("a"), 1);
    assert_int_equal(log_level_parse("em"), 0);

    assert_int_equal(log_level_parse("e"), -1); /* emergencies or errors */
    assert_int_equal(log_level_parse(""), -1);
    assert_int_equal(log_level_parse(NULL), -1);
    assert_int_equal(log_level_parse("8"), -1);
    assert_int_equal(log_level_parse("-1"), -1);
    assert_int_equal(log_level_parse("07"), -1);
    assert_int_equal(log_level_parse("debuggingx"), -1);
    assert_int_equal(log_level_parse("x"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_logging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffer_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_sink_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_never_waits_for_consumer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debug_registry, setup, teardown),
        cmocka_unit_test(test_level_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
