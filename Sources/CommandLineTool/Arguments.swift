/// The command line of one subcommand, consumed option by option.
///
/// Every command follows the same shape: `enum XCommand { static let summary; static let help; static func run(_ args: inout Arguments) throws -> Int32 }`,
/// registered in `main.swift`. Options are `--name VALUE` or `--name=VALUE`; flags are `--name`.
public struct Arguments {
    public private(set) var remaining: [String]
    /// The command path for messages, for example `fieldagent gpio get`.
    public let command: String

    public init(_ args: [String], command: String) {
        remaining = args
        self.command = command
    }

    /// True (and consumed) when `--help` or `-h` is present.
    public mutating func wantsHelp() -> Bool { flag("--help") || flag("-h") }

    /// True (and consumed) when the flag is present.
    public mutating func flag(_ name: String) -> Bool {
        guard let i = remaining.firstIndex(of: name) else { return false }
        remaining.remove(at: i)
        return true
    }

    /// The value of `--name VALUE` or `--name=VALUE` (consumed), or nil when absent.
    public mutating func option(_ name: String) throws(UsageError) -> String? {
        if let i = remaining.firstIndex(of: name) {
            guard i + 1 < remaining.count else { throw UsageError("\(command): \(name) needs a value") }
            let value = remaining[i + 1]
            remaining.removeSubrange(i...(i + 1))
            return value
        }
        if let i = remaining.firstIndex(where: { $0.hasPrefix(name + "=") }) {
            let value = String(remaining[i].dropFirst(name.count + 1))
            remaining.remove(at: i)
            return value
        }
        return nil
    }

    /// Every value of a repeatable option, in order (consumed).
    public mutating func options(_ name: String) throws(UsageError) -> [String] {
        var values: [String] = []
        while let v = try option(name) { values.append(v) }
        return values
    }

    /// An option parsed by `parse` (which returns nil for a bad value), with the expectation named in the error.
    public mutating func option<T>(_ name: String, expecting: String, _ parse: (String) -> T?) throws(UsageError) -> T? {
        guard let text = try option(name) else { return nil }
        guard let value = parse(text) else { throw UsageError("\(command): \(name) \(text): expected \(expecting)") }
        return value
    }

    /// A number of seconds above 0 and at most `maximum` (`--timeout 0.5`), as a duration exact to the microsecond;
    /// NaN, infinities, 0, negatives and longer values are a usage error that says the range.
    public mutating func seconds(_ name: String, atMost maximum: Double) throws(UsageError) -> Duration? {
        try option(name, expecting: "a number of seconds above 0 and at most \(Int(maximum)), such as 2 or 0.5") { text in
            guard let s = Double(text), s > 0, s <= maximum else { return nil }
            return .microseconds(Int64((s * 1e6).rounded(.up)))
        }
    }

    /// The next positional argument (consumed), or nil.
    public mutating func positional() -> String? {
        guard let i = remaining.firstIndex(where: { !$0.hasPrefix("--") || $0 == "-" }) else { return nil }
        return remaining.remove(at: i)
    }

    /// The next positional argument, or a usage error naming it.
    public mutating func requiredPositional(_ what: String) throws(UsageError) -> String {
        guard let value = positional() else { throw UsageError("\(command): missing \(what)") }
        return value
    }

    /// Throws when anything is left unconsumed (an unknown option or an extra argument).
    public func finish() throws(UsageError) {
        if let first = remaining.first {
            throw UsageError("\(command): unexpected argument '\(first)' (see \(command) --help)")
        }
    }
}

/// A mistake on the command line: printed with the command's name, exit status 2.
public struct UsageError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
