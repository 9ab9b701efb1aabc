import Boards
import YAML

/// One GPIO input (`inputs:` entry), resolved to a chip line.
public struct InputConfig: Sendable, Equatable {
    /// The longest debounce accepted: 1 hour. The kernel debounces in a 32-bit count of microseconds (libgpiod
    /// 2.x refuses more than 4000 s); longer debounces would pass `check` and fail when the line is requested.
    public static let maximumDebounce: Duration = .seconds(3600)

    /// The line's internal bias resistor.
    public enum Bias: String, Sendable, CaseIterable {
        /// Leave whatever bias the line has (the default).
        case asIs = "as-is"
        /// No bias.
        case disable
        /// Internal pull-up.
        case pullUp = "pull-up"
        /// Internal pull-down.
        case pullDown = "pull-down"
    }

    /// Which edges the input reports.
    public enum Edges: String, Sendable, CaseIterable {
        /// Rising and falling (the default).
        case both
        /// Only 0 → 1 (logical).
        case rising
        /// Only 1 → 0 (logical).
        case falling
        /// None: the input is read, never watched.
        case none
    }

    /// The input's name, unique among inputs and outputs.
    public var name: String
    /// Where the line is.
    public var pin: ResolvedPin
    /// Bias resistor.
    public var bias: Bias
    /// Logical 1 is the low level.
    public var activeLow: Bool
    /// An edge counts only after the level has been stable this long; zero for none.
    public var debounce: Duration
    /// The edges reported.
    public var edges: Edges
    /// Where the entry starts in the config.
    public var location: SourceLocation

    /// An input; usually made by ``ConfigLoader``.
    public init(name: String, pin: ResolvedPin, bias: Bias = .asIs, activeLow: Bool = false, debounce: Duration = .zero,
                edges: Edges = .both, location: SourceLocation) {
        self.name = name
        self.pin = pin
        self.bias = bias
        self.activeLow = activeLow
        self.debounce = debounce
        self.edges = edges
        self.location = location
    }
}
