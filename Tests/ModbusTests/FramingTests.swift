import Modbus
import Testing

@Test func theMBAPFramerWaitsForWholeFramesAndFindsSeveralInOneBuffer() {
    var buffer: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x6B, 0x00, 0x03]
    buffer += [0x00, 0x02, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03]
    guard case .frame(let header, let pdu, let end) = MBAPFramer.next(in: buffer, from: 0) else {
        Issue.record("no frame")
        return
    }
    #expect(header == MBAPHeader(transaction: 1, length: 6, unit: 0x11))
    #expect(Array(buffer[pdu]) == [0x03, 0x00, 0x6B, 0x00, 0x03])
    #expect(MBAPFramer.next(in: buffer, from: end) == .incomplete)
    #expect(MBAPFramer.next(in: Array(buffer.prefix(5)), from: 0) == .incomplete)
}

@Test(arguments: [
    [UInt8]([0x00, 0x01, 0x00, 0x01]),                  // protocol id 1, caught after 4 bytes
    [0x00, 0x01, 0x00, 0x00, 0x00, 0x01],                // length 1
    [0x00, 0x01, 0x00, 0x00, 0x00, 0xFF],                // length 255
    [0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF],                // length 65535
])
func aBadMBAPHeaderIsMalformed(bytes: [UInt8]) {
    guard case .malformed = MBAPFramer.next(in: bytes, from: 0) else {
        Issue.record("accepted \(bytes)")
        return
    }
}

@Test func theRTUFramerAssemblesAFrameFedOneByteAtATime() {
    let frame = RTUFrame(unit: 7, pdu: ModbusRequest.writeMultipleRegisters(address: 2, values: [1, 2, 3]).pdu)
    var framer = RTUFramer(role: .requests)
    var found: [RTUFrame] = []
    for b in frame.encoded {
        framer.append([b])
        if let f = framer.nextFrame() { found.append(f) }
    }
    #expect(found == [frame])
    #expect(framer.discardedBytes == 0)
}

@Test func theRTUFramerSkipsGarbageBetweenFrames() {
    let a = RTUFrame(unit: 1, pdu: [0x03, 0x04, 0x00, 0x01, 0x00, 0x02])
    let b = RTUFrame(unit: 2, pdu: [0x83, 0x02])
    var framer = RTUFramer(role: .responses)
    framer.append([0x00, 0xFF, 0x13] + a.encoded + [0x01] + b.encoded)
    var found: [RTUFrame] = []
    while let f = framer.nextFrame() { found.append(f) }
    // The byte before b looks like the start of a long frame; the silence after b settles it.
    while let f = framer.endOfFrame() { found.append(f) }
    #expect(found == [a, b])
    #expect(framer.discardedBytes == 4)
}

@Test func theRTUFramerExpectingAUnitDropsOtherTraffic() {
    let other = RTUFrame(unit: 9, pdu: [0x03, 0x02, 0x00, 0x05])
    let mine = RTUFrame(unit: 3, pdu: [0x03, 0x02, 0x00, 0x06])
    var framer = RTUFramer(role: .responses)
    framer.expect(unit: 3, function: .readHoldingRegisters)
    framer.append(other.encoded + mine.encoded)
    #expect(framer.nextFrame() == mine)
}

@Test func theRTUFramerNeverBuffersMoreThanOneFrame() {
    var framer = RTUFramer(role: .requests)
    framer.append([UInt8](repeating: 0x42, count: 10_000))
    _ = framer.nextFrame()
    #expect(framer.bufferedCount <= RTUFramer.maxFrameSize)
}

@Test(arguments: [
    (PointType.int16, WordOrder.big, [UInt16(0xFFFE)], -2.0),
    (.uint16, .big, [0xFFFE], 65534),
    (.int32, .big, [0xFFFF, 0xFFFE], -2),
    (.uint32, .big, [0x0001, 0x0002], 65538),
    (.uint32, .little, [0x0002, 0x0001], 65538),
    (.float32, .big, [0x4049, 0x0FDB], Double(Float(bitPattern: 0x4049_0FDB))),
    (.float32, .little, [0x0FDB, 0x4049], Double(Float(bitPattern: 0x4049_0FDB))),
])
func pointValuesDecodeByTypeAndWordOrder(type: PointType, order: WordOrder, registers: [UInt16], value: Double) throws {
    let codec = PointCodec(type: type, wordOrder: order)
    #expect(codec.decode(registers) == value)
    #expect(try codec.encode(value) == registers)
}

@Test func scaleAndOffsetApplyBothWays() throws {
    let codec = PointCodec(type: .int16, scale: 0.1, offset: -40)
    #expect(abs(codec.decode([650]) - 25.0) < 1e-9)
    #expect(try codec.encode(25.0) == [650])
    #expect(throws: PointCodec.EncodeError.self) { try codec.encode(10_000) }
}
