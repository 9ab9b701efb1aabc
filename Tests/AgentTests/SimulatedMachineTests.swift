import Agent
import CompiledModel
import EventLoop
import Modbus
import Testing

/// The simulated machine: its registers over real loopback Modbus, its drift on virtual time, and whether the
/// compiled-in model sees normal, degraded and fault where the machine says it is.
/// Serialized: `CompiledModel.predict` has one static arena and is not reentrant.
@Suite(.serialized) struct SimulatedMachineTests {
    static let float32 = PointCodec(type: .float32, wordOrder: .big)
    static let labels = CompiledModel.info.labels

    /// The machine's values at `severity` (noiseless unless `noise` is given).
    static func values(severity: Double, load: Int = 100, noise: Double = 0, sample: UInt64 = 0, seed: UInt64 = 1) -> [Float] {
        var v = [Float](repeating: 0, count: SimulatedMachine.features.count)
        v.withUnsafeMutableBufferPointer {
            SimulatedMachine.computeValues(severity: severity, load: load, noise: noise, seed: seed, sample: sample, into: $0)
        }
        return v
    }

    /// The compiled model's top class for raw feature values.
    static func classify(_ values: [Float]) -> Int {
        let p = CompiledModel.predict(features: values)
        return p.indices.max { p[$0] < p[$1] }!
    }

    /// The severities (0…1, step 0.001) where the noiseless machine's class changes, with the classes in order.
    static func sweep(load: Int = 100) -> (classes: [Int], boundaries: [Double]) {
        var classes: [Int] = [], boundaries: [Double] = []
        for k in 0...1000 {
            let s = Double(k) / 1000
            let c = classify(values(severity: s, load: load))
            if classes.last != c {
                if !classes.isEmpty { boundaries.append(s) }
                classes.append(c)
            }
        }
        return (classes, boundaries)
    }

    /// The float32 registers of `map` decoded, as a client would.
    static func decodedValues(_ registers: [UInt16]) -> [Float] {
        (0..<SimulatedMachine.features.count).map { Float(float32.decode(registers[(2 * $0)..<(2 * $0 + 2)])) }
    }

    /// Runs `loop` until `done` or `timeout` of real time.
    static func run(_ loop: EpollLoop, timeout: Duration = .seconds(5), until done: () -> Bool) throws {
        var expired = false
        let timer = loop.schedule(after: timeout) { expired = true }
        while !done() && !expired { try loop.runOnce() }
        loop.cancel(timer)
    }

    /// Sends one request through `client` and waits for its answer.
    static func send(_ request: ModbusRequest, _ client: ModbusClient, _ loop: EpollLoop) throws -> Result<ModbusResponse, ModbusError>? {
        var result: Result<ModbusResponse, ModbusError>?
        client.send(request, unit: 1) { result = $0 }
        try run(loop) { result != nil }
        return result
    }

    static func registers(_ result: Result<ModbusResponse, ModbusError>?) -> [UInt16] {
        guard case .success(.registers(let r)) = result else { return [] }
        return r
    }

    // MARK: (a) Over the wire

