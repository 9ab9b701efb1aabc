/// An input line of a ``MockChip``.
final class MockInputLine: GPIOInputLine {
    private weak var chip: MockChip?
    let line: Int

    init(chip: MockChip, line: Int) {
        self.chip = chip
        self.line = line
    }

    func read() throws(GPIOError) -> Bool {
        guard let chip else { preconditionFailure("mock line \(line) used after its chip") }
        return chip.logicalInput(line)
    }

    func release() {
        chip?.release(line)
        chip = nil
    }
}
