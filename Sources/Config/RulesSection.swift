import YAML

/// `rules:`: `when: <input> rises|falls|changes` with exactly one of `set: <output> on|off`,
/// `toggle: <output>`, `pulse: <output> <duration>`.
enum RulesSection {
    /// The top-level key.
    static let key = "rules"
    /// The actions, in the order messages list them.
    static let actions = ["set", "toggle", "pulse"]
    /// The keys of one entry.
    static let keys = ["when"] + actions

    static func decode(_ node: YAMLNode?, _ c: ConfigContext, inputs: [InputConfig]) -> [Rule] {
        let r = c.reader
        var out: [Rule] = []
        for item in r.list(node, key) {
            guard let f = r.fields(item, what: "a rule", known: keys) else { continue }
            // A misspelt action key (`toogle:`) is reported as unknown; "needs an action" would say it twice.
            let hasUnknownKeys = (item.mappingPairs?.count ?? 0) > f.count
            let when = decodeWhen(f, at: item.mark, c, inputs: inputs)
            let action = decodeAction(f, at: item.mark, c, reportMissing: !hasUnknownKeys)
            guard let when, let action else { continue }
            out.append(Rule(input: when.input, edge: when.edge, action: action, location: item.mark))
        }
        return out
    }

    private static func decodeWhen(_ f: [String: YAMLNode], at entry: SourceLocation, _ c: ConfigContext,
                                   inputs: [InputConfig]) -> (input: String, edge: Rule.Edge)? {
        let r = c.reader
        guard let text = r.required(f, "when", in: "a rule", at: entry), let node = f["when"] else { return nil }
        let words = text.split(separator: " ").map(String.init)
        let edges = Rule.Edge.allCases.map(\.rawValue)
        guard words.count == 2, let edge = Rule.Edge(rawValue: words[1]) else {
            let hint = words.count == 2 ? Spelling.closest(to: words[1], among: edges).map { " (did you mean '\(words[0]) \($0)'?)" } ?? "" : ""
            r.error(node.mark, "when: '\(text)'\(hint): write '<input> rises', '<input> falls' or '<input> changes'")
            return nil
        }
        let input = words[0]
        switch c.names.kind(of: input) {
        case .input:
            break
        case .output:
            r.error(node.mark, "when: '\(input)' is an output; rules start from an input (inputs: \(list(c.names.names(.input))))")
            return nil
        case nil:
            let all = c.names.names(.input)
            r.error(node.mark, "when: unknown input '\(input)'; \(Spelling.hint(for: input, among: all))inputs: \(list(all))")
            return nil
        }
        if let config = inputs.first(where: { $0.name == input }), !fires(edge, on: config.edges) {
            let alternative = edge == .rises ? " (or rising)" : edge == .falls ? " (or falling)" : ""
            r.error(node.mark, "when: '\(text)' can never fire: input '\(input)' has edges: \(config.edges.rawValue)"
                    + "; set its edges to both\(alternative)")
            return nil
        }
        return (input, edge)
    }

    private static func decodeAction(_ f: [String: YAMLNode], at entry: SourceLocation, _ c: ConfigContext,
                                     reportMissing: Bool) -> Rule.Action? {
        let r = c.reader
        let given = actions.filter { f[$0] != nil }
        guard given.count == 1, let key = given.first, let node = f[key] else {
            if given.isEmpty && !reportMissing { return nil }
            let problem = given.isEmpty ? "a rule needs an action" : "a rule has one action, this one has \(given.joined(separator: " and "))"
            r.error(entry, "\(problem): set: <output> on|off, toggle: <output> or pulse: <output> <duration>")
            return nil
        }
        guard let text = r.string(node, key) else { return nil }
        let parts = text.split(separator: " ").map(String.init)
        let output = parts.first ?? ""
        switch c.names.kind(of: output) {
        case .output:
            break
        case .input:
            r.error(node.mark, "\(key): '\(output)' is an input; rules drive outputs (outputs: \(list(c.names.names(.output))))")
            return nil
        case nil:
            let all = c.names.names(.output)
            r.error(node.mark, "\(key): unknown output '\(output)'; \(Spelling.hint(for: output, among: all))outputs: \(list(all))")
            return nil
        }
        switch key {
        case "set":
            guard parts.count == 2, let v = YAMLScalar.bool(parts[1]) else {
                r.error(node.mark, "set: '\(text)': write 'set: \(output) on' or 'set: \(output) off'")
                return nil
            }
            return .set(output: output, value: v)
        case "toggle":
            guard parts.count == 1 else {
                r.error(node.mark, "toggle: '\(text)': write 'toggle: \(output)'")
                return nil
            }
            return .toggle(output: output)
        default:
            guard parts.count >= 2, let d = YAMLScalar.duration(parts.dropFirst().joined()), d > .zero else {
                r.error(node.mark, "pulse: '\(text)': write 'pulse: \(output) 200ms' (a duration above zero: 250us, 10ms, 1.5s, 1m)")
                return nil
            }
            guard d <= YAMLScalar.maximumDuration else {
                r.error(node.mark, "pulse: \(YAMLScalar.format(d)) is longer than the maximum \(YAMLScalar.format(YAMLScalar.maximumDuration)) (7 days)")
                return nil
            }
            return .pulse(output: output, duration: d)
        }
    }

    /// Whether an input reporting `edges` can produce `edge`.
    private static func fires(_ edge: Rule.Edge, on edges: InputConfig.Edges) -> Bool {
        switch (edge, edges) {
        case (_, .none): false
        case (_, .both), (.changes, _), (.rises, .rising), (.falls, .falling): true
        default: false
        }
    }

    private static func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }
}
