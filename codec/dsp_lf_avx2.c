/*
 * AVX2 loop filter of a whole macroblock (RFC 6386 §15.1, §15.3), lane-wise identical to
 * dsp_loopfilter.c's edge sequence (tests/test_dsp.c). The 256-bit vectors carry two
 * 16-lane edges at once: luma in the low half and the chroma edge at the same place
 * (U's 8 pixels and V's 8, side by side) in the high half, since both use the
 * macroblock's limits. So the left and top macroblock edges and the first inner edge
 * each way take one filter for all three planes: 8 filter passes a macroblock instead
 * of SSE2's 12, and one transpose each way for the left edge instead of two.
 */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <immintrin.h>
#include <string.h>

EXCAM_TARGET_BEGIN("avx2")

#if defined(__GNUC__)
#define LF_INLINE static inline __attribute__((always_inline))
#else
#define LF_INLINE static inline
#endif

#define V __m256i
#define V_OP(op) _mm256_##op
#define V_AND _mm256_and_si256
#define V_ANDNOT _mm256_andnot_si256
#define V_OR _mm256_or_si256
#define V_XOR _mm256_xor_si256
#define V_ZERO _mm256_setzero_si256
#include "dsp_lf_simd.h"

/* The high 8 bytes of x at p (unaligned: _mm_storeh_pd would store a misaligned double). */
static inline void store_high8(uint8_t *p, __m128i x)
{
    _mm_storel_epi64((__m128i *)p, _mm_unpackhi_epi64(x, x));
}

/* lo: 16 bytes at a; hi: 8 bytes at u then 8 at v. */
static inline V load_y_uv(const uint8_t *a, const uint8_t *u, const uint8_t *v)
{
    __m128i uv = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)u),
                                    _mm_loadl_epi64((const __m128i *)v));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)a)),
                                   uv, 1);
}

static inline void store_y_uv(uint8_t *a, uint8_t *u, uint8_t *v, V x)
{
    __m128i uv = _mm256_extracti128_si256(x, 1);
    _mm_storeu_si128((__m128i *)a, _mm256_castsi256_si128(x));
    _mm_storel_epi64((__m128i *)u, uv);
    store_high8(v, uv);
}

/* lo: 8 bytes at a; hi: 8 bytes at b. */
static inline V load_8_8(const uint8_t *a, const uint8_t *b)
{
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)a)),
                                   _mm_loadl_epi64((const __m128i *)b), 1);
}

/* The rows of the two planes' pair x's halves came from: luma row i, and row i of U
 * (i < 8) or of V (i >= 8). */
static inline uint8_t *uv_row(uint8_t *u, uint8_t *v, ptrdiff_t s, int i)
{
    return i < 8 ? u + i * s : v + (i - 8) * s;
}

/* The left macroblock edge: 16 luma rows and 8 + 8 chroma rows of 8 pixels around it,
 * transposed together (one plane a half), filtered once, transposed back. */
static inline void left_edge(uint8_t *y, uint8_t *u, uint8_t *v, ptrdiff_t ys, ptrdiff_t uvs,
                             int E, int I, int T)
{
    V r[16], o[8], c[8];
    lf_pixels p;
    for (int i = 0; i < 16; i++)
        r[i] = load_8_8(y - 4 + i * ys, uv_row(u, v, uvs, i) - 4);
    transpose_8x16(r, o);
    p = (lf_pixels){o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]};
    filter_normal(&p, E, I, T, 1);
    o[1] = p.p2; o[2] = p.p1; o[3] = p.p0; o[4] = p.q0; o[5] = p.q1; o[6] = p.q2;
    transpose_8x16_back(o, c, 2);
    for (int i = 0; i < 8; i++) {
        __m128i lo = _mm256_castsi256_si128(c[i]), hi = _mm256_extracti128_si256(c[i], 1);
        _mm_storel_epi64((__m128i *)(y - 4 + 2 * i * ys), lo);
        store_high8(y - 4 + (2 * i + 1) * ys, lo);
        _mm_storel_epi64((__m128i *)(uv_row(u, v, uvs, 2 * i) - 4), hi);
        store_high8(uv_row(u, v, uvs, 2 * i + 1) - 4, hi);
    }
}

/* The inner vertical edges: the luma macroblock (low halves) and the chroma rows (high
 * halves: U's 8 rows of 8 pixels, then V's, zero-extended to 16) transposed together; chroma has its one inner edge at column 4,
 * with luma's first, and is kept aside before luma's edges at 8 and 12 pass over it. */
