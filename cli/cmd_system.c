/* System commands: hostname, secrets and users, logging and debug, show version / processes,
 * running and startup configuration. Handlers run on the engine thread. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/app.h"
#include "cli/shell.h"
#include "platform/log.h"
#include "platform/strbuf.h"
#include "platform/sysload.h"
#include "version.h"

#define M_EXEC (1u << CM_EXEC)
#define M_CONF (1u << CM_CONFIG)
#define M_ANYCONF CM_ANYCONF_MASK

int ctx_err(struct cmd_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(c->out, fmt, ap);
    va_end(ap);
    sb_puts(c->out, "\n");
    return -1;
}

static const char *arg(struct cmd_ctx *c, int i)
{
    return i < c->m->argc ? c->m->argv[i] : "";
}

static void changed(struct cmd_ctx *c)
{
    c->app->changes++;
}

/* ---- hostname ---- */

static int valid_hostname(const char *h)
{
    /* RFC 1123 label rules, as IOS enforces them. */
    size_t n = strlen(h);
    if (n == 0 || n > 63) return 0;
    if (!((h[0] >= 'a' && h[0] <= 'z') || (h[0] >= 'A' && h[0] <= 'Z'))) return 0;
    if (h[n - 1] == '-') return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = h[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-'))
            return 0;
    }
    return 1;
}

static int h_hostname(struct cmd_ctx *c)
{
    const char *h = c->m->is_no || c->m->is_default ? "Router" : arg(c, 1);
    if (!valid_hostname(h))
        return ctx_err(c, "%% Hostname contains one or more illegal characters.");
    pthread_mutex_lock(&c->app->name_lock);
    snprintf(c->app->hostname, sizeof c->app->hostname, "%s", h);
    pthread_mutex_unlock(&c->app->name_lock);
    changed(c);
    return 0;
}

/* ---- secrets ---- */

/* Words from index i: [0|5|8|9] SECRET, or algorithm-type scrypt handled by the caller. */
static int take_secret(struct cmd_ctx *c, int i, char *hash, int *type)
{
    const char *t = arg(c, i), *v = arg(c, i + 1);
    if (c->m->argc == i + 1) t = "0", v = arg(c, i);
    if (!strcmp(t, "0")) {
        if (strlen(v) > 25 * 4) return ctx_err(c, "%% The secret is too long.");
        if (secret_hash9(v, hash, SECRET_HASH_MAX))
            return ctx_err(c, "%% Could not hash the secret.");
        *type = 9;
        return 0;
    }
    int ty = atoi(t);
    if (secret_hash_check_format(ty, v)) return ctx_err(c, "%% Invalid encrypted secret: %s", v);
    snprintf(hash, SECRET_HASH_MAX, "%s", v);
    *type = ty;
    return 0;
}

static int h_enable_secret(struct cmd_ctx *c)
{
    struct app *a = c->app;
    if (c->m->is_no || c->m->is_default) {
        a->enable_secret[0] = '\0';
        changed(c);
        return 0;
    }
    /* enable secret [0|5|8|9] S  |  enable algorithm-type scrypt secret S */
    int i = !strcmp(arg(c, 1), "algorithm-type") ? 4 : 2;
    char hash[SECRET_HASH_MAX];
    int type;
    if (take_secret(c, i, hash, &type)) return -1;
    memcpy(a->enable_secret, hash, sizeof hash);
    a->enable_secret_type = type;
    changed(c);
    return 0;
}

static struct user **user_slot(struct app *a, const char *name)
{
    struct user **pp = &a->users;
    while (*pp && strcmp((*pp)->name, name) < 0) pp = &(*pp)->next;
    return pp;
}

