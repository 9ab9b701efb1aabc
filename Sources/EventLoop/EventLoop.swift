/// A single-threaded event loop: timers on a monotonic clock, readiness of file descriptors, and signals.
///
/// There are two implementations: ``EpollLoop`` (the product: epoll, timerfd, signalfd) and ``ManualLoop``
/// (virtual time for tests). Neither is thread-safe, by design: everything runs on the loop's thread, and
/// code reads time only through ``now``.
public protocol EventLoop: AnyObject {
    /// The current time on the loop's clock.
    var now: Instant { get }

    /// Reads the clock afresh (``now`` is read once per loop turn). The real loop reads `CLOCK_MONOTONIC`;
    /// the manual loop returns its virtual time. For latency measurements.
    func preciseNow() -> Instant

    /// Runs `task` once, on the loop, at or soon after `deadline`. Timers with equal deadlines run in the order scheduled.
    @discardableResult
    func schedule(at deadline: Instant, _ task: @escaping () -> Void) -> TimerID

    /// Cancels a timer; cancelling one that already ran (or was cancelled) does nothing.
    func cancel(_ timer: TimerID)

    /// Calls `handler` on the loop whenever `fd` is ready for `events` (hang-ups and errors are always reported).
    /// One watch per descriptor; the caller keeps ownership of `fd` and must ``unwatch(_:)`` it before closing it.
    func watch(_ fd: Int32, for events: IOEvents, _ handler: @escaping (IOEvents) -> Void) throws(SystemError)

    /// Changes which events a watched descriptor is reported for (for example, add `.writable` while output is queued).
    func updateWatch(_ fd: Int32, for events: IOEvents) throws(SystemError)

    /// Stops watching `fd`. Safe to call from any handler, including the descriptor's own.
    func unwatch(_ fd: Int32)

    /// Calls `handler` on the loop when the process receives `signal` (which is then no longer delivered asynchronously).
    func onSignal(_ signal: Int32, _ handler: @escaping () -> Void) throws(SystemError)

    /// Makes ``EpollLoop/run()`` return after the current turn.
    func stop()

    /// What the loop observed about itself since the previous call (see ``LoopVitals``), then starts a new
    /// window: the watchdog asks once per ping.
    func collectVitals() -> LoopVitals
}

extension EventLoop {
    /// Runs `task` once after `delay`.
    @discardableResult
    public func schedule(after delay: Duration, _ task: @escaping () -> Void) -> TimerID {
        schedule(at: now + delay, task)
    }
}
