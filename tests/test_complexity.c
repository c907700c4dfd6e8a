/*
 * tools/complexity.c, the per-frame measure behind the per-chunk quantizers:
 *  - the measures do not depend on the number of threads (1, 2, 5), over several
 *    segments and a partial last one, so neither do the job's bytes;
 *  - a frame count and a measure (>= 1) for every frame, in order;
 *  - harder frames measure more: a still picture after a still picture measures less
 *    than a moving textured one, and a moving one less than noise;
 *  - freeing without finishing (an upload that failed) and finishing with no frame
 *    are clean (t_asan runs this under ASan).
 */
#include "test_util.h"

#include "complexity.h"

#define W 96
#define H 64
#define N 130 /* 2 segments of 48 and a partial one */

/* Frame i: frames 0..39 still, 40..89 a texture moving 3 pixels a frame, 90.. noise. */
static void make(excam_image *img, int i, uint32_t *seed)
{
    for (int p = 0; p < 3; p++) {
        int w = p ? W / 2 : W, h = p ? H / 2 : H;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v;
                if (i < 40) {
                    v = (x * 3 + y * 2) & 255;
                } else if (i < 90) {
                    int xx = x + 3 * i;
                    v = ((xx * 7) ^ (y * 13)) & 255;
                } else {
                    *seed = *seed * 1664525u + 1013904223u;
                    v = (int)(*seed >> 24);
                }
                img->plane[p][y * img->stride[p] + x] = (uint8_t)v;
            }
    }
}

static int run(int threads, double *out)
{
    excam_image *img = excam_image_alloc(W, H);
    complexity *c = complexity_new(W, H, threads);
    uint32_t seed = 1;
    int ok = img && c;
    for (int i = 0; ok && i < N; i++) {
        make(img, i, &seed);
        ok = complexity_add(c, img) == EXCAM_OK;
    }
    const double *m = NULL;
    long n = 0;
    ok = ok && complexity_finish(c, &m, &n) == EXCAM_OK && n == N;
    for (int i = 0; ok && i < N; i++)
        out[i] = m[i];
    complexity_free(c);
    excam_image_free(img);
    return ok;
}

int main(void)
{
    double one[N], two[N], five[N];
    CHECK(run(1, one), "1 thread: a measure for each of the %d frames", N);
    CHECK(run(2, two) && !memcmp(one, two, sizeof(one)), "2 threads: the same measures as 1");
    CHECK(run(5, five) && !memcmp(one, five, sizeof(one)), "5 threads: the same measures as 1");
    int positive = 1;
    double still = 0, moving = 0, noise = 0;
    for (int i = 0; i < N; i++) {
        positive &= one[i] >= 1;
        if (i >= 2 && i < 40) still += one[i] / 38;
        if (i >= 42 && i < 90) moving += one[i] / 48;
        if (i >= 92) noise += one[i] / (N - 92);
    }
    CHECK(positive, "every measure is at least 1");
    CHECK(still < moving && moving < noise, "still %.0f < moving %.0f < noise %.0f bits a frame",
          still, moving, noise);

    /* An upload that fails half-way: freed with a partial segment and queued ones. */
    excam_image *img = excam_image_alloc(W, H);
    uint32_t seed = 7;
    for (int t = 1; t <= 3 && img; t++) {
        complexity *c = complexity_new(W, H, t);
        CHECK(c != NULL, "complexity_new with %d threads", t);
        for (int i = 0; c && i < 60 + t; i++) {
            make(img, i, &seed);
            complexity_add(c, img);
        }
        complexity_free(c);
    }
    excam_image_free(img);
    complexity *c = complexity_new(W, H, 2);
    const double *m = (const double *)1;
    long n = -1;
    CHECK(c && complexity_finish(c, &m, &n) == EXCAM_OK && n == 0, "no frames: none measured");
    complexity_free(c);
    complexity_free(NULL);
    printf("complexity: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
