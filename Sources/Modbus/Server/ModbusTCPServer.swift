import EventLoop
import Glibc

/// The agent's Modbus TCP server on the loop: serves a ``RegisterMap`` to several clients at once.
///
/// Never blocks: it accepts, reads and writes only what the loop reports ready, and answers each complete
/// frame at once (see ``ModbusServerConnection`` for the per-client buffering). A connection beyond
/// ``ModbusServerConfiguration/maxConnections`` is closed on accept; a malformed MBAP header closes its
/// connection; a client that completes no request within the idle timeout is closed.
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
    private var nextConnectionID = 1

    /// The address the server listens on, once started.
    public private(set) var localAddress: SocketAddress?

    /// Creates a server for `map`; nothing happens until ``start()``.
    /// - Parameter authorize: decides on every write (the peer allowlist); nil allows all.
    public init(loop: EventLoop, map: RegisterMap, configuration: ModbusServerConfiguration = ModbusServerConfiguration(),
                logger: Logger = .silent, authorize: WriteAuthorizer? = nil) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.handler = RequestHandler(map: map, authorize: authorize)
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
        let ports: [UInt16] = configuration.port.map { [$0] } ?? [502, 1502]
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
        logger.info("modbus.server.listening", ["address": localAddress!, "max_connections": configuration.maxConnections])
    }

    /// Closes every connection and the listening socket.
    public func stop() {
        // No callbacks: stop() also runs from deinit, when the connections may no longer reach the server.
        for c in open.values { c.close("server stopped", notify: false) }
        open.removeAll()
        if listener >= 0 {
            loop.unwatch(listener)
            close(listener)
            listener = -1
        }
    }

    /// Replaces the write authorizer (for example when the peer allowlist changes).
    public func setAuthorizer(_ authorize: WriteAuthorizer?) {
        handler.authorize = authorize
    }

    private func acceptPending() {
        for _ in 0..<64 {
            guard let (fd, peer) = TCPSocket.accept(listener) else { return }
            if open.count >= configuration.maxConnections {
                close(fd)
                counters.rejected += 1
                logger.warning("modbus.server.rejected", ["client": peer, "reason": "connection limit", "limit": configuration.maxConnections])
                continue
            }
            let info = ModbusClientInfo(host: peer.host, port: peer.port, connectionID: nextConnectionID)
            nextConnectionID += 1
            let connection = ModbusServerConnection(fd: fd, client: info, server: self, loop: loop)
            do {
                try connection.start()
            } catch {
                close(fd)
                continue
            }
            open[fd] = connection
            counters.accepted += 1
            logger.debug("modbus.server.connected", ["client": info])
        }
    }

    func connectionClosed(_ connection: ModbusServerConnection, reason: String) {
        open[connection.fd] = nil
        logger.debug("modbus.server.disconnected", ["client": connection.stats.client, "reason": reason,
                                                   "requests": connection.stats.requests])
    }
}
