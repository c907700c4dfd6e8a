/* OpenSSL loaded on first use; see ssl_api.h. */
#define SSL_API_IMPL 1
#include "ssl_api.h"

#include "dynlib.h"

struct ssl_api excam_ssl_api;

static const dynlib_sym syms[] = {
#define SSL_API_SYM(f) {#f, (void **)&excam_ssl_api.f},
    SSL_API_FUNCS(SSL_API_SYM)
#undef SSL_API_SYM
};

/* libssl.so.<major>: the library the headers were built for (OpenSSL 3: libssl.so.3,
 * which brings libcrypto.so.3, where dlsym finds the EVP_, X509_ and BN_ functions). */
#define SSL_STR2(x) #x
#define SSL_STR(x) SSL_STR2(x)
#define SSL_SONAME "libssl.so." SSL_STR(OPENSSL_VERSION_MAJOR)
#define SSL_PACKAGE "libssl" SSL_STR(OPENSSL_VERSION_MAJOR)

static dynlib ssl_lib = {SSL_SONAME, SSL_PACKAGE, "TLS, keys and MD5 (OpenSSL)", syms,
                         sizeof(syms) / sizeof(syms[0]), NULL, DYNLIB_STATE_INIT};

int ssl_api_load(char *err, size_t errlen) { return dynlib_load(&ssl_lib, err, errlen); }
