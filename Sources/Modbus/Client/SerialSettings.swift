/// A serial line for Modbus RTU: device, speed and framing, and RS-485 direction control.
public struct SerialSettings: Sendable, Equatable, Hashable {
    /// Character parity.
    public enum Parity: String, Sendable, CaseIterable, Hashable {
        /// No parity bit (`N`).
        case none = "N"
        /// Even parity (`E`), the Modbus default.
        case even = "E"
        /// Odd parity (`O`).
        case odd = "O"
    }

    /// The device, for example `/dev/serial0` or `/dev/ttyUSB0`.
    public var device: String
    /// Bits per second (1200…921600).
    public var baud: Int
    /// Parity (default even, as the Modbus specification says).
    public var parity: Parity
    /// 7 or 8.
    public var dataBits: Int
    /// 1 or 2.
    public var stopBits: Int
    /// Ask the kernel to drive RTS as the RS-485 driver-enable line (TIOCSRS485), for transceivers whose DE pin is
    /// wired to RTS. Ports without kernel RS-485 support refuse it, and opening the port fails with a clear error.
    public var rs485: Bool
    /// With ``rs485``: RTS level while sending (true: high).
    public var rtsOnSend: Bool
    /// With ``rs485``: delay after raising RTS before sending, in milliseconds.
    public var rtsDelayBefore: Int
    /// With ``rs485``: delay after sending before dropping RTS, in milliseconds.
    public var rtsDelayAfter: Int

    public init(device: String, baud: Int = 19200, parity: Parity = .even, dataBits: Int = 8, stopBits: Int = 1,
                rs485: Bool = false, rtsOnSend: Bool = true, rtsDelayBefore: Int = 0, rtsDelayAfter: Int = 0) {
        self.device = device
        self.baud = baud
        self.parity = parity
        self.dataBits = dataBits
        self.stopBits = stopBits
        self.rs485 = rs485
        self.rtsOnSend = rtsOnSend
        self.rtsDelayBefore = rtsDelayBefore
        self.rtsDelayAfter = rtsDelayAfter
    }

    /// Bits on the wire per character: start, data, parity, stop.
    public var bitsPerCharacter: Int { 1 + dataBits + (parity == .none ? 0 : 1) + stopBits }

    /// The silence that ends a frame (3.5 characters; fixed at 1.75 ms above 19200 baud, as the spec says).
    public var interFrameDelay: Duration {
        if baud > 19200 { return .microseconds(1750) }
        return .nanoseconds(Int64(3.5 * Double(bitsPerCharacter) / Double(baud) * 1e9))
    }

    /// How long `bytes` take on the wire.
    public func transmitTime(bytes: Int) -> Duration {
        .nanoseconds(Int64(Double(bytes * bitsPerCharacter) / Double(baud) * 1e9))
    }
}
