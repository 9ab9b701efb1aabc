import Agent
import EventLoop
import Glibc
import Modbus
import Testing
import TLS

/// The real binary with `server: tls:` under SIGHUP (what `systemctl reload fieldagent` sends): the certificate
/// is replaced on disk, the agent loads it for new connections, and the TLS connection already open keeps
/// answering; the process, its loop and its outputs carry on.
@Suite struct TLSReloadSignalTests {
    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"))
    func sighupReloadsTheCertificateAndKeepsTheOpenConnection() throws {
        let dir = try makeTemporaryDirectory("tls-hup")
        let pki = PlantPKI(directory: dir + "/pki")
        try pki.makeCA()
        try pki.issue("agent", roles: ["agent"], hosts: ["127.0.0.1"], days: 12)
        try pki.issue("hmi", roles: ["operator"])
        let tlsPort = FreePort.next()
        let config = """
            board: sim
            name: tls-hup-\(getpid())
            outputs:
              - {name: lamp, pin: GPIO27, initial: on, safe: off}
            server:
              bind: 127.0.0.1
              port: \(FreePort.next())
              plain: off
              tls:
                port: \(tlsPort)
                ca: \(pki.caCertificate)
                cert: \(pki.certificate("agent"))
                key: \(pki.key("agent"))
                roles:
                  operator: {read: [all]}

            """
        let path = dir + "/agent.yaml"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var text = config
        _ = text.withUTF8 { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let agent = try AgentProcess(["run", "--config", path, "--gpio", "mock", "--mock-socket", dir + "/chip.sock",
                                      "--status-socket", "none", "--metrics-dir", "none"])
        #expect(agent.waitFor("event=modbus.tls.serving"), "\(agent.text)")
        // Logged just after modbus.tls.serving: wait for it too (under qemu it can arrive a moment later).
        #expect(agent.waitFor("event=tls.certificate_expiring"), "under 30 days left: warned at start")

        let loop = try EpollLoop()
        let client = try ModbusClient(loop: loop, endpoint: .tls(host: "127.0.0.1", port: tlsPort),
                                      tls: try TLSContext(server: false, identity: pki.identity("hmi")))
        func read() -> Result<ModbusResponse, ModbusError>? {
            var result: Result<ModbusResponse, ModbusError>?
            client.send(.read(table: .inputRegisters, address: 0, count: 1), unit: 1) { result = $0 }
            var expired = false
            let timer = loop.schedule(after: .seconds(10)) { expired = true }
            while result == nil && !expired { try? loop.runOnce() }
            loop.cancel(timer)
            return result
        }
        #expect(read() == .success(.registers([RegisterLayout.version])), "the map version over TLS")

        try pki.issue("agent", roles: ["agent"], hosts: ["127.0.0.1"], days: 400)
        kill(agent.pid, SIGHUP)
        #expect(agent.waitFor("event=tls.reloaded"), "\(agent.text)")
        #expect(agent.text.contains("days_left=399") || agent.text.contains("days_left=400"), "\(agent.text)")
        #expect(read() == .success(.registers([RegisterLayout.version])))
        #expect(client.counters.connects == 1, "the connection open before the reload kept answering")
        #expect(agent.isRunning)

        kill(agent.pid, SIGTERM)
        agent.waitForExit(timeout: .seconds(10))
        #expect(agent.exitStatus == 0, "\(agent.text)")
    }
}
