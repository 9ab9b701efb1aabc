/// A real multiplier as TFLM stores it: `multiplier` × 2^(`shift` − 31), multiplier in [2^30, 2^31).
///
/// Computed once, by the model compiler, with TFLM's `QuantizeMultiplier`; kernels apply it with
/// ``FixedPoint/multiplyByQuantizedMultiplier(_:_:_:)``.
public struct QuantizedMultiplier: Sendable, Equatable {
    /// The Q0.31 mantissa.
    public var multiplier: Int32
    /// The power of two (positive: left shift).
    public var shift: Int32

    /// A multiplier from its two parts.
    public init(multiplier: Int32, shift: Int32) {
        self.multiplier = multiplier
        self.shift = shift
    }

    /// TFLM's `QuantizeMultiplier`: frexp, round half away from zero, fix up 2^31, flush tiny values to zero.
    public init(_ real: Double) {
        guard real != 0, real.isFinite else {
            self.init(multiplier: 0, shift: 0)
            return
        }
        var (q, shift) = QuantizedMultiplier.frexp(real)
        var fixed = Int64((q * Double(1 << 31)).rounded(.toNearestOrAwayFromZero))
        if fixed == 1 << 31 {
            fixed /= 2
            shift += 1
        }
        if shift < -31 {
            shift = 0
            fixed = 0
        }
        self.init(multiplier: Int32(fixed), shift: Int32(shift))
    }

    /// C's frexp: x = q × 2^e with |q| in [0.5, 1).
    public static func frexp(_ x: Double) -> (Double, Int) {
        guard x != 0, x.isFinite else { return (x, 0) }
        let e = Int(x.exponent) + 1
        return (x.significand / 2 * (x < 0 ? -1 : 1), e)
    }

    /// TFLM's `CalculateInputRadius`: the largest input difference that the fixed-point softmax/logistic can take.
    public static func inputRadius(integerBits: Int, leftShift: Int, totalSignedBits: Int = 31) -> Int32 {
        let maxInputRescaled = 1.0 * Double((1 << integerBits) - 1) * Double(Int64(1) << (totalSignedBits - integerBits))
            / Double(Int64(1) << leftShift)
        return Int32(maxInputRescaled.rounded(.down))
    }
}
