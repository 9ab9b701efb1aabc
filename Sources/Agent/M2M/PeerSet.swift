import Config
import EventLoop
import Modbus
import TLS

/// The peers this agent polls (`peers:`): their status and values blocks read over Modbus TCP on the loop,
/// with a link state per peer.
///
/// A peer's link is the poller's (up / stale / down), made worse by what it serves: a map version other
/// than ``RegisterLayout/version`` makes it `down` (logged once, with the version), and a heartbeat that
/// stops moving for the stale window makes it `stale`. A peer that comes back is picked up again.
public final class PeerSet {
    /// What is known of one peer.
    public struct Peer {
        public let config: PeerConfig
        /// Link state after the map-version and heartbeat checks.
        public internal(set) var link: LinkState = .down
        /// The last status block read (also kept while the link is down, for status).
        public internal(set) var status: PeerStatus?
        /// The values block (NaN for invalid or unused slots).
        public internal(set) var values: [Double] = Array(repeating: .nan, count: RegisterLayout.valueSlots)
        /// When a good status block last arrived.
        public internal(set) var lastSeen: Instant?
        /// Why the peer is down beyond the poller's view (`map version 7, expected 2`), if it is.
        public internal(set) var problem: String?
        var transportLink: LinkState = .down
        var heartbeatChanged: Instant?
    }

    public private(set) var peers: [Peer]
    /// Called after a peer's link or class changed.
    public var onChange: (Int) -> Void = { _ in }
    /// Called after every good status block (with the values block read last).
    public var onStatus: (Int) -> Void = { _ in }
    /// Called when a peer given by name resolved, with its address (the agent then lets it write).
    public var onResolved: (Int, SocketAddress) -> Void = { _, _ in }
    private let poller: ModbusPoller
    private let loop: EventLoop
    private let logger: Logger

    /// `tls` is the agent's client identity for peers with `tls: on`.
    /// Uses `context` for the next TLS connections to peers (certificate rotation on SIGHUP).
    public func reloadTLS(_ context: TLSContext) { poller.reloadTLS(context) }

    public init(configs: [PeerConfig], loop: EventLoop, logger: Logger, resolver: NameResolver? = nil, tls: TLSContext? = nil) throws(SystemError) {
        self.loop = loop
        self.logger = logger
        peers = configs.map { Peer(config: $0) }
        let devices = configs.map { p in
            var options = ModbusClientOptions()
            options.responseTimeout = p.timeout
            options.retries = 0
            return ModbusDeviceConfig(
                name: p.name, endpoint: p.tls ? .tls(host: p.host, port: p.port) : .tcp(host: p.host, port: p.port), unit: p.unit, options: options,
                staleAfter: p.staleAfter, downAfterFailures: p.downAfterFailures,
                points: [
                    ModbusPointConfig(name: "status", table: .inputRegisters, address: 0, count: RegisterLayout.statusRegisters,
                                      codec: PointCodec(type: .uint16), pollInterval: p.interval),
                    ModbusPointConfig(name: "values", table: .inputRegisters, address: RegisterLayout.values, count: RegisterLayout.valueSlots,
                                      codec: PointCodec(type: .float32), pollInterval: p.interval),
                ])
        }
        poller = try ModbusPoller(loop: loop, devices: devices, logger: logger, resolver: resolver, tls: tls)
        poller.onSample = { [unowned self] sample in self.received(sample) }
        poller.onResolved = { [unowned self] name, address in
            if let i = self.index(of: name) { self.onResolved(i, address) }
        }
        poller.onLinkChange = { [unowned self] name, state in
            guard let i = self.peers.firstIndex(where: { $0.config.name == name }) else { return }
            self.peers[i].transportLink = state
            self.update(i)
        }
    }

    public func start() { poller.start() }
    public func stop() { poller.stop() }

    /// The peer called `name`.
    public func index(of name: String) -> Int? { peers.firstIndex { $0.config.name == name } }

    /// Requests and failures of a peer, for metrics.
    public func counters(of name: String) -> DeviceCounters? { poller.counters(of: name) }

    /// Why peer `i` is down beyond its link state: a map it cannot read, or a host name that has not resolved.
    public func reason(_ i: Int) -> String? { peers[i].problem ?? poller.problem(of: peers[i].config.name) }

    /// Re-evaluates heartbeats and stale windows (called from the decision tick).
    public func refresh() {
        for i in peers.indices { update(i) }
    }

    private func received(_ sample: ModbusSample) {
        guard let i = index(of: sample.device) else { return }
        if sample.point == "values" {
            let values = sample.values.map { $0.isFinite ? $0 : .nan }
            if peers[i].status?.isCompatible == true { peers[i].values = values + Array(repeating: .nan, count: max(0, RegisterLayout.valueSlots - values.count)) }
            return
        }
        let registers = sample.values.map { UInt16(clamping: Int($0)) }
        guard let status = PeerStatus(registers: registers) else { return }
        if !status.isCompatible {
            let problem = "map version \(status.mapVersion), expected \(RegisterLayout.version)"
            if peers[i].problem != problem {
                logger.warning("peer.incompatible", ["peer": peers[i].config.name, "reason": problem,
                                                     "action": "treated as down; its values are not used"])
            }
            peers[i].problem = problem
            peers[i].status = status
            peers[i].values = Array(repeating: .nan, count: RegisterLayout.valueSlots)
            update(i)
            return
        }
        if peers[i].problem != nil {
            logger.notice("peer.compatible", ["peer": peers[i].config.name, "map_version": status.mapVersion])
        }
        peers[i].problem = nil
        if peers[i].status?.heartbeat != status.heartbeat || peers[i].heartbeatChanged == nil { peers[i].heartbeatChanged = sample.at }
        let classChanged = peers[i].status?.healthClass != status.healthClass
        peers[i].status = status
        peers[i].lastSeen = sample.at
        update(i, force: classChanged)
        onStatus(i)
    }

    private func update(_ i: Int, force: Bool = false) {
        var link = peers[i].transportLink
        if peers[i].problem != nil { link = .down }
        // The heartbeat moves once a second, so it is judged over at least 3 s whatever the poll interval.
        if link == .up, let changed = peers[i].heartbeatChanged, loop.now - changed > max(peers[i].config.staleAfter, .seconds(3)) {
            if peers[i].problem == nil { link = .stale }
        }
        guard link != peers[i].link || force else { return }
        if link != peers[i].link {
            logger.info("peer.link", ["peer": peers[i].config.name, "state": link.rawValue,
                                      "class": peers[i].status?.healthClass.map(String.init) ?? "none"])
        }
        peers[i].link = link
        onChange(i)
    }
}
