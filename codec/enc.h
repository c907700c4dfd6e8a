/*
 * Internals of the excam VP8 encoder.
 *
 * The encoder reuses the decoder's machinery wherever the two must agree: it fills a
 * vp8_decoder context (header, macroblock modes, dequantizers) as the decoder would,
 * reconstructs each macroblock with the decoder's own vp8_reconstruct_mb(), and
 * finishes the frame as the decoder does (a key frame's state by decoding the frame it
 * wrote). So the state an encode returns is the one the decoder derives (p->self_check
 * compares them), and prediction during encoding uses exactly the pixels a decoder
 * will have.
 */
#ifndef EXCAM_CODEC_ENC_H
#define EXCAM_CODEC_ENC_H

#include <stdint.h>

#include "boolwriter.h"
#include "dsp.h"
#include "vp8i.h"

/* Internal to the codec: referenced directly, not through the GOT (-fPIC). */
#pragma GCC visibility push(hidden)

extern const uint16_t vp8_prob_cost[256];

/* Cost (1/256 bit) of writing `bit` with probability prob/256 of a zero. */
static inline int vp8_cost_bool(int prob, int bit) { return vp8_prob_cost[bit ? 256 - prob : prob]; }

/* Cost of a tree-coded value (§8.1). */
static inline int vp8_cost_tree(const int8_t *tree, const uint8_t *probs, int value)
{
    int path[16], cost = 0;
    int n = vp8_tree_path(tree, 0, value, path, 0);
    for (int k = 0; k < n; k++)
        cost += vp8_cost_bool(probs[path[k] >> 1], path[k] & 1);
    return cost;
}

/* The quantized residual of one macroblock, as it will be tokenized. */
/* Motion vector component differences (quarter pels) the per-frame cost tables cover:
 * -VP8_MV_COST_MAX..VP8_MV_COST_MAX, at index + VP8_MV_COST_MAX. */
#define VP8_MV_COST_MAX 1023
#define VP8_MV_COST_SIZE (2 * VP8_MV_COST_MAX + 1)

typedef struct vp8_mb_coeffs {
    int16_t levels[25][16]; /* quantized, zigzag order: [0..15] Y, [16..23] U V, [24] Y2 */
    uint8_t eobs[25];       /* index after the last nonzero level (0: none) */
} vp8_mb_coeffs;

/* Branch counts of the coefficient trees: [type][band][ctx][node][bit]. */
typedef uint32_t vp8_coef_counts[4][8][3][11][2];

/* Branch counts of what the first partition codes with probabilities the header can
 * update (§16.2 intra modes of inter frames, §17.2 MV components): [prob][bit]. */
typedef struct vp8_mode_counts {
    uint32_t ymode[4][2];
    uint32_t uvmode[3][2];
    uint32_t mv[2][19][2];
} vp8_mode_counts;

/* Token costs with a frame's coefficient probabilities, looked up per (type, band,
 * context) instead of summed from the tree's branch costs at every coefficient (the rate
 * search prices every block it tries: 12% of an encode's time went there). */
typedef struct vp8_token_costs {
    int eob[4][8][3];     /* an EOB token here */
    int more[4][8][3];    /* "not EOB" */
    int zero[4][8][3];    /* DCT_0 (after "not EOB", or where no EOB can come) */
    int level[4][8][3][5]; /* magnitude 1..4: its token from node 1, with the sign */
} vp8_token_costs;

