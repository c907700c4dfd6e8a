/* SSE2 loop filters (RFC 6386 §15), lane-wise identical to dsp_loopfilter.c (tests/test_dsp.c). */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <emmintrin.h>
#include <string.h>

#if defined(__GNUC__)
#define LF_INLINE static inline __attribute__((always_inline))
#else
#define LF_INLINE static inline
#endif

/* The filters' arithmetic on 16 lanes (dsp_lf_simd.h). */
#define V __m128i
#define V_OP(op) _mm_##op
#define V_AND _mm_and_si128
#define V_ANDNOT _mm_andnot_si128
#define V_OR _mm_or_si128
#define V_XOR _mm_xor_si128
#define V_ZERO _mm_setzero_si128
#include "dsp_lf_simd.h"

static inline __m128i loadn(const uint8_t *p, int count)
{
    return count == 16 ? _mm_loadu_si128((const __m128i *)p) : _mm_loadl_epi64((const __m128i *)p);
}

static inline void storen(uint8_t *p, __m128i v, int count)
{
    if (count == 16)
        _mm_storeu_si128((__m128i *)p, v);
    else
        _mm_storel_epi64((__m128i *)p, v);
}

/* Horizontal edge: rows are vectors. */
LF_INLINE void lf_h(uint8_t *d, ptrdiff_t s, int count, int E, int I, int T, int mbedge)
{
    lf_pixels v = {loadn(d - 4 * s, count), loadn(d - 3 * s, count), loadn(d - 2 * s, count),
                   loadn(d - s, count),     loadn(d, count),         loadn(d + s, count),
                   loadn(d + 2 * s, count), loadn(d + 3 * s, count)};
    filter_normal(&v, E, I, T, mbedge);
    if (mbedge) {
        storen(d - 3 * s, v.p2, count);
        storen(d + 2 * s, v.q2, count);
    }
    storen(d - 2 * s, v.p1, count);
    storen(d - s, v.p0, count);
    storen(d, v.q0, count);
    storen(d + s, v.q1, count);
}

/* 16 (or 8) rows of 8 bytes -> 8 vectors, one per column. */
LF_INLINE void transpose_in(uint8_t *const *row, int rows, __m128i o[8])
{
    __m128i r[16];
    for (int i = 0; i < 16; i++)
        r[i] = i < rows ? _mm_loadl_epi64((const __m128i *)row[i]) : _mm_setzero_si128();
    transpose_8x16(r, o);
}

/* Inverse of transpose_in: 8 column vectors -> rows of 8 bytes. */
LF_INLINE void transpose_out(uint8_t *const *rowp, int rows, const __m128i o[8])
{
    __m128i c[8];
    transpose_8x16_back(o, c, rows > 8 ? 2 : 1);
    for (int i = 0; i < rows / 2; i++) {
        _mm_storel_epi64((__m128i *)rowp[2 * i], c[i]);
        _mm_storel_epi64((__m128i *)rowp[2 * i + 1], _mm_unpackhi_epi64(c[i], c[i]));
    }
}

/* Vertical edge: transpose the 8 columns around the edge into vectors. */
/* Vertical edge on the rows row[0..count-1] (each pointing 4 pixels left of the edge). */
LF_INLINE void lf_v_rows(uint8_t *const *row, int count, int E, int I, int T, int mbedge)
{
    __m128i o[8];
    lf_pixels v;
    transpose_in(row, count, o);
    v.p3 = o[0]; v.p2 = o[1]; v.p1 = o[2]; v.p0 = o[3];
    v.q0 = o[4]; v.q1 = o[5]; v.q2 = o[6]; v.q3 = o[7];
    filter_normal(&v, E, I, T, mbedge);
    o[1] = v.p2; o[2] = v.p1; o[3] = v.p0; o[4] = v.q0; o[5] = v.q1; o[6] = v.q2;
    transpose_out(row, count, o);
}

LF_INLINE void lf_v(uint8_t *d, ptrdiff_t s, int count, int E, int I, int T, int mbedge)
{
    uint8_t *row[16];
    for (int i = 0; i < 16; i++)
        row[i] = d - 4 + (i < count ? i : 0) * s;
    lf_v_rows(row, count, E, I, T, mbedge);
}

