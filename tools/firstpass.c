/*
 * The first pass (see firstpass.h).
 */
#include "firstpass.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tables.h" /* the quantizer steps (RFC 6386 §14.1) */
#include "tasks.h"  /* task_first_q */

/* The quantizer indices the samples are coded at, spread over the range targets land in.
 * Bits against log(step) are close to a line, bits against the index are not: with two
 * points at 30 and 80 and a model linear in the index, flower 720p came out at 1234
 * kbit/s for 1500 and 22,239 for 4000 (the model's extrapolation to index 1). */
#define NQ 3
static const int model_q[NQ] = {16, 48, 100};
#define GROUP 3 /* frames a group: a key frame, two inter frames */

typedef struct sample {
    long frame;
    double key[NQ], inter[NQ]; /* bits of the key frame, of the inter frames, at model_q */
    int n_inter;
} sample;

struct firstpass {
    int width, height, speed;
    int max_groups;   /* the sample is thinned to this many groups */
    long step;        /* sample the groups starting at multiples of step frames */
    sample *s;
    int n, cap;
};

firstpass *firstpass_new(int width, int height, int speed)
{
    firstpass *fp = calloc(1, sizeof(*fp));
    if (!fp) return NULL;
    fp->width = width;
    fp->height = height;
    fp->speed = speed < 0 ? 0 : speed > 9 ? 9 : speed;
    /* About 36 frames of 720p in all (the budget is in pixels: fewer groups of larger
     * pictures), at least 2 groups. */
    double area = (double)width * height;
    int g = (int)(12 * 1280.0 * 720.0 / (area > 1 ? area : 1));
    fp->max_groups = g < 2 ? 2 : g > 12 ? 12 : g;
    fp->step = 1;
    return fp;
}

void firstpass_free(firstpass *fp)
{
    if (!fp) return;
    free(fp->s);
    free(fp);
}

void firstpass_set_length(firstpass *fp, long frames)
{
    if (!fp || frames <= 0) return;
    long step = (frames + fp->max_groups - 1) / fp->max_groups;
    fp->step = step > 1 ? step : 1;
}

int firstpass_group_frames(const firstpass *fp)
{
    (void)fp;
    return GROUP;
}

int firstpass_want(firstpass *fp, long frame)
{
    /* The first group at frame 0; then groups at least `step` frames apart, step
     * doubling (and every other sample dropped) whenever the sample grows past its
     * budget: the groups kept stay spread evenly over what has been read. */
    if (fp->n && frame - fp->s[fp->n - 1].frame < fp->step) return 0;
    return 1;
}

static void thin(firstpass *fp)
{
    int k = 0;
    for (int i = 0; i < fp->n; i++)
        if (i % 2 == 0) fp->s[k++] = fp->s[i];
    fp->n = k;
    /* The next group no closer to the last than the kept ones are to each other. */
    fp->step = k > 1 ? fp->s[1].frame - fp->s[0].frame : fp->step * 2;
}

static int code(const firstpass *fp, excam_image *const *frames, int n, int q, double *key,
                double *inter)
{
    excam_vp8_state *s = excam_vp8_state_new();
    if (!s) return EXCAM_ERR_NOMEM;
    *key = *inter = 0;
    for (int i = 0; i < n; i++) {
        excam_vp8_enc_params p;
        excam_vp8_enc_params_default(&p);
        p.frame_type = i ? EXCAM_FRAME_INTER : EXCAM_FRAME_KEY;
        p.q_index = q;
        p.speed = fp->speed;
        uint8_t *data;
        size_t len;
        excam_vp8_state *next = NULL;
        int e = excam_vp8_encode(s, frames[i], &p, &data, &len, i + 1 < n ? &next : NULL);
        excam_vp8_state_free(s);
        s = next;
        if (e) {
            excam_vp8_state_free(s);
            return e;
        }
        excam_free(data);
        if (i) *inter += 8.0 * len;
        else *key = 8.0 * len;
    }
    excam_vp8_state_free(s);
    return EXCAM_OK;
}

