/*
 * The http(s):// backend of the blob store: http(s)://host[:port]/prefix/ holds blob
 * NAME at http(s)://host[:port]/prefix/NAME. GET reads it, PUT writes it (the whole body
 * in one request), HEAD tells whether it is there, DELETE removes it. 404 means absent.
 *
 * Atomic puts are the server's part: it must make a PUT visible only once the whole body
 * has arrived (nginx's WebDAV module writes a temporary file and renames it; a server
 * that writes in place would show partial blobs, which the front's hash check would then
 * find corrupt and remove). Blob names are hashes, so every copy of a name is the same
 * bytes and concurrent PUTs of it are harmless.
 *
 * https servers are checked against the system's certificates, or those in the file
 * CURL_CA_BUNDLE names (as the curl tool does).
 *
 * A drop (of a corrupt copy) is a plain DELETE: a good copy put between our GET and the
 * DELETE goes too, and is made again by whoever needs it, which costs time, not results.
 */
#include "blob_http.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_request.h"

typedef struct http_store {
    http_client *client;
    char *base;          /* names are appended to it */
    char *sigv4, *userpwd, *token_header; /* S3 only, else NULL */
} http_store;

static void store_free(http_store *s)
{
    if (!s)
        return;
    http_client_free(s->client);
    free(s->base);
    free(s->sigv4);
    if (s->userpwd)
        sodium_memzero(s->userpwd, strlen(s->userpwd));
    free(s->userpwd);
    free(s->token_header);
    free(s);
}

static char *dup_or_null(const char *s, int *nomem)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *nomem = 1;
    return d;
}

int http_store_open(const char *base, const http_signing *sign, const char *ca_file,
                    const blob_log *log, void **state, char *err, size_t errlen)
{
    http_store *s = calloc(1, sizeof(*s));
    int nomem = !s, rc;
    if (s) {
        s->base = dup_or_null(base, &nomem);
        if (sign) {
            s->sigv4 = dup_or_null(sign->aws_sigv4, &nomem);
            s->userpwd = dup_or_null(sign->userpwd, &nomem);
            if (sign->token && *sign->token) {
                size_t n = strlen(sign->token) + 32;
                if ((s->token_header = malloc(n)))
                    snprintf(s->token_header, n, "x-amz-security-token: %s", sign->token);
                else
                    nomem = 1;
            }
        }
    }
    if (nomem) {
        store_free(s);
        return blob_fail(err, errlen, BLOB_ENOMEM, "blob store %s: out of memory", base);
    }
    if ((rc = http_client_new(log, ca_file, &s->client, err, errlen)) != BLOB_OK) {
        store_free(s);
        return rc;
    }
    *state = s;
    return BLOB_OK;
}

static void http_close(void *state) { store_free(state); }

/* What the server said besides its status, for messages: S3 puts an XML <Code> and
 * <Message> in its error bodies (SignatureDoesNotMatch, AccessDenied, NoSuchBucket). */
static void error_detail(const http_response *r, char *out, size_t outlen)
{
    const char *code, *end, *msg, *mend;
    out[0] = 0;
    if (!r->body || !(code = strstr((const char *)r->body, "<Code>")) ||
        !(end = strstr(code, "</Code>")))
        return;
    code += 6;
    msg = strstr((const char *)r->body, "<Message>");
    mend = msg ? strstr(msg, "</Message>") : NULL;
    if (msg && mend)
        snprintf(out, outlen, " (%.*s: %.*s)", (int)(end - code), code, (int)(mend - msg - 9),
                 msg + 9);
    else
        snprintf(out, outlen, " (%.*s)", (int)(end - code), code);
}

/* One request for blob `name`; BLOB_OK with the response whatever its status, or the
 * transport's error. */
static int request(http_store *s, const char *method, const char *name, const void *body,
                   size_t len, char *url, size_t urlcap, http_response *resp, char *err,
                   size_t errlen)
{
    char sha_header[100];
    const char *headers[4];
    int nh = 0;

    if ((size_t)snprintf(url, urlcap, "%s%s", s->base, name) >= urlcap)
        return blob_fail(err, errlen, BLOB_EINVAL, "%s: URL too long", s->base);
    if (s->sigv4) {
        /* S3 wants the payload's SHA-256 in x-amz-content-sha256 (signed with the rest);
         * libcurl signs what it finds there. */
        uint8_t sha[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        crypto_hash_sha256(sha, body ? body : (const void *)"", body ? len : 0);
        sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha));
        snprintf(sha_header, sizeof(sha_header), "x-amz-content-sha256: %s", hex);
        headers[nh++] = sha_header;
        if (s->token_header)
            headers[nh++] = s->token_header;
    } else if (body) {
        /* Send the body at once rather than wait for a "100 Continue". */
        headers[nh++] = "Expect:";
    }
    headers[nh] = NULL;
    http_request rq = {method, url, headers, s->sigv4, s->userpwd, body, len};
    return http_perform(s->client, &rq, resp, err, errlen);
}

