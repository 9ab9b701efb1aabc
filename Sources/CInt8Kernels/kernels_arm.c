/*
 * AArch64 micro-kernels: NEON (every 64-bit Pi: smull + sadalp, exact in int16/int32) and the dot-product
 * extension (Pi 5's Cortex-A76: sdot). The sdot functions carry their own target attribute, so the file builds for
 * any armv8-a and only runs what the CPU reports (getauxval(AT_HWCAP), see dispatch.c).
 */
#if defined(__aarch64__)
#include <arm_neon.h>
#include "kernels.h"

#define DOTPROD __attribute__((target("dotprod")))

/* TFLM's requantization of 4 int32 lanes: vqrdmulh is SaturatingRoundingDoublingHighMul, and gemmlowp's
 * RoundingDivideByPOT is a rounding shift after a −1 fix-up of negative values. */
static inline int32x4_t mbqm4(int32x4_t acc, int32x4_t m, int32x4_t s) {
    int32x4_t left = vmaxq_s32(s, vdupq_n_s32(0)), right = vminq_s32(s, vdupq_n_s32(0)); /* right ≤ 0 */
    int32x4_t x = vqrdmulhq_s32(vshlq_s32(acc, left), m);
    int32x4_t fixup = vshrq_n_s32(vandq_s32(x, right), 31);
    return vrshlq_s32(vqaddq_s32(x, fixup), right);
}

static inline int32x4_t requant4(int32x4_t acc, const int32_t *mp, const int32_t *sp, int32x4_t zp, int32x4_t lo,
                                 int32x4_t hi) {
    int32x4_t q = vaddq_s32(mbqm4(acc, vld1q_s32(mp), vld1q_s32(sp)), zp);
    return vminq_s32(vmaxq_s32(q, lo), hi);
}

/* Two int32x4 (already clamped to int8) → 8 bytes at out. */
static inline void store8(int32x4_t a, int32x4_t b, int8_t *out, int valid) {
    int8x8_t v = vmovn_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b)));
    if (valid == 8) {
        vst1_s8(out, v);
    } else {
        int8_t tmp[8];
        vst1_s8(tmp, v);
        memcpy(out, tmp, (size_t)valid);
    }
}

static void requantize_neon(int count, const int32_t *acc, const int32_t *m, const int32_t *s, int32_t zp, int32_t lo,
                            int32_t hi, int8_t *out) {
    const int32x4_t vzp = vdupq_n_s32(zp), vlo = vdupq_n_s32(lo), vhi = vdupq_n_s32(hi);
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        int32x4_t a = requant4(vld1q_s32(acc + i), m + i, s + i, vzp, vlo, vhi);
        int32x4_t b = requant4(vld1q_s32(acc + i + 4), m + i + 4, s + i + 4, vzp, vlo, vhi);
        store8(a, b, out + i, 8);
    }
    for (; i < count; i++) out[i] = fa_requant1(acc[i], m[i], s[i], zp, lo, hi);
}

static inline void finish_rows(int32x4_t acc[4][2], int mr, const fa_requant_t *rq, int c0, int valid,
                               int8_t *const out[4]) {
    const int32x4_t vzp = vdupq_n_s32(rq->output_zero_point), vlo = vdupq_n_s32(rq->activation_min),
                    vhi = vdupq_n_s32(rq->activation_max);
    int32x4_t b0 = vld1q_s32(rq->bias + c0), b1 = vld1q_s32(rq->bias + c0 + 4);
    for (int i = 0; i < mr; i++) {
        int32x4_t a = requant4(vaddq_s32(acc[i][0], b0), rq->multipliers + c0, rq->shifts + c0, vzp, vlo, vhi);
        int32x4_t b = requant4(vaddq_s32(acc[i][1], b1), rq->multipliers + c0 + 4, rq->shifts + c0 + 4, vzp, vlo, vhi);
        store8(a, b, out[i] + c0, valid);
    }
}

