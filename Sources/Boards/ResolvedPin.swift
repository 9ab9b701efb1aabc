/// A pin a config names, resolved on its board: the chip (by label) and line offset to request,
/// plus the names people know it by, for messages and logs.
public struct ResolvedPin: Sendable, Hashable, CustomStringConvertible {
    /// The BCM name: `GPIO17`.
    public var bcmName: String
    /// Physical header position (1…40), or nil for a line that is not on the header.
    public var headerPin: Int?
    /// The label of the chip the line is on (`pinctrl-bcm2711`): open the chip by this, never by number.
    public var chipLabel: String
    /// Line offset on that chip (on Raspberry Pi header chips, the BCM number).
    public var line: Int
    /// The pin's fixed role on the board (`i2c1-sda`), if any: using it as plain GPIO earns a warning.
    public var role: String?

    /// A resolved pin; usually made by ``Board/resolve(pin:)``.
    public init(bcmName: String, headerPin: Int?, chipLabel: String, line: Int, role: String?) {
        self.bcmName = bcmName
        self.headerPin = headerPin
        self.chipLabel = chipLabel
        self.line = line
        self.role = role
    }

    /// `GPIO17 (header.11, pinctrl-bcm2711 line 17)`.
    public var description: String {
        let header = headerPin.map { "header.\($0), " } ?? ""
        return "\(bcmName) (\(header)\(chipLabel) line \(line))"
    }
}
