/* Messages and small parsing helpers for the excam subcommands; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "excam/vp8.h"

/* A progress line ("\r...") is on stderr's last line: the next message starts a new one. */
int cli_progress_shown;

void cli_progress_break(void)
{
    if (cli_progress_shown) fputc('\n', stderr);
    cli_progress_shown = 0;
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    cli_progress_break();
    fputs("excam: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "excam %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'excam %s --help'.\n", cmd);
    return EXIT_USAGE;
}

int cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max) return -1;
    *out = v;
    return 0;
}

int cli_speed(int preset, int cpu)
{
    int speed = cpu >= 0 ? cpu : -cpu;
    if (cpu < 0 && preset == CLI_GOOD) speed = 4;
    if (preset == CLI_BEST) speed = cpu >= 0 ? cpu : 0;
    if (preset == CLI_RT && cpu < 0) speed = 8;
    return speed > 9 ? 9 : speed;
}

void cli_hex(const uint8_t *p, int n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

uint8_t *cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            uint8_t *b = realloc(buf, ncap);
            if (!b) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = b;
            cap = ncap;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    int rd_err = ferror(f);
    fclose(f);
    if (rd_err) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

int cli_load_state(const char *path, excam_vp8_state **out)
{
    size_t len = 0;
    uint8_t *buf = cli_read_file(path, &len);
    if (!buf) {
        cli_error("%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    int err = excam_vp8_state_deserialize(buf, len, out);
    free(buf);
    if (err) {
        cli_error("%s: not a valid excam state: %s", path, excam_strerror(err));
        return -1;
    }
    return 0;
}

void cli_decode_error(const char *file, unsigned frame, int err)
{
    if (err == EXCAM_ERR_NO_KEYFRAME)
        cli_error("%s: frame %u: inter frame with no key frame before it "
                  "(the stream must start with a key frame, or give --state-in)", file, frame);
    else
        cli_error("%s: frame %u: %s", file, frame, excam_strerror(err));
}

char *cli_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *s = strdup(base);
    if (!s) return NULL;
    char *dot = strrchr(s, '.');
    if (dot && dot != s) *dot = 0;
    return s;
}

void cli_keep_buffers(void)
{
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

int cli_parse_threads(const char *cmd, const char *arg, int *threads)
{
    unsigned long n;
    if (cli_parse_uint(arg, 64, &n))
        return cli_usage_error(cmd, "--threads needs a number from 0 (one per CPU) to 64, not '%s'",
                               arg);
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned long)cpus;
    }
    *threads = (int)n;
    return 0;
}
