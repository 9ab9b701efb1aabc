import TLS

/// Modbus/TCP Security on the server (the `server: tls:` section): the port (802 by default), the agent's
/// identity, the role table and how long a handshake may take.
public struct ModbusTLSSettings: Sendable, Equatable {
    /// The standard Modbus/TCP Security port.
    public static let standardPort: UInt16 = 802

    /// TCP port of the TLS listener; nil means 802 when the process may bind it, else 1802.
    public var port: UInt16?
    /// The CA, certificate, key (and CRL) the server and the agent's TLS clients use.
    public var identity: TLSIdentity
    /// Rights per certificate role.
    public var roles: [String: ModbusAccessRights]
    /// A client that has not finished its handshake after this long is closed (a stalled or trickling one).
    public var handshakeTimeout: Duration
    /// New TLS clients accepted per second at most (nil: no limit); see ``ModbusServerConfiguration/handshakesPerSecond``.
    public var handshakesPerSecond: Int? = 10
    /// When true, a TLS client must also be on the IP allowlist to write (the role alone does not suffice).
    public var requireAllowlist: Bool

    public init(port: UInt16? = nil, identity: TLSIdentity, roles: [String: ModbusAccessRights], handshakeTimeout: Duration = .seconds(10),
                requireAllowlist: Bool = false) {
        self.port = port
        self.identity = identity
        self.roles = roles
        self.handshakeTimeout = handshakeTimeout
        self.requireAllowlist = requireAllowlist
    }
}
