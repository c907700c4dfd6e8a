/* Per-macroblock headers: segment id, skip flag, intra modes and motion vectors
 * (RFC 6386 §10, §11, §16, §17, §19.3). */
#include <string.h>

#include "boolreader.h"
#include "dsp.h"
#include "tables.h"
#include "vp8i.h"

#if defined(__GNUC__)
#define MODES_INLINE static inline __attribute__((always_inline))
#else
#define MODES_INLINE static inline
#endif

/* §11.3: the subblock mode implied by a 16x16 luma mode, for B_PRED contexts. */
uint8_t vp8_implied_bmode(int ymode)
{
    switch (ymode) {
    case VP8_V_PRED: return VP8_B_VE_PRED;
    case VP8_H_PRED: return VP8_B_HE_PRED;
    case VP8_TM_PRED: return VP8_B_TM_PRED;
    default: return VP8_B_DC_PRED;
    }
}

/* §11.2-§11.4: key-frame intra modes, with subblock modes coded in the context of
 * the modes above and to the left. */
MODES_INLINE void read_kf_modes(vp8_bool_decoder *bd, vp8_mb_info *mb, const vp8_mb_info *above,
                          const vp8_mb_info *left)
{
    mb->ymode = (uint8_t)vp8_read_tree(bd, vp8_kf_ymode_tree, vp8_kf_ymode_probs);
    if (mb->ymode == VP8_B_PRED) {
        for (int b = 0; b < 16; b++) {
            int a = b < 4 ? above->bmodes[b + 12] : mb->bmodes[b - 4];
            int l = (b & 3) == 0 ? left->bmodes[b + 3] : mb->bmodes[b - 1];
            mb->bmodes[b] = (uint8_t)vp8_read_tree(bd, vp8_bmode_tree, vp8_kf_bmode_probs[a][l]);
        }
    } else {
        uint8_t m = vp8_implied_bmode(mb->ymode);
        for (int b = 0; b < 16; b++)
            mb->bmodes[b] = m;
    }
    mb->uvmode = (uint8_t)vp8_read_tree(bd, vp8_uv_mode_tree, vp8_kf_uv_mode_probs);
}

/* §16.1: intra modes in inter frames use fixed, context-free probabilities. */
MODES_INLINE void read_intra_modes(vp8_bool_decoder *bd, vp8_mb_info *mb, const vp8_entropy *e)
{
    mb->ymode = (uint8_t)vp8_read_tree(bd, vp8_ymode_tree, e->ymode);
    if (mb->ymode == VP8_B_PRED)
        for (int b = 0; b < 16; b++)
            mb->bmodes[b] = (uint8_t)vp8_read_tree(bd, vp8_bmode_tree, vp8_bmode_probs);
    mb->uvmode = (uint8_t)vp8_read_tree(bd, vp8_uv_mode_tree, e->uvmode);
}

/* §17.1: one motion vector component, in quarter pels. */
MODES_INLINE int read_mv_component(vp8_bool_decoder *bd, const uint8_t p[19])
{
    enum { IS_SHORT = 0, SIGN = 1, SHORT_TREE = 2, MV_LONG_BITS = 9, MV_LONG_WIDTH = 10 };
    int x = 0;

    if (vp8_read_bool(bd, p[IS_SHORT])) {
        for (int i = 0; i < 3; i++)
            x += vp8_read_bool(bd, p[MV_LONG_BITS + i]) << i;
        for (int i = MV_LONG_WIDTH - 1; i > 3; i--)
            x += vp8_read_bool(bd, p[MV_LONG_BITS + i]) << i;
        if (!(x & 0xfff0) || vp8_read_bool(bd, p[MV_LONG_BITS + 3]))
            x += 8;
    } else {
        x = vp8_read_tree(bd, vp8_small_mv_tree, p + SHORT_TREE);
    }
    if (x && vp8_read_bool(bd, p[SIGN]))
        x = -x;
    return x;
}

