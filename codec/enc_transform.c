/*
 * Forward transforms of the encoder: the 4x4 DCT and the Walsh-Hadamard transform of
 * the luma DCs, the approximate inverses of RFC 6386 §14.3 and §14.4. The bitstream
 * does not fix them; these are libvpx's (vp8_short_fdct4x4_c, vp8_short_walsh4x4_c),
 * scaled so that the decoder's inverses undo them. The DCT itself is a DSP kernel
 * (vp8_dsp.fdct4x4, C reference in dsp_enc.c); the Walsh-Hadamard transform is here.
 */
#include "enc.h"

void vp8_fwht4x4(const int16_t in[16], int16_t out[16])
{
    int tmp[16];
    for (int i = 0; i < 4; i++) {
        const int16_t *ip = in + 4 * i;
        int a1 = (ip[0] + ip[2]) * 4, d1 = (ip[1] + ip[3]) * 4;
        int c1 = (ip[1] - ip[3]) * 4, b1 = (ip[0] - ip[2]) * 4;
        tmp[4 * i + 0] = a1 + d1 + (a1 != 0);
        tmp[4 * i + 1] = b1 + c1;
        tmp[4 * i + 2] = b1 - c1;
        tmp[4 * i + 3] = a1 - d1;
    }
    for (int i = 0; i < 4; i++) {
        int a1 = tmp[i] + tmp[8 + i], d1 = tmp[4 + i] + tmp[12 + i];
        int c1 = tmp[4 + i] - tmp[12 + i], b1 = tmp[i] - tmp[8 + i];
        int a2 = a1 + d1, b2 = b1 + c1, c2 = b1 - c1, d2 = a1 - d1;
        a2 += a2 < 0;
        b2 += b2 < 0;
        c2 += c2 < 0;
        d2 += d2 < 0;
        out[i] = (int16_t)((a2 + 3) >> 3);
        out[4 + i] = (int16_t)((b2 + 3) >> 3);
        out[8 + i] = (int16_t)((c2 + 3) >> 3);
        out[12 + i] = (int16_t)((d2 + 3) >> 3);
    }
}
