/* The loop filter over a whole frame (RFC 6386 §15, §9.6 deltas, §10 segments). */
#include "dsp.h"
#include "vp8i.h"

/* §9.6, §10: the filter level of one macroblock, in [0, 63]. */
static int mb_filter_level(const vp8_decoder *d, const vp8_mb_info *mb)
{
    const vp8_frame_header *h = &d->hdr;
    const excam_vp8_state *s = d->s;
    int level = h->filter_level;

    if (h->segmentation_enabled) {
        level = s->seg_abs_delta ? s->seg_lf[mb->segment] : level + s->seg_lf[mb->segment];
        level = level < 0 ? 0 : level > 63 ? 63 : level;
    }
    if (h->lf_delta_enabled) {
        level += s->ref_lf_delta[mb->ref_frame];
        if (mb->ref_frame == VP8_REF_INTRA) {
            if (mb->ymode == VP8_B_PRED)
                level += s->mode_lf_delta[0];
        } else if (mb->ymode == VP8_MV_ZERO) {
            level += s->mode_lf_delta[1];
        } else if (mb->ymode == VP8_MV_SPLIT) {
            level += s->mode_lf_delta[3];
        } else {
            level += s->mode_lf_delta[2];
        }
        level = level < 0 ? 0 : level > 63 ? 63 : level;
    }
    return level;
}

/* §15.4 (libvpx's sharpness-adjusted limits): interior limit for a level. */
static int interior_limit(int level, int sharpness)
{
    int limit = level >> ((sharpness > 0) + (sharpness > 4));
    if (sharpness > 0 && limit > 9 - sharpness)
        limit = 9 - sharpness;
    return limit < 1 ? 1 : limit;
}

/* §15.4: high edge variance threshold. */
static int hev_threshold(int level, int key_frame)
{
    if (level >= 40)
        return key_frame ? 2 : 3;
    if (level >= 20)
        return key_frame ? 1 : 2;
    return level >= 15 ? 1 : 0;
}

static void filter_mb_normal(const vp8_dsp *dsp, uint8_t *p[3], const ptrdiff_t stride[3],
                             int mb_row, int mb_col, int level, int sharpness, int key_frame,
                             int inner)
{
    int I = interior_limit(level, sharpness);
    int hev = hev_threshold(level, key_frame);
    int mbE = (level + 2) * 2 + I, subE = level * 2 + I;

    if (mb_col > 0) {
        dsp->lf_mbedge_v(p[0], stride[0], 16, mbE, I, hev);
        dsp->lf_mbedge_uv_v(p[1], p[2], stride[1], mbE, I, hev);
    }
    if (inner) {
        for (int x = 4; x < 16; x += 4)
            dsp->lf_inner_v(p[0] + x, stride[0], 16, subE, I, hev);
        dsp->lf_inner_uv_v(p[1] + 4, p[2] + 4, stride[1], subE, I, hev);
    }
    if (mb_row > 0) {
        dsp->lf_mbedge_h(p[0], stride[0], 16, mbE, I, hev);
        dsp->lf_mbedge_uv_h(p[1], p[2], stride[1], mbE, I, hev);
    }
    if (inner) {
        for (int y = 4; y < 16; y += 4)
            dsp->lf_inner_h(p[0] + y * stride[0], stride[0], 16, subE, I, hev);
        dsp->lf_inner_uv_h(p[1] + 4 * stride[1], p[2] + 4 * stride[2], stride[1], subE, I, hev);
    }
}

/* §15.2: the simple filter touches luma only. */
static void filter_mb_simple(const vp8_dsp *dsp, uint8_t *y, ptrdiff_t stride, int mb_row,
                             int mb_col, int level, int sharpness, int inner)
{
    int I = interior_limit(level, sharpness);
    int mbE = (level + 2) * 2 + I, subE = level * 2 + I;

    if (mb_col > 0)
        dsp->lf_simple_v(y, stride, 16, mbE);
    if (inner)
        for (int x = 4; x < 16; x += 4)
            dsp->lf_simple_v(y + x, stride, 16, subE);
    if (mb_row > 0)
        dsp->lf_simple_h(y, stride, 16, mbE);
    if (inner)
        for (int r = 4; r < 16; r += 4)
            dsp->lf_simple_h(y + r * stride, stride, 16, subE);
}

void vp8_loop_filter_mbs(vp8_decoder *d, int r, int col0, int col1)
{
    vp8_frame *f = d->cur;
    const vp8_frame_header *h = &d->hdr;

    for (int c = col0; c < col1; c++) {
        const vp8_mb_info *mb = vp8_mbi(d, r, c);
        int level = mb_filter_level(d, mb);
        /* Subblock edges are skipped for macroblocks with no residue whose
         * prediction covers the whole macroblock at once. */
        int inner = mb->ymode == VP8_B_PRED || mb->ymode == VP8_MV_SPLIT || !mb->skip;
        uint8_t *p[3] = {f->plane[0] + (ptrdiff_t)r * 16 * f->stride[0] + c * 16,
                         f->plane[1] + (ptrdiff_t)r * 8 * f->stride[1] + c * 8,
                         f->plane[2] + (ptrdiff_t)r * 8 * f->stride[2] + c * 8};
        if (!level)
            continue;
        if (h->filter_type)
            filter_mb_simple(d->dsp, p[0], f->stride[0], r, c, level, h->sharpness, inner);
        else
            filter_mb_normal(d->dsp, p, f->stride, r, c, level, h->sharpness, h->key_frame,
                             inner);
    }
}

void vp8_loop_filter_row(vp8_decoder *d, int r) { vp8_loop_filter_mbs(d, r, 0, d->cur->mb_cols); }

void vp8_loop_filter_frame(vp8_decoder *d)
{
    for (int r = 0; r < d->cur->mb_rows; r++)
        vp8_loop_filter_row(d, r);
}
