#include "ifname.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The three tables are indexed by enum if_type. */
static const char *const type_names[] = {
    [IFT_GIGABIT] = "GigabitEthernet",
    [IFT_LOOPBACK] = "Loopback",
    [IFT_VTEMPLATE] = "Virtual-Template",
};

static const char *const type_helps[] = {
    [IFT_GIGABIT] = "GigabitEthernet IEEE 802.3z",
    [IFT_LOOPBACK] = "Loopback interface",
    [IFT_VTEMPLATE] = "Virtual Template interface",
};

static const struct {
    const char *abbrev;
    unsigned long min, max;
} type_info[] = {
    [IFT_GIGABIT] = {"Gi", 1, 65535},
    [IFT_LOOPBACK] = {"Lo", 0, 2147483647},
    [IFT_VTEMPLATE] = {"Vt", 1, 65535},
};

_Static_assert(ARRAY_SIZE(type_names) == ARRAY_SIZE(type_helps), "type tables differ in size");
_Static_assert(ARRAY_SIZE(type_names) == ARRAY_SIZE(type_info), "type tables differ in size");

size_t ifname_types(const char *const **names, const char *const **helps)
{
    if (names) *names = type_names;
    if (helps) *helps = type_helps;
    return ARRAY_SIZE(type_names);
}

static int match_type_fwd(const char *word);

int ifname_type_range(const char *word, unsigned long *lo, unsigned long *hi)
{
    int t = match_type_fwd(word);
    if (t < 0) return -1;
    *lo = type_info[t].min;
    *hi = type_info[t].max;
    return 0;
}

/* An exact name wins over prefixes so that a future type whose name prefixes another's stays
 * reachable. */
static int match_type(const char *word, size_t len)
{
    int found = -1, matches = 0;
    if (len == 0) return -1;
    for (size_t i = 0; i < ARRAY_SIZE(type_names); i++) {
        const char *name = type_names[i];
        if (strlen(name) < len || strncasecmp(name, word, len) != 0) continue;
        if (name[len] == '\0') return (int)i;
        found = (int)i;
        matches++;
    }
    if (matches == 0) {
        /* The short spelling ifname_short() prints ("Vt1") is not always a prefix. */
        for (size_t i = 0; i < ARRAY_SIZE(type_info); i++)
            if (strlen(type_info[i].abbrev) == len && !strncasecmp(type_info[i].abbrev, word, len))
                return (int)i;
    }
    return matches == 1 ? found : -1;
}

static int match_type_fwd(const char *word)
{
    return match_type(word, strlen(word));
}

static int parse_number(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max) return -1;
    }
    *out = v;
    return 0;
}

int ifname_parse(const char *word1, const char *word2, struct ifname *out, int *consumed)
{
    if (!word1) return -1;
    size_t tlen = strcspn(word1, "0123456789");
    int type = match_type(word1, tlen);
    if (type < 0) return -1;

    const char *numstr = word1 + tlen;
    int used = 1;
    if (*numstr == '\0') {
        if (!word2) return -1;
        numstr = word2;
        used = 2;
    }
    unsigned long num;
    if (parse_number(numstr, type_info[type].max, &num) < 0 || num < type_info[type].min) return -1;

    out->type = (enum if_type)type;
    out->num = num;
    if (consumed) *consumed = used;
    return 0;
}

void ifname_full(const struct ifname *n, char *buf, size_t len)
{
    snprintf(buf, len, "%s%lu", type_names[n->type], n->num);
}

void ifname_short(const struct ifname *n, char *buf, size_t len)
{
    snprintf(buf, len, "%s%lu", type_info[n->type].abbrev, n->num);
}

struct ifmap_entry {
    struct ifname ios;
    char linux_name[IFNAME_LINUX_LEN];
};

struct ifmap {
    struct ifmap_entry *v;
    size_t n, cap;
};

struct ifmap *ifmap_new(void)
{
    return calloc(1, sizeof(struct ifmap));
}

void ifmap_free(struct ifmap *m)
{
    if (!m) return;
    free(m->v);
    free(m);
}

static const struct ifmap_entry *find_ios(const struct ifmap_entry *v, size_t n,
                                          const struct ifname *ios)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].ios.type == ios->type && v[i].ios.num == ios->num) return &v[i];
    return NULL;
}

static const struct ifmap_entry *find_linux(const struct ifmap_entry *v, size_t n,
                                            const char *linux_name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].linux_name, linux_name) == 0) return &v[i];
    return NULL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) *--end = '\0';
    return s;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The kernel's dev_valid_name() rules, which also keep ':' free for address labels. */
static const char *linux_name_problem(const char *name)
{
    if (strlen(name) >= IFNAME_LINUX_LEN) return "is longer than 15 characters";
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return "is not a valid name";
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == ':' || *p == '=' || isspace((unsigned char)*p))
            return "contains '/', ':', '=' or whitespace";
    }
    return NULL;
}

/* Parses one "IOS=linux" entry into *e, checking it against the n entries already accepted. */
static int parse_entry(const char *entry, const struct ifmap_entry *v, size_t n,
                       struct ifmap_entry *e, char *err, size_t errlen)
{
    char *copy = strdup(entry);
    if (!copy) {
        set_err(err, errlen, "out of memory parsing --ifmap");
        return -1;
    }
    const char *why = NULL;
    char whybuf[96];
    char *eq = strchr(copy, '=');
    if (!eq) {
        why = "expected IOS-NAME=LINUX-NAME, e.g. GigabitEthernet1=ens3";
        goto out;
    }
    *eq = '\0';
    char *ios = trim(copy);
    char *lnx = trim(eq + 1);
    if (!*ios) {
        why = "missing IOS interface name before '='";
        goto out;
    }
    if (!*lnx) {
        why = "missing Linux interface name after '='";
        goto out;
    }

