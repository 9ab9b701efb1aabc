/// The int8 output range after a fused activation, as TFLM's `CalculateActivationRangeQuantized` computes it.
public struct ActivationRange: Sendable, Equatable {
    /// The smallest output value.
    public var min: Int32
    /// The largest output value.
    public var max: Int32

    /// A range from its bounds.
    public init(min: Int32, max: Int32) {
        self.min = min
        self.max = max
    }

    /// The fused activations of the TFLite schema that have an int8 range.
    public enum Function: Sendable, Equatable {
        case none, relu, reluN1To1, relu6
    }

    /// The range for `function` on an output with `scale` and `zeroPoint` (float32 arithmetic, like TFLM).
    public init(_ function: Function, scale: Float, zeroPoint: Int32) {
        func quantize(_ x: Float) -> Int32 { zeroPoint + Int32((x / scale).rounded(.toNearestOrAwayFromZero)) }
        switch function {
        case .none: self.init(min: -128, max: 127)
        case .relu: self.init(min: Swift.max(-128, quantize(0)), max: 127)
        case .relu6: self.init(min: Swift.max(-128, quantize(0)), max: Swift.min(127, quantize(6)))
        case .reluN1To1: self.init(min: Swift.max(-128, quantize(-1)), max: Swift.min(127, quantize(1)))
        }
    }
}
