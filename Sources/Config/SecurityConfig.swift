import YAML

/// `security:`: per-source behaviour of the Modbus server's clients, scored against what was learned as normal;
/// a source that scores above the threshold is quarantined (see `Sources/Agent/Security`).
public struct SecurityConfig: Sendable, Equatable {
    /// How long the normal behaviour is learned before anything can be quarantined (0: at once, against the
    /// built-in profile of the simulation's normal M2M traffic).
    public var learn: Duration = .seconds(300)
    /// The behaviour features' window.
    public var window: Duration = .seconds(10)
    /// The score (how many learned standard deviations the most unusual feature is from normal) above which a
    /// source is anomalous.
    public var threshold: Double = 8
    /// Windows in a row above the threshold before a source is quarantined.
    public var confirm: Int = 2
    /// A quarantined source is released after scoring below `clear` × threshold for this long; nil: only by an
    /// operator (`fieldagent release NAME HOST`).
    public var releaseAfter: Duration? = .seconds(120)
    public var clear: Double = 0.5
    /// When true, a quarantined source's connections are refused too (default: only its writes).
    public var refuseConnections = false
    public var location: SourceLocation

    public init(location: SourceLocation) { self.location = location }
}
