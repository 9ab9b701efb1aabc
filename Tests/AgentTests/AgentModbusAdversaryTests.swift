import Agent
import Boards
import Config
import EventLoop
import GPIO
import Glibc
import Modbus
import Testing

/// The agent keeps working while Modbus peers misbehave (the correctness side of `make bench-adversaries`; no
/// timing is asserted): one real loop runs the agent on the mock chip, its Modbus TCP server and a poller, while
/// threads of this process trickle a byte per 100 ms, connect and never send, close mid-frame and read as a good
/// client, and the poller's sensors drop SYNs, never answer (TCP and RTU) or cut their answers.
@Suite struct AgentModbusAdversaryTests {
    static let config = """
        board: sim
        inputs:
          - name: in
            pin: GPIO17
        outputs:
          - name: out
            pin: GPIO27
        rules:
          - when: in rises
            set: out on
          - when: in falls
            set: out off
        """

    @Test func theAgentFollowsEveryEdgeAndAnswersAGoodClientWhileModbusPeersMisbehave() throws {
        var config = try ConfigLoader(catalog: try BoardCatalog.builtIn()).load(text: Self.config, file: "t.yaml").0
        config.server = ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0)
        let runtime = try AgentRuntime(config: config, backend: .mock, logger: .silent)
        let loop = runtime.loop
        let port = runtime.modbusServer!.port
        let chip = runtime.chips.mockChips[0]
        let input = chip.line(named: "in")!, output = chip.line(named: "out")!

        // Sensors: a host dropping SYNs (full accept queue), one never answering, one cutting answers, a silent pty.
        let any = SocketAddress(numericHost: "127.0.0.1", port: 0)!
        let dropping = try TCPSocket.listen(on: any, backlog: 0)
        let fillers = try (0..<3).map { _ in try TCPSocket.startConnect(to: TCPSocket.localAddress(dropping)) }
        let mute = try TCPSocket.listen(on: any, backlog: 8)
        let cutting = try TCPSocket.listen(on: any, backlog: 8)
        let pty = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0, number: UInt32 = 0
        // TIOCSPTLCK, TIOCGPTN (<asm-generic/ioctls.h>): unlock the pty and learn its slave's number.
        #expect(pty >= 0 && ioctl(pty, 0x4004_5431, &unlock) == 0 && ioctl(pty, 0x8004_5430, &number) == 0)
        defer { ([dropping, mute, cutting, pty] + fillers).forEach { close($0) } }

        let fast = ModbusClientOptions(responseTimeout: .milliseconds(50), connectTimeout: .milliseconds(50), retries: 1,
                                       backoff: .milliseconds(10), maxBackoff: .milliseconds(50))
        func device(_ name: String, _ endpoint: ModbusEndpoint, _ table: ModbusTable) -> ModbusDeviceConfig {
            ModbusDeviceConfig(name: name, endpoint: endpoint, options: fast, points: [
                ModbusPointConfig(name: "p", table: table, address: 0, count: 2, codec: PointCodec(type: .uint16), pollInterval: .milliseconds(20)),
            ])
        }
        let devices = [
            device("self", .tcp(host: "127.0.0.1", port: port), .inputRegisters),
            device("silent-rtu", .rtu(SerialSettings(device: "/dev/pts/\(number)", parity: .none)), .holdingRegisters),
            device("dropping", .tcp(host: "127.0.0.1", port: TCPSocket.localAddress(dropping).port), .holdingRegisters),
            device("mute", .tcp(host: "127.0.0.1", port: TCPSocket.localAddress(mute).port), .holdingRegisters),
            device("cutting", .tcp(host: "127.0.0.1", port: TCPSocket.localAddress(cutting).port), .holdingRegisters),
        ]
        let poller = try ModbusPoller(loop: loop, devices: devices)
        var selfSamples = 0
        poller.onSample = { if $0.device == "self" { selfSamples += 1 } }

        // Edges come from another thread through a pipe (16-byte records: sequence number, level).
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        var followed = 0, notFollowed = 0
        var records = [Int64](repeating: 0, count: 64)
        try loop.watch(fds[0], for: .readable) { _ in
            let n = records.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            for r in 0..<max(n / 16, 0) {
                let level = records[2 * r + 1] != 0
                chip.drive(line: input, level: level)
                if chip.level(ofLine: output) == level { followed += 1 } else { notFollowed += 1 }
            }
        }

        let edges = 500
        let end = MonotonicClock.now() + .seconds(2)
        let writeFD = fds[1]
        let threads = [
            TestThread { Peer.trickle(port: port, until: end) },
            TestThread { Peer.connectAndWait(port: port, until: end) },
            TestThread { Peer.closeMidFrame(port: port, until: end) },
            TestThread { [cutting] in Peer.cutAnswers(listener: cutting, until: end) },
            TestThread {
                for i in 0..<edges {
                    var record: (Int64, Int64) = (Int64(i), Int64((i + 1) % 2))
                    guard write(writeFD, &record, 16) == 16 else { return i }
                    Peer.sleep(.milliseconds(3))
                }
                return edges
            },
        ]
        let version = AgentRegisterMap.mapVersion
        let goodClient = TestThread { Peer.readUntil(end, port: port, expecting: version) }
        poller.start()
        var stopped = false
        loop.schedule(at: end + .milliseconds(300)) { stopped = true }
        loop.schedule(at: end + .seconds(10)) { loop.stop() }  // a stalled loop ends the test instead of hanging it
        let connectionsDuring = ManagedCount()
        loop.schedule(at: end - .milliseconds(200)) { connectionsDuring.value = runtime.modbusServer!.connections.count }
        while !stopped || followed + notFollowed < edges {
            try loop.runOnce()
            if loop.now > end + .seconds(10) { break }
        }
        poller.stop()
        let links = devices.map { poller.link(of: $0.name)!.state }
        let serverRequests = runtime.modbusServer!.counters.requests
        runtime.stop(reason: "test")
        let done = threads.map { $0.join() }
        let good = goodClient.join()

