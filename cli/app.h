/* The appliance: configuration and state owned by the engine thread, and the context a
 * command handler gets. Only handlers (run on the engine thread through loop_call, or
 * directly at boot) touch struct app; session threads read the hostname through
 * app_hostname(). */
#ifndef IKEGATE_APP_H
#define IKEGATE_APP_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clb/clb_config.h"
#include "cli/cmdtree.h"
#include "cli/secret.h"
#include "ike/ike_config.h"
#include "ike/ike_ipsec_config.h"
#include "platform/ifname.h"

struct strbuf;
struct netif;
struct ifmap;
struct sysload;
struct loop_timer;
struct hsrp;
struct ike_glue;
struct clb;
typedef struct loop loop_t;

#define APP_MAX_SECONDARY 32

struct iface {
    struct ifname name;
    char ios[IFNAME_IOS_LEN];
    char lnx[IFNAME_LINUX_LEN];
    char label[IFNAME_LINUX_LEN]; /* address label: "lo:N" for loopbacks, else the link name */
    char description[241];
    bool shutdown;
    bool has_addr;
    uint32_t addr; /* host order */
    int plen;
    int nsec;
    struct {
        uint32_t addr;
        int plen;
    } sec[APP_MAX_SECONDARY];
    bool synced; /* the kernel's addresses are known to match the configuration */
    unsigned garp_count, garp_interval; /* standby arp gratuitous (IOS: 3, 2 s) */
    bool link_up;                       /* last seen by the link watch */
    struct iface *next;                 /* sorted by type, then number */
};

struct sroute {
    uint32_t dst; /* host order */
    int plen;
    uint32_t gw;                  /* 0 when via an interface */
    char oif_ios[IFNAME_IOS_LEN]; /* "" when via a next hop */
    int distance;
    bool installed;
    struct sroute *next; /* in the order configured */
};

struct user {
    char name[64];
    int priv;
    char secret[SECRET_HASH_MAX]; /* "" when no secret */
    int secret_type;
    struct user *next; /* sorted by name */
};

struct app {
    loop_t *loop;
    struct netif *netif; /* NULL: no kernel effects (unit tests) */
    struct ifmap *ifmap;
    struct sysload *sysload;
    struct loop_timer *sysload_timer;
    char startup_path[PATH_MAX];
    time_t boot_time;

    pthread_mutex_t name_lock;
    char hostname[64];
    char enable_secret[SECRET_HASH_MAX];
    int enable_secret_type;
    struct user *users;
    struct iface *ifaces;
    struct sroute *routes;
    int routes_pending; /* configured routes the kernel refused so far (next hop unreachable) */
    struct clb_config cluster;
    struct ike_config ikev2; /* IKEv2 proposals, policies, keyrings, profiles (cmd_ikev2.c) */
    /* crypto ipsec / crypto pki / Virtual-Template tunnels / ip local pool (cmd_ipsec.c) */
    struct ike_ipsec_config ipsec;
    const struct ike_pki_hooks *pki; /* NULL: "% PKI support not available" */
    struct hsrp *hsrp;               /* NULL: HSRP not running (unit tests) */
    struct ike_glue *ike;            /* NULL: IKEv2 not running (unit tests) */
    struct clb *clb;                 /* NULL: the cluster engine is not running */
    const char *dataplane;           /* for show version; NULL: not said */
    struct loop_timer *link_timer;
    unsigned changes; /* configuration changes since boot */
};

/* What a command handler sees. Handlers write their reply into out; an IOS error is a line
 * starting with "% " and a return of -1. A handler that enters a submode sets new_mode
 * (and mode_obj, e.g. the interface name). */
struct session;
struct cmd_ctx {
    struct app *app;
    const struct cmd_match *m;
    int mode;             /* the mode the command was typed in */
    const char *mode_obj; /* e.g. "GigabitEthernet1" in config-if */
    int priv;
    const char *who; /* "console", "vty0" ... */
    struct strbuf *out;
    int new_mode; /* -1: unchanged */
    char new_obj[64];
    struct session *sess; /* CMDF_SESSION handlers only */
};

int app_init(struct app *a, loop_t *loop, struct netif *netif, struct ifmap *ifmap);
void app_fini(struct app *a);
void app_hostname(struct app *a, char *buf, size_t len); /* thread-safe */
/* Privilege for a local user name (`username NAME privilege N`), 1 when not configured. */
int app_user_privilege(struct app *a, const char *name);
/* Does the enable secret exist / match? (engine thread) */
bool app_has_enable_secret(struct app *a);
bool app_check_enable(struct app *a, const char *cleartext);

/* The full grammar: every command of every mode. */
void app_register_commands(struct cmd_tree *t);
extern const struct cmd_def app_cmds_system[], app_cmds_interface[], app_cmds_cluster[];
extern const size_t app_ncmds_system, app_ncmds_interface, app_ncmds_cluster;
extern const struct cmd_def app_cmds_standby[];
extern const size_t app_ncmds_standby;
extern const struct cmd_def app_cmds_crypto[]; /* show/clear of the IKE engine (cmd_crypto.c) */
extern const size_t app_ncmds_crypto;
extern const struct cmd_def app_cmds_ipsec[];
extern const size_t app_ncmds_ipsec;
void app_register_standby(struct cmd_tree *t);
/* IKEv2 configuration commands (cmd_ikev2.c); app_register_ikev2 adds the generated ones. */
extern const struct cmd_def app_cmds_ikev2[];
extern const size_t app_ncmds_ikev2;
void app_register_ikev2(struct cmd_tree *t);
/* Tell HSRP an interface's names, address, MAC and state (cmd_standby.c). */
void app_hsrp_iface(struct app *a, struct iface *i);
/* The cluster engine on HSRP and IKE (clb_glue.c); its configuration is applied at once. */
void app_start_cluster(struct app *a);
void app_stop_cluster(struct app *a);
/* Watch the links once a second: carrier changes reach HSRP (interfaces and tracking). */
void app_start_link_watch(struct app *a);

/* running-config, IOS order, defaults omitted (config.c). */
void app_render_config(struct app *a, struct strbuf *out);
/* Atomic save: temp file, fsync, rename, fsync the directory. 0 or -errno. */
int app_save_config(struct app *a, const char *path);

/* Interfaces (cmd_interface.c) */
struct iface *app_iface_find(struct app *a, const struct ifname *n);
/* Is addr_h (host order) the primary or a secondary address of interface IOS (any spelling)? */
bool app_iface_has_addr(struct app *a, const char *ios, uint32_t addr_h);
void app_render_interfaces(struct app *a, struct strbuf *out);
void app_render_routes(struct app *a, struct strbuf *out);
/* Linux links that map to IOS interfaces get an entry (unconfigured) at start. */
void app_discover_interfaces(struct app *a);
void app_links_up(struct app *a);
/* Remove the lo:N addresses a previous run left (once, at start). */
void app_flush_loopbacks(struct app *a);

int ctx_err(struct cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
