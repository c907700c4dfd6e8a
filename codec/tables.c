/* The small constant tables of RFC 6386; the large ones are in tables_rfc.c. */
#include "tables.h"
#include "dsp.h"
#include "vp8i.h"

/* §11.2 */
const int8_t vp8_ymode_tree[8] = {-VP8_DC_PRED, 2, 4, 6, -VP8_V_PRED, -VP8_H_PRED,
                                  -VP8_TM_PRED, -VP8_B_PRED};
const int8_t vp8_kf_ymode_tree[8] = {-VP8_B_PRED, 2, 4, 6, -VP8_DC_PRED, -VP8_V_PRED,
                                     -VP8_H_PRED, -VP8_TM_PRED};
const int8_t vp8_uv_mode_tree[6] = {-VP8_DC_PRED, 2, -VP8_V_PRED, 4, -VP8_H_PRED, -VP8_TM_PRED};
const int8_t vp8_bmode_tree[18] = {
    -VP8_B_DC_PRED, 2,
    -VP8_B_TM_PRED, 4,
    -VP8_B_VE_PRED, 6,
    8, 12,
    -VP8_B_HE_PRED, 10,
    -VP8_B_RD_PRED, -VP8_B_VR_PRED,
    -VP8_B_LD_PRED, 14,
    -VP8_B_VL_PRED, 16,
    -VP8_B_HD_PRED, -VP8_B_HU_PRED};

/* §9.3: segment ids 0..3 */
const int8_t vp8_segment_tree[6] = {2, 4, -0, -1, -2, -3};

/* §16.2: mv_ref_tree over ZERO, NEAREST, NEAR, NEW, SPLIT */
const int8_t vp8_mv_ref_tree[8] = {-VP8_MV_ZERO, 2, -VP8_MV_NEAREST, 4, -VP8_MV_NEAR, 6,
                                   -VP8_MV_NEW, -VP8_MV_SPLIT};
/* §16.4 */
const int8_t vp8_split_mv_tree[6] = {-VP8_SPLIT_4x4, 2, -VP8_SPLIT_8x8, 4, -VP8_SPLIT_16x8,
                                     -VP8_SPLIT_8x16};
const int8_t vp8_sub_mv_ref_tree[6] = {-VP8_SUBMV_LEFT, 2, -VP8_SUBMV_ABOVE, 4, -VP8_SUBMV_ZERO,
                                       -VP8_SUBMV_NEW};
/* §17.1: short MV magnitudes 0..7 */
const int8_t vp8_small_mv_tree[14] = {2, 8, 4, 6, -0, -1, -2, -3, 10, 12, -4, -5, -6, -7};

/* §13.2: tokens DCT_0..DCT_cat6 = 0..10, dct_eob = 11 */
const int8_t vp8_coef_tree[22] = {-VP8_TOKEN_EOB, 2, -VP8_TOKEN_ZERO, 4, -VP8_TOKEN_ONE, 6,
                                  8, 12, -VP8_TOKEN_TWO, 10, -VP8_TOKEN_THREE, -VP8_TOKEN_FOUR,
                                  14, 16, -VP8_TOKEN_CAT1, -VP8_TOKEN_CAT2, 18, 20,
                                  -VP8_TOKEN_CAT3, -VP8_TOKEN_CAT4, -VP8_TOKEN_CAT5,
                                  -VP8_TOKEN_CAT6};

const uint8_t vp8_kf_ymode_probs[4] = {145, 156, 163, 128};
const uint8_t vp8_kf_uv_mode_probs[3] = {142, 114, 183};
const uint8_t vp8_default_ymode_probs[4] = {112, 86, 140, 37};
const uint8_t vp8_default_uv_mode_probs[3] = {162, 101, 204};
const uint8_t vp8_bmode_probs[9] = {120, 90, 79, 133, 87, 85, 80, 111, 151};

const uint8_t vp8_split_mv_probs[3] = {110, 111, 150};
const uint8_t vp8_sub_mv_ref_probs[5][3] = {
    {147, 136, 18}, {106, 145, 1}, {179, 121, 1}, {223, 1, 34}, {208, 1, 1}};
const uint8_t vp8_split_mv_count[4] = {2, 2, 4, 16};
const uint8_t vp8_split_mv_map[4][16] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1},
    {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1},
    {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};

const uint8_t vp8_coef_bands[17] = {0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0};
const uint8_t vp8_zigzag[16] = {0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15};

static const uint8_t pcat1[] = {159, 0};
static const uint8_t pcat2[] = {165, 145, 0};
static const uint8_t pcat3[] = {173, 148, 140, 0};
static const uint8_t pcat4[] = {176, 155, 140, 135, 0};
static const uint8_t pcat5[] = {180, 157, 141, 134, 130, 0};
static const uint8_t pcat6[] = {254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129, 0};
const uint8_t *const vp8_pcat_probs[6] = {pcat1, pcat2, pcat3, pcat4, pcat5, pcat6};
const int16_t vp8_dct_cat_base[6] = {5, 7, 11, 19, 35, 67};

const uint8_t vp8_norm[256] = {
    0, 7, 6, 6, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
