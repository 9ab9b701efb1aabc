/*
 * x86-64 micro-kernels: AVX2 (vpmaddwd on sign-extended bytes, exact) and AVX-512 VNNI (vpdpbusd on 256-bit
 * registers: activations as unsigned bytes a ^ 0x80, corrected by 128 × Σ weights). Each function carries its own
 * target attribute, so the file builds for any x86-64 and only runs what the CPU has (see dispatch.c).
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include "kernels.h"

#define AVX2 __attribute__((target("avx2")))
#define VNNI __attribute__((target("avx2,avx512f,avx512vl,avx512bw,avx512vnni")))

/* TFLM's MultiplyByQuantizedMultiplier on 8 int32 lanes (per-lane multiplier m and shift s). */
AVX2 static inline __m256i mbqm8(__m256i acc, __m256i m, __m256i s) {
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1);
    __m256i left = _mm256_max_epi32(s, zero), right = _mm256_max_epi32(_mm256_sub_epi32(zero, s), zero);
    __m256i x = _mm256_sllv_epi32(acc, left);
    /* (x × m + 2^30) >> 31 per lane: even lanes, then odd lanes moved down. */
    const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
    __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, m), nudge), 31);
    __m256i odd = _mm256_srli_epi64(
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), nudge), 31);
    __m256i h = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    /* Rounding divide by 2^right, half away from zero. */
    __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
    __m256i rem = _mm256_and_si256(h, mask);
    __m256i thr = _mm256_add_epi32(_mm256_srai_epi32(mask, 1), _mm256_srli_epi32(h, 31));
    return _mm256_sub_epi32(_mm256_srav_epi32(h, right), _mm256_cmpgt_epi32(rem, thr));
}

/* TFLM's requantization of 8 int32 lanes (per-lane multiplier and shift), clamped, as int32. */
AVX2 static inline __m256i requant8(__m256i acc, const int32_t *mp, const int32_t *sp, __m256i zp, __m256i lo,
                                    __m256i hi) {
    __m256i q = mbqm8(acc, _mm256_loadu_si256((const __m256i *)mp), _mm256_loadu_si256((const __m256i *)sp));
    q = _mm256_add_epi32(q, zp);
    return _mm256_min_epi32(_mm256_max_epi32(q, lo), hi);
}

/* 8 int32 lanes (already clamped to int8) → 8 bytes at out. */
AVX2 static inline void store8(__m256i v, int8_t *out, int valid) {
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    __m128i b = _mm_packs_epi16(w, w);
    if (valid == 8) {
        _mm_storel_epi64((__m128i *)out, b);
    } else {
        int8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, b);
        memcpy(out, tmp, (size_t)valid);
    }
}

AVX2 static void requantize_avx2(int count, const int32_t *acc, const int32_t *m, const int32_t *s, int32_t zp,
                                 int32_t lo, int32_t hi, int8_t *out) {
    const __m256i vzp = _mm256_set1_epi32(zp), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(acc + i));
        store8(requant8(a, m + i, s + i, vzp, vlo, vhi), out + i, 8);
    }
    for (; i < count; i++) out[i] = fa_requant1(acc[i], m[i], s[i], zp, lo, hi);
}

/* mbqm8 on 16 lanes (AVX-512F). */
VNNI static inline __m512i mbqm16(__m512i acc, __m512i m, __m512i s) {
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
    __m512i left = _mm512_max_epi32(s, zero), right = _mm512_max_epi32(_mm512_sub_epi32(zero, s), zero);
    __m512i x = _mm512_sllv_epi32(acc, left);
    const __m512i nudge = _mm512_set1_epi64((int64_t)1 << 30);
    __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, m), nudge), 31);
    __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32)), nudge);
    /* odd lanes: bits 31..62 of the product land in the upper half after a left shift by 1. */
    __m512i h = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 1));
    __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
    __m512i rem = _mm512_and_si512(h, mask);
    __m512i thr = _mm512_add_epi32(_mm512_srai_epi32(mask, 1), _mm512_srli_epi32(h, 31));
    __m512i q = _mm512_srav_epi32(h, right);
    return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, thr), q, one);
}

/* Per-lane constants of TFLM's requantization of 16 channels, computed once and reused for many pixels. With
 * t = (acc << left) × m in 64 bits and e = right shift, SaturatingRoundingDoublingHighMul then RoundingDivideByPOT is
 * h = ⌊(t + 2^30) / 2^31⌋, then ⌊(h + k) / 2^e⌋ with k = 2^(e−1) − [h < 0] (e ≥ 1; k = 0 for e = 0); nested floor
 * divisions compose, so the result is ⌊(t + 2^30 + k × 2^31) / 2^(31+e)⌋, and h < 0 exactly when t < −2^30: one
 * rounding in 64-bit lanes (even and odd channels apart) instead of two in 32-bit ones. |t| < 2^62, so the sum
 * stays below 2^63. Multipliers are ≥ 0 (the saturating case INT32_MIN × INT32_MIN cannot occur). */
typedef struct {
    __m512i left, m, m_odd;
    /* 2^30 + k's positive part × 2^31, 2^31 when e ≥ 1 (taken off below −2^30), and 31 + e: even lanes, odd lanes */
    __m512i n_even, n_odd, d_even, d_odd, s_even, s_odd;
} requant16_t;

/* requant16_t for the channels in `mask` (masked loads: never past the per-channel arrays; other lanes unused). */
VNNI static inline requant16_t requant16_prepare_masked(const int32_t *mp, const int32_t *sp, __mmask16 mask) {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i s = _mm512_maskz_loadu_epi32(mask, sp);
    const __m512i right = _mm512_max_epi32(_mm512_sub_epi32(zero, s), zero);
    requant16_t r;
    r.left = _mm512_max_epi32(s, zero);
    r.m = _mm512_maskz_loadu_epi32(mask, mp);
    r.m_odd = _mm512_srli_epi64(r.m, 32);
    const __m512i e_even = _mm512_and_si512(right, _mm512_set1_epi64(0xFFFFFFFF)), e_odd = _mm512_srli_epi64(right, 32);
    const __m512i base = _mm512_set1_epi64((int64_t)1 << 30), thirty = _mm512_set1_epi64(30);
    const __mmask8 round_even = _mm512_cmpgt_epi64_mask(e_even, _mm512_setzero_si512());
    const __mmask8 round_odd = _mm512_cmpgt_epi64_mask(e_odd, _mm512_setzero_si512());
    r.n_even = _mm512_mask_add_epi64(base, round_even, base, _mm512_sllv_epi64(_mm512_set1_epi64(1), _mm512_add_epi64(e_even, thirty)));
    r.n_odd = _mm512_mask_add_epi64(base, round_odd, base, _mm512_sllv_epi64(_mm512_set1_epi64(1), _mm512_add_epi64(e_odd, thirty)));
    r.d_even = _mm512_maskz_mov_epi64(round_even, _mm512_set1_epi64((int64_t)1 << 31));
    r.d_odd = _mm512_maskz_mov_epi64(round_odd, _mm512_set1_epi64((int64_t)1 << 31));
    r.s_even = _mm512_add_epi64(e_even, _mm512_set1_epi64(31));
    r.s_odd = _mm512_add_epi64(e_odd, _mm512_set1_epi64(31));
    return r;
}

VNNI static inline requant16_t requant16_prepare(const int32_t *mp, const int32_t *sp) {
    return requant16_prepare_masked(mp, sp, (__mmask16)0xFFFF);
}

/* TFLM's requantization of 16 int32 lanes with prepared constants, + zero point, clamped (as int32 lanes). */
VNNI static inline __m512i requant16(__m512i acc, const requant16_t *r, __m512i zp, __m512i lo, __m512i hi) {
    const __m512i below = _mm512_set1_epi64(-((int64_t)1 << 30));
    const __m512i x = _mm512_sllv_epi32(acc, r->left);
    const __m512i t_even = _mm512_mul_epi32(x, r->m), t_odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), r->m_odd);
    __m512i u_even = _mm512_add_epi64(t_even, r->n_even), u_odd = _mm512_add_epi64(t_odd, r->n_odd);
    u_even = _mm512_mask_sub_epi64(u_even, _mm512_cmplt_epi64_mask(t_even, below), u_even, r->d_even);
    u_odd = _mm512_mask_sub_epi64(u_odd, _mm512_cmplt_epi64_mask(t_odd, below), u_odd, r->d_odd);
    const __m512i q = _mm512_mask_blend_epi32(0xAAAA, _mm512_srav_epi64(u_even, r->s_even),
                                              _mm512_slli_epi64(_mm512_srav_epi64(u_odd, r->s_odd), 32));
    return _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(q, zp), lo), hi);
}

