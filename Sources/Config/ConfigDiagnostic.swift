import YAML

/// One problem in a config, at its place, printed the way compilers print them:
/// `config.yaml:14:7: error: unknown pin "GPIO71" on board rpi4; the board has GPIO0…GPIO27 (or header.N)`.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// How bad it is.
    public enum Severity: String, Sendable {
        /// The config cannot run: nothing is started.
        case error
        /// The config runs, but probably not as meant (a pin with a fixed role used as plain GPIO).
        case warning
    }

    /// Where the problem is (`file:line:column`).
    public var mark: SourceLocation
    /// Error or warning.
    public var severity: Severity
    /// What is wrong, and the fix where there is one; no place, no severity.
    public var message: String

    /// A diagnostic at `mark`.
    public init(_ mark: SourceLocation, _ severity: Severity, _ message: String) {
        self.mark = mark
        self.severity = severity
        self.message = message
    }

    /// `file:line:column: error: message`.
    public var description: String { "\(mark): \(severity.rawValue): \(message)" }
}
