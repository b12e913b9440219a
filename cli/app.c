/* The appliance's engine-side state: creation, teardown and small queries. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/app.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/netif.h"
#include "platform/sysload.h"

static void sysload_tick(loop_t *l, void *arg)
{
    struct app *a = arg;
    sysload_sample_proc(a->sysload, loop_now(l));
    loop_timer_start(a->sysload_timer, 1000);
}

int app_init(struct app *a, loop_t *loop, struct netif *netif, struct ifmap *ifmap)
{
    memset(a, 0, sizeof *a);
    a->loop = loop;
    a->netif = netif;
    a->ifmap = ifmap;
    a->boot_time = time(NULL);
    pthread_mutex_init(&a->name_lock, NULL);
    snprintf(a->hostname, sizeof a->hostname, "Router");
    clb_config_init(&a->cluster);
    if (ike_config_init(&a->ikev2)) return -1; /* IKEv2 configuration (cmd_ikev2.c) */
    if (ike_ipsec_config_init(&a->ipsec)) return -1;
    a->sysload = sysload_new();
    if (!a->sysload) return -1;
    if (loop) {
        a->sysload_timer = loop_timer_new(loop, sysload_tick, a);
        sysload_tick(loop, a);
    }
    return 0;
}

void app_fini(struct app *a)
{
    while (a->users) {
        struct user *u = a->users;
        a->users = u->next;
        OPENSSL_cleanse(u->secret, sizeof u->secret);
        free(u);
    }
    while (a->ifaces) {
        struct iface *i = a->ifaces;
        a->ifaces = i->next;
        free(i);
    }
    while (a->routes) {
        struct sroute *r = a->routes;
        a->routes = r->next;
        free(r);
    }
    OPENSSL_cleanse(a->enable_secret, sizeof a->enable_secret);
    OPENSSL_cleanse(a->cluster.key, sizeof a->cluster.key);
    ike_config_fini(&a->ikev2); /* wipes the pre-shared keys */
    ike_ipsec_config_fini(&a->ipsec);
    if (a->sysload_timer) loop_timer_free(a->sysload_timer);
    if (a->link_timer) loop_timer_free(a->link_timer);
    sysload_free(a->sysload);
    pthread_mutex_destroy(&a->name_lock);
}

void app_hostname(struct app *a, char *buf, size_t len)
{
    pthread_mutex_lock(&a->name_lock);
    snprintf(buf, len, "%s", a->hostname);
    pthread_mutex_unlock(&a->name_lock);
}

int app_user_privilege(struct app *a, const char *name)
{
    for (struct user *u = a->users; u; u = u->next)
        if (!strcmp(u->name, name)) return u->priv;
    return 1;
}

bool app_has_enable_secret(struct app *a)
{
    return a->enable_secret[0] != '\0';
}

bool app_check_enable(struct app *a, const char *cleartext)
{
    return secret_verify(cleartext, a->enable_secret);
}