/* requant16 stored as 16 bytes. */
VNNI static inline void requant16_store(__m512i acc, const requant16_t *r, __m512i zp, __m512i lo, __m512i hi,
                                        int8_t *out) {
    _mm_storeu_si128((__m128i *)out, _mm512_cvtepi32_epi8(requant16(acc, r, zp, lo, hi)));
}

/* requant16 of the lanes in `mask` only. */
VNNI static inline void requant16_store_masked(__m512i acc, const requant16_t *r, __m512i zp, __m512i lo, __m512i hi,
                                               int8_t *out, __mmask16 mask) {
    _mm_mask_storeu_epi8(out, mask, _mm512_cvtepi32_epi8(requant16(acc, r, zp, lo, hi)));
}

/* `count` accumulators → int8, 16 at a time (fa_requantize on this set: its extreme-value check covers requant16). */
VNNI static void requantize_vnni(int count, const int32_t *acc, const int32_t *m, const int32_t *s, int32_t zp,
                                 int32_t lo, int32_t hi, int8_t *out) {
    const __m512i vzp = _mm512_set1_epi32(zp), vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
    for (int i = 0; i < count; i += 16) {
        const int n = count - i < 16 ? count - i : 16;
        const __mmask16 mask = (__mmask16)((1u << n) - 1u);
        const requant16_t r = requant16_prepare_masked(m + i, s + i, mask);
        requant16_store_masked(_mm512_maskz_loadu_epi32(mask, acc + i), &r, vzp, vlo, vhi, out + i, mask);
    }
}

/* 16 accumulators (+ base) → requantized, clamped bytes at out (the first `valid`). */
VNNI static inline void requant_store16(__m512i acc, const int32_t *mp, const int32_t *sp, __m512i zp, __m512i lo,
                                        __m512i hi, int8_t *out, int valid) {
    __m512i q = mbqm16(acc, _mm512_loadu_si512((const void *)mp), _mm512_loadu_si512((const void *)sp));
    q = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(q, zp), lo), hi);
    __m128i bytes = _mm512_cvtepi32_epi8(q);
    if (valid == 16)
        _mm_storeu_si128((__m128i *)out, bytes);
    else
        _mm_mask_storeu_epi8(out, (__mmask16)((1u << valid) - 1u), bytes);
}

/* Bias (and correction) + accumulators → requantized bytes for up to 4 rows. */
AVX2 static inline void finish_rows(__m256i acc[4], int mr, const fa_requant_t *rq, int c0, int valid,
                                    int8_t *const out[4], __m256i base) {
    const __m256i vzp = _mm256_set1_epi32(rq->output_zero_point), vlo = _mm256_set1_epi32(rq->activation_min),
                  vhi = _mm256_set1_epi32(rq->activation_max);
    for (int i = 0; i < mr; i++) {
        __m256i v = requant8(_mm256_add_epi32(acc[i], base), rq->multipliers + c0, rq->shifts + c0, vzp, vlo, vhi);
        store8(v, out[i] + c0, valid);
    }
}

/* Four activation bytes as int16 lanes, repeated over the register: (a0 a1 a2 a3) × 4. */
AVX2 static inline __m256i broadcast4(int32_t a) {
    return _mm256_broadcastq_epi64(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(a)));
}

AVX2 static void gemm_4x8_avx2(const int8_t *const rows[4], int mr, int depth, const int8_t *block,
                               const fa_requant_t *rq, int c0, int valid, int8_t *const out[4]) {
    /* lo: channels 0-3, hi: 4-7, as pairs (k0+k1, k2+k3) per channel. */
    __m256i lo0 = _mm256_setzero_si256(), lo1 = lo0, lo2 = lo0, lo3 = lo0;
    __m256i hi0 = lo0, hi1 = lo0, hi2 = lo0, hi3 = lo0;
    const int8_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    int groups = depth / 4, tail = depth % 4;
    int g = 0;
    /* Four groups at once: 16 bytes of each row widened once, each group's 4 values spread with one permute. */
#define FA_AVX2_STEP(j, spread)                                                                                      \
    do {                                                                                                           \
        __m256i wb = _mm256_loadu_si256((const __m256i *)(block + 32 * (g + j)));                                  \
        __m256i wl = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(wb));                                             \
        __m256i wh = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(wb, 1));                                        \
        __m256i b = _mm256_permute4x64_epi64(x0, spread);                                                          \
        lo0 = _mm256_add_epi32(lo0, _mm256_madd_epi16(wl, b)), hi0 = _mm256_add_epi32(hi0, _mm256_madd_epi16(wh, b)); \
        b = _mm256_permute4x64_epi64(x1, spread);                                                                  \
        lo1 = _mm256_add_epi32(lo1, _mm256_madd_epi16(wl, b)), hi1 = _mm256_add_epi32(hi1, _mm256_madd_epi16(wh, b)); \
        b = _mm256_permute4x64_epi64(x2, spread);                                                                  \
        lo2 = _mm256_add_epi32(lo2, _mm256_madd_epi16(wl, b)), hi2 = _mm256_add_epi32(hi2, _mm256_madd_epi16(wh, b)); \
        b = _mm256_permute4x64_epi64(x3, spread);                                                                  \
        lo3 = _mm256_add_epi32(lo3, _mm256_madd_epi16(wl, b)), hi3 = _mm256_add_epi32(hi3, _mm256_madd_epi16(wh, b)); \
    } while (0)
    for (; g + 4 <= groups; g += 4) {
        __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(r0 + 4 * g)));
        __m256i x1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(r1 + 4 * g)));
        __m256i x2 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(r2 + 4 * g)));
        __m256i x3 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(r3 + 4 * g)));
        FA_AVX2_STEP(0, 0x00);
        FA_AVX2_STEP(1, 0x55);
        FA_AVX2_STEP(2, 0xAA);
        FA_AVX2_STEP(3, 0xFF);
    }
#undef FA_AVX2_STEP
    for (; g <= groups; g++) {
        int32_t a0, a1, a2, a3;
        if (g < groups) {
            a0 = fa_load4(r0 + 4 * g), a1 = fa_load4(r1 + 4 * g), a2 = fa_load4(r2 + 4 * g), a3 = fa_load4(r3 + 4 * g);
        } else if (tail) {
            a0 = fa_load_tail(r0 + 4 * g, tail), a1 = fa_load_tail(r1 + 4 * g, tail);
            a2 = fa_load_tail(r2 + 4 * g, tail), a3 = fa_load_tail(r3 + 4 * g, tail);
        } else {
            break;
        }
        __m256i wb = _mm256_loadu_si256((const __m256i *)(block + 32 * g));
        __m256i wl = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(wb));
        __m256i wh = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(wb, 1));
        __m256i b;
        b = broadcast4(a0), lo0 = _mm256_add_epi32(lo0, _mm256_madd_epi16(wl, b)), hi0 = _mm256_add_epi32(hi0, _mm256_madd_epi16(wh, b));
        b = broadcast4(a1), lo1 = _mm256_add_epi32(lo1, _mm256_madd_epi16(wl, b)), hi1 = _mm256_add_epi32(hi1, _mm256_madd_epi16(wh, b));
        b = broadcast4(a2), lo2 = _mm256_add_epi32(lo2, _mm256_madd_epi16(wl, b)), hi2 = _mm256_add_epi32(hi2, _mm256_madd_epi16(wh, b));
        b = broadcast4(a3), lo3 = _mm256_add_epi32(lo3, _mm256_madd_epi16(wl, b)), hi3 = _mm256_add_epi32(hi3, _mm256_madd_epi16(wh, b));
    }
    /* hadd gives (c0 c1 c4 c5 | c2 c3 c6 c7); reorder the 64-bit pairs to c0..c7. */
    __m256i acc[4] = {
        _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo0, hi0), 0xD8),
        _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo1, hi1), 0xD8),
        _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo2, hi2), 0xD8),
        _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo3, hi3), 0xD8),
    };
    finish_rows(acc, mr, rq, c0, valid, out, _mm256_loadu_si256((const __m256i *)(rq->bias + c0)));
}

