#include "cli/cmdtree.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "platform/ifname.h"
#include "platform/log.h"
#include "platform/strbuf.h"

static const char *const level_names[8] = {"emergencies",   "alerts",   "critical",
                                           "errors",        "warnings", "notifications",
                                           "informational", "debugging"};
static const char *const level_helps[8] = {
    "System is unusable                (severity=0)",
    "Immediate action needed           (severity=1)",
    "Critical conditions               (severity=2)",
    "Error conditions                  (severity=3)",
    "Warning conditions                (severity=4)",
    "Normal but significant conditions (severity=5)",
    "Informational messages            (severity=6)",
    "Debugging messages                (severity=7)",
};

struct word {
    const char *s; /* NUL-terminated copy */
    int col;       /* column in the original line */
};

struct words {
    char buf[4096];
    struct word w[CMD_MAX_WORDS + 1];
    int n;
    bool overflow;
    const char *line;
};

static void split_words(const char *line, struct words *ws)
{
    size_t o = 0;
    ws->n = 0;
    ws->overflow = false;
    ws->line = line;
    for (const char *p = line; *p;) {
        /* The same notion of white space as the trimming of LINE arguments below. */
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        const char *st = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        size_t len = (size_t)(p - st);
        if (ws->n >= CMD_MAX_WORDS || o + len + 1 > sizeof ws->buf) {
            ws->overflow = true;
            return;
        }
        memcpy(ws->buf + o, st, len);
        ws->buf[o + len] = '\0';
        ws->w[ws->n].s = ws->buf + o;
        ws->w[ws->n].col = (int)(st - line);
        ws->n++;
        o += len + 1;
    }
}

/* ---- building the tree ---- */

static struct cmd_node *node_new(enum tok_kind k, const char *text, const char *help)
{
    struct cmd_node *n = calloc(1, sizeof *n);
    if (!n) abort();
    n->kind = k;
    n->text = strdup(text);
    n->help = strdup(help ? help : "");
    n->priv = 99;
    n->hidden = true;
    if (!n->text || !n->help) abort();
    return n;
}

static void node_free(struct cmd_node *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->nkids; i++) node_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n->help);
    free(n);
}

void cmdtree_init(struct cmd_tree *t)
{
    t->owned = NULL;
    t->nowned = 0;
    for (int m = 0; m < CM_COUNT; m++) t->root[m] = node_new(TK_KW, "", "");
}

void cmdtree_own(struct cmd_tree *t, void *p)
{
    void **v = realloc(t->owned, (t->nowned + 1) * sizeof *v);
    if (!v) abort();
    t->owned = v;
    t->owned[t->nowned++] = p;
}

void cmdtree_free(struct cmd_tree *t)
{
    for (size_t i = 0; i < t->nowned; i++) free(t->owned[i]);
    free(t->owned);
    t->owned = NULL;
    t->nowned = 0;
    for (int m = 0; m < CM_COUNT; m++) {
        node_free(t->root[m]);
        t->root[m] = NULL;
    }
}

static int classify(const char *tok, enum tok_kind *k, long *lo, long *hi)
{
    if (tok[0] == '<') {
        char *e;
        errno = 0;
        long a = strtol(tok + 1, &e, 10);
        if (*e != '-') return -1;
        long b = strtol(e + 1, &e, 10);
        if (strcmp(e, ">") || errno || a > b) return -1;
        *k = TK_INT, *lo = a, *hi = b;
    } else if (!strcmp(tok, "A.B.C.D")) {
        *k = TK_IPV4;
    } else if (!strcmp(tok, "WORD")) {
        *k = TK_WORD;
    } else if (!strcmp(tok, "LINE")) {
        *k = TK_LINE;
    } else if (!strcmp(tok, "IFNAME")) {
        *k = TK_IFNAME;
    } else {
        *k = TK_KW;
    }
    return 0;
}

