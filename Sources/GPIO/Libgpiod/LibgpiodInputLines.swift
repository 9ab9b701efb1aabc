import CGPIOFacade
import EventLoop
import Glibc

/// Input lines requested together through libgpiod. Each line's edge events are read when the loop reports
/// its descriptor readable (libgpiod 1.x gives every line of an edge request its own descriptor).
///
/// The kernel queues at most ``kernelQueue`` events per line (uAPI v1) and silently drops newer ones, so after a
/// burst that long, a both-edges line's last event may not match its level: then the level is read and the
/// missing edge is reported, stamped when it was found.
final class LibgpiodInputLines: GPIOInputLines {
    /// Events the kernel queues per line for uAPI v1 (`lineevent_state.events` in gpiolib-cdev.c).
    static let kernelQueue = 16
    // request is valid until release() frees it; nil afterwards.
    private var request: OpaquePointer?
    // Keeps the chip open while the lines are held: libgpiod 1.x frees a chip's line objects when it closes.
    private let chip: LibgpiodChip
    private let loop: EventLoop
    private let onEdge: (EdgeEvent) -> Void
    private var watchedFDs: [Int32] = []
    /// Whether a lost edge can be told from the level: only when both edges are reported.
    private let bothEdges: Bool
    let lines: [Int]

    init(request: OpaquePointer, chip: LibgpiodChip, lines: [Int], edges: EdgeDetection, loop: EventLoop,
         onEdge: @escaping (EdgeEvent) -> Void) {
        self.request = request
        self.chip = chip
        self.lines = lines
        bothEdges = edges == .both
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
            try loop.watch(fd, for: [.readable, .priority]) { [unowned self] _ in self.readEvents(index, fd: fd) }
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

    /// Reads every queued event of line `index` (its descriptor `fd` is readable) and reports them in order.
    private func readEvents(_ index: Int, fd: Int32) {
        var total = 0
        var last: Edge?
        while true {
            let (n, edge) = readBatch(index)
            total += n
            if let edge { last = edge }
            // A full batch may leave more queued; read again only if the descriptor says so (reads block).
            guard n == Self.batch, request != nil, Self.isReadable(fd) else { break }
        }
        if bothEdges, total >= Self.kernelQueue, let last { reportLostEdge(index, after: last) }
    }

    private static let batch = 8

    /// One read of up to ``batch`` events; returns how many were reported and the last one's direction.
    private func readBatch(_ index: Int) -> (Int, Edge?) {
        guard let request else { return (0, nil) }
        // A fixed-size tuple on the stack: no allocation per edge.
        var buffer = (fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event(),
                      fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event())
        let n = withUnsafeMutableBytes(of: &buffer) { raw -> Int32 in
            // raw spans 8 contiguous fa_edge_event values owned by this frame.
            fa_request_read_events(request, UInt32(index), raw.baseAddress!.assumingMemoryBound(to: fa_edge_event.self), Int32(Self.batch))
        }
        guard n > 0 else { return (0, nil) }
        var last: Edge?
        withUnsafeBytes(of: &buffer) { raw in
            let events = raw.bindMemory(to: fa_edge_event.self)
            for i in 0..<Int(n) {
                let e = events[i]
                let edge: Edge = e.rising != 0 ? .rising : .falling
                last = edge
                onEdge(EdgeEvent(line: Int(e.offset), edge: edge, timestamp: Instant(nanoseconds: Int64(bitPattern: e.timestamp_ns))))
            }
        }
        return (Int(n), last)
    }

    /// After a burst that may have overflowed the kernel's queue: if the level disagrees with the last edge
    /// reported, the kernel dropped the edges that led there; report the one that matters.
    private func reportLostEdge(_ index: Int, after last: Edge) {
        guard request != nil, let values = try? read(), values[index] != last.value else { return }
        onEdge(EdgeEvent(line: lines[index], edge: values[index] ? .rising : .falling, timestamp: loop.preciseNow()))
    }

    private static func isReadable(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLIN) != 0
    }
}
