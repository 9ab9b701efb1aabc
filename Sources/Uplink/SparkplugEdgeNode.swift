import Config
import EventLoop
import Glibc
import Modbus

/// The agent as a Sparkplug B 3.0 edge node: births, report by exception, commands, store-and-forward, and the
/// connection to the first broker of the list that answers, over ``MQTTConnection``, all on the loop.
///
/// - Each connection attempt increments `bdSeq` (kept in the buffer directory across restarts) and registers
///   NDEATH with it as the Will. Once connected (and, with `primary_host`, once that host's STATE is online) the
///   node publishes NBIRTH (seq 0, every node metric, `Node Control/Rebirth`, `bdSeq`) and a DBIRTH per online
///   device, then data. `seq` counts 0–255 over every message but NDEATH.
/// - Every `interval` the metrics are sampled; a number that moved more than `deadband`, any other change, or a
///   metric silent for `max_interval` is reported (NDATA/DDATA, by alias).
/// - Data is queued in order: in memory while the broker keeps up, on disk (``DiskBuffer``) while it is away or
///   when the memory queue is full. After a reconnect the node re-births, then replays the disk in order as
///   historical metrics, then goes on live. Data is published with QoS 1 (default): a message is retired only
///   when the broker acknowledged it, so a broker that dies loses nothing; what it received without its PUBACK
///   reaching us is sent again (the only duplicates, with the same timestamps).
/// - NCMD `Node Control/Rebirth` re-births. Other NCMD metrics go to ``onCommand`` (the agent's command block
///   gate) only with a `Host ID` string metric naming one of `command_hosts`; DCMD is refused. Refusals are
///   logged (rate-limited) and counted.
public final class SparkplugEdgeNode {
    /// A metric the node publishes: its name, the device it belongs to (nil: the node) and its type.
    public struct Definition: Sendable, Equatable {
        public var name: String
        public var device: String?
        public var dataType: SparkplugMetric.DataType
        public init(name: String, device: String? = nil, dataType: SparkplugMetric.DataType) {
            self.name = name
            self.device = device
            self.dataType = dataType
        }
    }

    /// What the command gate said.
    public enum CommandOutcome: Equatable, Sendable {
        case accepted
        case refused(String)
    }

    public let config: UplinkConfig
    public let definitions: [Definition]
    /// The devices, in order of first appearance in ``definitions``.
    public let devices: [String]
    /// Sparkplug metric name of the rebirth request.
    public static let rebirthMetric = "Node Control/Rebirth"
    /// The metric naming the host application that sent an NCMD.
    public static let hostIDMetric = "Host ID"

    /// Applies an NCMD metric (the agent's command block gate): host id, metric name, value.
    public var onCommand: (String, String, SparkplugMetric.Value) -> CommandOutcome = { _, _, _ in .refused("no command gate") }
    /// Called when the node is born (true) or loses its session (false): status, fleet load tests.
    public var onOnlineChange: (Bool) -> Void = { _ in }
    /// Whether a device is online now (a Modbus device's or a peer's link); offline devices get DDEATH.
    public var deviceOnline: (String) -> Bool = { _ in true }

    public private(set) var stats = UplinkStats()
    public let buffer: DiskBuffer
    public private(set) var bdSeq: UInt64 = 0
    /// Messages queued in memory (not yet acknowledged).
    public var queued: Int { memory.count }

