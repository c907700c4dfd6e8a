/*
 * WebM (Matroska with VP8) reading and writing, through libavformat: a well-kept muxer
 * (the one ffmpeg uses) that writes what browsers, mkvinfo and ffprobe expect (a
 * SeekHead, Cues, the Duration and the frame rate) rather than a hand-written one.
 * vpxenc uses libwebm, a C++ library; libavformat is C and already on every machine
 * that has ffmpeg, which the tests need anyway.
 *
 * The writer goes through the caller's FILE (so outfile.c's write-then-rename keeps
 * working): seekable files get Cues and the Duration, a pipe gets a live stream
 * without them. The reader takes the bytes already read from the FILE to tell the
 * container (its signature), then the rest. Messages go into err; nothing is printed.
 */
#ifndef EXCAM_TOOLS_WEBM_H
#define EXCAM_TOOLS_WEBM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The EBML signature that starts every WebM/Matroska file. */
#define WEBM_MAGIC "\x1a\x45\xdf\xa3"

typedef struct webm_writer webm_writer;

/* Start a WebM file with one VP8 track of width x height; a frame lasts scale/rate s.
 * 0, or -1 with the reason in err. */
int webm_writer_start(webm_writer **out, FILE *f, int width, int height, uint32_t rate,
                      uint32_t scale, char *err, size_t errlen);
/* One frame; pts counts frames (scale/rate s each). Hidden frames (alt-refs, which the
 * VP8-in-WebM convention stores only with a visible one) are refused. 0 or -1. */
int webm_write_frame(webm_writer *w, const uint8_t *data, size_t len, uint64_t pts, char *err,
                     size_t errlen);
/* Write the Cues and the Duration (seekable files) and flush. 0 or -1. Then free. */
int webm_writer_finish(webm_writer *w, char *err, size_t errlen);
void webm_writer_free(webm_writer *w);

typedef struct webm_reader webm_reader;

/* Open a WebM stream whose first prefix_len bytes (holding WEBM_MAGIC) were already
 * read from f. Sets the track's size, frame duration (scale over rate s) and fourcc ("VP80",
 * "VP90" or "????": the decoder says what it can decode). 0 or -1 with err. */
int webm_reader_open(webm_reader **out, FILE *f, const uint8_t *prefix, size_t prefix_len,
                     int *width, int *height, uint32_t *rate, uint32_t *scale,
                     char fourcc[5], char *err, size_t errlen);
/* The next frame of the video track: 1 with *data and *len (valid until the next call) and
 * *pts in frames (may be NULL); 0 at the end; -1 with err on a corrupt or unreadable
 * stream. */
int webm_read_frame(webm_reader *r, const uint8_t **data, size_t *len, uint64_t *pts,
                    char *err, size_t errlen);
void webm_reader_close(webm_reader *r);

#endif /* EXCAM_TOOLS_WEBM_H */
