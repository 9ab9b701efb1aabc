/// The header as text, for `fieldagent boards NAME`.
extension Board {
    /// The 40-pin header as a two-column table, the way pinout tools print it: odd pins on the left,
    /// even on the right, each with its BCM name and fixed role, or its supply.
    /// ```
    /// rpi5: Raspberry Pi 5
    /// chip: pinctrl-rp1 (54 lines), found by its label; line offset = BCM number
    ///
    ///                    3V3   1 | 2   5V
    ///       GPIO2 (i2c1-sda)   3 | 4   5V
    /// ```
    public func pinTable() -> String {
        func pad(_ s: String, _ width: Int, right: Bool) -> String {
            let fill = String(repeating: " ", count: max(0, width - s.count))
            return right ? fill + s : s + fill
        }
        let width = header.map(\.label.count).max() ?? 0
        var out = "\(name): \(description)\n"
        if !aliases.isEmpty { out += "aliases: \(aliases.joined(separator: ", "))\n" }
        out += "chip: \(chipLabel) (\(chipLines) lines), found by its label; line offset = BCM number\n"
        for other in chips.dropFirst() {
            out += "other chip: \(other.label) (\(other.lines) lines)" + (other.note.isEmpty ? "" : ": \(other.note)") + "\n"
        }
        if !note.isEmpty { out += "note: \(note)\n" }
        out += "\n"
        for row in 0..<(header.count / 2) {
            let left = row * 2 + 1, right = left + 1
            out += pad(header[left - 1].label, width, right: true) + "  " + pad("\(left)", 2, right: true) + " | "
                + pad("\(right)", 2, right: false) + "  " + header[right - 1].label + "\n"
        }
        out += "\nIn a config: pin: GPIO17 (BCM name) or pin: header.11 (physical position). (role): a fixed use; a warning as plain GPIO.\n"
        return out
    }
}
