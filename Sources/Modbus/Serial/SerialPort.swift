import CLinux
import EventLoop
import Glibc

/// A serial port opened for the loop: non-blocking, raw, with the line settings applied (and RS-485 direction
/// control when asked). The corresponding C calls are `open`, `tcsetattr` and `ioctl(TIOCSRS485)`.
public enum SerialPort {
    /// Opens and configures `settings.device`; returns a non-blocking descriptor.
    public static func open(_ settings: SerialSettings) throws(SystemError) -> Int32 {
        let fd = try retryingSyscall("open \(settings.device)") {
            Glibc.open(settings.device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        }
        let parity: CChar = switch settings.parity {
        case .none: CChar(UInt8(ascii: "N"))
        case .even: CChar(UInt8(ascii: "E"))
        case .odd: CChar(UInt8(ascii: "O"))
        }
        if cl_serial_configure(fd, Int32(settings.baud), parity, Int32(settings.dataBits), Int32(settings.stopBits)) != 0 {
            let error = SystemError("configure \(settings.device) at \(settings.baud) baud \(settings.dataBits)\(settings.parity.rawValue)\(settings.stopBits)")
            Glibc.close(fd)
            throw error
        }
        if settings.rs485 {
            if cl_serial_set_rs485(fd, 1, settings.rtsOnSend ? 1 : 0, settings.rtsOnSend ? 0 : 1,
                                   UInt32(settings.rtsDelayBefore), UInt32(settings.rtsDelayAfter)) != 0 {
                let error = SystemError("enable RS-485 mode (TIOCSRS485) on \(settings.device); the port's driver may not support it")
                Glibc.close(fd)
                throw error
            }
        }
        return fd
    }
}
