/*
 * The coordinator's event loop: one epoll set for the listening socket and every
 * connection, nonblocking sockets, a tick every 100 ms for the timers (heartbeats,
 * hello and idle timeouts, stragglers). Each connection holds a wire_reader (no heap
 * memory while idle) and an output buffer that exists only while output is pending and
 * is bounded: a peer that does not read is dropped. Every peer that breaks the protocol
 * (garbage, an oversized length prefix, a frame cut short, a message out of order,
 * silence) is dropped with one log line, and the loop goes on.
 */
#include "coord_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { TICK_MS = 100, MAX_PENDING_OUT = 4 << 20, MAX_EVENTS = 256, HELLO_MAX_FRAME = 4096 };

void coord_opts_default(coord_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = "127.0.0.1:7700";
    o->heartbeat_ms = 1000;
    o->dead_ms = 5000;
    o->hello_ms = 10000;
    o->idle_ms = 600000;
    o->max_conns = 100000;
    o->max_attempts = 8;
}

int64_t coord_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void coord_log(const char *fmt, ...)
{
    char line[1200];
    struct timespec t;
    struct tm tm;
    va_list ap;
    clock_gettime(CLOCK_REALTIME, &t);
    gmtime_r(&t.tv_sec, &tm);
    size_t n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ld coordinator: ", t.tv_nsec / 1000000);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}

static volatile sig_atomic_t stop_signal;
static void on_stop(int sig) { stop_signal = sig; }

/* ------------------------------------------------------------ idle workers */

void idle_add(coord *c, conn *w)
{
    if (w->in_idle || w->role != CONN_WORKER || w->busy >= w->slots || w->closing) return;
    w->idle_prev = c->idle.idle_prev;
    w->idle_next = &c->idle;
    c->idle.idle_prev->idle_next = w;
    c->idle.idle_prev = w;
    w->in_idle = 1;
}

void idle_remove(coord *c, conn *w)
{
    (void)c;
    if (!w->in_idle) return;
    w->idle_prev->idle_next = w->idle_next;
    w->idle_next->idle_prev = w->idle_prev;
    w->in_idle = 0;
}

/* ------------------------------------------------------------ connections */

/* EPOLLOUT while output waits for the socket, or (TLS) a read waits to write. */
static void set_events(coord *c, conn *cn, int want_write)
{
    want_write = want_write || cn->read_wants_write;
    if (cn->want_write == want_write) return;
    struct epoll_event ev = {.events = EPOLLIN | (want_write ? EPOLLOUT : 0u), .data.fd = cn->x.fd};
    epoll_ctl(c->epfd, EPOLL_CTL_MOD, cn->x.fd, &ev);
    cn->want_write = want_write;
}

static void conn_free(coord *c, conn *cn)
{
    epoll_ctl(c->epfd, EPOLL_CTL_DEL, cn->x.fd, NULL);
    c->conns[cn->x.fd] = NULL;
    xconn_close(&cn->x);
    c->nconns--;
    wire_reader_free(&cn->rd);
    free(cn->out);
    free(cn->running);
    free(cn);
}

void conn_drop(coord *c, conn *cn, const char *why)
{
    if (cn->role == CONN_WORKER) {
        coord_log("worker %llu (%s at %s) dropped: %s", (unsigned long long)cn->id, cn->name,
                  cn->peer, why);
        c->nworkers--;
        cn->role = CONN_NEW; /* once */
        jobs_worker_lost(c, cn);
        idle_remove(c, cn);
        conn_free(c, cn);
        jobs_dispatch(c);
        return;
    }
    if (why) coord_log("connection from %s dropped: %s", cn->peer, why);
    conn_free(c, cn);
}

/* Write what is pending; 0, or -1 when the peer is gone. */
static int conn_flush(coord *c, conn *cn)
{
    while (cn->out_off < cn->out_len) {
        /* Under TLS a write may wait for readability instead: EPOLLIN is always on, and
         * the loop flushes pending output first on every event of a TLS connection. */
        ssize_t w = xconn_write(&cn->x, cn->out + cn->out_off, cn->out_len - cn->out_off);
        if (w < 0 && errno == EAGAIN) {
            set_events(c, cn, cn->x.blocked == XP_WANT_WRITE);
            return 0;
        }
        if (w <= 0) return -1;
        cn->out_off += (size_t)w;
    }
    free(cn->out); /* nothing pending: no buffer */
    cn->out = NULL;
    cn->out_len = cn->out_off = cn->out_cap = 0;
    set_events(c, cn, 0);
    return 0;
}

int conn_send(coord *c, conn *cn, const Excam__Envelope *m)
{
    uint8_t *frame;
    size_t len;
    int e = wire_pack(m, &frame, &len);
    if (e) {
        coord_log("internal error: cannot pack a %s: %s", wire_body_name(m), wire_strerror(e));
        return -1;
    }
    if (cn->out_len - cn->out_off + len > MAX_PENDING_OUT) {
        free(frame); /* a peer that does not read what it asked for */
        cn->broken = 1;
        return -1;
    }
    if (!cn->out) {
        cn->out = frame;
        cn->out_len = cn->out_cap = len;
        cn->out_off = 0;
    } else {
        if (cn->out_off) {
            memmove(cn->out, cn->out + cn->out_off, cn->out_len - cn->out_off);
            cn->out_len -= cn->out_off;
            cn->out_off = 0;
        }
        if (cn->out_len + len > cn->out_cap) {
            size_t cap = cn->out_cap * 2 > cn->out_len + len ? cn->out_cap * 2 : cn->out_len + len;
            uint8_t *p = realloc(cn->out, cap);
            if (!p) {
                free(frame);
                cn->broken = 1;
                return -1;
            }
            cn->out = p;
            cn->out_cap = cap;
        }
        memcpy(cn->out + cn->out_len, frame, len);
        cn->out_len += len;
        free(frame);
    }
    if (!cn->want_write && conn_flush(c, cn)) {
        cn->broken = 1;
        return -1;
    }
    return 0;
}

static void send_error(coord *c, conn *cn, int code, uint64_t job, const char *msg)
{
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__Error er = EXCAM__ERROR__INIT;
    er.code = code;
    er.message = (char *)msg;
    er.job_id = job;
    env.body_case = EXCAM__ENVELOPE__BODY_ERROR;
    env.error = &er;
    conn_send(c, cn, &env);
}

static void send_status(coord *c, conn *cn, const cjob *j)
{
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__JobStatus st;
    Excam__StageProgress stages[3], *sp[3];
    Excam__BlobRef out, *op[1];
    job_fill_status(j, &st, stages, sp, &out, op);
    env.body_case = EXCAM__ENVELOPE__BODY_JOB_STATUS;
    env.job_status = &st;
    conn_send(c, cn, &env);
}

/* ------------------------------------------------------------ messages */

/* Accept a peer that said hello (and proved the key, if one is set): server_mac is the
 * coordinator's own proof, or NULL. */
static void admit(coord *c, conn *cn, const uint8_t *server_mac)
{
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__HelloAck ack = EXCAM__HELLO_ACK__INIT;
    env.body_case = EXCAM__ENVELOPE__BODY_HELLO_ACK;
    env.hello_ack = &ack;
    ack.protocol_version = WIRE_PROTOCOL_VERSION;
    cn->id = ++c->next_session;
    cn->rd.max_frame = WIRE_MAX_FRAME; /* said hello: full-size frames from now on */
    ack.accepted = 1;
    ack.session_id = cn->id;
    ack.heartbeat_interval_ms = (uint32_t)c->o->heartbeat_ms;
    if (server_mac) {
        ack.server_mac.data = (uint8_t *)server_mac;
        ack.server_mac.len = AUTH_MAC_BYTES;
    }
    if (cn->hello_role == EXCAM__ROLE__WORKER) {
        cn->slots = cn->hello_slots ? cn->hello_slots : 1;
        cn->running = calloc((size_t)cn->slots, sizeof(*cn->running));
        if (!cn->running) {
            conn_drop(c, cn, "out of memory");
            return;
        }
        cn->role = CONN_WORKER;
        c->nworkers++;
        if (conn_send(c, cn, &env)) {
            conn_drop(c, cn, "cannot send to it");
            return;
        }
        if (c->o->verbose)
            coord_log("worker %llu (%s at %s, %d slots) joined; %d workers", (unsigned long long)cn->id,
                      cn->name, cn->peer, cn->slots, c->nworkers);
        idle_add(c, cn);
        jobs_dispatch(c);
    } else {
        cn->role = CONN_CLIENT;
        if (conn_send(c, cn, &env)) conn_drop(c, cn, "cannot send to it");
    }
}

/* Refuse a peer: a HelloAck saying why, a log line, and the connection closes once it
 * is sent. */
static void refuse(coord *c, conn *cn, int code, const char *why)
{
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__HelloAck ack = EXCAM__HELLO_ACK__INIT;
    env.body_case = EXCAM__ENVELOPE__BODY_HELLO_ACK;
    env.hello_ack = &ack;
    ack.protocol_version = WIRE_PROTOCOL_VERSION;
    ack.accepted = 0;
    ack.refusal_code = code;
    ack.refusal_reason = (char *)why;
    conn_send(c, cn, &env);
    coord_log("connection from %s%s%s%s refused: %s", cn->peer, *cn->name ? " (" : "",
              *cn->name ? cn->name : "", *cn->name ? ")" : "", why);
    cn->closing = 1;
}

static void on_hello(coord *c, conn *cn, const Excam__Hello *h)
{
    if (h->protocol_version != WIRE_PROTOCOL_VERSION) {
        char why[128];
        snprintf(why, sizeof(why), "protocol version %u; this coordinator speaks %u",
                 h->protocol_version, WIRE_PROTOCOL_VERSION);
        refuse(c, cn, EXCAM__ERROR_CODE__ERR_VERSION, why);
        return;
    }
    snprintf(cn->name, sizeof(cn->name), "%s", h->name);
    cn->hello_role = h->role;
    cn->hello_slots = (int)h->slots;
    if (!c->o->key) {
        admit(c, cn, NULL);
        return;
    }
    /* Prove the key first (proto/auth.h): nothing is handed out or taken before. */
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__AuthChallenge ch = EXCAM__AUTH_CHALLENGE__INIT;
    auth_random(cn->nonce, sizeof(cn->nonce));
    ch.nonce.data = cn->nonce;
    ch.nonce.len = sizeof(cn->nonce);
    env.body_case = EXCAM__ENVELOPE__BODY_AUTH_CHALLENGE;
    env.auth_challenge = &ch;
    cn->role = CONN_AUTH;
    if (conn_send(c, cn, &env)) conn_drop(c, cn, "cannot send to it");
}

static void on_auth(coord *c, conn *cn, const Excam__AuthResponse *r)
{
    uint8_t binding[AUTH_BINDING_BYTES], mac[AUTH_MAC_BYTES];
    const uint8_t *bound = xconn_binding(&cn->x, binding) ? binding : NULL;
    if (!auth_check(c->o->key, AUTH_PEER, (uint32_t)cn->hello_role, cn->nonce,
                    r->client_nonce.data, bound, r->mac.data)) {
        refuse(c, cn, EXCAM__ERROR_CODE__ERR_AUTH, "authentication failed: wrong job key");
        return;
    }
    auth_mac(c->o->key, AUTH_COORDINATOR, (uint32_t)cn->hello_role, cn->nonce,
             r->client_nonce.data, bound, mac);
    admit(c, cn, mac);
}

static void on_client(coord *c, conn *cn, const Excam__Envelope *m)
{
    switch (m->body_case) {
    case EXCAM__ENVELOPE__BODY_JOB_SUBMIT: {
        char err[512];
        cjob *j;
        if (job_submit(c, m->job_submit, 0, 1, &j, err, sizeof(err))) {
            coord_log("job from %s refused: %s", cn->peer, err);
            send_error(c, cn, EXCAM__ERROR_CODE__ERR_BAD_REQUEST, 0, err);
            return;
        }
        coord_log("job %llu (%s) from %s: %u frames of %ux%u in %u chunks of %u, a key frame "
                  "every %u chunks", (unsigned long long)j->id, j->name, cn->peer, j->frames,
                  j->width, j->height, j->chunks, j->n, j->x);
        Excam__Envelope env = EXCAM__ENVELOPE__INIT;
        Excam__JobAccepted acc = EXCAM__JOB_ACCEPTED__INIT;
        acc.job_id = j->id;
        acc.chunks = j->chunks;
        env.body_case = EXCAM__ENVELOPE__BODY_JOB_ACCEPTED;
        env.job_accepted = &acc;
        conn_send(c, cn, &env);
        jobs_dispatch(c);
        return;
    }
    case EXCAM__ENVELOPE__BODY_JOB_STATUS_REQUEST: {
        cjob *j = job_find(c, m->job_status_request->job_id);
        if (!j) send_error(c, cn, EXCAM__ERROR_CODE__ERR_NOT_FOUND, m->job_status_request->job_id, "no such job");
        else send_status(c, cn, j);
        return;
    }
    case EXCAM__ENVELOPE__BODY_JOB_CANCEL: {
        cjob *j = job_find(c, m->job_cancel->job_id);
        if (!j) {
            send_error(c, cn, EXCAM__ERROR_CODE__ERR_NOT_FOUND, m->job_cancel->job_id, "no such job");
            return;
        }
        job_cancel(c, j, 1);
        send_status(c, cn, j);
        return;
    }
    case EXCAM__ENVELOPE__BODY_JOB_LIST: {
        const Excam__JobList *l = m->job_list;
        Excam__JobStatus st[WIRE_MAX_LIST], *sp[WIRE_MAX_LIST];
        Excam__StageProgress stages[WIRE_MAX_LIST][3], *stp[WIRE_MAX_LIST][3];
        Excam__BlobRef out[WIRE_MAX_LIST], *op[WIRE_MAX_LIST][1];
        Excam__JobListReply rep = EXCAM__JOB_LIST_REPLY__INIT;
        size_t n = 0, limit = l->limit ? l->limit : WIRE_MAX_LIST;
        uint64_t id = l->after_job_id + 1;
        if (limit > WIRE_MAX_LIST) limit = WIRE_MAX_LIST;
        for (; id <= c->njobs && n < limit; id++) {
            cjob *j = job_find(c, id);
            if (!j) continue;
            job_fill_status(j, &st[n], stages[n], stp[n], &out[n], op[n]);
            st[n].n_outputs = 0; /* summaries */
            st[n].outputs = NULL;
            sp[n] = &st[n];
            n++;
        }
        rep.n_jobs = n;
        rep.jobs = sp;
        rep.more = id <= c->njobs;
        Excam__Envelope env = EXCAM__ENVELOPE__INIT;
        env.body_case = EXCAM__ENVELOPE__BODY_JOB_LIST_REPLY;
        env.job_list_reply = &rep;
        conn_send(c, cn, &env);
        return;
    }
    default: {
        char why[128];
        snprintf(why, sizeof(why), "a %s from a client", wire_body_name(m));
        conn_drop(c, cn, why);
    }
    }
}

static void on_message(coord *c, conn *cn, const Excam__Envelope *m)
{
    cn->last_ms = c->now_ms;
    if (cn->role == CONN_NEW) {
        if (m->body_case != EXCAM__ENVELOPE__BODY_HELLO) {
            char why[128];
            snprintf(why, sizeof(why), "a %s before hello", wire_body_name(m));
            conn_drop(c, cn, why);
            return;
        }
        on_hello(c, cn, m->hello);
        return;
    }
    if (cn->role == CONN_AUTH) {
        if (m->body_case != EXCAM__ENVELOPE__BODY_AUTH_RESPONSE) {
            char why[128];
            snprintf(why, sizeof(why), "a %s instead of an auth_response", wire_body_name(m));
            conn_drop(c, cn, why);
            return;
        }
        on_auth(c, cn, m->auth_response);
        return;
    }
    if (cn->role == CONN_CLIENT) {
        on_client(c, cn, m);
        return;
    }
    switch (m->body_case) { /* a worker */
    case EXCAM__ENVELOPE__BODY_HEARTBEAT: return;
    case EXCAM__ENVELOPE__BODY_TASK_RESULT: jobs_result(c, cn, m->task_result); return;
    default: {
        char why[128];
        snprintf(why, sizeof(why), "a %s from a worker", wire_body_name(m));
        conn_drop(c, cn, why);
    }
    }
}

/* Read what arrived and handle every whole message; the connection may be gone after. */
static void on_readable(coord *c, conn *cn)
{
    int fd = cn->x.fd;
    /* At most 16 reads per event, so that one busy peer cannot starve the others; but
     * bytes TLS has decrypted already are taken too (at most the rest of one record),
     * since no epoll event would announce them again. */
    for (int rounds = 0; rounds < 16 || xconn_pending(&cn->x) > 0; rounds++) {
        int hs = cn->x.handshaken;
        int r = wire_reader_read_from(&cn->rd, xconn_read_cb, &cn->x);
        if (r == WIRE_AGAIN) {
            int ww = cn->x.blocked == XP_WANT_WRITE;
            if (ww != cn->read_wants_write) {
                cn->read_wants_write = ww;
                set_events(c, cn, cn->out != NULL);
            }
            return;
        }
        if (r != WIRE_OK) {
            char why[300], e[200];
            snprintf(why, sizeof(why), "%s%s", hs ? "" : "TLS handshake failed: ",
                     r == WIRE_EIO ? xconn_strerror(&cn->x, errno, e, sizeof(e)) : wire_strerror(r));
            conn_drop(c, cn, why);
            return;
        }
        for (;;) {
            Excam__Envelope *m;
            char why[256];
            int e = wire_next(&cn->rd, &m, why, sizeof(why));
            if (e == WIRE_AGAIN) break;
            if (e == WIRE_EOF) {
                conn_drop(c, cn, cn->role == CONN_CLIENT ? NULL
                                 : cn->role == CONN_AUTH ? "closed by the peer without authenticating"
                                                         : "closed by the peer");
                return;
            }
            if (e != WIRE_OK) {
                char msg[400];
                snprintf(msg, sizeof(msg), "%s%s%s", wire_strerror(e), *why ? ": " : "", why);
                conn_drop(c, cn, msg);
                return;
            }
            on_message(c, cn, m);
            wire_free(m);
            if (c->conns[fd] != cn) return; /* dropped while handling it */
            if (cn->broken) {
                conn_drop(c, cn, "cannot send to it (it does not read, or it is gone)");
                return;
            }
            if (cn->closing && !cn->out) {
                conn_drop(c, cn, NULL);
                return;
            }
        }
    }
}

static void on_accept(coord *c)
{
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof(sa);
        int fd = accept4(c->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                coord_log("accept: %s", strerror(errno));
            return;
        }
        if (c->nconns >= c->o->max_conns || fd >= c->nconns_cap) {
            if (fd >= c->nconns_cap) {
                int cap = c->nconns_cap;
                while (cap <= fd) cap *= 2;
                conn **p = realloc(c->conns, (size_t)cap * sizeof(*p));
                if (p) {
                    memset(p + c->nconns_cap, 0, (size_t)(cap - c->nconns_cap) * sizeof(*p));
                    c->conns = p;
                    c->nconns_cap = cap;
                }
            }
            if (c->nconns >= c->o->max_conns || fd >= c->nconns_cap) {
                coord_log("connection refused: %d connections held already", c->nconns);
                close(fd);
                continue;
            }
        }
        conn *cn = calloc(1, sizeof(*cn));
        if (!cn) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char err[200];
        if (xconn_init(&cn->x, fd, c->o->tls, 1, NULL, err, sizeof(err))) {
            coord_log("connection refused: %s", err);
            xconn_close(&cn->x);
            free(cn);
            continue;
        }
        cn->role = CONN_NEW;
        cn->opened_ms = cn->last_ms = c->now_ms;
        /* Until it says hello a peer gets small frames only (a Hello is a few hundred
         * bytes): 200 silent peers must not hold 200 MiB of half frames. */
        wire_reader_init(&cn->rd, HELLO_MAX_FRAME);
        char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
        getnameinfo((struct sockaddr *)&sa, sl, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV);
        snprintf(cn->peer, sizeof(cn->peer), "%.46s:%.8s", host, port);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev)) {
            xconn_close(&cn->x);
            free(cn);
            continue;
        }
        c->conns[fd] = cn;
        c->nconns++;
    }
}

