import EventLoop
import Glibc

/// One client of ``ModbusTCPServer``: reads what the socket has when the loop says it is readable, answers
/// every complete MBAP frame, and writes answers as the socket takes them.
///
/// Both buffers are bounded (1 KiB in, 16 KiB out): a client that trickles bytes only ever fills a partial frame;
/// one that pipelines requests without reading answers is paused until it reads, never buffered without limit.
final class ModbusServerConnection {
    static let inputCapacity = 1024
    static let maxPendingOutput = 16 * 1024

    let fd: Int32
    private(set) var stats: ModbusConnectionStats
    private unowned let server: ModbusTCPServer
    private let loop: EventLoop
    private var input: [UInt8]
    private var inputCount = 0
    private var output: [UInt8] = []
    private var outputSent = 0
    private var interest: IOEvents = .readable
    private var idleTimer: TimerID?
    private(set) var closed = false

    init(fd: Int32, client: ModbusClientInfo, server: ModbusTCPServer, loop: EventLoop) {
        self.fd = fd
        self.server = server
        self.loop = loop
        self.stats = ModbusConnectionStats(client: client, connectedAt: loop.now)
        input = [UInt8](repeating: 0, count: Self.inputCapacity)
        output.reserveCapacity(Self.maxPendingOutput + MBAPFramer.maxFrameSize)
    }

    func start() throws(SystemError) {
        try loop.watch(fd, for: .readable) { [unowned self] events in self.handle(events) }
        armIdleTimer(at: stats.lastRequest + server.configuration.idleTimeout)
    }

    /// Closes the socket and, unless the server itself is closing everything, tells it; safe to call twice.
    func close(_ reason: String, notify: Bool = true) {
        guard !closed else { return }
        closed = true
        if let idleTimer { loop.cancel(idleTimer) }
        loop.unwatch(fd)
        Glibc.close(fd)
        // Not while the server itself closes everything: that runs from its deinit too, when it is gone.
        if notify {
            server.observer?.disconnected(stats.client, requests: stats.requests)
            server.connectionClosed(self, reason: reason)
        }
    }

    private var pendingOutput: Int { output.count - outputSent }

    private func handle(_ events: IOEvents) {
        if events.contains(.writable) { flush() }
        if !closed && (events.contains(.readable) || events.contains(.hangup)) { readOnce() }
    }

    /// One read per readiness report, so a busy client cannot starve the others on the loop.
    private func readOnce() {
        let space = Self.inputCapacity - inputCount
        guard space > 0 else { return updateInterest() }
        let n = input.withUnsafeMutableBytes { raw in
            // raw covers the fixed-size input buffer; we read into its unused tail.
            Glibc.read(fd, raw.baseAddress! + inputCount, space)
        }
        if n > 0 {
            inputCount += n
            server.counters.bytesIn += n
            processFrames()
            flush()
        } else if n == 0 {
            close("peer closed")
        } else if errno != EAGAIN && errno != EINTR {
            close(SystemError.message(for: errno))
        }
    }

    /// Answers every complete frame buffered, while the output has room.
    private func processFrames() {
        var start = 0
        loop: while !closed && pendingOutput < Self.maxPendingOutput {
            switch MBAPFramer.next(in: input, from: start, to: inputCount) {
            case .incomplete:
                break loop
            case .malformed(let reason):
                server.counters.malformed += 1
                server.malformedFrames.record(source: stats.client.host, [("client", stats.client.description), ("reason", reason)])
                close("malformed frame: \(reason)")
                return
            case .frame(let header, let pdu, let frameEnd):
                answer(header, pdu: pdu)
                start = frameEnd
            }
        }
        if start > 0 && !closed {
            let remaining = inputCount - start
            if remaining > 0 {
                input.withUnsafeMutableBytes { raw in
                    // Both ranges lie in the input buffer; memmove allows them to overlap.
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + start, remaining)
                }
            }
            inputCount = remaining
        }
    }

    private func answer(_ header: MBAPHeader, pdu: Range<Int>) {
        let headerStart = output.count
        header.encode(into: &output)
        let action: HandlerAction
        if let units = server.configuration.units, !units.contains(header.unit) {
            output.append((input[pdu.lowerBound]) | FunctionCode.exceptionFlag)
            output.append(ModbusExceptionCode.gatewayPathUnavailable.rawValue)
            action = .replyException(.gatewayPathUnavailable)
        } else {
            action = server.handler.handle(pdu: input[pdu], unit: header.unit, client: stats.client, into: &output)
        }
        server.observer?.answered(stats.client, unit: header.unit, pdu: input[pdu], action: action)
        switch action {
        case .close:
            output.removeSubrange(headerStart...)
            server.counters.refusedWrites += 1
            server.refusedWrites.record(source: stats.client.host, [("client", stats.client.description), ("unit", "\(header.unit)")])
            close("write refused")
            return
        case .replyException:
            server.counters.exceptions += 1
            stats.exceptions += 1
        case .reply:
            break
        }
        MBAPHeader.patchLength(in: &output, headerStart: headerStart)
        server.counters.requests += 1
        stats.requests += 1
        stats.lastRequest = loop.now
    }

    private func flush() {
        while !closed && outputSent < output.count {
            let n = output.withUnsafeBytes { raw in
                // raw is the output buffer; we send its unsent tail.
                Glibc.send(fd, raw.baseAddress! + outputSent, output.count - outputSent, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                outputSent += n
                server.counters.bytesOut += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && errno == EAGAIN {
                break
            } else {
                close(n < 0 ? SystemError.message(for: errno) : "send returned 0")
                return
            }
        }
        guard !closed else { return }
        if outputSent == output.count {
            output.removeAll(keepingCapacity: true)
            outputSent = 0
            // Frames left waiting while the output was full can be answered now.
            if inputCount >= MBAPHeader.size {
                processFrames()
                if !closed && pendingOutput > 0 { return flush() }
            }
        }
        updateInterest()
    }

    private func updateInterest() {
        guard !closed else { return }
        var wanted: IOEvents = []
        if pendingOutput > 0 { wanted.insert(.writable) }
        if pendingOutput < Self.maxPendingOutput && inputCount < Self.inputCapacity { wanted.insert(.readable) }
        guard wanted != interest else { return }
        interest = wanted
        do {
            try loop.updateWatch(fd, for: wanted)
        } catch {
            close("\(error)")
        }
    }

    private func armIdleTimer(at deadline: Instant) {
        idleTimer = loop.schedule(at: deadline) { [weak self] in
            guard let self, !self.closed else { return }
            let due = self.stats.lastRequest + self.server.configuration.idleTimeout
            if self.loop.now >= due {
                self.server.counters.idleClosed += 1
                self.close("idle")
            } else {
                self.armIdleTimer(at: due)
            }
        }
    }
}
