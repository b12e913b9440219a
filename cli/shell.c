#include "cli/shell.h"

#include <ctype.h>
#include <errno.h>
#include <libcli.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pwd.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform/log.h"
#include "platform/loop.h"
#include "platform/strbuf.h"

#define HIST_MAX 64
#define LINE_MAX_LEN 1024

struct debug_flag dbg_parser = {.path = "parser commands",
                                .group = "Parser",
                                .title = "Parser commands",
                                .help = "Each command as it is executed"};

struct session {
    struct shell *sh;
    struct cli_def *cli;
    struct session *next;
    int fd_in, fd_out;
    enum sess_kind kind;
    bool interactive, batch_status, telnet, no_log;
    _Atomic bool dead; /* set by other threads too (shell_fini) */
    bool quit, dispatched;
    int vty;
    char name[16];
    char user[64];
    int priv;
    int mode;
    char mode_obj[64];
    int rows;
    struct log_sink *sink;
    bool monitor;

    struct cmd_match pending;
    char pending_line[LINE_MAX_LEN];
    int pending_status;

    int lines_out; /* paging */
    bool discard;

    char line[LINE_MAX_LEN];
    size_t len, cur;
    char *hist[HIST_MAX];
    int nhist;

    unsigned char ibuf[4096];
    size_t ilen, ipos;
    bool last_cr;

    struct strbuf *capture; /* SK_BOOT: output collected here */
    struct strbuf obuf;     /* output not yet written */
};

static const char *mode_string(int mode)
{
    switch (mode) {
    case CM_CONFIG: return "config";
    case CM_IF: return "config-if";
    case CM_CLUSTER: return "config-ikev2-cluster";
    case CM_IKEV2_PROPOSAL: return "config-ikev2-proposal";
    case CM_IKEV2_POLICY: return "config-ikev2-policy";
    case CM_IKEV2_KEYRING: return "config-ikev2-keyring";
    case CM_IKEV2_PEER: return "config-ikev2-keyring-peer";
    case CM_IKEV2_PROFILE: return "config-ikev2-profile";
    case CM_IKEV2_AUTHOR: return "config-ikev2-profile-author-policy";
    case CM_IPSEC_TS: return "cfg-crypto-trans";
    case CM_IPSEC_PROFILE: return "ipsec-profile";
    case CM_PKI_TP: return "ca-trustpoint";
    case CM_PKI_CERTMAP: return "ca-certificate-map";
    default: return NULL;
    }
}

/* ---- output ---- */

static void flush_out(struct session *s)
{
    const char *p = s->obuf.buf;
    size_t n = s->obuf.len;
    while (n > 0 && !s->dead) {
        ssize_t w = write(s->fd_out, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = {.fd = s->fd_out, .events = POLLOUT};
            poll(&pfd, 1, 1000);
            continue;
        }
        if (w <= 0) {
            s->dead = true; /* the client went away: drop the rest */
            break;
        }
        p += w;
        n -= (size_t)w;
    }
    sb_reset(&s->obuf);
}

/* Output is gathered and written in large pieces: a 10,000-line show must not cost two
 * system calls a line. It is flushed before the session waits for input. */
static void raw_write(struct session *s, const char *p, size_t n)
{
    if (s->kind == SK_BOOT) {
        if (s->capture) sb_append(s->capture, p, n);
        return;
    }
    if (s->dead) return;
    sb_append(&s->obuf, p, n);
    if (s->obuf.len >= 65536) flush_out(s);
}

static void out_str(struct session *s, const char *str)
{
    /* Interactive terminals are in raw mode: every newline needs its carriage return. */
    if (!s->interactive) {
        raw_write(s, str, strlen(str));
        return;
    }
    const char *p = str;
    for (const char *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        raw_write(s, p, (size_t)(nl - p));
        raw_write(s, "\r\n", 2);
    }
    raw_write(s, p, strlen(p));
}

static int sess_getc(struct session *s, int timeout_ms);

/* One line of command output, after libcli's filters. Pages like IOS's --More--. */
static void out_line(struct session *s, const char *line)
{
    if (s->discard || s->dead) return;
    out_str(s, line);
    out_str(s, "\n");
    if (!s->interactive || s->rows <= 0) return;
    if (++s->lines_out < s->rows - 1) return;
    raw_write(s, " --More-- ", 10);
    flush_out(s);
    int ch = sess_getc(s, -1);
    raw_write(s, "\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b", 30);
    if (ch == ' ')
        s->lines_out = 0;
    else if (ch == '\r' || ch == '\n')
        s->lines_out = s->rows - 2;
    else
        s->discard = true;
}

static void print_cb(struct cli_def *cli, const char *str)
{
    out_line(cli_get_context(cli), str);
}

static void prompt(struct session *s, char *buf, size_t len)
{
    char host[64];
    app_hostname(s->sh->app, host, sizeof host);
    const char *ms = mode_string(s->mode);
    snprintf(buf, len, "%s%s%s%s%s", host, ms ? "(" : "", ms ? ms : "", ms ? ")" : "",
             s->priv >= 2 ? "#" : ">");
}

