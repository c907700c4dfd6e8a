/* Decoding one frame against an explicit state (RFC 6386 §4, §5, §9.7-§9.11). */
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "boolreader.h"
#include "dsp.h"
#include "tables.h"
#include "vp8i.h"

excam_image *vp8_image_from_frame(vp8_frame *f);

/* The kernel table: chosen once per process (call_once makes that race-free when
 * several threads decode at once), then read-only. The one piece of static data in
 * the codec, and it is a constant of the CPU, not state. */
static vp8_dsp dsp_table;
static once_flag dsp_once = ONCE_FLAG_INIT;

static void dsp_table_init(void)
{
#ifdef EXCAM_FORCE_C
    vp8_dsp_init(&dsp_table, 0);
#else
    vp8_dsp_init(&dsp_table, vp8_cpu_flags());
#endif
}

const vp8_dsp *vp8_get_dsp(void)
{
    call_once(&dsp_once, dsp_table_init);
    return &dsp_table;
}

/* Key frames restore every default (§9.2-§9.11 "on key frames"). */
void vp8_state_reset_for_key(excam_vp8_state *s)
{
    memcpy(s->ctx.coef, vp8_default_coef_probs, sizeof(s->ctx.coef));
    memcpy(s->ctx.ymode, vp8_default_ymode_probs, sizeof(s->ctx.ymode));
    memcpy(s->ctx.uvmode, vp8_default_uv_mode_probs, sizeof(s->ctx.uvmode));
    memcpy(s->ctx.mv, vp8_default_mv_probs, sizeof(s->ctx.mv));
    s->seg_abs_delta = 0;
    memset(s->seg_quant, 0, sizeof(s->seg_quant));
    memset(s->seg_lf, 0, sizeof(s->seg_lf));
    memset(s->ref_lf_delta, 0, sizeof(s->ref_lf_delta));
    memset(s->mode_lf_delta, 0, sizeof(s->mode_lf_delta));
}

static int clamp_q(int q) { return q < 0 ? 0 : q > 127 ? 127 : q; }

/* §14.1, §9.6: dequantization factors for each segment. */
void vp8_setup_dequant(vp8_decoder *d)
{
    const vp8_frame_header *h = &d->hdr;
    const excam_vp8_state *s = d->s;
    for (int seg = 0; seg < 4; seg++) {
        int q = h->q_index;
        int16_t (*dq)[2] = d->dequant[seg];
        if (h->segmentation_enabled)
            q = clamp_q(s->seg_abs_delta ? s->seg_quant[seg] : q + s->seg_quant[seg]);
        dq[0][0] = vp8_dc_qlookup[clamp_q(q + h->y1dc_delta)];
        dq[0][1] = vp8_ac_qlookup[q];
        dq[1][0] = (int16_t)(vp8_dc_qlookup[clamp_q(q + h->y2dc_delta)] * 2);
        dq[1][1] = (int16_t)(vp8_ac_qlookup[clamp_q(q + h->y2ac_delta)] * 155 / 100);
        if (dq[1][1] < 8)
            dq[1][1] = 8;
        dq[2][0] = vp8_dc_qlookup[clamp_q(q + h->uvdc_delta)];
        if (dq[2][0] > 132)
            dq[2][0] = 132;
        dq[2][1] = vp8_ac_qlookup[clamp_q(q + h->uvac_delta)];
    }
}

/*
 * §9.5: the token partitions follow the first partition; all but the last are
 * preceded by 3-byte sizes. As in libvpx, partitions are taken while bytes remain:
 * each one taken must be non-empty and inside the frame, and partitions after the
 * end of the data are empty (they read as zeros).
 */
static int setup_partitions(const uint8_t *p, const uint8_t *end, int n, vp8_bool_decoder *bd)
{
    const uint8_t *sizes = p;
    int i = 0;
    if ((size_t)(end - p) < (size_t)(3 * (n - 1)))
        return EXCAM_ERR_CORRUPT;
    p += 3 * (n - 1);
    for (; i < n && p < end; i++) {
        size_t size = (size_t)(end - p);
        if (i < n - 1) {
            const uint8_t *s = sizes + 3 * i;
            size_t want = (size_t)s[0] | (size_t)s[1] << 8 | (size_t)s[2] << 16;
            if (want == 0 || want > size)
                return EXCAM_ERR_CORRUPT;
            size = want;
        }
        vp8_bool_init(&bd[i], p, size);
        p += size;
    }
    for (; i < n; i++)
        vp8_bool_init(&bd[i], end, 0);
    return EXCAM_OK;
}

