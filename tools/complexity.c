/*
 * Frame complexity (see complexity.h).
 */
#include "complexity.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SPEED 9
#define Q_INDEX 40
/* Frames a segment. Each segment starts from a key frame (of the frame before it), which
 * disturbs the measure of its first frame: in segments of 16 the chunks' correlation on
 * flower fell from 0.93 to 0.88; 32: 0.91, 48: 0.93. */
#define SEG 48
/* The measure's picture: the input halved, and again while it is larger than 720p
 * (4K is measured at 960x540, 1080p at the same). */
#define MAX_AREA (1280 * 720)
#define MAX_HALVINGS 4
/* Pictures waiting or being measured at once, at most (and at least 2 segments). */
#define MAX_BUFFERED (160u << 20)

typedef struct segment {
    long first;             /* the index of its first frame */
    int n;                  /* frames in it */
    excam_image *warm;      /* the frame before it (a copy), coded first, not measured */
    excam_image *pic[SEG];  /* its frames at the measure's size */
    double out[SEG];        /* their measures */
    struct segment *next;   /* in the queue */
} segment;

struct complexity {
    int levels;                         /* halvings */
    int sw, sh;                         /* the measure's picture size */
    excam_image *tmp[MAX_HALVINGS - 1]; /* the intermediate halvings */
    segment *cur;                       /* being filled by complexity_add */
    excam_image *warm;                  /* the next segment's warm-up picture */
    segment **all;                      /* every segment, in order */
    long nseg, capseg;
    /* The pool: queued segments, how many are queued or being measured, and the cap. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    segment *head, *tail;
    int inflight, max_inflight, stop, nthreads, failed;
    pthread_t th[COMPLEXITY_MAX_THREADS];
    double *measures; /* complexity_finish's */
};

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

static void copy_image(const excam_image *a, excam_image *b)
{
    for (int p = 0; p < 3; p++) {
        int w = p ? (a->width + 1) / 2 : a->width, h = p ? (a->height + 1) / 2 : a->height;
        for (int y = 0; y < h; y++)
            memcpy(b->plane[p] + (ptrdiff_t)y * b->stride[p],
                   a->plane[p] + (ptrdiff_t)y * a->stride[p], (size_t)w);
    }
}

/* Code img after *s (NULL: as a key frame); its bits (>= 1). A failure (memory) costs
 * the frame its measure, not the job: 1 bit, and the next frame starts again from a
 * key frame. */
static double code(excam_vp8_state **s, const excam_image *img)
{
    excam_vp8_enc_params p;
    excam_vp8_enc_params_default(&p);
    p.frame_type = *s ? EXCAM_FRAME_INTER : EXCAM_FRAME_KEY;
    p.q_index = Q_INDEX;
    p.speed = SPEED;
    p.refs = EXCAM_REF_LAST;
    excam_vp8_state *from = *s ? *s : excam_vp8_state_new(), *next = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    int e = from ? excam_vp8_encode(from, img, &p, &data, &len, &next) : EXCAM_ERR_NOMEM;
    excam_vp8_state_free(from);
    *s = e ? NULL : next;
    excam_free(data);
    return e || !len ? 1.0 : 8.0 * (double)len;
}

/* A segment: the frame before it as a key frame (so that its first frame is measured
 * as an inter frame, like the others), then its frames. Their pictures are freed as
 * they are measured. */
static void measure(segment *g)
{
    excam_vp8_state *s = NULL;
    if (g->warm) {
        code(&s, g->warm);
        excam_image_free(g->warm);
        g->warm = NULL;
    }
    for (int i = 0; i < g->n; i++) {
        g->out[i] = code(&s, g->pic[i]);
        excam_image_free(g->pic[i]);
        g->pic[i] = NULL;
    }
    excam_vp8_state_free(s);
}

static void *worker(void *arg)
{
    complexity *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->head && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->head) break;
        segment *g = c->head;
        c->head = g->next;
        if (!c->head) c->tail = NULL;
        pthread_mutex_unlock(&c->mu);
        measure(g);
        pthread_mutex_lock(&c->mu);
        c->inflight--;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

