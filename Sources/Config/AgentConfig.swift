import Boards
import YAML

/// A validated, resolved agent configuration: every pin is a chip label and line, every rule names
/// existing lines. Produced by ``ConfigLoader``; nothing in it needs checking again.
public struct AgentConfig: Sendable {
    /// The config file.
    public var file: String
    /// The agent's name (logs, identity, socket names).
    public var name: String
    public var board: Board
    public var inputs: [InputConfig]
    public var outputs: [OutputConfig]
    public var rules: [Rule]
}

/// One GPIO input.
public struct InputConfig: Sendable {
    public enum Bias: String, Sendable, CaseIterable { case asIs = "as-is", disable, pullUp = "pull-up", pullDown = "pull-down" }
    public enum Edges: String, Sendable, CaseIterable { case both, rising, falling, none }

    public var name: String
    public var pin: ResolvedPin
    public var bias: Bias
    public var activeLow: Bool
    public var debounce: Duration
    public var edges: Edges
    public var location: SourceMark
}

/// One GPIO output.
public struct OutputConfig: Sendable {
    public var name: String
    public var pin: ResolvedPin
    /// Logical value when the line is requested.
    public var initial: Bool
    /// Logical value driven on shutdown and faults.
    public var safe: Bool
    public var activeLow: Bool
    public var location: SourceMark
}

/// `when: <input> rises|falls|changes` → one action.
public struct Rule: Sendable {
    public enum Edge: String, Sendable { case rises, falls, changes }
    public enum Action: Sendable, Equatable {
        case set(output: String, value: Bool)
        case toggle(output: String)
        case pulse(output: String, duration: Duration)
    }

    public var input: String
    public var edge: Edge
    public var action: Action
    public var location: SourceMark
}
