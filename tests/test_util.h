/*
 * Helpers shared by the C tests (each test source is its own program): a check counter,
 * a small IVF reader (independent of tools/, so a bug there cannot hide one here),
 * the data folder, MD5 of a decoded picture and the reference .md5 listings.
 */
#ifndef EXCAM_TEST_UTIL_H
#define EXCAM_TEST_UTIL_H

/* Include this first: POSIX is needed for <dirent.h> (and by the tests for alarm()). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "excam/vp8.h"

/* ------------------------------------------------------------------ checks */

static int tu_passed, tu_failed;

#if defined(__GNUC__)
#define TU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TU_PRINTF(f, a)
#endif

/* Count a check; print the failure with a printf-style context. Returns cond. */
static inline int tu_check(int cond, const char *file, int line, const char *expr,
                           const char *fmt, ...) TU_PRINTF(5, 6);
static inline int tu_check(int cond, const char *file, int line, const char *expr,
                           const char *fmt, ...)
{
    va_list ap;
    if (cond) {
        tu_passed++;
        return 1;
    }
    tu_failed++;
    fprintf(stderr, "%s:%d: check failed: %s: ", file, line, expr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 0;
}

#define CHECK(cond, ...) tu_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

/* ------------------------------------------------------------------ files */

/* Whole file into a malloc'd buffer (NULL if unreadable). */
static inline uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* The test data folder: $EXCAM_DATA, else ../shared/data (from the repository root). */
static inline const char *tu_data_dir(void)
{
    const char *d = getenv("EXCAM_DATA");
    return d && *d ? d : "../shared/data";
}

static inline int tu_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The conformance vectors: paths of DIR/vp80-(name).ivf, sorted; *n gets their number
 * (0 if DIR is unreadable). Free with tu_free_list. */
static inline char **tu_list_vectors(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name), need = strlen(dir) + len + 2;
        if (strncmp(e->d_name, "vp80-", 5) || len < 5 || strcmp(e->d_name + len - 4, ".ivf"))
            continue;
        if (*n == cap) {
            char **nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        if (!(v[*n] = malloc(need)))
            break;
        snprintf(v[(*n)++], need, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof(*v), tu_cmp_str);
    return v;
}

static inline void tu_free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* -------------------------------------------------------------------- IVF */

typedef struct tu_ivf {
    uint8_t *file;
    size_t nframes;
    const uint8_t **frame; /* into file */
    size_t *size;
} tu_ivf;

static inline uint32_t tu_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void tu_ivf_free(tu_ivf *v)
{
    free(v->file);
    free(v->frame);
    free(v->size);
    memset(v, 0, sizeof(*v));
}

/* Read an IVF file ("DKIF", header length at byte 6, then 12-byte frame headers:
 * u32 size, u64 pts). Any fourcc is accepted. 0 on success. */
static inline int tu_ivf_load(const char *path, tu_ivf *v)
{
    size_t len, pos, cap = 64;
    memset(v, 0, sizeof(*v));
    if (!(v->file = tu_read_file(path, &len)))
        return -1;
    if (len < 32 || memcmp(v->file, "DKIF", 4))
        goto fail;
    pos = (size_t)v->file[6] | (size_t)v->file[7] << 8;
    v->frame = malloc(cap * sizeof(*v->frame));
    v->size = malloc(cap * sizeof(*v->size));
    if (pos < 32 || !v->frame || !v->size)
        goto fail;
    while (len - pos >= 12) {
        size_t n = tu_le32(v->file + pos);
        if (n > len - pos - 12)
            goto fail;
        if (v->nframes == cap) {
            const uint8_t **f = realloc(v->frame, 2 * cap * sizeof(*f));
            size_t *s = f ? realloc(v->size, 2 * cap * sizeof(*s)) : NULL;
            if (f)
                v->frame = f;
            if (!s)
                goto fail;
            v->size = s;
            cap *= 2;
        }
        v->frame[v->nframes] = v->file + pos + 12;
        v->size[v->nframes++] = n;
        pos += 12 + n;
    }
    if (pos == len)
        return 0;
fail:
    tu_ivf_free(v);
    return -1;
}

/* ------------------------------------------------------------------- MD5 */

/* The same size and the same visible pixels in every plane (NULL only equals NULL). */
static inline int tu_images_identical(const excam_image *a, const excam_image *b)
{
    if (!a || !b)
        return a == b;
    if (a->width != b->width || a->height != b->height)
        return 0;
    for (int p = 0; p < 3; p++) {
        int w = p ? (a->width + 1) / 2 : a->width, h = p ? (a->height + 1) / 2 : a->height;
        for (int y = 0; y < h; y++)
            if (memcmp(a->plane[p] + (ptrdiff_t)y * a->stride[p],
                       b->plane[p] + (ptrdiff_t)y * b->stride[p], (size_t)w))
                return 0;
    }
    return 1;
}

/* MD5 of a picture as vpxdec --i420 --md5 computes it: Y, then U, then V rows,
 * no padding. hex gets 32 digits and a NUL. */
static inline int tu_image_md5(const excam_image *img, char hex[33])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    for (int p = 0; ok && p < 3; p++) {
        int w = p ? (img->width + 1) / 2 : img->width;
        int h = p ? (img->height + 1) / 2 : img->height;
        for (int y = 0; ok && y < h; y++)
            ok = EVP_DigestUpdate(ctx, img->plane[p] + (ptrdiff_t)y * img->stride[p], (size_t)w);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 16;
    EVP_MD_CTX_free(ctx);
    for (unsigned i = 0; ok && i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (!ok)
        hex[0] = '\0';
    return ok ? 0 : -1;
}

/* A reference listing: for input frame i (0-based), the expected MD5, or "" when
 * the frame is not shown (no line for it). */
typedef struct tu_md5_list {
    size_t n;
    char (*md5)[33];
} tu_md5_list;

/* Parse "<md5>  <name>-<W>x<H>-<NNNN>.i420" lines; NNNN is the 1-based input frame. */
static inline int tu_md5_load(const char *path, size_t nframes, tu_md5_list *l)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int ok = f != NULL;
    l->n = nframes;
    l->md5 = calloc(nframes ? nframes : 1, sizeof(*l->md5));
    ok = ok && l->md5;
    while (ok && fgets(line, sizeof(line), f)) {
        char hex[33];
        const char *dot = strstr(line, ".i420"), *num = dot;
        unsigned long frame;
        if (!dot || sscanf(line, "%32s", hex) != 1 || strlen(hex) != 32) {
            ok = 0;
            break;
        }
        while (num > line && num[-1] >= '0' && num[-1] <= '9')
            num--;
        frame = strtoul(num, NULL, 10);
        if (frame < 1 || frame > nframes)
            ok = 0;
        else
            memcpy(l->md5[frame - 1], hex, 33);
    }
    if (f)
        fclose(f);
    if (!ok) {
        free(l->md5);
        l->md5 = NULL;
    }
    return ok ? 0 : -1;
}

/* A small deterministic PRNG (splitmix64): the same seed gives the same tests. */
static inline uint64_t tu_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0; the modulo bias is irrelevant here). */
static inline size_t tu_rand_below(uint64_t *s, size_t n) { return (size_t)(tu_rand(s) % n); }

/* 1 if err is EXCAM_OK or one of the documented negative codes. */
static inline int tu_valid_err(int err)
{
    return err <= EXCAM_OK && err >= EXCAM_ERR_IO;
}

#endif /* EXCAM_TEST_UTIL_H */
