import Boards
import Config
import Modbus
import Testing

/// `server: tls:` (Modbus/TCP Security), `server: plain:` and TLS peers and devices.
@Suite struct ServerTLSConfigTests {
    let loader = ConfigLoader(catalog: try! BoardCatalog.builtIn())

    func load(_ text: String) throws(ConfigErrors) -> AgentConfig {
        try loader.load(text: "board: sim\n" + text, file: "t.yaml").0
    }

    func errors(_ text: String) -> [String] {
        do throws(ConfigErrors) {
            _ = try load(text)
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }.map(brief)
        }
    }

    static let tls = """
        server:
          port: 1502
          tls:
            port: 802
            ca: /etc/fieldagent/pki/ca.crt
            cert: /etc/fieldagent/pki/a.crt
            key: /etc/fieldagent/pki/a.key
            handshake_timeout: 5s
            roles:
              operator: {read: [all], write: [holding 0-1, coils 3]}
              scada: {read: [input, holding 0-99]}

        """

    @Test func rolesBecomeAreasPerTableAndPlainIsReadOnlyByDefault() throws {
        let c = try load(Self.tls)
        let tls = try #require(c.serverTLS)
        #expect(tls.port == 802 && tls.handshakeTimeout == .seconds(5) && !tls.requireAllowlist && tls.handshakesPerSecond == 10)
        #expect(tls.identity.key == "/etc/fieldagent/pki/a.key" && tls.identity.crl == nil)
        let op = try #require(tls.roles["operator"])
        #expect(op.mayWrite(.holdingRegisters, address: 0, count: 2) && !op.mayWrite(.holdingRegisters, address: 1, count: 2))
        #expect(op.mayWrite(.coils, address: 3, count: 1) && !op.mayWrite(.coils, address: 4, count: 1))
        #expect(op.mayRead(.discreteInputs, address: 65535, count: 1))
        let scada = try #require(tls.roles["scada"])
        #expect(scada.mayRead(.holdingRegisters, address: 90, count: 10) && !scada.mayRead(.holdingRegisters, address: 90, count: 11))
        #expect(!scada.mayRead(.coils, address: 0, count: 1) && scada.write.isEmpty)
        #expect(c.plainServer == .readOnly)
        let off = try load("server:\n  plain: off\n" + Self.tls.dropFirst("server:\n".count))
        #expect(off.plainServer == .off)
    }

    @Test func mistakesAreErrorsAtTheirPlace() {
        let broken = """
            server:
              port: 1502
              plain: read-write
              tls:
                port: 1502
                ca: ca.crt
                cert: /a.crt
                roles:
                  operator: {read: [everything], write: [input 0-3]}
                  "has space": {}

            """
        // Line 1 is "board: sim".
        #expect(Set(errors(broken)) == [
            "4:10: error: plain: 'read-write' is not one of read-only, off (writes in the clear would bypass the roles)",
            "6:5: error: server: tls needs 'key' (a PEM file path, for example /etc/fieldagent/pki/agent.key)",
            "7:9: error: server: tls: ca: 'ca.crt' is not an absolute path",
            "10:25: error: server: tls: roles: operator: read: 'everything' is not 'all', a table (coils, discrete, holding, input) or a table with addresses ('holding 0-99', 'input 7')",
            "10:46: error: server: tls: roles: operator: write: 'input 0-3': only coils and holding registers can be written",
            "11:7: error: server: tls: roles: 'has space' is not a role a certificate can carry (1…64 printable ASCII characters, no spaces; \"\" for the empty role)",
        ])
        #expect(errors("server:\n  port: 802\n  tls: {port: 802, ca: /c, cert: /a, key: /k, roles: {}}\n")
                == ["4:8: error: server: tls: port 802 is also the plaintext port; give tls a port of its own (802) or set plain: off"])
    }

    @Test func plainWithoutTLSAndTLSPeersWithoutACertificateAreErrors() {
        #expect(errors("server: {port: 1502, plain: off}\n") == ["2:29: error: plain: only goes with tls: (without Modbus/TCP Security the plaintext server is the server)"])
        #expect(errors("peers:\n  - {name: b, host: 10.0.0.2, tls: on}\nserver: {port: 1502}\n")
                == ["3:5: error: peer 'b' has tls: on, but the agent has no certificate: add server: tls: (ca, cert, key)"])
    }

    @Test func aTLSPeerDefaultsToPort802() throws {
        let c = try load(Self.tls + "peers:\n  - {name: b, host: 10.0.0.2, tls: on}\n")
        #expect(c.peers[0].tls && c.peers[0].port == 802)
    }
}

extension ServerTLSConfigTests {
    @Test func theSecureExampleLoadsWithTLSPeersAndSensors() throws {
        let (config, warnings) = try loader.load(path: repoRoot + "/Examples/secure-peers.yaml")
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(config.serverTLS?.roles.keys.sorted() == ["agent", "operator", "scada"])
        #expect(config.serverTLS?.identity.crl == "/etc/fieldagent/pki/crl.pem")
        #expect(config.plainServer == .readOnly)
        #expect(config.peers.first?.tls == true)
        #expect(config.modbus.first?.endpoint == .tls(host: "127.0.0.1", port: 1803))
    }
}
