import YAML

/// Reading a board file (`Boards/raspberrypi/rpi4.yaml`):
/// ```yaml
/// name: rpi4                                  # what configs write after board:
/// description: "Raspberry Pi 4 Model B / Pi 400"
/// aliases: [pi4, rpi4b]                       # optional
/// models: ["Raspberry Pi 4 Model B"]          # optional: substrings of /proc/device-tree/model
/// chip: {label: pinctrl-bcm2711, lines: 58}   # the chip behind the header's GPIOs, by label
/// other_chips:                                # optional, for reference
///   - {label: raspberrypi-exp-gpio, lines: 8, note: "board LEDs"}
/// note: "…"                                   # optional
/// header:                                     # all of 1…40
///   1: 3V3
///   3: GPIO2 i2c1-sda                         # GPIOn [fixed role]; n is the line offset on the chip
///   6: GND
/// ```
extension Board {
    /// The keys a board file may have.
    public static let fileKeys = ["name", "description", "aliases", "models", "chip", "other_chips", "note", "header"]

    /// Reads and checks a parsed board file: known keys, the chip, a complete header (pins 1…40 each
    /// described once), each GPIO once, offsets within the chip. Errors carry `file:line:column`.
    public static func parse(_ node: YAMLNode) throws(BoardError) -> Board {
        do {
            return try read(node)
        } catch {
            throw BoardError(error.description)
        }
    }

    private static func read(_ node: YAMLNode) throws(YAMLError) -> Board {
        guard let pairs = node.mappingPairs else { throw YAMLError(node.mark, "a board file is a mapping (key: value), not \(node.kindName)") }
        for (key, _) in pairs {
            let k = try key.string("a key")
            if !fileKeys.contains(k) {
                throw YAMLError(key.mark, "unknown key '\(k)' in a board file; \(Spelling.hint(for: k, among: fileKeys))known keys: \(fileKeys.joined(separator: ", "))")
            }
        }
        func required(_ key: String) throws(YAMLError) -> YAMLNode {
            guard let v = node[key] else { throw YAMLError(node.mark, "a board file needs '\(key)'") }
            return v
        }
        func list(_ key: String) throws(YAMLError) -> [YAMLNode] {
            guard let v = node[key] else { return [] }
            guard let items = v.sequenceItems else { throw YAMLError(v.mark, "\(key) is a list, not \(v.kindName)") }
            return items
        }

        let nameNode = try required("name")
        let name = try nameNode.string("name")
        guard isBoardName(name) else { throw YAMLError(nameNode.mark, "board name '\(name)': use lower-case letters, digits, - and _") }
        var aliases: [String] = []
        for item in try list("aliases") {
            let a = try item.string("an alias")
            guard isBoardName(a) else { throw YAMLError(item.mark, "alias '\(a)': use lower-case letters, digits, -, _ and +") }
            aliases.append(a)
        }
        var models: [String] = []
        for item in try list("models") { models.append(try item.string("a model")) }
        var chips = [try chip(try required("chip"))]
        for item in try list("other_chips") { chips.append(try chip(item)) }
        let header = try readHeader(try required("header"), chip: chips[0])
        return Board(name: name, description: try node["description"]?.string("description") ?? name, aliases: aliases,
                     models: models, chips: chips, note: try node["note"]?.string("note") ?? "", header: header,
                     source: node.mark.file)
    }

    private static func chip(_ node: YAMLNode) throws(YAMLError) -> BoardChip {
        guard let label = node["label"], let lines = node["lines"] else {
            throw YAMLError(node.mark, "a chip needs label (the kernel's, like pinctrl-bcm2711) and lines (how many)")
        }
        return BoardChip(label: try label.string("label"), lines: try lines.int("lines", in: 1...1024),
                         note: try node["note"]?.string("note") ?? "")
    }

    private static func readHeader(_ node: YAMLNode, chip: BoardChip) throws(YAMLError) -> [HeaderPin] {
        guard let pairs = node.mappingPairs else { throw YAMLError(node.mark, "header maps pin numbers 1…40 to GPIOn [role], 3V3, 5V or GND") }
        var header = [HeaderPin?](repeating: nil, count: 40)
        var seen: [Int: Int] = [:]  // BCM number → header pin
        var seenPins: Set<Int> = []
        for (k, v) in pairs {
            let n = try k.int("a header pin", in: 1...40)
            guard seenPins.insert(n).inserted else { throw YAMLError(k.mark, "header pin \(n) is described twice") }
            let words = try v.string("header pin \(n)").split(separator: " ").map(String.init)
            let kind = words.first ?? ""
            if words.count == 1, kind == "3V3" || kind == "5V" {
                header[n - 1] = .power(kind)
            } else if words == ["GND"] {
                header[n - 1] = .ground
            } else if kind.hasPrefix("GPIO"), words.count <= 2 {
                guard let bcm = Int(kind.dropFirst(4)), bcm >= 0 else { throw YAMLError(v.mark, "'\(kind)': write GPIOn, n a line offset") }
                guard bcm < chip.lines else { throw YAMLError(v.mark, "'\(kind)' is not a line of chip \(chip.label) (0…\(chip.lines - 1))") }
                if let other = seen[bcm] { throw YAMLError(v.mark, "\(kind) is already header pin \(other)") }
                seen[bcm] = n
                header[n - 1] = .gpio(bcm: bcm, role: words.count > 1 ? words[1] : nil)
            } else {
                throw YAMLError(v.mark, "'\(words.joined(separator: " "))': expected GPIOn [role], 3V3, 5V or GND")
            }
        }
        let missing = header.indices.filter { header[$0] == nil }.map { "\($0 + 1)" }
        guard missing.isEmpty else { throw YAMLError(node.mark, "header incomplete; pins \(missing.joined(separator: ", ")) are not described") }
        return header.map { $0! }
    }

    private static func isBoardName(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "-_+".contains($0)) }
    }
}
