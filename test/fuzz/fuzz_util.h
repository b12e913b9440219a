/* Helpers shared by the libFuzzer harnesses. */
#ifndef IKEGATE_FUZZ_UTIL_H
#define IKEGATE_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An invariant of the code under test: when it does not hold, say which and abort, so that
 * libFuzzer reports a crash and keeps the input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A NUL-terminated heap copy of data[0..size), exactly size + 1 bytes so that ASan sees any
 * read past the end (an embedded NUL simply ends the string early). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Split s in place at the first `sep`: returns what follows it, or NULL if there is none. */
static inline char *fuzz_split(char *s, char sep)
{
    char *p = strchr(s, sep);
    if (!p) return NULL;
    *p = '\0';
    return p + 1;
}

#endif
