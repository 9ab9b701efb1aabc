/// What the config needs to know of the compiled-in model to check a `decide:` section: its class labels
/// and the names of its input features, in the model's order.
public struct ModelSignature: Sendable, Equatable {
    /// Output classes, in output order (`normal, degraded, fault`).
    public var labels: [String]
    /// Input features, in input order.
    public var features: [String]
    /// The highest probability the model can output for a class (an int8 softmax tops out at 255/256 = 0.996);
    /// `switch_at` above it could never be reached. Nil when unknown (no limit beyond 1 is checked).
    public var maximumProbability: Double?

    public init(labels: [String], features: [String], maximumProbability: Double? = nil) {
        self.labels = labels
        self.features = features
        self.maximumProbability = maximumProbability
    }
}
