/*
 * The planner's model (tools/plan.c) against what a schedule must satisfy, on synthetic
 * task costs (no input, no timing):
 *  - one worker runs everything back to back: the graph's time is the busy time;
 *  - with as many workers as tasks the graph takes its critical path, computed here
 *    independently from the dependencies of coordinator/jobs.c;
 *  - more workers never make it slower, and W workers are never faster than busy / W
 *    or the critical path;
 *  - --rebase 1 (independent chunks): no re-encodes or rebases, key frames = chunks;
 *  - a short last chunk, one frame, bad jobs refused;
 *  - a job under way (plan_job.done): on one worker what is left is the sum of the tasks
 *    not done; all done is no time; more done is never more time;
 *  - the burst decision (tools/burst.c): the prediction from measured task times by hand,
 *    no burst before a measurement or with the deadline far, `cap` when it cannot be met,
 *    and otherwise the fewest workers that meet it.
 */
#include <math.h>
#include <stdio.h>

#include "burst.h"
#include "plan.h"
#include "test_util.h"

static plan_costs costs(void)
{
    plan_costs c = {0};
    c.key = 0.030;
    c.key_q0 = 0.045;
    c.inter = 0.020;
    c.reencode = 0.025;
    c.rebase = 0.004;
    c.task_fixed = 0.002;
    c.per_byte = 1e-9;
    c.frame_bytes = 152064;
    c.state_bytes = 300000;
    c.coded_bytes = 4000;
    return c;
}

static int64_t len_of(int64_t frames, int n, int64_t k)
{
    int64_t left = frames - k * n;
    return left < n ? left : n;
}

/* The critical path, written out from the graph's rules rather than plan.c's code:
 * E(k) at 0; R(k) after E(k-1); B(k) after E(k), R(k), E(k-1) and chunk k-1's last. */
static double critical(const plan_costs *c, int64_t frames, int n, int x)
{
    int64_t chunks = (frames + n - 1) / n;
    double best = 0, prev_e = 0, prev_last = 0;
    for (int64_t k = 0; k < chunks; k++) {
        double len = (double)len_of(frames, n, k), fixed = c->task_fixed;
        int gs = k % x == 0;
        double e = (gs ? c->key : c->key_q0) + (len - 1) * c->inter + fixed +
                   (len * c->frame_bytes + len * c->coded_bytes + c->state_bytes) * c->per_byte;
        double last = e;
        if (!gs) {
            double r = prev_e + c->reencode + fixed +
                       (len * c->frame_bytes + c->state_bytes + c->coded_bytes) * c->per_byte;
            double start = fmax(fmax(e, r), fmax(prev_e, prev_last));
            last = start + len * c->rebase + fixed +
                   (len * c->frame_bytes + 3 * len * c->coded_bytes + 3 * c->state_bytes) * c->per_byte;
            best = fmax(best, r);
        }
        best = fmax(best, fmax(e, last));
        prev_e = e;
        prev_last = last;
    }
    return best;
}

