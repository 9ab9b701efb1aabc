import EventLoop
import GPIO
import Glibc
import Modbus

/// Runs a ``Scenario`` against started agents on mock chips (and their simulated machines), in real time on
/// the real loop, and reports pass or fail per step.
public final class ScenarioRunner {
    /// The outcome of one step.
    public struct StepResult: Sendable {
        public var index: Int
        public var passed: Bool
        /// What happened, one line: `set button=1 → lamp=1 after 41µs`.
        public var detail: String
    }

    /// One agent under test.
    public struct Member {
        public var agent: Agent
        public var chips: [MockChip]
        /// Its simulated machine, if the config reads one on loopback.
        public var machine: SimulatedMachine?
        /// Stops it as SIGTERM would (a peer disappearing).
        public var kill: () -> Void
        /// The port its register map is served on, if it serves one.
        public var mapPort: UInt16?

        public init(agent: Agent, chips: [MockChip], machine: SimulatedMachine?, mapPort: UInt16? = nil, kill: @escaping () -> Void) {
            self.agent = agent
            self.mapPort = mapPort
            self.chips = chips
            self.machine = machine
            self.kill = kill
        }

        var name: String { agent.config.name }
    }

    private let scenario: Scenario
    private let members: [Member]
    private let loop: EpollLoop
    private var results: [StepResult] = []
    private var start: Instant = .zero
    private var clients: [String: ModbusClient] = [:]
    /// Stranger connections opened by steps (`strangers:`), per step index; closed when the scenario ends.
    private var strangerFDs: [Int: [Int32]] = [:]

    /// Every step's `within:` is multiplied by this (at least 1): an emulated CPU (qemu) runs the agents several
    /// times slower than the hardware the scenarios were written for. `hold:` is not scaled.
    public var withinScale = 1

    public init(scenario: Scenario, members: [Member], loop: EpollLoop) {
        self.scenario = scenario
        self.members = members
        self.loop = loop
    }

    /// One agent, as before several were possible.
    public convenience init(scenario: Scenario, agent: Agent, chips: [MockChip], loop: EpollLoop) {
        self.init(scenario: scenario, members: [Member(agent: agent, chips: chips, machine: nil, kill: { agent.shutdown(reason: "scenario kill") })], loop: loop)
    }