/* A motion vector delta, doubled into the 1/8-pel units used for prediction (§18.1). */
MODES_INLINE vp8_mv read_mv(vp8_bool_decoder *bd, const vp8_entropy *e, vp8_mv base)
{
    vp8_mv mv;
    mv.row = (int16_t)(read_mv_component(bd, e->mv[0]) * 2 + base.row);
    mv.col = (int16_t)(read_mv_component(bd, e->mv[1]) * 2 + base.col);
    return mv;
}

vp8_mv vp8_clamp_mv(vp8_mv mv, const vp8_mv_bounds *b)
{
    if (mv.col < b->to_left)
        mv.col = (int16_t)b->to_left;
    else if (mv.col > b->to_right)
        mv.col = (int16_t)b->to_right;
    if (mv.row < b->to_top)
        mv.row = (int16_t)b->to_top;
    else if (mv.row > b->to_bottom)
        mv.row = (int16_t)b->to_bottom;
    return mv;
}

/* §16.3: how far a macroblock's vector may point outside the frame. */
void vp8_mv_bounds_init(vp8_mv_bounds *b, int mb_row, int mb_col, int mb_rows, int mb_cols)
{
    enum { MARGIN = 16 << 3 };
    b->to_left = -((mb_col * 16) << 3) - MARGIN;
    b->to_right = (((mb_cols - 1 - mb_col) * 16) << 3) + MARGIN;
    b->to_top = -((mb_row * 16) << 3) - MARGIN;
    b->to_bottom = (((mb_rows - 1 - mb_row) * 16) << 3) + MARGIN;
}

enum { CNT_ZERO = VP8_CNT_ZERO, CNT_NEAREST = VP8_CNT_NEAREST, CNT_NEAR = VP8_CNT_NEAR,
       CNT_SPLIT = VP8_CNT_SPLIT };

/* §16.3 vp8_find_near_mvs: survey above, left and above-left. */
void vp8_find_near_mvs(const vp8_mb_info *above, const vp8_mb_info *left,
                          const vp8_mb_info *aboveleft, int ref_frame, const int sign_bias[4],
                          vp8_mv near_mvs[4], int cnt[4])
{
    const vp8_mb_info *nb[3] = {above, left, aboveleft};
    static const int weight[3] = {2, 2, 1};
    int n = 0; /* index of the last vector entered in near_mvs (0 = none) */

    near_mvs[0] = near_mvs[1] = near_mvs[2] = near_mvs[3] = (vp8_mv){0, 0};
    cnt[0] = cnt[1] = cnt[2] = cnt[3] = 0;
    for (int i = 0; i < 3; i++) {
        const vp8_mb_info *m = nb[i];
        vp8_mv mv;
        if (m->ref_frame == VP8_REF_INTRA)
            continue;
        if (vp8_mv_is_zero(m->mv)) {
            cnt[CNT_ZERO] += weight[i];
            continue;
        }
        mv = m->mv;
        if (sign_bias[m->ref_frame] != sign_bias[ref_frame]) {
            mv.row = (int16_t)-mv.row;
            mv.col = (int16_t)-mv.col;
        }
        /* The first vector always enters; later ones merge with the last entered. */
        if (n == 0 || !vp8_mv_equal(mv, near_mvs[n]))
            near_mvs[++n] = mv;
        cnt[n] += weight[i];
    }
    /* With three distinct vectors, see if above-left merges with nearest. */
    if (cnt[CNT_SPLIT] && vp8_mv_equal(near_mvs[n], near_mvs[CNT_NEAREST]))
        cnt[CNT_NEAREST] += 1;

    cnt[CNT_SPLIT] = (above->ymode == VP8_MV_SPLIT) * 2 + (left->ymode == VP8_MV_SPLIT) * 2 +
                     (aboveleft->ymode == VP8_MV_SPLIT);

    if (cnt[CNT_NEAR] > cnt[CNT_NEAREST]) {
        int t = cnt[CNT_NEAREST];
        vp8_mv tm = near_mvs[CNT_NEAREST];
        cnt[CNT_NEAREST] = cnt[CNT_NEAR];
        cnt[CNT_NEAR] = t;
        near_mvs[CNT_NEAREST] = near_mvs[CNT_NEAR];
        near_mvs[CNT_NEAR] = tm;
    }
    if (cnt[CNT_NEAREST] >= cnt[CNT_ZERO])
        near_mvs[CNT_ZERO] = near_mvs[CNT_NEAREST]; /* the "best" vector */
}

