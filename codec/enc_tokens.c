/*
 * DCT tokens on the encoder side (RFC 6386 §13): writing, counting and costing the
 * tokens of a block, and choosing the coefficient probability updates (§13.4).
 * One traversal (walk_block) serves all three, so they cannot disagree with each
 * other; it mirrors read_block() in tokens.c branch for branch.
 */
#include <string.h>

#include "enc.h"
#include "tables.h"

enum { TYPE_Y_AFTER_Y2 = 0, TYPE_Y2 = 1, TYPE_UV = 2, TYPE_Y_WITH_DC = 3 };
enum { WALK_WRITE, WALK_COUNT, WALK_COST };

/* The traversal is inlined into one copy per mode (walk_block_count, _write), so that
 * `mode` is a constant there and emit() is a single operation: the counting and
 * writing passes were 11% of a rebase's time with the mode switched on every
 * decision (foreman CIF, perf); this copy made the rebase 1.6% faster. */
#if defined(__GNUC__)
#define WALK_INLINE static inline __attribute__((always_inline))
#else
#define WALK_INLINE static inline
#endif

typedef struct walker {
    int mode;
    vp8_bool_writer *w;
    uint32_t (*counts)[3][11][2]; /* [band][ctx][node][bit] of the block's type */
    int cost;
} walker;

/* One tree decision at node `node` of the (band, ctx) context. */
WALK_INLINE void emit(walker *k, int mode, const uint8_t *p, int band, int ctx, int node, int bit)
{
    switch (mode) {
    case WALK_WRITE: vp8_write_bool(k->w, p[node], bit); break;
    case WALK_COUNT: k->counts[band][ctx][node][bit]++; break;
    default: k->cost += vp8_cost_bool(p[node], bit); break;
    }
}

/* A bool outside the adaptive contexts (sign, extra bits). */
WALK_INLINE void emit_fixed(walker *k, int mode, int prob, int bit)
{
    if (mode == WALK_WRITE)
        vp8_write_bool(k->w, prob, bit);
    else if (mode == WALK_COST)
        k->cost += vp8_cost_bool(prob, bit);
}

/* §13.2: the magnitude a >= 2 of a token (mirror of read_magnitude). */
WALK_INLINE void emit_magnitude(walker *k, int mode, const uint8_t *p, int band, int ctx, int a)
{
    int cat;
    if (a <= 4) {
        emit(k, mode, p, band, ctx, 3, 0);
        if (a == 2) {
            emit(k, mode, p, band, ctx, 4, 0);
        } else {
            emit(k, mode, p, band, ctx, 4, 1);
            emit(k, mode, p, band, ctx, 5, a - 3);
        }
        return;
    }
    emit(k, mode, p, band, ctx, 3, 1);
    cat = a >= 67 ? 5 : a >= 35 ? 4 : a >= 19 ? 3 : a >= 11 ? 2 : a >= 7 ? 1 : 0;
    if (cat < 2) {
        emit(k, mode, p, band, ctx, 6, 0);
        emit(k, mode, p, band, ctx, 7, cat);
    } else {
        int b1 = (cat - 2) >> 1, b0 = (cat - 2) & 1;
        emit(k, mode, p, band, ctx, 6, 1);
        emit(k, mode, p, band, ctx, 8, b1);
        emit(k, mode, p, band, ctx, 9 + b1, b0);
    }
    {
        const uint8_t *ep = vp8_pcat_probs[cat];
        int n = 0, extra = a - vp8_dct_cat_base[cat];
        while (ep[n])
            n++;
        for (int i = 0; i < n; i++)
            emit_fixed(k, mode, ep[i], (extra >> (n - 1 - i)) & 1);
    }
}

