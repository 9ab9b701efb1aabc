/*
 * The TLS load client for `make bench-modbus` (Modbus/TCP Security): OpenSSL, TLS 1.3, a client certificate,
 * the server's certificate verified against the CA and its IP address.
 *   modbus-tls-load load PORT CA CERT KEY CONNECTIONS SECONDS
 *       N connections, each a thread doing back-to-back "read 10 holding registers" over one TLS session;
 *       prints requests per second (handshakes excluded from the timing).
 *   modbus-tls-load handshakes PORT CA CERT KEY SECONDS
 *       one thread: connect, full handshake (no resumption: the server issues no tickets), one read, close;
 *       prints "HANDSHAKES_PER_S P50_MS P99_MS" (wall time of connect + handshake, client side).
 *   modbus-tls-load hold PORT CA CERT KEY N
 *       opens N TLS connections (handshake + one read each), prints "held N", keeps them until stdin closes.
 * Exits 1 when a handshake fails or an answer is wrong. Writes the client's own CPU time per request
 * (or handshake) to stderr as "client_cpu_us_per_request=X".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static double seconds;
static SSL_CTX *ctx;
static atomic_long total;
static atomic_int failed;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static SSL *open_tls(int *fdp) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(0x7F000001);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return NULL; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval timeout = { .tv_sec = 5 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    SSL *s = SSL_new(ctx);
    SSL_set_fd(s, fd);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), "127.0.0.1");
    if (SSL_connect(s) != 1) { ERR_print_errors_fp(stderr); SSL_free(s); close(fd); return NULL; }
    *fdp = fd;
    return s;
}

static int read10(SSL *s, uint16_t tid) {
    uint8_t req[12] = {tid >> 8, tid & 0xFF, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10}, resp[29];
    if (SSL_write(s, req, 12) != 12) return 0;
    int have = 0;
    while (have < 29) {
        int r = SSL_read(s, resp + have, 29 - have);
        if (r <= 0) return 0;
        have += r;
    }
    return resp[0] == (tid >> 8) && resp[1] == (tid & 0xFF) && resp[7] == 3 && resp[8] == 20;
}

static void *worker(void *arg) {
    (void)arg;
    int fd;
    SSL *s = open_tls(&fd);
    if (!s) { failed = 1; return NULL; }
    long n = 0;
    double end = now() + seconds;
    uint16_t tid = 1;
    while (now() < end) {
        if (!read10(s, tid++)) { failed = 1; break; }
        n++;
    }
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
    atomic_fetch_add(&total, n);
    return NULL;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double client_cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s load|handshakes|hold PORT CA CERT KEY [CONNECTIONS] SECONDS|N\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    port = atoi(argv[2]);
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1 || SSL_CTX_use_certificate_chain_file(ctx, argv[4]) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[5], SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (strcmp(mode, "load") == 0 && argc == 8) {
        int conns = atoi(argv[6]);
        seconds = atof(argv[7]);
        pthread_t t[256];
        double start = now();
        for (int i = 0; i < conns && i < 256; i++) pthread_create(&t[i], NULL, worker, NULL);
        for (int i = 0; i < conns && i < 256; i++) pthread_join(t[i], NULL);
        double elapsed = now() - start;
        if (failed) { fprintf(stderr, "modbus-tls-load: a connection failed or got a wrong answer\n"); return 1; }
        printf("%.0f\n", total / elapsed);
        if (total > 0) fprintf(stderr, "client_cpu_us_per_request=%.1f\n", client_cpu() * 1e6 / total);
        return 0;
    }
    if (strcmp(mode, "handshakes") == 0) {
        seconds = atof(argv[6]);
        static double times[1000000];
        long n = 0;
        double start = now(), end = start + seconds;
        while (now() < end && n < 1000000) {
            int fd;
            double t0 = now();
            SSL *s = open_tls(&fd);
            if (!s) { fprintf(stderr, "modbus-tls-load: handshake failed\n"); return 1; }
            times[n++] = now() - t0;
            if (!read10(s, 1)) { fprintf(stderr, "modbus-tls-load: wrong answer\n"); return 1; }
            SSL_shutdown(s);
            SSL_free(s);
            close(fd);
        }
        double elapsed = now() - start;
        qsort(times, n, sizeof times[0], cmp);
        printf("%.0f %.2f %.2f\n", n / elapsed, times[n / 2] * 1e3, times[n * 99 / 100] * 1e3);
        fprintf(stderr, "client_cpu_us_per_request=%.1f\n", client_cpu() * 1e6 / n);
        return 0;
    }
    if (strcmp(mode, "hold") == 0) {
        int n = atoi(argv[6]);
        SSL **held = calloc(n, sizeof *held);
        for (int i = 0; i < n; i++) {
            int fd;
            held[i] = open_tls(&fd);
            if (!held[i] || !read10(held[i], 1)) { fprintf(stderr, "modbus-tls-load: connection %d failed\n", i); return 1; }
        }
        printf("held %d\n", n);
        fflush(stdout);
        char c;
        while (read(0, &c, 1) > 0) {}
        return 0;
    }
    fprintf(stderr, "modbus-tls-load: unknown mode %s\n", mode);
    return 2;
}
