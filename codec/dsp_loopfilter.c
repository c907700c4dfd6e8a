/* Loop-filter edge kernels: normal (RFC 6386 §15.3) and simple (§15.2), C references. */
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "dsp_common.h"

/* §15 */
static inline int sc(int v) { return v < -128 ? -128 : v > 127 ? 127 : v; }
static inline int u2s(uint8_t v) { return (int)v - 128; }
static inline uint8_t s2u(int v) { return (uint8_t)(sc(v) + 128); }

static inline int normal_mask(int I, int E, int p3, int p2, int p1, int p0, int q0, int q1, int q2, int q3)
{
    return abs(p3 - p2) <= I && abs(p2 - p1) <= I && abs(p1 - p0) <= I && abs(q1 - q0) <= I &&
           abs(q2 - q1) <= I && abs(q3 - q2) <= I && abs(p0 - q0) * 2 + abs(p1 - q1) / 2 <= E;
}

static inline void lf_common(uint8_t *p, ptrdiff_t step, int use_outer_taps)
{
    int p1 = u2s(p[-2 * step]), p0 = u2s(p[-step]), q0 = u2s(p[0]), q1 = u2s(p[step]);
    int a = sc((use_outer_taps ? sc(p1 - q1) : 0) + 3 * (q0 - p0));
    int F1 = sc(a + 4) >> 3, F2 = sc(a + 3) >> 3;
    p[0] = s2u(q0 - F1);
    p[-step] = s2u(p0 + F2);
    (void)q1;
}

static void lf_inner(uint8_t *dst, ptrdiff_t across, ptrdiff_t along, int count, int E, int I, int hev_t)
{
    for (int i = 0; i < count; i++, dst += along) {
        uint8_t *p = dst;
        int p3 = p[-4 * across], p2 = p[-3 * across], p1 = p[-2 * across], p0 = p[-across];
        int q0 = p[0], q1 = p[across], q2 = p[2 * across], q3 = p[3 * across];
        if (!normal_mask(I, E, p3, p2, p1, p0, q0, q1, q2, q3))
            continue;
        int hev = abs(p1 - p0) > hev_t || abs(q1 - q0) > hev_t;
        int sp1 = u2s((uint8_t)p1), sp0 = u2s((uint8_t)p0), sq0 = u2s((uint8_t)q0), sq1 = u2s((uint8_t)q1);
        int a = sc((hev ? sc(sp1 - sq1) : 0) + 3 * (sq0 - sp0));
        int F1 = sc(a + 4) >> 3, F2 = sc(a + 3) >> 3;
        p[0] = s2u(sq0 - F1);
        p[-across] = s2u(sp0 + F2);
        if (!hev) {
            a = (F1 + 1) >> 1;
            p[across] = s2u(sq1 - a);
            p[-2 * across] = s2u(sp1 + a);
        }
    }
}

static void lf_mbedge(uint8_t *dst, ptrdiff_t across, ptrdiff_t along, int count, int E, int I, int hev_t)
{
    for (int i = 0; i < count; i++, dst += along) {
        uint8_t *p = dst;
        int p3 = p[-4 * across], p2 = p[-3 * across], p1 = p[-2 * across], p0 = p[-across];
        int q0 = p[0], q1 = p[across], q2 = p[2 * across], q3 = p[3 * across];
        if (!normal_mask(I, E, p3, p2, p1, p0, q0, q1, q2, q3))
            continue;
        int hev = abs(p1 - p0) > hev_t || abs(q1 - q0) > hev_t;
        int sp2 = u2s((uint8_t)p2), sp1 = u2s((uint8_t)p1), sp0 = u2s((uint8_t)p0);
        int sq0 = u2s((uint8_t)q0), sq1 = u2s((uint8_t)q1), sq2 = u2s((uint8_t)q2);
        if (hev) {
            int a = sc(sc(sp1 - sq1) + 3 * (sq0 - sp0));
            int F1 = sc(a + 4) >> 3, F2 = sc(a + 3) >> 3;
            p[0] = s2u(sq0 - F1);
            p[-across] = s2u(sp0 + F2);
        } else {
            int w = sc(sc(sp1 - sq1) + 3 * (sq0 - sp0));
            int a = sc((27 * w + 63) >> 7);
            p[0] = s2u(sq0 - a); p[-across] = s2u(sp0 + a);
            a = sc((18 * w + 63) >> 7);
            p[across] = s2u(sq1 - a); p[-2 * across] = s2u(sp1 + a);
            a = sc((9 * w + 63) >> 7);
            p[2 * across] = s2u(sq2 - a); p[-3 * across] = s2u(sp2 + a);
        }
    }
}

