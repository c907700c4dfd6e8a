/*
 * Encoding one frame against an explicit state (RFC 6386 as the decoder reads it;
 * §9.1 frame tag, §9.5 partitions, §19).
 *
 * 1. analysis: every macroblock's modes chosen by rate-distortion and reconstructed
 *    (enc_analysis.c), in raster order, into a new frame;
 * 2. the loop-filter level chosen on that reconstruction;
 * 3. token statistics gathered, coefficient probability updates chosen;
 * 4. the first partition (header, modes) and the token partitions written;
 * 5. the new state: for a key frame, the decoder run on the frame just written; for
 *    an inter frame, the encoder's reconstruction and probabilities finished as the
 *    decoder finishes a frame (p->self_check compares that with the decoder's state).
 */
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "tables.h"

EXCAM_API void excam_vp8_enc_params_default(excam_vp8_enc_params *p)
{
    if (!p) return;
    memset(p, 0, sizeof(*p));
    p->frame_type = EXCAM_FRAME_AUTO;
    p->q_index = 40;
    p->speed = 4;
    p->token_partitions = 0;
    p->filter_level = -1;
    p->sharpness = 0;
    p->refresh_last = p->refresh_golden = p->refresh_altref = -1;
    p->show_frame = 1;
}

static int check_params(const excam_vp8_enc_params *p)
{
    return p->frame_type >= EXCAM_FRAME_AUTO && p->frame_type <= EXCAM_FRAME_INTER &&
           p->q_index >= 0 && p->q_index <= 127 && p->speed >= 0 && p->speed <= 9 &&
           p->token_partitions >= 0 && p->token_partitions <= 3 && p->filter_level >= -1 &&
           p->filter_level <= 63 && p->sharpness >= 0 && p->sharpness <= 7 &&
           p->refresh_last >= -1 && p->refresh_last <= 1 && p->refresh_golden >= -1 &&
           p->refresh_golden <= 1 && p->refresh_altref >= -1 && p->refresh_altref <= 1 &&
           p->refs >= 0 && p->refs <= 7 && p->copy_to_golden >= 0 && p->copy_to_golden <= 2 &&
           p->copy_to_altref >= 0 && p->copy_to_altref <= 2;
}

/* The source copied into a frame of whole macroblocks, edges replicated, so that
 * every macroblock has a full 16x16 (8x8) source. */
static vp8_frame *pad_source(const excam_image *src)
{
    vp8_frame *f = vp8_frame_new(src->width, src->height);
    if (!f) return NULL;
    for (int p = 0; p < 3; p++) {
        int w = p ? (src->width + 1) / 2 : src->width, h = p ? (src->height + 1) / 2 : src->height;
        int W = p ? f->mb_cols * 8 : f->mb_cols * 16, H = p ? f->mb_rows * 8 : f->mb_rows * 16;
        for (int y = 0; y < H; y++) {
            const uint8_t *s = src->plane[p] + (ptrdiff_t)(y < h ? y : h - 1) * src->stride[p];
            uint8_t *d = f->plane[p] + (ptrdiff_t)y * f->stride[p];
            memcpy(d, s, (size_t)w);
            if (W > w) memset(d + w, s[w - 1], (size_t)(W - w));
        }
    }
    return f;
}

/* ------------------------------------------------------------ loop filter level */

static int64_t frame_sse(const vp8_frame *a, const vp8_frame *b, int width, int height)
{
    int64_t s = 0;
    for (int p = 0; p < 3; p++) {
        int w = p ? (width + 1) / 2 : width, h = p ? (height + 1) / 2 : height;
        for (int y = 0; y < h; y++) {
            const uint8_t *ra = a->plane[p] + (ptrdiff_t)y * a->stride[p];
            const uint8_t *rb = b->plane[p] + (ptrdiff_t)y * b->stride[p];
            for (int x = 0; x < w; x++) {
                int d = ra[x] - rb[x];
                s += d * d;
            }
        }
    }
    return s;
}

static void copy_frame(vp8_frame *dst, const vp8_frame *src)
{
    for (int p = 0; p < 3; p++) {
        int w = p ? src->mb_cols * 8 : src->mb_cols * 16, h = p ? src->mb_rows * 8 : src->mb_rows * 16;
        for (int y = 0; y < h; y++)
            memcpy(dst->plane[p] + (ptrdiff_t)y * dst->stride[p],
                   src->plane[p] + (ptrdiff_t)y * src->stride[p], (size_t)w);
    }
}

