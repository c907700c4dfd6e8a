/* SSE2 loop filters (RFC 6386 §15), lane-wise identical to dsp_loopfilter.c (tests/test_dsp.c). */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <emmintrin.h>
#include <string.h>

static inline __m128i absdiff_u8(__m128i a, __m128i b)
{
    return _mm_or_si128(_mm_subs_epu8(a, b), _mm_subs_epu8(b, a));
}

/* Arithmetic shift right by 3 of 16 signed bytes. */
static inline __m128i sra3_epi8(__m128i x)
{
    __m128i lo = _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 11);
    __m128i hi = _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 11);
    return _mm_packs_epi16(lo, hi);
}

/* 0xff where |p0-q0|*2 + |p1-q1|/2 <= E (saturation is harmless: E <= 193). */
static inline __m128i edge_mask(__m128i p1, __m128i p0, __m128i q0, __m128i q1, __m128i E)
{
    __m128i a = absdiff_u8(p0, q0), b = absdiff_u8(p1, q1);
    a = _mm_adds_epu8(a, a);
    b = _mm_and_si128(_mm_srli_epi16(b, 1), _mm_set1_epi8(0x7f));
    return _mm_cmpeq_epi8(_mm_subs_epu8(_mm_adds_epu8(a, b), E), _mm_setzero_si128());
}

typedef struct { __m128i p3, p2, p1, p0, q0, q1, q2, q3; } lf_pixels;

/* The §15.3 filter mask (0xff: filter the lane) and the lanes without high edge variance
 * (0xff where max(|p1 - p0|, |q1 - q0|) <= T), sharing the two differences. */
static inline __m128i normal_mask_sse2(const lf_pixels *v, __m128i E, __m128i I, __m128i T,
                                       __m128i *not_hev)
{
    __m128i dp = absdiff_u8(v->p1, v->p0), dq = absdiff_u8(v->q1, v->q0);
    __m128i h = _mm_max_epu8(dp, dq);
    __m128i m = _mm_max_epu8(absdiff_u8(v->p3, v->p2), absdiff_u8(v->p2, v->p1));
    m = _mm_max_epu8(m, absdiff_u8(v->q2, v->q1));
    m = _mm_max_epu8(m, absdiff_u8(v->q3, v->q2));
    m = _mm_max_epu8(m, h);
    *not_hev = _mm_cmpeq_epi8(_mm_subs_epu8(h, T), _mm_setzero_si128());
    m = _mm_cmpeq_epi8(_mm_subs_epu8(m, I), _mm_setzero_si128());
    return _mm_and_si128(m, edge_mask(v->p1, v->p0, v->q0, v->q1, E));
}

/* clamp(f + 3 * (q0 - p0)): repeated saturating adds give the clamped exact value. */
static inline __m128i add_3x(__m128i f, __m128i ps0, __m128i qs0)
{
    __m128i d = _mm_subs_epi8(qs0, ps0);
    return _mm_adds_epi8(_mm_adds_epi8(_mm_adds_epi8(f, d), d), d);
}

/* clamp((63 + w * k) >> 7) for signed bytes w. */
static inline __m128i wide_tap(__m128i w, int k)
{
    __m128i kk = _mm_set1_epi16((short)k), r = _mm_set1_epi16(63);
    __m128i lo = _mm_srai_epi16(_mm_unpacklo_epi8(w, w), 8);
    __m128i hi = _mm_srai_epi16(_mm_unpackhi_epi8(w, w), 8);
    lo = _mm_srai_epi16(_mm_add_epi16(_mm_mullo_epi16(lo, kk), r), 7);
    hi = _mm_srai_epi16(_mm_add_epi16(_mm_mullo_epi16(hi, kk), r), 7);
    return _mm_packs_epi16(lo, hi);
}

#if defined(__GNUC__)
#define LF_INLINE static inline __attribute__((always_inline))
#else
#define LF_INLINE static inline
#endif

