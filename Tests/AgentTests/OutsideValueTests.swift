import Agent
import Boards
import Config
import EventLoop
import Modbus
import Service
import Testing
import YAML

/// Values that come from outside (sensors, peers, configs) reach no trap: whatever a sensor sends, the
/// status, the metrics and the register map render, and the decision stays defined.
@Suite(.serialized) struct OutsideValueTests {
    /// NaN, the infinities, huge and tiny finite values: what a float32 read with the wrong word order, a broken
    /// scale or a hostile device produces.
    static let extremes: [Double] = [
        .nan, .infinity, -.infinity, 1e300, -1e300, 9.3e15, -9.3e15, Double(Int64.max), -Double(Int64.max),
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        .leastNormalMagnitude, -0.0, 4.2e9,
    ]

    @Test(arguments: extremes)
    func formatFixedPrintsEveryDouble(value: Double) {
        for digits in [-1, 0, 1, 2, 3, 20] {
            let text = formatFixed(value, digits: digits)
            #expect(!text.isEmpty)
            if value.isFinite { #expect(Double(text) != nil, "\(text)") }
        }
    }

    @Test func formatFixedKeepsItsFixedFormWhereADoubleHoldsEveryDigit() {
        #expect(formatFixed(1.25, digits: 1) == "1.3")
        #expect(formatFixed(-0.04, digits: 1) == "0.0")
        #expect(formatFixed(9e14, digits: 0) == "900000000000000")
        #expect(formatFixed(9.3e15, digits: 3) == "9.3e+15")
        #expect(formatFixed(-9.3e15, digits: 0) == "-9.3e+15")
        #expect(formatFixed(.nan, digits: 2) == "nan")
    }

    @Test func aWindowWhoseMeanOverflowsMakesItsFeatureInvalidNotInfinite() throws {
        let config = FeatureConfig(name: "rms", source: .modbus(device: "machine", point: "values", index: 0),
                                   reduction: .mean, window: .samples(3), location: SourceMark(file: "t.yaml", line: 1, column: 1))
        let bank = FeatureBank(configs: [config], logger: .silent) { _ in nil }
        for k in 0..<3 {
            bank.ingest(ModbusSample(device: "machine", point: "values", values: [.greatestFiniteMagnitude], at: Instant(nanoseconds: Int64(k))))
        }
        bank.evaluate(at: Instant(nanoseconds: 3))
        #expect(bank.features[0].value == nil)
        #expect(bank.features[0].invalidReason?.contains("overflowed") == true)
    }

    /// A line agent whose sensor serves normal values, so that its link is up and every feature is valid; then
    /// each extreme value goes straight into every feature, and everything that reads features runs.
    @Test func everyExtremeSensorValuePassesThroughTheDecisionStatusMetricsAndRegisterMap() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.normal)
        let (config, _) = try ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn())
            .load(text: lineConfig(name: "line-a", machinePort: machine.server.port), file: "line.yaml")
        let chips = ChipSet(backend: .mock, loop: loop) { config.board.lineNames(ofChip: $0) }
        let agent = Agent(config: config, chips: chips, loop: loop, logger: .silent)
        try agent.start()
        defer { agent.shutdown(reason: "test") }
        pump(loop, .seconds(1))
        let engine = try #require(agent.decision)
        #expect(engine.state == .deciding)
        let map = AgentRegisterMap(agent: agent, loop: loop)

        for value in Self.extremes {
            agent.features.ingest(ModbusSample(device: "machine", point: "values", values: Array(repeating: value, count: 12), at: loop.now))
            engine.tick()
            let status = agent.statusText()
            #expect(status.contains("power_factor = "))
            if value == 9.3e15 { #expect(status.contains("power_factor = 9.3e+15"), "\(status)") }
            _ = agent.oneLineStatus()
            let metrics = PrometheusText.render(agent.metricFamilies())
            #expect(metrics.contains("fieldagent_feature_value{agent=\"line-a\",feature=\"power_factor\"}"))
            for address in 0...UInt16(200) {
                _ = map.register(.inputRegisters, at: address)
                _ = map.register(.holdingRegisters, at: address)
                _ = map.bit(.coils, at: address)
                _ = map.bit(.discreteInputs, at: address)
            }
            // Garbage never reaches the model: NaN and infinities make the decision fail safe.
            if !value.isFinite { #expect(engine.state == .failSafe) }
        }
    }

    @Test func switchAtAboveWhatTheCompiledInModelCanOutputIsRefusedWithTheMaximum() throws {
        let loader = ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn())
        var text = lineConfig(name: "line-a", machinePort: 1601)
        text = text.replacingFirst("  every: 200ms\n", with: "  every: 200ms\n  switch_at: 1\n")
        do {
            _ = try loader.load(text: text, file: "t.yaml")
            Issue.record("switch_at: 1 was accepted, but the int8 softmax never outputs more than 255/256")
        } catch {
            #expect(error.errors.map(\.message) == ["switch_at: 1 can never be reached: the model's int8 output tops out at 0.99609375; use at most 0.996"])
        }
        let reachable = lineConfig(name: "line-a", machinePort: 1601).replacingFirst("  every: 200ms\n", with: "  every: 200ms\n  switch_at: 0.996\n")
        let accepted = try loader.load(text: reachable, file: "t.yaml").0
        #expect(accepted.decision?.switchAt == 0.996)
    }
}

extension String {
    /// This text with the first `target` replaced (tests edit a generated config).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        let chars = Array(self), t = Array(target)
        guard !t.isEmpty, chars.count >= t.count else { return self }
        for i in 0...(chars.count - t.count) where Array(chars[i..<(i + t.count)]) == t {
            return String(chars[..<i]) + replacement + String(chars[(i + t.count)...])
        }
        return self
    }
}
