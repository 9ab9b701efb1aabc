import EventLoop
import Glibc

/// Serves a ``MockChip`` on a Unix socket so that inputs can be driven and outputs read from outside the
/// running process (`socat - UNIX-CONNECT:PATH`, a test, a HIL rig). Speaks ``MockControlCommand``.
///
/// Its memory is bounded whatever clients do: at most ``maxClients`` at once (one more gets
/// `error: too many clients …` and is closed), and each client's queued answers (a `watch` client that never
/// reads) at most ``maxQueuedBytes`` before it is disconnected.
public final class MockControlServer {
    /// Clients served at once.
    public let maxClients: Int
    /// Answer bytes queued for one client before it is dropped as not reading.
    public let maxQueuedBytes: Int
    /// Clients refused because ``maxClients`` were connected.
    public private(set) var refused = 0
    /// Clients connected now.
    public var clientCount: Int { clients.count }
    private let chip: MockChip
    private let loop: EventLoop
    private let logger: Logger
    public let path: String
    private var listener: Int32 = -1
    private var clients: [Int32: LineConnection] = [:]
    private var watchers: Set<Int32> = []
    private var observer: Int?
    private var refusing = false

    /// Creates the socket at `path` and starts accepting clients on the loop.
    public init(chip: MockChip, path: String, loop: EventLoop, logger: Logger, maxClients: Int = 16,
                maxQueuedBytes: Int = 64 * 1024) throws(SystemError) {
        precondition(maxClients > 0 && maxQueuedBytes > 0, "limits must be positive")
        self.maxClients = maxClients
        self.maxQueuedBytes = maxQueuedBytes
        self.chip = chip
        self.loop = loop
        self.logger = logger
        self.path = path
        listener = try UnixSocket.listen(path: path)
        try loop.watch(listener, for: .readable) { [unowned self] _ in self.acceptClients() }
        observer = chip.addObserver { [unowned self] change in self.broadcast(change) }
    }

    /// Stops serving and removes the socket file.
    public func close() {
        guard listener >= 0 else { return }
        for client in Array(clients.values) { client.close() }
        loop.unwatch(listener)
        Glibc.close(listener)
        unlink(path)
        listener = -1
        if let observer { chip.removeObserver(observer) }
    }

    deinit { close() }

    private func acceptClients() {
        while let fd = UnixSocket.accept(listener) {
            guard clients.count < maxClients else {
                // A new socket's send buffer is empty: the one line goes out whole before the close.
                var refusal = "error: too many clients (at most \(maxClients)); close one and try again\n"
                _ = refusal.withUTF8 { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
                Glibc.close(fd)
                refused += 1
                // Once per run of refusals, not per client: a loop of connects must not flood the log.
                if !refusing { logger.warning("mock.client_refused", ["chip": chip.label, "clients": clients.count, "limit": maxClients]) }
                refusing = true
                continue
            }
            let connection = LineConnection(fd: fd, loop: loop, maxOutput: maxQueuedBytes)
            do {
                try connection.start(onLine: { [unowned self] c, line in self.handle(line, from: c) },
                                     onClose: { [unowned self] c in
                                         self.refusing = false
                                         self.clients[c.fd] = nil
                                         self.watchers.remove(c.fd)
                                     })
                clients[fd] = connection
            } catch {
                Glibc.close(fd)
            }
        }
    }

    private func handle(_ line: String, from client: LineConnection) {
        if line.allSatisfy({ $0 == " " || $0 == "\r" }) { return }
        switch MockControlCommand.parse(line) {
        case .failure(let error):
            client.send("error: \(error.message)")
        case .success(let command):
            execute(command, for: client)
        }
    }

    private func execute(_ command: MockControlCommand, for client: LineConnection) {
        switch command {
        case .set(let name, let level):
            guard let line = lookup(name, client) else { return }
            logger.debug("mock.drive", ["line": chip.displayName(ofLine: line), "level": level ? 1 : 0])
            chip.drive(line: line, level: level)
            client.send("ok")
        case .float(let name):
            guard let line = lookup(name, client) else { return }
            chip.drive(line: line, level: nil)
            client.send("ok")
        case .get(let name):
            guard let line = lookup(name, client) else { return }
            client.send("\(name) \(chip.level(ofLine: line) ? 1 : 0)")
        case .list:
            for l in chip.snapshot() {
                client.send("\(l.line) \(l.name) \(l.direction) \(l.consumer ?? "-") \(l.level ? 1 : 0)")
            }
            client.send("ok")
        case .watch:
            watchers.insert(client.fd)
            client.send("ok")
        case .help:
            client.send(MockControlCommand.helpText)
            client.send("ok")
        }
    }

    private func lookup(_ name: String, _ client: LineConnection) -> Int? {
        if let line = chip.line(named: name) { return line }
        client.send("error: no line named '\(name)' on \(chip.label); try 'list'")
        return nil
    }

    private func broadcast(_ change: MockChip.Change) {
        guard !watchers.isEmpty else { return }
        let text = "change \(chip.preferredName(ofLine: change.line)) \(change.level ? 1 : 0)"
        for fd in watchers { clients[fd]?.send(text) }
    }
}
