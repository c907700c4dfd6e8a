/*
 * Plaintext and TLS 1.3 connections (see transport.h).
 */
#include "transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ssl_api.h"

/* "what: the last OpenSSL error" into err. */
static int tls_fail(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char buf[256];
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (e && !r) {
        ERR_error_string_n(e, buf, sizeof(buf));
        r = buf;
    }
    snprintf(err, errlen, "%s%s%s", what, r ? ": " : "", r ? r : "");
    ERR_clear_error();
    return -1;
}

static tls_ctx *new_ctx(int server, char *err, size_t errlen)
{
    SSL_CTX *ctx;
    if (ssl_api_load(err, errlen) != 0) /* OpenSSL is loaded here, on first use */
        return NULL;
    ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) {
        tls_fail(err, errlen, "TLS: cannot make a context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    /* The coordinator's output buffer is appended to and moved while a write waits;
     * idle connections keep no TLS buffers (thousands of workers). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    /* No resumption: connections are long-lived, and no ticket arrives in the middle
     * of a worker's first read. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (server) SSL_CTX_set_num_tickets(ctx, 0);
    return ctx;
}

static int load_pair(tls_ctx *ctx, const char *cert, const char *key, char *err, size_t errlen)
{
    char what[4200];
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(what, sizeof(what), "TLS certificate %s", cert);
        return tls_fail(err, errlen, what);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        snprintf(what, sizeof(what), "TLS key %s", key);
        return tls_fail(err, errlen, what);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(what, sizeof(what), "TLS key %s does not match the certificate %s", key, cert);
        return tls_fail(err, errlen, what);
    }
    return 0;
}

static int load_ca(tls_ctx *ctx, const char *ca, char *err, size_t errlen)
{
    char what[4200];
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        snprintf(what, sizeof(what), "TLS CA %s", ca);
        return tls_fail(err, errlen, what);
    }
    return 0;
}

int tls_server_ctx(const char *cert, const char *key, const char *ca, tls_ctx **out, char *err,
                   size_t errlen)
{
    tls_ctx *ctx = new_ctx(1, err, errlen);
    *out = NULL;
    if (!ctx) return -1;
    if (load_pair(ctx, cert, key, err, errlen) || (ca && load_ca(ctx, ca, err, errlen))) {
        SSL_CTX_free(ctx);
        return -1;
    }
    if (ca) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    *out = ctx;
    return 0;
}

int tls_client_ctx(const char *ca, const char *cert, const char *key, tls_ctx **out, char *err,
                   size_t errlen)
{
    tls_ctx *ctx = new_ctx(0, err, errlen);
    *out = NULL;
    if (!ctx) return -1;
    if (load_ca(ctx, ca, err, errlen) || (cert && load_pair(ctx, cert, key, err, errlen))) {
        SSL_CTX_free(ctx);
        return -1;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    *out = ctx;
    return 0;
}

void tls_ctx_free(tls_ctx *ctx) { SSL_CTX_free(ctx); }

int xconn_init(xconn *x, int fd, tls_ctx *ctx, int server, const char *host, char *err,
               size_t errlen)
{
    memset(x, 0, sizeof(*x));
    x->fd = fd;
    x->handshaken = 1;
    if (!ctx) return 0;
    x->handshaken = 0;
    if (!(x->ssl = SSL_new(ctx)) || SSL_set_fd(x->ssl, fd) != 1) return tls_fail(err, errlen, "TLS");
    if (server) {
        SSL_set_accept_state(x->ssl);
        return 0;
    }
    /* Verify the name we dialled: an IP address against the certificate's IP entries,
     * a name against its DNS entries (and send it as SNI). */
    unsigned char addr[16];
    int ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
    int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(x->ssl), host) == 1
                : SSL_set1_host(x->ssl, host) == 1 && SSL_set_tlsext_host_name(x->ssl, host) == 1;
    if (!ok) return tls_fail(err, errlen, "TLS: cannot set the name to verify");
    SSL_set_connect_state(x->ssl);
    return 0;
}

/* Map an SSL call's failure to errno and blocked. */
static int ssl_failed(xconn *x, int r)
{
    int e = SSL_get_error(x->ssl, r), saved = errno;
    x->ssl_err = 0;
    switch (e) {
    case SSL_ERROR_WANT_READ: x->blocked = XP_WANT_READ; errno = EAGAIN; return -1;
    case SSL_ERROR_WANT_WRITE: x->blocked = XP_WANT_WRITE; errno = EAGAIN; return -1;
    case SSL_ERROR_ZERO_RETURN: return 0; /* close_notify: end of stream */
    case SSL_ERROR_SYSCALL:
        x->ssl_err = ERR_peek_last_error();
        ERR_clear_error();
        /* An EOF without close_notify (OpenSSL 3 reports it as an SSL error with
         * SSL_OP_IGNORE_UNEXPECTED_EOF unset) or a socket error. */
        errno = saved ? saved : EPIPE;
        if (errno == EAGAIN) errno = EPIPE; /* cannot happen; never loop on it */
        return -1;
    default:
        x->ssl_err = ERR_peek_last_error();
        ERR_clear_error();
        errno = EPROTO;
        return -1;
    }
}