complexity *complexity_new(int width, int height, int threads)
{
    complexity *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    /* Halved until small enough: every halving but the last into a picture of c's,
     * the last into each frame's own. */
    int w = (width + 1) / 2, h = (height + 1) / 2;
    while (c->levels + 1 < MAX_HALVINGS && (long)w * h > MAX_AREA) {
        if (!(c->tmp[c->levels++] = excam_image_alloc(w, h))) goto fail;
        w = (w + 1) / 2;
        h = (h + 1) / 2;
    }
    c->levels++;
    c->sw = w;
    c->sh = h;
    /* Bounded memory: each segment in flight holds SEG + 1 small pictures. */
    size_t seg_bytes = (size_t)(SEG + 1) * ((size_t)w * h * 3 / 2 + 4096);
    long cap = (long)(MAX_BUFFERED / seg_bytes);
    threads = threads < 1 ? 1 : threads > COMPLEXITY_MAX_THREADS ? COMPLEXITY_MAX_THREADS : threads;
    c->max_inflight = (int)(cap < 2 ? 2 : cap > threads + 1 ? threads + 1 : cap);
    if (pthread_mutex_init(&c->mu, NULL)) goto fail;
    if (pthread_cond_init(&c->cv, NULL)) {
        pthread_mutex_destroy(&c->mu);
        goto fail;
    }
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&c->th[i], NULL, worker, c)) break;
        c->nthreads++;
    }
    if (!c->nthreads) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        goto fail;
    }
    return c;
fail:
    for (int i = 0; i < MAX_HALVINGS - 1; i++)
        excam_image_free(c->tmp[i]);
    free(c);
    return NULL;
}

/* Queue the current segment (waiting while too many are in flight). */
static void dispatch(complexity *c)
{
    segment *g = c->cur;
    c->cur = NULL;
    if (!g) return;
    pthread_mutex_lock(&c->mu);
    while (c->inflight >= c->max_inflight)
        pthread_cond_wait(&c->cv, &c->mu);
    c->inflight++;
    g->next = NULL;
    if (c->tail) c->tail->next = g;
    else c->head = g;
    c->tail = g;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

int complexity_add(complexity *c, const excam_image *img)
{
    if (c->failed) return EXCAM_ERR_NOMEM;
    if (!c->cur) {
        if (c->nseg == c->capseg) {
            long cap = c->capseg ? 2 * c->capseg : 64;
            segment **a = realloc(c->all, (size_t)cap * sizeof(*a));
            if (!a) goto nomem;
            c->all = a;
            c->capseg = cap;
        }
        segment *g = calloc(1, sizeof(*g));
        if (!g) goto nomem;
        g->first = (long)c->nseg * SEG;
        g->warm = c->warm;
        c->warm = NULL;
        c->all[c->nseg++] = g;
        c->cur = g;
    }
    segment *g = c->cur;
    excam_image *pic = excam_image_alloc(c->sw, c->sh);
    if (!pic) goto nomem;
    const excam_image *from = img;
    for (int i = 0; i + 1 < c->levels; i++) {
        halve_image(from, c->tmp[i]);
        from = c->tmp[i];
    }
    halve_image(from, pic);
    g->pic[g->n++] = pic;
    if (g->n == SEG) {
        /* The next segment warms up on a copy of this one's last picture (the queued
         * segment's pictures are freed as they are measured). */
        if (!(c->warm = excam_image_alloc(c->sw, c->sh))) goto nomem;
        copy_image(pic, c->warm);
        dispatch(c);
    }
    return EXCAM_OK;
nomem:
    c->failed = 1;
    return EXCAM_ERR_NOMEM;
}

/* Stop the threads once the queue is empty and wait for them. */
static void join(complexity *c)
{
    if (!c->nthreads) return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < c->nthreads; i++)
        pthread_join(c->th[i], NULL);
    c->nthreads = 0;
}

int complexity_finish(complexity *c, const double **measures, long *n)
{
    *measures = NULL;
    *n = 0;
    if (c->failed) return EXCAM_ERR_NOMEM;
    dispatch(c);
    join(c);
    long frames = c->nseg ? c->all[c->nseg - 1]->first + c->all[c->nseg - 1]->n : 0;
    free(c->measures);
    if (!(c->measures = malloc((size_t)(frames ? frames : 1) * sizeof(double))))
        return EXCAM_ERR_NOMEM;
    for (long k = 0; k < c->nseg; k++)
        memcpy(c->measures + c->all[k]->first, c->all[k]->out,
               (size_t)c->all[k]->n * sizeof(double));
    *measures = c->measures;
    *n = frames;
    return EXCAM_OK;
}

void complexity_free(complexity *c)
{
    if (!c) return;
    /* Whatever is queued is measured first: simpler than cancelling, and bounded. */
    if (c->cur) {
        for (int i = 0; i < c->cur->n; i++)
            excam_image_free(c->cur->pic[i]);
        c->cur->n = 0;
        excam_image_free(c->cur->warm);
        c->cur->warm = NULL;
        c->cur = NULL;
    }
    join(c);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    for (long k = 0; k < c->nseg; k++) {
        for (int i = 0; i < c->all[k]->n; i++)
            excam_image_free(c->all[k]->pic[i]);
        excam_image_free(c->all[k]->warm);
        free(c->all[k]);
    }
    free(c->all);
    excam_image_free(c->warm);
    for (int i = 0; i < MAX_HALVINGS - 1; i++)
        excam_image_free(c->tmp[i]);
    free(c->measures);
    free(c);
}
