import Glibc

/// Structured logs on standard error, one line per event, in the `key=value` form journald keeps well:
/// `level=info event=output.changed output=lamp value=1 cause=rule:2`.
///
/// Under systemd (`JOURNAL_STREAM` set) each line starts with a `<N>` syslog priority prefix, which journald
/// turns into the entry's priority. Pass the logger through initializers; there is no global one.
public struct Logger: Sendable {
    /// Severity, lowest first.
    public enum Level: Int, Comparable, Sendable {
        case debug, info, notice, warning, error

        var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .notice: "notice"
            case .warning: "warning"
            case .error: "error"
            }
        }

        var syslogPriority: Int {
            switch self {
            case .debug: 7
            case .info: 6
            case .notice: 5
            case .warning: 4
            case .error: 3
            }
        }

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        /// Parses `debug`, `info`, `notice`, `warning` or `error`.
        public init?(name: String) {
            switch name {
            case "debug": self = .debug
            case "info": self = .info
            case "notice": self = .notice
            case "warning", "warn": self = .warning
            case "error": self = .error
            default: return nil
            }
        }
    }

    /// Messages below this level are dropped.
    public var minimumLevel: Level
    /// Prepended to every line's fields, for example `agent=pump-a`.
    public var context: String
    private let journald: Bool
    private let sink: (@Sendable (String) -> Void)?

    /// A logger writing to standard error, or to `sink` (each line without its newline; for tests that count lines).
    public init(minimumLevel: Level = .info, context: String = "", sink: (@Sendable (String) -> Void)? = nil) {
        self.minimumLevel = minimumLevel
        self.context = context
        self.journald = sink == nil && getenv("JOURNAL_STREAM") != nil
        self.sink = sink
    }

    /// A logger that drops everything (for tests and benchmarks that measure the hot path).
    public static var silent: Logger { Logger(minimumLevel: .error, context: "").muted() }

    private var muted_ = false
    private func muted() -> Logger {
        var copy = self
        copy.muted_ = true
        return copy
    }

    /// This logger with extra context fields.
    public func with(_ field: String) -> Logger {
        var copy = self
        copy.context = context.isEmpty ? field : context + " " + field
        return copy
    }

    public func debug(_ event: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, Any> = [:]) {
        log(.debug, event(), fields())
    }
    public func info(_ event: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, Any> = [:]) {
        log(.info, event(), fields())
    }
    public func notice(_ event: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, Any> = [:]) {
        log(.notice, event(), fields())
    }
    public func warning(_ event: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, Any> = [:]) {
        log(.warning, event(), fields())
    }
    public func error(_ event: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, Any> = [:]) {
        log(.error, event(), fields())
    }

    /// Writes one line: `level=L event=E context... key=value...`. Values with spaces or quotes are quoted.
    public func log(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, Any>) {
        guard !muted_, level >= minimumLevel else { return }
        log(level, event, pairs: fields.map { ($0.key, "\($0.value)") })
    }

    /// Writes one line with fields built at run time (``log(_:_:_:)`` takes a literal).
    public func log(_ level: Level, _ event: String, pairs fields: [(String, String)]) {
        guard !muted_, level >= minimumLevel else { return }
        var line = journald ? "<\(level.syslogPriority)>" : ""
        line += "level=\(level.name) event=\(event)"
        if !context.isEmpty { line += " " + context }
        for (key, value) in fields {
            line += " \(key)=" + Self.quoted(value)
        }
        if let sink { sink(line) } else { StandardError.write(line + "\n") }
    }

    /// The value as is when it is a plain token, else in double quotes with `"` and `\` escaped.
    public static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.utf8.allSatisfy { c in
            c > 32 && c < 127 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "=") && c != UInt8(ascii: "\\")
        }
        if plain { return value }
        var out = "\""
        for ch in value {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}

/// Unbuffered writes to standard error and standard output (Swift 6 cannot touch C's `stderr` global).
public enum StandardError {
    /// Writes `text` to file descriptor 2, whole.
    public static func write(_ text: String) { writeAll(2, text) }
}

/// Writes `text` to standard output, whole, unbuffered (for live views that interleave with logs).
public func writeStandardOutput(_ text: String) { writeAll(1, text) }

private func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { buf in
        var offset = 0
        while offset < buf.count {
            // buf is valid for the closure's duration; we write a suffix of it.
            let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}
