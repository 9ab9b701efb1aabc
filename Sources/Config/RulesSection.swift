import YAML

/// `rules:` — `when: <input> rises|falls|changes` with one of `set: <output> on|off`, `toggle: <output>`,
/// `pulse: <output> <duration>`.
enum RulesSection {
    static let keys = ["when", "set", "toggle", "pulse"]

    static func decode(_ node: YAMLNode?, reader r: ConfigReader, names: NameRegistry) -> [Rule] {
        var out: [Rule] = []
        for item in r.list(node, "rules") {
            guard let f = r.fields(item, what: "a rule", known: keys) else { continue }
            guard let whenText = r.required(f, "when", in: "a rule", at: item.mark) else { continue }
            let whenMark = f["when"]!.mark
            let words = whenText.split(separator: " ").map(String.init)
            guard words.count == 2, let edge = Rule.Edge(rawValue: words[1]) else {
                r.error(whenMark, "when: '\(whenText)': write '<input> rises', '<input> falls' or '<input> changes'")
                continue
            }
            let input = words[0]
            if !names.inputs.contains(input) {
                let hint = ConfigReader.closest(input, Array(names.inputs)).map { "did you mean '\($0)'? " } ?? ""
                let what = names.outputs.contains(input) ? "'\(input)' is an output; rules start from inputs. " : "unknown input '\(input)'; "
                r.error(whenMark, "when: \(what)\(hint)inputs: \(names.inputs.sorted().joined(separator: ", "))")
                continue
            }
            let actions = ["set", "toggle", "pulse"].filter { f[$0] != nil }
            guard actions.count == 1, let key = actions.first, let valueNode = f[key], let text = r.string(valueNode, key) else {
                r.error(item.mark, "a rule needs exactly one action: set: <output> on|off, toggle: <output> or pulse: <output> <duration>")
                continue
            }
            let parts = text.split(separator: " ").map(String.init)
            guard let output = parts.first, names.outputs.contains(output) else {
                let o = parts.first ?? ""
                let hint = ConfigReader.closest(o, Array(names.outputs)).map { "did you mean '\($0)'? " } ?? ""
                r.error(valueNode.mark, "\(key): unknown output '\(o)'; \(hint)outputs: \(names.outputs.sorted().joined(separator: ", "))")
                continue
            }
            let action: Rule.Action
            switch key {
            case "set":
                guard parts.count == 2, let v = ConfigReader.parseBool(parts[1]) else {
                    r.error(valueNode.mark, "set: '\(text)': write 'set: \(output) on' or 'set: \(output) off'")
                    continue
                }
                action = .set(output: output, value: v)
            case "toggle":
                guard parts.count == 1 else {
                    r.error(valueNode.mark, "toggle: '\(text)': write 'toggle: \(output)'")
                    continue
                }
                action = .toggle(output: output)
            default:
                guard parts.count == 2, let d = ConfigReader.parseDuration(parts[1]), d > .zero else {
                    r.error(valueNode.mark, "pulse: '\(text)': write 'pulse: \(output) 200ms' (a duration above zero)")
                    continue
                }
                action = .pulse(output: output, duration: d)
            }
            out.append(Rule(input: input, edge: edge, action: action, location: item.mark))
        }
        return out
    }
}