static inline int32_t group(const int8_t *row, int g, int groups, int tail) {
    return g < groups ? fa_load4(row + 4 * g) : fa_load_tail(row + 4 * g, tail);
}

static void gemm_4x8_neon(const int8_t *const rows[4], int mr, int depth, const int8_t *block, const fa_requant_t *rq,
                          int c0, int valid, int8_t *const out[4]) {
    /* acc[i][j]: row i, channels 2j and 2j+1 as pairs (k0+k1, k2+k3). */
    int32x4_t acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = vdupq_n_s32(0);
    int groups = depth / 4, tail = depth % 4, end = groups + (tail ? 1 : 0);
    int g = 0;
    /* Four groups at once: 16 bytes of each row, each group's 4 bytes spread from a lane. */
    for (; g + 4 <= groups; g += 4) {
        int32x4_t a[4];
        for (int i = 0; i < 4; i++) a[i] = vreinterpretq_s32_s8(vld1q_s8(rows[i] + 4 * g));
#define FA_NEON_STEP(j)                                                                                             \
    do {                                                                                                          \
        int8x16_t w0 = vld1q_s8(block + 32 * (g + j)), w1 = vld1q_s8(block + 32 * (g + j) + 16);                  \
        int8x8_t w00 = vget_low_s8(w0), w01 = vget_high_s8(w0), w10 = vget_low_s8(w1), w11 = vget_high_s8(w1);     \
        for (int i = 0; i < 4; i++) {                                                                             \
            int8x8_t x = vreinterpret_s8_s32(vdup_laneq_s32(a[i], j));                                            \
            acc[i][0] = vpadalq_s16(acc[i][0], vmull_s8(w00, x));                                                 \
            acc[i][1] = vpadalq_s16(acc[i][1], vmull_s8(w01, x));                                                 \
            acc[i][2] = vpadalq_s16(acc[i][2], vmull_s8(w10, x));                                                 \
            acc[i][3] = vpadalq_s16(acc[i][3], vmull_s8(w11, x));                                                 \
        }                                                                                                         \
    } while (0)
        FA_NEON_STEP(0);
        FA_NEON_STEP(1);
        FA_NEON_STEP(2);
        FA_NEON_STEP(3);
#undef FA_NEON_STEP
    }
    for (; g < end; g++) {
        int8x16_t w0 = vld1q_s8(block + 32 * g), w1 = vld1q_s8(block + 32 * g + 16);
        int8x8_t w00 = vget_low_s8(w0), w01 = vget_high_s8(w0), w10 = vget_low_s8(w1), w11 = vget_high_s8(w1);
        for (int i = 0; i < 4; i++) {
            int8x8_t a = vreinterpret_s8_s32(vdup_n_s32(group(rows[i], g, groups, tail)));
            acc[i][0] = vpadalq_s16(acc[i][0], vmull_s8(w00, a));
            acc[i][1] = vpadalq_s16(acc[i][1], vmull_s8(w01, a));
            acc[i][2] = vpadalq_s16(acc[i][2], vmull_s8(w10, a));
            acc[i][3] = vpadalq_s16(acc[i][3], vmull_s8(w11, a));
        }
    }
    int32x4_t sums[4][2];
    for (int i = 0; i < 4; i++) {
        sums[i][0] = vpaddq_s32(acc[i][0], acc[i][1]);
        sums[i][1] = vpaddq_s32(acc[i][2], acc[i][3]);
    }
    finish_rows(sums, mr, rq, c0, valid, out);
}

