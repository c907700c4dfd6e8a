/* Encoder metrics with SSE2 (see dsp.h); tests/test_dsp.c checks them against C. */
#include "dsp.h"
#include "dsp_common.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#include <string.h>

static uint32_t sad16x16_sse2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    __m128i acc = _mm_setzero_si128();
    for (int y = 0; y < 16; y++, a += as, b += bs)
        acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_loadu_si128((const __m128i *)a),
                                              _mm_loadu_si128((const __m128i *)b)));
    acc = _mm_add_epi64(acc, _mm_srli_si128(acc, 8));
    return (uint32_t)_mm_cvtsi128_si32(acc);
}

/* Squared differences of 8 pixels (as 16-bit lanes), summed pairwise into 32 bits. */
static inline __m128i sq8(__m128i a8, __m128i b8)
{
    const __m128i z = _mm_setzero_si128();
    __m128i d = _mm_sub_epi16(_mm_unpacklo_epi8(a8, z), _mm_unpacklo_epi8(b8, z));
    return _mm_madd_epi16(d, d);
}

static inline uint32_t hsum32(__m128i v)
{
    v = _mm_add_epi32(v, _mm_srli_si128(v, 8));
    v = _mm_add_epi32(v, _mm_srli_si128(v, 4));
    return (uint32_t)_mm_cvtsi128_si32(v);
}

static uint32_t sse16x16_sse2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    __m128i acc = _mm_setzero_si128();
    for (int y = 0; y < 16; y++, a += as, b += bs) {
        __m128i va = _mm_loadu_si128((const __m128i *)a), vb = _mm_loadu_si128((const __m128i *)b);
        acc = _mm_add_epi32(acc, sq8(va, vb));
        acc = _mm_add_epi32(acc, sq8(_mm_srli_si128(va, 8), _mm_srli_si128(vb, 8)));
    }
    return hsum32(acc);
}

static uint32_t sse8x8_sse2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    __m128i acc = _mm_setzero_si128();
    for (int y = 0; y < 8; y++, a += as, b += bs)
        acc = _mm_add_epi32(acc, sq8(_mm_loadl_epi64((const __m128i *)a),
                                     _mm_loadl_epi64((const __m128i *)b)));
    return hsum32(acc);
}

static inline __m128i load4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_cvtsi32_si128(v);
}

static uint32_t sse4x4_sse2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    __m128i va = _mm_unpacklo_epi32(load4(a), load4(a + as));
    __m128i vb = _mm_unpacklo_epi32(load4(b), load4(b + bs));
    __m128i acc = sq8(va, vb);
    va = _mm_unpacklo_epi32(load4(a + 2 * as), load4(a + 3 * as));
    vb = _mm_unpacklo_epi32(load4(b + 2 * bs), load4(b + 3 * bs));
    acc = _mm_add_epi32(acc, sq8(va, vb));
    return hsum32(acc);
}

static uint32_t sad_wh_sse2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs,
                            int w, int h)
{
    __m128i acc = _mm_setzero_si128();
    if (w == 16) {
        for (int y = 0; y < h; y++, a += as, b += bs)
            acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_loadu_si128((const __m128i *)a),
                                                  _mm_loadu_si128((const __m128i *)b)));
    } else if (w == 8) {
        for (int y = 0; y < h; y += 2, a += 2 * as, b += 2 * bs) {
            __m128i va = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)a),
                                            _mm_loadl_epi64((const __m128i *)(a + as)));
            __m128i vb = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)b),
                                            _mm_loadl_epi64((const __m128i *)(b + bs)));
            acc = _mm_add_epi64(acc, _mm_sad_epu8(va, vb));
        }
    } else {
        for (int y = 0; y < h; y += 2, a += 2 * as, b += 2 * bs) {
            /* Two rows of 4 in the low 8 bytes; the high 8 are zero in both. */
            __m128i va = _mm_unpacklo_epi32(load4(a), load4(a + as));
            __m128i vb = _mm_unpacklo_epi32(load4(b), load4(b + bs));
            acc = _mm_add_epi64(acc, _mm_sad_epu8(va, vb));
        }
    }
    acc = _mm_add_epi64(acc, _mm_srli_si128(acc, 8));
    return (uint32_t)_mm_cvtsi128_si32(acc);
}

void vp8_dsp_init_enc_x86(vp8_dsp *d)
{
    d->sad_wh = sad_wh_sse2;
    d->sad16x16 = sad16x16_sse2;
    d->sse[VP8_PRED_16x16] = sse16x16_sse2;
    d->sse[VP8_PRED_8x8] = sse8x8_sse2;
    d->sse[VP8_PRED_4x4] = sse4x4_sse2;
}
#endif
