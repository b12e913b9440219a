/* The `crypto ikev2 cluster` configuration: typed values with their ranges and defaults
 * (REFERENCE §1), validated setters and the running-config rendering. The cluster engine
 * (master, slave, CLB wire protocol) reads this struct; the shell only goes through the
 * setters below, so every value in it is always in range. */
#ifndef IKEGATE_CLB_CONFIG_H
#define IKEGATE_CLB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

enum clb_param {
    CLB_SLAVE_MAX_SESSION, /* 1-100000, no default: required before `no shutdown` */
    CLB_SLAVE_HELLO,       /* ms 100-30000, default 1000 */
    CLB_SLAVE_UPDATE,      /* ms 100-60000, default 3000 */
    CLB_SLAVE_PRIORITY,    /* 1-100, default 50 (Cisco publishes none; lower = more sessions) */
    CLB_HOLDTIME,          /* ms 100-120000, default 3000 */
    CLB_PORT,              /* TCP 1-65535, default 2012 */
    CLB_WEIGHT_CRYPTO,     /* 0-100, default 100 */
    CLB_WEIGHT_SYSTEM,     /* 0-100, default 100 */
    CLB_OVERLOAD_LIMIT,    /* percent 50-99, default 90 */
    CLB_NPARAMS
};

struct clb_param_info {
    const char *syntax; /* the words that set it, e.g. "slave hello" */
    long lo, hi;
    long def; /* 0 when there is no default */
    const char *help;
    const char *value_help;
};
extern const struct clb_param_info clb_params[CLB_NPARAMS];

#define CLB_NAME_MAX 64
#define CLB_DESC_MAX 241
#define CLB_KEY_MAX 129

struct clb_config {
    bool defined; /* `crypto ikev2 cluster` was entered */
    bool shutdown;
    long value[CLB_NPARAMS];
    char standby_group[CLB_NAME_MAX];
    char description[CLB_DESC_MAX];
    char key[CLB_KEY_MAX]; /* empty: the channel is unauthenticated */
};

void clb_config_init(struct clb_config *c);
/* Set a parameter from its decimal text. Returns 0, or -1 with an IOS-style message in err
 * ("% Invalid slave hello 99: the range is 100-30000") when the text is missing, not a
 * number, or out of range. */
int clb_config_set(struct clb_config *c, enum clb_param p, const char *text, char *err,
                   size_t errlen);
void clb_config_reset(struct clb_config *c, enum clb_param p); /* `no` / `default` form */
int clb_config_set_group(struct clb_config *c, const char *name, char *err, size_t errlen);
int clb_config_set_description(struct clb_config *c, const char *text, char *err, size_t errlen);
int clb_config_set_key(struct clb_config *c, const char *key, char *err, size_t errlen);
/* `no shutdown` needs standby-group and slave max-session. */
int clb_config_set_shutdown(struct clb_config *c, bool shut, char *err, size_t errlen);
/* The block as `show running-config` prints it, defaults omitted; nothing if not defined. */
void clb_config_render(const struct clb_config *c, struct strbuf *out);

#endif
