/*
 * AVX2 six-tap passes for the encoder's whole-MB predictions (dsp.h sixtap_h16,
 * sixtap_v16_sse), bit-exact with dsp_inter.c (tests/test_dsp.c). The arithmetic is
 * dsp_inter_ssse3.c's (see the bounds argued at its top), on two rows at once: each
 * 128-bit lane holds one row, and pshufb, punpck, pmaddubsw and packuswb work within
 * lanes, so every step of the 16-wide SSSE3 row serves two rows.
 *
 * The rebase measures up to 14 whole-MB vectors a macroblock (its sub-pel refinement,
 * enc_analysis.c): the SSSE3 passes and the separate SSE of each prediction were 21% of
 * its time (foreman CIF q 40, perf).
 */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <immintrin.h>

EXCAM_TARGET_BEGIN("avx2")

/* §18.3 subpixel_filters, signed. */
static const int8_t taps[8][6] = {
    {0, 0, 0, 0, 0, 0}, {0, -6, 123, 12, -1, 0}, {2, -11, 108, 36, -8, 1}, {0, -9, 93, 50, -6, 0},
    {3, -16, 77, 77, -16, 3}, {0, -6, 50, 93, -9, 0}, {1, -8, 36, 108, -11, 2},
    {0, -1, 12, 123, -6, 0}};

/* dsp_inter_ssse3.c's h16 shuffles: a[i] = s[i - 2] pairs for outputs 0..7, the same
 * 3 bytes on in b[i] = s[i + 3] for outputs 8..15; in both lanes. */
static const uint8_t shuf13[32] = {1, 3, 2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8, 10,
                                   1, 3, 2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8, 10};
static const uint8_t shuf24[32] = {2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8, 10, 9, 11,
                                   2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8, 10, 9, 11};

typedef struct {
    __m256i k05, k13, k24; /* tap pairs (0,5), (1,3), (2,4) */
} filt6;

static inline __m256i tap_pair(int a, int b)
{
    return _mm256_set1_epi16((short)((a & 0xff) | (b & 0xff) << 8));
}

static inline filt6 make_filt6(int f)
{
    filt6 k;
    k.k05 = tap_pair(taps[f][0], taps[f][5]);
    k.k13 = tap_pair(taps[f][1], taps[f][3]);
    k.k24 = tap_pair(taps[f][2], taps[f][4]);
    return k;
}

/* The rounded sums of 16 outputs from their pixel pairs, in dsp_inter_ssse3.c's order
 * of additions (only the last may saturate, and then to a clamped 255); four: taps 0
 * and 5 are zero. */
static inline __m256i sum6(__m256i x05, __m256i x13, __m256i x24, const filt6 *k, int four)
{
    __m256i s = _mm256_maddubs_epi16(x24, k->k24);
    if (!four)
        s = _mm256_add_epi16(_mm256_maddubs_epi16(x05, k->k05), s);
    s = _mm256_adds_epi16(s, _mm256_maddubs_epi16(x13, k->k13));
    return _mm256_mulhrs_epi16(s, _mm256_set1_epi16(256)); /* (s + 64) >> 7 */
}

/* Rows p and p + s in the lanes of one register. */
static inline __m256i rows2(const uint8_t *p, ptrdiff_t s)
{
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p)),
                                   _mm_loadu_si128((const __m128i *)(p + s)), 1);
}

/* The horizontal pass of rows s and s + ss: row 0 in lane 0, row 1 in lane 1. */
static inline __m256i h16x2(const uint8_t *s, ptrdiff_t ss, const filt6 *k, int four)
{
    const __m256i m13 = _mm256_loadu_si256((const __m256i *)shuf13);
    const __m256i m24 = _mm256_loadu_si256((const __m256i *)shuf24);
    const __m256i three = _mm256_set1_epi8(3);
    __m256i a = rows2(s - 2, ss), b = rows2(s + 3, ss);
    __m256i lo = sum6(_mm256_unpacklo_epi8(a, b), _mm256_shuffle_epi8(a, m13),
                      _mm256_shuffle_epi8(a, m24), k, four);
    __m256i hi = sum6(_mm256_unpackhi_epi8(a, b), _mm256_shuffle_epi8(b, _mm256_add_epi8(m13, three)),
                      _mm256_shuffle_epi8(b, _mm256_add_epi8(m24, three)), k, four);
    return _mm256_packus_epi16(lo, hi);
}

