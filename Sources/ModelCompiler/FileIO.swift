import Glibc

/// Whole-file reads and writes for the compiler (no Foundation).
enum FileIO {
    /// The largest .tflite the compiler reads: a model compiled into a Pi's agent is far smaller.
    static let maximumModelBytes = 64 * 1_048_576

    static func read(_ path: String) throws(ModelError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ModelError("\(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let kind = info.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw ModelError("\(path): \(kind); give the path of a .tflite file")
        }
        guard info.st_size <= maximumModelBytes else {
            throw ModelError("\(path): \(info.st_size) bytes; a model to compile into the agent is at most \(maximumModelBytes / 1_048_576) MiB")
        }
        guard let f = fopen(path, "rb") else { throw ModelError("\(path): \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        if ferror(f) != 0 { throw ModelError("\(path): could not be read: \(String(cString: strerror(errno)))") }
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
