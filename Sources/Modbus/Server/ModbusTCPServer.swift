import EventLoop
import Glibc
import TLS

/// The agent's Modbus TCP server on the loop: serves a ``RegisterMap`` to several clients at once.
///
/// Never blocks: it accepts, reads and writes only what the loop reports ready, and answers each complete
/// frame at once (see ``ModbusServerConnection`` for the per-client buffering). A malformed MBAP header closes
/// its connection; a client that completes no request within the idle timeout is closed.
///
/// Connection slots (``ModbusServerConfiguration/maxConnections``): with a trust check (the agent's peers and
/// writers), ``ModbusServerConfiguration/reservedConnections`` of them are kept for trusted clients, and a
/// trusted client that finds every slot taken gets in anyway: the stranger idle the longest is closed for it.
/// So strangers can neither lock a peer out nor starve it. Refused connections, refused writes and malformed
/// frames are logged once per source address per 10 s, with a count (``RateLimitedLog``).
///
/// With a ``TLSContext`` it serves Modbus/TCP Security: every client completes a mutual-TLS handshake first
/// (without blocking the loop, within ``ModbusServerConfiguration/handshakeTimeout``), and the role in its
/// certificate gives its rights (``ModbusAccessPolicy``); a request outside them is answered with exception 01.
public final class ModbusTCPServer {
    /// What the server was configured with.
    public let configuration: ModbusServerConfiguration
    /// Totals since ``start()``.
    public internal(set) var counters = ModbusServerCounters()
    let logger: Logger
    private(set) var handler: RequestHandler
    private let loop: EventLoop
    private var listener: Int32 = -1
    private var open: [Int32: ModbusServerConnection] = [:]
    private var trustedFDs = Set<Int32>()
    private var nextConnectionID = 1
    /// Whether a client address (`192.0.2.7`, `::ffff:192.0.2.7`) belongs to a peer or writer; nil trusts none
    /// and reserves nothing.
    private let trusted: ((String) -> Bool)?
    let refusedConnections: RateLimitedLog
    let refusedWrites: RateLimitedLog
    let malformedFrames: RateLimitedLog
    let handshakeFailures: RateLimitedLog
    let roleRefusals: RateLimitedLog
    /// The TLS context new clients handshake with (nil: plaintext Modbus TCP); replaced by ``reloadTLS(_:)``.
    public private(set) var tls: TLSContext?
    /// Rights checked on every request; nil checks none (the write authorizer still runs).
    public let access: ModbusAccessPolicy?

    /// The address the server listens on, once started.
    public private(set) var localAddress: SocketAddress?
    /// Sees every connection and request (behaviour features, quarantine); nil: none.
    public weak var observer: ModbusRequestObserver?

    /// Creates a server for `map`; nothing happens until ``start()``.
    /// - Parameters:
    ///   - authorize: decides on every write (the peer allowlist); nil allows all.
    ///   - trusted: whether a client address is a peer's or writer's, for the reserved slots; nil reserves none.
    ///   - tls: serve Modbus/TCP Security with this (server) context; nil serves plaintext.
    ///   - access: rights checked on every request before the authorizer (by role with TLS; `.everyone(.readOnly)`
    ///     for plaintext beside TLS); nil checks none.
    public init(loop: EventLoop, map: RegisterMap, configuration: ModbusServerConfiguration = ModbusServerConfiguration(),
                logger: Logger = .silent, authorize: WriteAuthorizer? = nil, trusted: ((String) -> Bool)? = nil,
                tls: TLSContext? = nil, access: ModbusAccessPolicy? = nil) {
        precondition(tls?.isServer ?? true, "a server needs a server TLS context")
        self.tls = tls
        self.access = access
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.handler = RequestHandler(map: map, authorize: authorize)
        self.trusted = trusted
        refusedConnections = RateLimitedLog(event: "modbus.server.rejected", loop: loop, logger: logger)
        refusedWrites = RateLimitedLog(event: "modbus.server.write-refused", loop: loop, logger: logger)
        malformedFrames = RateLimitedLog(event: "modbus.server.malformed", loop: loop, logger: logger)
        handshakeFailures = RateLimitedLog(event: "modbus.tls.handshake-failed", loop: loop, logger: logger)
        roleRefusals = RateLimitedLog(event: "modbus.server.role-refused", loop: loop, logger: logger)
    }

