/*
 * Rate control: which quantizer each frame gets, with vpxenc's modes and spellings.
 *   q    constant quality: every frame at --cq-level (key frames a little finer);
 *   cq   the same, but frames may not exceed the --target-bitrate budget by much;
 *   vbr, cbr  towards --target-bitrate: each frame's quantizer is the one at which
 *        the recent frames' bits, scaled by a power of the quantizer step, would
 *        spend what is left of the budget (cbr looks at fewer frames and pays back
 *        an overshoot sooner).
 * Quantizers on the command line use vpxenc's 0..63 scale (--cq-level, --min-q,
 * --max-q), mapped to VP8's 0..127 indices as libvpx does.
 */
#ifndef EXCAM_TOOLS_RATECTL_H
#define EXCAM_TOOLS_RATECTL_H

#include <stddef.h>

enum { RC_Q, RC_CQ, RC_VBR, RC_CBR };

typedef struct ratectl {
    int mode;
    int cq;              /* 0..63 */
    int min_q, max_q;    /* 0..63 */
    double fps;
    double target_kbps;  /* vbr, cbr, cq cap */
    double qf;           /* the running quantizer index (0..127), vbr/cbr */
    double buffer_bits;  /* bits spent minus bits budgeted so far */
    unsigned frames;
    long total_frames;   /* the frames of the encode when known (else 0): vbr pays
                          * an overshoot back over what is left of them */
    /* vbr, cbr: recent inter frames' bits and their quantizer step to the power
     * -RC_ALPHA, both decaying sums: their ratio K predicts a frame's bits at step s
     * as K s^-RC_ALPHA (golden and alt-ref frames are in the mix they stand for). */
    double k_bits, k_steps;
    int last_q;          /* the last inter frame's index */
    double surprise;     /* log2 of its bits over the model's prediction */
} ratectl;

/* libvpx's q_trans: vpxenc's 0..63 quantizer scale to VP8 indices 0..127. */
int ratectl_index(int q63);

void ratectl_init(ratectl *rc);
/* vbr, cbr: start from quantizer index q (a first pass's pick: its prediction is
 * trusted as a few frames' worth) rather than the middle. */
void ratectl_start(ratectl *rc, int q);
/* The quantizer index (0..127) for the next frame. */
int ratectl_next_q(ratectl *rc, int key_frame);
/* A boosted frame's quantizer index (golden, alt-ref): `steps` indices finer than q,
 * but no finer than the step size divided by max_ratio (RFC 6386 §14.1's AC steps),
 * and not below lo. */
int ratectl_boost(int q, int steps, double max_ratio, int lo);
/* Report the size of the frame just encoded. */
void ratectl_update(ratectl *rc, int key_frame, size_t bytes);

#endif
