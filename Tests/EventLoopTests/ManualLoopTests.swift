import EventLoop
import Testing

@Suite struct ManualLoopTests {
    @Test func timersRunInDeadlineOrderWithNowAtEachDeadline() {
        let loop = ManualLoop()
        var seen: [(String, Int64)] = []
        loop.schedule(after: .milliseconds(30)) { seen.append(("c", loop.now.nanoseconds)) }
        loop.schedule(after: .milliseconds(10)) { seen.append(("a", loop.now.nanoseconds)) }
        loop.schedule(after: .milliseconds(20)) { seen.append(("b", loop.now.nanoseconds)) }
        loop.advance(by: .milliseconds(25))
        #expect(seen.map(\.0) == ["a", "b"])
        #expect(seen.map(\.1) == [10_000_000, 20_000_000])
        #expect(loop.now == Instant(nanoseconds: 25_000_000))
        loop.advance(by: .milliseconds(5))
        #expect(seen.map(\.0) == ["a", "b", "c"])
    }

    @Test func timersWithEqualDeadlinesRunInTheOrderScheduled() {
        let loop = ManualLoop()
        var order: [Int] = []
        for i in 0..<5 { loop.schedule(after: .seconds(1)) { order.append(i) } }
        loop.advance(by: .seconds(1))
        #expect(order == [0, 1, 2, 3, 4])
    }

    @Test func cancelledTimersDoNotRun() {
        let loop = ManualLoop()
        var ran = false
        let id = loop.schedule(after: .seconds(1)) { ran = true }
        loop.cancel(id)
        loop.advance(by: .seconds(2))
        #expect(!ran)
        #expect(loop.pendingTimers == 0)
    }

    @Test func aTimerScheduledByATimerRunsWithinTheSameAdvanceWhenDue() {
        let loop = ManualLoop()
        var times: [Int64] = []
        loop.schedule(after: .milliseconds(5)) {
            times.append(loop.now.nanoseconds)
            loop.schedule(after: .milliseconds(5)) { times.append(loop.now.nanoseconds) }
        }
        loop.advance(by: .milliseconds(20))
        #expect(times == [5_000_000, 10_000_000])
    }

    @Test func signalsReachTheirHandlers() throws {
        let loop = ManualLoop()
        var got = false
        try loop.onSignal(15) { got = true }
        loop.deliver(signal: 15)
        #expect(got)
    }
}
