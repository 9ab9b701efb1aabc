import EventLoop
import Glibc
import Modbus
import Testing

/// libmodbus's own conformance client (`unit-test-client` from its source package, built by
/// /work/shared/tools/modbus/libmodbus-reference into ~/.cache/libmodbus-reference/bin or $MODBUS_REF_DIR/bin)
/// against our server, serving the register layout of libmodbus's `unit-test-server`.
///
/// The client's later checks need behaviours only libmodbus's test server has (magic addresses that make it
/// send an invalid reply, answer late, with a wrong transaction id, or byte by byte), so this test requires
/// every check before the first of those ("modbus_write_bit (triggers invalid reply)") to pass: reads and
/// writes of every table, FC 22 and 23, floats in four byte orders, illegal data address and value.
/// The client connects to port 1502, so this test needs that port free.
@Suite struct LibmodbusConformanceTests {
    static let client: String? = {
        let dirs = [getenv("MODBUS_REF_DIR").map { String(cString: $0) + "/bin" }, getenv("HOME").map { String(cString: $0) + "/.cache/libmodbus-reference/bin" }]
        return dirs.compactMap { $0 }.map { $0 + "/unit-test-client" }.first { access($0, X_OK) == 0 }
    }()

    @Test(.enabled(if: client != nil, "libmodbus's unit-test-client is not built (run /work/shared/tools/modbus/libmodbus-reference)"))
    func libmodbusUnitTestClientPassesItsProtocolChecksAgainstOurServer() throws {
        // unit-test.h: bits at 0x130 (37), input bits at 0x1C4 (22), registers at 0x160 (32), input registers at 0x108 (1).
        let map = MemoryRegisterMap(coils: 0x130..<(0x130 + 0x25), discreteInputs: 0x1C4..<(0x1C4 + 0x16),
                                    holdingRegisters: 0x160..<(0x160 + 0x20), inputRegisters: 0x108..<(0x108 + 1))
        let inputBits: [UInt8] = [0xAC, 0xDB, 0x35]
        for i in 0..<0x16 { map.discreteInputs[i] = inputBits[i / 8] & (1 << UInt8(i % 8)) != 0 }
        map.inputRegisters[0] = 0x000A
        let loop = try EpollLoop()
        let server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 1502))
        try server.start()
        let child = try ChildProcess(Self.client!, ["tcp"])
        TestEnvironment.run(loop, timeout: .seconds(30)) { child.drain(); return !child.isRunning }
        let lines = child.text.split(separator: "\n").map(String.init)
        let checks = lines.filter { $0.contains(": OK") || $0.contains("FAILED") || $0.contains("assertion error") }
        let firstFailure = checks.firstIndex { !$0.contains(": OK") }
        print("libmodbus unit-test-client: \(checks.prefix { $0.contains(": OK") }.count) checks passed before \(firstFailure.map { checks[$0] } ?? "the end")")
        let passed = checks.prefix { $0.contains(": OK") }.count
        #expect(passed >= 43, "\(child.text)")
        #expect(child.text.contains("modbus_write_registers: OK") && child.text.contains("4/4 Set/get float CDAB: OK"), "\(child.text)")
    }
}