DOTPROD static void gemm_4x8_dotprod(const int8_t *const rows[4], int mr, int depth, const int8_t *block,
                                     const fa_requant_t *rq, int c0, int valid, int8_t *const out[4]) {
    int32x4_t acc[4][2];
    for (int i = 0; i < 4; i++) acc[i][0] = acc[i][1] = vdupq_n_s32(0);
    int groups = depth / 4, tail = depth % 4, end = groups + (tail ? 1 : 0);
    int g = 0;
    /* Four groups at once: 16 bytes of each row, sdot by lane. */
    for (; g + 4 <= groups; g += 4) {
        int8x16_t a[4];
        for (int i = 0; i < 4; i++) a[i] = vld1q_s8(rows[i] + 4 * g);
#define FA_DOT_STEP(j)                                                                                              \
    do {                                                                                                          \
        int8x16_t w0 = vld1q_s8(block + 32 * (g + j)), w1 = vld1q_s8(block + 32 * (g + j) + 16);                  \
        for (int i = 0; i < 4; i++) {                                                                             \
            acc[i][0] = vdotq_laneq_s32(acc[i][0], w0, a[i], j);                                                  \
            acc[i][1] = vdotq_laneq_s32(acc[i][1], w1, a[i], j);                                                  \
        }                                                                                                         \
    } while (0)
        FA_DOT_STEP(0);
        FA_DOT_STEP(1);
        FA_DOT_STEP(2);
        FA_DOT_STEP(3);
#undef FA_DOT_STEP
    }
    for (; g < end; g++) {
        int8x16_t w0 = vld1q_s8(block + 32 * g), w1 = vld1q_s8(block + 32 * g + 16);
        for (int i = 0; i < 4; i++) {
            int8x16_t a = vreinterpretq_s8_s32(vdupq_n_s32(group(rows[i], g, groups, tail)));
            acc[i][0] = vdotq_s32(acc[i][0], w0, a);
            acc[i][1] = vdotq_s32(acc[i][1], w1, a);
        }
    }
    finish_rows(acc, mr, rq, c0, valid, out);
}

/* 4 rows × 16 channels (two packed blocks `block_bytes` apart): each broadcast group feeds four sdot. valid 9..16. */
DOTPROD static void gemm_4x16_dotprod(const int8_t *const rows[4], int mr, int depth, const int8_t *block,
                                      int block_bytes, const fa_requant_t *rq, int c0, int valid, int8_t *const out[4]) {
    int32x4_t acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = vdupq_n_s32(0);
    const int8_t *next = block + block_bytes;
    int groups = depth / 4, tail = depth % 4, end = groups + (tail ? 1 : 0);
    int g = 0;
    for (; g + 4 <= groups; g += 4) {
        int8x16_t a[4];
        for (int i = 0; i < 4; i++) a[i] = vld1q_s8(rows[i] + 4 * g);
#define FA_DOT_STEP(j)                                                                                              \
    do {                                                                                                          \
        int8x16_t w0 = vld1q_s8(block + 32 * (g + j)), w1 = vld1q_s8(block + 32 * (g + j) + 16);                  \
        int8x16_t w2 = vld1q_s8(next + 32 * (g + j)), w3 = vld1q_s8(next + 32 * (g + j) + 16);                    \
        for (int i = 0; i < 4; i++) {                                                                             \
            acc[i][0] = vdotq_laneq_s32(acc[i][0], w0, a[i], j);                                                  \
            acc[i][1] = vdotq_laneq_s32(acc[i][1], w1, a[i], j);                                                  \
            acc[i][2] = vdotq_laneq_s32(acc[i][2], w2, a[i], j);                                                  \
            acc[i][3] = vdotq_laneq_s32(acc[i][3], w3, a[i], j);                                                  \
        }                                                                                                         \
    } while (0)
        FA_DOT_STEP(0);
        FA_DOT_STEP(1);
        FA_DOT_STEP(2);
        FA_DOT_STEP(3);
#undef FA_DOT_STEP
    }
    for (; g < end; g++) {
        int8x16_t w0 = vld1q_s8(block + 32 * g), w1 = vld1q_s8(block + 32 * g + 16);
        int8x16_t w2 = vld1q_s8(next + 32 * g), w3 = vld1q_s8(next + 32 * g + 16);
        for (int i = 0; i < 4; i++) {
            int8x16_t a = vreinterpretq_s8_s32(vdupq_n_s32(group(rows[i], g, groups, tail)));
            acc[i][0] = vdotq_s32(acc[i][0], w0, a);
            acc[i][1] = vdotq_s32(acc[i][1], w1, a);
            acc[i][2] = vdotq_s32(acc[i][2], w2, a);
            acc[i][3] = vdotq_s32(acc[i][3], w3, a);
        }
    }
    int32x4_t first[4][2], second[4][2];
    for (int i = 0; i < 4; i++) {
        first[i][0] = acc[i][0], first[i][1] = acc[i][1];
        second[i][0] = acc[i][2], second[i][1] = acc[i][3];
    }
    finish_rows(first, mr, rq, c0, 8, out);
    finish_rows(second, mr, rq, c0 + 8, valid - 8, out);
}

