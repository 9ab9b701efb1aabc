/// Who sent a request to the server: what a write authorizer decides on (the peer allowlist, the TLS role).
public struct ModbusClientInfo: Sendable, Hashable, CustomStringConvertible {
    /// The client's address as text (`192.0.2.7`, `::1`), or a label such as `rtu` for a serial bus.
    public var host: String
    /// The client's TCP port (0 when not on TCP).
    public var port: UInt16
    /// The server's number for this connection, unique while the server runs.
    public var connectionID: Int
    /// The role from the client's certificate (Modbus/TCP Security; `""` when it has none or several);
    /// nil for a plaintext client.
    public var role: String?

    public init(host: String, port: UInt16, connectionID: Int, role: String? = nil) {
        self.host = host
        self.port = port
        self.connectionID = connectionID
        self.role = role
    }

    public var description: String { "\(host):\(port)#\(connectionID)" }
}