static int h_username(struct cmd_ctx *c)
{
    struct app *a = c->app;
    bool remove = c->m->is_no || c->m->is_default;
    const char *name = arg(c, remove ? 2 : 1);
    if (strlen(name) >= sizeof a->users->name) return ctx_err(c, "%% User name too long.");
    struct user **pp = user_slot(a, name), *u = *pp;
    bool exists = u && !strcmp(u->name, name);
    if (remove) {
        if (!exists) return 0;
        *pp = u->next;
        OPENSSL_cleanse(u->secret, sizeof u->secret);
        free(u);
        changed(c);
        return 0;
    }
    int priv = exists ? u->priv : 1;
    char hash[SECRET_HASH_MAX] = "";
    int type = 0;
    for (int i = 2; i < c->m->argc;) {
        const char *w = arg(c, i);
        if (!strcmp(w, "privilege")) {
            priv = atoi(arg(c, i + 1));
            i += 2;
        } else if (!strcmp(w, "algorithm-type")) {
            i += 2;
        } else if (!strcmp(w, "secret")) {
            if (take_secret(c, i + 1, hash, &type)) return -1;
            break;
        } else {
            i++;
        }
    }
    if (!exists) {
        u = calloc(1, sizeof *u);
        if (!u) return ctx_err(c, "%% Out of memory.");
        snprintf(u->name, sizeof u->name, "%s", name);
        u->next = *pp;
        *pp = u;
    }
    u->priv = priv;
    if (hash[0]) {
        memcpy(u->secret, hash, sizeof hash);
        u->secret_type = type;
    }
    changed(c);
    return 0;
}

/* ---- logging ---- */

static int h_logging_buffered(struct cmd_ctx *c)
{
    if (c->m->is_no) {
        log_buffer_config(0, log_buffer_level());
        changed(c);
        return 0;
    }
    if (c->m->is_default) {
        log_buffer_config(8192, 7);
        changed(c);
        return 0;
    }
    size_t size = log_buffer_size() ? log_buffer_size() : 8192;
    int level = log_buffer_level();
    for (int i = 2; i < c->m->argc; i++) {
        long v;
        if (cmd_parse_long(arg(c, i), 4096, 2147483647L, &v))
            size = (size_t)v;
        else
            level = log_level_parse(arg(c, i));
    }
    log_buffer_config(size, level);
    changed(c);
    return 0;
}

static int h_logging_level(struct cmd_ctx *c)
{
    bool off = c->m->is_no || c->m->is_default;
    int w = off ? 2 : 1;
    int level = off ? 7 : log_level_parse(arg(c, 2));
    if (level < 0) return ctx_err(c, "%% Invalid logging level.");
    if (!strcmp(arg(c, w), "console"))
        log_console_level(level);
    else
        log_monitor_level(level);
    changed(c);
    return 0;
}

static int h_show_logging(struct cmd_ctx *c)
{
    log_show(c->out);
    return 0;
}

static int h_clear_logging(struct cmd_ctx *c)
{
    log_buffer_clear();
    (void)c;
    return 0;
}

/* ---- debug ---- */

static int h_debug(struct cmd_ctx *c)
{
    bool off = !strcmp(arg(c, 0), "no") || !strcmp(arg(c, 0), "undebug");
    int first = !strcmp(arg(c, 0), "no") ? 2 : 1;
    char path[256] = "";
    for (int i = first; i < c->m->argc; i++) {
        if (path[0]) strncat(path, " ", sizeof path - strlen(path) - 1);
        strncat(path, arg(c, i), sizeof path - strlen(path) - 1);
    }
    if (!strcmp(path, "all")) {
        if (off) {
            debug_all_off();
            sb_puts(c->out, "All possible debugging has been turned off\n");
        } else {
            debug_all_on();
            sb_puts(c->out, "This may severely impact network performance. All possible "
                            "debugging has been turned on\n");
        }
        return 0;
    }
    struct debug_flag *f = debug_find(path);
    if (!f || debug_set(path, !off)) return ctx_err(c, "%% Unknown debug flag '%s'", path);
    sb_printf(c->out, "%s debugging is %s\n", f->title, off ? "off" : "on");
    return 0;
}

static int h_show_debugging(struct cmd_ctx *c)
{
    debug_show(c->out);
    return 0;
}

/* ---- show version / processes / clock ---- */

static void uptime_text(time_t secs, struct strbuf *out)
{
    long w = secs / (7 * 86400), d = secs / 86400 % 7, h = secs / 3600 % 24, m = secs / 60 % 60;
    const char *sep = "";
    if (w) sb_printf(out, "%ld week%s", w, w == 1 ? "" : "s"), sep = ", ";
    if (d) sb_printf(out, "%s%ld day%s", sep, d, d == 1 ? "" : "s"), sep = ", ";
    if (h) sb_printf(out, "%s%ld hour%s", sep, h, h == 1 ? "" : "s"), sep = ", ";
    sb_printf(out, "%s%ld minute%s", sep, m, m == 1 ? "" : "s");
}

