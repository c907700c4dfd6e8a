/*
 * Boolean entropy encoder (RFC 6386 §7.3, the encoder half), writing into a buffer
 * that grows as needed. An allocation failure is remembered in `err` (checked once
 * at the end), so the hot path has no error returns.
 */
#ifndef EXCAM_CODEC_BOOLWRITER_H
#define EXCAM_CODEC_BOOLWRITER_H

#include <stdint.h>
#include <stdlib.h>

typedef struct vp8_bool_writer {
    uint8_t *buf;
    size_t pos, cap;
    uint32_t range;   /* 128 <= range <= 255 */
    uint32_t bottom;  /* minimum value of the remaining output */
    int bit_count;    /* shifts before an output byte is available */
    int err;          /* allocation failed: the output is incomplete */
} vp8_bool_writer;

static inline void vp8_bw_init(vp8_bool_writer *w, size_t initial_cap)
{
    w->cap = initial_cap < 256 ? 256 : initial_cap;
    w->buf = (uint8_t *)malloc(w->cap);
    w->pos = 0;
    w->range = 255;
    w->bottom = 0;
    w->bit_count = 24;
    w->err = w->buf == NULL;
    if (w->err) w->cap = 0;
}

static inline void vp8_bw_free(vp8_bool_writer *w)
{
    free(w->buf);
    w->buf = NULL;
    w->cap = w->pos = 0;
}

/* §7.3 add_one_to_output: the carry never runs past the start of the output. */
static inline void vp8_bw_carry(vp8_bool_writer *w)
{
    size_t i = w->pos;
    while (i > 0 && w->buf[i - 1] == 255)
        w->buf[--i] = 0;
    if (i > 0) w->buf[i - 1]++;
}

static inline void vp8_bw_put_byte(vp8_bool_writer *w, uint8_t b)
{
    if (w->pos == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        uint8_t *nb = w->err ? NULL : (uint8_t *)realloc(w->buf, cap);
        if (!nb) {
            w->err = 1;
            return;
        }
        w->buf = nb;
        w->cap = cap;
    }
    w->buf[w->pos++] = b;
}

/* Write a bool whose probability of being 0 is prob/256. */
static inline void vp8_write_bool(vp8_bool_writer *w, int prob, int bit)
{
    uint32_t split = 1 + (((w->range - 1) * (uint32_t)prob) >> 8);
    if (bit) {
        w->bottom += split;
        w->range -= split;
    } else {
        w->range = split;
    }
    while (w->range < 128) {
        w->range <<= 1;
        if (w->bottom & (1u << 31)) vp8_bw_carry(w);
        w->bottom <<= 1;
        if (!--w->bit_count) {
            vp8_bw_put_byte(w, (uint8_t)(w->bottom >> 24));
            w->bottom &= (1u << 24) - 1;
            w->bit_count = 8;
        }
    }
}

static inline void vp8_write_bit(vp8_bool_writer *w, int bit) { vp8_write_bool(w, 128, bit); }

/* An n-bit unsigned literal, most significant bit first (§7.3 / §19 L(n)). */
static inline void vp8_write_literal(vp8_bool_writer *w, uint32_t v, int n)
{
    while (n-- > 0)
        vp8_write_bit(w, (v >> n) & 1);
}

/* The path to leaf `value` from node i: path[k] is the tree index taken at depth k
 * (its low bit is the bool written). Returns the path length, 0 if not found. */
static inline int vp8_tree_path(const int8_t *tree, int i, int value, int *path, int depth)
{
    for (int b = 0; b < 2; b++) {
        int next = tree[i + b];
        path[depth] = i + b;
        if (next <= 0) {
            if (-next == value) return depth + 1;
        } else {
            int n = vp8_tree_path(tree, next, value, path, depth + 1);
            if (n) return n;
        }
    }
    return 0;
}

/* A value coded with a tree (§8.1): tree[] as the decoder reads it, probs per node pair. */
static inline void vp8_write_tree(vp8_bool_writer *w, const int8_t *tree, const uint8_t *probs,
                                  int value)
{
    int path[16];
    int n = vp8_tree_path(tree, 0, value, path, 0);
    for (int k = 0; k < n; k++)
        vp8_write_bool(w, probs[path[k] >> 1], path[k] & 1);
}

/* §7.3 flush: pad so that the decoder's look-ahead reads defined bytes (as libvpx's
 * vp8_stop_encode, 32 zero bits at probability 1/2). */
static inline void vp8_bw_flush(vp8_bool_writer *w)
{
    for (int i = 0; i < 32; i++)
        vp8_write_bit(w, 0);
}

#endif /* EXCAM_CODEC_BOOLWRITER_H */
