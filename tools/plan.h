/*
 * The planner's model of an ExCamera[n,x] encode (`excam plan`): how long the job takes
 * on W workers, how many worker-seconds it uses and what it costs, from per-task costs
 * measured on a sample of the input.
 *
 * The job is the coordinator's task graph (coordinator/jobs.c): per chunk k an encode
 * E(k); a re-encode R(k) after E(k-1) and a rebase B(k) after E(k), R(k), E(k-1) and the
 * last task of chunk k-1, for every chunk that does not start a group of x. The model
 * runs that graph through a list scheduler with the coordinator's own priorities
 * (rebases first, then re-encodes, then encodes, each in chunk order) on W identical
 * workers: a discrete-event simulation, exact for the model's task times, cheap enough
 * for a million chunks. Before the graph the client uploads the input (serial); after
 * it, it fetches and stitches the chunks (serial).
 */
#ifndef EXCAM_TOOLS_PLAN_H
#define EXCAM_TOOLS_PLAN_H

#include <stdint.h>

/* What one run of each kind of work costs, in seconds on one worker. */
typedef struct plan_costs {
    double key;           /* a chunk's key frame (a group's first chunk) */
    double key_q0;        /* the quantizer-0 key frame of the other chunks (stage 1) */
    double inter;         /* one inter frame of stage 1 */
    double reencode;      /* one re-encode task's frame */
    double rebase;        /* one frame of a rebase task */
    double task_fixed;    /* per task: dispatch, the worker's fetches and stores, less
                           * the bytes (below) */
    double per_byte;      /* seconds per byte moved to or from storage by a worker */
    double upload_frame;  /* client: read, pack and store one input frame */
    double download_frame;/* client: fetch and write one output frame */
    double startup;       /* coordinator and workers up, job submitted */
    double frame_bytes;   /* raw bytes of one input frame (I420) */
    double state_bytes;   /* one serialized decoder state */
    double coded_bytes;   /* one encoded frame, on average */
} plan_costs;

typedef struct plan_job {
    int64_t frames;
    int n, x;             /* chunk frames, chunks per group */
    int workers;
    double speed;         /* the workers' speed relative to the sample's (1 = same) */
    int64_t done[3];      /* a job under way (tools/burst.c): encodes, re-encodes and
                           * rebases already finished, taken to be the first ones of
                           * their kind in chunk order (the coordinator hands each kind
                           * out in that order); the graph is then the time the others
                           * take from now. 0: a job not started */
} plan_job;

typedef struct plan_result {
    double wall;          /* seconds, first byte read to output complete */
    double graph;         /* of which the task graph (the workers' part; with done[]:
                           * the part left) */
    double busy;          /* worker-seconds spent in tasks */
    double held;          /* worker-seconds held: workers x the graph's time */
    int64_t chunks, key_frames, tasks;
    double critical;      /* the longest dependency chain through the graph, seconds */
} plan_result;

/* Simulate the job: 0, or -1 if it is malformed or memory runs out. */
int plan_simulate(const plan_costs *c, const plan_job *j, plan_result *r);

#endif /* EXCAM_TOOLS_PLAN_H */
