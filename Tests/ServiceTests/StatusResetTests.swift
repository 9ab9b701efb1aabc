import EventLoop
import Glibc
import Service
import Testing

/// `fieldagent reset` talks to the agent over its status socket: one `reset` line, one answer.
@Suite struct StatusResetTests {
    @Test func aResetRequestRunsTheAgentsResetOnTheLoopAndReturnsItsAnswer() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        var resets = 0
        let server = try StatusServer(path: dir.file("agent.sock"), loop: loop, status: { "ok" }, metrics: { [] },
                                      reset: { resets += 1; return "reset: fault cleared" })
        let path = server.path
        let answer = try whileLoopRuns(loop) { try? StatusClient.query(path: path, request: .reset) }
        #expect(answer == "reset: fault cleared\n")
        #expect(resets == 1)
        // A plain status request never resets.
        _ = try whileLoopRuns(loop) { try? StatusClient.query(path: path, request: .status) }
        #expect(resets == 1)
    }

    @Test func anAgentWithNothingToResetSaysSo() throws {
        let dir = try TemporaryDirectory()
        let loop = try EpollLoop()
        let server = try StatusServer(path: dir.file("agent.sock"), loop: loop, status: { "ok" }, metrics: { [] })
        let path = server.path
        let answer = try whileLoopRuns(loop) { try? StatusClient.query(path: path, request: .reset) }
        #expect(answer == "error: this agent has nothing to reset\n")
    }
}
