/*
 * Hot pixel kernels behind a function table (dav1d/libvpx-rtcd style).
 * Every kernel has a plain-C reference (`*_c`); optimized versions may replace
 * them at init, and tests/test_dsp.c checks each against its reference on random
 * input. vp8_dsp_init(dsp, 1) forces the C versions.
 *
 * All kernels are bit-exact with RFC 6386 (and thus libvpx). Pixel values are in
 * [0, 255]; results are clamped to that range where the RFC clamps.
 */
#ifndef EXCAM_CODEC_DSP_H
#define EXCAM_CODEC_DSP_H

#include <stddef.h>
#include <stdint.h>

/* Intra modes shared by 16x16 luma and 8x8 chroma (RFC 6386 §11.2, §12.2). */
enum { VP8_DC_PRED = 0, VP8_V_PRED = 1, VP8_H_PRED = 2, VP8_TM_PRED = 3, VP8_B_PRED = 4 };

/* 4x4 luma subblock intra modes (RFC 6386 §11.2 `intra_bmode`, §12.3). */
enum {
    VP8_B_DC_PRED = 0, VP8_B_TM_PRED, VP8_B_VE_PRED, VP8_B_HE_PRED, VP8_B_LD_PRED,
    VP8_B_RD_PRED, VP8_B_VR_PRED, VP8_B_VL_PRED, VP8_B_HD_PRED, VP8_B_HU_PRED,
    VP8_NUM_BMODES
};

/* Sizes for the sub-pixel predictors: index into sixtap[] / bilinear[]. 8x4: two
 * side-by-side 4x4 subblocks with the same vector, predicted at once (libvpx's
 * build_inter_predictors2b). */
enum { VP8_PRED_16x16 = 0, VP8_PRED_8x8 = 1, VP8_PRED_4x4 = 2, VP8_PRED_8x4 = 3 };

typedef void (*vp8_subpel_fn)(uint8_t *dst, ptrdiff_t dst_stride,
                              const uint8_t *src, ptrdiff_t src_stride, int mx, int my);
typedef void (*vp8_lf_normal_fn)(uint8_t *dst, ptrdiff_t stride, int count,
                                 int edge_limit, int interior_limit, int hev_thresh);
typedef void (*vp8_lf_uv_fn)(uint8_t *u, uint8_t *v, ptrdiff_t stride, int edge_limit,
                             int interior_limit, int hev_thresh);
typedef void (*vp8_lf_simple_fn)(uint8_t *dst, ptrdiff_t stride, int count, int edge_limit);
/* Which edges of a macroblock the loop filter visits (§15.1, §20.6 "loopfilter_mb"). */
enum { VP8_LF_LEFT = 1, VP8_LF_TOP = 2, VP8_LF_INNER = 4 };
typedef void (*vp8_lf_mb_fn)(uint8_t *y, uint8_t *u, uint8_t *v, ptrdiff_t y_stride,
                             ptrdiff_t uv_stride, int edges, int mb_limit, int sub_limit,
                             int interior_limit, int hev_thresh);
typedef void (*vp8_lf_simple_mb_fn)(uint8_t *y, ptrdiff_t stride, int edges, int mb_limit,
                                    int sub_limit);

/* Dead-zone quantizer of one 4x4 block (the encoder's, libvpx's rounding; see
 * enc_quant.c). coef[16]: transform coefficients in raster order. q, round, zbin, iq:
 * the block type's quantizer, [0] for the DC and [1] for the AC coefficients, with
 * q in [1, 2048], round and zbin in [0, 32767] and iq = 2^16 / q (rounded down).
 * Coefficients before `first` (0 or 1) are not coded. For each coded coefficient x
 * of magnitude a: level = a < zbin ? 0 : min((a + round) / q, 2048), with the sign
 * of x. Writes levels[16] in zigzag order (zero before `first`) and dq[16] =
 * level * q in raster order (the dequantized coefficients, truncated to 16 bits);
 * returns the eob: the zigzag index after the last nonzero level, `first` if none. */
