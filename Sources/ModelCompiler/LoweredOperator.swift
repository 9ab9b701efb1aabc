import Inference

/// A constant array for the C file: weights, folded biases, multipliers, shifts.
struct ConstantArray {
    enum Element { case int8, int32 }
    /// The field of the generated constants struct, e.g. `op3_weights`.
    var field: String
    var element: Element
    var values: [Int64]
    /// What it is, for the comment above it.
    var comment: String

    var bytes: Int { values.count * (element == .int8 ? 1 : 4) }
    var cType: String { element == .int8 ? "int8_t" : "int32_t" }
}

/// Pointer expressions of the generated `predict` for an operator's operands.
struct OperandNames {
    /// An `UnsafePointer<Int8>` expression for a tensor that is read.
    var read: (Int) -> String
    /// An `UnsafeMutablePointer<Int8>` expression for a tensor that is written.
    var write: (Int) -> String
    /// An `UnsafeMutablePointer<Int8>` expression for the operator's scratch space.
    var scratch: String
    /// Rows of `scratchRowBytes` the scratch space holds (CONV_2D's gathered receptive fields).
    var scratchRows: Int = 1
}

/// One operator, checked and with everything precomputed, ready for the memory planner and the code generator.
struct LoweredOperator {
    var index: Int
    var name: String
    /// Tensors read from activation storage (model input or arena).
    var reads: [Int]
    var output: Int
    /// Arena bytes the kernel needs while it runs.
    var scratchBytes: Int = 0
    /// When non-zero, the scratch is rows of this many bytes (`scratchBytes` = rows × this): the compiler gives a
    /// CONV_2D up to 4 rows (a whole tile of gathered pixels) where that does not grow the arena, else 1.
    var scratchRowBytes: Int = 0
    var constants: [ConstantArray] = []
    var info: OperatorInfo
    /// RESHAPE: the output may share the input's storage.
    var isReshape = false
    /// The Swift statement(s) that run it.
    var emit: (OperandNames) -> String
}

/// Swift source text for the values the generator writes out.
enum SwiftLiteral {
    static func window(_ w: Window2D) -> String {
        """
        Window2D(
                        batches: \(w.batches), inputHeight: \(w.inputHeight), inputWidth: \(w.inputWidth), inputDepth: \(w.inputDepth),
                        outputHeight: \(w.outputHeight), outputWidth: \(w.outputWidth), outputDepth: \(w.outputDepth),
                        filterHeight: \(w.filterHeight), filterWidth: \(w.filterWidth), strideHeight: \(w.strideHeight), strideWidth: \(w.strideWidth),
                        dilationHeight: \(w.dilationHeight), dilationWidth: \(w.dilationWidth), padTop: \(w.padTop), padLeft: \(w.padLeft))
        """
    }

    static func activation(_ a: ActivationRange) -> String { "ActivationRange(min: \(a.min), max: \(a.max))" }

    static func multiplier(_ q: QuantizedMultiplier) -> String {
        "QuantizedMultiplier(multiplier: \(q.multiplier), shift: \(q.shift))"
    }

    static func string(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}