/* ---- libcli filters: IOS's regular-expression filters ---- */

struct filt {
    int kind;
    regex_t re;
    bool have_re, begun, in_section, section_hit;
    int count;
    struct strbuf section;
    struct session *s;
};

static void section_flush(struct filt *f)
{
    if (f->section_hit && f->section.len) {
        /* Flush the buffered section as output lines. */
        char *text = sb_detach(&f->section), *sv = NULL;
        for (char *l = strtok_r(text, "\n", &sv); l; l = strtok_r(NULL, "\n", &sv))
            out_line(f->s, l);
        free(text);
    }
    sb_reset(&f->section);
    f->section_hit = false;
}

static int filt_fn(struct cli_def *cli, const char *str, void *data)
{
    struct filt *f = data;
    (void)cli;
    if (!str) { /* teardown */
        if (f->kind == FILTER_SECTION) section_flush(f);
        if (f->kind == FILTER_COUNT) {
            char b[80];
            snprintf(b, sizeof b, "Number of lines which match regexp = %d", f->count);
            out_line(f->s, b);
        }
        if (f->have_re) regfree(&f->re);
        sb_free(&f->section);
        free(f);
        return CLI_OK;
    }
    bool hit = !f->have_re || regexec(&f->re, str, 0, NULL, 0) == 0;
    switch (f->kind) {
    case FILTER_INCLUDE: return hit ? CLI_OK : CLI_ERROR;
    case FILTER_EXCLUDE: return hit ? CLI_ERROR : CLI_OK;
    case FILTER_BEGIN:
        if (hit) f->begun = true;
        return f->begun ? CLI_OK : CLI_ERROR;
    case FILTER_COUNT:
        if (hit) f->count++;
        return CLI_ERROR;
    case FILTER_SECTION:
        /* A section is a line at the left margin and the indented lines under it; it is shown
         * whole when any of its lines matches. */
        if (str[0] != ' ') section_flush(f);
        sb_puts(&f->section, str);
        sb_puts(&f->section, "\n");
        if (hit) f->section_hit = true;
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int filt_init(struct cli_def *cli, int argc, char **argv, struct cli_filter *filt)
{
    (void)argc, (void)argv;
    struct session *s = cli_get_context(cli);
    struct filt *f = calloc(1, sizeof *f);
    if (!f) return CLI_ERROR;
    f->kind = s->pending.filter;
    f->s = s;
    if (s->pending.filter_arg[0]) {
        if (regcomp(&f->re, s->pending.filter_arg, REG_EXTENDED | REG_NOSUB)) {
            free(f); /* checked in session_exec already; only memory can fail here */
            return CLI_ERROR;
        }
        f->have_re = true;
    }
    filt->filter = filt_fn;
    filt->data = f;
    return CLI_OK;
}

/* ---- dispatch ---- */

static int engine_run(void *arg, struct strbuf *out)
{
    struct cmd_ctx *c = arg;
    c->out = out;
    return c->m->def->fn(c);
}

static int tramp(struct cli_def *cli, const char *command, char **argv, int argc)
{
    (void)command, (void)argv, (void)argc;
    struct session *s = cli_get_context(cli);
    s->dispatched = true;
    struct strbuf out = STRBUF_INIT;
    struct cmd_ctx ctx = {.app = s->sh->app,
                          .m = &s->pending,
                          .mode = s->mode,
                          .mode_obj = s->mode_obj,
                          .priv = s->priv,
                          .who = s->name,
                          .out = &out,
                          .new_mode = -1,
                          .sess = s};
    int st;
    if (dbg_parser.on) ilog_debug("PARSER: %s: '%s'", s->name, s->pending_line);
    if (s->pending.def->flags & CMDF_SESSION) {
        st = s->pending.def->fn(&ctx);
    } else {
        char *text = NULL;
        st = loop_call(s->sh->loop, engine_run, &ctx, &text);
        sb_puts(&out, text);
        free(text);
    }
    char *text = sb_detach(&out), *p = text;
    for (char *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl) {
            cli_print(cli, "%s", p);
            break;
        }
        *nl = '\0';
        cli_print(cli, "%s", p);
    }
    free(text);
    if (ctx.new_mode >= 0) {
        s->mode = ctx.new_mode;
        snprintf(s->mode_obj, sizeof s->mode_obj, "%s", ctx.new_obj);
    }
    if (st) s->pending_status = 1;
    return CLI_OK;
}

static void register_libcli(struct session *s)
{
    struct cli_def *cli = s->cli;
    cli_unregister_all_commands(cli);
    cli_unregister_all_filters(cli);
    static const char *const names[] = {NULL, "begin", "count", "exclude", "include", "section"};
    for (int f = FILTER_BEGIN; f <= FILTER_SECTION; f++) {
        struct cli_command *c = cli_register_filter(cli, names[f], filt_init, filt_fn,
                                                    PRIVILEGE_UNPRIVILEGED, MODE_ANY, names[f]);
        cli_register_optarg(c, "pattern", CLI_CMD_OPTIONAL_ARGUMENT | CLI_CMD_REMAINDER_OF_LINE,
                            PRIVILEGE_UNPRIVILEGED, MODE_ANY, "LINE", NULL, NULL, NULL);
    }
    /* libcli dispatches on the first word only; the rest of the line was already parsed. */
    for (int m = 0; m < CM_COUNT; m++) {
        const struct cmd_node *root = s->sh->tree.root[m];
        for (size_t k = 0; k < root->nkids; k++) {
            const struct cmd_node *c = root->kids[k];
            if (c->kind != TK_KW) continue;
            cli_register_command(cli, NULL, c->text, tramp, c->priv, m, c->help);
        }
    }
}

static void report_error(struct session *s, const char *line, const struct cmd_match *m)
{
    char buf[LINE_MAX_LEN + 160];
    switch (m->status) {
    case CS_INVALID: {
        int pad = m->col;
        if (s->interactive) {
            char p[128];
            prompt(s, p, sizeof p);
            pad += (int)strlen(p);
        } else {
            out_str(s, line);
            out_str(s, "\n");
        }
        if (pad > LINE_MAX_LEN) pad = LINE_MAX_LEN;
        memset(buf, ' ', (size_t)pad);
        snprintf(buf + pad, sizeof buf - (size_t)pad, "^\n");
        out_str(s, buf);
        out_str(s, "% Invalid input detected at '^' marker.\n\n");
        break;
    }
    case CS_INCOMPLETE: out_str(s, "% Incomplete command.\n\n"); break;
    case CS_AMBIGUOUS:
        snprintf(buf, sizeof buf, "%% Ambiguous command:  \"%.*s\"\n", m->col, line);
        out_str(s, buf);
        break;
    default: out_str(s, "% Command line too long.\n\n"); break;
    }
}

int session_exec(struct session *s, const char *line)
{
    struct cmd_match *m = &s->pending;
    const struct cmd_tree *t = &s->sh->tree;
    cmdtree_parse(t, s->mode, s->priv, line, m);
    if (m->status == CS_EMPTY) return 0;
    if (m->status != CS_OK && s->mode > CM_CONFIG) {
        /* As IOS: a global command typed in a submode runs in global configuration mode. */
        struct cmd_match *m2 = malloc(sizeof *m2);
        if (!m2) abort();
        cmdtree_parse(t, CM_CONFIG, s->priv, line, m2);
        if (m2->status == CS_OK) {
            *m = *m2;
            s->mode = CM_CONFIG;
            s->mode_obj[0] = '\0';
        } else if (m2->status == CS_INVALID && m->status == CS_INVALID && m2->col > m->col) {
            m->col = m2->col;
        }
        free(m2);
    }
    if (m->status != CS_OK) {
        report_error(s, line, m);
        return 1;
    }
    if (m->filter_arg[0]) {
        regex_t re;
        if (regcomp(&re, m->filter_arg, REG_EXTENDED | REG_NOSUB)) {
            out_str(s, "% Invalid regular expression\n");
            return 1;
        }
        regfree(&re);
    }
    snprintf(s->pending_line, sizeof s->pending_line, "%s", line);
    char canon[320];
    static const char *const fnames[] = {"", "begin", "count", "exclude", "include", "section"};
    snprintf(canon, sizeof canon, "%s%s%s%s", m->via_do ? "do" : m->argv[0], m->filter ? " | " : "",
             m->filter ? fnames[m->filter] : "",
             m->filter && m->filter != FILTER_COUNT ? " x" : "");
    cli_set_privilege(s->cli, s->priv);
    cli_set_configmode(s->cli, s->mode, mode_string(s->mode));
    s->pending_status = 0;
    s->dispatched = false;
    s->lines_out = 0;
    s->discard = false;
    cli_run_command(s->cli, canon);
    if (!s->dispatched) {
        out_str(s, "% Internal error: the command was not dispatched\n");
        return 1;
    }
    return s->pending_status;
}

/* ---- sessions ---- */

struct session *session_new(struct shell *sh, const struct session_opts *o)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->sh = sh;
    s->fd_in = o->fd_in;
    s->fd_out = o->fd_out;
    s->kind = o->kind;
    s->interactive = o->interactive;
    s->batch_status = o->batch_status;
    s->telnet = o->telnet;
    s->no_log = o->no_log;
    s->priv = o->priv;
    s->rows = o->rows;
    s->vty = -1;
    s->mode = o->kind == SK_BOOT ? CM_CONFIG : CM_EXEC;
    if (o->user) snprintf(s->user, sizeof s->user, "%s", o->user);
    s->cli = cli_init();
    if (!s->cli) {
        free(s);
        return NULL;
    }
    cli_set_context(s->cli, s);
    cli_print_callback(s->cli, print_cb);
    register_libcli(s);
    pthread_mutex_lock(&sh->lock);
    if (o->kind == SK_VTY) {
        for (int v = 0; v < 64; v++)
            if (!(sh->vty_used & (1ull << v))) {
                sh->vty_used |= 1ull << v;
                s->vty = v;
                break;
            }
        snprintf(s->name, sizeof s->name, "vty%d", s->vty < 0 ? 99 : s->vty);
    } else {
        snprintf(s->name, sizeof s->name, o->kind == SK_BOOT ? "startup" : "console");
    }
    if (o->kind != SK_BOOT) {
        s->next = sh->sessions;
        sh->sessions = s;
        sh->nsessions++;
    }
    pthread_mutex_unlock(&sh->lock);
    if (o->kind == SK_CONSOLE && !o->no_log) {
        s->sink = o->sink ? o->sink : log_sink_new(LOG_SINK_CONSOLE, 1000);
        if (s->sink) log_sink_attach(s->sink);
    }
    return s;
}

