/* fa_gpio over the libgpiod 1.x API (1.6 on Debian 12 / Raspberry Pi OS bookworm). See fa_gpio.h. */
#include "fa_gpio.h"

#include <errno.h>
#include <gpiod.h>
#include <stdlib.h>
#include <string.h>

#ifndef GPIOD_LINE_BULK_MAX_LINES
#error "fa_gpio.c implements the libgpiod 1.x API; libgpiod 2.x needs its own implementation of fa_gpio.h"
#endif

struct fa_chip {
    struct gpiod_chip *chip;
};

struct fa_request {
    struct gpiod_line_bulk bulk;
    int edges;
};

#define FA_STR2(x) #x
#define FA_STR(x) FA_STR2(x)

const char *fa_gpio_backend_version(void) {
    static char text[48];
    if (!text[0]) {
        const char *v = gpiod_version_string();
        strncpy(text, "libgpiod ", sizeof text - 1);
        strncat(text, v ? v : "1.x", sizeof text - strlen(text) - 1);
    }
    return text;
}

static fa_chip *wrap(struct gpiod_chip *c) {
    if (!c) return NULL;
    fa_chip *chip = calloc(1, sizeof *chip);
    if (!chip) { gpiod_chip_close(c); errno = ENOMEM; return NULL; }
    chip->chip = c;
    return chip;
}

fa_chip *fa_chip_open_by_label(const char *label) {
    errno = 0;
    struct gpiod_chip *c = gpiod_chip_open_by_label(label);
    if (!c && errno == 0) errno = ENOENT;
    return wrap(c);
}

fa_chip *fa_chip_open(const char *path_or_name) { return wrap(gpiod_chip_open_lookup(path_or_name)); }

void fa_chip_close(fa_chip *chip) {
    if (!chip) return;
    gpiod_chip_close(chip->chip);
    free(chip);
}

const char *fa_chip_label(fa_chip *chip) { return gpiod_chip_label(chip->chip); }
const char *fa_chip_name(fa_chip *chip) { return gpiod_chip_name(chip->chip); }
unsigned fa_chip_num_lines(fa_chip *chip) { return gpiod_chip_num_lines(chip->chip); }

static void copy_text(char *buf, unsigned buflen, const char *text) {
    if (!buflen) return;
    strncpy(buf, text ? text : "", buflen - 1);
    buf[buflen - 1] = 0;
}

int fa_chip_line_name(fa_chip *chip, unsigned offset, char *buf, unsigned buflen) {
    struct gpiod_line *line = gpiod_chip_get_line(chip->chip, offset);
    if (!line) return -1;
    copy_text(buf, buflen, gpiod_line_name(line));
    return 0;
}

int fa_chip_line_consumer(fa_chip *chip, unsigned offset, char *buf, unsigned buflen) {
    struct gpiod_line *line = gpiod_chip_get_line(chip->chip, offset);
    if (!line) return -1;
    if (gpiod_line_update(line) < 0) return -1;
    copy_text(buf, buflen, gpiod_line_consumer(line));
    return gpiod_line_is_used(line) ? 1 : 0;
}

fa_request *fa_request_lines(fa_chip *chip, const char *consumer, const unsigned *offsets, unsigned count,
                             const fa_line_config *config, const int *initial) {
    if (count == 0 || count > GPIOD_LINE_BULK_MAX_LINES) { errno = EINVAL; return NULL; }
    fa_request *req = calloc(1, sizeof *req);
    if (!req) { errno = ENOMEM; return NULL; }
    if (gpiod_chip_get_lines(chip->chip, (unsigned *)offsets, count, &req->bulk) < 0) { free(req); return NULL; }

    struct gpiod_line_request_config rc = { .consumer = consumer, .request_type = 0, .flags = 0 };
    if (config->output) {
        rc.request_type = GPIOD_LINE_REQUEST_DIRECTION_OUTPUT;
    } else {
        switch (config->edges) {
        case FA_EDGES_RISING: rc.request_type = GPIOD_LINE_REQUEST_EVENT_RISING_EDGE; break;
        case FA_EDGES_FALLING: rc.request_type = GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE; break;
        case FA_EDGES_BOTH: rc.request_type = GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES; break;
        default: rc.request_type = GPIOD_LINE_REQUEST_DIRECTION_INPUT; break;
        }
        switch (config->bias) {
        case FA_BIAS_DISABLE: rc.flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE; break;
        case FA_BIAS_PULL_UP: rc.flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP; break;
        case FA_BIAS_PULL_DOWN: rc.flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN; break;
        default: break;
        }
    }
    if (config->active_low) rc.flags |= GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
    req->edges = config->output ? FA_EDGES_NONE : config->edges;

    int defaults[GPIOD_LINE_BULK_MAX_LINES] = {0};
    if (initial) memcpy(defaults, initial, count * sizeof(int));
    if (gpiod_line_request_bulk(&req->bulk, &rc, defaults) < 0) {
        int saved = errno;
        free(req);
        errno = saved;
        return NULL;
    }
    return req;
}

void fa_request_release(fa_request *request) {
    if (!request) return;
    gpiod_line_release_bulk(&request->bulk);
    free(request);
}

unsigned fa_request_num_lines(fa_request *request) { return gpiod_line_bulk_num_lines(&request->bulk); }

int fa_request_fd(fa_request *request, unsigned index) {
    if (request->edges == FA_EDGES_NONE || index >= request->bulk.num_lines) return -1;
    return gpiod_line_event_get_fd(request->bulk.lines[index]);
}

int fa_request_get(fa_request *request, int *values) { return gpiod_line_get_value_bulk(&request->bulk, values); }

int fa_request_set(fa_request *request, const int *values) {
    return gpiod_line_set_value_bulk(&request->bulk, (int *)values);
}

int fa_request_read_events(fa_request *request, unsigned index, fa_edge_event *events, int max) {
    if (index >= request->bulk.num_lines || max <= 0) { errno = EINVAL; return -1; }
    struct gpiod_line *line = request->bulk.lines[index];
    struct gpiod_line_event raw[16];
    if (max > 16) max = 16;
    int fd = gpiod_line_event_get_fd(line);
    if (fd < 0) return -1;
    int n = gpiod_line_event_read_fd_multiple(fd, raw, (unsigned)max);
    if (n < 0) return -1;
    unsigned offset = gpiod_line_offset(line);
    for (int i = 0; i < n; i++) {
        events[i].offset = offset;
        events[i].rising = raw[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE;
        events[i].timestamp_ns = (uint64_t)raw[i].ts.tv_sec * 1000000000ull + (uint64_t)raw[i].ts.tv_nsec;
    }
    return n;
}
