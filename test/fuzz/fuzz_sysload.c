/* libFuzzer harness for the /proc parsers of platform/sysload.h: sysload_parse_stat and
 * sysload_parse_meminfo on the whole input, then every line that parses as a "cpu" line fed
 * to a fresh sysload (the core `show processes cpu` reads).
 *
 * Invariants checked, besides the sanitizers:
 * - stat: busy <= total, and both are the sums of the documented fields as strtoull reads them;
 * - meminfo: used + free == total, no RSS from the pure parser;
 * - the load core: percentages within 0..100, no more rejections than samples. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/sysload.h"
#include "test/fuzz/fuzz_util.h"

/* The eight fields after "cpu", read independently of the parser under test (which accepted
 * the line, so they are blank-separated decimals). */
static void check_stat_sums(const char *text, uint64_t busy, uint64_t total)
{
    const char *p = text + 3;
    uint64_t v[8];
    for (int i = 0; i < 8; i++) {
        char *end;
        v[i] = strtoull(p, &end, 10);
        FUZZ_CHECK(end != p);
        p = end;
    }
    uint64_t b = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    FUZZ_CHECK(b == busy && b + v[3] + v[4] == total);
}

static void check_stat(const char *text)
{
    uint64_t busy = 1, total = 0;
    if (sysload_parse_stat(text, &busy, &total) != 0) return;
    FUZZ_CHECK(busy <= total);
    check_stat_sums(text, busy, total);
}

static void check_meminfo(const char *text)
{
    struct sysmem m;
    memset(&m, 0xa5, sizeof m);
    if (sysload_parse_meminfo(text, &m) != 0) return;
    FUZZ_CHECK(m.free <= m.total && m.used == m.total - m.free);
    FUZZ_CHECK(m.process_rss == 0);
}

/* Feed each parsable line, 0.5 to 3.5 s apart. */
static void check_feed(char *text)
{
    struct sysload *s = sysload_new();
    if (!s) abort();
    uint64_t fed = 0;
    int64_t now = 1000;
    for (char *line = text, *next; line; line = next) {
        next = fuzz_split(line, '\n');
        uint64_t busy, total;
        if (sysload_parse_stat(line, &busy, &total) != 0) continue;
        now += 500 * (int64_t)(1 + fed % 7);
        sysload_feed(s, now, busy, total);
        fed++;
    }
    double pct[3];
    sysload_cpu(s, &pct[0], &pct[1], &pct[2]);
    for (int i = 0; i < 3; i++) FUZZ_CHECK(pct[i] >= 0.0 && pct[i] <= 100.0);
    FUZZ_CHECK(sysload_rejected(s) <= fed);
    sysload_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    check_stat(text);
    check_meminfo(text);
    check_feed(text); /* splits text in place: last */
    free(text);
    return 0;
}
