/*
 * Quantization (the inverse of RFC 6386 §14.1's dequantization): a dead-zone scalar
 * quantizer with libvpx's rounding (3/8 of a step) and zero bin (about 2/3 of a step
 * for AC, a little less for DC where errors show more).
 */
#include "enc.h"
#include "tables.h"

/* libvpx's zero-run boost of the zero bin (vp8 quantize.c, zbin_boost): after k zero
 * levels in a row (in zigzag order), a coefficient must pass zbin + boost[k] * q / 128 to
 * be coded. Isolated small coefficients after long runs of zeros cost many bits for
 * little: this drops them. */
static const uint8_t zrun_boost[16] = {0, 0, 8, 10, 12, 14, 16, 20, 24, 28, 32, 36, 40, 44, 44, 44};

void vp8_enc_init_quant(vp8_encoder *e, int seg)
{
    const int16_t (*dq)[2] = (const int16_t (*)[2])e->d.dequant[seg];
    e->quant_seg = seg;
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 2; j++) {
            int q = dq[k][j];
            e->q[k][j] = (int16_t)q;
            e->round[k][j] = (int16_t)((q * 48) >> 7);
            e->zbin[k][j] = (int16_t)(((j ? 84 : 80) * q + 64) >> 7);
            e->iq[k][j] = (uint32_t)((1u << 16) / (unsigned)q);
        }
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < 16; r++)
            e->zrun_thresh[k][r] = (int16_t)(e->zbin[k][1] + ((zrun_boost[r] * e->q[k][1]) >> 7));
}

/* The per-block work is a DSP kernel (vp8_dsp.quantize, C reference in dsp_enc.c); the
 * zero-run boost is a scalar pass over what it kept, which can only drop levels. */
int vp8_quantize_block(const vp8_encoder *e, int kind, int first, const int16_t coef[16],
                       int16_t levels[16], int16_t dq[16])
{
    int eob = e->d.dsp->quantize(coef, first, e->q[kind], e->round[kind], e->zbin[kind],
                                 e->iq[kind], levels, dq);
    if (eob <= first + 2 || !e->zbin_boost) return eob; /* no run of 2 zeros before a level */
    const int16_t *thr = e->zrun_thresh[kind];
    int run = 0, last = first;
    for (int i = first; i < eob; i++) {
        if (!levels[i]) {
            run++;
            continue;
        }
        if (run >= 2) { /* then i >= 2: an AC coefficient */
            const int pos = vp8_zigzag[i], c = coef[pos] < 0 ? -coef[pos] : coef[pos];
            if (c < thr[run]) {
                levels[i] = 0;
                dq[pos] = 0;
                run++;
                continue;
            }
        }
        run = 0;
        last = i + 1;
    }
    return last;
}
