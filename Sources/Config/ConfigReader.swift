import YAML

/// Typed reading of YAML nodes that records a diagnostic at the node's place instead of stopping at the
/// first problem, so that one `check` reports every mistake. Each reading returns nil after recording
/// an error; callers skip what they cannot build and go on.
///
/// Used by every config section, and by other YAML files of FieldAgent (HIL scenarios).
public final class ConfigReader {
    /// Everything recorded so far, in the order found.
    public private(set) var diagnostics: [ConfigDiagnostic] = []

    /// An empty reader.
    public init() {}

    /// True once an error (not a warning) has been recorded.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Records an error at `mark`.
    public func error(_ mark: SourceLocation, _ message: String) { diagnostics.append(ConfigDiagnostic(mark, .error, message)) }

    /// Records a warning at `mark`.
    public func warning(_ mark: SourceLocation, _ message: String) { diagnostics.append(ConfigDiagnostic(mark, .warning, message)) }

    /// Records a ``YAMLError`` from a typed accessor as an error diagnostic.
    public func record(_ e: YAMLError) { error(e.mark, e.message) }

    /// The diagnostics in file order (line, then column; found order among equals).
    public var sortedDiagnostics: [ConfigDiagnostic] {
        diagnostics.enumerated().sorted {
            ($0.element.mark.line, $0.element.mark.column, $0.offset) < ($1.element.mark.line, $1.element.mark.column, $1.offset)
        }.map(\.element)
    }

    /// The mapping's values by key. A key not in `known` is an error that names the known keys, with a
    /// "did you mean" (`unknown key 'debounse' in input 'button'; did you mean 'debounce'? known keys: …`).
    /// Nil, with an error, when `node` is not a mapping.
    public func fields(_ node: YAMLNode, what: String, known: [String]) -> [String: YAMLNode]? {
        guard let pairs = node.mappingPairs else {
            error(node.mark, "\(what) must be a mapping (key: value), not \(node.kindName)")
            return nil
        }
        var out: [String: YAMLNode] = [:]
        for (k, v) in pairs {
            guard let key = k.scalarValue else {
                error(k.mark, "\(what): keys must be plain names, not \(k.kindName)")
                continue
            }
            if known.contains(key) {
                out[key] = v
            } else {
                error(k.mark, "unknown key '\(key)' in \(what); \(Spelling.hint(for: key, among: known))known keys: \(known.joined(separator: ", "))")
            }
        }
        return out
    }

    /// A scalar's text; nil if `node` is nil or (with an error) not a scalar.
    public func string(_ node: YAMLNode?, _ what: String) -> String? {
        read(node) { n throws(YAMLError) in try n.string(what) }
    }

    /// A required scalar: an error at `mark` (the entry's place) when `key` is missing.
    public func required(_ fields: [String: YAMLNode], _ key: String, in what: String, at mark: SourceLocation) -> String? {
        guard let node = fields[key] else {
            error(mark, "\(what) needs '\(key)'")
            return nil
        }
        return string(node, key)
    }

    /// A whole number (decimal or `0x` hex), optionally within `range`.
    public func int(_ node: YAMLNode?, _ what: String, in range: ClosedRange<Int>? = nil) -> Int? {
        read(node) { n throws(YAMLError) in try n.int(what, in: range) }
    }

    /// `on`/`off`, `true`/`false`, `yes`/`no` (also `1`/`0`, `high`/`low`).
    public func bool(_ node: YAMLNode?, _ what: String) -> Bool? {
        read(node) { n throws(YAMLError) in try n.bool(what) }
    }

    /// A duration: `10ms`, `2s`, `1.5s`, `250us`, `1m`; `0` is zero.
    public func duration(_ node: YAMLNode?, _ what: String) -> Duration? {
        read(node) { n throws(YAMLError) in try n.duration(what) }
    }

    /// A value from a fixed set of words; the error lists the set (`bias: 'up' is not one of …`).
    public func choice<T: RawRepresentable>(_ node: YAMLNode?, _ what: String, _ all: [T]) -> T? where T.RawValue == String {
        guard let node, let s = string(node, what) else { return nil }
        if let v = T(rawValue: s) { return v }
        let words = all.map(\.rawValue)
        error(node.mark, "\(what): '\(s)' is not one of \(words.joined(separator: ", "))" + (Spelling.closest(to: s, among: words).map { "; did you mean '\($0)'?" } ?? ""))
        return nil
    }

    /// A list's items; a missing key or an empty value (`inputs:`) is an empty list.
    public func list(_ node: YAMLNode?, _ what: String) -> [YAMLNode] {
        guard let node else { return [] }
        if let items = node.sequenceItems { return items }
        if node.scalarValue == "" { return [] }
        error(node.mark, "\(what) must be a list (items starting with '- '), not \(node.kindName)")
        return []
    }

    /// Same as ``YAMLScalar/bool(_:)``.
    public static func parseBool(_ s: String) -> Bool? { YAMLScalar.bool(s) }

    /// Same as ``YAMLScalar/duration(_:)``, and nil beyond ``YAMLScalar/maximumDuration`` (as in config files).
    public static func parseDuration(_ s: String) -> Duration? {
        YAMLScalar.duration(s).flatMap { $0 <= YAMLScalar.maximumDuration ? $0 : nil }
    }

    /// Same as ``Spelling/closest(to:among:)``.
    public static func closest(_ word: String, _ known: [String]) -> String? { Spelling.closest(to: word, among: known) }

    private func read<T>(_ node: YAMLNode?, _ body: (YAMLNode) throws(YAMLError) -> T) -> T? {
        guard let node else { return nil }
        do {
            return try body(node)
        } catch {
            record(error)
            return nil
        }
    }
}
