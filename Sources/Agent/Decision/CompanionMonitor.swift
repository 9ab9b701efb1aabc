import CompiledModel
import Config
import EventLoop
import Inference
import ModelCatalog

/// The anomaly decision and the estimates (regression models) of `decide:`, run by ``DecisionEngine`` at every
/// tick on the same features as the classifier. Buffers are allocated once; a tick allocates nothing.
public final class CompanionMonitor {
    /// One model run at every tick.
    final class Run {
        let entry: CompiledModelEntry
        let inputFeatures: [Int]
        let names: [String]
        var features: [Float]
        var input: [Int8]
        var output: [Int8]

        init(entry: CompiledModelEntry, inputs: [String], bank: FeatureBank) {
            self.entry = entry
            names = inputs
            inputFeatures = inputs.map { bank.index(of: $0) ?? 0 }
            features = Array(repeating: 0, count: inputs.count)
            input = Array(repeating: 0, count: entry.info.input.count)
            output = Array(repeating: 0, count: entry.info.output.count)
        }

        /// Reads the features (nil: all valid; else why not) and runs the model.
        func run(_ bank: FeatureBank) -> String? {
            for (k, f) in inputFeatures.enumerated() {
                guard let v = bank.features[f].value else { return bank.features[f].invalidReason ?? "feature \(names[k]) invalid" }
                features[k] = Float(v)
            }
            features.withUnsafeBufferPointer { f in
                input.withUnsafeMutableBufferPointer { i in entry.info.quantizeFeatures(f.baseAddress!, into: i.baseAddress!) }
            }
            input.withUnsafeBufferPointer { i in
                output.withUnsafeMutableBufferPointer { o in entry.predict(i.baseAddress!, o.baseAddress!) }
            }
            return nil
        }
    }

    /// The anomaly decision (`decide: anomaly:`), or nil.
    public let anomaly: DecisionConfig.AnomalyDecision?
    /// Its level with hysteresis, confirmation and latch.
    public private(set) var levels: AnomalyLevels?
    /// The last score (nil while the inputs are invalid).
    public private(set) var score: Double?
    /// Every estimate's outputs at the last tick, per estimate (NaN while invalid), in engineering units.
    public private(set) var estimates: [(config: DecisionConfig.Estimate, values: [Double])]
    /// Anomaly level changes since start.
    public private(set) var levelChanges: UInt64 = 0
    /// Called when the anomaly level in force changed, with the level (nil: none) and the score.
    public var onLevelChange: ((Int?, Double) -> Void)?
    private let anomalyRun: Run?
    private let estimateRuns: [Run]
    private let logger: Logger

    /// Nil when the decision has neither an anomaly decision nor estimates, or a model is not compiled in (config
    /// validation names only compiled-in models).
    public init?(decision: DecisionConfig, features: FeatureBank, logger: Logger) {
        guard decision.anomaly != nil || !decision.estimates.isEmpty else { return nil }
        self.logger = logger
        anomaly = decision.anomaly
        if let a = decision.anomaly {
            guard let entry = CompiledModels.named(a.model), entry.anomaly != nil else { return nil }
            anomalyRun = Run(entry: entry, inputs: a.inputs, bank: features)
            levels = AnomalyLevels(warn: a.warn, alarm: a.alarm, clear: a.clear, confirm: a.confirm, latches: a.latch,
                                   minDwell: decision.minDwell, dwellGuardsAlarm: decision.dwellGuardsFault)
        } else {
            anomalyRun = nil
        }
        var runs: [Run] = []
        for e in decision.estimates {
            guard let entry = CompiledModels.named(e.model) else { return nil }
            runs.append(Run(entry: entry, inputs: e.inputs, bank: features))
        }
        estimateRuns = runs
        estimates = decision.estimates.map { ($0, Array(repeating: .nan, count: $0.outputs.count)) }
    }

    /// The level names, for status and logs.
    public static func levelName(_ level: Int?) -> String { level.map { DecisionConfig.AnomalyDecision.levels[$0] } ?? "none" }

    /// Runs every model on the evaluated features; returns why the inputs are invalid (then nothing is updated but
    /// the invalid state), or nil.
    func tick(_ bank: FeatureBank, at now: Instant) -> String? {
        if let run = anomalyRun {
            if let problem = run.run(bank) {
                invalidate()
                return problem
            }
            let s = run.input.withUnsafeBufferPointer { i in
                run.output.withUnsafeBufferPointer { o in run.entry.anomalyScore(input: i.baseAddress!, output: o.baseAddress!) }
            } ?? .nan
            score = s
            let before = levels?.inForce
            if levels?.feed(s, at: now) != nil, levels?.inForce != before {
                levelChanges &+= 1
                let level = levels?.inForce
                onLevelChange?(level, s)
                let name = Self.levelName(level), warn = formatFixed(levels!.warn, digits: 4), alarm = formatFixed(levels!.alarm, digits: 4)
                if (level ?? 0) > 0 {
                    logger.warning("anomaly.level", ["model": run.entry.name, "level": name, "score": formatFixed(s, digits: 4), "warn": warn, "alarm": alarm])
                } else {
                    logger.notice("anomaly.level", ["model": run.entry.name, "level": name, "score": formatFixed(s, digits: 4), "warn": warn, "alarm": alarm])
                }
            }
        }
        for (k, run) in estimateRuns.enumerated() {
            if let problem = run.run(bank) {
                invalidate()
                return problem
            }
            run.output.withUnsafeBufferPointer { o in
                for i in estimates[k].values.indices { estimates[k].values[i] = run.entry.regressionValue(i, output: o.baseAddress!) ?? .nan }
            }
        }
        return nil
    }

    /// The inputs are invalid (or the engine is fail-safe): no score, no level (a latched alarm stays), no estimates.
    func invalidate() {
        score = nil
        levels?.inputsInvalid()
        for k in estimates.indices { for i in estimates[k].values.indices { estimates[k].values[i] = .nan } }
    }

    /// Whether an anomaly or estimate condition holds; nil for the conditions the agent evaluates.
    func holds(_ condition: DecisionConfig.Condition) -> Bool? {
        switch condition {
        case .anomaly(_, let level):
            return (levels?.inForce ?? 0) >= level
        case .estimate(let model, let output, _, let below, let threshold, _):
            guard let e = estimates.first(where: { $0.config.model == model }), output < e.values.count else { return false }
            let v = e.values[output]
            guard v.isFinite else { return false }
            return below ? v < threshold : v > threshold
        default:
            return nil
        }
    }

    /// Asks to clear a latched alarm: accepted when the last score is below warn.
    func reset() -> Result<Bool, AnomalyLevels.ResetRefused> {
        levels?.reset(lastScore: score) ?? .success(false)
    }

    /// The value of `model.output` at the last tick (NaN when invalid or unknown).
    public func estimate(_ model: String, _ output: Int) -> Double {
        guard let e = estimates.first(where: { $0.config.model == model }), output < e.values.count else { return .nan }
        return e.values[output]
    }
}
