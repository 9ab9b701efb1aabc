import EventLoop
import Glibc
import Service
import Testing

/// `fieldagent release`: one `release ADDRESS` line over the status socket, one answer.
@Suite struct StatusReleaseTests {
    @Test func aReleaseRequestPassesTheAddressAndReturnsTheAnswer() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        var released: [String] = []
        let server = try StatusServer(path: dir.file("agent.sock"), loop: loop, status: { "ok" }, metrics: { [] },
                                      release: { host in released.append(host); return "release: \(host) released" })
        let path = server.path
        let answer = try whileLoopRuns(loop) { try? StatusClient.query(path: path, request: .release, argument: "10.0.0.7") }
        #expect(answer == "release: 10.0.0.7 released\n")
        #expect(released == ["10.0.0.7"])
        // Not an address: refused before the agent sees it.
        #expect(server.answer("release 10.0.0.7; rm -rf /") == "error: release: '10.0.0.7; rm -rf /' is not a numeric address\n")
        #expect(server.answer("release") == "error: release needs the client address: release 192.0.2.7\n")
        #expect(released == ["10.0.0.7"])
    }

    @Test func anAgentWithoutSecurityQuarantinesNothing() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let server = try StatusServer(path: dir.file("agent.sock"), loop: loop, status: { "ok" }, metrics: { [] })
        #expect(server.answer("release ::1") == "error: this agent quarantines nothing (no security: section)\n")
    }
}
