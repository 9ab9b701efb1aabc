import CompiledModel
import ModelCatalog

/// Scores behaviour windows with a compiled-in anomaly model (`security: model:`, by default `m2m_behaviour`,
/// trained on the simulation's normal M2M traffic): the features are normalized and quantized as in training,
/// the model runs in its static arena, and the score is its reconstruction error. Buffers are allocated once;
/// scoring allocates nothing.
public final class BehaviourModelScorer {
    public let model: CompiledModelEntry
    private var features: [Float]
    private var input: [Int8]
    private var output: [Int8]

    /// The compiled-in anomaly model `name` when it takes the ``SourceBehaviour`` features; else nil.
    public init?(name: String) {
        guard let m = CompiledModels.named(name), m.kind == .anomaly, m.info.features == SourceBehaviour.featureNames,
              m.info.input.count == SourceBehaviour.featureNames.count else { return nil }
        model = m
        features = [Float](repeating: 0, count: m.info.input.count)
        input = [Int8](repeating: 0, count: m.info.input.count)
        output = [Int8](repeating: 0, count: m.info.output.count)
    }

    /// Per feature, how far `x` is from the model's normal training data, in its standard deviations (the
    /// normalization the model's input gets), signed.
    public func deviations(_ x: [Double]) -> [Double] {
        let info = model.info
        return (0..<min(x.count, info.featureMeans.count, info.featureStds.count)).map { i in
            (x[i] - Double(info.featureMeans[i])) / Double(info.featureStds[i])
        }
    }

    /// The model's score of one window's features (``SourceBehaviour/featureNames`` order). Values beyond the
    /// model's input range saturate at it; a non-finite feature counts as 0.
    public func score(_ x: [Double]) -> Double {
        for i in features.indices {
            let v = i < x.count ? x[i] : 0
            features[i] = v.isFinite ? Float(max(-1e6, min(1e6, v))) : 0
        }
        let info = model.info
        features.withUnsafeBufferPointer { f in
            input.withUnsafeMutableBufferPointer { q in
                // Valid: both hold info.input.count elements (checked in init).
                info.quantizeFeatures(f.baseAddress!, into: q.baseAddress!)
            }
        }
        return input.withUnsafeBufferPointer { q in
            output.withUnsafeMutableBufferPointer { o in
                // Valid: the buffers have the model's input and output sizes for the duration of the calls.
                model.predict(q.baseAddress!, o.baseAddress!)
                return model.anomalyScore(input: q.baseAddress!, output: o.baseAddress!) ?? 0
            }
        }
    }
}
