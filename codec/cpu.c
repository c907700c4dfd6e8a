/*
 * Which instruction sets the kernels may use (dav1d's dav1d_get_cpu_flags style):
 * what this CPU and OS support (CPUID, and XGETBV for AVX state, through the
 * compiler's __builtin_cpu_supports), capped by the EXCAM_CPU environment variable
 * so that a slower path can be forced for tests and comparisons.
 */
#include <stdlib.h>
#include <string.h>

#include "dsp.h"
#include "dsp_common.h"
#include "vp8i.h"

/* Levels in order: each implies the ones before it. */
static const struct { const char *name; unsigned flags; } levels[] = {
    {"c", 0},
    {"sse2", VP8_CPU_SSE2},
    {"ssse3", VP8_CPU_SSE2 | VP8_CPU_SSSE3},
    {"sse4.1", VP8_CPU_SSE2 | VP8_CPU_SSSE3 | VP8_CPU_SSE41},
    {"avx2", VP8_CPU_SSE2 | VP8_CPU_SSSE3 | VP8_CPU_SSE41 | VP8_CPU_AVX2},
};
enum { NLEVELS = (int)(sizeof(levels) / sizeof(levels[0])) };

unsigned vp8_cpu_detect(void)
{
    unsigned f = 0;
#if EXCAM_X86 && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    f |= VP8_CPU_SSE2; /* x86-64's baseline */
    if (__builtin_cpu_supports("ssse3"))
        f |= VP8_CPU_SSSE3;
    if ((f & VP8_CPU_SSSE3) && __builtin_cpu_supports("sse4.1"))
        f |= VP8_CPU_SSE41;
    if ((f & VP8_CPU_SSE41) && __builtin_cpu_supports("avx2"))
        f |= VP8_CPU_AVX2;
#endif
    return f;
}

EXCAM_API int excam_cpu_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < NLEVELS; i++)
        if (!strcmp(name, levels[i].name))
            return i;
    return -1;
}

unsigned vp8_cpu_flags(void)
{
    unsigned f = vp8_cpu_detect();
    const char *cap = getenv("EXCAM_CPU");
    int level = excam_cpu_parse(cap);
    if (getenv("EXCAM_FORCE_C")) /* the older spelling of EXCAM_CPU=c */
        return 0;
    /* An unknown name leaves the detected set (the CLI refuses it with a message). */
    if (level >= 0)
        f &= levels[level].flags;
    return f;
}

const char *vp8_cpu_name(unsigned flags)
{
    const char *name = levels[0].name;
    for (int i = 1; i < NLEVELS; i++)
        if ((flags & levels[i].flags) == levels[i].flags)
            name = levels[i].name;
    return name;
}

EXCAM_API const char *excam_cpu_level(void) { return vp8_cpu_name(vp8_get_dsp()->cpu_flags); }
