/*
 * A blocking connection to the coordinator for workers and clients (see link.h). The
 * socket is nonblocking underneath, so that TLS calls never block while holding the
 * lock and every wait is a poll() with a time limit.
 */
#include "link.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait until the transport can go on (what x.blocked asks for), at most until
 * deadline (0: none). 0, or -1 with why. */
static int wait_ready(mlink *l, int64_t deadline, char *why, size_t whylen)
{
    struct pollfd p = {.fd = l->x.fd, .events = l->x.blocked == XP_WANT_WRITE ? POLLOUT : POLLIN};
    int timeout = -1;
    if (deadline) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            snprintf(why, whylen, "no answer in time");
            return -1;
        }
        timeout = (int)left;
    }
    int r = poll(&p, 1, timeout);
    if (r < 0) {
        snprintf(why, whylen, errno == EINTR ? "interrupted" : "poll: %s", strerror(errno));
        return -1;
    }
    if (r == 0) {
        snprintf(why, whylen, "no answer in time");
        return -1;
    }
    return 0;
}

static int64_t deadline_of(const mlink *l) { return l->timeout_ms ? now_ms() + l->timeout_ms : 0; }

/* Split "HOST:PORT" or "[V6]:PORT". */
static int split_spec(const char *spec, char *host, size_t hostlen, const char **port)
{
    const char *colon = strrchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : 0;
    if (!colon || !n || n >= hostlen || !colon[1]) return -1;
    memcpy(host, spec, n);
    host[n] = '\0';
    if (host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    *port = colon + 1;
    return 0;
}

int mlink_dial(mlink *l, const char *spec, const link_sec *sec, int timeout_ms, char *why,
               size_t whylen)
{
    char host[256], err[300];
    const char *port;
    memset(l, 0, sizeof(*l));
    l->x.fd = -1;
    l->timeout_ms = timeout_ms;
    wire_reader_init(&l->rd, 0);
    if (split_spec(spec, host, sizeof(host), &port)) {
        snprintf(why, whylen, "not HOST:PORT");
        return LINK_FATAL;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    int e = getaddrinfo(host, port, &hints, &ai);
    if (e) {
        snprintf(why, whylen, "%s", gai_strerror(e));
        return e == EAI_AGAIN ? LINK_RETRY : LINK_FATAL;
    }
    int fd = -1, ret = LINK_RETRY;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        /* Plaintext leaves this host only when asked to: a job key or a job's
         * storage location is nothing to show the network. */
        if (!sec->tls && !sec->insecure && !xp_is_loopback(a->ai_addr)) {
            snprintf(why, whylen, "%s is not a loopback address: give --tls-ca FILE to use TLS, "
                     "or --insecure to send plaintext", host);
            ret = LINK_FATAL;
            continue;
        }
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen)) {
            snprintf(why, whylen, "%s", strerror(errno));
            ret = LINK_RETRY;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) return ret;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (xconn_init(&l->x, fd, sec->tls, 0, host, err, sizeof(err))) {
        snprintf(why, whylen, "%s", err);
        xconn_close(&l->x);
        return LINK_FATAL;
    }
    if (sec->tls) signal(SIGPIPE, SIG_IGN); /* OpenSSL writes with write(), not MSG_NOSIGNAL */
    int64_t deadline = now_ms() + (timeout_ms ? timeout_ms : 30000);
    while (xconn_handshake(&l->x)) {
        int en = errno;
        if (en != EAGAIN) {
            snprintf(why, whylen, "%s", xconn_strerror(&l->x, en, err, sizeof(err)));
            /* A certificate we refuse stays refused; a broken connection may heal. */
            ret = l->x.verify_failed ? LINK_FATAL : LINK_RETRY;
            mlink_close(l);
            return ret;
        }
        if (wait_ready(l, deadline, why, whylen)) {
            char w2[200];
            snprintf(w2, sizeof(w2), "%s", why);
            snprintf(why, whylen, "TLS handshake: %s", w2);
            mlink_close(l);
            return LINK_RETRY;
        }
    }
    return 0;
}

int mlink_send(mlink *l, const Excam__Envelope *m, char *why, size_t whylen)
{
    uint8_t *buf;
    size_t len, off = 0;
    char err[200];
    int e = wire_pack(m, &buf, &len);
    if (e) {
        snprintf(why, whylen, "cannot pack a %s: %s", wire_body_name(m), wire_strerror(e));
        return -1;
    }
    int64_t deadline = deadline_of(l);
    while (off < len) {
        ssize_t w = xconn_write(&l->x, buf + off, len - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EAGAIN && !wait_ready(l, deadline, why, whylen)) continue;
        if (!(w < 0 && errno == EAGAIN))
            snprintf(why, whylen, "the connection broke: %s",
                     xconn_strerror(&l->x, w < 0 ? errno : EPIPE, err, sizeof(err)));
        break;
    }
    free(buf);
    return off == len ? 0 : -1;
}

