/*
 * Internal structures of the excam VP8 codec: reference frames, the explicit
 * decoder state, the per-frame header and per-macroblock mode information.
 */
#ifndef EXCAM_CODEC_VP8I_H
#define EXCAM_CODEC_VP8I_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "excam/vp8.h"

/* Internal to the codec: referenced directly, not through the GOT (-fPIC). */
#pragma GCC visibility push(hidden)

/* ------------------------------------------------------------------ frames */

/* Pixels of border around the macroblock-aligned luma area (chroma: half).
 * Motion vectors reaching further read through an edge-emulation path. */
#define VP8_BORDER 48

/* A reference-counted picture. Decoding writes the macroblock-aligned area
 * (mb_cols*16 x mb_rows*16), which includes pixels beyond the display size, and
 * then replicates its edges into the border, as libvpx does. Once published in a
 * state a frame is immutable. */
typedef struct vp8_frame {
    atomic_int refs;
    int width, height;        /* display size */
    int mb_cols, mb_rows;
    ptrdiff_t stride[3];
    uint8_t *plane[3];        /* top-left visible pixel of Y, U, V */
    uint8_t *mem;
} vp8_frame;

vp8_frame *vp8_frame_new(int width, int height);
vp8_frame *vp8_frame_ref(vp8_frame *f);
void vp8_frame_unref(vp8_frame *f);
/* Replicate the macroblock-aligned area's edges into the border: all of it, or the
 * side borders of one macroblock row, or (after every row's sides) the rows above
 * and below. */
void vp8_frame_extend(vp8_frame *f);
void vp8_frame_extend_row(vp8_frame *f, int mb_row);
void vp8_frame_extend_top_bottom(vp8_frame *f);

/* -------------------------------------------------------------- the state */

enum { VP8_REF_INTRA = 0, VP8_REF_LAST = 1, VP8_REF_GOLDEN = 2, VP8_REF_ALTREF = 3 };

/* Probabilities that persist from frame to frame (§9.9, §13.4, §16.1, §17.2). */
typedef struct vp8_entropy {
    uint8_t coef[4][8][3][11];
    uint8_t ymode[4];
    uint8_t uvmode[3];
    uint8_t mv[2][19];
} vp8_entropy;

/* Everything a VP8 decoder carries from one frame to the next. */
struct excam_vp8_state {
    int has_keyframe;
    int width, height;          /* display size */
    int horiz_scale, vert_scale;/* §9.2: informational upscaling */
    int color_space, clamping_type;
    int mb_cols, mb_rows;
    vp8_entropy ctx;            /* the probabilities in force */
    /* §9.3 segmentation: values persist until updated. */
    int segmentation_enabled;   /* of the last frame (informational) */
    int seg_abs_delta;          /* 1: values are absolute, 0: deltas */
    int8_t seg_quant[4];        /* [-127, 127] */
    int8_t seg_lf[4];           /* [-63, 63] */
    uint8_t *seg_map;           /* mb_rows * mb_cols segment ids, persists */
    /* §9.6 loop-filter deltas: persist until updated. */
    int lf_delta_enabled;       /* of the last frame (informational) */
    int8_t ref_lf_delta[4];     /* intra, last, golden, altref */
    int8_t mode_lf_delta[4];    /* B_PRED, ZEROMV, NEARESTMV..NEWMV (nonzero mv), SPLITMV */
    vp8_frame *ref[4];          /* [VP8_REF_LAST..ALTREF]; [0] unused */
    vp8_frame *shown;           /* the last shown frame (for dropped frames) */
    int no_pictures;            /* from excam_vp8_advance_modes: ref[] and shown are NULL;
                                 * only for parsing modes (rebase's old base) */
};

/* Allocate an empty state (no key frame yet). */
excam_vp8_state *vp8_state_alloc(void);
/* Reset the state's geometry for a key frame of a (possibly new) size. */
int vp8_state_set_size(excam_vp8_state *s, int width, int height);

/* ----------------------------------------------------------- frame header */

/* Per-frame header fields (§9, §19.2): not state. */
typedef struct vp8_frame_header {
    int key_frame, version, show_frame;
    size_t first_part_size;
    int width, height, horiz_scale, vert_scale;
    int color_space, clamping_type;
    int segmentation_enabled, update_mb_seg_map, update_seg_data;
    uint8_t seg_tree_probs[3];
    int filter_type, filter_level, sharpness;
    int lf_delta_enabled;
    int num_partitions;         /* 1, 2, 4, 8 */
    int q_index;                /* y_ac_qi */
    int y1dc_delta, y2dc_delta, y2ac_delta, uvdc_delta, uvac_delta;
    int refresh_golden, refresh_altref, refresh_last, copy_to_golden, copy_to_altref;
    int sign_bias[4];
    int refresh_entropy;
    int mb_no_coeff_skip;
    int prob_skip_false, prob_intra, prob_last, prob_golden;
} vp8_frame_header;

