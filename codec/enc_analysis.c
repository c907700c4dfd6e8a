/*
 * Mode decision for one macroblock, by rate-distortion: each candidate (intra 16x16
 * modes, B_PRED with its subblock modes, and on inter frames ZEROMV / NEARESTMV /
 * NEARMV / NEWMV on each usable reference) is transformed, quantized and
 * reconstructed, and the one with the least distortion + lambda * bits wins.
 * The chosen macroblock is then reconstructed by the decoder's own
 * vp8_reconstruct_mb(), so what later macroblocks predict from is exactly what a
 * decoder will have.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "tables.h"

enum { TYPE_Y_AFTER_Y2 = 0, TYPE_Y2 = 1, TYPE_UV = 2, TYPE_Y_WITH_DC = 3 };
enum { KIND_Y1 = 0, KIND_Y2 = 1, KIND_UV = 2 };

/* The work of one candidate: its header, quantized levels and dequantized coefficients. */
typedef struct candidate {
    vp8_mb_info mb;
    vp8_mb_coeffs c;
    int16_t dq[25][16];
    int64_t rd;
    int rate;
    int64_t dist;
    /* rec_ok: rec holds the macroblock as the decoder reconstructs it (luma 16x16,
     * then U and V 8x8), made while it was measured (code_inter_pred), so the commit
     * copies it instead of predicting again (vp8_reconstruct_mb was 5.7% of the
     * rebase's time; rebase foreman CIF q 40: 1.235 -> 1.184 ms a frame, flower 720p
     * 9.60 -> 9.46; encode foreman speed 4: 5.40 -> 5.33). */
    int rec_ok;
    uint8_t rec[256 + 2 * 64];
} candidate;

/* ------------------------------------------------------------ pixels */

/* The SSE of a square block (w = h = 16, 8 or 4) by the kernel table. */
static inline int64_t sse_block(const vp8_dsp *dsp, const uint8_t *a, ptrdiff_t as,
                                const uint8_t *b, ptrdiff_t bs, int w)
{
    return dsp->sse[w == 16 ? VP8_PRED_16x16 : w == 8 ? VP8_PRED_8x8 : VP8_PRED_4x4](a, as, b, bs);
}

static void diff_block(const uint8_t *src, ptrdiff_t ss, const uint8_t *pred, ptrdiff_t ps,
                       int16_t *out, ptrdiff_t os, int w, int h)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            out[y * os + x] = (int16_t)(src[y * ss + x] - pred[y * ps + x]);
}

/* Mirror of recon.c's residue step for one 4x4 block. */
static void add_block(const vp8_dsp *dsp, const int16_t dq[16], int eob, uint8_t *dst,
                      ptrdiff_t stride)
{
    int16_t tmp[16];
    if (eob > 1) {
        memcpy(tmp, dq, sizeof(tmp));
        dsp->idct_add(tmp, dst, stride);
    } else if (dq[0]) {
        dsp->idct_dc_add(dq[0], dst, stride);
    }
}

/* ------------------------------------------------------------ residual coding */

/* Luma with a Y2 block (all 16x16 modes and whole-MB inter modes): transform,
 * quantize; returns the token rate with the contexts nz_left/nz_above (not changed). */
static int code_luma16(vp8_encoder *e, const uint8_t *src, ptrdiff_t ss, const uint8_t *pred,
                       ptrdiff_t ps, candidate *cd, const uint8_t *nz_left,
                       const uint8_t *nz_above)
{
    const vp8_entropy *en = &e->d.s->ctx;
    int16_t diff[256], coef[16][16], dc[16], y2[16];
    uint8_t l[4], a[4];
    int rate;

    diff_block(src, ss, pred, ps, diff, 16, 16, 16);
    for (int b = 0; b < 16; b++) {
        e->d.dsp->fdct4x4(diff + (b >> 2) * 64 + (b & 3) * 4, 16, coef[b]);
        dc[b] = coef[b][0];
    }
    vp8_fwht4x4(dc, y2);
    cd->c.eobs[24] = (uint8_t)vp8_quantize_block(e, KIND_Y2, 0, y2, cd->c.levels[24], cd->dq[24]);
    rate = vp8_token_cost_t(&e->tc, en, TYPE_Y2, nz_left[8] + nz_above[8], 0, cd->c.levels[24],
                          cd->c.eobs[24]);
    memcpy(l, nz_left, 4);
    memcpy(a, nz_above, 4);
    for (int b = 0; b < 16; b++) {
        int eob = vp8_quantize_block(e, KIND_Y1, 1, coef[b], cd->c.levels[b], cd->dq[b]);
        if (e->trellis)
            eob = vp8_trellis_block(e, KIND_Y1, TYPE_Y_AFTER_Y2, l[b >> 2] + a[b & 3], 1, coef[b],
                                    cd->c.levels[b], cd->dq[b], eob);
        cd->c.eobs[b] = (uint8_t)eob;
        rate += vp8_token_cost_t(&e->tc, en, TYPE_Y_AFTER_Y2, l[b >> 2] + a[b & 3], 1, cd->c.levels[b], eob);
        l[b >> 2] = a[b & 3] = eob > 1;
    }
    return rate;
}

/* Reconstruct luma coded by code_luma16 onto `pred` (modified) and return its SSE. */
static int64_t recon_luma16(vp8_encoder *e, candidate *cd, uint8_t *pred, ptrdiff_t ps,
                            const uint8_t *src, ptrdiff_t ss)
{
    const vp8_dsp *dsp = e->d.dsp;
    int16_t y2[16], dcs[16 * 16];
    memcpy(y2, cd->dq[24], sizeof(y2));
    dsp->iwht(y2, dcs);
    for (int b = 0; b < 16; b++) {
        int16_t blk[16];
        memcpy(blk, cd->dq[b], sizeof(blk));
        blk[0] = dcs[16 * b];
        add_block(dsp, blk, cd->c.eobs[b], pred + (b >> 2) * 4 * ps + (b & 3) * 4, ps);
    }
    return sse_block(dsp, src, ss, pred, ps, 16);
}

/* Chroma: both planes; rate with contexts, reconstruction onto pred, SSE. */
static int code_chroma(vp8_encoder *e, const uint8_t *src[2], ptrdiff_t ss, uint8_t *pred[2],
                       ptrdiff_t ps, candidate *cd, const uint8_t *nz_left,
                       const uint8_t *nz_above, int64_t *dist)
{
    const vp8_entropy *en = &e->d.s->ctx;
    uint8_t l[4], a[4];
    int rate = 0;
    memcpy(l, nz_left + 4, 4);
    memcpy(a, nz_above + 4, 4);
    *dist = 0;
    for (int p = 0; p < 2; p++) {
        int16_t diff[64];
        diff_block(src[p], ss, pred[p], ps, diff, 8, 8, 8);
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++) {
                int b = 16 + p * 4 + y * 2 + x;
                int16_t coef[16];
                e->d.dsp->fdct4x4(diff + y * 32 + x * 4, 8, coef);
                int eob = vp8_quantize_block(e, KIND_UV, 0, coef, cd->c.levels[b], cd->dq[b]);
                uint8_t *lc = &l[p * 2 + y], *ac = &a[p * 2 + x];
                if (e->trellis)
                    eob = vp8_trellis_block(e, KIND_UV, TYPE_UV, *lc + *ac, 0, coef,
                                            cd->c.levels[b], cd->dq[b], eob);
                cd->c.eobs[b] = (uint8_t)eob;
                rate += vp8_token_cost_t(&e->tc, en, TYPE_UV, *lc + *ac, 0, cd->c.levels[b], eob);
                *lc = *ac = eob > 0;
                add_block(e->d.dsp, cd->dq[b], eob, pred[p] + y * 4 * ps + x * 4, ps);
            }
        *dist += sse_block(e->d.dsp, src[p], ss, pred[p], ps, 8);
    }
    return rate;
}

/* ------------------------------------------------------------ context */

typedef struct mb_ctx {
    int row, col;
    uint8_t *dst[3];        /* the MB in the frame being reconstructed */
    ptrdiff_t ds[3];
    const uint8_t *src[3];  /* the MB in the (padded) source */
    ptrdiff_t ss[3];
    uint8_t *nz_left, *nz_above;
    vp8_mb_info *above, *left;
} mb_ctx;

static void left_column(const uint8_t *p, ptrdiff_t stride, int n, uint8_t *out)
{
    for (int i = 0; i < n; i++)
        out[i] = p[i * stride - 1];
}

/* Rate of the luma mode in the MB header. */
static int ymode_cost(vp8_encoder *e, int ymode)
{
    if (e->d.hdr.key_frame) return vp8_cost_tree(vp8_kf_ymode_tree, vp8_kf_ymode_probs, ymode);
    return vp8_cost_tree(vp8_ymode_tree, e->d.s->ctx.ymode, ymode) + vp8_cost_bool(e->d.hdr.prob_intra, 0);
}

