/* Y4M output; see y4m.h. */
#include "y4m.h"

#include "i420.h"

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The frame rate is the IVF time base inverted (rate/scale, e.g. 30000/1000 -> 30:1),
 * which is right when timestamps step by one tick per frame, as vpxenc writes them.
 * (vpxdec instead halves small rates, a guess for old vpxenc files that makes 15:1 of
 * today's 30 fps streams.) */
int y4m_write_header(FILE *f, int width, int height, uint32_t rate, uint32_t scale)
{
    if (!rate || !scale) rate = 30, scale = 1;
    uint32_t g = gcd(rate, scale);
    return fprintf(f, "YUV4MPEG2 W%d H%d F%u:%u Ip C420jpeg\n", width, height, rate / g,
                   scale / g) < 0 ? -1 : 0;
}

int y4m_write_frame(FILE *f, const excam_image *img)
{
    if (fputs("FRAME\n", f) == EOF) return -1;
    return i420_write(f, img);
}
