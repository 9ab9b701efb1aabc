/// A YAML document as a tree, every node with the place it was written.
///
/// Scalars stay text: YAML 1.1's guessing (`on` → true, `010` → 8) is left to the typed accessors
/// (``string(_:)``, ``int(_:)``, ``bool(_:)``, ``duration(_:)``), which know what the field means.
/// Mappings keep their pairs in file order; ``YAMLParser`` has already refused duplicate keys.
public indirect enum YAMLNode: Sendable {
    /// A scalar's text (quotes removed, escapes resolved) and where it starts.
    case scalar(String, SourceMark)
    /// A list and where it starts.
    case sequence([YAMLNode], SourceMark)
    /// A mapping's pairs in file order and where it starts.
    case mapping([(key: YAMLNode, value: YAMLNode)], SourceMark)

    /// Where the node starts.
    public var mark: SourceMark {
        switch self {
        case .scalar(_, let m), .sequence(_, let m), .mapping(_, let m): m
        }
    }

    /// The scalar's text, or nil for a list or mapping.
    public var scalarValue: String? {
        if case .scalar(let s, _) = self { return s }
        return nil
    }

    /// The list's items, or nil for a scalar or mapping.
    public var sequenceItems: [YAMLNode]? {
        if case .sequence(let items, _) = self { return items }
        return nil
    }

    /// The mapping's pairs, or nil for a scalar or list.
    public var mappingPairs: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let pairs, _) = self { return pairs }
        return nil
    }

    /// The value of the scalar key `key` in a mapping; nil if absent or if this is not a mapping.
    public subscript(key: String) -> YAMLNode? {
        mappingPairs?.first { $0.key.scalarValue == key }?.value
    }

    /// What kind of node this is, for messages: "a scalar", "a list", "a mapping".
    public var kindName: String {
        switch self {
        case .scalar: "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}
