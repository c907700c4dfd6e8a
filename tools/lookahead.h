/*
 * Read-ahead of the serial encoder: the next input frames, each with its scene-cut
 * flag, so that the encoder can plan a group of frames before coding its first one
 * (the alt-ref frame is made from frames up to 16 ahead). A pool of `cap` images,
 * reused in turn.
 */
#ifndef EXCAM_TOOLS_LOOKAHEAD_H
#define EXCAM_TOOLS_LOOKAHEAD_H

#include <excam/vp8.h>

#include "scenecut.h"
#include "y4m.h"

typedef struct la_frame {
    excam_image *img;
    int cut;         /* a scene cut before this frame (scenecut.h) */
    unsigned number; /* its number in the input, from 1 */
} la_frame;

typedef struct lookahead {
    y4m_reader *in;
    int skip;        /* input frames to pass over first */
    long limit;      /* frames to deliver at most, -1: all */
    long delivered;  /* frames read into the queue (after the skipped ones) */
    int eof;
    la_frame *q;
    int cap, head, count;
    scenecut sc;
} lookahead;

/* 0, or -1 (out of memory). */
int lookahead_init(lookahead *la, y4m_reader *in, int skip, long limit, int cap);
/* Read until cap frames are queued or the input (or limit) ends. 0, or -1 with the
 * reader's error in la->in->err. */
int lookahead_fill(lookahead *la);
/* The i-th queued frame, 0 = the next to encode; NULL past the end of the queue. */
const la_frame *lookahead_peek(const lookahead *la, int i);
/* Done with the next frame: its image goes back to the pool. */
void lookahead_pop(lookahead *la);
void lookahead_free(lookahead *la);

#endif
