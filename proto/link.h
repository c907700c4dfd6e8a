/*
 * A worker's or a job client's connection to the coordinator: dial HOST:PORT (TLS if
 * configured), say hello, prove the job key and check the coordinator's proof
 * (proto/auth.h), then send and receive messages, blocking (with a time limit).
 *
 * Policy: plaintext goes to a loopback coordinator only, unless sec.insecure; with a
 * key, the coordinator must prove it too (a coordinator that does not ask for the key
 * cannot, and is not trusted).
 */
#ifndef EXCAM_PROTO_LINK_H
#define EXCAM_PROTO_LINK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/excam.pb-c.h"
#include "transport.h"
#include "wire.h"

/* How to reach a coordinator safely. */
typedef struct link_sec {
    const uint8_t *key;  /* the job key (AUTH_KEY_BYTES), or NULL */
    tls_ctx *tls;        /* TLS client context (tls_client_ctx), or NULL: plaintext */
    int insecure;        /* allow plaintext to a coordinator off loopback */
} link_sec;

typedef struct mlink {
    xconn x;
    wire_reader rd;
    pthread_mutex_t *lock; /* if set, taken around each read (another thread writes;
                            * TLS allows one call at a time); writers hold it themselves */
    int timeout_ms;        /* a wait longer than this fails (0: wait for ever) */
} mlink;

/* Return values of mlink_dial and mlink_hello besides 0. */
enum {
    LINK_RETRY = -1, /* the coordinator is unreachable or went away: dialling again may help */
    LINK_FATAL = -2, /* refused, not trusted, or misconfigured: dialling again will not help */
};

/* Dial spec ("HOST:PORT", "[V6]:PORT") and do the TLS handshake. 0, or LINK_RETRY /
 * LINK_FATAL with why. */
int mlink_dial(mlink *l, const char *spec, const link_sec *sec, int timeout_ms, char *why,
               size_t whylen);

/* Send h, answer the coordinator's challenge, check its HelloAck and its proof. 0 with
 * the acknowledgement's session id and heartbeat interval, or LINK_RETRY / LINK_FATAL
 * with why ("refused: authentication failed", ...). */
int mlink_hello(mlink *l, const Excam__Hello *h, const link_sec *sec, uint64_t *session,
                uint32_t *heartbeat_ms, char *why, size_t whylen);

/* Send one message; the caller holds l->lock if there is one. 0, or -1 with why. */
int mlink_send(mlink *l, const Excam__Envelope *m, char *why, size_t whylen);

/* The next message (free with wire_free). 0, or -1 with why (also after a signal
 * interrupted the wait: why is "interrupted"). */
int mlink_recv(mlink *l, Excam__Envelope **m, char *why, size_t whylen);

void mlink_close(mlink *l);

#endif
