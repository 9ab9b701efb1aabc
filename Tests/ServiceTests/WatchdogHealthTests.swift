import EventLoop
import Service
import Testing

/// The watchdog's pings mean "the loop is healthy": it reads its descriptors, keeps up with its timers and
/// runs none of them late. A loop that fails any of these stops pinging, so systemd restarts it.
@Suite struct WatchdogHealthTests {
    func makeNotifier(_ listener: NotifyListener) -> SystemdNotifier {
        SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.socketName, "WATCHDOG_USEC": "2000000"])
    }

    @Test func aLoopStarvedByARunawayTimerStopsPingingTheWatchdog() throws {
        let listener = try NotifyListener()
        let loop = try EpollLoop()
        let policy = LoopHealthPolicy(maxSincePoll: .milliseconds(100), maxSinceCaughtUp: .milliseconds(100), maxLateness: .milliseconds(100))
        let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener), interval: .milliseconds(50), policy: policy)
        watchdog.start()
        // Healthy for 200 ms: pings go out.
        loop.schedule(after: .milliseconds(200)) { loop.stop() }
        try loop.run()
        let healthyPings = listener.received().count
        #expect(healthyPings >= 3)
        // A timer that re-arms 1 ns ahead for 600 ms: the loop never catches up.
        let spinner = RunawayTimer(loop: loop, for: .milliseconds(600))
        spinner.start()
        loop.schedule(after: .milliseconds(150)) { _ = listener.received() }   // what went out before it was judged
        loop.schedule(after: .milliseconds(550)) { loop.stop() }
        try loop.run()
        #expect(listener.received().isEmpty, "WATCHDOG=1 went out while a runaway timer kept the loop behind")
        #expect(watchdog.pingsWithheld >= 5)
        #expect(watchdog.withheldBecause?.contains("behind its timers") == true)
    }

    @Test func aStalledLoopRunsItsTimersLateAndWithholdsThePing() throws {
        let listener = try NotifyListener()
        let loop = ManualLoop()
        let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener))
        watchdog.start()
        loop.advance(by: .seconds(2))
        #expect(watchdog.pingsSent == 3)
        loop.stall(for: .milliseconds(2500))        // a handler that blocked for 2.5 s
        loop.advance(by: .zero)                     // the overdue ping timer runs, 1.5 s late
        #expect(watchdog.pingsSent == 3)
        #expect(watchdog.withheldBecause?.contains("not read its descriptors") == true)
    }

    @Test func aTimerRunningLaterThanTheBoundWithholdsOnePingThenPingsResume() throws {
        let listener = try NotifyListener()
        let loop = ManualLoop()
        let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener), interval: .seconds(3))
        watchdog.start()
        loop.advance(by: .milliseconds(500))
        loop.schedule(after: .milliseconds(100)) {}
        loop.stall(for: .milliseconds(1400))        // the timer above runs 1.3 s late
        loop.advance(by: .zero)
        loop.advance(to: Instant(nanoseconds: 3_000_000_000))   // the ping at 3 s judges this window
        #expect(watchdog.pingsSent == 1)
        #expect(watchdog.withheldBecause?.contains("ran 1.3s late") == true)
        loop.advance(by: .seconds(3))               // a clean window
        #expect(watchdog.pingsSent == 2)
        #expect(watchdog.withheldBecause == nil)
        #expect(listener.received().count == 2)
    }
}