static int uvmode_cost(vp8_encoder *e, int uvmode)
{
    if (e->d.hdr.key_frame) return vp8_cost_tree(vp8_uv_mode_tree, vp8_kf_uv_mode_probs, uvmode);
    return vp8_cost_tree(vp8_uv_mode_tree, e->d.s->ctx.uvmode, uvmode);
}

/* ------------------------------------------------------------ intra */

/* Insert item into order[0..n-1], kept sorted by key[] ascending (ties: earlier first):
 * the ranking of candidates by their quick estimate. */
static void rank_insert(int *order, int n, const int64_t *key, int item)
{
    int i = n;
    while (i > 0 && key[order[i - 1]] > key[item]) {
        order[i] = order[i - 1];
        i--;
    }
    order[i] = item;
}

/* Intra modes of inter frames at speed >= 2 (16x16 luma, chroma): ranked by their
 * prediction's SSE plus lambda times the mode's rate, only the first is coded (key
 * frames and lower speeds: all four). Quick bench (4 clips, q 12..48, vs vpxenc
 * --cpu-used=1): luma 0.68x -> 0.75x its speed, BD-rate PSNR +1.39% -> +0.92%, SSIM
 * +0.27% -> -0.05% (coding the best two: 0.72x, +1.23%); then chroma 0.79x, +0.93%
 * (two: 0.77x, +0.94%). */
static int intra_modes_coded(const vp8_encoder *e)
{
    return e->d.hdr.key_frame || e->p->speed < 2 ? 4 : 1;
}

/* Best 16x16 luma mode: fills cd (luma part) and returns its RD cost. */
static int64_t pick_intra16(vp8_encoder *e, const mb_ctx *m, candidate *best)
{
    uint8_t left[16], pred[4][256];
    candidate cd;
    int64_t best_rd = INT64_MAX, est[4];
    int order[4];
    const int ncode = intra_modes_coded(e);
    left_column(m->dst[0], m->ds[0], 16, left);
    for (int mode = VP8_DC_PRED; mode <= VP8_TM_PRED; mode++) {
        e->d.dsp->pred16(pred[mode], 16, mode, m->dst[0] - m->ds[0], left, m->row > 0, m->col > 0);
        est[mode] = ncode < 4 ? vp8_rdcost(e, ymode_cost(e, mode),
                                           sse_block(e->d.dsp, m->src[0], m->ss[0], pred[mode], 16, 16))
                              : 0;
        rank_insert(order, mode, est, mode);
    }
    for (int k = 0; k < ncode; k++) {
        const int mode = order[k];
        int rate = code_luma16(e, m->src[0], m->ss[0], pred[mode], 16, &cd, m->nz_left, m->nz_above);
        rate += ymode_cost(e, mode);
        int64_t dist = recon_luma16(e, &cd, pred[mode], 16, m->src[0], m->ss[0]);
        int64_t rd = vp8_rdcost(e, rate, dist);
        if (rd < best_rd) {
            best_rd = rd;
            cd.mb.ymode = (uint8_t)mode;
            cd.rate = rate;
            cd.dist = dist;
            memcpy(best->c.levels, cd.c.levels, sizeof(cd.c.levels[0]) * 16);
            memcpy(best->c.levels[24], cd.c.levels[24], sizeof(cd.c.levels[24]));
            memcpy(best->c.eobs, cd.c.eobs, 16);
            best->c.eobs[24] = cd.c.eobs[24];
            memcpy(best->dq, cd.dq, sizeof(cd.dq[0]) * 16);
            memcpy(best->dq[24], cd.dq[24], sizeof(cd.dq[24]));
            best->mb.ymode = (uint8_t)mode;
            best->rate = rate;
            best->dist = dist;
        }
    }
    return best_rd;
}

/* B_PRED: each subblock's mode chosen in turn, reconstructed into the frame as it goes
 * (the next subblock predicts from it). Returns the RD cost; cd gets the luma part. */
static int64_t pick_bpred(vp8_encoder *e, const mb_ctx *m, candidate *cd, int64_t budget,
                          const uint8_t *fixed)
{
    const vp8_dsp *dsp = e->d.dsp;
    const vp8_entropy *en = &e->d.s->ctx;
    uint8_t *y = m->dst[0];
    const ptrdiff_t ys = m->ds[0];
    const uint8_t *mb_above_right = y - ys + 16;
    uint8_t l[4], a[4];
    int key = e->d.hdr.key_frame;
    int rate = ymode_cost(e, VP8_B_PRED);
    int64_t dist = 0, rd = vp8_rdcost(e, rate, 0);

    memcpy(l, m->nz_left, 4);
    memcpy(a, m->nz_above, 4);
    for (int b = 0; b < 16; b++) {
        uint8_t *dst = y + (b >> 2) * 4 * ys + (b & 3) * 4;
        const uint8_t *src = m->src[0] + (b >> 2) * 4 * m->ss[0] + (b & 3) * 4;
        uint8_t edge[9], left[4], pred[16], best_pix[16];
        int16_t diff[16], coef[16], levels[16], dq[16], best_levels[16], best_dq[16];
        int ctx_a = b < 4 ? m->above->bmodes[b + 12] : cd->mb.bmodes[b - 4];
        int ctx_l = (b & 3) == 0 ? m->left->bmodes[b + 3] : cd->mb.bmodes[b - 1];
        const uint8_t *mprobs = key ? vp8_kf_bmode_probs[ctx_a][ctx_l] : vp8_bmode_probs;
        int64_t best = INT64_MAX, best_d = 0;
        int best_mode = 0, best_eob = 0, best_rate = 0;

        memcpy(edge, dst - ys - 1, 5);
        memcpy(edge + 5, (b & 3) == 3 ? mb_above_right : dst - ys + 4, 4);
        left_column(dst, ys, 4, left);
        /* fixed: the modes are given (rebase), only code them */
        const int mode_lo = fixed ? fixed[b] : 0, mode_hi = fixed ? fixed[b] + 1 : VP8_NUM_BMODES;
        for (int mode = mode_lo; mode < mode_hi; mode++) {
            dsp->pred4(pred, 4, mode, edge + 1, left);
            diff_block(src, m->ss[0], pred, 4, diff, 4, 4, 4);
            e->d.dsp->fdct4x4(diff, 4, coef);
            int eob = vp8_quantize_block(e, KIND_Y1, 0, coef, levels, dq);
            if (e->trellis)
                eob = vp8_trellis_block(e, KIND_Y1, TYPE_Y_WITH_DC, l[b >> 2] + a[b & 3], 0, coef,
                                        levels, dq, eob);
            int r = vp8_token_cost_t(&e->tc, en, TYPE_Y_WITH_DC, l[b >> 2] + a[b & 3], 0, levels, eob) +
                    vp8_cost_tree(vp8_bmode_tree, mprobs, mode);
            add_block(dsp, dq, eob, pred, 4);
            int64_t d = sse_block(dsp, src, m->ss[0], pred, 4, 4);
            int64_t c = vp8_rdcost(e, r, d);
            if (c < best) {
                best = c;
                best_mode = mode;
                best_eob = eob;
                best_rate = r;
                best_d = d;
                memcpy(best_levels, levels, sizeof(levels));
                memcpy(best_dq, dq, sizeof(dq));
                memcpy(best_pix, pred, sizeof(pred));
            }
        }
        cd->mb.bmodes[b] = (uint8_t)best_mode;
        memcpy(cd->c.levels[b], best_levels, sizeof(best_levels));
        memcpy(cd->dq[b], best_dq, sizeof(best_dq));
        cd->c.eobs[b] = (uint8_t)best_eob;
        l[b >> 2] = a[b & 3] = best_eob > 0;
        for (int r = 0; r < 4; r++)
            memcpy(dst + r * ys, best_pix + r * 4, 4);
        rate += best_rate;
        dist += best_d;
        rd = vp8_rdcost(e, rate, dist);
        if (rd >= budget) return INT64_MAX; /* cannot win: stop early */
    }
    cd->mb.ymode = VP8_B_PRED;
    cd->rate = rate;
    cd->dist = dist;
    return rd;
}

