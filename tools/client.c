/*
 * The job client (see client.h).
 */
#include "client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "blobstore.h"
#include "cli.h"
#include "container.h"
#include "complexity.h"
#include "firstpass.h"
#include "link.h"
#include "outfile.h"
#include "proto/excam.pb-c.h"
#include "wire.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ the connection */

typedef mlink clink;

static void link_close(clink *l) { mlink_close(l); }

static int link_send(clink *l, const Excam__Envelope *m, char *why, size_t whylen)
{
    return mlink_send(l, m, why, whylen);
}

static int link_recv(clink *l, Excam__Envelope **m, char *why, size_t whylen)
{
    return mlink_recv(l, m, why, whylen);
}

/* Connect (TLS if configured), hello, prove the key, and check the acknowledgement.
 * 0, -1 (unreachable: worth another try) or -2 (refused or untrusted). A coordinator
 * that takes a request and never answers is a broken one: 30 s at most per answer. */
static int link_hello(clink *l, const char *spec, const link_sec *sec, char *why, size_t whylen)
{
    Excam__Hello h = EXCAM__HELLO__INIT;
    char host[256] = "", name[64];
    int e = mlink_dial(l, spec, sec, 30000, why, whylen);
    if (e) return e == LINK_FATAL ? -2 : -1;
    gethostname(host, sizeof(host) - 1);
    snprintf(name, sizeof(name), "client-%ld", (long)getpid());
    h.protocol_version = WIRE_PROTOCOL_VERSION;
    h.role = EXCAM__ROLE__CLIENT;
    h.name = name;
    h.host = host;
    e = mlink_hello(l, &h, sec, NULL, NULL, why, whylen);
    if (e) link_close(l);
    return e == 0 ? 0 : e == LINK_FATAL ? -2 : -1;
}

/* Send a request and take the reply (an Error reply is an error). */
static int request(clink *l, const Excam__Envelope *req, Excam__Envelope **rep, char *why, size_t whylen)
{
    *rep = NULL;
    if (link_send(l, req, why, whylen) || link_recv(l, rep, why, whylen)) return -1;
    if ((*rep)->body_case == EXCAM__ENVELOPE__BODY_ERROR) {
        snprintf(why, whylen, "%s", (*rep)->error->message);
        wire_free(*rep);
        *rep = NULL;
        return -2;
    }
    return 0;
}

/* ------------------------------------------------------------ encode */

static volatile sig_atomic_t stop_signal;
static void on_stop(int sig) { stop_signal = sig; }

static const char *const stage_names[4] = {"", "encode", "re-encode", "rebase"};

static void show_progress(const Excam__JobStatus *st, double t0, int final)
{
    char line[256];
    size_t n = 0;
    uint32_t done = 0, total = 0;
    for (size_t i = 0; i < st->n_stages; i++) {
        const Excam__StageProgress *s = st->stages[i];
        if (s->stage < 1 || s->stage > 3) continue;
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %u/%u", n ? ", " : "",
                              stage_names[s->stage], s->done, s->total);
        done += s->done;
        total += s->total;
    }
    double t = now_s() - t0;
    if (done && done < total)
        n += (size_t)snprintf(line + n, sizeof(line) - n, ", ETA %.0f s", t * (total - done) / done);
    fprintf(stderr, "\rexcam encode: job %llu: %s   %s", (unsigned long long)st->job_id, line,
            final ? "\n" : "");
    cli_progress_shown = !final;
}

/* Read the input chunk by chunk into storage; the manifest's hash in man_hash. With cx,
 * every frame also goes to cx (complexity.h). */
