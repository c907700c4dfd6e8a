/*
 * The tasks of the ExCamera[n, x] pipeline (ExCamera, NSDI '17 §4; ../shared/DESIGN.md §2)
 * as pure functions from bytes to bytes, so that any executor can run them: the local
 * one (pipeline.c: files in a work directory) and the networked workers (blobs named by
 * their hash). The same inputs give the same output bytes, on any machine, any number of
 * times.
 *
 *   encode(k)    chunk k's source frames -> its frames, encoded on their own from a key
 *                frame, and the final state (stage 1)
 *   reencode(k)  chunk k's first source frame + encode(k-1)'s final state -> that frame
 *                as an inter frame on it (stage 2)
 *   rebase(k)    chunk k's source frames + reencode(k)'s frame + encode(k)'s frames +
 *                encode(k-1)'s final state + the real final state of chunk k-1 -> chunk
 *                k's frames on the real chain, and its final state (stage 3)
 *
 * Blob formats:
 *   frames  (u32 little-endian length, frame bytes)*
 *   state   excam_vp8_state_serialize's bytes (versioned, checksummed; the tasks parse
 *           them without recomputing the checksum: callers pass bytes they fetched by
 *           content hash, or made themselves)
 *   source  "EXCAMSRC", u32 LE version (1), width, height, frame count, then each
 *           frame's I420 planes, rows packed (Y: w x h, U and V: ceil(w/2) x ceil(h/2))
 */
#ifndef EXCAM_TOOLS_TASKS_H
#define EXCAM_TOOLS_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "excam/vp8.h"

/* What the tasks of one job share, plus where the chunk sits in it. */
typedef struct task_params {
    int q_key, q_inter;   /* quantizer indices 0..127 */
    int q_first;          /* reencode(k)'s frame (task_first_q), 0..q_key */
    int speed, token_partitions, sharpness;
    int verify;           /* encoder self-check */
    int group_start;      /* encode(k): this chunk starts a group (its key frame is final) */
    int stage1_libvpx;    /* encode(k) with libvpx's encoder (tools/stage1_vpx.c) */
    int first_frame;      /* the chunk's first frame in the video (0-based; for messages) */
} task_params;

/* A malloc'd byte buffer (free .data with free()). */
typedef struct task_buf {
    uint8_t *data;
    size_t len;
} task_buf;

/* A frames blob, parsed: .data of each frame points into the blob. */
typedef struct task_frames {
    const uint8_t **data;
    size_t *len;
    int n;
} task_frames;

/* Parse a frames blob; 0, or -1 when it is malformed. Free with task_frames_free. */
int task_frames_parse(const uint8_t *blob, size_t len, task_frames *out);
void task_frames_free(task_frames *f);

/* The source blob of frames[0..n) (all of one size); 0, or -1 (out of memory). */
int task_source_pack(excam_image *const *frames, int n, task_buf *out);
/* Parse a source blob into n new images (free each with excam_image_free, then the
 * array with free()); 0, or -1 with the reason in err. */
int task_source_unpack(const uint8_t *blob, size_t len, excam_image ***frames, int *n,
                       char *err, size_t errlen);

/* The quantizer of the re-encoded first frame of a chunk: finer than the key frames' by
 * half their step from the inter frames' (q_key - (q_inter - q_key) / 2), not below
 * min_q. Every chunk's first frame refreshes golden and is what its other frames and the
 * next chunk's first frame predict from, as a golden frame does in the serial encode.
 * The same as q_key when that equals q_inter (a fixed quantizer). */
int task_first_q(int q_key, int q_inter, int min_q);

/* The tasks. Each returns 0 and fills its outputs (malloc'd), or -1 with a message in err
 * (naming the video's frame where there is one). */
int task_encode(excam_image *const *src, int n, const task_params *p, task_buf *frames,
                task_buf *state, char *err, size_t errlen);
int task_reencode(const excam_image *first, const uint8_t *prev_state, size_t prev_state_len,
                  const task_params *p, task_buf *frame, char *err, size_t errlen);
int task_rebase(excam_image *const *src, int n, const uint8_t *re_frames, size_t re_len,
                const uint8_t *enc_frames, size_t enc_len, const uint8_t *stage1_prev,
                size_t stage1_prev_len, const uint8_t *real_prev, size_t real_prev_len,
                const task_params *p, task_buf *frames, task_buf *state, char *err,
                size_t errlen);

#endif
