/*
 * excam plan: how long an ExCamera[n,x] encode of this input takes on W workers, what it
 * costs, and which plan meets a deadline most cheaply (or is fastest within a budget).
 *
 * The per-task costs come from running the pipeline's own tasks (tools/tasks.c) on a
 * sample of the input, here, one at a time: two chunks from the middle of the video
 * (a group's first chunk and a chunk after it), the re-encode and the rebase between
 * them, and the blob store's put and get of their bytes. The model (plan.c) then plays
 * the coordinator's task graph on W workers. Workers elsewhere are told apart by their
 * speed relative to this machine (--worker-speed), their storage (--bandwidth,
 * --latency) and their start-up (--startup).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blobstore.h"
#include "cli.h"
#include "plan.h"
#include "ratectl.h"
#include "tasks.h"
#include "y4m.h"

static const char usage[] =
    "usage: excam plan IN.y4m [options]\n"
    "\n"
    "Predict the wall time, worker-seconds and cost of `excam encode IN.y4m --chunk n\n"
    "--rebase x` on W workers, from the pipeline's tasks timed on a sample of the input\n"
    "(two chunks from its middle, on this machine), for several n and W; choose the\n"
    "cheapest plan that meets a deadline, or the fastest within a budget.\n"
    "\n"
    "The encode to plan (as `excam encode` takes them):\n"
    "      --chunk N            chunk frames n (default 6; the table also shows 12, 24)\n"
    "      --rebase X           chunks per key frame x (default 16)\n"
    "      --workers N          workers W of the plan to predict (default: the CPUs)\n"
    "      --cq-level N, --min-q N, --max-q N, --good | --best | --rt, --cpu-used N\n"
    "      --skip N, --limit N  the part of the input to encode\n"
    "      --frames N           plan N frames (default: the part to encode); the\n"
    "                           sample still comes from the input, e.g. a short\n"
    "                           clip standing in for a long video of its kind\n"
    "Choosing:\n"
    "      --deadline S         the cheapest plan done within S seconds\n"
    "      --budget USD         the fastest plan that costs at most USD\n"
    "      --max-workers N      the largest W tried (default 4096)\n"
    "The workers (default: like this machine's, on its local storage):\n"
    "      --price USD          per worker-hour (default 0.12: an AWS Lambda function of\n"
    "                           2 GB; workers are paid while the job runs)\n"
    "      --worker-speed X     their speed relative to this machine's cores (default 1)\n"
    "      --bandwidth MB/S     each worker's storage throughput (default: measured here)\n"
    "      --latency MS         per storage request (default: measured here)\n"
    "      --startup S          seconds until the workers take tasks (default 0.2)\n"
    "      --all-rows           every row of the table (default: up to where more\n"
    "                           workers stop helping)\n"
    "  -q, --quiet              only the verdict line\n"
    "  -h, --help               this text\n"
    "\n"
    "The last line is the verdict: 'plan: [n,x] on W workers: wall S s, ...'; with\n"
    "--deadline or --budget, exit status 1 if no plan fits.\n";

enum {
    O_CHUNK = 256, O_REBASE, O_WORKERS, O_CQ, O_MINQ, O_MAXQ, O_GOOD, O_BEST, O_RT, O_CPU,
    O_SKIP, O_LIMIT, O_DEADLINE, O_BUDGET, O_MAXW, O_PRICE, O_WSPEED, O_BW, O_LAT, O_STARTUP,
    O_ALL, O_FRAMES
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The codec's work is timed in CPU time: what a worker with a core of its own spends,
 * whatever else this machine is doing while the sample runs. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int num_opt(const char *name, const char *arg, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (!*arg || *end || errno || !(v >= lo && v <= hi)) {
        cli_usage_error("plan", "%s needs a number from %g to %g, not '%s'", name, lo, hi, arg);
        return -1;
    }
    *out = v;
    return 0;
}

typedef struct sample {
    excam_image **frames; /* 2n frames from the middle of the part to encode */
    int n;
    int64_t total;        /* frames to encode */
    double read_per_frame;
} sample;

/* Read the input once: count the frames to encode, keep the 2n around the middle.
 * The middle is not known before the end, so the last 2n read are kept while the
 * reading passes the middle of a frame count guessed from the file's size. */
