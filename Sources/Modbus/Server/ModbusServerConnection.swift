import EventLoop
import Glibc
import TLS

/// One client of ``ModbusTCPServer``: reads what the socket has when the loop says it is readable, answers
/// every complete MBAP frame, and writes answers as the socket takes them.
///
/// Both buffers are bounded (1 KiB in, 16 KiB out): a client that trickles bytes only ever fills a partial frame;
/// one that pipelines requests without reading answers is paused until it reads, never buffered without limit.
///
/// On a TLS server the connection first completes the handshake on readiness (never waiting), within the
/// handshake timeout; the role in the client's certificate then fixes its rights, checked on every request.
final class ModbusServerConnection {
    static let inputCapacity = 1024
    static let maxPendingOutput = 16 * 1024

    let fd: Int32
    private(set) var stats: ModbusConnectionStats
    private unowned let server: ModbusTCPServer
    private let loop: EventLoop
    private let stream: SocketStream
    private var handshaking: Bool
    /// What this client may do; nil checks nothing (no access policy).
    private var rights: ModbusAccessRights?
    private var input: [UInt8]
    private var inputCount = 0
    private var output: [UInt8] = []
    private var outputSent = 0
    private var interest: IOEvents = .readable
    /// TLS must send before it can go on reading (or the reverse): wait for the other readiness too.
    private var tlsNeedsWritable = false
    private var drainScheduled = false
    private var idleTimer: TimerID?
    private var handshakeTimer: TimerID?
    private(set) var closed = false

    init(fd: Int32, client: ModbusClientInfo, server: ModbusTCPServer, loop: EventLoop, tls: TLSSession?) {
        self.fd = fd
        self.server = server
        self.loop = loop
        self.stream = SocketStream(fd: fd, tls: tls)
        self.handshaking = tls != nil
        self.stats = ModbusConnectionStats(client: client, connectedAt: loop.now)
        self.rights = tls == nil ? server.access?.rights(role: nil) : nil
        input = [UInt8](repeating: 0, count: Self.inputCapacity)
        output.reserveCapacity(Self.maxPendingOutput + MBAPFramer.maxFrameSize)
    }

    func start() throws(SystemError) {
        try loop.watch(fd, for: .readable) { [unowned self] events in self.handle(events) }
        armIdleTimer(at: stats.lastRequest + server.configuration.idleTimeout)
        if handshaking {
            handshakeTimer = loop.schedule(after: server.configuration.handshakeTimeout) { [weak self] in
                guard let self, !self.closed, self.handshaking else { return }
                self.handshakeFailed("no complete handshake within \(self.server.configuration.handshakeTimeout)")
            }
        }
    }

    /// Closes the socket and, unless the server itself is closing everything, tells it; safe to call twice.
    func close(_ reason: String, notify: Bool = true) {
        guard !closed else { return }
        closed = true
        if let idleTimer { loop.cancel(idleTimer) }
        if let handshakeTimer { loop.cancel(handshakeTimer) }
        loop.unwatch(fd)
        stream.tls?.close()
        Glibc.close(fd)
        // Not while the server itself closes everything: that runs from its deinit too, when it is gone.
        if notify {
            server.observer?.disconnected(stats.client, requests: stats.requests)
            server.connectionClosed(self, reason: reason)
        }
    }

    private var pendingOutput: Int { output.count - outputSent }

    private func handle(_ events: IOEvents) {
        if handshaking { return continueHandshake() }
        if stream.tls != nil {
            // TLS may need either readiness for either direction: try both; each returns at once when blocked.
            flush()
            if !closed { readOnce() }
            return
        }
        if events.contains(.writable) { flush() }
        if !closed && (events.contains(.readable) || events.contains(.hangup)) { readOnce() }
    }

