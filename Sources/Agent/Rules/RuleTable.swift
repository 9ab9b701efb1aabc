/// The configured rules, compiled for the edge path: per input, the actions its edges trigger, with outputs
/// referred to by index so that an edge costs no lookups by name and no allocation.
public struct RuleTable: Sendable {
    /// Which edges of the input fire a rule.
    public enum Trigger: Sendable, Equatable {
        case rises, falls, changes

        func fires(on rising: Bool) -> Bool {
            switch self {
            case .rises: rising
            case .falls: !rising
            case .changes: true
            }
        }
    }

    /// What a fired rule does to one output.
    public enum Action: Sendable, Equatable {
        case set(output: Int, value: Bool)
        case toggle(output: Int)
        case pulse(output: Int, duration: Duration)
    }

    /// One compiled rule.
    public struct Entry: Sendable, Equatable {
        public var trigger: Trigger
        public var action: Action
        /// The rule's text and place, for logs: `rule 2 (config.yaml:21)`.
        public var label: String

        public init(trigger: Trigger, action: Action, label: String) {
            self.trigger = trigger
            self.action = action
            self.label = label
        }
    }

    private var byInput: [[Entry]]

    /// An empty table for `inputCount` inputs.
    public init(inputCount: Int) { byInput = Array(repeating: [], count: inputCount) }

    /// Adds a rule for input `input`.
    public mutating func add(input: Int, _ entry: Entry) { byInput[input].append(entry) }

    /// Calls `body` for every rule that an edge of `input` fires, in config order.
    @inline(__always)
    public func forEachFired(input: Int, rising: Bool, _ body: (Entry) -> Void) {
        for entry in byInput[input] where entry.trigger.fires(on: rising) { body(entry) }
    }

    /// Number of rules.
    public var count: Int { byInput.reduce(0) { $0 + $1.count } }
}
