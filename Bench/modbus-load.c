/*
 * The load client for `make bench-modbus`: N connections, each a thread doing back-to-back "read 10 holding
 * registers" requests (FC 3, one in flight per connection) for S seconds; prints requests per second.
 * Plain sockets and hand-built MBAP frames, so the client costs every server the same.
 *   modbus-load PORT CONNECTIONS SECONDS
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

static int port;
static double seconds;
static atomic_long total;
static atomic_int failed;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg) {
    (void)arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(0x7F000001);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { failed = 1; return NULL; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint8_t req[12] = {0, 0, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10}, resp[64];
    long n = 0;
    double end = now() + seconds;
    uint16_t tid = 0;
    while (1) {
        if ((n & 63) == 0 && now() >= end) break;
        tid++;
        req[0] = tid >> 8; req[1] = tid & 0xFF;
        if (send(fd, req, sizeof req, MSG_NOSIGNAL) != sizeof req) { failed = 1; break; }
        int got = 0;  /* answer: 7 + 2 + 20 = 29 bytes */
        while (got < 29) {
            ssize_t r = recv(fd, resp + got, sizeof resp - got, 0);
            if (r <= 0) { failed = 1; goto out; }
            got += r;
        }
        if (resp[0] != req[0] || resp[1] != req[1] || resp[7] != 3 || resp[8] != 20) { failed = 1; break; }
        n++;
    }
out:
    close(fd);
    atomic_fetch_add(&total, n);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s PORT CONNECTIONS SECONDS\n", argv[0]); return 2; }
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
    return 0;
}
