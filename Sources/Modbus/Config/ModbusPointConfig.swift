import EventLoop

/// One named value on a Modbus device: where it is, how to read it, how often; and whether the agent writes it
/// (an actuator). Produced by the config's `modbus:` section.
public struct ModbusPointConfig: Sendable, Equatable {
    /// Name used by rules and features, unique within its device.
    public var name: String
    public var table: ModbusTable
    /// First address (0-based, as on the wire).
    public var address: UInt16
    /// Consecutive values of ``codec``'s type read together (each ``PointType/registerCount`` registers).
    public var count: Int
    /// Type, word order, scale and offset.
    public var codec: PointCodec
    /// How often to read it; nil for a point that is only written.
    public var pollInterval: Duration?
    /// True when the agent may write it (coils and holding registers only).
    public var writable: Bool
    /// The fail-safe value (engineering units; 1/0 for coils) written at start, on faults and on shutdown,
    /// for a writable point that decisions drive; nil when none is declared.
    public var safeValue: Double?

    public init(name: String, table: ModbusTable, address: UInt16, count: Int = 1, codec: PointCodec,
                pollInterval: Duration? = .seconds(1), writable: Bool = false, safeValue: Double? = nil) {
        self.name = name
        self.table = table
        self.address = address
        self.count = count
        self.codec = codec
        self.pollInterval = pollInterval
        self.writable = writable
        self.safeValue = safeValue
    }

    /// Items (bits or registers) one read of this point covers.
    public var itemCount: Int { table.isBits ? count : count * codec.type.registerCount }

    /// The read request for this point.
    public var readRequest: ModbusRequest { .read(table: table, address: address, count: UInt16(itemCount)) }
}
