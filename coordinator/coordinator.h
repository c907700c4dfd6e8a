/*
 * The coordinator daemon (`excam coordinator --listen HOST:PORT`): holds each job's task
 * graph (tools/tasks.h: encode, re-encode and rebase per chunk), hands ready tasks to
 * idle workers over TCP (proto/wire.h), watches their heartbeats, re-queues the tasks of
 * a worker that died or went silent, starts a speculative copy of a straggler (the first
 * result wins), and journals every finished task so that a restarted coordinator resumes
 * its jobs where they were. One epoll event loop, nonblocking sockets, bounded
 * per-connection buffers, no thread per client (redis's ae is the model).
 *
 * Workers and clients dial in. Bulk data never passes through here: inputs, states and
 * outputs are blobs in storage (storage/blobstore.h), named by their hash; the
 * coordinator reads a job's input manifest and writes its output manifest, nothing else.
 */
#ifndef EXCAM_COORDINATOR_H
#define EXCAM_COORDINATOR_H

#include <stddef.h>
#include <stdint.h>

#include "transport.h"

typedef struct coord_opts {
    const char *listen;      /* "HOST:PORT" (PORT 0: any free port) */
    const char *port_file;   /* if set, the bound port is written there once listening */
    const char *state_dir;   /* the journal lives here; NULL: no journal */
    const char *storage;     /* the default blob store (jobs may name their own) */
    int heartbeat_ms;        /* workers send a heartbeat this often (default 1000) */
    int dead_ms;             /* silent this long: a worker is given up (default 5000) */
    int hello_ms;            /* a connection must say hello within this (default 10000) */
    int idle_ms;             /* a client connection silent this long is closed (600000) */
    int max_conns;           /* connections held at once (default 100000) */
    int max_attempts;        /* attempts of one task before its job fails (default 8) */
    int verbose;             /* log every task assignment and result */
    const uint8_t *key;      /* the job key (proto/auth.h): peers must prove it; NULL: none */
    tls_ctx *tls;            /* TLS server context (tls_server_ctx); NULL: plaintext */
    int insecure;            /* allow listening off loopback without TLS and a key */
} coord_opts;

void coord_opts_default(coord_opts *o);

/* Run until SIGINT or SIGTERM (then returns 0), or until a setup error (returns -1 with
 * the message in err). Logs go to stderr, one line per event. */
int coord_run(const coord_opts *o, char *err, size_t errlen);

#endif
