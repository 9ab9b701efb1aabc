/* fa_gpio over the libgpiod 2.x API (2.2 on Debian 13 trixie / Raspberry Pi OS since October 2025). See fa_gpio.h.
 * What 2.x adds and FieldAgent uses: one kernel request with settings per line, kernel debounce, the event
 * clock chosen (CLOCK_MONOTONIC, the loop's), edge events read in bulk into a buffer, per-line sequence numbers.
 * Compiles to nothing against libgpiod 1.x (fa_gpio_v1.c is the facade there). */
#include <gpiod.h>
#ifndef GPIOD_LINE_BULK_MAX_LINES

#include "fa_gpio.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FA_MAX_LINES 64
/* Edge events read per read(): the buffer a request owns. */
#define FA_EVENT_BUFFER 64
/* Events the kernel queues per requested line (its own default, made explicit). */
#define FA_QUEUE_PER_LINE 16

struct fa_chip {
    struct gpiod_chip *chip;
    char name[32];
    char label[64];
    unsigned num_lines;
};

struct fa_request {
    struct gpiod_line_request *request;
    struct gpiod_edge_event_buffer *events;  /* NULL without edge detection */
    unsigned count;
    unsigned offsets[FA_MAX_LINES];
    unsigned char output[FA_MAX_LINES];
    unsigned queue;
};

const char *fa_gpio_backend_version(void) {
    static char text[48];
    if (!text[0]) snprintf(text, sizeof text, "libgpiod %s", gpiod_api_version());
    return text;
}

int fa_gpio_api_major(void) { return 2; }
int fa_gpio_kernel_debounce(void) { return 1; }

static void copy_text(char *buf, size_t buflen, const char *text) {
    if (!buflen) return;
    strncpy(buf, text ? text : "", buflen - 1);
    buf[buflen - 1] = 0;
}

static fa_chip *open_path(const char *path) {
    struct gpiod_chip *c = gpiod_chip_open(path);
    if (!c) return NULL;
    struct gpiod_chip_info *info = gpiod_chip_get_info(c);
    if (!info) { int saved = errno; gpiod_chip_close(c); errno = saved; return NULL; }
    fa_chip *chip = calloc(1, sizeof *chip);
    if (!chip) { gpiod_chip_info_free(info); gpiod_chip_close(c); errno = ENOMEM; return NULL; }
    chip->chip = c;
    copy_text(chip->name, sizeof chip->name, gpiod_chip_info_get_name(info));
    copy_text(chip->label, sizeof chip->label, gpiod_chip_info_get_label(info));
    chip->num_lines = (unsigned)gpiod_chip_info_get_num_lines(info);
    gpiod_chip_info_free(info);
    return chip;
}

fa_chip *fa_chip_open_by_label(const char *label) {
    DIR *dev = opendir("/dev");
    if (!dev) return NULL;
    int denied = 0;
    struct dirent *entry;
    while ((entry = readdir(dev))) {
        if (strncmp(entry->d_name, "gpiochip", 8) != 0) continue;
        char path[64];
        snprintf(path, sizeof path, "/dev/%s", entry->d_name);
        if (!gpiod_is_gpiochip_device(path)) continue;
        fa_chip *chip = open_path(path);
        if (!chip) { if (errno == EACCES || errno == EPERM) denied = errno; continue; }
        if (strcmp(chip->label, label) == 0) { closedir(dev); return chip; }
        fa_chip_close(chip);
    }
    closedir(dev);
    errno = denied ? denied : ENOENT;
    return NULL;
}

fa_chip *fa_chip_open(const char *path_or_name) {
    char path[96];
    const char *p = path_or_name;
    size_t digits = strspn(path_or_name, "0123456789");
    if (path_or_name[0] != '/') {
        if (digits > 0 && path_or_name[digits] == 0) snprintf(path, sizeof path, "/dev/gpiochip%s", path_or_name);
        else snprintf(path, sizeof path, "/dev/%s", path_or_name);
        p = path;
    }
    fa_chip *chip = open_path(p);
    /* As libgpiod 1.x's lookup did: a label works too. */
    if (!chip && errno == ENOENT && strchr(path_or_name, '/') == NULL) return fa_chip_open_by_label(path_or_name);
    return chip;
}

