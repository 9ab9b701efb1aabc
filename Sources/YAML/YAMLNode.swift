/// A YAML document as a tree, every node with the place it was written.
public indirect enum YAMLNode: Sendable {
    case scalar(String, SourceMark)
    case sequence([YAMLNode], SourceMark)
    case mapping([(key: YAMLNode, value: YAMLNode)], SourceMark)

    /// Where the node starts.
    public var mark: SourceMark {
        switch self {
        case .scalar(_, let m), .sequence(_, let m), .mapping(_, let m): m
        }
    }

    /// The scalar's text, or nil.
    public var scalarValue: String? {
        if case .scalar(let s, _) = self { return s }
        return nil
    }

    /// What kind of node this is, for messages.
    public var kindName: String {
        switch self {
        case .scalar: "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// A place in a source file: `file:line:column`, 1-based.
public struct SourceMark: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
