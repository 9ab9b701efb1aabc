#ifndef CALLOCATIONCOUNTER_H
#define CALLOCATIONCOUNTER_H

/// Counts malloc/calloc/realloc/aligned allocations made by the calling thread between start and stop.
/// The test binary's malloc family forwards to glibc's __libc_* functions and counts when the calling thread has
/// counting on, so tests running in parallel on other threads do not disturb the count.
void fa_allocation_counting_start(void);
/// Stops counting on this thread and returns the number of allocations since start.
long fa_allocation_counting_stop(void);

#endif
