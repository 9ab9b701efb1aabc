import EventLoop
import TLS

/// A Modbus master for one TCP device or one RTU bus, on the loop: a request queue, one request on the wire at
/// a time, a response timeout on a loop timer, retries with backoff, and reconnection when the device returns.
///
/// Nothing blocks: connect is non-blocking with its own timeout, answers are read only when the loop reports
/// bytes, and a silent device costs one timer. Several units on one RTU bus share one client and are served
/// in turn, with the inter-frame delay between them. Completions always run on the loop, never inside ``send``.
public final class ModbusClient {
    private struct Pending {
        var request: ModbusRequest
        var unit: UInt8
        var pdu: [UInt8]
        var completion: (Result<ModbusResponse, ModbusError>) -> Void
        var attempt = 0
    }

    private enum LinkState { case closed, opening, open }

    /// Where the device is.
    public let endpoint: ModbusEndpoint
    /// Timing and limits.
    public let options: ModbusClientOptions
    /// Totals since creation.
    public private(set) var counters = ModbusClientCounters()

    private let loop: EventLoop
    private let logger: Logger
    private let link: ModbusLink
    private var state = LinkState.closed
    private var queue: [Pending] = []
    private var inFlight: Pending?
    private var responseTimer: TimerID?
    private var pumpTimer: TimerID?
    private var pumpAt: Instant?
    private var nextSendAt = Instant.zero
    private var reconnectAt = Instant.zero
    private var connectFailuresInRow = 0
    private var closed = false

    /// Creates a client. A TCP host given by name is resolved off the loop by `resolver` (by default one that
    /// calls `getaddrinfo` on a helper thread), retried with backoff until it resolves; meanwhile requests fail
    /// with the reason (``problem``). Nothing connects until the first request. A `tls://` endpoint
    /// authenticates with `tls` (a client context: the agent's certificate and the plant CA); without one,
    /// every request fails saying so.
    public init(loop: EventLoop, endpoint: ModbusEndpoint, options: ModbusClientOptions = ModbusClientOptions(),
                logger: Logger = .silent, resolver: NameResolver? = nil, tls: TLSContext? = nil) throws(SystemError) {
        self.loop = loop
        self.endpoint = endpoint
        self.options = options
        self.logger = logger.with("device=\(endpoint)")
        switch endpoint {
        case .tcp(let host, let port), .tls(let host, let port):
            let secure: Bool = if case .tls = endpoint { true } else { false }
            let tcp = TCPClientLink(loop: loop, host: host, port: port, resolver: resolver ?? NameResolver(loop: loop), logger: self.logger,
                                    tls: secure ? tls : nil, requiresTLS: secure)
            link = tcp
            tcp.onResolved = { [unowned self] address in self.onResolved(address) }
        case .rtu(let settings):
            link = SerialLink(loop: loop, settings: settings)
        }
        link.onResponse = { [unowned self] unit, pdu in self.received(unit: unit, pdu: pdu) }
        link.onBroken = { [unowned self] reason in self.linkBroke(reason) }
        link.onLookupEnded = { [unowned self] in self.schedulePump(at: self.loop.now) }
    }

    deinit {
        link.shutdown()
    }

    /// Why the device cannot be reached before a request is even sent (its host name has not resolved: the
    /// resolver's reason and when it retries), or nil.
    public var problem: String? { link.problem ?? lastConnectFailure }

    /// Why the last connection attempt failed (a TLS refusal: `certificate has expired`), until one succeeds.
    public private(set) var lastConnectFailure: String?

    /// Uses `context` for `tls://` connections made from now on (certificate rotation on SIGHUP).
    public func reloadTLS(_ context: TLSContext) {
        (link as? TCPClientLink)?.reloadTLS(context)
    }

    /// Called on the loop once a TCP host name resolved, with its address (the agent then trusts a peer's address).
    public var onResolved: (SocketAddress) -> Void = { _ in }

    /// True while the connection (or port) is open.
    public var isConnected: Bool { state == .open }

    /// Requests waiting or on the wire.
    public var pendingRequests: Int { queue.count + (inFlight == nil ? 0 : 1) }

    /// Queues `request` for `unit`; `completion` runs on the loop with the response or the reason there is none.
    /// On RTU, a write to unit 0 is a broadcast: it completes as written once sent (no device answers it).
    public func send(_ request: ModbusRequest, unit: UInt8, completion: @escaping (Result<ModbusResponse, ModbusError>) -> Void) {
        guard !closed else {
            loop.schedule(after: .zero) { completion(.failure(.cancelled)) }
            return
        }
        guard pendingRequests < options.maxQueue else {
            counters.failures += 1
            loop.schedule(after: .zero) { completion(.failure(.queueFull)) }
            return
        }
        queue.append(Pending(request: request, unit: unit, pdu: request.pdu, completion: completion))
        schedulePump(at: loop.now)
    }

    /// Fails every waiting request with ``ModbusError/cancelled`` and closes the connection.
    public func close() {
        closed = true
        if let t = responseTimer { loop.cancel(t) }
        if let t = pumpTimer { loop.cancel(t) }
        link.shutdown()
        state = .closed
        var all = queue
        if let p = inFlight { all.insert(p, at: 0) }
        queue = []
        inFlight = nil
        for p in all { p.completion(.failure(.cancelled)) }
    }

    // MARK: The queue

