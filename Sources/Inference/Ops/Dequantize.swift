/// DEQUANTIZE: int8 → real, scale × (q − zero point) (`reference_ops::Dequantize`).
public enum Dequantize {
    /// One int8 value as a real number.
    public static func dequantize(_ q: Int8, scale: Float, zeroPoint: Int32) -> Float {
        Float(Double(scale) * Double(Int32(q) - zeroPoint))
    }

    /// Dequantizes `count` int8 values.
    public static func run(_ input: UnsafePointer<Int8>, count: Int, scale: Float, zeroPoint: Int32,
                           output: UnsafeMutablePointer<Float>) {
        for i in 0..<count { output[i] = dequantize(input[i], scale: scale, zeroPoint: zeroPoint) }
    }
}
