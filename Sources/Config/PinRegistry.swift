import Boards
import YAML

/// Resolves the pins a config names on its board and refuses a pin used twice, power and ground pins.
struct PinRegistry {
    let board: Board
    let reader: ConfigReader
    private var used: [String: (owner: String, mark: SourceMark)] = [:]

    init(board: Board, reader: ConfigReader) {
        self.board = board
        self.reader = reader
    }

    /// The resolved pin for `owner` (`input button`), or nil with a diagnostic.
    mutating func claim(_ node: YAMLNode?, owner: String, at entryMark: SourceMark) -> ResolvedPin? {
        guard let node else {
            reader.error(entryMark, "\(owner) needs 'pin' (a BCM name like GPIO17, or header.11; see 'fieldagent boards \(board.name)')")
            return nil
        }
        guard let text = reader.string(node, "pin") else { return nil }
        let pin: ResolvedPin
        do {
            pin = try board.resolve(pin: text)
        } catch {
            reader.error(node.mark, error.description)
            return nil
        }
        let key = "\(pin.chipLabel)#\(pin.line)"
        if let first = used[key] {
            reader.error(node.mark, "pin \(pin.bcmName) (header \(pin.headerPin ?? 0)) is already used by \(first.owner) at line \(first.mark.line); each pin can serve one input or output")
            return nil
        }
        used[key] = (owner, node.mark)
        if let role = pin.role {
            reader.warning(node.mark, "\(pin.bcmName) (header \(pin.headerPin ?? 0)) has a fixed role on \(board.name) (\(role)); using it as plain GPIO may disturb that function")
        }
        return pin
    }
}

/// The names of inputs and outputs, for rules; duplicates are errors.
struct NameRegistry {
    let inputs: Set<String>
    let outputs: Set<String>

    init(inputs: [(String, SourceMark)], outputs: [(String, SourceMark)], reader: ConfigReader) {
        var seen: [String: SourceMark] = [:]
        for (name, mark) in inputs + outputs {
            if let first = seen[name] {
                reader.error(mark, "the name '\(name)' is already used at line \(first.line); names must be unique")
            } else {
                seen[name] = mark
            }
        }
        self.inputs = Set(inputs.map(\.0))
        self.outputs = Set(outputs.map(\.0))
    }
}

/// Checks an entry's name: letters, digits, `_` and `-`, starting with a letter.
func validName(_ name: String, _ mark: SourceMark, _ reader: ConfigReader) -> Bool {
    guard let first = name.first, first.isLetter,
          name.allSatisfy({ ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") && $0.isASCII }) else {
        reader.error(mark, "name '\(name)': use letters, digits, _ and -, starting with a letter")
        return false
    }
    return true
}