static int read_sample(const char *path, int skip, int limit, int n, sample *s)
{
    y4m_reader in;
    memset(s, 0, sizeof(*s));
    if (y4m_open(&in, path)) {
        cli_error("%s: %s", in.name ? in.name : path, in.err);
        return 1;
    }
    int ret = 1;
    int64_t guess = -1;
    {
        FILE *f = fopen(path, "rb");
        if (f && !fseeko(f, 0, SEEK_END)) {
            double fb = 6.0 + (double)in.width * in.height +
                        2.0 * ((in.width + 1) / 2) * ((in.height + 1) / 2);
            guess = (int64_t)(ftello(f) / fb) - skip;
            if (limit >= 0 && guess > limit) guess = limit;
        }
        if (f) fclose(f);
    }
    s->n = n;
    s->frames = calloc((size_t)(2 * n), sizeof(*s->frames));
    excam_image *img = excam_image_alloc(in.width, in.height);
    if (!s->frames || !img) {
        cli_error("out of memory");
        goto done;
    }
    for (int i = 0; i < 2 * n; i++)
        if (!(s->frames[i] = excam_image_alloc(in.width, in.height))) {
            cli_error("out of memory");
            goto done;
        }
    /* Keep frames [start, start + 2n) of the part to encode, start = the middle less n
     * (or 0 for a short input). */
    int64_t start = guess > 2 * n ? guess / 2 - n : 0;
    double t0 = mono();
    for (;;) {
        if (limit >= 0 && s->total >= limit) break;
        int r = y4m_read_frame(&in, img);
        if (r < 0) {
            cli_error("%s: %s", in.name, in.err);
            goto done;
        }
        if (r == 0) break;
        if (in.frames_read <= (unsigned)skip) continue;
        int64_t i = s->total - start;
        if (i >= 0 && i < 2 * n) {
            excam_image *t = s->frames[i];
            s->frames[i] = img;
            img = t;
        }
        s->total++;
    }
    s->read_per_frame = s->total ? (mono() - t0) / (double)(s->total + skip) : 0;
    if (s->total < 2 * (int64_t)n) {
        cli_error("%s: %lld frames to encode; the sample needs two chunks (%d frames): "
                  "give a smaller --chunk", in.name, (long long)s->total, 2 * n);
        goto done;
    }
    if (start + 2 * n > s->total) {
        /* The guess was off (frame headers with parameters): the sample is the end. */
        cli_error("%s: could not place the sample (the file's frame count was misjudged)",
                  in.name);
        goto done;
    }
    ret = 0;
done:
    excam_image_free(img);
    y4m_close(&in);
    return ret;
}

/* Time the pipeline's tasks on the sample; each is run twice and the faster kept
 * (the first run pays for page faults a long-lived worker has paid already). */
