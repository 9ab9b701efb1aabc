import Testing
@testable import Uplink

@Suite struct ReconnectBackoffTests {
    @Test func delaysDoubleUpToTheMaximumWithinTheJitterBand() {
        var b = ReconnectBackoff(minimum: .seconds(1), maximum: .seconds(8))
        let bases: [Int64] = [1, 2, 4, 8, 8, 8]
        for base in bases {
            let d = b.nextDelay(unit: 0.999).nanoseconds
            #expect(d >= base * 500_000_000 && d < base * 1_500_000_000)
        }
        b.reset()
        #expect(b.nextDelay(unit: 0) == .milliseconds(500))
    }

    @Test func jitterSpreadsAFleetThatFailedTogether() {
        var delays = Set<Int64>()
        for i in 0..<100 {
            var b = ReconnectBackoff(minimum: .seconds(1), maximum: .seconds(60))
            delays.insert(b.nextDelay(unit: Double(i) / 100).nanoseconds / 1000)
        }
        #expect(delays.count == 100)
    }
}
