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

/* The geometry conv_op_dotprod reads: one image inside a border of the input zero point wide enough for every tap
 * of every pixel (or each pixel's window copied into a row of whole groups), the window as `runs` runs of
 * `run_groups` groups of 4 bytes at run_offset[r] from a pixel's origin, in the packed weights' [kh][kw][in_c]
 * order; pixel (oy, ox)'s origin is image + oy × row_step + ox × col_step. */
typedef struct {
    const int8_t *image;
    ptrdiff_t col_step, row_step;
    int runs, run_groups;
    const ptrdiff_t *run_offset;
} conv_geometry_t;

/* Pixels [first, first + count) of channels [c0, c0 + valid) (valid ≤ 8 × NB8), tiles of 4 pixels × 8 × NB8
 * channels in named registers: per group of 4 bytes, each pixel's group broadcast feeds NB8 × 2 sdot. NB8 is a
 * constant at every call. */
DOTPROD static inline __attribute__((always_inline)) void conv_block_dotprod(const int NB8, const fa_conv_t *c,
                                                                             const conv_geometry_t *g, int first,
                                                                             int count, int c0, int valid,
                                                                             int8_t *image_out) {
    const fa_requant_t *rq = &c->requant;
    const int block_bytes = g->runs * g->run_groups * 32;
    const int8_t *w_lo = c->weights + (size_t)(c0 / 8) * block_bytes;
    const int8_t *w_hi = NB8 == 2 ? w_lo + block_bytes : w_lo;
    const int32x4_t zp = vdupq_n_s32(rq->output_zero_point), lo = vdupq_n_s32(rq->activation_min),
                    hi = vdupq_n_s32(rq->activation_max);
    const int width = c->output_width, out_depth = c->output_depth;
    int oy = first / width, ox = first % width;
    for (int p = first; p < first + count; p += 4) {
        const int mr = first + count - p < 4 ? first + count - p : 4;
        const int8_t *origin[4];
        for (int i = 0; i < 4; i++) {
            if (i < mr) {
                origin[i] = g->image + oy * g->row_step + ox * g->col_step;
                if (++ox == width) ox = 0, oy++;
            } else {
                origin[i] = origin[0];
            }
        }
        const int32x4_t z = vdupq_n_s32(0);
        int32x4_t a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        int32x4_t e0 = z, e1 = z, e2 = z, e3 = z, f0 = z, f1 = z, f2 = z, f3 = z;
        const int8_t *wl = w_lo, *wh = w_hi;
        for (int run = 0; run < g->runs; run++) {
            const ptrdiff_t offset = g->run_offset[run];
            const int8_t *r0 = origin[0] + offset, *r1 = origin[1] + offset, *r2 = origin[2] + offset,
                         *r3 = origin[3] + offset;
            int j = 0;
            /* Four groups at once: 16 bytes of each pixel's run, sdot by lane (as gemm_4x16_dotprod). */
            for (; j + 4 <= g->run_groups; j += 4) {
                const int8x16_t x0 = vld1q_s8(r0 + 4 * j), x1 = vld1q_s8(r1 + 4 * j), x2 = vld1q_s8(r2 + 4 * j),
                                x3 = vld1q_s8(r3 + 4 * j);
#define FA_DOT_LANE(l)                                                                                               \
    do {                                                                                                             \
        const int8x16_t w0 = vld1q_s8(wl + 32 * l), w1 = vld1q_s8(wl + 32 * l + 16);                                 \
        a0 = vdotq_laneq_s32(a0, w0, x0, l), b0 = vdotq_laneq_s32(b0, w1, x0, l);                                   \
        a1 = vdotq_laneq_s32(a1, w0, x1, l), b1 = vdotq_laneq_s32(b1, w1, x1, l);                                   \
        a2 = vdotq_laneq_s32(a2, w0, x2, l), b2 = vdotq_laneq_s32(b2, w1, x2, l);                                   \
        a3 = vdotq_laneq_s32(a3, w0, x3, l), b3 = vdotq_laneq_s32(b3, w1, x3, l);                                   \
        if (NB8 == 2) {                                                                                              \
            const int8x16_t w2 = vld1q_s8(wh + 32 * l), w3 = vld1q_s8(wh + 32 * l + 16);                             \
            e0 = vdotq_laneq_s32(e0, w2, x0, l), f0 = vdotq_laneq_s32(f0, w3, x0, l);                               \
            e1 = vdotq_laneq_s32(e1, w2, x1, l), f1 = vdotq_laneq_s32(f1, w3, x1, l);                               \
            e2 = vdotq_laneq_s32(e2, w2, x2, l), f2 = vdotq_laneq_s32(f2, w3, x2, l);                               \
            e3 = vdotq_laneq_s32(e3, w2, x3, l), f3 = vdotq_laneq_s32(f3, w3, x3, l);                               \
        }                                                                                                            \
    } while (0)
                FA_DOT_LANE(0);
                FA_DOT_LANE(1);
                FA_DOT_LANE(2);
                FA_DOT_LANE(3);
#undef FA_DOT_LANE
                wl += 128, wh += 128;
            }
            for (; j < g->run_groups; j++, wl += 32, wh += 32) {
                const int8x16_t w0 = vld1q_s8(wl), w1 = vld1q_s8(wl + 16);
                int8x16_t x;
#define FA_DOT_ROW(r, a, b, e, f)                                                                                    \
    x = vreinterpretq_s8_s32(vdupq_n_s32(fa_load4(r + 4 * j)));                                                     \
    a = vdotq_s32(a, w0, x), b = vdotq_s32(b, w1, x);                                                              \
    if (NB8 == 2) e = vdotq_s32(e, vld1q_s8(wh), x), f = vdotq_s32(f, vld1q_s8(wh + 16), x);
                FA_DOT_ROW(r0, a0, b0, e0, f0)
                FA_DOT_ROW(r1, a1, b1, e1, f1)
                FA_DOT_ROW(r2, a2, b2, e2, f2)
                FA_DOT_ROW(r3, a3, b3, e3, f3)
#undef FA_DOT_ROW
            }
        }
        const int32x4_t acc[4][4] = {{a0, b0, e0, f0}, {a1, b1, e1, f1}, {a2, b2, e2, f2}, {a3, b3, e3, f3}};
        for (int i = 0; i < mr; i++) {
            int8_t *o = image_out + (size_t)(p + i) * out_depth + c0;
            for (int h = 0; h < NB8; h++) {
                const int ch = c0 + 8 * h, v = valid - 8 * h > 8 ? 8 : valid - 8 * h;
                int32x4_t q0 = requant4(vaddq_s32(acc[i][2 * h], vld1q_s32(rq->bias + ch)), rq->multipliers + ch,
                                        rq->shifts + ch, zp, lo, hi);
                int32x4_t q1 = requant4(vaddq_s32(acc[i][2 * h + 1], vld1q_s32(rq->bias + ch + 4)),
                                        rq->multipliers + ch + 4, rq->shifts + ch + 4, zp, lo, hi);
                store8(q0, q1, o + 8 * h, v);
            }
        }
    }
}

