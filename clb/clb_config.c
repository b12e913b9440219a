#include "clb/clb_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/strbuf.h"

/* Ranges and defaults: REFERENCE §1 (Cisco's published ones); the priority default is ours,
 * documented in docs/cli.md. */
const struct clb_param_info clb_params[CLB_NPARAMS] = {
    [CLB_SLAVE_MAX_SESSION] = {"slave max-session", 1, 100000, 0,
                               "Maximum number of sessions on this member",
                               "Maximum session count"},
    [CLB_SLAVE_HELLO] = {"slave hello", 100, 30000, 1000, "Hello interval to the master",
                         "Hello interval in milliseconds"},
    [CLB_SLAVE_UPDATE] = {"slave update", 100, 60000, 3000, "Load update interval",
                          "Update interval in milliseconds"},
    [CLB_SLAVE_PRIORITY] = {"slave priority", 1, 100, 50, "Member priority (lower gets more)",
                            "Priority"},
    [CLB_HOLDTIME] = {"holdtime", 100, 120000, 3000, "Member hold time",
                      "Hold time in milliseconds"},
    [CLB_PORT] = {"port", 1, 65535, 2012, "Cluster TCP port", "Port number"},
    [CLB_WEIGHT_CRYPTO] = {"master weight crypto-load", 0, 100, 100, "Weight of crypto load",
                           "Weight"},
    [CLB_WEIGHT_SYSTEM] = {"master weight system-load", 0, 100, 100, "Weight of system load",
                           "Weight"},
    [CLB_OVERLOAD_LIMIT] = {"master overload-limit", 50, 99, 90,
                            "Load at which a member takes no new sessions",
                            "Overload limit in percent"},
};

void clb_config_init(struct clb_config *c)
{
    memset(c, 0, sizeof *c);
    c->shutdown = true;
    for (int p = 0; p < CLB_NPARAMS; p++) c->value[p] = clb_params[p].def;
}

int clb_config_set(struct clb_config *c, enum clb_param p, const char *text, char *err,
                   size_t errlen)
{
    const struct clb_param_info *pi = &clb_params[p];
    if (!text || !*text) {
        snprintf(err, errlen, "%% %s: a value is required (%ld-%ld)", pi->syntax, pi->lo, pi->hi);
        return -1;
    }
    for (const char *q = text; *q; q++) {
        if (!isdigit((unsigned char)*q) || q - text > 9) {
            snprintf(err, errlen, "%% Invalid %s '%s': not a number in %ld-%ld", pi->syntax, text,
                     pi->lo, pi->hi);
            return -1;
        }
    }
    long v = strtol(text, NULL, 10);
    if (v < pi->lo || v > pi->hi) {
        snprintf(err, errlen, "%% Invalid %s %ld: the range is %ld-%ld", pi->syntax, v, pi->lo,
                 pi->hi);
        return -1;
    }
    c->value[p] = v;
    return 0;
}

void clb_config_reset(struct clb_config *c, enum clb_param p)
{
    c->value[p] = clb_params[p].def;
    if (p == CLB_SLAVE_MAX_SESSION && !c->shutdown) c->shutdown = true;
}

static int set_text(char *dst, size_t cap, const char *src, const char *what, bool one_word,
                    char *err, size_t errlen)
{
    size_t n = src ? strlen(src) : 0;
    if (n == 0 || strspn(src, " ") == n) {
        snprintf(err, errlen, "%% %s: a value is required", what);
        return -1;
    }
    if (n >= cap) {
        snprintf(err, errlen, "%% %s is too long (at most %zu characters)", what, cap - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch < 0x20 || ch == 0x7f || (one_word && ch == ' ')) {
            snprintf(err, errlen, "%% %s contains an invalid character", what);
            return -1;
        }
    }
    memcpy(dst, src, n + 1);
    return 0;
}

int clb_config_set_group(struct clb_config *c, const char *name, char *err, size_t errlen)
{
    return set_text(c->standby_group, sizeof c->standby_group, name, "standby-group", true, err,
                    errlen);
}

int clb_config_set_description(struct clb_config *c, const char *text, char *err, size_t errlen)
{
    return set_text(c->description, sizeof c->description, text, "description", false, err, errlen);
}

int clb_config_set_key(struct clb_config *c, const char *key, char *err, size_t errlen)
{
    return set_text(c->key, sizeof c->key, key, "key", true, err, errlen);
}

int clb_config_set_shutdown(struct clb_config *c, bool shut, char *err, size_t errlen)
{
    if (!shut) {
        const char *missing = !c->standby_group[0] && !c->value[CLB_SLAVE_MAX_SESSION]
                                  ? "'standby-group' and 'slave max-session'"
                              : !c->standby_group[0]             ? "'standby-group'"
                              : !c->value[CLB_SLAVE_MAX_SESSION] ? "'slave max-session'"
                                                                 : NULL;
        if (missing) {
            snprintf(err, errlen, "%% The cluster cannot be enabled: configure %s first", missing);
            return -1;
        }
    }
    c->shutdown = shut;
    return 0;
}

void clb_config_render(const struct clb_config *c, struct strbuf *out)
{
    if (!c->defined) return;
    sb_puts(out, "crypto ikev2 cluster\n");
    if (c->description[0]) sb_printf(out, " description %s\n", c->description);
    if (c->standby_group[0]) sb_printf(out, " standby-group %s\n", c->standby_group);
    if (c->key[0]) sb_printf(out, " key %s\n", c->key);
    static const enum clb_param order[] = {
        CLB_PORT,          CLB_HOLDTIME,       CLB_WEIGHT_CRYPTO,
        CLB_WEIGHT_SYSTEM, CLB_OVERLOAD_LIMIT, CLB_SLAVE_MAX_SESSION,
        CLB_SLAVE_HELLO,   CLB_SLAVE_UPDATE,   CLB_SLAVE_PRIORITY};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        enum clb_param p = order[i];
        if (c->value[p] != clb_params[p].def)
            sb_printf(out, " %s %ld\n", clb_params[p].syntax, c->value[p]);
    }
    if (!c->shutdown) sb_puts(out, " no shutdown\n");
    sb_puts(out, "!\n");
}
