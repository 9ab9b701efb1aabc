/// One request of the mock chip's control protocol: a line of text, as `socat` or a test would send it.
///
///     set NAME 1|0|high|low      drive an input (physical level)
///     float NAME                 stop driving it (its bias decides)
///     get NAME                   print the line's level: `NAME 1`
///     list                       every line: offset, name, direction, consumer, level
///     watch                      from now on, print `change NAME LEVEL` for every level change
///     help
///
/// NAME is a config name (`button`), a board name (`GPIO17`) or a line offset.
public enum MockControlCommand: Equatable, Sendable {
    case set(name: String, level: Bool)
    case float(name: String)
    case get(name: String)
    case list
    case watch
    case help

    /// Parses one line; the error text says what was expected.
    public static func parse(_ line: String) -> Result<MockControlCommand, MockControlSyntaxError> {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        guard let verb = words.first?.lowercased() else { return .failure(.init("empty command; try 'help'")) }
        switch (verb, words.count) {
        case ("set", 3):
            guard let level = parseLevel(words[2]) else {
                return .failure(.init("set \(words[1]) \(words[2]): level must be 1, 0, high, low, on or off"))
            }
            return .success(.set(name: words[1], level: level))
        case ("set", _): return .failure(.init("usage: set NAME 1|0"))
        case ("float", 2): return .success(.float(name: words[1]))
        case ("float", _): return .failure(.init("usage: float NAME"))
        case ("get", 2): return .success(.get(name: words[1]))
        case ("get", _): return .failure(.init("usage: get NAME"))
        case ("list", 1): return .success(.list)
        case ("watch", 1): return .success(.watch)
        case ("help", _): return .success(.help)
        default: return .failure(.init("unknown command '\(verb)'; commands: set, float, get, list, watch, help"))
        }
    }

    /// `1`/`high`/`on`/`true` or `0`/`low`/`off`/`false`.
    public static func parseLevel(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "high", "on", "true": true
        case "0", "low", "off", "false": false
        default: nil
        }
    }

    /// The protocol's help text.
    public static let helpText = """
        set NAME 1|0     drive an input to a physical level (also high/low, on/off)
        float NAME       stop driving an input; its bias decides its level
        get NAME         print a line's physical level: NAME 1
        list             list every line: offset name direction consumer level
        watch            print 'change NAME LEVEL' for every level change from now on
        NAME is a config name (button), a board name (GPIO17) or a line offset
        """
}

/// A malformed control request.
public struct MockControlSyntaxError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
