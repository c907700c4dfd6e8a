/*
 * libFuzzer target: the wire protocol's reader and validator (proto/wire.h) on hostile
 * bytes, as a peer would send them.
 *
 * Each input is read as a stream of frames three times: all at once, in chunks whose
 * sizes come from a PRNG seeded by the input (so the fuzzer explores splits too), and
 * all at once by a reader whose maximum frame is 256 bytes. The first two must give
 * exactly the same messages and the same final result: splitting must not matter. Every
 * message the reader returns must re-pack (wire_pack), and the re-packed frame must
 * read back to the same bytes. The input is also unpacked directly (no canonical-form
 * check, no memory budget) and validated: wire_validate must not crash on anything
 * protobuf-c accepts, and what it accepts must pack. ASan/UBSan/LeakSanitizer watch.
 * fuzz/seed.sh seeds it with one packed frame per message kind (test_wire --write-seeds).
 */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* What reading a stream gave: the re-packed messages, concatenated, and the result
 * that ended it. */
typedef struct outcome {
    uint8_t *bytes;
    size_t len, count;
    int last;
} outcome;

static void add(outcome *o, const Excam__Envelope *m)
{
    uint8_t *p = NULL, *grown;
    size_t n = 0;
    Excam__Envelope *back = NULL;
    wire_reader r;
    size_t taken;

    if (wire_pack(m, &p, &n) != WIRE_OK)
        abort(); /* a message the reader accepted must be sendable */
    /* ... and read back as itself. */
    wire_reader_init(&r, 0);
    if (wire_reader_feed(&r, p, n, &taken) != WIRE_OK || taken != n ||
        wire_next(&r, &back, NULL, 0) != WIRE_OK)
        abort();
    {
        uint8_t *q = NULL;
        size_t qn = 0;
        if (wire_pack(back, &q, &qn) != WIRE_OK || qn != n || memcmp(p, q, n))
            abort();
        free(q);
    }
    wire_free(back);
    wire_reader_free(&r);
    if (!(grown = realloc(o->bytes, o->len + n)))
        abort();
    memcpy(grown + o->len, p, n);
    o->bytes = grown;
    o->len += n;
    o->count++;
    free(p);
}

static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Read data as a stream; chunks of random sizes (1..64, or 1..4096) if seed != 0. */
static void read_stream(const uint8_t *data, size_t size, uint64_t seed, size_t max_frame,
                        outcome *o)
{
    wire_reader r;
    Excam__Envelope *m;
    size_t pos = 0;
    char why[256];
    int rc = WIRE_AGAIN;

    memset(o, 0, sizeof(*o));
    wire_reader_init(&r, max_frame);
    while (pos < size) {
        size_t want = size - pos, taken;
        int progress;
        if (seed) {
            size_t limit = next_random(&seed) & 1 ? 64 : 4096;
            want = 1 + (size_t)(next_random(&seed) % limit);
            if (want > size - pos)
                want = size - pos;
        }
        rc = wire_reader_feed(&r, data + pos, want, &taken);
        pos += taken;
        progress = taken > 0;
        /* Malformed frames are consumed and the reader stays in sync: go on past them,
         * as a lenient caller could. */
        while (rc == WIRE_OK || rc == WIRE_EMALFORMED) {
            rc = wire_next(&r, &m, why, sizeof(why));
            if (rc == WIRE_OK || rc == WIRE_EMALFORMED)
                progress = 1;
            if (rc == WIRE_OK) {
                add(o, m);
                wire_free(m);
            }
        }
        if (rc != WIRE_AGAIN)
            break;
        if (!progress)
            abort(); /* the reader neither took bytes nor gave a frame */
    }
    if (rc == WIRE_AGAIN) {
        wire_reader_eof(&r);
        while ((rc = wire_next(&r, &m, why, sizeof(why))) == WIRE_OK || rc == WIRE_EMALFORMED) {
            if (rc == WIRE_OK) {
                add(o, m);
                wire_free(m);
            }
        }
    }
    if (wire_reader_memory(&r) > WIRE_HEADER_BYTES + r.max_frame)
        abort(); /* the buffer never exceeds the frame in progress */
    if (rc != WIRE_EOF && rc != WIRE_ETRUNC && rc != WIRE_ETOOBIG && rc != WIRE_ENOMEM)
        abort();
    o->last = rc;
    wire_reader_free(&r);
}

/* Unpack the bytes as one Envelope, without the reader's checks: whatever protobuf-c
 * accepts, wire_validate must survive, and what it accepts must pack. */
static void validate_raw(const uint8_t *data, size_t size)
{
    Excam__Envelope *m = excam__envelope__unpack(NULL, size, data);
    char why[256];
    if (!m)
        return;
    if (wire_validate(m, why, sizeof(why)) == WIRE_OK) {
        uint8_t *p = NULL;
        size_t n = 0;
        int rc = wire_pack(m, &p, &n);
        if (rc != WIRE_OK && rc != WIRE_ETOOBIG)
            abort();
        free(p);
    } else if (!why[0]) {
        abort(); /* a rejection always says why */
    }
    excam__envelope__free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    outcome whole, split, small;
    uint64_t seed = 0x9e3779b97f4a7c15u;

    for (size_t i = 0; i < size; i++)
        seed = (seed ^ data[i]) * 0x100000001b3u;
    read_stream(data, size, 0, 0, &whole);
    read_stream(data, size, seed | 1, 0, &split);
    if (whole.last != split.last || whole.count != split.count || whole.len != split.len ||
        (whole.len && memcmp(whole.bytes, split.bytes, whole.len)))
        abort(); /* the split changed what was read */
    read_stream(data, size, 0, 256, &small);
    if (small.count > whole.count)
        abort(); /* a smaller maximum can only refuse more */
    free(whole.bytes);
    free(split.bytes);
    free(small.bytes);
    if (size > WIRE_HEADER_BYTES)
        validate_raw(data + WIRE_HEADER_BYTES, size - WIRE_HEADER_BYTES);
    return 0;
}