    /* The IOS side may be written as two words ("Gig 1"). */
    char *word2 = ios + strcspn(ios, " \t");
    if (*word2) {
        *word2++ = '\0';
        word2 = trim(word2);
    } else {
        word2 = NULL;
    }
    int consumed = 0;
    if (ifname_parse(ios, word2, &e->ios, &consumed) < 0 || (word2 && consumed != 2)) {
        why = "not an IOS interface name on the left (expected e.g. GigabitEthernet1)";
        goto out;
    }
    const char *problem = linux_name_problem(lnx);
    if (problem) {
        snprintf(whybuf, sizeof(whybuf), "Linux interface name %s", problem);
        why = whybuf;
        goto out;
    }

    char full[IFNAME_IOS_LEN];
    ifname_full(&e->ios, full, sizeof(full));
    const struct ifmap_entry *dup = find_ios(v, n, &e->ios);
    if (dup) {
        snprintf(whybuf, sizeof(whybuf), "%s is already mapped to %s", full, dup->linux_name);
        why = whybuf;
        goto out;
    }
    dup = find_linux(v, n, lnx);
    if (dup) {
        char other[IFNAME_IOS_LEN];
        ifname_full(&dup->ios, other, sizeof(other));
        snprintf(whybuf, sizeof(whybuf), "%s is already mapped to %s", lnx, other);
        why = whybuf;
        goto out;
    }
    snprintf(e->linux_name, sizeof(e->linux_name), "%s", lnx);
out:
    if (why) set_err(err, errlen, "bad --ifmap entry '%s': %s", entry, why);
    free(copy);
    return why ? -1 : 0;
}

int ifmap_parse(struct ifmap *m, const char *spec, char *err, size_t errlen)
{
    if (!spec) {
        set_err(err, errlen, "missing --ifmap value");
        return -1;
    }
    char *copy = strdup(spec);
    if (!copy) {
        set_err(err, errlen, "out of memory parsing --ifmap");
        return -1;
    }
    size_t entries = 1;
    for (const char *p = spec; *p; p++) entries += *p == ',';

    /* Entries are collected after the existing ones and only committed when all are good. */
    size_t need = m->n + entries;
    if (need > m->cap) {
        struct ifmap_entry *v = realloc(m->v, need * sizeof(*v));
        if (!v) {
            free(copy);
            set_err(err, errlen, "out of memory parsing --ifmap");
            return -1;
        }
        m->v = v;
        m->cap = need;
    }

    size_t n = m->n;
    int rc = 0;
    char *p = copy;
    for (size_t i = 0; i < entries; i++) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        char *entry = trim(p);
        if (!*entry) {
            if (entries == 1)
                set_err(err, errlen, "empty --ifmap value");
            else
                set_err(err, errlen, "bad --ifmap value '%s': empty entry", spec);
            rc = -1;
            break;
        }
        if (parse_entry(entry, m->v, n, &m->v[n], err, errlen) < 0) {
            rc = -1;
            break;
        }
        n++;
        p = comma ? comma + 1 : p + strlen(p);
    }
    if (rc == 0) m->n = n;
    free(copy);
    return rc;
}

void ifmap_linux_name(const struct ifmap *m, const struct ifname *n, char *buf, size_t len)
{
    const struct ifmap_entry *e = m ? find_ios(m->v, m->n, n) : NULL;
    if (e)
        snprintf(buf, len, "%s", e->linux_name);
    else if (n->type == IFT_GIGABIT)
        snprintf(buf, len, "eth%lu", n->num - 1);
    else if (n->type == IFT_VTEMPLATE)
        snprintf(buf, len, "vt%lu", n->num);
    else
        snprintf(buf, len, "lo");
}

/* Strict decimal as the kernel prints it: no sign, no leading zeros. */
static int parse_canonical(const char *s, unsigned long max, unsigned long *out)
{
    if (s[0] == '0' && s[1] != '\0') return -1;
    return parse_number(s, max, out);
}

int ifmap_ios_name(const struct ifmap *m, const char *linux_name, struct ifname *out)
{
    if (!linux_name) return -1;
    const struct ifmap_entry *e = m ? find_linux(m->v, m->n, linux_name) : NULL;
    if (e) {
        *out = e->ios;
        return 0;
    }

    struct ifname n;
    unsigned long k;
    if (strncmp(linux_name, "eth", 3) == 0 &&
        parse_canonical(linux_name + 3, type_info[IFT_GIGABIT].max - 1, &k) == 0) {
        n.type = IFT_GIGABIT;
        n.num = k + 1;
    } else if (strncmp(linux_name, "lo:", 3) == 0 &&
               parse_canonical(linux_name + 3, type_info[IFT_LOOPBACK].max, &k) == 0) {
        n.type = IFT_LOOPBACK;
        n.num = k;
    } else if (strncmp(linux_name, "vt", 2) == 0 &&
               parse_canonical(linux_name + 2, type_info[IFT_VTEMPLATE].max, &k) == 0 &&
               k >= type_info[IFT_VTEMPLATE].min) {
        n.type = IFT_VTEMPLATE;
        n.num = k;
    } else {
        return -1;
    }
    if (m && find_ios(m->v, m->n, &n)) return -1;
    *out = n;
    return 0;
}
