/*
 * The frame header in the first partition (RFC 6386 §9.2-§9.11, §19.2), written in
 * the order header.c reads it. The encoder sends no segmentation, loop-filter deltas or
 * quantizer deltas; a rebase carries its frame's segmentation and quantizer deltas. The intra-mode (§16.2) and MV (§17.2)
 * probabilities of inter frames are updated where this frame's own counts
 * (e->mode_counts, from a counting pass over the modes) save more than the update
 * costs; like the coefficient updates they then persist in the state.
 */
#include "enc.h"
#include "tables.h"

/* Probability of a zero from counts (n0 zeros, n1 ones), for header probabilities. */
static int prob_of(uint32_t n0, uint32_t n1)
{
    uint64_t n = (uint64_t)n0 + n1;
    if (!n) return 128;
    int p = (int)(((uint64_t)n0 * 256 + n / 2) / n);
    return p < 1 ? 1 : p > 255 ? 255 : p;
}

/* Bits (1/256) of n[0] zeros and n[1] ones at probability p. */
static int64_t branch_cost(const uint32_t n[2], int p)
{
    return (int64_t)n[0] * vp8_cost_bool(p, 0) + (int64_t)n[1] * vp8_cost_bool(p, 1);
}

/* §16.2: the intra 16x16 (4) or chroma (3) mode probabilities of inter frames: one
 * flag, then all of them as 8-bit literals, sent when that saves bits on this frame. */
static void mode_prob_update(vp8_bool_writer *w, uint8_t *probs, const uint32_t (*cnt)[2], int n)
{
    uint8_t np[4];
    int64_t saved = -(int64_t)n * 8 * 256;
    for (int i = 0; i < n; i++) {
        np[i] = (uint8_t)prob_of(cnt[i][0], cnt[i][1]);
        saved += branch_cost(cnt[i], probs[i]) - branch_cost(cnt[i], np[i]);
    }
    vp8_write_bit(w, saved > 0);
    if (saved > 0)
        for (int i = 0; i < n; i++) {
            vp8_write_literal(w, np[i], 8);
            probs[i] = np[i];
        }
}

/* §17.2: each of the 2 x 19 MV probabilities, as a 7-bit value (x << 1, or 1 for 0),
 * where this frame's branch counts save more than the flag and the 7 bits cost. */
static void mv_prob_updates(vp8_bool_writer *w, uint8_t mv[2][19], const vp8_mode_counts *mc)
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 19; j++) {
            const uint32_t *n = mc ? mc->mv[i][j] : NULL;
            int up = vp8_mv_update_probs[i][j], x = 0, np = 0;
            int64_t saved = 0;
            if (n && n[0] + n[1]) {
                x = prob_of(n[0], n[1]) >> 1;
                np = x ? x << 1 : 1;
                saved = branch_cost(n, mv[i][j]) - branch_cost(n, np) -
                        (vp8_cost_bool(up, 1) - vp8_cost_bool(up, 0) + 7 * 256);
            }
            vp8_write_bool(w, up, saved > 0);
            if (saved > 0) {
                vp8_write_literal(w, (uint32_t)x, 7);
                mv[i][j] = (uint8_t)np;
            }
        }
}

/* §9.3, §9.6, §19.2: a flag, then (if nonzero) the magnitude in `bits` bits and a sign. */
static void write_optional_signed(vp8_bool_writer *w, int v, int bits)
{
    vp8_write_bit(w, v != 0);
    if (!v) return;
    vp8_write_literal(w, (uint32_t)(v < 0 ? -v : v), bits);
    vp8_write_bit(w, v < 0);
}

