/* Encoder kernels, plain C references (see dsp.h): metrics, forward DCT, quantizer. */
#include <string.h>

#include "dsp.h"
#include "dsp_common.h"
#include "tables.h"

static uint32_t sad_wh_c(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs, int w,
                         int h)
{
    uint32_t s = 0;
    for (int y = 0; y < h; y++, a += as, b += bs)
        for (int x = 0; x < w; x++)
            s += (uint32_t)(a[x] > b[x] ? a[x] - b[x] : b[x] - a[x]);
    return s;
}

static inline uint32_t sse_wh(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs,
                              int w, int h)
{
    uint32_t s = 0;
    for (int y = 0; y < h; y++, a += as, b += bs)
        for (int x = 0; x < w; x++) {
            int d = a[x] - b[x];
            s += (uint32_t)(d * d);
        }
    return s;
}

static uint32_t sse16x16_c(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    return sse_wh(a, as, b, bs, 16, 16);
}

static uint32_t sse8x8_c(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    return sse_wh(a, as, b, bs, 8, 8);
}

static uint32_t sse4x4_c(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    return sse_wh(a, as, b, bs, 4, 4);
}

/* §18.3 bilinear filter taps for eighth-pel fraction k: 128 - 16k, 16k. */
static uint32_t sse_bilinear_c(const uint8_t *a, ptrdiff_t as, const uint8_t *ref, ptrdiff_t rs,
                               int mx, int my, int w, int h)
{
    const int fx0 = 128 - 16 * mx, fx1 = 16 * mx, fy0 = 128 - 16 * my, fy1 = 16 * my;
    uint16_t tmp[17 * 16];
    uint32_t s = 0;
    /* First the horizontal pass on h + 1 rows, rounded and shifted by 7, then the
     * vertical pass on that (the order of §18.3). */
    for (int y = 0; y < h + 1; y++)
        for (int x = 0; x < w; x++)
            tmp[y * 16 + x] =
                (uint16_t)((ref[y * rs + x] * fx0 + ref[y * rs + x + 1] * fx1 + 64) >> 7);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int p = (tmp[y * 16 + x] * fy0 + tmp[(y + 1) * 16 + x] * fy1 + 64) >> 7;
            int d = a[y * as + x] - p;
            s += (uint32_t)(d * d);
        }
    return s;
}

/* The forward DCT of the encoder: libvpx's vp8_short_fdct4x4_c, scaled so that the
 * decoder's inverse (§14.4) undoes it. The bitstream does not fix it. */
static void fdct4x4_c(const int16_t *in, ptrdiff_t in_stride, int16_t out[16])
{
    int tmp[16];
    for (int i = 0; i < 4; i++) {
        const int16_t *ip = in + i * in_stride;
        int a1 = (ip[0] + ip[3]) * 8, b1 = (ip[1] + ip[2]) * 8;
        int c1 = (ip[1] - ip[2]) * 8, d1 = (ip[0] - ip[3]) * 8;
        tmp[i * 4 + 0] = a1 + b1;
        tmp[i * 4 + 2] = a1 - b1;
        tmp[i * 4 + 1] = (c1 * 2217 + d1 * 5352 + 14500) >> 12;
        tmp[i * 4 + 3] = (d1 * 2217 - c1 * 5352 + 7500) >> 12;
    }
    for (int i = 0; i < 4; i++) {
        int a1 = tmp[i] + tmp[12 + i], b1 = tmp[4 + i] + tmp[8 + i];
        int c1 = tmp[4 + i] - tmp[8 + i], d1 = tmp[i] - tmp[12 + i];
        out[i] = (int16_t)((a1 + b1 + 7) >> 4);
        out[8 + i] = (int16_t)((a1 - b1 + 7) >> 4);
        out[4 + i] = (int16_t)(((c1 * 2217 + d1 * 5352 + 12000) >> 16) + (d1 != 0));
        out[12 + i] = (int16_t)((d1 * 2217 - c1 * 5352 + 51000) >> 16);
    }
}

/* The dead-zone quantizer (dsp.h). (a + round) * iq >> 16 is the quotient
 * (a + round) / q or one less (iq = 2^16 / q is rounded down): one step corrects it. */
static int quantize_c(const int16_t coef[16], int first, const int16_t q[2],
                      const int16_t round[2], const int16_t zbin[2], const uint32_t iq[2],
                      int16_t levels[16], int16_t dq[16])
{
    int eob = first;
    memset(dq, 0, 16 * sizeof(*dq));
    {
        /* Most blocks of an inter frame quantize to nothing: find out in one pass that
         * the compiler vectorizes, before the per-coefficient work. */
        const int zdc = first ? 32767 : zbin[0], zac = zbin[1];
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
        if (a >= zbin[ac]) {
            level = (int)(((uint32_t)(a + round[ac]) * iq[ac]) >> 16);
            if ((level + 1) * q[ac] <= a + round[ac]) level++;
            if (level > 2048) level = 2048; /* DCT_cat6 holds up to 2048 + 2^11 - 1 */
        }
        if (x < 0) level = -level;
        levels[i] = (int16_t)level;
        dq[pos] = (int16_t)(level * q[ac]);
        if (level) eob = i + 1;
    }
    return eob;
}

void vp8_dsp_init_enc_c(vp8_dsp *d)
{
    d->fdct4x4 = fdct4x4_c;
    d->quantize = quantize_c;
    d->sad_wh = sad_wh_c;
    d->sse[VP8_PRED_16x16] = sse16x16_c;
    d->sse[VP8_PRED_8x8] = sse8x8_c;
    d->sse[VP8_PRED_4x4] = sse4x4_c;
    d->sse_bilinear = sse_bilinear_c;
}
