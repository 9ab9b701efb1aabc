import EventLoop
import Glibc
import Modbus
import Testing
import TLS

/// libmodbus's own conformance client (`unit-test-client` from its source package, built by
/// /work/shared/tools/modbus/libmodbus-reference into ~/.cache/libmodbus-reference/bin or $MODBUS_REF_DIR/bin)
/// against our server, serving the register layout of libmodbus's `unit-test-server`.
///
/// The client's later checks need behaviours only libmodbus's test server has (magic addresses that make it
/// send an invalid reply, answer late, with a wrong transaction id, or byte by byte), so this test requires
/// every check before the first of those ("modbus_write_bit (triggers invalid reply)") to pass: reads and
/// writes of every table, FC 22 and 23, floats in four byte orders, illegal data address and value.
/// The client connects to port 1502, so these tests need that port free, and run one after the other.
///
/// Through TLS: the same client, its plaintext turned into Modbus/TCP Security by socat (OpenSSL, verifying our
/// server's certificate against the plant CA and presenting an operator's certificate) in front of our TLS server.
@Suite(.serialized) struct LibmodbusConformanceTests {
    static let client: String? = {
        let dirs = [getenv("MODBUS_REF_DIR").map { String(cString: $0) + "/bin" }, getenv("HOME").map { String(cString: $0) + "/.cache/libmodbus-reference/bin" }]
        return dirs.compactMap { $0 }.map { $0 + "/unit-test-client" }.first { access($0, X_OK) == 0 }
    }()

    @Test(.enabled(if: client != nil, "libmodbus's unit-test-client is not built (run /work/shared/tools/modbus/libmodbus-reference)"))
    func libmodbusUnitTestClientPassesItsProtocolChecksAgainstOurServer() throws {
        try check(tls: false)
    }

    @Test(.enabled(if: client != nil, "libmodbus's unit-test-client is not built (run /work/shared/tools/modbus/libmodbus-reference)"))
    func libmodbusUnitTestClientPassesTheSameChecksThroughTLS() throws {
        if let missing = TestEnvironment.missing("socat", install: "apt-get install socat (make deps)") { Issue.record(Comment(rawValue: missing)); return }
        try check(tls: true)
    }

    private func check(tls: Bool) throws {
        // unit-test.h: bits at 0x130 (37), input bits at 0x1C4 (22), registers at 0x160 (32), input registers at 0x108 (1).
        let map = MemoryRegisterMap(coils: 0x130..<(0x130 + 0x25), discreteInputs: 0x1C4..<(0x1C4 + 0x16),
                                    holdingRegisters: 0x160..<(0x160 + 0x20), inputRegisters: 0x108..<(0x108 + 1))
        let inputBits: [UInt8] = [0xAC, 0xDB, 0x35]
        for i in 0..<0x16 { map.discreteInputs[i] = inputBits[i / 8] & (1 << UInt8(i % 8)) != 0 }
        map.inputRegisters[0] = 0x000A
        let loop = try EpollLoop()
        let pki = TestPKI.pki
        let context = tls ? try TLSContext(server: true, identity: pki.identity("agent")) : nil
        let server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: tls ? 0 : 1502),
                                     tls: context, access: tls ? .byRole(["operator": .everything]) : nil)
        try server.start()
        var proxy: ChildProcess?
        if tls {
            proxy = try ChildProcess("socat", ["TCP-LISTEN:1502,bind=127.0.0.1,reuseaddr",
                                               "OPENSSL:127.0.0.1:\(server.port),cafile=\(pki.caCertificate),cert=\(pki.certificate("operator")),key=\(pki.key("operator")),verify=1"])
            try proxy!.drain(on: loop)
            #expect(TestEnvironment.run(loop, timeout: .seconds(10)) { TestEnvironment.isListening(port: 1502) }, "socat did not listen: \(proxy!.text)")
            // Port 1502 is fixed by the client: another process on it (a parallel checkout's tests) would answer instead.
            TestEnvironment.run(loop, timeout: .milliseconds(100)) { false }
            guard proxy!.isRunning else {
                Issue.record("socat could not listen on 127.0.0.1:1502 (in use by another process?): \(proxy!.text)")
                return
            }
        }
        let child = try ChildProcess(Self.client!, ["tcp"])
        TestEnvironment.run(loop, timeout: .seconds(30)) { child.drain(); return !child.isRunning }
        let lines = child.text.split(separator: "\n").map(String.init)
        let checks = lines.filter { $0.contains(": OK") || $0.contains("FAILED") || $0.contains("assertion error") }
        let firstFailure = checks.firstIndex { !$0.contains(": OK") }
        print("libmodbus unit-test-client\(tls ? " through TLS" : ""): \(checks.prefix { $0.contains(": OK") }.count) checks passed before \(firstFailure.map { checks[$0] } ?? "the end")")
        let passed = checks.prefix { $0.contains(": OK") }.count
        #expect(passed >= 43, "\(child.text)")
        #expect(child.text.contains("modbus_write_registers: OK") && child.text.contains("4/4 Set/get float CDAB: OK"), "\(child.text)")
        if tls {
            #expect(server.counters.tlsHandshakes >= 1 && server.counters.requests >= 20, "requests \(server.counters.requests) \(proxy?.text ?? "")")
        }
        withExtendedLifetime(proxy) {}
    }
}