static void session_free(struct session *s)
{
    struct shell *sh = s->sh;
    if (s->kind != SK_BOOT) {
        pthread_mutex_lock(&sh->lock);
        for (struct session **pp = &sh->sessions; *pp; pp = &(*pp)->next)
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        if (s->vty >= 0) sh->vty_used &= ~(1ull << s->vty);
        sh->nsessions--;
        pthread_cond_broadcast(&sh->idle);
        pthread_mutex_unlock(&sh->lock);
    }
    if (s->obuf.len && s->kind != SK_BOOT) flush_out(s);
    sb_free(&s->obuf);
    log_sink_free(s->sink);
    for (int i = 0; i < s->nhist; i++) free(s->hist[i]);
    cli_done(s->cli);
    if (s->fd_in >= 0) close(s->fd_in);
    if (s->fd_out >= 0 && s->fd_out != s->fd_in) close(s->fd_out);
    free(s);
}

static void emit_log(void *ctx, const char *line)
{
    struct session *s = ctx;
    out_str(s, line);
    out_str(s, "\n");
}

/* Reads one byte of input, with telnet commands removed. Log lines that arrive meanwhile
 * are printed (the caller reprints its prompt). -1 EOF, -2 timeout, -3 log lines printed. */
static int sess_getc(struct session *s, int timeout_ms)
{
    for (;;) {
        if (s->ipos < s->ilen) {
            unsigned char ch = s->ibuf[s->ipos++];
            if (s->telnet && ch == 255) {
                int c2 = sess_getc(s, 1000);
                if (c2 == 255) return 255;
                if (c2 >= 251 && c2 <= 254) {
                    sess_getc(s, 1000);
                } else if (c2 == 250) { /* subnegotiation: skip to IAC SE */
                    for (int prev = 0, c3; (c3 = sess_getc(s, 1000)) >= 0; prev = c3)
                        if (prev == 255 && c3 == 240) break;
                }
                continue;
            }
            return ch;
        }
        if (s->dead) return -1;
        if (s->obuf.len) flush_out(s);
        struct pollfd p[2] = {{.fd = s->fd_in, .events = POLLIN},
                              {.fd = s->sink ? log_sink_fd(s->sink) : -1, .events = POLLIN}};
        /* Wake up now and then: shell_fini may have ended the session meanwhile. */
        int r = poll(p, 2, timeout_ms < 0 || timeout_ms > 250 ? 250 : timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) {
            if (timeout_ms < 0) continue;
            timeout_ms = timeout_ms > 250 ? timeout_ms - 250 : 0;
            if (timeout_ms == 0) return -2;
            continue;
        }
        if (p[1].revents & POLLIN) {
            out_str(s, "\n");
            log_sink_drain(s->sink, emit_log, s);
            return -3;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(s->fd_in, s->ibuf, sizeof s->ibuf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) {
                s->dead = true;
                return -1;
            }
            s->ilen = (size_t)n;
            s->ipos = 0;
        }
    }
}

