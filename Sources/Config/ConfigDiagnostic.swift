import YAML

/// One problem in a config, at its place: `config.yaml:14:7: error: unknown pin "GPIO71" …`.
public struct ConfigDiagnostic: Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var mark: SourceMark
    public var severity: Severity
    public var message: String

    public init(_ mark: SourceMark, _ severity: Severity, _ message: String) {
        self.mark = mark
        self.severity = severity
        self.message = message
    }

    public var description: String { "\(mark): \(severity.rawValue): \(message)" }
}

/// Every error found in a config (all of them, in file order), thrown before anything touches hardware.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    public init(_ diagnostics: [ConfigDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String {
        let lines = diagnostics.map(\.description)
        let count = diagnostics.filter { $0.severity == .error }.count
        return lines.joined(separator: "\n") + "\n\(count) error\(count == 1 ? "" : "s"); nothing was started"
    }
}