/* Best chroma mode for an intra MB: fills cd's chroma part. Returns RD. */
static int64_t pick_intra_uv(vp8_encoder *e, const mb_ctx *m, candidate *cd)
{
    uint8_t left[2][8], pred[4][2][64];
    candidate tmp;
    int64_t best_rd = INT64_MAX, est[4];
    int order[4];
    const int ncode = intra_modes_coded(e);
    left_column(m->dst[1], m->ds[1], 8, left[0]);
    left_column(m->dst[2], m->ds[2], 8, left[1]);
    for (int mode = VP8_DC_PRED; mode <= VP8_TM_PRED; mode++) {
        est[mode] = 0;
        for (int p = 0; p < 2; p++) {
            e->d.dsp->pred8(pred[mode][p], 8, mode, m->dst[1 + p] - m->ds[1 + p], left[p],
                            m->row > 0, m->col > 0);
            if (ncode < 4)
                est[mode] += sse_block(e->d.dsp, m->src[1 + p], m->ss[1], pred[mode][p], 8, 8);
        }
        if (ncode < 4) est[mode] = vp8_rdcost(e, uvmode_cost(e, mode), est[mode]);
        rank_insert(order, mode, est, mode);
    }
    for (int k = 0; k < ncode; k++) {
        const int mode = order[k];
        int64_t dist;
        uint8_t *pp[2] = {pred[mode][0], pred[mode][1]};
        const uint8_t *sp[2] = {m->src[1], m->src[2]};
        int rate = code_chroma(e, sp, m->ss[1], pp, 8, &tmp, m->nz_left, m->nz_above, &dist);
        rate += uvmode_cost(e, mode);
        int64_t rd = vp8_rdcost(e, rate, dist);
        if (rd < best_rd) {
            best_rd = rd;
            cd->mb.uvmode = (uint8_t)mode;
            memcpy(cd->c.levels[16], tmp.c.levels[16], sizeof(tmp.c.levels[0]) * 8);
            memcpy(cd->c.eobs + 16, tmp.c.eobs + 16, 8);
            memcpy(cd->dq[16], tmp.dq[16], sizeof(tmp.dq[0]) * 8);
        }
    }
    return best_rd;
}

/* ------------------------------------------------------------ inter */

/* Predict the whole MB with mb (an inter mode) into the frame, by the decoder's code. */
static void predict_inter(vp8_encoder *e, const mb_ctx *m, const vp8_mb_info *mb)
{
    uint8_t eobs[25] = {0};
    int16_t coeffs[25][16];
    vp8_reconstruct_mb(&e->d, m->row, m->col, mb, 0, coeffs, eobs);
}

/* The MB's prediction (put in the frame by predict_inter) into pred (16x16) and upred
 * (two 8x8), where the residual coding reconstructs onto it. */
static void copy_prediction(const mb_ctx *m, uint8_t pred[256], uint8_t upred[2][64])
{
    for (int r = 0; r < 16; r++)
        memcpy(pred + r * 16, m->dst[0] + r * m->ds[0], 16);
    for (int p = 0; p < 2; p++)
        for (int r = 0; r < 8; r++)
            memcpy(upred[p] + r * 8, m->dst[1 + p] + r * m->ds[1 + p], 8);
}

/* Code a whole-MB inter candidate whose prediction is in the frame: luma with Y2 and
 * chroma. Sets cd's rate (residual + rate_hdr), dist and rd. */
static void code_inter_pred(vp8_encoder *e, const mb_ctx *m, candidate *cd, int rate_hdr,
                            uint8_t pred[256], uint8_t upred[2][64])
{
    int rate = code_luma16(e, m->src[0], m->ss[0], pred, 16, cd, m->nz_left, m->nz_above);
    int64_t dist = recon_luma16(e, cd, pred, 16, m->src[0], m->ss[0]), udist;
    uint8_t *pp[2] = {upred[0], upred[1]};
    const uint8_t *sp[2] = {m->src[1], m->src[2]};
    rate += code_chroma(e, sp, m->ss[1], pp, 8, cd, m->nz_left, m->nz_above, &udist);
    cd->rate = rate + rate_hdr;
    cd->dist = dist + udist;
    cd->rd = vp8_rdcost(e, cd->rate, cd->dist);
    /* pred and upred are the decoder's predictions (vp8_predict_inter_whole's pixels,
     * or the luma cache's, the same) with the residual added as recon.c adds it. */
    memcpy(cd->rec, pred, 256);
    memcpy(cd->rec + 256, upred, 2 * 64);
    cd->rec_ok = 1;
}

static void code_inter(vp8_encoder *e, const mb_ctx *m, candidate *cd, int rate_hdr)
{
    uint8_t pred[256], upred[2][64];
    copy_prediction(m, pred, upred);
    code_inter_pred(e, m, cd, rate_hdr, pred, upred);
}

/* The cost of coding vector (row, col) (whole pels) against mv_ref, in SAD units:
 * its bits times sqrt(lambda) (lambda = rdmult per bit, in squared-error units; a SAD
 * is about the square root of a squared error). Off (0) when mv_sad_lambda is 0. */
/* A vector's bits against mv_ref (1/8 pels, even), 1/256 bits, from the frame's table. */
static int mv_bits(const vp8_encoder *e, int row8, int col8, vp8_mv mv_ref)
{
    int dr = (row8 - mv_ref.row) / 2 + VP8_MV_COST_MAX, dc = (col8 - mv_ref.col) / 2 + VP8_MV_COST_MAX;
    dr = dr < 0 ? 0 : dr >= VP8_MV_COST_SIZE ? VP8_MV_COST_SIZE - 1 : dr;
    dc = dc < 0 ? 0 : dc >= VP8_MV_COST_SIZE ? VP8_MV_COST_SIZE - 1 : dc;
    return e->mv_cost[0][dr] + e->mv_cost[1][dc];
}

static unsigned mv_sad_cost(const vp8_encoder *e, int row, int col, vp8_mv mv_ref)
{
    if (!e->mv_sad_lambda) return 0;
    return (unsigned)(((int64_t)mv_bits(e, row * 8, col * 8, mv_ref) * e->mv_sad_lambda + 128) >> 8);
}

/* Full-pel motion search of the w x h luma region at (x0, y0) of the MB, around `start`
 * (1/8 units), by SAD plus the vector's cost against mv_ref: a diamond of 8 neighbours
 * from first_step pels down to 1, each step repeated while it improves, the vectors
 * kept inside lim (rounded inwards). */
static vp8_mv search_fullpel(vp8_encoder *e, const mb_ctx *m, const vp8_frame *ref, vp8_mv start,
                             const vp8_mv_bounds *lim, int x0, int y0, int w, int h,
                             int first_step, vp8_mv mv_ref, unsigned *best_sad)
{
    static const int dirs[8][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1},
                                   {-1, -1}, {-1, 1}, {1, -1}, {1, 1}};
    const ptrdiff_t rs = ref->stride[0];
    const uint8_t *src = m->src[0] + y0 * m->ss[0] + x0;
    const uint8_t *base = ref->plane[0] + (ptrdiff_t)(m->row * 16 + y0) * rs + m->col * 16 + x0;
    int minx = (lim->to_left + 7) >> 3, maxx = lim->to_right >> 3;
    int miny = (lim->to_top + 7) >> 3, maxy = lim->to_bottom >> 3;
    int bx = start.col >> 3, by = start.row >> 3; /* full pels */
    bx = bx < minx ? minx : bx > maxx ? maxx : bx;
    by = by < miny ? miny : by > maxy ? maxy : by;
    unsigned best = e->d.dsp->sad_wh(src, m->ss[0], base + by * rs + bx, rs, w, h) +
                    mv_sad_cost(e, by, bx, mv_ref);
    /* Positions already measured (a small direct-mapped table; a collision only costs a
     * measurement): one cannot beat the best, which has only improved since, so they
     * are skipped (the same vector, about a third fewer SADs). */
    uint32_t seen[64];
    memset(seen, 0, sizeof(seen)); /* no key is 0: positions are within +-16384 */
#define SEEN_KEY(x, y) (((uint32_t)((y) + 16384) << 16) | (uint32_t)((x) + 16384))
#define SEEN_SLOT(x, y) ((((unsigned)(x) * 5u) ^ ((unsigned)(y) * 3u)) & 63u)
    seen[SEEN_SLOT(bx, by)] = SEEN_KEY(bx, by);
    for (int step = first_step; step >= 1; step /= 2) {
        int improved = 1;
        while (improved) {
            improved = 0;
            for (int i = 0; i < 8; i++) {
                int x = bx + dirs[i][0] * step, y = by + dirs[i][1] * step;
                if (x < minx || x > maxx || y < miny || y > maxy) continue;
                uint32_t *slot = &seen[SEEN_SLOT(x, y)];
                if (*slot == SEEN_KEY(x, y)) continue;
                *slot = SEEN_KEY(x, y);
                unsigned sd = e->d.dsp->sad_wh(src, m->ss[0], base + y * rs + x, rs, w, h);
                if (sd >= best) continue;
                sd += mv_sad_cost(e, y, x, mv_ref);
                if (sd < best) {
                    best = sd;
                    bx = x;
                    by = y;
                    improved = 1;
                }
            }
        }
    }
#undef SEEN_KEY
#undef SEEN_SLOT
    if (best_sad) *best_sad = best;
    return (vp8_mv){(int16_t)(by * 8), (int16_t)(bx * 8)};
}

static int mv_inside(vp8_mv mv, const vp8_mv_bounds *lim)
{
    return mv.col >= lim->to_left && mv.col <= lim->to_right && mv.row >= lim->to_top &&
           mv.row <= lim->to_bottom;
}
static void predict_region(vp8_encoder *e, const mb_ctx *m, const vp8_frame *ref, vp8_mv mv,
                           int x0, int y0, int w, int h, uint8_t *pred);
