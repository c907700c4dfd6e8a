/* SSE2 inverse transforms (RFC 6386 §14.3-§14.4), bit-exact with dsp_idct.c (tests/test_dsp.c). */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <emmintrin.h>
#include <string.h>

static inline __m128i load4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_unpacklo_epi8(_mm_cvtsi32_si128(v), _mm_setzero_si128());
}

/* One pass of idct_add_c on 4 lanes: x01 = [x0 | x1], x23 = [x2 | x3] (4 int16 each);
 * returns y01 = [x0 + x2 + dd | x0 - x2 + c], y23 = [x0 - x2 - c | x0 + x2 - dd] in
 * wrapping 16-bit arithmetic, which is exact modulo 2^16. mulhi(x, 20091) is
 * (x * 20091) >> 16; (x * 35468) >> 16 is x + mulhi(x, 35468 - 65536). */
static inline void idct_pass(__m128i x01, __m128i x23, __m128i *y01, __m128i *y23)
{
    __m128i s = _mm_add_epi16(x01, x23), d = _mm_sub_epi16(x01, x23); /* lo: a1, b1 */
    __m128i x13 = _mm_unpackhi_epi64(x01, x23);
    __m128i p = _mm_add_epi16(x13, _mm_mulhi_epi16(x13, _mm_set1_epi16(20091)));
    __m128i q = _mm_add_epi16(x13, _mm_mulhi_epi16(x13, _mm_set1_epi16(35468 - 65536)));
    __m128i dd = _mm_add_epi16(p, _mm_srli_si128(q, 8)); /* lo: x1 * c + x3 * s */
    __m128i c = _mm_sub_epi16(q, _mm_srli_si128(p, 8));  /* lo: x1 * s - x3 * c */
    *y01 = _mm_add_epi16(_mm_unpacklo_epi64(s, d), _mm_unpacklo_epi64(dd, c));
    *y23 = _mm_sub_epi16(_mm_unpacklo_epi64(d, s), _mm_unpacklo_epi64(c, dd));
}

/* 4x4 transpose of [r0 | r1], [r2 | r3]. */
static inline void transpose4x4(__m128i *v01, __m128i *v23)
{
    __m128i lo = _mm_unpacklo_epi16(*v01, *v23), hi = _mm_unpackhi_epi16(*v01, *v23);
    *v01 = _mm_unpacklo_epi16(lo, hi);
    *v23 = _mm_unpackhi_epi16(lo, hi);
}

static inline void store4(uint8_t *p, __m128i v)
{
    int32_t x = _mm_cvtsi128_si32(v);
    memcpy(p, &x, 4);
}

/* The second pass of idct_add_c, for the rare blocks whose first pass leaves values
 * too large for 16 bits there. */
static void idct_rows_add(const int16_t tmp[16], uint8_t *dst, ptrdiff_t stride)
{
    static const int c1k = 20091, s1k = 35468;
    for (int i = 0; i < 4; i++) {
        const int16_t *r = tmp + 4 * i;
        int a1 = r[0] + r[2], b1 = r[0] - r[2];
        int temp1 = (r[1] * s1k) >> 16, temp2 = r[3] + ((r[3] * c1k) >> 16);
        int c = temp1 - temp2;
        temp1 = r[1] + ((r[1] * c1k) >> 16);
        temp2 = (r[3] * s1k) >> 16;
        int dd = temp1 + temp2;
        uint8_t *o = dst + i * stride;
        o[0] = clamp255(o[0] + ((a1 + dd + 4) >> 3));
        o[3] = clamp255(o[3] + ((a1 - dd + 4) >> 3));
        o[1] = clamp255(o[1] + ((b1 + c + 4) >> 3));
        o[2] = clamp255(o[2] + ((b1 - c + 4) >> 3));
    }
}

/* The first pass wraps as the C reference's int16 tmp[] does. The second one does not
 * truncate; it is exact in 16 bits when tmp[] is within [-8192, 8191]:
 * |a1 + dd + 4| <= 2 * 8192 + 8192 * (1 + 20091 / 65536 + 35468 / 65536) + 4 < 32768.
 * Real streams stay below that (no block of the conformance vectors or of a q 0 encode
 * goes beyond); blocks that do take the scalar way. */
