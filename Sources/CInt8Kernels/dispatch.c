/*
 * Run-time choice of the kernel set from the CPU's features (cpuid on x86-64, getauxval(AT_HWCAP) on AArch64),
 * and the drivers that walk a convolution's output pixels in tiles of 4 and call the set's micro-kernels.
 */
#include "kernels.h"

#if defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

static const fa_isa_t *isa_of(int set) {
    switch (set) {
#if defined(__x86_64__)
    case FA_KERNELS_X86_SSE41: return &fa_isa_x86_sse41;
    case FA_KERNELS_X86_AVX2: return &fa_isa_x86_avx2;
    case FA_KERNELS_X86_AVX512VNNI: return &fa_isa_x86_avx512vnni;
#endif
#if defined(__aarch64__)
    case FA_KERNELS_ARM_NEON: return &fa_isa_arm_neon;
    case FA_KERNELS_ARM_DOTPROD: return &fa_isa_arm_dotprod;
#endif
    default: return 0;
    }
}

int fa_kernels_available(int set) {
    if (set == FA_KERNELS_PORTABLE) return 1;
    if (!isa_of(set)) return 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (set == FA_KERNELS_X86_SSE41) return __builtin_cpu_supports("sse4.1") != 0;
    if (set == FA_KERNELS_X86_AVX2) return __builtin_cpu_supports("avx2") != 0;
    if (set == FA_KERNELS_X86_AVX512VNNI)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vnni");
#endif
#if defined(__aarch64__)
    unsigned long hwcap = getauxval(AT_HWCAP);
    if (set == FA_KERNELS_ARM_NEON) return (hwcap & HWCAP_ASIMD) != 0;
    if (set == FA_KERNELS_ARM_DOTPROD) return (hwcap & HWCAP_ASIMD) && (hwcap & HWCAP_ASIMDDP);
#endif
    return 0;
}

static int active_set = -1;
static const fa_isa_t *active_isa;

static void choose(void) {
    static const int preference[] = {FA_KERNELS_X86_AVX512VNNI, FA_KERNELS_X86_AVX2, FA_KERNELS_X86_SSE41,
                                     FA_KERNELS_ARM_DOTPROD, FA_KERNELS_ARM_NEON};
    for (unsigned i = 0; i < sizeof preference / sizeof preference[0]; i++) {
        if (fa_kernels_available(preference[i])) {
            active_isa = isa_of(preference[i]);
            active_set = preference[i];
            return;
        }
    }
    active_isa = 0;
    active_set = FA_KERNELS_PORTABLE;
}

/* Chosen before main (and before any Swift code runs), so reading it needs no lock. */
__attribute__((constructor)) static void choose_at_load(void) { choose(); }

int fa_kernels_active(void) {
    if (active_set < 0) choose();
    return active_set;
}

int fa_kernels_select(int set) {
    if (set < 0 || set >= FA_KERNELS_COUNT || !fa_kernels_available(set)) return -1;
    active_set = set;
    active_isa = isa_of(set);
    return 0;
}

static const fa_isa_t *isa(void) {
    if (active_set < 0) choose();
    return active_isa;
}

void fa_requantize(int32_t count, const int32_t *acc, const int32_t *multipliers, const int32_t *shifts,
                   int32_t zero_point, int32_t activation_min, int32_t activation_max, int8_t *output) {
    const fa_isa_t *k = isa();
    if (k) {
        k->requantize(count, acc, multipliers, shifts, zero_point, activation_min, activation_max, output);
        return;
    }
    for (int32_t i = 0; i < count; i++)
        output[i] = fa_requant1(acc[i], multipliers[i], shifts[i], zero_point, activation_min, activation_max);
}

void fa_add(int32_t count, const fa_add_t *add, const int8_t *input1, const int8_t *input2, int8_t *output) {
    const fa_isa_t *k = isa();
    if (k) {
        k->add(count, add, input1, input2, output);
        return;
    }
    for (int32_t i = 0; i < count; i++) output[i] = fa_add1(add, input1[i], input2[i]);
}

