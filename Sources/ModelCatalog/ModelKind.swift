/// What a compiled-in model's output means, and so how the agent uses it.
public enum ModelKind: String, Sendable, CaseIterable {
    /// Output = class probabilities (softmax); `decide:` maps the top class to actions.
    case classifier
    /// Output = a reconstruction of the input (an autoencoder) or a score; the agent computes an anomaly score
    /// and compares it with thresholds (``AnomalySpec``).
    case anomaly
    /// Output = named real values with units (``RegressionOutput``), e.g. remaining useful life in hours.
    case regression
}

/// How an anomaly model's score is computed, and the thresholds that training derived from normal data.
public struct AnomalySpec: Sendable, Equatable {
    /// Where the score comes from.
    public enum Score: String, Sendable {
        /// Mean squared error between the dequantized int8 input and the dequantized int8 output (an
        /// autoencoder; input and output have the same size).
        case reconstruction
        /// The model's first output, dequantized.
        case output
    }

    public var score: Score
    /// Default `warn` threshold: the ``warnPercentile`` of the scores of normal training data.
    public var warn: Double
    /// Default `alarm` threshold: the ``alarmPercentile`` of the scores of normal training data.
    public var alarm: Double
    public var warnPercentile: Double
    public var alarmPercentile: Double

    public init(score: Score, warn: Double, alarm: Double, warnPercentile: Double, alarmPercentile: Double) {
        self.score = score
        self.warn = warn
        self.alarm = alarm
        self.warnPercentile = warnPercentile
        self.alarmPercentile = alarmPercentile
    }
}

/// One named output of a regression model: `value = offset + scale × dequantized output`.
public struct RegressionOutput: Sendable, Equatable {
    /// The name configs use, e.g. `rul`.
    public var name: String
    /// The unit of the value, e.g. `h`.
    public var unit: String
    public var scale: Double
    public var offset: Double

    public init(name: String, unit: String, scale: Double, offset: Double) {
        self.name = name
        self.unit = unit
        self.scale = scale
        self.offset = offset
    }
}
