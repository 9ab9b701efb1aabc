/*
 * CInt8Kernels: the int8 micro-kernels that Swift cannot express (vpdpbusd, sdot, pmaddwd, per-lane variable
 * shifts), one file per instruction set, chosen at run time from the CPU's features. Inference's Swift kernels are
 * the portable reference; every path here gives the same bytes (TFLM's arithmetic, lane by lane).
 *
 * Packed weights ("fa_pack" layout, written by the model compiler): output channels in blocks of 8, depth in
 * groups of 4: byte (o, k) is at ((o / 8) * k4 + k / 4) * 32 + (o % 8) * 4 + k % 4 with k4 = ceil(depth / 4);
 * padding is zero. Per-channel arrays (bias, multipliers, shifts, weight sums) hold ceil(channels / 8) * 8 values.
 */
#ifndef CINT8KERNELS_H
#define CINT8KERNELS_H

#include <stddef.h>
#include <stdint.h>

/** Kernel sets. FA_KERNELS_PORTABLE means the Swift kernels (nothing here runs). */
enum {
    FA_KERNELS_PORTABLE = 0,
    FA_KERNELS_X86_AVX2 = 1,
    FA_KERNELS_X86_AVX512VNNI = 2,
    FA_KERNELS_ARM_NEON = 3,
    FA_KERNELS_ARM_DOTPROD = 4,
    FA_KERNELS_X86_SSE41 = 5,
    FA_KERNELS_COUNT = 6,
};

/** 1 when `set` is built into this binary and the CPU has its instructions (PORTABLE always). */
int fa_kernels_available(int set);
/** The set in use: the best available one unless fa_kernels_select chose another. */
int fa_kernels_active(void);
/** Uses `set` from now on; returns 0, or -1 (and changes nothing) when it is not available. Not thread-safe:
 *  call it before inferences start (tests and benchmarks). */
int fa_kernels_select(int set);

/** Per-output-channel requantization: acc + bias → multiplier × 2^shift → + zero point → clamp. */
typedef struct {
    const int32_t *bias;
    const int32_t *multipliers;
    const int32_t *shifts;
    /** Σ weights per channel (the VNNI path feeds activations as unsigned bytes and subtracts 128 × this). */
    const int32_t *weight_sums;
    int32_t output_zero_point;
    int32_t activation_min;
    int32_t activation_max;
} fa_requant_t;

/** A convolution (or a fully-connected layer: 1×1 window over `rows` pixels of depth `input_depth`). */
typedef struct {
    int32_t batches, input_height, input_width, input_depth;
    int32_t output_height, output_width, output_depth;
    int32_t filter_height, filter_width, stride_height, stride_width, dilation_height, dilation_width;
    int32_t pad_top, pad_left;
    int32_t input_zero_point;
    /** Packed weights over depth = filter_height × filter_width × input_depth. */
    const int8_t *weights;
    fa_requant_t requant;
    /** Arena space for gathered receptive fields: scratch_rows rows of scratch_stride bytes (≥ depth). */
    int8_t *scratch;
    int32_t scratch_rows, scratch_stride;
} fa_conv_t;

/** CONV_2D with the active kernel set (not PORTABLE). */
void fa_conv2d(const fa_conv_t *conv, const int8_t *input, int8_t *output);

/** FULLY_CONNECTED: `rows` input rows of `depth` bytes against packed weights; `units` outputs per row. */
void fa_fully_connected(int32_t rows, int32_t depth, int32_t units, const int8_t *weights,
                        const fa_requant_t *requant, const int8_t *input, int8_t *output);

/** Depthwise convolution; output channel c reads input channel c / depth_multiplier; weights
 *  [filter_height × filter_width][depth] (TFLite's), depth = output channels. */
typedef struct {
    int32_t batches, input_height, input_width, depth, depth_multiplier;
    int32_t output_height, output_width;
    int32_t filter_height, filter_width, stride_height, stride_width, dilation_height, dilation_width;
    int32_t pad_top, pad_left;
    int32_t input_zero_point;
    const int8_t *weights;
    fa_requant_t requant;
} fa_depthwise_t;

/** The most taps fa_depthwise_conv2d takes (larger windows run on the portable kernel). */
#define FA_DEPTHWISE_MAX_TAPS 64
/** With a depth multiplier above 1, the most taps × depth bytes (each tap's input is widened to the output depth on
 *  the stack); larger ones run on the portable kernel. Images of at most this many bytes once widened to the output
 *  depth are widened whole and run on the set's multiplier-1 kernel. */
#define FA_DEPTHWISE_MAX_EXPANDED 16384

/** DEPTHWISE_CONV_2D within the limits above, with the active kernel set. */
void fa_depthwise_conv2d(const fa_depthwise_t *conv, const int8_t *input, int8_t *output);

/** A pooling window (AVERAGE_POOL_2D, MAX_POOL_2D): NHWC, input and output share depth and quantization. */
typedef struct {
    int32_t batches, input_height, input_width, depth;
    int32_t output_height, output_width;
    int32_t filter_height, filter_width, stride_height, stride_width;
    int32_t pad_top, pad_left;
    int32_t activation_min, activation_max;
} fa_pool_t;

/** AVERAGE_POOL_2D: TFLM's rounded mean of the taps inside the input (any CPU; plain C the compiler vectorizes). */
void fa_average_pool(const fa_pool_t *pool, const int8_t *input, int8_t *output);
/** MAX_POOL_2D: the largest tap inside the input, clamped. */
void fa_max_pool(const fa_pool_t *pool, const int8_t *input, int8_t *output);

/** ADD without broadcasting (TFLM's int8 Add): both inputs offset, shifted left, rescaled, summed, rescaled. */
typedef struct {
    int32_t input1_offset, input2_offset, left_shift;
    int32_t input1_multiplier, input1_shift, input2_multiplier, input2_shift, output_multiplier, output_shift;
    int32_t output_zero_point, activation_min, activation_max;
} fa_add_t;

/** ADD of `count` elements of two same-shaped inputs, with the active kernel set. */
void fa_add(int32_t count, const fa_add_t *add, const int8_t *input1, const int8_t *input2, int8_t *output);

/** TFLM's per-channel requantization of `count` accumulators with the active set (for tests). */
void fa_requantize(int32_t count, const int32_t *accumulators, const int32_t *multipliers, const int32_t *shifts,
                   int32_t zero_point, int32_t activation_min, int32_t activation_max, int8_t *output);

#endif