static struct cmd_node *child_get(struct cmd_node *parent, enum tok_kind k, const char *text,
                                  long lo, long hi, const char *help)
{
    for (size_t i = 0; i < parent->nkids; i++) {
        struct cmd_node *c = parent->kids[i];
        if (c->kind != k) continue;
        if (k == TK_KW ? !strcasecmp(c->text, text) : !strcmp(c->text, text)) {
            if (help && !c->help[0]) {
                free(c->help);
                c->help = strdup(help);
                if (!c->help) abort();
            }
            return c;
        }
    }
    struct cmd_node *c = node_new(k, text, help);
    c->lo = lo, c->hi = hi;
    if (parent->nkids == parent->capkids) {
        parent->capkids = parent->capkids ? parent->capkids * 2 : 4;
        parent->kids = realloc(parent->kids, parent->capkids * sizeof *parent->kids);
        if (!parent->kids) abort();
    }
    /* As IOS lists them: arguments first (numeric ranges by their low end, others in the
     * order defined), then keywords sorted. */
    size_t pos = 0;
    if (k == TK_KW) {
        while (pos < parent->nkids && parent->kids[pos]->kind != TK_KW) pos++;
        while (pos < parent->nkids && strcasecmp(parent->kids[pos]->text, text) < 0) pos++;
    } else {
        while (pos < parent->nkids && parent->kids[pos]->kind != TK_KW &&
               !(k == TK_INT && parent->kids[pos]->kind == TK_INT && parent->kids[pos]->lo > lo))
            pos++;
    }
    memmove(parent->kids + pos + 1, parent->kids + pos,
            (parent->nkids - pos) * sizeof *parent->kids);
    parent->kids[pos] = c;
    parent->nkids++;
    return c;
}

static int add_path(struct cmd_node *n, const struct cmd_def *d, char **toks, const char **helps,
                    int i, int ntok)
{
    if (d->priv < n->priv) n->priv = d->priv;
    if (!(d->flags & CMDF_HIDDEN)) n->hidden = false;
    if (i == ntok) {
        n->def = d;
        return 0;
    }
    if (!strcmp(toks[i], "LEVEL")) {
        /* A logging level: the number or one of the names, as IOS offers both. */
        int rc = add_path(child_get(n, TK_INT, "<0-7>", 0, 7, "Logging severity level"), d, toks,
                          helps, i + 1, ntok);
        for (int l = 0; l < 8 && rc == 0; l++)
            rc = add_path(child_get(n, TK_KW, level_names[l], 0, 0, level_helps[l]), d, toks, helps,
                          i + 1, ntok);
        return rc;
    }
    enum tok_kind k;
    long lo = 0, hi = 0;
    if (classify(toks[i], &k, &lo, &hi)) return -1;
    if (k == TK_LINE && i != ntok - 1) return -1;
    struct cmd_node *c = child_get(n, k, toks[i], lo, hi, helps[i]);
    return add_path(c, d, toks, helps, i + 1, ntok);
}

static int add_syntax(struct cmd_tree *t, const struct cmd_def *d, const char *syntax,
                      const char **helps)
{
    char buf[512];
    char *toks[CMD_MAX_TOKENS];
    int ntok = 0;
    if (strlen(syntax) >= sizeof buf) return -1;
    strcpy(buf, syntax);
    for (char *sv, *p = strtok_r(buf, " ", &sv); p; p = strtok_r(NULL, " ", &sv)) {
        if (ntok == CMD_MAX_TOKENS) return -1;
        toks[ntok++] = p;
    }
    if (ntok == 0) return -1;
    for (int m = 0; m < CM_COUNT; m++) {
        if (!(d->modes & (1u << m))) continue;
        if (add_path(t->root[m], d, toks, helps, 0, ntok)) return -1;
    }
    return 0;
}

