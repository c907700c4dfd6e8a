/* Read-ahead of the serial encoder (see lookahead.h). */
#include "lookahead.h"

#include <stdlib.h>
#include <string.h>

int lookahead_init(lookahead *la, y4m_reader *in, int skip, long limit, int cap)
{
    memset(la, 0, sizeof(*la));
    la->in = in;
    la->skip = skip;
    la->limit = limit;
    la->cap = cap < 1 ? 1 : cap;
    la->q = calloc((size_t)la->cap, sizeof(*la->q));
    if (!la->q || scenecut_init(&la->sc, in->width, in->height) != 0) return -1;
    for (int i = 0; i < la->cap; i++)
        if (!(la->q[i].img = excam_image_alloc(in->width, in->height))) return -1;
    return 0;
}

int lookahead_fill(lookahead *la)
{
    while (la->count < la->cap && !la->eof) {
        if (la->limit >= 0 && la->delivered >= la->limit) {
            la->eof = 1;
            break;
        }
        la_frame *f = &la->q[(la->head + la->count) % la->cap];
        int r = y4m_read_frame(la->in, f->img);
        if (r < 0) return -1;
        if (r == 0) {
            la->eof = 1;
            break;
        }
        if (la->in->frames_read <= (unsigned)la->skip) continue;
        f->cut = scenecut_check(&la->sc, f->img);
        f->number = la->in->frames_read;
        la->delivered++;
        la->count++;
    }
    return 0;
}

const la_frame *lookahead_peek(const lookahead *la, int i)
{
    if (i < 0 || i >= la->count) return NULL;
    return &la->q[(la->head + i) % la->cap];
}

void lookahead_pop(lookahead *la)
{
    if (!la->count) return;
    la->head = (la->head + 1) % la->cap;
    la->count--;
}

void lookahead_free(lookahead *la)
{
    for (int i = 0; la->q && i < la->cap; i++)
        excam_image_free(la->q[i].img);
    free(la->q);
    scenecut_free(&la->sc);
    memset(la, 0, sizeof(*la));
}
