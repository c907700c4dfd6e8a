/*
 * Rate control: which quantizer each frame gets, with vpxenc's modes and spellings.
 *   q    constant quality: every frame at --cq-level (key frames a little finer);
 *   cq   the same, but frames may not exceed the --target-bitrate budget by much;
 *   vbr, cbr  one pass towards --target-bitrate: the quantizer follows the gap
 *        between bits spent and bits budgeted (cbr reacts faster, with a smaller
 *        buffer).
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
} ratectl;

/* libvpx's q_trans: vpxenc's 0..63 quantizer scale to VP8 indices 0..127. */
int ratectl_index(int q63);

void ratectl_init(ratectl *rc);
/* vbr, cbr: start from quantizer index q (a first pass's pick) rather than the middle. */
void ratectl_start(ratectl *rc, int q);
/* The quantizer index (0..127) for the next frame. */
int ratectl_next_q(ratectl *rc, int key_frame);
/* Report the size of the frame just encoded. */
void ratectl_update(ratectl *rc, int key_frame, size_t bytes);

#endif