VNNI static void gemm_4x8_vnni(const int8_t *const rows[4], int mr, int depth, const int8_t *block,
                               const fa_requant_t *rq, int c0, int valid, int8_t *const out[4]) {
    __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    const int8_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    /* Rows come flipped (prepare_rows_vnni), with slack: a last partial group reads bytes that meet zero weights. */
    int groups = (depth + 3) / 4;
    for (int g = 0; g < groups; g++) {
        __m256i wb = _mm256_loadu_si256((const __m256i *)(block + 32 * g));
        acc0 = _mm256_dpbusd_epi32(acc0, _mm256_set1_epi32(fa_load4(r0 + 4 * g)), wb);
        acc1 = _mm256_dpbusd_epi32(acc1, _mm256_set1_epi32(fa_load4(r1 + 4 * g)), wb);
        acc2 = _mm256_dpbusd_epi32(acc2, _mm256_set1_epi32(fa_load4(r2 + 4 * g)), wb);
        acc3 = _mm256_dpbusd_epi32(acc3, _mm256_set1_epi32(fa_load4(r3 + 4 * g)), wb);
    }
    __m256i acc[4] = {acc0, acc1, acc2, acc3};
    __m256i sums = _mm256_loadu_si256((const __m256i *)(rq->weight_sums + c0));
    __m256i base = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(rq->bias + c0)), _mm256_slli_epi32(sums, 7));
    finish_rows(acc, mr, rq, c0, valid, out, base);
}

/* The 4 rows as unsigned bytes (a ^ 0x80) in `buffer`, each followed by slack (masked loads never read past a row). */
VNNI static void prepare_rows_vnni(const int8_t *const rows[4], int mr, int depth, int8_t *buffer,
                                   const int8_t *flipped[4]) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    const int stride = FA_FLIP_MAX + 64;
    for (int i = 0; i < mr; i++) {
        int8_t *dst = buffer + (size_t)i * stride;
        for (int k = 0; k < depth; k += 64) {
            int n = depth - k < 64 ? depth - k : 64;
            __m512i v = _mm512_maskz_loadu_epi8(n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1), rows[i] + k);
            _mm512_storeu_si512((void *)(dst + k), _mm512_xor_si512(v, flip));
        }
        if (depth % 64 == 0) _mm_storeu_si128((__m128i *)(dst + depth), _mm_set1_epi8((char)0x80));
        flipped[i] = dst;
    }
    for (int i = mr; i < 4; i++) flipped[i] = flipped[0];
}

/* 4 rows × 16 channels (two packed blocks side by side in one 512-bit register). */
VNNI static void gemm_4x16_vnni(const int8_t *const rows[4], int mr, int depth, const int8_t *block, int block_bytes,
                                const fa_requant_t *rq, int c0, int valid, int8_t *const out[4]) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    const int8_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    const int8_t *next = block + block_bytes;
    int groups = (depth + 3) / 4;
    for (int g = 0; g < groups; g++) {
        __m512i wb = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(block + 32 * g))),
                                        _mm256_loadu_si256((const __m256i *)(next + 32 * g)), 1);
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_set1_epi32(fa_load4(r0 + 4 * g)), wb);
        acc1 = _mm512_dpbusd_epi32(acc1, _mm512_set1_epi32(fa_load4(r1 + 4 * g)), wb);
        acc2 = _mm512_dpbusd_epi32(acc2, _mm512_set1_epi32(fa_load4(r2 + 4 * g)), wb);
        acc3 = _mm512_dpbusd_epi32(acc3, _mm512_set1_epi32(fa_load4(r3 + 4 * g)), wb);
    }
    __m512i sums = _mm512_loadu_si512((const void *)(rq->weight_sums + c0));
    __m512i base = _mm512_sub_epi32(_mm512_loadu_si512((const void *)(rq->bias + c0)), _mm512_slli_epi32(sums, 7));
    const __m512i zp = _mm512_set1_epi32(rq->output_zero_point), lo = _mm512_set1_epi32(rq->activation_min),
                  hi = _mm512_set1_epi32(rq->activation_max);
    __m512i acc[4] = {acc0, acc1, acc2, acc3};
    for (int i = 0; i < mr; i++)
        requant_store16(_mm512_add_epi32(acc[i], base), rq->multipliers + c0, rq->shifts + c0, zp, lo, hi, out[i] + c0,
                        valid);
}

/* 4 rows × 32 channels (four packed blocks in two 512-bit registers): each broadcast activation feeds two vpdpbusd.
 * valid in 25..32 (all four blocks and their per-channel values exist). */
VNNI static void gemm_4x32_vnni(const int8_t *const rows[4], int mr, int depth, const int8_t *block, int block_bytes,
                                const fa_requant_t *rq, int c0, int valid, int8_t *const out[4]) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    const int8_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    const int8_t *k1 = block + block_bytes, *k2 = block + 2 * block_bytes, *k3 = block + 3 * block_bytes;
    int groups = (depth + 3) / 4;
    for (int g = 0; g < groups; g++) {
        __m512i w0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(block + 32 * g))),
                                        _mm256_loadu_si256((const __m256i *)(k1 + 32 * g)), 1);
        __m512i w1 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(k2 + 32 * g))),
                                        _mm256_loadu_si256((const __m256i *)(k3 + 32 * g)), 1);
        __m512i x;
        x = _mm512_set1_epi32(fa_load4(r0 + 4 * g)), a0 = _mm512_dpbusd_epi32(a0, x, w0), b0 = _mm512_dpbusd_epi32(b0, x, w1);
        x = _mm512_set1_epi32(fa_load4(r1 + 4 * g)), a1 = _mm512_dpbusd_epi32(a1, x, w0), b1 = _mm512_dpbusd_epi32(b1, x, w1);
        x = _mm512_set1_epi32(fa_load4(r2 + 4 * g)), a2 = _mm512_dpbusd_epi32(a2, x, w0), b2 = _mm512_dpbusd_epi32(b2, x, w1);
        x = _mm512_set1_epi32(fa_load4(r3 + 4 * g)), a3 = _mm512_dpbusd_epi32(a3, x, w0), b3 = _mm512_dpbusd_epi32(b3, x, w1);
    }
    const __m512i zp = _mm512_set1_epi32(rq->output_zero_point), lo = _mm512_set1_epi32(rq->activation_min),
                  hi = _mm512_set1_epi32(rq->activation_max);
    __m512i baseA = _mm512_sub_epi32(_mm512_loadu_si512((const void *)(rq->bias + c0)),
                                     _mm512_slli_epi32(_mm512_loadu_si512((const void *)(rq->weight_sums + c0)), 7));
    __m512i baseB = _mm512_sub_epi32(_mm512_loadu_si512((const void *)(rq->bias + c0 + 16)),
                                     _mm512_slli_epi32(_mm512_loadu_si512((const void *)(rq->weight_sums + c0 + 16)), 7));
    __m512i accA[4] = {a0, a1, a2, a3}, accB[4] = {b0, b1, b2, b3};
    for (int i = 0; i < mr; i++) {
        requant_store16(_mm512_add_epi32(accA[i], baseA), rq->multipliers + c0, rq->shifts + c0, zp, lo, hi,
                        out[i] + c0, 16);
        requant_store16(_mm512_add_epi32(accB[i], baseB), rq->multipliers + c0 + 16, rq->shifts + c0 + 16, zp, lo, hi,
                        out[i] + c0 + 16, valid - 16);
    }
}

/* Depthwise, 16 channels per step: (x + offset) and w as int16 (|product| ≤ 255 × 128 fits), widened to int32. */
AVX2 static void depthwise_pixel_avx2(int depth, int taps, const int8_t *const *inputs, const int8_t *const *weights,
                                      int32_t offset, const fa_requant_t *rq, int8_t *out) {
    const __m256i off = _mm256_set1_epi16((int16_t)offset);
    const __m256i vzp = _mm256_set1_epi32(rq->output_zero_point), vlo = _mm256_set1_epi32(rq->activation_min),
                  vhi = _mm256_set1_epi32(rq->activation_max);
    int c = 0;
    for (; c + 16 <= depth; c += 16) {
        __m256i acc0 = _mm256_loadu_si256((const __m256i *)(rq->bias + c));
        __m256i acc1 = _mm256_loadu_si256((const __m256i *)(rq->bias + c + 8));
        for (int t = 0; t < taps; t++) {
            __m256i x = _mm256_add_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(inputs[t] + c))), off);
            __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(weights[t] + c)));
            __m256i p = _mm256_mullo_epi16(x, w);
            acc0 = _mm256_add_epi32(acc0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(p)));
            acc1 = _mm256_add_epi32(acc1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(p, 1)));
        }
        store8(requant8(acc0, rq->multipliers + c, rq->shifts + c, vzp, vlo, vhi), out + c, 8);
        store8(requant8(acc1, rq->multipliers + c + 8, rq->shifts + c + 8, vzp, vlo, vhi), out + c + 8, 8);
    }
    for (; c < depth; c++) {
        int32_t acc = rq->bias[c];
        for (int t = 0; t < taps; t++) acc += ((int32_t)inputs[t][c] + offset) * (int32_t)weights[t][c];
        out[c] = fa_requant1(acc, rq->multipliers[c], rq->shifts[c], rq->output_zero_point, rq->activation_min,
                             rq->activation_max);
    }
}

