/* Frame tag and frame header (RFC 6386 §9, §19.1, §19.2). */
#include <string.h>

#include "boolreader.h"
#include "tables.h"
#include "vp8i.h"

/* §9.1, §19.1: the uncompressed data chunk at the start of every frame. */
int vp8_parse_frame_tag(const uint8_t *data, size_t len, vp8_frame_header *h)
{
    uint32_t tag;
    size_t header_bytes;

    memset(h, 0, sizeof(*h));
    if (len < 3)
        return EXCAM_ERR_CORRUPT;
    tag = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16;
    h->key_frame = !(tag & 1);
    h->version = (tag >> 1) & 7;
    h->show_frame = (tag >> 4) & 1;
    h->first_part_size = tag >> 5;
    header_bytes = 3;
    if (h->key_frame) {
        if (len < 10)
            return EXCAM_ERR_CORRUPT;
        if (data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a)
            return EXCAM_ERR_CORRUPT; /* start code */
        h->width = (data[6] | data[7] << 8) & 0x3fff;
        h->horiz_scale = data[7] >> 6;
        h->height = (data[8] | data[9] << 8) & 0x3fff;
        h->vert_scale = data[9] >> 6;
        if (!h->width || !h->height)
            return EXCAM_ERR_CORRUPT;
        header_bytes = 10;
    }
    if (h->first_part_size > len - header_bytes)
        return EXCAM_ERR_CORRUPT;
    return EXCAM_OK;
}

/* §9.3: segment-based adjustments. */
static void parse_segmentation(vp8_bool_decoder *bd, vp8_frame_header *h, excam_vp8_state *s)
{
    h->segmentation_enabled = vp8_read_bit(bd);
    if (!h->segmentation_enabled)
        return;
    h->update_mb_seg_map = vp8_read_bit(bd);
    h->update_seg_data = vp8_read_bit(bd);
    if (h->update_seg_data) {
        s->seg_abs_delta = vp8_read_bit(bd);
        for (int i = 0; i < 4; i++)
            s->seg_quant[i] = (int8_t)vp8_read_optional_signed(bd, 7);
        for (int i = 0; i < 4; i++)
            s->seg_lf[i] = (int8_t)vp8_read_optional_signed(bd, 6);
    }
    if (h->update_mb_seg_map)
        for (int i = 0; i < 3; i++)
            h->seg_tree_probs[i] = vp8_read_bit(bd) ? (uint8_t)vp8_read_literal(bd, 8) : 255;
}

/* §9.6 (loop filter part of §9.4): type, level, sharpness and the mode/ref deltas.
 * Deltas that are not sent keep their previous value. */
static void parse_loop_filter(vp8_bool_decoder *bd, vp8_frame_header *h, excam_vp8_state *s)
{
    h->filter_type = vp8_read_bit(bd);
    h->filter_level = vp8_read_literal(bd, 6);
    h->sharpness = vp8_read_literal(bd, 3);
    h->lf_delta_enabled = vp8_read_bit(bd);
    if (h->lf_delta_enabled && vp8_read_bit(bd)) {
        for (int i = 0; i < 4; i++)
            if (vp8_read_bit(bd))
                s->ref_lf_delta[i] = (int8_t)vp8_read_signed(bd, 6);
        for (int i = 0; i < 4; i++)
            if (vp8_read_bit(bd))
                s->mode_lf_delta[i] = (int8_t)vp8_read_signed(bd, 6);
    }
}

/* §9.6: dequantization indices. */
static void parse_quant(vp8_bool_decoder *bd, vp8_frame_header *h)
{
    h->q_index = vp8_read_literal(bd, 7);
    h->y1dc_delta = vp8_read_optional_signed(bd, 4);
    h->y2dc_delta = vp8_read_optional_signed(bd, 4);
    h->y2ac_delta = vp8_read_optional_signed(bd, 4);
    h->uvdc_delta = vp8_read_optional_signed(bd, 4);
    h->uvac_delta = vp8_read_optional_signed(bd, 4);
}

/* §9.7, §9.8: which references this frame refreshes. */
static void parse_refresh(vp8_bool_decoder *bd, vp8_frame_header *h)
{
    if (h->key_frame) {
        h->refresh_golden = h->refresh_altref = h->refresh_last = 1;
        h->refresh_entropy = vp8_read_bit(bd);
        return;
    }
    h->refresh_golden = vp8_read_bit(bd);
    h->refresh_altref = vp8_read_bit(bd);
    if (!h->refresh_golden)
        h->copy_to_golden = vp8_read_literal(bd, 2);
    if (!h->refresh_altref)
        h->copy_to_altref = vp8_read_literal(bd, 2);
    h->sign_bias[VP8_REF_GOLDEN] = vp8_read_bit(bd);
    h->sign_bias[VP8_REF_ALTREF] = vp8_read_bit(bd);
    h->refresh_entropy = vp8_read_bit(bd);
    h->refresh_last = vp8_read_bit(bd);
}

/* §13.4: coefficient probability updates. */
static void parse_coef_updates(vp8_bool_decoder *bd, vp8_entropy *e)
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 11; l++)
                    if (vp8_read_bool(bd, vp8_coef_update_probs[i][j][k][l]))
                        e->coef[i][j][k][l] = (uint8_t)vp8_read_literal(bd, 8);
}

/* §17.2: MV probability updates. */
static void parse_mv_updates(vp8_bool_decoder *bd, vp8_entropy *e)
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 19; j++)
            if (vp8_read_bool(bd, vp8_mv_update_probs[i][j])) {
                int x = vp8_read_literal(bd, 7);
                e->mv[i][j] = x ? (uint8_t)(x << 1) : 1;
            }
}

/*
 * §9.2-§9.11, §19.2: the rest of the frame header, read from the first partition.
 * Updates the persistent parts of `s` (segmentation values, loop-filter deltas,
 * probabilities). If refresh_entropy_probs is 0, the probabilities to restore after
 * this frame are returned in `saved` (the caller keeps them).
 */
int vp8_parse_header(vp8_bool_decoder *bd, vp8_frame_header *h, excam_vp8_state *s)
{
    if (h->key_frame) {
        h->color_space = vp8_read_bit(bd);
        h->clamping_type = vp8_read_bit(bd);
    }
    parse_segmentation(bd, h, s);
    parse_loop_filter(bd, h, s);
    h->num_partitions = 1 << vp8_read_literal(bd, 2);
    parse_quant(bd, h);
    parse_refresh(bd, h);
    return EXCAM_OK;
}

/* The part of the header after refresh_last: probability updates (§9.9-§9.11). */
void vp8_parse_header_probs(vp8_bool_decoder *bd, vp8_frame_header *h, vp8_entropy *e)
{
    parse_coef_updates(bd, e);
    h->mb_no_coeff_skip = vp8_read_bit(bd);
    h->prob_skip_false = h->mb_no_coeff_skip ? vp8_read_literal(bd, 8) : 0;
    if (h->key_frame)
        return;
    h->prob_intra = vp8_read_literal(bd, 8);
    h->prob_last = vp8_read_literal(bd, 8);
    h->prob_golden = vp8_read_literal(bd, 8);
    if (vp8_read_bit(bd))
        for (int i = 0; i < 4; i++)
            e->ymode[i] = (uint8_t)vp8_read_literal(bd, 8);
    if (vp8_read_bit(bd))
        for (int i = 0; i < 3; i++)
            e->uvmode[i] = (uint8_t)vp8_read_literal(bd, 8);
    parse_mv_updates(bd, e);
}
