/*
 * Framing (proto/wire.h): packing envelopes into length-prefixed frames, and the
 * incremental reader that turns arriving bytes back into validated envelopes.
 */
#include "wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A large frame's buffer starts at this size and doubles as its bytes arrive. */
#define GROW_FIRST 4096u

/* Unpacking may allocate this many times the frame's size, plus UNPACK_SLACK. Valid
 * messages need far less (the worst, a JobListReply of 256 small JobStatus items,
 * about 10x); a frame of empty submessages would need ~60x: that is an attack. */
#define UNPACK_FACTOR 16u
#define UNPACK_SLACK (64u << 10)

const char *wire_strerror(int err)
{
    switch (err) {
    case WIRE_OK: return "ok";
    case WIRE_AGAIN: return "need more bytes";
    case WIRE_EOF: return "connection closed";
    case WIRE_ETOOBIG: return "frame too big";
    case WIRE_EMALFORMED: return "malformed message";
    case WIRE_ETRUNC: return "connection closed inside a frame";
    case WIRE_ENOMEM: return "out of memory";
    case WIRE_EIO: return "read error";
    case WIRE_EINVAL: return "invalid argument or message";
    case WIRE_ENOSPC: return "buffer too small";
    default: return "unknown wire error";
    }
}

const char *wire_body_name(const Excam__Envelope *m)
{
    const ProtobufCFieldDescriptor *f;
    if (!m || m->body_case == EXCAM__ENVELOPE__BODY__NOT_SET)
        return "unset";
    f = protobuf_c_message_descriptor_get_field(&excam__envelope__descriptor,
                                                (unsigned)m->body_case);
    return f ? f->name : "unknown";
}

