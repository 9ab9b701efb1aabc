import EventLoop
import Glibc

/// Answers `fieldagent status` (and `socat - UNIX-CONNECT:PATH`) on a Unix-domain stream socket, on the loop.
///
/// The protocol is one request, one answer, then the server closes the connection:
/// - the client may send one line: `status` (the default), `metrics` (the Prometheus text format) or `reset`
///   (asks the agent to reset a latched class; the answer says whether it did);
/// - a client that sends nothing gets the status after ``requestTimeout`` (or at once when it shuts down
///   its sending side), so a bare `socat - UNIX-CONNECT:/run/fieldagent/NAME.sock` prints the status;
/// - anything else gets `error: unknown request …` and the list of requests.
///
/// Nothing here blocks the loop: descriptors are non-blocking and read or written only when the loop says
/// they are ready. At most ``maxClients`` connections are served at once (others get `error: busy` and are
/// closed); a client that has not taken its whole answer within ``writeTimeout`` is dropped. The providers
/// are called on the loop, once per answer.
///
/// The socket file is created with `mode` (0660: the service's user and group) and removed by ``close()``.
/// A stale socket file left by a dead agent is replaced; a live one (another agent answers there) or a
/// file that is not a socket is an error. Not thread-safe; use it on the loop's thread.
public final class StatusServer {
    /// What a client asks for.
    public enum Request: String, Sendable, CaseIterable {
        /// The status text (the default).
        case status
        /// The metrics, in the Prometheus text format.
        case metrics
        /// Reset a latched class (alarm acknowledgement); who may connect is who may reset (the socket's mode).
        case reset
        /// `release HOST`: release a quarantined client address (`security:`).
        case release
    }

    /// The socket's path.
    public let path: String
    /// Connections served at once; more are refused.
    public let maxClients: Int
    /// How long a client may take to send its request line before it gets the status.
    public let requestTimeout: Duration
    /// How long a client may take to read its answer before it is dropped.
    public let writeTimeout: Duration
    /// Answers sent completely.
    public private(set) var answered = 0
    /// Connections refused because ``maxClients`` were being served.
    public private(set) var refused = 0
    /// Clients dropped: answer not taken within ``writeTimeout``, request too long, or gone mid-answer.
    public private(set) var dropped = 0
    /// Connections being served now.
    public var activeClients: Int { clients.count }

    private let loop: any EventLoop
    private let logger: Logger
    private let status: () -> String
    private let metrics: () -> [MetricFamily]
    private let reset: (() -> String)?
    private let release: ((String) -> String)?
    private var listener: Int32 = -1
    private var clients: [Int32: Client] = [:]

    /// Creates the socket at `path` and serves it on `loop` until ``close()``.
    /// - Parameters:
    ///   - path: see ``StatusSocket/defaultPath(name:environment:isWritableDirectory:)``.
    ///   - mode: the socket file's permissions; connecting needs write permission.
    ///   - status: the text for `status`, called on the loop (a newline is added when missing).
    ///   - metrics: the families for `metrics`, called on the loop.
    ///   - reset: performs `reset` on the loop and returns the answer (nil: the agent has nothing to reset).
    ///   - release: performs `release HOST` on the loop and returns the answer (nil: nothing is quarantined here).
    /// The corresponding C functions are `socket`, `bind`, `listen` and `chmod`.
    public init(
        path: String, loop: any EventLoop, logger: Logger = .silent, mode: mode_t = 0o660, maxClients: Int = 4,
        requestTimeout: Duration = .milliseconds(100), writeTimeout: Duration = .seconds(1),
        status: @escaping () -> String, metrics: @escaping () -> [MetricFamily], reset: (() -> String)? = nil,
        release: ((String) -> String)? = nil
    ) throws(SystemError) {
        precondition(maxClients > 0, "maxClients must be positive")
        self.path = path
        self.loop = loop
        self.logger = logger
        self.maxClients = maxClients
        self.requestTimeout = requestTimeout
        self.writeTimeout = writeTimeout
        self.status = status
        self.metrics = metrics
        self.reset = reset
        self.release = release
        switch StatusSocket.probe(path) {
        case .live:
            throw SystemError("status socket \(path): another process answers there (a second agent with the same name?)", code: EADDRINUSE)
        case .notASocket:
            throw SystemError("status socket \(path): the file exists and is not a socket; not replacing it", code: EEXIST)
        case .stale, .absent, .unreachable:
            break  // UnixSocket.listen replaces a stale file; an unreachable one fails there with its own error.
        }
        let fd = try UnixSocket.listen(path: path)
        if chmod(path, mode) != 0 {
            let error = SystemError("chmod(\(path), 0\(String(mode, radix: 8)))")
            Glibc.close(fd)
            unlink(path)
            throw error
        }
        do {
            try loop.watch(fd, for: .readable) { [unowned self] _ in self.acceptClients() }
        } catch {
            Glibc.close(fd)
            unlink(path)
            throw error
        }
        listener = fd
        logger.info("status.listening", ["path": path])
    }