/* The handlers just run took a long time (a job's storage calls block, and a storage
 * server may take seconds of retries to answer): time the loop could not listen does not
 * count as the peers' silence, or every worker would be given up after a slow request. */
static void forgive_deaf_time(coord *c)
{
    int64_t now = coord_now_ms(), deaf = now - c->now_ms;
    if (deaf < 1000) return;
    coord_log("the event loop was busy for %.1f s (blob storage?): peers' silence meanwhile is "
              "not held against them", deaf / 1000.0);
    for (int fd = 0; fd < c->nconns_cap; fd++) {
        conn *cn = c->conns[fd];
        if (!cn) continue;
        cn->last_ms = cn->last_ms + deaf < now ? cn->last_ms + deaf : now;
    }
    c->now_ms = now;
}

/* Every tick: silent workers are given up, connections that never said hello or went
 * idle are closed, stragglers get a second attempt. */
static void on_tick(coord *c)
{
    for (int fd = 0; fd < c->nconns_cap; fd++) {
        conn *cn = c->conns[fd];
        if (!cn) continue;
        int64_t quiet = c->now_ms - cn->last_ms;
        if (cn->role == CONN_NEW && quiet > c->o->hello_ms)
            conn_drop(c, cn, cn->x.handshaken ? "no hello in time" : "no TLS handshake in time");
        else if (cn->role == CONN_AUTH && quiet > c->o->hello_ms)
            conn_drop(c, cn, "no answer to the authentication challenge in time");
        else if (cn->role == CONN_WORKER && quiet > c->o->dead_ms) {
            char why[80];
            snprintf(why, sizeof(why), "silent for %.1f s", quiet / 1000.0);
            conn_drop(c, cn, why);
        } else if (cn->role == CONN_CLIENT && quiet > c->o->idle_ms)
            conn_drop(c, cn, "idle");
    }
    jobs_speculate(c);
}

