/// The logical values of the lines of one multi-line request, in request order: a fixed-size bit set, so
/// reading or writing several lines allocates nothing.
///
/// At most ``maxCount`` lines (libgpiod 1.x's `GPIOD_LINE_BULK_MAX_LINES`).
public struct GPIOLineValues: Equatable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The most lines one request can hold.
    public static let maxCount = 64

    /// Number of lines.
    public let count: Int
    /// Bit `i` is line `i`'s logical value.
    public private(set) var bits: UInt64

    /// `count` lines, all logical 0.
    public init(count: Int) {
        precondition(count >= 0 && count <= Self.maxCount, "a request holds 0…\(Self.maxCount) lines, not \(count)")
        self.count = count
        bits = 0
    }

    /// `count` lines whose values are the low bits of `bits`.
    public init(count: Int, bits: UInt64) {
        self.init(count: count)
        self.bits = count == 64 ? bits : bits & ((1 << UInt64(count)) - 1)
    }

    /// One value per line, in request order.
    public init(_ values: [Bool]) {
        self.init(count: values.count)
        for (i, v) in values.enumerated() where v { bits |= 1 << UInt64(i) }
    }

    public init(arrayLiteral values: Bool...) { self.init(values) }

    /// Line `index`'s logical value (an index into the request, not a chip offset).
    public subscript(index: Int) -> Bool {
        get {
            precondition(index >= 0 && index < count, "value \(index) of \(count)")
            return bits & (1 << UInt64(index)) != 0
        }
        set {
            precondition(index >= 0 && index < count, "value \(index) of \(count)")
            if newValue { bits |= 1 << UInt64(index) } else { bits &= ~(1 << UInt64(index)) }
        }
    }

    /// The values as an array, for display and tests.
    public var array: [Bool] { (0..<count).map { self[$0] } }

    /// `1010`: line 0 first.
    public var description: String { String((0..<count).map { self[$0] ? "1" : "0" }) }
}
