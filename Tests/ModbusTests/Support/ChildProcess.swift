import EventLoop
import Glibc

/// A third-party program a test runs (mbpoll, pymodbus, socat): spawned with posix_spawn, its stdout and
/// stderr on one non-blocking pipe, killed when the test drops it.
final class ChildProcess {
    let pid: pid_t
    let outputFD: Int32
    let command: String
    private(set) var output: [UInt8] = []
    private(set) var exitStatus: Int32?
    private var drainingLoop: EventLoop?

    /// Spawns `path` with `arguments`, in this process's environment plus `environment`. Throws when the
    /// program cannot be started.
    init(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws(SystemError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SystemError("pipe") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        // The child starts with no signal blocked and every signal at its default action, as systemd starts a
        // service: the test runner's threads block some (SIGABRT among them), and a spawned child inherits that.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var inherited: [String] = []
        var e = environ
        while let entry = e.pointee {
            let text = String(cString: entry)
            if let name = text.split(separator: "=", maxSplits: 1).first, environment[String(name)] == nil { inherited.append(text) }
            e += 1
        }
        let envp = (inherited + environment.map { "\($0.key)=\($0.value)" }).map { strdup($0) } + [nil]
        defer { for p in envp { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, path, &actions, &attributes, argv, envp)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw SystemError("spawn \(path)", code: rc)
        }
        pid = child
        outputFD = fds[0]
        _ = fcntl(outputFD, F_SETFL, fcntl(outputFD, F_GETFL) | O_NONBLOCK)
        command = ([path] + arguments).joined(separator: " ")
    }

    deinit {
        terminate()
        drainingLoop?.unwatch(outputFD)
        close(outputFD)
    }

    /// Keeps reading the output whenever `loop` reports it, so a chatty long-running peer never blocks on a
    /// full pipe.
    func drain(on loop: EventLoop) throws(SystemError) {
        drainingLoop = loop
        try loop.watch(outputFD, for: .readable) { [unowned self] _ in
            if !self.drain() { loop.unwatch(self.outputFD) }
        }
    }

    /// The output so far as text.
    var text: String {
        drain()
        return String(decoding: output, as: UTF8.self)
    }

    /// Reads what the pipe holds now; returns false at end of file.
    @discardableResult
    func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(outputFD, $0.baseAddress, $0.count) }
            if n > 0 {
                output += buffer[0..<n]
                continue
            }
            return !(n == 0)
        }
    }

    /// True while the process runs (reaps it when it has exited).
    var isRunning: Bool {
        guard exitStatus == nil else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            return false
        }
        return true
    }

    /// Waits for the process to exit on its own, polling its output, up to `timeout`; returns its status or nil.
    func wait(timeout: Duration) -> Int32? {
        let deadline = MonotonicClock.now() + timeout
        while isRunning && MonotonicClock.now() < deadline {
            var p = pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 10)
            drain()
        }
        drain()
        return exitStatus
    }

    /// Sends SIGTERM, then SIGKILL if it lingers, and reaps it.
    func terminate() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if wait(timeout: .seconds(2)) == nil {
            kill(pid, SIGKILL)
            _ = wait(timeout: .seconds(2))
        }
    }
}
