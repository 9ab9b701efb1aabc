import Glibc

/// Whole-file reads and writes for the compiler (no Foundation).
enum FileIO {
    static func read(_ path: String) throws(ModelError) -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw ModelError("\(path): \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        if ferror(f) != 0 { throw ModelError("\(path): read error") }
        return bytes
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func write(_ text: String, to path: String) throws(ModelError) {
        guard let f = fopen(path, "wb") else { throw ModelError("\(path): \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        guard n == bytes.count else { throw ModelError("\(path): write error") }
    }

    static func makeDirectory(_ path: String) throws(ModelError) {
        var prefix = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            prefix += (prefix.isEmpty && path.hasPrefix("/") ? "" : prefix.isEmpty ? "" : "/") + part
            if prefix.isEmpty { prefix = "/"; continue }
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw ModelError("\(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }
}
