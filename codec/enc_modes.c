/*
 * Macroblock headers on the encoder side (RFC 6386 §10, §11, §16, §17, §19.3): the
 * mirror of modes.c, using its context functions so that both sides agree.
 */
#include "enc.h"
#include "tables.h"

enum { IS_SHORT = 0, SIGN = 1, SHORT_TREE = 2, MV_LONG_BITS = 9, MV_LONG_WIDTH = 10 };

/* Count the branches a tree write of `value` takes (the probabilities' indices). */
static void count_tree(const int8_t *tree, int value, uint32_t (*cnt)[2])
{
    int path[16];
    int n = vp8_tree_path(tree, 0, value, path, 0);
    for (int k = 0; k < n; k++)
        cnt[path[k] >> 1][path[k] & 1]++;
}

/* §17.1: one component (in quarter pels, |x| <= 1023); writes it (and counts its
 * branches into cnt, if given) or, without w, costs it. */
static int mv_component(vp8_bool_writer *w, const uint8_t p[19], int v, uint32_t (*cnt)[2])
{
    int x = v < 0 ? -v : v, cost = 0;
#define PUT(prob, bit)                                                                        \
    do {                                                                                      \
        if (w) vp8_write_bool(w, p[(prob)], (bit));                                           \
        else cost += vp8_cost_bool(p[(prob)], (bit));                                         \
        if (cnt) cnt[(prob)][(bit)]++;                                                        \
    } while (0)
    if (x >= 8) {
        PUT(IS_SHORT, 1);
        for (int i = 0; i < 3; i++)
            PUT(MV_LONG_BITS + i, (x >> i) & 1);
        for (int i = MV_LONG_WIDTH - 1; i > 3; i--)
            PUT(MV_LONG_BITS + i, (x >> i) & 1);
        if (x & 0xfff0) PUT(MV_LONG_BITS + 3, (x >> 3) & 1);
    } else {
        PUT(IS_SHORT, 0);
        if (w) vp8_write_tree(w, vp8_small_mv_tree, p + SHORT_TREE, x);
        else cost += vp8_cost_tree(vp8_small_mv_tree, p + SHORT_TREE, x);
        if (cnt) count_tree(vp8_small_mv_tree, x, cnt + SHORT_TREE);
    }
    if (x) PUT(SIGN, v < 0);
#undef PUT
    return cost;
}

/* A vector relative to `ref`, both in 1/8-pel luma units (even), as read_mv reads it. */
static void write_mv(vp8_bool_writer *w, const vp8_entropy *en, vp8_mode_counts *mc, vp8_mv mv,
                     vp8_mv ref) /* w NULL: only counted (into mc) */
{
    mv_component(w, en->mv[0], (mv.row - ref.row) / 2, mc ? mc->mv[0] : NULL);
    mv_component(w, en->mv[1], (mv.col - ref.col) / 2, mc ? mc->mv[1] : NULL);
}

int vp8_mv_cost(const vp8_entropy *en, vp8_mv mv, vp8_mv ref)
{
    return mv_component(NULL, en->mv[0], (mv.row - ref.row) / 2, NULL) +
           mv_component(NULL, en->mv[1], (mv.col - ref.col) / 2, NULL);
}

void vp8_mv_cost_table(const vp8_entropy *en, uint16_t tab[2][VP8_MV_COST_SIZE])
{
    /* A component's cost is its magnitude's and, if not 0, its sign's: the magnitudes
     * are costed once for both signs (the table was 1.5% of a CIF rebase's time). */
    for (int c = 0; c < 2; c++) {
        const uint8_t *p = en->mv[c];
        const int pos = vp8_cost_bool(p[SIGN], 0), neg = vp8_cost_bool(p[SIGN], 1);
        uint16_t *t = tab[c] + VP8_MV_COST_MAX;
        t[0] = (uint16_t)mv_component(NULL, p, 0, NULL);
        for (int x = 1; x <= VP8_MV_COST_MAX; x++) {
            int m = mv_component(NULL, p, x, NULL) - pos;
            t[x] = (uint16_t)(m + pos);
            t[-x] = (uint16_t)(m + neg);
        }
    }
}

