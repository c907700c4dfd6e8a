/*
 * The pipeline's tasks as pure functions of bytes (see tasks.h).
 */
#include "tasks.h"

#include "stage1_vpx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ blobs */

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int task_frames_parse(const uint8_t *blob, size_t len, task_frames *out)
{
    size_t off = 0;
    int n = 0;
    memset(out, 0, sizeof(*out));
    while (off + 4 <= len) { /* count, and check every length */
        size_t l = get_u32(blob + off);
        if (l > len - off - 4) return -1;
        off += 4 + l;
        n++;
    }
    if (off != len) return -1;
    out->data = malloc((size_t)(n ? n : 1) * sizeof(*out->data));
    out->len = malloc((size_t)(n ? n : 1) * sizeof(*out->len));
    if (!out->data || !out->len) {
        task_frames_free(out);
        return -1;
    }
    off = 0;
    for (int i = 0; i < n; i++) {
        out->len[i] = get_u32(blob + off);
        out->data[i] = blob + off + 4;
        off += 4 + out->len[i];
    }
    out->n = n;
    return 0;
}

void task_frames_free(task_frames *f)
{
    free(f->data);
    free(f->len);
    memset(f, 0, sizeof(*f));
}

/* Frames being made: the blob grows as frames are added. */
static int frames_append(task_buf *b, const uint8_t *data, size_t len)
{
    if (len > UINT32_MAX) return -1;
    uint8_t *p = realloc(b->data, b->len + 4 + len);
    if (!p) return -1;
    b->data = p;
    put_u32(p + b->len, (uint32_t)len);
    memcpy(p + b->len + 4, data, len);
    b->len += 4 + len;
    return 0;
}

static int add_frame(void *ctx, const uint8_t *data, size_t len)
{
    return frames_append(ctx, data, len);
}

static const char SOURCE_MAGIC[8] = {'E', 'X', 'C', 'A', 'M', 'S', 'R', 'C'};
enum { SOURCE_VERSION = 1, SOURCE_HEADER = 24 };

static size_t frame_bytes(int w, int h)
{
    return (size_t)w * (size_t)h + 2 * (size_t)((w + 1) / 2) * (size_t)((h + 1) / 2);
}

int task_source_pack(excam_image *const *frames, int n, task_buf *out)
{
    int w = frames[0]->width, h = frames[0]->height;
    size_t fb = frame_bytes(w, h);
    memset(out, 0, sizeof(*out));
    out->data = malloc(SOURCE_HEADER + fb * (size_t)n);
    if (!out->data) return -1;
    uint8_t *p = out->data;
    memcpy(p, SOURCE_MAGIC, 8);
    put_u32(p + 8, SOURCE_VERSION);
    put_u32(p + 12, (uint32_t)w);
    put_u32(p + 16, (uint32_t)h);
    put_u32(p + 20, (uint32_t)n);
    p += SOURCE_HEADER;
    for (int i = 0; i < n; i++)
        for (int pl = 0; pl < 3; pl++) {
            int pw = pl ? (w + 1) / 2 : w, ph = pl ? (h + 1) / 2 : h;
            for (int y = 0; y < ph; y++) {
                memcpy(p, frames[i]->plane[pl] + (ptrdiff_t)y * frames[i]->stride[pl], (size_t)pw);
                p += pw;
            }
        }
    out->len = (size_t)(p - out->data);
    return 0;
}

