/*
 * excam encode: Y4M → VP8 in IVF with excam's own encoder, one frame after another
 * (the parallel ExCamera pipeline comes with --chunk / --rebase). Options follow
 * vpxenc's names where they mean the same.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "firstpass.h"
#include "client.h"
#include "local.h"
#include "excam/vp8.h"
#include "container.h"
#include "outfile.h"
#include "quality.h"
#include "launch.h"
#include "ratectl.h"
#include "altref.h"
#include "lookahead.h"
#include "secopts.h"
#include "y4m.h"

static const char usage[] =
    "usage: excam encode IN.y4m -o OUT.ivf|OUT.webm [options]\n"
    "\n"
    "Encode 8-bit 4:2:0 Y4M (\"-\" reads stdin) to VP8 in an IVF or WebM file.\n"
    "\n"
    "Output:\n"
    "  -o, --output FILE        the output file (written atomically; removed on error):\n"
    "                           WebM if its name ends in .webm or .mkv, else IVF\n"
    "      --webm, --ivf        the container, whatever the name says\n"
    "      --limit N            encode at most N frames\n"
    "      --skip N             skip the first N input frames\n"
    "Rate control (vpxenc's scale: quantizers 0..63):\n"
    "      --end-usage MODE     q (constant quality, default), cq, vbr or cbr\n"
    "      --cq-level N         quality for q and cq (default 20)\n"
    "      --target-bitrate K   kbit/s for vbr and cbr (and the cap of cq)\n"
    "      --min-q N, --max-q N quantizer bounds (default 0 and 63)\n"
    "      --passes N           1 or 2: with vbr/cbr, a first pass over samples spread\n"
    "                           through the whole input (read twice) sets the starting\n"
    "                           quantizer (default: 2 for a file, 1 for stdin; the\n"
    "                           pipeline always makes one)\n"
    "Speed:\n"
    "      --good | --best | --rt   presets (default --good)\n"
    "      --cpu-used N         0 (slowest, best) .. 9 (fastest); default 4 (--good)\n"
    "Stream:\n"
    "      --kf-max-dist N      a key frame at least every N frames (default 128), and\n"
    "                           at scene cuts\n"
    "      --token-parts N      log2 of the token partitions, 0..3 (default 0)\n"
    "      --sharpness N        loop filter sharpness 0..7 (default 0)\n"
    "      --error-resilient    probabilities are not carried between frames\n"
    "      --auto-alt-ref 0|1   hidden alt-ref frames, temporally filtered, for groups of\n"
    "                           frames that stay still (default 1; 0 with --rt). Reads\n"
    "                           up to 24 frames ahead\n"
    "      --arnr-maxframes N   frames the alt-ref filter averages, 0..15 (default 7)\n"
    "      --arnr-strength N    its strength, 0..6 (default 4)\n"
    "Report:\n"
    "      --psnr, --ssim       print the stream's quality against the input\n"
    "      --verify             check every frame: the encoder's own reconstruction must\n"
    "                           be the decoder's picture (a self-test; slower)\n"
"Parallel (the ExCamera[n,x] pipeline):\n"
    "      --chunk N            cut the video into chunks of N frames, encoded in parallel\n"
    "                           and stitched by rebasing each onto the one before\n"
    "      --rebase X           a key frame every X chunks (default 16; 1: independent\n"
    "                           chunks; at least the chunk count: one key frame)\n"
    "      --workers N          workers (default: one per CPU; ssh: --workers-per-host)\n"
    "                           With --target-bitrate (vbr, cbr, cq) a first pass over\n"
    "                           samples of the input picks the quantizer for the bitrate;\n"
    "                           with --bias-pct below 100 each chunk gets its own around\n"
    "                           it, by how hard its frames are to code:\n"
    "      --bias-pct N         0..100: 100 one quantizer for every chunk (constant\n"
    "                           quality), 0 the same bitrate for every chunk; as vpxenc's\n"
    "                           (default: cbr 50, the evenest chunks; vbr and cq 100, the\n"
    "                           best quality for the bits). Below 100 the client codes\n"
    "                           every frame small while it uploads, with its idle cores\n"
    "      --minsection-pct N, --maxsection-pct N\n"
    "                           each chunk's bitrate at least / at most N% of the target\n"
    "                           (default 0 and 400, as vpxenc's two-pass)\n"
    "      --stage1 ENC         the chunks' own encodes (stage 1) with excam (default) or\n"
    "                           libvpx (as ExCamera did; --good --cpu-used=1), for comparison\n"
    "      --coordinator H:P    run the pipeline on a coordinator's workers (see `excam\n"
    "                           coordinator`, `excam worker`) instead of local ones\n"
    "      --storage URI        blob storage the coordinator's workers share (file:///dir\n"
    "                           or a path, http(s)://host/prefix/, s3://bucket/prefix;\n"
    "                           default $EXCAM_STORAGE)\n"
    "      --listen H:P         where the embedded coordinator listens (default a free\n"
    "                           loopback port); workers of other launchers must reach it\n"
    "Burst (--launcher A,B: A's workers first, B's when the deadline needs them):\n"
    "      --deadline S         seconds from the start the output is wanted by. A's workers\n"
    "                           start at once; B's only when the planner's model (excam\n"
    "                           plan's), fed with this run's task times, predicts that A's\n"
    "                           alone would end later (checked as tasks finish); they stay\n"
    "                           to the end. With one launcher: a warning if it will be late.\n"
    "                           Without --deadline B starts with A (nothing to wait for)\n"
    "      --burst-workers N    B's workers (--workers is A's). Default: with --deadline the\n"
    "                           fewest the model says meet it; without, all B can run.\n"
    "                           Capped by B's capacity: ssh the slots of --hosts, local the\n"
    "                           CPUs (slurm, lambda: one per chunk; without --deadline: as\n"
    "                           --workers). Same bytes whoever runs the tasks; -v prints\n"
    "                           each prediction\n"
"State (for splitting an encode, as the ExCamera pipeline does):\n"
    "      --state-in FILE      start from this decoder state (from `excam state dump` or\n"
    "                           --state-out): the first frame is an inter frame against it\n"
    "      --state-out FILE     write the decoder state after the last frame\n"
    "  -q, --quiet              no progress or summary\n"
    "  -v, --verbose            a line per frame (serial) or per task, with the worker's\n"
    "                           CPU time for inputs, codec and outputs (local workers);\n"
    "                           with --deadline each burst prediction\n"
    "  -h, --help               this text\n";

/* Golden frames of the serial encoder (see the loop). */
#define GOLDEN_INTERVAL 16
#define GOLDEN_BOOST 8
/* Boosts are capped as step ratios (ratectl_boost): 8 indices is a step 1.2-1.3 times
 * finer in the middle of the range, where the boosts were measured, but 3 times at
 * index 8, where a golden frame cost 7 inter frames and flower 720p at 6000 kbit/s
 * overshot by 19%. Capped at 1.4 (golden) and 1.8 (alt-ref), which leaves indices above
 * about 30 as they were: serial --end-usage q at --cq-level 4/8/12/20, BD-rate (SSIM /
 * PSNR) foreman 150 frames +0.40/-1.49%, flower 720p 60 frames -0.68/-2.93%. */
