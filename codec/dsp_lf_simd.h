/*
 * The loop filters' lane arithmetic (RFC 6386 §15.2, §15.3), written once for any x86
 * vector width: dsp_lf_sse2.c includes it with 128-bit vectors and dsp_lf_avx2.c with
 * 256-bit ones. Every operation is lane-wise (AVX2's unpack and pack work within each
 * 128-bit half, and each unpack is undone by the pack of the same half), so a 256-bit
 * vector is simply two 16-lane edges at once.
 *
 * The includer defines, before including this file:
 *   V                 the vector type
 *   V_OP(op)          the intrinsic for an element operation (_mm_##op or _mm256_##op)
 *   V_AND, V_ANDNOT, V_OR, V_XOR, V_ZERO()   the whole-vector operations
 *   LF_INLINE         static inline, forced where the compiler supports it
 */
#ifndef EXCAM_CODEC_DSP_LF_SIMD_H /* once per translation unit */
#define EXCAM_CODEC_DSP_LF_SIMD_H

static inline V absdiff_u8(V a, V b) { return V_OR(V_OP(subs_epu8)(a, b), V_OP(subs_epu8)(b, a)); }

/* Arithmetic shift right by 3 of signed bytes. */
static inline V sra3_epi8(V x)
{
    V lo = V_OP(srai_epi16)(V_OP(unpacklo_epi8)(x, x), 11);
    V hi = V_OP(srai_epi16)(V_OP(unpackhi_epi8)(x, x), 11);
    return V_OP(packs_epi16)(lo, hi);
}

/* 0xff where |p0-q0|*2 + |p1-q1|/2 <= E (saturation is harmless: E <= 193). */
static inline V edge_mask(V p1, V p0, V q0, V q1, V E)
{
    V a = absdiff_u8(p0, q0), b = absdiff_u8(p1, q1);
    a = V_OP(adds_epu8)(a, a);
    b = V_AND(V_OP(srli_epi16)(b, 1), V_OP(set1_epi8)(0x7f));
    return V_OP(cmpeq_epi8)(V_OP(subs_epu8)(V_OP(adds_epu8)(a, b), E), V_ZERO());
}

typedef struct { V p3, p2, p1, p0, q0, q1, q2, q3; } lf_pixels;

/* The §15.3 filter mask (0xff: filter the lane) and the lanes without high edge variance
 * (0xff where max(|p1 - p0|, |q1 - q0|) <= T), sharing the two differences. */
static inline V normal_mask(const lf_pixels *v, V E, V I, V T, V *not_hev)
{
    V dp = absdiff_u8(v->p1, v->p0), dq = absdiff_u8(v->q1, v->q0);
    V h = V_OP(max_epu8)(dp, dq);
    V m = V_OP(max_epu8)(absdiff_u8(v->p3, v->p2), absdiff_u8(v->p2, v->p1));
    m = V_OP(max_epu8)(m, absdiff_u8(v->q2, v->q1));
    m = V_OP(max_epu8)(m, absdiff_u8(v->q3, v->q2));
    m = V_OP(max_epu8)(m, h);
    *not_hev = V_OP(cmpeq_epi8)(V_OP(subs_epu8)(h, T), V_ZERO());
    m = V_OP(cmpeq_epi8)(V_OP(subs_epu8)(m, I), V_ZERO());
    return V_AND(m, edge_mask(v->p1, v->p0, v->q0, v->q1, E));
}

/* clamp(f + 3 * (q0 - p0)): repeated saturating adds give the clamped exact value. */
static inline V add_3x(V f, V ps0, V qs0)
{
    V d = V_OP(subs_epi8)(qs0, ps0);
    return V_OP(adds_epi8)(V_OP(adds_epi8)(V_OP(adds_epi8)(f, d), d), d);
}

/* clamp((63 + w * k) >> 7) for signed bytes w. */
static inline V wide_tap(V w, int k)
{
    V kk = V_OP(set1_epi16)((short)k), r = V_OP(set1_epi16)(63);
    V lo = V_OP(srai_epi16)(V_OP(unpacklo_epi8)(w, w), 8);
    V hi = V_OP(srai_epi16)(V_OP(unpackhi_epi8)(w, w), 8);
    lo = V_OP(srai_epi16)(V_OP(add_epi16)(V_OP(mullo_epi16)(lo, kk), r), 7);
    hi = V_OP(srai_epi16)(V_OP(add_epi16)(V_OP(mullo_epi16)(hi, kk), r), 7);
    return V_OP(packs_epi16)(lo, hi);
}

