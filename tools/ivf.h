/*
 * IVF container (the simple frame container of libvpx's tools): a 32-byte file
 * header ("DKIF", version, header size, fourcc, width, height, rate, scale, frame
 * count) and frames, each a 12-byte header (u32 size, u64 timestamp, little-endian)
 * followed by the data. The reader never trusts the header's frame count and does
 * not reject a stream for its fourcc (the decoder decides what it can decode).
 *
 * The reader also reads WebM (webm.h), told by its signature, into the same fields:
 * every command that reads IVF reads WebM too.
 */
#ifndef EXCAM_TOOLS_IVF_H
#define EXCAM_TOOLS_IVF_H

#include <stdint.h>
#include <stdio.h>

#include "webm.h"

/* Frames larger than this are treated as corrupt (no VP8 frame comes close). */
#define IVF_MAX_FRAME_SIZE (256u << 20)

typedef struct ivf_reader {
    FILE *f;
    int owns_file;
    const char *name;     /* for messages */
    webm_reader *webm;      /* a WebM file, read through webm.c; NULL for IVF */
    const char *container;  /* "IVF" or "WebM" */
    char fourcc[5];
    int width, height;
    uint32_t rate, scale;
    uint32_t header_frames; /* what the header claims; informative only */
    unsigned frames_read;   /* frames returned so far */
    uint8_t *buf;
    size_t cap;
    char err[256];          /* set when a call fails */
} ivf_reader;

/* Open `path` ("-" = stdin) and read its header. 0 on success; on failure -1 with
 * r->err set ("not an IVF or WebM file", "truncated file header", or the system error). */
int ivf_open(ivf_reader *r, const char *path);
/* Same, on an open stream (not closed by ivf_close). */
int ivf_open_stream(ivf_reader *r, FILE *f, const char *name);

/* Read the next frame: 1 and *data, *len (valid until the next call) on success,
 * 0 at the clean end of the file, -1 with r->err set on a truncated or oversized frame
 * or a read error. `pts` may be NULL. */
int ivf_read_frame(ivf_reader *r, const uint8_t **data, size_t *len, uint64_t *pts);

void ivf_close(ivf_reader *r);

/* ---------------------------------------------------------------- writing */

typedef struct ivf_writer {
    FILE *f;
    uint32_t frames;
    int seekable;
} ivf_writer;

/* Write a file header with a provisional frame count (fixed by ivf_writer_finish). */
int ivf_writer_start(ivf_writer *w, FILE *f, const char fourcc[4], int width, int height,
                     uint32_t rate, uint32_t scale);
int ivf_write_frame(ivf_writer *w, const uint8_t *data, size_t len, uint64_t pts);
/* Rewrite the frame count in the header when the stream is seekable; flushes. */
int ivf_writer_finish(ivf_writer *w);

#endif /* EXCAM_TOOLS_IVF_H */
