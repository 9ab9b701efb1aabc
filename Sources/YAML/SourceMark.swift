/// A place in a source file: `file:line:column`, 1-based, the way compilers print it.
///
/// Every ``YAMLNode`` carries the mark of its first character, so that a problem found long after
/// parsing (an unknown pin, a name used twice) can still point at the exact spot in the file.
public struct SourceMark: Sendable, Hashable, CustomStringConvertible {
    /// The file name as given to the parser (printed as is).
    public var file: String
    /// Line number, 1-based; 0 when the problem concerns the whole file (it could not be read).
    public var line: Int
    /// Column number, 1-based, counted in characters (Unicode scalars as libyaml counts them).
    public var column: Int

    /// A mark at `file:line:column`.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A mark for the whole file (no line): printed as just the file name.
    public static func wholeFile(_ file: String) -> SourceMark { SourceMark(file: file, line: 0, column: 0) }

    /// `file:line:column`, or just `file` for a whole-file mark.
    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// The name the config layer uses for a ``SourceMark``: where an entry was written.
public typealias SourceLocation = SourceMark