/* ---- line editing ---- */

static void redraw_tail(struct session *s, size_t erase)
{
    raw_write(s, s->line + s->cur, s->len - s->cur);
    for (size_t i = 0; i < erase; i++) raw_write(s, " ", 1);
    for (size_t i = 0; i < s->len - s->cur + erase; i++) raw_write(s, "\b", 1);
}

static void show_prompt_line(struct session *s)
{
    char p[128];
    prompt(s, p, sizeof p);
    raw_write(s, p, strlen(p));
    raw_write(s, s->line, s->len);
    for (size_t i = s->cur; i < s->len; i++) raw_write(s, "\b", 1);
}

static void set_line(struct session *s, const char *text)
{
    size_t old = s->len;
    while (s->cur > 0) raw_write(s, "\b", 1), s->cur--;
    snprintf(s->line, sizeof s->line, "%s", text);
    s->len = strlen(s->line);
    raw_write(s, s->line, s->len);
    for (size_t i = s->len; i < old; i++) raw_write(s, " ", 1);
    for (size_t i = s->len; i < old; i++) raw_write(s, "\b", 1);
    s->cur = s->len;
}

static void history_add(struct session *s, const char *line)
{
    if (!line[0]) return;
    if (s->nhist && !strcmp(s->hist[s->nhist - 1], line)) return;
    if (s->nhist == HIST_MAX) {
        free(s->hist[0]);
        memmove(s->hist, s->hist + 1, (HIST_MAX - 1) * sizeof s->hist[0]);
        s->nhist--;
    }
    s->hist[s->nhist++] = strdup(line);
    if (!s->hist[s->nhist - 1]) s->nhist--;
}

