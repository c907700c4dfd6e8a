/*
 * The explicit decoder state: copy, free, serialize, hash, compare.
 *
 * Serialized form (all integers little-endian), version 1:
 *   "EXCAMVP8" | u32 version | u32 flags(0) | u64 body length | body | BLAKE2b-256(body)
 * body: the scalar fields, the probabilities, the segment map, then the distinct
 * reference pictures (macroblock-aligned area only; borders are re-derived) and, for
 * last/golden/altref/shown, the index of their picture (255 = none). Pictures are
 * de-duplicated by content, so equal states serialize to identical bytes whatever
 * their sharing, and the hash of a state is the checksum of its serialization.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "vp8i.h"

#define STATE_MAGIC "EXCAMVP8"
#define STATE_VERSION 1
#define HEADER_BYTES 24
#define MAX_DIM 16383

excam_vp8_state *vp8_state_alloc(void) { return calloc(1, sizeof(excam_vp8_state)); }

EXCAM_API excam_vp8_state *excam_vp8_state_new(void) { return vp8_state_alloc(); }

int vp8_state_set_size(excam_vp8_state *s, int width, int height)
{
    int mb_cols = (width + 15) >> 4, mb_rows = (height + 15) >> 4;
    if (!s->seg_map || mb_cols != s->mb_cols || mb_rows != s->mb_rows) {
        uint8_t *map = calloc((size_t)mb_cols * (size_t)mb_rows, 1);
        if (!map)
            return EXCAM_ERR_NOMEM;
        free(s->seg_map);
        s->seg_map = map;
    }
    s->width = width;
    s->height = height;
    s->mb_cols = mb_cols;
    s->mb_rows = mb_rows;
    return EXCAM_OK;
}

EXCAM_API excam_vp8_state *excam_vp8_state_copy(const excam_vp8_state *in)
{
    excam_vp8_state *s;
    if (!in)
        return NULL;
    s = malloc(sizeof(*s));
    if (!s)
        return NULL;
    *s = *in;
    if (in->seg_map) {
        size_t n = (size_t)in->mb_cols * (size_t)in->mb_rows;
        s->seg_map = malloc(n);
        if (!s->seg_map) {
            free(s);
            return NULL;
        }
        memcpy(s->seg_map, in->seg_map, n);
    }
    for (int i = 1; i < 4; i++)
        vp8_frame_ref(s->ref[i]);
    vp8_frame_ref(s->shown);
    return s;
}

EXCAM_API void excam_vp8_state_free(excam_vp8_state *s)
{
    if (!s)
        return;
    for (int i = 1; i < 4; i++)
        vp8_frame_unref(s->ref[i]);
    vp8_frame_unref(s->shown);
    free(s->seg_map);
    free(s);
}

EXCAM_API void excam_vp8_state_size(const excam_vp8_state *s, int *width, int *height)
{
    if (width)
        *width = s ? s->width : 0;
    if (height)
        *height = s ? s->height : 0;
}

/* ------------------------------------------------------------ writing */

/* A byte sink: counts, copies into a buffer, and/or feeds a hash. */
typedef struct sink {
    uint8_t *buf;     /* NULL: do not copy */
    size_t pos;
    crypto_generichash_state *hash;  /* NULL: do not hash */
} sink;

static void put(sink *k, const void *p, size_t n)
{
    if (k->buf)
        memcpy(k->buf + k->pos, p, n);
    if (k->hash)
        crypto_generichash_update(k->hash, p, n);
    k->pos += n;
}

static void put_u32(sink *k, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(k, b, 4);
}

static void put_i8s(sink *k, const int8_t *v, size_t n) { put(k, v, n); }

/* The rows of a plane's macroblock-aligned area. */
static void put_plane(sink *k, const uint8_t *p, ptrdiff_t stride, int w, int h)
{
    for (int y = 0; y < h; y++)
        put(k, p + y * stride, (size_t)w);
}

