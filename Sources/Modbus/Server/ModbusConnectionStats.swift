import EventLoop

/// One client connection as the server sees it.
public struct ModbusConnectionStats: Sendable, Equatable {
    /// Who it is.
    public var client: ModbusClientInfo
    /// When it connected, on the loop's clock.
    public var connectedAt: Instant
    /// When it last completed a request (connect time until then).
    public var lastRequest: Instant
    /// Requests answered on this connection.
    public var requests = 0
    /// Exception responses sent on this connection.
    public var exceptions = 0

    public init(client: ModbusClientInfo, connectedAt: Instant) {
        self.client = client
        self.connectedAt = connectedAt
        self.lastRequest = connectedAt
    }
}
