import Agent
import Boards
import Config
import EventLoop
import Glibc
import Modbus
import Service
import Testing
import YAML

/// A raw Modbus TCP client on loopback from a source address of its own (127.0.0.N), so the server sees a
/// separate client address per attacker. Non-blocking after connect: the test pumps the agent's loop.
final class SourceClient {
    let fd: Int32
    private var transaction: UInt16 = 0
    private(set) var answers: [[UInt8]] = []
    private var buffer: [UInt8] = []
    private(set) var closedByServer = false

    init?(source: String, port: UInt16) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        _ = inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        _ = inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let ok = withUnsafePointer(to: &local) { l in
            l.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        } && withUnsafePointer(to: &remote) { r in
            r.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard ok else { Glibc.close(fd); return nil }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { Glibc.close(fd) }

    /// Sends one request PDU in an MBAP frame (unit 1).
    func send(_ pdu: [UInt8]) {
        transaction &+= 1
        let length = UInt16(pdu.count + 1)
        let frame = [UInt8(transaction >> 8), UInt8(transaction & 0xFF), 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 1] + pdu
        _ = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends raw bytes (a partial frame).
    func sendRaw(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

    /// Reads what has arrived and splits it into answer PDUs.
    func drain() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { closedByServer = true; break }
            if n < 0 { break }
            buffer += chunk[0..<n]
        }
        while buffer.count >= 7 {
            let length = Int(buffer[4]) << 8 | Int(buffer[5])
            guard buffer.count >= 6 + length else { break }
            answers.append(Array(buffer[7..<(6 + length)]))
            buffer.removeFirst(6 + length)
        }
    }

    static func read(_ fc: UInt8, _ address: UInt16, _ count: UInt16) -> [UInt8] {
        [fc, UInt8(address >> 8), UInt8(address & 0xFF), UInt8(count >> 8), UInt8(count & 0xFF)]
    }

    static func writeRegister(_ address: UInt16, _ value: UInt16) -> [UInt8] {
        [6, UInt8(address >> 8), UInt8(address & 0xFF), UInt8(value >> 8), UInt8(value & 0xFF)]
    }
}

/// `security:` against real traffic on loopback: a normal peer (the agent's own PeerSet, polling as line-b does)
/// and attackers from their own addresses. Virtual time: learning 60 s, 5 s windows, 2 windows to quarantine.
/// The behaviour model (m2m_behaviour, the default) decides unless a test says `model: none`.
@Suite(.serialized) struct QuarantineTests {
    final class Site {
        let chips: ChipSet
        let agent: Agent
        let server: ModbusTCPServer
        let peer: PeerSet
        var guardian: QuarantineGuard { agent.quarantine! }
        /// Last: released after everything that refers to it.
        let loop: ManualLoop

        init(_ loop: ManualLoop, security: String = "{learn: 60s, window: 5s, threshold: 8, confirm: 2, release_after: 30s}") throws {
            self.loop = loop
            let text = """
                board: sim
                name: guarded
                outputs:
                  - {name: lamp, pin: GPIO22}
                server: {bind: 127.0.0.1, port: 1, writers: [127.0.0.3], idle_timeout: 2s}
                security: \(security)

                """
            let (config, _) = try ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn()).load(text: text, file: "guarded.yaml")
            let board = config.board
            chips = ChipSet(backend: .mock, loop: loop) { board.lineNames(ofChip: $0) }
            agent = Agent(config: config, chips: chips, loop: loop, logger: .silent)
            try agent.start()
            var serverConfig = config.server!
            serverConfig.port = 0
            let agent = self.agent
            server = ModbusTCPServer(loop: loop, map: AgentRegisterMap(agent: agent, loop: loop), configuration: serverConfig,
                                     authorize: { client, unit, write in agent.authorizeWrite(client, unit, write) })
            server.observer = agent.quarantine
            try server.start()
            // The normal peer: the agent's own poller, as line-b polls line-a (status and values blocks every 500 ms).
            peer = try PeerSet(configs: [PeerConfig(name: "line-b", host: "127.0.0.1", port: server.port, interval: .milliseconds(500),
                                                    timeout: .milliseconds(200), location: SourceMark(file: "t", line: 1, column: 1))],
                               loop: loop, logger: .silent)
            peer.start()
        }

