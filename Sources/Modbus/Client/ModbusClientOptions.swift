import EventLoop

/// Timing and limits of a ``ModbusClient``.
public struct ModbusClientOptions: Sendable, Equatable {
    /// How long to wait for each answer.
    public var responseTimeout: Duration
    /// How long a TCP connect may take (a host that drops packets never answers the SYN).
    public var connectTimeout: Duration
    /// Extra attempts after a timeout or a broken connection (0: one attempt only).
    public var retries: Int
    /// Wait before the first retry; doubles for each further one, up to ``maxBackoff``.
    public var backoff: Duration
    /// The longest wait between retries and between reconnect attempts.
    public var maxBackoff: Duration
    /// Requests that may wait per client; more fail at once with ``ModbusError/queueFull``.
    public var maxQueue: Int

    public init(responseTimeout: Duration = .seconds(1), connectTimeout: Duration = .seconds(3), retries: Int = 2,
                backoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(10), maxQueue: Int = 64) {
        self.responseTimeout = responseTimeout
        self.connectTimeout = connectTimeout
        self.retries = retries
        self.backoff = backoff
        self.maxBackoff = maxBackoff
        self.maxQueue = maxQueue
    }

    /// The wait before retry number `attempt` (1-based): backoff × 2^(attempt-1), capped.
    public func backoff(forAttempt attempt: Int) -> Duration {
        var d = backoff
        for _ in 1..<max(attempt, 1) where d < maxBackoff { d = d * 2 }
        return min(d, maxBackoff)
    }
}
