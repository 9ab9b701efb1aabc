/* fa_gpio over the libgpiod 1.x API (1.6 on Debian 12 / Raspberry Pi OS bookworm). See fa_gpio.h.
 * Compiles to nothing against libgpiod 2.x (fa_gpio_v2.c is the facade there). */
#include <gpiod.h>
#ifdef GPIOD_LINE_BULK_MAX_LINES

#include "fa_gpio.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FA_MAX_LINES 64

struct fa_chip {
    struct gpiod_chip *chip;
};

/* libgpiod 1.x requests lines with one configuration; a request with several configurations is a group
 * of kernel requests, one per distinct configuration. */
struct fa_group {
    struct gpiod_line_bulk bulk;
    unsigned index[FA_MAX_LINES];  /* request index of the group's line k */
};

struct fa_request {
    unsigned count;
    unsigned ngroups;
    struct fa_group groups[FA_MAX_LINES];
    unsigned nfds;
    struct gpiod_line *fd_line[FA_MAX_LINES];  /* the line behind event descriptor i */
};

const char *fa_gpio_backend_version(void) {
    static char text[48];
    if (!text[0]) {
        const char *v = gpiod_version_string();
        strncpy(text, "libgpiod ", sizeof text - 1);
        strncat(text, v ? v : "1.x", sizeof text - strlen(text) - 1);
    }
    return text;
}

int fa_gpio_api_major(void) { return 1; }
int fa_gpio_kernel_debounce(void) { return 0; }

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

static int same_config(const fa_line_config *a, const fa_line_config *b) {
    return a->output == b->output && a->bias == b->bias && a->active_low == b->active_low && a->edges == b->edges;
}

static struct gpiod_line_request_config request_config(const char *consumer, const fa_line_config *config) {
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
    return rc;
}

static void release_groups(fa_request *req, unsigned ngroups) {
    for (unsigned g = 0; g < ngroups; g++) gpiod_line_release_bulk(&req->groups[g].bulk);
}

fa_request *fa_request_lines(fa_chip *chip, const char *consumer, const unsigned *offsets, unsigned count,
                             const fa_line_config *configs, const int *initial) {
    if (count == 0 || count > FA_MAX_LINES) { errno = EINVAL; return NULL; }
    for (unsigned i = 0; i < count; i++) {
        if (configs[i].debounce_us && !configs[i].output) { errno = EOPNOTSUPP; return NULL; }
    }
    fa_request *req = calloc(1, sizeof *req);
    if (!req) { errno = ENOMEM; return NULL; }
    req->count = count;
    /* Group the lines by configuration, in request order. */
    for (unsigned i = 0; i < count; i++) {
        unsigned g = 0;
        while (g < req->ngroups && !same_config(&configs[req->groups[g].index[0]], &configs[i])) g++;
        if (g == req->ngroups) { req->ngroups++; gpiod_line_bulk_init(&req->groups[g].bulk); }
        struct gpiod_line *line = gpiod_chip_get_line(chip->chip, offsets[i]);
        if (!line) { free(req); return NULL; }
        req->groups[g].index[req->groups[g].bulk.num_lines] = i;
        gpiod_line_bulk_add(&req->groups[g].bulk, line);
    }
    for (unsigned g = 0; g < req->ngroups; g++) {
        struct fa_group *group = &req->groups[g];
        const fa_line_config *config = &configs[group->index[0]];
        struct gpiod_line_request_config rc = request_config(consumer, config);
        int defaults[FA_MAX_LINES] = {0};
        for (unsigned k = 0; initial && k < group->bulk.num_lines; k++) defaults[k] = initial[group->index[k]];
        if (gpiod_line_request_bulk(&group->bulk, &rc, defaults) < 0) {
            int saved = errno;
            release_groups(req, g);
            free(req);
            errno = saved;
            return NULL;
        }
    }
    /* One event descriptor per line with edge detection, in request order. */
    for (unsigned i = 0; i < count; i++) {
        if (configs[i].output || configs[i].edges == FA_EDGES_NONE) continue;
        for (unsigned g = 0; g < req->ngroups; g++)
            for (unsigned k = 0; k < req->groups[g].bulk.num_lines; k++)
                if (req->groups[g].index[k] == i) req->fd_line[req->nfds++] = req->groups[g].bulk.lines[k];
    }
    return req;
}

void fa_request_release(fa_request *request) {
    if (!request) return;
    release_groups(request, request->ngroups);
    free(request);
}

unsigned fa_request_num_lines(fa_request *request) { return request->count; }
unsigned fa_request_event_fd_count(fa_request *request) { return request->nfds; }

int fa_request_event_fd(fa_request *request, unsigned i) {
    if (i >= request->nfds) { errno = EINVAL; return -1; }
    return gpiod_line_event_get_fd(request->fd_line[i]);
}

/* uAPI v1 queues 16 events per line (lineevent_state.events in gpiolib-cdev.c) and drops newer ones. */
unsigned fa_request_event_queue(fa_request *request, unsigned i) { return i < request->nfds ? 16 : 0; }

int fa_request_get(fa_request *request, int *values) {
    for (unsigned g = 0; g < request->ngroups; g++) {
        struct fa_group *group = &request->groups[g];
        int got[FA_MAX_LINES];
        if (gpiod_line_get_value_bulk(&group->bulk, got) < 0) return -1;
        for (unsigned k = 0; k < group->bulk.num_lines; k++) values[group->index[k]] = got[k];
    }
    return 0;
}

int fa_request_set(fa_request *request, const int *values) {
    for (unsigned g = 0; g < request->ngroups; g++) {
        struct fa_group *group = &request->groups[g];
        if (gpiod_line_direction(group->bulk.lines[0]) != GPIOD_LINE_DIRECTION_OUTPUT) continue;
        int put[FA_MAX_LINES];
        for (unsigned k = 0; k < group->bulk.num_lines; k++) put[k] = values[group->index[k]];
        if (gpiod_line_set_value_bulk(&group->bulk, put) < 0) return -1;
    }
    return 0;
}

int fa_request_read_events(fa_request *request, unsigned i, fa_edge_event *events, int max) {
    if (i >= request->nfds || max <= 0) { errno = EINVAL; return -1; }
    struct gpiod_line *line = request->fd_line[i];
    struct gpiod_line_event raw[16];
    if (max > 16) max = 16;
    int fd = gpiod_line_event_get_fd(line);
    if (fd < 0) return -1;
    int n = gpiod_line_event_read_fd_multiple(fd, raw, (unsigned)max);
    if (n < 0) return -1;
    unsigned offset = gpiod_line_offset(line);
    for (int k = 0; k < n; k++) {
        events[k].offset = offset;
        events[k].rising = raw[k].event_type == GPIOD_LINE_EVENT_RISING_EDGE;
        events[k].timestamp_ns = (uint64_t)raw[k].ts.tv_sec * 1000000000ull + (uint64_t)raw[k].ts.tv_nsec;
        events[k].line_seqno = 0;
    }
    return n;
}

#endif /* GPIOD_LINE_BULK_MAX_LINES: libgpiod 1.x */
