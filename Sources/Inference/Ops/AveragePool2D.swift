import CInt8Kernels

/// AVERAGE_POOL_2D, int8 (TFLM `reference_integer_ops::AveragePool`): the rounded mean of the taps inside the
/// input; input and output share scale and zero point.
public struct AveragePool2D {
    public var window: Window2D
    public var activation: ActivationRange

    /// A pooling operator.
    public init(window: Window2D, activation: ActivationRange) {
        self.window = window
        self.activation = activation
    }

    /// Runs on an NHWC input, writes the NHWC output.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        if KernelSet.usesMicroKernels {
            runMicroKernels(input: input, output: output)
            return
        }
        let w = window
        let depth = w.inputDepth
        var out = output
        for b in 0..<w.batches {
            let image = input + b &* w.inputHeight &* w.inputWidth &* depth
            for oy in 0..<w.outputHeight {
                let originY = oy &* w.strideHeight &- w.padTop
                let y0 = max(0, -originY), y1 = min(w.filterHeight, w.inputHeight &- originY)
                for ox in 0..<w.outputWidth {
                    let originX = ox &* w.strideWidth &- w.padLeft
                    let x0 = max(0, -originX), x1 = min(w.filterWidth, w.inputWidth &- originX)
                    let count = Int32(max(0, y1 &- y0) &* max(0, x1 &- x0))
                    for c in 0..<depth {
                        var sum: Int32 = 0
                        var fy = y0
                        while fy < y1 {
                            var fx = x0
                            while fx < x1 {
                                // Valid: (originY + fy, originX + fx) is inside the image.
                                sum &+= Int32(image[((originY &+ fy) &* w.inputWidth &+ originX &+ fx) &* depth &+ c])
                                fx &+= 1
                            }
                            fy &+= 1
                        }
                        var average: Int32 = 0
                        if count > 0 {
                            average = sum > 0 ? (sum &+ count / 2) / count : (sum &- count / 2) / count
                        }
                        average = max(activation.min, min(activation.max, average))
                        out[c] = Int8(truncatingIfNeeded: average)
                    }
                    out += depth
                }
            }
        }
    }

    func runMicroKernels(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        let w = window
        var pool = fa_pool_t(
            batches: Int32(w.batches), input_height: Int32(w.inputHeight), input_width: Int32(w.inputWidth),
            depth: Int32(w.inputDepth), output_height: Int32(w.outputHeight), output_width: Int32(w.outputWidth),
            filter_height: Int32(w.filterHeight), filter_width: Int32(w.filterWidth), stride_height: Int32(w.strideHeight),
            stride_width: Int32(w.strideWidth), pad_top: Int32(w.padTop), pad_left: Int32(w.padLeft),
            activation_min: activation.min, activation_max: activation.max)
        fa_average_pool(&pool, input, output)
    }
}
