/*
 * Shared libraries loaded on first use (dlopen), for the heavy ones that only some
 * commands need: libavformat (WebM, tools/webm.c) pulls in about 130 libraries and
 * libcurl (http/S3 storage, the Lambda launcher) about 30. Linked normally, the dynamic
 * loader maps and relocates all of them at every start, and their constructors run:
 * `excam --version` took 32-46 ms where vpxdec takes 2-3 ms, and a decode of a short
 * IVF stream paid that too. Loaded here, only the commands that use them pay.
 *
 * A user lists the symbols it needs with pointers to fill (dynlib_sym) and calls
 * dynlib_load before the first call through them; the headers still give the
 * prototypes (the pointers are declared with __typeof__ of the real functions, so a
 * changed signature fails to compile). Thread-safe; a failure is remembered and
 * reported again with the same message.
 */
#ifndef EXCAM_STORAGE_DYNLIB_H
#define EXCAM_STORAGE_DYNLIB_H

#include <pthread.h>
#include <stddef.h>

typedef struct {
    const char *name; /* the symbol */
    void **slot;      /* where its address goes */
} dynlib_sym;

typedef struct dynlib {
    const char *soname;  /* e.g. "libcurl.so.4": the library the headers were built for */
    const char *package; /* the Debian package that ships it, for the message */
    const char *purpose; /* "WebM", "http/S3 storage": what needs it, for the message */
    const dynlib_sym *syms;
    size_t nsyms;
    int (*init)(char *err, size_t errlen); /* run once after the symbols (may be NULL) */
    /* Filled in by dynlib_load (start with DYNLIB_STATE_INIT). */
    pthread_mutex_t mu;
    int state; /* 0: not tried, 1: loaded, -1: failed (why holds the message) */
    char why[320];
} dynlib;

#define DYNLIB_STATE_INIT PTHREAD_MUTEX_INITIALIZER, 0, ""

/* Load lib's library and resolve its symbols, once. 0, or -1 with a message naming
 * the library, its package and what needs it in err. */
int dynlib_load(dynlib *lib, char *err, size_t errlen);

#endif /* EXCAM_STORAGE_DYNLIB_H */
