/* The cluster engine (see clb.h and docs/clb-protocol.md): roles, the master's listener and
 * member table, the member's connection with its HELLO and LOAD timers, and the redirect
 * decision. The wire format is clb_wire.c, the placement clb_place.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clb/clb.h"
#include "clb/clb_io.h"
#include "clb/clb_place.h"
#include "clb/clb_wire.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/strbuf.h"

struct debug_flag clb_dbg = {.path = "crypto ikev2 cluster",
                             .group = "IKEv2 cluster",
                             .title = "IKEv2 cluster",
                             .help = "IKEv2 cluster (load balancer) events"};
struct debug_flag clb_dbg_detail = {.path = "crypto ikev2 cluster detail",
                                    .group = "IKEv2 cluster",
                                    .title = "IKEv2 cluster detail",
                                    .help = "Cluster load reports as they arrive"};
struct debug_flag clb_dbg_error = {.path = "crypto ikev2 cluster error",
                                   .group = "IKEv2 cluster",
                                   .title = "IKEv2 cluster error",
                                   .help = "Cluster protocol errors"};

#define TICK_MS 100

enum role { R_OFF, R_WAIT, R_MASTER, R_MEMBER };

struct conn {
    struct clb *c;
    int fd;
    struct loop_watch *w;
    bool connecting;   /* member side: connect() in progress */
    bool welcomed;     /* master: WELCOME sent for its first HELLO */
    bool joined;       /* master: a frame after WELCOME verified; member: WELCOME received */
    int64_t joined_at; /* member side: when WELCOME came */
    struct clb_rx rx;
    struct clb_auth_state auth;
    uint32_t addr; /* master side: the member's redirect address (network order) */
    char hostname[CLB_HOSTNAME_MAX + 1];
    int64_t last_rx;
    struct clb_io_out out;
    struct conn *next;
};

struct clb {
    loop_t *loop;
    struct clb_role_port rp;
    struct clb_load_port lp;
    struct clb_config cfg;
    enum role role;
    uint32_t vip, own; /* network order */
    uint8_t id[CLB_ID_LEN];
    char hostname[CLB_HOSTNAME_MAX + 1];
    struct loop_timer *tick;
    /* master */
    int lfd;
    uint16_t lport;
    struct loop_watch *lw;
    struct conn *conns;
    struct clb_place place;
    int64_t self_report_due;
    struct {
        uint32_t id;
        int status; /* enum clb_member_status last logged */
    } seen[CLB_PLACE_MAX];
    /* member */
    struct conn *up;
    int64_t hello_due, update_due, retry_due;
    int backoff_ms;
    char refused[160]; /* the master's last refusal, for show */
    /* counters */
    uint64_t drops[CLB_DROP_COUNT];
    uint64_t rx_frames, tx_frames, joins, leaves, refusals_sent, refusals_got, redirects;
};

static int64_t now_ms(struct clb *c)
{
    return loop_now(c->loop);
}