/* Rows of the level search (speed >= 2, frames of at least LF_BAND_PERIOD * 2
 * macroblock rows): of every LF_BAND_PERIOD macroblock rows, the first LF_BAND_ROWS are
 * filtered (from the reconstruction, with 4 pixel rows above for the first one's top
 * edge) and the ones between the first and the last are measured: they are filtered as
 * in the whole frame but for what reaches them through the band's first row. A
 * quarter of the frame measured for half the filtering (libvpx's fast search measures
 * an eighth). Quick bench (4 clips, q 12..48, vs vpxenc --cpu-used=1): 0.87x -> 0.92x
 * its speed, BD-rate PSNR +0.95% -> +0.97%, SSIM +0.05% -> -0.10%. */
#define LF_BAND_PERIOD 8
#define LF_BAND_ROWS 4

/* SSE of rows [y0, y1) of plane p. */
static int64_t rows_sse(const vp8_frame *a, const vp8_frame *b, int p, int w, int y0, int y1)
{
    int64_t s = 0;
    for (int y = y0; y < y1; y++) {
        const uint8_t *ra = a->plane[p] + (ptrdiff_t)y * a->stride[p];
        const uint8_t *rb = b->plane[p] + (ptrdiff_t)y * b->stride[p];
        int32_t r = 0; /* a row: at most 255^2 * 8192 < 2^31 */
        for (int x = 0; x < w; x++) {
            int d = ra[x] - rb[x];
            r += d * d;
        }
        s += r;
    }
    return s;
}

static void copy_rows(vp8_frame *dst, const vp8_frame *src, int p, int w, int y0, int y1)
{
    for (int y = y0; y < y1; y++)
        memcpy(dst->plane[p] + (ptrdiff_t)y * dst->stride[p],
               src->plane[p] + (ptrdiff_t)y * src->stride[p], (size_t)w);
}

static int lf_banded(const vp8_encoder *e)
{
    return e->p->speed >= 2 && e->d.s->mb_rows >= 2 * LF_BAND_PERIOD;
}

/* SSE against the source after filtering the reconstruction at `level`: the whole
 * frame, or the bands' measured rows. */
static int64_t try_filter_level(vp8_encoder *e, vp8_frame *work, int level)
{
    vp8_decoder *d = &e->d;
    vp8_frame *saved = d->cur;
    int saved_level = d->hdr.filter_level;
    const int rows = d->s->mb_rows, width = d->s->width, height = d->s->height;
    int64_t sse = 0;
    if (!lf_banded(e)) {
        copy_frame(work, saved);
        d->cur = work;
        d->hdr.filter_level = level;
        if (level) vp8_loop_filter_frame(d);
        d->cur = saved;
        d->hdr.filter_level = saved_level;
        return frame_sse(work, e->srcf, width, height);
    }
    d->cur = work;
    d->hdr.filter_level = level;
    vp8_loop_filter_setup(d); /* the level's tables, for vp8_loop_filter_row */
    for (int r0 = 0; r0 < rows; r0 += LF_BAND_PERIOD) {
        const int r1 = r0 + LF_BAND_ROWS < rows ? r0 + LF_BAND_ROWS : rows;
        for (int p = 0; p < 3; p++) {
            const int sz = p ? 8 : 16, w = saved->mb_cols * sz;
            copy_rows(work, saved, p, w, r0 ? r0 * sz - 4 : 0, r1 * sz);
        }
        if (level)
            for (int r = r0; r < r1; r++)
                vp8_loop_filter_row(d, r);
        for (int p = 0; p < 3; p++) {
            const int sz = p ? 8 : 16;
            const int w = p ? (width + 1) / 2 : width, h = p ? (height + 1) / 2 : height;
            const int y0 = (r0 + 1) * sz, y1 = (r1 - 1) * sz < h ? (r1 - 1) * sz : h;
            if (y0 < y1) sse += rows_sse(work, e->srcf, p, w, y0, y1);
        }
    }
    d->cur = saved;
    d->hdr.filter_level = saved_level;
    return sse;
}

