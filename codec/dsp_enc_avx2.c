/*
 * Encoder kernels with AVX2 (see dsp.h); tests/test_dsp.c checks them against C.
 *
 * sse[16x16]: two rows a step, each widened to 16 bits by one vpmovzxbw (with its
 * load), one subtraction and one vpmaddwd: 5 operations a row against SSE2's 12. The
 * rebase measures 18 whole-macroblock predictions a macroblock with it (its sub-pel
 * refinement and ranking): this kernel was 7% of a rebase's time (foreman CIF, perf).
 */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <immintrin.h>

EXCAM_TARGET_BEGIN("avx2")

static inline __m256i widen16(const uint8_t *p)
{
    return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p));
}

static uint32_t sse16x16_avx2(const uint8_t *a, ptrdiff_t as, const uint8_t *b, ptrdiff_t bs)
{
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    for (int y = 0; y < 16; y += 2, a += 2 * as, b += 2 * bs) {
        __m256i d0 = _mm256_sub_epi16(widen16(a), widen16(b));
        __m256i d1 = _mm256_sub_epi16(widen16(a + as), widen16(b + bs));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(d0, d0));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(d1, d1));
    }
    __m256i acc = _mm256_add_epi32(acc0, acc1);
    __m128i v = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    v = _mm_add_epi32(v, _mm_srli_si128(v, 8));
    v = _mm_add_epi32(v, _mm_srli_si128(v, 4));
    return (uint32_t)_mm_cvtsi128_si32(v);
}

void vp8_dsp_init_enc_avx2(vp8_dsp *d)
{
    d->sse[VP8_PRED_16x16] = sse16x16_avx2;
}

EXCAM_TARGET_END
#else
typedef int excam_dsp_unused; /* ISO C forbids an empty translation unit */
#endif
