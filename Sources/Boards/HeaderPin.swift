/// What one physical pin of the 40-pin header is.
public enum HeaderPin: Sendable, Equatable {
    /// A supply pin: `3V3` or `5V`.
    case power(String)
    /// A ground pin.
    case ground
    /// A GPIO: BCM number (= line offset on the board's header chip) and an optional fixed role
    /// (`i2c1-sda`, `uart-tx`, `hat-id-sd`, `spi0-mosi` …) that earns a warning when used as plain GPIO.
    case gpio(bcm: Int, role: String?)

    /// The BCM number for a GPIO pin, nil for power and ground.
    public var bcm: Int? {
        if case .gpio(let bcm, _) = self { return bcm }
        return nil
    }

    /// How pin tables print it: `GPIO2 (i2c1-sda)`, `GPIO17`, `3V3`, `5V`, `GND`.
    public var label: String {
        switch self {
        case .power(let v): v
        case .ground: "GND"
        case .gpio(let bcm, let role): "GPIO\(bcm)" + (role.map { " (\($0))" } ?? "")
        }
    }
}