static int64_t sse_region(const vp8_dsp *dsp, const mb_ctx *m, const uint8_t *pred, int x0,
                          int y0, int w, int h);

/* What a sub-pel search measures: the SSE of the w x h region at (x0, y0) of the MB
 * predicted with a vector. */
typedef struct subpel_arg {
    vp8_encoder *e;
    const mb_ctx *m;
    const vp8_frame *ref;
    int x0, y0, w, h;
    vp8_mv mv_ref;       /* vectors cost their bits against this one */
    int exact;           /* measure with the frame's own filter, not bilinear */
    vp8_luma_cache *lc;  /* exact whole-MB (16x16) predictions, or NULL */
} subpel_arg;

/* A vector's bits against a->mv_ref at lambda (when the search counts them). */
static int64_t subpel_mv_cost(const subpel_arg *a, vp8_mv c)
{
    if (!a->e->mv_sad_lambda) return 0;
    return ((int64_t)mv_bits(a->e, c.row, c.col, a->mv_ref) * a->e->rdmult + 128) >> 8;
}

/* The prediction error of a candidate vector plus its bits. Split regions measure it
 * as libvpx's encoder does, with the bilinear filter of §18.3 (vp8_sub_pixel_variance,
 * one fused kernel, no prediction stored): flower 720p 30 frames 0.61x -> 0.68x
 * vpxenc --cpu-used=1's speed, BD-rate +0.04% (4 clips, q 12..48). The whole-MB vector
 * keeps the frame's filter (bilinear there: +0.8%), as do the split candidates'
 * comparison in try_split (+0.5%). */
static int64_t subpel_sse(const subpel_arg *a, vp8_mv c)
{
    const mb_ctx *m = a->m;
    const ptrdiff_t rs = a->ref->stride[0];
    if (a->exact && a->lc) {
        int64_t sse = vp8_luma_cache_sse(a->lc, c, m->src[0], m->ss[0]);
        if (sse >= 0) return sse + subpel_mv_cost(a, c);
    }
    if (a->exact) {
        uint8_t pred[256];
        predict_region(a->e, a->m, a->ref, c, a->x0, a->y0, a->w, a->h, pred);
        return sse_region(a->e->d.dsp, a->m, pred, a->x0, a->y0, a->w, a->h) + subpel_mv_cost(a, c);
    }
    const uint8_t *p = a->ref->plane[0] + (ptrdiff_t)(m->row * 16 + a->y0 + (c.row >> 3)) * rs +
                       m->col * 16 + a->x0 + (c.col >> 3);
    return a->e->d.dsp->sse_bilinear(m->src[0] + a->y0 * m->ss[0] + a->x0, m->ss[0], p, rs,
                                     c.col & 7, c.row & 7, a->w, a->h) +
           subpel_mv_cost(a, c);
}

/* Half (first_step 4), then quarter pel (2) around mv (whose SSE is best): the four
 * neighbours along the axes, then the diagonals (at quarter pel, libvpx's way, only the
 * one between the better of each pair: 13 filterings instead of 16). */
static vp8_mv subpel_steps(const subpel_arg *a, vp8_mv mv, int64_t best, const vp8_mv_bounds *lim,
                           int first_step)
{
    for (int step = first_step; step >= 2; step /= 2) {
        const vp8_mv center = mv;
        static const int dirs[4][2] = {{0, -1}, {0, 1}, {-1, 0}, {1, 0}}; /* row, col */
        int64_t c[4];
        for (int i = 0; i < 4; i++) {
            vp8_mv t = {(int16_t)(center.row + dirs[i][0] * step),
                        (int16_t)(center.col + dirs[i][1] * step)};
            c[i] = mv_inside(t, lim) ? subpel_sse(a, t) : INT64_MAX;
            if (c[i] < best) {
                best = c[i];
                mv = t;
            }
        }
        /* Half pel: all four diagonals; quarter pel: only the one between the better
         * neighbours (BD-rate +1.4% when both steps took one, +0.2% like this). */
        for (int dy = -1; dy <= 1; dy += 2)
            for (int dx = -1; dx <= 1; dx += 2) {
                if (step == 2 && (dy != (c[2] < c[3] ? -1 : 1) || dx != (c[0] < c[1] ? -1 : 1)))
                    continue;
                vp8_mv t = {(int16_t)(center.row + dy * step), (int16_t)(center.col + dx * step)};
                if (mv_inside(t, lim)) {
                    int64_t sq = subpel_sse(a, t);
                    if (sq < best) {
                        best = sq;
                        mv = t;
                    }
                }
            }
    }
    return mv;
}

/* Sub-pel refinement (half, then quarter pel) of a whole-MB vector, by SSE. */
static vp8_mv refine_subpel(vp8_encoder *e, const mb_ctx *m, const vp8_frame *ref, vp8_mv mv,
                            const vp8_mv_bounds *lim, vp8_mv mv_ref, vp8_luma_cache *lc)
{
    subpel_arg a = {e, m, ref, 0, 0, 16, 16, mv_ref, 1, lc};
    return subpel_steps(&a, mv, subpel_sse(&a, mv), lim, 4);
}

static int has_coeffs(const vp8_mb_coeffs *c, int has_y2);

/* ------------------------------------------------------------ SPLITMV (§16.4) */

/* Luma prediction of the w x h region at (x0, y0) of the MB with vector mv, into
 * pred (stride 16, at the region's offset), in 8x8 or 4x4 tiles as the decoder does
 * (the filters are position-invariant, so the tiling gives the same pixels). The
 * vector must be inside the search limits, so no edge clamping is needed. */
static void predict_region(vp8_encoder *e, const mb_ctx *m, const vp8_frame *ref, vp8_mv mv,
                           int x0, int y0, int w, int h, uint8_t *pred)
{
    const ptrdiff_t rs = ref->stride[0];
    const int t = (w % 8 || h % 8) ? 4 : w == 16 && h == 16 ? 16 : 8;
    const int size = t == 16 ? VP8_PRED_16x16 : t == 8 ? VP8_PRED_8x8 : VP8_PRED_4x4;
    for (int y = y0; y < y0 + h; y += t)
        for (int x = x0; x < x0 + w; x += t) {
            const uint8_t *p = ref->plane[0] + (ptrdiff_t)(m->row * 16 + y + (mv.row >> 3)) * rs +
                               m->col * 16 + x + (mv.col >> 3);
            uint8_t *d = pred + y * 16 + x;
            if (e->d.hdr.version == 0)
                e->d.dsp->sixtap[size](d, 16, p, rs, mv.col & 7, mv.row & 7);
            else
                e->d.dsp->bilinear[size](d, 16, p, rs, mv.col & 7, mv.row & 7);
        }
}

static int64_t sse_region(const vp8_dsp *dsp, const mb_ctx *m, const uint8_t *pred, int x0,
                          int y0, int w, int h)
{
    const int t = (w % 8 || h % 8) ? 4 : w == 16 && h == 16 ? 16 : 8;
    int64_t s = 0;
    for (int y = y0; y < y0 + h; y += t)
        for (int x = x0; x < x0 + w; x += t)
            s += sse_block(dsp, m->src[0] + y * m->ss[0] + x, m->ss[0], pred + y * 16 + x, 16, t);
    return s;
}

/* Motion search for one region: full-pel diamond by SAD from `start`, then half and
 * quarter pel by SSE with the real filter. */
static vp8_mv search_region(vp8_encoder *e, const mb_ctx *m, const vp8_frame *ref, vp8_mv start,
                            const vp8_mv_bounds *lim, int x0, int y0, int w, int h, vp8_mv mv_ref)
{
    vp8_mv mv = search_fullpel(e, m, ref, start, lim, x0, y0, w, h, 4, mv_ref, NULL);
    subpel_arg a = {e, m, ref, x0, y0, w, h, mv_ref, 0, NULL};
    return subpel_steps(&a, mv, subpel_sse(&a, mv), lim, 4);
}

/* Luma without Y2 (B_PRED-like coding of an inter prediction): every block carries
 * its DC. Returns the token rate with the contexts (not changed) and the SSE after
 * reconstruction onto pred. */
static int code_luma_noy2(vp8_encoder *e, const uint8_t *src, ptrdiff_t ss, uint8_t *pred,
                          candidate *cd, const uint8_t *nz_left, const uint8_t *nz_above,
                          int64_t *dist)
{
    const vp8_entropy *en = &e->d.s->ctx;
    uint8_t l[4], a[4];
    int rate = 0;
    memcpy(l, nz_left, 4);
    memcpy(a, nz_above, 4);
    for (int b = 0; b < 16; b++) {
        int16_t diff[16], coef[16];
        uint8_t *p = pred + (b >> 2) * 64 + (b & 3) * 4;
        diff_block(src + (b >> 2) * 4 * ss + (b & 3) * 4, ss, p, 16, diff, 4, 4, 4);
        e->d.dsp->fdct4x4(diff, 4, coef);
        int eob = vp8_quantize_block(e, KIND_Y1, 0, coef, cd->c.levels[b], cd->dq[b]);
        if (e->trellis)
            eob = vp8_trellis_block(e, KIND_Y1, TYPE_Y_WITH_DC, l[b >> 2] + a[b & 3], 0, coef,
                                    cd->c.levels[b], cd->dq[b], eob);
        cd->c.eobs[b] = (uint8_t)eob;
        rate += vp8_token_cost_t(&e->tc, en, TYPE_Y_WITH_DC, l[b >> 2] + a[b & 3], 0, cd->c.levels[b], eob);
        l[b >> 2] = a[b & 3] = eob > 0;
        add_block(e->d.dsp, cd->dq[b], eob, p, 16);
    }
    cd->c.eobs[24] = 0;
    *dist = sse_block(e->d.dsp, src, ss, pred, 16, 16);
    return rate;
}

