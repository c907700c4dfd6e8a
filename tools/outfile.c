/* Atomic output files; see outfile.h. */
#include "outfile.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Temporary files to remove if the process is interrupted. A few at most per run. */
#define MAX_PENDING 8
static char *volatile pending[MAX_PENDING];

static void on_signal(int sig)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i]) unlink(pending[i]); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* mkstemp creates 0600 files; give the output the usual 0666 & ~umask. */
static mode_t umask_value(void)
{
    mode_t m = umask(0);
    umask(m);
    return m;
}

static void remove_pending(void)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i]) unlink(pending[i]);
}

static void install_handlers(void)
{
    static int done;
    if (done) return;
    done = 1;
    atexit(remove_pending);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed pipe becomes a write error we report */
}

int outfile_open(outfile *o, const char *path)
{
    memset(o, 0, sizeof(*o));
    o->slot = -1;
    install_handlers();
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    int slot = -1;
    for (int i = 0; i < MAX_PENDING; i++)
        if (!pending[i]) { slot = i; break; }
    size_t n = strlen(path);
    o->path = strdup(path);
    o->tmp = malloc(n + 16);
    if (slot < 0 || !o->path || !o->tmp) {
        cli_error("%s: cannot create output file: too many open outputs or out of memory", path);
        outfile_abort(o);
        return -1;
    }
    snprintf(o->tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        cli_error("%s: cannot create output file: %s", path, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        outfile_abort(o);
        return -1;
    }
    fchmod(fd, 0666 & ~umask_value());
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        close(fd);
        unlink(o->tmp);
        cli_error("%s: cannot create output file: %s", path, strerror(errno));
        outfile_abort(o);
        return -1;
    }
    o->slot = slot;
    pending[slot] = o->tmp;
    return 0;
}

int outfile_commit(outfile *o)
{
    if (!o->f) return 0;
    if (o->f == stdout) {
        o->f = NULL;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            cli_error("<stdout>: write error: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    int bad = ferror(o->f) || fflush(o->f) != 0;
    int err = errno;
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    if (bad) {
        cli_error("%s: write error: %s", o->path, strerror(err ? err : errno));
        outfile_abort(o);
        return -1;
    }
    if (rename(o->tmp, o->path) != 0) {
        cli_error("%s: cannot rename %s into place: %s", o->path, o->tmp, strerror(errno));
        outfile_abort(o);
        return -1;
    }
    if (o->slot >= 0) pending[o->slot] = NULL;
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    return 0;
}

void outfile_abort(outfile *o)
{
    if (o->f && o->f != stdout) fclose(o->f);
    o->f = NULL;
    if (o->slot >= 0) pending[o->slot] = NULL;
    o->slot = -1;
    if (o->tmp) unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
}
