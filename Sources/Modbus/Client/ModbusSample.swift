import EventLoop

/// A point's values as read at one moment.
public struct ModbusSample: Sendable, Equatable {
    /// The device and point names from the config.
    public var device: String
    public var point: String
    /// Engineering values (type, word order, scale and offset applied), ``ModbusPointConfig/count`` of them.
    public var values: [Double]
    /// When the answer arrived, on the loop's clock.
    public var at: Instant

    public init(device: String, point: String, values: [Double], at: Instant) {
        self.device = device
        self.point = point
        self.values = values
        self.at = at
    }

    /// The first value.
    public var value: Double { values.first ?? .nan }
}
