import Config
import EventLoop
import Modbus
import Uplink

/// The agent's side of the Sparkplug uplink: which metrics it publishes, how they are sampled, and how NCMD
/// commands reach the command block.
///
/// Node metrics: `Inputs/NAME`, `Outputs/NAME` (Boolean), `Features/NAME` (Double, null while invalid), with a
/// `decide:` section `Model/Class`, `Model/Model Class`, `Model/Latched` (String, null when none), `Model/State`,
/// `Model/Score` (the class in force's probability) and `Model/Output/LABEL` (the last inference's outputs);
/// with `anomaly:` `Model/Anomaly/MODEL/Score` (Double) and `Model/Anomaly/MODEL/Level` (normal, warn, alarm; null
/// while none), with `estimate:` `Model/Estimate/MODEL/OUTPUT` (Double, in the model's unit; null while invalid);
/// `Commands/Bits`, `Alarms` and `Edges` (Int64). A device per Modbus device (`Link`) and per peer (`Link`,
/// `Class`, `Confidence`), born while its link is up.
///
/// Commands: only `Commands/stop`, `Commands/reduce-load`, `Commands/reset` and `Commands/flagN` (Boolean), applied
/// through the same ``CommandBlock`` as a peer's Modbus write; an output, a device or anything else is refused.
enum AgentUplink {
    static func definitions(for agent: Agent) -> [SparkplugEdgeNode.Definition] {
        var defs: [SparkplugEdgeNode.Definition] = []
        for i in agent.config.inputs { defs.append(.init(name: "Inputs/\(i.name)", dataType: .boolean)) }
        for o in agent.config.outputs { defs.append(.init(name: "Outputs/\(o.name)", dataType: .boolean)) }
        for f in agent.config.features { defs.append(.init(name: "Features/\(f.name)", dataType: .double)) }
        if let d = agent.config.decision {
            for name in ["Model/Class", "Model/Model Class", "Model/Latched", "Model/State"] { defs.append(.init(name: name, dataType: .string)) }
            defs.append(.init(name: "Model/Score", dataType: .double))
            for label in d.labels { defs.append(.init(name: "Model/Output/\(label)", dataType: .double)) }
            if let a = d.anomaly {
                defs.append(.init(name: "Model/Anomaly/\(a.model)/Score", dataType: .double))
                defs.append(.init(name: "Model/Anomaly/\(a.model)/Level", dataType: .string))
            }
            for e in d.estimates {
                for output in e.outputs { defs.append(.init(name: "Model/Estimate/\(e.model)/\(output)", dataType: .double)) }
            }
        }
        defs.append(.init(name: "Commands/Bits", dataType: .int64))
        defs.append(.init(name: "Alarms", dataType: .int64))
        defs.append(.init(name: "Edges", dataType: .int64))
        for dev in agent.config.modbus { defs.append(.init(name: "Link", device: dev.name, dataType: .string)) }
        for p in agent.config.peers {
            defs.append(.init(name: "Link", device: p.name, dataType: .string))
            defs.append(.init(name: "Class", device: p.name, dataType: .int64))
            defs.append(.init(name: "Confidence", device: p.name, dataType: .double))
        }
        return defs
    }

