/// A Modbus function code: which operation a request PDU asks for (its first byte).
///
/// The agent serves and issues the public codes below; any other value is answered with
/// ``ModbusExceptionCode/illegalFunction``. An exception response carries the code with bit 7 set (`0x80`).
public struct FunctionCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// FC 1: read coils (read/write bits).
    public static let readCoils = FunctionCode(rawValue: 0x01)
    /// FC 2: read discrete inputs (read-only bits).
    public static let readDiscreteInputs = FunctionCode(rawValue: 0x02)
    /// FC 3: read holding registers (read/write words).
    public static let readHoldingRegisters = FunctionCode(rawValue: 0x03)
    /// FC 4: read input registers (read-only words).
    public static let readInputRegisters = FunctionCode(rawValue: 0x04)
    /// FC 5: write one coil (`0xFF00` on, `0x0000` off).
    public static let writeSingleCoil = FunctionCode(rawValue: 0x05)
    /// FC 6: write one holding register.
    public static let writeSingleRegister = FunctionCode(rawValue: 0x06)
    /// FC 15: write several coils.
    public static let writeMultipleCoils = FunctionCode(rawValue: 0x0F)
    /// FC 16: write several holding registers.
    public static let writeMultipleRegisters = FunctionCode(rawValue: 0x10)
    /// FC 22: change bits of one holding register: `(current & and) | (or & ~and)`.
    public static let maskWriteRegister = FunctionCode(rawValue: 0x16)
    /// FC 23: write then read holding registers in one transaction.
    public static let readWriteMultipleRegisters = FunctionCode(rawValue: 0x17)
    /// FC 43: encapsulated interface transport; the agent serves MEI 14, Read Device Identification.
    public static let encapsulatedInterface = FunctionCode(rawValue: 0x2B)

    /// Set on the function code of an exception response.
    public static let exceptionFlag: UInt8 = 0x80

    public var description: String {
        switch self {
        case .readCoils: "read-coils(1)"
        case .readDiscreteInputs: "read-discrete-inputs(2)"
        case .readHoldingRegisters: "read-holding-registers(3)"
        case .readInputRegisters: "read-input-registers(4)"
        case .writeSingleCoil: "write-single-coil(5)"
        case .writeSingleRegister: "write-single-register(6)"
        case .writeMultipleCoils: "write-multiple-coils(15)"
        case .writeMultipleRegisters: "write-multiple-registers(16)"
        case .maskWriteRegister: "mask-write-register(22)"
        case .readWriteMultipleRegisters: "read-write-multiple-registers(23)"
        case .encapsulatedInterface: "encapsulated-interface(43)"
        default: "function(\(rawValue))"
        }
    }
}