/* §15.3: the macroblock-edge filter (mbedge: p2..q2 change) or the subblock-edge filter
 * (p1..q1 change) on every lane, with the edge limit E, interior limit I and high edge
 * variance threshold T. */
LF_INLINE void filter_normal(lf_pixels *v, int E, int I, int T, int mbedge)
{
    const V sign = V_OP(set1_epi8)((char)0x80);
    V not_hev;
    V mask = normal_mask(v, V_OP(set1_epi8)((char)E), V_OP(set1_epi8)((char)I),
                         V_OP(set1_epi8)((char)T), &not_hev);
    V ps1 = V_XOR(v->p1, sign), ps0 = V_XOR(v->p0, sign);
    V qs0 = V_XOR(v->q0, sign), qs1 = V_XOR(v->q1, sign);
    V f1, f2, w;

    if (mbedge) {
        V ps2 = V_XOR(v->p2, sign), qs2 = V_XOR(v->q2, sign), a;
        w = V_AND(add_3x(V_OP(subs_epi8)(ps1, qs1), ps0, qs0), mask);
        f2 = V_ANDNOT(not_hev, w);
        f1 = sra3_epi8(V_OP(adds_epi8)(f2, V_OP(set1_epi8)(4)));
        f2 = sra3_epi8(V_OP(adds_epi8)(f2, V_OP(set1_epi8)(3)));
        qs0 = V_OP(subs_epi8)(qs0, f1);
        ps0 = V_OP(adds_epi8)(ps0, f2);
        w = V_AND(not_hev, w);
        a = wide_tap(w, 27);
        qs0 = V_OP(subs_epi8)(qs0, a);
        ps0 = V_OP(adds_epi8)(ps0, a);
        a = wide_tap(w, 18);
        qs1 = V_OP(subs_epi8)(qs1, a);
        ps1 = V_OP(adds_epi8)(ps1, a);
        a = wide_tap(w, 9);
        v->q2 = V_XOR(V_OP(subs_epi8)(qs2, a), sign);
        v->p2 = V_XOR(V_OP(adds_epi8)(ps2, a), sign);
    } else {
        V a, lo, hi, one = V_OP(set1_epi16)(1);
        w = V_ANDNOT(not_hev, V_OP(subs_epi8)(ps1, qs1));
        w = V_AND(add_3x(w, ps0, qs0), mask);
        f1 = sra3_epi8(V_OP(adds_epi8)(w, V_OP(set1_epi8)(4)));
        f2 = sra3_epi8(V_OP(adds_epi8)(w, V_OP(set1_epi8)(3)));
        qs0 = V_OP(subs_epi8)(qs0, f1);
        ps0 = V_OP(adds_epi8)(ps0, f2);
        /* (f1 + 1) >> 1 on the lanes without high edge variance */
        lo = V_OP(srai_epi16)(V_OP(unpacklo_epi8)(f1, f1), 8);
        hi = V_OP(srai_epi16)(V_OP(unpackhi_epi8)(f1, f1), 8);
        lo = V_OP(srai_epi16)(V_OP(add_epi16)(lo, one), 1);
        hi = V_OP(srai_epi16)(V_OP(add_epi16)(hi, one), 1);
        a = V_AND(not_hev, V_OP(packs_epi16)(lo, hi));
        qs1 = V_OP(subs_epi8)(qs1, a);
        ps1 = V_OP(adds_epi8)(ps1, a);
    }
    v->q0 = V_XOR(qs0, sign);
    v->p0 = V_XOR(ps0, sign);
    v->q1 = V_XOR(qs1, sign);
    v->p1 = V_XOR(ps1, sign);
}

/* §15.2: the simple filter: the common adjustment with the outer taps where
 * |p0 - q0| * 2 + |p1 - q1| / 2 <= E. */
LF_INLINE void filter_simple(V p1, V *p0, V *q0, V q1, int E)
{
    const V sign = V_OP(set1_epi8)((char)0x80);
    V mask = edge_mask(p1, *p0, *q0, q1, V_OP(set1_epi8)((char)E));
    V ps1 = V_XOR(p1, sign), ps0 = V_XOR(*p0, sign);
    V qs0 = V_XOR(*q0, sign), qs1 = V_XOR(q1, sign);
    V a = V_AND(add_3x(V_OP(subs_epi8)(ps1, qs1), ps0, qs0), mask);
    V f1 = sra3_epi8(V_OP(adds_epi8)(a, V_OP(set1_epi8)(4)));
    V f2 = sra3_epi8(V_OP(adds_epi8)(a, V_OP(set1_epi8)(3)));
    *q0 = V_XOR(V_OP(subs_epi8)(qs0, f1), sign);
    *p0 = V_XOR(V_OP(adds_epi8)(ps0, f2), sign);
}

