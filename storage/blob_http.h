/*
 * Inside the blob store: blobs over HTTP, one URL per blob (<base><64 hex digits>).
 * The http:// backend (blob_http.c) and the s3:// backend (blob_s3.c) are the same
 * four requests (GET, PUT, HEAD, DELETE); S3 adds a SigV4 signature, the payload's
 * SHA-256 and a session token, given here.
 */
#ifndef EXCAM_STORAGE_BLOB_HTTP_H
#define EXCAM_STORAGE_BLOB_HTTP_H

#include "blob_backend.h"

typedef struct http_signing {
    const char *aws_sigv4; /* "aws:amz:REGION:s3" */
    const char *userpwd;   /* "KEY:SECRET" */
    const char *token;     /* session token (x-amz-security-token), or NULL */
} http_signing;

/* A store whose blobs are at base + name; sign may be NULL (plain http). Certificates
 * of https servers are checked against ca_file, or the system's if NULL. */
int http_store_open(const char *base, const http_signing *sign, const char *ca_file,
                    const blob_log *log, void **state, char *err, size_t errlen);

/* The URL blob names of s3://where (bucket[/prefix]) go after, for a region and an
 * endpoint (NULL or empty: AWS itself); BLOB_EINVAL for a bad bucket, prefix or endpoint. */
int s3_base_url(const char *where, const char *region, const char *endpoint, char *base,
                size_t cap, char *err, size_t errlen);

/* s3://bucket[/prefix] (blob_s3.c): finds the credentials, region and endpoint, then
 * opens a signed http store. */
int s3_store_open(const char *where, const char *uri, const blob_log *log, void **state,
                  char *err, size_t errlen);

#endif /* EXCAM_STORAGE_BLOB_HTTP_H */