/* How conv_op_neon and conv_op_dotprod read a convolution (the plan of conv_op_vnni in kernels_x86.c, with signed
 * bytes): the image padded once with the input zero point, windows read in place when they are runs of whole groups
 * of 4 bytes or one run, else each pixel's window copied once (no bounds checks) into a row of whole groups. Border
 * taps read the input zero point, which adds (zp − zp) × w = 0 once −zp × Σ w is in the bias: TFLM's result. */
typedef struct {
    int padded_height, padded_width, runs, run_bytes, in_place, field, field_stride;
    ptrdiff_t row_bytes, col_step, row_step;
    ptrdiff_t run_offset[FA_CONV_MAX_RUNS];
} conv_plan_t;

/* 0 when the convolution does not fit the stack copies (then the 4-row tiles run it). */
static int conv_plan(const fa_conv_t *c, conv_plan_t *plan) {
    const int depth = c->input_depth;
    if (depth <= 0 || c->pad_top < 0 || c->pad_left < 0 || c->stride_height < 1 || c->stride_width < 1 ||
        c->dilation_height < 1 || c->dilation_width < 1 || c->output_height < 1 || c->output_width < 1 ||
        c->output_depth < 1 || c->filter_height < 1 || c->filter_width < 1)
        return 0;
    const int lastY = (c->output_height - 1) * c->stride_height - c->pad_top + (c->filter_height - 1) * c->dilation_height;
    const int lastX = (c->output_width - 1) * c->stride_width - c->pad_left + (c->filter_width - 1) * c->dilation_width;
    plan->padded_height = c->pad_top + (lastY + 1 > c->input_height ? lastY + 1 : c->input_height);
    plan->padded_width = c->pad_left + (lastX + 1 > c->input_width ? lastX + 1 : c->input_width);
    if ((size_t)plan->padded_height * (size_t)plan->padded_width * (size_t)depth > FA_CONV_IMAGE_MAX) return 0;
    const int taps = c->filter_height * c->filter_width;
    if (taps > FA_CONV_MAX_RUNS) return 0;
    plan->row_bytes = (ptrdiff_t)plan->padded_width * depth;
    if (c->dilation_width == 1 || c->filter_width == 1) {
        plan->run_bytes = c->filter_width * depth;
        if (c->dilation_height == 1 && plan->padded_width == c->filter_width) {
            /* The window's rows follow each other in memory: one run. */
            plan->runs = 1, plan->run_bytes *= c->filter_height, plan->run_offset[0] = 0;
        } else {
            plan->runs = c->filter_height;
            for (int ky = 0; ky < c->filter_height; ky++)
                plan->run_offset[ky] = (ptrdiff_t)ky * c->dilation_height * plan->row_bytes;
        }
    } else {
        plan->runs = taps, plan->run_bytes = depth;
        for (int ky = 0, t = 0; ky < c->filter_height; ky++)
            for (int kx = 0; kx < c->filter_width; kx++, t++)
                plan->run_offset[t] =
                    (ptrdiff_t)ky * c->dilation_height * plan->row_bytes + (ptrdiff_t)kx * c->dilation_width * depth;
    }
    plan->col_step = (ptrdiff_t)c->stride_width * depth, plan->row_step = (ptrdiff_t)c->stride_height * plan->row_bytes;
    plan->in_place = plan->run_bytes % 4 == 0 || plan->runs == 1;
    plan->field = taps * depth, plan->field_stride = (plan->field + 3) / 4 * 4;
    const size_t pixels = (size_t)c->output_height * c->output_width;
    return plan->in_place || pixels * (size_t)plan->field_stride <= FA_CONV_IMAGE_MAX;
}

