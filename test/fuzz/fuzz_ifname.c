/* libFuzzer harness for platform/ifname.h: ifname_parse on the input as one word and split in
 * two at its first space, and ifmap_parse (the --ifmap option) on the input's first line, then
 * on its second line into the same map.
 *
 * Invariants checked, besides the sanitizers:
 * - a parsed name is within its type's range and its full and short spellings parse back to
 *   it; a GigabitEthernet maps to ethN-1 and back, a Virtual-Template to vtN and back;
 * - ifmap_parse reports errors in err and commits all of a spec or none of it: after success
 *   every entry maps both ways; reverse lookups agree with forward ones. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "platform/ifname.h"
#include "test/fuzz/fuzz_util.h"

static bool same(const struct ifname *a, const struct ifname *b)
{
    return a->type == b->type && a->num == b->num;
}

static void check_name(const struct ifname *n)
{
    FUZZ_CHECK(n->type == IFT_GIGABIT || n->type == IFT_LOOPBACK || n->type == IFT_VTEMPLATE);
    if (n->type != IFT_LOOPBACK)
        FUZZ_CHECK(n->num >= 1 && n->num <= 65535);
    else
        FUZZ_CHECK(n->num <= 2147483647ul);

    char buf[IFNAME_IOS_LEN];
    struct ifname back;
    int used = 0;
    ifname_full(n, buf, sizeof buf);
    FUZZ_CHECK(ifname_parse(buf, NULL, &back, &used) == 0 && used == 1 && same(&back, n));
    ifname_short(n, buf, sizeof buf);
    FUZZ_CHECK(ifname_parse(buf, NULL, &back, &used) == 0 && used == 1 && same(&back, n));

    char lnx[IFNAME_LINUX_LEN];
    ifmap_linux_name(NULL, n, lnx, sizeof lnx);
    if (n->type != IFT_LOOPBACK)
        FUZZ_CHECK(ifmap_ios_name(NULL, lnx, &back) == 0 && same(&back, n));
    else
        FUZZ_CHECK(!strcmp(lnx, "lo"));
}

static void check_parse(const char *w1, const char *w2)
{
    struct ifname n;
    int used = -1;
    if (ifname_parse(w1, w2, &n, &used) != 0) return;
    FUZZ_CHECK(used == 1 || (used == 2 && w2 != NULL));
    check_name(&n);
}

/* A Linux name the map (or the default rule) turns into an IOS interface: the forward lookup
 * gives the name back (or, for an address label "lo:N", is LoopbackN's "lo"). */
static void check_reverse(const struct ifmap *m, const char *lnx)
{
    struct ifname n;
    if (ifmap_ios_name(m, lnx, &n) != 0) return;
    char fwd[IFNAME_LINUX_LEN];
    ifmap_linux_name(m, &n, fwd, sizeof fwd);
    if (!strncmp(lnx, "lo:", 3) && strcmp(fwd, lnx) != 0) {
        char label[IFNAME_LINUX_LEN + 8];
        snprintf(label, sizeof label, "lo:%lu", n.num);
        FUZZ_CHECK(n.type == IFT_LOOPBACK && !strcmp(label, lnx) && !strcmp(fwd, "lo"));
    } else {
        FUZZ_CHECK(!strcmp(fwd, lnx));
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) *--end = '\0';
    return s;
}

/* After ifmap_parse accepted spec: each "IOS=linux" entry maps both ways. */
static void check_entries(const struct ifmap *m, const char *spec)
{
    char *copy = strdup(spec);
    if (!copy) abort();
    for (char *e = copy, *next; e; e = next) {
        next = fuzz_split(e, ',');
        char *lnx = fuzz_split(e, '=');
        FUZZ_CHECK(lnx != NULL);
        char *ios = trim(e);
        lnx = trim(lnx);
        char *w2 = ios + strcspn(ios, " \t");
        if (*w2) {
            *w2++ = '\0';
            w2 = trim(w2);
        } else {
            w2 = NULL;
        }
        struct ifname n, back;
        FUZZ_CHECK(ifname_parse(ios, w2, &n, NULL) == 0);
        check_name(&n);
        char fwd[IFNAME_LINUX_LEN];
        ifmap_linux_name(m, &n, fwd, sizeof fwd);
        FUZZ_CHECK(!strcmp(fwd, lnx));
        FUZZ_CHECK(ifmap_ios_name(m, lnx, &back) == 0 && same(&back, &n));
    }
    free(copy);
}

static void check_ifmap(struct ifmap *m, const char *spec, const char *before)
{
    char err[256] = "";
    if (ifmap_parse(m, spec, err, sizeof err) == 0) {
        check_entries(m, spec);
        /* Every entry is now taken: the same spec again must fail as a whole. */
        err[0] = '\0';
        FUZZ_CHECK(ifmap_parse(m, spec, err, sizeof err) != 0 && err[0]);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }
    /* What an earlier spec added is still there, whatever happened to this one. */
    if (before) check_entries(m, before);
    check_reverse(m, spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);

    check_parse(text, NULL);
    char *words = strdup(text);
    if (!words) abort();
    char *w2 = fuzz_split(words, ' ');
    check_parse(words, w2);
    check_reverse(NULL, text);
    free(words);

    struct ifmap *m = ifmap_new();
    if (!m) abort();
    char *second = fuzz_split(text, '\n');
    char err[256] = "";
    bool first_ok = ifmap_parse(m, text, err, sizeof err) == 0;
    if (first_ok) {
        check_entries(m, text);
    } else {
        FUZZ_CHECK(err[0] != '\0');
        check_reverse(m, text);
    }
    if (second) check_ifmap(m, second, first_ok ? text : NULL);
    ifmap_free(m);
    free(text);
    return 0;
}
