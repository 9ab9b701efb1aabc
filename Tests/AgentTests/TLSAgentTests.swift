import Agent
import Boards
import Config
import EventLoop
import Glibc
import Modbus
import Testing
import TLS
import YAML

/// Two agents on one loop speaking Modbus/TCP Security to each other: line-a polls line-b as a TLS peer with
/// its own certificate; line-b authorizes it by role. Certificates come from ``PlantPKI`` in a temp folder.
@Suite struct TLSAgentTests {
    static let config = """
        board: sim
        outputs:
          - name: out
            pin: GPIO27
        """

    let loop: EpollLoop
    let pki: PlantPKI

    init() throws {
        loop = try EpollLoop()
        let dir = try makeTemporaryDirectory("tls-agent")
        pki = PlantPKI(directory: dir + "/pki")
        try pki.makeCA()
        try pki.issue("line-a", roles: ["agent"], hosts: ["127.0.0.1"])
        try pki.issue("line-b", roles: ["agent"], hosts: ["127.0.0.1"])
        try pki.issue("line-b-expired", roles: ["agent"], hosts: ["127.0.0.1"], startDay: -20, days: 10)
        try pki.issue("line-b-short", roles: ["agent"], hosts: ["127.0.0.1"], days: 12)
    }

    /// An agent serving its map over TLS (port chosen by the kernel) with plaintext off, polling `peers`.
    func agent(_ name: String, certificate: String, peers: [PeerConfig] = [], roles: [String: ModbusAccessRights] = ["agent": .readOnly],
               requireAllowlist: Bool = false) throws -> AgentRuntime {
        var config = try ConfigLoader(catalog: try BoardCatalog.builtIn()).load(text: Self.config, file: "\(name).yaml").0
        config.name = name
        config.server = ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0)
        config.serverTLS = ModbusTLSSettings(port: 0, identity: pki.identity(certificate), roles: roles, requireAllowlist: requireAllowlist)
        config.plainServer = .off
        config.peers = peers
        return try AgentRuntime(config: config, backend: .mock, logger: .silent, loop: loop)
    }

    func peer(_ port: UInt16) -> PeerConfig {
        PeerConfig(name: "line-b", host: "127.0.0.1", port: port, interval: .milliseconds(100), timeout: .milliseconds(400), tls: true,
                   location: SourceMark(file: "line-a.yaml", line: 1, column: 1))
    }

    func run(for limit: Duration, until done: () -> Bool) throws {
        var expired = false
        let timer = loop.schedule(after: limit) { expired = true }
        while !done() && !expired { try loop.runOnce() }
        loop.cancel(timer)
    }

    @Test func aPeerOverTLSComesUpAndIsAuthorizedByItsRole() throws {
        let b = try agent("line-b", certificate: "line-b")
        #expect(b.modbusServer == nil, "plain: off serves no plaintext")
        let a = try agent("line-a", certificate: "line-a", peers: [peer(b.tlsServer!.port)])
        try run(for: .seconds(5)) { a.agent.peers?.peers[0].link == .up }
        #expect(a.agent.peers?.peers[0].link == .up)
        #expect(b.tlsServer!.counters.tlsHandshakes >= 1 && b.tlsServer!.counters.roleRefusals == 0)
        #expect(b.tlsServer!.connections.first?.client.role == "agent")
        #expect(b.tlsServerStatus().contains("1 clients (agent 1)"), "\(b.tlsServerStatus())")
        let families = b.tlsServerMetrics()
        #expect(families.map(\.name) == ["fieldagent_modbus_tls_handshakes_total", "fieldagent_modbus_role_refusals_total", "fieldagent_modbus_tls_clients"])
        #expect(families.last?.samples.first?.value == 1)
        let status = a.agent.statusText()
        // Issued for 825 days a moment ago: 824 or 825 whole days left, depending on the second.
        #expect(status.contains("tls: certificate \(pki.certificate("line-a")) expires in 82"), "\(status)")
        let metrics = a.agent.metricFamilies().map(\.name)
        #expect(metrics.contains("fieldagent_tls_certificate_days_left") && metrics.contains("fieldagent_tls_certificate_expiry_timestamp_seconds"))
        a.stop(reason: "test")
        b.stop(reason: "test")
    }

    @Test func aPeerWithAnExpiredCertificateIsDownWithTheReason() throws {
        let b = try agent("line-b", certificate: "line-b-expired")
        let a = try agent("line-a", certificate: "line-a", peers: [peer(b.tlsServer!.port)])
        try run(for: .seconds(5)) { a.agent.peers?.reason(0)?.contains("certificate has expired") == true }
        #expect(a.agent.peers?.peers[0].link == .down)
        #expect(a.agent.peers?.reason(0)?.contains("TLS: certificate verification failed: certificate has expired") == true, "\(String(describing: a.agent.peers?.reason(0)))")
        #expect(a.agent.statusText().contains("[TLS: certificate verification failed: certificate has expired]"))
        #expect(b.tlsServer!.counters.requests == 0)
        let expiredStatus = b.agent.statusText()
        #expect(expiredStatus.contains("EXPIRED"), "\(expiredStatus)")
        a.stop(reason: "test")
        b.stop(reason: "test")
    }

    /// Certificate rotation: line-b's certificate files are replaced by a renewed one and the runtime reloads
    /// (what SIGHUP does): the connection already open keeps answering on the same session, the loop never
    /// stopped, new connections get the new certificate, and status shows the new expiry.
    @Test func reloadingCertificatesKeepsOpenConnectionsAndServesTheNewOneToNewClients() throws {
        try pki.issue("line-b", roles: ["agent"], hosts: ["127.0.0.1"], days: 12)
        let b = try agent("line-b", certificate: "line-b")
        #expect(b.agent.statusText().contains(" days — renew it and send SIGHUP"), "\(b.agent.statusText())")
        let client = try ModbusClient(loop: loop, endpoint: .tls(host: "127.0.0.1", port: b.tlsServer!.port),
                                      tls: try TLSContext(server: false, identity: pki.identity("line-a")))
        func readOnce() throws -> Result<ModbusResponse, ModbusError>? {
            var result: Result<ModbusResponse, ModbusError>?
            client.send(.read(table: .inputRegisters, address: 0, count: 1), unit: 1) { result = $0 }
            try run(for: .seconds(5)) { result != nil }
            return result
        }
        guard case .success = try readOnce() else { Issue.record("first read failed"); return }
        #expect(client.counters.connects == 1)

        try pki.issue("line-b", roles: ["agent"], hosts: ["127.0.0.1"], days: 400)
        b.reloadTLS()
        guard case .success = try readOnce() else { Issue.record("read after the reload failed"); return }
        #expect(client.counters.connects == 1, "the open connection was kept")
        #expect((399...400).contains(b.tlsServer!.tls?.daysLeft ?? 0))
        #expect(b.agent.statusText().contains("expires in 399 days") || b.agent.statusText().contains("expires in 400 days"))

        let fresh = try ModbusClient(loop: loop, endpoint: .tls(host: "127.0.0.1", port: b.tlsServer!.port),
                                     tls: try TLSContext(server: false, identity: pki.identity("line-a")))
        var result: Result<ModbusResponse, ModbusError>?
        fresh.send(.read(table: .inputRegisters, address: 0, count: 1), unit: 1) { result = $0 }
        try run(for: .seconds(5)) { result != nil }
        if case .success = result {} else { Issue.record("a new client after the reload: \(String(describing: result))") }
        #expect(b.tlsServer!.connections.count == 2)
        b.stop(reason: "test")
    }

    @Test func aReloadThatCannotLoadKeepsTheRunningCertificate() throws {
        let b = try agent("line-b", certificate: "line-b-short")
        chmod(pki.key("line-b-short"), 0o644)
        defer { chmod(pki.key("line-b-short"), 0o600) }
        let before = b.tlsServer!.tls
        b.reloadTLS()
        #expect(b.tlsServer!.tls === before)
        b.stop(reason: "test")
    }

    /// `fieldagent safe` (ExecStopPost) reaches an actuator behind `tls://` with the agent's certificate: the safe
    /// value is written and read back over TLS.
    @Test func theSafeStateDriverDrivesATLSActuatorWithTheAgentsCertificate() throws {
        let map = MemoryRegisterMap(size: 10)
        map.holdingRegisters[0] = 100
        let machine = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0),
                                      tls: try TLSContext(server: true, identity: pki.identity("line-b")),
                                      access: .byRole(["agent": .everything]))
        try machine.start()
        let text = """
            board: sim
            name: line-a
            outputs:
              - {name: motor, pin: GPIO22, safe: off}
            modbus:
              - name: machine
                endpoint: tls://127.0.0.1:\(machine.port)
                points:
                  - {name: load, table: holding, address: 0, writable: true, safe: 0}
            server:
              port: 1502
              tls: {port: 1802, ca: \(pki.caCertificate), cert: \(pki.certificate("line-a")), key: \(pki.key("line-a")), roles: {}}

            """
        let config = try ConfigLoader(catalog: try BoardCatalog.builtIn()).load(text: text, file: "line-a.yaml").0
        let chips = ChipSet(backend: .mock, loop: loop) { config.board.lineNames(ofChip: $0) }
        let results = try SafeStateDriver(config: config, chips: chips, loop: loop).run(timeout: .seconds(5))
        let load = results.first { $0.actuator == "machine.load" }
        #expect(load?.confirmed == true, "\(results)")
        #expect(map.holdingRegisters[0] == 0)
        #expect(machine.counters.tlsHandshakes >= 1)
    }

    /// A TLS client whose role may write the command block gets its write in without being on the IP allowlist;
    /// with `allowlist: true` the allowlist is required as well (this agent has no peers and no writers: nobody is
    /// on it), and the write is refused by the command block with exception 01.
    @Test(arguments: [false, true])
    func aRoleMayWriteTheCommandBlockAndTheAllowlistIsAnExtraCondition(requireAllowlist: Bool) throws {
        let writers = ModbusAccessRights(read: ModbusAccessRights.readOnly.read, write: [.holdingRegisters: [0...1]])
        let b = try agent("line-b", certificate: "line-b", roles: ["agent": writers], requireAllowlist: requireAllowlist)
        #expect(b.agent.commands.allowed.isEmpty)
        let client = try ModbusClient(loop: loop, endpoint: .tls(host: "127.0.0.1", port: b.tlsServer!.port),
                                      tls: try TLSContext(server: false, identity: pki.identity("line-a")))
        var result: Result<ModbusResponse, ModbusError>?
        client.send(.writeMultipleRegisters(address: 0, values: [2, 1]), unit: 1) { result = $0 }  // reduce-load, sequence 1
        try run(for: .seconds(5)) { result != nil }
        if requireAllowlist {
            #expect(result == .failure(.exception(.illegalFunction)), "\(String(describing: result))")
            #expect(b.agent.commands.accepted == 0 && b.agent.commands.refused == 1)
        } else {
            #expect(result == .success(.written(address: 0, count: 2)), "\(String(describing: result))")
            #expect(b.agent.commands.accepted == 1 && b.agent.commands.isSet(1))
        }
        b.stop(reason: "test")
    }
}
