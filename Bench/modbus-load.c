/*
 * The load client for `make bench-modbus`: N connections, each a thread doing back-to-back "read 10 holding
 * registers" requests (FC 3) for S seconds; prints requests per second.
 * Plain sockets and hand-built MBAP frames, so the client costs every server the same.
 *   modbus-load PORT CONNECTIONS SECONDS [DEPTH]
 * DEPTH (default 1) is the number of requests in flight per connection, each with its own transaction id, as
 * Modbus TCP allows: with DEPTH > 1 the client sends DEPTH requests in one write, then, whenever answers arrive,
 * as many new requests as answers (again in one write). Answers must come back in order with their ids.
 * Exits 1 when a connection fails, an answer is wrong or none comes within 5 s. Also writes the client's own CPU time
 * per request to stderr ("client_cpu_us_per_request=X"), to show how much of a shared CPU the client takes.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

static int port, depth = 1;
static double seconds;
static atomic_long total;
static atomic_int failed;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(uint8_t *req, uint16_t tid) {
    static const uint8_t read10[12] = {0, 0, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10};
    memcpy(req, read10, 12);
    req[0] = tid >> 8; req[1] = tid & 0xFF;
}

static void *worker(void *arg) {
    (void)arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(0x7F000001);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { failed = 1; return NULL; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval timeout = { .tv_sec = 5 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    /* An answer is 7 + 2 + 20 = 29 bytes. */
    uint8_t req[12 * 256], resp[29 * 256 + 64];
    long n = 0;
    double end = now() + seconds;
    uint16_t next_tid = 1, expected_tid = 1;
    int in_flight = 0, have = 0, stopping = 0;
    while (1) {
        /* Top up to DEPTH requests in flight, in one write. */
        int k = 0;
        if (!stopping && now() >= end) stopping = 1;
        while (!stopping && in_flight + k < depth) fill(req + 12 * k++, next_tid++);
        if (k > 0 && send(fd, req, 12 * k, MSG_NOSIGNAL) != 12 * k) { failed = 1; break; }
        in_flight += k;
        if (in_flight == 0) break;
        ssize_t r = recv(fd, resp + have, sizeof resp - have, 0);
        if (r <= 0) { failed = 1; break; }
        have += r;
        int used = 0;
        while (have - used >= 29) {
            uint8_t *p = resp + used;
            if (p[0] != expected_tid >> 8 || p[1] != (expected_tid & 0xFF) || p[7] != 3 || p[8] != 20) { failed = 1; goto out; }
            expected_tid++;
            used += 29;
            in_flight--;
            n++;
        }
        memmove(resp, resp + used, have - used);
        have -= used;
    }
out:
    close(fd);
    atomic_fetch_add(&total, n);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) { fprintf(stderr, "usage: %s PORT CONNECTIONS SECONDS [DEPTH]\n", argv[0]); return 2; }
    if (argc == 5) depth = atoi(argv[4]);
    if (depth < 1 || depth > 256) { fprintf(stderr, "DEPTH must be 1..256\n"); return 2; }
    port = atoi(argv[1]);
    int conns = atoi(argv[2]);
    seconds = atof(argv[3]);
    pthread_t t[256];
    double start = now();
    for (int i = 0; i < conns && i < 256; i++) pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < conns && i < 256; i++) pthread_join(t[i], NULL);
    double elapsed = now() - start;
    if (failed) { fprintf(stderr, "modbus-load: a connection failed or got a wrong answer\n"); return 1; }
    printf("%.0f\n", total / elapsed);
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    double cpu = u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    if (total > 0) fprintf(stderr, "client_cpu_us_per_request=%.1f\n", cpu * 1e6 / total);
    return 0;
}