/* `no X Y` and `default X Y` reuse the help of `X Y` where their definition gives none. */
static void borrow_help(const struct cmd_tree *t, const struct cmd_def *d, const char **helps)
{
    char buf[512];
    char *toks[CMD_MAX_TOKENS];
    int ntok = 0;
    snprintf(buf, sizeof buf, "%s", d->syntax);
    for (char *sv, *p = strtok_r(buf, " ", &sv); p && ntok < CMD_MAX_TOKENS;
         p = strtok_r(NULL, " ", &sv))
        toks[ntok++] = p;
    if (ntok < 2 || (strcmp(toks[0], "no") && strcmp(toks[0], "default"))) return;
    for (int m = 0; m < CM_COUNT; m++) {
        if (!(d->modes & (1u << m))) continue;
        const struct cmd_node *n = t->root[m];
        for (int i = 1; i < ntok && n; i++) {
            const struct cmd_node *next = NULL;
            for (size_t k = 0; k < n->nkids && !next; k++)
                if (!strcasecmp(n->kids[k]->text, toks[i])) next = n->kids[k];
            n = next;
            if (n && !helps[i] && n->help[0]) helps[i] = n->help;
        }
        return;
    }
}

int cmdtree_add(struct cmd_tree *t, const struct cmd_def *d)
{
    const char *helps[CMD_MAX_TOKENS];
    memcpy(helps, d->help, sizeof helps);
    borrow_help(t, d, helps);
    if (add_syntax(t, d, d->syntax, helps)) return -1;
    if (!strncmp(d->syntax, "no ", 3) && !(d->flags & CMDF_NO_DEFAULT)) {
        char twin[512];
        snprintf(twin, sizeof twin, "default %s", d->syntax + 3);
        helps[0] = "Set a command to its defaults";
        if (add_syntax(t, d, twin, helps)) return -1;
    }
    return 0;
}

int cmdtree_add_all(struct cmd_tree *t, const struct cmd_def *defs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cmdtree_add(t, &defs[i])) return -1;
    return 0;
}

/* ---- value checks ---- */

bool cmd_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!*s) return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p)) return false;
    if (strlen(s) > 18) return false;
    long v = strtol(s, NULL, 10);
    if (v < lo || v > hi) return false;
    if (out) *out = v;
    return true;
}

bool cmd_parse_ipv4(const char *s, unsigned *addr)
{
    unsigned v = 0;
    int parts = 0;
    const char *p = s;
    while (parts < 4) {
        if (!isdigit((unsigned char)*p)) return false;
        unsigned oct = 0;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            oct = oct * 10 + (unsigned)(*p++ - '0');
            if (++digits > 3 || oct > 255) return false;
        }
        v = (v << 8) | oct;
        parts++;
        if (parts < 4 && *p++ != '.') return false;
    }
    if (*p) return false;
    if (addr) *addr = v;
    return true;
}

int cmd_mask_to_prefix(unsigned mask)
{
    int len = 0;
    while (len < 32 && (mask & (0x80000000u >> len))) len++;
    if (len < 32 && (mask << len)) return -1;
    return len;
}

static bool visible(const struct cmd_node *c, int priv, bool for_help)
{
    return c->priv <= priv && !(for_help && c->hidden);
}

/* Does an argument node accept w (and maybe the next word, for a two-word interface)? */
static int arg_accepts(const struct cmd_node *c, const char *w, const char *next, char *norm,
                       size_t normlen)
{
    switch (c->kind) {
    case TK_INT:
        if (!cmd_parse_long(w, c->lo, c->hi, NULL)) return 0;
        snprintf(norm, normlen, "%ld", strtol(w, NULL, 10));
        return 1;
    case TK_IPV4:
        if (!cmd_parse_ipv4(w, NULL)) return 0;
        snprintf(norm, normlen, "%s", w);
        return 1;
    case TK_WORD: snprintf(norm, normlen, "%s", w); return 1;
    case TK_IFNAME: {
        struct ifname in;
        int used = 0;
        if (ifname_parse(w, next, &in, &used)) return 0;
        ifname_full(&in, norm, normlen);
        return used;
    }
    default: return 0;
    }
}

static int lcp_ci(const char *a, const char *b)
{
    int i = 0;
    while (a[i] && b[i] && tolower((unsigned char)a[i]) == tolower((unsigned char)b[i])) i++;
    return i;
}

