/* SSE2 16x16 and 8x8 intra prediction (RFC 6386 §12.2), bit-exact with dsp_intra.c
 * (tests/test_dsp.c). TM_PRED, a clamped sum per pixel in C, is the one that pays. */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <emmintrin.h>
#include <string.h>

/* Sum of n (8 or 16) bytes. */
static inline int sum_bytes(const uint8_t *p, int n)
{
    __m128i v = n == 16 ? _mm_loadu_si128((const __m128i *)p) : _mm_loadl_epi64((const __m128i *)p);
    __m128i s = _mm_sad_epu8(v, _mm_setzero_si128());
    return _mm_cvtsi128_si32(s) + _mm_extract_epi16(s, 4);
}

static inline void fill(uint8_t *dst, ptrdiff_t stride, int n, __m128i v)
{
    for (int y = 0; y < n; y++) {
        if (n == 16)
            _mm_storeu_si128((__m128i *)(dst + y * stride), v);
        else
            _mm_storel_epi64((__m128i *)(dst + y * stride), v);
    }
}

/* §12.2 TM_PRED: clamp(left[y] + above[x] - above[-1]), 8 or 16 pixels a row. */
static inline void tm(uint8_t *dst, ptrdiff_t stride, int n, const uint8_t *above,
                      const uint8_t *left)
{
    const __m128i z = _mm_setzero_si128();
    __m128i a = n == 16 ? _mm_loadu_si128((const __m128i *)above)
                        : _mm_loadl_epi64((const __m128i *)above);
    __m128i alo = _mm_unpacklo_epi8(a, z), ahi = _mm_unpackhi_epi8(a, z);
    __m128i p = _mm_set1_epi16(above[-1]);
    alo = _mm_sub_epi16(alo, p);
    ahi = _mm_sub_epi16(ahi, p);
    for (int y = 0; y < n; y++) {
        __m128i l = _mm_set1_epi16(left[y]);
        __m128i r = _mm_packus_epi16(_mm_add_epi16(alo, l), _mm_add_epi16(ahi, l));
        if (n == 16)
            _mm_storeu_si128((__m128i *)(dst + y * stride), r);
        else
            _mm_storel_epi64((__m128i *)(dst + y * stride), r);
    }
}

static inline void pred_sse2(uint8_t *dst, ptrdiff_t stride, int n, int log2n, int mode,
                             const uint8_t *above, const uint8_t *left, int have_above,
                             int have_left)
{
    switch (mode) {
    case VP8_DC_PRED: {
        int sum = 0, shift = log2n - 1 + have_above + have_left, v = 128;
        if (have_above) sum += sum_bytes(above, n);
        if (have_left) sum += sum_bytes(left, n);
        if (have_above || have_left) v = (sum + (1 << (shift - 1))) >> shift;
        fill(dst, stride, n, _mm_set1_epi8((char)v));
        break;
    }
    case VP8_V_PRED:
        fill(dst, stride, n, n == 16 ? _mm_loadu_si128((const __m128i *)above)
                                     : _mm_loadl_epi64((const __m128i *)above));
        break;
    case VP8_H_PRED:
        for (int y = 0; y < n; y++) {
            __m128i v = _mm_set1_epi8((char)left[y]);
            if (n == 16)
                _mm_storeu_si128((__m128i *)(dst + y * stride), v);
            else
                _mm_storel_epi64((__m128i *)(dst + y * stride), v);
        }
        break;
    default:
        tm(dst, stride, n, above, left);
    }
}

static void pred16_sse2(uint8_t *d, ptrdiff_t s, int m, const uint8_t *a, const uint8_t *l, int ha,
                        int hl)
{
    pred_sse2(d, s, 16, 4, m, a, l, ha, hl);
}

static void pred8_sse2(uint8_t *d, ptrdiff_t s, int m, const uint8_t *a, const uint8_t *l, int ha,
                       int hl)
{
    pred_sse2(d, s, 8, 3, m, a, l, ha, hl);
}

void vp8_dsp_init_intra_sse2(vp8_dsp *d)
{
    d->pred16 = pred16_sse2;
    d->pred8 = pred8_sse2;
}
#else
typedef int excam_dsp_unused; /* ISO C forbids an empty translation unit */
#endif
