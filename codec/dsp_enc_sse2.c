/* Encoder kernels with SSE2 (see dsp.h); tests/test_dsp.c checks them against C. */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <emmintrin.h>
#include <string.h>

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

/* ------------------------------------------------------------ forward DCT */

/* Two int16 multipliers for _mm_madd_epi16: lo on even lanes, hi on odd ones. */
static inline __m128i pair16(int lo, int hi)
{
    return _mm_set1_epi32((int)((uint32_t)(uint16_t)lo | (uint32_t)(uint16_t)hi << 16));
}

static inline __m128i swap64(__m128i v) { return _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)); }

/* fdct4x4_c with the four rows (then the four columns) in the lanes. Every
 * intermediate fits in 16 bits for inputs in [-255, 255]: the row pass's sums are at
 * most 8 * 4 * 255 = 8160 in magnitude, the column pass's 4 * 8160 + 7 < 32768; the
 * rotations are done in 32 bits (_mm_madd_epi16). */
static void fdct4x4_sse2(const int16_t *in, ptrdiff_t st, int16_t out[16])
{
    const __m128i k1 = pair16(5352, 2217), k3 = pair16(2217, -5352);
    __m128i r0 = _mm_loadl_epi64((const __m128i *)in);
    __m128i r1 = _mm_loadl_epi64((const __m128i *)(in + st));
    __m128i r2 = _mm_loadl_epi64((const __m128i *)(in + 2 * st));
    __m128i r3 = _mm_loadl_epi64((const __m128i *)(in + 3 * st));
    /* Transpose: x01 = [ip[0] | ip[1]], x23 = [ip[2] | ip[3]] of rows 0..3. */
    __m128i lo = _mm_unpacklo_epi16(r0, r1), hi = _mm_unpacklo_epi16(r2, r3);
    __m128i x01 = _mm_unpacklo_epi32(lo, hi), x32 = swap64(_mm_unpackhi_epi32(lo, hi));
    /* Row pass: s = [a1 | b1], d = [d1 | c1]. */
    __m128i s = _mm_slli_epi16(_mm_add_epi16(x01, x32), 3);
    __m128i d = _mm_slli_epi16(_mm_sub_epi16(x01, x32), 3);
    __m128i ssw = swap64(s);
    __m128i t02 = _mm_unpacklo_epi64(_mm_add_epi16(s, ssw), _mm_sub_epi16(s, ssw));
    __m128i dc = _mm_unpacklo_epi16(d, _mm_srli_si128(d, 8)); /* d1 c1 d1 c1 .. */
    __m128i t1 = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(dc, k1), _mm_set1_epi32(14500)), 12);
    __m128i t3 = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(dc, k3), _mm_set1_epi32(7500)), 12);
    __m128i t13 = _mm_packs_epi32(t1, t3);
    /* Transpose back: y01 = [tmp row 0 | row 1], y23 = [row 2 | row 3]. */
    lo = _mm_unpacklo_epi16(t02, t13);
    hi = _mm_unpackhi_epi16(t02, t13);
    __m128i y01 = _mm_unpacklo_epi32(lo, hi), y32 = swap64(_mm_unpackhi_epi32(lo, hi));
    /* Column pass: s = [a1 | b1], d = [d1 | c1]. */
    s = _mm_add_epi16(y01, y32);
    d = _mm_sub_epi16(y01, y32);
    ssw = swap64(s);
    __m128i o02 = _mm_unpacklo_epi64(_mm_add_epi16(s, ssw), _mm_sub_epi16(s, ssw));
    o02 = _mm_srai_epi16(_mm_add_epi16(o02, _mm_set1_epi16(7)), 4);
    dc = _mm_unpacklo_epi16(d, _mm_srli_si128(d, 8));
    __m128i o1 = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(dc, k1), _mm_set1_epi32(12000)), 16);
    __m128i o3 = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(dc, k3), _mm_set1_epi32(51000)), 16);
    __m128i o13 = _mm_packs_epi32(o1, o3);
    /* + (d1 != 0) on o1: cmpeq gives -1 where d1 == 0; + 1 makes that 0, else 1. */
    __m128i nz = _mm_add_epi16(_mm_cmpeq_epi16(d, _mm_setzero_si128()), _mm_set1_epi16(1));
    o13 = _mm_add_epi16(o13, _mm_move_epi64(nz));
    _mm_storeu_si128((__m128i *)out, _mm_unpacklo_epi64(o02, o13));
    _mm_storeu_si128((__m128i *)(out + 8), _mm_unpackhi_epi64(o02, o13));
}

/* ------------------------------------------------------------ quantizer */

/* quantize_c in natural order, 8 coefficients per vector, in unsigned 16-bit lanes:
 * a = |x| <= 32768 and a + round <= 65535. The quotient (a + round) / q is estimated
 * by mulhi(a + round, iq) (iq = 2^16 / q, or 65535 for q = 1: still the quotient or
 * one less) and corrected once when the remainder is >= q; the remainder is below 2q,
 * so nothing overflows. Then the zigzag order with a few shuffles, the eob from the
 * nonzero mask. */
