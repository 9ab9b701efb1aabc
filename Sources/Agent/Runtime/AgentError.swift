/// Why the agent could not start or stopped: a reason a user can act on.
public struct AgentError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
