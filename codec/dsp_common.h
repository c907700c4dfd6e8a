/* Helpers shared by the C reference kernels. */
#ifndef EXCAM_CODEC_DSP_COMMON_H
#define EXCAM_CODEC_DSP_COMMON_H

#include <stdint.h>

static inline uint8_t clamp255(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* Kernel sets, filled by each dsp_*.c file. */
struct vp8_dsp;
void vp8_dsp_init_idct_c(struct vp8_dsp *d);
void vp8_dsp_init_inter_c(struct vp8_dsp *d);
void vp8_dsp_init_loopfilter_c(struct vp8_dsp *d);
void vp8_dsp_init_intra_c(struct vp8_dsp *d);
void vp8_dsp_init_enc_c(struct vp8_dsp *d);
void vp8_dsp_init_x86(struct vp8_dsp *d);
void vp8_dsp_init_enc_x86(struct vp8_dsp *d);

#endif