/* The SPLITMV partitionings on one reference. new_mv: the whole-MB search result (a
 * start for the regions); best_ref: what NEW4x4 vectors are coded against. Each
 * partitioning's vectors are chosen region by region on prediction error + vector
 * rate; then only the most promising partitionings by that measure (all at speed <= 1,
 * the best two at speed 2-3, the best one above) are coded in full and compared. */
static void try_split(vp8_encoder *e, const mb_ctx *m, int ref_frame, int rate_hdr,
                      vp8_mv new_mv, vp8_mv best_ref, const vp8_mv_bounds *lim,
                      candidate *best, candidate *cd)
{
    static const int geom[3][4] = {{16, 8}, {8, 16}, {8, 8}}; /* w, h of 16x8, 8x16, 8x8 */
    const vp8_frame *ref = e->d.in->ref[ref_frame];
    const vp8_entropy *en = &e->d.s->ctx;
    const int nparts = e->p->speed <= 1 ? 4 : 3;
    const int ncode = e->p->speed <= 1 ? 4 : e->p->speed <= 3 ? 2 : 1;
    vp8_mb_info mbs[4];
    int rates[4], order[4], n = 0;
    int64_t pcost[4];
    /* The 8x8 quadrants' vectors first (full-pel diamond from new_mv, sub-pel): the 8x8
     * partitioning's, and the candidates of the 16x8 and 8x16 halves, which take the
     * better of their two quadrants' vectors and refine it at quarter pel only, instead
     * of a search of their own. Quick bench (4 clips, q 12..48, vs vpxenc --cpu-used=1):
     * 0.92x -> 0.96x its speed, BD-rate PSNR +0.97% -> +0.31%, SSIM -0.10% -> -0.55%
     * with a half- and quarter-pel refinement (without refining: 1.00x, +0.98% /
     * +0.05%); later (with the gate on golden and alt-ref) quarter pel only: 1.18x ->
     * 1.27x, +0.38% -> +0.58%, -0.47% -> -0.31% (foreman 299 + flower 90 frames:
     * 1.35x -> 1.45x, +0.07% / +0.13%). */
    vp8_mv q8[4];
    const int derive = e->p->speed >= 2;
    if (derive)
        for (int q = 0; q < 4; q++)
            q8[q] = search_region(e, m, ref, new_mv, lim, (q & 1) * 8, (q >> 1) * 8, 8, 8, best_ref);

    for (int part = 0; part < nparts; part++) {
        const uint8_t *map = vp8_split_mv_map[part];
        const int w = part < 3 ? geom[part][0] : 4, h = part < 3 ? geom[part][1] : 4;
        vp8_mb_info *mb = &mbs[part];
        int rate = rate_hdr + vp8_cost_tree(vp8_split_mv_tree, vp8_split_mv_probs, part);
        int64_t cost = 0;
        memset(mb, 0, sizeof(*mb));
        mb->ref_frame = (uint8_t)ref_frame;
        mb->ymode = VP8_MV_SPLIT;
        mb->uvmode = VP8_DC_PRED;
        mb->partitioning = (uint8_t)part;
        for (int j = 0; j < vp8_split_mv_count[part] && cost < INT64_MAX; j++) {
            int k = 0;
            while (map[k] != j)
                k++;
            const int x0 = (k & 3) * 4, y0 = (k >> 2) * 4;
            vp8_mv lmv = (k & 3) ? mb->bmv[k - 1] : m->left->bmv[k + 3];
            vp8_mv amv = k >= 4 ? mb->bmv[k - 4] : m->above->bmv[k + 12];
            const uint8_t *sprobs = vp8_sub_mv_ref_probs[vp8_submv_context(lmv, amv)];
            vp8_mv start = new_mv;
            if (part == 3) start = (k & 3) ? lmv : (k >= 4 ? amv : new_mv);
            if (!mv_inside(start, lim)) start = new_mv;
            vp8_mv found;
            if (derive && part == 2) {
                found = q8[(y0 >> 3) * 2 + (x0 >> 3)];
            } else if (derive && part < 2) {
                int qa = (y0 >> 3) * 2 + (x0 >> 3), qb = part == 0 ? qa + 1 : qa + 2;
                subpel_arg sa = {e, m, ref, x0, y0, w, h, best_ref, 0, NULL};
                int64_t ca = subpel_sse(&sa, q8[qa]), cb = subpel_sse(&sa, q8[qb]);
                found = subpel_steps(&sa, cb < ca ? q8[qb] : q8[qa], cb < ca ? cb : ca, lim, 2);
            } else {
                found = search_region(e, m, ref, start, lim, x0, y0, w, h, best_ref);
            }
            /* The sub-block mode: what the writer will choose for each vector. */
            struct { vp8_mv mv; int sub; } c[4] = {
                {lmv, VP8_SUBMV_LEFT}, {amv, VP8_SUBMV_ABOVE}, {{0, 0}, VP8_SUBMV_ZERO},
                {found, VP8_SUBMV_NEW}};
            int64_t best_c = INT64_MAX;
            vp8_mv pick = {0, 0};
            int pick_rate = 0;
            for (int i = 0; i < 4; i++) {
                vp8_mv v = c[i].mv;
                int sub = vp8_mv_equal(v, lmv)   ? VP8_SUBMV_LEFT
                          : vp8_mv_equal(v, amv) ? VP8_SUBMV_ABOVE
                          : vp8_mv_is_zero(v)    ? VP8_SUBMV_ZERO
                                                 : VP8_SUBMV_NEW;
                if (sub != c[i].sub || !mv_inside(v, lim)) continue;
                int r = vp8_cost_tree(vp8_sub_mv_ref_tree, sprobs, sub);
                if (sub == VP8_SUBMV_NEW) r += vp8_mv_cost(en, v, best_ref);
                uint8_t pred[256];
                predict_region(e, m, ref, v, x0, y0, w, h, pred);
                int64_t cc = vp8_rdcost(e, r, sse_region(e->d.dsp, m, pred, x0, y0, w, h));
                if (cc < best_c) {
                    best_c = cc;
                    pick = v;
                    pick_rate = r;
                }
            }
            if (best_c == INT64_MAX) { /* nothing codable */
                cost = INT64_MAX;
                break;
            }
            rate += pick_rate;
            cost += best_c;
            for (int b = 0; b < 16; b++)
                if (map[b] == j) mb->bmv[b] = pick;
        }
        if (cost == INT64_MAX) continue;
        mb->mv = mb->bmv[15];
        rates[part] = rate;
        pcost[part] = cost + vp8_rdcost(e, rate - rate_hdr, 0);
        rank_insert(order, n++, pcost, part);
    }

    for (int i = 0; i < n && i < ncode; i++) {
        uint8_t pred[256], upred[2][64];
        int64_t dist, udist;
        cd->mb = mbs[order[i]];
        int rate = rates[order[i]];
        predict_inter(e, m, &cd->mb);
        copy_prediction(m, pred, upred);
        rate += code_luma_noy2(e, m->src[0], m->ss[0], pred, cd, m->nz_left, m->nz_above, &dist);
        uint8_t *pp[2] = {upred[0], upred[1]};
        const uint8_t *sp[2] = {m->src[1], m->src[2]};
        rate += code_chroma(e, sp, m->ss[1], pp, 8, cd, m->nz_left, m->nz_above, &udist);
        cd->rate = rate;
        cd->dist = dist + udist;
        cd->rd = vp8_rdcost(e, cd->rate, cd->dist);
        cd->rec_ok = 0;
        if (cd->rd < best->rd) *best = *cd;
    }
}

/* The luma prediction of a whole-MB candidate into pred (stride 16): from the cache
 * when it has one and the vector is inside its bounds, else the decoder's way. */
static void predict_luma16(vp8_encoder *e, const mb_ctx *m, vp8_luma_cache *lc,
                           const vp8_mb_info *mb, uint8_t pred[256])
{
    if (lc) {
        ptrdiff_t ps;
        const uint8_t *p = vp8_luma_cache_pred(lc, mb->mv, pred, &ps);
        if (p) {
            if (p != pred)
                for (int y = 0; y < 16; y++)
                    memcpy(pred + 16 * y, p + y * ps, 16);
            return;
        }
    }
    uint8_t *dst[3] = {pred, NULL, NULL};
    const ptrdiff_t strides[3] = {16, 0, 0};
    vp8_predict_inter_whole(&e->d, m->row, m->col, mb, 1, 0, dst, strides);
}