/* Depthwise, 32 channels per step on 512-bit registers (AVX-512BW), the rest as AVX2. */
VNNI static void depthwise_pixel_avx512(int depth, int taps, const int8_t *const *inputs, const int8_t *const *weights,
                                        int32_t offset, const fa_requant_t *rq, int8_t *out) {
    const __m512i off = _mm512_set1_epi16((int16_t)offset);
    const __m512i zp = _mm512_set1_epi32(rq->output_zero_point), lo = _mm512_set1_epi32(rq->activation_min),
                  hi = _mm512_set1_epi32(rq->activation_max);
    int c = 0;
    for (; c + 32 <= depth; c += 32) {
        __m512i acc0 = _mm512_loadu_si512((const void *)(rq->bias + c));
        __m512i acc1 = _mm512_loadu_si512((const void *)(rq->bias + c + 16));
        for (int t = 0; t < taps; t++) {
            __m512i x = _mm512_add_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(inputs[t] + c))), off);
            __m512i w = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(weights[t] + c)));
            __m512i p = _mm512_mullo_epi16(x, w);
            acc0 = _mm512_add_epi32(acc0, _mm512_cvtepi16_epi32(_mm512_castsi512_si256(p)));
            acc1 = _mm512_add_epi32(acc1, _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(p, 1)));
        }
        requant_store16(acc0, rq->multipliers + c, rq->shifts + c, zp, lo, hi, out + c, 16);
        requant_store16(acc1, rq->multipliers + c + 16, rq->shifts + c + 16, zp, lo, hi, out + c + 16, 16);
    }
    if (c < depth) {
        const int8_t *in[FA_DEPTHWISE_MAX_TAPS], *wt[FA_DEPTHWISE_MAX_TAPS];
        for (int t = 0; t < taps; t++) in[t] = inputs[t] + c, wt[t] = weights[t] + c;
        fa_requant_t rest = *rq;
        rest.bias += c, rest.multipliers += c, rest.shifts += c;
        depthwise_pixel_avx2(depth - c, taps, in, wt, offset, &rest, out + c);
    }
}

AVX2 static void add_avx2(int count, const fa_add_t *p, const int8_t *a, const int8_t *b, int8_t *out) {
    const __m256i off1 = _mm256_set1_epi32(p->input1_offset), off2 = _mm256_set1_epi32(p->input2_offset);
    const __m128i left = _mm_cvtsi32_si128(p->left_shift);
    const __m256i m1 = _mm256_set1_epi32(p->input1_multiplier), s1 = _mm256_set1_epi32(p->input1_shift);
    const __m256i m2 = _mm256_set1_epi32(p->input2_multiplier), s2 = _mm256_set1_epi32(p->input2_shift);
    const __m256i mo = _mm256_set1_epi32(p->output_multiplier), so = _mm256_set1_epi32(p->output_shift);
    const __m256i zp = _mm256_set1_epi32(p->output_zero_point), lo = _mm256_set1_epi32(p->activation_min),
                  hi = _mm256_set1_epi32(p->activation_max);
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256i x = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(a + i)));
        __m256i y = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b + i)));
        x = mbqm8(_mm256_sll_epi32(_mm256_add_epi32(x, off1), left), m1, s1);
        y = mbqm8(_mm256_sll_epi32(_mm256_add_epi32(y, off2), left), m2, s2);
        __m256i v = _mm256_add_epi32(mbqm8(_mm256_add_epi32(x, y), mo, so), zp);
        store8(_mm256_min_epi32(_mm256_max_epi32(v, lo), hi), out + i, 8);
    }
    for (; i < count; i++) out[i] = fa_add1(p, a[i], b[i]);
}

/* N (≤ 4) neighbouring pixels of a row, every tap inside the input, 32 channels each (depthwise_op_avx512's block):
 * the pixels' accumulators are independent chains, so vpdpwssd's latency overlaps across them. */
VNNI static inline __attribute__((always_inline)) void depthwise32_row(
    const int N, const int8_t *origin, ptrdiff_t step, const ptrdiff_t *offsets, int pairs, const __m512i *wlo,
    const __m512i *whi, __m512i bias0, __m512i bias1, const requant16_t *r0, const requant16_t *r1, __m512i zp,
    __m512i lo, __m512i hi, int8_t *o, int depth) {
    const __m512i order0 = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i order1 = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    __m512i l0 = _mm512_setzero_si512(), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
    for (int q = 0; q < pairs; q++) {
        const int8_t *a = origin + offsets[2 * q], *b = origin + offsets[2 * q + 1];
        const __m512i wl = wlo[q], wh = whi[q];
#define FA_DW_PIXEL(i, l, h)                                                                                           \
    if (N > i) {                                                                                                       \
        __m512i x0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(a + i * step)));                        \
        __m512i x1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i * step)));                        \
        l = _mm512_dpwssd_epi32(l, _mm512_unpacklo_epi16(x0, x1), wl);                                                 \
        h = _mm512_dpwssd_epi32(h, _mm512_unpackhi_epi16(x0, x1), wh);                                                 \
    }
        FA_DW_PIXEL(0, l0, h0)
        FA_DW_PIXEL(1, l1, h1)
        FA_DW_PIXEL(2, l2, h2)
        FA_DW_PIXEL(3, l3, h3)
#undef FA_DW_PIXEL
    }
    const __m512i l[4] = {l0, l1, l2, l3}, h[4] = {h0, h1, h2, h3};
    for (int i = 0; i < N; i++) {
        requant16_store(_mm512_add_epi32(_mm512_permutex2var_epi32(l[i], order0, h[i]), bias0), r0, zp, lo, hi,
                        o + i * depth);
        requant16_store(_mm512_add_epi32(_mm512_permutex2var_epi32(l[i], order1, h[i]), bias1), r1, zp, lo, hi,
                        o + i * depth + 16);
    }
}

/* depthwise32_row for a block of 16 channels (256-bit registers). */
VNNI static inline __attribute__((always_inline)) void depthwise16_row(
    const int N, const int8_t *origin, ptrdiff_t step, const ptrdiff_t *offsets, int pairs, const __m256i *vlo,
    const __m256i *vhi, __m512i bias0, const requant16_t *r0, __m512i zp, __m512i lo, __m512i hi, int8_t *o,
    int depth) {
    const __m512i order = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
    __m256i l0 = _mm256_setzero_si256(), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
    for (int q = 0; q < pairs; q++) {
        const int8_t *a = origin + offsets[2 * q], *b = origin + offsets[2 * q + 1];
        const __m256i wl = vlo[q], wh = vhi[q];
#define FA_DW_PIXEL(i, l, h)                                                                                           \
    if (N > i) {                                                                                                       \
        __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i * step)));                           \
        __m256i x1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i * step)));                           \
        l = _mm256_dpwssd_epi32(l, _mm256_unpacklo_epi16(x0, x1), wl);                                                 \
        h = _mm256_dpwssd_epi32(h, _mm256_unpackhi_epi16(x0, x1), wh);                                                 \
    }
        FA_DW_PIXEL(0, l0, h0)
        FA_DW_PIXEL(1, l1, h1)
        FA_DW_PIXEL(2, l2, h2)
        FA_DW_PIXEL(3, l3, h3)
#undef FA_DW_PIXEL
    }
    const __m256i l[4] = {l0, l1, l2, l3}, h[4] = {h0, h1, h2, h3};
    for (int i = 0; i < N; i++) {
        /* (0-3 8-11 | 4-7 12-15) → 0..15 */
        __m512i acc = _mm512_permutexvar_epi32(order, _mm512_inserti64x4(_mm512_castsi256_si512(l[i]), h[i], 1));
        requant16_store(_mm512_add_epi32(acc, bias0), r0, zp, lo, hi, o + i * depth);
    }
}