static inline void inner_v(uint8_t *y, uint8_t *u, uint8_t *v, ptrdiff_t ys, ptrdiff_t uvs,
                           int E, int I, int T)
{
    V x[16], c[8];
    for (int i = 0; i < 16; i++)
        x[i] = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(y + i * ys))),
            _mm_loadl_epi64((const __m128i *)uv_row(u, v, uvs, i)), 1);
    transpose16(x);
    filter_vectors(x, 4, E, I, T, 0);
    for (int i = 0; i < 8; i++)
        c[i] = x[i]; /* columns 0..7 of the chroma rows, filtered */
    filter_vectors(x, 8, E, I, T, 0);
    filter_vectors(x, 12, E, I, T, 0);
    for (int i = 0; i < 8; i++)
        x[i] = _mm256_blend_epi32(x[i], c[i], 0xf0);
    transpose16(x);
    for (int i = 0; i < 16; i++) {
        _mm_storeu_si128((__m128i *)(y + i * ys), _mm256_castsi256_si128(x[i]));
        _mm_storel_epi64((__m128i *)uv_row(u, v, uvs, i), _mm256_extracti128_si256(x[i], 1));
    }
}

/* The top macroblock edge: rows are vectors, luma and chroma side by side. */
static inline void top_edge(uint8_t *y, uint8_t *u, uint8_t *v, ptrdiff_t ys, ptrdiff_t uvs,
                            int E, int I, int T)
{
    lf_pixels p = {load_y_uv(y - 4 * ys, u - 4 * uvs, v - 4 * uvs),
                   load_y_uv(y - 3 * ys, u - 3 * uvs, v - 3 * uvs),
                   load_y_uv(y - 2 * ys, u - 2 * uvs, v - 2 * uvs),
                   load_y_uv(y - ys, u - uvs, v - uvs),
                   load_y_uv(y, u, v),
                   load_y_uv(y + ys, u + uvs, v + uvs),
                   load_y_uv(y + 2 * ys, u + 2 * uvs, v + 2 * uvs),
                   load_y_uv(y + 3 * ys, u + 3 * uvs, v + 3 * uvs)};
    filter_normal(&p, E, I, T, 1);
    store_y_uv(y - 3 * ys, u - 3 * uvs, v - 3 * uvs, p.p2);
    store_y_uv(y - 2 * ys, u - 2 * uvs, v - 2 * uvs, p.p1);
    store_y_uv(y - ys, u - uvs, v - uvs, p.p0);
    store_y_uv(y, u, v, p.q0);
    store_y_uv(y + ys, u + uvs, v + uvs, p.q1);
    store_y_uv(y + 2 * ys, u + 2 * uvs, v + 2 * uvs, p.q2);
}

/* The inner horizontal edges: luma rows 0..15, chroma rows 0..7 beside luma's first 8
 * (chroma's inner edge is at row 4, with luma's first). */
static inline void inner_h(uint8_t *y, uint8_t *u, uint8_t *v, ptrdiff_t ys, ptrdiff_t uvs,
                           int E, int I, int T)
{
    V x[16];
    __m128i c[4];
    for (int i = 0; i < 16; i++)
        x[i] = i < 8 ? load_y_uv(y + i * ys, u + i * uvs, v + i * uvs)
                     : _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(y + i * ys)));
    filter_vectors(x, 4, E, I, T, 0);
    for (int i = 0; i < 4; i++) /* chroma rows 2..5 changed */
        c[i] = _mm256_extracti128_si256(x[i + 2], 1);
    filter_vectors(x, 8, E, I, T, 0);
    filter_vectors(x, 12, E, I, T, 0);
    for (int i = 2; i < 14; i++) /* rows 0, 1, 14, 15 are not changed */
        _mm_storeu_si128((__m128i *)(y + i * ys), _mm256_castsi256_si128(x[i]));
    for (int i = 0; i < 4; i++) {
        _mm_storel_epi64((__m128i *)(u + (i + 2) * uvs), c[i]);
        store_high8(v + (i + 2) * uvs, c[i]);
    }
}

/* §15.1's order: left edge, inner vertical edges, top edge, inner horizontal edges. */
static void lf_normal_mb_avx2(uint8_t *y, uint8_t *u, uint8_t *v, ptrdiff_t ys, ptrdiff_t uvs,
                              int edges, int mbE, int subE, int I, int T)
{
    if (edges & VP8_LF_LEFT)
        left_edge(y, u, v, ys, uvs, mbE, I, T);
    if (edges & VP8_LF_INNER)
        inner_v(y, u, v, ys, uvs, subE, I, T);
    if (edges & VP8_LF_TOP)
        top_edge(y, u, v, ys, uvs, mbE, I, T);
    if (edges & VP8_LF_INNER)
        inner_h(y, u, v, ys, uvs, subE, I, T);
}

void vp8_dsp_init_lf_avx2(vp8_dsp *d)
{
    d->lf_normal_mb = lf_normal_mb_avx2;
}

EXCAM_TARGET_END
#else
typedef int excam_dsp_unused; /* ISO C forbids an empty translation unit */
#endif
