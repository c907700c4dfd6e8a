/* PSNR and SSIM; see quality.h. SSIM follows libvpx's vpx_ssim (8x8 windows every 4
 * pixels, integer sums, the same constants), so figures compare with vpxenc's. */
#include "quality.h"

#include <math.h>

double quality_psnr(uint64_t sse, uint64_t n)
{
    if (!n) return 0;
    if (!sse) return 100.0;
    double p = 10.0 * log10(255.0 * 255.0 * (double)n / (double)sse);
    return p > 100.0 ? 100.0 : p;
}

static double similarity(int64_t sum_s, int64_t sum_r, int64_t sum_sq_s, int64_t sum_sq_r,
                         int64_t sum_sxr, int64_t count)
{
    const int64_t cc1 = 26634, cc2 = 239708; /* 64^2 (0.01 * 255)^2, 64^2 (0.03 * 255)^2 */
    int64_t c1 = (cc1 * count * count) >> 12, c2 = (cc2 * count * count) >> 12;
    double n = (double)(2 * sum_s * sum_r + c1) *
               (double)(2 * count * sum_sxr - 2 * sum_s * sum_r + c2);
    double d = (double)(sum_s * sum_s + sum_r * sum_r + c1) *
               (double)(count * sum_sq_s + count * sum_sq_r - sum_s * sum_s - sum_r * sum_r + c2);
    return n / d;
}

static double plane_ssim(const uint8_t *a, int as, const uint8_t *b, int bs, int w, int h)
{
    double total = 0;
    int windows = 0;
    for (int y = 0; y <= h - 8; y += 4)
        for (int x = 0; x <= w - 8; x += 4) {
            int64_t ss = 0, sr = 0, sqs = 0, sqr = 0, sxr = 0;
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++) {
                    int s = a[(y + i) * as + x + j], r = b[(y + i) * bs + x + j];
                    ss += s;
                    sr += r;
                    sqs += s * s;
                    sqr += r * r;
                    sxr += s * r;
                }
            total += similarity(ss, sr, sqs, sqr, sxr, 64);
            windows++;
        }
    return windows ? total / windows : 1.0;
}

void quality_add(quality *q, const excam_image *ref, const excam_image *img, int ssim)
{
    uint64_t fsse = 0, fn = 0;
    double s[3];
    for (int p = 0; p < 3; p++) {
        int w = p ? (ref->width + 1) / 2 : ref->width, h = p ? (ref->height + 1) / 2 : ref->height;
        uint64_t sse = 0;
        for (int y = 0; y < h; y++) {
            const uint8_t *ra = ref->plane[p] + (ptrdiff_t)y * ref->stride[p];
            const uint8_t *rb = img->plane[p] + (ptrdiff_t)y * img->stride[p];
            for (int x = 0; x < w; x++) {
                int d = ra[x] - rb[x];
                sse += (uint64_t)(d * d);
            }
        }
        q->sse[p] += sse;
        q->samples[p] += (uint64_t)w * h;
        q->psnr_sum[1 + p] += quality_psnr(sse, (uint64_t)w * h);
        fsse += sse;
        fn += (uint64_t)w * h;
        if (ssim)
            s[p] = plane_ssim(ref->plane[p], ref->stride[p], img->plane[p], img->stride[p], w, h);
    }
    q->psnr_sum[0] += quality_psnr(fsse, fn);
    if (ssim) {
        q->ssim_sum[0] += 0.8 * s[0] + 0.1 * (s[1] + s[2]);
        for (int p = 0; p < 3; p++)
            q->ssim_sum[1 + p] += s[p];
    }
    q->frames++;
}
