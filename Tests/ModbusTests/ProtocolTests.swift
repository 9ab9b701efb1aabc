import Modbus
import Testing

private let client = ModbusClientInfo(host: "192.0.2.1", port: 40000, connectionID: 1)

private func handle(_ pdu: [UInt8], map: MemoryRegisterMap, authorize: WriteAuthorizer? = nil) -> ([UInt8], HandlerAction) {
    var out: [UInt8] = []
    let action = RequestHandler(map: map, authorize: authorize).handle(pdu: pdu[...], unit: 1, client: client, into: &out)
    return (out, action)
}

@Test func theRTUChecksumMatchesTheSpecificationExample() {
    var frame: [UInt8] = [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A]
    CRC16.append(to: &frame)
    #expect(frame.suffix(2) == [0xC5, 0xCD])
    #expect(CRC16.isValid(frame))
}

@Test(arguments: [
    ModbusRequest.read(table: .coils, address: 10, count: 13),
    .read(table: .discreteInputs, address: 0, count: 2000),
    .read(table: .holdingRegisters, address: 65410, count: 125),
    .read(table: .inputRegisters, address: 7, count: 1),
    .writeSingleCoil(address: 3, value: true),
    .writeSingleRegister(address: 4, value: 0xBEEF),
    .writeMultipleCoils(address: 19, values: [true, false, true, true, false, false, true, true, true, false]),
    .writeMultipleRegisters(address: 1, values: [1, 2, 0xFFFF]),
    .readWriteMultipleRegisters(readAddress: 3, readCount: 6, writeAddress: 14, values: [0x00FF, 0xFF00, 0xFF00]),
    .maskWriteRegister(address: 4, andMask: 0x00F2, orMask: 0x0025),
    .readDeviceIdentification(readCode: 2, objectId: 0),
])
func everyRequestDecodesToWhatWasEncoded(request: ModbusRequest) {
    #expect(RequestParser.parse(request.pdu[...]) == .success(request))
}

@Test func readsOfAnUnknownFunctionAnswerIllegalFunction() {
    let (out, action) = handle([0x2B, 0x0E, 0x01, 0x00], map: MemoryRegisterMap(size: 10))
    #expect(out == [0xAB, 0x01])
    #expect(action == .replyException(.illegalFunction))
}

@Test func aReadPastTheMapAnswersIllegalDataAddressAndAppendsNothingElse() {
    let (out, action) = handle(ModbusRequest.read(table: .holdingRegisters, address: 8, count: 3).pdu, map: MemoryRegisterMap(size: 10))
    #expect(out == [0x83, 0x02])
    #expect(action == .replyException(.illegalDataAddress))
}

@Test(arguments: [
    [UInt8]([0x03, 0x00, 0x00, 0x00, 0x00]),        // count 0
    [0x03, 0x00, 0x00, 0x00, 0x7E],                  // count 126
    [0x01, 0x00, 0x00, 0x07, 0xD1],                  // 2001 coils
    [0x03, 0x00, 0x00, 0x00],                        // short
    [0x05, 0x00, 0x01, 0x12, 0x34],                  // coil value not FF00/0000
    [0x10, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x01, 0x00], // byte count mismatch
    [0x0F, 0x00, 0x00, 0x00, 0x09, 0x01, 0xFF],      // 9 coils need 2 bytes
])
func malformedQuantitiesAnswerIllegalDataValue(pdu: [UInt8]) {
    let (out, action) = handle(pdu, map: MemoryRegisterMap(size: 10))
    #expect(action == .replyException(.illegalDataValue))
    #expect(out == [pdu[0] | 0x80, 0x03])
}

@Test func aRangePastAddress65535AnswersIllegalDataAddress() {
    #expect(RequestParser.parse([0x03, 0xFF, 0xFF, 0x00, 0x02][...]) == .failure(.illegalDataAddress))
}

@Test func readingHoldingRegistersAnswersTheirValuesBigEndian() {
    let map = MemoryRegisterMap(size: 10)
    map.holdingRegisters[2] = 0x1234
    map.holdingRegisters[3] = 0xABCD
    let (out, action) = handle(ModbusRequest.read(table: .holdingRegisters, address: 2, count: 2).pdu, map: map)
    #expect(action == .reply)
    #expect(out == [0x03, 0x04, 0x12, 0x34, 0xAB, 0xCD])
    #expect(ResponseParser.parse(out[...], for: .read(table: .holdingRegisters, address: 2, count: 2)) == .response(.registers([0x1234, 0xABCD])))
}

@Test func readingCoilsPacksThemLeastSignificantBitFirst() {
    let map = MemoryRegisterMap(size: 20)
    for i in [0, 2, 3, 8, 10] { map.coils[i] = true }
    let request = ModbusRequest.read(table: .coils, address: 0, count: 11)
    let (out, _) = handle(request.pdu, map: map)
    #expect(out == [0x01, 0x02, 0b0000_1101, 0b0000_0101])
    #expect(ResponseParser.parse(out[...], for: request) == .response(.bits([true, false, true, true, false, false, false, false, true, false, true])))
}

