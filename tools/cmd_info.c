/*
 * excam info: the IVF header, then one line per frame with what its VP8 frame header
 * says (RFC 6386 §9, §19.2). Every frame is decoded, so a stream that `info` accepts
 * decodes, and a corrupt one fails here with the frame named.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "excam/vp8.h"
#include "ivf.h"

static const char usage[] =
    "usage: excam info IN.ivf|IN.webm\n"
    "\n"
    "Print the container's header (IVF or WebM) and, for every frame: number, type, picture size, shown or\n"
    "hidden, quantizer index, loop filter, token partitions, reference updates\n"
    "(L/G/A = last/golden/altref refreshed, G<L etc. = copied from), and bytes.\n"
    "The frames are decoded to check them.\n";

static const char *copy_name(int c, char self)
{
    if (c == 1) return self == 'G' ? "G<L" : "A<L";
    if (c == 2) return self == 'G' ? "G<A" : "A<G";
    return "";
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        return cli_usage_error("info", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage_error("info", optind >= argc ? "no input file" : "one input file only");
    const char *input = argv[optind];

    ivf_reader ivf;
    if (ivf_open(&ivf, input) != 0) {
        cli_error("%s: %s", input, ivf.err);
        return 1;
    }
    printf("%s: %s, fourcc %s, %dx%d, time base %u/%u, %u frames in header\n", ivf.name, ivf.container,
           ivf.fourcc, ivf.width, ivf.height, ivf.scale, ivf.rate, ivf.header_frames);

    excam_vp8_state *state = excam_vp8_state_new();
    int ret = state ? 0 : 1;
    unsigned long bytes = 0, keys = 0, hidden = 0;
    while (!ret) {
        const uint8_t *data;
        size_t len;
        uint64_t pts;
        int r = ivf_read_frame(&ivf, &data, &len, &pts);
        if (r < 0) {
            cli_error("%s: %s", ivf.name, ivf.err);
            ret = 1;
            break;
        }
        if (r == 0) break;
        unsigned n = ivf.frames_read;
        excam_vp8_state *next;
        excam_vp8_frame_info fi;
        int err = excam_vp8_decode(state, data, len, &next, NULL, &fi);
        if (err) {
            fflush(stdout);
            cli_decode_error(ivf.name, n, err);
            ret = 1;
            break;
        }
        excam_vp8_state_free(state);
        state = next;
        bytes += len;
        if (len == 0) {
            printf("frame %5u  pts %-6llu dropped (0 bytes: the previous frame is shown again)\n",
                   n, (unsigned long long)pts);
            continue;
        }
        int w, h;
        excam_vp8_state_size(state, &w, &h);
        keys += fi.key_frame;
        hidden += !fi.show_frame;
        char refs[32];
        snprintf(refs, sizeof(refs), "%s%s%s%s%s%s", fi.refresh_last ? "L" : "",
                 fi.refresh_golden ? "G" : copy_name(fi.copy_to_golden, 'G'),
                 fi.refresh_altref ? "A" : copy_name(fi.copy_to_altref, 'A'),
                 fi.sign_bias_golden ? " sbG" : "", fi.sign_bias_altref ? " sbA" : "",
                 fi.refresh_entropy_probs ? "" : " probs-kept");
        printf("frame %5u  pts %-6llu %-5s %4dx%-4d %-6s q=%-3d lf=%s/%d/%d parts=%d%s "
               "refresh=%-10s bytes=%zu\n",
               n, (unsigned long long)pts, fi.key_frame ? "key" : "inter", w, h,
               fi.show_frame ? "shown" : "hidden", fi.base_q,
               fi.filter_type ? "simple" : "normal", fi.filter_level, fi.sharpness,
               fi.token_partitions, fi.segmentation_enabled ? " seg" : "",
               refs[0] ? refs : "-", len);
    }
    if (!ret)
        printf("%u frames (%lu key, %lu hidden), %lu bytes\n", ivf.frames_read, keys, hidden, bytes);
    excam_vp8_state_free(state);
    ivf_close(&ivf);
    return ret;
}
