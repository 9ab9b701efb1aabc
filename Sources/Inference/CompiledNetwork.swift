import Synchronization

/// A network compiled into the binary by `fieldagent-modelc`: the product's `CompiledModel`, and the reference
/// models the tests compile in.
///
/// `predict` runs every operator in a fixed order over a static arena: no allocation, no interpretation, no file
/// access. It is not reentrant: call it from one thread (the agent's loop), or through ``predictExclusively(input:output:)``.
public protocol CompiledNetwork {
    /// The model's description: source, operators, quantization, names.
    static var info: ModelInfo { get }
    /// One inference: `info.input.count` int8 values in, `info.output.count` int8 values out (buffers must not
    /// overlap).
    static func predict(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>)
}

/// One lock for every compiled network's static arena: the agent calls a model from its one loop thread, but
/// tests and tools may run models from several threads at once.
private let arenaLock = Mutex<Void>(())

extension CompiledNetwork {
    /// ``predict(input:output:)`` under a process-wide lock, so callers on different threads cannot share the
    /// static arena at the same moment. Allocation-free; uncontended it adds one lock and unlock.
    public static func predictExclusively(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        arenaLock.withLock { _ in predict(input: input, output: output) }
    }

    /// Runs on raw feature values (normalized and quantized by ``ModelInfo/quantizeFeatures(_:into:)``) and returns
    /// the dequantized output. Allocates: for the command line and tests, not for the loop.
    public static func predict(features: [Float]) -> [Float] {
        precondition(features.count == info.input.count, "expected \(info.input.count) input values, got \(features.count)")
        var input = [Int8](repeating: 0, count: features.count)
        features.withUnsafeBufferPointer { f in
            input.withUnsafeMutableBufferPointer { i in
                // Valid: both buffers hold info.input.count elements.
                info.quantizeFeatures(f.baseAddress!, into: i.baseAddress!)
            }
        }
        return predict(int8: input).map { info.output.dequantize($0) }
    }

    /// Runs on an int8 input and returns the int8 output. Allocates the result.
    public static func predict(int8 input: [Int8]) -> [Int8] {
        precondition(input.count == info.input.count, "expected \(info.input.count) input values, got \(input.count)")
        var output = [Int8](repeating: 0, count: info.output.count)
        input.withUnsafeBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                // Valid: both buffers have the model's input and output sizes for the duration of the call.
                predictExclusively(input: i.baseAddress!, output: o.baseAddress!)
            }
        }
        return output
    }

    /// The index of the largest output (the top class of a classifier).
    public static func topClass(_ output: UnsafePointer<Int8>) -> Int {
        var best = 0
        for i in 1..<max(1, info.output.count) where output[i] > output[best] { best = i }
        return best
    }
}
