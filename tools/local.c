/*
 * `excam encode --chunk` without --coordinator: the distributed code path with an
 * embedded coordinator. A coordinator (coordinator/) is forked (on a loopback port, or
 * --listen for workers elsewhere), a launcher (launch.h) starts the workers (forked here
 * by default; the blob store is then a temporary directory), and the job client
 * (client.c) does the rest, exactly as it would with a remote coordinator. One code path
 * to test and trust; the input streams through storage chunk by chunk.
 *
 * With two launchers (`--launcher local,ssh`) the second one's workers are a burst: they
 * start when the planner's model, fed with this run's task times, says the first ones
 * alone would miss --deadline (burst.h), re-checked as tasks finish; without a deadline
 * both start at once. Once started they stay to the end.
 *
 * Everything made here goes on the way out, also on SIGINT/SIGTERM: the workers are
 * stopped (through their launchers), then the coordinator, and the temporary directory
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
#include "burst.h"
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

/* The workers: the first launcher's, and the burst launcher's once they are started. */
typedef struct fleet {
    launch *first, *second;
    int first_alive, second_alive; /* workers at the last check; 0: none (left) */
    const char *first_name;
    launch_opts second_opts;       /* the burst launcher's (launcher NULL: none) */
    const burst_opts *b;
    int n, x;                      /* the job's chunk frames and chunks per group */
    int cap;                       /* the most burst workers (0: one per chunk) */
    double t0, next_check;
    int64_t last_done;             /* tasks done at the last prediction */
    int settled;                   /* nothing more to decide: started, failed, or warned */
    int tried;                     /* the burst was started (or tried) */
} fleet;

static void start_burst(fleet *f, int n)
{
    f->second_opts.workers = n;
    f->second_opts.at_most = n;
    f->settled = f->tried = 1;
    if (launch_start(&f->second_opts, &f->second)) {
        f->second = NULL;
        cli_error("burst: the %s workers did not start; the job goes on with the %s ones",
                  f->second_opts.launcher, f->first_name);
        return;
    }
    f->second_alive = n;
}

/* With a deadline: predict from the tasks done so far (again when one more is done, or
 * every 0.5 s; less often if a prediction takes long) and start the burst when the first
 * launcher's workers alone would be late. */
static void burst_check(fleet *f, const client_progress *p)
{
    double now = launch_now();
    int64_t done = (int64_t)p->done[0] + p->done[1] + p->done[2];
    if (done == f->last_done && now < f->next_check) return;
    burst_state bs = {.frames = p->frames, .n = f->n, .x = f->x, .elapsed = now - f->t0,
                      .deadline = f->b->deadline};
    for (int k = 0; k < 3; k++) {
        bs.done[k] = p->done[k];
        bs.wall[k] = p->wall[k];
    }
    int cap = f->cap ? f->cap : p->chunks, burst = f->second_opts.launcher != NULL;
    double alone, with = 0;
    int want = burst_needed(&bs, f->first_alive, burst ? cap : 0, &alone);
    double took = launch_now() - now;
    f->last_done = done;
    f->next_check = now + (20 * took > 0.5 ? 20 * took : 0.5);
    if (!(alone > 0)) return; /* no encode has finished yet */
    if (f->b->verbose) {
        cli_progress_break();
        fprintf(stderr, "excam encode: burst: at %.1f s, tasks done %lld/%lld/%lld of %u/%u/%u "
                        "(encode, re-encode, rebase; %.2f s an encode task): %d %s workers would "
                        "end at %.1f s, deadline %.1f s\n", bs.elapsed, (long long)bs.done[0],
                (long long)bs.done[1], (long long)bs.done[2], p->total[0], p->total[1],
                p->total[2], bs.wall[0] / (double)bs.done[0], f->first_alive, f->first_name,
                alone, f->b->deadline);
    }
    if (alone <= f->b->deadline) return;
    if (!burst) {
        f->settled = 1;
        cli_progress_break();
        fprintf(stderr, "excam encode: the deadline will be missed: %d %s workers are predicted "
                        "to end at %.1f s, after %.1f s (a second launcher, --launcher %s,B, "
                        "would add workers)\n", f->first_alive, f->first_name, alone,
                f->b->deadline, f->first_name);
        return;
    }
    int n = f->b->workers ? f->cap : want; /* cap: --burst-workers within capacity */
    if (n < 1) n = 1;
    burst_predict(&bs, f->first_alive + n, &with);
    cli_progress_break();
    fprintf(stderr, "excam encode: burst: %d %s workers alone would end at %.1f s, after the "
                    "%.1f s deadline: starting %d %s workers (predicted end %.1f s)\n",
            f->first_alive, f->first_name, alone, f->b->deadline, n, f->second_opts.launcher,
            with);
    start_burst(f, n);
}

