/// RESHAPE: the same bytes under another shape. The planner usually lets the output share the input's storage;
/// when it cannot (the output is the model's output), this copies.
public struct Reshape {
    public var count: Int

    /// A reshape of `count` int8 elements.
    public init(count: Int) { self.count = count }

    /// Copies unless input and output are the same storage.
    public func run(input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>) {
        if UnsafePointer(output) == input { return }
        // Valid: both buffers hold count bytes; the planner never overlaps them partially.
        output.update(from: input, count: count)
    }
}
