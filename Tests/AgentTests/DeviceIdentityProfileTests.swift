import Agent
import EventLoop
import Modbus
import Service
import Testing

/// The identity rule for polled devices without their transport: the exception profile and the answer-time
/// profile learned in `learn`, then a device flagged after ``DeviceIdentity/confirm`` differing answers in a row
/// and cleared after ``DeviceIdentity/clearAfter`` matching ones; on a manual clock.
@Suite struct DeviceIdentityProfileTests {
    final class Lines: @unchecked Sendable { var all: [String] = [] }

    /// A profile learned over one second of answers around `ms` milliseconds (±10 %), every point answering ok.
    private func learned(ms: Double) -> (DeviceIdentity, ManualLoop, Lines) {
        let loop = ManualLoop()
        let lines = Lines()
        let identity = DeviceIdentity(learn: .seconds(1), loop: loop, logger: Logger(sink: { lines.all.append($0) }))
        for i in 0..<50 {
            identity.answer(device: "meter", point: i % 2 == 0 ? "flow" : "level", took: .microseconds(Int64(ms * 1000 * (0.9 + 0.2 * Double(i % 5) / 4))), exception: nil)
            loop.advance(by: .milliseconds(10))
        }
        loop.advance(by: .seconds(1))
        return (identity, loop, lines)
    }

    @Test func answersInTheLearnedTimeAndWithTheLearnedOutcomeNeverFlag() {
        let (identity, _, lines) = learned(ms: 2)
        for i in 0..<1000 {
            // Jitter of up to 50 % around the learned time is not a different device.
            identity.answer(device: "meter", point: "flow", took: .microseconds(Int64(2000 * (0.75 + 0.5 * Double(i % 7) / 6))), exception: nil)
        }
        #expect(identity.suspects.isEmpty)
        #expect(!lines.all.contains { $0.contains("security.identity") })
    }

    @Test func aDeviceAnsweringTenTimesSlowerIsFlaggedAfterTheWindowThenClearedWhenItIsBack() {
        let (identity, _, lines) = learned(ms: 2)
        var flaggedAfter: Int?
        for n in 1...(DeviceIdentity.timingWindow * 2) {
            identity.answer(device: "meter", point: "flow", took: .milliseconds(20), exception: nil)
            if flaggedAfter == nil, !identity.suspects.isEmpty { flaggedAfter = n }
        }
        // The mean of the window must move past the threshold, then stay there for `confirm` answers.
        #expect(flaggedAfter != nil && flaggedAfter! >= DeviceIdentity.confirm && flaggedAfter! <= DeviceIdentity.timingWindow + DeviceIdentity.confirm,
                "flagged after \(String(describing: flaggedAfter)) answers")
        #expect(identity.suspects == ["meter"])
        #expect(identity.devices["meter"]?.suspect?.contains("ms while learning") == true)
        #expect(lines.all.filter { $0.contains("security.identity") && $0.contains("meter") }.count == 1)

        for _ in 0..<(DeviceIdentity.timingWindow + DeviceIdentity.clearAfter) {
            identity.answer(device: "meter", point: "flow", took: .milliseconds(2), exception: nil)
        }
        #expect(identity.suspects.isEmpty)
        #expect(lines.all.contains { $0.contains("security.identity_restored") })
    }

    @Test func aDeviceAnsweringFasterByLessThanAMillisecondIsNotFlagged() {
        // Four times faster but only 0.3 ms apart: below the 1 ms floor, loopback noise rather than another device.
        let (identity, _, _) = learned(ms: 0.4)
        for _ in 0..<100 { identity.answer(device: "meter", point: "flow", took: .microseconds(100), exception: nil) }
        #expect(identity.suspects.isEmpty)
    }

    @Test func anExceptionWhereTheDeviceAnsweredDataFlagsOnlyWhenConfirmed() {
        let (identity, _, _) = learned(ms: 2)
        for _ in 0..<(DeviceIdentity.confirm - 1) {
            identity.answer(device: "meter", point: "level", took: .milliseconds(2), exception: .illegalDataAddress)
        }
        #expect(identity.suspects.isEmpty, "one or two odd answers are not a swap")
        identity.answer(device: "meter", point: "level", took: .milliseconds(2), exception: nil)
        for _ in 0..<(DeviceIdentity.confirm - 1) {
            identity.answer(device: "meter", point: "level", took: .milliseconds(2), exception: .illegalDataAddress)
        }
        #expect(identity.suspects.isEmpty, "a matching answer in between restarts the count")
        identity.answer(device: "meter", point: "level", took: .milliseconds(2), exception: .illegalDataAddress)
        #expect(identity.suspects == ["meter"])
        #expect(identity.devices["meter"]?.suspect == "point level answered ok while learning, now illegal-data-address")
    }

    @Test func aPointFirstSeenAfterLearningHasNoProfileAndDoesNotFlag() {
        let (identity, _, _) = learned(ms: 2)
        for _ in 0..<10 { identity.answer(device: "meter", point: "new", took: .milliseconds(2), exception: .illegalFunction) }
        #expect(identity.suspects.isEmpty)
    }
}
