/*
 * libcurl, loaded on first use (storage/dynlib.h): include this instead of <curl/curl.h>.
 * The curl_* functions excam calls are redirected to pointers that curl_api_load fills
 * in; call it (it also runs curl_global_init, once) before any of them. Without libcurl
 * the commands that need no http keep working, and the ones that do say what is missing.
 *
 * curl.h's compile-time type check of curl_easy_setopt is a macro around the real
 * function; it is turned off here (CURL_DISABLE_TYPECHECK): the call goes through a
 * pointer.
 */
#ifndef EXCAM_STORAGE_CURL_API_H
#define EXCAM_STORAGE_CURL_API_H

#include <stddef.h>

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#define CURL_API_FUNCS(X) \
    X(curl_global_init) X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_reset) \
    X(curl_easy_setopt) X(curl_easy_perform) X(curl_easy_getinfo) X(curl_easy_strerror) \
    X(curl_slist_append) X(curl_slist_free_all)

struct curl_api {
#define CURL_API_FIELD(f) __typeof__(&f) f;
    CURL_API_FUNCS(CURL_API_FIELD)
#undef CURL_API_FIELD
};
extern struct curl_api excam_curl_api;

/* Load libcurl and run curl_global_init, once (thread-safe). 0, or -1 with err naming
 * what is missing ("http and S3 support (...) needs libcurl.so.4 (Debian package libcurl4): ..."). */
int curl_api_load(char *err, size_t errlen);

#ifndef CURL_API_IMPL
/* curl.h makes these two function-like macros (to count their arguments). */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (*excam_curl_api.curl_global_init)
#define curl_easy_init (*excam_curl_api.curl_easy_init)
#define curl_easy_cleanup (*excam_curl_api.curl_easy_cleanup)
#define curl_easy_reset (*excam_curl_api.curl_easy_reset)
#define curl_easy_setopt (*excam_curl_api.curl_easy_setopt)
#define curl_easy_perform (*excam_curl_api.curl_easy_perform)
#define curl_easy_getinfo (*excam_curl_api.curl_easy_getinfo)
#define curl_easy_strerror (*excam_curl_api.curl_easy_strerror)
#define curl_slist_append (*excam_curl_api.curl_slist_append)
#define curl_slist_free_all (*excam_curl_api.curl_slist_free_all)
#endif

#endif /* EXCAM_STORAGE_CURL_API_H */
