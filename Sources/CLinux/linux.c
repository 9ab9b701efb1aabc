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

#include <fcntl.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Drops the pages of [start, end) that are the file's own (page cache) pages, never a private copy: /proc/self/pagemap
   says which present pages are anonymous (bit 63 present, bit 61 clear: a copy made by a write, such as a relocated
   RELRO page) or swapped (bit 62); runs of the other pages go. 0, or -1 when pagemap cannot be read. */
static int drop_file_pages(int pagemap, unsigned long start, unsigned long end, unsigned long page) {
    uint64_t entries[256];
    unsigned long run = start;  /* first page of the run to drop */
    for (unsigned long address = start; address < end;) {
        size_t count = (end - address) / page;
        if (count > sizeof entries / sizeof entries[0]) count = sizeof entries / sizeof entries[0];
        ssize_t got = pread(pagemap, entries, count * sizeof entries[0], (off_t)(address / page * sizeof entries[0]));
        if (got != (ssize_t)(count * sizeof entries[0])) return -1;
        for (size_t i = 0; i < count; i++, address += page) {
            uint64_t e = entries[i];
            int private_copy = ((e >> 63) & 1 && !((e >> 61) & 1)) || ((e >> 62) & 1);
            if (!private_copy) continue;
            if (run < address) madvise((void *)run, address - run, MADV_DONTNEED);
            run = address + page;
        }
    }
    if (run < end) madvise((void *)run, end - run, MADV_DONTNEED);
    return 0;
}

int cl_drop_startup_code_pages(void) {
    /* Start-up (the dynamic loader, the Swift runtime, library constructors, reading the config) faults in code and
       read-only data through the kernel's fault-around, 16 pages at a time, most of which the agent never uses
       again. Those pages are the files' own, never written: dropped here, they fault back in from the page cache
       when used, and the RSS counts what the agent uses. Pages a write made private (relocated RELRO data) are
       kept: pagemap tells them apart. Writable mappings are left alone (a page could be written meanwhile). Without
       pagemap, only whole code mappings are dropped (code is never written: no text relocations). */
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps) return -1;
    int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
    char line[512];
    int dropped = 0;
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[8] = {0};
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3) continue;
        if (perms[0] != 'r' || perms[1] == 'w' || perms[3] != 'p' || !strchr(line, '/')) continue;  /* read-only file maps */
        if (pagemap >= 0 && drop_file_pages(pagemap, start, end, page) == 0) dropped++;
        else if (perms[2] == 'x' && madvise((void *)start, end - start, MADV_DONTNEED) == 0) dropped++;
    }
    if (pagemap >= 0) close(pagemap);
    fclose(maps);
    return dropped;
}
