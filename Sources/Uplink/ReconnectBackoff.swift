/// Jittered exponential backoff between connection attempts: the n-th failure in a row waits
/// `min(max, min · 2ⁿ)` scaled by a random factor in [0.5, 1.5), so that a fleet that lost its broker at the same
/// moment does not come back at the same moment.
public struct ReconnectBackoff: Sendable {
    public let minimum: Duration
    public let maximum: Duration
    /// Failures since the last successful connection.
    public private(set) var failures = 0

    public init(minimum: Duration, maximum: Duration) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
    }

    /// The wait before the next attempt; `unit` is a random number in [0, 1).
    public mutating func nextDelay(unit: Double) -> Duration {
        let base = Double(minimum.nanoseconds) * Double(1 << min(failures, 30))
        let capped = min(base, Double(maximum.nanoseconds))
        failures += 1
        let jittered = capped * (0.5 + min(max(unit, 0), 1))
        return .nanoseconds(Int64(jittered))
    }

    /// A connection succeeded: the next failure starts from ``minimum`` again.
    public mutating func reset() { failures = 0 }
}