    /// Uses `context` for clients that connect from now on (certificate rotation); connected clients keep
    /// the session they have.
    public func reloadTLS(_ context: TLSContext) {
        precondition(context.isServer, "a server needs a server TLS context")
        tls = context
        logger.notice("modbus.tls.reloaded", ["certificate": context.identity.certificate, "days_left": context.daysLeft ?? -1])
    }

    /// Slots strangers may use: all of them without a trust check, else all but the reserved ones.
    public var strangerSlots: Int {
        guard trusted != nil else { return configuration.maxConnections }
        return max(0, configuration.maxConnections - min(max(configuration.reservedConnections, 0), configuration.maxConnections))
    }

    deinit { stop() }

    /// The port listened on (0 before ``start()``).
    public var port: UInt16 { localAddress?.port ?? 0 }

    /// The clients connected now.
    public var connections: [ModbusConnectionStats] { open.values.map(\.stats).sorted { $0.client.connectionID < $1.client.connectionID } }

    /// Binds, listens and starts accepting on the loop. With no port configured, tries 502 and falls back to
    /// 1502 when 502 needs privileges the process lacks (`EACCES`).
    public func start() throws(SystemError) {
        precondition(listener < 0, "server already started")
        let ports: [UInt16] = configuration.port.map { [$0] } ?? (tls == nil ? [502, 1502] : [802, 1802])
        var lastError = SystemError("bind", code: EINVAL)
        for port in ports {
            guard let address = SocketAddress(numericHost: configuration.bindAddress, port: port) else {
                throw SystemError("bind address \(configuration.bindAddress) is not a numeric IPv4 or IPv6 address", code: EINVAL)
            }
            do {
                listener = try TCPSocket.listen(on: address)
                break
            } catch {
                lastError = error
                if error.code != EACCES { throw error }
            }
        }
        guard listener >= 0 else { throw lastError }
        localAddress = TCPSocket.localAddress(listener)
        try loop.watch(listener, for: .readable) { [unowned self] _ in self.acceptPending() }
        logger.info("modbus.server.listening", ["address": localAddress!, "max_connections": configuration.maxConnections,
                                                 "tls": tls == nil ? "off" : "mutual"])
    }

    /// Closes every connection and the listening socket.
    public func stop() {
        // No callbacks: stop() also runs from deinit, when the connections may no longer reach the server.
        for c in open.values { c.close("server stopped", notify: false) }
        open.removeAll()
        trustedFDs.removeAll()
        acceptPaused = false
        if listener >= 0 {
            loop.unwatch(listener)
            close(listener)
            listener = -1
        }
    }

    /// Sets what FC 43 / MEI 14 (Read Device Identification) answers; nil refuses it with illegal function.
    public func setIdentity(_ identity: DeviceIdentification?) {
        handler.identity = identity
    }

    /// Replaces the write authorizer (for example when the peer allowlist changes).
    public func setAuthorizer(_ authorize: WriteAuthorizer?) {
        handler.authorize = authorize
    }

    /// TLS handshakes started in the current 100 ms window (``ModbusServerConfiguration/handshakesPerSecond``).
    private var handshakeWindowStart = Instant.zero
    private var handshakesInWindow = 0
    private var acceptPaused = false

