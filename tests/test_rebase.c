/*
 * excam_vp8_rebase: the ExCamera[n, x] construction at the API level, on synthetic
 * moving pictures (no test data needed).
 *
 * Chunk A (frames 0..n-1) and chunk B (frames n..2n-1) are encoded independently, each
 * from a key frame. B's first frame is encoded again as an inter frame against A's final
 * state, then B's other frames are rebased one by one onto the states that chain
 * produces. Checked:
 *  - each rebased frame decodes on its new base, and the state rebase returns is exactly
 *    the decoder's (hash), so the stitched stream A + B' decodes from nothing;
 *  - the rebased frames keep their decisions: same frame header fields (type, q, refresh
 *    flags) and stay close in quality to the frames they came from;
 *  - rebasing a frame onto the base it was made on gives it back byte for byte (this
 *    frame: the API does not promise it, as the kept vectors are refined to sub-pel);
 *  - key frames come back unchanged; bad arguments are refused;
 *  - excam_vp8_advance_modes' states serve as old bases like decoded ones, and nothing
 *    else accepts them;
 *  - the encoder updates the MV probabilities (RFC 6386 §17.2) of a panning picture,
 *    and the decoder applies them (the states above are the decoder's);
 *  - (with the test data) frames with segmentation and per-segment quantizers and loop
 *    filter levels (the conformance vectors vp80-03-segmentation-14xx) rebase: onto
 *    their own base close to their own picture, onto another valid, self-checked, with
 *    their segmentation kept.
 * With an argument, the stitched stream is also written there as IVF (t_rebase.sh
 * compares libvpx's decoding of it with excam's).
 */
#include "test_util.h"

#include <math.h>

#include "tables.h"
#include "vp8i.h"

enum { W = 176, H = 144, N = 5 };

/* A picture of frame t: textured background panning right, a bright box moving down
 * and left, a little noise; chroma gradients that drift. */
static void make_picture(excam_image *img, int t)
{
    uint32_t seed = 12345u + (uint32_t)t * 7919u;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            int bx = x + 2 * t, v = 60 + (int)(50 * sin(bx * 0.21) * cos(y * 0.13)) + ((bx / 8 + y / 8) & 1) * 40;
            if (x > 100 - 3 * t && x < 140 - 3 * t && y > 20 + 4 * t && y < 60 + 4 * t) v = 220;
            seed = seed * 1103515245u + 12345u;
            v += (int)((seed >> 16) % 7) - 3;
            img->plane[0][y * img->stride[0] + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < (img->height + 1) / 2; y++)
            for (int x = 0; x < (img->width + 1) / 2; x++)
                img->plane[p][y * img->stride[p] + x] =
                    (uint8_t)(128 + (p == 1 ? (x + t) % 64 - 32 : (y + 2 * t) % 48 - 24));
}

static double psnr(const excam_image *a, const excam_image *b)
{
    double sse = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++) {
            int d = a->plane[0][y * a->stride[0] + x] - b->plane[0][y * b->stride[0] + x];
            sse += d * d;
        }
    return sse ? 10 * log10(255.0 * 255 * a->width * a->height / sse) : 99;
}

typedef struct frame { uint8_t *data; size_t len; } frame;

static void hash_of(const excam_vp8_state *s, uint8_t d[32])
{
    memset(d, 0, 32);
    excam_vp8_state_hash(s, d);
}

static void write_ivf(const char *path, const frame *f, int n, int w, int h_)
{
    FILE *o = fopen(path, "wb");
    uint8_t h[32] = {'D', 'K', 'I', 'F', 0, 0, 32, 0, 'V', 'P', '8', '0', (uint8_t)w, (uint8_t)(w >> 8),
                     (uint8_t)h_, (uint8_t)(h_ >> 8), 30, 0, 0, 0, 1, 0, 0, 0, (uint8_t)n, (uint8_t)(n >> 8), 0, 0, 0, 0, 0, 0};
    if (!CHECK(o != NULL, "cannot write %s", path)) return;
    fwrite(h, 1, 32, o);
    for (int i = 0; i < n; i++) {
        uint8_t fh[12] = {(uint8_t)f[i].len, (uint8_t)(f[i].len >> 8), (uint8_t)(f[i].len >> 16),
                          (uint8_t)(f[i].len >> 24), (uint8_t)i, 0, 0, 0, 0, 0, 0, 0};
        fwrite(fh, 1, 12, o);
        fwrite(f[i].data, 1, f[i].len, o);
    }
    fclose(o);
}

