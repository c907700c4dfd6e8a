/*
 * Trellis quantization: the levels of one block chosen by rate-distortion over the
 * paths the token coder can take (RFC 6386 §13: the token of each coefficient is coded
 * in the context of the previous one, 0 / 1 / more, and an EOB may not follow a DCT_0).
 * The dead-zone quantizer gives each coefficient a level L; the trellis may keep L or
 * take L - sign(L) (possibly 0), and may end the block early. A Viterbi search over
 * the three token contexts finds the cheapest path, distortion counted in the pixel
 * domain (the VP8 forward DCT has a gain of 2: pixel SSE = coefficient SSE / 4).
 */
#include <stdint.h>
#include <string.h>

#include "enc.h"
#include "tables.h"

#define INF INT64_MAX

int vp8_trellis_block(const vp8_encoder *e, int kind, int type, int ctx0, int first,
                      const int16_t coef[16], int16_t levels[16], int16_t dq[16], int eob)
{
    const uint8_t (*probs)[3][11] = (const uint8_t (*)[3][11])e->d.s->ctx.coef[type];
    /* cost = rate * lambda + 64 * coefficient SSE (= 256 * the RD cost of vp8_rdcost).
     * As libvpx's optimize_b: half the lambda for chroma, 9/16 of it in intra blocks
     * (their errors propagate); the full lambda wrecked chroma at high quantizers. */
    int64_t lambda = e->rdmult;
    if (kind == 2) lambda /= 2;
    if (e->coding_intra) lambda = lambda * 9 / 16;
    int64_t cost[17][3], zd[17];
    int16_t cand[16][2];
    int nc[16];
    struct { int8_t ctx; int16_t v; } from[17][3];
    int64_t best_end = INF;
    int end_pos = first, end_ctx = ctx0;
    int16_t end_v = 0;

    if (eob <= first) return eob;
    /* Suffix distortion of zeroing positions i..15; candidate levels. */
    zd[16] = 0;
    for (int i = 15; i >= first; i--) {
        int c = coef[vp8_zigzag[i]];
        zd[i] = zd[i + 1] + 64 * (int64_t)c * c;
        int l = levels[i];
        cand[i][0] = (int16_t)l;
        nc[i] = 1;
        if (l) cand[i][nc[i]++] = (int16_t)(l > 0 ? l - 1 : l + 1);
    }
    for (int i = first; i <= 16; i++)
        cost[i][0] = cost[i][1] = cost[i][2] = INF;
    cost[first][ctx0] = 0;

    for (int i = first; i < eob; i++) {
        const int band = vp8_coef_bands[i], q = e->q[kind][i > 0];
        const int c = coef[vp8_zigzag[i]];
        for (int ctx = 0; ctx < 3; ctx++) {
            int64_t base = cost[i][ctx];
            if (base == INF) continue;
            const uint8_t *p = probs[band][ctx];
            int eob_ok = i == first || ctx != 0;
            if (eob_ok) {
                /* End here: EOB, the rest zero. */
                int64_t t = base + lambda * vp8_cost_bool(p[0], 0) + zd[i];
                if (t < best_end) {
                    best_end = t;
                    end_pos = i;
                    end_ctx = ctx;
                    end_v = -1; /* marks an EOB end */
                }
            }
            int more = eob_ok ? vp8_cost_bool(p[0], 1) : 0;
            for (int k = 0; k < nc[i]; k++) {
                int v = cand[i][k], a = v < 0 ? -v : v;
                int64_t err = (int64_t)c - (int64_t)v * q;
                int64_t t = base + lambda * (more + vp8_level_cost(p, a)) + 64 * err * err;
                int nctx = a == 0 ? 0 : a == 1 ? 1 : 2;
                if (i + 1 == 16) {
                    if (a && t < best_end) { /* ends with the last coefficient: no EOB */
                        best_end = t;
                        end_pos = 16;
                        end_ctx = ctx;
                        end_v = (int16_t)v;
                    }
                    continue;
                }
                if (t < cost[i + 1][nctx]) {
                    cost[i + 1][nctx] = t;
                    from[i + 1][nctx].ctx = (int8_t)ctx;
                    from[i + 1][nctx].v = (int16_t)v;
                }
            }
        }
    }
    /* The path may also run to the old eob and end there (EOB or the block's end). */
    if (eob < 16) {
        const int band = vp8_coef_bands[eob];
        for (int ctx = 1; ctx < 3; ctx++) {
            if (cost[eob][ctx] == INF) continue;
            int64_t t = cost[eob][ctx] + lambda * vp8_cost_bool(probs[band][ctx][0], 0) + zd[eob];
            if (t < best_end) {
                best_end = t;
                end_pos = eob;
                end_ctx = ctx;
                end_v = -1;
            }
        }
    }

    /* Back-track. */
    int16_t out[16];
    memset(out, 0, sizeof(out));
    int pos = end_pos, ctx = end_ctx;
    if (end_pos == 16) {
        out[15] = end_v;
        pos = 15;
    }
    while (pos > first) {
        out[pos - 1] = from[pos][ctx].v;
        ctx = from[pos][ctx].ctx;
        pos--;
    }
    int new_eob = first;
    for (int i = first; i < 16; i++) {
        levels[i] = out[i];
        dq[vp8_zigzag[i]] = (int16_t)(out[i] * e->q[kind][i > 0]);
        if (out[i]) new_eob = i + 1;
    }
    return new_eob;
}