int mlink_recv(mlink *l, Excam__Envelope **m, char *why, size_t whylen)
{
    char err[200];
    int64_t deadline = deadline_of(l);
    for (;;) {
        int e = wire_next(&l->rd, m, why, whylen);
        if (e == WIRE_OK) return 0;
        if (e == WIRE_EOF || e == WIRE_ETRUNC) {
            snprintf(why, whylen, "the coordinator closed the connection");
            return -1;
        }
        if (e != WIRE_AGAIN) {
            char w2[300];
            snprintf(w2, sizeof(w2), "%s", why);
            snprintf(why, whylen, "%s: %s", wire_strerror(e), w2);
            return -1;
        }
        if (l->lock) pthread_mutex_lock(l->lock);
        e = wire_reader_read_from(&l->rd, xconn_read_cb, &l->x);
        int en = errno;
        if (l->lock) pthread_mutex_unlock(l->lock);
        if (e == WIRE_AGAIN) {
            if (wait_ready(l, deadline, why, whylen)) return -1;
            continue;
        }
        if (e != WIRE_OK) {
            snprintf(why, whylen, "%s",
                     e == WIRE_EIO ? xconn_strerror(&l->x, en, err, sizeof(err)) : wire_strerror(e));
            return -1;
        }
    }
}

int mlink_hello(mlink *l, const Excam__Hello *h, const link_sec *sec, uint64_t *session,
                uint32_t *heartbeat_ms, char *why, size_t whylen)
{
    Excam__Envelope env = EXCAM__ENVELOPE__INIT, *m = NULL;
    uint8_t nonce[AUTH_NONCE_BYTES], cnonce[AUTH_NONCE_BYTES], mac[AUTH_MAC_BYTES];
    uint8_t binding[AUTH_BINDING_BYTES];
    const uint8_t *bound = xconn_binding(&l->x, binding) ? binding : NULL;
    int challenged = 0, ret = LINK_FATAL;

    env.body_case = EXCAM__ENVELOPE__BODY_HELLO;
    env.hello = (Excam__Hello *)h;
    if (mlink_send(l, &env, why, whylen) || mlink_recv(l, &m, why, whylen)) {
        /* A TLS coordinator hangs up on plaintext, and on a client without the
         * certificate it wants (TLS 1.3 tells the client after its handshake). */
        if (!l->x.ssl && strlen(why) + 60 < whylen)
            strcat(why, " (if the coordinator uses TLS, give --tls-ca FILE)");
        else if (l->x.ssl && !xconn_has_cert(&l->x) && strlen(why) + 90 < whylen)
            strcat(why, " (if the coordinator wants client certificates, give --tls-cert and --tls-key)");
        return LINK_RETRY;
    }
    if (m->body_case == EXCAM__ENVELOPE__BODY_AUTH_CHALLENGE) {
        if (!sec->key) {
            snprintf(why, whylen, "the coordinator asks for the job key: give --key FILE");
            goto done;
        }
        memcpy(nonce, m->auth_challenge->nonce.data, AUTH_NONCE_BYTES);
        wire_free(m);
        m = NULL;
        auth_random(cnonce, sizeof(cnonce));
        auth_mac(sec->key, AUTH_PEER, (uint32_t)h->role, nonce, cnonce, bound, mac);
        Excam__AuthResponse ar = EXCAM__AUTH_RESPONSE__INIT;
        ar.client_nonce.data = cnonce;
        ar.client_nonce.len = sizeof(cnonce);
        ar.mac.data = mac;
        ar.mac.len = sizeof(mac);
        env.body_case = EXCAM__ENVELOPE__BODY_AUTH_RESPONSE;
        env.auth_response = &ar;
        if (mlink_send(l, &env, why, whylen) || mlink_recv(l, &m, why, whylen)) {
            /* A coordinator that refuses the proof closes after its HelloAck; one that
             * hangs up without it is gone, which is worth another try. */
            return LINK_RETRY;
        }
        challenged = 1;
    }
    if (m->body_case != EXCAM__ENVELOPE__BODY_HELLO_ACK) {
        snprintf(why, whylen, "the coordinator answered hello with a %s", wire_body_name(m));
        goto done;
    }
    const Excam__HelloAck *a = m->hello_ack;
    if (!a->accepted) {
        snprintf(why, whylen, "refused: %s", a->refusal_reason);
        goto done;
    }
    if (sec->key && !challenged) {
        snprintf(why, whylen, "the coordinator did not ask for the job key, so it cannot prove "
                 "that it holds it: not trusted (is it running with --key?)");
        goto done;
    }
    if (challenged && (a->server_mac.len != AUTH_MAC_BYTES ||
                       !auth_check(sec->key, AUTH_COORDINATOR, (uint32_t)h->role, nonce, cnonce,
                                   bound, a->server_mac.data))) {
        snprintf(why, whylen, "the coordinator did not prove that it holds the job key: not trusted");
        goto done;
    }
    if (session) *session = a->session_id;
    if (heartbeat_ms) *heartbeat_ms = a->heartbeat_interval_ms;
    ret = 0;
done:
    wire_free(m);
    return ret;
}

void mlink_close(mlink *l)
{
    xconn_close(&l->x);
    wire_reader_free(&l->rd);
}