static int frames_equal(const vp8_frame *a, const vp8_frame *b)
{
    if (a == b)
        return 1;
    if (!a || !b || a->width != b->width || a->height != b->height)
        return 0;
    for (int p = 0; p < 3; p++) {
        int w = p ? a->mb_cols * 8 : a->mb_cols * 16, h = p ? a->mb_rows * 8 : a->mb_rows * 16;
        for (int y = 0; y < h; y++)
            if (memcmp(a->plane[p] + y * a->stride[p], b->plane[p] + y * b->stride[p], (size_t)w))
                return 0;
    }
    return 1;
}

/* Distinct pictures of the state, and for each of last/golden/altref/shown its index. */
static int distinct_frames(const excam_vp8_state *s, const vp8_frame *uniq[4], uint8_t idx[4])
{
    const vp8_frame *all[4] = {s->ref[1], s->ref[2], s->ref[3], s->shown};
    int n = 0;
    for (int i = 0; i < 4; i++) {
        int j;
        idx[i] = 255;
        if (!all[i])
            continue;
        for (j = 0; j < n && !frames_equal(uniq[j], all[i]); j++)
            ;
        if (j == n)
            uniq[n++] = all[i];
        idx[i] = (uint8_t)j;
    }
    return n;
}

static void put_body(sink *k, const excam_vp8_state *s)
{
    const vp8_frame *uniq[4];
    uint8_t idx[4];
    int n = distinct_frames(s, uniq, idx);
    int32_t scalars[] = {s->has_keyframe, s->width, s->height, s->horiz_scale, s->vert_scale,
                         s->color_space, s->clamping_type, s->segmentation_enabled,
                         s->seg_abs_delta, s->lf_delta_enabled};

    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
        put_u32(k, (uint32_t)scalars[i]);
    put(k, &s->ctx, sizeof(s->ctx)); /* uint8_t arrays only: no padding */
    put_i8s(k, s->seg_quant, 4);
    put_i8s(k, s->seg_lf, 4);
    put_i8s(k, s->ref_lf_delta, 4);
    put_i8s(k, s->mode_lf_delta, 4);
    if (s->seg_map)
        put(k, s->seg_map, (size_t)s->mb_cols * (size_t)s->mb_rows);
    put(k, idx, 4);
    put_u32(k, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        const vp8_frame *f = uniq[i];
        put_u32(k, (uint32_t)f->width);
        put_u32(k, (uint32_t)f->height);
        put_plane(k, f->plane[0], f->stride[0], f->mb_cols * 16, f->mb_rows * 16);
        put_plane(k, f->plane[1], f->stride[1], f->mb_cols * 8, f->mb_rows * 8);
        put_plane(k, f->plane[2], f->stride[2], f->mb_cols * 8, f->mb_rows * 8);
    }
}

EXCAM_API int excam_vp8_state_serialize(const excam_vp8_state *s, uint8_t **buf, size_t *len)
{
    sink count = {0};
    sink out = {0};
    crypto_generichash_state h;
    size_t body;

    if (!s || !buf || !len || s->no_pictures)
        return EXCAM_ERR_INVALID_ARG;
    if (sodium_init() < 0)
        return EXCAM_ERR_NOMEM;
    put_body(&count, s);
    body = count.pos;
    out.buf = malloc(HEADER_BYTES + body + 32);
    if (!out.buf)
        return EXCAM_ERR_NOMEM;
    put(&out, STATE_MAGIC, 8);
    put_u32(&out, STATE_VERSION);
    put_u32(&out, 0);
    put_u32(&out, (uint32_t)body);
    put_u32(&out, (uint32_t)((uint64_t)body >> 32));
    crypto_generichash_init(&h, NULL, 0, 32);
    out.hash = &h;
    put_body(&out, s);
    crypto_generichash_final(&h, out.buf + out.pos, 32);
    *buf = out.buf;
    *len = out.pos + 32;
    return EXCAM_OK;
}

