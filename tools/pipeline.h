/*
 * The ExCamera[n, x] pipeline (ExCamera, NSDI '17 §4; ../shared/DESIGN.md §2) as a graph
 * of tasks, each a pure function of its inputs, run by an executor.
 *
 * The video is cut into chunks of n frames; every x chunks start a group.
 *   encode(k)    chunk k encoded on its own from a key frame       (parallel)
 *   reencode(k)  chunk k's first frame as an inter frame on the
 *                final state of encode(k-1)                       (parallel; not for a
 *                                                                  group's first chunk)
 *   rebase(k)    reencode(k)'s frame decoded on the real final state of chunk k-1, then
 *                chunk k's other frames rebased onto that chain    (serial within a group)
 * A group's first chunk is final as encode(k) made it. The chunks' final frames, in order,
 * make the stream: one key frame per group, as many frames as the input.
 *
 * Task outputs are files in a work directory (frames: a sequence of 4-byte little-endian
 * lengths and bytes; states: excam_vp8_state_serialize's bytes), written atomically. The
 * local executor forks `workers` worker processes once and hands them ready tasks;
 * since tasks are pure, the output is the same bytes for any number of workers and any
 * order of completion.
 */
#ifndef EXCAM_TOOLS_PIPELINE_H
#define EXCAM_TOOLS_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "excam/vp8.h"

typedef struct pipeline_opts {
    int chunk;          /* n >= 1 */
    int rebase;         /* x >= 1 */
    int workers;        /* >= 1 */
    int q_key, q_inter; /* quantizer indices 0..127 */
    int speed, token_partitions, sharpness;
    int verify;         /* encoder self-check */
    int quiet;          /* no progress on stderr */
    unsigned shuffle;   /* test hook (EXCAM_PIPELINE_SHUFFLE): 0, or a seed that makes the
                         * executor start ready tasks in random order, with random delays */
} pipeline_opts;

typedef struct pipeline_frame {
    uint8_t *data;
    size_t len;
} pipeline_frame;

/* CPU seconds (user + system) of the tasks of each kind, and the frames they made:
 * [0] encode, [1] re-encode, [2] rebase. */
typedef struct pipeline_stats {
    double cpu[3];
    int frames[3];
} pipeline_stats;

/*
 * Encode frames[0..n) (all of one size). stats may be NULL. On success returns 0 and *out gets n frames
 * (free each .data with free(), then the array). On failure returns -1 with a message in
 * err. Frames are read by the workers from the parent's memory (fork).
 */
int pipeline_encode(excam_image *const *frames, int n, const pipeline_opts *o,
                    pipeline_frame **out, pipeline_stats *stats, char *err, size_t errlen);

#endif