typedef struct vp8_encoder {
    vp8_decoder d;               /* hdr, s (probabilities in force), in, cur, mbi, dequant */
    vp8_token_costs tc;          /* from d.s->ctx, which the macroblocks do not change */
    const excam_image *src;
    const excam_vp8_enc_params *p;
    vp8_frame *srcf;             /* the source, padded to whole macroblocks */
    vp8_mb_coeffs *coeffs;       /* per macroblock */
    uint8_t nz_left[9];          /* token contexts during analysis (as in tokens.c) */
    uint8_t *nz_above;           /* 9 per macroblock column */
    int use_ref[4];              /* references the analysis may try */
    int rdmult;                  /* lambda of the rate-distortion cost */
    int mv_sad_lambda;           /* motion search: SAD units a vector bit costs; 0: off */
    uint16_t mv_cost[2][VP8_MV_COST_SIZE]; /* vp8_mv_cost_table of the frame's context */
    int trellis;                 /* levels optimized by vp8_trellis_block */
    int zbin_boost;              /* the quantizer's zero-run boost (enc_quant.c) */
    int16_t zrun_thresh[3][16];  /* AC zero bin after a run of r zeros, per kind */
    int64_t skip_thresh;         /* early exit: a skipped MB with less error (speed >= 3) */
    int mb_done;                 /* the current MB's search ended early */
    int rebase_try;              /* rebase: the kept vector against ZERO/NEAREST/NEAR */
    int64_t last_proxy;          /* the current MB's best whole-MB estimate on LAST */
    vp8_mv rebase_mv;            /* the kept vector */
    /* Rebase: the frame's header choices and macroblock modes, imposed (NULL: search). */
    const vp8_frame_header *forced_hdr;
    const vp8_mb_info *forced_mbi;
    int forced_stride;
    const vp8_seg_values *forced_seg; /* rebase: the frame's segment values (if enabled) */
    int quant_seg;               /* the segment e->q etc. are set up for */
    int coding_intra;            /* the candidate being coded is intra (trellis lambda) */
    /* Per-frame statistics for the header's probabilities. */
    uint32_t skip_count[2];      /* MBs with / without coefficients */
    uint32_t ref_count[4];       /* MBs per reference (intra, last, golden, altref) */
    vp8_coef_counts coef_counts;
    vp8_mode_counts *mode_counts; /* the frame's, for the header (vp8_count_mb_modes) */
    /* Quantizer tables of the frame: [Y1, Y2, UV][DC, AC]. */
    int16_t q[3][2], zbin[3][2], round[3][2];
    uint32_t iq[3][2];           /* 2^16 / q */
} vp8_encoder;

/* RD cost: distortion (SSE) plus rate (1/256 bits) weighted by lambda. */
static inline int64_t vp8_rdcost(const vp8_encoder *e, int rate, int64_t dist)
{
    return ((int64_t)rate * e->rdmult + 128) / 256 + dist;
}

/* enc_transform.c: forward transforms (§14.3, §14.4 inverses; libvpx's forward). */
void vp8_fwht4x4(const int16_t in[16], int16_t out[16]);

/* enc_quant.c: quantize one block of transform coefficients (natural order) into
 * levels (zigzag order) and dequantized coefficients (natural order) for the
 * reconstruction. kind: 0 Y1, 1 Y2, 2 UV. Returns the eob (index after the last
 * nonzero level in zigzag order, or `first` if none). */
/* vp8_enc_init_quant: the tables for segment seg's quantizers (d.dequant[seg]); the
 * encoder sets segment 0's, a rebase with segmentation each macroblock's. */
void vp8_enc_init_quant(vp8_encoder *e, int seg);
int vp8_quantize_block(const vp8_encoder *e, int kind, int first, const int16_t coef[16],
                       int16_t levels[16], int16_t dq[16]);

/* enc_tokens.c: §13. Rate of a block's tokens with the frame's probabilities, counting
 * and writing. nz context handling mirrors tokens.c. */
int vp8_token_cost(const vp8_entropy *en, int type, int ctx, int first, const int16_t *levels,
                   int eob);
/* The same sum from the tables (bit for bit the same value). */
void vp8_token_costs_init(vp8_token_costs *t, const vp8_entropy *en);
int vp8_token_cost_t(const vp8_token_costs *t, const vp8_entropy *en, int type, int ctx,
                     int first, const int16_t *levels, int eob);
/* Cost of the token of a level of magnitude a (0 = DCT_0) from the tree's node 1 (after
 * the EOB branch), sign and extra bits included, with the probabilities p of its band
 * and context. */
int vp8_level_cost(const uint8_t p[11], int a);
void vp8_tokens_count_mb(vp8_encoder *e, const vp8_mb_info *mb, const vp8_mb_coeffs *c,
                         uint8_t *nz_left, uint8_t *nz_above);
void vp8_tokens_write_mb(vp8_bool_writer *w, const vp8_entropy *en, const vp8_mb_info *mb,
                         const vp8_mb_coeffs *c, uint8_t *nz_left, uint8_t *nz_above);
/* Choose coefficient probability updates (§13.4) from e->coef_counts; writes them
 * into `w` (NULL: only choose) and applies them to `en`. */
