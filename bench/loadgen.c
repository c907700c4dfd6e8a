/*
 * bench/loadgen: a load generator for `excam coordinator` (bench/coordinator.sh).
 *
 * One process, one epoll loop, N nonblocking TCP connections that each play a worker
 * (Hello{WORKER, slots 1}; every TaskAssign answered at once with a TaskResult{same
 * TaskRef, ERR_NONE, no outputs}; a Heartbeat every heartbeat_interval_ms of the
 * HelloAck), plus one client connection that submits a NOOP job of T tasks and polls
 * JobStatus until it is DONE. Frames go through proto/wire.h like the real peers'.
 *
 * Measures:
 *  - dispatch rate: T / (time of the last TaskResult sent - time of the first
 *    TaskAssign received);
 *  - assignment latency: on each connection, from sending a TaskResult to receiving
 *    that connection's next TaskAssign (results after which no task came, at the end,
 *    are not counted): p50, p99, max;
 *  - the coordinator's resident memory (VmRSS of /proc/PID/status): before any
 *    connection, with the N workers connected and idle (after they have all been
 *    heartbeating for --idle seconds), and at the end. Per connection: (idle - before) / N;
 *  - CPU time (user + system) of the coordinator (/proc/PID/stat) and of the load
 *    generator during the job: the two share the machine.
 *
 * usage: loadgen --coordinator HOST:PORT --workers N --tasks T [--pid PID] [--idle S]
 *                [--timeout S] [--key FILE] [--tls-ca FILE]
 * With --key every connection answers the coordinator's challenge and checks its proof;
 * with --tls-ca every connection is TLS 1.3 (proto/transport.h), so that the cost of
 * both can be measured.
 * The last line on stdout is "RESULT key=value ...". Progress goes to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "proto/excam.pb-c.h"
#include "transport.h"
#include "wire.h"

enum { C_CONNECTING, C_TLS, C_HELLO, C_READY, C_CLIENT_HELLO, C_CLIENT_SUBMIT, C_CLIENT_POLL };
enum { MAX_INFLIGHT = 512, MAX_EVENTS = 512, FRAME_BUF = 1024 };

typedef struct lconn {
    xconn x;               /* the socket (x.fd), plaintext or TLS */
    int state;
    int index;
    int want_out;          /* EPOLLOUT is on */
    int client;            /* the client connection, not a worker */
    wire_reader rd;
    uint8_t *out;          /* output not yet taken by the kernel: [out_off, out_len) */
    size_t out_len, out_off;
    int64_t result_ns;     /* when the last TaskResult was sent; 0: none waiting */
    int64_t hb_next_ns;    /* when the next Heartbeat is due */
    uint64_t hb_seq;
    uint8_t nonce[AUTH_NONCE_BYTES], cnonce[AUTH_NONCE_BYTES]; /* --key: the challenge's */
} lconn;

static struct {
    const char *coordinator;
    char host[256];
    int have_key;
    uint8_t key[AUTH_KEY_BYTES];
    tls_ctx *tls;
    int nworkers;
    uint32_t tasks;
    long pid;
    double idle_s, timeout_s;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int epfd;
    lconn *conns;          /* [nworkers] */
    lconn client;
    int opened, ready;
    int64_t hb_ms;
    lconn **hbq;           /* heartbeat queue: a ring of the ready workers, by hb_next_ns */
    int hb_head, hb_count;
    uint64_t job_id;
    int64_t poll_next_ns;
    int status_pending;
    int job_done;
    uint64_t assigns, results, heartbeats;
    int64_t first_assign_ns, last_result_ns;
    uint32_t *lat_us;      /* [tasks] */
    size_t nlat;
} g;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* VmRSS of process pid in KiB, or -1. */
static long rss_kib(long pid)
{
    char path[64], line[256];
    long kib = -1;
    if (pid <= 0) return -1;
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6)) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* User + system CPU seconds of process pid (0: this one), or -1. */
static double cpu_s(long pid)
{
    if (pid == 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
    }
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* after "pid (comm)": state, then fields 4.. */
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ------------------------------------------------------------ sending */

static void set_out(lconn *c, int on)
{
    if (c->want_out == on) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0u), .data.ptr = c};
    if (epoll_ctl(g.epfd, EPOLL_CTL_MOD, c->x.fd, &ev)) die("epoll_ctl: %s", strerror(errno));
    c->want_out = on;
}

