/* Alt-ref planning of the serial encoder (see altref.h). */
#include "altref.h"

#include <stdlib.h>

/* Groups shorter than this get none: too few frames to repay it. */
#define ARF_MIN_GROUP 4
/* The share of still blocks a group needs. */
#define ARF_STILL_SHARE 0.5

/* Sum of absolute differences of the 16x16 blocks at (x, y), every other pixel of
 * every other row (w x h: what is inside the picture). */
static unsigned block_sad(const excam_image *a, const excam_image *b, int x, int y, int w, int h)
{
    unsigned s = 0;
    for (int i = 0; i < h; i += 2) {
        const uint8_t *pa = a->plane[0] + (size_t)(y + i) * a->stride[0] + x;
        const uint8_t *pb = b->plane[0] + (size_t)(y + i) * b->stride[0] + x;
        for (int j = 0; j < w; j += 2)
            s += (unsigned)abs(pa[j] - pb[j]);
    }
    return s;
}

double altref_still_share(const excam_image *a, const excam_image *next, const excam_image *far)
{
    long still = 0, n = 0;
    for (int y = 0; y < a->height; y += 16)
        for (int x = 0; x < a->width; x += 16, n++) {
            int w = a->width - x < 16 ? a->width - x : 16, h = a->height - y < 16 ? a->height - y : 16;
            unsigned pixels = (unsigned)((w + 1) / 2 * ((h + 1) / 2));
            unsigned noise = block_sad(a, next, x, y, w, h), dist = block_sad(a, far, x, y, w, h);
            /* Consecutive frames differ by noise (mean |d| <= 6) only, and the far
             * one not much more: a textured pan differs as much after one frame
             * as after ten. */
            if (noise <= 6 * pixels && 2 * dist <= 3 * noise + 2 * pixels) still++;
        }
    return n ? (double)still / n : 0;
}

/* Whether lookahead position i exists and comes before the next key frame. */
static int before_key(const lookahead *la, int i, unsigned since_key, int kf_max)
{
    const la_frame *f = lookahead_peek(la, i);
    return f && !f->cut && since_key + (unsigned)i - 1 < (unsigned)kf_max;
}

int altref_plan(const lookahead *la, unsigned since_key, int kf_max, int group, int maxframes,
                arf_plan *plan)
{
    int g = 1, end;
    *plan = (arf_plan){0};
    while (g < group && before_key(la, g, since_key, kf_max))
        g++;
    for (end = g; before_key(la, end, since_key, kf_max);)
        end++;
    if (g < ARF_MIN_GROUP) return 0;
    const la_frame *first = lookahead_peek(la, 0), *next = lookahead_peek(la, 1),
                   *last = lookahead_peek(la, g - 1);
    if (altref_still_share(first->img, next->img, last->img) < ARF_STILL_SHARE) return 0;
    plan->pos = g - 1;
    /* Centered on the frame it shows where the frames are there (libvpx's
     * --arnr-type 3), else shifted back; never the group's first frame, which is
     * coded before it. */
    int lo = plan->pos - maxframes / 2, hi;
    if (lo < 1) lo = 1;
    hi = lo + maxframes - 1;
    if (hi >= end) {
        hi = end - 1;
        lo = hi - maxframes + 1 < 1 ? 1 : hi - maxframes + 1;
    }
    if (maxframes == 0) lo = hi = plan->pos;
    if (lo > plan->pos) lo = plan->pos;
    if (hi < plan->pos) hi = plan->pos;
    plan->lo = lo;
    plan->hi = hi;
    return 1;
}
