/* libFuzzer harness for the cluster configuration (clb/clb_config.h): every setter with
 * fuzzed text, then the running-config rendering, which must load back through the
 * startup-config path: each line parses (`crypto ikev2 cluster` in CONFIG, the indented ones
 * in the cluster submode), its handler accepts it, and the result is the configuration that
 * was rendered.
 *
 * Input: lines. The first byte of the first line holds flags (bit 0: `no shutdown`; bit 1:
 * reset the parameter numbered by bits 2-7, modulo the count); then one line per setter, in
 * order: slave max-session, slave hello, slave update, slave priority, holdtime, port,
 * master weight crypto-load, master weight system-load, master overload-limit, standby-group,
 * description, key. A missing line passes NULL.
 *
 * Invariants checked, besides the sanitizers: a setter that succeeds stores exactly the value
 * (in range), one that fails leaves it alone and says why; `no shutdown` succeeds exactly when
 * its prerequisites are there; the render/parse/apply round trip above. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clb/clb_config.h"
#include "cli/app.h"
#include "cli/cmdtree.h"
#include "platform/strbuf.h"
#include "test/fuzz/fuzz_util.h"

#define NFIELDS (CLB_NPARAMS + 3)

static struct cmd_tree tree;
static struct cmd_match m;

static void free_tree(void)
{
    cmdtree_free(&tree);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    cmdtree_init(&tree);
    app_register_commands(&tree);
    atexit(free_tree);
    return 0;
}

static void check_param(struct clb_config *c, enum clb_param p, const char *text)
{
    char err[160] = "";
    long before = c->value[p];
    if (clb_config_set(c, p, text, err, sizeof err) == 0) {
        FUZZ_CHECK(c->value[p] >= clb_params[p].lo && c->value[p] <= clb_params[p].hi);
        FUZZ_CHECK(c->value[p] == strtol(text, NULL, 10));
    } else {
        FUZZ_CHECK(c->value[p] == before && err[0] == '%');
    }
}

typedef int (*text_setter)(struct clb_config *, const char *, char *, size_t);

static void check_text(struct clb_config *c, text_setter set, char *field, size_t cap,
                       const char *text)
{
    char err[160] = "", *before = strdup(field);
    if (!before) abort();
    if (set(c, text, err, sizeof err) == 0) {
        FUZZ_CHECK(text != NULL && strlen(text) < cap && !strcmp(field, text));
    } else {
        FUZZ_CHECK(!strcmp(field, before) && err[0] == '%');
    }
    free(before);
}

/* Loads one rendered line the way the startup-config loader does and runs its handler. */
static void load_line(struct app *a, int *mode, const char *line)
{
    cmdtree_parse(&tree, *mode, 15, line, &m);
    if (m.status != CS_OK)
        fprintf(stderr, "rendered line '%s' gives status %d in mode %d\n", line, (int)m.status,
                *mode);
    FUZZ_CHECK(m.status == CS_OK && !(m.def->flags & CMDF_SESSION) && !m.via_do);
    struct strbuf out = STRBUF_INIT;
    struct cmd_ctx ctx = {
        .app = a, .m = &m, .mode = *mode, .priv = 15, .who = "fuzz", .out = &out, .new_mode = -1};
    int rc = m.def->fn(&ctx);
    if (rc != 0) fprintf(stderr, "rendered line '%s' fails: %s", line, sb_str(&out));
    FUZZ_CHECK(rc == 0 && out.len == 0);
    if (ctx.new_mode >= 0) *mode = ctx.new_mode;
    sb_free(&out);
}

/* The description as it comes back: a LINE argument starts at its first word and loses
 * trailing blanks. */
static const char *line_arg(const char *s, char *buf, size_t cap)
{
    while (*s == ' ') s++;
    snprintf(buf, cap, "%s", s);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == ' ') buf[--n] = '\0';
    return buf;
}

static void check_render(const struct clb_config *c)
{
    struct clb_config undefined = *c;
    undefined.defined = false;
    struct strbuf out = STRBUF_INIT;
    clb_config_render(&undefined, &out);
    FUZZ_CHECK(out.len == 0);

    clb_config_render(c, &out);
    struct app a;
    if (app_init(&a, NULL, NULL, NULL)) abort();
    char *text = sb_detach(&out);
    int mode = CM_CONFIG, lineno = 0;
    for (char *line = text, *next; line && *line; line = next, lineno++) {
        next = fuzz_split(line, '\n');
        FUZZ_CHECK(next != NULL); /* every line ends in a newline */
        if (lineno == 0) {
            FUZZ_CHECK(!strcmp(line, "crypto ikev2 cluster"));
            load_line(&a, &mode, line);
            FUZZ_CHECK(mode == CM_CLUSTER);
        } else if (line[0] == ' ') {
            load_line(&a, &mode, line);
            FUZZ_CHECK(mode == CM_CLUSTER);
        } else {
            FUZZ_CHECK(!strcmp(line, "!") && *next == '\0');
        }
    }
    free(text);

    const struct clb_config *l = &a.cluster;
    char desc[CLB_DESC_MAX];
    FUZZ_CHECK(l->defined && l->shutdown == c->shutdown);
    FUZZ_CHECK(!memcmp(l->value, c->value, sizeof c->value));
    FUZZ_CHECK(!strcmp(l->standby_group, c->standby_group) && !strcmp(l->key, c->key));
    FUZZ_CHECK(!strcmp(l->description, line_arg(c->description, desc, sizeof desc)));
    app_fini(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    char *field[NFIELDS] = {0};
    char *rest = fuzz_split(text, '\n');
    for (int i = 0; i < NFIELDS && rest; i++) {
        field[i] = rest;
        rest = fuzz_split(rest, '\n');
    }
    unsigned flags = (unsigned char)text[0];

    struct clb_config c;
    clb_config_init(&c);
    for (int p = 0; p < CLB_NPARAMS; p++)
        FUZZ_CHECK(c.value[p] == clb_params[p].def &&
                   (!c.value[p] || c.value[p] >= clb_params[p].lo));
    for (int p = 0; p < CLB_NPARAMS; p++) check_param(&c, (enum clb_param)p, field[p]);
    check_text(&c, clb_config_set_group, c.standby_group, sizeof c.standby_group,
               field[CLB_NPARAMS]);
    check_text(&c, clb_config_set_description, c.description, sizeof c.description,
               field[CLB_NPARAMS + 1]);
    check_text(&c, clb_config_set_key, c.key, sizeof c.key, field[CLB_NPARAMS + 2]);
    if (flags & 2) {
        enum clb_param p = (enum clb_param)((flags >> 2) % CLB_NPARAMS);
        clb_config_reset(&c, p);
        FUZZ_CHECK(c.value[p] == clb_params[p].def);
    }
    if (flags & 1) {
        char err[160] = "";
        bool ready = c.standby_group[0] && c.value[CLB_SLAVE_MAX_SESSION];
        int rc = clb_config_set_shutdown(&c, false, err, sizeof err);
        FUZZ_CHECK(ready ? rc == 0 && !c.shutdown : rc == -1 && c.shutdown && err[0] == '%');
    }
    c.defined = true;
    check_render(&c);
    free(text);
    return 0;
}
