import EventLoop
import GPIO
import Testing

@Suite struct MockChipBulkTests {
    func makeChip(_ loop: EventLoop) -> MockChip {
        MockChip(lineNames: (0..<28).map { "GPIO\($0)" }, loop: loop)
    }

    @Test func severalInputsAreReadTogetherInRequestOrder() throws {
        let chip = makeChip(ManualLoop())
        let inputs = try chip.requestInputs(lines: [6, 5, 13], settings: InputSettings(bias: .pullDown, edges: .none),
                                            consumer: "t") { _ in }
        chip.drive(line: 5, level: true)
        #expect(try inputs.read() == [false, true, false])
        chip.drive(line: 13, level: true)
        #expect(try inputs.read().description == "011")
        #expect(inputs.lines == [6, 5, 13])
    }

    @Test func activeLowAndBiasApplyToEveryLineOfTheRequest() throws {
        let chip = makeChip(ManualLoop())
        let inputs = try chip.requestInputs(lines: [2, 3], settings: InputSettings(bias: .pullUp, activeLow: true),
                                            consumer: "t") { _ in }
        #expect(try inputs.read() == [false, false])  // pulled up, active-low
        chip.drive(line: 3, level: false)
        #expect(try inputs.read() == [false, true])
    }

    @Test func edgesOfAnyLineOfTheRequestNameTheirLine() throws {
        let chip = makeChip(ManualLoop())
        var edges: [EdgeEvent] = []
        let inputs = try chip.requestInputs(lines: [20, 21], settings: InputSettings(edges: .both), consumer: "t") { edges.append($0) }
        chip.drive(line: 21, level: true)
        chip.drive(line: 20, level: true)
        chip.drive(line: 21, level: false)
        #expect(edges.map(\.line) == [21, 20, 21])
        #expect(edges.map(\.edge) == [.rising, .rising, .falling])
        inputs.release()
        chip.drive(line: 20, level: false)
        #expect(edges.count == 3)
    }

    @Test func severalOutputsAreDrivenTogetherAtTheirPhysicalLevels() throws {
        let chip = makeChip(ManualLoop())
        let outputs = try chip.requestOutputs(lines: [22, 23, 24], activeLow: false, initial: [true, false, true], consumer: "t")
        #expect([22, 23, 24].map { chip.level(ofLine: $0) } == [true, false, true])
        try outputs.write([false, true, true])
        #expect([22, 23, 24].map { chip.level(ofLine: $0) } == [false, true, true])
        #expect(outputs.values == [false, true, true])

        let inverted = try chip.requestOutputs(lines: [10, 11], activeLow: true, initial: [true, false], consumer: "t")
        #expect([10, 11].map { chip.level(ofLine: $0) } == [false, true])
        inverted.release()
    }

    @Test func aRequestWithOneBusyLineClaimsNoneOfItsLines() throws {
        let chip = makeChip(ManualLoop())
        let held = try chip.requestOutput(line: 8, activeLow: false, initial: false, consumer: "holder")
        let error = gpioError {
            _ = try chip.requestInputs(lines: [7, 8, 9], settings: InputSettings(), consumer: "t") { _ in }
        }
        #expect(error?.kind == .busy)
        #expect(error?.message.contains("\"holder\"") == true)
        // 7 and 9 stayed free: a request of them alone succeeds.
        let rest = try chip.requestInputs(lines: [7, 9], settings: InputSettings(), consumer: "t") { _ in }
        rest.release()
        held.release()
    }

    @Test func releasingARequestFreesEveryLine() throws {
        let chip = makeChip(ManualLoop())
        let outputs = try chip.requestOutputs(lines: [4, 5], activeLow: false, initial: [false, false], consumer: "one")
        outputs.release()
        outputs.release()  // a second release does nothing
        let again = try chip.requestOutputs(lines: [5, 4], activeLow: false, initial: [true, true], consumer: "two")
        #expect(chip.snapshot().filter { $0.consumer == "two" }.map(\.line) == [4, 5])
        again.release()
    }

    @Test(arguments: [[Int](), [3, 3], [1, 99]])
    func malformedRequestsAreRefusedWithTheirReason(lines: [Int]) {
        let chip = makeChip(ManualLoop())
        let error = gpioError {
            _ = try chip.requestInputs(lines: lines, settings: InputSettings(), consumer: "t") { _ in }
        }
        #expect(error?.kind == (lines.contains(99) ? .noSuchLine : .invalidRequest))
    }

    @Test func initialValuesMustMatchTheLines() {
        let chip = makeChip(ManualLoop())
        let error = gpioError {
            _ = try chip.requestOutputs(lines: [1, 2], activeLow: false, initial: [true], consumer: "t")
        }
        #expect(error?.kind == .invalidRequest)
        #expect(chip.snapshot()[1].consumer == nil)
    }

    @Test func lineValuesHoldUpToSixtyFourLinesAsBits() {
        var v = GPIOLineValues(count: 64)
        v[63] = true
        v[0] = true
        #expect(v.bits == (UInt64(1) << 63) | 1)
        #expect(GPIOLineValues(count: 3, bits: 0b1111_0101).description == "101")
        #expect(GPIOLineValues([true, false]).array == [true, false])
    }
}

/// The ``GPIOError`` that `body` throws, or nil (recorded as a failure) when it throws nothing. Swift Testing's
/// `#expect(throws:)` returns the error only from Swift 6.1 on; this works with 6.0 too.
func gpioError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> GPIOError? {
    do {
        try body()
        Issue.record("expected a GPIOError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as GPIOError {
        return error
    } catch {
        Issue.record("expected a GPIOError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
