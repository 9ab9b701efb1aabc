/// Accumulator → int8 output: per-channel fixed-point multiply, output zero point, activation clamp.
@inline(__always)
func requantize(_ acc: Int32, _ multiplier: Int32, _ shift: Int32, _ zeroPoint: Int32, _ min: Int32, _ max: Int32) -> Int8 {
    var value = FixedPoint.multiplyByQuantizedMultiplier(acc, multiplier, shift) &+ zeroPoint
    value = value < min ? min : value
    value = value > max ? max : value
    return Int8(truncatingIfNeeded: value)
}
