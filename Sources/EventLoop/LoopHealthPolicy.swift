/// When a loop counts as healthy, judged from its ``LoopVitals``: it came back from waiting for its
/// descriptors recently, it had caught up with every due timer recently, and no timer ran later than a bound.
///
/// A loop whose timers re-arm faster than they run never catches up (it still reads its descriptors, but is
/// always behind); a loop stalled in a handler neither polls nor runs timers; a loop that cannot keep up runs
/// its timers late. Each of these fails the check, so the watchdog stops pinging and systemd restarts the
/// service, whose `ExecStopPost=` drives the outputs safe.
public struct LoopHealthPolicy: Sendable, Equatable {
    /// The longest since the loop last came back from `epoll_wait`.
    public var maxSincePoll: Duration
    /// The longest since the loop was last caught up with its timers.
    public var maxSinceCaughtUp: Duration
    /// The latest any timer may run (or wait overdue at a poll) within one window.
    public var maxLateness: Duration

    /// The default bounds: one second each, far beyond a healthy loop (timers run within tens of microseconds
    /// of their deadline; the loop catches up between decision ticks) and far below systemd's `WatchdogSec=`.
    public init(maxSincePoll: Duration = .seconds(1), maxSinceCaughtUp: Duration = .seconds(1), maxLateness: Duration = .seconds(1)) {
        self.maxSincePoll = maxSincePoll
        self.maxSinceCaughtUp = maxSinceCaughtUp
        self.maxLateness = maxLateness
    }

    /// Nil when `vitals` are healthy at `now`, else why not (for the log line).
    public func problem(_ vitals: LoopVitals, at now: Instant) -> String? {
        guard let lastPoll = vitals.lastPoll else { return "the loop has not waited for its descriptors yet" }
        if now - lastPoll > maxSincePoll {
            return "the loop has not read its descriptors for \(text(now - lastPoll)) (bound \(text(maxSincePoll)))"
        }
        guard let caughtUp = vitals.lastCaughtUp else { return "the loop has never caught up with its timers" }
        if now - caughtUp > maxSinceCaughtUp {
            return "the loop has been behind its timers for \(text(now - caughtUp)) (bound \(text(maxSinceCaughtUp)))"
        }
        if vitals.worstLateness > maxLateness {
            return "a timer ran \(text(vitals.worstLateness)) late (bound \(text(maxLateness)))"
        }
        return nil
    }

    private func text(_ d: Duration) -> String {
        let ms = d.milliseconds
        return ms >= 1000 ? "\(Double(Int(ms / 10)) / 100)s" : "\(Double(Int(ms * 10)) / 10)ms"
    }
}
