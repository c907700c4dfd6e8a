/*
 * Frames on a connection between the coordinator, workers and clients.
 *
 * A frame is a 4-byte big-endian length L, then L bytes: one packed Excam__Envelope
 * (proto/excam.proto). L is at most a hard maximum (WIRE_MAX_FRAME by default, a
 * parameter of each reader): bulk data goes through blob storage, never through frames.
 *
 * Written for a nonblocking event loop with many mostly idle connections:
 *  - a wire_reader is a small struct (embed it in the connection) that takes bytes as
 *    they arrive, at most one read() at a time, and never holds more than the frame in
 *    progress (plus, for small frames, what fits in its inline buffer);
 *  - it holds no heap memory while idle or between small frames; a large frame's buffer
 *    grows by doubling as its bytes arrive (so a peer that announces 1 MiB and sends
 *    1 KiB holds 4 KiB, not 1 MiB), and is freed as soon as the frame is consumed;
 *  - every message it returns has been unpacked with a memory budget and checked by
 *    wire_validate, so a hostile peer gets a clean error (log it, drop the connection)
 *    and the caller only ever sees well-formed messages.
 */
#ifndef EXCAM_PROTO_WIRE_H
#define EXCAM_PROTO_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/excam.pb-c.h"

/* The protocol version sent in Hello and HelloAck (see proto/excam.proto). */
#define WIRE_PROTOCOL_VERSION 1u

#define WIRE_HEADER_BYTES 4u          /* the big-endian length prefix */
#define WIRE_MAX_FRAME (1u << 20)     /* default hard maximum of L: 1 MiB */
#define WIRE_INLINE_BYTES 512u        /* a reader's built-in buffer: most messages fit */
#define WIRE_HASH_BYTES 32u           /* BLAKE2b-256 */

/* Limits enforced by wire_validate (the .proto comments quote them). */
#define WIRE_MAX_NAME 64u             /* names: workers, clients, jobs, blobs */
#define WIRE_MAX_HOST 255u            /* host names and host:port addresses */
#define WIRE_MAX_TEXT 1024u           /* human-readable messages, storage URIs */
#define WIRE_MAX_BLOBS 64u            /* inputs/outputs of one task or job */
#define WIRE_MAX_SLOTS 1024u          /* tasks one worker runs at once */
#define WIRE_MAX_STAGES 8u            /* StageProgress entries of one JobStatus */
#define WIRE_MAX_LIST 256u            /* jobs in one JobListReply */
#define WIRE_MAX_ATTEMPT 65535u       /* retries and speculative copies of a task */
#define WIRE_MAX_CHUNK_FRAMES 65536u  /* frames in one chunk (ExCamera's n) */
#define WIRE_MAX_JOB_FRAMES 10000000u /* frames in one job */
#define WIRE_MAX_DIMENSION 16383u     /* VP8's 14-bit picture width and height */

/* Return codes. WIRE_OK, WIRE_AGAIN and WIRE_EOF are states; the negative ones are
 * errors after which the connection should be dropped (WIRE_EMALFORMED leaves the
 * reader in sync at the next frame, so a lenient caller may go on). */
enum {
    WIRE_OK = 0,          /* a message, or progress */
    WIRE_AGAIN = 1,       /* need more bytes (nonblocking read: nothing there yet) */
    WIRE_EOF = 2,         /* the peer closed the connection between frames */
    WIRE_ETOOBIG = -1,    /* a length prefix above the maximum (the reader stays broken) */
    WIRE_EMALFORMED = -2, /* not a packed Envelope, or it failed validation */
    WIRE_ETRUNC = -3,     /* the peer closed the connection inside a frame */
    WIRE_ENOMEM = -4,     /* out of memory */
    WIRE_EIO = -5,        /* read() failed (errno tells why) */
    WIRE_EINVAL = -6,     /* bad arguments, or wire_pack of an invalid message */
    WIRE_ENOSPC = -7,     /* wire_pack_to: the buffer is too small */
};

/* A readable name of a return code ("frame too big", ...), never NULL. */
const char *wire_strerror(int err);

/* The name of the body an envelope carries ("hello", "task_result", ...; "unset" when
 * none), for log lines such as "unexpected task_result before hello". */
const char *wire_body_name(const Excam__Envelope *m);

/*
 * Check every field of m against the rules in proto/excam.proto: exactly one body,
 * required submessages present, hashes exactly 32 bytes, text valid UTF-8 without
 * control characters and within its length limit, enums known (and not UNSPECIFIED),
 * repeated fields within their limits (names unique), numbers in range, and the rules
 * that tie fields together (a failed TaskResult has a message and no outputs, ...).
 * Returns WIRE_OK, or WIRE_EMALFORMED with the first problem in why (e.g.
 * "task_assign.inputs[2].hash: 31 bytes, not 32"); why may be NULL.
 */
