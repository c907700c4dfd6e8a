/*
 * The ExCamera[n, x] pipeline and its local executor (see pipeline.h).
 */
#include "pipeline.h"

#include "cli.h"
#include "tasks.h"

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

/* The task's parameters for chunk k. */
static task_params params_of(const job *j, int k)
{
    task_params p = {j->o->q_key,        j->o->q_inter,        j->o->speed,
                     j->o->token_partitions, j->o->sharpness, j->o->verify,
                     group_start(j, k),  chunk_first(j, k)};
    return p;
}

/* Write each output; 0, or -1 with the message in err. */
static int write_outputs(const job *j, int k, const char *const *what, task_buf *const *bufs,
                         int n, char *err, size_t errlen)
{
    char path[4200];
    for (int i = 0; i < n; i++) {
        path_of(j, path, sizeof(path), what[i], k);
        if (write_atomic(path, bufs[i]->data, bufs[i]->len)) {
            snprintf(err, errlen, "cannot write %.400s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Read the task inputs named what[i] (chunk ks[i]) into bufs[i]; 0, or -1. */
static int read_inputs(const job *j, const char *const *what, const int *ks, task_buf *bufs,
                       int n, char *err, size_t errlen)
{
    char path[4200];
    for (int i = 0; i < n; i++) {
        path_of(j, path, sizeof(path), what[i], ks[i]);
        if (!(bufs[i].data = cli_read_file(path, &bufs[i].len))) {
            snprintf(err, errlen, "cannot read %.400s: %s", path, strerror(errno));
            while (i-- > 0)
                free(bufs[i].data);
            return -1;
        }
    }
    return 0;
}

/* Each returns 0, or -1 with a message in err. */
static int run_encode(const job *j, int k, char *err, size_t errlen)
{
    task_params p = params_of(j, k);
    task_buf frames, state;
    if (task_encode(j->frames + chunk_first(j, k), chunk_len(j, k), &p, &frames, &state, err,
                    errlen))
        return -1;
    static const char *const what[2] = {"enc-frames", "enc-state"};
    task_buf *out[2] = {&frames, &state};
    int r = write_outputs(j, k, what, out, 2, err, errlen);
    free(frames.data);
    free(state.data);
    return r;
}

static int run_reencode(const job *j, int k, char *err, size_t errlen)
{
    static const char *const in_what[1] = {"enc-state"};
    const int ks[1] = {k - 1};
    task_buf in[1], frame;
    task_params p = params_of(j, k);
    if (read_inputs(j, in_what, ks, in, 1, err, errlen)) return -1;
    int r = task_reencode(j->frames[chunk_first(j, k)], in[0].data, in[0].len, &p, &frame, err,
                          errlen);
    free(in[0].data);
    if (r) return -1;
    static const char *const what[1] = {"re-frame"};
    task_buf *out[1] = {&frame};
    r = write_outputs(j, k, what, out, 1, err, errlen);
    free(frame.data);
    return r;
}

static int run_rebase(const job *j, int k, char *err, size_t errlen)
{
    const char *in_what[4] = {"re-frame", "enc-frames", "enc-state",
                              group_start(j, k - 1) ? "enc-state" : "rb-state"};
    const int ks[4] = {k, k, k - 1, k - 1};
    task_buf in[4], frames, state;
    task_params p = params_of(j, k);
    if (read_inputs(j, in_what, ks, in, 4, err, errlen)) return -1;
    int r = task_rebase(j->frames + chunk_first(j, k), chunk_len(j, k), in[0].data, in[0].len,
                        in[1].data, in[1].len, in[2].data, in[2].len, in[3].data, in[3].len, &p,
                        &frames, &state, err, errlen);
    for (int i = 0; i < 4; i++)
        free(in[i].data);
    if (r) return -1;
    static const char *const what[2] = {"rb-frames", "rb-state"};
    task_buf *out[2] = {&frames, &state};
    r = write_outputs(j, k, what, out, 2, err, errlen);
    free(frames.data);
    free(state.data);
    return r;
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
            char path[4200];
            size_t len;
            task_frames fs;
            path_of(&j, path, sizeof(path), group_start(&j, k) ? "enc-frames" : "rb-frames", k);
            uint8_t *block = cli_read_file(path, &len);
            int parsed = block && !task_frames_parse(block, len, &fs);
            int bad = !parsed || fs.n != chunk_len(&j, k);
            for (int i = 0; !bad && i < fs.n; i++) {
                if (!(res[m].data = malloc(fs.len[i] ? fs.len[i] : 1))) bad = 1;
                else memcpy(res[m].data, fs.data[i], fs.len[i]);
                res[m++].len = fs.len[i];
            }
            if (parsed) task_frames_free(&fs);
            free(block);
            if (bad) {
                snprintf(err, errlen, "cannot read the frames of chunk %d", k + 1);
                for (int i = 0; i < m; i++)
                    free(res[i].data);
                free(res);
                goto done;
            }
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
