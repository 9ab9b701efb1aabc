import Glibc

/// A fresh directory under /tmp for one test, removed (with the files in it) when the test is done.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ prefix: String = "fa-uplink-test") {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        // mkdtemp fills the template in place; the array outlives the call.
        path = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
    }

    deinit {
        // The tests' directories are flat: their files, then the directory.
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                // d_name is a NUL-terminated array inside the dirent readdir returned; valid until the next readdir.
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}