/* plan_job.done: a job under way. */
static void under_way(const plan_costs *c)
{
    plan_job j = {.frames = 299, .n = 6, .x = 16, .workers = 1, .speed = 1};
    plan_result full, r;
    CHECK(!plan_simulate(c, &j, &full), "simulate the whole job");
    int64_t chunks = full.chunks, groups = full.key_frames;
    /* On one worker the time left is the tasks left, back to back: the whole job less the
     * first 10 encodes, 7 re-encodes and 5 rebases (each the full chunk's, none the last). */
    j.done[0] = 10, j.done[1] = 7, j.done[2] = 5;
    CHECK(!plan_simulate(c, &j, &r), "simulate a job under way");
    /* The tasks done, priced as plan.c prices them: full chunks, never a group's first
     * re-encode or rebase. */
    double e = c->key + 5 * c->inter + c->task_fixed +
               (6 * c->frame_bytes + 6 * c->coded_bytes + c->state_bytes) * c->per_byte;
    double e0 = c->key_q0 - c->key, rr, bb;
    rr = c->reencode + c->task_fixed + (6 * c->frame_bytes + c->state_bytes + c->coded_bytes) * c->per_byte;
    bb = 6 * c->rebase + c->task_fixed +
         (6 * c->frame_bytes + 3 * 6 * c->coded_bytes + 3 * c->state_bytes) * c->per_byte;
    double done = 10 * e + 9 * e0 + 7 * rr + 5 * bb; /* chunk 0 starts a group: 9 q0 keys */
    CHECK(fabs(r.graph - (full.busy - done)) < 1e-9 * full.busy,
          "one worker: %.6f left, expected %.6f (the whole %.6f less %.6f done)", r.graph,
          full.busy - done, full.busy, done);
    j.done[0] = chunks, j.done[1] = j.done[2] = chunks - groups;
    CHECK(!plan_simulate(c, &j, &r) && r.graph == 0, "all done: %.6f s left", r.graph);
    j.done[0] = chunks + 1;
    CHECK(plan_simulate(c, &j, &r) != 0, "more done than there are: refused");
    /* More done is never more time, on any number of workers. */
    for (int w = 1; w <= 64; w *= 4) {
        double prev = INFINITY;
        j.workers = w;
        for (int64_t d = 0; d <= chunks; d += 5) {
            j.done[0] = d;
            j.done[1] = j.done[2] = d - d / 16 - 1 > 0 ? d - d / 16 - 1 : 0;
            CHECK(!plan_simulate(c, &j, &r), "%d workers, %lld done: simulate", w, (long long)d);
            CHECK(r.graph <= prev + 1e-9, "%d workers: %lld done leave %.6f s, more than %.6f",
                  w, (long long)d, r.graph, prev);
            prev = r.graph;
        }
    }
}

/* The burst decision. */
static void burst(void)
{
    /* 12 frames in chunks of 2, one group: 6 encodes, 5 re-encodes, 5 rebases. One encode
     * done in 1 s, nothing else measured: a re-encode is taken as 0.5 s (a frame of an
     * encode), a rebase 0.2 s. On 1 worker: 5 + 2.5 + 1 s left after 1 s elapsed. */
    burst_state b = {.frames = 12, .n = 2, .x = 6, .done = {1, 0, 0}, .wall = {1, 0, 0},
                     .elapsed = 1, .deadline = 100};
    double t = 0, alone = 0;
    int e = burst_predict(&b, 1, &t); /* first: CHECK's arguments have no order */
    CHECK(!e && fabs(t - 9.5) < 1e-9, "predicted %.6f, expected 9.5", t);
    /* Measured: encodes 2 s, re-encodes 1 s, rebases 0.5 s a task. */
    b.done[0] = 2, b.wall[0] = 4, b.done[1] = 1, b.wall[1] = 1, b.done[2] = 1, b.wall[2] = 0.5;
    e = burst_predict(&b, 1, &t);
    CHECK(!e && fabs(t - (1 + 4 * 2 + 4 * 1 + 4 * 0.5)) < 1e-9, "predicted %.6f, expected 15", t);
    int m = burst_needed(&b, 1, 8, &alone);
    CHECK(m == 0 && fabs(alone - 15) < 1e-9, "deadline 100 s, 15 s predicted: %d more (alone %.6f)",
          m, alone);
    b.deadline = 0.5;
    CHECK(burst_needed(&b, 1, 8, &alone) == 8, "deadline already past: all 8");
    CHECK(burst_needed(&b, 1, 0, &alone) == 0, "nothing to burst to: 0");
    /* A deadline between: the fewest extra workers that meet it, and one fewer does not. */
    for (double dl = 6; dl <= 15; dl += 0.5) {
        b.deadline = dl;
        m = burst_needed(&b, 1, 8, &alone);
        double with = 0, without = 0;
        CHECK(m >= 0 && m <= 8, "deadline %.1f: %d workers", dl, m);
        if (m < 1 || m > 8 || burst_predict(&b, 1 + m, &with)) continue;
        burst_predict(&b, m, &without);
        CHECK(m == 8 || with <= dl, "deadline %.1f: %d more predict %.3f", dl, m, with);
        CHECK(without > dl, "deadline %.1f: %d more would do (%.3f)", dl, m - 1, without);
    }
    b.done[0] = 0, b.wall[0] = 0;
    b.deadline = 0.5;
    CHECK(burst_needed(&b, 1, 8, &alone) == 0 && alone == 0, "no encode measured yet: no burst");
    b.n = 0;
    CHECK(burst_needed(&b, 1, 8, &alone) < 0, "a malformed job: refused");
}