/* ------------------------------------------------------------ setup */

/* Listen on spec ("HOST:PORT"); with loopback_only, an address off loopback is refused
 * before anything is bound. */
static int listen_on(const char *spec, int loopback_only, int *port_out, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host) || !colon[1]) {
        snprintf(err, errlen, "--listen %s: not HOST:PORT", spec);
        return -1;
    }
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:7700 */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int e = getaddrinfo(host, colon + 1, &hints, &ai);
    if (e) {
        snprintf(err, errlen, "--listen %s: %s", spec, gai_strerror(e));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        if (loopback_only && !xp_is_loopback(a->ai_addr)) {
            /* Off loopback, anyone on the network could take tasks, submit jobs or read
             * the traffic: only with TLS and a job key, or when told to. */
            snprintf(err, errlen, "--listen %s is not a loopback address: give --tls-cert, "
                     "--tls-key and --key (excam keygen makes them), or --insecure", spec);
            continue;
        }
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 4096)) {
            snprintf(err, errlen, "--listen %s: %s", spec, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) return -1;
    struct sockaddr_storage sa;
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port_out = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                               : ((struct sockaddr_in *)&sa)->sin_port);
    return fd;
}

/* As many descriptors as the system lets this process have. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int coord_run(const coord_opts *o, char *err, size_t errlen)
{
    coord c;
    int port = 0, ret = -1;
    memset(&c, 0, sizeof(c));
    c.o = o;
    c.lfd = c.epfd = c.journal_fd = -1;
    c.idle.idle_next = c.idle.idle_prev = &c.idle;
    c.active.rr_next = c.active.rr_prev = &c.active;
    c.now_ms = coord_now_ms();
    c.nconns_cap = 1024;
    c.conns = calloc((size_t)c.nconns_cap, sizeof(*c.conns));
    if (!c.conns) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    raise_fd_limit();
    if (journal_open(&c, err, errlen)) goto done;
    if ((c.lfd = listen_on(o->listen, !o->insecure && (!o->tls || !o->key), &port, err, errlen)) < 0)
        goto done;
    char auth_err[200];
    if (o->key && auth_init(auth_err, sizeof(auth_err))) {
        snprintf(err, errlen, "%s", auth_err);
        goto done;
    }
    if ((c.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        snprintf(err, errlen, "epoll: %s", strerror(errno));
        goto done;
    }
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = -1};
    epoll_ctl(c.epfd, EPOLL_CTL_ADD, c.lfd, &lev);
    if (o->port_file) {
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.tmp", o->port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) || rename(tmp, o->port_file)) {
            snprintf(err, errlen, "%s: cannot write: %s", o->port_file, strerror(errno));
            goto done;
        }
    }
    coord_log("listening on %s (port %d, %s, %s)%s%s", o->listen, port,
              o->tls ? "TLS 1.3" : "plaintext", o->key ? "job key required" : "no job key",
              o->state_dir ? "; journal in " : "", o->state_dir ? o->state_dir : "");

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    signal(SIGPIPE, SIG_IGN);

    int64_t next_tick = c.now_ms + TICK_MS;
    struct epoll_event evs[MAX_EVENTS];
    while (!stop_signal) {
        int timeout = (int)(next_tick - c.now_ms);
        int n = epoll_wait(c.epfd, evs, MAX_EVENTS, timeout < 0 ? 0 : timeout);
        c.now_ms = coord_now_ms();
        if (n < 0 && errno != EINTR) {
            snprintf(err, errlen, "epoll_wait: %s", strerror(errno));
            goto stop;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd < 0) {
                on_accept(&c);
                continue;
            }
            conn *cn = c.conns[fd];
            if (!cn) continue;
            if (cn->read_wants_write && (evs[i].events & EPOLLOUT)) {
                cn->read_wants_write = 0; /* try the read again below */
                evs[i].events |= EPOLLIN;
            }
            if ((evs[i].events & EPOLLOUT) || (cn->x.ssl && cn->out)) {
                if (conn_flush(&c, cn)) {
                    conn_drop(&c, cn, "cannot send to it");
                    continue;
                }
                if (cn->closing && !cn->out) {
                    conn_drop(&c, cn, NULL);
                    continue;
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(&c, cn);
        }
        forgive_deaf_time(&c);
        if (c.now_ms >= next_tick) {
            on_tick(&c);
            next_tick = c.now_ms + TICK_MS;
        }
        journal_sync(&c);
    }
    coord_log("stopping on signal %d", (int)stop_signal);
    ret = 0;
stop:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
done:
    for (int fd = 0; fd < c.nconns_cap; fd++)
        if (c.conns[fd]) conn_free(&c, c.conns[fd]);
    free(c.conns);
    journal_close(&c);
    jobs_free(&c);
    if (c.lfd >= 0) close(c.lfd);
    if (c.epfd >= 0) close(c.epfd);
    return ret;
}
