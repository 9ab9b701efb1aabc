/// LOGISTIC, int8 in, int8 out (scale 1/256, zero point −128), TFLM's gemmlowp fixed-point path
/// (`reference_integer_ops::Logistic`): input rescaled to Q4.27, logistic in Q0.31.
public struct Logistic {
    public var count: Int
    public var inputZeroPoint: Int32
    /// Inputs at or beyond ±radius (after the zero point) saturate to −128 / 127.
    public var inputRangeRadius: Int32
    public var inputMultiplier: Int32
    public var inputLeftShift: Int32

    /// A logistic with precomputed scaling (see ``Logistic/init(count:inputScale:inputZeroPoint:)``).
    public init(count: Int, inputZeroPoint: Int32, inputRangeRadius: Int32, inputMultiplier: Int32, inputLeftShift: Int32) {
        self.count = count
        self.inputZeroPoint = inputZeroPoint
        self.inputRangeRadius = inputRangeRadius
        self.inputMultiplier = inputMultiplier
        self.inputLeftShift = inputLeftShift
    }

    static let inputIntegerBits: Int32 = 4

    /// TFLM's `CalculateArithmeticOpData` for int8 logistic (no fix-up of a multiplier that rounds to 2^31).
    public init(count: Int, inputScale: Float, inputZeroPoint: Int32) {
        let real = Double(inputScale) * Double(1 << (31 - Logistic.inputIntegerBits))
        let (q, shift) = QuantizedMultiplier.frexp(real)
        let multiplier = Int32(truncatingIfNeeded: Int64((q * Double(Int64(1) << 31)).rounded(.toNearestOrAwayFromZero)))
        let radius = QuantizedMultiplier.inputRadius(integerBits: Int(Logistic.inputIntegerBits), leftShift: shift)
        self.init(count: count, inputZeroPoint: inputZeroPoint, inputRangeRadius: radius, inputMultiplier: multiplier,
                  inputLeftShift: Int32(shift))
    }

    /// Runs on `count` inputs, writes as many outputs.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        for i in 0..<count {
            let x = Int32(input[i]) &- inputZeroPoint
            if x <= -inputRangeRadius {
                output[i] = -128
            } else if x >= inputRangeRadius {
                output[i] = 127
            } else {
                let q4 = FixedPoint.multiplyByQuantizedMultiplier(x, inputMultiplier, inputLeftShift)
                let q0 = FixedPoint.logistic(q4, integerBits: Logistic.inputIntegerBits)
                let q23 = FixedPoint.roundingDivideByPOT(q0, 31 - 8) &- 128
                output[i] = Int8(truncatingIfNeeded: max(-128, min(127, q23)))
            }
        }
    }
}
