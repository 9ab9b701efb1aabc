import YAML

/// `security:`: per-source behaviour of the Modbus server's clients, scored by the behaviour model trained on the
/// simulation's normal M2M traffic (or, with `model: none`, against the statistical baseline learned here); a
/// source that scores above the threshold is quarantined (see `Sources/Agent/Security`).
public struct SecurityConfig: Sendable, Equatable {
    /// The behaviour features, in the order the agent computes them and the behaviour model takes them.
    public static let featureNames = [
        "request_rate", "write_fraction", "exception_fraction", "novel_address_fraction", "address_blocks",
        "connections", "idle_connections", "interarrival_jitter",
    ]
    /// The compiled-in behaviour model used by default, when the binary holds it.
    public static let defaultModel = "m2m_behaviour"

    /// The anomaly model that scores each source's window and decides quarantine; nil: the statistical baseline
    /// decides (`threshold`, in learned deviations). With a model, the baseline only explains (the features
    /// that stood out).
    public var model: String?
    /// The model score above which a window is anomalous (default: the model's alarm threshold from training).
    public var alarm: Double = 0
    /// How long the normal behaviour is learned before anything can be quarantined (0: at once, against the
    /// built-in profile of the simulation's normal M2M traffic).
    public var learn: Duration = .seconds(300)
    /// The behaviour features' window.
    public var window: Duration = .seconds(10)
    /// The baseline's score (how many learned standard deviations the most unusual feature is from normal) above
    /// which a source is anomalous when no model decides; with a model, features above half of it are named.
    public var threshold: Double = 8
    /// Windows in a row above the threshold before a source is quarantined.
    public var confirm: Int = 2
    /// A quarantined source is released after scoring below `clear` × threshold (or alarm) for this long; nil: only by an
    /// operator (`fieldagent release NAME HOST`).
    public var releaseAfter: Duration? = .seconds(120)
    public var clear: Double = 0.5
    /// When true, a quarantined source's connections are refused too (default: only its writes).
    public var refuseConnections = false
    public var location: SourceLocation

    public init(location: SourceLocation) { self.location = location }
}
