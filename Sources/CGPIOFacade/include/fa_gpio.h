/*
 * fa_gpio: FieldAgent's one facade over libgpiod.
 *
 * Everything FieldAgent needs from the GPIO character device goes through these few calls, so the
 * libgpiod 1.x API (Debian 12, Raspberry Pi OS bookworm: fa_gpio_v1.c) and the incompatible 2.x API
 * (Debian 13 trixie, Raspberry Pi OS since October 2025: fa_gpio_v2.c) differ only below this header.
 * Both files are compiled; each compiles to nothing unless the <gpiod.h> that pkg-config points at is its
 * API (1.x defines GPIOD_LINE_BULK_MAX_LINES, 2.x does not), so the build picks the facade by itself.
 * Callers never include <gpiod.h>.
 * Every function that can fail returns NULL or -1 and leaves the reason in errno.
 */
#ifndef FA_GPIO_H
#define FA_GPIO_H

#include <stdint.h>

typedef struct fa_chip fa_chip;
typedef struct fa_request fa_request;

enum fa_bias { FA_BIAS_AS_IS = 0, FA_BIAS_DISABLE = 1, FA_BIAS_PULL_UP = 2, FA_BIAS_PULL_DOWN = 3 };
enum fa_edges { FA_EDGES_NONE = 0, FA_EDGES_RISING = 1, FA_EDGES_FALLING = 2, FA_EDGES_BOTH = 3 };

/** How one line of a request is configured. */
typedef struct {
    int output;            /* 1: output, 0: input */
    int bias;              /* enum fa_bias (inputs) */
    int active_low;        /* 1: logical 1 is the low level */
    int edges;             /* enum fa_edges (inputs); not NONE makes the request deliver edge events */
    uint32_t debounce_us;  /* inputs: kernel debounce period; only when fa_gpio_kernel_debounce() (else EOPNOTSUPP) */
} fa_line_config;

/** One edge seen by the kernel. */
typedef struct {
    unsigned offset;        /* line offset on the chip */
    int rising;             /* 1: rising (logical 0 -> 1), 0: falling */
    uint64_t timestamp_ns;  /* kernel timestamp, CLOCK_MONOTONIC (2.x asks for it; 1.x: Linux >= 5.7) */
    uint64_t line_seqno;    /* the line's event number, counting from 1 (2.x); 0 when unknown (1.x) */
} fa_edge_event;

/** The libgpiod API this facade was built against, for example "libgpiod 1.6.3" or "libgpiod 2.2.1". */
const char *fa_gpio_backend_version(void);
/** The major version of the libgpiod API compiled in: 1 or 2. */
int fa_gpio_api_major(void);
/** 1 when the kernel debounces inputs for us (fa_line_config.debounce_us, libgpiod 2.x), 0 otherwise. */
int fa_gpio_kernel_debounce(void);

/** Opens the chip whose label is `label` (for example "pinctrl-bcm2711"). */
fa_chip *fa_chip_open_by_label(const char *label);
/** Opens a chip by path ("/dev/gpiochip0"), name ("gpiochip0") or number ("0"). */
fa_chip *fa_chip_open(const char *path_or_name);
void fa_chip_close(fa_chip *chip);
const char *fa_chip_label(fa_chip *chip);
const char *fa_chip_name(fa_chip *chip);
unsigned fa_chip_num_lines(fa_chip *chip);
/** The kernel's name of line `offset` ("" when unnamed), written to buf. Returns 0 or -1. */
int fa_chip_line_name(fa_chip *chip, unsigned offset, char *buf, unsigned buflen);
/** The consumer holding line `offset` ("" when free), written to buf. Returns 1 if used, 0 if free, -1 on error. */
int fa_chip_line_consumer(fa_chip *chip, unsigned offset, char *buf, unsigned buflen);

/**
 * Requests `count` lines (at most 64), line i configured by `configs[i]`: inputs and outputs, biases,
 * edges and debounce may differ per line. `initial` (may be NULL) gives the outputs' logical start values.
 * All or nothing: fails with EBUSY when a line is held by another consumer, and then holds none.
 * libgpiod 2.x makes this one kernel request; 1.x, which allows one configuration per request, makes one
 * request per distinct configuration.
 */
fa_request *fa_request_lines(fa_chip *chip, const char *consumer, const unsigned *offsets, unsigned count,
                             const fa_line_config *configs, const int *initial);
/** Releases the lines; the request must not be used afterwards. */
void fa_request_release(fa_request *request);
unsigned fa_request_num_lines(fa_request *request);
/**
 * How many descriptors deliver the request's edge events: 0 without edge detection; with libgpiod 2.x one
 * for the whole request; with 1.x one per line with edge detection.
 */
unsigned fa_request_event_fd_count(fa_request *request);
/** Event descriptor `i` (0 <= i < fa_request_event_fd_count): watch it for readability. */
int fa_request_event_fd(fa_request *request, unsigned i);
/** How many events the kernel queues on descriptor `i` before it loses some. */
unsigned fa_request_event_queue(fa_request *request, unsigned i);
/** Reads the logical values of all lines, in request order, into `values` (count entries). Returns 0 or -1. */
int fa_request_get(fa_request *request, int *values);
/** Drives the request's lines to the logical `values` (count entries, request order; inputs ignored). 0 or -1. */
int fa_request_set(fa_request *request, const int *values);
/**
 * Reads up to `max` pending edge events from event descriptor `i` in one read (2.x: a whole edge event
 * buffer). Call it only when that descriptor is readable. Returns the number read or -1.
 */
int fa_request_read_events(fa_request *request, unsigned i, fa_edge_event *events, int max);

#endif
