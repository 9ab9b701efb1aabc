/// An input line requested through libgpiod: a one-line ``LibgpiodInputLines``.
final class LibgpiodInputLine: GPIOInputLine {
    private let group: LibgpiodInputLines
    let line: Int

    init(_ group: LibgpiodInputLines) {
        self.group = group
        line = group.lines[0]
    }

    func read() throws(GPIOError) -> Bool { try group.read()[0] }

    func release() { group.release() }
}
