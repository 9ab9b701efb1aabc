/// Where a Modbus **response PDU** is parsed (client side), checked against the request it answers:
/// function code (or its exception form), byte count against the requested quantity, and the echo of writes.
public enum ResponseParser {
    /// Decodes `pdu` (function code first) as the answer to `request`.
    public static func parse(_ pdu: ArraySlice<UInt8>, for request: ModbusRequest) -> ParsedResponse {
        guard let first = pdu.first else { return .malformed("empty response") }
        let function = request.function
        if first == function.rawValue | FunctionCode.exceptionFlag {
            guard pdu.count == 2 else { return .malformed("exception response of \(pdu.count) bytes, expected 2") }
            return .exception(ModbusExceptionCode(rawValue: pdu.byte(at: 1)))
        }
        guard first == function.rawValue else {
            return .malformed("function \(first) in the response to \(function)")
        }
        switch request {
        case .read(let table, _, let count) where table.isBits:
            let expected = (Int(count) + 7) / 8
            guard pdu.count >= 2, Int(pdu.byte(at: 1)) == expected, pdu.count == 2 + expected else {
                return .malformed("byte count does not match \(count) bits")
            }
            var bits: [Bool] = []
            bits.reserveCapacity(Int(count))
            for i in 0..<Int(count) { bits.append(pdu.byte(at: 2 + i / 8) & (1 << UInt8(i % 8)) != 0) }
            return .response(.bits(bits))
        case .read(_, _, let count), .readWriteMultipleRegisters(_, let count, _, _):
            let expected = Int(count) * 2
            guard pdu.count >= 2, Int(pdu.byte(at: 1)) == expected, pdu.count == 2 + expected else {
                return .malformed("byte count does not match \(count) registers")
            }
            var registers: [UInt16] = []
            registers.reserveCapacity(Int(count))
            for i in 0..<Int(count) { registers.append(pdu.word(at: 2 + 2 * i)) }
            return .response(.registers(registers))
        case .writeSingleCoil, .writeSingleRegister, .maskWriteRegister:
            let size = request.function == .maskWriteRegister ? 7 : 5
            guard pdu.count == size else { return .malformed("write echo of \(pdu.count) bytes, expected \(size)") }
            var sent: [UInt8] = []
            request.encode(into: &sent)
            guard pdu.elementsEqual(sent) else { return .malformed("write echo differs from the request") }
            return .response(.written(address: pdu.word(at: 1), count: 1))
        case .readDeviceIdentification(let readCode, _):
            let decoded = DeviceIdentificationAnswer.decode(pdu)
            if case .response(.deviceIdentification(let answer)) = decoded, answer.readCode != readCode {
                return .malformed("read code \(answer.readCode) in the answer to \(readCode)")
            }
            return decoded
        case .writeMultipleCoils(let address, let values):
            return writeEcho(pdu, address: address, count: values.count)
        case .writeMultipleRegisters(let address, let values):
            return writeEcho(pdu, address: address, count: values.count)
        }
    }

    private static func writeEcho(_ pdu: ArraySlice<UInt8>, address: UInt16, count: Int) -> ParsedResponse {
        guard pdu.count == 5 else { return .malformed("write answer of \(pdu.count) bytes, expected 5") }
        guard pdu.word(at: 1) == address, Int(pdu.word(at: 3)) == count else {
            return .malformed("write answer names address \(pdu.word(at: 1)) count \(pdu.word(at: 3)), expected \(address) and \(count)")
        }
        return .response(.written(address: address, count: UInt16(count)))
    }
}
