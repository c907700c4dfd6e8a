/*
 * excam state dump|hash: decode a stream up to a frame and write its serialized
 * decoder state, or print the state's BLAKE2b-256 hash (the checksum the serialized
 * form ends with). Frames are numbered from 1, as everywhere in the CLI, and the
 * state "at frame K" is the one after decoding frame K: resume the decode after it
 * with `excam decode IN.ivf --state-in FILE --skip K`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "excam/vp8.h"
#include "ivf.h"
#include "outfile.h"

static const char usage[] =
    "usage: excam state dump IN.ivf [--frame K] [-o FILE]\n"
    "       excam state hash IN.ivf [--frame K]\n"
    "       excam state hash --state FILE\n"
    "\n"
    "The explicit decoder state after frame K (1-based; default: the last frame).\n"
    "  dump  write the serialized state (versioned, checksummed) to FILE or stdout\n"
    "  hash  print its BLAKE2b-256 hash; with --state, the hash of a dumped state\n"
    "\n"
    "  -f, --frame K        the frame after which to take the state\n"
    "  -o, --output FILE    (dump) where to write; written atomically\n"
    "      --state FILE     (hash) a state file instead of a stream\n";

/* Decode `input` through frame `frame` (0 = all); *out gets the state. */
static int state_at(const char *input, unsigned long frame, excam_vp8_state **out)
{
    ivf_reader ivf;
    if (ivf_open(&ivf, input) != 0) {
        cli_error("%s: %s", input, ivf.err);
        return -1;
    }
    excam_vp8_state *s = excam_vp8_state_new();
    int ret = s ? 0 : -1;
    while (!ret && (frame == 0 || ivf.frames_read < frame)) {
        const uint8_t *data;
        size_t len;
        int r = ivf_read_frame(&ivf, &data, &len, NULL);
        if (r < 0) {
            cli_error("%s: %s", ivf.name, ivf.err);
            ret = -1;
        } else if (r == 0) {
            if (frame) {
                cli_error("%s: --frame %lu: the stream has only %u frames", ivf.name, frame,
                          ivf.frames_read);
                ret = -1;
            } else if (ivf.frames_read == 0) {
                cli_error("%s: the IVF file has no frames", ivf.name);
                ret = -1;
            }
            break;
        } else {
            excam_vp8_state *next;
            int err = excam_vp8_decode(s, data, len, &next, NULL, NULL);
            if (err) {
                cli_decode_error(ivf.name, ivf.frames_read, err);
                ret = -1;
            } else {
                excam_vp8_state_free(s);
                s = next;
            }
        }
    }
    ivf_close(&ivf);
    if (ret) {
        excam_vp8_state_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int cmd_state(int argc, char **argv)
{
    static const struct option opts[] = {
        {"frame", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"state", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2) return cli_usage_error("state", "give 'dump' or 'hash'");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    const char *verb = argv[1];
    int dump = !strcmp(verb, "dump");
    if (!dump && strcmp(verb, "hash"))
        return cli_usage_error("state", "unknown action '%s' (dump or hash)", verb);

    const char *output = NULL, *state_file = NULL;
    unsigned long frame = 0;
    int c;
    opterr = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, ":f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cli_parse_uint(optarg, 0xffffffffUL, &frame) || frame == 0)
                return cli_usage_error("state", "--frame needs a frame number >= 1, not '%s'",
                                       optarg);
            break;
        case 'o': output = optarg; break;
        case 's': state_file = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': return cli_usage_error("state", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("state", "unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *input = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc) return cli_usage_error("state", "one input file only");
    if (state_file && (dump || input || frame))
        return cli_usage_error("state", "--state is for 'hash' alone, without a stream");
    if (!state_file && !input) return cli_usage_error("state", "no input file");
    if (output && !dump) return cli_usage_error("state", "-o is for 'dump'");
    if (dump && !output && isatty(STDOUT_FILENO))
        return cli_usage_error("state", "not writing a binary state to a terminal; give -o FILE");

    excam_vp8_state *s = NULL;
    if (state_file ? cli_load_state(state_file, &s) : state_at(input, frame, &s)) return 1;

    int ret = 1;
    if (dump) {
        uint8_t *buf = NULL;
        size_t len = 0;
        outfile out;
        int err = excam_vp8_state_serialize(s, &buf, &len);
        if (err) {
            cli_error("cannot serialize the state: %s", excam_strerror(err));
        } else if (outfile_open(&out, output ? output : "-") == 0) {
            if (fwrite(buf, 1, len, out.f) != len) {
                cli_error("%s: write error", output ? output : "<stdout>");
                outfile_abort(&out);
            } else if (outfile_commit(&out) == 0) {
                ret = 0;
            }
        }
        excam_free(buf);
    } else {
        uint8_t d[32];
        char hex[65];
        int err = excam_vp8_state_hash(s, d);
        if (err) {
            cli_error("cannot hash the state: %s", excam_strerror(err));
        } else {
            cli_hex(d, 32, hex);
            if (state_file)
                printf("%s  %s\n", hex, state_file);
            else if (frame)
                printf("%s  %s@%lu\n", hex, input, frame);
            else
                printf("%s  %s\n", hex, input);
            ret = fflush(stdout) == 0 ? 0 : 1;
        }
    }
    excam_vp8_state_free(s);
    return ret;
}
