/*
 * excam — explicit-state VP8 codec (RFC 6386).
 *
 * The whole decoder state (probabilities, segmentation, loop-filter deltas and the
 * last/golden/altref reference frames) is a value: decode() takes a const state and
 * returns a new one; it never modifies its input. Copies are cheap because reference
 * frames are shared, reference-counted buffers. A state can be serialized to a
 * versioned, checksummed byte string, shipped to another process and read back.
 *
 * All functions return EXCAM_OK (0) or a negative excam_err; none of them exit.
 * Thread safety: distinct states may be used from distinct threads freely; a state may
 * be read (decoded from, copied, serialized) from several threads at once.
 */
#ifndef EXCAM_VP8_H
#define EXCAM_VP8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define EXCAM_API __attribute__((visibility("default")))
#else
#define EXCAM_API
#endif

#define EXCAM_VERSION_MAJOR 0
#define EXCAM_VERSION_MINOR 1
#define EXCAM_VERSION_PATCH 0

/* Error codes: every function returns one of these (0 = success). */
typedef enum excam_err {
    EXCAM_OK = 0,
    EXCAM_ERR_INVALID_ARG = -1,  /* a NULL pointer or an impossible argument */
    EXCAM_ERR_NOMEM = -2,        /* allocation failed */
    EXCAM_ERR_CORRUPT = -3,      /* the frame is not a valid VP8 frame (or is truncated) */
    EXCAM_ERR_UNSUPPORTED = -4,  /* valid but outside what excam supports */
    EXCAM_ERR_NO_KEYFRAME = -5,  /* an inter frame was given to a state with no key frame yet */
    EXCAM_ERR_BAD_STATE = -6,    /* serialized state: bad magic, version, size or checksum */
    EXCAM_ERR_IO = -7,           /* file I/O (used by the tools and container readers) */
    EXCAM_ERR_INTERNAL = -8,     /* a self-check failed: a bug in excam (please report it) */
} excam_err;

/* A static, human-readable message for an excam_err. Never NULL. */
EXCAM_API const char *excam_strerror(int err);

/* "0.1.0" */
EXCAM_API const char *excam_version_string(void);

/* The instruction set the codec's kernels use in this process: "c", "sse2", "ssse3",
 * "sse4.1" or "avx2": the best this CPU has, capped by the EXCAM_CPU environment
 * variable (one of those names) when it is set. */
EXCAM_API const char *excam_cpu_level(void);
/* The position of `name` in that list (0 for "c"), or -1 if it is none of them. */
EXCAM_API int excam_cpu_parse(const char *name);

/*
 * An 8-bit 4:2:0 picture. Chroma planes are ((width+1)/2) x ((height+1)/2).
 * Images returned by the decoder share memory with a reference frame of the state:
 * treat their planes as read-only. Images from excam_image_alloc() are writable.
 * Either kind is released with excam_image_free(); the pixels stay valid until then,
 * whatever happens to the state they came from.
 */
typedef struct excam_image {
    int width, height;
    int stride[3];       /* bytes between rows, per plane (Y, U, V) */
    uint8_t *plane[3];   /* top-left visible pixel of Y, U, V */
    void *priv;          /* library-owned; do not touch */
} excam_image;

/* A writable I420 image of width x height (1..16383 each), contents undefined; NULL
 * on a bad size or allocation failure. */
EXCAM_API excam_image *excam_image_alloc(int width, int height);
/* Release an image (from excam_image_alloc, decoding or excam_vp8_state_shown); NULL is
 * fine. */
EXCAM_API void excam_image_free(excam_image *img);

/* Free a buffer returned by the library (e.g. by excam_vp8_state_serialize). */
EXCAM_API void excam_free(void *p);

/* ---------------------------------------------------------------- state */

typedef struct excam_vp8_state excam_vp8_state;