/* libvpx's search (vp8cx_pick_filter_level): from a guess, step down and up while
 * the filtered picture gets closer to the source. A small bias favours lower levels. */
static int pick_filter_level(vp8_encoder *e)
{
    vp8_decoder *d = &e->d;
    int q = d->hdr.q_index;
    int guess = q * 3 / 8;
    if (guess > 63) guess = 63;
    if (e->p->speed >= 8) return guess;
    vp8_frame *work = vp8_frame_new(d->s->width, d->s->height);
    if (!work) return guess;
    int best = guess;
    int64_t best_sse = try_filter_level(e, work, guess);
    int step = guess / 4 > 2 ? guess / 4 : 2;
    while (step >= 1) {
        int moved = 0;
        for (int dir = -1; dir <= 1; dir += 2) {
            int l = best + dir * step;
            if (l < 0 || l > 63) continue;
            int64_t s = try_filter_level(e, work, l);
            /* Prefer the lower level unless the higher one is clearly better. */
            int64_t bias = dir > 0 ? best_sse >> 10 : 0;
            if (s + bias < best_sse) {
                best_sse = s;
                best = l;
                moved = 1;
                break;
            }
        }
        if (!moved) step /= 2;
    }
    vp8_frame_unref(work);
    return best;
}

/* ------------------------------------------------------------ writing */

static int write_frame(vp8_encoder *e, uint8_t **frame, size_t *len)
{
    vp8_decoder *d = &e->d;
    vp8_frame_header *h = &d->hdr;
    const int rows = d->s->mb_rows, cols = d->s->mb_cols, n = h->num_partitions;
    vp8_bool_writer first, parts[8];
    uint8_t nz_left[9];
    int err = EXCAM_OK;

    /* Token statistics with the real contexts, for the probability updates. */
    memset(e->nz_above, 0, (size_t)cols * 9);
    memset(e->coef_counts, 0, sizeof(e->coef_counts));
    for (int r = 0; r < rows; r++) {
        memset(nz_left, 0, sizeof(nz_left));
        for (int c = 0; c < cols; c++)
            vp8_tokens_count_mb(e, vp8_mbi(d, r, c), &e->coeffs[r * cols + c], nz_left,
                                e->nz_above + 9 * c);
    }

    /* Branch counts of the modes and vectors, for their probability updates. */
    vp8_mode_counts mc;
    memset(&mc, 0, sizeof(mc));
    if (!h->key_frame)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                vp8_count_mb_modes(e, &mc, r, c);

    vp8_bw_init(&first, (size_t)rows * cols * 8 + 1024);
    e->mode_counts = h->key_frame ? NULL : &mc;
    vp8_write_frame_header(e, &first);
    e->mode_counts = NULL;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            vp8_write_mb_modes(e, &first, r, c);
    vp8_bw_flush(&first);

    for (int k = 0; k < n; k++)
        vp8_bw_init(&parts[k], (size_t)rows * cols * 64 / n + 1024);
    memset(e->nz_above, 0, (size_t)cols * 9);
    for (int r = 0; r < rows; r++) {
        memset(nz_left, 0, sizeof(nz_left));
        for (int c = 0; c < cols; c++)
            vp8_tokens_write_mb(&parts[r % n], &d->s->ctx, vp8_mbi(d, r, c),
                                &e->coeffs[r * cols + c], nz_left, e->nz_above + 9 * c);
    }
    for (int k = 0; k < n; k++)
        vp8_bw_flush(&parts[k]);

    int bad = first.err;
    size_t total = (h->key_frame ? 10 : 3) + first.pos + 3 * (size_t)(n - 1);
    for (int k = 0; k < n; k++) {
        bad |= parts[k].err;
        total += parts[k].pos;
        if (k < n - 1 && parts[k].pos >= (1u << 24)) bad = 2;
    }
    if (first.pos >= (1u << 19)) bad = 2; /* the 19-bit first_part_size of §9.1 */
    uint8_t *out = bad ? NULL : malloc(total);
    if (!out) {
        err = bad == 2 ? EXCAM_ERR_UNSUPPORTED : EXCAM_ERR_NOMEM;
    } else {
        /* §9.1 frame tag */
        uint32_t tag = (uint32_t)!h->key_frame | (uint32_t)h->version << 1 |
                       (uint32_t)h->show_frame << 4 | (uint32_t)first.pos << 5;
        uint8_t *p = out;
        *p++ = (uint8_t)tag;
        *p++ = (uint8_t)(tag >> 8);
        *p++ = (uint8_t)(tag >> 16);
        if (h->key_frame) {
            *p++ = 0x9d;
            *p++ = 0x01;
            *p++ = 0x2a;
            *p++ = (uint8_t)h->width;
            *p++ = (uint8_t)(h->width >> 8);
            *p++ = (uint8_t)h->height;
            *p++ = (uint8_t)(h->height >> 8);
        }
        memcpy(p, first.buf, first.pos);
        p += first.pos;
        for (int k = 0; k < n - 1; k++) { /* §9.5 partition sizes */
            *p++ = (uint8_t)parts[k].pos;
            *p++ = (uint8_t)(parts[k].pos >> 8);
            *p++ = (uint8_t)(parts[k].pos >> 16);
        }
        for (int k = 0; k < n; k++) {
            memcpy(p, parts[k].buf, parts[k].pos);
            p += parts[k].pos;
        }
        *frame = out;
        *len = total;
    }
    vp8_bw_free(&first);
    for (int k = 0; k < n; k++)
        vp8_bw_free(&parts[k]);
    return err;
}