    /// The current values, in the order of ``definitions(for:)``.
    static func sample(_ agent: Agent) -> [SparkplugMetric.Value] {
        var out: [SparkplugMetric.Value] = []
        for i in agent.config.inputs { out.append(agent.inputs.first { $0.name == i.name }.map { .boolean($0.value) } ?? .null(.boolean)) }
        for o in agent.config.outputs { out.append(agent.output(named: o.name).map { .boolean($0.value) } ?? .null(.boolean)) }
        if let bank = agent.features, !agent.config.features.isEmpty {
            if agent.decision == nil { bank.evaluateIfNeeded(at: agent.loop.now) }
            for f in bank.features { out.append(f.value.map { .double($0) } ?? .null(.double)) }
        } else {
            for _ in agent.config.features { out.append(.null(.double)) }
        }
        if let cfg = agent.config.decision {
            let d = agent.decision
            let labels = cfg.labels
            func label(_ c: Int?) -> SparkplugMetric.Value { c.flatMap { labels.indices.contains($0) ? .string(labels[$0]) : nil } ?? .null(.string) }
            out.append(label(d?.currentClass))
            out.append(label(d?.modelClass))
            out.append(label(d?.latchedClass))
            out.append(d.map { .string("\($0.state)") } ?? .null(.string))
            let probs = d?.probabilities ?? []
            out.append(d?.currentClass.flatMap { probs.indices.contains($0) ? .double(probs[$0]) : nil } ?? .null(.double))
            for i in labels.indices { out.append(probs.indices.contains(i) && probs[i].isFinite ? .double(probs[i]) : .null(.double)) }
            let companions = d?.companions
            if cfg.anomaly != nil {
                out.append(companions?.score.flatMap { $0.isFinite ? .double($0) : nil } ?? .null(.double))
                out.append(companions?.levels?.inForce.map { .string(CompanionMonitor.levelName($0)) } ?? .null(.string))
            }
            for e in cfg.estimates {
                for i in e.outputs.indices {
                    let v = companions?.estimate(e.model, i) ?? .nan
                    out.append(v.isFinite ? .double(v) : .null(.double))
                }
            }
        }
        out.append(.int64(Int64(agent.commands?.bits ?? 0)))
        out.append(.int64(Int64(agent.alarms.rawValue)))
        out.append(.int64(Int64(truncatingIfNeeded: agent.edgeCount)))
        for dev in agent.config.modbus { out.append(.string(agent.sensors?.link(of: dev.name)?.state.rawValue ?? "down")) }
        for p in agent.config.peers {
            let peer = agent.peers.flatMap { set in set.index(of: p.name).map { set.peers[$0] } }
            out.append(.string(peer?.link.rawValue ?? "down"))
            out.append(peer?.status?.healthClass.map { .int64(Int64($0)) } ?? .null(.int64))
            out.append(peer?.status.map { .double($0.confidence) } ?? .null(.double))
        }
        return out
    }

    /// Whether the device (a Modbus device or a peer) is up, for DBIRTH/DDEATH.
    static func deviceOnline(_ agent: Agent, _ device: String) -> Bool {
        if let state = agent.sensors?.link(of: device)?.state { return state == .up }
        if let set = agent.peers, let i = set.index(of: device) { return set.peers[i].link == .up }
        return false
    }

    /// An NCMD metric through the command block's gate.
    static func command(_ agent: Agent, host: String, name: String, value: SparkplugMetric.Value) -> SparkplugEdgeNode.CommandOutcome {
        guard let commands = agent.commands else { return .refused("the agent is not running") }
        guard name.hasPrefix("Commands/") else {
            return .refused("'\(name)' is not a command; only Commands/stop, Commands/reduce-load, Commands/reset and Commands/flag3…15 are accepted (outputs and devices are never written from the uplink)")
        }
        let word = String(name.dropFirst("Commands/".count))
        let bit: Int
        if let i = DecisionConfig.commandBits.firstIndex(of: word) {
            bit = i
        } else if word.hasPrefix("flag"), let n = Int(word.dropFirst(4)), (DecisionConfig.commandBits.count...15).contains(n) {
            bit = n
        } else {
            return .refused("unknown command '\(word)'; the command block has stop, reduce-load, reset, flag3…flag15")
        }
        guard case .boolean(let on) = value else { return .refused("\(name) must be a Boolean") }
        var bits = commands.bits
        if on { bits |= 1 << UInt16(bit) } else { bits &= ~(1 << UInt16(bit)) }
        if let problem = commands.apply(.registers(address: RegisterLayout.commandBits, values: [bits]), from: "sparkplug host \(host)") {
            return .refused("the command block refused it (\(problem))")
        }
        return .accepted
    }
}
