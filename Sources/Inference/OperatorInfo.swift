/// One operator of a compiled model, for `fieldagent model`.
public struct OperatorInfo: Sendable, Equatable {
    /// The TFLite builtin name, e.g. `CONV_2D`.
    public var name: String
    /// Shapes and options in one line, e.g. `[1,128,1,3] → [1,64,1,16] 7×1 stride 2 same relu`.
    public var summary: String
    /// Multiply-accumulates per inference (0 for ops without weights).
    public var macs: Int
    /// Constant weight and bias elements.
    public var parameters: Int

    /// An operator description.
    public init(name: String, summary: String, macs: Int, parameters: Int) {
        self.name = name
        self.summary = summary
        self.macs = macs
        self.parameters = parameters
    }
}
