/*
 * libFuzzer target: hostile frames through excam_vp8_rebase (and _rebase_chain).
 *
 * Input: as fuzz_decode_frame's (whose seeds it shares): one byte (unused here), then
 * frames, each a 2-byte little-endian length and that many bytes. The old base starts as the state after a real 16x16
 * key frame and follows the frames that decode; the new base is the state after that
 * key frame and a real inter frame (other pictures, other probabilities). Every frame is
 * rebased from the old base onto the new one with the encoder's self-check on (its
 * reconstruction must be the decoder's): the result must be EXCAM_OK or a documented
 * error, never EXCAM_ERR_INTERNAL; a rebased frame must decode on the new base to the
 * state rebase returned. This reaches the rebase's parse of segmentation, quantizer
 * deltas, split partitions and B_PRED modes, and the encoder's writing of them.
 */
#include <string.h>

#include "fuzz_common.h"

enum { MAX_FRAMES = 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    excam_vp8_state *empty = excam_vp8_state_new(), *old = NULL, *nb = NULL, *tmp = NULL;
    excam_image *src = excam_image_alloc(16, 16);
    excam_vp8_enc_params p;

    if (!empty || !src || size < 1) goto out;
    data++, size--;
    if (fuzz_decode(empty, fuzz_key16, sizeof(fuzz_key16), &old) != EXCAM_OK ||
        fuzz_decode(old, fuzz_inter16, sizeof(fuzz_inter16), &nb) != EXCAM_OK)
        abort(); /* real frames must decode */
    /* A source picture: a gradient with some texture. */
    for (int pl = 0; pl < 3; pl++)
        for (int y = 0; y < (pl ? 8 : 16); y++)
            for (int x = 0; x < (pl ? 8 : 16); x++)
                src->plane[pl][y * src->stride[pl] + x] = (uint8_t)(x * 13 + y * 7 + ((x ^ y) & 3) * 20);
    excam_vp8_enc_params_default(&p);
    p.self_check = 1;

    for (int n = 0; size > 0 && n < MAX_FRAMES; n++) {
        size_t len = size < 2 ? 0 : (size_t)data[0] | (size_t)data[1] << 8;
        size_t skip = size < 2 ? size : 2;
        data += skip, size -= skip;
        if (len > size) len = size;
        if (!fuzz_too_big(data, len)) {
            uint8_t *r = NULL;
            size_t rl = 0;
            excam_vp8_state *out = NULL, *old_next = NULL;
            /* Every other frame through excam_vp8_rebase_chain, whose old_next must be
             * there exactly when it succeeds. */
            int err = n & 1 ? excam_vp8_rebase_chain(old, nb, src, data, len, &p, &r, &rl, &out,
                                                     &old_next)
                            : excam_vp8_rebase(old, nb, src, data, len, &p, &r, &rl, &out);
            if (err > EXCAM_OK || err < EXCAM_ERR_IO || err == EXCAM_ERR_INTERNAL) abort();
            if ((n & 1) && (err == EXCAM_OK) != (old_next != NULL)) abort();
            excam_vp8_state_free(old_next);
            if (err == EXCAM_OK) {
                excam_vp8_state *dec = NULL;
                if (!r || !rl || !out || fuzz_decode(nb, r, rl, &dec) != EXCAM_OK ||
                    excam_vp8_state_equal(dec, out) != 1)
                    abort();
                excam_vp8_state_free(dec);
            } else if (r || rl || out) {
                abort();
            }
            excam_free(r);
            excam_vp8_state_free(out);
            /* The old base follows the frames that decode (of the same size). */
            if (fuzz_decode(old, data, len, &tmp) == EXCAM_OK) {
                int w, h;
                excam_vp8_state_size(tmp, &w, &h);
                if (w == 16 && h == 16) {
                    excam_vp8_state_free(old);
                    old = tmp;
                } else {
                    excam_vp8_state_free(tmp);
                }
                tmp = NULL;
            }
        }
        data += len, size -= len;
    }
out:
    excam_image_free(src);
    excam_vp8_state_free(empty);
    excam_vp8_state_free(old);
    excam_vp8_state_free(nb);
    return 0;
}