static bool is_prefix_ci(const char *w, const char *kw)
{
    return !strncasecmp(w, kw, strlen(w));
}

/* Is w the bare type part of an interface name ("gi", "Loopback") awaiting its number? */
static bool ifname_type_only(const char *w)
{
    const char *const *names, *const *helps;
    size_t n = ifname_types(&names, &helps);
    if (!*w) return false;
    for (size_t i = 0; i < n; i++)
        if (is_prefix_ci(w, names[i])) return true;
    return false;
}

enum step { ST_MATCH, ST_NONE, ST_AMBIG };

/* Choose the child of n that word i (and maybe i+1) selects. */
static enum step pick(const struct cmd_node *n, int priv, const struct words *ws, int i,
                      const struct cmd_node **out, int *used, char *norm, size_t normlen,
                      int *caret)
{
    const char *w = ws->w[i].s;
    const struct cmd_node *prefix_hit = NULL;
    int nprefix = 0, best_lcp = 0;
    for (size_t k = 0; k < n->nkids; k++) {
        const struct cmd_node *c = n->kids[k];
        if (c->kind != TK_KW || !visible(c, priv, false)) continue;
        if (!strcasecmp(w, c->text)) {
            *out = c, *used = 1;
            snprintf(norm, normlen, "%s", c->text);
            return ST_MATCH;
        }
        if (is_prefix_ci(w, c->text)) prefix_hit = c, nprefix++;
        int l = lcp_ci(w, c->text);
        if (l > best_lcp) best_lcp = l;
    }
    if (nprefix == 1) {
        *out = prefix_hit, *used = 1;
        snprintf(norm, normlen, "%s", prefix_hit->text);
        return ST_MATCH;
    }
    if (nprefix > 1) return ST_AMBIG;
    static const enum tok_kind order[] = {TK_INT, TK_IPV4, TK_IFNAME, TK_WORD, TK_LINE};
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
        for (size_t k = 0; k < n->nkids; k++) {
            const struct cmd_node *c = n->kids[k];
            if (c->kind != order[o] || !visible(c, priv, false)) continue;
            if (c->kind == TK_LINE) {
                snprintf(norm, normlen, "%s", ws->line + ws->w[i].col);
                size_t l = strlen(norm);
                while (l && isspace((unsigned char)norm[l - 1])) norm[--l] = '\0';
                *out = c, *used = ws->n - i;
                return ST_MATCH;
            }
            const char *next = i + 1 < ws->n ? ws->w[i + 1].s : NULL;
            int u = arg_accepts(c, w, next, norm, normlen);
            if (u) {
                *out = c, *used = u;
                return ST_MATCH;
            }
        }
    }
    *caret = ws->w[i].col + (best_lcp < (int)strlen(w) ? best_lcp : 0);
    return ST_NONE;
}

static const char *const filter_names[] = {"begin", "count", "exclude", "include", "section"};
static const char *const filter_helps[] = {
    "Begin with the line that matches", "Count number of lines which match regexp",
    "Exclude lines that match", "Include lines that match", "Filter a section of output"};

static int filter_pick(const char *w, int *which)
{
    int hits = 0;
    for (int f = 0; f < 5; f++) {
        if (!strcasecmp(w, filter_names[f])) {
            *which = f;
            return 1;
        }
        if (is_prefix_ci(w, filter_names[f])) *which = f, hits++;
    }
    return hits;
}

/* Walk the words from index `from` in `mode`. On return *at is the node reached and *next the
 * first word not consumed; m->status says how it went. Used by parse, help and complete. */