/* Up to 4 rows against every block of 8 output channels. */
/* Bytes of the stack copy of 4 rows that sets with prepare_rows read. */
#define FLIP_BUFFER (4 * (FA_FLIP_MAX + 64))

/* `prepared`: the rows are already the set's prepare_rows form (the convolution driver gathers them so). */
static void gemm_rows(const fa_isa_t *k, const int8_t *rows[4], int mr, int depth, int channels, const int8_t *weights,
                      const fa_requant_t *rq, int8_t *out[4], int prepared) {
    for (int i = mr; i < 4; i++) rows[i] = rows[0];
    int8_t buffer[FLIP_BUFFER] __attribute__((aligned(64), uninitialized));
    if (k->prepare_rows && !prepared) {
        if (depth <= FA_FLIP_MAX) {
            k->prepare_rows(rows, mr, depth, buffer, rows);
        } else {
            k = k->fallback;
        }
    }
    int block_bytes = (depth + 3) / 4 * 32;
    int c0 = 0;
    if (k->gemm_4x32) {
        for (; channels - c0 > 24; c0 += 32) { /* all four blocks exist */
            int valid = channels - c0 < 32 ? channels - c0 : 32;
            k->gemm_4x32(rows, mr, depth, weights + (c0 / 8) * block_bytes, block_bytes, rq, c0, valid, out);
        }
    }
    if (k->gemm_4x16) {
        for (; channels - c0 > 8; c0 += 16) {
            int valid = channels - c0 < 16 ? channels - c0 : 16;
            k->gemm_4x16(rows, mr, depth, weights + (c0 / 8) * block_bytes, block_bytes, rq, c0, valid, out);
        }
    }
    for (; c0 < channels; c0 += 8) {
        int valid = channels - c0 < 8 ? channels - c0 : 8;
        k->gemm_4x8(rows, mr, depth, weights + (c0 / 8) * block_bytes, rq, c0, valid, out);
    }
}

void fa_fully_connected(int32_t rows, int32_t depth, int32_t units, const int8_t *weights, const fa_requant_t *requant,
                        const int8_t *input, int8_t *output) {
    const fa_isa_t *k = isa();
    if (!k) return;
    for (int32_t r = 0; r < rows; r += 4) {
        int mr = rows - r < 4 ? rows - r : 4;
        const int8_t *a[4];
        int8_t *out[4];
        for (int i = 0; i < mr; i++) a[i] = input + (size_t)(r + i) * depth, out[i] = output + (size_t)(r + i) * units;
        gemm_rows(k, a, mr, depth, units, weights, requant, out, 0);
    }
}

/* Short copies and fills without a libc call per tap (receptive fields of thin inputs are runs of a few bytes);
 * every byte XORed with `flip` (0, or 0x80 for the VNNI kernels' unsigned rows). */
typedef uint8_t bytes16 __attribute__((vector_size(16)));

static inline void copy_bytes(int8_t *d, const int8_t *s, int n, uint8_t flip) {
    const uint64_t wide = 0x0101010101010101ull * flip;
    bytes16 flip16;
    memset(&flip16, flip, 16);
    for (; n >= 16; n -= 16, d += 16, s += 16) {
        bytes16 v;
        memcpy(&v, s, 16);
        v ^= flip16;
        memcpy(d, &v, 16);
    }
    for (; n >= 8; n -= 8, d += 8, s += 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        v ^= wide;
        memcpy(d, &v, 8);
    }
    if (n >= 4) {
        uint32_t v;
        memcpy(&v, s, 4);
        v ^= (uint32_t)wide;
        memcpy(d, &v, 4);
        d += 4, s += 4, n -= 4;
    }
    while (n-- > 0) *d++ = (int8_t)(*s++ ^ flip);
}

static inline void fill_bytes(int8_t *d, int8_t v, int n) {
    bytes16 v16;
    memset(&v16, (uint8_t)v, 16);
    for (; n >= 16; n -= 16, d += 16) memcpy(d, &v16, 16);
    while (n-- > 0) *d++ = v;
}

