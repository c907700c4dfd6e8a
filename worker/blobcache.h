/*
 * A worker's memory of recent blobs, by content hash: the outputs it stored and the
 * inputs it fetched, kept (least recently used first out) up to a byte budget.
 *
 * The rebase chain is serial: the worker that finishes rebase(k-1) is usually the one
 * that takes rebase(k) next, whose inputs are the state it has just stored and often
 * the source chunk it fetched for encode(k). Fetching those again costs a read and a
 * BLAKE2b pass over megabytes (flower 720p: a state is about 3 MB, a chunk of 6 frames
 * 8 MB; BLAKE2b runs at about 1 GB/s here), a fifth of a rebase task's CPU. Blobs are
 * named by the hash of their bytes, so a cached copy is as good as storage's and needs
 * no check; a corrupt or lost copy in storage then goes unnoticed by this worker (the
 * next worker to fetch it still finds out, and the coordinator has it made again).
 */
#ifndef EXCAM_WORKER_BLOBCACHE_H
#define EXCAM_WORKER_BLOBCACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct blobcache blobcache;

/* A cache of at most max_bytes (0: a cache that keeps nothing). NULL if out of memory. */
blobcache *blobcache_new(size_t max_bytes);
void blobcache_free(blobcache *c);

/* The blob with this hash, or NULL. The bytes stay valid until the next blobcache_put
 * or blobcache_free; they are not to be modified. */
const uint8_t *blobcache_get(blobcache *c, const uint8_t hash[32], size_t *len);

/* Keep data (len bytes, malloc'd; the cache takes it and frees it when it is evicted,
 * at once if it does not fit). Evicts the least recently used blobs to make room. */
void blobcache_put(blobcache *c, const uint8_t hash[32], uint8_t *data, size_t len);

/* Hits, misses and bytes held, for logs and tests. */
void blobcache_stats(const blobcache *c, uint64_t *hits, uint64_t *misses, size_t *bytes);

#endif
