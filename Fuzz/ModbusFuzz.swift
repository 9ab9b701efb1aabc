// libFuzzer entry point over the pure Modbus core (Sources/Modbus/Protocol): MBAP stream framing, RTU framing
// in both roles, request decoding and handling against a register map, response parsing and the point codec.
// Built by `make fuzz` with `swiftc -sanitize=fuzzer,address` together with Sources/Modbus/Protocol/*.swift.
// A crash, a trap, a hang or unbounded growth is a bug; every check below states an invariant of the core.

private let map = MemoryRegisterMap(coils: 1000, discreteInputs: 1000, holdingRegisters: 1000, inputRegisters: 1000)
private let client = ModbusClientInfo(host: "fuzz", port: 0, connectionID: 0)
private let handler = RequestHandler(map: map, authorize: { _, unit, write in
    // Exercise every authorizer outcome.
    switch (Int(unit) + Int(write.address)) % 7 {
    case 0: .reject(.illegalDataAddress)
    case 1: .close
    default: .allow
    }
}, identity: .fieldAgent(name: String(repeating: "n", count: 120), revision: "fuzz"))
private var output: [UInt8] = []

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    // data points at `size` bytes libFuzzer owns for this call; we copy them.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let body = Array(bytes.dropFirst())
    switch bytes[0] % 4 {
    case 0: mbapStream(body)
    case 1: rtuRequests(body)
    case 2: rtuResponses(body)
    default: codec(body)
    }
    return 0
}

/// A TCP server's view: frames cut from the stream, each answered; a malformed header ends the connection.
private func mbapStream(_ stream: [UInt8]) {
    var start = 0
    while true {
        switch MBAPFramer.next(in: stream, from: start) {
        case .incomplete, .malformed:
            return
        case .frame(let header, let pdu, let end):
            precondition(end - start <= MBAPFramer.maxFrameSize && end > start, "frame size")
            precondition(pdu.count == header.pduLength, "pdu length")
            answer(stream[pdu], unit: header.unit)
            start = end
        }
    }
}

private func answer(_ pdu: ArraySlice<UInt8>, unit: UInt8) {
    output.removeAll(keepingCapacity: true)
    let action = handler.handle(pdu: pdu, unit: unit, client: client, into: &output)
    switch action {
    case .close: precondition(output.isEmpty, "close appends nothing")
    case .replyException: precondition(output.count == 2 && output[0] & 0x80 != 0, "exception shape")
    case .reply: precondition(!output.isEmpty && output.count <= 253 && output[0] == pdu.first, "reply shape")
    }
    // A successful request decodes back to what it was.
    if case .success(let request) = RequestParser.parse(pdu) {
        precondition(RequestParser.parse(request.pdu[...]) == .success(request), "request round trip")
    }
}

/// An RTU server's view: bytes in chunks whose sizes come from the input, silences in between.
private func rtuRequests(_ stream: [UInt8]) {
    var framer = RTUFramer(role: .requests)
    var i = 0
    while i < stream.count {
        let n = Int(stream[i] % 32) + 1
        framer.append(stream[min(i + 1, stream.count)..<min(i + 1 + n, stream.count)])
        i += 1 + n
        while let frame = framer.nextFrame() { answer(frame.pdu[...], unit: frame.unit) }
        precondition(framer.bufferedCount <= RTUFramer.maxFrameSize, "framer bound")
        if i % 3 == 0 { while let frame = framer.endOfFrame() { answer(frame.pdu[...], unit: frame.unit) } }
    }
}

/// A master's view: a request taken from the input, then the rest as the line's answer.
private func rtuResponses(_ stream: [UInt8]) {
    guard stream.count >= 6 else { return }
    let request: ModbusRequest
    switch RequestParser.parse(stream[0..<6]) {
    case .success(let r): request = r
    case .failure: request = .read(table: .holdingRegisters, address: 0, count: UInt16(stream[5] % 125) + 1)
    }
    var framer = RTUFramer(role: .responses)
    framer.expect(unit: stream[0], function: request.function)
    framer.append(stream.dropFirst(6))
    precondition(framer.bufferedCount <= RTUFramer.maxFrameSize, "framer bound")
    while let frame = framer.nextFrame() ?? framer.endOfFrame() {
        _ = ResponseParser.parse(frame.pdu[...], for: request)
    }
    _ = ResponseParser.parse(stream.dropFirst(6), for: request)
    // The same bytes as a device identification answer (FC 43 / MEI 14), whose objects carry their own lengths.
    _ = ResponseParser.parse(stream.dropFirst(1), for: .readDeviceIdentification(readCode: stream[0] % 5, objectId: 0))
}

private func codec(_ bytes: [UInt8]) {
    guard bytes.count >= 6 else { return }
    let type = PointType.allCases[Int(bytes[0]) % PointType.allCases.count]
    let c = PointCodec(type: type, wordOrder: bytes[1] & 1 == 0 ? .big : .little, scale: Double(Int8(bitPattern: bytes[2])) / 8, offset: Double(bytes[3]))
    let registers = [UInt16(bytes[2]) << 8 | UInt16(bytes[3]), UInt16(bytes[4]) << 8 | UInt16(bytes[5])]
    let value = c.decode(registers)
    if let encoded = try? c.encode(value) { precondition(encoded.count == type.registerCount, "register count") }
}
