/* Macroblock reconstruction: intra prediction (RFC 6386 §12), inter prediction
 * (§18) and residue summation (§14). */
#include <string.h>

#include "dsp.h"
#include "vp8i.h"

/* ------------------------------------------------------------ intra edges */

/*
 * §12.2: above the frame the "row above" is 127 and left of it the "column to the
 * left" is 129; the pixel above-left of the first row is 127. The new frame's
 * border holds these values until the frame is done and its edges are extended.
 */
void vp8_recon_setup_row(vp8_decoder *d, int mb_row)
{
    vp8_frame *f = d->cur;
    if (mb_row == 0) {
        memset(f->plane[0] - f->stride[0] - 1, 127, (size_t)f->mb_cols * 16 + 5);
        memset(f->plane[1] - f->stride[1] - 1, 127, (size_t)f->mb_cols * 8 + 5);
        memset(f->plane[2] - f->stride[2] - 1, 127, (size_t)f->mb_cols * 8 + 5);
    }
    for (int p = 0; p < 3; p++) {
        int rows = p ? 8 : 16;
        uint8_t *col = f->plane[p] + (ptrdiff_t)mb_row * rows * f->stride[p] - 1;
        for (int y = 0; y < rows; y++)
            col[y * f->stride[p]] = 129;
    }
}

/* The pixels above-right of the last macroblock of a row repeat the row's last
 * pixel (libvpx vp8_extend_mb_row); the next row's subblock prediction reads them. */
void vp8_recon_finish_row(vp8_decoder *d, int mb_row)
{
    vp8_frame *f = d->cur;
    uint8_t *p = f->plane[0] + ((ptrdiff_t)mb_row * 16 + 15) * f->stride[0] + f->mb_cols * 16;
    memset(p, p[-1], 4);
}

static void left_column(const uint8_t *dst, ptrdiff_t stride, int n, uint8_t *left)
{
    for (int i = 0; i < n; i++)
        left[i] = dst[i * stride - 1];
}

/* §12.3: 16 subblocks predicted and reconstructed one by one, in raster order. */
static void predict_bpred(vp8_decoder *d, uint8_t *y, ptrdiff_t stride, const vp8_mb_info *mb,
                          int16_t coeffs[25][16], const uint8_t eobs[25])
{
    /* Above-right of the subblocks in the right column: the row above the
     * macroblock, right of it (also for the lower ones, not yet decoded there). */
    const uint8_t *mb_above_right = y - stride + 16;
    for (int b = 0; b < 16; b++) {
        uint8_t *dst = y + (b >> 2) * 4 * stride + (b & 3) * 4;
        uint8_t edge[9], left[4];
        memcpy(edge, dst - stride - 1, 5);
        memcpy(edge + 5, (b & 3) == 3 ? mb_above_right : dst - stride + 4, 4);
        left_column(dst, stride, 4, left);
        d->dsp->pred4(dst, stride, mb->bmodes[b], edge + 1, left);
        if (eobs[b] > 1)
            d->dsp->idct_add(coeffs[b], dst, stride);
        else if (eobs[b] == 1)
            d->dsp->idct_dc_add(coeffs[b][0], dst, stride);
    }
}

static void predict_intra(vp8_decoder *d, int mb_row, int mb_col, uint8_t *dst[3],
                          const vp8_mb_info *mb, int16_t coeffs[25][16], const uint8_t eobs[25])
{
    const vp8_frame *f = d->cur;
    uint8_t left[16];
    int have_above = mb_row > 0, have_left = mb_col > 0;

    if (mb->ymode == VP8_B_PRED) {
        predict_bpred(d, dst[0], f->stride[0], mb, coeffs, eobs);
    } else {
        left_column(dst[0], f->stride[0], 16, left);
        d->dsp->pred16(dst[0], f->stride[0], mb->ymode, dst[0] - f->stride[0], left, have_above,
                       have_left);
    }
    for (int p = 1; p < 3; p++) {
        left_column(dst[p], f->stride[p], 8, left);
        d->dsp->pred8(dst[p], f->stride[p], mb->uvmode, dst[p] - f->stride[p], left, have_above,
                      have_left);
    }
}

/* ------------------------------------------------------------ inter */