/* Depthwise, 16 channels per step: (x + offset) × w in int16 (|product| ≤ 255 × 128 fits), widened into int32. */
static void depthwise_pixel_neon(int depth, int taps, const int8_t *const *inputs, const int8_t *const *weights,
                                 int32_t offset, const fa_requant_t *rq, int8_t *out) {
    const int16x8_t off = vdupq_n_s16((int16_t)offset);
    const int32x4_t vzp = vdupq_n_s32(rq->output_zero_point), vlo = vdupq_n_s32(rq->activation_min),
                    vhi = vdupq_n_s32(rq->activation_max);
    int c = 0;
    for (; c + 16 <= depth; c += 16) {
        int32x4_t a0 = vld1q_s32(rq->bias + c), a1 = vld1q_s32(rq->bias + c + 4);
        int32x4_t a2 = vld1q_s32(rq->bias + c + 8), a3 = vld1q_s32(rq->bias + c + 12);
        for (int t = 0; t < taps; t++) {
            int8x16_t x = vld1q_s8(inputs[t] + c), w = vld1q_s8(weights[t] + c);
            int16x8_t xl = vaddq_s16(vmovl_s8(vget_low_s8(x)), off), xh = vaddq_s16(vmovl_s8(vget_high_s8(x)), off);
            int16x8_t wl = vmovl_s8(vget_low_s8(w)), wh = vmovl_s8(vget_high_s8(w));
            a0 = vmlal_s16(a0, vget_low_s16(xl), vget_low_s16(wl));
            a1 = vmlal_s16(a1, vget_high_s16(xl), vget_high_s16(wl));
            a2 = vmlal_s16(a2, vget_low_s16(xh), vget_low_s16(wh));
            a3 = vmlal_s16(a3, vget_high_s16(xh), vget_high_s16(wh));
        }
        store8(requant4(a0, rq->multipliers + c, rq->shifts + c, vzp, vlo, vhi),
               requant4(a1, rq->multipliers + c + 4, rq->shifts + c + 4, vzp, vlo, vhi), out + c, 8);
        store8(requant4(a2, rq->multipliers + c + 8, rq->shifts + c + 8, vzp, vlo, vhi),
               requant4(a3, rq->multipliers + c + 12, rq->shifts + c + 12, vzp, vlo, vhi), out + c + 8, 8);
    }
    for (; c < depth; c++) {
        int32_t acc = rq->bias[c];
        for (int t = 0; t < taps; t++) acc += ((int32_t)inputs[t][c] + offset) * (int32_t)weights[t][c];
        out[c] = fa_requant1(acc, rq->multipliers[c], rq->shifts[c], rq->output_zero_point, rq->activation_min,
                             rq->activation_max);
    }
}

/* A whole depthwise convolution with multiplier 1 and depth ≤ FA_DEPTHWISE_MAX_PAD, 16 channels per block: smull
 * of the int8 input and weight (exact in int16) widened into int32 accumulators, the input offset folded into the
 * bias (offset × Σ w), taps outside the input reading a row of the zero point (zp × w + offset × w = 0, TFLM's
 * skipping). The last depth % 16 channels per pixel in scalar code. */
