/*
 * One HTTP request to a storage server through libcurl, shared by the http and s3
 * backends: timeouts on every request (nothing hangs forever), transient failures
 * retried (storage/retry.h), the response's status and body handed back.
 */
#ifndef EXCAM_STORAGE_HTTP_REQUEST_H
#define EXCAM_STORAGE_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "blob_backend.h"

typedef struct http_client http_client;

typedef struct http_request {
    const char *method;     /* "GET", "PUT", "HEAD" or "DELETE" */
    const char *url;
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
    const char *aws_sigv4;  /* S3: CURLOPT_AWS_SIGV4 ("aws:amz:REGION:s3"), else NULL */
    const char *userpwd;    /* S3: "KEY:SECRET", with aws_sigv4 */
    const void *body;       /* PUT: the whole body */
    size_t body_len;
} http_request;

typedef struct http_response {
    long status;            /* the final attempt's HTTP status */
    uint8_t *body;          /* malloc'd (free it), NUL-terminated beyond len; may be NULL */
    size_t len;
    int64_t content_length; /* from the headers (HEAD), -1 if none */
} http_response;

/* A client keeps its connections alive from one request to the next; one thread at a
 * time. `log` (may be NULL) hears about retries. `ca_file` (NULL: the system's) holds the
 * certificates that https servers are checked against. */
int http_client_new(const blob_log *log, const char *ca_file, http_client **out, char *err,
                    size_t errlen);
void http_client_free(http_client *c);

/* Run the request, retrying transient failures. BLOB_OK when the server answered with a
 * status that is final (2xx, 3xx, 4xx but 429): the caller decides what it means.
 * BLOB_EIO when every attempt failed, with the URL and the last status or curl error in
 * err; BLOB_ENOMEM; BLOB_ETOOBIG for a body this process cannot hold. */
int http_perform(http_client *c, const http_request *rq, http_response *resp, char *err,
                 size_t errlen);

/* Free the response's body and reset it. */
void http_response_clear(http_response *resp);

#endif /* EXCAM_STORAGE_HTTP_REQUEST_H */
