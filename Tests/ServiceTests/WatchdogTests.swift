import EventLoop
import Service
import Testing

@Suite struct WatchdogTests {
    /// A notifier wired to a real socket with a 2 s watchdog, so pings are due every second.
    func makeNotifier(_ listener: NotifyListener, watchdogUSec: String? = "2000000") -> SystemdNotifier {
        var environment = ["NOTIFY_SOCKET": listener.socketName]
        environment["WATCHDOG_USEC"] = watchdogUSec
        return SystemdNotifier(environment: environment)
    }

    @Test func pingsAtStartThenEveryHalfPeriodWhileTheLoopRuns() throws {
        let listener = try NotifyListener()
        let loop = ManualLoop()
        let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener))
        #expect(watchdog.interval == .seconds(1))
        watchdog.start()
        #expect(listener.received() == ["WATCHDOG=1\n"])
        loop.advance(by: .milliseconds(3500))
        #expect(listener.received() == Array(repeating: "WATCHDOG=1\n", count: 3))
        #expect(watchdog.pingsSent == 4)
    }

    @Test func pingsComeOnlyFromTheLoopsTimersSoAStalledLoopSendsNone() throws {
        let listener = try NotifyListener()
        let loop = ManualLoop()
        let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener))
        watchdog.start()
        _ = listener.received()
        // The next ping is a timer on the loop; until the loop runs it, nothing is sent.
        #expect(loop.pendingTimers == 1)
        #expect(listener.received().isEmpty)
        loop.advance(by: .milliseconds(999))
        #expect(listener.received().isEmpty)
        loop.advance(by: .milliseconds(1))
        #expect(listener.received() == ["WATCHDOG=1\n"])
    }

    @Test func anUnhealthyAgentWithholdsPingsAndResumesWhenHealthyAgain() throws {
        let listener = try NotifyListener()
        let loop = ManualLoop()
        var healthy = true
        let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener)) { healthy }
        watchdog.start()
        healthy = false
        loop.advance(by: .seconds(3))
        #expect(watchdog.pingsSent == 1)
        #expect(watchdog.pingsWithheld == 3)
        healthy = true
        loop.advance(by: .seconds(1))
        #expect(watchdog.pingsSent == 2)
        #expect(listener.received().count == 2)
    }

    @Test func stopCancelsTheTimer() throws {
        let listener = try NotifyListener()
        let loop = ManualLoop()
        let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener))
        watchdog.start()
        watchdog.stop()
        #expect(!watchdog.isRunning)
        #expect(loop.pendingTimers == 0)
        loop.advance(by: .seconds(10))
        #expect(listener.received() == ["WATCHDOG=1\n"])
    }

    @Test func withoutAWatchdogPeriodNothingIsScheduled() throws {
        let listener = try NotifyListener()
        let loop = ManualLoop()
        let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener, watchdogUSec: nil), interval: .seconds(1))
        watchdog.start()
        #expect(watchdog.interval == nil)
        #expect(!watchdog.isRunning)
        #expect(loop.pendingTimers == 0)
        #expect(listener.received().isEmpty)
    }

    @Test func anExplicitIntervalOverridesHalfThePeriod() throws {
        let listener = try NotifyListener()
        let loop = ManualLoop()
        let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener), interval: .milliseconds(250))
        watchdog.start()
        loop.advance(by: .seconds(1))
        #expect(watchdog.pingsSent == 5)
    }

    @Test func aFailingPingKeepsTheTimerGoing() throws {
        let loop = ManualLoop()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify", "WATCHDOG_USEC": "2000000"])
        let watchdog = Watchdog(loop: loop, notifier: notifier)
        watchdog.start()
        loop.advance(by: .seconds(2))
        #expect(watchdog.pingsSent == 0)
        #expect(watchdog.isRunning)
    }

    @Test func droppingTheWatchdogStopsItsPings() throws {
        let listener = try NotifyListener()
        let loop = ManualLoop()
        do {
            let watchdog = Watchdog(loop: loop, notifier: makeNotifier(listener))
            watchdog.start()
        }
        loop.advance(by: .seconds(3))
        #expect(listener.received() == ["WATCHDOG=1\n"])
    }
}
