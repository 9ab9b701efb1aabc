/// Answers Modbus requests from a ``RegisterMap``: the server's logic, with no I/O.
///
/// Takes a request PDU, appends the response PDU (or an exception response) to the caller's buffer and says
/// what happened. Writes pass the ``WriteAuthorizer`` first. Reads append straight from the map, allocating nothing.
public struct RequestHandler {
    /// The data served.
    public let map: RegisterMap
    /// Decides on every write before the map sees it; nil allows all writes.
    public var authorize: WriteAuthorizer?
    /// What FC 43 / MEI 14 answers; nil answers it with ``ModbusExceptionCode/illegalFunction``.
    public var identity: DeviceIdentification?

    public init(map: RegisterMap, authorize: WriteAuthorizer? = nil, identity: DeviceIdentification? = nil) {
        self.map = map
        self.authorize = authorize
        self.identity = identity
    }

    /// Handles one request PDU from `client` for `unit`, appending the response PDU to `out`.
    public func handle(pdu: ArraySlice<UInt8>, unit: UInt8, client: ModbusClientInfo, into out: inout [UInt8]) -> HandlerAction {
        let function = pdu.first ?? 0
        switch RequestParser.parse(pdu) {
        case .failure(let code):
            return exception(function, code, into: &out)
        case .success(let request):
            return handle(request, unit: unit, client: client, into: &out)
        }
    }

    /// Handles one decoded request, appending the response PDU to `out`.
    public func handle(_ request: ModbusRequest, unit: UInt8, client: ModbusClientInfo, into out: inout [UInt8]) -> HandlerAction {
        let function = request.function.rawValue
        switch request {
        case .read(let table, let address, let count):
            return read(table, address: address, count: count, function: function, into: &out)

        case .readWriteMultipleRegisters(let readAddress, let readCount, _, _):
            // Check the read range before writing, so a refused read leaves the map untouched.
            for a in Int(readAddress)..<(Int(readAddress) + Int(readCount)) where map.register(.holdingRegisters, at: UInt16(a)) == nil {
                return exception(function, .illegalDataAddress, into: &out)
            }
            if let action = write(request.write!, unit: unit, client: client, function: function, into: &out) { return action }
            return read(.holdingRegisters, address: readAddress, count: readCount, function: function, into: &out)

        case .maskWriteRegister(let address, let andMask, let orMask):
            guard let current = map.register(.holdingRegisters, at: address) else {
                return exception(function, .illegalDataAddress, into: &out)
            }
            let value = (current & andMask) | (orMask & ~andMask)
            if let action = write(.registers(address: address, values: [value]), unit: unit, client: client, function: function, into: &out) {
                return action
            }
            request.encode(into: &out)  // the answer echoes the request
            return .reply

        case .writeSingleCoil, .writeSingleRegister:
            if let action = write(request.write!, unit: unit, client: client, function: function, into: &out) { return action }
            request.encode(into: &out)  // the answer echoes the request
            return .reply

        case .writeMultipleCoils(let address, let values):
            if let action = write(request.write!, unit: unit, client: client, function: function, into: &out) { return action }
            out.append(function)
            out.appendWord(address)
            out.appendWord(UInt16(values.count))
            return .reply

        case .readDeviceIdentification(let readCode, let objectId):
            guard let identity else { return exception(function, .illegalFunction, into: &out) }
            if let code = identity.answer(readCode: readCode, objectId: objectId, into: &out) {
                return exception(function, code, into: &out)
            }
            return .reply

        case .writeMultipleRegisters(let address, let values):
            if let action = write(request.write!, unit: unit, client: client, function: function, into: &out) { return action }
            out.append(function)
            out.appendWord(address)
            out.appendWord(UInt16(values.count))
            return .reply
        }
    }

    /// Authorizes and applies a write; returns an action when it did not succeed.
    private func write(_ write: RegisterWrite, unit: UInt8, client: ModbusClientInfo, function: UInt8, into out: inout [UInt8]) -> HandlerAction? {
        switch authorize?(client, unit, write) ?? .allow {
        case .allow: break
        case .reject(let code): return exception(function, code, into: &out)
        case .close: return .close
        }
        if let code = map.apply(write) { return exception(function, code, into: &out) }
        return nil
    }

    private func read(_ table: ModbusTable, address: UInt16, count: UInt16, function: UInt8, into out: inout [UInt8]) -> HandlerAction {
        let start = out.count
        let n = Int(count)
        if table.isBits {
            let byteCount = (n + 7) / 8
            out.append(function)
            out.append(UInt8(byteCount))
            var byte: UInt8 = 0
            for i in 0..<n {
                guard let bit = map.bit(table, at: address &+ UInt16(i)) else {
                    out.removeSubrange(start...)
                    return exception(function, .illegalDataAddress, into: &out)
                }
                if bit { byte |= 1 << UInt8(i % 8) }
                if i % 8 == 7 || i == n - 1 {
                    out.append(byte)
                    byte = 0
                }
            }
        } else {
            out.append(function)
            out.append(UInt8(truncatingIfNeeded: n * 2))
            for i in 0..<n {
                guard let value = map.register(table, at: address &+ UInt16(i)) else {
                    out.removeSubrange(start...)
                    return exception(function, .illegalDataAddress, into: &out)
                }
                out.appendWord(value)
            }
        }
        return .reply
    }

    private func exception(_ function: UInt8, _ code: ModbusExceptionCode, into out: inout [UInt8]) -> HandlerAction {
        out.append(function | FunctionCode.exceptionFlag)
        out.append(code.rawValue)
        return .replyException(code)
    }
}
