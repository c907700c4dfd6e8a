/*
 * state_fork: what the explicit-state API lets a program do with a VP8 stream.
 *
 *   state_fork IN.ivf K
 *
 * Decodes IN.ivf frame by frame, passing the decoder state along by hand. After frame
 * K it forks the state two ways: a cheap in-process copy (excam_vp8_state_copy) and a
 * round trip through bytes (excam_vp8_state_serialize / _deserialize), as one would
 * ship it to another process or host. The rest of the stream is decoded from the
 * original and from both forks; all three must show the same pictures and end in the
 * same state (BLAKE2b hash). Prints the hashes and "ok", or the error and exits 1.
 *
 * Build against an installed libexcam:
 *   cc state_fork.c $(pkg-config --cflags --libs excam) -o state_fork
 */
#include <excam/vp8.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The IVF container (libvpx's): a 32-byte file header, then per frame a 12-byte header
 * (u32 little-endian size, u64 timestamp) and the frame. */
static uint8_t *read_frame(FILE *f, size_t *len)
{
    uint8_t h[12];
    if (fread(h, 1, 12, f) != 12) return NULL;
    size_t n = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
    uint8_t *buf = n <= (64u << 20) ? malloc(n ? n : 1) : NULL;
    if (!buf || fread(buf, 1, n, f) != n) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void print_hash(const char *what, const excam_vp8_state *s)
{
    uint8_t d[32];
    excam_vp8_state_hash(s, d);
    printf("%-12s ", what);
    for (int i = 0; i < 32; i++) printf("%02x", d[i]);
    printf("\n");
}

static int same_picture(const excam_image *a, const excam_image *b)
{
    if (!a || !b) return a == b;
    if (a->width != b->width || a->height != b->height) return 0;
    for (int p = 0; p < 3; p++) {
        int w = p ? (a->width + 1) / 2 : a->width, h = p ? (a->height + 1) / 2 : a->height;
        for (int y = 0; y < h; y++)
            if (memcmp(a->plane[p] + y * a->stride[p], b->plane[p] + y * b->stride[p], (size_t)w))
                return 0;
    }
    return 1;
}

/* Decode one frame on *s, replacing it; *shown gets the picture (or NULL). */
static int step(excam_vp8_state **s, const uint8_t *data, size_t len, excam_image **shown)
{
    excam_vp8_state *next;
    int err = excam_vp8_decode(*s, data, len, &next, shown, NULL);
    if (err) return err;
    excam_vp8_state_free(*s);
    *s = next;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IN.ivf K\n", argv[0]);
        return 2;
    }
    long k = strtol(argv[2], NULL, 10);
    FILE *f = fopen(argv[1], "rb");
    uint8_t hdr[32];
    if (!f || fread(hdr, 1, 32, f) != 32 || memcmp(hdr, "DKIF", 4)) {
        fprintf(stderr, "%s: not a readable IVF file\n", argv[1]);
        return 1;
    }
    printf("libexcam %s\n", excam_version_string());

    excam_vp8_state *s = excam_vp8_state_new(), *copy = NULL, *shipped = NULL;
    long n = 0;
    int ret = 1;
    size_t len;
    uint8_t *data;
    while ((data = read_frame(f, &len))) {
        n++;
        excam_image *a = NULL, *b = NULL, *c = NULL;
        int err = step(&s, data, len, &a);
        if (!err && copy) err = step(&copy, data, len, &b);
        if (!err && shipped) err = step(&shipped, data, len, &c);
        free(data);
        if (err) {
            fprintf(stderr, "%s: frame %ld: %s\n", argv[1], n, excam_strerror(err));
            goto done;
        }
        if (copy && (!same_picture(a, b) || !same_picture(a, c))) {
            fprintf(stderr, "frame %ld: a fork shows another picture\n", n);
            goto done;
        }
        excam_image_free(a);
        excam_image_free(b);
        excam_image_free(c);
        if (n == k) {
            /* Fork: in memory, and through bytes as another process would get it. */
            uint8_t *bytes;
            size_t blen;
            copy = excam_vp8_state_copy(s);
            if (!copy || excam_vp8_state_serialize(s, &bytes, &blen) ||
                excam_vp8_state_deserialize(bytes, blen, &shipped)) {
                fprintf(stderr, "frame %ld: cannot fork the state\n", n);
                goto done;
            }
            excam_free(bytes);
            printf("state after frame %ld: %zu bytes serialized\n", n, blen);
            print_hash("hash", s);
        }
    }
    if (n < k || !copy) {
        fprintf(stderr, "%s: only %ld frames, no frame %ld to fork at\n", argv[1], n, k);
        goto done;
    }
    print_hash("original", s);
    print_hash("copy", copy);
    print_hash("deserialized", shipped);
    if (!excam_vp8_state_equal(s, copy) || !excam_vp8_state_equal(s, shipped)) {
        fprintf(stderr, "the forks end in other states\n");
        goto done;
    }
    printf("ok: %ld frames; both forks made at frame %ld decoded the rest identically\n", n, k);
    ret = 0;
done:
    excam_vp8_state_free(s);
    excam_vp8_state_free(copy);
    excam_vp8_state_free(shipped);
    fclose(f);
    return ret;
}
