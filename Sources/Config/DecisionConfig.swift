import YAML

/// `decide:`: the on-device decision. At every tick the model's input features are taken from their
/// windows, the model runs, and its class (after hysteresis and minimum dwell) selects what the
/// actuators do. While any input feature is invalid (a sensor or peer down or stale, garbage values,
/// too few samples) the decision is invalid and every decided actuator is held at its safe value.
public struct DecisionConfig: Sendable, Equatable {
    /// One actuator command: a GPIO output to on/off, or a writable Modbus point to a value.
    public struct Command: Sendable, Equatable, CustomStringConvertible {
        public enum Target: Sendable, Hashable, CustomStringConvertible {
            /// A GPIO output (`outputs:`).
            case output(String)
            /// A writable Modbus point (`modbus:` device and point).
            case modbus(device: String, point: String)

            public var description: String {
                switch self {
                case .output(let name): name
                case .modbus(let d, let p): "\(d).\(p)"
                }
            }
        }

        public var target: Target
        /// 1/0 for GPIO outputs and coils; the engineering value for holding registers.
        public var value: Double

        public init(target: Target, value: Double) {
            self.target = target
            self.value = value
        }

        public var description: String {
            if case .output = target { return "\(target) \(value != 0 ? "on" : "off")" }
            return "\(target) \(value)"
        }
    }

    /// When an override applies.
    public enum Condition: Sendable, Equatable, CustomStringConvertible {
        /// `line-b is fault`: the peer's health class is this one (and its link is up).
        case peerClass(peer: String, classIndex: Int, label: String)
        /// `line-b is down`: the peer does not answer, or serves a map this agent cannot read.
        case peerDown(peer: String)
        /// `command stop` / `command reduce-load` / `command flag5`: a bit of the command block a peer wrote.
        case command(bit: Int, name: String)
        /// `machine_anomaly is warn` (warn or alarm) / `machine_anomaly is alarm`: the anomaly decision's
        /// confirmed level is at least `level` (1 warn, 2 alarm).
        case anomaly(model: String, level: Int)
        /// `machine_rul.rul below 48h` / `… above 100`: a regression output of the last inference (never holds
        /// while the decision is invalid).
        case estimate(model: String, output: Int, name: String, below: Bool, threshold: Double, text: String)

        public var description: String {
            switch self {
            case .peerClass(let p, _, let label): "\(p) is \(label)"
            case .peerDown(let p): "\(p) is down"
            case .command(_, let name): "command \(name)"
            case .anomaly(let m, let level): "\(m) is \(AnomalyDecision.levels[level])"
            case .estimate(let m, _, let name, let below, _, let text): "\(m).\(name) \(below ? "below" : "above") \(text)"
            }
        }
    }

    /// `overrides:` entry: while the condition holds, its commands win over the class's.
    public struct Override: Sendable, Equatable {
        public var condition: Condition
        public var commands: [Command]
        public var location: SourceLocation

        public init(condition: Condition, commands: [Command], location: SourceLocation) {
            self.condition = condition
            self.commands = commands
            self.location = location
        }
    }

    /// `decide: anomaly:`: an anomaly model's score against two thresholds, with hysteresis and confirmation.
    /// Its level (normal, warn, alarm) is a condition overrides can name (`machine_anomaly is warn`).
    public struct AnomalyDecision: Sendable, Equatable {
        /// The level names, by level.
        public static let levels = ["normal", "warn", "alarm"]
        public var model: String
        /// The model's input features, in its input order.
        public var inputs: [String]
        public var warn: Double
        public var alarm: Double
        /// A level clears when the score falls below `clear` × its threshold (hysteresis; 0.5…1).
        public var clear: Double
        /// Inferences in a row a new level must hold before it is taken.
        public var confirm: Int
        /// When true, `alarm` holds until a reset (as a latching class), accepted once the score is below warn.
        public var latch: Bool
        public var location: SourceLocation

