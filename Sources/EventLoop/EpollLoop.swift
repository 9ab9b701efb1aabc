import CLinux
import Glibc

/// The product's event loop: one epoll descriptor, one timerfd armed at the earliest deadline, one signalfd.
///
/// With no timer due and no descriptor ready, ``run()`` sleeps in `epoll_wait` with no timeout: an idle
/// agent makes no wake-ups. Not thread-safe: create it and call everything on one thread.
public final class EpollLoop: EventLoop {
    private struct Watch {
        var generation: UInt32
        var events: IOEvents
        var handler: (IOEvents) -> Void
    }

    private let epollFD: Int32
    private let timerFD: Int32
    private var signalFD: Int32 = -1
    private var signalMask = sigset_t()
    private var signalHandlers: [Int32: () -> Void] = [:]
    private var watches: [Int32: Watch] = [:]
    private var nextGeneration: UInt32 = 1
    private var timers = TimerQueue()
    private var armedDeadline: Instant?
    private var stopped = false
    private var cachedNow: Instant
    private var vitals = LoopVitals()
    private var events: UnsafeMutablePointer<epoll_event>
    private let maxEvents = 64

    /// Counts returns from `epoll_wait`; benchmarks use it to prove an idle loop sleeps.
    public private(set) var wakeups: UInt64 = 0

    public init() throws(SystemError) {
        epollFD = try retryingSyscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        do {
            timerFD = try retryingSyscall("timerfd_create") {
                timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
            }
        } catch {
            close(epollFD)
            throw error
        }
        cachedNow = MonotonicClock.now()
        events = .allocate(capacity: maxEvents)
        sigemptyset(&signalMask)
        try addToEpoll(timerFD, events: .readable, tag: UInt64(UInt32(bitPattern: timerFD)))
    }

    deinit {
        if signalFD >= 0 {
            close(signalFD)
            sigprocmask(SIG_UNBLOCK, &signalMask, nil)
        }
        close(timerFD)
        close(epollFD)
        events.deallocate()
    }

    public var now: Instant { cachedNow }

    /// Re-reads the monotonic clock (the loop also does so after every wait).
    public func preciseNow() -> Instant {
        cachedNow = MonotonicClock.now()
        return cachedNow
    }

    // MARK: Timers

    @discardableResult
    public func schedule(at deadline: Instant, _ task: @escaping () -> Void) -> TimerID {
        timers.schedule(at: deadline, task)
    }

    public func cancel(_ timer: TimerID) {
        timers.cancel(timer)
    }

    // MARK: Descriptors

    public func watch(_ fd: Int32, for events: IOEvents, _ handler: @escaping (IOEvents) -> Void) throws(SystemError) {
        precondition(watches[fd] == nil, "fd \(fd) is already watched")
        let generation = nextGeneration
        nextGeneration &+= 1
        try addToEpoll(fd, events: events, tag: Self.tag(fd: fd, generation: generation))
        watches[fd] = Watch(generation: generation, events: events, handler: handler)
    }