/* A whole depthwise convolution with multiplier 1 and depth ≤ FA_DEPTHWISE_MAX_PAD, 32 channels per block: taps
 * in pairs, x as int16 interleaved with the next tap's, vpmaddwd against the weights interleaved the same way once
 * per block; the input offset folded into the bias and per-channel constants prepared once per block. Taps outside
 * the input read a row of the input zero point, which adds (zp − zp) × w = 0: exactly TFLM's skipping. Channels
 * past the last block of 32 go in a block of 16, then per pixel through the AVX2 kernel. */
VNNI static void depthwise_op_avx512(const fa_depthwise_t *c, const int8_t *input, int8_t *output) {
    const int depth = c->depth, taps = c->filter_height * c->filter_width, pairs = (taps + 1) / 2;
    const int32_t offset = -c->input_zero_point;
    const fa_requant_t *rq = &c->requant;
    const __m512i zero = _mm512_setzero_si512();
    const __m512i zp = _mm512_set1_epi32(rq->output_zero_point), lo = _mm512_set1_epi32(rq->activation_min),
                  hi = _mm512_set1_epi32(rq->activation_max);
    /* unpacklo/hi leave channels (0-3 8-11 16-19 24-27) and (4-7 12-15 20-23 28-31); these put them back. */
    const __m512i order0 = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i order1 = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    int8_t pad[FA_DEPTHWISE_MAX_PAD];
    memset(pad, (int8_t)c->input_zero_point, (size_t)depth);
    __m512i wlo[FA_DEPTHWISE_MAX_TAPS / 2], whi[FA_DEPTHWISE_MAX_TAPS / 2];
    const int8_t *tap[FA_DEPTHWISE_MAX_TAPS + 1];
    const size_t image_bytes = (size_t)c->input_height * c->input_width * depth;
    const size_t out_pixels = (size_t)c->output_height * c->output_width;
    ptrdiff_t offsets[FA_DEPTHWISE_MAX_TAPS + 1]; /* tap t of a pixel whose taps are all inside: origin + offsets[t] */
    for (int ky = 0, t = 0; ky < c->filter_height; ky++)
        for (int kx = 0; kx < c->filter_width; kx++, t++)
            offsets[t] = ((ptrdiff_t)ky * c->dilation_height * c->input_width + (ptrdiff_t)kx * c->dilation_width) * depth;
    offsets[taps] = offsets[taps - 1]; /* an odd last tap pairs with itself against zero weights */
    const int lastY = (c->filter_height - 1) * c->dilation_height, lastX = (c->filter_width - 1) * c->dilation_width;
    int c0 = 0;
    for (; c0 + 32 <= depth; c0 += 32) {
        for (int q = 0; q < pairs; q++) {
            const int8_t *w = c->weights + (size_t)(2 * q) * depth + c0;
            __m512i w0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)w));
            __m512i w1 = 2 * q + 1 < taps ? _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(w + depth))) : zero;
            wlo[q] = _mm512_unpacklo_epi16(w0, w1);
            whi[q] = _mm512_unpackhi_epi16(w0, w1);
        }
        /* The offset folded into the bias: Σ (x + offset) w = Σ x w + offset × Σ w over every tap (outside taps read
         * the zero point: x w + offset w = 0 there too). */
        __m512i sum0 = zero, sum1 = zero;
        for (int t = 0; t < taps; t++) {
            const int8_t *w = c->weights + (size_t)t * depth + c0;
            sum0 = _mm512_add_epi32(sum0, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)w)));
            sum1 = _mm512_add_epi32(sum1, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(w + 16))));
        }
        const __m512i voff = _mm512_set1_epi32(offset);
        const __m512i bias0 = _mm512_add_epi32(_mm512_loadu_si512((const void *)(rq->bias + c0)), _mm512_mullo_epi32(sum0, voff));
        const __m512i bias1 = _mm512_add_epi32(_mm512_loadu_si512((const void *)(rq->bias + c0 + 16)),
                                               _mm512_mullo_epi32(sum1, voff));
        const requant16_t r0 = requant16_prepare(rq->multipliers + c0, rq->shifts + c0);
        const requant16_t r1 = requant16_prepare(rq->multipliers + c0 + 16, rq->shifts + c0 + 16);
        for (int b = 0; b < c->batches; b++) {
            const int8_t *image = input + (size_t)b * image_bytes;
            int8_t *o = output + (size_t)b * out_pixels * depth + c0;
            for (int oy = 0; oy < c->output_height; oy++) {
                int originY = oy * c->stride_height - c->pad_top;
                int insideY = originY >= 0 && originY + lastY < c->input_height;
                for (int ox = 0; ox < c->output_width; ox++, o += depth) {
                    int originX = ox * c->stride_width - c->pad_left;
                    if (insideY && originX >= 0) {
                        /* Up to 4 pixels from here whose taps are all inside, at once. */
                        int n = c->output_width - ox < 4 ? c->output_width - ox : 4;
                        while (n > 0 && originX + (n - 1) * c->stride_width + lastX >= c->input_width) n--;
                        if (n > 0) {
                            const int8_t *origin = image + ((size_t)originY * c->input_width + originX) * depth + c0;
                            const ptrdiff_t step = (ptrdiff_t)c->stride_width * depth;
                            if (n == 4)
                                depthwise32_row(4, origin, step, offsets, pairs, wlo, whi, bias0, bias1, &r0, &r1, zp, lo, hi, o, depth);
                            else if (n == 3)
                                depthwise32_row(3, origin, step, offsets, pairs, wlo, whi, bias0, bias1, &r0, &r1, zp, lo, hi, o, depth);
                            else if (n == 2)
                                depthwise32_row(2, origin, step, offsets, pairs, wlo, whi, bias0, bias1, &r0, &r1, zp, lo, hi, o, depth);
                            else
                                depthwise32_row(1, origin, step, offsets, pairs, wlo, whi, bias0, bias1, &r0, &r1, zp, lo, hi, o, depth);
                            ox += n - 1, o += (size_t)(n - 1) * depth;
                            continue;
                        }
                    }
                    __m512i accL = zero, accH = zero;
                    if (insideY && originX >= 0 && originX + lastX < c->input_width) {
                        const int8_t *origin = image + ((size_t)originY * c->input_width + originX) * depth + c0;
                        for (int q = 0; q < pairs; q++) {
                            __m512i x0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(origin + offsets[2 * q])));
                            __m512i x1 =
                                _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(origin + offsets[2 * q + 1])));
                            accL = _mm512_dpwssd_epi32(accL, _mm512_unpacklo_epi16(x0, x1), wlo[q]);
                            accH = _mm512_dpwssd_epi32(accH, _mm512_unpackhi_epi16(x0, x1), whi[q]);
                        }
                    } else {
                        for (int ky = 0, t = 0; ky < c->filter_height; ky++) {
                            int y = originY + ky * c->dilation_height;
                            int row_inside = y >= 0 && y < c->input_height;
                            for (int kx = 0; kx < c->filter_width; kx++, t++) {
                                int x = originX + kx * c->dilation_width;
                                tap[t] = row_inside && x >= 0 && x < c->input_width
                                    ? image + ((size_t)y * c->input_width + x) * depth + c0 : pad + c0;
                            }
                        }
                        tap[taps] = pad + c0; /* the partner of an odd last tap (its weights are zero) */
                        for (int q = 0; q < pairs; q++) {
                            __m512i x0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)tap[2 * q]));
                            __m512i x1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)tap[2 * q + 1]));
                            accL = _mm512_dpwssd_epi32(accL, _mm512_unpacklo_epi16(x0, x1), wlo[q]);
                            accH = _mm512_dpwssd_epi32(accH, _mm512_unpackhi_epi16(x0, x1), whi[q]);
                        }
                    }
                    requant16_store(_mm512_add_epi32(_mm512_permutex2var_epi32(accL, order0, accH), bias0), &r0, zp, lo,
                                    hi, o);
                    requant16_store(_mm512_add_epi32(_mm512_permutex2var_epi32(accL, order1, accH), bias1), &r1, zp, lo,
                                    hi, o + 16);
                }
            }
        }
    }
    for (; c0 + 16 <= depth; c0 += 16) {
        /* A block of 16 on 256-bit registers: unpack leaves channels (0-3 8-11) and (4-7 12-15). */
        const __m256i zero8 = _mm256_setzero_si256();
        __m256i vlo[FA_DEPTHWISE_MAX_TAPS / 2], vhi[FA_DEPTHWISE_MAX_TAPS / 2];
        for (int q = 0; q < pairs; q++) {
            const int8_t *w = c->weights + (size_t)(2 * q) * depth + c0;
            __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w));
            __m256i w1 = 2 * q + 1 < taps ? _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + depth))) : zero8;
            vlo[q] = _mm256_unpacklo_epi16(w0, w1);
            vhi[q] = _mm256_unpackhi_epi16(w0, w1);
        }
        const __m512i order = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
        __m512i sum = zero;
        for (int t = 0; t < taps; t++)
            sum = _mm512_add_epi32(sum, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(c->weights + (size_t)t * depth + c0))));
        const __m512i bias0 = _mm512_add_epi32(_mm512_loadu_si512((const void *)(rq->bias + c0)),
                                               _mm512_mullo_epi32(sum, _mm512_set1_epi32(offset)));
        const requant16_t r0 = requant16_prepare(rq->multipliers + c0, rq->shifts + c0);
        for (int b = 0; b < c->batches; b++) {
            const int8_t *image = input + (size_t)b * image_bytes;
            int8_t *o = output + (size_t)b * out_pixels * depth + c0;
            for (int oy = 0; oy < c->output_height; oy++) {
                int originY = oy * c->stride_height - c->pad_top;
                int insideY = originY >= 0 && originY + lastY < c->input_height;
                for (int ox = 0; ox < c->output_width; ox++, o += depth) {
                    int originX = ox * c->stride_width - c->pad_left;
                    if (insideY && originX >= 0) {
                        /* Up to 4 pixels from here whose taps are all inside, at once. */
                        int n = c->output_width - ox < 4 ? c->output_width - ox : 4;
                        while (n > 0 && originX + (n - 1) * c->stride_width + lastX >= c->input_width) n--;
                        if (n > 0) {
                            const int8_t *origin = image + ((size_t)originY * c->input_width + originX) * depth + c0;
                            const ptrdiff_t step = (ptrdiff_t)c->stride_width * depth;
                            if (n == 4)
                                depthwise16_row(4, origin, step, offsets, pairs, vlo, vhi, bias0, &r0, zp, lo, hi, o, depth);
                            else if (n == 3)
                                depthwise16_row(3, origin, step, offsets, pairs, vlo, vhi, bias0, &r0, zp, lo, hi, o, depth);
                            else if (n == 2)
                                depthwise16_row(2, origin, step, offsets, pairs, vlo, vhi, bias0, &r0, zp, lo, hi, o, depth);
                            else
                                depthwise16_row(1, origin, step, offsets, pairs, vlo, vhi, bias0, &r0, zp, lo, hi, o, depth);
                            ox += n - 1, o += (size_t)(n - 1) * depth;
                            continue;
                        }
                    }
                    { /* a pixel with taps outside: those read the pad row */
                        for (int ky = 0, t = 0; ky < c->filter_height; ky++) {
                            int y = originY + ky * c->dilation_height;
                            int row_inside = y >= 0 && y < c->input_height;
                            for (int kx = 0; kx < c->filter_width; kx++, t++) {
                                int x = originX + kx * c->dilation_width;
                                tap[t] = row_inside && x >= 0 && x < c->input_width
                                    ? image + ((size_t)y * c->input_width + x) * depth + c0 : pad + c0;
                            }
                        }
                        tap[taps] = pad + c0;
                    }
                    __m256i accL = zero8, accH = zero8;
                    for (int q = 0; q < pairs; q++) {
                        __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)tap[2 * q]));
                        __m256i x1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)tap[2 * q + 1]));
                        accL = _mm256_dpwssd_epi32(accL, _mm256_unpacklo_epi16(x0, x1), vlo[q]);
                        accH = _mm256_dpwssd_epi32(accH, _mm256_unpackhi_epi16(x0, x1), vhi[q]);
                    }
                    /* (0-3 8-11 | 4-7 12-15) → 0..15 */
                    __m512i acc = _mm512_permutexvar_epi32(order, _mm512_inserti64x4(_mm512_castsi256_si512(accL), accH, 1));
                    requant16_store(_mm512_add_epi32(acc, bias0), &r0, zp, lo, hi, o);
                }
            }
        }
    }
    if (c0 < depth) {
        /* The last channels: every tap (outside ones on the pad row, which add nothing) per pixel. */
        const int8_t *wt[FA_DEPTHWISE_MAX_TAPS];
        fa_requant_t rest = *rq;
        rest.bias += c0, rest.multipliers += c0, rest.shifts += c0;
        for (int t = 0; t < taps; t++) wt[t] = c->weights + (size_t)t * depth + c0;
        for (int b = 0; b < c->batches; b++) {
            const int8_t *image = input + (size_t)b * image_bytes;
            int8_t *o = output + (size_t)b * out_pixels * depth + c0;
            for (int oy = 0; oy < c->output_height; oy++) {
                int originY = oy * c->stride_height - c->pad_top;
                for (int ox = 0; ox < c->output_width; ox++, o += depth) {
                    int originX = ox * c->stride_width - c->pad_left;
                    for (int ky = 0, t = 0; ky < c->filter_height; ky++) {
                        int y = originY + ky * c->dilation_height;
                        int row_inside = y >= 0 && y < c->input_height;
                        for (int kx = 0; kx < c->filter_width; kx++, t++) {
                            int x = originX + kx * c->dilation_width;
                            tap[t] = row_inside && x >= 0 && x < c->input_width
                                ? image + ((size_t)y * c->input_width + x) * depth + c0 : pad + c0;
                        }
                    }
                    depthwise_pixel_avx2(depth - c0, taps, tap, wt, offset, &rest, o);
                }
            }
        }
    }
}

