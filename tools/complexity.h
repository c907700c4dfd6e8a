/*
 * How hard each frame is to code, measured cheaply on every frame of the input, for
 * the pipeline's per-chunk quantizers under a bitrate target (firstpass.h). The first
 * pass codes only a sample of the video; this spreads its model over every chunk.
 *
 * Each frame is coded at half its size (each side; halved again down to 720p) at the
 * fastest speed and one quantizer, an inter frame predicted from the one before: its
 * size in bits is the measure. Chunks of 6 at one quantizer, log of a chunk's bits
 * against log of its measure: correlation 0.94 (foreman CIF), 0.93 (flower 720p, 120
 * frames), 0.97 (street 1080p, 108 frames). Rejected: sums of absolute differences
 * after a whole-pel search (libvpx's first pass: a chunk's error spanned 3x where its
 * bits spanned 2.4x, in another order), the picture at a quarter size (0.77 on flower,
 * 0.89 on street: fine texture is lost), every second or third frame only (0.77 and
 * 0.47 on flower).
 *
 * The frames go in order through complexity_add, which halves them and queues them in
 * segments of 48 to a pool of threads (each segment starts from a key frame of the
 * frame before it, not measured; the measures do not depend on the number of threads):
 * while the input is uploaded the machine's other cores measure (no job runs yet).
 * About 15-20 ms a 1080p frame on one core (the encode: ~170); at most 160 MiB of
 * pictures wait at once.
 */
#ifndef EXCAM_TOOLS_COMPLEXITY_H
#define EXCAM_TOOLS_COMPLEXITY_H

#include "excam/vp8.h"

typedef struct complexity complexity;

#define COMPLEXITY_MAX_THREADS 16

/* For frames of width x height, measured by `threads` threads (1..16). NULL: no
 * memory or no thread. */
complexity *complexity_new(int width, int height, int threads);

/* The next frame (width x height). It is halved here and measured by the threads;
 * waits while too many pictures are queued. 0, or EXCAM_ERR_NOMEM (then every later
 * call fails too). */
int complexity_add(complexity *c, const excam_image *img);

/* Wait for every frame's measure: *measures[i] for frame i (bits, >= 1; owned by c,
 * valid until complexity_free), *n frames. 0, or EXCAM_ERR_NOMEM. */
int complexity_finish(complexity *c, const double **measures, long *n);

/* Stops the threads (after they measure what is queued) and frees everything. */
void complexity_free(complexity *c);

#endif