vp8_split_part vp8_split_part_of(const vp8_mb_info *mb, const vp8_mb_info *above,
                                 const vp8_mb_info *left, int j)
{
    const uint8_t *map = vp8_split_mv_map[mb->partitioning];
    int k = 0;
    while (map[k] != j)
        k++;
    vp8_mv lmv = (k & 3) ? mb->bmv[k - 1] : left->bmv[k + 3];
    vp8_mv amv = k >= 4 ? mb->bmv[k - 4] : above->bmv[k + 12];
    vp8_split_part p;
    p.mv = mb->bmv[k];
    p.sub = vp8_mv_equal(p.mv, lmv)   ? VP8_SUBMV_LEFT
            : vp8_mv_equal(p.mv, amv) ? VP8_SUBMV_ABOVE
            : vp8_mv_is_zero(p.mv)    ? VP8_SUBMV_ZERO
                                      : VP8_SUBMV_NEW;
    p.probs = vp8_sub_mv_ref_probs[vp8_submv_context(lmv, amv)];
    return p;
}

/* §16.4: SPLITMV, mirror of read_split_mv (w NULL: count the vectors coded as NEW). */
static void write_split_mv(vp8_bool_writer *w, const vp8_entropy *en, vp8_mode_counts *mc,
                           const vp8_mb_info *mb, const vp8_mb_info *above,
                           const vp8_mb_info *left, vp8_mv best)
{
    if (w) vp8_write_tree(w, vp8_split_mv_tree, vp8_split_mv_probs, mb->partitioning);
    for (int j = 0; j < vp8_split_mv_count[mb->partitioning]; j++) {
        vp8_split_part p = vp8_split_part_of(mb, above, left, j);
        if (w) vp8_write_tree(w, vp8_sub_mv_ref_tree, p.probs, p.sub);
        if (p.sub == VP8_SUBMV_NEW) write_mv(w, en, mc, p.mv, best);
    }
}