/* U and V together: 8 rows of each make one 16-lane edge. */
LF_INLINE void lf_uv_v(uint8_t *u, uint8_t *v, ptrdiff_t s, int E, int I, int T, int mbedge)
{
    uint8_t *row[16];
    for (int i = 0; i < 8; i++) {
        row[i] = u - 4 + i * s;
        row[i + 8] = v - 4 + i * s;
    }
    lf_v_rows(row, 16, E, I, T, mbedge);
}

static inline __m128i load_uv(const uint8_t *u, const uint8_t *v)
{
    return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)u), _mm_loadl_epi64((const __m128i *)v));
}

static inline void store_uv(uint8_t *u, uint8_t *v, __m128i x)
{
    _mm_storel_epi64((__m128i *)u, x);
    _mm_storel_epi64((__m128i *)v, _mm_unpackhi_epi64(x, x));
}

LF_INLINE void lf_uv_h(uint8_t *u, uint8_t *v, ptrdiff_t s, int E, int I, int T, int mbedge)
{
    lf_pixels x = {load_uv(u - 4 * s, v - 4 * s), load_uv(u - 3 * s, v - 3 * s),
                   load_uv(u - 2 * s, v - 2 * s), load_uv(u - s, v - s),
                   load_uv(u, v),                 load_uv(u + s, v + s),
                   load_uv(u + 2 * s, v + 2 * s), load_uv(u + 3 * s, v + 3 * s)};
    filter_normal(&x, E, I, T, mbedge);
    if (mbedge) {
        store_uv(u - 3 * s, v - 3 * s, x.p2);
        store_uv(u + 2 * s, v + 2 * s, x.q2);
    }
    store_uv(u - 2 * s, v - 2 * s, x.p1);
    store_uv(u - s, v - s, x.p0);
    store_uv(u, v, x.q0);
    store_uv(u + s, v + s, x.q1);
}

static void lf_mbedge_uv_h_sse2(uint8_t *u, uint8_t *v, ptrdiff_t s, int E, int I, int T) { lf_uv_h(u, v, s, E, I, T, 1); }
static void lf_mbedge_uv_v_sse2(uint8_t *u, uint8_t *v, ptrdiff_t s, int E, int I, int T) { lf_uv_v(u, v, s, E, I, T, 1); }
static void lf_inner_uv_h_sse2(uint8_t *u, uint8_t *v, ptrdiff_t s, int E, int I, int T) { lf_uv_h(u, v, s, E, I, T, 0); }
static void lf_inner_uv_v_sse2(uint8_t *u, uint8_t *v, ptrdiff_t s, int E, int I, int T) { lf_uv_v(u, v, s, E, I, T, 0); }

/* Constant counts let the compiler drop the unused halves. */
#define LF_WRAP(name, fn, mb)                                                                  \
    static void name(uint8_t *d, ptrdiff_t s, int n, int E, int I, int T)                      \
    {                                                                                          \
        if (n == 16)                                                                           \
            fn(d, s, 16, E, I, T, mb);                                                         \
        else                                                                                   \
            fn(d, s, 8, E, I, T, mb);                                                          \
    }
LF_WRAP(lf_mbedge_h_sse2, lf_h, 1)
LF_WRAP(lf_mbedge_v_sse2, lf_v, 1)
LF_WRAP(lf_inner_h_sse2, lf_h, 0)
LF_WRAP(lf_inner_v_sse2, lf_v, 0)

/* ------------------------------------------------------------ whole macroblocks */

/* The three inner vertical luma edges: one transpose of the macroblock each way
 * instead of one of 16x8 pixels each way per edge. */
static inline void lf_y_inner_v(uint8_t *y, ptrdiff_t s, int E, int I, int T)
{
    __m128i x[16];
    for (int i = 0; i < 16; i++)
        x[i] = _mm_loadu_si128((const __m128i *)(y + i * s));
    transpose16(x);
    for (int e = 4; e < 16; e += 4)
        filter_vectors(x, e, E, I, T, 0);
    transpose16(x);
    for (int i = 0; i < 16; i++)
        _mm_storeu_si128((__m128i *)(y + i * s), x[i]);
}

/* The three inner horizontal luma edges on the macroblock's rows, each loaded once. */
static inline void lf_y_inner_h(uint8_t *y, ptrdiff_t s, int E, int I, int T)
{
    __m128i x[16];
    for (int i = 0; i < 16; i++)
        x[i] = _mm_loadu_si128((const __m128i *)(y + i * s));
    for (int e = 4; e < 16; e += 4)
        filter_vectors(x, e, E, I, T, 0);
    for (int i = 2; i < 14; i++) /* rows 0, 1, 14, 15 are not changed */
        _mm_storeu_si128((__m128i *)(y + i * s), x[i]);
}

