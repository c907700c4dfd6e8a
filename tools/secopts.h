/*
 * The security options shared by the networked commands (coordinator, worker, encode
 * --coordinator, jobs, cancel): --key FILE (or EXCAM_KEY_FILE), --tls-ca, --tls-cert,
 * --tls-key, --insecure. Parsed with each command's getopt_long table (SECOPTS_LONG),
 * then loaded once: the key file (mode 0600 or refused) and the TLS context.
 */
#ifndef EXCAM_TOOLS_SECOPTS_H
#define EXCAM_TOOLS_SECOPTS_H

#include <stdint.h>

#include "auth.h"
#include "transport.h"

enum { SECOPT_KEY = 900, SECOPT_TLS_CA, SECOPT_TLS_CERT, SECOPT_TLS_KEY, SECOPT_INSECURE };

#define SECOPTS_LONG                                                  \
    {"key", required_argument, NULL, SECOPT_KEY},                     \
    {"tls-ca", required_argument, NULL, SECOPT_TLS_CA},               \
    {"tls-cert", required_argument, NULL, SECOPT_TLS_CERT},           \
    {"tls-key", required_argument, NULL, SECOPT_TLS_KEY},             \
    {"insecure", no_argument, NULL, SECOPT_INSECURE}

/* The --help lines: for the coordinator, and for those who dial it. */
extern const char secopts_usage_server[];
extern const char secopts_usage_client[];

typedef struct secopts {
    const char *key_file, *tls_ca, *tls_cert, *tls_key;
    int insecure;
    int have_key;
    uint8_t key[AUTH_KEY_BYTES];
    tls_ctx *tls;
} secopts;

/* Take option c (1) or not (0: not one of ours). */
int secopts_take(secopts *s, int c, const char *arg);

/* Load the key and make the TLS context, as the coordinator (server) or a peer. 0, or
 * 1 after printing the error naming the file (exit status 1), or EXIT_USAGE after a
 * usage error. */
int secopts_load(secopts *s, const char *cmd, int server);

/* Wipe the key, free the TLS context. */
void secopts_free(secopts *s);

#endif