void vp8_write_mb_modes(vp8_encoder *e, vp8_bool_writer *w, int mb_row, int mb_col)
{
    vp8_decoder *d = &e->d;
    const vp8_frame_header *h = &d->hdr;
    const vp8_entropy *en = &d->s->ctx;
    const vp8_mb_info *mb = vp8_mbi(d, mb_row, mb_col);
    const vp8_mb_info *above = vp8_mbi(d, mb_row - 1, mb_col);
    const vp8_mb_info *left = vp8_mbi(d, mb_row, mb_col - 1);

    if (h->update_mb_seg_map) /* §10 (rebase only: the encoder makes no segments) */
        vp8_write_tree(w, vp8_segment_tree, h->seg_tree_probs, mb->segment);
    vp8_write_bool(w, h->prob_skip_false, mb->skip);
    if (h->key_frame) {
        /* §11.2-§11.4 */
        vp8_write_tree(w, vp8_kf_ymode_tree, vp8_kf_ymode_probs, mb->ymode);
        if (mb->ymode == VP8_B_PRED)
            for (int b = 0; b < 16; b++) {
                int a = b < 4 ? above->bmodes[b + 12] : mb->bmodes[b - 4];
                int l = (b & 3) == 0 ? left->bmodes[b + 3] : mb->bmodes[b - 1];
                vp8_write_tree(w, vp8_bmode_tree, vp8_kf_bmode_probs[a][l], mb->bmodes[b]);
            }
        vp8_write_tree(w, vp8_uv_mode_tree, vp8_kf_uv_mode_probs, mb->uvmode);
        return;
    }
    vp8_write_bool(w, h->prob_intra, mb->ref_frame != VP8_REF_INTRA);
    if (mb->ref_frame == VP8_REF_INTRA) {
        /* §16.1 */
        vp8_write_tree(w, vp8_ymode_tree, en->ymode, mb->ymode);
        if (mb->ymode == VP8_B_PRED)
            for (int b = 0; b < 16; b++)
                vp8_write_tree(w, vp8_bmode_tree, vp8_bmode_probs, mb->bmodes[b]);
        vp8_write_tree(w, vp8_uv_mode_tree, en->uvmode, mb->uvmode);
        return;
    }
    /* §16.2-§16.3 */
    vp8_write_bool(w, h->prob_last, mb->ref_frame != VP8_REF_LAST);
    if (mb->ref_frame != VP8_REF_LAST)
        vp8_write_bool(w, h->prob_golden, mb->ref_frame == VP8_REF_ALTREF);
    {
        vp8_mv near_mvs[4];
        int cnt[4];
        uint8_t probs[4];
        vp8_mv_bounds bounds;
        vp8_find_near_mvs(above, left, vp8_mbi(d, mb_row - 1, mb_col - 1), mb->ref_frame,
                          h->sign_bias, near_mvs, cnt);
        for (int i = 0; i < 4; i++)
            probs[i] = vp8_mode_contexts[cnt[i]][i];
        vp8_mv_bounds_init(&bounds, mb_row, mb_col, d->s->mb_rows, d->s->mb_cols);
        vp8_write_tree(w, vp8_mv_ref_tree, probs, mb->ymode);
        if (mb->ymode == VP8_MV_NEW)
            write_mv(w, en, NULL, mb->mv, vp8_clamp_mv(near_mvs[VP8_CNT_ZERO], &bounds));
        else if (mb->ymode == VP8_MV_SPLIT)
            write_split_mv(w, en, NULL, mb, above, left,
                           vp8_clamp_mv(near_mvs[VP8_CNT_ZERO], &bounds));
    }
}

/* What vp8_write_mb_modes counts into mc on an inter frame, without writing: the
 * header's mode and vector probabilities need the counts before the modes are
 * written. Writing them into a scratch writer instead took 5% of a rebase (foreman
 * CIF, perf): the bool coder, and the near vectors of every inter macroblock where
 * only NEWMV and SPLITMV need them here. */
void vp8_count_mb_modes(vp8_encoder *e, vp8_mode_counts *mc, int mb_row, int mb_col)
{
    vp8_decoder *d = &e->d;
    const vp8_mb_info *mb = vp8_mbi(d, mb_row, mb_col);
    if (mb->ref_frame == VP8_REF_INTRA) {
        count_tree(vp8_ymode_tree, mb->ymode, mc->ymode);
        count_tree(vp8_uv_mode_tree, mb->uvmode, mc->uvmode);
        return;
    }
    if (mb->ymode != VP8_MV_NEW && mb->ymode != VP8_MV_SPLIT) return;
    const vp8_mb_info *above = vp8_mbi(d, mb_row - 1, mb_col);
    const vp8_mb_info *left = vp8_mbi(d, mb_row, mb_col - 1);
    vp8_mv near_mvs[4];
    int cnt[4];
    vp8_mv_bounds bounds;
    vp8_find_near_mvs(above, left, vp8_mbi(d, mb_row - 1, mb_col - 1), mb->ref_frame,
                      d->hdr.sign_bias, near_mvs, cnt);
    vp8_mv_bounds_init(&bounds, mb_row, mb_col, d->s->mb_rows, d->s->mb_cols);
    vp8_mv best = vp8_clamp_mv(near_mvs[VP8_CNT_ZERO], &bounds);
    if (mb->ymode == VP8_MV_NEW)
        write_mv(NULL, &d->s->ctx, mc, mb->mv, best);
    else
        write_split_mv(NULL, &d->s->ctx, mc, mb, above, left, best);
}
