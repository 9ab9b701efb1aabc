/// CONV_2D, int8 with per-output-channel weights (TFLM `reference_integer_ops::ConvPerChannel`).
///
/// Any kernel size, stride, dilation and padding. Each output pixel gathers its receptive field into `scratch`
/// (taps outside the input are filled with the input zero point, so they add nothing once the compiler has folded
/// −input_zp × Σ w into the bias), then runs the fully-connected row kernel over the output channels. 1×1 kernels
/// with stride 1 read the input pixel in place.
public struct Conv2D {
    public var window: Window2D
    /// Filter [out_c][rowStride]: TFLite's [out_c, kh, kw, in_c] rows, zero-padded to `rowStride`.
    public var weights: UnsafePointer<Int8>
    public var rowStride: Int
    /// Bias with the input zero point folded in, one per output channel.
    public var bias: UnsafePointer<Int32>
    public var multipliers: UnsafePointer<Int32>
    public var shifts: UnsafePointer<Int32>
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var activation: ActivationRange
    /// `rowStride` bytes of the arena for the gathered receptive field.
    public var scratch: UnsafeMutablePointer<Int8>

    /// An operator over constant data that lives as long as the program.
    public init(
        window: Window2D, weights: UnsafePointer<Int8>, rowStride: Int, bias: UnsafePointer<Int32>,
        multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>, inputZeroPoint: Int32, outputZeroPoint: Int32,
        activation: ActivationRange, scratch: UnsafeMutablePointer<Int8>
    ) {
        self.window = window
        self.weights = weights
        self.rowStride = rowStride
        self.bias = bias
        self.multipliers = multipliers
        self.shifts = shifts
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.activation = activation
        self.scratch = scratch
    }

    /// True when the receptive field of a pixel is the input pixel itself.
    var isPointwise: Bool {
        window.filterHeight == 1 && window.filterWidth == 1 && window.strideHeight == 1 && window.strideWidth == 1
            && window.padTop == 0 && window.padLeft == 0
    }

    /// Runs on an NHWC input, writes the NHWC output.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
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
                    FullyConnected.rows(
                        input: field, depth: pointwise ? depth : rowStride, units: w.outputDepth, weights: weights,
                        rowStride: rowStride, bias: bias, multipliers: multipliers, shifts: shifts,
                        outputZeroPoint: outputZeroPoint, activation: activation, output: out)
                    out += w.outputDepth
                }
            }
        }
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
                // Valid: scratch holds rowStride ≥ kh × kw × in_c bytes; the source run lies inside row y.
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
