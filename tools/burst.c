/* Burst: when the second launcher's workers are needed; see burst.h. */
#include "burst.h"

#include "plan.h"

/* Before a re-encode or a rebase has finished, their times are guessed from the
 * encodes': a re-encode is about one frame of an encode, a rebase task about a fifth of
 * an encode task (bench/results/pipeline*.md: rebase 0.17-0.21x encode a frame). */
#define REBASE_PER_ENCODE 0.2

int burst_predict(const burst_state *b, int workers, double *finish)
{
    if (b->n < 1 || b->x < 1 || b->frames < 1 || workers < 1) return -1;
    if (b->done[0] < 1 || !(b->wall[0] > 0)) return -1;
    double encode = b->wall[0] / (double)b->done[0]; /* seconds a task, as measured */
    double reencode = b->done[1] ? b->wall[1] / (double)b->done[1] : encode / b->n;
    double rebase = b->done[2] ? b->wall[2] / (double)b->done[2] : REBASE_PER_ENCODE * encode;
    /* The measured times are whole tasks (codec, storage, dispatch): the model's per-frame
     * costs carry them all, with no fixed or per-byte part of their own. */
    plan_costs c = {0};
    c.key = c.key_q0 = c.inter = encode / b->n;
    c.reencode = reencode;
    c.rebase = rebase / b->n;
    plan_job j = {.frames = b->frames, .n = b->n, .x = b->x, .workers = workers, .speed = 1,
                  .done = {b->done[0], b->done[1], b->done[2]}};
    plan_result r;
    if (plan_simulate(&c, &j, &r)) return -1;
    *finish = b->elapsed + r.graph;
    return 0;
}

int burst_needed(const burst_state *b, int workers, int cap, double *alone)
{
    double t;
    if (alone) *alone = 0;
    if (b->n < 1 || b->x < 1 || b->frames < 1 || workers < 1) return -1;
    if (burst_predict(b, workers, &t)) return 0; /* nothing measured yet */
    if (alone) *alone = t;
    if (t <= b->deadline || cap < 1) return 0;
    if (burst_predict(b, workers + cap, &t) || t > b->deadline) return cap;
    /* The fewest that meet it: more workers never make the model slower (test_plan). */
    int lo = 0, hi = cap; /* lo misses, hi meets */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (!burst_predict(b, workers + mid, &t) && t <= b->deadline) hi = mid;
        else lo = mid;
    }
    return hi;
}
