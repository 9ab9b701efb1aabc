import YAML

/// The names of inputs and outputs, one namespace for both. A name is registered as soon as its entry
/// is read, even if the entry has other errors, so that rules naming it are not reported as well.
struct NameRegistry {
    enum Kind: String {
        case input, output
    }

    private(set) var entries: [String: (kind: Kind, mark: SourceLocation)] = [:]

    /// Registers `name`; returns the earlier entry if the name is taken.
    mutating func declare(_ name: String, kind: Kind, at mark: SourceLocation) -> (kind: Kind, mark: SourceLocation)? {
        if let first = entries[name] { return first }
        entries[name] = (kind, mark)
        return nil
    }

    /// The names of one kind, sorted (for messages).
    func names(_ kind: Kind) -> [String] { entries.filter { $0.value.kind == kind }.map(\.key).sorted() }

    /// The kind of `name`, if declared.
    func kind(of name: String) -> Kind? { entries[name]?.kind }

    /// Letters, digits, `_` and `-` (ASCII), starting with a letter.
    static func isValid(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}
