import EventLoop
import Glibc
import Modbus
import Testing

/// Read Device Identification (FC 43 / MEI 14) over Modbus RTU: the framer cuts its frames by their own length
/// fields; our client and `fieldagent modbus scan` read a pymodbus RTU unit's identity over a pty pair, pymodbus
/// reads our RTU server's; malformed answers are dropped as noise, never trapped on.
@Suite struct RTUDeviceIdentificationTests {
    /// An RTU frame: unit, PDU, CRC.
    static func frame(_ unit: UInt8, _ pdu: [UInt8]) -> [UInt8] {
        var out = [unit] + pdu
        CRC16.append(to: &out)
        return out
    }

    /// Our server's answer to read code 1 for a known identity, as bytes on the line.
    static func answer(_ identity: DeviceIdentification, readCode: UInt8 = 2) -> [UInt8] {
        var pdu: [UInt8] = []
        _ = identity.answer(readCode: readCode, objectId: 0, into: &pdu)
        return frame(7, pdu)
    }

    @Test func theFramerCutsRequestsAndAnswersByTheirLengthFieldsFedByteByByte() {
        var requests = RTUFramer(role: .requests)
        let request = Self.frame(7, [0x2B, 0x0E, 0x02, 0x00])
        for (i, b) in request.enumerated() {
            requests.append([b])
            let f = requests.nextFrame()
            #expect((f != nil) == (i == request.count - 1))
            if let f { #expect(f.unit == 7 && f.pdu == [0x2B, 0x0E, 0x02, 0x00]) }
        }
        let identity = DeviceIdentification.fieldAgent(name: "line-a", revision: "map 3")
        let bytes = Self.answer(identity)
        var responses = RTUFramer(role: .responses)
        responses.expect(unit: 7, function: .encapsulatedInterface)
        for (i, b) in bytes.enumerated() {
            responses.append([b])
            let f = responses.nextFrame()
            #expect((f != nil) == (i == bytes.count - 1), "frame at byte \(i) of \(bytes.count)")
            if let f, case .response(.deviceIdentification(let a)) = DeviceIdentificationAnswer.decode(f.pdu[...]) {
                #expect(a.text(0x05) == "line-a" && a.text(0x00) == "FieldAgent")
            } else if f != nil {
                Issue.record("not decoded")
            }
        }
        #expect(responses.discardedBytes == 0)
    }

    @Test func malformedAnswersAreDroppedAsNoiseAndTheNextGoodOneIsFound() {
        let good = Self.answer(DeviceIdentification([0: "V", 1: "P", 2: "1.0"]), readCode: 1)
        // An object length running past the largest frame; a wrong CRC; a truncated frame then silence; another
        // MEI type.
        var long = Array(good.prefix(8))
        long[7] = 3
        long += [0x00, 0xF0] + [UInt8](repeating: 0x41, count: 40)
        var badCRC = good
        badCRC[badCRC.count - 1] ^= 0xFF
        let otherMEI = Self.frame(7, [0x2B, 0x0D, 0x01, 0x00])
        var framer = RTUFramer(role: .responses)
        framer.expect(unit: 7, function: .encapsulatedInterface)
        framer.append(long)
        framer.append(badCRC)
        framer.append(otherMEI)
        framer.append(good)
        var frames: [RTUFrame] = []
        while let f = framer.nextFrame() { frames.append(f) }
        while let f = framer.endOfFrame() { frames.append(f) }
        #expect(frames.count == 1 && frames.first?.pdu == Array(good.dropFirst().dropLast(2)))
        #expect(framer.discardedBytes == long.count + badCRC.count + otherMEI.count)

        // A truncated answer: nothing until the silence; then nothing valid, and the buffer is empty.
        framer.append(good.prefix(good.count - 3))
        #expect(framer.nextFrame() == nil)
        #expect(framer.endOfFrame() == nil && framer.bufferedCount == 0)
    }

    @Test func randomBytesNeverTrapTheFramerOrTheDecoder() {
        var state: UInt64 = 0x2B0E
        func next() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        for role in [RTUFramer.Role.requests, .responses] {
            var framer = RTUFramer(role: role)
            for round in 0..<2000 {
                // Mostly FC 43 headers with random counts and lengths, some plain noise.
                var bytes: [UInt8] = []
                if round % 4 != 0 {
                    let header: [UInt8] = [7, 0x2B, 0x0E, next() % 5, next(), next() % 2, next(), next() % 8]
                    bytes = header
                }
                for _ in 0..<Int(next() % 64) { bytes.append(next()) }
                framer.append(bytes)
                while let f = framer.nextFrame() { _ = DeviceIdentificationAnswer.decode(f.pdu[...]) }
                if round % 7 == 0 { while let f = framer.endOfFrame() { _ = DeviceIdentificationAnswer.decode(f.pdu[...]) } }
                #expect(framer.bufferedCount <= RTUFramer.maxFrameSize)
            }
        }
    }

    @Test func ourClientAndTheScanReadAPymodbusRTUUnitsIdentification() throws {
        if let missing = TestEnvironment.pymodbusMissing { Issue.record(Comment(rawValue: missing)); return }
        guard let (socat, sensorEnd, ourEnd) = try RTUInteropTests.ptyPair() else { return }
        let sensor = try ChildProcess(TestEnvironment.python, [TestEnvironment.root + "/Bench/modbus_pymodbus_server.py", "--rtu", sensorEnd,
                                                               "--parity", "N", "--units", "1,2", "--identity", "Pymodbus Inc,PM-7,3.16,pm-sensor"])
        let loop = try EpollLoop()
        try sensor.drain(on: loop)
        let serial = SerialSettings(device: ourEnd, baud: 19200, parity: .none)
        let client = try ModbusClient(loop: loop, endpoint: .rtu(serial), options: ModbusClientOptions(responseTimeout: .milliseconds(500), retries: 0))
        // pymodbus needs a moment to open the port: ask until it answers.
        var basic: DeviceIdentificationAnswer?
        var asked = 0
        let answered = TestEnvironment.run(loop, timeout: .seconds(20)) {
            if asked == 0 {
                asked = 1
                client.send(.readDeviceIdentification(readCode: 1, objectId: 0), unit: 2) { result in
                    asked = 0
                    if case .success(.deviceIdentification(let a)) = result { basic = a }
                }
            }
            return basic != nil
        }
        #expect(answered, "pymodbus output: \(sensor.text)")
        #expect(basic?.text(0x00) == "Pymodbus Inc" && basic?.text(0x01) == "PM-7" && basic?.text(0x02) == "3.16")
        var one: Result<ModbusResponse, ModbusError>?
        client.send(.readDeviceIdentification(readCode: 4, objectId: 0x05), unit: 1) { one = $0 }
        TestEnvironment.run(loop, timeout: .seconds(5)) { one != nil }
        if case .success(.deviceIdentification(let a)) = one {
            #expect(a.objects.map(\.id) == [0x05] && a.text(0x05) == "pm-sensor")
        } else {
            Issue.record("read code 4: \(String(describing: one))")
        }
        client.close()

        // The scan of the bus: units 1 and 2 answer, with their identity. pymodbus answers for unit 3 too, with
        // exception 04 (server device failure) to every read (found, no readable table), and its identity (one per
        // pymodbus server) to FC 43.
        let scanner = try ModbusScanner(loop: loop, endpoint: .rtu(serial), units: [1, 2, 3], timeout: .milliseconds(300))
        var found: [ModbusScanner.Unit]?
        scanner.start { found = $0 }
        TestEnvironment.run(loop, timeout: .seconds(20)) { found != nil }
        scanner.close()
        let units = try #require(found)
        #expect(units.map(\.id) == [1, 2, 3], "\(units.map { ($0.id, $0.answers.map(\.result)) })")
        for u in units {
            #expect(u.identity?.text(0x00) == "Pymodbus Inc" && u.identity?.text(0x05) == "pm-sensor")
            #expect(u.readable.count == (u.id == 3 ? 0 : 4))
        }
        withExtendedLifetime(socat) {}
    }

    @Test func pymodbusReadsOurRTUServersIdentification() throws {
        if let missing = TestEnvironment.pymodbusMissing { Issue.record(Comment(rawValue: missing)); return }
        guard let (socat, serverEnd, clientEnd) = try RTUInteropTests.ptyPair() else { return }
        let loop = try EpollLoop()
        let server = ModbusRTUServer(loop: loop, settings: SerialSettings(device: serverEnd, baud: 19200, parity: .none), unit: 4,
                                     map: MemoryRegisterMap(size: 10))
        server.setIdentity(.fieldAgent(name: "rtu-line", revision: "map 3"))
        try server.start()
        let script = """
        from pymodbus.client import ModbusSerialClient
        c = ModbusSerialClient(port="\(clientEnd)", baudrate=19200, parity="N", timeout=2, retries=1)
        assert c.connect()
        r = c.read_device_information(read_code=2, object_id=0, device_id=4)
        print("regular", r.conformity, sorted((k, v.decode()) for k, v in r.information.items()))
        r = c.read_device_information(read_code=4, object_id=0x40, device_id=4)
        print("unknown", r.isError(), getattr(r, "exception_code", None))
        c.close()
        """
        let child = try ChildProcess(TestEnvironment.python, ["-c", script])
        TestEnvironment.run(loop, timeout: .seconds(30)) { child.drain(); return !child.isRunning }
        #expect(child.exitStatus == 0, "\(child.text)")
        for line in ["regular 130 [(0, 'FieldAgent'), (1, 'fieldagent'), (2, 'map 3'), (3, 'https://fieldagent.invalid'), (4, 'FieldAgent'), (5, 'rtu-line')]",
                     "unknown True 2"] {
            #expect(child.text.contains(line), "missing '\(line)' in:\n\(child.text)")
        }
        #expect(server.requests == 2 && server.exceptions == 1)
        server.stop()
        withExtendedLifetime(socat) {}
    }
}