    private let loop: any EventLoop
    private let logger: Logger
    private let resolver: NameResolver
    private let wallClock: () -> UInt64
    private let random: () -> Double
    private let sample: () -> [SparkplugMetric.Value]
    private let topics: SparkplugTopic
    private var aliases: [String: UInt64] = [:]
    private var connection: MQTTConnection?
    private var lookup: NameResolver.Lookup?
    private var brokerIndex = 0
    /// The current broker's resolved addresses not tried yet (a name may have several: IPv6 and IPv4, replicas).
    private var untriedAddresses: [String] = []
    private var backoff: ReconnectBackoff
    private var reconnectTimer: TimerID?
    private var sampleTimer: TimerID?
    private var running = false
    private var hostOnline: Bool
    private var born = false
    private var seq: UInt64 = 0
    private var deviceBorn: Set<String> = []
    /// Last reported value and time per definition.
    private var reported: [(value: SparkplugMetric.Value, at: Instant)?]
    private struct Queued {
        var record: [UInt8]
        var mid: Int32?
        var sentAt: Instant?
    }
    private var memory: [Queued] = []
    private var replayInFlight: [(mid: Int32, position: DiskBuffer.Position, acked: Bool, sentAt: Instant, samples: Int)] = []
    private let refusals: RateLimitedLog
    /// The most messages in flight (unacknowledged) at once.
    public static let window = 32
    /// The memory queue's bound; beyond it the queue moves to disk.
    public static let memoryLimit = 512
    /// The tick counter published with `count_samples`.
    public static let sampleCounterMetric = "Node Info/Sample"
    /// Sampling ticks since start.
    public private(set) var ticks: Int64 = 0

    /// A node for `config` publishing `definitions`; `sample` returns their current values in the same order.
    /// `wallClock` gives Sparkplug timestamps (ms since the Unix epoch); `random` is in [0, 1) (backoff jitter).
    public init(config: UplinkConfig, definitions: [Definition], bufferDirectory: String, loop: any EventLoop, logger: Logger,
                resolver: NameResolver? = nil, wallClock: @escaping () -> UInt64 = SparkplugEdgeNode.epochMilliseconds,
                random: @escaping () -> Double = { Double.random(in: 0..<1) },
                sample: @escaping () -> [SparkplugMetric.Value]) throws(SystemError) {
        self.config = config
        self.definitions = config.countSamples ? definitions + [Definition(name: Self.sampleCounterMetric, dataType: .int64)] : definitions
        var devices: [String] = []
        for d in self.definitions { if let dev = d.device, !devices.contains(dev) { devices.append(dev) } }
        self.devices = devices
        self.loop = loop
        self.logger = logger
        self.resolver = resolver ?? NameResolver(loop: loop)
        self.wallClock = wallClock
        self.random = random
        self.sample = sample
        topics = SparkplugTopic(group: config.group, node: config.node)
        backoff = ReconnectBackoff(minimum: config.backoffMin, maximum: config.backoffMax)
        hostOnline = config.primaryHost == nil
        reported = Array(repeating: nil, count: self.definitions.count)
        for (i, d) in self.definitions.enumerated() { aliases[Self.key(d.device, d.name)] = UInt64(i + 1) }
        buffer = try DiskBuffer(directory: bufferDirectory, limit: config.bufferBytes)
        refusals = RateLimitedLog(event: "uplink.command_refused", loop: loop, logger: logger)
        bdSeq = loadBdSeq()
    }

