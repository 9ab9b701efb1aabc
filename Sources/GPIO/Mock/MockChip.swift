import EventLoop

/// FieldAgent's in-process GPIO chip: a first-class backend for the simulation and for hardware-in-the-loop
/// tests, behaving like a real chip seen from both sides.
///
/// The agent requests lines as on a real chip (busy lines refused, bias, active-low, edge detection).
/// The outside world (the control socket, a scenario, the simulator) drives input levels with
/// ``drive(line:level:)`` and reads output levels with ``level(ofLine:)``. Levels here are physical (what a
/// voltmeter would show); the agent's values are logical. Edges are delivered synchronously, on the loop.
public final class MockChip: GPIOChip {
    /// One change of a line's physical level, as observers see it.
    public struct Change: Sendable, Equatable {
        public var line: Int
        public var level: Bool
        /// True when the agent drove it (an output), false when the outside world did (an input).
        public var byAgent: Bool
        public var time: Instant
    }

    private struct Line {
        var name: String
        var consumer: String?
        var isOutput = false
        var settings = InputSettings()
        var outputLevel = false
        var externalLevel: Bool?
        var onEdge: ((EdgeEvent) -> Void)?
    }

    public let label: String
    public let name = "mock"
    public var lineCount: Int { lines.count }
    /// The mock chip has no kernel: inputs are debounced in software (``Debouncer``), as with libgpiod 1.x.
    public var kernelDebounce: Bool { false }
    private var lines: [Line]
    private var aliases: [String: Int] = [:]
    private var observers: [Int: (Change) -> Void] = [:]
    private var nextObserver = 0
    private let loop: EventLoop

    /// Creates a chip with one line per name (`lineNames[i]` names line `i`, for example `GPIO17`).
    public init(label: String = "fieldagent-mock", lineNames: [String], loop: EventLoop) {
        self.label = label
        self.loop = loop
        lines = lineNames.map { Line(name: $0) }
    }

    // MARK: The agent's side

    private static func refuseKernelDebounce(_ settings: InputSettings) throws(GPIOError) {
        guard settings.debounce == .zero else {
            throw GPIOError(.invalidRequest, "the mock chip has no kernel debounce; debounce in software (kernelDebounce is false)")
        }
    }