/* p->self_check: the encoder's reconstruction, loop-filtered as the header says, must
 * be the picture the decoder made of the frame (the reference it refreshed). This is
 * what keeps the encoder's decisions honest: they were made on these pixels. */
static int self_check(vp8_encoder *e, const excam_vp8_state *out)
{
    vp8_decoder *d = &e->d;
    const vp8_frame *dec = NULL;
    for (int r = VP8_REF_LAST; r <= VP8_REF_ALTREF && !dec; r++)
        if (out->ref[r] != d->in->ref[r]) dec = out->ref[r];
    if (!dec) return EXCAM_OK; /* refreshes nothing: no picture to compare */
    if (d->hdr.filter_level) vp8_loop_filter_frame(d);
    return frame_sse(d->cur, dec, d->s->width, d->s->height) ? EXCAM_ERR_INTERNAL : EXCAM_OK;
}

/* ------------------------------------------------------------ the API */

/* A segment tree probability (§9.3: of a 0 branch) from its branches' counts. */
static int seg_prob(uint32_t n0, uint32_t n1)
{
    uint64_t n = (uint64_t)n0 + n1;
    if (!n) return 255;
    int pr = (int)(((uint64_t)n0 * 256 + n / 2) / n);
    return pr < 1 ? 1 : pr > 255 ? 255 : pr;
}