/* §9.7-§9.8: golden and altref copies happen before the refreshes with the new
 * frame; "copy to altref" is applied first (as libvpx does). */
void vp8_update_references(excam_vp8_state *s, const vp8_frame_header *h, vp8_frame *cur)
{
    vp8_frame *last = s->ref[VP8_REF_LAST], *golden = s->ref[VP8_REF_GOLDEN];
    vp8_frame *altref = s->ref[VP8_REF_ALTREF];
    vp8_frame *new_alt = altref, *new_golden = golden;

    if (h->copy_to_altref == 1)
        new_alt = last;
    else if (h->copy_to_altref == 2)
        new_alt = golden;
    if (h->copy_to_golden == 1)
        new_golden = last;
    else if (h->copy_to_golden == 2)
        new_golden = new_alt;
    if (h->refresh_altref)
        new_alt = cur;
    if (h->refresh_golden)
        new_golden = cur;

    vp8_frame_ref(new_alt);
    vp8_frame_ref(new_golden);
    vp8_frame_unref(altref);
    vp8_frame_unref(golden);
    s->ref[VP8_REF_ALTREF] = new_alt;
    s->ref[VP8_REF_GOLDEN] = new_golden;
    if (h->refresh_last) {
        s->ref[VP8_REF_LAST] = vp8_frame_ref(cur);
        vp8_frame_unref(last);
    }
}

static void fill_info(excam_vp8_frame_info *info, const vp8_frame_header *h, size_t len)
{
    memset(info, 0, sizeof(*info));
    info->key_frame = h->key_frame;
    info->version = h->version;
    info->show_frame = h->show_frame;
    info->width = h->width;
    info->height = h->height;
    info->horiz_scale = h->horiz_scale;
    info->vert_scale = h->vert_scale;
    info->color_space = h->color_space;
    info->clamping_type = h->clamping_type;
    info->filter_type = h->filter_type;
    info->filter_level = h->filter_level;
    info->sharpness = h->sharpness;
    info->base_q = h->q_index;
    info->token_partitions = h->num_partitions;
    info->segmentation_enabled = h->segmentation_enabled;
    info->refresh_golden = h->refresh_golden;
    info->refresh_altref = h->refresh_altref;
    info->refresh_last = h->refresh_last;
    info->copy_to_golden = h->copy_to_golden;
    info->copy_to_altref = h->copy_to_altref;
    info->sign_bias_golden = h->sign_bias[VP8_REF_GOLDEN];
    info->sign_bias_altref = h->sign_bias[VP8_REF_ALTREF];
    info->refresh_entropy_probs = h->refresh_entropy;
    info->first_partition_size = h->first_part_size;
    info->size = len;
}

EXCAM_API int excam_vp8_peek(const uint8_t *data, size_t len, excam_vp8_frame_info *info)
{
    vp8_frame_header h;
    vp8_bool_decoder bd;
    excam_vp8_state *scratch;
    vp8_entropy e;
    size_t hdr_bytes;
    int err;

    if (!data || !info)
        return EXCAM_ERR_INVALID_ARG;
    if ((err = vp8_parse_frame_tag(data, len, &h)))
        return err;
    scratch = vp8_state_alloc();
    if (!scratch)
        return EXCAM_ERR_NOMEM;
    hdr_bytes = h.key_frame ? 10 : 3;
    vp8_bool_init(&bd, data + hdr_bytes, len - hdr_bytes);
    vp8_parse_header(&bd, &h, scratch);
    memset(&e, 0, sizeof(e));
    vp8_parse_header_probs(&bd, &h, &e);
    excam_vp8_state_free(scratch);
    fill_info(info, &h, len);
    return EXCAM_OK;
}

/* A dropped (zero-length) frame: nothing changes and the last shown frame repeats. */
static int decode_dropped(const excam_vp8_state *in, excam_vp8_state **out, excam_image **shown,
                          excam_vp8_frame_info *info)
{
    if (!in->has_keyframe)
        return EXCAM_ERR_NO_KEYFRAME;
    if (!(*out = excam_vp8_state_copy(in)))
        return EXCAM_ERR_NOMEM;
    if (info) {
        memset(info, 0, sizeof(*info));
        info->show_frame = in->shown != NULL;
    }
    if (shown && in->shown && !(*shown = vp8_image_from_frame(in->shown))) {
        excam_vp8_state_free(*out);
        *out = NULL;
        return EXCAM_ERR_NOMEM;
    }
    return EXCAM_OK;
}