static void idct_add_sse2(const int16_t in[16], uint8_t *dst, ptrdiff_t stride)
{
    __m128i t01, t23, o01, o23;
    idct_pass(_mm_loadu_si128((const __m128i *)in), _mm_loadu_si128((const __m128i *)(in + 8)),
              &t01, &t23); /* rows of tmp[] */
    {
        const __m128i bias = _mm_set1_epi16(8192);
        __m128i u = _mm_or_si128(_mm_add_epi16(t01, bias), _mm_add_epi16(t23, bias));
        if (_mm_movemask_epi8(_mm_or_si128(u, _mm_slli_epi16(u, 1))) & 0xaaaa) {
            int16_t tmp[16];
            _mm_storeu_si128((__m128i *)tmp, t01);
            _mm_storeu_si128((__m128i *)(tmp + 8), t23);
            idct_rows_add(tmp, dst, stride);
            return;
        }
    }
    transpose4x4(&t01, &t23); /* columns: each lane is a row */
    idct_pass(t01, t23, &o01, &o23);
    o01 = _mm_srai_epi16(_mm_add_epi16(o01, _mm_set1_epi16(4)), 3);
    o23 = _mm_srai_epi16(_mm_add_epi16(o23, _mm_set1_epi16(4)), 3);
    transpose4x4(&o01, &o23); /* back to rows */
    __m128i p01 = _mm_unpacklo_epi64(load4(dst), load4(dst + stride));
    __m128i p23 = _mm_unpacklo_epi64(load4(dst + 2 * stride), load4(dst + 3 * stride));
    __m128i r = _mm_packus_epi16(_mm_add_epi16(p01, o01), _mm_add_epi16(p23, o23));
    store4(dst, r);
    store4(dst + stride, _mm_srli_si128(r, 4));
    store4(dst + 2 * stride, _mm_srli_si128(r, 8));
    store4(dst + 3 * stride, _mm_srli_si128(r, 12));
}

/* clamp255(p + a) is a saturating add of max(a, 0) and subtract of max(-a, 0) (both
 * made by packus without a branch); a beyond +-255 saturates the same way. */
static void idct_dc_add_sse2(int dc, uint8_t *dst, ptrdiff_t stride)
{
    int a = (dc + 4) >> 3;
    a = a < -255 ? -255 : a > 255 ? 255 : a;
    const __m128i va = _mm_set1_epi16((int16_t)a);
    const __m128i na = _mm_sub_epi16(_mm_setzero_si128(), va);
    const __m128i add = _mm_packus_epi16(va, va), sub = _mm_packus_epi16(na, na);
    for (int y = 0; y < 4; y++, dst += stride) {
        int32_t v;
        memcpy(&v, dst, 4);
        store4(dst, _mm_subs_epu8(_mm_adds_epu8(_mm_cvtsi32_si128(v), add), sub));
    }
}

/* §14.3 inverse WHT on 32-bit lanes (the sums of four coefficients leave 16 bits), each
 * output truncated to 16 bits as the reference's cast does. */
static void iwht_sse2(const int16_t in[16], int16_t *out)
{
    __m128i lo = _mm_loadu_si128((const __m128i *)in), hi = _mm_loadu_si128((const __m128i *)(in + 8));
    /* rows of in[], sign-extended */
    __m128i r0 = _mm_srai_epi32(_mm_unpacklo_epi16(lo, lo), 16);
    __m128i r1 = _mm_srai_epi32(_mm_unpackhi_epi16(lo, lo), 16);
    __m128i r2 = _mm_srai_epi32(_mm_unpacklo_epi16(hi, hi), 16);
    __m128i r3 = _mm_srai_epi32(_mm_unpackhi_epi16(hi, hi), 16);
    /* the vertical pass: rows of tmp[] */
    __m128i a1 = _mm_add_epi32(r0, r3), b1 = _mm_add_epi32(r1, r2);
    __m128i c1 = _mm_sub_epi32(r1, r2), d1 = _mm_sub_epi32(r0, r3);
    __m128i t0 = _mm_add_epi32(a1, b1), t1 = _mm_add_epi32(c1, d1);
    __m128i t2 = _mm_sub_epi32(a1, b1), t3 = _mm_sub_epi32(d1, c1);
    /* transposed: u_j holds tmp[4i + j] in lane i */
    __m128i x0 = _mm_unpacklo_epi32(t0, t1), x1 = _mm_unpackhi_epi32(t0, t1);
    __m128i x2 = _mm_unpacklo_epi32(t2, t3), x3 = _mm_unpackhi_epi32(t2, t3);
    __m128i u0 = _mm_unpacklo_epi64(x0, x2), u1 = _mm_unpackhi_epi64(x0, x2);
    __m128i u2 = _mm_unpacklo_epi64(x1, x3), u3 = _mm_unpackhi_epi64(x1, x3);
    const __m128i three = _mm_set1_epi32(3);
    __m128i o[4];
    a1 = _mm_add_epi32(u0, u3);
    b1 = _mm_add_epi32(u1, u2);
    c1 = _mm_sub_epi32(u1, u2);
    d1 = _mm_sub_epi32(u0, u3);
    o[0] = _mm_srai_epi32(_mm_add_epi32(_mm_add_epi32(a1, b1), three), 3);
    o[1] = _mm_srai_epi32(_mm_add_epi32(_mm_add_epi32(c1, d1), three), 3);
    o[2] = _mm_srai_epi32(_mm_add_epi32(_mm_sub_epi32(a1, b1), three), 3);
    o[3] = _mm_srai_epi32(_mm_add_epi32(_mm_sub_epi32(d1, c1), three), 3);
    /* out[16 * (4i + j)] = lane i of o[j], its low 16 bits */
    for (int j = 0; j < 4; j++) {
        out[16 * j] = (int16_t)_mm_extract_epi16(o[j], 0);
        out[16 * (4 + j)] = (int16_t)_mm_extract_epi16(o[j], 2);
        out[16 * (8 + j)] = (int16_t)_mm_extract_epi16(o[j], 4);
        out[16 * (12 + j)] = (int16_t)_mm_extract_epi16(o[j], 6);
    }
}