        #expect(followed == edges && notFollowed == 0, "edges followed \(followed), not followed \(notFollowed)")
        #expect(runtime.agent.edgeCount == UInt64(edges))
        #expect(good.answered > 100 && good.wrong == 0, "good client: \(good.answered) answers, \(good.wrong) wrong")
        #expect(selfSamples > 20, "the agent's own server answered the poller \(selfSamples) times")
        #expect(links == [.up, .down, .down, .down, .down])
        #expect(done[0] > 5 && done[1] == 1 && done[2] > 10 && done[3] > 5 && done[4] == edges, "peers: \(done)")
        // The trickler and the silent client were still connected near the end (the mid-frame closer comes and goes).
        #expect(connectionsDuring.value >= 3, "connections near the end: \(connectionsDuring.value)")
        #expect(serverRequests >= good.answered)
    }
}

/// A counter the loop writes and the test reads after the loop ran (same thread).
private final class ManagedCount { var value = 0 }

/// A POSIX thread running a peer with blocking sockets, off the loop; ``join()`` returns its result.
private final class TestThread<Result: Sendable> {
    private final class Outcome: @unchecked Sendable { var value: Result? }  // written before exit, read after join
    private let outcome = Outcome()
    private let thread: pthread_t

    init(_ body: @escaping @Sendable () -> Result) {
        let outcome = self.outcome
        thread = startTestThread { outcome.value = body() }
    }

    func join() -> Result {
        pthread_join(thread, nil)
        return outcome.value!
    }
}

private final class ThreadWork: @unchecked Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

private func startTestThread(_ run: @escaping @Sendable () -> Void) -> pthread_t {
    var thread = pthread_t()
    let context = Unmanaged.passRetained(ThreadWork(run)).toOpaque()
    let rc = pthread_create(&thread, nil, { raw in
        // raw is the ThreadWork retained above; the thread takes over that retain.
        Unmanaged<ThreadWork>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, context)
    precondition(rc == 0, "pthread_create: \(rc)")
    return thread
}

/// The misbehaving and the good peers, with blocking sockets on their own threads.
private enum Peer {
    static let request: [UInt8] = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10]

    static func sleep(_ d: Duration) {
        var ts = timespec(tv_sec: Int(d.nanoseconds / 1_000_000_000), tv_nsec: Int(d.nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&ts, &remaining) != 0 && errno == EINTR { ts = remaining }
    }

    static func connect(port: UInt16) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        // a is a sockaddr_in; connect reads sizeof(sockaddr_in) bytes of it.
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard fd >= 0, rc == 0 else { close(fd); return nil }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func send(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) == $0.count }
    }

    static func trickle(port: UInt16, until end: Instant) -> Int {
        guard let fd = connect(port: port) else { return 0 }
        defer { close(fd) }
        var sent = 0
        while MonotonicClock.now() < end, send(fd, request[(sent % request.count)...].prefix(1)) {
            sent += 1
            sleep(.milliseconds(100))
        }
        return sent
    }

    static func connectAndWait(port: UInt16, until end: Instant) -> Int {
        guard let fd = connect(port: port) else { return 0 }
        while MonotonicClock.now() < end { sleep(.milliseconds(20)) }
        close(fd)
        return 1
    }

    static func closeMidFrame(port: UInt16, until end: Instant) -> Int {
        var closed = 0
        while MonotonicClock.now() < end {
            if let fd = connect(port: port) {
                if send(fd, request[..<5]) { closed += 1 }
                close(fd)
            }
            sleep(.milliseconds(10))
        }
        return closed
    }

    static func cutAnswers(listener: Int32, until end: Instant) -> Int {
        var cut = 0
        var query = [UInt8](repeating: 0, count: 260)
        while MonotonicClock.now() < end {
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 50) == 1 else { continue }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { continue }
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let n = query.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 8, send(fd, [query[0], query[1], 0, 0, 0, 7, query[6], query[7], 4, 0][...]) { cut += 1 }
            close(fd)
        }
        return cut
    }

    struct Reads: Sendable { var answered = 0, wrong = 0 }

    /// Reads of input registers 0–1 (map version, heartbeat) every millisecond, each answer checked (paced: tests
    /// run in parallel, and correctness, not load, is the point here; make bench-adversaries adds full speed).
    static func readUntil(_ end: Instant, port: UInt16, expecting version: UInt16) -> Reads {
        var reads = Reads()
        guard let fd = connect(port: port) else { return Reads(answered: 0, wrong: 1) }
        defer { close(fd) }
        var q: [UInt8] = [0, 0, 0, 0, 0, 6, 1, 4, 0, 0, 0, 2]
        var a = [UInt8](repeating: 0, count: 64)
        var tid: UInt16 = 0
        while MonotonicClock.now() < end {
            tid &+= 1
            q[0] = UInt8(tid >> 8)
            q[1] = UInt8(tid & 0xFF)
            guard send(fd, q[...]) else { reads.wrong += 1; break }
            var got = 0
            while got < 13 {
                let n = a.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, 64 - got, 0) }
                if n <= 0 { break }
                got += n
            }
            if got == 13 && a[0] == q[0] && a[1] == q[1] && a[7] == 4 && a[8] == 4 && UInt16(a[9]) << 8 | UInt16(a[10]) == version {
                reads.answered += 1
                sleep(.milliseconds(1))
            } else {
                reads.wrong += 1
                break
            }
        }
        return reads
    }
}
