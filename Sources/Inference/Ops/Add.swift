import CInt8Kernels

/// ADD, int8 (TFLM `reference_integer_ops::Add` / `BroadcastAdd4DSlow`): both inputs rescaled to a common scale
/// with 20 bits of headroom, summed, rescaled to the output. Broadcasting over up to four dimensions.
public struct Add {
    /// The output shape, padded on the left with ones to four dimensions.
    public var shape: SIMD4<Int32>
    /// Element strides of each input over the output shape (0 where it broadcasts).
    public var strides1: SIMD4<Int32>
    public var strides2: SIMD4<Int32>
    public var input1Offset: Int32, input2Offset: Int32
    public var input1: QuantizedMultiplier, input2: QuantizedMultiplier, output: QuantizedMultiplier
    public var leftShift: Int32
    public var outputZeroPoint: Int32
    public var activation: ActivationRange

    /// An addition with precomputed multipliers (see ``Add/multipliers(scale1:scale2:outputScale:)``).
    public init(
        shape: SIMD4<Int32>, strides1: SIMD4<Int32>, strides2: SIMD4<Int32>, input1Offset: Int32, input2Offset: Int32,
        input1: QuantizedMultiplier, input2: QuantizedMultiplier, output: QuantizedMultiplier, leftShift: Int32,
        outputZeroPoint: Int32, activation: ActivationRange
    ) {
        self.shape = shape
        self.strides1 = strides1
        self.strides2 = strides2
        self.input1Offset = input1Offset
        self.input2Offset = input2Offset
        self.input1 = input1
        self.input2 = input2
        self.output = output
        self.leftShift = leftShift
        self.outputZeroPoint = outputZeroPoint
        self.activation = activation
    }

    /// TFLM's int8 ADD preparation: the three multipliers for a 20-bit left shift.
    public static func multipliers(scale1: Float, scale2: Float, outputScale: Float)
        -> (input1: QuantizedMultiplier, input2: QuantizedMultiplier, output: QuantizedMultiplier, leftShift: Int32)
    {
        let leftShift: Int32 = 20
        let twiceMax = 2 * Double(max(scale1, scale2))
        return (
            QuantizedMultiplier(Double(scale1) / twiceMax), QuantizedMultiplier(Double(scale2) / twiceMax),
            QuantizedMultiplier(twiceMax / (Double(1 << leftShift) * Double(outputScale))), leftShift
        )
    }

    /// False when both inputs have the output's shape (every stride is the dense one, or the dimension is 1).
    var broadcasts: Bool {
        var dense: Int32 = 1
        for d in (0..<4).reversed() {
            if shape[d] != 1 && (strides1[d] != dense || strides2[d] != dense) { return true }
            dense &*= shape[d]
        }
        return false
    }

    @inline(__always)
    func add(_ a: Int8, _ b: Int8) -> Int8 {
        let shiftedA = (input1Offset &+ Int32(a)) &* (1 &<< leftShift)
        let shiftedB = (input2Offset &+ Int32(b)) &* (1 &<< leftShift)
        let scaledA = FixedPoint.multiplyByQuantizedMultiplier(shiftedA, input1.multiplier, input1.shift)
        let scaledB = FixedPoint.multiplyByQuantizedMultiplier(shiftedB, input2.multiplier, input2.shift)
        let raw = FixedPoint.multiplyByQuantizedMultiplier(scaledA &+ scaledB, output.multiplier, output.shift)
            &+ outputZeroPoint
        return Int8(truncatingIfNeeded: max(activation.min, min(activation.max, raw)))
    }

    /// Runs on the two inputs, writes the output (shape `shape`).
    public func run(input1 a: UnsafePointer<Int8>, input2 b: UnsafePointer<Int8>, output out: UnsafeMutablePointer<Int8>) {
        if KernelSet.usesMicroKernels && !broadcasts {
            var p = fa_add_t(
                input1_offset: input1Offset, input2_offset: input2Offset, left_shift: leftShift,
                input1_multiplier: input1.multiplier, input1_shift: input1.shift, input2_multiplier: input2.multiplier,
                input2_shift: input2.shift, output_multiplier: output.multiplier, output_shift: output.shift,
                output_zero_point: outputZeroPoint, activation_min: activation.min, activation_max: activation.max)
            let count = Int32(shape[0]) &* shape[1] &* shape[2] &* shape[3]
            fa_add(count, &p, a, b, out)
            return
        }
        var o = 0
        for i0 in 0..<Int(shape[0]) {
            for i1 in 0..<Int(shape[1]) {
                for i2 in 0..<Int(shape[2]) {
                    let base1 = i0 &* Int(strides1[0]) &+ i1 &* Int(strides1[1]) &+ i2 &* Int(strides1[2])
                    let base2 = i0 &* Int(strides2[0]) &+ i1 &* Int(strides2[1]) &+ i2 &* Int(strides2[2])
                    let s1 = Int(strides1[3]), s2 = Int(strides2[3])
                    for i3 in 0..<Int(shape[3]) {
                        // Valid: the strides come from the input shapes, so every index is inside its input.
                        out[o] = add(a[base1 &+ i3 &* s1], b[base2 &+ i3 &* s2])
                        o &+= 1
                    }
                }
            }
        }
    }
}