        /// Stops what holds the loop's timers and sockets, while the loop still exists.
        func close() {
            peer.stop()
            server.stop()
            agent.shutdown(reason: "test")
        }

        /// Pumps until `condition` holds or `limit` passes; returns the virtual time it took, or nil.
        func until(_ limit: Duration, every step: Duration = .milliseconds(100), _ action: () -> Void = {}, _ condition: () -> Bool) -> Duration? {
            let start = loop.now
            while loop.now - start < limit {
                action()
                pump(loop, step)
                if condition() { return loop.now - start }
            }
            return nil
        }

        func learn() {
            pump(loop, .seconds(61))
            #expect(!guardian.learning)
        }
    }

    @Test func aScannerIsQuarantinedAndTheNormalPeerIsNot() throws {
        let loop = ManualLoop()
        let site = try Site(loop)
        defer { site.close() }
        site.learn()
        let scanner = try #require(SourceClient(source: "127.0.0.2", port: site.server.port))
        var address: UInt16 = 0
        let took = site.until(.seconds(30), {
            scanner.send(SourceClient.read(4, address, 8))   // reads every block of the input registers, most not mapped
            address &+= 40
            scanner.drain()
        }) { site.guardian.isQuarantined("127.0.0.2") }
        #expect(took != nil && took! <= .seconds(15), "scanner quarantined after \(String(describing: took))")
        #expect(site.guardian.scorer?.model.name == "m2m_behaviour")
        #expect(site.guardian.threshold == site.guardian.scorer?.model.anomaly?.alarm)
        #expect(site.guardian.sources["127.0.0.2"]?.reason.contains("novel_address_fraction") == true)
        #expect(!site.guardian.isQuarantined("127.0.0.1"))
        #expect(site.agent.alarms.contains(.quarantine))
        #expect(site.agent.statusText().contains("127.0.0.2: score"))
        #expect(PrometheusText.render(site.agent.metricFamilies()).contains("fieldagent_source_quarantined{agent=\"guarded\",source=\"127.0.0.2\"} 1\n"))
        // It goes quiet: released after 30 s below the clear level.
        let released = site.until(.seconds(60)) { !site.guardian.isQuarantined("127.0.0.2") }
        #expect(released != nil)
        #expect(!site.agent.alarms.contains(.quarantine))
    }

    @Test func aWriteSpammerThatMayWriteLosesItsWritesAndAReplayIsCaughtToo() throws {
        let loop = ManualLoop()
        let site = try Site(loop)
        defer { site.close() }
        // While learning, the allowed writer connects now and then to write the command block's sequence register.
        var n: UInt16 = 0
        for _ in 0..<6 {
            n += 1
            let once = try #require(SourceClient(source: "127.0.0.3", port: site.server.port))
            once.send(SourceClient.writeRegister(1, n))
            pump(site.loop, .seconds(10))
        }
        #expect(site.agent.commands.accepted == 6)
        site.learn()
        // Then it replays its last frame, 10 times a second.
        let writer = try #require(SourceClient(source: "127.0.0.3", port: site.server.port))
        let frame = SourceClient.writeRegister(1, n)
        let took = site.until(.seconds(30), { writer.send(frame); writer.drain() }) { site.guardian.isQuarantined("127.0.0.3") }
        #expect(took != nil && took! <= .seconds(15), "replaying writer quarantined after \(String(describing: took))")
        // Its writes are refused now (illegal function), though it is an allowed writer.
        writer.drain()
        let before = writer.answers.count
        writer.send(SourceClient.writeRegister(0, 1))
        pump(site.loop, .milliseconds(100))
        writer.drain()
        #expect(writer.answers.count == before + 1 && writer.answers.last == [0x86, 0x01])
        #expect(site.agent.commands.bits == 0)
        #expect(!site.guardian.isQuarantined("127.0.0.1"))
        // An operator releases it.
        #expect(site.guardian.release("127.0.0.3", by: "test") == "release: 127.0.0.3 released")
        writer.send(SourceClient.writeRegister(1, 99))
        pump(site.loop, .milliseconds(100))
        writer.drain()
        #expect(writer.answers.last == SourceClient.writeRegister(1, 99))
    }