void vp8_coef_updates(vp8_encoder *e, vp8_bool_writer *w, vp8_entropy *en);

/* enc_trellis.c: rate-distortion optimization of a quantized block (levels from
 * vp8_quantize_block, coef the transform coefficients in natural order): each level may
 * become one step smaller in magnitude, and the block may end earlier, where that
 * lowers distortion + lambda * token bits, with the token contexts followed exactly.
 * Updates levels, dq and returns the new eob. type: the token type (§13.3), ctx: the
 * block's context from its neighbours. */
int vp8_trellis_block(const vp8_encoder *e, int kind, int type, int ctx, int first,
                      const int16_t coef[16], int16_t levels[16], int16_t dq[16], int eob);

/* enc_header.c: §9 / §19.2 frame header (first partition, before the modes). */
void vp8_write_frame_header(vp8_encoder *e, vp8_bool_writer *w);

/* enc_modes.c: §10, §11, §16, §17 macroblock headers. */
/* §16.4: partition j of a SPLITMV macroblock as the writer codes it: its vector, its
 * sub-block mode (from its left and above neighbours' vectors) and that mode's
 * probabilities. */
typedef struct vp8_split_part {
    vp8_mv mv;
    int sub;              /* VP8_SUBMV_* */
    const uint8_t *probs; /* vp8_sub_mv_ref_probs[context] */
} vp8_split_part;
vp8_split_part vp8_split_part_of(const vp8_mb_info *mb, const vp8_mb_info *above,
                                 const vp8_mb_info *left, int j);
void vp8_write_mb_modes(vp8_encoder *e, vp8_bool_writer *w, int mb_row, int mb_col);
/* The branch counts of what vp8_write_mb_modes writes with probabilities the header
 * can update (modes of intra macroblocks, vectors), into mc (inter frames). */
void vp8_count_mb_modes(vp8_encoder *e, vp8_mode_counts *mc, int mb_row, int mb_col);
int vp8_mv_cost(const vp8_entropy *en, vp8_mv mv, vp8_mv ref);    /* 1/256 bits */
/* The same per component (row 0, column 1), for the motion search (see
 * VP8_MV_COST_MAX). */
void vp8_mv_cost_table(const vp8_entropy *en, uint16_t tab[2][VP8_MV_COST_SIZE]);

/* enc_lumacache.c: 16x16 six-tap luma predictions of one macroblock from one
 * reference, sharing the horizontal pass between vectors of one column. */
#define VP8_LC_ENTRIES 8
typedef struct vp8_luma_cache {
    const vp8_dsp *dsp;
    const uint8_t *ref;    /* the reference's luma at the macroblock's top-left */
    ptrdiff_t rs;
    vp8_mv_bounds bounds;  /* vectors it predicts (the border covers their taps) */
    int n, next;
    struct {
        int col, top;      /* column (eighth pels), full-pel block top it was made for */
        _Alignas(16) uint8_t buf[16 + 24 * 16 + 16];
    } e[VP8_LC_ENTRIES];
} vp8_luma_cache;
/* bounds: as vp8_mv_bounds_init's for the macroblock (or inside them). */
void vp8_luma_cache_init(vp8_luma_cache *c, const vp8_dsp *dsp, const uint8_t *ref,
                         ptrdiff_t rs, const vp8_mv_bounds *bounds);
/* The six-tap prediction of the macroblock's luma with mv: a pointer to its 16x16
 * pixels (rows *stride apart) in the reference, the cache or tmp; NULL if mv is
 * outside the bounds (predict it the decoder's way). Valid until the next call. */
const uint8_t *vp8_luma_cache_pred(vp8_luma_cache *c, vp8_mv mv, uint8_t tmp[256],
                                   ptrdiff_t *stride);
/* The SSE of that prediction against the 16x16 block at src, without storing it; -1
 * if mv is outside the bounds. */
int64_t vp8_luma_cache_sse(vp8_luma_cache *c, vp8_mv mv, const uint8_t *src, ptrdiff_t ss);

/* enc_analysis.c: choose the modes of one macroblock, quantize its residual and
 * reconstruct it into e->d.cur. */
void vp8_encode_mb(vp8_encoder *e, int mb_row, int mb_col);

#pragma GCC visibility pop

#endif /* EXCAM_CODEC_ENC_H */
