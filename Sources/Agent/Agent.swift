import CompiledModel
import Config
import EventLoop
import GPIO
import Inference
import Modbus
import TLS
import Uplink

/// The running agent: its inputs, outputs and rules on one event loop.
///
/// Two paths lead to the actuators, both on the one loop:
/// - edges: ``InputMonitor`` (line request, debounce) → ``RuleTable`` (which rules fire) → ``OutputDriver``;
/// - decisions: Modbus sensors (``ModbusPoller``) and peers (``PeerSet``) → ``FeatureBank`` (windows) →
///   ``DecisionEngine`` (model, hysteresis) → ``ActuatorPlan`` (GPIO outputs, Modbus writes).
///
/// Outputs start at their initial values (decided ones at their safe values, until the first decision) and go
/// to their declared safe values on ``shutdown(reason:)``.
public final class Agent {
    public let config: AgentConfig
    let loop: EventLoop
    private let logger: Logger
    let chips: ChipSet
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
    private var stopReason: String?
    private var gpioConfirmed: [String] = []
    private var gpioUnconfirmed: [String] = []
    /// When the agent started (uptime, heartbeat).
    public private(set) var startedAt: Instant = .zero
    /// The Modbus sensors and actuators (`modbus:`); nil without devices.
    public private(set) var sensors: ModbusPoller?
    /// The agent's TLS client identity (`server: tls:`) for `tls://` sensors and peers; nil without TLS.
    public private(set) var tlsClient: TLSContext?
    /// The peers polled (`peers:`); nil without peers.
    public private(set) var peers: PeerSet?
    /// The features (`features:`).
    public private(set) var features: FeatureBank!
    /// The decision (`decide:`); nil without one.
    public private(set) var decision: DecisionEngine?
    /// The command block peers write (`stop`, `reduce-load`, flags) and its allowlist.
    public private(set) var commands: CommandBlock!
    /// Behaviour and quarantine of the server's clients (`security:`); nil without it. The server reports to it.
    public private(set) var quarantine: QuarantineGuard?
    /// Whether each polled Modbus device still answers like itself (`security:`); nil without it.
    public private(set) var identity: DeviceIdentity?
    private let model: any CompiledNetwork.Type
    private var lastInputSample: Instant?
    /// Where a latched class is kept across restarts (`STATE_DIR/NAME.latch`); nil keeps it in memory only
    /// (simulation, HIL, tests). Set before ``start()``.
    public var latchStore: LatchStore?
    /// Resolves the host names of Modbus devices and peers off the loop; nil: the default (`getaddrinfo` on a
    /// helper thread). Set before ``start()`` (tests give a silent or failing DNS).
    public var resolver: NameResolver?
    /// The Sparkplug B uplink (`uplink:`); nil without one, or when its buffer directory could not be opened.
    public private(set) var uplink: SparkplugEdgeNode?
    /// Where the uplink's store-and-forward buffer lives when the config names no `buffer_dir`
    /// (`STATE_DIR/uplink-NAME`); nil: `/tmp/fieldagent-NAME-uplink`. Set before ``start()``.
    public var uplinkDirectory: String?

    /// Uses `context` (the agent's renewed certificate) for the next TLS connections to sensors and peers.
    public func reloadTLSClient(_ context: TLSContext) {
        tlsClient = context
        sensors?.reloadTLS(context)
        peers?.reloadTLS(context)
    }

    /// An agent for `config`; `model` is the compiled-in network unless a test gives another.
    public init(config: AgentConfig, chips: ChipSet, loop: EventLoop, logger: Logger, model: any CompiledNetwork.Type = CompiledModel.self) {
        self.config = config
        self.chips = chips
        self.loop = loop
        self.logger = logger
        self.model = model
        rules = RuleTable(inputCount: config.inputs.count)
    }