/* The state before the first frame: the next frame decoded must be a key frame. */
EXCAM_API excam_vp8_state *excam_vp8_state_new(void);
/* A cheap copy (reference frames are shared, not copied). NULL on allocation failure. */
EXCAM_API excam_vp8_state *excam_vp8_state_copy(const excam_vp8_state *s);
/* Release a state; NULL is fine. Images taken from it stay valid. */
EXCAM_API void excam_vp8_state_free(excam_vp8_state *s);

/* Display size of the stream (0x0 before the first key frame). */
EXCAM_API void excam_vp8_state_size(const excam_vp8_state *s, int *width, int *height);

/*
 * Serialize to a versioned, checksummed byte string (allocated; free with excam_free).
 * Equal states serialize to identical bytes.
 */
EXCAM_API int excam_vp8_state_serialize(const excam_vp8_state *s, uint8_t **buf, size_t *len);
/* Parse bytes written by excam_vp8_state_serialize. Hostile input is rejected cleanly. */
EXCAM_API int excam_vp8_state_deserialize(const uint8_t *buf, size_t len, excam_vp8_state **out);
/* As excam_vp8_state_deserialize; flags EXCAM_STATE_CHECKED: the caller has already
 * verified these exact bytes (e.g. fetched them by a content hash of the whole buffer),
 * so the embedded checksum is not recomputed (a BLAKE2b pass over the pictures: about a
 * millisecond per megabyte). Everything else is still checked: hostile bytes are
 * rejected cleanly or give a valid state, never a crash. */
#define EXCAM_STATE_CHECKED 1u
EXCAM_API int excam_vp8_state_deserialize_flags(const uint8_t *buf, size_t len, unsigned flags,
                                                excam_vp8_state **out);
/* BLAKE2b-256 of the serialized form: equal states have equal hashes. */
EXCAM_API int excam_vp8_state_hash(const excam_vp8_state *s, uint8_t digest[32]);
/* 1 if the two states are equal (same serialized bytes), 0 if not. */
EXCAM_API int excam_vp8_state_equal(const excam_vp8_state *a, const excam_vp8_state *b);

/* The picture last shown by the stream (what a player displays now), or NULL before
 * the first shown frame. Free with excam_image_free. */
EXCAM_API excam_image *excam_vp8_state_shown(const excam_vp8_state *s);

/* ---------------------------------------------------------------- decoding */

/* What the frame header says (RFC 6386 §9, §19.2); filled by excam_vp8_peek / decode. */
typedef struct excam_vp8_frame_info {
    int key_frame;        /* 1 for a key frame */
    int version;          /* 0..3 */
    int show_frame;
    int width, height;    /* key frames only (0 otherwise) */
    int horiz_scale, vert_scale;
    int color_space, clamping_type;  /* key frames only */
    int filter_type;      /* 0 normal, 1 simple */
    int filter_level, sharpness;
    int base_q;           /* y_ac_qi, 0..127 */
    int token_partitions; /* 1, 2, 4 or 8 */
    int segmentation_enabled;
    int refresh_golden, refresh_altref, refresh_last;
    int copy_to_golden, copy_to_altref; /* 0 none, 1 last, 2 the other of golden/altref */
    int sign_bias_golden, sign_bias_altref;
    int refresh_entropy_probs;
    size_t first_partition_size;
    size_t size;          /* bytes of the whole frame */
} excam_vp8_frame_info;

/*
 * Parse the header of one compressed frame without decoding it. Needs no state.
 * A zero-length frame (a dropped frame) gives EXCAM_ERR_CORRUPT here.
 */
EXCAM_API int excam_vp8_peek(const uint8_t *data, size_t len, excam_vp8_frame_info *info);

/*
 * Decode one compressed frame against the state `in` (never modified).
 * On success *out is a new state (free with excam_vp8_state_free) and, if `shown` is
 * not NULL, *shown is the image to display (NULL when the frame is hidden).
 * `info` may be NULL. A zero-length frame is a dropped frame: the state is unchanged
 * and the previous frame is shown again (as vpxdec does).
 * On error, *out and *shown are set to NULL and nothing is allocated.
 */
EXCAM_API int excam_vp8_decode(const excam_vp8_state *in, const uint8_t *data, size_t len,
                               excam_vp8_state **out, excam_image **shown,
                               excam_vp8_frame_info *info);

