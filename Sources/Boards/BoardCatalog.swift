import Glibc
import YAML

/// The boards FieldAgent knows: the files compiled into the binary, or those of a directory.
public struct BoardCatalog: Sendable {
    /// Every board, sorted by name.
    public private(set) var boards: [Board]

    /// The boards compiled into the binary (from `Boards/`, by `scripts/embed-boards`).
    public static func builtIn() throws(BoardError) -> BoardCatalog {
        var boards: [Board] = []
        for (path, text) in EmbeddedBoards.files {
            boards.append(try parseBoard { () throws(YAMLError) in try YAMLParser.parse(text, file: "Boards/" + path) })
        }
        return BoardCatalog(boards: boards.sorted { $0.name < $1.name })
    }

    /// The boards in the `*.yaml` files under `directory` (one level of subfolders, like `Boards/raspberrypi/`).
    public static func load(directory: String) throws(BoardError) -> BoardCatalog {
        var boards: [Board] = []
        for path in yamlFiles(under: directory, depth: 2) {
            boards.append(try parseBoard { () throws(YAMLError) in try YAMLParser.parse(path: path) })
        }
        guard !boards.isEmpty else { throw BoardError("no board files (*.yaml) in \(directory)") }
        return BoardCatalog(boards: boards.sorted { $0.name < $1.name })
    }

    /// The board called `name` or one of its aliases (case-insensitive).
    public func board(named name: String) throws(BoardError) -> Board {
        let key = name.lowercased()
        if let b = boards.first(where: { $0.name == key || $0.aliases.contains(key) }) { return b }
        let close = boards.filter { $0.name.hasPrefix(String(key.prefix(3))) }.map(\.name)
        let hint = close.isEmpty ? "" : " (did you mean \(close.joined(separator: " or "))?)"
        throw BoardError("unknown board \"\(name)\"\(hint); known boards: \(boards.map(\.name).joined(separator: ", "))")
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

    private static func yamlFiles(under dir: String, depth: Int) -> [String] {
        guard depth > 0, let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                // d_name is a NUL-terminated array inside the dirent readdir returned.
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = dir + "/" + name
            if name.hasSuffix(".yaml") { out.append(path) } else if entry.pointee.d_type == UInt8(DT_DIR) {
                out += yamlFiles(under: path, depth: depth - 1)
            }
        }
        return out.sorted()
    }
}
