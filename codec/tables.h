/* Constant tables of RFC 6386: trees, default and update probabilities, quantizers. */
#ifndef EXCAM_CODEC_TABLES_H
#define EXCAM_CODEC_TABLES_H

#include <stdint.h>

/* Internal to the codec: referenced directly, not through the GOT (-fPIC). */
#pragma GCC visibility push(hidden)

/* Generated from the RFC text by scripts/rfc_tables.py (tables_rfc.c). */
extern const uint8_t vp8_kf_bmode_probs[10][10][9];      /* §11.5 */
extern const uint8_t vp8_coef_update_probs[4][8][3][11]; /* §13.4 */
extern const uint8_t vp8_default_coef_probs[4][8][3][11];/* §13.5 */
extern const int16_t vp8_dc_qlookup[128];                /* §14.1 */
extern const int16_t vp8_ac_qlookup[128];                /* §14.1 */
extern const uint8_t vp8_mode_contexts[6][4];            /* §16.3 */
extern const uint8_t vp8_mv_update_probs[2][19];         /* §17.2 */
extern const uint8_t vp8_default_mv_probs[2][19];        /* §17.2 */

/* tables.c: the small ones. */
extern const int8_t vp8_ymode_tree[8];       /* §11.2, inter frames: DC V H TM B */
extern const int8_t vp8_kf_ymode_tree[8];    /* §11.2, key frames */
extern const int8_t vp8_uv_mode_tree[6];     /* §11.2 */
extern const int8_t vp8_bmode_tree[18];      /* §11.2 */
extern const int8_t vp8_segment_tree[6];     /* §9.3 / §10 */
extern const int8_t vp8_mv_ref_tree[8];      /* §16.2 */
extern const int8_t vp8_split_mv_tree[6];    /* §16.4 mvpartition_tree */
extern const int8_t vp8_sub_mv_ref_tree[6];  /* §16.4 */
extern const int8_t vp8_small_mv_tree[14];   /* §17.1 */
extern const int8_t vp8_coef_tree[22];       /* §13.2 */

extern const uint8_t vp8_kf_ymode_probs[4];       /* §11.2 */
extern const uint8_t vp8_kf_uv_mode_probs[3];     /* §11.2 */
extern const uint8_t vp8_default_ymode_probs[4];  /* §16.1 */
extern const uint8_t vp8_default_uv_mode_probs[3];/* §16.1 */
extern const uint8_t vp8_bmode_probs[9];          /* §16.1, B modes in inter frames */
extern const uint8_t vp8_split_mv_probs[3];       /* §16.4 */
extern const uint8_t vp8_sub_mv_ref_probs[5][3];  /* §16.4 */
extern const uint8_t vp8_split_mv_count[4];       /* subsets per partitioning */
extern const uint8_t vp8_split_mv_map[4][16];     /* subblock -> subset */

extern const uint8_t vp8_coef_bands[17];     /* §13.3 (17th entry: sentinel) */
extern const uint8_t vp8_zigzag[16];         /* §13 */
extern const uint8_t *const vp8_pcat_probs[6];  /* §13.2 DCT_extra categories 1..6 */
extern const int16_t vp8_dct_cat_base[6];    /* smallest value of each category */

/* Luma MV split partitionings (§16.4). */
enum { VP8_SPLIT_16x8 = 0, VP8_SPLIT_8x16 = 1, VP8_SPLIT_8x8 = 2, VP8_SPLIT_4x4 = 3 };

#pragma GCC visibility pop

#endif /* EXCAM_CODEC_TABLES_H */
