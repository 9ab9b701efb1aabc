import CInt8Kernels

/// FULLY_CONNECTED, int8 (TFLM `reference_integer_ops::FullyConnected[PerChannel]`).
///
/// out[b, o] = requantize(bias[o] + Σᵢ (in[b, i] − input_zp) × w[o, i]) with per-unit multipliers. The compiler
/// folds −input_zp × Σᵢ w[o, i] into `bias` (exact in int32), so the inner loop is a plain int8 dot product, run by
/// the active ``KernelSet`` over ``PackedWeights``.
public struct FullyConnected {
    /// Rows of the input (TFLite flattens leading dimensions).
    public var batches: Int
    /// Elements per input row (the accumulation depth).
    public var depth: Int
    /// Output units.
    public var units: Int
    /// Weights in the ``PackedWeights`` layout.
    public var weights: UnsafePointer<Int8>
    /// Bias with the input zero point folded in; this and the next three arrays hold whole blocks of 8 units.
    public var bias: UnsafePointer<Int32>
    /// Per-unit multipliers and shifts (replicated when the weights have one scale).
    public var multipliers: UnsafePointer<Int32>
    public var shifts: UnsafePointer<Int32>
    /// Σ weights per unit (for the VNNI kernels).
    public var weightSums: UnsafePointer<Int32>
    public var outputZeroPoint: Int32
    public var activation: ActivationRange

    /// An operator over constant data that lives as long as the program (the compiled-in C arrays).
    public init(
        batches: Int, depth: Int, units: Int, weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>,
        multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>, weightSums: UnsafePointer<Int32>,
        outputZeroPoint: Int32, activation: ActivationRange
    ) {
        self.batches = batches
        self.depth = depth
        self.units = units
        self.weights = weights
        self.bias = bias
        self.multipliers = multipliers
        self.shifts = shifts
        self.weightSums = weightSums
        self.outputZeroPoint = outputZeroPoint
        self.activation = activation
    }

    /// Runs on `batches × depth` inputs, writes `batches × units` outputs.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        if KernelSet.usesMicroKernels {
            var requant = fa_requant_t(
                bias: bias, multipliers: multipliers, shifts: shifts, weight_sums: weightSums,
                output_zero_point: outputZeroPoint, activation_min: activation.min, activation_max: activation.max)
            fa_fully_connected(Int32(batches), Int32(depth), Int32(units), weights, &requant, input, output)
            return
        }
        for b in 0..<batches {
            // Valid: the planner gave the input batches × depth and the output batches × units bytes.
            PackedWeights.row(
                input: input + b &* depth, depth: depth, channels: units, weights: weights, bias: bias,
                multipliers: multipliers, shifts: shifts, outputZeroPoint: outputZeroPoint, activation: activation,
                output: output + b &* units)
        }
    }
}