static int upload(y4m_reader *in, int skip, int limit, int chunk, blobstore *bs, firstpass *fp,
                  complexity *cx, uint8_t man_hash[32], int *frames_out, int *chunks_out)
{
    char err[512];
    excam_image **f = calloc((size_t)chunk, sizeof(*f));
    uint8_t *man = NULL;
    int frames = 0, chunks = 0, ret = -1;
    if (!f) goto nomem;
    for (int i = 0; i < chunk; i++)
        if (!(f[i] = excam_image_alloc(in->width, in->height))) goto nomem;
    for (int eof = 0; !eof;) {
        int n = 0;
        while (n < chunk && (limit < 0 || frames + n < limit)) {
            int r = y4m_read_frame(in, f[n]);
            if (r < 0) {
                cli_error("%s: %s", in->name, in->err);
                goto done;
            }
            if (r == 0) {
                eof = 1;
                break;
            }
            if (in->frames_read <= (unsigned)skip) continue;
            n++;
        }
        if (limit >= 0 && frames + n >= limit) eof = 1;
        if (!n) break;
        if (fp && firstpass_want(fp, frames)) {
            int g = firstpass_group_frames(fp);
            int e = firstpass_add(fp, frames, f, n < g ? n : g);
            if (e) {
                cli_error("%s: first pass at frame %d: %s", in->name, frames + 1, excam_strerror(e));
                goto done;
            }
        }
        for (int i = 0; cx && i < n; i++)
            if (complexity_add(cx, f[i])) goto nomem;
        task_buf src;
        if (task_source_pack(f, n, &src)) goto nomem;
        uint8_t *p = realloc(man, (size_t)(chunks + 1) * 32);
        if (!p) {
            free(src.data);
            goto nomem;
        }
        man = p;
        int e = blobstore_put(bs, src.data, src.len, man + 32 * chunks, err, sizeof(err));
        free(src.data);
        if (e) {
            cli_error("storage: %s", err);
            goto done;
        }
        chunks++;
        frames += n;
    }
    if (!frames) {
        cli_error("%s: no frames to encode", in->name);
        goto done;
    }
    if (blobstore_put(bs, man, (size_t)chunks * 32, man_hash, err, sizeof(err))) {
        cli_error("storage: %s", err);
        goto done;
    }
    *frames_out = frames;
    *chunks_out = chunks;
    ret = 0;
    goto done;
nomem:
    cli_error("out of memory");
done:
    for (int i = 0; f && i < chunk; i++)
        excam_image_free(f[i]);
    free(f);
    free(man);
    return ret;
}

/* The finished job's chunks into the IVF file. */
static int download(blobstore *bs, const Excam__JobStatus *st, const y4m_reader *in, int frames,
                    int chunks, const char *output, int webm, client_result *res)
{
    char err[512];
    uint8_t *man = NULL, *blob = NULL;
    size_t man_len, len;
    outfile out = {0};
    container_writer cw;
    int written = 0, ret = 1;
    out.slot = -1;
    memset(&cw, 0, sizeof(cw));
    const Excam__BlobRef *ref = NULL;
    for (size_t i = 0; i < st->n_outputs; i++)
        if (!strcmp(st->outputs[i]->name, "chunks")) ref = st->outputs[i];
    if (!ref) {
        cli_error("the coordinator reports the job done but names no output");
        return 1;
    }
    if (blobstore_get(bs, ref->hash.data, &man, &man_len, err, sizeof(err))) {
        cli_error("storage: the output manifest: %s", err);
        return 1;
    }
    if (man_len != (size_t)chunks * 32) {
        cli_error("the output manifest lists %zu chunks, not %d", man_len / 32, chunks);
        goto done;
    }
    if (outfile_open(&out, output)) goto done;
    uint32_t num = in->fps_num ? in->fps_num : 30, den = in->fps_num ? in->fps_den : 1;
    if (container_start(&cw, webm ? CONTAINER_WEBM : CONTAINER_IVF, out.f, in->width,
                        in->height, num, den)) {
        cli_error("%s: %s", output, cw.err);
        goto done;
    }
    for (int k = 0; k < chunks; k++) {
        task_frames fs;
        if (blobstore_get(bs, man + 32 * k, &blob, &len, err, sizeof(err))) {
            cli_error("storage: chunk %d: %s", k + 1, err);
            goto done;
        }
        if (task_frames_parse(blob, len, &fs)) {
            cli_error("storage: chunk %d: not a frames blob", k + 1);
            goto done;
        }
        for (int i = 0; i < fs.n; i++) {
            if (container_write(&cw, fs.data[i], fs.len[i], (uint64_t)written)) {
                task_frames_free(&fs);
                cli_error("%s: %s", output, cw.err);
                goto done;
            }
            res->bytes += fs.len[i];
            written++;
        }
        task_frames_free(&fs);
        free(blob);
        blob = NULL;
    }
    if (written != frames) {
        cli_error("the job's chunks hold %d frames, not %d", written, frames);
        goto done;
    }
    if (container_finish(&cw)) {
        cli_error("%s: %s", output, cw.err);
        goto done;
    }
    if (outfile_commit(&out)) goto done;
    ret = 0;
done:
    container_free(&cw);
    if (ret) outfile_abort(&out);
    free(man);
    free(blob);
    return ret;
}

