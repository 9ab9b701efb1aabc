import Agent
import Boards
import Config
import EventLoop
import Modbus
import Service
import Testing

/// `security:` on the polling side: a sensor swapped for another device that answers the same endpoint
/// differently is flagged (log, status, metric, alarm bit 11) within a few polls, on real loopback sockets.
@Suite(.serialized) struct DeviceIdentityTests {
    @Test func aSensorSwappedForADeviceWithAnotherMapIsFlagged() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.normal)
        let port = machine.server.port
        let text = lineConfig(name: "line-a", machinePort: port, serverPort: 1)
            + "security: {learn: 5s}\n"
        let line = try DecisionPipelineTests.Line(text, loop: loop)
        let identity = try #require(line.agent.identity)
        pump(loop, .seconds(8))
        #expect(identity.suspects.isEmpty)
        #expect((identity.devices["machine"]?.answers ?? 0) > 40)
        #expect(!line.agent.alarms.contains(.identity))

        // The sensor is swapped: another device on the same address and port, with only 8 input registers.
        machine.server.stop()
        let other = ModbusTCPServer(loop: loop, map: MemoryRegisterMap(coils: 0, discreteInputs: 0, holdingRegisters: 2, inputRegisters: 8),
                                    configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: port))
        try other.start()
        defer { other.stop() }
        var took: Duration?
        let start = loop.now
        while loop.now - start < .seconds(5) {
            pump(loop, .milliseconds(100))
            if !identity.suspects.isEmpty { took = loop.now - start; break }
        }
        #expect(took != nil && took! <= .seconds(2), "flagged after \(String(describing: took))")
        #expect(identity.suspects == ["machine"])
        #expect(identity.devices["machine"]?.suspect?.contains("answered ok while learning, now illegal-data-address") == true)
        #expect(line.agent.alarms.contains(.identity))
        #expect(line.agent.statusText().contains("device machine:") && line.agent.statusText().contains("possible swap or spoof"))
        #expect(PrometheusText.render(line.agent.metricFamilies()).contains("fieldagent_device_identity_suspect{agent=\"line-a\",device=\"machine\"} 1\n"))
        line.agent.shutdown(reason: "test")
    }
}
