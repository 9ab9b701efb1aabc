/// One of the four Modbus data tables.
public enum ModbusTable: String, Sendable, CaseIterable, Hashable {
    /// Read/write bits (FC 1, 5, 15).
    case coils
    /// Read-only bits (FC 2).
    case discreteInputs = "discrete"
    /// Read/write 16-bit registers (FC 3, 6, 16, 23).
    case holdingRegisters = "holding"
    /// Read-only 16-bit registers (FC 4).
    case inputRegisters = "input"

    /// True for the bit tables (coils and discrete inputs).
    public var isBits: Bool { self == .coils || self == .discreteInputs }

    /// True for the tables a client may write (coils and holding registers).
    public var isWritable: Bool { self == .coils || self == .holdingRegisters }

    /// The function code that reads this table.
    public var readFunction: FunctionCode {
        switch self {
        case .coils: .readCoils
        case .discreteInputs: .readDiscreteInputs
        case .holdingRegisters: .readHoldingRegisters
        case .inputRegisters: .readInputRegisters
        }
    }

    /// The most items one read of this table may ask for (2000 bits or 125 registers).
    public var maxReadCount: Int { isBits ? 2000 : 125 }
}
