/// A YAML document that could not be read: the place and the reason.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public var mark: SourceMark
    public var message: String

    public init(_ mark: SourceMark, _ message: String) {
        self.mark = mark
        self.message = message
    }

    public var description: String { "\(mark): error: \(message)" }
}
