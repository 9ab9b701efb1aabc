import Config
import EventLoop
import Modbus

/// What the decided actuators should be, and making them so: GPIO outputs are set at once, Modbus points
/// are written through the sensor poller (asynchronously; a failed or superseded write is retried on the next
/// application). Every target starts at, and falls back to, its safe value.
public final class ActuatorPlan {
    /// One decided actuator.
    public struct Target {
        public let target: DecisionConfig.Command.Target
        public let safe: Double
        /// The value last asked for.
        public internal(set) var desired: Double
        /// The value the device confirmed (Modbus) or was driven (GPIO); nil before the first write.
        public internal(set) var applied: Double?
        /// Why it has its value (`class fault`, `override line 40: line-b is fault`, `safe: …`).
        public internal(set) var cause: String = "start"
        var driver: OutputDriver?
        var inFlight = false
        /// Failed Modbus writes since start, and in a row now.
        public internal(set) var writeFailures = 0
        public internal(set) var failingInARow = 0
        /// Why the last Modbus write failed, or nil after a success.
        public internal(set) var lastError: String?
        /// True when the device (Modbus) or the line (GPIO) has confirmed the safe value and nothing is in flight.
        public var confirmedSafe: Bool { applied == safe && !inFlight }
    }

    public private(set) var targets: [Target]
    private let decision: DecisionConfig
    private let writer: ModbusPoller?
    private let logger: Logger

    /// `outputs` are the agent's GPIO drivers; `writer` writes Modbus targets (nil when the config has none).
    public init(decision: DecisionConfig, outputs: [OutputDriver], devices: [ModbusDeviceConfig], writer: ModbusPoller?, logger: Logger) {
        self.decision = decision
        self.writer = writer
        self.logger = logger
        targets = decision.targets.map { t in
            switch t {
            case .output(let name):
                let driver = outputs.first { $0.name == name }
                let safe: Double = (driver?.safeValue ?? false) ? 1 : 0
                return Target(target: t, safe: safe, desired: safe, applied: driver.map { $0.value ? 1 : 0 }, driver: driver)
            case .modbus(let d, let p):
                let point = devices.first { $0.name == d }?.points.first { $0.name == p }
                let safe = point?.safeValue ?? 0
                return Target(target: t, safe: safe, desired: safe, applied: nil)
            }
        }
    }

    /// Applies class `classIndex` (nil: every target safe) with the active overrides (indexes into
    /// `decision.overrides`); `reason` explains a nil class in logs.
    public func apply(classIndex: Int?, overrides active: [Int], reason: String) {
        var want = targets.map { ($0.safe, "safe: \(reason)") }
        if let c = classIndex {
            for i in want.indices { want[i].1 = "safe: class \(decision.labels[c]) does not name it" }
            for cmd in decision.actions[c] { set(&want, cmd, "class \(decision.labels[c])") }
            for o in active {
                let override = decision.overrides[o]
                for cmd in override.commands { set(&want, cmd, "override line \(override.location.line): \(override.condition)") }
            }
        }
        for i in targets.indices { drive(i, want[i].0, want[i].1) }
    }

    /// Every target to its safe value now.
    public func driveSafe(reason: String) { apply(classIndex: nil, overrides: [], reason: reason) }

    /// Every target to its safe value, each Modbus actuator written again even if it was confirmed safe before
    /// (the device may have changed since): what stopping does, so that its log reports fresh confirmations.
    public func driveSafeAndConfirm(reason: String) {
        for i in targets.indices {
            if case .modbus = targets[i].target, !targets[i].inFlight { targets[i].applied = nil }
        }
        driveSafe(reason: reason)
    }

    /// True while a Modbus write is outstanding (shutdown waits for these).
    public var writesInFlight: Bool { targets.contains { $0.inFlight } }

    private func set(_ want: inout [(Double, String)], _ cmd: DecisionConfig.Command, _ cause: String) {
        guard let i = targets.firstIndex(where: { $0.target == cmd.target }) else { return }
        want[i] = (cmd.value, cause)
    }

    private func drive(_ i: Int, _ value: Double, _ cause: String) {
        let changed = targets[i].desired != value
        targets[i].desired = value
        if changed { targets[i].cause = cause }
        switch targets[i].target {
        case .output:
            guard let driver = targets[i].driver else { return }
            driver.set(value != 0, cause: cause)
            targets[i].applied = driver.value ? 1 : 0
        case .modbus(let device, let point):
            guard let writer, !targets[i].inFlight, targets[i].applied != value else { return }
            targets[i].inFlight = true
            writer.write(device: device, point: point, values: [value]) { [weak self] result in
                guard let self else { return }
                self.targets[i].inFlight = false
                switch result {
                case .success:
                    self.targets[i].applied = value
                    self.targets[i].lastError = nil
                    if self.targets[i].failingInARow > 0 {
                        self.logger.notice("actuator.recovered", ["target": "\(device).\(point)", "failed_writes": self.targets[i].failingInARow])
                    }
                    self.targets[i].failingInARow = 0
                    self.logger.info("actuator.written", ["target": "\(device).\(point)", "value": value, "cause": cause])
                case .failure(let error):
                    self.targets[i].lastError = error.description
                    self.targets[i].writeFailures += 1
                    self.targets[i].failingInARow += 1
                    // Once per failure streak: the retry at every decision tick must not flood the journal.
                    if self.targets[i].failingInARow == 1 {
                        self.logger.warning("actuator.write_failed", ["target": "\(device).\(point)", "value": value, "error": error.description,
                                                                      "action": "retried at every decision; logged again when it recovers"])
                    }
                }
                // The wish may have changed while the write was out.
                if self.targets[i].desired != value { self.drive(i, self.targets[i].desired, self.targets[i].cause) }
            }
        }
    }
}
