/*
 * The macroblock rows of one frame: modes (§19.3), residue (§13), reconstruction
 * (§12, §14, §18), loop filter (§15) and border extension, on one thread or on
 * several in a wavefront.
 *
 * One row's work, in this order, by whichever thread took the row r:
 *   decode(r)      modes (unless parsed beforehand), tokens and reconstruction of
 *                  each macroblock; MB (r, c) waits until row r-1 has reconstructed
 *                  MB c+1, whose bottom row is its above and above-right edge;
 *   filter(r-1)    the loop filter of the row above, MB by MB once row r-2's filter
 *                  has passed MB c+1 (filtering (r-1, c) changes the three bottom
 *                  pixel rows of (r-2, c), and (r-2, c+1)'s left edge changed their
 *                  right end). It comes after decode(r) because intra prediction
 *                  reads unfiltered pixels (§15: the loop filter applies to the
 *                  whole frame after reconstruction) and filter(r-1) leaves row r
 *                  alone;
 *   extend(r-2)    row r-2 is final once filter(r-1) is done: its side borders.
 * The last row's filter and the remaining borders follow the last row.
 *
 * Single-threaded, this keeps a frame's working set within a few macroblock rows
 * (the whole-frame loop filter pass read the frame back from memory). With several
 * threads, rows are taken in order from a counter; a row's tokens come from
 * partition r % P (§9.5), so row r + P starts only after row r is done with that
 * partition: P partitions allow up to P rows at once. The token contexts above
 * (nz_above) are per column and pass from row to row under the same waits as the
 * pixels. Every thread does the same arithmetic in the same order on every pixel,
 * so the output is the same bytes for any number of threads.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "boolreader.h"
#include "dsp.h"
#include "vp8i.h"

typedef struct row_sync {
    atomic_int *decoded;  /* per row: macroblocks reconstructed */
    atomic_int *filtered; /* per row: macroblocks loop-filtered */
    atomic_int next_row;  /* the next row a thread takes */
    atomic_int waiters;   /* threads asleep (or about to be) on cv */
    atomic_int corrupt;
    mtx_t m;
    cnd_t cv;
} row_sync;

typedef struct rows_job {
    vp8_decoder *d;
    vp8_bool_decoder *first, *parts;
    int modes_inline; /* read each row's modes just before its tokens */
    row_sync *sync;   /* NULL: one thread, nothing to wait for */
} rows_job;

/* Wait until *p >= want. Progress is published once a macroblock, so waits are
 * short: spin a little, then sleep. The seq_cst order of `waiters` and the
 * progress counters (Dekker's pattern) means a publisher either sees a waiter or
 * the waiter sees the new value. */
static void wait_for(row_sync *s, atomic_int *p, int want)
{
    if (atomic_load_explicit(p, memory_order_acquire) >= want)
        return;
    for (int i = 0; i < 64; i++) {
        if (atomic_load_explicit(p, memory_order_acquire) >= want)
            return;
        if (i >= 16)
            sched_yield();
    }
    mtx_lock(&s->m);
    atomic_fetch_add(&s->waiters, 1);
    while (atomic_load(p) < want)
        cnd_wait(&s->cv, &s->m);
    atomic_fetch_sub(&s->waiters, 1);
    mtx_unlock(&s->m);
}

static void publish(row_sync *s, atomic_int *p, int value)
{
    atomic_store(p, value);
    if (atomic_load(&s->waiters) > 0) {
        mtx_lock(&s->m);
        cnd_broadcast(&s->cv);
        mtx_unlock(&s->m);
    }
}

/* decode(r): returns nonzero if the row's partition ran out of data. */
static int decode_row(const rows_job *j, int r)
{
    vp8_decoder *d = j->d;
    row_sync *s = j->sync;
    const int cols = d->s->mb_cols;
    vp8_bool_decoder *bd = &j->parts[r % d->hdr.num_partitions];
    uint8_t nz_left[9], eobs[25];
    int16_t coeffs[25][16];

    memset(nz_left, 0, sizeof(nz_left));
    if (j->modes_inline)
        vp8_read_row_modes(d, j->first, r);
    vp8_recon_setup_row(d, r);
    for (int c = 0; c < cols; c++) {
        vp8_mb_info *mb = vp8_mbi(d, r, c);
        uint8_t *nz_above = d->nz_above + 9 * c;
        int has_coeffs = 0;

        if (s && r > 0)
            wait_for(s, &s->decoded[r - 1], c + 2 < cols ? c + 2 : cols);
        memset(eobs, 0, sizeof(eobs));
        if (!mb->skip) {
            /* Once a partition has run dry its macroblocks get no residue (libvpx). */
            memset(coeffs, 0, sizeof(coeffs));
            if (!vp8_bool_overrun(bd))
                has_coeffs = vp8_read_mb_tokens(d, bd, mb, nz_left, nz_above, coeffs, eobs);
        } else {
            /* §13.1: no residue; contexts reset (Y2's only if the MB has one). */
            int keep_y2 = mb->ymode == VP8_B_PRED || mb->ymode == VP8_MV_SPLIT;
            memset(nz_left, 0, keep_y2 ? 8 : 9);
            memset(nz_above, 0, keep_y2 ? 8 : 9);
        }
        mb->skip = !has_coeffs; /* from here on: "no residue" for the loop filter */
        vp8_reconstruct_mb(d, r, c, mb, has_coeffs, coeffs, eobs);
        if (c == cols - 1)
            vp8_recon_finish_row(d, r); /* the next row's above-right, before it looks */
        if (s)
            publish(s, &s->decoded[r], c + 1);
    }
    return vp8_bool_overrun(bd);
}

