/*
 * SSSE3 sub-pixel prediction (RFC 6386 §18.3), bit-exact with dsp_inter.c
 * (tests/test_dsp.c), after libvpx's vp8/common/x86/subpixel_ssse3.asm.
 *
 * Six-tap: pmaddubsw multiplies unsigned pixels by signed 8-bit taps and adds
 * adjacent products, so the source bytes are interleaved pairwise, (x-2, x+3) with
 * taps (0, 5), (x-1, x+1) with taps (1, 3) and (x, x+2) with taps (2, 4), and the
 * three pair sums are added in 16 bits. With pixels in [0, 255] (the first pass's
 * output is clamped, so the second pass's input is too) and the filters of §18.3:
 *   - a pair sum never saturates: at most 255 * 123 (taps 1 and 3 of filter 7,
 *     2 and 4 of filter 1), at least -255 * 16;
 *   - pair(0,5) + pair(2,4) is exact: at most 765 + 27540 (filter 2), 1530 + 19635
 *     (filter 4), 0 + 31365 (filter 1), all < 32768; at least -4080;
 *   - only the last addition, of pair(1,3), can saturate, and only upwards (the
 *     total is at least -8160), where the true sum is >= 32767 and the result
 *     clamps to 255 either way. The rounding, (s + 64) >> 7, is pmulhrsw by 256:
 *     floor((floor(s / 64) + 1) / 2) = floor((s + 64) / 128) for every int16 s, and
 *     32767 (saturated) gives 256, which packuswb clamps to 255 as the reference does.
 * The odd filters have taps 0 and 5 zero: their pair is skipped (the sum is the same)
 * and a vertical pass reads rows -1 .. h+1 only, so the first pass of a 2-D filter
 * computes h + 3 rows instead of h + 5 (the rows it skips are multiplied by 0).
 *
 * Bilinear: taps (128 - 16 f, 16 f); for f > 0 both fit in a signed byte and the pair
 * sum is at most 255 * 128, exact; f = 0 is the identity, so that pass is skipped.
 *
 * Like the C reference, every kernel reads the source only from 2 rows/columns
 * before the block to 3 after (six-tap) or 1 after (bilinear).
 */
#include "dsp.h"
#include "dsp_common.h"

#if EXCAM_X86
#include <emmintrin.h>
#include <string.h>
#include <tmmintrin.h>

EXCAM_TARGET_BEGIN("ssse3")

/* §18.3 subpixel_filters, signed. */
static const int8_t sixtap_taps[8][6] = {
    {0, 0, 0, 0, 0, 0}, /* filter 0 (128 at tap 2) is the identity, never applied */
    {0, -6, 123, 12, -1, 0}, {2, -11, 108, 36, -8, 1}, {0, -9, 93, 50, -6, 0},
    {3, -16, 77, 77, -16, 3}, {0, -6, 50, 93, -9, 0}, {1, -8, 36, 108, -11, 2},
    {0, -1, 12, 123, -6, 0}};

/* Byte shuffles that pair the source pixels of 8 outputs (see h8, h16). */
static const uint8_t shuf8_13[16] = {1, 3, 2, 4, 3, 8, 4, 9, 8, 10, 9, 11, 10, 12, 11, 13};
static const uint8_t shuf8_24[16] = {2, 4, 3, 8, 4, 9, 8, 10, 9, 11, 10, 12, 11, 13, 12, 14};
static const uint8_t shuf16_13[16] = {1, 3, 2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8, 10};
static const uint8_t shuf16_24[16] = {2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8, 10, 9, 11};

/* Two rows of a 4-wide block: bytes 0..7 of a vector are s[-2..5] of row 0, bytes 8..15
 * those of row 1 (see h4x2). */
static const uint8_t shuf4x2_13[16] = {1, 3, 2, 4, 3, 5, 4, 6, 9, 11, 10, 12, 11, 13, 12, 14};
static const uint8_t shuf4x2_24[16] = {2, 4, 3, 5, 4, 6, 5, 7, 10, 12, 11, 13, 12, 14, 13, 15};
static const uint8_t shuf4x2_lo[16] = {0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0};

typedef struct {
    __m128i k05, k13, k24; /* tap pairs (0,5), (1,3), (2,4), repeated 8 times */
} filt6;

static inline __m128i tap_pair(int a, int b)
{
    return _mm_unpacklo_epi8(_mm_set1_epi8((char)a), _mm_set1_epi8((char)b));
}

