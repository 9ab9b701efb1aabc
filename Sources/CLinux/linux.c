#include "CLinux.h"

int cl_bytes_available(int fd) {
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) < 0) return -1;
    return n;
}