static void set_header(vp8_encoder *e, const excam_vp8_state *in, int key, int w, int h)
{
    const excam_vp8_enc_params *p = e->p;
    vp8_frame_header *hd = &e->d.hdr;
    memset(hd, 0, sizeof(*hd));
    hd->key_frame = key;
    hd->version = 0;
    hd->show_frame = p->show_frame ? 1 : 0;
    hd->width = w;
    hd->height = h;
    hd->filter_type = 0;
    hd->sharpness = p->sharpness;
    hd->num_partitions = 1 << p->token_partitions;
    hd->q_index = p->q_index;
    hd->refresh_entropy = !p->error_resilient;
    if (key) {
        hd->refresh_last = hd->refresh_golden = hd->refresh_altref = 1;
    } else {
        hd->refresh_last = p->refresh_last != 0;
        hd->refresh_golden = p->refresh_golden == 1;
        hd->refresh_altref = p->refresh_altref == 1;
        hd->copy_to_golden = hd->refresh_golden ? 0 : p->copy_to_golden;
        hd->copy_to_altref = hd->refresh_altref ? 0 : p->copy_to_altref;
    }
    (void)in;
    if (e->forced_hdr) {
        /* Rebase: the frame's own choices (RFC 6386 §9.7-§9.8), not the params'. */
        const vp8_frame_header *f = e->forced_hdr;
        hd->show_frame = f->show_frame;
        hd->q_index = f->q_index;
        hd->sharpness = f->sharpness;
        hd->num_partitions = f->num_partitions;
        hd->refresh_entropy = f->refresh_entropy;
        hd->refresh_last = f->refresh_last;
        hd->refresh_golden = f->refresh_golden;
        hd->refresh_altref = f->refresh_altref;
        hd->copy_to_golden = f->copy_to_golden;
        hd->copy_to_altref = f->copy_to_altref;
        hd->sign_bias[VP8_REF_GOLDEN] = f->sign_bias[VP8_REF_GOLDEN];
        hd->sign_bias[VP8_REF_ALTREF] = f->sign_bias[VP8_REF_ALTREF];
        /* §9.6 quantizer deltas, and §9.3 segmentation: the segment values and the
         * whole map are sent again (update_seg_data, update_mb_seg_map), as they
         * persist in a state and the new base's may not be the old one's. */
        hd->y1dc_delta = f->y1dc_delta;
        hd->y2dc_delta = f->y2dc_delta;
        hd->y2ac_delta = f->y2ac_delta;
        hd->uvdc_delta = f->uvdc_delta;
        hd->uvac_delta = f->uvac_delta;
        if (f->segmentation_enabled && e->forced_seg) {
            hd->segmentation_enabled = hd->update_mb_seg_map = hd->update_seg_data = 1;
            hd->seg_tree_probs[0] = hd->seg_tree_probs[1] = hd->seg_tree_probs[2] = 255;
        }
    }
    /* Estimates for the analysis; the header's values come from the final counts.
     * prob_intra (§9.10, §16.2: the probability of an intra macroblock) prices the
     * intra flag at 3.4 bits and the inter one at 0.14: camera footage has a few percent
     * intra macroblocks in inter frames. At 63 (2.0 and 0.4 bits) street 1080p chose
     * intra 16x16 for 16-32% of them at indices 43..106 (vpxenc --cpu-used=1: under 2%).
     * BD-rate SSIM / PSNR against 63, fixed q 12/24/36/48 (vpxenc scale): street 54
     * frames -0.48/-1.31%, foreman 299 frames +0.27/+0.01%, flower 720p 60 frames
     * +0.05/-0.01%; at q 20/32/44/56, street -1.44/-2.56%. (10: street +0.46/-1.19% and
     * foreman +0.70/+0.20% at 12..48, street -1.53/-3.45% and flower -1.98/-2.41% at
     * 20..56; 3: street -0.31/-2.94% at 20..56.) */
    hd->prob_skip_false = 128;
    hd->prob_intra = 25;
    hd->prob_last = 200;
    hd->prob_golden = 128;
}

/* The encoder. forced_hdr / forced_mbi (rebase): the frame's header choices and every
 * macroblock's modes are imposed, only the residual is coded anew. */
