/// SOFTMAX, int8 in, int8 out (scale 1/256, zero point −128), TFLM's gemmlowp fixed-point path
/// (`reference_ops::Softmax` for quantized types): exp in Q5.26, sum in Q12.19, reciprocal in Q0.31.
public struct Softmax {
    /// Rows (all dimensions but the last).
    public var rows: Int
    /// Elements per row (the last dimension).
    public var depth: Int
    /// From `PreprocessSoftmaxScaling(beta, input_scale, 5)`.
    public var inputMultiplier: Int32
    public var inputLeftShift: Int32
    /// −`CalculateInputRadius(5, inputLeftShift)`: differences below it give −128.
    public var diffMin: Int32
    /// When set: ``expTable()``, the 256 exponentials `expOfDifference(−d)` for d = 0...255, computed by the
    /// compiler with the same arithmetic (an int8 difference from the row's maximum is never below −255).
    public var expTable: UnsafePointer<Int32>?

    /// A softmax with precomputed scaling (see ``Softmax/init(rows:depth:beta:inputScale:)``).
    public init(
        rows: Int, depth: Int, inputMultiplier: Int32, inputLeftShift: Int32, diffMin: Int32,
        expTable: UnsafePointer<Int32>? = nil
    ) {
        self.rows = rows
        self.depth = depth
        self.inputMultiplier = inputMultiplier
        self.inputLeftShift = inputLeftShift
        self.diffMin = diffMin
        self.expTable = expTable
    }

    /// The table for ``expTable``: entry d is the exponential of the difference −d.
    public func makeExpTable() -> [Int32] { (0..<256).map { expOfDifference(Int32(-$0)) } }

    static let scaledDiffIntegerBits: Int32 = 5
    static let accumulationIntegerBits: Int32 = 12

    /// TFLM's `CalculateSoftmaxParams` for int8: the scaling from beta and the input scale.
    public init(rows: Int, depth: Int, beta: Float, inputScale: Float) {
        let real = min(
            Double(beta) * Double(inputScale) * Double(1 << (31 - Softmax.scaledDiffIntegerBits)), Double((1 << 31) - 1))
        let q = QuantizedMultiplier(real)
        let radius = QuantizedMultiplier.inputRadius(integerBits: Int(Softmax.scaledDiffIntegerBits), leftShift: Int(q.shift))
        self.init(rows: rows, depth: depth, inputMultiplier: q.multiplier, inputLeftShift: q.shift, diffMin: -radius)
    }

    @inline(__always)
    func exp(_ diff: Int32) -> Int32 {
        if let expTable { return expTable[Int(0 &- diff)] }  // Valid: −255 ≤ diff ≤ 0.
        return expOfDifference(diff)
    }

    @inline(__always)
    func expOfDifference(_ diff: Int32) -> Int32 {
        // MultiplyByQuantizedMultiplierGreaterThanOne, then exp_on_negative_values in Q5.26.
        let rescaled = FixedPoint.saturatingRoundingDoublingHighMul(diff &* (1 &<< inputLeftShift), inputMultiplier)
        return FixedPoint.expOnNegativeValues(rescaled, integerBits: Softmax.scaledDiffIntegerBits)
    }

    /// Runs on `rows × depth` inputs, writes as many outputs.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        for r in 0..<rows {
            let row = input + r &* depth
            let out = output + r &* depth
            var maxValue = Int8.min
            for c in 0..<depth { maxValue = max(maxValue, row[c]) }
            var sumOfExps: Int32 = 0  // Q12.19
            for c in 0..<depth {
                let diff = Int32(row[c]) &- Int32(maxValue)
                if diff >= diffMin {
                    sumOfExps &+= FixedPoint.roundingDivideByPOT(exp(diff), Softmax.accumulationIntegerBits)
                }
            }
            let (scale, bitsOverUnit) = FixedPoint.reciprocal(sumOfExps, integerBits: Softmax.accumulationIntegerBits)
            for c in 0..<depth {
                let diff = Int32(row[c]) &- Int32(maxValue)
                if diff >= diffMin {
                    let unsaturated = FixedPoint.roundingDivideByPOT(
                        FixedPoint.saturatingRoundingDoublingHighMul(scale, exp(diff)), bitsOverUnit &+ 31 &- 8)
                    let shifted = unsaturated &- 128
                    out[c] = Int8(truncatingIfNeeded: max(-128, min(127, shifted)))
                } else {
                    out[c] = -128
                }
            }
        }
    }
}