/* Rebase every inter frame of a conformance vector with segmentation onto the base it
 * was made on and onto the state before that, each self-checked (the encoder's
 * reconstruction must be the decoder's). The source is the frame's decoded picture.
 * Also a chain: each frame rebased onto the state the rebased frames before it reach
 * (key frames as they are), written to `out` (if not NULL) for libvpx to decode. */
static void segmentation_vector(const char *name, const char *out)
{
    char path[1024];
    tu_ivf v;
    snprintf(path, sizeof(path), "%s/vp8-test-vectors/%s", tu_data_dir(), name);
    if (tu_ivf_load(path, &v)) {
        printf("skipped: segmentation rebase on %s (test data not found; set EXCAM_DATA)\n", path);
        return;
    }
    excam_vp8_state *s = excam_vp8_state_new(), *prev = NULL;
    excam_vp8_enc_params p;
    excam_vp8_enc_params_default(&p);
    p.self_check = 1;
    int seg_frames = 0, kept_seg = 0, onto_prev = 0, bad = 0, nchain = 0;
    double worst = 99;
    excam_vp8_state *chain = excam_vp8_state_new();
    frame *cf = calloc(v.nframes ? v.nframes : 1, sizeof(*cf));
    int cw = 0, ch = 0;
    for (size_t i = 0; i < v.nframes && s && chain && cf; i++) {
        excam_vp8_state *next = NULL;
        excam_image *shown = NULL;
        excam_vp8_frame_info info;
        int err = excam_vp8_decode(s, v.frame[i], v.size[i], &next, &shown, &info);
        CHECK(!err, "%s frame %zu: decode: %s", name, i, excam_strerror(err));
        if (err) break;
        if (!info.key_frame && shown && info.segmentation_enabled) {
            uint8_t *r;
            size_t rl;
            excam_vp8_state *o;
            seg_frames++;
            err = excam_vp8_rebase(s, s, shown, v.frame[i], v.size[i], &p, &r, &rl, &o);
            bad += err != 0;
            if (!err) {
                excam_vp8_frame_info ri;
                excam_image *x = excam_vp8_state_shown(o);
                double q = psnr(x, shown);
                if (q < worst) worst = q;
                kept_seg += !excam_vp8_peek(r, rl, &ri) && ri.segmentation_enabled;
                excam_image_free(x);
                excam_free(r);
                excam_vp8_state_free(o);
            }
            int w, h, pw = 0, ph = 0;
            excam_vp8_state_size(s, &w, &h);
            if (prev) excam_vp8_state_size(prev, &pw, &ph);
            if (prev && pw == w && ph == h) {
                err = excam_vp8_rebase(s, prev, shown, v.frame[i], v.size[i], &p, &r, &rl, NULL);
                bad += err != 0;
                onto_prev += !err;
                if (!err) excam_free(r);
            }
        }
        /* The chain. */
        if (shown) {
            excam_vp8_state *cn = NULL;
            uint8_t *r = NULL;
            size_t rl = 0;
            err = info.key_frame ? excam_vp8_decode(chain, v.frame[i], v.size[i], &cn, NULL, NULL)
                                 : excam_vp8_rebase(s, chain, shown, v.frame[i], v.size[i], &p,
                                                    &r, &rl, &cn);
            CHECK(!err, "%s frame %zu: onto the chain: %s", name, i, excam_strerror(err));
            if (!err) {
                if (!r) {
                    r = malloc(v.size[i]);
                    if (r) memcpy(r, v.frame[i], rl = v.size[i]);
                }
                cf[nchain].data = r;
                cf[nchain++].len = rl;
                excam_vp8_state_free(chain);
                chain = cn;
                excam_vp8_state_size(chain, &cw, &ch);
            }
        }
        excam_image_free(shown);
        excam_vp8_state_free(prev);
        prev = s;
        s = next;
    }
    if (out && nchain) write_ivf(out, cf, nchain, cw, ch);
    for (int i = 0; i < nchain; i++)
        free(cf[i].data);
    free(cf);
    excam_vp8_state_free(chain);
    CHECK(seg_frames > 0 && !bad, "%s: %d frames with segmentation, %d rebases failed", name,
          seg_frames, bad);
    CHECK(kept_seg == seg_frames, "%s: %d of %d rebased frames kept their segmentation", name,
          kept_seg, seg_frames);
    CHECK(onto_prev > 0, "%s: no frame rebased onto another base", name);
    printf("segmentation rebase: %s: %d frames, the worst %.2f dB from its picture\n", name,
           seg_frames, worst);
    /* The residual is coded again at the frame's quantizers (split macroblocks may become
     * whole ones where that costs less): close to the picture, not equal. */
    CHECK(worst > 35, "%s: a frame rebased onto its own base is %.2f dB from its picture", name,
          worst);
    excam_vp8_state_free(prev);
    excam_vp8_state_free(s);
    tu_ivf_free(&v);
}

