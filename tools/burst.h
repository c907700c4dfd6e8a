/*
 * Burst: throughput under a deadline (`excam encode --launcher local,ssh --deadline S`).
 * The first launcher's workers start at once; the second's only when the planner's model
 * (plan.h), fed with the task times measured so far in this run, says that the first
 * ones alone would finish after the deadline. This is the decision, kept pure (no clock,
 * no I/O) so that it can be tested on its own; tools/local.c asks it as tasks finish.
 */
#ifndef EXCAM_TOOLS_BURST_H
#define EXCAM_TOOLS_BURST_H

#include <stdint.h>

/* A job under way, as the job client sees it. Stages: 0 encode, 1 re-encode, 2 rebase. */
typedef struct burst_state {
    int64_t frames;
    int n, x;               /* chunk frames, chunks per group */
    int64_t done[3];        /* tasks finished, per stage */
    double wall[3];         /* seconds the finished ones held their workers, per stage */
    double elapsed;         /* seconds since the encode started */
    double deadline;        /* seconds from the start the output is wanted by (> 0) */
} burst_state;

/* Seconds from the start the job is predicted to end on `workers` workers: elapsed plus
 * the model's time for the tasks not yet done, at the mean task times measured so far
 * (a stage with none finished yet: from the encodes', see burst.c). 0, or -1 if nothing
 * is measured yet (no encode finished) or the job is malformed. */
int burst_predict(const burst_state *b, int workers, double *finish);

/* How many workers to add to `workers` so that the prediction meets the deadline: 0 if
 * it is met without any (or nothing is measured yet), else the fewest that meet it, or
 * `cap` if even that many do not. *alone (may be NULL): the prediction with `workers`
 * (0 if none yet). -1 on a malformed job. */
int burst_needed(const burst_state *b, int workers, int cap, double *alone);

#endif /* EXCAM_TOOLS_BURST_H */
