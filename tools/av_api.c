/* libavformat loaded on first use; see av_api.h. */
#define AV_API_IMPL 1
#include "av_api.h"

#include "dynlib.h"

struct av_api excam_av_api;

static const dynlib_sym syms[] = {
#define AV_API_SYM(f) {#f, (void **)&excam_av_api.f},
    AV_API_FUNCS(AV_API_SYM)
#undef AV_API_SYM
};

static int quiet_log(char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    excam_av_api.av_log_set_level(AV_LOG_QUIET);
    return 0;
}

/* The library the headers were built for: libavformat.so.<major> (libavformat<major>). */
#define AV_SONAME "libavformat.so." AV_STRINGIFY(LIBAVFORMAT_VERSION_MAJOR)
#define AV_PACKAGE "libavformat" AV_STRINGIFY(LIBAVFORMAT_VERSION_MAJOR)

static dynlib av_lib = {AV_SONAME, AV_PACKAGE, "WebM", syms, sizeof(syms) / sizeof(syms[0]),
                        quiet_log, DYNLIB_STATE_INIT};

int av_api_load(char *err, size_t errlen) { return dynlib_load(&av_lib, err, errlen); }