LF_INLINE void filter_normal(lf_pixels *v, int E, int I, int T, int mbedge)
{
    const __m128i sign = _mm_set1_epi8((char)0x80);
    __m128i not_hev;
    __m128i mask = normal_mask_sse2(v, _mm_set1_epi8((char)E), _mm_set1_epi8((char)I),
                                    _mm_set1_epi8((char)T), &not_hev);
    __m128i ps1 = _mm_xor_si128(v->p1, sign), ps0 = _mm_xor_si128(v->p0, sign);
    __m128i qs0 = _mm_xor_si128(v->q0, sign), qs1 = _mm_xor_si128(v->q1, sign);
    __m128i f1, f2, w;

    if (mbedge) {
        __m128i ps2 = _mm_xor_si128(v->p2, sign), qs2 = _mm_xor_si128(v->q2, sign), a;
        w = _mm_and_si128(add_3x(_mm_subs_epi8(ps1, qs1), ps0, qs0), mask);
        f2 = _mm_andnot_si128(not_hev, w);
        f1 = sra3_epi8(_mm_adds_epi8(f2, _mm_set1_epi8(4)));
        f2 = sra3_epi8(_mm_adds_epi8(f2, _mm_set1_epi8(3)));
        qs0 = _mm_subs_epi8(qs0, f1);
        ps0 = _mm_adds_epi8(ps0, f2);
        w = _mm_and_si128(not_hev, w);
        a = wide_tap(w, 27);
        qs0 = _mm_subs_epi8(qs0, a);
        ps0 = _mm_adds_epi8(ps0, a);
        a = wide_tap(w, 18);
        qs1 = _mm_subs_epi8(qs1, a);
        ps1 = _mm_adds_epi8(ps1, a);
        a = wide_tap(w, 9);
        v->q2 = _mm_xor_si128(_mm_subs_epi8(qs2, a), sign);
        v->p2 = _mm_xor_si128(_mm_adds_epi8(ps2, a), sign);
    } else {
        __m128i a;
        w = _mm_andnot_si128(not_hev, _mm_subs_epi8(ps1, qs1));
        w = _mm_and_si128(add_3x(w, ps0, qs0), mask);
        f1 = sra3_epi8(_mm_adds_epi8(w, _mm_set1_epi8(4)));
        f2 = sra3_epi8(_mm_adds_epi8(w, _mm_set1_epi8(3)));
        qs0 = _mm_subs_epi8(qs0, f1);
        ps0 = _mm_adds_epi8(ps0, f2);
        /* (f1 + 1) >> 1 on the lanes without high edge variance */
        {
            __m128i lo = _mm_srai_epi16(_mm_unpacklo_epi8(f1, f1), 8);
            __m128i hi = _mm_srai_epi16(_mm_unpackhi_epi8(f1, f1), 8);
            __m128i one = _mm_set1_epi16(1);
            lo = _mm_srai_epi16(_mm_add_epi16(lo, one), 1);
            hi = _mm_srai_epi16(_mm_add_epi16(hi, one), 1);
            a = _mm_and_si128(not_hev, _mm_packs_epi16(lo, hi));
        }
        qs1 = _mm_subs_epi8(qs1, a);
        ps1 = _mm_adds_epi8(ps1, a);
    }
    v->q0 = _mm_xor_si128(qs0, sign);
    v->p0 = _mm_xor_si128(ps0, sign);
    v->q1 = _mm_xor_si128(qs1, sign);
    v->p1 = _mm_xor_si128(ps1, sign);
}

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

/* 16 (or 8) rows of 8 bytes starting at p -> 8 vectors, one per column. */
LF_INLINE void transpose_in(uint8_t *const *row, int rows, __m128i o[8])
{
    __m128i r[16], a[8], b[8], c[8];
    for (int i = 0; i < 16; i++)
        r[i] = i < rows ? _mm_loadl_epi64((const __m128i *)row[i]) : _mm_setzero_si128();
    for (int i = 0; i < 8; i++)
        a[i] = _mm_unpacklo_epi8(r[2 * i], r[2 * i + 1]);
    for (int i = 0; i < 4; i++) {
        b[2 * i] = _mm_unpacklo_epi16(a[2 * i], a[2 * i + 1]);
        b[2 * i + 1] = _mm_unpackhi_epi16(a[2 * i], a[2 * i + 1]);
    }
    c[0] = _mm_unpacklo_epi32(b[0], b[2]);
    c[1] = _mm_unpackhi_epi32(b[0], b[2]);
    c[2] = _mm_unpacklo_epi32(b[1], b[3]);
    c[3] = _mm_unpackhi_epi32(b[1], b[3]);
    c[4] = _mm_unpacklo_epi32(b[4], b[6]);
    c[5] = _mm_unpackhi_epi32(b[4], b[6]);
    c[6] = _mm_unpacklo_epi32(b[5], b[7]);
    c[7] = _mm_unpackhi_epi32(b[5], b[7]);
    for (int i = 0; i < 4; i++) {
        o[2 * i] = _mm_unpacklo_epi64(c[i], c[i + 4]);
        o[2 * i + 1] = _mm_unpackhi_epi64(c[i], c[i + 4]);
    }
}