static void lf_normal_mb_sse2(uint8_t *y, uint8_t *u, uint8_t *v, ptrdiff_t ys, ptrdiff_t uvs,
                              int edges, int mbE, int subE, int I, int T)
{
    if (edges & VP8_LF_LEFT) {
        lf_v(y, ys, 16, mbE, I, T, 1);
        lf_uv_v(u, v, uvs, mbE, I, T, 1);
    }
    if (edges & VP8_LF_INNER) {
        lf_y_inner_v(y, ys, subE, I, T);
        lf_uv_v(u + 4, v + 4, uvs, subE, I, T, 0);
    }
    if (edges & VP8_LF_TOP) {
        lf_h(y, ys, 16, mbE, I, T, 1);
        lf_uv_h(u, v, uvs, mbE, I, T, 1);
    }
    if (edges & VP8_LF_INNER) {
        lf_y_inner_h(y, ys, subE, I, T);
        lf_uv_h(u + 4 * uvs, v + 4 * uvs, uvs, subE, I, T, 0);
    }
}

/* ------------------------------------------------------------ simple filter (§15.2) */

/* Horizontal and vertical edges of 16 (or 8) pixels, as the normal filter's. */
static void lf_simple_h_sse2(uint8_t *d, ptrdiff_t s, int n, int E)
{
    __m128i p1 = loadn(d - 2 * s, n), p0 = loadn(d - s, n), q0 = loadn(d, n), q1 = loadn(d + s, n);
    filter_simple(p1, &p0, &q0, q1, E);
    storen(d - s, p0, n);
    storen(d, q0, n);
}

static void lf_simple_v_sse2(uint8_t *d, ptrdiff_t s, int n, int E)
{
    uint8_t *row[16];
    __m128i o[8];
    for (int i = 0; i < 16; i++)
        row[i] = d - 4 + (i < n ? i : 0) * s;
    transpose_in(row, n, o);
    filter_simple(o[2], &o[3], &o[4], o[5], E);
    transpose_out(row, n, o);
}

static void lf_simple_mb_sse2(uint8_t *y, ptrdiff_t s, int edges, int mbE, int subE)
{
    __m128i x[16];
    if (edges & VP8_LF_LEFT)
        lf_simple_v_sse2(y, s, 16, mbE);
    if (edges & VP8_LF_INNER) {
        for (int i = 0; i < 16; i++)
            x[i] = _mm_loadu_si128((const __m128i *)(y + i * s));
        transpose16(x);
        for (int e = 4; e < 16; e += 4)
            filter_simple(x[e - 2], &x[e - 1], &x[e], x[e + 1], subE);
        transpose16(x);
        for (int i = 0; i < 16; i++)
            _mm_storeu_si128((__m128i *)(y + i * s), x[i]);
    }
    if (edges & VP8_LF_TOP)
        lf_simple_h_sse2(y, s, 16, mbE);
    if (edges & VP8_LF_INNER) {
        for (int i = 0; i < 16; i++)
            x[i] = _mm_loadu_si128((const __m128i *)(y + i * s));
        for (int e = 4; e < 16; e += 4)
            filter_simple(x[e - 2], &x[e - 1], &x[e], x[e + 1], subE);
        for (int i = 3; i < 13; i++)
            _mm_storeu_si128((__m128i *)(y + i * s), x[i]);
    }
}

void vp8_dsp_init_lf_sse2(vp8_dsp *d)
{
    d->lf_mbedge_h = lf_mbedge_h_sse2;
    d->lf_mbedge_v = lf_mbedge_v_sse2;
    d->lf_inner_h = lf_inner_h_sse2;
    d->lf_inner_v = lf_inner_v_sse2;
    d->lf_mbedge_uv_h = lf_mbedge_uv_h_sse2;
    d->lf_mbedge_uv_v = lf_mbedge_uv_v_sse2;
    d->lf_inner_uv_h = lf_inner_uv_h_sse2;
    d->lf_inner_uv_v = lf_inner_uv_v_sse2;
    d->lf_simple_h = lf_simple_h_sse2;
    d->lf_simple_v = lf_simple_v_sse2;
    d->lf_normal_mb = lf_normal_mb_sse2;
    d->lf_simple_mb = lf_simple_mb_sse2;
}
#else
typedef int excam_dsp_unused; /* ISO C forbids an empty translation unit */
#endif
