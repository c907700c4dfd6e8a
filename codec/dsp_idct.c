/* Inverse transforms: WHT (RFC 6386 §14.3) and DCT (§14.4), C references. */
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "dsp_common.h"

/* §14.3 */
static void iwht_c(const int16_t in[16], int16_t *out)
{
    int tmp[16];
    for (int i = 0; i < 4; i++) {
        int a1 = in[i] + in[12 + i], b1 = in[4 + i] + in[8 + i];
        int c1 = in[4 + i] - in[8 + i], d1 = in[i] - in[12 + i];
        tmp[i] = a1 + b1; tmp[4 + i] = c1 + d1; tmp[8 + i] = a1 - b1; tmp[12 + i] = d1 - c1;
    }
    for (int i = 0; i < 4; i++) {
        int a1 = tmp[4 * i] + tmp[4 * i + 3], b1 = tmp[4 * i + 1] + tmp[4 * i + 2];
        int c1 = tmp[4 * i + 1] - tmp[4 * i + 2], d1 = tmp[4 * i] - tmp[4 * i + 3];
        out[16 * (4 * i + 0)] = (int16_t)((a1 + b1 + 3) >> 3);
        out[16 * (4 * i + 1)] = (int16_t)((c1 + d1 + 3) >> 3);
        out[16 * (4 * i + 2)] = (int16_t)((a1 - b1 + 3) >> 3);
        out[16 * (4 * i + 3)] = (int16_t)((d1 - c1 + 3) >> 3);
    }
}

/* §14.4 */
static void idct_add_c(const int16_t in[16], uint8_t *dst, ptrdiff_t stride)
{
    static const int c1k = 20091, s1k = 35468;
    int16_t tmp[16];
    for (int i = 0; i < 4; i++) {
        int a1 = in[i] + in[8 + i], b1 = in[i] - in[8 + i];
        int temp1 = (in[4 + i] * s1k) >> 16;
        int temp2 = in[12 + i] + ((in[12 + i] * c1k) >> 16);
        int c = temp1 - temp2;
        temp1 = in[4 + i] + ((in[4 + i] * c1k) >> 16);
        temp2 = (in[12 + i] * s1k) >> 16;
        int dd = temp1 + temp2;
        tmp[i] = (int16_t)(a1 + dd); tmp[12 + i] = (int16_t)(a1 - dd);
        tmp[4 + i] = (int16_t)(b1 + c); tmp[8 + i] = (int16_t)(b1 - c);
    }
    for (int i = 0; i < 4; i++) {
        const int16_t *r = tmp + 4 * i;
        int a1 = r[0] + r[2], b1 = r[0] - r[2];
        int temp1 = (r[1] * s1k) >> 16, temp2 = r[3] + ((r[3] * c1k) >> 16);
        int c = temp1 - temp2;
        temp1 = r[1] + ((r[1] * c1k) >> 16); temp2 = (r[3] * s1k) >> 16;
        int dd = temp1 + temp2;
        uint8_t *o = dst + i * stride;
        o[0] = clamp255(o[0] + ((a1 + dd + 4) >> 3));
        o[3] = clamp255(o[3] + ((a1 - dd + 4) >> 3));
        o[1] = clamp255(o[1] + ((b1 + c + 4) >> 3));
        o[2] = clamp255(o[2] + ((b1 - c + 4) >> 3));
    }
}

static void idct_dc_add_c(int dc, uint8_t *dst, ptrdiff_t stride)
{
    int a = (dc + 4) >> 3;
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            dst[y * stride + x] = clamp255(dst[y * stride + x] + a);
}

static void idct_dc_add_y4_c(const int16_t (*dc)[16], uint8_t *dst, ptrdiff_t stride)
{
    for (int i = 0; i < 4; i++)
        idct_dc_add_c(dc[i][0], dst + 4 * i, stride);
}

static void idct_dc_add_uv4_c(const int16_t (*dc)[16], uint8_t *dst, ptrdiff_t stride)
{
    for (int i = 0; i < 4; i++)
        idct_dc_add_c(dc[i][0], dst + (i >> 1) * 4 * stride + (i & 1) * 4, stride);
}

void vp8_dsp_init_idct_c(vp8_dsp *d)
{
    d->iwht = iwht_c;
    d->idct_add = idct_add_c;
    d->idct_dc_add = idct_dc_add_c;
    d->idct_dc_add_y4 = idct_dc_add_y4_c;
    d->idct_dc_add_uv4 = idct_dc_add_uv4_c;
}
