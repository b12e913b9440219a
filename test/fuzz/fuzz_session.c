/* The session input path: bytes from a telnet, ikesh or console client go through telnet
 * option stripping, the line editor (editing keys, history, ?, TAB, Ctrl-Z), the grammar,
 * libcli's dispatch and filters, and the handlers (without kernel effects). A whole session
 * runs per input, on this thread: the loop is never run, so loop_call runs handlers here. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/app.h"
#include "cli/shell.h"
#include "fuzz_util.h"
#include "platform/log.h"
#include "platform/loop.h"

static loop_t *loop;
static struct app app;
static struct shell sh;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    log_init("fuzz_session", false);
    loop = loop_new(true);
    if (!loop || app_init(&app, loop, NULL, NULL) || shell_init(&sh, &app, loop)) abort();
    /* `write memory` must not write anywhere that matters. */
    char dir[] = "/tmp/ikgt-fuzz-session-XXXXXX";
    if (!mkdtemp(dir)) abort();
    snprintf(app.startup_path, sizeof app.startup_path, "%s/startup-config", dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0; /* a pipe holds it all, so the session never blocks */
    int in[2];
    if (pipe(in)) abort();
    if (size && write(in[1], data, size) != (ssize_t)size) abort();
    close(in[1]);
    int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
    FUZZ_CHECK(out >= 0);
    /* The first byte picks the kind of client, the rest is what it types. */
    bool batch = size && (data[0] & 1);
    struct session_opts o = {.fd_in = in[0],
                             .fd_out = out,
                             .kind = SK_VTY,
                             .interactive = !batch,
                             .batch_status = batch,
                             .telnet = size && (data[0] & 2),
                             .priv = size && (data[0] & 4) ? 1 : 15,
                             .rows = size && (data[0] & 8) ? 5 : 0};
    struct session *s = session_new(&sh, &o);
    FUZZ_CHECK(s != NULL);
    session_run(s); /* frees the session and closes both descriptors */
    return 0;
}