static void lf_simple(uint8_t *dst, ptrdiff_t across, ptrdiff_t along, int count, int E)
{
    for (int i = 0; i < count; i++, dst += along) {
        int p1 = dst[-2 * across], p0 = dst[-across], q0 = dst[0], q1 = dst[across];
        if (abs(p0 - q0) * 2 + abs(p1 - q1) / 2 > E)
            continue;
        lf_common(dst, across, 1);
    }
}

static void lf_mbedge_h_c(uint8_t *d, ptrdiff_t s, int n, int E, int I, int h) { lf_mbedge(d, s, 1, n, E, I, h); }
static void lf_mbedge_v_c(uint8_t *d, ptrdiff_t s, int n, int E, int I, int h) { lf_mbedge(d, 1, s, n, E, I, h); }
static void lf_inner_h_c(uint8_t *d, ptrdiff_t s, int n, int E, int I, int h) { lf_inner(d, s, 1, n, E, I, h); }
static void lf_inner_v_c(uint8_t *d, ptrdiff_t s, int n, int E, int I, int h) { lf_inner(d, 1, s, n, E, I, h); }
#define LF_UV(name, fn)                                                                      \
    static void name(uint8_t *u, uint8_t *v, ptrdiff_t s, int E, int I, int h)               \
    {                                                                                        \
        fn(u, s, 8, E, I, h);                                                                \
        fn(v, s, 8, E, I, h);                                                                \
    }
LF_UV(lf_mbedge_uv_h_c, lf_mbedge_h_c)
LF_UV(lf_mbedge_uv_v_c, lf_mbedge_v_c)
LF_UV(lf_inner_uv_h_c, lf_inner_h_c)
LF_UV(lf_inner_uv_v_c, lf_inner_v_c)
static void lf_simple_h_c(uint8_t *d, ptrdiff_t s, int n, int E) { lf_simple(d, s, 1, n, E); }
static void lf_simple_v_c(uint8_t *d, ptrdiff_t s, int n, int E) { lf_simple(d, 1, s, n, E); }

/* §15.1 order: left edge, inner vertical edges, top edge, inner horizontal edges. */
static void lf_normal_mb_c(uint8_t *y, uint8_t *u, uint8_t *v, ptrdiff_t ys, ptrdiff_t uvs,
                           int edges, int mbE, int subE, int I, int T)
{
    if (edges & VP8_LF_LEFT) {
        lf_mbedge_v_c(y, ys, 16, mbE, I, T);
        lf_mbedge_uv_v_c(u, v, uvs, mbE, I, T);
    }
    if (edges & VP8_LF_INNER) {
        for (int x = 4; x < 16; x += 4)
            lf_inner_v_c(y + x, ys, 16, subE, I, T);
        lf_inner_uv_v_c(u + 4, v + 4, uvs, subE, I, T);
    }
    if (edges & VP8_LF_TOP) {
        lf_mbedge_h_c(y, ys, 16, mbE, I, T);
        lf_mbedge_uv_h_c(u, v, uvs, mbE, I, T);
    }
    if (edges & VP8_LF_INNER) {
        for (int r = 4; r < 16; r += 4)
            lf_inner_h_c(y + r * ys, ys, 16, subE, I, T);
        lf_inner_uv_h_c(u + 4 * uvs, v + 4 * uvs, uvs, subE, I, T);
    }
}

static void lf_simple_mb_c(uint8_t *y, ptrdiff_t s, int edges, int mbE, int subE)
{
    if (edges & VP8_LF_LEFT)
        lf_simple_v_c(y, s, 16, mbE);
    if (edges & VP8_LF_INNER)
        for (int x = 4; x < 16; x += 4)
            lf_simple_v_c(y + x, s, 16, subE);
    if (edges & VP8_LF_TOP)
        lf_simple_h_c(y, s, 16, mbE);
    if (edges & VP8_LF_INNER)
        for (int r = 4; r < 16; r += 4)
            lf_simple_h_c(y + r * s, s, 16, subE);
}

void vp8_dsp_init_loopfilter_c(vp8_dsp *d)
{
    d->lf_mbedge_h = lf_mbedge_h_c;
    d->lf_mbedge_v = lf_mbedge_v_c;
    d->lf_inner_h = lf_inner_h_c;
    d->lf_inner_v = lf_inner_v_c;
    d->lf_mbedge_uv_h = lf_mbedge_uv_h_c;
    d->lf_mbedge_uv_v = lf_mbedge_uv_v_c;
    d->lf_inner_uv_h = lf_inner_uv_h_c;
    d->lf_inner_uv_v = lf_inner_uv_v_c;
    d->lf_simple_h = lf_simple_h_c;
    d->lf_simple_v = lf_simple_v_c;
    d->lf_normal_mb = lf_normal_mb_c;
    d->lf_simple_mb = lf_simple_mb_c;
}
