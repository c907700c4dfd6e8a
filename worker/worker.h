/*
 * A worker (`excam worker --coordinator HOST:PORT`): a small process that dials out to
 * the coordinator (so workers behind NAT or in Lambda work), says hello, and then runs
 * the tasks it is given one at a time: fetch the inputs by hash from blob storage, run
 * the codec (tools/tasks.h), store the outputs, report their hashes. A second thread
 * sends a heartbeat every interval the coordinator asked for, also while a task runs.
 * When the connection breaks it dials again (with backoff) for as long as it is allowed;
 * when it is refused (a wrong job key, an untrusted coordinator or certificate) it
 * exits, since dialling again would only be refused again.
 */
#ifndef EXCAM_WORKER_H
#define EXCAM_WORKER_H

#include <stddef.h>

#include "link.h"

typedef struct worker_opts {
    const char *coordinator; /* "HOST:PORT" */
    const char *name;        /* for the coordinator's log (default: "worker-PID") */
    double retry_for;        /* seconds to keep dialling when the coordinator is gone;
                              * < 0: forever (default 60) */
    int max_tasks;           /* exit 0 after this many tasks (0: no limit) */
    int verbose;
    size_t cache_bytes;      /* recent blobs kept in memory (blobcache.h; default 128 MiB,
                              * 0: none) */
    link_sec sec;            /* job key, TLS, --insecure (default: none, plaintext to loopback) */
} worker_opts;

void worker_opts_default(worker_opts *o);

/* Run until SIGINT/SIGTERM (0), max_tasks (0), or until the coordinator has been
 * unreachable for retry_for seconds or refused us (-1 with err). */
int worker_run(const worker_opts *o, char *err, size_t errlen);

#endif
