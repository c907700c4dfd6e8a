/*
 * Every kernel of the DSP table (codec/dsp.h) against its plain-C reference: the
 * table this CPU gets (vp8_dsp_init) and the C table (vp8_dsp_init_c) run on the
 * same random input, and every output byte must agree, including guard bytes around
 * the destination (a kernel must not write outside its block). Inputs are stressed
 * where the kernels branch: near-flat pixels with small steps so that the loop
 * filters' masks and high-edge-variance paths all trigger, full-range pixels, every
 * sub-pixel fraction, limits over the ranges the decoder uses, and coefficients up to
 * the extremes of int16.
 *
 * usage: test_dsp [ITERATIONS]   (default 3000 per kernel and case)
 * Exit status: 0 all match, 1 a mismatch (kernel, case and byte printed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "enc.h"
#include "tables.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static int rnd_range(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

/* A picture area: STRIDE is deliberately not a multiple of 16. */
#define STRIDE 77
#define ROWS 48
#define AREA (STRIDE * ROWS)

static uint8_t src[AREA], dst_ref[AREA], dst_opt[AREA], dst2_ref[AREA], dst2_opt[AREA];

/* Fill with one of several pixel distributions. */
static void fill(uint8_t *p, size_t n, int kind)
{
    int base = rnd_range(0, 255);
    for (size_t i = 0; i < n; i++) {
        int v;
        switch (kind) {
        case 0: v = (int)(rnd() & 255); break;                 /* full range */
        case 1: v = base + rnd_range(-3, 3); break;            /* near flat: filters fire */
        case 2: v = base + rnd_range(-12, 12); break;          /* mild texture */
        default: v = (rnd() & 1) ? 0 : 255; break;             /* extremes */
        }
        p[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

static long cases, mismatches;
static int kernels; /* entries of the kernel table (test_table) */

static int compare(const char *kernel, long iter, const uint8_t *ref, const uint8_t *opt,
                   size_t n)
{
    cases++;
    for (size_t i = 0; i < n; i++)
        if (ref[i] != opt[i]) {
            printf("MISMATCH %s, case %ld: byte %zu (row %zu, col %zu): C %d, optimized %d\n",
                   kernel, iter, i, i / STRIDE, i % STRIDE, ref[i], opt[i]);
            mismatches++;
            return 1;
        }
    return 0;
}

static void report_kernel(const char *name, const void *c, const void *opt, const void *below)
{
    printf("  %-18s %s\n", name,
           c == opt ? "C (same function)" : opt == below ? "as the level below" : "new at this level, vs C");
}

/* ------------------------------------------------------------ transforms */

static void rand_coeffs(int16_t *c, int kind)
{
    /* kind 5: the first row only, so that the inverse DCT's first pass gives four
     * equal rows of about `big`, whose second pass is near the limits of 16 bits. */
    int big = rnd_range(6000, 12000) * ((rnd() & 1) ? 1 : -1);
    for (int i = 0; i < 16; i++) {
        switch (kind) {
        case 0: c[i] = (int16_t)rnd_range(-2048, 2047); break;
        case 1: c[i] = (rnd() % 4) ? 0 : (int16_t)rnd_range(-300, 300); break;
        case 2: c[i] = (int16_t)((rnd() & 1) ? 32767 : -32768); break; /* int16 extremes */
        /* Large but not extreme: the inverse DCT's intermediate values reach the limits
         * of 16 bits (its SIMD versions must notice). */
        case 3: c[i] = (int16_t)rnd_range(-8192, 8191); break;
        case 4: c[i] = (int16_t)(i == 0 || i == 1 || i == 4 || i == 5 ? rnd_range(-16384, 16383)
                                                                      : rnd_range(-64, 64)); break;
        default: c[i] = (int16_t)(i < 4 ? big + rnd_range(-300, 300) : 0); break;
        }
    }
}

static int test_transforms(const vp8_dsp *c, const vp8_dsp *o, int iters)
{
    int bad = 0;
    for (long it = 0; it < iters && !bad; it++) {
        int16_t in[16], out_ref[16 * 16], out_opt[16 * 16];
        rand_coeffs(in, it % 6);
        memset(out_ref, 0x55, sizeof(out_ref));
        memset(out_opt, 0x55, sizeof(out_opt));
        c->iwht(in, out_ref);
        o->iwht(in, out_opt);
        bad |= compare("iwht", it, (uint8_t *)out_ref, (uint8_t *)out_opt, sizeof(out_ref));

        fill(dst_ref, AREA, (int)(it % 4));
        memcpy(dst_opt, dst_ref, AREA);
        int off = rnd_range(0, 8) * STRIDE + rnd_range(0, STRIDE - 4);
        c->idct_add(in, dst_ref + off, STRIDE);
        o->idct_add(in, dst_opt + off, STRIDE);
        bad |= compare("idct_add", it, dst_ref, dst_opt, AREA);

        int dc = it % 6 == 2 ? ((rnd() & 1) ? 32767 : -32768) : rnd_range(-4096, 4095);
        c->idct_dc_add(dc, dst_ref + off, STRIDE);
        o->idct_dc_add(dc, dst_opt + off, STRIDE);
        bad |= compare("idct_dc_add", it, dst_ref, dst_opt, AREA);

        /* Four DCs at once: each anywhere in the int16 range now and then (the clamp),
         * rows of 16 coefficients whose other values must be ignored. */
        int16_t dcs[4][16];
        for (int b = 0; b < 4; b++) {
            for (int i = 0; i < 16; i++)
                dcs[b][i] = (int16_t)rnd_range(-2000, 2000);
            dcs[b][0] = (int16_t)((rnd() & 7) == 0 ? ((rnd() & 1) ? 32767 : -32768)
                                                   : rnd_range(-4096, 4095));
        }
        off = rnd_range(0, ROWS - 8) * STRIDE + rnd_range(0, STRIDE - 16);
        c->idct_dc_add_y4((const int16_t (*)[16])dcs, dst_ref + off, STRIDE);
        o->idct_dc_add_y4((const int16_t (*)[16])dcs, dst_opt + off, STRIDE);
        bad |= compare("idct_dc_add_y4", it, dst_ref, dst_opt, AREA);
        c->idct_dc_add_uv4((const int16_t (*)[16])dcs, dst_ref + off, STRIDE);
        o->idct_dc_add_uv4((const int16_t (*)[16])dcs, dst_opt + off, STRIDE);
        bad |= compare("idct_dc_add_uv4", it, dst_ref, dst_opt, AREA);
    }
    return bad;
}

/* ------------------------------------------------------------ inter prediction */

/* Sub-pixel sources: the kinds of fill(), and kind 4: 0 or 255 by a random bit per
 * column (every row the same) or per row, so that one pass of a 2-D filter sees a
 * flat input (its output is the input) and the other exact extremes: the sums of the
 * taps of one sign, where 16-bit SIMD sums must not overflow (RFC 6386 §18.3 filters
 * reach 255 * 160 with the negative taps on 0). */
static void fill_subpel(int kind)
{
    if (kind < 4) {
        fill(src, AREA, kind);
        return;
    }
    int by_row = (int)(rnd() & 1);
    uint8_t bits[STRIDE > ROWS ? STRIDE : ROWS];
    for (size_t i = 0; i < sizeof(bits); i++)
        bits[i] = (rnd() & 1) ? 255 : 0;
    for (int y = 0; y < ROWS; y++)
        for (int x = 0; x < STRIDE; x++)
            src[y * STRIDE + x] = bits[by_row ? y : x];
}

/* Every size, filter and (mx, my) pair (mx = 0 or my = 0 included: the one-pass and
 * copy cases), on every kind of source; the source is read in place (stride STRIDE)
 * or, in half the cases at random, through a copy of exactly the pixels the C
 * reference reads (rows and columns -2 .. n+2 for the six-tap, 0 .. n for the
 * bilinear) in a buffer of its own, so that a read outside them fails under ASan. */
static int test_subpel(const vp8_dsp *c, const vp8_dsp *o, int iters)
{
    static const char *names[2][4] = {{"sixtap16", "sixtap8", "sixtap4", "sixtap8x4"},
                                      {"bilinear16", "bilinear8", "bilinear4", "bilinear8x4"}};
    static const int width[4] = {16, 8, 4, 8}, height[4] = {16, 8, 4, 4};
    int bad = 0;
    for (int filt = 0; filt < 2; filt++)
        for (int s = 0; s < 4; s++)
            for (long it = 0; it < iters && !bad; it++) {
                vp8_subpel_fn fc = filt ? c->bilinear[s] : c->sixtap[s];
                vp8_subpel_fn fo = filt ? o->bilinear[s] : o->sixtap[s];
                int mx = (int)(it % 8), my = (int)((it / 8) % 8), w = width[s], h = height[s];
                fill_subpel((int)(it / 64) % 5);
                fill(dst_ref, AREA, 0);
                memcpy(dst_opt, dst_ref, AREA);
                /* Source block with room for 2 rows/cols before and 3 after. */
                int sx = rnd_range(2, STRIDE - w - 3), sy = rnd_range(2, ROWS - h - 3);
                int dx = rnd_range(0, STRIDE - w), dy = rnd_range(0, ROWS - h);
                const uint8_t *sp = src + sy * STRIDE + sx;
                ptrdiff_t ss = STRIDE;
                uint8_t *tight = NULL;
                if (rnd() & 1) { /* exactly the pixels the reference reads */
                    int before = filt ? 0 : 2, spanw = filt ? w + 1 : w + 5;
                    int spanh = filt ? h + 1 : h + 5;
                    tight = malloc((size_t)(spanw * spanh));
                    if (!tight) {
                        printf("out of memory\n");
                        return 1;
                    }
                    for (int y = 0; y < spanh; y++)
                        memcpy(tight + y * spanw, sp + (y - before) * STRIDE - before, (size_t)spanw);
                    sp = tight + before * spanw + before;
                    ss = spanw;
                }
                fc(dst_ref + dy * STRIDE + dx, STRIDE, sp, ss, mx, my);
                fo(dst_opt + dy * STRIDE + dx, STRIDE, sp, ss, mx, my);
                free(tight);
                bad |= compare(names[filt][s], it, dst_ref, dst_opt, AREA);
            }
    return bad;
}

/* The six-tap's passes apart (sixtap_h16, sixtap_v16_sse): every fraction, any row
 * count, the source now and then in a buffer of exactly the pixels the reference reads
 * (so that an over-read fails under ASan). */
static int test_sixtap_passes(const vp8_dsp *c, const vp8_dsp *o, int iters)
{
    int bad = 0;
    for (long it = 0; it < iters && !bad; it++) {
        int f = 1 + (int)(it % 7), rows = rnd_range(1, 24), tight = (int)(rnd() & 1);
        fill_subpel((int)(it / 7) % 5);
        fill(dst_ref, AREA, 0);
        memcpy(dst_opt, dst_ref, AREA);
        /* sixtap_h16: columns -2 .. 18 of each row. */
        const uint8_t *sp = src + rnd_range(0, ROWS - rows) * STRIDE + rnd_range(2, STRIDE - 19);
        ptrdiff_t ss = STRIDE;
        uint8_t *buf = NULL;
        if (tight) {
            buf = malloc((size_t)(21 * rows));
            if (!buf) return 1;
            for (int y = 0; y < rows; y++)
                memcpy(buf + 21 * y, sp + y * STRIDE - 2, 21);
            sp = buf + 2;
            ss = 21;
        }
        uint8_t *d = dst_ref + rnd_range(0, ROWS - rows) * STRIDE + rnd_range(0, STRIDE - 16);
        c->sixtap_h16(d, STRIDE, sp, ss, f, rows);
        o->sixtap_h16(dst_opt + (d - dst_ref), STRIDE, sp, ss, f, rows);
        free(buf);
        bad |= compare("sixtap_h16", it, dst_ref, dst_opt, AREA);

        /* sixtap_v16_sse: rows -2 .. 18, columns 0 .. 15. */
        const uint8_t *a = dst_ref + rnd_range(0, ROWS - 16) * STRIDE + rnd_range(0, STRIDE - 16);
        sp = src + rnd_range(2, ROWS - 19) * STRIDE + rnd_range(0, STRIDE - 16);
        ss = STRIDE;
        buf = NULL;
        if (tight) {
            buf = malloc(21 * 16);
            if (!buf) return 1;
            for (int y = 0; y < 21; y++)
                memcpy(buf + 16 * y, sp + (y - 2) * STRIDE, 16);
            sp = buf + 2 * 16;
            ss = 16;
        }
        uint32_t rc = c->sixtap_v16_sse(a, STRIDE, sp, ss, f),
                 ro = o->sixtap_v16_sse(a, STRIDE, sp, ss, f);
        free(buf);
        cases++;
        if (rc != ro) {
            printf("MISMATCH sixtap_v16_sse (%d), case %ld: C %u, optimized %u\n", f, it, rc, ro);
            mismatches++;
            bad = 1;
        }
    }
    return bad;
}

/* The C passes against their definition: sixtap[VP8_PRED_16x16] and sse[VP8_PRED_16x16]
 * (one pass or both, every fraction). */
static int test_sixtap_passes_ref(const vp8_dsp *c, int iters)
{
    int bad = 0;
    for (long it = 0; it < iters && !bad; it++) {
        uint8_t pred[16 * 16], h[21 * 16];
        int mx = (int)(it % 8), my = 1 + (int)((it / 8) % 7);
        fill_subpel((int)(it / 56) % 5);
        fill(dst_ref, AREA, (int)(it / 4) % 4);
        const uint8_t *a = dst_ref + rnd_range(0, ROWS - 16) * STRIDE + rnd_range(0, STRIDE - 16);
        const uint8_t *r = src + rnd_range(2, ROWS - 19) * STRIDE + rnd_range(2, STRIDE - 19);
        c->sixtap[VP8_PRED_16x16](pred, 16, r, STRIDE, mx, my);
        uint32_t want = c->sse[VP8_PRED_16x16](a, STRIDE, pred, 16), got;
        if (mx) {
            c->sixtap_h16(h, 16, r - 2 * STRIDE, STRIDE, mx, 21);
            got = c->sixtap_v16_sse(a, STRIDE, h + 2 * 16, 16, my);
            c->sixtap[VP8_PRED_16x16](pred, 16, r, STRIDE, mx, 0);
            cases++;
            if (memcmp(pred, h + 2 * 16, sizeof(pred))) {
                printf("MISMATCH sixtap_h16_c (%d), case %ld: not sixtap16's first pass\n", mx, it);
                mismatches++;
                bad = 1;
            }
        } else {
            got = c->sixtap_v16_sse(a, STRIDE, r, STRIDE, my);
        }
        cases++;
        if (got != want) {
            printf("MISMATCH sixtap_v16_sse_c (%d, %d), case %ld: %u, sixtap + sse %u\n", mx, my,
                   it, got, want);
            mismatches++;
            bad = 1;
        }
    }
    return bad;
}

/* ------------------------------------------------------------ loop filters */

/* Limits as the decoder derives them (RFC 6386 §15.2, §15.3): level 0..63,
 * sharpness 0..7 -> interior limit 1..63, edge limits from ((level + 2) * 2 + I)
 * (macroblock edges) and (level * 2 + I) (subblock edges), hev threshold 0..3. */
static void rand_limits(int *E, int *I, int *T, int mbedge)
{
    int level = rnd_range(0, 63), sharp = rnd_range(0, 7);
    int interior = level;
    if (sharp) {
        interior >>= sharp > 4 ? 2 : 1;
        if (interior > 9 - sharp) interior = 9 - sharp;
    }
    if (!interior) interior = 1;
    *I = interior;
    *E = mbedge ? (level + 2) * 2 + interior : level * 2 + interior;
    *T = rnd_range(0, 3);
}

static int test_loopfilters(const vp8_dsp *c, const vp8_dsp *o, int iters)
{
    int bad = 0;
    struct {
        const char *name;
        vp8_lf_normal_fn fc, fo;
        int mbedge, vertical;
    } normal[] = {
        {"lf_mbedge_h", c->lf_mbedge_h, o->lf_mbedge_h, 1, 0},
        {"lf_mbedge_v", c->lf_mbedge_v, o->lf_mbedge_v, 1, 1},
        {"lf_inner_h", c->lf_inner_h, o->lf_inner_h, 0, 0},
        {"lf_inner_v", c->lf_inner_v, o->lf_inner_v, 0, 1},
    };
    for (size_t k = 0; k < sizeof(normal) / sizeof(normal[0]); k++)
        for (long it = 0; it < iters && !bad; it++) {
            int E, I, T, count = (it & 1) ? 16 : 8;
            rand_limits(&E, &I, &T, normal[k].mbedge);
            fill(dst_ref, AREA, (int)(it / 2) % 4);
            memcpy(dst_opt, dst_ref, AREA);
            /* q0 at (row 8.., col 8..): 4 pixels on each side are in the area. */
            int off = rnd_range(8, ROWS - 24) * STRIDE + rnd_range(8, STRIDE - 24);
            normal[k].fc(dst_ref + off, STRIDE, count, E, I, T);
            normal[k].fo(dst_opt + off, STRIDE, count, E, I, T);
            bad |= compare(normal[k].name, it, dst_ref, dst_opt, AREA);
        }

    struct {
        const char *name;
        vp8_lf_uv_fn fc, fo;
        int mbedge;
    } uv[] = {
        {"lf_mbedge_uv_h", c->lf_mbedge_uv_h, o->lf_mbedge_uv_h, 1},
        {"lf_mbedge_uv_v", c->lf_mbedge_uv_v, o->lf_mbedge_uv_v, 1},
        {"lf_inner_uv_h", c->lf_inner_uv_h, o->lf_inner_uv_h, 0},
        {"lf_inner_uv_v", c->lf_inner_uv_v, o->lf_inner_uv_v, 0},
    };
    for (size_t k = 0; k < sizeof(uv) / sizeof(uv[0]); k++)
        for (long it = 0; it < iters && !bad; it++) {
            int E, I, T;
            rand_limits(&E, &I, &T, uv[k].mbedge);
            fill(dst_ref, AREA, (int)it % 4);
            fill(dst2_ref, AREA, (int)(it + 1) % 4);
            memcpy(dst_opt, dst_ref, AREA);
            memcpy(dst2_opt, dst2_ref, AREA);
            int off = rnd_range(8, ROWS - 16) * STRIDE + rnd_range(8, STRIDE - 16);
            uv[k].fc(dst_ref + off, dst2_ref + off, STRIDE, E, I, T);
            uv[k].fo(dst_opt + off, dst2_opt + off, STRIDE, E, I, T);
            bad |= compare(uv[k].name, it, dst_ref, dst_opt, AREA);
            bad |= compare(uv[k].name, it, dst2_ref, dst2_opt, AREA);
        }

    struct {
        const char *name;
        vp8_lf_simple_fn fc, fo;
        int mbedge;
    } simple[] = {
        {"lf_simple_h", c->lf_simple_h, o->lf_simple_h, 1},
        {"lf_simple_v", c->lf_simple_v, o->lf_simple_v, 1},
    };
    for (size_t k = 0; k < sizeof(simple) / sizeof(simple[0]); k++)
        for (long it = 0; it < iters && !bad; it++) {
            int E, I, T;
            rand_limits(&E, &I, &T, (int)(it & 1));
            fill(dst_ref, AREA, (int)(it / 2) % 4);
            memcpy(dst_opt, dst_ref, AREA);
            int off = rnd_range(8, ROWS - 24) * STRIDE + rnd_range(8, STRIDE - 24);
            int count = (it & 2) ? 16 : 8;
            simple[k].fc(dst_ref + off, STRIDE, count, E);
            simple[k].fo(dst_opt + off, STRIDE, count, E);
            bad |= compare(simple[k].name, it, dst_ref, dst_opt, AREA);
        }

    /* Whole macroblocks: every combination of edges, Y in dst_*, U and V side by side
     * in dst2_* (so a kernel that mixes up the planes or the strides differs). */
    for (long it = 0; it < iters && !bad; it++) {
        int E, I, T, sub, edges = (int)(it % 8);
        rand_limits(&E, &I, &T, 1);
        sub = E - 4 >= 0 ? E - 4 : 0; /* (level * 2 + I) for the same level */
        fill(dst_ref, AREA, (int)(it / 8) % 4);
        fill(dst2_ref, AREA, (int)(it / 8 + 1) % 4);
        memcpy(dst_opt, dst_ref, AREA);
        memcpy(dst2_opt, dst2_ref, AREA);
        int yo = rnd_range(8, ROWS - 24) * STRIDE + rnd_range(8, STRIDE - 24);
        int uo = rnd_range(8, ROWS - 16) * STRIDE + rnd_range(8, STRIDE / 2 - 16);
        int vo = uo + STRIDE / 2;
        if (it & 8) {
            c->lf_simple_mb(dst_ref + yo, STRIDE, edges, E, sub);
            o->lf_simple_mb(dst_opt + yo, STRIDE, edges, E, sub);
            bad |= compare("lf_simple_mb", it, dst_ref, dst_opt, AREA);
        } else {
            c->lf_normal_mb(dst_ref + yo, dst2_ref + uo, dst2_ref + vo, STRIDE, STRIDE, edges, E,
                            sub, I, T);
            o->lf_normal_mb(dst_opt + yo, dst2_opt + uo, dst2_opt + vo, STRIDE, STRIDE, edges, E,
                            sub, I, T);
            bad |= compare("lf_normal_mb", it, dst_ref, dst_opt, AREA);
            bad |= compare("lf_normal_mb", it, dst2_ref, dst2_opt, AREA);
        }
    }
    return bad;
}

/* ------------------------------------------------------------ intra prediction */

static int test_intra(const vp8_dsp *c, const vp8_dsp *o, int iters)
{
    int bad = 0;
    uint8_t edge[64], left[16];
    for (long it = 0; it < iters && !bad; it++) {
        int kind = (int)it % 4;
        fill(edge, sizeof(edge), kind);
        fill(left, sizeof(left), kind);
        const uint8_t *above = edge + 1; /* above[-1] is the top-left pixel */
        int mode = (int)(it / 4) % 4, ha = (int)(it / 16) & 1, hl = (int)(it / 32) & 1;
        int off = rnd_range(0, ROWS - 16) * STRIDE + rnd_range(0, STRIDE - 16);
        fill(dst_ref, AREA, 0);
        memcpy(dst_opt, dst_ref, AREA);
        c->pred16(dst_ref + off, STRIDE, mode, above, left, ha, hl);
        o->pred16(dst_opt + off, STRIDE, mode, above, left, ha, hl);
        bad |= compare("pred16", it, dst_ref, dst_opt, AREA);
        c->pred8(dst_ref + off, STRIDE, mode, above, left, ha, hl);
        o->pred8(dst_opt + off, STRIDE, mode, above, left, ha, hl);
        bad |= compare("pred8", it, dst_ref, dst_opt, AREA);
        int bmode = (int)it % VP8_NUM_BMODES;
        c->pred4(dst_ref + off, STRIDE, bmode, above, left);
        o->pred4(dst_opt + off, STRIDE, bmode, above, left);
        bad |= compare("pred4", it, dst_ref, dst_opt, AREA);
    }
    return bad;
}

/* ------------------------------------------------------------ encoder metrics */

static int test_metrics(const vp8_dsp *c, const vp8_dsp *o, int iters)
{
    static const int size[3] = {16, 8, 4};
    int bad = 0;
    for (long it = 0; it < iters && !bad; it++) {
        fill(src, AREA, (int)it % 4);
        fill(dst_ref, AREA, (int)(it / 4) % 4);
        int n = size[it % 3];
        const uint8_t *a = src + rnd_range(0, ROWS - n) * STRIDE + rnd_range(0, STRIDE - n);
        const uint8_t *b = dst_ref + rnd_range(0, ROWS - n) * STRIDE + rnd_range(0, STRIDE - n);
        uint32_t rc = c->sse[it % 3](a, STRIDE, b, STRIDE), ro = o->sse[it % 3](a, STRIDE, b, STRIDE);
        cases++;
        if (rc != ro) {
            printf("MISMATCH sse[%ld], case %ld: C %u, optimized %u\n", it % 3, it, rc, ro);
            mismatches++;
            bad = 1;
        }
        int w = size[(it / 3) % 3], h = size[(it / 9) % 3] >> ((it / 27) % 2);
        const uint8_t *sa = src + rnd_range(0, ROWS - 16) * STRIDE + rnd_range(0, STRIDE - 16);
        const uint8_t *sb = dst_ref + rnd_range(0, ROWS - 16) * STRIDE + rnd_range(0, STRIDE - 16);
        if ((rc = c->sad_wh(sa, STRIDE, sb, STRIDE, w, h)) !=
            (ro = o->sad_wh(sa, STRIDE, sb, STRIDE, w, h))) {
            printf("MISMATCH sad_wh %dx%d, case %ld: C %u, optimized %u\n", w, h, it, rc, ro);
            mismatches++;
            bad = 1;
        }
        /* sse_bilinear: w, h in {4, 8, 16}, every fraction; ref read one past the block. */
        w = size[(it / 3) % 3];
        h = size[(it / 9) % 3];
        int mx = (int)(it / 27) % 8, my = (int)(rnd() % 8);
        sb = dst_ref + rnd_range(0, ROWS - 17) * STRIDE + rnd_range(0, STRIDE - 17);
        cases++;
        if ((rc = c->sse_bilinear(sa, STRIDE, sb, STRIDE, mx, my, w, h)) !=
            (ro = o->sse_bilinear(sa, STRIDE, sb, STRIDE, mx, my, w, h))) {
            printf("MISMATCH sse_bilinear %dx%d (%d, %d), case %ld: C %u, optimized %u\n", w, h,
                   mx, my, it, rc, ro);
            mismatches++;
            bad = 1;
        }
    }
    return bad;
}

/* The C sse_bilinear against its definition: the C bilinear predictor (in 4x4 tiles,
 * which the filter's position invariance allows) and the C SSE. */
static int test_sse_bilinear_ref(const vp8_dsp *c, int iters)
{
    static const int size[3] = {16, 8, 4};
    int bad = 0;
    for (long it = 0; it < iters && !bad; it++) {
        uint8_t pred[16 * 16];
        fill(src, AREA, (int)it % 4);
        fill(dst_ref, AREA, (int)(it / 4) % 4);
        int w = size[it % 3], h = size[(it / 3) % 3], mx = (int)(it / 9) % 8, my = (int)(rnd() % 8);
        const uint8_t *a = src + rnd_range(0, ROWS - 16) * STRIDE + rnd_range(0, STRIDE - 16);
        const uint8_t *r = dst_ref + rnd_range(0, ROWS - 17) * STRIDE + rnd_range(0, STRIDE - 17);
        uint32_t want = 0;
        for (int y = 0; y < h; y += 4)
            for (int x = 0; x < w; x += 4) {
                c->bilinear[VP8_PRED_4x4](pred, 16, r + y * STRIDE + x, STRIDE, mx, my);
                want += c->sse[VP8_PRED_4x4](a + y * STRIDE + x, STRIDE, pred, 16);
            }
        uint32_t got = c->sse_bilinear(a, STRIDE, r, STRIDE, mx, my, w, h);
        cases++;
        if (got != want) {
            printf("MISMATCH sse_bilinear_c %dx%d (%d, %d), case %ld: %u, bilinear + sse %u\n", w,
                   h, mx, my, it, got, want);
            mismatches++;
            bad = 1;
        }
    }
    return bad;
}

/* ------------------------------------------------------------ encoder transform, quantizer */

/* Residuals (differences of two pixels, [-255, 255]) of several kinds. */
static int16_t rand_residual(int kind)
{
    switch (kind) {
    case 0: return (int16_t)rnd_range(-255, 255);
    case 1: return (int16_t)rnd_range(-8, 8);
    case 2: return (int16_t)((rnd() & 1) ? 255 : -255);
    default: return (int16_t)((rnd() % 3) ? 0 : (rnd() & 1) ? 255 : -255);
    }
}

static int test_fdct(const vp8_dsp *c, const vp8_dsp *o, int iters)
{
    static const int strides[] = {4, 8, 16, 5, 77};
    int bad = 0;
    for (long it = 0; it < iters && !bad; it++) {
        int16_t in[4 * 77], out_ref[24], out_opt[24];
        int st = strides[it % 5], kind = (int)(it / 5) % 5;
        for (int i = 0; i < 4 * 77; i++)
            in[i] = rand_residual(kind);
        if (kind == 4) { /* one pattern of the extremes per case, all 2^16 eventually */
            for (int i = 0; i < 16; i++)
                in[(i >> 2) * st + (i & 3)] = (int16_t)((it >> i) & 1 ? 255 : -255);
        }
        memset(out_ref, 0x55, sizeof(out_ref));
        memset(out_opt, 0x55, sizeof(out_opt));
        c->fdct4x4(in, st, out_ref + 4);
        o->fdct4x4(in, st, out_opt + 4);
        bad |= compare("fdct4x4", it, (uint8_t *)out_ref, (uint8_t *)out_opt, sizeof(out_ref));
    }
    return bad;
}

/* A quantizer as the encoder derives it from a step q (enc_quant.c), or (rarely) any
 * values within the kernel's contract (dsp.h). */
typedef struct { int16_t q[2], round[2], zbin[2]; uint32_t iq[2]; } test_quant;

static void rand_quant(test_quant *t, long it)
{
    static const int special[] = {1, 2, 3, 4, 5, 7, 8, 157, 284, 314, 440, 2048};
    for (int j = 0; j < 2; j++) {
        int q = it % 3 ? rnd_range(1, 440)
                       : special[rnd() % (sizeof(special) / sizeof(special[0]))];
        if (it % 17 == 5) q = rnd_range(1, 2048);
        t->q[j] = (int16_t)q;
        t->round[j] = (int16_t)((q * 48) >> 7);
        t->zbin[j] = (int16_t)(((j ? 84 : 80) * q + 64) >> 7);
        if (it % 13 == 7) { /* anything the contract allows */
            t->round[j] = (int16_t)rnd_range(0, 32767);
            t->zbin[j] = (int16_t)(rnd() & 1 ? rnd_range(0, 32767) : rnd_range(0, 2 * q));
        }
        t->iq[j] = (1u << 16) / (unsigned)q;
    }
}

static void rand_quant_coeffs(int16_t *c, const test_quant *t, int kind)
{
    for (int i = 0; i < 16; i++) {
        int j = i > 0, q = t->q[j], v;
        switch (kind) {
        case 0: v = rnd_range(-2048, 2047); break;
        case 1: v = (rnd() % 4) ? rnd_range(-t->zbin[j], t->zbin[j]) : rnd_range(-300, 300); break;
        case 2: /* around the steps of the quantizer: the rounding and its correction */
            v = rnd_range(0, 40) * q - t->round[j] + rnd_range(-2, 2);
            if (rnd() & 1) v = -v;
            break;
        case 3: v = (rnd() & 1) ? 32767 : -32768; break;
        case 4: v = (int16_t)rnd(); break;
        default: v = rnd_range(-t->zbin[j] + 1, t->zbin[j] - 1); break; /* dead zone */
        }
        c[i] = (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
    }
}

static int test_quantize(const vp8_dsp *c, const vp8_dsp *o, int iters)
{
    int bad = 0;
    for (long it = 0; it < 4 * iters && !bad; it++) {
        test_quant t;
        int16_t coef[16], lv_ref[16], lv_opt[16], dq_ref[16], dq_opt[16];
        int first = (int)(it & 1);
        rand_quant(&t, it / 2);
        rand_quant_coeffs(coef, &t, (int)(it / 2) % 6);
        memset(lv_ref, 0x55, sizeof(lv_ref));
        memset(lv_opt, 0xaa, sizeof(lv_opt));
        memset(dq_ref, 0x55, sizeof(dq_ref));
        memset(dq_opt, 0xaa, sizeof(dq_opt));
        int er = c->quantize(coef, first, t.q, t.round, t.zbin, t.iq, lv_ref, dq_ref);
        int eo = o->quantize(coef, first, t.q, t.round, t.zbin, t.iq, lv_opt, dq_opt);
        cases++;
        if (er != eo) {
            printf("MISMATCH quantize, case %ld: eob C %d, optimized %d\n", it, er, eo);
            mismatches++;
            return 1;
        }
        bad |= compare("quantize levels", it, (uint8_t *)lv_ref, (uint8_t *)lv_opt, sizeof(lv_ref));
        bad |= compare("quantize dq", it, (uint8_t *)dq_ref, (uint8_t *)dq_opt, sizeof(dq_ref));
    }
    return bad;
}

/* The encoder's token cost from its per-frame tables (vp8_token_cost_t) against the
 * sum over the tree (vp8_token_cost), for random probabilities and levels: every type,
 * context, first position and end of block; levels small (the tables) and large (the
 * categories, summed as before). */
static int test_token_costs(int iters)
{
    int bad = 0;
    vp8_entropy en;
    vp8_token_costs t;
    memset(&en, 0, sizeof(en));
    for (int it = 0; it < iters / 10 + 1; it++) {
        uint8_t *pb = &en.coef[0][0][0][0];
        for (size_t i = 0; i < sizeof(en.coef); i++)
            pb[i] = it == 0 ? (&vp8_default_coef_probs[0][0][0][0])[i] : (uint8_t)(1 + rand() % 255);
        vp8_token_costs_init(&t, &en);
        for (int k = 0; k < 40; k++) {
            int16_t levels[16] = {0};
            int type = rand() % 4, ctx = rand() % 3, first = type == 0 ? 1 : 0;
            int eob = first + rand() % (17 - first);
            for (int i = first; i < eob; i++) {
                int r = rand() % 10;
                levels[i] = (int16_t)(r < 4 ? 0 : r < 8 ? 1 + rand() % 4 : 1 + rand() % 2048);
                if (rand() & 1) levels[i] = (int16_t)-levels[i];
            }
            if (eob > first && !levels[eob - 1]) levels[eob - 1] = 1; /* eob after the last nonzero */
            int want = vp8_token_cost(&en, type, ctx, first, levels, eob);
            int got = vp8_token_cost_t(&t, &en, type, ctx, first, levels, eob);
            cases++;
            if (want != got) {
                if (!bad) printf("MISMATCH token cost: type %d ctx %d eob %d: %d, not %d\n", type, ctx, eob, got, want);
                mismatches++;
                bad = 1;
            }
        }
    }
    return bad;
}

/* One kernel table against the C table: every kernel the level replaces is listed. */
static int test_table(const vp8_dsp *c, const vp8_dsp *o, const vp8_dsp *below, int iters)
{
    int bad = 0, listed = 0;
    /* Every entry of the table after cpu_flags is a kernel pointer: all must be listed. */
    const int entries = (int)((sizeof(vp8_dsp) - offsetof(vp8_dsp, iwht)) / sizeof(void (*)(void)));
    printf("level %s:\n", vp8_cpu_name(o->cpu_flags));
#define R(f) (listed++, report_kernel(#f, (const void *)c->f, (const void *)o->f, (const void *)below->f))
    R(iwht); R(idct_add); R(idct_dc_add); R(idct_dc_add_y4); R(idct_dc_add_uv4);
    R(sixtap[0]); R(sixtap[1]); R(sixtap[2]); R(sixtap[3]);
    R(sixtap_h16); R(sixtap_v16_sse);
    R(bilinear[0]); R(bilinear[1]); R(bilinear[2]); R(bilinear[3]);
    R(lf_mbedge_h); R(lf_mbedge_v); R(lf_inner_h); R(lf_inner_v);
    R(lf_mbedge_uv_h); R(lf_mbedge_uv_v); R(lf_inner_uv_h); R(lf_inner_uv_v);
    R(lf_simple_h); R(lf_simple_v); R(lf_normal_mb); R(lf_simple_mb);
    R(pred16); R(pred8); R(pred4);
    R(sad_wh); R(sse[0]); R(sse[1]); R(sse[2]); R(sse_bilinear);
    R(fdct4x4); R(quantize);
#undef R
    if (listed != entries) {
        printf("test_dsp: the kernel table has %d entries, %d listed here: list the new ones\n",
               entries, listed);
        mismatches++;
        bad = 1;
    }
    kernels = listed;
    bad |= test_transforms(c, o, iters);
    bad |= test_subpel(c, o, iters);
    bad |= test_sixtap_passes(c, o, iters);
    bad |= test_loopfilters(c, o, iters);
    bad |= test_intra(c, o, iters);
    bad |= test_metrics(c, o, iters);
    bad |= test_fdct(c, o, iters);
    bad |= test_quantize(c, o, iters);
    return bad;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 3000;
    static const unsigned levels[] = {
        VP8_CPU_SSE2, VP8_CPU_SSE2 | VP8_CPU_SSSE3,
        VP8_CPU_SSE2 | VP8_CPU_SSSE3 | VP8_CPU_SSE41,
        VP8_CPU_SSE2 | VP8_CPU_SSSE3 | VP8_CPU_SSE41 | VP8_CPU_AVX2};
    unsigned have = vp8_cpu_detect();
    int bad = 0, tested = 0;
    vp8_dsp c, c2, below;
    if (iters <= 0) iters = 3000;
    vp8_dsp_init_c(&c);
    vp8_dsp_init(&c2, 0);

    /* vp8_dsp_init(.., 0) must give exactly the C table. */
    if (memcmp(&c, &c2, sizeof(c)) != 0) {
        printf("MISMATCH vp8_dsp_init(0) is not the C table\n");
        return 1;
    }
    printf("this CPU: %s\n", vp8_cpu_name(have));
    below = c;
    /* Every level this CPU has, each against C (checkasm's way: a kernel is tested at
     * each level that selects it, so a level's own kernels are never masked). */
    for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
        vp8_dsp o;
        if ((have & levels[l]) != levels[l])
            continue;
        vp8_dsp_init(&o, levels[l]);
        if (o.cpu_flags != levels[l]) {
            printf("MISMATCH vp8_dsp_init(%s) chose flags %s\n", vp8_cpu_name(levels[l]),
                   vp8_cpu_name(o.cpu_flags));
            return 1;
        }
        {
            vp8_dsp same = o;
            same.cpu_flags = below.cpu_flags;
            if (!memcmp(&same, &below, sizeof(same))) {
                printf("level %s: the same kernels as the level below\n", vp8_cpu_name(levels[l]));
                continue;
            }
        }
        bad |= test_table(&c, &o, &below, iters);
        below = o;
        tested++;
    }
    bad |= test_sse_bilinear_ref(&c, iters);
    bad |= test_sixtap_passes_ref(&c, iters);
    bad |= test_token_costs(iters);
    if (bad || mismatches) {
        printf("test_dsp: %ld mismatches in %ld cases\n", mismatches, cases);
        return 1;
    }
    printf("test_dsp: %d SIMD levels with kernels of their own (CPU: %s), %d kernels each, and the token cost tables: %ld cases, all match C\n",
           tested, vp8_cpu_name(have), kernels, cases);
    return 0;
}