@Test func writesReachTheMapAndAreEchoed() {
    let map = MemoryRegisterMap(size: 20)
    var seen: [RegisterWrite] = []
    map.onWrite = { seen.append($0) }
    let single = ModbusRequest.writeSingleRegister(address: 5, value: 77)
    let (echo, _) = handle(single.pdu, map: map)
    #expect(echo == single.pdu)
    #expect(ResponseParser.parse(echo[...], for: single) == .response(.written(address: 5, count: 1)))
    let multi = ModbusRequest.writeMultipleCoils(address: 1, values: [true, true, false])
    let (answer, _) = handle(multi.pdu, map: map)
    #expect(ResponseParser.parse(answer[...], for: multi) == .response(.written(address: 1, count: 3)))
    #expect(map.holdingRegisters[5] == 77 && map.coils[1] && map.coils[2] && !map.coils[3])
    #expect(seen == [.registers(address: 5, values: [77]), .coils(address: 1, values: [true, true, false])])
}

@Test func readWriteMultipleWritesBeforeItReads() {
    let map = MemoryRegisterMap(size: 20)
    let request = ModbusRequest.readWriteMultipleRegisters(readAddress: 0, readCount: 3, writeAddress: 1, values: [9, 8])
    let (out, _) = handle(request.pdu, map: map)
    #expect(ResponseParser.parse(out[...], for: request) == .response(.registers([0, 9, 8])))
}

@Test func theWriteAuthorizerCanRejectOrCloseAndTheMapIsUntouched() {
    let map = MemoryRegisterMap(size: 20)
    let (out, action) = handle(ModbusRequest.writeSingleRegister(address: 1, value: 5).pdu, map: map) { c, unit, w in
        c.host == "192.0.2.1" && w.address == 1 ? .reject(.illegalDataAddress) : .allow
    }
    #expect(out == [0x86, 0x02] && action == .replyException(.illegalDataAddress))
    let (closed, closeAction) = handle(ModbusRequest.writeSingleCoil(address: 1, value: true).pdu, map: map) { _, _, _ in .close }
    #expect(closed.isEmpty && closeAction == .close)
    #expect(map.holdingRegisters[1] == 0 && !map.coils[1])
}

@Test func anExceptionResponseIsReportedByCode() {
    #expect(ResponseParser.parse([0x83, 0x02][...], for: .read(table: .holdingRegisters, address: 0, count: 1)) == .exception(.illegalDataAddress))
    #expect(ResponseParser.parse([0x83, 0x02][...], for: .read(table: .holdingRegisters, address: 0, count: 1)) != .exception(.illegalFunction))
}

@Test func aResponseWithTheWrongByteCountIsMalformed() {
    guard case .malformed = ResponseParser.parse([0x03, 0x02, 0x00, 0x01][...], for: .read(table: .holdingRegisters, address: 0, count: 2)) else {
        Issue.record("expected malformed")
        return
    }
}

@Test func maskWriteChangesOnlyTheMaskedBitsAndEchoes() {
    let map = MemoryRegisterMap(size: 10)
    map.holdingRegisters[4] = 0x12
    let request = ModbusRequest.maskWriteRegister(address: 4, andMask: 0xF2, orMask: 0x25)
    let (out, action) = handle(request.pdu, map: map)
    #expect(action == .reply && out == request.pdu)
    #expect(map.holdingRegisters[4] == 0x17)  // the specification's example
    #expect(ResponseParser.parse(out[...], for: request) == .response(.written(address: 4, count: 1)))
}

// MARK: FC 43 / MEI 14 Read Device Identification

private let identity = DeviceIdentification.fieldAgent(name: "line-a", revision: "map 2")

private func identify(_ pdu: [UInt8], identity: DeviceIdentification? = identity) -> ([UInt8], HandlerAction) {
    var out: [UInt8] = []
    let action = RequestHandler(map: MemoryRegisterMap(size: 1), identity: identity).handle(pdu: pdu[...], unit: 1, client: client, into: &out)
    return (out, action)
}

@Test func theBasicStreamAnswersVendorProductCodeAndRevisionWithTheConformityLevel() {
    let (out, action) = identify([0x2B, 0x0E, 0x01, 0x00])
    #expect(action == .reply)
    // Built step by step: one long + chain is too much for Swift 6.0's type checker.
    var expected: [UInt8] = [0x2B, 0x0E, 0x01, 0x82, 0x00, 0x00, 0x03]
    expected += [0x00, 10] + Array("FieldAgent".utf8)
    expected += [0x01, 10] + Array("fieldagent".utf8)
    expected += [0x02, 5] + Array("map 2".utf8)
    #expect(out == expected)
    guard case .response(.deviceIdentification(let answer)) = ResponseParser.parse(out[...], for: .readDeviceIdentification(readCode: 1, objectId: 0)) else {
        Issue.record("not decoded"); return
    }
    #expect(answer.text(0x00) == "FieldAgent" && answer.text(0x02) == "map 2" && answer.nextObjectId == nil)
}