static inline filt6 make_filt6(int f)
{
    const int8_t *t = sixtap_taps[f];
    filt6 k;
    k.k05 = tap_pair(t[0], t[5]);
    k.k13 = tap_pair(t[1], t[3]);
    k.k24 = tap_pair(t[2], t[4]);
    return k;
}

/* (s + 64) >> 7 on 8 signed 16-bit sums (see the top of the file). */
static inline __m128i round7(__m128i s) { return _mm_mulhrs_epi16(s, _mm_set1_epi16(256)); }

/* 8 outputs from the pixel pairs of taps (0,5), (1,3), (2,4); four: taps 0, 5 are 0
 * (x05 unused). The order of the additions matters (top of the file). */
static inline __m128i sum6(__m128i x05, __m128i x13, __m128i x24, const filt6 *k, int four)
{
    __m128i s = _mm_maddubs_epi16(x24, k->k24);
    if (!four)
        s = _mm_add_epi16(_mm_maddubs_epi16(x05, k->k05), s); /* exact */
    s = _mm_adds_epi16(s, _mm_maddubs_epi16(x13, k->k13));
    return round7(s);
}

static inline __m128i load4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_cvtsi32_si128(v);
}

static inline __m128i load8(const uint8_t *p) { return _mm_loadl_epi64((const __m128i *)p); }
static inline __m128i load16(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)p); }

static inline void store4(uint8_t *p, __m128i v)
{
    int32_t x = _mm_cvtsi128_si32(v);
    memcpy(p, &x, 4);
}

static inline void store(uint8_t *p, __m128i v, int w)
{
    if (w == 16)
        _mm_storeu_si128((__m128i *)p, v);
    else if (w == 8)
        _mm_storel_epi64((__m128i *)p, v);
    else
        store4(p, v);
}

/* Horizontal six-tap, 8 (w = 8) or 4 (w = 4: the upper 4 of the 8 results are
 * garbage) outputs of one row as 16-bit values. Reads s[-2] .. s[w + 2]. */
static inline __m128i h8(const uint8_t *s, const filt6 *k, int w, int four)
{
    /* a: s[-2..5]; b: s[3..10] (w = 8) or s[3..6]; c = a | b: s[j] is c[j + 2] for
     * j <= 5 and c[j + 5] for j >= 3. */
    __m128i a = load8(s - 2), b = w == 8 ? load8(s + 3) : load4(s + 3);
    __m128i c = _mm_unpacklo_epi64(a, b);
    __m128i x13 = _mm_shuffle_epi8(c, _mm_loadu_si128((const __m128i *)shuf8_13));
    __m128i x24 = _mm_shuffle_epi8(c, _mm_loadu_si128((const __m128i *)shuf8_24));
    return sum6(four ? x24 : _mm_unpacklo_epi8(a, b), x13, x24, k, four);
}

/* Horizontal six-tap, 4 outputs of two rows (s and s + ss) as 16-bit values: row 0 in
 * the low 4 lanes, row 1 in the high 4. Reads s[-2] .. s[6] of each row. */
static inline __m128i h4x2(const uint8_t *s, ptrdiff_t ss, const filt6 *k, int four)
{
    __m128i a = _mm_unpacklo_epi64(load8(s - 2), load8(s + ss - 2));
    __m128i x13 = _mm_shuffle_epi8(a, _mm_loadu_si128((const __m128i *)shuf4x2_13));
    __m128i x24 = _mm_shuffle_epi8(a, _mm_loadu_si128((const __m128i *)shuf4x2_24));
    __m128i x05 = x24; /* unused when four */
    if (!four) { /* (s[x - 2], s[x + 3]): s[-2..1] of a with s[3..6] */
        __m128i b = _mm_unpacklo_epi32(load4(s + 3), load4(s + ss + 3));
        x05 = _mm_unpacklo_epi8(_mm_shuffle_epi8(a, _mm_loadu_si128((const __m128i *)shuf4x2_lo)), b);
    }
    return sum6(x05, x13, x24, k, four);
}

