/* Picture quality against the source: PSNR and SSIM, accumulated over a stream the
 * way vpxenc --psnr / --ssim report them. */
#ifndef EXCAM_TOOLS_QUALITY_H
#define EXCAM_TOOLS_QUALITY_H

#include <stdint.h>

#include "excam/vp8.h"

typedef struct quality {
    uint64_t sse[3], samples[3]; /* totals per plane */
    double psnr_sum[4];          /* per-frame PSNR summed: all planes, Y, U, V */
    double ssim_sum[4];          /* per-frame SSIM summed: weighted (0.8 Y, 0.1 U, 0.1 V), Y, U, V */
    unsigned frames;
} quality;

/* Add one frame (same size). ssim: also compute SSIM (slower). */
void quality_add(quality *q, const excam_image *ref, const excam_image *img, int ssim);
/* PSNR from an SSE over n 8-bit samples, capped at 100 dB. */
double quality_psnr(uint64_t sse, uint64_t n);

#endif