/* The four blocks' (dc + 4) >> 3, clamped to +-255 as above, in 16-bit lanes: lanes
 * 4i..4i+3 hold block i's (the layout of one 16-pixel row of y4). */
static inline __m128i dc_adds(const int16_t (*dc)[16])
{
    __m128i v = _mm_setr_epi16(dc[0][0], dc[1][0], dc[2][0], dc[3][0], 0, 0, 0, 0);
    v = _mm_srai_epi16(_mm_adds_epi16(v, _mm_set1_epi16(4)), 3);
    /* dc + 4 saturating at 32767 still shifts to 4095: the clamp below is what counts */
    v = _mm_min_epi16(_mm_max_epi16(v, _mm_set1_epi16(-255)), _mm_set1_epi16(255));
    v = _mm_unpacklo_epi16(v, v);        /* a0 a0 a1 a1 a2 a2 a3 a3 */
    return v;
}

/* p + a clamped, for the 16 pixels of p and the 16-bit adds a (8 lanes, each covering two
 * pixels: lanes duplicated by the caller). */
static inline __m128i add_clamp16(__m128i p, __m128i lo, __m128i hi)
{
    const __m128i z = _mm_setzero_si128();
    return _mm_packus_epi16(_mm_add_epi16(_mm_unpacklo_epi8(p, z), lo),
                            _mm_add_epi16(_mm_unpackhi_epi8(p, z), hi));
}

static void idct_dc_add_y4_sse2(const int16_t (*dc)[16], uint8_t *dst, ptrdiff_t stride)
{
    __m128i v = dc_adds(dc); /* a0 a0 a1 a1 a2 a2 a3 a3 */
    __m128i lo = _mm_unpacklo_epi32(v, v), hi = _mm_unpackhi_epi32(v, v); /* a0 x4 a1 x4 | a2 x4 a3 x4 */
    for (int y = 0; y < 4; y++, dst += stride) {
        __m128i p = _mm_loadu_si128((const __m128i *)dst);
        _mm_storeu_si128((__m128i *)dst, add_clamp16(p, lo, hi));
    }
}

static void idct_dc_add_uv4_sse2(const int16_t (*dc)[16], uint8_t *dst, ptrdiff_t stride)
{
    __m128i v = dc_adds(dc);
    /* Rows 0-3: blocks 0 and 1 side by side; rows 4-7: blocks 2 and 3. Two rows a vector. */
    __m128i top = _mm_unpacklo_epi32(v, v), bottom = _mm_unpackhi_epi32(v, v);
    for (int y = 0; y < 8; y += 2, dst += 2 * stride) {
        __m128i a = y < 4 ? top : bottom;
        __m128i p = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)dst),
                                       _mm_loadl_epi64((const __m128i *)(dst + stride)));
        __m128i r = add_clamp16(p, a, a);
        _mm_storel_epi64((__m128i *)dst, r);
        _mm_storel_epi64((__m128i *)(dst + stride), _mm_unpackhi_epi64(r, r));
    }
}

void vp8_dsp_init_idct_sse2(vp8_dsp *d)
{
    d->iwht = iwht_sse2;
    d->idct_add = idct_add_sse2;
    d->idct_dc_add = idct_dc_add_sse2;
    d->idct_dc_add_y4 = idct_dc_add_y4_sse2;
    d->idct_dc_add_uv4 = idct_dc_add_uv4_sse2;
}
#else
typedef int excam_dsp_unused; /* ISO C forbids an empty translation unit */
#endif
