import EventLoop
import Glibc
import Modbus
import Testing

/// A Modbus TCP server must echo the request's unit id; an answer for another unit is refused, counted and
/// never decoded as the device's data.
@Suite struct UnitIdTests {
    @Test func anAnswerCarryingAnotherUnitIdIsRefusedAndCounted() throws {
        let loop = try EpollLoop()
        // A gateway that answers every read of unit 1 with unit 7's data.
        let listener = try TCPSocket.listen(on: SocketAddress(numericHost: "127.0.0.1", port: 0)!)
        defer { close(listener) }
        let port = TCPSocket.localAddress(listener).port
        var accepted: [Int32] = []
        defer { accepted.forEach { loop.unwatch($0); close($0) } }
        var answerUnit: UInt8 = 7
        try loop.watch(listener, for: .readable) { _ in
            while let (fd, _) = TCPSocket.accept(listener) {
                accepted.append(fd)
                try? loop.watch(fd, for: .readable) { _ in
                    var buffer = [UInt8](repeating: 0, count: 260)
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    guard n >= 12 else { return }
                    var answer = Array(buffer[0..<7]) + [0x03, 0x02, 0x00, 42]
                    answer[5] = 5
                    answer[6] = answerUnit
                    _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
            }
        }
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: port),
                                      options: ModbusClientOptions(responseTimeout: .milliseconds(500), retries: 0))
        var results: [Result<ModbusResponse, ModbusError>] = []
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { results.append($0) }
        TestEnvironment.run(loop, timeout: .seconds(2)) { results.count == 1 }
        #expect(results.first == .failure(.malformedResponse("unit id 7 in the answer, expected 1")))
        #expect(client.counters.failures == 1 && client.counters.responses == 0)
        // The same gateway echoing the unit id is believed.
        answerUnit = 1
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { results.append($0) }
        TestEnvironment.run(loop, timeout: .seconds(2)) { results.count == 2 }
        #expect(results.last == .success(.registers([42])))
        loop.unwatch(listener)
    }
}
