import EventLoop
import Modbus

/// A machine that wears out: a Modbus TCP sensor whose vibration, temperature and current drift from normal to
/// fault and back (after maintenance), for `make run`, HIL scenarios and tests.
///
/// On the loop's timer (default every 200 ms) it computes the machine's twelve sensor values at the severity
/// its ``MachineProfile`` gives for the loop's time, and serves them as float32 input registers. The values
/// interpolate between the class operating points the default model was trained on (`Models/train/train.py`,
/// `FEATURES`): severity 0 is the normal mean, 0.5 the degraded mean, 1 the fault mean, linear in between, plus
/// deterministic noise (``noise`` × the class std there, from `seed`). Time comes only from the loop, so on a
/// ``ManualLoop`` a minute of drift takes no time at all.
///
/// Register layout (any unit id; 32-bit values are float32, high word first, like `--word-order big`):
///
/// | table | address | content | unit |
/// |---|---|---|---|
/// | input | 0–1 | vibration_rms_g | g |
/// | input | 2–3 | vibration_peak_g | g |
/// | input | 4–5 | vibration_crest | peak/RMS |
/// | input | 6–7 | vibration_kurtosis | – |
/// | input | 8–9 | vibration_high_band | energy ratio above 1 kHz |
/// | input | 10–11 | dominant_frequency_hz | Hz |
/// | input | 12–13 | bearing_temperature_c | °C |
/// | input | 14–15 | temperature_rise_c | °C per 10 min, as the machine's own sensor reports it |
/// | input | 16–17 | motor_current_a | A |
/// | input | 18–19 | current_imbalance_pct | % |
/// | input | 20–21 | speed_rpm | rpm |
/// | input | 22–23 | power_factor | – |
/// | input | 24 | severity (uint16) | per mille, 0…1000 |
/// | input | 25 | update counter (uint16) | +1 per update, wraps at 65536 |
/// | input | 26 | phase (uint16) | 0 normal, 1 drifting, 2 fault hold, 3 maintenance |
/// | holding | 0 | load command (uint16, read/write) | percent 0…100, default 100 |
/// | holding | 1 | fault injection (uint16, read/write) | 0 none, 1 NaN vibration_rms_g, 2 bearing_temperature_c = −1e9 |
///
/// A lower load pulls vibration_rms_g, vibration_peak_g, vibration_high_band, motor_current_a and
/// current_imbalance_pct toward their normal means: their distance from normal is multiplied by
/// `0.5 + 0.5 × load / 100` (halved at load 0), so an actuator write has a visible effect. Severity and phase
/// are not affected. Writes to either holding register take effect at once (the input registers are
/// recomputed, without counting an update); a load above 100 or a fault code above 2 is refused with
/// illegal data value, any other address with illegal data address. Coils and discrete inputs are not mapped.
public final class SimulatedMachine {
    /// The addresses of the register layout (see the type's table).
    public enum Address {
        /// First input register of feature `i` (0…11): `2 × i`.
        public static func feature(_ i: Int) -> UInt16 { UInt16(2 * i) }
        /// Input register: severity in per mille.
        public static let severity: UInt16 = 24
        /// Input register: update counter.
        public static let counter: UInt16 = 25
        /// Input register: ``MachineProfile/Phase``.
        public static let phase: UInt16 = 26
        /// Holding register: load command in percent.
        public static let load: UInt16 = 0
        /// Holding register: fault injection code (``InjectedFault``).
        public static let fault: UInt16 = 1
        /// Input registers served.
        public static let inputCount = 27
        /// Holding registers served.
        public static let holdingCount = 2
    }

    /// A sensor fault the holding register 1 injects, to test how the agent handles bad readings.
    public enum InjectedFault: UInt16, Sendable, CaseIterable {
        /// Values as computed.
        case none = 0
        /// vibration_rms_g reads NaN.
        case nanVibration = 1
        /// bearing_temperature_c reads −1e9 (a broken thermocouple, out of any plausible range).
        case outOfRangeTemperature = 2
    }

    /// One sensor: its name (the model's feature name) and its (mean, std) at the three class operating points.
    public struct Feature: Sendable {
        /// The model's feature name, for example `vibration_rms_g`.
        public var name: String
        /// The engineering unit, for displays.
        public var unit: String
        /// Mean and std at severity 0.
        public var normal: (mean: Double, std: Double)
        /// Mean and std at severity 0.5.
        public var degraded: (mean: Double, std: Double)
        /// Mean and std at severity 1.
        public var fault: (mean: Double, std: Double)

