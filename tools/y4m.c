/* Y4M output; see y4m.h. */
#include "y4m.h"

#include "i420.h"

int y4m_write_header(FILE *f, int width, int height, uint32_t rate, uint32_t scale)
{
    if (!rate || !scale) rate = 30, scale = 1;
    return fprintf(f, "YUV4MPEG2 W%d H%d F%u:%u Ip A0:0 C420jpeg XYSCSS=420JPEG\n", width,
                   height, rate, scale) < 0 ? -1 : 0;
}

int y4m_write_frame(FILE *f, const excam_image *img)
{
    if (fputs("FRAME\n", f) == EOF) return -1;
    return i420_write(f, img);
}
