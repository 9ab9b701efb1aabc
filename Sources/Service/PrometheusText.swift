/// The Prometheus text exposition format, version 0.0.4: what node_exporter's textfile collector reads
/// from a `.prom` file and what a scrape of `/metrics` returns.
///
/// Per family: `# HELP name text`, `# TYPE name counter|gauge`, then one `name{label="value",...} value`
/// line per sample; every line ends with `\n`. No timestamps (the textfile collector rejects them).
/// See https://prometheus.io/docs/instrumenting/exposition_formats/.
public enum PrometheusText {
    /// The `Content-Type` of this format, for an HTTP endpoint.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// All families, in order. Family names must be unique (checked in debug builds), and so must each family's label sets.
    public static func render(_ families: [MetricFamily]) -> String {
        var out = ""
        render(families, into: &out)
        return out
    }

    /// Appends the text of `families` to `out` (reuse one string to avoid growing a new one each time).
    public static func render(_ families: [MetricFamily], into out: inout String) {
        assert(Set(families.map(\.name)).count == families.count, "duplicate metric family names: \(families.map(\.name))")
        var samples = 0
        for family in families { samples += family.samples.count }
        out.reserveCapacity(out.utf8.count + families.count * 120 + samples * 80)
        for family in families {
            out += "# HELP "
            out += family.name
            out += " "
            appendEscapedHelp(family.help, to: &out)
            out += "\n# TYPE "
            out += family.name
            out += family.type == .counter ? " counter\n" : " gauge\n"
            for sample in family.samples {
                out += family.name
                if !sample.labels.isEmpty {
                    out += "{"
                    for (i, label) in sample.labels.enumerated() {
                        if i > 0 { out += "," }
                        out += label.name
                        out += "=\""
                        appendEscapedLabelValue(label.value, to: &out)
                        out += "\""
                    }
                    out += "}"
                }
                out += " "
                out += format(sample.value)
                out += "\n"
            }
        }
    }

    /// A sample value as Prometheus parses it: `NaN`, `+Inf`, `-Inf`; integral values as integers without
    /// exponent or `.0` (`42`, `-3`, `1700000000`); others in the shortest form that reads back to the
    /// same double (`0.25`, `1e-05`), which Go's `strconv.ParseFloat` accepts.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        // Within ±2^63 an integral double converts to Int64 exactly; beyond, the exponent form is the honest one.
        if value == value.rounded(.towardZero) && abs(value) < 9.223372036854775e18 {
            return String(Int64(value))
        }
        return value.description
    }

    /// A label value as written between the quotes: `\` → `\\`, `"` → `\"`, newline → `\n`.
    public static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        appendEscapedLabelValue(value, to: &out)
        return out
    }

    /// A help text as written after `# HELP name `: `\` → `\\`, newline → `\n` (quotes stay as they are).
    public static func escapeHelp(_ help: String) -> String {
        var out = ""
        appendEscapedHelp(help, to: &out)
        return out
    }

    /// True for a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isValidMetricName(_ name: String) -> Bool {
        isValidName(name, colons: true)
    }

    /// True for a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved for Prometheus itself).
    public static func isValidLabelName(_ name: String) -> Bool {
        isValidName(name, colons: false) && !name.hasPrefix("__")
    }

    private static func isValidName(_ name: String, colons: Bool) -> Bool {
        var first = true
        for c in name.utf8 {
            let letter = (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || c == UInt8(ascii: "_") || (colons && c == UInt8(ascii: ":"))
            let digit = c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
            guard letter || (digit && !first) else { return false }
            first = false
        }
        return !first
    }

    private static func appendEscapedLabelValue(_ value: String, to out: inout String) {
        // Most values (names, addresses) need no escaping: append them whole.
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            out += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    private static func appendEscapedHelp(_ help: String, to out: inout String) {
        guard help.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") }) else {
            out += help
            return
        }
        for scalar in help.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }
}
