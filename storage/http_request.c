/*
 * HTTP requests to storage servers (storage/http_request.h), through libcurl. One easy
 * handle per client, reset before each request: curl_easy_reset keeps the live
 * connections, so a worker talks to its server over one kept-alive connection.
 */
#include "http_request.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "curl_api.h"
#include "retry.h"

#define STR(x) #x
#define XSTR(x) STR(x)

/* A server that accepts the connection but then says nothing, or trickles, is given up
 * on (and retried) rather than waited for forever. */
enum {
    CONNECT_TIMEOUT_MS = 5000,
    LOW_SPEED_BYTES = 1024, /* per second, ... */
    LOW_SPEED_SECONDS = 15, /* ... for this long */
};

struct http_client {
    CURL *curl;
    const blob_log *log;
    char *ca_file; /* NULL: the system's certificates */
    uint64_t rng;  /* retry jitter */
    char curl_err[CURL_ERROR_SIZE];
};

/* libcurl is loaded here, on first use (storage/curl_api.h). */
int blobstore_global_init(void) { return curl_api_load(NULL, 0) == 0 ? BLOB_OK : BLOB_EIO; }

int http_client_new(const blob_log *log, const char *ca_file, http_client **out, char *err,
                    size_t errlen)
{
    http_client *c;
    char why[320];
    if (curl_api_load(why, sizeof(why)) != 0)
        return blob_fail(err, errlen, BLOB_EIO, "%s", why);
    if (!(c = calloc(1, sizeof(*c))) || (ca_file && !(c->ca_file = strdup(ca_file)))) {
        free(c);
        return blob_fail(err, errlen, BLOB_ENOMEM, "out of memory");
    }
    if (!(c->curl = curl_easy_init())) {
        free(c->ca_file);
        free(c);
        return blob_fail(err, errlen, BLOB_EIO, "libcurl: cannot make a handle");
    }
    c->log = log;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    c->rng = (uint64_t)t.tv_nsec * 2654435761u ^ (uint64_t)getpid() << 32 ^ (uintptr_t)c;
    *out = c;
    return BLOB_OK;
}

void http_client_free(http_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c->ca_file);
    free(c);
}

void http_response_clear(http_response *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
    resp->content_length = -1;
}

typedef struct body_sink {
    http_response *resp;
    size_t cap;
    int nomem;
} body_sink;

static size_t sink_write(char *p, size_t size, size_t n, void *user)
{
    body_sink *s = user;
    http_response *r = s->resp;
    size_t add = size * n;
    if (add > SIZE_MAX / 2 - r->len) {
        s->nomem = 1;
        return 0;
    }
    if (r->len + add + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        while (cap < r->len + add + 1)
            cap *= 2;
        uint8_t *b = realloc(r->body, cap);
        if (!b) {
            s->nomem = 1;
            return 0; /* libcurl stops with CURLE_WRITE_ERROR */
        }
        r->body = b;
        s->cap = cap;
    }
    memcpy(r->body + r->len, p, add);
    r->len += add;
    r->body[r->len] = 0;
    return add;
}

typedef struct body_source {
    const uint8_t *p;
    size_t left;
} body_source;

static size_t source_read(char *buf, size_t size, size_t n, void *user)
{
    body_source *s = user;
    size_t k = size * n < s->left ? size * n : s->left;
    memcpy(buf, s->p, k);
    s->p += k;
    s->left -= k;
    return k;
}

/* Failures that another attempt cannot fix: a bad URL, a certificate that does not
 * verify, no memory. Everything else (refused, reset, timed out, cut short) may pass. */
static int curl_transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_WRITE_ERROR:
    case CURLE_LOGIN_DENIED: return 0;
    default: return 1;
    }
}

/* One attempt: the curl result; the response filled in. */
static CURLcode attempt(http_client *c, const http_request *rq, struct curl_slist *hdrs,
                        http_response *resp, body_sink *sink)
{
    CURL *h = c->curl;
    body_source src = {rq->body, rq->body_len};
    curl_easy_reset(h);
    c->curl_err[0] = 0;
    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* workers are threaded */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_SECONDS);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    if (hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (rq->aws_sigv4) {
        curl_easy_setopt(h, CURLOPT_AWS_SIGV4, rq->aws_sigv4);
        curl_easy_setopt(h, CURLOPT_USERPWD, rq->userpwd);
    }
    if (!strcmp(rq->method, "PUT")) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, source_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &src);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_len);
    } else if (!strcmp(rq->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(rq->method, "GET")) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_off_t cl = -1;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK)
        resp->content_length = cl;
    return rc;
}

static void sleep_ms(unsigned ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0)
        ;
}

int http_perform(http_client *c, const http_request *rq, http_response *resp, char *err,
                 size_t errlen)
{
    struct curl_slist *hdrs = NULL;
    char why[CURL_ERROR_SIZE + 64];
    int ret = BLOB_OK;

    memset(resp, 0, sizeof(*resp));
    resp->content_length = -1;
    for (const char *const *h = rq->headers; h && *h; h++) {
        struct curl_slist *more = curl_slist_append(hdrs, *h);
        if (!more) {
            curl_slist_free_all(hdrs);
            return blob_fail(err, errlen, BLOB_ENOMEM, "%s: out of memory", rq->url);
        }
        hdrs = more;
    }
    for (int n = 1;; n++) {
        body_sink sink = {resp, 0, 0};
        http_response_clear(resp);
        CURLcode rc = attempt(c, rq, hdrs, resp, &sink);
        if (sink.nomem) {
            ret = blob_fail(err, errlen, BLOB_ENOMEM, "%s: %s: out of memory for the response",
                            rq->url, rq->method);
            break;
        }
        int again;
        if (rc != CURLE_OK) {
            snprintf(why, sizeof(why), "%s", c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc));
            again = curl_transient(rc);
        } else {
            snprintf(why, sizeof(why), "HTTP %ld", resp->status);
            again = retry_status(resp->status);
            if (!again)
                break; /* an answer: the caller's to read */
        }
        if (!again || n == RETRY_ATTEMPTS) {
            ret = blob_fail(err, errlen, BLOB_EIO, "%s: %s failed: %s%s", rq->url, rq->method, why,
                            again ? " (after " XSTR(RETRY_ATTEMPTS) " attempts)" : "");
            break;
        }
        unsigned ms = retry_delay_ms(n, &c->rng);
        if (c->log && c->log->fn) {
            char line[1400];
            snprintf(line, sizeof(line), "%s: %s failed: %s; retry %d of %d in %u ms", rq->url,
                     rq->method, why, n, RETRY_ATTEMPTS - 1, ms);
            c->log->fn(c->log->ctx, line);
        }
        sleep_ms(ms);
    }
    curl_slist_free_all(hdrs);
    if (ret != BLOB_OK)
        http_response_clear(resp);
    return ret;
}
