/// A board that could not be found or read, or a pin it does not have.
public struct BoardError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
