import EventLoop
import Glibc

/// The real `fieldagent` binary (built beside this test bundle), run as a child process the way systemd or a
/// shell runs it: HIL-like checks of what only the whole process shows (signals, pipes, exit status).
final class AgentProcess {
    /// `fieldagent` next to the running test bundle, or nil when it was not built.
    static let binary: String? = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        var dir = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while let last = dir.last, last != "/" { dir.removeLast() }
        // The bundle is .build/<triple>/<config>/FieldAgentPackageTests.xctest (a file on Linux).
        let candidate = dir + "fieldagent"
        return access(candidate, X_OK) == 0 ? candidate : nil
    }()

    let pid: pid_t
    /// The read end of the pipe that is the child's stdout and stderr (-1 once closed).
    private(set) var outputFD: Int32
    private(set) var output: [UInt8] = []
    private(set) var status: Int32?

    /// Starts `fieldagent` with `arguments`; stdin is /dev/null, stdout and stderr go to one pipe. The child starts
    /// with every signal at its default and none blocked, as under systemd.
    init(_ arguments: [String]) throws {
        guard let binary = Self.binary else { throw SystemError("fieldagent binary not built", code: ENOENT) }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SystemError("pipe") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, binary, &actions, &attributes, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw SystemError("posix_spawn(\(binary))", code: rc)
        }
        pid = child
        outputFD = fds[0]
        _ = fcntl(outputFD, F_SETFL, fcntl(outputFD, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: .seconds(5))
        }
        if outputFD >= 0 { close(outputFD) }
    }

    /// The output so far, as text.
    var text: String {
        drain()
        return String(decoding: output, as: UTF8.self)
    }

    /// Reads what the pipe holds now.
    func drain() {
        guard outputFD >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(outputFD, &buffer, buffer.count)
            guard n > 0 else { return }
            output += buffer[0..<n]
        }
    }

    /// The first line of output, waiting up to `timeout` for it.
    func firstLine(timeout: Duration) -> String? {
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            drain()
            if let newline = output.firstIndex(of: UInt8(ascii: "\n")) { return String(decoding: output[..<newline], as: UTF8.self) }
            var p = pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 10)
        }
        return nil
    }

    /// Closes the reading end of the output pipe, as `| head -1` does once it has its line.
    func closeOutput() {
        if outputFD >= 0 { close(outputFD) }
        outputFD = -1
    }

    /// Whether the process still runs (reaps it when it has ended).
    var isRunning: Bool {
        guard status == nil else { return false }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
        status = raw
        return false
    }

    /// Waits up to `timeout` for `text` in the output; whether it came.
    func waitFor(_ text: String, timeout: Duration = .seconds(15)) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            if self.text.contains(text) { return true }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)  // polling another process's output
        }
        return false
    }

    /// Waits up to `timeout` for the process to end; its raw wait status, or nil while it still runs.
    @discardableResult
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = MonotonicClock.now() + timeout
        while isRunning && MonotonicClock.now() < deadline {
            drain()
            var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
            nanosleep(&pause, nil)  // polling another process's exit, not timing our own code
        }
        drain()
        return status
    }

    /// The exit status when the process exited, nil when a signal ended it (or it still runs).
    var exitStatus: Int32? { status.flatMap { $0 & 0x7F == 0 ? ($0 >> 8) & 0xFF : nil } }
    /// The signal that ended the process, nil when it exited (or still runs).
    var killedBy: Int32? { status.flatMap { $0 & 0x7F != 0 ? $0 & 0x7F : nil } }
}

/// One line-based client of the agent's mock chip control socket (`watch`, `get`, `set`).
final class MockChipClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    /// True once the agent closed the socket.
    private(set) var closed = false

    /// Connects to the socket at `path`, waiting up to `timeout` for it to appear.
    init(path: String, timeout: Duration = .seconds(20)) throws {
        let deadline = MonotonicClock.now() + timeout
        while true {
            do {
                fd = try UnixSocket.connect(path: path)
                break
            } catch {
                guard MonotonicClock.now() < deadline else { throw error }
                var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
                nanosleep(&pause, nil)  // waiting for another process to create its socket
            }
        }
    }

    deinit { close(fd) }

    /// Sends one command line.
    func send(_ line: String) {
        var text = line + "\n"
        _ = text.withUTF8 { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The next line, waiting up to `timeout`; nil at the end of the connection or after the timeout.
    func line(timeout: Duration = .seconds(10)) -> String? {
        let deadline = MonotonicClock.now() + timeout
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            if closed { return nil }
            let remaining = deadline - MonotonicClock.now()
            guard remaining > .zero else { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(clamping: remaining.nanoseconds / 1_000_000 + 1))
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if n > 0 { buffer += chunk[0..<n] } else if n == 0 { closed = true }
        }
    }

    /// The next line that answers a command, skipping the `change …` events a `watch` reports meanwhile.
    func reply(timeout: Duration = .seconds(10)) -> String? {
        while let line = line(timeout: timeout) {
            if !line.hasPrefix("change ") { return line }
        }
        return nil
    }

    /// Every line until the agent closes the socket (or `timeout` passes).
    func linesUntilClosed(timeout: Duration = .seconds(10)) -> [String] {
        var lines: [String] = []
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline, let line = line(timeout: deadline - MonotonicClock.now()) { lines.append(line) }
        return lines
    }
}
