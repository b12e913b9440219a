/* Unit tests for clb/clb_config.c: the `crypto ikev2 cluster` parameters (ranges, defaults,
 * validation), the text settings, `no shutdown`'s requirements and the rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "clb/clb_config.h"
#include "platform/strbuf.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What REFERENCE §1 says, independently of the table in clb_config.c. */
static const struct {
    enum clb_param p;
    const char *syntax;
    long lo, hi, def;
} expect[] = {
    {CLB_SLAVE_MAX_SESSION, "slave max-session", 1, 100000, 0},
    {CLB_SLAVE_HELLO, "slave hello", 100, 30000, 1000},
    {CLB_SLAVE_UPDATE, "slave update", 100, 60000, 3000},
    {CLB_SLAVE_PRIORITY, "slave priority", 1, 100, 50},
    {CLB_HOLDTIME, "holdtime", 100, 120000, 3000},
    {CLB_PORT, "port", 1, 65535, 2012},
    {CLB_WEIGHT_CRYPTO, "master weight crypto-load", 0, 100, 100},
    {CLB_WEIGHT_SYSTEM, "master weight system-load", 0, 100, 100},
    {CLB_OVERLOAD_LIMIT, "master overload-limit", 50, 99, 90},
};

static void render(const struct clb_config *c, char *buf, size_t len)
{
    struct strbuf sb = STRBUF_INIT;
    clb_config_render(c, &sb);
    snprintf(buf, len, "%s", sb_str(&sb));
    sb_free(&sb);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void test_table(void **state)
{
    (void)state;
    assert_int_equal(N_ELEM(expect), CLB_NPARAMS);
    for (size_t i = 0; i < N_ELEM(expect); i++) {
        const struct clb_param_info *pi = &clb_params[expect[i].p];
        assert_string_equal(pi->syntax, expect[i].syntax);
        assert_int_equal(pi->lo, expect[i].lo);
        assert_int_equal(pi->hi, expect[i].hi);
        assert_int_equal(pi->def, expect[i].def);
        assert_non_null(pi->help);
        assert_true(pi->help[0] != '\0');
        assert_non_null(pi->value_help);
    }
}

static void test_defaults(void **state)
{
    (void)state;
    struct clb_config c;
    memset(&c, 0xa5, sizeof c);
    clb_config_init(&c);
    assert_false(c.defined);
    assert_true(c.shutdown);
    assert_int_equal(c.value[CLB_SLAVE_HELLO], 1000);
    assert_int_equal(c.value[CLB_SLAVE_UPDATE], 3000);
    assert_int_equal(c.value[CLB_HOLDTIME], 3000);
    assert_int_equal(c.value[CLB_PORT], 2012);
    assert_int_equal(c.value[CLB_WEIGHT_CRYPTO], 100);
    assert_int_equal(c.value[CLB_WEIGHT_SYSTEM], 100);
    assert_int_equal(c.value[CLB_OVERLOAD_LIMIT], 90);
    assert_int_equal(c.value[CLB_SLAVE_PRIORITY], 50);
    assert_int_equal(c.value[CLB_SLAVE_MAX_SESSION], 0); /* unset */
    assert_string_equal(c.standby_group, "");
    assert_string_equal(c.description, "");
    assert_string_equal(c.key, "");
}

/* Sets v (in range) and checks it took. */
static void set_ok(struct clb_config *c, enum clb_param p, const char *text, long v)
{
    char err[160] = "untouched";
    if (clb_config_set(c, p, text, err, sizeof err))
        fail_msg("%s '%s' refused: %s", clb_params[p].syntax, text, err);
    assert_int_equal(c->value[p], v);
}

/* Refused with a message that starts with "% " and holds every piece of `parts`; the value
 * is left alone. */
static void set_bad(struct clb_config *c, enum clb_param p, const char *text,
                    const char *const *parts, size_t nparts)
{
    char err[160] = "";
    long before = c->value[p];
    if (clb_config_set(c, p, text, err, sizeof err) != -1)
        fail_msg("%s '%s' accepted (value %ld)", clb_params[p].syntax, text ? text : "(null)",
                 c->value[p]);
    assert_int_equal(c->value[p], before);
    if (strncmp(err, "% ", 2)) fail_msg("message '%s' is not an IOS error", err);
    for (size_t i = 0; i < nparts; i++) assert_contains(err, parts[i]);
}

static void test_every_parameter_validates(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEM(expect); i++) {
        enum clb_param p = expect[i].p;
        long lo = expect[i].lo, hi = expect[i].hi;
        struct clb_config c;
        clb_config_init(&c);
        char t[32], range[48];
        snprintf(range, sizeof range, "%ld-%ld", lo, hi);

        snprintf(t, sizeof t, "%ld", lo);
        set_ok(&c, p, t, lo);
        snprintf(t, sizeof t, "%ld", hi);
        set_ok(&c, p, t, hi);
        long mid = lo + (hi - lo) / 2;
        snprintf(t, sizeof t, "%ld", mid);
        set_ok(&c, p, t, mid);

        /* out of range, each side: the message names the parameter, the value and the range */
        char val[32];
        snprintf(t, sizeof t, "%ld", hi + 1);
        snprintf(val, sizeof val, " %ld", hi + 1);
        const char *const out_hi[] = {expect[i].syntax, val, range};
        set_bad(&c, p, t, out_hi, N_ELEM(out_hi));
        snprintf(t, sizeof t, "%ld", lo - 1);
        const char *const out_lo[] = {expect[i].syntax, range};
        set_bad(&c, p, t, out_lo, N_ELEM(out_lo));
        assert_int_equal(c.value[p], mid);

        /* not numbers */
        static const char *const junk[] = {"abc", "12a",  "-5",  "+5", " 5",
                                           "5 ",  "0x10", "1e3", "1.0"};
        for (size_t k = 0; k < N_ELEM(junk); k++) {
            const char *const parts[] = {expect[i].syntax, range, junk[k]};
            set_bad(&c, p, junk[k], parts, N_ELEM(parts));
        }
        /* missing */
        const char *const req[] = {expect[i].syntax, "required", range};
        set_bad(&c, p, "", req, N_ELEM(req));
        set_bad(&c, p, NULL, req, N_ELEM(req));
        /* huge */
        const char *const huge[] = {expect[i].syntax, range};
        set_bad(&c, p, "99999999999999999999999999", huge, N_ELEM(huge));
        set_bad(&c, p, "2147483648", huge, N_ELEM(huge));
        assert_int_equal(c.value[p], mid);
    }
}

