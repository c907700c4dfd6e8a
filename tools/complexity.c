/*
 * Frame complexity (see complexity.h).
 */
#include "complexity.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SPEED 9
#define Q_INDEX 40

struct complexity {
    int w, h;                              /* the input's size */
    excam_image *half;  /* the picture at half size */
    excam_vp8_state *s; /* the small encode's state (NULL: none yet) */
};

complexity *complexity_new(int width, int height)
{
    complexity *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->w = width;
    c->h = height;
    if (!(c->half = excam_image_alloc((width + 1) / 2, (height + 1) / 2))) {
        free(c);
        return NULL;
    }
    return c;
}

void complexity_free(complexity *c)
{
    if (!c) return;
    excam_image_free(c->half);
    excam_vp8_state_free(c->s);
    free(c);
}

/* Plane p (w x h) of img halved into out: 2x2 means, an odd last row or column
 * repeated. */
static void halve(const excam_image *img, excam_image *out, int p, int w, int h)
{
    int ow = (w + 1) / 2, oh = (h + 1) / 2;
    for (int y = 0; y < oh; y++) {
        const uint8_t *r0 = img->plane[p] + (ptrdiff_t)(2 * y) * img->stride[p];
        const uint8_t *r1 = 2 * y + 1 < h ? r0 + img->stride[p] : r0;
        uint8_t *o = out->plane[p] + (ptrdiff_t)y * out->stride[p];
        for (int x = 0; x < ow; x++) {
            int x1 = 2 * x + 1 < w ? 2 * x + 1 : 2 * x;
            o[x] = (uint8_t)((r0[2 * x] + r0[x1] + r1[2 * x] + r1[x1] + 2) >> 2);
        }
    }
}

static void halve_image(const excam_image *img, excam_image *out)
{
    halve(img, out, 0, img->width, img->height);
    halve(img, out, 1, (img->width + 1) / 2, (img->height + 1) / 2);
    halve(img, out, 2, (img->width + 1) / 2, (img->height + 1) / 2);
}

double complexity_frame(complexity *c, const excam_image *img)
{
    halve_image(img, c->half);
    excam_vp8_enc_params p;
    excam_vp8_enc_params_default(&p);
    p.frame_type = c->s ? EXCAM_FRAME_INTER : EXCAM_FRAME_KEY;
    p.q_index = Q_INDEX;
    p.speed = SPEED;
    p.refs = EXCAM_REF_LAST;
    excam_vp8_state *from = c->s ? c->s : excam_vp8_state_new(), *next = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    int e = from ? excam_vp8_encode(from, c->half, &p, &data, &len, &next) : EXCAM_ERR_NOMEM;
    excam_vp8_state_free(from);
    c->s = e ? NULL : next;
    excam_free(data);
    /* A failure (memory) costs the frame its measure, not the job: 1 bit, and the next
     * frame starts again from a key frame. */
    return e || !len ? 1.0 : 8.0 * (double)len;
}
