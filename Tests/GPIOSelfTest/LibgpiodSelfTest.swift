import EventLoop
import GPIO
import Glibc

/// The libgpiod backend's own checks against one gpio-sim chip: ``LibgpiodChip`` used directly (no agent, no
/// config), with gpio-sim's sysfs files as the outside world. Uses lines 30…45, which every board chip has.
final class LibgpiodSelfTest {
    private let label: String
    private let expectedLines: Int
    private let sim: GPIOSim
    private let loop: EpollLoop
    private let chip: LibgpiodChip
    private let runner: SelfTestRunner
    private let consumer = "fieldagent-selftest"
    private var timedOut = false

    init(label: String, expectedLines: Int, sim: GPIOSim, runner: SelfTestRunner) throws {
        self.label = label
        self.expectedLines = expectedLines
        self.sim = sim
        self.runner = runner
        loop = try EpollLoop()
        chip = try LibgpiodChip(label: label, loop: loop)
    }

    /// Every check, in order; each prints its own line.
    func run() {
        runner.check("chip found by label with its line count") {
            try expect(chip.label == label, "label \(chip.label)")
            try expect(chip.lineCount == expectedLines, "\(chip.lineCount) lines, expected \(expectedLines)")
            return "\(chip.name), \(chip.lineCount) lines, \(LibgpiodChip.backendVersion)"
        }
        runner.check("an unknown label is refused, naming the chips present") {
            do {
                _ = try LibgpiodChip(label: "no-such-chip", loop: loop)
                throw SelfTestFailure("opened a chip labelled no-such-chip")
            } catch let e as GPIOError {
                try expect(e.kind == .chipNotFound && e.message.contains(label), "error: \(e)")
                return e.message
            }
        }
        runner.check("a line beyond the chip is refused") {
            let e = try expectError { _ = try chip.requestInput(line: chip.lineCount, settings: InputSettings(), consumer: consumer) { _ in } }
            try expect(e.kind == .noSuchLine, "error: \(e)")
            return e.message
        }
        runner.check("bias pull-up and pull-down reach the line") { try bias() }
        runner.check("as-is bias reads what the outside world drives") { try asIs() }
        runner.check("active-low inverts an input") { try activeLowInput() }
        runner.check("an output drives the line, initial value first") { try output() }
        runner.check("active-low inverts an output") { try activeLowOutput() }
        runner.check("both edges arrive with kernel timestamps in order, on the loop's clock") { try bothEdges() }
        runner.check("a burst of edges arrives complete and in order") { try burst() }
        runner.check("16 edges between two loop turns (uAPI v1's queue per line) all arrive, in order") { try queueFull() }
        runner.check("after a burst the kernel's queue cannot hold, the last edge matches the line's level") { try queueOverflow() }
        runner.check("rising-only delivers only rising edges") { try edgeFilter(.rising) }
        runner.check("falling-only delivers only falling edges") { try edgeFilter(.falling) }
        runner.check("active-low edges are logical (a physical fall is a rising edge)") { try activeLowEdges() }
        runner.check("bias applies to an edge request") { try biasWithEdges() }
        runner.check("software debounce turns a bouncing real line into one edge") { try softwareDebounce() }
        kernelDebounce()
        runner.check("several inputs are read in one call, in request order") { try readSeveral() }
        runner.check("one request gives each line its own settings") { try perLineSettings() }
        runner.check("several outputs are written in one call") { try writeSeveral() }
        runner.check("edges of several lines in one request name their line") { try edgesOfSeveral() }
        runner.check("a busy line is refused by the same chip, naming its holder") { try busySameChip() }
        runner.check("a busy line is refused by the kernel to a second open of the chip") { try busyOtherOpen() }
        runner.check("a multi-line request with one busy line claims none of its lines") { try busyGroup() }
        runner.check("a line twice in one request is refused") {
            let e = try expectError { _ = try chip.requestOutputs(lines: [40, 40], activeLow: false, initial: [false, false], consumer: consumer) }
            try expect(e.kind == .invalidRequest, "error: \(e)")
            return e.message
        }
        runner.check("release frees the line and stops its edges") { try release() }
        runner.check("a line outlives its chip handle and is still released cleanly") { try outlivesChip() }
    }

