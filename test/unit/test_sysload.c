#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "platform/strbuf.h"
#include "platform/sysload.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* cmocka's float comparison is single precision; the one-decimal values are compared exactly up
 * to binary representation */
static void check_pct(double got, double want, const char *file, int line)
{
    if (got - want > 1e-9 || want - got > 1e-9)
        fail_msg("%s:%d: %.6f != %.6f", file, line, got, want);
}

#define assert_pct(got, want) check_pct((got), (want), __FILE__, __LINE__)

static void test_no_history(void **state)
{
    (void)state;
    struct sysload *s = sysload_new();
    double a = -1, b = -1, c = -1;
    sysload_cpu(s, &a, &b, &c);
    assert_pct(a, 0);
    assert_pct(b, 0);
    assert_pct(c, 0);
    sysload_feed(s, 1000, 50, 100);
    sysload_cpu(s, &a, &b, &c);
    assert_pct(a, 0);
    assert_pct(c, 0);
    sysload_free(s);
}

/* Samples every second for 400 s: 10% busy, then 20% from 340 s, then 50% from 395 s. */
static struct sysload *three_phase(void)
{
    struct sysload *s = sysload_new();
    uint64_t busy = 0, total = 0;
    sysload_feed(s, 0, 0, 0);
    for (int t = 1; t <= 400; t++) {
        busy += t > 395 ? 50 : t > 340 ? 20 : 10;
        total += 100;
        sysload_feed(s, (int64_t)t * 1000, busy, total);
    }
    return s;
}

static void test_windows(void **state)
{
    (void)state;
    struct sysload *s = three_phase();
    double a, b, c;
    sysload_cpu(s, &a, &b, &c);
    assert_pct(a, 50.0); /* 395..400 s: 250 of 500 */
    assert_pct(b, 22.5); /* 340..400 s: 55*20 + 5*50 = 1350 of 6000 */
    assert_pct(c, 12.5); /* 100..400 s: 2400 + 1100 + 250 = 3750 of 30000 */
    assert_int_equal(sysload_rejected(s), 0);

    struct strbuf out = STRBUF_INIT;
    sysload_show_cpu(s, &out);
    const char *want =
        "CPU utilization for five seconds: 50%/0%; one minute: 23%; five minutes: 13%\n"
        "\n PID Runtime(ms)     Invoked      uSecs   5Sec   1Min   5Min TTY Process\n";
    assert_memory_equal(sb_str(&out), want, strlen(want));
    sb_free(&out);
    sysload_free(s);
}

static void test_one_decimal_and_short_history(void **state)
{
    (void)state;
    struct sysload *s = sysload_new();
    sysload_feed(s, 10000, 1000, 5000);
    sysload_feed(s, 12000, 1001, 5003); /* 1 of 3 */
    double a, b, c;
    sysload_cpu(s, &a, &b, &c);
    assert_pct(a, 33.3);
    assert_pct(b, 33.3);
    assert_pct(c, 33.3);
    sysload_feed(s, 13000, 1003, 5006); /* whole history: 3 of 6; last 5 s: also whole */
    sysload_cpu(s, &a, &b, &c);
    assert_pct(a, 50.0);
    assert_pct(c, 50.0);
    sysload_feed(s, 16000, 1005, 5009); /* 5 s back from 16 s: the 10 s sample is the start */
    sysload_cpu(s, &a, &b, &c);
    assert_pct(a, 55.6); /* 5 of 9 = 55.55.. */
    sysload_free(s);
}

/* With samples 7 s apart, the 5 s window reaches back to the previous sample. */
static void test_sparse_samples(void **state)
{
    (void)state;
    struct sysload *s = sysload_new();
    sysload_feed(s, 0, 0, 0);
    sysload_feed(s, 7000, 70, 700);    /* 10% */
    sysload_feed(s, 14000, 420, 1400); /* 50% */
    double a, b;
    sysload_cpu(s, &a, &b, NULL);
    assert_pct(a, 50.0);
    assert_pct(b, 30.0);
    sysload_free(s);
}

static void test_rejects_bad_samples(void **state)
{
    (void)state;
    struct sysload *s = sysload_new();
    sysload_feed(s, 1000, 100, 1000);
    sysload_feed(s, 2000, 200, 2000);
    sysload_feed(s, 1500, 300, 3000);  /* out of order */
    sysload_feed(s, 2000, 300, 3000);  /* same time */
    sysload_feed(s, 3000, 150, 3000);  /* busy went back */
    sysload_feed(s, 3000, 250, 2000);  /* total did not grow */
    sysload_feed(s, 3000, 1300, 2500); /* busier than the time that passed */
    sysload_feed(s, 3000, 9, 5);       /* busy > total */
    assert_int_equal(sysload_rejected(s), 6);
    double a;
    sysload_cpu(s, &a, NULL, NULL);
    assert_pct(a, 10.0);
    sysload_feed(s, 3000, 1200, 3000);
    sysload_cpu(s, &a, NULL, NULL);
    assert_pct(a, 55.0); /* 1100 of 2000 since 1 s */
    assert_int_equal(sysload_rejected(s), 6);
    sysload_free(s);
}