/* Code a whole-MB inter candidate whose luma prediction is in pred (changed): chroma
 * predicted here; the better of it and *best kept in *best. */
static void code_pre(vp8_encoder *e, const mb_ctx *m, const vp8_mb_info *mb, int rate,
                     uint8_t pred[256], candidate *best, candidate *cd)
{
    uint8_t upred[2][64];
    uint8_t *dst[3] = {NULL, upred[0], upred[1]};
    const ptrdiff_t strides[3] = {0, 8, 8};
    cd->mb = *mb;
    vp8_predict_inter_whole(&e->d, m->row, m->col, &cd->mb, 0, 1, dst, strides);
    code_inter_pred(e, m, cd, rate, pred, upred);
    if (cd->rd < best->rd) *best = *cd;
}

/* What every inter candidate on reference ref_frame shares: the near vectors and their
 * mode probabilities (§16.3), the vector bounds and best_ref (the base of NEW vectors),
 * and the rate of the header's reference choice (§16.4, as the writer codes it). */
typedef struct ref_ctx {
    vp8_mv near_mvs[4];
    uint8_t probs[4];
    vp8_mv_bounds bounds;
    vp8_mv best_ref;
    int ref_rate;
} ref_ctx;

static void ref_setup(vp8_encoder *e, const mb_ctx *m, int ref_frame, ref_ctx *r)
{
    vp8_decoder *d = &e->d;
    const vp8_frame_header *h = &d->hdr;
    int cnt[4];
    r->ref_rate = vp8_cost_bool(h->prob_intra, 1);
    if (ref_frame == VP8_REF_LAST)
        r->ref_rate += vp8_cost_bool(h->prob_last, 0);
    else
        r->ref_rate += vp8_cost_bool(h->prob_last, 1) +
                       vp8_cost_bool(h->prob_golden, ref_frame == VP8_REF_ALTREF);
    vp8_find_near_mvs(m->above, m->left, vp8_mbi(d, m->row - 1, m->col - 1),
                      ref_frame, h->sign_bias, r->near_mvs, cnt);
    for (int i = 0; i < 4; i++)
        r->probs[i] = vp8_mode_contexts[cnt[i]][i];
    vp8_mv_bounds_init(&r->bounds, m->row, m->col, d->s->mb_rows, d->s->mb_cols);
    r->best_ref = vp8_clamp_mv(r->near_mvs[VP8_CNT_ZERO], &r->bounds);
}

/* The inter candidates on one reference; keeps the best in *best. */
static void try_reference(vp8_encoder *e, const mb_ctx *m, int ref_frame, candidate *best,
                          candidate *cd)
{
    vp8_decoder *d = &e->d;
    const vp8_frame_header *h = &d->hdr;
    const vp8_frame *ref = d->in->ref[ref_frame];
    ref_ctx rc;
    ref_setup(e, m, ref_frame, &rc);
    const vp8_mv *near_mvs = rc.near_mvs;
    const uint8_t *probs = rc.probs;
    const vp8_mv_bounds bounds = rc.bounds;
    const vp8_mv best_ref = rc.best_ref;
    const int ref_rate = rc.ref_rate;
    vp8_mv_bounds lim;
    /* The six-tap's whole-MB luma predictions, shared (enc_lumacache.c): in the
     * rebase, refining the kept vector (up to 14 predictions) and ranking the
     * candidates (4) were about a third of its time. */
    vp8_luma_cache lcache, *lc = NULL;
    if (h->version == 0) {
        lc = &lcache;
        vp8_luma_cache_init(lc, d->dsp,
                            ref->plane[0] + (ptrdiff_t)m->row * 16 * ref->stride[0] + m->col * 16,
                            ref->stride[0], &bounds);
    }

    /* Search limits: inside the frame's border (with room for the filter taps) and
     * within reach of the MV coding from best_ref (|delta| <= 1023 quarter pels). */
    lim = bounds;
    {
        int reach = 1000 * 2;
        if (lim.to_left < best_ref.col - reach) lim.to_left = best_ref.col - reach;
        if (lim.to_right > best_ref.col + reach) lim.to_right = best_ref.col + reach;
        if (lim.to_top < best_ref.row - reach) lim.to_top = best_ref.row - reach;
        if (lim.to_bottom > best_ref.row + reach) lim.to_bottom = best_ref.row + reach;
    }

    struct try_mv { int mode; vp8_mv mv; } tries[4];
    struct pre_cand { vp8_mb_info mb; int rate; int64_t proxy; uint8_t pred[256]; int coded; } pre[4];
    int npre = 0;
    /* Speed >= 2: ZERO, NEAREST, NEAR and NEW are ranked by their luma prediction's SSE
     * plus lambda times their header's rate; the first of ZERO, NEAREST and NEAR is coded
     * before the search (the early exit needs it), then the first not yet coded of
     * all four. Quick bench (4 clips, q 12..48, vs vpxenc --cpu-used=1): 0.79x -> 0.84x
     * its speed, BD-rate PSNR +0.93% -> +0.95%, SSIM -0.04% -> +0.05%. (Coding only the
     * first of the three and never NEW: +6.8%: the searched vector matters.) */
    const int ncode = e->p->speed >= 2 ? 2 : 4;
    vp8_mv new_mv;
    int n = 0;
    tries[n++] = (struct try_mv){VP8_MV_ZERO, {0, 0}};
    tries[n++] = (struct try_mv){VP8_MV_NEAREST, vp8_clamp_mv(near_mvs[VP8_CNT_NEAREST], &bounds)};
    tries[n++] = (struct try_mv){VP8_MV_NEAR, vp8_clamp_mv(near_mvs[VP8_CNT_NEAR], &bounds)};
    tries[n++] = (struct try_mv){VP8_MV_NEW, {0, 0}}; /* searched below, if needed */
    for (int i = 0; i < n; i++) {
        int mode = tries[i].mode;
        if (mode == VP8_MV_NEW && e->rebase_try) {
            /* Rebase: no search, but the kept vector is refined to half and quarter
             * pel on the new base (its reference differs from stage 1's by coding
             * noise, which moves the best sub-pel position). [6,16] at fixed q 12..48,
             * BD-rate vs the serial encode by SSIM: foreman 299 frames 7.96% -> 5.77%,
             * flower 720p 120 frames 15.4% -> 12.1% (its SSIM loss in the rebased
             * frames: 0.10 -> 0.02 dB), for half again the rebase time (1.0 -> 1.4 ms
             * a CIF frame). Skipping it where the kept vector already predicts within
             * the quantization noise lost most of the gain (flat areas: SSIM). */
            new_mv = e->rebase_mv;
            if (mv_inside(new_mv, &lim)) {
                subpel_arg a = {e, m, ref, 0, 0, 16, 16, best_ref, 1, lc};
                new_mv = subpel_steps(&a, new_mv, subpel_sse(&a, new_mv), &lim, 4);
            }
            tries[i].mv = new_mv;
        } else if (mode == VP8_MV_NEW) {
            if (ncode < 4 && npre > 0) {
                int bi = 0;
                for (int j = 1; j < npre; j++)
                    if (pre[j].proxy < pre[bi].proxy) bi = j;
                /* Golden and alt-ref (speed >= 2): nothing more (no search, no coding)
                 * unless one of ZERO, NEAREST and NEAR predicts within 1.5 times the
                 * best estimate on LAST (ZERO..NEW): a golden frame as old as its
                 * interval and no better than LAST seldom wins, a boosted one or an
                 * alt-ref that predicts well is still tried. Quick bench (4 clips, q
                 * 12..48, vs vpxenc --cpu-used=1): 0.98x -> 1.18x its speed, BD-rate
                 * PSNR +0.31% -> +0.38%, SSIM -0.55% -> -0.47% (within 1x: 1.21x,
                 * +0.45% / -0.39%; no golden and alt-ref at all: 1.24x, +0.62% / -0.28%). */
                if (ref_frame != VP8_REF_LAST && e->last_proxy != INT64_MAX &&
                    pre[bi].proxy * 2 >= e->last_proxy * 3)
                    return;
                code_pre(e, m, &pre[bi].mb, pre[bi].rate, pre[bi].pred, best, cd);
                pre[bi].coded = 1;
            }
            /* Early exit (speed >= 3): a vector already found predicts so well that
             * nothing is left to code and the error is below a fraction of what
             * quantization itself leaves: no search, no other reference, no B_PRED. */
            if (e->p->speed >= 3 && best->mb.ref_frame == ref_frame &&
                !has_coeffs(&best->c, best->mb.ymode != VP8_MV_SPLIT) &&
                best->dist < e->skip_thresh) {
                e->mb_done = 1;
                return;
            }
            unsigned sad, sad0;
            const int step = e->p->speed >= 6 ? 8 : e->p->speed >= 3 ? 16 : 32;
            vp8_mv mv = search_fullpel(e, m, ref, best_ref, &lim, 0, 0, 16, 16, step, best_ref, &sad);
            /* From (0, 0) too, unless that is where the first search started. */
            if ((best_ref.row >> 3) != 0 || (best_ref.col >> 3) != 0) {
                vp8_mv mv0 = search_fullpel(e, m, ref, (vp8_mv){0, 0}, &lim, 0, 0, 16, 16, step,
                                            best_ref, &sad0);
                if (sad0 < sad) mv = mv0;
            }
            mv = refine_subpel(e, m, ref, mv, &lim, best_ref, lc);
            tries[i].mv = new_mv = mv;
        }
        /* The same vector through a cheaper mode is tried by that mode. */
        if (mode == VP8_MV_NEAREST && vp8_mv_is_zero(tries[i].mv)) continue;
        if (mode == VP8_MV_NEAR && (vp8_mv_is_zero(tries[i].mv) || vp8_mv_equal(tries[i].mv, tries[1].mv)))
            continue;
        if (mode == VP8_MV_NEW) {
            int dup = 0;
            for (int j = 0; j < 3; j++)
                dup |= vp8_mv_equal(tries[i].mv, tries[j].mv);
            if (dup) continue;
        }
        memset(&cd->mb, 0, sizeof(cd->mb));
        cd->mb.ref_frame = (uint8_t)ref_frame;
        cd->mb.ymode = (uint8_t)mode;
        cd->mb.uvmode = VP8_DC_PRED;
        cd->mb.mv = tries[i].mv;
        for (int b = 0; b < 16; b++)
            cd->mb.bmv[b] = cd->mb.mv;
        int rate = ref_rate + vp8_cost_tree(vp8_mv_ref_tree, probs, mode);
        if (mode == VP8_MV_NEW) rate += vp8_mv_cost(&d->s->ctx, cd->mb.mv, best_ref);
        if (e->rebase_try || ncode < 4) {
            /* Ranked by the prediction's luma error (luma predicted alone) and the
             * header's rate; the best are coded below with that luma prediction (the
             * rebase: the kept vector and the best other). */
            predict_luma16(e, m, lc, &cd->mb, pre[npre].pred);
            pre[npre].mb = cd->mb;
            pre[npre].rate = rate;
            pre[npre].proxy = sse_block(d->dsp, m->src[0], m->ss[0], pre[npre].pred, 16, 16) +
                              ((int64_t)rate * e->rdmult + 128) / 256;
            pre[npre].coded = 0;
            npre++;
            continue;
        }
        predict_inter(e, m, &cd->mb);
        code_inter(e, m, cd, rate);
        if (cd->rd < best->rd) *best = *cd;
    }
    if (ncode < 4 && !e->rebase_try && ref_frame == VP8_REF_LAST)
        for (int j = 0; j < npre; j++)
            if (pre[j].proxy < e->last_proxy) e->last_proxy = pre[j].proxy;
    if (ncode < 4 && !e->rebase_try) {
        int ncoded = 0;
        for (int j = 0; j < npre; j++)
            ncoded += pre[j].coded;
        while (ncoded < ncode) {
            int bi = -1;
            for (int j = 0; j < npre; j++)
                if (!pre[j].coded && (bi < 0 || pre[j].proxy < pre[bi].proxy)) bi = j;
            if (bi < 0) break;
            code_pre(e, m, &pre[bi].mb, pre[bi].rate, pre[bi].pred, best, cd);
            pre[bi].coded = 1;
            ncoded++;
        }
    }
    if (e->rebase_try) {
        /* Rebase: the kept vector against the best of the others by that estimate,
         * each coded, the better by rate and distortion. Where the refinement moved
         * the kept vector, the refined one is among the others and only the best by
         * the estimate is coded (coding the refined one as well: foreman [6,16]
         * BD-rate by SSIM 5.8% -> 6.5%; coding every candidate: -0.4% for 50% more
         * rebase time). */
        int kept = -1, other = -1;
        for (int i = 0; i < npre; i++) {
            if (vp8_mv_equal(pre[i].mb.mv, e->rebase_mv)) kept = i;
            else if (other < 0 || pre[i].proxy < pre[other].proxy) other = i;
        }
        for (int i = 0; i < npre; i++) {
            if (i != kept && (i != other || (kept >= 0 && pre[other].proxy >= pre[kept].proxy)))
                continue;
            uint8_t upred[2][64];
            uint8_t *dst[3] = {NULL, upred[0], upred[1]};
            const ptrdiff_t strides[3] = {0, 8, 8};
            cd->mb = pre[i].mb;
            vp8_predict_inter_whole(d, m->row, m->col, &cd->mb, 0, 1, dst, strides);
            code_inter_pred(e, m, cd, pre[i].rate, pre[i].pred, upred);
            if (cd->rd < best->rd) *best = *cd;
        }
        return;
    }
    if (!e->rebase_try && e->p->speed <= 4 && (ref_frame == VP8_REF_LAST || e->p->speed <= 2))
        try_split(e, m, ref_frame, ref_rate + vp8_cost_tree(vp8_mv_ref_tree, probs, VP8_MV_SPLIT),
                  new_mv, best_ref, &lim, best, cd);
}

