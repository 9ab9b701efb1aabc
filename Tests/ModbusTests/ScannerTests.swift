import EventLoop
import Glibc
import Modbus
import Testing

/// `fieldagent modbus scan`: the unit ids a server answers for and what each table gives, on loopback.
@Suite struct ScannerTests {
    @Test func theScanFindsTheServedUnitsAndWhatEachTableAnswers() throws {
        let loop = try EpollLoop()
        // Units 1 and 3 only; holding registers and coils mapped, no input registers or discrete inputs.
        let map = MemoryRegisterMap(coils: 4, discreteInputs: 0, holdingRegisters: 4, inputRegisters: 0)
        let server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0, units: [1, 3]))
        server.setIdentity(.fieldAgent(name: "line-a", revision: "map 2"))
        try server.start()
        defer { server.stop() }
        let scanner = try ModbusScanner(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: server.port), units: [1, 2, 3, 4])
        var found: [ModbusScanner.Unit]?
        scanner.start { found = $0 }
        TestEnvironment.run(loop, timeout: .seconds(5)) { found != nil }
        scanner.close()
        let units = try #require(found)
        #expect(scanner.error == nil)
        #expect(units.map(\.id) == [1, 3])
        for u in units {
            #expect(u.answers.map(\.result) == ["ok", "exception illegal-data-address (2)", "ok", "exception illegal-data-address (2)"])
            #expect(u.readable == [.holdingRegisters, .coils])
            #expect(u.responseTime > .zero)
            #expect(u.identity?.text(0x00) == "FieldAgent" && u.identity?.text(0x05) == "line-a")
        }
    }

    @Test func anEndpointNobodyListensOnStopsTheScanWithTheReason() throws {
        let loop = try EpollLoop()
        let listener = try TCPSocket.listen(on: SocketAddress(numericHost: "127.0.0.1", port: 0)!)
        let port = TCPSocket.localAddress(listener).port
        close(listener)   // the port is free again: connections are refused
        let scanner = try ModbusScanner(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: port), units: [1, 2])
        var found: [ModbusScanner.Unit]?
        scanner.start { found = $0 }
        TestEnvironment.run(loop, timeout: .seconds(5)) { found != nil }
        scanner.close()
        #expect(found == [])
        #expect(scanner.error != nil)
    }
}