/*
 * excam_vp8_decode on up to `threads` threads (0 or 1: the calling thread only), each
 * taking macroblock rows in a wavefront; the output is the same bytes for any number.
 * Rows share their token partition's bool decoder (RFC 6386 §9.5), so a frame with P
 * token partitions uses at most P threads: a one-partition frame decodes on one. The
 * threads are started and joined within the call.
 */
EXCAM_API int excam_vp8_decode_mt(const excam_vp8_state *in, const uint8_t *data, size_t len,
                                  int threads, excam_vp8_state **out, excam_image **shown,
                                  excam_vp8_frame_info *info);

/*
 * Advance a state past a frame without decoding its pictures: *out has what parsing
 * the next frames needs (probabilities, segmentation and its map, loop-filter deltas,
 * sizes), exactly as excam_vp8_decode would leave it, and no pictures. Much cheaper
 * than a decode: the residue is not read, nothing is reconstructed or filtered. Such
 * a state serves only as excam_vp8_rebase's old_base (whose pictures rebase never
 * uses) and as the input of further excam_vp8_advance_modes calls; decode, encode,
 * serialize and hash refuse it with EXCAM_ERR_INVALID_ARG.
 */
EXCAM_API int excam_vp8_advance_modes(const excam_vp8_state *in, const uint8_t *data,
                                      size_t len, excam_vp8_state **out);

/* ---------------------------------------------------------------- encoding */

enum { EXCAM_FRAME_AUTO = 0, EXCAM_FRAME_KEY = 1, EXCAM_FRAME_INTER = 2 };

/* What to encode one frame with. Start from excam_vp8_enc_params_default(). */
typedef struct excam_vp8_enc_params {
    int frame_type;       /* EXCAM_FRAME_AUTO: key frame if the state has none, else inter */
    int q_index;          /* quantizer index 0..127 (0 = finest) */
    int speed;            /* 0 (slowest, best) .. 9 (fastest) */
    int token_partitions; /* log2 of the partition count: 0..3 */
    int filter_level;     /* loop filter 0..63, or -1 to let the encoder choose */
    int sharpness;        /* 0..7 */
    /* Reference updates: -1 = default (key frames refresh all; inter frames refresh
     * last only), 0 = keep, 1 = refresh with this frame. */
    int refresh_last, refresh_golden, refresh_altref;
    int show_frame;       /* 0 makes a hidden frame (e.g. an alt-ref) */
    int error_resilient;  /* 1: probabilities are not carried to the next frame */
    int self_check;       /* 1: also check that the encoder's own reconstruction (the
                           * pixels its decisions were made on, loop-filtered) equals the
                           * decoder's picture: EXCAM_ERR_INTERNAL if not. Slower. */
    int refs;             /* the references inter frames may predict from: EXCAM_REF_*
                           * bits (last is always one), or 0 for the encoder's choice */
    /* Inter frames: before the refreshes, copy into golden (if refresh_golden is not 1)
     * or altref (if refresh_altref is not 1) another reference of the state `in`:
     * 0 none, 1 last, 2 the other of golden/altref (RFC 6386 §9.7; the altref copy is
     * made first, so copy_to_golden = 2 copies the altref it made). E.g. a new golden
     * frame with copy_to_altref = 2 keeps the old golden as altref. */
    int copy_to_golden, copy_to_altref;
} excam_vp8_enc_params;

enum { EXCAM_REF_LAST = 1, EXCAM_REF_GOLDEN = 2, EXCAM_REF_ALTREF = 4 };

/* Fill p with the defaults: frame type auto, q_index 40, speed 4, one token partition,
 * the encoder's loop filter, default reference updates, a shown frame, nothing else. */
EXCAM_API void excam_vp8_enc_params_default(excam_vp8_enc_params *p);

/*
 * Encode `src` as one compressed frame against the state `in` (never modified; it may
 * come from any stream or process). *frame gets the bytes (free with excam_free) and,
 * if `out` is not NULL, *out the new state: exactly what excam_vp8_decode(in, frame)
 * gives. Inter frames need a state with a key frame and a picture of its size.
 */