EXCAM_API int excam_vp8_state_hash(const excam_vp8_state *s, uint8_t digest[32])
{
    crypto_generichash_state h;
    sink k = {0};
    if (!s || !digest || s->no_pictures)
        return EXCAM_ERR_INVALID_ARG;
    if (sodium_init() < 0)
        return EXCAM_ERR_NOMEM;
    crypto_generichash_init(&h, NULL, 0, 32);
    k.hash = &h;
    put_body(&k, s);
    crypto_generichash_final(&h, digest, 32);
    return EXCAM_OK;
}

EXCAM_API int excam_vp8_state_equal(const excam_vp8_state *a, const excam_vp8_state *b)
{
    uint8_t da[32], db[32];
    if (!a || !b)
        return a == b;
    if (a->width != b->width || a->height != b->height || a->has_keyframe != b->has_keyframe)
        return 0;
    if (excam_vp8_state_hash(a, da) || excam_vp8_state_hash(b, db))
        return 0;
    return memcmp(da, db, 32) == 0;
}

/* ------------------------------------------------------------ reading */

typedef struct source {
    const uint8_t *p, *end;
    int bad;
} source;

static const uint8_t *take(source *r, size_t n)
{
    const uint8_t *p = r->p;
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    r->p += n;
    return p;
}

static uint32_t get_u32(source *r)
{
    const uint8_t *b = take(r, 4);
    return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
             : 0;
}

static void get_bytes(source *r, void *dst, size_t n)
{
    const uint8_t *b = take(r, n);
    if (b)
        memcpy(dst, b, n);
}

static int in_range(uint32_t v, uint32_t lo, uint32_t hi) { return v >= lo && v <= hi; }

static vp8_frame *get_frame(source *r)
{
    uint32_t w = get_u32(r), h = get_u32(r);
    vp8_frame *f;
    if (r->bad || !in_range(w, 1, MAX_DIM) || !in_range(h, 1, MAX_DIM)) {
        r->bad = 1;
        return NULL;
    }
    /* Refuse before allocating if the bytes cannot be there. */
    if ((uint64_t)(r->end - r->p) < (uint64_t)((w + 15) & ~15u) * ((h + 15) & ~15u) * 3 / 2) {
        r->bad = 1;
        return NULL;
    }
    f = vp8_frame_new((int)w, (int)h);
    if (!f) {
        r->bad = 1;
        return NULL;
    }
    for (int p = 0; p < 3; p++) {
        int pw = p ? f->mb_cols * 8 : f->mb_cols * 16, ph = p ? f->mb_rows * 8 : f->mb_rows * 16;
        for (int y = 0; y < ph; y++)
            get_bytes(r, f->plane[p] + y * f->stride[p], (size_t)pw);
    }
    vp8_frame_extend(f);
    return f;
}

