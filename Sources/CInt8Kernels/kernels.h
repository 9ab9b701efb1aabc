/*
 * Inside CInt8Kernels: the table of one instruction set's micro-kernels and TFLM's scalar requantization (for
 * channel tails), shared by the per-ISA files and the drivers in dispatch.c.
 */
#ifndef FA_KERNELS_INTERNAL_H
#define FA_KERNELS_INTERNAL_H

#include <string.h>
#include "CInt8Kernels.h"

/* Bytes of the stack row of input zero points that outside taps read (depthwise_op). */
#define FA_DEPTHWISE_MAX_PAD 4096

/* The deepest rows the VNNI kernels take (they read rows pre-flipped to unsigned bytes from a stack copy of 4 rows);
 * deeper ones run on the set's fallback. */
#define FA_FLIP_MAX 4096

typedef struct fa_isa {
    /* When non-zero: `prepare_rows` copies the first mr rows (each byte a ^ 0x80, then slack bytes that meet zero
     * weights) into a stack buffer of 4 × (FA_FLIP_MAX + 64) bytes, and the gemm kernels take those; deeper rows go
     * to `fallback`. */
    void (*prepare_rows)(const int8_t *const rows[4], int mr, int depth, int8_t *buffer, const int8_t *flipped[4]);
    const struct fa_isa *fallback;
    /* Rows 0..mr-1 (rows[mr..3] repeat row 0) of `depth` bytes against one packed block of 8 channels starting at
     * channel c0; writes `valid` (≤ 8) requantized channels to out[i] + c0 for i < mr. */
    void (*gemm_4x8)(const int8_t *const rows[4], int mr, int depth, const int8_t *block, const fa_requant_t *rq,
                     int c0, int valid, int8_t *const out[4]);
    /* Optional (0 when absent): the same over 16 channels, two blocks `block_bytes` apart; valid in 9..16. */
    void (*gemm_4x16)(const int8_t *const rows[4], int mr, int depth, const int8_t *block, int block_bytes,
                      const fa_requant_t *rq, int c0, int valid, int8_t *const out[4]);
    /* Optional: over 32 channels (four blocks), valid in 25..32. */
    void (*gemm_4x32)(const int8_t *const rows[4], int mr, int depth, const int8_t *block, int block_bytes,
                      const fa_requant_t *rq, int c0, int valid, int8_t *const out[4]);
    /* One output pixel of a depthwise convolution: Σ over taps of (input + offset) × weight, all `depth` channels. */
    void (*depthwise_pixel)(int depth, int taps, const int8_t *const *inputs, const int8_t *const *weights,
                            int32_t offset, const fa_requant_t *rq, int8_t *out);
    /* Optional: a whole depthwise convolution with multiplier 1, depth ≤ FA_DEPTHWISE_MAX_PAD. */
    void (*depthwise_op)(const fa_depthwise_t *conv, const int8_t *input, int8_t *output);
    /* ADD of `count` elements (no broadcasting). */
    void (*add)(int count, const fa_add_t *p, const int8_t *a, const int8_t *b, int8_t *out);
    /* `count` accumulators (bias already added) → int8. */
    void (*requantize)(int count, const int32_t *acc, const int32_t *multipliers, const int32_t *shifts,
                       int32_t zero_point, int32_t min, int32_t max, int8_t *out);
    /* Optional: a whole convolution (every pixel, every channel); returns 0, having written nothing, for one it does
     * not take (then the drivers in dispatch.c run it on the micro-kernels above). */
    int (*conv_op)(const fa_conv_t *conv, const int8_t *input, int8_t *output);
} fa_isa_t;

/* Bytes of the stack copy of a convolution's input (flipped to unsigned, zero-point padded) that conv_op reads. */
#define FA_CONV_IMAGE_MAX 16384
/* The most runs of taps (rows of the window, or single taps with a dilated width) conv_op takes. */
#define FA_CONV_MAX_RUNS 64

extern const fa_isa_t fa_isa_x86_sse41, fa_isa_x86_avx2, fa_isa_x86_avx512vnni, fa_isa_arm_neon, fa_isa_arm_dotprod;

/* gemmlowp's SaturatingRoundingDoublingHighMul: (a × b + 2^30) >> 31 on the 64-bit product equals its
 * round-half-away nudge followed by truncating division; INT32_MIN × INT32_MIN saturates. */
static inline int32_t fa_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t p = (int64_t)a * (int64_t)b + ((int64_t)1 << 30);
    return (int32_t)(uint32_t)((uint64_t)p >> 31);
}

/* gemmlowp's RoundingDivideByPOT (0 ≤ e ≤ 31). */
static inline int32_t fa_rdbpot(int32_t x, int e) {
    int32_t mask = (int32_t)(((uint32_t)1 << e) - 1u);
    int32_t rem = x & mask;
    int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > thr ? 1 : 0);
}

/* TFLM's MultiplyByQuantizedMultiplier (shift in [-31, 31]). */
static inline int32_t fa_mbqm(int32_t x, int32_t m, int32_t s) {
    int left = s > 0 ? s : 0, right = s > 0 ? 0 : -s;
    return fa_rdbpot(fa_srdhm((int32_t)((uint32_t)x << (left & 31)), m), right & 31);
}

/* TFLM's int8 ADD of one element. */
static inline int8_t fa_add1(const fa_add_t *p, int8_t a, int8_t b) {
    int32_t sa = (int32_t)((uint32_t)(p->input1_offset + a) << p->left_shift);
    int32_t sb = (int32_t)((uint32_t)(p->input2_offset + b) << p->left_shift);
    int32_t sum = fa_mbqm(sa, p->input1_multiplier, p->input1_shift) + fa_mbqm(sb, p->input2_multiplier, p->input2_shift);
    int32_t v = fa_mbqm(sum, p->output_multiplier, p->output_shift) + p->output_zero_point;
    v = v < p->activation_min ? p->activation_min : v;
    v = v > p->activation_max ? p->activation_max : v;
    return (int8_t)v;
}

/* TFLM's MultiplyByQuantizedMultiplier + zero point + clamp (shift in [-31, 31], like the Swift kernels). */
static inline int8_t fa_requant1(int32_t acc, int32_t m, int32_t s, int32_t zp, int32_t lo, int32_t hi) {
    int left = s > 0 ? s : 0, right = s > 0 ? 0 : -s;
    int32_t x = (int32_t)((uint32_t)acc << (left & 31));
    int32_t v = fa_rdbpot(fa_srdhm(x, m), right & 31) + zp;
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return (int8_t)v;
}

static inline int32_t fa_load4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The last (depth % 4) bytes of a row as one group, zero-filled (never reads past the row). */
static inline int32_t fa_load_tail(const int8_t *p, int n) {
    int32_t v = 0;
    memcpy(&v, p, (size_t)n);
    return v;
}

#endif
