import CYAML
import Glibc

/// Reads YAML with libyaml's event parser into a ``YAMLNode`` tree where every node knows its place.
///
/// What a config file may not do is refused with a message at its place:
/// - anchors (`&name`) and aliases (`*name`): a config says things once, in the open;
/// - duplicate keys in a mapping (YAML forbids them; libyaml alone would keep both);
/// - more than one document (`---` twice): the rest of the file would silently be ignored;
/// - nesting deeper than ``maximumDepth``.
///
/// Errors from libyaml come back as `file:line:column: error: malformed YAML: <libyaml's reason>`.
public enum YAMLParser {
    /// The deepest nesting of lists and mappings accepted; configs need about 4.
    public static let maximumDepth = 64

    /// Parses `text`, naming it `file` in marks; an empty document is an empty mapping.
    public static func parse(_ text: String, file: String) throws(YAMLError) -> YAMLNode {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw YAMLError(.wholeFile(file), "libyaml: out of memory") }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        // The closure returns its error instead of throwing it: Swift 6.0's withUnsafeBufferPointer only rethrows
        // `any Error`, and this function's errors are typed.
        let parsed: Result<YAMLNode, YAMLError> = bytes.withUnsafeBufferPointer { buf in
            // buf stays valid for the whole parse: libyaml reads it only inside this closure.
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            do throws(YAMLError) {
                return .success(try events(&parser, file: file, text: text))
            } catch {
                return .failure(error)
            }
        }
        return try parsed.get()
    }

    /// Builds the tree from the parser's events, up to the end of the stream.
    private static func events(_ parser: inout yaml_parser_t, file: String, text: String) throws(YAMLError) -> YAMLNode {
        var builder = Builder(file: file)
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw libyamlError(parser, file: file, text: text) }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { break }
            try builder.handle(&event)
        }
        return builder.root ?? .mapping([], SourceMark(file: file, line: 1, column: 1))
    }

    /// Reads and parses the file at `path` (named `path` in marks); see ``read(path:)`` for what is refused.
    public static func parse(path: String) throws(YAMLError) -> YAMLNode {
        try parse(try read(path: path), file: path)
    }

    /// The largest file ``read(path:)`` accepts: 1 MiB, hundreds of times a real config, so that a wrong path
    /// (`/dev/zero`, a log file) is refused at once instead of read until memory runs out.
    public static let maximumFileSize = 1 << 20

    /// The whole file at `path` as text. Only a regular file of at most ``maximumFileSize`` bytes is read: a FIFO
    /// (which would block until a writer comes), a device, a directory or a socket is refused with what it is.
    /// The file is opened non-blocking, so even a FIFO never blocks the caller. Invalid UTF-8 is replaced (U+FFFD)
    /// here and then refused by libyaml with its place. The corresponding C functions are `open`, `fstat` and `read`.
    /// `what` names the file in messages (`the config`); by default its path.
    public static func read(path: String, what: String? = nil) throws(YAMLError) -> String {
        let place = SourceMark.wholeFile(path)
        let what = what ?? path
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw YAMLError(place, "cannot read \(what): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw YAMLError(place, "cannot read \(what): \(String(cString: strerror(errno)))") }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            let kindName: String = switch kind {
            case S_IFDIR: "a directory"
            case S_IFIFO: "a FIFO (named pipe)"
            case S_IFCHR: "a character device"
            case S_IFBLK: "a block device"
            case S_IFSOCK: "a socket"
            default: "not a regular file"
            }
            throw YAMLError(place, "\(what) is \(kindName); give a regular YAML file")
        }
        let limit = maximumFileSize
        let tooLarge = "\(what) is larger than \(limit >> 20) MiB, the limit for FieldAgent's YAML files (a config is a few KiB): is it the right file?"
        guard info.st_size <= limit else { throw YAMLError(place, tooLarge) }
        // Read in chunks up to one byte past the limit: a file that grew since fstat (or a /proc file that reports
        // size 0) is still bounded.
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while data.count <= limit {
            let n = chunk.withUnsafeMutableBytes { raw in
                // raw covers chunk, which read fills from its start.
                Glibc.read(fd, raw.baseAddress!, raw.count)
            }
            if n > 0 {
                data += chunk[0..<n]
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw YAMLError(place, "cannot read \(what): \(String(cString: strerror(errno)))")
            }
        }
        guard data.count <= limit else { throw YAMLError(place, tooLarge) }
        return String(decoding: data, as: UTF8.self)
    }

    /// The file at `path` as text, or nil when ``read(path:)`` refuses it (tests and tools that only need the text).
    public static func readFile(_ path: String) -> String? { try? read(path: path) }

    /// libyaml's problem, at its place: `malformed YAML: did not find expected key (while parsing a block
    /// mapping that starts at line 3)`, with a hint when the line is indented with a tab.
    private static func libyamlError(_ parser: yaml_parser_t, file: String, text: String) -> YAMLError {
        let line = Int(parser.problem_mark.line) + 1
        let mark = SourceMark(file: file, line: line, column: Int(parser.problem_mark.column) + 1)
        let problem = parser.problem.map { String(cString: $0) } ?? "unreadable input"
        let context = parser.context.map { " (\(String(cString: $0)) that starts at line \(parser.context_mark.line + 1))" } ?? ""
        let source = text.split(separator: "\n", maxSplits: line, omittingEmptySubsequences: false)
        let indent = source.count >= line ? source[line - 1].prefix { $0 == " " || $0 == "\t" } : ""
        let hint = indent.contains("\t") ? "; YAML indents with spaces, not tabs" : ""
        return YAMLError(mark, "malformed YAML: \(problem)\(context)\(hint)")
    }

    /// Turns the event stream into nodes with a stack of open lists and mappings.
    private struct Builder {
        struct Frame {
            var isMapping: Bool
            var mark: SourceMark
            var items: [YAMLNode] = []
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var pendingKey: YAMLNode?
            var keyLines: [String: Int] = [:]
        }

        let file: String
        var stack: [Frame] = []
        var root: YAMLNode?
        var documents = 0

        init(file: String) { self.file = file }

        mutating func handle(_ event: inout yaml_event_t) throws(YAMLError) {
            let mark = SourceMark(file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            let noAnchors = "anchors (&name) are not supported; write the value out"
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 { throw YAMLError(mark, "a second document ('---') in one file; put one config in a file") }
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                if data.anchor != nil { throw YAMLError(mark, noAnchors) }
                // value points at `length` bytes owned by the event, alive until yaml_event_delete.
                let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                try add(.scalar(text, mark))
            case YAML_SEQUENCE_START_EVENT:
                if event.data.sequence_start.anchor != nil { throw YAMLError(mark, noAnchors) }
                try open(Frame(isMapping: false, mark: mark))
            case YAML_MAPPING_START_EVENT:
                if event.data.mapping_start.anchor != nil { throw YAMLError(mark, noAnchors) }
                try open(Frame(isMapping: true, mark: mark))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                // libyaml balances start and end events; an end without a start cannot happen.
                let frame = stack.removeLast()
                try add(frame.isMapping ? .mapping(frame.pairs, frame.mark) : .sequence(frame.items, frame.mark))
            case YAML_ALIAS_EVENT:
                throw YAMLError(mark, "aliases (*name) are not supported; write the value out")
            default:
                break
            }
        }

        private mutating func open(_ frame: Frame) throws(YAMLError) {
            guard stack.count < YAMLParser.maximumDepth else {
                throw YAMLError(frame.mark, "nested deeper than \(YAMLParser.maximumDepth) levels")
            }
            stack.append(frame)
        }

        private mutating func add(_ node: YAMLNode) throws(YAMLError) {
            guard !stack.isEmpty else {
                root = node
                return
            }
            let top = stack.count - 1
            if !stack[top].isMapping {
                stack[top].items.append(node)
            } else if let key = stack[top].pendingKey {
                stack[top].pairs.append((key, node))
                stack[top].pendingKey = nil
            } else {
                if let name = node.scalarValue {
                    if let firstLine = stack[top].keyLines[name] {
                        throw YAMLError(node.mark, "duplicate key '\(name)' (first at line \(firstLine)); a key may appear once")
                    }
                    stack[top].keyLines[name] = node.mark.line
                }
                stack[top].pendingKey = node
            }
        }
    }
}
