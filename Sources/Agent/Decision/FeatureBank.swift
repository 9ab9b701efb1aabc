import Config
import EventLoop
import Modbus

/// Every configured feature: its window, the samples routed to it from its source, and garbage rejection.
///
/// A sample that is NaN, infinite or outside the feature's `range` is rejected (counted, logged when a source
/// starts or stops sending garbage) and makes the feature invalid until a good sample arrives; so does a window
/// whose reduction overflows (finite samples so large that their mean or slope is not finite). A feature is
/// also invalid while its source's link is not up, or while its window holds too few samples. The reason is
/// kept, so fail-safe logs and status say which feature and why.
public final class FeatureBank {
    /// One feature's state.
    public struct Feature {
        public let config: FeatureConfig
        var window: FeatureWindow
        /// The value at the last evaluation; nil when invalid.
        public internal(set) var value: Double?
        /// Why the feature is invalid, nil when valid.
        public internal(set) var invalidReason: String?
        /// The latest sample was rejected.
        public internal(set) var rejecting = false
        /// Samples rejected since start.
        public internal(set) var rejected: UInt64 = 0
    }

    public private(set) var features: [Feature]
    /// When ``evaluate(at:)`` last ran, and whether a sample arrived since (``evaluateIfNeeded(at:)``).
    private var evaluatedAt: Instant?
    private var changed = true
    /// Whether a source is usable now: nil when it is, else why not (`sensor machine is down`).
    private let linkProblem: (FeatureConfig.Source) -> String?
    private let logger: Logger

    public init(configs: [FeatureConfig], logger: Logger, linkProblem: @escaping (FeatureConfig.Source) -> String?) {
        features = configs.map { Feature(config: $0, window: FeatureWindow($0)) }
        self.logger = logger
        self.linkProblem = linkProblem
    }

    /// The index of the feature called `name`.
    public func index(of name: String) -> Int? { features.firstIndex { $0.config.name == name } }

    /// Routes a polled Modbus sample to the features reading it.
    public func ingest(_ sample: ModbusSample) {
        for i in features.indices {
            guard case .modbus(let d, let p, let k) = features[i].config.source, d == sample.device, p == sample.point,
                  k < sample.values.count else { continue }
            add(i, sample.values[k], at: sample.at)
        }
    }

    /// Routes a peer's status and values to the features reading that peer.
    public func ingest(peer: String, status: PeerStatus, values: [Double], at time: Instant) {
        for i in features.indices {
            guard case .peer(let name, let field) = features[i].config.source, name == peer else { continue }
            let v: Double
            switch field {
            case .healthClass: v = status.healthClass.map(Double.init) ?? .nan
            case .confidence: v = status.confidence
            case .alarms: v = Double(status.alarms.rawValue)
            case .value(let n): v = n < values.count ? values[n] : .nan
            }
            add(i, v, at: time)
        }
    }

    /// Samples the inputs read by features (once per decision tick).
    public func sampleInputs(at time: Instant, value: (String) -> Bool?) {
        for i in features.indices {
            guard case .input(let name) = features[i].config.source, let v = value(name) else { continue }
            add(i, v ? 1 : 0, at: time)
        }
    }

    /// A source went down: its windows start over when it returns (old samples would mix with new ones).
    public func sourceLost(device: String) {
        changed = true
        for i in features.indices {
            switch features[i].config.source {
            case .modbus(let d, _, _) where d == device, .peer(let d, _) where d == device: features[i].window.clear()
            default: break
            }
        }
    }

    /// Computes every feature at `now`; returns the number of invalid ones.
    @discardableResult
    public func evaluate(at now: Instant) -> Int {
        evaluatedAt = now
        changed = false
        var invalid = 0
        for i in features.indices {
            let source = features[i].config.source
            var reason: String? = linkProblem(source)
            var value: Double?
            if reason == nil {
                if features[i].rejecting {
                    reason = "\(source) sends garbage (NaN, infinite or out of range)"
                } else if let v = features[i].window.value(at: now) {
                    // Finite samples can still add up past Double's range (a mean or RMS of values near 1e308,
                    // a slope of huge ones); such a feature is invalid, never an infinity or NaN for the model.
                    if v.isFinite { value = v } else { reason = "the \(features[i].config.reduction.rawValue) of \(source) overflowed (samples too large)" }
                } else {
                    reason = features[i].window.count == 0 ? "no samples from \(source) within \(features[i].config.window)"
                        : "too few samples from \(source) for a slope"
                }
            }
            features[i].value = value
            features[i].invalidReason = reason.map { "feature \(features[i].config.name): \($0)" }
            if value == nil { invalid += 1 }
        }
        return invalid
    }

    /// Evaluates only when time moved or a sample arrived since the last evaluation: a register-map read of
    /// 32 value registers then costs one evaluation, not 32.
    public func evaluateIfNeeded(at now: Instant) {
        if changed || evaluatedAt != now { evaluate(at: now) }
    }

    /// Whether any feature rejected its latest sample.
    public var anyRejecting: Bool { features.contains { $0.rejecting } }

    private func add(_ i: Int, _ v: Double, at time: Instant) {
        changed = true
        let config = features[i].config
        let ok = v.isFinite && (config.validRange?.contains(v) ?? true)
        if !ok {
            features[i].rejected += 1
            if !features[i].rejecting {
                logger.warning("feature.rejected", ["feature": config.name, "source": config.source.description, "value": v.description,
                                                    "valid": config.validRange.map { "\($0.lowerBound)...\($0.upperBound)" } ?? "finite",
                                                    "action": "feature invalid until a good sample"])
            }
            features[i].rejecting = true
            return
        }
        if features[i].rejecting {
            logger.notice("feature.recovered", ["feature": config.name, "value": v.description])
            features[i].rejecting = false
        }
        features[i].window.add(v, at: time)
    }
}
