import EventLoop
import Glibc

/// `fieldagent modbus serve --probe-stdin`: an event source on the server's own loop, standing in for a GPIO
/// edge. Another process writes `T <CLOCK_MONOTONIC ns>` lines; the latency is the time from that stamp to the
/// handler running. If a Modbus client could stall the loop, it would show here.
final class LatencyProbe {
    private let loop: EventLoop
    private let fd: Int32
    private var pending: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var samples: [Duration] = []

    init(loop: EventLoop, fd: Int32) throws(SystemError) {
        self.loop = loop
        self.fd = fd
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        samples.reserveCapacity(100_000)
        try loop.watch(fd, for: .readable) { [unowned self] _ in self.readable() }
    }

    private func readable() {
        let arrived = loop.preciseNow()
        let n = buffer.withUnsafeMutableBytes { raw in
            // raw is the probe's 4 KiB buffer.
            read(fd, raw.baseAddress, raw.count)
        }
        guard n > 0 else {
            if n == 0 || (errno != EAGAIN && errno != EINTR) {
                loop.unwatch(fd)
                loop.stop()  // the event source is gone: the benchmark is over
            }
            return
        }
        pending += buffer[0..<n]
        while let newline = pending.firstIndex(of: 10) {
            let line = pending[..<newline]
            if line.starts(with: [UInt8(ascii: "T"), UInt8(ascii: " ")]), let ns = Int64(String(decoding: line.dropFirst(2), as: UTF8.self)) {
                samples.append(arrived - Instant(nanoseconds: ns))
            }
            pending.removeSubrange(...newline)
        }
    }

    /// `probe events=N p50_us=… p99_us=… max_us=…`.
    func report() -> String {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return "probe events=0" }
        func us(_ d: Duration) -> String { String(Int((d.microseconds).rounded())) }
        return "probe events=\(sorted.count) p50_us=\(us(sorted[sorted.count / 2])) p99_us=\(us(sorted[sorted.count * 99 / 100])) max_us=\(us(sorted.last!))"
    }
}
