import EventLoop
import Glibc
import Modbus
import Testing

/// Connection slots on real loopback sockets: strangers connect from 127.0.0.2, the trusted peer from 127.0.0.1.
@Suite struct ServerSlotTests {
    /// Log lines, collected from the server's logger.
    final class Lines: @unchecked Sendable {
        var all: [String] = []
        func count(_ event: String) -> Int { all.filter { $0.contains("event=\(event) ") }.count }
    }

    let loop = ManualLoop()
    let map = MemoryRegisterMap(size: 10)
    let lines = Lines()

    func server(max: Int, reserved: Int) throws -> ModbusTCPServer {
        let collected = lines
        let logger = Logger(minimumLevel: .info, sink: { collected.all.append($0) })
        let s = ModbusTCPServer(loop: loop, map: map,
                                configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0, maxConnections: max,
                                                                         reservedConnections: reserved),
                                logger: logger, trusted: { $0 == "127.0.0.1" })
        try s.start()
        return s
    }

    /// Lets loopback sockets do their work: `steps` × 10 ms of virtual time, ready descriptors at each step.
    func pump(_ steps: Int = 3) {
        for _ in 0..<steps {
            loop.advance(by: .milliseconds(10))
            var quiet = 0
            while quiet < 3 { quiet = loop.runReadyIO() == 0 ? quiet + 1 : 0 }
        }
    }

    /// An idle stranger's connection from 127.0.0.2 (connected once the server accepts it).
    func stranger(_ port: UInt16) throws -> Int32 {
        try TCPSocket.startConnect(to: SocketAddress(numericHost: "127.0.0.1", port: port)!, from: SocketAddress(numericHost: "127.0.0.2", port: 0)!)
    }

    /// True when the server has closed this client's connection.
    func closedByServer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
        return n == 0 || (n < 0 && errno != EAGAIN)
    }

    /// A read of holding register 0 from 127.0.0.1 by a fresh client: whether it was answered.
    func peerReads(_ port: UInt16) throws -> Bool {
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: port))
        defer { client.close() }
        var answered = false
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { if case .success = $0 { answered = true } }
        pump(5)
        return answered
    }

    @Test func strangersFillingEverySlotTheyMayUseLeaveThePeerItsReservedSlot() throws {
        let s = try server(max: 16, reserved: 4)
        var strangers: [Int32] = []
        for _ in 0..<16 { strangers.append(try stranger(s.port)) }
        defer { for fd in strangers { close(fd) } }
        pump()
        #expect(s.connections.count == 12)
        #expect(strangers.filter(closedByServer).count == 4)
        #expect(s.counters.rejected == 4)
        let peerGotIn = try peerReads(s.port)
        #expect(peerGotIn, "the peer was locked out by 16 strangers")
        #expect(s.counters.evicted == 0)
    }

    @Test func aPeerFindingEverySlotTakenGetsInByClosingTheLongestIdleStranger() throws {
        let s = try server(max: 3, reserved: 1)
        let peer = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: s.port))
        defer { peer.close() }
        var answered = 0
        peer.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { if case .success = $0 { answered += 1 } }
        pump()
        let first = try stranger(s.port)
        pump()
        let second = try stranger(s.port)
        defer { close(first); close(second) }
        pump()
        #expect(s.connections.count == 3 && answered == 1)
        // A second connection from the peer (a restarted peer whose old connection lingers) finds no slot free.
        let peerGotIn = try peerReads(s.port)
        #expect(peerGotIn)
        #expect(s.counters.evicted == 1)
        #expect(closedByServer(first) && !closedByServer(second))
        #expect(lines.count("modbus.server.evicted") == 1)
    }

    @Test func aFloodOfRefusedConnectionsIsLoggedOncePerSourceAndIntervalWithACount() throws {
        let s = try server(max: 2, reserved: 1)
        let holder = try stranger(s.port)
        defer { close(holder) }
        pump(1)
        for _ in 0..<300 {
            let fd = try stranger(s.port)
            loop.runReadyIO()
            close(fd)
        }
        pump()
        #expect(s.counters.rejected >= 290)
        #expect(lines.count("modbus.server.rejected") == 1)
        loop.advance(by: .seconds(10))
        #expect(lines.count("modbus.server.rejected") == 2)
        let summary = try #require(lines.all.last { $0.contains("event=modbus.server.rejected ") })
        #expect(summary.contains("source=127.0.0.2") && summary.contains("repeated=\(s.counters.rejected - 1)") && summary.contains("over=10s"))
        // A quiet interval later the source is forgotten: its next refusal is logged at once.
        loop.advance(by: .seconds(10))
        let again = try stranger(s.port)
        pump()
        close(again)
        #expect(lines.count("modbus.server.rejected") == 3)
    }
}