int main(void)
{
    plan_costs c = costs();
    static const struct { int64_t frames; int n, x; } jobs[] = {
        {300, 6, 16}, {299, 6, 16}, {1000, 12, 4}, {97, 5, 3}, {50, 6, 1}, {1, 6, 16},
        {3600 * 24, 6, 16},
    };
    for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
        plan_job j = {.frames = jobs[i].frames, .n = jobs[i].n, .x = jobs[i].x, .workers = 1,
                      .speed = 1};
        plan_result one, many, prev;
        CHECK(!plan_simulate(&c, &j, &one), "job %zu: simulate", i);
        CHECK(fabs(one.graph - one.busy) < 1e-6 * one.busy,
              "job %zu: one worker: graph %.6f != busy %.6f", i, one.graph, one.busy);
        double crit = critical(&c, j.frames, j.n, j.x);
        CHECK(fabs(one.critical - crit) < 1e-9 + 1e-9 * crit,
              "job %zu: critical path %.6f, expected %.6f", i, one.critical, crit);
        j.workers = (int)(one.tasks < 100000 ? one.tasks : 100000);
        CHECK(!plan_simulate(&c, &j, &many), "job %zu: simulate", i);
        if (one.tasks <= 100000)
            CHECK(fabs(many.graph - crit) < 1e-9 + 1e-9 * crit,
                  "job %zu: %d workers: graph %.6f, the critical path is %.6f", i, j.workers,
                  many.graph, crit);
        prev = one;
        for (int w = 2; w <= 4096; w *= 2) {
            plan_result r;
            j.workers = w;
            CHECK(!plan_simulate(&c, &j, &r), "job %zu: simulate", i);
            CHECK(r.graph <= prev.graph + 1e-9, "job %zu: %d workers slower than %d (%.6f > %.6f)",
                  i, w, w / 2, r.graph, prev.graph);
            CHECK(r.graph + 1e-9 >= fmax(r.busy / w, crit),
                  "job %zu: %d workers: %.6f is below busy/W %.6f or the critical path %.6f", i,
                  w, r.graph, r.busy / w, crit);
            CHECK(fabs(r.held - r.graph * w) < 1e-6, "job %zu: held = graph x workers", i);
            prev = r;
        }
        int64_t chunks = (jobs[i].frames + jobs[i].n - 1) / jobs[i].n;
        int64_t groups = (chunks + jobs[i].x - 1) / jobs[i].x;
        CHECK(one.chunks == chunks && one.key_frames == groups &&
                  one.tasks == chunks + 2 * (chunks - groups),
              "job %zu: %lld chunks, %lld keys, %lld tasks", i, (long long)one.chunks,
              (long long)one.key_frames, (long long)one.tasks);
    }
    plan_result r;
    plan_job bad = {.frames = 0, .n = 6, .x = 16, .workers = 1, .speed = 1};
    CHECK(plan_simulate(&c, &bad, &r) != 0, "no frames: refused");
    bad.frames = 10;
    bad.workers = 0;
    CHECK(plan_simulate(&c, &bad, &r) != 0, "no workers: refused");
    under_way(&c);
    burst();
    printf("plan: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
