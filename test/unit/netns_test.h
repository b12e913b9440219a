/* Shared by the unit tests that need a network namespace of their own (netif, vmac): enter
 * a fresh one, run ip(8) commands in it, and leave nothing behind. Included by one test file
 * each, so everything here is static. */
#ifndef IKEGATE_NETNS_TEST_H
#define IKEGATE_NETNS_TEST_H

#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/netif.h"

static char ns_name[64];
static bool ns_named;
static int host_ns_fd = -1;
static const char *skip_reason; /* why the namespace could not be had: the tests skip */
static struct netif *nif;

/* Each test file defines it: netns_enter() plus its own links, then netif_open(). */
static const char *enter_namespace(void);

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* First line of a command's output, without the newline; "" if none. */
/* All of a command's output, lines joined by '\n' without the last one; "" if none. */
static void capture(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void capture(char *buf, size_t len, const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    buf[0] = '\0';
    FILE *f = popen(cmd, "r");
    if (!f) return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    while (fgetc(f) != EOF) continue;
    pclose(f);
    n = strlen(buf);
    if (n && buf[n - 1] == '\n') buf[n - 1] = '\0';
}

static void ns_cleanup(void)
{
    if (host_ns_fd >= 0) {
        if (setns(host_ns_fd, CLONE_NEWNET) < 0) perror("setns back to the host namespace");
        close(host_ns_fd);
        host_ns_fd = -1;
    }
    if (ns_named) {
        run("ip netns del %s", ns_name);
        ns_named = false;
    }
}

static ino_t ns_inode(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* Moves this process into a new network namespace of its own. Returns NULL, or why not.
 * The namespace is unnamed once entered: it lives exactly as long as the process. */
static const char *netns_enter(const char *tag)
{
    static bool registered;
    if (geteuid() != 0) return "not running as root";
    if (run("ip netns list >/dev/null 2>&1") != 0) return "`ip netns` is not available";

    host_ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host_ns_fd < 0) return "cannot open /proc/self/ns/net";
    if (!registered) atexit(ns_cleanup);
    registered = true;

    snprintf(ns_name, sizeof(ns_name), "ikgt-%s-%d", tag, (int)getpid());
    if (run("ip netns add %s", ns_name) != 0) return "`ip netns add` failed";
    ns_named = true;
    char path[128];
    snprintf(path, sizeof(path), "/run/netns/%s", ns_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "cannot open the new namespace";
    int rc = setns(fd, CLONE_NEWNET);
    close(fd);
    if (rc < 0) return "setns() into the new namespace failed";

    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ino_t here = ns_inode(self), host = ns_inode(host_ns_fd);
    if (self >= 0) close(self);
    if (here == 0 || here == host) return "setns() left the process in the host namespace";

    /* Everything below shells out to ip(8): make sure children inherit the namespace. */
    char mine[64], child[64];
    ssize_t n = readlink("/proc/self/ns/net", mine, sizeof(mine) - 1);
    mine[n > 0 ? n : 0] = '\0';
    capture(child, sizeof(child), "readlink /proc/self/ns/net");
    if (!mine[0] || strcmp(mine, child) != 0) return "system() does not inherit the namespace";

    /* Unnamed, the namespace lives exactly as long as this process, even if it crashes. */
    if (run("ip netns del %s", ns_name) != 0) return "`ip netns del` failed";
    ns_named = false;
    return NULL;
}

static int group_setup(void **state)
{
    (void)state;
    skip_reason = enter_namespace();
    if (skip_reason) {
        printf("SKIP: %s\n", skip_reason);
        fflush(stdout);
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    netif_close(nif);
    nif = NULL;
    ns_cleanup();
    return 0;
}

static void require_namespace(void)
{
    if (skip_reason) skip();
}

#endif
