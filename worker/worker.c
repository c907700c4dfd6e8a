/*
 * The worker process (see worker.h).
 */
#include "worker.h"

#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "blobcache.h"
#include "blobstore.h"
#include "cli.h"
#include "link.h"
#include "proto/excam.pb-c.h"
#include "tasks.h"
#include "wire.h"

void worker_opts_default(worker_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->retry_for = 60;
    o->cache_bytes = (size_t)128 << 20;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void wlog(const worker_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wlog(const worker_opts *o, const char *fmt, ...)
{
    char line[1100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "excam worker %s: %s\n", o->name, line);
}

/* ------------------------------------------------------------ the connection */

typedef struct wlink {
    mlink ml;
    pthread_mutex_t lock;     /* one writer at a time: the task loop and the heartbeats;
                               * under TLS also each read (ml.lock) */
    pthread_cond_t wake;
    int stop;                 /* heartbeats: stop (under lock) */
    int interval_ms;
    uint64_t seq;
    Excam__TaskRef running;   /* the task being run (job_id 0: none), under lock */
} wlink;

static int send_locked(wlink *l, const Excam__Envelope *m)
{
    char why[256];
    return mlink_send(&l->ml, m, why, sizeof(why));
}

static void *heartbeats(void *arg)
{
    wlink *l = arg;
    pthread_mutex_lock(&l->lock);
    while (!l->stop) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += l->interval_ms / 1000;
        t.tv_nsec += (long)(l->interval_ms % 1000) * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&l->wake, &l->lock, &t);
        if (l->stop) break;
        Excam__Envelope env = EXCAM__ENVELOPE__INIT;
        Excam__Heartbeat hb = EXCAM__HEARTBEAT__INIT;
        Excam__TaskRef *run[1] = {&l->running};
        hb.sequence = ++l->seq;
        if (l->running.job_id) {
            hb.n_running = 1;
            hb.running = run;
        }
        env.body_case = EXCAM__ENVELOPE__BODY_HEARTBEAT;
        env.heartbeat = &hb;
        if (send_locked(l, &env)) break; /* the task loop will notice too */
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

/* ------------------------------------------------------------ tasks */

typedef struct runner {
    blobstore *bs;
    blobcache *cache;
    char uri[WIRE_MAX_TEXT + 1];
    const worker_opts *o;
} runner;

/* Storage's retries go to the log: a flaky server should be visible. */
static void storage_log(void *ctx, const char *line) { wlog(ctx, "storage: %s", line); }

typedef struct result {
    int code;
    char message[WIRE_MAX_TEXT];
    task_buf out[2];
    const char *out_name[2];
    uint8_t hash[2][32];
    const char *lost; /* ERR_NOT_FOUND: the input storage lost (or had corrupt) */
    double cpu_in, cpu_codec; /* CPU seconds fetching the inputs, then in the codec (the
                               * rest of the task's is storing the outputs) */
} result;

static int fail(result *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(result *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    r->code = code;
    return -1;
}

/* An input of the task: its bytes, and where they came from. */
typedef struct input_buf {
    task_buf b;
    const uint8_t *hash; /* the task's hash of it (NULL: not fetched) */
    int borrowed;        /* b.data belongs to the cache */
} input_buf;

/* Fetch input `name` of the task: from the cache, else from storage (verified against
 * its hash). */
static int input(runner *rn, const Excam__TaskAssign *ta, const char *name, input_buf *ib, result *r)
{
    char err[512];
    task_buf *b = &ib->b;
    for (size_t i = 0; i < ta->n_inputs; i++) {
        if (strcmp(ta->inputs[i]->name, name)) continue;
        if (ta->inputs[i]->hash.len != 32)
            return fail(r, EXCAM__ERROR_CODE__ERR_BAD_REQUEST, "input %s: a hash of %zu bytes",
                        name, ta->inputs[i]->hash.len);
        const uint8_t *cached = blobcache_get(rn->cache, ta->inputs[i]->hash.data, &b->len);
        if (cached && (!ta->inputs[i]->size || b->len == ta->inputs[i]->size)) {
            b->data = (uint8_t *)cached;
            ib->borrowed = 1;
            ib->hash = ta->inputs[i]->hash.data;
            return 0;
        }
        int e = blobstore_get(rn->bs, ta->inputs[i]->hash.data, &b->data, &b->len, err, sizeof(err));
        if (e == BLOB_ENOTFOUND || e == BLOB_ECORRUPT) {
            /* Gone, or damaged and now deleted: the coordinator has it made again. */
            r->lost = ta->inputs[i]->name;
            return fail(r, EXCAM__ERROR_CODE__ERR_NOT_FOUND, "input %s: %s", name, err);
        }
        if (e) return fail(r, EXCAM__ERROR_CODE__ERR_STORAGE, "input %s: %s", name, err);
        if (ta->inputs[i]->size && b->len != ta->inputs[i]->size) {
            free(b->data);
            b->data = NULL;
            return fail(r, EXCAM__ERROR_CODE__ERR_STORAGE, "input %s: %zu bytes, not %llu", name,
                        b->len, (unsigned long long)ta->inputs[i]->size);
        }
        ib->hash = ta->inputs[i]->hash.data;
        return 0;
    }
    return fail(r, EXCAM__ERROR_CODE__ERR_BAD_REQUEST, "the task has no input named %s", name);
}

static double cpu_seconds(void);

static int run_task(runner *rn, const Excam__TaskAssign *ta, result *r)
{
    char err[512];
    input_buf in[5];
    memset(in, 0, sizeof(in));
    excam_image **src = NULL;
    int nsrc = 0, ret = -1;

    memset(r, 0, sizeof(*r));
    if (ta->kind == EXCAM__TASK_KIND__NOOP) return 0;
    if (!rn->bs || strcmp(rn->uri, ta->storage_uri)) {
        if (rn->bs) blobstore_close(rn->bs);
        rn->bs = NULL;
        if (blobstore_open(ta->storage_uri, &rn->bs, err, sizeof(err)))
            return fail(r, EXCAM__ERROR_CODE__ERR_STORAGE, "%s", err);
        blobstore_set_log(rn->bs, storage_log, (void *)rn->o);
        snprintf(rn->uri, sizeof(rn->uri), "%s", ta->storage_uri);
    }
    const Excam__EncodeParams *ep = ta->params;
    if (!ep) return fail(r, EXCAM__ERROR_CODE__ERR_BAD_REQUEST, "no encode parameters");
    task_params p = {(int)ep->q_key,     (int)ep->q_inter,
                     (int)ep->q_key - (int)ep->first_boost,     (int)ep->speed,
                     (int)ep->token_partitions, (int)ep->sharpness, ep->verify,
                     ta->group_start,    ep->stage1 == 1,           (int)ta->first_frame};
    double c0 = cpu_seconds();
    /* Every input first, then the codec, then the outputs: three phases timed apart. */
    if (input(rn, ta, "source", &in[0], r)) goto done;
    if (ta->kind == EXCAM__TASK_KIND__REENCODE && input(rn, ta, "prev-state", &in[1], r)) goto done;
    if (ta->kind == EXCAM__TASK_KIND__REBASE &&
        (input(rn, ta, "re-frame", &in[1], r) || input(rn, ta, "enc-frames", &in[2], r) ||
         input(rn, ta, "stage1-prev-state", &in[3], r) || input(rn, ta, "prev-state", &in[4], r)))
        goto done;
    double c1 = cpu_seconds();
    r->cpu_in = c1 - c0;
    if (task_source_unpack(in[0].b.data, in[0].b.len, &src, &nsrc, err, sizeof(err))) {
        fail(r, EXCAM__ERROR_CODE__ERR_BAD_REQUEST, "source: %s", err);
        goto done;
    }
    if ((uint32_t)nsrc != ta->frame_count) {
        fail(r, EXCAM__ERROR_CODE__ERR_BAD_REQUEST, "source: %d frames, not %u", nsrc, ta->frame_count);
        goto done;
    }
    r->out_name[0] = "frames";
    switch (ta->kind) {
    case EXCAM__TASK_KIND__ENCODE:
        r->out_name[1] = "state";
        if (task_encode(src, nsrc, &p, &r->out[0], &r->out[1], err, sizeof(err))) {
            fail(r, EXCAM__ERROR_CODE__ERR_CODEC, "%s", err);
            goto done;
        }
        break;
    case EXCAM__TASK_KIND__REENCODE:
        if (task_reencode(src[0], in[1].b.data, in[1].b.len, &p, &r->out[0], err, sizeof(err))) {
            fail(r, EXCAM__ERROR_CODE__ERR_CODEC, "%s", err);
            goto done;
        }
        break;
    case EXCAM__TASK_KIND__REBASE:
        r->out_name[1] = "state";
        if (task_rebase(src, nsrc, in[1].b.data, in[1].b.len, in[2].b.data, in[2].b.len, in[3].b.data,
                        in[3].b.len, in[4].b.data, in[4].b.len, &p, &r->out[0], &r->out[1], err,
                        sizeof(err))) {
            fail(r, EXCAM__ERROR_CODE__ERR_CODEC, "%s", err);
            goto done;
        }
        break;
    default: fail(r, EXCAM__ERROR_CODE__ERR_BAD_REQUEST, "unknown task kind %d", ta->kind); goto done;
    }
    r->cpu_codec = cpu_seconds() - c1;
    for (int o = 0; o < 2; o++)
        if (r->out_name[o] &&
            blobstore_put(rn->bs, r->out[o].data, r->out[o].len, r->hash[o], err, sizeof(err))) {
            fail(r, EXCAM__ERROR_CODE__ERR_STORAGE, "cannot store %s: %s", r->out_name[o], err);
            goto done;
        }
    ret = 0;
done:
    /* What was fetched from storage is kept for the next tasks (see blobcache.h). */
    for (int i = 0; i < 5; i++)
        if (!in[i].borrowed && in[i].hash && in[i].b.data)
            blobcache_put(rn->cache, in[i].hash, in[i].b.data, in[i].b.len);
        else if (!in[i].borrowed)
            free(in[i].b.data);
    for (int i = 0; i < nsrc; i++)
        excam_image_free(src[i]);
    free(src);
    return ret;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Run one assignment and report it; 0, or -1 when the report could not be sent. */
static int handle_task(wlink *l, runner *rn, const worker_opts *o, const Excam__TaskAssign *ta)
{
    result r;
    pthread_mutex_lock(&l->lock);
    l->running = *ta->task;
    pthread_mutex_unlock(&l->lock);
    double t0 = cpu_seconds(), w0 = now_s();
    /* A test hook: a straggler (it keeps sending heartbeats while it dawdles), on every
     * task or, with EXCAM_WORKER_SLOW_KIND=rebase (encode, re-encode), on that kind's. */
    const char *slow = getenv("EXCAM_WORKER_SLOW"), *slow_kind = getenv("EXCAM_WORKER_SLOW_KIND");
    static const char *const kind_names[] = {"?", "encode", "re-encode", "rebase", "no-op"};
    if (slow && atof(slow) > 0 &&
        (!slow_kind || ((unsigned)ta->kind < 5 && !strcmp(slow_kind, kind_names[ta->kind]))))
        usleep((useconds_t)(atof(slow) * 1e6));
    /* And another (tests/t_pipeline.sh): up to 30 ms before each task, at random, so
     * that tasks finish in an order of their own. */
    const char *shuffle = getenv("EXCAM_PIPELINE_SHUFFLE");
    if (shuffle && *shuffle) {
        static unsigned seed;
        if (!seed) seed = (unsigned)strtoul(shuffle, NULL, 10) * 2654435761u + (unsigned)getpid();
        seed = seed * 1103515245u + 12345u;
        usleep((seed >> 8) % 30000);
    }
    int bad = run_task(rn, ta, &r);
    double cpu = cpu_seconds() - t0;

    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__TaskResult res = EXCAM__TASK_RESULT__INIT;
    Excam__BlobRef out[2], *outp[2];
    res.task = (Excam__TaskRef *)ta->task;
    res.cpu_seconds = cpu;
    char *lost = (char *)r.lost;
    if (bad) {
        res.code = r.code;
        res.message = r.message;
        if (r.lost) {
            res.n_lost_inputs = 1;
            res.lost_inputs = &lost;
        }
        wlog(o, "task %llu/%llu failed: %s", (unsigned long long)ta->task->job_id,
             (unsigned long long)ta->task->task_id, r.message);
    } else {
        for (int i = 0; i < 2; i++) {
            if (!r.out_name[i]) continue;
            excam__blob_ref__init(&out[res.n_outputs]);
            out[res.n_outputs].name = (char *)r.out_name[i];
            out[res.n_outputs].hash.data = r.hash[i];
            out[res.n_outputs].hash.len = 32;
            out[res.n_outputs].size = r.out[i].len;
            outp[res.n_outputs] = &out[res.n_outputs];
            res.n_outputs++;
        }
        res.outputs = outp;
        if (o->verbose) {
            unsigned k = (unsigned)ta->kind;
            uint64_t hits, misses;
            size_t held;
            blobcache_stats(rn->cache, &hits, &misses, &held);
            wlog(o, "task %llu/%llu (%s, %u frames) done in %.3f s; CPU %.3f s: inputs %.3f, "
                    "codec %.3f, outputs %.3f; cache %llu hits, %llu misses, %.1f MiB",
                 (unsigned long long)ta->task->job_id, (unsigned long long)ta->task->task_id,
                 k < 5 ? kind_names[k] : "?", ta->frame_count, now_s() - w0, cpu, r.cpu_in,
                 r.cpu_codec, cpu - r.cpu_in - r.cpu_codec, (unsigned long long)hits,
                 (unsigned long long)misses, held / 1048576.0);
        }
    }
    env.body_case = EXCAM__ENVELOPE__BODY_TASK_RESULT;
    env.task_result = &res;
    pthread_mutex_lock(&l->lock);
    memset(&l->running, 0, sizeof(l->running));
    excam__task_ref__init(&l->running);
    int e = send_locked(l, &env);
    pthread_mutex_unlock(&l->lock);
    /* The outputs stored: kept too (the next rebase in the chain wants the state). */
    for (int i = 0; i < 2; i++)
        if (!bad && r.out_name[i])
            blobcache_put(rn->cache, r.hash[i], r.out[i].data, r.out[i].len);
        else
            free(r.out[i].data);
    return e;
}

/* ------------------------------------------------------------ the loop */

/* After a failed dial: 1 (err set) once the coordinator has been out of reach for
 * retry_for seconds, else 0 after waiting the backoff (0.1 s doubling up to 2 s). */
static int pause_or_give_up(const worker_opts *o, double last_ok, double *backoff, const char *why,
                            char *err, size_t errlen)
{
    if (o->retry_for >= 0 && now_s() - last_ok > o->retry_for) {
        snprintf(err, errlen, "cannot reach the coordinator %s for %.0f s: %s", o->coordinator,
                 o->retry_for, why);
        return 1;
    }
    if (o->verbose) wlog(o, "%s", why);
    usleep((useconds_t)(*backoff * 1e6));
    *backoff = *backoff * 2 > 2 ? 2 : *backoff * 2;
    return 0;
}

int worker_run(const worker_opts *o_in, char *err, size_t errlen)
{
    worker_opts o = *o_in;
    char name[64], host[256] = "";
    runner rn = {0};
    rn.o = &o;
    /* A task allocates and frees buffers of megabytes (pictures, states, chunks). By
     * default glibc maps each from the kernel afresh and unmaps it when freed, and the
     * new pages fault in zeroed every time: with the blob cache holding its blobs, a
     * third of a rebase task's CPU went to page faults (flower 720p: 110,000 faults in
     * a 60-frame job instead of 17,000). A worker is a process of its own with a steady
     * working set: keep such buffers in the heap and reuse them. */
    cli_keep_buffers();
    if (o.cache_bytes && !(rn.cache = blobcache_new(o.cache_bytes))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int tasks = 0;
    double last_ok = now_s(), backoff = 0.1;

    if (!o.name) {
        snprintf(name, sizeof(name), "worker-%ld", (long)getpid());
        o.name = name;
    }
    gethostname(host, sizeof(host) - 1);
    for (;;) {
        char why[512];
        wlink l;
        memset(&l, 0, sizeof(l));
        int d = mlink_dial(&l.ml, o.coordinator, &o.sec, 30000, why, sizeof(why));
        if (d == LINK_FATAL) {
            snprintf(err, errlen, "coordinator %s: %s", o.coordinator, why);
            if (rn.bs) blobstore_close(rn.bs);
            blobcache_free(rn.cache);
            return -1;
        }
        if (d) {
            if (pause_or_give_up(&o, last_ok, &backoff, why, err, errlen)) {
                if (rn.bs) blobstore_close(rn.bs);
                blobcache_free(rn.cache);
                return -1;
            }
            continue;
        }
        excam__task_ref__init(&l.running);
        pthread_mutex_init(&l.lock, NULL);
        pthread_cond_init(&l.wake, NULL);
        if (l.ml.x.ssl) l.ml.lock = &l.lock;

        Excam__Envelope *m = NULL;
        Excam__Hello hello = EXCAM__HELLO__INIT;
        hello.protocol_version = WIRE_PROTOCOL_VERSION;
        hello.role = EXCAM__ROLE__WORKER;
        hello.name = (char *)o.name;
        hello.host = host;
        hello.slots = 1;
        int refused = 0, quit = 0, hello_failed = 0;
        pthread_t hb;
        int hb_started = 0;
        uint32_t interval = 0;
        /* The handshake has a time limit; waiting for tasks has none. */
        int h = mlink_hello(&l.ml, &hello, &o.sec, NULL, &interval, why, sizeof(why));
        l.ml.timeout_ms = 0;
        if (h == LINK_RETRY) {
            if (o.verbose) wlog(&o, "hello failed: %s", why);
            hello_failed = 1;
        } else if (h == LINK_FATAL) {
            /* A wrong key or an untrusted coordinator is a configuration error that
             * dialling again cannot fix: say so and exit rather than knock for ever. */
            snprintf(err, errlen, "coordinator %s: %s", o.coordinator, why);
            refused = 1;
        } else {
            l.interval_ms = (int)interval;
            if (o.verbose) wlog(&o, "connected to %s%s", o.coordinator, l.ml.x.ssl ? " (TLS)" : "");
            last_ok = now_s();
            backoff = 0.1;
            hb_started = !pthread_create(&hb, NULL, heartbeats, &l);
            for (;;) {
                wire_free(m);
                m = NULL;
                if (mlink_recv(&l.ml, &m, why, sizeof(why))) {
                    if (o.verbose) wlog(&o, "%s", why);
                    break;
                }
                if (m->body_case == EXCAM__ENVELOPE__BODY_TASK_ASSIGN) {
                    if (handle_task(&l, &rn, &o, m->task_assign)) break;
                    if (o.max_tasks && ++tasks >= o.max_tasks) {
                        quit = 1;
                        break;
                    }
                } else if (m->body_case == EXCAM__ENVELOPE__BODY_ERROR) {
                    wlog(&o, "the coordinator says: %s", m->error->message);
                }
            }
            last_ok = now_s();
        }
        wire_free(m);
        if (hb_started) {
            pthread_mutex_lock(&l.lock);
            l.stop = 1;
            pthread_cond_signal(&l.wake);
            pthread_mutex_unlock(&l.lock);
            shutdown(l.ml.x.fd, SHUT_RDWR);
            pthread_join(hb, NULL);
        }
        mlink_close(&l.ml);
        pthread_mutex_destroy(&l.lock);
        pthread_cond_destroy(&l.wake);
        /* Connected but no hello: a coordinator that hangs up at once (or speaks TLS
         * to our plaintext) is as good as unreachable: wait, and give up in time. */
        if (hello_failed && pause_or_give_up(&o, last_ok, &backoff, why, err, errlen)) {
            if (rn.bs) blobstore_close(rn.bs);
            blobcache_free(rn.cache);
            return -1;
        }
        if (refused || quit) {
            if (rn.bs) blobstore_close(rn.bs);
            blobcache_free(rn.cache);
            return refused ? -1 : 0;
        }
    }
}
