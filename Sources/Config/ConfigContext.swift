import Boards
import YAML

/// What every section decoder shares: the reader that collects diagnostics, the board (nil when the
/// `board:` line was wrong: pins are then not checked, everything else still is), the pins and the
/// names already taken.
final class ConfigContext {
    let reader: ConfigReader
    let board: Board?
    var pins: PinRegistry
    var names = NameRegistry()
    /// Every feature name declared, including entries with other errors (so `decide:` does not report them missing).
    var featureNames = Set<String>()

    init(reader: ConfigReader, board: Board?) {
        self.reader = reader
        self.board = board
        self.pins = PinRegistry(board: board)
    }

    /// Claims the pin in `node` for `owner` (`input 'button'`): resolves it, refuses one already taken,
    /// warns about a fixed role. Nil (with an error recorded) when it cannot be used, or when there is no board.
    func claimPin(_ node: YAMLNode?, owner: String, entry: SourceLocation) -> ResolvedPin? {
        pins.claim(node, owner: owner, entry: entry, reader: reader)
    }

    /// The entry's `name`, checked and registered: nil with an error if missing, malformed or taken.
    func declareName(_ fields: [String: YAMLNode], kind: NameRegistry.Kind, entry: SourceLocation) -> String? {
        guard let name = reader.required(fields, "name", in: "an \(kind.rawValue)", at: entry), let node = fields["name"] else { return nil }
        guard NameRegistry.isValid(name) else {
            reader.error(node.mark, "name '\(name)': use letters, digits, _ and -, starting with a letter")
            return nil
        }
        if let first = names.declare(name, kind: kind, at: node.mark) {
            reader.error(node.mark, "the name '\(name)' is already used by the \(first.kind.rawValue) at line \(first.mark.line); names must be unique")
            return nil
        }
        return name
    }
}
