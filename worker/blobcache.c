/*
 * The worker's blob cache (see blobcache.h): a small array searched linearly. A worker
 * holds a handful of blobs of megabytes each; a hash table would buy nothing.
 */
#include "blobcache.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 64

typedef struct entry {
    uint8_t hash[32];
    uint8_t *data; /* NULL: free slot */
    size_t len;
    uint64_t used; /* tick of the last get or put */
} entry;

struct blobcache {
    size_t max_bytes, bytes;
    uint64_t tick, hits, misses;
    entry e[MAX_ENTRIES];
};

blobcache *blobcache_new(size_t max_bytes)
{
    blobcache *c = calloc(1, sizeof(*c));
    if (c) c->max_bytes = max_bytes;
    return c;
}

void blobcache_free(blobcache *c)
{
    if (!c) return;
    for (int i = 0; i < MAX_ENTRIES; i++)
        free(c->e[i].data);
    free(c);
}

static entry *find(blobcache *c, const uint8_t hash[32])
{
    for (int i = 0; i < MAX_ENTRIES; i++)
        if (c->e[i].data && !memcmp(c->e[i].hash, hash, 32)) return &c->e[i];
    return NULL;
}

const uint8_t *blobcache_get(blobcache *c, const uint8_t hash[32], size_t *len)
{
    entry *e = c ? find(c, hash) : NULL;
    if (!e) {
        if (c) c->misses++;
        return NULL;
    }
    c->hits++;
    e->used = ++c->tick;
    *len = e->len;
    return e->data;
}

static void evict(blobcache *c, entry *e)
{
    c->bytes -= e->len;
    free(e->data);
    memset(e, 0, sizeof(*e));
}

void blobcache_put(blobcache *c, const uint8_t hash[32], uint8_t *data, size_t len)
{
    if (!c || len > c->max_bytes) {
        free(data);
        return;
    }
    entry *e = find(c, hash);
    if (e) { /* already held: the same bytes */
        free(data);
        e->used = ++c->tick;
        return;
    }
    for (;;) {
        entry *free_slot = NULL, *oldest = NULL;
        for (int i = 0; i < MAX_ENTRIES; i++) {
            entry *x = &c->e[i];
            if (!x->data) {
                if (!free_slot) free_slot = x;
            } else if (!oldest || x->used < oldest->used) {
                oldest = x;
            }
        }
        if (free_slot && c->bytes + len <= c->max_bytes) {
            memcpy(free_slot->hash, hash, 32);
            free_slot->data = data;
            free_slot->len = len;
            free_slot->used = ++c->tick;
            c->bytes += len;
            return;
        }
        evict(c, oldest); /* not NULL: len <= max_bytes, so something is held */
    }
}

void blobcache_stats(const blobcache *c, uint64_t *hits, uint64_t *misses, size_t *bytes)
{
    *hits = c ? c->hits : 0;
    *misses = c ? c->misses : 0;
    *bytes = c ? c->bytes : 0;
}
