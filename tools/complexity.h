/*
 * How hard each frame is to code, measured cheaply on every frame of the input, for
 * the pipeline's per-chunk quantizers under a bitrate target (firstpass.h). The first
 * pass codes only a sample of the video; this spreads its model over every chunk.
 *
 * Each frame is coded at half its size (each side) at the fastest speed and one
 * quantizer, an inter frame predicted from the one before (the first a key frame): its
 * size is the measure. Foreman, chunks of 6 at one quantizer: the log of a chunk's
 * bits against the log of its measure has slope 0.87 and correlation 0.94. (Sums of
 * absolute differences after a whole-pel search, as libvpx's first pass, followed the
 * bits too loosely: a chunk's error a frame spanned 3x, its bits 2.4x, in a different
 * order; coded at a quarter size the correlation was 0.74: fine texture is lost.)
 *
 * Costs the client about a fifth of a frame's encode CPU time (foreman CIF: 1.7 of
 * 8.4 ms), which is why the pipeline measures only when the bias asks for it.
 */
#ifndef EXCAM_TOOLS_COMPLEXITY_H
#define EXCAM_TOOLS_COMPLEXITY_H

#include "excam/vp8.h"

typedef struct complexity complexity;

/* For frames of width x height. NULL: no memory. */
complexity *complexity_new(int width, int height);
void complexity_free(complexity *c);

/* The measure of img (width x height) after the frames given before it: bits, >= 1. */
double complexity_frame(complexity *c, const excam_image *img);

#endif
