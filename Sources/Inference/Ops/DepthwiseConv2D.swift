import CInt8Kernels

/// DEPTHWISE_CONV_2D, int8 with per-output-channel weights (TFLM `reference_integer_ops::DepthwiseConvPerChannel`).
///
/// Output channel `c × multiplier + m` reads input channel `c`. Any kernel size, stride, dilation, padding and depth
/// multiplier; within `FA_DEPTHWISE_MAX_TAPS` taps (and `FA_DEPTHWISE_MAX_EXPANDED` taps × channels with a
/// multiplier) the active ``KernelSet`` runs 16 or 32 channels at a time.
public struct DepthwiseConv2D {
    public var window: Window2D
    public var depthMultiplier: Int
    /// Filter [kh × kw][out_c] (TFLite's [1, kh, kw, out_c]).
    public var weights: UnsafePointer<Int8>
    /// Bias, one per output channel (not folded: padding taps are skipped, as in TFLM).
    public var bias: UnsafePointer<Int32>
    public var multipliers: UnsafePointer<Int32>
    public var shifts: UnsafePointer<Int32>
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var activation: ActivationRange

    /// An operator over constant data that lives as long as the program.
    public init(
        window: Window2D, depthMultiplier: Int, weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>,
        multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>, inputZeroPoint: Int32, outputZeroPoint: Int32,
        activation: ActivationRange
    ) {
        self.window = window
        self.depthMultiplier = depthMultiplier
        self.weights = weights
        self.bias = bias
        self.multipliers = multipliers
        self.shifts = shifts
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.activation = activation
    }

    /// Runs on an NHWC input, writes the NHWC output.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        let taps = window.filterHeight &* window.filterWidth
        if KernelSet.usesMicroKernels && taps <= Int(FA_DEPTHWISE_MAX_TAPS)
            && (depthMultiplier == 1 || taps &* window.outputDepth <= Int(FA_DEPTHWISE_MAX_EXPANDED))
        {
            runMicroKernels(input: input, output: output)
            return
        }
        let w = window
        let inC = w.inputDepth, outC = w.outputDepth
        let offset = -inputZeroPoint
        let lo = activation.min, hi = activation.max
        var out = output
        for b in 0..<w.batches {
            let image = input + b &* w.inputHeight &* w.inputWidth &* inC
            for oy in 0..<w.outputHeight {
                let originY = oy &* w.strideHeight &- w.padTop
                for ox in 0..<w.outputWidth {
                    let originX = ox &* w.strideWidth &- w.padLeft
                    var c = 0
                    if depthMultiplier == 1 {
                        while c &+ 8 <= outC {
                            var acc = UnsafeRawPointer(bias + c).loadUnaligned(as: SIMD8<Int32>.self)
                            for ky in 0..<w.filterHeight {
                                let y = originY &+ ky &* w.dilationHeight
                                if y < 0 || y >= w.inputHeight { continue }
                                for kx in 0..<w.filterWidth {
                                    let x = originX &+ kx &* w.dilationWidth
                                    if x < 0 || x >= w.inputWidth { continue }
                                    // Valid: (y, x) is inside the image and c + 8 <= channels.
                                    let pixel = image + ((y &* w.inputWidth &+ x) &* inC &+ c)
                                    let tap = weights + ((ky &* w.filterWidth &+ kx) &* outC &+ c)
                                    let v = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(pixel).loadUnaligned(as: SIMD8<Int8>.self))
                                    let f = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(tap).loadUnaligned(as: SIMD8<Int8>.self))
                                    acc &+= (v &+ offset) &* f
                                }
                            }
                            for k in 0..<8 {
                                out[c &+ k] = requantize(acc[k], multipliers[c &+ k], shifts[c &+ k], outputZeroPoint, lo, hi)
                            }
                            c &+= 8
                        }
                    }
                    while c < outC {
                        let inChannel = c / depthMultiplier
                        var acc = bias[c]
                        for ky in 0..<w.filterHeight {
                            let y = originY &+ ky &* w.dilationHeight
                            if y < 0 || y >= w.inputHeight { continue }
                            for kx in 0..<w.filterWidth {
                                let x = originX &+ kx &* w.dilationWidth
                                if x < 0 || x >= w.inputWidth { continue }
                                let v = Int32(image[(y &* w.inputWidth &+ x) &* inC &+ inChannel])
                                acc &+= (v &+ offset) &* Int32(weights[(ky &* w.filterWidth &+ kx) &* outC &+ c])
                            }
                        }
                        out[c] = requantize(acc, multipliers[c], shifts[c], outputZeroPoint, lo, hi)
                        c &+= 1
                    }
                    out += outC
                }
            }
        }
    }

    func runMicroKernels(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        let w = window
        var conv = fa_depthwise_t()
        conv.batches = Int32(w.batches)
        conv.input_height = Int32(w.inputHeight)
        conv.input_width = Int32(w.inputWidth)
        conv.depth = Int32(w.outputDepth)
        conv.depth_multiplier = Int32(depthMultiplier)
        conv.output_height = Int32(w.outputHeight)
        conv.output_width = Int32(w.outputWidth)
        conv.filter_height = Int32(w.filterHeight)
        conv.filter_width = Int32(w.filterWidth)
        conv.stride_height = Int32(w.strideHeight)
        conv.stride_width = Int32(w.strideWidth)
        conv.dilation_height = Int32(w.dilationHeight)
        conv.dilation_width = Int32(w.dilationWidth)
        conv.pad_top = Int32(w.padTop)
        conv.pad_left = Int32(w.padLeft)
        conv.input_zero_point = inputZeroPoint
        conv.weights = weights
        conv.requant = fa_requant_t(
            bias: bias, multipliers: multipliers, shifts: shifts, weight_sums: nil,
            output_zero_point: outputZeroPoint, activation_min: activation.min, activation_max: activation.max)
        fa_depthwise_conv2d(&conv, input, output)
    }
}
