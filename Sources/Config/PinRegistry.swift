import Boards
import YAML

/// The pins a config has claimed on its board: resolves names to chip lines and refuses a pin used
/// twice, naming both uses. Power and ground pins are refused by ``Board/resolve(pin:)``.
struct PinRegistry {
    let board: Board?
    private var used: [ResolvedPin: (owner: String, mark: SourceLocation)] = [:]

    init(board: Board?) { self.board = board }

    mutating func claim(_ node: YAMLNode?, owner: String, entry: SourceLocation, reader: ConfigReader) -> ResolvedPin? {
        guard let node else {
            let see = board.map { "; see 'fieldagent boards \($0.name)'" } ?? ""
            reader.error(entry, "\(owner) needs 'pin' (a BCM name like GPIO17, or a header position like header.11\(see))")
            return nil
        }
        guard let text = reader.string(node, "pin"), let board else { return nil }
        let pin: ResolvedPin
        do {
            pin = try board.resolve(pin: text)
        } catch {
            reader.error(node.mark, error.description)
            return nil
        }
        if let first = used[pin] {
            reader.error(node.mark, "pin \(pin.bcmName) (header.\(pin.headerPin ?? 0)) is used twice: by \(first.owner) (line \(first.mark.line)) "
                         + "and by \(owner) (line \(node.mark.line)); each pin serves one input or output")
            return nil
        }
        used[pin] = (owner, node.mark)
        if let role = pin.role {
            reader.warning(node.mark, "\(pin.bcmName) (header.\(pin.headerPin ?? 0)) is \(role) on board \(board.name); \(Self.consequence(of: role))")
        }
        return pin
    }

    /// What using a pin with `role` as plain GPIO means, in words.
    static func consequence(of role: String) -> String {
        if role.hasPrefix("i2c") {
            return "the board pulls it up to 3.3 V (1.8 kΩ), so it reads high when open, and an I2C device on it will be disturbed"
        }
        if role.hasPrefix("uart") {
            return "the serial console or a serial device may use it; free it in config.txt (enable_uart=0) or with raspi-config"
        }
        if role.hasPrefix("hat-id") {
            return "it is reserved for the HAT ID EEPROM, which the firmware reads at boot; use another pin"
        }
        if role.hasPrefix("spi") {
            return "it is free only while SPI is off (no dtparam=spi=on in config.txt)"
        }
        return "using it as plain GPIO may disturb that function"
    }
}
