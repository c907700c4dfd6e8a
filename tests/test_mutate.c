/*
 * Mutation robustness: damaged streams must never crash or hang the decoder, and every
 * call must return EXCAM_OK or a negative excam_err (with *out and *shown cleared on
 * error). Mutants are made from the conformance vectors with a seeded PRNG, so a run
 * is reproducible and any mutant can be rerun alone (--only ID).
 *
 * A mutant damages one frame of a vector (or swaps two frames): 1-8 flipped bits
 * (half the time within the first 64 bytes, where the headers are), a truncation,
 * inserted random bytes, a zeroed range, or two frames swapped. The frames before the
 * damage decode as in the intact stream, so each mutant starts from the saved state
 * before its first damaged frame and decodes up to WINDOW frames from there. Even
 * mutants play on after an error from the last good state, as a player would; odd
 * mutants stop at the first error. Every third mutant is decoded on 3 threads (which
 * frames with several token partitions use).
 *
 * usage: test_mutate [-n MUTANTS] [-s SEED] [-w WINDOW] [--only ID] [VECTOR_DIR]
 *   MUTANTS defaults to $EXCAM_MUTANTS or 10000, spread over all vectors;
 *   VECTOR_DIR defaults to $EXCAM_DATA/vp8-test-vectors.
 * Exit status: 0 all passed, 1 a check failed (or a mutant hung), 77 no test data.
 */
#include "test_util.h"

#include <signal.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(UNDER_ASAN)
#define UNDER_ASAN 1
#endif
#ifdef UNDER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/* Seconds a mutant may take before it counts as a hang (ASan is ~3x slower). */
#ifdef UNDER_ASAN
#define MUTANT_SECONDS 60
#else
#define MUTANT_SECONDS 20
#endif

/* ------------------------------------------------- reporting a dying mutant */

/* What is being decoded, for the crash and hang reports (written by a signal handler). */
static char current[256] = "(before the first mutant)";

static void say(const char *s) { (void)!write(2, s, strlen(s)); }

static void on_alarm(int sig)
{
    (void)sig;
    say("\ntest_mutate: HANG (over the time limit) in ");
    say(current);
    say("\n");
    _exit(1);
}

static void on_death(void)
{
    say("\ntest_mutate: CRASH in ");
    say(current);
    say("\n");
}

