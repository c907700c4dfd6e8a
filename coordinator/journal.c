/*
 * The coordinator's journal: <state_dir>/journal, an append-only file of records, each a
 * 4-byte big-endian length and a packed Excam__JournalEntry: a job accepted (with its id
 * and what was submitted), a task finished (its result: the outputs' hashes), a job
 * cancelled. A restarted coordinator replays it before it listens, so every job goes on
 * where it was and no finished task runs again; the blobs the entries name are in
 * storage. Records are written with one write() each and synced once per turn of the
 * event loop (a kill -9 loses nothing that write() returned; a power cut loses at most
 * the last turn's records, and those tasks simply run again). A record cut short by a
 * crash is cut off at replay.
 */
#include "coord_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_RECORD = 1 << 20 };

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int journal_append(coord *c, const Excam__JournalEntry *e)
{
    size_t len = excam__journal_entry__get_packed_size(e);
    if (c->journal_fd < 0) return 0;
    if (len > MAX_RECORD) return -1;
    uint8_t *buf = malloc(4 + len);
    if (!buf) return -1;
    buf[0] = (uint8_t)(len >> 24);
    buf[1] = (uint8_t)(len >> 16);
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
    excam__journal_entry__pack(e, buf + 4);
    int r = write_all(c->journal_fd, buf, 4 + len);
    free(buf);
    if (r) coord_log("journal: write failed: %s", strerror(errno));
    c->journal_dirty = 1;
    return r;
}

void journal_sync(coord *c)
{
    if (c->journal_fd >= 0 && c->journal_dirty) {
        fdatasync(c->journal_fd);
        c->journal_dirty = 0;
    }
}

void journal_close(coord *c)
{
    if (c->journal_fd >= 0) {
        journal_sync(c);
        close(c->journal_fd);
        c->journal_fd = -1;
    }
}

/* Apply one entry; 0, or -1 if it does not fit what came before. */
static int replay_entry(coord *c, const Excam__JournalEntry *e, char *err, size_t errlen)
{
    if (e->submit) {
        cjob *j;
        char why[512];
        if (!e->submit->params || !e->submit->input_manifest ||
            e->submit->input_manifest->hash.len != 32 || !e->submit->chunk_frames ||
            !e->submit->rebase_chunks || !e->submit->frame_count) {
            snprintf(err, errlen, "job %llu: an incomplete submission", (unsigned long long)e->job_id);
            return -1;
        }
        if (job_submit(c, e->submit, e->job_id, 0, &j, why, sizeof(why))) {
            /* Its input is gone, say: the job is remembered as failed, the rest goes on. */
            coord_log("journal: job %llu cannot resume: %s", (unsigned long long)e->job_id, why);
        }
        return 0;
    }
    cjob *j = job_find(c, e->job_id);
    if (!j) {
        /* A job that could not resume (see above): its entries are skipped. */
        return 0;
    }
    if (e->cancelled) {
        job_cancel(c, j, 0);
        return 0;
    }
    if (e->done) {
        const Excam__TaskResult *r = e->done;
        if (!j->tasks) return 0; /* finished, failed or cancelled */
        if (!r->task || r->task->task_id < 1 || r->task->task_id > (uint64_t)j->chunks * 3) {
            snprintf(err, errlen, "job %llu: a result for no task", (unsigned long long)j->id);
            return -1;
        }
        uint32_t idx = (uint32_t)(r->task->task_id - 1);
        if (j->tasks[idx].state == TS_NONE) {
            snprintf(err, errlen, "job %llu: a result for no task", (unsigned long long)j->id);
            return -1;
        }
        if (j->tasks[idx].state == TS_DONE) return 0;
        for (size_t i = 0; i < r->n_outputs; i++)
            if (!r->outputs[i] || !r->outputs[i]->name || r->outputs[i]->hash.len != 32) {
                snprintf(err, errlen, "job %llu: a malformed result", (unsigned long long)j->id);
                return -1;
            }
        if (job_task_done(c, j, idx, r, 0)) {
            snprintf(err, errlen, "job %llu: a result without its outputs", (unsigned long long)j->id);
            return -1;
        }
    }
    return 0;
}

int journal_open(coord *c, char *err, size_t errlen)
{
    char path[4200];
    c->journal_fd = -1;
    if (!c->o->state_dir) return 0;
    if (mkdir(c->o->state_dir, 0755) && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot make the directory: %s", c->o->state_dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/journal", c->o->state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* Replay what is there. */
    struct stat st;
    if (fstat(fd, &st)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size, off = 0, entries = 0;
    uint8_t *buf = size ? malloc(size) : NULL;
    if (size && !buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        close(fd);
        return -1;
    }
    for (size_t got = 0; got < size;) {
        ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            snprintf(err, errlen, "%s: cannot read: %s", path, r ? strerror(errno) : "short file");
            free(buf);
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    while (off + 4 <= size) {
        size_t len = (size_t)buf[off] << 24 | (size_t)buf[off + 1] << 16 |
                     (size_t)buf[off + 2] << 8 | buf[off + 3];
        if (len > MAX_RECORD || len > size - off - 4) break; /* a record cut short */
        Excam__JournalEntry *e = excam__journal_entry__unpack(NULL, len, buf + off + 4);
        if (!e) {
            snprintf(err, errlen, "%s: record at byte %zu does not parse", path, off);
            free(buf);
            close(fd);
            return -1;
        }
        int bad = replay_entry(c, e, err, errlen);
        excam__journal_entry__free_unpacked(e, NULL);
        if (bad) {
            free(buf);
            close(fd);
            return -1;
        }
        off += 4 + len;
        entries++;
    }
    free(buf);
    if (off != size) {
        coord_log("journal: %s: the last %zu bytes are an incomplete record (a crash while "
                  "writing it): cut off", path, size - off);
        if (ftruncate(fd, (off_t)off)) {
            snprintf(err, errlen, "%s: cannot truncate: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
    }
    if (lseek(fd, 0, SEEK_END) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    c->journal_fd = fd;
    if (entries) {
        uint64_t running = 0;
        for (uint64_t i = 0; i < c->njobs; i++)
            running += c->jobs[i] && c->jobs[i]->tasks != NULL;
        coord_log("journal: %zu records replayed: %llu jobs, %llu of them to go on",
                  entries, (unsigned long long)c->njobs, (unsigned long long)running);
    }
    return 0;
}
