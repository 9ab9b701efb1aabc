import YAML

/// A board map: the 40-pin header, pin by pin, and the GPIO chip (by label) its GPIO lines are on.
///
/// Configs name pins by BCM name (`GPIO17`) or header position (`header.11`), never by chip number, so
/// that moving to another board means changing the config's `board:` line.
public struct Board: Sendable {
    public var name: String
    public var description: String
    public var aliases: [String]
    /// The header chip's label, for example `pinctrl-rp1`.
    public var chipLabel: String
    /// Number of lines of that chip.
    public var chipLines: Int
    /// A note for users (quirks of the board).
    public var note: String
    /// Header pins 1…40 (index 0 is pin 1).
    public var header: [HeaderPin]
    /// Where the board file is.
    public var source: String

    /// True for the simulation board (the mock chip).
    public var isSimulated: Bool { chipLabel == "fieldagent-mock" }

    /// Resolves `GPIO17`, `gpio17`, `header.11` or `pin11`.
    public func resolve(pin text: String) throws(BoardError) -> ResolvedPin {
        let lower = text.lowercased()
        if lower.hasPrefix("gpio"), let bcm = Int(lower.dropFirst(4)) {
            guard let index = header.firstIndex(where: { if case .gpio(bcm, _) = $0 { true } else { false } }) else {
                throw BoardError("unknown pin \"\(text)\" on board \(name); the header has \(gpioRange()) (or header.N)")
            }
            return resolved(index)
        }
        for prefix in ["header.", "pin"] where lower.hasPrefix(prefix) {
            guard let n = Int(lower.dropFirst(prefix.count)), (1...header.count).contains(n) else {
                throw BoardError("unknown pin \"\(text)\" on board \(name); header pins are header.1…header.\(header.count)")
            }
            switch header[n - 1] {
            case .power(let v): throw BoardError("\(text) is a \(v) power pin on board \(name), not a GPIO; see 'fieldagent boards \(name)'")
            case .ground: throw BoardError("\(text) is a ground pin on board \(name), not a GPIO; see 'fieldagent boards \(name)'")
            case .gpio: return resolved(n - 1)
            }
        }
        throw BoardError("unknown pin \"\(text)\" on board \(name); write a BCM name (GPIO17) or a header position (header.11)")
    }

    private func resolved(_ index: Int) -> ResolvedPin {
        guard case .gpio(let bcm, let role) = header[index] else { preconditionFailure("not a GPIO pin") }
        return ResolvedPin(bcmName: "GPIO\(bcm)", headerPin: index + 1, chipLabel: chipLabel, line: bcm, role: role)
    }

    private func gpioRange() -> String {
        let numbers = header.compactMap { if case .gpio(let b, _) = $0 { b } else { nil } }
        return "GPIO\(numbers.min() ?? 0)…GPIO\(numbers.max() ?? 0)"
    }

    /// Names for the lines of chip `label` (`GPIO0`…), used to name the mock chip's lines.
    public func lineNames(ofChip label: String) -> [String] {
        (0..<(label == chipLabel ? chipLines : 64)).map { "GPIO\($0)" }
    }

    /// The header as a two-column table, as pinout tools print it.
    public func pinTable() -> String {
        func cell(_ pin: Int) -> String {
            switch header[pin - 1] {
            case .power(let v): v
            case .ground: "GND"
            case .gpio(let bcm, let role): "GPIO\(bcm)" + (role.map { " (\($0))" } ?? "")
            }
        }
        func pad(_ s: String, _ w: Int, left: Bool) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return left ? fill + s : s + fill
        }
        var out = "\(name): \(description)\nchip: \(chipLabel) (\(chipLines) lines), found by label; line offset = BCM number\n"
        if !note.isEmpty { out += "note: \(note)\n" }
        out += "\n"
        for row in 0..<(header.count / 2) {
            let l = row * 2 + 1, r = l + 1
            out += pad(cell(l), 22, left: true) + "  " + pad("\(l)", 2, left: true) + " | " + pad("\(r)", 2, left: false) + "  " + cell(r) + "\n"
        }
        return out
    }

    /// Reads a board file.
    public static func parse(_ node: YAMLNode) throws(BoardError) -> Board {
        let file = node.mark.file
        guard case .mapping(let pairs, _) = node else { throw BoardError("\(file): a board file is a mapping") }
        func value(_ key: String) -> YAMLNode? { pairs.first { $0.key.scalarValue == key }?.value }
        func text(_ key: String) throws(BoardError) -> String {
            guard let s = value(key)?.scalarValue else { throw BoardError("\(file): missing '\(key)'") }
            return s
        }
        let name = try text("name")
        var aliases: [String] = []
        if case .sequence(let items, _)? = value("aliases") { aliases = items.compactMap(\.scalarValue) }
        guard case .mapping(let chipPairs, _)? = value("chip"),
              let label = chipPairs.first(where: { $0.key.scalarValue == "label" })?.value.scalarValue,
              let linesText = chipPairs.first(where: { $0.key.scalarValue == "lines" })?.value.scalarValue,
              let lines = Int(linesText) else {
            throw BoardError("\(file): 'chip' needs label and lines")
        }
        guard case .mapping(let headerPairs, let hm)? = value("header") else { throw BoardError("\(file): missing 'header'") }
        var header = [HeaderPin?](repeating: nil, count: 40)
        for (k, v) in headerPairs {
            guard let n = k.scalarValue.flatMap({ Int($0) }), (1...40).contains(n), let s = v.scalarValue else {
                throw BoardError("\(k.mark): header keys are pin numbers 1…40 with a value like GPIO17, 3V3, 5V or GND")
            }
            guard header[n - 1] == nil else { throw BoardError("\(k.mark): pin \(n) described twice") }
            let words = s.split(separator: " ").map(String.init)
            switch words.first ?? "" {
            case "3V3", "5V": header[n - 1] = .power(words[0])
            case "GND": header[n - 1] = .ground
            case let w where w.hasPrefix("GPIO"):
                guard let bcm = Int(w.dropFirst(4)), bcm >= 0, bcm < lines else {
                    throw BoardError("\(v.mark): '\(w)' is not a line of chip \(label) (0…\(lines - 1))")
                }
                header[n - 1] = .gpio(bcm: bcm, role: words.count > 1 ? words[1] : nil)
            default:
                throw BoardError("\(v.mark): '\(s)': expected GPIOn [role], 3V3, 5V or GND")
            }
        }
        let missing = header.indices.filter { header[$0] == nil }.map { "\($0 + 1)" }
        guard missing.isEmpty else { throw BoardError("\(hm): header incomplete; pins \(missing.joined(separator: ", ")) are not described") }
        return Board(name: name, description: (try? text("description")) ?? name, aliases: aliases, chipLabel: label,
                     chipLines: lines, note: (try? text("note")) ?? "", header: header.map { $0! }, source: file)
    }
}
