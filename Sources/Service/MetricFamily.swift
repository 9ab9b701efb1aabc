/// One metric in the Prometheus text format: a name, a help text, a type, and its samples (one per label set).
///
/// Build families afresh from the agent's counters each time metrics are asked for; ``PrometheusText``
/// renders them. Names are constants in the code (a name that is not `[a-zA-Z_:][a-zA-Z0-9_:]*` is a
/// programmer error and traps); everything that comes from data (a peer, a sensor, an output) belongs in a
/// label value, which may hold any text and is escaped when rendered.
///
/// ```swift
/// var requests = MetricFamily("fieldagent_modbus_requests_total", help: "Modbus requests sent, per peer.", type: .counter)
/// for peer in peers { requests.add(peer.counters.requests, ["peer": peer.name]) }
/// ```
/// Counters end in `_total` by convention (promtool's lint asks for it); units are base units in the name
/// (`_seconds`, `_bytes`).
public struct MetricFamily: Equatable, Sendable {
    /// The metric types this model supports (the format also has histogram, summary and untyped).
    public enum Kind: String, Equatable, Sendable {
        /// Only ever goes up (or restarts at zero when the agent restarts): requests, errors, inferences.
        case counter
        /// Goes up and down: a link state, a temperature, the last loop latency.
        case gauge
    }

    /// One `name="value"` pair of a sample.
    public struct Label: Equatable, Sendable {
        /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved by Prometheus). Checked: traps otherwise.
        public let name: String
        /// Any text; escaped when rendered.
        public var value: String

        public init(_ name: String, _ value: String) {
            precondition(PrometheusText.isValidLabelName(name), "invalid Prometheus label name '\(name)': use [a-zA-Z_][a-zA-Z0-9_]*, not starting with __")
            self.name = name
            self.value = value
        }
    }

    /// One value of the family, for one set of labels.
    public struct Sample: Equatable, Sendable {
        /// In the order given; no name twice.
        public var labels: [Label]
        /// NaN and ±infinity are allowed and rendered as `NaN`, `+Inf`, `-Inf`.
        public var value: Double

        public init(labels: [Label] = [], value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`; checked at initialization. Unique among the families rendered together.
    public let name: String
    /// One line of text saying what is counted or measured, and in which unit.
    public let help: String
    /// Counter or gauge.
    public let type: Kind
    /// The samples in the order added; each label set at most once.
    public var samples: [Sample]

    /// A family with no samples yet. Traps when `name` is not a valid metric name (a programmer error).
    public init(_ name: String, help: String, type: Kind, samples: [Sample] = []) {
        precondition(PrometheusText.isValidMetricName(name), "invalid Prometheus metric name '\(name)': use [a-zA-Z_:][a-zA-Z0-9_:]*")
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }

    /// Adds a sample: `value` with `labels` (in order). Label names are checked; values may be anything.
    public mutating func add(_ value: Double, _ labels: KeyValuePairs<String, String> = [:]) {
        var list: [Label] = []
        if !labels.isEmpty {
            list.reserveCapacity(labels.count)
            for (name, labelValue) in labels { list.append(Label(name, labelValue)) }
        }
        samples.append(Sample(labels: list, value: value))
    }

    /// Adds a sample from an integer counter or gauge (exact up to 2^53).
    public mutating func add<Value: BinaryInteger>(_ value: Value, _ labels: KeyValuePairs<String, String> = [:]) {
        add(Double(value), labels)
    }

    /// Adds a 0/1 sample from a condition (a link is up, an alarm is set).
    public mutating func add(_ value: Bool, _ labels: KeyValuePairs<String, String> = [:]) {
        add(value ? 1.0 : 0.0, labels)
    }
}
