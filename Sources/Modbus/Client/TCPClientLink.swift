import EventLoop
import Glibc
import TLS

/// A Modbus TCP connection for ``ModbusClient``: non-blocking connect with a timeout, MBAP framing, and
/// transaction ids so that a late answer to an abandoned request is recognised and dropped.
///
/// A host given by name is resolved off the loop (``NameResolver``), and again after a failure, with a backoff
/// from 1 s doubling to 1 min; until it resolves, every open fails at once with the reason (``problem``), so the
/// device is down with that reason instead of the agent blocking or exiting. A name with several addresses
/// (IPv6 and IPv4, or a host with two interfaces) is tried address by address: a connect that fails moves the
/// next open on to the next address, in the resolver's order, round and round.
///
/// With a client ``TLSContext`` (a `tls://` endpoint) the connection completes a TLS handshake on readiness
/// after connecting, within the same connect timeout, verifying the server's chain against the plant CA and
/// its name or address against `host`; a failed handshake fails the open with OpenSSL's reason
/// (`certificate has expired`, `certificate revoked` …).
final class TCPClientLink: ModbusLink {
    private let loop: EventLoop
    private let host: String
    private let port: UInt16
    private let resolver: NameResolver
    private let logger: Logger
    private var tls: TLSContext?
    private let missingIdentity: Bool
    private var stream = SocketStream(fd: -1, tls: nil)
    private var addresses: [SocketAddress] = []
    private var addressIndex = 0
    /// The address the next open connects to, or nil until the name resolves.
    private var address: SocketAddress? { addresses.isEmpty ? nil : addresses[addressIndex] }
    private func moveToNextAddress() { if !addresses.isEmpty { addressIndex = (addressIndex + 1) % addresses.count } }
    private var lookup: NameResolver.Lookup?
    private var resolveTimer: TimerID?
    private var resolveFailures = 0
    private var shutDown = false
    /// Why the link cannot connect before it even tries (the name has not resolved), or nil.
    private(set) var problem: String?
    /// Called once per address when the host name resolved (not for a numeric address).
    var onResolved: (SocketAddress) -> Void = { _ in }
    /// Called when a lookup ends, resolved or not (the client then sends what waited, or fails it).
    var onLookupEnded: () -> Void = {}
    /// True while the name's first lookup is out: a request waits for its answer (after a failed lookup,
    /// requests fail at once with the reason until a retry resolves it).
    var waitingForAddress: Bool { address == nil && lookup != nil && resolveFailures == 0 }
    private var fd: Int32 = -1
    private var connected = false
    private var connectTimer: TimerID?
    private var input = [UInt8](repeating: 0, count: 1024)
    private var inputCount = 0
    private var output: [UInt8] = []
    private var transaction: UInt16 = 0
    private var awaiting: UInt16?

    var onResponse: (UInt8, ArraySlice<UInt8>) -> Void = { _, _ in }
    var onBroken: (String) -> Void = { _ in }

    /// `requiresTLS` without `tls`: a `tls://` endpoint with no identity to authenticate with; every open
    /// fails saying so.
    init(loop: EventLoop, host: String, port: UInt16, resolver: NameResolver, logger: Logger, tls: TLSContext? = nil, requiresTLS: Bool = false) {
        precondition(!(tls?.isServer ?? false), "a client link needs a client TLS context")
        self.tls = tls
        self.missingIdentity = requiresTLS && tls == nil
        self.loop = loop
        self.host = host
        self.port = port
        self.resolver = resolver
        self.logger = logger
        output.reserveCapacity(MBAPFramer.maxFrameSize)
        if let numeric = SocketAddress(numericHost: host, port: port) { addresses = [numeric] } else { resolve() }
    }

    deinit { shutdown() }

    /// The longest wait between two lookups of a name that does not resolve.
    static let maxResolveBackoff: Duration = .seconds(60)