static int get_body(source *r, excam_vp8_state *s)
{
    uint32_t v[10];
    uint8_t idx[4];
    vp8_frame *frames[4] = {0};
    uint32_t n;
    int err = EXCAM_ERR_BAD_STATE;

    for (int i = 0; i < 10; i++)
        v[i] = get_u32(r);
    if (r->bad || v[0] > 1 || v[1] > MAX_DIM || v[2] > MAX_DIM || v[3] > 3 || v[4] > 3 ||
        v[5] > 1 || v[6] > 1 || v[7] > 1 || v[8] > 1 || v[9] > 1 || (v[0] && (!v[1] || !v[2])))
        return EXCAM_ERR_BAD_STATE;
    s->has_keyframe = (int)v[0];
    s->horiz_scale = (int)v[3];
    s->vert_scale = (int)v[4];
    s->color_space = (int)v[5];
    s->clamping_type = (int)v[6];
    s->segmentation_enabled = (int)v[7];
    s->seg_abs_delta = (int)v[8];
    s->lf_delta_enabled = (int)v[9];
    get_bytes(r, &s->ctx, sizeof(s->ctx));
    get_bytes(r, s->seg_quant, 4);
    get_bytes(r, s->seg_lf, 4);
    get_bytes(r, s->ref_lf_delta, 4);
    get_bytes(r, s->mode_lf_delta, 4);
    if (r->bad)
        return EXCAM_ERR_BAD_STATE;
    if (v[0]) {
        if (vp8_state_set_size(s, (int)v[1], (int)v[2]))
            return EXCAM_ERR_NOMEM;
        get_bytes(r, s->seg_map, (size_t)s->mb_cols * (size_t)s->mb_rows);
        for (int i = 0; i < s->mb_cols * s->mb_rows; i++)
            if (s->seg_map[i] > 3)
                r->bad = 1;
    }
    get_bytes(r, idx, 4);
    n = get_u32(r);
    if (r->bad || n > 4 || (v[0] && n == 0) || (!v[0] && n != 0))
        return EXCAM_ERR_BAD_STATE;
    for (uint32_t i = 0; i < n; i++)
        if (!(frames[i] = get_frame(r)))
            goto out;
    for (int i = 0; i < 4; i++)
        if (idx[i] != 255 && idx[i] >= n)
            goto out;
    /* A decoded stream always has all three references. */
    if (v[0] && (idx[0] == 255 || idx[1] == 255 || idx[2] == 255))
        goto out;
    for (int i = 0; i < 3; i++)
        if (idx[i] != 255 && (frames[idx[i]]->width != s->width ||
                              frames[idx[i]]->height != s->height))
            goto out;
    for (int i = 0; i < 3; i++)
        s->ref[i + 1] = idx[i] == 255 ? NULL : vp8_frame_ref(frames[idx[i]]);
    s->shown = idx[3] == 255 ? NULL : vp8_frame_ref(frames[idx[3]]);
    err = r->p == r->end ? EXCAM_OK : EXCAM_ERR_BAD_STATE;
out:
    for (int i = 0; i < 4; i++)
        vp8_frame_unref(frames[i]);
    return err;
}

EXCAM_API int excam_vp8_state_deserialize(const uint8_t *buf, size_t len, excam_vp8_state **out)
{
    return excam_vp8_state_deserialize_flags(buf, len, 0, out);
}

EXCAM_API int excam_vp8_state_deserialize_flags(const uint8_t *buf, size_t len, unsigned flags,
                                                excam_vp8_state **out)
{
    source hdr = {buf, buf + len, 0}, body;
    uint8_t digest[32];
    uint64_t body_len;
    excam_vp8_state *s;
    int err;

    if (!out)
        return EXCAM_ERR_INVALID_ARG;
    *out = NULL;
    if (flags & ~EXCAM_STATE_CHECKED)
        return EXCAM_ERR_INVALID_ARG;
    if (!buf || len < HEADER_BYTES + 32 || memcmp(buf, STATE_MAGIC, 8))
        return EXCAM_ERR_BAD_STATE;
    take(&hdr, 8);
    if (get_u32(&hdr) != STATE_VERSION || get_u32(&hdr) != 0)
        return EXCAM_ERR_BAD_STATE;
    body_len = get_u32(&hdr);
    body_len |= (uint64_t)get_u32(&hdr) << 32;
    if (body_len != len - HEADER_BYTES - 32)
        return EXCAM_ERR_BAD_STATE;
    if (sodium_init() < 0)
        return EXCAM_ERR_NOMEM;
    if (!(flags & EXCAM_STATE_CHECKED)) {
        crypto_generichash(digest, 32, buf + HEADER_BYTES, (unsigned long long)body_len, NULL, 0);
        if (sodium_memcmp(digest, buf + HEADER_BYTES + body_len, 32))
            return EXCAM_ERR_BAD_STATE;
    }
    s = vp8_state_alloc();
    if (!s)
        return EXCAM_ERR_NOMEM;
    body.p = buf + HEADER_BYTES;
    body.end = body.p + body_len;
    body.bad = 0;
    err = get_body(&body, s);
    if (err) {
        excam_vp8_state_free(s);
        return err;
    }
    *out = s;
    return EXCAM_OK;
}

excam_image *vp8_image_from_frame(vp8_frame *f);

EXCAM_API excam_image *excam_vp8_state_shown(const excam_vp8_state *s)
{
    return s && s->shown ? vp8_image_from_frame(s->shown) : NULL;
}
