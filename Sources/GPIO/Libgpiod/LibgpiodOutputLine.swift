/// An output line requested through libgpiod: a one-line ``LibgpiodOutputLines``.
final class LibgpiodOutputLine: GPIOOutputLine {
    private let group: LibgpiodOutputLines
    let line: Int

    init(_ group: LibgpiodOutputLines) {
        self.group = group
        line = group.lines[0]
    }

    var value: Bool { group.values[0] }

    func write(_ value: Bool) throws(GPIOError) { try group.write(GPIOLineValues(count: 1, bits: value ? 1 : 0)) }

    func readBack() throws(GPIOError) -> Bool { try group.readBack()[0] }

    func release() { group.release() }
}
