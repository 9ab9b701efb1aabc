import Agent
import EventLoop
import Glibc
import Testing

/// The real binary under signals: every signal that would end the process goes through the safe shutdown, and a
/// closed output pipe does not kill it. The outputs are watched over the mock chip's control socket, which
/// reports every level change until the agent closes it.
@Suite struct SignalTests {
    /// Two outputs whose safe values differ from their initial ones, and a rule, so that a log line can be caused.
    static let config = """
        board: sim
        name: NAME
        inputs:
          - {name: button, pin: GPIO17}
        outputs:
          - {name: lamp, pin: GPIO27, initial: on, safe: off}
          - {name: fan, pin: GPIO22, initial: off, safe: on}
        rules:
          - {when: button changes, toggle: lamp}

        """

    /// A running agent with its own config and sockets, and a `watch` client on its mock chip.
    struct RunningAgent {
        let process: AgentProcess
        let chip: MockChipClient
        let directory: String

        init(_ tag: String) throws {
            directory = try makeTemporaryDirectory("signal")
            let configPath = directory + "/agent.yaml"
            let fd = open(configPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            var text = SignalTests.config.replacingFirst("NAME", with: "signal-\(tag)")
            _ = text.withUTF8 { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            process = try AgentProcess(["run", "--config", configPath, "--gpio", "mock", "--mock-socket", directory + "/chip.sock",
                                        "--status-socket", "none", "--metrics-dir", "none"])
            chip = try MockChipClient(path: directory + "/chip.sock")
            chip.send("watch")
            guard chip.line() == "ok" else { throw SystemError("no answer to watch", code: EPROTO) }
        }

        /// The last level the watch reported for each output, once the agent closed the socket.
        func finalLevels() -> [String: String] {
            var levels: [String: String] = [:]
            for line in chip.linesUntilClosed() {
                let words = line.split(separator: " ")
                if words.count == 3, words[0] == "change" { levels[String(words[1])] = String(words[2]) }
            }
            return levels
        }

        func cleanUp() {
            unlink(directory + "/agent.yaml")
            unlink(directory + "/chip.sock")
            rmdir(directory)
        }
    }

    static let signals: [Int32] = [SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGPWR,
                                   __libc_current_sigrtmin() + 3]

    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"), arguments: signals)
    func everySignalThatWouldEndTheAgentDrivesTheOutputsSafeFirst(signal: Int32) throws {
        let agent = try RunningAgent("\(signal)")
        defer { agent.cleanUp() }
        kill(agent.process.pid, signal)
        #expect(agent.finalLevels() == ["lamp": "0", "fan": "1"], "\(agent.process.text)")
        agent.process.waitForExit(timeout: .seconds(10))
        #expect(agent.process.killedBy == nil, "ended by signal \(agent.process.killedBy ?? 0) without a safe shutdown")
        #expect(agent.process.exitStatus == (signal == SIGTERM || signal == SIGINT ? 0 : 128 + signal))
        #expect(agent.process.text.contains("event=agent.signal signal=\(SignalPolicy.name(of: signal)) action=\"safe shutdown\""))
    }

    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"))
    func sighupIsLoggedAndChangesNothing() throws {
        let agent = try RunningAgent("hup")
        defer { agent.cleanUp() }
        kill(agent.process.pid, SIGHUP)
        agent.chip.send("get lamp")
        #expect(agent.chip.reply() == "lamp 1")
        #expect(agent.process.isRunning)
        kill(agent.process.pid, SIGTERM)
        #expect(agent.finalLevels() == ["lamp": "0", "fan": "1"])
        agent.process.waitForExit(timeout: .seconds(10))
        #expect(agent.process.exitStatus == 0)
        #expect(agent.process.text.contains("event=agent.sighup"))
    }

    /// `fieldagent run … 2>&1 | head -1`: head exits after its line; the agent's next log line meets a closed pipe.
    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"))
    func aClosedOutputPipeDoesNotKillTheAgent() throws {
        let agent = try RunningAgent("pipe")
        defer { agent.cleanUp() }
        #expect(agent.process.firstLine(timeout: .seconds(10)) != nil)
        agent.process.closeOutput()
        // Each press toggles the lamp, and each toggle logs a line into the closed pipe.
        for level in [1, 0, 1, 0] {
            agent.chip.send("set button \(level)")
            #expect(agent.chip.reply() == "ok")
        }
        agent.chip.send("get lamp")
        #expect(agent.chip.reply() == "lamp 1")
        #expect(agent.process.isRunning, "ended by signal \(agent.process.killedBy ?? 0)")
        kill(agent.process.pid, SIGTERM)
        #expect(agent.finalLevels()["lamp"] == "0")
        agent.process.waitForExit(timeout: .seconds(10))
        #expect(agent.process.exitStatus == 0)
    }
}