/* ------------------------------------------------------ macroblock modes */

/* Inter-MB modes (§16.2); values follow the intra modes so one field holds both. */
enum {
    VP8_MV_NEAREST = 5, VP8_MV_NEAR, VP8_MV_ZERO, VP8_MV_NEW, VP8_MV_SPLIT
};
/* Sub-block MV modes for SPLITMV (§16.4). */
enum { VP8_SUBMV_LEFT = 0, VP8_SUBMV_ABOVE, VP8_SUBMV_ZERO, VP8_SUBMV_NEW };
/* DCT tokens (§13.2). */
enum {
    VP8_TOKEN_ZERO = 0, VP8_TOKEN_ONE, VP8_TOKEN_TWO, VP8_TOKEN_THREE, VP8_TOKEN_FOUR,
    VP8_TOKEN_CAT1, VP8_TOKEN_CAT2, VP8_TOKEN_CAT3, VP8_TOKEN_CAT4, VP8_TOKEN_CAT5,
    VP8_TOKEN_CAT6, VP8_TOKEN_EOB
};

typedef struct vp8_mv { int16_t row, col; } vp8_mv; /* luma, in 1/8 pel (always even) */

static inline int vp8_mv_equal(vp8_mv a, vp8_mv b) { return a.row == b.row && a.col == b.col; }
static inline int vp8_mv_is_zero(vp8_mv a) { return a.row == 0 && a.col == 0; }

/* What a macroblock's header says (§11, §16, §19.3). */
typedef struct vp8_mb_info {
    uint8_t ymode;        /* VP8_DC_PRED..VP8_B_PRED or VP8_MV_NEAREST..VP8_MV_SPLIT */
    uint8_t uvmode;
    uint8_t ref_frame;    /* VP8_REF_* */
    uint8_t segment;
    uint8_t skip;         /* mb_skip_coeff as read (then: no nonzero coefficients) */
    uint8_t partitioning; /* SPLITMV only */
    uint8_t bmodes[16];   /* B_PRED only */
    vp8_mv mv;            /* the MB's vector (bmv[15] for SPLITMV) */
    vp8_mv bmv[16];       /* per-subblock vectors */
} vp8_mb_info;

/* ---------------------------------------------------- decoding machinery */

struct vp8_dsp;

/* Per-frame decoding context: lives only during one decode call. */
typedef struct vp8_decoder {
    const struct vp8_dsp *dsp;
    vp8_frame_header hdr;
    excam_vp8_state *s;     /* the new state being built */
    const excam_vp8_state *in;
    vp8_frame *cur;         /* the frame being reconstructed */
    vp8_mb_info *mbi;       /* (mb_cols + 1) * (mb_rows + 1), with a border row/col */
    int mbi_stride;
    int16_t dequant[4][3][2]; /* [segment][Y1, Y2, UV][DC, AC] */
    uint8_t *nz_above;      /* per MB column: 9 nonzero flags (4 Y, 2 U, 2 V, 1 Y2) */
    int16_t (*coeffs)[25][16]; /* per MB of one row */
    /* The loop filter's per-frame tables (vp8_loop_filter_setup): the level of a
     * macroblock by segment, reference frame and mode class (loopfilter.c), and what
     * each level's filters need. */
    uint8_t lf_level[4][4][5];
    struct { uint8_t interior, hev, mb_edge, sub_edge; } lf_limits[64];
} vp8_decoder;

static inline vp8_mb_info *vp8_mbi(vp8_decoder *d, int mb_row, int mb_col)
{
    return &d->mbi[(mb_row + 1) * d->mbi_stride + mb_col + 1];
}

/* §9.3 segment values in force for a frame (they persist in the state). */
typedef struct vp8_seg_values {
    int abs_delta;
    int8_t quant[4], lf[4];
} vp8_seg_values;

/* decoder.c: decode `data` against `in` and keep what the frame decided: its header,
 * the segment values in force for it (`seg`, may be NULL) and every macroblock's modes
 * and segment (*mbi: (mb_cols + 1) * (mb_rows + 1) with the border row and column, as
 * vp8_decoder's; free() it). If `advanced` is not NULL, *advanced gets what
 * excam_vp8_advance_modes(in, data) would give, from the same parse. For rebase. */
int vp8_decode_modes(const excam_vp8_state *in, const uint8_t *data, size_t len,
                     vp8_frame_header *hdr, vp8_seg_values *seg, vp8_mb_info **mbi,
                     int *mbi_stride, excam_vp8_state **advanced);

/* header.c: §9 / §19.2. `bd` is positioned after the frame header on return. */
struct vp8_bool_decoder;
int vp8_parse_frame_tag(const uint8_t *data, size_t len, vp8_frame_header *h);
int vp8_parse_header(struct vp8_bool_decoder *bd, vp8_frame_header *h, excam_vp8_state *s);
void vp8_parse_header_probs(struct vp8_bool_decoder *bd, vp8_frame_header *h, vp8_entropy *e);