static inline __m128i quant8(__m128i x, __m128i mask, __m128i rd, __m128i iq, __m128i q)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i sign = _mm_srai_epi16(x, 15);
    __m128i a = _mm_sub_epi16(_mm_xor_si128(x, sign), sign);
    __m128i v = _mm_add_epi16(a, rd);
    __m128i l = _mm_mulhi_epu16(v, iq);
    __m128i rem = _mm_sub_epi16(v, _mm_mullo_epi16(l, q));
    l = _mm_sub_epi16(l, _mm_cmpeq_epi16(_mm_subs_epu16(q, rem), zero)); /* rem >= q: +1 */
    l = _mm_sub_epi16(l, _mm_subs_epu16(l, _mm_set1_epi16(2048)));    /* min(l, 2048) */
    l = _mm_and_si128(l, mask);  /* a < zbin: 0 */
    return _mm_sub_epi16(_mm_xor_si128(l, sign), sign);
}

static int quantize_sse2(const int16_t coef[16], int first, const int16_t q[2],
                         const int16_t round[2], const int16_t zbin[2], const uint32_t iq[2],
                         int16_t levels[16], int16_t dq[16])
{
    const __m128i zero = _mm_setzero_si128();
    __m128i x0 = _mm_loadu_si128((const __m128i *)coef);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(coef + 8));
    /* Dead zone first (a >= zbin, unsigned): most blocks end here. A zbin of 0xffff
     * keeps the DC out when first = 1 (a <= 32768). */
    __m128i zb1 = _mm_set1_epi16(zbin[1]);
    __m128i zb0 = _mm_insert_epi16(zb1, first ? 0xffff : zbin[0], 0);
    __m128i s0 = _mm_srai_epi16(x0, 15), s1 = _mm_srai_epi16(x1, 15);
    __m128i a0 = _mm_sub_epi16(_mm_xor_si128(x0, s0), s0);
    __m128i a1 = _mm_sub_epi16(_mm_xor_si128(x1, s1), s1);
    __m128i m0 = _mm_cmpeq_epi16(_mm_subs_epu16(zb0, a0), zero);
    __m128i m1 = _mm_cmpeq_epi16(_mm_subs_epu16(zb1, a1), zero);
    if (!_mm_movemask_epi8(_mm_or_si128(m0, m1))) {
        _mm_storeu_si128((__m128i *)levels, zero);
        _mm_storeu_si128((__m128i *)(levels + 8), zero);
        _mm_storeu_si128((__m128i *)dq, zero);
        _mm_storeu_si128((__m128i *)(dq + 8), zero);
        return first;
    }
    __m128i rd1 = _mm_set1_epi16(round[1]), rd0 = _mm_insert_epi16(rd1, round[0], 0);
    __m128i q1 = _mm_set1_epi16(q[1]), q0 = _mm_insert_epi16(q1, q[0], 0);
    __m128i iq1 = _mm_set1_epi16((int16_t)(iq[1] > 65535 ? 65535 : iq[1]));
    __m128i iq0 = _mm_insert_epi16(iq1, iq[0] > 65535 ? 65535 : (int)iq[0], 0);
    __m128i l0 = quant8(x0, m0, rd0, iq0, q0);
    __m128i l1 = quant8(x1, m1, rd1, iq1, q1);
    _mm_storeu_si128((__m128i *)dq, _mm_mullo_epi16(l0, q0));
    _mm_storeu_si128((__m128i *)(dq + 8), _mm_mullo_epi16(l1, q1));

    /* Zigzag (0 1 4 8 5 2 3 6 | 9 12 13 10 7 11 14 15): shuffles give
     * 0 1 4 7 5 2 3 6 | 9 12 13 10 8 11 14 15, then 7 and 8 trade places. */
    __m128i z0 = _mm_shufflehi_epi16(l0, _MM_SHUFFLE(2, 1, 3, 0));
    z0 = _mm_shuffle_epi32(z0, _MM_SHUFFLE(3, 1, 2, 0));
    z0 = _mm_shufflehi_epi16(z0, _MM_SHUFFLE(3, 1, 0, 2));
    __m128i z1 = _mm_shufflelo_epi16(l1, _MM_SHUFFLE(3, 0, 2, 1));
    z1 = _mm_shuffle_epi32(z1, _MM_SHUFFLE(3, 1, 2, 0));
    z1 = _mm_shufflelo_epi16(z1, _MM_SHUFFLE(1, 3, 2, 0));
    int c7 = _mm_extract_epi16(z0, 3), c8 = _mm_extract_epi16(z1, 4);
    z0 = _mm_insert_epi16(z0, c8, 3);
    z1 = _mm_insert_epi16(z1, c7, 4);
    _mm_storeu_si128((__m128i *)levels, z0);
    _mm_storeu_si128((__m128i *)(levels + 8), z1);
    /* Levels are at most 2048 in magnitude: packing keeps nonzero nonzero. */
    unsigned nz = 0xffffu & ~(unsigned)_mm_movemask_epi8(
                                  _mm_cmpeq_epi8(_mm_packs_epi16(z0, z1), zero));
    return nz ? 32 - __builtin_clz(nz) : first;
}