@Test func theRegularStreamNamesTheAgentAsModelName() {
    let (out, _) = identify([0x2B, 0x0E, 0x02, 0x00])
    guard case .response(.deviceIdentification(let answer)) = DeviceIdentificationAnswer.decode(out[...]) else { Issue.record("not decoded"); return }
    #expect(answer.objects.map(\.id) == [0, 1, 2, 3, 4, 5])
    #expect(answer.text(0x05) == "line-a")
}

@Test func oneObjectIsReadByIdAndAnUnknownIdIsIllegalDataAddress() {
    let (out, _) = identify([0x2B, 0x0E, 0x04, 0x05])
    let header: [UInt8] = [0x2B, 0x0E, 0x04, 0x82, 0x00, 0x00, 0x01, 0x05, 6]
    #expect(out == header + Array("line-a".utf8))
    #expect(identify([0x2B, 0x0E, 0x04, 0x06]) == ([0xAB, 0x02], .replyException(.illegalDataAddress)))
}

@Test func aBadReadCodeIsIllegalDataValueAndAnotherMEITypeOrNoIdentityIsIllegalFunction() {
    #expect(identify([0x2B, 0x0E, 0x05, 0x00]) == ([0xAB, 0x03], .replyException(.illegalDataValue)))
    #expect(identify([0x2B, 0x0E, 0x00, 0x00]) == ([0xAB, 0x03], .replyException(.illegalDataValue)))
    #expect(identify([0x2B, 0x0E, 0x01]) == ([0xAB, 0x03], .replyException(.illegalDataValue)))
    #expect(identify([0x2B, 0x0D, 0x01, 0x00]) == ([0xAB, 0x01], .replyException(.illegalFunction)))
    #expect(identify([0x2B]) == ([0xAB, 0x01], .replyException(.illegalFunction)))
    #expect(identify([0x2B, 0x0E, 0x01, 0x00], identity: nil) == ([0xAB, 0x01], .replyException(.illegalFunction)))
}

@Test func anAnswerThatDoesNotFitSaysMoreFollowsAndTheNextObject() {
    let long = String(repeating: "x", count: 200)
    let big = DeviceIdentification([0x00: long, 0x01: long, 0x02: "1.0"])
    var out: [UInt8] = []
    #expect(big.answer(readCode: 1, objectId: 0, into: &out) == nil)
    #expect(out.count <= DeviceIdentification.maxResponsePDU)
    guard case .response(.deviceIdentification(let first)) = DeviceIdentificationAnswer.decode(out[...]) else { Issue.record("not decoded"); return }
    #expect(first.objects.map(\.id) == [0x00] && first.nextObjectId == 0x01)
    out = []
    #expect(big.answer(readCode: 1, objectId: 0x01, into: &out) == nil)
    guard case .response(.deviceIdentification(let rest)) = DeviceIdentificationAnswer.decode(out[...]) else { Issue.record("not decoded"); return }
    #expect(rest.objects.map(\.id) == [0x01, 0x02] && rest.nextObjectId == nil)
}

@Test(arguments: [
    [UInt8](),
    [0x2B, 0x0E, 0x01, 0x81, 0x00, 0x00],                    // too short
    [0x2B, 0x0E, 0x01, 0x81, 0x00, 0x00, 0x01],              // one object promised, none present
    [0x2B, 0x0E, 0x01, 0x81, 0x00, 0x00, 0x01, 0x00],        // object header cut
    [0x2B, 0x0E, 0x01, 0x81, 0x00, 0x00, 0x01, 0x00, 0xFF, 0x41], // length past the end
    [0x2B, 0x0E, 0x01, 0x81, 0x00, 0x00, 0x00, 0x99],        // trailing bytes
    [0x2B, 0x0E, 0x01, 0x81, 0x17, 0x00, 0x00],              // bad more-follows byte
    [0x2B, 0x0D, 0x01, 0x81, 0x00, 0x00, 0x00],              // other MEI type
    [0x2B, 0x0E, 0x02, 0x81, 0x00, 0x00, 0x00],              // read code differs from the request
    [0xAB, 0x02, 0x00],                                       // exception of the wrong length
])
func aMalformedDeviceIdentificationAnswerIsReportedNeverTrapped(_ pdu: [UInt8]) {
    guard case .malformed = ResponseParser.parse(pdu[...], for: .readDeviceIdentification(readCode: 1, objectId: 0)) else {
        Issue.record("accepted \(pdu)"); return
    }
}

@Test func everyTruncationOfAValidAnswerIsMalformedNotATrap() {
    let (out, _) = identify([0x2B, 0x0E, 0x02, 0x00])
    for n in 0..<out.count {
        if case .response = ResponseParser.parse(out[..<n], for: .readDeviceIdentification(readCode: 2, objectId: 0)) {
            Issue.record("accepted the first \(n) bytes")
        }
    }
}
