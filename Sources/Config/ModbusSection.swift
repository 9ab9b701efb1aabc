import Modbus
import YAML

/// `modbus:`: the Modbus devices the agent polls (sensors) and drives (actuators).
///
/// ```yaml
/// modbus:
///   - name: boiler                          # required; unique among devices
///     endpoint: tcp://192.168.1.20:502      # or rtu:/dev/ttyUSB0?baud=19200&parity=E&rs485=1
///     unit: 1                               # 0…247, default 1
///     timeout: 1s                           # response timeout, default 1s; at least 1ms (also connect_timeout)
///     connect_timeout: 3s                   # TCP only, default 3s
///     retries: 2                            # after a timeout, default 2
///     backoff: 100ms                        # before the first retry; doubles, default 100ms
///     stale_after: 5s                       # default 3 × the shortest poll; at least 2 × it
///     down_after: 3                         # failed requests in a row, default 3
///     points:
///       - name: temperature                 # required; unique within the device
///         table: input                      # coils | discrete | holding | input
///         address: 0                        # 0-based, as on the wire
///         count: 1                          # consecutive values, default 1
///         type: float32                     # bool | int16 | uint16 | int32 | uint32 | float32 (default uint16; bool on bit tables)
///         word_order: big                   # big | little, for 32-bit types
///         scale: 0.1                        # value = raw × scale + offset
///         offset: 0
///         poll: 1s                          # poll interval; omit for a point that is only written
///         writable: false                   # true for actuators (coils and holding only)
///         safe: 0                           # writable points driven by decide: the fail-safe value (on/off for coils)
/// ```
enum ModbusSection {
    /// The top-level key.
    static let key = "modbus"
    /// The keys of one device.
    static let deviceKeys = ["name", "endpoint", "unit", "timeout", "connect_timeout", "retries", "backoff", "stale_after", "down_after", "points"]
    /// The keys of one point.
    static let pointKeys = ["name", "table", "address", "count", "type", "word_order", "scale", "offset", "poll", "writable", "safe"]

    static func decode(_ node: YAMLNode?, _ c: ConfigContext) -> [ModbusDeviceConfig] {
        let r = c.reader
        var out: [ModbusDeviceConfig] = []
        var deviceNames: [String: Int] = [:]
        var lines: [String: (settings: SerialSettings, line: Int)] = [:]
        var units: [String: Int] = [:]
        for item in r.list(node, key) {
            let what = item["name"]?.scalarValue.map { "Modbus device '\($0)'" } ?? "a Modbus device"
            guard let f = r.fields(item, what: what, known: deviceKeys) else { continue }
            let name = r.required(f, "name", in: what, at: item.mark)
            if let name, let n = f["name"] {
                if let line = deviceNames[name] {
                    r.error(n.mark, "the Modbus device name '\(name)' is already used at line \(line); device names must be unique")
                } else {
                    deviceNames[name] = n.mark.line
                }
            }
            var endpoint: ModbusEndpoint?
            if let text = r.required(f, "endpoint", in: what, at: item.mark), let n = f["endpoint"] {
                do {
                    endpoint = try ModbusEndpoint.parse(text)
                } catch {
                    r.error(n.mark, "endpoint \(error.description)")
                }
            }
            let unit = f["unit"].map { r.int($0, "unit", in: 0...247) } ?? 1
            var options = ModbusClientOptions()
            if let n = f["timeout"] { if let d = r.timeBudget(n, "timeout") { options.responseTimeout = d } }
            if let n = f["connect_timeout"] { if let d = r.timeBudget(n, "connect_timeout") { options.connectTimeout = d } }
            if let n = f["retries"] { if let v = r.int(n, "retries", in: 0...10) { options.retries = v } }
            if let n = f["backoff"] { if let d = r.duration(n, "backoff") { options.backoff = d } }
            let staleAfter = f["stale_after"].flatMap { r.positiveDuration($0, "stale_after") }
            let downAfter = f["down_after"].map { r.int($0, "down_after", in: 1...100) } ?? 3
            let points = decodePoints(f["points"], device: what, r)
            if f["points"] == nil { r.warning(item.mark, "\(what) has no points; it is never polled") }
            if let staleAfter, let n = f["stale_after"], let poll = points.compactMap(\.pollInterval).min() {
                r.checkStaleWindow(staleAfter, at: n, interval: poll, source: "polls")
            }
            guard let name, let endpoint, let unit, let downAfter else { continue }
            // Devices on one serial line share it: they must agree on how it is set up, and not share a unit id.
            if case .rtu(let settings) = endpoint, let n = f["endpoint"] {
                if let other = lines[settings.device], other.settings != settings {
                    r.error(n.mark, "\(settings.device) is set up differently at line \(other.line) (\(ModbusEndpoint.rtu(other.settings))); devices on one serial line must use the same settings")
                } else if lines[settings.device] == nil {
                    lines[settings.device] = (settings, n.mark.line)
                }
            }
            let busUnit: String = switch endpoint {
            case .rtu(let s): "\(s.device) unit \(unit)"
            case .tcp, .tls: "\(endpoint) unit \(unit)"
            }
            if let line = units[busUnit] { r.warning(item.mark, "\(what) is \(busUnit), like the device at line \(line)") } else { units[busUnit] = item.mark.line }
            out.append(ModbusDeviceConfig(name: name, endpoint: endpoint, unit: UInt8(unit), options: options,
                                          staleAfter: staleAfter, downAfterFailures: downAfter, points: points))
        }
        return out
    }

