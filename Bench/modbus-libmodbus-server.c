/*
 * The libmodbus reference server for `make bench-modbus`, equivalent to libmodbus's own test programs
 * bandwidth-server-one (one client at a time, blocking receive/reply) and bandwidth-server-many-up (select over
 * every client), built against the system libmodbus so CI does not need libmodbus's source package.
 *   modbus-libmodbus-server one|many PORT
 */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s one|many PORT\n", argv[0]); return 2; }
    int many = strcmp(argv[1], "many") == 0;
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", atoi(argv[2]));
    modbus_mapping_t *map = modbus_mapping_new(MODBUS_MAX_READ_BITS, 0, MODBUS_MAX_READ_REGISTERS, 0);
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    int listener = modbus_tcp_listen(ctx, 64);
    if (listener < 0) { fprintf(stderr, "listen: %s\n", modbus_strerror(errno)); return 1; }
    printf("ready\n");
    fflush(stdout);
    if (!many) {
        for (;;) {  /* like bandwidth-server-one: serve one client until it leaves, then the next */
            if (modbus_tcp_accept(ctx, &listener) < 0) continue;
            for (;;) {
                int rc = modbus_receive(ctx, query);
                if (rc > 0) modbus_reply(ctx, query, rc, map);
                else if (rc == -1) break;
            }
            close(modbus_get_socket(ctx));
        }
    }
    fd_set all;
    FD_ZERO(&all);
    FD_SET(listener, &all);
    int fdmax = listener;
    for (;;) {  /* like bandwidth-server-many-up */
        fd_set ready = all;
        if (select(fdmax + 1, &ready, NULL, NULL, NULL) < 0) { if (errno == EINTR) continue; return 1; }
        for (int fd = 0; fd <= fdmax; fd++) {
            if (!FD_ISSET(fd, &ready)) continue;
            if (fd == listener) {
                int c = accept(listener, NULL, NULL);
                if (c >= 0) { FD_SET(c, &all); if (c > fdmax) fdmax = c; }
                continue;
            }
            modbus_set_socket(ctx, fd);
            int rc = modbus_receive(ctx, query);
            if (rc > 0) modbus_reply(ctx, query, rc, map);
            else if (rc == -1) { close(fd); FD_CLR(fd, &all); }
        }
    }
}
