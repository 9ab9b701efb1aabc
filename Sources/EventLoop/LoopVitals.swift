/// What a loop observed about itself: whether it still reaches its wait for descriptors, whether it catches
/// up with its timers, and how late they ran. The watchdog pings systemd only while these say the loop is
/// healthy (see ``LoopHealthPolicy``), so a loop that runs timers without reading its descriptors, or
/// cannot keep up with them, stops pinging and gets restarted.
///
/// Both loops keep one: ``EpollLoop`` at every `epoll_wait` and every timer; ``ManualLoop`` as virtual time
/// passes (it is always caught up, unless a test makes it ``ManualLoop/stall(for:)``).
public struct LoopVitals: Sendable, Equatable {
    /// When the loop last came back from waiting for its descriptors (`epoll_wait`); nil before the first wait.
    public private(set) var lastPoll: Instant?
    /// When the loop last came back from a wait it entered with no timer overdue: it had run everything due.
    public private(set) var lastCaughtUp: Instant?
    /// The latest a timer ran after its deadline, or was still waiting at a poll, since the window started.
    public private(set) var worstLateness: Duration = .zero
    /// Timers run since the window started.
    public private(set) var timersRun: UInt64 = 0
    /// Waits for descriptors since the window started.
    public private(set) var polls: UInt64 = 0

    /// Vitals with no observation yet.
    public init() {}

    /// The loop came back from a wait at `returnedAt`; when it went in, its earliest timer was `overdue` late
    /// (zero: nothing was due).
    public mutating func polled(returnedAt: Instant, overdue: Duration) {
        polls &+= 1
        lastPoll = returnedAt
        if overdue <= .zero {
            lastCaughtUp = returnedAt
        } else if overdue > worstLateness {
            worstLateness = overdue
        }
    }

    /// A timer due at `deadline` ran at `ranAt`.
    public mutating func ranTimer(deadline: Instant, ranAt: Instant) {
        timersRun &+= 1
        let late = ranAt - deadline
        if late > worstLateness { worstLateness = late }
    }

    /// Starts a new window: lateness and counts restart from zero; the last poll and catch-up times carry over.
    public mutating func startWindow() {
        worstLateness = .zero
        timersRun = 0
        polls = 0
    }
}
