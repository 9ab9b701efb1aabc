import EventLoop

/// The direction of a change of an input's logical value.
public enum Edge: String, Sendable, Equatable {
    /// Logical 0 → 1.
    case rising
    /// Logical 1 → 0.
    case falling

    /// The logical value after the edge.
    public var value: Bool { self == .rising }
}

/// One edge of one input line, with the time it happened on the loop's clock (for the libgpiod backend,
/// the kernel's `CLOCK_MONOTONIC` timestamp of the interrupt).
public struct EdgeEvent: Sendable, Equatable {
    public var line: Int
    public var edge: Edge
    public var timestamp: Instant

    public init(line: Int, edge: Edge, timestamp: Instant) {
        self.line = line
        self.edge = edge
        self.timestamp = timestamp
    }
}