    @Test func aPeerWhoseRateJumpsIsQuarantined() throws {
        let loop = ManualLoop()
        let site = try Site(loop)
        defer { site.close() }
        let client = try #require(SourceClient(source: "127.0.0.4", port: site.server.port))
        // Polls like a peer while learning: the status block every 500 ms.
        for _ in 0..<130 {
            client.send(SourceClient.read(4, 0, 36))
            pump(site.loop, .milliseconds(500))
            client.drain()
        }
        #expect(!site.guardian.learning)
        let took = site.until(.seconds(30), every: .milliseconds(20), {
            client.send(SourceClient.read(4, 0, 36))   // the same request, 50 times a second
            client.drain()
        }) { site.guardian.isQuarantined("127.0.0.4") }
        #expect(took != nil && took! <= .seconds(15), "rate jump quarantined after \(String(describing: took))")
        #expect(site.guardian.sources["127.0.0.4"]?.reason.hasPrefix("request_rate") == true)
    }

    @Test func aSlowlorisIsQuarantinedAndThenRefusedConnections() throws {
        let loop = ManualLoop()
        let site = try Site(loop, security: "{learn: 60s, window: 5s, threshold: 8, confirm: 2, refuse_connections: true}")
        defer { site.close() }
        site.learn()
        var held: [SourceClient] = []
        let took = site.until(.seconds(30), every: .milliseconds(250), {
            // Opens connections and sends a byte of a frame on each, never a whole request.
            if let c = SourceClient(source: "127.0.0.5", port: site.server.port) {
                c.sendRaw([0])
                held.append(c)
            }
            if held.count > 8 { held.removeFirst() }
        }) { site.guardian.isQuarantined("127.0.0.5") }
        #expect(took != nil && took! <= .seconds(15), "slowloris quarantined after \(String(describing: took))")
        // A new connection from it is closed at once.
        let late = try #require(SourceClient(source: "127.0.0.5", port: site.server.port))
        pump(site.loop, .milliseconds(100))
        late.drain()
        #expect(late.closedByServer)
        #expect(!site.guardian.isQuarantined("127.0.0.1"))
    }

    /// A client that floods from the start: its own baseline learns the flood as normal, the model (trained on the
    /// simulation's M2M traffic) does not; the log line names the features far from the model's training data.
    @Test func aSourceFloodingWhileLearningIsQuarantinedByTheModel() throws {
        let loop = ManualLoop()
        let site = try Site(loop)
        defer { site.close() }
        let client = try #require(SourceClient(source: "127.0.0.6", port: site.server.port))
        let flood = { client.send(SourceClient.read(4, 0, 36)); client.drain() }
        _ = site.until(.seconds(61), every: .milliseconds(20), flood) { false }
        #expect(!site.guardian.learning && !site.guardian.isQuarantined("127.0.0.6"))
        let took = site.until(.seconds(30), every: .milliseconds(20), flood) { site.guardian.isQuarantined("127.0.0.6") }
        #expect(took != nil && took! <= .seconds(15), "flood quarantined after \(String(describing: took))")
        let source = try #require(site.guardian.sources["127.0.0.6"])
        #expect((source.baselineScore ?? 99) < 8, "its own baseline alone would not quarantine it: \(String(describing: source.baselineScore))")
        #expect(source.reason.hasPrefix("request_rate") && source.reason.contains("of the model's training data"), "\(source.reason)")
        #expect(!site.guardian.isQuarantined("127.0.0.1"))
    }

