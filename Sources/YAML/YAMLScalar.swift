/// The scalar syntaxes FieldAgent files use, parsed from text; nil means "not this kind".
///
/// Kept apart from ``YAMLNode`` so that other text (a command-line option, a control-socket
/// command) reads values exactly the way config files do.
public enum YAMLScalar {
    /// `on`/`off`, `true`/`false`, `yes`/`no`, `1`/`0`, `high`/`low`, in any case.
    public static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "on", "true", "yes", "1", "high": true
        case "off", "false", "no", "0", "low": false
        default: nil
        }
    }

    /// A decimal (`-12`, `+3`, `40`) or hexadecimal (`0x1F`) whole number that fits an `Int`.
    public static func int(_ text: String) -> Int? {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return Int(lower.dropFirst(2), radix: 16) }
        return Int(lower)
    }

    /// The longest duration a FieldAgent file or option may give: 7 days (`168h`). Every timer the agent arms is
    /// "now + a configured duration"; beyond this no setting makes sense, and near Int64's 292 years of
    /// nanoseconds such a deadline would wrap into the past. ``YAMLNode/duration(_:)`` refuses longer ones.
    public static let maximumDuration: Duration = .seconds(7 * 24 * 3600)

    /// A non-negative duration: digits, an optional fraction, then a unit (`us` or `µs`, `ms`, `s`, `m`, `h`),
    /// with optional spaces before the unit (`100 ms`). A bare `0` is zero. Exact to the nanosecond;
    /// values that do not fit in `Duration`'s range of nanoseconds as `Int64` are refused.
    public static func duration(_ text: String) -> Duration? {
        let chars = Array(text.unicodeScalars.filter { $0 != " " })
        if chars == ["0"] { return .zero }
        var i = 0
        func digits() -> String {
            var out = ""
            while i < chars.count, ("0"..."9").contains(chars[i]) { out.unicodeScalars.append(chars[i]); i += 1 }
            return out
        }
        let whole = digits()
        var fraction = ""
        if i < chars.count, chars[i] == "." {
            i += 1
            fraction = digits()
            if fraction.isEmpty { return nil }
        }
        guard !whole.isEmpty else { return nil }
        var unit = ""
        unit.unicodeScalars.append(contentsOf: chars[i...])
        let nanosPerUnit: Int64
        switch unit.lowercased() {
        case "us", "µs": nanosPerUnit = 1_000
        case "ms": nanosPerUnit = 1_000_000
        case "s": nanosPerUnit = 1_000_000_000
        case "m": nanosPerUnit = 60_000_000_000
        case "h": nanosPerUnit = 3_600_000_000_000
        default: return nil
        }
        guard let w = Int64(whole) else { return nil }
        let (wholeNanos, overflow) = w.multipliedReportingOverflow(by: nanosPerUnit)
        guard !overflow else { return nil }
        var fractionNanos: Int64 = 0
        if !fraction.isEmpty {
            // At most 3.6e12 before rounding (1h), so a Double holds it exactly enough to round to the ns.
            guard let f = Double("0." + fraction) else { return nil }
            fractionNanos = Int64((f * Double(nanosPerUnit)).rounded())
        }
        let (total, overflow2) = wholeNanos.addingReportingOverflow(fractionNanos)
        guard !overflow2 else { return nil }
        return .nanoseconds(total)
    }

    /// A duration as the config writes it, in the largest unit that keeps it whole: `10s`, `250ms`, `1m`, `1500us`.
    /// Beyond Int64's nanoseconds (292 years) it saturates, so any `Duration` prints.
    public static func format(_ d: Duration) -> String {
        let (seconds, attos) = d.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (nanos, overflow2) = whole.addingReportingOverflow(attos / 1_000_000_000)
        if overflow || overflow2 { return seconds < 0 ? "-\(Int64.max)ns" : "\(Int64.max)ns" }
        if nanos == 0 { return "0" }
        for (unit, size) in [("h", Int64(3_600_000_000_000)), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)]
            where nanos % size == 0 {
            return "\(nanos / size)\(unit)"
        }
        return "\(nanos)ns"
    }
}
