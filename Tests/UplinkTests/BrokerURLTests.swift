import Config
import Testing

@Suite struct BrokerURLTests {
    @Test(arguments: [
        ("mqtt://10.0.0.2", "10.0.0.2", 1883, false),
        ("mqtts://broker.plant:8884", "broker.plant", 8884, true),
        ("mqtts://[::1]", "::1", 8883, true),
        ("mqtt://127.0.0.1:1884/", "127.0.0.1", 1884, false),
    ])
    func urlsParse(_ text: String, _ host: String, _ port: Int, _ tls: Bool) throws {
        let b = try UplinkConfig.Broker.parse(text).get()
        #expect(b.host == host && Int(b.port) == port && b.tls == tls)
    }

    @Test(arguments: ["http://x", "mqtt://", "mqtt://h:0", "mqtt://h:70000", "mqtt://[::1", "mqtt://a b", "mqtt://h:x"])
    func badURLsAreRefusedWithAReason(_ text: String) {
        guard case .failure(let e) = UplinkConfig.Broker.parse(text) else {
            Issue.record("\(text) accepted")
            return
        }
        #expect(!e.message.isEmpty)
    }
}