#ifndef UNDER_ASAN
static void on_crash(int sig)
{
    on_death();
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

static void install_handlers(void)
{
    signal(SIGALRM, on_alarm);
#ifdef UNDER_ASAN
    /* ASan owns SIGSEGV and friends; it calls this before it exits. */
    __sanitizer_set_death_callback(on_death);
#else
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    signal(SIGILL, on_crash);
    signal(SIGABRT, on_crash);
#endif
}

/* ------------------------------------------------------------ mutants */

enum op { OP_FLIP, OP_TRUNCATE, OP_INSERT, OP_ZERO, OP_SWAP, OP_COUNT };

/* One mutated stream: frame pointers into the intact file, except the damaged frame,
 * which points to `buf`. */
typedef struct mutant {
    size_t nframes, first; /* decode from frame `first` (the first one that differs) */
    const uint8_t **frame;
    size_t *size;
    uint8_t *buf;
    char what[96];
} mutant;

/* Build mutant `id` of a vector (deterministic in seed and id). */
static void make_mutant(const tu_ivf *v, uint64_t seed, unsigned long id, mutant *m)
{
    uint64_t r = seed ^ (0x9e3779b97f4a7c15u * (id + 1));
    enum op op = (enum op)tu_rand_below(&r, OP_COUNT);
    size_t f = tu_rand_below(&r, 4) == 0 ? 0 : tu_rand_below(&r, v->nframes);
    size_t len = v->size[f], n;

    memcpy(m->frame, v->frame, v->nframes * sizeof(*m->frame));
    memcpy(m->size, v->size, v->nframes * sizeof(*m->size));
    m->nframes = v->nframes;
    m->first = f;
    if (op == OP_SWAP && v->nframes < 2)
        op = OP_FLIP;
    if (len == 0 && (op == OP_FLIP || op == OP_ZERO || op == OP_TRUNCATE))
        op = OP_INSERT;
    m->buf = malloc(len + 64);
    if (!m->buf)
        abort();
    memcpy(m->buf, v->frame[f], len);
    m->frame[f] = m->buf;

    switch (op) {
    case OP_FLIP:
        n = 1 + tu_rand_below(&r, 8);
        for (size_t i = 0; i < n; i++) {
            size_t span = tu_rand_below(&r, 2) && len > 64 ? 64 : len;
            size_t pos = tu_rand_below(&r, span);
            m->buf[pos] ^= (uint8_t)(1u << tu_rand_below(&r, 8));
        }
        snprintf(m->what, sizeof(m->what), "flip %zu bits of frame %zu", n, f);
        break;
    case OP_TRUNCATE:
        n = tu_rand_below(&r, len);
        m->size[f] = n;
        snprintf(m->what, sizeof(m->what), "truncate frame %zu to %zu of %zu bytes", f, n, len);
        break;
    case OP_INSERT: {
        size_t at = tu_rand_below(&r, len + 1);
        n = 1 + tu_rand_below(&r, 64);
        memmove(m->buf + at + n, m->buf + at, len - at);
        for (size_t i = 0; i < n; i++)
            m->buf[at + i] = (uint8_t)tu_rand(&r);
        m->size[f] = len + n;
        snprintf(m->what, sizeof(m->what), "insert %zu bytes at %zu of frame %zu", n, at, f);
        break;
    }
    case OP_ZERO: {
        size_t at = tu_rand_below(&r, len);
        n = 1 + tu_rand_below(&r, len - at < 256 ? len - at : 256);
        memset(m->buf + at, 0, n);
        snprintf(m->what, sizeof(m->what), "zero %zu bytes at %zu of frame %zu", n, at, f);
        break;
    }
    case OP_SWAP: {
        size_t g = tu_rand_below(&r, v->nframes - 1);
        g += g >= f; /* any other frame */
        m->frame[f] = v->frame[g];
        m->size[f] = v->size[g];
        m->frame[g] = v->frame[f];
        m->size[g] = v->size[f];
        m->first = f < g ? f : g;
        snprintf(m->what, sizeof(m->what), "swap frames %zu and %zu", f, g);
        break;
    }
    case OP_COUNT:
        abort();
    }
}

/* ------------------------------------------------------------ decoding */

typedef struct totals {
    unsigned long mutants, errors, bad;
} totals;

/* Decode frames first..first+window-1 of the mutant from `start`. Returns 0 if every
 * call kept the API contract. */
static int run_mutant(const mutant *m, const excam_vp8_state *start, size_t window,
                      int play_on, int threads, totals *t)
{
    static max_align_t sentinel;
    excam_vp8_state *s = excam_vp8_state_copy(start);
    size_t end = m->first + window < m->nframes ? m->first + window : m->nframes;
    int ok = CHECK(s != NULL, "%s: state_copy failed", current);
    char md5[33];

    for (size_t i = m->first; ok && i < end; i++) {
        excam_vp8_state *out = (excam_vp8_state *)(void *)&sentinel;
        excam_image *img = (excam_image *)(void *)&sentinel;
        excam_vp8_frame_info info;
        int err = excam_vp8_peek(m->frame[i], m->size[i], &info);
        ok = CHECK(tu_valid_err(err), "%s: peek of frame %zu returned %d", current, i, err);
        err = excam_vp8_decode_mt(s, m->frame[i], m->size[i], threads, &out, &img, &info);
        ok = ok && CHECK(tu_valid_err(err), "%s: decode of frame %zu returned %d", current, i,
                         err);
        if (err != EXCAM_OK) {
            ok = ok && CHECK(out == NULL && img == NULL,
                             "%s: frame %zu failed (%d) but *out/*shown not cleared", current, i,
                             err);
            t->errors++;
            if (!play_on)
                break;
            continue; /* a player keeps the last good state and goes on */
        }
        ok = ok && CHECK(out != NULL && out != (void *)&sentinel && img != (void *)&sentinel,
                         "%s: frame %zu decoded without a state or image result", current, i);
        if (!ok)
            break;
        if (img) {
            ok = CHECK(img->width > 0 && img->height > 0 && img->width <= 16383 &&
                           img->height <= 16383,
                       "%s: frame %zu: shown picture is %dx%d", current, i, img->width,
                       img->height);
            if (ok) /* reads every pixel, so ASan sees a bad picture */
                ok = CHECK(tu_image_md5(img, md5) == 0, "%s: frame %zu: md5 failed", current, i);
            excam_image_free(img);
        }
        excam_vp8_state_free(s);
        s = out;
    }
    excam_vp8_state_free(s);
    return ok;
}

/* The states before each frame of the intact vector (states[i]: before frame i).
 * Decoding stops at the first error (a decoder bug: reported by t_vectors); *usable
 * gets the number of frames with a known state before them. */
static excam_vp8_state **intact_states(const tu_ivf *v, const char *name, size_t *usable)
{
    excam_vp8_state **st = calloc(v->nframes + 1, sizeof(*st));
    if (!st || !(st[0] = excam_vp8_state_new()))
        abort();
    for (*usable = 0; *usable < v->nframes; ++*usable) {
        size_t i = *usable;
        excam_image *img = NULL;
        int err = excam_vp8_decode(st[i], v->frame[i], v->size[i], &st[i + 1], &img, NULL);
        excam_image_free(img);
        if (err != EXCAM_OK) {
            printf("note: %s frame %zu does not decode (%s): mutating frames 0..%zu only\n",
                   name, i, excam_strerror(err), i);
            ++*usable; /* mutants of the failing frame itself start from a good state */
            break;
        }
    }
    return st;
}

/* Hash of every state st[0..n] into h (32 bytes each). */
static void hash_states(excam_vp8_state *const *st, size_t n, uint8_t (*h)[32])
{
    for (size_t i = 0; i <= n; i++)
        if (!st[i] || excam_vp8_state_hash(st[i], h[i]) != EXCAM_OK)
            memset(h[i], 0, 32);
}

static void free_states(excam_vp8_state **st, size_t n)
{
    for (size_t i = 0; i <= n; i++)
        excam_vp8_state_free(st[i]);
    free(st);
}

typedef struct options {
    unsigned long mutants;
    uint64_t seed;
    size_t window;
    long only; /* -1: all */
    const char *dir;
} options;

/* Mutants [from, to) of one vector. */
static void mutate_vector(const char *path, unsigned long from, unsigned long to,
                          const options *o, totals *t)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    tu_ivf v;
    excam_vp8_state **st;
    size_t usable, last;
    uint8_t (*before)[32], (*after)[32];
    mutant m;

    if (!CHECK(tu_ivf_load(path, &v) == 0 && v.nframes > 0, "cannot read %s", path))
        return;
    st = intact_states(&v, name, &usable);
    last = usable < v.nframes ? usable : v.nframes;
    before = malloc((last + 1) * sizeof(*before));
    after = malloc((last + 1) * sizeof(*after));
    if (!before || !after)
        abort();
    hash_states(st, last, before);
    m.frame = malloc(v.nframes * sizeof(*m.frame));
    m.size = malloc(v.nframes * sizeof(*m.size));
    if (!m.frame || !m.size)
        abort();
    for (unsigned long id = from; id < to; id++) {
        tu_ivf part = v;
        if (o->only >= 0 && id != (unsigned long)o->only)
            continue;
        part.nframes = usable; /* mutate only what the intact decode reached */
        make_mutant(&part, o->seed, id, &m);
        snprintf(current, sizeof(current), "mutant %lu (seed %llu): %s: %s, %s", id,
                 (unsigned long long)o->seed, name, m.what,
                 id % 2 == 0 ? "playing on after errors" : "stopping at the first error");
        if (o->only >= 0)
            printf("%s\n", current);
        alarm(MUTANT_SECONDS);
        if (!run_mutant(&m, st[m.first], o->window, id % 2 == 0, id % 3 == 0 ? 3 : 1, t))
            t->bad++;
        alarm(0);
        t->mutants++;
        free(m.buf);
    }
    /* Every mutant decoded from these states (through cheap copies that share their
     * pictures): none of that may have changed them. */
    hash_states(st, last, after);
    CHECK(memcmp(before, after, (last + 1) * sizeof(*before)) == 0,
          "%s: decoding mutants modified the states they started from", name);
    free(before);
    free(after);
    free(m.frame);
    free(m.size);
    free_states(st, last);
    tu_ivf_free(&v);
}

