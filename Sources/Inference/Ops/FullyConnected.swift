/// FULLY_CONNECTED, int8 (TFLM `reference_integer_ops::FullyConnected[PerChannel]`).
///
/// out[b, o] = requantize(bias[o] + Σᵢ (in[b, i] − input_zp) × w[o, i]) with per-unit multipliers. The compiler
/// folds −input_zp × Σᵢ w[o, i] into `bias` (exact in int32), so the inner loop is a plain int8 dot product.
public struct FullyConnected {
    /// Rows of the input (TFLite flattens leading dimensions).
    public var batches: Int
    /// Elements per input row (the accumulation depth).
    public var depth: Int
    /// Output units.
    public var units: Int
    /// Weights [units][rowStride], row-major, zero-padded from `depth` to `rowStride`.
    public var weights: UnsafePointer<Int8>
    /// Bytes between weight rows.
    public var rowStride: Int
    /// Bias with the input zero point folded in, one per unit.
    public var bias: UnsafePointer<Int32>
    /// Per-unit multipliers and shifts (replicated when the weights have one scale).
    public var multipliers: UnsafePointer<Int32>
    public var shifts: UnsafePointer<Int32>
    public var outputZeroPoint: Int32
    public var activation: ActivationRange

    /// An operator over constant data that lives as long as the program (the compiled-in C arrays).
    public init(
        batches: Int, depth: Int, units: Int, weights: UnsafePointer<Int8>, rowStride: Int, bias: UnsafePointer<Int32>,
        multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>, outputZeroPoint: Int32, activation: ActivationRange
    ) {
        self.batches = batches
        self.depth = depth
        self.units = units
        self.weights = weights
        self.rowStride = rowStride
        self.bias = bias
        self.multipliers = multipliers
        self.shifts = shifts
        self.outputZeroPoint = outputZeroPoint
        self.activation = activation
    }

    /// Runs on `batches × depth` inputs, writes `batches × units` outputs.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        for b in 0..<batches {
            // Valid: the planner gave the input batches × depth and the output batches × units bytes.
            FullyConnected.rows(
                input: input + b &* depth, depth: depth, units: units, weights: weights, rowStride: rowStride,
                bias: bias, multipliers: multipliers, shifts: shifts, outputZeroPoint: outputZeroPoint,
                activation: activation, output: output + b &* units)
        }
    }

    /// One input vector against every weight row, four rows at a time; shared with CONV_2D.
    @inline(__always)
    static func rows(
        input: UnsafePointer<Int8>, depth: Int, units: Int, weights: UnsafePointer<Int8>, rowStride: Int,
        bias: UnsafePointer<Int32>, multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
        outputZeroPoint: Int32, activation: ActivationRange, output: UnsafeMutablePointer<Int8>
    ) {
        let lo = activation.min, hi = activation.max
        var o = 0
        while o &+ 4 <= units {
            let (s0, s1, s2, s3) = Int8Dot.dot4(input, weights + o &* rowStride, stride: rowStride, depth)
            output[o] = requantize(bias[o] &+ s0, multipliers[o], shifts[o], outputZeroPoint, lo, hi)
            output[o &+ 1] = requantize(bias[o &+ 1] &+ s1, multipliers[o &+ 1], shifts[o &+ 1], outputZeroPoint, lo, hi)
            output[o &+ 2] = requantize(bias[o &+ 2] &+ s2, multipliers[o &+ 2], shifts[o &+ 2], outputZeroPoint, lo, hi)
            output[o &+ 3] = requantize(bias[o &+ 3] &+ s3, multipliers[o &+ 3], shifts[o &+ 3], outputZeroPoint, lo, hi)
            o &+= 4
        }
        while o < units {
            let acc = bias[o] &+ Int8Dot.dot(input, weights + o &* rowStride, depth)
            output[o] = requantize(acc, multipliers[o], shifts[o], outputZeroPoint, lo, hi)
            o &+= 1
        }
    }
}
