/*
 * A first pass for bitrate targets (--end-usage vbr/cbr --target-bitrate) when the
 * quantizer must be chosen before the encode starts: the ExCamera pipeline gives every
 * chunk's tasks the job's quantizers, fixed when the job is submitted.
 *
 * While the input is read, groups of a few consecutive frames spread over the whole
 * video (systematic sampling whose step doubles as the video turns out longer: the
 * length of a Y4M on stdin is not known ahead) are encoded, a key frame and then inter
 * frames, at two quantizers. From their sizes a model of bits per frame against the
 * quantizer (log-linear: size halves every so many steps, fitted on the samples, key
 * and inter frames apart) gives the finest quantizer whose predicted bitrate for the
 * whole job (its key frames and its inter frames) stays within the target.
 */
#ifndef EXCAM_TOOLS_FIRSTPASS_H
#define EXCAM_TOOLS_FIRSTPASS_H

#include <stddef.h>
#include <stdint.h>

#include "excam/vp8.h"

typedef struct firstpass firstpass;

/* For frames of width x height; samples encoded at `speed` (0..9). NULL: no memory. */
firstpass *firstpass_new(int width, int height, int speed);
void firstpass_free(firstpass *fp);

/* The input's length in frames, if known (a file): the groups are then spaced evenly
 * from the start and none is coded in vain (otherwise the sample is thinned as the
 * input turns out longer, which codes up to about twice as many groups). */
void firstpass_set_length(firstpass *fp, long frames);

/* The frames of each sample group (a key frame and then inter frames). */
int firstpass_group_frames(const firstpass *fp);

/* 1 if the group starting at input frame `frame` (0-based; groups start where the
 * caller's chunks start, frames must come in increasing order) is to be sampled. */
int firstpass_want(firstpass *fp, long frame);

/* Encode the group (n frames, at most firstpass_group_frames) starting at `frame`,
 * which firstpass_want accepted. 0, or an EXCAM_ERR_* code. */
int firstpass_add(firstpass *fp, long frame, excam_image *const *frames, int n);

/* The key frames' quantizer index for inter index q: 3/4 of it, not below lo (as
 * ratectl.c makes them). */
int firstpass_key_q(int q, int lo);

/* The quantizer index (0..127) for a job of `frames` frames of which `keys` are key
 * frames (coded at 3/4 of the index, not below lo, as ratectl.c and the pipeline do) and
 * `firsts` are the pipeline's re-encoded first frames (inter frames at task_first_q's
 * quantizer; 0 for a serial encode) at `fps`: the smallest index in [lo, hi] whose
 * predicted bitrate is at most target_kbps (hi if none is). *pred_kbps: the prediction
 * at that index. -1 if no sample was taken. */
int firstpass_pick(const firstpass *fp, long frames, long keys, long firsts, double fps,
                   double target_kbps, int lo, int hi, double *pred_kbps);

/* Per-chunk quantizers for the pipeline (vpxenc's two-pass section allocation, by
 * chunks): chunk c (of n) has frames[c] frames whose measures (complexity.h) sum to
 * err[c]; chunks c with c % x == 0 start a group (a key frame), the others have a
 * re-encoded first frame. q is the job's constant quantizer (firstpass_pick). Each
 * chunk's share of the bits is what it takes at q times (its error a frame over the
 * mean) ^ (bias_pct / 100 - 1): 100 keeps the constant quantizer, 0 gives every chunk
 * the same bitrate; the shares are scaled to the target and each chunk's bitrate kept
 * within [min_pct, max_pct] percent of it. out[c]: the finest inter index in [lo, hi]
 * whose predicted bits fit the chunk's share (its key frame at 3/4 of it, not below
 * lo). *pred_kbps: the predicted bitrate. 0; -1 on bad arguments or no sample, -2 no
 * memory. */
int firstpass_pick_chunks(const firstpass *fp, const double *err, const int *frames, int n,
                          int x, double fps, double target_kbps, int lo, int hi, int q,
                          int bias_pct, int min_pct, int max_pct, uint8_t *out,
                          double *pred_kbps);

/* The samples taken: groups and frames encoded (each at every model quantizer). */
void firstpass_stats(const firstpass *fp, int *groups, int *frames);

/* One line on stderr: the samples, the quantizer index picked and its prediction. */
void firstpass_report(const firstpass *fp, int q, double pred_kbps, double target_kbps);

#endif