typedef int (*vp8_quantize_fn)(const int16_t coef[16], int first, const int16_t q[2],
                               const int16_t round[2], const int16_t zbin[2],
                               const uint32_t iq[2], int16_t levels[16], int16_t dq[16]);

/* Instruction sets (codec/cpu.c). */
enum { VP8_CPU_SSE2 = 1, VP8_CPU_SSSE3 = 2, VP8_CPU_SSE41 = 4, VP8_CPU_AVX2 = 8 };

typedef struct vp8_dsp {
    unsigned cpu_flags; /* the instruction sets the kernels below were chosen for */

    /* §14.3: inverse Walsh-Hadamard transform of the Y2 block. in[16] is raster order;
     * out[16 * i] receives the DC of luma subblock i (i = 0..15, raster order). */
    void (*iwht)(const int16_t in[16], int16_t *out);
    /* §14.4: inverse DCT of in[16] (dequantized, raster order), added to the 4x4
     * predictor at dst with clamping to [0,255]. */
    void (*idct_add)(const int16_t in[16], uint8_t *dst, ptrdiff_t stride);
    /* Same, for a block whose only nonzero coefficient is the DC: adds (dc + 4) >> 3. */
    void (*idct_dc_add)(int dc, uint8_t *dst, ptrdiff_t stride);
    /* idct_dc_add on four blocks at once, block i's DC in dc[i][0] (rows of 16
     * coefficients, as the decoder keeps them): y4 side by side (16x4 pixels, a row of
     * luma subblocks), uv4 two by two (8x8 pixels, the subblocks of U or V in raster
     * order). */
    void (*idct_dc_add_y4)(const int16_t (*dc)[16], uint8_t *dst, ptrdiff_t stride);
    void (*idct_dc_add_uv4)(const int16_t (*dc)[16], uint8_t *dst, ptrdiff_t stride);

    /* §18.3: predict a block of the given size from the reference at `src` (the full-pel
     * position of the block's top-left pixel). mx, my in [0,7] are the eighth-pel
     * fractions (index into the filter table). The six-tap filter reads src from
     * 2 rows/cols before to 3 after the block; bilinear reads 1 row/col after.
     * First the horizontal pass (on the rows the vertical pass needs), rounded, shifted
     * by 7 and clamped, then the vertical pass on that; mx = my = 0 is a plain copy. */
    vp8_subpel_fn sixtap[4];
    vp8_subpel_fn bilinear[4];
    /* The two passes of sixtap[VP8_PRED_16x16] apart, for the encoder's whole-MB
     * predictions (enc_lumacache.c: one horizontal pass serves the vectors of a column).
     * sixtap_h16: the horizontal pass with filter mx in [1, 7] of `rows` rows (>= 1),
     * 16 wide: reads src[-2] .. src[18] of each row. sixtap_v16_sse: the SSE of the
     * 16x16 block at a against the vertical pass with filter my in [1, 7] of the
     * 16-wide rows at p, which is not stored: reads rows -2 .. 18 of p, columns 0..15.
     * Both give the pixels of sixtap[VP8_PRED_16x16] (the same rounding and clamping
     * after each pass). */
    void (*sixtap_h16)(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t *src,
                       ptrdiff_t src_stride, int mx, int rows);
    uint32_t (*sixtap_v16_sse)(const uint8_t *a, ptrdiff_t as, const uint8_t *p, ptrdiff_t ps,
                               int my);

    /* §15.3 normal loop filter. `dst` points at q0, the first pixel after the edge.
     * *_h: a horizontal edge (p-pixels are rows above dst): filters `count` columns.
     * *_v: a vertical edge (p-pixels are columns left of dst): filters `count` rows.
     * mbedge: the macroblock-edge filter (modifies p2..q2); inner: subblock edges
     * (modifies p1..q1). edge_limit is E, interior_limit is I, hev_thresh as in §15.3. */
    vp8_lf_normal_fn lf_mbedge_h, lf_mbedge_v, lf_inner_h, lf_inner_v;
    /* The same on the U and V planes at once (8 pixels of each, same stride). */
    vp8_lf_uv_fn lf_mbedge_uv_h, lf_mbedge_uv_v, lf_inner_uv_h, lf_inner_uv_v;
    /* §15.2 simple loop filter on luma, same geometry; edge_limit as computed in §15.2. */
    vp8_lf_simple_fn lf_simple_h, lf_simple_v;
    /* A whole macroblock at once, as the decoder filters: y, u, v point at its top-left
     * pixels. In the order of §15.1: the left macroblock edge (VP8_LF_LEFT, limit
     * mb_limit), the inner vertical edges (VP8_LF_INNER, sub_limit), the top macroblock
     * edge (VP8_LF_TOP), the inner horizontal edges; each on Y, then U and V. The same
     * as the edge kernels above in that order (tests/test_dsp.c), in one call with the
     * pixels kept in registers between edges. lf_simple_mb: luma only (§15.2). */
    vp8_lf_mb_fn lf_normal_mb;
    vp8_lf_simple_mb_fn lf_simple_mb;

    /* §12.2/§12.3: 16x16 luma (pred16) and 8x8 chroma (pred8) intra prediction.
     * above[-1] is the top-left pixel, above[0..n-1] the row above, left[0..n-1] the
     * column to the left (the caller supplies 127/129 edge values per §12.2).
     * have_above / have_left only affect DC_PRED (average of the available edges,
     * 128 when neither is available). */
    void (*pred16)(uint8_t *dst, ptrdiff_t stride, int mode, const uint8_t *above,
                   const uint8_t *left, int have_above, int have_left);
    void (*pred8)(uint8_t *dst, ptrdiff_t stride, int mode, const uint8_t *above,
                  const uint8_t *left, int have_above, int have_left);
    /* §12.3: 4x4 subblock prediction. above[-1] is the top-left pixel, above[0..3]
     * the row above, above[4..7] the row above-right; left[0..3] the column to the left. */
    void (*pred4)(uint8_t *dst, ptrdiff_t stride, int bmode, const uint8_t *above,
                  const uint8_t *left);

    /* Encoder metrics (dsp_enc.c). sse[size]: sum of squared differences of two blocks,
     * size as in sixtap[]. */
    /* SAD of a w x h block, w in {4, 8, 16}, h a multiple of 2 (motion search). */
    uint32_t (*sad_wh)(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w,
                       int h);
    uint32_t (*sse[3])(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs);
    /* Sub-pixel motion search (libvpx's vp8_sub_pixel_variance, without the mean): the
     * SSE of the w x h block at a against the reference at ref predicted with the
     * bilinear filter of §18.3 (as bilinear[]) at eighth-pel fraction mx, my in [0, 7];
     * w and h in {4, 8, 16}. Reads ref one row and one column past the block. */
    uint32_t (*sse_bilinear)(const uint8_t *a, ptrdiff_t as, const uint8_t *ref, ptrdiff_t rs,
                             int mx, int my, int w, int h);

    /* Encoder transform and quantizer (dsp_enc.c), the encoder's hot path.
     * fdct4x4: libvpx's forward DCT (vp8_short_fdct4x4_c), the approximate inverse of
     * idct_add: `in` is a 4x4 residual (rows in_stride apart, values in [-255, 255],
     * the difference of two pixels), out[16] the coefficients in raster order. */
    void (*fdct4x4)(const int16_t *in, ptrdiff_t in_stride, int16_t out[16]);
    vp8_quantize_fn quantize;
} vp8_dsp;

/* Fill `dsp` with the best kernels that use only the instruction sets in cpu_flags
 * (VP8_CPU_*; 0: the C references). The flags must be a subset of vp8_cpu_detect()'s. */
void vp8_dsp_init(vp8_dsp *dsp, unsigned cpu_flags);

/* The C references, for the tests (the same as vp8_dsp_init(dsp, 0)). */
void vp8_dsp_init_c(vp8_dsp *dsp);

/* cpu.c: what this CPU and OS support; that capped by the EXCAM_CPU environment
 * variable (c, sse2, ssse3, sse4.1, avx2), as the codec uses it; a name for flags. */
unsigned vp8_cpu_detect(void);
unsigned vp8_cpu_flags(void);
const char *vp8_cpu_name(unsigned cpu_flags);

#endif /* EXCAM_CODEC_DSP_H */
