/// Who sent a request to the server: what a write authorizer decides on (the peer allowlist).
public struct ModbusClientInfo: Sendable, Hashable, CustomStringConvertible {
    /// The client's address as text (`192.0.2.7`, `::1`), or a label such as `rtu` for a serial bus.
    public var host: String
    /// The client's TCP port (0 when not on TCP).
    public var port: UInt16
    /// The server's number for this connection, unique while the server runs.
    public var connectionID: Int

    public init(host: String, port: UInt16, connectionID: Int) {
        self.host = host
        self.port = port
        self.connectionID = connectionID
    }

    public var description: String { "\(host):\(port)#\(connectionID)" }
}
