/*
 * Pooling in plain C: per output pixel, the taps inside the input are summed (or maxed) over all channels at once,
 * loops the compiler vectorizes for the baseline of each architecture. Used with every kernel set but PORTABLE.
 */
#include "kernels.h"

/* Channels per pass (the stack accumulators). */
#define CHUNK 256

/* On x86-64 the loops are also built for AVX2 (vpmaxsb, 8-lane float division), chosen by the loader. */
typedef int8_t v16 __attribute__((vector_size(16)));

#if defined(__x86_64__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_CLONES
#endif

VECTOR_CLONES void fa_average_pool(const fa_pool_t *p, const int8_t *input, int8_t *output) {
    const int depth = p->depth;
    int32_t sum[CHUNK];
    for (int b = 0; b < p->batches; b++) {
        const int8_t *image = input + (size_t)b * p->input_height * p->input_width * depth;
        for (int oy = 0; oy < p->output_height; oy++) {
            int originY = oy * p->stride_height - p->pad_top;
            int y0 = originY < 0 ? -originY : 0;
            int y1 = p->input_height - originY < p->filter_height ? p->input_height - originY : p->filter_height;
            for (int ox = 0; ox < p->output_width; ox++) {
                int originX = ox * p->stride_width - p->pad_left;
                int x0 = originX < 0 ? -originX : 0;
                int x1 = p->input_width - originX < p->filter_width ? p->input_width - originX : p->filter_width;
                int count = (y1 > y0 ? y1 - y0 : 0) * (x1 > x0 ? x1 - x0 : 0);
                for (int c0 = 0; c0 < depth; c0 += CHUNK) {
                    int n = depth - c0 < CHUNK ? depth - c0 : CHUNK;
                    for (int c = 0; c < n; c++) sum[c] = 0;
                    for (int fy = y0; fy < y1; fy++) {
                        for (int fx = x0; fx < x1; fx++) {
                            const int8_t *px = image + ((size_t)(originY + fy) * p->input_width + originX + fx) * depth + c0;
                            for (int c = 0; c < n; c++) sum[c] += px[c];
                        }
                    }
                    /* TFLM: (sum ± count / 2) / count, truncating. A float division is exact here: |sum ± half| <
                     * 2^24 (count ≤ 2^16 taps of |x| ≤ 128), so a quotient that is not a whole number stays more than
                     * its rounding error away from one. Larger windows divide in double. With no tap inside (count 0)
                     * the sums are 0 and so is the average. */
                    const int32_t half = count / 2, lo = p->activation_min, hi = p->activation_max;
                    if (count <= 65536) {
                        const float divisor = count > 0 ? (float)count : 1.0f;
                        for (int c = 0; c < n; c++) {
                            int32_t s = sum[c];
                            int32_t v = (int32_t)((float)(s > 0 ? s + half : s - half) / divisor);
                            v = v < lo ? lo : v;
                            v = v > hi ? hi : v;
                            output[c0 + c] = (int8_t)v;
                        }
                    } else {
                        const double divisor = (double)count;
                        for (int c = 0; c < n; c++) {
                            int32_t s = sum[c];
                            int32_t v = (int32_t)((double)(s > 0 ? s + half : s - half) / divisor);
                            v = v < lo ? lo : v;
                            v = v > hi ? hi : v;
                            output[c0 + c] = (int8_t)v;
                        }
                    }
                }
                output += depth;
            }
        }
    }
}

VECTOR_CLONES void fa_max_pool(const fa_pool_t *p, const int8_t *input, int8_t *output) {
    const int depth = p->depth;
    int8_t best[CHUNK];
    for (int b = 0; b < p->batches; b++) {
        const int8_t *image = input + (size_t)b * p->input_height * p->input_width * depth;
        for (int oy = 0; oy < p->output_height; oy++) {
            int originY = oy * p->stride_height - p->pad_top;
            int y0 = originY < 0 ? -originY : 0;
            int y1 = p->input_height - originY < p->filter_height ? p->input_height - originY : p->filter_height;
            for (int ox = 0; ox < p->output_width; ox++) {
                int originX = ox * p->stride_width - p->pad_left;
                int x0 = originX < 0 ? -originX : 0;
                int x1 = p->input_width - originX < p->filter_width ? p->input_width - originX : p->filter_width;
                int c16 = 0;
                for (; c16 + 16 <= depth; c16 += 16) {
                    /* 16 channels in one vector (GCC/Clang vector extensions: pmaxsb, smax). */
                    v16 top, lo, hi;
                    memset(&top, 0x80, 16);
                    memset(&lo, (int8_t)p->activation_min, 16);
                    memset(&hi, (int8_t)p->activation_max, 16);
                    for (int fy = y0; fy < y1; fy++) {
                        for (int fx = x0; fx < x1; fx++) {
                            v16 x;
                            memcpy(&x, image + ((size_t)(originY + fy) * p->input_width + originX + fx) * depth + c16, 16);
                            v16 greater = x > top;
                            top = (x & greater) | (top & ~greater);
                        }
                    }
                    v16 below = top < lo, above = top > hi;
                    top = (lo & below) | (top & ~below);
                    top = (hi & above) | (top & ~above);
                    memcpy(output + c16, &top, 16);
                }
                for (int c0 = c16; c0 < depth; c0 += CHUNK) {
                    int n = depth - c0 < CHUNK ? depth - c0 : CHUNK;
                    for (int c = 0; c < n; c++) best[c] = INT8_MIN;
                    for (int fy = y0; fy < y1; fy++) {
                        for (int fx = x0; fx < x1; fx++) {
                            const int8_t *px = image + ((size_t)(originY + fy) * p->input_width + originX + fx) * depth + c0;
                            for (int c = 0; c < n; c++) best[c] = px[c] > best[c] ? px[c] : best[c];
                        }
                    }
                    for (int c = 0; c < n; c++) {
                        int v = best[c];
                        v = v < p->activation_min ? p->activation_min : v;
                        v = v > p->activation_max ? p->activation_max : v;
                        output[c0 + c] = (int8_t)v;
                    }
                }
                output += depth;
            }
        }
    }
}
