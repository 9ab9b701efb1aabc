import EventLoop
import Glibc

/// The client side of ``StatusServer``: connects, sends one request, reads the answer to the end.
///
/// Blocks the calling thread up to `timeout`: for `fieldagent status` and tests, never for the agent's loop.
public enum StatusClient {
    /// The largest answer read: 4 MiB, far beyond any agent's status or metrics (a few KiB). A process at the
    /// socket that sends more is refused with `EMSGSIZE`, so that `fieldagent status` never grows without bound.
    public static let maximumAnswerBytes = 4 << 20

    /// Asks the agent at `path` for `request` and returns its whole answer (an answer starting with
    /// `error: ` is the server refusing, for example `error: busy`).
    ///
    /// Throws ``SystemError`` with the path: `ENOENT` (no socket), `ECONNREFUSED` (a stale socket: nothing
    /// listens), `EACCES` (the socket's mode keeps this user out), `ETIMEDOUT` (no complete answer in time),
    /// `EMSGSIZE` (an answer longer than ``maximumAnswerBytes``).
    /// The corresponding C functions are `socket`, `connect`, `send`, `poll` and `read`.
    public static func query(path: String, request: StatusServer.Request = .status, argument: String? = nil,
                             timeout: Duration = .seconds(2)) throws(SystemError) -> String {
        let deadline = MonotonicClock.now() + timeout
        var fd: Int32 = -1
        while fd < 0 {
            do {
                fd = try StatusSocket.connect(path: path, nonBlocking: true)
            } catch let error where error.code == EAGAIN {
                // The listener's backlog is full: the agent is busy; try again shortly, until the deadline.
                guard MonotonicClock.now() < deadline else { throw timedOut(path, timeout) }
                usleep(10_000)
            }
        }
        defer { close(fd) }
        var line = request.rawValue + (argument.map { " " + $0 } ?? "") + "\n"
        // A new socket's send buffer is empty: a short line always fits, so this non-blocking send is whole.
        let sent = line.withUTF8 { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent < 0 { throw SystemError("send(\(path))") }

        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let remaining = deadline - MonotonicClock.now()
            guard remaining > .zero else { throw timedOut(path, timeout) }
            var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, Int32(clamping: (remaining.nanoseconds + 999_999) / 1_000_000))
            if ready < 0 {
                if errno == EINTR { continue }
                throw SystemError("poll(\(path))")
            }
            if ready == 0 { continue }  // the deadline check above ends the wait
            let n = buffer.withUnsafeMutableBytes { raw in
                // raw is buffer's storage for this call.
                read(fd, raw.baseAddress, raw.count)
            }
            if n > 0 {
                answer += buffer[0..<n]
                guard answer.count <= maximumAnswerBytes else {
                    throw SystemError("answer from \(path) is longer than \(maximumAnswerBytes >> 20) MiB; not an agent's status socket?", code: EMSGSIZE)
                }
            } else if n == 0 {
                return String(decoding: answer, as: UTF8.self)
            } else if errno != EAGAIN && errno != EINTR {
                throw SystemError("read(\(path))")
            }
        }
    }

    private static func timedOut(_ path: String, _ timeout: Duration) -> SystemError {
        SystemError("no complete answer from \(path) within \(timeout)", code: ETIMEDOUT)
    }
}
