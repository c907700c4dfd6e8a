/* libcurl loaded on first use; see curl_api.h. */
#define CURL_API_IMPL 1
#include "curl_api.h"

#include <stdio.h>

#include "dynlib.h"

struct curl_api excam_curl_api;

static const dynlib_sym syms[] = {
#define CURL_API_SYM(f) {#f, (void **)&excam_curl_api.f},
    CURL_API_FUNCS(CURL_API_SYM)
#undef CURL_API_SYM
};

/* Before any handle: libcurl's global set-up (thread-safe in Debian 12's libcurl; done
 * under dynlib's lock in any case). */
static int global_init(char *err, size_t errlen)
{
    CURLcode rc = excam_curl_api.curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc == CURLE_OK)
        return 0;
    snprintf(err, errlen, "curl_global_init failed: %s", excam_curl_api.curl_easy_strerror(rc));
    return -1;
}

static dynlib curl_lib = {"libcurl.so.4", "libcurl4", "http and S3 support (blob storage, the Lambda launcher)", syms,
                          sizeof(syms) / sizeof(syms[0]), global_init, DYNLIB_STATE_INIT};

int curl_api_load(char *err, size_t errlen) { return dynlib_load(&curl_lib, err, errlen); }
