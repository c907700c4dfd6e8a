/*
 * The frame header in the first partition (RFC 6386 §9.2-§9.11, §19.2), written in
 * the order header.c reads it. excam sends no segmentation and no loop-filter delta
 * updates yet, and no quantizer deltas; MV and intra-mode probabilities stay as they
 * are (updates only pay on long inter runs: to come with the encoder's tuning).
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

void vp8_write_frame_header(vp8_encoder *e, vp8_bool_writer *w)
{
    vp8_frame_header *h = &e->d.hdr;

    if (h->key_frame) {
        vp8_write_bit(w, h->color_space);
        vp8_write_bit(w, h->clamping_type);
    }
    vp8_write_bit(w, 0); /* §9.3 segmentation_enabled */
    /* §9.6 loop filter */
    vp8_write_bit(w, h->filter_type);
    vp8_write_literal(w, (uint32_t)h->filter_level, 6);
    vp8_write_literal(w, (uint32_t)h->sharpness, 3);
    vp8_write_bit(w, 0); /* loop_filter_adj_enable */
    vp8_write_literal(w, h->num_partitions == 8 ? 3 : h->num_partitions == 4 ? 2 :
                         h->num_partitions == 2 ? 1 : 0, 2);
    /* §9.6 quantizer indices: the base and no deltas */
    vp8_write_literal(w, (uint32_t)h->q_index, 7);
    for (int i = 0; i < 5; i++)
        vp8_write_bit(w, 0);
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
    vp8_write_bit(w, 0); /* no intra 16x16 mode probability update */
    vp8_write_bit(w, 0); /* no chroma mode probability update */
    for (int i = 0; i < 2; i++) /* §17.2: no MV probability updates */
        for (int j = 0; j < 19; j++)
            vp8_write_bool(w, vp8_mv_update_probs[i][j], 0);
}
