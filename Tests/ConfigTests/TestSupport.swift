import Config

/// The repository root, found from this file's path (tests run from anywhere).
let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// `line:column: severity: message`: a diagnostic without its file name, as fixtures spell them.
func brief(_ d: ConfigDiagnostic) -> String { "\(d.mark.line):\(d.mark.column): \(d.severity.rawValue): \(d.message)" }