        /// The operating point at `severity`: linear from normal (0) to degraded (0.5) to fault (1).
        public func point(at severity: Double) -> (mean: Double, std: Double) {
            let s = min(max(severity, 0), 1)
            let (a, b, t) = s <= 0.5 ? (normal, degraded, s / 0.5) : (degraded, fault, (s - 0.5) / 0.5)
            return (a.mean + (b.mean - a.mean) * t, a.std + (b.std - a.std) * t)
        }
    }

    /// The twelve sensors in register (and model input) order, with the operating points of
    /// `Models/train/train.py` (`FEATURES`); keep the two in step when the model is retrained.
    public static let features: [Feature] = [
        Feature(name: "vibration_rms_g", unit: "g", normal: (0.25, 0.06), degraded: (0.55, 0.12), fault: (1.10, 0.30)),
        Feature(name: "vibration_peak_g", unit: "g", normal: (0.80, 0.20), degraded: (1.90, 0.45), fault: (4.20, 1.20)),
        Feature(name: "vibration_crest", unit: "peak/RMS", normal: (3.2, 0.35), degraded: (3.6, 0.45), fault: (4.4, 0.70)),
        Feature(name: "vibration_kurtosis", unit: "", normal: (3.0, 0.30), degraded: (3.9, 0.60), fault: (6.5, 1.60)),
        Feature(name: "vibration_high_band", unit: "ratio", normal: (0.10, 0.03), degraded: (0.18, 0.05), fault: (0.32, 0.09)),
        Feature(name: "dominant_frequency_hz", unit: "Hz", normal: (25.0, 1.5), degraded: (25.5, 2.5), fault: (27.0, 5.0)),
        Feature(name: "bearing_temperature_c", unit: "°C", normal: (48.0, 4.0), degraded: (58.0, 5.0), fault: (72.0, 7.0)),
        Feature(name: "temperature_rise_c", unit: "°C/10 min", normal: (0.2, 0.3), degraded: (0.9, 0.5), fault: (2.4, 1.0)),
        Feature(name: "motor_current_a", unit: "A", normal: (8.0, 0.6), degraded: (8.9, 0.8), fault: (10.2, 1.3)),
        Feature(name: "current_imbalance_pct", unit: "%", normal: (1.5, 0.6), degraded: (3.2, 1.0), fault: (6.5, 2.2)),
        Feature(name: "speed_rpm", unit: "rpm", normal: (1480.0, 8.0), degraded: (1472.0, 12.0), fault: (1455.0, 20.0)),
        Feature(name: "power_factor", unit: "", normal: (0.86, 0.02), degraded: (0.83, 0.03), fault: (0.78, 0.05)),
    ]

    /// The features a lower load pulls toward normal (vibration energy and current).
    static let loadSensitive: [Bool] = [true, true, false, false, true, false, false, false, true, true, false, false]

    /// The machine's sensor values for `severity`, `load` (percent) and update number `sample`, written to
    /// `values` (12 floats): the operating point plus `noise` × std of deterministic noise from `seed`.
    /// With `noise` 0 the values are the operating point itself. Pure and allocation-free.
    public static func computeValues(severity: Double, load: Int = 100, noise: Double, seed: UInt64, sample: UInt64,
                                     into values: UnsafeMutableBufferPointer<Float>) {
        precondition(values.count >= features.count, "room for \(features.count) values")
        let loadFactor = 0.5 + 0.5 * Double(min(max(load, 0), 100)) / 100
        for i in 0..<features.count {
            let f = features[i]
            let p = f.point(at: severity)
            var v = p.mean + noise * p.std * Noise.gaussian(seed: seed, sample: sample, channel: UInt64(i))
            if loadSensitive[i] { v = f.normal.mean + (v - f.normal.mean) * loadFactor }
            values[i] = Float(v)
        }
    }

    /// Deterministic noise without state: a value depends only on (seed, sample, channel), so a rerun or a
    /// test on virtual time sees the same numbers.
    enum Noise {
        /// SplitMix64's finalizer: a well-mixed 64-bit hash of `x`.
        static func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// Roughly standard normal (mean 0, std 1, bounded by ±3.46): the sum of four uniform 16-bit draws.
        static func gaussian(seed: UInt64, sample: UInt64, channel: UInt64) -> Double {
            let h = mix(mix(seed ^ 0x5EED) ^ mix(sample &* 0x1000_0000_01B3 &+ channel))
            var sum = 0.0
            for k in 0..<4 { sum += Double((h >> (16 * UInt64(k))) & 0xFFFF) / 65535 }
            return (sum - 2) * 3.0.squareRoot()  // the sum of 4 U(0,1) has variance 4/12
        }
    }

    /// The register map served (inspect it in tests; clients change only the holding registers).
    public let map: MemoryRegisterMap
    /// How severity moves over time; a change (HIL steps) takes effect at the next update, on the same clock.
    public var profile: MachineProfile
    /// Time between updates.
    public let period: Duration
    /// Noise amplitude as a fraction of the class std at the current severity (0 = noiseless).
    public let noise: Double
    /// Seed of the noise.
    public let seed: UInt64

