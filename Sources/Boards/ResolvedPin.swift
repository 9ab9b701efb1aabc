/// A pin a config names, resolved on its board: chip label and line offset, plus names for messages.
public struct ResolvedPin: Sendable, Equatable {
    /// `GPIO17`.
    public var bcmName: String
    /// Physical header position (1…40), or nil for a line not on the header.
    public var headerPin: Int?
    /// The label of the chip the line is on (`pinctrl-bcm2711`).
    public var chipLabel: String
    /// Line offset on that chip.
    public var line: Int
    /// A fixed role of the pin on the board (`i2c1-sda`), if any.
    public var role: String?

    public init(bcmName: String, headerPin: Int?, chipLabel: String, line: Int, role: String?) {
        self.bcmName = bcmName
        self.headerPin = headerPin
        self.chipLabel = chipLabel
        self.line = line
        self.role = role
    }
}
