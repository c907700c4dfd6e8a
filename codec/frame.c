/* Reference-counted pictures with replicated borders (RFC 6386 §5, §18). */
#include <stdlib.h>
#include <string.h>

#include "vp8i.h"

vp8_frame *vp8_frame_new(int width, int height)
{
    vp8_frame *f;
    int mb_cols = (width + 15) >> 4, mb_rows = (height + 15) >> 4;
    ptrdiff_t ys = ((ptrdiff_t)mb_cols * 16 + 2 * VP8_BORDER + 31) & ~(ptrdiff_t)31;
    ptrdiff_t uvs = ys / 2;
    size_t yrows = (size_t)mb_rows * 16 + 2 * VP8_BORDER;
    size_t uvrows = yrows / 2;
    size_t ysize = (size_t)ys * yrows, uvsize = (size_t)uvs * uvrows;

    if (width <= 0 || height <= 0 || width > 16383 || height > 16383)
        return NULL;
    f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    /* 32 spare bytes: SIMD kernels may read a little past the last row. */
    f->mem = malloc(ysize + 2 * uvsize + 32);
    if (!f->mem) {
        free(f);
        return NULL;
    }
    atomic_init(&f->refs, 1);
    f->width = width;
    f->height = height;
    f->mb_cols = mb_cols;
    f->mb_rows = mb_rows;
    f->stride[0] = ys;
    f->stride[1] = f->stride[2] = uvs;
    f->plane[0] = f->mem + ys * VP8_BORDER + VP8_BORDER;
    f->plane[1] = f->mem + ysize + uvs * (VP8_BORDER / 2) + VP8_BORDER / 2;
    f->plane[2] = f->plane[1] + uvsize;
    return f;
}

vp8_frame *vp8_frame_ref(vp8_frame *f)
{
    if (f)
        atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

void vp8_frame_unref(vp8_frame *f)
{
    if (f && atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) {
        free(f->mem);
        free(f);
    }
}

/* Left and right borders of pixel rows [y0, y1) of a plane of width w. */
static void extend_sides(uint8_t *p, ptrdiff_t stride, int w, int y0, int y1, int border)
{
    uint8_t *row = p + (ptrdiff_t)y0 * stride;
    for (int y = y0; y < y1; y++, row += stride) {
        memset(row - border, row[0], (size_t)border);
        memset(row + w, row[w - 1], (size_t)border);
    }
}

/* The border rows above and below, copies of the first and last rows with their
 * side borders. */
static void extend_top_bottom(uint8_t *p, ptrdiff_t stride, int w, int h, int border)
{
    for (int y = 1; y <= border; y++) {
        memcpy(p - border - y * stride, p - border, (size_t)(w + 2 * border));
        memcpy(p - border + (h - 1 + y) * stride, p - border + (h - 1) * stride,
               (size_t)(w + 2 * border));
    }
}

void vp8_frame_extend_row(vp8_frame *f, int mb_row)
{
    int w = f->mb_cols * 16;
    extend_sides(f->plane[0], f->stride[0], w, mb_row * 16, mb_row * 16 + 16, VP8_BORDER);
    extend_sides(f->plane[1], f->stride[1], w / 2, mb_row * 8, mb_row * 8 + 8, VP8_BORDER / 2);
    extend_sides(f->plane[2], f->stride[2], w / 2, mb_row * 8, mb_row * 8 + 8, VP8_BORDER / 2);
}

void vp8_frame_extend_top_bottom(vp8_frame *f)
{
    int w = f->mb_cols * 16, h = f->mb_rows * 16;
    extend_top_bottom(f->plane[0], f->stride[0], w, h, VP8_BORDER);
    extend_top_bottom(f->plane[1], f->stride[1], w / 2, h / 2, VP8_BORDER / 2);
    extend_top_bottom(f->plane[2], f->stride[2], w / 2, h / 2, VP8_BORDER / 2);
}

void vp8_frame_extend(vp8_frame *f)
{
    for (int r = 0; r < f->mb_rows; r++)
        vp8_frame_extend_row(f, r);
    vp8_frame_extend_top_bottom(f);
}
