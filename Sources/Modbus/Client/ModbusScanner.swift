import EventLoop

/// Finds the unit ids that answer on an endpoint and what each answers: one read of one item of each table at
/// `address`, unit by unit, on the loop (`fieldagent modbus scan`). A unit that does not answer its first read
/// within the timeout, or answers *gateway path unavailable* / *gateway target failed to respond*, is absent;
/// any other answer (data or an exception) means a device is there, and the exception says what it refuses.
/// Each unit found is then asked for its device identification (FC 43 / MEI 14, regular objects).
public final class ModbusScanner {
    /// What one unit answered.
    public struct Unit: Sendable, Equatable {
        public var id: UInt8
        /// Per table probed, in ``tables`` order: the outcome (`ok`, or the error).
        public var answers: [(table: ModbusTable, result: String, ok: Bool)]
        /// Mean time from request to answer over the tables that answered (the unit's timing profile).
        public var responseTime: Duration
        /// What the unit says it is (FC 43 / MEI 14), or nil when it refused or did not answer the request.
        public var identity: DeviceIdentificationAnswer?

        public static func == (a: Unit, b: Unit) -> Bool {
            a.id == b.id && a.identity == b.identity && a.answers.map { "\($0.table)\($0.result)" } == b.answers.map { "\($0.table)\($0.result)" }
        }

        /// The tables that returned data.
        public var readable: [ModbusTable] { answers.filter(\.ok).map(\.table) }
    }

    /// The tables probed, in order.
    public static let tables: [ModbusTable] = [.holdingRegisters, .inputRegisters, .coils, .discreteInputs]

    private let loop: EventLoop
    private let client: ModbusClient
    private let units: [UInt8]
    private let address: UInt16
    private var found: [Unit] = []
    private var done: (([Unit]) -> Void)?
    private var failure: ModbusError?

    /// A scanner of `units` at `endpoint` (responses within `timeout`, no retries).
    public init(loop: EventLoop, endpoint: ModbusEndpoint, units: [UInt8], address: UInt16 = 0,
                timeout: Duration = .milliseconds(200)) throws(SystemError) {
        self.loop = loop
        self.units = units
        self.address = address
        client = try ModbusClient(loop: loop, endpoint: endpoint, options: ModbusClientOptions(responseTimeout: timeout, retries: 0))
    }

    /// Why the scan stopped early (the endpoint cannot be reached), or nil.
    public var error: ModbusError? { failure }

    /// Scans every unit in turn; `completion` runs on the loop with the units that answered.
    public func start(_ completion: @escaping ([Unit]) -> Void) {
        done = completion
        probe(unit: 0, table: 0, current: nil)
    }

    public func close() { client.close() }

    private func finish() {
        let d = done
        done = nil
        d?(found)
    }

    private func probe(unit u: Int, table t: Int, current: Unit?) {
        guard u < units.count else { finish(); return }
        let id = units[u]
        let table = Self.tables[t]
        let sent = loop.preciseNow()
        client.send(.read(table: table, address: address, count: 1), unit: id) { [weak self] result in
            guard let self else { return }
            let took = self.loop.preciseNow() - sent
            var unit = current ?? Unit(id: id, answers: [], responseTime: .zero)
            switch result {
            case .failure(.timeout), .failure(.exception(.gatewayPathUnavailable)), .failure(.exception(.gatewayTargetFailedToRespond)):
                if t == 0 {  // nobody home: the next unit
                    self.probe(unit: u + 1, table: 0, current: nil)
                    return
                }
                unit.answers.append((table, "\(result.failureDescription)", false))
            case .failure(.connectFailed(let why)), .failure(.disconnected(let why)):
                self.failure = .connectFailed(why)
                self.finish()
                return
            case .failure(let e):
                unit.answers.append((table, e.description, false))
                unit.responseTime += took
            case .success:
                unit.answers.append((table, "ok", true))
                unit.responseTime += took
            }
            if t + 1 < Self.tables.count {
                self.probe(unit: u, table: t + 1, current: unit)
            } else {
                let answered = unit.answers.filter { $0.result != "timeout" }.count
                unit.responseTime = answered > 0 ? unit.responseTime / answered : .zero
                self.identify(unit, next: u + 1)
            }
        }
    }

    /// Asks a unit found for its device identification, then goes on with unit index `next`.
    private func identify(_ found: Unit, next: Int) {
        client.send(.readDeviceIdentification(readCode: 2, objectId: 0), unit: found.id) { [weak self] result in
            guard let self else { return }
            var unit = found
            if case .success(.deviceIdentification(let answer)) = result { unit.identity = answer }
            self.found.append(unit)
            self.probe(unit: next, table: 0, current: nil)
        }
    }
}

extension Result where Failure == ModbusError {
    var failureDescription: String {
        if case .failure(let e) = self { return e.description }
        return "ok"
    }
}
