/// The geometry of a 2-D sliding window over an NHWC tensor: convolutions, depthwise convolutions and pooling.
///
/// Padding is resolved at compile time (TFLM's `ComputePaddingHeightWidth`): taps at `out × stride − pad +
/// tap × dilation` outside the input contribute nothing.
public struct Window2D: Sendable, Equatable {
    public var batches: Int
    public var inputHeight: Int, inputWidth: Int, inputDepth: Int
    public var outputHeight: Int, outputWidth: Int, outputDepth: Int
    public var filterHeight: Int, filterWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var dilationHeight: Int, dilationWidth: Int
    public var padTop: Int, padLeft: Int

    /// A window from every dimension (the compiler writes these out in full).
    public init(
        batches: Int, inputHeight: Int, inputWidth: Int, inputDepth: Int,
        outputHeight: Int, outputWidth: Int, outputDepth: Int,
        filterHeight: Int, filterWidth: Int, strideHeight: Int, strideWidth: Int,
        dilationHeight: Int, dilationWidth: Int, padTop: Int, padLeft: Int
    ) {
        self.batches = batches
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.inputDepth = inputDepth
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        self.outputDepth = outputDepth
        self.filterHeight = filterHeight
        self.filterWidth = filterWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
        self.padTop = padTop
        self.padLeft = padLeft
    }

    /// The TFLite padding schemes.
    public enum Padding: Sendable, Equatable {
        case same, valid
    }

    /// TFLM's `ComputeOutSize`: the output extent for one dimension.
    public static func outputSize(_ padding: Padding, input: Int, filter: Int, stride: Int, dilation: Int) -> Int {
        let effectiveFilter = (filter - 1) * dilation + 1
        switch padding {
        case .same: return (input + stride - 1) / stride
        case .valid: return (input + stride - effectiveFilter) / stride
        }
    }

    /// TFLM's `ComputePadding`: the padding before the first element (the odd extra one goes at the end).
    public static func padding(stride: Int, dilation: Int, input: Int, filter: Int, output: Int) -> Int {
        let effectiveFilter = (filter - 1) * dilation + 1
        let padding = ((output - 1) * stride + effectiveFilter - input) / 2
        return padding > 0 ? padding : 0
    }
}
