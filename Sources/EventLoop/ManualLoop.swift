import CLinux
import Glibc

/// An event loop with virtual time, for tests: time moves only when the test advances it, and due timers
/// run in deadline order with ``now`` set to each one's deadline.
///
/// Watched descriptors are real: ``runReadyIO()`` polls them without waiting and calls their handlers,
/// so a test can drive a socket pair through the same code the product runs.
public final class ManualLoop: EventLoop {
    private var timers = TimerQueue()
    private var watches: [Int32: (events: IOEvents, handler: (IOEvents) -> Void)] = [:]
    private var signalHandlers: [Int32: () -> Void] = [:]
    public private(set) var now: Instant
    /// Set by ``stop()``; tests may check it.
    public private(set) var stopRequested = false
    private var vitals = LoopVitals()

    public init(now: Instant = .zero) { self.now = now }

    public func preciseNow() -> Instant { now }

    /// Number of timers that will still fire.
    public var pendingTimers: Int { timers.count }

    @discardableResult
    public func schedule(at deadline: Instant, _ task: @escaping () -> Void) -> TimerID {
        timers.schedule(at: deadline, task)
    }

    public func cancel(_ timer: TimerID) { timers.cancel(timer) }

    public func watch(_ fd: Int32, for events: IOEvents, _ handler: @escaping (IOEvents) -> Void) throws(SystemError) {
        precondition(watches[fd] == nil, "fd \(fd) is already watched")
        watches[fd] = (events, handler)
    }

    public func updateWatch(_ fd: Int32, for events: IOEvents) throws(SystemError) {
        guard let watch = watches[fd] else { preconditionFailure("fd \(fd) is not watched") }
        watches[fd] = (events, watch.handler)
    }

    public func unwatch(_ fd: Int32) { watches[fd] = nil }

    public func onSignal(_ signal: Int32, _ handler: @escaping () -> Void) throws(SystemError) {
        signalHandlers[signal] = handler
    }

    public func stop() { stopRequested = true }

    /// Delivers `signal` as the real loop would: its handler runs now.
    public func deliver(signal: Int32) { signalHandlers[signal]?() }

    /// Moves time forward by `duration`, running every timer that falls due on the way, in deadline order.
    public func advance(by duration: Duration) {
        advance(to: now + duration)
    }

    /// Moves time forward to `instant`, running due timers in deadline order. Between two deadlines the loop
    /// counts as waiting for its descriptors, caught up (see ``collectVitals()``), unless a ``stall(for:)``
    /// left it behind.
    public func advance(to instant: Instant) {
        while let deadline = timers.earliestDeadline(), deadline <= instant {
            if deadline > now {
                vitals.polled(returnedAt: deadline, overdue: .zero)
                now = deadline
            }
            if let due = timers.popDue(now: now) {
                vitals.ranTimer(deadline: due.deadline, ranAt: now)
                due.task()
            }
        }
        if instant > now { now = instant }
        vitals.polled(returnedAt: now, overdue: .zero)
    }

    /// The loop is busy for `duration` (a handler that blocks, a runaway computation): time passes with no
    /// timer run and no descriptor read. Timers that fell due meanwhile run late at the next ``advance(by:)``,
    /// which ``collectVitals()`` reports.
    public func stall(for duration: Duration) {
        now = now + duration
    }

    public func collectVitals() -> LoopVitals {
        let current = vitals
        vitals.startWindow()
        return current
    }

    /// Runs timers already due without moving time.
    public func runDue() { advance(to: now) }

    /// Polls every watched descriptor without waiting and calls the handlers of those that are ready.
    /// Returns how many handlers ran.
    @discardableResult
    public func runReadyIO() -> Int {
        vitals.polled(returnedAt: now, overdue: .zero)
        let fds = watches.map { (fd: $0.key, events: $0.value.events) }.sorted { $0.fd < $1.fd }
        guard !fds.isEmpty else { return 0 }
        var polls = fds.map { pollfd(fd: $0.fd, events: Int16(truncatingIfNeeded: Self.pollEvents($0.events)), revents: 0) }
        let n = poll(&polls, nfds_t(polls.count), 0)
        guard n > 0 else { return 0 }
        var ran = 0
        for p in polls where p.revents != 0 {
            guard let watch = watches[p.fd] else { continue }
            watch.handler(Self.ioEvents(fromPoll: Int32(p.revents)))
            ran += 1
        }
        return ran
    }

    private static func pollEvents(_ e: IOEvents) -> Int32 {
        var r: Int32 = 0
        if e.contains(.readable) { r |= Int32(POLLIN) }
        if e.contains(.writable) { r |= Int32(POLLOUT) }
        if e.contains(.priority) { r |= Int32(POLLPRI) }
        return r | 0x2000 // POLLRDHUP (needs _GNU_SOURCE in C)
    }

    private static func ioEvents(fromPoll r: Int32) -> IOEvents {
        var e: IOEvents = []
        if r & Int32(POLLIN) != 0 { e.insert(.readable) }
        if r & Int32(POLLOUT) != 0 { e.insert(.writable) }
        if r & Int32(POLLPRI) != 0 { e.insert(.priority) }
        if r & (Int32(POLLHUP | POLLERR) | 0x2000) != 0 { e.insert(.hangup) }
        return e
    }
}
