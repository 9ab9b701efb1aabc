import EventLoop
import Glibc
import Harness

/// A fresh directory under /tmp, removed (with the files in it) when dropped.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/fieldagent-obs-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw SystemError("mkdtemp") }
        path = String(cString: dir)
    }

    deinit {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                // entry is valid until the next readdir; d_name is NUL-terminated.
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name == "." || name == ".." { continue }
                let full = path + "/" + name
                if unlink(full) != 0 { rmdir(full) }
            }
            closedir(dir)
        }
        rmdir(path)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// The names in the directory, sorted, without `.` and `..`.
    func list() -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            // entry is valid until the next readdir; d_name is NUL-terminated.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

/// The whole content of a file, or nil when it cannot be opened.
func readFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The permission bits of a file (`stat`), or nil.
func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

/// A POSIX thread for a test's outside world (a blocking client, a concurrent reader).
typealias TestThread = HarnessThread

/// Runs `body` on its own thread while `loop` runs on this one; stops the loop when `body` returns (or after
/// `limit`, so a broken server fails the test instead of hanging it) and returns what `body` returned.
func whileLoopRuns<T: Sendable>(_ loop: EpollLoop, limit: Duration = .seconds(10), _ body: @escaping @Sendable () -> T) throws -> T {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw SystemError("pipe") }
    defer {
        close(fds[0])
        close(fds[1])
    }
    let done = fds[1]
    try loop.watch(fds[0], for: .readable) { _ in loop.stop() }
    defer { loop.unwatch(fds[0]) }
    let safety = loop.schedule(after: limit) { loop.stop() }
    defer { loop.cancel(safety) }
    let thread = TestThread { () -> T in
        let result = body()
        var byte: UInt8 = 1
        _ = write(done, &byte, 1)
        return result
    }
    try loop.run()
    return thread.join()
}

/// Runs `loop` until `condition` holds (checked every 5 ms on the loop) or `limit` passes.
/// (`EpollLoop.runOnce` does nothing after a `stop()` until `run()` starts again, so tests use `run()`.)
func runLoop(_ loop: EpollLoop, limit: Duration = .seconds(5), until condition: @escaping () -> Bool) throws {
    let deadline = MonotonicClock.now() + limit
    func check() {
        if condition() || MonotonicClock.now() >= deadline {
            loop.stop()
        } else {
            loop.schedule(after: .milliseconds(5)) { check() }
        }
    }
    loop.schedule(after: .zero) { check() }
    try loop.run()
}

/// A connected, non-blocking client socket that the test drives by hand (to be slow, silent, or rude).
func connectRaw(_ path: String) throws -> Int32 {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    // raw covers sun_path; test paths are far shorter than its 108 bytes.
    withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else { throw SystemError("socket") }
    let rc = withUnsafePointer(to: &address) { p in
        // p points at address for the call.
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard rc == 0 else {
        let error = SystemError("connect(\(path))")
        close(fd)
        throw error
    }
    return fd
}

/// Everything readable on `fd` now, and whether the peer has closed (end of file seen).
func readAvailable(_ fd: Int32) -> (text: String, closed: Bool) {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 {
            bytes += buffer[0..<n]
            continue
        }
        return (String(decoding: bytes, as: UTF8.self), n == 0)
    }
}

/// Sends `text` whole on a socket with room for it.
func sendText(_ fd: Int32, _ text: String) {
    var text = text
    _ = text.withUTF8 { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
}

/// `promtool` (Debian package `prometheus`) when it is on `PATH`: the Prometheus project's own parser and linter.
enum Promtool {
    static let path: String? = {
        guard let pathVariable = getenv("PATH") else { return nil }
        for dir in String(cString: pathVariable).split(separator: ":") {
            let candidate = String(dir) + "/promtool"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }()

    /// Runs `promtool check metrics` on `text`; returns its exit status and output
    /// (0: valid and lint-clean; 3: lint problems; 1: parse error).
    static func checkMetrics(_ text: String) throws -> (status: Int32, output: String) {
        let directory = try TemporaryDirectory()
        let input = directory.file("input.prom")
        try writePlainFile(text, to: input)
        let outputPath = directory.file("output.txt")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let words: [String] = [path!, "check", "metrics"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path!, &actions, nil, argv, environ)
        guard rc == 0 else { throw SystemError("posix_spawn(promtool)", code: rc) }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : -1, readFile(outputPath) ?? "")
    }
}

/// Writes a file plainly, not atomically (test inputs).
func writePlainFile(_ text: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SystemError("open(\(path))") }
    defer { close(fd) }
    var text = text
    let n = text.withUTF8 { write(fd, $0.baseAddress, $0.count) }
    guard n == text.utf8.count else { throw SystemError("write(\(path))") }
}
