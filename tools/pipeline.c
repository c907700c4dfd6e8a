/*
 * The ExCamera[n, x] pipeline and its local executor (see pipeline.h).
 */
#include "pipeline.h"

#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { T_ENCODE, T_REENCODE, T_REBASE };
enum { WAITING, RUNNING, DONE };
static const char *const kind_name[3] = {"encode", "re-encode", "rebase"};

typedef struct task {
    int kind, chunk, status;
} task;

typedef struct job {
    excam_image *const *frames;
    int n, chunks;
    const pipeline_opts *o;
    char dir[4096];
    task *tasks;
    int ntasks;
    int *index; /* [kind * chunks + chunk] -> task, or -1 */
} job;

static int chunk_first(const job *j, int k) { return k * j->o->chunk; }
static int chunk_len(const job *j, int k)
{
    int left = j->n - k * j->o->chunk;
    return left < j->o->chunk ? left : j->o->chunk;
}
static int group_start(const job *j, int k) { return k % j->o->rebase == 0; }

static task *task_of(const job *j, int kind, int k)
{
    int i = j->index[kind * j->chunks + k];
    return i < 0 ? NULL : &j->tasks[i];
}

static void path_of(const job *j, char *buf, size_t len, const char *what, int k)
{
    snprintf(buf, len, "%s/%s-%d", j->dir, what, k);
}

/* The chunk's final frames and state: encode(k)'s for a group's first chunk, else
 * rebase(k)'s. */
static void final_paths(const job *j, int k, char *frames, char *state, size_t len)
{
    path_of(j, frames, len, group_start(j, k) ? "enc-frames" : "rb-frames", k);
    path_of(j, state, len, group_start(j, k) ? "enc-state" : "rb-state", k);
}

static int final_done(const job *j, int k)
{
    return task_of(j, group_start(j, k) ? T_ENCODE : T_REBASE, k)->status == DONE;
}

static int ready(const job *j, const task *t)
{
    switch (t->kind) {
    case T_ENCODE: return 1;
    case T_REENCODE: return task_of(j, T_ENCODE, t->chunk - 1)->status == DONE;
    default:
        return task_of(j, T_REENCODE, t->chunk)->status == DONE &&
               task_of(j, T_ENCODE, t->chunk)->status == DONE && final_done(j, t->chunk - 1);
    }
}

/* ------------------------------------------------------------ files */

