import Boards
import Config
import Testing
import YAML

@Suite struct UplinkSectionTests {
    let loader = ConfigLoader(catalog: try! BoardCatalog.builtIn())

    func diagnostics(_ text: String) -> [String] {
        do {
            return try loader.load(text: text, file: "t.yaml").1.map(brief)
        } catch {
            return error.diagnostics.map(brief)
        }
    }

    @Test func theDefaultsNameTheNodeAfterTheAgentAndVerifyTLS() throws {
        let (config, warnings) = try loader.load(text: """
            board: sim
            name: pump-a
            uplink:
              brokers: [mqtts://10.0.0.2, "mqtt://[::1]:1884"]
              group: plant-1
              tls: {ca: /etc/fieldagent/ca.pem}
            """, file: "t.yaml")
        #expect(warnings.isEmpty)
        let u = try #require(config.uplink)
        #expect(u.brokers == [.init(host: "10.0.0.2", port: 8883, tls: true), .init(host: "::1", port: 1884, tls: false)])
        #expect(u.node == "pump-a" && u.clientID == "plant-1-pump-a" && u.protocolVersion == .v311)
        #expect(u.tls == UplinkConfig.TLS(ca: "/etc/fieldagent/ca.pem"))
        #expect(u.dataQoS == 1 && u.bufferBytes == 16 << 20 && u.interval == .seconds(1) && u.maxInterval == .seconds(60))
        #expect(u.commandHosts.isEmpty && u.primaryHost == nil)
    }

    @Test func aTLSBrokerWithoutACAIsAnErrorAtItsPlace() {
        #expect(diagnostics("board: sim\nuplink:\n  brokers: [mqtts://10.0.0.2]\n  group: g\n")
                == ["3:12: error: brokers: mqtts://10.0.0.2:8883 uses TLS but uplink has no 'tls:' with the 'ca' that signs the broker's certificate"])
    }

    @Test func brokersAndGroupAreRequired() {
        #expect(diagnostics("board: sim\nuplink:\n  interval: 1s\n")
                == ["3:3: error: uplink needs 'brokers': a list of mqtt:// or mqtts:// URLs, tried in turn", "3:3: error: uplink needs 'group'"])
    }
}
