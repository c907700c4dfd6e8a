/* Rate control; see ratectl.h. */
#include "ratectl.h"

#include <math.h>

/* vp8_cx_iface.c q_trans. */
static const int q_trans[64] = {
    0,  1,  2,  3,  4,  5,  7,  8,  9,  10, 12, 13, 15, 17, 18, 19,
    20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 33, 35, 37, 39, 41,
    43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 64, 67, 70, 73, 76, 79,
    82, 85, 88, 91, 94, 97, 100, 103, 106, 109, 112, 115, 118, 121, 124, 127,
};

int ratectl_index(int q63) { return q_trans[q63 < 0 ? 0 : q63 > 63 ? 63 : q63]; }

void ratectl_init(ratectl *rc)
{
    int lo = ratectl_index(rc->min_q), hi = ratectl_index(rc->max_q);
    double start = rc->mode == RC_Q || rc->mode == RC_CQ ? ratectl_index(rc->cq) : (lo + hi) / 2.0;
    rc->qf = start;
    rc->buffer_bits = 0;
    rc->frames = 0;
}

void ratectl_start(ratectl *rc, int q)
{
    if (rc->mode == RC_VBR || rc->mode == RC_CBR) rc->qf = q;
}

static int clamp_index(const ratectl *rc, double q)
{
    int lo = ratectl_index(rc->min_q), hi = ratectl_index(rc->max_q);
    int v = (int)lround(q);
    return v < lo ? lo : v > hi ? hi : v;
}

int ratectl_next_q(ratectl *rc, int key_frame)
{
    if (rc->mode == RC_Q || rc->mode == RC_CQ) {
        int q = ratectl_index(rc->cq);
        /* Key frames are predicted from: spend a little more on them. */
        if (key_frame) q = q * 3 / 4;
        if (rc->mode == RC_CQ && rc->target_kbps > 0 && rc->buffer_bits > 0) {
            /* Over budget: coarser until the account is back in balance. */
            double per_frame = rc->target_kbps * 1000.0 / rc->fps;
            q += (int)(8.0 * log2(1.0 + rc->buffer_bits / (per_frame * 8)));
        }
        return clamp_index(rc, q);
    }
    return clamp_index(rc, key_frame ? rc->qf * 3 / 4 : rc->qf);
}

void ratectl_update(ratectl *rc, int key_frame, size_t bytes)
{
    double per_frame = rc->target_kbps > 0 ? rc->target_kbps * 1000.0 / rc->fps : 0;
    rc->frames++;
    if (per_frame <= 0) return;
    /* Key frames are budgeted as several frames' worth. */
    double budget = key_frame ? per_frame * 4 : per_frame;
    double spent = (double)bytes * 8;
    rc->buffer_bits += spent - budget;
    if (rc->mode == RC_VBR || rc->mode == RC_CBR) {
        /* The quantizer index moves with the log of the overshoot, and with the
         * account's balance measured in frames (a few for cbr, more for vbr). */
        double window = rc->mode == RC_CBR ? 4.0 : 24.0;
        double ratio = spent / budget;
        double drift = rc->buffer_bits / (per_frame * window);
        rc->qf += 6.0 * log2(ratio > 1e-3 ? ratio : 1e-3) * 0.5 + drift;
        if (rc->qf < 0) rc->qf = 0;
        if (rc->qf > 127) rc->qf = 127;
    }
}
