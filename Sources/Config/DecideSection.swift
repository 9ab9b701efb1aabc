import Modbus
import YAML

/// `decide:`: the model's cadence, hysteresis and what each class does to the actuators.
///
/// ```yaml
/// decide:
///   every: 1s                 # inference cadence, default 1s
///   switch_at: 0.6            # probability another class needs to take over, default 0.6 (0.34 … the highest the
///                             # model can output: 0.996 for an int8 softmax)
///   confirm: 2                # inferences in a row it must win, default 2
///   min_dwell: 5s             # a class, and an anomaly: level, holds at least this long, default 5s (a switch
///                             # to the fault class or a rise to alarm is not delayed unless dwell_guards_fault: true)
///   actions:                  # per model class: <output> on|off, <device>.<point> <value>
///     normal:   [motor on, warn off]
///     degraded: [motor on, warn on]
///     fault:    [motor off, warn on, machine.load 0]
///   overrides:                # level conditions; while one holds its commands win (a later one wins over an earlier)
///     - when: line-b is fault # <peer> is <class>|down, or: command stop|reduce-load|flag<N>
///       do: [standby on]
///   latch: [fault]            # classes that hold until reset, default: the last class (the worst); [] for none
///   reset_input: fault_reset  # an input whose rising edge resets (also: command bit reset, fieldagent reset)
///   model: machine_health     # the classifier (default: the compiled-in one; fieldagent model lists them)
///   anomaly:                  # an anomaly model's decision: score vs warn/alarm, its level a condition
///     model: machine_anomaly
///     warn: default           # a score, or default: the model's (a percentile of normal training scores)
///     alarm: default
///     clear: 0.8              # a level clears below clear × its threshold (hysteresis), default 0.8
///     confirm: 3              # inferences in a row for a new level, default: decide's confirm
///     latch: true             # alarm holds until reset (accepted once the score is below warn), default false
///   estimate: [machine_rul]   # regression models run at every tick; their outputs are override conditions
///   overrides:
///     - when: machine_anomaly is warn     # warn (or alarm), alarm
///       do: [warn_lamp on]
///     - when: machine_rul.rul below 48h   # <model>.<output> below|above <value> (h outputs take 48h, 2d, 90m)
///       do: [machine.load 70]
/// ```
/// Every target named here starts at its safe value and returns to it while the decision is invalid;
/// a target the current class (and no active override) does not name is held at its safe value.
enum DecideSection {
    static let key = "decide"
    static let keys = ["every", "switch_at", "confirm", "min_dwell", "dwell_guards_fault", "actions", "overrides", "latch", "reset_input",
                       "model", "anomaly", "estimate"]
    static let anomalyKeys = ["model", "warn", "alarm", "clear", "confirm", "latch"]
    static let overrideKeys = ["when", "do"]

    struct Context {
        var model: ModelSignature?
        var features: [FeatureConfig]
        var outputs: [OutputConfig]
        var inputs: [InputConfig] = []
        var devices: [ModbusDeviceConfig]
        var peers: [PeerConfig]
    }

