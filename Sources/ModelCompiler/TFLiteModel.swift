/// The subset of a .tflite file (schema.fbs) that the compiler needs: one subgraph's tensors, operators and the
/// constant buffers.
struct TFLiteModel {
    /// TFLite `TensorType` values.
    enum TensorType: UInt8 {
        case float32 = 0, float16, int32, uint8, int64, string, bool, int16, complex64, int8, float64, complex128,
            uint64, resource, variant, uint32, uint16, int4

        var name: String {
            switch self {
            case .float32: "FLOAT32"
            case .float16: "FLOAT16"
            case .int32: "INT32"
            case .uint8: "UINT8"
            case .int64: "INT64"
            case .string: "STRING"
            case .bool: "BOOL"
            case .int16: "INT16"
            case .complex64: "COMPLEX64"
            case .int8: "INT8"
            case .float64: "FLOAT64"
            case .complex128: "COMPLEX128"
            case .uint64: "UINT64"
            case .resource: "RESOURCE"
            case .variant: "VARIANT"
            case .uint32: "UINT32"
            case .uint16: "UINT16"
            case .int4: "INT4"
            }
        }
    }

    struct Tensor {
        var index: Int
        var name: String
        var shape: [Int]
        var type: TensorType
        /// Constant contents, nil for activations.
        var data: [UInt8]?
        var scales: [Float]
        var zeroPoints: [Int64]
        var quantizedDimension: Int

        var count: Int { shape.reduce(1, *) }
        var isConstant: Bool { data != nil }
        var label: String { "tensor \(index) '\(name)'" }
        var shapeText: String { "[" + shape.map(String.init).joined(separator: ",") + "]" }

        /// Little-endian int8 contents.
        var int8s: [Int8] { (data ?? []).map { Int8(bitPattern: $0) } }

        /// Little-endian int32 contents.
        var int32s: [Int32] {
            let d = data ?? []
            var result: [Int32] = []
            var i = 0
            while i + 4 <= d.count {
                let word = UInt32(d[i]) | UInt32(d[i + 1]) << 8 | UInt32(d[i + 2]) << 16 | UInt32(d[i + 3]) << 24
                result.append(Int32(bitPattern: word))
                i += 4
            }
            return result
        }
    }

    struct Operator {
        var index: Int
        var code: Int32
        var inputs: [Int]
        var outputs: [Int]
        var options: FlatBuffer.Table?

        var name: String { BuiltinOperator.name(code) }
        var label: String { "operator \(index) (\(name))" }
    }

    var version: UInt32
    var description: String
    var tensors: [Tensor]
    var operators: [Operator]
    var inputs: [Int]
    var outputs: [Int]

    /// Bytes as text when they are printable ASCII ("ABCD"), else in hex (00 1f 8b 08), for messages.
    static func describe(_ bytes: ArraySlice<UInt8>) -> String {
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return "\"" + String(decoding: bytes, as: UTF8.self) + "\"" }
        let hex: [String] = bytes.map { b in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
        }
        return "the bytes " + hex.joined(separator: " ")
    }

    /// Decodes `bytes` (a whole .tflite file).
    init(bytes: [UInt8]) throws(ModelError) {
        guard bytes.count >= 8 else { throw ModelError("not a .tflite file: only \(bytes.count) bytes") }
        guard Array(bytes[4..<8]) == Array("TFL3".utf8) else {
            throw ModelError("not a .tflite file: bytes 4-7 should read TFL3 (the TensorFlow Lite file identifier) but are \(Self.describe(bytes[4..<8]))")
        }
        let buffer = FlatBuffer(bytes)
        let model = try buffer.root()
        version = try model.u32(0)
        description = try model.string(3) ?? ""
        let codes = try model.tables(1).map { (t: FlatBuffer.Table) throws(ModelError) -> Int32 in
            max(Int32(Int8(bitPattern: try t.u8(0))), try t.i32(3))
        }
        var buffers: [[UInt8]?] = []
        for b in try model.tables(4) {
            if let data = try b.bytes(0), !data.isEmpty {
                buffers.append(Array(data))
            } else if try b.u64(1) > 1 {
                let offset = try buffer.int(try b.u64(1), "a weight buffer's offset")
                let size = try buffer.int(try b.u64(2), "a weight buffer's size")
                try buffer.check(offset, size)
                buffers.append(Array(bytes[offset..<(offset + size)]))
            } else {
                buffers.append(nil)
            }
        }
        let subgraphs = try model.tables(2)
        guard subgraphs.count == 1 else {
            throw ModelError("the model has \(subgraphs.count) subgraphs; only single-subgraph models are supported")
        }
        let graph = subgraphs[0]
        var tensors: [Tensor] = []
        for (i, t) in try graph.tables(0).enumerated() {
            let typeCode = try t.u8(1)
            let name = try t.string(3) ?? ""
            guard let type = TensorType(rawValue: typeCode) else {
                throw ModelError("tensor \(i) '\(name)': unknown tensor type \(typeCode)")
            }
            let bufferIndex = Int(try t.u32(2))
            let q = try t.table(4)
            tensors.append(Tensor(
                index: i, name: name, shape: (try t.i32s(0) ?? []).map { Int($0) }, type: type,
                data: bufferIndex < buffers.count ? buffers[bufferIndex] : nil,
                scales: try q?.f32s(2) ?? [], zeroPoints: try q?.i64s(3) ?? [],
                quantizedDimension: Int(try q?.i32(6) ?? 0)))
        }
        self.tensors = tensors
        var operators: [Operator] = []
        for (i, op) in try graph.tables(3).enumerated() {
            let codeIndex = Int(try op.u32(0))
            guard codeIndex < codes.count else {
                throw ModelError("operator \(i): opcode index \(codeIndex) out of range (\(codes.count) codes)")
            }
            operators.append(Operator(
                index: i, code: codes[codeIndex], inputs: (try op.i32s(1) ?? []).map { Int($0) },
                outputs: (try op.i32s(2) ?? []).map { Int($0) }, options: try op.table(4)))
        }
        self.operators = operators
        inputs = (try graph.i32s(1) ?? []).map { Int($0) }
        outputs = (try graph.i32s(2) ?? []).map { Int($0) }
        for i in inputs + outputs + operators.flatMap({ $0.inputs + $0.outputs }) where i >= tensors.count {
            throw ModelError("malformed model: tensor index \(i) out of range (\(tensors.count) tensors)")
        }
    }
}
