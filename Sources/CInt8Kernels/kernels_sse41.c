/*
 * x86-64 micro-kernels for CPUs with SSE4.1 but no AVX2 (pmaddwd on sign-extended bytes, 128-bit registers). SSE has
 * no per-lane variable shifts, so the per-channel requantization shifts become multiplications by powers of two
 * (constants prepared per block of channels); ADD's shifts are the same for every lane and stay shifts. Each function
 * carries its own target attribute, so the file builds for any x86-64 and only runs what the CPU has (dispatch.c).
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include "kernels.h"

#define SSE41 __attribute__((target("sse4.1")))

/* Per-lane constants of TFLM's requantization of 4 channels. */
typedef struct {
    __m128i left_power; /* 2^left: acc << left as a wrapping multiplication */
    __m128i m, m_odd;   /* multipliers, and the odd lanes' moved down */
    __m128i floor_even, floor_odd; /* 2^(31 − right) (0 when right = 0): ⌊h / 2^right⌋ = (h × this) >> 31 */
    __m128i no_right;   /* all ones where right = 0 (then ⌊h / 2^0⌋ = h) */
    __m128i mask, half; /* 2^right − 1 and its half, for the rounding */
} rq4_t;

SSE41 static inline rq4_t rq4_prepare(const int32_t *mp, const int32_t *sp) {
    int32_t power[4], floor_mul[4], none[4], mask[4];
    for (int i = 0; i < 4; i++) {
        int s = sp[i], left = s > 0 ? s : 0, right = s > 0 ? 0 : -s;
        left &= 31, right &= 31;
        power[i] = (int32_t)(1u << left);
        floor_mul[i] = right ? (int32_t)(1u << (31 - right)) : 0;
        none[i] = right ? 0 : -1;
        mask[i] = (int32_t)((1u << right) - 1u);
    }
    rq4_t r;
    r.left_power = _mm_loadu_si128((const __m128i *)power);
    r.m = _mm_loadu_si128((const __m128i *)mp);
    r.m_odd = _mm_srli_epi64(r.m, 32);
    r.floor_even = _mm_loadu_si128((const __m128i *)floor_mul);
    r.floor_odd = _mm_srli_epi64(r.floor_even, 32);
    r.no_right = _mm_loadu_si128((const __m128i *)none);
    r.mask = _mm_loadu_si128((const __m128i *)mask);
    r.half = _mm_srai_epi32(r.mask, 1);
    return r;
}

/* The high halves (bits 31..62) of the signed 64-bit products a × b of 4 lanes: even lanes from a, b, odd lanes from
 * a >> 32 and b_odd. */
SSE41 static inline __m128i mulhi31(__m128i a, __m128i b, __m128i b_odd, __m128i nudge) {
    __m128i even = _mm_srli_epi64(_mm_add_epi64(_mm_mul_epi32(a, b), nudge), 31);
    __m128i odd = _mm_slli_epi64(_mm_add_epi64(_mm_mul_epi32(_mm_srli_epi64(a, 32), b_odd), nudge), 1);
    return _mm_blend_epi16(even, odd, 0xCC);
}

/* TFLM's MultiplyByQuantizedMultiplier + zero point + clamp on 4 lanes. */
SSE41 static inline __m128i rq4(__m128i acc, const rq4_t *r, __m128i zp, __m128i lo, __m128i hi) {
    const __m128i zero = _mm_setzero_si128();
    __m128i x = _mm_mullo_epi32(acc, r->left_power);
    __m128i h = mulhi31(x, r->m, r->m_odd, _mm_set1_epi64x((int64_t)1 << 30));
    __m128i f = _mm_blendv_epi8(mulhi31(h, r->floor_even, r->floor_odd, zero), h, r->no_right);
    __m128i rem = _mm_and_si128(h, r->mask);
    __m128i thr = _mm_add_epi32(r->half, _mm_srli_epi32(h, 31));
    __m128i q = _mm_sub_epi32(f, _mm_cmpgt_epi32(rem, thr));
    return _mm_min_epi32(_mm_max_epi32(_mm_add_epi32(q, zp), lo), hi);
}

/* 8 int32 lanes (already clamped to int8) → `valid` bytes at out. */
SSE41 static inline void store8(__m128i a, __m128i b, int8_t *out, int valid) {
    __m128i w = _mm_packs_epi32(a, b);
    __m128i bytes = _mm_packs_epi16(w, w);
    if (valid == 8) {
        _mm_storel_epi64((__m128i *)out, bytes);
    } else {
        int8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, bytes);
        memcpy(out, tmp, (size_t)valid);
    }
}

