/* SSE2 sub-pixel prediction (RFC 6386 §18), bit-exact with dsp_inter.c (tests/test_dsp.c). */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <emmintrin.h>
#include <string.h>

/* The six-tap filters split into magnitudes of the positive taps (0, 2, 3, 5) and
 * of the negative taps (1, 4): every VP8 filter has this sign pattern, which lets
 * the sums stay in unsigned 16 bits: the positive part plus rounding is at most
 * 255 * 147 + 64 < 65536, and a negative total clamps to 0 anyway. */
static const uint8_t taps[8][6] = {
    {0, 0, 128, 0, 0, 0}, {0, 6, 123, 12, 1, 0}, {2, 11, 108, 36, 8, 1}, {0, 9, 93, 50, 6, 0},
    {3, 16, 77, 77, 16, 3}, {0, 6, 50, 93, 9, 0}, {1, 8, 36, 108, 11, 2}, {0, 1, 12, 123, 6, 0}};

typedef struct { __m128i t[6]; } filt;

static inline filt make_filter(int f)
{
    filt k;
    for (int i = 0; i < 6; i++)
        k.t[i] = _mm_set1_epi16(taps[f][i]);
    return k;
}

/* 8 outputs from six vectors of 8 widened pixels. */
static inline __m128i apply8(const __m128i v[6], const filt *k)
{
    __m128i pos = _mm_add_epi16(_mm_mullo_epi16(v[2], k->t[2]), _mm_mullo_epi16(v[3], k->t[3]));
    __m128i neg = _mm_add_epi16(_mm_mullo_epi16(v[1], k->t[1]), _mm_mullo_epi16(v[4], k->t[4]));
    pos = _mm_add_epi16(pos, _mm_mullo_epi16(v[0], k->t[0]));
    pos = _mm_add_epi16(pos, _mm_mullo_epi16(v[5], k->t[5]));
    pos = _mm_add_epi16(pos, _mm_set1_epi16(64));
    return _mm_srli_epi16(_mm_subs_epu16(pos, neg), 7);
}

static inline __m128i load8(const uint8_t *p)
{
    return _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)p), _mm_setzero_si128());
}

/* 4 pixels widened (the upper half zero): reads exactly the bytes a 4-wide block needs. */
static inline __m128i load4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_unpacklo_epi8(_mm_cvtsi32_si128(v), _mm_setzero_si128());
}

/* One row of w (4, 8 or 16) outputs filtered along `step` (1: horizontal). Reads only
 * src[-2 * step] .. src[w - 1 + 3 * step], as the C reference does. */
static inline void filter_row(uint8_t *dst, const uint8_t *src, ptrdiff_t step, int w,
                              const filt *k)
{
    for (int x = 0; x < w; x += 8) {
        __m128i v[6], r;
        for (int i = 0; i < 6; i++)
            v[i] = w == 4 ? load4(src + x + (i - 2) * step) : load8(src + x + (i - 2) * step);
        r = _mm_packus_epi16(apply8(v, k), apply8(v, k));
        if (w == 4) {
            int32_t out = _mm_cvtsi128_si32(r);
            memcpy(dst, &out, 4);
        } else {
            _mm_storel_epi64((__m128i *)(dst + x), r);
        }
    }
}

static inline void sixtap_sse2(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                               int w, int h, int mx, int my)
{
    uint8_t tmp[21 * 16];
    if (!mx && !my) {
        for (int y = 0; y < h; y++)
            memcpy(dst + y * ds, src + y * ss, (size_t)w);
        return;
    }
    if (!my) {
        filt kx = make_filter(mx);
        for (int y = 0; y < h; y++)
            filter_row(dst + y * ds, src + y * ss, 1, w, &kx);
        return;
    }
    if (mx) {
        /* First pass on rows -2 .. h+2 (the C reference's intermediate), then vertical. */
        filt kx = make_filter(mx);
        for (int y = 0; y < h + 5; y++)
            filter_row(tmp + y * 16, src + (y - 2) * ss, 1, w, &kx);
        src = tmp + 2 * 16;
        ss = 16;
    }
    {
        filt ky = make_filter(my);
        for (int y = 0; y < h; y++)
            filter_row(dst + y * ds, src + y * ss, ss, w, &ky);
    }
}

#define SIXTAP(name, w, h)                                                                     \
    static void sixtap##name##_sse2(uint8_t *dst, ptrdiff_t ds, const uint8_t *src,            \
                                    ptrdiff_t ss, int mx, int my)                              \
    {                                                                                          \
        sixtap_sse2(dst, ds, src, ss, w, h, mx, my);                                           \
    }
SIXTAP(16, 16, 16)
SIXTAP(8, 8, 8)
SIXTAP(4, 4, 4)
SIXTAP(8x4, 8, 4) /* two 4x4 subblocks with one vector */

void vp8_dsp_init_inter_sse2(vp8_dsp *d)
{
    d->sixtap[VP8_PRED_16x16] = sixtap16_sse2;
    d->sixtap[VP8_PRED_8x8] = sixtap8_sse2;
    d->sixtap[VP8_PRED_4x4] = sixtap4_sse2;
    d->sixtap[VP8_PRED_8x4] = sixtap8x4_sse2;
}
#else
typedef int excam_dsp_unused; /* ISO C forbids an empty translation unit */
#endif
