import CInt8Kernels

/// CONV_2D, int8 with per-output-channel weights (TFLM `reference_integer_ops::ConvPerChannel`).
///
/// Any kernel size, stride, dilation and padding. The output pixels run in tiles of 4 against blocks of 8 output
/// channels (``PackedWeights``, depth = kh × kw × in_c). A pixel whose receptive field is one run of the input (1×1
/// kernels with stride 1, a row of taps, a column over a width-1 image, all inside) is read in place; the others are
/// gathered into `scratch`, taps outside the input filled with the input zero point, so they add nothing once the
/// compiler has folded −input_zp × Σ w into the bias. The portable kernel takes one pixel at a time.
public struct Conv2D {
    public var window: Window2D
    /// Weights in the ``PackedWeights`` layout.
    public var weights: UnsafePointer<Int8>
    /// Bias with the input zero point folded in; this and the next three arrays hold whole blocks of 8 channels.
    public var bias: UnsafePointer<Int32>
    public var multipliers: UnsafePointer<Int32>
    public var shifts: UnsafePointer<Int32>
    /// Σ weights per channel (for the VNNI kernels).
    public var weightSums: UnsafePointer<Int32>
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var activation: ActivationRange
    /// `scratchRows` × `scratchStride` bytes of the arena for gathered receptive fields (stride ≥ kh × kw × in_c).
    public var scratch: UnsafeMutablePointer<Int8>
    public var scratchRows: Int
    public var scratchStride: Int

    /// An operator over constant data that lives as long as the program.
    public init(
        window: Window2D, weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>, multipliers: UnsafePointer<Int32>,
        shifts: UnsafePointer<Int32>, weightSums: UnsafePointer<Int32>, inputZeroPoint: Int32, outputZeroPoint: Int32,
        activation: ActivationRange, scratch: UnsafeMutablePointer<Int8>, scratchRows: Int, scratchStride: Int
    ) {
        self.window = window
        self.weights = weights
        self.bias = bias
        self.multipliers = multipliers
        self.shifts = shifts
        self.weightSums = weightSums
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.activation = activation
        self.scratch = scratch
        self.scratchRows = scratchRows
        self.scratchStride = scratchStride
    }

    /// True when the receptive field of a pixel is the input pixel itself.
    var isPointwise: Bool {
        window.filterHeight == 1 && window.filterWidth == 1 && window.strideHeight == 1 && window.strideWidth == 1
            && window.padTop == 0 && window.padLeft == 0
    }

    /// Runs on an NHWC input, writes the NHWC output.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        if KernelSet.usesMicroKernels {
            runMicroKernels(input: input, output: output)
            return
        }
        let w = window
        let depth = w.filterHeight &* w.filterWidth &* w.inputDepth
        let pad = Int8(truncatingIfNeeded: inputZeroPoint)
        let pointwise = isPointwise
        var out = output
        for b in 0..<w.batches {
            let image = input + b &* w.inputHeight &* w.inputWidth &* w.inputDepth
            for oy in 0..<w.outputHeight {
                for ox in 0..<w.outputWidth {
                    let field: UnsafePointer<Int8>
                    if pointwise {
                        // Valid: oy < inputHeight and ox < inputWidth when the kernel is 1×1 with stride 1.
                        field = image + (oy &* w.inputWidth &+ ox) &* w.inputDepth
                    } else {
                        gather(image: image, oy: oy, ox: ox, pad: pad)
                        field = UnsafePointer(scratch)
                    }
                    PackedWeights.row(
                        input: field, depth: depth, channels: w.outputDepth, weights: weights, bias: bias,
                        multipliers: multipliers, shifts: shifts, outputZeroPoint: outputZeroPoint,
                        activation: activation, output: out)
                    out += w.outputDepth
                }
            }
        }
    }

    func runMicroKernels(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        let w = window
        var conv = fa_conv_t()
        conv.batches = Int32(w.batches)
        conv.input_height = Int32(w.inputHeight)
        conv.input_width = Int32(w.inputWidth)
        conv.input_depth = Int32(w.inputDepth)
        conv.output_height = Int32(w.outputHeight)
        conv.output_width = Int32(w.outputWidth)
        conv.output_depth = Int32(w.outputDepth)
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
            bias: bias, multipliers: multipliers, shifts: shifts, weight_sums: weightSums,
            output_zero_point: outputZeroPoint, activation_min: activation.min, activation_max: activation.max)
        conv.scratch = scratch
        conv.scratch_rows = Int32(scratchRows)
        conv.scratch_stride = Int32(scratchStride)
        fa_conv2d(&conv, input, output)
    }

    /// Copies the receptive field of output pixel (oy, ox) into `scratch` in [kh, kw, in_c] order.
    @inline(__always)
    func gather(image: UnsafePointer<Int8>, oy: Int, ox: Int, pad: Int8) {
        let w = window
        let c = w.inputDepth
        let originY = oy &* w.strideHeight &- w.padTop
        let originX = ox &* w.strideWidth &- w.padLeft
        var dst = scratch
        for ky in 0..<w.filterHeight {
            let y = originY &+ ky &* w.dilationHeight
            let rowInside = y >= 0 && y < w.inputHeight
            if w.dilationWidth == 1 && rowInside {
                // One contiguous run of valid taps, padding before and after.
                let firstX = max(0, -originX)
                let endX = min(w.filterWidth, w.inputWidth &- originX)
                let before = firstX &* c
                let valid = max(0, endX &- firstX) &* c
                // Valid: scratch holds scratchStride ≥ kh × kw × in_c bytes; the source run lies inside row y.
                if before > 0 { dst.update(repeating: pad, count: before) }
                if valid > 0 {
                    dst.advanced(by: before).update(from: image + (y &* w.inputWidth &+ originX &+ firstX) &* c, count: valid)
                }
                let after = w.filterWidth &* c &- before &- valid
                if after > 0 { dst.advanced(by: before &+ valid).update(repeating: pad, count: after) }
                dst += w.filterWidth &* c
                continue
            }
            for kx in 0..<w.filterWidth {
                let x = originX &+ kx &* w.dilationWidth
                if rowInside && x >= 0 && x < w.inputWidth {
                    dst.update(from: image + (y &* w.inputWidth &+ x) &* c, count: c)
                } else {
                    dst.update(repeating: pad, count: c)
                }
                dst += c
            }
        }
    }
}
