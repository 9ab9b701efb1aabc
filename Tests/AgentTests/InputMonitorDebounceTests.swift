import Agent
import EventLoop
import GPIO
import Testing

/// A chip that debounces in the kernel, as libgpiod 2.x does: the mock chip underneath, which records the debounce
/// period each request asked the kernel for (the mock itself has none, so it is not passed down).
final class KernelDebouncingChip: GPIOChip {
    let mock: MockChip
    private(set) var requestedDebounce: [Duration] = []
    init(_ mock: MockChip) { self.mock = mock }
    var label: String { mock.label }
    var name: String { mock.name }
    var lineCount: Int { mock.lineCount }
    var kernelDebounce: Bool { true }

    func requestInput(line: Int, settings: InputSettings, consumer: String,
                      onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> GPIOInputLine {
        requestedDebounce.append(settings.debounce)
        var passed = settings
        passed.debounce = .zero
        return try mock.requestInput(line: line, settings: passed, consumer: consumer, onEdge: onEdge)
    }
    func requestOutput(line: Int, activeLow: Bool, initial: Bool, consumer: String) throws(GPIOError) -> GPIOOutputLine {
        try mock.requestOutput(line: line, activeLow: activeLow, initial: initial, consumer: consumer)
    }
    func requestInputs(lines: [Int], settings: InputSettings, consumer: String,
                       onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> GPIOInputLines {
        try mock.requestInputs(lines: lines, settings: settings, consumer: consumer, onEdge: onEdge)
    }
    func requestOutputs(lines: [Int], activeLow: Bool, initial: GPIOLineValues, consumer: String) throws(GPIOError) -> GPIOOutputLines {
        try mock.requestOutputs(lines: lines, activeLow: activeLow, initial: initial, consumer: consumer)
    }
}

@Suite struct InputMonitorDebounceTests {
    @Test func aChipThatDebouncesInTheKernelGetsThePeriodAndItsEdgesAreReportedAtOnce() throws {
        let loop = ManualLoop()
        let chip = KernelDebouncingChip(MockChip(lineNames: ["button"], loop: loop))
        let monitor = try InputMonitor(name: "button", chip: chip, line: 0, settings: InputSettings(edges: .rising),
                                       debounce: .milliseconds(10), consumer: "t", loop: loop)
        var edges: [Edge] = []
        monitor.start { _, e in edges.append(e.edge) }
        #expect(chip.requestedDebounce == [.milliseconds(10)])
        chip.mock.drive(line: 0, level: true)     // the kernel delivers only settled edges
        #expect(edges == [.rising])               // no software wait on top
        chip.mock.drive(line: 0, level: false)
        #expect(edges == [.rising])               // falling is filtered after the chip (it was asked for both)
        monitor.release()
    }

    @Test func aChipWithoutKernelDebounceIsDebouncedInSoftware() throws {
        let loop = ManualLoop()
        let chip = MockChip(lineNames: ["button"], loop: loop)
        let monitor = try InputMonitor(name: "button", chip: chip, line: 0, settings: InputSettings(edges: .rising),
                                       debounce: .milliseconds(10), consumer: "t", loop: loop)
        var edges: [Edge] = []
        monitor.start { _, e in edges.append(e.edge) }
        chip.drive(line: 0, level: true)
        #expect(edges.isEmpty)                    // held until the signal has been quiet for 10 ms
        loop.advance(by: .milliseconds(10))
        #expect(edges == [.rising])
        monitor.release()
    }
}
