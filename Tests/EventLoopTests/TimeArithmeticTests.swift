import EventLoop
import Testing

/// Time arithmetic on values from outside (config durations, peer uptimes) saturates: a deadline far in the
/// future stays in the future, nothing wraps into the past and nothing traps.
@Suite struct TimeArithmeticTests {
    @Test func anInstantPlusAnEnormousDurationStaysInTheFuture() {
        let now = Instant(nanoseconds: 5_000_000_000)
        let longest = Duration.nanoseconds(Int64.max)
        #expect(now + longest > now)
        #expect((now + longest).nanoseconds == Int64.max)
        #expect(now + .seconds(Int64.max) > now)              // beyond Int64 nanoseconds altogether
        #expect(Instant(nanoseconds: -5) - longest == Instant(nanoseconds: .min))
    }

    @Test func theTimeBetweenFarApartInstantsSaturatesInsteadOfWrapping() {
        let late = Instant(nanoseconds: .max), early = Instant(nanoseconds: .min)
        #expect(late - early == .nanoseconds(Int64.max))
        #expect(early - late == .nanoseconds(Int64.min))
        #expect(Duration.seconds(Int64.max).nanoseconds == .max)
        #expect(Duration.seconds(-9_223_372_036).nanoseconds < 0)
        // The whole seconds fit Int64 nanoseconds, the added fraction does not.
        #expect((Duration.seconds(9_223_372_036) + .milliseconds(999)).nanoseconds == .max)
    }

    @Test func aTimerAtTheEndOfTimeNeitherFiresNorBreaksTheLoop() throws {
        let loop = try EpollLoop()
        var fired = false
        loop.schedule(after: .nanoseconds(Int64.max)) { fired = true }
        loop.schedule(after: .milliseconds(20)) { loop.stop() }
        try loop.run()
        #expect(!fired)
    }

    @Test func theManualLoopMovesToTheEndOfTimeWithoutRunningTimersTwice() {
        let loop = ManualLoop(now: Instant(nanoseconds: 1_000))
        var runs = 0
        loop.schedule(after: .seconds(1)) { runs += 1 }
        loop.advance(by: .nanoseconds(Int64.max))
        loop.advance(by: .nanoseconds(Int64.max))
        #expect(runs == 1 && loop.now == Instant(nanoseconds: .max))
    }
}