static void depthwise_op_neon(const fa_depthwise_t *c, const int8_t *input, int8_t *output) {
    const int depth = c->depth, taps = c->filter_height * c->filter_width;
    const int32_t offset = -c->input_zero_point;
    const fa_requant_t *rq = &c->requant;
    const int32x4_t zp = vdupq_n_s32(rq->output_zero_point), lo = vdupq_n_s32(rq->activation_min),
                    hi = vdupq_n_s32(rq->activation_max);
    int8_t pad[FA_DEPTHWISE_MAX_PAD];
    memset(pad, (int8_t)c->input_zero_point, (size_t)depth);
    ptrdiff_t offsets[FA_DEPTHWISE_MAX_TAPS];
    for (int ky = 0, t = 0; ky < c->filter_height; ky++)
        for (int kx = 0; kx < c->filter_width; kx++, t++)
            offsets[t] = ((ptrdiff_t)ky * c->dilation_height * c->input_width + (ptrdiff_t)kx * c->dilation_width) * depth;
    const int lastY = (c->filter_height - 1) * c->dilation_height, lastX = (c->filter_width - 1) * c->dilation_width;
    const int8_t *tap[FA_DEPTHWISE_MAX_TAPS];
    const size_t image_bytes = (size_t)c->input_height * c->input_width * depth;
    const size_t out_pixels = (size_t)c->output_height * c->output_width;
    for (int b = 0; b < c->batches; b++) {
        const int8_t *image = input + (size_t)b * image_bytes;
        int8_t *o = output + (size_t)b * out_pixels * depth;
        for (int oy = 0; oy < c->output_height; oy++) {
            int originY = oy * c->stride_height - c->pad_top;
            int insideY = originY >= 0 && originY + lastY < c->input_height;
            for (int ox = 0; ox < c->output_width; ox++, o += depth) {
                int originX = ox * c->stride_width - c->pad_left;
                if (insideY && originX >= 0 && originX + lastX < c->input_width) {
                    const int8_t *origin = image + ((size_t)originY * c->input_width + originX) * depth;
                    for (int t = 0; t < taps; t++) tap[t] = origin + offsets[t];
                } else {
                    for (int ky = 0, t = 0; ky < c->filter_height; ky++) {
                        int y = originY + ky * c->dilation_height;
                        int row_inside = y >= 0 && y < c->input_height;
                        for (int kx = 0; kx < c->filter_width; kx++, t++) {
                            int x = originX + kx * c->dilation_width;
                            tap[t] = row_inside && x >= 0 && x < c->input_width
                                ? image + ((size_t)y * c->input_width + x) * depth : pad;
                        }
                    }
                }
                int c0 = 0;
                for (; c0 + 16 <= depth; c0 += 16) {
                    int32x4_t a0 = vld1q_s32(rq->bias + c0), a1 = vld1q_s32(rq->bias + c0 + 4);
                    int32x4_t a2 = vld1q_s32(rq->bias + c0 + 8), a3 = vld1q_s32(rq->bias + c0 + 12);
                    int16x8_t s0 = vdupq_n_s16(0), s1 = vdupq_n_s16(0); /* Σ w: |Σ| ≤ 64 × 128 fits int16 */
                    const int8_t *w = c->weights + c0;
                    for (int t = 0; t < taps; t++, w += depth) {
                        int8x16_t x = vld1q_s8(tap[t] + c0), k = vld1q_s8(w);
                        int16x8_t p0 = vmull_s8(vget_low_s8(x), vget_low_s8(k));
                        int16x8_t p1 = vmull_high_s8(x, k);
                        a0 = vaddw_s16(a0, vget_low_s16(p0));
                        a1 = vaddw_high_s16(a1, p0);
                        a2 = vaddw_s16(a2, vget_low_s16(p1));
                        a3 = vaddw_high_s16(a3, p1);
                        s0 = vaddw_s8(s0, vget_low_s8(k));
                        s1 = vaddw_high_s8(s1, k);
                    }
                    a0 = vmlaq_n_s32(a0, vmovl_s16(vget_low_s16(s0)), offset);
                    a1 = vmlaq_n_s32(a1, vmovl_high_s16(s0), offset);
                    a2 = vmlaq_n_s32(a2, vmovl_s16(vget_low_s16(s1)), offset);
                    a3 = vmlaq_n_s32(a3, vmovl_high_s16(s1), offset);
                    store8(requant4(a0, rq->multipliers + c0, rq->shifts + c0, zp, lo, hi),
                           requant4(a1, rq->multipliers + c0 + 4, rq->shifts + c0 + 4, zp, lo, hi), o + c0, 8);
                    store8(requant4(a2, rq->multipliers + c0 + 8, rq->shifts + c0 + 8, zp, lo, hi),
                           requant4(a3, rq->multipliers + c0 + 12, rq->shifts + c0 + 12, zp, lo, hi), o + c0 + 8, 8);
                }
                for (; c0 < depth; c0++) {
                    int32_t acc = rq->bias[c0];
                    for (int t = 0; t < taps; t++) acc += ((int32_t)tap[t][c0] + offset) * (int32_t)c->weights[(size_t)t * depth + c0];
                    o[c0] = fa_requant1(acc, rq->multipliers[c0], rq->shifts[c0], rq->output_zero_point, rq->activation_min,
                                        rq->activation_max);
                }
            }
        }
    }
}

