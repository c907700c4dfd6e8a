/*
 * libFuzzer target: a whole Y4M file through the CLI's reader (tools/y4m_read.c), as
 * `excam encode` reads it: the header, then every frame up to the end of the file or
 * the first error (at most 64 frames per input).
 *
 * The reader's contract is checked, not just its memory safety:
 *  * a failure (open or frame) always says why, and a frame error names its frame;
 *  * an accepted header has a size within 1..Y4M_MAX_DIM, a 4:2:0 colorspace, a
 *    progressive (or unknown) interlacing mode, and frame_size consistent with the size;
 *  * a frame that is returned was read whole: every pixel of the picture is touched
 *    (ASan sees a short write), and the bytes consumed match the header's frame size.
 * Pictures above FUZZ_MAX_PIXELS are not allocated (the CLI's own cap, Y4M_MAX_DIM
 * squared, would make each run allocate 400 MB); their header is still checked.
 * fuzz/seed.sh seeds it with small Y4M files made by `excam decode` and by hand.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "y4m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int colorspace_ok(const char *c)
{
    return !strcmp(c, "420") || !strcmp(c, "420jpeg") || !strcmp(c, "420mpeg2") ||
           !strcmp(c, "420paldv");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0; /* fmemopen refuses an empty buffer */
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return 0;
    y4m_reader r;
    if (y4m_open_stream(&r, f, "fuzz") != 0) {
        if (!r.err[0] || r.f) abort(); /* a failure must say why, and leave nothing open */
        fclose(f);
        return 0;
    }
    if (r.width < 1 || r.width > Y4M_MAX_DIM || r.height < 1 || r.height > Y4M_MAX_DIM ||
        !colorspace_ok(r.colorspace) || (r.interlace != 'p' && r.interlace != '?') ||
        (r.fps_num == 0) != (r.fps_den == 0))
        abort();
    size_t cw = ((size_t)r.width + 1) / 2, ch = ((size_t)r.height + 1) / 2;
    if (r.frame_size != (size_t)r.width * r.height + 2 * cw * ch) abort();

    if ((long)r.width * r.height <= FUZZ_MAX_PIXELS) {
        excam_image *img = excam_image_alloc(r.width, r.height);
        if (!img) abort();
        long start = ftell(f);
        int got = 0;
        while (r.frames_read < 64 && (got = y4m_read_frame(&r, img)) == 1) {
            long end = ftell(f);
            /* A frame is a FRAME line (>= 6 bytes with its '\n') and its planes. */
            if (start < 0 || end < 0 || (size_t)(end - start) < r.frame_size + 6) abort();
            start = end;
            fuzz_sink += fuzz_touch(img);
        }
        if (r.frames_read < 64 && got < 0) {
            char want[32];
            snprintf(want, sizeof want, "frame %u:", r.frames_read + 1);
            if (strncmp(r.err, want, strlen(want)) != 0) abort(); /* names the frame */
        }
        /* The reader refuses an image of another size, without reading. */
        excam_image *other = excam_image_alloc(r.width + 1, r.height);
        if (other && r.f) {
            unsigned before = r.frames_read;
            if (y4m_read_frame(&r, other) != -1 || r.frames_read != before || !r.err[0]) abort();
        }
        excam_image_free(other);
        excam_image_free(img);
    }
    y4m_close(&r);
    fclose(f);
    return 0;
}