static void walk(const struct cmd_tree *t, int mode, int priv, const struct words *ws, int from,
                 int upto, struct cmd_match *m, const struct cmd_node **at, int *next)
{
    const struct cmd_node *n = t->root[mode];
    int i = from;
    m->mode = mode;
    m->status = CS_OK;
    while (i < upto) {
        if (n->def && (n->def->flags & CMDF_FILTER) && !strcmp(ws->w[i].s, "|")) break;
        const struct cmd_node *c = NULL;
        int used = 0, caret = 0;
        char norm[256];
        enum step s = pick(n, priv, ws, i, &c, &used, norm, sizeof norm, &caret);
        if (s == ST_AMBIG) {
            m->status = CS_AMBIGUOUS;
            m->col = ws->w[i].col + (int)strlen(ws->w[i].s);
            break;
        }
        if (s == ST_NONE) {
            const struct cmd_node *ifk = NULL;
            for (size_t k = 0; k < n->nkids; k++)
                if (n->kids[k]->kind == TK_IFNAME && visible(n->kids[k], priv, false))
                    ifk = n->kids[k];
            if (ifk && i == upto - 1 && ifname_type_only(ws->w[i].s)) {
                /* "interface gi": the type is there, its number is still to come. */
                m->status = CS_INCOMPLETE;
                m->iftype_pending = true;
                *at = ifk;
                *next = upto;
                return;
            }
            m->status = CS_INVALID;
            m->col = caret;
            break;
        }
        if (i + used > upto) {
            /* A two-word interface name whose number lies past the cursor. */
            used = upto - i;
        }
        if (m->argc < CMD_MAX_WORDS) snprintf(m->argv[m->argc++], sizeof m->argv[0], "%s", norm);
        n = c;
        i += used;
        if (n->def && (n->def->flags & CMDF_DO) && mode != CM_EXEC && m->argc == 1) {
            m->argc = 0;
            m->via_do = true;
            walk(t, CM_EXEC, priv, ws, i, upto, m, at, next);
            return;
        }
    }
    *at = n;
    *next = i;
}

void cmdtree_parse(const struct cmd_tree *t, int mode, int priv, const char *line,
                   struct cmd_match *m)
{
    struct words ws;
    memset(m, 0, sizeof *m);
    split_words(line, &ws);
    if (ws.overflow) {
        m->status = CS_TOO_LONG;
        return;
    }
    if (ws.n == 0) {
        m->status = CS_EMPTY;
        return;
    }
    const struct cmd_node *n;
    int i;
    walk(t, mode, priv, &ws, 0, ws.n, m, &n, &i);
    if (m->status != CS_OK) return;
    if (i < ws.n) { /* the filter part */
        if (i + 1 >= ws.n) {
            m->status = CS_INCOMPLETE;
            return;
        }
        int which = 0, hits = filter_pick(ws.w[i + 1].s, &which);
        if (hits == 0) {
            m->status = CS_INVALID;
            m->col = ws.w[i + 1].col;
            return;
        }
        if (hits > 1) {
            m->status = CS_AMBIGUOUS;
            m->col = ws.w[i + 1].col + (int)strlen(ws.w[i + 1].s);
            return;
        }
        m->filter = (enum cmd_filter)(which + 1);
        if (i + 2 < ws.n) {
            snprintf(m->filter_arg, sizeof m->filter_arg, "%s", line + ws.w[i + 2].col);
            size_t l = strlen(m->filter_arg);
            while (l && isspace((unsigned char)m->filter_arg[l - 1])) m->filter_arg[--l] = '\0';
        } else if (m->filter != FILTER_COUNT) {
            m->status = CS_INCOMPLETE;
            return;
        }
    }
    if (!n->def || (n->def->flags & CMDF_DO) || n->def->fn == NULL) {
        m->status = CS_INCOMPLETE;
        return;
    }
    /* A bare interface type with its number missing ("interface gi") parses as an
     * incomplete command, not as a complete one with a WORD. */
    m->def = n->def;
    m->is_no = m->argc > 0 && !strcmp(m->argv[0], "no");
    m->is_default = m->argc > 0 && !strcmp(m->argv[0], "default");
}

/* ---- help ---- */

struct help_item {
    const char *name;
    const char *help;
};

