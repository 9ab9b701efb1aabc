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

    public static func + (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds &+ d.nanoseconds) }
    public static func - (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds &- d.nanoseconds) }
    public static func - (a: Instant, b: Instant) -> Duration { .nanoseconds(a.nanoseconds &- b.nanoseconds) }

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
        return ns &+ atto / 1_000_000_000
    }

    /// The duration in milliseconds as a floating-point number, for logs and reports.
    public var milliseconds: Double { Double(nanoseconds) / 1e6 }

    /// The duration in microseconds as a floating-point number, for logs and reports.
    public var microseconds: Double { Double(nanoseconds) / 1e3 }
}
