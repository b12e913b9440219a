/* ikegated: the appliance process and the composition root. It owns the engine thread (the
 * event loop), loads the startup-config, and serves IOS sessions on the console, the Unix
 * socket (for ikesh and SSH) and, if asked, telnet on loopback. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/app.h"
#include "cli/ike_glue.h"
#include "cli/shell.h"
#include "hsrp/hsrp.h"
#include "hsrp/hsrp_io.h"
#include "platform/ifname.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/netif.h"
#include "platform/strbuf.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ikegated [-f STARTUP-CONFIG] [-s CLI-SOCKET] [--console]\n"
               "                [--ifmap IOS=linux,...] [--telnet PORT] [--no-syslog]\n"
               "                [--dataplane kernel|none] [--ike-ports IKE,NATT]\n"
               "  -f FILE       startup-config (default /etc/ikegate/startup-config)\n"
               "  -s PATH       CLI socket for ikesh (default /run/ikegate/cli.sock)\n"
               "  --console     an IOS session on this terminal; without a terminal, run the\n"
               "                commands read from stdin, print their output and exit\n"
               "  --ifmap MAP   IOS to Linux interface names, e.g. GigabitEthernet1=ens3\n"
               "  --telnet PORT also serve IOS sessions by telnet on 127.0.0.1:PORT\n"
               "  --no-syslog   do not copy log messages to syslog\n"
               "  --dataplane kernel|none\n"
               "                kernel (default): install IPsec SAs with XFRM; none: negotiate\n"
               "                tunnels but install nothing (benchmarks and labs only)\n"
               "  --ike-ports IKE,NATT\n"
               "                UDP ports of IKE and NAT-T (default 500,4500)\n");
}

struct daemon {
    loop_t *loop;
    struct shell sh;
    struct app app;
    int unix_fd, telnet_fd;
    struct loop_watch *unix_w, *telnet_w;
    struct termios saved_tty;
    bool tty_saved;
};

static void on_signal(loop_t *l, int signo, void *arg)
{
    (void)arg;
    ilog(5, "SYS", "SHUTDOWN", "Received signal %d, shutting down", signo);
    loop_stop(l);
}

static void on_accept(loop_t *l, int fd, uint32_t events, void *arg)
{
    (void)l, (void)events;
    struct daemon *d = arg;
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) return;
    if (c >= 1024) { /* keep descriptors select()-safe for libcli */
        close(c);
        return;
    }
    shell_spawn_socket_session(&d->sh, c, fd == d->telnet_fd);
}

