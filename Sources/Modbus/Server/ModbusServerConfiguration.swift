import EventLoop

/// How the Modbus TCP server listens and whom it lets stay (the `server:` section of the config).
public struct ModbusServerConfiguration: Sendable, Equatable {
    /// Numeric address to bind (`0.0.0.0` all IPv4, `::` all IPv6, `127.0.0.1` local only).
    public var bindAddress: String
    /// TCP port; nil means 502 when the process may bind it, else 1502.
    public var port: UInt16?
    /// Clients served at once; a client beyond it is accepted and closed at once.
    public var maxConnections: Int
    /// Of ``maxConnections``, how many only trusted clients (the agent's peers and writers) may use: strangers
    /// get the rest. When every slot is taken, a trusted client still gets in: the stranger idle the longest
    /// is closed for it. Without a trust check (``ModbusTCPServer``'s `trusted`), nothing is reserved.
    public var reservedConnections: Int
    /// A client that completes no request for this long is disconnected (a connection that trickles bytes
    /// without ever finishing a frame counts as idle).
    public var idleTimeout: Duration
    /// Units answered; nil answers every unit id. Others get ``ModbusExceptionCode/gatewayPathUnavailable``.
    public var units: Set<UInt8>?
    /// On a TLS server, a client that has not completed its handshake after this long is closed.
    public var handshakeTimeout: Duration = .seconds(10)
    /// On a TLS server, the most new clients accepted per second (a tenth of it per 100 ms window; nil: no
    /// limit). A handshake costs the loop about 0.7 ms of CPU (OpenSSL 3, P-256), and anyone who can reach the
    /// port can ask for one before proving who they are, so this caps the loop time handshakes take: 10/s keeps
    /// it under 1%, so a flood of handshakes does not move the loop's p99; clients beyond it wait in the kernel's
    /// backlog (a plant's 16 clients reconnect within 2 s).
    public var handshakesPerSecond: Int? = 10

    /// `reservedConnections` defaults to a quarter of `maxConnections`, at most 4.
    public init(bindAddress: String = "0.0.0.0", port: UInt16? = nil, maxConnections: Int = 16, reservedConnections: Int? = nil,
                idleTimeout: Duration = .seconds(60), units: Set<UInt8>? = nil) {
        self.bindAddress = bindAddress
        self.port = port
        self.maxConnections = maxConnections
        self.reservedConnections = reservedConnections ?? Self.defaultReserved(maxConnections: maxConnections)
        self.idleTimeout = idleTimeout
        self.units = units
    }

    /// A quarter of the slots, at most 4: 4 of the default 16.
    public static func defaultReserved(maxConnections: Int) -> Int { min(4, max(0, maxConnections / 4)) }
}