    /// Milliseconds since the Unix epoch (`CLOCK_REALTIME`): Sparkplug timestamps are wall-clock time.
    public static func epochMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(max(0, ts.tv_sec)) * 1000 + UInt64(max(0, ts.tv_nsec)) / 1_000_000
    }

    /// Starts sampling and connecting.
    public func start() {
        guard !running else { return }
        running = true
        logger.notice("uplink.starting", ["brokers": config.brokers.map(\.description).joined(separator: ","), "group": config.group,
                                          "node": config.node, "buffered": buffer.count, "buffer_dir": buffer.directory])
        connectNext()
        scheduleSample()
    }

    /// Publishes NDEATH and disconnects; unacknowledged data stays on disk for the next start.
    public func stop() {
        guard running else { return }
        running = false
        if let t = sampleTimer { loop.cancel(t) }
        if let t = reconnectTimer { loop.cancel(t) }
        lookup?.cancel()
        if let c = connection, c.isConnected {
            c.publish(topic: topics.node("NDEATH"), payload: deathPayload(), qos: 0)
        }
        connection?.close()
        connection = nil
        connectionEnded()
    }

    // MARK: Connection

    private func connectNext() {
        guard running, connection == nil, !config.brokers.isEmpty else { return }
        let broker = config.brokers[brokerIndex % config.brokers.count]
        lookup = resolver.lookupAll(host: broker.host, port: broker.port) { [weak self] result in
            guard let self, self.running else { return }
            self.lookup = nil
            switch result {
            case .success(let addresses):
                self.untriedAddresses = addresses.dropFirst().map(\.host)
                self.connect(broker, address: addresses[0].host)
            case .failure(let f): self.attemptFailed(broker, "resolve \(broker.host): \(f.description)")
            }
        }
    }

    private func connect(_ broker: UplinkConfig.Broker, address: String) {
        bdSeq = (bdSeq + 1) % 256
        saveBdSeq()
        var password: String?
        if let file = config.passwordFile {
            guard let p = Self.firstLine(of: file) else { return attemptFailed(broker, "password_file \(file) cannot be read") }
            password = p
        }
        var options = MQTTConnection.Options(clientID: config.clientID, protocolVersion: config.protocolVersion, keepalive: config.keepalive,
                                             tls: broker.tls ? config.tls : nil, username: config.username, password: password,
                                             will: (topics.node("NDEATH"), deathPayload()))
        options.connectTimeout = config.connectTimeout
        options.tlsHost = broker.host
        let c = MQTTConnection(loop: loop, logger: logger, broker: broker.description)
        connection = c
        c.onConnected = { [unowned self, unowned c] in self.connected(c) }
        c.onClosed = { [unowned self] reason in self.closed(broker, address: address, reason) }
        c.onMessage = { [unowned self] topic, payload in self.message(topic, payload) }
        c.onPublished = { [unowned self] mid in self.acknowledged(mid) }
        c.start(address: address, port: broker.port, options: options)
    }

    private func connected(_ c: MQTTConnection) {
        stats.connects += 1
        stats.broker = c.broker
        backoff.reset()
        logger.notice("uplink.connected", ["broker": c.broker, "protocol": config.protocolVersion.rawValue, "bdSeq": bdSeq, "buffered": buffer.count])
        c.subscribe(topics.node("NCMD"))
        c.subscribe(topics.device("DCMD", "+"))
        if let host = config.primaryHost {
            c.subscribe(SparkplugTopic.state(host))
            awaitPrimaryHost(c, host)
        }
        if hostOnline { birth() }
    }

    /// The broker sends the host's retained STATE on every SUBSCRIBE. A broker that had just lost a peer may not
    /// (a NATS node whose JetStream is re-electing): while the host is not known online, subscribe again every
    /// ``stateRetry``.
    private func awaitPrimaryHost(_ c: MQTTConnection, _ host: String) {
        loop.schedule(after: Self.stateRetry) { [weak self, weak c] in
            guard let self, let c, c === self.connection, c.isConnected, !self.hostOnline else { return }
            self.logger.info("uplink.waiting_for_primary_host", ["host": host, "action": "subscribing to its STATE again"])
            c.subscribe(SparkplugTopic.state(host))
            self.awaitPrimaryHost(c, host)
        }
    }

    /// How often the STATE subscription is renewed while the primary host is not known online.
    public static let stateRetry: Duration = .seconds(3)

    private func closed(_ broker: UplinkConfig.Broker, address: String, _ reason: String) {
        connection = nil
        let wasConnected = stats.broker != nil
        connectionEnded()
        if !wasConnected, running, !untriedAddresses.isEmpty {
            // The same broker's next address at once; the backoff is for when none of them answered.
            let next = untriedAddresses.removeFirst()
            stats.connectFailures += 1
            stats.lastProblem = "\(broker) (\(address)): \(reason)"
            logger.warning("uplink.connect_failed", ["broker": broker.description, "address": address, "reason": reason, "next_address": next])
            loop.schedule(after: .zero) { [weak self] in
                guard let self, self.running, self.connection == nil else { return }
                self.connect(broker, address: next)
            }
            return
        }
        untriedAddresses = []
        if wasConnected {
            logger.warning("uplink.disconnected", ["broker": broker.description, "reason": reason, "buffered": buffer.count])
            stats.lastProblem = reason
            brokerIndex += 1
            scheduleReconnect(after: config.backoffMin * random() )
        } else {
            attemptFailed(broker, reason)
        }
    }

    private func attemptFailed(_ broker: UplinkConfig.Broker, _ reason: String) {
        connection = nil
        untriedAddresses = []
        stats.connectFailures += 1
        stats.lastProblem = "\(broker): \(reason)"
        brokerIndex += 1
        let delay = backoff.nextDelay(unit: random())
        logger.warning("uplink.connect_failed", ["broker": broker.description, "reason": reason, "retry_in": "\(Int(delay.milliseconds))ms"])
        scheduleReconnect(after: delay)
    }

    private func scheduleReconnect(after delay: Duration) {
        guard running else { return }
        reconnectTimer = loop.schedule(after: delay) { [weak self] in self?.connectNext() }
    }

    /// Offline: memory queue to disk (in order, before anything newer), replay cursor back to the first unacknowledged.
    private func connectionEnded() {
        if born { onOnlineChange(false) }
        born = false
        stats.online = false
        stats.broker = nil
        deviceBorn = []
        spillMemory()
        replayInFlight = []
        buffer.rewind()
        if config.primaryHost != nil { hostOnline = false }
    }

    // MARK: Births

    private func birth() {
        guard let c = connection, c.isConnected else { return }
        seq = 0
        let now = wallClock()
        let values = currentValues()
        var nodeMetrics = [SparkplugMetric(name: "bdSeq", timestamp: now, value: .int64(Int64(bdSeq))),
                           SparkplugMetric(name: Self.rebirthMetric, timestamp: now, value: .boolean(false))]
        for (i, d) in definitions.enumerated() where d.device == nil {
            nodeMetrics.append(SparkplugMetric(name: d.name, alias: UInt64(i + 1), timestamp: now, value: values[i]))
            reported[i] = (values[i], loop.now)
        }
        c.publish(topic: topics.node("NBIRTH"), payload: SparkplugPayload(timestamp: now, metrics: nodeMetrics, seq: nextSeq()).encoded(), qos: 0)
        stats.births += 1
        born = true
        stats.online = true
        deviceBorn = []
        for dev in devices where deviceOnline(dev) { deviceBirth(dev, values: values, now: now) }
        onOnlineChange(true)
        logger.notice("uplink.born", ["bdSeq": bdSeq, "metrics": definitions.count + 2, "devices": deviceBorn.count, "replay": buffer.count + memory.count])
        drain()
    }

    private func deviceBirth(_ dev: String, values: [SparkplugMetric.Value], now: UInt64) {
        guard let c = connection else { return }
        var metrics: [SparkplugMetric] = []
        for (i, d) in definitions.enumerated() where d.device == dev {
            metrics.append(SparkplugMetric(name: d.name, alias: UInt64(i + 1), timestamp: now, value: values[i]))
            reported[i] = (values[i], loop.now)
        }
        c.publish(topic: topics.device("DBIRTH", dev), payload: SparkplugPayload(timestamp: now, metrics: metrics, seq: nextSeq()).encoded(), qos: 0)
        deviceBorn.insert(dev)
    }

    private func deathPayload() -> [UInt8] {
        SparkplugPayload(timestamp: wallClock(), metrics: [SparkplugMetric(name: "bdSeq", value: .int64(Int64(bdSeq)))]).encoded()
    }

    private func nextSeq() -> UInt64 {
        let s = seq
        seq = (seq + 1) % 256
        return s
    }

    // MARK: Sampling

    private func scheduleSample() {
        sampleTimer = loop.schedule(after: config.interval) { [weak self] in
            guard let self, self.running else { return }
            self.sampleOnce()
            self.scheduleSample()
        }
    }

    /// Samples every metric and queues what changed (report by exception); also births and deaths of devices.
    public func sampleOnce() {
        ticks += 1
        let values = currentValues()
        let now = wallClock()
        if born {
            for dev in devices {
                let online = deviceOnline(dev)
                if online && !deviceBorn.contains(dev) {
                    deviceBirth(dev, values: values, now: now)
                } else if !online && deviceBorn.contains(dev) {
                    connection?.publish(topic: topics.device("DDEATH", dev), payload: SparkplugPayload(timestamp: now, seq: nextSeq()).encoded(), qos: 0)
                    deviceBorn.remove(dev)
                }
            }
        }
        var groups: [String?: [SparkplugMetric]] = [:]
        for (i, d) in definitions.enumerated() {
            let v = values[i]
            if let last = reported[i], !changed(last.value, v), loop.now - last.at < config.maxInterval { continue }
            reported[i] = (v, loop.now)
            groups[d.device, default: []].append(SparkplugMetric(name: d.name, timestamp: now, value: v))
        }
        for dev in [nil] + devices.map(Optional.some) {
            guard let metrics = groups[dev], !metrics.isEmpty else { continue }
            // A device that is down has no data (its DDEATH, or its absence from the births, says so).
            if let dev, !deviceOnline(dev) { continue }
            enqueue(Self.record(device: dev, SparkplugPayload(timestamp: now, metrics: metrics)))
        }
        drain()
    }

    private func currentValues() -> [SparkplugMetric.Value] {
        var values = sample()
        if config.countSamples { values.append(.int64(ticks)) }
        // A sampler that returned the wrong count is a programmer error upstream; never index past it here.
        if values.count < definitions.count { values += Array(repeating: .null(.unsupported), count: definitions.count - values.count) }
        return values
    }

    private func changed(_ a: SparkplugMetric.Value, _ b: SparkplugMetric.Value) -> Bool {
        if case .double(let x) = a, case .double(let y) = b { return abs(x - y) > config.deadband || (config.deadband == 0 && x != y) }
        if case .int64(let x) = a, case .int64(let y) = b { return Double(abs(x &- y)) > config.deadband || (config.deadband == 0 && x != y) }
        return a != b
    }

    // MARK: Queue

    /// Disk while offline or while the disk still holds records not yet sent (order), else memory. Records already
    /// sent from disk and awaiting their PUBACK are older than anything queued in memory, so after a disconnect
    /// the disk (rewound to its first unacknowledged record) and then the spilled memory queue keep the order.
    private func enqueue(_ record: [UInt8]) {
        if !born || buffer.hasUnsent {
            buffer.append(record)
            return
        }
        if memory.count >= Self.memoryLimit { spillMemory() }
        if buffer.hasUnsent { buffer.append(record); return }
        memory.append(Queued(record: record))
    }

    /// Moves the memory queue to disk in order (a message in flight may then be sent twice).
    private func spillMemory() {
        for q in memory { buffer.append(q.record) }
        memory = []
    }

    /// Publishes what may be sent now: disk first (historical, in order), then the memory queue.
    private func drain() {
        guard born, let c = connection, c.isConnected else { return }
        while replayInFlight.count < Self.window, let (position, record) = buffer.peek() {
            guard let (payload, topic, samples) = publishable(record, historical: true) else {
                buffer.acknowledge(through: position)
                continue
            }
            guard let mid = c.publish(topic: topic, payload: payload, qos: Int32(config.dataQoS)) else { return }
            replayInFlight.append((mid, position, false, loop.now, samples))
        }
        guard !buffer.hasUnsent else { return }
        var inFlight = memory.reduce(0) { $0 + ($1.mid == nil ? 0 : 1) }
        var i = 0
        while i < memory.count && inFlight < Self.window {
            if memory[i].mid != nil { i += 1; continue }
            // A record of a device that died since it was queued has no alias to go by now (its DDEATH said so).
            guard let (payload, topic, _) = publishable(memory[i].record, historical: false) else { memory.remove(at: i); continue }
            guard let mid = c.publish(topic: topic, payload: payload, qos: Int32(config.dataQoS)) else { return }
            memory[i].mid = mid
            memory[i].sentAt = loop.now
            inFlight += 1
            i += 1
        }
    }

    private func acknowledged(_ mid: Int32) {
        if let i = replayInFlight.firstIndex(where: { $0.mid == mid }) {
            replayInFlight[i].acked = true
            stats.recordLatency(loop.now - replayInFlight[i].sentAt)
            stats.published += 1
            stats.replayed += 1
            stats.samples += UInt64(replayInFlight[i].samples)
            var last: DiskBuffer.Position?
            while let first = replayInFlight.first, first.acked { last = first.position; replayInFlight.removeFirst() }
            if let last { buffer.acknowledge(through: last) }
        } else if let i = memory.firstIndex(where: { $0.mid == mid }) {
            if let sent = memory[i].sentAt { stats.recordLatency(loop.now - sent) }
            stats.published += 1
            stats.samples += UInt64(Self.sampleCount(memory[i].record))
            memory.remove(at: i)
        } else {
            return
        }
        drain()
    }

    /// A stored record as the message to send now: metrics by alias, `is_historical` when replayed, the next seq.
    private func publishable(_ record: [UInt8], historical: Bool) -> ([UInt8], String, Int)? {
        guard let (device, payload) = Self.parse(record) else { return nil }
        if let device, !deviceBorn.contains(device) { return nil }
        var metrics: [SparkplugMetric] = []
        for var m in payload.metrics {
            guard let name = m.name, let alias = aliases[Self.key(device, name)] else { continue }
            m.name = nil
            m.alias = alias
            m.isHistorical = historical
            metrics.append(m)
        }
        guard !metrics.isEmpty else { return nil }
        let out = SparkplugPayload(timestamp: payload.timestamp, metrics: metrics, seq: nextSeq()).encoded()
        return (out, device.map { topics.device("DDATA", $0) } ?? topics.node("NDATA"), metrics.count)
    }

    // MARK: Messages in

    private func message(_ topic: String, _ payload: [UInt8]) {
        if let host = config.primaryHost, topic == SparkplugTopic.state(host) {
            let online = Self.stateOnline(payload)
            logger.notice("uplink.primary_host", ["host": host, "online": online ? "true" : "false"])
            if online && !hostOnline {
                hostOnline = true
                if !born { birth() }
            } else if !online && hostOnline {
                hostOnline = false
                // Sparkplug 3.0 (host application offline): the node publishes NDEATH, disconnects, connects again
                // and waits for the host's STATE online before it births. Outside libmosquitto's read callback.
                loop.schedule(after: .zero) { [weak self] in self?.leaveForPrimaryHost(host) }
            }
            return
        }
        if topic == topics.node("NCMD") { return nodeCommand(payload) }
        if topic.hasPrefix(topics.node("DCMD") + "/") {
            refuse(host: "?", "DCMD", "devices take no commands; send NCMD with the command block's metrics")
        }
    }

    /// The primary host went offline: NDEATH (QoS 0, as the births), a clean DISCONNECT (so the broker does not
    /// publish the Will a second time), the queue back to disk, then a new connection that waits for STATE online.
    private func leaveForPrimaryHost(_ host: String) {
        guard running, !hostOnline, let c = connection, c.isConnected else { return }
        if born { c.publish(topic: topics.node("NDEATH"), payload: deathPayload(), qos: 0) }
        logger.notice("uplink.primary_host_offline", ["host": host, "bdSeq": bdSeq, "action": "NDEATH, disconnect, reconnect and wait for its STATE online"])
        c.close()
        connection = nil
        connectionEnded()
        stats.lastProblem = "primary host \(host) offline"
        scheduleReconnect(after: config.backoffMin * random())
    }

    private func nodeCommand(_ bytes: [UInt8]) {
        let payload: SparkplugPayload
        do { payload = try SparkplugPayload.decode(bytes) } catch {
            return refuse(host: "?", "NCMD", "malformed payload: \(error.description)")
        }
        var host: String?
        for m in payload.metrics where m.name == Self.hostIDMetric { if case .string(let h) = m.value { host = h } }
        for m in payload.metrics {
            let name = m.name ?? m.alias.flatMap { a in definitions.indices.contains(Int(clamping: a) - 1) ? definitions[Int(clamping: a) - 1].name : nil } ?? "?"
            if name == Self.hostIDMetric { continue }
            if name == Self.rebirthMetric {
                if m.value == .boolean(true) {
                    logger.notice("uplink.rebirth_requested", ["host": host ?? "?"])
                    if born { birth() }
                }
                continue
            }
            guard let host else { refuse(host: "?", name, "no '\(Self.hostIDMetric)' string metric names the sender"); continue }
            guard config.commandHosts.contains(host) else {
                refuse(host: host, name, config.commandHosts.isEmpty ? "no command_hosts configured" : "host not in command_hosts (\(config.commandHosts.joined(separator: ",")))")
                continue
            }
            switch onCommand(host, name, m.value) {
            case .accepted:
                stats.commandsAccepted += 1
                logger.notice("uplink.command", ["host": host, "metric": name, "value": "\(m.value)"])
            case .refused(let why):
                refuse(host: host, name, why)
            }
        }
    }

    private func refuse(host: String, _ what: String, _ why: String) {
        stats.commandsRefused += 1
        refusals.record(source: host, [("host", host), ("metric", what), ("reason", why)])
    }

    // MARK: Helpers

    /// A buffer record: device name length (u8), device name, the payload with named metrics.
    static func record(device: String?, _ payload: SparkplugPayload) -> [UInt8] {
        let name = Array((device ?? "").utf8.prefix(255))
        return [UInt8(name.count)] + name + payload.encoded()
    }

    static func parse(_ record: [UInt8]) -> (String?, SparkplugPayload)? {
        guard let n = record.first.map(Int.init), record.count >= 1 + n else { return nil }
        let device = n == 0 ? nil : String(decoding: record[1..<(1 + n)], as: UTF8.self)
        guard let payload = try? SparkplugPayload.decode(Array(record[(1 + n)...])) else { return nil }
        return (device, payload)
    }

    static func sampleCount(_ record: [UInt8]) -> Int { parse(record)?.1.metrics.count ?? 0 }

    private static func key(_ device: String?, _ name: String) -> String { (device ?? "") + "\u{0}" + name }

    /// Sparkplug 3.0 STATE: `{"online": true, "timestamp": …}`.
    static func stateOnline(_ payload: [UInt8]) -> Bool {
        let compact = payload.prefix(1024).filter { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }
        return String(decoding: compact, as: UTF8.self).includes("\"online\":true")
    }

    private var bdSeqPath: String { buffer.directory + "/bdseq" }

    private func loadBdSeq() -> UInt64 {
        guard let line = Self.firstLine(of: bdSeqPath), let v = UInt64(line), v < 256 else { return 255 }
        return v
    }

    private func saveBdSeq() {
        let fd = open(bdSeqPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return }
        let text = Array("\(bdSeq)\n".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    static func firstLine(of path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 512)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n >= 0 else { return nil }
        return String(decoding: buf.prefix(n).prefix { $0 != 10 && $0 != 13 }, as: UTF8.self)
    }
}
