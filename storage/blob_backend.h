/*
 * Inside the blob store (storage/blobstore.h): what a backend implements. The front
 * (blobstore.c) parses the URI, names blobs, hashes what is put and verifies what is
 * got, so that a backend only moves bytes: it cannot return an unverified blob.
 */
#ifndef EXCAM_STORAGE_BLOB_BACKEND_H
#define EXCAM_STORAGE_BLOB_BACKEND_H


#include "blobstore.h"

/* Identifies the copy of a blob that get() read, so that drop() removes that copy
 * only, never a good one another process has put in its place meanwhile. */
typedef struct blob_version {
    uint64_t id[4];
} blob_version;

/* Where a backend reports what it retries; fn may change after open (read it at use). */
typedef struct blob_log {
    blob_log_fn fn;
    void *ctx;
} blob_log;

/* Each function gets the backend's state and the blob's name (64 hex digits), and
 * writes its error message into err[0..errlen) (err may be NULL). */
typedef struct blob_backend {
    /* Open the store at `where` (the URI without "scheme://", or the path); `uri` is the
     * whole URI, `log` lives as long as the store. */
    int (*open)(const char *where, const char *uri, const blob_log *log, void **state,
                char *err, size_t errlen);
    void (*close)(void *state);
    /* Store atomically under `name` (bytes already hashed to it). */
    int (*put)(void *state, const char *name, const void *data, size_t len, char *err,
               size_t errlen);
    /* Read the whole blob into *data (malloc'd, never NULL on success). */
    int (*get)(void *state, const char *name, uint8_t **data, size_t *len,
               blob_version *version, char *err, size_t errlen);
    /* 1 present, 0 absent, or an error. */
    int (*has)(void *state, const char *name, char *err, size_t errlen);
    /* Remove the copy that get() read as `version` (BLOB_OK if it is gone already). */
    int (*drop)(void *state, const char *name, const blob_version *version, char *err,
                size_t errlen);
} blob_backend;

extern const blob_backend blob_file_backend;
extern const blob_backend blob_http_backend; /* http:// and https:// */
extern const blob_backend blob_s3_backend;

/* Format a message into err (NULL-safe) and return code. */
int blob_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* EXCAM_STORAGE_BLOB_BACKEND_H */
