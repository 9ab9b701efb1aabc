import Config
import EventLoop
import GPIO
import Glibc
import Modbus
import Service
import TLS

/// One agent process: the loop, the chips, the agent, signals and systemd, wired together.
///
/// Every signal has the outcome ``SignalPolicy`` gives it: SIGTERM and SIGINT (and every other signal whose default
/// would end the process) drive every output to its safe value, tell systemd STOPPING and stop the loop; SIGHUP
/// reloads the TLS certificates (Modbus/TCP Security) and logs that other config changes need a restart;
/// SIGPIPE is ignored.
public final class AgentRuntime {
    public let loop: EpollLoop
    public let chips: ChipSet
    public let agent: Agent
    private let logger: Logger
    private var mockServers: [MockControlServer] = []
    /// The agent's Modbus TCP server (config `server:`), serving ``AgentRegisterMap``; nil with `plain: off`.
    public private(set) var modbusServer: ModbusTCPServer?
    /// The agent's Modbus/TCP Security server (config `server: tls:`), serving the same map.
    public private(set) var tlsServer: ModbusTCPServer?
    private let notifier = SystemdNotifier.fromProcessEnvironment()
    private var watchdog: Watchdog?
    private var exitStatus: Int32 = 0
    private var statusServer: StatusServer?
    private var exporter: TextfileExporter?
    private var stopping = false

    /// What ``stop(reason:)`` does once outputs are safe and sockets closed; by default it stops the loop.
    /// Several runtimes sharing one loop (the simulation) replace it.
    public var onStopped: (() -> Void)?

    /// Creates the chips and starts the agent (requests lines, initial values) on `loop`, or on a loop of its own.
    /// With `stateDirectory`, a latched class is kept there across restarts (``LatchStore``).
    public init(config: AgentConfig, backend: ChipSet.Backend, logger: Logger, loop: EpollLoop? = nil, stateDirectory: String? = nil) throws {
        self.loop = try loop ?? EpollLoop()
        let board = config.board
        chips = ChipSet(backend: backend, loop: self.loop) { label in board.lineNames(ofChip: label) }
        agent = Agent(config: config, chips: chips, loop: self.loop, logger: logger)
        self.logger = logger
        agent.latchStore = stateDirectory.map { LatchStore(directory: $0, name: config.name) }
        agent.uplinkDirectory = stateDirectory.map { "\($0)/uplink-\(config.name)" }
        try agent.start()
        if let serverConfig = config.server, let tls = config.serverTLS {
            try startTLSServer(serverConfig, tls)
        }
        if let serverConfig = config.server, config.plainServer != .off {
            let commands = agent.commands!
            let server = ModbusTCPServer(loop: self.loop, map: AgentRegisterMap(agent: agent, loop: self.loop),
                                         configuration: serverConfig, logger: logger,
                                         authorize: { [unowned agent] client, unit, write in agent.authorizeWrite(client, unit, write) },
                                         trusted: { host in commands.isAllowed(host) },
                                         access: config.plainServer == .readOnly ? .everyone(.readOnly) : nil)
            server.observer = agent.quarantine
            server.setIdentity(.fieldAgent(name: config.name, revision: "map \(RegisterLayout.version)"))
            do {
                try server.start()
            } catch {
                tlsServer?.stop()
                agent.shutdown(reason: "Modbus server failed")
                throw error
            }
            modbusServer = server
            logger.notice("modbus.serving", ["port": server.port, "map_version": AgentRegisterMap.mapVersion,
                                             "writers": commands.allowed.isEmpty ? "none" : commands.allowed.sorted().joined(separator: ","),
                                             "slots": serverConfig.maxConnections, "reserved_for_writers": serverConfig.maxConnections - server.strangerSlots])
        }
    }