/* The frame header (§9.2-§9.11) into the state: what a frame changes of the state
 * before its macroblocks. *saved gets the probabilities to restore after the frame
 * when it does not refresh them (§9.7). */
static int begin_frame(vp8_decoder *d, const uint8_t *data, size_t len, vp8_bool_decoder *first,
                       vp8_entropy *saved)
{
    vp8_frame_header *h = &d->hdr;
    excam_vp8_state *s = d->s;
    size_t hdr_bytes = h->key_frame ? 10 : 3;
    int err;

    if (h->key_frame) {
        if ((err = vp8_state_set_size(s, h->width, h->height)))
            return err;
        s->horiz_scale = h->horiz_scale;
        s->vert_scale = h->vert_scale;
        vp8_state_reset_for_key(s);
    }
    /* The first partition's decoder may run on into the rest of the frame, as in libvpx. */
    vp8_bool_init(first, data + hdr_bytes, len - hdr_bytes);
    vp8_parse_header(first, h, s);
    if (h->key_frame) {
        s->color_space = h->color_space;
        s->clamping_type = h->clamping_type;
    }
    s->segmentation_enabled = h->segmentation_enabled;
    s->lf_delta_enabled = h->lf_delta_enabled;
    *saved = s->ctx;
    vp8_parse_header_probs(first, h, &s->ctx);
    return EXCAM_OK;
}

/* What the end of a frame changes of the state besides the pictures. */
static void end_frame(excam_vp8_state *s, const vp8_frame_header *h, const vp8_entropy *saved)
{
    if (!h->refresh_entropy)
        s->ctx = *saved;
    s->has_keyframe = 1;
}

static int decode_frame(vp8_decoder *d, const uint8_t *data, size_t len, int threads)
{
    vp8_frame_header *h = &d->hdr;
    excam_vp8_state *s = d->s;
    size_t hdr_bytes = h->key_frame ? 10 : 3;
    vp8_bool_decoder first, parts[8];
    vp8_entropy saved;
    int err;

    if ((err = begin_frame(d, data, len, &first, &saved)))
        return err;
    if ((err = setup_partitions(data + hdr_bytes + h->first_part_size, data + len,
                                h->num_partitions, parts)))
        return err;

    d->cur = vp8_frame_new(s->width, s->height);
    d->mbi_stride = s->mb_cols + 1;
    d->mbi = calloc((size_t)(s->mb_cols + 1) * (size_t)(s->mb_rows + 1), sizeof(*d->mbi));
    d->nz_above = calloc((size_t)s->mb_cols, 9);
    if (!d->cur || !d->mbi || !d->nz_above)
        return EXCAM_ERR_NOMEM;
    vp8_setup_dequant(d);
    if (vp8_decode_rows(d, &first, parts, threads) && !d->in->has_keyframe)
        return EXCAM_ERR_CORRUPT; /* a stream must start with a complete key frame */

    vp8_update_references(s, h, d->cur);
    if (h->show_frame) {
        vp8_frame_unref(s->shown);
        s->shown = vp8_frame_ref(d->cur);
    }
    end_frame(s, h, &saved);
    return EXCAM_OK;
}

/* The first partition only: the header and every macroblock's modes (no residue, no
 * reconstruction), for vp8_decode_modes. */
static int parse_modes(vp8_decoder *d, const uint8_t *data, size_t len, vp8_entropy *saved)
{
    excam_vp8_state *s = d->s;
    vp8_bool_decoder first;
    int err;

    if ((err = begin_frame(d, data, len, &first, saved))) return err;
    d->mbi_stride = s->mb_cols + 1;
    d->mbi = calloc((size_t)(s->mb_cols + 1) * (size_t)(s->mb_rows + 1), sizeof(*d->mbi));
    if (!d->mbi) return EXCAM_ERR_NOMEM;
    for (int r = 0; r < s->mb_rows; r++)
        vp8_read_row_modes(d, &first, r);
    return vp8_bool_overrun(&first) ? EXCAM_ERR_CORRUPT : EXCAM_OK;
}

/* A copy of `in` run through the frame's header and modes: d->s, d->hdr, d->mbi (the
 * caller frees d->s and d->mbi, also on error). */