int firstpass_add(firstpass *fp, long frame, excam_image *const *frames, int n)
{
    if (n < 1) return EXCAM_ERR_INVALID_ARG;
    if (n > GROUP) n = GROUP;
    if (fp->n == fp->cap) {
        int cap = fp->cap ? 2 * fp->cap : 16;
        sample *p = realloc(fp->s, (size_t)cap * sizeof(*p));
        if (!p) return EXCAM_ERR_NOMEM;
        fp->s = p;
        fp->cap = cap;
    }
    sample *sm = &fp->s[fp->n];
    memset(sm, 0, sizeof(*sm));
    sm->frame = frame;
    sm->n_inter = n - 1;
    for (int j = 0; j < NQ; j++) {
        int e = code(fp, frames, n, model_q[j], &sm->key[j], &sm->inter[j]);
        if (e) return e;
    }
    fp->n++;
    if (fp->n > fp->max_groups) thin(fp);
    return EXCAM_OK;
}

static double lstep(int q) { return log2((double)vp8_ac_qlookup[q < 0 ? 0 : q > 127 ? 127 : q]); }

/* Bits per frame at index q from the bits b[] at model_q[]: log2(bits) piecewise linear
 * in log2(step), the end segments extended. */
static double model(const double b[NQ], int q)
{
    int j = 0;
    while (j < NQ - 2 && lstep(q) > lstep(model_q[j + 1])) j++;
    if (b[j] <= 0 || b[j + 1] <= 0) return b[j] > b[j + 1] ? b[j] : b[j + 1];
    double x0 = lstep(model_q[j]), x1 = lstep(model_q[j + 1]);
    double y0 = log2(b[j]), y1 = log2(b[j + 1]);
    return exp2(y0 + (y1 - y0) * (lstep(q) - x0) / (x1 - x0));
}

/* The samples' mean bits of a key frame and of an inter frame at model_q; the number of
 * inter frames sampled (0: none, the key frames stand in). */
static int means(const firstpass *fp, double key[NQ], double inter[NQ])
{
    int ninter = 0;
    for (int j = 0; j < NQ; j++)
        key[j] = inter[j] = 0;
    for (int i = 0; i < fp->n; i++)
        ninter += fp->s[i].n_inter;
    for (int i = 0; i < fp->n; i++)
        for (int j = 0; j < NQ; j++) {
            key[j] += fp->s[i].key[j] / fp->n;
            if (ninter) inter[j] += fp->s[i].inter[j] / ninter;
        }
    if (!ninter) memcpy(inter, key, sizeof(double) * NQ);
    return ninter;
}

int firstpass_key_q(int q, int lo) { return q * 3 / 4 < lo ? lo : q * 3 / 4; }

int firstpass_pick(const firstpass *fp, long frames, long keys, long firsts, double fps,
                   double target_kbps, int lo, int hi, double *pred_kbps)
{
    double key[NQ], inter[NQ];
    if (!fp || !fp->n || frames < 1 || fps <= 0) return -1;
    means(fp, key, inter);
    if (keys < 1) keys = 1;
    if (keys > frames) keys = frames;
    if (firsts < 0) firsts = 0;
    if (firsts > frames - keys) firsts = frames - keys;
    int q = hi;
    double pred = 0;
    for (int i = lo; i <= hi; i++) {
        int qk = firstpass_key_q(i, lo);
        double ki = model(key, qk);
        double ii = model(inter, i);
        double fi = model(inter, task_first_q(qk, i, lo));
        pred = (keys * ki + firsts * fi + (frames - keys - firsts) * ii) * fps / frames / 1000.0;
        if (pred <= target_kbps) {
            q = i;
            break;
        }
    }
    if (pred_kbps) *pred_kbps = pred;
    return q;
}

/* Chunk c's predicted bits at inter index i: r times the mean inter frame for its
 * inter frames (and its re-encoded first frame), the mean key frame for its key frame. */
static double chunk_bits(const double key[NQ], const double inter[NQ], double r, int frames,
                         int group_start, int i, int lo)
{
    int qk = firstpass_key_q(i, lo);
    double b = r * (frames - 1) * model(inter, i);
    return b + (group_start ? model(key, qk) : r * model(inter, task_first_q(qk, i, lo)));
}