EXCAM_API int excam_vp8_encode(const excam_vp8_state *in, const excam_image *src,
                               const excam_vp8_enc_params *p, uint8_t **frame, size_t *len,
                               excam_vp8_state **out);

/*
 * The source picture of an alt-ref frame (libvpx's ARNR): frames[center], denoised by
 * a motion-compensated average with the other n - 1 frames (n <= 25), each pixel
 * weighted by its likeness to the center's (strength 0..6: higher averages more).
 * All images have out's size; out may not be one of frames. Encode the result as a
 * hidden frame (show_frame 0) refreshing altref, for the frames around `center` to
 * predict from. EXCAM_ERR_INVALID_ARG on bad arguments, EXCAM_ERR_NOMEM.
 */
EXCAM_API int excam_vp8_temporal_filter(const excam_image *const *frames, int n, int center,
                                        int strength, excam_image *out);

/*
 * Rebase (ExCamera, NSDI '17 §4): `frame` was encoded against `old_base`; make it valid
 * against `new_base` instead. The frame's decisions are kept (macroblock modes, split
 * partitions, reference choices, quantizer, reference updates), and so are motion
 * vectors, except that an inter macroblock's vector is refined to half and quarter pel
 * on the new base and then competes with the ZERO, NEAREST and NEAR vectors of its
 * reference there, and a split macroblock (kept as it was) competes with those whole-MB
 * candidates, by rate and distortion, and an intra macroblock's modes (16x16 luma and
 * chroma, or B_PRED's subblock modes and chroma) are chosen again from its new
 * neighbours (no search beyond that; rebased onto the base it was made on, a frame may
 * still change where the refinement finds a better vector);
 * the prediction is recomputed from new_base's references and the residual of the
 * source picture `src` (the frame's original, not its decoded output) is quantized
 * again, with skip flags and probability updates derived anew. *rebased gets the new
 * frame (free with excam_free) and, if `out` is not NULL, *out the state a decoder
 * reaches by decoding it on new_base. From p: speed (as in encoding), self_check, and
 * filter_level (-1: keep the frame's loop-filter level; 0..63: use that one). A key frame
 * is returned unchanged. Segmentation (RFC 6386 §9.3: the segment of every macroblock,
 * the per-segment quantizers and filter levels in force for the frame) and quantizer
 * deltas are kept; the rebased frame sends its segment values and map whole, whatever
 * new_base holds. A frame's loop-filter deltas (libvpx uses them) are not carried: the
 * rebased frame is filtered at its base (or segment) level throughout. old_base may come
 * from excam_vp8_advance_modes (only its probabilities and segmentation are read). Frames
 * of a bitstream version other than 0 give EXCAM_ERR_UNSUPPORTED for now.
 */
EXCAM_API int excam_vp8_rebase(const excam_vp8_state *old_base, const excam_vp8_state *new_base,
                               const excam_image *src, const uint8_t *frame, size_t len,
                               const excam_vp8_enc_params *p, uint8_t **rebased,
                               size_t *rebased_len, excam_vp8_state **out);

/*
 * excam_vp8_rebase, and if old_next is not NULL, *old_next gets what
 * excam_vp8_advance_modes(old_base, frame) would give (a state without pictures: the
 * old base of the frame after this one), from the same parse of the frame. For
 * rebasing a run of frames: each frame's modes are read once, not twice (about 4% of
 * a rebase). On error nothing is left in *rebased, *out or *old_next.
 */
EXCAM_API int excam_vp8_rebase_chain(const excam_vp8_state *old_base,
                                     const excam_vp8_state *new_base, const excam_image *src,
                                     const uint8_t *frame, size_t len,
                                     const excam_vp8_enc_params *p, uint8_t **rebased,
                                     size_t *rebased_len, excam_vp8_state **out,
                                     excam_vp8_state **old_next);

#ifdef __cplusplus
}
#endif
#endif /* EXCAM_VP8_H */