static void add_neon(int count, const fa_add_t *p, const int8_t *a, const int8_t *b, int8_t *out) {
    const int32x4_t off1 = vdupq_n_s32(p->input1_offset), off2 = vdupq_n_s32(p->input2_offset);
    const int32x4_t left = vdupq_n_s32(p->left_shift);
    const int32x4_t m1 = vdupq_n_s32(p->input1_multiplier), s1 = vdupq_n_s32(p->input1_shift);
    const int32x4_t m2 = vdupq_n_s32(p->input2_multiplier), s2 = vdupq_n_s32(p->input2_shift);
    const int32x4_t mo = vdupq_n_s32(p->output_multiplier), so = vdupq_n_s32(p->output_shift);
    const int32x4_t zp = vdupq_n_s32(p->output_zero_point), lo = vdupq_n_s32(p->activation_min),
                    hi = vdupq_n_s32(p->activation_max);
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        int16x8_t x16 = vmovl_s8(vld1_s8(a + i)), y16 = vmovl_s8(vld1_s8(b + i));
        int32x4_t r[2];
        for (int h = 0; h < 2; h++) {
            int32x4_t x = vmovl_s16(h ? vget_high_s16(x16) : vget_low_s16(x16));
            int32x4_t y = vmovl_s16(h ? vget_high_s16(y16) : vget_low_s16(y16));
            x = mbqm4(vshlq_s32(vaddq_s32(x, off1), left), m1, s1);
            y = mbqm4(vshlq_s32(vaddq_s32(y, off2), left), m2, s2);
            int32x4_t v = vaddq_s32(mbqm4(vaddq_s32(x, y), mo, so), zp);
            r[h] = vminq_s32(vmaxq_s32(v, lo), hi);
        }
        store8(r[0], r[1], out + i, 8);
    }
    for (; i < count; i++) out[i] = fa_add1(p, a[i], b[i]);
}

const fa_isa_t fa_isa_arm_neon = {0, 0, gemm_4x8_neon, 0, 0, depthwise_pixel_neon, depthwise_op_neon, add_neon,
                                   requantize_neon, 0};
const fa_isa_t fa_isa_arm_dotprod = {0, 0, gemm_4x8_dotprod, gemm_4x16_dotprod, 0, depthwise_pixel_neon, depthwise_op_neon, add_neon,
                                      requantize_neon, 0};
#endif
