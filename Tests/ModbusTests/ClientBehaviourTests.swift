import EventLoop
import Glibc
import Modbus
import Testing

/// The client against devices that misbehave: silent, unreachable, closing mid-frame.
@Suite struct ClientBehaviourTests {
    @Test func aSilentDeviceTimesOutAfterItsRetriesWithBackoff() throws {
        let loop = try EpollLoop()
        // The kernel completes connections to a listener nobody accepts from: connected, never answered.
        let listener = try TCPSocket.listen(on: SocketAddress(numericHost: "127.0.0.1", port: 0)!)
        defer { close(listener) }
        let port = TCPSocket.localAddress(listener).port
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: port),
                                      options: ModbusClientOptions(responseTimeout: .milliseconds(100), retries: 2, backoff: .milliseconds(50)))
        var result: Result<ModbusResponse, ModbusError>?
        let started = loop.preciseNow()
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { result = $0 }
        TestEnvironment.run(loop, timeout: .seconds(3)) { result != nil }
        let elapsed = loop.preciseNow() - started
        #expect(result == .failure(.timeout))
        #expect(client.counters.retries == 2 && client.counters.timeouts == 1)
        // 3 × 100 ms waiting + 50 ms and 100 ms of backoff.
        #expect(elapsed >= .milliseconds(450) && elapsed < .milliseconds(1500), "\(elapsed)")
    }

    @Test func aHostThatDropsConnectionAttemptsHitsTheConnectTimeout() throws {
        let loop = try EpollLoop()
        // A listener with a full accept queue drops further SYNs, like a host that drops packets.
        let listener = try TCPSocket.listen(on: SocketAddress(numericHost: "127.0.0.1", port: 0)!, backlog: 0)
        defer { close(listener) }
        let address = TCPSocket.localAddress(listener)
        let fillers = (0..<4).compactMap { _ in try? TCPSocket.startConnect(to: address) }
        defer { fillers.forEach { close($0) } }
        TestEnvironment.run(loop, timeout: .milliseconds(50)) { false }
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: address.port),
                                      options: ModbusClientOptions(connectTimeout: .milliseconds(200), retries: 0))
        var result: Result<ModbusResponse, ModbusError>?
        let started = loop.preciseNow()
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { result = $0 }
        TestEnvironment.run(loop, timeout: .seconds(3)) { result != nil }
        let elapsed = loop.preciseNow() - started
        guard case .failure(.connectFailed(let why)) = result else {
            Issue.record("expected a connect failure, got \(String(describing: result))")
            return
        }
        #expect(why.contains("within"), "\(why)")
        #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(1), "\(elapsed)")
    }

    @Test func aPeerClosingMidFrameFailsTheRequestAndTheNextOneReconnects() throws {
        let loop = try EpollLoop()
        let map = MemoryRegisterMap(size: 10)
        map.holdingRegisters[0] = 99
        // A fake device: the first connection gets half an answer, then a close; later ones are served properly.
        let listener = try TCPSocket.listen(on: SocketAddress(numericHost: "127.0.0.1", port: 0)!)
        defer { close(listener) }
        let port = TCPSocket.localAddress(listener).port
        var accepted: [Int32] = []
        defer { accepted.forEach { close($0) } }
        var served = 0
        try loop.watch(listener, for: .readable) { _ in
            while let (fd, _) = TCPSocket.accept(listener) {
                accepted.append(fd)
                let first = accepted.count == 1
                try? loop.watch(fd, for: .readable) { _ in
                    var buffer = [UInt8](repeating: 0, count: 260)
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    guard n >= 12 else { loop.unwatch(fd); return }
                    var answer = Array(buffer[0..<7]) + [0x03, 0x02, 0x00, 99]
                    answer[5] = 5
                    if first {
                        _ = answer.prefix(9).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        loop.unwatch(fd)
                        shutdown(fd, Int32(SHUT_RDWR))
                    } else {
                        served += 1
                        _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    }
                }
            }
        }
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: port),
                                      options: ModbusClientOptions(responseTimeout: .milliseconds(500), retries: 0))
        var results: [Result<ModbusResponse, ModbusError>] = []
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { results.append($0) }
        TestEnvironment.run(loop, timeout: .seconds(2)) { results.count == 1 }
        #expect(results.first == .failure(.disconnected("peer closed mid-frame")))
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { results.append($0) }
        TestEnvironment.run(loop, timeout: .seconds(2)) { results.count == 2 }
        #expect(results.last == .success(.registers([99])))
        #expect(client.counters.connects == 2 && served == 1)
        loop.unwatch(listener)
    }

    @Test func aFullQueueRefusesMoreRequestsAtOnce() throws {
        let loop = try EpollLoop()
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: 9), options: ModbusClientOptions(maxQueue: 2))
        var results: [Result<ModbusResponse, ModbusError>] = []
        for _ in 0..<3 { client.send(.read(table: .coils, address: 0, count: 1), unit: 1) { results.append($0) } }
        TestEnvironment.run(loop, timeout: .seconds(2)) { results.count == 3 }
        #expect(results.first == .failure(.queueFull))
    }
}

@Suite struct LinkTrackerTests {
    @Test func aDeviceIsDownUntilItAnswersThenStaleThenDownAsFailuresMount() {
        var link = DeviceLinkTracker(staleAfter: .seconds(3), downAfterFailures: 3)
        let t0 = Instant(nanoseconds: 1_000_000_000)
        #expect(link.state == .down)
        #expect(link.recordSuccess(at: t0) == .up)
        #expect(link.evaluate(at: t0 + .seconds(2)) == nil)
        #expect(link.evaluate(at: t0 + .seconds(4)) == .stale)
        #expect(link.recordSuccess(at: t0 + .seconds(5)) == .up)
        #expect(link.recordFailure(at: t0 + .seconds(6)) == .stale)
        #expect(link.recordFailure(at: t0 + .seconds(7)) == nil)
        #expect(link.recordFailure(at: t0 + .seconds(8)) == .down)
        #expect(link.lastSeen == t0 + .seconds(5))
        #expect(link.recordSuccess(at: t0 + .seconds(9)) == .up && link.consecutiveFailures == 0)
    }

    @Test func retriesBackOffExponentiallyUpToTheCap() {
        let o = ModbusClientOptions(backoff: .milliseconds(100), maxBackoff: .milliseconds(500))
        #expect((1...5).map { o.backoff(forAttempt: $0) } == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500)])
    }

    @Test func endpointsParseFromTheirURLForms() throws {
        #expect(try ModbusEndpoint.parse("tcp://192.168.1.20:1502") == .tcp(host: "192.168.1.20", port: 1502))
        #expect(try ModbusEndpoint.parse("tcp://[::1]") == .tcp(host: "::1", port: 502))
        #expect(try ModbusEndpoint.parse("rtu:/dev/ttyUSB0?baud=9600&parity=N&stop=2") == .rtu(SerialSettings(device: "/dev/ttyUSB0", baud: 9600, parity: .none, stopBits: 2)))
        #expect(throws: ModbusEndpoint.ParseError.self) { try ModbusEndpoint.parse("rtu:/dev/ttyS0?baud=12345") }
        #expect(throws: ModbusEndpoint.ParseError.self) { try ModbusEndpoint.parse("udp://x") }
    }
}
