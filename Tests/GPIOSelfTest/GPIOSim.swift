import Glibc

/// The outside world of one gpio-sim chip, through its sysfs folder (what `mksim` prints): pulls an input
/// line up or down like a switch, and reads the level a program drives on a line.
struct GPIOSim {
    /// The chip's sysfs folder, for example `/sys/devices/platform/gpio-sim.0/gpiochip0`.
    let directory: String

    /// Pulls line `line` up (`true`) or down, as `echo pull-up > DIR/sim_gpioN/pull` does.
    func pull(_ line: Int, up: Bool) throws(SelfTestFailure) {
        let path = "\(directory)/sim_gpio\(line)/pull"
        let text = up ? "pull-up" : "pull-down"
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw SelfTestFailure("open \(path): errno \(errno)") }
        defer { close(fd) }
        let n = text.withCString { write(fd, $0, strlen($0)) }
        guard n == text.utf8.count else { throw SelfTestFailure("write \(text) to \(path): errno \(errno)") }
    }

    /// The level on line `line` (`DIR/sim_gpioN/value`): what an output drives, or what an input's pull gives.
    func value(_ line: Int) throws(SelfTestFailure) -> Bool {
        let path = "\(directory)/sim_gpio\(line)/value"
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SelfTestFailure("open \(path): errno \(errno)") }
        defer { close(fd) }
        var byte: UInt8 = 0
        guard read(fd, &byte, 1) == 1 else { throw SelfTestFailure("read \(path): errno \(errno)") }
        return byte == UInt8(ascii: "1")
    }

    /// The levels on several lines, as `0101` (first line first).
    func values(_ lines: [Int]) throws(SelfTestFailure) -> String {
        var text = ""
        for line in lines { text += try value(line) ? "1" : "0" }
        return text
    }
}