static void do_help(struct session *s)
{
    struct strbuf help = STRBUF_INIT;
    int col = 0;
    s->line[s->len] = '\0';
    raw_write(s, "?", 1);
    out_str(s, "\n");
    enum cmd_status st = cmdtree_help(&s->sh->tree, s->mode, s->priv, s->line, &help, &col);
    if (st == CS_INVALID) {
        struct cmd_match m = {.status = CS_INVALID, .col = col};
        report_error(s, s->line, &m);
    } else if (st == CS_AMBIGUOUS) {
        struct cmd_match m = {.status = CS_AMBIGUOUS, .col = col};
        report_error(s, s->line, &m);
        out_str(s, "\n");
    } else if (st == CS_OK) {
        out_str(s, sb_str(&help));
        out_str(s, "\n");
    } else {
        out_str(s, "% Unrecognized command\n");
    }
    sb_free(&help);
    s->cur = s->len;
    show_prompt_line(s);
}

enum { RL_LINE, RL_EOF, RL_CTRLZ, RL_CTRLC };

static int read_line(struct session *s)
{
    int hpos = s->nhist;
    char saved[LINE_MAX_LEN] = "";
    s->len = s->cur = 0;
    s->line[0] = '\0';
    show_prompt_line(s);
    for (;;) {
        int ch = sess_getc(s, -1);
        if (ch == -1) return RL_EOF;
        if (ch == -3) {
            show_prompt_line(s);
            continue;
        }
        if (ch < 0) continue;
        if (ch == '\n' && s->last_cr) {
            s->last_cr = false;
            continue;
        }
        s->last_cr = ch == '\r';
        if (ch == '\r' || ch == '\n') {
            out_str(s, "\n");
            s->line[s->len] = '\0';
            return RL_LINE;
        }
        switch (ch) {
        case 0: break;
        case 0x1a: return RL_CTRLZ;
        case 0x03: return RL_CTRLC;
        case 0x01:
            while (s->cur) raw_write(s, "\b", 1), s->cur--;
            break;
        case 0x05:
            raw_write(s, s->line + s->cur, s->len - s->cur);
            s->cur = s->len;
            break;
        case 0x02:
            if (s->cur) raw_write(s, "\b", 1), s->cur--;
            break;
        case 0x06:
            if (s->cur < s->len) raw_write(s, s->line + s->cur, 1), s->cur++;
            break;
        case 0x08:
        case 0x7f:
            if (!s->cur) break;
            raw_write(s, "\b", 1);
            s->cur--;
            memmove(s->line + s->cur, s->line + s->cur + 1, s->len - s->cur - 1);
            s->len--;
            redraw_tail(s, 1);
            break;
        case 0x04:
            if (s->cur == s->len) break;
            memmove(s->line + s->cur, s->line + s->cur + 1, s->len - s->cur - 1);
            s->len--;
            redraw_tail(s, 1);
            break;
        case 0x0b: {
            size_t gone = s->len - s->cur;
            s->len = s->cur;
            redraw_tail(s, gone);
            break;
        }
        case 0x15: {
            size_t old = s->len;
            while (s->cur) raw_write(s, "\b", 1), s->cur--;
            s->len = 0;
            redraw_tail(s, old);
            break;
        }
        case 0x17: {
            size_t st = s->cur;
            while (st && s->line[st - 1] == ' ') st--;
            while (st && s->line[st - 1] != ' ') st--;
            size_t gone = s->cur - st;
            for (size_t i = 0; i < gone; i++) raw_write(s, "\b", 1);
            memmove(s->line + st, s->line + s->cur, s->len - s->cur);
            s->len -= gone;
            s->cur = st;
            redraw_tail(s, gone);
            break;
        }
        case 0x0c:
        case 0x12:
            out_str(s, "\n");
            show_prompt_line(s);
            break;
        case 0x10:
        case 0x0e:
        nav_history:
            if (ch == 0x10 && hpos > 0) {
                if (hpos == s->nhist) {
                    s->line[s->len] = '\0';
                    snprintf(saved, sizeof saved, "%s", s->line);
                }
                set_line(s, s->hist[--hpos]);
            } else if (ch == 0x0e && hpos < s->nhist) {
                hpos++;
                set_line(s, hpos == s->nhist ? saved : s->hist[hpos]);
            }
            break;
        case 0x1b: {
            int c1 = sess_getc(s, 100), c2 = c1 == '[' ? sess_getc(s, 100) : -1;
            if (c2 == 'A')
                ch = 0x10;
            else if (c2 == 'B')
                ch = 0x0e;
            else if (c2 == 'C' && s->cur < s->len)
                raw_write(s, s->line + s->cur, 1), s->cur++;
            else if (c2 == 'D' && s->cur)
                raw_write(s, "\b", 1), s->cur--;
            if (ch == 0x10 || ch == 0x0e) goto nav_history;
            break;
        }
        case '\t': {
            char done[LINE_MAX_LEN];
            s->line[s->len] = '\0';
            if (s->cur == s->len &&
                cmdtree_complete(&s->sh->tree, s->mode, s->priv, s->line, done, sizeof done))
                set_line(s, done);
            break;
        }
        case '?': /* as IOS: help for the whole line, wherever the cursor is */
            raw_write(s, s->line + s->cur, s->len - s->cur);
            s->cur = s->len;
            do_help(s);
            break;
        default:
            if (ch < 0x20 || ch > 0x7e || s->len + 1 >= sizeof s->line) break;
            memmove(s->line + s->cur + 1, s->line + s->cur, s->len - s->cur);
            s->line[s->cur] = (char)ch;
            s->len++;
            raw_write(s, s->line + s->cur, 1);
            s->cur++;
            if (s->cur < s->len) redraw_tail(s, 0);
            break;
        }
    }
}