static void help_emit(struct strbuf *out, struct help_item *it, int n)
{
    int w = 0;
    for (int i = 0; i < n; i++) {
        int l = (int)strlen(it[i].name);
        if (l > w) w = l;
    }
    for (int i = 0; i < n; i++) {
        if (it[i].help && it[i].help[0])
            sb_printf(out, "  %-*s  %s\n", w, it[i].name, it[i].help);
        else
            sb_printf(out, "  %s\n", it[i].name);
    }
}

static void help_children(const struct cmd_node *n, int priv, bool filterable,
                          const char *type_word, struct strbuf *out)
{
    struct help_item items[256];
    int k = 0;
    char numbuf[64];
    unsigned long lo, hi;
    if (type_word) {
        if (ifname_type_range(type_word, &lo, &hi)) lo = 0, hi = 0;
        snprintf(numbuf, sizeof numbuf, "<%lu-%lu>", lo, hi);
        items[k++] = (struct help_item){numbuf, "Interface number"};
        help_emit(out, items, k);
        return;
    }
    for (size_t i = 0; i < n->nkids && k < 250; i++) {
        const struct cmd_node *c = n->kids[i];
        if (!visible(c, priv, true)) continue;
        if (c->kind == TK_IFNAME) {
            const char *const *names, *const *helps;
            size_t nt = ifname_types(&names, &helps);
            for (size_t j = 0; j < nt && k < 250; j++)
                items[k++] = (struct help_item){names[j], helps[j]};
            continue;
        }
        items[k++] = (struct help_item){c->text, c->help};
    }
    if (filterable) items[k++] = (struct help_item){"|", "Output modifiers"};
    if (n->def && n->def->fn && !(n->def->flags & CMDF_DO))
        items[k++] = (struct help_item){"<cr>", NULL};
    help_emit(out, items, k);
}

enum cmd_status cmdtree_help(const struct cmd_tree *t, int mode, int priv, const char *line,
                             struct strbuf *out, int *col)
{
    struct words ws;
    split_words(line, &ws);
    if (ws.overflow) return CS_TOO_LONG;
    size_t len = strlen(line);
    bool partial = len > 0 && !isspace((unsigned char)line[len - 1]);
    int upto = partial ? ws.n - 1 : ws.n;
    struct cmd_match m = {0};
    const struct cmd_node *n;
    int i;
    walk(t, mode, priv, &ws, 0, upto, &m, &n, &i);
    if (m.status == CS_INVALID || m.status == CS_AMBIGUOUS) {
        *col = m.col;
        return m.status;
    }
    if (m.status == CS_INCOMPLETE && m.iftype_pending) {
        help_children(n, priv, false, ws.w[upto - 1].s, out);
        return CS_OK;
    }
    mode = m.mode;
    bool filterable = n->def && (n->def->flags & CMDF_FILTER);
    if (i < upto) {
        /* We stopped at a `|`: help for the filter part. */
        if (upto - i == 1) {
            if (partial) {
                const char *w = ws.w[ws.n - 1].s;
                int hits = 0;
                for (int f = 0; f < 5; f++)
                    if (is_prefix_ci(w, filter_names[f]))
                        sb_printf(out, "%s  ", filter_names[f]), hits++;
                if (!hits) return CS_INCOMPLETE;
                sb_puts(out, "\n");
                return CS_OK;
            }
            {
                struct help_item it[5];
                for (int f = 0; f < 5; f++)
                    it[f] = (struct help_item){filter_names[f], filter_helps[f]};
                help_emit(out, it, 5);
                return CS_OK;
            }
        } else if (upto - i == 2 || !partial) {
            int which;
            if (filter_pick(ws.w[i + 1].s, &which) != 1) {
                *col = ws.w[i + 1].col;
                return CS_INVALID;
            }
            struct help_item it[2] = {{"LINE", "Regular Expression"}, {"<cr>", NULL}};
            help_emit(out, it, which == 1 && upto - i == 2 ? 2 : 1);
            return CS_OK;
        }
        if (partial) {
            sb_puts(out, "LINE\n");
            return CS_OK;
        }
    }
    if (!partial) {
        if (n->kind == TK_LINE && n->def) {
            struct help_item it[1] = {{"<cr>", NULL}};
            help_emit(out, it, 1);
            return CS_OK;
        }
        help_children(n, priv, filterable, NULL, out);
        return CS_OK;
    }
    /* Partial word: the keywords it could still become, IOS style on one line. */
    const char *w = ws.w[ws.n - 1].s;
    if (n->kind == TK_LINE) { /* a later word of a LINE argument */
        sb_puts(out, "LINE  \n");
        return CS_OK;
    }
    if (filterable && !strcmp(w, "|")) {
        sb_puts(out, "|\n");
        return CS_OK;
    }
    int hits = 0;
    size_t col0 = out->len;
    for (size_t k = 0; k < n->nkids; k++) {
        const struct cmd_node *c = n->kids[k];
        if (!visible(c, priv, true)) continue;
        if (c->kind == TK_KW && is_prefix_ci(w, c->text)) {
            sb_printf(out, "%s  ", c->text);
            hits++;
        } else if (c->kind == TK_IFNAME) {
            const char *const *names, *const *helps;
            size_t nt = ifname_types(&names, &helps);
            struct ifname in;
            if (ifname_parse(w, NULL, &in, NULL) == 0) {
                sb_printf(out, "%s  ", c->text);
                hits++;
                continue;
            }
            for (size_t j = 0; j < nt; j++)
                if (is_prefix_ci(w, names[j])) {
                    sb_printf(out, "%s  ", names[j]);
                    hits++;
                }
        } else if (c->kind != TK_KW) {
            char norm[256];
            if (c->kind == TK_LINE || arg_accepts(c, w, NULL, norm, sizeof norm)) {
                sb_printf(out, "%s  ", c->text);
                hits++;
            }
        }
    }
    if (!hits) {
        out->len = col0;
        if (out->buf) out->buf[col0] = '\0';
        return CS_INCOMPLETE;
    }
    sb_puts(out, "\n");
    return CS_OK;
}

