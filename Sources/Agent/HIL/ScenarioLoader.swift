import Config
import YAML

/// Reads a ``Scenario`` from YAML; errors name the file, line and column.
public struct ScenarioLoader {
    public init() {}

    static let stepKeys = ["at", "set", "machine", "inject", "expect", "expect_map", "within", "hold", "stop", "kill", "strangers"]

    public func load(path: String) throws -> Scenario {
        let root = try YAMLParser.parse(path: path)
        let r = ConfigReader()
        guard let top = r.fields(root, what: "a scenario", known: ["name", "config", "agents", "machines", "steps"]) else { throw ConfigErrors(r.diagnostics) }
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : dir + "/" + p }
        var configs: [String] = []
        if let c = r.string(top["config"], "config") { configs.append(resolve(c)) }
        for item in r.list(top["agents"], "agents") { if let c = r.string(item, "agent config") { configs.append(resolve(c)) } }
        if top["config"] != nil && top["agents"] != nil { r.error(root.mark, "a scenario has either config: (one agent) or agents: (several), not both") }
        var name = String(path.split(separator: "/").last ?? "scenario")
        if name.hasSuffix(".yaml") { name.removeLast(5) }
        name = r.string(top["name"], "name") ?? name
        let machines = top["machines"].map { severities($0, "machines", r) } ?? []
        var steps: [Scenario.Step] = []
        var lastAt: Duration = .zero
        for item in r.list(top["steps"], "steps") {
            guard let f = r.fields(item, what: "a step", known: Self.stepKeys) else { continue }
            let at = f["at"].map { r.duration($0, "at") } ?? lastAt
            let within = f["within"].map { r.duration($0, "within") } ?? .milliseconds(50)
            let hold = f["hold"].map { r.duration($0, "hold") } ?? .zero
            let stop = f["stop"].map { r.bool($0, "stop") } ?? false
            var sets: [(name: String, level: Bool?)] = []
            if let node = f["set"], let pairs = levels(node, "set", r, allowFloat: true) { sets = pairs }
            var expects: [(name: String, level: Bool)] = []
            if let node = f["expect"], let pairs = levels(node, "expect", r, allowFloat: false) {
                expects = pairs.map { ($0.name, $0.level ?? false) }
            }
            let moves = f["machine"].map { severities($0, "machine", r) } ?? []
            var injects: [(agent: String, fault: String)] = []
            for (k, v) in f["inject"]?.mappingPairs ?? [] {
                guard let agent = k.scalarValue, let fault = v.scalarValue else { continue }
                if ["none", "nan", "out-of-range"].contains(fault) { injects.append((agent, fault)) } else {
                    r.error(v.mark, "inject \(agent): '\(fault)' is not one of none, nan, out-of-range")
                }
            }
            var maps: [Scenario.MapExpectation] = []
            for (k, v) in f["expect_map"]?.mappingPairs ?? [] {
                guard let agent = k.scalarValue, let m = r.fields(v, what: "expect_map \(agent)", known: ["class", "state", "alarms"]) else { continue }
                let alarms = r.list(m["alarms"], "alarms").compactMap { r.string($0, "alarm") }
                maps.append(.init(agent: agent, healthClass: r.string(m["class"], "class"), state: r.string(m["state"], "state"), alarms: alarms))
            }
            var kills: [String] = []
            if let node = f["kill"] {
                if let one = node.scalarValue { kills = [one] } else { kills = r.list(node, "kill").compactMap { r.string($0, "kill") } }
            }
            var strangers: [(agent: String, count: Int)] = []
            for (k, v) in f["strangers"]?.mappingPairs ?? [] {
                guard let agent = k.scalarValue else { continue }
                if let n = r.int(v, "strangers \(agent)", in: 1...1000) { strangers.append((agent, n)) }
            }
            if let n = f["strangers"], n.mappingPairs == nil {
                r.error(n.mark, "strangers maps agent names to a number of idle connections from 127.0.0.2, like {line-a: 16}")
            }
            guard let at, let within, let hold, let stop else { continue }
            if at < lastAt { r.error(item.mark, "at: \(at) is before the previous step's \(lastAt); steps run in order") }
            lastAt = at
            steps.append(Scenario.Step(at: at, set: sets, machines: moves, inject: injects, expect: expects, expectMap: maps,
                                       within: within, hold: hold, stop: stop, kill: kills, strangers: strangers,
                                       location: "\(item.mark.file.split(separator: "/").last ?? ""):\(item.mark.line)"))
        }
        if steps.isEmpty { r.error(root.mark, "a scenario needs steps:") }
        if r.hasErrors { throw ConfigErrors(r.diagnostics) }
        return Scenario(name: name, file: path, configs: configs, machines: machines, steps: steps)
    }

    private func severities(_ node: YAMLNode, _ what: String, _ r: ConfigReader) -> [(agent: String, severity: Double)] {
        guard let pairs = node.mappingPairs else {
            r.error(node.mark, "\(what) maps agent names to a machine severity from 0 (normal) to 1 (fault), like {line-a: 0.9}")
            return []
        }
        var out: [(agent: String, severity: Double)] = []
        for (k, v) in pairs {
            guard let agent = k.scalarValue, let text = v.scalarValue else { continue }
            guard let s = Double(text), (0...1).contains(s) else {
                r.error(v.mark, "\(what) \(agent): '\(text)' is not a severity from 0 (normal) to 1 (fault)")
                continue
            }
            out.append((agent, s))
        }
        return out
    }

    private func levels(_ node: YAMLNode, _ what: String, _ r: ConfigReader, allowFloat: Bool) -> [(name: String, level: Bool?)]? {
        guard case .mapping(let pairs, _) = node else {
            r.error(node.mark, "\(what) is a mapping of line names to levels, like {button: 1}")
            return nil
        }
        var out: [(name: String, level: Bool?)] = []
        for (k, v) in pairs {
            guard let name = k.scalarValue, let text = v.scalarValue else { continue }
            if allowFloat && text == "float" {
                out.append((name, nil))
            } else if let b = ConfigReader.parseBool(text) {
                out.append((name, b))
            } else {
                r.error(v.mark, "\(what) \(name): '\(text)' is not a level; write 1 or 0 (high/low)\(allowFloat ? " or float" : "")")
            }
        }
        return out
    }
}