/* Horizontal six-tap, 16 outputs of one row. Reads s[-2] .. s[18]. */
static inline __m128i h16(const uint8_t *s, const filt6 *k, int four)
{
    /* a[i] = s[i - 2], b[i] = s[i + 3]: outputs 0..7 pair bytes of a, 8..15 of b,
     * with the same pattern 3 bytes on. */
    const __m128i m13 = _mm_loadu_si128((const __m128i *)shuf16_13);
    const __m128i m24 = _mm_loadu_si128((const __m128i *)shuf16_24);
    const __m128i three = _mm_set1_epi8(3);
    __m128i a = load16(s - 2), b = load16(s + 3), lo, hi;
    lo = sum6(_mm_unpacklo_epi8(a, b), _mm_shuffle_epi8(a, m13), _mm_shuffle_epi8(a, m24), k,
              four);
    hi = sum6(_mm_unpackhi_epi8(a, b), _mm_shuffle_epi8(b, _mm_add_epi8(m13, three)),
              _mm_shuffle_epi8(b, _mm_add_epi8(m24, three)), k, four);
    return _mm_packus_epi16(lo, hi);
}

/* Rows 0 .. rows-1 of the horizontal pass with filter f, w (16, 8 or 4) wide; four:
 * f is odd (taps 0 and 5 are zero). */
static inline void hpass(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                         int rows, int f, int four)
{
    const filt6 k = make_filt6(f);
    if (w == 4) { /* two rows a vector; an odd last row the way of 8 */
        for (; rows >= 2; rows -= 2, src += 2 * ss, dst += 2 * ds) {
            __m128i r = h4x2(src, ss, &k, four);
            r = _mm_packus_epi16(r, r);
            store4(dst, r);
            store4(dst + ds, _mm_srli_si128(r, 4));
        }
    }
    for (int y = 0; y < rows; y++, src += ss, dst += ds) {
        if (w == 16) {
            _mm_storeu_si128((__m128i *)dst, h16(src, &k, four));
        } else {
            __m128i r = h8(src, &k, w, four);
            store(dst, _mm_packus_epi16(r, r), w);
        }
    }
}

/* The same, specialized on the parity of f so that the zero taps cost nothing. */
static inline void hpass_f(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                           int rows, int f)
{
    if (f & 1)
        hpass(dst, ds, src, ss, w, rows, f, 1);
    else
        hpass(dst, ds, src, ss, w, rows, f, 0);
}

/* One 16-wide row of the vertical pass at src (rows src - 2 ss .. src + 3 ss), packed. */
static inline __m128i vrow16(const uint8_t *src, ptrdiff_t ss, const filt6 *k, int four)
{
    __m128i r0 = four ? _mm_setzero_si128() : load16(src - 2 * ss);
    __m128i r5 = four ? _mm_setzero_si128() : load16(src + 3 * ss);
    __m128i r1 = load16(src - ss), r2 = load16(src), r3 = load16(src + ss);
    __m128i r4 = load16(src + 2 * ss);
    __m128i lo = sum6(_mm_unpacklo_epi8(r0, r5), _mm_unpacklo_epi8(r1, r3),
                      _mm_unpacklo_epi8(r2, r4), k, four);
    __m128i hi = sum6(_mm_unpackhi_epi8(r0, r5), _mm_unpackhi_epi8(r1, r3),
                      _mm_unpackhi_epi8(r2, r4), k, four);
    return _mm_packus_epi16(lo, hi);
}

/* The vertical pass: h rows of w outputs; reads rows -2 .. h+2 of src (-1 .. h+1
 * for the odd filters). */
static inline void vpass(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                         int h, int f, int four)
{
    const filt6 k = make_filt6(f);
    if (w == 4) { /* two output rows a vector (h is 4: even) */
        for (int y = 0; y < h; y += 2, src += 2 * ss, dst += 2 * ds) {
#define ROWS2(j) _mm_unpacklo_epi32(load4(src + (j) * ss), load4(src + ((j) + 1) * ss))
            __m128i r0 = four ? _mm_setzero_si128() : ROWS2(-2);
            __m128i r5 = four ? _mm_setzero_si128() : ROWS2(3);
            __m128i r = sum6(_mm_unpacklo_epi8(r0, r5), _mm_unpacklo_epi8(ROWS2(-1), ROWS2(1)),
                             _mm_unpacklo_epi8(ROWS2(0), ROWS2(2)), &k, four);
#undef ROWS2
            r = _mm_packus_epi16(r, r);
            store4(dst, r);
            store4(dst + ds, _mm_srli_si128(r, 4));
        }
        return;
    }
    for (int y = 0; y < h; y++, src += ss, dst += ds) {
        if (w == 16) {
            _mm_storeu_si128((__m128i *)dst, vrow16(src, ss, &k, four));
        } else {
#define LOADW(p) (w == 8 ? load8(p) : load4(p))
            __m128i r0 = four ? _mm_setzero_si128() : LOADW(src - 2 * ss);
            __m128i r5 = four ? _mm_setzero_si128() : LOADW(src + 3 * ss);
            __m128i r1 = LOADW(src - ss), r2 = LOADW(src), r3 = LOADW(src + ss);
            __m128i r4 = LOADW(src + 2 * ss);
#undef LOADW
            __m128i r = sum6(_mm_unpacklo_epi8(r0, r5), _mm_unpacklo_epi8(r1, r3),
                             _mm_unpacklo_epi8(r2, r4), &k, four);
            store(dst, _mm_packus_epi16(r, r), w);
        }
    }
}

