/*
 * The local launcher: `workers` worker processes forked on this host. They run
 * worker_run in the forked child (no exec: starting 200 of them stays cheap) and stop on
 * SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "launch_int.h"
#include "worker.h"

typedef struct local_state {
    launch_proc *procs;
    int n;
    const char *coordinator;
    const uint8_t *key;
    int insecure;
    double retry_for;
    int index; /* of the worker being started, for its name */
    int verbose;
} local_state;

static void run_worker(void *arg)
{
    const local_state *s = arg;
    worker_opts wo;
    char err[1024], name[32];
    worker_opts_default(&wo);
    snprintf(name, sizeof(name), "local-%d", s->index + 1);
    wo.coordinator = s->coordinator;
    wo.name = name;
    if (s->retry_for) wo.retry_for = s->retry_for;
    wo.sec.key = s->key;
    wo.sec.insecure = s->insecure;
    wo.verbose = s->verbose;
    int r = worker_run(&wo, err, sizeof(err));
    if (r) fprintf(stderr, "worker %d: %s\n", s->index + 1, err);
    _exit(r ? 1 : 0);
}

static void local_stop(void *state)
{
    local_state *s = state;
    if (!s) return;
    launch_proc_stop_all(s->procs, s->n, 10, 1);
    free(s->procs);
    free(s);
}

static int local_start(const launch_opts *o, void **state)
{
    local_state *s = calloc(1, sizeof(*s));
    int n = o->workers > 0 ? o->workers : 1;
    if (!s || !(s->procs = calloc((size_t)n, sizeof(*s->procs)))) {
        free(s);
        cli_error("out of memory");
        return 1;
    }
    s->coordinator = o->coordinator;
    s->retry_for = o->retry_for;
    s->key = o->key;
    s->insecure = o->insecure;
    s->verbose = o->verbose;
    char log[4200];
    if (o->log_dir) snprintf(log, sizeof(log), "%s/workers.log", o->log_dir);
    for (s->index = 0; s->index < n; s->index++) {
        if (launch_proc_spawn(&s->procs[s->index], o->log_dir && !o->verbose ? log : NULL, 0, 0,
                              run_worker, s)) {
            cli_error("cannot start a worker process: %s", strerror(errno));
            local_stop(s);
            return 1;
        }
        s->n = s->index + 1;
    }
    *state = s;
    return 0;
}

static int local_check(void *state)
{
    local_state *s = state;
    int alive = 0;
    for (int i = 0; i < s->n; i++) {
        launch_proc *p = &s->procs[i];
        if (!launch_proc_exited(p)) {
            alive++;
        } else if (!p->reported) {
            char how[64];
            p->reported = 1;
            launch_proc_describe(p->status, how, sizeof(how));
            cli_error("local worker %d stopped (%s)", i + 1, how);
        }
    }
    if (!alive) cli_error("no local worker is left");
    return alive;
}

/* One worker per CPU keeps them all busy; more only share them. */
static int local_capacity(const launch_opts *o)
{
    (void)o;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

const launch_ops launch_local_ops = {"local", local_start, local_check, local_stop, local_capacity};
