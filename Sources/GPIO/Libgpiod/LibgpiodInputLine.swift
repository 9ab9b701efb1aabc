import CGPIOFacade
import EventLoop
import Glibc

/// An input line requested through libgpiod; its edge events are read when the loop reports the
/// request's descriptor readable.
final class LibgpiodInputLine: GPIOInputLine {
    // request is valid until release() frees it; nil afterwards.
    private var request: OpaquePointer?
    private let loop: EventLoop
    private let onEdge: (EdgeEvent) -> Void
    private var watchedFD: Int32 = -1
    let line: Int

    init(request: OpaquePointer, line: Int, loop: EventLoop, onEdge: @escaping (EdgeEvent) -> Void) {
        self.request = request
        self.line = line
        self.loop = loop
        self.onEdge = onEdge
    }

    deinit { release() }

    func startWatching() throws(SystemError) {
        guard let request else { return }
        let fd = fa_request_fd(request, 0)
        guard fd >= 0 else { return }
        try loop.watch(fd, for: [.readable, .priority]) { [unowned self] _ in self.readEvents() }
        watchedFD = fd
    }

    func read() throws(GPIOError) -> Bool {
        guard let request else { preconditionFailure("line \(line) read after release") }
        var value: Int32 = 0
        guard fa_request_get(request, &value) == 0 else { throw GPIOError.fromErrno(errno, "read line \(line)") }
        return value != 0
    }

    func release() {
        guard let request else { return }
        if watchedFD >= 0 { loop.unwatch(watchedFD) }
        watchedFD = -1
        fa_request_release(request)
        self.request = nil
    }

    private func readEvents() {
        guard let request else { return }
        // A fixed-size tuple on the stack: no allocation per edge.
        var buffer = (fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event(),
                      fa_edge_event(), fa_edge_event(), fa_edge_event(), fa_edge_event())
        let n = withUnsafeMutableBytes(of: &buffer) { raw -> Int32 in
            // raw spans 8 contiguous fa_edge_event values owned by this frame.
            fa_request_read_events(request, 0, raw.baseAddress!.assumingMemoryBound(to: fa_edge_event.self), 8)
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
