/// LOGISTIC, int8 in, int8 out (scale 1/256, zero point −128), TFLM's gemmlowp fixed-point path
/// (`reference_integer_ops::Logistic`): input rescaled to Q4.27, logistic in Q0.31.
public struct Logistic {
    public var count: Int
    public var inputZeroPoint: Int32
    /// Inputs at or beyond ±radius (after the zero point) saturate to −128 / 127.
    public var inputRangeRadius: Int32
    public var inputMultiplier: Int32
    public var inputLeftShift: Int32
    /// When set: ``makeTable()``, the output for each of the 256 inputs (index input + 128), computed by the compiler
    /// with the same arithmetic.
    public var table: UnsafePointer<Int8>?

    /// A logistic with precomputed scaling (see ``Logistic/init(count:inputScale:inputZeroPoint:)``).
    public init(
        count: Int, inputZeroPoint: Int32, inputRangeRadius: Int32, inputMultiplier: Int32, inputLeftShift: Int32,
        table: UnsafePointer<Int8>? = nil
    ) {
        self.count = count
        self.inputZeroPoint = inputZeroPoint
        self.inputRangeRadius = inputRangeRadius
        self.inputMultiplier = inputMultiplier
        self.inputLeftShift = inputLeftShift
        self.table = table
    }

    /// The table for ``table``: the output of every int8 input, −128 first.
    public func makeTable() -> [Int8] { (-128...127).map { value(Int8($0)) } }

    /// One output.
    @inline(__always)
    func value(_ input: Int8) -> Int8 {
        let x = Int32(input) &- inputZeroPoint
        if x <= -inputRangeRadius { return -128 }
        if x >= inputRangeRadius { return 127 }
        let q4 = FixedPoint.multiplyByQuantizedMultiplier(x, inputMultiplier, inputLeftShift)
        let q0 = FixedPoint.logistic(q4, integerBits: Logistic.inputIntegerBits)
        let q23 = FixedPoint.roundingDivideByPOT(q0, 31 - 8) &- 128
        return Int8(truncatingIfNeeded: max(-128, min(127, q23)))
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
        if let table {
            // Valid: input + 128 is in 0...255, the table's size.
            for i in 0..<count { output[i] = table[Int(input[i]) &+ 128] }
            return
        }
        for i in 0..<count { output[i] = value(input[i]) }
    }
}
