/* Helpers shared by the C reference kernels. */
#ifndef EXCAM_CODEC_DSP_COMMON_H
#define EXCAM_CODEC_DSP_COMMON_H

#include <stdint.h>

/* x86 SIMD kernels: files dsp_*_<isa>.c. Each file of a level above SSE2 brackets its
 * code with EXCAM_TARGET_BEGIN("ssse3") ... EXCAM_TARGET_END, so that it builds with
 * the ordinary flags (no -mssse3: the rest of the codec must run on any x86-64) and
 * runs only after cpu.c found the instructions. */
#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE2__))
#define EXCAM_X86 1
#else
#define EXCAM_X86 0
#endif
#define EXCAM_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define EXCAM_TARGET_BEGIN(isa) \
    EXCAM_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define EXCAM_TARGET_END _Pragma("clang attribute pop")
#elif defined(__GNUC__)
#define EXCAM_TARGET_BEGIN(isa) _Pragma("GCC push_options") EXCAM_PRAGMA(GCC target(isa))
#define EXCAM_TARGET_END _Pragma("GCC pop_options")
#else
#define EXCAM_TARGET_BEGIN(isa)
#define EXCAM_TARGET_END
#endif

static inline uint8_t clamp255(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* Kernel sets, filled by each dsp_*.c file. */
struct vp8_dsp;
void vp8_dsp_init_idct_c(struct vp8_dsp *d);
void vp8_dsp_init_inter_c(struct vp8_dsp *d);
void vp8_dsp_init_loopfilter_c(struct vp8_dsp *d);
void vp8_dsp_init_intra_c(struct vp8_dsp *d);
void vp8_dsp_init_enc_c(struct vp8_dsp *d);
/* x86: one per file dsp_<area>_<isa>.c */
void vp8_dsp_init_inter_sse2(struct vp8_dsp *d);
void vp8_dsp_init_lf_sse2(struct vp8_dsp *d);
void vp8_dsp_init_idct_sse2(struct vp8_dsp *d);
void vp8_dsp_init_enc_sse2(struct vp8_dsp *d);
void vp8_dsp_init_intra_sse2(struct vp8_dsp *d);
void vp8_dsp_init_inter_ssse3(struct vp8_dsp *d);
void vp8_dsp_init_inter_avx2(struct vp8_dsp *d);
void vp8_dsp_init_lf_avx2(struct vp8_dsp *d);
void vp8_dsp_init_enc_avx2(struct vp8_dsp *d);

#endif