static inline void h16(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int f,
                       int rows, int four)
{
    const filt6 k = make_filt6(f);
    for (; rows >= 2; rows -= 2, src += 2 * ss, dst += 2 * ds) {
        __m256i r = h16x2(src, ss, &k, four);
        _mm_storeu_si128((__m128i *)dst, _mm256_castsi256_si128(r));
        _mm_storeu_si128((__m128i *)(dst + ds), _mm256_extracti128_si256(r, 1));
    }
    if (rows) /* the last row twice (it is read, so reading it again is in bounds) */
        _mm_storeu_si128((__m128i *)dst, _mm256_castsi256_si128(h16x2(src, 0, &k, four)));
}

static void sixtap_h16_avx2(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                            int mx, int rows)
{
    if (mx & 1)
        h16(dst, ds, src, ss, mx, rows, 1);
    else
        h16(dst, ds, src, ss, mx, rows, 0);
}

/* The vertical pass of output rows y and y + 1 (r[j] = rows y + j - 2 and y + j - 1 in
 * its lanes), compared with a's: the squared differences added to acc. */
static inline __m256i v16x2_sse(__m256i acc, const __m256i r[6], const uint8_t *a, ptrdiff_t as,
                                const filt6 *k, int four)
{
    __m256i lo = sum6(_mm256_unpacklo_epi8(r[0], r[5]), _mm256_unpacklo_epi8(r[1], r[3]),
                      _mm256_unpacklo_epi8(r[2], r[4]), k, four);
    __m256i hi = sum6(_mm256_unpackhi_epi8(r[0], r[5]), _mm256_unpackhi_epi8(r[1], r[3]),
                      _mm256_unpackhi_epi8(r[2], r[4]), k, four);
    __m256i p = _mm256_packus_epi16(lo, hi), s = rows2(a, as);
    /* (p, a) byte pairs times (1, -1): p - a exactly. */
    const __m256i pm = _mm256_set1_epi16(-255); /* bytes 1, -1 (0xff01) */
    __m256i d0 = _mm256_maddubs_epi16(_mm256_unpacklo_epi8(p, s), pm);
    __m256i d1 = _mm256_maddubs_epi16(_mm256_unpackhi_epi8(p, s), pm);
    return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(d0, d0),
                                                  _mm256_madd_epi16(d1, d1)));
}

static inline uint32_t v16_sse(const uint8_t *a, ptrdiff_t as, const uint8_t *p, ptrdiff_t ps,
                               int f, int four)
{
    const filt6 k = make_filt6(f);
    __m256i acc = _mm256_setzero_si256(), r[6];
    /* Rows -2 .. 18, each loaded twice (once in each lane); the odd filters' products
     * of rows -2 and 18 are left out by sum6. */
    for (int j = 0; j < 5; j++)
        r[j] = rows2(p + (j - 2) * ps, ps);
    for (int y = 0; y < 16; y += 2, a += 2 * as, p += 2 * ps) {
        r[5] = rows2(p + 3 * ps, ps);
        acc = v16x2_sse(acc, r, a, as, &k, four);
        for (int j = 0; j < 4; j++)
            r[j] = r[j + 2];
        if (y < 14) r[4] = rows2(p + 4 * ps, ps);
    }
    __m128i v = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    v = _mm_add_epi32(v, _mm_srli_si128(v, 8));
    v = _mm_add_epi32(v, _mm_srli_si128(v, 4));
    return (uint32_t)_mm_cvtsi128_si32(v);
}

static uint32_t sixtap_v16_sse_avx2(const uint8_t *a, ptrdiff_t as, const uint8_t *p,
                                    ptrdiff_t ps, int my)
{
    return my & 1 ? v16_sse(a, as, p, ps, my, 1) : v16_sse(a, as, p, ps, my, 0);
}

void vp8_dsp_init_inter_avx2(vp8_dsp *d)
{
    d->sixtap_h16 = sixtap_h16_avx2;
    d->sixtap_v16_sse = sixtap_v16_sse_avx2;
}

EXCAM_TARGET_END
#else
typedef int excam_dsp_unused; /* ISO C forbids an empty translation unit */
#endif