#if defined(__GNUC__)
#define RECON_INLINE static inline __attribute__((always_inline))
#define RECON_NOINLINE static __attribute__((noinline))
#else
#define RECON_INLINE static inline
#define RECON_NOINLINE static
#endif

static inline void subpel(const vp8_decoder *d, int size_index, uint8_t *dst, ptrdiff_t dst_stride,
                          const uint8_t *src, ptrdiff_t src_stride, int mx, int my)
{
    if (d->hdr.version == 0)
        d->dsp->sixtap[size_index](dst, dst_stride, src, src_stride, mx, my);
    else
        d->dsp->bilinear[size_index](dst, dst_stride, src, src_stride, mx, my);
}

/* The rare block whose filter taps reach past the border: read through a copy with
 * clamped coordinates. Out of line, so that predict_block stays small. */
/* A block's width and height by its size index (VP8_PRED_*). */
static inline int pred_w(int size_index)
{
    return size_index == VP8_PRED_16x16 ? 16 : size_index == VP8_PRED_4x4 ? 4 : 8;
}
static inline int pred_h(int size_index)
{
    return size_index == VP8_PRED_16x16 ? 16 : size_index == VP8_PRED_8x8 ? 8 : 4;
}

RECON_NOINLINE void predict_block_clamped(const vp8_decoder *d, const vp8_frame *ref, int plane,
                                          int x, int y, int mx, int my, int size_index,
                                          uint8_t *dst, ptrdiff_t dst_stride)
{
    const int bw = pred_w(size_index), bh = pred_h(size_index);
    const int w = plane ? ref->mb_cols * 8 : ref->mb_cols * 16;
    const int h = plane ? ref->mb_rows * 8 : ref->mb_rows * 16;
    const ptrdiff_t stride = ref->stride[plane];
    const uint8_t *base = ref->plane[plane];
    uint8_t tmp[(16 + 5) * (16 + 5)];

    for (int j = 0; j < bh + 5; j++) {
        int yy = y - 2 + j;
        yy = yy < 0 ? 0 : yy >= h ? h - 1 : yy;
        for (int i = 0; i < bw + 5; i++) {
            int xx = x - 2 + i;
            xx = xx < 0 ? 0 : xx >= w ? w - 1 : xx;
            tmp[j * (bw + 5) + i] = base[yy * stride + xx];
        }
    }
    subpel(d, size_index, dst, dst_stride, tmp + 2 * (bw + 5) + 2, bw + 5, mx, my);
}

/*
 * §18: predict a size x size block whose top-left full-pel position in the
 * reference plane is (x, y), with eighth-pel fractions (mx, my). References are
 * extended without limit: where the filter taps would leave the allocated border,
 * the block is read through a copy with clamped coordinates (equivalent, because
 * the border replicates the edges of the macroblock-aligned area). Inlined: its
 * callers pass constant planes and sizes.
 */
RECON_INLINE void predict_block(const vp8_decoder *d, const vp8_frame *ref, int plane, int x,
                                int y, int mx, int my, int size_index, uint8_t *dst,
                                ptrdiff_t dst_stride)
{
    const int bw = pred_w(size_index), bh = pred_h(size_index);
    const int border = plane ? VP8_BORDER / 2 : VP8_BORDER;
    const int w = plane ? ref->mb_cols * 8 : ref->mb_cols * 16;
    const int h = plane ? ref->mb_rows * 8 : ref->mb_rows * 16;

    if (x - 2 < -border || y - 2 < -border || x + bw + 3 > w + border ||
        y + bh + 3 > h + border) {
        predict_block_clamped(d, ref, plane, x, y, mx, my, size_index, dst, dst_stride);
        return;
    }
    subpel(d, size_index, dst, dst_stride, ref->plane[plane] + (ptrdiff_t)y * ref->stride[plane] + x,
           ref->stride[plane], mx, my);
}

/* Arithmetic shift right of a possibly negative vector component. */
static inline int floor_div8(int v) { return v >= 0 ? v >> 3 : -((-v + 7) >> 3); }

RECON_INLINE void predict_mv(vp8_decoder *d, const vp8_frame *ref, int plane, int bx, int by,
                            vp8_mv mv, int size_index, uint8_t *dst, ptrdiff_t stride)
{
    predict_block(d, ref, plane, bx + floor_div8(mv.col), by + floor_div8(mv.row), mv.col & 7,
                  mv.row & 7, size_index, dst, stride);
}

