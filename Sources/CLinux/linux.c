#define _GNU_SOURCE
#include "CLinux.h"

int cl_bytes_available(int fd) {
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) < 0) return -1;
    return n;
}

int cl_accept_nonblocking(int listener) {
    return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

#include <sys/mman.h>
#include <stdio.h>
#include <string.h>

int cl_drop_startup_code_pages(void) {
    /* Start-up (the dynamic loader, the Swift runtime, library constructors) faults in code through the kernel's
       fault-around, 16 pages at a time, most of which the agent never runs again. Code is never written (no text
       relocations), so its pages can be dropped here and fault back in from the page cache as they run: the RSS
       then counts the code the agent uses. Read-only data is left mapped: after relocation (RELRO) those pages
       are private copies that must not be dropped. Called before any other thread exists. */
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps) return -1;
    char line[512];
    int dropped = 0;
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[8] = {0};
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3) continue;
        if (perms[1] == 'w' || perms[2] != 'x' || !strchr(line, '/')) continue;  /* only file-backed code */
        if (madvise((void *)start, end - start, MADV_DONTNEED) == 0) dropped++;
    }
    fclose(maps);
    return dropped;
}
