import EventLoop
import Glibc
import Modbus
import Testing

/// Modbus RTU over a virtual serial line: a socat pseudo-terminal pair, with pymodbus, mbpoll or our own
/// RTU server on the far end.
@Suite struct RTUInteropTests {
    /// A pty pair; returns socat (keep it alive) and the two device paths.
    static func ptyPair() throws -> (ChildProcess, String, String)? {
        if let missing = TestEnvironment.missing("socat", install: "apt-get install socat (make deps)") {
            Issue.record(Comment(rawValue: missing))
            return nil
        }
        let dir = TestEnvironment.temporaryDirectory()
        let a = dir + "/a", b = dir + "/b"
        let socat = try ChildProcess("socat", ["pty,raw,echo=0,link=\(a)", "pty,raw,echo=0,link=\(b)"])
        guard TestEnvironment.waitForFile(a) && TestEnvironment.waitForFile(b) else {
            Issue.record("socat made no pty pair: \(socat.text)")
            return nil
        }
        return (socat, a, b)
    }

    @Test func ourPollerReadsTwoPymodbusUnitsOnOneBusInTurn() throws {
        if let missing = TestEnvironment.pymodbusMissing { Issue.record(Comment(rawValue: missing)); return }
        guard let (socat, sensorEnd, ourEnd) = try Self.ptyPair() else { return }
        let sensor = try ChildProcess(TestEnvironment.python, [TestEnvironment.root + "/Bench/modbus_pymodbus_server.py", "--rtu", sensorEnd, "--parity", "N", "--units", "1,2"])
        let loop = try EpollLoop()
        try sensor.drain(on: loop)
        // Linux ptys refuse parity through pyserial, so this line runs 8N1.
        let serial = SerialSettings(device: ourEnd, baud: 19200, parity: .none)
        let options = ModbusClientOptions(responseTimeout: .milliseconds(500), retries: 1, backoff: .milliseconds(100))
        let devices = [1, 2].map { unit in
            ModbusDeviceConfig(name: "unit\(unit)", endpoint: .rtu(serial), unit: UInt8(unit), options: options, points: [
                ModbusPointConfig(name: "regs", table: .holdingRegisters, address: 0, count: 2, codec: PointCodec(type: .uint16), pollInterval: .milliseconds(50)),
                ModbusPointConfig(name: "temp", table: .inputRegisters, address: 0, codec: PointCodec(type: .float32), pollInterval: .milliseconds(50)),
            ])
        }
        let poller = try ModbusPoller(loop: loop, devices: devices)
        var samples = 0
        poller.onSample = { _ in samples += 1 }
        poller.start()
        // pymodbus needs a moment to open the port; the poller retries until it answers.
        let ok = TestEnvironment.run(loop, timeout: .seconds(20)) { samples >= 12 && poller.latest(device: "unit2", point: "temp") != nil }
        #expect(ok, "pymodbus output: \(sensor.text)")
        #expect(poller.latest(device: "unit1", point: "regs")?.values == [1000, 1001])
        #expect(poller.latest(device: "unit2", point: "regs")?.values == [2000, 2001])
        #expect(poller.latest(device: "unit2", point: "temp")?.value == 21.5)
        #expect(poller.link(of: "unit1")?.state == .up && poller.link(of: "unit2")?.state == .up)
        poller.stop()
        withExtendedLifetime(socat) {}
    }

    @Test func mbpollReadsAndWritesOurRTUServer() throws {
        if let missing = TestEnvironment.missing("mbpoll", install: "apt-get install mbpoll (make deps)") { Issue.record(Comment(rawValue: missing)); return }
        guard let (socat, serverEnd, clientEnd) = try Self.ptyPair() else { return }
        let loop = try EpollLoop()
        let map = MemoryRegisterMap(size: 100)
        map.holdingRegisters[0...1] = [321, 654]
        let server = ModbusRTUServer(loop: loop, settings: SerialSettings(device: serverEnd, baud: 19200, parity: .even), unit: 5, map: map)
        try server.start()
        for args in [["-r", "1", "-c", "2"], ["-r", "21", "99", "98"]] {
            let mbpoll = try ChildProcess("mbpoll", ["-m", "rtu", "-b", "19200", "-P", "even", "-a", "5", "-1", "-t", "4"] + args.prefix(2) + (args.count == 4 ? [] : ["-c", "2"]) + [clientEnd] + args.dropFirst(2))
            TestEnvironment.run(loop, timeout: .seconds(20)) { mbpoll.drain(); return !mbpoll.isRunning }
            #expect(mbpoll.exitStatus == 0, "\(mbpoll.text)")
            if args.count == 4 { continue }
            #expect(mbpoll.text.contains("[1]: \t321") && mbpoll.text.contains("[2]: \t654"), "\(mbpoll.text)")
        }
        #expect(Array(map.holdingRegisters[20...21]) == [99, 98])
        server.stop()
        withExtendedLifetime(socat) {}
    }

    @Test func ourClientGetsExceptionsAndValuesFromOurRTUServerThroughNoise() throws {
        guard let (socat, serverEnd, clientEnd) = try Self.ptyPair() else { return }
        let loop = try EpollLoop()
        let map = MemoryRegisterMap(size: 10)
        map.holdingRegisters[0] = 0xBEEF
        let server = ModbusRTUServer(loop: loop, settings: SerialSettings(device: serverEnd), unit: 3, map: map)
        try server.start()
        // Noise on the line before the first request.
        let fd = open(clientEnd, O_RDWR | O_NOCTTY)
        _ = write(fd, [UInt8]([0x55, 0xAA, 0x03]), 3)
        close(fd)
        let client = try ModbusClient(loop: loop, endpoint: .rtu(SerialSettings(device: clientEnd)), options: ModbusClientOptions(responseTimeout: .milliseconds(300), retries: 1))
        var results: [Result<ModbusResponse, ModbusError>] = []
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 3) { results.append($0) }
        client.send(.read(table: .holdingRegisters, address: 9, count: 2), unit: 3) { results.append($0) }
        client.send(.writeSingleCoil(address: 1, value: true), unit: 3) { results.append($0) }
        client.send(.writeSingleRegister(address: 2, value: 7), unit: 0) { results.append($0) }  // broadcast
        client.send(.read(table: .holdingRegisters, address: 2, count: 1), unit: 3) { results.append($0) }
        #expect(TestEnvironment.run(loop, timeout: .seconds(10)) { results.count == 5 })
        #expect(results.count == 5)
        if results.count == 5 {
            #expect(results[0] == .success(.registers([0xBEEF])))
            #expect(results[1] == .failure(.exception(.illegalDataAddress)))
            #expect(results[2] == .success(.written(address: 1, count: 1)))
            #expect(results[3] == .success(.written(address: 2, count: 1)))
            #expect(results[4] == .success(.registers([7])))
        }
        #expect(map.coils[1])
        #expect(server.requests == 4)  // the broadcast is applied, not answered
        withExtendedLifetime(socat) {}
    }
}