    /// The severity (0…1) at the last update.
    public private(set) var severity = 0.0
    /// The phase at the last update.
    public private(set) var phase = MachineProfile.Phase.runningNormal
    /// Updates since ``start()``.
    public private(set) var updates: UInt64 = 0
    /// The twelve values served now, in register order (after load and fault injection).
    public private(set) var values: [Float]

    private let loop: EventLoop
    private let server: ModbusTCPServer
    private var startedAt: Instant?
    private var timer: TimerID?

    /// A machine on `loop`, served on `bindAddress`:`port` (0 picks a free port; see ``port``) once started.
    public init(loop: EventLoop, profile: MachineProfile = .standard, bindAddress: String = "127.0.0.1", port: UInt16 = 0,
                period: Duration = .milliseconds(200), noise: Double = 0.25, seed: UInt64 = 1, logger: Logger = .silent) {
        precondition(period > .zero, "update period must be positive")
        self.loop = loop
        self.profile = profile
        self.period = period
        self.noise = noise
        self.seed = seed
        values = Array(repeating: 0, count: Self.features.count)
        map = MemoryRegisterMap(coils: 0, discreteInputs: 0, holdingRegisters: Address.holdingCount, inputRegisters: Address.inputCount)
        map.holdingRegisters[Int(Address.load)] = 100
        server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: bindAddress, port: port),
                                 logger: logger, authorize: Self.authorize)
        map.onWrite = { [unowned self] _ in self.render() }
    }

    deinit { stop() }

    /// The TCP port served (0 before ``start()``).
    public var port: UInt16 { server.port }

    /// The address served, once started.
    public var localAddress: SocketAddress? { server.localAddress }

    /// The load command (holding register 0), percent.
    public var load: Int { Int(map.holdingRegisters[Int(Address.load)]) }

    /// The injected fault (holding register 1).
    public var injectedFault: InjectedFault { InjectedFault(rawValue: map.holdingRegisters[Int(Address.fault)]) ?? .none }

    /// Starts serving; the first update happens at once, then every ``period``. The profile's time starts now.
    public func start() throws(SystemError) {
        precondition(startedAt == nil, "machine already started")
        try server.start()
        let t0 = loop.now
        startedAt = t0
        update()
        scheduleNext(after: t0)
    }

    /// Stops updating and closes the server.
    public func stop() {
        if let timer { loop.cancel(timer) }
        timer = nil
        server.stop()
    }

    private func scheduleNext(after previous: Instant) {
        // From the previous deadline, not from now: the updates keep their cadence even when the loop is late.
        let next = previous + period
        timer = loop.schedule(at: next) { [unowned self] in
            self.update()
            self.scheduleNext(after: next)
        }
    }

    private func update() {
        guard let startedAt else { return }
        (severity, phase) = profile.state(after: loop.now - startedAt)
        updates &+= 1
        render()
    }

    /// Writes the input registers from the current severity, update number, load and injected fault.
    private func render() {
        values.withUnsafeMutableBufferPointer { buffer in
            Self.computeValues(severity: severity, load: load, noise: noise, seed: seed, sample: updates, into: buffer)
        }
        switch injectedFault {
        case .none: break
        case .nanVibration: values[0] = .nan
        case .outOfRangeTemperature: values[6] = -1e9
        }
        for i in values.indices { store(values[i], at: 2 * i) }
        map.inputRegisters[Int(Address.severity)] = UInt16((severity * 1000).rounded())
        map.inputRegisters[Int(Address.counter)] = UInt16(truncatingIfNeeded: updates)
        map.inputRegisters[Int(Address.phase)] = phase.rawValue
    }

    private func store(_ value: Float, at address: Int) {
        let bits = value.bitPattern
        map.inputRegisters[address] = UInt16(truncatingIfNeeded: bits >> 16)
        map.inputRegisters[address + 1] = UInt16(truncatingIfNeeded: bits)
    }

    /// Refuses holding-register values outside the documented ranges before they reach the map.
    static func authorize(_ client: ModbusClientInfo, _ unit: UInt8, _ write: RegisterWrite) -> WriteDecision {
        guard case .registers(let address, let values) = write else { return .reject(.illegalDataAddress) }
        for (i, v) in values.enumerated() {
            switch Int(address) + i {
            case Int(Address.load): if v > 100 { return .reject(.illegalDataValue) }
            case Int(Address.fault): if InjectedFault(rawValue: v) == nil { return .reject(.illegalDataValue) }
            default: return .reject(.illegalDataAddress)
            }
        }
        return .allow
    }
}