/* The receptive field of (oy, ox) in [kh][kw][in_c] order, padding taps filled with the input zero point, every
 * byte XORed with `flip`. */
static void gather(const fa_conv_t *c, const int8_t *image, int originY, int originX, int8_t *dst, uint8_t flip) {
    const int depth = c->input_depth;
    const int8_t pad = (int8_t)(c->input_zero_point ^ flip);
    const int run = c->filter_width * depth;
    if (c->dilation_width == 1 && originX >= 0 && originX + c->filter_width <= c->input_width) {
        /* Inside left and right: each row of taps is one run of the input, or padding. */
        const int8_t *src = image + (size_t)originX * depth;
        const size_t row_bytes = (size_t)c->input_width * depth;
        for (int ky = 0; ky < c->filter_height; ky++, dst += run) {
            int y = originY + ky * c->dilation_height;
            if (y >= 0 && y < c->input_height)
                copy_bytes(dst, src + (size_t)y * row_bytes, run, flip);
            else
                fill_bytes(dst, pad, run);
        }
        return;
    }
    for (int ky = 0; ky < c->filter_height; ky++) {
        int y = originY + ky * c->dilation_height;
        int row_inside = y >= 0 && y < c->input_height;
        if (row_inside && c->dilation_width == 1) {
            /* One run of taps inside the row, padding before and after. */
            int first = originX < 0 ? -originX : 0;
            int end = c->input_width - originX < c->filter_width ? c->input_width - originX : c->filter_width;
            if (end < first) end = first;
            int before = first * depth, valid = (end - first) * depth, after = c->filter_width * depth - before - valid;
            const int8_t *src = image + ((size_t)y * c->input_width + originX + first) * depth;
            fill_bytes(dst, pad, before);
            copy_bytes(dst + before, src, valid, flip);
            fill_bytes(dst + before + valid, pad, after);
            dst += c->filter_width * depth;
            continue;
        }
        for (int kx = 0; kx < c->filter_width; kx++) {
            int x = originX + kx * c->dilation_width;
            if (row_inside && x >= 0 && x < c->input_width)
                copy_bytes(dst, image + ((size_t)y * c->input_width + x) * depth, depth, flip);
            else
                fill_bytes(dst, pad, depth);
            dst += depth;
        }
    }
}

static void conv_rows(const fa_isa_t *k, const fa_conv_t *c, const int8_t *input, int8_t *output);

void fa_conv2d(const fa_conv_t *c, const int8_t *input, int8_t *output) {
    const fa_isa_t *k = isa();
    if (!k) return;
    if (k->conv_op && k->conv_op(c, input, output)) return;
    conv_rows(k, c, input, output);
}

/* Output pixels in tiles of up to 4 rows against the set's micro-kernels (its own frame: the stack tile is not held
 * while conv_op runs). */