    private func continueHandshake() {
        guard let tls = stream.tls else { return }
        switch tls.handshake() {
        case .done:
            handshaking = false
            if let handshakeTimer { loop.cancel(handshakeTimer) }
            handshakeTimer = nil
            let role = tls.peerRole
            stats.client.role = role.effective
            rights = server.access?.rights(role: role.effective) ?? .nothing
            server.counters.tlsHandshakes += 1
            server.logger.info("modbus.tls.connected", ["client": stats.client, "role": role.description, "subject": tls.peerName,
                                                        "version": tls.version])
            setInterest(.readable)
            // The client may have sent its first request with its last handshake flight.
            readOnce()
        case .wantRead:
            setInterest(.readable)
        case .wantWrite:
            setInterest([.readable, .writable])
        case .closed, .failed:
            handshakeFailed(tls.lastError)
        }
    }

    private func handshakeFailed(_ reason: String) {
        server.counters.tlsFailures += 1
        server.handshakeFailures.record(source: stats.client.host, [("client", stats.client.description), ("reason", reason)])
        close("TLS handshake failed: \(reason)")
    }

    /// One read per readiness report, so a busy client cannot starve the others on the loop (with TLS, the
    /// records already decrypted are read too, up to the buffer's room).
    private func readOnce() {
        var first = true
        while !closed && (first || stream.buffered > 0) {
            first = false
            let space = Self.inputCapacity - inputCount
            guard space > 0 else { return updateInterest() }
            let result = input.withUnsafeMutableBytes { raw in
                // raw covers the fixed-size input buffer; we read into its unused tail.
                stream.read(into: raw.baseAddress! + inputCount, count: space)
            }
            switch result {
            case .bytes(let n):
                tlsNeedsWritable = false
                inputCount += n
                server.counters.bytesIn += n
                processFrames()
                flush()
            case .wouldBlock(let needsWritable):
                tlsNeedsWritable = needsWritable
                return updateInterest()
            case .closed:
                return close("peer closed")
            case .failed(let reason):
                return close(reason)
            }
        }
    }

    /// Answers every complete frame buffered, while the output has room.
    private func processFrames() {
        var start = 0
        loop: while !closed && pendingOutput < Self.maxPendingOutput {
            switch MBAPFramer.next(in: input, from: start, to: inputCount) {
            case .incomplete:
                break loop
            case .malformed(var reason):
                if stream.tls == nil && stats.requests == 0 && inputCount >= 2 && input[0] == 0x16 && input[1] == 0x03 {
                    reason = "a TLS handshake on the plaintext port (Modbus/TCP Security is served on the TLS port)"
                }
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
        } else if let rights, case .success(let request) = RequestParser.parse(input[pdu]), !rights.allows(request) {
            output.append(request.function.rawValue | FunctionCode.exceptionFlag)
            output.append(ModbusExceptionCode.illegalFunction.rawValue)
            action = .replyException(.illegalFunction)
            server.counters.roleRefusals += 1
            server.roleRefusals.record(source: stats.client.host, [("client", stats.client.description),
                                                                  ("role", stats.client.role.map { $0.isEmpty ? "(none)" : $0 } ?? "(plaintext)"),
                                                                  ("request", "\(request.function)"), ("answer", "illegal-function")])
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
            let result = output.withUnsafeBytes { raw in
                // raw is the output buffer; we send its unsent tail.
                stream.write(from: raw.baseAddress! + outputSent, count: output.count - outputSent)
            }
            switch result {
            case .bytes(let n):
                outputSent += n
                server.counters.bytesOut += n
                continue
            case .wouldBlock:
                break
            case .closed:
                return close("peer closed")
            case .failed(let reason):
                return close(reason)
            }
            break
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
        if pendingOutput > 0 || tlsNeedsWritable { wanted.insert(.writable) }
        let canRead = pendingOutput < Self.maxPendingOutput && inputCount < Self.inputCapacity
        if canRead { wanted.insert(.readable) }
        if canRead && stream.buffered > 0 && !drainScheduled {
            // Records TLS already decrypted do not make the socket readable: read them on the next turn.
            drainScheduled = true
            loop.schedule(after: .zero) { [weak self] in
                guard let self, !self.closed else { return }
                self.drainScheduled = false
                self.readOnce()
            }
        }
        setInterest(wanted)
    }

    private func setInterest(_ wanted: IOEvents) {
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