/* A line of input without editing (batch sessions, passwords on non-terminals). */
static int read_plain_line(struct session *s, char *buf, size_t len)
{
    size_t n = 0;
    for (;;) {
        int ch = sess_getc(s, -1);
        if (ch == -3) continue;
        if (ch < 0) {
            if (n == 0) return -1;
            break;
        }
        if (ch == '\n') break;
        if (ch == '\r' || ch == 0) continue;
        if (n + 1 < len) buf[n++] = (char)ch;
    }
    buf[n] = '\0';
    return 0;
}

static void leave_config(struct session *s)
{
    s->mode = CM_EXEC;
    s->mode_obj[0] = '\0';
    if (s->user[0] && s->kind == SK_VTY)
        ilog(5, "SYS", "CONFIG_I", "Configured from console by %s on %s", s->user, s->name);
    else
        ilog(5, "SYS", "CONFIG_I", "Configured from console by %s", s->name);
}

static void drain_console_log(struct session *s)
{
    if (s->sink) log_sink_drain(s->sink, emit_log, s);
}

void session_run(struct session *s)
{
    if (s->interactive) {
        if (s->telnet) raw_write(s, "\xff\xfb\x01\xff\xfb\x03", 6); /* WILL ECHO, WILL SGA */
        out_str(s, "\n");
        drain_console_log(s);
        while (!s->quit && !s->dead) {
            int r = read_line(s);
            if (r == RL_EOF) break;
            if (r == RL_CTRLZ || r == RL_CTRLC) {
                out_str(s, r == RL_CTRLZ ? "^Z\n" : "^C\n");
                if (s->mode != CM_EXEC) leave_config(s);
                continue;
            }
            history_add(s, s->line);
            char line[LINE_MAX_LEN];
            snprintf(line, sizeof line, "%s", s->line);
            session_exec(s, line);
        }
    } else {
        char line[LINE_MAX_LEN];
        while (!s->quit && !s->dead && read_plain_line(s, line, sizeof line) == 0) {
            int st = session_exec(s, line);
            if (s->batch_status) {
                char b[16];
                snprintf(b, sizeof b, "\x1e%d\n", st);
                raw_write(s, b, strlen(b));
            }
        }
    }
    session_free(s);
}

/* ---- session-side commands ---- */

static int copy_enable_hash(void *arg, struct strbuf *out)
{
    (void)out;
    struct {
        struct app *app;
        char *dst;
    } *r = arg;
    snprintf(r->dst, SECRET_HASH_MAX, "%s", r->app->enable_secret);
    return 0;
}