/* §16.4 vp8_mvCont: context for a subblock's mode from its neighbours' vectors. */
int vp8_submv_context(vp8_mv l, vp8_mv a)
{
    int lez = vp8_mv_is_zero(l), aez = vp8_mv_is_zero(a), lea = vp8_mv_equal(l, a);
    if (lea && lez)
        return 4;
    if (lea)
        return 3;
    if (aez)
        return 2;
    if (lez)
        return 1;
    return 0;
}

/* §16.4: SPLITMV partitioning and the vectors of its subsets. */
MODES_INLINE void read_split_mv(vp8_bool_decoder *bd, vp8_mb_info *mb, const vp8_mb_info *above,
                          const vp8_mb_info *left, const vp8_entropy *e, vp8_mv best)
{
    int part = vp8_read_tree(bd, vp8_split_mv_tree, vp8_split_mv_probs);
    const uint8_t *map = vp8_split_mv_map[part];

    mb->partitioning = (uint8_t)part;
    for (int j = 0; j < vp8_split_mv_count[part]; j++) {
        int k = 0;
        vp8_mv lmv, amv, mv;
        while (map[k] != j)
            k++;
        lmv = (k & 3) ? mb->bmv[k - 1] : left->bmv[k + 3];
        amv = k >= 4 ? mb->bmv[k - 4] : above->bmv[k + 12];
        switch (vp8_read_tree(bd, vp8_sub_mv_ref_tree, vp8_sub_mv_ref_probs[vp8_submv_context(lmv, amv)])) {
        case VP8_SUBMV_LEFT: mv = lmv; break;
        case VP8_SUBMV_ABOVE: mv = amv; break;
        case VP8_SUBMV_ZERO: mv = (vp8_mv){0, 0}; break;
        default: mv = read_mv(bd, e, best); break;
        }
        /* Fill the whole subset now: later subsets may refer to it. */
        for (int b = k; b < 16; b++)
            if (map[b] == j)
                mb->bmv[b] = mv;
    }
    mb->mv = mb->bmv[15];
}

/* A macroblock's one vector, for it and its subblocks. Written from a register as
 * whole 32-bit words: storing the two halves and reading mb->mv back as one word
 * stalled on store forwarding (a hot spot of the mode reader). */
MODES_INLINE void set_mv(vp8_mb_info *mb, vp8_mv mv)
{
    uint32_t w;
    memcpy(&w, &mv, sizeof(w));
    memcpy(&mb->mv, &w, sizeof(w));
    for (int b = 0; b < 16; b++)
        memcpy(&mb->bmv[b], &w, sizeof(w));
}