int firstpass_pick_chunks(const firstpass *fp, const double *err, const int *frames, int n,
                          int x, double fps, double target_kbps, int lo, int hi, int q,
                          int bias_pct, int min_pct, int max_pct, uint8_t *out,
                          double *pred_kbps)
{
    double key[NQ], inter[NQ], all_frames = 0, all_err = 0;
    if (!fp || !fp->n || n < 1 || fps <= 0 || x < 1) return -1;
    means(fp, key, inter);
    for (int c = 0; c < n; c++) {
        if (frames[c] < 1 || !(err[c] > 0)) return -1;
        all_frames += frames[c];
        all_err += err[c];
    }
    double *w = malloc((size_t)n * sizeof(*w)), *r = malloc((size_t)n * sizeof(*r));
    uint8_t *fixed = calloc((size_t)n, 1);
    if (!w || !r || !fixed) {
        free(w);
        free(r);
        free(fixed);
        return -2;
    }
    /* A chunk's bits: the first pass's model times its measure a frame over the job's
     * (complexity.h). The measure is rough (a chunk's bits follow it with correlation
     * 0.93-0.96), so a bias of 0 over-reacts: foreman [6,16] at 600 kbit/s, the chunks'
     * bitrates spread (sd/mean) 0.15 at bias 100, 0.08 at 50, 0.14 at 0
     * (bench/results/pipeline-vbr.md; raising the measure to 0.87 or 0.7 to damp it did
     * no better). */
    const double budget = target_kbps * 1000.0 * all_frames / fps;
    for (int c = 0; c < n; c++) {
        r[c] = err[c] / frames[c] / (all_err / all_frames);
        /* Its share: its bits at q moved toward equal bitrates by the bias (vpxenc's
         * --bias-pct: libvpx's two-pass gives a frame bits in proportion to its error
         * raised to bias/100). */
        w[c] = chunk_bits(key, inter, r[c], frames[c], c % x == 0, q, lo) *
               pow(r[c], bias_pct / 100.0 - 1.0);
    }
    /* Scaled to the budget, each chunk's bitrate kept within [min_pct, max_pct] percent
     * of the target: the clamped chunks are fixed and the others scaled again (a few
     * rounds settle it). */
    for (int round = 0; round < 16; round++) {
        double free_sum = 0, fixed_sum = 0;
        for (int c = 0; c < n; c++) {
            if (fixed[c]) fixed_sum += w[c];
            else free_sum += w[c];
        }
        if (free_sum <= 0) break;
        double k = (budget - fixed_sum) / free_sum;
        if (k <= 0) break;
        int changed = 0;
        for (int c = 0; c < n; c++) {
            if (fixed[c]) continue;
            w[c] *= k;
            double lo_b = target_kbps * 1000.0 * frames[c] / fps * min_pct / 100.0;
            double hi_b = target_kbps * 1000.0 * frames[c] / fps * max_pct / 100.0;
            if (w[c] < lo_b) w[c] = lo_b, fixed[c] = 1, changed = 1;
            if (w[c] > hi_b) w[c] = hi_b, fixed[c] = 1, changed = 1;
        }
        if (!changed) break;
    }
    double total = 0;
    for (int c = 0; c < n; c++) {
        int qc = hi;
        for (int i = lo; i <= hi; i++)
            if (chunk_bits(key, inter, r[c], frames[c], c % x == 0, i, lo) <= w[c]) {
                qc = i;
                break;
            }
        out[c] = (uint8_t)qc;
        total += chunk_bits(key, inter, r[c], frames[c], c % x == 0, qc, lo);
    }
    if (pred_kbps) *pred_kbps = total * fps / all_frames / 1000.0;
    free(w);
    free(r);
    free(fixed);
    return 0;
}

void firstpass_stats(const firstpass *fp, int *groups, int *frames)
{
    *groups = fp ? fp->n : 0;
    *frames = 0;
    for (int i = 0; fp && i < fp->n; i++)
        *frames += 1 + fp->s[i].n_inter;
}

void firstpass_report(const firstpass *fp, int q, double pred_kbps, double target_kbps)
{
    int groups, frames;
    firstpass_stats(fp, &groups, &frames);
    fprintf(stderr, "excam encode: first pass (%d frames in %d groups, each at %d quantizers): "
                    "quantizer index %d, %.0f kbit/s predicted for %.0f\n",
            frames, groups, NQ, q, pred_kbps, target_kbps);
}