SSE41 static void requantize_sse41(int count, const int32_t *acc, const int32_t *m, const int32_t *s, int32_t zp,
                                   int32_t lo, int32_t hi, int8_t *out) {
    const __m128i vzp = _mm_set1_epi32(zp), vlo = _mm_set1_epi32(lo), vhi = _mm_set1_epi32(hi);
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        rq4_t r0 = rq4_prepare(m + i, s + i), r1 = rq4_prepare(m + i + 4, s + i + 4);
        __m128i a = rq4(_mm_loadu_si128((const __m128i *)(acc + i)), &r0, vzp, vlo, vhi);
        __m128i b = rq4(_mm_loadu_si128((const __m128i *)(acc + i + 4)), &r1, vzp, vlo, vhi);
        store8(a, b, out + i, 8);
    }
    for (; i < count; i++) out[i] = fa_requant1(acc[i], m[i], s[i], zp, lo, hi);
}

/* Rows 0..mr-1 against one packed block of 8 channels: per group of 4 bytes, the row's 4 values as int16 twice and
 * the block's 32 weights as four registers of 2 channels × 4; pmaddwd gives pairs that one phaddd per 4 channels
 * adds up. */
SSE41 static void gemm_4x8_sse41(const int8_t *const rows[4], int mr, int depth, const int8_t *block,
                                 const fa_requant_t *rq, int c0, int valid, int8_t *const out[4]) {
    const rq4_t r0 = rq4_prepare(rq->multipliers + c0, rq->shifts + c0);
    const rq4_t r1 = rq4_prepare(rq->multipliers + c0 + 4, rq->shifts + c0 + 4);
    const __m128i bias0 = _mm_loadu_si128((const __m128i *)(rq->bias + c0));
    const __m128i bias1 = _mm_loadu_si128((const __m128i *)(rq->bias + c0 + 4));
    const __m128i zp = _mm_set1_epi32(rq->output_zero_point), lo = _mm_set1_epi32(rq->activation_min),
                  hi = _mm_set1_epi32(rq->activation_max);
    const int groups = depth / 4, tail = depth % 4;
    for (int i = 0; i < mr; i++) {
        const int8_t *row = rows[i];
        __m128i acc0 = _mm_setzero_si128(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int g = 0; g <= groups; g++) {
            int32_t a;
            if (g < groups)
                a = fa_load4(row + 4 * g);
            else if (tail)
                a = fa_load_tail(row + 4 * g, tail);
            else
                break;
            __m128i x = _mm_cvtepi8_epi16(_mm_cvtsi32_si128(a));
            x = _mm_unpacklo_epi64(x, x);
            __m128i wb0 = _mm_loadu_si128((const __m128i *)(block + 32 * g));
            __m128i wb1 = _mm_loadu_si128((const __m128i *)(block + 32 * g + 16));
            acc0 = _mm_add_epi32(acc0, _mm_madd_epi16(_mm_cvtepi8_epi16(wb0), x));
            acc1 = _mm_add_epi32(acc1, _mm_madd_epi16(_mm_cvtepi8_epi16(_mm_srli_si128(wb0, 8)), x));
            acc2 = _mm_add_epi32(acc2, _mm_madd_epi16(_mm_cvtepi8_epi16(wb1), x));
            acc3 = _mm_add_epi32(acc3, _mm_madd_epi16(_mm_cvtepi8_epi16(_mm_srli_si128(wb1, 8)), x));
        }
        __m128i c03 = _mm_add_epi32(_mm_hadd_epi32(acc0, acc1), bias0);
        __m128i c47 = _mm_add_epi32(_mm_hadd_epi32(acc2, acc3), bias1);
        store8(rq4(c03, &r0, zp, lo, hi), rq4(c47, &r1, zp, lo, hi), out[i] + c0, valid);
    }
}

