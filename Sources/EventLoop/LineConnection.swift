import Glibc

/// A non-blocking, line-oriented connection on the loop (the local control channels speak lines of text).
///
/// Reads only when the loop reports the descriptor readable; queues output and writes it when writable.
/// Both buffers are bounded: a client that floods or never reads is disconnected, never waited for.
public final class LineConnection {
    public let fd: Int32
    private let loop: EventLoop
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var closed = false
    private let maxLine: Int
    private let maxOutput: Int
    private var onLine: (LineConnection, String) -> Void = { _, _ in }
    private var onClose: (LineConnection) -> Void = { _ in }

    /// Takes ownership of `fd` (non-blocking) and starts reading lines.
    public init(fd: Int32, loop: EventLoop, maxLine: Int = 4096, maxOutput: Int = 1 << 20) {
        self.fd = fd
        self.loop = loop
        self.maxLine = maxLine
        self.maxOutput = maxOutput
    }

    /// Starts delivering lines (without the newline) to `onLine`, and reports the end to `onClose` once.
    public func start(onLine: @escaping (LineConnection, String) -> Void, onClose: @escaping (LineConnection) -> Void) throws(SystemError) {
        self.onLine = onLine
        self.onClose = onClose
        try loop.watch(fd, for: .readable) { [unowned self] events in self.handle(events) }
    }

    /// Queues `text` (a newline is added) and writes what the socket takes now.
    public func send(_ text: String) {
        guard !closed else { return }
        output.append(contentsOf: text.utf8)
        output.append(UInt8(ascii: "\n"))
        if output.count > maxOutput {
            close()
            return
        }
        flush()
    }

    /// Closes the connection (after nothing: queued output is dropped).
    public func close() {
        guard !closed else { return }
        closed = true
        loop.unwatch(fd)
        Glibc.close(fd)
        onClose(self)
    }

    private func handle(_ events: IOEvents) {
        if events.contains(.writable) { flush() }
        if events.contains(.readable) || events.contains(.hangup) { readAvailable() }
    }

    private func readAvailable() {
        var chunk = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                     UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while !closed {
            let n = withUnsafeMutableBytes(of: &chunk) { raw in
                // raw is this frame's 128-byte buffer.
                Glibc.read(fd, raw.baseAddress, raw.count)
            }
            if n > 0 {
                withUnsafeBytes(of: &chunk) { raw in input.append(contentsOf: raw.prefix(n)) }
                deliverLines()
                if input.count > maxLine { close() }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            close()  // EOF or error
        }
    }

    private func deliverLines() {
        while !closed, let newline = input.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: input[..<newline], as: UTF8.self)
            input.removeSubrange(...newline)
            onLine(self, line)
        }
    }

    private func flush() {
        while !output.isEmpty && !closed {
            let n = output.withUnsafeBytes { raw in
                // raw is output's storage for this call.
                Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                output.removeFirst(n)
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { break }
            close()
            return
        }
        guard !closed else { return }
        try? loop.updateWatch(fd, for: output.isEmpty ? .readable : [.readable, .writable])
    }
}
