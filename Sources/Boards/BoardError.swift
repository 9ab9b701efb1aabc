/// A board that could not be found or read, or a pin it does not have. The description is the whole
/// message, with the fix where there is one (`unknown board "rpi6" (did you mean rpi5?); known boards: …`).
public struct BoardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message, ready to print.
    public var description: String

    /// An error with `description` as its message.
    public init(_ description: String) { self.description = description }
}
