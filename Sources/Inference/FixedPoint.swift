/// The integer arithmetic of TensorFlow Lite Micro's int8 kernels: gemmlowp's fixed-point helpers and TFLM's
/// requantization, reproduced bit for bit (`tensorflow/lite/kernels/internal/common.h`, gemmlowp `fixedpoint.h`).
///
/// `raw` values are Q-format int32s; the number of integer bits is given where it matters. Additions wrap, like the
/// C++ code does on the targets TFLM runs on.
public enum FixedPoint {
    /// gemmlowp's SaturatingRoundingDoublingHighMul: (a × b × 2 + 2^31 rounding) / 2^32 with round-half-away and
    /// truncating division; INT32_MIN × INT32_MIN saturates to INT32_MAX.
    @inlinable @inline(__always)
    public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == b && a == .min { return .max }
        let product = Int64(a) &* Int64(b)
        let nudged = product &+ (product >= 0 ? (1 << 30) : (1 &- (1 << 30)))
        // Division by 2^31 truncating toward zero (not an arithmetic shift).
        let quotient = nudged >= 0 ? nudged >> 31 : -((-nudged) >> 31)
        return Int32(truncatingIfNeeded: quotient)
    }

    /// gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded half away from zero.
    @inlinable @inline(__always)
    public static func roundingDivideByPOT(_ x: Int32, _ exponent: Int32) -> Int32 {
        let mask: Int32 = (1 &<< exponent) &- 1
        let remainder = x & mask
        let threshold = (mask >> 1) &+ (x < 0 ? 1 : 0)
        return (x >> exponent) &+ (remainder > threshold ? 1 : 0)
    }

    /// TFLM's MultiplyByQuantizedMultiplier (double-rounding form): x × multiplier × 2^shift.
    @inlinable @inline(__always)
    public static func multiplyByQuantizedMultiplier(_ x: Int32, _ multiplier: Int32, _ shift: Int32) -> Int32 {
        let left = shift > 0 ? shift : 0
        let right = shift > 0 ? 0 : -shift
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x &* (1 &<< left), multiplier), right)
    }

    /// gemmlowp's SaturatingRoundingMultiplyByPOT: x × 2^exponent, saturating when shifting left, rounding when
    /// shifting right.
    @inlinable @inline(__always)
    public static func saturatingRoundingMultiplyByPOT(_ x: Int32, _ exponent: Int32) -> Int32 {
        if exponent == 0 { return x }
        if exponent < 0 { return roundingDivideByPOT(x, -exponent) }
        let threshold: Int32 = (1 &<< (31 - exponent)) &- 1
        if x > threshold { return .max }
        if x < -threshold { return .min }
        return x &<< exponent
    }

    /// Fixed-point multiplication of two raw values (the integer bits of the result are the sum of the operands').
    @inlinable @inline(__always)
    static func mul(_ a: Int32, _ b: Int32) -> Int32 { saturatingRoundingDoublingHighMul(a, b) }

    /// gemmlowp's exp_on_interval_between_negative_one_quarter_and_0_excl, Q0.31 in and out.
    @usableFromInline
    static func expOnIntervalBetweenNegativeOneQuarterAnd0Excl(_ a: Int32) -> Int32 {
        let constantTerm: Int32 = 1_895_147_668  // exp(-1/8)
        let constantOneThird: Int32 = 715_827_883
        let x = a &+ (1 << 28)  // a + 1/8
        let x2 = mul(x, x)
        let x3 = mul(x2, x)
        let x4 = mul(x2, x2)
        let x4Over4 = saturatingRoundingMultiplyByPOT(x4, -2)
        let poly = saturatingRoundingMultiplyByPOT(mul(x4Over4 &+ x3, constantOneThird) &+ x2, -1)
        return constantTerm &+ mul(constantTerm, x &+ poly)
    }

    /// gemmlowp's exp_on_negative_values for an input with `integerBits` integer bits; the result is Q0.31.
    @usableFromInline
    static func expOnNegativeValues(_ a: Int32, integerBits: Int32) -> Int32 {
        let fractionalBits = 31 - integerBits
        let oneQuarter: Int32 = 1 &<< (fractionalBits - 2)
        let mask = oneQuarter &- 1  // a mod 1/4
        let aModQuarterMinusOneQuarter = (a & mask) &- oneQuarter
        var result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(
            saturatingRoundingMultiplyByPOT(aModQuarterMinusOneQuarter, integerBits))
        let remainder = aModQuarterMinusOneQuarter &- a
        // The barrel shifter: multiply by exp(-2^k) for each bit k of the remainder (k = -2 ... 4).
        @inline(__always) func step(_ exponent: Int32, _ multiplier: Int32) {
            guard integerBits > exponent else { return }
            if remainder & (1 &<< (fractionalBits + exponent)) != 0 { result = mul(result, multiplier) }
        }
        step(-2, 1_672_461_947)
        step(-1, 1_302_514_674)
        step(0, 790_015_084)
        step(1, 290_630_308)
        step(2, 39_332_535)
        step(3, 720_401)
        step(4, 242)
        if integerBits > 5 {
            let clamp: Int32 = -(1 &<< (36 - integerBits))  // -32.0 in the input's format
            if a < clamp { result = 0 }
        }
        if a == 0 { result = .max }
        return result
    }

    /// gemmlowp's one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1), Q0.31 in and out.
    @usableFromInline
    static func oneOverOnePlusXForXIn01(_ a: Int32) -> Int32 {
        // RoundingHalfSum(a, One) with One = INT32_MAX in Q0.31.
        let sum = Int64(a) + Int64(Int32.max)
        let halfDenominator = Int32(truncatingIfNeeded: (sum + (sum >= 0 ? 1 : -1)) / 2)
        let constant48Over17: Int32 = 1_515_870_810  // Q2.29
        let constantNeg32Over17: Int32 = -1_010_580_540  // Q2.29
        var x = constant48Over17 &+ mul(halfDenominator, constantNeg32Over17)
        let oneQ2: Int32 = 1 << 29
        for _ in 0..<3 {
            let halfDenominatorTimesX = mul(halfDenominator, x)
            let oneMinus = oneQ2 &- halfDenominatorTimesX
            x = x &+ saturatingRoundingMultiplyByPOT(mul(x, oneMinus), 2)
        }
        // ExactMulByPot<-1> keeps the raw value and drops one integer bit (Q2 → Q1); Rescale<0> shifts by 1.
        return saturatingRoundingMultiplyByPOT(x, 1)
    }

    /// gemmlowp's logistic for an input with `integerBits` integer bits; the result is Q0.31.
    @usableFromInline
    static func logistic(_ a: Int32, integerBits: Int32) -> Int32 {
        if a == 0 { return 1 << 30 }
        let absInput = a > 0 ? a : 0 &- a
        let resultIfPositive = oneOverOnePlusXForXIn01(expOnNegativeValues(0 &- absInput, integerBits: integerBits))
        return a > 0 ? resultIfPositive : Int32.max &- resultIfPositive
    }

    /// TFLM's GetReciprocal: a Q0.31 scale and the bit count over one for 1 / x, x with `integerBits` integer bits.
    @usableFromInline
    static func reciprocal(_ x: Int32, integerBits: Int32) -> (scale: Int32, bitsOverUnit: Int32) {
        let headroomPlusOne = Int32(UInt32(bitPattern: x).leadingZeroBitCount)
        let bitsOverUnit = integerBits - headroomPlusOne
        let shiftedSumMinusOne = Int32(bitPattern: (UInt32(bitPattern: x) &<< UInt32(headroomPlusOne)) &- (1 << 31))
        return (oneOverOnePlusXForXIn01(shiftedSumMinusOne), bitsOverUnit)
    }
}
