/*
 * fa_gpio: FieldAgent's one facade over libgpiod.
 *
 * Everything FieldAgent needs from the GPIO character device goes through these few calls, so the
 * libgpiod 1.x API (Debian 12, Raspberry Pi OS bookworm) and the incompatible 2.x API (Debian 13)
 * differ only in fa_gpio.c. Callers never include <gpiod.h>.
 * Every function that can fail returns NULL or -1 and leaves the reason in errno.
 */
#ifndef FA_GPIO_H
#define FA_GPIO_H

#include <stdint.h>

typedef struct fa_chip fa_chip;
typedef struct fa_request fa_request;

enum fa_bias { FA_BIAS_AS_IS = 0, FA_BIAS_DISABLE = 1, FA_BIAS_PULL_UP = 2, FA_BIAS_PULL_DOWN = 3 };
enum fa_edges { FA_EDGES_NONE = 0, FA_EDGES_RISING = 1, FA_EDGES_FALLING = 2, FA_EDGES_BOTH = 3 };

/** How every line of one request is configured. */
typedef struct {
    int output;      /* 1: output, 0: input */
    int bias;        /* enum fa_bias (inputs) */
    int active_low;  /* 1: logical 1 is the low level */
    int edges;       /* enum fa_edges (inputs); not NONE makes the request deliver edge events */
} fa_line_config;

/** One edge seen by the kernel. */
typedef struct {
    unsigned offset;        /* line offset on the chip */
    int rising;             /* 1: rising (logical 0 -> 1), 0: falling */
    uint64_t timestamp_ns;  /* kernel timestamp (CLOCK_MONOTONIC on Linux >= 5.7) */
} fa_edge_event;

/** The libgpiod API this facade was built against, for example "libgpiod 1.6.3". */
const char *fa_gpio_backend_version(void);

/** Opens the chip whose label is `label` (for example "pinctrl-bcm2711"). */
fa_chip *fa_chip_open_by_label(const char *label);
/** Opens a chip by path ("/dev/gpiochip0") or name ("gpiochip0"). */
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
 * Requests `count` lines with one configuration. `initial` (outputs only, may be NULL) gives the
 * logical start values. Fails with EBUSY when a line is held by another consumer.
 */
fa_request *fa_request_lines(fa_chip *chip, const char *consumer, const unsigned *offsets, unsigned count,
                             const fa_line_config *config, const int *initial);
/** Releases the lines; the request must not be used afterwards. */
void fa_request_release(fa_request *request);
unsigned fa_request_num_lines(fa_request *request);
/**
 * The file descriptor that becomes readable when line `index` has edge events, or -1 without edge
 * detection. With libgpiod 1.x each line has its own descriptor; with 2.x all lines share one.
 */
int fa_request_fd(fa_request *request, unsigned index);
/** Reads the logical values of all lines into `values` (count entries). Returns 0 or -1. */
int fa_request_get(fa_request *request, int *values);
/** Drives all lines to the logical `values`. Returns 0 or -1. */
int fa_request_set(fa_request *request, const int *values);
/**
 * Reads up to `max` pending edge events from line `index`'s descriptor. Call it only when that
 * descriptor is readable. Returns the number read or -1.
 */
int fa_request_read_events(fa_request *request, unsigned index, fa_edge_event *events, int max);

#endif
