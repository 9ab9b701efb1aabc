import EventLoop
import GPIO
import Glibc
import Testing

/// The control socket, exercised for real over a Unix socket on a real loop.
@Suite struct MockControlServerTests {
    /// Sends `lines` from a client, runs the loop until `expectedReplies` lines came back, returns them.
    func converse(_ server: MockControlServer, _ loop: EpollLoop, _ lines: [String], expectedReplies: Int) throws -> [String] {
        let fd = try UnixSocket.connect(path: server.path)
        defer { close(fd) }
        let text = lines.map { $0 + "\n" }.joined()
        _ = text.withCString { write(fd, $0, strlen($0)) }
        var received: [UInt8] = []
        try loop.watch(fd, for: .readable) { _ in
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &buf, buf.count)
            if n > 0 { received += buf[0..<n] }
            if received.filter({ $0 == 10 }).count >= expectedReplies || n <= 0 { loop.stop() }
        }
        loop.schedule(after: .seconds(5)) { loop.stop() }
        try loop.run()
        loop.unwatch(fd)
        return String(decoding: received, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func aClientDrivesAnInputAndReadsTheOutputTheAgentDrives() throws {
        let loop = try EpollLoop()
        let chip = MockChip(lineNames: (0..<28).map { "GPIO\($0)" }, loop: loop)
        chip.setAlias("button", line: 17)
        chip.setAlias("lamp", line: 27)
        let lamp = try chip.requestOutput(line: 27, activeLow: false, initial: false, consumer: "test")
        _ = try chip.requestInput(line: 17, settings: InputSettings(edges: .both), consumer: "test") { e in
            try? lamp.write(e.edge == .rising)
        }
        let path = "/tmp/fieldagent-test-\(getpid())-\(Int.random(in: 0..<1_000_000)).sock"
        let server = try MockControlServer(chip: chip, path: path, loop: loop, logger: .silent)
        defer { server.close() }
        let replies = try converse(server, loop, ["set button 1", "get lamp", "get GPIO99", "bogus"], expectedReplies: 4)
        #expect(replies.count == 4)
        #expect(replies[0] == "ok")
        #expect(replies[1] == "lamp 1")
        #expect(replies[2].hasPrefix("error: no line named 'GPIO99'"))
        #expect(replies[3].hasPrefix("error: unknown command"))
    }
}
