import EventLoop

/// One Modbus device the agent polls or drives (a sensor or an actuator): endpoint, unit id, timing, points.
/// Devices that share an endpoint (several unit ids on one RS-485 bus) share one client and are polled in turn.
public struct ModbusDeviceConfig: Sendable, Equatable {
    /// Name used by rules, logs and status.
    public var name: String
    public var endpoint: ModbusEndpoint
    public var unit: UInt8
    /// Timeouts, retries and backoff (the first device on an endpoint sets them for the shared client).
    public var options: ModbusClientOptions
    /// Up turns stale after this long without an answer; nil means three times the shortest poll interval.
    public var staleAfter: Duration?
    /// Failed requests in a row that make the device down.
    public var downAfterFailures: Int
    public var points: [ModbusPointConfig]

    public init(name: String, endpoint: ModbusEndpoint, unit: UInt8 = 1, options: ModbusClientOptions = ModbusClientOptions(),
                staleAfter: Duration? = nil, downAfterFailures: Int = 3, points: [ModbusPointConfig]) {
        self.name = name
        self.endpoint = endpoint
        self.unit = unit
        self.options = options
        self.staleAfter = staleAfter
        self.downAfterFailures = downAfterFailures
        self.points = points
    }

    /// The stale window in force.
    public var effectiveStaleAfter: Duration {
        if let staleAfter { return staleAfter }
        let shortest = points.compactMap(\.pollInterval).min() ?? .seconds(1)
        return shortest * 3
    }
}