    /// Requests every line (outputs first, at their initial values), then starts reacting to edges.
    /// On failure, lines already requested are driven safe and released.
    public func start() throws(AgentError) {
        let consumer = "fieldagent:\(config.name)"
        startedAt = loop.now
        let decided = Set(config.decision?.decidedOutputs ?? [])
        do {
            for o in config.outputs {
                let chip = try chips.chip(label: o.pin.chipLabel)
                (chip as? MockChip)?.setAlias(o.name, line: o.pin.line)
                // A decided output starts safe: no decision has been made yet.
                let initial = decided.contains(o.name) ? o.safe : o.initial
                let driver = try OutputDriver(name: o.name, chip: chip, line: o.pin.line, activeLow: o.activeLow,
                                              initial: initial, safe: o.safe, consumer: consumer, loop: loop)
                driver.observe { [unowned self] d, value, cause in self.outputChanged(d, value, cause) }
                outputs.append(driver)
                logger.info("output.ready", ["output": o.name, "pin": o.pin.bcmName, "chip": o.pin.chipLabel,
                                             "line": o.pin.line, "value": initial ? 1 : 0, "safe": o.safe ? 1 : 0])
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
        if let tls = config.serverTLS {
            do {
                tlsClient = try TLSContext(server: false, identity: tls.identity)
            } catch {
                logger.error("tls.identity_failed", ["reason": error.description])
                shutdown(reason: "start failed")
                throw AgentError("server: tls: \(error.description)")
            }
        }
        do {
            try startDecisionPath()
        } catch {
            logger.error("modbus.start_failed", ["reason": error.description])
            shutdown(reason: "start failed")
            throw AgentError("Modbus: \(error.description)")
        }
        startUplink()
        running = true
        logger.notice("agent.started", ["agent": config.name, "inputs": inputs.count, "outputs": outputs.count,
                                        "rules": rules.count, "devices": config.modbus.count, "peers": config.peers.count,
                                        "features": config.features.count, "model": config.decision == nil ? "off" : model.info.name,
                                        "backend": chips.backend.rawValue])
    }

    /// Sensors, peers, features, command block and decision, wired on the loop.
    private func startDecisionPath() throws(SystemError) {
        var writers = Set(config.writers.map(CommandBlock.normalized))
        for p in config.peers where SocketAddress(numericHost: p.host, port: 0) != nil { writers.insert(CommandBlock.normalized(p.host)) }
        let commands = CommandBlock(allowed: writers, loop: loop, logger: logger)
        self.commands = commands
        if !config.modbus.isEmpty { sensors = try ModbusPoller(loop: loop, devices: config.modbus, logger: logger, resolver: resolver, tls: tlsClient) }
        if !config.peers.isEmpty { peers = try PeerSet(configs: config.peers, loop: loop, logger: logger, resolver: resolver, tls: tlsClient) }
        // A peer given by name may write (and gets a reserved server slot) from the address it resolves to.
        peers?.onResolved = { [unowned commands] _, address in commands.allow(address.host) }
        let features = FeatureBank(configs: config.features, logger: logger) { [unowned self] source in self.linkProblem(source) }
        self.features = features
        sensors?.onSample = { sample in features.ingest(sample) }
        sensors?.onLinkChange = { device, state in if state == .down { features.sourceLost(device: device) } }
        if let peers {
            peers.onStatus = { [unowned self, unowned peers] i in
                let p = peers.peers[i]
                if let status = p.status {
                    features.ingest(peer: p.config.name, status: status, values: p.values, at: p.lastSeen ?? .zero)
                    self.identity?.peer(p.config.name, answersAs: status.name)
                }
            }
            peers.onChange = { [unowned self, unowned peers] i in
                if peers.peers[i].link == .down { features.sourceLost(device: peers.peers[i].config.name) }
                self.decision?.reapply()
            }
        }
        commands.onChange = { [unowned self] _ in self.decision?.reapply() }
        commands.onReset = { [unowned self] writer in self.requestReset(source: "command bit reset from \(writer)") }
        if let d = config.decision {
            let plan = ActuatorPlan(decision: d, outputs: outputs, devices: config.modbus, writer: sensors, logger: logger)
            let stored = latchStore?.load()
            let latched = stored.flatMap { d.labels.firstIndex(of: $0) }
            if let stored, latched == nil || !d.latching.contains(latched!) {
                logger.warning("decision.latch_dropped", ["file": latchStore!.path, "class": stored, "reason": "not a latching class of this config"])
            }
            let engine = DecisionEngine(decision: d, features: features, plan: plan, model: model, loop: loop, logger: logger,
                                        condition: { [unowned self] c in self.holds(c) },
                                        remoteStop: { commands.isSet(0) },
                                        beforeTick: { [unowned self] in self.sampleInputFeatures() }, latched: latched)
            if let store = latchStore {
                engine.onLatchChange = { [logger] latched in
                    if let problem = store.save(latched.map { d.labels[$0] }) {
                        logger.error("decision.latch_not_kept", ["file": store.path, "reason": problem, "risk": "a restart would forget the latch"])
                    }
                }
            }
            decision = engine
        }
        if let s = config.security {
            quarantine = QuarantineGuard(config: s, loop: loop, logger: logger)
            quarantine?.start()
            if sensors != nil || peers != nil {
                let identity = DeviceIdentity(learn: s.learn, loop: loop, logger: logger)
                self.identity = identity
                sensors?.onAnswer = { device, point, took, exception in identity.answer(device: device, point: point, took: took, exception: exception) }
            }
            if let sensors, let identity {
                askIdentification(sensors, identity)
            }
        }
        sensors?.start()
        peers?.start()
        decision?.start()
    }

    /// Asks every polled device for its device identification now and every ``identificationInterval``.
    private func askIdentification(_ sensors: ModbusPoller, _ identity: DeviceIdentity) {
        for device in sensors.devices {
            sensors.identify(device: device.name) { result in
                switch result {
                case .success(let answer)?:
                    identity.identification(device: device.name, text: answer.objects.map { "'\($0.text)'" }.joined(separator: " "))
                case .failure?: identity.identification(device: device.name, text: nil)
                case nil: break
                }
            }
        }
        loop.schedule(after: Self.identificationInterval) { [weak self, weak sensors] in
            guard let self, let sensors, self.running else { return }
            self.askIdentification(sensors, identity)
        }
    }

    /// How often polled devices are asked for their device identification (FC 43 / MEI 14) under `security:`.
    public static let identificationInterval: Duration = .seconds(2)

    /// The Sparkplug edge node, when configured. A buffer directory that cannot be opened leaves the agent running
    /// without its uplink (logged): the machine's control never depends on the broker.
    private func startUplink() {
        guard let u = config.uplink else { return }
        let directory = u.bufferDirectory ?? uplinkDirectory ?? "/tmp/fieldagent-\(config.name)-uplink"
        do {
            let node = try SparkplugEdgeNode(config: u, definitions: AgentUplink.definitions(for: self), bufferDirectory: directory,
                                             loop: loop, logger: logger, resolver: resolver) { [unowned self] in AgentUplink.sample(self) }
            node.deviceOnline = { [unowned self] device in AgentUplink.deviceOnline(self, device) }
            node.onCommand = { [unowned self] host, name, value in AgentUplink.command(self, host: host, name: name, value: value) }
            uplink = node
            node.start()
        } catch {
            logger.error("uplink.not_started", ["buffer_dir": directory, "reason": error.description, "effect": "the agent runs without its uplink"])
        }
    }

    /// Gives the features that read GPIO inputs a sample of each input's debounced value, once per loop time.
    private func sampleInputFeatures() {
        guard let features, lastInputSample != loop.now else { return }
        lastInputSample = loop.now
        features.sampleInputs(at: loop.now) { name in inputs.first { $0.name == name }?.value }
    }

    /// Why a feature source cannot be used now, or nil.
    private func linkProblem(_ source: FeatureConfig.Source) -> String? {
        switch source {
        case .modbus(let device, _, _):
            let state = sensors?.link(of: device)?.state ?? .down
            return state == .up ? nil : "sensor \(device) is \(state.rawValue)" + (sensors?.problem(of: device).map { " (\($0))" } ?? "")
        case .peer(let name, _):
            guard let peers, let i = peers.index(of: name) else { return "peer \(name) unknown" }
            let p = peers.peers[i]
            return p.link == .up ? nil : "peer \(name) is \(p.link.rawValue)" + (peers.reason(i).map { " (\($0))" } ?? "")
        case .input:
            return nil
        }
    }

    /// Whether an override's condition holds now.
    private func holds(_ condition: DecisionConfig.Condition) -> Bool {
        switch condition {
        case .command(let bit, _):
            return commands.isSet(bit)
        case .peerDown(let name):
            guard let peers, let i = peers.index(of: name) else { return true }
            return peers.peers[i].link != .up
        case .peerClass(let name, let c, _):
            guard let peers, let i = peers.index(of: name) else { return false }
            let p = peers.peers[i]
            return p.link == .up && p.status?.healthClass == c
        case .anomaly, .estimate:
            // Evaluated by the decision's CompanionMonitor.
            return false
        }
    }

    /// Asks the decision to reset a latched class (see ``DecisionEngine/requestReset(source:)``): from the
    /// command bit `reset`, the config's `reset_input`, or `fieldagent reset` on the status socket.
    @discardableResult
    public func requestReset(source: String) -> ClassLatch.ResetOutcome {
        decision?.requestReset(source: source) ?? .notLatched
    }

    /// What `fieldagent reset` gets back on the status socket: one line, `reset: …`.
    public func resetAnswer(source: String) -> String {
        guard let d = decision else { return "error: this agent has no decide: section, so nothing latches\n" }
        switch requestReset(source: source) {
        case .cleared(0): return "reset: the anomaly alarm cleared (the score reads below warn)\n"
        case .cleared(let c): return "reset: \(d.decision.labels[c]) cleared; deciding afresh (actuators safe until a class is confirmed)\n"
        case .refused(let why): return "error: reset refused: \(why)\n"
        case .notLatched: return "reset: nothing is latched\n"
        }
    }

    /// Feature `slot`'s value for the register map (nil: invalid or no such feature).
    public func exportedValue(_ slot: Int) -> Double? {
        guard let features, slot < features.features.count else { return nil }
        if decision == nil {
            sampleInputFeatures()
            features.evaluateIfNeeded(at: loop.now)
        }
        return features.features[slot].value
    }

    /// The register map's alarm bits.
    public var alarms: RegisterLayout.Alarm {
        var a: RegisterLayout.Alarm = []
        if let d = decision {
            if d.state == .failSafe { a.insert(.failSafe) }
            if let c = d.currentClass {
                if c > 0 { a.insert(.notNormal) }
                if c == d.decision.labels.count - 1 { a.insert(.worst) }
            }
            if d.latchedClass != nil { a.insert(.latched) }
            if let level = d.companions?.levels?.inForce {
                if level >= 1 { a.insert(.anomalyWarn) }
                if level >= 2 { a.insert(.anomalyAlarm) }
            }
        }
        if let sensors, sensors.devices.contains(where: { sensors.link(of: $0.name)?.state != .up }) { a.insert(.sensorDown) }
        if let peers, peers.peers.contains(where: { $0.link != .up }) { a.insert(.peerDown) }
        if features?.anyRejecting == true { a.insert(.badSample) }
        if commands?.isSet(0) == true { a.insert(.remoteStop) }
        if quarantine?.quarantined.isEmpty == false { a.insert(.quarantine) }
        if identity?.suspects.isEmpty == false { a.insert(.identity) }
        return a
    }

    /// Drives every output to its safe value, reads each GPIO line back, and releases all lines; Modbus
    /// actuators get their safe writes sent (see ``safeWritesPending``; ``logStopped()`` reports what the devices
    /// confirmed). Safe to call twice.
    public func shutdown(reason: String) {
        decision?.stop(reason: reason)
        quarantine?.stop()
        peers?.stop()
        uplink?.stop()
        if stopReason == nil { stopReason = reason }
        for output in outputs {
            output.driveSafe(reason: reason)
            switch output.readBack() {
            case .success(let value) where value == output.safeValue:
                gpioConfirmed.append(output.name)
            case .success(let value):
                gpioUnconfirmed.append("\(output.name) (reads \(value ? "on" : "off"))")
            case .failure(let error):
                gpioUnconfirmed.append("\(output.name) (\(error.message))")
            }
            output.release()
        }
        for input in inputs { input.release() }
        if !outputs.isEmpty {
            logger.notice("agent.outputs_safe", ["reason": reason, "confirmed": "\(gpioConfirmed.count)/\(gpioConfirmed.count + gpioUnconfirmed.count)",
                                                 "unconfirmed": gpioUnconfirmed.isEmpty ? "none" : gpioUnconfirmed.joined(separator: ", ")])
        }
        outputs = []
        inputs = []
        running = false
    }

    /// What the devices confirmed since ``shutdown(reason:)``: GPIO lines read back at their safe values, and
    /// Modbus actuators whose safe write the device acknowledged; the rest with why not.
    public var stopConfirmations: (confirmed: [String], unconfirmed: [String]) {
        var confirmed = gpioConfirmed
        var unconfirmed = gpioUnconfirmed
        for t in decision?.plan.targets ?? [] {
            guard case .modbus = t.target else { continue }
            if t.confirmedSafe {
                confirmed.append(t.target.description)
            } else {
                let why = t.inFlight ? "write not answered" : t.lastError ?? "not written"
                unconfirmed.append("\(t.target) (\(why))")
            }
        }
        return (confirmed, unconfirmed)
    }

    /// Logs `agent.stopped` with what was confirmed written, not what was attempted: call it once the Modbus
    /// safe writes have been answered (or given up on). An error when anything is unconfirmed.
    public func logStopped() {
        let (confirmed, unconfirmed) = stopConfirmations
        let total = confirmed.count + unconfirmed.count
        if unconfirmed.isEmpty {
            logger.notice("agent.stopped", ["reason": stopReason ?? "stopped", "confirmed_safe": "\(confirmed.count)/\(total)",
                                            "edges": edgeCount, "edge_to_output": edgeToOutput.summary])
        } else {
            logger.error("agent.stopped", ["reason": stopReason ?? "stopped", "confirmed_safe": "\(confirmed.count)/\(total)",
                                           "unconfirmed": unconfirmed.joined(separator: ", "),
                                           "action": "not known to be safe; under systemd, ExecStopPost runs fieldagent safe",
                                           "edges": edgeCount, "edge_to_output": edgeToOutput.summary])
        }
    }

    /// True while safe-value writes to Modbus actuators are still on their way (the runtime waits for them,
    /// bounded, before it closes the sensors' connections with ``closeModbus()``).
    public var safeWritesPending: Bool { decision?.plan.writesInFlight ?? false }

    /// Stops polling and closes the Modbus connections.
    public func closeModbus() {
        sensors?.stop()
        peers?.stop()
    }

    /// The server's write authorizer: a quarantined source's writes are refused, then the command block decides.
    public func authorizeWrite(_ client: ModbusClientInfo, _ unit: UInt8, _ write: RegisterWrite, requireAllowlist: Bool = true) -> WriteDecision {
        if let quarantine, quarantine.isQuarantined(client.host) {
            quarantine.refusedWrite(client.host)
            return .reject(.illegalFunction)
        }
        return commands.authorize(client, unit, write, requireAllowlist: requireAllowlist)
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
        if edge.edge == .rising, monitor.name == config.decision?.resetInput { requestReset(source: "input \(monitor.name)") }
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