    @Test func aModbusClientReadsTheRegistersOverLoopbackAsTheMachineComputedThem() throws {
        let loop = try EpollLoop()
        let machine = SimulatedMachine(loop: loop, profile: .constant(0.5), port: 0, period: .milliseconds(20), seed: 7)
        try machine.start()
        #expect(machine.port != 0)
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: machine.port))
        defer { client.close() }

        // The machine can update between its answer and the client reading it (on a slow CPU, as under qemu, the
        // 20 ms timer runs first in the loop turn that reads the answer): a read whose update counter is still the
        // machine's own did not straddle an update, and must show exactly the values the machine holds.
        var r: [UInt16] = []
        for _ in 0..<20 {
            r = Self.registers(try Self.send(.read(table: .inputRegisters, address: 0, count: 27), client, loop))
            try #require(r.count == 27)
            if UInt64(r[25]) == machine.updates % 65536 { break }
        }
        #expect(Self.decodedValues(r) == machine.values)
        #expect(r[24] == 500)
        #expect(UInt64(r[25]) == machine.updates % 65536)
        #expect(r[26] == MachineProfile.Phase.runningNormal.rawValue)
        let holding = Self.registers(try Self.send(.read(table: .holdingRegisters, address: 0, count: 2), client, loop))
        #expect(holding == [100, 0])

        // The counter moves with the timer.
        let first = r[25]
        try Self.run(loop, timeout: .milliseconds(100)) { false }
        let later = Self.registers(try Self.send(.read(table: .inputRegisters, address: 25, count: 1), client, loop))
        #expect(later.first.map { $0 &- first >= 3 } == true)
        machine.stop()
    }

    @Test func registersBeyondTheLayoutAreIllegalAddresses() throws {
        let loop = try EpollLoop()
        let machine = SimulatedMachine(loop: loop, profile: .constant(0))
        try machine.start()
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: machine.port))
        defer { client.close() }
        for request: ModbusRequest in [.read(table: .inputRegisters, address: 0, count: 28),
                                       .read(table: .holdingRegisters, address: 2, count: 1),
                                       .read(table: .coils, address: 0, count: 1),
                                       .writeSingleRegister(address: 2, value: 1)] {
            guard case .failure(.exception(let code)) = try Self.send(request, client, loop) else {
                Issue.record("\(request) was answered")
                continue
            }
            #expect(code == .illegalDataAddress)
        }
    }

    // MARK: (b) The model along the sweep

    @Test func theModelSeesNormalThenDegradedThenFaultAlongTheNoiselessSweep() {
        let (classes, boundaries) = Self.sweep()
        print("SimulatedMachine sweep: " + zip(classes.indices, classes).map { i, c in
            i == 0 ? Self.labels[c] : "→ \(Self.labels[c]) at severity \(boundaries[i - 1])"
        }.joined(separator: " "))
        #expect(classes == [0, 1, 2], "classes along the sweep: \(classes.map { Self.labels[$0] })")
        // The operating points themselves are classified as their class.
        #expect(Self.classify(Self.values(severity: 0)) == 0)
        #expect(Self.classify(Self.values(severity: 0.5)) == 1)
        #expect(Self.classify(Self.values(severity: 1)) == 2)
    }

    // MARK: (c) Noise and mean windows

    @Test func fiveSampleMeansOfTheNoisyValuesGiveTheRightClassInTheMiddleOfEachRegion() throws {
        let (classes, boundaries) = Self.sweep()
        try #require(classes == [0, 1, 2] && boundaries.count == 2)
        let middles = [boundaries[0] / 2, (boundaries[0] + boundaries[1]) / 2, (boundaries[1] + 1) / 2]
        for (expected, severity) in middles.enumerated() {
            var wrongMeans = 0, wrongSingles = 0
            let windows = 200
            for w in 0..<windows {
                var sum = [Float](repeating: 0, count: 12)
                for k in 0..<5 {
                    let v = Self.values(severity: severity, noise: 0.25, sample: UInt64(5 * w + k))
                    if Self.classify(v) != expected { wrongSingles += 1 }
                    for i in sum.indices { sum[i] += v[i] }
                }
                if Self.classify(sum.map { $0 / 5 }) != expected { wrongMeans += 1 }
            }
            print("SimulatedMachine noise at severity \(severity) (\(Self.labels[expected])): single samples wrong \(wrongSingles)/\(5 * windows), 5-sample means wrong \(wrongMeans)/\(windows)")
            #expect(wrongMeans == 0, "severity \(severity): \(wrongMeans) of \(windows) means misclassified")
        }
    }

    @Test func theNoiseIsDeterministicAndSeeded() {
        #expect(Self.values(severity: 0.3, noise: 0.25, sample: 9) == Self.values(severity: 0.3, noise: 0.25, sample: 9))
        #expect(Self.values(severity: 0.3, noise: 0.25, sample: 9) != Self.values(severity: 0.3, noise: 0.25, sample: 10))
        #expect(Self.values(severity: 0.3, noise: 0.25, sample: 9, seed: 1) != Self.values(severity: 0.3, noise: 0.25, sample: 9, seed: 2))
    }

    @Test func theNoiseHasAboutTheRequestedSpread() {
        // vibration_rms_g at severity 0: mean 0.25, std 0.06; noise 0.25 → std 0.015.
        let xs = (0..<4000).map { Double(Self.values(severity: 0, noise: 0.25, sample: UInt64($0))[0]) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let std = (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)).squareRoot()
        #expect(abs(mean - 0.25) < 0.002)
        #expect(abs(std - 0.015) < 0.0015)
    }

    // MARK: The drift on virtual time

    @Test func theDefaultCycleHoldsDriftsFaultsAndIsRepairedOnTheLoopsClock() throws {
        let loop = ManualLoop(now: Instant(nanoseconds: 5_000_000_000))
        let machine = SimulatedMachine(loop: loop)
        try machine.start()
        func at(_ seconds: Double) -> (Double, MachineProfile.Phase, UInt16) {
            loop.advance(to: Instant(nanoseconds: 5_000_000_000 + Int64(seconds * 1e9)))
            return (machine.severity, machine.phase, machine.map.inputRegisters[24])
        }
        #expect(at(0) == (0, .runningNormal, 0))
        #expect(at(9.8) == (0, .runningNormal, 0))
        #expect(at(10) == (0, .drifting, 0))
        #expect(at(40) == (0.5, .drifting, 500))
        #expect(at(69.8).1 == .drifting)
        #expect(at(70) == (1, .faultHold, 1000))
        #expect(at(89.8) == (1, .faultHold, 1000))
        #expect(at(90) == (0, .maintenance, 0))
        #expect(at(92) == (0, .runningNormal, 0))
        #expect(at(92 + 40) == (0.5, .drifting, 500))
        // One update every 200 ms, the first at start.
        #expect(machine.updates == 1 + 132 * 5)
        #expect(UInt64(machine.map.inputRegisters[25]) == machine.updates)
        #expect(machine.map.inputRegisters[26] == MachineProfile.Phase.drifting.rawValue)
    }

    @Test func theModelFollowsTheMachineThroughOneCycleAwayFromTheBoundaries() throws {
        // As the agent would: 5-sample mean windows of the served values, one class per second.
        let (_, boundaries) = Self.sweep()
        try #require(boundaries.count == 2)
        let loop = ManualLoop()
        let machine = SimulatedMachine(loop: loop)
        try machine.start()
        var firstSeen: [Int] = [], disagreements: [Double] = [], singleDisagreements: [Double] = []
        var window: [[Float]] = [], severities: [Double] = []
        for _ in 0..<(92 * 5) {
            let single = machine.severity < boundaries[0] ? 0 : machine.severity < boundaries[1] ? 1 : 2
            if Self.classify(machine.values) != single { singleDisagreements.append(machine.severity) }
            window.append(machine.values)
            severities.append(machine.severity)
            if window.count == 5 {
                let mean = (0..<12).map { i in window.map { $0[i] }.reduce(0, +) / 5 }
                let severity = severities.reduce(0, +) / 5
                let c = Self.classify(mean)
                if firstSeen.last != c && !firstSeen.contains(c) || firstSeen.last != c && c == 0 && firstSeen.count == 3 { firstSeen.append(c) }
                let expected = severity < boundaries[0] ? 0 : severity < boundaries[1] ? 1 : 2
                if c != expected {
                    disagreements.append(severity)
                    let distance = boundaries.map { abs($0 - severity) }.min()!
                    #expect(distance < 0.04, "severity \(severity): \(Self.labels[c]), expected \(Self.labels[expected])")
                }
                window.removeAll()
                severities.removeAll()
            }
            loop.advance(by: .milliseconds(200))
        }
        print("SimulatedMachine cycle: single samples differing from the noiseless class: \(singleDisagreements.count), at severities \(singleDisagreements.min() ?? 0)…\(singleDisagreements.max() ?? 0)")
        print("SimulatedMachine cycle: 5-sample means differing from the noiseless class at severities \(disagreements)")
        #expect(firstSeen == [0, 1, 2, 0], "classes through one cycle: \(firstSeen.map { Self.labels[$0] })")
    }

    @Test(arguments: [0.0, 0.5, 1.0])
    func aConstantMachineStaysWhereItIsPut(severity: Double) throws {
        let loop = ManualLoop()
        let machine = SimulatedMachine(loop: loop, profile: .constant(severity))
        try machine.start()
        loop.advance(by: .seconds(300))
        #expect(machine.severity == severity)
        #expect(machine.phase == (severity == 1 ? .faultHold : .runningNormal))
        #expect(machine.map.inputRegisters[24] == UInt16(severity * 1000))
    }

    @Test func theProfileWrapsAndClampsAsDocumented() {
        let p = MachineProfile.cycle(hold: .seconds(1), drift: .seconds(2), faultHold: .seconds(1), maintenance: .seconds(1))
        #expect(p.state(after: .milliseconds(2000)) == (0.5, .drifting))
        #expect(p.state(after: .milliseconds(7000)) == (0.5, .drifting))
        #expect(p.state(after: .seconds(-3)) == (0, .runningNormal))
        #expect(MachineProfile.constant(7).state(after: .zero) == (1, .faultHold))
        #expect(MachineProfile.constant(-1).state(after: .zero) == (0, .runningNormal))
    }

    // MARK: (d) Load command and fault injection

    @Test func aLowerLoadPullsVibrationAndCurrentTowardNormal() {
        let full = Self.values(severity: 1, load: 100), idle = Self.values(severity: 1, load: 0), half = Self.values(severity: 1, load: 50)
        let normal = Self.values(severity: 0)
        for i in 0..<12 {
            if [0, 1, 4, 8, 9].contains(i) {
                #expect(abs(idle[i] - (normal[i] + (full[i] - normal[i]) * 0.5)) < 1e-4, "\(SimulatedMachine.features[i].name)")
                #expect(abs(half[i] - (normal[i] + (full[i] - normal[i]) * 0.75)) < 1e-4, "\(SimulatedMachine.features[i].name)")
            } else {
                #expect(idle[i] == full[i], "\(SimulatedMachine.features[i].name) does not depend on load")
            }
        }
        for load in [50, 0] {
            let (classes, boundaries) = Self.sweep(load: load)
            print("SimulatedMachine sweep at load \(load) %: classes \(classes.map { Self.labels[$0] }), boundaries \(boundaries)")
        }
    }

    @Test func writesToTheHoldingRegistersOverModbusChangeTheServedValuesAtOnce() throws {
        let loop = try EpollLoop()
        let machine = SimulatedMachine(loop: loop, profile: .constant(1), period: .seconds(60))
        try machine.start()
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: machine.port))
        defer { client.close() }
        let read = ModbusRequest.read(table: .inputRegisters, address: 0, count: 27)
        let before = Self.decodedValues(Self.registers(try Self.send(read, client, loop)))

        guard case .success = try Self.send(.writeSingleRegister(address: 0, value: 0), client, loop) else {
            Issue.record("load write refused")
            return
        }
        #expect(machine.load == 0)
        let r = Self.registers(try Self.send(read, client, loop))
        let after = Self.decodedValues(r)
        #expect(after[0] < before[0] && after[8] < before[8], "vibration and current fall with the load")
        #expect(after[6] == before[6], "temperature does not depend on load")
        #expect(r[25] == 1, "a write recomputes the values without counting an update")

        guard case .success = try Self.send(.writeSingleRegister(address: 1, value: 1), client, loop) else {
            Issue.record("fault write refused")
            return
        }
        let nan = Self.decodedValues(Self.registers(try Self.send(read, client, loop)))
        #expect(nan[0].isNaN)
        #expect(nan[6] == after[6])

        _ = try Self.send(.writeSingleRegister(address: 1, value: 2), client, loop)
        let hot = Self.decodedValues(Self.registers(try Self.send(read, client, loop)))
        #expect(hot[0] == after[0])
        #expect(hot[6] == -1e9)

        _ = try Self.send(.writeMultipleRegisters(address: 0, values: [100, 0]), client, loop)
        let restored = Self.decodedValues(Self.registers(try Self.send(read, client, loop)))
        #expect(restored == before)
    }

    @Test(arguments: [(UInt16(0), UInt16(101)), (1, 3), (1, 0xFFFF)])
    func outOfRangeCommandsAreRefusedWithIllegalDataValue(address: UInt16, value: UInt16) throws {
        let loop = try EpollLoop()
        let machine = SimulatedMachine(loop: loop, profile: .constant(0))
        try machine.start()
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: machine.port))
        defer { client.close() }
        guard case .failure(.exception(let code)) = try Self.send(.writeSingleRegister(address: address, value: value), client, loop) else {
            Issue.record("write of \(value) to holding \(address) was accepted")
            return
        }
        #expect(code == .illegalDataValue)
        #expect(machine.map.holdingRegisters == [100, 0])
    }

    @Test func aFaultInjectedOnVirtualTimePersistsUntilCleared() throws {
        let loop = ManualLoop()
        let machine = SimulatedMachine(loop: loop, profile: .constant(0))
        try machine.start()
        #expect(machine.map.apply(.registers(address: 1, values: [1])) == nil)
        loop.advance(by: .seconds(1))
        #expect(machine.injectedFault == .nanVibration)
        #expect(machine.values[0].isNaN)
        #expect(Self.decodedValues(machine.map.inputRegisters)[0].isNaN)
        #expect(machine.map.apply(.registers(address: 1, values: [0])) == nil)
        #expect(!machine.values[0].isNaN)
        loop.advance(by: .seconds(1))
        #expect(!machine.values.contains { $0.isNaN })
    }
}
