/* running-config rendering (IOS order, defaults omitted) and the atomic startup-config save. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/app.h"
#include "platform/log.h"
#include "platform/strbuf.h"
#include "version.h"

void app_render_config(struct app *a, struct strbuf *out)
{
    char host[64];
    app_hostname(a, host, sizeof host);
    sb_printf(out, "!\nversion %s\n!\nhostname %s\n!\n", IKEGATE_VERSION, host);
    bool any = false;
    if (log_buffer_size() == 0) {
        sb_puts(out, "no logging buffered\n"), any = true;
    } else if (log_buffer_size() != 8192 || log_buffer_level() != 7) {
        sb_printf(out, "logging buffered %zu", log_buffer_size());
        if (log_buffer_level() != 7) sb_printf(out, " %s", log_level_name(log_buffer_level()));
        sb_puts(out, "\n"), any = true;
    }
    if (log_console_get_level() != 7)
        sb_printf(out, "logging console %s\n", log_level_name(log_console_get_level())), any = true;
    if (log_monitor_get_level() != 7)
        sb_printf(out, "logging monitor %s\n", log_level_name(log_monitor_get_level())), any = true;
    if (a->enable_secret[0])
        sb_printf(out, "enable secret %d %s\n", a->enable_secret_type, a->enable_secret),
            any = true;
    if (any) sb_puts(out, "!\n");
    /* IKEv2: IOS puts the aaa lines right after enable secret (cmd_ikev2.c). */
    ike_cfg_render_aaa(&a->ikev2, out);
    for (struct user *u = a->users; u; u = u->next) {
        sb_printf(out, "username %s", u->name);
        /* `username NAME` alone is not a command: privilege 1 is spelled out then. */
        if (u->priv != 1 || !u->secret[0]) sb_printf(out, " privilege %d", u->priv);
        if (u->secret[0]) sb_printf(out, " secret %d %s", u->secret_type, u->secret);
        sb_puts(out, "\n");
    }
    if (a->users) sb_puts(out, "!\n");
    /* IOS: crypto pki first, then crypto ikev2, then crypto ipsec. */
    ike_ipsec_render_pki(&a->ipsec, out);
    /* IKEv2: authorization policies, proposals, policies, keyrings, profiles, globals. */
    ike_cfg_render(&a->ikev2, out);
    clb_config_render(&a->cluster, out);
    ike_ipsec_render_crypto(&a->ipsec, out);
    app_render_interfaces(a, out);
    /* IOS prints the pools after the interfaces, before the static routes. */
    ike_pools_render(a->ipsec.pools, out);
    if (!ike_pools_empty(a->ipsec.pools)) sb_puts(out, "!\n");
    app_render_routes(a, out);
    if (a->routes) sb_puts(out, "!\n");
    sb_puts(out, "end\n");
}

static int fsync_dir(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    int fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) ? -errno : 0;
    close(fd);
    return rc;
}

/* A crash at any point leaves either the old file or the new one, never a mix or a stub:
 * the new text is complete and on disk before the rename makes it the startup-config. */
int app_save_config(struct app *a, const char *path)
{
    struct strbuf body = STRBUF_INIT;
    app_render_config(a, &body);
    char tmp[PATH_MAX + 16], dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    mkdir(dirname(dir), 0755);
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp) {
        sb_free(&body);
        return -ENAMETOOLONG;
    }
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    for (size_t off = 0; off < body.len;) {
        ssize_t n = write(fd, body.buf + off, body.len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO;
            break;
        }
        off += (size_t)n;
    }
    if (!rc && fsync(fd)) rc = -errno;
    if (close(fd) && !rc) rc = -errno;
    if (!rc && rename(tmp, path)) rc = -errno;
    if (!rc) rc = fsync_dir(path);
    if (rc) unlink(tmp);
out:
    sb_free(&body);
    return rc;
}
