import EventLoop

/// Debounces one input in software: a new value is reported only once the raw signal has stayed at it
/// for `period`. libgpiod 1.x offers no kernel debounce, so both backends use this.
///
/// A value type that takes inputs and returns what to do; the caller owns the timer.
public struct Debouncer: Sendable {
    /// What the caller must do after an input.
    public enum Action: Equatable, Sendable {
        /// Nothing changes.
        case none
        /// Report this edge now.
        case report(EdgeEvent)
        /// (Re)arm the single timer for this deadline, cancelling the previous one; call ``settle()`` when it fires.
        case arm(Instant)
    }

    public let period: Duration
    /// The last reported logical value.
    public private(set) var stable: Bool
    private var raw: Bool
    private var lastRawEdge: EdgeEvent?

    /// Starts from the input's current logical value.
    public init(period: Duration, initial: Bool) {
        self.period = period
        stable = initial
        raw = initial
    }

    /// Feeds one raw edge.
    public mutating func feed(_ event: EdgeEvent) -> Action {
        raw = event.edge.value
        if period <= .zero {
            guard raw != stable else { return .none }
            stable = raw
            return .report(event)
        }
        lastRawEdge = event
        return .arm(event.timestamp + period)
    }

    /// The timer armed by ``feed(_:)`` fired at `now`: the signal has been quiet for `period`.
    /// Reports the edge, stamped `now` (when the debounced value became known, so that edge → output
    /// latency measures the agent and not the configured debounce), if the value differs from the last one reported.
    public mutating func settle(at now: Instant) -> EdgeEvent? {
        guard raw != stable, let last = lastRawEdge else { return nil }
        stable = raw
        return EdgeEvent(line: last.line, edge: raw ? .rising : .falling, timestamp: now)
    }
}
