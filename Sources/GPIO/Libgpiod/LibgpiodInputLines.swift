import CGPIOFacade
import EventLoop
import Glibc

/// Input lines requested together through libgpiod. Each line's edge events are read when the loop reports
/// its descriptor readable (libgpiod 1.x gives every line of an edge request its own descriptor).
final class LibgpiodInputLines: GPIOInputLines {
    // request is valid until release() frees it; nil afterwards.
    private var request: OpaquePointer?
    // Keeps the chip open while the lines are held: libgpiod 1.x frees a chip's line objects when it closes.
    private let chip: LibgpiodChip
    private let loop: EventLoop
    private let onEdge: (EdgeEvent) -> Void
    private var watchedFDs: [Int32] = []
    let lines: [Int]

    init(request: OpaquePointer, chip: LibgpiodChip, lines: [Int], loop: EventLoop, onEdge: @escaping (EdgeEvent) -> Void) {
        self.request = request
        self.chip = chip
        self.lines = lines
        self.loop = loop
        self.onEdge = onEdge
    }

    deinit { release() }

    /// Watches every line's event descriptor on the loop (nothing to do without edge detection).
    func startWatching() throws(SystemError) {
        guard let request else { return }
        for index in lines.indices {
            let fd = fa_request_fd(request, UInt32(index))
            guard fd >= 0 else { continue }
            try loop.watch(fd, for: [.readable, .priority]) { [unowned self] _ in self.readEvents(index) }
            watchedFDs.append(fd)
        }
    }

    func read() throws(GPIOError) -> GPIOLineValues {
        guard let request else { preconditionFailure("lines \(lines) read after release") }
        // A fixed-size tuple on the stack: no allocation per read.
        var raw = FacadeValues()
        let rc = withUnsafeMutableBytes(of: &raw) { buf in
            // buf spans FacadeValues.capacity contiguous Int32 values owned by this frame; the request has at most that many lines.
            fa_request_get(request, buf.baseAddress!.assumingMemoryBound(to: Int32.self))
        }
        guard rc == 0 else { throw chip.error(errno, "read \(chip.label) lines \(lines)") }
        return raw.values(count: lines.count)
    }

    func release() {
        guard let request else { return }
        for fd in watchedFDs { loop.unwatch(fd) }
        watchedFDs = []
        fa_request_release(request)
        self.request = nil
    }

    private func readEvents(_ index: Int) {
        guard let request else { return }
        // A fixed-size tuple on the stack: no allocation per edge.
        var buffer = (fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event(),
                      fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event())
        let n = withUnsafeMutableBytes(of: &buffer) { raw -> Int32 in
            // raw spans 8 contiguous fa_edge_event values owned by this frame.
            fa_request_read_events(request, UInt32(index), raw.baseAddress!.assumingMemoryBound(to: fa_edge_event.self), 8)
        }
        guard n > 0 else { return }
        withUnsafeBytes(of: &buffer) { raw in
            let events = raw.bindMemory(to: fa_edge_event.self)
            for i in 0..<Int(n) {
                let e = events[i]
                onEdge(EdgeEvent(line: Int(e.offset), edge: e.rising != 0 ? .rising : .falling,
                                 timestamp: Instant(nanoseconds: Int64(bitPattern: e.timestamp_ns))))
            }
        }
    }
}