static int watch_workers(void *arg, const client_progress *p)
{
    fleet *f = arg;
    if (caught) return 1;
    if (f->first_alive > 0) f->first_alive = launch_check(f->first);
    if (f->second_alive > 0) f->second_alive = launch_check(f->second);
    if (f->first_alive + f->second_alive == 0) return 1;
    if (f->b->deadline > 0 && !f->settled && f->first_alive > 0) burst_check(f, p);
    return 0;
}

int local_encode(y4m_reader *in, int skip, int limit, const client_opts *o_in, const launch_opts *lo_in,
                 const burst_opts *b, const char *listen, const char *output, client_result *res)
{
    char dir[4096], blobs[4200], portf[4200], coord[512];
    client_opts o = *o_in;
    launch_opts lo = *lo_in;
    fleet f = {.b = b, .n = o.chunk, .x = o.rebase, .t0 = launch_now(),
               .first_name = lo.launcher ? lo.launcher : "local"};
    tls_ctx *server_tls = NULL, *client_tls = NULL;
    pid_t coord_pid = 0;
    int ret = 1, local = launch_is_local(&lo);

    if (lo.burst) { /* how many it can take, before anything starts */
        f.second_opts = lo;
        f.second_opts.launcher = lo.burst;
        f.second_opts.burst = NULL;
        int capacity = launch_capacity(&f.second_opts);
        if (capacity < 0) return 1;
        f.cap = b->workers ? b->workers : capacity;
        if (capacity > 0 && f.cap > capacity) {
            fprintf(stderr, "excam encode: --burst-workers %d: %s can run %d; at most %d will start\n",
                    b->workers, lo.burst, capacity, capacity);
            f.cap = capacity;
        }
    }

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
        FILE *pf = fopen(portf, "r");
        if (pf) {
            if (fscanf(pf, "%d", &port) != 1) port = 0;
            fclose(pf);
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
    f.second_opts.coordinator = coord;
    f.second_opts.storage = storage;
    f.second_opts.log_dir = dir;
    f.second_opts.key = key;
    f.second_opts.retry_for = lo.retry_for;
    if (launch_start(&lo, &f.first) || caught) goto done;
    f.first_alive = lo.workers > 0 ? lo.workers : 1; /* launch_check tells on the first poll */
    if (lo.burst && !(b->deadline > 0)) { /* throughput: both at once */
        int n = f.cap ? f.cap : lo.workers;
        if (!o.quiet)
            fprintf(stderr, "excam encode: burst: no --deadline: %d %s workers start with the %s ones\n",
                    n, lo.burst, f.first_name);
        start_burst(&f, n);
        if (caught) goto done;
    }

    o.coordinator = coord;
    o.storage = storage;
    o.embedded = 1;
    o.sec.key = key;
    o.sec.tls = client_tls;
    o.sec.insecure = lo.insecure;
    o.retry_for = 5;
    o.watch = watch_workers;
    o.watch_arg = &f;
    ret = client_encode(in, skip, limit, &o, output, res);
    if (!ret && !o.quiet && b->deadline > 0) {
        double t = launch_now() - f.t0;
        if (lo.burst && !f.tried)
            fprintf(stderr, "excam encode: burst: the %s workers were not needed: done at %.1f s, "
                            "deadline %.1f s\n", lo.burst, t, b->deadline);
        else
            fprintf(stderr, "excam encode: done at %.1f s, deadline %.1f s%s\n", t, b->deadline,
                    t > b->deadline ? " (missed)" : "");
    }
    goto done;
fork_failed:
    cli_error("cannot start a process: %s", strerror(errno));
done:
    /* Workers first (they would only dial a coordinator that went), then the coordinator. */
    launch_stop(f.second);
    launch_stop(f.first);
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
