/// A hardware-in-the-loop scenario: at given times, which mock inputs change, and which outputs must reach
/// which physical level within a deadline. Read from YAML by ``ScenarioLoader``.
public struct Scenario: Sendable {
    /// One timed step.
    public struct Step: Sendable {
        /// When the step starts, from the scenario's start (or later, if the previous step is still waiting).
        public var at: Duration
        /// Inputs to drive: name → physical level (nil: let it float).
        public var set: [(name: String, level: Bool?)]
        /// Outputs to check: name → physical level they must reach.
        public var expect: [(name: String, level: Bool)]
        /// How long the expectations may take.
        public var within: Duration
        /// Stop the agent as SIGTERM would before checking (expect the safe states).
        public var stop: Bool
        /// Where the step is written, `scenario.yaml:12`.
        public var location: String

        public init(at: Duration, set: [(name: String, level: Bool?)], expect: [(name: String, level: Bool)],
                    within: Duration, stop: Bool, location: String) {
            self.at = at
            self.set = set
            self.expect = expect
            self.within = within
            self.stop = stop
            self.location = location
        }
    }

    /// The scenario's name (its file name unless given).
    public var name: String
    /// The scenario file.
    public var file: String
    /// The config it runs against, resolved relative to the scenario file (a `--config` option overrides it).
    public var config: String?
    public var steps: [Step]

    public init(name: String, file: String, config: String?, steps: [Step]) {
        self.name = name
        self.file = file
        self.config = config
        self.steps = steps
    }
}
