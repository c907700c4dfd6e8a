/*
 * The job client: what `excam encode --coordinator`, `excam jobs` and `excam cancel`
 * say to a coordinator (coordinator/coordinator.h). The input goes to blob storage chunk
 * by chunk (the whole video is never in memory), the coordinator gets a small JobSubmit
 * naming the chunks' manifest, and the finished chunks come back from storage.
 */
#ifndef EXCAM_TOOLS_CLIENT_H
#define EXCAM_TOOLS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "tasks.h"
#include "y4m.h"

/* What the client knows of its running job, for client_opts.watch. */
typedef struct client_progress {
    int frames, chunks;
    uint32_t done[3], total[3]; /* tasks by stage: encode, re-encode, rebase */
    double wall[3];             /* seconds the finished ones held their workers (the
                                 * coordinator's clock, assignment to result) */
} client_progress;

typedef struct client_opts {
    const char *coordinator;  /* HOST:PORT */
    const char *storage;      /* blob store URI (a path, file://, http(s)://, s3://) */
    const char *name;         /* the job's name (default: the input's) */
    int chunk, rebase;        /* ExCamera's n and x */
    task_params params;       /* q, speed, ... (group_start and first_frame unused) */
    double retry_for;         /* seconds to keep reconnecting to a coordinator that went away */
    int quiet;
    double target_kbps;       /* > 0: pick the quantizer for this bitrate by a first pass
                               * (firstpass.h) over samples read with the input, instead
                               * of params.q_key/q_inter */
    int min_qi, max_qi;       /* the quantizer indices (0..127) it may pick from */
    int bias_pct;             /* with target_kbps: each chunk its own quantizers
                               * (firstpass_pick_chunks, measured by complexity.h): 100
                               * one quantizer for all (constant quality), 0 every chunk
                               * the target bitrate (cbr-like) */
    int min_section_pct, max_section_pct; /* each chunk's bitrate within these percent of
                               * the target (0 and a large value: no bound) */
    int webm;                 /* write WebM (webm.h) rather than IVF */
    int embedded;             /* the coordinator is local.c's: no word of it, and on
                               * SIGINT/SIGTERM cancel the job and return 128 + the signal
                               * (the caller cleans up) instead of dying of it */
    link_sec sec;             /* job key, TLS, --insecure */
    int (*watch)(void *arg, const client_progress *p);
                              /* if set, called between status polls while the job runs
                               * (p: as of the last status, ~0.1 s old): nonzero (after
                               * printing why, e.g. no worker is left) cancels the job and
                               * client_encode fails */
    void *watch_arg;
} client_opts;

typedef struct client_result {
    uint64_t job_id;
    int frames, chunks;
    uint64_t bytes;           /* of the stream's frames */
    double cpu[3];            /* CPU seconds of the workers, by stage: encode, re-encode, rebase */
    uint32_t tasks[3];        /* tasks by stage */
    int q_index;              /* with target_kbps: the quantizer index the first pass chose
                               * (the job's constant one; the chunks' are spread around it) */
    int q_min, q_max;         /* with target_kbps: the chunks' finest and coarsest */
    double predicted_kbps;    /* and the bitrate it predicted */
} client_result;

/*
 * Encode in (after skipping `skip` frames, at most `limit` frames; -1: all) through the
 * coordinator and write the IVF (or WebM: o->webm) stream to `output` (atomically; nothing is left on
 * failure). Returns 0, or 1 after printing the error (naming the file or the peer).
 * SIGINT/SIGTERM while it waits cancel the job.
 */
int client_encode(y4m_reader *in, int skip, int limit, const client_opts *o, const char *output,
                  client_result *res);

/* `excam jobs`: list the coordinator's jobs on stdout; `excam cancel`: cancel one.
 * 0, or 1 after printing the error. */
int client_list(const char *coordinator, const link_sec *sec);
int client_cancel(const char *coordinator, const link_sec *sec, uint64_t job_id);

#endif
