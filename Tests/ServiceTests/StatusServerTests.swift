import EventLoop
import Glibc
import Service
import Testing

@Suite struct StatusServerTests {
    static func metrics() -> [MetricFamily] {
        var up = MetricFamily("fieldagent_peer_up", help: "1 when the peer's link is up.", type: .gauge)
        up.add(true, ["peer": "line-b"])
        return [up]
    }

    static let expectedMetrics = """
        # HELP fieldagent_peer_up 1 when the peer's link is up.
        # TYPE fieldagent_peer_up gauge
        fieldagent_peer_up{peer="line-b"} 1

        """

    func makeServer(_ dir: TemporaryDirectory, _ loop: any EventLoop, maxClients: Int = 4, requestTimeout: Duration = .milliseconds(100),
                    writeTimeout: Duration = .seconds(1), status: @escaping () -> String = { "agent pump-a: running\npeers: line-b up" }) throws -> StatusServer {
        try StatusServer(path: dir.file("agent.sock"), loop: loop, maxClients: maxClients, requestTimeout: requestTimeout,
                         writeTimeout: writeTimeout, status: status, metrics: Self.metrics)
    }

    @Test func answersStatusAndMetricsToARealClientOnTheEpollLoop() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let server = try makeServer(dir, loop)
        let path = server.path
        let status = try whileLoopRuns(loop) { try? StatusClient.query(path: path, request: .status) }
        #expect(status == "agent pump-a: running\npeers: line-b up\n")
        let metrics = try whileLoopRuns(loop) { try? StatusClient.query(path: path, request: .metrics) }
        #expect(metrics == Self.expectedMetrics)
        #expect(server.answered == 2)
        #expect(server.activeClients == 0)
    }

    @Test func theSocketIsMode0660AndRemovedOnClose() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let server = try makeServer(dir, loop)
        #expect(fileMode(server.path) == 0o660)
        server.close()
        #expect(dir.list().isEmpty)
    }

    @Test func aClientThatSendsNothingGetsTheStatusAfterTheRequestTimeout() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let server = try makeServer(dir, loop, requestTimeout: .milliseconds(50))
        let fd = try connectRaw(server.path)
        defer { close(fd) }
        let start = MonotonicClock.now()
        var answer = ""
        while MonotonicClock.now() - start < .seconds(5) {
            try loop.runOnce()
            let (text, closed) = readAvailable(fd)
            answer += text
            if closed { break }
        }
        #expect(answer == "agent pump-a: running\npeers: line-b up\n")
        #expect(MonotonicClock.now() - start >= .milliseconds(50))
    }

    @Test func aClientThatShutsDownItsSideGetsTheStatusAtOnce() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let server = try makeServer(dir, loop, requestTimeout: .seconds(60))
        let fd = try connectRaw(server.path)
        defer { close(fd) }
        sendText(fd, "metrics")  // no newline: the end of the stream ends the request
        shutdown(fd, Int32(SHUT_WR))
        var answer = ""
        for _ in 0..<100 {
            try loop.runOnce()
            let (text, closed) = readAvailable(fd)
            answer += text
            if closed { break }
        }
        #expect(answer == Self.expectedMetrics)
    }

    @Test func anUnknownRequestGetsAnErrorListingTheRequests() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let server = try makeServer(dir, loop)
        #expect(server.answer("json") == "error: unknown request 'json'; send one of: status, metrics, reset, release\n")
        #expect(server.answer("  metrics \r") == Self.expectedMetrics)
        #expect(server.answer("") == "agent pump-a: running\npeers: line-b up\n")
    }

    @Test func clientsBeyondTheCapAreToldBusyAndClosed() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let server = try makeServer(dir, loop, maxClients: 2, requestTimeout: .seconds(60))
        let waiting = try (0..<2).map { _ in try connectRaw(server.path) }
        defer { for fd in waiting { close(fd) } }
        for _ in 0..<3 { try loop.runOnce(blocking: false) }
        let extra = try connectRaw(server.path)
        defer { close(extra) }
        for _ in 0..<3 { try loop.runOnce(blocking: false) }
        let (text, closed) = readAvailable(extra)
        #expect(text.hasPrefix("error: busy"))
        #expect(closed)
        #expect(server.refused == 1)
        #expect(server.activeClients == 2)
    }

    @Test func aRequestLongerThanALineIsDropped() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let server = try makeServer(dir, loop, requestTimeout: .seconds(60))
        let fd = try connectRaw(server.path)
        defer { close(fd) }
        sendText(fd, String(repeating: "x", count: 1000))
        for _ in 0..<5 { try loop.runOnce(blocking: false) }
        #expect(server.dropped == 1)
        #expect(readAvailable(fd).closed)
    }

    @Test func aClientThatNeverReadsIsDroppedWithoutStallingTheLoop() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        // 4 MiB: far more than a Unix socket buffers, so the server's writes hit EAGAIN.
        let big = String(repeating: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n", count: 65536)
        let server = try makeServer(dir, loop, writeTimeout: .milliseconds(300)) { big }
        let path = server.path
        let slow = try connectRaw(path)
        defer { close(slow) }
        sendText(slow, "status\n")

        // A timer every 10 ms records how late the loop runs it while the slow client is being served.
        var worstLateness = Duration.zero
        var ticks = 0
        func tick(_ due: Instant) {
            let late = loop.preciseNow() - due
            if late > worstLateness { worstLateness = late }
            ticks += 1
            let next = due + .milliseconds(10)
            loop.schedule(at: next) { tick(next) }
        }
        let first = loop.now + .milliseconds(10)
        loop.schedule(at: first) { tick(first) }

        // Meanwhile another client asks for the metrics and gets them; then the slow one's time runs out.
        let metrics = try whileLoopRuns(loop) { try? StatusClient.query(path: path, request: .metrics) }
        #expect(metrics == Self.expectedMetrics)
        try runLoop(loop) { server.dropped > 0 }
        #expect(server.dropped == 1)
        #expect(server.activeClients == 0)
        #expect(server.answered == 1)
        #expect(ticks >= 20)
        // Generous for a loaded CI machine; a blocking write would stall it for the whole 300 ms and more.
        #expect(worstLateness < .milliseconds(150), "worst timer lateness \(worstLateness)")
        // The slow client got a prefix of the answer, then the end of the stream.
        var received = 0
        while true {
            let (text, closed) = readAvailable(slow)
            received += text.utf8.count
            if closed || text.isEmpty { break }
        }
        #expect(received > 0 && received < big.utf8.count)
    }

    @Test func aStaleSocketFileIsReplacedButALiveOneIsNot() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let path = dir.file("agent.sock")
        // A socket file nobody listens on, as a killed agent leaves it.
        let stale = try UnixSocket.listen(path: path)
        close(stale)
        #expect(StatusSocket.probe(path) == .stale)
        let server = try makeServer(dir, loop)
        #expect(StatusSocket.probe(path) == .live)
        #expect {
            _ = try makeServer(dir, loop)
        } throws: { error in
            (error as? SystemError)?.code == EADDRINUSE && "\(error)".contains(path)
        }
        server.close()
        #expect(StatusSocket.probe(path) == .absent)
    }

    @Test func aFileThatIsNotASocketIsNeverReplaced() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        try writePlainFile("precious", to: dir.file("agent.sock"))
        #expect(throws: SystemError.self) { _ = try makeServer(dir, loop) }
        #expect(readFile(dir.file("agent.sock")) == "precious")
    }

    @Test func theClientTimesOutWhenNobodyAnswers() throws {
        let dir = try TemporaryDirectory()
        // A listener that accepts (in the kernel's backlog) but never answers: nobody runs its loop.
        let fd = try UnixSocket.listen(path: dir.file("mute.sock"))
        defer { close(fd) }
        #expect {
            _ = try StatusClient.query(path: dir.file("mute.sock"), timeout: .milliseconds(100))
        } throws: { error in
            (error as? SystemError)?.code == ETIMEDOUT
        }
        #expect {
            _ = try StatusClient.query(path: dir.file("none.sock"))
        } throws: { error in
            (error as? SystemError)?.code == ENOENT
        }
    }
}
