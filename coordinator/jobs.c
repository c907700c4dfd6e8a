/*
 * The coordinator's jobs: each job's task graph (tools/tasks.h), its queue of ready
 * tasks, assignment to idle workers (round robin over the jobs, so that several jobs
 * share the workers fairly), results, retries and speculative copies.
 *
 * Task k of kind K is tasks[K * chunks + k], its id on the wire that index + 1:
 *   encode(k)    needs nothing
 *   reencode(k)  needs encode(k-1)                       (not for a group's first chunk)
 *   rebase(k)    needs reencode(k), encode(k), encode(k-1) and the final task of
 *                chunk k-1: encode(k-1) if it starts a group, else rebase(k-1)
 * The ready queue is a heap: rebases first (they are the serial critical path), then
 * re-encodes, then encodes in chunk order.
 */
#include "coord_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_ENCODE, K_REENCODE, K_REBASE };
enum { MAX_CHUNKS = 1000000 };
static const int kind_wire[3] = {EXCAM__TASK_KIND__ENCODE, EXCAM__TASK_KIND__REENCODE,
                                 EXCAM__TASK_KIND__REBASE};
static const char *const kind_name[3] = {"encode", "re-encode", "rebase"};

static int group_start(const cjob *j, uint32_t k) { return k % j->x == 0; }
static uint32_t chunk_first(const cjob *j, uint32_t k) { return k * j->n; }
static uint32_t chunk_len(const cjob *j, uint32_t k)
{
    uint32_t left = j->frames - k * j->n;
    return left < j->n ? left : j->n;
}
static ctask *task_at(const cjob *j, int kind, uint32_t k) { return &j->tasks[kind * j->chunks + k]; }
static int kind_of(const cjob *j, uint32_t idx) { return (int)(idx / j->chunks); }
static ctask *final_task(const cjob *j, uint32_t k)
{
    return task_at(j, group_start(j, k) ? K_ENCODE : K_REBASE, k);
}
static size_t source_size(const cjob *j, uint32_t k)
{
    size_t fb = (size_t)j->width * j->height + 2 * (size_t)((j->width + 1) / 2) * ((j->height + 1) / 2);
    return 24 + fb * chunk_len(j, k); /* tools/tasks.h's source blob */
}

cjob *job_find(coord *c, uint64_t id)
{
    return id >= 1 && id <= c->njobs ? c->jobs[id - 1] : NULL;
}

/* ------------------------------------------------------------ the ready heap */

static uint64_t prio(const cjob *j, int idx)
{
    static const uint64_t rank[3] = {2, 1, 0};
    return rank[kind_of(j, (uint32_t)idx)] << 32 | j->tasks[idx].chunk;
}

static void heap_swap(cjob *j, int a, int b)
{
    int t = j->heap[a];
    j->heap[a] = j->heap[b];
    j->heap[b] = t;
    j->tasks[j->heap[a]].heap_pos = a;
    j->tasks[j->heap[b]].heap_pos = b;
}