static inline void copy_block(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                              int w, int h)
{
    for (int y = 0; y < h; y++, src += ss, dst += ds) {
        if (w == 16)
            _mm_storeu_si128((__m128i *)dst, load16(src));
        else if (w == 8)
            _mm_storel_epi64((__m128i *)dst, load8(src));
        else
            memcpy(dst, src, 4);
    }
}

/* §18.3 six-tap prediction of a w x w block (w = h). The reference's passes with
 * filter 0 are the identity ((128 p + 64) >> 7 = p), so they are skipped; a 2-D
 * filter runs the horizontal pass on the rows the vertical one reads. */
static inline void sixtap_ssse3(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                                int w, int h, int mx, int my)
{
    _Alignas(16) uint8_t tmp[21 * 16];
    if (!mx && !my) {
        copy_block(dst, ds, src, ss, w, h);
    } else if (!my) {
        hpass_f(dst, ds, src, ss, w, h, mx);
    } else if (!mx) {
        if (my & 1)
            vpass(dst, ds, src, ss, w, h, my, 1);
        else
            vpass(dst, ds, src, ss, w, h, my, 0);
    } else if (my & 1) {
        /* tmp row 2 + y holds the first pass of source row y, y = -1 .. h+1 */
        hpass_f(tmp + 16, 16, src - ss, ss, w, h + 3, mx);
        vpass(dst, ds, tmp + 32, 16, w, h, my, 1);
    } else {
        hpass_f(tmp, 16, src - 2 * ss, ss, w, h + 5, mx);
        vpass(dst, ds, tmp + 32, 16, w, h, my, 0);
    }
}

/* ------------------------------------------------------------ bilinear */

/* Taps (128 - 16 f, 16 f), f = 1..7, as a byte pair. */
static inline __m128i bil_taps(int f) { return tap_pair(128 - 16 * f, 16 * f); }

/* w outputs of one row from pixels a[i] and b[i] (the next column or row). */
static inline __m128i bil_row(__m128i a, __m128i b, __m128i k, int w)
{
    __m128i lo = round7(_mm_maddubs_epi16(_mm_unpacklo_epi8(a, b), k));
    __m128i hi = w == 16 ? round7(_mm_maddubs_epi16(_mm_unpackhi_epi8(a, b), k)) : lo;
    return _mm_packus_epi16(lo, hi);
}

static inline __m128i loadw(const uint8_t *p, int w)
{
    return w == 16 ? load16(p) : w == 8 ? load8(p) : load4(p);
}

/* rows rows of the horizontal pass (filter f > 0): reads s[0] .. s[w] of each. */
static inline void bil_h(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                         int rows, int f)
{
    const __m128i k = bil_taps(f);
    for (int y = 0; y < rows; y++, src += ss, dst += ds)
        store(dst, bil_row(loadw(src, w), loadw(src + 1, w), k, w), w);
}

/* h rows of the vertical pass (filter f > 0): reads rows 0 .. h. */
static inline void bil_v(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w,
                         int h, int f)
{
    const __m128i k = bil_taps(f);
    __m128i a = loadw(src, w);
    for (int y = 0; y < h; y++, dst += ds) {
        __m128i b = loadw(src + (y + 1) * ss, w);
        store(dst, bil_row(a, b, k, w), w);
        a = b;
    }
}

/* §18.3 bilinear prediction: the first pass on rows 0 .. h, the second on that; as
 * for the six-tap, a pass with filter 0 is the identity. */