static int h_show_version(struct cmd_ctx *c)
{
    struct app *a = c->app;
    struct utsname u;
    uname(&u);
    char host[64];
    app_hostname(a, host, sizeof host);
    int gig = 0, lo = 0;
    for (struct iface *i = a->ifaces; i; i = i->next)
        gig += i->name.type == IFT_GIGABIT, lo += i->name.type == IFT_LOOPBACK;
    sb_printf(c->out, "ikegate Software (ikegated), Version %s\n", IKEGATE_VERSION);
    sb_puts(c->out, "Technical Support: see README.md of the ikegate project\n"
                    "Copyright (c) 2026 the ikegate authors; licensed as the project says.\n\n");
    sb_printf(c->out, "%s uptime is ", host);
    uptime_text(time(NULL) - a->boot_time, c->out);
    sb_puts(c->out, "\nSystem returned to ROM by power-on\n");
    sb_printf(c->out, "System image file is \"%s\"\n", "ikegated");
    sb_printf(c->out, "Running on %s %s %s\n\n", u.sysname, u.release, u.machine);
    struct sysmem m = {0};
    sysload_mem(&m);
    sb_printf(c->out, "%s processor with %llu K bytes of memory.\n", u.machine,
              (unsigned long long)(m.total / 1024));
    sb_printf(c->out, "%d Gigabit Ethernet interface%s\n", gig, gig == 1 ? "" : "s");
    if (lo) sb_printf(c->out, "%d Loopback interface%s\n", lo, lo == 1 ? "" : "s");
    if (a->dataplane) sb_printf(c->out, "IPsec data plane: %s\n", a->dataplane);
    sb_printf(c->out, "\nConfiguration register is 0x2102\n");
    return 0;
}

static int h_show_proc_cpu(struct cmd_ctx *c)
{
    sysload_show_cpu(c->app->sysload, c->out);
    return 0;
}

static int h_show_proc_mem(struct cmd_ctx *c)
{
    sysload_show_mem(c->out);
    return 0;
}

static int h_show_clock(struct cmd_ctx *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    sb_printf(c->out, "*%s.%03ld ", buf, ts.tv_nsec / 1000000);
    strftime(buf, sizeof buf, "%Z %a %b %e %Y", &tm);
    sb_printf(c->out, "%s\n", buf);
    return 0;
}

/* ---- configuration files ---- */

static int h_show_run(struct cmd_ctx *c)
{
    struct strbuf body = STRBUF_INIT;
    app_render_config(c->app, &body);
    sb_printf(c->out, "Building configuration...\n\nCurrent configuration : %zu bytes\n", body.len);
    sb_append(c->out, sb_str(&body), body.len);
    sb_free(&body);
    return 0;
}

static int h_show_startup(struct cmd_ctx *c)
{
    FILE *f = fopen(c->app->startup_path, "r");
    if (!f) return ctx_err(c, "startup-config is not present");
    struct strbuf body = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_append(&body, buf, n);
    fclose(f);
    sb_printf(c->out, "Using %zu out of 33554432 bytes\n", body.len);
    sb_append(c->out, sb_str(&body), body.len);
    if (body.len && body.buf[body.len - 1] != '\n') sb_puts(c->out, "\n");
    sb_free(&body);
    return 0;
}

static int h_write_memory(struct cmd_ctx *c)
{
    sb_puts(c->out, "Building configuration...\n");
    int rc = app_save_config(c->app, c->app->startup_path);
    if (rc) {
        ilog(3, "SYS", "NV_WRITE_FAIL", "could not write %s: %s", c->app->startup_path,
             strerror(-rc));
        return ctx_err(c, "%% Error writing %s (%s)", c->app->startup_path, strerror(-rc));
    }
    sb_puts(c->out, "[OK]\n");
    return 0;
}

static int h_version_line(struct cmd_ctx *c)
{
    (void)c; /* IOS headers such as "version 17.3" in pasted configurations. */
    return 0;
}

static int h_do_marker(struct cmd_ctx *c)
{
    (void)c;
    return 0;
}