/* One row's horizontal bilinear pass on 8 pixels (16-bit lanes): (p[x] * f0 + p[x + 1] *
 * f1 + 64) >> 7. The sums stay below 2^15 (taps sum to 128). */
static inline __m128i bil_h8(__m128i p0, __m128i p1, __m128i f0, __m128i f1)
{
    const __m128i r = _mm_set1_epi16(64);
    return _mm_srli_epi16(
        _mm_add_epi16(_mm_add_epi16(_mm_mullo_epi16(p0, f0), _mm_mullo_epi16(p1, f1)), r), 7);
}

/* Loads n (4 or 8) pixels as 16-bit lanes, the rest zero. */
static inline __m128i load_n16(const uint8_t *p, int n)
{
    const __m128i z = _mm_setzero_si128();
    return _mm_unpacklo_epi8(n == 8 ? _mm_loadl_epi64((const __m128i *)p) : load4(p), z);
}

static uint32_t sse_bilinear_sse2(const uint8_t *a, ptrdiff_t as, const uint8_t *ref,
                                  ptrdiff_t rs, int mx, int my, int w, int h)
{
    const __m128i fx0 = _mm_set1_epi16((short)(128 - 16 * mx)), fx1 = _mm_set1_epi16((short)(16 * mx));
    const __m128i fy0 = _mm_set1_epi16((short)(128 - 16 * my)), fy1 = _mm_set1_epi16((short)(16 * my));
    const __m128i z = _mm_setzero_si128();
    __m128i acc = _mm_setzero_si128();
    if (w == 16) {
        __m128i r0 = _mm_loadu_si128((const __m128i *)ref), r1 = _mm_loadu_si128((const __m128i *)(ref + 1));
        __m128i plo = bil_h8(_mm_unpacklo_epi8(r0, z), _mm_unpacklo_epi8(r1, z), fx0, fx1);
        __m128i phi = bil_h8(_mm_unpackhi_epi8(r0, z), _mm_unpackhi_epi8(r1, z), fx0, fx1);
        for (int y = 0; y < h; y++, a += as) {
            ref += rs;
            r0 = _mm_loadu_si128((const __m128i *)ref);
            r1 = _mm_loadu_si128((const __m128i *)(ref + 1));
            __m128i clo = bil_h8(_mm_unpacklo_epi8(r0, z), _mm_unpacklo_epi8(r1, z), fx0, fx1);
            __m128i chi = bil_h8(_mm_unpackhi_epi8(r0, z), _mm_unpackhi_epi8(r1, z), fx0, fx1);
            __m128i vlo = bil_h8(plo, clo, fy0, fy1), vhi = bil_h8(phi, chi, fy0, fy1);
            __m128i va = _mm_loadu_si128((const __m128i *)a);
            __m128i dlo = _mm_sub_epi16(_mm_unpacklo_epi8(va, z), vlo);
            __m128i dhi = _mm_sub_epi16(_mm_unpackhi_epi8(va, z), vhi);
            acc = _mm_add_epi32(acc, _mm_add_epi32(_mm_madd_epi16(dlo, dlo), _mm_madd_epi16(dhi, dhi)));
            plo = clo;
            phi = chi;
        }
    } else {
        /* 8 or 4 pixels a row; with 4, the unused lanes are zero on both sides. */
        __m128i p = bil_h8(load_n16(ref, w), load_n16(ref + 1, w), fx0, fx1);
        for (int y = 0; y < h; y++, a += as) {
            ref += rs;
            __m128i c = bil_h8(load_n16(ref, w), load_n16(ref + 1, w), fx0, fx1);
            __m128i d = _mm_sub_epi16(load_n16(a, w), bil_h8(p, c, fy0, fy1));
            acc = _mm_add_epi32(acc, _mm_madd_epi16(d, d));
            p = c;
        }
    }
    return hsum32(acc);
}

void vp8_dsp_init_enc_sse2(vp8_dsp *d)
{
    d->fdct4x4 = fdct4x4_sse2;
    d->quantize = quantize_sse2;
    d->sad_wh = sad_wh_sse2;
    d->sse[VP8_PRED_16x16] = sse16x16_sse2;
    d->sse[VP8_PRED_8x8] = sse8x8_sse2;
    d->sse[VP8_PRED_4x4] = sse4x4_sse2;
    d->sse_bilinear = sse_bilinear_sse2;
}
#else
typedef int excam_dsp_unused; /* ISO C forbids an empty translation unit */
#endif