    private static func decodePoints(_ node: YAMLNode?, device: String, _ r: ConfigReader) -> [ModbusPointConfig] {
        var out: [ModbusPointConfig] = []
        var names: [String: Int] = [:]
        for item in r.list(node, "points") {
            let what = item["name"]?.scalarValue.map { "point '\($0)' of \(device)" } ?? "a point of \(device)"
            guard let f = r.fields(item, what: what, known: pointKeys) else { continue }
            let name = r.required(f, "name", in: what, at: item.mark)
            if let name, let n = f["name"] {
                if let line = names[name] { r.error(n.mark, "the point name '\(name)' is already used at line \(line) in \(device)") }
                names[name] = n.mark.line
            }
            var table: ModbusTable?
            if let n = f["table"] { table = r.choice(n, "table", ModbusTable.allCases) } else { r.error(item.mark, "\(what) needs 'table' (coils, discrete, holding or input)") }
            let address = f["address"].map { r.int($0, "address", in: 0...65535) } ?? { r.error(item.mark, "\(what) needs 'address' (0…65535, as on the wire)"); return nil }()
            let count = f["count"].map { r.int($0, "count", in: 1...125) } ?? 1
            let type = f["type"].map { r.choice($0, "type", PointType.allCases) } ?? (table?.isBits == true ? .bool : .uint16)
            let order = f["word_order"].map { r.choice($0, "word_order", WordOrder.allCases) } ?? .big
            var scale = f["scale"].map { number($0, "scale", r) } ?? 1
            if let n = f["scale"], scale == 0 {
                r.error(n.mark, "\(what): scale: 0 would read every value as the offset and write every value as 0; give the factor (0.1, 10 …)")
                scale = nil
            }
            let offset = f["offset"].map { number($0, "offset", r) } ?? 0
            let poll: Duration?? = f["poll"].map { r.cadence($0, "poll") }
            let writable = f["writable"].map { r.bool($0, "writable") } ?? false
            var safe: Double?? = .some(nil)
            if let n = f["safe"], let text = r.string(n, "safe") {
                if table == .coils, let b = YAMLScalar.bool(text) { safe = b ? 1 : 0 } else if let v = Double(text), v.isFinite { safe = v } else {
                    r.error(n.mark, "\(what): safe: '\(text)' is not \(table == .coils ? "on or off" : "a number")")
                    safe = nil
                }
                if writable != true { r.error(n.mark, "\(what): 'safe' is the value written on faults; it needs 'writable: true'") }
            }
            guard let name, let table, let address, let count, let type, let order, let scale, let offset, let writable,
                  let safe, poll != .some(nil) else { continue }
            if table.isBits && type != .bool {
                r.error(f["type"]!.mark, "\(what): \(table.rawValue) hold bits; type must be bool (or leave it out)")
                continue
            }
            if writable && !table.isWritable {
                r.error(f["writable"]!.mark, "\(what): \(table.rawValue) are read-only in Modbus; only coils and holding registers can be written")
                continue
            }
            let point = ModbusPointConfig(name: name, table: table, address: UInt16(address), count: count,
                                          codec: PointCodec(type: type, wordOrder: order, scale: scale, offset: offset),
                                          pollInterval: poll ?? nil, writable: writable, safeValue: safe)
            if point.itemCount > table.maxReadCount || Int(address) + point.itemCount > 65536 {
                r.error(item.mark, "\(what) spans \(point.itemCount) \(table.isBits ? "bits" : "registers") from \(address); one read covers at most \(table.maxReadCount) and ends by 65535")
                continue
            }
            if let safeValue = safe, let n = f["safe"], let problem = PointValueCheck.problem(safeValue, for: point) {
                r.error(n.mark, "\(what): safe: \(problem)")
                continue
            }
            if poll == nil && !writable { r.warning(item.mark, "\(what) has no 'poll' and is not writable; it is never used") }
            out.append(point)
        }
        return out
    }

    private static func number(_ node: YAMLNode, _ what: String, _ r: ConfigReader) -> Double? {
        guard let s = r.string(node, what) else { return nil }
        guard let v = Double(s), v.isFinite else {
            r.error(node.mark, "\(what): '\(s)' is not a number")
            return nil
        }
        return v
    }
}
