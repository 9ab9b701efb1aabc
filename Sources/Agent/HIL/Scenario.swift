/// A hardware-in-the-loop scenario: at given times, which mock inputs change, how the simulated machines
/// behave, and which outputs (and register map values, read over Modbus as a peer reads them) must reach
/// which values within a deadline. Read from YAML by ``ScenarioLoader``.
public struct Scenario: Sendable {
    /// A register map expectation: what a peer reading `agent`'s map must see.
    public struct MapExpectation: Sendable {
        public var agent: String
        /// Health class label (`fault`), or nil to not check it.
        public var healthClass: String?
        /// State (`deciding`, `fail-safe`, `starting`), or nil.
        public var state: String?
        /// Alarm bits that must be set, by name (`fail-safe`, `peer-down`, …).
        public var alarms: [String]

        public init(agent: String, healthClass: String?, state: String?, alarms: [String]) {
            self.agent = agent
            self.healthClass = healthClass
            self.state = state
            self.alarms = alarms
        }
    }

    /// One timed step.
    public struct Step: Sendable {
        /// When the step starts, from the scenario's start (or later, if the previous step is still waiting).
        public var at: Duration
        /// Inputs to drive: name → physical level (nil: let it float). With several agents: `agent.input`.
        public var set: [(name: String, level: Bool?)]
        /// Simulated machines to move: agent name → constant severity (0 normal … 1 fault).
        public var machines: [(agent: String, severity: Double)]
        /// Faults to inject into simulated machines: agent name → `none`, `nan` or `out-of-range`.
        public var inject: [(agent: String, fault: String)]
        /// Outputs to check: name → physical level they must reach.
        public var expect: [(name: String, level: Bool)]
        /// Register maps to check over Modbus.
        public var expectMap: [MapExpectation]
        /// How long the expectations may take.
        public var within: Duration
        /// Once met, how long the expectations must go on holding (zero: the step passes when they are met).
        public var hold: Duration
        /// Stop the agent as SIGTERM would before checking (expect the safe states).
        public var stop: Bool
        /// Agents to stop as SIGTERM would (a peer disappearing); their register maps stop answering.
        public var kill: [String]
        /// Idle connections to open to an agent's register map from a stranger's address (127.0.0.2), kept open
        /// until the scenario ends: agent name → how many.
        public var strangers: [(agent: String, count: Int)]
        /// Where the step is written, `scenario.yaml:12`.
        public var location: String

        public init(at: Duration, set: [(name: String, level: Bool?)], machines: [(agent: String, severity: Double)] = [],
                    inject: [(agent: String, fault: String)] = [], expect: [(name: String, level: Bool)],
                    expectMap: [MapExpectation] = [], within: Duration, hold: Duration = .zero, stop: Bool, kill: [String] = [],
                    strangers: [(agent: String, count: Int)] = [], location: String) {
            self.at = at
            self.set = set
            self.machines = machines
            self.inject = inject
            self.expect = expect
            self.expectMap = expectMap
            self.within = within
            self.hold = hold
            self.stop = stop
            self.kill = kill
            self.strangers = strangers
            self.location = location
        }
    }

    /// The scenario's name (its file name unless given).
    public var name: String
    /// The scenario file.
    public var file: String
    /// The configs it runs, resolved relative to the scenario file (`config:` gives one, `agents:` several;
    /// a `--config` option overrides a single one).
    public var configs: [String]
    /// Initial severity of each agent's simulated machine (default 0), for configs with loopback Modbus devices.
    public var machines: [(agent: String, severity: Double)]
    public var steps: [Step]

    /// The single config, when there is exactly one.
    public var config: String? { configs.count == 1 ? configs[0] : nil }

    public init(name: String, file: String, configs: [String], machines: [(agent: String, severity: Double)] = [], steps: [Step]) {
        self.name = name
        self.file = file
        self.configs = configs
        self.machines = machines
        self.steps = steps
    }
}
