/*
 * The alt-ref source: a motion-compensated temporal filter over neighbouring frames
 * (libvpx's ARNR, "alt-ref noise reduction", vp8/encoder/temporal_filter.c).
 *
 * An alt-ref frame (RFC 6386 §9.7: the third reference, usually coded hidden, with
 * show_frame = 0, §9.1) is worth most when it is a clean picture of what the next
 * frames show: the frames that predict from it then code less noise. For every 16x16
 * block of the center frame, each other frame of the window is searched for its best
 * match (integer diamond search, then half- and quarter-pel steps with the six-tap
 * filter of §18.3); the match is averaged into the block with a per-pixel weight that
 * falls with the pixel's difference from the center (16 - min(16, 3 d^2 >> strength))
 * and is scaled by how well the block matched as a whole (2, 1 or 0, by its variance).
 * The center frame itself always weighs 2 (x16). Libvpx's weights and thresholds;
 * not bit-exact with libvpx (its motion search differs), and nothing needs it to be:
 * the result is only a source picture for the encoder.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "vp8i.h"

#define TF_BORDER 32     /* luma pixels of edge replication around each padded plane */
#define TF_RANGE 16      /* integer search range, luma pixels either way */
#define TF_THRESH_LOW 10000  /* block variance under which a match weighs 2 (libvpx) */
#define TF_THRESH_HIGH 20000 /* ... under which it weighs 1; above it 0 */
#define TF_MAX_FRAMES 25

typedef struct tf_frame {
    uint8_t *buf[3];
    uint8_t *p[3]; /* the top-left visible pixel */
    ptrdiff_t stride[3];
} tf_frame;

typedef struct tf_mv {
    int row, col; /* quarter-pel luma */
} tf_mv;

static void tf_frame_free(tf_frame *f)
{
    for (int pl = 0; pl < 3; pl++)
        free(f->buf[pl]);
    memset(f, 0, sizeof(*f));
}

/* A copy of img on planes of whole macroblocks (w16 x h16 luma) with TF_BORDER
 * (chroma: half) pixels around, all filled by replicating the edge pixels. */
static int tf_pad(const excam_image *img, int w16, int h16, tf_frame *o)
{
    memset(o, 0, sizeof(*o));
    for (int pl = 0; pl < 3; pl++) {
        int b = pl ? TF_BORDER / 2 : TF_BORDER;
        int bw = pl ? w16 / 2 : w16, bh = pl ? h16 / 2 : h16;
        int vw = pl ? (img->width + 1) / 2 : img->width;
        int vh = pl ? (img->height + 1) / 2 : img->height;
        ptrdiff_t stride = bw + 2 * b;
        o->buf[pl] = malloc((size_t)stride * (size_t)(bh + 2 * b));
        if (!o->buf[pl]) {
            tf_frame_free(o);
            return EXCAM_ERR_NOMEM;
        }
        o->stride[pl] = stride;
        o->p[pl] = o->buf[pl] + b * stride + b;
        for (int y = -b; y < bh + b; y++) {
            int sy = y < 0 ? 0 : y >= vh ? vh - 1 : y;
            const uint8_t *s = img->plane[pl] + (ptrdiff_t)sy * img->stride[pl];
            uint8_t *d = o->p[pl] + (ptrdiff_t)y * stride;
            memcpy(d, s, (size_t)vw);
            memset(d - b, s[0], (size_t)b);
            memset(d + vw, s[vw - 1], (size_t)(bw + b - vw));
        }
    }
    return EXCAM_OK;
}

/* The 16x16 luma prediction from ref at quarter-pel vector mv of the block at
 * (x, y); returns a pointer to it (into tmp, or into ref for whole-pel vectors). */
static const uint8_t *tf_pred16(const vp8_dsp *dsp, const tf_frame *ref, int x, int y, tf_mv mv,
                                uint8_t tmp[256], ptrdiff_t *stride)
{
    const uint8_t *s = ref->p[0] + (ptrdiff_t)(y + (mv.row >> 2)) * ref->stride[0] + x +
                       (mv.col >> 2);
    if (!((mv.row | mv.col) & 3)) {
        *stride = ref->stride[0];
        return s;
    }
    dsp->sixtap[VP8_PRED_16x16](tmp, 16, s, ref->stride[0], (mv.col & 3) * 2, (mv.row & 3) * 2);
    *stride = 16;
    return tmp;
}

static uint32_t tf_sse(const vp8_dsp *dsp, const uint8_t *cur, ptrdiff_t cs, const tf_frame *ref,
                       int x, int y, tf_mv mv)
{
    uint8_t tmp[256];
    ptrdiff_t ps;
    const uint8_t *p = tf_pred16(dsp, ref, x, y, mv, tmp, &ps);
    return dsp->sse[VP8_PRED_16x16](cur, cs, p, ps);
}