static void sift_up(cjob *j, int i)
{
    while (i > 0 && prio(j, j->heap[(i - 1) / 2]) > prio(j, j->heap[i])) {
        heap_swap(j, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(cjob *j, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < j->nheap && prio(j, j->heap[l]) < prio(j, j->heap[m])) m = l;
        if (r < j->nheap && prio(j, j->heap[r]) < prio(j, j->heap[m])) m = r;
        if (m == i) return;
        heap_swap(j, i, m);
        i = m;
    }
}

static void active_add(coord *c, cjob *j)
{
    if (j->in_active) return;
    j->rr_prev = c->active.rr_prev;
    j->rr_next = &c->active;
    c->active.rr_prev->rr_next = j;
    c->active.rr_prev = j;
    j->in_active = 1;
}

static void active_remove(coord *c, cjob *j)
{
    (void)c;
    if (!j->in_active) return;
    j->rr_prev->rr_next = j->rr_next;
    j->rr_next->rr_prev = j->rr_prev;
    j->in_active = 0;
}

/* Push a ready task; the job joins the round robin (at its end) if it was out. */
static void heap_push(coord *c, cjob *j, int idx)
{
    int i = j->nheap++;
    j->heap[i] = idx;
    j->tasks[idx].heap_pos = i;
    sift_up(j, i);
    active_add(c, j);
}

/* Take task idx out of the heap, wherever it is. */
static void heap_remove(coord *c, cjob *j, int idx)
{
    int i = j->tasks[idx].heap_pos;
    heap_swap(j, i, --j->nheap);
    j->tasks[idx].heap_pos = -1;
    if (i < j->nheap) { /* the last one moved into the gap: up or down from there */
        int moved = j->heap[i];
        sift_up(j, i);
        sift_down(j, j->tasks[moved].heap_pos);
    }
    if (!j->nheap) active_remove(c, j);
}

static int heap_pop(coord *c, cjob *j)
{
    int top = j->heap[0];
    heap_remove(c, j, top);
    return top;
}

static void make_ready(coord *c, cjob *j, int idx)
{
    j->tasks[idx].state = TS_READY;
    heap_push(c, j, idx);
}

/* Whether task idx's inputs are all there. */
static int deps_done(const cjob *j, uint32_t idx)
{
    uint32_t k = j->tasks[idx].chunk;
    switch (kind_of(j, idx)) {
    case K_ENCODE: return 1;
    case K_REENCODE: return task_at(j, K_ENCODE, k - 1)->state == TS_DONE;
    default:
        return task_at(j, K_REENCODE, k)->state == TS_DONE &&
               task_at(j, K_ENCODE, k)->state == TS_DONE &&
               task_at(j, K_ENCODE, k - 1)->state == TS_DONE &&
               final_task(j, k - 1)->state == TS_DONE;
    }
}

static void maybe_ready(coord *c, cjob *j, int kind, int64_t k)
{
    if (k < 0 || k >= j->chunks) return;
    uint32_t idx = (uint32_t)kind * j->chunks + (uint32_t)k;
    if (j->tasks[idx].state == TS_WAIT && deps_done(j, idx)) make_ready(c, j, (int)idx);
}

/* ------------------------------------------------------------ jobs */

static void job_free(cjob *j)
{
    if (!j) return;
    free(j->src);
    free(j->quant);
    free(j->tasks);
    free(j->heap);
    if (j->bs) blobstore_close(j->bs);
    free(j);
}

/* A finished job keeps its summary; its graph goes. */
static void job_shrink(coord *c, cjob *j)
{
    active_remove(c, j);
    free(j->tasks);
    free(j->heap);
    free(j->src);
    free(j->quant);
    j->tasks = NULL;
    j->heap = NULL;
    j->src = NULL;
    j->quant = NULL;
    j->nheap = 0;
}

static void job_fail(coord *c, cjob *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void job_fail(coord *c, cjob *j, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->message, sizeof(j->message), fmt, ap);
    va_end(ap);
    j->state = EXCAM__JOB_STATE__FAILED;
    j->error = code;
    coord_log("job %llu (%s) failed: %s", (unsigned long long)j->id, j->name, j->message);
    job_shrink(c, j);
}

/* Put j in the table of jobs (its id is new); 0, or -1 with err. */
static int register_job(coord *c, cjob *j, char *err, size_t errlen)
{
    if (j->id > c->jobs_cap) {
        uint64_t cap = c->jobs_cap ? c->jobs_cap * 2 : 16;
        while (cap < j->id) cap *= 2;
        cjob **p = realloc(c->jobs, cap * sizeof(*p));
        if (!p) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memset(p + c->jobs_cap, 0, (cap - c->jobs_cap) * sizeof(*p));
        c->jobs = p;
        c->jobs_cap = cap;
    }
    if (c->jobs[j->id - 1]) {
        snprintf(err, errlen, "job %llu exists already", (unsigned long long)j->id);
        return -1;
    }
    c->jobs[j->id - 1] = j;
    if (j->id > c->njobs) c->njobs = j->id;
    return 0;
}

/* Storage's retries go to the log: a flaky server should be visible. */
static void storage_log(void *ctx, const char *line)
{
    (void)ctx;
    coord_log("storage: %s", line);
}

int job_submit(coord *c, const Excam__JobSubmit *s, uint64_t id, int journal, cjob **out,
               char *err, size_t errlen)
{
    cjob *j = calloc(1, sizeof(*j));
    uint8_t *man = NULL;
    size_t man_len = 0;
    int e;

    *out = NULL;
    if (!j) goto nomem;
    j->id = id ? id : c->njobs + 1;
    snprintf(j->name, sizeof(j->name), "%s", s->name ? s->name : "");
    j->width = s->width;
    j->height = s->height;
    j->frames = s->frame_count;
    j->fps_num = s->fps_num;
    j->fps_den = s->fps_den;
    j->n = s->chunk_frames;
    j->x = s->rebase_chunks;
    j->chunks = (j->frames + j->n - 1) / j->n;
    if (j->chunks > MAX_CHUNKS) { /* ~100 bytes of graph per task, 3 tasks per chunk */
        snprintf(err, errlen, "%u chunks: at most %u in one job (use longer chunks)", j->chunks,
                 MAX_CHUNKS);
        goto fail;
    }
    j->params = *s->params;
    j->params.base.descriptor = &excam__encode_params__descriptor;
    j->state = EXCAM__JOB_STATE__QUEUED;
    if (j->params.q_key > 127 || j->params.q_inter > 127 || j->params.speed > 9 ||
        j->params.token_partitions > 3 || j->params.sharpness > 7) {
        snprintf(err, errlen, "encode parameters out of range");
        goto fail;
    }
    j->noop = s->noop;
    if (j->noop) {
        if (j->n != 1) {
            snprintf(err, errlen, "a noop job has chunks of one frame");
            goto fail;
        }
        snprintf(j->storage, sizeof(j->storage), "noop:");
        goto graph;
    }
    snprintf(j->storage, sizeof(j->storage), "%s",
             s->storage_uri && *s->storage_uri ? s->storage_uri : c->o->storage ? c->o->storage : "");
    if (!*j->storage) {
        snprintf(err, errlen, "the job names no storage and the coordinator has none");
        goto fail;
    }
    if (blobstore_open(j->storage, &j->bs, err, errlen)) goto fail;
    blobstore_set_log(j->bs, storage_log, NULL);
    memcpy(j->manifest, s->input_manifest->hash.data, 32);
    if ((e = blobstore_get(j->bs, j->manifest, &man, &man_len, err, errlen))) goto fail;
    if (man_len != (size_t)j->chunks * 32) {
        snprintf(err, errlen, "the input manifest has %zu bytes, not 32 x %u chunks", man_len,
                 j->chunks);
        goto fail;
    }
    if (s->chunk_quantizers) {
        /* Each chunk's quantizers (a bitrate target's allocation), checked as params. */
        uint8_t *q = NULL;
        size_t q_len = 0;
        if ((e = blobstore_get(j->bs, s->chunk_quantizers->hash.data, &q, &q_len, err, errlen)))
            goto fail;
        int bad = q_len != (size_t)j->chunks * 3;
        if (bad) {
            snprintf(err, errlen, "the chunk quantizers have %zu bytes for %u chunks, not 3 a "
                     "chunk", q_len, j->chunks);
        } else {
            size_t i = 0;
            while (i < q_len && q[i] <= 127 && q[i + 1] <= 127 && q[i + 2] <= q[i])
                i += 3;
            if ((bad = i < q_len))
                snprintf(err, errlen, "the chunk quantizers of chunk %zu (q_key %u, q_inter "
                         "%u, first_boost %u) are out of range: at most 127, first_boost at "
                         "most q_key", i / 3, q[i], q[i + 1], q[i + 2]);
        }
        if (bad) {
            free(q);
            goto fail;
        }
        j->quant = (uint8_t(*)[3])q;
    }
graph:
    j->src = malloc((size_t)j->chunks * 32);
    j->tasks = calloc((size_t)j->chunks * 3, sizeof(*j->tasks));
    j->heap = malloc((size_t)j->chunks * 3 * sizeof(*j->heap));
    if (!j->src || !j->tasks || !j->heap) goto nomem;
    if (man) memcpy(j->src, man, man_len);
    free(man);
    man = NULL;
    for (uint32_t i = 0; i < j->chunks * 3; i++) {
        ctask *t = &j->tasks[i];
        int kind = kind_of(j, i);
        t->kind = (uint8_t)(j->noop ? EXCAM__TASK_KIND__NOOP : kind_wire[kind]);
        t->chunk = i % j->chunks;
        t->heap_pos = -1;
        t->state = kind != K_ENCODE && (j->noop || group_start(j, t->chunk)) ? TS_NONE : TS_WAIT;
        if (t->state != TS_NONE) j->total[kind]++;
    }
    if (journal && c->journal_fd >= 0) {
        Excam__JournalEntry je = EXCAM__JOURNAL_ENTRY__INIT;
        je.job_id = j->id;
        je.submit = (Excam__JobSubmit *)s;
        if (journal_append(c, &je)) {
            snprintf(err, errlen, "cannot write the journal");
            goto fail;
        }
    }
    if (register_job(c, j, err, errlen)) goto fail;
    for (uint32_t k = 0; k < j->chunks; k++)
        make_ready(c, j, (int)k);
    *out = j;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    free(man);
    if (j && id && !job_find(c, id)) {
        /* Replay of a job that cannot resume (its input is gone, say): it stays known,
         * as failed, so that its id is not given again and clients learn why. */
        free(j->src);
        free(j->quant);
        free(j->tasks);
        free(j->heap);
        j->src = NULL;
        j->quant = NULL;
        j->tasks = NULL;
        j->heap = NULL;
        j->state = EXCAM__JOB_STATE__FAILED;
        j->error = EXCAM__ERROR_CODE__ERR_STORAGE;
        snprintf(j->message, sizeof(j->message), "cannot resume: %s", err);
        if (!register_job(c, j, err, errlen)) {
            *out = j;
            return -1;
        }
    }
    job_free(j);
    return -1;
}

void job_fill_status(const cjob *j, Excam__JobStatus *st, Excam__StageProgress stages[3],
                     Excam__StageProgress *stage_ptrs[3], Excam__BlobRef *out,
                     Excam__BlobRef *out_ptrs[1])
{
    excam__job_status__init(st);
    st->job_id = j->id;
    st->name = (char *)j->name;
    st->state = j->state;
    for (int k = 0; k < 3; k++) {
        excam__stage_progress__init(&stages[k]);
        stages[k].stage = kind_wire[k];
        stages[k].done = j->done[k];
        stages[k].total = j->total[k];
        stages[k].cpu_seconds = j->cpu[k];
        stages[k].wall_seconds = j->wall[k];
        stage_ptrs[k] = &stages[k];
    }
    st->n_stages = 3;
    st->stages = stage_ptrs;
    if (j->state == EXCAM__JOB_STATE__DONE) {
        excam__blob_ref__init(out);
        out->name = "chunks";
        out->hash.data = (uint8_t *)j->result;
        out->hash.len = 32;
        out->size = j->result_size;
        out_ptrs[0] = out;
        st->n_outputs = 1;
        st->outputs = out_ptrs;
    }
    if (j->state == EXCAM__JOB_STATE__FAILED) {
        st->error = j->error ? j->error : EXCAM__ERROR_CODE__ERR_INTERNAL;
        st->message = (char *)j->message;
    }
}

void job_cancel(coord *c, cjob *j, int journal)
{
    if (j->state == EXCAM__JOB_STATE__DONE || j->state == EXCAM__JOB_STATE__FAILED ||
        j->state == EXCAM__JOB_STATE__CANCELLED)
        return;
    if (journal && c->journal_fd >= 0) {
        Excam__JournalEntry je = EXCAM__JOURNAL_ENTRY__INIT;
        je.job_id = j->id;
        je.cancelled = 1;
        journal_append(c, &je);
    }
    j->state = EXCAM__JOB_STATE__CANCELLED;
    coord_log("job %llu (%s) cancelled", (unsigned long long)j->id, j->name);
    job_shrink(c, j);
}

/* All chunks final: the output manifest (the final frames' blobs, 32 bytes per chunk). */
static void job_finish(coord *c, cjob *j)
{
    char err[512];
    if (j->noop) {
        j->state = EXCAM__JOB_STATE__DONE;
        coord_log("job %llu (%s) done: %u no-op tasks", (unsigned long long)j->id, j->name, j->chunks);
        job_shrink(c, j);
        return;
    }
    uint8_t *man = malloc((size_t)j->chunks * 32);
    if (!man) {
        job_fail(c, j, EXCAM__ERROR_CODE__ERR_INTERNAL, "out of memory");
        return;
    }
    for (uint32_t k = 0; k < j->chunks; k++)
        memcpy(man + 32 * k, final_task(j, k)->out[0], 32);
    int e = blobstore_put(j->bs, man, (size_t)j->chunks * 32, j->result, err, sizeof(err));
    free(man);
    if (e) {
        job_fail(c, j, EXCAM__ERROR_CODE__ERR_STORAGE, "cannot store the output manifest: %s", err);
        return;
    }
    j->result_size = (uint64_t)j->chunks * 32;
    j->state = EXCAM__JOB_STATE__DONE;
    coord_log("job %llu (%s) done: %u frames in %u chunks", (unsigned long long)j->id, j->name,
              j->frames, j->chunks);
    job_shrink(c, j);
}

/* The outputs a task of each kind reports. */
static const char *const out_names[3][2] = {{"frames", "state"}, {"frames", NULL}, {"frames", "state"}};

int job_task_done(coord *c, cjob *j, uint32_t idx, const Excam__TaskResult *r, int journal)
{
    ctask *t = &j->tasks[idx];
    int kind = kind_of(j, idx);
    for (int o = 0; o < 2 && !j->noop; o++) {
        if (!out_names[kind][o]) continue;
        size_t i;
        for (i = 0; i < r->n_outputs; i++)
            if (!strcmp(r->outputs[i]->name, out_names[kind][o])) break;
        if (i == r->n_outputs) return -1;
        memcpy(t->out[o], r->outputs[i]->hash.data, 32);
        t->out_size[o] = r->outputs[i]->size;
    }
    if (journal && c->journal_fd >= 0) {
        Excam__JournalEntry je = EXCAM__JOURNAL_ENTRY__INIT;
        je.job_id = j->id;
        je.done = (Excam__TaskResult *)r;
        journal_append(c, &je);
    }
    if (t->heap_pos >= 0) heap_remove(c, j, (int)idx); /* replay of a ready task */
    t->state = TS_DONE;
    j->done[kind]++;
    if (isfinite(r->cpu_seconds) && r->cpu_seconds > 0) j->cpu[kind] += r->cpu_seconds;
    if (j->state == EXCAM__JOB_STATE__QUEUED) j->state = EXCAM__JOB_STATE__RUNNING;
    int64_t k = t->chunk;
    switch (j->noop ? -1 : kind) {
    case K_ENCODE:
        maybe_ready(c, j, K_REENCODE, k + 1);
        maybe_ready(c, j, K_REBASE, k);
        maybe_ready(c, j, K_REBASE, k + 1);
        break;
    case K_REENCODE: maybe_ready(c, j, K_REBASE, k); break;
    case K_REBASE: maybe_ready(c, j, K_REBASE, k + 1); break;
    default: break; /* noop tasks have no dependents */
    }
    if (j->done[0] + j->done[1] + j->done[2] == j->total[0] + j->total[1] + j->total[2])
        job_finish(c, j);
    return 0;
}

/* ------------------------------------------------------------ assignment */

static int assign(coord *c, conn *w, cjob *j, int idx)
{
    ctask *t = &j->tasks[idx];
    int kind = kind_of(j, (uint32_t)idx);
    uint32_t k = t->chunk;
    Excam__Envelope env = EXCAM__ENVELOPE__INIT;
    Excam__TaskAssign ta = EXCAM__TASK_ASSIGN__INIT;
    Excam__TaskRef ref = EXCAM__TASK_REF__INIT;
    Excam__BlobRef in[5], *inp[5];
    int nin = 0;

#define INPUT(nm, h, sz)                                                                     \
    do {                                                                                     \
        excam__blob_ref__init(&in[nin]);                                                     \
        in[nin].name = (char *)(nm);                                                         \
        in[nin].hash.data = (uint8_t *)(h);                                                  \
        in[nin].hash.len = 32;                                                               \
        in[nin].size = (sz);                                                                 \
        inp[nin] = &in[nin];                                                                 \
        nin++;                                                                               \
    } while (0)
    if (!j->noop) INPUT("source", j->src[k], source_size(j, k));
    if (kind == K_REENCODE) {
        INPUT("prev-state", task_at(j, K_ENCODE, k - 1)->out[1], task_at(j, K_ENCODE, k - 1)->out_size[1]);
    } else if (kind == K_REBASE) {
        ctask *re = task_at(j, K_REENCODE, k), *enc = task_at(j, K_ENCODE, k),
              *s1 = task_at(j, K_ENCODE, k - 1), *fin = final_task(j, k - 1);
        INPUT("re-frame", re->out[0], re->out_size[0]);
        INPUT("enc-frames", enc->out[0], enc->out_size[0]);
        INPUT("stage1-prev-state", s1->out[1], s1->out_size[1]);
        INPUT("prev-state", fin->out[1], fin->out_size[1]);
    }
#undef INPUT
    t->attempts++;
    ref.job_id = j->id;
    ref.task_id = (uint64_t)idx + 1;
    ref.attempt = t->attempts;
    ta.task = &ref;
    ta.kind = t->kind;
    ta.params = j->noop ? NULL : &j->params;
    Excam__EncodeParams own;
    if (j->quant) { /* this chunk's own quantizers */
        own = j->params;
        own.q_key = j->quant[k][0];
        own.q_inter = j->quant[k][1];
        own.first_boost = j->quant[k][2];
        ta.params = &own;
    }
    ta.first_frame = chunk_first(j, k);
    ta.frame_count = j->noop ? 0 : chunk_len(j, k);
    ta.n_inputs = (size_t)nin;
    ta.inputs = inp;
    ta.storage_uri = j->storage;
    ta.group_start = group_start(j, k);
    env.body_case = EXCAM__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &ta;
    if (conn_send(c, w, &env)) return -1;

    slot *s = NULL;
    for (int i = 0; i < w->slots && !s; i++)
        if (!w->running[i].job_id) s = &w->running[i];
    s->job_id = j->id;
    s->task = (uint32_t)idx;
    s->attempt = t->attempts;
    s->since_ms = c->now_ms;
    if (++w->busy == w->slots) idle_remove(c, w);
    if (t->running++ == 0) t->started_ms = c->now_ms;
    t->state = TS_RUN;
    if (j->state == EXCAM__JOB_STATE__QUEUED) j->state = EXCAM__JOB_STATE__RUNNING;
    c->assigned++;
    if (c->o->verbose)
        coord_log("job %llu: %s of chunk %u (attempt %u) to worker %llu (%s)",
                  (unsigned long long)j->id, kind_name[kind], k + 1, t->attempts,
                  (unsigned long long)w->id, w->name);
    return 0;
}

void jobs_dispatch(coord *c)
{
    while (c->idle.idle_next != &c->idle && c->active.rr_next != &c->active) {
        conn *w = c->idle.idle_next;
        cjob *j = c->active.rr_next;
        int idx = heap_pop(c, j);
        if (j->in_active) { /* to the end of the round robin */
            active_remove(c, j);
            active_add(c, j);
        }
        if (assign(c, w, j, idx)) {
            /* The worker could not take it (its connection is going): back in the queue. */
            make_ready(c, j, idx);
            j->tasks[idx].attempts--;
            conn_drop(c, w, "cannot send to it");
        }
    }
}

/* One attempt of a task ended without a result (its worker went): the task is ready
 * again once no attempt of it runs. */
static void attempt_lost(coord *c, const slot *s)
{
    cjob *j = job_find(c, s->job_id);
    if (!j || !j->tasks) return;
    ctask *t = &j->tasks[s->task];
    if (t->running) t->running--;
    if (t->state == TS_RUN && !t->running) make_ready(c, j, (int)s->task);
}

void jobs_worker_lost(coord *c, conn *w)
{
    for (int i = 0; i < w->slots; i++)
        if (w->running[i].job_id) {
            slot s = w->running[i];
            memset(&w->running[i], 0, sizeof(w->running[i]));
            cjob *j = job_find(c, s.job_id);
            if (j && j->tasks)
                coord_log("job %llu: %s of chunk %u goes back in the queue (worker %llu lost)",
                          (unsigned long long)j->id, kind_name[kind_of(j, s.task)],
                          j->tasks[s.task].chunk + 1, (unsigned long long)w->id);
            attempt_lost(c, &s);
        }
    w->busy = 0;
    idle_remove(c, w);
}

/* The task that makes input `name` of task idx, or NULL for the source (the client's). */
static int producer(const cjob *j, uint32_t idx, const char *name)
{
    uint32_t k = j->tasks[idx].chunk;
    const ctask *p = NULL;
    switch (kind_of(j, idx)) {
    case K_REENCODE:
        if (!strcmp(name, "prev-state")) p = task_at(j, K_ENCODE, k - 1);
        break;
    case K_REBASE:
        if (!strcmp(name, "re-frame")) p = task_at(j, K_REENCODE, k);
        else if (!strcmp(name, "enc-frames")) p = task_at(j, K_ENCODE, k);
        else if (!strcmp(name, "stage1-prev-state")) p = task_at(j, K_ENCODE, k - 1);
        else if (!strcmp(name, "prev-state")) p = final_task(j, k - 1);
        break;
    default: break;
    }
    return p ? (int)(p - j->tasks) : -1;
}

/* Task idx failed because storage lost (or had corrupt, now deleted) the inputs named in
 * r: their tasks run again, and idx waits for them. 0; 1 when the claim does not hold
 * (an input it does not have, a source chunk still there): an ordinary failure; -1 with
 * why when a source chunk is gone (only the client has those). */
static int inputs_lost(coord *c, cjob *j, uint32_t idx, const Excam__TaskResult *r, char *why,
                       size_t whylen)
{
    ctask *t = &j->tasks[idx];
    for (size_t i = 0; i < r->n_lost_inputs; i++) {
        int p = producer(j, idx, r->lost_inputs[i]);
        if (p < 0 && strcmp(r->lost_inputs[i], "source")) return 1;
        if (p < 0) {
            /* Ask storage (one request, rare): a worker's word alone does not end a job. */
            char err[512];
            if (blobstore_has(j->bs, j->src[t->chunk], err, sizeof(err)) != 0) return 1;
            snprintf(why, whylen, "storage lost input chunk %u (%s); submit the job again",
                     t->chunk + 1, r->message ? r->message : "");
            return -1;
        }
        ctask *pt = &j->tasks[p];
        if (pt->state != TS_DONE) continue; /* being made again already */
        coord_log("job %llu: storage lost the %s made by %s of chunk %u: it runs again",
                  (unsigned long long)j->id, r->lost_inputs[i], kind_name[kind_of(j, (uint32_t)p)],
                  pt->chunk + 1);
        j->done[kind_of(j, (uint32_t)p)]--;
        if (deps_done(j, (uint32_t)p)) make_ready(c, j, p);
        else pt->state = TS_WAIT; /* an input of its own is being made again too */
    }
    /* It becomes ready again when its inputs are done (job_task_done). */
    if (!t->running) {
        if (deps_done(j, idx)) make_ready(c, j, (int)idx);
        else t->state = TS_WAIT;
    }
    return 0;
}

void jobs_result(coord *c, conn *w, const Excam__TaskResult *r)
{
    slot *s = NULL;
    for (int i = 0; i < w->slots && !s; i++)
        if (w->running[i].job_id == r->task->job_id &&
            w->running[i].task + 1 == r->task->task_id &&
            w->running[i].attempt == r->task->attempt)
            s = &w->running[i];
    if (!s) {
        conn_drop(c, w, "a result for a task it was not given");
        return;
    }
    slot done = *s;
    memset(s, 0, sizeof(*s));
    w->busy--;
    idle_add(c, w);
    cjob *j = job_find(c, done.job_id);
    c->finished++;
    if (!j || !j->tasks) { /* cancelled, failed or finished meanwhile */
        jobs_dispatch(c);
        return;
    }
    ctask *t = &j->tasks[done.task];
    int kind = kind_of(j, done.task);
    if (t->running) t->running--;
    if (t->state == TS_DONE) {
        /* A speculative copy lost the race. The tasks are pure: its outputs must be
         * the winner's. */
        for (size_t i = 0; r->code == EXCAM__ERROR_CODE__ERR_NONE && i < r->n_outputs; i++)
            for (int o = 0; o < 2; o++)
                if (out_names[kind][o] && !strcmp(r->outputs[i]->name, out_names[kind][o]) &&
                    memcmp(r->outputs[i]->hash.data, t->out[o], 32))
                    coord_log("job %llu: WARNING: two attempts of %s of chunk %u made different "
                              "%s (a nondeterministic worker?)",
                              (unsigned long long)j->id, kind_name[kind], t->chunk + 1,
                              out_names[kind][o]);
        jobs_dispatch(c);
        return;
    }
    if (r->code == EXCAM__ERROR_CODE__ERR_NONE) {
        double ms = (double)(c->now_ms - done.since_ms);
        kind_stats *ks = &c->kstats[kind];
        uint32_t chunk = t->chunk; /* the job may finish and drop its graph */
        uint64_t id = j->id;
        ks->count++;
        ks->mean_ms += (ms - ks->mean_ms) / (double)(ks->count < 50 ? ks->count : 50);
        if (c->o->verbose)
            coord_log("job %llu: %s of chunk %u done by worker %llu in %.0f ms",
                      (unsigned long long)id, kind_name[kind], chunk + 1,
                      (unsigned long long)w->id, ms);
        j->wall[kind] += ms / 1000; /* before job_task_done: a finished job stays, its graph goes */
        if (job_task_done(c, j, done.task, r, 1))
            job_fail(c, j, EXCAM__ERROR_CODE__ERR_PROTOCOL,
                     "worker %llu reported %s of chunk %u without its outputs",
                     (unsigned long long)w->id, kind_name[kind], chunk + 1);
    } else {
        t->failures++;
        coord_log("job %llu: %s of chunk %u failed on worker %llu: %s",
                  (unsigned long long)j->id, kind_name[kind], t->chunk + 1,
                  (unsigned long long)w->id, r->message ? r->message : "");
        /* The codec's verdicts are the same everywhere; storage trouble may pass. */
        char why[WIRE_MAX_TEXT + 200];
        int lost;
        if (r->code == EXCAM__ERROR_CODE__ERR_CODEC || r->code == EXCAM__ERROR_CODE__ERR_BAD_REQUEST ||
            t->failures >= c->o->max_attempts)
            job_fail(c, j, r->code, "%s of chunk %u: %s", kind_name[kind], t->chunk + 1,
                     r->message ? r->message : "failed");
        else if (r->code == EXCAM__ERROR_CODE__ERR_NOT_FOUND && r->n_lost_inputs &&
                 (lost = inputs_lost(c, j, done.task, r, why, sizeof(why))) <= 0) {
            if (lost < 0) job_fail(c, j, EXCAM__ERROR_CODE__ERR_STORAGE, "%s", why);
        } else if (!t->running)
            make_ready(c, j, (int)done.task);
    }
    jobs_dispatch(c);
}

/* Idle workers and nothing ready: a second attempt of the task that has run longest,
 * if it has run three times as long as tasks of its kind take (and a second at least).
 * The first result wins. */
void jobs_speculate(coord *c)
{
    while (c->idle.idle_next != &c->idle && c->active.rr_next == &c->active) {
        cjob *bj = NULL;
        int bidx = -1;
        int64_t bage = 0;
        for (int fd = 0; fd < c->nconns_cap; fd++) {
            conn *w = c->conns[fd];
            if (!w || w->role != CONN_WORKER) continue;
            for (int i = 0; i < w->slots; i++) {
                slot *s = &w->running[i];
                if (!s->job_id) continue;
                cjob *j = job_find(c, s->job_id);
                if (!j || !j->tasks) continue;
                ctask *t = &j->tasks[s->task];
                if (t->state != TS_RUN || t->running != 1 || t->attempts >= 3) continue;
                int kind = kind_of(j, s->task);
                double limit = c->kstats[kind].count ? 3 * c->kstats[kind].mean_ms : 0;
                if (limit < 1000) limit = 1000;
                int64_t age = c->now_ms - t->started_ms;
                if (age > limit && age > bage) {
                    bj = j;
                    bidx = (int)s->task;
                    bage = age;
                }
            }
        }
        if (!bj) return;
        conn *w = c->idle.idle_next;
        coord_log("job %llu: %s of chunk %u has run %.1f s: a second attempt on worker %llu",
                  (unsigned long long)bj->id, kind_name[kind_of(bj, (uint32_t)bidx)],
                  bj->tasks[bidx].chunk + 1, bage / 1000.0, (unsigned long long)w->id);
        if (assign(c, w, bj, bidx)) {
            bj->tasks[bidx].attempts--;
            conn_drop(c, w, "cannot send to it");
        }
    }
}

void jobs_free(coord *c)
{
    for (uint64_t i = 0; i < c->njobs; i++)
        job_free(c->jobs[i]);
    free(c->jobs);
    c->jobs = NULL;
    c->njobs = c->jobs_cap = 0;
}
