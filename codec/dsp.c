/* The kernel table: C references, replaced by SIMD versions where available. */
#include "dsp.h"
#include "dsp_common.h"

void vp8_dsp_init_c(vp8_dsp *d)
{
    vp8_dsp_init_idct_c(d);
    vp8_dsp_init_inter_c(d);
    vp8_dsp_init_loopfilter_c(d);
    vp8_dsp_init_intra_c(d);
    vp8_dsp_init_enc_c(d);
}

void vp8_dsp_init(vp8_dsp *d, int force_c)
{
    vp8_dsp_init_c(d);
#if defined(__SSE2__)
    if (!force_c)
    {
        vp8_dsp_init_x86(d);
        vp8_dsp_init_enc_x86(d);
    }
#else
    (void)force_c;
#endif
}
