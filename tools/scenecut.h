/*
 * Scene cuts, for key-frame placement: a frame whose luma differs from the previous
 * source frame far more than frames have been differing lately starts a new scene,
 * and a key frame there costs less than an inter frame that predicts from nothing.
 */
#ifndef EXCAM_TOOLS_SCENECUT_H
#define EXCAM_TOOLS_SCENECUT_H

#include "excam/vp8.h"

typedef struct scenecut {
    excam_image *prev; /* the previous source picture (a copy) */
    double avg;        /* running mean absolute difference between consecutive frames */
    int frames;        /* pictures seen */
} scenecut;

/* 0, or -1 when out of memory. */
int scenecut_init(scenecut *sc, int width, int height);
/* 1 if img starts a new scene after the previous picture given; remembers img. */
int scenecut_check(scenecut *sc, const excam_image *img);
void scenecut_free(scenecut *sc);

#endif
