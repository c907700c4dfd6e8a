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

void vp8_loop_filter_mbs(vp8_decoder *d, int r, int col0, int col1)
{
    vp8_frame *f = d->cur;
    const vp8_frame_header *h = &d->hdr;

    for (int c = col0; c < col1; c++) {
        const vp8_mb_info *mb = vp8_mbi(d, r, c);
        int level = mb_filter_level(d, mb), I, mbE, subE, edges;
        uint8_t *y;
        if (!level)
            continue;
        I = interior_limit(level, h->sharpness);
        mbE = (level + 2) * 2 + I;
        subE = level * 2 + I;
        /* Subblock edges are skipped for macroblocks with no residue whose
         * prediction covers the whole macroblock at once. */
        edges = (c > 0 ? VP8_LF_LEFT : 0) | (r > 0 ? VP8_LF_TOP : 0) |
                (mb->ymode == VP8_B_PRED || mb->ymode == VP8_MV_SPLIT || !mb->skip
                     ? VP8_LF_INNER
                     : 0);
        y = f->plane[0] + (ptrdiff_t)r * 16 * f->stride[0] + c * 16;
        if (h->filter_type) { /* §15.2: the simple filter touches luma only */
            d->dsp->lf_simple_mb(y, f->stride[0], edges, mbE, subE);
        } else {
            ptrdiff_t uvo = (ptrdiff_t)r * 8 * f->stride[1] + c * 8;
            d->dsp->lf_normal_mb(y, f->plane[1] + uvo, f->plane[2] + uvo, f->stride[0],
                                 f->stride[1], edges, mbE, subE, I,
                                 hev_threshold(level, h->key_frame));
        }
    }
}

void vp8_loop_filter_row(vp8_decoder *d, int r) { vp8_loop_filter_mbs(d, r, 0, d->cur->mb_cols); }

void vp8_loop_filter_frame(vp8_decoder *d)
{
    for (int r = 0; r < d->cur->mb_rows; r++)
        vp8_loop_filter_row(d, r);
}