static inline void bilinear_ssse3(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                                  int w, int h, int mx, int my)
{
    _Alignas(16) uint8_t tmp[17 * 16];
    if (!mx && !my) {
        copy_block(dst, ds, src, ss, w, h);
    } else if (!my) {
        bil_h(dst, ds, src, ss, w, h, mx);
    } else if (!mx) {
        bil_v(dst, ds, src, ss, w, h, my);
    } else {
        bil_h(tmp, 16, src, ss, w, h + 1, mx);
        bil_v(dst, ds, tmp, 16, w, h, my);
    }
}

/* ------------------------------------------------------------ the passes apart */

static void sixtap_h16_ssse3(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                             int mx, int rows)
{
    hpass_f(dst, ds, src, ss, 16, rows, mx);
}

/* The squared differences of 16 pixels (bytes of p and a), added to acc as 4 int32:
 * the bytes interleaved (p, a) times (1, -1) by pmaddubsw give p - a exactly. */
static inline __m128i sse_acc16(__m128i acc, __m128i p, __m128i a)
{
    const __m128i pm = _mm_set1_epi16(-255); /* bytes 1, -1 (0xff01) */
    __m128i d0 = _mm_maddubs_epi16(_mm_unpacklo_epi8(p, a), pm);
    __m128i d1 = _mm_maddubs_epi16(_mm_unpackhi_epi8(p, a), pm);
    return _mm_add_epi32(acc, _mm_add_epi32(_mm_madd_epi16(d0, d0), _mm_madd_epi16(d1, d1)));
}

static inline uint32_t hsum32(__m128i v)
{
    v = _mm_add_epi32(v, _mm_srli_si128(v, 8));
    v = _mm_add_epi32(v, _mm_srli_si128(v, 4));
    return (uint32_t)_mm_cvtsi128_si32(v);
}

/* vpass's 16-wide row, compared instead of stored. */
static inline uint32_t v16_sse(const uint8_t *a, ptrdiff_t as, const uint8_t *src, ptrdiff_t ss,
                               int f, int four)
{
    const filt6 k = make_filt6(f);
    __m128i acc = _mm_setzero_si128();
    for (int y = 0; y < 16; y++, src += ss, a += as)
        acc = sse_acc16(acc, vrow16(src, ss, &k, four), load16(a));
    return hsum32(acc);
}

static uint32_t sixtap_v16_sse_ssse3(const uint8_t *a, ptrdiff_t as, const uint8_t *p,
                                     ptrdiff_t ps, int my)
{
    return my & 1 ? v16_sse(a, as, p, ps, my, 1) : v16_sse(a, as, p, ps, my, 0);
}

/* One function per block size (8x4: two 4x4 subblocks with one vector). */
#define SUBPEL(kind, name, w, h)                                                               \
    static void kind##name##_ssse3(uint8_t *dst, ptrdiff_t ds, const uint8_t *src,             \
                                   ptrdiff_t ss, int mx, int my)                               \
    {                                                                                          \
        kind##_ssse3(dst, ds, src, ss, w, h, mx, my);                                          \
    }
SUBPEL(sixtap, 16, 16, 16)
SUBPEL(sixtap, 8, 8, 8)
SUBPEL(sixtap, 4, 4, 4)
SUBPEL(sixtap, 8x4, 8, 4)
SUBPEL(bilinear, 16, 16, 16)
SUBPEL(bilinear, 8, 8, 8)
SUBPEL(bilinear, 4, 4, 4)
SUBPEL(bilinear, 8x4, 8, 4)

void vp8_dsp_init_inter_ssse3(vp8_dsp *d)
{
    d->sixtap[VP8_PRED_16x16] = sixtap16_ssse3;
    d->sixtap[VP8_PRED_8x8] = sixtap8_ssse3;
    d->sixtap[VP8_PRED_4x4] = sixtap4_ssse3;
    d->sixtap[VP8_PRED_8x4] = sixtap8x4_ssse3;
    d->sixtap_h16 = sixtap_h16_ssse3;
    d->sixtap_v16_sse = sixtap_v16_sse_ssse3;
    d->bilinear[VP8_PRED_16x16] = bilinear16_ssse3;
    d->bilinear[VP8_PRED_8x8] = bilinear8_ssse3;
    d->bilinear[VP8_PRED_4x4] = bilinear4_ssse3;
    d->bilinear[VP8_PRED_8x4] = bilinear8x4_ssse3;
}

EXCAM_TARGET_END
#else
typedef int excam_dsp_unused; /* ISO C forbids an empty translation unit */
#endif
