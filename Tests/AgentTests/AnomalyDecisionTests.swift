import Agent
import Boards
import Config
import EventLoop
import Modbus
import Service
import Testing

/// `decide: anomaly:` and `estimate:`: levels with hysteresis, confirmation, fail-safe and latch; overrides on them;
/// the register map's models block, status and metrics; all through a real agent polling a sensor on loopback.
@Suite(.serialized) struct AnomalyDecisionTests {
    @Test func levelsNeedConfirmationAndClearOnlyBelowTheClearFraction() {
        var l = AnomalyLevels(warn: 1, alarm: 2, clear: 0.8, confirm: 2, latches: false)
        #expect(l.feed(0.5) == nil && l.feed(0.5) == 0 && l.inForce == 0)
        #expect(l.feed(1.5) == nil)            // one score above warn is not enough
        #expect(l.feed(0.5) == nil && l.inForce == 0)
        #expect(l.feed(1.5) == nil && l.feed(1.5) == 1)
        #expect(l.feed(0.9) == nil && l.feed(0.9) == nil && l.inForce == 1)   // 0.9 ≥ 0.8 × warn: holds
        #expect(l.feed(0.7) == nil && l.feed(0.7) == 0)
        #expect(l.feed(2.5) == nil && l.feed(2.5) == 2)
        #expect(l.feed(1.7) == nil && l.feed(1.7) == nil && l.inForce == 2)   // 1.7 ≥ 0.8 × alarm
        #expect(l.feed(1.5) == nil && l.feed(1.5) == 1)
        #expect(l.feed(.nan) == nil && l.feed(.nan) == 2)                      // a NaN score is never healthy
        l.inputsInvalid()
        #expect(l.inForce == nil)
    }

    @Test func aLatchedAlarmHoldsUntilAResetWhileTheScoreIsBelowWarn() {
        var l = AnomalyLevels(warn: 1, alarm: 2, clear: 0.8, confirm: 1, latches: true)
        #expect(l.feed(3) == 2 && l.latched)
        #expect(l.feed(0.1) == 0 && l.inForce == 2)
        l.inputsInvalid()
        #expect(l.inForce == 2)
        guard case .failure = l.reset(lastScore: 1.5) else { Issue.record("reset accepted at a score above warn"); return }
        #expect(l.inForce == 2)
        guard case .success(true) = l.reset(lastScore: 0.5) else { Issue.record("reset refused below warn"); return }
        #expect(!l.latched && l.inForce == nil)
    }

    @Test func aLevelHoldsForTheMinimumDwellAndARiseToAlarmSkipsItUnlessGuarded() {
        var l = AnomalyLevels(warn: 1, alarm: 2, clear: 0.8, confirm: 1, latches: false, minDwell: .seconds(3))
        let t = { (s: Int64) in Instant.zero + .seconds(s) }
        #expect(l.feed(0.5, at: t(0)) == 0)                      // the first level needs no dwell
        #expect(l.feed(1.5, at: t(1)) == nil && l.inForce == 0)   // warn confirmed, normal has held 1 s of 3
        #expect(l.feed(1.5, at: t(3)) == 1 && l.since == t(3))
        #expect(l.feed(2.5, at: t(4)) == 2)                       // alarm is not delayed
        #expect(l.feed(0.1, at: t(5)) == nil && l.feed(0.1, at: t(6)) == nil && l.inForce == 2)
        #expect(l.feed(0.1, at: t(7)) == 0)
        var guarded = AnomalyLevels(warn: 1, alarm: 2, clear: 0.8, confirm: 1, latches: false, minDwell: .seconds(3), dwellGuardsAlarm: true)
        #expect(guarded.feed(0.5, at: t(0)) == 0 && guarded.feed(2.5, at: t(1)) == nil && guarded.feed(2.5, at: t(3)) == 2)
    }

