/* ikesh: the shell users reach over SSH (sshd ForceCommand) or locally. With -c it runs each
 * command in one session and exits non-zero if any got an IOS error; without -c it is an
 * interactive IOS session on this terminal (or, reading a pipe, a batch of commands). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int connect_cli(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) return -1;
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        fprintf(stderr, "ikesh: cannot reach ikegated at %s: %s\n", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* Batch: send everything, then print the output, dropping the status records and
 * remembering whether any command failed. Commands are sent up front because one may read
 * the next line itself (the password after `enable`). */
static int run_batch(int fd, const char *input, size_t len)
{
    const char *hello = "IKESH 1 batch\n";
    if (write_all(fd, hello, strlen(hello)) || write_all(fd, input, len)) return 1;
    shutdown(fd, SHUT_WR);
    int failed = 0, in_status = 0;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
        size_t start = 0;
        for (ssize_t i = 0; i < n; i++) {
            if (in_status) {
                if (buf[i] == '1') failed = 1;
                if (buf[i] == '\n') in_status = 0, start = (size_t)i + 1;
                continue;
            }
            if (buf[i] == '\x1e') {
                fwrite(buf + start, 1, (size_t)i - start, stdout);
                in_status = 1;
            }
        }
        if (!in_status && start < (size_t)n) fwrite(buf + start, 1, (size_t)n - start, stdout);
    }
    fflush(stdout);
    return failed;
}

static int run_interactive(int fd)
{
    struct winsize ws = {0};
    int rows = ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row ? ws.ws_row : 24;
    char hello[64];
    snprintf(hello, sizeof hello, "IKESH 1 interactive %d\n", rows);
    if (write_all(fd, hello, strlen(hello))) return 1;
    struct termios saved, raw;
    int have_tty = tcgetattr(0, &saved) == 0;
    if (have_tty) {
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
    }
    struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    char buf[4096];
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0 || write_all(1, buf, (size_t)n)) break;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n <= 0) {
                shutdown(fd, SHUT_WR);
                p[0].fd = -1;
            } else if (write_all(fd, buf, (size_t)n)) {
                break;
            }
        }
    }
    if (have_tty) tcsetattr(0, TCSANOW, &saved);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = getenv("IKESH_SOCKET") ? getenv("IKESH_SOCKET") : "/run/ikegate/cli.sock";
    size_t cap = 1024, len = 0;
    char *cmds = malloc(cap);
    int ncmd = 0, ch;
    if (!cmds) return 1;
    while ((ch = getopt(argc, argv, "s:c:h")) != -1) {
        if (ch == 's') {
            path = optarg;
        } else if (ch == 'c') {
            size_t l = strlen(optarg);
            while (len + l + 2 > cap) cmds = realloc(cmds, cap *= 2);
            if (!cmds) return 1;
            memcpy(cmds + len, optarg, l);
            len += l;
            cmds[len++] = '\n';
            ncmd++;
        } else {
            fprintf(ch == 'h' ? stdout : stderr,
                    "usage: ikesh [-s CLI-SOCKET] [-c COMMAND]...\n"
                    "  without -c: an interactive IOS session (or a batch read from a pipe)\n");
            free(cmds);
            return ch == 'h' ? 0 : 2;
        }
    }
    int fd = connect_cli(path);
    if (fd < 0) {
        free(cmds);
        return 1;
    }
    int rc;
    if (ncmd) {
        rc = run_batch(fd, cmds, len);
    } else if (isatty(0)) {
        rc = run_interactive(fd);
    } else {
        len = 0;
        ssize_t n;
        while ((n = read(0, cmds + len, cap - len)) > 0) {
            len += (size_t)n;
            if (len == cap && !(cmds = realloc(cmds, cap *= 2))) return 1;
        }
        rc = run_batch(fd, cmds, len);
    }
    close(fd);
    free(cmds);
    return rc;
}