    public func updateWatch(_ fd: Int32, for events: IOEvents) throws(SystemError) {
        guard var watch = watches[fd] else { preconditionFailure("fd \(fd) is not watched") }
        guard watch.events != events else { return }
        var ev = epoll_event()
        ev.events = events.rawValue | EPOLLRDHUP.rawValue
        ev.data.u64 = Self.tag(fd: fd, generation: watch.generation)
        _ = try retryingSyscall("epoll_ctl(MOD, fd \(fd))") { epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &ev) }
        watch.events = events
        watches[fd] = watch
    }

    public func unwatch(_ fd: Int32) {
        guard watches.removeValue(forKey: fd) != nil else { return }
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    // MARK: Signals

    public func onSignal(_ signal: Int32, _ handler: @escaping () -> Void) throws(SystemError) {
        signalHandlers[signal] = handler
        sigaddset(&signalMask, signal)
        _ = try retryingSyscall("sigprocmask") { sigprocmask(SIG_BLOCK, &signalMask, nil) }
        let fd = try retryingSyscall("signalfd") { CLinux.signalfd(signalFD, &signalMask, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
        if signalFD < 0 {
            signalFD = fd
            try addToEpoll(fd, events: .readable, tag: UInt64(UInt32(bitPattern: fd)))
        }
    }

    // MARK: Running

    public func stop() {
        stopped = true
    }

    /// Runs until ``stop()`` is called: due timers, then a wait for the next descriptor, signal or deadline.
    public func run() throws(SystemError) {
        stopped = false
        while !stopped {
            try runOnce(blocking: true)
        }
    }

    /// One turn: waits for descriptors (or, with `blocking: false` or when a timer is already due, only polls
    /// them), dispatches what is ready, then runs the timers that were due when that phase began.
    ///
    /// A timer scheduled while timers run, even one already due, waits for the next turn: the loop reads its
    /// descriptors (sockets, the signalfd) between any two runs of a timer that re-arms itself, however short
    /// its period. Such a loop never catches up with its timers, which ``collectVitals()`` reports.
    public func runOnce(blocking: Bool = true) throws(SystemError) {
        if stopped { return }
        let enteredAt = MonotonicClock.now()
        let earliest = timers.earliestDeadline()
        let overdue = earliest.map { $0 <= enteredAt ? enteredAt - $0 : .zero } ?? .zero
        let timeout: Int32
        if blocking && earliest.map({ $0 > enteredAt }) ?? true {
            try armTimer()
            timeout = -1
        } else {
            timeout = 0
        }
        let n = try retryingSyscall("epoll_wait") { epoll_wait(epollFD, events, Int32(maxEvents), timeout) }
        wakeups &+= 1
        cachedNow = MonotonicClock.now()
        vitals.polled(returnedAt: cachedNow, overdue: overdue)
        for i in 0..<Int(n) {
            // events[i] is valid: epoll_wait filled the first n entries of the buffer we own.
            let ev = events[i]
            let tag = ev.data.u64
            let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: tag))
            if fd == timerFD && tag >> 32 == 0 {
                drain(timerFD)
                armedDeadline = nil
            } else if fd == signalFD && tag >> 32 == 0 {
                dispatchSignals()
            } else if let watch = watches[fd], watch.generation == UInt32(truncatingIfNeeded: tag >> 32) {
                watch.handler(IOEvents(rawValue: ev.events))
            }
            if stopped { return }
        }
        runDueTimers()
    }

    public func collectVitals() -> LoopVitals {
        let current = vitals
        vitals.startWindow()
        return current
    }

    /// Runs every timer due at the start of this phase and scheduled before it, in deadline order.
    private func runDueTimers() {
        cachedNow = MonotonicClock.now()
        let phaseStart = cachedNow
        let scheduledBefore = timers.nextTimer
        while !stopped, let due = timers.popDue(now: phaseStart, scheduledBefore: scheduledBefore) {
            vitals.ranTimer(deadline: due.deadline, ranAt: cachedNow)
            due.task()
            cachedNow = MonotonicClock.now()
        }
    }

    private func armTimer() throws(SystemError) {
        let next = timers.earliestDeadline()
        guard next != armedDeadline else { return }
        var spec = itimerspec()
        if let next {
            // An absolute deadline already passed fires at once; never arm zero, which would disarm.
            let ns = max(next.nanoseconds, 1)
            spec.it_value.tv_sec = Int(ns / 1_000_000_000)
            spec.it_value.tv_nsec = Int(ns % 1_000_000_000)
        }
        _ = try retryingSyscall("timerfd_settime") { timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &spec, nil) }
        armedDeadline = next
    }

    private func dispatchSignals() {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        while read(signalFD, &info, size) == size {
            signalHandlers[Int32(info.ssi_signo)]?()
        }
    }

    private func drain(_ fd: Int32) {
        var count: UInt64 = 0
        _ = read(fd, &count, 8)
    }

    private func addToEpoll(_ fd: Int32, events: IOEvents, tag: UInt64) throws(SystemError) {
        var ev = epoll_event()
        ev.events = events.rawValue | EPOLLRDHUP.rawValue
        ev.data.u64 = tag
        _ = try retryingSyscall("epoll_ctl(ADD, fd \(fd))") { epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &ev) }
    }

    private static func tag(fd: Int32, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
    }
}
