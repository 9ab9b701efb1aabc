/// A YAML document that could not be read, or a value of the wrong kind: the place and the reason.
///
/// Printed as `file:line:column: error: message`, so editors and CI logs can jump to the place.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is.
    public var mark: SourceMark
    /// What is wrong and, where possible, what to write instead.
    public var message: String

    /// An error at `mark`.
    public init(_ mark: SourceMark, _ message: String) {
        self.mark = mark
        self.message = message
    }

    /// `file:line:column: error: message`.
    public var description: String { "\(mark): error: \(message)" }
}
