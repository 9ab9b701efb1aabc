/// Typed reading of scalars. Each accessor throws a ``YAMLError`` at the node's place that says what
/// was expected; `what` names the field in that message (`debounce: 'fast' is not a duration …`).
extension YAMLNode {
    /// The scalar's text; a list or mapping is an error.
    public func string(_ what: String) throws(YAMLError) -> String {
        guard let s = scalarValue else { throw YAMLError(mark, "\(what) must be a single value, not \(kindName)") }
        return s
    }

    /// A whole number: decimal (`-12`, `40`) or hexadecimal (`0x1F`), optionally within `range`.
    public func int(_ what: String, in range: ClosedRange<Int>? = nil) throws(YAMLError) -> Int {
        let s = try string(what)
        guard let v = YAMLScalar.int(s) else { throw YAMLError(mark, "\(what): '\(s)' is not a whole number") }
        if let range, !range.contains(v) {
            throw YAMLError(mark, "\(what): \(v) is out of range; write \(range.lowerBound)…\(range.upperBound)")
        }
        return v
    }

    /// A truth value: `on`/`off`, `true`/`false`, `yes`/`no` (also `1`/`0`, `high`/`low`), any case.
    public func bool(_ what: String) throws(YAMLError) -> Bool {
        let s = try string(what)
        guard let v = YAMLScalar.bool(s) else { throw YAMLError(mark, "\(what): '\(s)' is not on/off (also true/false, yes/no)") }
        return v
    }

    /// A duration with a unit: `250us`, `10ms`, `2s`, `1.5s`, `1m`, `1h`; a bare `0` is zero. At most
    /// ``YAMLScalar/maximumDuration`` (7 days): longer ones are refused with that maximum.
    public func duration(_ what: String) throws(YAMLError) -> Duration {
        let s = try string(what)
        guard let v = YAMLScalar.duration(s) else {
            throw YAMLError(mark, "\(what): '\(s)' is not a duration; write for example 10ms, 2s, 1.5s, 250us or 1m")
        }
        guard v <= YAMLScalar.maximumDuration else {
            throw YAMLError(mark, "\(what): \(s) is longer than the maximum \(YAMLScalar.format(YAMLScalar.maximumDuration)) (7 days)")
        }
        return v
    }
}
