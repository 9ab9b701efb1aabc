import Glibc

/// Runs named checks one after the other and prints one line per check: `ok: …`, `FAIL: …` or `skip: …`.
final class SelfTestRunner {
    private(set) var passed = 0
    private(set) var failed = 0
    private(set) var skipped = 0
    private let prefix: String

    init(prefix: String) { self.prefix = prefix }

    /// Runs one check; it returns a short detail for the log, or throws why it failed.
    func check(_ name: String, _ body: () throws -> String) {
        do {
            let detail = try body()
            passed += 1
            say("ok: \(prefix)\(name)\(detail.isEmpty ? "" : " (\(detail))")")
        } catch {
            failed += 1
            say("FAIL: \(prefix)\(name): \(error)")
        }
    }

    /// Records a check that cannot run here, and why.
    func skip(_ name: String, _ reason: String) {
        skipped += 1
        say("skip: \(prefix)\(name): \(reason)")
    }
}

/// Prints a line at once, so a crash cannot swallow the lines before it.
func say(_ line: String) {
    print(line)
    fflush(nil)  // every stream; stdout itself is a C global Swift 6 will not touch
}