    /// Whether another TLS client may be accepted now; when not, stops watching the listener until the
    /// window ends (the clients wait in the kernel's backlog, costing the loop nothing).
    private func handshakeBudgetAllows() -> Bool {
        guard tls != nil, let rate = configuration.handshakesPerSecond, rate > 0 else { return true }
        let window = Duration.milliseconds(100)
        if loop.now >= handshakeWindowStart + window {
            handshakeWindowStart = loop.now
            handshakesInWindow = 0
        }
        if handshakesInWindow < max(1, rate / 10) {
            handshakesInWindow += 1
            return true
        }
        if !acceptPaused {
            acceptPaused = true
            counters.handshakeDeferrals += 1
            try? loop.updateWatch(listener, for: [])
            loop.schedule(at: handshakeWindowStart + window) { [weak self] in
                guard let self, self.listener >= 0 else { return }
                self.acceptPaused = false
                try? self.loop.updateWatch(self.listener, for: .readable)
                self.acceptPending()
            }
        }
        return false
    }

    private func acceptPending() {
        for _ in 0..<64 {
            guard !acceptPaused, handshakeBudgetAllows() else { return }
            guard let (fd, peer) = TCPSocket.accept(listener) else {
                // Nothing was waiting: give back the budget taken for it.
                if tls != nil, (configuration.handshakesPerSecond ?? 0) > 0 { handshakesInWindow = max(0, handshakesInWindow - 1) }
                return
            }
            let isTrusted = trusted?(peer.host) ?? false
            if let refusal = admit(trusted: isTrusted, host: peer.host) {
                close(fd)
                counters.rejected += 1
                refusedConnections.record(source: peer.host, [("client", peer.description), ("reason", refusal),
                                                              ("limit", "\(configuration.maxConnections)")])
                continue
            }
            let info = ModbusClientInfo(host: peer.host, port: peer.port, connectionID: nextConnectionID)
            nextConnectionID += 1
            if let observer, !observer.connected(info) {
                close(fd)
                counters.rejected += 1
                refusedConnections.record(source: peer.host, [("client", peer.description), ("reason", "quarantined")])
                continue
            }
            var session: TLSSession?
            if let tls {
                do {
                    session = try TLSSession(context: tls, fd: fd)
                } catch {
                    close(fd)
                    handshakeFailures.record(source: peer.host, [("client", peer.description), ("reason", error.description)])
                    continue
                }
            }
            let connection = ModbusServerConnection(fd: fd, client: info, server: self, loop: loop, tls: session)
            do {
                try connection.start()
            } catch {
                close(fd)
                continue
            }
            open[fd] = connection
            if isTrusted { trustedFDs.insert(fd) }
            counters.accepted += 1
            logger.debug("modbus.server.connected", ["client": info])
        }
    }

    /// Nil when a new client may have a slot (making room for a trusted one if need be), else why not.
    private func admit(trusted isTrusted: Bool, host: String) -> String? {
        let strangers = open.count - trustedFDs.count
        if !isTrusted {
            if open.count >= configuration.maxConnections { return "connection limit" }
            if strangers >= strangerSlots { return "the other \(configuration.maxConnections - strangerSlots) slots are reserved for peers and writers" }
            return nil
        }
        guard open.count >= configuration.maxConnections else { return nil }
        // Every slot is taken: the stranger idle the longest makes room.
        let victim = open.filter { !trustedFDs.contains($0.key) }.min { a, b in
            (a.value.stats.lastRequest, a.value.stats.client.connectionID) < (b.value.stats.lastRequest, b.value.stats.client.connectionID)
        }
        guard let (_, connection) = victim else { return "connection limit (every slot holds a peer or writer)" }
        counters.evicted += 1
        logger.notice("modbus.server.evicted", ["client": connection.stats.client, "idle_ms": (loop.now - connection.stats.lastRequest).milliseconds,
                                                 "for": host, "reason": "a peer or writer needs the slot"])
        connection.close("evicted for a peer or writer")
        return nil
    }

    func connectionClosed(_ connection: ModbusServerConnection, reason: String) {
        open[connection.fd] = nil
        trustedFDs.remove(connection.fd)
        logger.debug("modbus.server.disconnected", ["client": connection.stats.client, "reason": reason,
                                                   "requests": connection.stats.requests])
    }
}