    /// With `model: none` the statistical baseline decides, as before the behaviour model.
    @Test func withoutTheModelTheBaselineDecides() throws {
        let loop = ManualLoop()
        let site = try Site(loop, security: "{learn: 60s, window: 5s, threshold: 8, confirm: 2, model: none}")
        defer { site.close() }
        #expect(site.guardian.scorer == nil && site.guardian.threshold == 8)
        site.learn()
        let scanner = try #require(SourceClient(source: "127.0.0.2", port: site.server.port))
        var address: UInt16 = 0
        let took = site.until(.seconds(30), {
            scanner.send(SourceClient.read(4, address, 8))
            address &+= 40
            scanner.drain()
        }) { site.guardian.isQuarantined("127.0.0.2") }
        #expect(took != nil && took! <= .seconds(15), "scanner quarantined after \(String(describing: took))")
        #expect(site.guardian.sources["127.0.0.2"]?.score == site.guardian.sources["127.0.0.2"]?.baselineScore)
        #expect(!site.guardian.isQuarantined("127.0.0.1"))
    }

    @Test func manyAddressesShareOneSourceBeyondTheLimit() {
        let loop = ManualLoop()
        let guardian = QuarantineGuard(config: SecurityConfig(location: SourceMark(file: "t", line: 1, column: 1)), loop: loop, logger: .silent)
        for i in 0..<300 {
            _ = guardian.connected(ModbusClientInfo(host: "10.0.\(i / 250).\(i % 250)", port: 1, connectionID: i))
        }
        #expect(guardian.sources.count == QuarantineGuard.maximumSources + 1)
        #expect(guardian.sources["other"]?.behaviour.connections == 300 - QuarantineGuard.maximumSources)
    }

    /// Normal sources over two simulated hours (after five minutes of learning): the peer polling every 500 ms
    /// and the allowed writer writing the command block every 20 s on a connection of its own. Neither is ever
    /// quarantined; no window of either scores above the model's alarm (the false-positive rate per window: 0 of
    /// 2 × 680 windows; the writer's windows without a write score 0).
    @Test func normalSourcesAreNeverQuarantinedOverALongRun() throws {
        let loop = ManualLoop()
        let site = try Site(loop, security: "{learn: 5m, window: 10s}")
        defer { site.close() }
        let alarm = try #require(site.guardian.scorer.map { _ in site.guardian.threshold })
        var worst = ["127.0.0.1": 0.0, "127.0.0.3": 0.0]
        var windows = ["127.0.0.1": 0, "127.0.0.3": 0]
        var above = 0
        var sequence: UInt16 = 0
        let end = site.loop.now + .seconds(2 * 3600 + 300)
        var step = 0
        while site.loop.now < end {
            if step % 2 == 0 {
                sequence &+= 1
                let writer = try #require(SourceClient(source: "127.0.0.3", port: site.server.port))
                writer.send(SourceClient.writeRegister(1, sequence))
                pump(site.loop, .milliseconds(200))
                writer.drain()
                #expect(writer.answers.last == SourceClient.writeRegister(1, sequence))
            }
            step += 1
            pump(site.loop, .seconds(10))
            guard !site.guardian.learning else { continue }
            for host in ["127.0.0.1", "127.0.0.3"] {
                guard let s = site.guardian.sources[host]?.score else { continue }
                worst[host] = max(worst[host]!, s)
                windows[host]! += 1
                if s > alarm { above += 1 }
                #expect(!site.guardian.isQuarantined(host))
            }
        }
        #expect(windows["127.0.0.1"]! >= 680 && windows["127.0.0.3"]! >= 680, "windows: \(windows)")
        #expect(site.guardian.quarantines == 0)
        #expect(above == 0, "\(above) windows above alarm; worst: \(worst), alarm \(alarm)")
        print("normal sources over 2 h: windows \(windows), above alarm \(above), worst scores \(worst), alarm \(alarm)")
        #expect(site.agent.commands.accepted > 350)
    }
}
