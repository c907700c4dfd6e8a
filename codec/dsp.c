/* The kernel table: C references, replaced by SIMD versions the CPU flags allow
 * (lowest level first, so a higher level overrides only what it improves). */
#include <string.h>

#include "dsp.h"
#include "dsp_common.h"

void vp8_dsp_init_c(vp8_dsp *d)
{
    memset(d, 0, sizeof(*d)); /* padding too: the tests compare tables with memcmp */
    vp8_dsp_init_idct_c(d);
    vp8_dsp_init_inter_c(d);
    vp8_dsp_init_loopfilter_c(d);
    vp8_dsp_init_intra_c(d);
    vp8_dsp_init_enc_c(d);
}

void vp8_dsp_init(vp8_dsp *d, unsigned flags)
{
    vp8_dsp_init_c(d);
#if EXCAM_X86
    flags &= vp8_cpu_detect();
    if (flags & VP8_CPU_SSE2) {
        vp8_dsp_init_idct_sse2(d);
        vp8_dsp_init_inter_sse2(d);
        vp8_dsp_init_lf_sse2(d);
        vp8_dsp_init_enc_sse2(d);
        vp8_dsp_init_intra_sse2(d);
    }
    if (flags & VP8_CPU_SSSE3)
        vp8_dsp_init_inter_ssse3(d);
    if (flags & VP8_CPU_AVX2) {
        vp8_dsp_init_inter_avx2(d);
        vp8_dsp_init_lf_avx2(d);
        vp8_dsp_init_enc_avx2(d);
    }
    d->cpu_flags = flags;
#else
    (void)flags;
#endif
}