int task_source_unpack(const uint8_t *blob, size_t len, excam_image ***frames, int *n,
                       char *err, size_t errlen)
{
    *frames = NULL;
    *n = 0;
    if (len < SOURCE_HEADER || memcmp(blob, SOURCE_MAGIC, 8) ||
        get_u32(blob + 8) != SOURCE_VERSION) {
        snprintf(err, errlen, "not a source blob of this version");
        return -1;
    }
    uint32_t w = get_u32(blob + 12), h = get_u32(blob + 16), count = get_u32(blob + 20);
    if (w < 1 || h < 1 || w > 16383 || h > 16383 || count < 1 || count > 1u << 20) {
        snprintf(err, errlen, "source blob: bad size %ux%u or frame count %u", w, h, count);
        return -1;
    }
    size_t fb = frame_bytes((int)w, (int)h);
    if ((len - SOURCE_HEADER) / fb != count || (len - SOURCE_HEADER) % fb) {
        snprintf(err, errlen, "source blob: %zu bytes for %u frames of %ux%u", len, count, w, h);
        return -1;
    }
    excam_image **f = calloc(count, sizeof(*f));
    if (!f) goto nomem;
    const uint8_t *p = blob + SOURCE_HEADER;
    for (uint32_t i = 0; i < count; i++) {
        if (!(f[i] = excam_image_alloc((int)w, (int)h))) {
            for (uint32_t k = 0; k < i; k++)
                excam_image_free(f[k]);
            free(f);
            goto nomem;
        }
        for (int pl = 0; pl < 3; pl++) {
            int pw = pl ? ((int)w + 1) / 2 : (int)w, ph = pl ? ((int)h + 1) / 2 : (int)h;
            for (int y = 0; y < ph; y++) {
                memcpy(f[i]->plane[pl] + (ptrdiff_t)y * f[i]->stride[pl], p, (size_t)pw);
                p += pw;
            }
        }
    }
    *frames = f;
    *n = (int)count;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* ------------------------------------------------------------ the tasks */

static excam_vp8_enc_params params(const task_params *t, int key, int q)
{
    excam_vp8_enc_params p;
    excam_vp8_enc_params_default(&p);
    p.frame_type = key ? EXCAM_FRAME_KEY : EXCAM_FRAME_INTER;
    p.q_index = q;
    p.speed = t->speed;
    p.token_partitions = t->token_partitions;
    p.sharpness = t->sharpness;
    p.self_check = t->verify;
    return p;
}

static int state_bytes(const excam_vp8_state *s, task_buf *out)
{
    uint8_t *buf;
    size_t len;
    if (excam_vp8_state_serialize(s, &buf, &len)) return -1;
    out->data = malloc(len ? len : 1);
    if (!out->data) {
        excam_free(buf);
        return -1;
    }
    memcpy(out->data, buf, len);
    out->len = len;
    excam_free(buf);
    return 0;
}

static void buf_free(task_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

int task_encode(excam_image *const *src, int n, const task_params *t, task_buf *frames,
                task_buf *state, char *err, size_t errlen)
{
    excam_vp8_state *s = excam_vp8_state_new();
    memset(frames, 0, sizeof(*frames));
    memset(state, 0, sizeof(*state));
    if (!s) goto nomem;
    if (t->stage1_libvpx) {
        /* libvpx's frames, and the state excam's decoder reaches with them. */
        task_frames fs;
        if (stage1_vpx_encode(src, n, t, add_frame, frames, err, errlen)) goto fail;
        if (task_frames_parse(frames->data, frames->len, &fs)) goto nomem;
        for (int i = 0; i < fs.n; i++) {
            excam_vp8_state *next;
            int e = excam_vp8_decode(s, fs.data[i], fs.len[i], &next, NULL, NULL);
            if (e) {
                snprintf(err, errlen, "frame %d: libvpx's frame does not decode: %s",
                         t->first_frame + i + 1, excam_strerror(e));
                task_frames_free(&fs);
                goto fail;
            }
            excam_vp8_state_free(s);
            s = next;
        }
        task_frames_free(&fs);
        n = 0; /* done: on to the state */
    }
    for (int i = 0; i < n; i++) {
        excam_vp8_enc_params p = params(t, i == 0, i == 0 ? t->q_key : t->q_inter);
        /* The key frame of a chunk that does not start a group never reaches the
         * stream: it only gives the chunk's other frames a reference to decide their
         * modes and motion vectors against, decisions the rebase then keeps. Made at
         * quantizer 0, nearly the source itself, those decisions follow the picture
         * rather than one chain's coding noise, and hold up better on the real chain
         * (foreman, [6,16], fixed quantizers: BD-rate vs the serial encode 12.6% ->
         * 9.1% by SSIM, 10.4% -> 7.5% by PSNR; a key frame 8..32 steps coarser than
         * the inter frames was worse, and so were finer inter frames in stage 1). It
         * costs stage 1 about 14% more time (foreman q 24: 18.7 -> 21.4 ms a frame). */
        if (i == 0 && !t->group_start) p.q_index = 0;
        /* That key frame is golden and altref too, and far better than anything the
         * real chain holds there (the re-encoded frame): decisions that lean on it do
         * not hold up. So these chunks predict from the last frame only (flower 720p,
         * 60 frames, [6,16]: BD-rate vs serial 13.5% -> 11.5% by SSIM; foreman: the
         * same, 9.1% -> 9.0%; refreshing golden with the chunk's second frame instead
         * was between the two). */
        if (!t->group_start) p.refs = EXCAM_REF_LAST;
        uint8_t *data;
        size_t len;
        excam_vp8_state *next;
        int e = excam_vp8_encode(s, src[i], &p, &data, &len, &next);
        if (e) {
            snprintf(err, errlen, "frame %d: %s", t->first_frame + i + 1, excam_strerror(e));
            goto fail;
        }
        excam_vp8_state_free(s);
        s = next;
        e = frames_append(frames, data, len);
        excam_free(data);
        if (e) goto nomem;
    }
    if (state_bytes(s, state)) goto nomem;
    excam_vp8_state_free(s);
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    excam_vp8_state_free(s);
    buf_free(frames);
    buf_free(state);
    return -1;
}

static excam_vp8_state *state_parse(const uint8_t *buf, size_t len, const char *what, char *err,
                                    size_t errlen)
{
    excam_vp8_state *s = NULL;
    /* Task inputs are fetched by their content hash (blobstore_get checks it), which
     * covers these bytes: the state's own checksum would be a second BLAKE2b pass over
     * its pictures (flower 720p: about 4 ms a state, two per rebase task). */
    int e = excam_vp8_state_deserialize_flags(buf, len, EXCAM_STATE_CHECKED, &s);
    if (e) snprintf(err, errlen, "%s: %s", what, excam_strerror(e));
    return e ? NULL : s;
}

int task_first_q(int q_key, int q_inter, int min_q)
{
    int q = q_key - (q_inter > q_key ? (q_inter - q_key) / 2 : 0);
    if (q < min_q) q = min_q;
    return q > q_key ? q_key : q < 0 ? 0 : q;
}

int task_reencode(const excam_image *first, const uint8_t *prev_state, size_t prev_state_len,
                  const task_params *t, task_buf *frame, char *err, size_t errlen)
{
    memset(frame, 0, sizeof(*frame));
    excam_vp8_state *s = state_parse(prev_state, prev_state_len, "the previous chunk's state",
                                     err, errlen);
    if (!s) return -1;
    /* Finer than the key frames (task_first_q). --end-usage vbr, BD-rate of [6,16] vs
     * the serial encode by SSIM (targets 150..1100 kbit/s foreman, 800..6000 flower 720p
     * 120 frames): 2.29% and 3.87% at (3 q_key + q_inter) / 4 (DESIGN.md §2's "between
     * the key frame's and the inter frames'"), 1.84% / 2.13% at q_key, 1.51% / 0.48%
     * here; 2 q_key - q_inter: 1.51% (PSNR worse) on foreman. At q_inter (a first
     * frame matched to its neighbours): 3.26% on foreman. */
    excam_vp8_enc_params p = params(t, 0, t->q_first);
    /* It stands in for the chunk's key frame, which refreshed all three references: the
     * chunk's other frames chose their golden and altref predictions against that
     * picture, so the real chain must hold this frame there too. Without it a rebased
     * frame predicts "golden" from a picture chunks old (foreman, q 24: the frames after
     * the second of each chunk cost 10-30% more bits at 0.3 dB less PSNR). */
    p.refresh_golden = p.refresh_altref = 1;
    /* Its base is encode(k-1)'s state, whose golden and altref are that chunk's
     * quantizer-0 key frame, not what the real chain holds there: predict from the last
     * frame only, as encode(k) does (flower 720p 60 frames, [6,16] q 24: -0.66% bytes
     * at the same PSNR; foreman 100 frames q 12/36: -0.1%). */
    p.refs = EXCAM_REF_LAST;
    uint8_t *data;
    size_t len;
    excam_vp8_state *next = NULL; /* only for the self-check */
    int e = excam_vp8_encode(s, first, &p, &data, &len, t->verify ? &next : NULL);
    excam_vp8_state_free(s);
    excam_vp8_state_free(next);
    if (e) {
        snprintf(err, errlen, "frame %d: %s", t->first_frame + 1, excam_strerror(e));
        return -1;
    }
    e = frames_append(frame, data, len);
    excam_free(data);
    if (e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int task_rebase(excam_image *const *src, int n, const uint8_t *re_frames, size_t re_len,
                const uint8_t *enc_frames, size_t enc_len, const uint8_t *stage1_prev,
                size_t stage1_prev_len, const uint8_t *real_prev, size_t real_prev_len,
                const task_params *t, task_buf *frames, task_buf *state, char *err,
                size_t errlen)
{
    task_frames re = {0}, enc = {0};
    excam_vp8_state *prev = NULL, *base = NULL, *stage1 = NULL, *old = NULL, *next = NULL;
    excam_vp8_enc_params p = params(t, 0, t->q_inter);
    uint8_t *data;
    size_t len;
    int e;

    memset(frames, 0, sizeof(*frames));
    memset(state, 0, sizeof(*state));
    if (task_frames_parse(re_frames, re_len, &re) || re.n != 1) {
        snprintf(err, errlen, "the re-encoded frame: not one frame");
        goto fail;
    }
    if (task_frames_parse(enc_frames, enc_len, &enc) || enc.n != n) {
        snprintf(err, errlen, "the chunk's frames: not %d frames", n);
        goto fail;
    }
    if (!(prev = state_parse(real_prev, real_prev_len, "the previous chunk's final state", err,
                             errlen)) ||
        !(stage1 = state_parse(stage1_prev, stage1_prev_len, "the previous chunk's state",
                               err, errlen)))
        goto fail;
    if (!(old = excam_vp8_state_new())) goto nomem;

    /* The re-encoded first frame was made on encode(k-1)'s final state: rebased onto the
     * real state of chunk k-1, unless that is the same state (chunk k-1 starts a group):
     * then the frame is already on the chain (a rebase would only refine its vectors). */
    if (stage1_prev_len == real_prev_len && !memcmp(stage1_prev, real_prev, real_prev_len)) {
        len = re.len[0];
        e = (data = malloc(len ? len : 1)) ? EXCAM_OK : EXCAM_ERR_NOMEM;
        if (!e) {
            memcpy(data, re.data[0], len);
            if ((e = excam_vp8_decode(prev, data, len, &base, NULL, NULL))) {
                free(data);
                data = NULL;
            }
        }
    } else {
        e = excam_vp8_rebase(stage1, prev, src[0], re.data[0], re.len[0], &p, &data, &len,
                             &base);
    }
    if (e) {
        snprintf(err, errlen, "frame %d: rebase failed: %s", t->first_frame + 1,
                 excam_strerror(e));
        goto fail;
    }
    e = frames_append(frames, data, len);
    excam_free(data);
    if (e) goto nomem;

    /* The other frames: each rebased from the state encode(k) had before it onto the
     * chain's. That old base only parses the frame's modes, its pictures never used, so
     * the frames are not decoded (a full decode cost a fifth of the task: flower 720p 60
     * frames [6,16] q 24, 24.5 -> 19.5 ms a frame, the same bytes), and the rebase's
     * own parse advances it (excam_vp8_rebase_chain). */
    if ((e = excam_vp8_advance_modes(old, enc.data[0], enc.len[0], &next))) {
        snprintf(err, errlen, "frame %d: %s", t->first_frame + 1, excam_strerror(e));
        goto fail;
    }
    excam_vp8_state_free(old);
    old = next;
    next = NULL;
    for (int i = 1; i < n; i++) {
        excam_vp8_state *old_next = NULL;
        e = excam_vp8_rebase_chain(old, base, src[i], enc.data[i], enc.len[i], &p, &data, &len,
                                   &next, i + 1 < n ? &old_next : NULL);
        if (e) {
            snprintf(err, errlen, "frame %d: rebase failed: %s", t->first_frame + i + 1,
                     excam_strerror(e));
            goto fail;
        }
        e = frames_append(frames, data, len);
        excam_free(data);
        excam_vp8_state_free(base);
        base = next;
        next = NULL;
        excam_vp8_state_free(old);
        old = old_next;
        if (e) goto nomem;
    }
    if (state_bytes(base, state)) goto nomem;
    e = 0;
    goto done;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    buf_free(frames);
    buf_free(state);
    e = -1;
done:
    task_frames_free(&re);
    task_frames_free(&enc);
    excam_vp8_state_free(prev);
    excam_vp8_state_free(base);
    excam_vp8_state_free(stage1);
    excam_vp8_state_free(old);
    return e;
}