/* Inverse of transpose_in: 8 column vectors -> rows of 8 bytes. */
LF_INLINE void transpose_out(uint8_t *const *rowp, int rows, const __m128i o[8])
{
    for (int half = 0; half < 2 && half * 8 < rows; half++) {
        __m128i a[4], b[4], c[4];
        for (int i = 0; i < 4; i++)
            a[i] = half ? _mm_unpackhi_epi8(o[2 * i], o[2 * i + 1])
                        : _mm_unpacklo_epi8(o[2 * i], o[2 * i + 1]);
        b[0] = _mm_unpacklo_epi16(a[0], a[1]);
        b[1] = _mm_unpackhi_epi16(a[0], a[1]);
        b[2] = _mm_unpacklo_epi16(a[2], a[3]);
        b[3] = _mm_unpackhi_epi16(a[2], a[3]);
        c[0] = _mm_unpacklo_epi32(b[0], b[2]);
        c[1] = _mm_unpackhi_epi32(b[0], b[2]);
        c[2] = _mm_unpacklo_epi32(b[1], b[3]);
        c[3] = _mm_unpackhi_epi32(b[1], b[3]);
        for (int i = 0; i < 4; i++) {
            _mm_storel_epi64((__m128i *)rowp[half * 8 + 2 * i], c[i]);
            _mm_storel_epi64((__m128i *)rowp[half * 8 + 2 * i + 1], _mm_unpackhi_epi64(c[i], c[i]));
        }
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

/* 16x16 bytes transposed in place: four rounds of interleaving vector i with i + 8
 * (each round moves one bit of the column index into the row index). */
LF_INLINE void transpose16(__m128i x[16])
{
    for (int round = 0; round < 4; round++) {
        __m128i t[16];
        for (int i = 0; i < 8; i++) {
            t[2 * i] = _mm_unpacklo_epi8(x[i], x[i + 8]);
            t[2 * i + 1] = _mm_unpackhi_epi8(x[i], x[i + 8]);
        }
        for (int i = 0; i < 16; i++)
            x[i] = t[i];
    }
}

/* The normal filter on the edge between x[e - 1] and x[e] of 16 vectors. */
LF_INLINE void filter_vectors(__m128i x[16], int e, int E, int I, int T, int mbedge)
{
    lf_pixels v = {x[e - 4], x[e - 3], x[e - 2], x[e - 1], x[e], x[e + 1], x[e + 2], x[e + 3]};
    filter_normal(&v, E, I, T, mbedge);
    x[e - 3] = v.p2; x[e - 2] = v.p1; x[e - 1] = v.p0;
    x[e] = v.q0; x[e + 1] = v.q1; x[e + 2] = v.q2;
}

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

/* The simple filter on 16 lanes: the common adjustment with the outer taps where
 * |p0 - q0| * 2 + |p1 - q1| / 2 <= E. */
LF_INLINE void filter_simple(__m128i p1, __m128i *p0, __m128i *q0, __m128i q1, int E)
{
    const __m128i sign = _mm_set1_epi8((char)0x80);
    __m128i mask = edge_mask(p1, *p0, *q0, q1, _mm_set1_epi8((char)E));
    __m128i ps1 = _mm_xor_si128(p1, sign), ps0 = _mm_xor_si128(*p0, sign);
    __m128i qs0 = _mm_xor_si128(*q0, sign), qs1 = _mm_xor_si128(q1, sign);
    __m128i a = _mm_and_si128(add_3x(_mm_subs_epi8(ps1, qs1), ps0, qs0), mask);
    __m128i f1 = sra3_epi8(_mm_adds_epi8(a, _mm_set1_epi8(4)));
    __m128i f2 = sra3_epi8(_mm_adds_epi8(a, _mm_set1_epi8(3)));
    *q0 = _mm_xor_si128(_mm_subs_epi8(qs0, f1), sign);
    *p0 = _mm_xor_si128(_mm_adds_epi8(ps0, f2), sign);
}

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