/* One image padded into `padded` (FA_CONV_IMAGE_MAX + 64 bytes) and, when the plan says so, its windows copied into
 * `fields` (FA_CONV_IMAGE_MAX bytes); returns the geometry the tiles read. */
static conv_geometry_t conv_image(const fa_conv_t *c, const conv_plan_t *plan, const int8_t *image, int8_t *padded,
                                  int8_t *fields) {
    static const ptrdiff_t no_offset[1] = {0};
    const int8_t zero_point = (int8_t)c->input_zero_point;
    const size_t run = (size_t)c->input_width * c->input_depth, left = (size_t)c->pad_left * c->input_depth;
    const size_t row_bytes = (size_t)plan->row_bytes;
    int8_t *dst = padded;
    for (int py = 0; py < plan->padded_height; py++, dst += row_bytes) {
        int y = py - c->pad_top;
        if (y < 0 || y >= c->input_height) {
            memset(dst, zero_point, row_bytes);
        } else {
            memset(dst, zero_point, left);
            memcpy(dst + left, image + (size_t)y * run, run);
            memset(dst + left + run, zero_point, row_bytes - left - run);
        }
    }
    memset(dst, zero_point, 16); /* what a last partial group reads past the end */
    if (plan->in_place)
        return (conv_geometry_t){padded, plan->col_step, plan->row_step, plan->runs, (plan->run_bytes + 3) / 4,
                                 plan->run_offset};
    int8_t *f = fields;
    for (int oy = 0; oy < c->output_height; oy++)
        for (int ox = 0; ox < c->output_width; ox++, f += plan->field_stride) {
            const int8_t *origin = padded + oy * plan->row_step + ox * plan->col_step;
            for (int r = 0; r < plan->runs; r++)
                memcpy(f + r * plan->run_bytes, origin + plan->run_offset[r], (size_t)plan->run_bytes);
            for (int k = plan->field; k < plan->field_stride; k++) f[k] = 0;
        }
    return (conv_geometry_t){fields, plan->field_stride, (ptrdiff_t)c->output_width * plan->field_stride, 1,
                             plan->field_stride / 4, no_offset};
}