static int encode_frame(const excam_vp8_state *in, const excam_image *src,
                        const excam_vp8_enc_params *p, const vp8_frame_header *forced_hdr,
                        const vp8_seg_values *forced_seg, const vp8_mb_info *forced_mbi,
                        int forced_stride, uint8_t **frame,
                        size_t *len, excam_vp8_state **out)
{
    vp8_encoder e;
    vp8_decoder *d = &e.d;
    int err = EXCAM_OK, key;

    if (frame) *frame = NULL;
    if (len) *len = 0;
    if (out) *out = NULL;
    if (!in || !src || !p || !frame || !len || !check_params(p) || in->no_pictures || src->width < 1 ||
        src->height < 1 || src->width > 16383 || src->height > 16383)
        return EXCAM_ERR_INVALID_ARG;
    key = p->frame_type == EXCAM_FRAME_KEY || (p->frame_type == EXCAM_FRAME_AUTO && !in->has_keyframe);
    if (!key) {
        if (!in->has_keyframe) return EXCAM_ERR_NO_KEYFRAME;
        if (src->width != in->width || src->height != in->height) return EXCAM_ERR_INVALID_ARG;
    }

    memset(&e, 0, sizeof(e));
    e.p = p;
    e.src = src;
    e.forced_hdr = forced_hdr;
    e.forced_mbi = forced_mbi;
    e.forced_stride = forced_stride;
    e.forced_seg = forced_seg;
    d->dsp = vp8_get_dsp();
    d->in = in;
    set_header(&e, in, key, src->width, src->height);
    if (key) {
        d->s = vp8_state_alloc();
        if (d->s && (err = vp8_state_set_size(d->s, src->width, src->height)) == EXCAM_OK)
            vp8_state_reset_for_key(d->s);
    } else {
        d->s = excam_vp8_state_copy(in);
    }
    if (!d->s) return EXCAM_ERR_NOMEM;
    if (err) goto done;
    if (d->hdr.segmentation_enabled) {
        /* Rebase with segmentation (§9.3, §10): the frame's segment values, its map
         * (into the state, where it persists) and tree probabilities that fit it. */
        excam_vp8_state *s = d->s;
        uint32_t n[4] = {0, 0, 0, 0};
        s->seg_abs_delta = forced_seg->abs_delta;
        memcpy(s->seg_quant, forced_seg->quant, sizeof(s->seg_quant));
        memcpy(s->seg_lf, forced_seg->lf, sizeof(s->seg_lf));
        for (int r = 0; r < s->mb_rows; r++)
            for (int c = 0; c < s->mb_cols; c++) {
                uint8_t sg = forced_mbi[(r + 1) * forced_stride + c + 1].segment & 3;
                s->seg_map[r * s->mb_cols + c] = sg;
                n[sg]++;
            }
        d->hdr.seg_tree_probs[0] = (uint8_t)seg_prob(n[0] + n[1], n[2] + n[3]);
        d->hdr.seg_tree_probs[1] = (uint8_t)seg_prob(n[0], n[1]);
        d->hdr.seg_tree_probs[2] = (uint8_t)seg_prob(n[2], n[3]);
    }

    {
        const int rows = d->s->mb_rows, cols = d->s->mb_cols;
        d->cur = vp8_frame_new(src->width, src->height);
        d->mbi_stride = cols + 1;
        d->mbi = calloc((size_t)(cols + 1) * (size_t)(rows + 1), sizeof(*d->mbi));
        e.srcf = pad_source(src);
        e.coeffs = malloc((size_t)rows * cols * sizeof(*e.coeffs));
        e.nz_above = calloc((size_t)cols, 9);
        if (!d->cur || !d->mbi || !e.srcf || !e.coeffs || !e.nz_above) {
            err = EXCAM_ERR_NOMEM;
            goto done;
        }
        vp8_setup_dequant(d);
        vp8_enc_init_quant(&e, 0);
        vp8_token_costs_init(&e.tc, &d->s->ctx);
        {
            /* Lambda per bit = rdmult = qa^2 / 64 (qa: the luma AC step). Measured on
             * foreman CIF at fixed q 8..56 against 9/256: 3.0% lower BD-rate (PSNR);
             * 2/256 and 18/256 were worse. */
            int qa = d->dequant[0][0][1];
            e.rdmult = (qa * qa * 4) >> 8;
            /* A skipped MB whose error (luma + chroma, 384 pixels) is under 1/8 of the
             * quantization noise of a coded one (~(qa/2)^2/12 per pixel) stops the search. */
            e.skip_thresh = (int64_t)qa * qa * 384 / 48 / 8;
            if (e.rdmult < 1) e.rdmult = 1;
            {
                /* Motion search counts a vector's bits: in the full-pel SAD at
                 * 4 sqrt(rdmult) a bit (a SAD is about the square root of a squared
                 * error), in the sub-pel SSE at rdmult. Fixed q 8..56, BD-rate by PSNR
                 * against no vector cost: foreman CIF 150 frames -2.1%, flower 720p 60
                 * frames -3.4% (1, 2, 7, 10 sqrt(rdmult): -1.1/-2.0, -2.0/-2.4,
                 * -1.5/-3.7, -1.2/-2.7%; without the sub-pel term -1.9/-2.0%). */
                int r = 0;
                while ((r + 1) * (r + 1) <= e.rdmult) r++;
                /* (Key frames search no vectors; rebases refine the kept ones.) */
                if (!key) {
                    e.mv_sad_lambda = 4 * r;
                    vp8_mv_cost_table(&d->s->ctx, e.mv_cost);
                }
            }
        }
        /* The trellis only at speed 0 (--best). Measured at fixed q vs vpxenc
         * --cpu-used=1 (BD-rate PSNR / SSIM, foreman CIF 60 frames; flower 640x360 30):
         * at speed 1 it moved foreman +3.9/+11.0% -> +3.4/+5.9% but flower
         * +0.3/+3.3% -> +3.0/+3.1%; run on the chosen modes only (speed 2, 4) it lost
         * on both clips by PSNR. A better fit of its lambda is to come. */
        e.trellis = p->speed == 0;
        e.zbin_boost = !e.trellis;
        e.use_ref[VP8_REF_LAST] = 1;
        e.use_ref[VP8_REF_GOLDEN] = e.use_ref[VP8_REF_ALTREF] = p->speed < 5;
        if (p->refs) {
            e.use_ref[VP8_REF_GOLDEN] = !!(p->refs & EXCAM_REF_GOLDEN);
            e.use_ref[VP8_REF_ALTREF] = !!(p->refs & EXCAM_REF_ALTREF);
        }

        for (int r = 0; r < rows; r++) {
            memset(e.nz_left, 0, sizeof(e.nz_left));
            vp8_recon_setup_row(d, r);
            for (int c = 0; c < cols; c++)
                vp8_encode_mb(&e, r, c);
            vp8_recon_finish_row(d, r);
        }
        /* A rebased frame keeps its loop-filter level too, unless told otherwise. */
        d->hdr.filter_level = p->filter_level >= 0 ? p->filter_level
                              : e.forced_hdr     ? e.forced_hdr->filter_level
                                                 : pick_filter_level(&e);
        err = write_frame(&e, frame, len);
    }
    if (!err && out && (e.forced_hdr || !key)) {
        /* Rebase and inter frames: the new state from the encoder's own reconstruction,
         * as the decoder would finish the frame (decoder.c's decode_frame after its
         * macroblocks): the probabilities the header left (restored if not refreshed),
         * no segmentation or filter deltas, the picture loop-filtered into the
         * references. Decoding the frame again cost about a tenth of a rebase (flower
         * 720p: 2.5 of 21 ms a frame) and 5% of an encode at q 8. With p->self_check
         * the decoder's state must be the same. Key frames are still decoded (the
         * decoder resets the state they start). */
        excam_vp8_state *s = d->s;
        if (!d->hdr.refresh_entropy) s->ctx = in->ctx;
        s->segmentation_enabled = d->hdr.segmentation_enabled;
        s->lf_delta_enabled = 0;
        if (d->hdr.filter_level) vp8_loop_filter_frame(d);
        vp8_frame_extend(d->cur);
        vp8_update_references(s, &d->hdr, d->cur);
        if (d->hdr.show_frame) {
            vp8_frame_unref(s->shown);
            s->shown = vp8_frame_ref(d->cur);
        }
        s->has_keyframe = 1;
        *out = s;
        d->s = NULL;
        if (p->self_check) {
            excam_vp8_state *dec = NULL;
            err = excam_vp8_decode(in, *frame, *len, &dec, NULL, NULL);
            if (!err && !excam_vp8_state_equal(dec, *out)) err = EXCAM_ERR_INTERNAL;
            excam_vp8_state_free(dec);
            if (err) {
                excam_free(*frame);
                *frame = NULL;
                *len = 0;
                excam_vp8_state_free(*out);
                *out = NULL;
                err = err == EXCAM_ERR_INTERNAL ? err : EXCAM_ERR_CORRUPT;
            }
        }
    } else if (!err && out) {
        err = excam_vp8_decode(in, *frame, *len, out, NULL, NULL);
        if (err) {
            /* The decoder refused what the encoder wrote: a bug, reported as such. */
            excam_free(*frame);
            *frame = NULL;
            *len = 0;
            err = EXCAM_ERR_CORRUPT;
        } else if (p->self_check && (err = self_check(&e, *out)) != EXCAM_OK) {
            excam_free(*frame);
            *frame = NULL;
            *len = 0;
            excam_vp8_state_free(*out);
            *out = NULL;
        }
    }
done:
    vp8_frame_unref(d->cur);
    vp8_frame_unref(e.srcf);
    free(d->mbi);
    free(e.coeffs);
    free(e.nz_above);
    excam_vp8_state_free(d->s);
    return err;
}