/* The tokens of one block: levels in zigzag order, from `first` to eob. */
WALK_INLINE void walk_block(walker *k, int mode, const uint8_t (*probs)[3][11], int ctx,
                            int first, const int16_t *levels, int eob)
{
    int i = first, band = vp8_coef_bands[i];
    const uint8_t *p = probs[band][ctx];

    if (eob <= first) {
        emit(k, mode, p, band, ctx, 0, 0); /* EOB at once */
        return;
    }
    emit(k, mode, p, band, ctx, 0, 1);
    for (;;) {
        int v = levels[i], a = v < 0 ? -v : v;
        if (!a) {
            emit(k, mode, p, band, ctx, 1, 0); /* DCT_0: no EOB check follows */
            i++;
            band = vp8_coef_bands[i];
            ctx = 0;
            p = probs[band][0];
            continue;
        }
        emit(k, mode, p, band, ctx, 1, 1);
        if (a == 1) {
            emit(k, mode, p, band, ctx, 2, 0);
            ctx = 1;
        } else {
            emit(k, mode, p, band, ctx, 2, 1);
            emit_magnitude(k, mode, p, band, ctx, a);
            ctx = 2;
        }
        emit_fixed(k, mode, 128, v < 0);
        if (++i == 16)
            return;
        band = vp8_coef_bands[i];
        p = probs[band][ctx];
        if (i == eob) {
            emit(k, mode, p, band, ctx, 0, 0);
            return;
        }
        emit(k, mode, p, band, ctx, 0, 1);
    }
}

static void walk_block_count(walker *k, const uint8_t (*probs)[3][11], int ctx, int first,
                             const int16_t *levels, int eob)
{
    walk_block(k, WALK_COUNT, probs, ctx, first, levels, eob);
}

static void walk_block_write(walker *k, const uint8_t (*probs)[3][11], int ctx, int first,
                             const int16_t *levels, int eob)
{
    walk_block(k, WALK_WRITE, probs, ctx, first, levels, eob);
}

/* WALK_COST without the walker (the rate search calls it for every block it tries):
 * the same decisions as emit_magnitude / walk_block, their costs summed directly. */
static inline int magnitude_cost(const uint8_t *p, int a) /* a >= 2, from node 3 */
{
    int cost;
    if (a <= 4) {
        cost = vp8_cost_bool(p[3], 0);
        if (a == 2) return cost + vp8_cost_bool(p[4], 0);
        return cost + vp8_cost_bool(p[4], 1) + vp8_cost_bool(p[5], a - 3);
    }
    int cat = a >= 67 ? 5 : a >= 35 ? 4 : a >= 19 ? 3 : a >= 11 ? 2 : a >= 7 ? 1 : 0;
    cost = vp8_cost_bool(p[3], 1);
    if (cat < 2) {
        cost += vp8_cost_bool(p[6], 0) + vp8_cost_bool(p[7], cat);
    } else {
        int b1 = (cat - 2) >> 1, b0 = (cat - 2) & 1;
        cost += vp8_cost_bool(p[6], 1) + vp8_cost_bool(p[8], b1) + vp8_cost_bool(p[9 + b1], b0);
    }
    const uint8_t *ep = vp8_pcat_probs[cat];
    int n = 0, extra = a - vp8_dct_cat_base[cat];
    while (ep[n])
        n++;
    for (int i = 0; i < n; i++)
        cost += vp8_cost_bool(ep[i], (extra >> (n - 1 - i)) & 1);
    return cost;
}

int vp8_level_cost(const uint8_t p[11], int a)
{
    if (!a) return vp8_cost_bool(p[1], 0);
    int cost = vp8_cost_bool(p[1], 1) + vp8_cost_bool(128, 0); /* the sign costs the same either way */
    if (a == 1) return cost + vp8_cost_bool(p[2], 0);
    return cost + vp8_cost_bool(p[2], 1) + magnitude_cost(p, a);
}

