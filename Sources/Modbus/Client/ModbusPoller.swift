import EventLoop
import TLS

/// Polls the configured Modbus devices on the loop and drives their writable points: the agent's sensor and
/// actuator side. One ``ModbusClient`` per endpoint (units on one bus share it and take turns); one timer per
/// polled point; a ``DeviceLinkTracker`` per device. A point whose previous read is still outstanding skips
/// its turn, so a slow or silent device never piles up requests.
public final class ModbusPoller {
    private struct PointState {
        var device: Int
        var point: ModbusPointConfig
        var busy = false
        var timer: TimerID?
        var latest: ModbusSample?
    }

    /// Every sample, as it arrives.
    public var onSample: (ModbusSample) -> Void = { _ in }
    /// Called on every answer to a poll (data or an exception; not a timeout): device and point names, the time
    /// from send to answer, and the exception or nil. The agent's device identity check hangs here.
    public var onAnswer: (String, String, Duration, ModbusExceptionCode?) -> Void = { _, _, _, _ in }
    /// A device's link state changed (device name, new state).
    public var onLinkChange: (String, LinkState) -> Void = { _, _ in }
    /// A device's TCP host name resolved (device name, address).
    public var onResolved: (String, SocketAddress) -> Void = { _, _ in }

    /// The devices polled.
    public let devices: [ModbusDeviceConfig]
    private let loop: EventLoop
    private let logger: Logger
    private var clients: [ModbusEndpoint: ModbusClient] = [:]
    private var links: [DeviceLinkTracker]
    private var deviceCounters: [DeviceCounters]
    private var points: [PointState] = []
    private var running = false

    /// Creates the clients; TCP host names start resolving off the loop (``NameResolver``; `resolver` replaces
    /// the default, for tests). Polling starts with ``start()``. `tls` is the agent's client identity for
    /// `tls://` devices.
    public init(loop: EventLoop, devices: [ModbusDeviceConfig], logger: Logger = .silent, resolver: NameResolver? = nil,
                tls: TLSContext? = nil) throws(SystemError) {
        self.loop = loop
        self.devices = devices
        self.logger = logger
        links = devices.map { DeviceLinkTracker(staleAfter: $0.effectiveStaleAfter, downAfterFailures: $0.downAfterFailures) }
        deviceCounters = devices.map { _ in DeviceCounters() }
        let resolver = resolver ?? NameResolver(loop: loop)
        for (i, d) in devices.enumerated() {
            if clients[d.endpoint] == nil {
                let client = try ModbusClient(loop: loop, endpoint: d.endpoint, options: d.options, logger: logger, resolver: resolver, tls: tls)
                let endpoint = d.endpoint
                client.onResolved = { [unowned self] address in
                    for device in self.devices where device.endpoint == endpoint { self.onResolved(device.name, address) }
                }
                clients[d.endpoint] = client
            }
            for p in d.points { points.append(PointState(device: i, point: p)) }
        }
    }

    /// Uses `context` for `tls://` devices' next connections (certificate rotation on SIGHUP).
    public func reloadTLS(_ context: TLSContext) {
        for client in clients.values { client.reloadTLS(context) }
    }

    /// Why a device cannot be reached (its host name has not resolved, its TLS server was refused), or nil.
    public func problem(of device: String) -> String? {
        devices.first { $0.name == device }.flatMap { clients[$0.endpoint]?.problem }
    }

    deinit { stop() }

    /// Starts every point's poll timer (the first reads go out at once).
    public func start() {
        guard !running else { return }
        running = true
        for i in points.indices where points[i].point.pollInterval != nil { poll(i, at: loop.now) }
    }

    /// Stops polling and closes the clients (requests in flight complete as cancelled).
    public func stop() {
        guard running else { return }
        running = false
        for i in points.indices {
            if let t = points[i].timer { loop.cancel(t) }
            points[i].timer = nil
        }
        for c in clients.values { c.close() }
    }

    /// A device's link state, last-seen time and failures in a row; nil for an unknown device.
    public func link(of device: String) -> DeviceLinkTracker? {
        devices.firstIndex { $0.name == device }.map { links[$0] }
    }

    /// Requests, failures and exceptions of a device; nil for an unknown device.
    public func counters(of device: String) -> DeviceCounters? {
        devices.firstIndex { $0.name == device }.map { deviceCounters[$0] }
    }

    /// The latest sample of a point, or nil before its first answer.
    public func latest(device: String, point: String) -> ModbusSample? {
        points.first { devices[$0.device].name == device && $0.point.name == point }?.latest
    }

    /// The client serving an endpoint (for counters).
    public func client(for endpoint: ModbusEndpoint) -> ModbusClient? { clients[endpoint] }