/* A long run: old samples are pruned yet the windows stay right. */
static void test_long_run(void **state)
{
    (void)state;
    struct sysload *s = sysload_new();
    uint64_t busy = 0, total = 0;
    for (int t = 0; t <= 100000; t++) {
        busy += (t % 2) ? 3 : 1; /* 10% and 30% alternating: 20% over any even number of steps */
        total += 10;
        sysload_feed(s, (int64_t)t * 100, busy, total); /* every 100 ms */
    }
    double a, b, c;
    sysload_cpu(s, &a, &b, &c);
    assert_pct(a, 20.0);
    assert_pct(b, 20.0);
    assert_pct(c, 20.0);
    sysload_free(s);
}

static void test_show_cpu_first_line_rounding(void **state)
{
    (void)state;
    struct sysload *s = sysload_new();
    sysload_feed(s, 0, 0, 0);
    sysload_feed(s, 1000, 4, 1000); /* 0.4% */
    struct strbuf out = STRBUF_INIT;
    sysload_show_cpu(s, &out);
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^CPU utilization for five seconds: 0%/0%; one minute: 0%; five "
                             "minutes: 0%\n\n PID Runtime\\(ms\\) +Invoked +uSecs +5Sec +1Min "
                             "+5Min TTY Process\n"
                             "( *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +0\\.00% +0\\.00% +0\\.00% +0 "
                             "[^\n]+\n)+$",
                             REG_EXTENDED),
                     0);
    assert_int_equal(regexec(&re, sb_str(&out), 0, NULL, 0), 0);
    regfree(&re);
    sysload_free(s);

    sb_reset(&out);
    sysload_show_cpu(NULL, &out);
    assert_memory_equal(sb_str(&out), "CPU utilization for five seconds: 0%/0%;", 40);
    sb_free(&out);
}

static const char stat_text[] = "cpu  3493 7 2944 118930 1585 11 80 456 5 0\n"
                                "cpu0 1018 0 1043 61414 59 0 15 219 0 0\n"
                                "intr 147845 0 0 0\n";