__attribute__((noinline)) static void conv_rows(const fa_isa_t *k, const fa_conv_t *c, const int8_t *input,
                                                int8_t *output) {
    const int depth = c->filter_height * c->filter_width * c->input_depth;
    const int pixels = c->output_height * c->output_width;
    const int pointwise = c->filter_height == 1 && c->filter_width == 1 && c->stride_height == 1 &&
                          c->stride_width == 1 && c->pad_top == 0 && c->pad_left == 0;
    /* Receptive fields that are one run of memory: a row of taps (kh = 1), or a column over a width-1 image. */
    const int runW = c->filter_height == 1 && (c->dilation_width == 1 || c->filter_width == 1);
    const int runH = c->filter_width == 1 && c->input_width == 1 && (c->dilation_height == 1 || c->filter_height == 1);
    /* Sets that read rows flipped to unsigned bytes: gather (or copy) every field flipped into a stack tile, once. */
    const int flipped = k->prepare_rows && depth <= FA_FLIP_MAX;
    const int slot = FA_FLIP_MAX + 64;
    int8_t tile[FLIP_BUFFER] __attribute__((aligned(64), uninitialized));
    for (int b = 0; b < c->batches; b++) {
        const int8_t *image = input + (size_t)b * c->input_height * c->input_width * c->input_depth;
        int8_t *image_out = output + (size_t)b * pixels * c->output_depth;
        int p = 0, oy = 0, ox = 0; /* p = oy × output_width + ox */
        while (p < pixels) {
            const int8_t *rows[4];
            int8_t *out[4];
            int mr = 0, gathered = 0;
            while (mr < 4 && p < pixels) {
                int originY = oy * c->stride_height - c->pad_top, originX = ox * c->stride_width - c->pad_left;
                const int8_t *field = 0;
                if (pointwise) {
                    field = image + ((size_t)oy * c->input_width + ox) * c->input_depth;
                } else if (runW || runH) {
                    int lastY = originY + (c->filter_height - 1) * c->dilation_height;
                    int lastX = originX + (c->filter_width - 1) * c->dilation_width;
                    if (originY >= 0 && originX >= 0 && lastY < c->input_height && lastX < c->input_width)
                        field = image + ((size_t)originY * c->input_width + originX) * c->input_depth;
                }
                if (flipped) {
                    int8_t *dst = tile + (size_t)mr * slot;
                    if (field)
                        copy_bytes(dst, field, depth, 0x80);
                    else
                        gather(c, image, originY, originX, dst, 0x80);
                    memset(dst + depth, 0x80, 4); /* a last partial group reads these against zero weights */
                    field = dst;
                } else if (!field) {
                    if (gathered == c->scratch_rows) break;
                    int8_t *dst = c->scratch + (size_t)gathered * c->scratch_stride;
                    gather(c, image, originY, originX, dst, 0);
                    field = dst;
                    gathered++;
                }
                rows[mr] = field;
                out[mr] = image_out + (size_t)p * c->output_depth;
                mr++;
                p++;
                if (++ox == c->output_width) ox = 0, oy++;
            }
            if (mr == 0) return; /* no scratch for a field that needs gathering (the compiler always gives one row) */
            gemm_rows(k, rows, mr, depth, c->output_depth, c->weights, &c->requant, out, flipped);
        }
    }
}