/* modes.c: §10, §11, §16, §17: the modes of one macroblock. */
void vp8_read_mb_modes(vp8_decoder *d, struct vp8_bool_decoder *bd, int mb_row, int mb_col);
/* The same for every macroblock of a row, in order. */
void vp8_read_row_modes(vp8_decoder *d, struct vp8_bool_decoder *bd, int mb_row);

/* modes.c, shared with the encoder: */
uint8_t vp8_implied_bmode(int ymode); /* §11.3: B mode context of a 16x16 mode */
typedef struct vp8_mv_bounds { int to_left, to_right, to_top, to_bottom; } vp8_mv_bounds;
void vp8_mv_bounds_init(vp8_mv_bounds *b, int mb_row, int mb_col, int mb_rows, int mb_cols);
vp8_mv vp8_clamp_mv(vp8_mv mv, const vp8_mv_bounds *b);
enum { VP8_CNT_ZERO = 0, VP8_CNT_NEAREST, VP8_CNT_NEAR, VP8_CNT_SPLIT };
/* §16.3: near_mvs[VP8_CNT_NEAREST], [VP8_CNT_NEAR], best in [VP8_CNT_ZERO] (unclamped);
 * cnt[] indexes vp8_mode_contexts. */
void vp8_find_near_mvs(const vp8_mb_info *above, const vp8_mb_info *left,
                       const vp8_mb_info *aboveleft, int ref_frame, const int sign_bias[4],
                       vp8_mv near_mvs[4], int cnt[4]);
int vp8_submv_context(vp8_mv left, vp8_mv above); /* §16.4 */

/* decoder.c: §14.1 dequantization factors of every segment into d->dequant. */
void vp8_setup_dequant(vp8_decoder *d);
/* decoder.c: the kernel table of this CPU; key-frame defaults of a state (§9.2-§9.11). */
const struct vp8_dsp *vp8_get_dsp(void);
void vp8_state_reset_for_key(excam_vp8_state *s);

/* tokens.c: §13: coefficients of one macroblock; returns nonzero if any coefficient. */
int vp8_read_mb_tokens(vp8_decoder *d, struct vp8_bool_decoder *bd, vp8_mb_info *mb,
                       uint8_t *nz_left, uint8_t *nz_above, int16_t coeffs[25][16],
                       uint8_t eobs[25]);

/* recon.c: §12, §14, §18: reconstruct one macroblock into d->cur. */
void vp8_reconstruct_mb(vp8_decoder *d, int mb_row, int mb_col, const vp8_mb_info *mb,
                        int has_coeffs, int16_t coeffs[25][16], const uint8_t eobs[25]);
/* The prediction of a whole-MB inter macroblock (not split): its luma (16x16) and/or
 * chroma (two 8x8) into dst with the given strides. */
void vp8_predict_inter_whole(vp8_decoder *d, int mb_row, int mb_col, const vp8_mb_info *mb,
                             int luma, int chroma, uint8_t *dst[3], const ptrdiff_t stride[3]);
/* Prepare the intra-prediction edges of the new frame (127 above, 129 left). */
void vp8_recon_setup_row(vp8_decoder *d, int mb_row);
void vp8_recon_finish_row(vp8_decoder *d, int mb_row);

/* decode_rows.c: every macroblock of the frame (modes, residue, reconstruction, loop
 * filter, borders) into d->cur, on up to `threads` threads (the same bytes for any
 * number). Returns nonzero if a partition ran out of data. */
int vp8_decode_rows(vp8_decoder *d, struct vp8_bool_decoder *first,
                    struct vp8_bool_decoder *parts, int threads);

/* loopfilter.c: §15, over one macroblock row of d->cur (rows in order: a row's top
 * edge changes the three pixel rows above it), or over the whole frame. */
void vp8_loop_filter_row(vp8_decoder *d, int mb_row);
/* The macroblocks [col0, col1) of one row (the decoder's wavefront, decode_rows.c). */
void vp8_loop_filter_mbs(vp8_decoder *d, int mb_row, int col0, int col1);
void vp8_loop_filter_frame(vp8_decoder *d);
/* Fill d's loop filter tables from its frame header and state: before a frame's first
 * vp8_loop_filter_row/mbs (vp8_loop_filter_frame calls it itself). */
void vp8_loop_filter_setup(vp8_decoder *d);
/* §9.7-§9.8: the references after a frame whose (loop-filtered, extended) picture is
 * cur, as the header says (decoder.c; also the encoder's rebase). */
void vp8_update_references(excam_vp8_state *s, const vp8_frame_header *h, vp8_frame *cur);

#pragma GCC visibility pop

#endif /* EXCAM_CODEC_VP8I_H */
