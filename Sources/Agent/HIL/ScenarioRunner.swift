import EventLoop
import GPIO

/// Runs a ``Scenario`` against a started ``Agent`` on mock chips, in real time on the real loop, and reports
/// pass or fail per step.
public final class ScenarioRunner {
    /// The outcome of one step.
    public struct StepResult: Sendable {
        public var index: Int
        public var passed: Bool
        /// What happened, one line: `set button=1 → lamp=1 after 41µs`.
        public var detail: String
    }

    private let scenario: Scenario
    private let agent: Agent
    private let chips: [MockChip]
    private let loop: EpollLoop
    private var results: [StepResult] = []
    private var start: Instant = .zero
    private var observer: (chip: MockChip, id: Int)?

    public init(scenario: Scenario, agent: Agent, chips: [MockChip], loop: EpollLoop) {
        self.scenario = scenario
        self.agent = agent
        self.chips = chips
        self.loop = loop
    }

    /// Runs every step; returns the results in order. Unknown names fail their step with the names known.
    public func run() throws(SystemError) -> [StepResult] {
        start = loop.preciseNow()
        scheduleStep(0, notBefore: start)
        try loop.run()
        return results
    }

    private func scheduleStep(_ index: Int, notBefore: Instant) {
        guard index < scenario.steps.count else {
            loop.stop()
            return
        }
        let step = scenario.steps[index]
        let due = max(start + step.at, notBefore)
        loop.schedule(at: due) { [unowned self] in self.perform(index) }
    }

    private func find(_ name: String) -> (MockChip, Int)? {
        for chip in chips {
            if let line = chip.line(named: name) { return (chip, line) }
        }
        return nil
    }

    private func knownNames() -> String {
        (agent.config.inputs.map(\.name) + agent.config.outputs.map(\.name)).joined(separator: ", ")
    }

    private func perform(_ index: Int) {
        let step = scenario.steps[index]
        var actions: [String] = []
        for (name, level) in step.set {
            guard let (chip, line) = find(name) else {
                finish(index, passed: false, "unknown line '\(name)'; the config names: \(knownNames())")
                return
            }
            chip.drive(line: line, level: level)
            actions.append("\(name)=\(level.map { $0 ? "1" : "0" } ?? "float")")
        }
        if step.stop {
            agent.shutdown(reason: "scenario stop (as SIGTERM)")
            actions.append("stop")
        }
        let stepStart = loop.preciseNow()
        var targets: [(name: String, chip: MockChip, line: Int, level: Bool)] = []
        for (name, level) in step.expect {
            guard let (chip, line) = find(name) else {
                finish(index, passed: false, "unknown line '\(name)'; the config names: \(knownNames())")
                return
            }
            targets.append((name, chip, line, level))
        }
        let did = actions.isEmpty ? "" : "set " + actions.joined(separator: " ") + " → "
        let wanted = targets.map { "\($0.name)=\($0.level ? 1 : 0)" }.joined(separator: " ")
        func satisfied() -> Bool { targets.allSatisfy { $0.chip.level(ofLine: $0.line) == $0.level } }
        if satisfied() {
            finish(index, passed: true, did + (targets.isEmpty ? "ok" : wanted + " at once"))
            return
        }
        var done = false
        var observerIDs: [(MockChip, Int)] = []
        var timer: TimerID?
        let cleanup = {
            for (chip, id) in observerIDs { chip.removeObserver(id) }
            if let timer { self.loop.cancel(timer) }
        }
        for chip in Set(targets.map { ObjectIdentifier($0.chip) }).compactMap({ id in targets.first { ObjectIdentifier($0.chip) == id }?.chip }) {
            let id = chip.addObserver { [unowned self] _ in
                guard !done, satisfied() else { return }
                done = true
                let latency = self.loop.preciseNow() - stepStart
                cleanup()
                self.finish(index, passed: true, did + wanted + " after " + formatMicroseconds(latency))
            }
            observerIDs.append((chip, id))
        }
        timer = loop.schedule(after: step.within) { [unowned self] in
            guard !done else { return }
            done = true
            timer = nil
            cleanup()
            let actual = targets.map { "\($0.name)=\($0.chip.level(ofLine: $0.line) ? 1 : 0)" }.joined(separator: " ")
            self.finish(index, passed: false, did + "expected \(wanted) within \(formatMicroseconds(step.within)), got \(actual)")
        }
    }

    private func finish(_ index: Int, passed: Bool, _ detail: String) {
        results.append(StepResult(index: index, passed: passed, detail: detail))
        if !passed {
            // Later steps build on this one; stop here.
            loop.stop()
            return
        }
        scheduleStep(index + 1, notBefore: loop.preciseNow())
    }
}