static int tf_in_range(tf_mv mv)
{
    return mv.row >= -TF_RANGE * 4 && mv.row <= TF_RANGE * 4 && mv.col >= -TF_RANGE * 4 &&
           mv.col <= TF_RANGE * 4;
}

/* The best quarter-pel match in ref of the 16x16 block cur at (x, y): the best of the
 * candidates (whole-pel, by SAD), a diamond search from it, then half- and quarter-pel
 * refinement by SSE. Returns the block's variance against the match (libvpx's error). */
static uint32_t tf_search(const vp8_dsp *dsp, const uint8_t *cur, ptrdiff_t cs, const tf_frame *ref,
                          int x, int y, const tf_mv *cand, int ncand, tf_mv *out)
{
    ptrdiff_t rs = ref->stride[0];
    const uint8_t *r0 = ref->p[0] + (ptrdiff_t)y * rs + x;
    tf_mv best = {0, 0};
    uint32_t best_sad = dsp->sad_wh(cur, cs, r0, rs, 16, 16);
    for (int i = 0; i < ncand; i++) {
        tf_mv m = {cand[i].row & ~3, cand[i].col & ~3}; /* whole pixels */
        if (!tf_in_range(m) || (m.row == best.row && m.col == best.col)) continue;
        uint32_t s = dsp->sad_wh(cur, cs, r0 + (m.row >> 2) * rs + (m.col >> 2), rs, 16, 16);
        if (s < best_sad) best_sad = s, best = m;
    }
    static const int dia[8][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {-1, 1}, {1, -1}, {1, 1}};
    for (int step = 8; step >= 1;) {
        int moved = 0;
        tf_mv c = best;
        for (int i = 0; i < 8; i++) {
            tf_mv m = {c.row + dia[i][0] * step * 4, c.col + dia[i][1] * step * 4};
            if (!tf_in_range(m)) continue;
            uint32_t s = dsp->sad_wh(cur, cs, r0 + (m.row >> 2) * rs + (m.col >> 2), rs, 16, 16);
            if (s < best_sad) best_sad = s, best = m, moved = 1;
        }
        if (!moved) step >>= 1;
    }
    uint32_t best_sse = tf_sse(dsp, cur, cs, ref, x, y, best);
    for (int q = 2; q >= 1; q--) {
        tf_mv c = best;
        for (int i = 0; i < 8; i++) {
            tf_mv m = {c.row + dia[i][0] * q, c.col + dia[i][1] * q};
            if (!tf_in_range(m)) continue;
            uint32_t s = tf_sse(dsp, cur, cs, ref, x, y, m);
            if (s < best_sse) best_sse = s, best = m;
        }
    }
    *out = best;
    uint8_t tmp[256];
    ptrdiff_t ps;
    const uint8_t *p = tf_pred16(dsp, ref, x, y, best, tmp, &ps);
    int64_t sum = 0;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            sum += cur[i * cs + j] - p[i * ps + j];
    return best_sse - (uint32_t)((sum * sum) >> 8);
}

/* libvpx's vp8_temporal_filter_apply_c on an n x n block. */
static void tf_apply(const uint8_t *cur, ptrdiff_t cs, const uint8_t *pred, ptrdiff_t ps, int n,
                     int strength, int weight, uint32_t *acc, uint16_t *cnt)
{
    int rounding = strength > 0 ? 1 << (strength - 1) : 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int pv = pred[i * ps + j];
            int d = cur[i * cs + j] - pv;
            int m = (d * d * 3 + rounding) >> strength;
            if (m > 16) m = 16;
            m = (16 - m) * weight;
            cnt[i * n + j] += (uint16_t)m;
            acc[i * n + j] += (uint32_t)(m * pv);
        }
}

