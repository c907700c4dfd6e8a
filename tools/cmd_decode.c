/*
 * excam decode: IVF → Y4M / raw I420 / per-frame MD5 listing (vpxdec-compatible).
 *
 * Frames are numbered from 1 by input position, hidden and skipped frames included,
 * as in the names vpxdec gives with `-o NAME-%wx%h-%4.i420`; so `--md5` output can be
 * diffed against the .md5 lists made with `vpxdec --i420 --md5 -o NAME-%wx%h-%4.i420`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "excam/vp8.h"
#include "i420.h"
#include "ivf.h"
#include "outfile.h"
#include "y4m.h"

static const char usage[] =
    "usage: excam decode IN.ivf|IN.webm [options]\n"
    "\n"
    "Decode a VP8 stream in an IVF or WebM file (\"-\" reads stdin).\n"
    "\n"
    "  -o, --output FILE    write the shown frames: Y4M, or raw I420 with --i420 or a\n"
    "                       .yuv/.i420 name (\"-\" = stdout). Written to a temporary\n"
    "                       file and renamed when complete; removed on error.\n"
    "      --i420           raw planar 4:2:0 output (also --rawvideo)\n"
    "      --md5            print one MD5 per shown frame, as vpxdec --i420 --md5 -o\n"
    "                       NAME-%wx%h-%4.i420 does (NAME: the input's name)\n"
    "      --md5-name NAME  the NAME in --md5 lines\n"
    "      --skip N         do not decode the first N frames (decoding must then start\n"
    "                       at a key frame, or from --state-in)\n"
    "      --limit N        stop after decoding N frames\n"
    "      --state-in FILE  start from a state written by `excam state dump` (use with\n"
    "                       --skip K when the state is the one after frame K)\n"
    "      --noblit         decode only, write nothing (for timing; also --null)\n"
    "  -t, --threads N      decode each frame on up to N threads (default 1; 0: one\n"
    "                       per CPU); a frame with P token partitions uses at most P.\n"
    "                       The output is the same for any N\n"
    "      --summary        print frames decoded and speed to stderr\n"
    "  -q, --quiet          no messages but errors (no progress line on a terminal)\n"
    "  -v, --verbose        a line per frame: key or inter, quantizer, bytes, shown\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 success, 1 bad input or I/O error (named with file and frame),\n"
    "2 usage error.\n";

enum { OPT_I420 = 256, OPT_MD5, OPT_MD5_NAME, OPT_SKIP, OPT_LIMIT, OPT_STATE_IN, OPT_SUMMARY, OPT_NOBLIT };

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cmd_decode(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"i420", no_argument, NULL, OPT_I420},
        {"rawvideo", no_argument, NULL, OPT_I420},
        {"md5", no_argument, NULL, OPT_MD5},
        {"md5-name", required_argument, NULL, OPT_MD5_NAME},
        {"skip", required_argument, NULL, OPT_SKIP},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"state-in", required_argument, NULL, OPT_STATE_IN},
        {"summary", no_argument, NULL, OPT_SUMMARY},
        {"noblit", no_argument, NULL, OPT_NOBLIT},
        {"null", no_argument, NULL, OPT_NOBLIT},
        {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL, *md5_name = NULL, *state_in = NULL;
    int raw = 0, md5 = 0, summary = 0, quiet = 0, verbose = 0, noblit = 0, c;
    unsigned long skip = 0, limit = 0;
    int have_limit = 0, threads = 1;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:t:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_I420: raw = 1; break;
        case OPT_MD5: md5 = 1; break;
        case OPT_MD5_NAME: md5_name = optarg; break;
        case OPT_SKIP:
            if (cli_parse_uint(optarg, 0xffffffffUL, &skip))
                return cli_usage_error("decode", "--skip needs a frame count, not '%s'", optarg);
            break;
        case OPT_LIMIT:
            if (cli_parse_uint(optarg, 0xffffffffUL, &limit))
                return cli_usage_error("decode", "--limit needs a frame count, not '%s'", optarg);
            have_limit = 1;
            break;
        case OPT_STATE_IN: state_in = optarg; break;
        case OPT_SUMMARY: summary = 1; break;
        case OPT_NOBLIT: noblit = 1; break;
        case 't':
            if (cli_parse_threads("decode", optarg, &threads)) return EXIT_USAGE;
            break;
        case 'q': quiet = 1; break;
        case 'v': verbose = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': return cli_usage_error("decode", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("decode", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_usage_error("decode", "no input file");
    if (optind + 1 < argc)
        return cli_usage_error("decode", "one input file only (extra: '%s')", argv[optind + 1]);
    const char *input = argv[optind];
    if (!output && !md5 && !noblit)
        return cli_usage_error("decode", "nothing to do: give -o FILE, --md5 or --noblit");
    if (output && strcmp(output, "-") == 0 && md5)
        return cli_usage_error("decode", "--md5 and -o - both want stdout");
    if (output && (ends_with(output, ".yuv") || ends_with(output, ".i420"))) raw = 1;
    if (quiet) verbose = 0;
    cli_keep_buffers();
    /* Progress on a terminal, about 4 times a second (not when stderr is a file). */
    int tty = !quiet && isatty(STDERR_FILENO);
    double next_progress = 0;

    int ret = 1;
    ivf_reader ivf;
    outfile out = {0};
    out.slot = -1;
    excam_vp8_state *state = NULL;
    char *stem = NULL;
    unsigned long decoded = 0, shown_count = 0;
    int out_w = 0, out_h = 0;
    double t0 = now(), t_dec = 0;

    if (ivf_open(&ivf, input) != 0) {
        cli_error("%s: %s", input, ivf.err);
        return 1;
    }
    if (state_in) {
        if (cli_load_state(state_in, &state) != 0) goto done;
    } else if (!(state = excam_vp8_state_new())) {
        cli_error("out of memory");
        goto done;
    }
    if (md5 && !md5_name) {
        if (!(stem = cli_stem(input))) goto done;
        md5_name = stem;
    }
    if (output && outfile_open(&out, output) != 0) goto done;

    for (;;) {
        const uint8_t *data;
        size_t len;
        int r = ivf_read_frame(&ivf, &data, &len, NULL);
        if (r < 0) {
            cli_error("%s: %s", ivf.name, ivf.err);
            goto done;
        }
        if (r == 0) break;
        unsigned n = ivf.frames_read;
        if (n <= skip) continue;
        if (have_limit && decoded >= limit) break;

        excam_vp8_state *next;
        excam_image *img;
        double t = now();
        int err = excam_vp8_decode_mt(state, data, len, threads, &next, &img, NULL);
        t_dec += now() - t;
        if (err) {
            cli_decode_error(ivf.name, n, err);
            goto done;
        }
        excam_vp8_state_free(state);
        state = next;
        decoded++;
        if (verbose) {
            excam_vp8_frame_info fi;
            if (excam_vp8_peek(data, len, &fi) == EXCAM_OK)
                fprintf(stderr, "frame %u: %s, q %d, %zu bytes%s\n", n,
                        fi.key_frame ? "key" : "inter", fi.base_q, len,
                        fi.show_frame ? "" : ", hidden");
        }
        if (tty && !verbose && now() >= next_progress) {
            double el = now() - t0, fps = el > 0 ? decoded / el : 0.0;
            /* The IVF header's frame count (informative: trusted for the ETA only). */
            long total = (long)ivf.header_frames - (long)skip;
            if (have_limit && total > (long)limit) total = (long)limit;
            char eta[48] = "";
            if (total > (long)decoded && fps > 0)
                snprintf(eta, sizeof(eta), " of %ld, ETA %.0f s", total, (total - (long)decoded) / fps);
            fprintf(stderr, "\rexcam decode: frame %lu%s, %.1f fps   ", decoded, eta, fps);
            cli_progress_shown = 1;
            next_progress = now() + 0.25;
        }
        if (!img) continue;
        shown_count++;
        if (md5) {
            uint8_t d[16];
            char hex[33];
            char why[320];
            if (i420_md5(img, d, why, sizeof(why)) != 0) {
                cli_error("%s: %s", input, why);
                excam_image_free(img);
                goto done;
            }
            cli_hex(d, 16, hex);
            printf("%s  %s-%dx%d-%04u.i420\n", hex, md5_name, img->width, img->height, n);
        }
        if (output) {
            int werr = 0;
            if (raw) {
                werr = i420_write(out.f, img);
            } else {
                if (!out_w) {
                    out_w = img->width;
                    out_h = img->height;
                    if (y4m_write_header(out.f, out_w, out_h, ivf.rate, ivf.scale) != 0) werr = -1;
                }
                if (img->width != out_w || img->height != out_h) {
                    cli_error("%s: frame %u: the picture size changes from %dx%d to %dx%d; "
                              "Y4M holds one size (use --i420 for raw output)",
                              ivf.name, n, out_w, out_h, img->width, img->height);
                    excam_image_free(img);
                    goto done;
                }
                if (!werr) werr = y4m_write_frame(out.f, img);
            }
            if (werr) {
                cli_error("%s: write error", output);
                excam_image_free(img);
                goto done;
            }
        }
        excam_image_free(img);
    }
    if (decoded == 0 && ivf.frames_read == 0) {
        cli_error("%s: the file has no frames", ivf.name);
        goto done;
    }
    if (cli_progress_shown) {
        double el = now() - t0;
        fprintf(stderr, "\rexcam decode: frame %lu, %.1f fps   \n", decoded,
                el > 0 ? decoded / el : 0.0);
    }
    cli_progress_shown = 0;
    if (output && outfile_commit(&out) != 0) goto done;
    if (md5 && (fflush(stdout) != 0 || ferror(stdout))) {
        cli_error("<stdout>: write error");
        goto done;
    }
    if (summary) {
        double total = now() - t0;
        fprintf(stderr, "%lu frames decoded (%lu shown) in %.3f s (decoding %.3f s, %.1f fps)\n",
                decoded, shown_count, total, t_dec, t_dec > 0 ? decoded / t_dec : 0.0);
    }
    ret = 0;
done:
    if (ret) outfile_abort(&out);
    excam_vp8_state_free(state);
    ivf_close(&ivf);
    free(stem);
    return ret;
}
