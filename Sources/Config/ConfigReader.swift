import YAML

/// Typed reading of YAML nodes that records a diagnostic (with the node's place) instead of failing at the
/// first problem, so that one `check` reports every mistake.
public final class ConfigReader {
    public private(set) var diagnostics: [ConfigDiagnostic] = []

    public init() {}

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public func error(_ mark: SourceMark, _ message: String) { diagnostics.append(ConfigDiagnostic(mark, .error, message)) }
    public func warning(_ mark: SourceMark, _ message: String) { diagnostics.append(ConfigDiagnostic(mark, .warning, message)) }

    /// The mapping's pairs keyed by name; unknown keys are errors naming the known ones (with a "did you mean").
    public func fields(_ node: YAMLNode, what: String, known: [String]) -> [String: YAMLNode]? {
        guard case .mapping(let pairs, _) = node else {
            error(node.mark, "\(what) must be a mapping (key: value), not \(node.kindName)")
            return nil
        }
        var out: [String: YAMLNode] = [:]
        for (k, v) in pairs {
            guard let key = k.scalarValue else {
                error(k.mark, "\(what): keys must be plain names")
                continue
            }
            if known.contains(key) {
                out[key] = v
            } else {
                let hint = Self.closest(key, known).map { "did you mean '\($0)'? " } ?? ""
                error(k.mark, "unknown key '\(key)' in \(what); \(hint)known keys: \(known.joined(separator: ", "))")
            }
        }
        return out
    }

    /// A scalar's text.
    public func string(_ node: YAMLNode?, _ what: String) -> String? {
        guard let node else { return nil }
        guard let s = node.scalarValue else {
            error(node.mark, "\(what) must be a single value, not \(node.kindName)")
            return nil
        }
        return s
    }

    /// A required scalar.
    public func required(_ fields: [String: YAMLNode], _ key: String, in what: String, at mark: SourceMark) -> String? {
        guard let node = fields[key] else {
            error(mark, "\(what) needs '\(key)'")
            return nil
        }
        return string(node, "\(key)")
    }

    /// on/off, true/false, yes/no, 1/0.
    public func bool(_ node: YAMLNode?, _ what: String) -> Bool? {
        guard let s = string(node, what) else { return nil }
        if let b = Self.parseBool(s) { return b }
        error(node!.mark, "\(what): '\(s)' is not on/off (also true/false, yes/no, 1/0)")
        return nil
    }

    /// `10ms`, `2s`, `1.5s`, `250us`, `1m`, `100 ms`.
    public func duration(_ node: YAMLNode?, _ what: String) -> Duration? {
        guard let s = string(node, what) else { return nil }
        if let d = Self.parseDuration(s) { return d }
        error(node!.mark, "\(what): '\(s)' is not a duration; write for example 10ms, 2s, 1.5s, 250us or 1m")
        return nil
    }

    /// A value from a fixed set, with the set in the error.
    public func choice<T: RawRepresentable>(_ node: YAMLNode?, _ what: String, _ all: [T]) -> T? where T.RawValue == String {
        guard let s = string(node, what) else { return nil }
        if let v = T(rawValue: s) { return v }
        error(node!.mark, "\(what): '\(s)' is not one of \(all.map(\.rawValue).joined(separator: ", "))")
        return nil
    }

    /// A list (a missing key is an empty list).
    public func list(_ node: YAMLNode?, _ what: String) -> [YAMLNode] {
        guard let node else { return [] }
        if case .sequence(let items, _) = node { return items }
        if case .scalar(let s, _) = node, s.isEmpty { return [] }
        error(node.mark, "\(what) must be a list (items starting with '- '), not \(node.kindName)")
        return []
    }

    public static func parseBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "on", "true", "yes", "1", "high": true
        case "off", "false", "no", "0", "low": false
        default: nil
        }
    }

    public static func parseDuration(_ text: String) -> Duration? {
        let s = text.replacingOccurrences(" ", "").lowercased()
        let units: [(String, Double)] = [("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v >= 0, v.isFinite else { return nil }
            return .nanoseconds(Int64((v * scale * 1e9).rounded()))
        }
        return nil
    }

    /// The known word closest to `word` (edit distance ≤ 2), for "did you mean".
    public static func closest(_ word: String, _ known: [String]) -> String? {
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a), b = Array(b)
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var prev = row[0]
                row[0] = i
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    let cur = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = cur
                }
            }
            return row[b.count]
        }
        return known.map { ($0, distance(word, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }
}

extension String {
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