int sh_enable(struct cmd_ctx *c)
{
    struct session *s = c->sess;
    if (s->priv >= 15) return 0;
    char hash[SECRET_HASH_MAX];
    struct {
        struct app *app;
        char *dst;
    } req = {c->app, hash};
    char *text = NULL;
    loop_call(s->sh->loop, copy_enable_hash, &req, &text);
    free(text);
    if (!hash[0]) {
        if (s->kind == SK_CONSOLE) {
            s->priv = 15;
            return 0;
        }
        return ctx_err(c, "%% No password set");
    }
    for (int tries = 0; tries < 3; tries++) {
        out_str(s, "Password: ");
        flush_out(s);
        char pw[256];
        int r = s->interactive ? 0 : read_plain_line(s, pw, sizeof pw);
        if (s->interactive) {
            size_t n = 0;
            for (;;) {
                int ch = sess_getc(s, 60000);
                if (ch == -3) continue;
                if (ch < 0) {
                    r = -1;
                    break;
                }
                if (ch == '\n' && s->last_cr) {
                    s->last_cr = false;
                    continue;
                }
                s->last_cr = ch == '\r';
                if (ch == '\r' || ch == '\n') break;
                if (ch >= 0x20 && n + 1 < sizeof pw) pw[n++] = (char)ch;
            }
            pw[n] = '\0';
            out_str(s, "\n");
        }
        if (r < 0) return ctx_err(c, "%% Bad secrets");
        bool ok = secret_verify(pw, hash);
        OPENSSL_cleanse(pw, sizeof pw);
        if (ok) {
            s->priv = 15;
            return 0;
        }
    }
    return ctx_err(c, "%% Bad secrets\n");
}

int sh_disable(struct cmd_ctx *c)
{
    c->sess->priv = 1;
    return 0;
}

int sh_exit(struct cmd_ctx *c)
{
    struct session *s = c->sess;
    if (s->mode == CM_EXEC)
        s->quit = true;
    else if (s->mode == CM_CONFIG)
        leave_config(s);
    else if (s->mode == CM_IKEV2_PEER) {
        /* A keyring's peer: its mode_obj is "KEYRING PEER"; exit goes back to the keyring. */
        c->new_mode = CM_IKEV2_KEYRING;
        snprintf(c->new_obj, sizeof c->new_obj, "%.*s", (int)strcspn(s->mode_obj, " "),
                 s->mode_obj);
    } else
        c->new_mode = CM_CONFIG;
    return 0;
}

int sh_end(struct cmd_ctx *c)
{
    leave_config(c->sess);
    return 0;
}

int sh_configure(struct cmd_ctx *c)
{
    if (c->sess->kind != SK_BOOT)
        sb_puts(c->out, "Enter configuration commands, one per line.  End with CNTL/Z.\n");
    c->new_mode = CM_CONFIG;
    return 0;
}

int sh_terminal(struct cmd_ctx *c)
{
    struct session *s = c->sess;
    const struct cmd_match *m = c->m;
    if (!strcmp(m->argv[1], "length")) {
        s->rows = atoi(m->argv[2]);
    } else if (!strcmp(m->argv[1], "monitor")) {
        if (s->kind == SK_CONSOLE) return ctx_err(c, "%% Console already monitors");
        if (!s->sink) s->sink = log_sink_new(LOG_SINK_MONITOR, 1000);
        if (!s->sink) return ctx_err(c, "%% Out of memory");
        log_sink_attach(s->sink);
    } else if (s->kind != SK_CONSOLE && s->sink) { /* terminal no monitor */
        log_sink_free(s->sink);
        s->sink = NULL;
    }
    return 0;
}

int sh_show_privilege(struct cmd_ctx *c)
{
    sb_printf(c->out, "Current privilege level is %d\n", c->sess->priv);
    return 0;
}

/* ---- startup-config ---- */

int shell_load_file(struct shell *sh, const char *path, struct strbuf *report)
{
    FILE *f = fopen(path, "r");
    if (!f) return -errno;
    struct session_opts o = {.fd_in = -1, .fd_out = -1, .kind = SK_BOOT, .priv = 15};
    struct session *s = session_new(sh, &o);
    if (!s) {
        fclose(f);
        return -ENOMEM;
    }
    struct strbuf cap = STRBUF_INIT;
    s->capture = &cap;
    char line[LINE_MAX_LEN];
    int lineno = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n') {
            }
            sb_printf(report, "%s:%d: line too long, ignored\n", path, lineno);
            ilog(4, "PARSER", "BADCFG", "%s line %d: too long, ignored", path, lineno);
            bad++;
            continue;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '!') continue;
        if (!strncmp(p, "Building configuration", 22) || !strncmp(p, "Current configuration", 21))
            continue;
        if (!strcmp(p, "end")) break;
        /* Configuration files hold configuration commands: a submode left by indentation
         * alone (IOS writes no `exit`) is handled by the submode fallback in session_exec. */
        sb_reset(&cap);
        int st = session_exec(s, line);
        if (s->mode == CM_EXEC) s->mode = CM_CONFIG;
        bool err = st != 0 || strstr(sb_str(&cap), "% ") != NULL;
        if (err) {
            bad++;
            char head[64];
            int hl = snprintf(head, sizeof head, "%s:%d: ", path, lineno);
            sb_printf(report, "%s%s\n", head, line);
            /* Re-indent the caret line under the line as printed after the header. */
            const char *c = sb_str(&cap);
            const char *body = c;
            if (s->pending.status == CS_INVALID) {
                body = strchr(c, '\n');
                body = body ? body + 1 : c;
            }
            char *copy = strdup(body), *sv = NULL;
            for (char *l = copy ? strtok_r(copy, "\n", &sv) : NULL; l;
                 l = strtok_r(NULL, "\n", &sv)) {
                if (l[0] == ' ' && strchr(l, '^'))
                    sb_printf(report, "%*s%s\n", hl, "", l);
                else if (l[0])
                    sb_printf(report, "%s\n", l);
            }
            free(copy);
            ilog(4, "PARSER", "BADCFG", "%s line %d: '%s' rejected", path, lineno, line);
        }
    }
    fclose(f);
    sb_free(&cap);
    session_free(s);
    return bad;
}