/* A whole convolution that fits conv_plan on the dot-product set: tiles of 4 pixels × 16 (or 8) channels. */
DOTPROD static int conv_op_dotprod(const fa_conv_t *c, const int8_t *input, int8_t *output) {
    conv_plan_t plan;
    if (!conv_plan(c, &plan)) return 0;
    int8_t padded[FA_CONV_IMAGE_MAX + 64] __attribute__((aligned(64)));
    int8_t fields[FA_CONV_IMAGE_MAX] __attribute__((aligned(64)));
    const size_t image_bytes = (size_t)c->input_height * c->input_width * c->input_depth;
    const size_t out_bytes = (size_t)c->output_height * c->output_width * c->output_depth;
    const int pixels = c->output_height * c->output_width;
    for (int b = 0; b < c->batches; b++) {
        const conv_geometry_t tiles = conv_image(c, &plan, input + (size_t)b * image_bytes, padded, fields);
        int8_t *image_out = output + (size_t)b * out_bytes;
        for (int c0 = 0; c0 < c->output_depth; c0 += 16) {
            int valid = c->output_depth - c0 < 16 ? c->output_depth - c0 : 16;
            if (valid > 8)
                conv_block_dotprod(2, c, &tiles, 0, pixels, c0, valid, image_out);
            else
                conv_block_dotprod(1, c, &tiles, 0, pixels, c0, valid, image_out);
        }
    }
    return 1;
}

/* conv_block_dotprod for NEON without sdot: per group of 4 bytes and block of 8 channels, smull of each channel
 * pair's 8 weights with the pixel's 4 bytes twice (exact in int16) and sadalp into pairs, added up at the end. Tiles
 * of 4 pixels × 8 channels. */