EXCAM_API int excam_vp8_encode(const excam_vp8_state *in, const excam_image *src,
                               const excam_vp8_enc_params *p, uint8_t **frame, size_t *len,
                               excam_vp8_state **out)
{
    return encode_frame(in, src, p, NULL, NULL, NULL, 0, frame, len, out);
}

/* ------------------------------------------------------------ rebase */

/* The rebase proper, once the frame's modes (h, seg, mbi) are parsed. */
static int rebase_modes(const excam_vp8_state *old_base, const excam_vp8_state *new_base,
                        const excam_image *src, const uint8_t *frame, size_t len,
                        const excam_vp8_enc_params *p, const vp8_frame_header *h,
                        const vp8_seg_values *seg, const vp8_mb_info *mbi, int stride,
                        uint8_t **rebased, size_t *rebased_len, excam_vp8_state **out)
{
    if (h->key_frame) {
        /* A key frame depends on no state: it is its own rebase. */
        *rebased = malloc(len);
        if (!*rebased) return EXCAM_ERR_NOMEM;
        memcpy(*rebased, frame, len);
        *rebased_len = len;
        int err = out ? excam_vp8_decode(new_base, frame, len, out, NULL, NULL) : EXCAM_OK;
        if (err) {
            excam_free(*rebased);
            *rebased = NULL;
            *rebased_len = 0;
        }
        return err;
    }
    /* Segmentation (its values and map) and quantizer deltas are carried; other
     * filter versions (bilinear, simple loop filter) not yet. Loop-filter deltas
     * (libvpx's frames have them) are dropped: the rebased frame is filtered at its
     * base level (per segment) throughout, a valid frame with a slightly different
     * filter (its residual is coded against whatever the prediction is). */
    if (h->version != 0) return EXCAM_ERR_UNSUPPORTED;
    if (!new_base->has_keyframe || new_base->width != old_base->width ||
        new_base->height != old_base->height || src->width != old_base->width ||
        src->height != old_base->height)
        return EXCAM_ERR_INVALID_ARG;
    excam_vp8_enc_params q = *p;
    q.frame_type = EXCAM_FRAME_INTER;
    return encode_frame(new_base, src, &q, h, seg, mbi, stride, rebased, rebased_len, out);
}

