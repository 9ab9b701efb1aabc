/*
 * make check-kernels: every kernel set this CPU has (AVX2, AVX-512 VNNI; NEON, dot product under qemu-aarch64)
 * against straightforward scalar C, built with AddressSanitizer and UBSan: random convolutions (padding, strides,
 * dilation, 1..4 gathered rows, depths and channel counts off the tile sizes), depthwise convolutions (multipliers
 * 1..3), ADD, and the requantization of extreme accumulators (INT32_MIN/MAX, shifts -31..10). Exit status 1 on any
 * difference. The Swift tests (ReferenceModelTests) check the same kernels against TFLM's outputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CInt8Kernels.h"
#include "kernels.h"

static unsigned long long st = 88172645463325252ULL;
static unsigned rnd(void) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return (unsigned)st; }
static int ri(int lo, int hi) { return lo + (int)(rnd() % (unsigned)(hi - lo + 1)); }

int main(void) {
    int failures = 0, runs = 0;
    for (int set = 1; set < FA_KERNELS_COUNT; set++) {
        static const char *names[] = {"portable", "avx2", "avx512vnni", "neon", "dotprod", "sse41"};
        if (!fa_kernels_available(set)) continue;
        printf("kernel check: %s\n", names[set]);
        fa_kernels_select(set);
        /* requant */
        for (int it = 0; it < 20000; it++) {
            int32_t acc[19], m[19], s[19]; int8_t o[19];
            for (int i = 0; i < 19; i++) {
                acc[i] = (int32_t)rnd(); if (rnd() % 2) acc[i] >>= ri(0, 31);
                if (rnd() % 50 == 0) acc[i] = (rnd() % 2) ? INT32_MIN : INT32_MAX;
                m[i] = (int32_t)((1u << 30) + (rnd() % (1u << 30))); if (rnd() % 20 == 0) m[i] = 0;
                s[i] = ri(-31, 10);
            }
            int zp = ri(-128, 127), lo = ri(-128, 0), hi = ri(lo, 127);
            fa_requantize(19, acc, m, s, zp, lo, hi, o);
            for (int i = 0; i < 19; i++) if (o[i] != fa_requant1(acc[i], m[i], s[i], zp, lo, hi)) { failures++; if (failures < 5) printf("requant set %d acc %d m %d s %d: %d vs %d\n", set, acc[i], m[i], s[i], o[i], fa_requant1(acc[i], m[i], s[i], zp, lo, hi)); }
        }
        for (int it = 0; it < 800; it++) {
            fa_conv_t c; memset(&c, 0, sizeof c);
            c.batches = ri(1, 2); c.input_height = ri(1, 9); c.input_width = ri(1, 9); c.input_depth = ri(1, 21);
            c.filter_height = ri(1, 4); c.filter_width = ri(1, 4); c.stride_height = ri(1, 3); c.stride_width = ri(1, 3);
            c.dilation_height = ri(1, 2); c.dilation_width = ri(1, 2);
            if (rnd() % 4 == 0) { c.input_width = 1; c.filter_width = 1; }
            if (rnd() % 5 == 0) { c.filter_height = c.filter_width = 1; c.stride_height = c.stride_width = 1; }
            c.output_height = ri(1, c.input_height); c.output_width = ri(1, c.input_width); c.output_depth = ri(1, 35);
            /* Depths of whole groups of 4 (the VNNI whole-convolution kernel) and channel counts past 32 and 64. */
            if (rnd() % 3 == 0) c.input_depth = 4 * ri(1, 8);
            if (rnd() % 4 == 0) c.output_depth = ri(33, 70);
            /* Images too large for the VNNI whole-convolution kernel's stack copy (the gather path on every set). */
            if (rnd() % 40 == 0) { c.input_height = ri(36, 40); c.input_width = ri(36, 40); c.input_depth = ri(13, 21); }
            c.pad_top = ri(0, c.filter_height / 2 + 1); c.pad_left = ri(0, c.filter_width / 2 + 1);
            if (rnd() % 3 == 0) c.pad_top = c.pad_left = 0;
            c.input_zero_point = ri(-128, 127);
            int depth = c.filter_height * c.filter_width * c.input_depth, oc = c.output_depth;
            int k4 = (depth + 3) / 4, nb = (oc + 7) / 8;
            int8_t *w = malloc((size_t)oc * depth), *packed = calloc((size_t)nb * k4 * 32, 1);
            int32_t *bias = calloc(nb * 8, 4), *mult = calloc(nb * 8, 4), *sh = calloc(nb * 8, 4), *sums = calloc(nb * 8, 4);
            for (int o = 0; o < oc; o++) {
                for (int k = 0; k < depth; k++) {
                    int8_t v = (int8_t)rnd(); w[o * depth + k] = v;
                    packed[((o / 8) * k4 + k / 4) * 32 + (o % 8) * 4 + k % 4] = v; sums[o] += v;
                }
                bias[o] = ri(-100000, 100000); mult[o] = (int32_t)((1u << 30) + (rnd() % (1u << 30))); sh[o] = ri(-12, 1);
            }
            int insz = c.batches * c.input_height * c.input_width * c.input_depth;
            int outsz = c.batches * c.output_height * c.output_width * oc;
            int8_t *in = malloc(insz), *out = malloc(outsz), *ref = malloc(outsz);
            for (int i = 0; i < insz; i++) in[i] = (int8_t)rnd();
            int8_t *scratch = malloc(4 * ((depth + 15) / 16 * 16));
            c.weights = packed; c.scratch = scratch; c.scratch_rows = ri(1, 4); c.scratch_stride = (depth + 15) / 16 * 16;
            int32_t *kbias = calloc(nb * 8, 4);
            for (int o = 0; o < oc; o++) kbias[o] = bias[o] - c.input_zero_point * sums[o];
            fa_requant_t rq = {kbias, mult, sh, sums, ri(-128, 127), -128, 127};
            if (rnd() % 2) rq.activation_min = ri(-128, 0);
            c.requant = rq;
            fa_conv2d(&c, in, out);
            /* reference */
            int8_t *r = ref;
            for (int b = 0; b < c.batches; b++) for (int oy = 0; oy < c.output_height; oy++) for (int ox = 0; ox < c.output_width; ox++)
                for (int o = 0; o < oc; o++) {
                    int32_t acc = bias[o];
                    for (int ky = 0; ky < c.filter_height; ky++) for (int kx = 0; kx < c.filter_width; kx++) for (int ic = 0; ic < c.input_depth; ic++) {
                        int y = oy * c.stride_height - c.pad_top + ky * c.dilation_height, x = ox * c.stride_width - c.pad_left + kx * c.dilation_width;
                        int v = (y >= 0 && y < c.input_height && x >= 0 && x < c.input_width) ? in[((b * c.input_height + y) * c.input_width + x) * c.input_depth + ic] : c.input_zero_point;
                        acc += (v - c.input_zero_point) * w[o * depth + (ky * c.filter_width + kx) * c.input_depth + ic];
                    }
                    *r++ = fa_requant1(acc, mult[o], sh[o], rq.output_zero_point, rq.activation_min, rq.activation_max);
                }
            for (int i = 0; i < outsz; i++) if (out[i] != ref[i]) { failures++; if (failures < 10) printf("conv set %d it %d byte %d: %d vs %d (depth %d oc %d)\n", set, it, i, out[i], ref[i], depth, oc); break; }
            free(kbias);
            runs++;
            free(w); free(packed); free(bias); free(mult); free(sh); free(sums); free(in); free(out); free(ref); free(scratch);
        }
        for (int it = 0; it < 300; it++) {
            fa_depthwise_t c; memset(&c, 0, sizeof c);
            c.batches = ri(1, 2); c.input_height = ri(1, 9); c.input_width = ri(1, 9); c.depth_multiplier = ri(1, 3); c.depth = ri(1, 40) * c.depth_multiplier;
            c.filter_height = ri(1, 5); c.filter_width = ri(1, 5); c.stride_height = ri(1, 2); c.stride_width = ri(1, 2);
            c.dilation_height = ri(1, 2); c.dilation_width = ri(1, 2);
            c.output_height = ri(1, c.input_height); c.output_width = ri(1, c.input_width);
            c.pad_top = ri(0, 2); c.pad_left = ri(0, 2); c.input_zero_point = ri(-128, 127);
            int d = c.depth, taps = c.filter_height * c.filter_width;
            int8_t *w = malloc(taps * d); for (int i = 0; i < taps * d; i++) w[i] = (int8_t)rnd();
            int32_t *bias = malloc(d * 4), *mult = malloc(d * 4), *sh = malloc(d * 4);
            for (int o = 0; o < d; o++) { bias[o] = ri(-100000, 100000); mult[o] = (int32_t)((1u << 30) + (rnd() % (1u << 30))); sh[o] = ri(-12, 1); }
            int insz = c.batches * c.input_height * c.input_width * (d / c.depth_multiplier), outsz = c.batches * c.output_height * c.output_width * d;
            int8_t *in = malloc(insz), *out = malloc(outsz), *ref = malloc(outsz);
            for (int i = 0; i < insz; i++) in[i] = (int8_t)rnd();
            c.weights = w; fa_requant_t rq = {bias, mult, sh, 0, ri(-128, 127), ri(-128, 0), 127}; c.requant = rq;
            fa_depthwise_conv2d(&c, in, out);
            int8_t *r = ref;
            for (int b = 0; b < c.batches; b++) for (int oy = 0; oy < c.output_height; oy++) for (int ox = 0; ox < c.output_width; ox++)
                for (int o = 0; o < d; o++) {
                    int32_t acc = bias[o];
                    for (int ky = 0; ky < c.filter_height; ky++) for (int kx = 0; kx < c.filter_width; kx++) {
                        int y = oy * c.stride_height - c.pad_top + ky * c.dilation_height, x = ox * c.stride_width - c.pad_left + kx * c.dilation_width;
                        if (y < 0 || y >= c.input_height || x < 0 || x >= c.input_width) continue;
                        acc += (in[((b * c.input_height + y) * c.input_width + x) * (d / c.depth_multiplier) + o / c.depth_multiplier] - c.input_zero_point) * w[(ky * c.filter_width + kx) * d + o];
                    }
                    *r++ = fa_requant1(acc, mult[o], sh[o], rq.output_zero_point, rq.activation_min, rq.activation_max);
                }
            for (int i = 0; i < outsz; i++) if (out[i] != ref[i]) { failures++; if (failures < 10) printf("dw set %d it %d byte %d: %d vs %d\n", set, it, i, out[i], ref[i]); break; }
            runs++;
            free(w); free(bias); free(mult); free(sh); free(in); free(out); free(ref);
        }
        for (int it = 0; it < 3000; it++) {
            fa_add_t p = {ri(-127, 128), ri(-127, 128), 20, (int32_t)((1u << 30) + (rnd() % (1u << 30))), ri(-8, 0),
                          (int32_t)((1u << 30) + (rnd() % (1u << 30))), ri(-8, 0), (int32_t)((1u << 30) + (rnd() % (1u << 30))),
                          ri(-20, -10), ri(-128, 127), ri(-128, 0), ri(0, 127)};
            int8_t a[37], bb[37], o[37];
            int n = ri(1, 37);
            for (int i = 0; i < n; i++) a[i] = (int8_t)rnd(), bb[i] = (int8_t)rnd();
            fa_add(n, &p, a, bb, o);
            for (int i = 0; i < n; i++) if (o[i] != fa_add1(&p, a[i], bb[i])) { failures++; if (failures < 10) printf("add set %d\n", set); break; }
        }
    }
    printf("kernel check: %d random operators, %d differences\n", runs, failures);
    return failures != 0;
}
