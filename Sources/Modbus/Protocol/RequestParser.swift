/// Where a Modbus **request PDU** is parsed (server side): function code and data → ``ModbusRequest``,
/// or the exception the server must answer with.
///
/// The PDU comes out of a frame (``MBAPFramer`` for TCP, ``RTUFramer`` for serial) without unit id or checksum.
/// Checks follow the Modbus Application Protocol v1.1b3: an unknown function code is
/// ``ModbusExceptionCode/illegalFunction``; a quantity out of range, a byte count that disagrees with the quantity,
/// a PDU of the wrong length or a coil value other than `0xFF00`/`0x0000` is ``ModbusExceptionCode/illegalDataValue``;
/// a range past address 65535 is ``ModbusExceptionCode/illegalDataAddress``. Reads allocate nothing.
public enum RequestParser {
    /// Decodes `pdu` (function code first).
    public static func parse(_ pdu: ArraySlice<UInt8>) -> Result<ModbusRequest, ModbusExceptionCode> {
        guard let first = pdu.first else { return .failure(.illegalFunction) }
        let function = FunctionCode(rawValue: first)
        switch function {
        case .readCoils, .readDiscreteInputs, .readHoldingRegisters, .readInputRegisters:
            let table: ModbusTable = switch function {
            case .readCoils: .coils
            case .readDiscreteInputs: .discreteInputs
            case .readHoldingRegisters: .holdingRegisters
            default: .inputRegisters
            }
            guard pdu.count == 5 else { return .failure(.illegalDataValue) }
            let address = pdu.word(at: 1), count = pdu.word(at: 3)
            guard count >= 1 && Int(count) <= table.maxReadCount else { return .failure(.illegalDataValue) }
            guard Int(address) + Int(count) <= 65536 else { return .failure(.illegalDataAddress) }
            return .success(.read(table: table, address: address, count: count))

        case .writeSingleCoil:
            guard pdu.count == 5 else { return .failure(.illegalDataValue) }
            let value = pdu.word(at: 3)
            guard value == 0xFF00 || value == 0x0000 else { return .failure(.illegalDataValue) }
            return .success(.writeSingleCoil(address: pdu.word(at: 1), value: value == 0xFF00))

        case .writeSingleRegister:
            guard pdu.count == 5 else { return .failure(.illegalDataValue) }
            return .success(.writeSingleRegister(address: pdu.word(at: 1), value: pdu.word(at: 3)))

        case .writeMultipleCoils:
            guard pdu.count >= 6 else { return .failure(.illegalDataValue) }
            let address = pdu.word(at: 1), count = Int(pdu.word(at: 3)), byteCount = Int(pdu.byte(at: 5))
            guard count >= 1 && count <= 0x7B0 && byteCount == (count + 7) / 8 && pdu.count == 6 + byteCount else {
                return .failure(.illegalDataValue)
            }
            guard Int(address) + count <= 65536 else { return .failure(.illegalDataAddress) }
            var values: [Bool] = []
            values.reserveCapacity(count)
            for i in 0..<count { values.append(pdu.byte(at: 6 + i / 8) & (1 << UInt8(i % 8)) != 0) }
            return .success(.writeMultipleCoils(address: address, values: values))

        case .writeMultipleRegisters:
            guard pdu.count >= 6 else { return .failure(.illegalDataValue) }
            let address = pdu.word(at: 1), count = Int(pdu.word(at: 3)), byteCount = Int(pdu.byte(at: 5))
            guard count >= 1 && count <= 123 && byteCount == count * 2 && pdu.count == 6 + byteCount else {
                return .failure(.illegalDataValue)
            }
            guard Int(address) + count <= 65536 else { return .failure(.illegalDataAddress) }
            return .success(.writeMultipleRegisters(address: address, values: registers(pdu, at: 6, count: count)))

        case .maskWriteRegister:
            guard pdu.count == 7 else { return .failure(.illegalDataValue) }
            return .success(.maskWriteRegister(address: pdu.word(at: 1), andMask: pdu.word(at: 3), orMask: pdu.word(at: 5)))

        case .readWriteMultipleRegisters:
            guard pdu.count >= 10 else { return .failure(.illegalDataValue) }
            let readAddress = pdu.word(at: 1), readCount = Int(pdu.word(at: 3))
            let writeAddress = pdu.word(at: 5), writeCount = Int(pdu.word(at: 7)), byteCount = Int(pdu.byte(at: 9))
            guard readCount >= 1 && readCount <= 125 && writeCount >= 1 && writeCount <= 121
                && byteCount == writeCount * 2 && pdu.count == 10 + byteCount else {
                return .failure(.illegalDataValue)
            }
            guard Int(readAddress) + readCount <= 65536 && Int(writeAddress) + writeCount <= 65536 else {
                return .failure(.illegalDataAddress)
            }
            return .success(.readWriteMultipleRegisters(
                readAddress: readAddress, readCount: UInt16(readCount), writeAddress: writeAddress,
                values: registers(pdu, at: 10, count: writeCount)))

        case .encapsulatedInterface:
            guard pdu.count >= 2, pdu.byte(at: 1) == DeviceIdentification.meiType else { return .failure(.illegalFunction) }
            guard pdu.count == 4, (1...4).contains(pdu.byte(at: 2)) else { return .failure(.illegalDataValue) }
            return .success(.readDeviceIdentification(readCode: pdu.byte(at: 2), objectId: pdu.byte(at: 3)))

        default:
            return .failure(.illegalFunction)
        }
    }

    private static func registers(_ pdu: ArraySlice<UInt8>, at offset: Int, count: Int) -> [UInt16] {
        var values: [UInt16] = []
        values.reserveCapacity(count)
        for i in 0..<count { values.append(pdu.word(at: offset + 2 * i)) }
        return values
    }
}
