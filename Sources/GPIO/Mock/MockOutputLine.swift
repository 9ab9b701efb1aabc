/// An output line of a ``MockChip``.
final class MockOutputLine: GPIOOutputLine {
    private weak var chip: MockChip?
    let line: Int
    private(set) var value: Bool

    init(chip: MockChip, line: Int, value: Bool) {
        self.chip = chip
        self.line = line
        self.value = value
    }

    func write(_ value: Bool) throws(GPIOError) {
        guard let chip else { preconditionFailure("mock line \(line) used after its chip") }
        self.value = value
        chip.writeOutput(line, logical: value)
    }

    func readBack() throws(GPIOError) -> Bool {
        guard let chip else { preconditionFailure("mock line \(line) read after release or after its chip") }
        return chip.logicalOutput(line)
    }

    func release() {
        chip?.release(line)
        chip = nil
    }
}