    // MARK: Levels

    private func bias() throws -> String {
        try sim.pull(30, up: false)
        let up = try chip.requestInput(line: 30, settings: InputSettings(bias: .pullUp, edges: .none), consumer: consumer) { _ in }
        let readUp = try up.read()
        up.release()
        try sim.pull(30, up: true)
        let down = try chip.requestInput(line: 30, settings: InputSettings(bias: .pullDown, edges: .none), consumer: consumer) { _ in }
        let readDown = try down.read()
        down.release()
        try expect(readUp && !readDown, "pull-up read \(readUp), pull-down read \(readDown)")
        return "pull-up reads 1 over an outside pull-down, pull-down reads 0 over a pull-up"
    }

    private func asIs() throws -> String {
        let input = try chip.requestInput(line: 31, settings: InputSettings(bias: .asIs, edges: .none), consumer: consumer) { _ in }
        defer { input.release() }
        try sim.pull(31, up: true)
        let high = try input.read()
        try sim.pull(31, up: false)
        let low = try input.read()
        try expect(high && !low, "read \(high) after pull-up, \(low) after pull-down")
        return ""
    }

    private func activeLowInput() throws -> String {
        let input = try chip.requestInput(line: 31, settings: InputSettings(activeLow: true, edges: .none), consumer: consumer) { _ in }
        defer { input.release() }
        try sim.pull(31, up: true)
        let high = try input.read()
        try sim.pull(31, up: false)
        let low = try input.read()
        try expect(!high && low, "high reads \(high), low reads \(low)")
        return "high reads 0, low reads 1"
    }

    private func output() throws -> String {
        let out = try chip.requestOutput(line: 32, activeLow: false, initial: true, consumer: consumer)
        defer { out.release() }
        var seen = try sim.values([32])
        try out.write(false)
        seen += try sim.values([32])
        try out.write(true)
        seen += try sim.values([32])
        try expect(seen == "101" && out.value, "levels \(seen), expected 101")
        return "levels 1, 0, 1"
    }

    private func activeLowOutput() throws -> String {
        let out = try chip.requestOutput(line: 33, activeLow: true, initial: true, consumer: consumer)
        defer { out.release() }
        var seen = try sim.values([33])
        try out.write(false)
        seen += try sim.values([33])
        try expect(seen == "01", "logical 1, 0 gave levels \(seen), expected 01")
        return "logical 1 is low"
    }

    // MARK: Edges