/* Depthwise, 8 channels per step: (x + offset) × w in int16 (|product| ≤ 255 × 128 fits), widened into int32. */
SSE41 static void depthwise_pixel_sse41(int depth, int taps, const int8_t *const *inputs, const int8_t *const *weights,
                                        int32_t offset, const fa_requant_t *rq, int8_t *out) {
    const __m128i off = _mm_set1_epi16((int16_t)offset);
    const __m128i zp = _mm_set1_epi32(rq->output_zero_point), lo = _mm_set1_epi32(rq->activation_min),
                  hi = _mm_set1_epi32(rq->activation_max);
    int c = 0;
    for (; c + 8 <= depth; c += 8) {
        __m128i acc0 = _mm_loadu_si128((const __m128i *)(rq->bias + c));
        __m128i acc1 = _mm_loadu_si128((const __m128i *)(rq->bias + c + 4));
        for (int t = 0; t < taps; t++) {
            __m128i x = _mm_add_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(inputs[t] + c))), off);
            __m128i w = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(weights[t] + c)));
            __m128i p = _mm_mullo_epi16(x, w);
            acc0 = _mm_add_epi32(acc0, _mm_cvtepi16_epi32(p));
            acc1 = _mm_add_epi32(acc1, _mm_cvtepi16_epi32(_mm_srli_si128(p, 8)));
        }
        const rq4_t r0 = rq4_prepare(rq->multipliers + c, rq->shifts + c);
        const rq4_t r1 = rq4_prepare(rq->multipliers + c + 4, rq->shifts + c + 4);
        store8(rq4(acc0, &r0, zp, lo, hi), rq4(acc1, &r1, zp, lo, hi), out + c, 8);
    }
    for (; c < depth; c++) {
        int32_t acc = rq->bias[c];
        for (int t = 0; t < taps; t++) acc += ((int32_t)inputs[t][c] + offset) * (int32_t)weights[t][c];
        out[c] = fa_requant1(acc, rq->multipliers[c], rq->shifts[c], rq->output_zero_point, rq->activation_min,
                             rq->activation_max);
    }
}

/* TFLM's MultiplyByQuantizedMultiplier on 4 lanes with one multiplier and shift for all. */
SSE41 static inline __m128i mbqm4_uniform(__m128i x, __m128i m, int32_t shift) {
    const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    x = _mm_sll_epi32(x, _mm_cvtsi32_si128(left & 31));
    __m128i h = mulhi31(x, m, m, _mm_set1_epi64x((int64_t)1 << 30));
    const __m128i mask = _mm_set1_epi32((int32_t)((1u << (right & 31)) - 1u));
    __m128i rem = _mm_and_si128(h, mask);
    __m128i thr = _mm_add_epi32(_mm_srai_epi32(mask, 1), _mm_srli_epi32(h, 31));
    return _mm_sub_epi32(_mm_sra_epi32(h, _mm_cvtsi32_si128(right & 31)), _mm_cmpgt_epi32(rem, thr));
}

SSE41 static void add_sse41(int count, const fa_add_t *p, const int8_t *a, const int8_t *b, int8_t *out) {
    const __m128i off1 = _mm_set1_epi32(p->input1_offset), off2 = _mm_set1_epi32(p->input2_offset);
    const __m128i left = _mm_cvtsi32_si128(p->left_shift);
    const __m128i m1 = _mm_set1_epi32(p->input1_multiplier), m2 = _mm_set1_epi32(p->input2_multiplier);
    const __m128i mo = _mm_set1_epi32(p->output_multiplier);
    const __m128i zp = _mm_set1_epi32(p->output_zero_point), lo = _mm_set1_epi32(p->activation_min),
                  hi = _mm_set1_epi32(p->activation_max);
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i r[2];
        for (int h = 0; h < 2; h++) {
            __m128i x = _mm_cvtepi8_epi32(_mm_cvtsi32_si128(fa_load4(a + i + 4 * h)));
            __m128i y = _mm_cvtepi8_epi32(_mm_cvtsi32_si128(fa_load4(b + i + 4 * h)));
            x = mbqm4_uniform(_mm_sll_epi32(_mm_add_epi32(x, off1), left), m1, p->input1_shift);
            y = mbqm4_uniform(_mm_sll_epi32(_mm_add_epi32(y, off2), left), m2, p->input2_shift);
            __m128i v = _mm_add_epi32(mbqm4_uniform(_mm_add_epi32(x, y), mo, p->output_shift), zp);
            r[h] = _mm_min_epi32(_mm_max_epi32(v, lo), hi);
        }
        store8(r[0], r[1], out + i, 8);
    }
    for (; i < count; i++) out[i] = fa_add1(p, a[i], b[i]);
}

const fa_isa_t fa_isa_x86_sse41 = {0, 0, gemm_4x8_sse41, 0, 0, depthwise_pixel_sse41, 0, add_sse41, requantize_sse41, 0};
#endif