/* The normal filter on the edge between x[e - 1] and x[e] of 16 vectors. */
LF_INLINE void filter_vectors(V x[16], int e, int E, int I, int T, int mbedge)
{
    lf_pixels v = {x[e - 4], x[e - 3], x[e - 2], x[e - 1], x[e], x[e + 1], x[e + 2], x[e + 3]};
    filter_normal(&v, E, I, T, mbedge);
    x[e - 3] = v.p2; x[e - 2] = v.p1; x[e - 1] = v.p0;
    x[e] = v.q0; x[e + 1] = v.q1; x[e + 2] = v.q2;
}

/* Transposes, per 16-byte lane. Vertical edges are filtered on columns made vectors. */

/* 16x16 bytes transposed in place: four rounds of interleaving vector i with i + 8
 * (each round moves one bit of the column index into the row index). */
LF_INLINE void transpose16(V x[16])
{
    for (int round = 0; round < 4; round++) {
        V t[16];
        for (int i = 0; i < 8; i++) {
            t[2 * i] = V_OP(unpacklo_epi8)(x[i], x[i + 8]);
            t[2 * i + 1] = V_OP(unpackhi_epi8)(x[i], x[i + 8]);
        }
        for (int i = 0; i < 16; i++)
            x[i] = t[i];
    }
}

/* 16 rows of 8 bytes (the low half of each r[i]) -> 8 vectors, one per column. */
LF_INLINE void transpose_8x16(const V r[16], V o[8])
{
    V a[8], b[8], c[8];
    for (int i = 0; i < 8; i++)
        a[i] = V_OP(unpacklo_epi8)(r[2 * i], r[2 * i + 1]);
    for (int i = 0; i < 4; i++) {
        b[2 * i] = V_OP(unpacklo_epi16)(a[2 * i], a[2 * i + 1]);
        b[2 * i + 1] = V_OP(unpackhi_epi16)(a[2 * i], a[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        c[4 * i] = V_OP(unpacklo_epi32)(b[4 * i], b[4 * i + 2]);
        c[4 * i + 1] = V_OP(unpackhi_epi32)(b[4 * i], b[4 * i + 2]);
        c[4 * i + 2] = V_OP(unpacklo_epi32)(b[4 * i + 1], b[4 * i + 3]);
        c[4 * i + 3] = V_OP(unpackhi_epi32)(b[4 * i + 1], b[4 * i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        o[2 * i] = V_OP(unpacklo_epi64)(c[i], c[i + 4]);
        o[2 * i + 1] = V_OP(unpackhi_epi64)(c[i], c[i + 4]);
    }
}

/* Inverse of transpose_8x16 for the first 8 (halves = 1) or all 16 rows: c[i] holds
 * row 2i in its low 8 bytes and row 2i + 1 in its high 8 bytes. */
LF_INLINE void transpose_8x16_back(const V o[8], V c[8], int halves)
{
    for (int half = 0; half < halves; half++) {
        V a[4], b[4];
        for (int i = 0; i < 4; i++)
            a[i] = half ? V_OP(unpackhi_epi8)(o[2 * i], o[2 * i + 1])
                        : V_OP(unpacklo_epi8)(o[2 * i], o[2 * i + 1]);
        b[0] = V_OP(unpacklo_epi16)(a[0], a[1]);
        b[1] = V_OP(unpackhi_epi16)(a[0], a[1]);
        b[2] = V_OP(unpacklo_epi16)(a[2], a[3]);
        b[3] = V_OP(unpackhi_epi16)(a[2], a[3]);
        c[4 * half] = V_OP(unpacklo_epi32)(b[0], b[2]);
        c[4 * half + 1] = V_OP(unpackhi_epi32)(b[0], b[2]);
        c[4 * half + 2] = V_OP(unpacklo_epi32)(b[1], b[3]);
        c[4 * half + 3] = V_OP(unpackhi_epi32)(b[1], b[3]);
    }
}

#endif /* EXCAM_CODEC_DSP_LF_SIMD_H */