    private func bothEdges() throws -> String {
        try sim.pull(34, up: false)
        let log = EdgeLog()
        let input = try chip.requestInput(line: 34, settings: InputSettings(edges: .both), consumer: consumer) { log.add($0, at: self.loop.preciseNow()) }
        defer { input.release() }
        var windows: [(Instant, Instant)] = []
        for up in [true, false, true, false] {
            let before = loop.preciseNow()
            try sim.pull(34, up: up)
            try expect(try turn(until: { log.events.count == windows.count + 1 }), "no edge within 2 s after pull \(up ? "up" : "down")")
            windows.append((before, loop.preciseNow()))
        }
        try expect(log.events.map(\.edge) == [.rising, .falling, .rising, .falling], "edges \(log.events.map(\.edge.rawValue))")
        try expect(log.events.allSatisfy { $0.line == 34 }, "lines \(log.events.map(\.line))")
        let stamps = log.events.map(\.timestamp)
        try expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 }, "timestamps not increasing: \(stamps)")
        for (e, w) in zip(log.events, windows) {
            try expect(w.0 <= e.timestamp && e.timestamp <= w.1,
                       "timestamp \(e.timestamp) outside \(w.0)…\(w.1): not CLOCK_MONOTONIC?")
        }
        return "rising, falling, rising, falling; each stamp between the write and its delivery"
    }

    private func burst() throws -> String {
        try sim.pull(35, up: false)
        let log = EdgeLog()
        let input = try chip.requestInput(line: 35, settings: InputSettings(edges: .both), consumer: consumer) { log.add($0, at: self.loop.preciseNow()) }
        defer { input.release() }
        let count = 100
        for i in 0..<count {
            try sim.pull(35, up: i % 2 == 0)
            try expect(try turn(until: { log.events.count == i + 1 }), "edge \(i + 1) of \(count) did not arrive within 2 s")
        }
        let stamps = log.events.map(\.timestamp)
        try expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 }, "timestamps not increasing")
        let wrong = log.events.enumerated().filter { $0.element.edge != ($0.offset % 2 == 0 ? .rising : .falling) }.count
        try expect(wrong == 0, "\(wrong) of \(count) edges have the wrong direction")
        var latencies = zip(log.events, log.delivered).map { ($0.1 - $0.0.timestamp).microseconds }
        latencies.sort()
        let p50 = latencies[latencies.count / 2], p99 = latencies[latencies.count * 99 / 100]
        return "\(count) edges; kernel stamp → handler p50 \(Int(p50)) µs, p99 \(Int(p99)) µs"
    }

    /// The kernel queues 16 events per line for uAPI v1 and drops newer ones when full; 16 must all arrive.
    private func queueFull() throws -> String {
        try sim.pull(52, up: false)
        let log = EdgeLog()
        let input = try chip.requestInput(line: 52, settings: InputSettings(edges: .both), consumer: consumer) { log.add($0, at: self.loop.preciseNow()) }
        defer { input.release() }
        for i in 0..<16 { try sim.pull(52, up: i % 2 == 0) }
        _ = try turn(until: { log.events.count >= 16 })
        let seen = String(log.events.map { $0.edge == .rising ? "R" : "F" })
        try expect(seen == String(repeating: "RF", count: 8), "edges \(seen), expected RF ×8")
        let stamps = log.events.map(\.timestamp)
        try expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 }, "timestamps not increasing")
        return "RF ×8"
    }

    /// 21 edges between two loop turns: the kernel keeps the first 16 (ending falling) though the line ends high.
    private func queueOverflow() throws -> String {
        try sim.pull(53, up: false)
        let log = EdgeLog()
        let input = try chip.requestInput(line: 53, settings: InputSettings(edges: .both), consumer: consumer) { log.add($0, at: self.loop.preciseNow()) }
        defer { input.release() }
        for i in 0..<21 { try sim.pull(53, up: i % 2 == 0) }
        _ = try turn(until: { false }, timeout: .milliseconds(300))
        let seen = String(log.events.map { $0.edge == .rising ? "R" : "F" })
        try expect(try input.read(), "line 53 reads low after ending high")
        try expect(log.events.last?.edge == .rising, "edges \(seen): the last says low, the line is high")
        return "\(log.events.count) edges for 21: \(seen)"
    }

    private func edgeFilter(_ kind: EdgeDetection) throws -> String {
        try sim.pull(36, up: false)
        let log = EdgeLog()
        let input = try chip.requestInput(line: 36, settings: InputSettings(edges: kind), consumer: consumer) { log.add($0, at: self.loop.preciseNow()) }
        defer { input.release() }
        for up in [true, false, true, false] {
            try sim.pull(36, up: up)
            _ = try turn(until: { false }, timeout: .milliseconds(50))
        }
        let want: Edge = kind == .rising ? .rising : .falling
        try expect(log.events.map(\.edge) == [want, want], "edges \(log.events.map(\.edge.rawValue)), expected 2 \(want.rawValue)")
        return ""
    }

    private func activeLowEdges() throws -> String {
        try sim.pull(37, up: true)
        let log = EdgeLog()
        let both = try chip.requestInput(line: 37, settings: InputSettings(activeLow: true, edges: .both), consumer: consumer) { log.add($0, at: self.loop.preciseNow()) }
        try sim.pull(37, up: false)
        _ = try turn(until: { log.events.count == 1 })
        try sim.pull(37, up: true)
        _ = try turn(until: { log.events.count == 2 })
        both.release()
        try expect(log.events.map(\.edge) == [.rising, .falling], "both edges: \(log.events.map(\.edge.rawValue)) for low, high")
        let risingLog = EdgeLog()
        let rising = try chip.requestInput(line: 37, settings: InputSettings(activeLow: true, edges: .rising), consumer: consumer) { risingLog.add($0, at: self.loop.preciseNow()) }
        defer { rising.release() }
        for up in [false, true, false] {
            try sim.pull(37, up: up)
            _ = try turn(until: { false }, timeout: .milliseconds(50))
        }
        try expect(risingLog.events.map(\.edge) == [.rising, .rising], "rising-only, active-low: \(risingLog.events.map(\.edge.rawValue)) for low, high, low")
        return "both: low → rising, high → falling; rising-only fires on each physical fall"
    }

    private func biasWithEdges() throws -> String {
        try sim.pull(38, up: false)
        let input = try chip.requestInput(line: 38, settings: InputSettings(bias: .pullUp, edges: .both), consumer: consumer) { _ in }
        defer { input.release() }
        try expect(try input.read(), "an edge request with pull-up reads 0")
        return ""
    }

    // MARK: Debounce

    private func softwareDebounce() throws -> String {
        try sim.pull(39, up: false)
        let period = Duration.milliseconds(30)
        var debouncer = Debouncer(period: period, initial: false)
        var timer: TimerID?
        var reported: [EdgeEvent] = []
        var raw = 0
        let input = try chip.requestInput(line: 39, settings: InputSettings(edges: .both), consumer: consumer) { e in
            raw += 1
            if case .arm(let deadline) = debouncer.feed(e) {
                if let timer { self.loop.cancel(timer) }
                timer = self.loop.schedule(at: deadline) {
                    if let edge = debouncer.settle(at: self.loop.now) { reported.append(edge) }
                }
            }
        }
        defer { input.release() }
        for up in [true, false, true, false, true] { try sim.pull(39, up: up) }   // contact bounce, then closed
        _ = try turn(until: { false }, timeout: .milliseconds(200))
        try expect(raw >= 3, "the kernel reported only \(raw) raw edges for 5 bounces")
        try expect(reported.map(\.edge) == [.rising], "debounced edges \(reported.map(\.edge.rawValue)), expected one rising")
        return "\(raw) raw kernel edges → 1 rising edge after \(period)"
    }

    /// With libgpiod 2.x the kernel debounces (`debounce_period_us`); 1.x has no such setting (uAPI v1), and the
    /// check says whether the running kernel would offer one.
    private func kernelDebounce() {
        guard LibgpiodChip.hasKernelDebounce else {
            let v2 = kernelAnswersLineInfoV2()
            runner.skip("kernel debounce",
                        "\(LibgpiodChip.backendVersion) speaks the kernel's uAPI v1, which has no debounce; "
                        + (v2 ? "this kernel answers uAPI v2 (GPIO_V2_LINE_ATTR_ID_DEBOUNCE), which the libgpiod 2.x facade uses"
                              : "this kernel does not answer uAPI v2 either")
                        + "; FieldAgent debounces in software (checked above)")
            return
        }
        runner.check("kernel debounce (libgpiod 2.x) turns a bouncing real line into one edge") {
            try sim.pull(39, up: false)
            let period = Duration.milliseconds(50)
            let log = EdgeLog()
            let input = try chip.requestInput(line: 39, settings: InputSettings(edges: .both, debounce: period), consumer: consumer) {
                log.add($0, at: self.loop.preciseNow())
            }
            defer { input.release() }
            let start = loop.preciseNow()
            for up in [true, false, true, false, true] { try sim.pull(39, up: up) }   // contact bounce, then closed
            _ = try turn(until: { false }, timeout: .milliseconds(300))
            let edges = log.events.map(\.edge)
            try expect(edges == [.rising], "kernel-debounced edges \(edges.map(\.rawValue)), expected one rising")
            let stamp = log.events[0].timestamp
            try expect(stamp >= start && stamp <= loop.preciseNow(), "the edge's kernel timestamp is not on the loop's clock")
            return "5 bounces → 1 rising edge, debounced by the kernel (\(period)), stamped on CLOCK_MONOTONIC"
        }
    }

    /// One request, settings per line: bias, active-low and edge detection differ between its two lines.
    private func perLineSettings() throws -> String {
        try sim.pull(42, up: false)
        try sim.pull(43, up: true)
        let log = EdgeLog()
        let inputs = try chip.requestInputs(lines: [42, 43],
                                            settings: [InputSettings(bias: .pullUp, activeLow: true, edges: .none),
                                                       InputSettings(bias: .pullDown, edges: .rising)],
                                            consumer: consumer) { log.add($0, at: self.loop.preciseNow()) }
        defer { inputs.release() }
        let first = try inputs.read()
        try expect(first == [false, false], "read \(first): expected 00 (42 pulled up and active-low, 43 pulled down)")
        try sim.pull(43, up: true)
        _ = try turn(until: { !log.events.isEmpty })
        try sim.pull(42, up: false)
        try sim.pull(43, up: false)
        _ = try turn(until: { false }, timeout: .milliseconds(100))
        let seen = log.events.map { "\($0.line) \($0.edge.rawValue)" }
        try expect(seen == ["43 rising"], "edges \(seen), expected only 43 rising")
        let second = try inputs.read()
        try expect(second == [true, false], "read \(second) after the outside pulls, expected 10")
        let how = LibgpiodChip.apiMajor >= 2 ? "one kernel request" : "one kernel request per setting (libgpiod 1.x)"
        return "42 (pull-up, active-low, no edges) and 43 (pull-down, rising) in \(how)"
    }

    /// Whether `GPIO_V2_GET_LINEINFO_IOCTL` works on this chip (Linux ≥ 5.10), the uAPI that carries debounce.
    private func kernelAnswersLineInfoV2() -> Bool {
        let fd = open("/dev/\(chip.name)", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = [UInt8](repeating: 0, count: 256)  // struct gpio_v2_line_info; offset (u32) at byte 64 = line 0
        // _IOWR(0xB4, 0x05, struct gpio_v2_line_info): read-write, 256 bytes, type 0xB4, number 5.
        let request: UInt = (3 << 30) | (256 << 16) | (0xB4 << 8) | 0x05
        return info.withUnsafeMutableBytes { buf in
            // buf is the 256-byte struct the ioctl fills; it outlives the call.
            ioctl(fd, request, buf.baseAddress!) == 0
        }
    }

    // MARK: Several lines

    private func readSeveral() throws -> String {
        let lines = [40, 41, 42, 43]
        for (line, up) in zip(lines, [true, false, true, true]) { try sim.pull(line, up: up) }
        let inputs = try chip.requestInputs(lines: lines, settings: InputSettings(edges: .none), consumer: consumer) { _ in }
        let plain = try inputs.read()
        inputs.release()
        let inverted = try chip.requestInputs(lines: lines.reversed(), settings: InputSettings(activeLow: true, edges: .none), consumer: consumer) { _ in }
        let flipped = try inverted.read()
        inverted.release()
        try expect(plain.description == "1011", "read \(plain), expected 1011")
        try expect(flipped.description == "0010", "active-low, reversed order: read \(flipped), expected 0010")
        return "lines 40…43 read 1011; reversed and active-low 0010"
    }

    private func writeSeveral() throws -> String {
        let lines = [44, 45, 46, 47]
        let outputs = try chip.requestOutputs(lines: lines, activeLow: false, initial: [true, false, false, true], consumer: consumer)
        defer { outputs.release() }
        let first = try sim.values(lines)
        try outputs.write([false, true, true, false])
        let second = try sim.values(lines)
        try expect(first == "1001" && second == "0110", "levels \(first) then \(second), expected 1001 then 0110")
        try expect(outputs.values == [false, true, true, false], "values \(outputs.values)")
        return "1001 then 0110"
    }

    private func edgesOfSeveral() throws -> String {
        try sim.pull(40, up: false)
        try sim.pull(41, up: false)
        let log = EdgeLog()
        let inputs = try chip.requestInputs(lines: [40, 41], settings: InputSettings(edges: .both), consumer: consumer) { log.add($0, at: self.loop.preciseNow()) }
        defer { inputs.release() }
        try sim.pull(41, up: true)
        _ = try turn(until: { log.events.count == 1 })
        try sim.pull(40, up: true)
        _ = try turn(until: { log.events.count == 2 })
        try sim.pull(41, up: false)
        _ = try turn(until: { log.events.count == 3 })
        let seen = log.events.map { "\($0.line) \($0.edge.rawValue)" }
        try expect(seen == ["41 rising", "40 rising", "41 falling"], "edges \(seen)")
        let levels = try inputs.read()
        try expect(levels == [true, false], "read \(levels), expected 10")
        return seen.joined(separator: ", ")
    }

    // MARK: Busy lines and release

    private func busySameChip() throws -> String {
        let held = try chip.requestOutput(line: 48, activeLow: false, initial: false, consumer: "selftest-holder")
        defer { held.release() }
        let e = try expectError { _ = try chip.requestInput(line: 48, settings: InputSettings(), consumer: consumer) { _ in } }
        try expect(e.kind == .busy && e.message.contains("selftest-holder"), "error: \(e)")
        return e.message
    }

    private func busyOtherOpen() throws -> String {
        let held = try chip.requestOutput(line: 48, activeLow: false, initial: false, consumer: "selftest-holder")
        defer { held.release() }
        let other = try LibgpiodChip(label: label, loop: loop)
        let e = try expectError { _ = try other.requestInput(line: 48, settings: InputSettings(), consumer: consumer) { _ in } }
        try expect(e.kind == .busy && e.message.contains("selftest-holder"), "error: \(e)")
        return e.message
    }

    private func busyGroup() throws -> String {
        let held = try chip.requestOutput(line: 48, activeLow: false, initial: false, consumer: "selftest-holder")
        defer { held.release() }
        let e = try expectError { _ = try chip.requestOutputs(lines: [49, 48], activeLow: false, initial: [true, true], consumer: consumer) }
        try expect(e.kind == .busy, "error: \(e)")
        try expect(chip.lineInfo(49).consumer == nil, "line 49 is held by \(chip.lineInfo(49).consumer ?? "?") after the failed request")
        let alone = try chip.requestOutputs(lines: [49], activeLow: false, initial: [true], consumer: consumer)
        alone.release()
        return "line 49 stayed free"
    }

    private func release() throws -> String {
        try sim.pull(50, up: false)
        let log = EdgeLog()
        let input = try chip.requestInput(line: 50, settings: InputSettings(edges: .both), consumer: consumer) { log.add($0, at: self.loop.preciseNow()) }
        try expect(chip.lineInfo(50).consumer == consumer, "consumer while held: \(chip.lineInfo(50).consumer ?? "none")")
        input.release()
        try expect(chip.lineInfo(50).consumer == nil, "still held by \(chip.lineInfo(50).consumer ?? "?") after release")
        try sim.pull(50, up: true)
        _ = try turn(until: { false }, timeout: .milliseconds(50))
        try expect(log.events.isEmpty, "\(log.events.count) edges after release")
        let other = try LibgpiodChip(label: label, loop: loop)
        let again = try other.requestOutput(line: 50, activeLow: false, initial: false, consumer: consumer)
        again.release()
        return "free in the kernel's line info, requestable by another open"
    }

    private func outlivesChip() throws -> String {
        var owner: LibgpiodChip? = try LibgpiodChip(label: label, loop: loop)
        let out = try owner!.requestOutput(line: 51, activeLow: false, initial: false, consumer: consumer)
        owner = nil
        try out.write(true)
        let level = try sim.value(51)
        out.release()
        try expect(level, "the write after the chip handle was dropped did not reach the line")
        try expect(chip.lineInfo(51).consumer == nil, "line 51 still held after release")
        return ""
    }

    // MARK: Helpers

    /// Turns the loop until `done()` or `timeout`; returns `done()`.
    private func turn(until done: () -> Bool, timeout: Duration = .seconds(2)) throws -> Bool {
        timedOut = false
        let timer = loop.schedule(at: loop.preciseNow() + timeout) { self.timedOut = true }
        while !done() && !timedOut { try loop.runOnce() }
        loop.cancel(timer)
        return done()
    }

    /// The ``GPIOError`` that `body` throws; fails the check when it succeeds or throws something else.
    private func expectError(_ body: () throws -> Void) throws -> GPIOError {
        do {
            try body()
        } catch let error as GPIOError {
            return error
        }
        throw SelfTestFailure("the request succeeded")
    }
}

/// Edges as a handler saw them, with when each reached it.
final class EdgeLog {
    private(set) var events: [EdgeEvent] = []
    private(set) var delivered: [Instant] = []

    func add(_ event: EdgeEvent, at now: Instant) {
        events.append(event)
        delivered.append(now)
    }
}
