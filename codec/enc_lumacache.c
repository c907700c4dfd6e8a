/*
 * Whole-macroblock luma predictions of one macroblock from one reference, for the
 * sub-pel refinement of its vector and the ranking of its candidates (enc_analysis.c).
 *
 * The six-tap filter of §18.3 is separable: a horizontal pass (rounded, clamped) on
 * the rows the vertical pass reads, then the vertical pass, and a pass with fraction 0
 * is the identity. The half-pel step of the refinement measures 8 vectors in 3
 * columns and the quarter-pel step 5 in 3 more (one shared): the horizontal pass of a
 * column, kept for the rows of three full-pel block tops, serves every vector in it,
 * and each vector then costs one vertical pass. The pixels are those of the
 * decoder's predictor (dsp.h sixtap_h16 and sixtap_v16_sse are sixtap16's two passes,
 * tests/test_dsp.c); only the work is shared.
 *
 * The refinement only compares: vp8_luma_cache_sse makes the vertical pass and the SSE
 * against the source in one kernel, without storing the prediction. With AVX2 (two
 * rows a step) and the 24 rows of a column in one call, rebase foreman CIF q 40:
 * 1.32 -> 1.23 ms a frame, flower 720p 10.4 -> 9.4 (SSSE3 only: 1.42 -> 1.38; CPU
 * time, interleaved medians of 5-7).
 */
#include <string.h>

#include "enc.h"

/* Entry rows: source rows top - 3 .. top + 20 of a column, for blocks whose top is
 * within one row of `top` (a vertical pass reads 2 rows above a block's top and 3
 * after its 16 rows). */
enum { LC_ROWS = 24 };

void vp8_luma_cache_init(vp8_luma_cache *c, const vp8_dsp *dsp, const uint8_t *ref,
                         ptrdiff_t rs, const vp8_mv_bounds *bounds)
{
    c->dsp = dsp;
    c->ref = ref;
    c->rs = rs;
    c->bounds = *bounds;
    c->n = c->next = 0;
}

/* The entry holding the horizontal pass of column `col` (eighth pels, fraction not 0)
 * for a block at full-pel row `top`, made if missing (the oldest one replaced). */
static const uint8_t *column(vp8_luma_cache *c, int col, int top)
{
    for (int i = 0; i < c->n; i++)
        if (c->e[i].col == col && top >= c->e[i].top - 1 && top <= c->e[i].top + 1)
            return c->e[i].buf + 16 + (top - c->e[i].top + 3) * 16;
    int i = c->n < VP8_LC_ENTRIES ? c->n++ : c->next;
    c->next = (i + 1) % VP8_LC_ENTRIES;
    c->e[i].col = col;
    c->e[i].top = top;
    /* The horizontal pass of all 24 rows in one call (it was a 16x16 and two 8x8
     * predictions with a vertical fraction of 0, which cost the 8 last rows twice). */
    uint8_t *b = c->e[i].buf + 16; /* 16 bytes before the rows: the C sixtap16 with
                                    * mx = 0 reads (and multiplies by 0) two columns left */
    const uint8_t *s = c->ref + (ptrdiff_t)(top - 3) * c->rs + (col >> 3);
    c->dsp->sixtap_h16(b, 16, s, c->rs, col & 7, LC_ROWS);
    return b + 3 * 16;
}

/* The rows the vertical pass of mv reads from (its first pass, or the reference), and
 * its vertical fraction; NULL if mv is outside the bounds. */
static const uint8_t *first_pass(vp8_luma_cache *c, vp8_mv mv, ptrdiff_t *stride, int *my)
{
    const vp8_mv_bounds *b = &c->bounds;
    if (mv.col < b->to_left || mv.col > b->to_right || mv.row < b->to_top ||
        mv.row > b->to_bottom)
        return NULL;
    const int top = mv.row >> 3;
    *my = mv.row & 7;
    if (mv.col & 7) {
        *stride = 16;
        return column(c, mv.col, top);
    }
    *stride = c->rs;
    return c->ref + (ptrdiff_t)top * c->rs + (mv.col >> 3);
}

int64_t vp8_luma_cache_sse(vp8_luma_cache *c, vp8_mv mv, const uint8_t *src, ptrdiff_t ss)
{
    ptrdiff_t ps;
    int my;
    const uint8_t *p = first_pass(c, mv, &ps, &my);
    if (!p) return -1;
    /* The vertical pass compared as it is made, not stored (sixtap_v16_sse). */
    return my ? c->dsp->sixtap_v16_sse(src, ss, p, ps, my)
              : c->dsp->sse[VP8_PRED_16x16](src, ss, p, ps);
}

const uint8_t *vp8_luma_cache_pred(vp8_luma_cache *c, vp8_mv mv, uint8_t tmp[256],
                                   ptrdiff_t *stride)
{
    int my;
    ptrdiff_t ps;
    const uint8_t *p = first_pass(c, mv, &ps, &my);
    if (!p) return NULL;
    if (my) {
        c->dsp->sixtap[VP8_PRED_16x16](tmp, 16, p, ps, 0, my);
        p = tmp;
        ps = 16;
    }
    *stride = ps;
    return p;
}
