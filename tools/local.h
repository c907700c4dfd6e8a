/*
 * `excam encode --chunk` without --coordinator: an embedded coordinator and workers
 * started by a launcher (launch.h), driven by the same job client as a remote
 * coordinator (see local.c).
 */
#ifndef EXCAM_TOOLS_LOCAL_H
#define EXCAM_TOOLS_LOCAL_H

#include "client.h"
#include "launch.h"
#include "y4m.h"

/* Burst (launch_opts.burst, burst.h): when its workers start, and how many. */
typedef struct burst_opts {
    double deadline;  /* seconds from the call the output is wanted by; 0: none (then the
                       * burst launcher starts at once, beside the first) */
    int workers;      /* the burst launcher's workers; 0: with a deadline as many as it
                       * needs, else its capacity (launch_capacity; none: lo->workers) */
    int verbose;      /* each prediction, not only the decision */
} burst_opts;

/* As client_encode, with an embedded coordinator listening on `listen` (NULL: a free
 * loopback port) and the workers started by the launcher `lo` (its coordinator, storage
 * and log_dir are filled in here). With the local launcher the blob store is a temporary
 * directory and o->storage is ignored; other launchers need o->storage, which their
 * workers reach. With lo->burst, b says when its workers join; with a deadline and one
 * launcher, a predicted miss is reported. 0, or 1 after printing the error. */
int local_encode(y4m_reader *in, int skip, int limit, const client_opts *o, const launch_opts *lo,
                 const burst_opts *b, const char *listen, const char *output, client_result *res);

#endif