/* filter(r), MB by MB behind row r-1's filter. */
static void filter_row(const rows_job *j, int r)
{
    vp8_decoder *d = j->d;
    row_sync *s = j->sync;
    const int cols = d->s->mb_cols;

    if (!d->hdr.filter_level) {
        if (s)
            publish(s, &s->filtered[r], cols);
        return;
    }
    if (!s || r == 0) {
        vp8_loop_filter_row(d, r);
        if (s)
            publish(s, &s->filtered[r], cols);
        return;
    }
    for (int c = 0; c < cols; c++) {
        wait_for(s, &s->filtered[r - 1], c + 2 < cols ? c + 2 : cols);
        vp8_loop_filter_mbs(d, r, c, c + 1);
        publish(s, &s->filtered[r], c + 1);
    }
}

/* decode(r), filter(r-1), extend(r-2). */
static int row_steps(const rows_job *j, int r)
{
    int corrupt = decode_row(j, r);
    if (r >= 1)
        filter_row(j, r - 1);
    if (r >= 2)
        vp8_frame_extend_row(j->d->cur, r - 2);
    return corrupt;
}

static int row_thread(void *arg)
{
    const rows_job *j = arg;
    row_sync *s = j->sync;
    const int rows = j->d->s->mb_rows, P = j->d->hdr.num_partitions;
    int r, corrupt = 0;

    while ((r = atomic_fetch_add(&s->next_row, 1)) < rows) {
        /* The partition's previous row must be done with the bool decoder. */
        if (r >= P)
            wait_for(s, &s->decoded[r - P], j->d->s->mb_cols);
        corrupt |= row_steps(j, r);
    }
    if (corrupt)
        atomic_store(&s->corrupt, 1);
    return 0;
}

/* The end of the frame: the last row's filter and the borders not yet extended. */
static void finish_frame(const rows_job *j)
{
    vp8_frame *f = j->d->cur;
    int rows = f->mb_rows;
    filter_row(j, rows - 1);
    for (int r = rows >= 2 ? rows - 2 : 0; r < rows; r++)
        vp8_frame_extend_row(f, r);
    vp8_frame_extend_top_bottom(f);
}

enum { MAX_THREADS = 64 };

static int decode_threaded(rows_job *j, int threads)
{
    vp8_decoder *d = j->d;
    const int rows = d->s->mb_rows;
    row_sync s;
    thrd_t tid[MAX_THREADS];
    int started = 0, ok = 0;

    memset(&s, 0, sizeof(s));
    s.decoded = calloc((size_t)rows, sizeof(*s.decoded));
    s.filtered = calloc((size_t)rows, sizeof(*s.filtered));
    if (s.decoded && s.filtered && mtx_init(&s.m, mtx_plain) == thrd_success) {
        if (cnd_init(&s.cv) == thrd_success)
            ok = 1;
        else
            mtx_destroy(&s.m);
    }
    if (!ok) {
        free(s.decoded);
        free(s.filtered);
        return -1; /* the caller decodes on one thread */
    }
    for (int r = 0; r < rows; r++) {
        atomic_init(&s.decoded[r], 0);
        atomic_init(&s.filtered[r], 0);
    }
    atomic_init(&s.next_row, 0);
    atomic_init(&s.waiters, 0);
    atomic_init(&s.corrupt, 0);
    j->sync = &s;
    /* Rows go to whichever thread asks next, so a thread that could not be
     * started is simply not there: the others take its share. */
    for (int t = 0; t < threads - 1; t++) {
        if (thrd_create(&tid[started], row_thread, j) != thrd_success)
            break;
        started++;
    }
    row_thread(j);
    for (int t = 0; t < started; t++)
        thrd_join(tid[t], NULL);
    finish_frame(j);
    cnd_destroy(&s.cv);
    mtx_destroy(&s.m);
    free(s.decoded);
    free(s.filtered);
    return atomic_load(&s.corrupt);
}

int vp8_decode_rows(vp8_decoder *d, vp8_bool_decoder *first, vp8_bool_decoder *parts,
                    int threads)
{
    const int rows = d->s->mb_rows;
    rows_job j = {d, first, parts, 1, NULL};
    int corrupt = 0;

    vp8_loop_filter_setup(d);
    /* More threads than partitions only wait; tiny frames are not worth a thread. */
    if (threads > d->hdr.num_partitions)
        threads = d->hdr.num_partitions;
    if (threads > rows / 2)
        threads = rows / 2;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (threads > 1) {
        /* The first partition is one stream: its modes are read beforehand, in
         * order (libvpx's vp8_decode_mode_mvs does the same for its threads). */
        for (int r = 0; r < rows; r++)
            vp8_read_row_modes(d, first, r);
        j.modes_inline = 0;
        corrupt = decode_threaded(&j, threads);
        if (corrupt >= 0)
            return corrupt | vp8_bool_overrun(first);
        /* No synchronization objects: one thread after all, modes already read. */
        corrupt = 0;
        j.sync = NULL;
    }
    for (int r = 0; r < rows; r++)
        corrupt |= row_steps(&j, r);
    finish_frame(&j);
    return corrupt | vp8_bool_overrun(first);
}
