/// What the config needs to know of the compiled-in model to check a `decide:` section: its class labels
/// and the names of its input features, in the model's order.
public struct ModelSignature: Sendable, Equatable {
    /// The classifier's name (`decide: model:`); empty when unknown (any name is then refused).
    public var name: String
    /// Output classes, in output order (`normal, degraded, fault`).
    public var labels: [String]
    /// Input features, in input order.
    public var features: [String]
    /// The highest probability the model can output for a class (an int8 softmax tops out at 255/256 = 0.996);
    /// `switch_at` above it could never be reached. Nil when unknown (no limit beyond 1 is checked).
    public var maximumProbability: Double?
    /// The other compiled-in models (anomaly, regression): what `decide: anomaly:`, `decide: estimate:` and
    /// override conditions may name.
    public var companions: [CompanionModel]

    public init(labels: [String], features: [String], maximumProbability: Double? = nil, name: String = "",
                companions: [CompanionModel] = []) {
        self.name = name
        self.labels = labels
        self.features = features
        self.maximumProbability = maximumProbability
        self.companions = companions
    }

    /// The companion model called `name`.
    public func companion(_ name: String) -> CompanionModel? { companions.first { $0.name == name } }
}

/// A compiled-in anomaly or regression model, as the config sees it.
public struct CompanionModel: Sendable, Equatable {
    public enum Kind: String, Sendable { case anomaly, regression }
    public var name: String
    public var kind: Kind
    /// Input features, in input order.
    public var features: [String]
    /// Anomaly: the default warn and alarm scores (from training).
    public var warn: Double
    public var alarm: Double
    /// Regression: output names and their units, in output order.
    public var outputs: [String]
    public var units: [String]

    public init(name: String, kind: Kind, features: [String], warn: Double = 0, alarm: Double = 0, outputs: [String] = [], units: [String] = []) {
        self.name = name
        self.kind = kind
        self.features = features
        self.warn = warn
        self.alarm = alarm
        self.outputs = outputs
        self.units = units
    }
}