EXCAM_API int excam_vp8_rebase(const excam_vp8_state *old_base, const excam_vp8_state *new_base,
                               const excam_image *src, const uint8_t *frame, size_t len,
                               const excam_vp8_enc_params *p, uint8_t **rebased,
                               size_t *rebased_len, excam_vp8_state **out)
{
    return excam_vp8_rebase_chain(old_base, new_base, src, frame, len, p, rebased, rebased_len,
                                  out, NULL);
}

EXCAM_API int excam_vp8_rebase_chain(const excam_vp8_state *old_base,
                                     const excam_vp8_state *new_base, const excam_image *src,
                                     const uint8_t *frame, size_t len,
                                     const excam_vp8_enc_params *p, uint8_t **rebased,
                                     size_t *rebased_len, excam_vp8_state **out,
                                     excam_vp8_state **old_next)
{
    vp8_frame_header h;
    vp8_seg_values seg;
    vp8_mb_info *mbi = NULL;
    excam_vp8_state *adv = NULL;
    int stride = 0, err;

    if (rebased) *rebased = NULL;
    if (rebased_len) *rebased_len = 0;
    if (out) *out = NULL;
    if (old_next) *old_next = NULL;
    if (!old_base || !new_base || !src || !frame || !len || !p || !rebased || !rebased_len ||
        !check_params(p))
        return EXCAM_ERR_INVALID_ARG;
    if (new_base->no_pictures) return EXCAM_ERR_INVALID_ARG;
    if ((err = vp8_decode_modes(old_base, frame, len, &h, &seg, &mbi, &stride,
                                old_next ? &adv : NULL)))
        return err;
    err = rebase_modes(old_base, new_base, src, frame, len, p, &h, &seg, mbi, stride, rebased,
                       rebased_len, out);
    free(mbi);
    if (err || !old_next) {
        excam_vp8_state_free(adv);
        return err;
    }
    *old_next = adv;
    return EXCAM_OK;
}
