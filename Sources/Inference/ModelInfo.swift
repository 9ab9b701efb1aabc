/// What the model compiler knew about a compiled-in model: where it came from, its graph and its costs.
public struct ModelInfo: Sendable {
    /// A short name (the .tflite file's base name).
    public var name: String
    /// The .tflite file as given to the compiler.
    public var source: String
    /// SHA-256 of the .tflite file, lowercase hex.
    public var sha256: String
    public var operators: [OperatorInfo]
    public var input: TensorInfo
    public var output: TensorInfo
    /// Bytes of the static activation arena (intermediate tensors and scratch; not the caller's input/output).
    public var arenaBytes: Int
    /// Bytes of constant data (weights, biases, multipliers).
    public var constantBytes: Int
    /// Output class names, in output order (empty when the model came without a .names file).
    public var labels: [String]
    /// Input feature names, in input order (empty when the model came without a .names file).
    public var features: [String]
    /// Per feature: the model's input is (value − mean) / std before int8 quantization (empty: no normalization).
    public var featureMeans: [Float]
    public var featureStds: [Float]

    /// A model description.
    public init(
        name: String, source: String, sha256: String, operators: [OperatorInfo], input: TensorInfo, output: TensorInfo,
        arenaBytes: Int, constantBytes: Int, labels: [String], features: [String], featureMeans: [Float] = [],
        featureStds: [Float] = []
    ) {
        self.name = name
        self.source = source
        self.sha256 = sha256
        self.operators = operators
        self.input = input
        self.output = output
        self.arenaBytes = arenaBytes
        self.constantBytes = constantBytes
        self.labels = labels
        self.features = features
        self.featureMeans = featureMeans
        self.featureStds = featureStds
    }

    /// Writes the int8 model input for raw feature values: normalized with the model's means and stds (when it has
    /// them), then quantized with the input's scale and zero point. No allocation.
    public func quantizeFeatures(_ values: UnsafePointer<Float>, into input: UnsafeMutablePointer<Int8>) {
        let normalize = featureMeans.count == self.input.count
        for i in 0..<self.input.count {
            let x = normalize ? (values[i] - featureMeans[i]) / featureStds[i] : values[i]
            input[i] = self.input.quantize(x)
        }
    }

    /// Multiply-accumulates per inference.
    public var macs: Int { operators.reduce(0) { $0 + $1.macs } }
    /// Constant weight and bias elements.
    public var parameters: Int { operators.reduce(0) { $0 + $1.parameters } }
}
