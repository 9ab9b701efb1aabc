/*
 * Pooling in plain C: per output pixel, the taps inside the input are summed (or maxed) over all channels at once,
 * loops the compiler vectorizes for the baseline of each architecture. Used with every kernel set but PORTABLE.
 */
#include "kernels.h"

/* Channels per pass (the stack accumulators). */
#define CHUNK 256

void fa_average_pool(const fa_pool_t *p, const int8_t *input, int8_t *output) {
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
                    /* TFLM: (sum ± count / 2) / count, truncating; exact in double for any int32 sum. With no tap
                     * inside (count 0) the sums are 0 and so is the average. */
                    const double divisor = count > 0 ? (double)count : 1.0;
                    const int32_t half = count / 2, lo = p->activation_min, hi = p->activation_max;
                    for (int c = 0; c < n; c++) {
                        int32_t s = sum[c];
                        int32_t v = (int32_t)((double)(s > 0 ? s + half : s - half) / divisor);
                        v = v < lo ? lo : v;
                        v = v > hi ? hi : v;
                        output[c0 + c] = (int8_t)v;
                    }
                }
                output += depth;
            }
        }
    }
}

void fa_max_pool(const fa_pool_t *p, const int8_t *input, int8_t *output) {
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
                for (int c0 = 0; c0 < depth; c0 += CHUNK) {
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
