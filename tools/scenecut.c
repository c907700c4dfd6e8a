/* Scene-cut detection (see scenecut.h). */
#include "scenecut.h"

#include <stdlib.h>
#include <string.h>

int scenecut_init(scenecut *sc, int width, int height)
{
    memset(sc, 0, sizeof(*sc));
    sc->prev = excam_image_alloc(width, height);
    return sc->prev ? 0 : -1;
}

/* Mean absolute luma difference on a grid of every 4th pixel of every 4th row. */
static double mad(const excam_image *a, const excam_image *b)
{
    uint64_t sum = 0, n = 0;
    for (int y = 0; y < a->height; y += 4) {
        const uint8_t *pa = a->plane[0] + (size_t)y * a->stride[0];
        const uint8_t *pb = b->plane[0] + (size_t)y * b->stride[0];
        for (int x = 0; x < a->width; x += 4, n++)
            sum += (uint64_t)abs(pa[x] - pb[x]);
    }
    return n ? (double)sum / n : 0;
}

int scenecut_check(scenecut *sc, const excam_image *img)
{
    int cut = 0;
    if (sc->frames > 0) {
        double d = mad(img, sc->prev);
        /* Far above the recent level (which high motion or noise raises), and large in
         * itself: a different picture, not a faster pan. The first difference only sets
         * the level. */
        cut = sc->frames > 1 && d > 20 && d > 3 * sc->avg + 8;
        sc->avg = cut || sc->frames == 1 ? d : 0.8 * sc->avg + 0.2 * d;
    }
    for (int p = 0; p < 3; p++) {
        int w = p ? (img->width + 1) / 2 : img->width, h = p ? (img->height + 1) / 2 : img->height;
        for (int y = 0; y < h; y++)
            memcpy(sc->prev->plane[p] + (size_t)y * sc->prev->stride[p],
                   img->plane[p] + (size_t)y * img->stride[p], (size_t)w);
    }
    sc->frames++;
    return cut;
}

void scenecut_free(scenecut *sc)
{
    excam_image_free(sc->prev);
    sc->prev = NULL;
}
