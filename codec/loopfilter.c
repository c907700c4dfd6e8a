/* The loop filter over a whole frame (RFC 6386 §15, §9.6 deltas, §10 segments). */
#include "dsp.h"
#include "vp8i.h"

/* The modes that §9.6's mode deltas tell apart: 0 intra but B_PRED (no delta), 1 B_PRED
 * (delta 0), 2 ZEROMV (delta 1), 3 NEAREST, NEAR, NEWMV (delta 2), 4 SPLITMV (delta 3). */
static inline int mode_class(const vp8_mb_info *mb)
{
    if (mb->ref_frame == VP8_REF_INTRA)
        return mb->ymode == VP8_B_PRED;
    return mb->ymode == VP8_MV_ZERO ? 2 : mb->ymode == VP8_MV_SPLIT ? 4 : 3;
}

static int clamp63(int v) { return v < 0 ? 0 : v > 63 ? 63 : v; }

/* §9.6, §10: the filter level of a macroblock of segment seg, reference ref and mode
 * class cls, in [0, 63]. */
static int filter_level(const vp8_decoder *d, int seg, int ref, int cls)
{
    const vp8_frame_header *h = &d->hdr;
    const excam_vp8_state *s = d->s;
    int level = h->filter_level;

    if (h->segmentation_enabled)
        level = clamp63(s->seg_abs_delta ? s->seg_lf[seg] : level + s->seg_lf[seg]);
    if (h->lf_delta_enabled) {
        level += s->ref_lf_delta[ref];
        if (cls > 0)
            level += s->mode_lf_delta[cls - 1];
        level = clamp63(level);
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

void vp8_loop_filter_setup(vp8_decoder *d)
{
    const vp8_frame_header *h = &d->hdr;
    for (int seg = 0; seg < 4; seg++)
        for (int ref = 0; ref < 4; ref++)
            for (int cls = 0; cls < 5; cls++)
                d->lf_level[seg][ref][cls] = (uint8_t)filter_level(d, seg, ref, cls);
    for (int level = 0; level < 64; level++) {
        int I = interior_limit(level, h->sharpness);
        d->lf_limits[level].interior = (uint8_t)I;
        d->lf_limits[level].hev = (uint8_t)hev_threshold(level, h->key_frame);
        d->lf_limits[level].mb_edge = (uint8_t)((level + 2) * 2 + I);
        d->lf_limits[level].sub_edge = (uint8_t)(level * 2 + I);
    }
}

void vp8_loop_filter_mbs(vp8_decoder *d, int r, int col0, int col1)
{
    vp8_frame *f = d->cur;
    const vp8_frame_header *h = &d->hdr;

    for (int c = col0; c < col1; c++) {
        const vp8_mb_info *mb = vp8_mbi(d, r, c);
        int level = d->lf_level[mb->segment][mb->ref_frame][mode_class(mb)], edges;
        uint8_t *y;
        if (!level)
            continue;
        /* Subblock edges are skipped for macroblocks with no residue whose
         * prediction covers the whole macroblock at once. */
        edges = (c > 0 ? VP8_LF_LEFT : 0) | (r > 0 ? VP8_LF_TOP : 0) |
                (mb->ymode == VP8_B_PRED || mb->ymode == VP8_MV_SPLIT || !mb->skip
                     ? VP8_LF_INNER
                     : 0);
        y = f->plane[0] + (ptrdiff_t)r * 16 * f->stride[0] + c * 16;
        if (h->filter_type) { /* §15.2: the simple filter touches luma only */
            d->dsp->lf_simple_mb(y, f->stride[0], edges, d->lf_limits[level].mb_edge,
                                 d->lf_limits[level].sub_edge);
        } else {
            ptrdiff_t uvo = (ptrdiff_t)r * 8 * f->stride[1] + c * 8;
            d->dsp->lf_normal_mb(y, f->plane[1] + uvo, f->plane[2] + uvo, f->stride[0],
                                 f->stride[1], edges, d->lf_limits[level].mb_edge,
                                 d->lf_limits[level].sub_edge, d->lf_limits[level].interior,
                                 d->lf_limits[level].hev);
        }
    }
}

void vp8_loop_filter_row(vp8_decoder *d, int r) { vp8_loop_filter_mbs(d, r, 0, d->cur->mb_cols); }

void vp8_loop_filter_frame(vp8_decoder *d)
{
    vp8_loop_filter_setup(d);
    for (int r = 0; r < d->cur->mb_rows; r++)
        vp8_loop_filter_row(d, r);
}
