import Glibc

/// The reference vectors of the shared models, committed under Models/reference/ (TFLite Micro's outputs).
enum Fixtures {
    /// Models/reference/, found from this file's path so tests run from any directory.
    static let directory: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Fixtures.swift, InferenceTests, Tests
        return parts.joined(separator: "/") + "/Models/reference"
    }()

    /// The bytes of Models/reference/NAME, or nil when it is missing.
    static func bytes(_ name: String) -> [Int8]? {
        guard let f = fopen("\(directory)/\(name)", "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [Int8] = []
        var chunk = [Int8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }
}
