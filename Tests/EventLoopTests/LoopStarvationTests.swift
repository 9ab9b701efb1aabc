import EventLoop
import Glibc
import Testing

/// A timer that re-arms itself faster than it runs (`decide: every: 1us` once did this) must not keep the loop
/// from its descriptors: sockets, the signalfd and the status socket are read between any two of its runs.
@Suite struct LoopStarvationTests {
    /// Re-arms itself 1 ns ahead until `limit` wall-clock time has passed, counting its runs.
    final class Spinner {
        private(set) var runs = 0
        private(set) var running = true
        let loop: EpollLoop
        let until: Instant

        init(loop: EpollLoop, for limit: Duration) {
            self.loop = loop
            until = MonotonicClock.now() + limit
        }

        func start() { loop.schedule(after: .nanoseconds(1)) { [self] in spin() } }

        private func spin() {
            runs += 1
            // Give up after the limit, so that a loop that never reaches its descriptors still ends the test.
            guard MonotonicClock.now() < until else {
                running = false
                return
            }
            loop.schedule(after: .nanoseconds(1)) { [self] in spin() }
        }
    }

    @Test func aTimerThatReArmsFasterThanItRunsStillLetsTheLoopReadItsDescriptors() throws {
        let loop = try EpollLoop()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let spinner = Spinner(loop: loop, for: .milliseconds(500))
        var spinnerWasRunning: Bool?
        var runsBeforeRead = 0
        try loop.watch(fds[0], for: .readable) { _ in
            var byte: UInt8 = 0
            _ = read(fds[0], &byte, 1)
            spinnerWasRunning = spinner.running
            runsBeforeRead = spinner.runs
            loop.stop()
        }
        spinner.start()
        var byte: UInt8 = 1
        _ = write(fds[1], &byte, 1)
        let started = MonotonicClock.now()
        try loop.run()
        loop.unwatch(fds[0])
        #expect(spinnerWasRunning == true, "the descriptor was read only after the runaway timer gave up")
        #expect(runsBeforeRead <= 2)
        #expect(MonotonicClock.now() - started < .milliseconds(250))
    }

    @Test func aLoopBehindARunawayTimerReportsThatItNeverCatchesUp() throws {
        let loop = try EpollLoop()
        let spinner = Spinner(loop: loop, for: .milliseconds(300))
        loop.schedule(after: .milliseconds(5)) {}
        try loop.runOnce()
        let before = loop.collectVitals()
        let caughtUp = try #require(before.lastCaughtUp)
        spinner.start()
        loop.schedule(after: .milliseconds(200)) { loop.stop() }
        try loop.run()
        let during = loop.collectVitals()
        #expect(spinner.running)
        #expect(during.lastCaughtUp == caughtUp, "the loop claimed to be caught up while a timer was always due")
        #expect(during.polls >= UInt64(spinner.runs) - 1)
        #expect(during.worstLateness > .zero)
        #expect(LoopHealthPolicy(maxSinceCaughtUp: .milliseconds(100)).problem(during, at: loop.preciseNow())?.contains("behind its timers") == true)
    }

    @Test func anIdleLoopIsCaughtUpAndHealthy() throws {
        let loop = try EpollLoop()
        loop.schedule(after: .milliseconds(20)) { loop.stop() }
        try loop.run()
        let vitals = loop.collectVitals()
        #expect(vitals.lastCaughtUp != nil)
        #expect(vitals.worstLateness < .milliseconds(50))
        #expect(LoopHealthPolicy().problem(vitals, at: loop.preciseNow()) == nil)
    }
}