static int listen_unix(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    mkdir(dirname(dir), 0755);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        fprintf(stderr, "ikegated: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    /* Another live daemon on this path? Then refuse rather than steal its socket. */
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        fprintf(stderr, "ikegated: another ikegated is serving %s\n", path);
        close(fd);
        return -1;
    }
    close(fd);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    mode_t old = umask(0117); /* srw-rw----: never world-writable */
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    /* Operators in group "ikegate" may connect; everyone else is kept out. */
    struct group *g = rc ? NULL : getgrnam("ikegate");
    if (g && chown(path, (uid_t)-1, g->gr_gid))
        fprintf(stderr, "ikegated: cannot give %s to group ikegate: %s\n", path, strerror(errno));
    if (rc || listen(fd, 64)) {
        fprintf(stderr, "ikegated: cannot listen on %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int listen_telnet(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 16)) {
        fprintf(stderr, "ikegated: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Without an interactive console the log goes to stderr, from a thread of its own so that a
 * blocked stderr never stalls the engine (the sink drops lines instead). */
struct stderr_log {
    struct log_sink *sink;
    _Atomic bool stop;
};

static void emit_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

static void *stderr_log_thread(void *arg)
{
    struct stderr_log *sl = arg;
    while (!sl->stop) {
        struct pollfd p = {.fd = log_sink_fd(sl->sink), .events = POLLIN};
        if (poll(&p, 1, 200) > 0) {
            log_sink_drain(sl->sink, emit_stderr, NULL);
            fflush(stderr);
        }
    }
    log_sink_drain(sl->sink, emit_stderr, NULL);
    return NULL;
}

struct console_arg {
    struct daemon *d;
    struct session *s;
};

static void *console_thread(void *arg)
{
    struct console_arg *ca = arg;
    session_run(ca->s);
    loop_stop(ca->d->loop); /* the console's end is the appliance's end, as with `make run` */
    return NULL;
}

int main(int argc, char **argv)
{
    const char *startup = "/etc/ikegate/startup-config", *sock = "/run/ikegate/cli.sock";
    bool console = false, use_syslog = true;
    int telnet_port = 0;
    struct ifmap *ifmap = ifmap_new();
    static const struct option opts[] = {{"console", no_argument, NULL, 'C'},
                                         {"ifmap", required_argument, NULL, 'm'},
                                         {"telnet", required_argument, NULL, 't'},
                                         {"no-syslog", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"dataplane", required_argument, NULL, 'D'},
                                         {"ike-ports", required_argument, NULL, 'P'},
                                         {NULL, 0, NULL, 0}};
    struct ike_glue_opts io = {.dataplane = true, .ike_port = 500, .natt_port = 4500};
    int ch;
    while ((ch = getopt_long(argc, argv, "f:s:h", opts, NULL)) != -1) {
        char err[256];
        switch (ch) {
        case 'f': startup = optarg; break;
        case 's': sock = optarg; break;
        case 'C': console = true; break;
        case 'n': use_syslog = false; break;
        case 't': telnet_port = atoi(optarg); break;
        case 'm':
            if (ifmap_parse(ifmap, optarg, err, sizeof err)) {
                fprintf(stderr, "ikegated: %s\n", err);
                return 2;
            }
            break;
        case 'D':
            if (strcmp(optarg, "kernel") && strcmp(optarg, "none")) {
                fprintf(stderr, "ikegated: --dataplane kernel|none\n");
                return 2;
            }
            io.dataplane = !strcmp(optarg, "kernel");
            break;
        case 'P': {
            unsigned a, b;
            if (sscanf(optarg, "%u,%u", &a, &b) != 2 || !a || !b || a > 65535 || b > 65535 ||
                a == b) {
                fprintf(stderr, "ikegated: --ike-ports IKE,NATT (two different UDP ports)\n");
                return 2;
            }
            io.ike_port = (uint16_t)a, io.natt_port = (uint16_t)b;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || telnet_port < 0 || telnet_port > 65535) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    log_init("ikegated", use_syslog);
    struct daemon d = {.unix_fd = -1, .telnet_fd = -1};
    d.loop = loop_new(false);
    if (!d.loop) return 1;
    /* Signals first: they are blocked in this thread and so in every thread made later. */
    loop_signal(d.loop, SIGTERM, on_signal, NULL);
    loop_signal(d.loop, SIGINT, on_signal, NULL);
    loop_signal(d.loop, SIGHUP, on_signal, NULL);

    /* The console hears the boot messages too, as on a router. */
    bool con_tty = console && isatty(0) && isatty(1);
    struct log_sink *con_sink = con_tty ? log_sink_new(LOG_SINK_CONSOLE, 1000) : NULL;
    if (con_sink) log_sink_attach(con_sink);

    struct stderr_log sl = {0};
    pthread_t slt;
    bool have_sl = false;
    if (!console || !isatty(0) || !isatty(1)) {
        sl.sink = log_sink_new(LOG_SINK_CONSOLE, 4096);
        if (sl.sink) {
            log_sink_attach(sl.sink);
            have_sl = pthread_create(&slt, NULL, stderr_log_thread, &sl) == 0;
        }
    }

    struct netif *netif = netif_open();
    if (!netif) fprintf(stderr, "ikegated: rtnetlink unavailable; interfaces are not applied\n");
    if (netif) netif_route_flush_proto(netif, NETIF_RTPROT_IKEGATE); /* a crashed run's routes */
    app_init(&d.app, d.loop, netif, ifmap);
    snprintf(d.app.startup_path, sizeof d.app.startup_path, "%s", startup);
    app_discover_interfaces(&d.app);
    app_flush_loopbacks(&d.app);
    struct hsrp_port hport;
    struct hsrp_io *hos = netif ? hsrp_io_new(d.loop, netif, &hport) : NULL;
    if (hos) {
        d.app.hsrp = hsrp_new(d.loop, &hport, (uint32_t)getpid() ^ (uint32_t)time(NULL));
        hsrp_io_attach(hos, d.app.hsrp);
    }
    /* IKEv2 before the shell: its debug flags become `debug crypto ikev2 ...` commands. */
    char ikerr[256];
    d.app.ike = ike_glue_new(&d.app, d.loop, &io, ikerr, sizeof ikerr);
    d.app.dataplane = ike_glue_dataplane(d.app.ike);
    if (!d.app.ike)
        ilog(3, "CRYPTO", "IKEV2_DISABLED", "IKEv2 is not running: %s", ikerr);
    else if (!io.dataplane)
        ilog(4, "CRYPTO", "DATAPLANE_NONE",
             "IPsec data plane: none (--dataplane none): tunnels are negotiated, no SA is "
             "installed and no traffic passes");
    app_start_cluster(&d.app); /* before the shell: `debug crypto ikev2 cluster` */
    shell_init(&d.sh, &d.app, d.loop);

    struct strbuf report = STRBUF_INIT;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int bad = shell_load_file(&d.sh, startup, &report);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (bad >= 0)
        ilog(6, "PARSER", "CFGLOAD", "%s loaded in %.1f ms (%d line%s rejected)", startup,
             (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, bad,
             bad == 1 ? "" : "s");
    if (bad == -ENOENT)
        ilog(4, "SYS", "NOCONFIG", "%s not found; starting with the default configuration",
             startup);
    else if (bad < 0)
        ilog(3, "SYS", "CONFIG_LOAD", "cannot read %s: %s", startup, strerror(-bad));
    else if (bad > 0)
        fprintf(stderr, "%s%% %d line%s of %s rejected; the rest is applied\n", sb_str(&report),
                bad, bad == 1 ? "" : "s", startup);
    sb_free(&report);
    app_links_up(&d.app);
    app_start_link_watch(&d.app);

    d.unix_fd = listen_unix(sock);
    if (d.unix_fd < 0) return 1;
    d.unix_w = loop_watch_fd(d.loop, d.unix_fd, EPOLLIN, on_accept, &d);
    if (telnet_port) {
        d.telnet_fd = listen_telnet(telnet_port);
        if (d.telnet_fd >= 0)
            d.telnet_w = loop_watch_fd(d.loop, d.telnet_fd, EPOLLIN, on_accept, &d);
    }
    ilog(5, "SYS", "RESTART", "System restarted --");
    ilog(6, "SYS", "READY", "ikegated serving %s", sock);

    pthread_t con;
    bool have_con = false;
    struct console_arg ca = {&d, NULL};
    if (console) {
        bool tty = isatty(0) && isatty(1);
        struct session_opts o = {.fd_in = dup(0),
                                 .fd_out = dup(1),
                                 .kind = SK_CONSOLE,
                                 .interactive = tty,
                                 .no_log = !tty,
                                 .priv = 15,
                                 .rows = 0,
                                 .sink = con_sink};
        if (tty && tcgetattr(0, &d.saved_tty) == 0) {
            struct termios t = d.saved_tty;
            cfmakeraw(&t);
            tcsetattr(0, TCSANOW, &t);
            d.tty_saved = true;
        }
        ca.s = session_new(&d.sh, &o);
        if (ca.s && pthread_create(&con, NULL, console_thread, &ca) == 0) have_con = true;
    }

    loop_run(d.loop);

    /* First of all, Active groups resign so the standby takes over at once, and give back
     * their VIP. Sessions still running see "shutting down" from now on. */
    app_stop_cluster(&d.app); /* members hear BYE before HSRP resigns */
    hsrp_free(d.app.hsrp);
    d.app.hsrp = NULL;
    hsrp_io_free(hos);
    /* IPsec state leaves the kernel with us (a crash is cleaned up at the next start). */
    ike_glue_free(d.app.ike);
    d.app.ike = NULL;

    if (d.unix_w) loop_unwatch(d.loop, d.unix_w);
    if (d.telnet_w) loop_unwatch(d.loop, d.telnet_w);
    close(d.unix_fd);
    if (d.telnet_fd >= 0) close(d.telnet_fd);
    unlink(sock);
    shell_fini(&d.sh);
    if (have_con) pthread_join(con, NULL);
    if (d.tty_saved) tcsetattr(0, TCSANOW, &d.saved_tty);
    if (netif) netif_route_flush_proto(netif, NETIF_RTPROT_IKEGATE);
    app_fini(&d.app);
    if (netif) netif_close(netif);
    ifmap_free(ifmap);
    loop_free(d.loop);
    if (have_sl) {
        sl.stop = true;
        pthread_join(slt, NULL);
    }
    log_sink_free(sl.sink);
    log_shutdown();
    return 0;
}