void fa_chip_close(fa_chip *chip) {
    if (!chip) return;
    gpiod_chip_close(chip->chip);
    free(chip);
}

const char *fa_chip_label(fa_chip *chip) { return chip->label; }
const char *fa_chip_name(fa_chip *chip) { return chip->name; }
unsigned fa_chip_num_lines(fa_chip *chip) { return chip->num_lines; }

int fa_chip_line_name(fa_chip *chip, unsigned offset, char *buf, unsigned buflen) {
    struct gpiod_line_info *info = gpiod_chip_get_line_info(chip->chip, offset);
    if (!info) return -1;
    copy_text(buf, buflen, gpiod_line_info_get_name(info));
    gpiod_line_info_free(info);
    return 0;
}

int fa_chip_line_consumer(fa_chip *chip, unsigned offset, char *buf, unsigned buflen) {
    struct gpiod_line_info *info = gpiod_chip_get_line_info(chip->chip, offset);
    if (!info) return -1;
    int used = gpiod_line_info_is_used(info) ? 1 : 0;
    copy_text(buf, buflen, gpiod_line_info_get_consumer(info));
    gpiod_line_info_free(info);
    return used;
}

/* The settings of one line; NULL (errno set) on failure. */
static struct gpiod_line_settings *line_settings(const fa_line_config *c, int initial) {
    struct gpiod_line_settings *s = gpiod_line_settings_new();
    if (!s) return NULL;
    int rc = 0;
    gpiod_line_settings_set_active_low(s, c->active_low != 0);
    if (c->output) {
        rc |= gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT);
        rc |= gpiod_line_settings_set_output_value(s, initial ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
    } else {
        rc |= gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT);
        enum gpiod_line_bias bias = GPIOD_LINE_BIAS_AS_IS;
        switch (c->bias) {
        case FA_BIAS_DISABLE: bias = GPIOD_LINE_BIAS_DISABLED; break;
        case FA_BIAS_PULL_UP: bias = GPIOD_LINE_BIAS_PULL_UP; break;
        case FA_BIAS_PULL_DOWN: bias = GPIOD_LINE_BIAS_PULL_DOWN; break;
        default: break;
        }
        rc |= gpiod_line_settings_set_bias(s, bias);
        enum gpiod_line_edge edge = GPIOD_LINE_EDGE_NONE;
        switch (c->edges) {
        case FA_EDGES_RISING: edge = GPIOD_LINE_EDGE_RISING; break;
        case FA_EDGES_FALLING: edge = GPIOD_LINE_EDGE_FALLING; break;
        case FA_EDGES_BOTH: edge = GPIOD_LINE_EDGE_BOTH; break;
        default: break;
        }
        rc |= gpiod_line_settings_set_edge_detection(s, edge);
        gpiod_line_settings_set_debounce_period_us(s, c->debounce_us);
        /* The loop's clock: timestamps compare with loop.now without conversion. */
        rc |= gpiod_line_settings_set_event_clock(s, GPIOD_LINE_CLOCK_MONOTONIC);
    }
    if (rc) { gpiod_line_settings_free(s); errno = EINVAL; return NULL; }
    return s;
}

