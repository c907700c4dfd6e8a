/*
 * The worker's blob cache (worker/blobcache.h): what is put is got back by its hash,
 * the least recently used blob goes first when the budget is exceeded, a blob larger
 * than the budget (or any blob in a cache of 0 bytes) is not kept, the same hash twice
 * is held once, and the byte count stays within the budget through 10,000 random
 * puts and gets (checked against a simple model). Run under ASan by t_asan, which
 * also catches a leak or a double free of the blobs the cache takes over.
 */
#include "test_util.h"

#include "blobcache.h"

static void hash_of(int id, uint8_t h[32])
{
    memset(h, 0, 32);
    h[0] = (uint8_t)id;
    h[1] = (uint8_t)(id >> 8);
    h[31] = 0xa5;
}

static uint8_t *blob(int id, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(id * 31 + i);
    return p;
}

static int blob_ok(const uint8_t *p, int id, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != (uint8_t)(id * 31 + i)) return 0;
    return 1;
}

static void basics(void)
{
    uint8_t h[32];
    size_t len = 0, held;
    uint64_t hits, misses;
    blobcache *c = blobcache_new(1000);
    CHECK(c != NULL, "blobcache_new");

    hash_of(1, h);
    CHECK(blobcache_get(c, h, &len) == NULL, "an empty cache has blob 1");
    blobcache_put(c, h, blob(1, 400), 400);
    const uint8_t *p = blobcache_get(c, h, &len);
    CHECK(p && len == 400 && blob_ok(p, 1, 400), "blob 1 not got back whole");

    hash_of(2, h);
    blobcache_put(c, h, blob(2, 400), 400);
    hash_of(1, h);
    blobcache_get(c, h, &len); /* 1 is now more recent than 2 */
    hash_of(3, h);
    blobcache_put(c, h, blob(3, 400), 400); /* 1200 > 1000: the least recent (2) goes */
    hash_of(2, h);
    CHECK(blobcache_get(c, h, &len) == NULL, "blob 2 (least recently used) was kept");
    hash_of(1, h);
    CHECK(blobcache_get(c, h, &len) != NULL, "blob 1 (used since) was evicted");
    hash_of(3, h);
    CHECK(blobcache_get(c, h, &len) != NULL, "blob 3 (just put) is missing");

    hash_of(3, h);
    blobcache_put(c, h, blob(3, 400), 400); /* the same hash again: held once */
    blobcache_stats(c, &hits, &misses, &held);
    CHECK(held == 800, "%zu bytes held after a duplicate put, not 800", held);

    hash_of(4, h);
    blobcache_put(c, h, blob(4, 1001), 1001); /* over the budget: not kept, nothing evicted */
    CHECK(blobcache_get(c, h, &len) == NULL, "a blob over the budget was kept");
    blobcache_stats(c, &hits, &misses, &held);
    CHECK(held == 800, "%zu bytes held after an oversized put, not 800", held);
    CHECK(hits == 4 && misses == 3, "stats: %llu hits, %llu misses (want 4, 3)",
          (unsigned long long)hits, (unsigned long long)misses);

    hash_of(5, h);
    blobcache_put(c, h, blob(5, 0), 0); /* an empty blob is a blob */
    p = blobcache_get(c, h, &len);
    CHECK(p != NULL && len == 0, "an empty blob not got back");
    blobcache_free(c);

    c = blobcache_new(0);
    hash_of(1, h);
    blobcache_put(c, h, blob(1, 10), 10);
    CHECK(blobcache_get(c, h, &len) == NULL, "a cache of 0 bytes kept a blob");
    blobcache_free(c);
    blobcache_free(NULL);
    CHECK(blobcache_get(NULL, h, &len) == NULL, "a NULL cache has a blob");
    blobcache_put(NULL, h, blob(1, 10), 10); /* freed, no crash */
}

/* Random puts and gets against a model of an LRU cache with the same budget. */
static void random_model(void)
{
    enum { IDS = 40, BUDGET = 5000 };
    size_t mlen[IDS] = {0};
    int in[IDS] = {0};
    uint64_t used[IDS] = {0}, tick = 0;
    size_t mbytes = 0;
    unsigned seed = 12345;
    int bad = 0;
    blobcache *c = blobcache_new(BUDGET);
    for (int step = 0; step < 10000 && !bad; step++) {
        seed = seed * 1103515245u + 12345u;
        int id = (int)((seed >> 16) % IDS);
        uint8_t h[32];
        hash_of(id, h);
        size_t len;
        if ((seed >> 8) & 1) {
            const uint8_t *p = blobcache_get(c, h, &len);
            if (!!p != in[id] || (p && (len != mlen[id] || !blob_ok(p, id, len)))) bad = step + 1;
            if (p) used[id] = ++tick;
        } else {
            size_t l = in[id] ? mlen[id] : (size_t)((seed >> 20) % 1500);
            blobcache_put(c, h, blob(id, l), l);
            if (in[id]) {
                used[id] = ++tick;
                continue;
            }
            while (mbytes + l > BUDGET) {
                int old = -1;
                for (int i = 0; i < IDS; i++)
                    if (in[i] && (old < 0 || used[i] < used[old])) old = i;
                in[old] = 0;
                mbytes -= mlen[old];
            }
            in[id] = 1;
            mlen[id] = l;
            used[id] = ++tick;
            mbytes += l;
        }
        uint64_t hits, misses;
        size_t held;
        blobcache_stats(c, &hits, &misses, &held);
        if (held != mbytes || held > BUDGET) bad = step + 1;
    }
    CHECK(!bad, "the cache and its model disagree at step %d", bad);
    blobcache_free(c);
}

int main(void)
{
    basics();
    random_model();
    printf("blobcache: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
