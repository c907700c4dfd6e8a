/*
 * Quantization (the inverse of RFC 6386 §14.1's dequantization): a dead-zone scalar
 * quantizer with libvpx's rounding (3/8 of a step) and zero bin (about 2/3 of a step
 * for AC, a little less for DC where errors show more).
 */
#include <string.h>

#include "enc.h"
#include "tables.h"

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

int vp8_quantize_block(const vp8_encoder *e, int kind, int first, const int16_t coef[16],
                       int16_t levels[16], int16_t dq[16])
{
    int eob = first;
    memset(dq, 0, 16 * sizeof(*dq));
    {
        /* Most blocks of an inter frame quantize to nothing: find out in one pass that
         * the compiler vectorizes, before the per-coefficient work. */
        const int zdc = first ? 32767 : e->zbin[kind][0], zac = e->zbin[kind][1];
        int any = 0;
        any |= (coef[0] < 0 ? -coef[0] : coef[0]) >= zdc;
        for (int i = 1; i < 16; i++)
            any |= (coef[i] < 0 ? -coef[i] : coef[i]) >= zac;
        if (!any) {
            memset(levels, 0, 16 * sizeof(*levels));
            return first;
        }
    }
    for (int i = 0; i < first; i++)
        levels[i] = 0;
    for (int i = first; i < 16; i++) {
        int pos = vp8_zigzag[i], ac = i > 0;
        int x = coef[pos], a = x < 0 ? -x : x;
        int level = 0;
        if (a >= e->zbin[kind][ac]) {
            level = (int)(((uint32_t)(a + e->round[kind][ac]) * e->iq[kind][ac]) >> 16);
            /* 2^16 / q is rounded down: correct the rare quotient one short. */
            if ((level + 1) * e->q[kind][ac] <= a + e->round[kind][ac]) level++;
            if (level > 2048) level = 2048; /* DCT_cat6 holds up to 2048 + 2^11 - 1 */
        }
        if (x < 0) level = -level;
        levels[i] = (int16_t)level;
        dq[pos] = (int16_t)(level * e->q[kind][ac]);
        if (level) eob = i + 1;
    }
    return eob;
}