/* ADD, 16 lanes at a time (AVX-512F), the rest as AVX2. */
VNNI static void add_avx512(int count, const fa_add_t *p, const int8_t *a, const int8_t *b, int8_t *out) {
    const __m512i off1 = _mm512_set1_epi32(p->input1_offset), off2 = _mm512_set1_epi32(p->input2_offset);
    const __m128i left = _mm_cvtsi32_si128(p->left_shift);
    const __m512i m1 = _mm512_set1_epi32(p->input1_multiplier), s1 = _mm512_set1_epi32(p->input1_shift);
    const __m512i m2 = _mm512_set1_epi32(p->input2_multiplier), s2 = _mm512_set1_epi32(p->input2_shift);
    const __m512i mo = _mm512_set1_epi32(p->output_multiplier), so = _mm512_set1_epi32(p->output_shift);
    const __m512i zp = _mm512_set1_epi32(p->output_zero_point), lo = _mm512_set1_epi32(p->activation_min),
                  hi = _mm512_set1_epi32(p->activation_max);
    int i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512i x = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(a + i)));
        __m512i y = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + i)));
        x = mbqm16(_mm512_sll_epi32(_mm512_add_epi32(x, off1), left), m1, s1);
        y = mbqm16(_mm512_sll_epi32(_mm512_add_epi32(y, off2), left), m2, s2);
        __m512i v = _mm512_add_epi32(mbqm16(_mm512_add_epi32(x, y), mo, so), zp);
        _mm_storeu_si128((__m128i *)(out + i), _mm512_cvtepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi)));
    }
    if (i < count) add_avx2(count - i, p, a + i, b + i, out + i);
}

/* `n` bytes of `v` at dst, 64 at a time (the last store masked). */
VNNI static inline void fill_vnni(int8_t *dst, __m512i v, int n) {
    for (; n >= 64; n -= 64, dst += 64) _mm512_storeu_si512((void *)dst, v);
    if (n > 0) _mm512_mask_storeu_epi8(dst, ((__mmask64)1 << n) - 1, v);
}

/* `n` bytes from src to dst, each XORed with 0x80 (signed → unsigned). */
VNNI static inline void flip_copy_vnni(int8_t *dst, const int8_t *src, int n) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    for (; n >= 64; n -= 64, dst += 64, src += 64)
        _mm512_storeu_si512((void *)dst, _mm512_xor_si512(_mm512_loadu_si512((const void *)src), flip));
    if (n > 0) {
        __mmask64 m = ((__mmask64)1 << n) - 1;
        _mm512_mask_storeu_epi8(dst, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src), flip));
    }
}

/* The geometry conv_op_vnni reads: one image flipped to unsigned bytes inside a border of the (flipped) input zero
 * point wide enough for every tap of every pixel, and the window as `runs` runs of `run_groups` groups of 4 bytes at
 * run_offset[r] from a pixel's origin (the window's rows when its width is not dilated, else its single taps), in
 * the packed weights' [kh][kw][in_c] order. */