/* Storage's retries: a flaky server should be visible. */
static void storage_log(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "excam encode: storage: %s\n", line);
}

int client_encode(y4m_reader *in, int skip, int limit, const client_opts *o, const char *output,
                  client_result *res)
{
    char err[512], why[512];
    blobstore *bs = NULL;
    uint8_t man_hash[32];
    int frames = 0, chunks = 0, ret = 1;
    clink l = {.x = {.fd = -1}};
    Excam__Envelope *rep = NULL;
    double t0 = now_s();
    firstpass *fp = NULL;
    complexity *cx = NULL;
    double *cx_err = NULL;
    int *cx_frames = NULL;
    uint8_t *qs = NULL;
    uint8_t q_hash[32];
    int per_chunk = 0;
    task_params params = o->params;

    memset(res, 0, sizeof(*res));
    if (blobstore_open(o->storage, &bs, err, sizeof(err))) {
        cli_error("--storage: %s", err);
        return 1;
    }
    /* A coordinator that is down or refuses us (a wrong key, an untrusted certificate)
     * is found out before the whole input goes to storage. */
    int hr = link_hello(&l, o->coordinator, &o->sec, why, sizeof(why));
    if (hr) {
        cli_error("coordinator %s: %s", o->coordinator, why);
        goto done;
    }
    link_close(&l); /* an upload may outlast the coordinator's idle limit for clients */
    if (!o->quiet) blobstore_set_log(bs, storage_log, NULL);
    if (o->target_kbps > 0 && !(fp = firstpass_new(in->width, in->height,
                                                     o->params.speed > 8 ? o->params.speed : 8))) {
        cli_error("out of memory");
        goto done;
    }
    if (fp) firstpass_set_length(fp, y4m_frames_to_encode(in, skip, limit));
    if (fp && o->bias_pct != 100) {
        /* The measure's threads: the machine's cores, idle while the input is uploaded
         * (the job starts after). */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        if (!(cx = complexity_new(in->width, in->height, cores > 1 ? (int)cores : 1))) {
            cli_error("out of memory (or no thread) for measuring the frames");
            goto done;
        }
    }
    if (upload(in, skip, limit, o->chunk, bs, fp, cx, man_hash, &frames, &chunks)) goto done;
    res->frames = frames;
    res->chunks = chunks;
    if (fp) {
        /* The quantizers for the bitrate: one key frame per group of x chunks. */
        double fps = in->fps_num && in->fps_den ? (double)in->fps_num / in->fps_den : 30.0, pred;
        long keys = (chunks + o->rebase - 1) / o->rebase;
        int q = firstpass_pick(fp, frames, keys, chunks - keys, fps, o->target_kbps, o->min_qi,
                               o->max_qi, &pred);
        if (q < 0) {
            cli_error("%s: the first pass took no sample", in->name);
            goto done;
        }
        params.q_inter = q;
        params.q_key = firstpass_key_q(q, o->min_qi);
        params.q_first = task_first_q(params.q_key, q, o->min_qi);
        res->q_index = res->q_min = res->q_max = q;
        res->predicted_kbps = pred;
        if (!o->quiet) firstpass_report(fp, q, pred, o->target_kbps);
        if (cx && chunks > 1) {
            /* Each chunk its own quantizers around q (firstpass.h), sent as a blob. */
            const double *m;
            long nm;
            if (complexity_finish(cx, &m, &nm) || nm != frames ||
                !(cx_frames = malloc((size_t)chunks * sizeof(*cx_frames))) ||
                !(cx_err = calloc((size_t)chunks, sizeof(*cx_err))) ||
                !(qs = malloc((size_t)chunks * 3))) {
                cli_error("out of memory");
                goto done;
            }
            for (int c = 0; c < chunks; c++)
                cx_frames[c] = c + 1 < chunks ? o->chunk : frames - (chunks - 1) * o->chunk;
            for (long i = 0; i < nm; i++)
                cx_err[i / o->chunk] += m[i];
            int e = firstpass_pick_chunks(fp, cx_err, cx_frames, chunks, o->rebase, fps,
                                          o->target_kbps, o->min_qi, o->max_qi, q, o->bias_pct,
                                          o->min_section_pct, o->max_section_pct, qs, &pred);
            if (e) {
                if (e == -2) cli_error("out of memory");
                else cli_error("%s: cannot spread the quantizers over the chunks", in->name);
                goto done;
            }
            /* In place, from the last: chunk c's q_inter (qs[c]) becomes qs[3c + 1]. */
            res->q_min = 127;
            res->q_max = 0;
            for (int c = chunks - 1; c >= 0; c--) {
                int qi = qs[c], qk = firstpass_key_q(qi, o->min_qi);
                int qf = task_first_q(qk, qi, o->min_qi);
                qs[3 * c] = (uint8_t)qk;
                qs[3 * c + 1] = (uint8_t)qi;
                qs[3 * c + 2] = (uint8_t)(qk - qf);
                if (qi < res->q_min) res->q_min = qi;
                if (qi > res->q_max) res->q_max = qi;
            }
            if (blobstore_put(bs, qs, (size_t)chunks * 3, q_hash, err, sizeof(err))) {
                cli_error("storage: %s", err);
                goto done;
            }
            per_chunk = 1;
            res->predicted_kbps = pred;
            if (!o->quiet)
                fprintf(stderr, "excam encode: per-chunk quantizers (--bias-pct %d): index %d..%d, "
                                "%.0f kbit/s predicted\n", o->bias_pct, res->q_min, res->q_max, pred);
        }
    }

    hr = link_hello(&l, o->coordinator, &o->sec, why, sizeof(why));
    if (hr) {
        cli_error("coordinator %s: %s", o->coordinator, why);
        goto done;
    }
    {
        Excam__Envelope env = EXCAM__ENVELOPE__INIT;
        Excam__JobSubmit js = EXCAM__JOB_SUBMIT__INIT;
        Excam__EncodeParams ep = EXCAM__ENCODE_PARAMS__INIT;
        Excam__BlobRef man = EXCAM__BLOB_REF__INIT, qref = EXCAM__BLOB_REF__INIT;
        char name[WIRE_MAX_NAME + 1];
        const char *base = strrchr(in->name, '/');
        snprintf(name, sizeof(name), "%s", o->name ? o->name : base ? base + 1 : in->name);
        ep.q_key = (uint32_t)params.q_key;
        ep.q_inter = (uint32_t)params.q_inter;
        ep.speed = (uint32_t)o->params.speed;
        ep.token_partitions = (uint32_t)o->params.token_partitions;
        ep.sharpness = (uint32_t)o->params.sharpness;
        ep.verify = o->params.verify;
        ep.stage1 = o->params.stage1_libvpx ? 1 : 0;
        ep.first_boost = (uint32_t)(params.q_key - params.q_first);
        man.name = "manifest";
        man.hash.data = man_hash;
        man.hash.len = 32;
        man.size = (uint64_t)chunks * 32;
        js.name = name;
        js.width = (uint32_t)in->width;
        js.height = (uint32_t)in->height;
        js.frame_count = (uint32_t)frames;
        js.fps_num = in->fps_num ? in->fps_num : 30;
        js.fps_den = in->fps_num ? in->fps_den : 1;
        js.chunk_frames = (uint32_t)o->chunk;
        js.rebase_chunks = (uint32_t)o->rebase;
        js.params = &ep;
        if (per_chunk) {
            qref.name = "chunk-quantizers";
            qref.hash.data = q_hash;
            qref.hash.len = 32;
            qref.size = (uint64_t)chunks * 3;
            js.chunk_quantizers = &qref;
        }
        js.input_manifest = &man;
        js.storage_uri = (char *)blobstore_location(bs);
        env.body_case = EXCAM__ENVELOPE__BODY_JOB_SUBMIT;
        env.job_submit = &js;
        int e = request(&l, &env, &rep, why, sizeof(why));
        if (e || rep->body_case != EXCAM__ENVELOPE__BODY_JOB_ACCEPTED) {
            cli_error("coordinator %s: the job was refused: %s", o->coordinator,
                      e ? why : wire_body_name(rep));
            goto done;
        }
        res->job_id = rep->job_accepted->job_id;
        wire_free(rep);
        rep = NULL;
    }
    if (!o->quiet && !o->embedded)
        fprintf(stderr, "excam encode: job %llu: %d frames in %d chunks sent to %s\n",
                (unsigned long long)res->job_id, frames, chunks, o->coordinator);

    /* Wait, asking for the status; a coordinator that went away is dialled again. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int tty = !o->quiet && isatty(STDERR_FILENO);
    double lost_since = 0;
    client_progress prog = {.frames = frames, .chunks = chunks};
    for (;;) {
        int watch_failed = !stop_signal && o->watch && o->watch(o->watch_arg, &prog);
        if (stop_signal || watch_failed) {
            Excam__Envelope env = EXCAM__ENVELOPE__INIT;
            Excam__JobCancel jc = EXCAM__JOB_CANCEL__INIT;
            jc.job_id = res->job_id;
            env.body_case = EXCAM__ENVELOPE__BODY_JOB_CANCEL;
            env.job_cancel = &jc;
            if (l.x.fd >= 0 && !link_send(&l, &env, why, sizeof(why)) && !watch_failed)
            {
                cli_progress_break();
                fprintf(stderr, "excam encode: job %llu cancelled\n", (unsigned long long)res->job_id);
            }
            if (watch_failed) break;
            link_close(&l);
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
            if (bs) blobstore_close(bs);
            if (o->embedded) return 128 + stop_signal;
            raise(stop_signal);
            return 1;
        }
        if (l.x.fd < 0) {
            int hr2 = link_hello(&l, o->coordinator, &o->sec, why, sizeof(why));
            if (hr2 == -2) {
                cli_error("coordinator %s: %s", o->coordinator, why);
                break;
            }
            if (hr2) {
                if (now_s() - lost_since > o->retry_for) {
                    cli_error("coordinator %s: lost for %.0f s: %s", o->coordinator, o->retry_for, why);
                    break;
                }
                usleep(500000);
                continue;
            }
            if (!o->quiet) {
                cli_progress_break();
                fprintf(stderr, "excam encode: reconnected to %s\n", o->coordinator);
            }
        }
        Excam__Envelope env = EXCAM__ENVELOPE__INIT;
        Excam__JobStatusRequest sr = EXCAM__JOB_STATUS_REQUEST__INIT;
        sr.job_id = res->job_id;
        env.body_case = EXCAM__ENVELOPE__BODY_JOB_STATUS_REQUEST;
        env.job_status_request = &sr;
        int e = request(&l, &env, &rep, why, sizeof(why));
        if (e == -2) {
            cli_error("coordinator %s: job %llu: %s", o->coordinator, (unsigned long long)res->job_id, why);
            break;
        }
        if (e) {
            if (stop_signal) continue;
            if (!o->quiet) {
                cli_progress_break();
                fprintf(stderr, "excam encode: %s; dialling again\n", why);
            }
            link_close(&l);
            lost_since = now_s();
            continue;
        }
        if (rep->body_case != EXCAM__ENVELOPE__BODY_JOB_STATUS) {
            cli_error("coordinator %s: answered a status request with a %s", o->coordinator,
                      wire_body_name(rep));
            break;
        }
        const Excam__JobStatus *st = rep->job_status;
        int end = st->state == EXCAM__JOB_STATE__DONE || st->state == EXCAM__JOB_STATE__FAILED ||
                  st->state == EXCAM__JOB_STATE__CANCELLED;
        if (tty) show_progress(st, t0, end);
        for (size_t i = 0; i < st->n_stages; i++)
            if (st->stages[i]->stage >= 1 && st->stages[i]->stage <= 3) {
                int k = st->stages[i]->stage - 1;
                res->cpu[k] = st->stages[i]->cpu_seconds;
                res->tasks[k] = st->stages[i]->total;
                prog.done[k] = st->stages[i]->done;
                prog.total[k] = st->stages[i]->total;
                prog.wall[k] = st->stages[i]->wall_seconds;
            }
        if (st->state == EXCAM__JOB_STATE__DONE) {
            ret = download(bs, st, in, frames, chunks, output, o->webm, res);
            break;
        }
        if (st->state == EXCAM__JOB_STATE__FAILED) {
            cli_error("%s: job %llu failed: %s", in->name, (unsigned long long)res->job_id,
                      st->message ? st->message : "");
            break;
        }
        if (st->state == EXCAM__JOB_STATE__CANCELLED) {
            cli_error("%s: job %llu was cancelled", in->name, (unsigned long long)res->job_id);
            break;
        }
        wire_free(rep);
        rep = NULL;
        usleep(100000);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
done:
    firstpass_free(fp);
    complexity_free(cx);
    free(cx_err);
    free(cx_frames);
    free(qs);
    wire_free(rep);
    link_close(&l);
    if (bs) blobstore_close(bs);
    return ret;
}

/* ------------------------------------------------------------ jobs, cancel */

static const char *state_name(int s)
{
    switch (s) {
    case EXCAM__JOB_STATE__QUEUED: return "queued";
    case EXCAM__JOB_STATE__RUNNING: return "running";
    case EXCAM__JOB_STATE__DONE: return "done";
    case EXCAM__JOB_STATE__FAILED: return "failed";
    case EXCAM__JOB_STATE__CANCELLED: return "cancelled";
    default: return "?";
    }
}

int client_list(const char *coordinator, const link_sec *sec)
{
    char why[512];
    clink l;
    int ret = 1;
    if (link_hello(&l, coordinator, sec, why, sizeof(why))) {
        cli_error("coordinator %s: %s", coordinator, why);
        return 1;
    }
    printf("%-6s %-10s %-32s %s\n", "JOB", "STATE", "NAME", "PROGRESS (encode, re-encode, rebase)");
    uint64_t after = 0;
    for (;;) {
        Excam__Envelope env = EXCAM__ENVELOPE__INIT, *rep;
        Excam__JobList jl = EXCAM__JOB_LIST__INIT;
        jl.after_job_id = after;
        jl.limit = WIRE_MAX_LIST;
        env.body_case = EXCAM__ENVELOPE__BODY_JOB_LIST;
        env.job_list = &jl;
        if (request(&l, &env, &rep, why, sizeof(why)) ||
            rep->body_case != EXCAM__ENVELOPE__BODY_JOB_LIST_REPLY) {
            cli_error("coordinator %s: %s", coordinator, why);
            break;
        }
        const Excam__JobListReply *r = rep->job_list_reply;
        for (size_t i = 0; i < r->n_jobs; i++) {
            const Excam__JobStatus *st = r->jobs[i];
            char prog[128];
            size_t n = 0;
            prog[0] = '\0';
            for (size_t s = 0; s < st->n_stages; s++)
                n += (size_t)snprintf(prog + n, sizeof(prog) - n, "%s%u/%u", s ? ", " : "",
                                      st->stages[s]->done, st->stages[s]->total);
            printf("%-6llu %-10s %-32s %s%s%s\n", (unsigned long long)st->job_id,
                   state_name(st->state), st->name, prog,
                   st->message && *st->message ? ": " : "", st->message ? st->message : "");
            after = st->job_id;
        }
        int more = r->more;
        wire_free(rep);
        if (!more) {
            ret = 0;
            break;
        }
    }
    link_close(&l);
    return ret;
}

int client_cancel(const char *coordinator, const link_sec *sec, uint64_t job_id)
{
    char why[512];
    clink l;
    if (link_hello(&l, coordinator, sec, why, sizeof(why))) {
        cli_error("coordinator %s: %s", coordinator, why);
        return 1;
    }
    Excam__Envelope env = EXCAM__ENVELOPE__INIT, *rep;
    Excam__JobCancel jc = EXCAM__JOB_CANCEL__INIT;
    jc.job_id = job_id;
    env.body_case = EXCAM__ENVELOPE__BODY_JOB_CANCEL;
    env.job_cancel = &jc;
    int e = request(&l, &env, &rep, why, sizeof(why));
    link_close(&l);
    if (e) {
        cli_error("coordinator %s: job %llu: %s", coordinator, (unsigned long long)job_id, why);
        return 1;
    }
    if (rep->body_case == EXCAM__ENVELOPE__BODY_JOB_STATUS)
        printf("job %llu: %s\n", (unsigned long long)job_id, state_name(rep->job_status->state));
    wire_free(rep);
    return 0;
}
