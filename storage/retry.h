/*
 * When to retry a request to a storage server, and how long to wait first: the one
 * policy every network backend follows (storage/http_request.c applies it).
 */
#ifndef EXCAM_STORAGE_RETRY_H
#define EXCAM_STORAGE_RETRY_H

#include <stdint.h>

/* Attempts of one request: the first and up to 9 retries, ~7 s of waiting in all. With a
 * server that fails 30% of requests at random, all 10 fail once in ~170,000 requests
 * (with 7 attempts: once in ~4,600, which a job of a few thousand requests would meet);
 * a worker's task that still fails is run again by the coordinator. */
#define RETRY_ATTEMPTS 10

/* Whether an HTTP status is worth another try: 5xx (the server's trouble, maybe passing)
 * and 429 (slow down). Other 4xx are the request's fault and would fail again. */
int retry_status(long status);

/* Milliseconds to wait before retry number `retry` (1, 2, ...): exponential from 50 ms,
 * capped at 2 s, with "equal jitter" (half fixed, half random) so that many workers
 * that failed together do not come back together. *rng is the caller's random state. */
unsigned retry_delay_ms(int retry, uint64_t *rng);

#endif /* EXCAM_STORAGE_RETRY_H */