bool cmdtree_complete(const struct cmd_tree *t, int mode, int priv, const char *line, char *out,
                      size_t outlen)
{
    struct words ws;
    split_words(line, &ws);
    size_t len = strlen(line);
    if (ws.overflow || ws.n == 0 || isspace((unsigned char)line[len - 1])) return false;
    struct cmd_match m = {0};
    const struct cmd_node *n;
    int i;
    walk(t, mode, priv, &ws, 0, ws.n - 1, &m, &n, &i);
    if (m.status != CS_OK) return false;
    const struct word *last = &ws.w[ws.n - 1];
    const char *hit = NULL;
    char full[64];
    int hits = 0;
    if (i < ws.n - 1) { /* completing a filter name after `|` */
        int which;
        if (ws.n - 1 - i != 1 || filter_pick(last->s, &which) != 1) return false;
        hit = filter_names[which], hits = 1;
    } else {
        for (size_t k = 0; k < n->nkids; k++) {
            const struct cmd_node *c = n->kids[k];
            if (!visible(c, priv, true)) continue;
            if (c->kind == TK_KW && is_prefix_ci(last->s, c->text)) {
                if (!strcasecmp(last->s, c->text)) {
                    hit = c->text, hits = 1;
                    break;
                }
                hit = c->text, hits++;
            } else if (c->kind == TK_IFNAME) {
                const char *const *names, *const *helps;
                size_t nt = ifname_types(&names, &helps);
                struct ifname in;
                int used;
                if (!ifname_parse(last->s, NULL, &in, &used)) {
                    ifname_full(&in, full, sizeof full);
                    hit = full, hits++;
                    continue;
                }
                for (size_t j = 0; j < nt; j++)
                    if (is_prefix_ci(last->s, names[j])) hit = names[j], hits++;
            }
        }
    }
    if (hits != 1) return false;
    int n2 = snprintf(out, outlen, "%.*s%s ", last->col, line, hit);
    return n2 > 0 && (size_t)n2 < outlen;
}