int vp8_token_cost(const vp8_entropy *en, int type, int ctx, int first, const int16_t *levels,
                   int eob)
{
    const uint8_t (*probs)[3][11] = (const uint8_t (*)[3][11])en->coef[type];
    int i = first;
    const uint8_t *p = probs[vp8_coef_bands[i]][ctx];
    if (eob <= first) return vp8_cost_bool(p[0], 0); /* EOB at once */
    int cost = vp8_cost_bool(p[0], 1);
    for (;;) {
        int v = levels[i], a = v < 0 ? -v : v;
        if (!a) {
            cost += vp8_cost_bool(p[1], 0); /* DCT_0: no EOB check follows */
            p = probs[vp8_coef_bands[++i]][0];
            continue;
        }
        cost += vp8_cost_bool(p[1], 1) + vp8_cost_bool(128, v < 0);
        if (a == 1) {
            cost += vp8_cost_bool(p[2], 0);
            ctx = 1;
        } else {
            cost += vp8_cost_bool(p[2], 1) + magnitude_cost(p, a);
            ctx = 2;
        }
        if (++i == 16) return cost;
        p = probs[vp8_coef_bands[i]][ctx];
        if (i == eob) return cost + vp8_cost_bool(p[0], 0);
        cost += vp8_cost_bool(p[0], 1);
    }
}

void vp8_token_costs_init(vp8_token_costs *t, const vp8_entropy *en)
{
    for (int type = 0; type < 4; type++)
        for (int band = 0; band < 8; band++)
            for (int ctx = 0; ctx < 3; ctx++) {
                const uint8_t *p = en->coef[type][band][ctx];
                t->eob[type][band][ctx] = vp8_cost_bool(p[0], 0);
                t->more[type][band][ctx] = vp8_cost_bool(p[0], 1);
                t->zero[type][band][ctx] = vp8_cost_bool(p[1], 0);
                t->level[type][band][ctx][0] = 0;
                for (int a = 1; a <= 4; a++) {
                    int c = vp8_cost_bool(p[1], 1) + vp8_cost_bool(128, 0);
                    c += a == 1 ? vp8_cost_bool(p[2], 0) : vp8_cost_bool(p[2], 1) + magnitude_cost(p, a);
                    t->level[type][band][ctx][a] = c;
                }
            }
}

int vp8_token_cost_t(const vp8_token_costs *t, const vp8_entropy *en, int type, int ctx,
                     int first, const int16_t *levels, int eob)
{
    const int (*eobc)[3] = t->eob[type], (*more)[3] = t->more[type], (*zero)[3] = t->zero[type];
    const int (*lev)[3][5] = t->level[type];
    int i = first, band = vp8_coef_bands[i];
    if (eob <= first) return eobc[band][ctx]; /* EOB at once */
    int cost = more[band][ctx];
    for (;;) {
        int v = levels[i], a = v < 0 ? -v : v;
        if (!a) {
            cost += zero[band][ctx]; /* DCT_0: no EOB check follows */
            band = vp8_coef_bands[++i];
            ctx = 0;
            continue;
        }
        if (a <= 4) {
            cost += lev[band][ctx][a];
        } else {
            const uint8_t *p = en->coef[type][band][ctx];
            cost += vp8_cost_bool(p[1], 1) + vp8_cost_bool(128, v < 0) + vp8_cost_bool(p[2], 1) +
                    magnitude_cost(p, a);
        }
        ctx = a == 1 ? 1 : 2;
        if (++i == 16) return cost;
        band = vp8_coef_bands[i];
        if (i == eob) return cost + eobc[band][ctx];
        cost += more[band][ctx];
    }
}

/* The blocks of a macroblock in bitstream order with their contexts (mirror of
 * vp8_read_mb_tokens). */
