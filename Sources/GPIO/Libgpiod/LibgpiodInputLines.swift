import CGPIOFacade
import EventLoop
import Glibc

/// Input lines requested together through libgpiod. Edge events are read when the loop reports an event
/// descriptor readable: libgpiod 1.x gives every line with edge detection its own descriptor, 2.x one for the
/// whole request, read in bulk (up to ``batch`` events per read).
///
/// The kernel's event queue is bounded (uAPI v1: 16 per line, newest dropped; uAPI v2: 16 per line for the
/// request, oldest dropped, and every event numbered per line). After a lost event a both-edges line's last
/// reported edge may not match its level: then the level is read and the missing edge is reported, stamped when
/// it was found. Loss is known from a gap in the line's sequence numbers (2.x) or suspected after a full queue (1.x).
final class LibgpiodInputLines: GPIOInputLines {
    // request is valid until release() frees it; nil afterwards.
    private var request: OpaquePointer?
    // Keeps the chip open while the lines are held: libgpiod 1.x frees a chip's line objects when it closes.
    private let chip: LibgpiodChip
    private let loop: EventLoop
    private let onEdge: (EdgeEvent) -> Void
    private var watchedFDs: [Int32] = []
    /// Per line (request order): whether a lost edge can be told from the level (only when both edges are reported).
    private let bothEdges: [Bool]
    /// Per line: the sequence number of the last event seen (2.x; 0 before the first).
    private var lastSeqno: [UInt64]
    /// Per line: its last edge reported in the current ``readEvents(_:fd:)`` (reused: no allocation per read).
    private var lastEdge: [Edge?]
    let lines: [Int]

    init(request: OpaquePointer, chip: LibgpiodChip, lines: [Int], edges: [EdgeDetection], loop: EventLoop,
         onEdge: @escaping (EdgeEvent) -> Void) {
        self.request = request
        self.chip = chip
        self.lines = lines
        bothEdges = edges.map { $0 == .both }
        lastSeqno = Array(repeating: 0, count: lines.count)
        lastEdge = Array(repeating: nil, count: lines.count)
        self.loop = loop
        self.onEdge = onEdge
    }

    deinit { release() }

    /// Watches the request's event descriptors on the loop (none without edge detection).
    func startWatching() throws(SystemError) {
        guard let request else { return }
        for index in 0..<Int(fa_request_event_fd_count(request)) {
            let fd = fa_request_event_fd(request, UInt32(index))
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

    /// Reads every queued event of event descriptor `index` (`fd`, readable) and reports them in order; then
    /// reconciles the lines that may have lost events.
    private func readEvents(_ index: Int, fd: Int32) {
        guard let request else { return }
        let queue = Int(fa_request_event_queue(request, UInt32(index)))
        var total = 0
        // Bit i: line i may have lost an event; its last reported edge, per line.
        var suspect: UInt64 = 0
        for i in lastEdge.indices { lastEdge[i] = nil }
        while true {
            let n = readBatch(index, suspect: &suspect)
            total += n
            // A full batch may leave more queued; read again only if the descriptor says so (reads block).
            guard n == Self.batch, self.request != nil, Self.isReadable(fd) else { break }
        }
        // uAPI v1 numbers nothing: a full queue is the only sign of loss, for every line behind this descriptor.
        if total >= queue {
            for (i, e) in lastEdge.enumerated() where e != nil { suspect |= 1 << UInt64(i) }
        }
        guard suspect != 0 else { return }
        for i in lines.indices where suspect & (1 << UInt64(i)) != 0 {
            if bothEdges[i], let last = lastEdge[i] { reportLostEdge(i, after: last) }
        }
    }

    static let batch = 16

    /// One read of up to ``batch`` events; reports them and returns how many there were.
    private func readBatch(_ index: Int, suspect: inout UInt64) -> Int {
        guard let request else { return 0 }
        // A fixed-size tuple on the stack: no allocation per read.
        var buffer = (fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event(),
                      fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event(),
                      fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event(),
                      fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event())
        let n = withUnsafeMutableBytes(of: &buffer) { raw -> Int32 in
            // raw spans 16 contiguous fa_edge_event values owned by this frame.
            fa_request_read_events(request, UInt32(index), raw.baseAddress!.assumingMemoryBound(to: fa_edge_event.self), Int32(Self.batch))
        }
        guard n > 0 else { return 0 }
        withUnsafeBytes(of: &buffer) { raw in
            let events = raw.bindMemory(to: fa_edge_event.self)
            for k in 0..<Int(n) {
                let e = events[k]
                let edge: Edge = e.rising != 0 ? .rising : .falling
                if let i = lines.firstIndex(of: Int(e.offset)) {
                    lastEdge[i] = edge
                    if e.line_seqno != 0 {
                        if lastSeqno[i] != 0 && e.line_seqno != lastSeqno[i] &+ 1 { suspect |= 1 << UInt64(i) }
                        lastSeqno[i] = e.line_seqno
                    }
                }
                onEdge(EdgeEvent(line: Int(e.offset), edge: edge, timestamp: Instant(nanoseconds: Int64(bitPattern: e.timestamp_ns))))
            }
        }
        return Int(n)
    }

    /// After events were lost: if line `index`'s level disagrees with the last edge reported, the kernel dropped
    /// the edges that led there; report the one that matters.
    private func reportLostEdge(_ index: Int, after last: Edge) {
        guard request != nil, let values = try? read(), values[index] != last.value else { return }
        onEdge(EdgeEvent(line: lines[index], edge: values[index] ? .rising : .falling, timestamp: loop.preciseNow()))
    }

    private static func isReadable(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLIN) != 0
    }
}
