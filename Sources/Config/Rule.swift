import YAML

/// `when: <input> rises|falls|changes` and one action on an output.
public struct Rule: Sendable, Equatable {
    /// The change of the input's logical value (after active-low and debouncing) that fires the rule.
    public enum Edge: String, Sendable, CaseIterable {
        /// 0 → 1.
        case rises
        /// 1 → 0.
        case falls
        /// Either.
        case changes
    }

    /// What the rule does to its output.
    public enum Action: Sendable, Equatable {
        /// `set: lamp on`: drive the output to `value`.
        case set(output: String, value: Bool)
        /// `toggle: lamp`: drive the output to the opposite of its current value.
        case toggle(output: String)
        /// `pulse: buzzer 200ms`: on now, off after `duration`; a new trigger while on extends it.
        case pulse(output: String, duration: Duration)

        /// The output the action drives.
        public var output: String {
            switch self {
            case .set(let o, _), .toggle(let o), .pulse(let o, _): o
            }
        }
    }

    /// The input's name.
    public var input: String
    /// The change that fires the rule.
    public var edge: Edge
    /// What it does.
    public var action: Action
    /// Where the rule starts in the config.
    public var location: SourceLocation

    /// A rule; usually made by ``ConfigLoader``.
    public init(input: String, edge: Edge, action: Action, location: SourceLocation) {
        self.input = input
        self.edge = edge
        self.action = action
        self.location = location
    }
}