    static func decode(_ node: YAMLNode?, _ c: ConfigContext, _ x: Context) -> DecisionConfig? {
        guard let node else { return nil }
        let r = c.reader
        guard let f = r.fields(node, what: "decide", known: keys) else { return nil }
        guard let model = x.model else {
            r.error(node.mark, "decide: this build has no compiled-in model")
            return nil
        }
        // The model's inputs must all be features.
        let missing = model.features.filter { !c.featureNames.contains($0) }
        if !missing.isEmpty {
            r.error(node.mark, "decide: the model takes \(model.features.count) features and \(missing.count) of them have no 'features:' entry: \(missing.joined(separator: ", ")) (the model's inputs, in order: \(model.features.joined(separator: ", ")))")
        }
        let every = f["every"].map { r.cadence($0, "every") } ?? .seconds(1)
        var switchAt: Double? = 0.6
        if let n = f["switch_at"], let s = r.string(n, "switch_at") {
            switchAt = Double(s)
            let reachable = min(model.maximumProbability ?? 1, 1)
            if let v = switchAt, !(0.34...1).contains(v) {
                r.error(n.mark, "switch_at: \(s) is out of range; use a probability from 0.34 to \(Self.threeDecimalsDown(reachable))")
                switchAt = nil
            } else if let v = switchAt, v > reachable {
                r.error(n.mark, "switch_at: \(s) can never be reached: the model's int8 output tops out at \(reachable); use at most \(Self.threeDecimalsDown(reachable))")
                switchAt = nil
            } else if switchAt == nil {
                r.error(n.mark, "switch_at: '\(s)' is not a number; a probability such as 0.6")
            }
        }
        let confirm = f["confirm"].map { r.int($0, "confirm", in: 1...100) } ?? 2
        let minDwell = f["min_dwell"].map { r.duration($0, "min_dwell") } ?? .seconds(5)
        let guardsFault = f["dwell_guards_fault"].map { r.bool($0, "dwell_guards_fault") } ?? false

        var actions = Array(repeating: [DecisionConfig.Command](), count: model.labels.count)
        if let n = f["actions"] {
            if let pairs = n.mappingPairs {
                for (k, v) in pairs {
                    guard let label = k.scalarValue else { continue }
                    guard let index = model.labels.firstIndex(of: label) else {
                        r.error(k.mark, "actions: '\(label)' is not one of the model's classes; \(Spelling.hint(for: label, among: model.labels))classes: \(model.labels.joined(separator: ", "))")
                        continue
                    }
                    actions[index] = commands(v, "actions of \(label)", c, x)
                }
            } else {
                r.error(n.mark, "actions must be a mapping from class to commands, e.g. fault: [motor off, alarm on]")
            }
        } else {
            r.warning(node.mark, "decide has no actions; the model runs and is served to peers, but drives nothing")
        }
        if let n = f["model"], let name = r.string(n, "model"), name != model.name {
            r.error(n.mark, "model: '\(name)' is not the compiled-in classifier; decide: runs \(model.name.isEmpty ? "the compiled-in classifier" : "'\(model.name)'") (fieldagent model lists the models)")
        }
        let anomaly = f["anomaly"].flatMap { decodeAnomaly($0, r, model: model, confirm: confirm ?? 2, featureNames: c.featureNames) }
        var estimates: [DecisionConfig.Estimate] = []
        for item in r.list(f["estimate"], "estimate") {
            guard let name = r.string(item, "estimate") else { continue }
            guard let m = companion(name, .regression, at: item.mark, r, model: model, featureNames: c.featureNames) else { continue }
            if estimates.contains(where: { $0.model == name }) {
                r.error(item.mark, "estimate: '\(name)' is listed twice")
                continue
            }
            estimates.append(.init(model: name, inputs: m.features, outputs: m.outputs, units: m.units))
        }
        var overrides: [DecisionConfig.Override] = []
        for item in r.list(f["overrides"], "overrides") {
            guard let o = r.fields(item, what: "an override", known: overrideKeys) else { continue }
            var condition: DecisionConfig.Condition?
            if let text = r.required(o, "when", in: "an override", at: item.mark), let w = o["when"] {
                condition = parseCondition(text, at: w.mark, r, model: model, peers: x.peers, anomaly: anomaly, estimates: estimates)
            }
            guard let doNode = o["do"] else {
                r.error(item.mark, "an override needs 'do:' with its commands, e.g. do: [standby on]")
                continue
            }
            let cmds = commands(doNode, "do", c, x)
            if let condition { overrides.append(.init(condition: condition, commands: cmds, location: item.mark)) }
        }
        let latching: [Int]? = f["latch"].map { decodeLatch($0, r, model: model) } ?? [model.labels.count - 1]
        let resetInput = f["reset_input"].flatMap { decodeResetInput($0, r, inputs: x.inputs, latching: latching ?? []) }
        // Features that failed to decode are reported where they are; the decision needs all of them.
        guard let every, let switchAt, let confirm, let minDwell, let guardsFault, let latching, missing.isEmpty,
              model.features.allSatisfy({ name in x.features.contains { $0.name == name } }) else { return nil }
        if f["anomaly"] != nil && anomaly == nil { return nil }
        var decision = DecisionConfig(every: every, inputs: model.features, labels: model.labels, switchAt: switchAt, confirm: confirm,
                                      minDwell: minDwell, dwellGuardsFault: guardsFault, actions: actions, overrides: overrides,
                                      latching: latching, resetInput: resetInput, location: node.mark)
        decision.model = model.name
        decision.anomaly = anomaly
        decision.estimates = estimates
        return decision
    }

