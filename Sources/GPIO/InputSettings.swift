/// The electrical bias of an input line.
public enum Bias: String, Sendable, CaseIterable {
    /// Leave the line's bias as it is.
    case asIs = "as-is"
    /// No pull resistor.
    case disable
    /// Pull the line up: an unconnected input reads high.
    case pullUp = "pull-up"
    /// Pull the line down: an unconnected input reads low.
    case pullDown = "pull-down"
}

/// Which edges of an input line produce events.
public enum EdgeDetection: String, Sendable, CaseIterable {
    case none, rising, falling, both

    /// Whether an edge of this kind is reported.
    public func reports(_ edge: Edge) -> Bool {
        switch self {
        case .none: false
        case .both: true
        case .rising: edge == .rising
        case .falling: edge == .falling
        }
    }
}

/// How an input line is requested.
public struct InputSettings: Sendable, Equatable {
    public var bias: Bias
    /// Logical value is the inverse of the level.
    public var activeLow: Bool
    public var edges: EdgeDetection
    /// Debounce done by the kernel (zero: none). Only for chips whose ``GPIOChip/kernelDebounce`` is true
    /// (libgpiod 2.x); others refuse a non-zero period, and callers debounce in software (``Debouncer``).
    public var debounce: Duration

    public init(bias: Bias = .asIs, activeLow: Bool = false, edges: EdgeDetection = .both, debounce: Duration = .zero) {
        self.bias = bias
        self.activeLow = activeLow
        self.edges = edges
        self.debounce = debounce
    }
}