int xconn_handshake(xconn *x)
{
    if (x->handshaken) return 0;
    ERR_clear_error();
    int r = SSL_do_handshake(x->ssl);
    if (r == 1) {
        x->handshaken = 1;
        return 0;
    }
    if (SSL_get_verify_result(x->ssl) != X509_V_OK) x->verify_failed = 1;
    if (ssl_failed(x, r) == 0) errno = ECONNRESET; /* closed during the handshake */
    return -1;
}

ssize_t xconn_read(xconn *x, void *buf, size_t len)
{
    if (!x->ssl) {
        ssize_t n;
        do
            n = read(x->fd, buf, len);
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            errno = EAGAIN;
            x->blocked = XP_WANT_READ;
        }
        return n;
    }
    if (!x->handshaken && xconn_handshake(x)) return -1;
    size_t got = 0;
    ERR_clear_error();
    int r = SSL_read_ex(x->ssl, buf, len, &got);
    if (r == 1) return (ssize_t)got;
    int f = ssl_failed(x, r);
    if (f == -1 && errno == EPROTO && ERR_GET_REASON(x->ssl_err) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        x->ssl_err = 0; /* a peer that just closed the socket: an end of stream */
        return 0;
    }
    return f;
}

ssize_t xconn_read_cb(void *ctx, void *buf, size_t len) { return xconn_read(ctx, buf, len); }

ssize_t xconn_write(xconn *x, const void *buf, size_t len)
{
    if (!x->ssl) {
        ssize_t n;
        do
            n = send(x->fd, buf, len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            errno = EAGAIN;
            x->blocked = XP_WANT_WRITE;
        }
        return n;
    }
    if (!x->handshaken && xconn_handshake(x)) return -1;
    size_t put = 0;
    ERR_clear_error();
    int r = SSL_write_ex(x->ssl, buf, len, &put);
    if (r == 1) return (ssize_t)put;
    if (ssl_failed(x, r) == 0) errno = EPIPE;
    return -1;
}

int xconn_has_cert(const xconn *x) { return x->ssl && SSL_get_certificate(x->ssl) != NULL; }

int xconn_pending(const xconn *x) { return x->ssl ? SSL_pending(x->ssl) : 0; }

int xconn_binding(xconn *x, uint8_t out[32])
{
    static const char label[] = "EXPORTER-excam-auth";
    if (!x->ssl) return 0;
    if (SSL_export_keying_material(x->ssl, out, 32, label, sizeof(label) - 1, NULL, 0, 0) != 1) {
        /* Cannot happen after a TLS 1.3 handshake; a value nobody else computes makes
         * the proof fail rather than pass unbound. */
        memset(out, 0xff, 32);
        ERR_clear_error();
    }
    return 1;
}

const char *xconn_strerror(const xconn *x, int errnum, char *buf, size_t len)
{
    if (x->ssl && x->verify_failed) {
        long v = SSL_get_verify_result(x->ssl);
        snprintf(buf, len, "TLS: certificate verify failed: %s", X509_verify_cert_error_string(v));
    } else if (x->ssl_err) {
        const char *r = ERR_reason_error_string(x->ssl_err);
        char tmp[256];
        if (!r) {
            ERR_error_string_n(x->ssl_err, tmp, sizeof(tmp));
            r = tmp;
        }
        snprintf(buf, len, "TLS: %s", r);
    } else if (x->ssl && !x->handshaken && errnum == ECONNRESET) {
        snprintf(buf, len, "TLS: the peer closed the connection during the handshake");
    } else {
        snprintf(buf, len, "%s", strerror(errnum));
    }
    return buf;
}

void xconn_close(xconn *x)
{
    if (x->ssl) {
        if (x->handshaken) {
            ERR_clear_error();
            SSL_shutdown(x->ssl); /* best effort, nonblocking */
        }
        SSL_free(x->ssl);
        ERR_clear_error();
        x->ssl = NULL;
    }
    if (x->fd >= 0) close(x->fd);
    x->fd = -1;
}

int xp_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}