static int write_atomic(const char *path, const void *buf, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return -1;
    int bad = len && fwrite(buf, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Frames files: (4-byte little-endian length, bytes)*. */
typedef struct frames {
    pipeline_frame *f;
    int n, cap;
} frames;

static int frames_add(frames *fs, uint8_t *data, size_t len)
{
    if (fs->n == fs->cap) {
        int nc = fs->cap ? fs->cap * 2 : 16;
        pipeline_frame *p = realloc(fs->f, (size_t)nc * sizeof(*p));
        if (!p) return -1;
        fs->f = p;
        fs->cap = nc;
    }
    fs->f[fs->n].data = data;
    fs->f[fs->n].len = len;
    fs->n++;
    return 0;
}

static void frames_free(frames *fs, void (*release)(void *))
{
    for (int i = 0; i < fs->n; i++)
        release(fs->f[i].data);
    free(fs->f);
    memset(fs, 0, sizeof(*fs));
}

static int frames_write(const char *path, const frames *fs)
{
    size_t total = 0;
    for (int i = 0; i < fs->n; i++)
        total += 4 + fs->f[i].len;
    uint8_t *buf = malloc(total ? total : 1), *p = buf;
    if (!buf) return -1;
    for (int i = 0; i < fs->n; i++) {
        uint32_t l = (uint32_t)fs->f[i].len;
        *p++ = (uint8_t)l;
        *p++ = (uint8_t)(l >> 8);
        *p++ = (uint8_t)(l >> 16);
        *p++ = (uint8_t)(l >> 24);
        memcpy(p, fs->f[i].data, fs->f[i].len);
        p += fs->f[i].len;
    }
    int r = write_atomic(path, buf, total);
    free(buf);
    return r;
}

/* Frames read back: each .data points into one malloc'd block (*block). */
static int frames_read(const char *path, frames *fs, uint8_t **block)
{
    size_t len, off = 0;
    memset(fs, 0, sizeof(*fs));
    *block = cli_read_file(path, &len);
    if (!*block) return -1;
    while (off + 4 <= len) {
        const uint8_t *p = *block + off;
        size_t l = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
        if (l > len - off - 4 || frames_add(fs, *block + off + 4, l)) goto bad;
        off += 4 + l;
    }
    if (off == len) return 0;
bad:
    free(fs->f);
    free(*block);
    memset(fs, 0, sizeof(*fs));
    return -1;
}

static int state_write(const char *path, const excam_vp8_state *s)
{
    uint8_t *buf;
    size_t len;
    if (excam_vp8_state_serialize(s, &buf, &len)) return -1;
    int r = write_atomic(path, buf, len);
    excam_free(buf);
    return r;
}

static excam_vp8_state *state_read(const char *path)
{
    size_t len;
    uint8_t *buf = cli_read_file(path, &len);
    excam_vp8_state *s = NULL;
    if (buf && excam_vp8_state_deserialize(buf, len, &s)) s = NULL;
    free(buf);
    return s;
}

static void no_release(void *p) { (void)p; }

/* ------------------------------------------------------------ the tasks */

static excam_vp8_enc_params params(const job *j, int key, int q)
{
    excam_vp8_enc_params p;
    excam_vp8_enc_params_default(&p);
    p.frame_type = key ? EXCAM_FRAME_KEY : EXCAM_FRAME_INTER;
    p.q_index = q;
    p.speed = j->o->speed;
    p.token_partitions = j->o->token_partitions;
    p.sharpness = j->o->sharpness;
    p.self_check = j->o->verify;
    return p;
}

/* Each returns 0, or -1 with a message in err. */
static int run_encode(const job *j, int k, char *err, size_t errlen)
{
    excam_vp8_state *s = excam_vp8_state_new();
    frames fs = {0};
    char path[4200];
    int ret = -1;
    for (int i = 0; s && i < chunk_len(j, k); i++) {
        excam_vp8_enc_params p = params(j, i == 0, i == 0 ? j->o->q_key : j->o->q_inter);
        /* The key frame of a chunk that does not start a group never reaches the
         * stream: it only gives the chunk's other frames a reference to decide their
         * modes and motion vectors against, decisions the rebase then keeps. Made at
         * quantizer 0, nearly the source itself, those decisions follow the picture
         * rather than one chain's coding noise, and hold up better on the real chain
         * (foreman, [6,16], fixed quantizers: BD-rate vs the serial encode 12.6% ->
         * 9.1% by SSIM, 10.4% -> 7.5% by PSNR; a key frame 8..32 steps coarser than
         * the inter frames was worse, and so were finer inter frames in stage 1). It
         * costs stage 1 about 14% more time (foreman q 24: 18.7 -> 21.4 ms a frame). */
        if (i == 0 && !group_start(j, k)) p.q_index = 0;
        uint8_t *data;
        size_t len;
        excam_vp8_state *next;
        int e = excam_vp8_encode(s, j->frames[chunk_first(j, k) + i], &p, &data, &len, &next);
        if (e) {
            snprintf(err, errlen, "frame %d: %s", chunk_first(j, k) + i + 1, excam_strerror(e));
            goto done;
        }
        excam_vp8_state_free(s);
        s = next;
        if (frames_add(&fs, data, len)) {
            excam_free(data);
            goto nomem;
        }
    }
    if (!s) goto nomem;
    path_of(j, path, sizeof(path), "enc-frames", k);
    if (frames_write(path, &fs)) goto io;
    path_of(j, path, sizeof(path), "enc-state", k);
    if (state_write(path, s)) goto io;
    ret = 0;
    goto done;
io:
    snprintf(err, errlen, "cannot write %.400s: %s", path, strerror(errno));
    goto done;
nomem:
    snprintf(err, errlen, "out of memory");
done:
    frames_free(&fs, excam_free);
    excam_vp8_state_free(s);
    return ret;
}

static int run_reencode(const job *j, int k, char *err, size_t errlen)
{
    char path[4200];
    path_of(j, path, sizeof(path), "enc-state", k - 1);
    excam_vp8_state *s = state_read(path), *next = NULL;
    if (!s) {
        snprintf(err, errlen, "cannot read %.400s", path);
        return -1;
    }
    /* The quantizer of DESIGN.md §2: between the key frame's and the inter frames'. */
    excam_vp8_enc_params p = params(j, 0, (3 * j->o->q_key + j->o->q_inter + 2) / 4);
    /* It stands in for the chunk's key frame, which refreshed all three references: the
     * chunk's other frames chose their golden and altref predictions against that
     * picture, so the real chain must hold this frame there too. Without it a rebased
     * frame predicts "golden" from a picture chunks old (foreman, q 24: the frames after
     * the second of each chunk cost 10-30% more bits at 0.3 dB less PSNR). */
    p.refresh_golden = p.refresh_altref = 1;
    uint8_t *data;
    size_t len;
    int e = excam_vp8_encode(s, j->frames[chunk_first(j, k)], &p, &data, &len, &next);
    excam_vp8_state_free(s);
    excam_vp8_state_free(next);
    if (e) {
        snprintf(err, errlen, "frame %d: %s", chunk_first(j, k) + 1, excam_strerror(e));
        return -1;
    }
    frames fs = {0};
    int r = frames_add(&fs, data, len);
    path_of(j, path, sizeof(path), "re-frame", k);
    if (!r) r = frames_write(path, &fs);
    if (r) snprintf(err, errlen, "cannot write %.400s", path);
    frames_free(&fs, excam_free);
    if (fs.n == 0 && r) excam_free(data);
    return r ? -1 : 0;
}

static int run_rebase(const job *j, int k, char *err, size_t errlen)
{
    char fpath[4200], spath[4200], path[4200];
    frames re = {0}, enc = {0}, out = {0};
    uint8_t *re_block = NULL, *enc_block = NULL;
    excam_vp8_state *prev = NULL, *base = NULL, *stage1 = NULL, *old = excam_vp8_state_new();
    int ret = -1, e;

    final_paths(j, k - 1, fpath, spath, sizeof(fpath));
    if (!(prev = state_read(spath))) {
        snprintf(err, errlen, "cannot read %.400s", spath);
        goto done;
    }
    path_of(j, path, sizeof(path), "re-frame", k);
    if (frames_read(path, &re, &re_block) || re.n != 1) {
        snprintf(err, errlen, "cannot read %.400s", path);
        goto done;
    }
    path_of(j, path, sizeof(path), "enc-frames", k);
    if (frames_read(path, &enc, &enc_block) || enc.n != chunk_len(j, k)) {
        snprintf(err, errlen, "cannot read %.400s", path);
        goto done;
    }
    /* The re-encoded first frame was made on encode(k-1)'s final state: rebased onto the
     * real state of chunk k-1 (the same state when chunk k-1 starts a group, and then
     * rebase gives the frame back unchanged). */
    path_of(j, path, sizeof(path), "enc-state", k - 1);
    if (!(stage1 = state_read(path))) {
        snprintf(err, errlen, "cannot read %.400s", path);
        goto done;
    }
    {
        excam_vp8_enc_params p = params(j, 0, j->o->q_inter);
        uint8_t *data;
        size_t len;
        e = excam_vp8_rebase(stage1, prev, j->frames[chunk_first(j, k)], re.f[0].data,
                             re.f[0].len, &p, &data, &len, &base);
        if (e) {
            snprintf(err, errlen, "frame %d: rebase failed: %s", chunk_first(j, k) + 1,
                     excam_strerror(e));
            goto done;
        }
        if (frames_add(&out, data, len)) {
            excam_free(data);
            goto nomem;
        }
    }
    /* The other frames: each rebased from the state encode(k) had before it onto the
     * chain's. */
    for (int i = 0; i < enc.n; i++) {
        excam_vp8_state *next;
        if (i > 0) {
            excam_vp8_enc_params p = params(j, 0, j->o->q_inter);
            uint8_t *data;
            size_t len;
            e = excam_vp8_rebase(old, base, j->frames[chunk_first(j, k) + i], enc.f[i].data,
                                 enc.f[i].len, &p, &data, &len, &next);
            if (e) {
                snprintf(err, errlen, "frame %d: rebase failed: %s", chunk_first(j, k) + i + 1,
                         excam_strerror(e));
                goto done;
            }
            if (frames_add(&out, data, len)) {
                excam_free(data);
                excam_vp8_state_free(next);
                goto nomem;
            }
            excam_vp8_state_free(base);
            base = next;
        }
        if ((e = excam_vp8_decode(old, enc.f[i].data, enc.f[i].len, &next, NULL, NULL))) {
            snprintf(err, errlen, "frame %d: %s", chunk_first(j, k) + i + 1, excam_strerror(e));
            goto done;
        }
        excam_vp8_state_free(old);
        old = next;
    }
    path_of(j, path, sizeof(path), "rb-frames", k);
    if (frames_write(path, &out)) goto io;
    path_of(j, path, sizeof(path), "rb-state", k);
    if (state_write(path, base)) goto io;
    ret = 0;
    goto done;
io:
    snprintf(err, errlen, "cannot write %.400s: %s", path, strerror(errno));
    goto done;
nomem:
    snprintf(err, errlen, "out of memory");
done:
    frames_free(&out, excam_free);
    free(re.f);
    free(enc.f);
    free(re_block);
    free(enc_block);
    excam_vp8_state_free(prev);
    excam_vp8_state_free(base);
    excam_vp8_state_free(stage1);
    excam_vp8_state_free(old);
    return ret;
}

/* ------------------------------------------------------------ the executor */

/* SIGINT/SIGTERM/SIGHUP during a run: the handler only notes the signal; the executor's
 * wait returns (no SA_RESTART), stops the workers, removes its work directory and then
 * lets the signal take its default course. */
static volatile sig_atomic_t stop_signal;
static void on_stop(int sig) { stop_signal = sig; }
static const int stop_sigs[3] = {SIGINT, SIGTERM, SIGHUP};

/* The workers: processes forked once, at the start, so that each keeps its memory warm
 * from task to task (a forked process pays for every page it touches first; on these
 * machines that was half of a rebase task's time). Each talks to the executor over a
 * socket pair: it reads a task's index and answers with a report. */
typedef struct worker {
    pid_t pid;
    int fd;
    int task; /* the running task, or -1 */
} worker;

typedef struct report {
    int task, ok;
    double cpu; /* seconds of CPU the task took */
} report;

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void worker_loop(job *j, int fd, unsigned seed)
{
    int idx;
    for (int i = 0; i < 3; i++)
        signal(stop_sigs[i], SIG_DFL);
    /* Big blocks from the heap and kept there, not mapped and unmapped per frame. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    while (read(fd, &idx, sizeof(idx)) == (ssize_t)sizeof(idx)) {
        if (idx < 0 || idx >= j->ntasks) break;
        const task *t = &j->tasks[idx];
        char err[512] = "", path[4200];
        if (j->o->shuffle) {
            seed = seed * 1103515245u + 12345u;
            usleep((seed >> 8) % 30000); /* up to 30 ms */
        }
        double t0 = cpu_seconds();
        int r = t->kind == T_ENCODE     ? run_encode(j, t->chunk, err, sizeof(err))
                : t->kind == T_REENCODE ? run_reencode(j, t->chunk, err, sizeof(err))
                                        : run_rebase(j, t->chunk, err, sizeof(err));
        if (r) {
            snprintf(path, sizeof(path), "%s/error-%s-%d", j->dir, kind_name[t->kind], t->chunk);
            write_atomic(path, err, strlen(err));
        }
        report rep = {idx, r == 0, cpu_seconds() - t0};
        if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep)) break;
    }
    _exit(0);
}

