/*
 * The byte transport under the wire protocol: a plaintext TCP socket or TLS 1.3 over
 * one (OpenSSL), behind one small interface shared by the coordinator (nonblocking, in
 * its epoll loop), the workers and the job clients (proto/link.h).
 *
 * Every call is nonblocking-safe: when a TLS operation cannot go on, it fails with
 * errno EAGAIN and xconn.blocked says whether it waits for the socket to become
 * readable (XP_WANT_READ) or writable (XP_WANT_WRITE): under TLS a read may need to
 * write and a write may need to read. TLS holds bytes it has decrypted but not handed
 * out yet (xconn_pending): an event loop must not wait for readability while any are
 * left. Plaintext calls are plain read()/send().
 */
#ifndef EXCAM_PROTO_TRANSPORT_H
#define EXCAM_PROTO_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ssl_st;
struct ssl_ctx_st;
typedef struct ssl_ctx_st tls_ctx;

enum { XP_WANT_READ = 1, XP_WANT_WRITE = 2 };

typedef struct xconn {
    int fd;
    struct ssl_st *ssl;     /* NULL: plaintext */
    unsigned long ssl_err;  /* the OpenSSL error of the last failed call, or 0 */
    uint8_t blocked;        /* after EAGAIN: XP_WANT_READ or XP_WANT_WRITE */
    uint8_t handshaken;     /* TLS: the handshake is done (plaintext: always 1) */
    uint8_t verify_failed;  /* TLS: the peer's certificate was refused */
} xconn;

/*
 * TLS contexts (TLS 1.3 only). The coordinator's: its certificate chain and private
 * key, and with ca a CA whose certificates clients must present. A worker's or
 * client's: the CA that signed the coordinator's certificate, and optionally a client
 * certificate and key. 0, or -1 with err naming the file and the problem.
 */
int tls_server_ctx(const char *cert, const char *key, const char *ca, tls_ctx **out, char *err,
                   size_t errlen);
int tls_client_ctx(const char *ca, const char *cert, const char *key, tls_ctx **out, char *err,
                   size_t errlen);
void tls_ctx_free(tls_ctx *ctx);

/* A connection on fd: plaintext, or TLS (ctx != NULL) as the server or as a client
 * that verifies the server's certificate for `host` (a DNS name or an IP address).
 * 0, or -1 (out of memory, with err). The xconn owns fd from then on. */
int xconn_init(xconn *x, int fd, tls_ctx *ctx, int server, const char *host, char *err,
               size_t errlen);

/* One step of the TLS handshake: 0 when it is done (at once for plaintext), -1 with
 * errno EAGAIN (see blocked) or another errno (EPROTO: TLS failed; xconn_strerror). */
int xconn_handshake(xconn *x);

/* read()/write()-like: bytes moved (> 0), 0 from xconn_read at the peer's end of
 * stream, or -1 with errno (EAGAIN: see blocked; EPROTO: TLS failed). */
ssize_t xconn_read(xconn *x, void *buf, size_t len);
ssize_t xconn_write(xconn *x, const void *buf, size_t len);

/* The same read as a wire_reader_read_from callback (ctx is the xconn). */
ssize_t xconn_read_cb(void *ctx, void *buf, size_t len);

/* TLS: 1 if this side presents a certificate (a client's own). */
int xconn_has_cert(const xconn *x);

/* Decrypted bytes waiting inside TLS (0 for plaintext). */
int xconn_pending(const xconn *x);

/* The TLS channel binding (an exporter value, RFC 8446 §7.5): 1 and out filled under
 * TLS, 0 for plaintext. */
int xconn_binding(xconn *x, uint8_t out[32]);

/* What went wrong after a -1 (errnum: that call's errno), e.g. "TLS: certificate verify
 * failed: unable to get local issuer certificate". */
const char *xconn_strerror(const xconn *x, int errnum, char *buf, size_t len);

/* 1 if sa is a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
struct sockaddr;
int xp_is_loopback(const struct sockaddr *sa);

/* Close (a TLS close_notify is attempted, never waited for) and free; fd -1 after. */
void xconn_close(xconn *x);

#endif