    private func resolve() {
        guard !shutDown else { return }
        problem = resolveFailures == 0 ? "resolving \(host)" : problem
        lookup = resolver.lookupAll(host: host, port: port) { [weak self] result in
            guard let self, !self.shutDown else { return }
            self.lookup = nil
            switch result {
            case .success(let all):
                self.addresses = all
                self.addressIndex = 0
                self.problem = nil
                self.logger.notice("modbus.client.resolved", ["host": self.host, "address": all.map(\.host).joined(separator: ","),
                                                              "after_failures": self.resolveFailures])
                self.resolveFailures = 0
                for address in all { self.onResolved(address) }
                self.onLookupEnded()
            case .failure(let failure):
                self.resolveFailures += 1
                var wait = Duration.seconds(1)
                for _ in 1..<min(self.resolveFailures, 8) where wait < Self.maxResolveBackoff { wait = wait * 2 }
                wait = min(wait, Self.maxResolveBackoff)
                self.problem = "cannot resolve \(self.host): \(failure); retrying in \(Int(wait.milliseconds / 1000)) s"
                if self.resolveFailures == 1 {
                    self.logger.warning("modbus.client.resolve_failed", ["host": self.host, "reason": failure.description,
                                                                         "action": "device down; retried with backoff up to 60 s, logged again when it resolves"])
                }
                self.resolveTimer = self.loop.schedule(after: wait) { [weak self] in
                    self?.resolveTimer = nil
                    self?.resolve()
                }
                self.onLookupEnded()
            }
        }
    }

    /// Closes the connection and stops resolving for good (the client is closed).
    func shutdown() {
        shutDown = true
        lookup?.cancel()
        lookup = nil
        if let t = resolveTimer { loop.cancel(t) }
        resolveTimer = nil
        close()
    }

    var isOpen: Bool { connected }
    var turnaround: Duration { .zero }
    func wireTime(requestBytes: Int) -> Duration { .zero }

    func open(timeout: Duration, _ completion: @escaping (ModbusError?) -> Void) {
        close()
        if missingIdentity {
            loop.schedule(after: .zero) { completion(.connectFailed("tls:// needs the agent's certificate (server: tls: ca, cert, key)")) }
            return
        }
        guard let address else {
            let reason = problem ?? "resolving \(host)"
            loop.schedule(after: .zero) { completion(.connectFailed(reason)) }
            return
        }
        do {
            fd = try TCPSocket.startConnect(to: address)
            stream = SocketStream(fd: fd, tls: nil)
        } catch {
            moveToNextAddress()
            loop.schedule(after: .zero) { completion(.connectFailed(error.description)) }
            return
        }
        let attempt = fd
        connectTimer = loop.schedule(after: timeout) { [weak self] in
            guard let self, self.fd == attempt, !self.connected else { return }
            self.close()
            self.moveToNextAddress()
            completion(.connectFailed("no answer from \(address) within \(timeout)"))
        }
        do {
            try loop.watch(fd, for: .writable) { [unowned self] events in
                if self.handshaking { return self.continueHandshake(completion) }
                if self.connected {
                    self.handle(events)
                    return
                }
                if let t = self.connectTimer { self.loop.cancel(t) }
                let code = TCPSocket.pendingError(self.fd)
                if code != 0 {
                    self.close()
                    self.moveToNextAddress()
                    completion(.connectFailed("\(address): \(SystemError.message(for: code))"))
                    return
                }
                guard let tls = self.tls else {
                    self.connected = true
                    try? self.loop.updateWatch(self.fd, for: .readable)
                    completion(nil)
                    return
                }
                do {
                    self.stream = SocketStream(fd: self.fd, tls: try TLSSession(context: tls, fd: self.fd, host: self.host))
                } catch {
                    self.close()
                    completion(.connectFailed("TLS: \(error)"))
                    return
                }
                self.connectTimer = self.loop.schedule(after: timeout) { [weak self] in
                    guard let self, self.fd == attempt, !self.connected else { return }
                    self.close()
                    completion(.connectFailed("TLS: no complete handshake with \(address) within \(timeout)"))
                }
                self.handshaking = true
                self.continueHandshake(completion)
            }
        } catch {
            close()
            loop.schedule(after: .zero) { completion(.connectFailed(error.description)) }
        }
    }

    private var handshaking = false

