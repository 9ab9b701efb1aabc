/// A write a client asks a server to perform, as the register map sees it (after decoding, before applying).
public enum RegisterWrite: Sendable, Equatable {
    /// Coils from `address` on (FC 5 and 15).
    case coils(address: UInt16, values: [Bool])
    /// Holding registers from `address` on (FC 6, 16 and the write half of 23).
    case registers(address: UInt16, values: [UInt16])

    /// The table written.
    public var table: ModbusTable {
        switch self {
        case .coils: .coils
        case .registers: .holdingRegisters
        }
    }

    /// The first address written.
    public var address: UInt16 {
        switch self {
        case .coils(let a, _), .registers(let a, _): a
        }
    }

    /// How many items are written.
    public var count: Int {
        switch self {
        case .coils(_, let v): v.count
        case .registers(_, let v): v.count
        }
    }
}