static void flush_out(lconn *c)
{
    char e[200];
    while (c->out_off < c->out_len) {
        ssize_t w = xconn_write(&c->x, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0 && errno == EAGAIN) {
            set_out(c, c->x.blocked == XP_WANT_WRITE);
            return;
        }
        if (w <= 0) die("connection %d: send: %s", c->index, xconn_strerror(&c->x, errno, e, sizeof(e)));
        c->out_off += (size_t)w;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    set_out(c, 0);
}

/* Send one message: straight to the socket, or queued behind what is pending. */
static void send_msg(lconn *c, const Excam__Envelope *m)
{
    uint8_t buf[FRAME_BUF];
    size_t len;
    int e = wire_pack_to(m, buf, sizeof(buf), &len);
    if (e) die("cannot pack a %s: %s", wire_body_name(m), wire_strerror(e));
    size_t off = 0;
    char err[200];
    if (!c->out) {
        while (off < len) {
            ssize_t w = xconn_write(&c->x, buf + off, len - off);
            if (w < 0 && errno == EAGAIN) break;
            if (w <= 0) die("connection %d: send: %s", c->index, xconn_strerror(&c->x, errno, err, sizeof(err)));
            off += (size_t)w;
        }
        if (off == len) return;
    }
    uint8_t *p = realloc(c->out, c->out_len + (len - off));
    if (!p) die("out of memory");
    memcpy(p + c->out_len, buf + off, len - off);
    c->out = p;
    c->out_len += len - off;
    set_out(c, !c->x.ssl || c->x.blocked == XP_WANT_WRITE);
}

static void send_hello(lconn *c, int worker)
{
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__Hello h = EXCAM__HELLO__INIT;
    char name[32];
    snprintf(name, sizeof(name), worker ? "loadgen-%d" : "loadgen-client", c->index);
    h.protocol_version = WIRE_PROTOCOL_VERSION;
    h.role = worker ? EXCAM__ROLE__WORKER : EXCAM__ROLE__CLIENT;
    h.name = name;
    h.host = "loadgen";
    h.slots = worker ? 1 : 0;
    env.body_case = EXCAM__ENVELOPE__BODY_HELLO;
    env.hello = &h;
    send_msg(c, &env);
}

static void send_heartbeat(lconn *c)
{
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__Heartbeat hb = EXCAM__HEARTBEAT__INIT;
    hb.sequence = ++c->hb_seq;
    env.body_case = EXCAM__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    send_msg(c, &env);
    g.heartbeats++;
}

static void send_submit(lconn *c)
{
    static uint8_t hash[32];
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__JobSubmit s = EXCAM__JOB_SUBMIT__INIT;
    Excam__EncodeParams p = EXCAM__ENCODE_PARAMS__INIT;
    Excam__BlobRef man = EXCAM__BLOB_REF__INIT;
    for (int i = 0; i < 32; i++) hash[i] = (uint8_t)(i * 7 + 1);
    man.name = "manifest";
    man.hash.data = hash;
    man.hash.len = 32;
    man.size = 32ull * g.tasks;
    s.name = "loadgen";
    s.width = s.height = 16;
    s.frame_count = g.tasks;
    s.fps_num = s.fps_den = 1;
    s.chunk_frames = 1;
    s.rebase_chunks = 1;
    s.params = &p;
    s.input_manifest = &man;
    s.storage_uri = "";
    s.noop = 1;
    env.body_case = EXCAM__ENVELOPE__BODY_JOB_SUBMIT;
    env.job_submit = &s;
    send_msg(c, &env);
}

static void send_status_request(lconn *c)
{
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__JobStatusRequest r = EXCAM__JOB_STATUS_REQUEST__INIT;
    r.job_id = g.job_id;
    env.body_case = EXCAM__ENVELOPE__BODY_JOB_STATUS_REQUEST;
    env.job_status_request = &r;
    send_msg(c, &env);
    g.status_pending = 1;
}

/* ------------------------------------------------------------ connections */

static void open_conn(lconn *c, int index)
{
    memset(c, 0, sizeof(*c));
    c->index = index;
    int fd = socket(g.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket (connection %d): %s", index, strerror(errno));
    char err[300];
    if (xconn_init(&c->x, fd, g.tls, 0, g.host, err, sizeof(err))) die("connection %d: %s", index, err);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    wire_reader_init(&c->rd, 0);
    c->client = index < 0;
    c->state = C_CONNECTING;
    if (connect(fd, (struct sockaddr *)&g.addr, g.addrlen) && errno != EINPROGRESS)
        die("connect (connection %d): %s", index, strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    c->want_out = 1;
    if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, fd, &ev)) die("epoll_ctl: %s", strerror(errno));
}

static void hb_push(lconn *c)
{
    g.hbq[(g.hb_head + g.hb_count) % g.nworkers] = c;
    g.hb_count++;
}

/* Heartbeats that are due. The queue stays in hb_next_ns order: every worker's
 * interval is the same and each goes to the back with now + interval. */
static void heartbeats_due(int64_t now)
{
    while (g.hb_count) {
        lconn *c = g.hbq[g.hb_head];
        if (c->hb_next_ns > now) return;
        g.hb_head = (g.hb_head + 1) % g.nworkers;
        g.hb_count--;
        send_heartbeat(c);
        c->hb_next_ns = now + g.hb_ms * 1000000;
        hb_push(c);
    }
}

static void on_task(lconn *c, const Excam__TaskAssign *ta, int64_t now)
{
    if (ta->kind != EXCAM__TASK_KIND__NOOP) die("connection %d: a task of kind %d, not NOOP", c->index, ta->kind);
    now = now_ns(); /* this message may have been read well after the event's time */
    g.assigns++;
    if (!g.first_assign_ns) g.first_assign_ns = now;
    if (c->result_ns && g.nlat < g.tasks) g.lat_us[g.nlat++] = (uint32_t)((now - c->result_ns) / 1000);
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__TaskResult r = EXCAM__TASK_RESULT__INIT;
    r.task = ta->task;
    r.code = EXCAM__ERROR_CODE__ERR_NONE;
    env.body_case = EXCAM__ENVELOPE__BODY_TASK_RESULT;
    env.task_result = &r;
    c->result_ns = now_ns();
    send_msg(c, &env);
    g.results++;
    if (g.results == g.tasks) g.last_result_ns = now_ns();
}

static void on_message(lconn *c, const Excam__Envelope *m, int64_t now)
{
    if (m->body_case == EXCAM__ENVELOPE__BODY_ERROR)
        die("connection %d: the coordinator sent an error: %s", c->index, m->error->message);
    uint8_t binding[AUTH_BINDING_BYTES];
    const uint8_t *bound = xconn_binding(&c->x, binding) ? binding : NULL;
    uint32_t role = c->client ? EXCAM__ROLE__CLIENT : EXCAM__ROLE__WORKER;
    switch (c->state) {
    case C_HELLO:
    case C_CLIENT_HELLO:
        if (m->body_case == EXCAM__ENVELOPE__BODY_AUTH_CHALLENGE) {
            if (!g.have_key) die("connection %d: the coordinator asks for the job key: give --key FILE", c->index);
            Excam__Envelope env = EXCAM__ENVELOPE__INIT;
            Excam__AuthResponse ar = EXCAM__AUTH_RESPONSE__INIT;
            uint8_t mac[AUTH_MAC_BYTES];
            memcpy(c->nonce, m->auth_challenge->nonce.data, AUTH_NONCE_BYTES);
            auth_random(c->cnonce, AUTH_NONCE_BYTES);
            auth_mac(g.key, AUTH_PEER, role, c->nonce, c->cnonce, bound, mac);
            ar.client_nonce.data = c->cnonce;
            ar.client_nonce.len = AUTH_NONCE_BYTES;
            ar.mac.data = mac;
            ar.mac.len = AUTH_MAC_BYTES;
            env.body_case = EXCAM__ENVELOPE__BODY_AUTH_RESPONSE;
            env.auth_response = &ar;
            send_msg(c, &env);
            return;
        }
        if (m->body_case != EXCAM__ENVELOPE__BODY_HELLO_ACK || !m->hello_ack->accepted)
            die("connection %d: no HelloAck accepting us but a %s%s%s", c->index, wire_body_name(m),
                m->body_case == EXCAM__ENVELOPE__BODY_HELLO_ACK ? ": " : "",
                m->body_case == EXCAM__ENVELOPE__BODY_HELLO_ACK ? m->hello_ack->refusal_reason : "");
        if (g.have_key && (m->hello_ack->server_mac.len != AUTH_MAC_BYTES ||
                           !auth_check(g.key, AUTH_COORDINATOR, role, c->nonce, c->cnonce, bound,
                                       m->hello_ack->server_mac.data)))
            die("connection %d: the coordinator did not prove the job key", c->index);
        if (c->state == C_CLIENT_HELLO) {
            c->state = C_CLIENT_SUBMIT;
            send_submit(c);
            return;
        }
        c->state = C_READY;
        g.ready++;
        g.hb_ms = m->hello_ack->heartbeat_interval_ms;
        c->hb_next_ns = now + g.hb_ms * 1000000;
        hb_push(c);
        return;
    case C_READY:
        if (m->body_case != EXCAM__ENVELOPE__BODY_TASK_ASSIGN)
            die("worker %d: an unexpected %s", c->index, wire_body_name(m));
        on_task(c, m->task_assign, now);
        return;
    case C_CLIENT_SUBMIT:
        if (m->body_case != EXCAM__ENVELOPE__BODY_JOB_ACCEPTED)
            die("client: a %s, not JobAccepted", wire_body_name(m));
        g.job_id = m->job_accepted->job_id;
        c->state = C_CLIENT_POLL;
        g.poll_next_ns = now + 100000000;
        return;
    case C_CLIENT_POLL:
        if (m->body_case != EXCAM__ENVELOPE__BODY_JOB_STATUS)
            die("client: a %s, not JobStatus", wire_body_name(m));
        g.status_pending = 0;
        if (m->job_status->state == EXCAM__JOB_STATE__DONE) g.job_done = 1;
        else if (m->job_status->state != EXCAM__JOB_STATE__QUEUED &&
                 m->job_status->state != EXCAM__JOB_STATE__RUNNING)
            die("client: the job ended in state %d: %s", m->job_status->state,
                m->job_status->message ? m->job_status->message : "");
        return;
    default: die("connection %d: a %s in state %d", c->index, wire_body_name(m), c->state);
    }
}

static void on_event(lconn *c, uint32_t events, int64_t now)
{
    if (c->state == C_CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        int err = 0;
        socklen_t l = sizeof(err);
        getsockopt(c->x.fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) die("connection %d: connect: %s", c->index, strerror(err));
        c->state = C_TLS;
    }
    char es[200];
    if (c->state == C_TLS) {
        if (xconn_handshake(&c->x)) {
            if (errno != EAGAIN)
                die("connection %d: %s", c->index, xconn_strerror(&c->x, errno, es, sizeof(es)));
            set_out(c, c->x.blocked == XP_WANT_WRITE);
            return;
        }
        c->state = c->client ? C_CLIENT_HELLO : C_HELLO;
        send_hello(c, !c->client);
        if (!c->out) set_out(c, 0);
        return;
    }
    /* Under TLS a write may wait for readability: try pending output on any event. */
    if (c->out && ((events & EPOLLOUT) || c->x.ssl)) flush_out(c);
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
    for (int rounds = 0; rounds < 8 || xconn_pending(&c->x) > 0; rounds++) {
        int r = wire_reader_read_from(&c->rd, xconn_read_cb, &c->x);
        if (r == WIRE_AGAIN) return;
        if (r != WIRE_OK)
            die("connection %d: %s", c->index,
                r == WIRE_EIO ? xconn_strerror(&c->x, errno, es, sizeof(es)) : wire_strerror(r));
        for (;;) {
            Excam__Envelope *m;
            char why[256];
            int e = wire_next(&c->rd, &m, why, sizeof(why));
            if (e == WIRE_AGAIN) break;
            if (e == WIRE_EOF || e == WIRE_ETRUNC)
                die("connection %d: the coordinator closed it (%d of %d workers ready, %llu results sent)",
                    c->index, g.ready, g.nworkers, (unsigned long long)g.results);
            if (e != WIRE_OK) die("connection %d: %s: %s", c->index, wire_strerror(e), why);
            on_message(c, m, now);
            wire_free(m);
        }
    }
}

/* Run the loop until done() or the deadline (then exit with an error naming what). */
static void run_until(int (*done)(void), int64_t deadline, const char *what)
{
    struct epoll_event evs[MAX_EVENTS];
    while (!done()) {
        int64_t now = now_ns();
        if (now > deadline)
            die("%s: not done in time (%d of %d workers ready, %llu of %u results sent)", what,
                g.ready, g.nworkers, (unsigned long long)g.results, g.tasks);
        while (g.opened < g.nworkers && g.opened - g.ready < MAX_INFLIGHT) {
            open_conn(&g.conns[g.opened], g.opened);
            g.opened++;
        }
        int n = epoll_wait(g.epfd, evs, MAX_EVENTS, 10);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        now = now_ns();
        for (int i = 0; i < n; i++) on_event(evs[i].data.ptr, evs[i].events, now);
        now = now_ns();
        heartbeats_due(now);
        if (g.client.state == C_CLIENT_POLL && !g.status_pending && now >= g.poll_next_ns) {
            send_status_request(&g.client);
            g.poll_next_ns = now + 100000000;
        }
    }
}

static int all_ready(void) { return g.ready == g.nworkers; }
static int64_t idle_until;
static int idle_over(void) { return now_ns() >= idle_until; }
static int job_finished(void) { return g.job_done; }

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(double p)
{
    if (!g.nlat) return 0;
    size_t i = (size_t)(p * (double)(g.nlat - 1) + 0.5);
    return g.lat_us[i] / 1000.0;
}

static void usage(void)
{
    fputs("usage: loadgen --coordinator HOST:PORT --workers N --tasks T [--pid PID] [--idle S] [--timeout S]\n"
          "               [--key FILE] [--tls-ca FILE]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *key_file = NULL, *tls_ca = NULL;
    g.idle_s = 2;
    g.timeout_s = 300;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        if (!strcmp(a, "--coordinator")) g.coordinator = v;
        else if (!strcmp(a, "--workers")) g.nworkers = atoi(v);
        else if (!strcmp(a, "--tasks")) g.tasks = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--pid")) g.pid = atol(v);
        else if (!strcmp(a, "--idle")) g.idle_s = atof(v);
        else if (!strcmp(a, "--timeout")) g.timeout_s = atof(v);
        else if (!strcmp(a, "--key")) key_file = v;
        else if (!strcmp(a, "--tls-ca")) tls_ca = v;
        else usage();
    }
    char err[1200];
    if (auth_init(err, sizeof(err))) die("%s", err);
    if (key_file) {
        if (auth_key_load(key_file, g.key, err, sizeof(err))) die("%s", err);
        g.have_key = 1;
    }
    if (tls_ca && tls_client_ctx(tls_ca, NULL, NULL, &g.tls, err, sizeof(err))) die("%s", err);
    signal(SIGPIPE, SIG_IGN); /* OpenSSL writes with write(), not MSG_NOSIGNAL */
    if (!g.coordinator || g.nworkers < 1 || g.tasks < 1 || g.tasks > WIRE_MAX_JOB_FRAMES) usage();

    /* As many descriptors as allowed: N workers, the client, epoll, stdio. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl)) die("getrlimit: %s", strerror(errno));
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)g.nworkers + 16)
        die("the descriptor limit is %llu, %d connections need %d (raise ulimit -Hn)",
            (unsigned long long)rl.rlim_cur, g.nworkers, g.nworkers + 16);

    char *host = g.host;
    const char *colon = strrchr(g.coordinator, ':');
    if (!colon || (size_t)(colon - g.coordinator) >= sizeof(g.host)) usage();
    memcpy(host, g.coordinator, (size_t)(colon - g.coordinator));
    host[colon - g.coordinator] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    int e = getaddrinfo(host, colon + 1, &hints, &ai);
    if (e) die("%s: %s", g.coordinator, gai_strerror(e));
    memcpy(&g.addr, ai->ai_addr, ai->ai_addrlen);
    g.addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);

    g.conns = calloc((size_t)g.nworkers, sizeof(*g.conns));
    g.hbq = calloc((size_t)g.nworkers, sizeof(*g.hbq));
    g.lat_us = malloc((size_t)g.tasks * sizeof(*g.lat_us));
    if (!g.conns || !g.hbq || !g.lat_us) die("out of memory");
    if ((g.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll: %s", strerror(errno));

    int64_t t0 = now_ns(), deadline = t0 + (int64_t)(g.timeout_s * 1e9);
    long rss_before = rss_kib(g.pid);
    fprintf(stderr, "loadgen: %d workers connecting to %s\n", g.nworkers, g.coordinator);
    run_until(all_ready, deadline, "connecting");
    double connect_s = (double)(now_ns() - t0) / 1e9;
    fprintf(stderr, "loadgen: %d workers connected in %.2f s; idle for %.1f s\n", g.nworkers, connect_s,
            g.idle_s);
    idle_until = now_ns() + (int64_t)(g.idle_s * 1e9);
    run_until(idle_over, deadline, "idle");
    long rss_idle = rss_kib(g.pid);
    uint64_t idle_heartbeats = g.heartbeats;

    fprintf(stderr, "loadgen: submitting a NOOP job of %u tasks\n", g.tasks);
    double coord_cpu0 = g.pid > 0 ? cpu_s(g.pid) : -1, self_cpu0 = cpu_s(0);
    open_conn(&g.client, -1);
    run_until(job_finished, deadline, "the job");
    double coord_cpu = g.pid > 0 ? cpu_s(g.pid) - coord_cpu0 : -1, self_cpu = cpu_s(0) - self_cpu0;
    long rss_end = rss_kib(g.pid);
    double secs = (double)(g.last_result_ns - g.first_assign_ns) / 1e9;
    qsort(g.lat_us, g.nlat, sizeof(*g.lat_us), cmp_u32);
    double rate = secs > 0 ? g.tasks / secs : 0;
    double per_conn = rss_before >= 0 && rss_idle >= 0 ? (double)(rss_idle - rss_before) / g.nworkers : -1;
    fprintf(stderr, "loadgen: %u tasks in %.2f s: %.0f tasks/s; latency p50 %.3f ms, p99 %.3f ms, max %.3f ms "
                    "(%zu samples); %llu heartbeats; coordinator RSS %ld / %ld / %ld KiB; CPU during the job: "
                    "coordinator %.2f s (%.1f us/task), loadgen %.2f s\n",
            g.tasks, secs, rate, pct_ms(0.5), pct_ms(0.99), pct_ms(1.0), g.nlat,
            (unsigned long long)g.heartbeats, rss_before, rss_idle, rss_end, coord_cpu,
            coord_cpu * 1e6 / g.tasks, self_cpu);
    printf("RESULT workers=%d tasks=%u seconds=%.3f rate=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
           "samples=%zu assigns=%llu heartbeats=%llu idle_heartbeats=%llu connect_s=%.2f "
           "rss_before_kib=%ld rss_idle_kib=%ld rss_end_kib=%ld kib_per_conn=%.2f coord_cpu_s=%.2f "
           "loadgen_cpu_s=%.2f\n",
           g.nworkers, g.tasks, secs, rate, pct_ms(0.5), pct_ms(0.99), pct_ms(1.0), g.nlat,
           (unsigned long long)g.assigns, (unsigned long long)g.heartbeats,
           (unsigned long long)idle_heartbeats, connect_s, rss_before, rss_idle, rss_end, per_conn,
           coord_cpu, self_cpu);
    fflush(stdout);
    /* Close everything at once: the process exits. */
    return 0;
}