/* ---- socket sessions ---- */

struct spawn {
    struct shell *sh;
    int fd;
    bool telnet;
};

static int lookup_priv(void *arg, struct strbuf *out)
{
    (void)out;
    struct {
        struct app *app;
        const char *user;
        int priv;
    } *r = arg;
    r->priv = app_user_privilege(r->app, r->user);
    return 0;
}

static void *socket_session_thread(void *arg)
{
    struct spawn sp = *(struct spawn *)arg;
    free(arg);
    struct session_opts o = {.fd_in = sp.fd,
                             .fd_out = sp.fd,
                             .kind = SK_VTY,
                             .interactive = true,
                             .telnet = sp.telnet,
                             .priv = 1,
                             .rows = 24};
    char user[64] = "";
    if (!sp.telnet) {
        struct ucred cr;
        socklen_t len = sizeof cr;
        if (getsockopt(sp.fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
            struct passwd pw, *res = NULL;
            char buf[1024];
            if (getpwuid_r(cr.uid, &pw, buf, sizeof buf, &res) == 0 && res)
                snprintf(user, sizeof user, "%s", res->pw_name);
            else
                snprintf(user, sizeof user, "uid%u", (unsigned)cr.uid);
            if (cr.uid == 0) {
                o.priv = 15;
            } else {
                struct {
                    struct app *app;
                    const char *user;
                    int priv;
                } r = {sp.sh->app, user, 1};
                char *text = NULL;
                loop_call(sp.sh->loop, lookup_priv, &r, &text);
                free(text);
                o.priv = r.priv;
            }
            o.user = user;
        }
        /* The hello line: "IKESH 1 interactive ROWS" or "IKESH 1 batch". */
        struct pollfd p = {.fd = sp.fd, .events = POLLIN};
        char peek[128];
        if (poll(&p, 1, 500) > 0) {
            ssize_t n = recv(sp.fd, peek, sizeof peek - 1, MSG_PEEK);
            if (n > 0) {
                peek[n] = '\0';
                char *nl = strchr(peek, '\n');
                if (!strncmp(peek, "IKESH ", 6) && nl) {
                    if (recv(sp.fd, peek, (size_t)(nl - peek + 1), 0) < 0) {
                    }
                    *nl = '\0';
                    int rows = 24;
                    char kind[32] = "";
                    sscanf(peek, "IKESH 1 %31s %d", kind, &rows);
                    o.interactive = strcmp(kind, "batch") != 0;
                    o.batch_status = !o.interactive;
                    o.rows = o.interactive ? rows : 0;
                }
            }
        }
    }
    struct session *s = session_new(sp.sh, &o);
    if (!s) {
        close(sp.fd);
        return NULL;
    }
    session_run(s);
    return NULL;
}

void shell_spawn_socket_session(struct shell *sh, int fd, bool telnet)
{
    struct spawn *sp = malloc(sizeof *sp);
    pthread_t th;
    pthread_attr_t at;
    if (!sp) {
        close(fd);
        return;
    }
    *sp = (struct spawn){sh, fd, telnet};
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &at, socket_session_thread, sp)) {
        close(fd);
        free(sp);
    }
    pthread_attr_destroy(&at);
}

int shell_init(struct shell *sh, struct app *app, loop_t *loop)
{
    memset(sh, 0, sizeof *sh);
    sh->app = app;
    sh->loop = loop;
    pthread_mutex_init(&sh->lock, NULL);
    pthread_cond_init(&sh->idle, NULL);
    debug_register(&dbg_parser);
    extern struct debug_flag dbg_netlink;
    debug_register(&dbg_netlink);
    cmdtree_init(&sh->tree);
    app_register_commands(&sh->tree);
    return 0;
}

void shell_fini(struct shell *sh)
{
    pthread_mutex_lock(&sh->lock);
    for (struct session *s = sh->sessions; s; s = s->next) {
        if (s->fd_in >= 0) shutdown(s->fd_in, SHUT_RDWR);
        s->dead = true;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1;
    while (sh->nsessions > 0)
        if (pthread_cond_timedwait(&sh->idle, &sh->lock, &until)) break;
    int left = sh->nsessions;
    pthread_mutex_unlock(&sh->lock);
    if (left == 0) {
        cmdtree_free(&sh->tree);
        pthread_cond_destroy(&sh->idle);
        pthread_mutex_destroy(&sh->lock);
    }
}