/* §16.2-§16.3: an inter macroblock's reference frame, mode and vectors. */
MODES_INLINE void read_inter_modes(vp8_decoder *d, vp8_bool_decoder *bd, vp8_mb_info *mb, int mb_row,
                             int mb_col)
{
    const vp8_frame_header *h = &d->hdr;
    const vp8_mb_info *above = vp8_mbi(d, mb_row - 1, mb_col);
    const vp8_mb_info *left = vp8_mbi(d, mb_row, mb_col - 1);
    const vp8_mb_info *aboveleft = vp8_mbi(d, mb_row - 1, mb_col - 1);
    vp8_mv near_mvs[4], mv;
    int cnt[4];
    uint8_t probs[4];
    vp8_mv_bounds bounds;

    mb->ref_frame = VP8_REF_LAST;
    if (vp8_read_bool(bd, h->prob_last))
        mb->ref_frame = vp8_read_bool(bd, h->prob_golden) ? VP8_REF_ALTREF : VP8_REF_GOLDEN;
    mb->uvmode = VP8_DC_PRED;

    vp8_find_near_mvs(above, left, aboveleft, mb->ref_frame, h->sign_bias, near_mvs, cnt);
    for (int i = 0; i < 4; i++)
        probs[i] = vp8_mode_contexts[cnt[i]][i];

    vp8_mv_bounds_init(&bounds, mb_row, mb_col, d->s->mb_rows, d->s->mb_cols);

    mb->ymode = (uint8_t)vp8_read_tree(bd, vp8_mv_ref_tree, probs);
    switch (mb->ymode) {
    case VP8_MV_NEAREST: mv = vp8_clamp_mv(near_mvs[CNT_NEAREST], &bounds); break;
    case VP8_MV_NEAR: mv = vp8_clamp_mv(near_mvs[CNT_NEAR], &bounds); break;
    case VP8_MV_ZERO: mv = (vp8_mv){0, 0}; break;
    case VP8_MV_NEW:
        /* Not clamped (as libvpx): prediction treats the reference as extended forever. */
        mv = read_mv(bd, &d->s->ctx, vp8_clamp_mv(near_mvs[CNT_ZERO], &bounds));
        break;
    default:
        read_split_mv(bd, mb, above, left, &d->s->ctx, vp8_clamp_mv(near_mvs[CNT_ZERO], &bounds));
        return;
    }
    set_mv(mb, mv);
}

MODES_INLINE void read_mb_modes(vp8_decoder *d, vp8_bool_decoder *bd, int mb_row, int mb_col)
{
    const vp8_frame_header *h = &d->hdr;
    vp8_mb_info *mb = vp8_mbi(d, mb_row, mb_col);
    uint8_t *seg = &d->s->seg_map[mb_row * d->s->mb_cols + mb_col];

    /* §10: the segment map persists unless updated; key frames reset it. */
    if (h->update_mb_seg_map)
        *seg = (uint8_t)vp8_read_tree(bd, vp8_segment_tree, h->seg_tree_probs);
    else if (h->key_frame)
        *seg = 0;
    mb->segment = *seg;
    mb->skip = h->mb_no_coeff_skip ? (uint8_t)vp8_read_bool(bd, h->prob_skip_false) : 0;

    if (h->key_frame) {
        mb->ref_frame = VP8_REF_INTRA;
        read_kf_modes(bd, mb, vp8_mbi(d, mb_row - 1, mb_col), vp8_mbi(d, mb_row, mb_col - 1));
    } else if (vp8_read_bool(bd, h->prob_intra)) {
        read_inter_modes(d, bd, mb, mb_row, mb_col);
    } else {
        mb->ref_frame = VP8_REF_INTRA;
        read_intra_modes(bd, mb, &d->s->ctx);
        set_mv(mb, (vp8_mv){0, 0});
    }
}

void vp8_read_mb_modes(vp8_decoder *d, vp8_bool_decoder *bd, int mb_row, int mb_col)
{
    vp8_bool_decoder br = *bd;
    read_mb_modes(d, &br, mb_row, mb_col);
    *bd = br;
}

void vp8_read_row_modes(vp8_decoder *d, vp8_bool_decoder *bd, int mb_row)
{
    /* A local copy of the decoder, kept in registers through the row (its address is
     * never taken out of this file's inlined functions). */
    vp8_bool_decoder br = *bd;
    for (int c = 0; c < d->s->mb_cols; c++)
        read_mb_modes(d, &br, mb_row, c);
    *bd = br;
}
