/// Input lines of a ``MockChip`` requested together.
final class MockInputLines: GPIOInputLines {
    private weak var chip: MockChip?
    let lines: [Int]

    init(chip: MockChip, lines: [Int]) {
        self.chip = chip
        self.lines = lines
    }

    func read() throws(GPIOError) -> GPIOLineValues {
        guard let chip else { preconditionFailure("mock lines \(lines) used after release or after their chip") }
        return chip.logicalInputs(lines)
    }

    func release() {
        guard let chip else { return }
        for line in lines { chip.release(line) }
        self.chip = nil
    }
}