    deinit { close() }

    /// Stops serving: closes every connection and the socket, and removes the socket file.
    public func close() {
        guard listener >= 0 else { return }
        for client in Array(clients.values) { finish(client) }
        loop.unwatch(listener)
        Glibc.close(listener)
        unlink(path)
        listener = -1
    }

    /// The answer to one request line (without its newline): what the client gets.
    public func answer(_ line: String) -> String {
        let request = line.trimmingSpaces()
        if request.hasPrefix("release ") {
            guard let release else { return "error: this agent quarantines nothing (no security: section)\n" }
            let host = String(request.dropFirst(8)).trimmingSpaces()
            guard !host.isEmpty, host.utf8.count <= 64, host.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else {
                return "error: release: '\(host)' is not a numeric address\n"
            }
            logger.notice("status.release", ["socket": path, "source": host])
            let text = release(host)
            return text.hasSuffix("\n") ? text : text + "\n"
        }
        switch Request(rawValue: request.isEmpty ? "status" : request) {
        case .status:
            let text = status()
            return text.hasSuffix("\n") ? text : text + "\n"
        case .metrics:
            return PrometheusText.render(metrics())
        case .reset:
            guard let reset else { return "error: this agent has nothing to reset\n" }
            logger.notice("status.reset", ["socket": path])
            let text = reset()
            return text.hasSuffix("\n") ? text : text + "\n"
        case .release:
            return "error: release needs the client address: release 192.0.2.7\n"
        case nil:
            let known = Request.allCases.map(\.rawValue).joined(separator: ", ")
            return "error: unknown request '\(request)'; send one of: \(known)\n"
        }
    }

    // MARK: Connections

    private final class Client {
        let fd: Int32
        var input: [UInt8] = []
        var output: [UInt8] = []
        var sent = 0
        var answering = false
        /// The request deadline, then the write deadline.
        var deadline: TimerID?
        /// Set when the peer shut down its side while its buffer was full: writes are then retried on a timer.
        var retry: TimerID?
        var watched = true
        init(fd: Int32) { self.fd = fd }
    }

    /// The longest request line taken; a client sending more is dropped.
    private static let maxRequest = 256

