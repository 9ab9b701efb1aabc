/// What a ``ModbusClient`` has done, for status, metrics and tests.
public struct ModbusClientCounters: Sendable, Equatable {
    /// Requests completed, by outcome.
    public var responses = 0
    public var exceptions = 0
    public var timeouts = 0
    public var failures = 0
    /// Retries sent after a timeout or a broken connection.
    public var retries = 0
    /// Connections (or port openings) that succeeded, and those that failed.
    public var connects = 0
    public var connectFailures = 0

    public init() {}
}
