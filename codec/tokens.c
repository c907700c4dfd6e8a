/* DCT coefficient tokens (RFC 6386 §13). */
#include <string.h>

#include "boolreader.h"
#include "dsp.h"
#include "tables.h"
#include "vp8i.h"

#if defined(__GNUC__)
#define TOKENS_INLINE static inline __attribute__((always_inline))
#else
#define TOKENS_INLINE static inline
#endif

/* Block types: the first index of the coefficient probabilities (§13.3). */
enum { TYPE_Y_AFTER_Y2 = 0, TYPE_Y2 = 1, TYPE_UV = 2, TYPE_Y_WITH_DC = 3 };

/* §13.2: the extra bits of DCT_cat1..6, most significant first. */
TOKENS_INLINE int read_extra(vp8_bool_decoder *bd, int cat)
{
    const uint8_t *p = vp8_pcat_probs[cat];
    int v = 0;
    while (*p)
        v += v + vp8_read_bool(bd, *p++);
    return v + vp8_dct_cat_base[cat];
}

/* §13.2: the magnitude of a nonzero token, once DCT_0 has been ruled out. */
TOKENS_INLINE int read_magnitude(vp8_bool_decoder *bd, const uint8_t *p)
{
    if (!vp8_read_bool(bd, p[3])) {
        if (!vp8_read_bool(bd, p[4]))
            return 2;
        return 3 + vp8_read_bool(bd, p[5]);
    }
    if (!vp8_read_bool(bd, p[6]))
        return read_extra(bd, vp8_read_bool(bd, p[7]));          /* cat1, cat2 */
    {
        int b1 = vp8_read_bool(bd, p[8]);
        int b0 = vp8_read_bool(bd, p[9 + b1]);
        return read_extra(bd, 2 + 2 * b1 + b0);                  /* cat3..cat6 */
    }
}

/*
 * §13.2-§13.3: the tokens of one 4x4 block, starting at coefficient `first`, with
 * the nonzero context ctx in [0, 2]. Writes dequantized coefficients (natural
 * order) into out[] (which must be zero) and returns the end-of-block position
 * (the index after the last token; `first` when the block is empty).
 */
TOKENS_INLINE int read_block(vp8_bool_decoder *bd, const uint8_t (*probs)[3][11], int ctx,
                             int first, const int16_t dq[2], int16_t out[16])
{
    int i = first;
    const uint8_t *p = probs[vp8_coef_bands[i]][ctx];

    if (!vp8_read_bool(bd, p[0]))
        return i; /* EOB at once */
    for (;;) {
        int v;
        /* DCT_0 tokens: no EOB can follow a zero, so p[0] is not read after one. */
        while (!vp8_read_bool(bd, p[1])) {
            if (++i == 16)
                return 16;
            p = probs[vp8_coef_bands[i]][0];
        }
        if (!vp8_read_bool(bd, p[2])) {
            v = 1;
            ctx = 1;
        } else {
            v = read_magnitude(bd, p);
            ctx = 2;
        }
        out[vp8_zigzag[i]] = (int16_t)(vp8_read_signed_value(bd, v) * dq[i > 0]);
        if (++i == 16)
            return 16;
        p = probs[vp8_coef_bands[i]][ctx];
        if (!vp8_read_bool(bd, p[0]))
            return i;
    }
}

/*
 * The residual of one macroblock. nz_left/nz_above hold, per 4x4 block position,
 * whether the neighbouring block had coefficients: [0..3] Y, [4..5] U, [6..7] V,
 * [8] Y2. coeffs[0..15] Y, [16..19] U, [20..23] V, [24] Y2 (zeroed by the caller).
 * eobs[] receives each block's end-of-block position.
 */
int vp8_read_mb_tokens(vp8_decoder *d, vp8_bool_decoder *bdp, vp8_mb_info *mb,
                       uint8_t *nz_left, uint8_t *nz_above, int16_t coeffs[25][16],
                       uint8_t eobs[25])
{
    /* A local copy of the decoder, so that its window, range and count stay in
     * registers through the macroblock (the stores of coefficients and contexts would
     * otherwise force them to memory: uint8_t stores may alias anything). */
    vp8_bool_decoder br = *bdp, *bd = &br;
    const vp8_entropy *e = &d->s->ctx;
    int16_t (*dq)[2] = d->dequant[mb->segment];
    int has_y2 = mb->ymode != VP8_B_PRED && mb->ymode != VP8_MV_SPLIT;
    int first = 0, ytype = TYPE_Y_WITH_DC, nonzero = 0;

    if (has_y2) {
        int ctx = nz_left[8] + nz_above[8];
        int eob = read_block(bd, e->coef[TYPE_Y2], ctx, 0, dq[1], coeffs[24]);
        eobs[24] = (uint8_t)eob;
        nz_left[8] = nz_above[8] = eob > 0;
        nonzero |= eob > 0;
        first = 1;
        ytype = TYPE_Y_AFTER_Y2;
    }
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) {
            int b = y * 4 + x;
            int ctx = nz_left[y] + nz_above[x];
            int eob = read_block(bd, e->coef[ytype], ctx, first, dq[0], coeffs[b]);
            eobs[b] = (uint8_t)eob;
            nz_left[y] = nz_above[x] = eob > first;
            nonzero |= eob > first;
        }
    for (int plane = 0; plane < 2; plane++)
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++) {
                int b = 16 + plane * 4 + y * 2 + x;
                uint8_t *l = &nz_left[4 + plane * 2 + y], *a = &nz_above[4 + plane * 2 + x];
                int eob = read_block(bd, e->coef[TYPE_UV], *l + *a, 0, dq[2], coeffs[b]);
                eobs[b] = (uint8_t)eob;
                *l = *a = eob > 0;
                nonzero |= eob > 0;
            }
    *bdp = br;
    return nonzero;
}