static const char *ipstr(uint32_t a, char *buf)
{
    struct in_addr in = {.s_addr = a};
    return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static const char *role_name(enum role r)
{
    switch (r) {
    case R_MASTER: return "master";
    case R_MEMBER: return "member";
    case R_WAIT: return "waiting for HSRP";
    default: return "off";
    }
}

/* ---- connections ---- */

static void conn_close(struct conn *k, const char *why);

/* Watch for room to write only while something waits. */
static void conn_watch(struct conn *k)
{
    if (k->w && !k->connecting)
        loop_watch_modify(k->c->loop, k->w, EPOLLIN | (k->out.len ? EPOLLOUT : 0));
}

static bool conn_send(struct conn *k, const struct clb_msg *m)
{
    uint8_t buf[CLB_FRAME_MAX];
    size_t n = clb_seal(&k->auth, m, buf, sizeof buf);
    if (!n || !clb_io_queue(&k->out, k->fd, buf, n)) return false;
    k->c->tx_frames++;
    conn_watch(k);
    return true;
}

static void refuse(struct conn *k, uint16_t reason, const char *text)
{
    struct clb_msg m;
    clb_msg_init(&m, CLB_REFUSE);
    m.u.refuse.reason = reason;
    m.u.refuse.has_master_id = true;
    memcpy(m.u.refuse.master_id, k->c->id, CLB_ID_LEN);
    if (text) snprintf(m.u.refuse.text, sizeof m.u.refuse.text, "%s", text);
    /* Unsigned when the peer could not be authenticated: it has no way to check us. */
    if (k->auth.keyed && k->auth.have_peer_nonce) {
        m.u.refuse.has_nonce = true;
        memcpy(m.u.refuse.nonce, k->auth.local_nonce, CLB_NONCE_LEN);
        conn_send(k, &m);
    } else {
        uint8_t buf[CLB_FRAME_MAX];
        size_t n = clb_encode(&m, buf, sizeof buf);
        if (n) clb_io_send_once(k->fd, buf, n);
    }
    k->c->refusals_sent++;
}

static void bye(struct conn *k, uint16_t reason)
{
    struct clb_msg m;
    clb_msg_init(&m, CLB_BYE);
    m.u.bye.reason = reason;
    if (k->joined) conn_send(k, &m);
}

static void drop_frame(struct clb *c, enum clb_drop d, struct conn *k)
{
    c->drops[d]++;
    if (clb_dbg_error.on) {
        char a[INET_ADDRSTRLEN];
        ilog_debug("CLB-ERROR: dropped a frame from %s: %s", k->addr ? ipstr(k->addr, a) : "peer",
                   clb_drop_name(d));
    }
}

static struct conn *conn_new(struct clb *c, int fd, bool master_side)
{
    struct conn *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->c = c;
    k->fd = fd;
    k->last_rx = now_ms(c);
    clb_rx_init(&k->rx);
    uint8_t nonce[CLB_NONCE_LEN];
    clb_nonce_new(nonce);
    size_t kl = strlen(c->cfg.key);
    clb_auth_init(&k->auth, master_side ? CLB_ROLE_MASTER : CLB_ROLE_MEMBER,
                  kl ? (const uint8_t *)c->cfg.key : NULL, kl, nonce);
    return k;
}

static void conn_free(struct conn *k)
{
    if (k->w) loop_unwatch(k->c->loop, k->w);
    if (k->fd >= 0) close(k->fd);
    clb_auth_clear(&k->auth);
    free(k);
}

/* ---- master ---- */

static uint32_t member_id(uint32_t addr)
{
    return ntohl(addr);
}

/* The frame after WELCOME verified: the member is in, and a newer connection of the same
 * member replaces the old one. */
static void member_join(struct conn *k)
{
    struct clb *c = k->c;
    for (struct conn *o = c->conns; o; o = o->next)
        if (o != k && o->joined && o->addr == k->addr) {
            /* Its row in the placement table is the newcomer's now: it must not go with the
             * old connection. The old one leaves, the new one joins: the count holds. */
            bye(o, CLB_REASON_REPLACED);
            o->joined = false;
            c->leaves++;
            conn_close(o, "replaced");
            break;
        }
    k->joined = true;
    c->joins++;
    char a[INET_ADDRSTRLEN];
    ilog(LOG_SEV_NOTIFICATIONS, "CLB", "MEMBER_JOINED", "Cluster member %s%s%s%s joined",
         ipstr(k->addr, a), k->hostname[0] ? " (" : "", k->hostname, k->hostname[0] ? ")" : "");
}

static void master_frame(struct conn *k, const uint8_t *frame, size_t len)
{
    struct clb *c = k->c;
    enum clb_drop d = clb_verify(&k->auth, frame, len);
    if (d != CLB_DROP_NONE) {
        drop_frame(c, d, k);
        if (!k->joined) {
            refuse(k, CLB_REASON_AUTH, clb_drop_name(d));
            conn_close(k, "authentication failed");
        }
        return;
    }
    struct clb_msg m;
    d = clb_decode(frame, len, &m, NULL);
    if (d == CLB_DROP_NONE) d = clb_direction_check(CLB_ROLE_MASTER, m.type);
    if (d != CLB_DROP_NONE) {
        drop_frame(c, d, k);
        if (d != CLB_DROP_TYPE && !k->joined) {
            refuse(k, CLB_REASON_PROTOCOL, clb_drop_name(d));
            conn_close(k, "protocol error");
        }
        return;
    }
    k->last_rx = now_ms(c);
    c->rx_frames++;
    char a[INET_ADDRSTRLEN];
    if (m.type == CLB_HELLO) {
        const struct clb_hello *h = &m.u.hello;
        if (h->redirect.len != 4) {
            refuse(k, CLB_REASON_PROTOCOL, "IPv4 redirect address needed");
            conn_close(k, "no IPv4 address");
            return;
        }
        uint32_t addr;
        memcpy(&addr, h->redirect.b, 4);
        /* The member's address keys its row in the placement table: it is fixed by the first
         * HELLO and may not change on the connection (a member that moves reconnects), nor
         * may a member claim the master's own row. */
        if ((k->welcomed && addr != k->addr) || addr == c->own) {
            refuse(k, CLB_REASON_PROTOCOL,
                   addr == c->own ? "announced the master's address" : "announced address changed");
            conn_close(k, "announced address changed");
            return;
        }
        k->addr = addr;
        snprintf(k->hostname, sizeof k->hostname, "%s", h->hostname);
        struct clb_member_info mi = {.id = member_id(k->addr),
                                     .addr = k->addr,
                                     .priority = h->priority,
                                     .max_session = 1,
                                     .update_ms = 0};
        /* max-session arrives with the first LOAD; until then the member is "joining". */
        const struct clb_place_member *pm = NULL;
        for (size_t i = 0; i < c->place.n; i++)
            if (c->place.m[i].info.id == mi.id) pm = &c->place.m[i];
        if (pm) mi.max_session = pm->info.max_session;
        if (!k->welcomed) {
            struct clb_msg w;
            clb_msg_init(&w, CLB_WELCOME);
            memcpy(w.u.welcome.master_id, c->id, CLB_ID_LEN);
            w.u.welcome.holdtime_ms = (uint32_t)c->cfg.value[CLB_HOLDTIME];
            memcpy(w.u.welcome.nonce, k->auth.local_nonce, CLB_NONCE_LEN);
            w.u.welcome.has_versions = true;
            w.u.welcome.ver_min = CLB_VERSION_MIN, w.u.welcome.ver_max = CLB_VERSION_MAX;
            snprintf(w.u.welcome.hostname, sizeof w.u.welcome.hostname, "%s", c->hostname);
            conn_send(k, &w);
            k->welcomed = true;
            return; /* joined with its next frame: a replayed first HELLO cannot join (§9) */
        }
        if (!k->joined) {
            if (clb_place_upsert(&c->place, &mi, NULL, now_ms(c)) < 0) {
                refuse(k, CLB_REASON_FULL, "cluster full");
                conn_close(k, "cluster full");
                return;
            }
            member_join(k);
        } else {
            clb_place_upsert(&c->place, &mi, NULL, now_ms(c));
            struct clb_msg ack;
            clb_msg_init(&ack, CLB_ACK);
            conn_send(k, &ack);
        }
    } else if (m.type == CLB_LOAD) {
        if (!k->welcomed) return;
        const struct clb_load *l = &m.u.load;
        struct clb_member_info mi = {.id = member_id(k->addr),
                                     .addr = k->addr,
                                     .priority = l->priority,
                                     .max_session = l->max_session ? l->max_session : 1};
        struct clb_place_load pl = {.ike_sas = l->sessions,
                                    .ipsec_sas = l->ipsec_sas,
                                    .in_neg = l->negotiating,
                                    .max_sa = l->cac_max_sa,
                                    .max_in_neg = l->cac_max_neg,
                                    .cpu_pct = (l->cpu_pct100 + 50) / 100,
                                    .mem_pct = (l->mem_pct100 + 50) / 100};
        if (clb_place_upsert(&c->place, &mi, &pl, now_ms(c)) < 0 && !k->joined) {
            refuse(k, CLB_REASON_FULL, "cluster full");
            conn_close(k, "cluster full");
            return;
        }
        if (!k->joined) member_join(k);
        if (clb_dbg_detail.on)
            ilog_debug("CLB: load from %s: sessions %u/%u, IPsec SAs %u, negotiating %u, CPU "
                       "%u.%02u%%, memory %u.%02u%%",
                       ipstr(k->addr, a), l->sessions, l->max_session, l->ipsec_sas, l->negotiating,
                       l->cpu_pct100 / 100, l->cpu_pct100 % 100, l->mem_pct100 / 100,
                       l->mem_pct100 % 100);
    } else if (m.type == CLB_BYE) {
        conn_close(k, "left");
    }
}

static void self_report(struct clb *c)
{
    struct clb_local_load l = {0};
    if (c->lp.load) c->lp.load(c->lp.ctx, &l);
    struct clb_member_info mi = {.id = member_id(c->own),
                                 .addr = c->own,
                                 .priority = (uint32_t)c->cfg.value[CLB_SLAVE_PRIORITY],
                                 .max_session = (uint32_t)c->cfg.value[CLB_SLAVE_MAX_SESSION],
                                 .self = true};
    if (!mi.max_session) mi.max_session = 1;
    struct clb_place_load pl = {.ike_sas = l.sessions,
                                .ipsec_sas = l.ipsec_sas,
                                .in_neg = l.negotiating,
                                .max_sa = l.cac_max_sa,
                                .max_in_neg = l.cac_max_neg,
                                .cpu_pct = (l.cpu_pct100 + 50u) / 100,
                                .mem_pct = (l.mem_pct100 + 50u) / 100};
    clb_place_upsert(&c->place, &mi, &pl, now_ms(c));
}

static void on_conn(loop_t *l, int fd, uint32_t events, void *arg);

static void on_accept(loop_t *l, int fd, uint32_t events, void *arg)
{
    (void)l, (void)events;
    struct clb *c = arg;
    for (;;) {
        int s = clb_io_accept(fd);
        if (s < 0) return;
        struct conn *k = conn_new(c, s, true);
        if (!k) {
            close(s);
            continue;
        }
        k->w = loop_watch_fd(c->loop, s, EPOLLIN, on_conn, k);
        k->next = c->conns;
        c->conns = k;
    }
}

static void master_start(struct clb *c)
{
    c->role = R_MASTER;
    clb_place_clear(&c->place);
    struct clb_place_config pc;
    clb_place_config_from(&pc, &c->cfg);
    clb_place_set_config(&c->place, &pc);
    self_report(c);
    c->self_report_due = now_ms(c) + c->cfg.value[CLB_SLAVE_UPDATE];
    uint16_t port = (uint16_t)c->cfg.value[CLB_PORT];
    int fd = clb_io_listen(port);
    if (fd < 0) {
        ilog(LOG_SEV_ERRORS, "CLB", "LISTEN", "Cluster master cannot listen on TCP %u: %s", port,
             strerror(-fd));
        c->lfd = -1;
    } else {
        c->lfd = fd;
        c->lport = port;
        c->lw = loop_watch_fd(c->loop, fd, EPOLLIN, on_accept, c);
    }
    char a[INET_ADDRSTRLEN];
    ilog(LOG_SEV_NOTIFICATIONS, "CLB", "ROLE",
         "This gateway (%s) is now the cluster master of standby-group %s", ipstr(c->own, a),
         c->cfg.standby_group);
}

static void master_stop(struct clb *c, uint16_t reason)
{
    while (c->conns) {
        bye(c->conns, reason);
        conn_close(c->conns, "master stopped");
    }
    if (c->lw) loop_unwatch(c->loop, c->lw);
    if (c->lfd >= 0) close(c->lfd);
    c->lw = NULL;
    c->lfd = -1;
    clb_place_clear(&c->place);
    memset(c->seen, 0, sizeof c->seen);
}

/* ---- member ---- */

/* §8: the next attempt after a random delay in [d/2, d], d doubling from 100 ms to 5 s. */
static void member_backoff(struct clb *c)
{
    uint32_t r = 0;
    uint8_t rnd[CLB_NONCE_LEN];
    clb_nonce_new(rnd);
    memcpy(&r, rnd, sizeof r);
    int d = c->backoff_ms;
    c->retry_due = now_ms(c) + d / 2 + (int64_t)(r % (uint32_t)(d / 2 + 1));
    c->backoff_ms = d * 2 > CLB_BACKOFF_MAX_MS ? CLB_BACKOFF_MAX_MS : d * 2;
}

static void member_send_hello(struct clb *c, bool first)
{
    struct clb_msg m;
    clb_msg_init(&m, CLB_HELLO);
    struct clb_hello *h = &m.u.hello;
    memcpy(h->member_id, c->id, CLB_ID_LEN);
    h->priority = (uint8_t)c->cfg.value[CLB_SLAVE_PRIORITY];
    h->redirect.len = 4;
    memcpy(h->redirect.b, &c->own, 4);
    if (first) {
        h->has_versions = true;
        h->ver_min = CLB_VERSION_MIN, h->ver_max = CLB_VERSION_MAX;
        h->has_nonce = true;
        memcpy(h->nonce, c->up->auth.local_nonce, CLB_NONCE_LEN);
        snprintf(h->hostname, sizeof h->hostname, "%s", c->hostname);
    }
    conn_send(c->up, &m);
}

static void member_send_load(struct clb *c)
{
    struct clb_local_load l = {0};
    if (c->lp.load) c->lp.load(c->lp.ctx, &l);
    struct clb_msg m;
    clb_msg_init(&m, CLB_LOAD);
    struct clb_load *p = &m.u.load;
    p->redirect.len = 4;
    memcpy(p->redirect.b, &c->own, 4);
    p->priority = (uint8_t)c->cfg.value[CLB_SLAVE_PRIORITY];
    p->mem_pct100 = l.mem_pct100 > 10000 ? 10000 : l.mem_pct100;
    p->mem_used = l.mem_used;
    p->cpu_pct100 = l.cpu_pct100 > 10000 ? 10000 : l.cpu_pct100;
    p->sessions = l.sessions;
    p->ipsec_sas = l.ipsec_sas;
    p->negotiating = l.negotiating;
    p->max_session = (uint32_t)c->cfg.value[CLB_SLAVE_MAX_SESSION];
    if (!p->max_session) p->max_session = 1;
    p->cac_max_sa = l.cac_max_sa;
    p->cac_max_neg = l.cac_max_neg;
    conn_send(c->up, &m);
}

static void member_connect(struct clb *c)
{
    int fd = clb_io_connect(c->own, c->vip, (uint16_t)c->cfg.value[CLB_PORT]);
    if (fd < 0) {
        member_backoff(c);
        return;
    }
    struct conn *k = conn_new(c, fd, false);
    if (!k) {
        close(fd);
        return;
    }
    k->addr = c->vip;
    k->connecting = true;
    k->w = loop_watch_fd(c->loop, fd, EPOLLOUT, on_conn, k);
    c->up = k;
    c->retry_due = 0;
}

static void member_frame(struct conn *k, const uint8_t *frame, size_t len)
{
    struct clb *c = k->c;
    struct clb_msg m;
    enum clb_drop d = clb_decode(frame, len, &m, NULL);
    /* A REFUSE may come unsigned (the master could not check us): read it anyway, it only
     * ever makes us go away. */
    /* An unsigned REFUSE is believed only before WELCOME (the master could not check us);
     * afterwards an injected one must not disconnect us (docs/clb-protocol.md §9). */
    if (d == CLB_DROP_NONE && m.type == CLB_REFUSE &&
        (!k->joined || clb_verify(&k->auth, frame, len) == CLB_DROP_NONE)) {
        c->refusals_got++;
        snprintf(c->refused, sizeof c->refused, "refused by the master: %s%s%s",
                 clb_reason_name(m.u.refuse.reason), m.u.refuse.text[0] ? ": " : "",
                 m.u.refuse.text);
        ilog(LOG_SEV_WARNINGS, "CLB", "REFUSED", "Cluster master %s %s",
             ipstr(c->vip, (char[16]){0}), c->refused);
        conn_close(k, "refused");
        return;
    }
    d = clb_verify(&k->auth, frame, len);
    if (d == CLB_DROP_NONE) d = clb_decode(frame, len, &m, NULL);
    if (d == CLB_DROP_NONE) d = clb_direction_check(CLB_ROLE_MEMBER, m.type);
    if (d != CLB_DROP_NONE) {
        drop_frame(c, d, k);
        return;
    }
    k->last_rx = now_ms(c);
    c->rx_frames++;
    if (m.type == CLB_WELCOME) {
        if (!k->joined) {
            k->joined = true;
            k->joined_at = now_ms(c);
            c->refused[0] = '\0';
            member_send_load(c);
            c->update_due = now_ms(c) + c->cfg.value[CLB_SLAVE_UPDATE];
            if (clb_dbg.on)
                ilog_debug("CLB: joined the cluster of master %s", ipstr(c->vip, (char[16]){0}));
        }
    } else if (m.type == CLB_BYE) {
        conn_close(k, "master said bye");
    }
}

/* ---- I/O ---- */

static void on_conn(loop_t *l, int fd, uint32_t events, void *arg)
{
    (void)l;
    struct conn *k = arg;
    struct clb *c = k->c;
    if (k->connecting) {
        int err = clb_io_connected(fd);
        if (err) {
            conn_close(k, strerror(err));
            return;
        }
        k->connecting = false;
        loop_watch_modify(c->loop, k->w, EPOLLIN);
        member_send_hello(c, true);
        c->hello_due = now_ms(c) + c->cfg.value[CLB_SLAVE_HELLO];
        return;
    }
    if (events & EPOLLOUT) {
        clb_io_flush(&k->out, fd);
        conn_watch(k);
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    uint8_t buf[8192];
    ssize_t n = clb_io_read(fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && n != -EAGAIN)) {
        conn_close(k, n == 0 ? "closed by peer" : strerror((int)-n));
        return;
    }
    if (n < 0) return;
    const uint8_t *p = buf;
    size_t left = (size_t)n;
    bool master = c->role == R_MASTER && k != c->up;
    for (;;) {
        const uint8_t *frame;
        size_t flen;
        enum clb_drop why;
        int r = clb_rx_next(&k->rx, &p, &left, &frame, &flen, &why);
        if (r < 0) {
            drop_frame(c, why, k);
            conn_close(k, "not CLB");
            return;
        }
        if (r == 0) break;
        /* The handlers may close k: nothing of it is used after. */
        struct conn *self = k;
        bool gone = false;
        if (master)
            master_frame(k, frame, flen);
        else
            member_frame(k, frame, flen);
        /* Was k freed? Look it up. */
        gone = true;
        if (master) {
            for (struct conn *o = c->conns; o; o = o->next)
                if (o == self) gone = false;
        } else {
            gone = c->up != self;
        }
        if (gone) return;
    }
}

static void conn_close(struct conn *k, const char *why)
{
    struct clb *c = k->c;
    char a[INET_ADDRSTRLEN];
    if (k == c->up) {
        c->up = NULL;
        if (clb_dbg.on)
            ilog_debug("CLB: connection to master %s closed: %s", ipstr(c->vip, a), why);
        if (c->role == R_MEMBER) {
            member_backoff(c);
        }
    } else {
        for (struct conn **pp = &c->conns; *pp; pp = &(*pp)->next)
            if (*pp == k) {
                *pp = k->next;
                break;
            }
        if (k->joined) {
            clb_place_remove(&c->place, member_id(k->addr));
            c->leaves++;
            ilog(LOG_SEV_NOTIFICATIONS, "CLB", "MEMBER_LEFT", "Cluster member %s left: %s",
                 ipstr(k->addr, a), why);
        }
    }
    conn_free(k);
}

/* ---- roles ---- */

static void member_stop(struct clb *c, uint16_t reason)
{
    if (c->up) {
        bye(c->up, reason);
        struct conn *k = c->up;
        c->up = NULL;
        conn_free(k);
    }
}

static void evaluate(struct clb *c)
{
    bool enabled = c->cfg.defined && !c->cfg.shutdown && c->cfg.standby_group[0];
    bool active = false;
    uint32_t vip = 0, own = 0;
    if (enabled && c->rp.role && !c->rp.role(c->rp.ctx, c->cfg.standby_group, &active, &vip, &own))
        active = false, vip = 0;
    enum role want = !enabled ? R_OFF : active && own ? R_MASTER : vip && own ? R_MEMBER : R_WAIT;
    bool moved = (want == R_MEMBER && (vip != c->vip || own != c->own)) ||
                 (want == R_MASTER && own != c->own) ||
                 (want == R_MASTER && (uint16_t)c->cfg.value[CLB_PORT] != c->lport);
    if (want == c->role && !moved) return;
    if (c->role == R_MASTER)
        master_stop(c, want == R_OFF ? CLB_REASON_SHUTDOWN : CLB_REASON_NOT_MASTER);
    if (c->role == R_MEMBER)
        member_stop(c, want == R_MASTER ? CLB_REASON_ROLE_CHANGE : CLB_REASON_SHUTDOWN);
    enum role was = c->role;
    c->role = want;
    c->vip = vip;
    c->own = own;
    if (want == R_MASTER) {
        master_start(c);
    } else if (want == R_MEMBER) {
        c->backoff_ms = CLB_BACKOFF_MIN_MS;
        member_connect(c);
        if (was != R_MEMBER) {
            char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
            ilog(LOG_SEV_NOTIFICATIONS, "CLB", "ROLE",
                 "This gateway (%s) is now a cluster member; master at %s", ipstr(own, a),
                 ipstr(vip, b));
        }
    }
    if (clb_dbg.on) ilog_debug("CLB: role %s -> %s", role_name(was), role_name(want));
}

static void on_tick(loop_t *l, void *arg)
{
    struct clb *c = arg;
    int64_t now = loop_now(l);
    evaluate(c); /* HSRP also tells us (clb_role_changed); this catches address changes */
    if (c->role == R_MASTER) {
        if (now >= c->self_report_due) {
            self_report(c);
            c->self_report_due = now + c->cfg.value[CLB_SLAVE_UPDATE];
        }
        uint32_t dropped[CLB_PLACE_MAX];
        size_t nd = clb_place_expire(&c->place, now, dropped, CLB_PLACE_MAX);
        for (size_t i = 0; i < nd && i < CLB_PLACE_MAX; i++) {
            uint32_t addr = htonl(dropped[i]);
            for (struct conn *k = c->conns; k; k = k->next)
                if (k->joined && k->addr == addr) {
                    bye(k, CLB_REASON_TIMEOUT);
                    conn_close(k, "silent for holdtime");
                    break;
                }
        }
        /* Members going overloaded or full, and back: said once per change. */
        struct clb_member_view v[CLB_PLACE_MAX];
        size_t nv = clb_place_snapshot(&c->place, now, v, CLB_PLACE_MAX);
        for (size_t i = 0; i < nv && i < CLB_PLACE_MAX; i++) {
            int *last = NULL;
            for (int k = 0; k < CLB_PLACE_MAX && !last; k++)
                if (c->seen[k].id == v[i].info.id) last = &c->seen[k].status;
            for (int k = 0; k < CLB_PLACE_MAX && !last; k++)
                if (!c->seen[k].id) {
                    c->seen[k].id = v[i].info.id;
                    c->seen[k].status = CLB_MEMBER_UP;
                    last = &c->seen[k].status;
                }
            if (!last || *last == (int)v[i].status) continue;
            bool bad = v[i].status == CLB_MEMBER_OVERLOADED || v[i].status == CLB_MEMBER_FULL;
            bool was_bad = *last == CLB_MEMBER_OVERLOADED || *last == CLB_MEMBER_FULL;
            char a[INET_ADDRSTRLEN];
            if (bad)
                ilog(LOG_SEV_WARNINGS, "CLB", "MEMBER_OVERLOADED",
                     "Cluster member %s is %s (load %u.%u%%, sessions %u/%u): it takes no new "
                     "clients",
                     ipstr(v[i].info.addr, a), clb_place_status_str(v[i].status),
                     v[i].combined_x10 / 10, v[i].combined_x10 % 10, v[i].sessions,
                     v[i].info.max_session);
            else if (was_bad && v[i].status == CLB_MEMBER_UP)
                ilog(LOG_SEV_NOTIFICATIONS, "CLB", "MEMBER_AVAILABLE",
                     "Cluster member %s takes new clients again", ipstr(v[i].info.addr, a));
            *last = (int)v[i].status;
        }
        /* Connections that never said HELLO. */
        for (struct conn *k = c->conns, *nx; k; k = nx) {
            nx = k->next;
            if (!k->joined && now - k->last_rx > c->cfg.value[CLB_HOLDTIME])
                conn_close(k, "no hello");
        }
    } else if (c->role == R_MEMBER) {
        if (!c->up && c->retry_due && now >= c->retry_due) member_connect(c);
        struct conn *k = c->up;
        /* §8: the back-off starts again from 100 ms once joined for a holdtime. */
        if (k && k->joined && now - k->joined_at >= c->cfg.value[CLB_HOLDTIME])
            c->backoff_ms = CLB_BACKOFF_MIN_MS;
        if (k && !k->connecting) {
            if (now - k->last_rx > c->cfg.value[CLB_HOLDTIME]) {
                conn_close(k, "master silent for holdtime");
            } else {
                if (k->joined && now >= c->hello_due) { /* nothing before WELCOME (§9) */
                    member_send_hello(c, false);
                    c->hello_due = now + c->cfg.value[CLB_SLAVE_HELLO];
                }
                if (k->joined && now >= c->update_due) {
                    member_send_load(c);
                    c->update_due = now + c->cfg.value[CLB_SLAVE_UPDATE];
                }
            }
        }
    }
    loop_timer_start(c->tick, TICK_MS);
}

/* ---- public ---- */

struct clb *clb_new(loop_t *loop, const struct clb_role_port *role,
                    const struct clb_load_port *load)
{
    struct clb *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->loop = loop;
    if (role) c->rp = *role;
    if (load) c->lp = *load;
    c->lfd = -1;
    clb_config_init(&c->cfg);
    clb_id_new(c->id); /* random, new at each start (docs/clb-protocol.md) */
    gethostname(c->hostname, sizeof c->hostname - 1);
    for (char *p = c->hostname; *p; p++)
        if (*p <= 0x20 || *p > 0x7e) *p = '-';
    struct clb_place_config pc;
    clb_place_config_from(&pc, &c->cfg);
    clb_place_init(&c->place, &pc);
    c->tick = loop_timer_new(loop, on_tick, c);
    if (!c->tick) {
        free(c);
        return NULL;
    }
    loop_timer_start(c->tick, TICK_MS);
    debug_register(&clb_dbg);
    debug_register(&clb_dbg_detail);
    debug_register(&clb_dbg_error);
    return c;
}

void clb_free(struct clb *c)
{
    if (!c) return;
    if (c->role == R_MASTER) master_stop(c, CLB_REASON_SHUTDOWN);
    if (c->role == R_MEMBER) member_stop(c, CLB_REASON_SHUTDOWN);
    loop_timer_free(c->tick);
    OPENSSL_cleanse(c->cfg.key, sizeof c->cfg.key);
    free(c);
}

void clb_configure(struct clb *c, const struct clb_config *cfg)
{
    bool key_changed = strcmp(c->cfg.key, cfg->key) != 0;
    c->cfg = *cfg;
    struct clb_place_config pc;
    clb_place_config_from(&pc, &c->cfg);
    clb_place_set_config(&c->place, &pc);
    if (key_changed) {
        /* Every connection was keyed with the old key: start them again. */
        enum role r = c->role;
        if (r == R_MASTER) master_stop(c, CLB_REASON_AUTH);
        if (r == R_MEMBER) member_stop(c, CLB_REASON_AUTH);
        c->role = R_OFF;
    }
    evaluate(c);
}

void clb_role_changed(struct clb *c)
{
    if (c) evaluate(c);
}

bool clb_is_master(const struct clb *c)
{
    return c && c->role == R_MASTER;
}

bool clb_redirect_pick(struct clb *c, uint32_t client, uint32_t *target)
{
    (void)client;
    if (!c || c->role != R_MASTER) return false;
    struct clb_pick pk;
    if (!clb_place_pick(&c->place, now_ms(c), &pk) || pk.self) return false;
    *target = pk.addr;
    c->redirects++;
    return true;
}

void clb_show(struct clb *c, struct strbuf *out)
{
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
    const struct clb_config *cf = &c->cfg;
    if (!cf->defined) {
        sb_puts(out, "% The IKEv2 cluster is not configured\n");
        return;
    }
    const char *state = cf->shutdown          ? "shutdown"
                        : c->role == R_MASTER ? "up, master"
                        : c->role == R_MEMBER
                            ? (c->up && c->up->joined ? "up, member" : "member, connecting")
                            : "waiting for HSRP";
    sb_printf(out, "IKEv2 cluster: standby-group %s, state %s\n",
              cf->standby_group[0] ? cf->standby_group : "(none)", state);
    if (cf->description[0]) sb_printf(out, "  Description: %s\n", cf->description);
    sb_printf(out, "  Channel: %s\n",
              cf->key[0] ? "authenticated (HMAC-SHA256)" : "unauthenticated (no key)");
    if (c->role == R_MASTER || c->role == R_MEMBER)
        sb_printf(out, "  This gateway: %s, role %s; master %s (virtual IP %s), TCP port %ld\n",
                  ipstr(c->own, a), role_name(c->role),
                  c->role == R_MASTER ? "is this gateway" : "reached at", ipstr(c->vip, b),
                  cf->value[CLB_PORT]);
    sb_printf(out,
              "  Timers: hello %ld ms, update %ld ms, holdtime %ld ms; weights crypto-load %ld "
              "system-load %ld; overload-limit %ld%%\n",
              cf->value[CLB_SLAVE_HELLO], cf->value[CLB_SLAVE_UPDATE], cf->value[CLB_HOLDTIME],
              cf->value[CLB_WEIGHT_CRYPTO], cf->value[CLB_WEIGHT_SYSTEM],
              cf->value[CLB_OVERLOAD_LIMIT]);
    if (cf->value[CLB_SLAVE_MAX_SESSION])
        sb_printf(out, "  Local: priority %ld, max-session %ld\n", cf->value[CLB_SLAVE_PRIORITY],
                  cf->value[CLB_SLAVE_MAX_SESSION]);
    else
        sb_printf(out, "  Local: priority %ld, max-session not set (required)\n",
                  cf->value[CLB_SLAVE_PRIORITY]);
    if (c->refused[0]) sb_printf(out, "  Last refusal: %s\n", c->refused);
    if (c->role == R_MASTER) {
        struct clb_member_view v[CLB_PLACE_MAX];
        size_t n = clb_place_snapshot(&c->place, now_ms(c), v, CLB_PLACE_MAX);
        sb_printf(out, "  Members: %zu, redirects sent: %" PRIu64 "\n\n", n, c->redirects);
        sb_puts(out, "    Member           Pri  Sessions/Max   Crypto  System  Load    Status\n");
        for (size_t i = 0; i < n && i < CLB_PLACE_MAX; i++) {
            char sess[32];
            snprintf(sess, sizeof sess, "%u/%u", v[i].sessions, v[i].info.max_session);
            char addr[40];
            snprintf(addr, sizeof addr, "%s%s", ipstr(v[i].info.addr, a),
                     v[i].info.self ? " (self)" : "");
            sb_printf(out, "  %c %-16s %3u  %-13s %4u.%u%% %4u.%u%% %4u.%u%%  %s\n",
                      v[i].next ? '*' : ' ', addr, v[i].info.priority, sess, v[i].crypto_x10 / 10,
                      v[i].crypto_x10 % 10, v[i].system_x10 / 10, v[i].system_x10 % 10,
                      v[i].combined_x10 / 10, v[i].combined_x10 % 10,
                      clb_place_status_str(v[i].status));
        }
        sb_puts(out, "\n  * the member that receives the next client\n");
    }
    uint64_t total = 0;
    for (int i = 1; i < CLB_DROP_COUNT; i++) total += c->drops[i];
    sb_printf(out,
              "  Frames in %" PRIu64 ", out %" PRIu64 ", dropped %" PRIu64 "; joins %" PRIu64
              ", leaves %" PRIu64 ", refusals sent %" PRIu64 ", received %" PRIu64 "\n",
              c->rx_frames, c->tx_frames, total, c->joins, c->leaves, c->refusals_sent,
              c->refusals_got);
    for (int i = 1; i < CLB_DROP_COUNT; i++)
        if (c->drops[i]) sb_printf(out, "    %-28s %" PRIu64 "\n", clb_drop_name(i), c->drops[i]);
}
