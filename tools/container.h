/*
 * The output container of `excam encode`: IVF (libvpx's simple frame container, the
 * default) or WebM (webm.h). The kind comes from the output's name (.webm or .mkv:
 * WebM) unless --webm / --ivf say otherwise.
 */
#ifndef EXCAM_TOOLS_CONTAINER_H
#define EXCAM_TOOLS_CONTAINER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ivf.h"
#include "webm.h"

typedef enum { CONTAINER_IVF, CONTAINER_WEBM } container_kind;

/* WebM for a name ending in .webm or .mkv (any case), IVF otherwise (and for "-"). */
container_kind container_from_name(const char *path);

typedef struct container_writer {
    container_kind kind;
    ivf_writer ivf;
    webm_writer *webm;
    char err[256]; /* why the last call failed */
} container_writer;

/* Start writing frames of width x height lasting scale/rate s each into f. 0, or -1
 * with w->err set. */
int container_start(container_writer *w, container_kind kind, FILE *f, int width, int height,
                    uint32_t rate, uint32_t scale);
/* One frame; pts counts frames. 0 or -1 (w->err). */
int container_write(container_writer *w, const uint8_t *data, size_t len, uint64_t pts);
/* Finish (IVF: the frame count; WebM: Cues, Duration) and flush. 0 or -1 (w->err). */
int container_finish(container_writer *w);
/* Release what the writer holds, finished or not (the file itself is the caller's). */
void container_free(container_writer *w);

#endif /* EXCAM_TOOLS_CONTAINER_H */
