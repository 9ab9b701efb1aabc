import YAML

/// Readings shared by the list sections (`modbus:`, `peers:`, `features:`, `decide:`).
extension ConfigReader {
    /// The entry's required `name`: an error when it is malformed or already in `seen` (name → line of first use),
    /// where it is then recorded. Returned even with those errors, so that the entry's other fields are still checked.
    func uniqueName(_ fields: [String: YAMLNode], in what: String, at entry: SourceLocation, kind: String, seen: inout [String: Int]) -> String? {
        guard let name = required(fields, "name", in: what, at: entry), let node = fields["name"] else { return nil }
        if !NameRegistry.isValid(name) {
            error(node.mark, "name '\(name)': use letters, digits, _ and -, starting with a letter")
        } else if let line = seen[name] {
            error(node.mark, "the \(kind) name '\(name)' is already used at line \(line); \(kind) names must be unique")
        }
        if seen[name] == nil { seen[name] = node.mark.line }
        return name
    }

    /// A duration longer than zero (`interval`, `timeout`, `every` …).
    func positiveDuration(_ node: YAMLNode, _ what: String) -> Duration? {
        guard let d = duration(node, what) else { return nil }
        guard d > .zero else {
            error(node.mark, "\(what) must be longer than 0")
            return nil
        }
        return d
    }

    /// The period of a repeating loop timer (`every`, `poll`, `interval`): longer than zero and at least
    /// ``LoopLimits/minimumCadence``, which the message names.
    func cadence(_ node: YAMLNode, _ what: String) -> Duration? {
        guard let d = positiveDuration(node, what) else { return nil }
        guard d >= LoopLimits.minimumCadence else {
            error(node.mark, "\(what): \(YAMLScalar.format(d)) is shorter than the event loop can serve; the minimum is \(YAMLScalar.format(LoopLimits.minimumCadence))")
            return nil
        }
        return d
    }
}
