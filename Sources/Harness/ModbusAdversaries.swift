import EventLoop
import Glibc

/// The outside world of `fieldagent-bench modbus-adversaries` and of the adversary tests: Modbus peers that
/// misbehave, a well-behaved client, and the GPIO stimulus. Each runs on its own ``HarnessThread`` with plain
/// blocking sockets, so nothing it does runs on (or is paced by) the agent's loop; each returns what it managed to
/// do, to show it ran. Never linked into `fieldagent`.
public enum ModbusAdversaries {
    /// Read 10 holding registers at 0, unit 1 (what the trickler and the mid-frame closer send).
    public static let readHolding: [UInt8] = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10]

    /// Lowers the calling thread's priority to `nice` (Linux: PRIO_PROCESS with 0 names the calling thread only).
    public static func setNice(_ nice: Int32) {
        if nice != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) }
    }

    /// Sleeps until `deadline` on the monotonic clock (threads only; the loop never sleeps).
    public static func sleep(until deadline: Instant) {
        var ts = timespec(tv_sec: Int(deadline.nanoseconds / 1_000_000_000), tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }

    /// A blocking TCP connection to 127.0.0.1:`port` with `TCP_NODELAY` and 2 s send/receive timeouts (so a
    /// stalled server ends the peer instead of hanging the benchmark); nil when the connect fails.
    public static func connect(port: UInt16) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) { p in
            // p is a sockaddr_in; connect reads sizeof(sockaddr_in) bytes of it.
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            return nil
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    private static func send(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) == $0.count }
    }

    /// A client sending one byte every 100 ms (a request completes every 1.2 s). Returns the bytes sent.
    public static func trickle(port: UInt16, until end: Instant) -> Int {
        guard let fd = connect(port: port) else { return 0 }
        defer { close(fd) }
        var sent = 0
        var next = MonotonicClock.now()
        while MonotonicClock.now() < end {
            guard send(fd, readHolding[(sent % readHolding.count)...].prefix(1)) else { break }
            sent += 1
            next = next + .milliseconds(100)
            sleep(until: min(next, end))
        }
        return sent
    }

    /// A client that connects and never sends. Returns 1 when it was connected.
    public static func mute(port: UInt16, until end: Instant) -> Int {
        guard let fd = connect(port: port) else { return 0 }
        sleep(until: end)
        close(fd)
        return 1
    }

    /// Connects, sends the first 5 bytes of a request and closes, every 10 ms. Returns the connections so closed.
    public static func closeMidFrame(port: UInt16, until end: Instant) -> Int {
        var closed = 0
        while MonotonicClock.now() < end {
            if let fd = connect(port: port) {
                if send(fd, readHolding[..<5]) { closed += 1 }
                close(fd)
            }
            sleep(until: min(MonotonicClock.now() + .milliseconds(10), end))
        }
        return closed
    }

    /// What the well-behaved client got.
    public struct HammerResult: Sendable {
        /// Correct answers.
        public var answered = 0
        /// Answers with a wrong transaction id, function or content, or a connection lost early.
        public var wrong = 0
    }

    /// A good client: reads of input registers 0–1 (map version, heartbeat) of the agent's map, one in flight,
    /// each answer checked (transaction id, function, byte count, `mapVersion`); `pause` after each answer (zero:
    /// back to back, at full speed; tests pace it, since correctness, not load, is their point).
    public static func hammer(port: UInt16, mapVersion: UInt16, until end: Instant, pause: Duration = .zero) -> HammerResult {
        var result = HammerResult()
        guard let fd = connect(port: port) else {
            result.wrong = 1
            return result
        }
        defer { close(fd) }
        var request: [UInt8] = [0, 0, 0, 0, 0, 6, 1, 4, 0, 0, 0, 2]
        var answer = [UInt8](repeating: 0, count: 64)
        var tid: UInt16 = 0
        while MonotonicClock.now() < end {
            tid &+= 1
            request[0] = UInt8(tid >> 8)
            request[1] = UInt8(tid & 0xFF)
            guard send(fd, request[...]) else { result.wrong += 1; break }
            var got = 0  // 7 (MBAP) + 1 (function) + 1 (byte count) + 4
            while got < 13 {
                let n = answer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, 64 - got, 0) }
                if n <= 0 { break }
                got += n
            }
            let ok = got == 13 && answer[0] == request[0] && answer[1] == request[1] && answer[7] == 4 && answer[8] == 4
                && UInt16(answer[9]) << 8 | UInt16(answer[10]) == mapVersion
            guard ok else { result.wrong += 1; break }
            result.answered += 1
            if pause > .zero { sleep(until: min(MonotonicClock.now() + pause, end)) }
        }
        return result
    }

    /// A Modbus TCP device that reads a request, sends half an answer and closes, for every connection to
    /// `listener` (a non-blocking listening socket). Returns the connections so closed.
    public static func halfAnswer(listener: Int32, until end: Instant) -> Int {
        var closed = 0
        var query = [UInt8](repeating: 0, count: 260)
        while MonotonicClock.now() < end {
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 50) == 1 else { continue }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { continue }
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let n = query.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 8 {
                // MBAP says 7 more bytes follow, and only 4 of them come.
                if send(fd, [query[0], query[1], 0, 0, 0, 7, query[6], query[7], 4, 0][...]) { closed += 1 }
            }
            close(fd)
        }
        return closed
    }

    /// The GPIO stimulus: every `interval` (plus up to half of it, so it never beats in step with a peer's period)
    /// writes one 16-byte record into `pipe`: the `CLOCK_MONOTONIC` time taken just before the write, then the
    /// level (1, 0, 1, …). Like a kernel timestamping an edge in its interrupt handler, the stamp is taken
    /// outside the agent's loop; the loop's side drives the mock input when it reads the record.
    /// Returns the records written.
    public static func stimulus(pipe fd: Int32, interval: Duration, from start: Instant, until end: Instant) -> Int {
        sleep(until: start)
        var written = 0
        var random: UInt64 = 0x9E37_79B9_7F4A_7C15
        var record: (Int64, Int64) = (0, 0)
        var next = start
        while next < end {
            record.0 = MonotonicClock.now().nanoseconds
            record.1 = Int64((written + 1) % 2)
            guard write(fd, &record, 16) == 16 else { break }
            written += 1
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let jitter = Int64(random >> 33) % max(interval.nanoseconds / 2, 1)
            next = next + interval + .nanoseconds(jitter)
            sleep(until: next)
        }
        return written
    }
}
