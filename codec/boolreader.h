/*
 * Boolean entropy decoder (RFC 6386 §7).
 *
 * Same arithmetic as §7.3, with a machine-word window of look-ahead bits so that
 * refills are rare. Past the end of the data the decoder reads zero bits, exactly
 * like libvpx; `overrun` records that it went well beyond the data, which marks
 * the partition as corrupt (libvpx's vp8dx_bool_error).
 */
#ifndef EXCAM_CODEC_BOOLREADER_H
#define EXCAM_CODEC_BOOLREADER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef size_t vp8_bd_value;
#define VP8_BD_VALUE_BITS ((int)(sizeof(vp8_bd_value) * CHAR_BIT))
/* Added to `count` once the data is exhausted, so refills stop being attempted. */
#define VP8_LOTS_OF_BITS 0x40000000

typedef struct vp8_bool_decoder {
    const uint8_t *buf, *end;
    vp8_bd_value value;   /* window: the next bits, MSB first */
    int count;            /* valid bits in the window beyond the first 8 */
    unsigned range;       /* in [128, 255] between calls */
} vp8_bool_decoder;

/* Leading-zero count to renormalize range. Hidden: the codec is built -fPIC, and a
 * default-visibility table would be reached through the GOT, one more load on every
 * bool's critical path. */
#if defined(__GNUC__)
extern const uint8_t vp8_norm[256] __attribute__((visibility("hidden")));
#else
extern const uint8_t vp8_norm[256];
#endif

/* The byte-at-a-time refill: near the end of the data, where it also applies the
 * "zeros past the end" rule. */
static inline void vp8_bool_fill_bytes(vp8_bool_decoder *d)
{
    int shift = VP8_BD_VALUE_BITS - CHAR_BIT - (d->count + CHAR_BIT);
    size_t left = (size_t)(d->end - d->buf);
    int bits_left = left > (size_t)INT_MAX / CHAR_BIT ? INT_MAX : (int)left * CHAR_BIT;
    int x = shift + CHAR_BIT - bits_left;
    int loop_end = 0;

    if (x >= 0) {
        d->count += VP8_LOTS_OF_BITS;
        loop_end = x;
    }
    if (x < 0 || bits_left) {
        while (shift >= loop_end) {
            d->count += CHAR_BIT;
            d->value |= (vp8_bd_value)*d->buf++ << shift;
            shift -= CHAR_BIT;
        }
    }
}

/* vp8_bool_fill_bytes out of line (tables.c). */
void vp8_bool_fill_slow(vp8_bool_decoder *d);

/* Refill the window with as many whole bytes as fit. With 8 bytes or more left (the
 * common case) one big-endian 64-bit load replaces the byte loop: the window takes
 * k = shift / 8 + 1 bytes, the top k of the load (libwebp's VP8LoadNewBytes idea). */
static inline void vp8_bool_fill(vp8_bool_decoder *d)
{
#if SIZE_MAX == UINT64_MAX && (defined(__GNUC__) || defined(__clang__))
    if (d->end - d->buf >= 8) {
        int shift = VP8_BD_VALUE_BITS - CHAR_BIT - (d->count + CHAR_BIT); /* 49..56 */
        int k = (shift >> 3) + 1;                                        /* 7 or 8 */
        uint64_t w;
        memcpy(&w, d->buf, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        d->value |= (vp8_bd_value)(w >> (64 - 8 * k)) << (shift - 8 * (k - 1));
        d->buf += k;
        d->count += 8 * k;
        return;
    }
#endif
    {
        /* Out of line, on a copy: the caller's decoder (often a local copy of a
         * partition's, see tokens.c) never has its address taken, so the compiler
         * can keep its fields in registers. */
        vp8_bool_decoder tmp = *d;
        vp8_bool_fill_slow(&tmp);
        *d = tmp;
    }
}

static inline void vp8_bool_init(vp8_bool_decoder *d, const uint8_t *buf, size_t len)
{
    d->buf = buf;
    d->end = buf + len;
    d->value = 0;
    d->count = -8;
    d->range = 255;
    vp8_bool_fill(d);
}

/* Read one bool whose probability of being 0 is prob/256 (prob in [0, 255]). */
static inline int vp8_read_bool(vp8_bool_decoder *d, int prob)
{
    unsigned split = 1 + (((d->range - 1) * (unsigned)prob) >> 8);
    vp8_bd_value bigsplit;
    int bit = 0, shift;

    if (d->count < 0)
        vp8_bool_fill(d);
    bigsplit = (vp8_bd_value)split << (VP8_BD_VALUE_BITS - 8);
    if (d->value >= bigsplit) {
        d->range -= split;
        d->value -= bigsplit;
        bit = 1;
    } else {
        d->range = split;
    }
    shift = vp8_norm[d->range];
    d->range <<= shift;
    d->value <<= shift;
    d->count -= shift;
    return bit;
}

static inline int vp8_read_bit(vp8_bool_decoder *d) { return vp8_read_bool(d, 128); }

/* v or -v by one bool of probability 128 (a coefficient's sign, §13.2), libvpx's
 * GetSigned: after any bool, range is at most 254 (split and range - split both
 * are), so split = (range + 1) / 2 equals 1 + ((range - 1) * 128 >> 8) and either
 * half is below 128: the normalization shift is exactly 1. Not for the first bool
 * of a partition (range 255). */
static inline int vp8_read_signed_value(vp8_bool_decoder *d, int v)
{
    unsigned split = (d->range + 1) >> 1;
    vp8_bd_value bigsplit;

    if (d->count < 0)
        vp8_bool_fill(d);
    bigsplit = (vp8_bd_value)split << (VP8_BD_VALUE_BITS - 8);
    if (d->value >= bigsplit) {
        d->range = (d->range - split) << 1;
        d->value = (d->value - bigsplit) << 1;
        v = -v;
    } else {
        d->range = split << 1;
        d->value <<= 1;
    }
    d->count--;
    return v;
}

/* An n-bit unsigned literal, most significant bit first (§7.3 read_literal). */
static inline int vp8_read_literal(vp8_bool_decoder *d, int bits)
{
    int v = 0;
    while (bits-- > 0)
        v = (v << 1) | vp8_read_bit(d);
    return v;
}

/* A magnitude of `bits` bits followed by a sign bit (§9.3, §9.6 and friends). */
static inline int vp8_read_signed(vp8_bool_decoder *d, int bits)
{
    int v = vp8_read_literal(d, bits);
    return vp8_read_bit(d) ? -v : v;
}

/* An optional field: a flag, then the signed value if the flag is set (else 0). */
static inline int vp8_read_optional_signed(vp8_bool_decoder *d, int bits)
{
    return vp8_read_bit(d) ? vp8_read_signed(d, bits) : 0;
}

/* Tree decoding (§8.1): leaves are stored as -value, interior nodes as indices. */
static inline int vp8_read_tree(vp8_bool_decoder *d, const int8_t *tree, const uint8_t *probs)
{
    int i = 0;
    while ((i = tree[i + vp8_read_bool(d, probs[i >> 1])]) > 0)
        ;
    return -i;
}

/* True once the decoder has consumed clearly more than the data it was given. */
static inline int vp8_bool_overrun(const vp8_bool_decoder *d)
{
    return d->count > VP8_BD_VALUE_BITS && d->count < VP8_LOTS_OF_BITS;
}

#endif /* EXCAM_CODEC_BOOLREADER_H */
