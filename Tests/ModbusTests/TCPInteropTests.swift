import EventLoop
import Glibc
import Modbus
import Testing

/// Our TCP server and client against third-party Modbus peers: mbpoll (Debian) and pymodbus (PyPI).
@Suite struct TCPInteropTests {
    private func startServer(_ loop: EpollLoop, _ map: MemoryRegisterMap) throws -> ModbusTCPServer {
        let server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0))
        try server.start()
        return server
    }

    /// Runs `program` while the loop serves, until it exits; returns its status and output.
    private func runPeer(_ loop: EpollLoop, _ program: String, _ arguments: [String]) throws -> (Int32?, String) {
        let child = try ChildProcess(program, arguments)
        TestEnvironment.run(loop, timeout: .seconds(30)) { child.drain(); return !child.isRunning }
        return (child.exitStatus, child.text)
    }

    @Test func mbpollReadsHoldingRegistersFromOurServer() throws {
        if let missing = TestEnvironment.missing("mbpoll", install: "apt-get install mbpoll (make deps)") { Issue.record(Comment(rawValue: missing)); return }
        let loop = try EpollLoop()
        let map = MemoryRegisterMap(size: 100)
        map.holdingRegisters[0...2] = [42, 65535, 7]
        let server = try startServer(loop, map)
        let (status, output) = try runPeer(loop, "mbpoll", ["-m", "tcp", "-p", "\(server.port)", "-a", "1", "-r", "1", "-c", "3", "-1", "127.0.0.1"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("[1]: \t42"))
        #expect(output.contains("[2]: \t65535 (-1)"))
        #expect(output.contains("[3]: \t7"))
        #expect(server.counters.requests == 1)
    }

    @Test func mbpollWritesRegistersAndCoilsThatLandInTheMap() throws {
        if let missing = TestEnvironment.missing("mbpoll", install: "apt-get install mbpoll (make deps)") { Issue.record(Comment(rawValue: missing)); return }
        let loop = try EpollLoop()
        let map = MemoryRegisterMap(size: 100)
        var writes: [RegisterWrite] = []
        map.onWrite = { writes.append($0) }
        let server = try startServer(loop, map)
        let (s1, o1) = try runPeer(loop, "mbpoll", ["-m", "tcp", "-p", "\(server.port)", "-a", "1", "-r", "11", "-1", "127.0.0.1", "1234", "5678"])
        #expect(s1 == 0, "\(o1)")
        let (s2, o2) = try runPeer(loop, "mbpoll", ["-m", "tcp", "-p", "\(server.port)", "-a", "1", "-t", "0", "-r", "4", "-1", "127.0.0.1", "1"])
        #expect(s2 == 0, "\(o2)")
        #expect(Array(map.holdingRegisters[10...11]) == [1234, 5678])
        #expect(map.coils[3])
        #expect(writes.count == 2)
    }

    @Test func mbpollSeesIllegalDataAddressPastTheMap() throws {
        if let missing = TestEnvironment.missing("mbpoll", install: "apt-get install mbpoll (make deps)") { Issue.record(Comment(rawValue: missing)); return }
        let loop = try EpollLoop()
        let server = try startServer(loop, MemoryRegisterMap(size: 10))
        let (_, output) = try runPeer(loop, "mbpoll", ["-m", "tcp", "-p", "\(server.port)", "-a", "1", "-r", "9", "-c", "5", "-1", "127.0.0.1"])
        #expect(output.lowercased().contains("illegal data address"), "\(output)")
        #expect(server.counters.exceptions == 1)
    }

    @Test func pymodbusClientUsesEveryFunctionCodeOnOurServer() throws {
        if let missing = TestEnvironment.pymodbusMissing { Issue.record(Comment(rawValue: missing)); return }
        let loop = try EpollLoop()
        let map = MemoryRegisterMap(size: 100)
        map.holdingRegisters[0...3] = [10, 11, 12, 13]
        map.inputRegisters[5] = 555
        map.discreteInputs[2] = true
        let server = try startServer(loop, map)
        let script = """
        from pymodbus.client import ModbusTcpClient
        c = ModbusTcpClient("127.0.0.1", port=\(server.port))
        assert c.connect()
        print("fc3", c.read_holding_registers(0, count=4).registers)
        print("fc4", c.read_input_registers(5, count=1).registers)
        print("fc2", c.read_discrete_inputs(0, count=3).bits[:3])
        print("fc5", not c.write_coil(7, True).isError())
        print("fc1", c.read_coils(6, count=2).bits[:2])
        print("fc6", not c.write_register(20, 4321).isError())
        print("fc16", not c.write_registers(30, [1, 2, 3]).isError())
        print("fc15", not c.write_coils(40, [True, False, True]).isError())
        print("fc23", c.readwrite_registers(read_address=29, read_count=3, write_address=50, values=[9, 8]).registers)
        r = c.read_holding_registers(99, count=5)
        print("exc", r.isError(), getattr(r, "exception_code", None))
        c.close()
        """
        let (status, output) = try runPeer(loop, TestEnvironment.python, ["-c", script])
        #expect(status == 0, "\(output)")
        for line in ["fc3 [10, 11, 12, 13]", "fc4 [555]", "fc2 [False, False, True]", "fc5 True", "fc1 [False, True]",
                     "fc6 True", "fc16 True", "fc15 True", "fc23 [0, 1, 2]", "exc True 2"] {
            #expect(output.contains(line), "missing '\(line)' in:\n\(output)")
        }
        #expect(map.holdingRegisters[20] == 4321 && Array(map.holdingRegisters[50...51]) == [9, 8])
        #expect(map.coils[40] && !map.coils[41] && map.coils[42])
    }

    @Test func ourPollerReadsAPymodbusSensorAndFollowsItDownAndBack() throws {
        if let missing = TestEnvironment.pymodbusMissing { Issue.record(Comment(rawValue: missing)); return }
        let port = TestEnvironment.freePort()
        let serverScript = TestEnvironment.root + "/Bench/modbus_pymodbus_server.py"
        var sensor: ChildProcess? = try ChildProcess(TestEnvironment.python, [serverScript, "--tcp", "\(port)"])
        #expect(TestEnvironment.waitForListener(port: port), "pymodbus server did not start: \(sensor!.text)")

        let loop = try EpollLoop()
        try sensor!.drain(on: loop)
        let device = ModbusDeviceConfig(
            name: "sensor", endpoint: .tcp(host: "127.0.0.1", port: port), unit: 1,
            options: ModbusClientOptions(responseTimeout: .milliseconds(300), connectTimeout: .milliseconds(300), retries: 0,
                                         backoff: .milliseconds(50), maxBackoff: .milliseconds(200)),
            downAfterFailures: 2,
            points: [
                ModbusPointConfig(name: "temperature", table: .inputRegisters, address: 0, codec: PointCodec(type: .float32), pollInterval: .milliseconds(50)),
                ModbusPointConfig(name: "counter", table: .holdingRegisters, address: 3, count: 2, codec: PointCodec(type: .uint16, scale: 0.5), pollInterval: .milliseconds(50)),
                ModbusPointConfig(name: "setpoint", table: .holdingRegisters, address: 150, codec: PointCodec(type: .uint16), pollInterval: .milliseconds(50), writable: true),
            ])
        let poller = try ModbusPoller(loop: loop, devices: [device])
        var states: [LinkState] = []
        poller.onLinkChange = { _, s in states.append(s) }
        poller.start()

        #expect(TestEnvironment.run(loop, timeout: .seconds(5)) { poller.latest(device: "sensor", point: "counter") != nil && poller.latest(device: "sensor", point: "temperature") != nil })
        #expect(poller.latest(device: "sensor", point: "temperature")?.value == 21.5)
        #expect(poller.latest(device: "sensor", point: "counter")?.values == [501.5, 502])
        var wrote: Result<Void, ModbusError>?
        poller.write(device: "sensor", point: "setpoint", values: [777]) { wrote = $0 }
        #expect(TestEnvironment.run(loop, timeout: .seconds(5)) { wrote != nil && poller.latest(device: "sensor", point: "setpoint")?.value == 777 })
        #expect(poller.link(of: "sensor")?.state == .up)

        sensor = nil  // killed
        #expect(TestEnvironment.run(loop, timeout: .seconds(5)) { poller.link(of: "sensor")?.state == .down })

        sensor = try ChildProcess(TestEnvironment.python, [serverScript, "--tcp", "\(port)"])
        try sensor!.drain(on: loop)
        #expect(TestEnvironment.waitForListener(port: port))
        #expect(TestEnvironment.run(loop, timeout: .seconds(10)) { poller.link(of: "sensor")?.state == .up })
        #expect(states.first == .up && states.contains(.down) && states.last == .up, "\(states)")
        poller.stop()
        withExtendedLifetime(sensor) {}
    }

    @Test func pymodbusClientReadsOurDeviceIdentification() throws {
        if let missing = TestEnvironment.pymodbusMissing { Issue.record(Comment(rawValue: missing)); return }
        let loop = try EpollLoop()
        let server = try startServer(loop, MemoryRegisterMap(size: 10))
        server.setIdentity(.fieldAgent(name: "line-a", revision: "map 2"))
        let script = """
        from pymodbus.client import ModbusTcpClient
        c = ModbusTcpClient("127.0.0.1", port=\(server.port))
        assert c.connect()
        for code in (1, 2):
            r = c.read_device_information(read_code=code, object_id=0)
            print("code", code, r.conformity, sorted((k, v.decode()) for k, v in r.information.items()))
        r = c.read_device_information(read_code=4, object_id=5)
        print("one", r.information[5].decode())
        r = c.read_device_information(read_code=4, object_id=0x40)
        print("unknown", r.isError(), getattr(r, "exception_code", None))
        c.close()
        """
        let (status, output) = try runPeer(loop, TestEnvironment.python, ["-c", script])
        #expect(status == 0, "\(output)")
        for line in ["code 1 130 [(0, 'FieldAgent'), (1, 'fieldagent'), (2, 'map 2')]",
                     "code 2 130 [(0, 'FieldAgent'), (1, 'fieldagent'), (2, 'map 2'), (3, 'https://fieldagent.invalid'), (4, 'FieldAgent'), (5, 'line-a')]",
                     "one line-a", "unknown True 2"] {
            #expect(output.contains(line), "missing '\(line)' in:\n\(output)")
        }
    }

    @Test func ourClientReadsAPymodbusServersDeviceIdentification() throws {
        if let missing = TestEnvironment.pymodbusMissing { Issue.record(Comment(rawValue: missing)); return }
        let port = TestEnvironment.freePort()
        let script = """
        import asyncio
        from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
        from pymodbus.pdu.device import ModbusDeviceIdentification
        from pymodbus.server import StartAsyncTcpServer
        def block(): return ModbusSequentialDataBlock(1, [0] * 10)
        device = ModbusDeviceContext(di=block(), co=block(), hr=block(), ir=block())
        context = ModbusServerContext(devices={1: device}, single=False)
        identity = ModbusDeviceIdentification(info_name={"VendorName": "Pymodbus Inc", "ProductCode": "PM-7", "MajorMinorRevision": "3.16", "ModelName": "pm-sensor"})
        asyncio.run(StartAsyncTcpServer(context=context, identity=identity, address=("127.0.0.1", \(port))))
        """
        let peer = try ChildProcess(TestEnvironment.python, ["-c", script])
        #expect(TestEnvironment.waitForListener(port: port), "pymodbus server did not start: \(peer.text)")
        let loop = try EpollLoop()
        try peer.drain(on: loop)
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: port), options: ModbusClientOptions())
        var answers: [Result<ModbusResponse, ModbusError>] = []
        for (code, object) in [(UInt8(1), UInt8(0)), (2, 0), (4, 0x05)] {
            client.send(.readDeviceIdentification(readCode: code, objectId: object), unit: 1) { answers.append($0) }
        }
        #expect(TestEnvironment.run(loop, timeout: .seconds(5)) { answers.count == 3 })
        client.close()
        guard answers.count == 3, case .success(.deviceIdentification(let basic)) = answers[0],
              case .success(.deviceIdentification(let regular)) = answers[1],
              case .success(.deviceIdentification(let one)) = answers[2] else {
            Issue.record("answers: \(answers)"); return
        }
        #expect(basic.text(0x00) == "Pymodbus Inc" && basic.text(0x01) == "PM-7" && basic.text(0x02) == "3.16")
        #expect(basic.objects.count == 3 && basic.nextObjectId == nil)
        #expect(regular.text(0x05) == "pm-sensor")
        #expect(one.objects.map(\.id) == [0x05])
        withExtendedLifetime(peer) {}
    }
}