    private func schedulePump(at instant: Instant) {
        if let at = pumpAt, at <= instant { return }
        if let t = pumpTimer { loop.cancel(t) }
        pumpAt = instant
        pumpTimer = loop.schedule(at: instant) { [weak self] in
            guard let self else { return }
            self.pumpAt = nil
            self.pumpTimer = nil
            self.pump()
        }
    }

    private func pump() {
        guard !closed, inFlight == nil, !queue.isEmpty else { return }
        switch state {
        case .opening:
            return
        case .closed:
            // The first answer about the host name is still out: requests wait for it (not for a retry's).
            if link.waitingForAddress { return }
            if loop.now < reconnectAt {
                failAll(.disconnected("device unreachable; next connect attempt in \((reconnectAt - loop.now).milliseconds) ms"))
                return
            }
            state = .opening
            link.open(timeout: options.connectTimeout) { [weak self] error in self?.opened(error) }
        case .open:
            if loop.now < nextSendAt { return schedulePump(at: nextSendAt) }
            transmit(queue.removeFirst())
        }
    }

    private func opened(_ error: ModbusError?) {
        guard !closed else { return link.close() }
        if let error {
            state = .closed
            counters.connectFailures += 1
            connectFailuresInRow += 1
            reconnectAt = loop.now + options.backoff(forAttempt: connectFailuresInRow)
            if case .connectFailed(let why) = error, why.hasPrefix("TLS: ") {
                if lastConnectFailure != why { logger.warning("modbus.client.tls-refused", ["reason": why]) }
                lastConnectFailure = why
            }
            logger.debug("modbus.client.connect-failed", ["reason": error])
            failAll(error)
            return
        }
        state = .open
        counters.connects += 1
        connectFailuresInRow = 0
        lastConnectFailure = nil
        logger.debug("modbus.client.connected")
        pump()
    }

    private func transmit(_ request: Pending) {
        var p = request
        p.attempt += 1
        inFlight = p
        if let error = link.send(unit: p.unit, pdu: p.pdu, function: p.request.function) {
            return attemptFailed(error)
        }
        if p.unit == 0, case .rtu = endpoint, let write = p.request.write {
            // An RTU broadcast is never answered: done once sent, then the line rests before the next request.
            inFlight = nil
            nextSendAt = loop.now + link.wireTime(requestBytes: p.pdu.count + 3) + link.turnaround
            counters.responses += 1
            p.completion(.success(.written(address: write.address, count: UInt16(write.count))))
            return schedulePump(at: nextSendAt)
        }
        let deadline = loop.now + options.responseTimeout + link.wireTime(requestBytes: p.pdu.count + 3)
        responseTimer = loop.schedule(at: deadline) { [weak self] in
            guard let self else { return }
            self.responseTimer = nil
            self.link.abandon()
            self.attemptFailed(.timeout)
        }
    }

    private func received(unit: UInt8, pdu: ArraySlice<UInt8>) {
        guard let p = inFlight else { return }
        if let t = responseTimer { loop.cancel(t) }
        responseTimer = nil
        inFlight = nil
        nextSendAt = loop.now + link.turnaround
        guard unit == p.unit else {
            // A server must echo the unit id (a TCP gateway answers for the unit behind it). Another id is a
            // protocol error: the answer may be another device's data, so it is refused, never decoded. (On RTU
            // the framer already drops frames from other units as bus traffic.)
            counters.failures += 1
            counters.unitMismatches += 1
            if counters.unitMismatches == 1 || counters.unitMismatches % 1000 == 0 {
                logger.warning("modbus.client.unit_mismatch", ["expected": p.unit, "answered": unit, "count": counters.unitMismatches,
                                                              "action": "answer refused"])
            }
            p.completion(.failure(.malformedResponse("unit id \(unit) in the answer, expected \(p.unit)")))
            return pump()
        }
        switch ResponseParser.parse(pdu, for: p.request) {
        case .response(let response):
            counters.responses += 1
            p.completion(.success(response))
        case .exception(let code):
            counters.exceptions += 1
            p.completion(.failure(.exception(code)))
        case .malformed(let why):
            counters.failures += 1
            p.completion(.failure(.malformedResponse(why)))
        }
        pump()
    }

    private func linkBroke(_ reason: String) {
        state = .closed
        logger.debug("modbus.client.disconnected", ["reason": reason])
        if inFlight != nil {
            if let t = responseTimer { loop.cancel(t) }
            responseTimer = nil
            attemptFailed(.disconnected(reason))
        }
    }

    /// A timeout or a broken link: retry after backoff while attempts remain, else fail the request.
    private func attemptFailed(_ error: ModbusError) {
        guard let p = inFlight else { return }
        inFlight = nil
        if case .timeout = error, endpoint.isTCP, p.attempt > options.retries {
            // The connection may be half dead (a host that stopped answering): start afresh next time.
            link.close()
            state = .closed
        }
        if p.attempt <= options.retries {
            counters.retries += 1
            queue.insert(p, at: 0)
            nextSendAt = loop.now + options.backoff(forAttempt: p.attempt)
            schedulePump(at: nextSendAt)
            return
        }
        if case .timeout = error { counters.timeouts += 1 } else { counters.failures += 1 }
        nextSendAt = loop.now + link.turnaround
        p.completion(.failure(error))
        schedulePump(at: nextSendAt)
    }

    private func failAll(_ error: ModbusError) {
        let all = queue
        queue = []
        counters.failures += all.count
        for p in all { p.completion(.failure(error)) }
    }
}
