/// What a ``ModbusClient`` has done, for status, metrics and tests.
public struct ModbusClientCounters: Sendable, Equatable {
    /// Requests answered normally.
    public var responses = 0
    /// Requests answered with an exception.
    public var exceptions = 0
    /// Requests that got no answer after every retry.
    public var timeouts = 0
    /// Requests that failed otherwise (connection, malformed answer, full queue).
    public var failures = 0
    /// Answers refused because they carried another unit id than the request's (also counted in ``failures``).
    public var unitMismatches = 0
    /// Retries sent after a timeout or a broken connection.
    public var retries = 0
    /// Connections (or port openings) that succeeded.
    public var connects = 0
    /// Connections (or port openings) that failed.
    public var connectFailures = 0

    public init() {}
}
