/* Encoder metrics, plain C references (see dsp.h). */
#include "dsp.h"
#include "dsp_common.h"

static uint32_t sad16x16_c(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    uint32_t s = 0;
    for (int y = 0; y < 16; y++, a += as, b += bs)
        for (int x = 0; x < 16; x++)
            s += (uint32_t)(a[x] > b[x] ? a[x] - b[x] : b[x] - a[x]);
    return s;
}

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

void vp8_dsp_init_enc_c(vp8_dsp *d)
{
    d->sad16x16 = sad16x16_c;
    d->sad_wh = sad_wh_c;
    d->sse[VP8_PRED_16x16] = sse16x16_c;
    d->sse[VP8_PRED_8x8] = sse8x8_c;
    d->sse[VP8_PRED_4x4] = sse4x4_c;
}