#define GOLDEN_MAX_RATIO 1.4
#define ARF_MAX_RATIO 1.8
/* Alt-ref frames (altref.h): a finer quantizer by ARF_BOOST index steps, the filter's
 * default frames and strength. Measured at --cq-level 16/28/40/52 on still noisy
 * clips (a CIF frame repeated with noise of sd 2-3), BD-rate by PSNR against no
 * alt-refs: boost 16, strength 4 and no golden boost in their groups: -19.6% and
 * -10.3% (boost 8 and strength 3, golden frames boosted as well: -9.6%, -3.9%; boost
 * 24: less gain). At a fixed quantizer (no boost) they lost 1.4-1.7%: none there. */
#define ARF_BOOST 16
#define ARF_FRAMES 7
#define ARF_STRENGTH 4

enum {
    OPT_LIMIT = 256, OPT_SKIP, OPT_END_USAGE, OPT_CQ, OPT_BITRATE, OPT_MINQ, OPT_MAXQ, OPT_GOOD,
    OPT_BEST, OPT_RT, OPT_CPU, OPT_KFMAX, OPT_TOKEN_PARTS, OPT_SHARP, OPT_ER, OPT_PSNR, OPT_SSIM,
    OPT_VERIFY, OPT_STATE_IN, OPT_STATE_OUT, OPT_CHUNK, OPT_REBASE, OPT_WORKERS, OPT_COORD,
    OPT_STORAGE, OPT_STAGE1, OPT_WEBM, OPT_IVF, OPT_LISTEN, OPT_DEADLINE, OPT_BURST_WORKERS,
    OPT_PASSES, OPT_AUTO_ALT_REF, OPT_ARNR_FRAMES, OPT_ARNR_STRENGTH, OPT_BIAS, OPT_MINSECTION,
    OPT_MAXSECTION
};

/* The serialized state into the (opened, not yet committed) output file `f`; 0 or -1
 * (reported). The caller commits it after the stream, so that a failed run leaves
 * neither. */
static int write_state(outfile *f, const char *path, const excam_vp8_state *s)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int err = excam_vp8_state_serialize(s, &buf, &len);
    if (err) {
        cli_error("cannot serialize the state: %s", excam_strerror(err));
        return -1;
    }
    int ret = 0;
    if (fwrite(buf, 1, len, f->f) != len) {
        cli_error("%s: write error", path);
        ret = -1;
    }
    excam_free(buf);
    return ret;
}

/* The stream's quality lines, as vpxenc --psnr / --ssim print them. */
static void print_quality(const quality *q, int psnr, int ssim)
{
    if (!q->frames) return;
    if (psnr) {
        uint64_t sse = q->sse[0] + q->sse[1] + q->sse[2];
        uint64_t n = q->samples[0] + q->samples[1] + q->samples[2];
        printf("Stream 0 PSNR (Overall/Avg/Y/U/V) %.3f %.3f %.3f %.3f %.3f\n",
               quality_psnr(sse, n), q->psnr_sum[0] / q->frames, q->psnr_sum[1] / q->frames,
               q->psnr_sum[2] / q->frames, q->psnr_sum[3] / q->frames);
    }
    if (ssim)
        printf("Stream 0 SSIM (Avg/Y/U/V) %.5f %.5f %.5f %.5f\n", q->ssim_sum[0] / q->frames,
               q->ssim_sum[1] / q->frames, q->ssim_sum[2] / q->frames, q->ssim_sum[3] / q->frames);
}

static double now(void);

/* --psnr/--ssim of a --chunk encode: the input read again beside the output decoded.
 * 0, or 1 after printing the error. */