    /// The compiled-in model `name` of `kind`, its input features all defined; nil with an error at `mark`.
    private static func companion(_ name: String, _ kind: CompanionModel.Kind, at mark: SourceLocation, _ r: ConfigReader,
                                  model: ModelSignature, featureNames: Set<String>) -> CompanionModel? {
        let fitting = model.companions.filter { $0.kind == kind }.map(\.name)
        guard let m = model.companion(name), m.kind == kind else {
            r.error(mark, "'\(name)' is not a compiled-in \(kind.rawValue) model; \(Spelling.hint(for: name, among: fitting))\(kind.rawValue) models: \(fitting.isEmpty ? "none" : fitting.joined(separator: ", ")) (fieldagent model)")
            return nil
        }
        let missing = m.features.filter { !featureNames.contains($0) }
        if !missing.isEmpty {
            r.error(mark, "'\(name)' takes \(m.features.count) features and \(missing.count) of them have no 'features:' entry: \(missing.joined(separator: ", "))")
            return nil
        }
        return m
    }

    /// `anomaly: {model: …, warn: default|SCORE, alarm: default|SCORE, clear: 0.8, confirm: N, latch: bool}`.
    private static func decodeAnomaly(_ node: YAMLNode, _ r: ConfigReader, model: ModelSignature, confirm: Int,
                                      featureNames: Set<String>) -> DecisionConfig.AnomalyDecision? {
        guard let f = r.fields(node, what: "anomaly", known: anomalyKeys) else { return nil }
        guard let name = r.required(f, "model", in: "anomaly", at: node.mark),
              let m = companion(name, .anomaly, at: f["model"]!.mark, r, model: model, featureNames: featureNames) else { return nil }
        func score(_ key: String, default value: Double) -> Double? {
            guard let n = f[key] else { return value }
            guard let s = r.string(n, key) else { return nil }
            if s == "default" { return value }
            guard let v = Double(s), v.isFinite, v > 0 else {
                r.error(n.mark, "\(key): '\(s)' is not a score; a positive number, or default (\(value), from training)")
                return nil
            }
            return v
        }
        let warn = score("warn", default: m.warn), alarm = score("alarm", default: m.alarm)
        var ordered = true
        if let warn, let alarm, warn > alarm {
            r.error((f["warn"] ?? node).mark, "anomaly: warn (\(warn)) is above alarm (\(alarm)); warn must be the lower score")
            ordered = false
        }
        var clear: Double? = 0.8
        if let n = f["clear"], let s = r.string(n, "clear") {
            clear = Double(s).flatMap { (0.5...1).contains($0) ? $0 : nil }
            if clear == nil { r.error(n.mark, "clear: '\(s)': a fraction from 0.5 to 1 (a level clears below clear × its threshold)") }
        }
        let levelConfirm = f["confirm"].map { r.int($0, "confirm", in: 1...100) } ?? confirm
        let latch = f["latch"].map { r.bool($0, "latch") } ?? false
        guard ordered, let warn, let alarm, let clear, let levelConfirm, let latch else { return nil }
        return .init(model: name, inputs: m.features, warn: warn, alarm: alarm, clear: clear, confirm: levelConfirm, latch: latch,
                     location: node.mark)
    }

    /// `latch: [fault]` (class labels), `latch: []` or `latch: none`: the latching classes' indexes.
    private static func decodeLatch(_ node: YAMLNode, _ r: ConfigReader, model: ModelSignature) -> [Int]? {
        if node.scalarValue == "none" { return [] }
        guard node.sequenceItems != nil || node.scalarValue == "" else {
            r.error(node.mark, "latch: a list of classes that hold until reset, e.g. latch: [fault]; latch: [] for none")
            return nil
        }
        var out: [Int] = []
        var ok = true
        for item in r.list(node, "latch") {
            guard let label = r.string(item, "latch") else { ok = false; continue }
            guard let index = model.labels.firstIndex(of: label) else {
                r.error(item.mark, "latch: '\(label)' is not one of the model's classes; \(Spelling.hint(for: label, among: model.labels))classes: \(model.labels.joined(separator: ", "))")
                ok = false
                continue
            }
            guard index > 0 else {
                r.error(item.mark, "latch: '\(label)' is the first class, the healthy one a reset leads back to; it cannot latch")
                ok = false
                continue
            }
            if !out.contains(index) { out.append(index) }
        }
        return ok ? out.sorted() : nil
    }

