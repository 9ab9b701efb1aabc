import CYAML
import Glibc

/// Reads YAML with libyaml's event parser into a ``YAMLNode`` tree with source marks.
/// Anchors and aliases are refused (a config should say things once); duplicate keys are errors.
public enum YAMLParser {
    /// Parses the first document of `text`; an empty document is an empty mapping.
    public static func parse(_ text: String, file: String) throws(YAMLError) -> YAMLNode {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw YAMLError(SourceMark(file: file, line: 1, column: 1), "libyaml: out of memory") }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buf) throws(YAMLError) -> YAMLNode in
            // buf outlives the parser's use of it: parsing completes inside this closure.
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            var builder = Builder(file: file)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let mark = SourceMark(file: file, line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
                    let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
                    let context = parser.context.map { " " + String(cString: $0) } ?? ""
                    throw YAMLError(mark, "malformed YAML: \(problem)\(context)")
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT || event.type == YAML_DOCUMENT_END_EVENT { break }
                try builder.handle(&event)
            }
            return builder.root ?? .mapping([], SourceMark(file: file, line: 1, column: 1))
        }
    }

    /// Reads and parses a file.
    public static func parse(path: String) throws(YAMLError) -> YAMLNode {
        guard let text = readFile(path) else {
            throw YAMLError(SourceMark(file: path, line: 0, column: 0), "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        return try parse(text, file: path)
    }

    /// The whole file as text, or nil (errno says why).
    public static func readFile(_ path: String) -> String? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { data.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        return String(decoding: data, as: UTF8.self)
    }

    private struct Builder {
        enum Frame {
            case sequence([YAMLNode], SourceMark)
            case mapping([(key: YAMLNode, value: YAMLNode)], pendingKey: YAMLNode?, SourceMark)
        }

        let file: String
        var stack: [Frame] = []
        var root: YAMLNode?

        init(file: String) { self.file = file }

        mutating func handle(_ event: inout yaml_event_t) throws(YAMLError) {
            let mark = SourceMark(file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                if data.anchor != nil { throw YAMLError(mark, "anchors (&name) are not supported; write the value out") }
                let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                try add(.scalar(text, mark))
            case YAML_SEQUENCE_START_EVENT:
                if event.data.sequence_start.anchor != nil { throw YAMLError(mark, "anchors (&name) are not supported; write the value out") }
                stack.append(.sequence([], mark))
            case YAML_MAPPING_START_EVENT:
                if event.data.mapping_start.anchor != nil { throw YAMLError(mark, "anchors (&name) are not supported; write the value out") }
                stack.append(.mapping([], pendingKey: nil, mark))
            case YAML_SEQUENCE_END_EVENT:
                guard case .sequence(let items, let m) = stack.removeLast() else { return }
                try add(.sequence(items, m))
            case YAML_MAPPING_END_EVENT:
                guard case .mapping(let pairs, _, let m) = stack.removeLast() else { return }
                try add(.mapping(pairs, m))
            case YAML_ALIAS_EVENT:
                throw YAMLError(mark, "aliases (*name) are not supported; write the value out")
            default:
                break
            }
        }

        private mutating func add(_ node: YAMLNode) throws(YAMLError) {
            guard let top = stack.popLast() else {
                root = node
                return
            }
            switch top {
            case .sequence(var items, let m):
                items.append(node)
                stack.append(.sequence(items, m))
            case .mapping(var pairs, let pendingKey, let m):
                if let key = pendingKey {
                    pairs.append((key, node))
                    stack.append(.mapping(pairs, pendingKey: nil, m))
                } else {
                    if let name = node.scalarValue, let first = pairs.first(where: { $0.key.scalarValue == name }) {
                        throw YAMLError(node.mark, "duplicate key '\(name)' (first at line \(first.key.mark.line))")
                    }
                    stack.append(.mapping(pairs, pendingKey: node, m))
                }
            }
        }
    }
}
