import Agent
import EventLoop
import GPIO

/// The simulation's live view: one line per thing the agent senses or does, with the time since start.
final class LiveView {
    private let runtime: AgentRuntime
    private let enabled: Bool
    private var startTime: Instant = .zero

    init(runtime: AgentRuntime, enabled: Bool) {
        self.runtime = runtime
        self.enabled = enabled
    }

    func start() {
        startTime = runtime.loop.now
        guard enabled else { return }
        let agent = runtime.agent
        writeStandardOutput("""
            FieldAgent simulation: agent '\(agent.config.name)' on board \(agent.config.board.name) (mock GPIO)
              inputs:  \(agent.inputs.map { "\($0.name)=\($0.value ? 1 : 0)" }.joined(separator: " "))
              outputs: \(agent.outputs.map { "\($0.name)=\($0.value ? "on" : "off")" }.joined(separator: " "))
            Simulated presses every 2 s. Ctrl-C stops (outputs go to their safe values).

            """)
        agent.onInputEdge = { [unowned self] input, edge in
            self.line("sense  \(input.name) \(edge.edge == .rising ? "rises  ↑" : "falls  ↓")")
        }
        agent.onOutputChange = { [unowned self] output, value, cause in
            self.line("act    \(output.name) → \(value ? "ON " : "off")   (\(cause))")
        }
    }

    func finish() {
        guard enabled else { return }
        let agent = runtime.agent
        writeStandardOutput("edge → output latency: \(agent.edgeToOutput.summary)\n")
    }

    private func line(_ text: String) {
        let t = runtime.loop.now - startTime
        writeStandardOutput("\(formatFixed(Double(t.milliseconds) / 1000, digits: 3).leftPadded(8))s  \(text)\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