/* ------------------------------------------------------------ the macroblock */

/* Rebase, SPLITMV: the kept partition and vectors coded, with their rate (header and
 * tokens) and distortion, then against the whole-MB candidates of the same reference
 * (ZERO, NEAREST, NEAR and the last subblock's vector refined, as for a whole-MB
 * macroblock): a split chosen on stage 1's references often no longer pays for its
 * vectors on the chain's. [6,16] at fixed q 12..48, BD-rate vs serial by SSIM: foreman
 * 299 frames 5.77% -> 4.12%, flower 720p 120 frames 11.4% -> 7.5%, for about 11% more
 * rebase instructions (splits are 12-20% of the macroblocks). */
static void code_forced_split(vp8_encoder *e, const mb_ctx *m, candidate *cd, const vp8_mb_info *f)
{
    uint8_t pred[256], upred[2][64];
    uint8_t *pp[2] = {upred[0], upred[1]};
    const uint8_t *sp[2] = {m->src[1], m->src[2]};
    int64_t dist, udist;
    const vp8_entropy *en = &e->d.s->ctx;
    ref_ctx rc;
    ref_setup(e, m, f->ref_frame, &rc);
    const vp8_mv best_ref = rc.best_ref;
    /* The header's rate, as the writer will code it (§16.3, §16.4). */
    int rate = rc.ref_rate + vp8_cost_tree(vp8_mv_ref_tree, rc.probs, VP8_MV_SPLIT);
    rate += vp8_cost_tree(vp8_split_mv_tree, vp8_split_mv_probs, f->partitioning);
    for (int j = 0; j < vp8_split_mv_count[f->partitioning]; j++) {
        vp8_split_part sp_j = vp8_split_part_of(f, m->above, m->left, j);
        rate += vp8_cost_tree(vp8_sub_mv_ref_tree, sp_j.probs, sp_j.sub);
        if (sp_j.sub == VP8_SUBMV_NEW) rate += vp8_mv_cost(en, sp_j.mv, best_ref);
    }
    predict_inter(e, m, &cd->mb);
    copy_prediction(m, pred, upred);
    rate += code_luma_noy2(e, m->src[0], m->ss[0], pred, cd, m->nz_left, m->nz_above, &dist);
    rate += code_chroma(e, sp, m->ss[1], pp, 8, cd, m->nz_left, m->nz_above, &udist);
    cd->rate = rate;
    cd->dist = dist + udist;
    cd->rd = vp8_rdcost(e, cd->rate, cd->dist);
    cd->rec_ok = 0;
    candidate tmp;
    e->rebase_try = 1;
    e->rebase_mv = f->mv;
    try_reference(e, m, f->ref_frame, cd, &tmp);
    e->rebase_try = 0;
}

/* Rebase: the macroblock's modes are given (f, as the frame's decoder read them); only
 * its residual against this frame's prediction is coded. */
