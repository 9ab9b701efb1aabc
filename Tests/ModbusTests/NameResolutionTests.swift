import EventLoop
import Glibc
import Modbus
import Testing

/// Host names resolve off the loop: a silent or failing DNS never blocks it, and the device is down with the
/// reason until the name resolves.
@Suite struct NameResolutionTests {
    /// A DNS that takes `delay` to answer on the helper thread, then gives `answer` (127.0.0.1 by default).
    static func slowDNS(_ delay: Duration, answer: String? = "127.0.0.1") -> NameResolver.Resolve {
        { _, port in
            var ts = timespec(tv_sec: Int(delay.nanoseconds / 1_000_000_000), tv_nsec: Int(delay.nanoseconds % 1_000_000_000))
            nanosleep(&ts, nil)  // the helper thread plays a silent resolver; the loop thread never waits for it
            guard let answer, let address = SocketAddress(numericHost: answer, port: port) else {
                return .failure(NameResolver.Failure("Temporary failure in name resolution"))
            }
            return .success(address)
        }
    }

    /// Counts how late a 10 ms ticker on `loop` ran, the worst case.
    final class Ticker {
        private(set) var worst: Duration = .zero
        private(set) var ticks = 0
        init(_ loop: EpollLoop) { tick(loop, due: loop.now + .milliseconds(10)) }
        private func tick(_ loop: EpollLoop, due: Instant) {
            loop.schedule(at: due) { [self] in
                worst = max(worst, loop.preciseNow() - due)
                ticks += 1
                tick(loop, due: due + .milliseconds(10))
            }
        }
    }

    @Test func aSilentResolverDoesNotBlockTheLoopAndTheFirstRequestWaitsForItsAnswer() throws {
        let loop = try EpollLoop()
        let map = MemoryRegisterMap(size: 4)
        map.holdingRegisters[0] = 42
        let server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0))
        try server.start()
        var options = ModbusClientOptions()
        options.retries = 0
        options.backoff = .milliseconds(50)
        options.maxBackoff = .milliseconds(50)
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "plc.example", port: server.port), options: options,
                                      resolver: NameResolver(loop: loop, resolve: Self.slowDNS(.milliseconds(800))))
        defer { client.close() }
        var resolved: SocketAddress?
        client.onResolved = { resolved = $0 }
        let ticker = Ticker(loop)
        var value: [UInt16]?
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { if case .success(.registers(let r)) = $0 { value = r } }
        TestEnvironment.run(loop, timeout: .milliseconds(300)) { false }
        #expect(value == nil && client.problem == "resolving plc.example")   // the request waits for the first answer
        #expect(ticker.worst < .milliseconds(200) * TestEnvironment.slowdown, "the loop waited for the resolver")
        TestEnvironment.run(loop, timeout: .seconds(3)) { value != nil }
        #expect(value == [42])
        #expect(resolved?.host == "127.0.0.1")
        #expect(client.problem == nil)
        #expect(ticker.worst < .milliseconds(200) * TestEnvironment.slowdown, "the loop waited for the resolver")
        #expect(ticker.ticks > 50)
    }

    @Test func aNameThatDoesNotResolveIsRetriedWithBackoffAndTheReasonIsKept() throws {
        let loop = try EpollLoop()
        let calls = Counter()
        let resolver = NameResolver(loop: loop) { _, _ in
            calls.add()
            return .failure(NameResolver.Failure("Name or service not known"))
        }
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "plc.invalid", port: 502), resolver: resolver)
        defer { client.close() }
        var failure: ModbusError?
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { if case .failure(let e) = $0 { failure = e } }
        TestEnvironment.run(loop, timeout: .milliseconds(1500)) { false }
        #expect(failure == .connectFailed("cannot resolve plc.invalid: Name or service not known; retrying in 1 s"))
        #expect(client.problem == "cannot resolve plc.invalid: Name or service not known; retrying in 2 s")
        #expect(calls.value == 2)   // at once, then 1 s later; the next one 2 s after that
    }

    @Test func aNumericHostNeedsNoLookup() throws {
        let loop = try EpollLoop()
        let calls = Counter()
        let resolver = NameResolver(loop: loop) { _, _ in
            calls.add()
            return .failure(NameResolver.Failure("not called"))
        }
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: 502), resolver: resolver)
        #expect(client.problem == nil)
        client.close()
        #expect(calls.value == 0)
    }

    @Test func theSystemResolverAnswersFromItsHelperThread() throws {
        let loop = try EpollLoop()
        let resolver = NameResolver(loop: loop)
        var answer: Result<SocketAddress, NameResolver.Failure>?
        resolver.lookup(host: "localhost", port: 1502) { answer = $0 }
        TestEnvironment.run(loop, timeout: .seconds(5)) { answer != nil }
        let resolved = try? answer?.get()
        let address = try #require(resolved)
        #expect(address.port == 1502)
        #expect(address.host == "127.0.0.1" || address.host == "::1")
    }

    /// Counts calls made on helper threads.
    final class Counter: @unchecked Sendable {
        private var lock = pthread_mutex_t()
        private var count = 0
        init() { pthread_mutex_init(&lock, nil) }
        deinit { pthread_mutex_destroy(&lock) }
        func add() { pthread_mutex_lock(&lock); count += 1; pthread_mutex_unlock(&lock) }
        var value: Int { pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }; return count }
    }
}

/// A name with several addresses: a refused connect moves the next open on to the next address.
@Suite struct SeveralAddressesTests {
    @Test func aRefusedFirstAddressIsFollowedByTheNextOne() throws {
        let loop = try EpollLoop()
        let map = MemoryRegisterMap(size: 4)
        map.holdingRegisters[0] = 42
        let server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0))
        try server.start()
        // 127.0.0.2 is loopback too, but nothing listens there: its connect is refused at once.
        let resolver = NameResolver(loop: loop, resolveAll: { _, port in
            .success([SocketAddress(numericHost: "127.0.0.2", port: port)!, SocketAddress(numericHost: "127.0.0.1", port: port)!])
        })
        var options = ModbusClientOptions()
        options.retries = 0
        options.backoff = .milliseconds(20)
        options.maxBackoff = .milliseconds(20)
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "plc.example", port: server.port), options: options, resolver: resolver)
        defer { client.close() }
        var resolved: [String] = []
        client.onResolved = { resolved.append($0.host) }
        var outcomes: [String] = []
        func ask() {
            client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { result in
                switch result {
                case .success(.registers(let r)): outcomes.append("value \(r)")
                case .failure(let error):
                    outcomes.append("\(error)")
                    loop.schedule(after: .milliseconds(30)) { ask() }   // after the client's 20 ms backoff
                default: outcomes.append("other")
                }
            }
        }
        ask()
        TestEnvironment.run(loop, timeout: .seconds(5)) { outcomes.last?.hasPrefix("value") ?? false }
        #expect(resolved == ["127.0.0.2", "127.0.0.1"])
        #expect(outcomes.count == 2, "\(outcomes)")
        #expect(outcomes.first?.contains("127.0.0.2") ?? false, "\(outcomes)")
        #expect(outcomes.last == "value [42]")
    }
}