/* §18.1: full-pel chroma vectors for version 3. */
static inline vp8_mv chroma_fullpel(vp8_mv mv, int version)
{
    if (version == 3) {
        mv.row = (int16_t)(mv.row & ~7);
        mv.col = (int16_t)(mv.col & ~7);
    }
    return mv;
}

/* §18.1: average of four luma vectors for a chroma subblock, rounded away from 0. */
static int16_t average4(int a, int b, int c, int e)
{
    int s = a + b + c + e;
    return (int16_t)(s >= 0 ? (s + 4) >> 3 : -((-s + 4) >> 3));
}

void vp8_predict_inter_whole(vp8_decoder *d, int mb_row, int mb_col, const vp8_mb_info *mb,
                             int luma, int chroma, uint8_t *dst[3], const ptrdiff_t stride[3])
{
    const vp8_frame *ref = d->in->ref[mb->ref_frame];
    const int x = mb_col * 16, y = mb_row * 16;
    /* Chroma: the luma vector halved (it is in luma 1/8 pels: chroma 1/8 pels are
     * twice as large), which is exact since luma vectors are even. */
    vp8_mv uv = {(int16_t)(mb->mv.row / 2), (int16_t)(mb->mv.col / 2)};
    uv = chroma_fullpel(uv, d->hdr.version);
    if (luma) predict_mv(d, ref, 0, x, y, mb->mv, VP8_PRED_16x16, dst[0], stride[0]);
    if (chroma) {
        predict_mv(d, ref, 1, x / 2, y / 2, uv, VP8_PRED_8x8, dst[1], stride[1]);
        predict_mv(d, ref, 2, x / 2, y / 2, uv, VP8_PRED_8x8, dst[2], stride[2]);
    }
}

static void predict_inter(vp8_decoder *d, int mb_row, int mb_col, uint8_t *dst[3],
                          const vp8_mb_info *mb)
{
    const vp8_frame *ref = d->in->ref[mb->ref_frame];
    const ptrdiff_t ys = d->cur->stride[0], uvs = d->cur->stride[1];
    const int x = mb_col * 16, y = mb_row * 16;

    if (mb->ymode != VP8_MV_SPLIT) {
        const ptrdiff_t strides[3] = {ys, uvs, uvs};
        vp8_predict_inter_whole(d, mb_row, mb_col, mb, 1, 1, dst, strides);
        return;
    }
    if (mb->partitioning < 3) {
        for (int b = 0; b < 4; b++) {
            int ox = (b & 1) * 8, oy = (b >> 1) * 8;
            predict_mv(d, ref, 0, x + ox, y + oy, mb->bmv[(b >> 1) * 8 + (b & 1) * 2],
                       VP8_PRED_8x8, dst[0] + oy * ys + ox, ys);
        }
    } else {
        /* Side-by-side subblocks with one vector are predicted as one 8x4 block (the
         * same pixels: each output depends only on its own position and the vector). */
        for (int b = 0; b < 16; b += 2) {
            int ox = (b & 3) * 4, oy = (b >> 2) * 4;
            if (vp8_mv_equal(mb->bmv[b], mb->bmv[b + 1])) {
                predict_mv(d, ref, 0, x + ox, y + oy, mb->bmv[b], VP8_PRED_8x4,
                           dst[0] + oy * ys + ox, ys);
            } else {
                predict_mv(d, ref, 0, x + ox, y + oy, mb->bmv[b], VP8_PRED_4x4,
                           dst[0] + oy * ys + ox, ys);
                predict_mv(d, ref, 0, x + ox + 4, y + oy, mb->bmv[b + 1], VP8_PRED_4x4,
                           dst[0] + oy * ys + ox + 4, ys);
            }
        }
    }
    /* §18.1: each chroma subblock takes the average of its four luma subblocks'
     * vectors; a row's two subblocks are predicted at once when those agree. */
    for (int j = 0; j < 2; j++) {
        vp8_mv uv[2];
        for (int i = 0; i < 2; i++) {
            const vp8_mv *m = &mb->bmv[j * 8 + i * 2];
            uv[i].row = average4(m[0].row, m[1].row, m[4].row, m[5].row);
            uv[i].col = average4(m[0].col, m[1].col, m[4].col, m[5].col);
            uv[i] = chroma_fullpel(uv[i], d->hdr.version);
        }
        for (int p = 1; p < 3; p++) {
            uint8_t *row = dst[p] + j * 4 * uvs;
            if (vp8_mv_equal(uv[0], uv[1])) {
                predict_mv(d, ref, p, x / 2, y / 2 + j * 4, uv[0], VP8_PRED_8x4, row, uvs);
            } else {
                predict_mv(d, ref, p, x / 2, y / 2 + j * 4, uv[0], VP8_PRED_4x4, row, uvs);
                predict_mv(d, ref, p, x / 2 + 4, y / 2 + j * 4, uv[1], VP8_PRED_4x4, row + 4,
                           uvs);
            }
        }
    }
}

