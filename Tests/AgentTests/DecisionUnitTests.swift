import Agent
import Config
import EventLoop
import Testing

@Suite struct FeatureWindowTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    func at(_ ms: Int64) -> Instant { t0 + .milliseconds(ms) }

    @Test func samplesWindowReducesTheNewestN() {
        var mean = FeatureWindow(reduction: .mean, window: .samples(3))
        var rms = FeatureWindow(reduction: .rms, window: .samples(3))
        var peak = FeatureWindow(reduction: .peak, window: .samples(3))
        var last = FeatureWindow(reduction: .last, window: .samples(1))
        #expect(mean.value(at: t0) == nil)
        for (k, v) in [100.0, 1, -2, 3].enumerated() {
            mean.add(v, at: at(Int64(k)))
            rms.add(v, at: at(Int64(k)))
            peak.add(v, at: at(Int64(k)))
            last.add(v, at: at(Int64(k)))
        }
        // 100 fell out of the 3-sample window.
        #expect(mean.value(at: at(10)) == 2.0 / 3.0)
        #expect(abs(rms.value(at: at(10))! - (14.0 / 3.0).squareRoot()) < 1e-12)
        #expect(peak.value(at: at(10)) == 3)
        #expect(last.value(at: at(10)) == 3)
    }

    @Test func durationWindowDropsOldSamples() {
        var w = FeatureWindow(reduction: .mean, window: .duration(.seconds(1)))
        w.add(10, at: at(0))
        w.add(20, at: at(600))
        #expect(w.value(at: at(900)) == 15)
        #expect(w.value(at: at(1_500)) == 20)   // the first is 1.5 s old
        #expect(w.value(at: at(2_000)) == nil)  // both gone: no value, not a stale one
    }

    @Test func slopeIsLeastSquaresInTheGivenUnit() {
        var w = FeatureWindow(reduction: .slope, window: .samples(10), slopePer: .seconds(60))
        w.add(5, at: at(0))
        #expect(w.value(at: at(0)) == nil)      // one sample has no slope
        for k in 1...9 { w.add(5 + 0.5 * Double(k), at: at(Int64(k) * 1000)) }   // +0.5 per second
        #expect(abs(w.value(at: at(9_000))! - 30) < 1e-9)                        // = 30 per minute
    }
}

@Suite struct ClassHysteresisTests {
    let t0 = Instant(nanoseconds: 0)

    @Test func aClassNeedsConfirmationsAndTheThreshold() {
        var h = ClassHysteresis(classCount: 3, switchAt: 0.6, confirm: 2, minDwell: .seconds(5))
        #expect(h.feed(top: 0, probability: 0.9, at: t0) == nil)
        #expect(h.feed(top: 0, probability: 0.9, at: t0 + .seconds(1)) == 0)
        // A weak winner never takes over, however often.
        for k in 2...10 { #expect(h.feed(top: 1, probability: 0.55, at: t0 + .seconds(Int64(k))) == nil) }
        #expect(h.current == 0)
    }

    @Test func minDwellHoldsAClassButNotAgainstTheFault() {
        var h = ClassHysteresis(classCount: 3, switchAt: 0.6, confirm: 1, minDwell: .seconds(5))
        #expect(h.feed(top: 0, probability: 0.9, at: t0) == 0)
        #expect(h.feed(top: 1, probability: 0.9, at: t0 + .seconds(1)) == nil)      // dwell
        #expect(h.feed(top: 1, probability: 0.9, at: t0 + .seconds(6)) == 1)
        #expect(h.feed(top: 2, probability: 0.9, at: t0 + .seconds(7)) == 2)        // fault: no dwell
        var guarded = ClassHysteresis(classCount: 3, switchAt: 0.6, confirm: 1, minDwell: .seconds(5), dwellGuardsLast: true)
        _ = guarded.feed(top: 0, probability: 0.9, at: t0)
        #expect(guarded.feed(top: 2, probability: 0.9, at: t0 + .seconds(1)) == nil)
    }

    @Test func aBrokenStreakStartsOverAndResetForgetsTheClass() {
        var h = ClassHysteresis(classCount: 3, switchAt: 0.6, confirm: 3, minDwell: .zero)
        _ = h.feed(top: 2, probability: 0.9, at: t0)
        _ = h.feed(top: 2, probability: 0.9, at: t0)
        _ = h.feed(top: 1, probability: 0.9, at: t0)     // breaks the streak
        #expect(h.feed(top: 2, probability: 0.9, at: t0) == nil)
        h.reset()
        #expect(h.current == nil)
    }
}
