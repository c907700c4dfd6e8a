/*
 * Content-addressed blob storage: a blob is named by the BLAKE2b-256 hash of its bytes,
 * so a name never changes meaning, any copy can be checked, and a re-run finds work
 * already done. Tasks exchange their inputs and outputs (frames, decoder states,
 * streams) this way; messages carry only hashes (proto/excam.proto).
 *
 * Backends, chosen by the URI given to blobstore_open:
 *   file:///abs/dir, or a plain path   a directory shared by everyone (local disk, NFS)
 *   http(s)://host[:port]/prefix/      a web server taking PUT/GET/HEAD/DELETE (nginx WebDAV)
 *   s3://bucket[/prefix]               Amazon S3 or an S3-compatible server (SigV4; the AWS
 *                                      environment variables and ~/.aws files, see blob_s3.c)
 * Network backends retry transient failures (connection errors, timeouts, HTTP 5xx and
 * 429) with exponential backoff and jitter; a request never waits forever.
 *
 * Guarantees of every backend: a put is atomic (a reader sees the whole blob or none:
 * never a partial one), durable once it returns, and idempotent (putting the same bytes
 * twice, even from many processes at once, gives one blob); a get returns only bytes
 * whose hash matches the name, and deletes a copy that does not, so it can be made
 * again.
 *
 * Errors are BLOB_* codes (negative) with a message naming the blob's path in err
 * (may be NULL). Nothing here exits or prints. A blobstore may be used by one thread
 * at a time; open one per thread (they are cheap) to share a store.
 */
#ifndef EXCAM_STORAGE_BLOBSTORE_H
#define EXCAM_STORAGE_BLOBSTORE_H

#include <stddef.h>
#include <stdint.h>

#define BLOB_HASH_BYTES 32 /* BLAKE2b-256 */
#define BLOB_HEX_BYTES 65  /* 64 lowercase hex digits and a NUL */

enum {
    BLOB_OK = 0,
    BLOB_EINVAL = -1,      /* bad arguments, or a URI/hex string that does not parse */
    BLOB_EUNSUPPORTED = -2, /* a storage scheme not supported (yet) */
    BLOB_ENOTFOUND = -3,   /* no such blob, or no such store directory */
    BLOB_ECORRUPT = -4,    /* the stored bytes do not match their hash (the copy is removed) */
    BLOB_EIO = -5,         /* the system said no (errno's text is in the message) */
    BLOB_ENOMEM = -6,      /* out of memory */
    BLOB_ETOOBIG = -7,     /* larger than this process can hold */
};

typedef struct blobstore blobstore;

/* Loads libcurl and runs its global set-up, once (storage/curl_api.h; the http and S3
 * backends do it themselves on first use, so calling this is optional). BLOB_OK or
 * BLOB_EIO. */
int blobstore_global_init(void);

/* Where a network backend says what it retries (one line, no newline), e.g. to the log of
 * a daemon; by default nothing is said. fn may be NULL. */
typedef void (*blob_log_fn)(void *ctx, const char *line);

/* A readable name of a BLOB_* code, never NULL. */
const char *blob_strerror(int err);

/* hash = BLAKE2b-256(data[0..len)). BLOB_OK, or BLOB_EIO if libsodium cannot start. */
int blob_hash(const void *data, size_t len, uint8_t hash[BLOB_HASH_BYTES]);

/* The blob's name: 64 lowercase hex digits. */
void blob_hex(const uint8_t hash[BLOB_HASH_BYTES], char hex[BLOB_HEX_BYTES]);

/* Parse exactly 64 hex digits (either case): BLOB_OK or BLOB_EINVAL. */
int blob_unhex(const char *hex, uint8_t hash[BLOB_HASH_BYTES]);

/* Open the store at uri_or_path ("file:///abs/dir" or a directory path, which must
 * exist; "http(s)://...", "s3://..."; network stores are not contacted until used). */
int blobstore_open(const char *uri_or_path, blobstore **out, char *err, size_t errlen);

/* Close it (NULL is fine). */
void blobstore_close(blobstore *bs);

/* Store data[0..len) and set hash to its name. Already stored: a directory store writes
 * nothing; http/s3 send it again (one request, where asking first would be two). */
int blobstore_put(blobstore *bs, const void *data, size_t len, uint8_t hash[BLOB_HASH_BYTES],
                  char *err, size_t errlen);

/* Fetch a blob, verified: *data (malloc'd, free() it; not NULL even for an empty blob)
 * and *len. BLOB_ENOTFOUND if absent; BLOB_ECORRUPT if the bytes do not match the hash,
 * after removing that copy. */
int blobstore_get(blobstore *bs, const uint8_t hash[BLOB_HASH_BYTES], uint8_t **data,
                  size_t *len, char *err, size_t errlen);

/* 1 if the blob is there, 0 if not, or an error. Cheap: it is not read or verified. */
int blobstore_has(blobstore *bs, const uint8_t hash[BLOB_HASH_BYTES], char *err, size_t errlen);

/* Send the store's notices (retries) to fn(ctx, line). */
void blobstore_set_log(blobstore *bs, blob_log_fn fn, void *ctx);

/* Where the store is, as opened ("file:///abs/dir" or the path), for messages. */
const char *blobstore_location(const blobstore *bs);

#endif /* EXCAM_STORAGE_BLOBSTORE_H */
