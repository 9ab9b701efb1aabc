import Agent
import Config
import EventLoop
import Modbus

/// The two-line simulation's live view: every `period`, one line per agent (what it senses, decides and
/// drives, and what it sees of its peer); between them, a line for every decision, fail-safe and output change.
final class FleetView {
    struct Member {
        let runtime: AgentRuntime
        let machine: SimulatedMachine?
    }

    private let members: [Member]
    private let loop: EventLoop
    private let period: Duration
    private var startTime: Instant = .zero
    private var timer: TimerID?

    init(members: [Member], loop: EventLoop, period: Duration = .seconds(2)) {
        self.members = members
        self.loop = loop
        self.period = period
    }

    func start() {
        startTime = loop.now
        for m in members {
            let agent = m.runtime.agent
            let name = agent.config.name
            agent.onOutputChange = { [unowned self] output, value, cause in
                self.event(name, "act     \(output.name) → \(value ? "ON" : "off")  (\(cause))")
            }
            agent.onInputEdge = { [unowned self] input, edge in
                self.event(name, "sense   \(input.name) \(edge.edge == .rising ? "rises" : "falls")")
            }
            agent.decision?.onChange = { [unowned self] engine in
                switch engine.state {
                case .deciding:
                    let c = engine.currentClass ?? 0
                    let latched = engine.latchedClass == c ? ", latched until reset: fieldagent reset \(name)" : ""
                    self.event(name, "decide  \(engine.decision.labels[c].uppercased()) (p=\(formatFixed(engine.probabilities[c], digits: 2))\(latched))")
                case .failSafe: self.event(name, "SAFE    \(engine.reason)")
                default: self.event(name, "decide  waiting: \(engine.reason)")
                }
            }
            agent.decision?.companions?.onLevelChange = { [unowned self] level, score in
                self.event(name, "anomaly \(CompanionMonitor.levelName(level).uppercased()) (score \(formatFixed(score, digits: 2)))")
            }
        }
        schedule()
    }

    func stop() {
        if let timer { loop.cancel(timer) }
        timer = nil
    }

    private func schedule() {
        timer = loop.schedule(after: period) { [weak self] in
            guard let self else { return }
            for m in self.members { self.summary(m) }
            self.schedule()
        }
    }

    private func summary(_ m: Member) {
        let agent = m.runtime.agent
        var parts: [String] = []
        // Senses: a few features.
        if let bank = agent.features {
            let shown = [("vibration_rms_g", "vib", "g"), ("bearing_temperature_c", "bearing", "°C"), ("motor_current_a", "current", "A")]
            var senses: [String] = []
            for (feature, label, unit) in shown {
                guard let i = bank.index(of: feature) else { continue }
                senses.append("\(label) " + (bank.features[i].value.map { formatFixed($0, digits: 2) + unit } ?? "--"))
            }
            if let machine = m.machine { senses.append("wear \(formatFixed(machine.severity * 100, digits: 0))%") }
            if !senses.isEmpty { parts.append(senses.joined(separator: " ")) }
        }
        // Decides.
        if let d = agent.decision {
            switch d.state {
            case .deciding:
                let c = d.currentClass ?? 0
                if d.latchedClass == c, let top = d.lastTop, top != c {
                    parts.append("\(d.decision.labels[c]) LATCHED (model: \(d.decision.labels[top]) \(formatFixed(d.probabilities[top] * 100, digits: 0))%)")
                } else {
                    parts.append("\(d.decision.labels[c]) \(formatFixed(d.probabilities[c] * 100, digits: 0))%" + (d.latchedClass == c ? " LATCHED" : ""))
                }
            case .failSafe: parts.append("FAIL-SAFE")
            default: parts.append("starting")
            }
            if let c = d.companions { parts.append(Self.companionSummary(c)) }
        }
        // Drives.
        var acts = agent.outputs.map { "\($0.name) \($0.value ? "ON" : "off")" }
        for t in agent.decision?.plan.targets ?? [] {
            if case .modbus(_, let point) = t.target {
                acts.append("\(point) \(t.applied.map { formatFixed($0, digits: 0) } ?? "?")")
            }
        }
        parts.append(acts.joined(separator: " "))
        // Sees of its peers.
        for p in agent.peers?.peers ?? [] {
            var seen = "\(p.config.name): \(p.link.rawValue)"
            if p.link == .up, let s = p.status {
                if let c = s.healthClass, let labels = agent.decision?.decision.labels, c < labels.count { seen += " " + labels[c] }
                else { seen += " " + (s.state?.description ?? "?") }
            }
            parts.append(seen)
        }
        writeStandardOutput("\(stamp()) \(agent.config.name.padded(7)) | " + parts.joined(separator: " | ") + "\n")
    }

    /// `anomaly 0.42 normal rul 182h`: the anomaly score and level, and each estimate.
    static func companionSummary(_ c: CompanionMonitor) -> String {
        var words: [String] = []
        if c.anomaly != nil {
            words.append("anomaly " + (c.score.map { formatFixed($0, digits: 2) } ?? "--") + " " + CompanionMonitor.levelName(c.levels?.inForce)
                         + (c.levels?.latched == true ? " LATCHED" : ""))
        }
        for e in c.estimates {
            for (i, v) in e.values.enumerated() {
                words.append("\(e.config.outputs[i]) " + (v.isFinite ? formatFixed(v, digits: 0) : "--") + (i < e.config.units.count ? e.config.units[i] : ""))
            }
        }
        return words.joined(separator: " ")
    }

    /// A line about `agent` from outside it (the simulated technician).
    func note(_ agent: String, _ text: String) { event(agent, text) }

    private func event(_ agent: String, _ text: String) {
        writeStandardOutput("\(stamp()) \(agent.padded(7))   \(text)\n")
    }

    private func stamp() -> String {
        let t = loop.now - startTime
        return (formatFixed(t.milliseconds / 1000, digits: 1) + "s").leftPadded(7)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
