/*
 * Alt-ref frames of the serial encoder (--auto-alt-ref): which groups get one, and
 * which frames its temporal filter averages.
 *
 * An alt-ref is a hidden frame (RFC 6386 §9.1 show_frame = 0) made by
 * excam_vp8_temporal_filter from the frames around the last one of a group, coded
 * at a finer quantizer after the group's first frame; the group's frames predict from
 * it. It pays where the picture stays put (a fixed camera: the filter removes the
 * noise, and every frame finds the same background in it) and costs where it moves
 * (the frame it shows is 15 frames away from most of the group). libvpx's first pass
 * makes the same call with its motion statistics; here a group is "still" when most
 * of its last frame's blocks differ from its first's no more than consecutive
 * frames differ (noise, and little of it), at the same place.
 */
#ifndef EXCAM_TOOLS_ALTREF_H
#define EXCAM_TOOLS_ALTREF_H

#include "lookahead.h"

typedef struct arf_plan {
    int pos;     /* the lookahead position of the frame it shows (0 = the group's first) */
    int lo, hi;  /* the frames the filter averages, lookahead positions lo..hi */
} arf_plan;

/* The group starting at lookahead position 0: at most `group` frames, ending before
 * the next key frame (a scene cut, or the frame whose since_key would reach kf_max,
 * since_key being 1 at position 0 after a key frame and counting up). Fills *plan and
 * returns 1 when the group gets an alt-ref averaging up to maxframes (0..15) frames;
 * else zeroes *plan and returns 0. */
int altref_plan(const lookahead *la, unsigned since_key, int kf_max, int group, int maxframes,
                arf_plan *plan);

/* The share (0..1) of 16x16 blocks where a and next differ by noise only (a mean
 * absolute luma difference of at most 6) and a and far at most 1.5 times as much
 * (+1): how much of the picture stays put from a to far. */
double altref_still_share(const excam_image *a, const excam_image *next, const excam_image *far);

#endif
