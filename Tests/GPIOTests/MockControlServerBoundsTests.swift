import EventLoop
import GPIO
import Glibc
import Testing

/// The mock chip's control socket cannot be made to grow without bound: the number of clients and what each
/// one has queued are capped.
@Suite struct MockControlServerBoundsTests {
    func makeServer(_ loop: EpollLoop) throws -> (MockControlServer, MockChip) {
        let chip = MockChip(lineNames: (0..<28).map { "GPIO\($0)" }, loop: loop)
        let path = "/tmp/fieldagent-test-\(getpid())-\(Int.random(in: 0..<1_000_000)).sock"
        return (try MockControlServer(chip: chip, path: path, loop: loop, logger: .silent), chip)
    }

    /// Runs the loop for a moment, long enough for the server to accept and answer what is pending.
    func turn(_ loop: EpollLoop, _ time: Duration = .milliseconds(50)) throws {
        loop.schedule(after: time) { loop.stop() }
        try loop.run()
    }

    func connect(_ path: String) throws -> Int32 {
        let fd = try UnixSocket.connect(path: path)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    func received(_ fd: Int32) -> (text: String, closed: Bool) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { bytes += buffer[0..<n]; continue }
            return (String(decoding: bytes, as: UTF8.self), n == 0)
        }
    }

    @Test func aClientBeyondTheLimitIsToldWhyAndClosed() throws {
        let loop = try EpollLoop()
        let (server, _) = try makeServer(loop)
        defer { server.close() }
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        for _ in 0..<17 { fds.append(try connect(server.path)) }
        try turn(loop)
        let last = received(fds[16])
        #expect(last.text == "error: too many clients (at most 16); close one and try again\n" && last.closed)
        // The first 16 are served; once one leaves, a newcomer is served too.
        close(fds.removeFirst())
        try turn(loop)  // the server sees the hang-up first (in one turn it may accept the newcomer before it)
        fds.append(try connect(server.path))
        _ = "get GPIO4\n".withCString { write(fds.last!, $0, strlen($0)) }
        try turn(loop)
        #expect(received(fds.last!).text == "GPIO4 0\n")
    }

    @Test func aWatcherThatNeverReadsIsDroppedOnceItsQueueIsFull() throws {
        let loop = try EpollLoop()
        let (server, chip) = try makeServer(loop)
        defer { server.close() }
        let idle = try connect(server.path)
        defer { close(idle) }
        // A small receive buffer, so that the kernel holds little and the server's queue fills.
        var size: Int32 = 4096
        setsockopt(idle, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = "watch\n".withCString { write(idle, $0, strlen($0)) }
        try turn(loop)
        #expect(received(idle).text == "ok\n")
        // Each change is about 15 bytes to the watcher; 40,000 changes would queue about 600 KB if nothing capped it.
        for k in 0..<40_000 { chip.drive(line: 4, level: k % 2 == 0) }
        try turn(loop)
        // Reading now finds what the kernel held, then the end: the server closed the connection.
        var closed = false
        for _ in 0..<100 where !closed { closed = received(idle).closed }
        #expect(closed)
    }
}