fa_request *fa_request_lines(fa_chip *chip, const char *consumer, const unsigned *offsets, unsigned count,
                             const fa_line_config *configs, const int *initial) {
    if (count == 0 || count > FA_MAX_LINES) { errno = EINVAL; return NULL; }
    for (unsigned i = 0; i < count; i++)
        for (unsigned j = 0; j < i; j++)
            if (offsets[i] == offsets[j]) { errno = EINVAL; return NULL; }
    fa_request *req = calloc(1, sizeof *req);
    struct gpiod_line_config *lc = gpiod_line_config_new();
    struct gpiod_request_config *rc = gpiod_request_config_new();
    int saved = ENOMEM;
    int edges = 0;
    if (!req || !lc || !rc) goto fail;
    req->count = count;
    memcpy(req->offsets, offsets, count * sizeof *offsets);
    for (unsigned i = 0; i < count; i++) {
        struct gpiod_line_settings *s = line_settings(&configs[i], initial ? initial[i] : 0);
        if (!s) { saved = errno; goto fail; }
        int added = gpiod_line_config_add_line_settings(lc, &offsets[i], 1, s);
        saved = errno;
        gpiod_line_settings_free(s);
        if (added < 0) goto fail;
        req->output[i] = configs[i].output != 0;
        if (!configs[i].output && configs[i].edges != FA_EDGES_NONE) edges++;
    }
    gpiod_request_config_set_consumer(rc, consumer);
    req->queue = FA_QUEUE_PER_LINE * count;
    gpiod_request_config_set_event_buffer_size(rc, req->queue);
    if (edges) {
        req->events = gpiod_edge_event_buffer_new(FA_EVENT_BUFFER);
        if (!req->events) { saved = ENOMEM; goto fail; }
    }
    req->request = gpiod_chip_request_lines(chip->chip, rc, lc);
    if (!req->request) { saved = errno; goto fail; }
    gpiod_line_config_free(lc);
    gpiod_request_config_free(rc);
    return req;
fail:
    if (req && req->events) gpiod_edge_event_buffer_free(req->events);
    free(req);
    if (lc) gpiod_line_config_free(lc);
    if (rc) gpiod_request_config_free(rc);
    errno = saved;
    return NULL;
}

void fa_request_release(fa_request *request) {
    if (!request) return;
    gpiod_line_request_release(request->request);
    if (request->events) gpiod_edge_event_buffer_free(request->events);
    free(request);
}

unsigned fa_request_num_lines(fa_request *request) { return request->count; }
unsigned fa_request_event_fd_count(fa_request *request) { return request->events ? 1 : 0; }

int fa_request_event_fd(fa_request *request, unsigned i) {
    if (i >= fa_request_event_fd_count(request)) { errno = EINVAL; return -1; }
    return gpiod_line_request_get_fd(request->request);
}

unsigned fa_request_event_queue(fa_request *request, unsigned i) {
    return i < fa_request_event_fd_count(request) ? request->queue : 0;
}

int fa_request_get(fa_request *request, int *values) {
    enum gpiod_line_value got[FA_MAX_LINES];
    if (gpiod_line_request_get_values_subset(request->request, request->count, request->offsets, got) < 0) return -1;
    for (unsigned i = 0; i < request->count; i++) values[i] = got[i] == GPIOD_LINE_VALUE_ACTIVE;
    return 0;
}

int fa_request_set(fa_request *request, const int *values) {
    /* Only the outputs: setting an input's value is an error for the kernel. */
    enum gpiod_line_value put[FA_MAX_LINES];
    unsigned outputs[FA_MAX_LINES];
    unsigned n = 0;
    for (unsigned i = 0; i < request->count; i++) {
        if (!request->output[i]) continue;
        outputs[n] = request->offsets[i];
        put[n] = values[i] ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
        n++;
    }
    if (n == 0) return 0;
    return gpiod_line_request_set_values_subset(request->request, n, outputs, put) < 0 ? -1 : 0;
}

int fa_request_read_events(fa_request *request, unsigned i, fa_edge_event *events, int max) {
    if (i >= fa_request_event_fd_count(request) || max <= 0) { errno = EINVAL; return -1; }
    if (max > FA_EVENT_BUFFER) max = FA_EVENT_BUFFER;
    int n = gpiod_line_request_read_edge_events(request->request, request->events, (size_t)max);
    if (n < 0) return -1;
    for (int k = 0; k < n; k++) {
        struct gpiod_edge_event *e = gpiod_edge_event_buffer_get_event(request->events, (unsigned long)k);
        events[k].offset = gpiod_edge_event_get_line_offset(e);
        events[k].rising = gpiod_edge_event_get_event_type(e) == GPIOD_EDGE_EVENT_RISING_EDGE;
        events[k].timestamp_ns = gpiod_edge_event_get_timestamp_ns(e);
        events[k].line_seqno = gpiod_edge_event_get_line_seqno(e);
    }
    return n;
}

#endif /* !GPIOD_LINE_BULK_MAX_LINES: libgpiod 2.x */
