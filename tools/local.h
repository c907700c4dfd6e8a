/*
 * `excam encode --chunk` on this machine: an embedded coordinator and local worker
 * processes, driven by the same job client as a remote coordinator (see local.c).
 */
#ifndef EXCAM_TOOLS_LOCAL_H
#define EXCAM_TOOLS_LOCAL_H

#include "client.h"
#include "y4m.h"

/* As client_encode, with `workers` local worker processes; o->coordinator and
 * o->storage are ignored. 0, or 1 after printing the error. */
int local_encode(y4m_reader *in, int skip, int limit, const client_opts *o, int workers,
                 const char *output, client_result *res);

#endif