    private func acceptClients() {
        while let fd = UnixSocket.accept(listener) {
            guard clients.count < maxClients else {
                refused += 1
                logger.debug("status.refused", ["clients": clients.count])
                let busy = "error: busy (\(maxClients) clients being answered); try again\n"
                var text = busy
                // The new socket's buffer is empty, so this short best-effort send never blocks (MSG_DONTWAIT).
                _ = text.withUTF8 { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
                Glibc.close(fd)
                continue
            }
            let client = Client(fd: fd)
            do {
                try loop.watch(fd, for: .readable) { [unowned self] events in self.handle(client, events) }
            } catch {
                logger.warning("status.client.failed", ["error": error.description])
                Glibc.close(fd)
                continue
            }
            clients[fd] = client
            client.deadline = loop.schedule(after: requestTimeout) { [weak self, weak client] in
                guard let self, let client else { return }
                client.deadline = nil
                self.respond(client, to: "")
            }
        }
    }

    private func handle(_ client: Client, _ events: IOEvents) {
        if client.answering {
            if flush(client) { return }
            if events.rawValue & (Self.epollHUP | Self.epollERR) != 0 {
                drop(client, reason: "gone before its answer was read")
                return
            }
            // The peer shut down its sending side (level-triggered RDHUP) but its buffer is full: waiting on
            // the loop would wake us at once, again and again; retry on a short timer instead.
            if events.rawValue & Self.epollRDHUP != 0 && !events.contains(.writable) { retryLater(client) }
            return
        }
        readRequest(client)
    }

    private func readRequest(_ client: Client) {
        var chunk = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while true {
            let n = withUnsafeMutableBytes(of: &chunk) { raw in
                // raw is this frame's 64-byte buffer.
                read(client.fd, raw.baseAddress, raw.count)
            }
            if n > 0 {
                withUnsafeBytes(of: &chunk) { raw in client.input.append(contentsOf: raw.prefix(n)) }
                if let newline = client.input.firstIndex(of: UInt8(ascii: "\n")) {
                    respond(client, to: String(decoding: client.input[..<newline], as: UTF8.self))
                    return
                }
                if client.input.count > Self.maxRequest {
                    drop(client, reason: "request longer than \(Self.maxRequest) bytes")
                    return
                }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return }
            if n == 0 {
                // The client shut down its side: what it sent (perhaps nothing) is the request.
                respond(client, to: String(decoding: client.input, as: UTF8.self))
            } else {
                drop(client, reason: "read: " + SystemError.message(for: errno))
            }
            return
        }
    }

    private func respond(_ client: Client, to line: String) {
        guard !client.answering, clients[client.fd] === client else { return }
        if let deadline = client.deadline { loop.cancel(deadline) }
        client.answering = true
        client.output = Array(answer(line).utf8)
        client.deadline = loop.schedule(after: writeTimeout) { [weak self, weak client] in
            guard let self, let client else { return }
            client.deadline = nil
            self.drop(client, reason: "answer not read within \(self.writeTimeout)")
        }
        if !flush(client) { try? loop.updateWatch(client.fd, for: .writable) }
    }

    /// Writes what the socket takes now. True when the client is finished with (answered or dropped).
    private func flush(_ client: Client) -> Bool {
        while client.sent < client.output.count {
            let n = client.output.withUnsafeBytes { raw in
                // raw is output's storage for this call; we send the part not sent yet.
                send(client.fd, raw.baseAddress! + client.sent, raw.count - client.sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if n > 0 {
                client.sent += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return false }
            drop(client, reason: "send: " + SystemError.message(for: errno))
            return true
        }
        answered += 1
        finish(client)
        return true
    }

    private func retryLater(_ client: Client) {
        guard client.retry == nil else { return }
        if client.watched {
            loop.unwatch(client.fd)
            client.watched = false
        }
        client.retry = loop.schedule(after: .milliseconds(10)) { [weak self, weak client] in
            guard let self, let client else { return }
            client.retry = nil
            if !self.flush(client) { self.retryLater(client) }
        }
    }

    private func drop(_ client: Client, reason: String) {
        guard clients[client.fd] === client else { return }
        dropped += 1
        logger.debug("status.client.dropped", ["reason": reason])
        finish(client)
    }

    /// Closes the connection. Unread bytes from the client are read first: closing a Unix socket with unread
    /// input makes the client's next read fail with ECONNRESET, which could hide the end of its answer.
    private func finish(_ client: Client) {
        guard clients[client.fd] === client else { return }
        clients[client.fd] = nil
        if let deadline = client.deadline { loop.cancel(deadline) }
        if let retry = client.retry { loop.cancel(retry) }
        if client.watched { loop.unwatch(client.fd) }
        var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        for _ in 0..<16 {
            let n = withUnsafeMutableBytes(of: &scratch) { raw in
                // raw is this frame's 64-byte buffer; what is read is discarded.
                read(client.fd, raw.baseAddress, raw.count)
            }
            if n <= 0 { break }
        }
        Glibc.close(client.fd)
    }

    // epoll's bits inside IOEvents.hangup, told apart: RDHUP is a half-close, HUP and ERR mean the peer is gone.
    private static let epollERR: UInt32 = 0x008
    private static let epollHUP: UInt32 = 0x010
    private static let epollRDHUP: UInt32 = 0x2000
}

extension String {
    /// Without leading and trailing spaces, tabs and carriage returns.
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
