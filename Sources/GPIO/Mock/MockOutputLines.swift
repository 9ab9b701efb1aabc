/// Output lines of a ``MockChip`` requested together and written together.
final class MockOutputLines: GPIOOutputLines {
    private weak var chip: MockChip?
    let lines: [Int]
    private(set) var values: GPIOLineValues

    init(chip: MockChip, lines: [Int], values: GPIOLineValues) {
        self.chip = chip
        self.lines = lines
        self.values = values
    }

    func write(_ values: GPIOLineValues) throws(GPIOError) {
        guard let chip else { preconditionFailure("mock lines \(lines) used after release or after their chip") }
        precondition(values.count == lines.count, "\(values.count) values for \(lines.count) lines")
        self.values = values
        for (i, line) in lines.enumerated() { chip.writeOutput(line, logical: values[i]) }
    }

    func readBack() throws(GPIOError) -> GPIOLineValues {
        guard let chip else { preconditionFailure("mock lines \(lines) read after release or after their chip") }
        var values = GPIOLineValues(count: lines.count)
        for (i, line) in lines.enumerated() where chip.logicalOutput(line) { values[i] = true }
        return values
    }

    func release() {
        guard let chip else { return }
        for line in lines { chip.release(line) }
        self.chip = nil
    }
}