EXCAM_API int excam_vp8_temporal_filter(const excam_image *const *frames, int n, int center,
                                        int strength, excam_image *out)
{
    if (!frames || !out || n < 1 || n > TF_MAX_FRAMES || center < 0 || center >= n ||
        strength < 0 || strength > 6)
        return EXCAM_ERR_INVALID_ARG;
    int w = out->width, h = out->height;
    for (int i = 0; i < n; i++)
        if (!frames[i] || frames[i]->width != w || frames[i]->height != h)
            return EXCAM_ERR_INVALID_ARG;
    const vp8_dsp *dsp = vp8_get_dsp();
    int mbw = (w + 15) >> 4, mbh = (h + 15) >> 4;
    tf_frame pad[TF_MAX_FRAMES];
    tf_mv *mvs = calloc((size_t)n * mbw * mbh, sizeof(*mvs));
    int err = mvs ? EXCAM_OK : EXCAM_ERR_NOMEM;
    int npad = 0; /* frames padded (one that fails frees itself) */
    for (; !err && npad < n; npad++)
        if ((err = tf_pad(frames[npad], mbw * 16, mbh * 16, &pad[npad])) != EXCAM_OK) break;
    if (err) goto done;

    const tf_frame *c = &pad[center];
    for (int r = 0; r < mbh; r++)
        for (int col = 0; col < mbw; col++) {
            uint32_t acc[384] = {0};
            uint16_t cnt[384] = {0};
            int x = col * 16, y = r * 16;
            const uint8_t *cy = c->p[0] + (ptrdiff_t)y * c->stride[0] + x;
            const uint8_t *cu = c->p[1] + (ptrdiff_t)(y / 2) * c->stride[1] + x / 2;
            const uint8_t *cv = c->p[2] + (ptrdiff_t)(y / 2) * c->stride[2] + x / 2;
            /* Frames nearest the center first, so that a farther frame can start from
             * its neighbour's vector, scaled by the distance. */
            for (int dist = 0; dist < n; dist++)
                for (int side = -1; side <= 1; side += 2) {
                    int f = center + side * dist;
                    if (f < 0 || f >= n || (dist == 0 && side > 0)) continue;
                    const tf_frame *rf = &pad[f];
                    tf_mv mv = {0, 0};
                    int weight = 2;
                    if (f != center) {
                        tf_mv cand[3];
                        int nc = 0;
                        tf_mv *m = mvs + (size_t)f * mbw * mbh;
                        if (col > 0) cand[nc++] = m[r * mbw + col - 1];
                        if (r > 0) cand[nc++] = m[(r - 1) * mbw + col];
                        if (dist > 1) {
                            tf_mv nb = mvs[((size_t)(f - side) * mbh + r) * mbw + col];
                            cand[nc].row = nb.row * dist / (dist - 1);
                            cand[nc++].col = nb.col * dist / (dist - 1);
                        }
                        uint32_t e = tf_search(dsp, cy, c->stride[0], rf, x, y, cand, nc, &mv);
                        m[r * mbw + col] = mv;
                        weight = e < TF_THRESH_LOW ? 2 : e < TF_THRESH_HIGH ? 1 : 0;
                        if (!weight) continue;
                    }
                    uint8_t tmp[256], tu[64], tv[64];
                    ptrdiff_t ps;
                    const uint8_t *py = tf_pred16(dsp, rf, x, y, mv, tmp, &ps);
                    tf_apply(cy, c->stride[0], py, ps, 16, strength, weight, acc, cnt);
                    /* Chroma: the luma vector in eighth-pels of the half-size planes. */
                    ptrdiff_t us = rf->stride[1];
                    ptrdiff_t off = (ptrdiff_t)(y / 2 + (mv.row >> 3)) * us + x / 2 + (mv.col >> 3);
                    dsp->sixtap[VP8_PRED_8x8](tu, 8, rf->p[1] + off, us, mv.col & 7, mv.row & 7);
                    dsp->sixtap[VP8_PRED_8x8](tv, 8, rf->p[2] + off, us, mv.col & 7, mv.row & 7);
                    tf_apply(cu, c->stride[1], tu, 8, 8, strength, weight, acc + 256, cnt + 256);
                    tf_apply(cv, c->stride[2], tv, 8, 8, strength, weight, acc + 320, cnt + 320);
                }
            /* The average, into the visible part of the block. */
            int bw = w - x < 16 ? w - x : 16, bh = h - y < 16 ? h - y : 16;
            for (int i = 0; i < bh; i++)
                for (int j = 0; j < bw; j++) {
                    int k = i * 16 + j;
                    out->plane[0][(ptrdiff_t)(y + i) * out->stride[0] + x + j] =
                        (uint8_t)((acc[k] + cnt[k] / 2) / cnt[k]);
                }
            int cw = (w + 1) / 2 - x / 2, ch = (h + 1) / 2 - y / 2;
            if (cw > 8) cw = 8;
            if (ch > 8) ch = 8;
            for (int pl = 1; pl < 3; pl++)
                for (int i = 0; i < ch; i++)
                    for (int j = 0; j < cw; j++) {
                        int k = 256 + (pl - 1) * 64 + i * 8 + j;
                        out->plane[pl][(ptrdiff_t)(y / 2 + i) * out->stride[pl] + x / 2 + j] =
                            (uint8_t)((acc[k] + cnt[k] / 2) / cnt[k]);
                    }
        }
done:
    for (int i = 0; i < npad; i++)
        tf_frame_free(&pad[i]);
    free(mvs);
    return err;
}
