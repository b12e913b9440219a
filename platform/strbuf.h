/* Growable text buffer used for command replies, rendered configuration and log lines. */
#ifndef IKEGATE_STRBUF_H
#define IKEGATE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *buf; /* always NUL-terminated once anything was appended; NULL when empty */
    size_t len;
    size_t cap;
};

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Append formatted text. Aborts the process on allocation failure (as the rest of the
 * appliance does: a router that cannot allocate a few bytes cannot go on meaningfully). */
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
/* Empty the buffer but keep its storage. */
void sb_reset(struct strbuf *sb);
/* Hand the text to the caller (NUL-terminated, never NULL); the buffer is left empty. */
char *sb_detach(struct strbuf *sb);
void sb_free(struct strbuf *sb);
/* The text, or "" when nothing was appended. */
const char *sb_str(const struct strbuf *sb);

#endif