const struct cmd_def app_cmds_system[] = {
    /* EXEC, session-side */
    {M_EXEC, 1, CMDF_SESSION, sh_enable, "enable", {"Turn on privileged commands"}},
    {M_EXEC, 2, CMDF_SESSION, sh_disable, "disable", {"Turn off privileged commands"}},
    {M_EXEC, 1, CMDF_SESSION, sh_exit, "exit", {"Exit from the EXEC"}},
    {M_EXEC, 1, CMDF_SESSION, sh_exit, "logout", {"Exit from the EXEC"}},
    {M_EXEC, 1, CMDF_SESSION, sh_exit, "quit", {"Exit from the EXEC"}},
    {M_EXEC,
     15,
     CMDF_SESSION,
     sh_configure,
     "configure terminal",
     {"Enter configuration mode", "Configure from the terminal"}},
    {M_EXEC,
     1,
     CMDF_SESSION,
     sh_terminal,
     "terminal length <0-512>",
     {"Set terminal line parameters", "Set number of lines on a screen",
      "Number of lines on screen (0 for no pausing)"}},
    {M_EXEC,
     1,
     CMDF_SESSION,
     sh_terminal,
     "terminal monitor",
     {NULL, "Copy debug output to the current terminal line"}},
    {M_EXEC,
     1,
     CMDF_SESSION,
     sh_terminal,
     "terminal no monitor",
     {NULL, "Negate a command or set its defaults",
      "Copy debug output to the current terminal line"}},
    {M_EXEC,
     1,
     CMDF_SESSION | CMDF_FILTER,
     sh_show_privilege,
     "show privilege",
     {"Show running system information", "Show current privilege level"}},
    /* EXEC, engine-side */
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_version,
     "show version",
     {"Show running system information", "System hardware and software status"}},
    {M_EXEC, 1, CMDF_FILTER, h_show_clock, "show clock", {NULL, "Display the system clock"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_proc_cpu,
     "show processes cpu",
     {NULL, "Active process statistics", "Show CPU use per process"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_proc_mem,
     "show processes memory",
     {NULL, NULL, "Show memory use per process"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show_logging,
     "show logging",
     {NULL, "Show the contents of logging buffers"}},
    {M_EXEC,
     1,
     CMDF_FILTER,
     h_show_debugging,
     "show debugging",
     {NULL, "State of each debugging option"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show_run,
     "show running-config",
     {NULL, "Current operating configuration"}},
    {M_EXEC,
     15,
     CMDF_FILTER,
     h_show_startup,
     "show startup-config",
     {NULL, "Contents of startup configuration"}},
    {M_EXEC,
     15,
     0,
     h_write_memory,
     "write memory",
     {"Write running configuration to memory, network, or terminal", "Write to NV memory"}},
    {M_EXEC, 15, 0, h_write_memory, "write", {NULL}},
    {M_EXEC,
     15,
     0,
     h_write_memory,
     "copy running-config startup-config",
     {"Copy from one file to another", "Copy from current system configuration",
      "Copy to startup configuration"}},
    {M_EXEC, 15, 0, h_clear_logging, "clear logging", {"Reset functions", "Clear logging buffer"}},
    {M_EXEC,
     15,
     0,
     h_debug,
     "undebug all",
     {"Disable debugging functions (see also 'debug')", "Disable all debugging"}},
    {M_EXEC,
     15,
     CMDF_NO_DEFAULT,
     h_debug,
     "no debug all",
     {"Disable debugging functions", "Debugging functions (see also 'undebug')",
      "Disable all debugging"}},
    {M_EXEC,
     15,
     0,
     h_debug,
     "debug all",
     {"Debugging functions (see also 'undebug')", "Enable all debugging"}},

    /* any configuration mode */
    {M_ANYCONF, 15, CMDF_SESSION, sh_end, "end", {"Exit from configure mode"}},
    {M_ANYCONF, 15, CMDF_SESSION, sh_exit, "exit", {"Exit from configure mode"}},
    {M_ANYCONF, 15, CMDF_DO, h_do_marker, "do", {"To run exec commands in config mode"}},

    /* global configuration */
    {M_CONF,
     15,
     0,
     h_hostname,
     "hostname WORD",
     {"Set system's network name", "This system's network name"}},
    {M_CONF,
     15,
     0,
     h_hostname,
     "no hostname",
     {"Negate a command or set its defaults", "Set system's network name"}},
    {M_CONF, 15, CMDF_HIDDEN, h_version_line, "version LINE", {"Version", "Version string"}},
    {M_CONF,
     15,
     0,
     h_enable_secret,
     "enable secret WORD",
     {"Modify enable password parameters", "Assign the privileged level secret",
      "The UNENCRYPTED (cleartext) 'enable' secret"}},
    {M_CONF,
     15,
     0,
     h_enable_secret,
     "enable secret 0 WORD",
     {NULL, NULL, "Specifies an UNENCRYPTED password will follow",
      "The UNENCRYPTED 'enable' secret"}},
    {M_CONF,
     15,
     0,
     h_enable_secret,
     "enable secret 5 WORD",
     {NULL, NULL, "Specifies a MD5 HASHED secret will follow", "The HASHED 'enable' secret"}},
    {M_CONF,
     15,
     0,
     h_enable_secret,
     "enable secret 8 WORD",
     {NULL, NULL, "Specifies a PBKDF2 HASHED secret will follow", "The HASHED 'enable' secret"}},
    {M_CONF,
     15,
     0,
     h_enable_secret,
     "enable secret 9 WORD",
     {NULL, NULL, "Specifies a SCRYPT HASHED secret will follow", "The HASHED 'enable' secret"}},
    {M_CONF,
     15,
     0,
     h_enable_secret,
     "enable algorithm-type scrypt secret WORD",
     {NULL, "Algorithm to use for hashing the plaintext 'enable' secret",
      "Encode the password using the SCRYPT hashing algorithm",
      "Assign the privileged level secret", "The UNENCRYPTED (cleartext) 'enable' secret"}},
    {M_CONF,
     15,
     0,
     h_enable_secret,
     "no enable secret",
     {"Negate a command or set its defaults", "Modify enable password parameters",
      "Assign the privileged level secret"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD privilege <0-15>",
     {"Establish User Name Authentication", "User name", "Set user privilege level",
      "User privilege level"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD privilege <0-15> secret WORD",
     {NULL, NULL, NULL, NULL, "Specify the secret for the user",
      "The UNENCRYPTED (cleartext) user secret"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD privilege <0-15> secret 0 WORD",
     {NULL, NULL, NULL, NULL, NULL, "Specifies an UNENCRYPTED secret will follow",
      "The UNENCRYPTED (cleartext) user secret"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD privilege <0-15> secret 5 WORD",
     {NULL, NULL, NULL, NULL, NULL, "Specifies a MD5 HASHED secret will follow",
      "The HASHED secret string"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD privilege <0-15> secret 8 WORD",
     {NULL, NULL, NULL, NULL, NULL, "Specifies a PBKDF2 HASHED secret will follow",
      "The HASHED secret string"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD privilege <0-15> secret 9 WORD",
     {NULL, NULL, NULL, NULL, NULL, "Specifies a SCRYPT HASHED secret will follow",
      "The HASHED secret string"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD secret WORD",
     {NULL, NULL, "Specify the secret for the user", "The UNENCRYPTED (cleartext) user secret"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD secret 0 WORD",
     {NULL, NULL, NULL, "Specifies an UNENCRYPTED secret will follow",
      "The UNENCRYPTED (cleartext) user secret"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD secret 5 WORD",
     {NULL, NULL, NULL, "Specifies a MD5 HASHED secret will follow", "The HASHED secret string"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD secret 8 WORD",
     {NULL, NULL, NULL, "Specifies a PBKDF2 HASHED secret will follow",
      "The HASHED secret string"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD secret 9 WORD",
     {NULL, NULL, NULL, "Specifies a SCRYPT HASHED secret will follow",
      "The HASHED secret string"}},
    {M_CONF,
     15,
     0,
     h_username,
     "username WORD algorithm-type scrypt secret WORD",
     {NULL, NULL, "Algorithm to use for hashing the plaintext secret for the user",
      "Encode the password using the SCRYPT hashing algorithm", "Specify the secret for the user",
      "The UNENCRYPTED (cleartext) user secret"}},
    {M_CONF,
     15,
     0,
     h_username,
     "no username WORD",
     {"Negate a command or set its defaults", "Establish User Name Authentication", "User name"}},
    {M_CONF,
     15,
     0,
     h_logging_buffered,
     "logging buffered",
     {"Modify message logging facilities", "Set buffered logging parameters"}},
    {M_CONF,
     15,
     0,
     h_logging_buffered,
     "logging buffered <4096-2147483647>",
     {NULL, NULL, "Logging buffer size"}},
    {M_CONF, 15, 0, h_logging_buffered, "logging buffered LEVEL", {NULL}},
    {M_CONF, 15, 0, h_logging_buffered, "logging buffered <4096-2147483647> LEVEL", {NULL}},
    {M_CONF,
     15,
     0,
     h_logging_buffered,
     "no logging buffered",
     {"Negate a command or set its defaults", "Modify message logging facilities",
      "Set buffered logging parameters"}},
    {M_CONF,
     15,
     0,
     h_logging_level,
     "logging console LEVEL",
     {NULL, "Set console logging parameters"}},
    {M_CONF,
     15,
     0,
     h_logging_level,
     "logging monitor LEVEL",
     {NULL, "Set terminal line (monitor) logging parameters"}},
    {M_CONF, 15, 0, h_logging_level, "no logging console", {NULL, NULL, NULL}},
    {M_CONF, 15, 0, h_logging_level, "no logging monitor", {NULL, NULL, NULL}},
};
const size_t app_ncmds_system = sizeof app_cmds_system / sizeof app_cmds_system[0];

/* `debug <path>`, `undebug <path>`, `no debug <path>` for every registered flag. */
static const char *word_help(const char *w)
{
    static const struct {
        const char *w, *h;
    } t[] = {{"crypto", "Cryptographic subsystem"}, {"ikev2", "IKEv2 debugging"},
             {"platform", "Platform debugging"},    {"parser", "Parser debugging"},
             {"standby", "Hot standby protocol"},   {"cluster", "IKEv2 cluster"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].w, w)) return t[i].h;
    return "";
}

static void add_debug_defs(struct cmd_tree *t)
{
    size_t n = 0, nd = 0;
    for (struct debug_flag *f = debug_flags(); f; f = f->next) n++;
    struct cmd_def *debug_defs = calloc(3 * n + 1, sizeof *debug_defs);
    char(*debug_syntax)[256] = calloc(3 * n + 1, sizeof *debug_syntax);
    if (!debug_defs || !debug_syntax) abort();
    cmdtree_own(t, debug_defs);
    cmdtree_own(t, debug_syntax);
    static const char *const prefix[3] = {"debug", "undebug", "no debug"};
    for (struct debug_flag *f = debug_flags(); f; f = f->next) {
        for (int p = 0; p < 3; p++) {
            struct cmd_def *d = &debug_defs[nd];
            snprintf(debug_syntax[nd], sizeof debug_syntax[0], "%s %s", prefix[p], f->path);
            d->modes = M_EXEC;
            d->priv = 15;
            d->flags = p == 2 ? CMDF_NO_DEFAULT : 0;
            d->fn = h_debug;
            d->syntax = debug_syntax[nd];
            int k = 0;
            if (p == 2) d->help[k++] = "Negate a command or set its defaults";
            d->help[k++] = p == 1 ? "Disable debugging functions (see also 'debug')"
                                  : "Debugging functions (see also 'undebug')";
            char words[256];
            snprintf(words, sizeof words, "%s", f->path);
            char *sv = NULL;
            for (char *w = strtok_r(words, " ", &sv); w && k < CMD_MAX_TOKENS;
                 w = strtok_r(NULL, " ", &sv)) {
                bool last = sv == NULL || *sv == '\0';
                d->help[k++] = last ? f->help : word_help(w);
            }
            if (cmdtree_add(t, d)) abort();
            nd++;
        }
    }
}

void app_register_commands(struct cmd_tree *t)
{
    if (cmdtree_add_all(t, app_cmds_system, app_ncmds_system) ||
        cmdtree_add_all(t, app_cmds_interface, app_ncmds_interface) ||
        cmdtree_add_all(t, app_cmds_cluster, app_ncmds_cluster) ||
        cmdtree_add_all(t, app_cmds_standby, app_ncmds_standby) ||
        cmdtree_add_all(t, app_cmds_ipsec, app_ncmds_ipsec) ||
        cmdtree_add_all(t, app_cmds_ikev2, app_ncmds_ikev2) ||
        cmdtree_add_all(t, app_cmds_crypto, app_ncmds_crypto))
        abort();
    app_register_standby(t);
    app_register_ikev2(t); /* the proposal algorithm lists (cmd_ikev2.c) */
    add_debug_defs(t);
}
