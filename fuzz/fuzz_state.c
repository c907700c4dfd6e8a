/*
 * libFuzzer target: excam_vp8_state_deserialize on hostile bytes.
 *
 * Each input is tried twice: as it is (what an attacker can send), and with its
 * header rewritten to be valid (magic, version 1, flags 0, body length) and its
 * BLAKE2b checksum recomputed, so that mutations reach the body parser instead of
 * dying at the checksum. Layout (codec/state.c): "EXCAMVP8" | u32 version | u32 flags |
 * u64 body length | body | BLAKE2b-256(body).
 *
 * Each is also parsed with EXCAM_STATE_CHECKED (no checksum): the parser alone.
 * A state that is accepted must behave: serialize -> deserialize -> serialize is
 * stable, hashes and equality agree, and real frames (a 16x16 key frame, then an
 * inter frame against the state as given) decode or fail cleanly.
 * fuzz/seed.sh seeds it with states dumped from the conformance vectors.
 */
#include <sodium.h>
#include <string.h>

#include "fuzz_common.h"

#define HDR_BYTES 24
#define SUM_BYTES 32

static void exercise(const excam_vp8_state *s)
{
    excam_vp8_state *back = NULL, *next = NULL;
    uint8_t *buf = NULL, *again = NULL, h1[32], h2[32];
    size_t len = 0, len2 = 0;

    if (excam_vp8_state_serialize(s, &buf, &len) != EXCAM_OK ||
        excam_vp8_state_deserialize(buf, len, &back) != EXCAM_OK ||
        excam_vp8_state_serialize(back, &again, &len2) != EXCAM_OK || len != len2 ||
        memcmp(buf, again, len) || excam_vp8_state_hash(s, h1) != EXCAM_OK ||
        excam_vp8_state_hash(back, h2) != EXCAM_OK || memcmp(h1, h2, 32) ||
        excam_vp8_state_equal(s, back) != 1)
        abort();
    excam_free(buf);
    excam_free(again);
    excam_vp8_state_free(back);

    if (fuzz_decode(s, fuzz_inter16, sizeof(fuzz_inter16), &next) == EXCAM_OK)
        excam_vp8_state_free(next);
    if (fuzz_decode(s, fuzz_key16, sizeof(fuzz_key16), &next) != EXCAM_OK)
        abort(); /* a key frame does not depend on the state */
    excam_vp8_state_free(next);
}

static void try_bytes(const uint8_t *data, size_t size, unsigned flags)
{
    excam_vp8_state *s = (excam_vp8_state *)(void *)&s;
    int err = excam_vp8_state_deserialize_flags(data, size, flags, &s);
    if (err > EXCAM_OK || err < EXCAM_ERR_IO)
        abort();
    if (err != EXCAM_OK) {
        if (s)
            abort();
        return;
    }
    if (!s)
        abort();
    exercise(s);
    excam_vp8_state_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *fixed;
    uint64_t body;

    if (sodium_init() < 0)
        abort();
    try_bytes(data, size, 0);
    /* Without the checksum (EXCAM_STATE_CHECKED, as workers parse states they fetched by
     * content hash) the hostile bytes reach the body parser as they are. */
    try_bytes(data, size, EXCAM_STATE_CHECKED);
    if (size < HDR_BYTES + SUM_BYTES)
        return 0;
    fixed = malloc(size);
    if (!fixed)
        return 0;
    memcpy(fixed, data, size);
    body = size - HDR_BYTES - SUM_BYTES;
    memcpy(fixed, "EXCAMVP8\1\0\0\0\0\0\0\0", 16);
    for (int i = 0; i < 8; i++)
        fixed[16 + i] = (uint8_t)(body >> (8 * i));
    crypto_generichash(fixed + size - SUM_BYTES, SUM_BYTES, fixed + HDR_BYTES, body, NULL, 0);
    try_bytes(fixed, size, 0);
    free(fixed);
    return 0;
}
