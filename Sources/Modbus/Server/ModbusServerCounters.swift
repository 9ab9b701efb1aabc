/// What the server has done since it started, for status, metrics and tests.
public struct ModbusServerCounters: Sendable, Equatable {
    /// Connections accepted and served.
    public var accepted = 0
    /// Connections closed at once because ``ModbusServerConfiguration/maxConnections`` were open.
    public var rejected = 0
    /// Strangers' connections closed to make room for a trusted client.
    public var evicted = 0
    /// Connections closed for idling.
    public var idleClosed = 0
    /// Connections closed for a malformed MBAP header (protocol id ≠ 0, length outside 2…254).
    public var malformed = 0
    /// Connections closed because the write authorizer said so.
    public var refusedWrites = 0
    /// TLS handshakes completed.
    public var tlsHandshakes = 0
    /// TLS handshakes that failed or timed out (no certificate, wrong CA, expired, old protocol, plaintext).
    public var tlsFailures = 0
    /// Times the listener paused because the handshake budget of a 100 ms window was spent.
    public var handshakeDeferrals = 0
    /// Requests refused with exception 01 because the client's role (or plaintext) does not allow them.
    public var roleRefusals = 0
    /// Requests answered (normal and exception responses).
    public var requests = 0
    /// Exception responses sent.
    public var exceptions = 0
    /// Bytes received.
    public var bytesIn = 0
    /// Bytes sent.
    public var bytesOut = 0

    public init() {}
}
