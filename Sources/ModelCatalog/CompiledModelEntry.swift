import Inference

/// One model compiled into the binary, as the manifest (`Models/models.yaml`) named it: its kind, what the
/// compiler knew of it, and how to run it. The generated `CompiledModels.all` lists them.
public struct CompiledModelEntry: Sendable {
    /// The model's name in configs and on the command line (`decide: model:`, `fieldagent predict --model`).
    public var name: String
    public var kind: ModelKind
    /// Source, operators, quantization, feature names and normalization.
    public var info: ModelInfo
    /// For ``ModelKind/anomaly``: the score and its default thresholds.
    public var anomaly: AnomalySpec?
    /// For ``ModelKind/regression``: one per model output, in output order.
    public var outputs: [RegressionOutput]
    /// One inference (the generated type's `predict`): no allocation, not reentrant (the model's static arena).
    public var predict: @Sendable (UnsafePointer<Int8>, UnsafeMutablePointer<Int8>) -> Void

    public init(name: String, kind: ModelKind, info: ModelInfo, anomaly: AnomalySpec? = nil, outputs: [RegressionOutput] = [],
                predict: @escaping @Sendable (UnsafePointer<Int8>, UnsafeMutablePointer<Int8>) -> Void) {
        self.name = name
        self.kind = kind
        self.info = info
        self.anomaly = anomaly
        self.outputs = outputs
        self.predict = predict
    }

    /// The anomaly score of one inference, from its int8 input and output (see ``AnomalySpec/Score``); nil when
    /// the model is not an anomaly model. No allocation.
    public func anomalyScore(input: UnsafePointer<Int8>, output: UnsafePointer<Int8>) -> Double? {
        guard let anomaly else { return nil }
        switch anomaly.score {
        case .output:
            return Double(info.output.dequantize(output[0]))
        case .reconstruction:
            let n = min(info.input.count, info.output.count)
            guard n > 0 else { return nil }
            var sum = 0.0
            for i in 0..<n {
                let d = Double(info.input.dequantize(input[i])) - Double(info.output.dequantize(output[i]))
                sum += d * d
            }
            return sum / Double(n)
        }
    }

    /// The value of regression output `index` (engineering units) from the int8 output; nil when out of range.
    public func regressionValue(_ index: Int, output: UnsafePointer<Int8>) -> Double? {
        guard index >= 0, index < outputs.count, index < info.output.count else { return nil }
        let o = outputs[index]
        return o.offset + o.scale * Double(info.output.dequantize(output[index]))
    }

    /// Runs on raw feature values and returns the int8 input and output. Allocates: for tools and tests.
    public func run(features: [Float]) -> (input: [Int8], output: [Int8]) {
        precondition(features.count == info.input.count, "expected \(info.input.count) features, got \(features.count)")
        var input = [Int8](repeating: 0, count: info.input.count)
        var output = [Int8](repeating: 0, count: info.output.count)
        features.withUnsafeBufferPointer { f in
            input.withUnsafeMutableBufferPointer { i in
                // Valid: both buffers hold info.input.count elements.
                info.quantizeFeatures(f.baseAddress!, into: i.baseAddress!)
            }
        }
        input.withUnsafeBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                // Valid: the buffers have the model's input and output sizes for the duration of the call.
                predict(i.baseAddress!, o.baseAddress!)
            }
        }
        return (input, output)
    }
}
