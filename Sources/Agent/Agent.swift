import Config
import EventLoop
import GPIO

/// The running agent: its inputs, outputs and rules on one event loop.
///
/// Where a GPIO edge becomes an actuator command: ``InputMonitor`` (line request, debounce) →
/// ``RuleTable`` (which rules fire) → ``OutputDriver`` (set, toggle, pulse). Outputs start at their
/// initial values and go to their declared safe values on ``shutdown(reason:)``.
public final class Agent {
    public let config: AgentConfig
    private let loop: EventLoop
    private let logger: Logger
    private let chips: ChipSet
    public private(set) var inputs: [InputMonitor] = []
    public private(set) var outputs: [OutputDriver] = []
    private var rules: RuleTable
    /// Edge (its timestamp: the kernel's, or the mock chip's) → last output write of the rules it fired.
    public private(set) var edgeToOutput = LatencyHistogram()
    /// Edges seen after debouncing.
    public private(set) var edgeCount: UInt64 = 0
    /// Called after every output change (the simulation's live view, status).
    public var onOutputChange: ((OutputDriver, Bool, String) -> Void)?
    /// Called after every debounced input edge.
    public var onInputEdge: ((InputMonitor, EdgeEvent) -> Void)?
    private var running = false

    public init(config: AgentConfig, chips: ChipSet, loop: EventLoop, logger: Logger) {
        self.config = config
        self.chips = chips
        self.loop = loop
        self.logger = logger
        rules = RuleTable(inputCount: config.inputs.count)
    }

    /// Requests every line (outputs first, at their initial values), then starts reacting to edges.
    /// On failure, lines already requested are driven safe and released.
    public func start() throws(AgentError) {
        let consumer = "fieldagent:\(config.name)"
        do {
            for o in config.outputs {
                let chip = try chips.chip(label: o.pin.chipLabel)
                (chip as? MockChip)?.setAlias(o.name, line: o.pin.line)
                let driver = try OutputDriver(name: o.name, chip: chip, line: o.pin.line, activeLow: o.activeLow,
                                              initial: o.initial, safe: o.safe, consumer: consumer, loop: loop)
                driver.observe { [unowned self] d, value, cause in self.outputChanged(d, value, cause) }
                outputs.append(driver)
                logger.info("output.ready", ["output": o.name, "pin": o.pin.bcmName, "chip": o.pin.chipLabel,
                                             "line": o.pin.line, "value": o.initial ? 1 : 0, "safe": o.safe ? 1 : 0])
            }
            for i in config.inputs {
                let chip = try chips.chip(label: i.pin.chipLabel)
                (chip as? MockChip)?.setAlias(i.name, line: i.pin.line)
                let settings = InputSettings(bias: Bias(i.bias), activeLow: i.activeLow, edges: EdgeDetection(i.edges))
                let monitor = try InputMonitor(name: i.name, chip: chip, line: i.pin.line, settings: settings,
                                               debounce: i.debounce, consumer: consumer, loop: loop)
                inputs.append(monitor)
                logger.info("input.ready", ["input": i.name, "pin": i.pin.bcmName, "chip": i.pin.chipLabel,
                                            "line": i.pin.line, "value": monitor.value ? 1 : 0])
            }
        } catch {
            logger.error("gpio.request_failed", ["reason": error.message])
            shutdown(reason: "start failed")
            throw AgentError(error.message)
        }
        compileRules()
        for (index, monitor) in inputs.enumerated() {
            monitor.start { [unowned self] m, edge in self.inputEdge(index, m, edge) }
        }
        running = true
        logger.notice("agent.started", ["agent": config.name, "inputs": inputs.count, "outputs": outputs.count,
                                        "rules": rules.count, "backend": chips.backend.rawValue])
    }

    /// Drives every output to its safe value and releases all lines. Safe to call twice.
    public func shutdown(reason: String) {
        for output in outputs {
            output.driveSafe(reason: reason)
            output.release()
        }
        for input in inputs { input.release() }
        if !outputs.isEmpty || !inputs.isEmpty {
            logger.notice("agent.stopped", ["reason": reason, "outputs_safe": outputs.count, "edges": edgeCount,
                                            "edge_to_output": edgeToOutput.summary])
        }
        outputs = []
        inputs = []
        running = false
    }

    /// The output called `name`.
    public func output(named name: String) -> OutputDriver? { outputs.first { $0.name == name } }

    private func compileRules() {
        let inputIndex = Dictionary(uniqueKeysWithValues: inputs.enumerated().map { ($1.name, $0) })
        let outputIndex = Dictionary(uniqueKeysWithValues: outputs.enumerated().map { ($1.name, $0) })
        for (n, rule) in config.rules.enumerated() {
            // Config validation guarantees that every name resolves.
            guard let input = inputIndex[rule.input] else { continue }
            let trigger: RuleTable.Trigger
            switch rule.edge {
            case .rises: trigger = .rises
            case .falls: trigger = .falls
            case .changes: trigger = .changes
            }
            let action: RuleTable.Action
            switch rule.action {
            case .set(let output, let value):
                guard let o = outputIndex[output] else { continue }
                action = .set(output: o, value: value)
            case .toggle(let output):
                guard let o = outputIndex[output] else { continue }
                action = .toggle(output: o)
            case .pulse(let output, let duration):
                guard let o = outputIndex[output] else { continue }
                action = .pulse(output: o, duration: duration)
            }
            rules.add(input: input, .init(trigger: trigger, action: action, label: "rule \(n + 1) (line \(rule.location.line))"))
        }
    }

    private func inputEdge(_ index: Int, _ monitor: InputMonitor, _ edge: EdgeEvent) {
        edgeCount &+= 1
        logger.debug("input.edge", ["input": monitor.name, "edge": edge.edge.rawValue])
        onInputEdge?(monitor, edge)
        var fired = false
        rules.forEachFired(input: index, rising: edge.edge == .rising) { entry in
            fired = true
            switch entry.action {
            case .set(let o, let value): outputs[o].set(value, cause: entry.label)
            case .toggle(let o): outputs[o].toggle(cause: entry.label)
            case .pulse(let o, let duration): outputs[o].pulse(for: duration, cause: entry.label)
            }
        }
        if fired { edgeToOutput.record(loop.preciseNow() - edge.timestamp) }
    }

    private func outputChanged(_ output: OutputDriver, _ value: Bool, _ cause: String) {
        logger.info("output.changed", ["output": output.name, "value": value ? 1 : 0, "cause": cause])
        onOutputChange?(output, value, cause)
    }

    /// Forgets the latency samples (benchmarks warm up first).
    public func resetLatency() { edgeToOutput.reset() }
}
