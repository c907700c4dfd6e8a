/*
 * excam_vp8_temporal_filter (the alt-ref source, codec/enc_temporal.c):
 *  - bad arguments are refused;
 *  - identical frames give the frame back, pixel for pixel (any size, odd ones too);
 *  - frames that are the center moved by whole pixels are found by the motion search:
 *    away from the picture's edges the result is the center itself;
 *  - noisy copies of one picture average towards it: the result is at least twice as
 *    close (mean squared error) to the clean picture as the noisy center; so do moved
 *    noisy copies (only if the motion search finds them);
 *  - a frame unlike the center (another picture) is left out: the result is the center.
 */
#include "test_util.h"

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* A smooth textured picture (sums of gradients and a few random blobs) so that the
 * motion search has something to lock on to. */
static void paint(excam_image *im, int seed)
{
    for (int p = 0; p < 3; p++) {
        int w = p ? (im->width + 1) / 2 : im->width, h = p ? (im->height + 1) / 2 : im->height;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = (x * 7 + y * 3 + seed * 40) % 256;
                v = (v + ((x / 5 + y / 3 + seed) % 7) * 20 + (x * y % 13) * 3) % 256;
                im->plane[p][(ptrdiff_t)y * im->stride[p] + x] = (uint8_t)v;
            }
    }
}

/* dst = src moved by (dx, dy) pixels (luma; chroma by half, dx and dy even), edges
 * replicated. */
static void shifted(const excam_image *src, excam_image *dst, int dx, int dy)
{
    for (int p = 0; p < 3; p++) {
        int w = p ? (src->width + 1) / 2 : src->width, h = p ? (src->height + 1) / 2 : src->height;
        int sx = p ? dx / 2 : dx, sy = p ? dy / 2 : dy;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int yy = y - sy, xx = x - sx;
                yy = yy < 0 ? 0 : yy >= h ? h - 1 : yy;
                xx = xx < 0 ? 0 : xx >= w ? w - 1 : xx;
                dst->plane[p][(ptrdiff_t)y * dst->stride[p] + x] =
                    src->plane[p][(ptrdiff_t)yy * src->stride[p] + xx];
            }
    }
}

static void noisy(const excam_image *src, excam_image *dst, int amp)
{
    for (int p = 0; p < 3; p++) {
        int w = p ? (src->width + 1) / 2 : src->width, h = p ? (src->height + 1) / 2 : src->height;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = src->plane[p][(ptrdiff_t)y * src->stride[p] + x] +
                        (int)(rnd() % (2 * amp + 1)) - amp;
                dst->plane[p][(ptrdiff_t)y * dst->stride[p] + x] =
                    (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    }
}

/* Mean squared error of the luma planes of a and b in the rectangle from (x0, y0) to
 * (x1, y1) (exclusive), and the number of differing pixels there. */
static double mse(const excam_image *a, const excam_image *b, int x0, int y0, int x1, int y1,
                  long *differ)
{
    double s = 0;
    long n = 0, d = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, n++) {
            int e = a->plane[0][(ptrdiff_t)y * a->stride[0] + x] -
                    b->plane[0][(ptrdiff_t)y * b->stride[0] + x];
            s += e * e;
            d += e != 0;
        }
    if (differ) *differ = d;
    return n ? s / n : 0;
}


