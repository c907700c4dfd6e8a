/* Sub-pixel interpolation: six-tap and bilinear (RFC 6386 §18.3), C references. */
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "dsp_common.h"

/* §18.3 */
static const int sixtap_filters[8][6] = {
    {0, 0, 128, 0, 0, 0}, {0, -6, 123, 12, -1, 0}, {2, -11, 108, 36, -8, 1}, {0, -9, 93, 50, -6, 0},
    {3, -16, 77, 77, -16, 3}, {0, -6, 50, 93, -9, 0}, {1, -8, 36, 108, -11, 2}, {0, -1, 12, 123, -6, 0}};

static inline void sixtap_generic(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                                  int w, int h, int mx, int my)
{
    uint8_t tmp[21 * 16];
    const int *fx = sixtap_filters[mx], *fy = sixtap_filters[my];
    for (int y = 0; y < h + 5; y++) {
        const uint8_t *s = src + (y - 2) * ss;
        for (int x = 0; x < w; x++)
            tmp[y * 16 + x] = clamp255((s[x - 2] * fx[0] + s[x - 1] * fx[1] + s[x] * fx[2] +
                                        s[x + 1] * fx[3] + s[x + 2] * fx[4] + s[x + 3] * fx[5] + 64) >> 7);
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *t = tmp + (y + 2) * 16 + x;
            dst[y * ds + x] = clamp255((t[-32] * fy[0] + t[-16] * fy[1] + t[0] * fy[2] + t[16] * fy[3] +
                                        t[32] * fy[4] + t[48] * fy[5] + 64) >> 7);
        }
}

/* The horizontal pass alone (mx > 0), 16 wide, as sixtap_generic's first. */
static void sixtap_h16_c(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int mx,
                         int rows)
{
    const int *f = sixtap_filters[mx];
    for (int y = 0; y < rows; y++, src += ss, dst += ds)
        for (int x = 0; x < 16; x++)
            dst[x] = clamp255((src[x - 2] * f[0] + src[x - 1] * f[1] + src[x] * f[2] +
                               src[x + 1] * f[3] + src[x + 2] * f[4] + src[x + 3] * f[5] + 64) >> 7);
}

/* The vertical pass alone (my > 0), as sixtap_generic's second, compared with a
 * instead of stored. */
static uint32_t sixtap_v16_sse_c(const uint8_t *a, ptrdiff_t as, const uint8_t *p, ptrdiff_t ps,
                                 int my)
{
    const int *f = sixtap_filters[my];
    uint32_t sse = 0;
    for (int y = 0; y < 16; y++, a += as, p += ps)
        for (int x = 0; x < 16; x++) {
            const uint8_t *t = p + x;
            int v = clamp255((t[-2 * ps] * f[0] + t[-ps] * f[1] + t[0] * f[2] + t[ps] * f[3] +
                              t[2 * ps] * f[4] + t[3 * ps] * f[5] + 64) >> 7);
            int d = a[x] - v;
            sse += (uint32_t)(d * d);
        }
    return sse;
}

static const int bilinear_filters[8][2] = {{128, 0}, {112, 16}, {96, 32}, {80, 48},
                                           {64, 64}, {48, 80}, {32, 96}, {16, 112}};

static inline void bilinear_generic(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss,
                                    int w, int h, int mx, int my)
{
    uint16_t tmp[17 * 16];
    const int *fx = bilinear_filters[mx], *fy = bilinear_filters[my];
    for (int y = 0; y < h + 1; y++)
        for (int x = 0; x < w; x++)
            tmp[y * 16 + x] = (uint16_t)((src[y * ss + x] * fx[0] + src[y * ss + x + 1] * fx[1] + 64) >> 7);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            dst[y * ds + x] = (uint8_t)((tmp[y * 16 + x] * fy[0] + tmp[(y + 1) * 16 + x] * fy[1] + 64) >> 7);
}

static inline void copy_block(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int w, int h)
{
    for (int y = 0; y < h; y++)
        memcpy(dst + y * ds, src + y * ss, (size_t)w);
}

#define SUBPEL(name, kind, w, h)                                                                 \
    static void name(uint8_t *dst, ptrdiff_t ds, const uint8_t *src, ptrdiff_t ss, int mx, int my) \
    {                                                                                            \
        if (!mx && !my)                                                                          \
            copy_block(dst, ds, src, ss, w, h);                                                  \
        else                                                                                     \
            kind##_generic(dst, ds, src, ss, w, h, mx, my);                                      \
    }
SUBPEL(sixtap16_c, sixtap, 16, 16)
SUBPEL(sixtap8_c, sixtap, 8, 8)
SUBPEL(sixtap4_c, sixtap, 4, 4)
SUBPEL(sixtap8x4_c, sixtap, 8, 4)
SUBPEL(bilinear16_c, bilinear, 16, 16)
SUBPEL(bilinear8_c, bilinear, 8, 8)
SUBPEL(bilinear4_c, bilinear, 4, 4)
SUBPEL(bilinear8x4_c, bilinear, 8, 4)

void vp8_dsp_init_inter_c(vp8_dsp *d)
{
    d->sixtap[0] = sixtap16_c;
    d->sixtap[1] = sixtap8_c;
    d->sixtap[2] = sixtap4_c;
    d->sixtap[3] = sixtap8x4_c;
    d->sixtap_h16 = sixtap_h16_c;
    d->sixtap_v16_sse = sixtap_v16_sse_c;
    d->bilinear[0] = bilinear16_c;
    d->bilinear[1] = bilinear8_c;
    d->bilinear[2] = bilinear4_c;
    d->bilinear[3] = bilinear8x4_c;
}