int wire_validate(const Excam__Envelope *m, char *why, size_t whylen);

/*
 * Pack m (validated first) as one frame. wire_pack allocates *out (free() it);
 * wire_pack_to writes into buf[0..cap) (e.g. a connection's output buffer) and sets
 * *len to the frame's length, or on WIRE_ENOSPC to the length it needs.
 * Errors: WIRE_EINVAL (m is invalid: wire_validate says why), WIRE_ETOOBIG (the frame
 * would exceed WIRE_MAX_FRAME), WIRE_ENOSPC, WIRE_ENOMEM.
 */
int wire_pack(const Excam__Envelope *m, uint8_t **out, size_t *len);
int wire_pack_to(const Excam__Envelope *m, uint8_t *buf, size_t cap, size_t *len);

/* The incremental reader. Treat the fields as private; it may be copied (no pointers
 * into itself) but only one copy used. */
typedef struct wire_reader {
    uint8_t *heap;        /* the buffer while a frame too big for `small` arrives, else NULL */
    size_t heap_cap;      /* its size: <= WIRE_HEADER_BYTES + max_frame */
    size_t start, end;    /* unconsumed bytes: [start, end) of the current buffer */
    size_t max_frame;     /* the hard maximum of a frame's length prefix */
    int eof;              /* the peer closed the connection */
    int broken;           /* sticky error (WIRE_ETOOBIG), or 0 */
    uint8_t small[WIRE_INLINE_BYTES];
} wire_reader;

/* Start reading a stream whose frames are at most max_frame bytes (0: WIRE_MAX_FRAME;
 * at most 2^30). Allocates nothing. */
void wire_reader_init(wire_reader *r, size_t max_frame);

/* Free what the reader holds (it can be initialized again). */
void wire_reader_free(wire_reader *r);

/* Heap bytes the reader holds now (0 while idle or between small frames). */
size_t wire_reader_memory(const wire_reader *r);

/*
 * Take bytes that arrived from elsewhere (a TLS layer, a test): copies as many of
 * data[0..len) as the reader can hold now into it and sets *taken. Fewer than len are
 * taken when a complete frame is waiting (call wire_next, then feed the rest) or the
 * stream is broken. Returns WIRE_OK, WIRE_ETOOBIG or WIRE_ENOMEM.
 */
int wire_reader_feed(wire_reader *r, const void *data, size_t len, size_t *taken);

/*
 * One read() from fd (nonblocking or not) into the reader, of at most what the
 * current frame still needs (or the free inline space). Returns WIRE_OK when bytes
 * arrived, when the peer closed the connection, or when a complete frame is already
 * waiting (nothing read): in each case call wire_next until it stops returning
 * WIRE_OK. WIRE_AGAIN: nothing to read now (EAGAIN/EWOULDBLOCK). Errors: WIRE_EIO
 * (errno is read()'s), WIRE_ETOOBIG, WIRE_ENOMEM.
 */
int wire_reader_read(wire_reader *r, int fd);

/*
 * The same with the read done by fn (a TLS connection: proto/transport.h): fn reads at
 * most len bytes into buf and returns how many (> 0), 0 at the end of the stream, or -1
 * with errno (EAGAIN or EWOULDBLOCK: nothing now, WIRE_AGAIN; others: WIRE_EIO).
 */
typedef ssize_t (*wire_read_fn)(void *ctx, void *buf, size_t len);
int wire_reader_read_from(wire_reader *r, wire_read_fn fn, void *ctx);

/* The peer closed the connection (for callers that use wire_reader_feed). */
void wire_reader_eof(wire_reader *r);

/*
 * The next message, if a whole frame has arrived: WIRE_OK and *msg (free it with
 * wire_free), checked by wire_validate. Otherwise *msg is NULL and the result is
 * WIRE_AGAIN (feed or read more), WIRE_EOF (closed cleanly between frames),
 * WIRE_ETRUNC (closed inside a frame), WIRE_ETOOBIG (length prefix above the maximum;
 * nothing is allocated for it), WIRE_EMALFORMED (the frame is consumed: not a packed
 * Envelope, not in canonical form, more memory than the frame's size justifies, or
 * invalid) or WIRE_ENOMEM. why (may be NULL) gets the reason of an error, for the log.
 */
int wire_next(wire_reader *r, Excam__Envelope **msg, char *why, size_t whylen);

/* Free a message from wire_next (NULL is fine). Not for messages built by hand. */
void wire_free(Excam__Envelope *m);

#endif /* EXCAM_PROTO_WIRE_H */
