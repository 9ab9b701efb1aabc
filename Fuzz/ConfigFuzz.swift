// libFuzzer entry point over the config loader: YAML text → AgentConfig or diagnostics, as `fieldagent check`
// reads it (built-in boards, the compiled-in model). Built by `make fuzz` against the Agent target and what it
// depends on, compiled with -sanitize=fuzzer,address by SwiftPM (see mk/modbus.mk).
// A crash, a trap or a hang is a bug; so is an accepted config that breaks one of the promises checked below
// ("check is the truth": whatever it accepts fits where it goes).
import Agent
import Boards
import Config
import Modbus
import YAML

private let loader = ConfigLoader.forThisBinary(catalog: try! BoardCatalog.builtIn())
private let model = ModelSignature.compiledIn

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // data points at `size` bytes libFuzzer owns for this call; they are copied into the string.
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let (config, warnings) = try loader.load(text: text, file: "fuzz.yaml")
        for w in warnings { precondition(w.severity == .warning && w.mark.line >= 1, "warning without a place: \(w)") }
        checkAccepted(config)
    } catch {
        precondition(!error.errors.isEmpty, "refused without an error")
        for d in error.diagnostics { precondition(d.mark.line >= 1 && d.mark.column >= 1, "diagnostic without a place: \(d)") }
        _ = error.description
    }
    return 0
}

/// The promises an accepted config keeps.
private func checkAccepted(_ c: AgentConfig) {
    let longest = YAMLScalar.maximumDuration
    precondition(c.name.utf8.count <= AgentConfig.maximumNameLength, "name too long for its sockets")
    for i in c.inputs { precondition(i.debounce <= InputConfig.maximumDebounce, "debounce") }
    for r in c.rules { if case .pulse(_, let d) = r.action { precondition(d > .zero && d <= longest, "pulse") } }
    for d in c.modbus {
        precondition(d.options.responseTimeout >= .milliseconds(1) && d.options.responseTimeout <= longest, "timeout")
        precondition(d.options.connectTimeout >= .milliseconds(1) && d.options.connectTimeout <= longest, "connect timeout")
        if case .tcp(let host, let port) = d.endpoint { precondition(port > 0 && HostName.problem(host) == nil, "endpoint") }
        for p in d.points {
            precondition(p.codec.scale != 0 && p.codec.scale.isFinite && p.codec.offset.isFinite, "scale")
            precondition(Int(p.address) + p.itemCount <= 65536 && p.itemCount <= p.table.maxReadCount, "span")
            if let poll = p.pollInterval { precondition(poll > .zero && poll <= longest, "poll") }
            if let safe = p.safeValue, p.table != .coils { precondition((try? p.codec.encode(safe)) != nil, "safe value does not fit") }
        }
    }
    for p in c.peers {
        precondition(HostName.problem(p.host) == nil && p.port > 0, "peer host")
        precondition(p.interval > .zero && p.interval <= longest && p.timeout >= .milliseconds(1), "peer timing")
        precondition(p.staleAfter >= p.interval * 2, "stale window shorter than two reads")
    }
    for f in c.features {
        if case .duration(let span) = f.window { precondition(span > .zero && span <= longest, "window") }
        precondition(f.validRange.map { $0.lowerBound.isFinite && $0.upperBound.isFinite } ?? true, "range")
    }
    if let d = c.decision {
        precondition(d.every > .zero && d.every <= longest && d.minDwell <= longest, "decision timing")
        precondition(d.switchAt >= 0.34 && d.switchAt <= (model.maximumProbability ?? 1), "switch_at unreachable")
        for command in d.actions.joined() + d.overrides.flatMap(\.commands) {
            guard case .modbus(let device, let point) = command.target,
                  let p = c.modbus.first(where: { $0.name == device })?.points.first(where: { $0.name == point }) else { continue }
            if p.table != .coils { precondition((try? p.codec.encode(command.value)) != nil, "action value does not fit") }
        }
    }
    // What `fieldagent check` prints for an accepted config.
    if let d = c.decision { _ = durationText(d.every) + d.targets.map(\.description).joined() }
}
