/// What one physical pin of the 40-pin header is.
public enum HeaderPin: Sendable, Equatable {
    /// A supply pin: `3V3` or `5V`.
    case power(String)
    case ground
    /// A GPIO: BCM number (= line offset on the board's chip) and an optional fixed role (`i2c1-sda`).
    case gpio(bcm: Int, role: String?)
}