static int measure(const sample *s, const task_params *tp_in, plan_costs *c, double *store_mbps,
                   double *store_latency, int progress)
{
    int step = 0;
    double t_start = mono();
    char err[512];
    task_params tp = *tp_in;
    const int n = s->n;
    task_buf fa = {0}, sa = {0}, fb = {0}, sb = {0}, re = {0}, fr = {0}, sr = {0}, src = {0};
    task_buf f1 = {0}, s1 = {0};
    double best[6];
    int ret = 1;
    for (int k = 0; k < 6; k++)
        best[k] = INFINITY;
    for (int rep = 0; rep < 2; rep++) {
        double t;
#define TIMED(slot, call)                                                                     \
    do {                                                                                      \
        if (progress) { /* a terminal: the step, and an ETA once one pass is timed */         \
            double el = mono() - t_start;                                                     \
            fprintf(stderr, "\rexcam plan: timing the sample, step %d of 10", step + 1);      \
            if (step >= 5) fprintf(stderr, ", ETA %.0f s", el * (10 - step) / step);          \
            fputs("   ", stderr);                                                             \
            cli_progress_shown = 1;                                                           \
        }                                                                                     \
        step++;                                                                               \
        t = cpu_now();                                                                        \
        if ((call)) {                                                                         \
            cli_error("the sample: %s", err);                                                 \
            goto done;                                                                        \
        }                                                                                     \
        t = cpu_now() - t;                                                                    \
        if (t < best[slot]) best[slot] = t;                                                   \
    } while (0)
        free(fa.data), free(sa.data), free(fb.data), free(sb.data), free(re.data);
        free(fr.data), free(sr.data), free(f1.data), free(s1.data);
        fa = sa = fb = sb = re = fr = sr = f1 = s1 = (task_buf){0};
        tp.group_start = 1;
        TIMED(0, task_encode(s->frames, 1, &tp, &f1, &s1, err, sizeof(err)));
        TIMED(1, task_encode(s->frames, n, &tp, &fa, &sa, err, sizeof(err)));
        tp.group_start = 0;
        TIMED(2, task_encode(s->frames + n, n, &tp, &fb, &sb, err, sizeof(err)));
        TIMED(3, task_reencode(s->frames[n], sa.data, sa.len, &tp, &re, err, sizeof(err)));
        TIMED(4, task_rebase(s->frames + n, n, re.data, re.len, fb.data, fb.len, sa.data, sa.len,
                             sa.data, sa.len, &tp, &fr, &sr, err, sizeof(err)));
#undef TIMED
    }
    if (progress && cli_progress_shown) {
        fputs("\r                                                      \r", stderr);
        cli_progress_shown = 0;
    }
    c->key = best[0];
    c->inter = n > 1 ? (best[1] - best[0]) / (n - 1) : 0;
    if (c->inter < 0) c->inter = 0;
    c->key_q0 = best[2] - (n - 1) * c->inter;
    if (c->key_q0 < c->key / 2) c->key_q0 = c->key / 2;
    c->reencode = best[3];
    c->rebase = best[4] / n;
    c->state_bytes = (double)sa.len;
    c->coded_bytes = (double)(fa.len + fb.len) / (2.0 * n);
    c->frame_bytes = 1.5 * s->frames[0]->width * s->frames[0]->height;

    /* The blob store, as the local run uses it: a directory under $TMPDIR. */
    {
        char dir[4096], msg[512];
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(dir, sizeof(dir), "%s/excam-plan.XXXXXX", tmp);
        if (!mkdtemp(dir)) {
            cli_error("cannot make a directory in %s: %s", tmp, strerror(errno));
            goto done;
        }
        blobstore *bs = NULL;
        uint8_t h[4][32]; /* the blobs put, to remove them after */
        int nput = 0;
        double tput = 0, tget = 0, tsmall = INFINITY, tpack = 0;
        if (blobstore_open(dir, &bs, msg, sizeof(msg))) {
            cli_error("%s", msg);
            rmdir(dir);
            goto done;
        }
        double t = mono();
        int bad = task_source_pack(s->frames, n, &src);
        tpack = mono() - t;
        t = mono();
        bad = bad || blobstore_put(bs, src.data, src.len, h[nput++], msg, sizeof(msg));
        tput = mono() - t;
        uint8_t *back = NULL;
        size_t blen = 0;
        t = mono();
        bad = bad || blobstore_get(bs, h[0], &back, &blen, msg, sizeof(msg));
        tget = mono() - t;
        free(back);
        /* A small blob, three times: the per-request cost. */
        for (int i = 0; i < 3 && !bad; i++) {
            uint8_t one[64];
            memset(one, i, sizeof(one));
            t = mono();
            bad = blobstore_put(bs, one, sizeof(one), h[nput], msg, sizeof(msg)) ||
                  blobstore_get(bs, h[nput], &back, &blen, msg, sizeof(msg));
            t = mono() - t;
            nput++;
            free(back);
            back = NULL;
            if (t < tsmall) tsmall = t;
        }
        blobstore_close(bs);
        /* The directory is this run's own: its blobs go, then it. */
        for (int i = 0; i < nput; i++) {
            char hex[BLOB_HEX_BYTES], path[4200];
            blob_hex(h[i], hex);
            snprintf(path, sizeof(path), "%s/%s", dir, hex);
            unlink(path);
        }
        rmdir(dir);
        if (bad) {
            cli_error("the blob store: %s", msg);
            goto done;
        }
        double mb = (double)src.len / 1e6;
        *store_mbps = mb / (tput + tget > 1e-6 ? (tput + tget) / 2 : 1e-6);
        *store_latency = tsmall / 2;
        c->upload_frame = (tpack + tput) / n;
    }
    ret = 0;
done:
    free(fa.data), free(sa.data), free(fb.data), free(sb.data), free(re.data);
    free(fr.data), free(sr.data), free(f1.data), free(s1.data), free(src.data);
    return ret;
}