    /// Asks `device` for its basic device identification (FC 43 / MEI 14, read code 1). `completion` gets the
    /// answer, or the exception when the device refuses it, or nil when it did not answer (timeout, link down).
    public func identify(device: String, completion: @escaping (Result<DeviceIdentificationAnswer, ModbusExceptionCode>?) -> Void) {
        guard let d = devices.firstIndex(where: { $0.name == device }), let client = clients[devices[d].endpoint] else {
            loop.schedule(after: .zero) { completion(nil) }
            return
        }
        client.send(.readDeviceIdentification(readCode: 1, objectId: 0), unit: devices[d].unit) { result in
            switch result {
            case .success(.deviceIdentification(let answer)): completion(.success(answer))
            case .failure(.exception(let code)): completion(.failure(code))
            default: completion(nil)
            }
        }
    }

    /// Writes `values` (engineering units) to a writable point: FC 5/15 for coils, FC 6/16 for holding registers.
    public func write(device: String, point: String, values: [Double], completion: @escaping (Result<Void, ModbusError>) -> Void) {
        guard let i = points.firstIndex(where: { devices[$0.device].name == device && $0.point.name == point }),
              points[i].point.writable, points[i].point.table.isWritable else {
            loop.schedule(after: .zero) { completion(.failure(.invalidValue("\(device).\(point) is not a writable point"))) }
            return
        }
        let p = points[i].point
        let request: ModbusRequest
        if p.table == .coils {
            let bits = values.map { $0 != 0 }
            request = bits.count == 1 ? .writeSingleCoil(address: p.address, value: bits[0]) : .writeMultipleCoils(address: p.address, values: bits)
        } else {
            var registers: [UInt16] = []
            do {
                for v in values { registers += try p.codec.encode(v) }
            } catch {
                loop.schedule(after: .zero) { completion(.failure(.invalidValue("\(device).\(point): \(error)"))) }
                return
            }
            request = registers.count == 1 ? .writeSingleRegister(address: p.address, value: registers[0])
                : .writeMultipleRegisters(address: p.address, values: registers)
        }
        let d = points[i].device
        deviceCounters[d].requests += 1
        clients[devices[d].endpoint]!.send(request, unit: devices[d].unit) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success:
                self.record(device: d, success: true)
                completion(.success(()))
            case .failure(let error):
                switch error {
                case .exception:
                    self.deviceCounters[d].exceptions += 1
                    self.record(device: d, success: true)
                case .cancelled: break
                default:
                    self.deviceCounters[d].failures += 1
                    self.record(device: d, success: false)
                }
                completion(.failure(error))
            }
        }
    }

    private func poll(_ i: Int, at deadline: Instant) {
        guard running, let interval = points[i].point.pollInterval else { return }
        // Fixed rate: the next turn is due one interval after this one was, not after it ran.
        var next = deadline + interval
        if next <= loop.now { next = loop.now + interval }
        points[i].timer = loop.schedule(at: next) { [weak self] in self?.poll(i, at: next) }
        if let changed = links[points[i].device].evaluate(at: loop.now) { report(points[i].device, changed) }
        guard !points[i].busy else { return }
        points[i].busy = true
        let d = points[i].device
        deviceCounters[d].requests += 1
        let p = points[i].point
        let sent = loop.preciseNow()
        clients[devices[d].endpoint]!.send(p.readRequest, unit: devices[d].unit) { [weak self] result in
            guard let self else { return }
            self.points[i].busy = false
            switch result {
            case .success: self.onAnswer(self.devices[d].name, p.name, self.loop.preciseNow() - sent, nil)
            case .failure(.exception(let code)): self.onAnswer(self.devices[d].name, p.name, self.loop.preciseNow() - sent, code)
            default: break
            }
            switch result {
            case .success(let response):
                let values: [Double]
                switch response {
                case .bits(let bits): values = bits.map { p.codec.decode(bit: $0) }
                case .registers(let registers):
                    let step = p.codec.type.registerCount
                    values = stride(from: 0, to: registers.count - step + 1, by: step).map { p.codec.decode(registers[$0..<($0 + step)]) }
                case .written, .deviceIdentification: values = []
                }
                let sample = ModbusSample(device: self.devices[d].name, point: p.name, values: values, at: self.loop.now)
                self.points[i].latest = sample
                self.record(device: d, success: true)
                self.onSample(sample)
            case .failure(let error):
                // An exception means the device is there but refuses the point: a config problem, not a link one.
                switch error {
                case .exception(let code):
                    self.deviceCounters[d].exceptions += 1
                    self.record(device: d, success: true)
                    self.logger.warning("modbus.point.exception", ["device": self.devices[d].name, "point": p.name, "exception": code.name])
                case .cancelled:
                    break  // stopping, not a link problem
                default:
                    self.deviceCounters[d].failures += 1
                    self.record(device: d, success: false)
                }
            }
        }
    }

    private func record(device d: Int, success: Bool) {
        let changed = success ? links[d].recordSuccess(at: loop.now) : links[d].recordFailure(at: loop.now)
        if let changed { report(d, changed) }
    }

    private func report(_ d: Int, _ state: LinkState) {
        logger.info("modbus.link", ["device": devices[d].name, "state": state.rawValue])
        onLinkChange(devices[d].name, state)
    }
}