void vp8_write_frame_header(vp8_encoder *e, vp8_bool_writer *w)
{
    vp8_frame_header *h = &e->d.hdr;

    if (h->key_frame) {
        vp8_write_bit(w, h->color_space);
        vp8_write_bit(w, h->clamping_type);
    }
    /* §9.3 segmentation (a rebase's: the frame's values and map, sent whole) */
    vp8_write_bit(w, h->segmentation_enabled);
    if (h->segmentation_enabled) {
        const excam_vp8_state *s = e->d.s;
        vp8_write_bit(w, h->update_mb_seg_map);
        vp8_write_bit(w, h->update_seg_data);
        if (h->update_seg_data) {
            vp8_write_bit(w, s->seg_abs_delta);
            for (int i = 0; i < 4; i++)
                write_optional_signed(w, s->seg_quant[i], 7);
            for (int i = 0; i < 4; i++)
                write_optional_signed(w, s->seg_lf[i], 6);
        }
        if (h->update_mb_seg_map)
            for (int i = 0; i < 3; i++) {
                vp8_write_bit(w, h->seg_tree_probs[i] != 255);
                if (h->seg_tree_probs[i] != 255) vp8_write_literal(w, h->seg_tree_probs[i], 8);
            }
    }
    /* §9.6 loop filter */
    vp8_write_bit(w, h->filter_type);
    vp8_write_literal(w, (uint32_t)h->filter_level, 6);
    vp8_write_literal(w, (uint32_t)h->sharpness, 3);
    vp8_write_bit(w, 0); /* loop_filter_adj_enable */
    vp8_write_literal(w, h->num_partitions == 8 ? 3 : h->num_partitions == 4 ? 2 :
                         h->num_partitions == 2 ? 1 : 0, 2);
    /* §9.6 quantizer indices: the base and its deltas (a rebase's) */
    vp8_write_literal(w, (uint32_t)h->q_index, 7);
    write_optional_signed(w, h->y1dc_delta, 4);
    write_optional_signed(w, h->y2dc_delta, 4);
    write_optional_signed(w, h->y2ac_delta, 4);
    write_optional_signed(w, h->uvdc_delta, 4);
    write_optional_signed(w, h->uvac_delta, 4);
    /* §9.7, §9.8 references */
    if (h->key_frame) {
        vp8_write_bit(w, h->refresh_entropy);
    } else {
        vp8_write_bit(w, h->refresh_golden);
        vp8_write_bit(w, h->refresh_altref);
        if (!h->refresh_golden) vp8_write_literal(w, (uint32_t)h->copy_to_golden, 2);
        if (!h->refresh_altref) vp8_write_literal(w, (uint32_t)h->copy_to_altref, 2);
        vp8_write_bit(w, h->sign_bias[VP8_REF_GOLDEN]);
        vp8_write_bit(w, h->sign_bias[VP8_REF_ALTREF]);
        vp8_write_bit(w, h->refresh_entropy);
        vp8_write_bit(w, h->refresh_last);
    }
    /* §13.4 coefficient probability updates, chosen from this frame's counts */
    vp8_coef_updates(e, w, &e->d.s->ctx);
    /* §9.10, §9.11 */
    h->mb_no_coeff_skip = 1;
    h->prob_skip_false = prob_of(e->skip_count[0], e->skip_count[1]);
    vp8_write_bit(w, 1);
    vp8_write_literal(w, (uint32_t)h->prob_skip_false, 8);
    if (h->key_frame) return;
    {
        uint32_t intra = e->ref_count[VP8_REF_INTRA], last = e->ref_count[VP8_REF_LAST];
        uint32_t golden = e->ref_count[VP8_REF_GOLDEN], alt = e->ref_count[VP8_REF_ALTREF];
        h->prob_intra = prob_of(intra, last + golden + alt);
        h->prob_last = prob_of(last, golden + alt);
        h->prob_golden = prob_of(golden, alt);
    }
    vp8_write_literal(w, (uint32_t)h->prob_intra, 8);
    vp8_write_literal(w, (uint32_t)h->prob_last, 8);
    vp8_write_literal(w, (uint32_t)h->prob_golden, 8);
    {
        static const vp8_mode_counts none;
        const vp8_mode_counts *mc = e->mode_counts ? e->mode_counts : &none;
        vp8_entropy *en = &e->d.s->ctx;
        mode_prob_update(w, en->ymode, mc->ymode, 4);
        mode_prob_update(w, en->uvmode, mc->uvmode, 3);
        mv_prob_updates(w, en->mv, e->mode_counts);
    }
}