static int modes_of(const excam_vp8_state *in, const uint8_t *data, size_t len, vp8_decoder *d,
                    vp8_entropy *saved)
{
    int err;
    memset(d, 0, sizeof(*d));
    if (!in || !data || !len) return EXCAM_ERR_INVALID_ARG;
    if ((err = vp8_parse_frame_tag(data, len, &d->hdr))) return err;
    if (!d->hdr.key_frame && !in->has_keyframe) return EXCAM_ERR_NO_KEYFRAME;
    d->dsp = vp8_get_dsp();
    d->in = in;
    d->s = excam_vp8_state_copy(in);
    if (!d->s) return EXCAM_ERR_NOMEM;
    return parse_modes(d, data, len, saved);
}

/* The state after the frame whose modes d holds (modes_of): its probabilities and
 * segmentation as a decode would leave them, no pictures (they would be stale). */
static excam_vp8_state *advanced_state(vp8_decoder *d, const vp8_entropy *saved)
{
    excam_vp8_state *s = d->s;
    end_frame(s, &d->hdr, saved);
    for (int r = VP8_REF_LAST; r <= VP8_REF_ALTREF; r++) {
        vp8_frame_unref(s->ref[r]);
        s->ref[r] = NULL;
    }
    vp8_frame_unref(s->shown);
    s->shown = NULL;
    s->no_pictures = 1;
    d->s = NULL;
    return s;
}

int vp8_decode_modes(const excam_vp8_state *in, const uint8_t *data, size_t len,
                     vp8_frame_header *hdr, vp8_seg_values *seg, vp8_mb_info **mbi,
                     int *mbi_stride, excam_vp8_state **advanced)
{
    vp8_decoder d;
    vp8_entropy saved;
    int err = modes_of(in, data, len, &d, &saved);

    *mbi = NULL;
    if (advanced) *advanced = NULL;
    if (!err && seg && d.s) {
        seg->abs_delta = d.s->seg_abs_delta;
        memcpy(seg->quant, d.s->seg_quant, sizeof(seg->quant));
        memcpy(seg->lf, d.s->seg_lf, sizeof(seg->lf));
    }
    if (!err && advanced) *advanced = advanced_state(&d, &saved);
    excam_vp8_state_free(d.s);
    if (err) {
        free(d.mbi);
        return err;
    }
    *hdr = d.hdr;
    *mbi = d.mbi;
    *mbi_stride = d.mbi_stride;
    return EXCAM_OK;
}

EXCAM_API int excam_vp8_advance_modes(const excam_vp8_state *in, const uint8_t *data,
                                     size_t len, excam_vp8_state **out)
{
    vp8_decoder d;
    vp8_entropy saved;
    int err;

    if (out) *out = NULL;
    if (!out) return EXCAM_ERR_INVALID_ARG;
    err = modes_of(in, data, len, &d, &saved);
    free(d.mbi);
    if (err) {
        excam_vp8_state_free(d.s);
        return err;
    }
    *out = advanced_state(&d, &saved);
    return EXCAM_OK;
}

EXCAM_API int excam_vp8_decode(const excam_vp8_state *in, const uint8_t *data, size_t len,
                               excam_vp8_state **out, excam_image **shown,
                               excam_vp8_frame_info *info)
{
    return excam_vp8_decode_mt(in, data, len, 1, out, shown, info);
}

EXCAM_API int excam_vp8_decode_mt(const excam_vp8_state *in, const uint8_t *data, size_t len,
                                  int threads, excam_vp8_state **out, excam_image **shown,
                                  excam_vp8_frame_info *info)
{
    vp8_decoder d;
    int err;

    if (out)
        *out = NULL;
    if (shown)
        *shown = NULL;
    if (!in || !out || (!data && len) || in->no_pictures)
        return EXCAM_ERR_INVALID_ARG;
    if (len == 0)
        return decode_dropped(in, out, shown, info);

    memset(&d, 0, sizeof(d));
    if ((err = vp8_parse_frame_tag(data, len, &d.hdr)))
        return err;
    if (!d.hdr.key_frame && !in->has_keyframe)
        return EXCAM_ERR_NO_KEYFRAME;
    d.dsp = vp8_get_dsp();
    d.in = in;
    d.s = excam_vp8_state_copy(in);
    if (!d.s)
        return EXCAM_ERR_NOMEM;
    err = decode_frame(&d, data, len, threads);
    if (!err && shown && d.hdr.show_frame && !(*shown = vp8_image_from_frame(d.cur)))
        err = EXCAM_ERR_NOMEM;
    if (!err && info)
        fill_info(info, &d.hdr, len);
    free(d.mbi);
    free(d.nz_above);
    vp8_frame_unref(d.cur);
    if (err) {
        excam_vp8_state_free(d.s);
        return err;
    }
    *out = d.s;
    return EXCAM_OK;
}
