/*
 * Shared by the libFuzzer targets: two tiny real VP8 frames, and a decode call that
 * aborts (so the fuzzer reports it) whenever the API contract is broken.
 */
#ifndef EXCAM_FUZZ_COMMON_H
#define EXCAM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "excam/vp8.h"

/* A 16x16 key frame and a following inter frame, made with
 * vpxenc --codec=vp8 --good --cpu-used=0 --min-q=50 --max-q=60 from testsrc2 scaled
 * to 16x16 (vpxdec MD5 of either decoded frame: 2d80043d84a7309acc15a9ef4d8f78e6). */
static const uint8_t fuzz_key16[71] = {
    0xb0, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00, 0x06, 0x47, 0x08, 0x85, 0x85,
    0x88, 0x85, 0x84, 0x88, 0x2c, 0x02, 0x02, 0x74, 0xf4, 0x6e, 0xe6, 0x5b, 0x55, 0xfc, 0xa3,
    0x8c, 0xfe, 0x83, 0x39, 0x01, 0xb3, 0x75, 0xc1, 0xab, 0x84, 0x42, 0x0a, 0xe6, 0x65, 0xf6,
    0x09, 0x24, 0xbb, 0x61, 0x5c, 0x5c, 0x14, 0x75, 0x1b, 0x20, 0x7a, 0x35, 0x9b, 0xe0, 0x85,
    0x3a, 0x90, 0x66, 0xac, 0x26, 0x8f, 0xa1, 0x43, 0xe8, 0x1a, 0xf0,
};
static const uint8_t fuzz_inter16[17] = {
    0xb1, 0x01, 0x00, 0x19, 0x11, 0x60, 0x00, 0x18, 0x00, 0x18,
    0x58, 0x2f, 0xf4, 0x00, 0x08, 0x00, 0x00,
};

/* Largest picture the targets decode (in pixels): bigger key frames are skipped so
 * that a fuzzer's memory and time limits measure the decoder, not the frame size. */
#define FUZZ_MAX_PIXELS (1 << 21)

static inline int fuzz_too_big(const uint8_t *data, size_t len)
{
    excam_vp8_frame_info info;
    return excam_vp8_peek(data, len, &info) == EXCAM_OK && info.key_frame &&
           (long)info.width * info.height > FUZZ_MAX_PIXELS;
}

/* Read every pixel so that ASan sees a bad picture (the sum keeps the reads). */
static volatile unsigned fuzz_sink;

static inline unsigned fuzz_touch(const excam_image *img)
{
    unsigned sum = 0;
    for (int p = 0; p < 3; p++) {
        int w = p ? (img->width + 1) / 2 : img->width, h = p ? (img->height + 1) / 2 : img->height;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                sum += img->plane[p][(ptrdiff_t)y * img->stride[p] + x];
    }
    return sum;
}

/* Decode one frame and enforce the contract: EXCAM_OK or a documented negative code;
 * on error *out and *shown are NULL; on success a state. The shown picture is read
 * and freed. Returns the error code; *out gets the new state or NULL. */
static inline int fuzz_decode(const excam_vp8_state *in, const uint8_t *data, size_t len,
                              excam_vp8_state **out)
{
    static max_align_t sentinel; /* the library must overwrite these pointers */
    excam_image *img = (excam_image *)(void *)&sentinel;
    excam_vp8_frame_info info;
    int err;
    *out = (excam_vp8_state *)(void *)&sentinel;
    err = excam_vp8_decode(in, data, len, out, &img, &info);
    if (err > EXCAM_OK || err < EXCAM_ERR_IO)
        abort();
    if (err != EXCAM_OK) {
        if (*out || img)
            abort();
        return err;
    }
    if (!*out || *out == (void *)&sentinel || img == (void *)&sentinel)
        abort();
    if (img) {
        if (img->width < 1 || img->height < 1)
            abort();
        fuzz_sink += fuzz_touch(img);
        excam_image_free(img);
    }
    return err;
}

#endif /* EXCAM_FUZZ_COMMON_H */