typedef struct cand {
    int n, w;
    plan_result r;
    double cost;
} cand;

static void print_row(const cand *c, int x, const char *mark)
{
    printf("%4d %4d %8d %10.1f %10.1f %10.1f %12.0f %12.0f %11.4f %6lld %s\n", c->n, x, c->w,
           c->r.wall, c->r.graph, c->r.critical, c->r.busy, c->r.held, c->cost,
           (long long)c->r.key_frames, mark);
}

int cmd_plan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"chunk", required_argument, NULL, O_CHUNK},
        {"rebase", required_argument, NULL, O_REBASE},
        {"workers", required_argument, NULL, O_WORKERS},
        {"cq-level", required_argument, NULL, O_CQ},
        {"min-q", required_argument, NULL, O_MINQ},
        {"max-q", required_argument, NULL, O_MAXQ},
        {"good", no_argument, NULL, O_GOOD},
        {"best", no_argument, NULL, O_BEST},
        {"rt", no_argument, NULL, O_RT},
        {"cpu-used", required_argument, NULL, O_CPU},
        {"skip", required_argument, NULL, O_SKIP},
        {"limit", required_argument, NULL, O_LIMIT},
        {"frames", required_argument, NULL, O_FRAMES},
        {"deadline", required_argument, NULL, O_DEADLINE},
        {"budget", required_argument, NULL, O_BUDGET},
        {"max-workers", required_argument, NULL, O_MAXW},
        {"price", required_argument, NULL, O_PRICE},
        {"worker-speed", required_argument, NULL, O_WSPEED},
        {"bandwidth", required_argument, NULL, O_BW},
        {"latency", required_argument, NULL, O_LAT},
        {"startup", required_argument, NULL, O_STARTUP},
        {"all-rows", no_argument, NULL, O_ALL},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double chunk = 6, rebase = 16, workers = (double)sysconf(_SC_NPROCESSORS_ONLN);
    double cq = 20, minq = 0, maxq = 63, cpu = -1, skip = 0, limit = -1, deadline = -1, frames = -1;
    double budget = -1, maxw = 4096, price = 0.12, wspeed = 1, bw = -1, lat = -1, startup = 0.2;
    int preset = O_GOOD, quiet = 0, all_rows = 0, c;
    if (workers < 1) workers = 1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_CHUNK: bad = num_opt("--chunk", optarg, 1, 1 << 20, &chunk); break;
        case O_REBASE: bad = num_opt("--rebase", optarg, 1, 1 << 20, &rebase); break;
        case O_WORKERS: bad = num_opt("--workers", optarg, 1, 1 << 20, &workers); break;
        case O_CQ: bad = num_opt("--cq-level", optarg, 0, 63, &cq); break;
        case O_MINQ: bad = num_opt("--min-q", optarg, 0, 63, &minq); break;
        case O_MAXQ: bad = num_opt("--max-q", optarg, 0, 63, &maxq); break;
        case O_GOOD: case O_BEST: case O_RT: preset = c; break;
        case O_CPU: bad = num_opt("--cpu-used", optarg, -16, 16, &cpu); break;
        case O_SKIP: bad = num_opt("--skip", optarg, 0, 1 << 30, &skip); break;
        case O_LIMIT: bad = num_opt("--limit", optarg, 0, 1 << 30, &limit); break;
        case O_FRAMES: bad = num_opt("--frames", optarg, 1, 1e9, &frames); break;
        case O_DEADLINE: bad = num_opt("--deadline", optarg, 1e-3, 1e9, &deadline); break;
        case O_BUDGET: bad = num_opt("--budget", optarg, 0, 1e9, &budget); break;
        case O_MAXW: bad = num_opt("--max-workers", optarg, 1, 1 << 20, &maxw); break;
        case O_PRICE: bad = num_opt("--price", optarg, 0, 1e6, &price); break;
        case O_WSPEED: bad = num_opt("--worker-speed", optarg, 1e-3, 1e3, &wspeed); break;
        case O_BW: bad = num_opt("--bandwidth", optarg, 1e-3, 1e9, &bw); break;
        case O_LAT: bad = num_opt("--latency", optarg, 0, 1e6, &lat); break;
        case O_STARTUP: bad = num_opt("--startup", optarg, 0, 1e6, &startup); break;
        case O_ALL: all_rows = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': return cli_usage_error("plan", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("plan", "unknown option '%s'", argv[optind - 1]);
        }
        if (bad) return EXIT_USAGE;
    }
    if (optind >= argc) return cli_usage_error("plan", "no input file");
    if (optind + 1 < argc)
        return cli_usage_error("plan", "one input file only (extra: '%s')", argv[optind + 1]);
    if (!strcmp(argv[optind], "-"))
        return cli_usage_error("plan", "the input is read twice: give a file, not stdin");
    if (deadline > 0 && budget >= 0)
        return cli_usage_error("plan", "--deadline or --budget, not both");
    if (minq > maxq) return cli_usage_error("plan", "--min-q is above --max-q");

    int speed = cli_speed(preset == O_BEST ? CLI_BEST : preset == O_RT ? CLI_RT : CLI_GOOD, (int)cpu);
    ratectl rc = {.mode = RC_Q, .cq = (int)cq, .min_q = (int)minq, .max_q = (int)maxq, .fps = 30};
    ratectl_init(&rc);
    task_params tp = {0};
    tp.q_key = ratectl_next_q(&rc, 1);
    tp.q_inter = ratectl_next_q(&rc, 0);
    tp.q_first = task_first_q(tp.q_key, tp.q_inter, ratectl_index(rc.min_q));
    tp.speed = speed;

    const int n = (int)chunk, x = (int)rebase;
    sample s;
    cand *cs = NULL, mine = {0}, *pick = NULL;
    if (read_sample(argv[optind], (int)skip, (int)limit, n, &s)) return 1;
    const int64_t input_frames = s.total;
    if (frames > 0) s.total = (int64_t)frames; /* the job planned; the sample is the input's */
    plan_costs pc = {0};
    double mbps = 0, latency = 0;
    int ret = 1;
    if (measure(&s, &tp, &pc, &mbps, &latency, !quiet && isatty(STDERR_FILENO))) goto done;
    if (bw > 0) mbps = bw;
    if (lat >= 0) latency = lat / 1000;
    /* A task's storage: about six requests (its inputs, outputs, the name checks). */
    pc.per_byte = 1 / (mbps * 1e6);
    pc.task_fixed = 6 * latency + 0.001;
    pc.upload_frame += s.read_per_frame;
    pc.download_frame = pc.coded_bytes * pc.per_byte;
    pc.startup = startup;

    if (!quiet) {
        printf("excam plan: %s: %lld frames of %dx%d; sample of %d frames from the middle, "
               "q %d, --cpu-used %d\n", argv[optind], (long long)input_frames, s.frames[0]->width,
               s.frames[0]->height, 2 * n, tp.q_inter, speed);
        if (frames > 0)
            printf("planned: %lld frames (--frames), each costing what the sample's did\n",
                   (long long)s.total);
        printf("measured on this machine, one task at a time: encode %.1f ms a frame (a key "
               "frame %.1f ms, a quantizer-0 key frame %.1f ms), re-encode %.1f ms, rebase "
               "%.1f ms a frame; state %.0f KB; storage %.0f MB/s, %.2f ms a request\n",
               1000 * pc.inter, 1000 * pc.key, 1000 * pc.key_q0, 1000 * pc.reencode,
               1000 * pc.rebase, pc.state_bytes / 1e3, mbps, latency * 1000);
        printf("workers: speed %gx this machine's, $%g per worker-hour, start-up %g s\n\n",
               wspeed, price, startup);
        printf("%4s %4s %8s %10s %10s %10s %12s %12s %11s %6s\n", "n", "x", "workers", "wall s",
               "graph s", "critical s", "busy wk-s", "held wk-s", "cost USD", "keys");
    }
    /* Candidates: n in {the given, 6, 12, 24}, W in {1, 2, 4, ..., max} and the given. */
    int ns[4] = {n, 6, 12, 24}, nn = 0, uniq[4];
    for (int i = 0; i < 4; i++) {
        int dup = 0;
        for (int k = 0; k < nn; k++)
            dup |= uniq[k] == ns[i];
        if (!dup) uniq[nn++] = ns[i];
    }
    int ncs = 0, cap = 0;
    for (int i = 0; i < nn; i++) {
        for (double w = 1;; w *= 2) {
            int wi = (int)(w < maxw ? w : maxw);
            int last = w >= maxw;
            /* The given W too, in its place, in the given n's rows. */
            for (int pass = 0; pass < 2; pass++) {
                int ww = pass ? wi : (int)workers;
                if (!pass && !(uniq[i] == n && ww > wi / 2 && ww < wi)) continue;
                if (ncs == cap) {
                    cap = cap ? 2 * cap : 64;
                    cand *m = realloc(cs, (size_t)cap * sizeof(*cs));
                    if (!m) {
                        cli_error("out of memory");
                        goto done;
                    }
                    cs = m;
                }
                cand *cd = &cs[ncs];
                plan_job j = {.frames = s.total, .n = uniq[i], .x = x, .workers = ww, .speed = wspeed};
                if (plan_simulate(&pc, &j, &cd->r)) {
                    cli_error("the model failed (out of memory?)");
                    goto done;
                }
                cd->n = uniq[i];
                cd->w = ww;
                cd->cost = cd->r.held / 3600 * price;
                ncs++;
            }
            if (last) break;
        }
    }
    {
        plan_job j = {.frames = s.total, .n = n, .x = x, .workers = (int)workers, .speed = wspeed};
        if (plan_simulate(&pc, &j, &mine.r)) goto done;
        mine.n = n;
        mine.w = (int)workers;
        mine.cost = mine.r.held / 3600 * price;
    }
    for (int i = 0; i < ncs; i++) {
        cand *cd = &cs[i];
        int fits = deadline > 0 ? cd->r.wall <= deadline : budget >= 0 ? cd->cost <= budget : 0;
        if (!fits) continue;
        if (!pick) pick = cd;
        else if (deadline > 0 && (cd->cost < pick->cost ||
                                  (cd->cost == pick->cost && cd->r.wall < pick->r.wall)))
            pick = cd;
        else if (budget >= 0 && (cd->r.wall < pick->r.wall ||
                                 (cd->r.wall == pick->r.wall && cd->cost < pick->cost)))
            pick = cd;
    }
    if (!quiet) {
        /* Per n, the rows up to where more workers stop helping (the wall within 1% of
         * the fewest-workers... of the best), and the chosen and the given ones. */
        for (int i = 0; i < ncs; i++) {
            double fastest = INFINITY;
            int enough = 0;
            for (int k = 0; k < ncs; k++)
                if (cs[k].n == cs[i].n && cs[k].r.wall < fastest) fastest = cs[k].r.wall;
            for (int k = 0; k < ncs; k++)
                if (cs[k].n == cs[i].n && cs[k].r.wall <= fastest * 1.01 &&
                    (!enough || cs[k].w < enough))
                    enough = cs[k].w;
            int mine_row = cs[i].n == n && cs[i].w == (int)workers;
            if (all_rows || cs[i].w <= enough || &cs[i] == pick || mine_row)
                print_row(&cs[i], x, &cs[i] == pick ? "<- chosen" : mine_row ? "<- --workers" : "");
        }
        printf("\n");
    }
    if (deadline > 0 || budget >= 0) {
        if (!pick) {
            cli_error("no plan with at most %g workers %s", maxw,
                      deadline > 0 ? "meets the deadline" : "fits the budget");
            printf("plan: none fits; [%d,%d] on %d workers: wall %.1f s, $%.4f\n", mine.n, x,
                   mine.w, mine.r.wall, mine.cost);
            goto done;
        }
        printf("plan: [%d,%d] on %d workers: wall %.1f s, %.0f worker-s, $%.4f "
               "(excam encode --chunk %d --rebase %d --workers %d)\n", pick->n, x, pick->w,
               pick->r.wall, pick->r.held, pick->cost, pick->n, x, pick->w);
    } else {
        printf("plan: [%d,%d] on %d workers: wall %.1f s, %.0f worker-s, $%.4f\n", mine.n, x,
               mine.w, mine.r.wall, mine.r.held, mine.cost);
    }
    ret = 0;
done:
    free(cs);
    for (int i = 0; s.frames && i < 2 * s.n; i++)
        excam_image_free(s.frames[i]);
    free(s.frames);
    return ret;
}
