import Agent
import Boards
import Config
import EventLoop
import GPIO
import Glibc
import Harness
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
            HarnessThread { ModbusAdversaries.trickle(port: port, until: end) },
            HarnessThread { ModbusAdversaries.mute(port: port, until: end) },
            HarnessThread { ModbusAdversaries.closeMidFrame(port: port, until: end) },
            HarnessThread { [cutting] in ModbusAdversaries.halfAnswer(listener: cutting, until: end) },
            HarnessThread {
                for i in 0..<edges {
                    var record: (Int64, Int64) = (Int64(i), Int64((i + 1) % 2))
                    guard write(writeFD, &record, 16) == 16 else { return i }
                    ModbusAdversaries.sleep(until: MonotonicClock.now() + .milliseconds(3))
                }
                return edges
            },
        ]
        let version = AgentRegisterMap.mapVersion
        let goodClient = HarnessThread { ModbusAdversaries.hammer(port: port, mapVersion: version, until: end, pause: .milliseconds(1)) }
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
