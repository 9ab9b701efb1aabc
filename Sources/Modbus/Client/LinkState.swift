/// How well a device is answering, for rules, fail-safes and status.
public enum LinkState: String, Sendable, Equatable, CaseIterable {
    /// Answering: the last request succeeded within the stale window.
    case up
    /// Recently answered, but the last request failed or no answer came for longer than the stale window.
    case stale
    /// Not answering: several requests in a row failed, or it never answered yet.
    case down
}