    /// Runs every step; returns the results in order. Unknown names fail their step with the names known.
    public func run() throws(SystemError) -> [StepResult] {
        start = loop.preciseNow()
        scheduleStep(0, notBefore: start)
        try loop.run()
        for c in clients.values { c.close() }
        for fds in strangerFDs.values { for fd in fds { close(fd) } }
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

    private func member(_ name: String) -> Member? { members.first { $0.name == name } }

    /// `button` (any agent's line) or `line-a.motor`.
    private func find(_ name: String) -> (MockChip, Int)? {
        var candidates = members
        var line = name
        if let dot = name.firstIndex(of: "."), let m = member(String(name[..<dot])) {
            candidates = [m]
            line = String(name[name.index(after: dot)...])
        }
        for m in candidates {
            for chip in m.chips {
                if let offset = chip.line(named: line) { return (chip, offset) }
            }
        }
        return nil
    }

    private func knownNames() -> String {
        members.flatMap { m in
            (m.agent.config.inputs.map(\.name) + m.agent.config.outputs.map(\.name)).map { members.count == 1 ? $0 : "\(m.name).\($0)" }
        }.joined(separator: ", ")
    }

    private func perform(_ index: Int) {
        let step = scenario.steps[index]
        var actions: [String] = []
        for (name, level) in step.set {
            guard let (chip, line) = find(name) else {
                finish(index, passed: false, "unknown line '\(name)'; the configs name: \(knownNames())")
                return
            }
            chip.drive(line: line, level: level)
            actions.append("\(name)=\(level.map { $0 ? "1" : "0" } ?? "float")")
        }
        for (agent, severity) in step.machines {
            guard let machine = member(agent)?.machine else {
                finish(index, passed: false, "machine: '\(agent)' has no simulated machine; agents with one: \(members.filter { $0.machine != nil }.map(\.name).joined(separator: ", "))")
                return
            }
            machine.profile = .constant(severity)
            actions.append("\(agent) machine severity \(severity)")
        }
        for (agent, fault) in step.inject {
            guard let machine = member(agent)?.machine else {
                finish(index, passed: false, "inject: '\(agent)' has no simulated machine")
                return
            }
            let code: SimulatedMachine.InjectedFault = fault == "nan" ? .nanVibration : fault == "out-of-range" ? .outOfRangeTemperature : .none
            machine.map.holdingRegisters[Int(SimulatedMachine.Address.fault)] = code.rawValue
            actions.append("\(agent) machine \(fault)")
        }
        for (agent, count) in step.strangers {
            guard let m = member(agent), let server = m.agent.config.server, let port = m.mapPort else {
                finish(index, passed: false, "strangers: agent '\(agent)' serves no register map (no server: in its config, or no such agent)")
                return
            }
            let host = server.bindAddress == "0.0.0.0" ? "127.0.0.1" : server.bindAddress
            guard let address = SocketAddress(numericHost: host, port: port), address.family == AF_INET,
                  let source = SocketAddress(numericHost: "127.0.0.2", port: 0) else {
                finish(index, passed: false, "strangers: \(agent) listens on \(host), not on IPv4 loopback")
                return
            }
            var fds: [Int32] = []
            for _ in 0..<count {
                if let fd = try? TCPSocket.startConnect(to: address, from: source) { fds.append(fd) }
            }
            strangerFDs[index, default: []] += fds
            actions.append("\(fds.count) stranger connections to \(agent)")
        }
        for agent in step.kill {
            guard let m = member(agent) else {
                finish(index, passed: false, "kill: unknown agent '\(agent)'; agents: \(members.map(\.name).joined(separator: ", "))")
                return
            }
            m.kill()
            actions.append("kill \(agent)")
        }
        if step.stop {
            for m in members { m.agent.shutdown(reason: "scenario stop (as SIGTERM)") }
            actions.append("stop")
        }
        let stepStart = loop.preciseNow()
        var targets: [(name: String, chip: MockChip, line: Int, level: Bool)] = []
        for (name, level) in step.expect {
            guard let (chip, line) = find(name) else {
                finish(index, passed: false, "unknown line '\(name)'; the configs name: \(knownNames())")
                return
            }
            targets.append((name, chip, line, level))
        }
        for e in step.expectMap where member(e.agent)?.agent.config.server == nil {
            finish(index, passed: false, "expect_map: agent '\(e.agent)' serves no register map (no server: in its config, or no such agent)")
            return
        }
        let did = actions.isEmpty ? "" : "set " + actions.joined(separator: " ") + " → "
        let wanted = (targets.map { "\($0.name)=\($0.level ? 1 : 0)" } + step.expectMap.map(describe)).joined(separator: " ")
        func outputsSatisfied() -> Bool { targets.allSatisfy { $0.chip.level(ofLine: $0.line) == $0.level } }
        if step.expectMap.isEmpty && outputsSatisfied() {
            reached(index, targets: targets, did + (targets.isEmpty ? "ok" : wanted + " at once"))
            return
        }
        var done = false
        var observerIDs: [(MockChip, Int)] = []
        var timers: [TimerID] = []
        var mapSeen: [String: String] = [:]
        var mapOK = Set<String>()
        var reading = Set<String>()
        let cleanup = {
            for (chip, id) in observerIDs { chip.removeObserver(id) }
            for t in timers { self.loop.cancel(t) }
        }
        func succeed() {
            guard !done else { return }
            done = true
            cleanup()
            reached(index, targets: targets, did + wanted + " after " + formatMicroseconds(loop.preciseNow() - stepStart))
        }
        if step.expectMap.isEmpty {
            // Outputs only: observers give the exact reaction time.
            var chips: [MockChip] = []
            for t in targets where !chips.contains(where: { $0 === t.chip }) { chips.append(t.chip) }
            for chip in chips {
                observerIDs.append((chip, chip.addObserver { _ in if outputsSatisfied() { succeed() } }))
            }
        } else {
            // Register maps are read over Modbus, as a peer reads them, every 20 ms until they match.
            func poll() {
                guard !done else { return }
                // The maps may have matched before the outputs did: then only the outputs are left to wait for.
                if mapOK.count == step.expectMap.count && outputsSatisfied() { succeed(); return }
                for e in step.expectMap where !mapOK.contains(e.agent) && !reading.contains(e.agent) {
                    reading.insert(e.agent)
                    read(e.agent) { status in
                        reading.remove(e.agent)
                        let (ok, seen) = self.check(e, status)
                        mapSeen[e.agent] = seen
                        if ok { mapOK.insert(e.agent) }
                        if outputsSatisfied() && mapOK.count == step.expectMap.count { succeed() }
                    }
                }
                if !done { timers.append(loop.schedule(after: .milliseconds(20)) { poll() }) }
            }
            poll()
        }
        let within = step.within * max(1, withinScale)
        timers.append(loop.schedule(after: within) { [unowned self] in
            guard !done else { return }
            done = true
            cleanup()
            var actual = targets.map { "\($0.name)=\($0.chip.level(ofLine: $0.line) ? 1 : 0)" }
            actual += step.expectMap.map { "\($0.agent) map: \(mapSeen[$0.agent] ?? "no answer")" }
            self.finish(index, passed: false, did + "expected \(wanted) within \(formatMicroseconds(within)), got \(actual.joined(separator: " "))")
        })
    }

    /// The step's expectations are met: it passes, or, with `hold:`, they must go on holding that long.
    private func reached(_ index: Int, targets: [(name: String, chip: MockChip, line: Int, level: Bool)], _ detail: String) {
        let step = scenario.steps[index]
        guard step.hold > .zero else { return finish(index, passed: true, detail) }
        let holdStart = loop.preciseNow()
        var done = false
        var observerIDs: [(MockChip, Int)] = []
        var timers: [TimerID] = []
        func end(_ passed: Bool, _ text: String) {
            guard !done else { return }
            done = true
            for (chip, id) in observerIDs { chip.removeObserver(id) }
            for t in timers { loop.cancel(t) }
            finish(index, passed: passed, detail + text)
        }
        func broken(_ what: String) {
            end(false, ", but \(what) after \(formatMicroseconds(loop.preciseNow() - holdStart)) of the \(formatMicroseconds(step.hold)) hold")
        }
        var chips: [MockChip] = []
        for t in targets where !chips.contains(where: { $0 === t.chip }) { chips.append(t.chip) }
        for chip in chips {
            observerIDs.append((chip, chip.addObserver { _ in
                if let t = targets.first(where: { $0.chip.level(ofLine: $0.line) != $0.level }) {
                    broken("\(t.name)=\(t.level ? 0 : 1)")
                }
            }))
        }
        var reading = Set<String>()
        func poll() {
            guard !done else { return }
            for e in step.expectMap where !reading.contains(e.agent) {
                reading.insert(e.agent)
                read(e.agent) { status in
                    reading.remove(e.agent)
                    let (ok, seen) = self.check(e, status)
                    if !ok { broken("\(e.agent) map: \(seen)") }
                }
            }
            if !done { timers.append(loop.schedule(after: .milliseconds(50)) { poll() }) }
        }
        poll()
        timers.append(loop.schedule(after: step.hold) { end(true, ", held for \(formatMicroseconds(step.hold))") })
    }

    private func describe(_ e: Scenario.MapExpectation) -> String {
        var parts: [String] = []
        if let c = e.healthClass { parts.append("class=\(c)") }
        if let s = e.state { parts.append("state=\(s)") }
        if !e.alarms.isEmpty { parts.append("alarms⊇\(e.alarms.joined(separator: ","))") }
        return "\(e.agent) map{\(parts.joined(separator: " "))}"
    }

    /// Whether a status block read from `e.agent` meets `e`, and what was seen.
    private func check(_ e: Scenario.MapExpectation, _ status: PeerStatus?) -> (Bool, String) {
        guard let status else { return (false, "no answer") }
        guard status.isCompatible else { return (false, "map version \(status.mapVersion)") }
        let labels = member(e.agent)?.agent.config.decision?.labels ?? []
        let label = status.healthClass.map { $0 < labels.count ? labels[$0] : "\($0)" } ?? "none"
        let state = status.state?.description ?? "?"
        let seen = "class=\(label) state=\(state) alarms=\(status.alarms)"
        var ok = true
        if let c = e.healthClass, c != label { ok = false }
        if let s = e.state, s != state { ok = false }
        let set = status.alarms.description.split(separator: ",").map(String.init)
        if !e.alarms.allSatisfy(set.contains) { ok = false }
        return (ok, seen)
    }

    /// Reads `agent`'s status block over Modbus TCP (as a peer does); nil when it does not answer.
    private func read(_ agent: String, completion: @escaping (PeerStatus?) -> Void) {
        guard let m = member(agent), let server = m.agent.config.server, let port = m.mapPort else { return completion(nil) }
        let client: ModbusClient
        if let c = clients[agent] {
            client = c
        } else {
            let host = server.bindAddress == "0.0.0.0" ? "127.0.0.1" : server.bindAddress == "::" ? "::1" : server.bindAddress
            var options = ModbusClientOptions()
            options.responseTimeout = .milliseconds(200)
            options.retries = 0
            guard let c = try? ModbusClient(loop: loop, endpoint: .tcp(host: host, port: port), options: options) else { return completion(nil) }
            clients[agent] = c
            client = c
        }
        client.send(.read(table: .inputRegisters, address: 0, count: UInt16(RegisterLayout.statusRegisters)), unit: 1) { result in
            if case .success(.registers(let regs)) = result { completion(PeerStatus(registers: regs)) } else { completion(nil) }
        }
    }

    private func finish(_ index: Int, passed: Bool, _ detail: String) {
        var detail = detail
        if let fds = strangerFDs[index] {
            let closed = fds.filter(closedByServer).count
            detail += " (strangers: \(fds.count - closed) held, \(closed) closed by the server)"
        }
        results.append(StepResult(index: index, passed: passed, detail: detail))
        if !passed {
            // Later steps build on this one; stop here.
            loop.stop()
            return
        }
        scheduleStep(index + 1, notBefore: loop.preciseNow())
    }

    /// True when the server has closed this stranger's connection (end of stream or reset, without blocking).
    private func closedByServer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
        return n == 0 || (n < 0 && errno != EAGAIN)
    }
}
