/// QUANTIZE: real → int8 (`AffineQuantize`), and int8 → int8 with another scale or zero point (`Requantize`).
public struct Quantize {
    public var count: Int
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    /// input_scale / output_scale.
    public var multiplier: QuantizedMultiplier

    /// An int8 → int8 requantization.
    public init(count: Int, inputZeroPoint: Int32, outputZeroPoint: Int32, multiplier: QuantizedMultiplier) {
        self.count = count
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.multiplier = multiplier
    }

    /// Requantizes `count` int8 values.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        for i in 0..<count {
            let value = FixedPoint.multiplyByQuantizedMultiplier(
                Int32(input[i]) &- inputZeroPoint, multiplier.multiplier, multiplier.shift) &+ outputZeroPoint
            output[i] = Int8(truncatingIfNeeded: max(-128, min(127, value)))
        }
    }

    /// One real value to int8: clamp(round-half-away(x / scale) + zero point), float32 arithmetic like TFLM.
    public static func quantize(_ x: Float, scale: Float, zeroPoint: Int32) -> Int8 {
        let scaled = (x / scale).rounded(.toNearestOrAwayFromZero)
        guard scaled.isFinite else { return scaled > 0 ? 127 : -128 }
        let value = Int64(max(-1e12, min(1e12, scaled))) + Int64(zeroPoint)
        return Int8(max(-128, min(127, value)))
    }

    /// Quantizes `count` reals into int8.
    public static func run(_ input: UnsafePointer<Float>, count: Int, scale: Float, zeroPoint: Int32,
                           output: UnsafeMutablePointer<Int8>) {
        for i in 0..<count { output[i] = quantize(input[i], scale: scale, zeroPoint: zeroPoint) }
    }
}