static int parse_args(int argc, char **argv, options *o)
{
    const char *env = getenv("EXCAM_MUTANTS");
    static char dir[4096];
    o->mutants = env && *env ? strtoul(env, NULL, 10) : 10000;
    o->seed = 1;
    o->window = 8;
    o->only = -1;
    o->dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-n") && val)
            o->mutants = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "-s") && val)
            o->seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "-w") && val)
            o->window = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--only") && val)
            o->only = strtol(argv[++i], NULL, 10);
        else if (a[0] != '-' && !o->dir)
            o->dir = a;
        else {
            fprintf(stderr, "usage: test_mutate [-n MUTANTS] [-s SEED] [-w WINDOW] [--only ID] "
                            "[VECTOR_DIR]\n");
            return -1;
        }
    }
    if (!o->dir) {
        snprintf(dir, sizeof(dir), "%s/vp8-test-vectors", tu_data_dir());
        o->dir = dir;
    }
    if (o->window < 1)
        o->window = 1;
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    totals t = {0, 0, 0};
    char **paths;
    size_t n;

    if (parse_args(argc, argv, &o))
        return 2;
    paths = tu_list_vectors(o.dir, &n);
    if (!n) {
        printf("SKIP: no conformance vectors in %s (set EXCAM_DATA)\n", o.dir);
        return 77;
    }
    install_handlers();
    /* Mutant ids are global: vector i gets ids [i*N/n, (i+1)*N/n). */
    for (size_t i = 0; i < n; i++)
        mutate_vector(paths[i], (unsigned long)(i * o.mutants / n),
                      (unsigned long)((i + 1) * o.mutants / n), &o, &t);
    tu_free_list(paths, n);
    printf("mutate: %lu mutants, %lu decode errors, 0 crashes\n", t.mutants, t.errors);
    printf("mutate: %lu of them broke the API contract\n", t.bad);
    printf("mutate: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