    /// `reset_input: fault_reset`: an input whose rising edge asks for a reset.
    private static func decodeResetInput(_ node: YAMLNode, _ r: ConfigReader, inputs: [InputConfig], latching: [Int]) -> String? {
        guard let name = r.string(node, "reset_input") else { return nil }
        guard let input = inputs.first(where: { $0.name == name }) else {
            let names = inputs.map(\.name)
            r.error(node.mark, "reset_input: unknown input '\(name)'; \(Spelling.hint(for: name, among: names))inputs: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
            return nil
        }
        guard input.edges == .both || input.edges == .rising else {
            r.error(node.mark, "reset_input: input '\(name)' has edges: \(input.edges.rawValue), so its rising edge is never seen; use edges: both or rising")
            return nil
        }
        if latching.isEmpty { r.warning(node.mark, "reset_input: no class latches (latch: []), so '\(name)' has nothing to reset") }
        return name
    }

    /// `p` rounded down to three decimals, for a limit that the suggested value itself respects (0.99609375 → 0.996).
    private static func threeDecimalsDown(_ p: Double) -> String {
        let v = (p * 1000).rounded(.down) / 1000
        return v == 1 ? "1" : "\(v)"
    }

    /// `line-b is fault`, `line-b is down`, `command stop`, `command flag5`.
    private static func parseCondition(_ text: String, at mark: SourceLocation, _ r: ConfigReader, model: ModelSignature,
                                       peers: [PeerConfig], anomaly: DecisionConfig.AnomalyDecision?,
                                       estimates: [DecisionConfig.Estimate]) -> DecisionConfig.Condition? {
        let words = text.split(separator: " ").map(String.init)
        if words.count == 3, words[1] == "is", model.companion(words[0])?.kind == .anomaly {
            guard anomaly?.model == words[0] else {
                r.error(mark, "when: '\(words[0])' runs only with 'anomaly: {model: \(words[0])}' in decide:")
                return nil
            }
            guard let level = DecisionConfig.AnomalyDecision.levels.firstIndex(of: words[2]), level > 0 else {
                r.error(mark, "when: '\(text)': an anomaly level is warn (warn or alarm) or alarm")
                return nil
            }
            return .anomaly(model: words[0], level: level)
        }
        if words.count == 3, words[1] == "below" || words[1] == "above", words[0].contains(".") {
            let parts = words[0].split(separator: ".", maxSplits: 1).map(String.init)
            guard let e = estimates.first(where: { $0.model == parts[0] }) else {
                let names = model.companions.filter { $0.kind == .regression }.map(\.name)
                if names.contains(parts[0]) {
                    r.error(mark, "when: '\(parts[0])' runs only when listed in 'estimate: [\(parts[0])]' in decide:")
                } else {
                    r.error(mark, "when: '\(parts[0])' is not a regression model; \(Spelling.hint(for: parts[0], among: names))regression models: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
                }
                return nil
            }
            guard let output = e.outputs.firstIndex(of: parts[1]) else {
                r.error(mark, "when: '\(e.model)' has no output '\(parts[1])'; outputs: \(e.outputs.joined(separator: ", "))")
                return nil
            }
            let unit = output < e.units.count ? e.units[output] : ""
            guard let threshold = Self.value(words[2], unit: unit) else {
                let expected = unit.isEmpty ? "a number" : unit == "h" ? "in h, e.g. 48h, 2d or 90m" : "in \(unit)"
                r.error(mark, "when: '\(words[2])' is not a value for \(words[0]) (\(expected))")
                return nil
            }
            return .estimate(model: e.model, output: output, name: parts[1], below: words[1] == "below", threshold: threshold, text: words[2])
        }
        if words.count == 2, words[0] == "command" {
            if words[1] == DecisionConfig.commandBits[DecisionConfig.resetBit] {
                r.error(mark, "when: 'command reset': the reset bit is a pulse that clears a latched class (the agent clears it at once), not a condition")
                return nil
            }
            if let bit = DecisionConfig.commandBits.firstIndex(of: words[1]) { return .command(bit: bit, name: words[1]) }
            if words[1].hasPrefix("flag"), let n = Int(words[1].dropFirst(4)), (DecisionConfig.commandBits.count..<16).contains(n) {
                return .command(bit: n, name: words[1])
            }
            r.error(mark, "when: '\(text)': the command block's bits are \(DecisionConfig.commandBits.joined(separator: ", ")) and flag\(DecisionConfig.commandBits.count)…flag15")
            return nil
        }
        guard words.count == 3, words[1] == "is" else {
            r.error(mark, "when: '\(text)': write '<peer> is <class>', '<peer> is down', 'command <bit>', '<anomaly model> is warn|alarm' or '<model>.<output> below|above <value>'")
            return nil
        }
        guard peers.contains(where: { $0.name == words[0] }) else {
            let names = peers.map(\.name)
            r.error(mark, "when: unknown peer '\(words[0])'; \(Spelling.hint(for: words[0], among: names))peers: \(names.isEmpty ? "none (add a peers: section)" : names.joined(separator: ", "))")
            return nil
        }
        if words[2] == "down" { return .peerDown(peer: words[0]) }
        guard let index = model.labels.firstIndex(of: words[2]) else {
            r.error(mark, "when: '\(words[2])' is not a class; write one of \(model.labels.joined(separator: ", ")), or down")
            return nil
        }
        return .peerClass(peer: words[0], classIndex: index, label: words[2])
    }

    /// A finite number, or for an output in hours a duration (`48h`, `2d`, `90m`) in hours.
    static func value(_ text: String, unit: String) -> Double? {
        if let v = Double(text), v.isFinite { return v }
        guard unit == "h" else { return nil }
        if text.hasSuffix("d"), let days = Double(text.dropLast()), days.isFinite { return days * 24 }
        guard let d = YAMLScalar.duration(text) else { return nil }
        return Double(d.components.seconds) / 3600 + Double(d.components.attoseconds) / 3.6e21
    }

    /// A list of `<output> on|off` / `<device>.<point> <value>`.
    private static func commands(_ node: YAMLNode, _ what: String, _ c: ConfigContext, _ x: Context) -> [DecisionConfig.Command] {
        let r = c.reader
        var out: [DecisionConfig.Command] = []
        for item in r.list(node, what) {
            guard let text = r.string(item, what) else { continue }
            let words = text.split(separator: " ").map(String.init)
            guard words.count == 2 else {
                r.error(item.mark, "\(what): '\(text)': write '<output> on|off' or '<device>.<point> <value>'")
                continue
            }
            let parts = words[0].split(separator: ".").map(String.init)
            if parts.count == 2 {
                guard let device = x.devices.first(where: { $0.name == parts[0] }) else {
                    r.error(item.mark, "\(what): unknown Modbus device '\(parts[0])'; devices: \(x.devices.isEmpty ? "none" : x.devices.map(\.name).joined(separator: ", "))")
                    continue
                }
                guard let point = device.points.first(where: { $0.name == parts[1] }) else {
                    r.error(item.mark, "\(what): device '\(parts[0])' has no point '\(parts[1])'; points: \(device.points.map(\.name).joined(separator: ", "))")
                    continue
                }
                guard point.writable else {
                    r.error(item.mark, "\(what): point '\(words[0])' is not writable; add 'writable: true' (coils and holding registers only)")
                    continue
                }
                guard point.safeValue != nil else {
                    r.error(item.mark, "\(what): point '\(words[0])' is driven by decisions, so it needs a 'safe:' value (written at start, on faults and on shutdown)")
                    continue
                }
                let value: Double?
                if point.table == .coils { value = YAMLScalar.bool(words[1]).map { $0 ? 1 : 0 } } else { value = Double(words[1]).flatMap { $0.isFinite ? $0 : nil } }
                guard let value else {
                    r.error(item.mark, "\(what): '\(words[1])' is not a value for \(words[0]) (\(point.table == .coils ? "on or off" : "a number"))")
                    continue
                }
                if let problem = PointValueCheck.problem(value, for: point) {
                    r.error(item.mark, "\(what): \(words[0]) \(problem)")
                    continue
                }
                out.append(.init(target: .modbus(device: parts[0], point: parts[1]), value: value))
            } else {
                guard x.outputs.contains(where: { $0.name == words[0] }) else {
                    let names = x.outputs.map(\.name)
                    r.error(item.mark, "\(what): unknown output '\(words[0])'; \(Spelling.hint(for: words[0], among: names))outputs: \(names.isEmpty ? "none" : names.joined(separator: ", ")); Modbus points are written <device>.<point>")
                    continue
                }
                guard let v = YAMLScalar.bool(words[1]) else {
                    r.error(item.mark, "\(what): '\(text)': write '\(words[0]) on' or '\(words[0]) off'")
                    continue
                }
                out.append(.init(target: .output(words[0]), value: v ? 1 : 0))
            }
        }
        return out
    }
}
