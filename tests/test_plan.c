/*
 * The planner's model (tools/plan.c) against what a schedule must satisfy, on synthetic
 * task costs (no input, no timing):
 *  - one worker runs everything back to back: the graph's time is the busy time;
 *  - with as many workers as tasks the graph takes its critical path, computed here
 *    independently from the dependencies of coordinator/jobs.c;
 *  - more workers never make it slower, and W workers are never faster than busy / W
 *    or the critical path;
 *  - --rebase 1 (independent chunks): no re-encodes or rebases, key frames = chunks;
 *  - a short last chunk, one frame, bad jobs refused.
 */
#include <math.h>
#include <stdio.h>

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
    printf("plan: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
