/* The retry policy of the network backends (storage/retry.h). */
#include "retry.h"

enum { RETRY_FIRST_MS = 50, RETRY_CAP_MS = 2000 };

int retry_status(long status) { return status >= 500 || status == 429; }

unsigned retry_delay_ms(int retry, uint64_t *rng)
{
    unsigned ceiling = RETRY_FIRST_MS;
    for (int i = 1; i < retry && ceiling < RETRY_CAP_MS; i++)
        ceiling *= 2;
    if (ceiling > RETRY_CAP_MS)
        ceiling = RETRY_CAP_MS;
    /* xorshift64: plenty for spreading waits, and no shared state between threads. */
    uint64_t x = *rng ? *rng : 0x9e3779b97f4a7c15u;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    return ceiling / 2 + (unsigned)(x % (ceiling / 2 + 1));
}
