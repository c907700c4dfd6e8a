/* The planner's model: the task graph on W workers; see plan.h. */
#include "plan.h"

#include <stdlib.h>

enum { E, R, B }; /* encode, re-encode, rebase: also their priority (rebases first) */

typedef struct sim {
    const plan_costs *c;
    const plan_job *j;
    int64_t chunks;
    double *dur;     /* [kind * chunks + k]; < 0: no such task */
    int *deps;       /* dependencies not yet done */
    char *done;      /* finished before the simulation starts (plan_job.done) */
    int64_t *ready;  /* min-heap of task indices by (priority, chunk) */
    int64_t nready;
    struct run { double end; int64_t task; } *run; /* min-heap by end time */
    int64_t nrun;
} sim;

static int group_start(const sim *s, int64_t k) { return k % s->j->x == 0; }

static int64_t chunk_len(const sim *s, int64_t k)
{
    int64_t left = s->j->frames - k * s->j->n;
    return left < s->j->n ? left : s->j->n;
}

/* Seconds a task keeps its worker: the codec's work (at the workers' speed), the fixed
 * cost of a task, and the bytes it fetches and stores. */
static double duration(const sim *s, int kind, int64_t k)
{
    const plan_costs *c = s->c;
    double len = (double)chunk_len(s, k), work, bytes;
    switch (kind) {
    case E:
        work = (group_start(s, k) ? c->key : c->key_q0) + (len - 1) * c->inter;
        bytes = len * c->frame_bytes + len * c->coded_bytes + c->state_bytes;
        break;
    case R:
        work = c->reencode;
        bytes = len * c->frame_bytes + c->state_bytes + c->coded_bytes;
        break;
    default:
        work = len * c->rebase;
        bytes = len * c->frame_bytes + 3 * len * c->coded_bytes + 3 * c->state_bytes;
        break;
    }
    return work / s->j->speed + c->task_fixed + bytes * c->per_byte;
}

/* ------------------------------------------------------------ heaps */

static int ready_before(const sim *s, int64_t a, int64_t b)
{
    int64_t ka = a / s->chunks, kb = b / s->chunks;
    /* The coordinator's order: rebase, re-encode, encode; then the chunk. */
    int ra = ka == B ? 0 : ka == R ? 1 : 2, rb = kb == B ? 0 : kb == R ? 1 : 2;
    return ra != rb ? ra < rb : a % s->chunks < b % s->chunks;
}

