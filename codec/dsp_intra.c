/* Intra predictors: 16x16 / 8x8 (RFC 6386 §12.2) and 4x4 subblocks (§12.3), C references. */
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "dsp_common.h"

/* §12 */
static void pred_generic(uint8_t *dst, ptrdiff_t stride, int n, int log2n, int mode, const uint8_t *above,
                         const uint8_t *left, int have_above, int have_left)
{
    switch (mode) {
    case VP8_DC_PRED: {
        int sum = 0, shift = log2n - 1 + have_above + have_left, v = 128;
        if (have_above) for (int i = 0; i < n; i++) sum += above[i];
        if (have_left) for (int i = 0; i < n; i++) sum += left[i];
        if (have_above || have_left) v = (sum + (1 << (shift - 1))) >> shift;
        for (int y = 0; y < n; y++) memset(dst + y * stride, v, (size_t)n);
        break;
    }
    case VP8_V_PRED:
        for (int y = 0; y < n; y++) memcpy(dst + y * stride, above, (size_t)n);
        break;
    case VP8_H_PRED:
        for (int y = 0; y < n; y++) memset(dst + y * stride, left[y], (size_t)n);
        break;
    default:
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++) dst[y * stride + x] = clamp255(left[y] + above[x] - above[-1]);
    }
}
static void pred16_c(uint8_t *d, ptrdiff_t s, int m, const uint8_t *a, const uint8_t *l, int ha, int hl) { pred_generic(d, s, 16, 4, m, a, l, ha, hl); }
static void pred8_c(uint8_t *d, ptrdiff_t s, int m, const uint8_t *a, const uint8_t *l, int ha, int hl) { pred_generic(d, s, 8, 3, m, a, l, ha, hl); }

static void pred4_c(uint8_t *dst, ptrdiff_t stride, int mode, const uint8_t *A, const uint8_t *L)
{
    uint8_t B[4][4];
    int P = A[-1];
    /* E: edge pixels L[3],L[2],L[1],L[0],P,A[0..7] */
    int E[13] = {L[3], L[2], L[1], L[0], P, A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7]};
#define AV3(a, b, c) (((a) + 2 * (b) + (c) + 2) >> 2)
#define AV2(a, b) (((a) + (b) + 1) >> 1)
    switch (mode) {
    case VP8_B_DC_PRED: {
        int v = 4;
        for (int i = 0; i < 4; i++) v += A[i] + L[i];
        v >>= 3;
        for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) B[r][c] = (uint8_t)v;
        break;
    }
    case VP8_B_TM_PRED:
        for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) B[r][c] = clamp255(L[r] + A[c] - P);
        break;
    case VP8_B_VE_PRED:
        for (int c = 0; c < 4; c++) {
            int v = AV3(A[c - 1], A[c], A[c + 1]);
            for (int r = 0; r < 4; r++) B[r][c] = (uint8_t)v;
        }
        break;
    case VP8_B_HE_PRED: {
        int v[4] = {AV3(P, L[0], L[1]), AV3(L[0], L[1], L[2]), AV3(L[1], L[2], L[3]), AV3(L[2], L[3], L[3])};
        for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) B[r][c] = (uint8_t)v[r];
        break;
    }
    case VP8_B_LD_PRED:
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) {
                int i = r + c;
                B[r][c] = (uint8_t)(i < 6 ? AV3(A[i], A[i + 1], A[i + 2]) : AV3(A[6], A[7], A[7]));
            }
        break;
    case VP8_B_RD_PRED: /* E[4] = P; down-right diagonal */
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) {
                int i = 4 - r + c; /* index into E around the centre */
                B[r][c] = (uint8_t)AV3(E[i - 1], E[i], E[i + 1]);
            }
        break;
    case VP8_B_VR_PRED:
        B[3][0] = (uint8_t)AV3(E[1], E[2], E[3]);
        B[2][0] = (uint8_t)AV3(E[2], E[3], E[4]);
        B[3][1] = B[1][0] = (uint8_t)AV3(E[3], E[4], E[5]);
        B[2][1] = B[0][0] = (uint8_t)AV2(E[4], E[5]);
        B[3][2] = B[1][1] = (uint8_t)AV3(E[4], E[5], E[6]);
        B[2][2] = B[0][1] = (uint8_t)AV2(E[5], E[6]);
        B[3][3] = B[1][2] = (uint8_t)AV3(E[5], E[6], E[7]);
        B[2][3] = B[0][2] = (uint8_t)AV2(E[6], E[7]);
        B[1][3] = (uint8_t)AV3(E[6], E[7], E[8]);
        B[0][3] = (uint8_t)AV2(E[7], E[8]);
        break;
    case VP8_B_VL_PRED:
        B[0][0] = (uint8_t)AV2(A[0], A[1]);
        B[1][0] = (uint8_t)AV3(A[0], A[1], A[2]);
        B[2][0] = B[0][1] = (uint8_t)AV2(A[1], A[2]);
        B[1][1] = B[3][0] = (uint8_t)AV3(A[1], A[2], A[3]);
        B[2][1] = B[0][2] = (uint8_t)AV2(A[2], A[3]);
        B[3][1] = B[1][2] = (uint8_t)AV3(A[2], A[3], A[4]);
        B[2][2] = B[0][3] = (uint8_t)AV2(A[3], A[4]);
        B[3][2] = B[1][3] = (uint8_t)AV3(A[3], A[4], A[5]);
        B[2][3] = (uint8_t)AV3(A[4], A[5], A[6]);
        B[3][3] = (uint8_t)AV3(A[5], A[6], A[7]);
        break;
    case VP8_B_HD_PRED:
        B[3][0] = (uint8_t)AV2(E[0], E[1]);
        B[3][1] = (uint8_t)AV3(E[0], E[1], E[2]);
        B[2][0] = B[3][2] = (uint8_t)AV2(E[1], E[2]);
        B[2][1] = B[3][3] = (uint8_t)AV3(E[1], E[2], E[3]);
        B[2][2] = B[1][0] = (uint8_t)AV2(E[2], E[3]);
        B[2][3] = B[1][1] = (uint8_t)AV3(E[2], E[3], E[4]);
        B[1][2] = B[0][0] = (uint8_t)AV2(E[3], E[4]);
        B[1][3] = B[0][1] = (uint8_t)AV3(E[3], E[4], E[5]);
        B[0][2] = (uint8_t)AV3(E[4], E[5], E[6]);
        B[0][3] = (uint8_t)AV3(E[5], E[6], E[7]);
        break;
    default: /* HU */
        B[0][0] = (uint8_t)AV2(L[0], L[1]);
        B[0][1] = (uint8_t)AV3(L[0], L[1], L[2]);
        B[0][2] = B[1][0] = (uint8_t)AV2(L[1], L[2]);
        B[0][3] = B[1][1] = (uint8_t)AV3(L[1], L[2], L[3]);
        B[1][2] = B[2][0] = (uint8_t)AV2(L[2], L[3]);
        B[1][3] = B[2][1] = (uint8_t)AV3(L[2], L[3], L[3]);
        B[2][2] = B[2][3] = B[3][0] = B[3][1] = B[3][2] = B[3][3] = (uint8_t)L[3];
    }
    for (int r = 0; r < 4; r++) memcpy(dst + r * stride, B[r], 4);
}

void vp8_dsp_init_intra_c(vp8_dsp *d)
{
    d->pred16 = pred16_c;
    d->pred8 = pred8_c;
    d->pred4 = pred4_c;
}
