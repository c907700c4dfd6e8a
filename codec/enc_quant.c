/*
 * Quantization (the inverse of RFC 6386 §14.1's dequantization): a dead-zone scalar
 * quantizer with libvpx's rounding (3/8 of a step) and zero bin (about 2/3 of a step
 * for AC, a little less for DC where errors show more).
 */
#include "enc.h"

void vp8_enc_init_quant(vp8_encoder *e)
{
    const int16_t (*dq)[2] = (const int16_t (*)[2])e->d.dequant[0];
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 2; j++) {
            int q = dq[k][j];
            e->q[k][j] = (int16_t)q;
            e->round[k][j] = (int16_t)((q * 48) >> 7);
            e->zbin[k][j] = (int16_t)(((j ? 84 : 80) * q + 64) >> 7);
            e->iq[k][j] = (uint32_t)((1u << 16) / (unsigned)q);
        }
}

/* The per-block work is a DSP kernel (vp8_dsp.quantize, C reference in dsp_enc.c). */
int vp8_quantize_block(const vp8_encoder *e, int kind, int first, const int16_t coef[16],
                       int16_t levels[16], int16_t dq[16])
{
    return e->d.dsp->quantize(coef, first, e->q[kind], e->round[kind], e->zbin[kind],
                              e->iq[kind], levels, dq);
}
