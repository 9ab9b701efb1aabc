import EventLoop

/// Derives a device's ``LinkState`` from request outcomes and time: a pure state machine (no I/O, no clock of
/// its own; the caller passes the loop's `now`). Each input returns the new state when it changed.
///
/// - success → up (and last-seen is now)
/// - failure → stale when it was up; down after ``downAfterFailures`` failures in a row
/// - time → stale once nothing succeeded for ``staleAfter``
public struct DeviceLinkTracker: Sendable, Equatable {
    /// The current state; ``LinkState/down`` until the first success.
    public private(set) var state: LinkState = .down
    /// When the device last answered (an exception answer counts: the device is there).
    public private(set) var lastSeen: Instant?
    /// Failed requests since the last success.
    public private(set) var consecutiveFailures = 0
    /// Up turns stale after this long without an answer.
    public var staleAfter: Duration
    /// Failures in a row that make the device down.
    public var downAfterFailures: Int

    public init(staleAfter: Duration, downAfterFailures: Int = 3) {
        self.staleAfter = staleAfter
        self.downAfterFailures = max(1, downAfterFailures)
    }

    /// The device answered at `now`.
    public mutating func recordSuccess(at now: Instant) -> LinkState? {
        lastSeen = now
        consecutiveFailures = 0
        return set(.up)
    }

    /// A request failed (timeout, connection refused, broken connection) at `now`.
    public mutating func recordFailure(at now: Instant) -> LinkState? {
        consecutiveFailures += 1
        if consecutiveFailures >= downAfterFailures { return set(.down) }
        if state == .up { return set(.stale) }
        return evaluate(at: now)
    }

    /// Time passed: an up device with no answer for ``staleAfter`` becomes stale.
    public mutating func evaluate(at now: Instant) -> LinkState? {
        if state == .up, let seen = lastSeen, now - seen > staleAfter { return set(.stale) }
        return nil
    }

    private mutating func set(_ new: LinkState) -> LinkState? {
        guard new != state else { return nil }
        state = new
        return new
    }
}