static void ready_push(sim *s, int64_t t)
{
    int64_t i = s->nready++;
    while (i > 0 && ready_before(s, t, s->ready[(i - 1) / 2])) {
        s->ready[i] = s->ready[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->ready[i] = t;
}

static int64_t ready_pop(sim *s)
{
    int64_t top = s->ready[0], last = s->ready[--s->nready], i = 0;
    for (;;) {
        int64_t l = 2 * i + 1, m = l;
        if (l >= s->nready) break;
        if (l + 1 < s->nready && ready_before(s, s->ready[l + 1], s->ready[l])) m = l + 1;
        if (!ready_before(s, s->ready[m], last)) break;
        s->ready[i] = s->ready[m];
        i = m;
    }
    if (s->nready) s->ready[i] = last;
    return top;
}

static void run_push(sim *s, double end, int64_t task)
{
    int64_t i = s->nrun++;
    while (i > 0 && end < s->run[(i - 1) / 2].end) {
        s->run[i] = s->run[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->run[i] = (struct run){end, task};
}

static struct run run_pop(sim *s)
{
    struct run top = s->run[0], last = s->run[--s->nrun];
    int64_t i = 0;
    for (;;) {
        int64_t l = 2 * i + 1, m = l;
        if (l >= s->nrun) break;
        if (l + 1 < s->nrun && s->run[l + 1].end < s->run[l].end) m = l + 1;
        if (!(s->run[m].end < last.end)) break;
        s->run[i] = s->run[m];
        i = m;
    }
    if (s->nrun) s->run[i] = last;
    return top;
}

/* ------------------------------------------------------------ the graph */

static void done_one(sim *s, int kind, int64_t k)
{
    if (k < 0 || k >= s->chunks) return;
    int64_t t = kind * s->chunks + k;
    if (s->dur[t] >= 0 && --s->deps[t] == 0 && !s->done[t]) ready_push(s, t);
}

/* Task `t` finished: its dependents lose one dependency each (jobs.c's deps_done). */
static void finished(sim *s, int64_t t)
{
    int64_t k = t % s->chunks;
    switch (t / s->chunks) {
    case E:
        done_one(s, R, k + 1);
        done_one(s, B, k);
        done_one(s, B, k + 1); /* as E(k) and, for a group's first chunk, its final task */
        break;
    case R: done_one(s, B, k); break;
    default: done_one(s, B, k + 1); break;
    }
}

int plan_simulate(const plan_costs *c, const plan_job *j, plan_result *r)
{
    sim s = {.c = c, .j = j};
    if (j->frames < 1 || j->n < 1 || j->x < 1 || j->workers < 1 || !(j->speed > 0)) return -1;
    s.chunks = (j->frames + j->n - 1) / j->n;
    int64_t nt = 3 * s.chunks;
    s.dur = malloc((size_t)nt * sizeof(*s.dur));
    s.deps = malloc((size_t)nt * sizeof(*s.deps));
    s.ready = malloc((size_t)nt * sizeof(*s.ready));
    s.run = malloc((size_t)(j->workers < nt ? j->workers : nt) * sizeof(*s.run));
    s.done = calloc((size_t)nt, 1);
    double *fin = malloc((size_t)nt * sizeof(*fin)); /* for the critical path */
    int ret = -1;
    if (!s.dur || !s.deps || !s.ready || !s.run || !s.done || !fin) goto done;

    r->chunks = s.chunks;
    r->key_frames = (s.chunks + j->x - 1) / j->x;
    r->tasks = 0;
    r->busy = 0;
    r->critical = 0;
    for (int64_t k = 0; k < s.chunks; k++) {
        int gs = group_start(&s, k);
        s.dur[E * s.chunks + k] = duration(&s, E, k);
        s.dur[R * s.chunks + k] = gs ? -1 : duration(&s, R, k);
        s.dur[B * s.chunks + k] = gs ? -1 : duration(&s, B, k);
        s.deps[E * s.chunks + k] = 0;
        s.deps[R * s.chunks + k] = 1;
        /* E(k), R(k), E(k-1), and B(k-1) unless chunk k-1 starts a group (then its
         * final task is E(k-1), counted once). */
        s.deps[B * s.chunks + k] = k >= 1 && group_start(&s, k - 1) ? 3 : 4;
        /* The critical path: each task as soon as its inputs are there. */
        fin[E * s.chunks + k] = s.dur[E * s.chunks + k];
        if (!gs) {
            double e1 = fin[E * s.chunks + k - 1];
            double last = group_start(&s, k - 1) ? e1 : fin[B * s.chunks + k - 1];
            fin[R * s.chunks + k] = e1 + s.dur[R * s.chunks + k];
            double start = fin[E * s.chunks + k];
            if (fin[R * s.chunks + k] > start) start = fin[R * s.chunks + k];
            if (last > start) start = last;
            fin[B * s.chunks + k] = start + s.dur[B * s.chunks + k];
        }
        for (int kind = E; kind <= B; kind++) {
            int64_t t = kind * s.chunks + k;
            if (s.dur[t] < 0) continue;
            r->tasks++;
            r->busy += s.dur[t];
            if (fin[t] > r->critical) r->critical = fin[t];
        }
    }
    /* A job under way: the first done[kind] tasks of each kind are over, and what waited
     * for them only waits for the rest. */
    int64_t left = r->tasks;
    for (int kind = E; kind <= B; kind++) {
        int64_t want = j->done[kind];
        for (int64_t k = 0; k < s.chunks && want > 0; k++)
            if (s.dur[kind * s.chunks + k] >= 0) {
                s.done[kind * s.chunks + k] = 1;
                want--;
                left--;
            }
        if (want > 0) goto done; /* more done than there are */
    }
    for (int64_t t = 0; t < nt; t++)
        if (s.done[t]) finished(&s, t);
    for (int64_t k = 0; k < s.chunks; k++)
        if (!s.done[E * s.chunks + k]) ready_push(&s, E * s.chunks + k);

    /* List scheduling: whenever a worker is free, the first ready task in the
     * coordinator's order; time moves to the next task that ends. */
    double now = 0;
    int free_workers = j->workers;
    while (left > 0) {
        while (free_workers > 0 && s.nready > 0) {
            int64_t t = ready_pop(&s);
            run_push(&s, now + s.dur[t], t);
            free_workers--;
        }
        if (s.nrun == 0) goto done; /* nothing runs and nothing is ready: a bug */
        struct run ended = run_pop(&s);
        now = ended.end;
        free_workers++;
        left--;
        finished(&s, ended.task);
    }
    r->graph = now;
    r->held = now * j->workers;
    r->wall = c->startup + (double)j->frames * (c->upload_frame + c->download_frame) + now;
    ret = 0;
done:
    free(s.dur);
    free(s.deps);
    free(s.ready);
    free(s.run);
    free(s.done);
    free(fin);
    return ret;
}
