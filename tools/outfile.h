/*
 * Output files that appear only when complete: data goes to a temporary file next to
 * the destination, renamed over it by outfile_commit(). On error (outfile_abort), on
 * exit without commit, or on SIGINT/SIGTERM/SIGHUP the temporary file is removed, so
 * a failed run never leaves a partial file that looks finished. "-" means stdout.
 */
#ifndef EXCAM_TOOLS_OUTFILE_H
#define EXCAM_TOOLS_OUTFILE_H

#include <stdio.h>

typedef struct outfile {
    FILE *f;
    char *path;  /* destination (NULL for stdout) */
    char *tmp;   /* temporary file being written */
    int slot;    /* index in the cleanup registry */
} outfile;

/* 0 on success; -1 with a message printed ("excam: PATH: ...") on failure. */
int outfile_open(outfile *o, const char *path);
/* Flush, close and rename into place. 0 on success; -1 (message printed, temp removed). */
int outfile_commit(outfile *o);
/* Close and remove the temporary file. Safe to call on a committed or unopened outfile. */
void outfile_abort(outfile *o);

#endif