    /// `decide: min_dwell:` holds the anomaly level too, through the agent: alarm at once on wear, then healthy
    /// scores for less than the dwell leave it in force.
    @Test func theDecisionsMinimumDwellHoldsTheAnomalyLevel() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(Self.normal)
        let text = lineConfig(name: "line-a", machinePort: machine.server.port).replacing("min_dwell: 1s", with: "min_dwell: 3s") + """
              anomaly: {model: machine_anomaly, confirm: 2}

            """
        let line = try DecisionPipelineTests.Line(text, loop: loop)
        defer { line.agent.shutdown(reason: "test") }
        let monitor = try #require(line.agent.decision?.companions)
        pump(loop, .seconds(4))
        #expect(monitor.levels?.inForce == 0)
        machine.set(Self.worn)
        pump(loop, .seconds(1))
        #expect(monitor.levels?.inForce == 2)   // a rise to alarm skips the dwell
        let since = try #require(monitor.levels?.since)
        machine.set(Self.normal)
        pump(loop, .milliseconds(1500))
        #expect(monitor.score.map { $0 < monitor.anomaly!.warn * 0.8 } == true, "healthy scores again")
        #expect(monitor.levels?.inForce == 2, "the alarm holds for min_dwell (3 s) after \(loop.now - since)")
        pump(loop, .seconds(2))
        #expect(monitor.levels?.inForce == 0)
    }

    /// The machine's operating points, with the peak at the anomaly model's normal mean (the fake sensor serves one
    /// value, not a window's peak), and slightly worn: 15 % of the way from normal to degraded, which the
    /// classifier still calls normal.
    static let normal: [Float] = { var p = MachinePoints.normal; p[1] = 0.8767; return p }()
    static let worn: [Float] = zip(normal, MachinePoints.degraded).map { $0 + ($1 - $0) * 0.15 }

    static func float(_ map: AgentRegisterMap, _ address: UInt16) -> Float {
        let hi = UInt32(map.register(.inputRegisters, at: address) ?? 0), lo = UInt32(map.register(.inputRegisters, at: address + 1) ?? 0)
        return Float(bitPattern: hi << 16 | lo)
    }

    @Test func anomalyAndRemainingLifeDriveOverridesAndAreServed() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(Self.normal)
        let text = lineConfig(name: "line-a", machinePort: machine.server.port) + """
              anomaly: {model: machine_anomaly, confirm: 2, latch: true}
              estimate: [machine_rul]
              overrides:
                - when: machine_anomaly is warn
                  do: [standby on]
                - when: machine_rul.rul below 2d
                  do: [warn_lamp on]

            """
        let line = try DecisionPipelineTests.Line(text, loop: loop)
        let engine = try #require(line.agent.decision)
        let monitor = try #require(engine.companions)
        let map = AgentRegisterMap(agent: line.agent, loop: loop)
        #expect(map.register(.inputRegisters, at: RegisterLayout.anomalyLevel) == RegisterLayout.noClass)   // no score yet
        #expect(map.register(.inputRegisters, at: RegisterLayout.mapVersion) == 3)

        pump(loop, .seconds(1))
        #expect(engine.currentClass == 0 && monitor.levels?.inForce == 0)
        #expect(!line.level("standby") && !line.level("warn_lamp"))
        let healthyLife = Self.float(map, RegisterLayout.estimates)
        #expect(healthyLife > 150, "RUL of a healthy machine: \(healthyLife) h")
        #expect(map.register(.inputRegisters, at: RegisterLayout.anomalyLevel) == 0)
        #expect(map.register(.inputRegisters, at: RegisterLayout.estimateCount) == 1)
        #expect(Double(Self.float(map, RegisterLayout.anomalyWarn)) == Double(Float(monitor.anomaly!.warn)))
        #expect(!line.agent.alarms.contains(.anomalyWarn))

        // Slight wear: the classifier still says normal, the anomaly score is past alarm already.
        machine.set(Self.worn)
        pump(loop, .seconds(1))
        #expect(engine.currentClass == 0)
        #expect(monitor.levels?.inForce == 2)
        #expect(line.level("standby") && line.level("motor"))
        #expect(map.register(.inputRegisters, at: RegisterLayout.anomalyLevel) == 2)
        #expect(Self.float(map, RegisterLayout.anomalyScore) > Float(monitor.anomaly!.alarm))
        #expect(line.agent.alarms.contains(.anomalyWarn) && line.agent.alarms.contains(.anomalyAlarm))
        let status = line.agent.statusText()
        #expect(status.contains("anomaly machine_anomaly: score") && status.contains("level alarm"))
        #expect(status.contains("estimate machine_rul: rul "))
        let metrics = PrometheusText.render(line.agent.metricFamilies())
        #expect(metrics.contains("fieldagent_anomaly_level{agent=\"line-a\",model=\"machine_anomaly\"} 2\n"))
        #expect(metrics.contains("fieldagent_estimate{agent=\"line-a\",model=\"machine_rul\",output=\"rul\",unit=\"h\"} "))

        // Fault: little life left (below 2 days): that override holds too.
        machine.set(MachinePoints.fault)
        pump(loop, .seconds(1))
        #expect(engine.currentClass == 2)
        #expect(Self.float(map, RegisterLayout.estimates) < 48)
        #expect(engine.overrideIsActive(1))

        // Garbage: fail-safe, no score, no level served; the latched alarm stays.
        var nan = Self.normal
        nan[0] = .nan
        machine.set(nan)
        pump(loop, .milliseconds(600))
        #expect(engine.state == .failSafe && monitor.score == nil)
        #expect(Self.float(map, RegisterLayout.anomalyScore).isNaN && Self.float(map, RegisterLayout.estimates).isNaN)
        #expect(monitor.levels?.inForce == 2 && monitor.levels?.latched == true)
        #expect(!line.level("standby"))   // every decided actuator safe while invalid

        // Healthy again: the latched alarm and the fault hold until a reset, which clears both.
        machine.set(Self.normal)
        pump(loop, .seconds(2))
        #expect(monitor.levels?.inForce == 2 && engine.currentClass == 2)
        #expect(line.agent.resetAnswer(source: "test").hasPrefix("reset: fault cleared"))
        pump(loop, .seconds(1))
        #expect(monitor.levels?.inForce == 0 && engine.currentClass == 0 && !line.level("standby"))
        line.agent.shutdown(reason: "test")
    }
}
