/*
 * Stage 1 of the pipeline with libvpx's encoder (see stage1_vpx.c).
 */
#ifndef EXCAM_TOOLS_STAGE1_VPX_H
#define EXCAM_TOOLS_STAGE1_VPX_H

#include <stddef.h>
#include <stdint.h>

#include "tasks.h"

/* Encode src[0..n) with libvpx from a key frame at p->q_inter; each frame is passed to
 * add(ctx, ...) (nonzero: out of memory). 0, or -1 with the reason in err. */
int stage1_vpx_encode(excam_image *const *src, int n, const task_params *p,
                      int (*add)(void *ctx, const uint8_t *data, size_t len), void *ctx,
                      char *err, size_t errlen);

#endif
