/// A GPIO chip on a board, named by its kernel label (`pinctrl-bcm2711`), never by its number
/// (`gpiochip4` became `gpiochip0` on the Pi 5 with kernel 6.6.45).
public struct BoardChip: Sendable, Equatable {
    /// The label the kernel gives the chip: what libgpiod matches to open it.
    public var label: String
    /// The number of lines of the chip; line offsets are 0 ..< lines.
    public var lines: Int
    /// What the chip is for, for people (`board LEDs, not on the header`); may be empty.
    public var note: String

    /// A chip with `label` and `lines` lines.
    public init(label: String, lines: Int, note: String = "") {
        self.label = label
        self.lines = lines
        self.note = note
    }
}