    /// Modbus/TCP Security: the same register map on the TLS port, mutual TLS, rights by certificate role.
    private func startTLSServer(_ serverConfig: ModbusServerConfiguration, _ tls: ModbusTLSSettings) throws {
        let commands = agent.commands!
        var configuration = serverConfig
        configuration.port = tls.port
        configuration.handshakeTimeout = tls.handshakeTimeout
        configuration.handshakesPerSecond = tls.handshakesPerSecond
        let context: TLSContext
        do {
            context = try TLSContext(server: true, identity: tls.identity)
        } catch {
            agent.shutdown(reason: "Modbus/TCP Security failed")
            throw AgentError("server: tls: \(error.description)")
        }
        let requireAllowlist = tls.requireAllowlist
        let server = ModbusTCPServer(loop: loop, map: AgentRegisterMap(agent: agent, loop: loop), configuration: configuration, logger: logger,
                                     authorize: { [unowned agent] client, unit, write in agent.authorizeWrite(client, unit, write, requireAllowlist: requireAllowlist) },
                                     trusted: { host in commands.isAllowed(host) }, tls: context, access: .byRole(tls.roles))
        server.observer = agent.quarantine
        server.setIdentity(.fieldAgent(name: agent.config.name, revision: "map \(RegisterLayout.version)"))
        do {
            try server.start()
        } catch {
            agent.shutdown(reason: "Modbus/TCP Security failed")
            throw error
        }
        tlsServer = server
        logger.notice("modbus.tls.serving", ["port": server.port, "roles": tls.roles.keys.sorted().map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: ","),
                                             "certificate": tls.identity.certificate, "days_left": context.daysLeft ?? -1,
                                             "plain": agent.config.plainServer.rawValue])
        warnIfExpiringSoon(context)
    }

    /// The TLS server's line in `fieldagent status` (empty without `server: tls:`).
    public func tlsServerStatus() -> String {
        guard let s = tlsServer else { return "" }
        let c = s.counters
        let roles = Dictionary(grouping: s.connections, by: { $0.client.role ?? "" }).map { "\($0.key.isEmpty ? "(none)" : $0.key) \($0.value.count)" }.sorted()
        return "modbus/tcp security on port \(s.port): \(s.connections.count) clients (\(roles.isEmpty ? "none" : roles.joined(separator: ", "))), "
            + "\(c.tlsHandshakes) handshakes, \(c.tlsFailures) refused or failed, \(c.roleRefusals) requests refused by role, "
            + "\(c.handshakeDeferrals) pauses for the handshake budget\n"
    }

    /// The TLS server's counters in the Prometheus model (none without `server: tls:`).
    public func tlsServerMetrics() -> [MetricFamily] {
        guard let s = tlsServer else { return [] }
        let agent = [MetricFamily.Label("agent", self.agent.config.name)]
        return [
            MetricFamily("fieldagent_modbus_tls_handshakes_total", help: "TLS handshakes on the Modbus/TCP Security port, by outcome.", type: .counter,
                         samples: [.init(labels: agent + [.init("outcome", "ok")], value: Double(s.counters.tlsHandshakes)),
                                   .init(labels: agent + [.init("outcome", "failed")], value: Double(s.counters.tlsFailures))]),
            MetricFamily("fieldagent_modbus_role_refusals_total", help: "Requests answered with exception 01 because the client's role does not allow them.",
                         type: .counter, samples: [.init(labels: agent, value: Double(s.counters.roleRefusals))]),
            MetricFamily("fieldagent_modbus_tls_clients", help: "Clients connected over TLS now.", type: .gauge,
                         samples: [.init(labels: agent, value: Double(s.connections.count))]),
        ]
    }

    /// Certificates are warned about this many days before they expire (status and metrics show the days left).
    public static let expiryWarningDays = 30

    private func warnIfExpiringSoon(_ context: TLSContext) {
        guard let days = context.daysLeft, days < Self.expiryWarningDays else { return }
        logger.warning("tls.certificate_expiring", ["certificate": context.identity.certificate, "days_left": days,
                                                    "action": days < 0 ? "expired: peers refuse this agent; issue a new certificate and send SIGHUP"
                                                        : "issue a new certificate and send SIGHUP (systemctl reload fieldagent)"])
    }

    /// SIGHUP: loads the certificate, key, CA and CRL files again (a rotated certificate, a new CRL) for
    /// connections made from now on; open connections and the loop carry on. A file that does not load
    /// leaves the running identity in place, with an error line.
    public func reloadTLS() {
        guard let tls = agent.config.serverTLS else { return }
        do {
            let server = try TLSContext(server: true, identity: tls.identity)
            let client = try TLSContext(server: false, identity: tls.identity)
            tlsServer?.reloadTLS(server)
            agent.reloadTLSClient(client)
            logger.notice("tls.reloaded", ["certificate": tls.identity.certificate, "days_left": server.daysLeft ?? -1,
                                           "connections_kept": tlsServer?.connections.count ?? 0])
            warnIfExpiringSoon(server)
        } catch {
            logger.error("tls.reload_failed", ["reason": error.description, "action": "still using the certificate loaded before"])
        }
    }

    /// Serves every mock chip on a Unix socket (one chip: `path`; more: `path` with the chip label appended).
    public func serveMockChips(path: String) throws {
        let mocks = chips.mockChips
        for (i, chip) in mocks.enumerated() {
            let p = i == 0 ? path : path + "." + chip.label
            mockServers.append(try MockControlServer(chip: chip, path: p, loop: loop, logger: logger))
            logger.notice("mock.socket", ["chip": chip.label, "path": p, "try": "socat - UNIX-CONNECT:\(p)"])
        }
    }

    /// Serves `fieldagent status` on a Unix socket at `statusPath` and, with `metricsDirectory`, writes the
    /// Prometheus textfile `NAME.prom` there every `metricsInterval` (node_exporter's textfile collector).
    public func startObservability(statusPath: String?, metricsDirectory: String?, metricsInterval: Duration = TextfileExporter.defaultInterval) throws(SystemError) {
        let agent = self.agent
        if let statusPath {
            statusServer = try StatusServer(path: statusPath, loop: loop, logger: logger,
                                            status: { [weak self] in agent.statusText() + (self?.tlsServerStatus() ?? "") },
                                            metrics: { [weak self] in agent.metricFamilies() + (self?.tlsServerMetrics() ?? []) },
                                            reset: { agent.resetAnswer(source: "fieldagent reset (status socket)") },
                                            release: agent.quarantine.map { q in { host in q.release(host, by: "fieldagent release (status socket)") } })
            logger.notice("status.serving", ["socket": statusPath, "try": "fieldagent status \(agent.config.name)"])
        }
        if let metricsDirectory {
            // No fsync: the rename already keeps readers from half a file, and an fsync every 10 s wears an SD card
            // for data that is worthless after a power cut.
            let e = TextfileExporter(loop: loop, name: agent.config.name, directory: metricsDirectory, interval: metricsInterval,
                                     sync: false, logger: logger, provider: { [weak self] in agent.metricFamilies() + (self?.tlsServerMetrics() ?? []) })
            e.start()
            exporter = e
            logger.notice("metrics.writing", ["file": e.path, "every": durationText(metricsInterval)])
        }
    }

    /// Installs the signal handlers (``SignalPolicy``), tells systemd READY and runs the loop until a signal stops it.
    /// Returns the process exit status: 0 after SIGTERM or SIGINT, 128 + the signal's number after another one.
    public func runUntilSignalled(beforeStop: (() -> Void)? = nil) throws -> Int32 {
        try SignalPolicy.install(on: loop, stop: { [unowned self] signal in
            guard !self.stopping else { return }
            let name = SignalPolicy.name(of: signal)
            self.exitStatus = SignalPolicy.exitStatus(after: signal)
            self.logger.notice("agent.signal", ["signal": name, "action": "safe shutdown", "exit_status": self.exitStatus])
            beforeStop?()
            self.stop(reason: name)
        }, hangup: { [unowned self] in
            if self.agent.config.serverTLS != nil {
                self.reloadTLS()
                self.logger.notice("agent.sighup", ["action": "TLS certificates reloaded; restart the service to load other config changes"])
            } else {
                self.logger.notice("agent.sighup", ["action": "none; restart the service to load a changed config"])
            }
        })
        _ = try? notifier.ready(status: agent.oneLineStatus())
        if notifier.isEnabled { updateStatus() }
        let watchdog = Watchdog(loop: loop, notifier: notifier, logger: logger)
        watchdog.start()
        self.watchdog = watchdog
        try loop.run()
        return exitStatus
    }

    /// Refreshes systemd's STATUS line (`systemctl status`) every 10 s.
    private func updateStatus() {
        loop.schedule(after: .seconds(10)) { [weak self] in
            guard let self, !self.stopping else { return }
            _ = try? self.notifier.status(self.agent.oneLineStatus())
            self.updateStatus()
        }
    }

    /// The longest the runtime waits for safe-value writes to Modbus actuators when stopping.
    public static let safeWriteGrace: Duration = .seconds(2)

    /// Drives outputs safe, releases lines, waits (bounded) for Modbus actuators' safe writes, closes sockets
    /// and stops the loop.
    public func stop(reason: String) {
        guard !stopping else { return }
        stopping = true
        _ = try? notifier.stopping(status: "stopping: \(reason)")
        watchdog?.stop()
        agent.shutdown(reason: reason)
        modbusServer?.stop()
        tlsServer?.stop()
        statusServer?.close()
        exporter?.stop()
        for server in mockServers { server.close() }
        mockServers = []
        let deadline = loop.now + Self.safeWriteGrace
        func finish() {
            if agent.safeWritesPending {
                logger.warning("agent.safe_writes_unconfirmed", ["after": durationText(Self.safeWriteGrace)])
            }
            agent.logStopped()
            agent.closeModbus()
            if let onStopped { onStopped() } else { loop.stop() }
        }
        func wait() {
            guard agent.safeWritesPending, loop.now < deadline else { return finish() }
            loop.schedule(after: .milliseconds(10)) { wait() }
        }
        wait()
    }
}
