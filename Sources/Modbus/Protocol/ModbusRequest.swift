/// A decoded Modbus request PDU (function code and data, without unit id or framing).
///
/// Decoded by ``RequestParser``; encoded by ``encode(into:)`` (the client side).
public enum ModbusRequest: Sendable, Equatable {
    /// FC 1 / 2 / 3 / 4: read `count` items of `table` from `address`.
    case read(table: ModbusTable, address: UInt16, count: UInt16)
    /// FC 5.
    case writeSingleCoil(address: UInt16, value: Bool)
    /// FC 6.
    case writeSingleRegister(address: UInt16, value: UInt16)
    /// FC 15.
    case writeMultipleCoils(address: UInt16, values: [Bool])
    /// FC 16.
    case writeMultipleRegisters(address: UInt16, values: [UInt16])
    /// FC 22: set one holding register to `(current & andMask) | (orMask & ~andMask)`.
    case maskWriteRegister(address: UInt16, andMask: UInt16, orMask: UInt16)
    /// FC 23: write `values` at `writeAddress`, then read `readCount` registers at `readAddress`.
    case readWriteMultipleRegisters(readAddress: UInt16, readCount: UInt16, writeAddress: UInt16, values: [UInt16])
    /// FC 43 / MEI 14: read device identification; `readCode` 1 basic, 2 regular, 3 extended, 4 one object.
    case readDeviceIdentification(readCode: UInt8, objectId: UInt8)

    /// The request's function code.
    public var function: FunctionCode {
        switch self {
        case .read(let table, _, _): table.readFunction
        case .writeSingleCoil: .writeSingleCoil
        case .writeSingleRegister: .writeSingleRegister
        case .writeMultipleCoils: .writeMultipleCoils
        case .writeMultipleRegisters: .writeMultipleRegisters
        case .maskWriteRegister: .maskWriteRegister
        case .readWriteMultipleRegisters: .readWriteMultipleRegisters
        case .readDeviceIdentification: .encapsulatedInterface
        }
    }

    /// The write this request performs, if any (for FC 22 the server computes the value from the map).
    public var write: RegisterWrite? {
        switch self {
        case .read, .maskWriteRegister, .readDeviceIdentification: nil
        case .writeSingleCoil(let a, let v): .coils(address: a, values: [v])
        case .writeSingleRegister(let a, let v): .registers(address: a, values: [v])
        case .writeMultipleCoils(let a, let v): .coils(address: a, values: v)
        case .writeMultipleRegisters(let a, let v): .registers(address: a, values: v)
        case .readWriteMultipleRegisters(_, _, let a, let v): .registers(address: a, values: v)
        }
    }

    /// Appends the PDU (function code first) to `out`.
    public func encode(into out: inout [UInt8]) {
        out.append(function.rawValue)
        switch self {
        case .read(_, let address, let count):
            out.appendWord(address)
            out.appendWord(count)
        case .writeSingleCoil(let address, let value):
            out.appendWord(address)
            out.appendWord(value ? 0xFF00 : 0x0000)
        case .writeSingleRegister(let address, let value):
            out.appendWord(address)
            out.appendWord(value)
        case .writeMultipleCoils(let address, let values):
            out.appendWord(address)
            out.appendWord(UInt16(truncatingIfNeeded: values.count))
            out.appendPackedBits(values)
        case .writeMultipleRegisters(let address, let values):
            out.appendWord(address)
            out.appendWord(UInt16(truncatingIfNeeded: values.count))
            out.append(UInt8(truncatingIfNeeded: values.count * 2))
            for v in values { out.appendWord(v) }
        case .maskWriteRegister(let address, let andMask, let orMask):
            out.appendWord(address)
            out.appendWord(andMask)
            out.appendWord(orMask)
        case .readWriteMultipleRegisters(let readAddress, let readCount, let writeAddress, let values):
            out.appendWord(readAddress)
            out.appendWord(readCount)
            out.appendWord(writeAddress)
            out.appendWord(UInt16(truncatingIfNeeded: values.count))
            out.append(UInt8(truncatingIfNeeded: values.count * 2))
            for v in values { out.appendWord(v) }
        case .readDeviceIdentification(let readCode, let objectId):
            out.append(DeviceIdentification.meiType)
            out.append(readCode)
            out.append(objectId)
        }
    }

    /// The PDU as a new array.
    public var pdu: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }
}