static int say(char *why, size_t whylen, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int say(char *why, size_t whylen, int err, const char *fmt, ...)
{
    va_list ap;
    if (why && whylen) {
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* ------------------------------------------------------------------ packing */

int wire_pack_to(const Excam__Envelope *m, uint8_t *buf, size_t cap, size_t *len)
{
    size_t body;
    if (!m || !len || (!buf && cap))
        return WIRE_EINVAL;
    *len = 0;
    if (wire_validate(m, NULL, 0) != WIRE_OK)
        return WIRE_EINVAL;
    body = excam__envelope__get_packed_size(m);
    if (body > WIRE_MAX_FRAME)
        return WIRE_ETOOBIG;
    *len = WIRE_HEADER_BYTES + body;
    if (cap < *len)
        return WIRE_ENOSPC;
    buf[0] = (uint8_t)(body >> 24);
    buf[1] = (uint8_t)(body >> 16);
    buf[2] = (uint8_t)(body >> 8);
    buf[3] = (uint8_t)body;
    if (excam__envelope__pack(m, buf + WIRE_HEADER_BYTES) != body)
        return WIRE_EINVAL; /* cannot happen with a validated message; never send half */
    return WIRE_OK;
}

int wire_pack(const Excam__Envelope *m, uint8_t **out, size_t *len)
{
    size_t need = 0;
    int err;
    if (!out || !len)
        return WIRE_EINVAL;
    *out = NULL;
    *len = 0;
    err = wire_pack_to(m, NULL, 0, &need);
    if (err != WIRE_ENOSPC)
        return err;
    if (!(*out = malloc(need)))
        return WIRE_ENOMEM;
    if ((err = wire_pack_to(m, *out, need, len)) != WIRE_OK) {
        free(*out);
        *out = NULL;
        *len = 0;
    }
    return err;
}

/* ------------------------------------------------------------------ reading */

void wire_reader_init(wire_reader *r, size_t max_frame)
{
    memset(r, 0, offsetof(wire_reader, small));
    /* At most 2^30: buffer sizes stay far from size_t overflow even on 32-bit systems. */
    r->max_frame = max_frame == 0 ? WIRE_MAX_FRAME
                                  : max_frame > (1u << 30) ? (size_t)1 << 30 : max_frame;
}

void wire_reader_free(wire_reader *r)
{
    free(r->heap);
    r->heap = NULL;
    r->heap_cap = r->start = r->end = 0;
}

size_t wire_reader_memory(const wire_reader *r) { return r->heap ? r->heap_cap : 0; }

void wire_reader_eof(wire_reader *r) { r->eof = 1; }

static uint8_t *buffer(wire_reader *r) { return r->heap ? r->heap : r->small; }

static size_t capacity(const wire_reader *r) { return r->heap ? r->heap_cap : sizeof(r->small); }

/* The length prefix of the frame at start, if all four bytes are there. */
static int frame_length(wire_reader *r, size_t *len)
{
    const uint8_t *p = buffer(r) + r->start;
    if (r->end - r->start < WIRE_HEADER_BYTES)
        return 0;
    *len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    return 1;
}

/* Move the unconsumed bytes to the front of a buffer: `small` (cap 0; they must fit)
 * or a heap buffer of cap bytes (cap >= those bytes and >= the current heap buffer). */
static int rebuffer(wire_reader *r, size_t cap)
{
    size_t n = r->end - r->start;
    uint8_t *to;
    if (cap == 0) {
        memmove(r->small, buffer(r) + r->start, n);
        free(r->heap);
        r->heap = NULL;
    } else if (r->heap) {
        if (!(to = realloc(r->heap, cap)))
            return WIRE_ENOMEM;
        memmove(to, to + r->start, n);
        r->heap = to;
    } else {
        if (!(to = malloc(cap)))
            return WIRE_ENOMEM;
        memcpy(to, r->small + r->start, n);
        r->heap = to;
    }
    r->heap_cap = cap;
    r->start = 0;
    r->end = n;
    return WIRE_OK;
}

/*
 * Make room for the next bytes: *space gets how many may be written at buffer()+end,
 * 0 when a complete frame fills the buffer. A frame that fits the inline buffer is
 * read there (with whatever follows it, up to the buffer's end); a larger one goes to
 * a heap buffer that doubles whenever it is full, up to the frame's size exactly.
 */
static int make_room(wire_reader *r, size_t *space)
{
    size_t len, need = WIRE_HEADER_BYTES, have;
    int err = WIRE_OK;
    *space = 0;
    if (r->broken)
        return r->broken;
    if (r->start == r->end)
        r->start = r->end = 0;
    have = r->end - r->start;
    if (frame_length(r, &len)) {
        if (len > r->max_frame)
            return r->broken = WIRE_ETOOBIG;
        need += len;
    }
    if (have < need) {
        if (!r->heap && need <= sizeof(r->small)) {
            if (need > sizeof(r->small) - r->start)
                err = rebuffer(r, 0); /* slide the partial frame to the front */
        } else if (!r->heap || r->end == r->heap_cap) {
            size_t cap = r->heap ? 2 * r->heap_cap : GROW_FIRST;
            err = rebuffer(r, cap < need ? cap : need);
        }
    }
    if (err == WIRE_OK)
        *space = capacity(r) - r->end;
    return err;
}

int wire_reader_feed(wire_reader *r, const void *data, size_t len, size_t *taken)
{
    const uint8_t *p = data;
    size_t space, n;
    int err = WIRE_OK;
    *taken = 0;
    while (len > 0) {
        if ((err = make_room(r, &space)) != WIRE_OK || space == 0)
            break;
        n = len < space ? len : space;
        memcpy(buffer(r) + r->end, p, n);
        r->end += n;
        p += n;
        len -= n;
        *taken += n;
    }
    return err;
}

static ssize_t read_fd(void *ctx, void *buf, size_t len)
{
    ssize_t got;
    do
        got = read(*(int *)ctx, buf, len);
    while (got < 0 && errno == EINTR);
    return got;
}

int wire_reader_read(wire_reader *r, int fd) { return wire_reader_read_from(r, read_fd, &fd); }

int wire_reader_read_from(wire_reader *r, wire_read_fn fn, void *ctx)
{
    size_t space;
    ssize_t got;
    int err = make_room(r, &space);
    if (err != WIRE_OK)
        return err;
    if (space == 0 || r->eof)
        return WIRE_OK;
    got = fn(ctx, buffer(r) + r->end, space);
    if (got < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? WIRE_AGAIN : WIRE_EIO;
    if (got == 0)
        r->eof = 1;
    r->end += (size_t)got;
    return WIRE_OK;
}

/* After a frame is consumed: hand back a large frame's buffer as soon as it is empty,
 * so that idle connections hold no heap memory. */
static void consumed(wire_reader *r, size_t n)
{
    r->start += n;
    if (r->start == r->end)
        r->start = r->end = 0;
    if (r->heap && r->end - r->start <= sizeof(r->small))
        rebuffer(r, 0); /* cannot fail: no allocation */
}

/* A protobuf-c allocator that refuses to allocate past a budget. */
typedef struct budget {
    size_t left;
    int over, nomem;
} budget;

static void *budget_alloc(void *data, size_t size)
{
    budget *b = data;
    void *p;
    if (size > b->left) {
        b->over = 1;
        return NULL;
    }
    b->left -= size;
    if (!(p = malloc(size ? size : 1)))
        b->nomem = 1;
    return p;
}

/* Messages are freed with protobuf-c's default allocator, which is free() too. */
static void budget_free(void *data, void *p) { free(p); }

int wire_next(wire_reader *r, Excam__Envelope **msg, char *why, size_t whylen)
{
    size_t len, have = r->end - r->start;
    budget b;
    ProtobufCAllocator alloc = {budget_alloc, budget_free, &b};
    Excam__Envelope *m;
    int err;

    if (!msg)
        return WIRE_EINVAL;
    *msg = NULL;
    /* A broken reader still holds the oversized prefix: it is reported again below. */
    if (!frame_length(r, &len)) {
        if (!r->eof)
            return WIRE_AGAIN;
        if (have == 0)
            return WIRE_EOF;
        return say(why, whylen, WIRE_ETRUNC, "closed after %zu of 4 length bytes", have);
    }
    if (len > r->max_frame) {
        r->broken = WIRE_ETOOBIG;
        return say(why, whylen, WIRE_ETOOBIG, "length prefix %zu > maximum %zu", len,
                   r->max_frame);
    }
    if (have < WIRE_HEADER_BYTES + len) {
        if (!r->eof)
            return WIRE_AGAIN;
        return say(why, whylen, WIRE_ETRUNC, "closed after %zu of %zu frame bytes", have,
                   WIRE_HEADER_BYTES + len);
    }

    b.left = UNPACK_FACTOR * len + UNPACK_SLACK;
    b.over = b.nomem = 0;
    m = excam__envelope__unpack(&alloc, len, buffer(r) + r->start + WIRE_HEADER_BYTES);
    consumed(r, WIRE_HEADER_BYTES + len);
    if (!m) {
        if (b.nomem)
            return say(why, whylen, WIRE_ENOMEM, "out of memory unpacking %zu bytes", len);
        if (b.over)
            return say(why, whylen, WIRE_EMALFORMED,
                       "a %zu-byte frame needing more than %zu bytes of memory", len,
                       UNPACK_FACTOR * len + UNPACK_SLACK);
        return say(why, whylen, WIRE_EMALFORMED, "%zu bytes that are no Envelope", len);
    }
    /* protobuf-c keeps a string only up to an embedded NUL, merges repeated
     * submessages and accepts overlong varints: re-packing to a different size shows
     * any of that, and we accept only what our own packer writes. */
    if (excam__envelope__get_packed_size(m) != len) {
        err = say(why, whylen, WIRE_EMALFORMED, "%s: not in canonical form (%zu bytes, %zu re-packed)",
                  wire_body_name(m), len, excam__envelope__get_packed_size(m));
        wire_free(m);
        return err;
    }
    if ((err = wire_validate(m, why, whylen)) != WIRE_OK) {
        wire_free(m);
        return err;
    }
    *msg = m;
    return WIRE_OK;
}

void wire_free(Excam__Envelope *m)
{
    if (m)
        excam__envelope__free_unpacked(m, NULL);
}
