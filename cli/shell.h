/* IOS sessions: the console, `ikesh` over the Unix socket, telnet on loopback, and the
 * startup-config loader. Each session runs on its own thread with its own libcli cli_def:
 * ikegate's grammar (cmdtree) gives IOS's errors, help and completion; libcli dispatches the
 * parsed command and runs its output through the `| include`-style filters; the handler
 * itself runs on the engine thread (loop_call) unless it only touches the session.
 *
 * Socket sessions start with a hello line from the client:
 *   "IKESH 1 interactive ROWS\n"  line editing, echo, prompts, paging after ROWS-1 lines
 *   "IKESH 1 batch\n"             one command per line, no echo or prompt; after each
 *                                 command's output the server sends "\x1e<status>\n"
 *                                 (status 0 ok, 1 the command got an IOS error)
 * A client that sends no hello gets an interactive session. */
#ifndef IKEGATE_SHELL_H
#define IKEGATE_SHELL_H

#include <pthread.h>
#include <stdbool.h>

#include "cli/app.h"
#include "cli/cmdtree.h"

struct strbuf;

struct shell {
    struct cmd_tree tree;
    struct app *app;
    loop_t *loop;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    unsigned long long vty_used; /* bit per vty number */
    int nsessions;
    struct session *sessions;
};

enum sess_kind { SK_CONSOLE, SK_VTY, SK_BOOT };

struct session_opts {
    int fd_in, fd_out; /* -1 for SK_BOOT */
    enum sess_kind kind;
    bool interactive;  /* line editing, echo, prompts */
    bool batch_status; /* batch: "\x1e<status>\n" after each command */
    bool telnet;       /* strip telnet commands, negotiate echo */
    bool no_log;       /* the console without a terminal: log lines go to stderr instead */
    int priv;
    const char *user;      /* NULL if unknown */
    int rows;              /* terminal length; 0 no paging */
    struct log_sink *sink; /* SK_CONSOLE: a sink made before boot, so boot messages show */
};

int shell_init(struct shell *sh, struct app *app, loop_t *loop);
/* Ends every session (their clients see EOF) and waits up to a second for them. */
void shell_fini(struct shell *sh);

struct session *session_new(struct shell *sh, const struct session_opts *o);
/* Runs the session until the client leaves or types exit; then frees it and closes its fds. */
void session_run(struct session *s);
/* Execute one line: 0 ok, 1 the command got an IOS error. */
int session_exec(struct session *s, const char *line);

/* Load a configuration file through the same command path, on the calling (engine) thread.
 * Bad lines are reported into `report` (IOS error with line number) and logged; loading
 * goes on. Returns the number of bad lines, or -errno if the file cannot be read. */
int shell_load_file(struct shell *sh, const char *path, struct strbuf *report);

/* A session for a Unix-socket client: reads the hello, takes the peer's identity from
 * SO_PEERCRED (uid 0 -> privilege 15, others `username NAME privilege N`, default 1) and
 * runs it on a new detached thread. Takes ownership of fd. */
void shell_spawn_socket_session(struct shell *sh, int fd, bool telnet);

/* Session-side handlers (CMDF_SESSION). */
int sh_enable(struct cmd_ctx *c);
int sh_disable(struct cmd_ctx *c);
int sh_exit(struct cmd_ctx *c);
int sh_end(struct cmd_ctx *c);
int sh_configure(struct cmd_ctx *c);
int sh_terminal(struct cmd_ctx *c);
int sh_show_privilege(struct cmd_ctx *c);

#endif
