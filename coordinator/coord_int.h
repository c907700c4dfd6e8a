/*
 * The coordinator's insides, shared by its files:
 *   server.c   the event loop: listening socket, connections, timers, messages
 *   jobs.c     the jobs: task graphs, the ready queues, assignment, results
 *   journal.c  the journal of accepted jobs and finished tasks, and its replay
 */
#ifndef EXCAM_COORD_INT_H
#define EXCAM_COORD_INT_H

#include <stdint.h>

#include "auth.h"
#include "blobstore.h"
#include "coordinator.h"
#include "proto/excam.pb-c.h"
#include "transport.h"
#include "wire.h"

typedef struct coord coord;
typedef struct conn conn;
typedef struct cjob cjob;

/* ------------------------------------------------------------ connections */

/* NEW: until a valid Hello; AUTH: challenged, until the AuthResponse (with --key). */
enum { CONN_NEW, CONN_AUTH, CONN_WORKER, CONN_CLIENT };

/* One running task attempt of a worker. */
typedef struct slot {
    uint64_t job_id;
    uint32_t task;    /* index into the job's tasks */
    uint32_t attempt;
    int64_t since_ms;
} slot;

struct conn {
    xconn x;                  /* the socket, plaintext or TLS (x.fd indexes coord.conns) */
    int role;                 /* CONN_* */
    uint64_t id;              /* session id */
    char peer[64];            /* "host:port" */
    char name[WIRE_MAX_NAME + 1];
    int64_t last_ms;          /* last message */
    int64_t opened_ms;
    wire_reader rd;
    uint8_t *out;             /* pending output, [out_off, out_len) */
    size_t out_len, out_off, out_cap;
    int want_write;           /* EPOLLOUT is on */
    int closing;              /* drop once the output is flushed */
    int broken;               /* a send failed: drop after the message being handled */
    int read_wants_write;     /* TLS: a read waits for writability (EPOLLOUT is on for it) */
    /* CONN_AUTH: the challenge sent and what the Hello asked for */
    uint8_t nonce[AUTH_NONCE_BYTES];
    int hello_role, hello_slots;
    /* workers */
    int slots, busy;
    slot *running;            /* [slots] */
    conn *idle_prev, *idle_next; /* in coord.idle while busy < slots */
    int in_idle;
};

/* ------------------------------------------------------------ jobs */

enum { TS_NONE, TS_WAIT, TS_READY, TS_RUN, TS_DONE };

typedef struct ctask {
    uint8_t kind;        /* EXCAM__TASK_KIND__ENCODE, REENCODE, REBASE */
    uint8_t state;       /* TS_* */
    uint16_t running;    /* attempts running now */
    uint16_t attempts;   /* attempts started */
    uint16_t failures;   /* attempts that failed */
    uint32_t chunk;
    int heap_pos;        /* in the job's ready heap, or -1 */
    int64_t started_ms;  /* when the oldest running attempt started */
    uint8_t out[2][32];  /* outputs: frames, state */
    uint64_t out_size[2];
} ctask;

struct cjob {
    uint64_t id;
    char name[WIRE_MAX_NAME + 1];
    int state;                    /* EXCAM__JOB_STATE__* */
    int noop;                     /* a load test: independent NOOP tasks, no storage */
    uint32_t width, height, frames, fps_num, fps_den, n, x, chunks;
    Excam__EncodeParams params;
    char storage[WIRE_MAX_TEXT + 1];
    blobstore *bs;
    uint8_t manifest[32];         /* the input manifest blob */
    uint8_t (*src)[32];           /* [chunks] source blobs */
    uint8_t (*quant)[3];          /* [chunks] q_key, q_inter, first_boost, or NULL: params' */
    ctask *tasks;                 /* [3 * chunks]: encode, re-encode, rebase of chunk k */
    int *heap, nheap;             /* ready tasks, by priority */
    uint32_t done[3], total[3];   /* per stage */
    double cpu[3];                /* per stage: CPU seconds of the winning attempts */
    double wall[3];               /* per stage: their wall seconds, assignment to result */
    uint8_t result[32];           /* DONE: the output manifest */
    uint64_t result_size;
    int error;                    /* FAILED: the code */
    char message[WIRE_MAX_TEXT + 1];
    cjob *rr_prev, *rr_next;      /* in coord.active while it has ready tasks */
    int in_active;
};

/* Task durations by kind, for spotting stragglers. */
typedef struct kind_stats {
    double mean_ms;  /* running mean of finished attempts */
    uint64_t count;
} kind_stats;

struct coord {
    const coord_opts *o;
    int epfd, lfd;
    int64_t now_ms;
    uint64_t next_session;
    conn **conns;          /* by fd */
    int nconns_cap, nconns;
    conn idle;             /* sentinel of the idle workers' list */
    int nworkers;
    cjob **jobs;           /* [id - 1] */
    uint64_t njobs, jobs_cap;
    cjob active;           /* sentinel of the round robin of jobs with ready tasks */
    kind_stats kstats[4];
    int journal_fd;        /* -1: none */
    int journal_dirty;
    uint64_t assigned, finished; /* counters, for the log */
};

/* server.c */
int64_t coord_now_ms(void);
void coord_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int conn_send(coord *c, conn *cn, const Excam__Envelope *m);
void conn_drop(coord *c, conn *cn, const char *why);
void idle_add(coord *c, conn *w);
void idle_remove(coord *c, conn *w);

/* jobs.c */
int job_submit(coord *c, const Excam__JobSubmit *s, uint64_t id, int journal, cjob **out,
               char *err, size_t errlen);
void job_fill_status(const cjob *j, Excam__JobStatus *st, Excam__StageProgress stages[3],
                     Excam__StageProgress *stage_ptrs[3], Excam__BlobRef *out,
                     Excam__BlobRef *out_ptrs[1]);
void job_cancel(coord *c, cjob *j, int journal);
int job_task_done(coord *c, cjob *j, uint32_t task, const Excam__TaskResult *r, int journal);
void jobs_dispatch(coord *c);
void jobs_worker_lost(coord *c, conn *w);
void jobs_result(coord *c, conn *w, const Excam__TaskResult *r);
void jobs_speculate(coord *c);
cjob *job_find(coord *c, uint64_t id);
void jobs_free(coord *c);

/* journal.c */
int journal_open(coord *c, char *err, size_t errlen);
int journal_append(coord *c, const Excam__JournalEntry *e);
void journal_sync(coord *c);
void journal_close(coord *c);

#endif
