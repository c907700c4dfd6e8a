/*
 * The blob store's front (storage/blobstore.h): picks the backend from the URI, names
 * blobs by their BLAKE2b-256 hash, and verifies every blob a backend returns.
 */
#include "blob_backend.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct blobstore {
    const blob_backend *backend;
    void *state;
    char *location; /* as given to blobstore_open */
    blob_log log;   /* the backend holds its address */
};

int blob_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *blob_strerror(int err)
{
    switch (err) {
    case BLOB_OK: return "ok";
    case BLOB_EINVAL: return "invalid argument";
    case BLOB_EUNSUPPORTED: return "not supported";
    case BLOB_ENOTFOUND: return "not found";
    case BLOB_ECORRUPT: return "corrupt blob";
    case BLOB_EIO: return "I/O error";
    case BLOB_ENOMEM: return "out of memory";
    case BLOB_ETOOBIG: return "blob too big";
    default: return "unknown blob store error";
    }
}

int blob_hash(const void *data, size_t len, uint8_t hash[BLOB_HASH_BYTES])
{
    /* sodium_init is cheap after the first call and picks the fastest BLAKE2b. */
    if (sodium_init() < 0 || (len && !data))
        return BLOB_EIO;
    return crypto_generichash(hash, BLOB_HASH_BYTES, data, len, NULL, 0) == 0 ? BLOB_OK
                                                                             : BLOB_EIO;
}

void blob_hex(const uint8_t hash[BLOB_HASH_BYTES], char hex[BLOB_HEX_BYTES])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < BLOB_HASH_BYTES; i++) {
        hex[2 * i] = digits[hash[i] >> 4];
        hex[2 * i + 1] = digits[hash[i] & 15];
    }
    hex[2 * BLOB_HASH_BYTES] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int blob_unhex(const char *hex, uint8_t hash[BLOB_HASH_BYTES])
{
    if (!hex || strlen(hex) != 2 * BLOB_HASH_BYTES)
        return BLOB_EINVAL;
    for (int i = 0; i < BLOB_HASH_BYTES; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return BLOB_EINVAL;
        hash[i] = (uint8_t)(hi << 4 | lo);
    }
    return BLOB_OK;
}

/* Schemes that name a backend. */
static const struct {
    const char *scheme;
    const blob_backend *backend;
} schemes[] = {
    {"file", &blob_file_backend},
    {"http", &blob_http_backend},
    {"https", &blob_http_backend},
    {"s3", &blob_s3_backend},
};

/* "scheme://" at the start of s (RFC 3986 scheme characters): its length, else 0. */
static size_t scheme_length(const char *s)
{
    size_t n = 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    while (s[n] && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.",
                          s[n]))
        n++;
    return strncmp(s + n, "://", 3) == 0 ? n : 0;
}

/* file://[localhost]/abs/dir -> /abs/dir (RFC 8089; no %-escapes, no other hosts). */
static int file_uri_path(const char *uri, const char *rest, const char **path, char *err,
                         size_t errlen)
{
    if (strncmp(rest, "localhost/", 10) == 0)
        rest += 9;
    if (rest[0] != '/')
        return blob_fail(err, errlen, BLOB_EUNSUPPORTED,
                         "%s: only local file:///absolute/path URIs are supported", uri);
    if (strchr(rest, '%'))
        return blob_fail(err, errlen, BLOB_EUNSUPPORTED,
                         "%s: %%-escapes in file:// URIs are not supported", uri);
    *path = rest;
    return BLOB_OK;
}

/* The backend and the part of the URI it gets: a plain path goes to "file". */
static int pick_backend(const char *uri, const blob_backend **backend, const char **where,
                        char *err, size_t errlen)
{
    size_t n = scheme_length(uri);
    if (n == 0) {
        *backend = &blob_file_backend;
        *where = uri;
        return BLOB_OK;
    }
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strlen(schemes[i].scheme) != n || strncasecmp(uri, schemes[i].scheme, n))
            continue;
        *backend = schemes[i].backend;
        if (*backend == &blob_file_backend)
            return file_uri_path(uri, uri + n + 3, where, err, errlen);
        *where = *backend == &blob_s3_backend ? uri + n + 3 : uri; /* http keeps its scheme */
        return BLOB_OK;
    }
    return blob_fail(err, errlen, BLOB_EUNSUPPORTED, "%s: unknown blob storage scheme %.*s://",
                     uri, (int)n, uri);
}

