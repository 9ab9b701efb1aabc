import EventLoop
import Glibc
import Modbus
import Testing
import TLS

/// Our client over `tls://` (the agent's sensors and peers): against pymodbus's TLS server with client
/// certificates required, against our own TLS server, and refusing servers it must not trust (expired,
/// revoked, another name), each with the reason a device or peer is down for.
@Suite struct TLSClientTests {
    let loop: EpollLoop

    init() throws { loop = try EpollLoop() }

    func clientContext(_ name: String = "operator", withCRL: Bool = false) throws -> TLSContext {
        try TLSContext(server: false, identity: TestPKI.pki.identity(name, withCRL: withCRL))
    }

    /// One read of `count` holding registers at `address` through a client on `endpoint`.
    func read(_ endpoint: ModbusEndpoint, tls: TLSContext, address: UInt16 = 0, count: UInt16 = 1) throws -> Result<ModbusResponse, ModbusError>? {
        let client = try ModbusClient(loop: loop, endpoint: endpoint,
                                      options: ModbusClientOptions(responseTimeout: .seconds(2), connectTimeout: .seconds(2), retries: 0), tls: tls)
        var result: Result<ModbusResponse, ModbusError>?
        client.send(.read(table: .holdingRegisters, address: address, count: count), unit: 1) { result = $0 }
        TestEnvironment.run(loop, timeout: .seconds(10)) { result != nil }
        return result
    }

    func tlsServer(_ name: String) throws -> ModbusTCPServer {
        let map = MemoryRegisterMap(size: 10)
        map.holdingRegisters[0] = 802
        let server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0),
                                     tls: try TLSContext(server: true, identity: TestPKI.pki.identity(name)),
                                     access: .byRole(["operator": .readOnly]))
        try server.start()
        return server
    }

    @Test func ourClientReadsAPymodbusTLSServerThatRequiresClientCertificates() throws {
        if let missing = TestEnvironment.pymodbusMissing { Issue.record(Comment(rawValue: missing)); return }
        let port = TestEnvironment.freePort()
        let pki = TestPKI.pki
        let sensor = try ChildProcess(TestEnvironment.python, [TestEnvironment.root + "/Bench/modbus_pymodbus_server.py", "--tcp", "\(port)",
                                                               "--tls", pki.caCertificate, pki.certificate("agent"), pki.key("agent")])
        try sensor.drain(on: loop)
        #expect(TestEnvironment.waitForListener(port: port), "pymodbus TLS server did not start: \(sensor.text)")
        let result = try read(.tls(host: "127.0.0.1", port: port), tls: try clientContext(), address: 3, count: 2)
        guard case .success(let response) = result else { Issue.record("no answer: \(String(describing: result)); \(sensor.text)"); return }
        #expect(response == .registers([1003, 1004]))
    }

    @Test func ourClientReadsOurTLSServer() throws {
        let server = try tlsServer("agent")
        let result = try read(.tls(host: "127.0.0.1", port: server.port), tls: try clientContext())
        #expect(result == .success(.registers([802])))
        #expect(server.counters.tlsHandshakes == 1)
    }

    @Test(arguments: [
        ("expired", false, "certificate has expired"),
        ("revoked", true, "certificate revoked"),
        ("elsewhere", false, "IP address mismatch"),
    ])
    func aServerWithACertificateWeMustNotTrustIsDownWithTheReason(_ name: String, _ withCRL: Bool, _ reason: String) throws {
        let server = try tlsServer(name)
        let result = try read(.tls(host: "127.0.0.1", port: server.port), tls: try clientContext(withCRL: withCRL))
        guard case .failure(.connectFailed(let why)) = result else { Issue.record("expected a refused connection, got \(String(describing: result))"); return }
        #expect(why.contains(reason), "\(why)")
        #expect(server.counters.requests == 0)
    }

    @Test func aTLSEndpointWithoutAnIdentityFailsSayingSo() throws {
        let client = try ModbusClient(loop: loop, endpoint: .tls(host: "127.0.0.1", port: 802))
        var result: Result<ModbusResponse, ModbusError>?
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { result = $0 }
        TestEnvironment.run(loop, timeout: .seconds(5)) { result != nil }
        guard case .failure(.connectFailed(let why)) = result else { Issue.record("\(String(describing: result))"); return }
        #expect(why.contains("needs the agent's certificate"))
    }

    @Test func endpointsParseTLSWithPort802ByDefault() throws {
        let byDefault = try ModbusEndpoint.parse("tls://10.0.0.5")
        let ipv6 = try ModbusEndpoint.parse("tls://[::1]:1802")
        #expect(byDefault == .tls(host: "10.0.0.5", port: 802))
        #expect(ipv6 == .tls(host: "::1", port: 1802))
        #expect(ModbusEndpoint.tls(host: "plc-1", port: 802).description == "tls://plc-1:802")
    }

    @Test func aKeyFileOthersCanReadIsRefusedWithTheFix() throws {
        let pki = TestPKI.pki
        let dir = TestEnvironment.temporaryDirectory()
        let key = dir + "/open.key"
        let source = try #require(fopen(pki.key("viewer"), "r"))
        let target = try #require(fopen(key, "w"))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, source)
            if n == 0 { break }
            fwrite(buffer, 1, n, target)
        }
        fclose(source)
        fclose(target)
        chmod(key, 0o640)
        var refusal: TLSError?
        do {
            _ = try TLSContext(server: true, identity: TLSIdentity(ca: pki.caCertificate, certificate: pki.certificate("viewer"), key: key))
        } catch {
            refusal = error
        }
        #expect(refusal?.description.contains("readable or writable by group or others (mode 640); run: chmod 600") == true, "\(String(describing: refusal))")
        chmod(key, 0o600)
        var accepted = false
        do {
            _ = try TLSContext(server: true, identity: TLSIdentity(ca: pki.caCertificate, certificate: pki.certificate("viewer"), key: key))
            accepted = true
        } catch {
            Issue.record("refused after chmod 600: \(error)")
        }
        #expect(accepted)
    }
}
