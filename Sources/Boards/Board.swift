/// A board map: the 40-pin header, pin by pin, and the GPIO chips (by label) its lines are on.
///
/// ## Naming pins
/// Configs and commands name a pin in one of two ways, case-insensitively:
/// - `GPIO17`: the BCM name, as printed on pinout charts and HATs;
/// - `header.11`: the physical position on the 40-pin header (1…40, odd pins on the inner row).
///
/// Nothing else is accepted: a bare `11` is ambiguous (BCM 11 is header pin 23) and gets an error that
/// shows both readings. A pin name never mentions a chip, so a config moves between boards (and to the
/// `sim` board) by changing only its `board:` line. ``resolve(pin:)`` turns a name into the chip label and
/// line offset to request.
public struct Board: Sendable, Equatable {
    /// The board's name, as configs write it after `board:` (`rpi4`).
    public var name: String
    /// One line for people (`Raspberry Pi 4 Model B / Pi 400`).
    public var description: String
    /// Other names that find this board (`pi4`, `rpi4b`), lower case.
    public var aliases: [String]
    /// Substrings of `/proc/device-tree/model` that identify the board (`Raspberry Pi 4 Model B`).
    public var models: [String]
    /// The board's GPIO chips: the first drives the header's GPIOs, the others are listed for reference.
    public var chips: [BoardChip]
    /// A note for users (quirks of the board); may be empty.
    public var note: String
    /// Header pins 1…40: `header[0]` is pin 1.
    public var header: [HeaderPin]
    /// Where the board was read from (a path, or `Boards/…` for the built-in copy).
    public var source: String

    /// A board; usually read from a board file by ``BoardCatalog``.
    public init(name: String, description: String, aliases: [String] = [], models: [String] = [], chips: [BoardChip],
                note: String = "", header: [HeaderPin], source: String) {
        precondition(!chips.isEmpty, "a board has a header chip")
        self.name = name
        self.description = description
        self.aliases = aliases
        self.models = models
        self.chips = chips
        self.note = note
        self.header = header
        self.source = source
    }

    /// The chip behind the header's GPIOs.
    public var headerChip: BoardChip { chips[0] }

    /// The header chip's label, for example `pinctrl-rp1`.
    public var chipLabel: String { chips[0].label }

    /// The number of lines of the header chip.
    public var chipLines: Int { chips[0].lines }

    /// True for the simulation board, whose chip is FieldAgent's mock chip.
    public var isSimulated: Bool { chipLabel == "fieldagent-mock" }

    /// The pin called `text`: `GPIO17` or `header.11` (see "Naming pins" above).
    ///
    /// Throws for a name that is not a GPIO on this board's header, with a message that says what the
    /// board has: `unknown pin "GPIO71" on board rpi4; the board has GPIO0…GPIO27 (or header.N)`, and for
    /// power and ground pins (`header.1 is a 3V3 power pin on board rpi4, not a GPIO; …`).
    public func resolve(pin text: String) throws(BoardError) -> ResolvedPin {
        let lower = text.lowercased()
        if lower.hasPrefix("gpio"), let bcm = Self.number(lower.dropFirst(4)) {
            guard let index = header.firstIndex(where: { $0.bcm == bcm }) else {
                throw BoardError("unknown pin \"\(text)\" on board \(name); the board has \(gpioRange) (or header.N)")
            }
            return resolved(index)
        }
        if lower.hasPrefix("header."), let n = Self.number(lower.dropFirst(7)) {
            guard (1...header.count).contains(n) else {
                throw BoardError("unknown pin \"\(text)\" on board \(name); the header has pins header.1…header.\(header.count)")
            }
            switch header[n - 1] {
            case .power(let v): throw BoardError("\(text) is a \(v) power pin on board \(name), not a GPIO; see 'fieldagent boards \(name)'")
            case .ground: throw BoardError("\(text) is a ground pin on board \(name), not a GPIO; see 'fieldagent boards \(name)'")
            case .gpio: return resolved(n - 1)
            }
        }
        if let n = Self.number(Substring(lower)) {
            var readings: [String] = []
            if (1...header.count).contains(n) { readings.append("header.\(n) (physical pin \(n): \(header[n - 1].label))") }
            if let i = header.firstIndex(where: { $0.bcm == n }) { readings.append("GPIO\(n) (header.\(i + 1))") }
            let fix = readings.isEmpty ? "write a BCM name like GPIO17 or a header position like header.11" : "write " + readings.joined(separator: " or ")
            throw BoardError("pin \"\(text)\" is ambiguous on board \(name); \(fix)")
        }
        throw BoardError("unknown pin \"\(text)\" on board \(name); write a BCM name (the board has \(gpioRange)) or a header position (header.1…header.\(header.count))")
    }

    /// The pins a config can name, for messages: `GPIO0…GPIO27`.
    public var gpioRange: String {
        let numbers = header.compactMap(\.bcm)
        return "GPIO\(numbers.min() ?? 0)…GPIO\(numbers.max() ?? 0)"
    }

    /// Names for the lines of the chip labelled `label` (`GPIO0`, `GPIO1` …), used to name the mock chip's lines.
    /// A chip the board does not list gets 64 names.
    public func lineNames(ofChip label: String) -> [String] {
        let lines = chips.first { $0.label == label }?.lines ?? 64
        return (0..<lines).map { "GPIO\($0)" }
    }

    private func resolved(_ index: Int) -> ResolvedPin {
        guard case .gpio(let bcm, let role) = header[index] else { preconditionFailure("header pin \(index + 1) is not a GPIO") }
        return ResolvedPin(bcmName: "GPIO\(bcm)", headerPin: index + 1, chipLabel: chipLabel, line: bcm, role: role)
    }

    /// Plain decimal digits (no sign, no spaces) as a number.
    private static func number(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.count <= 6, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(s)
    }
}
