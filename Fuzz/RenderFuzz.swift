// libFuzzer entry point over what renders outside values and parses outside text, piece by piece: the Prometheus
// text (any sample value, any label value), the number and duration formats of status lines and logs, a peer's
// status block (any registers), the mock chip's control commands (any line from its socket), and the scalars,
// hosts and endpoints a config or command line gives. Built by `make fuzz` (see mk/modbus.mk).
// A crash, a trap or a hang is a bug; the checks state invariants of the renderers.
import Agent
import EventLoop
import GPIO
import Modbus
import Service
import YAML

/// Reads the fuzzer's bytes in order, as numbers and text.
private struct Reader {
    var bytes: ArraySlice<UInt8>
    var isEmpty: Bool { bytes.isEmpty }
    mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }
    mutating func word() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }
    mutating func bits64() -> UInt64 { (0..<8).reduce(UInt64(0)) { v, _ in v << 8 | UInt64(byte()) } }
    mutating func double() -> Double { Double(bitPattern: bits64()) }
    mutating func text() -> String {
        let n = Int(byte()) % 64
        let piece = bytes.prefix(n)
        bytes = bytes.dropFirst(n)
        return String(decoding: piece, as: UTF8.self)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // data points at `size` bytes libFuzzer owns for this call; we copy them.
    var r = Reader(bytes: Array(UnsafeBufferPointer(start: data, count: size))[...])
    while !r.isEmpty {
        switch r.byte() % 6 {
        case 0: metrics(&r)
        case 1: numbers(&r)
        case 2: peerStatus(&r)
        case 3: _ = MockControlCommand.parse(r.text())
        case 4: scalars(r.text())
        default: latencies(&r)
        }
    }
    return 0
}

/// A family of samples with any values and label values: the text parses back to the same number of samples.
private func metrics(_ r: inout Reader) {
    var family = MetricFamily("fieldagent_fuzz_value", help: r.text(), type: r.byte() & 1 == 0 ? .gauge : .counter)
    let count = Int(r.byte() % 8)
    for k in 0..<count { family.samples.append(.init(labels: [.init("agent", r.text()), .init("k", "\(k)")], value: r.double())) }
    let text = PrometheusText.render([family])
    let sampleLines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    precondition(sampleLines.count == count, "one line per sample, even with newlines in label values")
    for sample in family.samples {
        let v = PrometheusText.format(sample.value)
        precondition(!v.isEmpty && !v.contains(" "), "sample value \(v)")
    }
}

/// The number formats of status lines and logs, for any Double and any digit count.
private func numbers(_ r: inout Reader) {
    let value = r.double()
    let digits = Int(Int8(bitPattern: r.byte()))
    let text = formatFixed(value, digits: digits)
    precondition(!text.isEmpty)
    if value.isFinite { precondition(Double(text) != nil, "formatFixed(\(value)) = \(text)") }
    _ = formatMicroseconds(.nanoseconds(Int64(bitPattern: r.bits64())))
    _ = YAMLScalar.format(.nanoseconds(Int64(bitPattern: r.bits64())))
    let instant = Instant(nanoseconds: Int64(bitPattern: r.bits64()))
    _ = instant + .nanoseconds(Int64(bitPattern: r.bits64()))
    _ = instant - Instant(nanoseconds: Int64(bitPattern: r.bits64()))
}

/// A peer's status block as any registers decode it, and as the status line shows it.
private func peerStatus(_ r: inout Reader) {
    let count = Int(r.byte())
    let registers = (0..<count).map { _ in r.word() }
    guard let status = PeerStatus(registers: registers) else { return }
    precondition(status.confidence >= 0 && status.confidence <= 1, "confidence")
    _ = "\(status.name) \(status.state?.description ?? "?") \(status.alarms) \(formatFixed(status.confidence, digits: 2)) \(status.uptimeSeconds)"
}

/// The scalars, hosts and endpoints that configs and command lines give.
private func scalars(_ text: String) {
    if let d = YAMLScalar.duration(text) { precondition(d >= .zero, "negative duration"); _ = YAMLScalar.format(d) }
    _ = YAMLScalar.int(text)
    _ = YAMLScalar.bool(text)
    _ = HostName.problem(text)
    _ = try? ModbusEndpoint.parse(text)
    _ = try? ModbusEndpoint.parse("tcp://" + text)
    _ = try? ModbusEndpoint.parse("rtu:" + text)
}

/// Latency records of any length, and their summary.
private func latencies(_ r: inout Reader) {
    var histogram = LatencyHistogram()
    for _ in 0..<Int(r.byte() % 16) { histogram.record(.nanoseconds(Int64(bitPattern: r.bits64()))) }
    _ = histogram.summary
    _ = histogram.percentile(Double(r.byte()) / 255)
    _ = histogram.mean
}
