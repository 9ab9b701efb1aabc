import Config
import YAML

/// Reads a ``Scenario`` from YAML; errors name the file, line and column.
public struct ScenarioLoader {
    public init() {}

    public func load(path: String) throws -> Scenario {
        let root = try YAMLParser.parse(path: path)
        let r = ConfigReader()
        guard let top = r.fields(root, what: "a scenario", known: ["name", "config", "steps"]) else { throw ConfigErrors(r.diagnostics) }
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let config = r.string(top["config"], "config").map { $0.hasPrefix("/") ? $0 : dir + "/" + $0 }
        var name = String(path.split(separator: "/").last ?? "scenario")
        if name.hasSuffix(".yaml") { name.removeLast(5) }
        name = r.string(top["name"], "name") ?? name
        var steps: [Scenario.Step] = []
        var lastAt: Duration = .zero
        for item in r.list(top["steps"], "steps") {
            guard let f = r.fields(item, what: "a step", known: ["at", "set", "expect", "within", "stop"]) else { continue }
            let at = f["at"].map { r.duration($0, "at") } ?? lastAt
            let within = f["within"].map { r.duration($0, "within") } ?? .milliseconds(50)
            let stop = f["stop"].map { r.bool($0, "stop") } ?? false
            var sets: [(name: String, level: Bool?)] = []
            if let node = f["set"], let pairs = levels(node, "set", r, allowFloat: true) { sets = pairs }
            var expects: [(name: String, level: Bool)] = []
            if let node = f["expect"], let pairs = levels(node, "expect", r, allowFloat: false) {
                expects = pairs.map { ($0.name, $0.level ?? false) }
            }
            guard let at, let within, let stop else { continue }
            if at < lastAt { r.error(item.mark, "at: \(at) is before the previous step's \(lastAt); steps run in order") }
            lastAt = at
            steps.append(Scenario.Step(at: at, set: sets, expect: expects, within: within, stop: stop,
                                       location: "\(item.mark.file.split(separator: "/").last ?? ""):\(item.mark.line)"))
        }
        if steps.isEmpty { r.error(root.mark, "a scenario needs steps:") }
        if r.hasErrors { throw ConfigErrors(r.diagnostics) }
        return Scenario(name: name, file: path, config: config, steps: steps)
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
