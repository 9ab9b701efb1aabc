import CGPIOFacade
import Glibc

/// Output lines requested together through libgpiod and written in one call.
final class LibgpiodOutputLines: GPIOOutputLines {
    // request is valid until release() frees it; nil afterwards.
    private var request: OpaquePointer?
    // Keeps the chip open while the lines are held: libgpiod 1.x frees a chip's line objects when it closes.
    private let chip: LibgpiodChip
    let lines: [Int]
    private(set) var values: GPIOLineValues

    init(request: OpaquePointer, chip: LibgpiodChip, lines: [Int], values: GPIOLineValues) {
        self.request = request
        self.chip = chip
        self.lines = lines
        self.values = values
    }

    deinit { release() }

    func write(_ values: GPIOLineValues) throws(GPIOError) {
        guard let request else { preconditionFailure("lines \(lines) written after release") }
        precondition(values.count == lines.count, "\(values.count) values for \(lines.count) lines")
        var raw = FacadeValues(values)
        let rc = withUnsafeBytes(of: &raw) { buf in
            // buf spans FacadeValues.capacity contiguous Int32 values owned by this frame; the request has at most that many lines.
            fa_request_set(request, buf.baseAddress!.assumingMemoryBound(to: Int32.self))
        }
        guard rc == 0 else { throw chip.error(errno, "write \(chip.label) lines \(lines)") }
        self.values = values
    }

    func readBack() throws(GPIOError) -> GPIOLineValues {
        guard let request else { preconditionFailure("lines \(lines) read after release") }
        var raw = FacadeValues()
        let rc = withUnsafeMutableBytes(of: &raw) { buf in
            // buf spans FacadeValues.capacity contiguous Int32 values owned by this frame; the request has at most that many lines.
            fa_request_get(request, buf.baseAddress!.assumingMemoryBound(to: Int32.self))
        }
        guard rc == 0 else { throw chip.error(errno, "read back \(chip.label) lines \(lines)") }
        return raw.values(count: lines.count)
    }

    func release() {
        guard let request else { return }
        fa_request_release(request)
        self.request = nil
    }
}