/* Fork worker i; 0 or -1. */
static int worker_start(job *j, worker *w, unsigned seed)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        worker_loop(j, sv[1], seed);
    }
    close(sv[1]);
    w->pid = pid;
    w->fd = sv[0];
    w->task = -1;
    return 0;
}

/* The work directory holds only the pipeline's own flat files. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4400];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(dir);
}

static void progress(const job *j, int final)
{
    if (j->o->quiet || !isatty(2)) return;
    int done[3] = {0}, total[3] = {0};
    for (int i = 0; i < j->ntasks; i++) {
        total[j->tasks[i].kind]++;
        done[j->tasks[i].kind] += j->tasks[i].status == DONE;
    }
    fprintf(stderr, "\rexcam encode: encode %d/%d, re-encode %d/%d, rebase %d/%d   %s",
            done[0], total[0], done[1], total[1], done[2], total[2], final ? "\n" : "");
}

int pipeline_encode(excam_image *const *frames_in, int n, const pipeline_opts *o,
                    pipeline_frame **out, pipeline_stats *stats, char *err, size_t errlen)
{
    job j;
    int ret = -1, running = 0, finished = 0, nworkers = 0, started = 0;
    worker *workers = NULL;
    struct pollfd *pfd = NULL;
    unsigned rng = o->shuffle;

    *out = NULL;
    memset(&j, 0, sizeof(j));
    if (stats) memset(stats, 0, sizeof(*stats));
    if (n < 1 || o->chunk < 1 || o->rebase < 1 || o->workers < 1) {
        snprintf(err, errlen, "nothing to encode");
        return -1;
    }
    j.frames = frames_in;
    j.n = n;
    j.o = o;
    j.chunks = (n + o->chunk - 1) / o->chunk;
    snprintf(j.dir, sizeof(j.dir), "%s/excam-pipeline.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(j.dir)) {
        snprintf(err, errlen, "cannot make a work directory in %s: %s",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
        return -1;
    }
    struct sigaction sa, old[3];
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    for (int i = 0; i < 3; i++) {
        sigaction(stop_sigs[i], &sa, &old[i]);
        if (old[i].sa_handler == SIG_IGN) sigaction(stop_sigs[i], &old[i], NULL); /* nohup */
    }
    j.tasks = calloc((size_t)j.chunks * 3, sizeof(*j.tasks));
    j.index = malloc((size_t)j.chunks * 3 * sizeof(*j.index));
    if (!j.tasks || !j.index) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int i = 0; i < j.chunks * 3; i++)
        j.index[i] = -1;
    /* Tasks in the order a single worker would best run them. */
    for (int k = 0; k < j.chunks; k++) {
        j.index[T_ENCODE * j.chunks + k] = j.ntasks;
        j.tasks[j.ntasks++] = (task){T_ENCODE, k, WAITING};
    }
    for (int k = 0; k < j.chunks; k++)
        if (!group_start(&j, k)) {
            j.index[T_REENCODE * j.chunks + k] = j.ntasks;
            j.tasks[j.ntasks++] = (task){T_REENCODE, k, WAITING};
            j.index[T_REBASE * j.chunks + k] = j.ntasks;
            j.tasks[j.ntasks++] = (task){T_REBASE, k, WAITING};
        }

    nworkers = o->workers < j.ntasks ? o->workers : j.ntasks;
    workers = calloc((size_t)nworkers, sizeof(*workers));
    pfd = calloc((size_t)nworkers, sizeof(*pfd));
    if (!workers || !pfd) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int w = 0; w < nworkers; w++) {
        if (worker_start(&j, &workers[w], o->shuffle + 7919u * (unsigned)w)) {
            snprintf(err, errlen, "cannot start a worker process: %s", strerror(errno));
            goto done;
        }
        started++;
    }
    while (finished < j.ntasks) {
        for (int w = 0; w < nworkers; w++) {
            if (workers[w].task >= 0) continue;
            int cand[64], nc = 0, pick = -1;
            for (int i = 0; i < j.ntasks && nc < 64; i++)
                if (j.tasks[i].status == WAITING && ready(&j, &j.tasks[i])) cand[nc++] = i;
            if (!nc) break;
            if (o->shuffle) {
                rng = rng * 1103515245u + 12345u;
                pick = cand[(rng >> 8) % (unsigned)nc];
            } else {
                pick = cand[0];
            }
            if (send(workers[w].fd, &pick, sizeof(pick), MSG_NOSIGNAL) != (ssize_t)sizeof(pick)) {
                snprintf(err, errlen, "cannot reach worker %d: %s", w + 1, strerror(errno));
                goto done;
            }
            workers[w].task = pick;
            j.tasks[pick].status = RUNNING;
            running++;
        }
        if (!running) {
            snprintf(err, errlen, "internal error: no task can run");
            goto done;
        }
        for (int w = 0; w < nworkers; w++)
            pfd[w] = (struct pollfd){workers[w].task >= 0 ? workers[w].fd : -1, POLLIN, 0};
        int np = poll(pfd, (nfds_t)nworkers, -1);
        if (stop_signal) {
            snprintf(err, errlen, "interrupted");
            goto done;
        }
        if (np < 0) {
            if (errno == EINTR) continue;
            snprintf(err, errlen, "waiting for workers: %s", strerror(errno));
            goto done;
        }
        for (int w = 0; w < nworkers; w++) {
            if (!pfd[w].revents) continue;
            report rep;
            ssize_t got = read(workers[w].fd, &rep, sizeof(rep));
            task *t = &j.tasks[workers[w].task];
            if (got != (ssize_t)sizeof(rep) || rep.task != workers[w].task || !rep.ok) {
                char path[4200];
                size_t len = 0;
                snprintf(path, sizeof(path), "%s/error-%s-%d", j.dir, kind_name[t->kind],
                         t->chunk);
                uint8_t *msg = got == (ssize_t)sizeof(rep) ? cli_read_file(path, &len) : NULL;
                if (msg)
                    snprintf(err, errlen, "%s of chunk %d: %.*s", kind_name[t->kind],
                             t->chunk + 1, (int)len, (const char *)msg);
                else
                    snprintf(err, errlen, "%s of chunk %d: the worker process died",
                             kind_name[t->kind], t->chunk + 1);
                free(msg);
                goto done;
            }
            workers[w].task = -1;
            running--;
            t->status = DONE;
            finished++;
            if (stats) {
                stats->cpu[t->kind] += rep.cpu;
                stats->frames[t->kind] += t->kind == T_REENCODE ? 1 : chunk_len(&j, t->chunk);
            }
        }
        progress(&j, 0);
    }
    progress(&j, 1);

    /* Stitch. */
    {
        pipeline_frame *res = calloc((size_t)n, sizeof(*res));
        int m = 0;
        if (!res) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        for (int k = 0; k < j.chunks; k++) {
            char fpath[4200], spath[4200];
            frames fs;
            uint8_t *block;
            final_paths(&j, k, fpath, spath, sizeof(fpath));
            if (frames_read(fpath, &fs, &block) || fs.n != chunk_len(&j, k)) {
                snprintf(err, errlen, "cannot read the frames of chunk %d", k + 1);
                for (int i = 0; i < m; i++)
                    free(res[i].data);
                free(res);
                goto done;
            }
            for (int i = 0; i < fs.n; i++) {
                res[m].data = malloc(fs.f[i].len ? fs.f[i].len : 1);
                if (res[m].data) memcpy(res[m].data, fs.f[i].data, fs.f[i].len);
                res[m++].len = fs.f[i].len;
            }
            frames_free(&fs, no_release);
            free(block);
        }
        *out = res;
        ret = 0;
    }
done:
    /* Closing its socket ends an idle worker; a busy one is killed when the run failed. */
    for (int w = 0; w < started; w++) {
        if (ret && workers[w].task >= 0) kill(workers[w].pid, SIGKILL);
        close(workers[w].fd);
    }
    for (int w = 0; w < started; w++)
        while (waitpid(workers[w].pid, NULL, 0) < 0 && errno == EINTR) {
        }
    free(workers);
    free(pfd);
    remove_dir(j.dir);
    free(j.tasks);
    free(j.index);
    for (int i = 0; i < 3; i++)
        sigaction(stop_sigs[i], &old[i], NULL);
    if (stop_signal) raise(stop_signal);
    return ret;
}
