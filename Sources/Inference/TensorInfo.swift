/// A model input or output as the compiler saw it: shape and int8 quantization (real = scale × (q − zeroPoint)).
public struct TensorInfo: Sendable, Equatable {
    /// The tensor's name in the .tflite file.
    public var name: String
    public var shape: [Int]
    public var scale: Float
    public var zeroPoint: Int32

    /// A tensor description.
    public init(name: String, shape: [Int], scale: Float, zeroPoint: Int32) {
        self.name = name
        self.shape = shape
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// The number of int8 elements.
    public var count: Int { shape.reduce(1, *) }

    /// A real value in this tensor's int8 encoding.
    public func quantize(_ x: Float) -> Int8 { Quantize.quantize(x, scale: scale, zeroPoint: zeroPoint) }

    /// An int8 value of this tensor as a real value.
    public func dequantize(_ q: Int8) -> Float { Dequantize.dequantize(q, scale: scale, zeroPoint: zeroPoint) }
}
