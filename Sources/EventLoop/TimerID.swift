/// Identifies a scheduled timer so that it can be cancelled.
public struct TimerID: Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
}