int main(void)
{
    static const int sizes[][2] = {{1, 1}, {17, 9}, {64, 48}, {176, 144}};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        int w = sizes[s][0], h = sizes[s][1];
        excam_image *f[5], *out = excam_image_alloc(w, h);
        for (int i = 0; i < 5; i++) {
            f[i] = excam_image_alloc(w, h);
            paint(f[i], 1);
        }
        for (int n = 1; n <= 5; n++)
            for (int c = 0; c < n; c++) {
                int e = excam_vp8_temporal_filter((const excam_image *const *)f, n, c, 4, out);
                CHECK(e == EXCAM_OK && tu_images_identical(out, f[0]),
                      "%dx%d: %d identical frames (center %d) do not give the frame back (%s)",
                      w, h, n, c, excam_strerror(e));
            }
        for (int i = 0; i < 5; i++)
            excam_image_free(f[i]);
        excam_image_free(out);
    }

    int w = 176, h = 144;
    excam_image *clean = excam_image_alloc(w, h), *out = excam_image_alloc(w, h);
    excam_image *f[7], *small = excam_image_alloc(32, 32);
    for (int i = 0; i < 7; i++)
        f[i] = excam_image_alloc(w, h);
    paint(clean, 2);
    const excam_image *const *ff = (const excam_image *const *)f;

    /* Bad arguments. */
    for (int i = 0; i < 7; i++)
        shifted(clean, f[i], 0, 0);
    CHECK(excam_vp8_temporal_filter(NULL, 3, 1, 4, out) == EXCAM_ERR_INVALID_ARG, "frames NULL");
    CHECK(excam_vp8_temporal_filter(ff, 3, 1, 4, NULL) == EXCAM_ERR_INVALID_ARG, "out NULL");
    CHECK(excam_vp8_temporal_filter(ff, 0, 0, 4, out) == EXCAM_ERR_INVALID_ARG, "n = 0");
    CHECK(excam_vp8_temporal_filter(ff, 26, 0, 4, out) == EXCAM_ERR_INVALID_ARG, "n = 26");
    CHECK(excam_vp8_temporal_filter(ff, 3, 3, 4, out) == EXCAM_ERR_INVALID_ARG, "center = n");
    CHECK(excam_vp8_temporal_filter(ff, 3, -1, 4, out) == EXCAM_ERR_INVALID_ARG, "center < 0");
    CHECK(excam_vp8_temporal_filter(ff, 3, 1, 7, out) == EXCAM_ERR_INVALID_ARG, "strength 7");
    CHECK(excam_vp8_temporal_filter(ff, 3, 1, -1, out) == EXCAM_ERR_INVALID_ARG, "strength -1");
    CHECK(excam_vp8_temporal_filter(ff, 3, 1, 4, small) == EXCAM_ERR_INVALID_ARG,
          "out of another size");
    {
        const excam_image *mixed[3] = {f[0], small, f[2]};
        CHECK(excam_vp8_temporal_filter(mixed, 3, 0, 4, out) == EXCAM_ERR_INVALID_ARG,
              "a frame of another size");
        const excam_image *holes[3] = {f[0], NULL, f[2]};
        CHECK(excam_vp8_temporal_filter(holes, 3, 0, 4, out) == EXCAM_ERR_INVALID_ARG,
              "a NULL frame");
    }

    /* Whole-pixel motion: the frames are the center moved by up to 12 pixels. */
    static const int mv[7][2] = {{-9, 4}, {-6, -2}, {-2, 2}, {0, 0}, {4, -4}, {8, 6}, {12, -10}};
    for (int i = 0; i < 7; i++)
        shifted(clean, f[i], mv[i][0], mv[i][1]);
    for (int strength = 0; strength <= 6; strength += 3) {
        long differ;
        int e = excam_vp8_temporal_filter(ff, 7, 3, strength, out);
        double m = mse(out, clean, 32, 32, w - 32, h - 32, &differ);
        CHECK(e == EXCAM_OK && differ == 0,
              "strength %d: moved copies of the center change %ld pixels of its inside (mse %.2f)",
              strength, differ, m);
    }

    /* Motion and noise: the moved copies with noise (+-6); the motion search must find
     * them for the noise to average out. */
    for (int i = 0; i < 7; i++)
        noisy(f[i], f[i], 6);
    {
        excam_image *center = excam_image_alloc(w, h);
        shifted(clean, center, mv[3][0], mv[3][1]);
        double before = mse(f[3], center, 32, 32, w - 32, h - 32, NULL);
        int e = excam_vp8_temporal_filter(ff, 7, 3, 6, out);
        double after = mse(out, center, 32, 32, w - 32, h - 32, NULL);
        CHECK(e == EXCAM_OK && after * 2 <= before,
              "moved noisy copies: mse to the clean picture %.2f before, %.2f after", before,
              after);
        excam_image_free(center);
    }

    /* Noise: seven noisy copies (+-6) of the clean picture. */
    for (int i = 0; i < 7; i++)
        noisy(clean, f[i], 6);
    {
        double before = mse(f[3], clean, 0, 0, w, h, NULL);
        int e = excam_vp8_temporal_filter(ff, 7, 3, 6, out);
        double after = mse(out, clean, 0, 0, w, h, NULL);
        CHECK(e == EXCAM_OK && after * 2 <= before,
              "noise: mse to the clean picture %.2f before, %.2f after filtering", before, after);
    }

    /* A different picture beside the center is not mixed in. */
    paint(f[0], 5);
    noisy(f[0], f[0], 40);
    shifted(clean, f[1], 0, 0);
    {
        long differ;
        int e = excam_vp8_temporal_filter(ff, 2, 1, 6, out);
        mse(out, clean, 0, 0, w, h, &differ);
        CHECK(e == EXCAM_OK && differ * 100 <= (long)w * h,
              "another picture changed %ld of the center's %d pixels", differ, w * h);
    }

    for (int i = 0; i < 7; i++)
        excam_image_free(f[i]);
    excam_image_free(clean);
    excam_image_free(out);
    excam_image_free(small);
    printf("tfilter: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
