/*
 * Y4M reader; see y4m.h. The format (a de-facto standard, as mjpegtools and ffmpeg
 * write it): "YUV4MPEG2" then space-separated tags up to '\n' -- W<width> H<height>
 * F<num>:<den> I<p|t|b|m|?> A<num>:<den> C<colorspace> X<comment> -- then per frame
 * "FRAME" (optionally with tags) '\n' and the Y, U, V planes.
 */
#include "y4m.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Longer lines are not Y4M (real headers are < 100 bytes; X comments may add some). */
#define HEADER_MAX 4096
#define FRAME_LINE_MAX 1024

static int fail(y4m_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Read one line without its '\n' into buf (max + 1 bytes: at most max bytes and a
 * terminating NUL, which is written whatever the result, so that the caller can look at
 * what was read). Returns its length, -1 at end of file before any byte, -2 if longer
 * than max, -3 at end of file inside the line, -4 on a read error. *len (may be NULL)
 * gets the number of bytes stored. */
static long read_line(FILE *f, char *buf, size_t max, size_t *len)
{
    size_t n = 0;
    long ret;
    for (;;) {
        int c = getc(f);
        if (c == EOF) {
            ret = ferror(f) ? -4 : n == 0 ? -1 : -3;
            break;
        }
        if (c == '\n') {
            ret = (long)n;
            break;
        }
        if (n == max) {
            ret = -2;
            break;
        }
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return ret;
}

/* s for an error message: printable ASCII only (others become '?'), at most 40 bytes
 * (then "..."). out has room for 44 bytes. */
static const char *printable(const char *s, char out[44])
{
    size_t i;
    for (i = 0; s[i] && i < 40; i++) out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    strcpy(out + i, s[i] ? "..." : "");
    return out;
}

/* 1 if s (of n bytes) is a beginning of word (or all of it): what a file cut inside
 * the word holds. */
static int prefix_of(const char *s, size_t n, const char *word)
{
    return n <= strlen(word) && memcmp(s, word, n) == 0;
}

/* A decimal number of at most 10 digits, fully consumed. */
static int parse_u32(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s) return -1;
    for (int i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 10) return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX) return -1;
    *out = (uint32_t)v;
    return 0;
}

/* "num:den" (s is left as it was, for error messages) */
static int parse_ratio(char *s, uint32_t *num, uint32_t *den)
{
    char *colon = strchr(s, ':');
    if (!colon) return -1;
    *colon = '\0';
    int bad = parse_u32(s, num) || parse_u32(colon + 1, den);
    *colon = ':';
    return bad ? -1 : 0;
}

static int accept_colorspace(const char *c)
{
    static const char *const ok[] = {"420", "420jpeg", "420mpeg2", "420paldv"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(c, ok[i])) return 1;
    return 0;
}

static int parse_header(y4m_reader *r)
{
    static const char magic[] = "YUV4MPEG2";
    char line[HEADER_MAX + 1], shown[44];
    size_t len;
    long n = read_line(r->f, line, HEADER_MAX, &len);
    if (n == -1) return fail(r, "empty file (not a Y4M file)");
    if (n == -4) return fail(r, "read error: %s", strerror(errno));
    if (n == -3 && prefix_of(line, len, magic))
        return fail(r, "truncated Y4M header (the file ends after %zu bytes)", len);
    if (len < 9 || memcmp(line, magic, 9) != 0 || (len > 9 && line[9] != ' '))
        return fail(r, "not a Y4M file (no YUV4MPEG2 signature)");
    if (n == -2) return fail(r, "Y4M header longer than %d bytes", HEADER_MAX);
    if (n == -3) return fail(r, "truncated Y4M header (no end of line)");
    if (memchr(line, '\0', len)) return fail(r, "Y4M header contains a NUL byte");

    int have_w = 0, have_h = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line + 9, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *v = tok + 1;
        uint32_t u;
        switch (tok[0]) {
        case 'W':
        case 'H':
            if (parse_u32(v, &u))
                return fail(r, "bad %s in Y4M header: '%s'", tok[0] == 'W' ? "width" : "height",
                            printable(tok, shown));
            if (u == 0 || u > Y4M_MAX_DIM)
                return fail(r, "%s %u is outside 1..%d (VP8's limit)",
                            tok[0] == 'W' ? "width" : "height", u, Y4M_MAX_DIM);
            if (tok[0] == 'W') r->width = (int)u, have_w = 1;
            else r->height = (int)u, have_h = 1;
            break;
        case 'F':
            if (parse_ratio(v, &r->fps_num, &r->fps_den) || !r->fps_num || !r->fps_den)
                return fail(r, "bad frame rate in Y4M header: '%s'", printable(tok, shown));
            break;
        case 'A':
            /* "A0:0" means unknown; anything unparsable is ignored like ffmpeg does. */
            if (parse_ratio(v, &r->par_num, &r->par_den)) r->par_num = r->par_den = 0;
            break;
        case 'I':
            /* VP8 codes progressive pictures only. Like vpxenc, refuse interlaced input
             * (encoding its fields woven into frames would give combing artifacts at a
             * high bit rate) rather than guess; '?' (unknown) is taken as progressive. */
            if (!strcmp(v, "p") || !strcmp(v, "?")) {
                r->interlace = *v;
            } else if (!strcmp(v, "t") || !strcmp(v, "b") || !strcmp(v, "m")) {
                return fail(r,
                            "interlaced Y4M (I%s, %s): excam encodes progressive video only "
                            "(deinterlace with: ffmpeg -i IN -vf bwdif -pix_fmt yuv420p OUT.y4m)",
                            v, *v == 't' ? "top field first" : *v == 'b' ? "bottom field first"
                                                               : "mixed modes");
            } else {
                return fail(r, "bad interlacing tag in Y4M header: '%s' (expected Ip, It, Ib, "
                            "Im or I?)", printable(tok, shown));
            }
            break;
        case 'C':
            if (strlen(v) >= sizeof r->colorspace || !accept_colorspace(v))
                return fail(r,
                            "unsupported Y4M colorspace C%s: excam encodes 8-bit 4:2:0 "
                            "(convert with: ffmpeg -i IN -pix_fmt yuv420p OUT.y4m)",
                            printable(v, shown));
            strcpy(r->colorspace, v);
            break;
        case 'X':
            break;
        default:
            /* Unknown tags are allowed by the format; skip them. */
            break;
        }
    }
    if (!have_w || !have_h)
        return fail(r, "Y4M header has no %s", have_w ? "height (H tag)" : "width (W tag)");
    size_t cw = ((size_t)r->width + 1) / 2, ch = ((size_t)r->height + 1) / 2;
    r->frame_size = (size_t)r->width * (size_t)r->height + 2 * cw * ch;
    return 0;
}

