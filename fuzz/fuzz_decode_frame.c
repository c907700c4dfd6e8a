/*
 * libFuzzer target: a sequence of compressed VP8 frames through excam_vp8_decode.
 *
 * Input: one mode byte, then frames, each a 2-byte little-endian length and that many
 * bytes (the last one takes whatever is left if the input is shorter).
 * Mode bits:
 *   0  start from the state after a real 16x16 key frame (else the empty state, where
 *      only a key frame can be decoded);
 *   1  play on after an error from the last good state (else stop at the first);
 *   2  after each frame, check that the state survives copy and serialization.
 * fuzz/seed.sh makes seeds from the first frames of the conformance vectors.
 */
#include <string.h>

#include "fuzz_common.h"

enum { MODE_AFTER_KEY = 1, MODE_PLAY_ON = 2, MODE_ROUND_TRIP = 4, MAX_FRAMES = 64 };

/* The state must be equal to its copy and to its serialized-and-read-back self. */
static void check_round_trip(const excam_vp8_state *s)
{
    excam_vp8_state *copy, *back = NULL;
    uint8_t *buf = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    int w, h;

    excam_vp8_state_size(s, &w, &h);
    if ((long)w * h > 256 * 256)
        return; /* serialization is linear in the picture size: keep runs fast */
    copy = excam_vp8_state_copy(s);
    if (!copy || excam_vp8_state_equal(s, copy) != 1)
        abort();
    if (excam_vp8_state_serialize(s, &buf, &len) != EXCAM_OK ||
        excam_vp8_state_deserialize(buf, len, &back) != EXCAM_OK ||
        excam_vp8_state_serialize(back, &again, &len2) != EXCAM_OK || len != len2 ||
        memcmp(buf, again, len) || excam_vp8_state_equal(s, back) != 1)
        abort();
    excam_free(buf);
    excam_free(again);
    excam_vp8_state_free(back);
    excam_vp8_state_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    excam_vp8_state *s = excam_vp8_state_new(), *next = NULL;
    unsigned mode;

    if (!s || size < 1)
        goto out;
    mode = data[0];
    data++, size--;
    if (mode & MODE_AFTER_KEY) {
        if (fuzz_decode(s, fuzz_key16, sizeof(fuzz_key16), &next) != EXCAM_OK)
            abort(); /* a real key frame must decode */
        excam_vp8_state_free(s);
        s = next;
    }
    for (int n = 0; size > 0 && n < MAX_FRAMES; n++) {
        size_t len = size < 2 ? 0 : (size_t)data[0] | (size_t)data[1] << 8;
        size_t skip = size < 2 ? size : 2;
        int err;
        data += skip, size -= skip;
        if (len > size)
            len = size;
        if (!fuzz_too_big(data, len)) {
            err = fuzz_decode(s, data, len, &next);
            if (err == EXCAM_OK) {
                excam_vp8_state_free(s);
                s = next;
                if (mode & MODE_ROUND_TRIP)
                    check_round_trip(s);
            } else if (!(mode & MODE_PLAY_ON)) {
                break;
            }
        }
        data += len, size -= len;
    }
out:
    excam_vp8_state_free(s);
    return 0;
}