/* A status that means neither success nor "absent": an error naming the URL. */
static int status_error(const char *method, const char *url, const http_response *r,
                        char *err, size_t errlen)
{
    char detail[300];
    error_detail(r, detail, sizeof(detail));
    return blob_fail(err, errlen, BLOB_EIO, "%s: %s: HTTP %ld%s%s", url, method, r->status, detail,
                     r->status == 403 ? " (access denied: check the credentials)" : "");
}

static int ok_status(long status) { return status >= 200 && status < 300; }

static int http_has(void *state, const char *name, char *err, size_t errlen)
{
    char url[4096];
    http_response r;
    int rc = request(state, "HEAD", name, NULL, 0, url, sizeof(url), &r, err, errlen);
    if (rc != BLOB_OK)
        return rc;
    rc = ok_status(r.status) ? 1 : r.status == 404 ? 0 : status_error("HEAD", url, &r, err, errlen);
    http_response_clear(&r);
    return rc;
}

/* Always one PUT, even if the blob may be there: asking first would cost every new blob
 * a second round trip, and a copy already there gets the same bytes (which also mends
 * one damaged on the server). */
static int http_put(void *state, const char *name, const void *data, size_t len, char *err,
                    size_t errlen)
{
    char url[4096];
    http_response r;
    int rc = request(state, "PUT", name, data ? data : "", len, url, sizeof(url), &r, err, errlen);
    if (rc != BLOB_OK)
        return rc;
    rc = ok_status(r.status) ? BLOB_OK : status_error("PUT", url, &r, err, errlen);
    http_response_clear(&r);
    return rc;
}

static int http_get(void *state, const char *name, uint8_t **data, size_t *len,
                    blob_version *version, char *err, size_t errlen)
{
    char url[4096];
    http_response r;
    int rc = request(state, "GET", name, NULL, 0, url, sizeof(url), &r, err, errlen);
    memset(version, 0, sizeof(*version));
    if (rc != BLOB_OK)
        return rc;
    if (r.status == 200) {
        if (!r.body && !(r.body = malloc(1))) { /* an empty blob: never NULL */
            http_response_clear(&r);
            return blob_fail(err, errlen, BLOB_ENOMEM, "%s: out of memory", url);
        }
        *data = r.body;
        *len = r.len;
        return BLOB_OK;
    }
    if (r.status == 404) {
        char detail[300];
        error_detail(&r, detail, sizeof(detail)); /* S3: NoSuchKey, or NoSuchBucket */
        rc = blob_fail(err, errlen, BLOB_ENOTFOUND, "%s: not found%s", url, detail);
    } else {
        rc = status_error("GET", url, &r, err, errlen);
    }
    http_response_clear(&r);
    return rc;
}

static int http_drop(void *state, const char *name, const blob_version *version, char *err,
                     size_t errlen)
{
    char url[4096];
    http_response r;
    (void)version; /* see the top of this file */
    int rc = request(state, "DELETE", name, NULL, 0, url, sizeof(url), &r, err, errlen);
    if (rc != BLOB_OK)
        return rc;
    rc = ok_status(r.status) || r.status == 404 ? BLOB_OK : status_error("DELETE", url, &r, err, errlen);
    http_response_clear(&r);
    return rc;
}

/* http(s)://host[:port][/prefix]: names go after the prefix and a '/'. */
static int http_open(const char *uri, const char *whole, const blob_log *log, void **state,
                     char *err, size_t errlen)
{
    (void)whole;
    const char *host = strstr(uri, "://");
    if (!host || host[3] == '\0' || host[3] == '/' || strpbrk(uri, "?# \t\r\n"))
        return blob_fail(err, errlen, BLOB_EINVAL,
                         "%s: not an http(s)://host[:port]/prefix/ URI (no host, or a query, "
                         "fragment or blank)", uri);
    size_t n = strlen(uri);
    char *base = malloc(n + 2);
    if (!base)
        return blob_fail(err, errlen, BLOB_ENOMEM, "%s: out of memory", uri);
    /* Lower-case the scheme: libcurl's protocol check wants it so. */
    for (size_t i = 0; i < n + 1; i++)
        base[i] = i < (size_t)(host - uri) ? (char)(uri[i] | 0x20) : uri[i];
    if (!strchr(host + 3, '/') || base[n - 1] != '/')
        strcat(base, "/");
    /* A private CA (a server of one's own): CURL_CA_BUNDLE, as for the curl tool. */
    const char *ca = getenv("CURL_CA_BUNDLE");
    int rc = http_store_open(base, NULL, ca && *ca ? ca : NULL, log, state, err, errlen);
    free(base);
    return rc;
}

const blob_backend blob_http_backend = {
    .open = http_open,
    .close = http_close,
    .put = http_put,
    .get = http_get,
    .has = http_has,
    .drop = http_drop,
};

/* The s3:// backend is these same requests, signed (blob_s3.c opens it). */
const blob_backend blob_s3_backend = {
    .open = s3_store_open,
    .close = http_close,
    .put = http_put,
    .get = http_get,
    .has = http_has,
    .drop = http_drop,
};
