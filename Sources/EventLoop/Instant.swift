/// A point on the loop's monotonic clock, in nanoseconds since an arbitrary origin (boot for the real loop).
///
/// Code reads time only through ``EventLoop/now``: the real loop reads `CLOCK_MONOTONIC`, the manual loop
/// returns virtual time that tests advance.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The clock's origin.
    public static let zero = Instant(nanoseconds: 0)

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    // The arithmetic saturates at Int64's range (about 292 years either way) instead of wrapping: a deadline
    // "now + a very long duration" stays in the far future, never in the past, and nothing here can trap.

    /// The instant `d` later, saturating at the clock's end.
    public static func + (a: Instant, d: Duration) -> Instant {
        let (sum, overflow) = a.nanoseconds.addingReportingOverflow(d.nanoseconds)
        return Instant(nanoseconds: overflow ? (a.nanoseconds < 0 ? .min : .max) : sum)
    }

    /// The instant `d` earlier, saturating at the clock's start.
    public static func - (a: Instant, d: Duration) -> Instant {
        let (difference, overflow) = a.nanoseconds.subtractingReportingOverflow(d.nanoseconds)
        return Instant(nanoseconds: overflow ? (a.nanoseconds < 0 ? .min : .max) : difference)
    }

    /// The time from `b` to `a` (negative when `a` is earlier), saturating.
    public static func - (a: Instant, b: Instant) -> Duration {
        let (difference, overflow) = a.nanoseconds.subtractingReportingOverflow(b.nanoseconds)
        return .nanoseconds(overflow ? (a.nanoseconds < 0 ? .min : .max) : difference)
    }

    /// Seconds since the origin, for logs.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public var description: String { "\(seconds)s" }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating at Int64's range).
    public var nanoseconds: Int64 {
        let (s, atto) = components
        let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        let (total, overflow2) = ns.addingReportingOverflow(atto / 1_000_000_000)
        return overflow2 ? (s < 0 ? .min : .max) : total
    }

    /// The duration in milliseconds as a floating-point number, for logs and reports.
    public var milliseconds: Double { Double(nanoseconds) / 1e6 }

    /// The duration in microseconds as a floating-point number, for logs and reports.
    public var microseconds: Double { Double(nanoseconds) / 1e3 }
}
