import EventLoop
import Glibc
import Modbus

extension String {
    /// The whole text of a /proc file (read until end of file; their size is not known up front).
    init(contentsOfProcFile path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open \(path)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        self = String(decoding: bytes, as: UTF8.self)
    }
}

/// Where the repository and its tools are, and small helpers the interop tests share.
enum TestEnvironment {
    /// The repository root (this file is Tests/ModbusTests/Support/TestEnvironment.swift).
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)
        return parts.joined(separator: "/")
    }()

    /// How much slower than native this run is: `FIELDAGENT_TEST_SLOWDOWN` (make test-arm64 runs the arm64 tests under
    /// qemu-user and sets 3), else 1. Bounds that tell "the loop never waited" from "the loop waited" scale with it.
    static let slowdown: Int = {
        guard let v = getenv("FIELDAGENT_TEST_SLOWDOWN"), let n = Int(String(cString: v)), n >= 1 else { return 1 }
        return min(n, 10)
    }()

    /// The venv Python with pymodbus (`make test-deps-modbus` creates it).
    static var python: String { root + "/.venv/bin/python" }

    /// Nil when `tool` is found on PATH (or is an existing path), else a message saying how to get it.
    static func missing(_ tool: String, install: String) -> String? {
        if tool.hasPrefix("/") { return access(tool, X_OK) == 0 ? nil : "\(tool) not found: \(install)" }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where access("\(dir)/\(tool)", X_OK) == 0 { return nil }
        return "\(tool) not found on PATH: \(install)"
    }

    /// Why pymodbus cannot be used, or nil when it can.
    static var pymodbusMissing: String? {
        missing(python, install: "run 'make test-deps-modbus' (creates .venv with pymodbus)")
    }

    /// A TCP port that was free a moment ago (for third-party servers that need a port number up front).
    static func freePort() -> UInt16 {
        let fd = try! TCPSocket.listen(on: SocketAddress(numericHost: "127.0.0.1", port: 0)!)
        defer { close(fd) }
        return TCPSocket.localAddress(fd).port
    }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`, up to `timeout`.
    static func waitForListener(port: UInt16, timeout: Duration = .seconds(15)) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(fd)
            if rc == 0 { return true }
            var ts = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&ts, nil)  // polling a third-party process's readiness, not synchronising our own code
        }
        return false
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` now (one non-blocking probe: the loop
    /// keeps running between probes).
    static func isListening(port: UInt16) -> Bool {
        let lines = (try? String(contentsOfProcFile: "/proc/net/tcp")) ?? ""
        let hex = String(port, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        // A listening socket: local address 0100007F:PORT, state 0A.
        return lines.split(separator: "\n").contains { $0.contains(":\(padded) ") && $0.contains(" 0A ") && $0.contains("0100007F:\(padded)") }
    }

    /// Waits until `path` exists, up to `timeout`.
    static func waitForFile(_ path: String, timeout: Duration = .seconds(10)) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            if access(path, F_OK) == 0 { return true }
            var ts = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&ts, nil)
        }
        return false
    }

    /// A fresh private directory under /tmp.
    static func temporaryDirectory() -> String {
        var template = Array("/tmp/fieldagent-modbus-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    /// Runs the loop until `done()` or `timeout`; returns whether `done()` became true.
    @discardableResult
    static func run(_ loop: EpollLoop, timeout: Duration, until done: () -> Bool) -> Bool {
        let deadline = loop.preciseNow() + timeout
        while !done() {
            if loop.preciseNow() >= deadline { return false }
            let tick = loop.schedule(after: .milliseconds(5)) {}
            try? loop.runOnce(blocking: true)
            loop.cancel(tick)
        }
        return true
    }
}
