import Glibc
import YAML

/// The boards FieldAgent knows: the board files compiled into the binary, or those of a directory
/// given at run time (`--boards DIR`, `$FIELDAGENT_BOARDS`), which then replace the built-in ones.
public struct BoardCatalog: Sendable {
    /// Every board, sorted by name.
    public let boards: [Board]

    /// A catalog of `boards`; two boards may not share a name or alias.
    public init(boards: [Board]) throws(BoardError) {
        var owner: [String: Board] = [:]
        for board in boards {
            for key in [board.name] + board.aliases {
                if let other = owner[key] {
                    throw BoardError("\(board.source): board name or alias '\(key)' is already used by \(other.name) (\(other.source))")
                }
                owner[key] = board
            }
        }
        self.boards = boards.sorted { $0.name < $1.name }
    }

    /// The board files compiled into the binary: path under `Boards/` and text, as `scripts/embed-boards`
    /// copied them (a test checks they equal the files).
    public static var embeddedFiles: [(path: String, text: String)] { EmbeddedBoards.files }

    /// The boards compiled into the binary, so that it works when copied alone.
    public static func builtIn() throws(BoardError) -> BoardCatalog {
        var boards: [Board] = []
        for (path, text) in EmbeddedBoards.files {
            boards.append(try parseBoard { () throws(YAMLError) in try YAMLParser.parse(text, file: "Boards/" + path) })
        }
        return try BoardCatalog(boards: boards)
    }

    /// The boards in the `*.yaml` files under `directory` and its subfolders (like `Boards/raspberrypi/`).
    public static func load(directory: String) throws(BoardError) -> BoardCatalog {
        guard let paths = yamlFiles(under: directory, depth: 3) else {
            throw BoardError("cannot read the boards directory \(directory): \(String(cString: strerror(errno)))")
        }
        var boards: [Board] = []
        for path in paths {
            boards.append(try parseBoard { () throws(YAMLError) in try YAMLParser.parse(path: path) })
        }
        guard !boards.isEmpty else { throw BoardError("no board files (*.yaml) in \(directory)") }
        return try BoardCatalog(boards: boards)
    }

    /// The board called `name` or one of its aliases, in any case.
    ///
    /// An unknown name throws with the closest known name and the list of boards:
    /// `unknown board "rpi6" (did you mean rpi3, rpi4 or rpi5?); known boards: cm4, rpi3, rpi4, rpi5, sim, zero2w`.
    public func board(named name: String) throws(BoardError) -> Board {
        let key = name.lowercased()
        if let b = boards.first(where: { $0.name == key || $0.aliases.contains(key) }) { return b }
        let all = boards.flatMap { [$0.name] + $0.aliases }
        var close: [String] = []
        for candidate in Spelling.candidates(for: key, among: all) {
            if let b = boards.first(where: { $0.name == candidate || $0.aliases.contains(candidate) }), !close.contains(b.name) { close.append(b.name) }
        }
        let hint = close.isEmpty ? "" : " (did you mean \(Spelling.orList(close))?)"
        throw BoardError("unknown board \"\(name)\"\(hint); known boards: \(boards.map(\.name).joined(separator: ", "))")
    }

    /// The board whose `models` match `model` (the text of `/proc/device-tree/model`, such as
    /// `Raspberry Pi 4 Model B Rev 1.4`); the longest matching entry wins. Nil when none matches.
    public func board(forModel model: String) -> Board? {
        var best: (board: Board, length: Int)?
        for board in boards {
            for m in board.models where Self.text(model, contains: m) && m.count > (best?.length ?? 0) { best = (board, m.count) }
        }
        return best?.board
    }

    /// True when `part` occurs in `text`, compared byte by byte. (`String.contains(String)` is an extension from
    /// `_StringProcessing`, whose regex engine would add about 1.5 MB to the static binary for this one call.)
    static func text(_ text: String, contains part: String) -> Bool {
        let haystack = Array(text.utf8), needle = Array(part.utf8)
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    /// Reads one board from the YAML `read` returns; a YAML error becomes a board error with its place.
    private static func parseBoard(_ read: () throws(YAMLError) -> YAMLNode) throws(BoardError) -> Board {
        let node: YAMLNode
        do {
            node = try read()
        } catch {
            throw BoardError(error.description)
        }
        return try Board.parse(node)
    }

    /// The `*.yaml` files under `dir`, sorted, looking `depth` folders deep; nil (errno set) if `dir` cannot be opened.
    private static func yamlFiles(under dir: String, depth: Int) -> [String]? {
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                // d_name is a NUL-terminated array inside the dirent that readdir returned; copied before the next call.
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = dir + "/" + name
            if name.hasSuffix(".yaml") {
                out.append(path)
            } else if depth > 1, isDirectory(path, type: entry.pointee.d_type) {
                out += yamlFiles(under: path, depth: depth - 1) ?? []
            }
        }
        return out.sorted()
    }

    private static func isDirectory(_ path: String, type: UInt8) -> Bool {
        if type != UInt8(DT_UNKNOWN) { return type == UInt8(DT_DIR) }
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}
