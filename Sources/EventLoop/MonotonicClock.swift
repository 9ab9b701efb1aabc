import Glibc

/// Reads `CLOCK_MONOTONIC`. Only the real loop calls this; everything else asks the loop for ``EventLoop/now``.
public enum MonotonicClock {
    /// The current monotonic time. The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
    @inline(__always)
    public static func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }
}