int main(int argc, char **argv)
{
    excam_image *src[2 * N];
    frame a[N], b[N], out[2 * N];
    excam_vp8_state *sa = excam_vp8_state_new(), *sb_states[N + 1];
    excam_vp8_enc_params p;
    excam_vp8_enc_params_default(&p);
    p.q_index = 40;
    p.self_check = 1;

    for (int t = 0; t < 2 * N; t++) {
        src[t] = excam_image_alloc(W, H);
        make_picture(src[t], t);
    }
    /* Stage 1: chunk A and chunk B, each from a key frame. */
    for (int i = 0; i < N; i++) {
        excam_vp8_state *next;
        p.frame_type = i ? EXCAM_FRAME_INTER : EXCAM_FRAME_KEY;
        int err = excam_vp8_encode(sa, src[i], &p, &a[i].data, &a[i].len, &next);
        CHECK(!err, "chunk A frame %d: %s", i, excam_strerror(err));
        excam_vp8_state_free(sa);
        sa = next;
    }
    {
        /* §17.2: on a CIF panning picture (enough vectors for an update to pay), the
         * encoder sends MV probability updates; the states are the decoder's. */
        excam_vp8_state *s = excam_vp8_state_new(), *next;
        excam_image *img = excam_image_alloc(352, 288);
        int updated = 0;
        for (int t = 0; t < 4 && img; t++) {
            uint8_t *data;
            size_t len;
            /* Bands of 16 rows moving at 7 different speeds: many new vectors. */
            for (int y = 0; y < img->height; y++)
                for (int x = 0; x < img->width; x++) {
                    int bx = x + t * ((y / 16) % 7 - 3);
                    img->plane[0][y * img->stride[0] + x] =
                        (uint8_t)(128 + 60 * sin(bx * 0.37) * cos(y * 0.29) + ((bx / 4 + y / 4) & 1) * 30);
                }
            for (int q = 1; q < 3; q++)
                memset(img->plane[q], 128, (size_t)img->stride[q] * 144);
            p.frame_type = t ? EXCAM_FRAME_INTER : EXCAM_FRAME_KEY;
            if (excam_vp8_encode(s, img, &p, &data, &len, &next)) break;
            excam_free(data);
            excam_vp8_state_free(s);
            s = next;
            updated |= memcmp(s->ctx.mv, vp8_default_mv_probs, sizeof(s->ctx.mv)) != 0;
        }
        CHECK(updated, "a panning picture's vectors should have updated the MV probabilities");
        excam_image_free(img);
        excam_vp8_state_free(s);
    }
    sb_states[0] = excam_vp8_state_new();
    for (int i = 0; i < N; i++) {
        p.frame_type = i ? EXCAM_FRAME_INTER : EXCAM_FRAME_KEY;
        int err = excam_vp8_encode(sb_states[i], src[N + i], &p, &b[i].data, &b[i].len,
                                   &sb_states[i + 1]);
        CHECK(!err, "chunk B frame %d: %s", i, excam_strerror(err));
    }

    /* Key frames are their own rebase. */
    {
        uint8_t *r;
        size_t rl;
        excam_vp8_state *o;
        int err = excam_vp8_rebase(sb_states[0], sa, src[N], b[0].data, b[0].len, &p, &r, &rl, &o);
        CHECK(!err && rl == b[0].len && !memcmp(r, b[0].data, rl), "a key frame must come back as is");
        if (!err) {
            excam_free(r);
            excam_vp8_state_free(o);
        }
    }
    /* Rebasing onto the base a frame was made on gives its picture back exactly. */
    {
        uint8_t *r;
        size_t rl;
        excam_vp8_state *o;
        uint8_t h1[32], h2[32];
        int err = excam_vp8_rebase(sb_states[1], sb_states[1], src[N + 1], b[1].data, b[1].len,
                                   &p, &r, &rl, &o);
        CHECK(!err, "rebase onto the same base: %s", excam_strerror(err));
        if (!err) {
            excam_image *x = excam_vp8_state_shown(o), *y = excam_vp8_state_shown(sb_states[2]);
            CHECK(x && y && psnr(x, y) == 99, "same base: the picture must not change (%.2f dB)",
                  x && y ? psnr(x, y) : 0.0);
            hash_of(o, h1);
            hash_of(sb_states[2], h2);
            CHECK(!memcmp(h1, h2, 32), "same base: the state must not change");
            CHECK(rl == b[1].len && !memcmp(r, b[1].data, rl),
                  "same base: the frame must come back byte for byte (%zu vs %zu bytes)", rl,
                  b[1].len);
            excam_image_free(x);
            excam_image_free(y);
            excam_free(r);
            excam_vp8_state_free(o);
        }
    }

    /* excam_vp8_advance_modes: a chain of "modes" states over chunk B serves rebase as
     * old base exactly as the decoded states do (same rebased bytes), and every other
     * function refuses such a state. */
    {
        excam_vp8_state *adv = excam_vp8_state_new(), *next = NULL;
        int same = 1;
        for (int i = 0; i < N && adv; i++) {
            if (i > 0) {
                uint8_t *r1 = NULL, *r2 = NULL;
                size_t l1 = 0, l2 = 0;
                int e1 = excam_vp8_rebase(sb_states[i], sa, src[N + i], b[i].data, b[i].len, &p,
                                          &r1, &l1, NULL);
                int e2 = excam_vp8_rebase(adv, sa, src[N + i], b[i].data, b[i].len, &p, &r2,
                                          &l2, NULL);
                same &= !e1 && !e2 && l1 == l2 && !memcmp(r1, r2, l1);
                excam_free(r1);
                excam_free(r2);
            }
            int err = excam_vp8_advance_modes(adv, b[i].data, b[i].len, &next);
            CHECK(!err, "advance_modes over B frame %d: %s", i, excam_strerror(err));
            excam_vp8_state_free(adv);
            adv = err ? NULL : next;
        }
        CHECK(same, "rebase on an advance_modes chain gives other bytes than on decoded states");
        if (adv) {
            uint8_t *buf = NULL, *fr = NULL, d[32];
            size_t len = 0, flen = 0;
            excam_vp8_state *o = NULL;
            CHECK(excam_vp8_decode(adv, b[1].data, b[1].len, &o, NULL, NULL) ==
                      EXCAM_ERR_INVALID_ARG, "decode must refuse a modes-only state");
            CHECK(excam_vp8_encode(adv, src[N], &p, &fr, &flen, &o) == EXCAM_ERR_INVALID_ARG,
                  "encode must refuse a modes-only state");
            CHECK(excam_vp8_rebase(sa, adv, src[N], b[1].data, b[1].len, &p, &fr, &flen, &o) ==
                      EXCAM_ERR_INVALID_ARG, "rebase onto a modes-only state must be refused");
            CHECK(excam_vp8_state_serialize(adv, &buf, &len) == EXCAM_ERR_INVALID_ARG &&
                      excam_vp8_state_hash(adv, d) == EXCAM_ERR_INVALID_ARG,
                  "serialize/hash must refuse a modes-only state");
            CHECK(!o && !fr && !buf, "refusals leave nothing allocated");
        }
        uint8_t junk[7] = {0x10, 0x02, 0x00, 1, 2, 3, 4};
        CHECK(excam_vp8_advance_modes(sa, junk, sizeof(junk), &next) != EXCAM_OK && !next,
              "advance_modes on a corrupt frame fails cleanly");
        excam_vp8_state_free(adv);
    }

    /* excam_vp8_rebase_chain: the same rebased frames and states as excam_vp8_rebase,
     * and its old_next serves as the next frame's old base as advance_modes' does (the
     * same bytes all along a chunk); on a corrupt frame it fails leaving nothing. */
    {
        excam_vp8_state *adv = NULL, *chain_old = NULL;
        int same = 1;
        CHECK(!excam_vp8_advance_modes(sb_states[0], b[0].data, b[0].len, &adv) &&
                  !excam_vp8_advance_modes(sb_states[0], b[0].data, b[0].len, &chain_old),
              "advance_modes over B's key frame");
        for (int i = 1; i < N && adv && chain_old; i++) {
            uint8_t *r1 = NULL, *r2 = NULL, h1[32], h2[32];
            size_t l1 = 0, l2 = 0;
            excam_vp8_state *o1 = NULL, *o2 = NULL, *adv_next = NULL, *old_next = NULL;
            int e1 = excam_vp8_rebase(adv, sa, src[N + i], b[i].data, b[i].len, &p, &r1, &l1, &o1);
            int e2 = excam_vp8_rebase_chain(chain_old, sa, src[N + i], b[i].data, b[i].len, &p,
                                            &r2, &l2, &o2, &old_next);
            same &= !e1 && !e2 && l1 == l2 && !memcmp(r1, r2, l1) && old_next;
            if (!e1 && !e2) {
                hash_of(o1, h1);
                hash_of(o2, h2);
                same &= !memcmp(h1, h2, 32);
            }
            CHECK(!excam_vp8_advance_modes(adv, b[i].data, b[i].len, &adv_next), "advance %d", i);
            excam_free(r1);
            excam_free(r2);
            excam_vp8_state_free(o1);
            excam_vp8_state_free(o2);
            excam_vp8_state_free(adv);
            excam_vp8_state_free(chain_old);
            adv = adv_next;
            chain_old = old_next;
        }
        CHECK(same, "rebase_chain gives other frames, states or old bases than rebase + advance_modes");
        uint8_t junk[7] = {0x30, 0x02, 0x00, 1, 2, 3, 4}, *r = (uint8_t *)1;
        size_t rl = 1;
        excam_vp8_state *o = (excam_vp8_state *)1, *on = (excam_vp8_state *)1;
        CHECK(excam_vp8_rebase_chain(sb_states[1], sa, src[N + 1], junk, sizeof(junk), &p, &r,
                                     &rl, &o, &on) != EXCAM_OK && !r && !rl && !o && !on,
              "rebase_chain on a corrupt frame fails leaving nothing");
        excam_vp8_state_free(adv);
        excam_vp8_state_free(chain_old);
    }

    /* Stage 2: B's first frame as an inter frame on A's final state. */
    excam_vp8_state *base;
    p.frame_type = EXCAM_FRAME_INTER;
    {
        int err = excam_vp8_encode(sa, src[N], &p, &out[N].data, &out[N].len, &base);
        CHECK(!err, "stage 2: %s", excam_strerror(err));
    }
    /* Stage 3: rebase B's other frames, each onto the state the previous one left. */
    for (int i = 1; i < N; i++) {
        excam_vp8_state *next, *dec;
        excam_vp8_frame_info fi_old, fi_new;
        uint8_t h1[32], h2[32];
        int err = excam_vp8_rebase(sb_states[i], base, src[N + i], b[i].data, b[i].len, &p,
                                   &out[N + i].data, &out[N + i].len, &next);
        if (!CHECK(!err, "rebase of B frame %d: %s", i, excam_strerror(err))) break;
        /* The returned state is the decoder's. */
        err = excam_vp8_decode(base, out[N + i].data, out[N + i].len, &dec, NULL, &fi_new);
        CHECK(!err, "rebased frame %d does not decode on its new base", i);
        hash_of(next, h1);
        if (!err) hash_of(dec, h2);
        CHECK(!err && !memcmp(h1, h2, 32), "frame %d: rebase's state is not the decoder's", i);
        excam_vp8_state_free(dec);
        /* Decisions kept. */
        excam_vp8_peek(b[i].data, b[i].len, &fi_old);
        CHECK(fi_old.key_frame == fi_new.key_frame && fi_old.base_q == fi_new.base_q &&
                  fi_old.show_frame == fi_new.show_frame &&
                  fi_old.refresh_last == fi_new.refresh_last &&
                  fi_old.refresh_golden == fi_new.refresh_golden &&
                  fi_old.refresh_altref == fi_new.refresh_altref,
              "frame %d: header decisions changed", i);
        /* Quality close to the frame it came from. */
        excam_image *x = excam_vp8_state_shown(next), *y = excam_vp8_state_shown(sb_states[i + 1]);
        double px = psnr(x, src[N + i]), py = psnr(y, src[N + i]);
        CHECK(px > py - 1.5, "frame %d: rebased %.2f dB vs %.2f dB before", i, px, py);
        printf("frame %d: %zu -> %zu bytes, %.2f -> %.2f dB\n", N + i, b[i].len, out[N + i].len,
               py, px);
        excam_image_free(x);
        excam_image_free(y);
        excam_vp8_state_free(base);
        base = next;
    }

    /* The stitched stream decodes from nothing to the same final state. */
    for (int i = 0; i < N; i++)
        out[i] = a[i];
    {
        excam_vp8_state *s = excam_vp8_state_new();
        int ok = 1;
        for (int i = 0; i < 2 * N && ok; i++) {
            excam_vp8_state *next;
            ok = out[i].data && !excam_vp8_decode(s, out[i].data, out[i].len, &next, NULL, NULL);
            CHECK(ok, "stitched stream: frame %d does not decode", i);
            if (ok) {
                excam_vp8_state_free(s);
                s = next;
            }
        }
        uint8_t h1[32], h2[32];
        hash_of(s, h1);
        hash_of(base, h2);
        CHECK(ok && !memcmp(h1, h2, 32), "stitched stream: final state differs from the chain's");
        excam_vp8_state_free(s);
    }
    if (argc > 1) write_ivf(argv[1], out, 2 * N, W, H);

    /* Refusals. */
    {
        uint8_t *r;
        size_t rl;
        excam_vp8_state *o, *empty = excam_vp8_state_new();
        CHECK(excam_vp8_rebase(NULL, base, src[0], b[1].data, b[1].len, &p, &r, &rl, &o) ==
                  EXCAM_ERR_INVALID_ARG, "NULL old base");
        CHECK(excam_vp8_rebase(sb_states[1], empty, src[0], b[1].data, b[1].len, &p, &r, &rl, &o) ==
                  EXCAM_ERR_INVALID_ARG, "a new base without a key frame");
        CHECK(excam_vp8_rebase(empty, base, src[0], b[1].data, b[1].len, &p, &r, &rl, &o) ==
                  EXCAM_ERR_NO_KEYFRAME, "an old base without a key frame");
        CHECK(excam_vp8_rebase(sb_states[1], base, src[0], b[1].data, 5, &p, &r, &rl, &o) != 0,
              "a truncated frame");
        excam_vp8_state_free(empty);
    }

    for (int i = 0; i < N; i++) {
        excam_free(a[i].data);
        excam_free(b[i].data);
        if (i) excam_free(out[N + i].data);
    }
    excam_free(out[N].data);
    for (int i = 0; i <= N; i++)
        excam_vp8_state_free(sb_states[i]);
    for (int t = 0; t < 2 * N; t++)
        excam_image_free(src[t]);
    excam_vp8_state_free(sa);
    excam_vp8_state_free(base);
    /* libvpx's segmentation streams: one and eight token partitions. */
    segmentation_vector("vp80-03-segmentation-1437.ivf", argc > 2 ? argv[2] : NULL);
    segmentation_vector("vp80-03-segmentation-1441.ivf", NULL);
    segmentation_vector("vp80-03-segmentation-1410.ivf", NULL);
    printf("rebase: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
