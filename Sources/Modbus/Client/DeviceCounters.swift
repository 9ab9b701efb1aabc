/// What the poller has asked of one device, for status and metrics.
public struct DeviceCounters: Sendable, Equatable {
    /// Reads and writes sent (each counted once, whatever its retries).
    public var requests = 0
    /// Requests that got no valid answer (timeout, connection failure, malformed answer).
    public var failures = 0
    /// Requests the device refused with an exception.
    public var exceptions = 0

    public init() {}
}
