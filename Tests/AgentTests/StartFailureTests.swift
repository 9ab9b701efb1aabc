import Glibc
import Testing

/// `fieldagent run` that fails after it has driven its outputs (a socket it cannot serve) ends through the safe
/// values, not with the outputs at their initial ones; a socket path too long to bind is refused before anything moves.
@Suite struct StartFailureTests {
    static let config = """
        board: sim
        name: start-failure
        outputs:
          - {name: lamp, pin: GPIO27, initial: on, safe: off}

        """

    func writeConfig() throws -> (directory: String, path: String) {
        let directory = try makeTemporaryDirectory("start")
        let path = directory + "/agent.yaml"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var text = Self.config
        _ = text.withUTF8 { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return (directory, path)
    }

    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"))
    func aStatusSocketThatCannotBeServedEndsTheAgentThroughItsSafeValues() throws {
        let (directory, path) = try writeConfig()
        defer { unlink(path); unlink(directory + "/chip.sock"); rmdir(directory) }
        let agent = try AgentProcess(["run", "--config", path, "--gpio", "mock", "--mock-socket", directory + "/chip.sock",
                                      "--status-socket", directory + "/missing/status.sock", "--metrics-dir", "none"])
        agent.waitForExit(timeout: .seconds(20))
        #expect(agent.exitStatus == 1)
        #expect(agent.text.contains("event=output.changed output=lamp value=0 cause=\"safe state: start failed\""), "\(agent.text)")
    }

    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"))
    func aSocketPathTooLongToBindIsRefusedBeforeAnyOutputMoves() throws {
        let (directory, path) = try writeConfig()
        defer { unlink(path); rmdir(directory) }
        let agent = try AgentProcess(["run", "--config", path, "--gpio", "mock", "--mock-socket", directory + "/" + String(repeating: "m", count: 120),
                                      "--status-socket", "none", "--metrics-dir", "none"])
        agent.waitForExit(timeout: .seconds(20))
        #expect(agent.exitStatus == 2)
        #expect(!agent.text.contains("output.ready"), "\(agent.text)")
        #expect(agent.text.contains("a Unix socket path holds at most 107"))
    }
}
