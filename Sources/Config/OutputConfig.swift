import Boards
import YAML

/// One GPIO output (`outputs:` entry), resolved to a chip line.
public struct OutputConfig: Sendable, Equatable {
    /// The output's name, unique among inputs and outputs.
    public var name: String
    /// Where the line is.
    public var pin: ResolvedPin
    /// Logical value driven when the line is requested.
    public var initial: Bool
    /// Logical value driven on shutdown and faults (the fail-safe state).
    public var safe: Bool
    /// Logical 1 is the low level.
    public var activeLow: Bool
    /// Where the entry starts in the config.
    public var location: SourceLocation

    /// An output; `safe` defaults to `initial`. Usually made by ``ConfigLoader``.
    public init(name: String, pin: ResolvedPin, initial: Bool = false, safe: Bool? = nil, activeLow: Bool = false,
                location: SourceLocation) {
        self.name = name
        self.pin = pin
        self.initial = initial
        self.safe = safe ?? initial
        self.activeLow = activeLow
        self.location = location
    }
}
