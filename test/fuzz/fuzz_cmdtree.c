/* libFuzzer harness for the IOS grammar (cli/cmdtree.h) over the real command set: every CLI
 * line and every startup-config line goes through cmdtree_parse; `?` and TAB go through
 * cmdtree_help and cmdtree_complete.
 *
 * Input: a mode byte (value % CM_COUNT: '0' EXEC, '1' CONFIG, '2' config-if, '3' cluster), a
 * privilege byte (a hex digit gives its value, '1' user EXEC and 'f' privileged; any other
 * byte value % 16) and the line itself (at most LINE_MAX_BYTES; a NUL ends it early).
 *
 * Invariants checked, besides the sanitizers:
 * - parse: the status is a known one; an error column lies within the line; a match names a
 *   runnable definition of the mode it reports, allowed at the privilege, with sane argv;
 *   the normalised form (argv joined, `do` and the filter put back) parses to the same match.
 * - help: a known status, the column within the line, output as whole lines and only on
 *   CS_OK; a complete command followed by a space offers <cr>.
 * - complete: keeps the line up to the last word, extends that word (or spells out the
 *   interface name it is), and the completed line still parses without an error. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cli/app.h"
#include "cli/cmdtree.h"
#include "platform/ifname.h"
#include "platform/log.h"
#include "platform/strbuf.h"
#include "test/fuzz/fuzz_util.h"

#define LINE_MAX_BYTES 1000

/* The debug flags the daemon registers before building its grammar (shell_init). */
extern struct debug_flag dbg_parser, dbg_netlink;

static struct cmd_tree tree;
/* Large (16 KiB of argv each): static, and entirely rewritten by every cmdtree_parse. */
static struct cmd_match m1, m2;

static const char *const filter_names[] = {"", "begin", "count", "exclude", "include", "section"};

static void free_tree(void)
{
    cmdtree_free(&tree);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    debug_register(&dbg_parser);
    debug_register(&dbg_netlink);
    cmdtree_init(&tree);
    app_register_commands(&tree);
    atexit(free_tree);
    return 0;
}

/* The grammar's white space: isspace(), as cmdtree's word splitter. */
static bool is_sep(char c)
{
    return isspace((unsigned char)c);
}

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_match(const struct cmd_match *m, int mode, int priv, size_t len)
{
    FUZZ_CHECK((int)m->status >= CS_OK && (int)m->status <= CS_TOO_LONG);
    switch (m->status) {
    case CS_INVALID: FUZZ_CHECK(m->col >= 0 && (size_t)m->col <= len); break;
    case CS_AMBIGUOUS: FUZZ_CHECK(m->col > 0 && (size_t)m->col <= len); break;
    case CS_OK: {
        const struct cmd_def *d = m->def;
        FUZZ_CHECK(d != NULL && d->fn != NULL && !(d->flags & CMDF_DO));
        FUZZ_CHECK(d->priv <= priv);
        FUZZ_CHECK(m->mode >= 0 && m->mode < CM_COUNT && (d->modes & (1u << m->mode)));
        if (m->via_do)
            FUZZ_CHECK(mode != CM_EXEC && m->mode == CM_EXEC);
        else
            FUZZ_CHECK(m->mode == mode);
        FUZZ_CHECK(m->argc >= 1 && m->argc <= CMD_MAX_WORDS);
        for (int i = 0; i < m->argc; i++) FUZZ_CHECK(terminated(m->argv[i], sizeof m->argv[i]));
        FUZZ_CHECK(m->is_no == !strcmp(m->argv[0], "no"));
        FUZZ_CHECK(m->is_default == !strcmp(m->argv[0], "default"));
        FUZZ_CHECK((int)m->filter >= FILTER_NONE && (int)m->filter <= FILTER_SECTION);
        FUZZ_CHECK(m->filter == FILTER_NONE || (d->flags & CMDF_FILTER));
        FUZZ_CHECK(terminated(m->filter_arg, sizeof m->filter_arg));
        FUZZ_CHECK(m->filter == FILTER_NONE || m->filter == FILTER_COUNT || m->filter_arg[0]);
        FUZZ_CHECK(!m->iftype_pending);
        break;
    }
    default: break;
    }
}

