import EventLoop
import GPIO
import Testing

@Suite struct DebouncerTests {
    func edge(_ e: Edge, at ms: Int64) -> EdgeEvent { EdgeEvent(line: 4, edge: e, timestamp: Instant(nanoseconds: ms * 1_000_000)) }

    @Test func withoutAPeriodEveryChangeIsReportedAtOnce() {
        var d = Debouncer(period: .zero, initial: false)
        #expect(d.feed(edge(.rising, at: 1)) == .report(edge(.rising, at: 1)))
        #expect(d.feed(edge(.rising, at: 2)) == .none)
        #expect(d.feed(edge(.falling, at: 3)) == .report(edge(.falling, at: 3)))
    }

    @Test func bounceWithinThePeriodReportsOneEdgeStampedWhenItSettles() {
        var d = Debouncer(period: .milliseconds(10), initial: false)
        #expect(d.feed(edge(.rising, at: 0)) == .arm(Instant(nanoseconds: 10_000_000)))
        #expect(d.feed(edge(.falling, at: 2)) == .arm(Instant(nanoseconds: 12_000_000)))
        #expect(d.feed(edge(.rising, at: 3)) == .arm(Instant(nanoseconds: 13_000_000)))
        #expect(d.settle(at: Instant(nanoseconds: 13_000_000)) == edge(.rising, at: 13))
        #expect(d.stable)
    }

    @Test func aGlitchThatReturnsToTheStableValueReportsNothing() {
        var d = Debouncer(period: .milliseconds(10), initial: false)
        _ = d.feed(edge(.rising, at: 0))
        _ = d.feed(edge(.falling, at: 1))
        #expect(d.settle(at: Instant(nanoseconds: 11_000_000)) == nil)
        #expect(!d.stable)
    }
}
