import EventLoop

/// Why a GPIO operation failed, with what a user needs to fix it.
public struct GPIOError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Equatable, Sendable {
        /// No chip with that label or path.
        case chipNotFound
        /// The line is held by another consumer.
        case busy
        /// The offset is beyond the chip's lines.
        case noSuchLine
        /// Not allowed to open the chip (group membership, udev rule).
        case permissionDenied
        /// The request itself is wrong: no lines, too many, a line twice, or values that do not match the lines.
        case invalidRequest
        /// Any other failure of the system call.
        case system(Int32)
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Builds the error for a failed libgpiod/kernel call from its `errno`.
    static func fromErrno(_ code: Int32, _ what: String) -> GPIOError {
        let reason = SystemError.message(for: code)
        switch code {
        case 16: // EBUSY
            return GPIOError(.busy, "\(what): line busy (\(reason)); another program holds it (see `gpioinfo`)")
        case 13, 1: // EACCES, EPERM
            return GPIOError(.permissionDenied,
                             "\(what): \(reason); run as a member of the gpio group (Raspberry Pi OS) or install Systemd/60-fieldagent-gpio.rules")
        case 2, 19: // ENOENT, ENODEV
            return GPIOError(.chipNotFound, "\(what): \(reason)")
        case 22: // EINVAL
            return GPIOError(.system(code), "\(what): \(reason); the kernel refused the line settings")
        default:
            return GPIOError(.system(code), "\(what): \(reason) (errno \(code))")
        }
    }
}