static void code_forced(vp8_encoder *e, const mb_ctx *m, candidate *cd, const vp8_mb_info *f)
{
    memset(cd, 0, sizeof(*cd));
    cd->mb = *f;
    cd->mb.segment = 0;
    cd->mb.skip = 0;
    e->coding_intra = f->ref_frame == VP8_REF_INTRA;
    if (!e->coding_intra && f->ymode != VP8_MV_SPLIT) {
        /* A whole-MB inter macroblock keeps its reference, but its vector competes with
         * ZERO, NEAREST and NEAR on the new base (no search: their predictions ranked by
         * luma error and header rate, the best of them coded against the kept one, the
         * better kept). The kept vector was chosen against stage 1's references, not
         * the chain's. flower 720p 60 frames [6,16]: -0.2..-2.2% bytes and +0.01..+0.08
         * dB at q 12/24/40 (foreman 100 frames: -0.2..-1.4%, +0.01..+0.04 dB), for
         * about 15% more rebase time. On the base the frame was made on, the kept
         * vector wins as it did then: the same bytes. */
        candidate tmp;
        cd->rd = INT64_MAX;
        e->rebase_try = 1;
        e->rebase_mv = f->mv;
        try_reference(e, m, f->ref_frame, cd, &tmp);
        e->rebase_try = 0;
        return;
    }
    if (!e->coding_intra && f->ymode == VP8_MV_SPLIT) {
        code_forced_split(e, m, cd, f);
        return;
    }
    /* An intra macroblock keeps its kind (16x16 or B_PRED), but its modes are chosen
     * again from its new neighbours (the encoder's quick ranking for 16x16 luma and
     * chroma, its subblock-by-subblock search for B_PRED): they were chosen on stage
     * 1's reconstruction. [6,16] at fixed q 12..48, BD-rate by SSIM: 16x16 modes,
     * street 1080p 108 frames -0.87% (a quarter of its macroblocks are intra), foreman
     * -0.13%, flower 720p -0.06%, no measurable rebase time; then B_PRED's subblock
     * modes, street -0.59%, foreman -0.50% (PSNR alike), for 6% (foreman) to 12%
     * (street) more rebase time. Letting the two kinds compete as well gained another
     * 0.1% on street, none on foreman; letting inter modes compete with them lost 0.4%
     * by SSIM (won by PSNR). The chosen candidate's coefficients are kept, not coded
     * again. */
    candidate in;
    memset(&in, 0, sizeof(in));
    in.mb = cd->mb;
    pick_intra_uv(e, m, &in);
    if (f->ymode == VP8_B_PRED) {
        pick_bpred(e, m, &in, INT64_MAX, NULL);
    } else {
        pick_intra16(e, m, &in);
        const uint8_t m16 = vp8_implied_bmode(in.mb.ymode);
        for (int b = 0; b < 16; b++)
            in.mb.bmodes[b] = m16;
    }
    *cd = in;
}

static int has_coeffs(const vp8_mb_coeffs *c, int has_y2)
{
    int first = has_y2 ? 1 : 0;
    for (int b = 0; b < 16; b++)
        if (c->eobs[b] > first) return 1;
    for (int b = 16; b < 24; b++)
        if (c->eobs[b]) return 1;
    return has_y2 && c->eobs[24];
}

void vp8_encode_mb(vp8_encoder *e, int mb_row, int mb_col)
{
    vp8_decoder *d = &e->d;
    vp8_frame *f = d->cur;
    const vp8_frame *srcf = e->srcf;
    candidate best, cd;
    mb_ctx m;

    memset(&best, 0, sizeof(best));
    m.row = mb_row;
    m.col = mb_col;
    for (int p = 0; p < 3; p++) {
        int sz = p ? 8 : 16;
        m.ds[p] = f->stride[p];
        m.dst[p] = f->plane[p] + (ptrdiff_t)mb_row * sz * f->stride[p] + mb_col * sz;
        m.ss[p] = srcf->stride[p];
        m.src[p] = srcf->plane[p] + (ptrdiff_t)mb_row * sz * srcf->stride[p] + mb_col * sz;
    }
    m.nz_left = e->nz_left;
    m.nz_above = e->nz_above + 9 * mb_col;
    m.above = vp8_mbi(d, mb_row - 1, mb_col);
    m.left = vp8_mbi(d, mb_row, mb_col - 1);

    int segment = 0;
    if (e->forced_mbi) {
        const vp8_mb_info *fm = &e->forced_mbi[(mb_row + 1) * e->forced_stride + mb_col + 1];
        /* §9.3: a segment's own quantizer (the rebase keeps the frame's segments). */
        if (d->hdr.segmentation_enabled) {
            segment = fm->segment & 3;
            if (segment != e->quant_seg) vp8_enc_init_quant(e, segment);
        }
        code_forced(e, &m, &best, fm);
        goto commit;
    }

    /* Intra chroma and the best 16x16 luma mode first, then the inter modes, and last
     * B_PRED, whose subblock-by-subblock search stops as soon as its running cost
     * passes the best so far (less the chroma it would carry): the tighter that
     * bound, the sooner. The order does not change the choice. */
    candidate intra;
    int key = d->hdr.key_frame;
    memset(&intra, 0, sizeof(intra));
    intra.mb.ref_frame = VP8_REF_INTRA;
    e->coding_intra = 1;
    int64_t rduv = pick_intra_uv(e, &m, &intra); /* includes its mode's cost */
    int64_t rd16 = pick_intra16(e, &m, &intra);
    intra.rd = rd16 + rduv;
    {
        uint8_t m16 = vp8_implied_bmode(intra.mb.ymode);
        for (int b = 0; b < 16; b++)
            intra.mb.bmodes[b] = m16;
    }
    best = intra;

    e->coding_intra = 0;
    e->mb_done = 0;
    e->last_proxy = INT64_MAX;
    if (!key) {
        static const int refs[3] = {VP8_REF_LAST, VP8_REF_GOLDEN, VP8_REF_ALTREF};
        for (int i = 0; i < 3; i++) {
            int r = refs[i];
            /* A reference identical to one already tried adds nothing. */
            if (i > 0 && d->in->ref[r] == d->in->ref[VP8_REF_LAST]) continue;
            if (i > 1 && d->in->ref[r] == d->in->ref[VP8_REF_GOLDEN]) continue;
            if (!e->use_ref[r] || e->mb_done) continue;
            try_reference(e, &m, r, &best, &cd);
        }
    }

    /* On inter frames at speed >= 2, B_PRED only where intra 16x16 came within 50% of
     * the best: elsewhere it almost never wins (foreman CIF: ~10% less time for
     * +0.4% BD-rate; a 25% margin cost more). */
    int try_bpred = key ? e->p->speed < 9
                        : !e->mb_done && (e->p->speed < 2 || rd16 + rduv < best.rd + best.rd / 2);
    e->coding_intra = 1;
    if (try_bpred) {
        int64_t budget = best.rd - rduv;
        if (budget > rd16) budget = rd16;
        cd = intra;
        int64_t rdb = pick_bpred(e, &m, &cd, budget, NULL);
        if (rdb < budget) {
            cd.rd = rdb + rduv;
            best = cd;
        }
    }

commit:;
    /* Commit: the header, then the reconstruction by the decoder's code. */
    vp8_mb_info *mb = vp8_mbi(d, mb_row, mb_col);
    int has_y2 = best.mb.ymode != VP8_B_PRED && best.mb.ymode != VP8_MV_SPLIT;
    int nz = has_coeffs(&best.c, has_y2);
    *mb = best.mb;
    mb->segment = (uint8_t)segment;
    if (mb->ref_frame == VP8_REF_INTRA) {
        mb->mv = (vp8_mv){0, 0};
        for (int b = 0; b < 16; b++)
            mb->bmv[b] = mb->mv;
    }
    mb->skip = (uint8_t)!nz;
    e->coeffs[mb_row * d->s->mb_cols + mb_col] = best.c;
    e->skip_count[!nz ? 1 : 0]++;
    e->ref_count[mb->ref_frame]++;

    /* Contexts for the next macroblocks' estimates, as the tokens will set them. */
    {
        uint8_t *l = e->nz_left, *a = e->nz_above + 9 * mb_col;
        if (!nz) {
            memset(l, 0, has_y2 ? 9 : 8);
            memset(a, 0, has_y2 ? 9 : 8);
        } else {
            int first = has_y2 ? 1 : 0;
            if (has_y2) l[8] = a[8] = best.c.eobs[24] > 0;
            for (int b = 0; b < 16; b++)
                l[b >> 2] = a[b & 3] = best.c.eobs[b] > first;
            for (int p = 0; p < 2; p++)
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 2; x++)
                        l[4 + p * 2 + y] = a[4 + p * 2 + x] = best.c.eobs[16 + p * 4 + y * 2 + x] > 0;
        }
    }

    if (best.rec_ok) {
        for (int y = 0; y < 16; y++)
            memcpy(m.dst[0] + y * m.ds[0], best.rec + 16 * y, 16);
        for (int p = 0; p < 2; p++)
            for (int y = 0; y < 8; y++)
                memcpy(m.dst[1 + p] + y * m.ds[1 + p], best.rec + 256 + 64 * p + 8 * y, 8);
        return;
    }
    /* vp8_reconstruct_mb wants the dequantized coefficients and the decoder's eobs:
     * for luma after Y2 the eob counts from 1, and Y2 itself supplies the DCs. */
    {
        int16_t coeffs[25][16];
        uint8_t eobs[25];
        memcpy(coeffs, best.dq, sizeof(coeffs));
        memcpy(eobs, best.c.eobs, sizeof(eobs));
        if (!has_y2) memset(coeffs[24], 0, sizeof(coeffs[24]));
        vp8_reconstruct_mb(d, mb_row, mb_col, mb, nz, coeffs, eobs);
    }
}