static int measure_files(const char *input, int skip, const char *output, quality *q, int ssim)
{
    y4m_reader in;
    ivf_reader iv;
    int ret = 1;
    if (y4m_open(&in, input)) {
        cli_error("%s: %s", input, in.err);
        return 1;
    }
    if (ivf_open(&iv, output)) {
        cli_error("%s: %s", output, iv.err);
        y4m_close(&in);
        return 1;
    }
    excam_image *img = excam_image_alloc(in.width, in.height);
    excam_vp8_state *s = excam_vp8_state_new();
    if (!img || !s) {
        cli_error("out of memory");
        goto done;
    }
    for (;;) {
        const uint8_t *data;
        size_t len;
        uint64_t pts;
        int r = ivf_read_frame(&iv, &data, &len, &pts);
        if (r <= 0) {
            if (r < 0) cli_error("%s: %s", output, iv.err);
            ret = r < 0;
            break;
        }
        do
            r = y4m_read_frame(&in, img);
        while (r > 0 && in.frames_read <= (unsigned)skip);
        if (r <= 0) {
            cli_error("%s: %s", input, r < 0 ? in.err : "fewer frames than the stream");
            break;
        }
        excam_vp8_state *next;
        excam_image *shown = NULL;
        if (excam_vp8_decode(s, data, len, &next, &shown, NULL)) {
            cli_error("%s: cannot decode a frame of the output", output);
            break;
        }
        excam_vp8_state_free(s);
        s = next;
        if (shown) quality_add(q, img, shown, ssim);
        excam_image_free(shown);
    }
done:
    excam_vp8_state_free(s);
    excam_image_free(img);
    ivf_close(&iv);
    y4m_close(&in);
    return ret;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Parse an option's integer within [lo, hi]; on failure print a usage error. */
static int int_opt(const char *name, const char *arg, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (!*arg || *end || v < lo || v > hi) {
        cli_usage_error("encode", "%s needs a number from %ld to %ld, not '%s'", name, lo, hi, arg);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* --passes 2 (vbr, cbr): groups of frames sampled through the whole input, coded at a
 * few quantizers (firstpass.h), give the quantizer the rate control starts from, instead
 * of the middle of the range (foreman CIF 150 frames at 400 kbit/s: +0.27 dB PSNR at
 * +1% bits; flower 720p 60 frames at 1500: +0.64 dB at +5.7%). 0; 2 if the input is not
 * a regular file (nothing printed); 1 after printing the error. */
static int first_pass(const char *input, int skip, int limit, int speed, int kf_max, ratectl *rc,
                      int quiet)
{
    y4m_reader in;
    int ret = 1;
    struct stat st;
    if (stat(input, &st) != 0 || !S_ISREG(st.st_mode)) return 2; /* a pipe: read once */
    if (y4m_open(&in, input) != 0) {
        cli_error("%s: %s", input, in.err);
        return 1;
    }
    firstpass *fp = firstpass_new(in.width, in.height, speed > 8 ? speed : 8);
    int g = fp ? firstpass_group_frames(fp) : 0;
    excam_image **f = calloc((size_t)(g ? g : 1), sizeof(*f));
    for (int i = 0; f && i < g; i++)
        if (!(f[i] = excam_image_alloc(in.width, in.height))) {
            fp = (firstpass_free(fp), NULL);
            break;
        }
    if (!fp || !f) {
        cli_error("out of memory");
        goto done;
    }
    firstpass_set_length(fp, y4m_frames_to_encode(&in, skip, limit));
    long frames = 0;
    for (int n = 0;;) {
        if (limit >= 0 && frames >= limit) break;
        int r = y4m_read_frame(&in, f[n]);
        if (r < 0) {
            cli_error("%s: %s", in.name, in.err);
            goto done;
        }
        if (r == 0) break;
        if (in.frames_read <= (unsigned)skip) continue;
        /* Groups start every g frames; the sampled ones are coded once whole. */
        long start = frames - n;
        frames++;
        if (n == 0 && !firstpass_want(fp, start)) continue;
        if (++n == g) {
            int e = firstpass_add(fp, start, f, n);
            if (e) {
                cli_error("%s: first pass at frame %ld: %s", in.name, start + 1, excam_strerror(e));
                goto done;
            }
            n = 0;
        }
    }
    double pred;
    long keys = 1 + (frames > 0 ? (frames - 1) / kf_max : 0);
    int q = firstpass_pick(fp, frames, keys, 0, rc->fps, rc->target_kbps,
                           ratectl_index(rc->min_q), ratectl_index(rc->max_q), &pred);
    if (q >= 0) {
        ratectl_start(rc, q);
        if (!quiet) firstpass_report(fp, q, pred, rc->target_kbps);
    }
    ret = 0;
done:
    for (int i = 0; f && i < g; i++)
        excam_image_free(f[i]);
    free(f);
    firstpass_free(fp);
    y4m_close(&in);
    return ret;
}

/* Encode img against *state with p and write the frame to cw at pts; *state becomes
 * the new state and *len the frame's size. 0, an excam_err (encoding failed), or 1
 * (writing failed: cw->err). */
static int encode_write(excam_vp8_state **state, const excam_image *img,
                        const excam_vp8_enc_params *p, container_writer *cw, uint64_t pts,
                        size_t *len)
{
    uint8_t *frame;
    excam_vp8_state *next;
    int err = excam_vp8_encode(*state, img, p, &frame, len, &next);
    if (err) return err;
    int werr = container_write(cw, frame, *len, pts);
    excam_free(frame);
    excam_vp8_state_free(*state);
    *state = next;
    return werr ? 1 : 0;
}

int cmd_encode(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"skip", required_argument, NULL, OPT_SKIP},
        {"end-usage", required_argument, NULL, OPT_END_USAGE},
        {"cq-level", required_argument, NULL, OPT_CQ},
        {"target-bitrate", required_argument, NULL, OPT_BITRATE},
        {"bias-pct", required_argument, NULL, OPT_BIAS},
        {"minsection-pct", required_argument, NULL, OPT_MINSECTION},
        {"maxsection-pct", required_argument, NULL, OPT_MAXSECTION},
        {"min-q", required_argument, NULL, OPT_MINQ},
        {"max-q", required_argument, NULL, OPT_MAXQ},
        {"good", no_argument, NULL, OPT_GOOD},
        {"best", no_argument, NULL, OPT_BEST},
        {"rt", no_argument, NULL, OPT_RT},
        {"cpu-used", required_argument, NULL, OPT_CPU},
        {"kf-max-dist", required_argument, NULL, OPT_KFMAX},
        {"token-parts", required_argument, NULL, OPT_TOKEN_PARTS},
        {"sharpness", required_argument, NULL, OPT_SHARP},
        {"error-resilient", no_argument, NULL, OPT_ER},
        {"psnr", no_argument, NULL, OPT_PSNR},
        {"passes", required_argument, NULL, OPT_PASSES},
        {"auto-alt-ref", required_argument, NULL, OPT_AUTO_ALT_REF},
        {"arnr-maxframes", required_argument, NULL, OPT_ARNR_FRAMES},
        {"arnr-strength", required_argument, NULL, OPT_ARNR_STRENGTH},
        {"ssim", no_argument, NULL, OPT_SSIM},
        {"verify", no_argument, NULL, OPT_VERIFY},
        {"state-in", required_argument, NULL, OPT_STATE_IN},
        {"state-out", required_argument, NULL, OPT_STATE_OUT},
        {"chunk", required_argument, NULL, OPT_CHUNK},
        {"rebase", required_argument, NULL, OPT_REBASE},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"coordinator", required_argument, NULL, OPT_COORD},
        {"storage", required_argument, NULL, OPT_STORAGE},
        {"stage1", required_argument, NULL, OPT_STAGE1},
        {"webm", no_argument, NULL, OPT_WEBM},
        {"ivf", no_argument, NULL, OPT_IVF},
        SECOPTS_LONG,
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"deadline", required_argument, NULL, OPT_DEADLINE},
        {"burst-workers", required_argument, NULL, OPT_BURST_WORKERS},
        LAUNCH_LONG_OPTIONS,
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL, *state_in = NULL, *state_out = NULL, *coordinator = NULL;
    const char *storage = getenv("EXCAM_STORAGE"), *listen = NULL;
    int storage_given = 0;
    launch_opts lo = {0};
    int limit = -1, skip = 0, cpu = -1, preset = OPT_GOOD, kf_max = 128, parts = 0, sharp = 0;
    int er = 0, verify = 0, want_psnr = 0, want_ssim = 0, quiet = 0, verbose = 0, passes = 0, c;
    int passes_given = 0, auto_arf = -1, arnr_frames = -1, arnr_strength = -1;
    int bias = -1, min_section = -1, max_section = -1;
    int chunk = 0, rebase = 16, workers = 0, stage1_vpx = -1, container = -1, sec_given = 0;
    secopts sec = {0};
    burst_opts burst = {0};
    ratectl rc = {.mode = RC_Q, .cq = 20, .min_q = 0, .max_q = 63};

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:qvh", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_LIMIT: bad = int_opt("--limit", optarg, 0, 1L << 30, &limit); break;
        case OPT_SKIP: bad = int_opt("--skip", optarg, 0, 1L << 30, &skip); break;
        case OPT_END_USAGE:
            if (!strcmp(optarg, "q")) rc.mode = RC_Q;
            else if (!strcmp(optarg, "cq")) rc.mode = RC_CQ;
            else if (!strcmp(optarg, "vbr")) rc.mode = RC_VBR;
            else if (!strcmp(optarg, "cbr")) rc.mode = RC_CBR;
            else return cli_usage_error("encode", "--end-usage is q, cq, vbr or cbr, not '%s'", optarg);
            break;
        case OPT_CQ: bad = int_opt("--cq-level", optarg, 0, 63, &rc.cq); break;
        case OPT_BITRATE: {
            int k;
            bad = int_opt("--target-bitrate", optarg, 1, 1000000, &k);
            rc.target_kbps = k;
            break;
        }
        case OPT_BIAS: bad = int_opt("--bias-pct", optarg, 0, 100, &bias); break;
        case OPT_MINSECTION: bad = int_opt("--minsection-pct", optarg, 0, 100, &min_section); break;
        case OPT_MAXSECTION: bad = int_opt("--maxsection-pct", optarg, 100, 10000, &max_section); break;
        case OPT_MINQ: bad = int_opt("--min-q", optarg, 0, 63, &rc.min_q); break;
        case OPT_MAXQ: bad = int_opt("--max-q", optarg, 0, 63, &rc.max_q); break;
        case OPT_GOOD: case OPT_BEST: case OPT_RT: preset = c; break;
        case OPT_CPU: bad = int_opt("--cpu-used", optarg, -16, 16, &cpu); break;
        case OPT_KFMAX: bad = int_opt("--kf-max-dist", optarg, 1, 1 << 30, &kf_max); break;
        case OPT_TOKEN_PARTS: bad = int_opt("--token-parts", optarg, 0, 3, &parts); break;
        case OPT_SHARP: bad = int_opt("--sharpness", optarg, 0, 7, &sharp); break;
        case OPT_ER: er = 1; break;
        case OPT_PSNR: want_psnr = 1; break;
        case OPT_AUTO_ALT_REF: bad = int_opt("--auto-alt-ref", optarg, 0, 1, &auto_arf); break;
        case OPT_ARNR_FRAMES: bad = int_opt("--arnr-maxframes", optarg, 0, 15, &arnr_frames); break;
        case OPT_ARNR_STRENGTH: bad = int_opt("--arnr-strength", optarg, 0, 6, &arnr_strength); break;
        case OPT_PASSES:
            bad = int_opt("--passes", optarg, 1, 2, &passes);
            passes_given = 1;
            break;
        case OPT_SSIM: want_ssim = 1; break;
        case OPT_VERIFY: verify = 1; break;
        case OPT_STATE_IN: state_in = optarg; break;
        case OPT_STATE_OUT: state_out = optarg; break;
        case OPT_CHUNK: bad = int_opt("--chunk", optarg, 1, 1 << 20, &chunk); break;
        case OPT_REBASE: bad = int_opt("--rebase", optarg, 1, 1 << 20, &rebase); break;
        case OPT_WORKERS: bad = int_opt("--workers", optarg, 1, 4096, &workers); break;
        case OPT_COORD: coordinator = optarg; break;
        case OPT_STORAGE: storage = optarg; storage_given = 1; break;
        case OPT_STAGE1:
            if (!strcmp(optarg, "excam")) stage1_vpx = 0;
            else if (!strcmp(optarg, "libvpx")) stage1_vpx = 1;
            else return cli_usage_error("encode", "--stage1 is excam or libvpx, not '%s'", optarg);
            break;
        case OPT_WEBM: container = CONTAINER_WEBM; break;
        case OPT_IVF: container = CONTAINER_IVF; break;
        case 'q': quiet = 1; break;
        case 'v': verbose = 1; break;
        case OPT_LISTEN: listen = optarg; break;
        case OPT_DEADLINE: {
            char *end;
            burst.deadline = strtod(optarg, &end);
            if (!*optarg || *end || !(burst.deadline > 0 && burst.deadline <= 1e9))
                return cli_usage_error("encode", "--deadline needs seconds above 0, not '%s'", optarg);
            break;
        }
        case OPT_BURST_WORKERS: bad = int_opt("--burst-workers", optarg, 1, 4096, &burst.workers); break;
        case 'h': { /* the launchers' options after the other parallel ones */
            const char *state = strstr(usage, "State (");
            fwrite(usage, 1, (size_t)(state - usage), stdout);
            fputs(launch_usage, stdout);
            fputs(state, stdout);
            printf("Security (with --coordinator; with --launcher ssh/slurm/lambda: --key, --insecure,\n"
                   "and for ssh/slurm --tls-cert/--tls-key for the embedded coordinator with --tls-ca\n"
                   "for its workers; the local run makes a key of its own):\n%s", secopts_usage_client);
            return 0;
        }
        case ':': return cli_usage_error("encode", "option '%s' needs a value", argv[optind - 1]);
        default:
            if (c >= LAUNCH_OPT_FIRST && c < LAUNCH_OPT_END) {
                bad = launch_opt(&lo, "encode", c, optarg);
                break;
            }
            if (secopts_take(&sec, c, optarg)) {
                sec_given = 1;
                break;
            }
            return cli_usage_error("encode", "unknown option '%s'", argv[optind - 1]);
        }
        if (bad) return EXIT_USAGE;
    }
    if (optind >= argc) return cli_usage_error("encode", "no input file");
    if (optind + 1 < argc)
        return cli_usage_error("encode", "one input file only (extra: '%s')", argv[optind + 1]);
    if (!output) return cli_usage_error("encode", "no output file: give -o OUT.ivf");
    if (container < 0) container = (int)container_from_name(output);
    if (rc.min_q > rc.max_q) return cli_usage_error("encode", "--min-q is above --max-q");
    if ((rc.mode == RC_VBR || rc.mode == RC_CBR) && rc.target_kbps <= 0)
        return cli_usage_error("encode", "--end-usage=%s needs --target-bitrate",
                               rc.mode == RC_VBR ? "vbr" : "cbr");
    if (chunk && (state_in || state_out))
        return cli_usage_error("encode", "--chunk and --state-in/--state-out do not go together");
    if (chunk && auto_arf == 1)
        return cli_usage_error("encode", "--auto-alt-ref is for the serial encoder: the "
                                         "pipeline's chunks have no alt-ref frames");
    if (chunk && (er || kf_max != 128))
        return cli_usage_error("encode", "--chunk sets the key frames itself (one per --rebase "
                                         "chunks); --kf-max-dist and --error-resilient do not apply");
    if ((!chunk || rc.mode == RC_Q || rc.target_kbps <= 0) &&
        (bias >= 0 || min_section >= 0 || max_section >= 0) && !quiet)
        fprintf(stderr, "excam encode: --bias-pct, --minsection-pct and --maxsection-pct shape "
                        "the pipeline's chunks under a bitrate target (--chunk with "
                        "--target-bitrate); ignored here\n");
    if (!passes) passes = strcmp(argv[optind], "-") && !chunk ? 2 : 1;
    if (passes == 2 && !strcmp(argv[optind], "-"))
        return cli_usage_error("encode", "--passes 2 reads the input twice: give a file, not stdin");
    if (passes == 2 && chunk)
        return cli_usage_error("encode", "--passes 2 is for the serial encoder: with --chunk a "
                                         "bitrate target always gets a first pass");
    if (coordinator && !chunk)
        return cli_usage_error("encode", "--coordinator runs the pipeline: give --chunk N");
    if (sec_given && !coordinator && launch_is_local(&lo))
        return cli_usage_error("encode", "--key, --tls-* and --insecure go with --coordinator "
                                         "or a launcher (the local run makes a key of its own)");
    if (!coordinator && (sec.tls_ca || sec.tls_cert || sec.tls_key)) {
        /* The embedded coordinator's TLS: its certificate, and the CA its client and
         * workers check it with (not a client certificate, as with --coordinator). */
        if (!sec.tls_ca || !sec.tls_cert || !sec.tls_key)
            return cli_usage_error("encode", "with a launcher, --tls-cert and --tls-key (the embedded "
                                             "coordinator's) and --tls-ca (its CA, for the workers) "
                                             "go together");
        lo.tls_ca = sec.tls_ca;
        lo.tls_cert = sec.tls_cert;
        lo.tls_key = sec.tls_key;
        sec.tls_ca = sec.tls_cert = sec.tls_key = NULL; /* secopts_load: the key only */
    }
    if (stage1_vpx >= 0 && !chunk)
        return cli_usage_error("encode", "--stage1 is a stage of the pipeline: give --chunk N");
    if (coordinator && (!storage || !*storage))
        return cli_usage_error("encode", "--coordinator needs --storage URI (or EXCAM_STORAGE), "
                                         "blob storage its workers can reach");
    if (storage_given && !coordinator && !lo.launcher && !listen)
        return cli_usage_error("encode", "--storage is the blob storage of --coordinator's or a "
                                         "launcher's workers; local workers share a temporary "
                                         "directory");
    if (coordinator && (lo.launcher || listen))
        return cli_usage_error("encode", "--launcher and --listen are for the embedded coordinator, "
                                         "not with --coordinator (see `excam launch`)");
    if (!chunk && (lo.launcher || listen))
        return cli_usage_error("encode", "--launcher and --listen start workers for the pipeline: "
                                         "give --chunk N");
    if ((burst.deadline > 0 || burst.workers) && (!chunk || coordinator))
        return cli_usage_error("encode", "--deadline and --burst-workers are for the embedded "
                                         "coordinator's workers: give --chunk N, not --coordinator");
    if (burst.workers && !lo.burst)
        return cli_usage_error("encode", "--burst-workers is for a second launcher: give "
                                         "--launcher %s,B", lo.launcher ? lo.launcher : "local");
    lo.storage = storage;
    lo.key_file = sec.key_file ? sec.key_file : getenv("EXCAM_KEY_FILE");
    if (lo.key_file && !*lo.key_file) lo.key_file = NULL;
    lo.insecure = sec.insecure;
    if (chunk && !coordinator && launch_validate(&lo, "encode")) return EXIT_USAGE;
    if (chunk && !coordinator && !launch_ships_key(&lo) && !lo.key_file)
        return cli_usage_error("encode", "--launcher %s%s%s needs --key FILE (or EXCAM_KEY_FILE): "
                                         "the job key, readable by the workers at that path (make "
                                         "one with excam keygen --key FILE)", lo.launcher,
                               lo.burst ? "," : "", lo.burst ? lo.burst : "");
    if (chunk && (want_psnr || want_ssim) && !strcmp(argv[optind], "-"))
        return cli_usage_error("encode", "--psnr/--ssim with --chunk read the input again: "
                               "give it as a file, not on stdin");
    const char *input = argv[optind];
    int speed = cli_speed(preset == OPT_BEST ? CLI_BEST : preset == OPT_RT ? CLI_RT : CLI_GOOD, cpu);
    /* Alt-refs by default but with --rt (no look-ahead there, as in libvpx). */
    if (auto_arf < 0) auto_arf = preset != OPT_RT;
    if (arnr_frames < 0) arnr_frames = ARF_FRAMES;
    if (arnr_strength < 0) arnr_strength = ARF_STRENGTH;
    if (!auto_arf) arnr_frames = -1; /* none */

    y4m_reader in;
    if (y4m_open(&in, input) != 0) {
        cli_error("%s: %s", in.name ? in.name : input, in.err);
        return 1;
    }
    int ret = 1;
    outfile out = {0}, sout = {0};
    out.slot = sout.slot = -1;
    excam_image *arf_img = NULL;
    excam_vp8_state *state = NULL;
    int state_has_key = 0;
    container_writer cw = {0};
    quality qual = {0};
    uint64_t bytes = 0;
    unsigned encoded = 0, since_key = 0, since_golden = 0, arfs = 0, sent = 0;
    lookahead la = {0};
    int tty = !quiet && isatty(STDERR_FILENO);
    double t0 = now();

    if (state_in) {
        int sw, sh;
        if (cli_load_state(state_in, &state) != 0) goto done;
        excam_vp8_state_size(state, &sw, &sh);
        /* An empty state (0x0, no key frame yet) is a fine start: a key frame comes first. */
        if (sw && (sw != in.width || sh != in.height)) {
            cli_error("%s: the state is %dx%d but %s is %dx%d: an inter frame cannot change "
                      "the size", state_in, sw, sh, in.name, in.width, in.height);
            goto done;
        }
        state_has_key = sw > 0;
    } else {
        state = excam_vp8_state_new();
    }
    if (!state) {
        cli_error("out of memory");
        goto done;
    }
    if (chunk) {
        client_opts co = {0};
        client_result cr;
        co.coordinator = coordinator;
        co.storage = storage;
        co.chunk = chunk;
        co.rebase = rebase;
        co.retry_for = 120;
        co.quiet = quiet;
        co.webm = container == CONTAINER_WEBM;
        rc.fps = in.fps_num && in.fps_den ? (double)in.fps_num / in.fps_den : 30.0;
        ratectl_init(&rc);
        co.params.q_key = ratectl_next_q(&rc, 1);
        co.params.q_inter = ratectl_next_q(&rc, 0);
        co.params.q_first = task_first_q(co.params.q_key, co.params.q_inter,
                                         ratectl_index(rc.mode == RC_CQ ? rc.cq : rc.min_q));
        if (rc.mode != RC_Q && rc.target_kbps > 0) {
            /* A first pass picks the job's quantizers for the bitrate, then each chunk
             * gets its own around them by --bias-pct (firstpass.h). cbr's buffer cannot
             * be kept by chunks coded in parallel: each chunk is aimed at the bitrate.
             * cq: the --cq-level, or coarser where the bitrate needs it. */
            co.target_kbps = rc.target_kbps;
            co.min_qi = ratectl_index(rc.mode == RC_CQ ? rc.cq : rc.min_q);
            co.max_qi = ratectl_index(rc.max_q);
            if (co.min_qi > co.max_qi) co.min_qi = co.max_qi;
            /* vbr and cq 100: one quantizer gave the best BD-rate (bench/results/
             * pipeline-vbr*.md, [6,16] vs the serial encode by SSIM: foreman -0.06% at
             * 100, +0.01% at 50; flower 720p -0.83% at 100, +0.59% at 50) and costs no
             * measuring. cbr 50: the evenest chunks (foreman at 600 kbit/s: spread 0.15
             * at 100, 0.08 at 50, 0.14 at 0: 0 over-reacts to the measure's errors). */
            co.bias_pct = bias >= 0 ? bias : rc.mode == RC_CBR ? 50 : 100;
            co.min_section_pct = min_section >= 0 ? min_section : 0;
            co.max_section_pct = max_section >= 0 ? max_section : 400;
            if (rc.mode == RC_CBR && !quiet)
                fprintf(stderr, "excam encode: --end-usage cbr with --chunk: each chunk is aimed "
                                "at the bitrate (by its quantizers), not kept by a buffer\n");
        }
        co.params.speed = speed;
        co.params.token_partitions = parts;
        co.params.sharpness = sharp;
        co.params.verify = verify;
        co.params.stage1_libvpx = stage1_vpx == 1;
        if (coordinator || !launch_is_local(&lo)) {
            int e = secopts_load(&sec, "encode", 0);
            if (e) {
                ret = e;
                goto done;
            }
            co.sec.key = sec.have_key ? sec.key : NULL;
            co.sec.tls = sec.tls;
            co.sec.insecure = sec.insecure;
        }
        if (workers <= 0) {
            long n = sysconf(_SC_NPROCESSORS_ONLN);
            workers = n > 0 ? (int)n : 1;
        }
        double t1 = now();
        lo.workers = workers;
        lo.verbose = verbose && !quiet;
        burst.verbose = verbose && !quiet;
        lo.key = sec.have_key ? sec.key : NULL;
        ret = coordinator ? client_encode(&in, skip, limit, &co, output, &cr)
                          : local_encode(&in, skip, limit, &co, &lo, &burst, listen, output, &cr);
        if (ret) goto done;
        if (!quiet) {
            double t = now() - t1;
            char where[128];
            if (coordinator)
                snprintf(where, sizeof(where), "job %llu on %s", (unsigned long long)cr.job_id,
                         coordinator);
            else if (lo.burst)
                snprintf(where, sizeof(where), "workers by %s and %s", lo.launcher, lo.burst);
            else if (!launch_is_local(&lo))
                snprintf(where, sizeof(where), "workers by %s", lo.launcher);
            else
                snprintf(where, sizeof(where), "%d workers", workers);
            fprintf(stderr, "%s: %d frames in %d chunks of %d, %d key frames, %s, %llu bytes, "
                            "%.1f kbit/s, %.2f s (%.1f fps)\n",
                    output, cr.frames, cr.chunks, chunk, (cr.chunks + rebase - 1) / rebase, where,
                    (unsigned long long)cr.bytes, cr.bytes * 8.0 * rc.fps / cr.frames / 1000.0, t,
                    t > 0 ? cr.frames / t : 0.0);
            /* Frames per stage: every frame is encoded once; a re-encode makes one; a
             * rebase all of its chunk's (the chunks that start a group have none). */
            int groups = (cr.chunks + rebase - 1) / rebase, rebased = 0;
            for (int k = 0; k < cr.chunks; k++)
                if (k % rebase) rebased += k == cr.chunks - 1 ? cr.frames - k * chunk : chunk;
            int fr[3] = {cr.frames, cr.chunks - groups, rebased};
            fprintf(stderr, "%s: worker CPU time per frame: encode %.1f ms (%d frames), re-encode "
                            "%.1f ms (%d), rebase %.1f ms (%d)\n", output,
                    fr[0] ? 1000 * cr.cpu[0] / fr[0] : 0.0, fr[0],
                    fr[1] ? 1000 * cr.cpu[1] / fr[1] : 0.0, fr[1],
                    fr[2] ? 1000 * cr.cpu[2] / fr[2] : 0.0, fr[2]);
        }
        if (want_psnr || want_ssim) {
            if ((ret = measure_files(input, skip, output, &qual, want_ssim))) goto done;
            print_quality(&qual, want_psnr, want_ssim);
        }
        goto done;
    }
    /* The Y4M F tag is the frame rate; the IVF time base is one frame (vpxenc's
     * default), so the header holds the same rate and frame n has timestamp n.
     * Without an F tag: 30 fps, as vpxdec assumes. */
    if (!in.fps_num || !in.fps_den) in.fps_num = 30, in.fps_den = 1;
    rc.fps = (double)in.fps_num / in.fps_den;
    ratectl_init(&rc);
    /* Alt-refs read up to a group and half a filter window ahead. */
    if (lookahead_init(&la, &in, skip, limit,
                       arnr_frames >= 0 ? GOLDEN_INTERVAL + arnr_frames / 2 + 1 : 1) != 0 ||
        (arnr_frames >= 0 && !(arf_img = excam_image_alloc(in.width, in.height)))) {
        cli_error("out of memory");
        goto done;
    }
    /* The frames this run will encode, when the input's size tells (for the ETA). */
    long total = y4m_frames_to_encode(&in, skip, limit);
    rc.total_frames = total > 0 ? total : 0;
    if (passes == 2 && (rc.mode == RC_VBR || rc.mode == RC_CBR)) {
        int fpr = first_pass(input, skip, limit, speed, kf_max, &rc, quiet);
        if (fpr == 2 && passes_given) {
            cli_error("%s: --passes 2 reads the input twice: it must be a regular file", input);
            goto done;
        }
        if (fpr == 1) goto done;
    }
    if (outfile_open(&out, output) != 0) goto done;
    if (container_start(&cw, (container_kind)container, out.f, in.width, in.height, in.fps_num,
                        in.fps_den) != 0) {
        cli_error("%s: %s", output, cw.err);
        goto done;
    }
    for (;;) {
        if (lookahead_fill(&la) != 0) {
            cli_error("%s: %s", in.name, in.err);
            goto done;
        }
        const la_frame *lf = lookahead_peek(&la, 0);
        if (!lf) break;
        const excam_image *src = lf->img;
        int cut = lf->cut;

        excam_vp8_enc_params p;
        excam_vp8_enc_params_default(&p);
        int key = (encoded == 0 && !state_has_key) || since_key >= (unsigned)kf_max ||
                  (cut && encoded > 0);
        p.frame_type = key ? EXCAM_FRAME_KEY : EXCAM_FRAME_INTER;
        p.q_index = ratectl_next_q(&rc, key);
        int q_inter = key ? ratectl_next_q(&rc, 0) : p.q_index;
        int qlo = ratectl_index(rc.min_q);
        /* Groups of GOLDEN_INTERVAL frames from each key frame. The first frame of
         * each later group is a golden frame: at a finer quantizer (GOLDEN_BOOST index
         * steps) it refreshes golden, so that the long-term reference stays recent
         * and good. At speed <= 2 the old golden moves to altref (a third picture to
         * search); faster presets refresh altref with it (two). Measured at --cq-level
         * 16/28/40/52, BD-rate by PSNR against no golden frames: foreman CIF 150
         * frames -1.1% (old golden kept) / -0.4% (altref = golden), flower 720p 60
         * frames -0.4% / -0.5%; keeping the old golden cost 10% more time at speed 4.
         * Intervals of 8, 12 and 24 and boosts of 16 or q/8 were no better. At a fixed
         * quantizer (--min-q = --max-q) there are none: a golden frame as coarse as the
         * others did worse than keeping the key frame, +0.1..+0.4% BD-rate. */
        int group_start = key || ++since_golden >= (unsigned)GOLDEN_INTERVAL;
        if (group_start) since_golden = 0;
        int golden = group_start && !key && p.q_index > qlo;
        /* Alt-refs: a group whose picture stays put gets one (altref.h): after its
         * first frame, a hidden frame made by the temporal filter from the frames
         * around its last one refreshes altref (see ARF_* above). Not where no boost
         * is left (a fixed quantizer). */
        arf_plan ap = {0};
        if (group_start && arnr_frames >= 0 && q_inter > qlo)
            altref_plan(&la, key ? 1 : since_key + 1, kf_max, GOLDEN_INTERVAL, arnr_frames, &ap);
        if (ap.pos && golden) {
            /* A group with an alt-ref has no boosted golden frame: golden gets the
             * group before's alt-ref (if any), the boost goes to the new one. */
            golden = 0;
            p.copy_to_golden = 2;
        }
        if (golden) {
            p.refresh_golden = 1;
            if (speed <= 2) p.copy_to_altref = 2;
            else p.refresh_altref = 1;
            p.q_index = ratectl_boost(p.q_index, GOLDEN_BOOST, GOLDEN_MAX_RATIO, qlo);
        }
        p.speed = speed;
        p.token_partitions = parts;
        p.sharpness = sharp;
        p.error_resilient = er;
        p.self_check = verify;
        size_t len;
        int err = encode_write(&state, src, &p, &cw, encoded, &len);
        if (err) {
            if (err != 1)
                cli_error("%s: frame %u: encoding failed: %s", in.name, lf->number,
                          excam_strerror(err));
            else
                cli_error("%s: %s", output, cw.err);
            goto done;
        }
        /* -v: a line per frame of the stream, numbered as excam decode -v numbers
         * them (hidden frames count), with notes in parentheses. */
        sent++;
        if (verbose && !quiet) {
            const char *notes[3];
            char note[80] = "", in_frame[32];
            int nn = 0;
            size_t nl = 0;
            if (cut && key && encoded) notes[nn++] = "scene cut";
            if (golden) notes[nn++] = "golden";
            if (sent != encoded + 1) {
                snprintf(in_frame, sizeof(in_frame), "input frame %u", encoded + 1);
                notes[nn++] = in_frame;
            }
            for (int i = 0; i < nn; i++)
                nl += (size_t)snprintf(note + nl, sizeof(note) - nl, "%s%s", i ? ", " : " (", notes[i]);
            if (nn) snprintf(note + nl, sizeof(note) - nl, ")");
            fprintf(stderr, "frame %u: %s, q %d, %zu bytes%s\n", sent, key ? "key" : "inter",
                    p.q_index, len, note);
        }
        if (want_psnr || want_ssim) {
            excam_image *rec = excam_vp8_state_shown(state);
            if (rec) {
                quality_add(&qual, src, rec, want_ssim);
                excam_image_free(rec);
            }
        }
        size_t frame_bytes = len;
        if (ap.pos) {
            const excam_image *win[16]; /* --arnr-maxframes <= 15 */
            for (int i = ap.lo; i <= ap.hi; i++)
                win[i - ap.lo] = lookahead_peek(&la, i)->img;
            err = excam_vp8_temporal_filter(win, ap.hi - ap.lo + 1, ap.pos - ap.lo,
                                            arnr_strength, arf_img);
            excam_vp8_enc_params pa = p;
            pa.frame_type = EXCAM_FRAME_INTER;
            pa.refresh_last = pa.refresh_golden = 0;
            pa.refresh_altref = 1;
            pa.copy_to_golden = pa.copy_to_altref = 0;
            pa.show_frame = 0;
            pa.q_index = ratectl_boost(q_inter, ARF_BOOST, ARF_MAX_RATIO, qlo);
            if (!err) err = encode_write(&state, arf_img, &pa, &cw, encoded + 1, &len);
            if (err) {
                if (err != 1)
                    cli_error("%s: the alt-ref frame of frames %u-%u: %s", in.name,
                              lookahead_peek(&la, ap.lo)->number,
                              lookahead_peek(&la, ap.hi)->number, excam_strerror(err));
                else
                    cli_error("%s: %s", output, cw.err);
                goto done;
            }
            sent++;
            if (verbose && !quiet)
                fprintf(stderr, "frame %u: inter, q %d, %zu bytes, hidden (alt-ref: input "
                                "frames %u-%u filtered around %u)\n", sent, pa.q_index, len,
                        encoded + 1 + ap.lo, encoded + 1 + ap.hi, encoded + 1 + ap.pos);
            frame_bytes += len;
            arfs++;
        }
        /* The rate control sees an alt-ref's bytes as part of the frame before it. */
        ratectl_update(&rc, key, frame_bytes);
        bytes += frame_bytes;
        encoded++;
        since_key = key ? 1 : since_key + 1;
        lookahead_pop(&la);
        if (tty && !verbose) {
            double t = now() - t0, fps = t > 0 ? encoded / t : 0.0;
            char eta[48] = "";
            if (total > 0 && fps > 0 && (long)encoded < total)
                snprintf(eta, sizeof(eta), " of %ld, ETA %.0f s", total,
                         (total - (long)encoded) / fps);
            fprintf(stderr, "\rexcam encode: frame %u%s, %.1f fps, %.0f kbit/s   ", encoded, eta,
                    fps, encoded ? bytes * 8.0 * rc.fps / encoded / 1000.0 : 0.0);
            cli_progress_shown = 1;
        }
    }
    if (encoded == 0) {
        cli_error("%s: no frames to encode", in.name);
        goto done;
    }
    if (state_out && (outfile_open(&sout, state_out) != 0 ||
                      write_state(&sout, state_out, state) != 0))
        goto done;
    if (container_finish(&cw) != 0) {
        cli_error("%s: %s", output, cw.err);
        goto done;
    }
    if (outfile_commit(&out) != 0) goto done;
    if (state_out && outfile_commit(&sout) != 0) {
        /* The stream is complete and in place; only the state is missing. */
        goto done;
    }
    cli_progress_break();
    if (!quiet) {
        double t = now() - t0;
        char hidden[48] = "";
        if (arfs) snprintf(hidden, sizeof(hidden), " (and %u hidden alt-refs)", arfs);
        fprintf(stderr, "%s: %u frames%s, %llu bytes, %.1f kbit/s, %.2f s (%.1f fps)\n", output,
                encoded, hidden, (unsigned long long)bytes, bytes * 8.0 * rc.fps / encoded / 1000.0, t,
                t > 0 ? encoded / t : 0.0);
    }
    print_quality(&qual, want_psnr, want_ssim);
    ret = 0;
done:
    secopts_free(&sec);
    if (ret) {
        cli_progress_break();
        outfile_abort(&out);
        outfile_abort(&sout);
    }
    container_free(&cw);
    excam_image_free(arf_img);
    lookahead_free(&la);
    excam_vp8_state_free(state);
    y4m_close(&in);
    return ret;
}
