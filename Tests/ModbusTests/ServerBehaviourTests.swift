import EventLoop
import Glibc
import Modbus
import Testing

/// The TCP server's handling of awkward clients, on real loopback sockets.
@Suite struct ServerBehaviourTests {
    let loop: EpollLoop
    let map = MemoryRegisterMap(size: 100)

    init() throws {
        loop = try EpollLoop()
        map.holdingRegisters[0...1] = [0x1234, 0x5678]
    }

    private func server(_ configuration: ModbusServerConfiguration = ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0),
                        authorize: WriteAuthorizer? = nil) throws -> ModbusTCPServer {
        var c = configuration
        c.bindAddress = "127.0.0.1"
        c.port = 0
        let s = ModbusTCPServer(loop: loop, map: map, configuration: c, authorize: authorize)
        try s.start()
        return s
    }

    private func settle(_ time: Duration = .milliseconds(20)) {
        TestEnvironment.run(loop, timeout: time) { false }
    }

    @Test func aRequestTrickledOneByteAtATimeIsAnsweredOnlyWhenComplete() throws {
        let s = try server()
        let client = RawClient(port: s.port)
        let request = RawClient.frame(.read(table: .holdingRegisters, address: 0, count: 2), transaction: 0x0102)
        for b in request.dropLast() {
            client.send([b])
            settle(.milliseconds(2))
            #expect(client.receive().bytes.isEmpty)
        }
        client.send([request.last!])
        settle()
        #expect(client.receive().bytes == [0x01, 0x02, 0, 0, 0, 7, 1, 0x03, 0x04, 0x12, 0x34, 0x56, 0x78])
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let s = try server()
        let client = RawClient(port: s.port)
        var burst: [UInt8] = []
        for t in 1...60 { burst += RawClient.frame(.read(table: .holdingRegisters, address: 1, count: 1), transaction: UInt16(t)) }
        client.send(burst)
        var answers: [UInt8] = []
        TestEnvironment.run(loop, timeout: .seconds(2)) { answers += client.receive().bytes; return answers.count >= 60 * 11 }
        #expect(answers.count == 60 * 11)
        let transactions = stride(from: 0, to: answers.count, by: 11).map { UInt16(answers[$0]) << 8 | UInt16(answers[$0 + 1]) }
        #expect(transactions == Array(1...60))
    }

    @Test(arguments: [
        [UInt8]([0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x01]),  // protocol id 1
        [0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01],                                        // length 1
        [0x00, 0x01, 0x00, 0x00, 0x01, 0x00],                                              // length 256
    ])
    func aMalformedMBAPHeaderClosesTheConnection(bytes: [UInt8]) throws {
        let s = try server()
        let client = RawClient(port: s.port)
        client.send(bytes)
        var closed = false
        TestEnvironment.run(loop, timeout: .seconds(2)) { closed = client.receive().closed; return closed }
        #expect(closed)
        #expect(s.counters.malformed == 1)
        #expect(s.connections.isEmpty)
    }

    @Test func anUnknownFunctionGetsAnExceptionAndTheConnectionStays() throws {
        let s = try server()
        let client = RawClient(port: s.port)
        client.send([0, 9, 0, 0, 0, 3, 1, 0x41, 0x00])
        settle()
        #expect(client.receive() == ([0, 9, 0, 0, 0, 3, 1, 0xC1, 0x01], false))
        #expect(s.counters.exceptions == 1 && s.connections.count == 1)
    }

    @Test func connectionsBeyondTheLimitAreClosedAtOnce() throws {
        let s = try server(ModbusServerConfiguration(maxConnections: 2))
        let clients = (0..<3).map { _ in RawClient(port: s.port) }
        settle()
        #expect(s.counters.accepted == 2 && s.counters.rejected == 1)
        #expect(clients[2].receive().closed)
        clients[0].send(RawClient.frame(.read(table: .holdingRegisters, address: 0, count: 1)))
        settle()
        #expect(clients[0].receive().bytes.count == 11)
    }

    @Test func aClientThatNeverCompletesARequestIsClosedAfterTheIdleTimeout() throws {
        let s = try server(ModbusServerConfiguration(idleTimeout: .milliseconds(150)))
        let silent = RawClient(port: s.port)
        let trickler = RawClient(port: s.port)
        var closed = false
        let started = loop.preciseNow()
        trickler.send([0, 1, 0, 0, 0, 254, 1])  // a header announcing 253 bytes of PDU
        var lastByte = started
        TestEnvironment.run(loop, timeout: .seconds(3)) {
            if loop.preciseNow() - lastByte >= .milliseconds(20) {
                trickler.send([3])  // a byte every 20 ms: never a whole frame in time
                lastByte = loop.now
            }
            closed = silent.receive().closed && trickler.receive().closed
            return closed
        }
        #expect(closed)
        #expect(loop.preciseNow() - started >= .milliseconds(150))
        #expect(s.counters.idleClosed == 2)
    }

    @Test func theWriteAuthorizerSeesTheClientAndCanCloseIt() throws {
        var seen: [String] = []
        let s = try server(authorize: { client, unit, write in
            seen.append("\(client.host) \(unit) \(write.address)")
            return write.address == 99 ? .close : .reject(.illegalDataAddress)
        })
        let client = RawClient(port: s.port)
        client.send(RawClient.frame(.writeSingleRegister(address: 5, value: 1)))
        settle()
        #expect(client.receive().bytes.suffix(2) == [0x86, 0x02])
        client.send(RawClient.frame(.writeSingleRegister(address: 99, value: 1), unit: 7))
        var closed = false
        TestEnvironment.run(loop, timeout: .seconds(1)) { closed = client.receive().closed; return closed }
        #expect(closed)
        #expect(seen == ["127.0.0.1 1 5", "127.0.0.1 7 99"])
        #expect(s.counters.refusedWrites == 1 && map.holdingRegisters[5] == 0)
    }

    @Test func unitsOutsideTheServedSetGetGatewayPathUnavailable() throws {
        let s = try server(ModbusServerConfiguration(units: [1]))
        let client = RawClient(port: s.port)
        client.send(RawClient.frame(.read(table: .holdingRegisters, address: 0, count: 1), unit: 2))
        settle()
        #expect(client.receive().bytes.suffix(2) == [0x83, 0x0A])
    }
}