static inline __attribute__((always_inline)) void conv_block_neon(const fa_conv_t *c, const conv_geometry_t *g,
                                                                  int c0, int valid, int8_t *image_out) {
    const fa_requant_t *rq = &c->requant;
    const int block_bytes = g->runs * g->run_groups * 32;
    const int8_t *w_block = c->weights + (size_t)(c0 / 8) * block_bytes;
    const int32x4_t zp = vdupq_n_s32(rq->output_zero_point), lo = vdupq_n_s32(rq->activation_min),
                    hi = vdupq_n_s32(rq->activation_max);
    const int width = c->output_width, out_depth = c->output_depth, pixels = c->output_height * width;
    int oy = 0, ox = 0;
    for (int p = 0; p < pixels; p += 4) {
        const int mr = pixels - p < 4 ? pixels - p : 4;
        const int8_t *origin[4];
        for (int i = 0; i < 4; i++) {
            if (i < mr) {
                origin[i] = g->image + oy * g->row_step + ox * g->col_step;
                if (++ox == width) ox = 0, oy++;
            } else {
                origin[i] = origin[0];
            }
        }
        const int32x4_t z = vdupq_n_s32(0);
        /* aI_J: pixel I, channels 2J and 2J + 1 as pairs (k0 + k1, k2 + k3). */
        int32x4_t a0_0 = z, a0_1 = z, a0_2 = z, a0_3 = z, a1_0 = z, a1_1 = z, a1_2 = z, a1_3 = z;
        int32x4_t a2_0 = z, a2_1 = z, a2_2 = z, a2_3 = z, a3_0 = z, a3_1 = z, a3_2 = z, a3_3 = z;
        const int8_t *w = w_block;
        for (int run = 0; run < g->runs; run++) {
            const ptrdiff_t offset = g->run_offset[run];
            const int8_t *r0 = origin[0] + offset, *r1 = origin[1] + offset, *r2 = origin[2] + offset,
                         *r3 = origin[3] + offset;
            for (int j = 0; j < g->run_groups; j++, w += 32) {
                const int8x16_t wa = vld1q_s8(w), wb = vld1q_s8(w + 16);
                const int8x8_t w0 = vget_low_s8(wa), w1 = vget_high_s8(wa), w2 = vget_low_s8(wb), w3 = vget_high_s8(wb);
                int8x8_t x;
#define FA_NEON_ROW(r, a0, a1, a2, a3)                                                                               \
    x = vreinterpret_s8_s32(vdup_n_s32(fa_load4(r + 4 * j)));                                                       \
    a0 = vpadalq_s16(a0, vmull_s8(w0, x)), a1 = vpadalq_s16(a1, vmull_s8(w1, x));                                   \
    a2 = vpadalq_s16(a2, vmull_s8(w2, x)), a3 = vpadalq_s16(a3, vmull_s8(w3, x));
                FA_NEON_ROW(r0, a0_0, a0_1, a0_2, a0_3)
                FA_NEON_ROW(r1, a1_0, a1_1, a1_2, a1_3)
                FA_NEON_ROW(r2, a2_0, a2_1, a2_2, a2_3)
                FA_NEON_ROW(r3, a3_0, a3_1, a3_2, a3_3)
#undef FA_NEON_ROW
            }
        }
        const int32x4_t sums[4][2] = {{vpaddq_s32(a0_0, a0_1), vpaddq_s32(a0_2, a0_3)},
                                      {vpaddq_s32(a1_0, a1_1), vpaddq_s32(a1_2, a1_3)},
                                      {vpaddq_s32(a2_0, a2_1), vpaddq_s32(a2_2, a2_3)},
                                      {vpaddq_s32(a3_0, a3_1), vpaddq_s32(a3_2, a3_3)}};
        const int32x4_t bias0 = vld1q_s32(rq->bias + c0), bias1 = vld1q_s32(rq->bias + c0 + 4);
        for (int i = 0; i < mr; i++) {
            int32x4_t q0 = requant4(vaddq_s32(sums[i][0], bias0), rq->multipliers + c0, rq->shifts + c0, zp, lo, hi);
            int32x4_t q1 = requant4(vaddq_s32(sums[i][1], bias1), rq->multipliers + c0 + 4, rq->shifts + c0 + 4, zp, lo, hi);
            store8(q0, q1, image_out + (size_t)(p + i) * out_depth + c0, valid);
        }
    }
}

/* A whole convolution that fits conv_plan on the NEON set (Pi 4): tiles of 4 pixels × 8 channels. */
static int conv_op_neon(const fa_conv_t *c, const int8_t *input, int8_t *output) {
    conv_plan_t plan;
    if (!conv_plan(c, &plan)) return 0;
    int8_t padded[FA_CONV_IMAGE_MAX + 64] __attribute__((aligned(64)));
    int8_t fields[FA_CONV_IMAGE_MAX] __attribute__((aligned(64)));
    const size_t image_bytes = (size_t)c->input_height * c->input_width * c->input_depth;
    const size_t out_bytes = (size_t)c->output_height * c->output_width * c->output_depth;
    for (int b = 0; b < c->batches; b++) {
        const conv_geometry_t tiles = conv_image(c, &plan, input + (size_t)b * image_bytes, padded, fields);
        for (int c0 = 0; c0 < c->output_depth; c0 += 8) {
            int valid = c->output_depth - c0 < 8 ? c->output_depth - c0 : 8;
            conv_block_neon(c, &tiles, c0, valid, output + (size_t)b * out_bytes);
        }
    }
    return 1;
}

const fa_isa_t fa_isa_arm_neon = {0, 0, gemm_4x8_neon, 0, 0, depthwise_pixel_neon, depthwise_op_neon, add_neon,
                                   requantize_neon, conv_op_neon};
const fa_isa_t fa_isa_arm_dotprod = {0, 0, gemm_4x8_dotprod, gemm_4x16_dotprod, 0, depthwise_pixel_neon, depthwise_op_neon, add_neon,
                                      requantize_neon, conv_op_dotprod};
#endif
