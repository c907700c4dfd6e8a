/*
 * YUV4MPEG2 (Y4M), 8-bit 4:2:0: the reader (excam encode's input) and the writer
 * (excam decode's output).
 *
 * The reader trusts nothing in the file: header and FRAME lines have length limits,
 * sizes are bounded, a short frame is an error that says how many bytes were missing,
 * and every error message names the frame it happened in.
 *
 * Accepted: C420, C420jpeg, C420mpeg2, C420paldv or no C tag (all 8-bit 4:2:0; the
 * chroma siting is not used); progressive pictures (Ip, I? or no I tag). Refused, with
 * an error that says how to convert: other colorspaces (C422, C444, Cmono, C420p10...)
 * and interlaced input (It, Ib, Im), as vpxenc refuses them. The F tag is optional
 * (fps 0:0 when absent: the caller picks a default).
 */
#ifndef EXCAM_TOOLS_Y4M_H
#define EXCAM_TOOLS_Y4M_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "excam/vp8.h"

/* VP8 codes 14-bit sizes. */
#define Y4M_MAX_DIM 16383

typedef struct y4m_reader {
    FILE *f;
    int owns_file;          /* close f in y4m_close */
    const char *name;       /* for messages: the path, or "<stdin>" */
    int width, height;
    uint32_t fps_num, fps_den;  /* F tag; 0:0 when absent */
    uint32_t par_num, par_den;  /* A tag; 0:0 when absent or unknown */
    char interlace;         /* I tag: 'p', or '?' when absent (interlaced input is refused) */
    char colorspace[32];    /* C tag as written ("420jpeg" when absent) */
    unsigned frames_read;   /* frames returned by y4m_read_frame so far */
    size_t frame_size;      /* bytes of one frame's planes */
    char err[256];          /* the last error, without the file name */
} y4m_reader;

/* Open PATH ("-" is stdin) and read its header. 0 on success; -1 with r->err set
 * (r needs no y4m_close then). */
int y4m_open(y4m_reader *r, const char *path);
/* The same on an open stream, which y4m_close will not close. */
int y4m_open_stream(y4m_reader *r, FILE *f, const char *name);
/* Read the next frame into img (allocated at r->width x r->height).
 * 1: a frame; 0: clean end of the stream; -1: error (r->err says which frame and why). */
int y4m_read_frame(y4m_reader *r, excam_image *img);
void y4m_close(y4m_reader *r);
/* The frames the file holds in all (read so far and still to come), for progress and
 * ETA: from its size, assuming plain FRAME lines. -1 when it cannot tell (a pipe). */
long y4m_frames_total(const y4m_reader *r);
/* Of those, how many an encode that skips `skip` frames and stops after `limit` (-1: no
 * limit) will read: -1 when it cannot tell. */
long y4m_frames_to_encode(const y4m_reader *r, int skip, int limit);

/* The stream header, as vpxdec writes it (C420jpeg). A zero rate or scale means 30:1. */
int y4m_write_header(FILE *f, int width, int height, uint32_t rate, uint32_t scale);
/* "FRAME\n" and the planes. 0 on success, -1 on a write error. */
int y4m_write_frame(FILE *f, const excam_image *img);

#endif