int blobstore_open(const char *uri_or_path, blobstore **out, char *err, size_t errlen)
{
    const blob_backend *backend = NULL;
    const char *where = NULL;
    blobstore *bs;
    int rc;

    if (!out)
        return blob_fail(err, errlen, BLOB_EINVAL, "%s", "blobstore_open: no result pointer");
    *out = NULL;
    if (!uri_or_path || !*uri_or_path)
        return blob_fail(err, errlen, BLOB_EINVAL, "%s", "blob store: empty location");
    if ((rc = pick_backend(uri_or_path, &backend, &where, err, errlen)) != BLOB_OK)
        return rc;
    if (!(bs = calloc(1, sizeof(*bs))) || !(bs->location = strdup(uri_or_path))) {
        free(bs);
        return blob_fail(err, errlen, BLOB_ENOMEM, "%s: out of memory", uri_or_path);
    }
    bs->backend = backend;
    if ((rc = backend->open(where, uri_or_path, &bs->log, &bs->state, err, errlen)) != BLOB_OK) {
        free(bs->location);
        free(bs);
        return rc;
    }
    *out = bs;
    return BLOB_OK;
}

void blobstore_close(blobstore *bs)
{
    if (!bs)
        return;
    bs->backend->close(bs->state);
    free(bs->location);
    free(bs);
}

const char *blobstore_location(const blobstore *bs) { return bs ? bs->location : ""; }

void blobstore_set_log(blobstore *bs, blob_log_fn fn, void *ctx)
{
    if (!bs)
        return;
    bs->log.fn = fn;
    bs->log.ctx = ctx;
}

int blobstore_put(blobstore *bs, const void *data, size_t len, uint8_t hash[BLOB_HASH_BYTES],
                  char *err, size_t errlen)
{
    char name[BLOB_HEX_BYTES];
    int rc;
    if (!bs || !hash || (len && !data))
        return blob_fail(err, errlen, BLOB_EINVAL, "%s", "blobstore_put: bad arguments");
    if ((rc = blob_hash(data, len, hash)) != BLOB_OK)
        return blob_fail(err, errlen, rc, "%s: cannot hash (libsodium failed)", bs->location);
    blob_hex(hash, name);
    return bs->backend->put(bs->state, name, data, len, err, errlen);
}

int blobstore_get(blobstore *bs, const uint8_t hash[BLOB_HASH_BYTES], uint8_t **data,
                  size_t *len, char *err, size_t errlen)
{
    char name[BLOB_HEX_BYTES], actual_hex[BLOB_HEX_BYTES], why[256];
    uint8_t actual[BLOB_HASH_BYTES];
    blob_version version;
    int rc;

    if (!bs || !hash || !data || !len)
        return blob_fail(err, errlen, BLOB_EINVAL, "%s", "blobstore_get: bad arguments");
    *data = NULL;
    *len = 0;
    blob_hex(hash, name);
    if ((rc = bs->backend->get(bs->state, name, data, len, &version, err, errlen)) != BLOB_OK)
        return rc;
    if ((rc = blob_hash(*data, *len, actual)) == BLOB_OK &&
        memcmp(actual, hash, BLOB_HASH_BYTES) == 0)
        return BLOB_OK;
    free(*data);
    *data = NULL;
    *len = 0;
    if (rc != BLOB_OK)
        return blob_fail(err, errlen, rc, "%s: cannot hash (libsodium failed)", bs->location);
    /* A bad copy (disk error, a truncated upload, tampering): remove it so that it is
     * made or fetched again rather than failing every task that needs it. */
    blob_hex(actual, actual_hex);
    rc = bs->backend->drop(bs->state, name, &version, why, sizeof(why));
    size_t n = strlen(bs->location);
    return blob_fail(err, errlen, BLOB_ECORRUPT, "%s%s%s: corrupt (its bytes hash to %.16s...); %s",
                     bs->location, n && bs->location[n - 1] == '/' ? "" : "/", name, actual_hex,
                     rc == BLOB_OK ? "removed" : why);
}

int blobstore_has(blobstore *bs, const uint8_t hash[BLOB_HASH_BYTES], char *err, size_t errlen)
{
    char name[BLOB_HEX_BYTES];
    if (!bs || !hash)
        return blob_fail(err, errlen, BLOB_EINVAL, "%s", "blobstore_has: bad arguments");
    blob_hex(hash, name);
    return bs->backend->has(bs->state, name, err, errlen);
}
