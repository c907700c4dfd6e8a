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

/* As client_encode, with an embedded coordinator listening on `listen` (NULL: a free
 * loopback port) and the workers started by the launcher `lo` (its coordinator, storage
 * and log_dir are filled in here). With the local launcher the blob store is a temporary
 * directory and o->storage is ignored; other launchers need o->storage, which their
 * workers reach. 0, or 1 after printing the error. */
int local_encode(y4m_reader *in, int skip, int limit, const client_opts *o, const launch_opts *lo,
                 const char *listen, const char *output, client_result *res);

#endif