/* a heap copy of exactly n bytes plus NUL, so ASan sees any read past the end */
static char *exact(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    assert_non_null(p);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void test_parse_stat(void **state)
{
    (void)state;
    uint64_t busy = 0, total = 0;
    assert_int_equal(sysload_parse_stat(stat_text, &busy, &total), 0);
    assert_int_equal(busy, 3493 + 7 + 2944 + 11 + 80 + 456);
    assert_int_equal(total, busy + 118930 + 1585);

    assert_int_equal(sysload_parse_stat("cpu 1 2 3 4 5 6 7 8", &busy, &total), 0);
    assert_int_equal(busy, 1 + 2 + 3 + 6 + 7 + 8);
    assert_int_equal(total, 36);

    const char *bad[] = {
        "",
        "cpu",
        "cpu\n",
        "cpu  1 2 3\n",                              /* truncated */
        "cpu  1 2 3 4 5 6 7\n",                      /* no steal */
        "cpu0 1 2 3 4 5 6 7 8\n",                    /* a single CPU */
        "cpux 1 2 3 4 5 6 7 8\n",                    /* not the cpu line */
        "intr 1 2 3 4 5 6 7 8\n",                    /* not the cpu line */
        "cpu  1 2 x 4 5 6 7 8\n",                    /* not a number */
        "cpu  1 2 3x 4 5 6 7 8\n",                   /* trailing garbage */
        "cpu  -1 2 3 4 5 6 7 8\n",                   /* negative */
        "cpu  +1 2 3 4 5 6 7 8\n",                   /* sign */
        "cpu  1 2 3\n4 5 6 7 8\n",                   /* fields on the next line do not count */
        "cpu  99999999999999999999 2 3 4 5 6 7 8\n", /* overflows a field */
        "cpu  18446744073709551615 1 0 0 0 0 0 0\n", /* overflows the sum */
        " cpu 1 2 3 4 5 6 7 8\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        busy = total = 77;
        if (sysload_parse_stat(bad[i], &busy, &total) != -1) fail_msg("accepted: %s", bad[i]);
        assert_int_equal(busy, 77);
    }
    assert_int_equal(sysload_parse_stat(NULL, &busy, &total), -1);

    /* every truncation of a real line: short ones are refused, none is read past its end */
    const char *line = "cpu  3493 7 2944 118930 1585 11 80 456 5 0\n";
    size_t len = strlen(line);
    int accepted = 0;
    for (size_t n = 0; n <= len; n++) {
        char *p = exact(line, n);
        if (sysload_parse_stat(p, &busy, &total) == 0) accepted++;
        free(p);
    }
    /* only prefixes ending inside or after the 8th field parse */
    assert_true(accepted > 0 && accepted < (int)len / 2);
    char *p = exact(line, strlen("cpu  3493 7 2944 118930 1585 11 80 4"));
    assert_int_equal(sysload_parse_stat(p, &busy, &total), 0);
    free(p);
    p = exact(line, strlen("cpu  3493 7 2944 118930 1585 11 80 "));
    assert_int_equal(sysload_parse_stat(p, &busy, &total), -1);
    free(p);
}

static const char meminfo_text[] = "MemTotal:       24684096 kB\n"
                                   "MemFree:        24227084 kB\n"
                                   "MemAvailable:   24350548 kB\n"
                                   "Buffers:            4752 kB\n"
                                   "Cached:           308824 kB\n"
                                   "SwapCached:            0 kB\n"
                                   "HugePages_Total:       0\n"
                                   "Hugepagesize:       2048 kB\n";

static void test_parse_meminfo(void **state)
{
    (void)state;
    struct sysmem m = {1, 2, 3, 4};
    assert_int_equal(sysload_parse_meminfo(meminfo_text, &m), 0);
    assert_int_equal(m.total, 24684096ull * 1024);
    assert_int_equal(m.free, 24350548ull * 1024);
    assert_int_equal(m.used, (24684096ull - 24350548ull) * 1024);
    assert_int_equal(m.process_rss, 0);

    /* an old kernel without MemAvailable */
    assert_int_equal(sysload_parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\n"
                                           "Buffers: 20 kB\nCached: 300 kB\n",
                                           &m),
                     0);
    assert_int_equal(m.free, 420 * 1024);
    assert_int_equal(m.used, 580 * 1024);
    /* no trailing newline */
    assert_int_equal(sysload_parse_meminfo("MemTotal: 10 kB\nMemAvailable: 4 kB", &m), 0);
    assert_int_equal(m.used, 6 * 1024);

    const char *bad[] = {
        "",
        "MemFree: 100 kB\nMemAvailable: 50 kB\n",               /* no total */
        "MemTotal: 1000 kB\n",                                  /* nothing free */
        "MemTotal: abc kB\nMemAvailable: 5 kB\n",               /* not a number */
        "MemTotal: 1000\nMemAvailable: 5 kB\n",                 /* truncated: no unit */
        "MemTotal: 1000 kB\nMemAvailable: 5",                   /* truncated */
        "MemTotal: 1000 kB\nMemAvailable: 2000 kB\n",           /* more free than there is */
        "MemTotal: 1000 kBx\nMemAvailable: 5 kB\n",             /* trailing garbage */
        "MemTotal: -1000 kB\nMemAvailable: 5 kB\n",             /* negative */
        "MemTotal: 99999999999999999 kB\nMemAvailable: 5 kB\n", /* bytes overflow */
        "MemTotal 1000 kB\nMemAvailable: 5 kB\n",               /* no colon */
        "MemTotalX: 1000 kB\nMemAvailable: 5 kB\n",             /* another key */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        m.total = 77;
        if (sysload_parse_meminfo(bad[i], &m) != -1) fail_msg("accepted: %s", bad[i]);
        assert_int_equal(m.total, 77);
    }
    assert_int_equal(sysload_parse_meminfo(NULL, &m), -1);

    /* every truncation: no read past the end */
    size_t len = strlen(meminfo_text);
    for (size_t n = 0; n <= len; n++) {
        char *p = exact(meminfo_text, n);
        int r = sysload_parse_meminfo(p, &m);
        assert_true(r == 0 || r == -1);
        if (n < strlen("MemTotal:       24684096 kB")) assert_int_equal(r, -1);
        free(p);
    }
}

static void test_live_proc(void **state)
{
    (void)state;
    struct sysload *s = sysload_new();
    assert_int_equal(sysload_sample_proc(s, 0), 0);
    struct sysmem m;
    assert_int_equal(sysload_mem(&m), 0);
    assert_true(m.total > 0);
    assert_int_equal(m.used + m.free, m.total);
    assert_true(m.process_rss > 0 && m.process_rss < m.total);

    struct strbuf out = STRBUF_INIT;
    sysload_show_mem(&out);
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^Processor Pool Total:  [0-9]+ Used:  [0-9]+ Free:  [0-9]+\n"
                             "ikegated RSS: [1-9][0-9]* bytes\n$",
                             REG_EXTENDED),
                     0);
    assert_int_equal(regexec(&re, sb_str(&out), 0, NULL, 0), 0);
    regfree(&re);
    sb_free(&out);
    sysload_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_history),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_one_decimal_and_short_history),
        cmocka_unit_test(test_sparse_samples),
        cmocka_unit_test(test_rejects_bad_samples),
        cmocka_unit_test(test_long_run),
        cmocka_unit_test(test_show_cpu_first_line_rounding),
        cmocka_unit_test(test_parse_stat),
        cmocka_unit_test(test_parse_meminfo),
        cmocka_unit_test(test_live_proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
