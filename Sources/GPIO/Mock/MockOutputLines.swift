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

    func release() {
        guard let chip else { return }
        for line in lines { chip.release(line) }
        self.chip = nil
    }
}