typedef struct {
    const int8_t *image;
    /* Bytes from one output pixel's origin to the next one's in a row, and to the next row's first. */
    ptrdiff_t col_step, row_step;
    int runs, run_groups;
    const ptrdiff_t *run_offset;
} conv_geometry_t;

/* Pixels [first, first + count) of output channels [c0, c0 + valid) (valid ≤ 16 × NB), MR pixels × 16 × NB channels
 * per register tile: per group of 4 bytes, one weight register per 16 channels feeds MR vpdpbusd each. The
 * requantization constants are prepared once for all the pixels. MR and NB are constants at every call. */
VNNI static inline __attribute__((always_inline)) void conv_block_vnni(const int MR, const int NB, const fa_conv_t *c,
                                                                       const conv_geometry_t *g, int first, int count,
                                                                       int c0, int valid, int8_t *image_out) {
    const fa_requant_t *rq = &c->requant;
    const int block_bytes = g->runs * g->run_groups * 32;
    const int8_t *w_lo[2], *w_hi[2];
    requant16_t r[2];
    __m512i base[2];
    __mmask16 mask[2];
    for (int h = 0; h < NB; h++) {
        int vh = valid - 16 * h > 16 ? 16 : valid - 16 * h;
        mask[h] = (__mmask16)((1u << vh) - 1u);
        w_lo[h] = c->weights + (size_t)(c0 / 8 + 2 * h) * block_bytes;
        w_hi[h] = vh > 8 ? w_lo[h] + block_bytes : w_lo[h]; /* a missing block: its lanes are computed, never stored */
        const int ch = c0 + 16 * h;
        r[h] = requant16_prepare_masked(rq->multipliers + ch, rq->shifts + ch, mask[h]);
        base[h] = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(mask[h], rq->bias + ch),
                                   _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask[h], rq->weight_sums + ch), 7));
    }
    const __m512i zp = _mm512_set1_epi32(rq->output_zero_point), lo = _mm512_set1_epi32(rq->activation_min),
                  hi = _mm512_set1_epi32(rq->activation_max);
    const int width = c->output_width, out_depth = c->output_depth;
    const ptrdiff_t row_step = g->row_step, col_step = g->col_step;
    int oy = first / width, ox = first % width;
    for (int p = first; p < first + count; p += MR) {
        const int mr = first + count - p < MR ? first + count - p : MR;
        const int8_t *origin[MR];
        for (int i = 0; i < MR; i++) {
            if (i < mr) {
                origin[i] = g->image + oy * row_step + ox * col_step;
                if (++ox == width) ox = 0, oy++;
            } else {
                origin[i] = origin[0];
            }
        }
        /* The tile in named registers (an array indexed in loops may stay in memory); rows past MR fold away. */
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        __m512i b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        const int8_t *wl0 = w_lo[0], *wh0 = w_hi[0], *wl1 = w_lo[NB - 1], *wh1 = w_hi[NB - 1];
        for (int run = 0; run < g->runs; run++) {
            const ptrdiff_t offset = g->run_offset[run];
            const int8_t *r0 = origin[0] + offset, *r1 = origin[MR > 1 ? 1 : 0] + offset;
            const int8_t *r2 = origin[MR > 2 ? 2 : 0] + offset, *r3 = origin[MR > 3 ? 3 : 0] + offset;
            const int8_t *r4 = origin[MR > 4 ? 4 : 0] + offset, *r5 = origin[MR > 5 ? 5 : 0] + offset;
            const int8_t *r6 = origin[MR > 6 ? 6 : 0] + offset, *r7 = origin[MR > 7 ? 7 : 0] + offset;
            for (int j = 0; j < g->run_groups; j++, wl0 += 32, wh0 += 32, wl1 += 32, wh1 += 32) {
                const __m512i w0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)wl0)),
                                                      _mm256_loadu_si256((const __m256i *)wh0), 1);
                __m512i w1 = w0;
                if (NB == 2)
                    w1 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)wl1)),
                                            _mm256_loadu_si256((const __m256i *)wh1), 1);
#define FA_VNNI_ROW(k, a, b, r)                                                                                        \
    if (MR > k) {                                                                                                      \
        const __m512i x = _mm512_set1_epi32(fa_load4(r + 4 * j));                                                      \
        a = _mm512_dpbusd_epi32(a, x, w0);                                                                             \
        if (NB == 2) b = _mm512_dpbusd_epi32(b, x, w1);                                                                \
    }
                FA_VNNI_ROW(0, a0, b0, r0)
                FA_VNNI_ROW(1, a1, b1, r1)
                FA_VNNI_ROW(2, a2, b2, r2)
                FA_VNNI_ROW(3, a3, b3, r3)
                FA_VNNI_ROW(4, a4, b4, r4)
                FA_VNNI_ROW(5, a5, b5, r5)
                FA_VNNI_ROW(6, a6, b6, r6)
                FA_VNNI_ROW(7, a7, b7, r7)
#undef FA_VNNI_ROW
            }
        }
        const __m512i acc[8][2] = {{a0, b0}, {a1, b1}, {a2, b2}, {a3, b3}, {a4, b4}, {a5, b5}, {a6, b6}, {a7, b7}};
        for (int i = 0; i < mr; i++) {
            int8_t *o = image_out + (size_t)(p + i) * out_depth + c0;
            for (int h = 0; h < NB; h++)
                requant16_store_masked(_mm512_add_epi32(acc[i][h], base[h]), &r[h], zp, lo, hi, o + 16 * h, mask[h]);
        }
    }
}

/* All pixels of channels [c0, c0 + valid): tiles of 8 pixels (16 channels) or 6 (32), the rest in one smaller tile. */
VNNI static void conv_channels_vnni(const fa_conv_t *c, const conv_geometry_t *g, int c0, int valid,
                                    int8_t *image_out) {
    const int pixels = c->output_height * c->output_width;
    if (valid > 16) {
        const int full = pixels / 6 * 6, rest = pixels - full;
        conv_block_vnni(6, 2, c, g, 0, full, c0, valid, image_out);
        if (rest > 2)
            conv_block_vnni(6, 2, c, g, full, rest, c0, valid, image_out);
        else if (rest > 0)
            conv_block_vnni(2, 2, c, g, full, rest, c0, valid, image_out);
    } else {
        const int full = pixels / 8 * 8, rest = pixels - full;
        conv_block_vnni(8, 1, c, g, 0, full, c0, valid, image_out);
        if (rest > 4)
            conv_block_vnni(8, 1, c, g, full, rest, c0, valid, image_out);
        else if (rest > 2)
            conv_block_vnni(4, 1, c, g, full, rest, c0, valid, image_out);
        else if (rest > 0)
            conv_block_vnni(2, 1, c, g, full, rest, c0, valid, image_out);
    }
}

/* A whole convolution whose zero-point-padded input fits FA_CONV_IMAGE_MAX. The image is flipped to unsigned bytes
 * and padded once; taps in the border read the input zero point, which adds (zp − zp) × w = 0 once the compiler has
 * folded −zp × Σ w into the bias: TFLM's result. When the window is runs of whole groups of 4 bytes (an input depth
 * of whole groups, or rows of taps kw × in_c bytes long, as in a first layer over one channel) or a single run (1×1,
 * or a column over a width-1 image), every pixel is read in place; otherwise (e.g. 3×3 over 3 channels) each
 * pixel's window is copied once from the padded image (no bounds checks) into rows of whole groups, if those fit
 * FA_CONV_IMAGE_MAX too. Then blocks of 32 (or 16) output channels against tiles of pixels. A single run's last
 * partial group reads up to 3 bytes past it (the next pixel's, or slack after the image), which meet zero weights. */
