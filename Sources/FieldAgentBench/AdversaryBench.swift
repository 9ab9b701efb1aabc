import Agent
import Boards
import Config
import EventLoop
import GPIO
import Glibc
import Harness
import Modbus
import TLS

/// `fieldagent bench --modbus-adversaries`: GPIO edge → output in the agent while Modbus peers misbehave.
///
/// One ``EpollLoop`` runs what `fieldagent run` runs (``AgentRuntime``: the agent on the mock chip with its rules,
/// and its Modbus TCP server) plus a ``ModbusPoller``. Other threads are the outside world (``ModbusAdversaries``):
/// the GPIO stimulus and, in the adversary rows, a client sending a byte every 100 ms, one that never sends, one
/// closing mid-frame, a full-speed good client, and the poller's sensors: a TCP host that drops packets, one that
/// never answers, one closing mid-answer, and an RTU device that never answers. Each row is a fresh runtime.
enum AdversaryBench {
    static let config = """
        board: sim
        name: bench-adversaries
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

    /// What one row measured and what the peers did meanwhile.
    struct Row {
        var title: String
        /// Stimulus stamp (taken on the stimulus thread) → output written, seen after `drive` returns.
        var stimulusToOutput = LatencyHistogram()
        /// The agent's own figure: the loop sees the edge → output written.
        var agentSide = LatencyHistogram()
        var edgesSent = 0
        var edgesSeen: UInt64 = 0
        /// Edges after which the output did not follow.
        var missed = 0
        /// Time the loop thread spent runnable but waiting for a CPU (schedstat), over the row.
        var runQueueWait: Duration = .zero
        var activity: [String] = []
    }

    enum Peers: Equatable {
        case none, adversaries, adversariesAndGoodClient
        /// Modbus/TCP Security on: a client opening TLS connections back to back, with this handshake budget
        /// (nil: none).
        case tlsClientConnecting(handshakesPerSecond: Int?)
    }

    /// The loop thread's scheduling for a row: the default (what the service unit gives today), or SCHED_FIFO,
    /// as `CPUSchedulingPolicy=fifo` in a unit would run it.
    enum Scheduling { case normal, fifo }

    static func run(seconds: Double, interval: Duration, peersNice: Int32) throws -> Int32 {
        print("GPIO edge → output in the agent with Modbus on its loop (mock chip; its Modbus TCP server; a poller;")
        print("  \(formatFixed(seconds, digits: 0)) s per row, an edge every \(formatMicroseconds(interval))–\(formatMicroseconds(interval * 3 / 2)) from a stimulus thread;")
        print("  load average before: \(loadAverage()), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs)")
        var rows = [
            try measure(.none, .normal, "without adversaries", seconds: seconds, interval: interval, nice: peersNice),
            try measure(.adversaries, .normal, "with the adversaries", seconds: seconds, interval: interval, nice: peersNice),
            try measure(.adversariesAndGoodClient, .normal, "adversaries + full-speed good client", seconds: seconds, interval: interval, nice: peersNice),
        ]
        if canUseFIFO() {
            rows.append(try measure(.adversariesAndGoodClient, .fifo, "same, agent loop SCHED_FIFO", seconds: seconds, interval: interval, nice: peersNice))
        } else {
            print("  (no SCHED_FIFO row: this process may not use real-time scheduling)")
        }
        rows.append(try measure(.tlsClientConnecting(handshakesPerSecond: 10), .normal, "TLS clients connecting, rate 10/s",
                                seconds: seconds, interval: interval, nice: peersNice))
        rows.append(try measure(.tlsClientConnecting(handshakesPerSecond: nil), .normal, "TLS clients connecting, no rate limit",
                                seconds: seconds, interval: interval, nice: peersNice))
        func us(_ d: Duration?) -> String { d.map { formatMicroseconds($0) } ?? "-" }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        print(pad("", 38) + pad("stimulus → output p50 / p99 / max", 36) + pad("goal p99", 16) + pad("agent p99", 11)
              + pad("loop waited for CPU", 21) + "edges (missed)")
        for r in rows {
            let h = r.stimulusToOutput
            let met = (h.percentile(0.99) ?? .seconds(1)) <= .milliseconds(1) ? "≤ 1 ms: met" : "≤ 1 ms: MISSED"
            print(pad(r.title, 38) + pad("\(us(h.percentile(0.5))) / \(us(h.percentile(0.99))) / \(us(h.max))", 36) + pad(met, 16)
                  + pad(us(r.agentSide.percentile(0.99)), 11) + pad(formatMicroseconds(r.runQueueWait), 21) + "\(r.edgesSent) (\(r.missed))")
        }
        print("'stimulus → output' starts at the stimulus thread's clock reading just before it writes the edge (pipe,")
        print("wake-up, queueing behind Modbus work and waiting for a CPU included); 'agent' starts when the loop reads it")
        print("(the figure `fieldagent bench` prints); 'loop waited for CPU' is the loop thread's run-queue time over the row")
        print("(/proc/thread-self/schedstat): runnable, not running. Nothing is asserted here (see AgentModbusAdversaryTests).")
        if let quiet = rows.first?.stimulusToOutput.percentile(0.99), quiet > .milliseconds(1) {
            print("note: even the row without adversaries misses 1 ms: the machine was busy (load average now \(loadAverage()));")
            print("  its 'loop waited for CPU' is time other processes had the CPU. Compare the rows, or rerun on a quiet machine.")
        }
        for r in rows where !r.activity.isEmpty {
            print("  \(r.title): " + r.activity.joined(separator: "; "))
        }
        return rows.allSatisfy { $0.missed == 0 && $0.edgesSeen == UInt64($0.edgesSent) } ? 0 : 1
    }

    private static func measure(_ peers: Peers, _ scheduling: Scheduling, _ title: String, seconds: Double, interval: Duration, nice: Int32) throws -> Row {
        var config = try ConfigLoader(catalog: try BoardCatalog.builtIn()).load(text: Self.config, file: "<bench-adversaries>").0
        config.server = ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0, maxConnections: 64)
        var clientIdentity: TLSIdentity?
        if case .tlsClientConnecting(let rate) = peers {
            // A throwaway plant PKI for the row: the agent's certificate and an operator's.
            var template = Array("/tmp/fieldagent-bench-tls-XXXXXX".utf8CString)
            let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
            let pki = PlantPKI(directory: dir + "/pki")
            try pki.makeCA()
            try pki.issue("agent", roles: ["agent"], hosts: ["127.0.0.1"])
            try pki.issue("operator", roles: ["operator"])
            var tls = ModbusTLSSettings(port: 0, identity: pki.identity("agent"), roles: ["operator": .readOnly])
            tls.handshakesPerSecond = rate
            config.serverTLS = tls
            config.plainServer = .readOnly
            clientIdentity = pki.identity("operator")
        }
        let runtime = try AgentRuntime(config: config, backend: .mock, logger: Logger(minimumLevel: .error))
        let loop = runtime.loop
        let serverPort = runtime.modbusServer!.port
        let chip = runtime.chips.mockChips[0]
        let input = chip.line(named: "in")!, output = chip.line(named: "out")!

        let withAdversaries = peers == .adversaries || peers == .adversariesAndGoodClient
        let sensors = try SensorAdversaries(withAdversaries)
        let fast = ModbusClientOptions(responseTimeout: .milliseconds(50), connectTimeout: .milliseconds(50), retries: 1,
                                       backoff: .milliseconds(10), maxBackoff: .milliseconds(100))
        func device(_ name: String, _ endpoint: ModbusEndpoint, _ table: ModbusTable) -> ModbusDeviceConfig {
            ModbusDeviceConfig(name: name, endpoint: endpoint, options: fast, points: [
                ModbusPointConfig(name: "p", table: table, address: 0, count: 2, codec: PointCodec(type: .uint16), pollInterval: .milliseconds(20)),
            ])
        }
        var devices = [device("agent itself", .tcp(host: "127.0.0.1", port: serverPort), .inputRegisters)]
        if withAdversaries {
            devices += [
                device("silent RTU", .rtu(SerialSettings(device: sensors.ptyPath, baud: 19200, parity: .none)), .holdingRegisters),
                device("dropping TCP", .tcp(host: "127.0.0.1", port: sensors.droppingPort), .holdingRegisters),
                device("mute TCP", .tcp(host: "127.0.0.1", port: sensors.mutePort), .holdingRegisters),
                device("half-answer TCP", .tcp(host: "127.0.0.1", port: sensors.halfAnswerPort), .holdingRegisters),
            ]
        }
        let poller = try ModbusPoller(loop: loop, devices: devices)

        // The stimulus pipe: the loop reads a record and drives the mock input, like reading a line event.
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SystemError("pipe") }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        var row = Row(title: title)
        var records = [Int64](repeating: 0, count: 128)
        try loop.watch(fds[0], for: .readable) { _ in
            let n = records.withUnsafeMutableBytes { raw in
                // raw is the 1 KiB record buffer; pipe writes of 16 bytes are atomic, so reads end on a record.
                read(fds[0], raw.baseAddress, raw.count)
            }
            guard n > 0 else { return }
            for r in 0..<(n / 16) {
                let level = records[2 * r + 1] != 0
                chip.drive(line: input, level: level)
                let done = MonotonicClock.now()
                if chip.level(ofLine: output) == level {
                    row.stimulusToOutput.record(done - Instant(nanoseconds: records[2 * r]))
                } else {
                    row.missed += 1
                }
            }
        }

        let start = MonotonicClock.now()
        let measureFrom = start + .milliseconds(300)  // connections accepted, first polls out
        let end = measureFrom + .nanoseconds(Int64(seconds * 1e9))
        let writeFD = fds[1]
        let stimulus = HarnessThread { ModbusAdversaries.stimulus(pipe: writeFD, interval: interval, from: measureFrom, until: end) }
        var clients: [(describe: (Int) -> String, thread: HarnessThread<Int>)] = []
        var good: HarnessThread<ModbusAdversaries.HammerResult>?
        var tlsClient: HarnessThread<TLSConnectingClient.Result>?
        if let identity = clientIdentity, let tlsPort = runtime.tlsServer?.port {
            tlsClient = HarnessThread { ModbusAdversaries.setNice(nice); return TLSConnectingClient.run(port: tlsPort, identity: identity, until: end) }
        }
        if withAdversaries {
            clients = [
                ({ "trickling client sent \($0) bytes" }, HarnessThread { ModbusAdversaries.setNice(nice); return ModbusAdversaries.trickle(port: serverPort, until: end) }),
                ({ "\($0) silent client connected" }, HarnessThread { ModbusAdversaries.setNice(nice); return ModbusAdversaries.mute(port: serverPort, until: end) }),
                ({ "\($0) connections closed mid-frame" }, HarnessThread { ModbusAdversaries.setNice(nice); return ModbusAdversaries.closeMidFrame(port: serverPort, until: end) }),
                ({ "half-answer device cut \($0) answers" }, HarnessThread { [listener = sensors.halfAnswerListener] in
                    ModbusAdversaries.setNice(nice)
                    return ModbusAdversaries.halfAnswer(listener: listener, until: end) }),
            ]
        }
        if peers == .adversariesAndGoodClient {
            let version = AgentRegisterMap.mapVersion
            good = HarnessThread { ModbusAdversaries.setNice(nice); return ModbusAdversaries.hammer(port: serverPort, mapVersion: version, until: end) }
        }
        let overflowsBefore = listenOverflows()
        poller.start()
        loop.schedule(at: measureFrom) { runtime.agent.resetLatency() }
        loop.schedule(at: end + .milliseconds(300)) {
            poller.stop()
            loop.unwatch(fds[0])
            runtime.stop(reason: "bench")
        }
        // Peer threads were started above with the default policy; only the loop thread changes.
        if scheduling == .fifo { setLoopScheduling(fifo: true) }
        let waitedBefore = runQueueWait()
        try loop.run()
        row.runQueueWait = runQueueWait() - waitedBefore
        if scheduling == .fifo { setLoopScheduling(fifo: false) }

        row.edgesSent = stimulus.join()
        row.edgesSeen = runtime.agent.edgeCount
        row.agentSide = runtime.agent.edgeToOutput
        close(fds[0])
        close(fds[1])
        for client in clients { row.activity.append(client.describe(client.thread.join())) }
        if let good {
            let r = good.join()
            row.activity.append("good client: \(r.answered) correct answers (\(Int(Double(r.answered) / seconds))/s), \(r.wrong) wrong")
        }
        if withAdversaries {
            row.activity.append("SYNs the kernel dropped for the dropping host: \(listenOverflows() - overflowsBefore)")
        }
        if let tlsClient, let server = runtime.tlsServer {
            let r = tlsClient.join()
            row.activity.append("TLS client: \(r.completed) handshakes answered (\(Int(Double(r.completed) / seconds))/s), \(r.failed) failed; "
                                + "server: \(server.counters.tlsHandshakes) handshakes, listener rested \(server.counters.handshakeDeferrals) times")
        }
        let links = devices.map { d in
            let c = poller.counters(of: d.name)!
            return "\(d.name) \(poller.link(of: d.name)!.state.rawValue) (\(c.requests) polls, \(c.failures) failed)"
        }
        row.activity.append("poller: " + links.joined(separator: ", "))
        row.activity.append("server answered \(runtime.modbusServer!.counters.requests) requests")
        withExtendedLifetime(sensors) {}
        return row
    }

    /// The first three fields of /proc/loadavg.
    static func loadAverage() -> String {
        guard let file = fopen("/proc/loadavg", "r") else { return "?" }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return "?" }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The calling thread's time spent runnable but not running (second field of /proc/thread-self/schedstat).
    static func runQueueWait() -> Duration {
        guard let file = fopen("/proc/thread-self/schedstat", "r") else { return .zero }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return .zero }
        let fields = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
        return fields.count >= 2 ? .nanoseconds(Int64(fields[1]) ?? 0) : .zero
    }

    /// SCHED_FIFO priority 10 for the calling thread, or back to SCHED_OTHER.
    /// The corresponding C function is `pthread_setschedparam`.
    @discardableResult
    static func setLoopScheduling(fifo: Bool) -> Bool {
        var param = sched_param(sched_priority: fifo ? 10 : 0)
        return pthread_setschedparam(pthread_self(), fifo ? SCHED_FIFO : SCHED_OTHER, &param) == 0
    }

    /// True when this process may switch a thread to SCHED_FIFO (root, CAP_SYS_NICE or an RLIMIT_RTPRIO).
    static func canUseFIFO() -> Bool {
        guard setLoopScheduling(fifo: true) else { return false }
        setLoopScheduling(fifo: false)
        return true
    }

    /// `TcpExt: ListenOverflows` from /proc/net/netstat: SYNs (and handshakes) dropped because an accept queue was full.
    static func listenOverflows() -> Int {
        guard let file = fopen("/proc/net/netstat", "r") else { return 0 }
        defer { fclose(file) }
        var lines: [[Substring]] = []
        var buffer = [CChar](repeating: 0, count: 8192)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if line.hasPrefix("TcpExt:") { lines.append(line.split(separator: " ")) }
        }
        guard lines.count == 2, let i = lines[0].firstIndex(where: { $0.hasPrefix("ListenOverflows") }), i < lines[1].count else { return 0 }
        return Int(lines[1][i].trimmingSuffix()) ?? 0
    }
}

/// The poller's misbehaving sensors, open for one row.
///
/// - A TCP host that drops packets: a listener with a backlog of 0 whose accept queue is already full (one
///   connection nobody accepts). Linux then drops every further SYN (`ListenOverflows`, counted in the report):
///   the poller's connect sees no SYN-ACK and no RST, and retransmits its SYN, exactly as towards a host that
///   drops packets. (A blackholed address would need a route that silently drops; on a machine without one,
///   connect fails at once with ENETUNREACH, which is not the same adversary.)
/// - A TCP host that never answers: a listener nobody accepts from. The kernel completes the handshake and ACKs
///   the request, and no answer ever comes (the response timeout path).
/// - A TCP device that cuts its answer: ``ModbusAdversaries/halfAnswer(listener:until:)`` on a thread.
/// - An RTU device that never answers: a pseudo-terminal whose master side is kept open and never read or written.
final class SensorAdversaries {
    private var fds: [Int32] = []
    private(set) var ptyPath = ""
    private(set) var droppingPort: UInt16 = 0
    private(set) var mutePort: UInt16 = 0
    private(set) var halfAnswerPort: UInt16 = 0
    private(set) var halfAnswerListener: Int32 = -1

    init(_ open: Bool) throws {
        guard open else { return }
        let any = SocketAddress(numericHost: "127.0.0.1", port: 0)!
        let dropping = try TCPSocket.listen(on: any, backlog: 0)
        fds.append(dropping)
        droppingPort = TCPSocket.localAddress(dropping).port
        // One connection fills the queue of a backlog-0 listener; a few more make sure (they stay in SYN-SENT).
        for _ in 0..<3 { fds.append(try TCPSocket.startConnect(to: TCPSocket.localAddress(dropping))) }
        let mute = try TCPSocket.listen(on: any, backlog: 16)
        fds.append(mute)
        mutePort = TCPSocket.localAddress(mute).port
        halfAnswerListener = try TCPSocket.listen(on: any, backlog: 16)
        fds.append(halfAnswerListener)
        halfAnswerPort = TCPSocket.localAddress(halfAnswerListener).port
        ptyPath = try openSilentPTY()
    }

    deinit { fds.forEach { close($0) } }

    /// Opens a pseudo-terminal master (kept open, never read or written) and returns its slave's path.
    private func openSilentPTY() throws -> String {
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw SystemError("open /dev/ptmx") }
        fds.append(master)
        // TIOCSPTLCK and TIOCGPTN as in <asm-generic/ioctls.h> (x86, arm, arm64, riscv); Swift cannot import the
        // _IOW/_IOR macros, and glibc's posix_openpt/ptsname need _XOPEN_SOURCE, which Glibc's module lacks.
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            throw SystemError("unlock /dev/ptmx")
        }
        return "/dev/pts/\(number)"
    }
}

private extension Substring {
    func trimmingSuffix() -> Substring {
        var s = self
        while let last = s.last, last == "\n" || last == " " { s.removeLast() }
        return s
    }
}
