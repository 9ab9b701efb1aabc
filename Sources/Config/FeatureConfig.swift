import YAML

/// One named feature (`features:` entry): a window over the samples of one source, reduced to one number.
/// The decision's model takes features by name; the register map exports them to peers.
public struct FeatureConfig: Sendable, Equatable {
    /// Where a feature's samples come from.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// `machine.vibration` or `machine.vibration[2]`: a polled Modbus point (value `index` of it).
        case modbus(device: String, point: String, index: Int)
        /// `line-b.class`, `line-b.confidence`, `line-b.alarms`, `line-b.value3`: what a peer serves.
        case peer(peer: String, field: PeerField)
        /// `button`: a GPIO input's logical value, 0 or 1.
        case input(name: String)

        public var description: String {
            switch self {
            case .modbus(let d, let p, let i): i == 0 ? "\(d).\(p)" : "\(d).\(p)[\(i)]"
            case .peer(let peer, let field): "\(peer).\(field)"
            case .input(let name): name
            }
        }
    }

    /// What a feature may read of a peer's register map.
    public enum PeerField: Sendable, Equatable, CustomStringConvertible {
        /// The peer's health class (0 = the model's first label …).
        case healthClass
        /// The peer's confidence in its class, 0…1.
        case confidence
        /// The peer's alarm bits, as a number.
        case alarms
        /// The peer's exported value `n` (its `n`th feature), 0…15.
        case value(Int)

        public var description: String {
            switch self {
            case .healthClass: "class"
            case .confidence: "confidence"
            case .alarms: "alarms"
            case .value(let n): "value\(n)"
            }
        }
    }

    /// How the window's samples become one number.
    public enum Reduction: String, Sendable, CaseIterable {
        /// The newest sample.
        case last
        /// The arithmetic mean.
        case mean
        /// The root mean square.
        case rms
        /// The largest magnitude.
        case peak
        /// The least-squares slope, in units per ``FeatureConfig/slopePer``.
        case slope
    }

    /// How far back the window reaches.
    public enum Window: Sendable, Equatable, CustomStringConvertible {
        /// The newest N samples.
        case samples(Int)
        /// Samples no older than this.
        case duration(Duration)

        public var description: String {
            switch self {
            case .samples(let n): n == 1 ? "1 sample" : "\(n) samples"
            case .duration(let d): YAMLScalar.format(d)
            }
        }
    }

    /// The feature's name; the model's inputs use these names.
    public var name: String
    public var source: Source
    public var reduction: Reduction
    public var window: Window
    /// The time unit of a slope (`per: 10m`: °C per 10 minutes); default one second.
    public var slopePer: Duration
    /// Values outside this range (and NaN, infinities) are rejected as garbage; nil accepts every finite value.
    public var validRange: ClosedRange<Double>?
    /// Where the entry starts in the config.
    public var location: SourceLocation

    public init(name: String, source: Source, reduction: Reduction = .last, window: Window = .samples(1),
                slopePer: Duration = .seconds(1), validRange: ClosedRange<Double>? = nil, location: SourceLocation) {
        self.name = name
        self.source = source
        self.reduction = reduction
        self.window = window
        self.slopePer = slopePer
        self.validRange = validRange
        self.location = location
    }
}
