/// What the config needs to know of the compiled-in model to check a `decide:` section: its class labels
/// and the names of its input features, in the model's order.
public struct ModelSignature: Sendable, Equatable {
    /// Output classes, in output order (`normal, degraded, fault`).
    public var labels: [String]
    /// Input features, in input order.
    public var features: [String]

    public init(labels: [String], features: [String]) {
        self.labels = labels
        self.features = features
    }
}