/* The line a match stands for, spelled out: it must parse to the same match. */
static void check_normalised(const struct cmd_match *m, int mode, int priv)
{
    struct strbuf sb = STRBUF_INIT;
    if (m->via_do) sb_puts(&sb, "do");
    for (int i = 0; i < m->argc; i++) {
        if (sb.len) sb_puts(&sb, " ");
        sb_puts(&sb, m->argv[i]);
    }
    if (m->filter != FILTER_NONE)
        sb_printf(&sb, " | %s%s%s", filter_names[m->filter], m->filter_arg[0] ? " " : "",
                  m->filter_arg);
    cmdtree_parse(&tree, mode, priv, sb_str(&sb), &m2);
    if (m2.status != CS_OK || m2.def != m->def)
        fprintf(stderr, "normalised line '%s' gives status %d\n", sb_str(&sb), (int)m2.status);
    FUZZ_CHECK(m2.status == CS_OK && m2.def == m->def);
    FUZZ_CHECK(m2.mode == m->mode && m2.via_do == m->via_do);
    FUZZ_CHECK(m2.is_no == m->is_no && m2.is_default == m->is_default);
    FUZZ_CHECK(m2.argc == m->argc);
    for (int i = 0; i < m->argc; i++) FUZZ_CHECK(!strcmp(m2.argv[i], m->argv[i]));
    FUZZ_CHECK(m2.filter == m->filter && !strcmp(m2.filter_arg, m->filter_arg));
    sb_free(&sb);
}

static enum cmd_status check_help(int mode, int priv, const char *line, struct strbuf *out)
{
    int col = -1;
    size_t len = strlen(line);
    enum cmd_status st = cmdtree_help(&tree, mode, priv, line, out, &col);
    FUZZ_CHECK(st == CS_OK || st == CS_INVALID || st == CS_AMBIGUOUS || st == CS_INCOMPLETE ||
               st == CS_TOO_LONG);
    if (st == CS_INVALID || st == CS_AMBIGUOUS) FUZZ_CHECK(col >= 0 && (size_t)col <= len);
    FUZZ_CHECK(strlen(sb_str(out)) == out->len);
    if (st == CS_OK)
        FUZZ_CHECK(out->len == 0 || out->buf[out->len - 1] == '\n');
    else
        FUZZ_CHECK(out->len == 0);
    return st;
}

/* `?` after a complete command and a space lists <cr>. */
static void check_help_cr(int mode, int priv, const char *line)
{
    struct strbuf with_space = STRBUF_INIT, out = STRBUF_INIT;
    sb_printf(&with_space, "%s ", line);
    enum cmd_status st = check_help(mode, priv, sb_str(&with_space), &out);
    if (st != CS_OK || !strstr(sb_str(&out), "<cr>\n"))
        fprintf(stderr, "help for '%s' (status %d):\n%s", sb_str(&with_space), (int)st,
                sb_str(&out));
    FUZZ_CHECK(st == CS_OK && strstr(sb_str(&out), "<cr>\n"));
    sb_free(&with_space);
    sb_free(&out);
}

static void check_complete(int mode, int priv, const char *line)
{
    char out[LINE_MAX_BYTES + 128];
    memset(out, 'X', sizeof out);
    if (!cmdtree_complete(&tree, mode, priv, line, out, sizeof out)) return;
    size_t len = strlen(line), olen = strnlen(out, sizeof out);
    FUZZ_CHECK(olen < sizeof out && olen >= 2 && out[olen - 1] == ' ');
    /* The last word: what TAB completed. */
    size_t start = len;
    while (start > 0 && !is_sep(line[start - 1])) start--;
    FUZZ_CHECK(start < len);
    FUZZ_CHECK(!memcmp(out, line, start));
    const char *typed = line + start, *done = out + start;
    size_t tlen = len - start, dlen = olen - 1 - start;
    FUZZ_CHECK(dlen > 0 && !memchr(done, ' ', dlen));
    struct ifname in;
    bool extends = dlen >= tlen && !strncasecmp(done, typed, tlen);
    FUZZ_CHECK(extends || ifname_parse(typed, NULL, &in, NULL) == 0);
    cmdtree_parse(&tree, mode, priv, out, &m2);
    if (m2.status != CS_OK && m2.status != CS_INCOMPLETE)
        fprintf(stderr, "completed line '%s' gives status %d\n", out, (int)m2.status);
    FUZZ_CHECK(m2.status == CS_OK || m2.status == CS_INCOMPLETE);
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return c % 16;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int mode = data[0] % CM_COUNT;
    int priv = hexval(data[1]);
    size_t n = size - 2 > LINE_MAX_BYTES ? LINE_MAX_BYTES : size - 2;
    char *line = fuzz_strdup(data + 2, n);
    size_t len = strlen(line);

    cmdtree_parse(&tree, mode, priv, line, &m1);
    check_match(&m1, mode, priv, len);
    if (m1.status == CS_OK) {
        check_normalised(&m1, mode, priv);
        if (m1.filter == FILTER_NONE) check_help_cr(mode, priv, line);
    }

    struct strbuf help = STRBUF_INIT;
    check_help(mode, priv, line, &help);
    sb_free(&help);

    check_complete(mode, priv, line);
    free(line);
    return 0;
}