void fa_depthwise_conv2d(const fa_depthwise_t *c, const int8_t *input, int8_t *output) {
    const fa_isa_t *k = isa();
    if (!k) return;
    const int depth = c->depth, multiplier = c->depth_multiplier;
    if (multiplier < 1 || (multiplier > 1 && c->filter_height * c->filter_width * depth > FA_DEPTHWISE_MAX_EXPANDED))
        return;
    if (k->depthwise_op && multiplier == 1 && depth <= FA_DEPTHWISE_MAX_PAD) {
        k->depthwise_op(c, input, output);
        return;
    }
    const int input_depth = depth / multiplier;
    const int8_t *inputs[FA_DEPTHWISE_MAX_TAPS], *weights[FA_DEPTHWISE_MAX_TAPS];
    const int8_t *inside[FA_DEPTHWISE_MAX_TAPS], *all_weights[FA_DEPTHWISE_MAX_TAPS];
    int8_t expanded[FA_DEPTHWISE_MAX_EXPANDED];
    const size_t image_pixels = (size_t)c->input_height * c->input_width;
    if (k->depthwise_op && depth <= FA_DEPTHWISE_MAX_PAD && image_pixels * depth <= FA_DEPTHWISE_MAX_EXPANDED) {
        /* A depth multiplier above 1 on a small image: each image with every input channel repeated `multiplier`
         * times (expanded channel c is input channel c / multiplier, as output channel c reads), then the set's
         * whole-operator kernel with multiplier 1. */
        fa_depthwise_t one = *c;
        one.batches = 1, one.depth_multiplier = 1;
        const size_t out_bytes = (size_t)c->output_height * c->output_width * depth;
        for (int b = 0; b < c->batches; b++) {
            const int8_t *pixel = input + (size_t)b * image_pixels * input_depth;
            int8_t *wide = expanded;
            for (size_t i = 0; i < image_pixels; i++, pixel += input_depth, wide += depth) {
                if (multiplier == 2) {
                    for (int ic = 0; ic < input_depth; ic++) wide[2 * ic] = wide[2 * ic + 1] = pixel[ic];
                } else {
                    for (int ic = 0; ic < input_depth; ic++)
                        for (int m = 0; m < multiplier; m++) wide[ic * multiplier + m] = pixel[ic];
                }
            }
            k->depthwise_op(&one, expanded, output + (size_t)b * out_bytes);
        }
        return;
    }
    const int window = c->filter_height * c->filter_width;
    const ptrdiff_t step = (ptrdiff_t)c->stride_width * depth;
    for (int t = 0; t < window; t++) all_weights[t] = c->weights + (size_t)t * depth;
    for (int b = 0; b < c->batches; b++) {
        const int8_t *image = input + (size_t)b * c->input_height * c->input_width * input_depth;
        int8_t *out = output + (size_t)b * c->output_height * c->output_width * depth;
        for (int oy = 0; oy < c->output_height; oy++) {
            int originY = oy * c->stride_height - c->pad_top;
            int insideY = originY >= 0 && originY + (c->filter_height - 1) * c->dilation_height < c->input_height;
            int previous_inside = 0;
            for (int ox = 0; ox < c->output_width; ox++) {
                int originX = ox * c->stride_width - c->pad_left;
                if (insideY && multiplier == 1 && originX >= 0 &&
                    originX + (c->filter_width - 1) * c->dilation_width < c->input_width) {
                    /* Every tap inside: the window's pointers, moved by one stride from the previous pixel's. */
                    if (previous_inside) {
                        for (int t = 0; t < window; t++) inside[t] += step;
                    } else {
                        const int8_t *origin = image + ((size_t)originY * c->input_width + originX) * depth;
                        for (int ky = 0, t = 0; ky < c->filter_height; ky++) {
                            const int8_t *row = origin + (size_t)ky * c->dilation_height * c->input_width * depth;
                            for (int kx = 0; kx < c->filter_width; kx++, t++)
                                inside[t] = row + (size_t)kx * c->dilation_width * depth;
                        }
                    }
                    previous_inside = 1;
                    k->depthwise_pixel(depth, window, inside, all_weights, -c->input_zero_point, &c->requant, out);
                    out += depth;
                    continue;
                }
                previous_inside = 0;
                int taps = 0;
                /* Taps outside the input are skipped, as in TFLM. */
                for (int ky = 0; ky < c->filter_height; ky++) {
                    int y = originY + ky * c->dilation_height;
                    if (y < 0 || y >= c->input_height) continue;
                    for (int kx = 0; kx < c->filter_width; kx++) {
                        int x = originX + kx * c->dilation_width;
                        if (x < 0 || x >= c->input_width) continue;
                        if (taps == FA_DEPTHWISE_MAX_TAPS) return;
                        const int8_t *pixel = image + ((size_t)y * c->input_width + x) * input_depth;
                        if (multiplier > 1) {
                            /* Each input channel repeated `multiplier` times, to line up with the output channels. */
                            int8_t *wide = expanded + (size_t)taps * depth;
                            if (multiplier == 2) {
                                for (int ic = 0; ic < input_depth; ic++) wide[2 * ic] = wide[2 * ic + 1] = pixel[ic];
                            } else {
                                for (int m = 0; m < multiplier; m++)
                                    for (int ic = 0; ic < input_depth; ic++) wide[ic * multiplier + m] = pixel[ic];
                            }
                            pixel = wide;
                        }
                        inputs[taps] = pixel;
                        weights[taps] = c->weights + (size_t)(ky * c->filter_width + kx) * depth;
                        taps++;
                    }
                }
                k->depthwise_pixel(depth, taps, inputs, weights, -c->input_zero_point, &c->requant, out);
                out += depth;
            }
        }
    }
}
