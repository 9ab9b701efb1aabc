import CLinux
import Glibc
import Testing

/// fieldagent drops the code pages start-up faulted in (cl_drop_startup_code_pages): the process keeps running the
/// same code afterwards, and the executable's code is among the mappings dropped.
@Test func droppingStartupCodePagesLeavesTheProcessRunningItsCode() {
    let dropped = cl_drop_startup_code_pages()
    #expect(dropped >= 1, "at least the test executable's own code mapping")
    // Code runs again from the page cache: a computation across many functions still gives the same answer.
    var x: UInt64 = 1
    for i in 1...1000 { x = x &* 6364136223846793005 &+ UInt64(i) }
    #expect(x == { var y: UInt64 = 1; for i in 1...1000 { y = y &* 6364136223846793005 &+ UInt64(i) }; return y }())
    #expect(cl_drop_startup_code_pages() >= 1, "and it can be called again")
}

/// The read-only mappings' pages a write made private (relocated RELRO data: pointers the loader filled in) are never
/// dropped: only the files' own pages go. Compared mapping by mapping (by start address) across the drop.
@Test func droppingStartupPagesKeepsRelocatedReadOnlyData() {
    /// "Anonymous:" kB of each read-only file mapping (a private copy), by start address.
    func privateCopies() -> [String: Int] {
        guard let f = fopen("/proc/self/smaps", "r") else { return [:] }
        defer { fclose(f) }
        var result: [String: Int] = [:]
        var current: String?
        var line = [CChar](repeating: 0, count: 1024)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), fields.count >= 6, fields[1] == "r--p", text.contains("/") {
                current = String(range)
            } else if let range = fields.first, range.contains("-"), range.first?.isHexDigit == true, fields.count >= 2 {
                current = nil
            } else if let c = current, text.hasPrefix("Anonymous:"), fields.count >= 2, let kB = Int(fields[1]) {
                result[c] = kB
            }
        }
        return result
    }
    let before = privateCopies()
    #expect(before.values.reduce(0, +) > 0, "relocated read-only data exists (the test's own RELRO)")
    #expect(cl_drop_startup_code_pages() >= 1)
    let after = privateCopies()
    for (mapping, kB) in before where after[mapping] != nil {
        #expect(after[mapping]! >= kB, "mapping \(mapping): \(kB) kB of private copies before the drop, \(after[mapping]!) after")
    }
}