VNNI static int conv_op_vnni(const fa_conv_t *c, const int8_t *input, int8_t *output) {
    const int depth = c->input_depth;
    if (depth <= 0 || c->pad_top < 0 || c->pad_left < 0 || c->stride_height < 1 || c->stride_width < 1 ||
        c->dilation_height < 1 || c->dilation_width < 1 || c->output_height < 1 || c->output_width < 1 ||
        c->output_depth < 1 || c->filter_height < 1 || c->filter_width < 1)
        return 0;
    const int lastY = (c->output_height - 1) * c->stride_height - c->pad_top + (c->filter_height - 1) * c->dilation_height;
    const int lastX = (c->output_width - 1) * c->stride_width - c->pad_left + (c->filter_width - 1) * c->dilation_width;
    const int padded_height = c->pad_top + (lastY + 1 > c->input_height ? lastY + 1 : c->input_height);
    const int padded_width = c->pad_left + (lastX + 1 > c->input_width ? lastX + 1 : c->input_width);
    if ((size_t)padded_height * (size_t)padded_width * (size_t)depth > FA_CONV_IMAGE_MAX) return 0;
    const int taps = c->filter_height * c->filter_width;
    if (taps > FA_CONV_MAX_RUNS) return 0;
    ptrdiff_t run_offset[FA_CONV_MAX_RUNS];
    const ptrdiff_t row_bytes = (ptrdiff_t)padded_width * depth;
    int runs, run_bytes;
    if (c->dilation_width == 1 || c->filter_width == 1) {
        run_bytes = c->filter_width * depth;
        if (c->dilation_height == 1 && padded_width == c->filter_width) {
            /* The window's rows follow each other in memory: one run. */
            runs = 1, run_bytes *= c->filter_height, run_offset[0] = 0;
        } else {
            runs = c->filter_height;
            for (int ky = 0; ky < c->filter_height; ky++) run_offset[ky] = (ptrdiff_t)ky * c->dilation_height * row_bytes;
        }
    } else {
        runs = taps, run_bytes = depth;
        for (int ky = 0, t = 0; ky < c->filter_height; ky++)
            for (int kx = 0; kx < c->filter_width; kx++, t++)
                run_offset[t] = (ptrdiff_t)ky * c->dilation_height * row_bytes + (ptrdiff_t)kx * c->dilation_width * depth;
    }
    const ptrdiff_t col_step = (ptrdiff_t)c->stride_width * depth, row_step = (ptrdiff_t)c->stride_height * row_bytes;
    /* Otherwise a group would straddle two runs: copy the windows into rows of whole groups first. */
    const int in_place = run_bytes % 4 == 0 || runs == 1;
    const int field = taps * depth, field_stride = (field + 3) / 4 * 4;
    const int pixels = c->output_height * c->output_width;
    if (!in_place && (size_t)pixels * (size_t)field_stride > FA_CONV_IMAGE_MAX) return 0;
    static const ptrdiff_t no_offset[1] = {0};
    const conv_geometry_t g = in_place
        ? (conv_geometry_t){0, col_step, row_step, runs, (run_bytes + 3) / 4, run_offset}
        : (conv_geometry_t){0, field_stride, (ptrdiff_t)c->output_width * field_stride, 1, field_stride / 4, no_offset};
    int8_t padded[FA_CONV_IMAGE_MAX + 64] __attribute__((aligned(64), uninitialized));
    int8_t fields[FA_CONV_IMAGE_MAX] __attribute__((aligned(64), uninitialized));
    const __m512i pad = _mm512_set1_epi8((char)(c->input_zero_point ^ 0x80));
    const size_t image_bytes = (size_t)c->input_height * c->input_width * depth;
    const size_t out_bytes = (size_t)c->output_height * c->output_width * c->output_depth;
    const int run = c->input_width * depth, left = c->pad_left * depth, right = (int)row_bytes - left - run;
    for (int b = 0; b < c->batches; b++) {
        const int8_t *image = input + (size_t)b * image_bytes;
        int8_t *dst = padded;
        for (int py = 0; py < padded_height; py++, dst += row_bytes) {
            int y = py - c->pad_top;
            if (y < 0 || y >= c->input_height) {
                fill_vnni(dst, pad, (int)row_bytes);
            } else {
                fill_vnni(dst, pad, left);
                flip_copy_vnni(dst + left, image + (size_t)y * run, run);
                fill_vnni(dst + left + run, pad, right);
            }
        }
        _mm_storeu_si128((__m128i *)dst, _mm512_castsi512_si128(pad)); /* what a last partial group reads past the end */
        conv_geometry_t tiles = g;
        tiles.image = padded;
        if (!in_place) {
            /* Each pixel's runs one after the other, then up to 3 bytes that meet zero weights. */
            int8_t *f = fields;
            for (int oy = 0; oy < c->output_height; oy++) {
                for (int ox = 0; ox < c->output_width; ox++, f += field_stride) {
                    const int8_t *origin = padded + oy * row_step + ox * col_step;
                    for (int r = 0; r < runs; r++) {
                        const int8_t *src = origin + run_offset[r];
                        int8_t *d = f + r * run_bytes;
                        int k = 0;
                        for (; run_bytes - k > 64; k += 64)
                            _mm512_storeu_si512((void *)(d + k), _mm512_loadu_si512((const void *)(src + k)));
                        const int n = run_bytes - k;
                        const __mmask64 m = n == 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
                        _mm512_mask_storeu_epi8(d + k, m, _mm512_maskz_loadu_epi8(m, src + k));
                    }
                    for (int k = field; k < field_stride; k++) f[k] = 0;
                }
            }
            tiles.image = fields;
        }
        int8_t *image_out = output + (size_t)b * out_bytes;
        for (int c0 = 0; c0 < c->output_depth; c0 += 32) {
            int valid = c->output_depth - c0 < 32 ? c->output_depth - c0 : 32;
            conv_channels_vnni(c, &tiles, c0, valid, image_out);
        }
    }
    return 1;
}

/* A depthwise convolution with multiplier 1 whose zero-point-padded input fits FA_CONV_IMAGE_MAX: each image copied
 * once inside a border of the input zero point wide enough for every window, so that every pixel takes
 * depthwise_op_avx512's in-place path (border taps read the zero point, adding (zp − zp) × w = 0, as TFLM skips
 * them). Others run on depthwise_op_avx512 as they are. */
VNNI static void depthwise_op_vnni(const fa_depthwise_t *c, const int8_t *input, int8_t *output) {
    const int depth = c->depth;
    const int lastY = (c->output_height - 1) * c->stride_height - c->pad_top + (c->filter_height - 1) * c->dilation_height;
    const int lastX = (c->output_width - 1) * c->stride_width - c->pad_left + (c->filter_width - 1) * c->dilation_width;
    const int padded_height = c->pad_top + (lastY + 1 > c->input_height ? lastY + 1 : c->input_height);
    const int padded_width = c->pad_left + (lastX + 1 > c->input_width ? lastX + 1 : c->input_width);
    const int inside = c->pad_top == 0 && c->pad_left == 0 && lastY < c->input_height && lastX < c->input_width;
    if (inside || c->pad_top < 0 || c->pad_left < 0 || c->output_height < 1 || c->output_width < 1 ||
        (size_t)padded_height * (size_t)padded_width * (size_t)depth > FA_CONV_IMAGE_MAX) {
        depthwise_op_avx512(c, input, output);
        return;
    }
    int8_t padded[FA_CONV_IMAGE_MAX] __attribute__((aligned(64), uninitialized));
    const __m512i pad = _mm512_set1_epi8((char)c->input_zero_point);
    fa_depthwise_t p = *c;
    p.batches = 1, p.input_height = padded_height, p.input_width = padded_width, p.pad_top = 0, p.pad_left = 0;
    const int row_bytes = padded_width * depth, run = c->input_width * depth, left = c->pad_left * depth;
    const size_t image_bytes = (size_t)c->input_height * run;
    const size_t out_bytes = (size_t)c->output_height * c->output_width * depth;
    for (int b = 0; b < c->batches; b++) {
        const int8_t *image = input + (size_t)b * image_bytes;
        int8_t *dst = padded;
        for (int py = 0; py < padded_height; py++, dst += row_bytes) {
            int y = py - c->pad_top;
            if (y < 0 || y >= c->input_height) {
                fill_vnni(dst, pad, row_bytes);
            } else {
                fill_vnni(dst, pad, left);
                memcpy(dst + left, image + (size_t)y * run, (size_t)run);
                fill_vnni(dst + left + run, pad, row_bytes - left - run);
            }
        }
        depthwise_op_avx512(&p, padded, output + (size_t)b * out_bytes);
    }
}

const fa_isa_t fa_isa_x86_avx2 = {0, 0, gemm_4x8_avx2, 0, 0, depthwise_pixel_avx2, 0, add_avx2, requantize_avx2, 0};
const fa_isa_t fa_isa_x86_avx512vnni = {prepare_rows_vnni, &fa_isa_x86_avx2, gemm_4x8_vnni, gemm_4x16_vnni, gemm_4x32_vnni, depthwise_pixel_avx512,
                                        depthwise_op_vnni, add_avx512, requantize_vnni, conv_op_vnni};
#endif
