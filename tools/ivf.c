/* IVF reading and writing; see ivf.h. */
#include "ivf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Read up to n bytes; returns how many were read (short only at EOF or error). */
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

int ivf_open_stream(ivf_reader *r, FILE *f, const char *name)
{
    uint8_t h[32];
    memset(r, 0, sizeof(*r));
    r->f = f;
    r->name = name;
    size_t got = read_full(f, h, sizeof(h));
    if (ferror(f)) {
        snprintf(r->err, sizeof(r->err), "read error: %s", strerror(errno));
        return -1;
    }
    if (got == 0) {
        snprintf(r->err, sizeof(r->err), "empty file (not an IVF or WebM file)");
        return -1;
    }
    if (got >= 4 && memcmp(h, WEBM_MAGIC, 4) == 0) {
        r->container = "WebM";
        return webm_reader_open(&r->webm, f, h, got, &r->width, &r->height, &r->rate,
                                &r->scale, r->fourcc, r->err, sizeof(r->err));
    }
    if (got < 4 || memcmp(h, "DKIF", 4) != 0) {
        snprintf(r->err, sizeof(r->err), "not an IVF or WebM file (no DKIF or EBML signature)");
        return -1;
    }
    r->container = "IVF";
    if (got < sizeof(h)) {
        snprintf(r->err, sizeof(r->err), "truncated IVF file header (%zu of 32 bytes)", got);
        return -1;
    }
    /* vpxdec reads a 32-byte header whatever the header-size field says; so do we. */
    memcpy(r->fourcc, h + 8, 4);
    for (int i = 0; i < 4; i++)
        if (r->fourcc[i] < 0x20 || r->fourcc[i] > 0x7e) r->fourcc[i] = '?';
    r->fourcc[4] = 0;
    r->width = (int)rd16(h + 12);
    r->height = (int)rd16(h + 14);
    r->rate = rd32(h + 16);
    r->scale = rd32(h + 20);
    r->header_frames = rd32(h + 24);
    return 0;
}

int ivf_open(ivf_reader *r, const char *path)
{
    FILE *f;
    if (strcmp(path, "-") == 0) {
        f = stdin;
    } else {
        f = fopen(path, "rb");
        if (!f) {
            memset(r, 0, sizeof(*r));
            r->name = path;
            snprintf(r->err, sizeof(r->err), "cannot open: %s", strerror(errno));
            return -1;
        }
    }
    int ret = ivf_open_stream(r, f, strcmp(path, "-") == 0 ? "<stdin>" : path);
    r->owns_file = f != stdin;
    return ret;
}

int ivf_read_frame(ivf_reader *r, const uint8_t **data, size_t *len, uint64_t *pts)
{
    uint8_t h[12];
    unsigned n = r->frames_read + 1; /* frames are numbered from 1 in messages */
    if (r->webm) {
        char msg[200];
        int ret = webm_read_frame(r->webm, data, len, pts, msg, sizeof(msg));
        if (ret < 0) snprintf(r->err, sizeof(r->err), "frame %u: %s", n, msg);
        if (ret > 0) r->frames_read = n;
        return ret;
    }
    size_t got = read_full(r->f, h, sizeof(h));
    if (ferror(r->f)) {
        snprintf(r->err, sizeof(r->err), "frame %u: read error: %s", n, strerror(errno));
        return -1;
    }
    if (got == 0) return 0;
    if (got < sizeof(h)) {
        snprintf(r->err, sizeof(r->err),
                 "frame %u: truncated IVF frame header (%zu of 12 bytes)", n, got);
        return -1;
    }
    uint32_t size = rd32(h);
    if (size > IVF_MAX_FRAME_SIZE) {
        snprintf(r->err, sizeof(r->err), "frame %u: frame size %u bytes is implausible (corrupt IVF)",
                 n, size);
        return -1;
    }
    /* Read in steps of at most 1 MiB, growing the buffer as the data really comes:
     * a lying size field on a short file cannot make us allocate 256 MiB. */
    got = 0;
    while (got < size) {
        size_t step = size - got < (1u << 20) ? size - got : (1u << 20);
        if (got + step > r->cap) {
            size_t cap = r->cap ? r->cap : 65536;
            while (cap < got + step) cap *= 2;
            uint8_t *b = realloc(r->buf, cap);
            if (!b) {
                snprintf(r->err, sizeof(r->err), "frame %u: out of memory (%u bytes)", n, size);
                return -1;
            }
            r->buf = b;
            r->cap = cap;
        }
        size_t k = read_full(r->f, r->buf + got, step);
        got += k;
        if (k < step) break;
    }
    if (got < size) {
        if (ferror(r->f))
            snprintf(r->err, sizeof(r->err), "frame %u: read error: %s", n, strerror(errno));
        else
            snprintf(r->err, sizeof(r->err),
                     "frame %u: truncated (header says %u bytes, file has %zu left)", n, size, got);
        return -1;
    }
    if (pts) *pts = (uint64_t)rd32(h + 4) | (uint64_t)rd32(h + 8) << 32;
    *data = r->buf;
    *len = size;
    r->frames_read = n;
    return 1;
}

void ivf_close(ivf_reader *r)
{
    webm_reader_close(r->webm);
    r->webm = NULL;
    if (r->owns_file && r->f) fclose(r->f);
    free(r->buf);
    r->f = NULL;
    r->buf = NULL;
    r->cap = 0;
}

int ivf_writer_start(ivf_writer *w, FILE *f, const char fourcc[4], int width, int height,
                     uint32_t rate, uint32_t scale)
{
    uint8_t h[32] = {'D', 'K', 'I', 'F'};
    w->f = f;
    w->frames = 0;
    w->seekable = ftell(f) == 0;
    wr16(h + 4, 0);
    wr16(h + 6, 32);
    memcpy(h + 8, fourcc, 4);
    wr16(h + 12, (uint32_t)width);
    wr16(h + 14, (uint32_t)height);
    wr32(h + 16, rate);
    wr32(h + 20, scale);
    wr32(h + 24, 0);
    wr32(h + 28, 0);
    return fwrite(h, 1, 32, f) == 32 ? 0 : -1;
}

int ivf_write_frame(ivf_writer *w, const uint8_t *data, size_t len, uint64_t pts)
{
    uint8_t h[12];
    if (len > IVF_MAX_FRAME_SIZE) return -1;
    wr32(h, (uint32_t)len);
    wr32(h + 4, (uint32_t)pts);
    wr32(h + 8, (uint32_t)(pts >> 32));
    if (fwrite(h, 1, 12, w->f) != 12 || (len && fwrite(data, 1, len, w->f) != len)) return -1;
    w->frames++;
    return 0;
}

int ivf_writer_finish(ivf_writer *w)
{
    if (w->seekable) {
        uint8_t c[4];
        long end = ftell(w->f);
        wr32(c, w->frames);
        if (end < 0 || fseek(w->f, 24, SEEK_SET) != 0 || fwrite(c, 1, 4, w->f) != 4 ||
            fseek(w->f, end, SEEK_SET) != 0)
            return -1;
    }
    return fflush(w->f) == 0 ? 0 : -1;
}
