import YAML

/// Every problem found in a config, in file order, thrown before anything touches hardware.
///
/// Print it as a whole (`"\(error)"`): one `file:line:column: severity: message` line per diagnostic,
/// then a count. ``diagnostics`` holds errors and the warnings found on the way; ``errors`` and
/// ``warnings`` split them.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    /// Errors and warnings, in file order.
    public var diagnostics: [ConfigDiagnostic]

    /// The problems in `diagnostics`.
    public init(_ diagnostics: [ConfigDiagnostic]) { self.diagnostics = diagnostics }

    /// Only the errors.
    public var errors: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .error } }

    /// Only the warnings.
    public var warnings: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// Every diagnostic on its own line, then `2 errors, 1 warning; nothing was started`.
    public var description: String {
        func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        let warningCount = warnings.count
        let summary = count(errors.count, "error") + (warningCount > 0 ? ", " + count(warningCount, "warning") : "")
        return (diagnostics.map(\.description) + ["\(summary); nothing was started"]).joined(separator: "\n")
    }
}
