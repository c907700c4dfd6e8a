/*
 * `excam encode --chunk` without --coordinator: the distributed code path with an
 * embedded coordinator. A coordinator (coordinator/) is forked (on a loopback port, or
 * --listen for workers elsewhere), a launcher (launch.h) starts the workers (forked here
 * by default; the blob store is then a temporary directory), and the job client
 * (client.c) does the rest, exactly as it would with a remote coordinator. One code path
 * to test and trust; the input streams through storage chunk by chunk.
 *
 * Everything made here goes on the way out, also on SIGINT/SIGTERM: the workers are
 * stopped (through their launcher), then the coordinator, and the temporary directory
 * removed; then the signal takes its course.
 */
#include "local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "cli.h"
#include "coordinator.h"
#include "launch_int.h"
#include "transport.h"

/* Remove DIR and what is in it (files and one level of directories: the blob store). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4400];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            struct stat st;
            if (!lstat(path, &st) && S_ISDIR(st.st_mode))
                remove_tree(path);
            else
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* stderr of a child into the work directory's log (the parent's terminal stays clean). */
static void child_log(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
}

/* The address workers dial: the listening host (this host's name if it listens on every
 * address) and the port it got. 0, or -1 after printing why. */
static int worker_address(const char *listen, int port, char *out, size_t len)
{
    const char *colon = strrchr(listen, ':');
    char host[256];
    size_t n = colon ? (size_t)(colon - listen) : 0;
    if (!colon || n >= sizeof(host)) {
        cli_error("--listen %s: not HOST:PORT", listen);
        return -1;
    }
    memcpy(host, listen, n);
    host[n] = '\0';
    if (!n || !strcmp(host, "0.0.0.0") || !strcmp(host, "::") || !strcmp(host, "[::]")) {
        if (gethostname(host, sizeof(host))) {
            cli_error("cannot tell the workers where to dial: gethostname: %s", strerror(errno));
            return -1;
        }
        host[sizeof(host) - 1] = '\0';
    }
    snprintf(out, len, "%s:%d", host, port);
    return 0;
}

/* SIGINT/SIGTERM before the job client watches for them itself (while workers start and
 * the input is uploaded), and after. */
static volatile sig_atomic_t caught;
static void on_signal(int sig) { caught = sig; }

static int watch_workers(void *arg)
{
    return caught || launch_check(arg) == 0;
}

int local_encode(y4m_reader *in, int skip, int limit, const client_opts *o_in, const launch_opts *lo_in,
                 const char *listen, const char *output, client_result *res)
{
    char dir[4096], blobs[4200], portf[4200], coord[512];
    client_opts o = *o_in;
    launch_opts lo = *lo_in;
    launch *workers = NULL;
    tls_ctx *server_tls = NULL, *client_tls = NULL;
    pid_t coord_pid = 0;
    int ret = 1, local = launch_is_local(&lo);

    memset(res, 0, sizeof(*res));
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    caught = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof(dir), "%s/excam-encode.XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        cli_error("cannot make a work directory in %s: %s", tmp, strerror(errno));
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return 1;
    }
    /* The job key: the one given (--key, for workers elsewhere), or a fresh one per run,
     * known to this process and its children only (local workers get it by fork, Lambda
     * workers in their event, never through a file): the default path is authenticated
     * as well. */
    uint8_t key[AUTH_KEY_BYTES];
    char aerr[200];
    if (auth_init(aerr, sizeof(aerr))) {
        cli_error("%s", aerr);
        rmdir(dir);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return 1;
    }
    if (lo.key) memcpy(key, lo.key, sizeof(key));
    else auth_random(key, sizeof(key));
    snprintf(blobs, sizeof(blobs), "%s/blobs", dir);
    snprintf(portf, sizeof(portf), "%s/port", dir);
    if (local && mkdir(blobs, 0700)) {
        cli_error("%s: %s", blobs, strerror(errno));
        goto done;
    }
    const char *storage = local ? blobs : o.storage;
    if (lo.tls_cert) { /* made before the fork: the coordinator inherits its context */
        char terr[1200];
        if (auth_private_file(lo.tls_key, "TLS key", terr, sizeof(terr)) ||
            tls_server_ctx(lo.tls_cert, lo.tls_key, NULL, &server_tls, terr, sizeof(terr)) ||
            tls_client_ctx(lo.tls_ca, NULL, NULL, &client_tls, terr, sizeof(terr))) {
            cli_error("%s", terr);
            goto done;
        }
    }
    if (!listen) listen = "127.0.0.1:0";

    /* The coordinator. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) goto fork_failed;
    if (pid == 0) {
        coord_opts co;
        char err[1024];
        child_log(dir, "coordinator.log");
        signal(SIGINT, SIG_IGN); /* the parent stops it (Ctrl-C reaches the whole group) */
        signal(SIGTERM, SIG_DFL);
        coord_opts_default(&co);
        co.listen = listen;
        co.port_file = portf;
        co.storage = storage;
        co.dead_ms = 30000; /* local workers do not go silent; a slow machine is no reason */
        co.key = key;
        co.insecure = lo.insecure;
        co.tls = server_tls;
        int r = coord_run(&co, err, sizeof(err));
        if (r) fprintf(stderr, "coordinator: %s\n", err);
        _exit(r ? 1 : 0);
    }
    coord_pid = pid;
    int port = 0;
    for (int i = 0; i < 1000 && !port; i++) { /* up to 10 s */
        FILE *f = fopen(portf, "r");
        if (f) {
            if (fscanf(f, "%d", &port) != 1) port = 0;
            fclose(f);
        }
        if (!port) {
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                coord_pid = 0;
                break;
            }
            usleep(10000);
        }
    }
    if (!port) {
        char log[4200], why[512];
        snprintf(log, sizeof(log), "%s/coordinator.log", dir);
        launch_last_line(log, why, sizeof(why));
        cli_error("the local coordinator did not start on %s: %s", listen,
                  *why ? why : "no word from it");
        goto done;
    }
    if (worker_address(listen, port, coord, sizeof(coord))) goto done;

    /* The workers. */
    lo.coordinator = coord;
    lo.storage = storage;
    lo.log_dir = dir;
    lo.key = key;
    lo.retry_for = 5; /* this coordinator never comes back: when it goes, the job is over */
    if (launch_start(&lo, &workers) || caught) goto done;

    o.coordinator = coord;
    o.storage = storage;
    o.embedded = 1;
    o.sec.key = key;
    o.sec.tls = client_tls;
    o.sec.insecure = lo.insecure;
    o.retry_for = 5;
    o.watch = watch_workers;
    o.watch_arg = workers;
    ret = client_encode(in, skip, limit, &o, output, res);
    goto done;
fork_failed:
    cli_error("cannot start a process: %s", strerror(errno));
done:
    /* Workers first (they would only dial a coordinator that went), then the coordinator. */
    launch_stop(workers);
    if (coord_pid > 0) {
        kill(coord_pid, SIGTERM);
        while (waitpid(coord_pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    remove_tree(dir);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (caught && ret) ret = 128 + caught;
    sodium_memzero(key, sizeof(key));
    if (server_tls) tls_ctx_free(server_tls);
    if (client_tls) tls_ctx_free(client_tls);
    if (ret > 128) { /* interrupted: now die of the signal, as the caller would have */
        signal(ret - 128, SIG_DFL);
        raise(ret - 128);
    }
    return ret;
}