        public init(model: String, inputs: [String], warn: Double, alarm: Double, clear: Double = 0.8, confirm: Int = 2, latch: Bool = false,
                    location: SourceLocation) {
            self.model = model
            self.inputs = inputs
            self.warn = warn
            self.alarm = alarm
            self.clear = clear
            self.confirm = confirm
            self.latch = latch
            self.location = location
        }
    }

    /// `decide: estimate:`: a regression model run at every tick; its outputs are conditions for overrides.
    public struct Estimate: Sendable, Equatable {
        public var model: String
        public var inputs: [String]
        public var outputs: [String]
        public var units: [String]

        public init(model: String, inputs: [String], outputs: [String], units: [String]) {
            self.model = model
            self.inputs = inputs
            self.outputs = outputs
            self.units = units
        }
    }

    /// The command block's named bits (holding register 0 of the register map); `flag3` … `flag15` name the others.
    public static let commandBits = ["stop", "reduce-load", "reset"]
    /// The command bit that resets a latched class (see ``latching``); the agent clears it once acted on.
    public static let resetBit = 2

    /// How often the model runs.
    public var every: Duration
    /// The model's input features, in its input order (names of `features:` entries).
    public var inputs: [String]
    /// The model's class labels, in output order.
    public var labels: [String]
    /// Probability a class other than the current one needs to take over (hysteresis: the current class
    /// holds while no other class reaches it).
    public var switchAt: Double
    /// Inferences in a row a new class must win before it takes over.
    public var confirm: Int
    /// A class, once taken, holds at least this long, and so does an anomaly level (a fault or an alarm is never
    /// held back by it: see ``dwellGuardsFault``).
    public var minDwell: Duration
    /// When false (the default), a switch to the last class (the worst, `fault`), or a rise of the anomaly level
    /// to alarm, is not delayed by `min_dwell`.
    public var dwellGuardsFault: Bool
    /// Per class (by index), the commands applied while it holds.
    public var actions: [[Command]]
    /// Level overrides, in file order; a later one wins on the same target.
    public var overrides: [Override]
    /// The classes (by index) that latch: once in force, they stay until an explicit reset (the command bit
    /// `reset`, ``resetInput``, or `fieldagent reset`), accepted only when the machine reads healthy again.
    /// By default the last class (the worst, `fault`); empty: no latching.
    public var latching: [Int]
    /// A local input whose rising edge asks for a reset of a latched class, or nil.
    public var resetInput: String?
    /// Where the section starts.
    public var location: SourceLocation
    /// The classifier's name (`model:`, default the compiled-in classifier).
    public var model: String = ""
    /// The anomaly decision, or nil.
    public var anomaly: AnomalyDecision?
    /// The regression models run at every tick.
    public var estimates: [Estimate] = []

    public init(every: Duration = .seconds(1), inputs: [String], labels: [String], switchAt: Double = 0.6, confirm: Int = 2,
                minDwell: Duration = .seconds(5), dwellGuardsFault: Bool = false, actions: [[Command]], overrides: [Override] = [],
                latching: [Int]? = nil, resetInput: String? = nil, location: SourceLocation) {
        self.every = every
        self.inputs = inputs
        self.labels = labels
        self.switchAt = switchAt
        self.confirm = confirm
        self.minDwell = minDwell
        self.dwellGuardsFault = dwellGuardsFault
        self.actions = actions
        self.overrides = overrides
        self.latching = latching ?? (labels.count > 1 ? [labels.count - 1] : [])
        self.resetInput = resetInput
        self.location = location
    }

    /// Every target a class action or override drives, in first-use order: these start at their safe values
    /// and go there whenever the decision is invalid.
    public var targets: [Command.Target] {
        var seen = Set<Command.Target>()
        var out: [Command.Target] = []
        for c in actions.joined() + overrides.flatMap(\.commands) where seen.insert(c.target).inserted { out.append(c.target) }
        return out
    }

    /// The GPIO outputs among ``targets``.
    public var decidedOutputs: [String] {
        targets.compactMap { t -> String? in
            if case .output(let name) = t { return name }
            return nil
        }
    }
}