    public func requestInput(line: Int, settings: InputSettings, consumer: String,
                             onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> GPIOInputLine {
        try Self.refuseKernelDebounce(settings)
        try claim(line, consumer: consumer)
        lines[line].isOutput = false
        lines[line].settings = settings
        lines[line].onEdge = settings.edges == .none ? nil : onEdge
        return MockInputLine(chip: self, line: line)
    }

    public func requestOutput(line: Int, activeLow: Bool, initial: Bool, consumer: String) throws(GPIOError) -> GPIOOutputLine {
        try claim(line, consumer: consumer)
        lines[line].isOutput = true
        lines[line].settings = InputSettings(bias: .asIs, activeLow: activeLow, edges: .none)
        let output = MockOutputLine(chip: self, line: line, value: initial)
        setOutputLevel(line, initial != activeLow)
        return output
    }

    public func requestInputs(lines: [Int], settings: InputSettings, consumer: String,
                              onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> GPIOInputLines {
        try Self.refuseKernelDebounce(settings)
        try claim(lines, consumer: consumer)
        for line in lines {
            self.lines[line].isOutput = false
            self.lines[line].settings = settings
            self.lines[line].onEdge = settings.edges == .none ? nil : onEdge
        }
        return MockInputLines(chip: self, lines: lines)
    }

    public func requestOutputs(lines: [Int], activeLow: Bool, initial: GPIOLineValues,
                               consumer: String) throws(GPIOError) -> GPIOOutputLines {
        guard initial.count == lines.count else {
            throw GPIOError(.invalidRequest, "\(initial.count) initial values for \(lines.count) lines \(lines)")
        }
        try claim(lines, consumer: consumer)
        for (i, line) in lines.enumerated() {
            self.lines[line].isOutput = true
            self.lines[line].settings = InputSettings(bias: .asIs, activeLow: activeLow, edges: .none)
            setOutputLevel(line, initial[i] != activeLow)
        }
        return MockOutputLines(chip: self, lines: lines, values: initial)
    }

    private func claim(_ line: Int, consumer: String) throws(GPIOError) {
        try claim([line], consumer: consumer)
    }

    /// Claims every line or none, with the errors a kernel request gives (no such line, busy, a line twice).
    private func claim(_ requested: [Int], consumer: String) throws(GPIOError) {
        guard !requested.isEmpty, requested.count <= GPIOLineValues.maxCount else {
            throw GPIOError(.invalidRequest, "a request holds 1…\(GPIOLineValues.maxCount) lines, not \(requested.count)")
        }
        for line in requested {
            guard line >= 0, line < lines.count else {
                throw GPIOError(.noSuchLine, "chip \(label) has lines 0…\(lines.count - 1); line \(line) does not exist")
            }
        }
        guard Set(requested).count == requested.count else {
            throw GPIOError(.invalidRequest, "lines \(requested) name a line twice; request each line once")
        }
        for line in requested {
            if let holder = lines[line].consumer {
                throw GPIOError(.busy, "\(label) line \(line) (\(lines[line].name)): line busy; held by \"\(holder)\"")
            }
        }
        for line in requested { lines[line].consumer = consumer }
    }

    /// Frees the line. A released output keeps driving its last level, as most kernel GPIO drivers do.
    func release(_ line: Int) {
        lines[line].consumer = nil
        lines[line].onEdge = nil
    }

    func logicalInputs(_ lines: [Int]) -> GPIOLineValues {
        var values = GPIOLineValues(count: lines.count)
        for (i, line) in lines.enumerated() where logicalInput(line) { values[i] = true }
        return values
    }

    func logicalInput(_ line: Int) -> Bool {
        physicalLevel(line) != lines[line].settings.activeLow
    }

    /// An output's logical value as the chip has it (its physical level, through active-low).
    func logicalOutput(_ line: Int) -> Bool {
        physicalLevel(line) != lines[line].settings.activeLow
    }

    func writeOutput(_ line: Int, logical: Bool) {
        setOutputLevel(line, logical != lines[line].settings.activeLow)
    }

    private func setOutputLevel(_ line: Int, _ level: Bool) {
        let changed = lines[line].outputLevel != level
        lines[line].outputLevel = level
        if changed { notify(Change(line: line, level: level, byAgent: true, time: loop.now)) }
    }

    // MARK: The outside world's side

    /// Drives input `line` to a physical level, or lets it float (`nil`: the bias decides) — like a wire, a
    /// switch or gpio-sim's `pull`. Edges that the request asked for are delivered at once.
    public func drive(line: Int, level: Bool?) {
        guard line >= 0, line < lines.count else { return }
        let before = physicalLevel(line)
        lines[line].externalLevel = level
        let after = physicalLevel(line)
        guard before != after else { return }
        let now = loop.now
        notify(Change(line: line, level: after, byAgent: false, time: now))
        guard !lines[line].isOutput, let onEdge = lines[line].onEdge else { return }
        let logical = after != lines[line].settings.activeLow
        let edge: Edge = logical ? .rising : .falling
        if lines[line].settings.edges.reports(edge) {
            onEdge(EdgeEvent(line: line, edge: edge, timestamp: now))
        }
    }

    /// The physical level of a line: what an output drives, or what an input sees.
    public func level(ofLine line: Int) -> Bool { physicalLevel(line) }

    private func physicalLevel(_ line: Int) -> Bool {
        let l = lines[line]
        if l.isOutput { return l.outputLevel }
        if let external = l.externalLevel { return external }
        switch l.settings.bias {
        case .pullUp: return true
        default: return false
        }
    }

    /// Gives a line a second name (the agent registers its config names: `button` → line 17).
    public func setAlias(_ alias: String, line: Int) { aliases[alias] = line }

    /// The line called `name`: a config alias, the line's own name (`GPIO17`), or its offset.
    public func line(named name: String) -> Int? {
        if let line = aliases[name] { return line }
        if let i = lines.firstIndex(where: { $0.name == name }) { return i }
        if let n = Int(name), n >= 0, n < lines.count { return n }
        return nil
    }

    /// The line's own name and its aliases, for display: `GPIO17 (button)`.
    public func displayName(ofLine line: Int) -> String {
        let names = aliases.filter { $0.value == line }.map(\.key).sorted()
        return names.isEmpty ? lines[line].name : "\(lines[line].name) (\(names.joined(separator: ",")))"
    }

    /// The first alias of a line, or its own name.
    public func preferredName(ofLine line: Int) -> String {
        aliases.filter { $0.value == line }.map(\.key).sorted().first ?? lines[line].name
    }

    /// Describes every line: name, direction, consumer and level.
    public func snapshot() -> [(line: Int, name: String, direction: String, consumer: String?, level: Bool)] {
        lines.indices.map { i in
            let l = lines[i]
            let dir = l.consumer == nil ? "unused" : (l.isOutput ? "output" : "input")
            return (i, displayName(ofLine: i), dir, l.consumer, physicalLevel(i))
        }
    }

    /// Calls `observer` on every level change (outputs driven by the agent, inputs driven from outside).
    @discardableResult
    public func addObserver(_ observer: @escaping (Change) -> Void) -> Int {
        nextObserver += 1
        observers[nextObserver] = observer
        return nextObserver
    }

    public func removeObserver(_ id: Int) { observers[id] = nil }

    private func notify(_ change: Change) {
        for observer in observers.values { observer(change) }
    }
}
