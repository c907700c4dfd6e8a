/*
 * libFuzzer target: a whole IVF file through the CLI's reader (tools/ivf.c) and the
 * decoder, as `excam decode` reads it. The reader must report truncated or lying
 * frame headers cleanly; every frame it returns is decoded (at most 64 per input,
 * key frames larger than FUZZ_MAX_PIXELS skipped). On a decode error the stream goes
 * on from the last good state, as a player would.
 * fuzz/seed.sh seeds it with the conformance vectors and the corrupt streams.
 */
#include <stdio.h>

#include "fuzz_common.h"
#include "ivf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0; /* fmemopen refuses an empty buffer */
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return 0;
    ivf_reader r;
    if (ivf_open_stream(&r, f, "fuzz") == 0) {
        excam_vp8_state *s = excam_vp8_state_new();
        const uint8_t *frame;
        size_t len;
        int got;
        while (s && r.frames_read < 64 && (got = ivf_read_frame(&r, &frame, &len, NULL)) == 1) {
            excam_vp8_state *next;
            if (len > IVF_MAX_FRAME_SIZE) abort(); /* the reader's own limit */
            if (fuzz_too_big(frame, len)) continue;
            if (fuzz_decode(s, frame, len, &next) == EXCAM_OK) {
                excam_vp8_state_free(s);
                s = next;
            }
        }
        excam_vp8_state_free(s);
    } else if (!r.err[0]) {
        abort(); /* a failure must say why */
    }
    ivf_close(&r);
    fclose(f);
    return 0;
}