static void walk_mb(walker *k, vp8_encoder *e, const vp8_entropy *en, const vp8_mb_info *mb,
                    const vp8_mb_coeffs *c, uint8_t *nz_left, uint8_t *nz_above)
{
    int has_y2 = mb->ymode != VP8_B_PRED && mb->ymode != VP8_MV_SPLIT;
    int first = 0, ytype = TYPE_Y_WITH_DC;
#define PROBS(t) ((const uint8_t (*)[3][11])en->coef[t])
#define COUNTS(t) (e ? e->coef_counts[t] : NULL)
#define WALK(...) (k->mode == WALK_COUNT ? walk_block_count(k, __VA_ARGS__) : walk_block_write(k, __VA_ARGS__))

    if (has_y2) {
        k->counts = COUNTS(TYPE_Y2);
        WALK(PROBS(TYPE_Y2), nz_left[8] + nz_above[8], 0, c->levels[24], c->eobs[24]);
        nz_left[8] = nz_above[8] = c->eobs[24] > 0;
        first = 1;
        ytype = TYPE_Y_AFTER_Y2;
    }
    k->counts = COUNTS(ytype);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) {
            int b = y * 4 + x, eob = c->eobs[b] > first ? c->eobs[b] : first;
            WALK(PROBS(ytype), nz_left[y] + nz_above[x], first, c->levels[b], eob);
            nz_left[y] = nz_above[x] = eob > first;
        }
    k->counts = COUNTS(TYPE_UV);
    for (int plane = 0; plane < 2; plane++)
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++) {
                int b = 16 + plane * 4 + y * 2 + x;
                uint8_t *l = &nz_left[4 + plane * 2 + y], *a = &nz_above[4 + plane * 2 + x];
                WALK(PROBS(TYPE_UV), *l + *a, 0, c->levels[b], c->eobs[b]);
                *l = *a = c->eobs[b] > 0;
            }
#undef PROBS
#undef COUNTS
#undef WALK
}

/* §13.1: a skipped macroblock resets the contexts (Y2's only if it has a Y2 block). */
static void skip_contexts(const vp8_mb_info *mb, uint8_t *nz_left, uint8_t *nz_above)
{
    int keep_y2 = mb->ymode == VP8_B_PRED || mb->ymode == VP8_MV_SPLIT;
    memset(nz_left, 0, keep_y2 ? 8 : 9);
    memset(nz_above, 0, keep_y2 ? 8 : 9);
}

void vp8_tokens_count_mb(vp8_encoder *e, const vp8_mb_info *mb, const vp8_mb_coeffs *c,
                         uint8_t *nz_left, uint8_t *nz_above)
{
    if (mb->skip) {
        skip_contexts(mb, nz_left, nz_above);
        return;
    }
    walker k = {WALK_COUNT, NULL, NULL, 0};
    walk_mb(&k, e, &e->d.s->ctx, mb, c, nz_left, nz_above);
}

void vp8_tokens_write_mb(vp8_bool_writer *w, const vp8_entropy *en, const vp8_mb_info *mb,
                         const vp8_mb_coeffs *c, uint8_t *nz_left, uint8_t *nz_above)
{
    if (mb->skip) {
        skip_contexts(mb, nz_left, nz_above);
        return;
    }
    walker k = {WALK_WRITE, w, NULL, 0};
    walk_mb(&k, NULL, en, mb, c, nz_left, nz_above);
}

/* The probability of a zero that best fits counts n0, n1 (libvpx get_binary_prob). */
static int best_prob(uint32_t n0, uint32_t n1)
{
    uint64_t n = (uint64_t)n0 + n1;
    if (!n) return 128;
    int p = (int)(((uint64_t)n0 * 256 + n / 2) / n);
    return p < 1 ? 1 : p > 255 ? 255 : p;
}

static int64_t branch_cost(uint32_t n0, uint32_t n1, int p)
{
    return (int64_t)n0 * vp8_cost_bool(p, 0) + (int64_t)n1 * vp8_cost_bool(p, 1);
}

/* §13.4: an update is sent when the bits it saves exceed what it costs (the flag
 * and the 8-bit value). Without a writer, only the choice is made and applied. */
void vp8_coef_updates(vp8_encoder *e, vp8_bool_writer *w, vp8_entropy *en)
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 11; l++) {
                    const uint32_t *n = e->coef_counts[i][j][k][l];
                    int old = en->coef[i][j][k][l], upd = vp8_coef_update_probs[i][j][k][l];
                    int np = best_prob(n[0], n[1]);
                    int64_t saving = branch_cost(n[0], n[1], old) - branch_cost(n[0], n[1], np) -
                                     (vp8_cost_bool(upd, 1) - vp8_cost_bool(upd, 0)) - 8 * 256;
                    int update = np != old && saving > 0;
                    if (w) {
                        vp8_write_bool(w, upd, update);
                        if (update) vp8_write_literal(w, (uint32_t)np, 8);
                    }
                    if (update) en->coef[i][j][k][l] = (uint8_t)np;
                }
}