static void test_set_messages(void **state)
{
    (void)state;
    struct clb_config c;
    clb_config_init(&c);
    char err[160];
    assert_int_equal(clb_config_set(&c, CLB_SLAVE_HELLO, "99", err, sizeof err), -1);
    assert_string_equal(err, "% Invalid slave hello 99: the range is 100-30000");
    assert_int_equal(clb_config_set(&c, CLB_OVERLOAD_LIMIT, "100", err, sizeof err), -1);
    assert_string_equal(err, "% Invalid master overload-limit 100: the range is 50-99");
    assert_int_equal(clb_config_set(&c, CLB_PORT, "abc", err, sizeof err), -1);
    assert_string_equal(err, "% Invalid port 'abc': not a number in 1-65535");
    assert_int_equal(clb_config_set(&c, CLB_HOLDTIME, "", err, sizeof err), -1);
    assert_string_equal(err, "% holdtime: a value is required (100-120000)");
    /* leading zeros are a number */
    set_ok(&c, CLB_PORT, "00080", 80);
    set_ok(&c, CLB_WEIGHT_CRYPTO, "0", 0);
    set_ok(&c, CLB_WEIGHT_SYSTEM, "000", 0);
    /* a short error buffer is truncated, not overrun */
    char small[8];
    memset(small, 'x', sizeof small);
    assert_int_equal(clb_config_set(&c, CLB_SLAVE_HELLO, "99", small, sizeof small), -1);
    assert_int_equal(small[sizeof small - 1], '\0');
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_reset(void **state)
{
    (void)state;
    struct clb_config c;
    clb_config_init(&c);
    char err[160];
    for (size_t i = 0; i < N_ELEM(expect); i++) {
        char t[32];
        snprintf(t, sizeof t, "%ld", expect[i].def == expect[i].lo ? expect[i].hi : expect[i].lo);
        assert_int_equal(clb_config_set(&c, expect[i].p, t, err, sizeof err), 0);
        assert_int_not_equal(c.value[expect[i].p], expect[i].def);
    }
    for (size_t i = 0; i < N_ELEM(expect); i++) {
        clb_config_reset(&c, expect[i].p);
        assert_int_equal(c.value[expect[i].p], expect[i].def);
        /* the others keep their values */
        for (size_t k = i + 1; k < N_ELEM(expect); k++)
            assert_int_not_equal(c.value[expect[k].p], expect[k].def);
    }
    assert_true(c.shutdown);
}

static void test_reset_max_session_shuts(void **state)
{
    (void)state;
    struct clb_config c;
    clb_config_init(&c);
    char err[160];
    assert_int_equal(clb_config_set_group(&c, "VPN", err, sizeof err), 0);
    assert_int_equal(clb_config_set(&c, CLB_SLAVE_MAX_SESSION, "100", err, sizeof err), 0);
    assert_int_equal(clb_config_set_shutdown(&c, false, err, sizeof err), 0);
    assert_false(c.shutdown);
    /* any other parameter leaves the cluster running */
    for (size_t i = 0; i < N_ELEM(expect); i++) {
        if (expect[i].p == CLB_SLAVE_MAX_SESSION) continue;
        clb_config_reset(&c, expect[i].p);
        assert_false(c.shutdown);
    }
    clb_config_reset(&c, CLB_SLAVE_MAX_SESSION);
    assert_int_equal(c.value[CLB_SLAVE_MAX_SESSION], 0);
    assert_true(c.shutdown);
    /* and it cannot come back until max-session is set again */
    assert_int_equal(clb_config_set_shutdown(&c, false, err, sizeof err), -1);
    assert_true(c.shutdown);
}

static void test_no_shutdown_requirements(void **state)
{
    (void)state;
    struct clb_config c;
    clb_config_init(&c);
    char err[160] = "";
    assert_int_equal(clb_config_set_shutdown(&c, false, err, sizeof err), -1);
    assert_string_equal(err, "% The cluster cannot be enabled: configure 'standby-group' and "
                             "'slave max-session' first");
    assert_true(c.shutdown);

    assert_int_equal(clb_config_set(&c, CLB_SLAVE_MAX_SESSION, "10", err, sizeof err), 0);
    assert_int_equal(clb_config_set_shutdown(&c, false, err, sizeof err), -1);
    assert_string_equal(err, "% The cluster cannot be enabled: configure 'standby-group' first");
    assert_true(c.shutdown);

    clb_config_reset(&c, CLB_SLAVE_MAX_SESSION);
    assert_int_equal(clb_config_set_group(&c, "VPN", err, sizeof err), 0);
    assert_int_equal(clb_config_set_shutdown(&c, false, err, sizeof err), -1);
    assert_string_equal(err,
                        "% The cluster cannot be enabled: configure 'slave max-session' first");
    assert_true(c.shutdown);

    assert_int_equal(clb_config_set(&c, CLB_SLAVE_MAX_SESSION, "10", err, sizeof err), 0);
    assert_int_equal(clb_config_set_shutdown(&c, false, err, sizeof err), 0);
    assert_false(c.shutdown);
    /* shutting down needs nothing */
    assert_int_equal(clb_config_set_shutdown(&c, true, err, sizeof err), 0);
    assert_true(c.shutdown);
    clb_config_init(&c);
    assert_int_equal(clb_config_set_shutdown(&c, true, err, sizeof err), 0);
    assert_true(c.shutdown);
}

/* A text setter refuses `bad` with a message holding `part`, and keeps the old value. */
typedef int (*text_setter)(struct clb_config *, const char *, char *, size_t);

static void text_bad(text_setter set, struct clb_config *c, const char *cur, const char *bad,
                     const char *part)
{
    char err[160] = "";
    if (set(c, bad, err, sizeof err) != -1) fail_msg("'%s' accepted", bad ? bad : "(null)");
    assert_string_equal(cur, "old");
    if (strncmp(err, "% ", 2)) fail_msg("message '%s' is not an IOS error", err);
    assert_contains(err, part);
}

static void test_text_validation(void **state)
{
    (void)state;
    struct clb_config c;
    clb_config_init(&c);
    char err[160], s[512];
    static const struct {
        text_setter set;
        const char *what;
        size_t max;
        bool spaces;
    } t[] = {
        {clb_config_set_group, "standby-group", CLB_NAME_MAX - 1, false},
        {clb_config_set_description, "description", CLB_DESC_MAX - 1, true},
        {clb_config_set_key, "key", CLB_KEY_MAX - 1, false},
    };
    char *field[] = {c.standby_group, c.description, c.key};
    for (size_t i = 0; i < N_ELEM(t); i++) {
        assert_int_equal(t[i].set(&c, "old", err, sizeof err), 0);
        assert_string_equal(field[i], "old");
        char msg[64];
        snprintf(msg, sizeof msg, "%s: a value is required", t[i].what);
        text_bad(t[i].set, &c, field[i], "", msg);
        text_bad(t[i].set, &c, field[i], NULL, msg);
        /* the longest allowed, and one more */
        memset(s, 'a', t[i].max);
        s[t[i].max] = '\0';
        assert_int_equal(t[i].set(&c, s, err, sizeof err), 0);
        assert_string_equal(field[i], s);
        assert_int_equal(t[i].set(&c, "old", err, sizeof err), 0);
        s[t[i].max] = 'a';
        s[t[i].max + 1] = '\0';
        snprintf(msg, sizeof msg, "%s is too long (at most %zu characters)", t[i].what, t[i].max);
        text_bad(t[i].set, &c, field[i], s, msg);
        /* control characters */
        snprintf(msg, sizeof msg, "%s contains an invalid character", t[i].what);
        text_bad(t[i].set, &c, field[i], "a\tb", msg);
        text_bad(t[i].set, &c, field[i], "a\nb", msg);
        text_bad(t[i].set, &c, field[i], "\x01", msg);
        text_bad(t[i].set, &c, field[i], "a\x1b[0m", msg);
        text_bad(t[i].set, &c, field[i], "del\x7f", msg);
        /* spaces: in a description only */
        if (t[i].spaces) {
            assert_int_equal(t[i].set(&c, "two  spaces here", err, sizeof err), 0);
            assert_string_equal(field[i], "two  spaces here");
            assert_int_equal(t[i].set(&c, "old", err, sizeof err), 0);
        } else {
            text_bad(t[i].set, &c, field[i], "a b", msg);
            text_bad(t[i].set, &c, field[i], " ", "% ");
        }
        assert_int_equal(t[i].set(&c, "new-1.x_Y", err, sizeof err), 0);
        assert_string_equal(field[i], "new-1.x_Y");
    }
}

/* Nothing but spaces is no value. */
static void test_blank_text_is_missing(void **state)
{
    (void)state;
    struct clb_config c;
    clb_config_init(&c);
    char err[160];
    assert_int_equal(clb_config_set_description(&c, "old", err, sizeof err), 0);
    assert_int_equal(clb_config_set_description(&c, "   ", err, sizeof err), -1);
    assert_string_equal(c.description, "old");
    assert_contains(err, "required");
}

static void test_render_not_defined(void **state)
{
    (void)state;
    struct clb_config c;
    clb_config_init(&c);
    char err[160], out[2048];
    render(&c, out, sizeof out);
    assert_string_equal(out, "");
    /* values alone do not define the block */
    assert_int_equal(clb_config_set(&c, CLB_PORT, "5000", err, sizeof err), 0);
    assert_int_equal(clb_config_set_group(&c, "VPN", err, sizeof err), 0);
    render(&c, out, sizeof out);
    assert_string_equal(out, "");
}

static void test_render_defaults(void **state)
{
    (void)state;
    struct clb_config c;
    clb_config_init(&c);
    c.defined = true;
    char err[160], out[2048];
    render(&c, out, sizeof out);
    assert_string_equal(out, "crypto ikev2 cluster\n!\n");
    /* values set to their defaults are still defaults */
    for (size_t i = 0; i < N_ELEM(expect); i++) {
        if (!expect[i].def) continue;
        char t[32];
        snprintf(t, sizeof t, "%ld", expect[i].def);
        assert_int_equal(clb_config_set(&c, expect[i].p, t, err, sizeof err), 0);
    }
    assert_int_equal(clb_config_set_shutdown(&c, true, err, sizeof err), 0);
    render(&c, out, sizeof out);
    assert_string_equal(out, "crypto ikev2 cluster\n!\n");
}

static void test_render_full(void **state)
{
    (void)state;
    struct clb_config c;
    clb_config_init(&c);
    c.defined = true;
    char err[160], out[2048];
    static const struct {
        enum clb_param p;
        const char *v;
    } set[] = {
        {CLB_SLAVE_PRIORITY, "10"},     {CLB_SLAVE_UPDATE, "600"},  {CLB_SLAVE_HELLO, "200"},
        {CLB_SLAVE_MAX_SESSION, "500"}, {CLB_OVERLOAD_LIMIT, "80"}, {CLB_WEIGHT_SYSTEM, "50"},
        {CLB_WEIGHT_CRYPTO, "0"},       {CLB_HOLDTIME, "10000"},    {CLB_PORT, "5000"},
    };
    for (size_t i = 0; i < N_ELEM(set); i++)
        assert_int_equal(clb_config_set(&c, set[i].p, set[i].v, err, sizeof err), 0);
    assert_int_equal(clb_config_set_key(&c, "s3cr3t", err, sizeof err), 0);
    assert_int_equal(clb_config_set_description(&c, "two   spaces", err, sizeof err), 0);
    assert_int_equal(clb_config_set_group(&c, "VPN", err, sizeof err), 0);
    assert_int_equal(clb_config_set_shutdown(&c, false, err, sizeof err), 0);
    render(&c, out, sizeof out);
    assert_string_equal(out, "crypto ikev2 cluster\n"
                             " description two   spaces\n"
                             " standby-group VPN\n"
                             " key s3cr3t\n"
                             " port 5000\n"
                             " holdtime 10000\n"
                             " master weight crypto-load 0\n"
                             " master weight system-load 50\n"
                             " master overload-limit 80\n"
                             " slave max-session 500\n"
                             " slave hello 200\n"
                             " slave update 600\n"
                             " slave priority 10\n"
                             " no shutdown\n"
                             "!\n");
    /* shut again, with one value back to its default */
    assert_int_equal(clb_config_set_shutdown(&c, true, err, sizeof err), 0);
    clb_config_reset(&c, CLB_HOLDTIME);
    render(&c, out, sizeof out);
    assert_null(strstr(out, "holdtime"));
    assert_null(strstr(out, "shutdown"));
    assert_non_null(strstr(out, " port 5000\n master weight crypto-load 0\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_parameter_validates),
        cmocka_unit_test(test_set_messages),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_reset_max_session_shuts),
        cmocka_unit_test(test_no_shutdown_requirements),
        cmocka_unit_test(test_text_validation),
        cmocka_unit_test(test_blank_text_is_missing),
        cmocka_unit_test(test_render_not_defined),
        cmocka_unit_test(test_render_defaults),
        cmocka_unit_test(test_render_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