/* ------------------------------------------------------------ residue */

/* True if the four eobs at e are all 0 or 1: blocks with at most a DC. */
static inline int dc_only4(const uint8_t *e)
{
    uint32_t v;
    memcpy(&v, e, 4);
    return !(v & 0xfefefefeu);
}

/* §14.3-§14.5: inverse transforms added to the prediction. Four blocks that have at
 * most a DC (the common case at medium and low rates) take one call. */
static void add_residue(vp8_decoder *d, uint8_t *dst[3], const vp8_mb_info *mb,
                        int16_t coeffs[25][16], const uint8_t eobs[25])
{
    const vp8_dsp *dsp = d->dsp;
    const ptrdiff_t ys = d->cur->stride[0], uvs = d->cur->stride[1];

    if (mb->ymode != VP8_B_PRED) {
        /* With a Y2 block, the luma DCs come from its inverse WHT (§14.3). */
        if (mb->ymode != VP8_MV_SPLIT)
            dsp->iwht(coeffs[24], &coeffs[0][0]);
        for (int r = 0; r < 4; r++) {
            uint8_t *p = dst[0] + r * 4 * ys;
            if (dc_only4(eobs + 4 * r)) {
                dsp->idct_dc_add_y4((const int16_t (*)[16])coeffs + 4 * r, p, ys);
                continue;
            }
            for (int b = 4 * r; b < 4 * r + 4; b++, p += 4) {
                if (eobs[b] > 1)
                    dsp->idct_add(coeffs[b], p, ys);
                else if (coeffs[b][0])
                    dsp->idct_dc_add(coeffs[b][0], p, ys);
            }
        }
    }
    for (int pl = 0; pl < 2; pl++) {
        const int b0 = 16 + 4 * pl;
        if (dc_only4(eobs + b0)) {
            dsp->idct_dc_add_uv4((const int16_t (*)[16])coeffs + b0, dst[1 + pl], uvs);
            continue;
        }
        for (int b = b0; b < b0 + 4; b++) {
            uint8_t *p = dst[1 + pl] + ((b >> 1) & 1) * 4 * uvs + (b & 1) * 4;
            if (eobs[b] > 1)
                dsp->idct_add(coeffs[b], p, uvs);
            else if (eobs[b] == 1)
                dsp->idct_dc_add(coeffs[b][0], p, uvs);
        }
    }
}

void vp8_reconstruct_mb(vp8_decoder *d, int mb_row, int mb_col, const vp8_mb_info *mb,
                        int has_coeffs, int16_t coeffs[25][16], const uint8_t eobs[25])
{
    vp8_frame *f = d->cur;
    uint8_t *dst[3] = {
        f->plane[0] + (ptrdiff_t)mb_row * 16 * f->stride[0] + mb_col * 16,
        f->plane[1] + (ptrdiff_t)mb_row * 8 * f->stride[1] + mb_col * 8,
        f->plane[2] + (ptrdiff_t)mb_row * 8 * f->stride[2] + mb_col * 8,
    };

    if (mb->ref_frame == VP8_REF_INTRA)
        predict_intra(d, mb_row, mb_col, dst, mb, coeffs, eobs);
    else
        predict_inter(d, mb_row, mb_col, dst, mb);
    if (has_coeffs)
        add_residue(d, dst, mb, coeffs, eobs);
}