int y4m_open_stream(y4m_reader *r, FILE *f, const char *name)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    r->name = name;
    r->interlace = '?';
    strcpy(r->colorspace, "420jpeg");
    if (parse_header(r) != 0) {
        r->f = NULL;
        return -1;
    }
    return 0;
}

int y4m_open(y4m_reader *r, const char *path)
{
    FILE *f;
    if (!strcmp(path, "-")) {
        if (y4m_open_stream(r, stdin, "<stdin>") != 0) return -1;
        return 0;
    }
    f = fopen(path, "rb");
    if (!f) {
        memset(r, 0, sizeof *r);
        r->name = path;
        return fail(r, "cannot open: %s", strerror(errno));
    }
    if (y4m_open_stream(r, f, path) != 0) {
        fclose(f);
        return -1;
    }
    r->owns_file = 1;
    return 0;
}

/* Read exactly n bytes; returns the count read. */
static size_t read_full(FILE *f, uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t k = fread(p + got, 1, n - got, f);
        if (k == 0) break;
        got += k;
    }
    return got;
}

int y4m_read_frame(y4m_reader *r, excam_image *img)
{
    char line[FRAME_LINE_MAX + 1];
    unsigned no = r->frames_read + 1;  /* 1-based, as people count frames */
    if (!r->f) return fail(r, "reader is not open");
    if (img->width != r->width || img->height != r->height)
        return fail(r, "frame %u: image is %dx%d, stream is %dx%d", no, img->width, img->height,
                    r->width, r->height);
    size_t len;
    long n = read_line(r->f, line, FRAME_LINE_MAX, &len);
    if (n == -1) return 0;
    if (n == -4) return fail(r, "frame %u: read error: %s", no, strerror(errno));
    if (n == -3 && (prefix_of(line, len, "FRAME") || !strncmp(line, "FRAME ", 6)))
        return fail(r, "frame %u: truncated (the file ends inside its FRAME line)", no);
    if (n < 0 || len < 5 || memcmp(line, "FRAME", 5) != 0 || (len > 5 && line[5] != ' '))
        return fail(r, "frame %u: no FRAME marker where one should be (corrupt file, or "
                    "its planes are not 8-bit 4:2:0)", no);
    size_t total = 0;
    for (int p = 0; p < 3; p++) {
        size_t w = p ? ((size_t)r->width + 1) / 2 : (size_t)r->width;
        size_t h = p ? ((size_t)r->height + 1) / 2 : (size_t)r->height;
        for (size_t y = 0; y < h; y++) {
            size_t got = read_full(r->f, img->plane[p] + y * (size_t)img->stride[p], w);
            total += got;
            if (got < w) {
                if (ferror(r->f))
                    return fail(r, "frame %u: read error: %s", no, strerror(errno));
                return fail(r, "frame %u: truncated: %zu of %zu bytes", no, total, r->frame_size);
            }
        }
    }
    r->frames_read++;
    return 1;
}

void y4m_close(y4m_reader *r)
{
    if (r->f && r->owns_file) fclose(r->f);
    r->f = NULL;
}

long y4m_frames_total(const y4m_reader *r)
{
    struct stat st;
    if (!r->f || fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    off_t pos = ftello(r->f);
    if (pos < 0 || pos > st.st_size) return -1;
    return (long)r->frames_read + (long)((st.st_size - pos) / (off_t)(r->frame_size + 6));
}

long y4m_frames_to_encode(const y4m_reader *r, int skip, int limit)
{
    long total = y4m_frames_total(r);
    if (total < 0) return -1;
    total = total > skip ? total - skip : 0;
    return limit >= 0 && total > limit ? limit : total;
}
