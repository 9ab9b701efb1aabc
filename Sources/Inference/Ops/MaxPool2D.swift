import CInt8Kernels

/// MAX_POOL_2D, int8 (TFLM `reference_integer_ops::MaxPool`): the largest tap inside the input, clamped.
public struct MaxPool2D {
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
        let lo = Int8(truncatingIfNeeded: activation.min), hi = Int8(truncatingIfNeeded: activation.max)
        var out = output
        for b in 0..<w.batches {
            let image = input + b &* w.inputHeight &* w.inputWidth &* depth
            for oy in 0..<w.outputHeight {
                let originY = oy &* w.strideHeight &- w.padTop
                let y0 = max(0, -originY), y1 = min(w.filterHeight, w.inputHeight &- originY)
                for ox in 0..<w.outputWidth {
                    let originX = ox &* w.strideWidth &- w.padLeft
                    let x0 = max(0, -originX), x1 = min(w.filterWidth, w.inputWidth &- originX)
                    var c = 0
                    while c &+ 16 <= depth {
                        var best = SIMD16<Int8>(repeating: .min)
                        for fy in y0..<max(y0, y1) {
                            for fx in x0..<max(x0, x1) {
                                // Valid: the tap is inside the image and c + 16 <= depth.
                                let p = image + (((originY &+ fy) &* w.inputWidth &+ originX &+ fx) &* depth &+ c)
                                best = pointwiseMax(best, UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Int8>.self))
                            }
                        }
                        best = pointwiseMin(pointwiseMax(best, SIMD16(repeating: lo)), SIMD16(repeating: hi))
                        UnsafeMutableRawPointer(out + c).storeBytes(of: best, as: SIMD16<Int8>.self)
                        c &+= 16
                    }
                    while c < depth {
                        var best = Int8.min
                        for fy in y0..<max(y0, y1) {
                            for fx in x0..<max(x0, x1) {
                                best = max(best, image[((originY &+ fy) &* w.inputWidth &+ originX &+ fx) &* depth &+ c])
                            }
                        }
                        out[c] = min(max(best, lo), hi)
                        c &+= 1
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
        fa_max_pool(&pool, input, output)
    }
}