    /// Uses `context` from the next connection on (the one open now keeps its session).
    func reloadTLS(_ context: TLSContext) {
        if tls != nil { tls = context }
    }

    private func continueHandshake(_ completion: @escaping (ModbusError?) -> Void) {
        guard let session = stream.tls else { return }
        switch session.handshake() {
        case .done:
            handshaking = false
            if let t = connectTimer { loop.cancel(t) }
            connectTimer = nil
            connected = true
            logger.debug("modbus.client.tls", ["host": host, "version": session.version, "server": session.peerName])
            try? loop.updateWatch(fd, for: .readable)
            completion(nil)
        case .wantRead:
            try? loop.updateWatch(fd, for: .readable)
        case .wantWrite:
            try? loop.updateWatch(fd, for: [.readable, .writable])
        case .closed, .failed:
            let reason = session.lastError
            close()
            completion(.connectFailed("TLS: \(reason)"))
        }
    }

    func send(unit: UInt8, pdu: [UInt8], function: FunctionCode) -> ModbusError? {
        guard connected else { return .disconnected("not connected") }
        transaction &+= 1
        awaiting = transaction
        let start = output.count
        MBAPHeader(transaction: transaction, length: UInt16(pdu.count + 1), unit: unit).encode(into: &output)
        output.append(contentsOf: pdu)
        _ = start
        flush()
        return connected ? nil : .disconnected("send failed")
    }

    func abandon() { awaiting = nil }

    func close() {
        if let t = connectTimer { loop.cancel(t) }
        connectTimer = nil
        if fd >= 0 {
            loop.unwatch(fd)
            stream.tls?.close()
            Glibc.close(fd)
            fd = -1
        }
        stream = SocketStream(fd: -1, tls: nil)
        handshaking = false
        connected = false
        inputCount = 0
        output.removeAll(keepingCapacity: true)
        awaiting = nil
    }

    private func broken(_ reason: String) {
        close()
        onBroken(reason)
    }

    private func handle(_ events: IOEvents) {
        if events.contains(.writable) || stream.tls != nil { flush() }
        guard connected, events.contains(.readable) || events.contains(.hangup) || stream.tls != nil else { return }
        repeat {
            guard connected else { return }
            let space = input.count - inputCount
            if space == 0 { return broken("answer longer than \(input.count) bytes") }
            let result = input.withUnsafeMutableBytes { raw in
                // raw covers the input buffer; we read into its unused tail.
                stream.read(into: raw.baseAddress! + inputCount, count: space)
            }
            switch result {
            case .bytes(let n): received(n)
            case .wouldBlock: return
            case .closed: return broken(inputCount > 0 ? "peer closed mid-frame" : "peer closed")
            case .failed(let reason): return broken(reason)
            }
        } while stream.buffered > 0
    }

    private func received(_ n: Int) {
        inputCount += n
        var start = 0
        while connected {
            switch MBAPFramer.next(in: input, from: start, to: inputCount) {
            case .incomplete:
                compact(from: start)
                return
            case .malformed(let reason):
                return broken("malformed answer: \(reason)")
            case .frame(let header, let pdu, let end):
                start = end
                if header.transaction == awaiting {
                    awaiting = nil
                    onResponse(header.unit, input[pdu])
                }
            }
        }
    }

    private func compact(from start: Int) {
        guard start > 0 else { return }
        let remaining = inputCount - start
        input.withUnsafeMutableBytes { raw in
            // Both ranges lie in the input buffer; memmove allows overlap.
            _ = memmove(raw.baseAddress!, raw.baseAddress! + start, remaining)
        }
        inputCount = remaining
    }

    private func flush() {
        sending: while connected && !output.isEmpty {
            let result = output.withUnsafeBytes { raw in
                // raw is the output buffer.
                stream.write(from: raw.baseAddress!, count: raw.count)
            }
            switch result {
            case .bytes(let n): output.removeFirst(n)
            case .wouldBlock: break sending
            case .closed: return broken("peer closed")
            case .failed(let reason): return broken(reason)
            }
        }
        if connected { try? loop.updateWatch(fd, for: output.isEmpty ? .readable : [.readable, .writable]) }
    }
}
